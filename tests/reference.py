"""One independent float64 NumPy reference for every rung, written from docs/math.md §2-§3.

It uses a tanh-based sigmoid, a log-sum-exp softmax and einsum, so that it shares no code
(and few formulas) with the kernels under test.
"""

import numpy as np


def problem(N, D, M, K, dtype=np.float64, seed=0):
    """Random inputs (X, T, W1, b1, W2, b2) with one-hot T, as float arrays of ``dtype``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    T = np.eye(K)[rng.integers(0, K, N)]
    W1, b1 = rng.standard_normal((D, M)), rng.standard_normal(M)
    W2, b2 = rng.standard_normal((M, K)), rng.standard_normal(K)
    return tuple(a.astype(dtype) for a in (X, T, W1, b1, W2, b2))


def forward(X, W1, b1, W2, b2):
    """(Y, Z) in float64."""
    X, W1, b1, W2, b2 = (np.asarray(a, dtype=np.float64) for a in (X, W1, b1, W2, b2))
    Z = 0.5 * (1.0 + np.tanh(0.5 * (np.einsum("nd,dm->nm", X, W1) + b1)))
    A = np.einsum("nm,mk->nk", Z, W2) + b2
    log_norm = A.max(axis=1, keepdims=True)
    log_norm = log_norm + np.log(np.exp(A - log_norm).sum(axis=1, keepdims=True))
    return np.exp(A - log_norm), Z


def derivatives(X, Z, T, Y, W2):
    """Reference (dW1, db1, dW2, db2) and, for tolerances, the same sums taken of |terms|."""
    X, Z, T, Y, W2 = (np.asarray(a, dtype=np.float64) for a in (X, Z, T, Y, W2))
    delta = T - Y
    slope = Z * (1.0 - Z)
    dZ = np.einsum("nk,mk->nm", delta, W2) * slope
    exact = (
        np.einsum("nd,nm->dm", X, dZ),
        dZ.sum(axis=0),
        np.einsum("nm,nk->mk", Z, delta),
        delta.sum(axis=0),
    )
    size = np.abs(T) + np.abs(Y)
    dZ_size = np.einsum("nk,mk->nm", size, np.abs(W2)) * slope
    magnitude = (
        np.einsum("nd,nm->dm", np.abs(X), dZ_size),
        dZ_size.sum(axis=0),
        np.einsum("nm,nk->mk", np.abs(Z), size),
        size.sum(axis=0),
    )
    return exact, magnitude


def log_likelihood(T, Y):
    T, Y = np.asarray(T, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    return float(np.sum(T[T != 0] * np.log(Y[T != 0])))


def assert_close(got, exact, magnitude, dtype, terms):
    """|got - exact| <= rtol |exact| + 8 eps terms magnitude, elementwise.

    The second term is the textbook bound on rounding in a sum of ``terms`` products in the
    working precision (eps of ``dtype``), taken over the magnitudes of the summands; rtol is
    1e-10 for float64 and 1e-5 for float32. A wrong formula misses by O(magnitude).
    """
    got = np.asarray(got)
    assert got.dtype == dtype, f"result dtype {got.dtype}, expected {dtype}"
    assert got.shape == np.shape(exact), f"result shape {got.shape}, expected {np.shape(exact)}"
    eps = np.finfo(dtype).eps
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    tolerance = rtol * np.abs(exact) + 8 * eps * terms * np.asarray(magnitude)
    error = np.abs(got.astype(np.float64) - exact)
    worst = np.unravel_index(np.argmax(error - tolerance), error.shape) if error.ndim else ()
    assert np.all(error <= tolerance), (
        f"max excess at {worst}: got {got[worst]!r}, expected {exact[worst]!r}, "
        f"tolerance {tolerance[worst]!r}"
    )
