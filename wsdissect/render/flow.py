"""The flow view: each connection as a ladder diagram, client and server as two columns, one arrow per packet.

A textbook draws a WebSocket session this way: SYN, SYN/ACK, ACK, then the upgrade and the 101, then frames,
then the close handshake and the FIN teardown, with the phases set apart. `FlowPrinter` draws it in the
terminal; `MermaidPrinter` writes the same ladder as Mermaid sequence-diagram text for documents.

Rows are collected per connection, as arrows packed in one buffer each, and each diagram is drawn when the
capture ends, so connections that overlap in time still get a diagram of their own. `live` draws each arrow as
its packet arrives instead (FlowPrinter(live=True)): nothing is kept but each connection's phase and last time.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterator, Optional

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from ..app import describe_message
from ..i18n import DEFAULT_LANG, catalog, note_text
from ..model import C2S, ROLE_PAST_CAP, CaptureSummary, Connection, Frame, Row, flag_names
from ..websocket.codes import CLOSE, CONTINUATION, PING, PONG, opcode_name
from .spill import WAITING_IN_MEMORY, Spill
from .styles import role_style
from .timeline import clean, writes_direct
from .labels import LabelWords
from .words import close_name, limits_reached

# Phases, numbered as their catalogue ids (phase.N); a connection lives them in PHASE_RANK's order: the TLS
# handshake (wss://, number 4) comes between the TCP and the WebSocket handshakes. A row never moves its
# connection back to an earlier phase (a late ACK of the 101 still belongs to the WebSocket handshake, but a stray
# ACK after data does not reopen it).
PHASES = ("TCP handshake", "WebSocket handshake", "data transfer", "closing", "TLS handshake")
PHASE_RANK = (0, 2, 3, 4, 1)
_PHASE_OF_ROLE = {
    "tcp-syn": 0, "tcp-syn-ack": 0, "tcp-handshake-ack": 0,
    "tls-handshake": 4,
    "ws-upgrade-request": 1, "ws-upgrade-response": 1, "http": 1,
    "ws-data": 2, "ws-control": 2, "tcp-data": 2, "tls-data": 2,
    "ws-close": 3, "tcp-fin": 3, "tcp-fin-ack": 3, "tcp-rst": 3, "tls-alert": 3,
}
PHASE_OF_ROLE = _PHASE_OF_ROLE          # public: `--explain` (explain.py) follows the same phases


def phase_after(phase: int, role: str, tls=None) -> int:
    """The phase a connection is in after a row with `role`, from `phase` (0 for a connection's first row).
    `tls`: the row's TLS records; a tls-data row without any (part of a record, e.g. of the server's certificate
    flight) stays in its phase, one with whole records is data transfer."""
    p = _PHASE_OF_ROLE.get(role)
    if p is None or (role == "tls-data" and not tls):
        return phase
    return p if PHASE_RANK[p] > PHASE_RANK[phase] else phase


# A pause this long between two packets gets its own line in the ladder: idle timeouts are the classic puzzle.
SILENCE_WORTH_SHOWING = 1.0


_HTTP_ROLES = ("ws-upgrade-request", "ws-upgrade-response", "http")
_TLS_ROLES = ("tls-handshake", "tls-data", "tls-alert")


@dataclass(slots=True)
class Arrow:
    no: int
    ts: float
    to_server: bool
    text: str
    role: str
    phase: int
    head: int = 0       # an HTTP line opening `text` (before the frames it carries): cut first when too long


def arrow_text(row: Row, words: LabelWords) -> str:
    """What an arrow says: the packet's essence in a few words, shorter than the timeline's label. `words`: the
    labels worded in the view's language."""
    t = words.t
    role = row.role
    if row.frames:
        app = next((m.app for m in row.messages if m.app and m.direction == row.direction), None)
        if app:              # what a subprotocol decoder (wsdissect/app) read in the message
            words = describe_message(app, t)
        else:
            words = _frame_words(row.frames[0], t) if len(row.frames) == 1 else frames_summary(row.frames,
                                                                                               row.messages, t)
        if role in _HTTP_ROLES and row.info:   # the 101 and the server's first frame in one segment: say both
            words = t["flow.http_and_frames"].format(http=row.info, frames=words)
        return words + (" +FIN" if row.flags & 0x01 else "")
    if role in _HTTP_ROLES:
        return row.info
    if role in _TLS_ROLES and row.tls:              # tshark's words: "Client Hello (SNI=…)", "Application Data"
        return row.info
    flags = flag_names(row.flags).replace(",", ", ")
    if role == "ack":
        name = words.ack_name(row)                    # "ACK of #4 (upgrade request)"
        if name:
            return name
    if role == "tcp-fin-ack":
        return t["flow.ack_of_fin"]
    if role == "tcp-fin" and any(n.code == "close-without-close-frame" for n in row.notes):
        return t["flow.no_close"].format(flags=flags)
    if role == "tcp-retransmission":
        return t["flow.retransmission"].format(n=row.length)
    if row.length:
        return t["flow.data"].format(flags=flags, n=row.length)
    return flags


