"""The general network (docs/math.md §6): gradients against finite differences, the forward
pass and loss against an independent NumPy reference, for every entry of the activation and
loss tables; the bias trick, agreement with the classic API, stability at huge activations,
and argument checking."""

import warnings

import network_reference as ref
import numpy as np
import pytest
import reference
from cases import DTYPES
from cases import SHAPES as CLASSIC_SHAPES  # the classic network's (N, D, M, K)
from fastbp.kernels import activations as tables

import fastbp
from fastbp import Network
from fastbp.network import HIDDEN_ACTIVATIONS, LOSSES

HIDDEN = HIDDEN_ACTIVATIONS
# Every (output, loss) pair the tables allow.
PAIRS = [(output, loss) for loss, entry in LOSSES.items() for output in entry.outputs]
PAIR_IDS = [f"{output}-{loss}" for output, loss in PAIRS]
# Non-square widths; depth = number of hidden layers.
DEPTH_SIZES = {1: (3, 5, 4), 2: (3, 5, 4, 2), 3: (3, 5, 4, 6, 2)}
LAYOUTS = {
    "bias": dict(bias=True),
    "no-bias": dict(bias=False),
    "bias-trick": dict(bias=True, bias_trick=True),
}


def assert_close_to(got, expected, rtol_of_max, rtol=0.0):
    """|got - expected| <= rtol_of_max * max|expected| (+ rtol |expected|), elementwise."""
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(np.abs(expected).max(), np.finfo(np.float64).tiny)
    np.testing.assert_allclose(
        np.asarray(got, dtype=np.float64), expected, rtol=rtol, atol=rtol_of_max * scale
    )


# --- gradients against finite differences ------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("N", [1, 7])
@pytest.mark.parametrize("depth", DEPTH_SIZES)
@pytest.mark.parametrize(("output", "loss"), PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_gradient_matches_finite_differences(layout, hidden, output, loss, depth, N, dtype):
    network = Network(
        DEPTH_SIZES[depth], hidden=hidden, output=output, loss=loss, **LAYOUTS[layout]
    )
    spec = ref.spec_of(network)
    X, T, params = ref.problem(network, N, seed=10 * depth + N, dtype=dtype)
    value, grad = network.loss_gradient(params, X, T)
    assert isinstance(value, float)
    assert grad.dtype == dtype and grad.shape == params.shape
    # Central differences of the float64 loss at the same (dtype-rounded) point.
    numeric = ref.finite_differences(spec, params, X, T)
    assert np.abs(numeric).max() > 1e-6, "degenerate test case: the gradient is ~0"
    if dtype == np.float64:
        assert_close_to(grad, numeric, 1e-6)
        assert value == pytest.approx(ref.loss(spec, params, X, T), rel=1e-12)
    else:
        assert_close_to(grad, numeric, 1e-4)
        assert value == pytest.approx(ref.loss(spec, params, X, T), rel=1e-5)


def test_reference_backpropagation_matches_finite_differences():
    """The NumPy reference gradient used below (and by the SGD tests) is itself right."""
    for hidden in HIDDEN:
        for output, loss in PAIRS:
            spec = ref.Spec((2, 4, 3, 3), hidden, output, bias=True, loss=loss)
            rng = np.random.default_rng(5)
            X = rng.standard_normal((6, 2))
            T = ref.targets(output, 6, 3, rng)
            params = rng.uniform(-1, 1, ref.n_params(spec))
            _, grad = ref.loss_gradient(spec, params, X, T)
            assert_close_to(grad, ref.finite_differences(spec, params, X, T), 1e-7)


# --- forward pass, loss and gradient against the reference, over many shapes --------------

# (sizes, hidden, output, loss, N): single sample, single input, single output (identity and
# sigmoid outputs), two classes, no hidden layer at all, N not a multiple of the block of
# 256 samples, and layers wide enough that the products go to BLAS; loss None: the default.
SHAPES = [
    ((1, 1), "sigmoid", "identity", None, 1),
    ((1, 3, 1), "tanh", "identity", None, 1),
    ((1, 3, 1), "sigmoid", "sigmoid", None, 5),
    ((4, 2, 2), "relu", "softmax", None, 9),
    ((3, 4, 2), "identity", "identity", None, 1),
    ((2, 3, 3), "sigmoid", "softmax", None, 300),
    ((3, 8, 5, 4), "tanh", "softmax", None, 517),
    ((5, 7, 3, 6, 1), "relu", "sigmoid", None, 517),
    ((6, 40, 30, 3), "tanh", "softmax", None, 300),
    ((7, 64, 2), "sigmoid", "sigmoid", None, 260),
    ((1, 3, 1), "tanh", "sigmoid", "cross_entropy", 5),
    ((5, 7, 3, 6, 1), "relu", "sigmoid", "cross_entropy", 517),
    ((7, 64, 2), "sigmoid", "sigmoid", "cross_entropy", 260),
    ((4, 2, 2), "relu", "softmax", "squared_error", 9),
    ((6, 40, 30, 3), "tanh", "softmax", "squared_error", 300),
    # a layer of 32768 weights or more: blocks of 1024 samples (kernels.network.block_rows)
    ((200, 170, 3), "relu", "softmax", "cross_entropy", 1100),
]


def arrange(X, order):
    """X as a C-ordered, Fortran-ordered or non-contiguous (strided) array, same values."""
    if order == "F":
        X = np.asfortranarray(X)
        assert not X.flags.c_contiguous or 1 in X.shape
    elif order == "strided":
        wide = np.zeros((X.shape[0], 2 * X.shape[1]), X.dtype)
        wide[:, ::2] = X
        X = wide[:, ::2]
        assert not X.flags.c_contiguous or X.size == 1
    return X


@pytest.mark.parametrize("order", ["C", "F", "strided"])
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("sizes", "hidden", "output", "loss", "N"), SHAPES, ids=str)
def test_predict_loss_and_gradient_match_the_reference(
    sizes, hidden, output, loss, N, layout, dtype, order
):
    network = Network(sizes, hidden=hidden, output=output, loss=loss, **LAYOUTS[layout])
    spec = ref.spec_of(network)
    X, T, params = ref.problem(network, N, seed=N + len(sizes), dtype=dtype)
    Y = network.predict(params, arrange(X, order))
    value, grad = network.loss_gradient(params, arrange(X, order), T)
    assert_matches_reference(spec, params, X, T, Y, value, grad)


