"""Threads, thread counts, the on-disk compile cache and read-only installs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
import reference

import fastbp

TESTS = Path(__file__).resolve().parent  # where the probes import reference.py from


def copy_installed_package(site: Path) -> None:
    """The fastbp that the tests import (editable checkout or installed wheel) into site/,
    its kernels included, without compile caches."""
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(Path(fastbp.__file__).parent, site / "fastbp", ignore=skip)
    kernels = Path(fastbp.kernels.__file__).parent
    shutil.copytree(kernels, site / "fastbp" / "kernels", ignore=skip, dirs_exist_ok=True)


def _python(code, env=None, **kwargs):
    env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, **kwargs
    )


THREADS_PROBE = """
import threading, numpy as np, fastbp, sys
sys.path.insert(0, {tests!r})
import reference
args = reference.problem(5000, 3, 8, 4)
expected = fastbp.gradients(*args, rung="parallel")
results, errors = [], []
def work():
    try:
        for _ in range(5):
            results.append(fastbp.gradients(*args, rung="parallel"))
    except Exception as error:
        errors.append(error)
threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
assert not errors, errors
assert len(results) == 20
for r in results:
    for a, b in zip(r, expected):
        np.testing.assert_array_equal(a, b)
import numba
print(numba.threading_layer())
"""


def test_parallel_rung_from_several_python_threads_at_once():
    """The workqueue layer would abort the process here; Numba's default order of layers
    (tbb, omp, workqueue) picks a thread-safe one: omp on Linux, whose Numba wheels bring
    it (the layer that a fresh install gets)."""
    done = _python(THREADS_PROBE.format(tests=str(TESTS)), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    expected = ("omp",) if sys.platform.startswith("linux") else ("tbb", "omp")
    assert done.stdout.strip() in expected


def test_parallel_result_does_not_depend_on_the_thread_count():
    args = reference.problem(20_000, 3, 5, 4, seed=5)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = fastbp.gradients(*args, rung="parallel")
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = fastbp.gradients(*args, rung="parallel")
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a, b)


# The loops rung's forward: one kernel, quick to compile, calling a helper of another module.
CACHE_PROBE = """
import numpy as np, fastbp
from fastbp.kernels import loops
fastbp.forward(np.ones((3, 2)), np.ones((2, 4)), np.ones(4), np.ones((4, 3)), np.ones(3),
               rung="loops")
