"""JIT compile cost of each rung and of every public entry point's first call, measured in a
fresh process with an empty compile cache."""

import tempfile

from .common import BROKEN, RUNG_NAMES, SMOKE, probe, require_fastbp, require_rung


def compile_seconds(rung: str, fresh_cache: bool = True) -> float:
    """Seconds for the first calls of gradients, forward and the four derivatives of a
    compiled rung in a new interpreter (``fastbp/study/probe.py``) whose
    NUMBA_CACHE_DIR is a new empty folder. Numba's one-off start is paid before them."""
    require_fastbp()
    with tempfile.TemporaryDirectory(prefix="fastbp-numba-cache-") as cache:
        _, (_numba_start, *calls) = probe.first_calls(
            "rung", rung, cache_dir=cache if fresh_cache else None
        )
    return sum(calls)


class TrackCompile:
    """Cold JIT compile cost per rung (seconds, lower is better), one fresh process each:
    never part of the steady-state timings. One round and one sample: a parallel rung takes
    15 s or more to compile. In the CI smoke run (FASTBP_ASV_SMOKE=1) the child reuses the
    on-disk cache, which checks the harness, not the compiler."""

    params = [RUNG_NAMES]
    param_names = ["rung"]
    rounds = 1
    repeat = 1
    timeout = 600.0

    def setup(self, rung):
        require_rung(rung)  # cuda without a GPU: skipped

    def track_compile_seconds(self, rung):
        return compile_seconds(rung, fresh_cache=not SMOKE)

    track_compile_seconds.unit = "seconds"


class TrackEntryCompile:
    """``import fastbp`` plus the first call of every public entry point at its default
    settings (``probe.ENTRY_POINTS``: the classic functions, ``train``, ``fit`` in each mode
    and optimizer, the network's methods, the estimators), in a new process with an empty
    cache (seconds, lower is better; the target is ``probe.ENTRY_TARGET``). In the CI smoke
    run the child reuses the on-disk cache."""

    params = [list(probe.ENTRY_POINTS) if probe else [BROKEN]]
    param_names = ["entry point"]
    rounds = 1
    repeat = 1
    timeout = 600.0

    def track_first_call_seconds(self, entry):
        require_fastbp()
        with tempfile.TemporaryDirectory(prefix="fastbp-numba-cache-") as cache:
            imported, (call,) = probe.first_calls(
                "entry", entry, cache_dir=None if SMOKE else cache
            )
        return imported + call

    track_first_call_seconds.unit = "seconds"
