"""scikit-learn estimators over :class:`fastbp.Network` and :func:`fastbp.fit` (they need the
``fastbp[sklearn]`` extra).

``MLPClassifier`` (softmax output, cross-entropy) and ``MLPRegressor`` (identity or sigmoid
output, half squared error) build on scikit-learn's ``BaseEstimator`` and mixins and validate
arrays with its utilities. Their parameters are translated into ``fastbp.fit``'s settings,
which ``fastbp.fit`` and ``fastbp.Network`` check; their errors name the estimator's
parameters.

Differences from scikit-learn's MLPs, on purpose:

- Training is minibatch gradient descent with classical momentum (no Adam, no L2 penalty,
  no learning-rate schedule); ``learning_rate_init`` is the constant step size.
- Every layer has a bias. The classifier has one softmax output per class, also for two
  classes (so ``n_outputs_ == len(classes_)``).
- ``early_stopping`` monitors the *loss* on the held-out share (not the accuracy), the
  share is drawn at random (not stratified), and the parameters of the best epoch on it are
  kept.
- The regressor learns y as given: no scaling of X or y (scale them yourself when their
  ranges are large; a network that diverges raises :class:`fastbp.DivergenceError`).
- No ``ConvergenceWarning``: ``stop_reason_`` says why training ended.
- ``random_state=None`` draws a fresh seed at each fit; an int makes fitting deterministic.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y, validate_data

from ._validation import (
    Constraint,
    Flag,
    Interval,
    Options,
    ParameterError,
    check_parameters,
)
from .datasets import one_hot
from .fitting import DivergenceError, FitResult, fit
from .network import DEFAULT_LOSSES, HIDDEN_ACTIVATIONS, Network

# Re-exported: the classes of what the estimators raise and warn.
__all__ = ["DataConversionWarning", "MLPClassifier", "MLPRegressor", "NotFittedError"]

# Parameter value -> Network's name: every hidden activation, and scikit-learn's "logistic".
ACTIVATIONS = {name: name for name in HIDDEN_ACTIVATIONS} | {"logistic": "sigmoid"}
# The regressor's outputs: those whose default loss is the squared error.
REGRESSION_OUTPUTS = tuple(o for o, loss in DEFAULT_LOSSES.items() if loss == "squared_error")
DEFAULT_BATCH = 200  # batch_size="auto" means min(DEFAULT_BATCH, n_samples)
# scikit-learn checks the arrays' shapes and converts them to numbers; Network checks
# them for NaN and infinity (so each is checked once).
ARRAY_CHECKS = {"dtype": "numeric", "ensure_all_finite": False}
# fastbp.fit and fastbp.Network check the settings they take, under these names of ours.
FIT_NAMES = {"learning_rate": "learning_rate_init", "epochs": "max_iter"}
FIT_NAMES |= {"sizes": "hidden_layer_sizes"}
# What only the estimators take: fit has no "auto" or early_stopping, and allows epochs=0.
OWN_PARAMETERS: dict[str, tuple[Constraint, ...]] = {
    "activation": (Options(tuple(ACTIVATIONS)),),
    "batch_size": (Options(("auto",)), None, Interval(Integral, 1, None)),
    "max_iter": (Interval(Integral, 1, None),),
    "early_stopping": (Flag(),),
    "bias_trick": (Flag(),),
}


def _seed(random_state: object) -> int:
    """``fastbp.fit``'s seed for a random_state: a fresh one for None, the int itself, else
    one drawn from the numpy Generator or RandomState."""
    if random_state is None:
        return np.random.SeedSequence().entropy
    if Interval(Integral, 0, None).accepts(random_state):
        return int(random_state)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    raise ValueError(
        "random_state must be None, a non-negative integer, a numpy Generator or a "
        f"RandomState, got {random_state!r}"
    )


class _MLP(BaseEstimator, ABC):
    """What the classifier and the regressor share: parameters, their translation, training."""

    def __init__(
        self,
        hidden_layer_sizes: int | tuple[int, ...] = (100,),
        activation: str = "relu",
        *,
        learning_rate_init: float = 0.01,
        batch_size: int | str | None = "auto",
        max_iter: int = 200,
        momentum: float = 0.9,
        shuffle: bool = True,
        random_state: int | np.random.Generator | np.random.RandomState | None = None,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 10,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        bias_trick: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.momentum = momentum
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.bias_trick = bias_trick

    def _fit_settings(self) -> dict[str, Any]:
        """The parameters as ``fastbp.fit``'s keyword arguments, plus the Network's ``hidden``
        widths and ``activation``. Only OWN_PARAMETERS and random_state are checked here;
        fit and Network check the rest (FIT_NAMES says how their errors name them)."""
        check_parameters(
            {name: getattr(self, name) for name in OWN_PARAMETERS}, table=OWN_PARAMETERS
        )
        batch = DEFAULT_BATCH if isinstance(self.batch_size, str) else self.batch_size
        hidden = self.hidden_layer_sizes
        return dict(
            hidden=tuple(hidden) if isinstance(hidden, Iterable) else (hidden,),
            activation=ACTIVATIONS[self.activation],
            learning_rate=self.learning_rate_init,
            epochs=self.max_iter,
            batch_size=batch,
            momentum=self.momentum,
            shuffle=self.shuffle,
            seed=_seed(self.random_state),
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            validation_fraction=self.validation_fraction if self.early_stopping else None,
        )

    @abstractmethod
    def _targets(self, y: np.ndarray, dtype: type) -> tuple[np.ndarray, str, dict[str, Any]]:
        """(T: N x K targets, the output activation, the target-related fitted attributes)."""

    def fit(self, X: ArrayLike, y: ArrayLike) -> _MLP:
        """Train on inputs X (n_samples x n_features) and targets y; returns self.

        Raises :class:`fastbp.DivergenceError` if the loss stops being finite; the
        estimator then holds the parameters from the end of the last finite epoch."""
        settings = self._fit_settings()
        multi_output = get_tags(self).target_tags.multi_output
        data, y = check_X_y(X, y, multi_output=multi_output, estimator=self, **ARRAY_CHECKS)
        dtype = np.float32 if data.dtype == np.float32 else np.float64
        T, output, fitted = self._targets(y, dtype)
        fitted["n_outputs_"] = T.shape[1]
        try:
            network = Network(
                (data.shape[1], *settings.pop("hidden"), T.shape[1]),
                hidden=settings.pop("activation"),
                output=output,
                bias_trick=self.bias_trick,
            )
            result = fit(network, data, T, dtype=dtype, **settings)
        except ParameterError as err:
            raise err.renamed(FIT_NAMES) from None
        except DivergenceError as err:
            err.args = (re.sub(r"\blearning_rate\b", "learning_rate_init", str(err)),)
            self._store(X, err.result, f"diverged: {err}", fitted)
            raise
        self._store(X, result, result.stop_reason, fitted)
        return self

    def _store(self, X: ArrayLike, result: FitResult, reason: str, fitted: dict[str, Any]) -> None:
        """Set the fitted attributes, only once training has run: a fit that fails its checks
        leaves the estimator as it was."""
        validate_data(self, X, skip_check_array=True)  # n_features_in_ (and feature names)
        for name, value in fitted.items():
            setattr(self, name, value)
        self.network_ = result.network
        self.params_ = result.params
        self.loss_curve_ = list(result.loss_curve)
        self.validation_curve_ = list(result.validation_curve)
        self.n_iter_ = result.epochs
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else math.nan
        self.stop_reason_ = reason

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Per layer, the weights (n_in x n_out): views into ``params_``."""
        check_is_fitted(self)
        return [W for W, _ in self.network_.unpack(self.params_)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Per layer, the biases (n_out,): views into ``params_``."""
        check_is_fitted(self)
        return [b for _, b in self.network_.unpack(self.params_)]

    def _outputs(self, X: ArrayLike) -> np.ndarray:
        """The network's outputs (n_samples x n_outputs_) for X."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, **ARRAY_CHECKS)
        return self.network_.predict(self.params_, X)


class MLPClassifier(ClassifierMixin, _MLP):
    """A multilayer perceptron classifier: hidden layers with ``activation``, a softmax output
    with one unit per class, cross-entropy loss, trained by minibatch SGD with momentum.

    Parameters: ``hidden_layer_sizes`` (widths of the hidden layers; an int means one layer,
    () none), ``activation`` ("relu", "tanh", "sigmoid" or its scikit-learn name "logistic",
    "identity"), ``learning_rate_init`` (the constant step), ``batch_size`` ("auto":
    min(200, n_samples); an int; None: full batch), ``max_iter`` (epochs), ``momentum``,
    ``shuffle``, ``random_state``, ``tol`` and ``n_iter_no_change`` (stop once the loss has
    not improved by tol for that many epochs; tol=None never stops early),
    ``early_stopping`` with ``validation_fraction`` (train on the rest, monitor the loss on
    that held-out share and keep the best epoch's parameters; with tol=None: record
    ``validation_curve_`` only, keep the last epoch's), ``bias_trick`` (compute the biases
    with a column of ones appended to each layer's input: same results).

    Fitted attributes: ``classes_``, ``network_``, ``params_``, ``coefs_``, ``intercepts_``,
    ``loss_curve_``, ``validation_curve_``, ``loss_``, ``n_iter_``, ``stop_reason_``,
    ``n_features_in_``, ``n_outputs_`` (= len(classes_)).
    """

    def _targets(self, y: np.ndarray, dtype: type) -> tuple[np.ndarray, str, dict[str, Any]]:
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in y, got 1 class: "
                f"{classes[0]!r}"
            )
        T = one_hot(codes, len(classes), dtype)
        return T, "softmax", {"classes_": classes}

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities (n_samples x n_classes, columns in ``classes_`` order)."""
        return self._outputs(X)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class of each sample (n_samples,), values from ``classes_``."""
        probabilities = self._outputs(X)  # first: it checks that the estimator is fitted
        return self.classes_[np.argmax(probabilities, axis=1)]


