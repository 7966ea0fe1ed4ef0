"""Every rung, compiled and plain, agrees with the one NumPy reference in tests/reference.py."""

import types

import numba
import numpy as np
import pytest
import reference
from cases import DTYPES, SHAPES
from fastbp.kernels import parallel

import fastbp
from fastbp.registry import FUNCTIONS


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "N{}-D{}-M{}-K{}".format(*s))
def test_each_function_matches_reference(rung, compiled, shape, dtype):
    N, D, M, K = shape
    X, T, W1, b1, W2, b2 = reference.problem(*shape, dtype=dtype)
    options = dict(rung=rung, compiled=compiled)

    Y, Z = fastbp.forward(X, W1, b1, W2, b2, **options)
    Y_ref, Z_ref = reference.forward(X, W1, b1, W2, b2)
    # sigmoid and softmax outputs lie in [0, 1]; their rounding is a few eps per term summed.
    reference.assert_close(Z, Z_ref, 1.0, dtype, terms=D + 1, worst_case=True)
    reference.assert_close(Y, Y_ref, 1.0, dtype, terms=D + M + K, worst_case=True)
    np.testing.assert_allclose(Y.sum(axis=1), 1.0, rtol=10 * np.finfo(dtype).eps * K)

    exact, magnitude = reference.derivatives(X, Z, T, Y, W2)
    got = (
        fastbp.derivative_w1(X, Z, T, Y, W2, **options),
        fastbp.derivative_b1(T, Y, W2, Z, **options),
        fastbp.derivative_w2(Z, T, Y, **options),
        fastbp.derivative_b2(T, Y, **options),
    )
    for name, value, ref, size in zip(("w1", "b1", "w2", "b2"), got, exact, magnitude):
        terms = N * K if name in ("w1", "b1") else N
        try:
            reference.assert_close(value, ref, size, dtype, terms)
        except AssertionError as error:
            raise AssertionError(f"derivative_{name}: {error}") from None


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "N{}-D{}-M{}-K{}".format(*s))
def test_gradients_match_reference(rung, compiled, shape, dtype):
    X, T, W1, b1, W2, b2 = reference.problem(*shape, dtype=dtype, seed=1)
    result = fastbp.gradients(X, T, W1, b1, W2, b2, rung=rung, compiled=compiled)
    assert_gradients_match(result, X, T, W1, b1, W2, b2, dtype)
    cost_ref = reference.log_likelihood(T, reference.forward(X, W1, b1, W2, b2)[0])
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    assert isinstance(result.cost, float)
    assert result.cost == pytest.approx(cost_ref, rel=rtol, abs=rtol)


def assert_gradients_match(result, X, T, W1, b1, W2, b2, dtype):
    """The four gradients of ``result`` against the float64 reference at the same inputs."""
    N, D = X.shape
    M, K = W2.shape
    Y_ref, Z_ref = reference.forward(X, W1, b1, W2, b2)
    if dtype == np.float64:
        terms, z_rounding = N * K, 0.0
    else:
        # Each summed term also carries the roundings of the rung's own float32 forward pass:
        # D + 1 for Z, M + 1 for the logits, K for the softmax. Rounding Z itself moves the
        # slope Z (1 - Z) by about u Z, a single rounding rather than a chain of ``terms``:
        # with z_rounding = 1 / sqrt(terms) the bound LAMBDA u sqrt(terms) allows LAMBDA u Z.
        terms = N * K + D + M + K
        z_rounding = 1 / np.sqrt(terms)
    exact, magnitude = reference.derivatives(X, Z_ref, T, Y_ref, W2, z_rounding)
    for name, value, ref, size in zip(("dW1", "db1", "dW2", "db2"), result[:4], exact, magnitude):
        try:
            reference.assert_close(value, ref, size, dtype, terms)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_a_single_class_gives_probability_one_and_zero_gradients(rung, compiled, dtype):
    """K = 1: softmax of one logit is 1, so T - Y and all four gradients are exactly 0."""
    N, D, M, K = 6, 3, 4, 1
    X, T, W1, b1, W2, b2 = reference.problem(N, D, M, K, dtype=dtype, seed=3)
    options = dict(rung=rung, compiled=compiled)
    Y, Z = fastbp.forward(X, W1, b1, W2, b2, **options)
    np.testing.assert_array_equal(Y, np.ones((N, 1), dtype))
    Z_ref = reference.forward(X, W1, b1, W2, b2)[1]
    reference.assert_close(Z, Z_ref, 1.0, dtype, terms=D + 1, worst_case=True)
    derivatives = (
        fastbp.derivative_w1(X, Z, T, Y, W2, **options),
        fastbp.derivative_b1(T, Y, W2, Z, **options),
        fastbp.derivative_w2(Z, T, Y, **options),
        fastbp.derivative_b2(T, Y, **options),
    )
    result = fastbp.gradients(X, T, W1, b1, W2, b2, **options)
    shapes = [(D, M), (M,), (M, K), (K,)]
    for value, shape in zip((*derivatives, *result[:4]), shapes + shapes):
        np.testing.assert_array_equal(value, np.zeros(shape, dtype), strict=True)
    assert result.cost == 0.0


