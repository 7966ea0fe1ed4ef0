"""Rung ``blas``: the fused pass for wide layers, matrix products on blocks (fastbp's own).

The samples are cut into ``chunk_count`` chunks (a number that depends on the shapes only).
Per block of at most ``BLAS_BLOCK`` samples of a chunk the four products go to BLAS (``np.dot``
into buffers allocated once per chunk); the sigmoid is ``scalarmath``'s, as in ``fused``. The
output layer is fused here: bias, softmax, log-likelihood and error in one pass with one SIMD
log and one SIMD reciprocal per row, about 10% faster a step than the network's separate
softmax and cross-entropy (which take a scalar log per row). No N-sized temporaries, so no
page faults from freed large arrays. Each chunk writes its sums to its own
slab, and the slabs are added in chunk order: the same result whichever thread ran which
chunk. ``fastbp.threads`` runs the chunks (``gradients_of_chunk``) and then ranges of the
sums (``add_slab_range``) on threads, BLAS at one thread each; the plain twin runs the same
functions as Python, one after another. The products run in the input dtype; exp and the
cost in float64.

``forward`` and the four derivatives are the ``matrix`` rung's: given Z and Y there is
nothing left to fuse.
"""

import numpy as np
from numba.extending import register_jitable

from .activations import SIGMOID, multiply_by_derivative
from .caching import cached_njit
from .common import FASTMATH, copy_into
from .fastmath import exp_inplace, log_inplace, reciprocal_inplace
from .layers import add_column_sums
from .matrix import derivative_b1, derivative_b2, derivative_w1, derivative_w2, forward
from .scalarmath import sigmoid

__all__ = ["derivative_b1", "derivative_b2", "derivative_w1", "derivative_w2", "forward"]

CHUNKED = True  # the API runs gradients' chunks on threads (fastbp.threads.chunked_gradients)

BLAS_BLOCK = 1024  # most samples in one product
CHUNK_ROWS = 256  # fewest samples of a chunk: products of fewer rows run below BLAS's peak
# Least work of a chunk, N * size / chunks (size: D*M + M*K + M + K): handing chunks to a
# thread and back costs about 75 µs here (fastbp.threads), and each chunk's blocks and slab
# more calls and sums. Measured on the project's 2-core machine, public gradients in µs, one
# chunk / 256 samples a chunk: 1500 x 2-3-3 (1 / 5 chunks) 79-81 / 87-150, 20000 x 2-3-3
# (1 / 16) 814-897 / 1140-1184. Not more: 1500 x 20-50-10 (2.3 M) took 424-432 µs in 6
# chunks, 474-566 in 3 to 5, 887-922 in 2 and 667-826 in 1 (its blocks of 750 rows and more
# run slowly). From size 1563 on, 256 samples hold 400 K: those shapes keep the chunks of 256
# samples (the small-wide step's 5, every wide layer's).
CHUNK_WORK = 400_000
MAX_CHUNKS = 16
SLAB_VALUES = 1 << 24  # the chunks' sums together at most this many values (128 MiB float64)


@register_jitable
def add_bias_sigmoid(h, b):
    """h[r] = sigmoid(h[r] + b) for each row r, in place (h C-contiguous): the bias row by
    row, then the sigmoid in one loop over the whole block, which LLVM vectorises however
    narrow the layer (at 2-3-3 a chunk of 1500 samples 73.5-73.8 -> 57.9-60.4 µs, of 300
    16 -> 13 µs; the same bits; measured)."""
    rows, width = h.shape
    for r in range(rows):
        for m in range(width):
            h[r, m] += b[m]
    flat = h.reshape(rows * width)
    for i in range(rows * width):
        flat[i] = sigmoid(flat[i])


@register_jitable
def add_bias_softmax_error(a, b, t, work, scratch):
    """a[r] = t[r] - softmax(a[r] + b) in place; returns sum(t * log softmax) of the block
    (work: float64, rows * (width + 2) at least)."""
    rows, width = a.shape
    flat = work[: rows * width]
    sums = work[rows * width : rows * (width + 1)]
    inverse = work[rows * (width + 1) : rows * (width + 2)]
    cost = 0.0
    for r in range(rows):
        top = a[r, 0] + b[0]
        for k in range(1, width):
            top = max(top, a[r, k] + b[k])
        for k in range(width):
            shifted = a[r, k] + b[k] - top
            flat[r * width + k] = shifted
            cost += t[r, k] * shifted
    exp_inplace(flat)
    for r in range(rows):
        total = 0.0
        for k in range(width):
            total += flat[r * width + k]
        sums[r] = total
        inverse[r] = total
    reciprocal_inplace(inverse, scratch)
    log_inplace(sums)
    for r in range(rows):
        for k in range(width):
            a[r, k] = t[r, k] - flat[r * width + k] * inverse[r]
            cost -= t[r, k] * sums[r]
    return cost


