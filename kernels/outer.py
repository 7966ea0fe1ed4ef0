"""Rung ``outer``: one loop over samples, each adding an outer product to the weight gradient.

The bias gradients and the forward pass have no outer product in them, so this rung shares
``rows``' versions of those (re-exported here so that every rung offers the full set).
"""

import numpy as np

from .caching import cached_njit
from .rows import derivative_b1, derivative_b2, forward

__all__ = ["derivative_b1", "derivative_b2", "derivative_w1", "derivative_w2", "forward"]


@cached_njit()
def derivative_w2(Z, T, Y):
    """dW2 = sum_n outer(Z[n], T[n] - Y[n]) (M x K)."""
    out = np.zeros((Z.shape[1], T.shape[1]), dtype=Z.dtype)
    for n in range(Z.shape[0]):
        np.add(out, np.outer(Z[n], T[n] - Y[n]), out)
    return out


@cached_njit()
def derivative_w1(X, Z, T, Y, W2):
    """dW1 = sum_n outer(X[n], dZ[n]), dZ[n] = ((T[n] - Y[n]) @ W2.T) * Z[n] * (1 - Z[n])."""
    out = np.zeros((X.shape[1], W2.shape[0]), dtype=X.dtype)
    for n in range(X.shape[0]):
        np.add(out, np.outer(X[n], (W2 @ (T[n] - Y[n])) * Z[n] * (1 - Z[n])), out)
    return out
