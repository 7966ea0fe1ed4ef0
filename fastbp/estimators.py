"""scikit-learn's ``MLPClassifier`` and ``MLPRegressor``, as a thin face over
:class:`fastbp.Network` and :func:`fastbp.fit` (they need the ``fastbp[sklearn]`` extra).

The same parameters, names, defaults and fitted attributes as scikit-learn's
(``sklearn.neural_network``), and the same algorithms: SGD (momentum, Nesterov), Adam and
L-BFGS, the L2 penalty ``alpha`` on the weights, the learning-rate schedules, early stopping
on the validation score, ``warm_start``, ``partial_fit`` and ``sample_weight``. Every epoch
of SGD and Adam, the optimizer's updates included, runs in one compiled call; L-BFGS is
SciPy's on the compiled loss and gradient.

Where they differ from scikit-learn's, on purpose:

- Initial weights and shuffling come from ``random_state`` as scikit-learn's do, but are not
  the same draws, so results agree in quality, not number for number.
- ``loss_`` of a multi-output regressor is the half squared error summed over the outputs
  (the loss whose gradient both libraries follow); scikit-learn reports its mean.
- A run whose loss stops being finite stops at once: the estimator keeps the parameters from
  before that epoch (the best validation epoch's with ``early_stopping``) and, without early
  stopping, raises :class:`fastbp.DivergenceError` (a ValueError).
- Sparse X is accepted and made dense.
- The stopping rule starts afresh at each call of ``fit`` (scikit-learn carries its count
  over ``warm_start`` fits).
- Extras after scikit-learn's parameters: ``bias_trick`` (compute each bias as a weight on a
  column of ones: the same results), and the regressor's ``output`` ("auto": identity, or
  exp for the Poisson loss; "sigmoid" for targets in [0, 1]). Fitted extras: ``network_``
  (the :class:`fastbp.Network`) and ``stop_reason_``.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._validation import (
    PARAMETERS,
    Constraint,
    Flag,
    Interval,
    Options,
    ParameterError,
    check_parameters,
    check_sample_weight,
)
from .fitting import OPTIMIZERS, SCHEDULES, DivergenceError, FitResult, OptimizerState, fit
from .network import HIDDEN_ACTIVATIONS, Network

# Re-exported: the classes of what the estimators raise and warn.
__all__ = [
    "ConvergenceWarning",
    "DataConversionWarning",
    "MLPClassifier",
    "MLPRegressor",
    "NotFittedError",
]

# scikit-learn's activation names -> the Network's (scikit-learn calls the sigmoid logistic).
ACTIVATIONS = {name: name for name in HIDDEN_ACTIVATIONS if name != "sigmoid"}
ACTIVATIONS["logistic"] = "sigmoid"
OUT_ACTIVATIONS = {"sigmoid": "logistic"}  # the Network's output -> out_activation_
# The regressor's losses: scikit-learn's name -> (the Network's loss, the outputs it allows;
# the first is output="auto").
REGRESSION_LOSSES = {
    "squared_error": ("squared_error", ("identity", "sigmoid")),
    "poisson": ("poisson", ("exp",)),
}
# scikit-learn's solvers are fit's optimizers; those with an epoch kernel take minibatches.
STOCHASTIC_SOLVERS = tuple(name for name, code in OPTIMIZERS.items() if code is not None)
AUTO_BATCH = 200  # batch_size="auto" means min(AUTO_BATCH, n_samples)
# scikit-learn's checks of X: float64 unless it is float32, dense or sparse.
X_CHECKS = {"accept_sparse": ["csr", "csc"], "dtype": (np.float64, np.float32)}
# fastbp.fit's and Network's names for the parameters they check -> the estimators' names.
FIT_NAMES = {
    "learning_rate": "learning_rate_init",
    "epochs": "max_iter",
    "optimizer": "solver",
    "schedule": "learning_rate",
    "nesterov": "nesterovs_momentum",
    "sizes": "hidden_layer_sizes",
}
# What the estimators check themselves (scikit-learn's constraints where fit's differ).
OWN_PARAMETERS: dict[str, tuple[Constraint, ...]] = {
    "activation": (Options(tuple(ACTIVATIONS)),),
    "solver": (Options(tuple(OPTIMIZERS)),),
    "batch_size": (Options(("auto",)), Interval(Integral, 1, None)),
    "learning_rate": (Options(SCHEDULES),),
    "max_iter": (Interval(Integral, 1, None),),
    "tol": (Interval(Real, 0, None),),
    "verbose": (Flag(), Interval(Integral, 0, None)),
    "warm_start": (Flag(),),
    "momentum": (Interval(Real, 0, 1),),
    "nesterovs_momentum": (Flag(),),
    "early_stopping": (Flag(),),
    "validation_fraction": (Interval(Real, 0, 1, closed="left"),),
    "n_iter_no_change": (Interval(Integral, 1, None), Options((math.inf,))),
    "bias_trick": (Flag(),),
}
NON_FINITE = (
    "Solver produced non-finite parameter weights. The input data may contain large values "
    "and need to be preprocessed."
)


def _target_type(y: np.ndarray) -> str:
    """scikit-learn's word for classification targets: "binary", "multiclass" or
    "multilabel-indicator"; others raise its errors. 1-D integers or strings are classes
    as they stand (scikit-learn's type_of_target, which costs a millisecond, is asked only
    about the rest)."""
    if y.ndim == 1 and y.dtype.kind in "iuUS":
        return "multiclass" if len(np.unique(y)) > 2 else "binary"
    kind = type_of_target(y, input_name="y")
    if kind == "multiclass-multioutput":
        raise ValueError("Multioutput target data is not supported with label binarization")
    check_classification_targets(y)
    return kind


def _dense(X: Any) -> np.ndarray:
    return X.toarray() if scipy.sparse.issparse(X) else X


class _MLP(BaseEstimator, ABC):
    """What the classifier and the regressor share: parameters, training and prediction."""

    def __init__(
        self,
        hidden_layer_sizes: int | Iterable[int] = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool | int = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int | float = 10,
        max_fun: int = 15000,
        bias_trick: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.bias_trick = bias_trick

    # --- what the classifier and the regressor each define ---------------------------------

    @abstractmethod
    def _targets(
        self, X: Any, y: ArrayLike, incremental: bool, reset: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(X as a dense float array, y as validated, T: the N x K training targets)."""

    @abstractmethod
    def _output(self) -> tuple[str, str]:
        """(the output activation, the loss) of the Network, once targets are known."""

    @abstractmethod
    def _score(self, outputs: np.ndarray, y: np.ndarray, sample_weight: Any) -> float:
        """The validation score of the network's outputs for targets y (higher is better)."""

    # --- fitting ----------------------------------------------------------------------------

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> _MLP:
        """Train on X and y (from the previous weights with ``warm_start``).

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
            Inputs (sparse X is made dense).
        y : array_like, shape (n_samples,) or (n_samples, n_outputs)
            Targets: class labels or label indicators for the classifier, numbers for the
            regressor.
        sample_weight : array_like, shape (n_samples,), optional
            Weights of the samples (default 1 each).

        Returns
        -------
        self
            The fitted estimator.

        Raises
        ------
        ValueError
            If a parameter is outside its range (named as scikit-learn names it), or X or y
            is not what the estimator takes.
        DivergenceError
            If the loss stops being finite (the estimator keeps the parameters from before
            that epoch); with early stopping and "sgd" or "adam", the run ends there
            instead, keeping the best validation epoch's parameters.

        Examples
        --------
        >>> import fastbp
        >>> X, y = fastbp.datasets.three_clouds(n_per_class=50)
        >>> clf = fastbp.MLPClassifier((8,), solver="lbfgs", random_state=0).fit(X, y)
        >>> [W.shape for W in clf.coefs_], clf.classes_
        ([(2, 8), (8, 3)], array([0, 1, 2]))
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit_allowed(self) -> bool:
        if self.solver not in STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. {self.solver} is "
                "not stochastic."
            )
        return True

    def _hidden_sizes(self) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        sizes = tuple(sizes) if isinstance(sizes, Iterable) else (sizes,)
        for i, size in enumerate(sizes):
            check_parameters({"sizes": size}, names={"sizes": f"hidden_layer_sizes[{i}]"})
        return tuple(int(size) for size in sizes)

    def _fit(self, X: Any, y: ArrayLike, sample_weight: Any, incremental: bool) -> _MLP:
        check_parameters(
            {name: getattr(self, name) for name in OWN_PARAMETERS}, table=OWN_PARAMETERS
        )
        settings = self._settings()
        checked = {name: value for name, value in settings.items() if name in PARAMETERS}
        check_parameters(checked, names=FIT_NAMES)  # before anything is fitted
        hidden = self._hidden_sizes()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        rng = check_random_state(self.random_state)
        first_pass = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        X, y, T = self._targets(X, y, incremental, reset=first_pass)
        weights = None
        if sample_weight is not None:
            weights = check_sample_weight(sample_weight, len(X), X.dtype)
        output, loss = self._output()
        try:
            network = Network(
                (X.shape[1], *hidden, T.shape[1]),
                hidden=ACTIVATIONS[self.activation],
                output=output,
                loss=loss,
                bias_trick=self.bias_trick,
            )
        except ParameterError as err:
            raise err.renamed(FIT_NAMES) from None
        if first_pass:
            self._initialize(network, X.dtype, rng)
        params = network.pack(list(zip(self.coefs_, self.intercepts_)), X.dtype)
        if self.solver == "lbfgs":
            self._fit_lbfgs(network, X, T, weights, params, settings)
        else:
            settings["seed"] = int(rng.randint(np.iinfo(np.int32).max))
            self._fit_stochastic(network, X, y, T, weights, params, rng, incremental, settings)
        return self

    def _initialize(self, network: Network, dtype: np.dtype, rng: np.random.RandomState) -> None:
        """Fresh weights and the attributes of a first fit. Weights and biases are uniform in
        +-sqrt(factor / (n_in + n_out)), factor 2 for logistic hidden layers, else 6 (Glorot
        and Bengio, 2010, as scikit-learn draws them)."""
        factor = 2.0 if self.activation == "logistic" else 6.0
        self.coefs_, self.intercepts_ = [], []
        for n_in, n_out in zip(network.sizes[:-1], network.sizes[1:]):
            bound = math.sqrt(factor / (n_in + n_out))
            self.coefs_.append(rng.uniform(-bound, bound, (n_in, n_out)).astype(dtype))
            self.intercepts_.append(rng.uniform(-bound, bound, n_out).astype(dtype))
        self.n_iter_ = self.t_ = 0
        self.n_layers_ = len(network.sizes)
        self.n_outputs_ = network.sizes[-1]
        self.out_activation_ = OUT_ACTIVATIONS.get(network.output, network.output)
        self.loss_curve_ = []
        if self.early_stopping:
            self.validation_scores_, self.best_validation_score_ = [], -np.inf
            self.best_loss_ = None
        else:
            self.validation_scores_ = self.best_validation_score_ = None
            self.best_loss_ = np.inf
        if hasattr(self, "_optimizer"):
            del self._optimizer

    def _settings(self) -> dict[str, Any]:
        """fastbp.fit's keyword arguments for the parameters (but the seed)."""
        return dict(
            learning_rate=self.learning_rate_init,
            epochs=self.max_iter,
            optimizer=self.solver,
            momentum=self.momentum,
            nesterov=self.nesterovs_momentum,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            alpha=self.alpha,
            # Adam has no schedule in scikit-learn: its rate is learning_rate_init.
            schedule=self.learning_rate if self.solver == "sgd" else "constant",
            power_t=self.power_t,
            max_fun=self.max_fun,
            shuffle=self.shuffle,
            # scikit-learn stops after n_iter_no_change + 1 epochs without improvement.
            tol=None if self.n_iter_no_change == math.inf else self.tol,
            n_iter_no_change=1 if self.n_iter_no_change == math.inf else self.n_iter_no_change + 1,
        )

    def _run(self, network: Network, X, T, weights, params, **settings) -> FitResult | None:
        """fastbp.fit with the estimator's settings; its errors under the estimator's names.
        Divergence raises (NON_FINITE first), after keeping what training held before it;
        with early stopping it ends the run instead: None is returned."""
        if self.verbose:
            settings["callback"] = lambda epoch, loss, _: print(
                f"Iteration {epoch}, loss = {loss:.8f}"
            )
        try:
            return fit(network, X, T, params=params, sample_weight=weights, **settings)
        except ParameterError as err:
            raise err.renamed(FIT_NAMES) from None
        except DivergenceError as err:
            self._store(network, err.result, f"diverged: {err}")
            if self.early_stopping and self.solver != "lbfgs":
                self.validation_scores_.append(math.nan)
                return None
            raise DivergenceError(f"{NON_FINITE} {err}", err.epoch, err.result, err.loss) from None

    def _fit_lbfgs(self, network: Network, X, T, weights, params, settings) -> None:
        settings.update(batch_size=None, tol=self.tol)  # L-BFGS's own test: gtol=tol
        result = self._run(network, X, T, weights, params, **settings)
        self._store(network, result, result.stop_reason)
        self.n_iter_ = min(result.epochs, self.max_iter)
        self.loss_ = result.loss_curve[-1] if result.loss_curve else math.nan
        if not result.converged:
            warnings.warn(
                f"lbfgs failed to converge: {result.stop_reason}. Increase the number of "
                "iterations (max_iter, max_fun) or scale the data.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _fit_stochastic(self, network, X, y, T, weights, params, rng, incremental, settings):
        valid = None
        if self.early_stopping:
            X, T, weights, valid = self._validation_split(X, y, T, weights, rng)
            settings["monitor"] = self._monitor(network, *valid)
        n = len(X)
        batch = min(AUTO_BATCH, n) if self.batch_size == "auto" else self.batch_size
        if batch > n:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                "clipped",
                stacklevel=4,
            )
        settings["batch_size"] = min(batch, n)
        if incremental:
            settings["epochs"] = 1
        state = getattr(self, "_optimizer", None) if incremental else None
        if state is None:  # scikit-learn's invscaling counts the samples of earlier fits too
            state = OptimizerState.new(self.solver, params, self.learning_rate_init, self.t_)
        settings["state"] = state
        result = self._run(network, X, T, weights, params, **settings)
        if result is None:  # diverged with early stopping: the best epoch's parameters kept
            return
        self._store(network, result, result.stop_reason)
        self._optimizer = result.state
        self.t_ = result.state.samples
        self.n_iter_ = result.epochs
        self.loss_curve_.extend(result.loss_curve)
        self.loss_ = self.loss_curve_[-1]
        if self.early_stopping:
            self.validation_scores_.extend(-value for value in result.validation_curve)
            self.best_validation_score_ = max(self.validation_scores_)
        else:
            self.best_loss_ = min(self.best_loss_, *result.loss_curve)
        if not (incremental or result.converged):
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )

    def _validation_split(self, X, y, T, weights, rng) -> tuple:
        """(X, T, weights) to train on and (X, y, weights) to validate on: the held-out
        ``validation_fraction``, stratified for a binary classifier as scikit-learn does."""
        stratify = T.astype(bool) if is_classifier(self) and T.shape[1] == 1 else None
        arrays = [X, T, y] + ([] if weights is None else [weights])
        parts = train_test_split(
            *arrays, random_state=rng, test_size=self.validation_fraction, stratify=stratify
        )
        if len(parts[1]) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size "
                "of your dataset."
            )
        X_train, X_valid, T_train, _, _, y_valid = parts[:6]
        w_train, w_valid = (None, None) if weights is None else parts[6:]
        return X_train, T_train, w_train, (X_valid, y_valid, w_valid)

    def _monitor(self, network: Network, X, y, weights) -> Callable[[np.ndarray], float]:
        """What fit's stopping rule watches with early stopping: minus the validation score."""

        def negative_score(params: np.ndarray) -> float:
            outputs = network.predict(params, X)
            if not np.isfinite(outputs).all():
                return math.nan
            return -self._score(outputs, y, weights)

        negative_score.watched = "validation score (negated)"
        return negative_score

    def _store(self, network: Network, result: FitResult, reason: str) -> None:
        """The trained parameters as coefs_ and intercepts_ (views of one flat vector)."""
        self.network_ = network
        layers = network.unpack(result.params)
        self.coefs_ = [W for W, _ in layers]
        self.intercepts_ = [b for _, b in layers]
        self._params = (result.params, self.coefs_[:], self.intercepts_[:])
        self.stop_reason_ = reason

    # --- prediction -------------------------------------------------------------------------

    def _packed(self, network: Network) -> np.ndarray:
        """The flat parameter vector of coefs_ and intercepts_ (packed again only if they
        were replaced since training)."""
        params, coefs, intercepts = getattr(self, "_params", (None, (), ()))
        same = len(coefs) == len(self.coefs_) and len(intercepts) == len(self.intercepts_)
        same = same and all(a is b for a, b in zip(coefs, self.coefs_))
        if not (same and all(a is b for a, b in zip(intercepts, self.intercepts_))):
            params = network.pack(list(zip(self.coefs_, self.intercepts_)), self.coefs_[0].dtype)
        return params

    def _outputs(self, X: ArrayLike) -> np.ndarray:
        """The network's outputs (n_samples x ``n_outputs_``) for X."""
        check_is_fitted(self)
        network = getattr(self, "network_", None)
        if network is None:  # coefs_ set by hand, never trained here: prediction stores nothing
            output, loss = self._output()
            sizes = (self.coefs_[0].shape[0], *(c.shape[1] for c in self.coefs_))
            hidden = ACTIVATIONS[self.activation]
            network = Network(sizes, hidden, output, loss=loss, bias_trick=self.bias_trick)
        fast = type(X) is np.ndarray and X.dtype in X_CHECKS["dtype"] and X.ndim == 2
        if fast and not hasattr(self, "feature_names_in_") and X.shape[1] == self.n_features_in_:
            data = X  # the Network checks shape, contiguity and finiteness itself
        else:
            data = _dense(validate_data(self, X, reset=False, **X_CHECKS))
        return network.predict(self._packed(network), data)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_params", None)  # views do not survive pickling: made again on loading
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if hasattr(self, "network_"):
            params = self.network_.pack(
                list(zip(self.coefs_, self.intercepts_)), self.coefs_[0].dtype
            )
            self._store(self.network_, FitResult(self.network_, params), self.stop_reason_)


