"""Build script: the metadata lives in pyproject.toml; this compiles the core with Cython.

The core modules (wsdissect/build.py's CORE, the one list) are compiled from their .py files, with the .pxd
files beside them, where Cython and a C compiler are present. Without them, or for a module that fails to
compile, wsdissect installs as plain Python, which gives the very same output (only slower), and one line says
so. `python -m wsdissect.build` tells which modules run compiled.
"""
import os
import runpy
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
CORE = runpy.run_path(os.path.join(HERE, "wsdissect", "build.py"))["CORE"]
failed = []
# The C types come from the .pxd files beside the sources (Cython's pure-Python mode); annotations stay Python's
# (a `x: int` typed as C would refuse a bool, a `mac: type` an ABCMeta), so the compiled module accepts what the
# plain one does.
DIRECTIVES = {"language_level": 3, "annotation_typing": False}


def warn(why: str) -> None:
    print(f"wsdissect: warning: {why}; the core installs as plain Python (the same output, slower)",
          file=sys.stderr)


class OptionalBuildExt(build_ext):
    """Each extension optional: one that does not compile (no compiler, no Python headers) stays plain Python,
    named in one line at the end instead of the build failing."""

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as e:          # noqa: BLE001 -- a compiler's failure, whatever its kind
            text = (str(e).splitlines() or [type(e).__name__])[0]
            failed.append((ext.name, text if len(text) <= 100 else text[:99] + "…"))

    def run(self):
        super().run()
        if failed:
            names = ", ".join(name.split(".", 1)[1] for name, _ in failed)
            warn(f"{len(failed)} of {len(self.extensions)} core modules not compiled ({names}: {failed[0][1]})")


def extensions() -> list:
    try:
        from Cython.Build import cythonize
    except ImportError:
        warn("Cython is not installed")
        return []
    from setuptools import Extension
    out = []
    for path in CORE:
        name = "wsdissect." + path.replace("/", ".")
        source = os.path.join("wsdissect", *path.split("/")) + ".py"
        try:
            out += cythonize([Extension(name, [source], optional=True)], quiet=True,
                             compiler_directives=DIRECTIVES)
        except Exception as e:          # noqa: BLE001 -- Cython's own errors come as several kinds
            failed.append((name, f"Cython: {e}"))
    return out


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
