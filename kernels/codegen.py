"""Generated kernel modules: written where Numba's on-disk cache can use them, then imported.

Numba caches a function only if it has a source file (``cache=True`` keys the cache on the
file's path and modification time), so a kernel generated at run time is written to a
module in ``folder()`` and imported from there. A module is rewritten only when its text
changes; a generator puts a digest of the files its code depends on in the text
(``digest``), since Numba does not notice a change in a function that a cached one calls.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numba

LOADED: dict[str, ModuleType] = {}  # by module name, this process's


def folder() -> Path:
    """Where generated modules are written: in Numba's cache folder when one is set
    (``NUMBA_CACHE_DIR``, or the per-user folder that fastbp picks for a read-only
    install), else in this package's ``__pycache__``, where Numba caches beside the source."""
    if numba.config.CACHE_DIR:
        return Path(numba.config.CACHE_DIR) / "fastbp-generated"
    return Path(__file__).parent / "__pycache__" / "generated"


def digest(*paths: str | Path) -> str:
    """A short digest of these files' bytes."""
    sha = hashlib.sha256()
    for path in paths:
        sha.update(Path(path).read_bytes())
    return sha.hexdigest()[:16]


def write_once(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it already holds it (its modification time is part
    of Numba's cache key). The file appears whole (a hard link to a finished temporary
    file), and of processes starting together with none there, one writes it and the
    others find it: none replaces it after another has compiled and cached from it."""
    try:
        if path.read_text() == text:
            return
        exists = True
    except OSError:
        exists = False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w") as file:
        file.write(text)
    try:
        if not exists:
            try:
                os.link(temporary, path)
                return
            except FileExistsError:  # another process was first: keep its file if equal
                if path.read_text() == text:
                    return
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def load(name: str, text: Callable[[], str]) -> ModuleType:
    """The module ``name`` holding ``text()``: written to ``folder()`` and imported, once per
    process (as ``fastbp.kernels.generated_<name>``; ``text`` is called only then)."""
    module = LOADED.get(name)
    if module is None:
        path = folder() / f"{name}.py"
        write_once(path, text())
        spec = importlib.util.spec_from_file_location(f"fastbp.kernels.generated_{name}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        LOADED[name] = module
    return module
