# cython: annotation_typing=False, boundscheck=False, wraparound=False
"""Incremental RFC 6455 frame parser for one direction of a connection.

Sans-IO: fed the in-order bytes of one TCP direction, chunk by chunk, each tagged with the number of the
packet that carried it. It returns model.Frame records as frames complete and model.Note records for framing
problems. It knows framing only; what frames mean (masking rules, fragments, close codes, deflate) is
messages.py's business.

Payload cap: a frame keeps at most `max_payload` bytes of its payload; a control frame (Close, Ping, Pong: at most
CONTROL_MAX bytes, RFC 6455 5.5) keeps at least CONTROL_MAX whatever the cap, so a Close frame's code and reason
survive `--max-message 0`. The rest is streamed past without
being stored (a header may claim 2**63 bytes). The record then obeys

    len(payload) + payload_missing + <bytes cut by the cap> == length

so the cut is `length - len(payload) - payload_missing`; `payload_missing` counts only bytes the capture
lost (TCP gaps). After a gap inside a payload, `payload` holds the bytes before and after the hole joined
together: offsets past the hole are not positions in the real payload.
"""
from __future__ import annotations

from typing import List, Optional, Union

try:
    import cython
    COMPILED = cython.compiled       # a constant: True in the module Cython built, False in the .py
except ImportError:                  # no Cython installed: the plain-Python build
    COMPILED = False

from ..limits import DEFAULT_LIMITS
from ..model import Frame, Note, new_frame
from .codes import opcode_name

Record = Union[Frame, Note]

CONTROL_MAX = 125            # a control frame's payload at most (RFC 6455 5.5)


def payload_cap(opcode: int, max_payload: int) -> int:
    """Bytes of a frame's payload kept: `max_payload`, and for a control frame never under CONTROL_MAX."""
    return max_payload if opcode < 8 or max_payload >= CONTROL_MAX else CONTROL_MAX


def unmask(data: bytes, key: bytes, phase: int = 0) -> bytes:
    """XOR `data` with the 4-byte `key`, starting `phase` bytes into the key.

    The payload's first byte is XORed with key[0], so a chunk that starts at payload offset k begins at key
    byte k % 4; chunks of one payload can then be unmasked independently.
    """
    n = len(data)
    if not n:
        return b""
    if phase:
        key = key[phase:] + key[:phase]
    if COMPILED:
        # Compiled: the key as a 64-bit word XORed from `data` into a new bytes object (written before anyone else
        # holds it), eight bytes a step, then the tail. A bytes object's buffer is 16-byte aligned.
        out = bytes(n)
        p = cython.cast(cython.p_uchar, out)
        s = cython.cast(cython.p_uchar, data)
        k = key
        kk = key + key
        w = cython.cast(cython.p_ulonglong, cython.cast(cython.p_uchar, kk))[0]   # the key twice, in memory order
        q = cython.cast(cython.p_ulonglong, p)
        qs = cython.cast(cython.p_ulonglong, s)
        words = n >> 3
        for i in range(words):
            q[i] = qs[i] ^ w
        for i in range(words << 3, n):
            p[i] = s[i] ^ k[i & 3]
        return out
    # Plain Python: one big-int XOR runs in C at machine-word speed, where a per-byte loop would dominate.
    return (int.from_bytes(data, "big") ^ int.from_bytes((key * ((n >> 2) + 1))[:n], "big")).to_bytes(n, "big")


