"""What a public call costs on top of its kernel: ``fastbp.gradients`` with the default rung
against the bare compiled kernel it runs, at N = 8 (``cases.CALL_OVERHEAD``), where the
arithmetic is negligible."""

import functools
import statistics

from .common import Suite, cases, interleaved_call_seconds, require_fastbp


def bare_gradients_kernel():
    """The compiled kernel that ``fastbp.gradients`` runs at ``cases.CALL_OVERHEAD`` with
    the default rung, called with ``(X, T, W1, b1, W2, b2)`` as the API calls it.

    Internal detail, kept to this function: after validating its arrays the API calls the
    rung module's own ``gradients`` dispatcher (``fastbp.registry.kernel``), which the
    default rung at this size has (a ladder rung without one would get a composed Python
    function instead); for a rung with kernels generated per width (``narrow``), the
    dispatcher generated for the widths (``for_widths``, ``fastbp.registry.kernel_for``).
    """
    fb = require_fastbp()
    found = fb.RUNGS[fb.choose_rung(*cases.CALL_OVERHEAD)].module.gradients
    for_widths = getattr(found, "for_widths", None)
    return found if for_widths is None else for_widths(*cases.CALL_OVERHEAD[1:])


@functools.cache
def public_call():
    """One ``fastbp.gradients`` call as a user makes it: validation, rung choice, kernel."""
    gradients, p = require_fastbp().gradients, cases.call_overhead_problem()
    args = (p.X, p.T, *p.params)
    return lambda: gradients(*args)


@functools.cache
def kernel_call():
    """One call of the bare kernel on the same arrays (float64, C-contiguous: no conversion)."""
    kernel, p = bare_gradients_kernel(), cases.call_overhead_problem()
    args = (p.X, p.T, *p.params)
    return lambda: kernel(*args)


class TimeCallOverhead(Suite):
    """One gradient step at N = 8 (D=2, M=3, K=3, float64), default rung: through
    ``fastbp.gradients`` and as the bare compiled kernel (both calls built once per
    process, so that only the call itself is timed)."""

    def time_public_gradients(self):
        public_call()()

    def time_bare_kernel(self):
        kernel_call()()


class TrackCallOverhead(Suite):
    """What ``fastbp.gradients`` adds to its kernel, in microseconds (lower is better): the
    median over 21 interleaved rounds (a batch of public calls, then a batch of bare kernel
    calls, each about 5 ms) of the difference of their times per call, in one process."""

    timeout = 120.0

    def track_call_overhead_us(self):
        seconds = interleaved_call_seconds(
            {"public": public_call(), "kernel": kernel_call()}, batches=21
        )
        differences = [p - k for p, k in zip(seconds["public"], seconds["kernel"])]
        return statistics.median(differences) * 1e6

    track_call_overhead_us.unit = "us"
