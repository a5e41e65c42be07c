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

from ..app import describe_message
from ..i18n import DEFAULT_LANG
from ..model import C2S, FIN, ROLE_PAST_CAP, RST, S2C, Connection, Frame, Message, Row
from ..websocket.codes import CLOSE, PING, PONG, TEXT, opcode_name
from .details import View, emit, fit
from .linebreak import wrap
from .spill import WAITING_IN_MEMORY, Spill
from .words import close_name, conn_title, side_word

__all__ = ["FollowCollector", "FollowPrinter", "render_follow", "raw_bytes", "follow_lines"]

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
    """Keeps what a transcript shows, per connection id, as rows arrive; with `only`, of that connection
    alone (`follow --conn N` on a big capture keeps one connection's messages, not all of them)."""

    def __init__(self, only: Optional[int] = None) -> None:
        self.events: dict[int, list] = {}
        self.only = only

    def row(self, row: Row, conn: Optional[Connection]) -> None:
        if row.conn is None or row.role == ROLE_PAST_CAP or (self.only is not None and row.conn != self.only):
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
        out.append(TEXT_INDENT + view.t["follow.more_bytes"].format(ell=view.ell, n=total - limit))
    return out


def _conn_title(c: Connection, view: View) -> list:
    cl, w = view.clean, view.t
    title = conn_title(c, cl, view.to, w)
    lines = [(t, "bold") for t in wrap(title, view.width, "", "    ")]
    facts = []
    if c.host:
        facts.append(f"Host: {cl(c.host)}")
    if c.subprotocol:
        facts.append(w["view.subprotocol"].format(name=cl(c.subprotocol)))
    if c.extensions:
        facts.append(w["view.extensions"].format(ext=cl(c.extensions)))
    elif c.is_websocket:
        facts.append(w["view.no_extensions"])
    if facts:
        lines.extend((t, "dim") for t in wrap(w["sep.items"].join(facts), view.width, "    "))
    return lines


APP_MARK = "» "        # before the line that says what the subprotocol decoder read in a message


def follow_lines(view: View, c: Connection, events: list) -> list:
    """The transcript of one connection as (text, style) lines."""
    cl, w = view.clean, view.t
    lines = _conn_title(c, view)
    if not (c.is_websocket or c.decode_as):
        lines.append((w["follow.never_ws"], "dim"))
    t0 = c.first_ts
    to_server, to_client = w["view.dir"].format(arrow=view.to), w["view.dir"].format(arrow=view.back)
    for e in events:
        arrow = to_server if e.direction == C2S else to_client
        head = f"{e.ts - t0:10.6f}  #{e.no:<4} "
        if e.kind in ("fin", "rst"):
            who = side_word(w, SIDE.get(e.direction, "?"))
            text = w["follow.fin" if e.kind == "fin" else "follow.rst"].format(side=who)
            lines.extend((t, "dim" if e.kind == "fin" else "red") for t in wrap(head + text, view.width))
            continue
        if e.kind == "control":
            f: Frame = e.obj
            name = w["opcode." + opcode_name(f.opcode)]
            if f.opcode == CLOSE:
                if f.close_code is None:
                    what = w["follow.close_no_code"]
                else:
                    what = w["follow.close"].format(code=f.close_code, name=close_name(f.close_code, w))
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
                    what += w["follow.empty_control"]
            else:
                what = w["follow.reserved"].format(opcode=f"{f.opcode:X}", size=_bytes(f.length, w))
            lines.extend((t, "dim") for t in wrap(f"{head}{arrow}  {what}", view.width, "", " " * 19))
            continue
        m: Message = e.obj
        kind = w["opcode." + opcode_name(m.opcode)]
        size = _bytes(m.length, w)
        extra = []
        if m.frames > 1:
            extra.append(w["follow.fragments"].format(n=m.frames, no=m.first_no))
        if m.compressed:
            extra.append(w["follow.compressed"].format(wire=m.wire_length, arrow=view.to, n=m.length))
        if m.truncated:
            extra.append(w["follow.cut"].format(n=len(m.data)))
        more = "".join(w["paren"].format(text=x) for x in extra)
        style = "green" if e.direction == C2S else "cyan"
        what = w["follow.message"].format(kind=kind, size=size, more=more)
        lines.extend((t, "bold " + style) for t in wrap(f"{head}{arrow}  {what}", view.width, "", " " * 19))
        if m.app:            # what a subprotocol decoder (wsdissect/app) read in it, in words
            lines.extend((t, style) for t in wrap(cl(APP_MARK + describe_message(m.app, w)), view.width, TEXT_INDENT,
                                                  TEXT_INDENT + " " * len(APP_MARK)))
        if m.opcode == TEXT and m.text is not None:
            body = _pretty_json(m.text) or m.text
            for part in body.split("\n"):
                for t in wrap(cl(part.rstrip("\r")), view.width, TEXT_INDENT, TEXT_INDENT):
                    lines.append((t, ""))
            if not m.text:
                lines.append((TEXT_INDENT + w["follow.empty_text"], "dim"))
        elif m.opcode == TEXT:
            text = m.data.decode("utf-8", "backslashreplace")
            lines.append((TEXT_INDENT + w["follow.bad_utf8"], "yellow"))
            for t in wrap(cl(text), view.width, TEXT_INDENT, TEXT_INDENT):
                lines.append((t, ""))
        else:
            if m.data:
                lines.extend((t, "") for t in _hexrows(m.data, HEX_PREVIEW, m.length, view))
            else:
                lines.append((TEXT_INDENT + w["follow.empty"], "dim"))
    if not events:
        lines.append((w["follow.no_messages"], "dim"))
    end = w[f"follow.end.{c.end}" if c.end in ("fin", "rst") else "follow.end.open"]
    if c.end and c.closed_by is None and c.close_expected:
        end += w["follow.no_close_frame"]
    lines.append((fit(f"    {end}", view.width, view.ell), "dim"))
    return lines


