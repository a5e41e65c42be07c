"""Streaming reader for pcap and pcapng files.

One record at a time, never the whole file: memory stays flat however long the capture is. The file is read
in chunks with `read1` (pcapng) or `readinto1` (pcap, into one reused buffer) so that a pipe delivers packets
as they arrive instead of waiting for a full chunk.

Damage is reported after the fact: every packet before the damaged record is yielded first, then
`CaptureTruncated` is raised, so a cut-off capture still shows everything it holds.
"""
from __future__ import annotations

import gzip
import atexit
import io
import os
import queue
import select
import struct
import sys
import threading
import weakref
import zlib
from contextlib import contextmanager
from typing import BinaryIO, Callable, Iterator, Optional

from ..model import RawPacket, Secrets

__all__ = [
    "CaptureError", "CaptureTruncated", "open_capture", "open_path", "iter_capture", "STDIN",
    "LINKTYPE_NULL", "LINKTYPE_ETHERNET", "LINKTYPE_RAW", "LINKTYPE_LOOP", "LINKTYPE_LINUX_SLL",
    "LINKTYPE_IPV4", "LINKTYPE_IPV6", "LINKTYPE_LINUX_SLL2", "LINKTYPE_NAMES",
]

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
# Some BSDs wrote their own DLT_RAW value into old files instead of the portable 101.
LINKTYPE_RAW_BSD12 = 12
LINKTYPE_RAW_BSD14 = 14

LINKTYPE_NAMES = {
    LINKTYPE_NULL: "BSD loopback (NULL)",
    LINKTYPE_ETHERNET: "Ethernet",
    LINKTYPE_RAW: "raw IP",
    LINKTYPE_RAW_BSD12: "raw IP",
    LINKTYPE_RAW_BSD14: "raw IP",
    LINKTYPE_LOOP: "OpenBSD loopback (LOOP)",
    LINKTYPE_LINUX_SLL: "Linux cooked capture (SLL)",
    LINKTYPE_IPV4: "raw IPv4",
    LINKTYPE_IPV6: "raw IPv6",
    LINKTYPE_LINUX_SLL2: "Linux cooked capture v2 (SLL2)",
}


class CaptureError(Exception):
    """The file cannot be read as a capture at all (wrong format, header unreadable, empty)."""


class NotACapture(CaptureError):
    """The bytes are no pcap or pcapng file: `detail` says what they are (None: there are none). `gunzipped`:
    they are what a gzip file inflated to, which the message says (the bytes shown are not the file's)."""

    def __init__(self, detail: Optional[str], hint: str = "", gunzipped: bool = False) -> None:
        self.detail, self.hint, self.gunzipped = detail, hint, gunzipped
        after = " after gunzip" if gunzipped else ""
        super().__init__(f"empty file{after}: not a pcap or pcapng file" if detail is None
                         else f"not a pcap or pcapng file{after} ({detail}){hint}")


class CaptureTruncated(CaptureError):
    """The capture ends or breaks inside a record; every packet before it has already been yielded."""


# A record claiming more than this is a damaged length field, not a packet: refusing it keeps a corrupt file
# from asking for gigabytes of memory.
MAX_RECORD = 256 * 1024 * 1024
_CHUNK = 1024 * 1024

_PCAP_MAGIC = {
    # magic as read little-endian -> (byte order, fraction divisor, record header length)
    0xA1B2C3D4: ("<", 1_000_000, 16),
    0xA1B23C4D: ("<", 1_000_000_000, 16),
    0xD4C3B2A1: (">", 1_000_000, 16),
    0x4D3CB2A1: (">", 1_000_000_000, 16),
    # Kuznetzov's patched libpcap (old Red Hat / SuSE): 8 extra bytes per record (ifindex, protocol, type).
    0xA1B2CD34: ("<", 1_000_000, 24),
    0x34CDB2A1: (">", 1_000_000, 24),
}
_NG_SHB = 0x0A0D0D0A
_NG_BOM = 0x1A2B3C4D
_NG_IDB, _NG_PB, _NG_SPB, _NG_EPB, _NG_DSB = 1, 2, 3, 6, 0x0A
_NG_PACKET_BLOCKS = (_NG_EPB, _NG_SPB, _NG_PB)
_NG_OPT_TSRESOL, _NG_OPT_TSOFFSET = 9, 14

