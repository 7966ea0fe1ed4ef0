"""The training driver: full-batch gradient ascent on the log-likelihood (docs/math.md §5)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ._validation import check_arrays, check_labels, check_matrix, check_parameters
from .datasets import one_hot
from .registry import choose_rung, get_rung, kernel, log_likelihood


@dataclass(frozen=True)
class Report:
    """The state at the start of ``epoch`` (before its update): cost and classification rate."""

    epoch: int
    cost: float
    rate: float


@dataclass
class TrainResult:
    """Trained parameters, the rung used, and the reports (every ``report_every`` epochs and
    once after the last update)."""

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    rung: str
    history: list[Report] = field(default_factory=list)

    @property
    def final(self) -> Report:
        return self.history[-1]


def init_params(D: int, M: int, K: int, seed: int = 0, dtype=np.float64) -> tuple[np.ndarray, ...]:
    """(W1, b1, W2, b2) drawn from a standard normal distribution, as in the classic code."""
    rng = np.random.default_rng(seed)
    shapes = [(D, M), (M,), (M, K), (K,)]
    return tuple(rng.standard_normal(s).astype(dtype) for s in shapes)


def train(
    X: ArrayLike,
    labels: ArrayLike,
    *,
    hidden: int = 3,
    learning_rate: float = 1e-3,
    epochs: int = 1000,
    rung: str | None = None,
    compiled: bool = True,
    seed: int = 0,
    report_every: int = 100,
    dtype: type = np.float64,
    callback: Callable[[int, float, Report | None], None] | None = None,
) -> TrainResult:
    """Train the one-hidden-layer network by full-batch gradient ascent.

    X: N x D inputs; labels: N integer classes 0..K-1 (K = max label + 1). Each epoch computes
    all four gradients from the same parameters with the chosen rung, then updates
    ``P += learning_rate * dP``. Weights start from ``init_params(D, hidden, K, seed)``.
    ``callback(epoch, cost, report)`` runs after every epoch's gradient (``report`` is the
    Report on reporting epochs, else None). Stops with ValueError if the cost stops being finite.
    """
    check_parameters(
        dict(hidden=hidden, epochs=epochs, report_every=report_every, learning_rate=learning_rate)
    )
    labels = check_labels("labels", labels)
    if labels.min() < 0:
        raise ValueError(f"labels must be class indices >= 0, got {labels.min()}")
    K = int(labels.max()) + 1
    X = check_matrix("X", X, dtype)
    T = one_hot(labels, K, X.dtype)
    check_arrays(False, X=X, T=T)  # N must agree between X and labels
    N, D = X.shape
    W1, b1, W2, b2 = init_params(D, hidden, K, seed, X.dtype)
    name = choose_rung(N, D, hidden, K) if rung is None else get_rung(rung).name
    gradients = kernel(name, "gradients", bool(compiled))
    forward = kernel(name, "forward", bool(compiled))
    step = X.dtype.type(learning_rate)

    result = TrainResult(W1, b1, W2, b2, name)

    def report(epoch: int, cost: float | None = None) -> Report:
        Y, _ = forward(X, W1, b1, W2, b2)
        cost = log_likelihood(T, Y) if cost is None else cost
        entry = Report(epoch, cost, float(np.mean(np.argmax(Y, axis=1) == labels)))
        result.history.append(entry)
        return entry

    # A diverging run overflows in the updates; the next epoch reports it as a non-finite cost.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            dW1, db1, dW2, db2, cost = gradients(X, T, W1, b1, W2, b2)
            if not math.isfinite(cost):
                raise ValueError(
                    f"the cost became {cost} at epoch {epoch}; try a smaller learning_rate"
                )
            entry = report(epoch, float(cost)) if epoch % report_every == 0 else None
            if callback is not None:
                callback(epoch, float(cost), entry)
            W1 += step * dW1
            b1 += step * db1
            W2 += step * dW2
            b2 += step * db2
    report(epochs)
    return result
