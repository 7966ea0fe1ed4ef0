"""fastbp's on-disk compile cache: every kernel keyed to all the code its machine code holds.

Numba's own cache (``cache=True``) keys a kernel to its source file's modification time and
size only, never to the modules it inlines or calls: after an upgrade that changed only a
helper module, a kernel would load the old version's machine code. fastbp's kernels are
decorated with ``cached_njit`` instead, which gives each one a cache of its own kind:

- It lives in a folder named by ``digest()``: a hash of every source file of this package
  (the kernels, their helpers, the generators' templates), fastbp's, Numba's and
  llvmlite's versions, the CPU target and the Numba settings that change machine code
  (bounds checks, optimisation level). Any change to any of them starts an empty folder;
  the ``KEPT`` most recently used folders are kept beside it, older ones are deleted. (The
  Python's version is in each file's name, as Numba names them: Pythons share a folder.)
- The folder sits under ``root()``: ``NUMBA_CACHE_DIR/fastbp`` when Numba's cache folder
  is set, else beside the kernels' source (``fastbp/kernels/__pycache__/fastbp``) when that
  is writable, else a per-user folder (``$XDG_CACHE_HOME/fastbp``, ``~/.cache/fastbp``),
  else the temporary folder.
- Each compiled signature is saved under a name derived from its index key, so two
  processes saving at once never write different machine code to one file; on POSIX the
  index is updated under a file lock, so neither loses the other's entry.
- A damaged entry (a cut or overwritten file) is discarded and the kernel compiled again; a
  folder that cannot be written (a full disk, removed by another process's clean-up) leaves
  the kernel compiled but not saved. Each warns once per process.

Nothing here touches Numba's settings or classes: other packages' kernels are cached as
Numba does it, wherever Numba puts them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import ClassVar

import llvmlite
import llvmlite.binding
import numba
from numba.core.caching import (
    CompileResultCacheImpl,
    FunctionCache,
    IndexDataCacheFile,
    _CacheLocator,
)

try:
    import fcntl
except ImportError:  # Windows: index updates unlocked (a lost entry is compiled again)
    fcntl = None

KEPT = 4  # digest folders kept under root(): the current one and the most recently used
# Numba settings that change the machine code of a kernel compiled under them.
CODEGEN_SETTINGS = ("BOUNDSCHECK", "OPT", "DEBUGINFO_DEFAULT", "CPU_NAME", "CPU_FEATURES")
SOURCES = Path(__file__).resolve().parent  # this package: every kernel and template


@functools.cache
def digest() -> str:
    """A hash of everything a compiled kernel of this package depends on (module docstring)."""
    from fastbp import __version__  # set before fastbp imports its kernels

    sha = hashlib.sha256()
    for path in sorted(SOURCES.glob("*.py")):
        sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    settings = [f"{name}={getattr(numba.config, name, None)!r}" for name in CODEGEN_SETTINGS]
    target = [
        __version__,
        numba.__version__,
        llvmlite.__version__,
        llvmlite.binding.get_host_cpu_name(),
        llvmlite.binding.get_host_cpu_features().flatten(),
        *settings,
    ]
    sha.update("\n".join(target).encode())
    return sha.hexdigest()[:20]


def _writable(folder: Path) -> bool:
    """Whether ``folder`` exists and is writable, or can be created."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


@functools.cache
def root() -> Path:
    """The folder holding fastbp's cache folders, one per digest (module docstring): chosen
    once per process, before the first kernel is loaded or compiled."""
    if numba.config.CACHE_DIR:
        return Path(numba.config.CACHE_DIR) / "fastbp"
    beside_source = SOURCES / "__pycache__"
    if os.access(beside_source if beside_source.exists() else SOURCES, os.W_OK):
        return beside_source / "fastbp"
    user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fastbp"
    if _writable(user):
        return user
    user_id = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"fastbp-cache-{user_id}"


def folder() -> Path:
    """This code's cache folder: ``root() / digest()``."""
    return root() / digest()


@functools.cache
def prepare() -> Path:
    """Create ``folder()`` if needed, mark it used now and ``prune`` the others; once per
    process, before its first save."""
    current = folder()
    current.mkdir(parents=True, exist_ok=True)
    os.utime(current)
    prune(current, KEPT)
    return current


