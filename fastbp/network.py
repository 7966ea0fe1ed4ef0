"""The general network of docs/math.md §6: any depth, a table of activations, three outputs
and two losses.

A :class:`Network` describes the architecture; its parameters are one flat vector (see
``fastbp.kernels.network``), which :meth:`Network.unpack` shows as per-layer (W, b) views.
The loss is a mean over samples: cross-entropy (for a softmax output the classic
log-likelihood with the opposite sign, divided by N; for a sigmoid output the binary
log-loss of every output) or half the squared error ``sum_k (y_k - t_k)**2 / 2``; by default
cross-entropy for a softmax output, squared error otherwise. Gradients are of that loss, for
descent. On the classic network (one sigmoid hidden layer, softmax output) ``-N * gradient``
is exactly what the classic ``derivative_*`` functions return.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import _dispatch
from ._validation import (
    FLOAT_DTYPES,
    Options,
    check_dtype,
    check_matrix,
    check_parameters,
    check_sample_weight,
    kernel_ready,
)
from .kernels import activations as tables
from .kernels import network as kernels

# Name -> code (the kernels' number) of each activation and loss, and where they may be used.
ACTIVATION_CODES = {entry.name: code for code, entry in enumerate(tables.ACTIVATIONS)}
LOSS_CODES = {entry.name: code for code, entry in enumerate(tables.LOSSES)}
HIDDEN_ACTIVATIONS = tuple(entry.name for entry in tables.ACTIVATIONS if entry.hidden)
DEFAULT_LOSSES = {entry.name: entry.loss for entry in tables.ACTIVATIONS if entry.loss}
LOSSES = {entry.name: entry for entry in tables.LOSSES}
INITIALISATIONS = ("glorot", "normal")


def check_activations(hidden: object, output: object, loss: object) -> str:
    """The name of the loss (``loss``, or the output's default when None), after checking
    that the three names are in the tables and that the loss is defined for the output."""
    check_parameters(
        {"hidden": hidden, "output": output},
        names={"hidden": "hidden activation"},
        table={
            "hidden": (Options(HIDDEN_ACTIVATIONS),),
            "output": (Options(tuple(DEFAULT_LOSSES)),),
        },
    )
    if loss is None:
        return DEFAULT_LOSSES[output]
    allowed = tuple(name for name, entry in LOSSES.items() if output in entry.outputs)
    if loss not in allowed:  # a constraint across two parameters
        raise ValueError(f"loss must be one of {allowed} for output {output!r}, got {loss!r}")
    return loss


@dataclass(frozen=True)
class Network:
    """A fully connected network: ``sizes = (D, hidden..., K)``.

    hidden: activation of every hidden layer (sigmoid, tanh, relu or identity); output:
    softmax, sigmoid or identity; bias: whether layers have biases; bias_trick: compute with
    a column of ones appended to each layer's input instead of adding the bias (same
    parameters, same results: for checking and for study); loss: cross_entropy (softmax or
    sigmoid output) or squared_error (any output); None (stored as the name it stands for)
    is cross_entropy for a softmax output, squared_error otherwise.
    """

    sizes: tuple[int, ...]
    hidden: str = "sigmoid"
    output: str = "softmax"
    bias: bool = True
    bias_trick: bool = False
    loss: str | None = None

    def __post_init__(self) -> None:
        sizes = tuple(self.sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least the inputs and outputs, got {sizes}")
        for i, size in enumerate(sizes):
            check_parameters({"sizes": size}, names={"sizes": f"sizes[{i}]"})
        object.__setattr__(self, "sizes", tuple(int(s) for s in sizes))
        object.__setattr__(self, "loss", check_activations(self.hidden, self.output, self.loss))
        if self.bias_trick and not self.bias:
            raise ValueError(
                "bias_trick=True needs bias=True (the trick is a way to compute the bias)"
            )

    @property
    def loss_name(self) -> str:
        return LOSSES[self.loss].title

    @property
    def n_params(self) -> int:
        return int(self._offsets()[-1])

    def _offsets(self) -> np.ndarray:
        return kernels.parameter_offsets(np.array(self.sizes, np.int64), self.bias)

    def _kernel_args(self) -> tuple:
        return (
            np.array(self.sizes, np.int64),
            ACTIVATION_CODES[self.hidden],
            ACTIVATION_CODES[self.output],
            LOSS_CODES[self.loss],
            self.bias,
            self.bias_trick,
        )

    def init_params(
        self, seed: int = 0, dtype: type = np.float64, scheme: str = "glorot"
    ) -> np.ndarray:
        """A new flat parameter vector. ``glorot``: uniform in +-sqrt(6 / (n_in + n_out)) per
        layer (biases too); ``normal``: standard normal, drawn in storage order (for the
        classic network: W1, b1, W2, b2, as the classic code draws them)."""
        check_parameters({"scheme": scheme}, table={"scheme": (Options(INITIALISATIONS),)})
        dtype = check_dtype("dtype", dtype)
        rng = np.random.default_rng(seed)
        if scheme == "normal":
            return rng.standard_normal(self.n_params).astype(dtype)
        parts = []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            bound = np.sqrt(6.0 / (n_in + n_out))
            parts.append(rng.uniform(-bound, bound, (n_in + self.bias) * n_out))
        return np.concatenate(parts).astype(dtype)

    def unpack(self, params: np.ndarray) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Per layer, views (W: n_in x n_out, b: n_out or None) into the flat ``params``."""
        params = self.check_params(params)
        offsets = self._offsets()
        layers = []
        for layer, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            block = params[offsets[layer] : offsets[layer + 1]].reshape(n_in + self.bias, n_out)
            layers.append((block[:n_in], block[n_in] if self.bias else None))
        return layers

    def pack(
        self, layers: list[tuple[ArrayLike, ArrayLike | None]], dtype: type = np.float64
    ) -> np.ndarray:
        """The flat vector of per-layer (W, b) pairs (b None when the network has no bias)."""
        if len(layers) != len(self.sizes) - 1:
            raise ValueError(f"expected {len(self.sizes) - 1} layers, got {len(layers)}")
        parts = []
        for layer, ((W, b), n_in, n_out) in enumerate(zip(layers, self.sizes[:-1], self.sizes[1:])):
            W = np.asarray(W, dtype)
            if W.shape != (n_in, n_out):
                raise ValueError(
                    f"layer {layer} weights must have shape {(n_in, n_out)}, got {W.shape}"
                )
            parts.append(W.reshape(-1))
            if self.bias:
                b = np.asarray(b, dtype)
                if b.shape != (n_out,):
                    raise ValueError(
                        f"layer {layer} bias must have shape {(n_out,)}, got {b.shape}"
                    )
                parts.append(b)
            elif b is not None:
                raise ValueError(f"layer {layer} has a bias but the network has bias=False")
        return np.concatenate(parts)

    def check_params(self, params: ArrayLike) -> np.ndarray:
        """``params`` as a C-contiguous flat vector of this network's length (dtype kept)."""
        array = np.asarray(params)
        if array.ndim != 1 or array.shape[0] != self.n_params or array.dtype not in FLOAT_DTYPES:
            raise ValueError(
                f"params must be a 1-D float32 or float64 array of {self.n_params} values for "
                f"sizes {self.sizes} (bias={self.bias}), got dtype {array.dtype}, shape "
                f"{array.shape}"
            )
        return kernel_ready(array, array.dtype)

    def check_data(self, params: np.ndarray, X: ArrayLike, T: ArrayLike | None = None) -> tuple:
        """X (N x D) and T (N x K) as finite arrays of the parameters' dtype."""
        X = check_matrix("X", X, params.dtype, columns=(self.sizes[0], "sizes[0]"))
        if T is None:
            return X, None
        T = check_matrix(
            "T", T, params.dtype, columns=(self.sizes[-1], "sizes[-1]"), rows=(len(X), "X")
        )
        return X, T

    def predict(self, params: ArrayLike, X: ArrayLike) -> np.ndarray:
        """The outputs (N x K) for inputs X (N x D), in the parameters' dtype (for a dask
        array X, a dask array chunked as X: ``fastbp.distributed.predict``)."""
        if _dispatch.is_dask(X):
            return _dispatch.distributed().predict(self, params, X)
        params = self.check_params(params)
        X, _ = self.check_data(params, X)
        return kernels.predict(params, *self._kernel_args(), X)

    def loss_gradient(
        self,
        params: ArrayLike,
        X: ArrayLike,
        T: ArrayLike,
        *,
        sample_weight: ArrayLike | None = None,
        alpha: float = 0.0,
    ) -> tuple[float, np.ndarray]:
        """(L, its gradient: a flat vector like ``params``) over the N samples, with
        L = (sum_i w_i loss_i + alpha / 2 * |weights|**2) / sum_i w_i: the mean loss,
        weighted by ``sample_weight`` (N; default 1), plus an L2 penalty ``alpha`` on the
        weights (not the biases) scaled as scikit-learn's MLPs scale it. Dask arrays X and T
        are summed chunk by chunk (``fastbp.distributed.loss_gradient``, unweighted)."""
        check_parameters({"alpha": alpha})
        if _dispatch.is_dask(X, T):
            if sample_weight is not None or alpha:
                raise ValueError("sample_weight and alpha are for in-memory X and T")
            return _dispatch.distributed().loss_gradient(self, params, X, T)
        params = self.check_params(params)
        X, T = self.check_data(params, X, T)
        weights = check_sample_weight(sample_weight, len(X), params.dtype)
        args = self._kernel_args()
        loss, grad = kernels.loss_gradient(params, *args, X, T, weights, float(alpha))
        return float(loss), grad
