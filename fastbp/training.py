"""The classic training driver: full-batch gradient ascent on the log-likelihood (docs/math.md
§5) with a rung of the classic API, many epochs per compiled call (``kernels.ascent``)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

from . import _dispatch
from ._validation import check_labels, check_matrix, check_parameters
from .datasets import one_hot
from .fitting import (
    DivergenceError,
    FitResult,
    TrainingInterrupted,
    deferred_interrupt,
    stretch_length,
)
from .network import Network
from .registry import ascent_kernel, choose_rung, get_rung, kernel, log_likelihood_at


@dataclass(frozen=True)
class Report:
    """The state at the start of ``epoch`` (before its update): cost and classification rate.

    Attributes
    ----------
    epoch : int
        The epoch, counting from 0; the last report's is the number of epochs run.
    cost : float
        The log-likelihood sum(T * log(Y)) at that point (as :func:`fastbp.cost`).
    rate : float
        The classification rate at that point: the share of samples whose most probable
        class is their label.
    """

    epoch: int
    cost: float
    rate: float


@dataclass
class TrainResult:
    """What :func:`fastbp.train` trained, in the classic view and as a ``FitResult``.

    Attributes
    ----------
    fit_result : FitResult
        The run as a result of the network ``Network((D, hidden, K))``: its
        ``loss_curve`` holds each epoch's -cost (the summed negative log-likelihood).
    rung : str
        The rung used.
    history : list of Report
        The reports: every ``report_every`` epochs and once after the last update.
    W1, b1, W2, b2 : ndarray
        The trained parameters, W1 (D x M), b1 (M), W2 (M x K), b2 (K): views into
        ``fit_result.params``.

    Examples
    --------
    >>> import fastbp
    >>> X, labels = fastbp.datasets.three_clouds(n_per_class=50)
    >>> result = fastbp.train(X, labels, hidden=3, epochs=200)
    >>> result.W1.shape, result.b1.shape, result.W2.shape, result.b2.shape
    ((2, 3), (3,), (3, 3), (3,))
    >>> result.fit_result.epochs, result.fit_result.loss_curve[0] == -result.history[0].cost
    (200, True)
    """

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
        """The last report: cost and classification rate after the last update.

        Examples
        --------
        >>> import fastbp
        >>> X, labels = fastbp.datasets.three_clouds(n_per_class=50)
        >>> final = fastbp.train(X, labels, epochs=200).final
        >>> final.epoch, final.rate > 0.9
        (200, True)
        """
        return self.history[-1]


def _rate(Y: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of samples whose most probable class (Y: N x K) is their label (N)."""
    return float(np.mean(np.argmax(Y, axis=1) == labels))


@runtime_checkable
class TrainData(Protocol):
    """What ``train`` reads of its data: ``InMemory`` here, ``fastbp.distributed.ClassicData``
    on Dask workers.

    Attributes
    ----------
    compiled_epochs : bool
        Whether ``ascend`` runs many epochs in one compiled call (then a stretch of epochs
        is sized to ``fitting.STRETCH_SECONDS``; else each stretch is one epoch).
    D, K : int
        The inputs' columns and the classes.
    dtype : numpy.dtype
        The computation dtype of the data and the parameters.
    rung : str
        The rung the epochs run.
    """

    compiled_epochs: bool
    D: int
    K: int
    dtype: np.dtype
    rung: str

    def ascend(
        self, layers: list[np.ndarray], learning_rate: np.floating, costs: np.ndarray
    ) -> int:
        """Up to ``len(costs)`` epochs of ``P += learning_rate * dP`` on the layers W1, b1,
        W2, b2 in place, each epoch's cost (before its update) in ``costs``; returns the
        epochs run (fewer when a cost is not finite: that one is not updated from)."""

    def score(self, *layers: np.ndarray) -> tuple[float, float]:
        """(cost, classification rate) at the layers W1, b1, W2, b2."""

    def rate(self, *layers: np.ndarray) -> float:
        """The classification rate at the layers W1, b1, W2, b2."""

    def release(self) -> None:
        """Let go of what holds the data (the workers' persisted chunks)."""