def _bytes(n: int, w: dict) -> str:
    return w["bytes.one"] if n == 1 else w["bytes.many"].format(n=n)


class FollowPrinter:
    """Prints transcripts one connection at a time (never one rich Text of them all), separated by a blank line.

    `finished(record)` is the Analyzer's on_fold when every connection is folded as it finishes
    (--max-summary-connections 0): a WebSocket connection's transcript is printed as soon as it and every
    lower-numbered connection are finished, and its events are dropped. So transcripts come out in connection
    order, as render_follow prints them, while memory holds the open connections' messages only (before,
    `follow` kept every message of the capture: 3.9 GB for bench/out/ws-200000.pcap). Finished connections
    that wait behind an open one go to a Spill file past spill.WAITING_IN_MEMORY of them."""

    def __init__(self, console: Console, collector: FollowCollector, lang: str = DEFAULT_LANG) -> None:
        self.view = View(console, lang)
        self.collector = collector
        self.printed = 0
        self._next = 0                      # the lowest connection id not yet printed (or skipped)
        self._waiting: dict = {}            # id -> record: finished, waiting for a lower id to finish
        self._spill = Spill()               # id -> (record, events) of waiting ones past WAITING_IN_MEMORY

    def print(self, c: Connection, events: list) -> None:
        lines = [("", "")] if self.printed else []
        lines.extend(follow_lines(self.view, c, events))
        emit(self.view, lines)
        self.printed += 1

    def finished(self, c: Connection) -> None:
        if c.id != self._next and len(self._waiting) >= WAITING_IN_MEMORY:
            self._spill.put(c.id, (c, self.collector.events.pop(c.id, [])))
            self._waiting[c.id] = None
        else:
            self._waiting[c.id] = c
        while self._next in self._waiting:
            self._take(self._next, self._waiting.pop(self._next))
            self._next += 1

    def flush(self) -> None:
        """After the analyzer's finish(): what still waits (a connection that never finished would have held
        back every later one), in id order."""
        for cid in sorted(self._waiting):
            self._take(cid, self._waiting.pop(cid))

    def _take(self, cid: int, c: Optional[Connection]) -> None:
        if c is None:
            c, events = self._spill.take(cid)
        else:
            events = self.collector.events.pop(cid, [])
        if c.is_websocket or c.decode_as:          # the connections follow shows (cli.follow.pick)
            self.print(c, events)


def render_follow(console: Console, collector: FollowCollector, conns: list, lang: str = DEFAULT_LANG) -> None:
    """Print the transcripts of `conns` (Connection records), one after another, in `lang`."""
    printer = FollowPrinter(console, collector, lang)
    for c in conns:
        printer.print(c, collector.events.get(c.id, []))