print(sum(loops.forward.stats.cache_hits.values()))
"""


@pytest.mark.slow
def test_two_cold_processes_share_the_cache_then_a_third_loads_it(tmp_path):
    env = {"NUMBA_CACHE_DIR": str(tmp_path)}
    both = [
        subprocess.Popen(
            [sys.executable, "-c", CACHE_PROBE],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600) for p in both]
    assert [p.returncode for p in both] == [0, 0], [err[-2000:] for _, err in outputs]
    third = _python(CACHE_PROBE, env=env, timeout=600)
    assert third.returncode == 0, third.stderr[-2000:]
    assert int(third.stdout) == 1  # loaded from the cache the first two wrote


DAMAGE_PROBE = """
import sys
sys.path.insert(0, {tests!r})
import numpy as np, fastbp, reference
from fastbp.kernels import loops
X, T, W1, b1, W2, b2 = reference.problem(20, 3, 5, 4)
print([np.asarray(a).tolist() for a in fastbp.forward(X, W1, b1, W2, b2, rung="loops")])
print(sum(loops.forward.stats.cache_hits.values()))
"""


def _damage(cache, how):
    """Overwrite Numba's cache files under ``cache`` with garbage, or cut them to half."""
    files = [*cache.rglob("*.nbi"), *cache.rglob("*.nbc")]
    assert files, f"nothing cached under {cache}"
    for path in files:
        size = path.stat().st_size
        if how == "garbage":
            path.write_bytes((b"\xffgarbage" * size)[:size])
        else:
            os.truncate(path, size // 2)
    return {str(path.parent) for path in files}


def _check_recovery_from_damage(cache, how, env, **kwargs):
    """A run fills ``cache``; after damage the next warns once and recompiles; a third loads."""
    probe = DAMAGE_PROBE.format(tests=str(TESTS))
    first = _python(probe, env=env, timeout=600, **kwargs)
    assert first.returncode == 0, first.stderr[-3000:]
    folders = _damage(cache, how)
    second = _python(probe, env=env, timeout=600, **kwargs)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stdout == first.stdout  # the same gradients, compiled again (no cache hit)
    warned = [line for line in second.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warned) == 1, second.stderr[-3000:]
    assert "damaged" in warned[0] and any(folder in warned[0] for folder in folders)
    third = _python(probe, env=env, timeout=600, **kwargs)
    assert third.returncode == 0, third.stderr[-3000:]
    assert third.stdout.splitlines() == [first.stdout.splitlines()[0], "1"]  # a cache hit
    assert "RuntimeWarning" not in third.stderr, third.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("how", ["garbage", "halved"])
def test_damaged_cache_is_discarded_with_one_warning_and_rebuilt(tmp_path, how):
    _check_recovery_from_damage(tmp_path, how, env={"NUMBA_CACHE_DIR": str(tmp_path)})


@pytest.mark.slow
def test_damaged_cache_beside_the_source_is_discarded_and_rebuilt(tmp_path):
    """A copy of the package, so that its cache (in its __pycache__) is not the checkout's."""
    site = tmp_path / "site"
    copy_installed_package(site)
    env = {"PYTHONPATH": str(site), "NUMBA_CACHE_DIR": ""}  # empty: Numba's in-tree cache
    # cwd: not the checkout, whose fastbp/ would shadow the copy
    _check_recovery_from_damage(site, "halved", env=env, cwd=tmp_path)


@pytest.mark.slow
def test_a_cache_folder_that_cannot_be_written_warns_once_and_the_kernels_run(tmp_path):
    """NUMBA_CACHE_DIR names a file, not a folder: nothing can be saved there."""
    (tmp_path / "not-a-folder").write_text("")
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "not-a-folder")}
    done = _python(DAMAGE_PROBE.format(tests=str(TESTS)), env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    warned = [line for line in done.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warned) == 1 and "cannot save compiled kernels" in warned[0], done.stderr
    expected = _python(DAMAGE_PROBE.format(tests=str(TESTS)), env={"NUMBA_CACHE_DIR": ""})
    assert done.stdout.splitlines()[0] == expected.stdout.splitlines()[0]


@pytest.mark.slow
def test_read_only_install_imports_and_runs(tmp_path):
    """A read-only copy of the package (bind-mounted read-only) with a read-only home."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        import pytest

        pytest.skip("needs root and unshare to make a read-only mount")
    site = tmp_path / "site"
    copy_installed_package(site)
    code = (
        "import fastbp, numpy as np; "
        "print(fastbp.__file__, fastbp.kernels.caching.folder()); "
        "args = np.ones((3,2)), np.eye(3), np.ones((2,2)), np.ones(2), np.ones((2,3)), np.ones(3); "
        "print(fastbp.gradients(*args, rung='loops').cost); "
        "print(fastbp.gradients(*args, rung='narrow').cost)"  # its generated module too
    )
    script = (
        f"mount --bind {site} {site} && mount -o remount,ro,bind {site} && "
        f"! touch {site}/probe 2>/dev/null && "
        f'HOME={site} XDG_CACHE_HOME= PYTHONPATH={site} {sys.executable} -c "{code}"'
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # not the checkout, whose fastbp/ would shadow the copy
    )
    if "Operation not permitted" in done.stderr or "permission denied" in done.stderr.lower():
        import pytest

        pytest.skip(f"mount namespaces are not allowed here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr[-3000:]
    location, cache_dir = done.stdout.split("\n")[0].split()
    assert location.startswith(str(site)) and not cache_dir.startswith(str(site))
    assert float(done.stdout.split("\n")[1]) < 0
    loops_cost, narrow_cost = map(float, done.stdout.split("\n")[1:3])
    assert abs(narrow_cost - loops_cost) <= 1e-12 * abs(loops_cost)


def test_a_default_rung_chosen_at_one_thread_is_chosen_again_at_more(monkeypatch):
    """rung=None picks narrow_parallel for this shape only with several threads: the choice
    made under numba.set_num_threads(1) must not stick to the shape afterwards. Each choice
    is remembered for its thread count: later calls find it (no new plan) and run it."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one CPU: Numba has a single thread")
    from fastbp import api

    chosen, ran = [], []

    def spy(name, *args):
        chosen.append(name)
        found = kernel_for(name, *args)

        def run(*arrays):
            ran.append(name)
            return found(*arrays)

        return run

    kernel_for = api.kernel_for
    monkeypatch.setattr(api, "kernel_for", spy)
    monkeypatch.setattr(api, "PLANS", {})
    args = reference.problem(40_000, 2, 3, 3, seed=7)
    before = numba.get_num_threads()
    try:
        for threads in (1, 2, 1, 2):
            numba.set_num_threads(threads)
            if threads == 1:
                one = fastbp.gradients(*args)
            else:
                two = fastbp.gradients(*args)
    finally:
        numba.set_num_threads(before)
    assert chosen == ["narrow", "narrow_parallel"]
    assert ran == ["narrow", "narrow_parallel"] * 2
    for a, b in zip(one, two):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * np.abs(b).max())
