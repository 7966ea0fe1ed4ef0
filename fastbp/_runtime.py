"""Process-wide Numba settings, applied when fastbp is imported, before any kernel exists.

- Compile cache: kernels are cached on disk next to their source (``cache=True``). If that
  folder is read-only (a system-wide or read-only install) and the user named no
  ``NUMBA_CACHE_DIR``, the cache goes to a per-user folder instead (``~/.cache/fastbp``,
  else the temporary folder), so that importing never fails for want of a writable folder.
- Threading layer: Numba's default ``workqueue`` layer aborts the process when two Python
  threads run parallel kernels at once. Unless ``NUMBA_THREADING_LAYER`` says otherwise,
  fastbp asks for a thread-safe one (``tbb``, a dependency, or ``omp``).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import numba


def _in_tree_cache_writable() -> bool:
    """Can Numba write its cache beside the kernels (in their ``__pycache__``)?"""
    spec = importlib.util.find_spec("fastbp.kernels")
    kernels = Path(next(iter(spec.submodule_search_locations)))
    cache = kernels / "__pycache__"
    return os.access(cache if cache.exists() else kernels, os.W_OK)


def _writable(folder: Path) -> bool:
    """True if ``folder`` exists and is writable, or can be created."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def configure() -> None:
    if "NUMBA_CACHE_DIR" not in os.environ and not _in_tree_cache_writable():
        xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        for folder in (Path(xdg) / "fastbp", Path(tempfile.gettempdir()) / "fastbp-cache"):
            if _writable(folder):
                numba.config.CACHE_DIR = str(folder)
                break
    if "NUMBA_THREADING_LAYER" not in os.environ:
        numba.config.THREADING_LAYER = "threadsafe"
