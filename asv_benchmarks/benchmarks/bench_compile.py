"""JIT compile cost of each rung, measured in a fresh process with an empty Numba cache."""

import tempfile

from .common import RUNG_NAMES, SMOKE, probe, require_fastbp


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

    def track_compile_seconds(self, rung):
        return compile_seconds(rung, fresh_cache=not SMOKE)

    track_compile_seconds.unit = "seconds"
