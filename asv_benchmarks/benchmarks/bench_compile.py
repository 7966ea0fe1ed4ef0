"""JIT compile cost of each rung, measured in a fresh process with an empty Numba cache."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .common import RUNG_NAMES, SMOKE, make_problem, require_fastbp

# Run in the child: import everything first (not timed), then time the first call of each
# public function of the rung on a tiny problem, which compiles its kernels.
CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from benchmarks.common import call_all, make_problem
tiny = make_problem(7, 3, 4, 3)
start = time.perf_counter()
call_all(sys.argv[2], True, tiny)
print(time.perf_counter() - start)
"""


def compile_seconds(rung: str, fresh_cache: bool = True) -> float:
    """Seconds for the first calls of forward, the four derivatives and gradients of a
    compiled rung in a new interpreter whose NUMBA_CACHE_DIR is a new empty folder."""
    require_fastbp()
    make_problem(1, 1, 1, 1)  # fail here, not in the child, if the data code is broken
    suite_root = str(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory(prefix="fastbp-numba-cache-") as cache:
        env = dict(os.environ)
        if fresh_cache:
            env["NUMBA_CACHE_DIR"] = cache
        done = subprocess.run(
            [sys.executable, "-c", CHILD, suite_root, rung],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"compiling rung {rung!r} failed:\n{done.stderr}")
    return float(done.stdout.strip().splitlines()[-1])


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
