"""Training the general network: full batch, minibatch or per-sample, by SGD (momentum,
Nesterov), Adam or L-BFGS, with an L2 penalty, sample weights, learning-rate schedules and
a stopping rule. The epochs of SGD or Adam run inside compiled calls
(``kernels.network.train_epochs``, the optimizer's update included, many epochs a call when
no Python work is needed between them); L-BFGS is SciPy's, on
the compiled full-batch ``loss_gradient``; given a full-batch gradient engine, an epoch is
one call of the engine and one update here."""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from . import _dispatch
from ._validation import (
    PARAMETERS,
    Options,
    check_parameters,
    check_sample_weight,
    computation_dtype,
)
from .kernels import network as kernels
from .network import Network

# The optimizers fit offers, with their epoch kernel's code (None: not an epoch kernel's:
# L-BFGS runs in SciPy).
OPTIMIZERS = {"sgd": kernels.SGD, "adam": kernels.ADAM, "lbfgs": None}
# How the rate changes after each epoch: constant; invscaling: learning_rate / (samples
# trained on + 1) ** power_t; adaptive: divided by 5 each time the stopping rule fires.
SCHEDULES = ("constant", "invscaling", "adaptive")
SMALLEST_ADAPTIVE_RATE = 1e-6  # the adaptive schedule stops instead of going below it
OWN_TABLE = {"optimizer": (Options(tuple(OPTIMIZERS)),), "schedule": (Options(SCHEDULES),)}


@dataclass
class OptimizerState:
    """Where a stochastic optimizer stands; ``fit(..., state=)`` resumes from it.

    ``FitResult.state`` holds the state after a run of SGD or Adam.

    Parameters
    ----------
    optimizer : {"sgd", "adam"}
        The optimizer it belongs to.
    moments : ndarray, shape (2, P)
        SGD's velocity in row 0; Adam's first and second moments (P: the number of
        parameters).
    steps : ndarray, shape (1,), int64
        Adam's count of updates.
    learning_rate : float
        The schedule's current rate.
    samples : int, default 0
        How many samples the optimizer has trained on (scikit-learn's ``t_``), counted per
        epoch.

    Examples
    --------
    >>> import fastbp
    >>> X, labels = fastbp.datasets.three_clouds(n_per_class=50)
    >>> T = fastbp.datasets.one_hot(labels, 3)
    >>> net = fastbp.Network((2, 8, 3), hidden="tanh")
    >>> first = fastbp.fit(net, X, T, learning_rate=0.01, epochs=5, optimizer="adam")
    >>> first.state.moments.shape, int(first.state.steps[0]), first.state.samples
    ((2, 51), 5, 750)
    >>> more = fastbp.fit(net, X, T, learning_rate=0.01, epochs=5, optimizer="adam",
    ...                   params=first.params, state=first.state)  # 5 epochs more
    >>> int(more.state.steps[0]), more.state.samples
    (10, 1500)
    """

    optimizer: str
    moments: np.ndarray
    steps: np.ndarray
    learning_rate: float
    samples: int = 0

    @classmethod
    def new(
        cls, optimizer: str, params: np.ndarray, learning_rate: float, samples: int = 0
    ) -> OptimizerState:
        """A state at rest (zero moments) for ``params``.

        Parameters
        ----------
        optimizer : {"sgd", "adam"}
            The optimizer it is for.
        params : ndarray, shape (P,)
            The parameter vector (its length and dtype are used).
        learning_rate : float
            The starting rate.
        samples : int, default 0
            The count of samples trained on to start from.

        Returns
        -------
        OptimizerState
            Zero moments (in ``params``' dtype) and a zero count of steps.

        Examples
        --------
        >>> import numpy as np
        >>> from fastbp.fitting import OptimizerState
        >>> state = OptimizerState.new("sgd", np.zeros(21), 0.1)
        >>> state.moments.shape, int(state.steps[0]), state.learning_rate, state.samples
        ((2, 21), 0, 0.1, 0)
        """
        moments = np.zeros((2, params.shape[0]), params.dtype)
        return cls(optimizer, moments, np.zeros(1, np.int64), float(learning_rate), samples)


