"""The public functions: the classic course API (same names, argument order and signs).

Every function validates its arrays (``fastbp._validation``) and then calls one kernel of the
chosen rung. ``rung=None`` picks the fastest compiled rung for the shape
(``fastbp.registry.choose_rung``); ``compiled=False`` runs the same rung as plain Python.
Results have the input's float dtype (float32 only if every floating input is float32).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _dispatch
from ._validation import check_arrays, check_labels
from .registry import Gradients, choose_rung, get_rung, kernel, log_likelihood


def _kernel(rung: str | None, function: str, compiled: bool, *shapes: int):
    if rung is None:
        rung = choose_rung(*shapes)
    else:
        get_rung(rung)
    return kernel(rung, function, bool(compiled))


def forward(
    X: ArrayLike,
    W1: ArrayLike,
    b1: ArrayLike,
    W2: ArrayLike,
    b2: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass: returns (Y, Z).

    Z = sigmoid(X @ W1 + b1) (N x M); Y = softmax(Z @ W2 + b2) row by row (N x K), computed
    with the row maximum subtracted so that large activations neither overflow nor give NaN.
    X: N x D, W1: D x M, b1: M, W2: M x K, b2: K.
    """
    X, W1, b1, W2, b2 = check_arrays(check_finite, X=X, W1=W1, b1=b1, W2=W2, b2=b2)
    (N, D), (M, K) = X.shape, W2.shape
    return _kernel(rung, "forward", compiled, N, D, M, K)(X, W1, b1, W2, b2)


def cost(T: ArrayLike, Y: ArrayLike, *, check_finite: bool = True) -> float:
    """Log-likelihood sum(T * log(Y)) (<= 0; training drives it up). T, Y: N x K.

    Entries where T is 0 are skipped, so probabilities that underflowed to 0 give no NaN.
    """
    T, Y = check_arrays(check_finite, T=T, Y=Y)
    return log_likelihood(T, Y)


def classification_rate(Y: ArrayLike, P: ArrayLike) -> float:
    """Fraction of positions where the label arrays Y and P (both length N) agree."""
    Y, P = check_labels("Y", Y), check_labels("P", P)
    if Y.shape != P.shape:
        raise ValueError(f"Y and P must have the same length, got {Y.shape[0]} and {P.shape[0]}")
    return float(np.mean(Y == P))


def derivative_w2(
    Z: ArrayLike,
    T: ArrayLike,
    Y: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
) -> np.ndarray:
    """Gradient of the log-likelihood w.r.t. W2: Z.T @ (T - Y) (M x K). Z: N x M; T, Y: N x K."""
    Z, T, Y = check_arrays(check_finite, Z=Z, T=T, Y=Y)
    (N, M), K = Z.shape, T.shape[1]
    return _kernel(rung, "derivative_w2", compiled, N, 1, M, K)(Z, T, Y)


def derivative_b2(
    T: ArrayLike,
    Y: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
) -> np.ndarray:
    """Gradient w.r.t. b2: (T - Y).sum(axis=0) (K). T, Y: N x K."""
    T, Y = check_arrays(check_finite, T=T, Y=Y)
    N, K = T.shape
    return _kernel(rung, "derivative_b2", compiled, N, 1, 1, K)(T, Y)


def derivative_w1(
    X: ArrayLike,
    Z: ArrayLike,
    T: ArrayLike,
    Y: ArrayLike,
    W2: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
) -> np.ndarray:
    """Gradient w.r.t. W1: X.T @ dZ, dZ = ((T - Y) @ W2.T) * Z * (1 - Z) (D x M).

    X: N x D, Z: N x M, T, Y: N x K, W2: M x K.
    """
    X, Z, T, Y, W2 = check_arrays(check_finite, X=X, Z=Z, T=T, Y=Y, W2=W2)
    (N, D), (M, K) = X.shape, W2.shape
    return _kernel(rung, "derivative_w1", compiled, N, D, M, K)(X, Z, T, Y, W2)


def derivative_b1(
    T: ArrayLike,
    Y: ArrayLike,
    W2: ArrayLike,
    Z: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
) -> np.ndarray:
    """Gradient w.r.t. b1: dZ.sum(axis=0), dZ = ((T - Y) @ W2.T) * Z * (1 - Z) (M).

    T, Y: N x K, W2: M x K, Z: N x M.
    """
    T, Y, W2, Z = check_arrays(check_finite, T=T, Y=Y, W2=W2, Z=Z)
    (N, K), M = T.shape, W2.shape[0]
    return _kernel(rung, "derivative_b1", compiled, N, 1, M, K)(T, Y, W2, Z)


def gradients(
    X: ArrayLike,
    T: ArrayLike,
    W1: ArrayLike,
    b1: ArrayLike,
    W2: ArrayLike,
    b2: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
) -> Gradients:
    """All four gradients and the cost at these parameters, from one call.

    Returns Gradients(dW1 (D x M), db1 (M), dW2 (M x K), db2 (K), cost = sum(T * log Y)),
    each as from the derivative_* functions on forward(X, W1, b1, W2, b2). A fused rung
    computes them in one pass without the N x M and N x K intermediates. Dask arrays X and
    T, chunked along the samples, give the same sums, computed chunk by chunk where the
    chunks are (``fastbp.distributed.gradients``; ``compute=False`` there for a lazy one).
    """
    if _dispatch.is_dask(X, T):
        return _dispatch.distributed().gradients(
            X, T, W1, b1, W2, b2, rung=rung, compiled=compiled, check_finite=check_finite
        )
    X, T, W1, b1, W2, b2 = check_arrays(check_finite, X=X, T=T, W1=W1, b1=b1, W2=W2, b2=b2)
    (N, D), (M, K) = X.shape, W2.shape
    dW1, db1, dW2, db2, log_lik = _kernel(rung, "gradients", compiled, N, D, M, K)(
        X, T, W1, b1, W2, b2
    )
    return Gradients(dW1, db1, dW2, db2, float(log_lik))
