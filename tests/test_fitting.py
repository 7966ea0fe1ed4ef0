"""Training the general network with fastbp.fit: agreement with the classic driver, with the
docs/math.md §6.2 Iris update formulas and with a plain-NumPy SGD reference; determinism; the
stopping rule; divergence; argument checking; and the shipped Iris data."""

import math

import network_reference as ref
import numpy as np
import pytest
from fastbp.kernels import network as network_kernels

import fastbp
from fastbp import DivergenceError, Network, fit
from fastbp.datasets import iris, one_hot, three_clouds


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def data(network, N, seed):
    """Inputs and targets of ``ref.problem`` (its parameters are not needed here)."""
    return ref.problem(network, N, seed)[:2]


# --- the classic driver ------------------------------------------------------------------


def test_full_batch_fit_is_the_classic_training_run():
    """docs/math.md §5: fastbp.train does gradient ascent on the summed log-likelihood with
    rate 1e-3; fit descends the mean cross-entropy, so the same steps need rate 1e-3 * N."""
    X, labels = three_clouds(seed=0)
    N = len(X)
    T = one_hot(labels, 3)
    network = Network((2, 3, 3))
    start = network.init_params(0, scheme="normal")  # the classic draws: W1, b1, W2, b2
    original = start.copy()
    epochs = 1000
    classic = fastbp.train(X, labels, hidden=3, learning_rate=1e-3, epochs=epochs, seed=0)
    result = fit(network, X, T, learning_rate=1e-3 * N, epochs=epochs, params=start)
    assert result.stop_reason == f"ran all {epochs} epochs"
    assert len(result.loss_curve) == epochs and result.validation_curve == []
    (fW1, fb1), (fW2, fb2) = network.unpack(result.params)
    for got, expected in zip(
        (fW1, fb1, fW2, fb2), (classic.W1, classic.b1, classic.W2, classic.b2)
    ):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    # Every report but the last is the cost at the start of its epoch: -N * the mean loss.
    *during, last = classic.history
    assert [r.epoch for r in during] == list(range(0, epochs, 100))
    for report in during:
        assert -N * result.loss_curve[report.epoch] == pytest.approx(report.cost, rel=1e-10)
    final_loss, _ = network.loss_gradient(result.params, X, T)
    assert -N * final_loss == pytest.approx(last.cost, rel=1e-9)
    predicted = np.argmax(network.predict(result.params, X), axis=1)
    assert np.mean(predicted == labels) == pytest.approx(last.rate) and last.rate > 0.9
    # The start parameters were copied, not trained in place.
    np.testing.assert_array_equal(start, original)


# --- the Iris tutorial of docs/math.md §6.2 ---------------------------------------------


def test_iris_tutorial_epochs_are_the_spec_update_formulas():
    """4-2-3, sigmoid hidden and output, no biases, half squared error, rate 0.1, full batch.
    All gradients come from the same parameters (docs/math.md §5: no updated-W2 quirk)."""
    X, labels = iris()
    T = one_hot(labels, 3)
    N = len(X)
    network = Network((4, 2, 3), hidden="sigmoid", output="sigmoid", bias=False)
    start = network.init_params(0)
    W1 = start[:8].reshape(4, 2).copy()  # the documented layout: layer by layer, row-major
    W2 = start[8:].reshape(2, 3).copy()
    lr = 0.1
    losses = []
    for _ in range(3):
        Z = sigmoid(X @ W1)
        Y = sigmoid(Z @ W2)
        losses.append(np.sum((Y - T) ** 2) / (2 * N))
        delta_out = (Y - T) * Y * (1 - Y)
        delta_hid = delta_out @ W2.T * Z * (1 - Z)
        W2 = W2 - lr * Z.T @ delta_out / N
        W1 = W1 - lr * X.T @ delta_hid / N
    for epochs in (1, 3):
        result = fit(network, X, T, learning_rate=lr, epochs=epochs, params=start)
        np.testing.assert_allclose(result.loss_curve, losses[:epochs], rtol=1e-12)
    (fW1, b1), (fW2, b2) = network.unpack(result.params)
    assert b1 is None and b2 is None
    np.testing.assert_allclose(fW1, W1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fW2, W2, rtol=1e-12, atol=1e-15)


