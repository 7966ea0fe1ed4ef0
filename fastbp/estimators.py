"""Estimators with the scikit-learn interface over :class:`fastbp.Network` and :func:`fastbp.fit`.

``MLPClassifier`` (softmax output, cross-entropy) and ``MLPRegressor`` (identity or sigmoid
output, half squared error) follow scikit-learn's conventions: ``__init__`` only stores its
arguments, ``fit`` validates them and sets the fitted attributes (trailing underscore),
``get_params``/``set_params``/``clone`` work, and ``__sklearn_tags__`` lets scikit-learn's
estimator checks run. scikit-learn itself is not needed: it is imported only inside
``__sklearn_tags__``, which only scikit-learn calls.

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

import functools
import inspect
import math
import numbers
import sys
import warnings
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._validation import check_matrix
from .datasets import one_hot
from .fitting import DivergenceError, FitResult, fit
from .network import Network

ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "sigmoid": "sigmoid"}
ACTIVATIONS |= {"tanh": "tanh", "relu": "relu"}  # parameter value -> Network's name
REGRESSION_OUTPUTS = ("identity", "sigmoid")
DEFAULT_BATCH = 200  # batch_size="auto" means min(DEFAULT_BATCH, n_samples)


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit``. Both a ValueError and an AttributeError (so
    ``hasattr`` on a fitted-only attribute is False), like scikit-learn's NotFittedError.
    When scikit-learn is loaded, the error raised is also an instance of its class."""

    def __reduce__(self):  # picklable even as the joint class made by _with_sklearn
        return NotFittedError, self.args


class DataConversionWarning(UserWarning):
    """The input was converted (a column vector y made 1-D). When scikit-learn is loaded,
    the warning raised is also an instance of its class of that name."""


@functools.cache
def _joint_class(ours: type, theirs: type) -> type:
    return type(ours.__name__, (ours, theirs), {"__module__": __name__, "__doc__": ours.__doc__})


def _with_sklearn(ours: type) -> type:
    """``ours``, or a subclass of it and of scikit-learn's class of the same name when
    ``sklearn.exceptions`` is already imported: code that can name scikit-learn's class has
    imported it, so its ``except``/warning filters then see our errors too."""
    module = sys.modules.get("sklearn.exceptions")
    theirs = getattr(module, ours.__name__, None)
    return ours if theirs is None else _joint_class(ours, theirs)


def _same(a: object, b: object) -> bool:
    """a is b, or equal values of the same type (never raises; arrays compare unequal)."""
    try:
        return a is b or (type(a) is type(b) and bool(a == b))
    except Exception:
        return False


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_sparse(value: object) -> bool:
    sparse = sys.modules.get("scipy.sparse")  # a scipy sparse object implies scipy is loaded
    return sparse is not None and sparse.issparse(value)


def _as_numeric(name: str, value: object, owner: str) -> np.ndarray:
    """``value`` as a numeric ndarray: sparse input, None, complex numbers, objects that are
    not numbers and non-numeric dtypes are rejected, naming the argument."""
    if value is None:
        what = "the target y" if name == "y" else name
        raise ValueError(f"{owner} requires {name} to be passed, but {what} is None")
    if _is_sparse(value):
        raise TypeError(
            f"{name} is a sparse matrix, which {owner} does not support; pass a dense "
            f"array ({name}.toarray())"
        )
    try:
        array = np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} could not be read as an array: {err}") from err
    if array.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {array.dtype}")
    if array.dtype.kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must hold numbers; converting it failed: {err}") from err
    if array.dtype.kind not in "fiub" or array.dtype.itemsize > 8:
        raise TypeError(
            f"{name} must hold real numbers (float32 or float64; int/bool are converted), "
            f"got dtype {array.dtype}"
        )
    return array


def _hidden_sizes(value: object) -> tuple[int, ...]:
    """hidden_layer_sizes as a tuple of positive ints (an int is one layer; () is none)."""
    sizes = (value,) if _is_int(value) else value
    if not isinstance(sizes, str):
        try:
            sizes = tuple(sizes)
        except TypeError:
            pass
    if not (isinstance(sizes, tuple) and all(_is_int(s) and s >= 1 for s in sizes)):
        raise ValueError(
            "hidden_layer_sizes must be a positive integer or a sequence of them (one width "
            f"per hidden layer; () for none), got {value!r}"
        )
    return tuple(int(s) for s in sizes)


