"""The forward pass and each derivative function alone, through the public API."""

from .common import MODES, RUNG_NAMES, SIZE_NAMES, Suite, problem, require_fastbp, skipped


class TimeDerivatives(Suite):
    """``fastbp.forward`` and ``fastbp.derivative_*`` per size, rung and compiled/plain. The
    derivatives get the forward pass's Z and Y precomputed (with NumPy) at the size's fixed
    weights, so each times its own kernel (plus input validation) only."""

    params = [SIZE_NAMES, RUNG_NAMES, MODES]
    param_names = ["size", "rung", "mode"]
    skip_params = skipped(param_names, params)
    repeat = (2, 10, 4.0)

    def time_forward(self, size, rung, mode):
        p = problem(size)
        require_fastbp().forward(p.X, *p.params, rung=rung, compiled=mode == "compiled")

    def time_derivative_w1(self, size, rung, mode):
        p = problem(size)
        require_fastbp().derivative_w1(
            p.X, p.Z, p.T, p.Y, p.W2, rung=rung, compiled=mode == "compiled"
        )

    def time_derivative_b1(self, size, rung, mode):
        p = problem(size)
        require_fastbp().derivative_b1(p.T, p.Y, p.W2, p.Z, rung=rung, compiled=mode == "compiled")

    def time_derivative_w2(self, size, rung, mode):
        p = problem(size)
        require_fastbp().derivative_w2(p.Z, p.T, p.Y, rung=rung, compiled=mode == "compiled")

    def time_derivative_b2(self, size, rung, mode):
        p = problem(size)
        require_fastbp().derivative_b2(p.T, p.Y, rung=rung, compiled=mode == "compiled")
