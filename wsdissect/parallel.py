"""Reading one big capture file with several processes: `read --json` and `stats`.

N worker processes (multiprocessing, forked from the command) each read the whole file. Each analyses the
connections whose address pair hashes to it (every packet of a connection goes to the same worker, so each is
analysed whole, by the very code a single reader runs) and skips the other packets; a peek at the addresses and
ports of each record tells them apart (a hash and a modulus, decode.peek_ends), so skipping costs little. The workers never wait for one another:

- each numbers the connections it opens itself, 0, 1, 2...; it writes those numbers in its JSON lines and tells
  the parent at which packet it opened each. The parent, merging in the capture's order, numbers the
  connections as a single reader does (in the order they open) and puts the capture's numbers in place of the
  worker's as the lines go out (every `"conn":` of a JSON line is a key: JSON escapes a quote inside a string);
- a release turn (every 256th packet, tcp.Tracker.release) happens in every worker at the same packets, so each
  finishes its connections when a single reader would;
- each worker sends its JSON lines through a pipe as pieces keyed by their place in the capture's order, with,
  in each batch, how far it has read (nothing it still sends sorts before that); the parent writes the pieces of
  all workers in key order;
- whether a finished connection's record is folded (--max-summary-connections counts the capture's numbers) is
  sure in the worker only for its own numbers past the cap: the record of any other is sent as a piece the
  parent writes only if the capture's number is past the cap, and the worker folds it at the end;
- at the end the parent sends each worker the capture's numbers of its connections; the worker puts them in its
  records, notes and numbers, and sends what the parent needs (the summary, the connection records, the
  end-of-capture notes, the stats), which the parent puts together in the order a single reader would have
  reported it, with the keys ShardAnalyzer records.

The output is byte for byte a single reader's (tests/test_parallel.py compares them on every capture), with one
documented difference: --max-connections is shared out, each worker tracking at most its share of the open
connections, so when the cap is reached which connection is finished first may differ.

Only -j N (N > 1) reads so: measured on the bench captures, the workers and the merge cost more CPU than they
share out (each worker reads and decodes the whole file; the parent puts every JSON line through Python), and
two processes were never faster than one on this project's 2-core machine (bench/README.md, "Several
processes"). It needs fork(); without it, or for standard input and gzip files, commands read with one
process.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import re
import signal
import socket
import stat
import struct
import sys
import time
import traceback
from array import array
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_for
from typing import Callable, Optional
from zlib import crc32

from .analyzer import Analyzer
from .decode import DecodeError, decode_packet, peek_ends
from .model import C2S, S2C, CaptureSummary, FoldedConnections, FOLDED_CLOSE_CODES, Note, RawPacket, Secrets
from .sources.pcap import _GZIP_MAGIC, CaptureError, CaptureTruncated, iter_capture, open_path

# Without --jobs every read is a single one: measured on the bench captures (bench/README.md, "Several
# processes"), two workers and the parent's merge cost more CPU than they share out, and were never faster than
# one process on 2 busy cores. -j N asks for N.
MAX_JOBS = 16                  # the most --jobs gives
_FLUSH_AT = 256 * 1024         # bytes of pieces a worker gathers before one message to the parent
_MARK_EVERY = 4096             # packets a worker reads between two reports of how far it is
_PIPE_ROOM = 4 * 1024 * 1024    # bytes a worker's pipe holds (the socket's send buffer; the system may cap it)
_PENDING_MAX = 16 * 1024 * 1024   # bytes the parent holds of a worker ahead of the others before it stops reading it

END = 1 << 62                  # the packet number of what happens at the end of the capture, in keys
_BATCH = struct.Struct("=QQQQ")   # a batch: how far the worker has read (its next packet), capture bytes read,
                                  # pieces, pieces to look at one by one
_OPEN, _ROW = 0, 1             # places: a connection opened at the packet; the packet's row
_MINOR_RELEASED, _MINOR_EVICTED = 1 << 56, 2 << 56   # a folded record after a release turn's row, or an eviction's
_IF_CONN = 1 << 59             # a piece flag: a row written only if its connection is one of --conn's
_IF_FOLDED = 1 << 60           # a piece flag: a record written only if its connection is folded (its number >= cap)
_NAMED = 1 << 61               # a piece flag: sentences in it name connections (ShardAnalyzer._conn_ref)
_PLACE = (1 << 59) - 1
_FLAGS = _IF_CONN | _IF_FOLDED | _NAMED
_CONN = b'"conn":'
_NEVER = 1 << 200              # a key above every other
_NAMED_JSON = re.compile(rb"\\u0000wsd(\d+)\\u0000")
_NAMED_TEXT = re.compile("\x00wsd(\\d+)\x00")

_PORT = struct.Struct("!H")
CAPS_NOTE = "cap-summary-connections"
_WORKER_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


# -- how many processes --------------------------------------------------------------------------------------

def why_single(path: str) -> Optional[str]:
    """Why `path` cannot be read in parallel, or None."""
    if not hasattr(os, "fork"):
        return "this system has no fork()"
    try:
        st = os.stat(path)
    except OSError:
        return "it is not a file"          # standard input ("-"), or an error the reader will report
    if not stat.S_ISREG(st.st_mode):
        return "it is not a regular file"
    try:
        with open(path, "rb") as f:
            if f.read(2) == _GZIP_MAGIC:
                return "it is gzip-compressed (each worker would inflate all of it)"
    except OSError:
        return "it cannot be read"
    return None


def plan_jobs(path: str, jobs: Optional[int]) -> tuple[int, Optional[str]]:
    """(workers, a note for stderr or None). jobs None or 1: one process; N: N when possible."""
    if jobs is None or jobs == 1:
        return 1, None
    why = why_single(path)
    if why is not None:
        return 1, f"--jobs {jobs}: reading with one process: {why}"
    if not _first_packet_reads(path):
        return 1, None            # not a capture, or damaged at once: one process says so, as it always does
    return min(jobs, MAX_JOBS), None


def _first_packet_reads(path: str) -> bool:
    try:
        with open_path(path) as (stream, _):
            next(iter_capture(stream), None)
    except (CaptureError, OSError):
        return False
    return True


# -- a worker's analyzer -------------------------------------------------------------------------------------

class ShardAnalyzer(Analyzer):
    """The Analyzer of one worker: the same analysis, with the worker's own numbers for its connections, and for
    what it reports at the end or across connections the key of its place in a single reader's order, which the
    parent merges by. A key is (packet, phase, n): a release turn at packet T finishes connections as (T, 0,
    their last packet), an eviction at packet T as (T, 1, count), the end of the capture as (END, 0, last
    packet); a row's notes count as (packet, 2, 0)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._phase: Optional[tuple] = None     # (T, 0) during a release turn, (END, 0) during finish()
        self._no = 0                            # the packet the Python path is feeding
        self._evictions = 0                     # connections finished at that packet to make room
        self.key: Optional[tuple] = None        # the finishing under way
        self.frame_keys: list = []              # one per end_frames item
        self.message_keys: list = []            # one per end_messages item
        self.note_keys: list = []               # one per note finish() returns
        self.first_code: dict = {}              # note code -> key of the first
        self.first_severity: dict = {}          # severity -> key of the first
        self.cap_keys: list = []                # (key, code, note) per summary.caps item
        self.fold_codes: dict = {}              # close code -> [key of the first folded with it, how many]
        self.finish_keys: dict = {}             # connection listed in the summary -> the key it was finished at
        self.named = False                      # a sentence named a connection since the last piece

    def feed(self, raw: RawPacket):
        self._no, self._evictions = raw.no, 0
        return super().feed(raw)

    def turn(self, raw: RawPacket) -> None:
        """Another worker's packet on a release turn: release what a single reader would release there (it does
        at TCP packets only)."""
        if raw.no & 255 or not self.tracker.finished:
            return
        try:
            seg = decode_packet(raw)
        except DecodeError:
            return
        if seg is not None:
            self._release(raw.no)

    def _conn_ref(self, cid: int):
        self.named = True
        return f"\0wsd{cid}\0"

    def _release(self, no: int) -> None:
        self._phase = (no, 0)
        try:
            super()._release(no)
        finally:
            self._phase = None

    def finish(self) -> list:
        self._phase = (END, 0)
        try:
            return super().finish()
        finally:
            self._phase = None

    def _finish_conn(self, tc, evicted: bool = False) -> list:
        at_row = self._phase is None             # an eviction: the row of the packet that needed room
        if at_row:
            key = (self._no, 1, self._evictions)
            self._evictions += 1
        else:
            key = (self._phase[0], self._phase[1], tc.last_no)
        if tc.extra is not None and tc.id < self._summary_keep:
            self.finish_keys[tc.id] = key
        outer, self.key = self.key, key
        frames, messages = len(self.end_frames), len(self.end_messages)
        try:
            notes = super()._finish_conn(tc, evicted)
        finally:
            self.key = outer
        self.frame_keys += [key] * (len(self.end_frames) - frames)
        self.message_keys += [key] * (len(self.end_messages) - messages)
        # The notes that go to the end of the capture: all of them, but those of an eviction, which stay on the
        # row, unless they are about the capture (Analyzer._segment).
        self.note_keys += [key] * (sum(1 for n in notes if n.conn is None) if at_row else len(notes))
        return notes

    def _count_note(self, note) -> None:
        super()._count_note(note)
        key = self.key if self.key is not None else (note.no or 0, 2, 0)
        self.first_code.setdefault(note.code, key)
        self.first_severity.setdefault(note.severity, key)
        self._tag_caps(key, note.code)

    def _fold(self, rec, notes: list) -> None:
        super()._fold(rec, notes)
        self._tag_caps(self.key, CAPS_NOTE)
        if rec.close_code is not None:
            seen = self.fold_codes.get(rec.close_code)
            if seen is None:
                self.fold_codes[rec.close_code] = [self.key, 1]
            else:
                seen[0] = min(seen[0], self.key)     # renumber() folds some late, in their own order
                seen[1] += 1

    def _tag_caps(self, key: tuple, code: str) -> None:
        caps = self.summary.caps
        while len(self.cap_keys) < len(caps):
            self.cap_keys.append((key, code, caps[len(self.cap_keys)]))

    def renumber(self, numbers: list, end_notes: list) -> list:
        """After finish(): the capture's numbers (numbers[own number]) in the records, notes and sentences; then
        the connections whose number is past --max-summary-connections folded, at the keys they were finished
        at. Returns the end-of-capture notes as (key, note) pairs."""
        keep = self._summary_keep

        def named(args: dict) -> dict:
            """A note's args with the connection it names (ShardAnalyzer._conn_ref) by the capture's number."""
            c = args.get("conn") if args else None
            if isinstance(c, str):
                return {**args, "conn": numbers[int(_NAMED_TEXT.fullmatch(c).group(1))]}
            return args

        def note(n):
            if n.conn is not None:
                n.conn = numbers[n.conn]
            n.args = named(n.args)
            return n

        def cap(n):
            # The same note may be an end note too (renumbered above): its args only, in a note of its own.
            args = named(n.args)
            return n if args is n.args else Note(n.no, n.conn, n.severity, n.code, args)
        listed = self.summary.connections
        records = {id(rec): rec for rec in listed}
        records.update((id(rec), rec) for rec in self.connections.values())
        for rec in records.values():
            rec.id = numbers[rec.id]
        self.connections = {rec.id: rec for rec in self.connections.values()}
        for f in self.end_frames:
            f.conn = numbers[f.conn]
        for m in self.end_messages:
            m.conn = numbers[m.conn]
        pairs = [(k, note(n)) for k, n in zip(self.note_keys, end_notes)]
        self.summary.caps = [cap(n) for n in self.summary.caps]
        self.cap_keys = [(k, code, cap(n)) for k, code, n in self.cap_keys]
        self.finish_keys = {numbers[cid]: k for cid, k in self.finish_keys.items()}
        # Listed by the worker's number, folded by the capture's.
        late = sorted((self.finish_keys[rec.id], rec) for rec in listed if rec.id >= keep)
        if late:
            self.summary.connections = [rec for rec in listed if rec.id < keep]
            first = self.first_code.get(CAPS_NOTE)
            for key, rec in late:
                notes: list = []
                self.key = key
                self._fold(rec, notes)
                pairs += [(key, n) for n in notes]
            self.key = None
            if first is not None and late[0][0] < first:
                # A fold before the worker's first: the note of the cap goes there.
                k = late[0][0]
                self.first_code[CAPS_NOTE] = k
                if k < self.first_severity.get("note", k):
                    self.first_severity["note"] = k
                self.cap_keys = [(k if code == CAPS_NOTE else ck, code, t) for ck, code, t in self.cap_keys]
                pairs = [(k if n.code == CAPS_NOTE else nk, n) for nk, n in pairs]
        return pairs

    def ends(self, pairs: list) -> dict:
        """What the parent needs of this worker at the end (finish() and renumber() called)."""
        return {"summary": self.summary, "first_code": self.first_code, "first_severity": self.first_severity,
                "cap_keys": self.cap_keys, "fold_codes": self.fold_codes,
                "end_frames": list(zip(self.frame_keys, self.end_frames)),
                "end_messages": list(zip(self.message_keys, self.end_messages)), "end_notes": pairs}