class _BaseMLP(ABC):
    """What the classifier and the regressor share: parameters, validation, training."""

    _estimator_type = ""  # "classifier" or "regressor"

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

    # --- parameters -------------------------------------------------------------------------

    @classmethod
    def _get_param_names(cls) -> list[str]:
        names = []
        for parameter in inspect.signature(cls.__init__).parameters.values():
            if parameter.name == "self":
                continue
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must name every parameter")
            names.append(parameter.name)
        return names

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters and their current values (``deep`` is accepted for
        compatibility: these estimators hold no sub-estimators)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params: Any) -> _BaseMLP:
        """Set constructor parameters by name (checked when ``fit`` runs); returns self."""
        valid = self._get_param_names()
        for name in params:
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                    f"Valid parameters are: {valid}"
                )
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        shown = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if not _same(value, defaults[name])
        ]
        return f"{type(self).__name__}({', '.join(shown)})"

    def _settings(self) -> dict[str, Any]:
        """The parameters as keyword arguments of ``fastbp.fit`` (checked here where the
        estimator's names or values differ from fit's), and the hidden widths and activation
        (for the Network)."""
        sizes = _hidden_sizes(self.hidden_layer_sizes)
        if not (isinstance(self.activation, str) and self.activation in ACTIVATIONS):
            raise ValueError(
                f"activation must be one of {tuple(ACTIVATIONS)}, got {self.activation!r}"
            )
        rate = self.learning_rate_init
        if not (isinstance(rate, numbers.Real) and math.isfinite(rate) and rate > 0):
            raise ValueError(f"learning_rate_init must be a positive finite number, got {rate!r}")
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
        fraction = None
        if self.early_stopping:
            fraction = self.validation_fraction
            if not (isinstance(fraction, numbers.Real) and 0 < fraction < 1):
                raise ValueError(
                    f"validation_fraction must be a number in (0, 1), got {fraction!r}"
                )
            fraction = float(fraction)
        if self.random_state is None:
            seed = np.random.SeedSequence().entropy
        elif _is_int(self.random_state) and self.random_state >= 0:
            seed = int(self.random_state)
        elif isinstance(self.random_state, np.random.Generator):
            seed = int(self.random_state.integers(2**63))
        elif isinstance(self.random_state, np.random.RandomState):
            seed = int(self.random_state.randint(2**31 - 1))
        else:
            raise ValueError(
                "random_state must be None, a non-negative integer, a numpy Generator or a "
                f"RandomState, got {self.random_state!r}"
            )
        return dict(
            hidden=sizes,
            activation=ACTIVATIONS[self.activation],
            learning_rate=float(rate),
            epochs=int(self.max_iter),
            batch_size=None if batch is None else int(batch),
            momentum=self.momentum,  # fastbp.fit checks these three under the same names
            shuffle=bool(self.shuffle),
            seed=seed,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            validation_fraction=fraction,
        )

    # --- data -------------------------------------------------------------------------------

    def _check_X(self, X: ArrayLike, fitting: bool) -> np.ndarray:
        """X as a finite, C-contiguous, writeable N x D float array: float32 stays float32 when
        fitting (else float64); when predicting, the fitted parameters' dtype."""
        name = type(self).__name__
        if not fitting:
            self._check_fitted()
        array = _as_numeric("X", X, name)
        if array.ndim == 1:
            raise ValueError(
                f"X must be a 2-D array (samples x features), got a 1-D array of shape "
                f"{array.shape}. Reshape your data: X.reshape(-1, 1) if it holds a single "
                "feature, X.reshape(1, -1) if it is a single sample"
            )
        if array.ndim != 2:
            raise ValueError(
                f"X must be a 2-D array (samples x features), got {array.ndim}-D with shape "
                f"{array.shape}"
            )
        if array.shape[0] == 0:
            raise ValueError(
                f"X has 0 samples (shape={array.shape}) while a minimum of 1 is required"
            )
        if array.shape[1] == 0:
            raise ValueError(
                f"X has 0 feature(s) (shape={array.shape}) while a minimum of 1 is required."
            )
        if fitting:
            dtype = np.float32 if array.dtype == np.float32 else np.float64
        else:
            if array.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {array.shape[1]} features, but {name} is expecting "
                    f"{self.n_features_in_} features as input"
                )
            dtype = self.params_.dtype
        return check_matrix("X", array, dtype)

    def _check_y_rows(self, y: np.ndarray, n_samples: int) -> None:
        if y.ndim == 0 or len(y) != n_samples:
            got = "a scalar" if y.ndim == 0 else f"{len(y)}"
            raise ValueError(
                f"X and y must have the same number of samples: X has {n_samples}, y has {got}"
            )

    # --- fitting ----------------------------------------------------------------------------

    @abstractmethod
    def _targets(
        self, y: ArrayLike, n_samples: int, dtype: type
    ) -> tuple[np.ndarray, str, dict[str, Any]]:
        """(T: N x K targets in ``dtype``, the output activation, the target-related
        attributes to set once trained)."""

    def fit(self, X: ArrayLike, y: ArrayLike) -> _BaseMLP:
        """Train on inputs X (n_samples x n_features) and targets y; returns self.

        Raises :class:`fastbp.DivergenceError` if the loss stops being finite; the
        estimator then holds the parameters from the end of the last finite epoch."""
        settings = self._settings()
        X = self._check_X(X, fitting=True)
        T, output, attributes = self._targets(y, len(X), X.dtype.type)
        attributes.update(n_features_in_=X.shape[1], n_outputs_=T.shape[1])
        network = Network(
            (X.shape[1], *settings.pop("hidden"), T.shape[1]),
            hidden=settings.pop("activation"),
            output=output,
            bias=True,
            bias_trick=bool(self.bias_trick),
        )
        try:
            result = fit(network, X, T, dtype=X.dtype.type, **settings)
        except DivergenceError as err:
            self._store(err.result, f"diverged: {err}", attributes)
            if hasattr(err, "add_note"):  # Python 3.11+
                err.add_note(
                    f"{type(self).__name__} holds those parameters. Try a smaller "
                    "learning_rate_init, or inputs and targets of smaller magnitude."
                )
            raise
        self._store(result, result.stop_reason, attributes)
        return self

    def _store(self, result: FitResult, reason: str, attributes: dict[str, Any]) -> None:
        """Set the fitted attributes (only once training has run: a fit that fails its checks
        leaves the estimator as it was)."""
        for name, value in attributes.items():
            setattr(self, name, value)
        self.network_ = result.network
        self.params_ = result.params
        self.loss_curve_ = list(result.loss_curve)
        self.validation_curve_ = list(result.validation_curve)
        self.n_iter_ = result.epochs
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else math.nan
        self.stop_reason_ = reason

    # --- fitted state -----------------------------------------------------------------------

    def __sklearn_is_fitted__(self) -> bool:
        return "params_" in self.__dict__

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise _with_sklearn(NotFittedError)(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Per layer, the weights (n_in x n_out): views into ``params_``."""
        self._check_fitted()
        return [W for W, _ in self.network_.unpack(self.params_)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Per layer, the biases (n_out,): views into ``params_``."""
        self._check_fitted()
        return [b for _, b in self.network_.unpack(self.params_)]

    def _outputs(self, X: ArrayLike) -> np.ndarray:
        """The network's outputs (n_samples x n_outputs_) for X."""
        X = self._check_X(X, fitting=False)
        return self.network_.predict(self.params_, X)

    def __sklearn_tags__(self):  # a sklearn.utils.Tags; sklearn is imported here only
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(
            estimator_type=self._estimator_type,
            target_tags=TargetTags(required=True),
            input_tags=InputTags(),
        )


class MLPClassifier(_BaseMLP):
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

    _estimator_type = "classifier"

    def _targets(
        self, y: ArrayLike, n_samples: int, dtype: type
    ) -> tuple[np.ndarray, str, dict[str, Any]]:
        name = type(self).__name__
        if y is None or _is_sparse(y):
            _as_numeric("y", y, name)  # raises the message for None or sparse
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected: y is raveled to "
                f"shape ({labels.shape[0]},)",
                _with_sklearn(DataConversionWarning),
                stacklevel=3,
            )
            labels = labels.ravel()
        if labels.ndim != 1:
            raise ValueError(
                f"y must be a 1-D array of class labels, got shape {labels.shape} "
                f"({name} supports neither multi-label nor multi-output targets)"
            )
        self._check_y_rows(labels, n_samples)
        _check_labels(labels)
        try:
            classes, index = np.unique(labels, return_inverse=True)
        except TypeError as err:
            raise ValueError(
                f"Unknown label type: y mixes labels that cannot be sorted ({err})"
            ) from err
        if len(classes) < 2:
            raise ValueError(
                f"{name} needs samples of at least 2 classes in y, got 1 class: {classes[0]!r}"
            )
        T = one_hot(index.reshape(-1), len(classes), dtype)
        return T, "softmax", {"classes_": classes}

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities (n_samples x n_classes, columns in ``classes_`` order)."""
        return self._outputs(X)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class of each sample (n_samples,), values from ``classes_``."""
        probabilities = self._outputs(X)  # first: it checks that the estimator is fitted
        return self.classes_[np.argmax(probabilities, axis=1)]

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Accuracy: the fraction of samples (n_samples,) whose predicted class is y's."""
        predicted = self.predict(X)
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels.ravel()
        self._check_y_rows(labels, len(predicted))
        return float(np.mean(predicted == labels))

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        tags.classifier_tags = ClassifierTags(multi_class=True, multi_label=False)
        return tags