def test_iris_tutorial_network_descends():
    X, labels = iris()
    network = Network((4, 2, 3), hidden="sigmoid", output="sigmoid", bias=False)
    result = fit(network, X, one_hot(labels, 3), learning_rate=0.1, epochs=500, seed=1)
    assert result.loss_curve[-1] < 0.9 * result.loss_curve[0]
    assert all(np.diff(result.loss_curve) <= 0)  # a small full-batch step only descends


# --- minibatch and per-sample SGD against the NumPy reference ------------------------------

SGD_CASES = [
    # (sizes, hidden, output, loss, N, batch_size); loss None: the output's default
    ((3, 5, 4), "sigmoid", "softmax", None, 37, 1),
    ((3, 5, 4), "tanh", "softmax", None, 37, 5),
    ((3, 5, 4, 2), "relu", "sigmoid", None, 37, 16),
    ((2, 6, 4, 5, 1), "tanh", "identity", None, 23, 4),
    ((3, 4, 2), "identity", "identity", None, 9, 9),  # a batch of all samples: full batch
    ((3, 4, 2), "sigmoid", "sigmoid", None, 600, 300),  # batches larger than one block of 256
    ((200, 170, 3), "relu", "softmax", None, 1100, 1050),  # blocks of 1024: a layer this wide
    # one sample by a 64 x 64 layer as a loop, by a 140 x 120 one in BLAS (kernels.layers)
    ((2, 64, 64, 3), "relu", "softmax", None, 30, 1),
    ((4, 140, 120, 3), "sigmoid", "softmax", None, 24, 1),
    ((3, 5, 4), "tanh", "sigmoid", "cross_entropy", 37, 5),
    ((3, 5, 4), "relu", "softmax", "squared_error", 37, 16),
]


@pytest.mark.parametrize("shuffle", [False, True], ids=["in-order", "shuffled"])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize(
    ("sizes", "hidden", "output", "loss", "N", "batch_size"), SGD_CASES, ids=str
)
def test_sgd_matches_the_numpy_reference(
    sizes, hidden, output, loss, N, batch_size, momentum, shuffle
):
    network = Network(sizes, hidden=hidden, output=output, loss=loss)
    X, T = data(network, N, seed=N)
    epochs, seed, lr = 4, 5, 0.05
    result = fit(
        network, X, T, learning_rate=lr, epochs=epochs, batch_size=batch_size,
        momentum=momentum, shuffle=shuffle, seed=seed,
    )  # fmt: skip
    # The documented defaults: weights from init_params(seed); with shuffling (and more than
    # one batch) a new order per epoch drawn from the seed.
    rng = np.random.default_rng(seed)
    if shuffle and batch_size < N:
        orders = [rng.permutation(N) for _ in range(epochs)]
    else:
        orders = [np.arange(N)] * epochs
    params, curve = ref.sgd(
        ref.spec_of(network), network.init_params(seed), X, T, learning_rate=lr,
        momentum=momentum, batch_size=batch_size, orders=orders,
    )  # fmt: skip
    np.testing.assert_allclose(result.loss_curve, curve, rtol=1e-10)
    np.testing.assert_allclose(result.params, params, rtol=1e-10, atol=1e-12)
    assert np.abs(params - network.init_params(seed)).max() > 1e-3  # training moved them


# fit's settings -> the reference's, for each optimizer and option the estimators use.
OPTIONS = {
    "nesterov": (dict(momentum=0.9, nesterov=True), dict(momentum=0.9, nesterov=True)),
    "l2": (dict(momentum=0.5, alpha=0.3), dict(momentum=0.5, alpha=0.3)),
    "adam": (
        dict(optimizer="adam", beta_1=0.8, beta_2=0.95, epsilon=1e-6),
        dict(momentum=0.0, adam=(0.8, 0.95, 1e-6)),
    ),
    "adam-l2": (
        dict(optimizer="adam", alpha=0.1),
        dict(momentum=0.0, alpha=0.1, adam=(0.9, 0.999, 1e-8)),
    ),
    "invscaling": (dict(momentum=0.9, schedule="invscaling", power_t=0.4), dict(momentum=0.9)),
}