# -- a worker's output -----------------------------------------------------------------------------------------

class PieceSink:
    """Where one worker writes: its JSON lines as pieces, each with its place in the capture's order, gathered
    and sent to the parent in batches (the places apart from the bytes, so that the parent writes a run of
    pieces as one slice). JsonLinesWriter writes into the piece begun with begin()."""

    def __init__(self, conn, analyzer_named: Callable[[], bool] = lambda: False) -> None:
        self.conn = conn
        self.nos = array("Q")          # per piece: its packet
        self.places = array("Q")       # its place after that packet's row (_OPEN, _ROW...), with the flags
        self.ends = array("Q")         # where its bytes end in buf
        self.special = array("Q")      # the pieces the parent must look at one by one (openings, flagged ones)
        self.buf = bytearray()
        self.parts: list = []
        self.no = self.minor = 0
        self.named = analyzer_named
        self.frontier = 0              # the next packet this worker reads: nothing it still sends sorts before
        self.bytes = 0                 # capture bytes read, for the progress bar

    def begin(self, no: int, minor: int = _ROW) -> None:
        """A piece for packet `no` (minor: its place after the packet's row, maybe flagged; _ROW: the row, or
        only_conn(): the row, if its connection is one of --conn's)."""
        self.no, self.minor = no, minor

    def write(self, text: str) -> None:
        self.parts.append(text)

    def end(self) -> None:
        if self.parts:
            data = "".join(self.parts).encode()
            self.parts.clear()
            minor = self.minor | (_NAMED if self.named() else 0)
            self._piece(self.no, minor, data)
            if len(self.buf) >= _FLUSH_AT:
                self.flush()

    def _piece(self, no: int, place: int, data) -> None:
        if place > _ROW and (place & _FLAGS or place & _PLACE == _OPEN) or place == _OPEN:
            self.special.append(len(self.nos))
        self.nos.append(no)
        self.places.append(place)
        self.buf += data
        self.ends.append(len(self.buf))

    def opened(self, no: int) -> None:
        """This worker opened its next connection at packet `no`."""
        self._piece(no, _OPEN, b"")

    def flush(self) -> None:
        self.conn.send_bytes(b"".join((b"P", _BATCH.pack(self.frontier, self.bytes, len(self.nos), len(self.special)),
                                       self.nos, self.places, self.ends, self.special, self.buf)))
        for a in (self.nos, self.places, self.ends, self.special):
            del a[:]
        self.buf.clear()


