"""The facts a lab worksheet asks about, read from one connection of a capture (no words: render/worksheet.py).

`build(packets)` runs the analyzer over the packets and returns a `Worksheet`: the two ends, the SYN's and the
SYN/ACK's sequence numbers (raw, as on the wire, and relative, as Wireshark shows them), the upgrade request and
its answer, the Sec-WebSocket-Accept computation, the first client frame's mask, how the connection ended, the
silence before a drop, ping to pong time, and the rows of a TCP table with the "ACK = SEQ + length" check.
`Worksheet.answers()` gives each question's answer under a stable id; `mark(answers, given)` marks a student's.

Which connection: `conn` when given, else the first WebSocket connection of the capture (else the first one).
Only the first MAX_CONNECTIONS connections are looked at, and MAX_TABLE_ROWS packets of the chosen one are kept
for the table: a worksheet is for a lab's capture, not a server's day.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from .analyzer import Analyzer
from .decode import DecodeError, decode_packet
from .http import HttpRequest, HttpResponse, HttpStream, accept_steps
from .limits import DEFAULT_LIMITS, Limits
from .model import ACK, C2S, FIN, S2C, SYN, Connection, RawPacket, flag_names
from .websocket.codes import BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT
from .websocket.frames import unmask

__all__ = ["MAX_CONNECTIONS", "MAX_TABLE_ROWS", "NoConnection", "TcpLine", "Worksheet", "build", "mark",
           "parse_answers", "decode_answers", "QUESTIONS"]

MAX_CONNECTIONS = 64       # connections of a capture a worksheet looks at (the first ones)
MAX_TABLE_ROWS = 60        # packets of the chosen connection in the teacher's TCP table
FIRST_BYTES = 8            # bytes of the first client frame shown masked and unmasked
IDLE_TOLERANCE = 0.05      # seconds: an idle time answered within this is right
PING_TOLERANCE = 0.5       # milliseconds: a ping-to-pong time answered within this is right

_DATA = (CONTINUATION, TEXT, BINARY)       # a frame of a data message

# The request headers of an opening handshake (RFC 6455 4.1), which the key lists.
UPGRADE_HEADERS = ("upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-protocol",
                   "sec-websocket-extensions", "origin", "host")

# Question ids, in the worksheet's order. An answer file holds lines "id: answer" (see parse_answers).
QUESTIONS = ("client", "server", "syn_seq_raw", "syn_seq_relative", "synack_ack_raw", "synack_ack_relative",
             "request_line", "upgrade", "websocket_version", "sec_websocket_key", "sec_websocket_accept",
             "mask_key", "first_bytes",
             "first_fin_by", "close_frame", "idle_seconds", "ping_pong_ms")


class NoConnection(Exception):
    """The capture holds no TCP connection (or not the one asked for)."""


@dataclass(slots=True)
class TcpLine:
    """One packet of the teacher's table. `check` is (ack, peer_seq, peer_len, peer_flag_extra, ok) for a packet
    whose ACK number moved: it should be the peer's last seq + length (+1 for a SYN or FIN)."""
    no: int
    t: float                 # seconds since the connection's first packet
    direction: str
    flags: str
    seq_raw: int
    seq: int
    ack_raw: Optional[int]
    ack: Optional[int]
    length: int
    role: str
    check: Optional[tuple] = None


