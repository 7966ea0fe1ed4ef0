"""How many cores a call may use, and the ``blas`` rung's chunks on that many threads.

A call's thread budget is the smallest of the limits the user has set: Numba's threads
(``numba.set_num_threads``, ``NUMBA_NUM_THREADS``) and the threads of every BLAS library
loaded (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, threadpoolctl's limits). The ``blas``
rung's chunks of samples (``kernels.blas``) run on that many Python threads, each chunk's
products in BLAS at one thread (set with threadpoolctl for the call and restored after, as
scikit-learn does around its own threaded loops), so that one pool's worth of threads runs at
any time: the work between the products (bias, sigmoid, softmax, the error terms) on every
core, and never BLAS's threads on top of fastbp's. The chunks and the order their sums are
added in depend on the shapes only, so the result is the same at any thread count.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import numba
import numpy as np

# The BLAS library that Numba's kernels call (SciPy's), loaded with fastbp rather than by the
# first kernel call that makes a product: a threadpoolctl limit covers only the libraries
# loaded when it is set, so one set after ``import fastbp`` now covers the kernels' too
# (the matrix rung at mnist-like ran on two cores inside ``threadpool_limits(1)``; measured).
import scipy.linalg.cython_blas  # noqa: F401
from threadpoolctl import ThreadpoolController


@functools.cache
def _blas_libraries() -> ThreadpoolController:
    """The BLAS libraries (NumPy's, and SciPy's, which Numba's kernels call), found once."""
    return ThreadpoolController().select(user_api="blas")


def budget() -> int:
    """The threads a call may use.

    Numba's thread count, at most the fewest threads of any loaded BLAS library. Read on
    every call of the ``blas`` rung, of ``fastbp.fit``, ``Network.predict`` and
    ``Network.loss_gradient``, and by ``fastbp.choose_rung``.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> import numba
    >>> from threadpoolctl import threadpool_limits
    >>> from fastbp import threads
    >>> threads.budget() <= numba.get_num_threads()
    True
    >>> with threadpool_limits(1, user_api="blas"):  # as OMP_NUM_THREADS=1 would
    ...     threads.budget()
    1
    """
    threads = numba.get_num_threads()
    for library in _blas_libraries().lib_controllers:
        threads = min(threads, max(1, library.num_threads))
    return threads


# Products of fewer rows than this get BLAS at one thread: measured on the project's 2-core
# machine, epochs of 784-128-10 by batches of 32 ran 1.25x faster with one BLAS thread than
# with two, by 48 1.15x, by 64 as fast, by 128 and 256 slower (1.3x, 1.45x); blocks of 256 rows
# of 2-64-64-3 (1 M multiply-adds) ran 3-5% slower on one.
THREADED_ROWS = 64
# Products of fewer multiply-adds than this are left alone: one or two BLAS threads made no
# measurable difference there (2-64-64-3 epochs by batches of 32, 131 K), and setting the
# limit costs about 10 µs (threadpoolctl), a quarter of a predict on the 150 Iris flowers.
# OpenBLAS itself runs a product below this size on one thread.
SMALL_PRODUCT_WORK = 262_144


def product_threads(rows: int, sizes: Sequence[int]) -> int:
    """The BLAS threads for a network's products on ``rows`` samples at a time.

    1 when ``rows`` is below THREADED_ROWS and the largest product, ``rows`` times the
    largest ``sizes[i] * sizes[i + 1]``, has SMALL_PRODUCT_WORK multiply-adds or more;
    else ``budget()``.

    Parameters
    ----------
    rows : int
        The samples of one product (a batch, or a kernel's block).
    sizes : sequence of int
        The network's layer widths, input first.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> from fastbp import threads
    >>> threads.product_threads(32, (784, 128, 10))  # 3.2 M multiply-adds: one thread
    1
    >>> threads.product_threads(256, (784, 128, 10)) == threads.budget()  # 256 rows
    True
    >>> threads.product_threads(150, (4, 16, 3)) == threads.budget()  # 9600: no limit set
    True
    """
    return 1 if rows < THREADED_ROWS and not _small_products(rows, sizes) else budget()


def _small_products(rows: int, sizes: Sequence[int]) -> bool:
    """Whether every product of a network of these widths on ``rows`` samples has fewer
    than SMALL_PRODUCT_WORK multiply-adds (BLAS threads none of them)."""
    work = rows * max(n_in * n_out for n_in, n_out in itertools.pairwise(sizes))
    return work < SMALL_PRODUCT_WORK


@contextlib.contextmanager
def blas_threads(count: int) -> Iterator[None]:
    """Inside: every loaded BLAS library at ``count`` threads at most (restored on exit).

    Parameters
    ----------
    count : int
        The most threads a BLAS call may use inside; libraries already at that or fewer are
        left alone.

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> from fastbp import threads
    >>> with threads.blas_threads(1):
    ...     {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}
    {1}
    """
    libraries = _blas_libraries()
    if all(library.num_threads <= count for library in libraries.lib_controllers):
        yield
        return
    with libraries.limit(limits=count):
        yield


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max(1, numba.config.NUMBA_NUM_THREADS - 1), "fastbp")


