"""Rung ``loops``: every sum written as explicit scalar loops, the way the formulas read.

In plain Python this is the slow baseline of the ladder; compiled by Numba the same loops run
at native speed, which is what the loop-versus-vectorised study measures.
"""

import math

import numpy as np

from .caching import cached_njit
from .common import sigmoid_scalar


@cached_njit()
def forward(X, W1, b1, W2, b2):
    """Z = sigmoid(X @ W1 + b1) (N x M), Y = softmax(Z @ W2 + b2) (N x K); returns (Y, Z)."""
    N, D = X.shape
    M = W1.shape[1]
    K = W2.shape[1]
    Z = np.empty((N, M), dtype=X.dtype)
    Y = np.empty((N, K), dtype=X.dtype)
    for n in range(N):
        for m in range(M):
            h = b1[m]
            for d in range(D):
                h += X[n, d] * W1[d, m]
            Z[n, m] = sigmoid_scalar(h)
        for k in range(K):
            a = b2[k]
            for m in range(M):
                a += Z[n, m] * W2[m, k]
            Y[n, k] = a
        largest = Y[n, 0]
        for k in range(1, K):
            largest = max(largest, Y[n, k])
        total = 0.0
        for k in range(K):
            Y[n, k] = math.exp(Y[n, k] - largest)
            total += Y[n, k]
        for k in range(K):
            Y[n, k] /= total
    return Y, Z


@cached_njit()
def derivative_w2(Z, T, Y):
    """dW2[m, k] = sum_n (T[n, k] - Y[n, k]) * Z[n, m]: a triple loop over n, m, k (M x K)."""
    N, M = Z.shape
    K = T.shape[1]
    out = np.zeros((M, K), dtype=Z.dtype)
    for n in range(N):
        for m in range(M):
            for k in range(K):
                out[m, k] += (T[n, k] - Y[n, k]) * Z[n, m]
    return out


@cached_njit()
def derivative_b2(T, Y):
    """db2[k] = sum_n (T[n, k] - Y[n, k]): a double loop (K)."""
    N, K = T.shape
    out = np.zeros(K, dtype=T.dtype)
    for n in range(N):
        for k in range(K):
            out[k] += T[n, k] - Y[n, k]
    return out


@cached_njit()
def derivative_w1(X, Z, T, Y, W2):
    """dW1[d, m] = sum_{n,k} (T-Y)[n,k] W2[m,k] Z[n,m] (1-Z[n,m]) X[n,d]: loops n, k, m, d."""
    N, D = X.shape
    M, K = W2.shape
    out = np.zeros((D, M), dtype=X.dtype)
    for n in range(N):
        for k in range(K):
            for m in range(M):
                for d in range(D):
                    out[d, m] += (T[n, k] - Y[n, k]) * W2[m, k] * Z[n, m] * (1 - Z[n, m]) * X[n, d]
    return out


@cached_njit()
def derivative_b1(T, Y, W2, Z):
    """db1[m] = sum_{n,k} (T-Y)[n,k] W2[m,k] Z[n,m] (1-Z[n,m]): loops n, k, m (M)."""
    N, K = T.shape
    M = W2.shape[0]
    out = np.zeros(M, dtype=Z.dtype)
    for n in range(N):
        for k in range(K):
            for m in range(M):
                out[m] += (T[n, k] - Y[n, k]) * W2[m, k] * Z[n, m] * (1 - Z[n, m])
    return out
