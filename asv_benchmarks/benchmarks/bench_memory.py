"""Peak memory of a gradient step where memory is the point: a million samples."""

from .common import MODES, RUNG_NAMES, SIZE_NAMES, call_all, problem, require_fastbp, skipped

# The tall size; a run limited by FASTBP_ASV_SIZES uses its largest selected size instead.
MEMORY_SIZES = ["tall"] if "tall" in SIZE_NAMES else [SIZE_NAMES[-1]]


class PeakMemGradients:
    """Peak resident memory (bytes) of the benchmark process through one ``fastbp.gradients``
    call at the tall size (N = 1,000,000, D=2, M=3, K=3). It includes the interpreter with
    numpy/numba loaded and the inputs X and T (about 40 MB), which are the same for every
    rung, so differences between rungs are the N-sized temporaries a rung allocates."""

    params = [MEMORY_SIZES, RUNG_NAMES, MODES]
    param_names = ["size", "rung", "mode"]
    skip_params = skipped(param_names, params)
    timeout = 300.0

    def setup(self, size, rung, mode):
        call_all(rung, mode == "compiled")  # compile on tiny data
        self.p = problem(size, forward=False)  # no Z, Y: only what gradients needs

    def peakmem_gradients(self, size, rung, mode):
        p = self.p
        require_fastbp().gradients(p.X, p.T, *p.params, rung=rung, compiled=mode == "compiled")
