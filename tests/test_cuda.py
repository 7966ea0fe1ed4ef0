"""Rung cuda against the NumPy reference: on a GPU when one is present, else on numba-cuda's
simulator (``NUMBA_ENABLE_CUDASIM=1``, the nox session ``cuda_sim``, which runs each CUDA
thread as a Python thread: small N and small blocks here). Skipped without numba-cuda or
without either; ``test_validation.py`` checks the error of a missing numba-cuda everywhere."""

import numpy as np
import pytest
import reference
from cases import DTYPES
from fastbp.kernels import cuda as cuda_kernels
from test_agreement import assert_gradients_match

import fastbp
import fastbp.api
from fastbp import registry

REASON = fastbp.RUNGS["cuda"].unavailable()
pytestmark = pytest.mark.skipif(REASON is not None, reason=str(REASON))

# (N, D, M, K): fewer samples than a block, N not a multiple of the blocks below, widths of
# 1, a single class (every gradient exactly 0), the seed shape, the largest widths allowed.
SHAPES = [(1, 2, 3, 3), (13, 1, 1, 2), (37, 2, 3, 3), (6, 3, 4, 1), (19, 4, 4, 4)]
ids = "N{}-D{}-M{}-K{}".format


@pytest.fixture
def device():
    """numba.cuda (the simulator's under NUMBA_ENABLE_CUDASIM=1)."""
    from numba import cuda

    return cuda


@pytest.fixture
def fresh(monkeypatch):
    """No remembered plans or kernels, so that a call looks the rung up again."""
    monkeypatch.setattr(fastbp.api, "PLANS", {})
    registry.kernel.cache_clear()
    yield
    registry.kernel.cache_clear()


def check_forward_and_derivatives(results, X, T, W1, b1, W2, b2, dtype):
    """(Y, Z) and the four derivatives at them against the reference, as test_agreement."""
    (Y, Z), dw1, db1, dw2, db2 = results
    D, (M, K) = X.shape[1], W2.shape
    Y_ref, Z_ref = reference.forward(X, W1, b1, W2, b2)
    reference.assert_close(Z, Z_ref, 1.0, dtype, terms=D + 1, worst_case=True)
    reference.assert_close(Y, Y_ref, 1.0, dtype, terms=D + M + K, worst_case=True)
    exact, magnitude = reference.derivatives(X, Z, T, Y, W2)
    for name, value, ref, size in zip(
        ("w1", "b1", "w2", "b2"), (dw1, db1, dw2, db2), exact, magnitude
    ):
        terms = X.shape[0] * K if name in ("w1", "b1") else X.shape[0]
        try:
            reference.assert_close(value, ref, size, dtype, terms)
        except AssertionError as error:
            raise AssertionError(f"derivative_{name}: {error}") from None


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: ids(*s))
def test_public_functions_match_reference(shape, dtype):
    """Through the API (its default block of 128 threads): NumPy in, NumPy out."""
    X, T, W1, b1, W2, b2 = reference.problem(*shape, dtype=dtype, seed=2)
    Y, Z = fastbp.forward(X, W1, b1, W2, b2, rung="cuda")
    results = (
        (Y, Z),
        fastbp.derivative_w1(X, Z, T, Y, W2, rung="cuda"),
        fastbp.derivative_b1(T, Y, W2, Z, rung="cuda"),
        fastbp.derivative_w2(Z, T, Y, rung="cuda"),
        fastbp.derivative_b2(T, Y, rung="cuda"),
    )
    assert all(type(a) is np.ndarray for a in (Y, Z, *results[1:]))
    check_forward_and_derivatives(results, X, T, W1, b1, W2, b2, dtype)
    result = fastbp.gradients(X, T, W1, b1, W2, b2, rung="cuda")
    assert_gradients_match(result, X, T, W1, b1, W2, b2, dtype)
    cost_ref = reference.log_likelihood(T, reference.forward(X, W1, b1, W2, b2)[0])
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    assert isinstance(result.cost, float)
    assert result.cost == pytest.approx(cost_ref, rel=rtol, abs=rtol)


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("block", [1, 4, 8])
def test_small_blocks_and_a_capped_grid(monkeypatch, block, dtype):
    """Blocks of 1 to 8 threads over N = 37 (no multiple of them), and a grid capped at two
    blocks, so that each thread takes a strided run of several samples."""
    monkeypatch.setattr(cuda_kernels, "MAX_BLOCKS", 2)
    shape = (37, 2, 3, 3)
    X, T, W1, b1, W2, b2 = reference.problem(*shape, dtype=dtype, seed=4)
    kernels = {f: getattr(cuda_kernels, f).for_widths(*shape[1:]) for f in registry.FUNCTIONS}
    Y, Z = kernels["forward"](X, W1, b1, W2, b2, block=block)
    results = (
        (Y, Z),
        kernels["derivative_w1"](X, Z, T, Y, W2, block=block),
        kernels["derivative_b1"](T, Y, W2, Z, block=block),
        kernels["derivative_w2"](Z, T, Y, block=block),
        kernels["derivative_b2"](T, Y, block=block),
    )
    check_forward_and_derivatives(results, X, T, W1, b1, W2, b2, dtype)
    result = cuda_kernels.gradients.for_widths(*shape[1:])(X, T, W1, b1, W2, b2, block=block)
    assert_gradients_match(result, X, T, W1, b1, W2, b2, dtype)


