"""Scalar exp, log and sigmoid for loops over samples that LLVM vectorises (``narrow``).

``math.exp`` and ``math.log`` are libm calls that LLVM does not vectorise; these are plain
arithmetic and integer bit operations, so a loop over samples that calls them runs 8 samples
at a time with AVX-512. The bit casts between float64 and int64 are tiny compiled
intrinsics (one ``bitcast`` each); in plain Python they are NumPy views, so every function
here also runs uncompiled (``.py_func`` of the kernels that call them). The array versions
in ``fastmath`` loop over these (tests/test_fastmath.py checks both against NumPy).
"""

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload, register_jitable

LOG2_E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two for an exact range reduction
LN2_LO = 1.90821492927058770002e-10
EXP_MIN = -708.0  # exp(EXP_MIN) is still a normal number
EXP_MAX = 709.0  # exp(EXP_MAX) is still finite
MANTISSA = (1 << 52) - 1
INFINITY = 2047 << 52  # the bits of float('inf')
EXPONENT_OF_ONE = 1023 << 52
SQRT2 = 1.4142135623730951
LN2 = 0.6931471805599453


def float_from_bits(bits):
    """The float64 whose IEEE bits are the int64 ``bits``."""
    return np.int64(bits).view(np.float64)


def bits_of_float(value):
    """The IEEE bits of the float64 ``value``, as an int64."""
    return np.float64(value).view(np.int64)


@intrinsic
def _bitcast_to_float(typingctx, bits):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _bitcast_to_int(typingctx, value):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@overload(float_from_bits)
def _float_from_bits(bits):
    return lambda bits: _bitcast_to_float(np.int64(bits))


@overload(bits_of_float)
def _bits_of_float(value):
    return lambda value: _bitcast_to_int(np.float64(value))


@register_jitable
def exp(x):
    """exp(x): 0 below -708 and inf above 709 (the true value there is under 3.3e-308, or
    over 8.2e307); in between 2**n exp(r), n = round(x / ln 2),
    |r| <= ln(2) / 2, exp(r) by its Taylor series to degree 12 (error below 2e-16)."""
    v = min(max(x, EXP_MIN), EXP_MAX)
    n = np.floor(v * LOG2_E + 0.5)
    r = (v - n * LN2_HI) - n * LN2_LO
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
    p = p * r + 1.0
    bits = (np.int64(n) + 1023) << 52  # the float 2**n
    return p * float_from_bits(0 if x < EXP_MIN else (INFINITY if x > EXP_MAX else bits))


@register_jitable
def log(v):
    """log(v) for positive normal v: v = 2**e m with m in [sqrt(1/2), sqrt(2)), log m =
    2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172, by its series to t**23 (truncation error
    below 1e-18)."""
    bits = bits_of_float(v)
    e = (bits >> 52) - 1023
    m = float_from_bits((bits & MANTISSA) | EXPONENT_OF_ONE)
    high = m > SQRT2
    m = m * 0.5 if high else m
    e = e + 1 if high else e
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
    return 2.0 * t * s + e * LN2


@register_jitable
def sigmoid(h):
    """1 / (1 + exp(-h)), silent for any h (exp(-h) saturates to inf, giving 0): the narrow
    rungs' sigmoid, one of the ladder's three (``common.sigmoid_scalar``)."""
    return 1.0 / (1.0 + exp(-h))