def prune(current: Path, kept: int) -> list[Path]:
    """Delete the folders beside ``current`` but the ``kept - 1`` most recently used (by
    modification time); returns those deleted."""
    others = [path for path in current.parent.iterdir() if path.is_dir() and path != current]
    others.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    for old in others[kept - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
    return others[kept - 1 :]


def clear() -> Path:
    """Delete every cache folder of fastbp's under ``root()`` (all digests); returns root()."""
    shutil.rmtree(root(), ignore_errors=True)
    prepare.cache_clear()
    return root()


class _Locator(_CacheLocator):
    """Numba's cache locator for fastbp's kernels: the digest's folder, the digest as the
    source stamp."""

    def __init__(self, py_func):
        self._lineno = py_func.__code__.co_firstlineno

    def ensure_cache_path(self):
        prepare()
        folder().mkdir(parents=True, exist_ok=True)  # if removed since by another process

    def get_cache_path(self):
        return str(folder())

    def get_source_stamp(self):
        return digest()

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        return cls(py_func)


class _Impl(CompileResultCacheImpl):
    _locator_classes: ClassVar[list[type]] = [_Locator]


class _IndexAndData(IndexDataCacheFile):
    """Numba's index and data files, with the data file named by its index key and the
    index updated under a lock (module docstring)."""

    def save(self, key, data):
        name = self._data_name_pattern.replace(
            "{number:d}", hashlib.sha256(repr(key).encode()).hexdigest()[:16]
        )
        self._save_data(name, data)  # written whole, then renamed into place
        with self._locked():
            overloads = self._load_index()
            overloads[key] = name
            self._save_index(overloads)

    @contextlib.contextmanager
    def _locked(self):
        if fcntl is None:
            yield
            return
        with open(os.path.join(self._cache_path, "index.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


_WARNED: set[str] = set()  # what has been warned of in this process


def _warn_once(topic: str, message: str) -> None:
    if topic not in _WARNED:
        _WARNED.add(topic)
        warnings.warn(f"fastbp: {message} (warned once per process)", RuntimeWarning, stacklevel=3)


class KernelCache(FunctionCache):
    """The cache of one of fastbp's kernels (module docstring)."""

    _impl_class = _Impl

    def __init__(self, py_func):
        super().__init__(py_func)
        self._cache_file = _IndexAndData(
            cache_path=self._cache_path,
            filename_base=self._impl.filename_base,
            source_stamp=digest(),
        )

    def _index_key(self, sig, codegen):
        # The digest in the key too: whatever locator Numba is told to use
        # (NUMBA_CACHE_LOCATOR_CLASSES), an entry of other code never matches.
        return (*super()._index_key(sig, codegen), digest())

    def load_overload(self, sig, target_context):
        """Numba's load, with recovery: when the entry cannot be read back (``UnpicklingError``,
        ``EOFError``, ...), its index is emptied (the next save writes it anew), one
        RuntimeWarning per process names the folder, and the kernel is compiled again."""
        try:
            return super().load_overload(sig, target_context)
        except OSError:  # a folder that cannot be read: not cached (the save warns)
            return None
        except Exception as error:
            with contextlib.suppress(OSError):
                self.flush()
            _warn_once(
                "damaged",
                f"the compile cache in {self.cache_path} is damaged ({type(error).__name__}: "
                f"{error}). Damaged entries are discarded and their kernels compiled again",
            )
            return None

    def save_overload(self, sig, data):
        """Numba's save; when the folder cannot be written, the kernel stays compiled for
        this process and is not saved, with one RuntimeWarning per process."""
        try:
            super().save_overload(sig, data)
        except OSError as error:
            _warn_once(
                "unwritable",
                f"cannot save compiled kernels in {self.cache_path} ({error}); they are "
                "compiled again in the next process",
            )


def cached_njit(**options):
    """``numba.njit(**options)`` with fastbp's cache (``KernelCache``) in place of
    ``cache=True``."""

    def decorate(function):
        dispatcher = numba.njit(**options)(function)
        dispatcher._cache = KernelCache(function)
        return dispatcher

    return decorate
