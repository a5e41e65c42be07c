#!/usr/bin/env python3
"""The wss row: `read --json --keylog K` on a wss:// capture against `read --json` on the same traffic in the
clear (target: at most 2x); and, for scale, that cleartext read by the core's plain Python sources (WSDISSECT_PURE=1).

The files come from `python bench/gen.py --tls --packets N` (made here when missing): the main capture's clients
recorded over TLS 1.3 with their key log, and the same clients in the clear, both replicated to the same
connections. Each command is a child process, run after an untimed read of its file; the two alternate, the
order flipping every round; medians of wall and CPU seconds (CPU includes worker processes).

    python bench/wss.py                      # 150k packets, 3 rounds
    python bench/wss.py --packets 200000 --rounds 5 --jobs 1
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen  # noqa: E402
from run import Result, byte_compile, fmt_rate, wsdissect_cmd  # noqa: E402

TARGET = 2.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--packets", type=int, default=150_000, help="packets of the wss capture (default 150k)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, help="pass --jobs N to both commands (default: wsdissect's own)")
    a = ap.parse_args(argv)
    wss, keys, clear = gen.tls_paths(a.packets)
    if not (wss.exists() and keys.exists() and clear.exists()):
        gen.build("tls", packets=a.packets)
    byte_compile()
    ws = wsdissect_cmd()
    jobs = ["--jobs", str(a.jobs)] if a.jobs else []
    n_wss, n_clear = gen._count(wss), gen._count(clear)
    tls = Result("read --json --keylog K (wss)", [*ws, "read", str(wss), "--json", "--keylog", str(keys), *jobs],
                 n_wss)
    plain = Result("read --json (clear twin)", [*ws, "read", str(clear), "--json", *jobs], n_clear)
    pure = Result("WSDISSECT_PURE=1 read --json (clear twin)", ["env", "WSDISSECT_PURE=1", *ws, "read", str(clear),
                                                                 "--json", *jobs], n_clear)
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    for r in range(a.rounds):
        for res in ((tls, plain, pure) if r % 2 == 0 else (pure, plain, tls)):
            res.run()
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)
    ratio, cpu_ratio = tls.median / plain.median, tls.cpu_median / plain.cpu_median
    print("| command | packets | median s | CPU s | packets/s | ratio (wall / CPU) | target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    print(f"| `{tls.name}` | {n_wss:,} | {tls.median:.2f} | {tls.cpu_median:.2f} | {fmt_rate(n_wss, tls.median)} "
          f"| {ratio:.2f} / {cpu_ratio:.2f} | ≤ {TARGET:g} — {'met' if ratio <= TARGET else 'not met'} |")
    print(f"| `{plain.name}` | {n_clear:,} | {plain.median:.2f} | {plain.cpu_median:.2f} "
          f"| {fmt_rate(n_clear, plain.median)} | | |")
    print(f"| `{pure.name}` | {n_clear:,} | {pure.median:.2f} | {pure.cpu_median:.2f} "
          f"| {fmt_rate(n_clear, pure.median)} | wss / this: {tls.median / pure.median:.2f} / "
          f"{tls.cpu_median / pure.cpu_median:.2f} | |")
    return 0 if not (tls.failed or plain.failed or pure.failed) else 2


if __name__ == "__main__":
    sys.exit(main())
