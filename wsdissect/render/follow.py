"""The follow view: a connection's messages as a transcript (Wireshark's "Follow WebSocket Stream", the
messages panel of a browser's DevTools).

`FollowCollector.row(row, conn)` keeps, per connection, the messages, control frames and TCP endings the rows
completed; `render_follow(console, collector, conns)` prints one transcript per connection. Messages are shown
whole (fragments joined, deflate inflated by the analyzer): text as text (JSON pretty-printed when it parses),
binary as a hex preview; control frames and the TCP end as dim lines. Times are relative to the connection's
first packet. `raw_bytes(collector, conn, side)` is what `follow --raw` writes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

from rich.console import Console

from ..model import C2S, FIN, RST, S2C, Connection, Frame, Message, Row
from ..websocket.codes import CLOSE, PING, PONG, TEXT, close_code_name, opcode_name
from .details import View, emit, fit, wrap
from .words import conn_title

__all__ = ["FollowCollector", "render_follow", "raw_bytes", "follow_lines"]

SIDE = {C2S: "client", S2C: "server"}
HEX_PREVIEW = 64           # bytes of a binary message shown, 16 a line
TEXT_INDENT = " " * 6


@dataclass(slots=True)
class _Event:
    ts: float
    no: int
    direction: Optional[str]
    kind: str              # message / control / fin / rst
    obj: object = None


class FollowCollector:
    """Keeps what a transcript shows, per connection id, as rows arrive."""

    def __init__(self) -> None:
        self.events: dict[int, list] = {}

    def row(self, row: Row, conn: Optional[Connection]) -> None:
        if row.conn is None:
            return
        ev = self.events.setdefault(row.conn, [])
        for f in row.frames:
            if f.opcode >= 8:
                ev.append(_Event(row.ts, row.no, f.direction, "control", f))
        for m in row.messages:
            ev.append(_Event(row.ts, row.no, m.direction, "message", m))
        if row.role != "tcp-retransmission":
            if row.flags & RST:
                ev.append(_Event(row.ts, row.no, row.direction, "rst"))
            elif row.flags & FIN:
                ev.append(_Event(row.ts, row.no, row.direction, "fin"))


def raw_bytes(collector: FollowCollector, conn_id: int, side: str) -> tuple[bytes, int, int]:
    """(the side's data messages concatenated, message count, messages that were cut)."""
    d = C2S if side == "client" else S2C
    parts, count, cut = [], 0, 0
    for e in collector.events.get(conn_id, []):
        if e.kind == "message" and e.direction == d:
            parts.append(e.obj.data)
            count += 1
            cut += bool(e.obj.truncated)
    return b"".join(parts), count, cut


def _pretty_json(text: str) -> Optional[str]:
    s = text.strip()
    if not s or s[0] not in "{[":
        return None
    try:
        value = json.loads(s)
    except ValueError:
        return None
    return json.dumps(value, indent=2, ensure_ascii=False)


def _hexrows(data: bytes, limit: int, total: int, view: View) -> list:
    out = []
    for at in range(0, min(len(data), limit), 16):
        chunk = data[at:at + 16]
        hexed = " ".join(f"{b:02x}" for b in chunk[:8])
        if len(chunk) > 8:
            hexed += "  " + " ".join(f"{b:02x}" for b in chunk[8:])
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        out.append(f"{TEXT_INDENT}{at:04x}  {hexed:<48}  {text}")
    if total > limit:
        out.append(f"{TEXT_INDENT}{view.ell} {total - limit} more bytes")
    return out


def _conn_title(c: Connection, view: View) -> list:
    cl = view.clean
    title = conn_title(c, cl, view.to)
    lines = [(t, "bold") for t in wrap(title, view.width, "", "    ")]
    facts = []
    if c.host:
        facts.append(f"Host: {cl(c.host)}")
    if c.subprotocol:
        facts.append(f"subprotocol: {cl(c.subprotocol)}")
    if c.extensions:
        facts.append(f"extensions: {cl(c.extensions)}")
    elif c.is_websocket:
        facts.append("no extensions")
    if facts:
        lines.extend((t, "dim") for t in wrap("; ".join(facts), view.width, "    "))
    return lines


def follow_lines(view: View, c: Connection, events: list) -> list:
    """The transcript of one connection as (text, style) lines."""
    cl = view.clean
    lines = _conn_title(c, view)
    if not (c.is_websocket or c.decode_as):
        lines.append(("    no WebSocket messages: this connection never switched to WebSocket", "dim"))
    t0 = c.first_ts
    for e in events:
        arrow = f"client {view.to} server" if e.direction == C2S else f"client {view.back} server"
        head = f"{e.ts - t0:10.6f}  #{e.no:<4} "
        if e.kind in ("fin", "rst"):
            who = SIDE.get(e.direction, "?")
            text = (f"TCP FIN from the {who}: it will send no more data" if e.kind == "fin"
                    else f"TCP RST from the {who}: the connection is aborted")
            lines.extend((t, "dim" if e.kind == "fin" else "red") for t in wrap(head + text, view.width))
            continue
        if e.kind == "control":
            f: Frame = e.obj
            name = opcode_name(f.opcode)
            if f.opcode == CLOSE:
                if f.close_code is None:
                    what = "close (no status code)"
                else:
                    what = f"close {f.close_code} {close_code_name(f.close_code)}"
                    if f.close_reason:
                        what += f' "{cl(f.close_reason)}"'
            elif f.opcode in (PING, PONG):
                what = name
                if f.payload:
                    try:
                        what += f' "{cl(f.payload.decode("utf-8"))}"'
                    except UnicodeDecodeError:
                        what += " " + f.payload[:16].hex(" ")
                else:
                    what += " (empty)"
            else:
                what = f"reserved control frame 0x{f.opcode:X}, {f.length} bytes"
            lines.extend((t, "dim") for t in wrap(f"{head}{arrow}  {what}", view.width, "", " " * 19))
            continue
        m: Message = e.obj
        kind = opcode_name(m.opcode)
        size = f"{m.length} byte{'s' if m.length != 1 else ''}"
        extra = []
        if m.frames > 1:
            extra.append(f"{m.frames} fragments, from #{m.first_no}")
        if m.compressed:
            extra.append(f"compressed {m.wire_length} {view.to} {m.length}")
        if m.truncated:
            extra.append(f"cut: {len(m.data)} bytes kept")
        more = "".join(f" ({x})" for x in extra)
        style = "green" if e.direction == C2S else "cyan"
        lines.extend((t, "bold " + style) for t in wrap(f"{head}{arrow}  {kind}, {size}{more}", view.width, "",
                                                        " " * 19))
        if m.opcode == TEXT and m.text is not None:
            body = _pretty_json(m.text) or m.text
            for part in body.split("\n"):
                for t in wrap(cl(part.rstrip("\r")), view.width, TEXT_INDENT, TEXT_INDENT):
                    lines.append((t, ""))
            if not m.text:
                lines.append((TEXT_INDENT + "(empty text)", "dim"))
        elif m.opcode == TEXT:
            text = m.data.decode("utf-8", "backslashreplace")
            lines.append((TEXT_INDENT + "(not valid UTF-8; shown with \\x escapes)", "yellow"))
            for t in wrap(cl(text), view.width, TEXT_INDENT, TEXT_INDENT):
                lines.append((t, ""))
        else:
            if m.data:
                lines.extend((t, "") for t in _hexrows(m.data, HEX_PREVIEW, m.length, view))
            else:
                lines.append((TEXT_INDENT + "(empty)", "dim"))
    if not events:
        lines.append(("    (no messages)", "dim"))
    end = {"fin": "the TCP connection ended (FIN)", "rst": "the TCP connection was reset (RST)"}.get(
        c.end, "the capture ends with the connection still open")
    if c.end and c.is_websocket and c.closed_by is None:
        end += " without a WebSocket Close frame"
    lines.append((fit(f"    {end}", view.width, view.ell), "dim"))
    return lines


def render_follow(console: Console, collector: FollowCollector, conns: list) -> None:
    """Print the transcripts of `conns` (Connection records), one after another."""
    view = View(console)
    out: list = []
    for i, c in enumerate(conns):
        if i:
            out.append(("", ""))
        out.extend(follow_lines(view, c, collector.events.get(c.id, [])))
    emit(view, out)
