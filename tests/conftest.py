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


# The files that take longest (compiling in new processes, starting Dask clusters), longest
# first, then the others in pytest's order: pytest-xdist hands out whole files in the order
# collected (``--dist loadfile --no-loadscope-reorder``), so that the last file to start is a
# short one and no worker waits idle while the other ends a long file.
LONGEST_FIRST = (
    "test_cache.py",
    "test_dask.py",
    "test_agreement.py",
    "test_study.py",
    "test_compile_command.py",
    "test_runtime.py",
    "test_sklearn_suite.py",
    "test_out.py",
    "test_network.py",
    "test_training.py",
    "test_estimator_accuracy.py",
    "test_threads.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


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
