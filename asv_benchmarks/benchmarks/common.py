"""What every suite shares: problem sizes, the rung list, fixed-seed data, and the skip policy.

Nothing runs at import time beyond reading the registry and initialising Numba (below), so
that discovery (and ``asv check``) stays fast; data sets are built on first use and kept for
the process.

A failed ``import fastbp`` does not break discovery: the rung list becomes one placeholder
entry and every benchmark that needs the package re-raises the import error when it runs,
so asv reports each of them as failed with the real traceback.
"""

from __future__ import annotations

import functools
import os
import statistics
import time
from typing import NamedTuple

import numpy as np

try:
    import fastbp
    from fastbp.registry import RUNGS
except Exception as error:  # any import failure must only fail the benchmarks
    fastbp = None
    RUNGS = {}
    IMPORT_ERROR: Exception | None = error
else:
    IMPORT_ERROR = None
    # The first Numba kernel a process compiles or loads from the on-disk cache pays about
    # 0.4 s to initialise Numba's CPU target. Pay it here, at import: asv's forkserver
    # (asv.conf.json) imports the suites once and forks every benchmark from that process,
    # so no benchmark's first call, which asv spends calibrating `number`, includes it.
    from numba import njit

    njit(lambda x: x + 1)(1)

BROKEN = "<import failed>"


def require_fastbp():
    """The fastbp package, or the error that importing it raised."""
    if IMPORT_ERROR is not None:
        raise IMPORT_ERROR
    return fastbp


# --- problem sizes -------------------------------------------------------------------------


class Size(NamedTuple):
    N: int
    D: int
    M: int
    K: int


SIZES: dict[str, Size] = {
    "seed": Size(1500, 2, 3, 3),  # the three clouds (docs/math.md §5)
    "small-wide": Size(1500, 20, 50, 10),
    "mnist-like": Size(10_000, 784, 256, 10),
    "tall": Size(1_000_000, 2, 3, 3),
}


def _selected_sizes() -> tuple[str, ...]:
    """Sizes to benchmark: all, or those named in FASTBP_ASV_SIZES (comma-separated).

    FASTBP_ASV_SMOKE=1 (the CI smoke run) defaults to the seed size alone.
    """
    smoke = os.environ.get("FASTBP_ASV_SMOKE", "") not in ("", "0")
    names = os.environ.get("FASTBP_ASV_SIZES", "seed" if smoke else "")
    if not names.strip():
        return tuple(SIZES)
    chosen = tuple(name.strip() for name in names.split(",") if name.strip())
    unknown = [name for name in chosen if name not in SIZES]
    if unknown:
        raise ValueError(f"FASTBP_ASV_SIZES names unknown sizes {unknown}; known: {list(SIZES)}")
    return chosen


SMOKE = os.environ.get("FASTBP_ASV_SMOKE", "") not in ("", "0")
SIZE_NAMES = _selected_sizes()

# --- rungs and what is too slow to run -----------------------------------------------------

RUNG_NAMES: list[str] = list(RUNGS) or [BROKEN]
COMPILED_RUNGS = RUNG_NAMES  # every rung is compiled; "plain" runs its .py_func twin
MODES = ["compiled", "plain"]

# Where the *plain-Python* form of a rung runs. Any rung not listed here (loops, and every
# new rung until it is added) runs plain at the seed size only: plain scalar loops cost
# seconds to minutes per call above it (plain loops at small-wide: a 15-million-term
# quadruple loop in the interpreter). rows and outer loop over samples in Python, so they
# stop below mnist-like / tall; matrix plain is the classic NumPy code, the baseline
# every size is compared with.
PLAIN_SIZES: dict[str, tuple[str, ...]] = {
    "matrix": tuple(SIZES),
    "rows": ("seed", "small-wide"),
    "outer": ("seed", "small-wide"),
}
DEFAULT_PLAIN_SIZES = ("seed",)

# Compiled runs that are skipped: the quadruple loop of compiled `loops` at mnist-like is
# 2e10 multiply-adds (about 90 s per gradient step here), too long for even one sample.
COMPILED_TOO_SLOW: set[tuple[str, str]] = {("loops", "mnist-like")}


def runs(size: str, rung: str, mode: str) -> bool:
    """Whether (size, rung, mode) is benchmarked (False: asv skips it, shown as n/a)."""
    if mode == "plain":
        return size in PLAIN_SIZES.get(rung, DEFAULT_PLAIN_SIZES)
    return (rung, size) not in COMPILED_TOO_SLOW


def runs_training(rung: str, mode: str) -> bool:
    """The 1000-epoch training run: compiled for every rung, plain only for rungs whose plain
    form runs at every size (1000 plain steps of the others take 10 s to minutes)."""
    return mode == "compiled" or set(PLAIN_SIZES.get(rung, DEFAULT_PLAIN_SIZES)) == set(SIZES)


def skipped(param_names: list[str], params: list[list], predicate=None) -> list[tuple]:
    """asv ``skip_params``: every combination of the params that ``predicate`` (default
    ``runs``, called with the params by name) rejects.

    """
    combos = [()]
    for values in params:
        combos = [(*combo, value) for combo in combos for value in values]
    out = []
    for combo in combos:
        if not (predicate or runs)(**dict(zip(param_names, combo))):
            out.append(combo)
    return out


