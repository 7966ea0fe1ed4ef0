"""The classic training driver: full-batch gradient ascent on the log-likelihood (docs/math.md
§5), run as ``fastbp.fit`` on the classic network with a rung of the classic API as its engine."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ._validation import check_labels, check_matrix, check_parameters
from .datasets import one_hot
from .fitting import DivergenceError, FitResult, fit
from .network import Network
from .registry import choose_rung, get_rung, kernel, log_likelihood


@dataclass(frozen=True)
class Report:
    """The state at the start of ``epoch`` (before its update): cost and classification rate."""

    epoch: int
    cost: float
    rate: float


@dataclass
class TrainResult:
    """The classic view of the ``fit`` run behind ``fastbp.train``: W1 (D x M), b1 (M),
    W2 (M x K), b2 (K) are views into ``fit_result.params``; ``rung`` is the rung used and
    ``history`` the reports (every ``report_every`` epochs and once after the last update).
    ``fit_result.loss_curve`` holds each epoch's -cost (the summed negative log-likelihood)."""

    fit_result: FitResult = field(repr=False)
    rung: str
    history: list[Report] = field(default_factory=list)
    W1: np.ndarray = field(init=False)
    b1: np.ndarray = field(init=False)
    W2: np.ndarray = field(init=False)
    b2: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        (self.W1, self.b1), (self.W2, self.b2) = self.fit_result.network.unpack(
            self.fit_result.params
        )

    @property
    def final(self) -> Report:
        return self.history[-1]


def _rate(Y: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of samples whose most probable class (Y: N x K) is their label (N)."""
    return float(np.mean(np.argmax(Y, axis=1) == labels))


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
    ``P += learning_rate * dP``. Weights start from
    ``Network((D, hidden, K)).init_params(seed, dtype, "normal")``: standard normal draws for
    W1, b1, W2, b2 in turn. ``callback(epoch, cost, report)`` runs after every epoch
    (``report`` is the Report on reporting epochs, else None). Stops with ValueError if the
    cost stops being finite.

    This is ``fastbp.fit`` with the rung's ``gradients`` as its engine, in the classic scale
    (docs/math.md §6.1): the engine gives -cost and -dP, the summed negative log-likelihood
    and its gradient, so fit's descent step at ``learning_rate`` is the classic ascent step
    to the bit (in fit's mean-loss convention the rate would be ``learning_rate * N``).
    """
    check_parameters({"hidden": hidden, "report_every": report_every})
    labels = check_labels("labels", labels)
    if labels.min() < 0:
        raise ValueError(f"labels must be class indices >= 0, got {labels.min()}")
    K = int(labels.max()) + 1
    X = check_matrix("X", X, dtype)
    N, D = X.shape
    network = Network((D, hidden, K))
    T = one_hot(labels, K, X.dtype)
    name = choose_rung(N, D, hidden, K) if rung is None else get_rung(rung).name
    gradients = kernel(name, "gradients", bool(compiled))
    forward = kernel(name, "forward", bool(compiled))
    start = network.init_params(seed, X.dtype, "normal")

    layers: list[np.ndarray] = []  # W1, b1, W2, b2: views of the vector fit trains
    history: list[Report] = []
    rate = math.nan  # the classification rate at the start of the next reporting epoch

    def rate_now() -> float:
        return _rate(forward(X, *layers)[0], labels)

    def engine(params: np.ndarray) -> Callable:
        nonlocal rate
        layers.extend(a for layer in network.unpack(params) for a in layer)
        rate = rate_now()  # epoch 0 reports
        flat = np.empty_like(params)

        def gradient_at(X: np.ndarray, T: np.ndarray) -> tuple[float, np.ndarray]:
            dW1, db1, dW2, db2, cost = gradients(X, T, *layers)
            np.concatenate((dW1, db1, dW2, db2), axis=None, out=flat)
            return -cost, np.negative(flat, out=flat)

        return gradient_at

    def on_epoch(epoch: int, loss: float, params: np.ndarray) -> None:
        nonlocal rate
        done = epoch - 1  # the classic epochs count from 0: fit's epoch 1 is epoch 0
        entry = None
        if done % report_every == 0:
            entry = Report(done, -loss, rate)
            history.append(entry)
        if callback is not None:
            callback(done, -loss, entry)
        if epoch % report_every == 0 and epoch < epochs:
            rate = rate_now()

    # A diverging run overflows in the updates; the next epoch reports it as a non-finite cost.
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            fitted = fit(
                network,
                X,
                T,
                learning_rate=learning_rate,
                epochs=epochs,
                params=start,
                engine=engine,
                callback=on_epoch,
            )
    except DivergenceError as error:
        raise ValueError(
            f"the cost became {-error.loss} at epoch {error.epoch - 1}; try a smaller learning_rate"
        ) from error
    result = TrainResult(fitted, name, history)
    Y, _ = forward(X, result.W1, result.b1, result.W2, result.b2)
    history.append(Report(epochs, log_likelihood(T, Y), _rate(Y, labels)))
    return result