# -- the run ---------------------------------------------------------------------------------------------------

@dataclass
class Job:
    """What one parallel command runs: `work(worker)` in each worker returns its end state (picklable);
    `merge_into` is the fd the parent writes the merged pieces to (-1: the workers write none); `fold_at`: the
    --max-summary-connections cap (None: no cap). `watch`, when set, is called in the parent once the workers
    run, as watch(status), status() giving (packets read, bytes read) by the slowest worker still reading or
    None; it returns the function that ends the watching (the CLI's progress bar)."""
    path: str
    jobs: int
    work: Callable[["Worker"], dict]
    merge_into: int = -1
    fold_at: Optional[int] = None
    only_conns: Optional[frozenset] = None    # --conn: the rows flagged only_conn() of these connections go out
    watch: Optional[Callable[[Callable[[], Optional[tuple]]], Callable[[], None]]] = None
    # what the parent does while the workers run, before it merges (imports for the end: start-up time is not
    # shared by the workers)
    meanwhile: Optional[Callable[[], None]] = None


class WorkerFailed(Exception):
    """A worker stopped on an error; the message is its own."""


class Worker:
    """One worker's side: which packets are its, its numbering, its output, the capture."""

    def __init__(self, job: Job, index: int, conn) -> None:
        self.job = job
        self.index = index
        self.count = job.jobs
        self.conn = conn
        self.sink = PieceSink(conn, self._named)
        self.analyzer_: Optional[ShardAnalyzer] = None
        self.opened = 0
        self.first_own = self.last_own = -1
        self.numbered = False

    def _named(self) -> bool:
        a = self.analyzer_
        if a is None or not a.named:
            return False
        a.named = False
        return True

    def owner(self, raw: RawPacket) -> int:
        """The worker whose packet this is: a hash of its connection's two ends, the same both ways."""
        ends = peek_ends(raw.data, raw.linktype)
        if ends is None:
            try:
                seg = decode_packet(raw)
            except DecodeError:
                return 0                        # malformed: worker 0 counts it; it opens no connection
            if seg is None:
                return 0                        # not TCP: the same
            ends = (_address(seg.src) + _PORT.pack(seg.sport), _address(seg.dst) + _PORT.pack(seg.dport))
        a, b = ends
        return crc32(a + b if a <= b else b + a) % self.count

    def analyzer(self, analyzer: ShardAnalyzer) -> ShardAnalyzer:
        """Set a worker's analyzer up: its own numbering, and its share of --max-connections."""
        tracker = analyzer.tracker
        tracker.assign = self._assign
        tracker.max_open = -(-analyzer.limits.max_connections // self.count)
        self.analyzer_ = analyzer
        return analyzer

    def _assign(self, no: int, open_now: int) -> int:
        self.sink.opened(no)
        self.opened += 1
        return self.opened - 1

    def packets(self):
        """The capture's records as (raw, mine). A CaptureTruncated propagates after the packets before the
        damage."""
        sink = self.sink
        with open_path(self.job.path) as (stream, f):
            tell = f.tell
            me = self.index
            blocks = 0
            for raw in iter_capture(stream):
                if type(raw) is Secrets:          # a pcapng Decryption Secrets Block: every worker's keys
                    blocks += 1
                    if me == 0:                   # its bad lines: one worker says so
                        from .cli.common import warn_secrets
                        warn_secrets(raw, self.job.path, blocks)
                    yield raw, True
                    continue
                mine = self.owner(raw) == me
                if mine:
                    if self.first_own < 0:
                        self.first_own = raw.no
                    self.last_own = raw.no
                yield raw, mine
                if raw.no - sink.frontier >= _MARK_EVERY:
                    # How far this worker is, now and then: for the progress bar, and for the parent, which may
                    # be waiting to know that it has nothing to send before there.
                    sink.bytes = tell()
                    sink.frontier = raw.no + 1
                    sink.flush()
            sink.bytes = tell()

    def numbering(self) -> list:
        """At the end of the capture (everything written): the capture's numbers of this worker's connections,
        from the parent, by this worker's own number."""
        self.sink.frontier = END
        self.sink.flush()
        self.conn.send_bytes(b"D")
        self.numbered = True
        return self.conn.recv()


def analyse(worker: "Worker", analyzer: ShardAnalyzer, on_row: Callable, after: Optional[Callable] = None) \
        -> Optional[str]:
    """A worker's loop: its packets through the analyzer, each row to on_row(row, connection record), the other
    workers' packets to analyzer.turn(); after(no) once each packet is done. Returns the capture's damage, if
    it is cut short (as the loop of a single reader reports it), else None."""
    conns = analyzer.connections
    try:
        for raw, mine in worker.packets():
            if mine:
                row = analyzer.feed(raw)
                if row is not None:
                    on_row(row, conns.get(row.conn) if row.conn is not None else None)
            else:
                analyzer.turn(raw)
            if after is not None and type(raw) is not Secrets:
                after(raw.no)
    except CaptureTruncated as e:
        return str(e)
    return None


def folded_minor(key: tuple) -> int:
    """The place of a folded connection's record among the pieces after its packet's row: those a release turn
    folded (in the order of their last packets), then those an eviction folded."""
    return (_MINOR_RELEASED if key[1] == 0 else _MINOR_EVICTED) | key[2]


def if_folded(minor: int) -> int:
    """A piece's place, flagged: the parent writes it only if its connection's number is past the cap."""
    return minor | _IF_FOLDED


def only_conn() -> int:
    """The place of a row the parent writes only if its connection's number is one of Job.only_conns."""
    return _ROW | _IF_CONN


def _address(ip: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)


class _Batch:
    """One batch of a worker's pieces, as the parent holds it."""
    __slots__ = ("nos", "places", "ends", "special", "data", "view", "at")

    def __init__(self, message: bytes, n: int, ns: int) -> None:
        pos = 1 + _BATCH.size
        arrays = []
        for k in (n, n, n, ns):
            a = array("Q")
            a.frombytes(message[pos:pos + 8 * k])
            arrays.append(a)
            pos += 8 * k
        self.nos = arrays[0].tolist()
        self.places, self.ends = arrays[1], arrays[2]
        self.special = arrays[3].tolist()
        self.data = message
        self.view = memoryview(message)[pos:]
        self.at = 0


class _Feed:
    """The parent's view of one worker: its pieces not yet written, how far it has read, its numbers."""
    __slots__ = ("conn", "batches", "frontier", "bytes", "pending", "done", "numbers", "names")

    def __init__(self, conn) -> None:
        self.conn = conn
        self.batches: deque = deque()  # batches with pieces not yet written
        self.frontier = 0              # key below which it sends nothing more
        self.bytes = 0
        self.pending = 0               # bytes held
        self.done = False              # it sent all its pieces
        self.numbers: list = []        # the capture's number of each of its connections, by its own
        self.names: dict = {b"null": b"null"}    # its number as written -> the capture's, as written

    def head(self) -> int:
        if self.batches:
            b = self.batches[0]
            return b.nos[b.at] << 64 | b.places[b.at] & _PLACE
        return self.frontier

    def take(self, message: bytes) -> None:
        frontier, nbytes, n, ns = _BATCH.unpack_from(message, 1)
        if n:
            self.batches.append(_Batch(message, n, ns))
            self.pending += len(message)
        self.frontier = frontier << 64
        self.bytes = nbytes

    def name(self, written: bytes) -> bytes:
        """The capture's number of the connection this worker wrote as `written`."""
        g = self.names[written] = b"%d" % self.numbers[int(written)]
        return g


def _merge(feeds: list, out: int, fold_at: Optional[int], only: Optional[frozenset]) -> None:
    """Write the workers' pieces to fd `out` (-1: none come) in key order, each worker's numbers of connections
    replaced by the capture's, as long as they come."""
    count = 0                          # connections numbered
    frags: list = []
    size = 0
    cap = fold_at if fold_at is not None else sys.maxsize

    def write_out() -> None:
        # The slices as they are, a thousand at a time (IOV_MAX is 1024), joined only after a short write.
        nonlocal size
        if out >= 0:
            for k in range(0, len(frags), 1000):
                group = frags[k:k + 1000]
                want = sum(map(len, group))
                done = os.writev(out, group)
                if done < want:
                    view = memoryview(b"".join(group))[done:]
                    while view:
                        view = view[os.write(out, view):]
        frags.clear()
        size = 0

    def renamed(f: _Feed, b: _Batch, start: int, stop: int) -> None:
        # b's bytes [start, stop) with every "conn": number the capture's
        data, view, names = b.data, b.view, f.names
        base = len(data) - len(view)
        find = data.find
        p, stop_at = base + start, base + stop
        while True:
            i = find(_CONN, p, stop_at)
            if i < 0:
                break
            i += 7
            e = find(b",", i, stop_at)
            frags.append(view[p - base:i - base])
            w = data[i:e]
            frags.append(names.get(w) or f.name(w))
            p = e
        frags.append(view[p - base:stop_at - base])

    while True:
        # Write what can go: the pieces of the worker with the lowest key, up to the lowest key of the others.
        while True:
            best, best_head, bound = None, 0, _NEVER
            for f in feeds:
                h = f.head()
                if best is None or h < best_head:
                    if best is not None and best_head < bound:
                        bound = best_head
                    best, best_head = f, h
                elif h < bound:
                    bound = h
            if not best.batches or best_head >= bound:
                break
            b = best.batches[0]
            nos, places, ends = b.nos, b.places, b.ends
            i = b.at
            bound_no, bound_place = bound >> 64, bound & _PLACE
            j = bisect_left(nos, bound_no, i)
            while j < len(nos) and nos[j] == bound_no and places[j] & _PLACE < bound_place:
                j += 1
            special = b.special
            s = bisect_left(special, i)
            pos = i
            while True:
                x = special[s] if s < len(special) else j
                if x > j:
                    x = j
                if x > pos:
                    start = ends[pos - 1] if pos else 0
                    renamed(best, b, start, ends[x - 1])
                    size += ends[x - 1] - start
                if x >= j:
                    break
                place = places[x]
                start = ends[x - 1] if x else 0
                if place & _PLACE == _OPEN and not place & _FLAGS:
                    best.numbers.append(count)
                    count += 1
                else:
                    piece = bytes(b.view[start:ends[x]])
                    cut = piece.split(_CONN, 1)[1] if place & (_IF_FOLDED | _IF_CONN) else b""
                    cut = cut[:cut.find(b",")]
                    if not (place & _IF_FOLDED and best.numbers[int(cut)] < cap
                            or place & _IF_CONN and (cut == b"null" or best.numbers[int(cut)] not in only)):
                        n0 = len(frags)
                        renamed(best, b, start, ends[x])
                        if place & _NAMED:
                            piece = b"".join(frags[n0:])
                            del frags[n0:]
                            frags.append(_NAMED_JSON.sub(lambda m: b"%d" % best.numbers[int(m.group(1))], piece))
                        size += ends[x] - start
                s += 1
                pos = x + 1
            b.at = j
            if j >= len(nos):
                best.batches.popleft()
                best.pending -= len(b.data)
            if size >= _FLUSH_AT:
                write_out()
        write_out()
        if all(f.done for f in feeds):
            break
        # Read more: from every worker not too far ahead (the one the others wait for never is).
        low = min(f.head() for f in feeds if not f.done)
        ready = [f.conn for f in feeds if not f.done and (f.pending < _PENDING_MAX or f.head() == low)]
        for c in wait_for(ready):
            f = next(f for f in feeds if f.conn is c)
            # All it has sent (up to _PENDING_MAX): a worker waiting for room in its pipe does nothing meanwhile.
            while True:
                try:
                    message = c.recv_bytes()
                except EOFError:
                    raise OSError("the worker's pipe closed") from None
                kind = message[:1]
                if kind == b"P":
                    f.take(message)
                elif kind == b"D":
                    f.done = True
                    f.frontier = _NEVER
                    break
                else:                      # a worker's error before its end
                    raise WorkerFailed(pickle.loads(message[1:])["error"])
                if f.pending >= _PENDING_MAX or not c.poll(0):
                    break
    write_out()


def run(job: Job) -> list:
    """Fork job.jobs workers, merge their pieces into job.merge_into, and return their end states in worker
    order. A worker's error is raised here as WorkerFailed (the others are stopped first)."""
    n = job.jobs
    debug = os.environ.get("WSDISSECT_DEBUG_PARALLEL")
    if debug:
        print(f"wsdissect: fork at {time.process_time():.2f} s of cpu, {time.monotonic():.3f}", file=sys.stderr)
    ctx = multiprocessing.get_context("fork")
    sys.stdout.flush()
    sys.stderr.flush()
    procs, feeds = [], []
    # Ctrl-C during a fork would interrupt the child in Python's own after-fork code (a traceback on stderr): the
    # signals wait until each side has its handlers (_worker_main unblocks them in the worker).
    signal.pthread_sigmask(signal.SIG_BLOCK, _WORKER_SIGNALS)
    try:
        for k in range(n):
            mine, theirs = ctx.Pipe()
            # Room for several batches on their way, so that the worker goes on while the parent merges.
            with socket.socket(fileno=os.dup(theirs.fileno())) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _PIPE_ROOM)
            p = ctx.Process(target=_worker_main, args=(job, k, theirs), name=f"wsdissect worker {k}")
            p.start()
            theirs.close()
            procs.append(p)
            feeds.append(_Feed(mine))
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _WORKER_SIGNALS)

    def status() -> Optional[tuple]:
        running = [(f.frontier >> 64, f.bytes) for f in feeds if not f.done]
        return (max(0, min(p for p, _ in running) - 1), min(b for _, b in running)) if running else None
    stop_watching = job.watch(status) if job.watch is not None else None
    try:
        if job.meanwhile is not None:
            job.meanwhile()
        _merge(feeds, job.merge_into, job.fold_at, job.only_conns)
        for f in feeds:
            f.conn.send(f.numbers)
        blobs = []
        for f in feeds:
            try:
                blobs.append(f.conn.recv_bytes())
            except EOFError:
                blobs.append(None)
    except BaseException as e:
        for p in procs:
            p.kill()
        statuses = _reap(procs)
        if isinstance(e, OSError) and not isinstance(e, BrokenPipeError):
            raise WorkerFailed(_failure(statuses) or f"a worker stopped before its end ({e})") from None
        raise
    finally:
        if stop_watching is not None:
            stop_watching()
        for f in feeds:
            f.conn.close()
    statuses = _reap(procs)
    if debug:
        print(f"wsdissect: merged at {time.process_time():.2f} s of cpu, {time.monotonic():.3f}", file=sys.stderr)
    parts = []
    for k, blob in enumerate(blobs):
        part = pickle.loads(blob[1:]) if blob else {"error": _failure(statuses) or f"worker {k} stopped"}
        if part.get("error"):
            raise WorkerFailed(part["error"])
        parts.append(part)
    return parts


