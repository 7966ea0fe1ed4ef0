"""The boundary: every public function checks its settings and converts its arrays here.

Settings: ``PARAMETERS`` declares, per parameter name, the values it accepts (an
``Interval``, ``Options`` or None); ``check_parameters`` enforces it and raises
``ParameterError``, which carries the parameter's name so that a caller can report it under
its own name (``names=`` or ``ParameterError.renamed``).

Arrays: one dtype policy (``computation_dtype``) and one shape check, used by the classic
API (``check_arrays``, shapes in the symbols of ``SHAPES``) and by the network
(``check_matrix``). Kernels trust their inputs (Numba does not check bounds), so this layer
guarantees them C-contiguous arrays of one floating dtype whose shapes agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .kernels.checks import all_finite, overlapping

# --- settings -----------------------------------------------------------------------------


_EXACT = {Integral: (int,), Real: (int, float)}  # the plain types of each abstract kind


class Interval(NamedTuple):
    """Numbers of ``kind`` (Integral, Real or (float, np.floating); never a bool) from
    ``low`` to ``high`` (None: unbounded), ends included as ``closed`` says ("both", "left",
    "right" or "neither"). Real numbers must also be finite."""

    kind: type | tuple[type, ...]
    low: float | None
    high: float | None
    closed: str = "both"

    def accepts(self, value: object) -> bool:
        # int and float first: isinstance with an abstract class (Real, Integral) is slow.
        if type(value) not in _EXACT.get(self.kind, (float,)) and (
            isinstance(value, bool | np.bool_) or not isinstance(value, self.kind)
        ):
            return False
        if not (isinstance(value, int) or math.isfinite(value)):  # (ints may exceed floats)
            return False
        left, right = self.closed in ("both", "left"), self.closed in ("both", "right")
        above = self.low is None or value > self.low or (left and value == self.low)
        below = self.high is None or value < self.high or (right and value == self.high)
        return above and below

    def __str__(self) -> str:
        left, right = self.closed in ("both", "left"), self.closed in ("both", "right")
        if self.high is not None:
            word = {Integral: "integer", Real: "number"}.get(self.kind, "float")
            opening, closing = "[" if left else "(", "]" if right else ")"
            return f"a {word} in {opening}{self.low}, {self.high}{closing}"
        if self.kind is Integral:
            lowest = self.low if left else self.low + 1
            named = {0: "a non-negative integer", 1: "a positive integer"}
            return named.get(lowest, f"an integer >= {lowest}")
        if self.low == 0 and not left:
            return "a positive finite number"
        return f"a finite number {'>=' if left else '>'} {self.low}"


class Options(NamedTuple):
    """One of ``values`` (compared with ==)."""

    values: tuple

    def accepts(self, value: object) -> bool:
        return value in self.values

    def __str__(self) -> str:
        return repr(self.values[0]) if len(self.values) == 1 else f"one of {self.values}"


class Flag(NamedTuple):
    """True or False (a Python or NumPy bool; 0 and 1 are not flags)."""

    def accepts(self, value: object) -> bool:
        return isinstance(value, bool | np.bool_)

    def __str__(self) -> str:
        return "True or False"


Constraint = Interval | Options | Flag | None  # None: the value None is allowed

PARAMETERS: dict[str, tuple[Constraint, ...]] = {
    # fastbp.fit
    "learning_rate": (Interval(Real, 0, None, closed="neither"),),
    "momentum": (Interval(Real, 0, 1),),
    "epochs": (Interval(Integral, 0, None),),
    "batch_size": (None, Interval(Integral, 1, None)),
    "tol": (None, Interval(Real, 0, None)),
    "n_iter_no_change": (Interval(Integral, 1, None),),
    "shuffle": (Flag(),),
    "validation_fraction": (None, Interval((float, np.floating), 0, 1, closed="neither")),
    "seed": (Interval(Integral, 0, None),),
    "nesterov": (Flag(),),
    "beta_1": (Interval(Real, 0, 1, closed="left"),),
    "beta_2": (Interval(Real, 0, 1, closed="left"),),
    "epsilon": (Interval(Real, 0, None, closed="neither"),),
    "alpha": (Interval(Real, 0, None),),
    "power_t": (Interval(Real, 0, None),),
    "max_fun": (Interval(Integral, 1, None),),
    # fastbp.train (it passes learning_rate and epochs on to fit)
    "hidden": (Interval(Integral, 1, None),),
    "report_every": (Interval(Integral, 1, None),),
    "callback_every": (Interval(Integral, 1, None),),
    # fastbp.Network: each of its sizes, a layer width; its flags
    "sizes": (Interval(Integral, 1, None),),
    "bias": (Flag(),),
    "bias_trick": (Flag(),),
    # fastbp.datasets.three_clouds and the study (python -m fastbp study)
    "n_per_class": (Interval(Integral, 1, None),),
    "repeat": (Interval(Integral, 1, None),),
    "min_time": (Interval(Real, 0, None),),
    # python -m fastbp compile: processes at a time
    "jobs": (Interval(Integral, 1, None),),
    # fastbp.distributed: generated data, chunks, a LocalCluster
    "samples": (Interval(Integral, 1, None),),
    "chunk": (Interval(Integral, 1, None),),
    "workers": (Interval(Integral, 1, None),),
    "threads_per_worker": (Interval(Integral, 1, None),),
}


class ParameterError(ValueError):
    """A setting outside its constraints. ``parameter``: the name it was checked under;
    ``value``: what it got; ``expected``: the constraints in words. The message names the
    parameter as ``shown`` (default: ``parameter``)."""

    def __init__(self, parameter: str, value: object, expected: str, shown: str | None = None):
        self.parameter, self.value, self.expected = parameter, value, expected
        self.shown = parameter if shown is None else shown
        super().__init__(f"{self.shown} must be {expected}, got {value!r}")

    def renamed(self, names: Mapping[str, str]) -> ParameterError:
        """The same error, its parameter shown as ``names`` translates it (if listed)."""
        shown = names.get(self.parameter, self.shown)
        return ParameterError(self.parameter, self.value, self.expected, shown)

    def __reduce__(self):  # picklable despite the extra arguments
        return ParameterError, (self.parameter, self.value, self.expected, self.shown)


def check_parameters(
    values: Mapping[str, object],
    *,
    names: Mapping[str, str] | None = None,
    table: Mapping[str, Sequence[Constraint]] = PARAMETERS,
) -> None:
    """Check each value against the constraints of its name in ``table`` (PARAMETERS, or a
    caller's own, such as the options of a Network): it must satisfy one of them. Raises
    ParameterError for the first that does not, naming the parameter as ``names`` translates
    it (e.g. ``{"learning_rate": "learning_rate_init"}``)."""
    for name, value in values.items():
        constraints = table[name]
        for constraint in constraints:
            if value is None if constraint is None else constraint.accepts(value):
                break
        else:
            words = ["None" if c is None else str(c) for c in constraints]
            expected = " or ".join([", ".join(words[:-1]), words[-1]] if words[1:] else words)
            raise ParameterError(name, value, expected, (names or {}).get(name))


# --- dtypes -------------------------------------------------------------------------------

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(name: str, dtype: object) -> np.dtype:
    """``dtype`` as np.float32 or np.float64; anything else is a TypeError naming ``name``."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got {dtype!r}")
    return resolved


