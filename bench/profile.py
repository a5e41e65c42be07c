#!/usr/bin/env python3
"""Where does wsdissect's time go? Profile `read --json` and the timeline on one capture, grouped by layer.

  python bench/profile.py                       # bench/out/ws-200000.pcap (generated if missing), py-spy
  python bench/profile.py --packets 500000
  python bench/profile.py --cprofile            # deterministic profiler instead (slower, inflates small calls)
  python bench/profile.py --stacks FILE.txt     # only regroup an existing py-spy --format raw file

py-spy (pip install py-spy) samples the running process, so the split is not distorted by profiling overhead;
each sample is charged to the innermost frame that belongs to a layer:

  read       sources/pcap.py              decode     decode.py             tcp        tcp.py
  http       http.py                      websocket  websocket/ (frames, messages, deflate, UTF-8)
  labels     analyzer.py: _label and the helpers that word roles, labels and Info
  analyzer   the rest of analyzer.py (Row building, dispatch, notes)
  json       render/jsonl.py and the json module     timeline   render/timeline.py and rich
  loop       cli/common.py's loop, click, start-up   (model.py helpers count for their caller)
"""
from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen  # noqa: E402

LABEL_FUNCS = {"_label", "_content", "_frames_label", "_fin", "_ack_label", "_tcp_info", "_own_frames",
               "_frame_info", "_content_info", "_short_name"}
LAYERS = ("read", "decode", "tcp", "http", "websocket", "labels", "analyzer", "json", "timeline", "loop")


def layer_of(frame: str) -> str | None:
    """'Func (path/file.py:line)' -> layer name, or None to look further up the stack."""
    func, _, where = frame.partition(" (")
    func = func.rsplit(".", 1)[-1]
    if "wsdissect/sources/pcap.py" in where:
        return "read"
    if "wsdissect/decode.py" in where:
        return "decode"
    if "wsdissect/tcp.py" in where:
        return "tcp"
    if "wsdissect/http.py" in where:
        return "http"
    if "wsdissect/websocket/" in where:
        return "websocket"
    if "wsdissect/analyzer.py" in where:
        return "labels" if func in LABEL_FUNCS else "analyzer"
    if "wsdissect/render/jsonl.py" in where or "json/" in where:
        return "json"
    if "wsdissect/render/timeline.py" in where or "rich/" in where:
        return "timeline"
    if "wsdissect/cli/" in where:
        return "loop"
    return None


def group(stacks_file: Path) -> tuple[collections.Counter, collections.Counter, int]:
    """(samples per layer, samples per innermost wsdissect function, total samples) of a raw py-spy file."""
    layers: collections.Counter = collections.Counter()
    funcs: collections.Counter = collections.Counter()
    total = 0
    for line in stacks_file.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        n = int(n)
        total += n
        frames = stack.split(";")
        for fr in reversed(frames):
            lay = layer_of(fr)
            if lay is not None:
                layers[lay] += n
                break
        else:
            layers["loop"] += n
        for fr in reversed(frames):
            if "wsdissect/" in fr or "rich/" in fr or "json/" in fr:
                funcs[fr.split(" (")[0] + " (" + fr.split(" (")[1].split("/")[-1]] += n
                break
    return layers, funcs, total


def report(title: str, stacks_file: Path, top: int = 15) -> None:
    layers, funcs, total = group(stacks_file)
    print(f"\n{title}: {total} samples")
    for lay in LAYERS:
        if layers[lay]:
            print(f"  {lay:<10} {100 * layers[lay] / total:5.1f} %")
    print(f"  innermost wsdissect/rich/json functions (self time), top {top}:")
    for f, n in funcs.most_common(top):
        print(f"    {100 * n / total:5.1f} %  {f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packets", type=int, default=200_000)
    ap.add_argument("--cprofile", action="store_true")
    ap.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    ap.add_argument("--stacks", type=Path, nargs="*", help="regroup existing py-spy raw files and stop")
    a = ap.parse_args(argv)
    if a.stacks:
        for f in a.stacks:
            report(str(f), f)
        return 0
    path = gen.default_path("main", a.packets)
    if not path.exists():
        gen.build("main", packets=a.packets)
    runs = {"json": ["read", str(path), "--json"], "timeline": ["read", str(path)]}
    spy = shutil.which("py-spy")
    for name, args in runs.items():
        if a.cprofile or spy is None:
            out = gen.OUT / f"prof-{name}.pstats"
            subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "wsdissect", *args],
                           stdout=subprocess.DEVNULL)
            import pstats
            print(f"\n== cProfile {name} ({path.name}), by internal time")
            pstats.Stats(str(out)).sort_stats("tottime").print_stats(20)
        else:
            out = gen.OUT / f"spy-{name}.txt"
            subprocess.run([spy, "record", "-r", str(a.rate), "--format", "raw", "-o", str(out), "--",
                            sys.executable, "-m", "wsdissect", *args], stdout=subprocess.DEVNULL)
            report(f"py-spy {name} ({path.name})", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
