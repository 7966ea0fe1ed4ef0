"""fastbp over dask arrays (fastbp.distributed): agreement with the in-memory results on the
synchronous and threaded schedulers and on a LocalCluster (processes, 2 workers x 1 thread,
shared by the module), the workers' threads, a worker killed mid-run, and bad input."""

import os
import signal
import threading

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
pytest.importorskip("distributed")

import fastbp  # noqa: E402
from fastbp import distributed  # noqa: E402
from fastbp.__main__ import main  # noqa: E402
from fastbp.datasets import one_hot, three_clouds  # noqa: E402
from fastbp.study.cases import make_problem  # noqa: E402
from fastbp.training import TrainData  # noqa: E402


@pytest.fixture(scope="module")
def client():
    from distributed import Client

    with distributed.local_cluster(2, 1, dashboard_address=":0") as cluster:
        with Client(cluster, set_as_default=False) as client:
            distributed.warm_up(client)
            yield client


@pytest.fixture(params=["sync", "threads", "cluster"])
def scheduler(request):
    """Where dask computes: the synchronous or threaded scheduler, or the LocalCluster. (The
    client is made current rather than put in dask's config: a nanny forwards that config,
    pickled, to the worker it restarts, and a client does not pickle.)"""
    if request.param == "cluster":
        with request.getfixturevalue("client").as_current():
            yield request.param
    else:
        with dask.config.set(scheduler=request.param):
            yield request.param


def close(actual, expected, rtol):
    """Relative agreement of arrays or floats, scaled by the largest magnitude."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    return np.max(np.abs(actual - expected)) <= rtol * np.max(np.abs(expected))


@pytest.fixture(scope="module")
def problem():
    return make_problem(10_007, 2, 3, 3, seed=11, forward=False)


def chunked(a, rows=1_500):
    return da.from_array(a, chunks=(rows, *a.shape[1:]))


def test_gradients_agree(problem, scheduler):
    p = problem
    expected = fastbp.gradients(p.X, p.T, *p.params)
    got = fastbp.gradients(chunked(p.X), chunked(p.T, 2_000), *p.params)
    assert type(got) is fastbp.Gradients
    for a, b in zip(got, expected):
        assert close(a, b, 1e-12)


@pytest.mark.parametrize("rows", [450, 60], ids=["23-chunks", "167-chunks"])
def test_sums_over_tens_and_hundreds_of_chunks_agree(problem, scheduler, rows):
    """More chunks than one reduction task adds (SPLIT_EVERY): a tree of two levels, whose
    last task and last chunk are short (10,007 rows)."""
    p = problem
    assert len(chunked(p.X, rows).chunks[0]) > distributed.SPLIT_EVERY
    expected = fastbp.gradients(p.X, p.T, *p.params)
    got = fastbp.gradients(chunked(p.X, rows), chunked(p.T, rows), *p.params)
    for a, b in zip(got, expected):
        assert close(a, b, 1e-12)
    network = fastbp.Network((2, 4, 3), hidden="tanh")
    params = network.init_params(3)
    loss, grad = network.loss_gradient(params, chunked(p.X, rows), chunked(p.T, rows))
    expected_loss, expected_grad = network.loss_gradient(params, p.X, p.T)
    assert close(loss, expected_loss, 1e-12) and close(grad, expected_grad, 1e-12)
    # Full-batch fitting: the chunks persisted, the tree of futures on a cluster.
    options = dict(learning_rate=0.5, epochs=3, momentum=0.9, seed=2)
    expected_fit = fastbp.fit(network, p.X, p.T, **options)
    got_fit = fastbp.fit(network, chunked(p.X, rows), chunked(p.T, rows), **options)
    assert np.max(np.abs(got_fit.params - expected_fit.params)) <= 1e-10


def test_lazy_gradients_combine(problem, scheduler):
    p = problem
    X, T = chunked(p.X), chunked(p.T)
    W1 = p.W1 * 2
    lazy = [
        distributed.gradients(X, T, *p.params, compute=False),
        distributed.gradients(X, T, W1, p.b1, p.W2, p.b2, compute=False),
    ]
    first, second = dask.compute(*lazy)
    assert close(first.dW1, fastbp.gradients(p.X, p.T, *p.params).dW1, 1e-12)
    assert close(second.cost, fastbp.gradients(p.X, p.T, W1, p.b1, p.W2, p.b2).cost, 1e-12)


def test_network_loss_gradient_and_predict_agree(problem, scheduler):
    p = problem
    network = fastbp.Network((2, 4, 3), hidden="tanh")
    params = network.init_params(3)
    loss, grad = network.loss_gradient(params, chunked(p.X), chunked(p.T))
    expected_loss, expected_grad = network.loss_gradient(params, p.X, p.T)
    assert close(loss, expected_loss, 1e-12) and close(grad, expected_grad, 1e-12)
    Y = network.predict(params, chunked(p.X))
    assert isinstance(Y, da.Array) and Y.chunks[0] == chunked(p.X).chunks[0]
    assert close(Y.compute(), network.predict(params, p.X), 1e-12)
    lazy = distributed.loss_gradient(network, params, chunked(p.X), chunked(p.T), compute=False)
    assert close(dask.compute(lazy)[0][1], expected_grad, 1e-12)


@pytest.fixture(scope="module")
def clouds():
    return three_clouds(500, seed=4)


def test_train_agrees_after_100_epochs(clouds, scheduler):
    X, labels = clouds
    expected = fastbp.train(X, labels, epochs=100, report_every=25)
    got = fastbp.train(chunked(X, 400), chunked(labels, 700), epochs=100, report_every=25)
    for name in ("W1", "b1", "W2", "b2"):
        assert np.max(np.abs(getattr(got, name) - getattr(expected, name))) <= 1e-10
    assert [r.epoch for r in got.history] == [r.epoch for r in expected.history]
    assert [r.rate for r in got.history] == [r.rate for r in expected.history]
    assert close([r.cost for r in got.history], [r.cost for r in expected.history], 1e-12)


def test_fit_full_batch_agrees_after_100_epochs(clouds, scheduler):
    X, labels = clouds
    T = one_hot(labels, 3)
    network = fastbp.Network((2, 5, 3))
    options = dict(learning_rate=0.5, epochs=100, momentum=0.9, seed=2)
    expected = fastbp.fit(network, X, T, **options)
    got = fastbp.fit(network, chunked(X, 300), chunked(T, 300), **options)
    assert np.max(np.abs(got.params - expected.params)) <= 1e-10
    assert close(got.loss_curve, expected.loss_curve, 1e-12)


def test_large_parameters_travel_in_a_task_of_their_own(clouds, client):
    """Parameters above SMALL_VECTOR_BYTES go to the workers as one task's result, not
    inside each chunk's task: the same fit."""
    X, labels = clouds
    T = one_hot(labels, 3)
    network = fastbp.Network((2, 100, 100, 3))
    assert network.n_params * 8 > distributed.chunks.SMALL_VECTOR_BYTES
    options = dict(learning_rate=0.05, epochs=3, momentum=0.9, seed=2)
    expected = fastbp.fit(network, X, T, **options)
    with client.as_current():
        got = fastbp.fit(network, chunked(X, 300), chunked(T, 300), **options)
    assert np.max(np.abs(got.params - expected.params)) <= 1e-10


