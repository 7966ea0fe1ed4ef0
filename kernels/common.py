"""Settings shared by the compiled kernels, and the numerically stable activations of the
ladder rungs (plain Python and Numba alike).

The whole-array rungs (``rows``, ``outer``, ``matrix``) write an update in place as a ufunc
with ``out`` (``np.add(a, b, a)`` for ``a += b``, ``np.add(c, d, a[n])`` for ``a[n] = c + d``)
and a sum along an axis as a product with a ones vector or a loop of such updates: Numba
compiles ``a += b``, ``a[n] = b``, ``np.where`` and ``a.sum(axis=...)`` with error paths that
format their shapes into messages, about 1.5 s of a rung's first call from an empty cache
(the package docstring of ``fastbp.kernels`` says the same of the fused rungs)."""

import math

import numpy as np
from numba.extending import register_jitable

BLOCK = 256  # samples per block of the fused rungs and the general network
# Reassociation lets LLVM vectorise the sums over samples; contraction allows FMA. No NaN/inf
# assumptions: the kernels rely on exp over- and underflowing to inf and 0.
FASTMATH = {"reassoc", "contract"}


@register_jitable
def sigmoid_scalar(x):
    """1 / (1 + exp(-x)) without overflow: exp is only taken of -|x|.

    The ladder has three sigmoids on purpose, one per way of computing it that a rung shows:
    this scalar one with libm's exp (``loops``, the formula as it reads), ``sigmoid`` below
    on whole arrays (``rows``, ``matrix``) and ``scalarmath.sigmoid``, plain arithmetic
    that LLVM vectorises, in registers (``narrow``) and in loops over blocks (``fused``,
    ``parallel``, ``blas`` and the general network)."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@register_jitable
def copy_into(target, source):
    """target[...] = source for C-contiguous arrays of one shape, as a loop (the package
    docstring says why not a slice assignment); casts to target's dtype."""
    flat_target, flat_source = target.reshape(-1), source.reshape(-1)
    for i in range(flat_source.shape[0]):
        flat_target[i] = flat_source[i]


@register_jitable
def sigmoid(a, out):
    """out = sigmoid(a) elementwise, stable, for C-contiguous arrays of one shape (out may be
    a); out keeps its dtype. One of the ladder's three sigmoids: ``sigmoid_scalar``.

    With e = exp(-|x|), the numerator max(e, x >= 0) is 1 where x >= 0 and e elsewhere:
    ``sigmoid_scalar``'s two branches as whole-array arithmetic, bit for bit the values of
    ``out[:] = np.where(x >= 0, 1 / (1 + e), e / (1 + e))``, which ran 1.5x slower."""
    x = a.reshape(-1)
    e = np.exp(-np.abs(x))
    np.divide(np.maximum(e, x >= 0), 1.0 + e, out.reshape(-1))


@register_jitable
def softmax_inplace(a):
    """Replace the 1-D vector ``a`` by softmax(a), shifting by its maximum first."""
    np.subtract(a, a.max(), a)
    np.exp(a, a)
    np.divide(a, a.sum(), a)
