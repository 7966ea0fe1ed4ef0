"""Rung ``rows``: loop over samples (and one more index), vector operations along a row.

The first vectorisation step a learner takes: the innermost loop becomes a NumPy row update
(written ``np.add(a, b, a)`` for ``a += b``: ``common`` says why).
"""

import numpy as np

from .caching import cached_njit
from .common import sigmoid, softmax_inplace


@cached_njit()
def forward(X, W1, b1, W2, b2):
    """Per sample n: Z[n] = sigmoid(X[n] @ W1 + b1), Y[n] = softmax(Z[n] @ W2 + b2)."""
    N = X.shape[0]
    Z = np.empty((N, W1.shape[1]), dtype=X.dtype)
    Y = np.empty((N, W2.shape[1]), dtype=X.dtype)
    for n in range(N):
        sigmoid(X[n] @ W1 + b1, Z[n])
        np.add(Z[n] @ W2, b2, Y[n])
        softmax_inplace(Y[n])
    return Y, Z


@cached_njit()
def derivative_w2(Z, T, Y):
    """Loop over n, k; vector over m: dW2[:, k] += (T[n, k] - Y[n, k]) * Z[n, :] (M x K)."""
    N, M = Z.shape
    K = T.shape[1]
    out = np.zeros((M, K), dtype=Z.dtype)
    for n in range(N):
        for k in range(K):
            np.add(out[:, k], (T[n, k] - Y[n, k]) * Z[n, :], out[:, k])
    return out


@cached_njit()
def derivative_b2(T, Y):
    """Loop over n; vector over k: db2 += T[n] - Y[n] (K)."""
    out = np.zeros(T.shape[1], dtype=T.dtype)
    for n in range(T.shape[0]):
        np.add(out, T[n] - Y[n], out)
    return out


@cached_njit()
def derivative_w1(X, Z, T, Y, W2):
    """Loop over n, d; vector over m: dW1[d, :] += X[n, d] * dZ[n] (D x M).

    dZ[n] = ((T[n] - Y[n]) @ W2.T) * Z[n] * (1 - Z[n]) is formed once per sample.
    """
    N, D = X.shape
    out = np.zeros((D, W2.shape[0]), dtype=X.dtype)
    for n in range(N):
        dz = (W2 @ (T[n] - Y[n])) * Z[n] * (1 - Z[n])
        for d in range(D):
            np.add(out[d, :], X[n, d] * dz, out[d, :])
    return out


@cached_njit()
def derivative_b1(T, Y, W2, Z):
    """Loop over n; vector over m: db1 += ((T[n] - Y[n]) @ W2.T) * Z[n] * (1 - Z[n]) (M)."""
    out = np.zeros(W2.shape[0], dtype=Z.dtype)
    for n in range(T.shape[0]):
        np.add(out, (W2 @ (T[n] - Y[n])) * Z[n] * (1 - Z[n]), out)
    return out
