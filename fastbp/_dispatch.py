"""Recognising dask arrays without importing dask, and GPU arrays without importing
numba.cuda: the public functions send the former to ``fastbp.distributed`` (which needs the
``dask`` extra), the latter to rung ``cuda``, and keep their NumPy path as it was."""

from __future__ import annotations

from types import ModuleType

import numpy as np


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
