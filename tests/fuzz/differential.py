"""Differential run: the same hostile captures through two source trees of wsdissect, outputs compared.

  python tests/fuzz/differential.py /path/to/other/tree              # this tree against that one
  python tests/fuzz/differential.py OLD NEW --count 30000 --view timeline

For a change that must not change any output (a speed-up, a refactor, a compiled twin of a Python path): check
out the reference (`git worktree add /tmp/ref HEAD`) and run this. The inputs are this tree's fuzz seeds and
`--count` mutations of them (tests/fuzz/harness.py: `hostile_captures`), written once to a temporary folder;
each tree then analyses every file in a child process of its own (PYTHONPATH = that tree) with the options the
pipeline fuzz target picks from the input (tiny limits, --decode-as, Chinese), renders it as JSON Lines or as the
timeline, and prints a hash per file. Files whose outputs differ are listed and kept for a look. Exit 1 if any.

--jobs N compares one tree (default: this one) with itself: `read --json` read by one process against N
processes (wsdissect/parallel.py), without the small --max-connections, which a parallel read shares out among its
workers. Each file goes through the command itself (click's CliRunner, in the child), with the same choices as
options (--max-message 100 ..., --decode-as, --lang zh), and its stdout, stderr and exit status are hashed.
--view stats runs `stats --json` instead.
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
DECODE_AS = (80, 8080, 9002, 8000, 8765, 5000)
# What the command sees in --jobs mode: a 120-column terminal with no colour.
CLI_ENV = {"COLUMNS": "120", "LINES": "25", "NO_COLOR": "1", "TERM": "dumb"}


def cli_options(data: bytes, shared_out: bool = False) -> list:
    """The choices `_worker` makes for a capture (the pipeline fuzz target's), as options of `wsdissect read`.
    shared_out: for a parallel read, without the small --max-connections (shared out among the workers, it
    changes the output: tests/test_parallel.py has its own test of it)."""
    h = zlib.crc32(data)
    args = ["--max-message", "100", "--max-reorder", "300", "--max-header", "200"] if h & 1 else []
    if h & 1 and not shared_out:
        args += ["--max-connections", "2"]
    if h & 6 == 6:
        for port in DECODE_AS:
            args += ["--decode-as", str(port)]
    return args + (["--lang", "zh"] if h & 8 else [])


def cli_runner():
    """click's CliRunner with stdout and stderr apart (click 8.1 mixes them unless told; 8.2 has no switch)."""
    from click.testing import CliRunner
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


def invoke(args: list, env: dict) -> tuple:
    """(stdout, stderr, exit status, escaped exception or None) of one in-process run of the command, with CLI_ENV
    and `env` (a None value unsets a variable)."""
    from wsdissect.cli import main
    res = cli_runner().invoke(main, args, env=dict(CLI_ENV, **env))
    exc = None if res.exception is None or isinstance(res.exception, SystemExit) else repr(res.exception)
    return res.stdout_bytes, res.stderr_bytes or b"", res.exit_code, exc


def first_difference(a: bytes, b: bytes, names: tuple = ("a", "b")) -> str:
    """Where two outputs part, for an assertion message."""
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return f"line {i + 1}:\n  {names[0]}: {x[:300]!r}\n  {names[1]}: {y[:300]!r}"
    return f"{len(la)} lines ({names[0]}) against {len(lb)} ({names[1]})"


def assert_same_run(ref: tuple, other: tuple, what: str, names: tuple) -> None:
    """Two invoke() results of the same command run two ways (names: the ways) are the same run: no exception,
    the same exit status, the same bytes on stdout and on stderr."""
    assert ref[3] is None and other[3] is None, f"{what}: exception ({names[0]} {ref[3]}, {names[1]} {other[3]})"
    assert other[2] == ref[2], f"{what}: exit {ref[2]} ({names[0]}), {other[2]} ({names[1]}); stderr {other[1][-300:]!r}"
    assert other[0] == ref[0], f"{what}: stdout differs at {first_difference(ref[0], other[0], names)}"
    assert other[1] == ref[1], f"{what}: stderr differs at {first_difference(ref[1], other[1], names)}"


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
        a = Analyzer(small if h & 1 else Limits(), decode_as=DECODE_AS if h & 6 == 6 else (),
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


def _cli_worker(folder: str, view: str, jobs: int = 0) -> None:
    """In the child, for --jobs: every file of `folder` through the command itself (`read`, or
    `stats --json` for view "stats"); jobs: with --jobs N, and without a small --max-connections."""
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        options = cli_options(Path(path).read_bytes(), shared_out=bool(jobs))
        if jobs:
            options += ["--jobs", str(jobs)]
        if view == "stats":
            args = ["stats", path, "--json", *[o for o in options if o not in ("--lang", "zh")]]
        else:
            args = ["read", path, *options] + (["--json"] if view == "json" else [])
        out, err, status, exc = invoke(args, {})
        h = hashlib.sha1(out)
        h.update(b"\0" + err + f"\0{status}".encode())
        if exc is not None:
            h.update(f"\0{exc}".encode())
        print(name, h.hexdigest())


# Child processes import one tree only: an editable install's import hook (setuptools' __editable__ finder) would
# otherwise lend the installed tree's modules that `tree` lacks.
_ONE_TREE = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path "
             "if not getattr(f, '__module__', '').startswith('__editable__')]; ")


def _hashes(tree: Path, folder: str, view: str, worker: str = "_worker", jobs: int = 0) -> dict:
    """Run `worker` on `folder` in a child importing `tree`'s wsdissect; jobs: _cli_worker's."""
    more = f", {jobs}" if jobs else ""
    code = (_ONE_TREE + f"sys.path.insert(0, {str(tree)!r}); import wsdissect; "
            f"assert wsdissect.__file__.startswith({str(tree)!r}), wsdissect.__file__; "
            f"sys.path.insert(0, {str(HERE)!r}); import differential; "
            f"differential.{worker}({folder!r}, {view!r}{more})")
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    return dict(line.split() for line in out.splitlines())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("old", type=Path, nargs="?", help="the reference tree (its wsdissect/ package is imported)")
    ap.add_argument("new", type=Path, nargs="?", default=HERE.parent.parent, help="default: this tree")
    ap.add_argument("--jobs", type=int, default=0, metavar="N",
                    help="one tree (OLD if given, else this one) read by one process against N processes")
    ap.add_argument("--count", type=int, default=10_000, help="mutated captures (default 10,000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--view", choices=("json", "timeline", "stats"), default="json")
    a = ap.parse_args(argv)
    if a.jobs:
        tree = (a.old or a.new).resolve()
    elif a.old is None:
        ap.error("give the reference tree (OLD), or --jobs N")
    if a.view == "stats" and not a.jobs:
        ap.error("--view stats goes with --jobs N")
    sys.path.insert(0, str(HERE.parent))
    from fuzz.harness import hostile_captures
    folder = tempfile.mkdtemp(prefix="wsdissect-differential-")
    n = 0
    for i, (_, data) in enumerate(hostile_captures(count=a.count, seed=a.seed)):
        Path(folder, f"{i:06d}.pcap").write_bytes(data)
        n += 1
    if a.jobs:
        old, new = (_hashes(tree, folder, a.view, "_cli_worker", jobs=j) for j in (1, a.jobs))
        what = f"--jobs 1 and --jobs {a.jobs} ({tree})"
    else:
        old, new = (_hashes(t.resolve(), folder, a.view) for t in (a.old, a.new))
        what = f"{a.old} and {a.new}"
    differ = sorted(name for name in old if old[name] != new.get(name))
    print(f"{n} captures, {len(set(old.values()))} distinct outputs ({a.view}): {len(differ)} differ between {what}")
    for name in differ[:20]:
        print(f"  {Path(folder, name)}")
    if not differ:
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
