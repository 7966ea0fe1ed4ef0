"""What runs in the tasks: each chunk validated and converted on its worker, with the
task's share of the Numba threads, and the partial sums added."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any

import distributed
import numba
import numpy as np

from .._validation import _EMPTY, check_labels, kernel_ready
from ..datasets import one_hot
from ..kernels.checks import all_finite

SHOWN_ROWS = 10  # rows named in a non-finite error
# The Numba threads the tasks of a worker of ``cluster.local_cluster`` share, in the worker's
# environment. Not NUMBA_NUM_THREADS: a nanny sets its worker's environment after the new
# process has imported the client's main module (distributed's Nanny docstring says so of
# ``env``); when that module imports Numba, Numba has read its thread count by then, and a
# NUMBA_NUM_THREADS set later that differs makes its next compile raise "Cannot set
# NUMBA_NUM_THREADS to a different value once the threads have been launched".
WORKER_THREADS = "FASTBP_WORKER_THREADS"


# --- in the tasks ------------------------------------------------------------------------------


def worker_threads() -> int:
    """The Numba threads of this process's tasks: Numba's, at most ``WORKER_THREADS`` where
    the environment sets it (a worker of ``cluster.local_cluster``)."""
    most = numba.config.NUMBA_NUM_THREADS
    return min(most, int(os.environ.get(WORKER_THREADS, most)))


def task_threads() -> int:
    """The Numba threads a task may use.

    Returns
    -------
    int
        On a distributed worker, its Numba threads (``worker_threads``) divided among its
        Dask threads (at least 1); in the threaded scheduler's pool, 1; in the client's main
        thread (the synchronous scheduler), all of Numba's.
    """
    try:
        worker = distributed.get_worker()
    except ValueError:
        main = threading.current_thread() is threading.main_thread()
        return numba.config.NUMBA_NUM_THREADS if main else 1
    return max(1, worker_threads() // worker.state.nthreads)


def in_task(function: Callable) -> Callable:
    """``function`` run with the task's share of the Numba threads (a per-thread setting)."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        numba.set_num_threads(task_threads())
        return function(*args, **kwargs)

    return run


def finite(name: str, values: np.ndarray, dtype: np.dtype, start: int, hint: str) -> np.ndarray:
    """``values`` (a chunk of rows from ``start``) as a C-contiguous, writeable ``dtype``
    array; the in-memory ValueError, with the offending rows, if one holds NaN or infinity."""
    values = kernel_ready(np.asarray(values), dtype)
    if all_finite(values.reshape(-1), *[_EMPTY[dtype]] * 5):
        return values
    bad = np.flatnonzero(~np.isfinite(values.reshape(len(values), -1)).all(axis=1)) + start
    rows = ", ".join(map(str, bad[:SHOWN_ROWS])) + (" ..." if len(bad) > SHOWN_ROWS else "")
    raise ValueError(f"{name} contains NaN or infinity (rows {rows}){hint}")


@in_task
def checked_pair(
    X: np.ndarray,
    T: np.ndarray,
    start: int,
    dtype: np.dtype,
    check_finite: bool,
    hint: str,
    classes: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """One chunk, validated and converted: (X, T), T one-hot from labels when ``classes``."""
    if check_finite:
        X = finite("X", X, dtype, start, hint)
    else:
        X = kernel_ready(np.asarray(X), dtype)
    if classes is not None:
        return X, one_hot(check_labels("labels", T), classes, dtype)
    return X, finite("T", T, dtype, start, hint) if check_finite else kernel_ready(T, dtype)


def add_sums(*parts: np.ndarray) -> np.ndarray:
    """The partial sums, added in the order given."""
    return functools.reduce(np.add, parts)
