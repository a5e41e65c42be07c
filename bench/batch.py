#!/usr/bin/env python3
"""Time `wsdissect batch` (tables, Dask, 2 local worker processes) over N capture files against one
`wsdissect read --json` per file in sequence, the way a script would go through a fleet today.

  python bench/batch.py                   # 20 files of the main capture (bench/out/ws-1000000.pcap, ~100 MB each)
  python bench/batch.py --files 8 --source bench/out/ws-200000.pcap
  python bench/batch.py --quick           # smoke run: 4 files of 20,000 packets, 1 round (~1 min)

The N files are links to one capture (or, with --packets, to its first packets, cut by editcap) in a directory of
bench/out/: copies with the same times, so each is a capture of its own (`--separate` says so too) and batch runs
one task per file. Each command is a child process, wall time around it; rounds alternate the order, the
table shows medians. batch's time includes starting its local cluster (a few seconds).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def wsdissect(*args: str) -> list:
    return [sys.executable, "-m", "wsdissect", *args]


def timed(cmd: list, stdout=subprocess.DEVNULL) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=stdout, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def source(args) -> Path:
    src = Path(args.source) if args.source else OUT / "ws-1000000.pcap"
    if not src.exists():
        subprocess.run([sys.executable, str(HERE / "gen.py"), "--packets", "1000000"], check=True)
    if args.packets:
        cut = OUT / f"{src.stem}-first-{args.packets}.pcap"
        if not cut.exists():
            if shutil.which("editcap") is None:
                sys.exit("--packets needs editcap (Wireshark)")
            subprocess.run(["editcap", "-r", str(src), str(cut), f"1-{args.packets}"], check=True)
        src = cut
    return src


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--source", help="the capture each file is (default: bench/out/ws-1000000.pcap)")
    ap.add_argument("--packets", type=int, default=None, help="only the first N packets of the source")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="4 files of 20,000 packets, 1 round")
    args = ap.parse_args()
    if args.quick:
        args.files, args.packets, args.rounds = 4, args.packets or 20_000, 1
    OUT.mkdir(exist_ok=True)
    src = source(args).resolve()
    fleet = OUT / f"fleet-{args.files}-{src.stem}"
    shutil.rmtree(fleet, ignore_errors=True)
    fleet.mkdir()
    files = []
    for i in range(args.files):
        f = fleet / f"f{i:03d}.pcap"
        os.symlink(src, f)
        files.append(str(f))
    size = src.stat().st_size * args.files
    print(f"{args.files} files of {src.name} ({size / 1e6:,.0f} MB in all), {args.workers} workers, "
          f"{args.rounds} rounds")
    timed(wsdissect("read", "--json", files[0]))                     # page cache, byte-compiled modules
    batch_t, seq_t = [], []
    for r in range(args.rounds):
        def run_batch() -> None:
            with tempfile.TemporaryDirectory(dir=OUT) as tmp:
                batch_t.append(timed(wsdissect("batch", "--separate", *files, "--out", os.path.join(tmp, "t"),
                                               "--workers", str(args.workers))))

        def run_seq() -> None:
            seq_t.append(sum(timed(wsdissect("read", "--json", f)) for f in files))
        for step in ((run_batch, run_seq) if r % 2 == 0 else (run_seq, run_batch)):
            step()
    b, s = statistics.median(batch_t), statistics.median(seq_t)
    print(f"{'':34}{'median s':>10}{'MB/s':>9}")
    print(f"{'batch --workers %d (tables)' % args.workers:34}{b:10.2f}{size / 1e6 / b:9.1f}")
    print(f"{'read --json per file, in sequence':34}{s:10.2f}{size / 1e6 / s:9.1f}")
    print(f"batch / sequence: {b / s:.2f}x")
    shutil.rmtree(fleet, ignore_errors=True)


if __name__ == "__main__":
    main()
