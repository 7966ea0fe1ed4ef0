"""Bad input raises a clear error naming the argument, before any kernel runs."""

import pickle
from numbers import Real

import numpy as np
import pytest
import reference

import fastbp
from fastbp._validation import (
    Interval,
    Options,
    ParameterError,
    check_parameters,
    computation_dtype,
)
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


def test_rung_cuda_without_numba_cuda_says_what_to_install(monkeypatch):
    """Without numba-cuda (its import blocked here), rung="cuda" raises an ImportError that
    names the extra; the CPU rungs and rung=None run as before."""
    import sys

    import fastbp.api
    from fastbp import registry

    monkeypatch.setitem(sys.modules, "numba_cuda", None)  # import numba_cuda now fails
    monkeypatch.setattr(fastbp.api, "PLANS", {})
    registry.kernel.cache_clear()
    try:
        assert (
            RUNGS["cuda"].unavailable()
            == "rung='cuda' needs numba-cuda: pip install 'fastbp[cuda]'"
        )
        with pytest.raises(ImportError, match=r"needs numba-cuda: pip install 'fastbp\[cuda\]'"):
            fastbp.gradients(X, T, W1, b1, W2, b2, rung="cuda")
        with pytest.raises(ImportError, match="needs numba-cuda"):
            fastbp.train(X, np.arange(6) % 4, epochs=1, rung="cuda")
        assert fastbp.choose_rung(10**7, 2, 3, 3) != "cuda"
        assert fastbp.gradients(X, T, W1, b1, W2, b2).dW1.shape == W1.shape
        on_gpu = type("OnGpu", (), {"__cuda_array_interface__": {}, "shape": (6, 3)})()
        network = fastbp.Network((3, 2, 4))
        with pytest.raises(ImportError, match=r"the network on arrays on a GPU: .* numba-cuda"):
            network.predict(network.init_params(), on_gpu)
        with pytest.raises(ImportError, match=r"the network on arrays on a GPU: .* numba-cuda"):
            fastbp.fit(network, on_gpu, T, learning_rate=0.1)
    finally:
        registry.kernel.cache_clear()


# --- the constraint table and the dtype policy ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "good", "bad", "expected"),
    [
        (
            "learning_rate",
            [1e-3, 2, np.float32(0.5)],
            [0, -0.1, np.inf, np.nan, True, "0.1", None],
            "a positive finite number",
        ),
        ("momentum", [0, 1.0, np.float64(0.99)], [1.5, -0.1, np.nan], "a number in [0, 1]"),
        ("epochs", [0, 7, np.int64(3)], [-1, 2.0, True, None], "a non-negative integer"),
        ("batch_size", [None, 1, np.int32(9)], [0, -3, 2.0], "None or a positive integer"),
        ("tol", [None, 0, 1e-4], [-1e-3, np.nan, np.inf], "None or a finite number >= 0"),
        (
            "validation_fraction",
            [None, 0.1, np.float32(0.5)],
            [0, 0.0, 1.0, 1, 0.5j],
            "None or a float in (0, 1)",
        ),
        ("sizes", [1, np.int8(3)], [0, 4.0, "4", np.True_], "a positive integer"),
    ],
)
def test_the_constraint_table(name, good, bad, expected):
    for value in good:
        check_parameters({name: value})
    for value in bad:
        with pytest.raises(ParameterError) as caught:
            check_parameters({name: value})
        assert str(caught.value) == f"{name} must be {expected}, got {value!r}"


def test_parameter_errors_carry_the_name_to_translate():
    """How a caller with other names (the estimators) reports its own: names= up front, or
    .renamed() on an error raised further down (fit's)."""
    names = {"learning_rate": "learning_rate_init", "epochs": "max_iter"}
    with pytest.raises(ValueError, match=r"^learning_rate_init must be a positive finite number"):
        check_parameters({"learning_rate": 0.0, "epochs": 3}, names=names)
    with pytest.raises(ParameterError) as caught:
        fastbp.fit(fastbp.Network((2, 3, 4)), X, T, learning_rate=0.1, epochs=-1)
    error = caught.value
    assert (error.parameter, error.value) == ("epochs", -1)
    assert error.expected == "a non-negative integer"
    renamed = error.renamed(names)
    assert isinstance(renamed, ValueError) and renamed.parameter == "epochs"
    assert str(renamed) == "max_iter must be a non-negative integer, got -1"
    assert str(pickle.loads(pickle.dumps(renamed))) == str(renamed)
    assert str(error.renamed({"tol": "x"})) == str(error)  # names not listed stay


def test_a_table_of_options_and_intervals():
    table = {"mode": (Options(("a", "b")),), "rate": (None, Interval(Real, 0, 1))}
    check_parameters({"mode": "b", "rate": 1}, table=table)
    with pytest.raises(ParameterError, match=r"^mode must be one of \('a', 'b'\), got 'c'$"):
        check_parameters({"mode": "c"}, table=table)
    with pytest.raises(ParameterError, match=r"^rate must be None or a number in \[0, 1\], got 2$"):
        check_parameters({"rate": 2}, table=table)


@pytest.mark.parametrize(
    ("dtypes", "expected"),
    [
        ([np.float32], np.float32),
        ([np.float32, np.int64, bool], np.float32),  # int and bool are converted
        ([np.float32, np.float64], np.float64),
        ([np.float16], np.float64),
        ([np.int32, np.uint8], np.float64),
    ],
)
def test_one_dtype_policy_for_the_classic_api_and_the_network(dtypes, expected):
    arrays = [np.zeros((6, 2), d) for d in dtypes]
    assert computation_dtype(arrays) == expected
    assert computation_dtype(arrays, "float32") == np.float32
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        computation_dtype(arrays, np.float16)
    # Both sides of the library follow it: the classic API and fit.
    Y, _ = fastbp.forward(X.astype(dtypes[0]), W1.astype(dtypes[-1]), b1, W2, b2)
    assert Y.dtype == computation_dtype([arrays[0], arrays[-1], b1])
    network = fastbp.Network((2, 3, 4))
    T_first = T.astype(dtypes[-1])
    result = fastbp.fit(network, X.astype(dtypes[0]), T_first, learning_rate=0.1, epochs=1)
    assert result.params.dtype == computation_dtype([arrays[0], T_first])
