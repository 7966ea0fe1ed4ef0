"""fastbp's CI sessions, each in a fresh virtual environment of its own.

    nox -l                  # list the sessions
    nox -s tests-3.12       # the test suite on one Python
    nox -s wheel            # build sdist and wheel, test the installed wheel
    nox -s lowest           # the suite on the lowest versions pyproject.toml allows

``.ci/run`` runs the README's test command, then every session here but ``tests-3.11``
(which the README command already is), all with one compile cache (``NUMBA_CACHE_DIR``):
fastbp keys its cached kernels to their code, Numba's and fastbp's versions, the Python and
the settings that change machine code (``fastbp.kernels.caching``), so a session only loads
what another compiled from the same code for the same Python and Numba; run alone, a
session keeps a cache of its own in its environment folder.

What each session runs, and why:

- the README command and ``wheel``: the whole suite (the editable checkout, then the
  installed wheel, which loads the kernels the first compiled), the docstrings' examples
  included (``tests/test_docstrings.py`` runs them against the fastbp it imports: there,
  the installed wheel);
- ``lowest`` and ``tests-3.10``, ``-3.12``, ``-3.13``: ``PORTABLE``, the tests that a
  change of Python, NumPy, Numba or scikit-learn could break, every rung, the network in
  every mode, every solver of the estimators, the Dask layer, scikit-learn's own MLP
  tests and the docstrings' examples once each, because each of these compiles everything
  anew;
- ``boundscheck``: the tests that run the kernels, compiled with Numba's bounds checks (a
  cache key of its own);
- ``cuda_sim``: ``tests/test_cuda.py`` and ``tests/test_cuda_network.py``, rung ``cuda``
  and the network on the GPU, on numba-cuda's simulator (``NUMBA_ENABLE_CUDASIM=1``): CI
  has no GPU, and every other session skips those files (without numba-cuda they skip
  themselves); the session fails if the rung cannot run there rather than skip every test.
  numba-cuda alone: the simulator needs no CUDA runtime;
- ``lint``: ruff; ``bench``: every asv benchmark once;
- ``docs``: the documentation site, built offline with warnings as errors (its tutorials
  run, so it compiles the kernels they call).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True
nox.options.reuse_existing_virtualenvs = False

ROOT = Path(__file__).resolve().parent
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
# pytest-xdist: two processes share the 2 cores of the CI machine; a test file stays in one
# process, so the kernels it compiles are compiled once; the files in the order that
# tests/conftest.py gives them (the longest first).
PARALLEL = ["-n", "auto", "--dist", "loadfile", "--no-loadscope-reorder"]
# The portable subset (module docstring): the agreement of every rung, compiled and plain,
# in both dtypes, its sweep over shapes at the seed shape only (N=1500: -k below); the
# network fitted in every mode and optimizer (its gradients against the reference run in
# the full suite); the estimators against scikit-learn for every solver; the Dask layer;
# scikit-learn's own MLP tests; importing with and without the extras; the docstrings'
# examples (what they print is what users of every supported version read).
PORTABLE = [
    "tests/test_agreement.py",
    "tests/test_fitting.py",
    "tests/test_estimator_reference.py",
    "tests/test_dask.py",
    "tests/test_sklearn_suite.py",
    "tests/test_import.py",
    "tests/test_docstrings.py",
    "-k",
    "not (test_each_function_matches_reference or test_gradients_match_reference) or N1500",
]
# The tests that run the kernels; run once more with Numba's bounds checks on.
KERNEL_TESTS = [
    "tests/test_agreement.py",
    "tests/test_finite_differences.py",
    "tests/test_stability.py",
    "tests/test_network.py",
    "tests/test_fitting.py",
]
CUDA_RUNS = "import sys, fastbp; sys.exit(fastbp.RUNGS['cuda'].unavailable())"
IMPORTED_FROM_SITE_PACKAGES = (
    "import sys, fastbp; "
    "sys.exit(0 if 'site-packages' in fastbp.__file__ else f'imported {fastbp.__file__}')"
)


def numba_cache(session: nox.Session) -> dict[str, str]:
    """The compile cache: NUMBA_CACHE_DIR when set (``.ci/run`` shares one among the
    sessions), else a folder of this session's own, inside its environment folder."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return {"NUMBA_CACHE_DIR": os.environ["NUMBA_CACHE_DIR"]}
    folder = Path(session.virtualenv.location) / "numba-cache"
    folder.mkdir(exist_ok=True)
    return {"NUMBA_CACHE_DIR": str(folder)}