@pytest.mark.parametrize("option", OPTIONS)
def test_optimizers_penalty_and_schedule_match_the_numpy_reference(option):
    network = Network((3, 5, 4), hidden="tanh")
    N, batch_size, epochs, lr, seed = 37, 8, 4, 0.05, 2
    X, T = data(network, N, seed=N)
    ours, theirs = OPTIONS[option]
    result = fit(network, X, T, learning_rate=lr, epochs=epochs, batch_size=batch_size,
                 shuffle=False, seed=seed, **ours)  # fmt: skip
    # invscaling: the rate of epoch e is lr / (samples trained on before it + 1) ** power_t
    rates = [lr / (e * N + 1) ** 0.4 for e in range(epochs)] if option == "invscaling" else None
    params, curve = ref.sgd(
        ref.spec_of(network), network.init_params(seed), X, T, learning_rate=lr,
        batch_size=batch_size, orders=[np.arange(N)] * epochs, rates=rates, **theirs,
    )  # fmt: skip
    np.testing.assert_allclose(result.loss_curve, curve, rtol=1e-10)
    np.testing.assert_allclose(result.params, params, rtol=1e-10, atol=1e-12)


def test_shuffling_changes_the_order_and_so_the_result():
    network = Network((3, 5, 4), hidden="tanh")
    X, T = data(network, 40, seed=1)
    settings = dict(learning_rate=0.1, epochs=3, batch_size=4, seed=2)
    in_order = fit(network, X, T, shuffle=False, **settings)
    shuffled = fit(network, X, T, shuffle=True, **settings)
    assert not np.array_equal(in_order.params, shuffled.params)
    # Full batch: the order is irrelevant to the update (sums), so both agree closely.
    full = [fit(network, X, T, learning_rate=0.1, epochs=3, shuffle=s) for s in (False, True)]
    np.testing.assert_allclose(full[0].params, full[1].params, rtol=1e-12)


def test_a_batch_is_read_from_x_in_place_only_when_its_rows_are_consecutive():
    """The epoch kernel reads a batch's rows where they lie in X only when they are
    consecutive: batches whose first and last samples are those of consecutive rows, but not
    the ones between, train as the same order applied to the data beforehand."""
    from fastbp.kernels import network as kernels

    network = Network((3, 5, 2))
    X, T = data(network, 12, seed=3)
    order = np.array([0, 5, 1, 3, 4, 2, 6, 7, 8, 9, 10, 11])  # the last batch consecutive

    def trained(X, T, order):
        params = network.init_params(0)
        moments, steps = np.zeros((2, len(params))), np.zeros(1, np.int64)
        sgd = kernels.Optimizer(kernels.SGD, 0.9, False, 0.9, 0.999, 1e-8)
        no_stop = kernels.StopRule(-1.0, math.inf, math.inf, 0)
        kernels.train_epochs(params, moments, steps, *network._kernel_args(), X, T, np.empty(0),
                             order[None, :], 4, sgd, np.array([0.5]), 0.0, no_stop,
                             np.empty_like(params), np.empty(1))  # fmt: skip
        return params

    permuted = trained(X[order], T[order], np.arange(len(X)))  # every batch in place
    np.testing.assert_allclose(trained(X, T, order), permuted, rtol=1e-12)


