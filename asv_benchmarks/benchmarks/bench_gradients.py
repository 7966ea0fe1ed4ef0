"""One full gradient step through the public API, timed and as derived costs."""

import numba

from .common import (
    MODES,
    RUNG_NAMES,
    SIZE_NAMES,
    Suite,
    cases,
    flops_per_step,
    median_call_seconds,
    problem,
    require_fastbp,
    runs,
    skipped,
)


class TimeGradients(Suite):
    """``fastbp.gradients``: forward pass, all four gradients and the cost in one call
    (validation included, as a user calls it), per size, rung and compiled/plain."""

    params = [SIZE_NAMES, RUNG_NAMES, MODES]
    param_names = ["size", "rung", "mode"]
    skip_params = skipped(param_names, params)
    repeat = (2, 10, 4.0)  # min samples, max samples, seconds per round (calls of 3 s exist)

    def time_gradients(self, size, rung, mode):
        p = problem(size)
        require_fastbp().gradients(p.X, p.T, *p.params, rung=rung, compiled=mode == "compiled")


def seconds_per_step(size: str, rung: str) -> float:
    """Median seconds of one compiled ``fastbp.gradients`` call, warm: batches of calls long
    enough (>= 5 ms) for the clock, five batches."""
    fb = require_fastbp()
    p = problem(size)
    return median_call_seconds(lambda: fb.gradients(p.X, p.T, *p.params, rung=rung))


class TrackStepCost(Suite):
    """Derived costs of one compiled gradient step, lower is better: nanoseconds per sample
    (what the tall size is about) and seconds per nominal GFLOP (4NDM + 6NMK, the matrix
    products; what the wide sizes are about)."""

    params = [SIZE_NAMES, RUNG_NAMES]
    param_names = ["size", "rung"]
    skip_params = skipped(param_names, params, lambda size, rung: runs(size, rung, "compiled"))

    def track_ns_per_sample(self, size, rung):
        return seconds_per_step(size, rung) / cases.SIZES[size].N * 1e9

    track_ns_per_sample.unit = "ns/sample"

    def track_s_per_gflop(self, size, rung):
        return seconds_per_step(size, rung) / (flops_per_step(size) / 1e9)

    track_s_per_gflop.unit = "s/GFLOP"


THREAD_COUNTS = [1, 2, 4, 8, 16]  # those above this machine's Numba threads are skipped
THREAD_SIZES = [name for name in ("tall", "mnist-like") if name in SIZE_NAMES] or [SIZE_NAMES[0]]


class TimeThreads(Suite):
    """The default rung's step at each thread count, with Numba's threads and every BLAS and
    OpenMP pool limited alike (``fastbp.study.threads.limited``, as ``python -m fastbp study
    --threads`` does): the scaling of the tall size's parallel rung and of the wide
    ``blas`` chunks. The limit is set in ``setup``, which makes asv time one call per
    sample: these calls take milliseconds."""

    params = [THREAD_SIZES, THREAD_COUNTS]
    param_names = ["size", "threads"]
    skip_params = skipped(
        param_names, params, lambda size, threads: threads <= numba.config.NUMBA_NUM_THREADS
    )
    repeat = (2, 10, 4.0)

    def setup(self, size, threads):
        try:
            from fastbp.study.threads import limited
        except ImportError:  # a commit before the threads sweep
            raise NotImplementedError("no fastbp.study.threads in this commit") from None
        self.limits = limited(threads)
        self.limits.__enter__()

    def teardown(self, size, threads):
        limits = getattr(self, "limits", None)  # none where setup skipped
        if limits is not None:
            limits.__exit__(None, None, None)

    def time_default_step(self, size, threads):
        p = problem(size)
        require_fastbp().gradients(p.X, p.T, *p.params)
