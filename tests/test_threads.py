"""The threads a call uses: the blas rung's chunks on threads with BLAS at one thread each,
the same result at any thread count, and the user's limits (Numba's, BLAS's) honoured."""

import contextlib
import os
import subprocess
import sys
import threading
import time
import types

import numba
import numpy as np
import pytest
import reference
from cases import DTYPES
from fastbp.kernels import blas
from threadpoolctl import ThreadpoolController, threadpool_limits

import fastbp
from fastbp import threads

# Chunks of uneven sizes (N not a multiple of the chunk count), each of several blocks of
# BLAS_BLOCK samples with a last one not full.
N_CHUNKED = blas.MAX_CHUNKS * blas.BLAS_BLOCK * 2 + 517


def _limited_numba(count):
    before = numba.get_num_threads()
    numba.set_num_threads(count)
    return before


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_blas_result_does_not_depend_on_the_threads(dtype):
    args = reference.problem(N_CHUNKED, 20, 30, 4, dtype=dtype, seed=6)
    assert blas.chunk_count(N_CHUNKED, 20 * 30 + 30 * 4 + 30 + 4) == blas.MAX_CHUNKS
    results = []
    most = numba.config.NUMBA_NUM_THREADS
    for count in sorted({1, min(2, most), most}):
        before = _limited_numba(count)
        try:
            results.append(fastbp.gradients(*args, rung="blas"))
            with threadpool_limits(1, user_api="blas"):
                results.append(fastbp.gradients(*args, rung="blas"))
        finally:
            numba.set_num_threads(before)
    for result in results[1:]:
        for got, first in zip(result, results[0], strict=True):
            np.testing.assert_array_equal(got, first, strict=True)
    assert_gradients_close_to_reference(results[0], args, dtype)


def assert_gradients_close_to_reference(result, args, dtype):
    X, T, W1, b1, W2, b2 = args
    Y, Z = reference.forward(X, W1, b1, W2, b2)
    exact, magnitude = reference.derivatives(X, Z, T, Y, W2)
    for got, want, size in zip(result[:4], exact, magnitude, strict=True):
        reference.assert_close(got, want, size, dtype, len(X))


def _spy_module(seen):
    """kernels.blas with a chunk kernel that records, for each chunk, the running thread and
    the threads of every BLAS library at that moment."""
    libraries = ThreadpoolController().select(user_api="blas")

    def gradients_of_chunk(*args):
        seen.append((threading.get_ident(), {lib.num_threads for lib in libraries.lib_controllers}))
        return blas.gradients_of_chunk(*args)

    return types.SimpleNamespace(**{**vars(blas), "gradients_of_chunk": gradients_of_chunk})


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two cores")
def test_chunks_run_on_the_threads_with_blas_at_one_thread_each():
    args = reference.problem(N_CHUNKED, 20, 30, 4, seed=7)
    seen = []
    before = _limited_numba(2)
    try:
        with threadpool_limits(2, user_api="blas"):
            got = threads.chunked_gradients(_spy_module(seen))(*args)
            after = ThreadpoolController().select(user_api="blas").lib_controllers
    finally:
        numba.set_num_threads(before)
    assert len(seen) == blas.MAX_CHUNKS
    assert len({thread for thread, _ in seen}) == 2  # one pool's worth: two threads
    assert all(blas_threads == {1} for _, blas_threads in seen)  # and BLAS at one thread
    assert {lib.num_threads for lib in after} == {2}  # the user's setting restored
    for a, b in zip(got, fastbp.gradients(*args, rung="blas")):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two cores")
def test_little_work_is_one_chunk_on_the_calling_thread_with_no_blas_limit(monkeypatch):
    """The three clouds (1500 samples of 21 parameters: 32 K) are too little work to pay for
    handing chunks to threads: one chunk, on the calling thread; and its products are too
    small for BLAS to thread, so no limit is set (threadpoolctl's costs tens of µs)."""
    args = reference.problem(1500, 2, 3, 3, seed=9)
    seen, limits = [], []

    def spy(count):
        limits.append(count)
        return contextlib.nullcontext()

    monkeypatch.setattr(threads, "blas_threads", spy)
    before = _limited_numba(2)
    try:
        got = threads.chunked_gradients(_spy_module(seen))(*args)
    finally:
        numba.set_num_threads(before)
    assert [thread for thread, _ in seen] == [threading.get_ident()]
    assert limits == []
    for a, b in zip(got, fastbp.gradients(*args, rung="blas"), strict=True):
        np.testing.assert_array_equal(a, b)


def _blas_gradients():
    args = reference.problem(4096, 400, 100, 10, seed=8)
    return lambda: fastbp.gradients(*args, rung="blas")


def _network_fit_and_predict():
    X, T, *_ = reference.problem(4096, 400, 100, 10, seed=8)
    network = fastbp.Network((400, 100, 10))
    start = network.init_params(seed=0)

    def fit_and_predict():
        options = dict(learning_rate=0.01, epochs=1, batch_size=512, params=start)
        result = fastbp.fit(network, X, T, **options)
        network.predict(result.params, X)
        network.loss_gradient(result.params, X, T)

    return fit_and_predict