def test_gradients_into_given_arrays():
    X, T, W1, b1, W2, b2 = reference.problem(13, 2, 3, 3, seed=8)
    out = [np.full_like(a, np.nan) for a in (W1, b1, W2, b2)]
    result = fastbp.gradients(X, T, W1, b1, W2, b2, rung="cuda", out=out)
    expected = fastbp.gradients(X, T, W1, b1, W2, b2, rung="cuda")
    assert all(got is given for got, given in zip(result[:4], out))
    for got, value in zip(result, expected):
        np.testing.assert_array_equal(got, value, strict=True)


def test_reruns_give_the_same_bits():
    """Block partials added in block order: no result depends on the order threads finish."""
    X, T, W1, b1, W2, b2 = reference.problem(300, 2, 3, 3, seed=5)
    first = fastbp.gradients(X, T, W1, b1, W2, b2, rung="cuda")
    again = fastbp.gradients(X, T, W1, b1, W2, b2, rung="cuda")
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b, strict=True)


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_device_arrays_are_read_in_place_and_results_stay_there(device, dtype):
    """Device inputs (numba's): device results, the same values as from NumPy inputs."""
    X, T, W1, b1, W2, b2 = reference.problem(13, 2, 3, 3, dtype=dtype, seed=6)
    dX, dT = device.to_device(X), device.to_device(T)
    Y, Z = fastbp.forward(X, W1, b1, W2, b2, rung="cuda")
    dY, dZ = fastbp.forward(dX, W1, b1, W2, b2)  # rung=None: device arrays pick cuda
    on_host = {
        "Y": Y,
        "dW1": fastbp.derivative_w1(X, Z, T, Y, W2, rung="cuda"),
        "db1": fastbp.derivative_b1(T, Y, W2, Z, rung="cuda"),
        "dW2": fastbp.derivative_w2(Z, T, Y, rung="cuda"),
        "db2": fastbp.derivative_b2(T, Y, rung="cuda"),
    }
    dY_host, dZ_host = dY.copy_to_host(), dZ.copy_to_host()
    on_device = {
        "Y": dY,
        "dW1": fastbp.derivative_w1(dX, dZ, dT, dY, W2),
        "db1": fastbp.derivative_b1(dT, dY, device.to_device(W2), dZ, rung="cuda"),
        "dW2": fastbp.derivative_w2(dZ, dT, dY),
        "db2": fastbp.derivative_b2(dT, dY),
    }
    np.testing.assert_array_equal(dZ_host, Z, strict=True)
    for name, value in on_device.items():
        assert not isinstance(value, np.ndarray), name
        np.testing.assert_array_equal(value.copy_to_host(), on_host[name], strict=True)
    result = fastbp.gradients(X, T, W1, b1, W2, b2, rung="cuda")
    on_gpu = fastbp.gradients(dX, dT, W1, b1, W2, b2)
    for a, b in zip(result[:4], on_gpu[:4]):
        np.testing.assert_array_equal(b.copy_to_host(), a, strict=True)
    assert on_gpu.cost == result.cost
    assert fastbp.cost(dT, dY_host) == fastbp.cost(T, dY_host)


