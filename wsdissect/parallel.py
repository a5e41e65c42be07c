"""Reading one big capture file with several processes: `read --json` and `stats`.

N worker processes, forked from the command, each read the whole file. Each analyses the connections whose
address pair hashes to it (every packet of a connection goes to the same worker, so each is analysed whole, by
the very code a single reader runs) and skips the other packets; the C decoder tells them apart, so skipping
costs little. What a single reader does across connections, the workers do together through shared memory
(wsdissect/_shards.c):

- connections are numbered as a single reader numbers them, in the order they open: a worker that opens one
  waits until the others are past that packet and counts the ones they opened before it;
- a release turn (every 256th packet, tcp.Tracker.release) happens in every worker at the same packets, so each
  finishes its connections when a single reader would;
- each worker writes its JSON lines as pieces keyed by their place in the capture's order, and the parent
  merges the pieces into one stream (merge(), in C, on the parent's side of the pipes);
- what comes at the end (the summary, the connection records, the end-of-capture notes, the stats) each worker
  sends to the parent, which puts it together in the order a single reader would have reported it, with the keys
  ShardAnalyzer records.

The output is byte for byte a single reader's (tests/test_parallel.py compares them on every capture), with one
documented difference: --max-connections is shared out, each worker tracking at most its share of the open
connections, so when the cap is reached which connection is finished first may differ.

It needs fork() and the C extension (the lane skips the other workers' packets); without them, or for standard
input and gzip files, commands read with one process.
"""
from __future__ import annotations

import mmap
import os
import pickle
import signal
import socket
import stat
import struct
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Callable, Optional

from .analyzer import Analyzer
from .decode import DecodeError, decode_packet
from .model import C2S, S2C, CaptureSummary, FoldedConnections, FOLDED_CLOSE_CODES, RawPacket, Secrets
from .pure import pure_requested
from .sources.pcap import _GZIP_MAGIC, CaptureError, CaptureTruncated, Shortcut, iter_capture, open_path

try:
    from . import _fastlane
except ImportError:          # not built: every read is a single one
    _fastlane = None

# A file smaller than this is read by one process: forking and merging would cost more than they save.
MIN_PARALLEL_BYTES = 32 * 1024 * 1024
MAX_AUTO_JOBS = 4              # workers when --jobs is not given (no more than the CPUs this process may use)
_FLUSH_AT = 256 * 1024         # bytes of pieces a worker gathers before one write to its pipe
_NEAR_END = 64 * 1024          # a scan that stops this close to the end of the reader's chunk: a refill follows

END = 1 << 62                  # the packet number of what happens at the end of the capture, in keys
_HEAD = struct.Struct("=QQQ")  # _shards.h's PieceHeader: packet, place among its pieces, length
_MARK = (1 << 64) - 1          # a marker's length (_shards.h's PIECE_MARK)
_END_NO = (1 << 64) - 1        # the packet of the end piece (PIECE_END_NO)
_MINOR_RELEASED, _MINOR_EVICTED = 1 << 56, 2 << 56   # a folded record after a release turn's row, or an eviction's

CAPS_NOTE = "cap-summary-connections"
_WORKER_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


# -- how many processes --------------------------------------------------------------------------------------

def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def why_single(path: str) -> Optional[str]:
    """Why `path` cannot be read in parallel, or None."""
    if _fastlane is None or not hasattr(_fastlane, "Shards"):
        return "the C extension is not built"
    if pure_requested():
        return "WSDISSECT_PURE is set"
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
    """(workers, a note for stderr or None). jobs None: as many as pay off; 1: one process; N: N when possible."""
    if jobs == 1:
        return 1, None
    why = why_single(path)
    if why is not None:
        return 1, (f"--jobs {jobs}: reading with one process: {why}" if jobs else None)
    if jobs is None and os.path.getsize(path) < MIN_PARALLEL_BYTES:
        return 1, None
    if not _first_packet_reads(path):
        return 1, None            # not a capture, or damaged at once: one process says so, as it always does
    if jobs is None:
        return max(1, min(usable_cpus(), MAX_AUTO_JOBS)), None
    return min(jobs, _fastlane.SHARDS_MAX), None


def _first_packet_reads(path: str) -> bool:
    try:
        with open_path(path) as (stream, _):
            next(iter_capture(stream), None)
    except (CaptureError, OSError):
        return False
    return True


