"""Rung ``matrix``: whole-batch matrix products, the classic code's fastest form.

Column sums are products with a ones vector and the softmax's row sums a loop over its K
columns, not ``sum(axis=...)``, and the sigmoid writes into Z: ``common`` says why."""

import numpy as np

from .caching import cached_njit
from .common import sigmoid


@cached_njit()
def forward(X, W1, b1, W2, b2):
    """Z = sigmoid(X @ W1 + b1), Y = softmax(Z @ W2 + b2) row-wise, max-shifted; (Y, Z)."""
    Z = X @ W1 + b1
    sigmoid(Z, Z)
    A = Z @ W2 + b2
    row_max = A[:, 0].copy()
    for k in range(1, A.shape[1]):
        row_max = np.maximum(row_max, A[:, k])
    E = np.exp(A - row_max.reshape((-1, 1)))
    row_sum = E[:, 0].copy()
    for k in range(1, E.shape[1]):
        np.add(row_sum, E[:, k], row_sum)
    return E / row_sum.reshape((-1, 1)), Z


@cached_njit()
def derivative_w2(Z, T, Y):
    """dW2 = Z.T @ (T - Y) (M x K)."""
    return Z.T @ (T - Y)


@cached_njit()
def derivative_b2(T, Y):
    """db2 = (T - Y).sum(axis=0) (K), as ones(N) @ (T - Y)."""
    return np.ones(T.shape[0], T.dtype) @ (T - Y)


@cached_njit()
def derivative_w1(X, Z, T, Y, W2):
    """dW1 = X.T @ dZ with dZ = ((T - Y) @ W2.T) * Z * (1 - Z) (D x M)."""
    return X.T @ (((T - Y) @ W2.T) * Z * (1 - Z))


@cached_njit()
def derivative_b1(T, Y, W2, Z):
    """db1 = dZ.sum(axis=0) with dZ = ((T - Y) @ W2.T) * Z * (1 - Z) (M), as ones(N) @ dZ."""
    return np.ones(T.shape[0], T.dtype) @ (((T - Y) @ W2.T) * Z * (1 - Z))