def test_device_arrays_are_checked(device):
    X, T, W1, b1, W2, b2 = reference.problem(13, 2, 3, 3, seed=7)
    dX, dT = device.to_device(X), device.to_device(T)
    with pytest.raises(ValueError, match="W2 has shape"):
        fastbp.gradients(dX, dT, W1, b1, W2[:2], b2)
    with pytest.raises(TypeError, match="must all be float32 or all float64"):
        fastbp.gradients(dX, device.to_device(T.astype(np.float32)), W1, b1, W2, b2)
    with pytest.raises(TypeError, match="W1 must hold real numbers"):
        fastbp.gradients(dX, dT, W1.astype(complex), b1, W2, b2)
    # host arrays beside device ones are copied there in the device arrays' dtype
    in_float32 = fastbp.gradients(
        device.to_device(X.astype(np.float32)), dT.copy_to_host().tolist(), W1, b1, W2, b2
    )
    assert in_float32.dW1.dtype == np.float32
    with pytest.raises(ValueError, match="rung='cuda'"):
        fastbp.gradients(dX, dT, W1, b1, W2, b2, rung="narrow")
    with pytest.raises(TypeError, match="out is for NumPy arrays"):
        fastbp.gradients(dX, dT, W1, b1, W2, b2, out=[np.empty_like(a) for a in (W1, b1, W2, b2)])
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        fastbp.gradients(device.to_device(X), dT, W1, b1, W2, b2)
    assert np.isnan(
        fastbp.gradients(device.to_device(X), dT, W1, b1, W2, b2, check_finite=False).cost
    )


def test_shapes_beyond_the_limit_name_a_cpu_rung():
    D, M, K = 4, 5, 4  # 20 + 5 + 20 + 4 + 1 = 50 sums a thread
    assert not fastbp.RUNGS["cuda"].supports(D, M, K)
    assert fastbp.RUNGS["cuda"].supports(4, 4, 4)
    X, T, W1, b1, W2, b2 = reference.problem(5, D, M, K)
    with pytest.raises(ValueError, match="use a CPU rung"):
        fastbp.gradients(X, T, W1, b1, W2, b2, rung="cuda")
    with pytest.raises(ValueError, match="use a CPU rung"):
        fastbp.train(X, np.arange(5) % K, hidden=M, epochs=1, rung="cuda")


def test_a_block_must_fit_in_shared_memory():
    kernel = cuda_kernels.gradients.for_widths(4, 4, 4)  # 41 sums: 41 * 8 * 256 > 48 KiB
    X, T, W1, b1, W2, b2 = reference.problem(5, 4, 4, 4)
    with pytest.raises(ValueError, match="shared memory"):
        kernel(X, T, W1, b1, W2, b2, block=256)
    with pytest.raises(ValueError, match="power of two"):
        kernel(X, T, W1, b1, W2, b2, block=12)


def test_compiled_false_has_no_plain_twin(fresh):
    X, _, W1, b1, W2, b2 = reference.problem(5, 2, 3, 3)
    with pytest.raises(ValueError, match="no plain-Python twin"):
        fastbp.forward(X, W1, b1, W2, b2, rung="cuda", compiled=False)
    with pytest.raises(ValueError, match="no plain-Python twin"):
        fastbp.train(X, np.arange(5) % 3, epochs=1, rung="cuda", compiled=False)


def test_without_a_gpu_the_error_says_so(monkeypatch, device, fresh):
    monkeypatch.setattr(device, "is_available", lambda: False)
    X, T, W1, b1, W2, b2 = reference.problem(5, 2, 3, 3)
    assert fastbp.RUNGS["cuda"].unavailable() == cuda_kernels.NO_GPU
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        fastbp.gradients(X, T, W1, b1, W2, b2, rung="cuda")


