"""Several captures in one command (`read`, `stats`, `follow`): files and directories, ordered and chained.

The rule: the files (and the capture files of each directory given, not its subdirectories) are put in the order
of their first packet's timestamp. A file whose link type is the one of the file before it, and whose first
packet is not earlier than that file's last, continues it (tcpdump -G/-C rotations, dumpcap ring buffers,
`editcap -c` pieces): such a chain is read as ONE capture, packets numbered on across the files, connections
continuing over the boundary. A file that does not chain starts a capture of its own, analysed apart (its own
summary), and stderr says so in one line. `--separate` analyses every file apart; `--merge` reads every file as
one capture, the packets put in time order across the files (a heap over one reader per file).

Before the analysis each file is read once through (`probe`): first and last timestamp, link types, packet
count; a file that cannot be read is reported in one line and left out (exit common.EXIT_PARTIAL at the end, or
EXIT_USAGE when no file could be read). A file damaged part-way is analysed up to the damage, with a warning,
as a single capture is.

This lives at the CLI's edge: sources/pcap.py reads one file (numbering from `start`), the analyzer sees one
stream of RawPackets and knows nothing of files.
"""
from __future__ import annotations

import bisect
import heapq
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Iterator, Optional

import click

from ..i18n import DEFAULT_LANG
from ..model import RawPacket, Secrets
from ..sources.pcap import LINKTYPE_NAMES, STDIN, CaptureError, CaptureTruncated, iter_capture, open_path
from .common import EXIT_INTERRUPTED, EXIT_USAGE, cannot_read, fail, truncation_note, warn_secrets

# What a directory's capture files are called (the case is ignored); other files in it are passed over.
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".cap.gz")

