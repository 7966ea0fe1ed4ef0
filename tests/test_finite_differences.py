"""The four gradients are the gradient of cost(T, forward(...)[0]) (ascent sign included)."""

import numpy as np
import pytest
import reference

import fastbp


# The widths of cases.SHAPES (the narrow kernels compiled for those serve here too).
@pytest.mark.parametrize("shape", [(1, 2, 3, 3), (7, 1, 4, 2), (20, 4, 8, 3)])
def test_gradients_match_central_differences(rung, shape):
    X, T, W1, b1, W2, b2 = reference.problem(*shape, seed=3)
    params = [W1, b1, W2, b2]
    analytic = fastbp.gradients(X, T, W1, b1, W2, b2, rung=rung)[:4]

    def log_likelihood(ps):
        Y, _ = reference.forward(X, *ps)
        return reference.log_likelihood(T, Y)

    h = 1e-6
    for which, (param, grad) in enumerate(zip(params, analytic)):
        numeric = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            step = np.zeros_like(param)
            step[index] = h
            up = [p + step if i == which else p for i, p in enumerate(params)]
            down = [p - step if i == which else p for i, p in enumerate(params)]
            numeric[index] = (log_likelihood(up) - log_likelihood(down)) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6 * (1 + np.abs(grad).max()))