def assert_matches_reference(spec, params, X, T, Y, value, grad):
    """predict's Y and loss_gradient's (value, grad) at ``params`` on X and T against the
    reference, in the parameters' dtype, as closely as that dtype allows."""
    expected_loss, expected_grad = ref.loss_gradient(spec, params, X, T)
    assert Y.dtype == grad.dtype == params.dtype and Y.shape == (len(X), spec.sizes[-1])
    if params.dtype == np.float64:
        assert_close_to(Y, ref.predict(spec, params, X), 1e-13, rtol=1e-12)
        assert value == pytest.approx(expected_loss, rel=1e-12)
        assert_close_to(grad, expected_grad, 1e-11)
    else:
        assert_close_to(Y, ref.predict(spec, params, X), 1e-5)
        assert value == pytest.approx(expected_loss, rel=1e-5)
        assert_close_to(grad, expected_grad, 1e-4)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_relu_passes_no_gradient_where_its_input_is_exactly_zero(layout):
    """relu'(0) = 0, as in scikit-learn: with integer data and weights, many hidden
    pre-activations are exactly 0, and those units pass no gradient to the layer below."""
    network = Network((3, 4, 2), hidden="relu", **LAYOUTS[layout])
    rng = np.random.default_rng(3)
    X = rng.integers(-1, 2, (12, 3)).astype(np.float64)
    T = np.eye(2)[rng.integers(0, 2, 12)]
    params = rng.integers(-1, 2, network.n_params).astype(np.float64)
    spec = ref.spec_of(network)
    kinks = sum(int(np.sum(A == 0.0)) for A in ref.forward(spec, params, X)[1][:-1])
    assert kinks >= 10  # the data reach the kink
    value, grad = network.loss_gradient(params, X, T)
    expected_loss, expected_grad = ref.loss_gradient(spec, params, X, T)
    assert value == pytest.approx(expected_loss, rel=1e-12)
    assert_close_to(grad, expected_grad, 1e-12)


