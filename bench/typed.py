#!/usr/bin/env python3
"""A skeleton core written for C-level state (bench/typedcore.py), compiled and not, against wsdissect and tshark.

  python bench/typed.py                         # bench/out/ws-200000.pcap and conns-10000.pcap, 3 rounds
  python bench/typed.py FILE.pcap ... --rounds 5

What it answers: if the core were plain Python written for C-level state (packets walked in place, no object per
packet, slotted classes that typedcore.pxd makes cdef classes with C fields), how fast would its per-packet work
be, compiled by Cython and not? typedcore.py does a subset of `read --json` (see its docstring); this script
compiles it with its .pxd (`cythonize -i`) in a temporary directory and
times, in a child process each, the best of --rounds (the compiled and the plain run must write the same lines):

  typed-py    typedcore.py run by the interpreter (the same file, uncompiled)
  typed-c     typedcore.py compiled
  lane        wsdissect read F --json --jobs 1 > /dev/null (wsdissect as installed: once the C lane, now the core)
  tshark      tshark -r F -Y websocket > /dev/null

Needs Cython 3 and a C compiler; nothing here is imported by the package.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = ("import hashlib, io, os, sys, time; sys.path.insert(0, {dir!r}); import typedcore; best = 1e9\n"
         "for _ in range({rounds}):\n"
         "    t = time.perf_counter()\n"
         "    with open(os.devnull, 'w') as out: typedcore.run({path!r}, out)\n"
         "    best = min(best, time.perf_counter() - t)\n"
         "out = io.StringIO(); typedcore.run({path!r}, out)\n"
         "print(best, typedcore.__file__, hashlib.sha256(out.getvalue().encode()).hexdigest())")


def best_wall(cmd: list, rounds: int) -> float:
    best = 1e9
    for _ in range(rounds):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    files = a.files or [str(HERE / "out" / "ws-200000.pcap"), str(HERE / "out" / "conns-10000.pcap")]
    for f in files:
        if not Path(f).exists():
            sys.exit(f"{f} is missing: python bench/gen.py --packets 200000; python bench/gen.py --shape conns --count 10000")
    with tempfile.TemporaryDirectory() as tmp:
        plain, built = Path(tmp, "py"), Path(tmp, "c")
        for d in (plain, built):
            d.mkdir()
            for name in ("typedcore.py", "typedcore.pxd"):
                shutil.copy(HERE / name, d)
        subprocess.run(["cythonize", "-i", "-3", "-q", "typedcore.py"], cwd=built, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"{'capture':32} {'tshark':>8} {'typed-py':>14} {'typed-c':>14} {'lane':>14}")
        for f in files:
            ts = best_wall(["tshark", "-r", f, "-Y", "websocket"], a.rounds)   # prints a root warning on stderr
            row, digests = [], set()
            for d in (plain, built):
                out = subprocess.run([sys.executable, "-c", CHILD.format(dir=str(d), rounds=a.rounds, path=f)],
                                     capture_output=True, text=True, check=True).stdout.split()
                assert out[1].startswith(str(d)), out
                row.append(float(out[0]))
                digests.add(out[2])
            if len(digests) != 1:
                sys.exit(f"{f}: the compiled skeleton writes other lines than the plain one")
            row.append(best_wall([sys.executable, "-m", "wsdissect", "read", f, "--json", "--jobs", "1"], a.rounds))
            print(f"{Path(f).name:32} {ts:7.2f}s " + " ".join(f"{x:6.2f}s {x / ts:5.2f}x" for x in row))


if __name__ == "__main__":
    main()
