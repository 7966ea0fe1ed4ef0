"""fastbp: compiled (Numba) kernels for backpropagation.

Drop-in for the classic course functions of the one-hidden-layer network (sigmoid hidden,
softmax out)::

    from fastbp import forward, cost, classification_rate
    from fastbp import derivative_w1, derivative_w2, derivative_b1, derivative_b2

and, for deeper networks and other activations and outputs, ``fastbp.Network`` trained by
``fastbp.fit`` (full batch, minibatch or per-sample SGD, momentum, a stopping rule).
"""

__version__ = "0.1.0"  # first: the compile cache's key (kernels.caching) reads it

from . import datasets
from .api import (
    classification_rate,
    cost,
    derivative_b1,
    derivative_b2,
    derivative_w1,
    derivative_w2,
    forward,
    gradients,
)
from .fitting import DivergenceError, FitResult, TrainingInterrupted, fit
from .network import Network
from .registry import RUNGS, Gradients, choose_rung
from .training import TrainResult, train

__all__ = [
    "RUNGS",
    "ConvergenceWarning",
    "DivergenceError",
    "FitResult",
    "Gradients",
    "MLPClassifier",
    "MLPRegressor",
    "Network",
    "NotFittedError",
    "TrainResult",
    "TrainingInterrupted",
    "choose_rung",
    "classification_rate",
    "cost",
    "datasets",
    "derivative_b1",
    "derivative_b2",
    "derivative_w1",
    "derivative_w2",
    "fit",
    "forward",
    "gradients",
    "train",
]

_ESTIMATORS = ("ConvergenceWarning", "MLPClassifier", "MLPRegressor", "NotFittedError")


def __getattr__(name: str) -> object:
    """The names from fastbp.estimators, imported on first use: it needs scikit-learn."""
    if name not in _ESTIMATORS:
        raise AttributeError(f"module 'fastbp' has no attribute {name!r}")
    try:
        from . import estimators
    except ModuleNotFoundError as err:
        if (err.name or "").partition(".")[0] != "sklearn":
            raise
        raise ImportError(
            f"fastbp.{name} needs scikit-learn: pip install 'fastbp[sklearn]'"
        ) from err
    return getattr(estimators, name)