@dataclass
class FitResult:
    """Trained parameters and the history of a run, as :func:`fit` returns them.

    Epochs count from 1 (for L-BFGS: its iterations).

    Attributes
    ----------
    network : Network
        The network trained.
    params : ndarray, shape (network.n_params,)
        The trained parameters (:meth:`Network.unpack` shows them per layer).
    loss_curve : list of float
        loss_curve[e - 1]: the training loss of epoch e (scikit-learn's: each batch's loss
        before its update, weighted by its sample count; for full batch, the loss at the
        parameters the epoch started from; for L-BFGS, after iteration e).
    validation_curve : list of float
        validation_curve[e - 1]: what the stopping rule watched after epoch e when it was
        not the training loss (the held-out loss, or ``monitor``'s value; empty otherwise).
    stop_reason : str
        Why training ended, in words.
    params_epoch : int
        How many epochs of updates ``params`` hold (fewer than the epochs run when the best
        monitored epoch's parameters were returned).
    state : OptimizerState or None
        The optimizer's state after the run (None for L-BFGS and an engine), to resume.
    converged : bool
        True when the stopping rule (or L-BFGS's own test) ended the run, False when it ran
        out of epochs.

    Examples
    --------
    >>> import fastbp
    >>> X, labels = fastbp.datasets.three_clouds(n_per_class=50)
    >>> T = fastbp.datasets.one_hot(labels, 3)
    >>> result = fastbp.fit(fastbp.Network((2, 8, 3)), X, T, learning_rate=0.1, epochs=20)
    >>> result.epochs, result.params_epoch, result.converged, result.stop_reason
    (20, 20, False, 'ran all 20 epochs')
    >>> result.params.shape, result.state.optimizer
    ((51,), 'sgd')
    """

    network: Network
    params: np.ndarray
    loss_curve: list[float] = field(default_factory=list)
    validation_curve: list[float] = field(default_factory=list)
    stop_reason: str = ""
    params_epoch: int = 0
    state: OptimizerState | None = None
    converged: bool = False

    @property
    def epochs(self) -> int:
        """The number of epochs run (for L-BFGS: its iterations), ``len(loss_curve)``.

        Examples
        --------
        >>> import fastbp
        >>> X, labels = fastbp.datasets.three_clouds(n_per_class=50)
        >>> T = fastbp.datasets.one_hot(labels, 3)
        >>> fastbp.fit(fastbp.Network((2, 8, 3)), X, T, learning_rate=0.1, epochs=20).epochs
        20
        """
        return len(self.loss_curve)


