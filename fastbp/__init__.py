"""fastbp: compiled kernels for one-hidden-layer backpropagation (sigmoid hidden, softmax out).

Drop-in for the classic course functions::

    from fastbp import forward, cost, classification_rate
    from fastbp import derivative_w1, derivative_w2, derivative_b1, derivative_b2
"""

from ._runtime import configure

configure()  # before the kernels are defined: the cache folder and the threading layer

from . import datasets  # noqa: E402
from .api import (  # noqa: E402
    classification_rate,
    cost,
    derivative_b1,
    derivative_b2,
    derivative_w1,
    derivative_w2,
    forward,
    gradients,
)
from .fitting import DivergenceError, FitResult, fit  # noqa: E402
from .network import Network  # noqa: E402
from .registry import RUNGS, Gradients, choose_rung  # noqa: E402
from .training import TrainResult, train  # noqa: E402

__all__ = [
    "RUNGS",
    "DivergenceError",
    "FitResult",
    "Gradients",
    "Network",
    "TrainResult",
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
__version__ = "0.1.0"
