#!/usr/bin/env python3
"""Where the time goes, layer by layer, against tshark on the same file.

  python bench/stages.py                          # bench/out/ws-200000.pcap (generated if missing), 3 rounds
  python bench/stages.py --packets 1000000 --rounds 1
  python bench/stages.py FILE.pcap

Each row runs the pipeline up to one more layer, in this process, and keeps the best of --rounds runs:

  read       sources.pcap.open_capture: the struct loop over pcap records, one RawPacket each
  decode     + decode.decode_packet: link, IP and TCP headers
  tcp        + tcp.Tracker.feed: connections, relative seq/ack, reassembly
  analyzer   + everything else of Analyzer.feed: HTTP, WebSocket frames and messages, roles, labels, Info
  json       + render.jsonl, written to /dev/null            (what `read --json > /dev/null` does)
  timeline   + render.timeline, written to /dev/null         (what `read > out.txt` does)

and prints each row's time, its share of one tshark run (`tshark -r F -Y websocket > /dev/null`, best of the same
number of rounds) and the increment over the row before. The rows up to `tcp` are the floor of this
architecture: no work on labels or output can make a run cheaper than them.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen  # noqa: E402
from floor import best_of  # noqa: E402

from wsdissect.analyzer import Analyzer  # noqa: E402
from wsdissect.decode import decode_packet  # noqa: E402
from wsdissect.limits import DEFAULT_LIMITS  # noqa: E402
from wsdissect.sources.pcap import open_capture  # noqa: E402
from wsdissect.tcp import Tracker  # noqa: E402


def _read(path: str) -> None:
    for _ in open_capture(path):
        pass


def _decode(path: str) -> None:
    for raw in open_capture(path):
        decode_packet(raw)


def _tcp(path: str) -> None:
    feed = Tracker(DEFAULT_LIMITS).feed
    for raw in open_capture(path):
        seg = decode_packet(raw)
        if seg is not None:
            feed(seg)


def _analyzer(path: str) -> None:
    feed = Analyzer().feed
    for raw in open_capture(path):
        feed(raw)


def _with_writer(path: str, make) -> None:
    from wsdissect.cli.common import run
    with open(os.devnull, "w") as sink:
        real, sys.stdout = sys.stdout, sink
        try:
            run(Analyzer(), open_capture(path), out=make(sink))
        finally:
            sys.stdout = real


def _json(path: str) -> None:
    from wsdissect.render.jsonl import JsonLinesWriter
    _with_writer(path, JsonLinesWriter)


def _timeline(path: str) -> None:
    from rich.console import Console
    from wsdissect.render.timeline import TimelinePrinter
    _with_writer(path, lambda sink: TimelinePrinter(Console(file=sink, highlight=False, soft_wrap=False)))


STAGES = [("read", _read), ("decode", _decode), ("tcp", _tcp), ("analyzer", _analyzer), ("json", _json),
          ("timeline", _timeline)]


def _tshark(path: str) -> None:
    subprocess.run(["tshark", "-r", path, "-Y", "websocket"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="wsdissect's cost per layer against tshark",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("capture", nargs="?", type=Path, help="default: bench/out/ws-N.pcap, generated if missing")
    ap.add_argument("--packets", type=int, default=200_000, help="N for the default capture")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args(argv)
    path = a.capture or gen.OUT / f"ws-{a.packets}.pcap"
    if not path.exists():
        if a.capture:
            ap.error(f"{path}: no such file")
        gen.main(["--packets", str(a.packets)])
    path = str(path)
    n = sum(1 for _ in open_capture(path))
    tshark = best_of(a.rounds, _tshark, path)
    print(f"{path}: {n:,} packets; tshark -r F -Y websocket: {tshark:.2f} s (best of {a.rounds})")
    print(f"{'stage':<10} {'seconds':>8} {'x tshark':>9} {'µs/packet':>10} {'+ over previous':>16}")
    before = 0.0
    for name, fn in STAGES:
        s = best_of(a.rounds, fn, path)
        print(f"{name:<10} {s:8.2f} {s / tshark:9.2f} {s / n * 1e6:10.1f} {s - before:+16.2f}")
        if name not in ("json", "timeline"):
            before = s            # json and timeline each add their writer to the analyzer row
    return 0


if __name__ == "__main__":
    sys.exit(main())