# -- a worker's analyzer -------------------------------------------------------------------------------------

class ShardAnalyzer(Analyzer):
    """The Analyzer of one worker: the same analysis, and for what it reports at the end or across connections
    the key of its place in a single reader's order, which the parent merges by. A key is (packet, phase, n):
    a release turn at packet T finishes connections as (T, 0, their last packet), an eviction at packet T as
    (T, 1, count), the end of the capture as (END, 0, last packet); a row's notes count as (packet, 2, 0)."""

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
        self.cap_keys: list = []                # (key, code, text) per summary.caps item
        self.fold_codes: dict = {}              # close code -> [key of the first folded with it, how many]
        self.on_evict: Optional[Callable[[], None]] = None   # told when a connection is finished to make room

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
        if evicted and self.on_evict is not None:
            self.on_evict()
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
                seen[1] += 1

    def _tag_caps(self, key: tuple, code: str) -> None:
        caps = self.summary.caps
        while len(self.cap_keys) < len(caps):
            self.cap_keys.append((key, code, caps[len(self.cap_keys)]))

    def ends(self) -> dict:
        """What the parent needs of this worker at the end (finish() called)."""
        return {"summary": self.summary, "first_code": self.first_code, "first_severity": self.first_severity,
                "cap_keys": self.cap_keys, "fold_codes": self.fold_codes,
                "end_frames": list(zip(self.frame_keys, self.end_frames)),
                "end_messages": list(zip(self.message_keys, self.end_messages))}


# -- a worker's output -----------------------------------------------------------------------------------------

class PieceSink:
    """Where one worker writes: its JSON lines as pieces headed by their place in the capture's order (see
    _shards.c), gathered and written to the output ring the parent merges from. JsonLinesWriter writes into the
    piece begun with begin(); the fast lane hands over pieces it has headed itself (raw)."""

    def __init__(self, shards) -> None:
        self.write_ring = shards.write
        self.buf = bytearray()
        self.parts: list = []
        self.no = self.minor = 0

    def begin(self, no: int, minor: int = 0) -> None:
        self.no, self.minor = no, minor

    def write(self, text: str) -> None:
        self.parts.append(text)

    def end(self) -> None:
        if self.parts:
            data = "".join(self.parts).encode()
            self.parts.clear()
            self.buf += _HEAD.pack(self.no, self.minor, len(data))
            self.buf += data
            if len(self.buf) >= _FLUSH_AT:
                self.flush()

    def raw(self, data) -> None:
        self.flush()                   # in two writes: joining them would copy the lane's (larger) part once more
        self.write_ring(data)

    def mark(self, no: int) -> None:
        """Nothing this worker still writes sorts before packet `no`'s row."""
        self.buf += _HEAD.pack(no, 0, _MARK)

    def flush(self) -> None:
        if self.buf:
            self.write_ring(self.buf)
            self.buf.clear()

    def before_wait(self, no: int) -> None:
        """Shards.before_wait: this worker is about to wait for packet `no`; what it has may be what the parent
        needs to let the others go on."""
        self.mark(no)
        self.flush()

    def finish(self, blob: bytes) -> None:
        self.buf += _HEAD.pack(_END_NO, 0, len(blob))
        self.buf += blob
        self.flush()


# -- the run ---------------------------------------------------------------------------------------------------

@dataclass
class Job:
    """What one parallel command runs: `work(worker)` in each worker returns its end state (picklable);
    `merge_into` is the fd the parent writes the merged pieces to (-1: the workers write none). `watch`, when
    set, is called in the parent once the workers run, as watch(status), status() giving (packets read, bytes
    read) by the slowest worker still reading or None; it returns the function that ends the watching (the
    CLI's progress bar)."""
    path: str
    jobs: int
    work: Callable[["Worker"], dict]
    merge_into: int = -1
    watch: Optional[Callable[[Callable[[], Optional[tuple]]], Callable[[], None]]] = None
    # what the parent does while the workers run, before it merges (imports for the end: start-up time is not
    # shared by the workers)
    meanwhile: Optional[Callable[[], None]] = None


class WorkerFailed(Exception):
    """A worker stopped on an error; the message is its own."""