_U32LE = struct.Struct("<I")
_PCAP_HDR = {o: struct.Struct(o + "IHHiIII") for o in "<>"}       # magic ver ver zone sigfigs snaplen link
_PCAP_REC = {o: struct.Struct(o + "IIII") for o in "<>"}          # sec frac caplen wirelen
_NG_HEAD = {o: struct.Struct(o + "II") for o in "<>"}             # block type, total length
_NG_SHB_BODY = {o: struct.Struct(o + "IHH") for o in "<>"}        # byte-order magic, major, minor
_NG_IDB_BODY = {o: struct.Struct(o + "HHI") for o in "<>"}        # linktype, reserved, snaplen
_NG_OPT = {o: struct.Struct(o + "HH") for o in "<>"}
_NG_I64 = {o: struct.Struct(o + "q") for o in "<>"}
_NG_U32 = {o: struct.Struct(o + "I") for o in "<>"}
_NG_EPB_BODY = {o: struct.Struct(o + "IIIII") for o in "<>"}      # iface, ts hi, ts lo, caplen, wirelen
_NG_PB_BODY = {o: struct.Struct(o + "HHIIII") for o in "<>"}      # iface, drops, ts hi, ts lo, caplen, wirelen


STDIN = "-"                  # the path that means standard input, as for tshark -r -
_GZIP_MAGIC = b"\x1f\x8b"


def open_capture(path) -> Iterator[RawPacket]:
    """Yield every packet of the pcap or pcapng file at `path` (see open_path: "-", gzip).

    FileNotFoundError (and other OSErrors) propagate on the first `next()`.
    """
    with open_path(path) as (stream, _):
        yield from iter_capture(stream)


@contextmanager
def open_path(path) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """(the capture's bytes, the file they come from) for `path`; "-" is standard input (left open). A gzip file
    is inflated as it is read, as Wireshark reads .pcap.gz and .pcapng.gz (busy captures are often kept
    compressed); the file underneath then says how far the read is, in compressed bytes."""
    stdin = str(path) == STDIN
    if stdin and _is_terminal(sys.stdin):
        # Nothing binary can be typed there: waiting for it would look like a hang.
        raise CaptureError("standard input is a terminal: pipe a capture in (tcpdump -w - … | wsdissect read -)")
    f = sys.stdin.buffer if stdin else open(path, "rb")
    try:
        if not hasattr(f, "peek"):
            f = io.BufferedReader(f)              # a stand-in stdin (tests) may not peek
        if f.peek(2)[:2] == _GZIP_MAGIC:
            gunzipped = _Gunzipped(f)
            try:
                yield gunzipped, f
            except NotACapture as e:
                if e.gunzipped:
                    raise
                hint = "; it was compressed twice, gunzip it once first" if e.hint else ""
                raise NotACapture(e.detail, hint, gunzipped=True) from None
            finally:
                gunzipped.close()
        else:
            yield f, f
    finally:
        if not stdin:
            f.close()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):       # replaced or closed
        return False


