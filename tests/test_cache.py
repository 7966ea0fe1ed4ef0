"""fastbp's compile cache (``fastbp.kernels.caching``): keyed to all the kernels' code, so
an upgrade or an edit of a helper module never runs old machine code; fastbp's alone, so
other packages' Numba kernels are cached as Numba does it.

The upgrade tests install fastbp the way a user does, into a virtual environment of their
own that reaches the test environment's other packages (numpy, numba, ...) through a
``.pth`` file, from wheels built here out of copies of the checkout (``FASTBP_SOURCE``,
default: the folder above this one). The second version has a changed helper module,
``kernels/common.py``, which the ``loops`` rung's forward kernel (in ``kernels/loops.py``,
unchanged) calls; Numba's own cache, keyed to ``loops.py`` alone, would keep the old one.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from fastbp.kernels import caching

import fastbp

SOURCE = Path(os.environ.get("FASTBP_SOURCE", Path(__file__).resolve().parents[1]))
# The planted change: the scalar sigmoid of the loops rung halved.
HELPER = "kernels/common.py"
OLD_LINE = "return 1.0 / (1.0 + math.exp(-x))"
NEW_LINE = "return 0.5 / (1.0 + math.exp(-x))"
# fastbp.forward on the loops rung: prints the hidden layer's first value and whether the
# kernel came from the cache.
FORWARD = """
import numpy as np, fastbp
from fastbp.kernels import loops
X = np.array([[0.5, -1.0], [2.0, 0.25]])
W1, b1 = np.array([[1.0, -2.0], [0.5, 1.5]]), np.array([0.1, -0.2])
W2, b2 = np.eye(2), np.zeros(2)
Y, Z = fastbp.forward(X, W1, b1, W2, b2, rung="loops")
print(fastbp.__version__, repr(float(Z[0, 0])), sum(loops.forward.stats.cache_hits.values()))
"""


def _run(python: Path, code: str, env: dict[str, str] | None = None, cwd=None) -> str:
    done = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def _source_copy(folder: Path, version: str | None = None, planted: bool = False) -> Path:
    """A copy of the checkout's package sources in the new ``folder``, with another version
    and the planted change if asked."""
    folder.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(SOURCE / name, folder / name)
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("fastbp", "kernels"):
        shutil.copytree(SOURCE / package, folder / package, ignore=ignore)
    if version is not None:
        init = folder / "fastbp" / "__init__.py"
        text = init.read_text()
        assert text.count(f'__version__ = "{fastbp.__version__}"') == 1
        init.write_text(text.replace(fastbp.__version__, version, 1))
    if planted:
        _plant(folder)
    return folder


def _plant(folder: Path) -> None:
    helper = folder / HELPER
    text = helper.read_text()
    assert text.count(OLD_LINE) == 1, f"the planted change no longer applies to {HELPER}"
    helper.write_text(text.replace(OLD_LINE, NEW_LINE))


def _pip(*args: str) -> list[str]:
    """pip of the test environment (builds are isolated: pip brings the build backend)."""
    return [sys.executable, "-m", "pip", *args, "--no-deps", "-q"]


def _wheel(source: Path, out: Path) -> Path:
    subprocess.run([*_pip("wheel", "-w", str(out)), str(source)], check=True, timeout=600)
    (wheel,) = out.glob(f"fastbp-*{_version(source)}*.whl")
    return wheel


def _version(source: Path) -> str:
    text = (source / "fastbp" / "__init__.py").read_text()
    return text.split('__version__ = "', 1)[1].split('"', 1)[0]


def _environment(folder: Path) -> Path:
    """A virtual environment without fastbp that sees the test environment's other packages
    (a folder of links to them, named in a .pth file); its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = Path(_run(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])"))
    others = folder / "others"
    others.mkdir()
    ours = Path(sysconfig.get_paths()["purelib"])
    for entry in ours.iterdir():
        if "fastbp" not in entry.name.lower():
            (others / entry.name).symlink_to(entry)
    (site / "others.pth").write_text(f"{others}\n")
    return python