class DivergenceError(ValueError):
    """Training diverged: the loss or the parameters stopped being finite.

    A ValueError, raised by :func:`fit` and by the estimators.

    Parameters
    ----------
    message : str
        The error message.
    epoch : int
        The failing epoch, counting from 1.
    result : FitResult
        What fit would have returned had it stopped after the last finite epoch.
    loss : float, default nan
        The failing epoch's loss (finite if only the parameters overflowed).

    Attributes
    ----------
    epoch, result, loss
        As given.

    Examples
    --------
    >>> import numpy as np
    >>> import fastbp
    >>> net = fastbp.Network((1, 1), output="identity")  # linear regression
    >>> try:
    ...     fastbp.fit(net, np.array([[1e3]]), np.array([[1.0]]), learning_rate=1.0)
    ... except fastbp.DivergenceError as err:
    ...     print(err.epoch, err.result.params_epoch, bool(np.isfinite(err.result.params).all()))
    27 26 True
    """

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
    optimizer: str = "sgd",
    momentum: float = 0.0,
    nesterov: bool = False,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
    alpha: float = 0.0,
    schedule: str = "constant",
    power_t: float = 0.5,
    max_fun: int = 15000,
    sample_weight: ArrayLike | None = None,
    shuffle: bool = True,
    seed: int = 0,
    tol: float | None = None,
    n_iter_no_change: int = 10,
    validation_fraction: float | None = None,
    monitor: Callable[[np.ndarray], float] | None = None,
    params: ArrayLike | None = None,
    state: OptimizerState | None = None,
    dtype: type | None = None,
    engine: Engine | None = None,
    callback: Callable[[int, float, np.ndarray], None] | None = None,
) -> FitResult:
    """Train ``network`` on inputs X and targets T by gradient descent.

    The loss of a batch is ``(sum_i w_i loss_i + alpha / 2 * |weights|**2) / sum_i w_i``, with
    w the ``sample_weight`` and the L2 penalty ``alpha`` on the weights, not the biases
    (scikit-learn's MLPs scale it so). The epochs of SGD and Adam run inside compiled calls,
    the optimizer's update included; L-BFGS is SciPy's L-BFGS-B on the compiled full-batch
    loss and gradient. Dask arrays X and T (chunked along the samples) train on their
    workers: ``fastbp.distributed.fit``; X and T on a GPU train there, full batch (plain
    SGD with momentum; the user guide's "The general network", "On a GPU").

    Parameters
    ----------
    network : Network
        The architecture to train.
    X : array_like, dask array or GPU array, shape (N, D)
        Inputs.
    T : array_like, dask array or GPU array, shape (N, K)
        Targets (one-hot for a softmax output).
    learning_rate : float
        The step size (positive); for L-BFGS, unused.
    epochs : int, default 200
        The most epochs to run (for L-BFGS: iterations).
    batch_size : int or None, default None
        None for full batch (one update per epoch, over all samples), 1 for per-sample SGD,
        else minibatches (a last, smaller batch takes the rest). Must be None with
        ``optimizer="lbfgs"`` or an ``engine``.
    optimizer : {"sgd", "adam", "lbfgs"}, default "sgd"
        "sgd" (``momentum``, ``nesterov``) and "adam" (``beta_1``, ``beta_2``,
        ``epsilon``), each one compiled update per batch, or "lbfgs": SciPy's L-BFGS-B on
        the full-batch loss for at most ``epochs`` iterations and ``max_fun`` evaluations,
        stopping when the largest gradient entry is below ``tol``.
    momentum : float, default 0.0
        SGD's momentum, in [0, 1]: v = momentum * v - rate * g; params += v.
    nesterov : bool, default False
        Nesterov's momentum for SGD.
    beta_1, beta_2 : float, default 0.9, 0.999
        Adam's decay rates of the first and second moments, in [0, 1).
    epsilon : float, default 1e-8
        Adam's guard against division by zero (positive).
    alpha : float, default 0.0
        The L2 penalty on the weights (non-negative).
    schedule : {"constant", "invscaling", "adaptive"}, default "constant"
        How the rate changes after each epoch: not at all; ``learning_rate / (samples
        trained on + 1) ** power_t``; or divided by 5 when the stopping rule fires (which
        then stops only once the rate is below 1e-6).
    power_t : float, default 0.5
        The exponent of "invscaling".
    max_fun : int, default 15000
        L-BFGS's most loss evaluations.
    sample_weight : array_like, shape (N,), optional
        Weights of the samples (default 1 each): finite, non-negative, not all zero.
    shuffle : bool, default True
        Visit the samples of minibatch and per-sample epochs in a new order each epoch,
        drawn from ``seed``.
    seed : int, default 0
        Seeds the initial weights, the shuffling and the validation split.
    tol : float or None, default None
        The stopping rule: with ``tol`` set, it fires once the monitored loss has failed to
        drop below its best minus ``tol`` for ``n_iter_no_change`` epochs in a row. None
        runs all ``epochs``. For L-BFGS, its gradient tolerance.
    n_iter_no_change : int, default 10
        The stopping rule's number of epochs.
    validation_fraction : float or None, default None
        Watch the loss on this held-out share of the samples (in (0, 1)), not the
        training loss; with ``tol``, the parameters of the best epoch on it are returned.
    monitor : callable or None, default None
        ``monitor(params) -> float``, called after each epoch, watched instead of the
        training loss (lower is better); with ``tol``, the parameters of the best epoch on
        it are returned. Not with ``validation_fraction``.
    params : array_like, shape (network.n_params,), optional
        Start here (a copy is trained) instead of ``network.init_params(seed, dtype)``.
    state : OptimizerState, optional
        Resume the optimizer from a copy of a previous result's ``state`` (its rate and
        moments, Adam's count).
    dtype : {np.float32, np.float64} or None, default None
        The dtype to compute in; None: float32 only if every floating one of X and T is
        float32, else float64.
    engine : callable or None, default None
        A full-batch gradient engine used instead of the network's own loss (plain SGD with
        momentum only: optimizer "sgd", no ``nesterov``, ``alpha`` or ``sample_weight``):
        ``engine(params)`` is called once with the vector fit updates in place and returns
        ``gradient(X, T) -> (loss, flat gradient)`` at its current values. Each epoch
        evaluates that at the parameters the epoch starts from, then takes one step;
        divergence shows in its loss, before the update. ``fastbp.distributed`` builds one
        over chunked data.
    callback : callable or None, default None
        ``callback(epoch, loss, params)``, run after every epoch (counting from 1).

    Returns
    -------
    FitResult
        The trained parameters, the loss curve, why training stopped, and the optimizer's
        state to resume from.

    Raises
    ------
    DivergenceError
        If the loss or the parameters stop being finite (its ``.result`` holds what training
        held before that epoch).
    TrainingInterrupted
        On Ctrl-C (SIGINT), holding the result of the epochs completed.
    ValueError
        If a setting is outside its range (the message names it), if ``batch_size`` is
        given with L-BFGS or an engine, if both ``validation_fraction`` and ``monitor`` are
        given or the split leaves no sample on a side, if a shape is wrong or an array holds
        NaN or infinity, if ``state`` belongs to another optimizer or network, or if an
        engine or X and T on a GPU meet a setting they do not take.
    TypeError
        If X or T does not hold real numbers, or ``dtype`` is not float32 or float64.

    See Also
    --------
    Network : the architecture, its prediction and its loss.
    MLPClassifier, MLPRegressor : scikit-learn's estimators on top of fit.

    Examples
    --------
    >>> import fastbp
    >>> X, labels = fastbp.datasets.three_clouds(n_per_class=50)
    >>> T = fastbp.datasets.one_hot(labels, 3)
    >>> net = fastbp.Network((2, 8, 3), hidden="tanh")
    >>> result = fastbp.fit(net, X, T, learning_rate=0.1, epochs=50, batch_size=16)
    >>> result.epochs, result.loss_curve[-1] < result.loss_curve[0]
    (50, True)

    With a stopping rule, full batch:

    >>> result = fastbp.fit(net, X, T, learning_rate=0.1, epochs=500, tol=1e-3)
    >>> result.converged, result.epochs < 500
    (True, True)
    """
    arguments = dict(locals())  # the arguments alone, before any other name is bound
    # Every argument the tables constrain.
    check_parameters({name: value for name, value in arguments.items() if name in PARAMETERS})
    if _dispatch.is_dask(X, T):  # fastbp.distributed: the data stay chunked on the workers
        options = {k: v for k, v in arguments.items() if k not in ("network", "X", "T")}
        return _dispatch.distributed().fit(network, X, T, **options)
    if _dispatch.on_device(X, T):  # the data stay on the GPU
        from . import _cuda_network as cuda_network

        options = {k: v for k, v in arguments.items() if k not in ("network", "X", "T")}
        return cuda_network.fit(network, X, T, **options)
    check_parameters({"optimizer": optimizer, "schedule": schedule}, table=OWN_TABLE)
    full_batch_only = engine is not None or optimizer == "lbfgs"
    if full_batch_only and batch_size is not None:
        what = "an engine" if engine is not None else "optimizer='lbfgs'"
        raise ValueError(f"batch_size must be None with {what} (full batch), got {batch_size}")
    if validation_fraction is not None and monitor is not None:
        raise ValueError("give validation_fraction or monitor, not both")
    X, T = np.asarray(X), np.asarray(T)
    dtype = computation_dtype((X, T), dtype)
    if params is None:
        params = network.init_params(seed, dtype)
    else:
        params = network.check_params(params).astype(dtype, copy=True)
    X, T = network.check_data(params, X, T)
    weights = check_sample_weight(sample_weight, len(X), dtype)
    if engine is not None and (optimizer != "sgd" or nesterov or alpha or len(weights)):
        raise ValueError(
            "an engine takes plain SGD with momentum: optimizer='sgd', nesterov=False, "
            "alpha=0 and no sample_weight"
        )
    # a float whatever was given, as every number the kernels receive (tol in
    # ``_fit_epochs``): alpha=0, a Python int, would be another signature of the kernels,
    # compiled again for many seconds (scikit-learn's own MLP tests pass alpha=0 and tol=0)
    alpha = float(alpha)
    rng = np.random.default_rng(seed)
    gradient_at = None if engine is None else engine(params)
    if validation_fraction is not None:
        n_valid = round(validation_fraction * len(X))
        if not 1 <= n_valid < len(X):
            raise ValueError(
                f"validation_fraction={validation_fraction} of {len(X)} samples leaves "
                f"{n_valid} for validation and {len(X) - n_valid} for training; both need one"
            )
        split = rng.permutation(len(X))
        valid, train = split[:n_valid], split[n_valid:]
        X_valid, T_valid, w_valid = X[valid], T[valid], weights[valid] if len(weights) else weights
        X, T, weights = X[train], T[train], weights[train] if len(weights) else weights
        monitor = _held_out_loss(network, X_valid, T_valid, w_valid, alpha, gradient_at)
    with network._blas_threads(min(len(X), batch_size or len(X))):
        if optimizer == "lbfgs":
            return _fit_lbfgs(network, X, T, weights, params, alpha, epochs, max_fun, tol, callback)
        settings = Settings(**{name: arguments[name] for name in Settings._fields})
        return _fit_epochs(
            network, X, T, weights, params, rng, gradient_at, monitor, callback, settings, state
        )