if hasattr(os, "register_at_fork"):  # a forked child has none of the pool's threads: a new pool
    os.register_at_fork(after_in_child=_pool.cache_clear)


def _on_threads(step: Callable[[int], None], threads: int) -> None:
    """step(0) on this thread and step(1) ... step(threads - 1) on the pool's, at once."""
    others = [_pool().submit(step, part) for part in range(1, threads)]
    try:
        step(0)
    finally:
        for done in others:
            done.result()


def chunked_gradients(module: ModuleType, compiled: bool = True) -> Callable:
    """``gradients(X, T, W1, b1, W2, b2)`` of a rung whose module computes them by chunks.

    The chunks (``module.chunk_count``: as many as the work pays for, by the shapes alone)
    run on ``budget()`` threads, BLAS at one thread each, or one after another with
    ``compiled=False`` (the plain twin, every function its plain Python); the sums are added
    in chunk order, in ranges on the same threads. BLAS's limits are left alone when no
    product is large enough for BLAS to thread (SMALL_PRODUCT_WORK). What
    ``fastbp.gradients`` runs for ``rung="blas"``.

    Parameters
    ----------
    module : module
        The rung's kernel module (``fastbp.kernels.blas``, which sets ``CHUNKED``).
    compiled : bool, default True
        False runs the plain twin.

    Returns
    -------
    callable
        ``gradients(X, T, W1, b1, W2, b2) -> (dW1, db1, dW2, db2, cost)``, on arrays the
        API has checked (Numba checks no bounds).

    Examples
    --------
    >>> import numpy as np
    >>> import fastbp
    >>> from fastbp import threads
    >>> from fastbp.kernels import blas
    >>> rng = np.random.default_rng(0)
    >>> X, T = rng.standard_normal((600, 4)), np.eye(3)[rng.integers(0, 3, 600)]
    >>> W1, b1, W2, b2 = (rng.standard_normal(s) for s in [(4, 5), 5, (5, 3), 3])
    >>> dW1, *_, cost = threads.chunked_gradients(blas)(X, T, W1, b1, W2, b2)
    >>> bool(np.array_equal(dW1, fastbp.gradients(X, T, W1, b1, W2, b2, rung="blas").dW1))
    True
    """
    chunk = module.gradients_of_chunk if compiled else module.chunk_gradients
    add = module.add_slab_range if compiled else module.add_slabs

    def gradients(X, T, W1, b1, W2, b2):
        N = X.shape[0]
        D, M = W1.shape
        K = W2.shape[1]
        size = D * M + M * K + M + K
        chunks = module.chunk_count(N, size)
        slabs = np.empty((chunks, size), X.dtype)
        total = np.empty(size, X.dtype)
        costs = np.empty(chunks)
        allowed = budget()
        threads = min(allowed, chunks) if compiled else 1
        # products on a chunk's blocks of rows that BLAS threads none of need no limit
        # (threadpoolctl's costs tens of µs a call)
        block = min(module.BLAS_BLOCK, -(-N // chunks))
        small = _small_products(block, (D, M, K))
        limit = contextlib.nullcontext() if small else blas_threads(1 if threads > 1 else allowed)

        def run_chunks(first: int) -> None:  # chunks first, first + threads, ...
            for c in range(first, chunks, threads):
                start, stop = c * N // chunks, (c + 1) * N // chunks
                costs[c] = chunk(X, T, W1, b1, W2, b2, start, stop, slabs[c])

        def add_range(part: int) -> None:
            add(slabs, total, part * size // threads, (part + 1) * size // threads)

        with limit:
            for step in (run_chunks, add_range):
                _on_threads(step, threads)
        cost = 0.0
        for c in range(chunks):  # chunk order
            cost += costs[c]
        dW1, db1, dW2, db2 = module.unpack(total, D, M, K)
        return dW1, db1, dW2, db2, cost

    gradients.__name__ = gradients.__qualname__ = "gradients"
    return gradients