def test_result_dtype_follows_the_parameters_not_the_inputs():
    network = Network((3, 4, 2), hidden="tanh")
    X, T, params = ref.problem(network, 11, seed=1)
    X32, T32 = X.astype(np.float32), T.astype(np.float32)
    # float32 inputs with float64 parameters: computed (and returned) in float64.
    Y = network.predict(params, X32)
    assert Y.dtype == np.float64
    np.testing.assert_array_equal(Y, network.predict(params, X32.astype(np.float64)))
    loss, grad = network.loss_gradient(params, X32, T32)
    loss64, grad64 = network.loss_gradient(params, X32.astype(np.float64), T32.astype(np.float64))
    assert grad.dtype == np.float64
    assert loss == loss64
    np.testing.assert_array_equal(grad, grad64)
    # float64 inputs with float32 parameters: float32.
    assert network.predict(params.astype(np.float32), X).dtype == np.float32
    assert network.loss_gradient(params.astype(np.float32), X, T)[1].dtype == np.float32
    # Integer and boolean inputs are converted.
    Xi = np.arange(33).reshape(11, 3) % 3
    expected = ref.predict(ref.spec_of(network), params, Xi)
    assert_close_to(network.predict(params, Xi), expected, 1e-13, rtol=1e-12)
    assert network.predict(params, Xi > 0).shape == (11, 2)


def test_predict_does_not_modify_its_arguments():
    network = Network((3, 5, 4, 2), hidden="relu", output="sigmoid")
    X, T, params = ref.problem(network, 300, seed=2)
    copies = X.copy(), T.copy(), params.copy()
    network.predict(params, X)
    network.loss_gradient(params, X, T)
    for before, after in zip(copies, (X, T, params)):
        np.testing.assert_array_equal(before, after)


# --- the bias trick ---------------------------------------------------------------------


