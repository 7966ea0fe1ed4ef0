"""fastbp: compiled kernels for one-hidden-layer backpropagation (sigmoid hidden, softmax out).

Drop-in for the classic course functions::

    from fastbp import forward, cost, classification_rate
    from fastbp import derivative_w1, derivative_w2, derivative_b1, derivative_b2
"""

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
from .registry import RUNGS, Gradients, choose_rung

__all__ = [
    "RUNGS",
    "Gradients",
    "choose_rung",
    "classification_rate",
    "cost",
    "derivative_b1",
    "derivative_b2",
    "derivative_w1",
    "derivative_w2",
    "forward",
    "gradients",
]
__version__ = "0.1.0"