class MLPRegressor(RegressorMixin, _MLP):
    """A multilayer perceptron regressor: hidden layers with ``activation``, an ``output`` of
    "identity" (default) or "sigmoid" (for targets in [0, 1]), half squared-error loss
    (summed over outputs, averaged over samples), trained by minibatch SGD with momentum.
    y is learnt as given (no scaling). The other parameters are those of
    :class:`MLPClassifier`.

    Fitted attributes: ``network_``, ``params_``, ``coefs_``, ``intercepts_``,
    ``loss_curve_``, ``validation_curve_``, ``loss_``, ``n_iter_``, ``stop_reason_``,
    ``n_features_in_``, ``n_outputs_`` (columns of y; 1 for 1-D y).
    """

    def __init__(
        self,
        hidden_layer_sizes: int | tuple[int, ...] = (100,),
        activation: str = "relu",
        *,
        output: str = "identity",
        learning_rate_init: float = 0.01,
        batch_size: int | str | None = "auto",
        max_iter: int = 200,
        momentum: float = 0.9,
        shuffle: bool = True,
        random_state: int | np.random.Generator | np.random.RandomState | None = None,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 10,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        bias_trick: bool = False,
    ) -> None:
        super().__init__(
            hidden_layer_sizes,
            activation,
            learning_rate_init=learning_rate_init,
            batch_size=batch_size,
            max_iter=max_iter,
            momentum=momentum,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            bias_trick=bias_trick,
        )
        self.output = output

    def _targets(self, y: np.ndarray, dtype: type) -> tuple[np.ndarray, str, dict[str, Any]]:
        if not (isinstance(self.output, str) and self.output in REGRESSION_OUTPUTS):
            raise ValueError(f"output must be one of {REGRESSION_OUTPUTS}, got {self.output!r}")
        y = check_array(y, ensure_2d=False, dtype="numeric", input_name="y", estimator=self)
        T = y.reshape(len(y), -1)
        if self.output == "sigmoid" and (T.min() < 0 or T.max() > 1):
            raise ValueError(
                "output='sigmoid' predicts values in (0, 1), but y has values outside [0, 1] "
                f"(from {T.min():.4g} to {T.max():.4g}); scale y or use output='identity'"
            )
        return T, self.output, {"_y_1d": y.ndim == 1}

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predictions: (n_samples,) if y was 1-D in fit, else (n_samples, n_outputs_)."""
        outputs = self._outputs(X)
        return outputs[:, 0] if self._y_1d else outputs

    def __sklearn_tags__(self):
        """scikit-learn's tags: also for several outputs."""
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