@pytest.mark.parametrize("setting", ["numba.set_num_threads", "threadpool_limits"])
@pytest.mark.parametrize("make_call", [_blas_gradients, _network_fit_and_predict])
def test_a_one_thread_setting_uses_one_core(setting, make_call):
    """With one thread allowed, a call whose products go to BLAS (the blas rung, the general
    network's fit, predict and loss_gradient; ~0.1 s each) keeps one core busy: the process's
    CPU time is not above its wall time."""
    call = make_call()
    call()  # compiled before timing
    before = numba.get_num_threads()
    try:
        if setting == "numba.set_num_threads":
            numba.set_num_threads(1)
            limit = threadpool_limits(None)  # BLAS as it is (two threads on two cores)
        else:
            limit = threadpool_limits(1)
        with limit:
            assert threads.budget() == 1
            # OpenBLAS's idle threads spin for 2**28 cycles (about 0.1 s) after a threaded
            # call (its THREAD_TIMEOUT), such as the one that compiled above: let them stop.
            time.sleep(0.3)
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(3):
                call()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        numba.set_num_threads(before)
    assert cpu <= 1.15 * wall, (cpu, wall)


@pytest.mark.parametrize(
    ("batch_size", "many"), [(32, False), (None, True)], ids=["batches-of-32", "full-batch"]
)
def test_the_network_runs_blas_at_one_thread_only_for_small_products(monkeypatch, batch_size, many):
    """fit, predict and loss_gradient of 784-128-10: products of 32 rows (3.2 M
    multiply-adds) get one BLAS thread, blocks of 256 rows the whole budget."""
    counts = []
    blas_threads = threads.blas_threads

    def spy(count):
        counts.append(count)
        return blas_threads(count)

    monkeypatch.setattr(threads, "blas_threads", spy)
    rng = np.random.default_rng(0)
    X, T = rng.standard_normal((300, 784)), np.eye(10)[rng.integers(0, 10, 300)]
    network = fastbp.Network((784, 128, 10))
    params = network.init_params(seed=0)
    fastbp.fit(network, X, T, learning_rate=0.01, epochs=1, batch_size=batch_size, params=params)
    rows = 32 if batch_size else 300
    network.predict(params, X[:rows])
    network.loss_gradient(params, X[:rows], T[:rows])
    assert counts == [threads.budget() if many else 1] * 3


LIBRARIES_LOADED_LATER = """
import numpy as np
from threadpoolctl import threadpool_info

import fastbp

def blas_libraries():
    return {pool["filepath"] for pool in threadpool_info() if pool["user_api"] == "blas"}

loaded = blas_libraries()
rng = np.random.default_rng(0)
X, T = rng.standard_normal((40, 6)), np.eye(3)[rng.integers(0, 3, 40)]
W1, b1, W2, b2 = rng.standard_normal((6, 5)), np.zeros(5), rng.standard_normal((5, 3)), np.zeros(3)
fastbp.gradients(X, T, W1, b1, W2, b2, rung="matrix")  # products by Numba's np.dot
print(sorted(blas_libraries() - loaded))
"""


def test_import_loads_every_blas_library_the_kernels_call():
    """A threadpoolctl limit covers the libraries loaded when it is set: the BLAS that
    Numba's kernels call (SciPy's) is loaded by ``import fastbp``, so that a limit set after
    the import covers it (the matrix rung, loading it on its first product, ran on two
    cores inside ``threadpool_limits(1)``)."""
    done = subprocess.run(
        [sys.executable, "-c", LIBRARIES_LOADED_LATER], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]"


PRINT_BUDGET = "import fastbp; print(fastbp.threads.budget(), fastbp.choose_rung(10**6, 2, 3, 3))"


@pytest.mark.skipif(os.cpu_count() < 2, reason="needs two cores")
@pytest.mark.parametrize("variable", ["OMP_NUM_THREADS", "NUMBA_NUM_THREADS"])
def test_a_one_thread_environment_gives_a_budget_of_one_and_a_serial_rung(variable):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run(
        [sys.executable, "-c", PRINT_BUDGET], env={**env, variable: "1"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["1", "narrow"]
    free = subprocess.run(
        [sys.executable, "-c", PRINT_BUDGET], env=env, capture_output=True, text=True, timeout=300
    )
    budget, rung = free.stdout.split()
    assert int(budget) >= 2 and rung == "narrow_parallel"


FORKED_CHILD = """
import multiprocessing, sys
import numpy as np, fastbp
sys.path.insert(0, {tests!r})
import reference
args = reference.problem(5000, 40, 50, 3)
parent = fastbp.gradients(*args, rung="blas")  # the pool's threads started here


def child(queue):
    queue.put(fastbp.gradients(*args, rung="blas").cost)


queue = multiprocessing.get_context("fork").Queue()
process = multiprocessing.get_context("fork").Process(target=child, args=(queue,), daemon=True)
process.start()
print(queue.get(timeout=60) == parent.cost)  # raises if the child hangs
process.join(60)
print(process.exitcode)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_runs_the_chunks_on_threads_of_its_own():
    """A child forked after a call has none of the pool's threads: it must start its own
    rather than wait for the parent's (it would hang)."""
    tests = os.path.dirname(__file__)
    done = subprocess.run(
        [sys.executable, "-c", FORKED_CHILD.format(tests=tests)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["True", "0"]
