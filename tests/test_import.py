"""Importing fastbp compiles nothing; a rung compiles on its first call."""

import subprocess
import sys

PROBE = """
import numpy as np
import fastbp
from fastbp.registry import FUNCTIONS, RUNGS
dispatchers = [getattr(r.module, f) for r in RUNGS.values() for f in FUNCTIONS]
dispatchers += [r.module.gradients for r in RUNGS.values() if hasattr(r.module, "gradients")]
assert all(not d.signatures for d in dispatchers), "compiled at import"
fastbp.derivative_b2(np.eye(2), np.eye(2), rung="loops")
compiled = [d for d in dispatchers if d.signatures]
assert compiled == [RUNGS["loops"].module.derivative_b2], compiled
print("ok")
"""


def test_import_compiles_nothing_and_first_use_compiles_one_kernel(tmp_path):
    # A fresh cache directory, so that the first call really compiles (or loads nothing).
    env = {"NUMBA_CACHE_DIR": str(tmp_path), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
