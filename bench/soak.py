#!/usr/bin/env python3
"""Memory under load: many connections open at once, and many finished ones behind one that stays open.

  python bench/soak.py                       # 100,000 connections, both captures, the four commands
  python bench/soak.py --count 20000         # a quicker run
  python bench/soak.py --commands stats,follow

Two captures of the conns shape (bench/gen.py), written to bench/out/ when missing:

  open    every connection open at once (`--concurrency` twice the count): what --max-connections must hold
  held    one connection that stays open to the end, then the short connections, ~50 open at once: what follow
          and the flow view hold for a connection that has not finished

Each command runs with --max-connections above the count (so nothing is dropped at the cap) and -j 1, and its
peak RSS (the process and its children, bench/run.py's sampler) is set against the targets: under 500 MB for
`open`, under 150 MB for `held`. Each command's output is checked to cover every connection: read --json's
connection records, stats --json's total, follow's transcripts, the flow view's ladders.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen  # noqa: E402
from run import byte_compile, measure, warm, wsdissect_cmd  # noqa: E402

TARGET_MB = {"open": 500, "held": 150}
COMMANDS = {
    "read --json": ["read", "{f}", "--json"],
    "stats": ["stats", "{f}", "--json"],
    "follow": ["follow", "{f}"],
    "--view flow": ["read", "{f}", "--view", "flow"],
}


def capture(kind: str, count: int) -> Path:
    path = gen.OUT / f"soak-{kind}-{count}.pcap"
    if not path.exists():
        gen.OUT.mkdir(parents=True, exist_ok=True)
        if kind == "open":
            gen.shape_conns(path, count, seed=5, concurrency=2 * count)
        else:
            gen.shape_conns(path, count, seed=5, hold=True)
    return path


def covered(name: str, out: Path) -> int:
    """How many connections the command's output speaks of. Read line by line: a child's peak RSS as the kernel
    reports it (ru_maxrss) starts from this process's, which must stay small."""
    n, last = 0, ""
    with open(out, encoding="utf-8", errors="replace") as f:
        for line in f:
            if name == "read --json":
                n += line.startswith('{"type":"connection"')
            elif name == "stats":
                last = line
            else:
                n += line.startswith("conn ") and "(continued)" not in line
    return json.loads(last).get("connections", -1) if name == "stats" else n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="peak memory with many connections",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--count", type=int, default=100_000, help="short connections per capture")
    ap.add_argument("--commands", default=",".join(COMMANDS), help="comma-separated, of: " + ", ".join(COMMANDS))
    a = ap.parse_args(argv)
    names = [c.strip() for c in a.commands.split(",") if c.strip()]
    for n in names:
        if n not in COMMANDS:
            ap.error(f"unknown command {n!r}")
    byte_compile()
    ws = wsdissect_cmd()
    print(f"{'capture':<8} {'command':<12} {'seconds':>8} {'peak RSS':>9} {'target':>8} {'connections':>12}")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("open", "held"):
            path = capture(kind, a.count)
            want = a.count + (kind == "held")
            for name in names:
                args = [x.format(f=path) for x in COMMANDS[name]]
                cmd = ws + args + ["--max-connections", str(2 * a.count + 1)] + ([] if name == "follow" else ["-j", "1"])
                out = Path(tmp) / "out"
                warm(cmd)
                wall, peak, status, _ = measure(cmd, str(out))
                got = covered(name, out) if status == 0 else -1
                ok = status == 0 and peak < TARGET_MB[kind] and got == want
                failed += not ok
                print(f"{kind:<8} {name:<12} {wall:8.1f} {peak:7.0f} MB {TARGET_MB[kind]:5d} MB "
                      f"{got:>6}/{want:<6}{'' if ok else '  <- not met'}", flush=True)
                os.remove(out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
