"""The study command runs end to end (tiny settings; its timings are not checked here)."""

import json
import time

import numpy as np
import pytest
import reference

import fastbp
from fastbp.__main__ import main
from fastbp.peers import EPOCH_PEERS, PEERS
from fastbp.registry import RUNGS
from fastbp.study import cases, course, networks, rungs, tables, threads, timing
from fastbp.study.main import run
from fastbp.study.probe import first_calls


def test_study_times_every_rung_and_writes_json(tmp_path, capsys):
    out = tmp_path / "study.json"
    results = run(["seed"], repeat=1, min_time=0.001, json_path=str(out), settle=0)
    names = [t["name"] for t in results["sizes"]["seed"]["timings"]]
    assert names[0] == rungs.CLASSIC == results["classic"]  # the baseline, in the same rounds
    assert names[1] == timing.FLOOR == results["floor"]  # the products alone, likewise
    for name, rung in RUNGS.items():  # cuda: compiled only, where a GPU (or the simulator) is
        here = rung.unavailable() is None
        assert (f"{name}/compiled" in names) == here
        assert (f"{name}/plain" in names) == (here and rung.plain_twin)
    assert any(name.startswith("default (") for name in names)
    assert all(len(t["seconds"]) == 1 for t in results["sizes"]["seed"]["timings"])
    assert all(len(t["seconds"]) == 1 for t in results["training"])  # no more rounds than asked
    saved = json.loads(out.read_text())
    assert saved["environment"]["numba"] and saved["environment"]["date"].startswith("20")
    # The load beside every table: each one the study printed, at the time it printed it.
    assert set(saved["load_average"]) == {"sizes.seed", "call_overhead", "training"}
    assert all(len(load) == 3 for load in saved["load_average"].values())
    assert [t["name"] for t in results["training"]][:3] == [
        f"train: {rungs.CLASSIC}",
        "train: matrix/plain",
        "train: default",
    ]
    printed = capsys.readouterr().out
    assert "vs classic" in printed and "loops/compiled" in printed and "1000 epochs" in printed
    assert "x floor" in printed
    assert printed.count("load average (1, 5, 15 min): ") == 3


def test_the_floor_makes_the_steps_five_products():
    p = cases.make_problem(50, 4, 6, 3)
    dW1, dW2 = timing.products_alone([p.W1, p.W2], p.X, len(p.X))()
    A = p.X @ p.W1 @ p.W2
    np.testing.assert_allclose(dW2, (p.X @ p.W1).T @ A, rtol=1e-12)
    np.testing.assert_allclose(dW1, p.X.T @ (A @ p.W2.T), rtol=1e-12)


def test_the_network_floor_makes_the_epochs_products():
    rng = np.random.default_rng(1)
    layers = [rng.standard_normal(shape) for shape in [(4, 5), (5, 6), (6, 3)]]
    X = rng.standard_normal((10, 4))
    _, W2, W3 = layers
    gradients = timing.products_alone(layers, X, 4)()  # the last batch's: rows 8 and 9
    H = [X[8:]]
    for W in layers:
        H.append(H[-1] @ W)
    E3 = H[3]
    E2 = E3 @ W3.T
    for got, want in zip(gradients, [H[0].T @ (E2 @ W2.T), H[1].T @ E2, H[2].T @ E3]):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_slow_rungs_are_left_out_of_large_sizes():
    p = cases.make_problem(10, 2, 3, 3)
    args = (p.X, p.T, *p.params)
    calls = rungs.candidates((100_000, 2, 3, 3), args, peers=False)
    assert "loops/plain" not in calls and rungs.CLASSIC in calls and "loops/compiled" in calls
    wide = rungs.candidates((10_000, 784, 256, 10), args, peers=False)
    assert "loops/compiled" not in wide and "fused/compiled" in wide


