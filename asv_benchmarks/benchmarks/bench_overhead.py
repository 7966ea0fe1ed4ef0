"""What a public call costs on top of its kernel: ``fastbp.gradients`` with the default rung
against the bare compiled kernel it runs, at N = 8 (``cases.CALL_OVERHEAD``), where the
arithmetic is negligible; returning new arrays, and writing into ``out=`` buffers. The calls
are ``cases.call_overhead_calls``, as the study times them."""

import functools
import statistics

from .common import Suite, cases, interleaved_call_seconds, require_fastbp

RESULTS = ["new arrays", "out="]


@functools.cache
def calls(result):
    """(the public call, the bare kernel call) for a ``RESULTS`` entry, built once per process
    so that only the calls are timed."""
    require_fastbp()
    return tuple(cases.call_overhead_calls(into=result == "out=").values())


class TimeCallOverhead(Suite):
    """One gradient step at N = 8 (D=2, M=3, K=3, float64), default rung: through
    ``fastbp.gradients`` and as the bare compiled kernel."""

    params = [RESULTS]
    param_names = ["result"]

    def time_public_gradients(self, result):
        calls(result)[0]()

    def time_bare_kernel(self, result):
        calls(result)[1]()


class TrackCallOverhead(Suite):
    """What ``fastbp.gradients`` adds to its kernel, in microseconds (lower is better): the
    median over 21 interleaved rounds (a batch of public calls, then a batch of bare kernel
    calls, each about 5 ms) of the difference of their times per call, in one process."""

    params = [RESULTS]
    param_names = ["result"]
    timeout = 120.0

    def track_call_overhead_us(self, result):
        public, kernel = calls(result)
        seconds = interleaved_call_seconds({"public": public, "kernel": kernel}, batches=21)
        differences = [p - k for p, k in zip(seconds["public"], seconds["kernel"])]
        return statistics.median(differences) * 1e6

    track_call_overhead_us.unit = "us"
