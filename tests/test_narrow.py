"""The narrow rungs: generated kernels, their limits, the in-kernel finiteness mark, the
on-disk cache of generated modules, and thread-count independence."""

import os
import subprocess
import sys

import numba
import numpy as np
import pytest
import reference
from fastbp.kernels import codegen, narrow

import fastbp
from fastbp import api


def test_template_reads_as_the_formulas_and_expands_per_width():
    template = "        z_m = sigmoid(b1_m + SUM_d(x_d * w1_d_m))\n        top = MAX_k(a_k)\n"
    assert narrow.expand(template, 2, 2, 3).splitlines() == [
        "        z_0 = sigmoid(b1_0 + (x_0 * w1_0_0 + x_1 * w1_1_0))",
        "        z_1 = sigmoid(b1_1 + (x_0 * w1_0_1 + x_1 * w1_1_1))",
        "        top = max(a_0, a_1, a_2)",
    ]
    assert narrow.expand(template, 1, 1, 1).splitlines()[1] == "        top = (a_0)"


@pytest.mark.parametrize("rung", ["narrow", "narrow_parallel"])
@pytest.mark.parametrize("widths", [(narrow.MAX_WIDTH + 1, 2, 2), (8, 8, 8)])
def test_widths_beyond_the_limit_raise_a_clear_error_and_the_default_avoids_them(rung, widths):
    X, T, W1, b1, W2, b2 = reference.problem(5, *widths)
    shown = "got D={}, M={}, K={}: use another rung".format(*widths)
    with pytest.raises(ValueError, match=f"up to {narrow.MAX_WEIGHTS} .*{shown}"):
        fastbp.gradients(X, T, W1, b1, W2, b2, rung=rung)
    assert not fastbp.RUNGS[rung].supports(*widths)
    assert fastbp.choose_rung(5, *widths) not in ("narrow", "narrow_parallel")
    fastbp.gradients(X, T, W1, b1, W2, b2)  # the default picks a rung that has them
    assert fastbp.RUNGS[rung].supports(4, 8, 8) and fastbp.RUNGS[rung].supports(16, 2, 16)


@pytest.mark.parametrize("rung", ["narrow", "narrow_parallel", "fused", "parallel", "blas"])
@pytest.mark.parametrize("name", ["X", "T", "W1", "b1", "W2", "b2"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_remembered_plan_still_reports_a_non_finite_input(rung, name, bad):
    """The second call takes the remembered plan (no full check); the narrow, fused and
    parallel kernels mark the non-finite input in their cost, blas's plan runs the
    finiteness pass. Saturating cases included: an infinite input through nonzero weights
    gives a finite sigmoid."""
    arrays = dict(zip(api.GRADIENT_ARGUMENTS, reference.problem(7, 1, 4, 2, seed=6)))
    fastbp.gradients(*arrays.values(), rung=rung)
    arrays[name] = arrays[name].copy()
    arrays[name].reshape(-1)[1 % arrays[name].size] = bad
    with pytest.raises(ValueError, match=f"^{name} contains NaN or infinity"):
        fastbp.gradients(*arrays.values(), rung=rung)
    result = fastbp.gradients(*arrays.values(), rung=rung, check_finite=False)
    assert len(result) == 5


def test_a_plan_is_remembered_only_for_kernel_ready_arrays():
    X, T, W1, b1, W2, b2 = reference.problem(6, 2, 3, 3, seed=7)
    api.PLANS.clear()
    fastbp.gradients(np.asfortranarray(X), T, W1, b1, W2, b2, rung="narrow")
    assert not api.PLANS
    fastbp.gradients(X, T, W1, b1, W2, b2, rung="narrow")
    assert len(api.PLANS) == 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_narrow_parallel_does_not_depend_on_the_thread_count(dtype):
    N = 40 * narrow.CHUNK + 17  # the most chunks, uneven ones
    args = reference.problem(N, 4, 8, 3, dtype=dtype, seed=8)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = fastbp.gradients(*args, rung="narrow_parallel")
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = fastbp.gradients(*args, rung="narrow_parallel")
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a, b)
    serial = fastbp.gradients(*args, rung="narrow")
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(one, serial):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())


def test_a_generated_module_is_written_once_per_content(tmp_path):
    path = tmp_path / "generated" / "probe.py"
    codegen.write_once(path, "x = 1\n")
    stamp = path.stat().st_mtime_ns
    codegen.write_once(path, "x = 1\n")
    assert path.stat().st_mtime_ns == stamp
    codegen.write_once(path, "x = 2\n")
    assert path.read_text() == "x = 2\n"


CACHE_PROBE = """
import numpy as np, fastbp
from fastbp.kernels import codegen, narrow
args = np.ones((3, 2)), np.eye(3), np.ones((2, 4)), np.ones(4), np.ones((4, 3)), np.ones(3)
print(fastbp.gradients(*args, rung="narrow").cost)
kernel = narrow.gradients_into.for_widths(2, 4, 3)
print(sum(kernel.stats.cache_hits.values()), kernel.py_func.__code__.co_filename)
"""


@pytest.mark.slow
def test_generated_kernels_are_cached_on_disk_for_the_next_process(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run([sys.executable, "-c", CACHE_PROBE], capture_output=True, text=True, env=env)
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr[-3000:]
    first, second = (r.stdout.splitlines() for r in runs)
    assert first[0] == second[0]
    hits, source = second[1].split()
    assert first[1].split()[0] == "0" and hits == "1"
    assert source.startswith(str(tmp_path))
