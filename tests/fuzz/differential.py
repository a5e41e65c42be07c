"""Differential run: the same hostile captures through two source trees of wsdissect, outputs compared.

  python tests/fuzz/differential.py /path/to/other/tree              # this tree against that one
  python tests/fuzz/differential.py OLD NEW --count 30000 --view timeline

For a change that must not change any output (a speed-up, a refactor, a compiled twin of a Python path): check
out the reference (`git worktree add /tmp/ref HEAD`) and run this. The inputs are this tree's fuzz seeds and
`--count` mutations of them (tests/fuzz/harness.py: `hostile_captures`), written once to a temporary folder;
each tree then analyses every file in a child process of its own (PYTHONPATH = that tree) with the options the
pipeline fuzz target picks from the input (tiny limits, --decode-as, Chinese), renders it as JSON Lines or as the
timeline, and prints a hash per file. Files whose outputs differ are listed and kept for a look. Exit 1 if any.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _worker(folder: str, view: str) -> None:
    """In the child: every file of `folder` through this process's wsdissect; one 'name hash' line each."""
    from wsdissect.analyzer import Analyzer
    from wsdissect.limits import Limits
    from wsdissect.render.jsonl import JsonLinesWriter
    from wsdissect.sources.pcap import CaptureError, iter_capture
    small = Limits(max_message=100, max_reorder=300, max_header=200, max_connections=2)
    for name in sorted(os.listdir(folder)):
        data = Path(folder, name).read_bytes()
        h = zlib.crc32(data)           # the choices of tests/fuzz/harness.py's pipeline_options, and its language
        a = Analyzer(small if h & 1 else Limits(), decode_as=(80, 8080, 9002, 8000, 8765, 5000) if h & 6 == 6 else (),
                     lang="zh" if h & 8 else "en")
        buf = io.StringIO()
        if view == "timeline":
            from rich.console import Console
            from wsdissect.render.timeline import TimelinePrinter
            out = TimelinePrinter(Console(file=buf, width=120, height=25, highlight=False, soft_wrap=False,
                                          color_system=None), lang=a.lang)
        else:
            out = JsonLinesWriter(buf)
        try:
            for raw in iter_capture(io.BytesIO(data)):
                row = a.feed(raw)
                if row is not None:
                    out.row(row, a.connections.get(row.conn) if row.conn is not None else None)
        except CaptureError:
            pass
        notes = a.finish()
        out.end(a.end_frames, a.end_messages, notes)
        out.summary(a.summary)
        print(name, hashlib.sha1(buf.getvalue().encode()).hexdigest())


def _hashes(tree: Path, folder: str, view: str) -> dict:
    code = (f"import sys; sys.path.insert(0, {str(tree)!r}); import wsdissect; "
            f"assert wsdissect.__file__.startswith({str(tree)!r}), wsdissect.__file__; "
            f"sys.path.insert(0, {str(HERE)!r}); import differential; differential._worker({folder!r}, {view!r})")
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    return dict(line.split() for line in out.splitlines())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("old", type=Path, help="the reference tree (its wsdissect/ package is imported)")
    ap.add_argument("new", type=Path, nargs="?", default=HERE.parent.parent, help="default: this tree")
    ap.add_argument("--count", type=int, default=10_000, help="mutated captures (default 10,000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--view", choices=("json", "timeline"), default="json")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    from fuzz.harness import hostile_captures
    folder = tempfile.mkdtemp(prefix="wsdissect-differential-")
    n = 0
    for i, (_, data) in enumerate(hostile_captures(count=a.count, seed=a.seed)):
        Path(folder, f"{i:06d}.pcap").write_bytes(data)
        n += 1
    old, new = (_hashes(t.resolve(), folder, a.view) for t in (a.old, a.new))
    differ = sorted(name for name in old if old[name] != new.get(name))
    print(f"{n} captures, {len(set(old.values()))} distinct outputs ({a.view}): "
          f"{len(differ)} differ between {a.old} and {a.new}")
    for name in differ[:20]:
        print(f"  {Path(folder, name)}")
    if not differ:
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