class Worker:
    """One worker's side: which packets are its, the shared numbering, its output, the capture."""

    def __init__(self, job: Job, shards) -> None:
        self.job = job
        self.shards = shards
        self.index = shards.index
        self.sink = PieceSink(shards)
        shards.before_wait = self.sink.before_wait

    def owner(self, raw: RawPacket) -> int:
        """The worker whose packet this is (one the lane left to Python: another's was foreseen by the lane if
        the C decoder read it, else here)."""
        o = self.shards.owner(raw.data, raw.linktype)
        if o >= 0:
            return o
        try:
            seg = decode_packet(raw)
        except DecodeError:
            return 0                            # malformed: worker 0 counts it; it opens no connection
        if seg is None:
            return 0                            # not TCP: the same
        return self.shards.owner_of(_address(seg.src), seg.sport, _address(seg.dst), seg.dport, seg.flags, raw.no)

    def analyzer(self, analyzer: ShardAnalyzer) -> ShardAnalyzer:
        """Set a worker's analyzer up: the shared numbering, and its share of --max-connections."""
        tracker = analyzer.tracker
        tracker.assign = self.shards.assign
        tracker.max_open = -(-analyzer.limits.max_connections // self.shards.count)
        analyzer.on_evict = self.shards.evicted
        self.shards.foresee(tracker.linger_packets, tracker.max_open)
        return analyzer

    def packets(self, lane):
        """The packets the lane leaves to Python, as (raw, mine); the lane skips the others' packets itself.
        A CaptureTruncated propagates after the packets before the damage."""
        from .fastlane import through_lane
        shards, sink = self.shards, self.sink
        with open_path(self.job.path) as (stream, f):
            shortcut = Shortcut()
            packets = through_lane(lane, iter_capture(stream, shortcut), shortcut)
            scan, scan_ng = shortcut.scan, shortcut.scan_ng
            tell = f.tell

            def scanned(r, end):
                # At the end of a chunk of the file (the reader reads the next one): how far this worker is, for
                # the progress bar, and a marker, so that the parent is not kept waiting by a worker that had
                # nothing to write for a while. (A scan also stops at every packet left to Python: not there.)
                if end - r[0] < _NEAR_END:
                    shards.set_bytes(tell())
                    sink.mark(r[1] + 1)
                    sink.flush()
                return r
            shortcut.scan = lambda *a: scanned(scan(*a), a[2])
            shortcut.scan_ng = lambda *a: scanned(scan_ng(*a), a[2])
            me = self.index
            for raw in packets:
                if type(raw) is Secrets:          # a pcapng Decryption Secrets Block: every worker's keys
                    yield raw, True
                    continue
                mine = self.owner(raw) == me
                if mine:
                    shards.own(raw.no)
                yield raw, mine
                shards.progress(raw.no + 1)
            shards.set_bytes(tell())


def analyse(worker: "Worker", analyzer: ShardAnalyzer, lane, on_row: Callable, after: Optional[Callable] = None) \
        -> Optional[str]:
    """A worker's loop: its packets through the analyzer, each row to on_row(row, connection record), the other
    workers' packets to analyzer.turn(); after(no) once each packet is done. Returns the capture's damage, if
    it is cut short (as the loop of a single reader reports it), else None."""
    conns = analyzer.connections
    try:
        for raw, mine in worker.packets(lane):
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


def _address(ip: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)


def run(job: Job) -> list:
    """Fork job.jobs workers, merge their pieces into job.merge_into, and return their end states in worker
    order. A worker's error is raised here as WorkerFailed (the others are stopped first)."""
    n = job.jobs
    debug = os.environ.get("WSDISSECT_DEBUG_PARALLEL")
    if debug:
        print(f"wsdissect: fork at {time.process_time():.2f} s of cpu, {time.monotonic():.3f}", file=sys.stderr)
    shared = mmap.mmap(-1, _fastlane.Shards.size(n))
    _fastlane.Shards.prepare(shared, n)
    # One pipe per worker, only to tell the parent when the worker is gone (it closes); the output goes through
    # shared memory.
    pipes = [os.pipe() for _ in range(n)]
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pids = []
    # Ctrl-C during a fork would interrupt the child in Python's own after-fork code (a traceback on stderr): the
    # signals wait until each side has its handlers (_worker_main unblocks them in the worker).
    signal.pthread_sigmask(signal.SIG_BLOCK, _WORKER_SIGNALS)
    try:
        for k in range(n):
            pid = os.fork()
            if pid == 0:                               # the worker
                code = 1
                try:
                    for j, (r, w) in enumerate(pipes):
                        os.close(r)
                        if j != k:
                            os.close(w)
                    code = _worker_main(job, shared, k, parent)   # pipes[k][1] stays open until it exits
                finally:
                    os._exit(code)
            pids.append(pid)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _WORKER_SIGNALS)
    for _, w in pipes:
        os.close(w)

    def status() -> Optional[tuple]:
        running = [(pos, nbytes) for pos, nbytes, state in _fastlane.Shards.status(shared) if state == 0]
        return (max(0, min(p for p, _ in running) - 1), min(b for _, b in running)) if running else None
    stop_watching = job.watch(status) if job.watch is not None else None
    try:
        if job.meanwhile is not None:
            job.meanwhile()
        blobs = _fastlane.merge(shared, [r for r, _ in pipes], job.merge_into)
    except BaseException as e:
        _fastlane.Shards.stop(shared)
        for pid in pids:
            _kill(pid)
        statuses = _reap(pids)
        if isinstance(e, OSError) and not isinstance(e, BrokenPipeError):
            raise WorkerFailed(_failure(statuses) or f"a worker stopped before its end ({e})") from None
        raise
    finally:
        if stop_watching is not None:
            stop_watching()
        for r, _ in pipes:
            os.close(r)
    statuses = _reap(pids)
    if debug:
        print(f"wsdissect: merged at {time.process_time():.2f} s of cpu, {time.monotonic():.3f}", file=sys.stderr)
    parts = []
    for k, blob in enumerate(blobs):
        part = pickle.loads(blob) if blob is not None else {"error": _failure(statuses) or f"worker {k} stopped"}
        if part.get("error"):
            raise WorkerFailed(part["error"])
        parts.append(part)
    return parts


