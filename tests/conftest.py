import pytest

from fastbp.registry import RUNGS


@pytest.fixture(params=list(RUNGS), ids=str)
def rung(request):
    return request.param


@pytest.fixture(params=[True, False], ids=["compiled", "plain"])
def compiled(request):
    return request.param
