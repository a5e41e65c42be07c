"""Which modules of the core Cython compiles, and which of them run compiled here.

CORE is the one list: setup.py compiles these modules (each from its .py, with the .pxd beside it when there is
one) where Cython and a C compiler are present, and installs them as plain Python otherwise; WSDISSECT_PURE=1
(pure.py) makes every one of them import from its .py even where a compiled module is present.

    python -m wsdissect.build             # each core module: compiled or plain, and why
    python -m wsdissect.build --require   # exit 1, naming them, when any runs as plain Python

This file is read by setup.py without importing the package: it imports nothing beyond the standard library
at its top.
"""
from __future__ import annotations

# The core, as module paths inside the package (no ".py").
CORE = (
    "sources/pcap",
    "decode",
    "tcp",
    "http",
    "websocket/frames",
    "websocket/messages",
    "websocket/deflate",
    "analyzer",
    "connstate",
    "roles",
    "model",
    "render/jsonl",
    "render/labels",
    "render/timeline",
    "render/linebreak",
    "stats",
    "tls/session",
    "tls/schedule",
)


def module_names() -> list:
    """CORE as dotted module names: wsdissect.sources.pcap, ..."""
    return ["wsdissect." + m.replace("/", ".") for m in CORE]


def compiled_modules() -> dict:
    """Each core module's name -> True when it was imported from a compiled extension, False from its .py."""
    import importlib
    from importlib.machinery import EXTENSION_SUFFIXES
    out = {}
    for name in module_names():
        path = getattr(importlib.import_module(name), "__file__", "") or ""
        out[name] = any(path.endswith(s) for s in EXTENSION_SUFFIXES)
    return out


def summary() -> str:
    """One line: how the core runs (for --version and the check)."""
    from .pure import pure_requested
    compiled = compiled_modules()
    n = sum(compiled.values())
    if n == len(compiled):
        return f"core compiled by Cython ({n} modules)"
    if pure_requested():
        return "core run as plain Python (WSDISSECT_PURE=1)"
    if n == 0:
        return "core run as plain Python (not compiled)"
    return f"core partly compiled ({n} of {len(compiled)} modules)"


def main(argv=None) -> int:
    import argparse
    from .pure import PURE_ENV, pure_requested
    ap = argparse.ArgumentParser(prog="python -m wsdissect.build",
                                 description="which core modules of wsdissect run compiled (Cython)")
    ap.add_argument("--require", action="store_true", help="exit 1, naming them, if any runs as plain Python")
    a = ap.parse_args(argv)
    compiled = compiled_modules()
    why = f"plain ({PURE_ENV}=1)" if pure_requested() else "plain (not compiled)"
    width = max(map(len, compiled))
    for name, yes in compiled.items():
        print(f"{name:<{width}}  {'compiled' if yes else why}")
    print(summary())
    plain = [name for name, yes in compiled.items() if not yes]
    if a.require and plain:
        print(f"python -m wsdissect.build: not compiled: {', '.join(plain)}", file=__import__("sys").stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