def report_versions(session: nox.Session) -> None:
    """Print the Python and the versions this environment resolved (for the CI log)."""
    session.run(
        "python",
        "-c",
        "import sys, numpy, numba, scipy, pytest; "
        "print('versions: python', sys.version.split()[0], 'numpy', numpy.__version__, "
        "'numba', numba.__version__, 'scipy', scipy.__version__, 'pytest', pytest.__version__)",
        silent=False,
    )


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """An editable install, then the portable subset on one Python (posargs: other tests;
    ``nox -s tests-3.12 -- tests`` runs them all)."""
    session.install("-e", ".[test]")
    report_versions(session)
    selected = session.posargs or PORTABLE
    session.run("python", "-m", "pytest", *PARALLEL, *selected, env=numba_cache(session))


@nox.session(python="3.11")
def lowest(session: nox.Session) -> None:
    """The portable subset on the lowest versions of every direct dependency that pyproject
    allows."""
    session.install("uv")
    session.run(
        "uv",
        "pip",
        "install",
        "--python",
        session.virtualenv.location,
        "--resolution",
        "lowest-direct",
        "-e",
        ".[test]",
    )
    report_versions(session)
    selected = session.posargs or PORTABLE
    session.run("python", "-m", "pytest", *PARALLEL, *selected, env=numba_cache(session))


@nox.session(python="3.11")
def wheel(session: nox.Session) -> None:
    """Build sdist and wheel, install the wheel (not editable) and test that install from a
    folder where the checkout is not importable, so a file missing from the wheel fails."""
    dist = Path(tempfile.mkdtemp(prefix="fastbp-dist-"))
    session.install("build")
    session.run("python", "-m", "build", "--outdir", str(dist), ".")
    (built,) = dist.glob("fastbp-*.whl")
    session.install(f"{built}[test]")
    report_versions(session)
    outside = Path(tempfile.mkdtemp(prefix="fastbp-wheel-tests-"))
    shutil.copytree(ROOT / "tests", outside / "tests")
    # The tests read the checkout's file list (never import from it) to check the wheel.
    env = {**numba_cache(session), "FASTBP_WHEEL": str(built), "FASTBP_SOURCE": str(ROOT)}
    with session.chdir(outside):
        session.run("python", "-c", IMPORTED_FROM_SITE_PACKAGES)
        session.run(
            "python",
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            *PARALLEL,
            "tests",
            *session.posargs,
            env=env,
        )
        session.run("python", "-m", "fastbp", "train", env=env)
    shutil.rmtree(dist)
    shutil.rmtree(outside)


@nox.session(python="3.11")
def boundscheck(session: nox.Session) -> None:
    """The kernel tests with Numba's bounds checks on (kernels check no bounds themselves);
    the setting is part of the cache key, so every kernel is compiled with the checks."""
    session.install("-e", ".[test]")
    env = {**numba_cache(session), "NUMBA_BOUNDSCHECK": "1"}
    command = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *PARALLEL]
    session.run(*command, *KERNEL_TESTS, env=env)


@nox.session(python="3.11")
def cuda_sim(session: nox.Session) -> None:
    """Rung cuda's tests on numba-cuda's simulator, which runs each CUDA thread as a Python
    thread on the CPU (the tests keep N and the blocks small)."""
    session.install("-e", ".[test]", "numba-cuda>=0.30")
    env = {**numba_cache(session), "NUMBA_ENABLE_CUDASIM": "1"}
    # Fails, rather than letting every test skip, when the rung cannot run here.
    session.run("python", "-c", CUDA_RUNS, env=env)
    command = ["python", "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-rs"]
    tests = ["tests/test_cuda.py", "tests/test_cuda_network.py"]
    session.run(*command, *(session.posargs or tests), env=env)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff's lint rules and formatting."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """The asv suites cannot rot: ``asv check``, then every benchmark once (quick mode, seed
    size) against the installed package; any benchmark error fails. It prints no timings."""
    session.install("-e", ".[bench]")
    session.run("python", "asv_benchmarks/perf.py", "smoke", env=numba_cache(session))


# What a docs build generates in the source folder (docs/development.md): removed first, so
# that every tutorial runs and every API page is generated anew.
DOCS_GENERATED = ("docs/auto_tutorials", "docs/api/generated", "docs/sg_execution_times.rst")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """The documentation site, as docs/development.md builds it: warnings are errors, and
    nothing is fetched from the network. The HTML goes to a temporary folder."""
    session.install("-e", ".[docs]")
    for name in DOCS_GENERATED:
        path = ROOT / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    out = Path(tempfile.mkdtemp(prefix="fastbp-docs-"))
    command = ["python", "-m", "sphinx", "-W", "--keep-going", "-E", "-b", "html"]
    session.run(*command, "docs", str(out), env=numba_cache(session))
    shutil.rmtree(out)