def _strided(a):
    """A view of the same values that steps over every other element of a larger array."""
    big = np.zeros(tuple(2 * n for n in a.shape), a.dtype)
    view = big[tuple(slice(None, None, 2) for _ in a.shape)]
    view[...] = a
    return view


def _layouts(*arrays):
    """The same values as Fortran-ordered copies and as strided views into larger arrays."""
    yield "fortran", [np.asfortranarray(a) for a in arrays]
    yield "strided", [_strided(a) for a in arrays]


def _every_result(rung, X, T, W1, b1, W2, b2, Y, Z):
    """The results of every public function on these arrays, as lists of arrays by name."""
    options = dict(rung=rung)
    gradients = fastbp.gradients(X, T, W1, b1, W2, b2, **options)
    return {
        "gradients": [*gradients[:4], np.array(gradients.cost)],
        "forward": list(fastbp.forward(X, W1, b1, W2, b2, **options)),
        "derivative_w1": [fastbp.derivative_w1(X, Z, T, Y, W2, **options)],
        "derivative_b1": [fastbp.derivative_b1(T, Y, W2, Z, **options)],
        "derivative_w2": [fastbp.derivative_w2(Z, T, Y, **options)],
        "derivative_b2": [fastbp.derivative_b2(T, Y, **options)],
    }


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_non_contiguous_inputs(rung, dtype):
    X, T, W1, b1, W2, b2 = reference.problem(13, 4, 2, 3, dtype=dtype, seed=2)
    Y, Z = fastbp.forward(X, W1, b1, W2, b2, rung=rung)
    expected = _every_result(rung, X, T, W1, b1, W2, b2, Y, Z)
    for layout, arrays in _layouts(X, T, W1, b1, W2, b2, Y, Z):
        # Fortran order leaves a 1-D array (b1, b2) contiguous; strided views never are.
        assert not any(a.flags.c_contiguous for a in arrays if a.ndim == 2 or layout != "fortran")
        got = _every_result(rung, *arrays)
        for name, values in got.items():
            for value, ref in zip(values, expected[name], strict=True):
                np.testing.assert_array_equal(value, ref, err_msg=f"{layout} {name}", strict=True)


def test_integer_targets_are_converted_and_keep_float32():
    X, T, W1, b1, W2, b2 = reference.problem(9, 1, 4, 2, dtype=np.float32)
    from_ints = fastbp.gradients(X, T.astype(np.int64), W1, b1, W2, b2)
    from_floats = fastbp.gradients(X, T, W1, b1, W2, b2)
    for value, ref in zip(from_ints[:4], from_floats[:4]):
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value, ref)
    assert fastbp.derivative_b2(T.astype(bool), T).dtype == np.float32


def test_classic_rows_typo_is_caught():
    """docs/math.md §4.3: the classic rows rung of derivative_w2 used T[n,k] * -Y[n,k].

    The agreement check used above must reject that rung, while all of ours that run here
    pass it (cuda where a GPU or numba-cuda's simulator is).
    """

    def typo_w2(Z, T, Y):
        out = np.zeros((Z.shape[1], T.shape[1]))
        for n in range(Z.shape[0]):
            for k in range(T.shape[1]):
                out[:, k] += (T[n, k] * -Y[n, k]) * Z[n, :]
        return out

    X, T, W1, b1, W2, b2 = reference.problem(13, 4, 2, 3)
    Y, Z = reference.forward(X, W1, b1, W2, b2)
    exact, magnitude = reference.derivatives(X, Z, T, Y, W2)
    with pytest.raises(AssertionError):
        reference.assert_close(typo_w2(Z, T, Y), exact[2], magnitude[2], np.float64, len(X))
    for name in (name for name, rung in fastbp.RUNGS.items() if rung.unavailable() is None):
        got = fastbp.derivative_w2(Z, T, Y, rung=name)
        reference.assert_close(got, exact[2], magnitude[2], np.float64, len(X))