@dataclass
class Worksheet:
    conn: Connection
    syn: Optional[TcpLine] = None
    synack: Optional[TcpLine] = None
    request: Optional[HttpRequest] = None                # the upgrade request (http.py's parse of it)
    request_no: Optional[int] = None
    response_no: Optional[int] = None
    accept: Optional[tuple] = None                       # accept_steps(key): (key + GUID, SHA-1 digest, base64)
    frame_no: Optional[int] = None                       # the first client frame
    mask_key: Optional[bytes] = None
    masked: bytes = b""
    unmasked: bytes = b""
    fin: Optional[TcpLine] = None                        # the first FIN
    close_frames: int = 0
    close_code: Optional[int] = None
    # A connection dropped with no Close frame: the last packet with a data frame before the first FIN, and the
    # seconds from it to that FIN (what an idle timeout counts)
    last_data_no: Optional[int] = None
    idle_data: Optional[float] = None
    last_control_no: Optional[int] = None                # a ping or pong after it, the last one
    idle_control: Optional[float] = None
    ping_no: Optional[int] = None
    pong_no: Optional[int] = None
    ping_ms: Optional[float] = None
    table: list = field(default_factory=list)
    table_cut: int = 0                                   # packets of the connection past MAX_TABLE_ROWS

    def upgrade_headers(self) -> list:
        """The request's header lines that ask for the WebSocket upgrade (RFC 6455 4.1), in their order."""
        return [f"{name}: {value}" for name, value in self.request.headers if name.lower() in UPGRADE_HEADERS]

    def side(self, direction: str) -> str:
        return "client" if direction == C2S else "server"

    def answers(self) -> dict:
        """Question id -> the answer computed from the capture (a string), for the questions this capture
        answers: a capture without a ping has no ping_pong_ms, one without a FIN no first_fin_by."""
        c = self.conn
        out = {"client": str(c.client), "server": str(c.server)}
        if self.syn is not None:
            out["syn_seq_raw"] = str(self.syn.seq_raw)
            out["syn_seq_relative"] = str(self.syn.seq)
        if self.synack is not None and self.synack.ack_raw is not None:
            out["synack_ack_raw"] = str(self.synack.ack_raw)
            out["synack_ack_relative"] = str(self.synack.ack)
        if self.request is not None:
            out["request_line"] = self.request.first_line
            for qid, name in (("upgrade", "Upgrade"), ("websocket_version", "Sec-WebSocket-Version")):
                value = self.request.get(name)
                if value is not None:
                    out[qid] = value
        if c.key:
            out["sec_websocket_key"] = c.key
        if self.accept is not None:
            out["sec_websocket_accept"] = self.accept[2]
        if self.mask_key is not None:
            out["mask_key"] = self.mask_key.hex()
            out["first_bytes"] = self.unmasked.hex()
        if self.fin is not None:
            out["first_fin_by"] = self.side(self.fin.direction)
            out["close_frame"] = "yes" if self.close_frames else "no"
        if self.idle_data is not None:
            out["idle_seconds"] = f"{self.idle_data:.3f}"
        if self.ping_ms is not None:
            out["ping_pong_ms"] = f"{self.ping_ms:.3f}"
        return out


def build(packets: Iterable[RawPacket], conn: Optional[int] = None, limits: Limits = DEFAULT_LIMITS,
          decode_as: Iterable[int] = ()) -> Worksheet:
    """The worksheet of connection `conn` (None: the first WebSocket one) of `packets`.

    Raises NoConnection when the capture holds no such connection. A malformed packet is skipped, as the
    analyzer does; the capture's own errors (CaptureError) come from iterating `packets`."""
    a = Analyzer(limits, decode_as=decode_as)
    kept: dict = {}                      # conn id -> [(row, seq_raw, ack_raw, payload)]
    for raw in packets:
        row = a.feed(raw)
        if row is None or row.conn is None or (conn is not None and row.conn != conn):
            continue
        rows = kept.get(row.conn)
        if rows is None:
            if len(kept) >= MAX_CONNECTIONS:
                continue
            rows = kept[row.conn] = []
        try:
            seg = decode_packet(raw)
        except DecodeError:
            continue
        if seg is not None:
            rows.append((row, seg.seq, seg.ack if seg.flags & ACK else None, seg.payload))
    a.finish()
    records = {c.id: c for c in a.summary.connections}
    if conn is None:
        ws = [cid for cid in kept if cid in records and records[cid].is_websocket]
        conn = ws[0] if ws else next(iter(kept), None)
    if conn is None or conn not in kept or conn not in records:
        raise NoConnection(conn)
    return _facts(records[conn], kept[conn])


