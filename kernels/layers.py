"""A layer's arithmetic on blocks of samples: matrix products by the BLAS rule, the bias.

Products of ``BLAS_MIN_FLOPS`` multiply-adds or more go to BLAS (of ``ROW_BLAS_MIN_FLOPS``
for a single row), except outer products (inner dimension 1); the others run as vectorisable
loops. The two products are inlined into the network kernels: per-sample SGD of 2-64-64-3
takes 4.8 µs a step instead of 5.5, for 1.7 s more compiling of the network epoch (measured
from an empty cache).
"""

import numpy as np
from numba.extending import register_jitable

# Measured: a 64x64 outer product 0.65 us as a loop, 2.0 us in BLAS; a 32x64 by 64x3
# product 6.7 us as a loop, 0.58 us in BLAS.
BLAS_MIN_FLOPS = 2048
# A single row (per-sample SGD, or predicting one sample) by a matrix runs as a loop over
# the matrix's rows up to this size: 2-64-64-3 per-sample SGD 7.3-7.7 -> 6.4-7.0 µs a step
# here, 64-96-96-10 18.3-20.3 -> 17.1-18.7 µs, no slower at 20-100-10 or 10-120-130-10.
ROW_BLAS_MIN_FLOPS = 16384


@register_jitable(inline="always")
def product(a, b, out, accumulate, spare):
    """out = a @ b, or out += a @ b when ``accumulate``, for a (rows x inner, inner >= 1) and
    b (inner x cols); spare: a buffer of out's size."""
    rows, inner = a.shape
    cols = b.shape[1]
    if inner > 1 and rows * inner * cols >= (BLAS_MIN_FLOPS if rows > 1 else ROW_BLAS_MIN_FLOPS):
        if accumulate:
            result = spare[: rows * cols].reshape((rows, cols))
            np.dot(a, b, result)
            for r in range(rows):
                for j in range(cols):
                    out[r, j] += result[r, j]
        else:
            np.dot(a, b, out)
        return
    for r in range(rows):
        v = a[r, 0]
        if accumulate:
            for j in range(cols):
                out[r, j] += v * b[0, j]
        else:  # the first term assigns: zeroing first cost a memset call per product
            for j in range(cols):
                out[r, j] = v * b[0, j]
        for p in range(1, inner):
            v = a[r, p]
            for j in range(cols):
                out[r, j] += v * b[p, j]


@register_jitable(inline="always")
def product_transposed(a, b, out):
    """out = a @ b.T, as dot products of rows when small."""
    rows, inner = a.shape
    cols = b.shape[0]
    if inner > 1 and rows * inner * cols >= (BLAS_MIN_FLOPS if rows > 1 else ROW_BLAS_MIN_FLOPS):
        np.dot(a, b.T, out)
        return
    for r in range(rows):
        for j in range(cols):
            total = 0.0
            for p in range(inner):
                total += a[r, p] * b[j, p]
            out[r, j] = total


@register_jitable
def add_row(a, row):
    """a[r] += row for every row r of the B x n block ``a`` (a bias)."""
    for r in range(a.shape[0]):
        for j in range(a.shape[1]):
            a[r, j] += row[j]


@register_jitable
def add_column_sums(a, out):
    """out += a.sum(axis=0) (a bias's gradient)."""
    for r in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[j] += a[r, j]
