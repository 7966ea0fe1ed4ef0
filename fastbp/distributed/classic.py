"""The classic network (docs/math.md §3) over the chunks: its gradients, one map-reduce,
and ``ClassicData``, ``fastbp.train``'s data on the workers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import dask
import dask.array as da
import numpy as np
from dask.delayed import Delayed
from numpy.typing import ArrayLike

from .._validation import check_arrays, check_dtype, check_labels, computation_dtype
from ..kernels import ascent
from ..registry import Gradients, choose_rung, get_rung, kernel, log_likelihood_at
from .chunks import Chunks, check_columns
from .tasks import checked_pair, in_task


def _classic_layers(vector: np.ndarray, D: int, M: int, K: int) -> tuple[np.ndarray, ...]:
    """W1, b1, W2, b2 as views of the flat vector (storage order W1, b1, W2, b2)."""
    cuts = np.cumsum([D * M, M, M * K])
    W1, b1, W2, b2 = np.split(vector, cuts)
    return W1.reshape(D, M), b1, W2.reshape(M, K), b2


@in_task
def _classic_step(
    pair: tuple, vector: np.ndarray, *, sizes: tuple, rung: str | None, compiled: bool
) -> np.ndarray:
    """A chunk's (dW1, db1, dW2, db2, cost), flat, in float64."""
    X, T = pair
    layers = _classic_layers(vector, *sizes)
    name = rung or choose_rung(len(X), *sizes)
    *grads, cost = kernel(name, "gradients", compiled)(X, T, *layers)
    return np.concatenate([*grads, [cost]], axis=None, dtype=np.float64)


@in_task
def _classic_score(
    pair: tuple, vector: np.ndarray, *, sizes: tuple, rung: str | None, compiled: bool
) -> np.ndarray:
    """A chunk's (cost, number classified correctly)."""
    X, T = pair
    layers = _classic_layers(vector, *sizes)
    Y, Z = kernel(rung or choose_rung(len(X), *sizes), "forward", compiled)(X, *layers)
    right = np.count_nonzero(np.argmax(Y, axis=1) == np.argmax(T, axis=1))
    return np.array([log_likelihood_at(T, Z, *layers[2:]), right], np.float64)


def warm_chunk_kernels(rung: str, dtype: np.dtype, sizes: tuple[int, int, int]) -> None:
    """What a chunk's tasks run (``tasks.checked_pair``, ``_classic_step``,
    ``_classic_score``), once, on a chunk of two samples of these widths (D, M, K) with
    ``rung``, compiled, in ``dtype``: so that their kernels are compiled, or loaded from the
    on-disk cache, before a job's first epoch."""
    D, M, K = sizes
    rng = np.random.default_rng(0)
    pair = checked_pair(rng.standard_normal((2, D)), np.array([0, K - 1]), 0, dtype, True, "", K)
    vector = rng.standard_normal(D * M + M + M * K + K).astype(dtype)
    for task in (_classic_step, _classic_score):
        task(pair, vector, sizes=sizes, rung=rung, compiled=True)


def _gradients_result(total: np.ndarray, sizes: tuple, dtype: np.dtype) -> Gradients:
    dW1, db1, dW2, db2 = (a.astype(dtype) for a in _classic_layers(total[:-1], *sizes))
    return Gradients(dW1, db1, dW2, db2, float(total[-1]))


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
    samples: per chunk the rung's gradients, summed.

    Parameters
    ----------
    X, T : dask.array.Array or array_like
        Inputs (N x D) and one-hot targets (N x K), chunked along the samples.
    W1, b1, W2, b2 : array_like
        The layers (D x M, M, M x K, K).
    rung : str, optional
        The rung of every chunk (default: chosen per chunk, for the task's threads).
    compiled : bool, default True
        Run the rung compiled (False: its plain Python/NumPy form).
    check_finite : bool, default True
        Check the layers, and each chunk on its worker, for NaN and infinity.
    compute : bool, default True
        False: the lazy result, so that several can be computed together with
        ``dask.compute``.

    Returns
    -------
    Gradients or dask.delayed.Delayed
        (dW1, db1, dW2, db2, cost) summed over the samples, in the computation dtype; with
        ``compute=False``, the Delayed of it.

    Raises
    ------
    ValueError
        If the rung is unknown, a shape does not fit the layers, or (when computed) a chunk
        holds NaN or infinity, naming its rows.
    TypeError
        If X, T or a layer does not hold real numbers.
    """
    if rung is not None:
        get_rung(rung)
    W1, b1, W2, b2 = check_arrays(check_finite, W1=W1, b1=b1, W2=W2, b2=b2)
    (D, M), K = W1.shape, W2.shape[1]
    X, T = (v if isinstance(v, da.Array) else da.asarray(np.asarray(v)) for v in (X, T))
    check_columns("X", X, D, "D", "W1")
    check_columns("T", T, K, "K", "W2")
    dtype = computation_dtype((X, T, W1))
    hint = "; pass check_finite=False to skip this check"
    chunks = Chunks(X, T, dtype=dtype, persist=False, check_finite=check_finite, hint=hint)
    vector = np.concatenate((W1, b1, W2, b2), axis=None).astype(dtype)
    sizes = (D, M, K)
    total = chunks.lazy(_classic_step, vector, sizes=sizes, rung=rung, compiled=compiled)
    result = dask.delayed(_gradients_result, pure=True)(total, sizes, dtype)
    return result.compute() if compute else result


def class_labels(labels: ArrayLike) -> tuple[da.Array | np.ndarray, int]:
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
    """``fastbp.train``'s data as chunks on the workers (``fastbp.training.TrainData``; the
    in-memory one is ``fastbp.training.InMemory``): X (N x D) and labels (N), one-hot per
    chunk; each epoch is one map-reduce of the gradients.

    Parameters
    ----------
    X : dask.array.Array or array_like
        Inputs, N x D, chunked along the samples.
    labels : dask.array.Array or array_like
        N integer classes 0..K-1 (K = the largest + 1).
    hidden : int
        Hidden units M.
    dtype : type
        The computation dtype.
    rung : str or None
        The rung of every chunk (None: chosen per chunk; ``rung`` then names the choice for
        the largest chunk).
    compiled : bool
        Run the rung compiled.
    persist : bool or None, default None
        As ``Chunks``'s.

    Raises
    ------
    ValueError
        If the labels are not integer classes >= 0, a shape is wrong, or the rung unknown.
    """

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
        labels, self.K = class_labels(labels)
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

        def gradients_into_at(_X: None, _T: None, *arrays: np.ndarray) -> float:
            *gradients, cost = self.gradients(*arrays[:4])  # the data are on the workers
            for target, gradient in zip(arrays[4:], gradients):
                target[...] = gradient
            return cost

        return ascent.ascend(gradients_into_at, None, None, *layers, learning_rate, costs)

    def score(self, *layers: np.ndarray) -> tuple[float, float]:
        """(cost, classification rate) at the layers W1, b1, W2, b2."""
        cost, right = self._sum(_classic_score, layers)
        return float(cost), float(right / self.chunks.n)

    def rate(self, *layers: np.ndarray) -> float:
        """The classification rate at the layers W1, b1, W2, b2 (one map-reduce, as score)."""
        return self.score(*layers)[1]

    def release(self) -> None:
        """Let the workers drop the persisted chunks."""
        self.chunks.release()
