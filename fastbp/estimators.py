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
import numbers
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y, validate_data

from .datasets import one_hot
from .fitting import DivergenceError, FitResult, fit
from .network import Network

# Re-exported: the classes of what the estimators raise and warn.
__all__ = ["DataConversionWarning", "MLPClassifier", "MLPRegressor", "NotFittedError"]

ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "sigmoid": "sigmoid"}
ACTIVATIONS |= {"tanh": "tanh", "relu": "relu"}  # parameter value -> Network's name
REGRESSION_OUTPUTS = ("identity", "sigmoid")
DEFAULT_BATCH = 200  # batch_size="auto" means min(DEFAULT_BATCH, n_samples)
# scikit-learn checks the arrays' shapes and converts them to numbers; Network checks
# them for NaN and infinity (so each is checked once).
ARRAY_CHECKS = {"dtype": "numeric", "ensure_all_finite": False}
# How fastbp.fit's and fastbp.Network's errors name the estimators' parameters.
FIT_NAMES = {r"\blearning_rate\b": "learning_rate_init", r"\bsizes\[\d+\]": "hidden_layer_sizes"}


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _seed(random_state: object) -> int:
    """``fastbp.fit``'s seed for a random_state: a fresh one for None, the int itself, else
    one drawn from the numpy Generator or RandomState."""
    if random_state is None:
        return np.random.SeedSequence().entropy
    if _is_int(random_state) and random_state >= 0:
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
        widths and ``activation``. Only values that ``fastbp.fit`` has no word for are checked
        here (the activation names, "auto", random_state's kinds, the on/off options, and
        max_iter, which must be at least 1 where fit's epochs may be 0)."""
        if not (isinstance(self.activation, str) and self.activation in ACTIVATIONS):
            raise ValueError(
                f"activation must be one of {tuple(ACTIVATIONS)}, got {self.activation!r}"
            )
        batch = self.batch_size
        if isinstance(batch, str) and batch == "auto":
            batch = DEFAULT_BATCH
        elif batch is not None and not (_is_int(batch) and batch >= 1):
            raise ValueError(
                f"batch_size must be 'auto', None or a positive integer, got {batch!r}"
            )
        if not (_is_int(self.max_iter) and self.max_iter >= 1):
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        for option in ("shuffle", "early_stopping", "bias_trick"):
            if not isinstance(getattr(self, option), bool | np.bool_):
                raise ValueError(f"{option} must be True or False, got {getattr(self, option)!r}")
        hidden = self.hidden_layer_sizes
        return dict(
            hidden=tuple(hidden) if isinstance(hidden, Iterable) else (hidden,),
            activation=ACTIVATIONS[self.activation],
            learning_rate=self.learning_rate_init,
            epochs=self.max_iter,
            batch_size=batch,
            momentum=self.momentum,
            shuffle=bool(self.shuffle),
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
                bias_trick=bool(self.bias_trick),
            )
            result = fit(network, data, T, dtype=dtype, **settings)
        except ValueError as err:
            for fit_name, name in FIT_NAMES.items():
                err.args = (re.sub(fit_name, name, str(err)),)
            if isinstance(err, DivergenceError):
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