def _check_labels(labels: np.ndarray) -> None:
    """Class labels may be of any sortable type, but numbers must be finite and whole."""
    if labels.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: y has dtype {labels.dtype}")
    values = labels
    if labels.dtype.kind == "O" and all(
        isinstance(v, numbers.Number) and not isinstance(v, bool) for v in labels
    ):
        values = labels.astype(np.float64)
    if values.dtype.kind == "f":
        if not np.isfinite(values).all():
            raise ValueError("y contains NaN or infinity")
        if not np.all(values % 1 == 0):
            raise ValueError(
                "Unknown label type: continuous. y holds non-integer numbers; a classifier "
                "needs class labels (use MLPRegressor for continuous targets)"
            )


class MLPRegressor(_BaseMLP):
    """A multilayer perceptron regressor: hidden layers with ``activation``, an ``output`` of
    "identity" (default) or "sigmoid" (for targets in [0, 1]), half squared-error loss
    (summed over outputs, averaged over samples), trained by minibatch SGD with momentum.
    y is learnt as given (no scaling). The other parameters are those of
    :class:`MLPClassifier`.

    Fitted attributes: ``network_``, ``params_``, ``coefs_``, ``intercepts_``,
    ``loss_curve_``, ``validation_curve_``, ``loss_``, ``n_iter_``, ``stop_reason_``,
    ``n_features_in_``, ``n_outputs_`` (columns of y; 1 for 1-D y).
    """

    _estimator_type = "regressor"

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

    def _targets(
        self, y: ArrayLike, n_samples: int, dtype: type
    ) -> tuple[np.ndarray, str, dict[str, Any]]:
        if not (isinstance(self.output, str) and self.output in REGRESSION_OUTPUTS):
            raise ValueError(f"output must be one of {REGRESSION_OUTPUTS}, got {self.output!r}")
        values = _as_numeric("y", y, type(self).__name__)
        if values.ndim not in (1, 2):
            raise ValueError(
                f"y must be a 1-D array (one target) or 2-D (samples x targets), got "
                f"{values.ndim}-D with shape {values.shape}"
            )
        self._check_y_rows(values, n_samples)
        T = check_matrix("y", values.reshape(n_samples, -1), dtype)
        if self.output == "sigmoid" and (T.min() < 0 or T.max() > 1):
            raise ValueError(
                "output='sigmoid' predicts values in (0, 1), but y has values outside [0, 1] "
                f"(from {T.min():.4g} to {T.max():.4g}); scale y or use output='identity'"
            )
        return T, self.output, {"_y_1d": values.ndim == 1}

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predictions: (n_samples,) if y was 1-D in fit, else (n_samples, n_outputs_)."""
        outputs = self._outputs(X)
        return outputs[:, 0] if self._y_1d else outputs

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """R^2 (coefficient of determination) of the predictions, averaged uniformly over the
        outputs. An output whose y is constant scores 1.0 if predicted exactly, else 0.0."""
        predicted = self._outputs(X).astype(np.float64)
        truth = _as_numeric("y", y, type(self).__name__)
        self._check_y_rows(truth, len(predicted))
        truth = truth.reshape(len(predicted), -1).astype(np.float64)
        if truth.shape != predicted.shape:
            raise ValueError(
                f"y has {truth.shape[1]} targets, but {type(self).__name__} predicts "
                f"{predicted.shape[1]}"
            )
        residual = ((truth - predicted) ** 2).sum(axis=0)
        total = ((truth - truth.mean(axis=0)) ** 2).sum(axis=0)
        exact = residual == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.where(total > 0, 1 - residual / total, np.where(exact, 1.0, 0.0))
        return float(scores.mean())

    def __sklearn_tags__(self):
        from sklearn.utils import RegressorTags, TargetTags

        tags = super().__sklearn_tags__()
        tags.target_tags = TargetTags(required=True, multi_output=True, single_output=True)
        tags.regressor_tags = RegressorTags()
        return tags
