"""WSDISSECT_PURE=1: the core modules (build.CORE) are imported from their .py sources even where compiled
modules are present beside them, so the plain Python, the reference, runs. Read once, when the package is
imported (`install`, from wsdissect/__init__.py); nothing else reads the variable."""
from __future__ import annotations

import os
import sys

PURE_ENV = "WSDISSECT_PURE"


def pure_requested() -> bool:
    return os.environ.get(PURE_ENV, "") not in ("", "0")


class SourceFirst:
    """A meta path finder that finds each core module at its .py, ahead of any compiled module of that name."""

    def __init__(self, package_dir: str, names: list) -> None:
        self.package_dir = package_dir
        self.names = frozenset(names)

    def find_spec(self, name, path=None, target=None):
        if name not in self.names:
            return None
        from importlib.util import spec_from_file_location
        source = os.path.join(self.package_dir, *name.split(".")[1:]) + ".py"
        return spec_from_file_location(name, source) if os.path.exists(source) else None


def install(package_dir: str) -> None:
    """With WSDISSECT_PURE=1: the finder first on sys.meta_path (once)."""
    if not pure_requested() or any(type(f).__name__ == "SourceFirst" for f in sys.meta_path):
        return
    from .build import module_names
    sys.meta_path.insert(0, SourceFirst(package_dir, module_names()))
