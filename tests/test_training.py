"""The training driver and the command line."""

import math
import os
import signal
import subprocess
import sys
import time

import numba
import numpy as np
import pytest
import reference
from fastbp.kernels import ascent

import fastbp
from fastbp import DivergenceError
from fastbp.__main__ import main
from fastbp.datasets import three_clouds
from fastbp.training import InMemory, TrainData, train


def test_three_clouds_reference_run_reaches_high_accuracy():
    X, y = three_clouds(seed=0)
    assert X.shape == (1500, 2) and np.bincount(y).tolist() == [500, 500, 500]
    result = train(X, y)
    assert [r.epoch for r in result.history] == [*range(0, 1000, 100), 1000]
    assert result.final.rate > 0.9
    costs = [r.cost for r in result.history]
    assert costs[-1] > costs[0] and all(c <= 0 for c in costs)


def reference_training(X, labels, epochs, report_every, learning_rate=1e-3, hidden=3, seed=0):
    """docs/math.md §5 in plain NumPy on tests/reference.py: from the classic start
    (reference.classic_start), P += learning_rate * dP with all four gradients taken at
    the same parameters; the classification rate every report_every epochs and at the end."""
    K = int(labels.max()) + 1
    T = np.eye(K)[labels]
    W1, b1, W2, b2 = reference.classic_start(X.shape[1], hidden, K, seed)
    rates = []
    for epoch in range(epochs + 1):
        Y, Z = reference.forward(X, W1, b1, W2, b2)
        if epoch % report_every == 0 or epoch == epochs:
            rates.append(float(np.mean(np.argmax(Y, axis=1) == labels)))
        if epoch == epochs:
            break
        (dW1, db1, dW2, db2), _ = reference.derivatives(X, Z, T, Y, W2)
        W1, b1 = W1 + learning_rate * dW1, b1 + learning_rate * db1
        W2, b2 = W2 + learning_rate * dW2, b2 + learning_rate * db2
    return (W1, b1, W2, b2), rates


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "plain"])
def test_every_rung_trains_to_the_reference_parameters(rung, compiled):
    X, y = three_clouds(20, seed=4)
    expected, rates = reference_training(X, y, epochs=30, report_every=10)
    start = reference.classic_start(X.shape[1], 3, 3, 0)
    assert max(np.abs(a - b).max() for a, b in zip(expected, start)) > 1e-2  # it trained
    result = train(X, y, epochs=30, rung=rung, compiled=compiled, report_every=10)
    for got, want in zip((result.W1, result.b1, result.W2, result.b2), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert [r.rate for r in result.history] == rates


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
    expected = reference.classic_start(2, 4, 3, seed=3)
    for got, want in zip((start.W1, start.b1, start.W2, start.b2), expected):
        np.testing.assert_array_equal(got, want)


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


def test_in_memory_data_is_what_train_reads():
    X, y = three_clouds(5)
    assert isinstance(InMemory(X, y, 3, np.float64, None, False), TrainData)


def test_labels_must_match_the_samples():
    X, y = three_clouds(5)
    with pytest.raises(ValueError, match="labels has 14 entries for the 15 rows of X"):
        train(X, y[:-1])
    with pytest.raises(ValueError, match="labels must be class indices"):
        train(X, y - 1)
    with pytest.raises(ValueError, match="X contains NaN"):
        train(np.where(X > 2, np.nan, X), y)


def test_divergence_stops_with_the_epoch():
    X, y = three_clouds(50)
    with pytest.raises(DivergenceError, match=r"cost became .* at epoch \d+; try a smaller"):
        train(X * 10, y, learning_rate=1e308, epochs=50)


def test_saturated_softmax_reports_the_kernels_finite_cost():
    # A huge rate saturates the softmax: probabilities of the true class underflow to 0, yet
    # the log-likelihood (from the logits, as the kernels compute it) stays finite.
    X, labels = three_clouds(20)
    result = train(X, labels, learning_rate=1e10, epochs=50)
    final = result.history[-1]
    T = fastbp.datasets.one_hot(labels, 3)
    Y, _ = fastbp.forward(X, result.W1, result.b1, result.W2, result.b2)
    assert (Y[T == 1] == 0).any()  # log(Y) alone would give -inf
    expected = fastbp.gradients(X, T, result.W1, result.b1, result.W2, result.b2).cost
    assert math.isfinite(final.cost) and final.cost == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("compiled", [True, False])
def test_divergence_is_fits_error_with_the_epochs_before(compiled):
    X, y = three_clouds(20)
    reports = []

    def record(epoch, cost, report):
        reports.append(cost)

    with pytest.raises(DivergenceError) as caught:
        train(X * 10, y, learning_rate=1e308, epochs=50, compiled=compiled, callback=record)
    error = caught.value
    assert isinstance(error, ValueError)  # what train raised before
    held = error.result
    # the epochs before the failing one, as fit counts them (from 1), and their -cost
    assert error.epoch == held.params_epoch + 1 == len(reports) + 1 > 1
    np.testing.assert_array_equal(held.loss_curve, [-cost for cost in reports])
    assert not math.isfinite(error.loss)
    assert held.network.sizes == (2, 3, 3) and held.params.shape == (held.network.n_params,)


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "fastbp", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the print
def test_a_compiled_gradients_kernel_that_raises_stops_the_compiled_loop():
    # The compiled loop calls the rung's kernel through its C wrapper, which prints an
    # exception instead of raising it (kernels.ascent._KernelPointer): the loop must stop.
    @numba.njit
    def gradients_into(X, T, W1, b1, W2, b2, dW1, db1, dW2, db2):
        if X[0, 0] > 0.0:
            raise MemoryError("no memory for the gradients")
        for out in (dW1.reshape(-1), db1, dW2.reshape(-1), db2):
            for i in range(out.shape[0]):
                out[i] = 0.0
        return 0.0  # a cost of 0 with all gradients 0: a successful call, not a failure

    run = ascent.compiled_for(gradients_into)
    X, T = np.zeros((4, 2)), np.eye(3)[[0, 1, 2, 0]]
    layers = [np.ones((2, 3)), np.ones(3), np.ones((3, 3)), np.ones(3)]
    assert run(X, T, *layers, 0.1, np.empty(2)) == 2
    X[0, 0] = 1.0
    with pytest.raises(RuntimeError, match="gradients kernel failed"):
        run(X, T, *layers, 0.1, np.empty(2))
    assert all((layer == 1.0).all() for layer in layers)


@pytest.mark.slow
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


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--epochs", "-5"],
        ["train", "--epochs", "ten"],
        ["train", "--learning-rate", "0"],
        ["train", "--learning-rate", "nan"],
        ["train", "--hidden", "0"],
        ["train", "--seed", "-1"],
        ["train", "--report-every", "0"],
        ["train", "--samples-per-class", "0"],
        ["example", "iris", "--epochs", "-1"],
        ["example", "iris", "--learning-rate", "-0.1"],
        ["study", "--repeat", "0"],
        ["study", "--min-time", "inf"],
    ],
)
def test_cli_bad_option_is_a_usage_error(args, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and f"argument {args[-2]}: must be" in errors[0]


@pytest.mark.skipif(fastbp.RUNGS["cuda"].unavailable() is None, reason="rung cuda runs here")
@pytest.mark.parametrize("where", [[], ["--dask"]])
def test_cli_a_rung_that_cannot_run_here_is_a_usage_error_before_anything_starts(where, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["train", *where, "--rung", "cuda"])
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no cluster started, nothing trained
    assert captured.err.splitlines()[-1].endswith(fastbp.RUNGS["cuda"].unavailable())


def test_cli_divergence_is_one_line_and_status_1():
    done = _cli("train", "--learning-rate", "1e308", "--epochs", "50")
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.splitlines()  # no usage text, no traceback
    assert line.startswith("python -m fastbp train: error: the cost became")
    assert line.endswith("try a smaller learning_rate")


@pytest.mark.parametrize("command", [["train"], ["study", "--sizes", "seed"]])
def test_cli_plot_without_matplotlib_fails_first(command, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    with pytest.raises(SystemExit) as stopped:
        main([*command, "--plot", "out.png"])
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing ran
    assert captured.err.splitlines()[-1].endswith(
        "--plot needs matplotlib: pip install 'fastbp[plot]'"
    )


def test_cli_plot(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "run.png"
    done = _cli("train", "--epochs", "20", "--plot", str(target))
    assert done.returncode == 0, done.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


INTERRUPT_PROBE = """
import signal
import sys
import time
import numpy as np
from fastbp import Network, TrainingInterrupted, fit, train
from fastbp.datasets import one_hot, three_clouds
# Ctrl-C as in a terminal: a process inherits an ignored SIGINT, and a test worker's may be
signal.signal(signal.SIGINT, signal.default_int_handler)
X, y = three_clouds(seed=0)
if sys.argv[1] == "train":
    run = lambda epochs: train(X, y, epochs=epochs, report_every=10**6)
    params = lambda result: np.concatenate([result.W1, result.b1, result.W2, result.b2], None)
else:
    options = dict(learning_rate=0.01, batch_size=32, seed=1)
    run = lambda epochs: fit(Network((2, 3, 3)), X, one_hot(y, 3), epochs=epochs, **options)
    params = lambda result: result.params
run(2)  # compiled (or loaded from the cache) before the long run
print("started", flush=True)
try:
    run(10**6)
except TrainingInterrupted as stop:
    print("stopped", time.process_time(), flush=True)
    again = run(stop.epochs)  # the same epochs, uninterrupted
    same = np.array_equal(params(stop.result), params(again))
    print(stop.epochs, same, flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("function", ["train", "fit"])
def test_ctrl_c_stops_a_long_run_within_a_second_keeping_the_completed_epochs(function):
    """SIGINT reaches a run of compiled stretches of epochs: it stops within about a second
    of the run's own time (a stretch is bounded to fitting.STRETCH_SECONDS), raising
    TrainingInterrupted whose result holds exactly the parameters of the epochs it completed.

    The probe runs on one Numba thread and its CPU time is measured, not the wall clock's:
    with the other test worker's threads on the same two cores, a probe given a fraction of
    a core took 1.7 s of wall time to stop (seen beside tests/test_dask.py), and a probe on
    two threads 1.2 s of CPU (threads waiting for each other count), while an unbounded
    stretch would run on for minutes. Stretches end the same way on any rung."""
    probe = subprocess.Popen(
        [sys.executable, "-c", INTERRUPT_PROBE, function],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "NUMBA_NUM_THREADS": "1"},
    )
    assert probe.stdout.readline() == "started\n"
    time.sleep(1.0)  # the stretches have grown to their full length
    at_signal = cpu_seconds(probe.pid)
    probe.send_signal(signal.SIGINT)
    word, at_stop = probe.stdout.readline().split()
    assert word == "stopped"  # the interrupted run has returned
    epochs, same = probe.stdout.readline().split()
    probe.wait(timeout=60)
    assert probe.returncode == 0 and float(at_stop) - at_signal < 1.0
    assert int(epochs) > 10 and same == "True"


def cpu_seconds(pid):
    """The process's CPU time so far, its threads' user and system time (Linux's
    /proc/PID/stat, in clock ticks), on the clock of its ``time.process_time()``."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()  # from the state, the 3rd field
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_callback_every_cuts_stretches_without_changing_the_run():
    X, y = three_clouds(20)
    default, every = [], []
    first = train(X, y, epochs=9, report_every=4, callback=lambda *a: default.append(a))
    second = train(
        X, y, epochs=9, report_every=4, callback=lambda *a: every.append(a), callback_every=2
    )
    assert default == every and len(every) == 9
    np.testing.assert_array_equal(first.W1, second.W1)
    with pytest.raises(ValueError, match="callback_every"):
        train(X, y, epochs=9, callback_every=0)
