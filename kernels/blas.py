"""Rung ``blas``: the fused pass for wide layers, matrix products on blocks (fastbp's own).

Per block of ``BLAS_BLOCK`` samples the four products go to BLAS (``np.dot`` into buffers
allocated once per call); the sigmoid is the general network's (``activations``). The output
layer is fused here: bias, softmax, log-likelihood and error in one pass with one SIMD log and
one SIMD reciprocal per row, about 10% faster a step than the network's separate softmax and
cross-entropy (which take a scalar log per row). No N-sized temporaries, so no page faults
from freed large arrays, and BLAS's own threads use the cores. The products run in the input
dtype; exp and the cost in float64.

``forward`` and the four derivatives are the ``matrix`` rung's: given Z and Y there is
nothing left to fuse.
"""

import numpy as np
from numba.extending import register_jitable

from .activations import SIGMOID, multiply_by_derivative, sigmoid_of_negated
from .caching import cached_njit
from .common import FASTMATH
from .fastmath import exp_inplace, log_inplace, reciprocal_inplace
from .layers import add_column_sums
from .matrix import derivative_b1, derivative_b2, derivative_w1, derivative_w2, forward

__all__ = ["derivative_b1", "derivative_b2", "derivative_w1", "derivative_w2", "forward"]

BLAS_BLOCK = 1024


@register_jitable
def add_bias_sigmoid(h, b, work, scratch):
    """h[r] = sigmoid(h[r] + b) for each row r, in place (work: float64, h.size at least)."""
    rows, width = h.shape
    flat = work[: rows * width]
    for r in range(rows):
        for m in range(width):
            flat[r * width + m] = -(h[r, m] + b[m])
    sigmoid_of_negated(flat, scratch)
    for r in range(rows):
        for m in range(width):
            h[r, m] = flat[r * width + m]


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


@cached_njit(fastmath=FASTMATH)
def gradients(X, T, W1, b1, W2, b2):
    """(dW1, db1, dW2, db2, cost) by blocks of samples with BLAS matrix products."""
    N, D = X.shape
    M, K = W2.shape
    dtype = X.dtype
    dW1, db1 = np.zeros((D, M), dtype), np.zeros(M, dtype)
    dW2, db2 = np.zeros((M, K), dtype), np.zeros(K, dtype)
    rows = min(BLAS_BLOCK, N)
    Z, A, G = np.empty((rows, M), dtype), np.empty((rows, K), dtype), np.empty((rows, M), dtype)
    W1_part, W2_part = np.empty((D, M), dtype), np.empty((M, K), dtype)
    work = np.empty(rows * max(M, K + 2))
    scratch = np.empty(rows * max(M, K + 2), dtype=np.int64)
    W2_t = W2.T
    cost = 0.0
    for start in range(0, N, rows):
        n = min(rows, N - start)
        x, t, z, a, g = X[start : start + n], T[start : start + n], Z[:n], A[:n], G[:n]
        np.dot(x, W1, z)
        add_bias_sigmoid(z, b1, work, scratch)
        np.dot(z, W2, a)
        cost += add_bias_softmax_error(a, b2, t, work, scratch)  # a = T - Y
        np.dot(z.T, a, W2_part)
        dW2 += W2_part
        add_column_sums(a, db2)
        np.dot(a, W2_t, g)
        multiply_by_derivative(SIGMOID, z, g)
        np.dot(x.T, g, W1_part)
        dW1 += W1_part
        add_column_sums(g, db1)
    return dW1, db1, dW2, db2, cost
