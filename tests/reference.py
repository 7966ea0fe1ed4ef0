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


def derivatives(X, Z, T, Y, W2, z_rounding=0.0):
    """Reference (dW1, db1, dW2, db2) and, for tolerances, the same sums taken of |terms|.

    z_rounding: for a result computed from its own rounding of Z rather than from this Z. Its
    slope Z (1 - Z) is then off by up to about u Z (u the unit roundoff), which Z (1 - Z)
    does not bound for a saturated unit (Z near 1): the magnitudes take the slope as
    Z (1 - Z) + z_rounding Z.
    """
    X, Z, T, Y, W2 = (np.asarray(a, dtype=np.float64) for a in (X, Z, T, Y, W2))
    delta = T - Y
    slope = Z * (1.0 - Z)
    slope_size = slope + z_rounding * np.abs(Z)
    dZ = np.einsum("nk,mk->nm", delta, W2) * slope
    exact = (
        np.einsum("nd,nm->dm", X, dZ),
        dZ.sum(axis=0),
        np.einsum("nm,nk->mk", Z, delta),
        delta.sum(axis=0),
    )
    size = np.abs(T) + np.abs(Y)
    dZ_size = np.einsum("nk,mk->nm", size, np.abs(W2)) * slope_size
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


# float32 tolerances: lambda of the probabilistic bound below.
LAMBDA = 8.0


def assert_close(got, exact, magnitude, dtype, terms, *, worst_case=False):
    """|got - exact| <= rtol |exact| + bound * magnitude, elementwise.

    ``magnitude``: the same sums as ``exact`` taken over the absolute values of their terms;
    ``terms``: the number of roundings on the way to each value (a sum of n products: n).
    rtol is 1e-10 for float64 and 1e-5 for float32. A wrong formula misses by O(magnitude).

    float64, or ``worst_case``: bound = 8 eps terms, the textbook worst-case bound on rounding
    in a sum of ``terms`` products in the working precision (eps of ``dtype``).

    float32: bound = LAMBDA u sqrt(terms), u = eps / 2 the unit roundoff. The worst case
    (terms u) assumes that every rounding errs by u in the same direction; in float32 it is
    loose enough to miss wrong results (for the gradients at N = 1500, up to 0.35 of
    max|exact|: a zero would pass for a third of db2). Higham and Mary ("A new approach to
    probabilistic rounding error analysis", SIAM J. Sci. Comput. 41(5), 2019) model the
    rounding errors as independent random variables of mean zero bounded by u: an inner
    product of n terms is then off by at most lambda sqrt(n) u (to first order) times the
    sum of the terms' absolute values, with probability at least
    1 - 2 n exp(-lambda^2 (1 - u)^2 / 2). With LAMBDA = 8 that is 1 - 2.5e-14 n: beyond
    1 - 1e-8 for the n <= 10^5 of these tests.
    Measured over every rung, compiled and plain, and thirty seeds, the largest error is
    2.5 u sqrt(terms) magnitude for the shapes of conftest.py (at N = 1, the rounding of the
    forward pass) and 2.1 at N = 20000 (the loops rung's sequential float32 sum of N K
    terms), against LAMBDA = 8; beyond rtol |exact| it is at most 0.31 for those shapes.
    ``worst_case`` keeps the textbook bound where ``magnitude`` is not such a sum (a bound
    on the values, as for Z and Y).
    """
    got = np.asarray(got)
    assert got.dtype == dtype, f"result dtype {got.dtype}, expected {dtype}"
    assert got.shape == np.shape(exact), f"result shape {got.shape}, expected {np.shape(exact)}"
    eps = float(np.finfo(dtype).eps)
    if dtype == np.float64 or worst_case:
        bound = 8 * eps * terms
    else:
        bound = LAMBDA * (eps / 2) * np.sqrt(terms)
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    tolerance = rtol * np.abs(exact) + bound * np.asarray(magnitude)
    error = np.abs(got.astype(np.float64) - exact)
    worst = np.unravel_index(np.argmax(error - tolerance), error.shape) if error.ndim else ()
    assert np.all(error <= tolerance), (
        f"max excess at {worst}: got {got[worst]!r}, expected {exact[worst]!r}, "
        f"tolerance {tolerance[worst]!r}"
    )