def _facts(c: Connection, rows: list) -> Worksheet:
    w = Worksheet(conn=c)
    t0 = rows[0][0].ts
    request = HttpStream("request")      # the client's bytes until its request is parsed,
    response = HttpStream("response")    # then the server's until its answer is
    last_end: dict = {}                  # direction -> (seq, length, extra) of its last segment that took seq space
    last_ack: dict = {}                  # direction -> its last raw ACK: the check is for an ACK of something new
    first_fin_ts = None
    last_data = last_control = None      # (no, ts)
    ping = None
    for row, seq_raw, ack_raw, payload in rows:
        d = row.direction
        line = TcpLine(row.no, row.ts - t0, d, flag_names(row.flags), seq_raw, row.seq, ack_raw,
                       row.ack if ack_raw is not None else None, row.length, row.role)
        peer = last_end.get(S2C if d == C2S else C2S)
        if ack_raw is not None and peer is not None and last_ack.get(d) != ack_raw:
            pseq, plen, extra = peer
            line.check = (row.ack, pseq, plen, extra, row.ack == pseq + plen + extra)
        if ack_raw is not None:
            last_ack[d] = ack_raw
        extra = 1 if row.flags & (SYN | FIN) else 0
        if row.length or extra:
            last_end[d] = (row.seq, row.length, extra)
        if len(w.table) < MAX_TABLE_ROWS:
            w.table.append(line)
        else:
            w.table_cut += 1
        if row.flags & SYN and w.syn is None and not row.flags & ACK:
            w.syn = line
        elif row.flags & SYN and row.flags & ACK and w.synack is None:
            w.synack = line
        if row.flags & FIN and w.fin is None:
            w.fin = line
            first_fin_ts = row.ts
        if w.request is None and d == C2S and payload:
            for rec in request.feed(payload):
                if type(rec) is HttpRequest:
                    w.request, w.request_no = rec, row.no
                    break
        elif w.request is not None and w.response_no is None and d == S2C and payload:
            if any(type(rec) is HttpResponse for rec in response.feed(payload)):
                w.response_no = row.no
        for f in row.frames:
            if f.opcode == CLOSE:
                w.close_frames += 1
                if w.close_code is None:
                    w.close_code = f.close_code
            if first_fin_ts is not None:
                continue
            if f.opcode in _DATA:
                last_data, last_control = (row.no, row.ts), None
                if f.direction == C2S and w.frame_no is None and f.mask_key:
                    w.frame_no, w.mask_key = row.no, f.mask_key
                    w.unmasked = f.payload[:FIRST_BYTES]
                    w.masked = unmask(w.unmasked, f.mask_key)       # masking is the same XOR
            elif f.opcode in (PING, PONG):
                last_control = (row.no, row.ts)
                if f.opcode == PING and ping is None:
                    ping = (row.no, row.ts, f.direction)
                elif f.opcode == PONG and ping is not None and w.pong_no is None and f.direction != ping[2]:
                    w.ping_no, w.pong_no, w.ping_ms = ping[0], row.no, (row.ts - ping[1]) * 1000
    if c.key:
        w.accept = accept_steps(c.key)
    if first_fin_ts is not None and last_data is not None and not w.close_frames:   # a drop, not a close
        w.last_data_no, w.idle_data = last_data[0], first_fin_ts - last_data[1]
        if last_control is not None:
            w.last_control_no, w.idle_control = last_control[0], first_fin_ts - last_control[1]
    return w


# -- marking ------------------------------------------------------------------------------------------------

_SIDES = {"client": "client", "客户端": "client", "server": "server", "服务端": "server", "服务器": "server"}
_YES_NO = {"yes": "yes", "y": "yes", "是": "yes", "有": "yes", "no": "no", "n": "no", "否": "no", "没有": "no",
           "无": "no"}