def _looks_like_text(payload: bytes) -> bool:
    """A continuation frame does not say whether its message is text or binary: quote it only when it reads as
    text (a binary fragment shown as escapes teaches nothing; its size does)."""
    head = payload[:24]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        if len(payload) <= 24 or e.start < len(head) - 3:    # a byte that is no UTF-8, not a character cut at 24
            return False
        text = head[:e.start].decode("utf-8")
    return all(c.isprintable() or c in "\t\r\n" for c in text)


def _frame_words(f: Frame, t: dict) -> str:
    if f.opcode == CLOSE:
        return "Close" + (f" {f.close_code} {close_name(f.close_code, t)}" if f.close_code is not None else "")
    if f.opcode in (PING, PONG):
        return opcode_name(f.opcode).capitalize()
    name = t["flow.frame." + ("continuation" if f.opcode == CONTINUATION else opcode_name(f.opcode))]
    words = name + ("" if f.fin else t["flow.fragment"])
    if f.opcode in (1, 0) and f.payload and not f.rsv & 4 and (f.opcode == 1 or _looks_like_text(f.payload)):
        preview = f.payload[:24].decode("utf-8", "replace")
        words += f' "{clean(preview)}{"…" if f.length > 24 else ""}"'
    elif f.rsv & 4:
        words += t["flow.deflated"].format(n=f.length)
    else:
        words += f" {f.length} B"
    return words


# One arrow as a connection's buffer holds it (ArrowCollector): its packet number, time, phase << 1 | to_server, the
# role's number in the collector's table of roles, `head`, and the length of its text, whose UTF-8 bytes follow.
_PACKED = struct.Struct("<qdBBII")


class ArrowCollector:
    """Rows grouped per connection, in order, reduced to arrows.

    `arrows` maps a connection to its arrows, packed in one bytearray (`_PACKED` and the text's UTF-8 bytes per
    arrow): an open connection costs its bytes and one object, not objects per arrow. `arrows_of` gives them
    back, each as `arrow` made it. The roles' table grows with the distinct roles, not with the capture."""

    def __init__(self, lang: str = DEFAULT_LANG) -> None:
        self.words = LabelWords(lang)
        self.arrows: dict[int, Optional[bytearray]] = {}
        self.phase: dict[int, int] = {}
        self.first_ts: Optional[float] = None
        self._roles: list[str] = []
        self._role_no: dict[str, int] = {}

    def add(self, row: Row) -> None:
        if row.conn is not None and row.role != ROLE_PAST_CAP:
            no, ts, to_server, text, role, phase, head = self._fields(row)
            r = self._role_no.get(role)
            if r is None:
                r = self._role_no[role] = len(self._roles)
                self._roles.append(role)
            data = text.encode("utf-8", "surrogatepass")
            buf = self.arrows.get(row.conn)
            if buf is None:
                buf = self.arrows[row.conn] = bytearray()
            buf += _PACKED.pack(no, ts, phase << 1 | to_server, r, head, len(data))
            buf += data

    def arrows_of(self, buf: bytearray) -> Iterator[Arrow]:
        """The arrows packed in `buf` (a value of `arrows`), in order."""
        unpack, size, roles = _PACKED.unpack_from, _PACKED.size, self._roles
        pos, end = 0, len(buf)
        while pos < end:
            no, ts, bits, r, head, n = unpack(buf, pos)
            pos += size
            yield Arrow(no, ts, bool(bits & 1), buf[pos:pos + n].decode("utf-8", "surrogatepass"), roles[r],
                        bits >> 1, head)
            pos += n

    def arrow(self, row: Row) -> Arrow:
        """`row` (of a connection) as an arrow, in its connection's phase; nothing is kept but that phase."""
        return Arrow(*self._fields(row))

    def _fields(self, row: Row) -> tuple:
        if self.first_ts is None:
            self.first_ts = row.ts
        phase = self.phase[row.conn] = phase_after(self.phase.get(row.conn, 0), row.role, row.tls)
        text = arrow_text(row, self.words)
        head = len(row.info) if row.frames and row.role in _HTTP_ROLES and text.startswith(row.info) else 0
        return row.no, row.ts, row.direction == C2S, text, row.role, phase, head