def test_float32_training_stays_float32_and_tracks_float64():
    network = Network((3, 5, 4, 2), hidden="tanh", output="softmax")
    X, T = data(network, 50, seed=3)
    settings = dict(learning_rate=0.05, epochs=5, batch_size=8, momentum=0.5, seed=1)
    single = fit(network, X.astype(np.float32), T.astype(np.float32), **settings)
    double = fit(network, X, T, **settings)
    assert single.params.dtype == np.float32 and double.params.dtype == np.float64
    assert fit(network, X.astype(np.float32), T, epochs=1, learning_rate=0.1).params.dtype == (
        np.float64
    )
    assert fit(network, X, T, epochs=1, learning_rate=0.1, dtype=np.float32).params.dtype == (
        np.float32
    )
    np.testing.assert_allclose(single.params, double.params, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(single.loss_curve, double.loss_curve, rtol=1e-4)


def test_callback_sees_every_epoch():
    network = Network((3, 5, 4))
    X, T = data(network, 30, seed=4)
    seen = []

    def callback(epoch, loss, params):
        seen.append((epoch, loss, params.copy()))

    result = fit(network, X, T, learning_rate=0.1, epochs=6, batch_size=7, callback=callback)
    assert [e for e, _, _ in seen] == list(range(1, 7))  # epochs count from 1
    assert [loss for _, loss, _ in seen] == result.loss_curve
    np.testing.assert_array_equal(seen[-1][2], result.params)
    assert result.params_epoch == 6
    again = fit(network, X, T, learning_rate=0.1, epochs=3, batch_size=7)
    np.testing.assert_array_equal(seen[2][2], again.params)  # the parameters after epoch 3


def test_fit_does_not_modify_the_start_parameters_or_data():
    network = Network((3, 5, 4))
    X, T = data(network, 30, seed=4)
    start = network.init_params(9)
    copies = start.copy(), X.copy(), T.copy()
    result = fit(network, X, T, learning_rate=0.1, epochs=3, params=start, batch_size=4)
    for before, after in zip(copies, (start, X, T)):
        np.testing.assert_array_equal(before, after)
    assert not np.array_equal(result.params, start)


# --- determinism ------------------------------------------------------------------------


def iris_problem():
    X, labels = iris()
    return Network((4, 5, 3), hidden="tanh"), X, one_hot(labels, 3)


def clouds_problem():
    X, labels = three_clouds(100, seed=3)
    return Network((2, 3, 3)), X, one_hot(labels, 3)


@pytest.mark.parametrize("problem", [iris_problem, clouds_problem], ids=["iris", "clouds"])
def test_same_seed_same_result_bitwise_and_another_seed_differs(problem):
    network, X, T = problem()
    settings = dict(
        learning_rate=0.02, epochs=15, batch_size=10, momentum=0.8, validation_fraction=0.2,
        tol=1e-9,
    )  # fmt: skip
    first = fit(network, X, T, seed=11, **settings)
    second = fit(network, X, T, seed=11, **settings)
    np.testing.assert_array_equal(first.params, second.params)
    assert first.loss_curve == second.loss_curve
    assert first.validation_curve == second.validation_curve
    assert first.stop_reason == second.stop_reason
    other = fit(network, X, T, seed=12, **settings)
    assert not np.array_equal(first.params, other.params)
    assert first.loss_curve != other.loss_curve
    # The seed alone changes the result: same start weights, different shuffles.
    start = network.init_params(0)
    a = fit(network, X, T, seed=1, params=start, learning_rate=0.02, epochs=3, batch_size=10)
    b = fit(network, X, T, seed=2, params=start, learning_rate=0.02, epochs=3, batch_size=10)
    assert not np.array_equal(a.params, b.params)


# --- the stopping rule --------------------------------------------------------------------


def stop_epoch(curve, tol, patience):
    """The number of epochs run under the documented rule: stop once the monitored loss has
    failed to drop below its best (so far) minus tol for ``patience`` epochs in a row."""
    best, stale = math.inf, 0
    for epoch, value in enumerate(curve):
        stale = 0 if value < best - tol else stale + 1
        best = min(best, value)
        if stale >= patience:
            return epoch + 1
    return None


def test_tol_stops_training_by_the_documented_rule():
    X, labels = three_clouds(50, seed=2)
    T = one_hot(labels, 3)
    network = Network((2, 3, 3))
    settings = dict(learning_rate=0.5, batch_size=10, momentum=0.5, seed=4)
    tol, patience, epochs = 1e-3, 4, 400
    free = fit(network, X, T, epochs=epochs, **settings)
    expected = stop_epoch(free.loss_curve, tol, patience)
    assert expected is not None and expected < epochs, "test setup: the rule must stop early"
    result = fit(network, X, T, epochs=epochs, tol=tol, n_iter_no_change=patience, **settings)
    assert len(result.loss_curve) == expected
    assert result.loss_curve == free.loss_curve[:expected]
    reason = result.stop_reason
    assert "tol=0.001" in reason and f"{patience} epochs" in reason and "training" in reason
    assert "validation" not in reason
    # Without validation the parameters are those of the last epoch run.
    assert result.params_epoch == expected
    shorter = fit(network, X, T, epochs=expected, **settings)
    np.testing.assert_array_equal(result.params, shorter.params)


def test_whole_numbers_reach_the_kernels_as_the_floats_they_stand_for():
    """alpha=0, tol=0 and learning_rate=1 (Python ints, as scikit-learn's own MLP tests
    pass them) train as 0.0, 0.0 and 1.0 do, on the kernels compiled for those: another
    signature would compile the network's kernels again, for many seconds."""
    network = Network((3, 4, 2))
    X, T = data(network, 12, seed=6)
    kernels = (network_kernels.train_epochs, network_kernels.loss_gradient)
    results, compiled = [], []
    for alpha, tol, learning_rate in ((0.0, 0.0, 1.0), (0, 0, 1)):
        options = dict(learning_rate=learning_rate, alpha=alpha, tol=tol, epochs=3, seed=1)
        results.append(fit(network, X, T, batch_size=4, **options).params)
        results.append(fit(network, X, T, validation_fraction=0.25, **options).params)
        results.append(fit(network, X, T, optimizer="lbfgs", **options).params)
        compiled.append([len(kernel.signatures) for kernel in kernels])
    assert compiled[1] == compiled[0]
    for as_float, as_int in zip(results[:3], results[3:]):
        np.testing.assert_array_equal(as_int, as_float)


def test_without_tol_all_epochs_run():
    network = Network((3, 5, 4))
    X, T = data(network, 30, seed=5)
    result = fit(network, X, T, learning_rate=0.1, epochs=7)
    assert result.stop_reason == "ran all 7 epochs"
    assert len(result.loss_curve) == 7 and result.epochs == 7
    assert result.validation_curve == []
    zero = fit(network, X, T, learning_rate=0.1, epochs=0, seed=3)
    assert zero.loss_curve == [] and zero.stop_reason == "ran all 0 epochs"
    np.testing.assert_array_equal(zero.params, network.init_params(3))


def test_validation_split_returns_the_best_validation_epoch():
    X, labels = iris()
    T = one_hot(labels, 3)
    network = Network((4, 8, 3), hidden="tanh")
    snapshots = []
    fraction, seed = 0.3, 6
    result = fit(
        network, X, T, learning_rate=0.3, epochs=300, batch_size=5, momentum=0.9, seed=seed,
        tol=0.0, n_iter_no_change=5, validation_fraction=fraction,
        callback=lambda epoch, loss, params: snapshots.append(params.copy()),
    )  # fmt: skip
    curve = result.validation_curve
    assert len(curve) == len(result.loss_curve) == len(snapshots)
    assert len(curve) < 300, "test setup: the noisy run should stop early"
    best = int(np.argmin(curve)) + 1  # epochs count from 1
    assert best < len(curve)
    assert "validation" in result.stop_reason and f"epoch {best}" in result.stop_reason
    assert result.params_epoch == best
    np.testing.assert_array_equal(result.params, snapshots[best - 1])
    # The held-out share: round(fraction * N) samples, drawn first from the seed's generator.
    n_valid = round(fraction * len(X))
    held_out = np.random.default_rng(seed).permutation(len(X))[:n_valid]
    loss, _ = network.loss_gradient(result.params, X[held_out], T[held_out])
    assert loss == pytest.approx(min(curve), rel=1e-12)


@pytest.mark.parametrize("tol", [0.0, None])
def test_validation_run_returns_the_parameters_of_the_epoch_it_reports(tol):
    network = Network((3, 5, 4))
    X, T = data(network, 60, seed=7)
    snapshots = []
    result = fit(
        network, X, T, learning_rate=2.0, epochs=10, batch_size=4, momentum=0.9, tol=tol,
        n_iter_no_change=100, validation_fraction=0.25,
        callback=lambda epoch, loss, params: snapshots.append(params.copy()),
    )  # fmt: skip
    assert result.stop_reason.startswith("ran all 10 epochs")
    assert len(result.validation_curve) == 10
    assert 1 <= result.params_epoch <= 10
    np.testing.assert_array_equal(result.params, snapshots[result.params_epoch - 1])
    best = int(np.argmin(result.validation_curve)) + 1
    assert best < 10, "test setup: the best validation epoch must not be the last"
    if tol is not None:  # monitored: the best validation epoch, reported in the reason
        assert result.params_epoch == best
        assert f"epoch {best}, the best on the validation loss" in result.stop_reason
    else:  # not monitored: the last epoch's parameters, whatever the validation loss did
        assert result.params_epoch == 10
        np.testing.assert_array_equal(result.params, snapshots[-1])
        assert result.stop_reason == "ran all 10 epochs"


# --- a full-batch gradient engine --------------------------------------------------------


def network_engine(network):
    """The network's own full-batch loss and gradient, as an engine."""
    return lambda params: lambda X, T: network.loss_gradient(params, X, T)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_an_engine_of_the_network_s_own_gradient_trains_as_fit_does(momentum):
    network = Network((4, 5, 3), hidden="tanh")
    X, labels = iris()
    T = one_hot(labels, 3)
    settings = dict(
        learning_rate=0.5, epochs=40, momentum=momentum, seed=3, tol=1e-4,
        n_iter_no_change=3, validation_fraction=0.2,
    )  # fmt: skip
    own = fit(network, X, T, **settings)
    engine = fit(network, X, T, engine=network_engine(network), **settings)
    np.testing.assert_allclose(engine.loss_curve, own.loss_curve, rtol=1e-12)
    np.testing.assert_allclose(engine.validation_curve, own.validation_curve, rtol=1e-12)
    np.testing.assert_allclose(engine.params, own.params, rtol=1e-11, atol=1e-13)
    assert (engine.stop_reason, engine.params_epoch) == (own.stop_reason, own.params_epoch)


def test_an_engine_is_full_batch_and_stops_on_its_loss():
    network = Network((2, 3, 3))
    X, T = X_OK, T_OK
    with pytest.raises(ValueError, match="batch_size must be None with an engine"):
        fit(network, X, T, learning_rate=0.1, batch_size=4, engine=network_engine(network))
    start = network.init_params(0)

    def engine(params):
        def gradient_at(X, T):  # the gradient of |params|**2 / 2; a NaN loss at epoch 3
            calls.append(params.copy())
            return (math.nan if len(calls) == 3 else 1.0), params

        return gradient_at

    calls = []
    with pytest.raises(DivergenceError) as caught:
        fit(network, X, T, learning_rate=0.1, params=start, engine=engine)
    error = caught.value
    assert error.epoch == 3 and math.isnan(error.loss) and error.result.loss_curve == [1.0, 1.0]
    # No update after the non-finite loss: the parameters it was evaluated at come back.
    np.testing.assert_array_equal(error.result.params, calls[-1])
    np.testing.assert_allclose(error.result.params, start * 0.9**2, rtol=1e-15)


# --- divergence ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("batch_size", "learning_rate", "momentum"), [(None, 1e3, 0.0), (4, 0.05, 0.95)]
)
def test_divergence_raises_with_the_last_finite_parameters(batch_size, learning_rate, momentum):
    network = Network((2, 3, 3), hidden="relu", output="identity")
    X, labels = three_clouds(20, seed=0)
    T = one_hot(labels, 3)
    settings = dict(
        learning_rate=learning_rate, epochs=200, batch_size=batch_size, momentum=momentum
    )
    with pytest.raises(DivergenceError) as caught:
        fit(network, X, T, **settings)
    error = caught.value
    assert isinstance(error, ValueError)
    # Epochs count from 1; diverging after a few good epochs makes the rest meaningful.
    assert isinstance(error.epoch, int) and 1 < error.epoch < 200
    assert f"epoch {error.epoch}" in str(error) and "smaller learning_rate" in str(error)
    assert np.isfinite(error.result.params).all()
    assert len(error.result.loss_curve) == error.epoch - 1
    assert all(math.isfinite(v) for v in error.result.loss_curve)
    # The parameters are exactly those after the last completed epoch.
    assert error.result.params_epoch == error.epoch - 1
    before = fit(network, X, T, **(settings | dict(epochs=error.epoch - 1)))
    np.testing.assert_array_equal(error.result.params, before.params)
    assert before.loss_curve == error.result.loss_curve