class _Gunzipped:
    """A gzip file's inflated bytes, with read1/readinto1 as the readers use them. A stream that is cut short
    or damaged is the capture's damage: CaptureTruncated once bytes came out of it (the packets before it are
    analysed), CaptureError when not one did.

    Inflating runs in a thread of its own, a few chunks ahead of the reader, with zlib's own gzip framing
    (header, CRC and length checked; members one after the other): zlib lets go of the GIL while it inflates, so
    with a second core the analysis hardly waits for it. (gzip.GzipFile in that thread was slower than inline:
    its Python loop per 8 KB fought the analysis for the GIL.)"""
    READ = 1 << 18                      # compressed bytes per read
    OUT = 1 << 22                       # inflated bytes per chunk at most (a gzip bomb is inflated bit by bit)
    AHEAD = 4                           # chunks inflated and not yet read

    def __init__(self, f: BinaryIO) -> None:
        # The thread reads a file descriptor of its own (a dup), never `f`: a thread inside a buffered file's
        # read holds that file's lock, and a process ending meanwhile (an error, `show - 3` done early) would
        # abort in the interpreter's shutdown, which flushes standard input under that lock. What `f` has
        # buffered already (the peeked magic, and more) is taken first. A stand-in without a descriptor
        # (tests: BytesIO) is read as it is.
        self._fd = self._wake = self._woken = -1
        self._read = getattr(f, "read1", f.read)     # read1: what a pipe has, not a full READ
        self._head = b""
        try:
            fd = f.fileno()
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            fd = -1
        if fd >= 0:
            buffered = f.peek(1) if hasattr(f, "peek") else b""
            self._head = f.read(len(buffered)) if buffered else b""
            self._fd = os.dup(fd)
            self._read = self._read_fd
            if hasattr(select, "poll"):
                self._woken, self._wake = os.pipe()     # close() writes to it: a thread waiting on a pipe wakes
        self._chunks: queue.Queue = queue.Queue(self.AHEAD)
        self._stop = threading.Event()
        self._view = memoryview(b"")    # what is left of the chunk being read
        self._started = False
        self._ended = False
        self._closed = False
        self._thread = threading.Thread(target=self._inflate, name="wsdissect-gunzip", daemon=True)
        _OPEN.add(self)
        self._thread.start()

    def _read_fd(self, n: int) -> bytes:
        if self._head:
            data, self._head = self._head, b""
            return data
        if self._wake >= 0:
            poll = select.poll()
            poll.register(self._fd, select.POLLIN)
            poll.register(self._woken, select.POLLIN)
            while True:
                ready = {fd for fd, _ in poll.poll()}
                if self._woken in ready or self._stop.is_set():
                    return b""
                if ready:
                    break
        return os.read(self._fd, n)

    def read1(self, n: int = -1) -> bytes:
        if not self._view and not self._next():
            return b""
        n = len(self._view) if n < 0 else min(n, len(self._view))
        out, self._view = self._view[:n].tobytes(), self._view[n:]
        return out

    def readinto1(self, view) -> int:
        if not self._view and not self._next():
            return 0
        n = min(len(view), len(self._view))
        view[:n] = self._view[:n]
        self._view = self._view[n:]
        return n

    def close(self) -> None:
        """Stop the thread and wait for it (it may be waiting on a pipe: the wake-up pipe ends that wait), then
        close the descriptors. Called when the capture is closed, and for any left open at exit (atexit)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._wake >= 0:
            try:
                os.write(self._wake, b"x")
            except OSError:
                pass
        if self._thread is not threading.current_thread():
            # Without poll (Windows) a read of a pipe cannot be woken: wait a little, then leave the thread.
            self._thread.join(None if self._wake >= 0 or self._fd < 0 else 1.0)
        if not self._thread.is_alive():
            for fd in (self._fd, self._wake, self._woken):
                if fd >= 0:
                    os.close(fd)
            self._fd = self._wake = self._woken = -1
        _OPEN.discard(self)

    def _next(self) -> bool:
        """The next inflated chunk in self._view; False at the end of the stream."""
        if self._ended:
            return False
        item = self._chunks.get()
        if isinstance(item, BaseException):
            self._ended = True
            if isinstance(item, EOFError):
                raise self._damage("the gzip stream is cut short") from None
            if isinstance(item, zlib.error):
                raise self._damage(f"the gzip stream is damaged ({item})") from None
            raise item
        if not item:
            self._ended = True
            return False
        self._view = memoryview(item)
        self._started = True
        return True

    def _inflate(self) -> None:
        try:
            d = zlib.decompressobj(31)          # 16 + 15: a gzip member, its header and trailer checked
            fed = False                         # d has had bytes of its member
            data = b""
            while not self._stop.is_set():
                if not fed:
                    data = data.lstrip(b"\0")   # gzip, like tar, allows zeros after a member
                if not data:
                    data = self._read(self.READ)
                    if not data:
                        self._put(EOFError() if fed else b"")
                        return
                    continue
                fed = True
                before = d.copy()
                try:
                    out = d.decompress(data, self.OUT)
                except zlib.error:
                    # What inflates before the damage is still the capture's: the same bytes again, a few at a
                    # time, until the error comes back.
                    self._salvage(before, data)
                    raise
                data = d.unconsumed_tail
                if d.eof:                       # the next member, if any, starts in what is left
                    data, d, fed = d.unused_data + data, zlib.decompressobj(31), False
                if out:
                    self._put(out)
        except Exception as e:  # noqa: BLE001 -- handed to the reader, which says what it means
            self._put(e)

    def _salvage(self, d, data: bytes, step: int = 512) -> None:
        """Put what `d` inflates of `data` before the error, fed `step` bytes at a time (so under OUT: no
        unconsumed tail), the failing piece again byte by byte; returns when the error comes back."""
        for i in range(0, len(data), step):
            before = d.copy()
            try:
                out = d.decompress(data[i:i + step], self.OUT)
            except zlib.error:
                if step > 1:
                    self._salvage(before, data[i:i + step], 1)
                return
            if out:
                self._put(out)

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._chunks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _damage(self, what: str) -> CaptureError:
        return CaptureTruncated(what) if self._started else CaptureError(f"{what}, before any capture data")


_OPEN: "weakref.WeakSet[_Gunzipped]" = weakref.WeakSet()     # gunzip threads not yet stopped


@atexit.register
def _close_open() -> None:
    """Stop every gunzip thread still running when the process ends (sys.exit while a capture is open)."""
    for gunzipped in list(_OPEN):
        gunzipped.close()


def iter_capture(fileobj: BinaryIO, start: int = 0) -> Iterator[RawPacket]:
    """Every packet of a pcap or pcapng stream read from a binary file object, numbered from start + 1
    (start > 0: a file that continues the capture of the files before it, cli/fleet.py), and, where a pcapng
    file has a Decryption Secrets Block, a `model.Secrets` record in its place (Analyzer.feed takes it; a loop
    that reads packets' fields skips it).

    An iterator, read lazily like `open_capture`: format errors surface on the first `next()`, not at the call;
    after an error it is exhausted.
    """
    return _Records(fileobj, start)


# _Records._state
_FRESH, _PCAP, _PCAPNG, _ENDED = 0, 1, 2, 3


class _Records:
    """The records of a capture stream (iter_capture). The file header is read at the first `next()`; a pcap
    file's records are then read one per `next()` from one reused buffer (_refill), each header field read from
    its bytes (compiled, pcap.pxd: C reads and one RawPacket filled in field by field, no tuple or integer
    object on the way); a pcapng file's blocks by the generator _iter_pcapng."""
    __slots__ = ("_fileobj", "_readinto", "_ng", "_buf", "_pos", "_end", "_base", "_no", "_rec_len", "_div",
                 "_linktype", "_state", "_big")

    def __init__(self, fileobj: BinaryIO, start: int) -> None:
        self._fileobj = fileobj
        self._no = start
        self._state = _FRESH
        self._readinto = self._ng = self._buf = None
        self._pos = self._end = self._base = self._rec_len = self._linktype = 0
        self._div = 1
        self._big = False

    def __iter__(self) -> "_Records":
        return self

    def __next__(self) -> RawPacket:
        if self._state == _PCAP:
            return self._record()
        return self._other()

    def _other(self):
        """The next record while the stream is not (yet) read as pcap records: its header first, then a
        pcapng stream's blocks."""
        if self._state == _PCAPNG:
            try:
                return next(self._ng)
            except BaseException:
                self._state = _ENDED
                self._ng = None
                raise
        if self._state == _ENDED:
            raise StopIteration
        self._state = _ENDED                # until the header is read
        fileobj = self._fileobj
        self._fileobj = None
        read = getattr(fileobj, "read1", None) or fileobj.read
        head = _fill(read, b"", 4)
        if not head:
            raise NotACapture(None)
        if len(head) < 4:
            raise NotACapture(f"only {len(head)} bytes long")
        magic = _U32LE.unpack_from(head)[0]
        if magic == _NG_SHB:
            self._ng = _iter_pcapng(read, head, self._no)
            self._state = _PCAPNG
            return self._other()
        if magic in _PCAP_MAGIC:
            self._open_pcap(_readinto_of(fileobj, read), head, magic)
            self._state = _PCAP
            return self._record()
        hint = ""
        if head[:2] == b"\x1f\x8b":
            hint = "; it looks gzip-compressed, gunzip it first"
        raise NotACapture(f"starts with {head[:4].hex(' ')}", hint)

    def _open_pcap(self, readinto: Callable, head: bytes, magic: int) -> None:
        order, div, rec_len = _PCAP_MAGIC[magic]
        buf = bytearray(_CHUNK)
        buf[:len(head)] = head
        end = _refill(readinto, buf, 0, len(head), 24)
        if end < 24:
            raise CaptureError(f"pcap file header cut short: {end} of 24 bytes")
        _, _, _, _, _, _, link = _PCAP_HDR[order].unpack_from(buf)
        # The upper bits carry FCS information (libpcap and the pcap draft place it differently); both layouts
        # leave the low 26 bits for the link type.
        self._linktype = link & 0x03FFFFFF
        self._readinto = readinto
        self._buf = buf
        self._end = end
        self._pos = 24
        self._base = 0                  # file offset of buf[0]
        self._div = div
        self._rec_len = rec_len
        self._big = order == ">"

    def _record(self) -> RawPacket:
        """The next pcap record (StopIteration at the end of the stream)."""
        pos = self._pos
        end = self._end
        rec_len = self._rec_len
        if end - pos < rec_len:
            self._base += pos
            end = self._end = _refill(self._readinto, self._buf, pos, end, rec_len)
            pos = self._pos = 0
            if end == 0:
                self._state = _ENDED
                raise StopIteration
            if end < rec_len:
                self._state = _ENDED
                raise CaptureTruncated(
                    f"capture cut short inside the header of packet {self._no + 1} at offset {self._base} "
                    f"(needed {rec_len} bytes, {end} left)")
        p = self._buf
        big = self._big
        caplen = _u32(p, pos + 8, big)
        if caplen > MAX_RECORD:
            self._state = _ENDED
            raise CaptureTruncated(
                f"packet {self._no + 1} at offset {self._base + pos} claims {caplen} captured bytes: the file is "
                f"damaged")
        start = pos + rec_len
        stop = start + caplen
        if stop > end:
            self._base += pos
            end = self._end = _refill(self._readinto, self._buf, pos, end, rec_len + caplen)
            pos = 0
            start = rec_len
            stop = rec_len + caplen
            if stop > end:
                self._state = _ENDED
                raise CaptureTruncated(
                    f"capture cut short inside packet {self._no + 1} at offset {self._base} "
                    f"(needed {caplen} bytes, {end - rec_len} left)")
            p = self._buf               # the buffer may have moved
        self._pos = stop
        self._no += 1
        data = p[start:stop]            # compiled: bytes made from the buffer; plain: a bytearray, copied once more
        if type(data) is not bytes:
            data = bytes(data)
        return _packet(self._no, _u32(p, pos, big) + _u32(p, pos + 4, big) / self._div, self._linktype, data,
                       _u32(p, pos + 12, big))


def _u32(p, i: int, big: bool) -> int:
    """The unsigned 32-bit integer at p[i:i + 4], big-endian if `big`, else little-endian."""
    if big:
        v = p[i]
        return v << 24 | p[i + 1] << 16 | p[i + 2] << 8 | p[i + 3]
    v = p[i + 3]
    return v << 24 | p[i + 2] << 16 | p[i + 1] << 8 | p[i]


def _packet(no: int, ts: float, linktype: int, data: bytes, wirelen: int) -> RawPacket:
    """A RawPacket, made field by field (compiled: C stores into a fresh object, no argument tuple)."""
    raw = RawPacket.__new__(RawPacket)
    raw.no = no
    raw.ts = ts
    raw.linktype = linktype
    raw.data = data
    raw.wirelen = wirelen
    return raw


def _fill(read, rest: bytes, need: int) -> bytes:
    """Return `rest` extended with fresh input until it holds `need` bytes or the input ends."""
    have = len(rest)
    if have >= need:
        return rest
    parts = [rest]
    while have < need:
        chunk = read(max(_CHUNK, need - have))
        if not chunk:
            break
        parts.append(chunk)
        have += len(chunk)
    return b"".join(parts)


def _readinto_of(fileobj: BinaryIO, read: Callable) -> Callable:
    """readinto(view) -> bytes read, returning what is there already (readinto1) so a pipe is not waited on."""
    readinto = getattr(fileobj, "readinto1", None) or getattr(fileobj, "readinto", None)
    if readinto is not None:
        return readinto

    def from_read(view: memoryview) -> int:
        data = read(len(view))
        view[:len(data)] = data
        return len(data)
    return from_read


def _refill(readinto: Callable, buf: bytearray, pos: int, end: int, need: int) -> int:
    """Move the unread buf[pos:end] to the front of buf and read after it until it holds `need` bytes or the input
    ends; returns the new end. One buffer for the whole file, refilled in place: a fresh bytes object per chunk,
    joined to the rest of the last one, cost a copy of the file and a page fault per 4 KiB (~3 % of a fast read)."""
    rest = end - pos
    if pos:
        buf[:rest] = buf[pos:end]
    size = max(need, _CHUNK)         # back to a chunk after a long record
    if len(buf) < size:
        buf.extend(bytes(size - len(buf)))
    elif len(buf) > size:
        del buf[size:]
    end = rest
    with memoryview(buf) as view:
        while end < need:
            n = readinto(view[end:])
            if not n:
                break
            end += n
    return end


def _iter_pcapng(read, head: bytes, start: int = 0) -> Iterator[RawPacket]:
    buf = _fill(read, head, 12)
    if len(buf) < 12:
        raise CaptureError(f"pcapng section header cut short: {len(buf)} of 28 bytes")
    order = _shb_order(buf, 0)
    if order is None:
        raise CaptureError(f"pcapng section header has a bad byte-order magic ({buf[8:12].hex(' ')})")
    unpack_head, u32, epb = _ng_unpackers(order)
    # interface id -> (linktype, divisor, offset seconds, snaplen)
    interfaces: list[tuple[int, int, int, int]] = []
    base = 0
    pos = 0
    end = len(buf)
    no = start
    first = True
    while True:
        if end - pos < 12:
            base += pos
            buf = _fill(read, buf[pos:], 12)
            pos, end = 0, len(buf)
            if end == 0:
                return
            if end < 12:
                raise CaptureTruncated(_ng_cut(None, no, base, 12, end))
        btype, blen = unpack_head(buf, pos)
        if btype == _NG_SHB:
            order = _shb_order(buf, pos)
            if order is None:
                raise CaptureTruncated(
                    f"section header at offset {base + pos} has a bad byte-order magic "
                    f"({buf[pos + 8:pos + 12].hex(' ')}): the file is damaged")
            unpack_head, u32, epb = _ng_unpackers(order)
            btype, blen = unpack_head(buf, pos)
        if blen < 12 or blen & 3 or blen > MAX_RECORD:
            what = "section header" if btype == _NG_SHB else f"block of type {btype:#x}"
            exc = CaptureError if first else CaptureTruncated
            raise exc(f"{what} at offset {base + pos} has an impossible length {blen}: the file is damaged")
        if end - pos < blen:
            base += pos
            buf = _fill(read, buf[pos:], blen)
            pos, end = 0, len(buf)
            if end < blen:
                if first:
                    raise CaptureError(f"pcapng section header cut short: {end} of {blen} bytes")
                raise CaptureTruncated(_ng_cut(btype, no, base, blen, end))
        bstart = pos
        pos += blen
        if u32(buf, pos - 4)[0] != blen:
            raise CaptureTruncated(
                f"block at offset {base + bstart} does not end with its length {blen}: the file is damaged")
        first = False

        if btype == _NG_EPB:
            if blen < 32:
                raise CaptureTruncated(_ng_small(btype, no, base + bstart, blen))
            iface, hi, lo, caplen, wirelen = epb(buf, bstart + 8)
            data_at = bstart + 28
        elif btype == _NG_SPB:
            if blen < 16:
                raise CaptureTruncated(_ng_small(btype, no, base + bstart, blen))
            iface, hi, lo = 0, 0, 0
            wirelen = u32(buf, bstart + 8)[0]
            # SPB has no captured-length field: it is the original length cut to the snaplen and to the block.
            caplen = min(wirelen, blen - 16)
            data_at = bstart + 12
        elif btype == _NG_PB:
            if blen < 32:
                raise CaptureTruncated(_ng_small(btype, no, base + bstart, blen))
            iface, _, hi, lo, caplen, wirelen = _NG_PB_BODY[order].unpack_from(buf, bstart + 8)
            data_at = bstart + 28
        elif btype == _NG_IDB:
            interfaces.append(_parse_idb(buf, bstart, blen, order, base))
            continue
        elif btype == _NG_SHB:
            interfaces = []
            continue
        elif btype == _NG_DSB:
            # Decryption Secrets Block: secrets type, length, the secrets (e.g. an NSS key log, as
            # `editcap --inject-secrets tls,KEYS` writes), yielded beside the packets for the analyzer to use.
            if blen >= 20:
                stype, slen = u32(buf, bstart + 8)[0], u32(buf, bstart + 12)[0]
                if 16 + slen <= blen - 4:
                    yield Secrets(no, stype, bytes(buf[bstart + 16:bstart + 16 + slen]))
            continue
        else:
            continue

        no += 1
        if iface >= len(interfaces):
            raise CaptureTruncated(
                f"packet {no} at offset {base + bstart} names interface {iface}, but its section describes "
                f"only {len(interfaces)}: the file is damaged")
        linktype, div, tsoff, snaplen = interfaces[iface]
        if btype == _NG_SPB and snaplen:
            caplen = min(caplen, snaplen)
        if data_at + caplen > pos - 4:
            raise CaptureTruncated(
                f"packet {no} at offset {base + bstart} claims {caplen} captured bytes but its block holds "
                f"{pos - 4 - data_at}: the file is damaged")
        ts = ((hi << 32) | lo) / div + tsoff if btype != _NG_SPB else 0.0
        yield _packet(no, ts, linktype, buf[data_at:data_at + caplen], wirelen)


def _ng_unpackers(order: str):
    # Bound once per section: the byte order only changes at a section header.
    return _NG_HEAD[order].unpack_from, _NG_U32[order].unpack_from, _NG_EPB_BODY[order].unpack_from


def _shb_order(buf: bytes, pos: int):
    bom = _U32LE.unpack_from(buf, pos + 8)[0]
    if bom == _NG_BOM:
        return "<"
    if bom == 0x4D3C2B1A:
        return ">"
    return None


def _parse_idb(buf: bytes, bstart: int, blen: int, order: str, base: int) -> tuple[int, int, int, int]:
    if blen < 20:
        raise CaptureTruncated(f"interface description at offset {base + bstart} is too short ({blen} bytes)")
    linktype, _, snaplen = _NG_IDB_BODY[order].unpack_from(buf, bstart + 8)
    div, tsoff = 1_000_000, 0
    opt = bstart + 16
    stop = bstart + blen - 4
    unpack_opt = _NG_OPT[order].unpack_from
    # Options are read leniently: a malformed option ends the list rather than the capture, since only the
    # timestamp resolution and offset matter here.
    while opt + 4 <= stop:
        code, olen = unpack_opt(buf, opt)
        if code == 0 or opt + 4 + olen > stop:
            break
        if code == _NG_OPT_TSRESOL and olen >= 1:
            v = buf[opt + 4]
            div = 1 << (v & 0x7F) if v & 0x80 else 10 ** v
        elif code == _NG_OPT_TSOFFSET and olen >= 8:
            tsoff = _NG_I64[order].unpack_from(buf, opt + 4)[0]
        opt += 4 + ((olen + 3) & ~3)
    return linktype, div, tsoff, snaplen


def _ng_cut(btype, no: int, offset: int, needed: int, left: int) -> str:
    if btype in _NG_PACKET_BLOCKS:
        where = f"inside packet {no + 1}"
    elif btype is None:
        where = "inside a block header"
    else:
        where = f"inside a block of type {btype:#x}"
    return f"capture cut short {where} at offset {offset} (needed {needed} bytes, {left} left)"


def _ng_small(btype: int, no: int, offset: int, blen: int) -> str:
    return f"packet {no + 1} at offset {offset}: block of type {btype:#x} too short ({blen} bytes)"