def test_streamed_chunks_agree(clouds, client):
    """Data too large to persist are read from their source in every epoch: same result."""
    X, labels = clouds
    with client.as_current():
        data = distributed.ClassicData(chunked(X, 400), labels, 3, np.float64, None, True, False)
        assert not data.chunks.persisted
        assert isinstance(data, TrainData)  # what train reads, as of the in-memory data
        network = fastbp.Network((2, 3, 3))
        layers = [a for layer in network.unpack(network.init_params(1)) for a in layer]
        expected = fastbp.gradients(X, one_hot(labels, 3), *layers)
        for a, b in zip(data.gradients(*layers), expected):
            assert close(a, b, 1e-12)


def test_streamed_sgd_continues_the_optimizer_chunk_by_chunk(clouds, scheduler):
    """Minibatch Adam over dask chunks: the chunks in an order drawn from seed each epoch,
    one epoch of fit on each, the optimizer's state carried on (here redone in memory)."""
    X, labels = clouds
    T = one_hot(labels, 3)
    network = fastbp.Network((2, 5, 3))
    options = dict(learning_rate=0.05, batch_size=16, optimizer="adam")
    got = fastbp.fit(network, chunked(X, 400), chunked(T, 400), epochs=3, seed=3, **options)
    rng = np.random.default_rng(3)
    params, state, starts = network.init_params(3), None, [0, 400, 800, 1200]
    for _ in range(3):
        order, seeds = rng.permutation(4), rng.integers(0, 2**62, 4)
        for i, seed in zip(order, seeds):
            rows = slice(starts[i], starts[i] + 400)
            part = fastbp.fit(
                network,
                X[rows],
                T[rows],
                epochs=1,
                seed=int(seed),
                params=params,
                state=state,
                **options,
            )
            params, state = part.params, part.state
    assert np.array_equal(got.params, params) and got.state.steps[0] == state.steps[0]
    assert got.epochs == 3 and got.loss_curve[-1] < got.loss_curve[0]


