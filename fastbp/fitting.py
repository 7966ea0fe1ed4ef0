"""Training the general network: full batch, minibatch or per-sample SGD, with momentum and a
stopping rule. Each epoch runs inside one compiled call (``kernels.network.train_epoch``), or,
given a full-batch gradient engine, as one call of the engine and one update here."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from . import _dispatch
from ._validation import PARAMETERS, check_parameters, computation_dtype
from .kernels import network as kernels
from .network import Network


@dataclass
class FitResult:
    """Trained parameters and the history of a run.

    Epochs count from 1. loss_curve[e - 1]: the mean training loss during epoch e (each
    batch's loss before its update; for full batch, the loss at the parameters the epoch
    started from; with an engine, the engine's loss there). validation_curve[e - 1]: the
    loss on the held-out split after epoch e (empty without one). params_epoch: how many
    epochs of updates ``params`` hold (fewer than ``epochs`` when the best validation
    epoch's parameters were returned).
    stop_reason: why training ended, in words.
    """

    network: Network
    params: np.ndarray
    loss_curve: list[float] = field(default_factory=list)
    validation_curve: list[float] = field(default_factory=list)
    stop_reason: str = ""
    params_epoch: int = 0

    @property
    def epochs(self) -> int:
        return len(self.loss_curve)


class DivergenceError(ValueError):
    """The loss or the parameters stopped being finite. ``result`` holds the parameters
    at the end of the last finite epoch and the history up to it; ``epoch`` is the failing
    one, counting from 1; ``loss`` its loss (finite if only the parameters overflowed)."""

    def __init__(self, message: str, epoch: int, result: FitResult, loss: float = math.nan):
        super().__init__(message)
        self.epoch = epoch
        self.result = result
        self.loss = loss


# A full-batch gradient engine: given the parameter vector that fit updates in place, the
# function (X, T) -> (loss, gradient: a flat vector like the parameters) at its current values.
Engine = Callable[[np.ndarray], Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]]


def fit(
    network: Network,
    X: ArrayLike,
    T: ArrayLike,
    *,
    learning_rate: float,
    epochs: int = 200,
    batch_size: int | None = None,
    momentum: float = 0.0,
    shuffle: bool = True,
    seed: int = 0,
    tol: float | None = None,
    n_iter_no_change: int = 10,
    validation_fraction: float | None = None,
    params: ArrayLike | None = None,
    dtype: type | None = None,
    engine: Engine | None = None,
    callback: Callable[[int, float, np.ndarray], None] | None = None,
) -> FitResult:
    """Train ``network`` on inputs X (N x D) and targets T (N x K) by gradient descent.

    batch_size: None for full batch (one update per epoch, over all samples), 1 for
    per-sample SGD, else minibatches; with ``shuffle`` the samples are visited in a new order
    each epoch, drawn from ``seed`` (which also seeds the weights and the split).
    momentum: velocity = momentum * velocity - learning_rate * gradient; params += velocity.
    Stopping: with ``tol`` set, stop once the monitored loss has failed to drop below its
    best minus ``tol`` for ``n_iter_no_change`` epochs in a row. The monitored loss is the
    training loss, or with ``validation_fraction`` the loss on that held-out share of the
    samples (with ``tol`` set, the parameters of its best epoch are then returned, stopped
    early or not).
    params: start here instead of ``network.init_params(seed, dtype)``.
    dtype: float32 or float64 (default: ``computation_dtype`` of X and T: float32 only if
    every floating one is float32).
    engine: a full-batch gradient engine used instead of the network's own loss:
    ``engine(params)`` is called once with the vector fit updates in place and returns
    ``gradient(X, T) -> (loss, flat gradient)`` at its current values. Each epoch evaluates
    that at the parameters the epoch starts from, then takes one step (batch_size must be
    None); divergence shows in its loss, before the update. ``fastbp.train`` builds one from
    a rung of the classic API.
    ``callback(epoch, loss, params)`` runs after every epoch (counting from 1).
    Dask arrays X and T (chunked along the samples) train on their workers:
    ``fastbp.distributed.fit``.
    Raises DivergenceError if the loss or the parameters stop being finite.
    """
    # Every argument the table constrains (locals() holds only the arguments so far).
    check_parameters({name: value for name, value in locals().items() if name in PARAMETERS})
    if _dispatch.is_dask(X, T):  # fastbp.distributed: the data stay chunked on the workers
        arguments = {k: v for k, v in locals().items() if k not in ("network", "X", "T")}
        return _dispatch.distributed().fit(network, X, T, **arguments)
    if engine is not None and batch_size is not None:
        raise ValueError(f"batch_size must be None with an engine (full batch), got {batch_size}")
    X, T = np.asarray(X), np.asarray(T)
    dtype = computation_dtype((X, T), dtype)
    if params is None:
        params = network.init_params(seed, dtype)
    else:
        params = network.check_params(params).astype(dtype, copy=True)
    X, T = network.check_data(params, X, T)
    rng = np.random.default_rng(seed)
    X_valid = T_valid = None
    if validation_fraction is not None:
        n_valid = round(validation_fraction * len(X))
        if not 1 <= n_valid < len(X):
            raise ValueError(
                f"validation_fraction={validation_fraction} of {len(X)} samples leaves "
                f"{n_valid} for validation and {len(X) - n_valid} for training; both need one"
            )
        split = rng.permutation(len(X))
        X_valid, T_valid = X[split[:n_valid]], T[split[:n_valid]]
        X, T = X[split[n_valid:]], T[split[n_valid:]]
    n = len(X)
    batch_size = n if batch_size is None else min(int(batch_size), n)

    args = network._kernel_args()
    velocity = np.zeros_like(params)
    order = np.arange(n)
    step, mass = params.dtype.type(learning_rate), params.dtype.type(momentum)
    result = FitResult(network, params)
    best, best_epoch, best_params, stale = math.inf, 0, params.copy(), 0
    # An engine sees a non-finite loss before updating: the parameters are still finite ones.
    last_finite = np.empty_like(params) if engine is None else params
    gradient_at = None if engine is None else engine(params)
    for epoch in range(1, epochs + 1):
        if gradient_at is not None:
            loss, gradient = gradient_at(X, T)
            loss = float(loss)
            if math.isfinite(loss) and momentum:
                velocity *= mass
                velocity -= step * gradient
                params += velocity
            elif math.isfinite(loss):  # the same to the bit as with velocity 0, in two steps
                params -= step * gradient
        else:
            if shuffle and batch_size < n:
                order = rng.permutation(n)
            np.copyto(last_finite, params)
            loss = float(
                kernels.train_epoch(params, velocity, *args, X, T, order, batch_size, step, mass)
            )
        if not (math.isfinite(loss) and (gradient_at is not None or np.isfinite(params).all())):
            result.params = last_finite
            what = (
                f"the loss became {loss}"
                if not math.isfinite(loss)
                else "the parameters overflowed"
            )
            raise DivergenceError(
                f"training diverged at epoch {epoch}: {what}; try a smaller learning_rate "
                f"(was {learning_rate}). The parameters from the end of the previous epoch "
                "are in this error's .result",
                epoch,
                result,
                loss,
            )
        result.loss_curve.append(loss)
        result.params_epoch = epoch
        monitored = loss
        if X_valid is not None:
            monitored = float(
                gradient_at(X_valid, T_valid)[0]
                if gradient_at is not None
                else kernels.loss_gradient(params, *args, X_valid, T_valid)[0]
            )
            result.validation_curve.append(monitored)
        if callback is not None:
            callback(epoch, loss, params)
        if tol is None:
            continue
        stale = stale + 1 if monitored > best - tol else 0
        if monitored < best:
            best, best_epoch = monitored, epoch
            if X_valid is not None:
                np.copyto(best_params, params)
        if stale >= n_iter_no_change:
            which = "validation" if X_valid is not None else "training"
            result.stop_reason = (
                f"the {which} loss improved by less than tol={tol} for {n_iter_no_change} "
                f"epochs in a row (best {best:.6g} at epoch {best_epoch})"
            )
            break
    else:
        result.stop_reason = f"ran all {epochs} epochs"
    if X_valid is not None and tol is not None and best_epoch > 0:
        result.params, result.params_epoch = best_params, best_epoch
        result.stop_reason += (
            f"; returned the parameters of epoch {best_epoch}, the best on validation"
        )
    return result