# --- bad configuration --------------------------------------------------------------------

NET = Network((2, 3, 3))
X_OK, LABELS_OK = three_clouds(5, seed=1)
T_OK = one_hot(LABELS_OK, 3)
X_NAN = X_OK.copy()
X_NAN[3, 1] = np.nan


def describe(kwargs):
    ((name, value),) = kwargs.items()
    if isinstance(value, np.ndarray):
        finite = "" if np.isfinite(value).all() else "-nonfinite"
        return f"{name}-{'x'.join(map(str, value.shape))}{finite}"
    return f"{name}={getattr(value, '__name__', repr(value))}"


BAD_CONFIGURATIONS = [
    (dict(learning_rate=0), "learning_rate"),
    (dict(learning_rate=0.0), "learning_rate"),
    (dict(learning_rate=-0.1), "learning_rate"),
    (dict(learning_rate=float("nan")), "learning_rate"),
    (dict(learning_rate=float("inf")), "learning_rate"),
    (dict(learning_rate="0.1"), "learning_rate"),
    (dict(learning_rate=True), "learning_rate"),
    (dict(learning_rate=None), "learning_rate"),
    (dict(momentum=1.5), "momentum"),
    (dict(momentum=-0.1), "momentum"),
    (dict(momentum=float("nan")), "momentum"),
    (dict(batch_size=0), "batch_size"),
    (dict(batch_size=-3), "batch_size"),
    (dict(batch_size=2.0), "batch_size"),
    (dict(epochs=-1), "epochs"),
    (dict(epochs=2.5), "epochs"),
    (dict(tol=-1e-3), "tol"),
    (dict(tol=float("nan")), "tol"),
    (dict(n_iter_no_change=0), "n_iter_no_change"),
    (dict(validation_fraction=0), "validation_fraction"),
    (dict(validation_fraction=0.0), "validation_fraction"),
    (dict(validation_fraction=1.5), "validation_fraction"),
    (dict(validation_fraction=1.0), "validation_fraction"),
    (dict(validation_fraction=0.01), "validation_fraction"),  # 0 of 15 samples held out
    (dict(T=T_OK[:-1]), r"T has shape \(14, 3\).*15 rows.*X"),
    (dict(X=X_OK[:-2]), r"T has shape \(15, 3\).*13 rows.*X"),
    (dict(X=X_NAN), "X contains NaN"),
    (dict(T=T_OK[:, :2]), r"T has shape \(15, 2\).*sizes\[-1\]"),
    (dict(X=np.zeros((15, 4))), r"X has shape \(15, 4\).*sizes\[0\]"),
    (dict(params=np.zeros(5)), "params must be a 1-D float32 or float64 array of 21 values"),
    (dict(dtype=np.int64), "dtype"),
    (dict(dtype=np.float16), "dtype"),
]