def test_streamed_sgd_moves_the_model_to_the_data(clouds, client, monkeypatch):
    """With a cluster, each chunk is trained on by a worker: the client process fits none."""
    X, labels = clouds
    fitted_here = []
    fit_one = fastbp.fitting.fit

    def counted(network, X, *args, **kwargs):
        fitted_here.append(len(X))
        return fit_one(network, X, *args, **kwargs)

    monkeypatch.setattr(fastbp.fitting, "fit", counted)
    network = fastbp.Network((2, 5, 3))
    options = dict(learning_rate=0.05, epochs=2, batch_size=16, seed=3)
    with client.as_current():
        got = fastbp.fit(network, chunked(X, 400), chunked(one_hot(labels, 3), 400), **options)
    assert fitted_here == [] and got.epochs == 2
    here = fastbp.fit(network, chunked(X, 400), chunked(one_hot(labels, 3), 400), **options)
    assert len(fitted_here) == 2 * 4  # the same streamed fit without a client: here
    assert np.array_equal(got.params, here.params)
    assert got.loss_curve == here.loss_curve


def test_streamed_sgd_learns(clouds, client):
    X, labels = clouds
    network = fastbp.Network((2, 5, 3))
    with client.as_current():
        result = fastbp.fit(
            network,
            chunked(X, 300),
            chunked(one_hot(labels, 3), 300),
            learning_rate=0.05,
            epochs=10,
            batch_size=1,
        )
    assert np.mean(np.argmax(network.predict(result.params, X), axis=1) == labels) > 0.9


def test_dask_ml_incremental_trains_through_partial_fit(clouds):
    Incremental = pytest.importorskip("dask_ml.wrappers").Incremental
    X, labels = clouds
    make = lambda: fastbp.MLPClassifier(hidden_layer_sizes=(5,), random_state=0)  # noqa: E731
    wrapped = Incremental(make(), shuffle_blocks=False)
    wrapped.partial_fit(chunked(X, 500), chunked(labels, 500), classes=[0, 1, 2])
    expected = make()
    for start in range(0, 1500, 500):
        expected.partial_fit(X[start : start + 500], labels[start : start + 500], classes=[0, 1, 2])
    for got, want in zip(wrapped.estimator_.coefs_, expected.coefs_):
        assert np.array_equal(got, want)


def test_workers_threads_match_and_layer_is_thread_safe(client):
    report = distributed.warm_up(client, rungs=("fused", "parallel"), network=False)
    assert len(report) == 2
    for worker in report.values():
        assert worker["dask_threads"] == worker["numba_threads"] == worker["task_threads"] == 1
        assert worker["threading_layer"] in ("tbb", "omp")


# A user's script: fastbp (so Numba) imported at the top, as each worker process imports the
# client's main module again before its nanny sets the worker's environment.
TOP_LEVEL_IMPORT = """
import fastbp
from distributed import Client
from fastbp import distributed

if __name__ == "__main__":
    with distributed.local_cluster(2, 1, dashboard_address=":0") as cluster:
        with Client(cluster) as client:
            report = distributed.warm_up(client, rungs=("loops",), network=False)
    print(sorted((w["numba_threads"], w["task_threads"]) for w in report.values()))
"""


@pytest.mark.slow
def test_workers_compile_from_an_empty_cache_when_the_main_module_imports_fastbp(tmp_path):
    """Each worker's tasks share one Numba thread, and the workers compile, whatever the
    client's script imported before starting the cluster."""
    import subprocess
    import sys

    (tmp_path / "script.py").write_text(TOP_LEVEL_IMPORT)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, str(tmp_path / "script.py")]
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "[(1, 1), (1, 1)]"


def _kernel_signatures() -> int:
    """On a worker: the signatures that fastbp's kernels there hold, compiled or loaded from
    the cache (every Numba dispatcher of a fastbp module, the generated ones included)."""
    import sys

    from numba.core.dispatcher import Dispatcher

    kernels = {
        id(value): value
        for name, module in list(sys.modules.items())
        if name.startswith("fastbp")
        for value in vars(module).values()
        if isinstance(value, Dispatcher)
    }
    return sum(len(kernel.signatures) for kernel in kernels.values())


