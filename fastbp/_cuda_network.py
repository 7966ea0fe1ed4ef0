"""The general network on a CUDA GPU: ``Network.predict``, ``Network.loss_gradient`` and
``fastbp.fit`` (full batch) with X and T already there (``__cuda_array_interface__``: CuPy,
PyTorch CUDA tensors, numba device arrays), on the kernels of
``fastbp.kernels.cuda_network`` (narrow networks: their ``unsupported`` says the limit).

The parameters stay a NumPy vector on the host (at most a few hundred numbers: each call
copies them to the device and the gradient sums back). The data are read in place, never
copied to the host, so their values are not scanned: a NaN or infinity in X or T makes the
loss NaN, which ``loss_gradient`` reports as an error, and the outputs of ``predict`` NaN
in that sample's row.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import _dispatch, fitting
from ._validation import check_sample_weight
from .kernels import cuda, cuda_network

if TYPE_CHECKING:
    from .network import Network


def _checked(network: Network, X: object, T: object | None = None) -> tuple:
    """X and T as numba device arrays, after the checks: numba-cuda and a GPU present, the
    network within the kernels' limit, the arrays' shapes (X: N x sizes[0], T: N x
    sizes[-1]) and dtype (float32 or float64, both the same: a NumPy one is copied there in
    the dtype of the other)."""
    try:
        gpu = cuda.require()
    except (ImportError, RuntimeError) as missing:
        raise type(missing)(f"the network on arrays on a GPU: {missing}") from None
    reason = cuda_network.unsupported(network.sizes, network.bias)
    if reason is not None:
        raise ValueError(reason)
    given = {name: value for name, value in (("X", X), ("T", T)) if value is not None}
    named, sizes = _dispatch.to_device(gpu, given)
    expected = {"D": (network.sizes[0], "sizes[0]"), "K": (network.sizes[-1], "sizes[-1]")}
    for symbol, (width, name) in expected.items():
        if symbol in sizes and sizes[symbol] != width:
            array = "X" if symbol == "D" else "T"
            raise ValueError(
                f"{array} must have {width} columns ({name} of the network), got {sizes[symbol]}"
            )
    return tuple(named.values())


def _spec(network: Network) -> tuple:
    return (network.sizes, network.hidden, network.output, network.loss, network.bias)


def predict(network: Network, params: np.ndarray, X: object) -> object:
    """``network.predict(params, X)`` for X on the GPU: a device array (N x K, the
    parameters' dtype)."""
    (X,) = _checked(network, X)
    return cuda_network.predict(_spec(network), params, X)


def loss_gradient(
    network: Network,
    params: np.ndarray,
    X: object,
    T: object,
    sample_weight: object,
    alpha: float,
) -> tuple[float, np.ndarray]:
    """``network.loss_gradient(params, X, T, ...)`` for X and T on the GPU (``sample_weight``
    checked on the host, then copied there): the loss and a NumPy gradient like ``params``."""
    X, T = _checked(network, X, T)
    weights = check_sample_weight(sample_weight, X.shape[0], params.dtype)
    loss, grad = cuda_network.loss_gradient(_spec(network), params, X, T, weights, alpha)
    if not math.isfinite(loss):
        raise ValueError(f"X or T holds NaN or infinity, or the loss overflowed (it is {loss})")
    return loss, grad


def fit(network: Network, X: object, T: object, **options: object) -> fitting.FitResult:
    """``fastbp.fit`` for X and T on the GPU: full batch, fit's own loop of plain SGD with
    momentum, each epoch's loss and gradient one pass over the data there.

    The options are ``fastbp.fit``'s but ``batch_size``, ``validation_fraction``,
    ``sample_weight`` and ``engine``, with ``optimizer="sgd"``, ``nesterov=False`` and
    ``alpha=0`` (as a full-batch fit on dask arrays); ValueError names the one given.
    """
    for name in ("batch_size", "validation_fraction", "sample_weight", "engine"):
        if options.pop(name, None) is not None:
            raise ValueError(
                f"{name} must be None with X and T on a GPU (full batch, one pass over the "
                "data there an epoch); copy them to the host for the CPU kernels"
            )
    for name, taken in {"optimizer": "sgd", "nesterov": False, "alpha": 0.0}.items():
        if options.get(name, taken) != taken:
            raise ValueError(
                f"{name} must be {taken!r} with X and T on a GPU (plain SGD with momentum), "
                f"got {options[name]!r}; copy them to the host for the CPU kernels"
            )
    X, T = _checked(network, X, T)
    dtype = np.dtype(options.pop("dtype", None) or X.dtype)
    carriers = np.zeros((1, X.shape[1]), dtype), np.zeros((1, T.shape[1]), dtype)
    no_weights = np.empty(0, dtype)

    def engine(params: np.ndarray):
        def gradient_at(_X: np.ndarray, _T: np.ndarray) -> tuple[float, np.ndarray]:
            return cuda_network.loss_gradient(_spec(network), params, X, T, no_weights, 0.0)

        return gradient_at

    return fitting.fit(network, *carriers, engine=engine, dtype=dtype, **options)