@register_jitable
def chunk_count(N, size):
    """The chunks of N samples: CHUNK_ROWS samples and CHUNK_WORK multiply-adds (N * ``size``
    over the chunks) or more each, at most MAX_CHUNKS, their slabs of ``size`` sums together
    at most SLAB_VALUES values. It depends on the shapes only, so that the sums do not depend
    on the threads."""
    return max(1, min(MAX_CHUNKS, N // CHUNK_ROWS, N * size // CHUNK_WORK, SLAB_VALUES // size))


@register_jitable
def chunk_gradients(X, T, W1, b1, W2, b2, first, last, slab):
    """The gradients of samples first..last-1 written into slab (dW1, dW2, db1, db2 flat, in
    X's dtype), by blocks of BLAS_BLOCK samples; returns their log-likelihood."""
    D, M = W1.shape
    K = W2.shape[1]
    dtype = X.dtype
    rows = min(BLAS_BLOCK, last - first)
    Z, A, G = np.empty((rows, M), dtype), np.empty((rows, K), dtype), np.empty((rows, M), dtype)
    work = np.empty(rows * max(M, K + 2))
    scratch = np.empty(rows * max(M, K + 2), dtype=np.int64)
    dW1 = slab[: D * M].reshape((D, M))
    dW2 = slab[D * M : D * M + M * K].reshape((M, K))
    db1 = slab[D * M + M * K : D * M + M * K + M]
    db2 = slab[D * M + M * K + M : D * M + M * K + M + K]
    for m in range(M):
        db1[m] = 0.0
    for k in range(K):
        db2[k] = 0.0
    W1_part, W2_part = np.empty((D, M), dtype), np.empty((M, K), dtype)
    W2_t = W2.T
    cost = 0.0
    for start in range(first, last, rows):
        n = min(rows, last - start)
        x, t, z, a, g = X[start : start + n], T[start : start + n], Z[:n], A[:n], G[:n]
        np.dot(x, W1, z)
        add_bias_sigmoid(z, b1)
        np.dot(z, W2, a)
        cost += add_bias_softmax_error(a, b2, t, work, scratch)  # a = T - Y
        if start == first:  # the first block writes the slab, the others add to it
            np.dot(z.T, a, dW2)
        else:
            np.dot(z.T, a, W2_part)
            add_into(W2_part, dW2)
        add_column_sums(a, db2)
        np.dot(a, W2_t, g)
        multiply_by_derivative(SIGMOID, z, g)
        if start == first:
            np.dot(x.T, g, dW1)
        else:
            np.dot(x.T, g, W1_part)
            add_into(W1_part, dW1)
        add_column_sums(g, db1)
    return cost


@register_jitable
def add_into(part, total):
    """total += part, for two matrices of one shape."""
    for i in range(part.shape[0]):
        for j in range(part.shape[1]):
            total[i, j] += part[i, j]


@register_jitable
def add_slabs(slabs, total, first, last):
    """total[first:last] = the sum of the slabs' entries first..last-1, in chunk order.

    Loops over views from 0: an index from ``range(first, last)`` might be negative for all
    Numba knows, and its wraparound check keeps LLVM from vectorising (16 slabs of 2000
    values: 21 µs against 5.1-5.6 µs; of 203,000, the mnist-like step's: 2.5 against 1.8 ms)."""
    out = total[first:last]
    copy_into(out, slabs[0, first:last])
    for c in range(1, slabs.shape[0]):
        part = slabs[c, first:last]
        for i in range(out.shape[0]):
            out[i] += part[i]


def unpack(total, D, M, K):
    """(dW1, db1, dW2, db2) as views of the flat sums."""
    return (
        total[: D * M].reshape((D, M)),
        total[D * M + M * K : D * M + M * K + M],
        total[D * M : D * M + M * K].reshape((M, K)),
        total[D * M + M * K + M :],
    )


# What fastbp.threads runs on its threads: a chunk, and a range of the sums, without the GIL.
# error_model="numpy", as in ``fused``: the sigmoid's division (by 1 + exp, never 0) has no
# ZeroDivisionError branch, which would stop LLVM vectorising its loop (1.4-1.9x slower).
gradients_of_chunk = cached_njit(fastmath=FASTMATH, nogil=True, error_model="numpy")(
    chunk_gradients
)
add_slab_range = cached_njit(nogil=True)(add_slabs)
