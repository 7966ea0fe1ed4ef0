"""The boundary: every public function converts and checks its arrays here, before any kernel.

Kernels trust their inputs (Numba does not check bounds), so this layer guarantees them
C-contiguous arrays of one floating dtype whose shapes agree with each other.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable

# The shape of each argument of the public API, in symbolic dimensions.
SHAPES: dict[str, tuple[str, ...]] = {
    "X": ("N", "D"),
    "T": ("N", "K"),
    "Z": ("N", "M"),
    "Y": ("N", "K"),
    "W1": ("D", "M"),
    "b1": ("M",),
    "W2": ("M", "K"),
    "b2": ("K",),
}


@register_jitable
def _nonfinite_mark(values):
    """0.0 if every element of the 1-D array is finite, else NaN: v * 0 is NaN exactly for
    NaN and infinity (no fastmath flag here lets LLVM fold it away)."""
    total = 0.0
    for i in range(values.shape[0]):
        total += values[i] * 0.0
    return total


@njit(cache=True, fastmath={"reassoc"})  # reassociation lets the sums vectorise
def _all_finite(a, b, c, d, e, f) -> bool:
    """True if no element of the six 1-D arrays is NaN or infinite."""
    marks = _nonfinite_mark(a) + _nonfinite_mark(b) + _nonfinite_mark(c)
    return marks + _nonfinite_mark(d) + _nonfinite_mark(e) + _nonfinite_mark(f) == 0.0


def _flat_six(arrays: list[np.ndarray], dtype: np.dtype) -> list[np.ndarray]:
    """The arrays as 1-D views, padded to six with empty ones (one signature per dtype)."""
    flat = [a.reshape(-1) for a in arrays]
    return flat + [np.empty(0, dtype)] * (6 - len(flat))


def _describe(shape: tuple[str, ...]) -> str:
    return "(" + ", ".join(shape) + ("," if len(shape) == 1 else "") + ")"


def _as_array(name: str, value: object) -> np.ndarray:
    array = value if type(value) is np.ndarray else np.asarray(value)
    kind = array.dtype.kind
    if kind not in "fiub":
        raise TypeError(
            f"{name} must hold real numbers (float32 or float64; int/bool are converted), "
            f"got dtype {array.dtype}"
        )
    if kind == "f" and array.dtype.itemsize > 8:
        raise TypeError(f"{name} must be float32 or float64, got dtype {array.dtype}")
    return array


def result_dtype(arrays: list[np.ndarray]) -> np.dtype:
    """float64 if any floating argument is float64 (or none is floating), else float32."""
    dtype = np.dtype(np.float32)
    seen_float = False
    for array in arrays:
        if array.dtype.kind == "f":
            seen_float = True
            if array.dtype.itemsize == 8:
                return np.dtype(np.float64)
    return dtype if seen_float else np.dtype(np.float64)


def kernel_ready(array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``array`` as a C-contiguous, writeable array of ``dtype``, copied only if needed. A
    read-only array (a memory map, say) would make Numba compile every kernel once more."""
    if array.dtype != dtype or not array.flags.c_contiguous or not array.flags.writeable:
        return np.array(array, dtype=dtype, order="C")
    return array


def check_arrays(
    check_finite: bool, dtype: np.dtype | None = None, **named: object
) -> tuple[np.ndarray, ...]:
    """Validate and convert the named arrays (names from ``SHAPES``), in the given order.

    Raises TypeError for a non-numeric dtype and ValueError for a wrong number of dimensions,
    an empty dimension, a shape that disagrees with another argument, or (when
    ``check_finite``) a NaN or infinity. Returns C-contiguous arrays of one float dtype:
    ``dtype`` if given, else float32 when every floating argument is float32, else float64.
    """
    arrays = [_as_array(name, value) for name, value in named.items()]
    if dtype is None:
        dtype = result_dtype(arrays)
    sizes: dict[str, tuple[int, str]] = {}  # symbol -> (size, argument that fixed it)
    out = []
    for (name, _), array in zip(named.items(), arrays):
        expected = SHAPES[name]
        if array.ndim != len(expected):
            raise ValueError(
                f"{name} must be a {len(expected)}-D array of shape {_describe(expected)}, "
                f"got {array.ndim}-D with shape {array.shape}"
            )
        for axis, (symbol, size) in enumerate(zip(expected, array.shape)):
            if size == 0:
                raise ValueError(
                    f"{name} has shape {array.shape}: {symbol} (axis {axis}) must be at least 1"
                )
            if symbol not in sizes:
                sizes[symbol] = (size, name)
            elif sizes[symbol][0] != size:
                first_size, first_name = sizes[symbol]
                raise ValueError(
                    f"{name} has shape {array.shape}, expected {_describe(expected)} with "
                    f"{symbol}={first_size} as given by {first_name}"
                )
        out.append(kernel_ready(array, dtype))
    if check_finite and not _all_finite(*_flat_six(out, dtype)):
        name = next(n for n, a in zip(named, out) if not np.isfinite(a).all())
        raise ValueError(
            f"{name} contains NaN or infinity; pass check_finite=False to skip this check"
        )
    return tuple(out)


def check_labels(name: str, value: object) -> np.ndarray:
    """A non-empty 1-D array of integer class labels (floats must be whole numbers)."""
    labels = np.asarray(value)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array of labels, got shape {labels.shape}"
        )
    if labels.dtype.kind in "iub":
        return labels.astype(np.int64, copy=False)
    if labels.dtype.kind == "f" and np.all(np.isfinite(labels)) and np.all(labels % 1 == 0):
        return labels.astype(np.int64)
    raise TypeError(f"{name} must hold integer class labels, got dtype {labels.dtype}")


def check_matrix(
    name: str,
    value: object,
    dtype: np.dtype | None = None,
    *,
    columns: tuple[int, str] | None = None,
    rows: tuple[int, str] | None = None,
) -> np.ndarray:
    """A finite 2-D array as C-contiguous ``dtype`` (default: float32 stays, else float64).

    ``columns``/``rows``: (required size, what requires it), checked with a message naming both.
    """
    array = _as_array(name, value)
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(
            f"{name} must be a non-empty 2-D array (samples x features), got shape {array.shape}"
        )
    for axis, required in ((1, columns), (0, rows)):
        if required is not None and array.shape[axis] != required[0]:
            raise ValueError(
                f"{name} has shape {array.shape}: expected {required[0]} "
                f"{'columns' if axis else 'rows'} to match {required[1]}"
            )
    if dtype is None:
        dtype = result_dtype([array])
    array = kernel_ready(array, dtype)
    if not _all_finite(*_flat_six([array], dtype)):
        raise ValueError(f"{name} contains NaN or infinity")
    return array