def test_skip_policy_at_the_named_sizes():
    """What asv_benchmarks/README.md says is skipped, and nothing else."""
    cpu = [name for name, rung in RUNGS.items() if rung.plain_twin]  # cuda: below
    plain = {
        rung: [size for size, shape in cases.SIZES.items() if cases.runs(shape, rung, False)]
        for rung in cpu
    }
    everywhere, seed_and_wide = list(cases.SIZES), ["seed", "small-wide"]
    assert plain == {
        rung: {"matrix": everywhere, "rows": seed_and_wide, "outer": seed_and_wide}.get(
            rung, ["seed"]
        )
        for rung in cpu
    }
    skipped = [
        (size, rung)
        for size, shape in cases.SIZES.items()
        for rung in cpu
        if not cases.runs(shape, rung, True)
    ]
    # compiled loops at mnist-like: too slow; the narrow rungs have no kernels for wide layers
    assert skipped == [
        ("small-wide", "narrow"),
        ("small-wide", "narrow_parallel"),
        ("mnist-like", "loops"),
        ("mnist-like", "narrow"),
        ("mnist-like", "narrow_parallel"),
    ]
    assert [r for r in RUNGS if cases.runs_training(r, False)] == ["matrix"]
    # cuda: compiled where it runs (a GPU, or the simulator) and for the shapes it supports
    here = RUNGS["cuda"].unavailable() is None
    for shape in cases.SIZES.values():
        assert not cases.runs(shape, "cuda", False)
        assert cases.runs(shape, "cuda", True) == (here and RUNGS["cuda"].supports(*shape[1:]))
    assert cases.runs_training("cuda", True) == here


def test_problems_are_fixed_and_their_forward_pass_is_fastbps():
    p = cases.problem("seed")
    again = cases.problem("seed", forward=False)
    np.testing.assert_array_equal(p.X, again.X)
    np.testing.assert_array_equal(p.W2, again.W2)
    assert again.Z is None and again.Y is None
    Y, Z = fastbp.forward(p.X, *p.params)
    np.testing.assert_allclose(Y, p.Y, rtol=1e-12)
    np.testing.assert_allclose(Z, p.Z, rtol=1e-12)
    assert not np.array_equal(cases.problem("small-wide").X[:, :2], p.X)


