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

import contextlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import _dispatch, threads
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

# Where each activation and loss may be used (their codes: tables.ACTIVATION_CODES, LOSS_CODES).
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

    A frozen description of the architecture; the parameters live apart, as one flat vector
    (:meth:`init_params`, :meth:`unpack`), trained by :func:`fastbp.fit`.

    Parameters
    ----------
    sizes : sequence of int
        The layer widths, inputs first and outputs last (at least two, each at least 1).
    hidden : {"sigmoid", "tanh", "relu", "identity"}, default "sigmoid"
        The activation of every hidden layer.
    output : {"softmax", "sigmoid", "identity", "exp"}, default "softmax"
        The output activation.
    bias : bool, default True
        Whether layers have biases.
    bias_trick : bool, default False
        Compute with a column of ones appended to each layer's input instead of adding the
        bias (same parameters, same results: for checking and for study).
    loss : {"cross_entropy", "squared_error", "poisson"} or None, default None
        cross_entropy (softmax or sigmoid output), squared_error (identity, sigmoid or
        softmax output) or poisson (exp output); None, stored as the name it stands for, is
        the output's default: cross_entropy for a softmax output, poisson for exp,
        squared_error otherwise.

    Raises
    ------
    ValueError
        If ``sizes`` lists fewer than two widths or one is not a positive integer, if an
        activation or loss is not in the tables, if the loss is not defined for the output
        (the message lists the allowed ones), if ``bias`` or ``bias_trick`` is not True or
        False, or if ``bias_trick`` is set without ``bias``.

    See Also
    --------
    fit : train a network's parameters.

    Examples
    --------
    >>> import fastbp
    >>> net = fastbp.Network((2, 3, 3))  # the classic network: sigmoid hidden, softmax out
    >>> net.loss, net.n_params  # (2 + 1) * 3 + (3 + 1) * 3 parameters
    ('cross_entropy', 21)
    >>> fastbp.Network((4, 16, 16, 1), hidden="relu", output="identity").loss
    'squared_error'
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
        # Python bools, as the kernels are compiled for (bias=1 would compile them again)
        check_parameters({"bias": self.bias, "bias_trick": self.bias_trick})
        object.__setattr__(self, "bias", bool(self.bias))
        object.__setattr__(self, "bias_trick", bool(self.bias_trick))
        object.__setattr__(self, "loss", check_activations(self.hidden, self.output, self.loss))
        if self.bias_trick and not self.bias:
            raise ValueError(
                "bias_trick=True needs bias=True (the trick is a way to compute the bias)"
            )

    @property
    def loss_name(self) -> str:
        """The loss in words (such as "cross-entropy").

        Examples
        --------
        >>> import fastbp
        >>> fastbp.Network((2, 3, 3)).loss_name
        'cross-entropy'
        """
        return LOSSES[self.loss].title

    @property
    def n_params(self) -> int:
        """The length of the flat parameter vector: every layer's weights and biases.

        Examples
        --------
        >>> import fastbp
        >>> fastbp.Network((2, 3, 3)).n_params, fastbp.Network((2, 3, 3), bias=False).n_params
        (21, 15)
        """
        return int(self._offsets()[-1])

    def _offsets(self) -> np.ndarray:
        return kernels.parameter_offsets(np.array(self.sizes, np.int64), self.bias)

    def _kernel_args(self) -> tuple:
        return (
            np.array(self.sizes, np.int64),
            tables.ACTIVATION_CODES[self.hidden],
            tables.ACTIVATION_CODES[self.output],
            tables.LOSS_CODES[self.loss],
            self.bias,
            self.bias_trick,
        )

    def _blas_threads(self, rows: int) -> contextlib.AbstractContextManager[None]:
        """BLAS's threads for the kernels' products on ``rows`` samples at a time (a batch;
        the kernels take at most ``block_rows`` at once): ``threads.product_threads``."""
        block = kernels.block_rows(self.sizes)
        return threads.blas_threads(threads.product_threads(min(rows, block), self.sizes))

    def init_params(
        self, seed: int = 0, dtype: type = np.float64, scheme: str = "glorot"
    ) -> np.ndarray:
        """A new flat parameter vector.

        Parameters
        ----------
        seed : int, default 0
            Seed of ``np.random.default_rng``.
        dtype : {np.float64, np.float32}, default np.float64
            The vector's dtype.
        scheme : {"glorot", "normal"}, default "glorot"
            ``glorot``: uniform in +-sqrt(6 / (n_in + n_out)) per layer (biases too);
            ``normal``: standard normal, drawn in storage order (for the classic network:
            W1, b1, W2, b2, as the classic code draws them).

        Returns
        -------
        ndarray, shape (n_params,)
            The parameters, in storage order (see :meth:`unpack`).

        Raises
        ------
        ValueError
            If ``scheme`` is not one of the two.
        TypeError
            If ``dtype`` is not float32 or float64.

        Examples
        --------
        >>> import numpy as np
        >>> import fastbp
        >>> net = fastbp.Network((2, 3, 3))
        >>> params = net.init_params(seed=0)
        >>> params.shape, params.dtype, bool(np.abs(params[:9]).max() <= np.sqrt(6 / 5))
        ((21,), dtype('float64'), True)
        >>> net.init_params(seed=0, dtype=np.float32, scheme="normal").dtype
        dtype('float32')
        """
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
        """Per layer, views (W, b) into the flat ``params``.

        Parameters
        ----------
        params : array_like, shape (n_params,)
            A parameter vector of this network (float32 or float64).

        Returns
        -------
        list of (ndarray, ndarray or None)
            Per layer, W (n_in x n_out) and b (n_out; None when the network has no bias):
            views, so writing them writes ``params`` (when it is already a C-contiguous
            flat vector, as :meth:`check_params` returns it).

        Raises
        ------
        ValueError
            If ``params`` is not a flat float vector of this network's length.

        See Also
        --------
        pack : the inverse.

        Examples
        --------
        >>> import fastbp
        >>> net = fastbp.Network((2, 3, 3))
        >>> params = net.init_params(seed=0)
        >>> [(W.shape, b.shape) for W, b in net.unpack(params)]
        [((2, 3), (3,)), ((3, 3), (3,))]
        >>> (W1, b1), _ = net.unpack(params)
        >>> W1[0, 0] = 5.0
        >>> float(params[0])  # a view
        5.0
        """
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
        """The flat parameter vector of per-layer (W, b) pairs.

        Parameters
        ----------
        layers : list of (array_like, array_like or None)
            Per layer, W (n_in x n_out) and b (n_out; None when the network has no bias).
        dtype : {np.float64, np.float32}, default np.float64
            The vector's dtype.

        Returns
        -------
        ndarray, shape (n_params,)
            A new vector, in the storage order of :meth:`unpack`.

        Raises
        ------
        ValueError
            If the number of layers or a shape is wrong, or a bias is given to a network
            without biases.

        Examples
        --------
        >>> import numpy as np
        >>> import fastbp
        >>> net = fastbp.Network((2, 3, 3))
        >>> params = net.init_params(seed=0)
        >>> bool(np.array_equal(net.pack(net.unpack(params)), params))
        True
        """
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
        """``params`` as a C-contiguous flat vector of this network's length (dtype kept).

        Parameters
        ----------
        params : array_like, shape (n_params,)
            A parameter vector, float32 or float64.

        Returns
        -------
        ndarray, shape (n_params,)
            ``params`` itself if it already is such a vector (and writeable), else a copy.

        Raises
        ------
        ValueError
            If ``params`` is not a 1-D float32 or float64 array of ``n_params`` values.

        Examples
        --------
        >>> import numpy as np
        >>> import fastbp
        >>> net = fastbp.Network((2, 3, 3))
        >>> net.check_params(np.zeros(21, np.float32)).dtype
        dtype('float32')
        >>> net.check_params(np.zeros(5))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
            ...
        ValueError: params must be a 1-D float32 or float64 array of 21 values for sizes ...
        """
        array = np.asarray(params)
        if array.ndim != 1 or array.shape[0] != self.n_params or array.dtype not in FLOAT_DTYPES:
            raise ValueError(
                f"params must be a 1-D float32 or float64 array of {self.n_params} values for "
                f"sizes {self.sizes} (bias={self.bias}), got dtype {array.dtype}, shape "
                f"{array.shape}"
            )
        return kernel_ready(array, array.dtype)

    def check_data(self, params: np.ndarray, X: ArrayLike, T: ArrayLike | None = None) -> tuple:
        """X and T as finite, C-contiguous arrays of the parameters' dtype.

        Parameters
        ----------
        params : ndarray
            The parameters (as :meth:`check_params` returns them), whose dtype is used.
        X : array_like, shape (N, D)
            Inputs.
        T : array_like, shape (N, K), optional
            Targets.

        Returns
        -------
        X : ndarray, shape (N, D)
            The inputs, converted.
        T : ndarray, shape (N, K) or None
            The targets, converted (None when not given).

        Raises
        ------
        TypeError
            If an array does not hold real numbers.
        ValueError
            If a shape disagrees with the network's widths or with X's samples, or an array
            holds NaN or infinity.

        Examples
        --------
        >>> import fastbp
        >>> net = fastbp.Network((2, 3, 3))
        >>> params = net.init_params(seed=0)
        >>> X, T = net.check_data(params, [[1, 2]], [[0, 0, 1]])
        >>> X.dtype, T.shape
        (dtype('float64'), (1, 3))
        """
        X = check_matrix("X", X, params.dtype, columns=(self.sizes[0], "sizes[0]"))
        if T is None:
            return X, None
        T = check_matrix(
            "T", T, params.dtype, columns=(self.sizes[-1], "sizes[-1]"), rows=(len(X), "X")
        )
        return X, T

    def predict(self, params: ArrayLike, X: ArrayLike) -> np.ndarray:
        """The network's outputs for inputs X.

        Parameters
        ----------
        params : array_like, shape (n_params,)
            The parameters.
        X : array_like, dask array or GPU array, shape (N, D)
            The inputs.

        Returns
        -------
        ndarray, shape (N, K)
            The outputs, in the parameters' dtype; for a dask array X, a dask array chunked
            as X (``fastbp.distributed.predict``); for X on a GPU
            (``__cuda_array_interface__``), a numba device array.

        Raises
        ------
        TypeError
            If X does not hold real numbers.
        ValueError
            If ``params`` or X has the wrong shape, or X holds NaN or infinity (not checked
            on a GPU), or the network is beyond the GPU kernels' limit.
        ImportError, RuntimeError
            For X on a GPU: without numba-cuda, or without a GPU.

        Examples
        --------
        >>> import numpy as np
        >>> import fastbp
        >>> net = fastbp.Network((2, 3, 3))
        >>> Y = net.predict(net.init_params(seed=0), np.ones((4, 2)))
        >>> Y.shape, bool(np.allclose(Y.sum(axis=1), 1))  # softmax rows
        ((4, 3), True)
        """
        if _dispatch.is_dask(X):
            return _dispatch.distributed().predict(self, params, X)
        params = self.check_params(params)
        if _dispatch.on_device(X):
            from . import _cuda_network as cuda_network

            return cuda_network.predict(self, params, X)
        X, _ = self.check_data(params, X)
        with self._blas_threads(len(X)):
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
        """The loss over the N samples and its gradient, for descent.

        ``L = (sum_i w_i loss_i + alpha / 2 * |weights|**2) / sum_i w_i``: the mean loss,
        weighted by ``sample_weight``, plus an L2 penalty ``alpha`` on the weights (not the
        biases) scaled as scikit-learn's MLPs scale it. Dask arrays X and T are summed chunk
        by chunk (``fastbp.distributed.loss_gradient``, unweighted); X and T on a GPU are
        read there (narrow networks: the user guide's "On a GPU").

        Parameters
        ----------
        params : array_like, shape (n_params,)
            The parameters.
        X : array_like, dask array or GPU array, shape (N, D)
            Inputs.
        T : array_like, dask array or GPU array, shape (N, K)
            Targets.
        sample_weight : array_like, shape (N,), optional
            Weights of the samples (default 1 each); not with dask arrays.
        alpha : float, default 0.0
            The L2 penalty; not with dask arrays.

        Returns
        -------
        loss : float
            L.
        gradient : ndarray, shape (n_params,)
            The gradient of L, a flat vector like ``params``.

        Raises
        ------
        TypeError
            If an array does not hold real numbers.
        ValueError
            If ``alpha`` is negative or not finite, if a shape is wrong, if an array holds
            NaN or infinity, if ``sample_weight`` has the wrong length, a negative or
            non-finite weight or only zeros, or if ``sample_weight`` or ``alpha`` is given
            with Dask arrays; on a GPU, if the network is beyond its kernels' limit.
        ImportError, RuntimeError
            For X or T on a GPU: without numba-cuda, or without a GPU.

        Examples
        --------
        >>> import numpy as np
        >>> import fastbp
        >>> X, labels = fastbp.datasets.three_clouds(n_per_class=5)
        >>> T = fastbp.datasets.one_hot(labels, 3)
        >>> net = fastbp.Network((2, 3, 3))
        >>> params = net.init_params(seed=0)
        >>> loss, gradient = net.loss_gradient(params, X, T)
        >>> gradient.shape
        (21,)
        >>> bool(np.isclose(loss, -fastbp.cost(T, net.predict(params, X)) / len(X)))  # -cost/N
        True
        """
        check_parameters({"alpha": alpha})
        if _dispatch.is_dask(X, T):
            if sample_weight is not None or alpha:
                raise ValueError("sample_weight and alpha are for in-memory X and T")
            return _dispatch.distributed().loss_gradient(self, params, X, T)
        params = self.check_params(params)
        if _dispatch.on_device(X, T):
            from . import _cuda_network as cuda_network

            return cuda_network.loss_gradient(self, params, X, T, sample_weight, float(alpha))
        X, T = self.check_data(params, X, T)
        weights = check_sample_weight(sample_weight, len(X), params.dtype)
        args = self._kernel_args()
        with self._blas_threads(len(X)):
            loss, grad = kernels.loss_gradient(params, *args, X, T, weights, float(alpha))
        return float(loss), grad
