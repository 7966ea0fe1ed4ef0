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
import warnings
from pathlib import Path

import numba
from numba.core.caching import Cache


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


_numba_load_overload = Cache.load_overload  # what configure() wraps
_warned_of_damage = False  # one warning per process, however many kernels were damaged


def _load_overload_or_discard(self: Cache, sig: object, target_context: object) -> object:
    """Numba's ``Cache.load_overload``, for fastbp's kernels recovering from a damaged cache.

    Numba has no recovery of its own: when a kernel's index (``.nbi``) or data (``.nbc``)
    file cannot be unpickled, the error (``UnpicklingError``, ``EOFError``, ...) escapes
    from the kernel's first call, in every later process, until someone deletes the
    files. Here any ``Exception`` while loading (not ``KeyboardInterrupt`` and the like)
    instead empties that kernel's index (Numba's ``Cache.flush``; the data files it named
    are orphaned, and later saves overwrite them), warns once per process, naming the
    folder of the first damaged kernel, and answers "not cached", so Numba compiles the
    kernel and saves it anew. Installed on Numba's ``Cache`` class, it serves every cache
    folder (beside the source, ``NUMBA_CACHE_DIR``, the user-cache fallback); other
    packages' functions keep Numba's behaviour.
    """
    global _warned_of_damage
    try:
        return _numba_load_overload(self, sig, target_context)
    except Exception as error:
        if not self._py_func.__module__.startswith("fastbp."):
            raise
        self.flush()
        if not _warned_of_damage:
            _warned_of_damage = True
            warnings.warn(
                f"fastbp: the compile cache in {self.cache_path} is damaged "
                f"({type(error).__name__}: {error}). Damaged entries are discarded and "
                "their kernels compiled again (warned once per process).",
                RuntimeWarning,
                stacklevel=2,
            )
        return None


def configure() -> None:
    Cache.load_overload = _load_overload_or_discard
    if "NUMBA_CACHE_DIR" not in os.environ and not _in_tree_cache_writable():
        xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        for folder in (Path(xdg) / "fastbp", Path(tempfile.gettempdir()) / "fastbp-cache"):
            if _writable(folder):
                numba.config.CACHE_DIR = str(folder)
                break
    if "NUMBA_THREADING_LAYER" not in os.environ:
        numba.config.THREADING_LAYER = "threadsafe"
