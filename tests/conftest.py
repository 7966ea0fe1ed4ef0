import pytest

from fastbp.registry import RUNGS


def pytest_configure(config):
    # Registered here, not in pyproject.toml: the wheel session runs these tests outside the
    # checkout, where pyproject.toml is not read.
    config.addinivalue_line(
        "markers",
        "slow: compile-heavy tests in new processes (empty caches, the wheel); "
        "skip with -m 'not slow'",
    )


# The CPU rungs, each compiled and plain; rung cuda (no plain twin, a GPU or numba-cuda's
# simulator needed) has tests of its own in test_cuda.py.
@pytest.fixture(params=[name for name, rung in RUNGS.items() if rung.plain_twin], ids=str)
def rung(request):
    return request.param


@pytest.fixture(params=[True, False], ids=["compiled", "plain"])
def compiled(request):
    return request.param
