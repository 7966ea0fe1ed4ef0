"""The classic training driver: full-batch gradient ascent on the log-likelihood (docs/math.md
§5), run as ``fastbp.fit`` on the classic network with a rung of the classic API as its engine."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from . import _dispatch
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


class InMemory:
    """A train run's data in this process: X (N x D), the one-hot T (N x K) of the labels,
    and the rung's kernels (chosen for the shape when ``rung`` is None)."""

    def __init__(
        self,
        X: ArrayLike,
        labels: ArrayLike,
        hidden: int,
        dtype: type,
        rung: str | None,
        compiled: bool,
    ) -> None:
        self.labels = check_labels("labels", labels)
        if self.labels.min() < 0:
            raise ValueError(f"labels must be class indices >= 0, got {self.labels.min()}")
        self.K = int(self.labels.max()) + 1
        self.X = check_matrix("X", X, dtype)
        self.dtype = self.X.dtype
        N, self.D = self.X.shape
        self.T = one_hot(self.labels, self.K, self.dtype)
        self.rung = choose_rung(N, self.D, hidden, self.K) if rung is None else get_rung(rung).name
        self._gradients = kernel(self.rung, "gradients", bool(compiled))
        self._forward = kernel(self.rung, "forward", bool(compiled))

    @property
    def fit_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self.X, self.T

    def gradients(self, *layers: np.ndarray) -> tuple:
        """(dW1, db1, dW2, db2, cost) at the layers W1, b1, W2, b2."""
        return self._gradients(self.X, self.T, *layers)

    def score(self, *layers: np.ndarray) -> tuple[float, float]:
        """(cost, classification rate) at the layers W1, b1, W2, b2."""
        Y, _ = self._forward(self.X, *layers)
        return log_likelihood(self.T, Y), _rate(Y, self.labels)

    def release(self) -> None:
        """Nothing to let go of in memory."""


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
    if _dispatch.is_dask(X, labels):  # the chunks stay on the workers, one map-reduce an epoch
        data = _dispatch.distributed().ClassicData(X, labels, hidden, dtype, rung, compiled)
    else:
        data = InMemory(X, labels, hidden, dtype, rung, compiled)
    network = Network((data.D, hidden, data.K))
    start = network.init_params(seed, data.dtype, "normal")
    layers: list[np.ndarray] = []  # W1, b1, W2, b2: views of the vector fit trains
    history: list[Report] = []
    rate = math.nan  # the classification rate at the start of the next reporting epoch

    def rate_now() -> float:
        return data.score(*layers)[1]

    def engine(params: np.ndarray) -> Callable:
        nonlocal rate
        layers.extend(a for layer in network.unpack(params) for a in layer)
        rate = rate_now()  # epoch 0 reports
        flat = np.empty_like(params)

        def gradient_at(_X: np.ndarray, _T: np.ndarray) -> tuple[float, np.ndarray]:
            dW1, db1, dW2, db2, cost = data.gradients(*layers)
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
                *data.fit_arrays,
                learning_rate=learning_rate,
                epochs=epochs,
                params=start,
                engine=engine,
                callback=on_epoch,
            )
        result = TrainResult(fitted, data.rung, history)
        history.append(Report(epochs, *data.score(result.W1, result.b1, result.W2, result.b2)))
    except DivergenceError as error:
        raise ValueError(
            f"the cost became {-error.loss} at epoch {error.epoch - 1}; try a smaller learning_rate"
        ) from error
    finally:
        data.release()
    return result