def fleet_options(f):
    """--separate and --merge: how several captures are grouped (the rule is in this module's docstring)."""
    opts = [
        click.option("--separate", "fleet_mode", flag_value="separate",
                     help="With several captures: analyse every file apart, each as a capture of its own."),
        click.option("--merge", "fleet_mode", flag_value="merge",
                     help="With several captures: read them all as one capture, packets in time order across the "
                          "files, even where they overlap."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def captures_argument(f):
    """CAPTURE...: one or more capture files or directories ("-": standard input, alone)."""
    return click.argument("captures", nargs=-1, required=True, metavar="CAPTURE...")(f)


def is_fleet(captures: tuple) -> bool:
    """Several captures, or a directory: the fleet's path; one file (or "-") keeps the one-capture path."""
    return len(captures) > 1 or (captures[0] != STDIN and os.path.isdir(captures[0]))


@dataclass
class Piece:
    """One readable capture file, as `probe` found it."""
    path: str
    first_ts: float
    last_ts: float
    linktypes: tuple
    packets: int
    size: int
    damage: Optional[str] = None


@dataclass
class Fleet:
    """The captures of one command: the groups to analyse (each a list of Pieces read as one capture)."""
    groups: list
    merge: bool
    failed: list = field(default_factory=list)          # (path, why) of the files left out
    size: int = 0
    done: int = 0                                        # bytes of the files read through so far (progress)


def expand(captures: tuple) -> tuple[list, list]:
    """(the files to read, (path, why) of those given that are none) for the command line's CAPTURE...: each
    directory stands for its capture files (CAPTURE_SUFFIXES, not recursive), in name order."""
    files, bad = [], []
    for c in captures:
        if c == STDIN:
            fail("standard input (-) cannot be one of several captures: give files or directories")
        if os.path.isdir(c):
            try:
                names = sorted(os.listdir(c))
            except OSError as e:
                bad.append((c, e.strerror or str(e)))
                continue
            found = [os.path.join(c, n) for n in names
                     if n.lower().endswith(CAPTURE_SUFFIXES) and os.path.isfile(os.path.join(c, n))]
            if not found:
                bad.append((c, "no capture files in this directory (" + ", ".join(CAPTURE_SUFFIXES) + ")"))
            files.extend(found)
        else:
            files.append(c)
    return files, bad


def probe(path: str) -> Piece:
    """Read the file at `path` through: its first and last timestamps, link types and packet count. OSError and
    CaptureError (not a capture; damaged before its first packet) propagate; damage later is kept in `damage`."""
    first = last = None
    links: list = []
    n = blocks = 0
    damage = None
    with open_path(path) as (stream, _):
        try:
            for raw in iter_capture(stream):
                if type(raw) is Secrets:
                    blocks += 1
                    warn_secrets(raw, path, blocks)
                    continue
                if first is None:
                    first = raw.ts
                last = raw.ts
                if raw.linktype not in links:
                    links.append(raw.linktype)
                n += 1
        except CaptureTruncated as e:
            if not n:
                raise
            damage = str(e)
    if not n:
        raise CaptureError("no packets in it")
    return Piece(path, first, last, tuple(links), n, os.path.getsize(path), damage)


def _why(e: BaseException) -> str:
    if isinstance(e, FileNotFoundError):
        return "no such file"
    if isinstance(e, PermissionError):
        return "permission denied"
    if isinstance(e, OSError):
        return e.strerror or str(e)
    return str(e)


def _links(p: Piece) -> str:
    return " + ".join(LINKTYPE_NAMES.get(t, f"link type {t}") for t in p.linktypes)


def plan(captures: tuple, mode: Optional[str]) -> Fleet:
    """The Fleet of the command line's captures: every file probed, the unreadable ones reported (one line each)
    and left out, the rest ordered and grouped by the rule (mode: None/auto, separate, merge). Exit 2 when no
    file could be read."""
    mode = mode or "auto"
    files, failed = expand(captures)
    pieces = []
    for path in files:
        try:
            pieces.append(probe(path))
        except (OSError, CaptureError) as e:
            failed.append((path, _why(e)))
        except KeyboardInterrupt:
            sys.exit(EXIT_INTERRUPTED)
    return Fleet(group_pieces(pieces, failed, mode), mode == "merge", failed, sum(p.size for p in pieces))


def group_pieces(pieces: list, failed: list, mode: str) -> list:
    """The groups of the readable `pieces` (each a list of Pieces read as one capture), by the rule or `mode`;
    the files that could not be read (`failed`: (path, why)) reported first, one line each. Exit 2 when no
    file could be read. `plan` probes in this process; `batch` probes on its workers."""
    if not pieces and len(failed) == 1:
        fail(cannot_read(*failed[0]), EXIT_USAGE)
    for path, why in failed:
        click.echo(f"wsdissect: error: {cannot_read(path, why)}" +
                   (" (left out; the other captures are analysed)" if pieces else ""), err=True)
    if not pieces:
        fail("no capture could be read", EXIT_USAGE)
    pieces = sorted(pieces, key=lambda p: (p.first_ts, p.path))
    if mode == "merge":
        groups = [pieces]
    elif mode == "separate":
        groups = [[p] for p in pieces]
    else:
        groups = [[pieces[0]]]
        for p in pieces[1:]:
            prev = groups[-1][-1]
            if p.linktypes != prev.linktypes:
                why = f"its link type ({_links(p)}) is not the one of {prev.path} ({_links(prev)})"
            elif p.first_ts < prev.last_ts:
                why = f"its first packet is {prev.last_ts - p.first_ts:.6f} s earlier than the last of {prev.path}"
            else:
                groups[-1].append(p)
                continue
            click.echo(f"wsdissect: note: {p.path} does not continue {prev.path} ({why}): analysed as a capture of "
                       "its own (--merge reads every file as one)", err=True)
            groups.append([p])
    return groups


class FileTags:
    """Which file each packet number came from (ranges: one entry per change of file)."""

    def __init__(self) -> None:
        self.starts: list = []
        self.names: list = []

    def mark(self, no: int, path: str) -> None:
        if not self.names or self.names[-1] != path:
            self.starts.append(no)
            self.names.append(path)

    def of(self, no: int) -> str:
        return self.names[max(0, bisect.bisect_right(self.starts, no) - 1)]


class TaggedJson:
    """The standard output of JSON Lines written from several files: each packet record gets `"file"` (the path
    of the capture file it came from, as given or found in the directory), after its `"no"`. Lines go through as
    text."""
    PREFIX = '{"type":"packet","no":'

    def __init__(self, out, tags: FileTags) -> None:
        self.out, self.tags, self.rest = out, tags, ""
        self._json: dict = {}

    def write(self, s: str) -> int:
        text = self.rest + s
        lines = text.split("\n")
        self.rest = lines.pop()
        if lines:
            put = []
            for line in lines:
                if line.startswith(self.PREFIX):
                    cut = line.index(",", len(self.PREFIX))
                    name = self.tags.of(int(line[len(self.PREFIX):cut]))
                    js = self._json.get(name)
                    if js is None:
                        js = self._json[name] = json.dumps(name, ensure_ascii=False)
                    line = f'{line[:cut]},"file":{js}{line[cut:]}'
                put.append(line)
            put.append("")
            self.out.write("\n".join(put))
        return len(s)

    def flush(self) -> None:
        self.out.flush()


def packets(fleet: Fleet, group: list, tags: FileTags, analyzer=None,
            damage: Optional[list] = None, streaming: bool = False) -> Iterator[RawPacket]:
    """The packets of one group as one capture: chained files in turn (numbers going on from file to file), or,
    for --merge, every file at once in time order. A file damaged part-way ends where its damage is (each damage
    kept in `damage` for a warning, and a note in the analyzer's summary); the next file goes on."""
    from .progress import tracked, wants_progress
    opened: list = []                  # the files being read: [file, path]

    def position() -> int:
        return fleet.done + sum(f.tell() for f, _ in opened if not f.closed)

    def hurt(p: Piece, e: Exception) -> None:
        if damage is not None:
            damage.append((p.path, e))
        if analyzer is not None:
            analyzer.summary.capture_notes.append(truncation_note(p.path, str(e)))

    def one(p: Piece, start: int) -> Iterator[RawPacket]:
        try:
            with open_path(p.path) as (stream, f):
                opened.append((f, p.path))
                try:
                    yield from iter_capture(stream, start=start)
                finally:
                    fleet.done += p.size
                    opened.remove((f, p.path))
        except CaptureTruncated as e:
            hurt(p, e)
        except (OSError, CaptureError) as e:     # changed since it was probed
            hurt(p, CaptureTruncated(_why(e)))

    def chained() -> Iterator[RawPacket]:
        no = 0
        for p in group:
            tags.mark(no + 1, p.path)
            yield from one(p, no)
            no += p.packets

    def merged() -> Iterator[RawPacket]:
        def keyed(i: int, p: Piece):
            for raw in one(p, 0):
                yield (raw.ts if type(raw) is not Secrets else float("-inf")), i, raw
        no = 0
        for _, i, raw in heapq.merge(*(keyed(i, p) for i, p in enumerate(group))):
            if type(raw) is Secrets:             # keys (a Decryption Secrets Block): before the packets
                raw.no = no
                yield raw
                continue
            no += 1
            raw.no = no
            tags.mark(no, group[i].path)
            yield raw

    it = merged() if fleet.merge and len(group) > 1 else chained()
    if not wants_progress(streaming):
        return it
    return tracked(it, position, fleet.size, f"{sum(len(g) for g in fleet.groups)} files")


def group_name(group: list) -> str:
    """The capture a group is, in messages: its file, or its first file and how many follow."""
    return group[0].path if len(group) == 1 else f"{group[0].path} (+{len(group) - 1} more)"


def heading(console, fleet: Fleet, group: list, lang: str = DEFAULT_LANG) -> None:
    """The line before each capture's view when the files are several captures analysed apart (text views)."""
    if console is None or len(fleet.groups) < 2:
        return
    from rich.text import Text

    from ..i18n import catalog
    words = catalog(lang)
    files = group[0].path if len(group) == 1 else words["fleet.more"].format(first=group[0].path,
                                                                                more=len(group) - 1)
    i = next(k for k, g in enumerate(fleet.groups) if g is group)
    console.print(Text(words["fleet.capture"].format(i=i + 1, n=len(fleet.groups), files=files), style="bold"),
                  soft_wrap=True)


def each_group(fleet: Fleet, console, lang: str, run_one, export: Optional[str], title: str) -> None:
    """The views that analyse a whole capture before printing (follow, stats), over several captures:
    `run_one(name, context, conn_needed)` for each group in turn, after its heading, where context is what
    packets() needs of the group; then the export (titled `title` and the first file's name), the warnings of
    damaged files, and exit EXIT_PARTIAL when a file could not be read."""
    from .common import EXIT_PARTIAL, save_export
    damage: list = []
    for group in fleet.groups:
        heading(console, fleet, group, lang)
        run_one(group_name(group), (fleet, group, damage), len(fleet.groups) == 1)
    if export:
        save_export(console, export, f"{title} {os.path.basename(fleet.groups[0][0].path)}")
    warn_damage(damage)
    if fleet.failed:
        sys.exit(EXIT_PARTIAL)


def warn_damage(damage: list) -> None:
    for path, e in damage:
        click.echo(f"wsdissect: warning: {path}: {e} (packets before it were analysed)", err=True)