def _worker_main(job: Job, shared, k: int, parent: int) -> int:
    # Ctrl-C reaches every process, and the parent reports it; a kill of the group ends the workers too. Handlers
    # the command's process had (an event loop's) are not the worker's.
    for sig in _WORKER_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _WORKER_SIGNALS)
    shards = _fastlane.Shards(shared, k, parent)
    worker = Worker(job, shards)
    try:
        state = job.work(worker)
        shards.done()
    except BaseException as e:                      # noqa: BLE001 -- every failure goes to the parent as a line
        shards.fail()
        if os.environ.get("WSDISSECT_DEBUG"):
            traceback.print_exc()
        text = f"{type(e).__name__}: {e}" if not isinstance(e, RuntimeError) else str(e)
        try:
            worker.sink.finish(pickle.dumps({"error": f"worker {k}: {text}"}))
        except OSError:
            pass                                    # the parent stopped reading: it knows why
        return 1
    state["first_own"], state["last_own"] = shards.first_own, shards.last_own
    if os.environ.get("WSDISSECT_DEBUG_PARALLEL"):
        print(f"wsdissect: worker {k}: opened {shards.opened} connections, numbered {shards.foreseen} without "
              f"waiting, waited {shards.waits} times, {shards.waited_ns / 1e9:.3f} s, cpu {time.process_time():.2f} s, "
              f"done {time.monotonic():.3f}",
              file=sys.stderr)
    worker.sink.finish(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(pids: list) -> list:
    out = []
    for pid in pids:
        try:
            out.append(os.waitpid(pid, 0)[1])
        except ChildProcessError:
            out.append(0)
    return out


def _failure(statuses: list) -> Optional[str]:
    for k, st in enumerate(statuses):
        if os.WIFSIGNALED(st) and os.WTERMSIG(st) != signal.SIGKILL:
            return f"worker {k} was killed by signal {os.WTERMSIG(st)}"
        if os.WIFEXITED(st) and os.WEXITSTATUS(st) not in (0, 1):
            return f"worker {k} exited with status {os.WEXITSTATUS(st)}"
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
    for key, code, text in sorted((c for p in parts for c in p["cap_keys"]), key=lambda c: c[0]):
        if code not in seen:
            seen.add(code)
            s.caps.append(text)
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