def test_rung_none_picks_the_gpu_only_when_a_real_one_is_present():
    picked = fastbp.choose_rung(10**6, 2, 3, 3)
    assert (picked == "cuda") == cuda_kernels.gpu_present()
    assert fastbp.choose_rung(registry.CUDA_SAMPLES - 1, 2, 3, 3) != "cuda"
    assert fastbp.choose_rung(10**6, 8, 8, 8) != "cuda"  # beyond the rung's shapes


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_train_on_the_device_matches_the_cpu(dtype):
    """The same run as rung narrow's: the same reports and parameters, to rounding."""
    X, labels = fastbp.datasets.three_clouds(n_per_class=7)
    options = dict(epochs=12, report_every=5, learning_rate=0.05, dtype=dtype)
    on_gpu = fastbp.train(X, labels, rung="cuda", **options)
    on_cpu = fastbp.train(X, labels, rung="narrow", **options)
    assert on_gpu.rung == "cuda"
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert [r.epoch for r in on_gpu.history] == [0, 5, 10, 12]
    for gpu, cpu in zip(on_gpu.history, on_cpu.history):
        assert gpu.cost == pytest.approx(cpu.cost, rel=rtol)
        assert gpu.rate == cpu.rate
    np.testing.assert_allclose(
        on_gpu.fit_result.loss_curve, on_cpu.fit_result.loss_curve, rtol=rtol
    )
    for got, expected in zip(
        (on_gpu.W1, on_gpu.b1, on_gpu.W2, on_gpu.b2), (on_cpu.W1, on_cpu.b1, on_cpu.W2, on_cpu.b2)
    ):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)


def test_train_reads_the_labels_on_the_device_not_the_one_hot_targets():
    """train's kernel reads a 4-byte label a sample where the gradients kernel reads K
    values of T; both give the same sums."""
    X, labels = fastbp.datasets.three_clouds(n_per_class=5)
    T = fastbp.datasets.one_hot(labels, 3)
    trainer = cuda_kernels.Trainer(X, labels, 3, 4)
    assert trainer.labels.dtype == np.int32 and trainer.labels.shape == (len(X),)
    assert "labels[i] == 2" in cuda_kernels.source("train", 2, 4, 3)
    W1, b1, W2, b2 = reference.problem(len(X), 2, 4, 3, seed=3)[2:]
    costs = np.empty(1)
    layers = [a.copy() for a in (W1, b1, W2, b2)]
    trainer.ascend(*layers, np.float64(1.0), costs)  # one step at rate 1: the gradients
    expected = fastbp.gradients(X, T, W1, b1, W2, b2, rung="cuda")
    assert costs[0] == pytest.approx(expected.cost, rel=1e-12)
    for got, start, gradient in zip(layers, (W1, b1, W2, b2), expected[:4]):
        np.testing.assert_allclose(got - start, gradient, rtol=1e-10, atol=1e-12)


# The simulator's threads do not inherit train's np.errstate: the overflow warns there.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_train_stops_at_the_first_non_finite_cost():
    """As on the CPU: the epoch whose cost is not finite is not updated from."""
    X, labels = fastbp.datasets.three_clouds(n_per_class=4)
    options = dict(learning_rate=1e308, epochs=4)
    with pytest.raises(fastbp.DivergenceError) as on_gpu:
        fastbp.train(X * 10, labels, rung="cuda", **options)
    with pytest.raises(fastbp.DivergenceError) as on_cpu:
        fastbp.train(X * 10, labels, rung="narrow", **options)
    assert str(on_gpu.value) == str(on_cpu.value)
    assert on_gpu.value.epoch == on_cpu.value.epoch > 1
    gpu, cpu = on_gpu.value.result, on_cpu.value.result
    np.testing.assert_allclose(gpu.loss_curve, cpu.loss_curve, rtol=1e-12)
    np.testing.assert_allclose(gpu.params, cpu.params, rtol=1e-12)
