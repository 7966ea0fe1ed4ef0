"""Bad input raises a clear error naming the argument, before any kernel runs."""

import numpy as np
import pytest
import reference

import fastbp
from fastbp.registry import RUNGS

X, T, W1, b1, W2, b2 = reference.problem(6, 2, 3, 4)
Y, Z = fastbp.forward(X, W1, b1, W2, b2)


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: fastbp.derivative_w2(Z, T, Y[:-1]), ValueError, r"Y has shape \(5, 4\).*N=6.*Z"),
        (lambda: fastbp.derivative_w2(Z, T[:, :3], Y), ValueError, r"Y has shape.*K=3.*T"),
        (lambda: fastbp.derivative_w1(X, Z, T, Y, W2.T), ValueError, r"W2 has shape \(4, 3\)"),
        (lambda: fastbp.derivative_w1(X[1:], Z, T, Y, W2), ValueError, r"Z has shape.*N=5.*X"),
        (lambda: fastbp.derivative_b1(T, Y, W2, Z[:, :2]), ValueError, r"Z has shape \(6, 2\)"),
        (lambda: fastbp.derivative_b2(T, Y[0]), ValueError, r"Y must be a 2-D array.*got 1-D"),
        (lambda: fastbp.forward(X, W1, b1[:2], W2, b2), ValueError, r"b1 has shape \(2,\)"),
        (lambda: fastbp.forward(X, W1, b1, W2, b2[None]), ValueError, r"b2 must be a 1-D"),
        (lambda: fastbp.forward(X[:0], W1, b1, W2, b2), ValueError, r"N \(axis 0\) must be at"),
        (lambda: fastbp.forward(X, W1, b1, W2, 3.0), ValueError, r"b2 must be a 1-D.*0-D"),
        (lambda: fastbp.gradients(X, T, W1, b1, W2, b2[:3]), ValueError, r"b2 has shape"),
        (lambda: fastbp.gradients(X, T[:4], W1, b1, W2, b2), ValueError, r"T has shape \(4, 4\)"),
        (lambda: fastbp.derivative_b2(T.astype(str), Y), TypeError, r"T must hold real.*<U"),
        (lambda: fastbp.derivative_b2(T, Y.astype(complex)), TypeError, r"Y must hold.*complex"),
        (lambda: fastbp.derivative_b2(T, Y.astype(object)), TypeError, r"Y must hold.*object"),
        (lambda: fastbp.forward(X.astype(np.longdouble), W1, b1, W2, b2), TypeError, r"X must be"),
        (lambda: fastbp.cost(T, Y[:, :2]), ValueError, r"Y has shape \(6, 2\)"),
        (lambda: fastbp.classification_rate([0, 1], [0, 1, 1]), ValueError, r"same length"),
        (lambda: fastbp.classification_rate([[0, 1]], [0, 1]), ValueError, r"Y must be a non-e"),
        (lambda: fastbp.classification_rate([0.5, 1], [0, 1]), TypeError, r"Y must hold int"),
        (lambda: fastbp.gradients(X, T, W1, b1, W2, b2, rung="fast"), ValueError, r"rung must be"),
    ],
)
def test_bad_input_names_the_argument(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("name", ["X", "T", "W1", "b1", "W2", "b2"])
def test_non_finite_values_are_rejected_unless_asked_not_to(name, bad):
    args = dict(X=X.copy(), T=T.copy(), W1=W1.copy(), b1=b1.copy(), W2=W2.copy(), b2=b2.copy())
    args[name].flat[-1] = bad
    with pytest.raises(ValueError, match=f"{name} contains NaN or infinity"):
        fastbp.gradients(**args)
    result = fastbp.gradients(**args, check_finite=False)  # runs: NaN in, NaN out is allowed
    assert result.dW1.shape == W1.shape


def test_large_finite_values_pass_the_finiteness_check():
    """A sum that overflows must not be mistaken for an infinity in the data."""
    huge = np.full((6, 2), 1e308)
    Y_huge, _ = fastbp.forward(huge, W1, b1, W2, b2)
    assert np.isfinite(Y_huge).all()


def test_kernels_never_see_mismatched_shapes(monkeypatch):
    """The check runs first: a kernel that would be called raises instead of running."""
    import fastbp.api

    def forbidden(*args, **kwargs):
        raise AssertionError("a kernel was called")

    monkeypatch.setattr(fastbp.api, "kernel", lambda *a: forbidden)
    for name in RUNGS:
        with pytest.raises(ValueError):
            fastbp.derivative_w1(X, Z, T, Y, W2[:2], rung=name)