def _install(python: Path, *args: str) -> None:
    """pip install into the environment of ``python`` (the test environment's pip)."""
    command = [*_pip("--python", str(python), "install"), *args]
    subprocess.run(command, check=True, timeout=600)


def _result(python: Path, env: dict[str, str], cwd: Path) -> tuple[str, str, int]:
    version, value, hits = _run(python, FORWARD, env, cwd).split()
    return version, value, int(hits)


@pytest.mark.slow
def test_an_upgrade_that_changes_only_a_helper_never_loads_the_old_kernels(tmp_path):
    """pip install -U over a cache filled by the old version, beside the kernels' source
    and in a persistent NUMBA_CACHE_DIR: the new version computes what it computes on an
    empty cache."""
    old = _source_copy(tmp_path / "old")
    new = _source_copy(tmp_path / "new", version="0.0.0+upgraded", planted=True)
    wheels = tmp_path / "wheels"
    old_wheel, new_wheel = _wheel(old, wheels), _wheel(new, wheels)
    python = _environment(tmp_path / "env")
    beside_source = {"NUMBA_CACHE_DIR": ""}
    persistent = {"NUMBA_CACHE_DIR": str(tmp_path / "persistent")}
    _install(python, str(old_wheel))
    before = [_result(python, env, tmp_path) for env in (beside_source, persistent)]
    assert [(hits, version) for version, _, hits in before] == [(0, fastbp.__version__)] * 2
    assert [_result(python, env, tmp_path)[2] for env in (beside_source, persistent)] == [1, 1]
    _install(python, "-U", str(new_wheel))

    after = [_result(python, env, tmp_path) for env in (beside_source, persistent)]
    empty = _result(python, {"NUMBA_CACHE_DIR": str(tmp_path / "empty")}, tmp_path)
    assert empty[0] == "0.0.0+upgraded" and empty[1] != before[0][1]  # the change shows
    assert after == [empty, empty]  # compiled anew (no cache hit), the new version's value


@pytest.mark.slow
def test_an_edited_helper_in_an_editable_install_is_compiled_again(tmp_path):
    checkout = _source_copy(tmp_path / "checkout")
    python = _environment(tmp_path / "env")
    _install(python, "-e", str(checkout))
    env = {"NUMBA_CACHE_DIR": ""}  # beside the checkout's kernels
    first = _result(python, env, tmp_path)
    assert _result(python, env, tmp_path) == (first[0], first[1], 1)  # cached
    _plant(checkout)
    edited = _result(python, env, tmp_path)
    empty = _result(python, {"NUMBA_CACHE_DIR": str(tmp_path / "empty")}, tmp_path)
    assert edited == empty and edited[1] != first[1]


USER_KERNEL = """
import sys
sys.path.insert(0, {folder!r})
import numba
{import_fastbp}
from numba.core.caching import Cache, FunctionCache
import user_kernels
assert user_kernels.double(2.0) == 4.0
cache = user_kernels.double._cache
print(type(cache) is FunctionCache, cache.cache_path, Cache.load_overload.__module__)
print(numba.config.CACHE_DIR, numba.config.THREADING_LAYER)
"""


@pytest.mark.slow
def test_a_users_own_cached_kernel_is_cached_as_numba_does_it(tmp_path):
    """Importing and using fastbp changes neither where nor how Numba caches another
    package's kernel, nor Numba's settings."""
    (tmp_path / "user_kernels.py").write_text(
        "import numba\n\n@numba.njit(cache=True)\ndef double(x):\n    return 2.0 * x\n"
    )
    runs = {}
    for name, line in {
        "numba alone": "",
        "with fastbp": "import fastbp, numpy as np; fastbp.gradients(np.eye(2), np.eye(2), "
        "np.ones((2, 2)), np.ones(2), np.ones((2, 2)), np.ones(2), rung='loops')",
    }.items():
        code = USER_KERNEL.format(folder=str(tmp_path), import_fastbp=line)
        runs[name] = _run(Path(sys.executable), code, {"NUMBA_CACHE_DIR": ""}, tmp_path)
    assert runs["with fastbp"] == runs["numba alone"]
    assert runs["numba alone"].startswith(f"True {tmp_path}")