def _worker_main(job: Job, k: int, conn) -> None:
    # Ctrl-C reaches every process, and the parent reports it; a kill of the group ends the workers too. Handlers
    # the command's process had (an event loop's) are not the worker's.
    for sig in _WORKER_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _WORKER_SIGNALS)
    worker = Worker(job, k, conn)
    try:
        state = job.work(worker)
        if not worker.numbered:
            worker.numbering()
    except BaseException as e:                      # noqa: BLE001 -- every failure goes to the parent as a line
        if os.environ.get("WSDISSECT_DEBUG"):
            traceback.print_exc()
        text = f"{type(e).__name__}: {e}" if not isinstance(e, RuntimeError) else str(e)
        try:
            conn.send_bytes(b"E" + pickle.dumps({"error": f"worker {k}: {text}"}))
        except OSError:
            pass                                    # the parent stopped reading: it knows why
        os._exit(1)
    state["first_own"], state["last_own"] = max(0, worker.first_own), max(0, worker.last_own)   # 0: none
    if os.environ.get("WSDISSECT_DEBUG_PARALLEL"):
        print(f"wsdissect: worker {k}: opened {worker.opened} connections, cpu {time.process_time():.2f} s, "
              f"done {time.monotonic():.3f}", file=sys.stderr)
    try:
        conn.send_bytes(b"E" + pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        os._exit(1)
    os._exit(0)


def _reap(procs: list) -> list:
    for p in procs:
        p.join()
    return [p.exitcode for p in procs]


def _failure(statuses: list) -> Optional[str]:
    for k, code in enumerate(statuses):
        if code is not None and code < 0 and -code != signal.SIGKILL:
            return f"worker {k} was killed by signal {-code}"
        if code is not None and code not in (0, 1) and code > 0:
            return f"worker {k} exited with status {code}"
    return None


# -- putting the workers' ends together ----------------------------------------------------------------------

def merge_summary(parts: list) -> CaptureSummary:
    """The summary a single reader would have made, from the workers' summaries and keys."""
    s = CaptureSummary()
    sums = [p["summary"] for p in parts]
    for x in sums:
        s.packets += x.packets
        s.tcp_packets += x.tcp_packets
        s.other_packets += x.other_packets
        s.malformed += x.malformed
        s.connections_total += x.connections_total
        s.past_cap_packets += x.past_cap_packets
        s.snaplen_cut += x.snaplen_cut
        s.snaplen_kept = max(s.snaplen_kept, x.snaplen_kept)
    owning = [p for p in parts if p["first_own"]]
    if owning:
        s.first_ts = min(owning, key=lambda p: p["first_own"])["summary"].first_ts
        s.last_ts = max(owning, key=lambda p: p["last_own"])["summary"].last_ts
    s.connections = sorted((c for x in sums for c in x.connections), key=lambda c: c.id)
    # Each worker that folded a connection noted the summary's cap once; a single reader notes it once.
    folding = sum(1 for x in sums if x.folded is not None)
    extra = max(0, folding - 1)
    s.notes_by_code = _ordered(parts, "first_code", lambda x: x.notes_by_code)
    s.notes_by_severity = _ordered(parts, "first_severity", lambda x: x.notes_by_severity)
    if extra:
        s.notes_by_code[CAPS_NOTE] -= extra
        s.notes_by_severity["note"] -= extra
    seen = set()
    for key, code, note in sorted((c for p in parts for c in p["cap_keys"]), key=lambda c: c[0]):
        if code not in seen:
            seen.add(code)
            s.caps.append(note)
    if folding:
        s.folded = _merge_folded([x.folded for x in sums if x.folded is not None], parts)
    return s


def _ordered(parts: list, keys: str, counts: Callable) -> dict:
    """Counts by name summed over the workers, in the order a single reader met the names: by the key of each
    name's first note, and, for names first met at the same place (in one worker), in that worker's order."""
    total: dict = {}
    first: dict = {}
    for p in parts:
        for i, (name, n) in enumerate(counts(p["summary"]).items()):
            total[name] = total.get(name, 0) + n
            k = (p[keys][name], i)
            if name not in first or k < first[name]:
                first[name] = k
    return {name: total[name] for name in sorted(total, key=lambda name: first[name])}


def _merge_folded(folded: list, parts: list) -> FoldedConnections:
    out = FoldedConnections(folded[0].cap)
    for f in folded:
        out.connections += f.connections
        out.websocket += f.websocket
        for d in (C2S, S2C):
            out.messages[d] += f.messages[d]
            out.frames[d] += f.frames[d]
            out.bytes[d] += f.bytes[d]
        for end, n in f.ended.items():
            out.ended[end] = out.ended.get(end, 0) + n
        out.notes += f.notes
    # FoldedConnections counts the first FOLDED_CLOSE_CODES close codes folded one by one, the rest as "other":
    # which are first is a matter of the whole capture's order.
    codes: dict = {}
    for p in parts:
        for code, (key, n) in p["fold_codes"].items():
            if code in codes:
                codes[code] = [min(codes[code][0], key), codes[code][1] + n]
            else:
                codes[code] = [key, n]
    for i, code in enumerate(sorted(codes, key=lambda c: codes[c][0])):
        if i < FOLDED_CLOSE_CODES:
            out.close_codes[code] = codes[code][1]
        else:
            out.close_codes["other"] = out.close_codes.get("other", 0) + codes[code][1]
    return out


def merge_keyed(parts: list, name: str) -> list:
    """The (key, item) lists the workers sent under `name`, as one list in key order."""
    return [item for _, item in sorted((x for p in parts for x in p[name]), key=lambda x: x[0])]


def merge_end_notes(parts: list) -> list:
    notes = merge_keyed(parts, "end_notes")
    first = True
    out = []
    for n in notes:
        if n.code == CAPS_NOTE:
            if not first:
                continue            # each worker noted it; a single reader once, at the first fold
            first = False
        out.append(n)
    return out
