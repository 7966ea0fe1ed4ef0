"""The built wheel holds every module of the package, the kernels and the data, and no tests.

The wheel is the one named by ``FASTBP_WHEEL`` (the ``wheel`` nox session sets it), else
one built here from the checkout. The expected files are read from the checkout
(``FASTBP_SOURCE``, default: the folder above this one), never imported from it.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

LEFT_BEHIND = [".git", ".nox", ".venv", "build", "dist", "*.egg-info", "__pycache__", "env"]
SOURCE = Path(os.environ.get("FASTBP_SOURCE", Path(__file__).resolve().parents[1]))


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> tuple[Path, str | None]:
    """The wheel, and what its build wrote to stderr when it was built here (else None)."""
    given = os.environ.get("FASTBP_WHEEL")
    if given:
        return Path(given), None
    # From a copy without build outputs: setuptools would reuse a stale build/ folder.
    copy = tmp_path_factory.mktemp("source") / "fastbp"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns(*LEFT_BEHIND))
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out)]
    done = subprocess.run([*command, str(copy)], check=True, capture_output=True, text=True)
    (wheel,) = out.glob("fastbp-*.whl")
    return wheel, done.stderr


@pytest.fixture(scope="module")
def wheel_files(built_wheel) -> set[str]:
    with zipfile.ZipFile(built_wheel[0]) as archive:
        return set(archive.namelist())


@pytest.mark.slow
def test_wheel_holds_every_module_the_kernels_and_the_data(wheel_files):
    expected = {f"fastbp/kernels/{path.name}" for path in (SOURCE / "kernels").glob("*.py")}
    package = SOURCE / "fastbp"
    for path in [*package.rglob("*.py"), *(package / "data").glob("*.csv")]:
        expected.add(f"fastbp/{path.relative_to(package).as_posix()}")
    assert "fastbp/kernels/fused.py" in expected and "fastbp/data/iris.csv" in expected
    assert sorted(expected - wheel_files) == []


@pytest.mark.slow
def test_wheel_holds_no_tests_or_benchmarks(wheel_files):
    top_level = {name.split("/")[0] for name in wheel_files}
    assert all(name == "fastbp" or name.startswith("fastbp-") for name in top_level), top_level
    assert not [name for name in wheel_files if "test" in name.split("/")[-1]]


@pytest.mark.slow
def test_wheel_ships_the_license_and_builds_without_warnings(built_wheel, wheel_files):
    """The MIT license's text travels with the wheel; the build backend warns of nothing (a
    deprecated metadata form, a data folder outside the package list)."""
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in wheel_files)
    log = built_wheel[1]
    if log is None:
        pytest.skip("the wheel was built by the wheel session (FASTBP_WHEEL), not here")
    assert "Warning" not in log, log