def test_warm_up_readies_what_a_jobs_chunks_run_so_its_epochs_add_no_kernel(client):
    """warm_up for a job's widths, chunk rows and dtype (rung=None's pick per chunk, no
    general network): the job then compiles or loads nothing on any worker. Widths and a
    dtype that no other test here trains with."""
    rng = np.random.default_rng(3)
    X, labels = rng.standard_normal((600, 3)).astype(np.float32), np.arange(600) % 2
    distributed.warm_up(client, ("float32",), network=False, widths=(3, 5, 2), chunk=200)
    before = client.run(_kernel_signatures)
    with client.as_current():
        fastbp.train(chunked(X, 200), labels, hidden=5, epochs=3, dtype=np.float32)
    assert client.run(_kernel_signatures) == before


def test_warm_up_names_a_bad_width_chunk_or_rung(client):
    with pytest.raises(ValueError, match=r"widths\[1\] must be a positive integer, got 0"):
        distributed.warm_up(client, widths=(2, 0, 3))
    with pytest.raises(ValueError, match=r"widths must be the three layer widths"):
        distributed.warm_up(client, widths=(2, 3))
    with pytest.raises(ValueError, match=r"chunk must be a positive integer, got -5"):
        distributed.warm_up(client, chunk=-5)
    with pytest.raises(ValueError, match=r"narrow rungs generate kernels .* got D=2, M=50, K=3"):
        distributed.warm_up(client, rungs=("narrow",), widths=(2, 50, 3))


