import pytest

from fastbp import warmup
from fastbp.registry import RUNGS


def pytest_configure(config):
    # Registered here, not in pyproject.toml: the wheel session runs these tests outside the
    # checkout, where pyproject.toml is not read.
    config.addinivalue_line(
        "markers",
        "slow: compile-heavy tests in new processes (empty caches, the wheel); "
        "skip with -m 'not slow'",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """Before pytest-xdist's workers start on the whole suite, compile every rung cached on
    disk (all but cuda) and the network once in each dtype, in as many processes as there
    are workers (``fastbp.warmup``, as ``python -m fastbp compile`` does): workers running
    test files side by side would otherwise compile the same kernels at the same time, each for
    itself. The tests then load them from the on-disk cache, which is keyed to the kernels'
    code (``fastbp.kernels.caching``); a run of some of the tests, or in one process,
    compiles as it goes."""
    config = session.config
    workers = getattr(config.option, "numprocesses", None)
    whole_suite = config.args == config.getini("testpaths") and not (
        config.option.keyword or config.option.markexpr
    )
    if hasattr(config, "workerinput") or not isinstance(workers, int) or workers < 2:
        return
    if whole_suite:
        warmup.warm_up(rungs=warmup.CACHED_RUNGS, dtypes=warmup.DTYPES, network=True, jobs=workers)


# The CPU rungs, each compiled and plain; rung cuda (no plain twin, a GPU or numba-cuda's
# simulator needed) has tests of its own in test_cuda.py.
@pytest.fixture(params=[name for name, rung in RUNGS.items() if rung.plain_twin], ids=str)
def rung(request):
    return request.param


@pytest.fixture(params=[True, False], ids=["compiled", "plain"])
def compiled(request):
    return request.param