class Settings(NamedTuple):
    """What the epoch loop reads of fit's arguments, by their names in ``fit``."""

    learning_rate: float
    epochs: int
    batch_size: int | None
    optimizer: str
    momentum: float
    nesterov: bool
    beta_1: float
    beta_2: float
    epsilon: float
    alpha: float
    schedule: str
    power_t: float
    shuffle: bool
    tol: float | None
    n_iter_no_change: int


def _held_out_loss(network, X, T, weights, alpha, gradient_at) -> Callable:
    """The monitor of ``validation_fraction``: the loss on the held-out samples (through the
    engine's ``gradient_at`` when there is one)."""
    args = network._kernel_args()

    def held_out_loss(current: np.ndarray) -> float:
        if gradient_at is not None:
            return float(gradient_at(X, T)[0])
        return float(kernels.loss_gradient(current, *args, X, T, weights, alpha)[0])

    held_out_loss.watched = "validation loss"  # how the stopping rule names it
    return held_out_loss


def _diverged(epoch: int, loss: float, advice: str, result: FitResult) -> DivergenceError:
    what = f"the loss became {loss}" if not math.isfinite(loss) else "the parameters overflowed"
    return DivergenceError(
        f"training diverged at epoch {epoch}: {what}; {advice}. What training held before "
        "that epoch is in this error's .result",
        epoch,
        result,
        loss,
    )