@pytest.mark.parametrize(("output", "loss"), PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("depth", DEPTH_SIZES)
def test_bias_trick_gives_the_same_results_as_explicit_bias(depth, hidden, output, loss):
    plain = Network(DEPTH_SIZES[depth], hidden=hidden, output=output, loss=loss)
    trick = Network(DEPTH_SIZES[depth], hidden=hidden, output=output, loss=loss, bias_trick=True)
    assert trick.n_params == plain.n_params
    np.testing.assert_array_equal(trick.init_params(4), plain.init_params(4))
    X, T, params = ref.problem(plain, 300, seed=depth)
    assert_close_to(trick.predict(params, X), plain.predict(params, X), 1e-14, rtol=1e-12)
    loss_trick, grad_trick = trick.loss_gradient(params, X, T)
    loss_plain, grad_plain = plain.loss_gradient(params, X, T)
    assert loss_trick == pytest.approx(loss_plain, rel=1e-12)
    assert_close_to(grad_trick, grad_plain, 1e-13, rtol=1e-12)
    # The same parameters mean the same (W, b) layers.
    for (W_t, b_t), (W_p, b_p) in zip(trick.unpack(params), plain.unpack(params)):
        np.testing.assert_array_equal(W_t, W_p)
        np.testing.assert_array_equal(b_t, b_p)


@pytest.mark.parametrize("depth", DEPTH_SIZES)
def test_bias_trick_trains_to_the_same_parameters(depth):
    plain = Network(DEPTH_SIZES[depth], hidden="tanh", output="softmax")
    trick = Network(DEPTH_SIZES[depth], hidden="tanh", output="softmax", bias_trick=True)
    X, T, _ = ref.problem(plain, 37, seed=depth)
    settings = dict(learning_rate=0.05, epochs=8, batch_size=5, momentum=0.9, seed=3)
    a = fastbp.fit(plain, X, T, **settings)
    b = fastbp.fit(trick, X, T, **settings)
    assert len(a.loss_curve) == len(b.loss_curve) == 8
    np.testing.assert_allclose(b.loss_curve, a.loss_curve, rtol=1e-11)
    assert_close_to(b.params, a.params, 1e-12, rtol=1e-10)
    # ... and training did move the parameters, so the comparison means something.
    assert np.abs(a.params - plain.init_params(3)).max() > 1e-2


# --- the classic network ------------------------------------------------------------------


@pytest.mark.parametrize("shape", CLASSIC_SHAPES, ids=str)
def test_classic_network_agrees_with_the_classic_api(shape):
    N, D, M, K = shape
    X, T, W1, b1, W2, b2 = reference.problem(N, D, M, K, seed=7)
    network = Network((D, M, K))  # sigmoid hidden, softmax output, biases
    params = network.pack([(W1, b1), (W2, b2)])
    classic = fastbp.gradients(X, T, W1, b1, W2, b2)
    loss, grad = network.loss_gradient(params, X, T)
    (dW1, db1), (dW2, db2) = network.unpack(-N * grad)  # descent of the mean -> ascent sums
    for got, expected in zip((dW1, db1, dW2, db2), classic[:4]):
        assert_close_to(got, expected, 1e-12, rtol=1e-10)
    assert -N * loss == pytest.approx(classic.cost, rel=1e-10)
    Y_classic = fastbp.forward(X, W1, b1, W2, b2)[0]
    assert_close_to(network.predict(params, X), Y_classic, 1e-14, rtol=1e-10)


def test_normal_initialisation_draws_the_classic_numbers_in_the_classic_order():
    for D, M, K, seed in [(2, 3, 3, 0), (4, 2, 3, 5), (1, 7, 2, 11)]:
        network = Network((D, M, K))
        W1, b1, W2, b2 = reference.classic_start(D, M, K, seed)
        expected = network.pack([(W1, b1), (W2, b2)])
        np.testing.assert_array_equal(network.init_params(seed, scheme="normal"), expected)


def test_glorot_initialisation_is_bounded_and_seeded():
    network = Network((4, 6, 3, 2), hidden="tanh")
    params = network.init_params(1)
    assert params.dtype == np.float64 and params.shape == (ref.n_params(ref.spec_of(network)),)
    for (W, b), (n_in, n_out) in zip(network.unpack(params), [(4, 6), (6, 3), (3, 2)]):
        bound = np.sqrt(6.0 / (n_in + n_out))
        assert np.abs(W).max() <= bound and np.abs(b).max() <= bound
        assert np.abs(W).max() > bound / 2  # really spread over the interval
    np.testing.assert_array_equal(params, network.init_params(1))
    assert not np.array_equal(params, network.init_params(2))
    assert network.init_params(1, np.float32).dtype == np.float32


def test_pack_and_unpack_are_inverse_and_unpack_gives_views():
    for bias in (True, False):
        network = Network((3, 5, 4, 2), hidden="relu", bias=bias)
        rng = np.random.default_rng(0)
        layers = [
            (rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out) if bias else None)
            for n_in, n_out in zip(network.sizes[:-1], network.sizes[1:])
        ]
        params = network.pack(layers)
        assert params.shape == (network.n_params,)
        # The documented layout: per layer the weights row-major, then the bias.
        for (W, b), (W_ref, b_ref) in zip(layers, ref.layers(ref.spec_of(network), params)):
            np.testing.assert_array_equal(W, W_ref)
            np.testing.assert_array_equal(b if bias else np.zeros_like(b_ref), b_ref)
        unpacked = network.unpack(params)
        for (W, b), (W_u, b_u) in zip(layers, unpacked):
            np.testing.assert_array_equal(W_u, W)
            assert (b_u is None) == (not bias)
            if bias:
                np.testing.assert_array_equal(b_u, b)
        unpacked[0][0][1, 2] = 123.0  # a view: writes go to the flat vector
        assert 123.0 in params
        assert network.pack(layers, np.float32).dtype == np.float32


# --- stability at huge activations --------------------------------------------------------