class FrameParser:
    """Frames of one direction. `feed` bytes as they arrive, `gap` for bytes the capture lost, then `finish`."""

    # C fields when compiled (frames.pxd). The state of a frame in progress (_frame, _mask, _parts...) exists
    # only between its first and last byte; between frames a parser holds its counters and nothing else.
    __slots__ = ("direction", "max_payload", "stopped", "ignored", "frames", "_last_no", "_hdr", "_hdr_no",
                 "_frame", "_remaining", "_mask", "_phase", "_parts", "_room", "_cut")

    def __init__(self, direction: str, *, max_payload: int = DEFAULT_LIMITS.max_message) -> None:
        self.direction = direction
        self.max_payload = max_payload
        self.stopped = False     # framing lost: every later byte of this direction is ignored
        self.ignored = 0         # bytes fed (or lost) after stopping
        self.frames = 0          # frames completed so far
        self._last_no = 0
        # Header bytes received so far when a header straddles chunks (None: none), and where its first byte
        # came from.
        self._hdr: Optional[bytes] = None
        self._hdr_no = 0
        # The frame whose payload is being received (None between frames).
        self._frame: Optional[Frame] = None
        self._remaining = 0      # payload bytes still to come (received or lost)
        self._mask: Optional[bytes] = None
        self._phase = 0          # payload offset mod 4, so a later chunk picks up the mask where it left off
        self._parts: Optional[List[bytes]] = None    # the kept payload chunks of _frame (None between frames)
        self._room = 0           # payload bytes that may still be kept under the cap
        self._cut = False        # the cap was reached (and noted) for this frame

    @property
    def last_no(self) -> int:
        """The packet that brought the latest bytes (or gap); where end-of-capture notes are pinned."""
        return self._last_no

    @property
    def in_frame(self) -> bool:
        """True between a frame's first byte and its last."""
        return self._hdr is not None or self._frame is not None

    # -- input -----------------------------------------------------------------------------------------------

    def feed(self, data: bytes, no: int) -> List[Record]:
        out: List[Record] = []
        if self.stopped:
            self.ignored += len(data)
            return out
        if type(data) is not bytes:
            data = bytes(data)
        self._last_no = no
        pos = 0
        end = len(data)
        while pos < end:
            if self._frame is None:
                used = self._header(data, pos, end, no, out)
                if used < 0:             # stopped on an unusable header
                    self.ignored += end - pos
                    return out
                if used == 0:            # header incomplete; its bytes are in self._hdr
                    return out
                pos += used
                continue
            take = self._remaining if self._remaining <= end - pos else end - pos
            self._payload(data, pos, take, no, out)
            pos += take
            if self._remaining == 0:
                self._complete(no, out)
        return out

    def gap(self, nbytes: int, no: int) -> List[Record]:
        """The TCP layer lost `nbytes` of this direction's stream just before the next fed byte."""
        out: List[Record] = []
        if nbytes <= 0:
            return out
        if self.stopped:
            self.ignored += nbytes
            return out
        self._last_no = no
        frame = self._frame
        if frame is not None and nbytes <= self._remaining:
            # The hole sits inside a payload whose length is known, so the next frame boundary is still known.
            frame.payload_missing += nbytes
            self._remaining -= nbytes
            self._phase = (self._phase + nbytes) & 3
            out.append(Note(no, None, "warning", "gap-in-payload",
                            {"n": nbytes, "opcode": opcode_name(frame.opcode), "length": frame.length}))
            if self._remaining == 0:
                self._complete(no, out)
            return out
        rest = 0
        if frame is not None:
            # The hole runs past this frame's end: finish the frame, but what follows it is unknown.
            rest = nbytes - self._remaining
            frame.payload_missing += self._remaining
            self._remaining = 0
            self._complete(no, out)
            args = {"variant": "past_frame", "n": nbytes, "opcode": opcode_name(frame.opcode), "rest": rest}
        elif self._hdr is not None:
            args = {"variant": "in_header", "n": nbytes}
        else:
            args = {"variant": "at_header", "n": nbytes}
        out.append(Note(no, None, "error", "gap-in-header", args))
        self._stop(nbytes if frame is None else rest)
        return out

    def finish(self) -> List[Note]:
        """End of capture: a frame still partly received becomes a Note."""
        no = self._last_no
        if self.stopped:
            return []
        f = self._frame
        if f is not None:
            got = f.length - self._remaining
            return [Note(no, None, "warning", "incomplete-frame",
                         {"variant": "payload", "opcode": opcode_name(f.opcode), "got": got, "length": f.length})]
        if self._hdr is not None:
            return [Note(no, None, "warning", "incomplete-frame", {"variant": "header", "n": len(self._hdr)})]
        return []

    # -- internals -------------------------------------------------------------------------------------------

    def _stop(self, ignored: int) -> None:
        self.stopped = True
        self.ignored += ignored
        self._frame = None
        self._hdr = None
        self._parts = None
        self._mask = None

    def _header(self, data: bytes, pos: int, end: int, no: int, out: List[Record]) -> int:
        """Parse a header at data[pos:end], joined to any header bytes held from earlier chunks.

        Returns the number of bytes of `data` used: 0 if the header is still incomplete (bytes kept), -1 if
        parsing stopped.
        """
        held = 0
        first_no = no
        buf = data
        base = pos
        if self._hdr is not None:
            held = len(self._hdr)
            first_no = self._hdr_no
            buf = self._hdr + data[pos:pos + 14]
            base = 0
        avail = len(buf) - base
        if avail < 2:
            self._keep_header(buf, base, no)
            return 0
        b0 = buf[base]
        b1 = buf[base + 1]
        ln = b1 & 0x7F
        masked = b1 >> 7
        size = 2 + masked * 4
        if ln == 126:
            size += 2
        elif ln == 127:
            size += 8
        if avail < size:
            self._keep_header(buf, base, no)
            return 0
        self._hdr = None
        if ln == 126:
            length = buf[base + 2] << 8 | buf[base + 3]
            if length < 126:
                out.append(Note(no, None, "warning", "non-minimal-length", {"variant": "form16", "length": length}))
        elif ln == 127:
            if buf[base + 2] & 0x80:
                big = int.from_bytes(buf[base + 2:base + 10], "big")
                out.append(Note(no, None, "error", "invalid-length", {"length": big}))
                self._stop(0)
                return -1
            length = 0
            for i in range(base + 2, base + 10):
                length = length << 8 | buf[i]
            if length < 65536:
                out.append(Note(no, None, "warning", "non-minimal-length",
                                {"variant": "form64", "length": length, "bits": 7 if length < 126 else 16}))
        else:
            length = ln
        key = buf[base + size - 4:base + size] if masked else None
        opcode = b0 & 0x0F
        frame = new_frame(no, first_no, self.direction, b0 >> 7 == 1, (b0 >> 4) & 7, opcode, masked == 1, key,
                          length, size)
        if length == 0:
            self.frames += 1
            out.append(frame)
        elif (not held and avail - size >= length
              and (length <= self.max_payload or opcode >= 8 and length <= CONTROL_MAX)):
            # The whole frame is in this chunk (most frames of a capture): take its payload at once, the same
            # record _payload + _complete would build, without their per-frame state.
            start = base + size
            frame.payload = (unmask(buf[start:start + length], key) if masked
                             else buf[start:start + length])
            self.frames += 1
            out.append(frame)
            return size + length
        else:
            self._frame = frame
            self._remaining = length
            self._mask = key
            self._phase = 0
            self._parts = []
            self._room = payload_cap(opcode, self.max_payload)
            self._cut = False
        return size - held

    def _keep_header(self, buf: bytes, base: int, no: int) -> None:
        if self._hdr is None:
            self._hdr_no = no
        self._hdr = buf[base:]

    def _payload(self, data: bytes, pos: int, take: int, no: int, out: List[Record]) -> None:
        room = self._room
        keep = take if take <= room else room
        if keep:
            chunk = data[pos:pos + keep]
            if self._mask is not None:
                chunk = unmask(chunk, self._mask, self._phase)
            self._parts.append(chunk)
            self._room = room - keep
        if keep < take and not self._cut:
            self._cut = True
            f = self._frame
            cap = payload_cap(f.opcode, self.max_payload)
            out.append(Note(no, None, "warning", "frame-truncated",
                            {"opcode": opcode_name(f.opcode), "length": f.length, "cap": cap}))
        self._phase = (self._phase + take) & 3
        self._remaining -= take

    def _complete(self, no: int, out: List[Record]) -> None:
        frame = self._frame
        parts = self._parts
        frame.payload = parts[0] if len(parts) == 1 else b"".join(parts)
        frame.no = no
        self._frame = None
        self._parts = None
        self._mask = None
        self.frames += 1
        out.append(frame)
