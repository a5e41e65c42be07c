# cython: annotation_typing=False, boundscheck=False, wraparound=False
"""One direction of a WebSocket session: frames in, messages and protocol notes out.

Sans-IO like FrameParser below it: fed the in-order bytes of one direction (after the 101 response), it
returns Frame, Message and Note records in stream order: each Frame as it completes, then the Notes it raised,
then the Message it finished (if any), then the Notes about that message (invalid UTF-8, lost deflate
context). `conn` is left None in every record and `no` is the packet the bytes came from; the analyzer fills
in the rest.

Message.length is what the application received: for an uncompressed message the exact length even past the
cap (it is the sum of payload lengths); for a compressed one the bytes inflated, since inflating stops at the
cap (then `truncated` is set). Message.data holds at most Limits.max_message bytes. `truncated` also covers
bytes lost to a capture gap and data that would not inflate. `text` is set for a text message whose data is
valid UTF-8; for a message cut by the cap it is the text of the kept prefix (a character split by the cut is
dropped), and it is None when a gap left a hole in the data.

Problems are reported, never fatal: a frame that breaks a rule is still shown and used as far as it can be.
"""
from __future__ import annotations

import codecs
from typing import List, Optional, Union

from ..limits import DEFAULT_LIMITS, Limits
from ..model import C2S, DeflateParams, Frame, Message, Note, new_message
from .codes import (BINARY, CLOSE, CONTINUATION, TEXT, close_code_name, close_code_sendable, is_reserved_opcode,
                    opcode_name)
from .deflate import Inflater
from .frames import FrameParser

Record = Union[Frame, Message, Note]


class _Assembly:
    """A data message between its first and its final frame."""
    __slots__ = ("opcode", "first_no", "compressed", "frames", "wire_length", "length", "parts", "kept",
                 "capped", "hole", "stalled", "failed", "context_missing")

    def __init__(self, opcode: int, first_no: int, compressed: bool, context_missing: bool) -> None:
        self.opcode = opcode
        self.first_no = first_no
        self.compressed = compressed
        self.frames = 0
        self.wire_length = 0
        self.length = 0            # uncompressed: bytes the application got, kept or not
        self.parts: List[bytes] = []
        self.kept = 0
        self.capped = False        # more data than the cap: data holds a prefix
        self.hole = False          # bytes lost inside data (uncompressed): data is not a prefix
        self.stalled = False       # compressed: inflating stopped before the end (gap, cap, error)
        self.failed = False        # compressed: zlib rejected the data
        self.context_missing = context_missing