@pytest.mark.parametrize(
    ("kwargs", "pattern"), BAD_CONFIGURATIONS, ids=[describe(k) for k, _ in BAD_CONFIGURATIONS]
)
def test_bad_configuration_is_rejected_before_training(kwargs, pattern):
    calls = []
    arguments = dict(X=X_OK, T=T_OK, learning_rate=0.1, epochs=5) | kwargs
    with pytest.raises((ValueError, TypeError), match=pattern):
        fit(NET, **arguments, callback=lambda *a: calls.append(a))
    assert calls == []


# --- the shipped Iris data -----------------------------------------------------------------


def test_iris_data():
    X, y = iris()
    assert X.shape == (150, 4) and X.dtype == np.float64
    assert y.shape == (150,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 50, 50]
    np.testing.assert_allclose(X.mean(axis=0), [5.843, 3.057, 3.758, 1.199], atol=5e-4)
    # Well-known ranges (cm): sepal length, sepal width, petal length, petal width.
    np.testing.assert_array_equal(X.min(axis=0), [4.3, 2.0, 1.0, 0.1])
    np.testing.assert_array_equal(X.max(axis=0), [7.9, 4.4, 6.9, 2.5])
    # Setosa (class 0) is the linearly separable one: the shortest petals.
    assert X[y == 0, 2].max() < X[y != 0, 2].min()
    assert fastbp.datasets.IRIS_SPECIES == ("setosa", "versicolor", "virginica")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_state_resumes_the_optimizer_and_is_left_as_it_was(optimizer):
    """Three epochs, or one and then two resumed from its state: the same to the bit; the
    state given is copied, so resuming from it twice gives the same again."""
    network = Network((3, 5, 4), hidden="tanh")
    X, T = data(network, 40, seed=3)
    settings = dict(learning_rate=0.05, batch_size=8, optimizer=optimizer, momentum=0.9,
                    nesterov=True, alpha=0.01, schedule="invscaling", shuffle=False)  # fmt: skip
    whole = fit(network, X, T, epochs=3, **settings)
    first = fit(network, X, T, epochs=1, **settings)
    kept = (first.state.moments.copy(), first.state.steps.copy(), first.state.learning_rate)
    resumed = [
        fit(network, X, T, epochs=2, params=first.params, state=first.state, **settings)
        for _ in range(2)
    ]
    for rest in resumed:
        np.testing.assert_array_equal(rest.params, whole.params)
        assert rest.state.samples == whole.state.samples == 120
    np.testing.assert_array_equal(first.state.moments, kept[0])
    assert (first.state.steps[0], first.state.learning_rate) == (kept[1][0], kept[2])


