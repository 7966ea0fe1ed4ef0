"""What every suite shares: the cases of ``fastbp/study/cases.py`` (sizes, fixed-seed data, the
skip policy, the networks) made into asv parameters, and the steady-state machinery.

Nothing runs at import time beyond reading the cases and initialising Numba (below), so
that discovery (and ``asv check``) stays fast; data sets are built on first use and kept for
the process.

A failed ``import fastbp`` does not break discovery: every parameter list becomes one
placeholder entry and every benchmark that needs the package re-raises the import error
when it runs, so asv reports each of them as failed with the real traceback.
"""

from __future__ import annotations

import functools
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

BROKEN = "<import failed>"

# The cases and the compile probe come from this checkout's fastbp/study/ by path, not from
# the installed fastbp: every commit asv measures (the gate's baseline too, which may predate
# them) runs the same cases. They use only fastbp's public API.
STUDY = Path(__file__).resolve().parents[2] / "fastbp" / "study"
sys.path.insert(0, str(STUDY))

try:
    import cases
    import fastbp
    import probe
    from fastbp.registry import RUNGS
except Exception as error:  # any import failure must only fail the benchmarks
    fastbp = cases = probe = None
    RUNGS = {}
    IMPORT_ERROR: Exception | None = error
else:
    IMPORT_ERROR = None
    # The first Numba kernel a process compiles or loads from the on-disk cache pays about
    # 0.4 s to initialise Numba's CPU target. Pay it here, at import: asv's forkserver
    # (asv.conf.json) imports the suites once and forks every benchmark from that process,
    # so no benchmark's first call, which asv spends calibrating `number`, includes it.
    probe.start_numba()


def require_fastbp():
    """The fastbp package, or the error that importing it raised."""
    if IMPORT_ERROR is not None:
        raise IMPORT_ERROR
    return fastbp


SMOKE = os.environ.get("FASTBP_ASV_SMOKE", "") not in ("", "0")


def _selected_sizes() -> tuple[str, ...]:
    """Sizes to benchmark: all, or those named in FASTBP_ASV_SIZES (comma-separated).

    FASTBP_ASV_SMOKE=1 (the CI smoke run) defaults to the seed size alone.
    """
    if cases is None:
        return (BROKEN,)
    names = os.environ.get("FASTBP_ASV_SIZES", "seed" if SMOKE else "")
    if not names.strip():
        return tuple(cases.SIZES)
    chosen = tuple(name.strip() for name in names.split(",") if name.strip())
    unknown = [name for name in chosen if name not in cases.SIZES]
    if unknown:
        known = list(cases.SIZES)
        raise ValueError(f"FASTBP_ASV_SIZES names unknown sizes {unknown}; known: {known}")
    return chosen


SIZE_NAMES = _selected_sizes()
RUNG_NAMES: list[str] = list(RUNGS) or [BROKEN]
MODES = ["compiled", "plain"]


def runs(size: str, rung: str, mode: str) -> bool:
    """Whether (size, rung, mode) is benchmarked (False: asv skips it, shown as n/a)."""
    return cases.runs(cases.SIZES[size], rung, mode == "compiled")


def runs_training(rung: str, mode: str) -> bool:
    """Whether the 1000-epoch training run of (rung, mode) is benchmarked."""
    return cases.runs_training(rung, mode == "compiled")


def skipped(param_names: list[str], params: list[list], predicate=runs) -> list[tuple]:
    """asv ``skip_params``: every combination of the params that ``predicate`` (called with
    the params by name) rejects; none when fastbp failed to import."""
    if IMPORT_ERROR is not None:
        return []
    combos = [()]
    for values in params:
        combos = [(*combo, value) for combo in combos for value in values]
    return [c for c in combos if not predicate(**dict(zip(param_names, c)))]


@functools.cache
def problem(size: str, forward: bool = True) -> cases.Problem:
    """The fixed data of a named size, built once per benchmark process."""
    return cases.problem(size, forward)


def flops_per_step(size: str) -> float:
    """Nominal floating-point operations of one step (forward + all four gradients): the
    matrix products only, 2 per multiply-add: X@W1, Z@W2 forward; Z.T@E, E@W2.T, X.T@dZ
    backward, i.e. 4*N*D*M + 6*N*M*K."""
    N, D, M, K = cases.SIZES[size]
    return 4.0 * N * D * M + 6.0 * N * M * K


def interleaved_call_seconds(
    calls: dict[str, Callable[[], object]], batch_seconds: float = 0.005, batches: int = 5
) -> dict[str, list[float]]:
    """Seconds of one warm call of each of ``calls``, one value per batch: each called once
    first (compile or cache load, first-touch of temporaries), then ``batches`` rounds in
    which each in turn runs a batch of calls lasting about ``batch_seconds`` (long enough for
    the clock), so that the machine's drift hits them alike."""
    numbers = {}
    for name, call in calls.items():
        call()
        start = time.perf_counter()
        call()
        numbers[name] = max(1, int(batch_seconds / max(time.perf_counter() - start, 1e-9)))
    out: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(batches):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(numbers[name]):
                call()
            out[name].append((time.perf_counter() - start) / numbers[name])
    return out


def median_call_seconds(call, batch_seconds: float = 0.005, batches: int = 5) -> float:
    """Median seconds of one warm call (``interleaved_call_seconds`` of ``call`` alone)."""
    return statistics.median(
        interleaved_call_seconds({"call": call}, batch_seconds, batches)["call"]
    )


# --- warming -------------------------------------------------------------------------------


def require_rung(rung: str) -> None:
    """NotImplementedError (asv: skip this benchmark) for a rung that cannot run on this
    machine; its benchmarks are skipped through ``skipped`` too (``cases.runs``), this covers
    the rest."""
    reason = cases.unavailable(rung)
    if reason is not None:
        raise NotImplementedError(reason)


def call_all(rung: str, compiled: bool) -> None:
    """Call every public function of a rung once on a tiny problem (through the public API):
    same float64 C-contiguous signatures as the benchmarks use."""
    require_fastbp()
    tiny = cases.make_problem(7, 3, 4, 3)
    for call in cases.public_calls(tiny, rung=rung, compiled=compiled).values():
        call()


def warm_disk_cache() -> None:
    """Compile every compiled kernel once, so that Numba's on-disk cache holds them. Each
    benchmark process then loads a kernel in milliseconds instead of compiling it inside
    asv's calibration of ``number``. A rung that cannot run here is left out."""
    for rung in RUNG_NAMES:
        if cases.unavailable(rung) is None:  # skipped otherwise
            call_all(rung, True)


class Suite:
    """Base of the time suites: no ``setup`` method on purpose.

    In asv_runner 0.3 a ``setup`` hook makes asv re-run it before every timed call and fixes
    ``number`` to 1 (one call per sample), which is too coarse for calls of microseconds. So
    data are built on first use (``problem``) and kernels are precompiled into the on-disk
    cache by ``setup_cache`` (run once per commit and environment, in its own process,
    before the suites). The first call in a benchmark process therefore costs the data build
    plus a cache load (milliseconds at the small sizes), which asv spends during its
    calibration and warm-up: never in a sample.
    """

    warmup_time = 0.25  # longer than any first call at the sizes where number > 1
    timeout = 300.0

    def setup_cache(self):
        warm_disk_cache()

    setup_cache.timeout = 900  # cold compile of every kernel (parallel ones: 12-16 s each)