class WebSocketDirection:
    __slots__ = ("direction", "client", "deflate", "limits", "cap", "parser", "inflater", "close_frame",
                 "messages", "_msg", "_side")

    def __init__(self, direction: str, *, deflate: Optional[DeflateParams] = None,
                 limits: Limits = DEFAULT_LIMITS) -> None:
        self.direction = direction
        self.client = direction == C2S
        self.deflate = deflate
        self.limits = limits
        self.cap = limits.max_message
        self.parser = FrameParser(direction, max_payload=limits.max_message)
        self.inflater: Optional[Inflater] = None
        if deflate is not None:
            if self.client:
                takeover = not deflate.client_no_context_takeover
                bits = deflate.client_max_window_bits
            else:
                takeover = not deflate.server_no_context_takeover
                bits = deflate.server_max_window_bits
            self.inflater = Inflater(max_output=self.cap, context_takeover=takeover, window_bits=bits)
        self.close_frame: Optional[Frame] = None   # the first Close frame this side sent
        self.messages = 0
        self._msg: Optional[_Assembly] = None
        self._side = "client" if self.client else "server"

    @property
    def stopped(self) -> bool:
        """Framing was lost (a gap hid a header, or an invalid length): later bytes are ignored."""
        return self.parser.stopped

    def feed(self, data: bytes, no: int) -> List[Record]:
        recs = self.parser.feed(data, no)
        if not recs:
            return recs          # a chunk inside a long payload: nothing completed (a fresh list, the caller's)
        out: List[Record] = []
        for rec in recs:
            if type(rec) is Frame:
                self._frame(rec, out)
            else:
                out.append(rec)
        return out

    def gap(self, nbytes: int, no: int) -> List[Record]:
        out: List[Record] = []
        for rec in self.parser.gap(nbytes, no):
            if type(rec) is Frame:
                self._frame(rec, out)
            else:
                out.append(rec)
        return out

    def finish(self) -> List[Record]:
        """End of capture (or of the connection): report what was left unfinished."""
        out: List[Record] = list(self.parser.finish())
        m = self._msg
        if m is not None:
            no = self.parser.last_no
            out.append(Note(no, None, "warning", "incomplete-message",
                            {"side": self._side, "opcode": opcode_name(m.opcode), "frames": m.frames,
                             "bytes": m.wire_length}))
            self._msg = None
            if m.compressed and self.inflater is not None:
                self.inflater.end_message(complete=False)
        return out

    def _utf8_note(self, no: int, exc: UnicodeDecodeError, size: int) -> Note:
        return Note(no, None, "error", "invalid-utf8",
                    {"variant": "message", "side": self._side, "pos": exc.start, "size": size})

    # -- frames ----------------------------------------------------------------------------------------------

    def _whole_message(self, f: Frame, data: bytes, compressed: bool, out: List[Record]) -> None:
        """The Message of one whole, valid, final data frame `f` whose payload is (or inflated to) `data`."""
        text = note = None
        if f.opcode == TEXT:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                note = self._utf8_note(f.no, exc, len(data))
        self.messages += 1
        out.append(new_message(self.direction, f.opcode, 1, f.first_no, f.no, compressed, len(data), f.length,
                               data, text, False))
        if note is not None:
            out.append(note)

    def _whole_compressed(self, f: Frame, out: List[Record]) -> None:
        """The records of one whole compressed message in one valid final data frame (the conditions are
        _frame's). Inflated as _add_compressed would; only a message that inflated cleanly skips the _Assembly
        round trip (~2 µs a message), the others take the long way from here."""
        inf = self.inflater
        context_missing = inf.lost
        self._inflated_whole(f, inf.inflate(f.payload, final=True), context_missing, out)

    def _inflated_whole(self, f: Frame, data: bytes, context_missing: bool, out: List[Record]) -> None:
        """The rest of _whole_compressed once the frame is inflated to `data`."""
        inf = self.inflater
        if inf.capped or inf.error is not None:
            m = _Assembly(f.opcode, f.first_no, True, context_missing)
            m.frames = 1
            m.wire_length = f.length
            self._inflated(m, f, data, False, out)
            self._message(m, f, out)
            return
        inf.end_message()        # a whole message cannot lose the context: no inflate-context-lost note
        self._whole_message(f, data, True, out)

    def _frame(self, f: Frame, out: List[Record]) -> None:
        out.append(f)
        no = f.no
        op = f.opcode
        if (f.fin and (op == TEXT or op == BINARY) and not f.rsv and self._msg is None and f.masked == self.client
                and self.close_frame is None and not f.payload_missing and f.length <= self.cap):
            # The common case, a whole uncompressed message in one valid frame, without the _Assembly round
            # trip; what it returns is exactly what _add_plain + _message would (tests/test_websocket_*).
            self._whole_message(f, f.payload, False, out)
            return
        inf = self.inflater
        if (f.rsv == 4 and inf is not None and f.fin and (op == TEXT or op == BINARY) and self._msg is None
                and f.masked == self.client and self.close_frame is None and not f.payload_missing
                and len(f.payload) == f.length):
            # The other common case (half the messages of bench/gen.py's capture): a whole compressed message in
            # one valid frame.
            self._whole_compressed(f, out)
            return
        if f.masked != self.client:
            if self.client:
                out.append(Note(no, None, "error", "unmasked-client-frame", {"opcode": opcode_name(op)}))
            else:
                out.append(Note(no, None, "error", "masked-server-frame", {"opcode": opcode_name(op)}))
        if self.close_frame is not None:
            out.append(Note(no, None, "error", "data-after-close",
                            {"side": self._side, "opcode": opcode_name(op), "close_no": self.close_frame.no}))
        if f.rsv:
            self._check_rsv(f, out)
        if is_reserved_opcode(op):
            out.append(Note(no, None, "error", "reserved-opcode",
                            {"variant": "control" if op >= 8 else "non_control", "side": self._side, "op": op}))
            return
        if op >= 8:
            if f.length > 125:
                out.append(Note(no, None, "error", "control-frame-too-long",
                                {"opcode": opcode_name(op), "n": f.length}))
            if not f.fin:
                out.append(Note(no, None, "error", "fragmented-control-frame", {"opcode": opcode_name(op)}))
            if op == CLOSE:
                self._close(f, out)
            return
        m = self._msg
        if op == CONTINUATION:
            if m is None:
                out.append(Note(no, None, "error", "unexpected-continuation", {"side": self._side}))
                return
        else:
            if m is not None:
                out.append(Note(no, None, "error", "interleaved-data-frame",
                                {"side": self._side, "opcode": opcode_name(op), "prev_opcode": opcode_name(m.opcode),
                                 "frames": m.frames}))
                self._msg = None
                if m.compressed:
                    self._end_inflate(m, no, out, complete=False)
            compressed = bool(f.rsv & 4) and self.inflater is not None
            m = self._msg = _Assembly(op, f.first_no, compressed,
                                      compressed and self.inflater.lost)
        if m.compressed:
            self._add_compressed(m, f, out)
        else:
            self._add_plain(m, f, out)
        if f.fin:
            self._msg = None
            self._message(m, f, out)

    def _check_rsv(self, f: Frame, out: List[Record]) -> None:
        bits: list = []      # the bits set without an extension for them: note_part ids of the i18n catalog
        if f.rsv & 4:
            if self.deflate is None:
                bits.append({"id": "note_part.rsv1_no_extension"})
            elif f.opcode not in (TEXT, BINARY):
                bits.append({"id": "note_part.rsv1_not_first"})
        if f.rsv & 2:
            bits.append("RSV2")
        if f.rsv & 1:
            bits.append("RSV3")
        if bits:
            out.append(Note(f.no, None, "error", "rsv-not-negotiated",
                            {"side": self._side, "opcode": opcode_name(f.opcode), "bits": bits}))

    def _close(self, f: Frame, out: List[Record]) -> None:
        if self.close_frame is None:
            self.close_frame = f
        p = f.payload
        complete = len(p) == f.length
        if f.length == 1:
            out.append(Note(f.no, None, "error", "bad-close-payload", {}))
            return
        if len(p) < 2:
            return
        if f.payload_missing:
            # Bytes of this payload were lost in the capture: the kept ones no longer sit at their offsets,
            # so a code read from them would be invented.
            out.append(Note(f.no, None, "warning", "close-payload-missing", {"n": f.payload_missing}))
            return
        code = (p[0] << 8) | p[1]
        f.close_code = code
        raw = p[2:]
        try:
            f.close_reason = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            f.close_reason = raw.decode("utf-8", "replace")
            if complete:
                out.append(Note(f.no, None, "error", "invalid-utf8", {"variant": "close_reason", "pos": exc.start}))
        if not close_code_sendable(code):
            out.append(Note(f.no, None, "error", "bad-close-code",
                            {"code": code, "close_name": close_code_name(code)}))

    # -- messages --------------------------------------------------------------------------------------------

    def _add_plain(self, m: _Assembly, f: Frame, out: List[Record]) -> None:
        m.frames += 1
        m.wire_length += f.length
        m.length += f.length
        if f.payload_missing:
            m.hole = True
        room = self.cap - m.kept
        payload = f.payload
        if payload and room > 0:
            if len(payload) > room:
                payload = payload[:room]
            m.parts.append(payload)
            m.kept += len(payload)
        # Bytes the capture does hold for this frame, kept or cut by the frame cap.
        present = f.length - f.payload_missing
        if present > room and not m.capped:
            m.capped = True
            self._note_cap(m, f.no, out)

    def _add_compressed(self, m: _Assembly, f: Frame, out: List[Record]) -> None:
        m.frames += 1
        m.wire_length += f.length
        if m.stalled:
            return
        inf = self.inflater
        if f.payload_missing:
            # Where the hole sits in the payload is unknown here, and DEFLATE cannot skip bytes anyway.
            m.stalled = True
            out.append(Note(f.no, None, "warning", "inflate-gap", {"n": f.payload_missing, "side": self._side}))
            return
        frame_cut = len(f.payload) < f.length
        self._inflated(m, f, inf.inflate(f.payload, final=f.fin and not frame_cut), frame_cut, out)

    def _inflated(self, m: _Assembly, f: Frame, data: bytes, frame_cut: bool, out: List[Record]) -> None:
        """What frame `f` inflated to (`data`) joins message `m`; the cap or an error stops the message."""
        inf = self.inflater
        if data:
            m.parts.append(data)
            m.kept += len(data)
        if inf.capped or frame_cut:
            m.capped = True
            m.stalled = True
            self._note_cap(m, f.no, out)
        elif inf.error is not None:
            m.stalled = True
            m.failed = True
            if not m.context_missing:
                out.append(Note(f.no, None, "error", "inflate-error", {"side": self._side, "error": inf.error}))

    def _note_cap(self, m: _Assembly, no: int, out: List[Record]) -> None:
        out.append(Note(no, None, "warning", "message-truncated",
                        {"variant": "compressed" if m.compressed else None, "side": self._side,
                         "opcode": opcode_name(m.opcode), "cap": self.cap}))

    def _end_inflate(self, m: _Assembly, no: int, out: List[Record], complete: bool = True) -> None:
        inf = self.inflater
        was_lost = inf.lost
        inf.end_message(complete=complete and not m.stalled)
        if inf.lost and not was_lost:
            out.append(Note(no, None, "warning", "inflate-context-lost", {"side": self._side}))

    def _message(self, m: _Assembly, f: Frame, out: List[Record]) -> None:
        notes: List[Record] = []
        if m.compressed:
            self._end_inflate(m, f.no, notes)
            length = m.kept
            truncated = m.stalled
        else:
            length = m.length
            truncated = m.capped or m.hole
        data = m.parts[0] if len(m.parts) == 1 else b"".join(m.parts)
        text = None
        if m.opcode == TEXT and not m.hole:
            try:
                if truncated:
                    # A prefix: the cut may split a character, which is not an error.
                    text = codecs.getincrementaldecoder("utf-8")().decode(data, False)
                else:
                    text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                if not m.failed:
                    notes.append(self._utf8_note(f.no, exc, len(data)))
        self.messages += 1
        out.append(new_message(self.direction, m.opcode, m.frames, m.first_no, f.no, m.compressed, length,
                               m.wire_length, data, text, truncated))
        out.extend(notes)