def computation_dtype(arrays: Iterable[np.ndarray], dtype: DTypeLike | None = None) -> np.dtype:
    """The dtype to compute in: ``dtype`` if given (float32 or float64), else float32 when
    there are floating arrays and every one is float32, else float64 (int and bool arrays
    are converted, so they do not count)."""
    if dtype is not None:
        return check_dtype("dtype", dtype)
    single = False
    for array in arrays:
        if array.dtype.kind == "f":
            if array.dtype != FLOAT_DTYPES[0]:
                return FLOAT_DTYPES[1]
            single = True
    return FLOAT_DTYPES[0] if single else FLOAT_DTYPES[1]


# --- arrays -------------------------------------------------------------------------------

# The shape of each array argument, in symbolic dimensions (y: the estimators' targets).
SHAPES: dict[str, tuple[str, ...]] = {
    "X": ("N", "D"),
    "T": ("N", "K"),
    "Z": ("N", "M"),
    "Y": ("N", "K"),
    "W1": ("D", "M"),
    "b1": ("M",),
    "W2": ("M", "K"),
    "b2": ("K",),
    "y": ("N", "K"),
}


_EMPTY = {dtype: np.empty(0, dtype) for dtype in FLOAT_DTYPES}  # pads all_finite's arguments
FINITE_HINT = "; pass check_finite=False to skip this check"  # the classic API's


def _describe(shape: tuple[str, ...]) -> str:
    return "(" + ", ".join(shape) + ("," if len(shape) == 1 else "") + ")"


def _wanted(symbols: tuple[str, ...], expected: str | None) -> str:
    """What an array of these symbolic dimensions should be, in words."""
    return expected or f"{len(symbols)}-D array of shape {_describe(symbols)}"


def check_dtype_kind(name: str, dtype: np.dtype) -> None:
    """The dtype rule for arrays: real numbers (float32 or float64; int and bool are
    converted); anything else is a TypeError naming ``name``."""
    if dtype.kind not in "fiub":
        raise TypeError(
            f"{name} must hold real numbers (float32 or float64; int/bool are converted), "
            f"got dtype {dtype}"
        )
    if dtype.kind == "f" and dtype.itemsize > 8:
        raise TypeError(f"{name} must be float32 or float64, got dtype {dtype}")


