"""The registry of rungs: the single list that the API, tests, benchmarks and study iterate.

Each rung is a kernel module offering ``forward`` and the four ``derivative_*`` functions
(and optionally a fused ``gradients_into``, the gradients written into given arrays, or
``gradients``, into new ones), all ``@njit`` dispatchers whose ``.py_func`` is the plain
Python/NumPy twin. A rung whose kernels are generated per layer width (``narrow``)
offers them as callables with ``for_widths(D, M, K)`` (the dispatcher for those widths) and
a module-level ``supports(D, M, K)``. A rung that needs more than the CPU (``cuda``: numba-cuda
and a GPU) offers ``unavailable()``, the reason it cannot run here or None, and ``require()``,
which raises that reason; one without a plain twin sets ``PLAIN_TWIN = False``. A rung whose
``gradients`` come in chunks of samples (``blas``) sets ``CHUNKED = True`` and offers the
chunk's kernel; the API runs the chunks on threads (``fastbp.threads``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import NamedTuple

import numba
import numpy as np

from . import threads
from ._validation import Options, ParameterError
from .kernels import (
    ascent,
    blas,
    cuda,
    fused,
    loops,
    matrix,
    narrow,
    narrow_parallel,
    outer,
    parallel,
    pointers,
    rows,
)

FUNCTIONS = ("forward", "derivative_w1", "derivative_b1", "derivative_w2", "derivative_b2")


class Gradients(NamedTuple):
    """The four gradients of the log-likelihood (ascent sign) and the log-likelihood itself.

    What :func:`fastbp.gradients` returns: a named tuple, so it unpacks as
    ``dW1, db1, dW2, db2, cost = fastbp.gradients(...)``.

    Attributes
    ----------
    dW1 : ndarray, shape (D, M)
        As :func:`fastbp.derivative_w1` returns.
    db1 : ndarray, shape (M,)
        As :func:`fastbp.derivative_b1` returns.
    dW2 : ndarray, shape (M, K)
        As :func:`fastbp.derivative_w2` returns.
    db2 : ndarray, shape (K,)
        As :func:`fastbp.derivative_b2` returns.
    cost : float
        The log-likelihood sum(T * log(Y)), as :func:`fastbp.cost` returns.

    Examples
    --------
    >>> import numpy as np
    >>> import fastbp
    >>> X, T = np.eye(3), np.eye(3)
    >>> W1, b1, W2, b2 = np.zeros((3, 2)), np.zeros(2), np.zeros((2, 3)), np.zeros(3)
    >>> grads = fastbp.gradients(X, T, W1, b1, W2, b2)
    >>> grads._fields
    ('dW1', 'db1', 'dW2', 'db2', 'cost')
    >>> dW1, db1, dW2, db2, cost = grads
    >>> dW1.shape, round(cost, 6)  # uniform outputs: 3 * log(1/3)
    ((3, 2), -3.295837)
    """

    dW1: np.ndarray
    db1: np.ndarray
    dW2: np.ndarray
    db2: np.ndarray
    cost: float


@dataclass(frozen=True)
class Rung:
    """One strategy of the ladder: a name, what it shows, and its kernel module.

    The values of ``fastbp.RUNGS``; pass the name as ``rung=`` to the classic functions and
    :func:`fastbp.train`.

    Parameters
    ----------
    name : str
        The rung's name, its key in ``fastbp.RUNGS``.
    summary : str
        What the rung shows, in words.
    module : module
        Its kernel module (in ``fastbp.kernels``), offering ``forward`` and the four
        ``derivative_*`` kernels (and optionally a fused ``gradients``).

    Examples
    --------
    >>> import fastbp
    >>> rung = fastbp.RUNGS["matrix"]
    >>> rung.name, rung.summary
    ('matrix', 'whole-batch matrix products (the classic fastest form)')
    """

    name: str
    summary: str
    module: ModuleType

    def supports(self, D: int, M: int, K: int) -> bool:
        """Whether the rung has kernels for these layer widths.

        Every rung but ``narrow`` and ``narrow_parallel`` has them for all widths; those two
        generate kernels for small layers only.

        Parameters
        ----------
        D, M, K : int
            The widths of the input, hidden and output layers.

        Returns
        -------
        bool
            True if the rung can run a problem of these widths.

        Examples
        --------
        >>> import fastbp
        >>> fastbp.RUNGS["narrow"].supports(2, 3, 3), fastbp.RUNGS["narrow"].supports(784, 100, 10)
        (True, False)
        >>> fastbp.RUNGS["fused"].supports(784, 100, 10)
        True
        """
        supports = getattr(self.module, "supports", None)
        return supports is None or supports(D, M, K)

    def unavailable(self) -> str | None:
        """Why the rung cannot run on this machine, or None when it can.

        Every rung but ``cuda`` runs wherever fastbp does; ``cuda`` needs numba-cuda (the
        ``cuda`` extra) and a CUDA GPU, or numba-cuda's simulator (``NUMBA_ENABLE_CUDASIM=1``).
        Code that iterates ``fastbp.RUNGS`` (the study, the benchmarks) skips a rung for which
        this is not None.

        Returns
        -------
        str or None
            The reason, in words, or None.

        Examples
        --------
        >>> import fastbp
        >>> fastbp.RUNGS["narrow"].unavailable() is None
        True
        """
        unavailable = getattr(self.module, "unavailable", None)
        return None if unavailable is None else unavailable()

    @property
    def plain_twin(self) -> bool:
        """Whether ``compiled=False`` runs the rung as plain Python (all but ``cuda``).

        Examples
        --------
        >>> import fastbp
        >>> fastbp.RUNGS["loops"].plain_twin, fastbp.RUNGS["cuda"].plain_twin
        (True, False)
        """
        return getattr(self.module, "PLAIN_TWIN", True)

    def require(self, compiled: bool = True) -> None:
        """Raise unless the rung can run here as asked.

        Parameters
        ----------
        compiled : bool, default True
            False asks for the plain twin.

        Raises
        ------
        ImportError
            If a package the rung needs is missing (``cuda``: numba-cuda).
        RuntimeError
            If a device the rung needs is missing (``cuda``: a GPU, or the simulator).
        ValueError
            If ``compiled`` is False and the rung has no plain twin.

        Examples
        --------
        >>> import fastbp
        >>> fastbp.RUNGS["narrow"].require(compiled=False)  # runs anywhere: no error
        >>> try:
        ...     fastbp.RUNGS["cuda"].require(compiled=False)
        ... except ValueError as error:
        ...     print(str(error).split(",")[0])
        rung='cuda' has no plain-Python twin
        """
        if not compiled and not self.plain_twin:
            raise ValueError(
                f"rung={self.name!r} has no plain-Python twin, so compiled=False has nothing "
                "to run (its kernels run on a GPU, or as Python threads under numba-cuda's "
                "simulator, NUMBA_ENABLE_CUDASIM=1): use compiled=True, or a CPU rung"
            )
        require = getattr(self.module, "require", None)
        if require is not None:
            require()


#: Every rung of the ladder by name, from the plainest to the fastest, as :class:`Rung`
#: values; the single list that the API, tests, benchmarks and study iterate.
RUNGS: dict[str, Rung] = {
    rung.name: rung
    for rung in (
        Rung("loops", "explicit scalar loops over every index, as the formulas read", loops),
        Rung("rows", "loop over samples, NumPy row updates along the last index", rows),
        Rung("outer", "loop over samples, one outer product per sample", outer),
        Rung("matrix", "whole-batch matrix products (the classic fastest form)", matrix),
        Rung(
            "fused",
            "one pass over blocks of samples, forward and backward together, SIMD exp",
            fused,
        ),
        Rung(
            "parallel",
            "the fused pass over chunks of samples on all cores, reduced in a fixed order",
            parallel,
        ),
        Rung(
            "blas",
            "the fused pass for wide layers: BLAS products on blocks, no N-sized temporaries",
            blas,
        ),
        Rung(
            "narrow",
            "one loop over samples, generated per layer widths: every value in a register",
            narrow,
        ),
        Rung(
            "narrow_parallel",
            "the narrow loop over chunks of samples on all cores, reduced in a fixed order",
            narrow_parallel,
        ),
        Rung(
            "cuda",
            "the narrow loop on a GPU: a thread per run of samples, block sums in a fixed order",
            cuda,
        ),
    )
}


def get_rung(name: str) -> Rung:
    """The rung called ``name``; a ParameterError (a ValueError) listing the names otherwise."""
    try:
        return RUNGS[name]
    except (KeyError, TypeError):
        raise ParameterError("rung", name, str(Options(tuple(sorted(RUNGS))))) from None


# D*M + M*K from which BLAS on blocks beats the fused loops' register tiles. Measured at
# N = 10000 (blas against parallel at 2 threads / fused at 1): 128-128-10 1.01 / 0.98,
# 784-32-10 1.09 / 1.12, 784-64-10 0.99 / 1.11, 784-128-10 0.95 / 0.96 (times, blas / ours).
WIDE_LAYERS = 65_536
PARALLEL_WORK = 400_000  # N*(D*M + M*K) from which two threads beat one (fused)
NARROW_PARALLEL_SAMPLES = 30_000  # N from which two threads beat one (narrow)
# In a loop of epochs (fastbp.train) the threads stay awake between calls: two beat one as
# soon as there are two chunks (measured at 2-3-3: 14.7 against 21.4 us an epoch at N = 1500,
# 17.7 against 14.3 at N = 1002, one chunk).
NARROW_PARALLEL_SAMPLES_LOOPED = 2 * narrow.CHUNK
# The GPU (only a real one, never the simulator) from these N. No GPU has been lent to
# measure them: they come from the probe figures of issue 23 (H200, 2-3-3, float64). A call
# with NumPy arrays costs about 0.1 ms fixed (two launches and the copy back: 92 us) plus
# the copy of X and T there (40 bytes a sample, about 1.6 ns at an assumed 25 GB/s), against
# 3.9 ns a sample for the CPU rungs on 16 threads: the GPU wins from about 45,000 samples.
# In fastbp.train the data is copied once and an epoch costs about 0.05 ms fixed (two
# launches): it wins from about 13,000.
CUDA_SAMPLES = 50_000
CUDA_SAMPLES_LOOPED = 20_000


def choose_rung(N: int, D: int, M: int, K: int, looped: bool = False) -> str:
    """The rung the API uses when none is named, for a problem of this shape.

    Parameters
    ----------
    N : int
        The number of samples.
    D, M, K : int
        The widths of the input, hidden and output layers.
    looped : bool, default False
        Whether the rung is called in a loop of epochs (as :func:`fastbp.train` calls it),
        which lowers the number of samples from which ``narrow_parallel`` is chosen.

    Returns
    -------
    str
        A name in ``fastbp.RUNGS``.

    Notes
    -----
    The rule: ``narrow`` for layers it generates kernels for (``narrow.supports``:
    D*M + M*K at most ``narrow.MAX_WEIGHTS``), ``narrow_parallel`` there from
    NARROW_PARALLEL_SAMPLES samples (NARROW_PARALLEL_SAMPLES_LOOPED when ``looped``) with
    more than one thread to use; ``blas`` for wide layers (D*M + M*K >= WIDE_LAYERS: per
    sample there is enough matrix work for BLAS to run near its peak); otherwise
    ``parallel`` when there is enough work to pay for waking threads (N*(D*M + M*K) >=
    PARALLEL_WORK, at least two blocks, more than one thread to use), else ``fused``. The
    threads to use are Numba's, at most the BLAS libraries' limit (``fastbp.threads.budget``:
    ``OMP_NUM_THREADS=1`` or threadpoolctl's ``threadpool_limits(1)`` choose a serial rung).
    The thresholds come from ``python -m fastbp study`` on a 2-core AMD EPYC
    (docs/user-guide/ladder.md). Before all of these, ``cuda`` when a real CUDA GPU is
    present (never numba-cuda's simulator), the shape is one it supports and N is at least
    CUDA_SAMPLES (CUDA_SAMPLES_LOOPED when ``looped``); those two are estimates from the
    figures of a probe, not yet measured by the study.

    Examples
    --------
    >>> import fastbp
    >>> fastbp.choose_rung(1500, 2, 3, 3)  # the three clouds: small layers
    'narrow'
    >>> fastbp.choose_rung(1000, 784, 100, 10)  # wide layers
    'blas'
    >>> fastbp.choose_rung(100, 20, 20, 5)  # little work: no threads
    'fused'
    """
    return _choose(N, D, M, K, looped, threads.budget() > 1)


def choose_rung_at(N: int, D: int, M: int, K: int, several: bool) -> str:
    """``choose_rung``'s pick (not looped) with ``several`` given: whether more than one
    thread may be used, instead of read from ``threads.budget``."""
    return _choose(N, D, M, K, False, several)


def depends_on_threads(N: int, D: int, M: int, K: int) -> bool:
    """Whether ``choose_rung`` picks another rung for this shape with one thread than
    with several (a plan for it cannot be remembered across thread counts)."""
    return _choose(N, D, M, K, False, False) != _choose(N, D, M, K, False, True)


def _choose(N: int, D: int, M: int, K: int, looped: bool, threads: bool) -> str:
    """``choose_rung``'s rule, with ``threads``: whether there is more than one thread to use."""
    width = D * M + M * K
    least = CUDA_SAMPLES_LOOPED if looped else CUDA_SAMPLES
    if N >= least and cuda.supports(D, M, K) and cuda.gpu_present():
        return "cuda"
    if narrow.supports(D, M, K):
        least = NARROW_PARALLEL_SAMPLES_LOOPED if looped else NARROW_PARALLEL_SAMPLES
        return "narrow_parallel" if N >= least and threads else "narrow"
    if width >= WIDE_LAYERS:
        return "blas"
    if N * width >= PARALLEL_WORK and N >= 2 * fused.BLOCK and threads:
        return "parallel"
    return "fused"


def log_likelihood(T: np.ndarray, Y: np.ndarray) -> float:
    """sum(T * log(Y)), counting only entries where T != 0 (so Y = 0 there gives no NaN)."""
    with np.errstate(divide="ignore"):
        return float(np.sum(T * np.log(Y, where=T != 0, out=np.zeros_like(Y))))


def log_likelihood_at(T: np.ndarray, Z: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> float:
    """sum(T * log softmax(Z @ W2 + b2)) from the logits, in float64, as the fused kernels
    compute the cost: finite where a probability underflows to 0 (``log_likelihood`` of
    those probabilities gives -inf there)."""
    A = (Z @ W2 + b2).astype(np.float64)
    A -= A.max(axis=1, keepdims=True)
    return float(np.sum(T * A) - np.sum(T.sum(axis=1) * np.log(np.exp(A).sum(axis=1))))


class _IntoNew:
    """``gradients`` of a rung's ``gradients_into``: the gradients written into four new
    arrays of X's dtype, so that a rung compiles one gradients kernel for both calls. As
    fast as a kernel that makes the arrays itself: ``fused`` at the three clouds' 1500
    samples took 29.4 µs a call this way and 29.2 µs so (measured here). ``for_widths`` as
    the kernel's, when it has one."""

    def __init__(self, into: Callable) -> None:
        self.into = into
        self.marks_nonfinite = getattr(into, "marks_nonfinite", False)
        if hasattr(into, "for_widths"):
            self.for_widths = lambda D, M, K: _IntoNew(into.for_widths(D, M, K))

    def __call__(self, X, T, W1, b1, W2, b2) -> tuple:
        dtype = X.dtype
        dW1, db1 = np.empty(W1.shape, dtype), np.empty(b1.shape, dtype)
        dW2, db2 = np.empty(W2.shape, dtype), np.empty(b2.shape, dtype)
        return dW1, db1, dW2, db2, self.into(X, T, W1, b1, W2, b2, dW1, db1, dW2, db2)


@functools.cache
def kernel(rung_name: str, function: str, compiled: bool = True) -> Callable:
    """The callable for ``function`` (a name in FUNCTIONS, "gradients" or "gradients_into")
    of a rung.

    ``compiled=False`` gives the same source run as plain Python (``.py_func``). A rung
    with a ``gradients_into`` kernel (the gradients written into four given arrays, returning
    the cost) gets its ``gradients`` made of it (``_IntoNew``); one with a ``gradients``
    kernel only gets a ``gradients_into`` that copies from it; one with neither gets
    ``gradients`` composed of its own forward and derivatives. A rung that computes its
    gradients by chunks of samples (``CHUNKED``: ``blas``) gets them run on threads
    (``threads.chunked_gradients``). A rung that cannot run here as asked raises
    (``Rung.require``).
    """
    rung = get_rung(rung_name)
    rung.require(compiled)
    module = rung.module
    if function == "gradients" and getattr(module, "CHUNKED", False):
        return threads.chunked_gradients(module, compiled)
    if function in FUNCTIONS or hasattr(module, function):
        dispatcher = getattr(module, function)
        return dispatcher if compiled else dispatcher.py_func
    if function == "gradients" and hasattr(module, "gradients_into"):
        return _IntoNew(kernel(rung_name, "gradients_into", compiled))
    if function == "gradients_into":
        computed = kernel(rung_name, "gradients", compiled)

        def gradients_into(X, T, W1, b1, W2, b2, dW1, db1, dW2, db2):
            *results, cost = computed(X, T, W1, b1, W2, b2)
            for target, result in zip((dW1, db1, dW2, db2), results):
                target[...] = result
            return cost

        return gradients_into
    if function != "gradients":
        known = [*FUNCTIONS, "gradients", "gradients_into"]
        raise ValueError(f"function must be one of {known}, got {function!r}")
    forward, dw1, db1, dw2, db2 = (kernel(rung_name, f, compiled) for f in FUNCTIONS)

    def gradients(X, T, W1, b1, W2, b2):
        Y, Z = forward(X, W1, b1, W2, b2)
        return (
            dw1(X, Z, T, Y, W2),
            db1(T, Y, W2, Z),
            dw2(Z, T, Y),
            db2(T, Y),
            log_likelihood(T, Y),
        )

    return gradients


def kernel_for(rung_name: str, function: str, compiled: bool, D: int, M: int, K: int) -> Callable:
    """``kernel(rung_name, function, compiled)`` for a problem of these layer widths: for a
    rung with kernels generated per width, the generated kernel itself (a ValueError naming
    the rung's limit if it has none for them), so that a caller holding it skips the lookup
    by width on every call."""
    found = kernel(rung_name, function, compiled)
    for_widths = getattr(found, "for_widths", None)
    return found if for_widths is None else for_widths(D, M, K)


@functools.cache
def ascent_kernel(rung_name: str, compiled: bool, D: int, M: int, K: int) -> Callable:
    """``ascend(X, T, W1, b1, W2, b2, learning_rate, costs) -> epochs done``: full-batch
    gradient ascent with the rung's gradients (``kernels.ascent.ascend``): the compiled loop
    calling the rung's compiled ``gradients_into`` kernel when it has one, else the plain
    loop around its ``gradients_into`` (those of a rung without a fused kernel call its
    derivatives from Python, those of ``blas`` run its chunks on threads)."""
    gradients_into = kernel_for(rung_name, "gradients_into", compiled, D, M, K)
    if isinstance(gradients_into, numba.core.registry.CPUDispatcher | pointers.Bound):
        return ascent.compiled_for(gradients_into)
    return functools.partial(ascent.ascend, gradients_into)