def _fit_epochs(network, X, T, weights, params, rng, gradient_at, monitor, callback, settings,
                state):  # fmt: skip
    """The epoch loop of SGD and Adam (and of an engine's full-batch SGD: ``gradient_at``).

    Without per-epoch Python work (no engine, monitor or callback, and no adaptive schedule
    with a stopping rule, whose rate changes mid-run), a compiled call runs a stretch of
    epochs (``kernels.network.train_epochs``, stopping where the training loss's rule
    fires), bounded to about STRETCH_SECONDS (Ctrl-C is seen between stretches) and to
    STRETCH_ORDERS sample indices; the bookkeeping below then replays its epochs.
    """
    s = settings
    n = len(X)
    batch_size = n if s.batch_size is None else min(int(s.batch_size), n)
    if state is None:
        state = OptimizerState.new(s.optimizer, params, s.learning_rate)
    elif state.optimizer != s.optimizer or state.moments.shape != (2, len(params)):
        raise ValueError(
            f"state is a {state.optimizer!r} state for {state.moments.shape[1]} parameters; "
            f"this fit needs a {s.optimizer!r} state for {len(params)}"
        )
    else:  # a copy: the state given stays as it was (a result can be resumed twice)
        state = replace(state, moments=state.moments.astype(params.dtype), steps=state.steps.copy())
    args = network._kernel_args()
    optimizer = kernels.Optimizer(
        code=OPTIMIZERS[s.optimizer],
        momentum=float(s.momentum),
        nesterov=bool(s.nesterov),
        beta_1=float(s.beta_1),
        beta_2=float(s.beta_2),
        epsilon=float(s.epsilon),
    )  # floats and a bool whatever was given: one compiled signature
    tol = -1.0 if s.tol is None else float(s.tol)  # the kernel's stopping rule: none below 0
    shuffling = s.shuffle and batch_size < n
    order = np.arange(n)[None, :]
    result = FitResult(network, params, state=state)
    best, best_epoch, best_params, stale = math.inf, 0, params.copy(), 0
    # An engine sees a non-finite loss before updating: the parameters are still finite ones.
    last_finite = np.empty_like(params) if gradient_at is None else params
    kept_best = monitor is not None and s.tol is not None
    watched = "training loss" if monitor is None else getattr(monitor, "watched", "monitor")
    stretches = gradient_at is None and monitor is None and callback is None
    stretches &= s.schedule != "adaptive" or s.tol is None
    longest = 1  # the longest stretch that fits STRETCH_SECONDS, measured
    epoch, stopped = 0, False
    with deferred_interrupt() as interrupted:
        while epoch < s.epochs and not stopped and not interrupted():
            length = 1
            if stretches:
                length = min(s.epochs - epoch, longest, max(1, STRETCH_ORDERS // n))
            started = time.perf_counter()
            if gradient_at is not None:
                loss, gradient = gradient_at(X, T)
                losses = [float(loss)]
                if math.isfinite(losses[0]):
                    velocity = state.moments[0]
                    velocity *= s.momentum
                    velocity -= state.learning_rate * gradient
                    params += velocity
            else:
                orders = (
                    np.stack([rng.permutation(n) for _ in range(length)]) if shuffling else order
                )
                rates = [state.learning_rate] + [
                    _rate_after(s, state, j * n) for j in range(1, length)
                ]
                losses = np.empty(length)
                stop = kernels.StopRule(tol, float(s.n_iter_no_change), best, stale)
                ran = kernels.train_epochs(
                    params, state.moments, state.steps, *args, X, T, weights, orders,
                    batch_size, optimizer, np.array(rates), float(s.alpha), stop, last_finite,
                    losses,
                )  # fmt: skip
                losses = losses[:ran].tolist()
                longest = stretch_length(time.perf_counter() - started, ran)
            for j, loss in enumerate(losses):
                epoch += 1
                # the kernel stops after a failing epoch: only the last can have overflowed
                overflowed = j == len(losses) - 1 and gradient_at is None
                if not math.isfinite(loss) or (overflowed and not np.isfinite(params).all()):
                    result.params = last_finite
                    if kept_best and best_epoch > 0:
                        result.params, result.params_epoch = best_params, best_epoch
                    advice = f"try a smaller learning_rate (was {state.learning_rate})"
                    raise _diverged(epoch, loss, advice, result)
                state.samples += n
                state.learning_rate = _rate_after(s, state, 0)
                result.loss_curve.append(loss)
                result.params_epoch = epoch
                monitored = loss
                if monitor is not None:
                    monitored = float(monitor(params))
                    result.validation_curve.append(monitored)
                if callback is not None:
                    callback(epoch, loss, params)
                if s.tol is None:
                    continue
                stale = kernels.stale_count(monitored, best, stale, s.tol)
                if monitored < best:
                    best, best_epoch = monitored, epoch
                    if kept_best:
                        np.copyto(best_params, params)
                if stale >= s.n_iter_no_change:
                    if s.schedule == "adaptive" and state.learning_rate > SMALLEST_ADAPTIVE_RATE:
                        state.learning_rate /= 5.0
                        stale = 0
                        continue
                    result.stop_reason = (
                        f"the {watched} improved by less than tol={s.tol} for "
                        f"{s.n_iter_no_change} epochs in a row (best {best:.6g} at epoch "
                        f"{best_epoch})"
                    )
                    result.converged = stopped = True
                    break
        if not stopped:
            result.stop_reason = f"ran all {s.epochs} epochs"
            if interrupted():
                result.stop_reason = f"interrupted after {epoch} of {s.epochs} epochs"
        if kept_best and best_epoch > 0:
            result.params, result.params_epoch = best_params, best_epoch
            result.stop_reason += (
                f"; returned the parameters of epoch {best_epoch}, the best on the {watched}"
            )
        if interrupted():
            raise TrainingInterrupted(result, epoch)
    return result


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) stopped :func:`fastbp.fit` or :func:`fastbp.train`.

    A KeyboardInterrupt, raised within a fraction of a second of Ctrl-C, after the last
    completed epoch, so that what was trained is kept. (Only in the main thread, and when
    SIGINT has Python's default handler; otherwise Ctrl-C interrupts as usual.)

    Parameters
    ----------
    result : FitResult or TrainResult
        What the run would have returned had it been asked for ``epochs`` epochs.
    epochs : int
        The number of completed epochs.

    Attributes
    ----------
    result, epochs
        As given.

    Examples
    --------
    >>> import fastbp
    >>> X, labels = fastbp.datasets.three_clouds(n_per_class=50)
    >>> try:
    ...     result = fastbp.train(X, labels, epochs=200)
    ... except fastbp.TrainingInterrupted as stop:  # Ctrl-C: keep what was trained
    ...     result = stop.result
    >>> result.final.epoch
    200
    >>> str(fastbp.TrainingInterrupted(result, 120))
    'training interrupted after 120 epochs'
    """

    def __init__(self, result: object, epochs: int):
        super().__init__(f"training interrupted after {epochs} epochs")
        self.result, self.epochs = result, epochs


# The longest a compiled stretch of epochs should run: Ctrl-C is seen between stretches.
STRETCH_SECONDS = 0.2
STRETCH_ORDERS = 1 << 22  # at most so many sample indices of shuffled orders per stretch


def stretch_length(seconds: float, epochs: int) -> int:
    """How many epochs fit STRETCH_SECONDS, from a stretch of ``epochs`` that took
    ``seconds`` (at least 1)."""
    return max(1, int(STRETCH_SECONDS * epochs / seconds)) if epochs and seconds > 0 else 1


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """Within: Ctrl-C (SIGINT) only sets a flag, read by the function yielded, so that the
    bookkeeping after a compiled stretch is never cut short. Only in the main thread and
    when SIGINT has Python's default handler; otherwise the flag stays down."""
    seen = []
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield lambda: False
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        yield lambda: bool(seen)
    finally:
        signal.signal(signal.SIGINT, previous)


def _rate_after(s: Settings, state: OptimizerState, samples: int) -> float:
    """The learning rate once ``samples`` more samples than ``state.samples`` are trained
    on: the schedule's (invscaling: the initial rate / (samples trained on + 1) ** power_t);
    otherwise the state's current rate."""
    if s.schedule == "invscaling":
        return s.learning_rate / (state.samples + samples + 1) ** s.power_t
    return state.learning_rate


def _fit_lbfgs(network, X, T, weights, params, alpha, epochs, max_fun, tol, callback):
    """SciPy's L-BFGS-B on the compiled full-batch loss and gradient (in float64 for SciPy,
    in the parameters' dtype for the kernel). SciPy's optimizers are imported here, not with
    fastbp: they were half of ``import fastbp`` (0.49 -> 0.26 s, ``python -X importtime``),
    and a first ``fastbp.gradients`` from a filled cache took 0.67-0.71 s with them and
    0.51-0.53 s without (import included, measured here)."""
    import scipy.optimize

    args = network._kernel_args()
    dtype = params.dtype

    def loss_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grad = kernels.loss_gradient(x.astype(dtype), *args, X, T, weights, alpha)
        return float(loss), grad.astype(np.float64)

    result = FitResult(network, params)

    def record(intermediate_result: scipy.optimize.OptimizeResult) -> None:  # SciPy's name
        result.loss_curve.append(float(intermediate_result.fun))
        if callback is not None:
            x = intermediate_result.x.astype(dtype)
            callback(len(result.loss_curve), result.loss_curve[-1], x)

    options = {"maxiter": epochs, "maxfun": max_fun, "gtol": 0.0 if tol is None else tol}
    outcome = scipy.optimize.minimize(
        loss_and_gradient,
        params.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        options=options,
        callback=record,
    )
    result.params = outcome.x.astype(dtype)
    result.params_epoch = len(result.loss_curve)
    result.converged = bool(outcome.status == 0)
    message = outcome.message if isinstance(outcome.message, str) else outcome.message.decode()
    result.stop_reason = f"L-BFGS-B after {outcome.nit} iterations: {message}"
    if not (math.isfinite(outcome.fun) and np.isfinite(result.params).all()):
        advice = "scale the inputs, or raise alpha"
        raise _diverged(result.params_epoch + 1, float(outcome.fun), advice, result)
    return result