@pytest.mark.parametrize("rung", [None, "matrix"])
def test_course_step_computes_fastbps_gradients(rung):
    """The study's baseline does the same work as a fastbp step: the course functions give
    fastbp's four gradients and cost (docs/math.md §2-§3) at the seed case."""
    p = cases.problem("seed", forward=False)
    args = (p.X, p.T, *p.params)
    for got, expected in zip(course.step(*args), fastbp.gradients(*args, rung=rung)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def test_course_training_loop_trains_like_fastbp():
    """The baseline training run is fastbp.train's: the same updates from the same start
    (docs/math.md §5), and the same reports."""
    from fastbp.datasets import three_clouds

    X, labels = three_clouds()
    start = fastbp.train(X, labels, epochs=0)
    params, reports = course.train(X, labels, start.W1, start.b1, start.W2, start.b2, epochs=200)
    expected = fastbp.train(X, labels, epochs=200, rung="matrix", compiled=False)
    for got, want in zip(params, (expected.W1, expected.b1, expected.W2, expected.b2)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(reports, [(r.epoch, r.cost, r.rate) for r in expected.history])


def test_call_overhead_case_feeds_the_kernel_as_the_api_does():
    """The premise of the overhead's measurements (the study's and asv's bench_overhead): the
    N = 8 arrays need no conversion, and each bare kernel of ``cases.call_overhead_calls``
    computes what the public call beside it does (with ``out=``: into the same buffers)."""
    p = cases.call_overhead_problem()
    args = (p.X, p.T, *p.params)
    assert cases.CALL_OVERHEAD == (8, 2, 3, 3)
    assert all(a.dtype == np.float64 and a.flags.c_contiguous for a in args)
    expected = fastbp.gradients(*args)
    public, bare = cases.call_overhead_calls(into=False).values()
    for results in (public(), bare()):
        for got, want in zip(results, expected):
            np.testing.assert_array_equal(got, want)
    public_into, bare_into = cases.call_overhead_calls(into=True).values()
    *out, log_likelihood = public_into()  # the out= buffers and the log-likelihood
    for got, want in zip((*out, log_likelihood), expected):
        np.testing.assert_array_equal(got, want)
    for buffer in out:
        buffer.fill(np.nan)
    assert bare_into() == expected[-1]
    for got, want in zip(out, expected):
        np.testing.assert_array_equal(got, want)


@pytest.mark.slow
def test_compile_probe_reports_the_import_and_each_first_call():
    imported, seconds = first_calls("rung", "fused", "gradients", "forward")
    assert 0 < imported < 60 and len(seconds) == 3 and all(s > 0 for s in seconds)


@pytest.mark.parametrize(
    "option",
    [["--sizes", "huge"], ["--cases", "clouds-b32,huge"], ["--estimators", "clouds-b32-sgd,huge"]],
)
def test_study_cli_rejects_unknown_sizes_and_cases(option, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["study", *option])
    assert stopped.value.code == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith(
            f"error: {option[0]}: unknown ['huge']; choose from "
            + ", ".join(
                {"--sizes": cases.SIZES, "--cases": cases.NETWORK_CASES}.get(
                    option[0], cases.ESTIMATOR_CASES
                )
            )
        )
    )


@pytest.mark.parametrize("peer", list(PEERS))
def test_peers_compute_the_same_gradients(peer):
    """The study compares like with like: each peer's step gives fastbp's gradients."""
    library = pytest.importorskip({"pytorch": "torch", "jax": "jax"}.get(peer, "torch"))
    if peer == "pytorch-cuda" and not library.cuda.is_available():
        pytest.skip("torch finds no CUDA GPU")
    args = reference.problem(40, 3, 4, 5)
    expected = fastbp.gradients(*args)
    for got, ref in zip(PEERS[peer](*args)(), expected[:4]):
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_network_study_times_fit_and_the_kernel(tmp_path, capsys):
    out = tmp_path / "network.json"
    results = run(
        [],
        repeat=2,
        min_time=0.001,
        json_path=str(out),
        settle=0,
        network=["clouds-b32", "clouds-full"],
    )
    assert results["sizes"] == {} and "training" not in results
    for name, steps in (("clouds-b32", 47), ("clouds-full", 1)):
        row = results["network"][name]
        assert row["steps"] == steps and row["samples"] == 1500
        assert [t["name"] for t in row["timings"]] == [networks.FIT, networks.KERNEL, timing.FLOOR]
        assert all(len(t["seconds"]) == 2 for t in row["timings"])
    saved = json.loads(out.read_text())["network"]["clouds-b32"]
    assert saved["batch_size"] == 32 and saved["sizes"] == [2, 64, 64, 3]
    printed = capsys.readouterr().out
    assert "per step" in printed and "2-64-64-3 on the 1500 three-clouds points" in printed
    assert "x floor" in printed


def test_network_cases_match_the_issue():
    sizes = {name: net.sizes for name, net in cases.NETWORKS.items()}
    assert {
        name: (sizes[c.network], c.batch_size, c.target) for name, c in cases.NETWORK_CASES.items()
    } == {
        "clouds-b32": ((2, 64, 64, 3), 32, 10.0),
        "clouds-b1": ((2, 64, 64, 3), 1, 60.0),
        "clouds-full": ((2, 64, 64, 3), None, None),
        "mnist-b32": ((784, 128, 10), 32, 1.5),
        "mnist-b256": ((784, 128, 10), 256, 1.2),
    }
    steps = {
        name: c.steps(10_000 if c.network == "784-128-10" else 1500)
        for name, c in cases.NETWORK_CASES.items()
    }
    assert steps["mnist-b32"] == 313 and steps["clouds-full"] == 1


@pytest.mark.parametrize(
    ("hidden", "output", "loss", "bias", "batch_size"),
    [
        ("sigmoid", "softmax", None, True, 7),  # the study's network; a short last batch
        ("sigmoid", "softmax", None, True, 1),
        ("relu", "softmax", None, True, None),
        ("tanh", "identity", None, False, 16),
        ("sigmoid", "sigmoid", None, True, 5),
        ("identity", "sigmoid", "cross_entropy", True, 5),
        ("tanh", "softmax", "squared_error", True, 8),
    ],
)
def test_torch_epoch_trains_like_fit(hidden, output, loss, bias, batch_size):
    """The PyTorch epoch of the network study trains exactly as fastbp.fit does: one epoch
    from the same start gives the same parameters, and every call starts afresh."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 3))
    T = np.eye(4)[rng.integers(0, 4, 40)]
    network = fastbp.Network((3, 6, 5, 4), hidden=hidden, output=output, bias=bias, loss=loss)
    start = network.init_params(1)
    options = dict(learning_rate=0.1, momentum=0.9, batch_size=batch_size)
    expected = fastbp.fit(network, X, T, epochs=1, shuffle=False, params=start, **options)
    epoch = EPOCH_PEERS["pytorch"](network, start, X, T, **options)
    first, again = epoch(), epoch()
    assert np.abs(expected.params - start).max() > 1e-3  # it trained
    np.testing.assert_allclose(first, expected.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(again, first)


def test_network_study_compares_with_pytorch(capsys):
    pytest.importorskip("torch")
    results = run([], repeat=1, min_time=0.001, peers=True, settle=0, network=["clouds-b32"])
    assert results["environment"]["torch"]
    row = results["network"]["clouds-b32"]
    names = [t["name"] for t in row["timings"]]
    assert names == [networks.FIT, networks.KERNEL, timing.FLOOR, "pytorch"]
    assert row["speedup_vs_pytorch"] > 0 and row["speedup_vs_pytorch_best_rounds"] > 0
    printed = capsys.readouterr().out
    assert "vs pytorch" in printed and "target 10x" in printed


def test_estimator_study_times_both_libraries_fit_and_predict(capsys):
    pytest.importorskip("sklearn")
    from fastbp.study import estimators

    timings = estimators.times("iris-b1-sgd", repeat=2, min_time=0.001, settle=0)
    names = [t.name for t in timings]
    assert names == ["fastbp fit", "fastbp predict", "scikit-learn fit", "scikit-learn predict"]
    assert all(len(t.seconds) == 2 and min(t.seconds) > 0 for t in timings)
    ratios = estimators.ratios(timings)
    assert set(ratios) == {"fit", "predict"} and min(ratios.values()) > 0
    case = cases.ESTIMATOR_CASES["iris-b1-sgd"]
    printed = tables.estimator_fits("iris-b1-sgd", case, timings, ratios)
    assert "4-16-3 on the 150 Iris flowers, solver sgd, batch 1, 10 epochs" in printed
    assert "(target 50x)" in printed and "(target 3x)" in printed


def test_estimator_cases_match_the_issue():
    """Widths up to 64 with batches up to 64, every solver: 10x; per sample: 50x;
    784-128-10 with batches of 256: 1.5x; each case fits scikit-learn's parameters."""
    solvers = {c.solver for c in cases.ESTIMATOR_CASES.values() if c.target == 10.0}
    assert solvers == {"sgd", "adam", "lbfgs"}
    for case in cases.ESTIMATOR_CASES.values():
        wide = max(case.sizes) > 64
        expected = 1.5 if wide else 50.0 if case.batch_size == 1 else 10.0
        assert case.target == expected
        assert case.settings()["max_iter"] == cases.ESTIMATOR_EPOCHS


def test_call_overhead_is_the_public_call_less_its_bare_kernel_round_by_round():
    timings = rungs.call_overhead(1, settle=0.0)
    assert [t.name for t in timings] == [
        "fastbp.gradients",
        "bare kernel",
        "overhead",
        "fastbp.gradients(out=)",
        "bare kernel (into out)",
        "overhead (out=)",
    ]
    for public, bare, overhead in (timings[:3], timings[3:]):
        assert len(overhead.seconds) == 21
        assert overhead.seconds == [p - k for p, k in zip(public.seconds, bare.seconds)]


@pytest.mark.parametrize("min_time, calls", [(0.0, 1 + 3), (1e-4, 2 + 3)])
def test_rounds_cost_one_warm_up_call_and_a_timed_one_only_when_calibrating(min_time, calls):
    """Without a round time to reach (the three-clouds runs), nothing is timed before the
    rounds: a 1000-epoch run is not repeated only to be measured once more."""
    made = []

    def call():
        made.append(1)
        time.sleep(1e-3)  # longer than min_time: one call a round either way

    timings = timing.time_interleaved({"call": call}, 3, min_time, "test", settle=0.0)
    assert len(timings[0].seconds) == 3
    assert len(made) == calls


def test_threads_sweep_times_each_count_with_every_pool_limited(monkeypatch, capsys):
    import numba
    from threadpoolctl import threadpool_info

    seen = []  # (Numba's threads, each BLAS pool's) when each candidate is built
    made = rungs.candidates

    def candidates(*args, **kwargs):
        blas = {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}
        seen.append((numba.get_num_threads(), blas))
        return made(*args, **kwargs)

    monkeypatch.setattr(rungs, "candidates", candidates)
    before, most = numba.get_num_threads(), numba.config.NUMBA_NUM_THREADS
    results = run(["seed"], repeat=2, min_time=0.001, settle=0, thread_counts=[most, 1, most])
    counts = sorted({1, most})
    assert seen == [(count, {count}) for count in counts]
    assert numba.get_num_threads() == before
    assert set(results["threads"]["seed"]) == {str(count) for count in counts}
    names = {t["name"] for t in results["threads"]["seed"]["1"]}
    assert {rungs.CLASSIC, "fused/compiled", "default (narrow)"} <= names
    printed = capsys.readouterr().out
    assert all(f"at {count} threads, seed: N=1500" in printed for count in counts)
    assert "seed: scaling with threads" in printed and f"x at {most}" in printed
    tables_shown = {f"threads.{count}.seed" for count in counts} | {"threads.scaling.seed"}
    assert set(results["load_average"]) == tables_shown


def test_threads_sweep_puts_the_default_in_one_row_when_its_rung_changes():
    from fastbp.study.main import _one_default_row

    changing = {
        1: [timing.Timing("default (narrow)", [2.0])],
        2: [timing.Timing("default (narrow_parallel)", [1.0])],
    }
    _one_default_row(changing)
    names = {t.name for timings in changing.values() for t in timings}
    assert names == {"default (narrow at 1, narrow_parallel at 2)"}
    assert "2.00x" in tables.scaling("tall", changing)
    same = {
        1: [timing.Timing("default (narrow)", [2.0])],
        2: [timing.Timing("default (narrow)", [1.0])],
    }
    _one_default_row(same)
    assert {t.name for timings in same.values() for t in timings} == {"default (narrow)"}


def test_threads_sweep_leaves_out_the_peers_no_limit_reaches(monkeypatch):
    p = cases.make_problem(10, 2, 3, 3)
    made = {name: lambda *args: lambda: None for name in ("pytorch", "jax")}
    monkeypatch.setattr(rungs, "PEERS", made)
    args = (p.X, p.T, *p.params)
    assert {"pytorch", "jax"} <= set(rungs.candidates((10, 2, 3, 3), args, peers=True))
    swept = rungs.candidates((10, 2, 3, 3), args, peers=True, limited=True)
    assert "pytorch" in swept and "jax" not in swept


@pytest.mark.parametrize("given", ["0,1", "1,x", "10000"])
def test_study_cli_rejects_thread_counts_outside_the_pool(given, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["study", "--threads", given])
    assert stopped.value.code == 2
    assert "error: --threads: " in capsys.readouterr().err


@pytest.mark.parametrize("counts", [[], [0], [10_000]])
def test_threads_sweep_rejects_counts_outside_the_pool(counts):
    with pytest.raises(ValueError, match="threads must be thread counts from 1 to"):
        threads.check_counts(counts)
