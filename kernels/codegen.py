"""Generated kernel modules: written where the on-disk compile cache can use them, then imported.

Numba caches a function only if it has a source file, so a kernel generated at run time is
written to a module in ``folder()`` and imported from there. That folder is inside the
compile cache's folder (``caching.folder()``), which is keyed to every source file of the
kernels, the generators' templates included: a change to any of them gives new modules.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from . import caching

LOADED: dict[str, ModuleType] = {}  # by module name, this process's


def folder() -> Path:
    """Where generated modules are written: ``generated`` in the compile cache's folder."""
    return caching.folder() / "generated"


def write_once(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it already holds it. The file appears whole (a hard
    link to a finished temporary file), and of processes starting together with none there,
    one writes it and the others find it: none replaces it after another has compiled and
    cached from it."""
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
