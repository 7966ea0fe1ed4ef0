"""Recognising dask arrays without importing dask, and GPU arrays without importing
numba.cuda: the public functions send the former to ``fastbp.distributed`` (which needs the
``dask`` extra), the latter to rung ``cuda`` or the network's GPU kernels (``to_device``
brings the arrays there), and keep their NumPy path as it was."""

from __future__ import annotations

from types import ModuleType

import numpy as np

from ._validation import check_device_arrays, check_dtype_kind
from .kernels.cuda import to_device as device_array


def is_dask(*values: object) -> bool:
    """True if any of ``values`` is a dask collection (it has a task graph)."""
    return any(type(v) is not np.ndarray and hasattr(v, "__dask_graph__") for v in values)


def on_device(*values: object) -> bool:
    """True if any of ``values`` is an array in GPU memory: it has
    ``__cuda_array_interface__`` (CuPy, PyTorch CUDA tensors, numba device arrays) or is a
    numba device array (those of numba-cuda's simulator have no interface)."""
    return any(
        type(v) is not np.ndarray
        and (hasattr(v, "__cuda_array_interface__") or getattr(v, "__cuda_ndarray__", False))
        for v in values
    )


def to_device(cuda: ModuleType, named: dict[str, object]) -> tuple[dict, dict[str, int]]:
    """The arrays of ``named`` as numba device arrays (``cuda``: numba.cuda), in its order:
    those on a GPU read in place, the others copied there in the dtype of the first on a
    GPU (after the check that they hold real numbers); then their shapes and dtype checked
    (``check_device_arrays``). Returns the arrays and the sizes by symbol."""
    arrays = {name: device_array(cuda, a) for name, a in named.items() if on_device(a)}
    dtype = next(iter(arrays.values())).dtype
    for name, value in named.items():
        if name not in arrays:
            host = np.asarray(value)
            check_dtype_kind(name, host.dtype)
            arrays[name] = cuda.to_device(np.ascontiguousarray(host, dtype))
    arrays = {name: arrays[name] for name in named}
    return arrays, check_device_arrays(**arrays)


def distributed() -> ModuleType:
    """``fastbp.distributed``, or an ImportError that says which extra to install."""
    try:
        from . import distributed
    except ModuleNotFoundError as err:
        if (err.name or "").partition(".")[0] not in ("dask", "distributed"):
            raise
        raise ImportError(
            "dask arrays need fastbp's dask extra: pip install 'fastbp[dask]'"
        ) from err
    return distributed
