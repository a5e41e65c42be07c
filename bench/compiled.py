#!/usr/bin/env python3
"""The Python core compiled with Cython, against the same core uncompiled, the C lane and tshark.

  python bench/compiled.py                      # bench/out/ws-200000.pcap and conns-10000.pcap, 3 rounds
  python bench/compiled.py FILE.pcap ... --rounds 5

What it answers: how much faster does wsdissect's own Python get when Cython compiles it, as it is written
(pure-Python mode: the `.py` modules unchanged, with type declarations in `.pxd` files beside them)? It copies
the package to a temporary directory, puts the `.pxd` files of bench/pxd/ beside their modules, compiles every
module of the analysis path with `cythonize -i`, and times, in a child process per variant and file:

  pure       the package as installed, WSDISSECT_PURE=1 (no C lane)
  cython     the compiled copy, WSDISSECT_PURE=1
  lane       the package as installed, with the C lane (wsdissect/_fastlane.c) when it is built
  tshark     tshark -r F -Y websocket > /dev/null

Each wsdissect variant runs the pipeline of `read --json` in-process (open_capture, Analyzer, JsonLinesWriter
to /dev/null, as bench/stages.py's `json` row) and keeps the best of --rounds runs. The compiled copy must give
the same JSON Lines as the pure run on every file: it is checked before timing.

Cython's dataclasses take no `slots=True`; the copy's model.py drops that argument for the classes bench/pxd/
declares as cdef classes (a cdef class has no __dict__ anyway). Needs Cython 3 (`pip install cython`) and a C
compiler; nothing here is imported by the package.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import gen  # noqa: E402

# The modules a packet goes through in `read --json`, in that order.
COMPILED = ["model.py", "sources/pcap.py", "decode.py", "tcp.py", "http.py", "websocket/frames.py",
            "websocket/messages.py", "analyzer.py", "render/jsonl.py"]

# Run in the child: the pipeline of `read --json`, best of N, then the digest of one run's output.
CHILD = r"""
import hashlib, io, os, sys, time
if {path!r}:
    sys.path.insert(0, {path!r})
import wsdissect
assert wsdissect.__file__.startswith({path!r} or {root!r}), wsdissect.__file__
from wsdissect.analyzer import Analyzer
from wsdissect.cli.common import run
from wsdissect.render.jsonl import JsonLinesWriter
from wsdissect.sources.pcap import open_capture
def once(sink):
    real, sys.stdout = sys.stdout, sink
    try:
        run(Analyzer(), open_capture({capture!r}), out=JsonLinesWriter(sink))
    finally:
        sys.stdout = real
best = float("inf")
for _ in range({rounds}):
    with open(os.devnull, "w") as sink:
        t = time.perf_counter(); once(sink); best = min(best, time.perf_counter() - t)
buf = io.StringIO(); once(buf)
print(best, hashlib.sha256(buf.getvalue().encode()).hexdigest())
"""


def build(tmp: Path) -> Path:
    """Copy the package to `tmp`, add bench/pxd/, compile COMPILED in place; return the directory to import from."""
    pkg = tmp / "wsdissect"
    shutil.copytree(ROOT / "wsdissect", pkg, ignore=shutil.ignore_patterns("*.so", "__pycache__", "*.c", "*.h"))
    for pxd in (HERE / "pxd").glob("*.pxd"):
        shutil.copy(pxd, pkg / pxd.name)
    model = pkg / "model.py"
    declared = re.findall(r"^cdef class (\w+)", (HERE / "pxd" / "model.pxd").read_text(), re.M)
    text = model.read_text()
    for name in declared:
        text = text.replace(f"@dataclass(slots=True)\nclass {name}", f"@dataclass\nclass {name}")
    model.write_text(text)
    files = [str(pkg / f) for f in COMPILED]
    subprocess.run([sys.executable, "-m", "Cython.Build.Cythonize", "-3", "-i", "-j", str(os.cpu_count() or 1),
                    "-q", *files], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    return tmp


def child(capture: str, rounds: int, path: str = "", pure: bool = True) -> tuple[float, str]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("WSDISSECT_PURE", None)
    if pure:
        env["WSDISSECT_PURE"] = "1"
    code = CHILD.format(path=path, root=str(ROOT), capture=capture, rounds=rounds)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    best, digest = out.split()
    return float(best), digest


def tshark(capture: str, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        subprocess.run(["tshark", "-r", capture, "-Y", "websocket"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - t)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="the Python core compiled with Cython, against pure, lane, tshark",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("captures", nargs="*", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args(argv)
    captures = a.captures or [gen.OUT / "ws-200000.pcap", gen.OUT / "conns-10000.pcap"]
    for c in captures:
        if not c.exists():
            if a.captures:
                ap.error(f"{c}: no such file")
            shape = ["--packets", "200000"] if c.name.startswith("ws-") else ["--shape", "conns", "--count", "10000"]
            gen.main(shape)
    with tempfile.TemporaryDirectory(prefix="wsdissect-cython-") as tmp:
        t = time.perf_counter()
        build(Path(tmp))
        print(f"compiled {len(COMPILED)} modules in {time.perf_counter() - t:.0f} s")
        print(f"{'capture':<22} {'tshark s':>8} {'pure':>12} {'cython':>12} {'lane':>12}   (seconds, x tshark)")
        for c in captures:
            c = str(c)
            ts = tshark(c, a.rounds)
            pure, want = child(c, a.rounds)
            cy, got = child(c, a.rounds, path=tmp)
            lane, lane_digest = child(c, a.rounds, pure=False)
            if got != want:
                print(f"{c}: the compiled copy's JSON Lines differ from the pure run's", file=sys.stderr)
                return 1
            cells = " ".join(f"{s:6.2f} {s / ts:4.2f}x" for s in (pure, cy, lane))
            print(f"{Path(c).name:<22} {ts:8.2f} {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
