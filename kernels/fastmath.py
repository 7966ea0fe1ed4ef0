"""Vectorisable exp and log for the fused rungs.

``math.exp`` inside a Numba loop is a scalar libm call that LLVM does not vectorise (about
6 ns per element here); these are plain arithmetic and integer bit operations, so they run
at SIMD speed (about 1 ns). Both work in place on 1-D contiguous float64 arrays and need an
int64 scratch array of at least the same length. Relative error is below 1e-13 over the
whole float64 range (tests/test_fastmath.py checks it against NumPy).
"""

import numpy as np
from numba.extending import register_jitable

LOG2_E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two for an exact range reduction
LN2_LO = 1.90821492927058770002e-10
EXP_MIN = -708.0  # exp(EXP_MIN) is still a normal number
EXP_MAX = 709.0  # exp(EXP_MAX) is still finite
RECIPROCAL_MAGIC = 0x7FDE623822FC16E6  # bits(1/y) ~ RECIPROCAL_MAGIC - bits(y), error < 13%
RECIPROCAL_LIMIT = 2.0**1021  # above it the magic guess is not a normal number: 1/y -> 0
MANTISSA = (1 << 52) - 1
INFINITY = 2047 << 52  # the bits of float('inf')
EXPONENT_OF_ONE = 1023 << 52
SQRT2 = 1.4142135623730951
LN2 = 0.6931471805599453


@register_jitable
def exp_inplace(x, scratch):
    """x[i] = exp(x[i]); below -708 the result is 0 and above 709 it is inf (the true value
    there is under 3.3e-308, or over 8.2e307: an absolute error below 3.3e-308 at the low end).

    exp(x) = 2**n * exp(r), n = round(x / ln 2), |r| <= ln(2) / 2; exp(r) by its Taylor
    series to degree 12 (truncation error below 2e-16); 2**n is built in the exponent bits.
    """
    n = x.shape[0]
    for i in range(n):
        v = min(max(x[i], EXP_MIN), EXP_MAX)
        k = np.floor(v * LOG2_E + 0.5)
        r = (v - k * LN2_HI) - k * LN2_LO
        p = 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        bits = (np.int64(k) + 1023) << 52  # the float 2**k
        scratch[i] = 0 if x[i] < EXP_MIN else (INFINITY if x[i] > EXP_MAX else bits)
        x[i] = p * r + 1.0
    scale = scratch[:n].view(np.float64)
    for i in range(n):
        x[i] *= scale[i]


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


@register_jitable
def log_inplace(x, scratch):
    """x[i] = log(x[i]) for positive normal x (the softmax row sums, which are >= 1).

    x = 2**e * m with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(t), t = (m - 1) / (m + 1),
    |t| < 0.172, by its series to t**23 (truncation error below 1e-18).
    """
    n = x.shape[0]
    bits = x.view(np.int64)
    for i in range(n):
        scratch[i] = (bits[i] & MANTISSA) | EXPONENT_OF_ONE
    mantissa = scratch[:n].view(np.float64)
    for i in range(n):
        e = (bits[i] >> 52) - 1023
        m = mantissa[i]
        if m > SQRT2:
            m *= 0.5
            e += 1
        t = (m - 1.0) / (m + 1.0)
        t2 = t * t
        s = 1.0 / 23.0
        s = s * t2 + 1.0 / 21.0
        s = s * t2 + 1.0 / 19.0
        s = s * t2 + 1.0 / 17.0
        s = s * t2 + 1.0 / 15.0
        s = s * t2 + 1.0 / 13.0
        s = s * t2 + 1.0 / 11.0
        s = s * t2 + 1.0 / 9.0
        s = s * t2 + 1.0 / 7.0
        s = s * t2 + 1.0 / 5.0
        s = s * t2 + 1.0 / 3.0
        s = s * t2 + 1.0
        x[i] = 2.0 * t * s + e * LN2
