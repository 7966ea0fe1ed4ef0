"""fastbp.gradients(out=...): every rung writes the same gradients into the given arrays,
returns those arrays, and rejects buffers it cannot write safely."""

import numpy as np
import pytest

import fastbp

# The narrow rungs generate a gradients_into kernel per width (seconds each): one narrow width
# here, with D, M and K all different (a mixed-up output shows), at N = 1 and at N = 700 (two
# chunks of narrow_parallel); then wider.
SHAPES = [(1, 4, 2, 3), (700, 4, 2, 3), (40, 5, 20, 6)]


def _problem(N, D, M, K, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dtype)
    T = np.eye(K, dtype=dtype)[rng.integers(0, K, N)]
    params = [rng.standard_normal(s).astype(dtype) for s in ((D, M), (M,), (M, K), (K,))]
    return X, T, params


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_out_receives_what_gradients_returns(rung, compiled, shape, dtype):
    if not fastbp.RUNGS[rung].supports(*shape[1:]) or (not compiled and shape[0] > 100):
        pytest.skip("no kernels for these widths, or plain Python too slow at this size")
    X, T, params = _problem(*shape, dtype)
    expected = fastbp.gradients(X, T, *params, rung=rung, compiled=compiled)
    out = tuple(np.full_like(p, np.nan) for p in params)
    for _ in range(2):  # the full check, then the remembered plan
        got = fastbp.gradients(X, T, *params, rung=rung, compiled=compiled, out=out)
        assert all(g is o for g, o in zip(got[:4], out))
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_out_may_be_the_parameters_themselves(rung):
    X, T, params = _problem(30, 4, 2, 3, np.float64, seed=1)
    expected = fastbp.gradients(X, T, *params, rung=rung)
    got = fastbp.gradients(X, T, *params, rung=rung, out=tuple(params))
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def _good():
    return [np.empty((2, 3)), np.empty(3), np.empty((3, 3)), np.empty(3)]


def _replaced(position, value):
    out = _good()
    out[position] = value
    return out


_SLAB = np.empty(20)
BAD_OUTS = [
    (5, TypeError, r"out must be a tuple of four arrays .* got int"),
    (_good()[:3], TypeError, "got list of length 3"),
    (_replaced(0, [[0.0] * 3] * 2), TypeError, r"out\[0\] \(dW1\) must be a NumPy array"),
    (_replaced(1, np.empty(3, np.float32)), TypeError, r"out\[1\] \(db1\) .* dtype float64"),
    (_replaced(2, np.empty((3, 2))), ValueError, r"out\[2\] \(dW2\) must have shape \(3, 3\)"),
    (_replaced(0, np.empty((3, 2)).T), ValueError, r"out\[0\] \(dW1\) must be a C-contiguous"),
    (
        [_SLAB[:6].reshape(2, 3), _SLAB[5:8], _SLAB[8:17].reshape(3, 3), _SLAB[17:20]],
        ValueError,
        "must not overlap",
    ),
]


@pytest.mark.parametrize("out, error, pattern", BAD_OUTS)
def test_bad_out_is_rejected_naming_the_array(out, error, pattern):
    X, T, params = _problem(8, 2, 3, 3, np.float64)
    with pytest.raises(error, match=pattern):
        fastbp.gradients(X, T, *params, out=out)


def test_read_only_out_is_rejected():
    X, T, params = _problem(8, 2, 3, 3, np.float64)
    out = _good()
    out[3].flags.writeable = False
    with pytest.raises(ValueError, match=r"out\[3\] \(db2\) must be a C-contiguous, writeable"):
        fastbp.gradients(X, T, *params, out=out)


def test_overlap_is_checked_on_every_call_not_only_the_first():
    X, T, params = _problem(8, 2, 3, 3, np.float64)
    fastbp.gradients(X, T, *params, out=_good())  # remembers the plan for these shapes
    dW1 = np.empty((2, 3))
    with pytest.raises(ValueError, match="must not overlap"):
        fastbp.gradients(X, T, *params, out=(dW1, dW1[0], np.empty((3, 3)), np.empty(3)))


def test_non_finite_input_is_named_with_out():
    X, T, params = _problem(8, 2, 3, 3, np.float64)
    fastbp.gradients(X, T, *params, out=_good())
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        fastbp.gradients(X, T, *params, out=_good())
