"""Rung ``parallel``: the fused pass split over cores with ``prange`` (fastbp's own).

The samples are cut into at most ``MAX_CHUNKS`` runs of whole blocks, a number that depends
on N only. Each chunk accumulates into its own slab of memory, padded so that no two slabs
share a cache line (no false sharing), and the slabs are summed in chunk order afterwards:
the result is the same whatever the number of threads or their timing.

Each chunk is ``fused``'s pass over blocks (``fused.gradient_blocks``, and
``fused.forward_rows`` for ``forward``), called by its address (``pointers``): compiled
once for both rungs, not again inside the parallel loop.
The derivative functions, single memory-bound passes over given Z and Y, are the serial
``fused`` ones.
"""

import numpy as np
from numba import prange
from numba.extending import register_jitable

from .blas import add_slabs
from .caching import cached_njit
from .common import BLOCK, FASTMATH
from .fused import (
    block_arguments,
    derivative_b1,
    derivative_b2,
    derivative_w1,
    derivative_w2,
    fill,
    forward_rows,
    gradient_blocks,
    row_arguments,
    sums_ends,
    written_sums,
)
from .pointers import Bound, call_at

__all__ = ["derivative_b1", "derivative_b2", "derivative_w1", "derivative_w2", "forward"]

MAX_CHUNKS = 32
CACHE_LINE = 8  # float64 values in a 64-byte cache line


@register_jitable
def chunk_rows(N, chunks, c):
    """First and last (exclusive) sample of chunk c: whole blocks, spread evenly."""
    blocks = (N + BLOCK - 1) // BLOCK
    first = (c * blocks // chunks) * BLOCK
    last = min(((c + 1) * blocks // chunks) * BLOCK, N)
    return first, last


@register_jitable
def chunk_count(N):
    return min((N + BLOCK - 1) // BLOCK, MAX_CHUNKS)


@register_jitable
def new_slabs(chunks, size):
    """One slab of ``size`` sums per chunk, rounded up to whole cache lines plus one line of
    gap, so that no two threads write to one line (no false sharing); not zeroed: under
    parallel=True ``np.zeros`` would be a parallel loop of its own, threads woken for it."""
    stride = (size + CACHE_LINE - 1) // CACHE_LINE * CACHE_LINE + CACHE_LINE
    return np.empty((chunks, stride))


@register_jitable
def written_slabs(slabs, size, dW1, db1, dW2, db2):
    """The slabs' sums (``fused.sums_ends``) added in chunk order, whichever thread ran which
    chunk (a loop, not ``total += slabs[c]``, a parallel loop under parallel=True), written
    into dW1, db1, dW2, db2; returns the cost."""
    total = np.empty(size)
    add_slabs(slabs, total, 0, size)
    return written_sums(total, dW1, db1, dW2, db2)


@cached_njit(parallel=True, fastmath=FASTMATH, error_model="numpy")
def gradients_from_chunks(blocks, X, T, W1, b1, W2, b2, dW1, db1, dW2, db2):
    """The fused pass, chunks of samples on all cores: ``blocks`` (``fused.gradient_blocks``)
    over each chunk into its own slab, the slabs added in chunk order, the gradients
    written into dW1, db1, dW2, db2 (X's dtype); returns the cost."""
    N = X.shape[0]
    (D, M), K = W1.shape, W2.shape[1]
    size = sums_ends(D, M, K)[3] + 1  # the four gradients and the cost
    chunks = chunk_count(N)
    slabs = new_slabs(chunks, size)
    for c in prange(chunks):
        first, last = chunk_rows(N, chunks, c)
        slab = slabs[c]
        fill(slab, 0.0)
        call_at(blocks, (X, T, W1, b1, W2, b2, first, last, slab[:size]))
    return written_slabs(slabs, size, dW1, db1, dW2, db2)


gradients_into = Bound(gradients_from_chunks, gradient_blocks, block_arguments, marks=True)


@cached_njit(parallel=True, fastmath=FASTMATH, error_model="numpy")
def forward_from_chunks(rows, X, W1, b1, W2, b2):
    """(Y, Z) by blocks, chunks of samples on all cores: ``rows`` (``fused.forward_rows``)
    over each chunk (each writes its own rows)."""
    N = X.shape[0]
    Y = np.empty((N, W2.shape[1]), dtype=X.dtype)
    Z = np.empty((N, W1.shape[1]), dtype=X.dtype)
    chunks = chunk_count(N)
    for c in prange(chunks):
        first, last = chunk_rows(N, chunks, c)
        call_at(rows, (X, W1, b1, W2, b2, first, last, Y, Z))
    return Y, Z


forward = Bound(forward_from_chunks, forward_rows, row_arguments)
