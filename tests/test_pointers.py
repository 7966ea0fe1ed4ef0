"""Kernels that call another compiled kernel through a pointer (``kernels.pointers``): the
``fused`` and ``parallel`` gradients, which share ``fused.gradient_blocks``."""

import numba
import numpy as np
import pytest
from fastbp.kernels import fused, parallel
from fastbp.kernels.pointers import Bound

import fastbp


def _problem(N=3000):
    rng = np.random.default_rng(0)
    X, T = rng.standard_normal((N, 4)), np.eye(3)[rng.integers(0, 3, N)]
    layers = [rng.standard_normal(shape) for shape in ((4, 5), 5, (5, 3), 3)]
    return X, T, layers


def test_fused_and_parallel_run_one_compiled_pass_over_blocks():
    X, T, layers = _problem()
    for rung in ("fused", "parallel"):
        fastbp.gradients(X, T, *layers, rung=rung)
    float64 = [s for s in fused.gradient_blocks.signatures if s[0].dtype == numba.float64]
    assert len(float64) == 1, float64


@numba.njit
def _blocks_that_fail(X, T, W1, b1, W2, b2, first, last, sums):
    # fails for the chunk that holds sample 0 when X[0, 0] > 0, as a failed allocation would
    if first == 0 and X[0, 0] > 0.0:
        raise MemoryError("no memory for the block buffers")
    fused.gradient_blocks(X, T, W1, b1, W2, b2, first, last, sums)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the print
@pytest.mark.parametrize("kernel", [fused.gradients_from_blocks, parallel.gradients_from_chunks])
def test_a_pass_that_fails_behind_the_pointer_raises(kernel):
    # Through the pointer's C wrapper the exception is printed and the call returns: the
    # kernel must notice that the pass did not complete, not return partial sums.
    gradients_into = Bound(kernel, _blocks_that_fail, fused.block_arguments)
    X, T, layers = _problem(N=20000)  # several chunks for parallel
    out = [np.empty_like(layer) for layer in layers]
    X[0, 0] = -1.0
    cost = gradients_into(X, T, *layers, *out)
    expected = fastbp.gradients(X, T, *layers, rung="fused")
    np.testing.assert_allclose(cost, expected.cost)
    for got, want in zip(out, expected[:4]):
        np.testing.assert_allclose(got, want, atol=1e-9)
    X[0, 0] = 1.0
    with pytest.raises(RuntimeError, match="gradients kernel failed"):
        gradients_into(X, T, *layers, *out)
