"""Rung ``matrix``: whole-batch matrix products, the classic code's fastest form."""

import numpy as np

from .caching import cached_njit
from .common import sigmoid


@cached_njit()
def forward(X, W1, b1, W2, b2):
    """Z = sigmoid(X @ W1 + b1), Y = softmax(Z @ W2 + b2) row-wise, max-shifted; (Y, Z)."""
    Z = sigmoid(X @ W1 + b1)
    A = Z @ W2 + b2
    row_max = A[:, 0].copy()
    for k in range(1, A.shape[1]):
        row_max = np.maximum(row_max, A[:, k])
    E = np.exp(A - row_max.reshape((-1, 1)))
    return E / E.sum(axis=1).reshape((-1, 1)), Z


@cached_njit()
def derivative_w2(Z, T, Y):
    """dW2 = Z.T @ (T - Y) (M x K)."""
    return Z.T @ (T - Y)


@cached_njit()
def derivative_b2(T, Y):
    """db2 = (T - Y).sum(axis=0) (K)."""
    return (T - Y).sum(axis=0)


@cached_njit()
def derivative_w1(X, Z, T, Y, W2):
    """dW1 = X.T @ dZ with dZ = ((T - Y) @ W2.T) * Z * (1 - Z) (D x M)."""
    return X.T @ (((T - Y) @ W2.T) * Z * (1 - Z))


@cached_njit()
def derivative_b1(T, Y, W2, Z):
    """db1 = dZ.sum(axis=0) with dZ = ((T - Y) @ W2.T) * Z * (1 - Z) (M)."""
    return (((T - Y) @ W2.T) * Z * (1 - Z)).sum(axis=0)