class MLPClassifier(ClassifierMixin, _MLP):
    """A multilayer perceptron classifier: scikit-learn's ``MLPClassifier``, compiled.

    The same estimator over fastbp's compiled kernels. Hidden layers with ``activation``, a
    softmax output for several classes, one logistic output for two classes and one per label
    for multi-label y; the loss is the log-loss plus ``alpha`` times the L2 penalty. Parameters
    and fitted attributes are scikit-learn's (see its documentation; the module docstring of
    ``fastbp.estimators`` lists the differences), with the extra ``bias_trick``, ``network_``
    and ``stop_reason_``. Needs the ``fastbp[sklearn]`` extra.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        The width of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default "relu"
        The activation of every hidden layer (logistic: the sigmoid).
    solver : {"lbfgs", "sgd", "adam"}, default "adam"
        The optimizer: SciPy's L-BFGS-B, SGD (momentum, Nesterov) or Adam.
    alpha : float, default 0.0001
        The strength of the L2 penalty on the weights.
    batch_size : int or "auto", default "auto"
        The minibatch size of "sgd" and "adam" ("auto": min(200, n_samples)); larger than
        n_samples is clipped, with a warning.
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        The schedule of SGD's rate (Adam's is constant).
    learning_rate_init : float, default 0.001
        The initial rate of "sgd" and "adam".
    power_t : float, default 0.5
        The exponent of "invscaling".
    max_iter : int, default 200
        The most epochs ("sgd", "adam") or iterations ("lbfgs").
    shuffle : bool, default True
        Shuffle the samples in each epoch of "sgd" and "adam".
    random_state : int, RandomState instance or None, default None
        The source of the initial weights, the shuffling and the validation split.
    tol : float, default 1e-4
        The stopping rule's least improvement (for "lbfgs": its gradient tolerance).
    verbose : bool or int, default False
        Print each epoch's loss.
    warm_start : bool, default False
        Start ``fit`` from the previous fit's weights.
    momentum : float, default 0.9
        SGD's momentum, in [0, 1].
    nesterovs_momentum : bool, default True
        Nesterov's momentum for SGD.
    early_stopping : bool, default False
        Stop on the score of a held-out ``validation_fraction`` of the training data
        instead of the training loss, and keep the best epoch's weights.
    validation_fraction : float, default 0.1
        The held-out share of early stopping, in [0, 1).
    beta_1, beta_2 : float, default 0.9, 0.999
        Adam's decay rates of the first and second moments, in [0, 1).
    epsilon : float, default 1e-8
        Adam's guard against division by zero.
    n_iter_no_change : int, default 10
        Stop once ``tol`` has not been improved on for n_iter_no_change + 1 epochs in a
        row (``np.inf``: never stop early).
    max_fun : int, default 15000
        L-BFGS's most loss evaluations.
    bias_trick : bool, default False
        Compute each bias as a weight on a column of ones (the same results).

    Attributes
    ----------
    classes_ : ndarray
        The class labels (for multi-label y: the column indices).
    loss_ : float
        The last epoch's training loss (with the penalty).
    best_loss_ : float or None
        The least training loss of "sgd" and "adam" without early stopping (None with it).
    loss_curve_ : list of float
        Each epoch's training loss ("sgd" and "adam").
    t_ : int
        The number of samples the optimizer has trained on.
    coefs_ : list of ndarray
        Per layer, the weights (n_in x n_out).
    intercepts_ : list of ndarray
        Per layer, the biases (n_out).
    n_features_in_ : int
        The number of features seen in fit.
    feature_names_in_ : ndarray of str
        The feature names seen in fit, when X has them (a DataFrame).
    n_iter_ : int
        The number of epochs (iterations for "lbfgs") of the last fit.
    n_layers_ : int
        The number of layers, inputs and outputs included.
    n_outputs_ : int
        The number of outputs.
    out_activation_ : str
        The output activation.
    network_ : Network
        The :class:`fastbp.Network` trained.
    stop_reason_ : str
        Why the last fit stopped, in words.
    validation_scores_ : list of float or None
        With early stopping, the accuracy on the held-out data after each epoch.
    best_validation_score_ : float or None
        With early stopping, the best of ``validation_scores_``.

    See Also
    --------
    MLPRegressor : the regressor.
    fit : the training it runs.

    Examples
    --------
    >>> import fastbp
    >>> from fastbp import MLPClassifier
    >>> X, y = fastbp.datasets.iris()
    >>> clf = MLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=500,
    ...                     random_state=0).fit(X, y)
    >>> clf.predict(X[[0, 50, 100]]), clf.score(X, y) > 0.95
    (array([0, 1, 2]), True)
    """

    def _targets(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, multi_output=True, reset=reset, **X_CHECKS)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        kind = _target_type(y)
        if not hasattr(self, "classes_") or not (self.warm_start or incremental):
            self._set_classes(y, kind)
        elif self._multilabel != (kind == "multilabel-indicator"):
            raise ValueError(f"y is {kind}, but the estimator was fitted on other targets")
        elif not self._multilabel:
            classes = np.unique(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}"
                    )
            elif not np.isin(classes, self.classes_).all():
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        if self._multilabel:
            T = y.astype(X.dtype)
        else:
            codes = np.searchsorted(self.classes_, y)
            if len(self.classes_) > 2:
                T = np.zeros((len(y), len(self.classes_)), X.dtype)
                T[np.arange(len(y)), codes] = 1.0
            else:
                T = (codes == 1).astype(X.dtype)[:, None]
        return _dense(X), y, T

    def _set_classes(self, labels: np.ndarray, kind: str) -> None:
        """classes_ from the labels (every class) or a label-indicator matrix (its columns)."""
        self._multilabel = kind == "multilabel-indicator"
        self.classes_ = np.arange(labels.shape[1]) if self._multilabel else np.unique(labels)

    def _output(self) -> tuple[str, str]:
        multiclass = not self._multilabel and len(self.classes_) > 2
        return ("softmax" if multiclass else "sigmoid"), "cross_entropy"

    def _score(self, outputs, y, sample_weight):
        return accuracy_score(y, self._labels(outputs), sample_weight=sample_weight)

    def _labels(self, outputs: np.ndarray) -> np.ndarray:
        """The classes of the network's outputs: the most probable one; with one logistic
        output, the second class where its probability exceeds 1/2; label indicators for
        multi-label y."""
        if self._multilabel:
            return (outputs > 0.5).astype(int)
        if outputs.shape[1] == 1:
            second = outputs[:, 0] > 0.5
            return self.classes_[second.astype(int) if len(self.classes_) > 1 else 0 * second]
        return self.classes_[np.argmax(outputs, axis=1)]

    @available_if(_MLP._partial_fit_allowed)
    def partial_fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        classes: ArrayLike | None = None,
    ) -> MLPClassifier:
        """One epoch over the given samples (SGD and Adam).

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
            Inputs.
        y : array_like, shape (n_samples,) or (n_samples, n_classes)
            Class labels, or label indicators.
        sample_weight : array_like, shape (n_samples,), optional
            Weights of the samples (default 1 each).
        classes : array_like, optional
            Every class of the whole stream; required on the first call.

        Returns
        -------
        self
            The estimator, trained one epoch more.

        Raises
        ------
        AttributeError
            With ``solver="lbfgs"`` (the method is not available).
        ValueError
            If ``classes`` is missing on the first call or differs later, if y has classes
            outside ``classes_``, or with ``early_stopping=True``.

        Examples
        --------
        >>> import fastbp
        >>> X, y = fastbp.datasets.iris()
        >>> clf = fastbp.MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
        >>> clf = clf.partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, y)
        >>> clf.t_, len(clf.loss_curve_)
        (300, 2)
        """
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            kind = type_of_target(y)
            multilabel = kind == "multilabel-indicator"
            self._set_classes(np.asarray(y) if multilabel else np.asarray(classes), kind)
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on the first call to partial_fit, "
                f"was: {self.classes_!r}"
            )
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The predicted classes.

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray, shape (n_samples,) or (n_samples, n_classes)
            The most probable class of each sample; label indicators for multi-label y.

        Raises
        ------
        NotFittedError
            If the estimator is not fitted.

        Examples
        --------
        >>> import fastbp
        >>> X, y = fastbp.datasets.iris()
        >>> clf = fastbp.MLPClassifier((8,), solver="lbfgs", max_iter=500, random_state=0)
        >>> clf.fit(X, y).predict(X[[0, 50, 100]])
        array([0, 1, 2])
        """
        return self._labels(self._outputs(X))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray, shape (n_samples, n_classes)
            The probability of each class, in ``classes_`` order.

        Raises
        ------
        NotFittedError
            If the estimator is not fitted.

        Examples
        --------
        >>> import numpy as np
        >>> import fastbp
        >>> X, y = fastbp.datasets.iris()
        >>> clf = fastbp.MLPClassifier((8,), solver="lbfgs", max_iter=500, random_state=0)
        >>> P = clf.fit(X, y).predict_proba(X[:2])
        >>> P.shape, bool(np.allclose(P.sum(axis=1), 1))
        ((2, 3), True)
        """
        outputs = self._outputs(X)
        if self.n_outputs_ == 1:
            return np.hstack([1.0 - outputs, outputs])
        return outputs

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """The logarithms of the class probabilities, log(predict_proba(X)).

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray, shape (n_samples, n_classes)
            The log-probability of each class, in ``classes_`` order.

        Raises
        ------
        NotFittedError
            If the estimator is not fitted.

        Examples
        --------
        >>> import numpy as np
        >>> import fastbp
        >>> X, y = fastbp.datasets.iris()
        >>> clf = fastbp.MLPClassifier((8,), solver="lbfgs", max_iter=500, random_state=0)
        >>> clf = clf.fit(X, y)
        >>> bool(np.allclose(clf.predict_log_proba(X[:2]), np.log(clf.predict_proba(X[:2]))))
        True
        """
        probabilities = self.predict_proba(X)
        return np.log(probabilities, out=probabilities)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.sparse = True
        return tags


