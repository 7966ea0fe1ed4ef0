"""The general network (docs/math.md §6) over the chunks: its loss and gradient, its
predictions, and ``fastbp.fit`` (full batch: one map-reduce an epoch; minibatches:
streamed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dask
import dask.array as da
import numpy as np
from dask.delayed import Delayed
from numpy.typing import ArrayLike

from .. import fitting
from .._validation import _EMPTY, check_dtype, computation_dtype
from ..kernels import network as network_kernels
from ..network import Network
from .chunks import Chunks, as_dask, check_columns
from .streaming import stream
from .tasks import finite, in_task


@in_task
def _network_step(pair: tuple, vector: np.ndarray, *, network: Network) -> np.ndarray:
    """A chunk's summed loss and gradient, flat (gradient, then loss), in float64: the
    kernel's means times the chunk's samples."""
    X, T = pair
    args = network._kernel_args()
    loss, grad = network_kernels.loss_gradient(vector, *args, X, T, _EMPTY[X.dtype], 0.0)
    total = np.empty(len(grad) + 1)
    total[:-1], total[-1] = grad, loss
    total *= len(X)
    return total


def _mean(total: np.ndarray, n: int, dtype: np.dtype) -> tuple[float, np.ndarray]:
    """(mean loss, mean gradient in ``dtype``) from a sum over ``n`` samples."""
    return float(total[-1] / n), (total[:-1] / n).astype(dtype)


def _network_chunks(network: Network, params: np.ndarray, X: ArrayLike, T: ArrayLike, **options):
    """The chunks of (X, T) for ``network``, with the in-memory shape checks."""
    X, T = (v if isinstance(v, da.Array) else da.asarray(np.asarray(v)) for v in (X, T))
    check_columns("X", X, network.sizes[0], "D", "sizes[0]")
    check_columns("T", T, network.sizes[-1], "K", "sizes[-1]")
    return Chunks(X, T, dtype=params.dtype, **options)


def loss_gradient(
    network: Network, params: ArrayLike, X: ArrayLike, T: ArrayLike, *, compute: bool = True
) -> tuple[float, np.ndarray] | Delayed:
    """``Network.loss_gradient`` over dask arrays chunked along the samples: each chunk's
    sums, added, over N.

    Parameters
    ----------
    network : Network
        The network (its sizes, activations and loss).
    params : array_like
        Its flat parameter vector (``network.n_params`` values, float32 or float64).
    X, T : dask.array.Array or array_like
        Inputs (N x D) and targets (N x K), chunked along the samples.
    compute : bool, default True
        False: the lazy pair, so that several can be computed together with
        ``dask.compute``.

    Returns
    -------
    tuple of (float, numpy.ndarray), or dask.delayed.Delayed
        The mean loss and its gradient (flat, in the parameters' dtype), unweighted and
        without an L2 penalty; with ``compute=False``, the Delayed of that pair.

    Raises
    ------
    ValueError
        If ``params`` or a shape does not fit the network, or (when computed) a chunk holds
        NaN or infinity, naming its rows.
    TypeError
        If X or T does not hold real numbers.
    """
    params = network.check_params(params)
    chunks = _network_chunks(network, params, X, T, persist=False)
    total = chunks.lazy(_network_step, params, network=network)
    result = dask.delayed(_mean, pure=True)(total, chunks.n, params.dtype)
    return result.compute() if compute else result


@in_task
def _predict_block(
    X: np.ndarray, params: np.ndarray, network: Network, block_info: dict | None = None
) -> np.ndarray:
    start = block_info[0]["array-location"][0][0] if block_info else 0
    X = finite("X", X, params.dtype, start, "")
    return network_kernels.predict(params, *network._kernel_args(), X)


def predict(network: Network, params: ArrayLike, X: ArrayLike) -> da.Array:
    """``Network.predict`` over a dask array chunked along the samples.

    Parameters
    ----------
    network : Network
        The network.
    params : array_like
        Its flat parameter vector.
    X : dask.array.Array or array_like
        Inputs, N x D, chunked along the samples.

    Returns
    -------
    dask.array.Array
        The outputs (N x K), chunked as X, in the parameters' dtype (lazy).

    Raises
    ------
    ValueError
        If ``params`` or X's shape does not fit the network, or (when computed) a chunk of
        X holds NaN or infinity, naming its rows.
    TypeError
        If X does not hold real numbers.
    """
    params = network.check_params(params)
    X = as_dask("X", X, None, 2)
    check_columns("X", X, network.sizes[0], "D", "sizes[0]")
    return X.map_blocks(
        _predict_block,
        dask.delayed(params),
        network=network,
        chunks=(X.chunks[0], (network.sizes[-1],)),
        dtype=params.dtype,
        meta=np.empty((0, 0), params.dtype),
    )


def engine(chunks: Chunks, network: Network) -> fitting.Engine:
    """fit's full-batch engine over ``chunks``: one map-reduce per call.

    Parameters
    ----------
    chunks : Chunks
        The (X, T) pairs on the workers.
    network : Network
        The network whose loss and gradient each call computes.

    Returns
    -------
    callable
        ``engine(params)`` returns ``gradient_at(X, T)`` -> (mean loss, flat gradient) at
        the current values of ``params``, the vector fit updates in place. The arrays fit
        passes are not read (the data are the chunks').
    """

    def bind(params: np.ndarray) -> Callable:
        def gradient_at(_X: np.ndarray, _T: np.ndarray) -> tuple[float, np.ndarray]:
            total = chunks.map_reduce(_network_step, params, network=network)
            return _mean(total, chunks.n, params.dtype)

        return gradient_at

    return bind


def shape_carriers(chunks: Chunks) -> tuple[np.ndarray, np.ndarray]:
    """What fit checks (dtype, columns) when an engine holds the data.

    Parameters
    ----------
    chunks : Chunks
        The data.

    Returns
    -------
    X, T : numpy.ndarray
        One row of zeros each, of the chunks' widths (D, K) and dtype.
    """
    return np.zeros((1, chunks.D), chunks.dtype), np.zeros((1, chunks.K), chunks.dtype)


def fit(
    network: Network,
    X: ArrayLike,
    T: ArrayLike,
    *,
    persist: bool | None = None,
    **options: Any,
) -> fitting.FitResult:
    """``fastbp.fit`` over dask arrays X (N x D) and T (N x K) chunked along the samples.

    Full batch (``batch_size=None``): fit's own loop (plain SGD with momentum), with each
    epoch's loss and gradient one map-reduce over the chunks, which stay on the workers.
    Minibatches or single samples (``batch_size``): the chunks streamed one at a time
    (``fastbp.distributed.streaming``): with a distributed client the model goes to the
    worker that read each chunk, so data larger than memory train with memory bounded by
    two chunks.

    Parameters
    ----------
    network : Network
        The network to train.
    X, T : dask.array.Array or array_like
        Inputs (N x D) and targets (N x K), chunked along the samples.
    persist : bool or None, default None
        Full batch: as ``Chunks``'s (streamed chunks are never persisted).
    **options
        ``fastbp.fit``'s keyword arguments, less ``validation_fraction``,
        ``sample_weight`` and ``engine``; streamed, less ``tol`` and ``monitor`` too.

    Returns
    -------
    FitResult
        As ``fastbp.fit``'s.

    Raises
    ------
    ValueError
        For an argument that needs the samples in memory (above), for what full batch
        does not take (an optimizer other than "sgd", ``nesterov``, ``alpha``), and as
        ``fastbp.fit`` (bad arguments; ``DivergenceError``).
    TrainingInterrupted
        On Ctrl-C during full-batch training, holding the result of the epochs completed.
    """
    if options.get("validation_fraction") is not None:
        raise ValueError(
            "validation_fraction needs the samples in memory; with dask arrays, hold out a "
            "split yourself and pass monitor=lambda params: network.loss_gradient(params, "
            "X_held_out, T_held_out)[0]"
        )
    if options.get("sample_weight") is not None:
        raise ValueError(
            "sample_weight must be None with dask arrays: every sample weighs 1 there (full "
            "batch and streamed); weighted samples train in memory, with NumPy arrays"
        )
    if options.pop("engine", None) is not None:
        raise ValueError("engine must be None with dask arrays: the chunks make the engine")
    dtype = options.get("dtype")
    dtype = computation_dtype(
        [v for v in (X, T) if hasattr(v, "dtype")],
        None if dtype is None else check_dtype("dtype", dtype),
    )
    options["dtype"] = dtype
    params = options.get("params")
    if params is None:
        params = network.init_params(options.get("seed", 0), dtype)
    options["params"] = network.check_params(params).astype(dtype)
    if options.get("batch_size") is not None:
        chunks = _network_chunks(network, options["params"], X, T, persist=False)
        return stream(network, chunks, options)
    full_batch = {"optimizer": "sgd", "nesterov": False, "alpha": 0.0}
    for name, taken in full_batch.items():
        if options.get(name, taken) != taken:
            raise ValueError(
                f"{name} must be {taken!r} in a full-batch fit on dask arrays (plain SGD "
                f"with momentum, one map-reduce an epoch), got {options[name]!r}; a "
                "batch_size streams the chunks with every optimizer"
            )
    chunks = _network_chunks(network, options["params"], X, T, persist=persist)
    try:
        return fitting.fit(
            network, *shape_carriers(chunks), engine=engine(chunks, network), **options
        )
    finally:
        chunks.release()
