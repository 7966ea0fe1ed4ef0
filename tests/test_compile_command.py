"""python -m fastbp compile: what it compiles, that a new process then compiles nothing, and
its usage errors."""

import json
import os
import subprocess
import sys

import numba
import pytest

from fastbp import choose_rung, warmup
from fastbp.__main__ import main

# Prints, for every Numba kernel of fastbp that ran, [signatures, cache hits, cache misses].
# It finds them in the loaded modules, so it names no kernel module.
COUNT_KERNELS = """
import json, sys
from numba.core.dispatcher import Dispatcher
kernels = {
    id(value): value
    for name, module in list(sys.modules.items()) if name.startswith("fastbp")
    for value in vars(module).values() if isinstance(value, Dispatcher)
}
print(json.dumps({
    f"{k.py_func.__module__}.{k.__name__}": [
        len(k.signatures), sum(k.stats.cache_hits.values()), sum(k.stats.cache_misses.values())
    ]
    for k in kernels.values() if k.signatures
}))
"""

# Shapes, an order and an architecture other than the command's: the signatures do not
# depend on them. X is Fortran-ordered: the boundary makes it C-contiguous.
LOOPS_FLOAT32 = """
import numpy as np, fastbp
X, labels = fastbp.datasets.three_clouds(5, seed=1)
X = np.asfortranarray(X.astype(np.float32))
T = fastbp.datasets.one_hot(labels, 3, np.float32)
r = fastbp.train(X, labels, hidden=4, epochs=2, rung="loops", dtype=np.float32)
Y, Z = fastbp.forward(X, r.W1, r.b1, r.W2, r.b2, rung="loops")
fastbp.gradients(X, T, r.W1, r.b1, r.W2, r.b2, rung="loops")
fastbp.derivative_w1(X, Z, T, Y, r.W2, rung="loops")
fastbp.derivative_b1(T, Y, r.W2, Z, rung="loops")
fastbp.derivative_w2(Z, T, Y, rung="loops")
fastbp.derivative_b2(T, Y, rung="loops")
"""

NETWORK_FLOAT32 = """
import numpy as np, fastbp
X, labels = fastbp.datasets.three_clouds(6, seed=2)
X = X.astype(np.float32)
T = fastbp.datasets.one_hot(labels, 3, np.float32)
deep = fastbp.Network((2, 5, 4, 3), hidden="relu")
for batch_size in (None, 4, 1):
    r = fastbp.fit(deep, X, T, learning_rate=0.05, epochs=2, batch_size=batch_size,
                   momentum=0.5, validation_fraction=0.2, tol=0.0)
deep.loss_gradient(r.params, X, T)
deep.predict(r.params, X)
regression = fastbp.Network((2, 3, 1), hidden="tanh", output="identity", bias=False)
fastbp.fit(regression, X, T[:, :1], learning_rate=0.05, epochs=1, batch_size=1)
"""


def _python(arguments, cache):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, *arguments], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def filled_cache(tmp_path_factory):
    """A cache that the command filled for the loops rung and the network, in float32."""
    cache = tmp_path_factory.mktemp("cache")
    options = "compile --rungs loops --network --dtypes float32 --jobs 2"
    lines = _python(["-m", "fastbp", *options.split()], cache).splitlines()
    # the cache: fastbp's folder for this code's digest (fastbp.kernels.caching)
    assert lines[0].startswith(f"units: 2, processes at a time: 2, cache: {cache / 'fastbp'}")
    assert sorted(line.split()[:2] for line in lines[1:3]) == [
        ["loops", "float32"],
        ["network", "float32"],
    ]
    assert lines[3].split()[0] == "total" and len(lines) == 4
    return cache


def _check_loaded_from_cache(code, cache, expected):
    counts = json.loads(_python(["-c", code + COUNT_KERNELS], cache))
    assert expected <= {name.rpartition(".")[2] for name in counts}, counts
    for name, (signatures, hits, misses) in counts.items():
        assert (hits, misses) == (signatures, 0), f"{name} compiled: {counts}"


@pytest.mark.slow
def test_a_new_process_loads_the_compiled_rung_from_the_cache(filled_cache):
    kernels = {"forward", "derivative_w1", "derivative_b1", "derivative_w2", "derivative_b2"}
    _check_loaded_from_cache(LOOPS_FLOAT32, filled_cache, kernels)


@pytest.mark.slow
def test_a_new_process_loads_any_network_from_the_cache(filled_cache):
    kernels = {"train_epochs", "loss_gradient", "predict"}
    _check_loaded_from_cache(NETWORK_FLOAT32, filled_cache, kernels)


def test_the_default_rungs_are_every_rung_the_default_picks(monkeypatch):
    monkeypatch.setattr(numba, "get_num_threads", lambda: 2)  # parallel needs two threads
    sizes = [1, 10, 100, 1_000, 100_000, 1_000_000]
    picked = {choose_rung(N, D, M, K) for N in sizes for D in sizes for M in sizes for K in (2, 10)}
    assert picked == set(warmup.DEFAULT_RUNGS)


def test_units_of_one_dtype_run_together_and_dtypes_in_turn():
    """Two processes saving different signatures of one kernel at once would race on its
    cache index; processes of one dtype save the same signatures of shared kernels. Rungs
    follow fastbp.RUNGS: parallel after fused, whose derivatives it reuses."""
    waves = warmup.plan(["parallel", "loops", "fused", "loops"], ["float32", "float64"], True)
    assert [[str(unit) for unit in wave] for wave in waves] == [
        ["network float32", "loops float32", "fused float32", "parallel float32"],
        ["network float64", "loops float64", "fused float64", "parallel float64"],
    ]


def test_rungs_sharing_kernels_start_side_by_side_only_when_nothing_else_waits():
    """blas calls matrix's forward and derivatives: while matrix compiles, other pending work
    goes first (blas then loads them from the cache); blas starts when nothing else waits."""

    def unit(target: str, dtype: str = "float64") -> warmup.Unit:
        return warmup.Unit(target, dtype)

    assert warmup.share_kernels("blas", "matrix") and warmup.share_kernels("parallel", "fused")
    assert not warmup.share_kernels("blas", "fused")
    assert not warmup.share_kernels(warmup.NETWORK, "matrix")
    pending = [unit("blas"), unit("fused")]
    assert warmup.next_unit(pending, [unit("matrix")]) == unit("fused")
    assert warmup.next_unit(pending, [unit("matrix", "float32")]) == unit("blas")
    assert warmup.next_unit([unit("blas")], [unit("matrix")]) == unit("blas")


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (["--rungs", "loops,nope"], "--rungs: unknown ['nope']; choose from loops, rows"),
        (["--rungs", ","], "--rungs: unknown []"),
        (["--dtypes", "float16"], "--dtypes: unknown ['float16']; choose from float64, float32"),
        (["--jobs", "0"], "argument --jobs: must be a positive integer, got '0'"),
        (["--jobs", "two"], "argument --jobs: must be a positive integer, got 'two'"),
    ],
)
def test_bad_options_are_a_one_line_usage_error(options, error, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["compile", *options])
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing ran
    errors = [line for line in captured.err.splitlines() if "error:" in line]
    assert len(errors) == 1 and error in errors[0], captured.err
    assert "Traceback" not in captured.err