class InMemory:
    """A train run's data in this process: X (N x D), the one-hot T (N x K) of the labels,
    and the rung's kernels (chosen for the shape when ``rung`` is None)."""

    compiled_epochs = True  # many epochs in one compiled call pay here (no per-epoch Python)

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
        if len(self.labels) != N:
            raise ValueError(f"labels has {len(self.labels)} entries for the {N} rows of X")
        self.T = one_hot(self.labels, self.K, self.dtype)
        self.rung = get_rung(rung).name if rung is not None else None
        self.rung = self.rung or choose_rung(N, self.D, hidden, self.K, looped=True)
        self._ascend: Callable[..., int]
        self._forward: Callable[..., tuple[np.ndarray, np.ndarray]]
        if self.rung == "cuda":  # the data copied to the GPU once, every epoch run there
            rung_used = get_rung("cuda")
            rung_used.require(bool(compiled))
            trainer = rung_used.module.Trainer(self.X, self.labels, self.K, hidden)
            self._ascend, self._forward = trainer.ascend, trainer.forward
        else:
            found = ascent_kernel(self.rung, bool(compiled), self.D, hidden, self.K)
            self._ascend = functools.partial(found, self.X, self.T)
            self._forward = functools.partial(kernel(self.rung, "forward", bool(compiled)), self.X)

    def ascend(
        self, layers: list[np.ndarray], learning_rate: np.floating, costs: np.ndarray
    ) -> int:
        """``kernels.ascent.ascend`` on this data: len(costs) epochs at most, in place."""
        return self._ascend(*layers, learning_rate, costs)

    def score(self, *layers: np.ndarray) -> tuple[float, float]:
        """(cost, classification rate) at the layers W1, b1, W2, b2."""
        Y, Z = self._forward(*layers)
        return log_likelihood_at(self.T, Z, *layers[2:]), _rate(Y, self.labels)

    def rate(self, *layers: np.ndarray) -> float:
        """The classification rate at the layers W1, b1, W2, b2."""
        return _rate(self._forward(*layers)[0], self.labels)

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
    callback_every: int | None = None,
) -> TrainResult:
    """Train the one-hidden-layer network by full-batch gradient ascent.

    Each epoch computes all four gradients from the same parameters with the chosen rung,
    then updates ``P += learning_rate * dP``. Weights start from
    ``Network((D, hidden, K)).init_params(seed, dtype, "normal")``: standard normal draws
    for W1, b1, W2, b2 in turn.

    Parameters
    ----------
    X : array_like or dask array, shape (N, D)
        Inputs.
    labels : array_like or dask array, shape (N,)
        Integer classes 0..K-1 (K = max label + 1).
    hidden : int, default 3
        The width M of the hidden layer.
    learning_rate : float, default 1e-3
        The step size (positive), taken in the parameters' dtype.
    epochs : int, default 1000
        The number of epochs.
    rung : str or None, default None
        A name in ``fastbp.RUNGS``; None picks one for the shape (:func:`fastbp.choose_rung`
        with ``looped=True``). ``"cuda"`` trains on a CUDA GPU (the ``cuda`` extra).
    compiled : bool, default True
        False runs the rung as plain Python/NumPy.
    seed : int, default 0
        Seed of the initial weights.
    report_every : int, default 100
        Report the cost and classification rate every so many epochs (and after the last).
    dtype : {np.float64, np.float32}, default np.float64
        The dtype to compute in.
    callback : callable or None, default None
        ``callback(epoch, cost, report)``, called for every epoch (``report`` is the Report
        on reporting epochs, else None), after the stretch holding it.
    callback_every : int or None, default None
        With ``k``, a stretch also ends every k epochs (1: each call comes right after its
        epoch, at the price of one compiled call per epoch).

    Returns
    -------
    TrainResult
        The trained W1, b1, W2, b2, the rung used and the reports.

    Raises
    ------
    DivergenceError
        If the cost stops being finite (a ValueError; the message names the epoch, counted
        from 0 as the reports count, and ``.result`` holds the epochs before it; try a
        smaller ``learning_rate``).
    ValueError
        If a setting is outside its range, if ``rung`` is not a rung's name, if labels are
        negative or their number differs from X's rows, or if X has the wrong shape or holds
        NaN or infinity.
    TypeError
        If X does not hold real numbers, the labels are not integers, or ``dtype`` is not
        float32 or float64.
    TrainingInterrupted
        On Ctrl-C (SIGINT), holding the result after the last completed epoch.
    ImportError, RuntimeError
        With ``rung="cuda"``: without numba-cuda, or without a CUDA GPU.

    See Also
    --------
    gradients : the four gradients of one epoch.
    fit : the general network's training, with minibatches, optimizers and stopping.

    Notes
    -----
    The epochs between two reports run in one call of ``kernels.ascent.ascend`` (compiled as
    a whole for a rung with a compiled fused kernel; with ``rung="cuda"`` X and the labels
    (int32, read on the device in place of the one-hot T) are copied to the GPU once, every
    epoch runs there, and the parameters and the costs come back once a stretch), cut into
    stretches of about ``fitting.STRETCH_SECONDS`` so that Ctrl-C stops the run within a
    fraction of a second.
    Dask arrays X and labels stay chunked on the workers: one map-reduce an epoch.

    Examples
    --------
    >>> import fastbp
    >>> X, labels = fastbp.datasets.three_clouds(n_per_class=50)
    >>> result = fastbp.train(X, labels, hidden=3, learning_rate=1e-3, epochs=200)
    >>> [report.epoch for report in result.history]
    [0, 100, 200]
    >>> result.final.rate > 0.9, result.final.cost > result.history[0].cost
    (True, True)
    """
    settings = {"hidden": hidden, "report_every": report_every, "learning_rate": learning_rate}
    settings["epochs"] = epochs
    if callback_every is not None:
        settings["callback_every"] = callback_every
    check_parameters(settings)
    data: TrainData
    if _dispatch.is_dask(X, labels):  # the chunks stay on the workers, one map-reduce an epoch
        data = _dispatch.distributed().ClassicData(X, labels, hidden, dtype, rung, compiled)
    else:
        data = InMemory(X, labels, hidden, dtype, rung, compiled)
    network = Network((data.D, hidden, data.K))
    params = network.init_params(seed, data.dtype, "normal")
    layers = [a for layer in network.unpack(params) for a in layer]  # views of params
    rate = data.dtype.type(learning_rate)  # the step is taken in the parameters' dtype
    curve: list[float] = []  # each epoch's -cost, as fit's loss_curve
    history: list[Report] = []
    done, longest = 0, 1  # epochs completed; the longest stretch that fits STRETCH_SECONDS
    ends = [report_every] + ([callback_every] if callback_every is not None else [])
    # A diverging run overflows in the updates (silently in the plain loop too); the next
    # epoch reports it as a non-finite cost.
    try:
        with deferred_interrupt() as interrupted, np.errstate(over="ignore", invalid="ignore"):
            while done < epochs and not interrupted():
                if done % report_every == 0:  # a stretch starts at each reporting epoch
                    rate_now = data.rate(*layers)  # the cost comes with the epoch
                stop = min(epochs, done + longest, *(done + k - done % k for k in ends))
                started = time.perf_counter()
                costs = np.zeros(stop - done)
                ran = data.ascend(layers, rate, costs)
                if data.compiled_epochs:
                    longest = stretch_length(time.perf_counter() - started, ran)
                for epoch, cost in enumerate(costs[:ran].tolist(), start=done):
                    report = None
                    if epoch % report_every == 0:
                        report = Report(epoch, cost, rate_now)
                        history.append(report)
                    if callback is not None:
                        callback(epoch, cost, report)
                    curve.append(-cost)
                if done + ran < stop:  # the reports count epochs from 0, DivergenceError from 1
                    held = FitResult(network, params, curve, params_epoch=done + ran)
                    raise DivergenceError(
                        f"the cost became {costs[ran]} at epoch {done + ran}; try a smaller "
                        "learning_rate",
                        done + ran + 1,
                        held,
                        -float(costs[ran]),
                    )
                done += ran
            history.append(Report(done, *data.score(*layers)))
            fitted = FitResult(
                network, params, curve, stop_reason=f"ran {done} epochs", params_epoch=done
            )
            result = TrainResult(fitted, data.rung, history)
            if interrupted():
                raise TrainingInterrupted(result, done)
    finally:
        data.release()
    return result