def test_default_rung_follows_the_documented_rule(monkeypatch):
    from fastbp import registry

    monkeypatch.setattr(numba, "get_num_threads", lambda: 2)
    assert fastbp.choose_rung(1500, 2, 3, 3) == "narrow"
    assert fastbp.choose_rung(150, 4, 8, 3) == "narrow"
    assert fastbp.choose_rung(1500, 20, 50, 10) == "parallel"
    assert fastbp.choose_rung(1500, 8, 8, 8) == "fused"
    assert fastbp.choose_rung(10_000, 784, 256, 10) == "blas"
    assert fastbp.choose_rung(1_000_000, 2, 3, 3) == "narrow_parallel"
    assert fastbp.choose_rung(1_000_000, 8, 8, 8) == "parallel"
    # in a loop of epochs, two threads from two chunks of samples on
    assert fastbp.choose_rung(1500, 2, 3, 3, looped=True) == "narrow_parallel"
    assert fastbp.choose_rung(1023, 2, 3, 3, looped=True) == "narrow"
    monkeypatch.setattr(numba, "get_num_threads", lambda: 1)
    assert registry.choose_rung(1_000_000, 2, 3, 3) == "narrow"
    assert registry.choose_rung(1500, 2, 3, 3, looped=True) == "narrow"
    assert registry.choose_rung(1_000_000, 8, 8, 8) == "fused"


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("N", [20_000, 8_449])
def test_parallel_rung_with_uneven_chunks_matches_reference(N, dtype):
    """More blocks of 256 samples than chunks (32), not a multiple of them, and a last block
    that is not full: every chunk but some holds an extra block, and every sample must count
    once. The result must be the reference's whatever the number of threads."""
    blocks = -(-N // parallel.BLOCK)
    assert blocks > parallel.MAX_CHUNKS and blocks % parallel.MAX_CHUNKS != 0
    assert N % parallel.BLOCK != 0
    D, M, K = 3, 5, 4
    X, T, W1, b1, W2, b2 = reference.problem(N, D, M, K, dtype=dtype, seed=4)
    Y_ref, Z_ref = reference.forward(X, W1, b1, W2, b2)
    cost_ref = reference.log_likelihood(T, Y_ref)
    before = numba.get_num_threads()
    try:
        most = numba.config.NUMBA_NUM_THREADS
        for threads in sorted({1, min(2, most), most}):
            numba.set_num_threads(threads)
            Y, Z = fastbp.forward(X, W1, b1, W2, b2, rung="parallel")
            reference.assert_close(Z, Z_ref, 1.0, dtype, terms=D + 1, worst_case=True)
            reference.assert_close(Y, Y_ref, 1.0, dtype, terms=D + M + K, worst_case=True)
            result = fastbp.gradients(X, T, W1, b1, W2, b2, rung="parallel")
            assert_gradients_match(result, X, T, W1, b1, W2, b2, dtype)
            rtol = 1e-10 if dtype == np.float64 else 1e-6
            assert result.cost == pytest.approx(cost_ref, rel=rtol)
    finally:
        numba.set_num_threads(before)


def _compiled_calls(function, seen=None) -> list[str]:
    """The Numba dispatchers that plain Python ``function`` calls by a global name, directly
    or through the plain functions it calls (``register_jitable`` helpers are plain)."""
    seen = set() if seen is None else seen
    if function in seen:
        return []
    seen.add(function)
    found = []
    for name in function.__code__.co_names:
        value = function.__globals__.get(name)
        if isinstance(value, numba.core.dispatcher.Dispatcher):
            found.append(f"{function.__qualname__} calls {name}")
        elif isinstance(value, types.FunctionType):
            found += _compiled_calls(value, seen)
    return found


@pytest.mark.parametrize("function", [*FUNCTIONS, "gradients_into"])
def test_the_plain_twin_runs_no_compiled_code(rung, function):
    # compiled=False is the rung's source run as plain Python (the ladder's "plain" column):
    # a kernel calling another compiled kernel by name would run that one compiled. (A fused
    # rung's gradients are its gradients_into writing into new arrays.)
    plain = fastbp.registry.kernel_for(rung, function, False, 2, 3, 3)
    assert _compiled_calls(plain) == []