class _LadderWriter:
    """What both ladder writers do with rows: collect arrows per connection, and draw each connection's ladder
    once it has finished and every connection with earlier arrows has been drawn (`finished`, from
    Analyzer.on_finish), the rest when the capture ends. So ladders come in the order of their first arrows,
    while only the open connections' arrows are kept: finished ones that wait behind an open one go to a Spill
    file past spill.WAITING_IN_MEMORY of them."""

    def __init__(self, show_acks: bool, lang: str = DEFAULT_LANG) -> None:
        self.show_acks = show_acks
        self.lang = lang
        self.t = catalog(lang)
        self.phases = [self.t[f"phase.{i}"] for i in range(len(PHASES))]
        self.rows = ArrowCollector(lang)
        self.drawn = 0                              # ladders drawn so far
        self._done: dict[int, Connection] = {}     # finished connections whose ladder waits for an earlier one
        # Past WAITING_IN_MEMORY of those, the next ones wait here: id -> (arrows, record); their place in
        # rows.arrows (the order of first arrows) is kept by a None.
        self._spill = Spill()

    def finished(self, c: Connection) -> None:
        arrows = self.rows.arrows
        if c.id not in arrows:
            return              # no arrow (all its rows filtered out), and a finished connection gets no more
        if len(self._done) >= WAITING_IN_MEMORY and next(iter(arrows)) != c.id:
            # It may be in _done already: a record folded at this packet comes to folded() first (run()).
            self._done.pop(c.id, None)
            self._spill.put(c.id, (arrows[c.id], c))
            arrows[c.id] = None
            self.rows.phase.pop(c.id, None)
        else:
            self._done[c.id] = c
        while arrows:
            cid = next(iter(arrows))
            if arrows[cid] is None:
                self._ladder(cid, *self._spill.take(cid))
            else:
                conn = self._done.pop(cid, None)
                if conn is None:
                    break
                self._ladder(cid, arrows[cid], conn)
            del arrows[cid]
            self.rows.phase.pop(cid, None)

    def folded(self, c: Connection, at_end: bool = False) -> None:
        """Analyzer.on_fold, through run(): the record of a connection past --max-summary-connections is dropped
        from the summary once it has finished; a ladder not drawn yet (the capture's last connections) keeps it
        for its heading."""
        if self.rows.arrows.get(c.id) is not None:
            self._done.setdefault(c.id, c)

    def _remaining(self, s: CaptureSummary) -> None:
        """At the end: the ladders not drawn yet, in order."""
        conns = {c.id: c for c in s.connections}
        conns.update(self._done)
        for cid, arrows in self.rows.arrows.items():
            if arrows is None:
                self._ladder(cid, *self._spill.take(cid))
            else:
                self._ladder(cid, arrows, conns.get(cid))
        self.rows.arrows.clear()

    def _ladder(self, cid: int, arrows: bytearray, conn: Optional[Connection]) -> None:
        """Draw connection `cid`'s ladder from its packed arrows (ArrowCollector.arrows_of)."""
        raise NotImplementedError

    def origin(self, ts: float) -> None:
        if self.rows.first_ts is None:
            self.rows.first_ts = ts

    def row(self, row: Row, conn: Optional[Connection]) -> None:
        if not self.show_acks and row.role == "ack" and not row.notes:
            return
        self.rows.add(row)

    def end(self, frames: list, messages: list, notes: list) -> None:
        pass


