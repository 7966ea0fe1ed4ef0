"""The general network on the GPU (``fastbp._cuda_network``) against the NumPy reference and
the CPU kernels: on a GPU when one is present, else on numba-cuda's simulator (the nox
session ``cuda_sim``); skipped without numba-cuda or without either."""

import network_reference as ref
import numpy as np
import pytest
from cases import DTYPES
from fastbp.kernels import cuda_network
from test_network import LAYOUTS, assert_close_to, assert_matches_reference

import fastbp
from fastbp import Network

REASON = fastbp.RUNGS["cuda"].unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=str(REASON))

# (sizes, hidden, output, loss, N): every hidden activation, output and loss, a single sample,
# a single input and output, no hidden layer, two hidden layers, N more than one block of
# threads (128) and not a multiple of it; loss None: the output's default.
SHAPES = [
    ((1, 1), "sigmoid", "identity", None, 1),
    ((1, 3, 1), "tanh", "identity", None, 5),
    ((1, 3, 1), "sigmoid", "sigmoid", None, 7),
    ((4, 2, 2), "relu", "softmax", None, 9),
    ((3, 4, 2), "identity", "identity", None, 3),
    ((2, 3, 3), "sigmoid", "softmax", None, 131),
    ((3, 4, 3, 2), "tanh", "softmax", None, 17),
    ((2, 3, 2, 1), "relu", "sigmoid", "cross_entropy", 11),
    ((4, 2, 2), "relu", "softmax", "squared_error", 9),
    ((2, 3, 2), "tanh", "exp", None, 13),
]


@pytest.fixture
def device():
    """numba.cuda (the simulator's under NUMBA_ENABLE_CUDASIM=1)."""
    from numba import cuda

    return cuda


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("sizes", "hidden", "output", "loss", "N"), SHAPES, ids=str)
def test_predict_loss_and_gradient_match_the_reference(
    device, sizes, hidden, output, loss, N, layout, dtype
):
    network = Network(sizes, hidden=hidden, output=output, loss=loss, **LAYOUTS[layout])
    spec = ref.spec_of(network)
    X, T, params = ref.problem(network, N, seed=N + len(sizes), dtype=dtype)
    Y = network.predict(params, device.to_device(X))
    value, grad = network.loss_gradient(params, device.to_device(X), device.to_device(T))
    assert not isinstance(Y, np.ndarray)  # the outputs stay on the device
    assert type(grad) is np.ndarray and isinstance(value, float)
    assert_matches_reference(spec, params, X, T, Y.copy_to_host(), value, grad)


def test_sample_weights_and_the_penalty_agree_with_the_cpu(device):
    network = Network((3, 4, 2), hidden="tanh")
    X, T, params = ref.problem(network, 29, seed=4)
    weights = np.random.default_rng(4).uniform(0.0, 2.0, 29)
    on_cpu = network.loss_gradient(params, X, T, sample_weight=weights, alpha=0.3)
    on_gpu = network.loss_gradient(
        params, device.to_device(X), device.to_device(T), sample_weight=weights, alpha=0.3
    )
    assert on_gpu[0] == pytest.approx(on_cpu[0], rel=1e-12)
    assert_close_to(on_gpu[1], on_cpu[1], 1e-12)


def test_a_numpy_array_beside_a_device_array_is_copied_there(device):
    network = Network((2, 3, 3))
    X, T, params = ref.problem(network, 10, seed=5)
    mixed = network.loss_gradient(params, device.to_device(X), T)
    assert mixed[0] == network.loss_gradient(params, device.to_device(X), device.to_device(T))[0]
    converted = network.loss_gradient(params, device.to_device(X.astype(np.float32)), T)
    on_device = (device.to_device(a.astype(np.float32)) for a in (X, T))
    assert converted[0] == network.loss_gradient(params, *on_device)[0]


def test_reruns_give_the_same_bits(device):
    network = Network((2, 4, 3), hidden="relu")
    X, T, params = ref.problem(network, 300, seed=6)
    X, T = device.to_device(X), device.to_device(T)
    first, again = (network.loss_gradient(params, X, T) for _ in range(2))
    assert first[0] == again[0] and np.array_equal(first[1], again[1])


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_full_batch_fit_on_the_device_matches_the_cpu(device, dtype):
    network = Network((2, 3, 3))
    X, labels = fastbp.datasets.three_clouds(20)
    X, T = X.astype(dtype), fastbp.datasets.one_hot(labels, 3, dtype)
    settings = dict(learning_rate=0.5, epochs=8, momentum=0.5, seed=3)
    on_gpu = fastbp.fit(network, device.to_device(X), device.to_device(T), **settings)
    on_cpu = fastbp.fit(network, X, T, **settings)
    assert on_gpu.params.dtype == dtype and len(on_gpu.loss_curve) == 8
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    assert_close_to(on_gpu.params, on_cpu.params, tolerance)
    assert on_gpu.loss_curve == pytest.approx(on_cpu.loss_curve, rel=tolerance)


def test_the_limit_and_bad_arrays_are_named(device):
    wide = Network((4, 16, 16, 3))
    X = device.to_device(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"at most 190 parameters .* use NumPy arrays"):
        wide.predict(wide.init_params(), X)
    network = Network((3, 2, 2))
    params = network.init_params()
    with pytest.raises(ValueError, match=r"X must have 3 columns \(sizes\[0\]"):
        network.predict(params, X)
    X = device.to_device(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"T must have 2 columns \(sizes\[-1\]"):
        network.loss_gradient(params, X, device.to_device(np.zeros((5, 3))))
    with pytest.raises(TypeError, match=r"float32 or all float64 .*: T has dtype float32"):
        network.loss_gradient(params, X, device.to_device(np.zeros((5, 2), np.float32)))
    with pytest.raises(ValueError, match="sample_weight must be a 1-D array of 5 numbers"):
        network.loss_gradient(params, X, device.to_device(np.zeros((5, 2))), sample_weight=[1])


def test_a_non_finite_input_is_reported(device):
    network = Network((2, 3, 3))
    X, T, params = ref.problem(network, 8, seed=7)
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="X or T holds NaN or infinity"):
        network.loss_gradient(params, device.to_device(X), device.to_device(T))


@pytest.mark.parametrize(
    "option, pattern",
    [
        (dict(batch_size=10), "batch_size must be None with X and T on a GPU"),
        (dict(validation_fraction=0.2), "validation_fraction must be None"),
        (dict(optimizer="adam"), "optimizer must be 'sgd' with X and T on a GPU"),
        (dict(alpha=0.1), "alpha must be 0.0 with X and T on a GPU"),
    ],
)
def test_fit_on_the_device_names_what_it_does_not_take(device, option, pattern):
    network = Network((2, 3, 3))
    X, T, _ = ref.problem(network, 20, seed=8)
    with pytest.raises(ValueError, match=pattern):
        fastbp.fit(network, device.to_device(X), device.to_device(T), learning_rate=0.1, **option)


def test_the_block_shrinks_so_that_the_sums_fit_in_shared_memory():
    assert cuda_network.block_size((2, 3, 3), True) == 128
    assert cuda_network.values((4, 8, 8, 3), True) == 141
    assert cuda_network.block_size((4, 8, 8, 3), True) == 32
    assert cuda_network.unsupported((4, 8, 8, 3), True) is None
    assert cuda_network.unsupported((2, 17, 1), True) is not None  # a width over the limit