# --- data ----------------------------------------------------------------------------------

SEED = 20261122  # every data set and weight draw is fixed by this and the size's name


class Problem(NamedTuple):
    """Inputs of every public function at one size, float64 and C-contiguous.

    Z and Y are the forward pass at these weights (computed here with NumPy, independent of
    the kernels), so the derivative benchmarks time the derivative alone.
    """

    X: np.ndarray
    T: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    Z: np.ndarray
    Y: np.ndarray

    @property
    def params(self):
        return self.W1, self.b1, self.W2, self.b2


def make_problem(N: int, D: int, M: int, K: int, seed: int = SEED, forward: bool = True):
    """Standard-normal inputs, random one-hot targets, weights scaled by 1/sqrt(fan-in)
    (so that activations stay in sigmoid's working range rather than saturating).
    ``forward=False`` leaves Z and Y as None (and allocates nothing of size N for them)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    T = np.zeros((N, K))
    T[np.arange(N), rng.integers(0, K, N)] = 1.0
    W1 = rng.standard_normal((D, M)) / np.sqrt(D)
    b1 = rng.standard_normal(M)
    W2 = rng.standard_normal((M, K)) / np.sqrt(M)
    b2 = rng.standard_normal(K)
    if not forward:
        return Problem(X, T, W1, b1, W2, b2, None, None)
    Z = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))
    A = Z @ W2 + b2
    E = np.exp(A - A.max(axis=1, keepdims=True))
    Y = E / E.sum(axis=1, keepdims=True)
    return Problem(X, T, W1, b1, W2, b2, Z, Y)


@functools.cache
def problem(size: str, forward: bool = True) -> Problem:
    """The fixed data set of a named size (built once per process)."""
    return make_problem(*SIZES[size], seed=SEED + list(SIZES).index(size), forward=forward)


def flops_per_step(size: str) -> float:
    """Nominal floating-point operations of one step (forward + all four gradients): the
    matrix products only, 2 per multiply-add: X@W1, Z@W2 forward; Z.T@E, E@W2.T, X.T@dZ
    backward, i.e. 4*N*D*M + 6*N*M*K."""
    N, D, M, K = SIZES[size]
    return 4.0 * N * D * M + 6.0 * N * M * K


def median_call_seconds(call, batch_seconds: float = 0.005, batches: int = 5) -> float:
    """Median seconds of one warm call: one call first (compile or cache load, first-touch
    of temporaries), then ``batches`` batches of calls each lasting about
    ``batch_seconds`` (long enough for the clock)."""
    call()
    start = time.perf_counter()
    call()
    number = max(1, int(batch_seconds / max(time.perf_counter() - start, 1e-9)))
    out = []
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(number):
            call()
        out.append((time.perf_counter() - start) / number)
    return statistics.median(out)


# --- warming -------------------------------------------------------------------------------


def call_all(rung: str, compiled: bool, p: Problem) -> None:
    """Call every public function of a rung once on ``p`` (through the public API)."""
    fb = require_fastbp()
    fb.forward(p.X, *p.params, rung=rung, compiled=compiled)
    fb.derivative_w1(p.X, p.Z, p.T, p.Y, p.W2, rung=rung, compiled=compiled)
    fb.derivative_b1(p.T, p.Y, p.W2, p.Z, rung=rung, compiled=compiled)
    fb.derivative_w2(p.Z, p.T, p.Y, rung=rung, compiled=compiled)
    fb.derivative_b2(p.T, p.Y, rung=rung, compiled=compiled)
    fb.gradients(p.X, p.T, *p.params, rung=rung, compiled=compiled)


def warm_disk_cache() -> None:
    """Compile every compiled kernel once on a tiny problem, so that Numba's on-disk cache
    holds them (same float64 C-contiguous signatures as the benchmarks use). Each benchmark
    process then loads a kernel in milliseconds instead of compiling it inside asv's
    calibration of ``number``."""
    require_fastbp()
    tiny = make_problem(7, 3, 4, 3)
    for rung in RUNG_NAMES:
        call_all(rung, True, tiny)


class Suite:
    """Base of the time suites: no ``setup`` method on purpose.

    In asv_runner 0.3 a ``setup`` hook makes asv re-run it before every timed call and fixes
    ``number`` to 1 (one call per sample), which is too coarse for calls of microseconds. So
    data are built on first use (``problem``) and kernels are precompiled into the on-disk
    cache by ``setup_cache`` (run once per commit and environment, in its own process,
    before the suites). The first call in a benchmark process therefore costs the data build plus a
    cache load (milliseconds at the small sizes), which asv spends during its calibration
    and warm-up: never in a sample.
    """

    warmup_time = 0.25  # longer than any first call at the sizes where number > 1
    timeout = 300.0

    def setup_cache(self):
        warm_disk_cache()

    setup_cache.timeout = 900  # cold compile of every kernel (parallel ones: 12-16 s each)
