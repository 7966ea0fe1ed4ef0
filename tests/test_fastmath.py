"""The SIMD exp, log and reciprocal of the fused rungs against NumPy, over the float64 range."""

import numpy as np
import pytest
from fastbp.kernels import fused, scalarmath
from fastbp.kernels.fastmath import exp_inplace, log_inplace, reciprocal_inplace
from numba import njit


def _on_copy(inplace):
    """A kernel applying ``inplace`` to an array, compiled with the fused rungs' flags."""

    @njit(fastmath=fused.FASTMATH)
    def run(x):
        inplace(x)
        return x

    return run


_exp, _log = _on_copy(exp_inplace), _on_copy(log_inplace)


@njit(fastmath=fused.FASTMATH)
def _reciprocal(x):
    reciprocal_inplace(x, np.empty(x.size, np.int64))
    return x


@pytest.mark.parametrize("run", [_exp, _exp.py_func], ids=["compiled", "plain"])
def test_exp_matches_numpy_everywhere(run):
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            rng.uniform(-708, 709, 200_000),
            rng.uniform(-1, 1, 100_000),
            np.linspace(-708, 709, 100_001),
            [0.0, -0.0, 1e-300, -1e-300, 0.5 * np.log(2), -0.5 * np.log(2), -708.0, 709.0],
        ]
    )
    expected = np.exp(x)
    np.testing.assert_allclose(run(x.copy()), expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("run", [_exp, _exp.py_func], ids=["compiled", "plain"])
def test_exp_at_the_ends_of_the_range(run):
    x = np.array([-np.inf, -1e300, -800.0, -708.5, 709.5, 800.0, 1e300, np.inf])
    np.testing.assert_array_equal(run(x), [0, 0, 0, 0, np.inf, np.inf, np.inf, np.inf])


@pytest.mark.parametrize("run", [_log, _log.py_func], ids=["compiled", "plain"])
def test_log_matches_numpy_for_positive_normal_numbers(run):
    rng = np.random.default_rng(1)
    x = np.concatenate(
        [
            np.exp(rng.uniform(-700, 700, 200_000)),
            rng.uniform(1, 100, 100_000),
            [np.finfo(float).tiny, np.finfo(float).max, 1.0, 2.0, np.sqrt(2), np.nextafter(1, 2)],
        ]
    )
    expected = np.log(x)
    np.testing.assert_allclose(run(x.copy()), expected, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("run", [_reciprocal, _reciprocal.py_func], ids=["compiled", "plain"])
def test_reciprocal_matches_division(run):
    rng = np.random.default_rng(2)
    x = np.concatenate(
        [np.exp(rng.uniform(-700, 700, 200_000)), rng.uniform(1, 2, 100_000), [1.0, 2.0**1021]]
    )
    np.testing.assert_allclose(run(x.copy()), 1.0 / x, rtol=2.3e-16, atol=0)
    huge = np.array([2.0**1022, 1e308, np.inf])
    np.testing.assert_array_equal(run(huge), 0.0)


_scalar_exp, _scalar_log = (
    njit(fastmath=fused.FASTMATH, error_model="numpy")(lambda x, f=f: np.array([f(v) for v in x]))
    for f in (scalarmath.exp, scalarmath.log)
)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "plain"])
def test_scalar_exp_and_log_match_numpy_everywhere(compiled):
    """The scalar exp and log of the narrow rungs (kernels/scalarmath.py), including the ends
    of the range: exp is 0 below -708 and inf above 709, as the array version."""
    rng = np.random.default_rng(1)
    size = 100_000 if compiled else 2_000
    x = np.concatenate(
        [rng.uniform(-708, 709, size), rng.uniform(-1, 1, size), [0.0, -708.0, 709.0]]
    )
    exp = _scalar_exp if compiled else (lambda x: np.array([scalarmath.exp(v) for v in x]))
    np.testing.assert_allclose(exp(x), np.exp(x), rtol=1e-14, atol=0)
    ends = exp(np.array([-708.5, -1e4, 709.5, 1e4, -np.inf, np.inf]))
    np.testing.assert_array_equal(ends, [0.0, 0.0, np.inf, np.inf, 0.0, np.inf])
    with np.errstate(invalid="ignore"):  # plain: NaN cast to an integer exponent
        assert np.isnan(exp(np.array([np.nan]))).all()
    y = np.concatenate([rng.uniform(1.0, 8.0, size), 10.0 ** rng.uniform(-300, 300, size)])
    log = _scalar_log if compiled else (lambda x: np.array([scalarmath.log(v) for v in x]))
    np.testing.assert_allclose(log(y), np.log(y), rtol=1e-14, atol=1e-300)