class _Pen:
    """Where a connection's ladder stands while it is drawn: the phase of its last rule, its last time."""
    __slots__ = ("phase", "prev_ts")

    def __init__(self) -> None:
        self.phase = -1
        self.prev_ts: Optional[float] = None


def _footnotes(s: CaptureSummary, t: dict, lang: str, width: Optional[int] = None) -> list:
    """The summary's caps and capture notes (the timeline prints them in its summary), as plain lines,
    word-wrapped to `width` cells when given. Not --max-summary-connections: the flow view draws every
    connection whatever the summary keeps."""
    items = []
    caps = limits_reached([n for n in s.caps if n.code != "cap-summary-connections"], s.past_cap_packets, lang)
    if caps:
        items.append((t["tl.caps"], caps))
    if s.capture_notes:
        items.append((t["tl.capture_file"], [f"[{t.get('sev.' + n.severity, n.severity)}] "
                                             f"{note_text(n.code, n.args, lang)}"
                                             for n in s.capture_notes]))
    lines = []
    for head, texts in items:
        lines.append(head)
        for text in texts:
            if width is None:
                lines.append("  " + text)
            else:
                from .linebreak import wrap
                lines.extend(wrap(text, width, "  ", "    "))
    return lines


class FlowPrinter(_LadderWriter):
    """Ladder diagrams in the terminal, one per connection, drawn when the capture ends.

    live=True (the `live` command) draws each arrow as its packet arrives instead, keeping no arrows: a
    connection's heading comes with its first arrow, and when the arrows of connections that overlap in time
    alternate, a rule "conn N (continued): phase" says whose the next arrows are. The heading then names the
    connection's addresses but not yet its URI (the request comes later)."""

    def __init__(self, console: Console, *, show_acks: bool = True, lang: str = DEFAULT_LANG,
                 live: bool = False) -> None:
        super().__init__(show_acks, lang)
        self.console = console
        self.ascii = not (console.encoding or "").lower().startswith("utf")
        self.live = live
        self._pens: dict[int, _Pen] = {}        # live: per connection drawn so far
        self._last: Optional[int] = None        # live: the connection of the last arrow drawn
        # Plain UTF-8 text, not live: a line that fits is written straight to the file (see _out).
        self._direct = not live and not self.ascii and (console.color_system is None or console.no_color)

    def _out(self, text="", **kw) -> None:
        """console.print(text, **kw); or, when rich need not see it (plain text, not live, writes_direct) and
        the line fits the width, so that rich would print it as it is, the line written straight to the
        console's file: the same bytes without rich's rendering and flush per line (most of a flow view's time)."""
        console = self.console
        if self._direct and writes_direct(console):
            plain = text.plain if isinstance(text, Text) else text
            if "\n" not in plain and cell_len(plain) <= console.width:
                console.file.write(plain + "\n")
                return
        console.print(text, **kw)

    def row(self, row: Row, conn: Optional[Connection]) -> None:
        if not self.live:
            super().row(row, conn)
            return
        if row.conn is None or row.role == ROLE_PAST_CAP or \
                (not self.show_acks and row.role == "ack" and not row.notes):
            return
        cid = row.conn
        pen = self._pens.get(cid)
        arrow = self.rows.arrow(row)
        if pen is None:
            if self._last is not None:
                self._out()
            pen = self._pens[cid] = _Pen()
            self._heading(conn, cid)
        elif cid != self._last:
            # Back to a connection after another's arrows: its rule, naming it, in the phase it is now in.
            gutter, lane = self._layout()
            name = self.t["flow.continued"].format(conn=self.t["view.conn"].format(id=cid),
                                                   phase=self.phases[arrow.phase])
            h = "-" if self.ascii else "─"
            self._out(Text(" " * gutter + "|" + _center(f" {name} ", lane, h) + "|", style="bold"),
                               highlight=False)
            pen.phase = arrow.phase
        self._last = cid
        self._draw(arrow, pen)

    def finished(self, c: Connection) -> None:
        if not self.live:                           # live draws every arrow as it comes and keeps none
            super().finished(c)

    def _ladder(self, cid: int, arrows: bytearray, conn: Optional[Connection]) -> None:
        self._heading(conn, cid)
        pen = _Pen()
        for a in self.rows.arrows_of(arrows):
            self._draw(a, pen)
        self._out()
        self.drawn += 1

    def summary(self, s: CaptureSummary) -> None:
        if self.live:
            if self._last is not None:
                self._out()
        else:
            self._remaining(s)
        for line in _footnotes(s, self.t, self.lang, self.console.width):
            # What the diagram cannot show but a reader must know: caps reached, a damaged file, kernel drops.
            self._out(Text(line, style="yellow"), highlight=False)
        self.console.file.flush()

    def _layout(self) -> tuple[int, int]:
        """(gutter, lane): the columns before the client's lifeline ("  12.345678  #1234  ") and between the
        two lifelines."""
        width = max(60, min(self.console.width, 120))
        gutter = 22
        return gutter, width - gutter - 2

    def _heading(self, conn: Optional[Connection], cid: int) -> None:
        out = self.console
        gutter, lane = self._layout()
        client = str(conn.client) if conn else self.t["side.client"]
        server = str(conn.server) if conn else self.t["side.server"]
        title = self.t["view.conn"].format(id=cid)
        if conn is not None and conn.uri:
            title += f"  {conn.method or 'GET'} {conn.uri}"
        self._out(Text(title, style="bold"), highlight=False)
        cw, sw = self.t["side.client"], self.t["side.server"]
        head = (" " * gutter + cw + " " * max(lane // 2 - cell_len(cw), 1)
                + " " * max(lane - lane // 2 + 1 - cell_len(sw), 0) + sw)
        self._out(Text(head, style="bold"), highlight=False)
        self._out(Text(" " * gutter + client.ljust(lane // 2) + server.rjust(lane - lane // 2 + 1)),
                  highlight=False)

    def _draw(self, a: Arrow, pen: _Pen) -> None:
        """One arrow, after the silence before it and the rule of the phase it opens, if any."""
        out = self.console
        gutter, lane = self._layout()
        h, left, right = ("-", "<", ">") if self.ascii else ("─", "◀", "▶")
        if pen.prev_ts is not None and a.ts - pen.prev_ts >= SILENCE_WORTH_SHOWING:
            gap = self.t["flow.silence"].format(seconds=f"{a.ts - pen.prev_ts:.1f}")
            self._out(Text(" " * gutter + (":" if self.ascii else "┆") + _center(gap, lane, " ") +
                           (":" if self.ascii else "┆"), style="dim italic"), highlight=False)
        pen.prev_ts = a.ts
        if a.phase != pen.phase:
            pen.phase = a.phase
            name = f" {self.phases[a.phase]} "
            self._out(Text(" " * gutter + "|" + _center(name, lane, h if not self.ascii else "-") + "|",
                           style="bold"), highlight=False)
        text = a.text
        room = lane - 6
        if cell_len(text) > room:
            ellipsis = "..." if self.ascii else "…"
            tail = text[a.head:] if a.head else ""
            if tail and cell_len(tail) + len(ellipsis) + 8 <= room:
                # An HTTP line and the frames its packet also carries: cut the HTTP line, keep the frames.
                text = _crop(text[:a.head], room - cell_len(tail) - len(ellipsis)) + ellipsis + tail
            else:
                text = _crop(text, room - 1) + ellipsis
        body = f" {text} "
        fill = lane - 1 - cell_len(body)
        if a.to_server:
            line = h * 2 + body + h * max(fill - 2, 0) + right
        else:
            line = left + h * max(fill - 2, 0) + body + h * 2
        t0 = self.rows.first_ts or 0.0
        stamp = f"{a.ts - t0:10.6f}  #{a.no:<6}"[:gutter].ljust(gutter)
        t = Text(stamp)
        t.append("|")
        t.append(line[:lane], style=role_style(a.role))
        t.append("|")
        self._out(t, highlight=False, no_wrap=True, overflow="crop")


class MermaidPrinter(_LadderWriter):
    """The same ladder as Mermaid `sequenceDiagram` text, one diagram per connection."""

    def __init__(self, out, *, show_acks: bool = True, lang: str = DEFAULT_LANG) -> None:
        super().__init__(show_acks, lang)
        self.out = out

    def summary(self, s: CaptureSummary) -> None:
        self._remaining(s)
        for line in _footnotes(s, self.t, self.lang):
            self.out.write(f"%% {line.strip()}\n")
        self.out.flush()

    def _ladder(self, cid: int, arrows: bytearray, conn: Optional[Connection]) -> None:
        w = self.out.write
        t0 = self.rows.first_ts or 0.0
        if self.drawn:
            w("\n")
        self.drawn += 1
        w(f"%% wsdissect: {self.t['flow.mm_connection'].format(id=cid)}\n")
        w("sequenceDiagram\n")
        w(f"    participant C as {self.t['flow.mm_client']} {_mm(str(conn.client)) if conn else ''}\n")
        w(f"    participant S as {self.t['flow.mm_server']} {_mm(str(conn.server)) if conn else ''}\n")
        phase, prev_ts = -1, None
        for a in self.rows.arrows_of(arrows):
            # The silences, as the ladder shows them: an idle timeout is the lab's key fact.
            if prev_ts is not None and a.ts - prev_ts >= SILENCE_WORTH_SHOWING:
                w(f"    Note over C,S: {_mm(self.t['flow.silence'].format(seconds=f'{a.ts - prev_ts:.1f}'))}\n")
            prev_ts = a.ts
            if a.phase != phase:
                phase = a.phase
                w(f"    Note over C,S: {self.phases[phase]}\n")
            src, dst = ("C", "S") if a.to_server else ("S", "C")
            when = self.t["flow.mm_time"].format(seconds=f"{a.ts - t0:.6f}")
            w(f"    {src}->>{dst}: #{a.no} {_mm(a.text)}{when}\n")


def _center(text: str, width: int, fill: str) -> str:
    """str.center by terminal cells, so a Chinese phase name stays centred."""
    return text.center(width - (cell_len(text) - len(text)), fill)


def _crop(text: str, cells: int) -> str:
    """The longest start of `text` at most `cells` terminal cells wide (CJK characters take two)."""
    if text.isascii():
        return text[:cells]
    out, used = [], 0
    for ch in text:
        used += cell_len(ch)
        if used > cells:
            break
        out.append(ch)
    return "".join(out)


def _mm(s: str) -> str:
    """Mermaid message text: one line, and no ';' (Mermaid reads '#…;' as an entity code)."""
    return clean(s).replace(";", ",")[:120]


# --- a packet carrying several frames: one summary on its arrow, not a list cut short with "…" -------------

_DATA_OPCODES = (CONTINUATION, 0x1, 0x2)         # continuation, text, binary


def frames_summary(frames: list, messages: list, t: dict) -> str:
    """The arrow of a packet carrying several WebSocket frames: fragments of one message are summed up
    ("binary message, 5 fragments, 40 bytes"; "2 fragments of a text message, 9 bytes" when the message begins
    or ends in another packet), other mixes list the frames' kinds in order, repeats counted
    ("4 frames: text ×2, ping, close 1000"). `t` is the i18n catalog."""
    n = len(frames)
    first = frames[0]
    if (all(f.opcode in _DATA_OPCODES for f in frames) and all(f.opcode == CONTINUATION for f in frames[1:])
            and not any(f.fin for f in frames[:-1])):
        total = sum(f.length for f in frames)
        size = t["bytes.one"] if total == 1 else t["bytes.many"].format(n=total)
        opcode = first.opcode
        if opcode == CONTINUATION:      # begun in an earlier packet: a message completed here tells its kind
            opcode = next((m.opcode for m in messages if m.direction == first.direction), CONTINUATION)
        if opcode == CONTINUATION:
            return t["flow.frames.more"].format(n=n, size=size)
        key = "flow.frames.message" if first.opcode != CONTINUATION and frames[-1].fin else "flow.frames.part"
        return t[key].format(kind=t["opcode." + opcode_name(opcode)], n=n, size=size)
    runs: list = []                     # [name, count] for runs of frames of the same kind
    for f in frames:
        name = t["opcode." + opcode_name(f.opcode)]
        if f.opcode == CLOSE and f.close_code is not None:
            name += f" {f.close_code}"
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    kinds = t["sep.list"].join(name if k == 1 else f"{name} ×{k}" for name, k in runs)
    return t["flow.frames.list"].format(n=n, list=kinds)