def _as_array(name: str, value: object) -> np.ndarray:
    array = value if type(value) is np.ndarray else np.asarray(value)
    check_dtype_kind(name, array.dtype)
    return array


def kernel_ready(array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``array`` as a C-contiguous, writeable array of ``dtype``, copied only if needed. A
    read-only array (a memory map, say) would make Numba compile every kernel once more."""
    if array.dtype != dtype or not array.flags.c_contiguous or not array.flags.writeable:
        return np.array(array, dtype=dtype, order="C")
    return array


_CODES = {dtype: dtype.char for dtype in FLOAT_DTYPES}  # "f", "d": cheaper to hash


def ready_key(arrays: Sequence[object]) -> tuple | None:
    """(dtype code, shape, shape, ...) when every one of ``arrays`` is already what a kernel
    takes (a C-contiguous, writeable NumPy array of one dtype, float32 or float64), else
    None.

    It describes the arrays completely for the checks of ``check_arrays``: a caller that
    ran those once for a key may remember that they passed (finiteness aside, which depends
    on the values), and skip them for arrays of the same key. A few attribute reads per
    array, so that a small call does not pay the full check each time."""
    if type(arrays[0]) is not np.ndarray:
        return None
    dtype = arrays[0].dtype
    key = [_CODES.get(dtype)]
    if key[0] is None:
        return None
    for array in arrays:
        if type(array) is not np.ndarray or array.dtype is not dtype:
            return None
        flags = array.flags
        if not (flags.c_contiguous and flags.writeable):
            return None
        key.append(array.shape)
    return tuple(key)


def check_finite_arrays(named: Mapping[str, np.ndarray], hint: str = "") -> None:
    """ValueError naming the first of the ``named`` arrays (C-contiguous, one float dtype,
    six at most) that holds NaN or infinity; one compiled pass when all are finite."""
    arrays = list(named.values())
    flat = [a.reshape(-1) for a in arrays]
    if not all_finite(*flat, *[_EMPTY[arrays[0].dtype]] * (6 - len(flat))):
        name = next(n for n, a in named.items() if not np.isfinite(a).all())
        raise ValueError(f"{name} contains NaN or infinity{hint}")


def _check_shapes(
    named: Mapping[str, object], sizes: dict[str, tuple[int, str]], expected: str | None
) -> None:
    """The shapes of the named arrays (anything with ``shape``) against ``SHAPES``: no
    dimension is zero and each agrees with ``sizes`` (filled in as they are read)."""
    for name, array in named.items():
        symbols, shape = SHAPES[name], tuple(array.shape)
        if len(shape) != len(symbols):
            raise ValueError(
                f"{name} must be a {_wanted(symbols, expected)}, got {len(shape)}-D with "
                f"shape {shape}"
            )
        if 0 in shape:
            axis = shape.index(0)
            raise ValueError(
                f"{name} must be a {_wanted(symbols, expected)}, got shape {shape}: "
                f"{symbols[axis]} (axis {axis}) must be at least 1"
            )
        for axis, (symbol, size) in enumerate(zip(symbols, shape)):
            bound = sizes.get(symbol)
            if bound is None:
                sizes[symbol] = (size, name)
            elif bound[0] != size:
                word = ("rows", "columns")[axis] if len(shape) == 2 else "entries"
                raise ValueError(
                    f"{name} has shape {shape}, expected {_describe(symbols)} with "
                    f"{symbol}={bound[0]} {word} as given by {bound[1]}"
                )


def _checked(
    named: Mapping[str, object],
    dtype: DTypeLike | None,
    check_finite: bool,
    sizes: dict[str, tuple[int, str]],
    expected: str | None = None,
    hint: str = "",
) -> list[np.ndarray]:
    """The one array check: the named arrays (shapes from ``SHAPES``) converted to one
    computation dtype; their dimensions are non-zero and agree with ``sizes`` (symbol ->
    (size, what gave it), filled in as the arrays are read). ``expected``: what a wrong
    array should have been, in words (default: its symbolic shape)."""
    arrays = [_as_array(name, value) for name, value in named.items()]
    dtype = computation_dtype(arrays, dtype)
    _check_shapes(dict(zip(named, arrays)), sizes, expected)
    out = [kernel_ready(array, dtype) for array in arrays]
    if check_finite:
        check_finite_arrays(dict(zip(named, out)), hint)
    return out


def check_arrays(check_finite: bool, **named: object) -> tuple[np.ndarray, ...]:
    """The classic API's arrays (names from ``SHAPES``), validated and converted in order.

    Raises TypeError for a non-numeric dtype and ValueError for a wrong number of dimensions,
    an empty dimension, a shape that disagrees with another argument, or (when
    ``check_finite``) a NaN or infinity. Returns C-contiguous arrays of one float dtype
    (``computation_dtype``).
    """
    return tuple(_checked(named, None, check_finite, {}, hint=FINITE_HINT))


def check_device_arrays(**named: object) -> dict[str, int]:
    """The shapes of the classic API's arrays on a GPU (numba device arrays, names from
    ``SHAPES``), checked as ``check_arrays`` checks them, and their dtype: one of float32 and
    float64 for all (nothing is converted on the device). Returns the sizes by symbol
    ("N", "D", "M", "K": those the arrays give)."""
    sizes: dict[str, tuple[int, str]] = {}
    _check_shapes(named, sizes, None)
    first, dtype = next(iter(named)), np.dtype(next(iter(named.values())).dtype)
    for name, array in named.items():
        if np.dtype(array.dtype) not in FLOAT_DTYPES or np.dtype(array.dtype) != dtype:
            raise TypeError(
                f"arrays on a GPU must all be float32 or all float64 (nothing is converted "
                f"there): {name} has dtype {np.dtype(array.dtype)}, {first} {dtype}"
            )
    return {symbol: size for symbol, (size, _) in sizes.items()}


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
    dtype: DTypeLike | None = None,
    *,
    columns: tuple[int, str] | None = None,
    rows: tuple[int, str] | None = None,
) -> np.ndarray:
    """A finite, non-empty 2-D array (the network's X or T, the estimators' y) as
    C-contiguous ``dtype`` (default: ``computation_dtype``).

    ``columns``/``rows``: (required size, what requires it), checked with a message naming both.
    """
    rows_symbol, columns_symbol = SHAPES[name]
    sizes = {} if rows is None else {rows_symbol: rows}
    if columns is not None:
        sizes[columns_symbol] = columns
    wanted = "non-empty 2-D array (samples x features)"
    (array,) = _checked({name: value}, dtype, True, sizes, wanted)
    return array


def check_sample_weight(sample_weight: ArrayLike | None, n: int, dtype: DTypeLike) -> np.ndarray:
    """The weights as an array of n finite, non-negative values with a positive sum, in
    ``dtype`` (empty for None: every weight 1)."""
    if sample_weight is None:
        return np.empty(0, dtype)
    weights = np.asarray(sample_weight)
    if weights.dtype.kind not in "fiub" or weights.shape != (n,):
        raise ValueError(
            f"sample_weight must be a 1-D array of {n} numbers (one per sample), got "
            f"dtype {weights.dtype}, shape {weights.shape}"
        )
    if not np.isfinite(weights).all() or (weights < 0).any() or not weights.sum() > 0:
        raise ValueError("sample_weight must be finite and non-negative, and not all zero")
    return kernel_ready(weights, dtype)


GRADIENT_NAMES = ("dW1", "db1", "dW2", "db2")  # the arrays of ``out`` (fastbp.gradients)


def check_out(out: object, shapes: Sequence[tuple[int, ...]], dtype: np.dtype) -> tuple:
    """``out`` as a tuple of four NumPy arrays (dW1, db1, dW2, db2) of these ``shapes`` and
    ``dtype``, each C-contiguous and writeable; TypeError or ValueError naming the one that
    is not. Whether they overlap depends on the memory, not the key: ``check_disjoint``."""
    if not isinstance(out, tuple | list) or len(out) != len(GRADIENT_NAMES):
        raise TypeError(
            f"out must be a tuple of four arrays (dW1, db1, dW2, db2), got {type(out).__name__}"
            + (f" of length {len(out)}" if isinstance(out, tuple | list) else "")
        )
    for position, (array, shape) in enumerate(zip(out, shapes)):
        name = f"out[{position}] ({GRADIENT_NAMES[position]})"
        if not isinstance(array, np.ndarray):
            raise TypeError(f"{name} must be a NumPy array, got {type(array).__name__}")
        if array.dtype != dtype:
            raise TypeError(f"{name} must have the result's dtype {dtype}, got {array.dtype}")
        if array.shape != tuple(shape):
            raise ValueError(f"{name} must have shape {tuple(shape)}, got {array.shape}")
        if not (array.flags.c_contiguous and array.flags.writeable):
            raise ValueError(f"{name} must be a C-contiguous, writeable array")
    return tuple(out)


def check_disjoint(out: tuple) -> None:
    """ValueError if two of ``out``'s arrays (checked by ``check_out``) overlap in memory:
    the gradients written there would overwrite each other."""
    if overlapping(*out):
        raise ValueError("out's four arrays must not overlap in memory")
