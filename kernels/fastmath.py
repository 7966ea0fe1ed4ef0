"""Vectorisable exp, log and reciprocal, in place on arrays, for the fused rungs and the
general network.

``math.exp`` inside a Numba loop is a scalar libm call that LLVM does not vectorise (about
6 ns per element here); ``scalarmath``'s exp and log are plain arithmetic and integer bit
operations, so a loop over an array calling them runs at SIMD speed (about 1 ns). Each works
in place on a 1-D contiguous float64 array; ``reciprocal_inplace`` needs an int64 scratch
array of at least the same length. Relative error is below 1e-13 over the whole float64
range (tests/test_fastmath.py checks it against NumPy).
"""

import numpy as np
from numba.extending import register_jitable

from .scalarmath import exp, log

RECIPROCAL_MAGIC = 0x7FDE623822FC16E6  # bits(1/y) ~ RECIPROCAL_MAGIC - bits(y), error < 13%
RECIPROCAL_LIMIT = 2.0**1021  # above it the magic guess is not a normal number: 1/y -> 0


@register_jitable
def exp_inplace(x):
    """x[i] = exp(x[i]) (``scalarmath.exp``: 0 below -708, inf above 709)."""
    for i in range(x.shape[0]):
        x[i] = exp(x[i])


@register_jitable
def log_inplace(x):
    """x[i] = log(x[i]) for positive normal x (``scalarmath.log``; the softmax row sums,
    which are >= 1)."""
    for i in range(x.shape[0]):
        x[i] = log(x[i])


@register_jitable
def reciprocal_inplace(x, scratch):
    """x[i] = 1 / x[i] for positive x (huge x, infinity included, give 0).

    LLVM does not vectorise a division loop on this machine (about 1.3 ns per element), so
    this starts from a guess made with integer arithmetic on the bits and refines it by five
    Newton steps r <- r + r (1 - x r), each squaring the relative error (to about 1 ulp).
    """
    n = x.shape[0]
    bits = x.view(np.int64)
    for i in range(n):
        scratch[i] = RECIPROCAL_MAGIC - bits[i]
    guess = scratch[:n].view(np.float64)
    for i in range(n):
        y = x[i]
        r = guess[i]
        for _ in range(5):
            r = r + r * (1.0 - y * r)
        x[i] = 0.0 if y > RECIPROCAL_LIMIT else r