class MLPRegressor(RegressorMixin, _MLP):
    """A multilayer perceptron regressor: scikit-learn's ``MLPRegressor``, compiled.

    The same estimator over fastbp's compiled kernels. Hidden layers with ``activation``, an
    identity output (exp for ``loss="poisson"``) per column of y; the loss is the half squared
    error (or half Poisson deviance) plus ``alpha`` times the L2 penalty. Parameters and fitted
    attributes are scikit-learn's (see its documentation; the module docstring of
    ``fastbp.estimators`` lists the differences), with ``validation_scores_`` as R²; extras:
    ``bias_trick``, ``output``, ``network_`` and ``stop_reason_``. Needs the ``fastbp[sklearn]``
    extra.

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default "squared_error"
        The loss (poisson needs y >= 0).
    hidden_layer_sizes : int or sequence of int, default (100,)
        The width of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default "relu"
        The activation of every hidden layer (logistic: the sigmoid).
    solver : {"lbfgs", "sgd", "adam"}, default "adam"
        The optimizer: SciPy's L-BFGS-B, SGD (momentum, Nesterov) or Adam.
    alpha : float, default 0.0001
        The strength of the L2 penalty on the weights.
    batch_size : int or "auto", default "auto"
        The minibatch size of "sgd" and "adam" ("auto": min(200, n_samples)); larger than
        n_samples is clipped, with a warning.
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        The schedule of SGD's rate (Adam's is constant).
    learning_rate_init : float, default 0.001
        The initial rate of "sgd" and "adam".
    power_t : float, default 0.5
        The exponent of "invscaling".
    max_iter : int, default 200
        The most epochs ("sgd", "adam") or iterations ("lbfgs").
    shuffle : bool, default True
        Shuffle the samples in each epoch of "sgd" and "adam".
    random_state : int, RandomState instance or None, default None
        The source of the initial weights, the shuffling and the validation split.
    tol : float, default 1e-4
        The stopping rule's least improvement (for "lbfgs": its gradient tolerance).
    verbose : bool or int, default False
        Print each epoch's loss.
    warm_start : bool, default False
        Start ``fit`` from the previous fit's weights.
    momentum : float, default 0.9
        SGD's momentum, in [0, 1].
    nesterovs_momentum : bool, default True
        Nesterov's momentum for SGD.
    early_stopping : bool, default False
        Stop on the score of a held-out ``validation_fraction`` of the training data
        instead of the training loss, and keep the best epoch's weights.
    validation_fraction : float, default 0.1
        The held-out share of early stopping, in [0, 1).
    beta_1, beta_2 : float, default 0.9, 0.999
        Adam's decay rates of the first and second moments, in [0, 1).
    epsilon : float, default 1e-8
        Adam's guard against division by zero.
    n_iter_no_change : int, default 10
        Stop once ``tol`` has not been improved on for n_iter_no_change + 1 epochs in a
        row (``np.inf``: never stop early).
    max_fun : int, default 15000
        L-BFGS's most loss evaluations.
    bias_trick : bool, default False
        Compute each bias as a weight on a column of ones (the same results).
    output : {"auto", "identity", "sigmoid", "exp"}, default "auto"
        The output activation: "auto" is identity, or exp for the Poisson loss; "sigmoid"
        for targets in [0, 1].

    Attributes
    ----------
    loss_ : float
        The last epoch's training loss (with the penalty).
    best_loss_ : float or None
        The least training loss of "sgd" and "adam" without early stopping (None with it).
    loss_curve_ : list of float
        Each epoch's training loss ("sgd" and "adam").
    t_ : int
        The number of samples the optimizer has trained on.
    coefs_ : list of ndarray
        Per layer, the weights (n_in x n_out).
    intercepts_ : list of ndarray
        Per layer, the biases (n_out).
    n_features_in_ : int
        The number of features seen in fit.
    feature_names_in_ : ndarray of str
        The feature names seen in fit, when X has them (a DataFrame).
    n_iter_ : int
        The number of epochs (iterations for "lbfgs") of the last fit.
    n_layers_ : int
        The number of layers, inputs and outputs included.
    n_outputs_ : int
        The number of outputs.
    out_activation_ : str
        The output activation.
    network_ : Network
        The :class:`fastbp.Network` trained.
    stop_reason_ : str
        Why the last fit stopped, in words.
    validation_scores_ : list of float or None
        With early stopping, the R² on the held-out data after each epoch.
    best_validation_score_ : float or None
        With early stopping, the best of ``validation_scores_``.

    See Also
    --------
    MLPClassifier : the classifier.
    fit : the training it runs.

    Examples
    --------
    >>> import numpy as np
    >>> from fastbp import MLPRegressor
    >>> X = np.random.default_rng(0).uniform(-1, 1, (200, 2))
    >>> y = X[:, 0] ** 2 + X[:, 1]
    >>> reg = MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=500,
    ...                    random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape, reg.score(X, y) > 0.99
    ((3,), True)
    """

    def __init__(
        self,
        loss: str = "squared_error",
        hidden_layer_sizes: int | Iterable[int] = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool | int = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int | float = 10,
        max_fun: int = 15000,
        bias_trick: bool = False,
        output: str = "auto",
    ) -> None:
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            bias_trick=bias_trick,
        )
        self.loss = loss
        self.output = output

    def _output(self) -> tuple[str, str]:
        check_parameters({"loss": self.loss}, table={"loss": (Options(tuple(REGRESSION_LOSSES)),)})
        loss, outputs = REGRESSION_LOSSES[self.loss]
        check_parameters({"output": self.output}, table={"output": (Options(("auto", *outputs)),)})
        return (outputs[0] if self.output == "auto" else self.output), loss

    def _targets(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            multi_output=True,
            y_numeric=True,
            reset=reset,
            **X_CHECKS,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        T = np.asarray(y, X.dtype).reshape(len(y), -1)
        output, loss = self._output()
        if loss == "poisson" and (T < 0).any():
            raise ValueError(f"loss='poisson' needs y >= 0, got values down to {T.min():.4g}")
        if output == "sigmoid" and (T.min() < 0 or T.max() > 1):
            raise ValueError(
                "output='sigmoid' predicts values in (0, 1), but y has values outside [0, 1] "
                f"(from {T.min():.4g} to {T.max():.4g}); scale y or use output='auto'"
            )
        return _dense(X), y, T

    def _score(self, outputs, y, sample_weight):
        return r2_score(y, outputs.ravel() if outputs.shape[1] == 1 else outputs,
                        sample_weight=sample_weight)  # fmt: skip

    @available_if(_MLP._partial_fit_allowed)
    def partial_fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> MLPRegressor:
        """One epoch over the given samples (SGD and Adam).

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
            Inputs.
        y : array_like, shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array_like, shape (n_samples,), optional
            Weights of the samples (default 1 each).

        Returns
        -------
        self
            The estimator, trained one epoch more.

        Raises
        ------
        AttributeError
            With ``solver="lbfgs"`` (the method is not available).
        ValueError
            With ``early_stopping=True``, or if y is not what the estimator takes.

        Examples
        --------
        >>> import numpy as np
        >>> import fastbp
        >>> X = np.random.default_rng(0).uniform(-1, 1, (200, 2))
        >>> reg = fastbp.MLPRegressor(hidden_layer_sizes=(16,), random_state=0)
        >>> reg.partial_fit(X, X.sum(axis=1)).t_
        200
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The predicted targets.

        Parameters
        ----------
        X : array_like or sparse matrix, shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        ndarray, shape (n_samples,) or (n_samples, ``n_outputs_``)
            The network's outputs: 1-D for one output.

        Raises
        ------
        NotFittedError
            If the estimator is not fitted.

        Examples
        --------
        >>> import numpy as np
        >>> import fastbp
        >>> X = np.random.default_rng(0).uniform(-1, 1, (200, 2))
        >>> Y = np.column_stack([X.sum(axis=1), X[:, 0] - X[:, 1]])  # two outputs
        >>> reg = fastbp.MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0)
        >>> reg.fit(X, Y).predict(X[:3]).shape
        (3, 2)
        """
        outputs = self._outputs(X)
        return outputs.ravel() if self.n_outputs_ == 1 else outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags
