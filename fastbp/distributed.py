"""Beyond one machine: the gradients, predictions and full-batch training of fastbp over dask
arrays chunked along the samples (README, "Beyond one machine: Dask").

Every full-data quantity is a sum over samples, so it is one map-reduce: a compiled kernel
per chunk (on the worker that holds the chunk), then the per-chunk sums added in chunk order
by a tree of tasks (``split_every`` at a time), so the result does not depend on which worker
ran what. The parameters travel once per map-reduce (one graph key, which each worker
fetches once), never inside every task.

The data: X (N x D) and T (N x K) or labels (N) are dask arrays (or NumPy arrays, cut to X's
chunks) split along the samples only; a split along the features is merged. Each chunk is
validated on its worker as in memory (dtype, finiteness, naming the offending rows) and
converted to the computation dtype. For training they are persisted on the workers when
they fit in half the workers' memory, and otherwise read (or generated) chunk by chunk from
their source in every epoch.

Threads: a task's kernel uses the worker's Numba threads divided among its Dask threads
(one each on the 2 x 1 cluster, so rung=None picks a one-thread rung per chunk); the
clusters ``local_cluster`` starts have as many Numba threads as Dask threads.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import distributed
import numba
import numpy as np
from dask.delayed import Delayed
from numpy.typing import ArrayLike

from . import fitting, warmup
from ._validation import (
    _EMPTY,
    check_arrays,
    check_dtype,
    check_dtype_kind,
    check_labels,
    check_parameters,
    computation_dtype,
    kernel_ready,
)
from .datasets import THREE_CLOUD_CENTRES, one_hot
from .kernels import ascent
from .kernels import network as network_kernels
from .kernels.checks import all_finite
from .network import Network
from .registry import Gradients, choose_rung, get_rung, kernel, log_likelihood

SPLIT_EVERY = 16  # partial sums added per reduction task: the tree is ceil(log16(chunks)) deep
SHOWN_ROWS = 10  # rows named in a non-finite error


# --- in the tasks ------------------------------------------------------------------------------


def task_threads() -> int:
    """The Numba threads a task may use: on a distributed worker its Numba threads divided
    among its Dask threads; in the threaded scheduler's pool one; in the client's main
    thread (the synchronous scheduler) all."""
    try:
        worker = distributed.get_worker()
    except ValueError:
        main = threading.current_thread() is threading.main_thread()
        return numba.config.NUMBA_NUM_THREADS if main else 1
    return max(1, numba.config.NUMBA_NUM_THREADS // worker.state.nthreads)


def _in_task(function: Callable) -> Callable:
    """``function`` run with the task's share of the Numba threads (a per-thread setting)."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        numba.set_num_threads(task_threads())
        return function(*args, **kwargs)

    return run


def _finite(name: str, values: np.ndarray, dtype: np.dtype, start: int, hint: str) -> np.ndarray:
    """``values`` (a chunk of rows from ``start``) as a C-contiguous, writeable ``dtype``
    array; the in-memory ValueError, with the offending rows, if one holds NaN or infinity."""
    values = kernel_ready(np.asarray(values), dtype)
    if all_finite(values.reshape(-1), *[_EMPTY[dtype]] * 5):
        return values
    bad = np.flatnonzero(~np.isfinite(values.reshape(len(values), -1)).all(axis=1)) + start
    rows = ", ".join(map(str, bad[:SHOWN_ROWS])) + (" ..." if len(bad) > SHOWN_ROWS else "")
    raise ValueError(f"{name} contains NaN or infinity (rows {rows}){hint}")


@_in_task
def _pair(
    X: np.ndarray,
    T: np.ndarray,
    start: int,
    dtype: np.dtype,
    check_finite: bool,
    hint: str,
    classes: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """One chunk, validated and converted: (X, T), T one-hot from labels when ``classes``."""
    if check_finite:
        X = _finite("X", X, dtype, start, hint)
    else:
        X = kernel_ready(np.asarray(X), dtype)
    if classes is not None:
        return X, one_hot(check_labels("labels", T), classes, dtype)
    return X, _finite("T", T, dtype, start, hint) if check_finite else kernel_ready(T, dtype)


def _add(*parts: np.ndarray) -> np.ndarray:
    """The partial sums, added in the order given."""
    return functools.reduce(np.add, parts)


# --- the data on the workers ---------------------------------------------------------------


def _client() -> distributed.Client | None:
    """The distributed client dask computes with now, if any (else a local scheduler)."""
    return getattr(dask.base.get_scheduler(), "__self__", None)


def _as_dask(name: str, value: ArrayLike, rows: tuple[int, ...] | None, ndim: int) -> da.Array:
    """``value`` as a dask array of ``ndim`` dimensions, split along the samples only (into
    ``rows``, when given), whole along the features."""
    array = value if isinstance(value, da.Array) else da.asarray(np.asarray(value))
    check_dtype_kind(name, array.dtype)
    if array.ndim != ndim:
        shape = "(N, D)" if name == "X" else "(N,)" if ndim == 1 else "(N, K)"
        raise ValueError(
            f"{name} must be a {ndim}-D array of shape {shape}, got shape {array.shape}"
        )
    if any(math.isnan(size) for size in array.shape):
        raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() first")
    if 0 in array.shape:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    whole = {axis: -1 for axis in range(1, ndim)}
    if rows is not None and array.shape[0] == sum(rows):
        return array.rechunk({0: rows, **whole})
    return array.rechunk(whole) if whole and array.numblocks[1] > 1 else array


class Chunks:
    """X and T (or labels, one-hot with ``classes`` columns) chunked along the samples, as
    validated (X, T) pairs, one per chunk: persisted on the workers (``persist=True``), or
    read from their source at every use (``False``); ``None`` persists them if they take
    at most half the workers' (or, without a distributed client, the machine's) memory."""

    def __init__(
        self,
        X: ArrayLike,
        T: ArrayLike,
        *,
        dtype: type | None = None,
        classes: int | None = None,
        persist: bool | None = None,
        check_finite: bool = True,
        hint: str = "",
    ) -> None:
        X = _as_dask("X", X, None, 2)
        T = _as_dask("labels" if classes else "T", T, X.chunks[0], 1 if classes else 2)
        if T.shape[0] != X.shape[0]:
            what = "labels has" if classes else f"T has shape {T.shape}, expected"
            raise ValueError(f"{what} {X.shape[0]} rows as given by X, got {T.shape[0]}")
        self.dtype = computation_dtype((X,) if classes else (X, T), dtype)
        self.n, self.D = X.shape
        self.K = classes or T.shape[1]
        self.rows = X.chunks[0]
        starts = np.cumsum((0, *self.rows[:-1]))
        pairs = [
            dask.delayed(_pair, pure=True)(x, t, int(s), self.dtype, check_finite, hint, classes)
            for x, t, s in zip(X.to_delayed().ravel(), T.to_delayed().ravel(), starts)
        ]
        self.client = _client()
        if persist is None:
            persist = self.nbytes <= 0.5 * _memory(self.client)
        self.persisted = bool(persist)
        self.parts: list[Any] = pairs
        if self.persisted and self.client is not None:
            # Dealt round the workers' threads, so that each thread holds its share of the
            # chunks (the scheduler alone placed 10 as 6 and 4 on two workers); only a
            # preference, so a lost worker's chunks are recomputed elsewhere.
            info = self.client.scheduler_info()["workers"]
            slots = [address for address in sorted(info) for _ in range(info[address]["nthreads"])]
            self.parts = [
                self.client.compute(pair, workers=[slots[i % len(slots)]], allow_other_workers=True)
                for i, pair in enumerate(pairs)
            ]
            with self.client.as_current():
                distributed.wait(self.parts)
            for future in self.parts:  # the first chunk that failed validation says why
                if future.status == "error":
                    future.result()
        elif self.persisted:
            self.parts = list(dask.compute(*pairs))

    @property
    def nbytes(self) -> int:
        return self.n * (self.D + self.K) * self.dtype.itemsize

    def lazy(self, function: Callable, vector: np.ndarray, **options: object) -> Delayed:
        """The sum over the chunks of ``function(pair, vector, **options)`` (flat float64
        vectors), as a dask graph: one task per chunk, then a tree adding them in order."""
        vector_key = dask.delayed(vector)
        task = dask.delayed(function, pure=False)
        parts = [task(pair, vector_key, **options) for pair in self.parts]
        add = dask.delayed(_add, pure=False)
        while len(parts) > 1:
            parts = [add(*parts[i : i + SPLIT_EVERY]) for i in range(0, len(parts), SPLIT_EVERY)]
        return parts[0]

    def map_reduce(self, function: Callable, vector: np.ndarray, **options: object) -> np.ndarray:
        """``lazy(...)``, computed. With a distributed client and persisted chunks: a task
        holding the vector, one task per chunk future and the tree, all as futures."""
        client = self.client
        if client is None or not self.persisted:
            return dask.compute(self.lazy(function, vector, **options))[0]
        # One task holds the vector; each worker fetches it once. Unlike scattered data it
        # is in the graph, so it is recomputed if its worker dies.
        shared = client.submit(np.array, vector, pure=False)
        parts = client.map(function, self.parts, vector=shared, pure=False, **options)
        while len(parts) > 1:
            parts = [
                client.submit(_add, *parts[i : i + SPLIT_EVERY], pure=False)
                for i in range(0, len(parts), SPLIT_EVERY)
            ]
        return parts[0].result()

    def run(self, function: Callable, *args: object) -> Any:
        """``function(*args)`` in one task, where the chunks' kernels run."""
        return dask.delayed(_in_task(function), pure=False)(*args).compute()

    def release(self) -> None:
        """Let the workers drop the persisted chunks."""
        self.parts = []


def _memory(client: distributed.Client | None) -> float:
    """Bytes of memory the workers (or, without a client, this machine) have; inf if
    unlimited or unknown."""
    if client is not None:
        limits = [w["memory_limit"] for w in client.scheduler_info()["workers"].values()]
        return math.inf if not limits or 0 in limits else float(sum(limits))
    try:
        import psutil
    except ImportError:
        return math.inf
    return float(psutil.virtual_memory().available)


# --- the classic network (docs/math.md §3) -------------------------------------------------


def _classic_layers(vector: np.ndarray, D: int, M: int, K: int) -> tuple[np.ndarray, ...]:
    """W1, b1, W2, b2 as views of the flat vector (storage order W1, b1, W2, b2)."""
    cuts = np.cumsum([D * M, M, M * K])
    W1, b1, W2, b2 = np.split(vector, cuts)
    return W1.reshape(D, M), b1, W2.reshape(M, K), b2


@_in_task
def _classic_step(
    pair: tuple, vector: np.ndarray, *, sizes: tuple, rung: str | None, compiled: bool
) -> np.ndarray:
    """A chunk's (dW1, db1, dW2, db2, cost), flat, in float64."""
    X, T = pair
    layers = _classic_layers(vector, *sizes)
    name = rung or choose_rung(len(X), *sizes)
    *grads, cost = kernel(name, "gradients", compiled)(X, T, *layers)
    return np.concatenate([*grads, [cost]], axis=None, dtype=np.float64)


@_in_task
def _classic_score(
    pair: tuple, vector: np.ndarray, *, sizes: tuple, rung: str | None, compiled: bool
) -> np.ndarray:
    """A chunk's (cost, number classified correctly)."""
    X, T = pair
    layers = _classic_layers(vector, *sizes)
    Y, _ = kernel(rung or choose_rung(len(X), *sizes), "forward", compiled)(X, *layers)
    right = np.count_nonzero(np.argmax(Y, axis=1) == np.argmax(T, axis=1))
    return np.array([log_likelihood(T, Y), right], np.float64)


def _gradients_result(total: np.ndarray, sizes: tuple, dtype: np.dtype) -> Gradients:
    dW1, db1, dW2, db2 = (a.astype(dtype) for a in _classic_layers(total[:-1], *sizes))
    return Gradients(dW1, db1, dW2, db2, float(total[-1]))


def _check_columns(name: str, array: Any, size: int, symbol: str, by: str) -> None:
    """A 2-D ``array`` has ``size`` columns, the ``symbol`` that ``by`` gives."""
    if array.ndim == 2 and array.shape[1] != size:
        raise ValueError(
            f"{name} has shape {array.shape}, expected (N, {symbol}) with {symbol}={size} "
            f"columns as given by {by}"
        )


def gradients(
    X: ArrayLike,
    T: ArrayLike,
    W1: ArrayLike,
    b1: ArrayLike,
    W2: ArrayLike,
    b2: ArrayLike,
    *,
    rung: str | None = None,
    compiled: bool = True,
    check_finite: bool = True,
    compute: bool = True,
) -> Gradients | Delayed:
    """``fastbp.gradients`` over dask arrays X (N x D) and T (N x K) chunked along the
    samples: per chunk the rung's gradients (rung=None: chosen per chunk, for the task's
    threads), summed. ``compute=False`` returns the lazy result (a dask Delayed of the
    Gradients), so that several can be computed together with ``dask.compute``."""
    if rung is not None:
        get_rung(rung)
    W1, b1, W2, b2 = check_arrays(check_finite, W1=W1, b1=b1, W2=W2, b2=b2)
    (D, M), K = W1.shape, W2.shape[1]
    X, T = (v if isinstance(v, da.Array) else da.asarray(np.asarray(v)) for v in (X, T))
    _check_columns("X", X, D, "D", "W1")
    _check_columns("T", T, K, "K", "W2")
    dtype = computation_dtype((X, T, W1))
    hint = "; pass check_finite=False to skip this check"
    chunks = Chunks(X, T, dtype=dtype, persist=False, check_finite=check_finite, hint=hint)
    vector = np.concatenate((W1, b1, W2, b2), axis=None).astype(dtype)
    sizes = (D, M, K)
    total = chunks.lazy(_classic_step, vector, sizes=sizes, rung=rung, compiled=compiled)
    result = dask.delayed(_gradients_result, pure=True)(total, sizes, dtype)
    return result.compute() if compute else result


# --- the general network (docs/math.md §6) -------------------------------------------------


@_in_task
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
    _check_columns("X", X, network.sizes[0], "D", "sizes[0]")
    _check_columns("T", T, network.sizes[-1], "K", "sizes[-1]")
    return Chunks(X, T, dtype=params.dtype, **options)


def loss_gradient(
    network: Network, params: ArrayLike, X: ArrayLike, T: ArrayLike, *, compute: bool = True
) -> tuple[float, np.ndarray] | Delayed:
    """``Network.loss_gradient`` over dask arrays X (N x D), T (N x K) chunked along the
    samples: each chunk's sums, added, over N. ``compute=False``: the lazy (Delayed) pair."""
    params = network.check_params(params)
    chunks = _network_chunks(network, params, X, T, persist=False)
    total = chunks.lazy(_network_step, params, network=network)
    result = dask.delayed(_mean, pure=True)(total, chunks.n, params.dtype)
    return result.compute() if compute else result


@_in_task
def _predict_block(
    X: np.ndarray, params: np.ndarray, network: Network, block_info: dict | None = None
) -> np.ndarray:
    start = block_info[0]["array-location"][0][0] if block_info else 0
    X = _finite("X", X, params.dtype, start, "")
    return network_kernels.predict(params, *network._kernel_args(), X)


def predict(network: Network, params: ArrayLike, X: ArrayLike) -> da.Array:
    """``Network.predict`` over a dask array X (N x D) chunked along the samples: a dask
    array of the outputs (N x K), chunked as X, in the parameters' dtype."""
    params = network.check_params(params)
    X = _as_dask("X", X, None, 2)
    _check_columns("X", X, network.sizes[0], "D", "sizes[0]")
    return X.map_blocks(
        _predict_block,
        dask.delayed(params),
        network=network,
        chunks=(X.chunks[0], (network.sizes[-1],)),
        dtype=params.dtype,
        meta=np.empty((0, 0), params.dtype),
    )


def engine(chunks: Chunks, network: Network) -> fitting.Engine:
    """fit's full-batch engine over ``chunks``: one map-reduce per call, at the parameters
    fit updates. The arrays fit passes are not read (the data are the chunks')."""

    def bind(params: np.ndarray) -> Callable:
        def gradient_at(_X: np.ndarray, _T: np.ndarray) -> tuple[float, np.ndarray]:
            total = chunks.map_reduce(_network_step, params, network=network)
            return _mean(total, chunks.n, params.dtype)

        return gradient_at

    return bind


def shape_carriers(chunks: Chunks) -> tuple[np.ndarray, np.ndarray]:
    """One row of zeros for X and for T, of the chunks' widths and dtype: what fit checks
    (dtype, columns) when an engine holds the data."""
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

    Full batch (``batch_size=None``): fit's own loop (SGD with momentum), with each
    epoch's loss and gradient one map-reduce over the chunks, which stay on the workers
    (``persist``: see Chunks). Minibatches or single samples (``batch_size``): the chunks
    streamed through the client, one at a time (``_stream``), so data larger than memory
    train with memory bounded by a chunk.
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
        return _stream(network, chunks, options)
    chunks = _network_chunks(network, options["params"], X, T, persist=persist)
    try:
        return fitting.fit(
            network, *shape_carriers(chunks), engine=engine(chunks, network), **options
        )
    finally:
        chunks.release()


def _stream(network: Network, chunks: Chunks, options: dict[str, Any]) -> fitting.FitResult:
    """Minibatch or per-sample training with the chunks streamed through the client: each
    epoch visits them in a new order drawn from ``seed``, and each chunk is one epoch of
    ``fastbp.fit`` on it (its samples shuffled by a seed drawn likewise), continuing the
    parameters and the optimizer's state. The client holds the chunk it trains on and,
    with a distributed client, the next one, being read meanwhile."""
    for name in ("tol", "monitor"):
        if options.get(name) is not None:
            raise ValueError(
                f"{name} is for in-memory data: streamed over dask chunks, fit runs its epochs"
            )
    epochs, seed = options.pop("epochs", 200), options.pop("seed", 0)
    callback = options.pop("callback", None)
    params, state = options.pop("params"), options.pop("state", None)
    client, parts = chunks.client, chunks.parts

    def fetch(i: int) -> Any:
        return client.compute(parts[i]) if client is not None else parts[i]

    def get(pending: Any) -> tuple[np.ndarray, np.ndarray]:
        return pending.result() if client is not None else pending.compute()

    rng = np.random.default_rng(seed)
    result = fitting.FitResult(network, params, stop_reason=f"ran all {epochs} epochs")
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(parts))
        seeds = rng.integers(0, 2**62, len(parts))
        pending, total = fetch(order[0]), 0.0
        for k in range(len(order)):
            X, T = get(pending)
            pending = fetch(order[k + 1]) if k + 1 < len(order) else None
            part = fitting.fit(
                network, X, T, epochs=1, seed=int(seeds[k]), params=params, state=state, **options
            )
            params, state = part.params, part.state
            total += part.loss_curve[0] * len(X)
        result.loss_curve.append(total / chunks.n)
        result.params, result.state, result.params_epoch = params, state, epoch
        if callback is not None:
            callback(epoch, result.loss_curve[-1], params)
    return result


def _labels(labels: ArrayLike) -> tuple[da.Array | np.ndarray, int]:
    """Labels (N integer classes, dask or NumPy) and K = the largest + 1, after the in-memory
    checks (an integer or whole-number dtype, none below 0); one pass over dask labels."""
    if not isinstance(labels, da.Array):
        labels = check_labels("labels", labels)
        low, high = labels.min(), labels.max()
    elif labels.ndim != 1 or labels.dtype.kind not in "iubf":
        raise ValueError(
            f"labels must be a non-empty 1-D array of integer labels, got {labels.dtype} "
            f"{labels.shape}"
        )
    else:
        low, high = dask.compute(labels.min(), labels.max())
    if low < 0:
        raise ValueError(f"labels must be class indices >= 0, got {low}")
    return labels, int(high) + 1


class ClassicData:
    """``fastbp.train``'s data as chunks on the workers (the in-memory counterpart is
    ``fastbp.training.InMemory``): X (N x D) and labels (N), one-hot per chunk."""

    compiled_epochs = False  # each epoch is a map-reduce from here: one epoch a stretch

    def __init__(
        self,
        X: ArrayLike,
        labels: ArrayLike,
        hidden: int,
        dtype: type,
        rung: str | None,
        compiled: bool,
        persist: bool | None = None,
    ) -> None:
        labels, self.K = _labels(labels)
        self.chunks = Chunks(
            X, labels, dtype=check_dtype("dtype", dtype), classes=self.K, persist=persist
        )
        self.dtype, self.D = self.chunks.dtype, self.chunks.D
        self.sizes = (self.D, hidden, self.K)
        self.compiled = bool(compiled)
        self.fixed_rung = None if rung is None else get_rung(rung).name
        # what the tasks run: the named rung, else the choice for the largest chunk
        self.rung = self.fixed_rung or self.chunks.run(
            choose_rung, max(self.chunks.rows), *self.sizes
        )

    def _sum(self, function: Callable, layers: Sequence[np.ndarray]) -> np.ndarray:
        vector = np.concatenate(layers, axis=None)
        options = {"sizes": self.sizes, "rung": self.fixed_rung, "compiled": self.compiled}
        return self.chunks.map_reduce(function, vector, **options)

    def gradients(self, *layers: np.ndarray) -> tuple:
        """(dW1, db1, dW2, db2, cost) at the layers W1, b1, W2, b2."""
        return _gradients_result(self._sum(_classic_step, layers), self.sizes, self.dtype)

    def ascend(
        self, layers: list[np.ndarray], learning_rate: np.floating, costs: np.ndarray
    ) -> int:
        """``kernels.ascent.ascend`` with one map-reduce of the gradients per epoch."""

        def gradients_at(_X: None, _T: None, *at: np.ndarray) -> tuple:
            return self.gradients(*at)  # the data are on the workers

        return ascent.ascend(gradients_at, None, None, *layers, learning_rate, costs)

    def score(self, *layers: np.ndarray) -> tuple[float, float]:
        """(cost, classification rate) at the layers W1, b1, W2, b2."""
        cost, right = self._sum(_classic_score, layers)
        return float(cost), float(right / self.chunks.n)

    def rate(self, *layers: np.ndarray) -> float:
        """The classification rate at the layers W1, b1, W2, b2 (one map-reduce, as score)."""
        return self.score(*layers)[1]

    def release(self) -> None:
        self.chunks.release()


# --- data sets on the workers ----------------------------------------------------------------

GENERATION_BLOCK = 1 << 16  # samples per seed of generated data, whatever the chunking


def _clouds_block(seed: int, block_info: dict | None = None) -> np.ndarray:
    """Rows [start, stop) of the generated three clouds, as (x1, x2, label) float64 rows.
    Every GENERATION_BLOCK samples come from their own seed (seed, block), so a row is the
    same for any chunking."""
    (start, stop), _ = block_info[None]["array-location"]
    first, last = start // GENERATION_BLOCK, (stop - 1) // GENERATION_BLOCK
    blocks = []
    for block in range(first, last + 1):
        rng = np.random.default_rng((seed, block))
        labels = rng.integers(0, len(THREE_CLOUD_CENTRES), GENERATION_BLOCK)
        X = rng.standard_normal((GENERATION_BLOCK, 2)) + THREE_CLOUD_CENTRES[labels]
        blocks.append(np.column_stack((X, labels)))
    offset = first * GENERATION_BLOCK
    return np.concatenate(blocks)[start - offset : stop - offset]


def _row_chunks(n: int, chunk: int) -> tuple[int, ...]:
    return (chunk,) * (n // chunk) + ((n % chunk,) if n % chunk else ())


def three_clouds(samples: int, chunk: int, seed: int = 0) -> tuple[da.Array, da.Array]:
    """The three clouds of docs/math.md §5 as dask arrays of ``samples`` rows in chunks of
    ``chunk``, generated chunk by chunk where they are computed, never in the client:
    X (N x 2, float64) and labels (N, int64), each sample's class drawn uniformly."""
    check_parameters({"samples": samples, "chunk": chunk, "seed": seed})
    rows = da.map_blocks(
        _clouds_block,
        seed,
        chunks=(_row_chunks(samples, chunk), (3,)),
        dtype=np.float64,
        meta=np.empty((0, 0)),
        name=f"three-clouds-{seed}-{samples}-{chunk}",
    )
    return rows[:, :2], rows[:, 2].astype(np.int64)


def _npy_rows(path: str, block_info: dict | None = None) -> np.ndarray:
    """Rows of a .npy file read through a memory map (never unpickling objects)."""
    location = block_info[None]["array-location"]
    array = np.load(path, mmap_mode="r", allow_pickle=False)
    return np.array(array[tuple(slice(*bounds) for bounds in location)])


def _from_npy(path: Path, chunk: int) -> da.Array:
    try:
        header = np.load(path, mmap_mode="r", allow_pickle=False)  # reads the header only
    except ValueError as error:
        raise ValueError(
            f"{path}: {error} (.npy files are read through a memory map, never unpickled)"
        ) from None
    chunks = (_row_chunks(header.shape[0], chunk), *((size,) for size in header.shape[1:]))
    return da.map_blocks(
        _npy_rows,
        str(path),
        chunks=chunks,
        dtype=header.dtype,
        meta=np.empty((0,) * header.ndim, header.dtype),
        name=f"npy-{dask.base.tokenize(str(path.resolve()), path.stat().st_mtime_ns, chunk)}",
    )


def load(path: str | Path, chunk: int) -> tuple[da.Array, da.Array]:
    """A stored data set as dask arrays (X, labels) in chunks of ``chunk`` rows: a folder
    holding ``X.npy`` and ``labels.npy`` (read through memory maps), or a zarr store with
    arrays ``X`` and ``labels`` (needs zarr: ``pip install 'fastbp[zarr]'``)."""
    check_parameters({"chunk": chunk})
    path = Path(path)
    if (path / "X.npy").is_file() and (path / "labels.npy").is_file():
        return _from_npy(path / "X.npy", chunk), _from_npy(path / "labels.npy", chunk)
    if not path.exists():
        raise FileNotFoundError(f"no data set at {path}")
    try:
        import zarr  # noqa: F401  (dask's from_zarr needs it)
    except ModuleNotFoundError:
        raise ImportError(
            f"{path} holds no X.npy and labels.npy; reading a zarr store needs zarr: "
            "pip install 'fastbp[zarr]'"
        ) from None
    X, labels = (da.from_zarr(str(path), component=name) for name in ("X", "labels"))
    return X.rechunk({0: chunk}), labels.rechunk(chunk)


# --- the workers -------------------------------------------------------------------------------


def local_cluster(
    workers: int, threads_per_worker: int, dashboard_address: str = ":8787"
) -> distributed.LocalCluster:
    """A LocalCluster of ``workers`` processes with ``threads_per_worker`` Dask threads and
    as many Numba threads each (so that 2 x 1 on 2 cores runs 2 threads, not 2 x 2)."""
    check_parameters({"workers": workers, "threads_per_worker": threads_per_worker})
    return distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=threads_per_worker,
        processes=True,
        env={"NUMBA_NUM_THREADS": str(threads_per_worker)},
        dashboard_address=dashboard_address,
    )


def _warm(rungs: Sequence[str], dtypes: Sequence[str], network: bool) -> dict[str, object]:
    """In a task: call the kernels a job runs (``fastbp.warmup``'s calls), so that they are
    compiled or loaded from the on-disk cache; what the worker then runs with."""
    start = time.perf_counter()
    for dtype in map(np.dtype, dtypes):
        for rung in rungs:
            warmup._call_rung(rung, dtype)
        if network:
            warmup._call_network(dtype)
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run: the layer Numba is set to load
        layer = numba.config.THREADING_LAYER
    return {
        "seconds": time.perf_counter() - start,
        "dask_threads": distributed.get_worker().state.nthreads,
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "task_threads": numba.get_num_threads(),
        "threading_layer": layer,
    }


def warm_up(
    client: distributed.Client,
    dtypes: Sequence[str] = ("float64",),
    rungs: Sequence[str] = ("fused",),
    network: bool = True,
) -> dict[str, dict[str, object]]:
    """Compile, on every worker of ``client``, the kernels a job needs: those of ``rungs``
    (default: the one-thread rung rung=None picks per chunk of a narrow network) and, with
    ``network``, the general network's, in ``dtypes``. One worker per host compiles first
    and saves them in the on-disk cache; the host's other workers then load them. Returns
    per worker address: seconds, its Dask threads, Numba threads, the threads a task uses
    and the threading layer."""
    for rung in rungs:
        get_rung(rung)
    for dtype in dtypes:
        check_dtype("dtypes", dtype)
    hosts: dict[str, list[str]] = {}
    for address, info in client.scheduler_info()["workers"].items():
        hosts.setdefault(info["host"], []).append(address)
    report: dict[str, dict[str, object]] = {}
    for wave in ([a[0] for a in hosts.values()], [w for a in hosts.values() for w in a[1:]]):
        futures = {
            address: client.submit(
                _in_task(_warm),
                tuple(rungs),
                tuple(dtypes),
                network,
                workers=[address],
                allow_other_workers=False,
                pure=False,
            )
            for address in wave
        }
        report.update({address: future.result() for address, future in futures.items()})
    return report
