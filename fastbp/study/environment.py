"""What the timings ran on: versions, the two BLAS libraries and the threads."""

from __future__ import annotations

import os
import sys

import numba
import numpy as np


def _blas(module) -> str:
    blas = module.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {})
    return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()


def environment(peers: bool = False) -> dict[str, object]:
    """Python, NumPy and Numba versions, the BLAS behind NumPy's matrix products and the one
    Numba kernels call, Numba's threads and the CPU count; with ``peers``, PyTorch's version
    and intra-op threads when it is installed."""
    import scipy

    out: dict[str, object] = {
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
