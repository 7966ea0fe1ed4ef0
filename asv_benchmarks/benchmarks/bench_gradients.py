"""One full gradient step through the public API, timed and as derived costs."""

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