def test_train_dask_command_names_a_rung_without_kernels_for_its_layers(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["train", "--dask", "--workers", "1", "--rung", "narrow", "--hidden", "50"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert "narrow rungs generate kernels" in error
    assert error.endswith("got D=2, M=50, K=3: use another rung (rung=None picks one)")


def test_worker_killed_mid_run_costs_a_recomputation(clouds, client):
    X, labels = clouds
    pids = client.run(os.getpid)
    victim = pids[sorted(pids)[0]]

    def kill_soon(epoch, cost, report):
        if epoch == 20:  # the next epoch's tasks are being scheduled as it dies
            threading.Timer(0.005, os.kill, (victim, signal.SIGKILL)).start()

    with client.as_current():
        undisturbed = fastbp.train(chunked(X, 200), labels, epochs=60)
        disturbed = fastbp.train(chunked(X, 200), labels, epochs=60, callback=kill_soon)
    assert victim not in client.run(os.getpid).values()  # it died (the nanny restarted one)
    for name in ("W1", "b1", "W2", "b2"):
        assert np.array_equal(getattr(disturbed, name), getattr(undisturbed, name))
    client.wait_for_workers(2)


def test_generated_clouds_do_not_depend_on_the_chunking():
    a = da.concatenate(distributed.three_clouds(100_000, 30_000, seed=5)[:1], axis=0)
    X1, y1 = dask.compute(*distributed.three_clouds(100_000, 30_000, seed=5))
    X2, y2 = dask.compute(*distributed.three_clouds(100_000, 65_536, seed=5))
    assert a.shape == (100_000, 2)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert set(np.unique(y1)) == {0, 1, 2}
    X3, _ = dask.compute(*distributed.three_clouds(100_000, 30_000, seed=6))
    assert not np.array_equal(X1, X3)


def test_stored_data_read_in_chunks(tmp_path, clouds):
    X, labels = clouds
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "labels.npy", labels)
    Xd, yd = distributed.load(tmp_path, 400)
    assert Xd.chunks[0][0] == 400 and np.array_equal(Xd.compute(), X)
    got = fastbp.train(Xd, yd, epochs=10)
    expected = fastbp.train(X, labels, epochs=10)
    assert np.max(np.abs(got.W1 - expected.W1)) <= 1e-12


def test_stored_zarr_data(tmp_path, clouds):
    pytest.importorskip("zarr")
    X, labels = clouds
    store = tmp_path / "clouds.zarr"
    da.to_zarr(chunked(X, 500), str(store), component="X")
    da.to_zarr(chunked(labels, 500), str(store), component="labels")
    Xd, yd = distributed.load(store, 700)
    assert Xd.chunks[0][0] == 700
    assert np.array_equal(Xd.compute(), X) and np.array_equal(yd.compute(), labels)


def test_object_npy_is_refused(tmp_path):
    np.save(tmp_path / "X.npy", np.array([[{}]], dtype=object))
    np.save(tmp_path / "labels.npy", np.zeros(1, np.int64))
    with pytest.raises(ValueError, match=r"X\.npy: .*never unpickled"):
        distributed.load(tmp_path, 10)


# --- bad input ---------------------------------------------------------------------------------


def test_chunks_along_the_features_are_merged(problem):
    p = problem
    X = da.from_array(p.X, chunks=(1_000, 1))
    got = fastbp.gradients(X, p.T, *p.params)
    assert close(got.dW1, fastbp.gradients(p.X, p.T, *p.params).dW1, 1e-12)


def test_nan_in_one_chunk_names_its_rows(problem, scheduler):
    p = problem
    X = p.X.copy()
    X[[5_003, 5_010], 1] = np.nan
    with pytest.raises(ValueError, match=r"X contains NaN or infinity \(rows 5003, 5010\)"):
        fastbp.gradients(chunked(X), p.T, *p.params)
    network = fastbp.Network((2, 3, 3))
    with pytest.raises(ValueError, match=r"X contains NaN or infinity \(rows 5003, 5010\)"):
        fastbp.fit(network, chunked(X), chunked(p.T), learning_rate=0.1, epochs=1)
    T = p.T.copy()
    T[9_000, 0] = np.inf
    with pytest.raises(ValueError, match=r"T contains NaN or infinity \(rows 9000\)"):
        network.loss_gradient(network.init_params(), chunked(p.X), chunked(T))


def test_shapes_and_labels_are_checked(problem, clouds):
    p = problem
    with pytest.raises(ValueError, match=r"T has shape \(10007, 2\), expected \(N, K\) with K=3"):
        fastbp.gradients(chunked(p.X), chunked(p.T[:, :2]), *p.params)
    with pytest.raises(ValueError, match="rows as given by X"):
        fastbp.gradients(chunked(p.X), chunked(p.T[:-1]), *p.params)
    with pytest.raises(ValueError, match=r"X has shape \(10007, 2\), expected \(N, D\) with D=5"):
        fastbp.Network((5, 3, 3)).loss_gradient(np.zeros(30), chunked(p.X), chunked(p.T))
    X, labels = clouds
    with pytest.raises(ValueError, match="labels must be class indices >= 0, got -1"):
        fastbp.train(chunked(X), chunked(labels - 1), epochs=1)
    unknown = chunked(X)[chunked(X)[:, 0] > 0]
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        fastbp.train(unknown, labels, epochs=1)
    with pytest.raises(ValueError, match="validation_fraction"):
        fastbp.fit(
            fastbp.Network((2, 3, 3)),
            chunked(X),
            one_hot(labels, 3),
            learning_rate=0.1,
            validation_fraction=0.2,
        )
    with pytest.raises(TypeError, match="X must hold real numbers"):
        fastbp.gradients(chunked(X).astype(complex), one_hot(labels, 3), *p.params)


@pytest.mark.parametrize("batch_size", [None, 100])
def test_sample_weight_is_refused_saying_what_is_supported(clouds, batch_size):
    X, labels = clouds
    with pytest.raises(ValueError, match=r"^sample_weight must be None with dask arrays: every"):
        fastbp.fit(
            fastbp.Network((2, 3, 3)),
            chunked(X),
            one_hot(labels, 3),
            learning_rate=0.1,
            batch_size=batch_size,
            sample_weight=np.ones(len(X)),
        )


@pytest.mark.parametrize(
    "setting", [{"optimizer": "adam"}, {"nesterov": True}, {"alpha": 1e-4}], ids=str
)
def test_full_batch_refuses_what_only_streaming_takes_naming_it(clouds, setting):
    X, labels = clouds
    (name,) = setting
    with pytest.raises(ValueError, match=rf"^{name} must be .* in a full-batch fit on dask"):
        fastbp.fit(
            fastbp.Network((2, 3, 3)), chunked(X), one_hot(labels, 3), learning_rate=0.1, **setting
        )


@pytest.mark.slow
def test_train_dask_command_trains_on_a_local_cluster():
    """python -m fastbp train --dask: a LocalCluster it starts, data generated on the
    workers, progress per epoch, the dashboard's address, a final rate above 0.9."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "fastbp", "train", "--dask", "--workers", "2"]
    command += ["--threads-per-worker", "1", "--samples", "200000", "--chunk", "50000"]
    run = subprocess.run([*command, "--epochs", "30"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert "dashboard: http" in out and "in 4 chunks of up to 50000" in out
    assert "epoch     29" in out
    final = out.strip().splitlines()[-1]
    assert final.startswith("final classification rate:")
    assert float(final.split()[3]) > 0.9