def decode_answers(data: bytes) -> str:
    """An answer file's text: UTF-8 (a byte-order mark, as Windows editors write, is dropped) or UTF-16 with its
    byte-order mark. Raises ValueError for anything else."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("not a text file (UTF-8 or UTF-16)") from None


def parse_answers(text: str) -> tuple[dict, list]:
    """A student's answer file: one "id: answer" line per question (ids of QUESTIONS; "：" works too), blank
    lines and lines starting with # ignored. Returns (id -> answer, [(line number, line)] of the lines that are
    not "id: answer"); an unknown id is kept (mark() reports it)."""
    out, unreadable = {}, []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        sep = min((i for i in (line.find(":"), line.find("：")) if i > 0), default=-1)
        if sep < 0:
            unreadable.append((n, line))
            continue
        out[line[:sep].strip().lower()] = line[sep + 1:].strip()
    return out, unreadable


def mark(expected: dict, given: dict) -> list:
    """[(id, verdict, given, expected)] for every question `expected` answers, in QUESTIONS order, then the
    unknown ids of `given`; verdict is "right", "wrong", "missing" or "unknown"."""
    out = []
    for q in QUESTIONS:
        if q not in expected:
            continue
        g = given.get(q)
        if g is None or g == "":
            out.append((q, "missing", "", expected[q]))
        else:
            out.append((q, "right" if _same(q, g, expected[q]) else "wrong", g, expected[q]))
    out += [(q, "unknown", g, "") for q, g in given.items() if q not in QUESTIONS]
    return out


# The answer is the first token of its kind in what the student wrote: "no, the server timed out" answers
# close_frame, "2623234964 (the ISN + 1)" synack_ack_raw.
_INT = re.compile(r"\d+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{20,}={0,2}")
_ENDPOINT = re.compile(r"\[[0-9A-Fa-f:.]+\]:\d+|\d{1,3}(?:\.\d{1,3}){3}:\d+")
_INT_QUESTIONS = ("syn_seq_raw", "syn_seq_relative", "synack_ack_raw", "synack_ack_relative", "websocket_version")


def _first(pattern: re.Pattern, text: str) -> Optional[str]:
    m = pattern.search(text)
    return m.group(0) if m else None


def _first_word(text: str, words: dict) -> Optional[str]:
    """The meaning of the first of `words` in `text` ("the server, after 30 s" -> server; "服务端（server）",
    as the key writes it; "没有" before the "有" inside it)."""
    best = None
    for w in words:
        m = re.search(rf"\b{w}\b" if w.isascii() else re.escape(w), text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), w)
    return words[best[1]] if best else None


def _same(q: str, given: str, want: str) -> bool:
    g = given.strip().strip("`\"'")
    if q in ("idle_seconds", "ping_pong_ms"):
        value = _first(_NUMBER, g)
        return value is not None and \
            abs(float(value) - float(want)) <= (IDLE_TOLERANCE if q == "idle_seconds" else PING_TOLERANCE)
    if q in _INT_QUESTIONS:
        return _first(_INT, g) == want
    if q in ("client", "server"):
        return _first(_ENDPOINT, g) == want
    if q in ("sec_websocket_key", "sec_websocket_accept"):
        return _first(_BASE64, g) == want
    if q in ("mask_key", "first_bytes"):
        hexes = re.split(r"[,;(（，]", g.lower(), maxsplit=1)[0]
        return hexes.replace(" ", "").replace("0x", "").replace(":", "").strip() == want
    if q in ("first_fin_by", "close_frame"):
        return _first_word(g.lower(), _SIDES if q == "first_fin_by" else _YES_NO) == want
    if q == "request_line":
        return " ".join(g.split()) == " ".join(want.split())
    if q == "upgrade":           # a header value's token is case-insensitive (RFC 6455 4.2.1)
        return g.lower().removeprefix("upgrade:").strip().split(" ")[0] == want.lower()
    return g == want
