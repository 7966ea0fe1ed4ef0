"""What the timings ran on: date, load, CPU, versions, the two BLAS libraries, the threads."""

from __future__ import annotations

import datetime
import os
import platform
import sys

import llvmlite.binding
import numba
import numpy as np


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages now (None where the system has none): a loaded
    machine slows every candidate, the baselines' own BLAS threads most, so every table is
    printed and saved with the load beside it."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _blas(module) -> str:
    blas = module.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {})
    return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()


def environment(peers: bool = False) -> dict[str, object]:
    """The date (UTC) and load average at the start, the CPU (LLVM's name for it), Python,
    NumPy and Numba versions, the BLAS behind NumPy's matrix products and the one Numba
    kernels call, Numba's threads and the CPU count; with ``peers``, PyTorch's version and
    intra-op threads when it is installed."""
    import scipy

    out: dict[str, object] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "load_average": load_average(),
        "cpu": f"{platform.machine()} {llvmlite.binding.get_host_cpu_name()}",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numba": numba.__version__,
        "numpy_blas": _blas(np),  # the classic NumPy code's matrix products
        "kernel_blas": _blas(scipy),  # np.dot inside Numba kernels calls scipy's BLAS
        "numba_threads": numba.get_num_threads(),
        "threading_layer_requested": numba.config.THREADING_LAYER,
        "cpu_count": os.cpu_count(),
    }
    if peers:
        try:
            import torch

            out.update(torch=torch.__version__, torch_threads=torch.get_num_threads())
        except ImportError:
            pass
    return out
