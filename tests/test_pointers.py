"""Kernels that call another compiled kernel by its address (``kernels.pointers``): the
``fused`` and ``parallel`` gradients and forward passes, which share ``fused.gradient_blocks``
and ``fused.forward_rows``, and ``narrow_parallel``'s one chunked kernel for every width."""

import numba
import numpy as np
import pytest
from fastbp.kernels import fused, narrow, parallel
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
        fastbp.forward(X, *layers, rung=rung)
    for kernel in (fused.gradient_blocks, fused.forward_rows):
        float64 = [s for s in kernel.signatures if s[0].dtype == numba.float64]
        assert len(float64) == 1, (kernel, float64)


def test_narrow_parallel_runs_one_chunked_kernel_for_every_width():
    rng = np.random.default_rng(1)
    for D, M, K in ((2, 3, 3), (4, 5, 3), (3, 4, 2)):
        X, T = rng.standard_normal((5000, D)), np.eye(K)[rng.integers(0, K, 5000)]
        layers = [rng.standard_normal(shape) for shape in ((D, M), M, (M, K), K)]
        fastbp.gradients(X, T, *layers, rung="narrow_parallel")
    float64 = [s for s in narrow.gradients_from_chunks.signatures if s[1].dtype == numba.float64]
    assert len(float64) == 1, float64


def _assert_raised_from_memory_error(error):
    # From inside a parallel loop Numba raises a SystemError, the exception among its causes.
    chain = [error]
    while chain[-1].__cause__ is not None or chain[-1].__context__ is not None:
        chain.append(chain[-1].__cause__ or chain[-1].__context__)
    assert any(isinstance(e, MemoryError) and "no memory" in str(e) for e in chain), chain


def _failing(gradient_pass):
    """``gradient_pass`` compiled to fail for the chunk that holds sample 0 when X[0, 0] > 0,
    as a failed allocation would."""

    @numba.njit
    def failing(X, T, W1, b1, W2, b2, first, last, sums):
        if first == 0 and X[0, 0] > 0.0:
            raise MemoryError("no memory for the block buffers")
        gradient_pass(X, T, W1, b1, W2, b2, first, last, sums)

    return failing


KERNELS_WITH_PASSES = {
    "fused": (fused.gradients_from_blocks, fused.gradient_blocks),
    "parallel": (parallel.gradients_from_chunks, fused.gradient_blocks),
    "narrow_parallel": (
        narrow.gradients_from_chunks,
        narrow.generated("gradients", 4, 5, 3).accumulate,
    ),
}


@pytest.mark.parametrize("rung", list(KERNELS_WITH_PASSES))
def test_an_error_in_the_pass_at_the_address_propagates(rung):
    # The call by address follows Numba's convention: the pass's exception reaches the
    # caller, and no partial sums come back.
    kernel, gradient_pass = KERNELS_WITH_PASSES[rung]
    gradients_into = Bound(kernel, _failing(gradient_pass), fused.block_arguments)
    X, T, layers = _problem(N=20000)  # several chunks for the parallel kernels
    out = [np.empty_like(layer) for layer in layers]
    X[0, 0] = -1.0
    cost = gradients_into(X, T, *layers, *out)
    expected = fastbp.gradients(X, T, *layers, rung="fused")
    np.testing.assert_allclose(cost, expected.cost)
    for got, want in zip(out, expected[:4]):
        np.testing.assert_allclose(got, want, atol=1e-9)
    X[0, 0] = 1.0
    with pytest.raises((MemoryError, SystemError)) as raised:
        gradients_into(X, T, *layers, *out)
    _assert_raised_from_memory_error(raised.value)


@numba.njit
def _rows_that_fail(X, W1, b1, W2, b2, first, last, Y, Z):
    if first == 0 and X[0, 0] > 0.0:
        raise MemoryError("no memory for the block buffers")
    fused.forward_rows(X, W1, b1, W2, b2, first, last, Y, Z)


@pytest.mark.parametrize("kernel", [fused.forward_from_blocks, parallel.forward_from_chunks])
def test_an_error_in_the_forward_pass_at_the_address_propagates(kernel):
    forward = Bound(kernel, _rows_that_fail, fused.row_arguments)
    X, _, layers = _problem(N=20000)
    X[0, 0] = -1.0
    for got, want in zip(forward(X, *layers), fastbp.forward(X, *layers, rung="fused")):
        np.testing.assert_array_equal(got, want)
    X[0, 0] = 1.0
    with pytest.raises((MemoryError, SystemError)) as raised:
        forward(X, *layers)
    _assert_raised_from_memory_error(raised.value)
