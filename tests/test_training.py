"""The training driver and the command line."""

import subprocess
import sys

import numpy as np
import pytest

import fastbp
from fastbp.datasets import three_clouds
from fastbp.training import train


def test_three_clouds_reference_run_reaches_high_accuracy():
    X, y = three_clouds(seed=0)
    assert X.shape == (1500, 2) and np.bincount(y).tolist() == [500, 500, 500]
    result = train(X, y)
    assert [r.epoch for r in result.history] == [*range(0, 1000, 100), 1000]
    assert result.final.rate > 0.9
    costs = [r.cost for r in result.history]
    assert costs[-1] > costs[0] and all(c <= 0 for c in costs)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "plain"])
def test_every_rung_trains_to_the_same_parameters(rung, compiled):
    X, y = three_clouds(20, seed=4)
    base = train(X, y, epochs=30, rung="matrix", report_every=10)
    other = train(X, y, epochs=30, rung=rung, compiled=compiled, report_every=10)
    for a, b in zip((base.W1, base.b1, base.W2, base.b2), (other.W1, other.b1, other.W2, other.b2)):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
    assert [r.rate for r in other.history] == [r.rate for r in base.history]


def test_training_is_deterministic_for_a_seed_and_uses_same_parameter_gradients():
    X, y = three_clouds(30, seed=1)
    first, second = train(X, y, epochs=5, seed=7), train(X, y, epochs=5, seed=7)
    np.testing.assert_array_equal(first.W1, second.W1)
    assert train(X, y, epochs=5, seed=8).W1.tolist() != first.W1.tolist()

    # One epoch by hand: all four gradients from the same parameters, then P += lr * dP.
    one = train(X, y, epochs=1, seed=7, learning_rate=0.01)
    zero = train(X, y, epochs=0, seed=7)
    g = fastbp.gradients(X, np.eye(3)[y], zero.W1, zero.b1, zero.W2, zero.b2)
    np.testing.assert_allclose(one.W1, zero.W1 + 0.01 * g.dW1, rtol=1e-12)
    np.testing.assert_allclose(one.W2, zero.W2 + 0.01 * g.dW2, rtol=1e-12)


def test_weights_start_from_the_classic_draws():
    """Standard normal draws for W1, b1, W2, b2 in turn, as the classic code makes them."""
    X, y = three_clouds(10)
    start = train(X, y, epochs=0, hidden=4, seed=3)
    rng = np.random.default_rng(3)
    for got, shape in zip((start.W1, start.b1, start.W2, start.b2), [(2, 4), (4,), (4, 3), (3,)]):
        np.testing.assert_array_equal(got, rng.standard_normal(shape))


def test_callback_sees_every_epoch_and_the_reports():
    X, y = three_clouds(10)
    seen = []
    result = train(X, y, epochs=7, report_every=3, callback=lambda *a: seen.append(a))
    assert [epoch for epoch, _, _ in seen] == list(range(7))
    assert [r for _, _, r in seen if r is not None] == result.history[:-1]
    assert [r.epoch for r in result.history] == [0, 3, 6, 7]


def test_float32_training_stays_float32():
    X, y = three_clouds(50)
    result = train(X, y, epochs=50, dtype=np.float32)
    assert result.W1.dtype == np.float32 and result.final.rate > 0.5


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (dict(learning_rate=0.0), "learning_rate must be a positive finite"),
        (dict(learning_rate=float("nan")), "learning_rate"),
        (dict(hidden=0), "hidden must be a positive integer"),
        (dict(epochs=-1), "epochs"),
        (dict(rung="nope"), "rung must be one of"),
    ],
)
def test_bad_configuration_is_rejected_before_training(kwargs, pattern):
    X, y = three_clouds(5)
    with pytest.raises(ValueError, match=pattern):
        train(X, y, **kwargs)


def test_labels_must_match_the_samples():
    X, y = three_clouds(5)
    with pytest.raises(ValueError, match="T has shape"):
        train(X, y[:-1])
    with pytest.raises(ValueError, match="labels must be class indices"):
        train(X, y - 1)
    with pytest.raises(ValueError, match="X contains NaN"):
        train(np.where(X > 2, np.nan, X), y)


def test_divergence_stops_with_the_epoch():
    X, y = three_clouds(50)
    with pytest.raises(ValueError, match=r"cost became .* at epoch \d+; try a smaller"):
        train(X * 10, y, learning_rate=1e308, epochs=50)


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "fastbp", *args], capture_output=True, text=True, check=False
    )


def test_cli_train_prints_reports_and_final_rate(tmp_path):
    done = _cli("train", "--rung", "loops", "--epochs", "200", "--report-every", "50")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.startswith("epoch") for line in lines) == 5
    rate = float(lines[-1].split("final classification rate:")[1].split()[0])
    assert rate > 0.9


def test_cli_help_and_bad_rung():
    assert "--rung" in _cli("train", "--help").stdout
    bad = _cli("train", "--rung", "nope")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_cli_plot(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "run.png"
    done = _cli("train", "--epochs", "20", "--plot", str(target))
    assert done.returncode == 0, done.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
