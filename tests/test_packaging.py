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
def wheel_files(tmp_path_factory) -> set[str]:
    given = os.environ.get("FASTBP_WHEEL")
    if given:
        wheel = Path(given)
    else:
        # From a copy without build outputs: setuptools would reuse a stale build/ folder.
        copy = tmp_path_factory.mktemp("source") / "fastbp"
        shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns(*LEFT_BEHIND))
        out = tmp_path_factory.mktemp("wheel")
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out)]
        subprocess.run([*command, str(copy)], check=True, capture_output=True)
        (wheel,) = out.glob("fastbp-*.whl")
    with zipfile.ZipFile(wheel) as archive:
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
