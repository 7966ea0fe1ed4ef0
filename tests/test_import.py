"""Importing fastbp compiles nothing; a rung compiles on its first call. Only the estimators
need scikit-learn."""

import subprocess
import sys

import pytest

PROBE = """
import numpy as np
import fastbp
from fastbp.registry import FUNCTIONS, RUNGS
dispatchers = [getattr(r.module, f) for r in RUNGS.values() for f in FUNCTIONS]
fused = ("gradients", "gradients_into")
dispatchers += [getattr(r.module, f) for r in RUNGS.values() for f in fused if hasattr(r.module, f)]
assert all(not d.signatures for d in dispatchers), "compiled at import"
fastbp.derivative_b2(np.eye(2), np.eye(2), rung="loops")
compiled = [d for d in dispatchers if d.signatures]
assert compiled == [RUNGS["loops"].module.derivative_b2], compiled
print("ok")
"""


@pytest.mark.slow
def test_import_compiles_nothing_and_first_use_compiles_one_kernel(tmp_path):
    # A fresh cache directory, so that the first call really compiles (or loads nothing).
    env = {"NUMBA_CACHE_DIR": str(tmp_path), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


CLASSIC_CALLS = """
import sys
import numpy as np
import fastbp
X, T = np.eye(3), np.eye(3)
W1, b1, W2, b2 = np.zeros((3, 2)), np.zeros(2), np.zeros((2, 3)), np.zeros(3)
fastbp.gradients(X, T, W1, b1, W2, b2)
fastbp.train(X, np.arange(3), hidden=2, epochs=2)
fastbp.fit(fastbp.Network((3, 2, 3)), X, T, learning_rate=0.1, epochs=2)
loaded = [n for n, m in sys.modules.items() if n.partition(".")[0] == "sklearn" and m is not None]
assert not loaded, loaded
gpu = [n for n in sys.modules if n.startswith(("numba.cuda", "numba_cuda"))]
assert not gpu, gpu  # rung cuda imports numba.cuda on first use only
"""
BLOCK_SKLEARN = """
import sys
sys.modules["sklearn"] = None  # import sklearn now raises ImportError
"""
ESTIMATORS_MISSING = """
for name in ("MLPClassifier", "MLPRegressor", "NotFittedError"):
    try:
        getattr(fastbp, name)
    except ImportError as error:
        assert "pip install 'fastbp[sklearn]'" in str(error), error
    else:
        raise AssertionError(f"fastbp.{name} without scikit-learn")
try:
    from fastbp import MLPClassifier
except ImportError as error:
    print(error)
"""


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.slow
def test_the_classic_api_network_and_fit_import_nothing_of_scikit_learn():
    run(CLASSIC_CALLS)


@pytest.mark.slow
def test_without_scikit_learn_only_the_estimators_are_missing():
    message = "fastbp.MLPClassifier needs scikit-learn: pip install 'fastbp[sklearn]'"
    assert run(BLOCK_SKLEARN + CLASSIC_CALLS + ESTIMATORS_MISSING) == message