def no_warnings(function, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            return function(*args)


@pytest.mark.parametrize("scale", [1e3, 1e30])
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh"])
def test_hidden_activations_saturate_to_their_limits(hidden, dtype, scale):
    # Identity output through an identity W2 exposes the hidden activations themselves.
    network = Network((3, 4, 4), hidden=hidden, output="identity")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 3))
    W1, b1 = scale * rng.standard_normal((3, 4)), scale * rng.standard_normal(4)
    params = network.pack([(W1, b1), (np.eye(4), np.zeros(4))], dtype)
    T = rng.standard_normal((40, 4))
    H = no_warnings(network.predict, params, X.astype(dtype))
    A = X.astype(dtype).astype(np.float64) @ W1.astype(dtype) + b1.astype(dtype)
    assert np.isfinite(H).all()
    low = 0.0 if hidden == "sigmoid" else -1.0
    assert H.min() >= low and H.max() <= 1.0
    far = np.abs(A) > 40
    assert far.mean() > 0.9  # the test really is about saturation
    limits = np.where(A > 0, 1.0, low)
    np.testing.assert_allclose(H[far], limits[far], rtol=0, atol=1e-15)
    loss, grad = no_warnings(network.loss_gradient, params, X.astype(dtype), T.astype(dtype))
    assert np.isfinite(loss) and np.isfinite(grad).all()
    expected_loss, expected_grad = ref.loss_gradient(
        ref.spec_of(network), params, X.astype(dtype), T.astype(dtype)
    )
    tight = dtype == np.float64
    assert loss == pytest.approx(expected_loss, rel=1e-12 if tight else 1e-5)
    assert_close_to(grad, expected_grad, 1e-10 if tight else 1e-4)


@pytest.mark.parametrize("scale", [1e3, 1e30])
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize(
    ("output", "loss"),
    [pair for pair in PAIRS if pair[0] in ("softmax", "sigmoid")],
    ids=[name for name in PAIR_IDS if name.startswith(("softmax", "sigmoid"))],
)
def test_huge_output_activations_give_no_nan(output, loss, dtype, scale):
    network = Network((3, 5, 4), hidden="tanh", output=output, loss=loss)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 3)).astype(dtype)
    T = ref.targets(output, 300, 4, rng).astype(dtype)
    layers = [
        (rng.standard_normal((3, 5)), rng.standard_normal(5)),
        (scale * rng.standard_normal((5, 4)), scale * rng.standard_normal(4)),
    ]
    params = network.pack(layers, dtype)
    Y = no_warnings(network.predict, params, X)
    value, grad = no_warnings(network.loss_gradient, params, X, T)
    assert np.isfinite(Y).all() and Y.min() >= 0 and Y.max() <= 1
    assert np.isfinite(value) and value > 0 and np.isfinite(grad).all()
    if output == "softmax":
        np.testing.assert_allclose(Y.sum(axis=1), 1.0, rtol=1e-6 if dtype == np.float32 else 1e-12)
    spec = ref.spec_of(network)
    expected_loss, expected_grad = ref.loss_gradient(spec, params, X, T)
    if dtype == np.float64:
        assert_close_to(Y, ref.predict(spec, params, X), 1e-12)
        assert value == pytest.approx(expected_loss, rel=1e-10)
        assert_close_to(grad, expected_grad, 1e-10)
    else:
        # Output activations of size ~scale carry float32 rounding of ~eps * scale. A Python
        # float: pytest.approx rejects a NumPy float32 tolerance (pytest >= 9).
        slack = min(0.1, 100 * float(np.finfo(np.float32).eps) * scale)
        np.testing.assert_allclose(Y, ref.predict(spec, params, X), atol=slack)
        assert value == pytest.approx(expected_loss, rel=slack)