# One process's call of a parallel rung, through ``gradients`` or through ``train``'s
# compiled loop (a serial kernel calling the parallel one through a pointer).
PARALLEL_CALL = """
import sys
import numpy as np, fastbp
X, labels = fastbp.datasets.three_clouds()
rung, entry = sys.argv[1], sys.argv[2]
if entry == "gradients":
    T = fastbp.datasets.one_hot(labels, 3)
    rng = np.random.default_rng(0)
    W1, b1 = rng.standard_normal((2, 3)), rng.standard_normal(3)
    W2, b2 = rng.standard_normal((3, 3)), rng.standard_normal(3)
    print(fastbp.gradients(X, T, W1, b1, W2, b2, rung=rung).cost)
else:
    print(fastbp.train(X, labels, rung=rung, epochs=20).W1.tolist())
"""


@pytest.mark.slow
def test_a_serial_kernel_calling_a_parallel_one_loads_from_the_cache_in_any_order(tmp_path):
    # numba#8578: a serial kernel that linked in a parallel kernel loaded from the cache was
    # saved without starting Numba's threads, and crashed when a later process loaded it
    # alone (this order: gradients, then train twice, each in a new process). train's
    # compiled loop now calls the rung's kernel as a first-class function (kernels.ascent),
    # which its own dispatcher loads, threads started; every order must still work.
    # narrow_parallel: its kernels compile in a third of parallel's time.
    rung = "narrow_parallel"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    printed = []
    for entry in ("gradients", "train", "train", "gradients"):
        done = subprocess.run(
            [sys.executable, "-c", PARALLEL_CALL, rung, entry],
            capture_output=True, text=True, env=env, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, (entry, done.returncode, done.stderr[-3000:])
        printed.append(done.stdout)
    assert printed[0] == printed[3] and printed[1] == printed[2]


def test_the_key_covers_every_kernel_source_and_the_versions(monkeypatch):

    assert caching.folder().parent == caching.root() and caching.folder().name == caching.digest()
    kernels = {path.name for path in caching.SOURCES.glob("*.py")}
    assert {"common.py", "layers.py", "narrow.py", "network.py", "caching.py"} <= kernels
    assert caching.SOURCES == Path(fastbp.kernels.__file__).resolve().parent
    key = caching.digest.__wrapped__  # uncached: computed anew under each change below
    assert key() == caching.digest()
    changes = [
        (fastbp, "__version__", "0.0.0+other"),
        (caching.numba, "__version__", "0.0.0"),
        (caching.llvmlite, "__version__", "0.0.0"),
        (caching.numba.config, "BOUNDSCHECK", 1),
        (caching.numba.config, "OPT", 0),
    ]
    for owner, name, value in changes:
        with monkeypatch.context() as patch:
            patch.setattr(owner, name, value)
            assert key() != caching.digest(), name
    assert key() == caching.digest()


def test_old_folders_are_pruned_to_the_most_recently_used(tmp_path):

    folders = [tmp_path / f"digest{i}" for i in range(5)]
    for age, folder in enumerate(folders):
        folder.mkdir()
        (folder / "kernel.nbi").write_bytes(b"x")
        os.utime(folder, (1e9 - age * 100, 1e9 - age * 100))  # digest0 the newest
    (tmp_path / "current").mkdir()
    deleted = caching.prune(tmp_path / "current", kept=3)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["current", "digest0", "digest1"]
    assert sorted(path.name for path in deleted) == ["digest2", "digest3", "digest4"]


def test_compile_clear_empties_fastbps_cache_only(tmp_path):
    (tmp_path / "someone_else").mkdir()
    fastbps = tmp_path / "fastbp" / "abc"
    fastbps.mkdir(parents=True)
    (fastbps / "kernel.nbi").write_bytes(b"x")
    done = subprocess.run(
        [sys.executable, "-m", "fastbp", "compile", "--clear"],
        capture_output=True,
        text=True,
        env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert str(tmp_path / "fastbp") in done.stdout
    assert [path.name for path in tmp_path.iterdir()] == ["someone_else"]