@pytest.mark.parametrize(
    "settings",
    [
        dict(optimizer="sgd", momentum=0.9, nesterov=True, schedule="invscaling", tol=1e-3),
        dict(optimizer="adam", alpha=1e-3, tol=1e-4, n_iter_no_change=3),
        dict(optimizer="sgd", momentum=0.5, shuffle=False),
    ],
    ids=["nesterov-invscaling", "adam-tol", "in-order"],
)
def test_epochs_in_one_compiled_call_train_as_one_epoch_a_call(settings):
    """Without a callback, fit runs stretches of epochs in one compiled call; a callback
    makes it run one epoch a call: the two runs agree to the bit."""
    network = Network((2, 5, 3))
    X, labels = three_clouds(40, seed=3)
    T = one_hot(labels, 3)
    options = dict(learning_rate=0.2, batch_size=16, epochs=60, seed=2) | settings
    stretched = fit(network, X, T, **options)
    seen = []
    one_by_one = fit(network, X, T, callback=lambda *a: seen.append(a[0]), **options)
    assert seen == list(range(1, one_by_one.epochs + 1))
    assert stretched.loss_curve == one_by_one.loss_curve
    assert stretched.stop_reason == one_by_one.stop_reason
    np.testing.assert_array_equal(stretched.params, one_by_one.params)
    np.testing.assert_array_equal(stretched.state.moments, one_by_one.state.moments)
    assert stretched.state.learning_rate == one_by_one.state.learning_rate
