"""Filling the on-disk compile cache ahead of time (``python -m fastbp compile``).

A unit of work is a rung, or the general network, in one dtype. Each runs in a worker
process, spawned, so that it finds the cache as any new process does
(``fastbp.kernels.caching``), and calls the public functions once on tiny data of that
dtype. Going through the public functions, the arrays reach the kernels as a user's do
(converted at the boundary to C-contiguous arrays of the dtype): the signatures compiled
and saved are the ones a later process looks up, and every kernel on the way (the
boundary's finiteness check too) is saved. Plain mode (``compiled=False``) compiles nothing.

Units of one dtype run at once, dtypes one after another (``plan``). Rungs that share
kernels (``outer`` and ``rows``, ``blas`` and ``matrix``, ``parallel`` and ``fused``, the two
narrow rungs: ``share_kernels``) are not started side by side while other work waits
(``next_unit``): the second then loads what the first compiled. Processes saving to the
cache at once are safe (``fastbp.kernels.caching``: a data file per signature, the index
updated under a lock).
The narrow rungs are compiled at the widths of GENERATED_WIDTHS (their kernels
are generated per width; others compile on their first call, in about a second).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import NamedTuple

import numpy as np

import fastbp
from fastbp._validation import check_parameters
from fastbp.kernels import caching
from fastbp.registry import FUNCTIONS

NETWORK = "network"
DTYPES = ("float64", "float32")
# The rungs whose kernels fastbp caches on disk: all but cuda, which numba-cuda compiles in
# each process (and which cannot run on every machine).
CACHED_RUNGS = tuple(name for name, rung in fastbp.RUNGS.items() if rung.plain_twin)
# Every rung that fastbp.choose_rung picks (tests/test_compile_command.py checks it).
DEFAULT_RUNGS = ("fused", "parallel", "blas", "narrow", "narrow_parallel")
# The widths (D, M, K) compiled for a rung whose kernels are generated per width (narrow):
# the three clouds' and the tutorials' (Iris 4-2-3, and 4-8-3 of per-sample SGD).
GENERATED_WIDTHS = ((2, 3, 3), (4, 2, 3), (4, 8, 3))


class Unit(NamedTuple):
    """What one worker compiles: a rung's name or NETWORK, in a dtype's name."""

    target: str
    dtype: str

    def __str__(self) -> str:
        return f"{self.target} {self.dtype}"


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def cache_folder() -> str:
    """Where new processes keep the compile cache (``fastbp.kernels.caching.folder``)."""
    return str(caching.folder())


def plan(rungs: Iterable[str], dtypes: Iterable[str], network: bool) -> list[list[Unit]]:
    """The units in waves, one wave per dtype: the network first (its compile is long),
    then the rungs in the order of fastbp.RUNGS (``next_unit`` picks from a wave in this
    order)."""
    targets = ([NETWORK] if network else []) + sorted(set(rungs), key=list(fastbp.RUNGS).index)
    return [[Unit(target, dtype) for target in targets] for dtype in dict.fromkeys(dtypes)]


def share_kernels(first: str, second: str) -> bool:
    """Whether two targets (rung names or NETWORK) call some of the same kernels: the same
    ``forward`` or derivative in their kernel modules (as ``blas`` calls ``matrix``'s)."""
    if NETWORK in (first, second):
        return False
    modules = fastbp.RUNGS[first].module, fastbp.RUNGS[second].module
    return any(
        getattr(modules[0], name) is getattr(modules[1], name)
        for name in FUNCTIONS
        if hasattr(modules[0], name) and hasattr(modules[1], name)
    )


def next_unit(pending: list[Unit], running: Iterable[Unit]) -> Unit:
    """The unit to start now: the first of ``pending`` that shares no kernels with a running
    unit of its dtype (it will load them from the cache once that one has saved them), or,
    when every pending unit does, the first of them (compiling twice beats leaving a process
    idle)."""
    running = list(running)
    for unit in pending:
        if not any(
            unit.dtype == other.dtype and share_kernels(unit.target, other.target)
            for other in running
        ):
            return unit
    return pending[0]


def _call_rung(rung: str, dtype: np.dtype) -> None:
    """Each public function of the one-hidden-layer network once, on ``rung``, compiled; for
    a rung whose kernels are generated per width, at each of GENERATED_WIDTHS."""
    X, labels = fastbp.datasets.three_clouds(2)
    X, T = X.astype(dtype), fastbp.datasets.one_hot(labels, 3, dtype)
    # train first: it calls the rung's own kernels, the derivatives some rungs share come last
    result = fastbp.train(X, labels, hidden=3, epochs=1, rung=rung, dtype=dtype)
    _call_functions(rung, X, T, result.W1, result.b1, result.W2, result.b2)
    if hasattr(fastbp.RUNGS[rung].module, "supports"):
        rng = np.random.default_rng(0)
        for D, M, K in GENERATED_WIDTHS[1:]:
            X = rng.standard_normal((6, D)).astype(dtype)
            T = fastbp.datasets.one_hot(np.arange(6) % K, K, dtype)
            shapes = ((D, M), (M,), (M, K), (K,))
            _call_functions(rung, X, T, *(rng.standard_normal(s).astype(dtype) for s in shapes))


def _call_functions(rung: str, X, T, W1, b1, W2, b2) -> None:
    """fastbp.gradients, forward and the four derivatives once each, on ``rung``."""
    fastbp.gradients(X, T, W1, b1, W2, b2, rung=rung)
    Y, Z = fastbp.forward(X, W1, b1, W2, b2, rung=rung)
    fastbp.derivative_w1(X, Z, T, Y, W2, rung=rung)
    fastbp.derivative_b1(T, Y, W2, Z, rung=rung)
    fastbp.derivative_w2(Z, T, Y, rung=rung)
    fastbp.derivative_b2(T, Y, rung=rung)


def _call_network(dtype: np.dtype) -> None:
    """fastbp.fit in its three modes (with a validation split), then loss_gradient and
    predict, for a network with the default activations (sigmoid hidden, softmax output)."""
    X, labels = fastbp.datasets.three_clouds(4)
    X, T = X.astype(dtype), fastbp.datasets.one_hot(labels, 3, dtype)
    network = fastbp.Network((2, 3, 3))
    for batch_size in (None, 2, 1):  # full batch, minibatch, per sample
        result = fastbp.fit(
            network,
            X,
            T,
            learning_rate=0.1,
            epochs=1,
            batch_size=batch_size,
            validation_fraction=0.25,
        )
    network.loss_gradient(result.params, X, T)
    network.predict(result.params, X)


def _compile(unit: Unit) -> float:
    """In a worker: compile (or load) what ``unit`` names; the seconds it took."""
    start = time.perf_counter()
    if unit.target == NETWORK:
        _call_network(np.dtype(unit.dtype))
    else:
        _call_rung(unit.target, np.dtype(unit.dtype))
    return time.perf_counter() - start


def warm_up(
    rungs: Iterable[str] = DEFAULT_RUNGS,
    dtypes: Iterable[str] = DTYPES[:1],
    network: bool = True,
    jobs: int | None = None,
    report: Callable[[Unit, float], None] | None = None,
) -> list[tuple[Unit, float]]:
    """Compile and cache the kernels of ``rungs`` (names from fastbp.RUNGS) and, with
    ``network``, of the general network, for each of ``dtypes`` (names from DTYPES).

    ``jobs`` worker processes at most (default: available_cpus()). Returns (unit, seconds)
    in the order the units finished; ``report(unit, seconds)`` is called as each does.
    """
    jobs = available_cpus() if jobs is None else jobs
    check_parameters({"jobs": jobs})
    waves = plan(rungs, dtypes, network)
    workers = min(jobs, max(1, *map(len, waves)))
    finished = []
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
        for wave in waves:
            pending: list[Unit] = list(wave)
            running: dict[Future, Unit] = {}
            while pending or running:
                while pending and len(running) < workers:
                    unit = next_unit(pending, running.values())
                    pending.remove(unit)
                    running[pool.submit(_compile, unit)] = unit
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    finished.append((running.pop(future), future.result()))
                    if report is not None:
                        report(*finished[-1])
    return finished