# --- argument checking --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (dict(sizes=(3, 4, 2), hidden="swish"), "hidden activation must be one of"),
        (dict(sizes=(3, 4, 2), hidden="softmax"), "hidden activation must be one of"),
        (dict(sizes=(3, 4, 2), output="tanh"), "output must be one of"),
        (dict(sizes=(3, 4, 2), output="relu"), "output must be one of"),
        (
            dict(sizes=(3, 4, 2), output="identity", loss="cross_entropy"),
            r"loss must be one of \('squared_error',\) for output 'identity', got 'cross_entropy'",
        ),
        (
            dict(sizes=(3, 4, 2), loss="mse"),
            r"loss must be one of \('cross_entropy', 'squared_error'\) for output 'softmax'",
        ),
        (dict(sizes=(3, 4, 2), output="sigmoid", loss="cross-entropy"), "loss must be one of"),
        (dict(sizes=(3, 0, 2)), r"sizes\[1\] must be a positive integer"),
        (dict(sizes=(3, -4, 2)), r"sizes\[1\] must be a positive integer"),
        (dict(sizes=(0, 4, 2)), r"sizes\[0\] must be a positive integer"),
        (dict(sizes=(3, 4, 0)), r"sizes\[2\] must be a positive integer"),
        (dict(sizes=(3, 4.0, 2)), r"sizes\[1\]"),
        (dict(sizes=(3, 4.5, 2)), r"sizes\[1\]"),
        (dict(sizes=(3, "4", 2)), r"sizes\[1\]"),
        (dict(sizes=(3, True, 2)), r"sizes\[1\]"),
        (dict(sizes=(3,)), "sizes must list at least the inputs and outputs"),
        (dict(sizes=()), "sizes must list at least the inputs and outputs"),
        (dict(sizes=(3, 4, 2), bias=False, bias_trick=True), "bias_trick"),
        (dict(sizes=(3, 4, 2), bias="no"), "bias must be True or False, got 'no'"),
        (dict(sizes=(3, 4, 2), bias=1), "bias must be True or False, got 1"),
        (dict(sizes=(3, 4, 2), bias_trick=None), "bias_trick must be True or False, got None"),
    ],
    ids=repr,
)
def test_bad_architecture_is_rejected(kwargs, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        Network(**kwargs)


def test_numpy_integer_widths_are_accepted():
    network = Network((np.int64(3), np.int32(4), 2))
    assert network.sizes == (3, 4, 2) and all(type(s) is int for s in network.sizes)


def test_numpy_bools_are_the_kernels_python_bools():
    network = Network((3, 4, 2), bias=np.True_, bias_trick=np.bool_(False))
    assert type(network.bias) is bool and type(network.bias_trick) is bool


NET = Network((3, 4, 2))
GOOD_X = np.random.default_rng(0).standard_normal((5, 3))
GOOD_T = np.eye(2)[[0, 1, 0, 1, 1]]


def with_value(array, index, value):
    array = np.array(array, dtype=np.float64)
    array[index] = value
    return array


BAD_CALLS = [
    # params: wrong length, wrong number of dimensions, wrong dtype
    (
        dict(params=np.zeros(NET.n_params + 1)),
        ValueError,
        r"params must be a 1-D float32 or float64 array",
    ),
    (dict(params=np.zeros(NET.n_params - 1)), ValueError, r"params .*got dtype float64, shape"),
    (dict(params=np.zeros((1, NET.n_params))), ValueError, r"params must be a 1-D"),
    (dict(params=np.zeros(NET.n_params, np.int64)), ValueError, r"params .*dtype int64"),
    (dict(params=[0] * NET.n_params), ValueError, r"params"),
    (dict(params=np.zeros(NET.n_params, np.float16)), (ValueError, TypeError), r"params"),
    (dict(params=np.zeros(NET.n_params, np.longdouble)), (ValueError, TypeError), r"params"),
    # X: wrong number of columns, dimensions, empty, non-finite, non-numeric
    (dict(X=np.zeros((5, 4))), ValueError, r"X has shape \(5, 4\).*3 columns.*sizes\[0\]"),
    (dict(X=np.zeros((5, 2))), ValueError, r"X has shape \(5, 2\).*sizes\[0\]"),
    (dict(X=np.zeros(3)), ValueError, r"X must be a non-empty 2-D array"),
    (dict(X=np.zeros((0, 3))), ValueError, r"X must be a non-empty 2-D array"),
    (dict(X=with_value(GOOD_X, (2, 1), np.nan)), ValueError, r"X contains NaN or infinity"),
    (dict(X=with_value(GOOD_X, (4, 2), np.inf)), ValueError, r"X contains NaN or infinity"),
    (dict(X=with_value(GOOD_X, (0, 0), -np.inf)), ValueError, r"X contains NaN or infinity"),
    (dict(X=np.full((5, 3), "a")), TypeError, r"X must hold real numbers"),
    (dict(X=np.zeros((5, 3), complex)), TypeError, r"X must hold real numbers"),
    (dict(X=np.zeros((5, 3), object)), TypeError, r"X must hold real numbers"),
    # T: wrong rows or columns, non-finite, non-numeric
    (dict(T=np.eye(2)[[0, 1, 0, 1]]), ValueError, r"T has shape \(4, 2\).*5 rows.*X"),
    (dict(T=np.zeros((5, 3))), ValueError, r"T has shape \(5, 3\).*2 columns.*sizes\[-1\]"),
    (dict(T=np.zeros(5)), ValueError, r"T must be a non-empty 2-D array"),
    (dict(T=with_value(GOOD_T, (1, 1), np.nan)), ValueError, r"T contains NaN or infinity"),
    (dict(T=with_value(GOOD_T, (3, 0), np.inf)), ValueError, r"T contains NaN or infinity"),
    (dict(T=np.full((5, 2), "b")), TypeError, r"T must hold real numbers"),
]


def describe(bad):
    ((name, value),) = bad.items()
    array = np.asarray(value)
    finite = "" if array.dtype.kind not in "fc" or np.isfinite(array).all() else "-nonfinite"
    return f"{name}-{array.dtype}-{'x'.join(map(str, array.shape))}{finite}"


@pytest.mark.parametrize(
    ("bad", "error", "pattern"), BAD_CALLS, ids=[describe(bad) for bad, _, _ in BAD_CALLS]
)
def test_bad_arguments_are_rejected_with_a_message_naming_them(bad, error, pattern):
    args = dict(params=NET.init_params(0), X=GOOD_X, T=GOOD_T) | bad
    with pytest.raises(error, match=pattern):
        NET.loss_gradient(args["params"], args["X"], args["T"])
    if "T" not in bad:
        with pytest.raises(error, match=pattern):
            NET.predict(args["params"], args["X"])


def test_bad_params_are_rejected_by_unpack_pack_and_init():
    with pytest.raises(ValueError, match="params must be a 1-D float32 or float64 array"):
        NET.unpack(np.zeros(NET.n_params + 2))
    with pytest.raises(ValueError, match="scheme must be one of"):
        NET.init_params(0, scheme="uniform")
    with pytest.raises(ValueError, match="expected 2 layers, got 1"):
        NET.pack([(np.zeros((3, 4)), np.zeros(4))])
    with pytest.raises(ValueError, match=r"layer 1 weights must have shape \(4, 2\)"):
        NET.pack([(np.zeros((3, 4)), np.zeros(4)), (np.zeros((2, 4)), np.zeros(2))])
    with pytest.raises(ValueError, match=r"layer 0 bias must have shape \(4,\)"):
        NET.pack([(np.zeros((3, 4)), np.zeros(3)), (np.zeros((4, 2)), np.zeros(2))])
    no_bias = Network((3, 4, 2), bias=False)
    with pytest.raises(ValueError, match="layer 0 has a bias but the network has bias=False"):
        no_bias.pack([(np.zeros((3, 4)), np.zeros(4)), (np.zeros((4, 2)), None)])


def test_loss_names():
    assert Network((2, 2), output="softmax").loss_name == "cross-entropy"
    assert Network((2, 2), output="sigmoid").loss_name == "squared error"
    assert Network((2, 2), output="identity").loss_name == "squared error"


def test_loss_is_a_separate_choice_and_none_is_the_documented_default():
    for output, default in [
        ("softmax", "cross_entropy"),
        ("sigmoid", "squared_error"),
        ("identity", "squared_error"),
    ]:
        network = Network((2, 2), output=output)
        assert network.loss == default == ref.Spec((2, 2), output=output).loss
        assert network == Network((2, 2), output=output, loss=default)
    network = Network((2, 2), output="sigmoid", loss="cross_entropy")
    assert network.loss == "cross_entropy" and network.loss_name == "cross-entropy"
    assert Network((2, 2), output="softmax", loss="squared_error").loss_name == "squared error"


def test_every_table_entry_has_a_kernel_code_and_a_reference_entry():
    """A kernel branches on an entry's position: its named code must be that position. The
    parametrisations above run every entry against tests/network_reference.py."""
    for table, reference_table in [
        (tables.ACTIVATIONS, ref.ACTIVATIONS),
        (tables.LOSSES, ref.LOSSES),
    ]:
        assert [entry.name for entry in table] == list(reference_table), "reference entries"
        for code, entry in enumerate(table):
            assert getattr(tables, entry.name.upper()) == code
    outputs = {entry.name for entry in tables.ACTIVATIONS if entry.loss}
    for entry in tables.LOSSES:
        assert set(entry.outputs) <= outputs
    for name in outputs:  # each output's default loss is defined for it
        assert name in LOSSES[Network((2, 2), output=name).loss].outputs
