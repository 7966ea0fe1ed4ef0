"""Large activations and underflowed probabilities give no warning, no NaN, no overflow."""

import warnings

import numpy as np
import pytest

import fastbp


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("scale", [1e3, 1e5, 1e30])
def test_forward_with_huge_activations(rung, compiled, scale, dtype):
    X = np.array([[1.0, -1.0], [-1.0, 1.0], [0.5, 0.0]], dtype=dtype)
    W1 = (scale * np.array([[1.0, -2.0, 0.5], [3.0, 1.0, -1.0]])).astype(dtype)
    b1 = np.zeros(3, dtype)
    W2 = (scale * np.array([[1.0, -1.0], [-3.0, 2.0], [0.5, 0.5]])).astype(dtype)
    b2 = np.array([scale, -scale], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Y, Z = fastbp.forward(X, W1, b1, W2, b2, rung=rung, compiled=compiled)
    assert np.isfinite(Y).all() and np.isfinite(Z).all()
    assert ((Z >= 0) & (Z <= 1)).all() and ((Y >= 0) & (Y <= 1)).all()
    np.testing.assert_allclose(Y.sum(axis=1), 1.0, rtol=4 * np.finfo(dtype).eps)
    # With activations this large the winner takes all: Y is one-hot, Z saturates.
    assert set(np.unique(Y)) <= {0.0, 1.0}


def test_gradients_with_huge_activations_are_finite(rung):
    X = np.array([[1.0, -1.0], [-1.0, 1.0]])
    W1 = 1e4 * np.ones((2, 3))
    W2 = 1e4 * np.array([[1.0, -1.0], [-1.0, 1.0], [2.0, 0.0]])
    T = np.array([[0, 1], [1, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = fastbp.gradients(X, T, W1, np.zeros(3), W2, np.zeros(2), rung=rung)
    assert all(np.isfinite(g).all() for g in result[:4])
    assert result.cost < -1e3  # the confidently wrong sample costs about -1e4


def test_cost_ignores_underflowed_probabilities_where_target_is_zero():
    T = np.array([[1, 0, 0], [0, 0, 1]])
    Y = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = fastbp.cost(T, Y)
    assert value == pytest.approx(np.log(0.5))


def test_cost_is_minus_infinity_when_the_true_class_has_zero_probability():
    assert fastbp.cost([[1, 0]], [[0.0, 1.0]]) == -np.inf
