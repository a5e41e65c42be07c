# cython: annotation_typing=False
"""The terminal timeline: one row per packet, with the frames, messages and notes it completed beneath it.

Streaming by construction: `row()` prints at once and keeps only the first timestamp and the ids of the
connections already introduced, never the rows, so `live` and a million-packet `read` use it the same way.

Output goes one of three ways, chosen per call:
- plain strings written straight to the console's file when there is no colour (piped, NO_COLOR): formatting a
  line is then the whole cost, so rich's rendering pipeline never slows a big capture;
- the same strings wrapped in the ANSI codes rich itself would emit, when colour goes to an ordinary terminal;
- a `rich.text.Text` printed through the console when rich has to see the output (recording, `capture()`, a Live
  display, Jupyter, legacy Windows consoles).
Layout is plain aligned columns, no box drawing, and colour only repeats what the words already say.
Everything that came off the wire (payloads, URIs, close reasons, and the analyzer's info/label text, which may
quote them) is stripped of control characters and never read as markup.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

from rich.cells import set_cell_size
from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style
from rich.text import Text

from ..i18n import DEFAULT_LANG, catalog
from .labels import LabelWords
from ..model import C2S, S2C, CaptureSummary, Connection, Frame, Message, Note, Row, flag_names
from ..websocket.codes import BINARY, CLOSE, CONTINUATION, TEXT, close_code_name, opcode_name
from .linebreak import cells, fill, one_cell_only, wrap
from .words import close_name, conn_title, limits_reached, plural, side_word
from .styles import LEGEND, ROLE_STYLES, severity_style

# At this width the label gets its own column on the row's line; below it, its own line under the row.
WIDE_WIDTH = 140
PREVIEW_CHARS = 40          # payload text shown per frame/message line
PREVIEW_BYTES = 16          # binary payloads: this many bytes in hex
_MIN_PREVIEW = 20           # a preview cut shorter than this moves to its own line instead
_MIN_INFO = 20              # an Info column narrower than this (narrow layout): a long Info wraps under the indent
_WIDTH_REFRESH = 256        # re-read console.width every this many rows (it may query the terminal each time)
# Wrapped labels kept, at most (then forgotten all at once). A capture repeats its labels: 200k packets of
# the benchmark have 5,573 distinct ones, and the 73 too long for an 80-column line are on 47 % of the rows.
_LABEL_CACHE = 4096

# Column widths (right-aligned numbers grow past them rather than lose digits).
_NO_W, _TIME_W, _PORT_W, _FLAGS_W, _PROTO_W, _LEN_W = 5, 10, 5, 7, 4, 5
# tshark's Protocol column, in four cells; the Info text then needs no "WebSocket " prefix of its own.
_PROTO_SHORT = {"WebSocket": "WS"}


class _Glyphs(NamedTuple):
    to: str          # client → server (also between two endpoints)
    back: str        # client ← server
    both: str        # column header over the two ports
    frame: str
    message: str
    error: str
    warning: str
    note: str
    chat: str
    ok: str
    bad: str
    ellipsis: str


_UTF8 = _Glyphs("→", "←", "↔", "↳", "⇒", "✖", "⚠", "•", "·", "✓", "✗", "…")
_ASCII = _Glyphs("->", "<-", "<>", "->", "=>", "x", "!", "*", "-", "ok", "BAD", "...")

# Punctuation the analyzer's labels may use, spelled in ASCII for consoles that cannot encode it.
_ASCII_SUBST = str.maketrans({
    "→": "->", "←": "<-", "↔": "<->", "⇒": "=>", "↳": "->", "—": "--", "–": "-", "…": "...", "✓": "ok",
    "✗": "BAD", "⚠": "!", "✖": "x", "•": "*", "·": "-", "×": "x", "‘": "'", "’": "'", "“": '"', "”": '"',
})

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

_FRAME_OPCODES = (CONTINUATION, TEXT, BINARY, CLOSE, 0x9, 0xA)     # named on frame lines (tl.frame.*)

_SEVERITY_ORDER = ("error", "warning", "note", "chat")

# rich's names for the colour systems it can render with plain ANSI codes; "windows" needs rich's own writer.
_ANSI_SYSTEMS = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT,
                 "truecolor": ColorSystem.TRUECOLOR}

# Lines beneath a row start past the No. and Time columns on a narrow terminal.
_NARROW_INDENT_W = _NO_W + _TIME_W + 2
_NARROW_INDENT = " " * _NARROW_INDENT_W


# --- text helpers -------------------------------------------------------------------------------------------

def _escape_char(ch: str) -> str:
    esc = _ESCAPES.get(ch)
    if esc:
        return esc
    o = ord(ch)
    if o < 0x100:
        return f"\\x{o:02x}"
    if o < 0x10000:
        return f"\\u{o:04x}"
    return f"\\U{o:08x}"


def clean(s: str) -> str:
    """One safe terminal line: control, format (bidi overrides) and separator characters except the space are
    escaped Python-style, so a payload can neither move the cursor nor hide text."""
    if s.isprintable():          # C-speed check; true for almost everything the timeline prints
        return s
    return "".join(ch if ch.isprintable() else _escape_char(ch) for ch in s)


def clean_ascii(s: str) -> str:
    """clean() for consoles that cannot encode beyond ASCII: known punctuation spelled out, the rest escaped."""
    s = clean(s)
    if s.isascii():
        return s
    s = s.translate(_ASCII_SUBST)
    if s.isascii():
        return s
    return "".join(ch if ch < "\x80" else _escape_char(ch) for ch in s)


# Widths in terminal cells and the one line breaker of every view live in linebreak.py.
_one_cell_only = one_cell_only
_cells = cells


def _fit(s: str, width: int, ellipsis: str) -> str:
    """Crop to `width` terminal cells, marking the cut; wide (CJK) characters count as two."""
    if width <= 0:               # a terminal narrower than the fixed columns: they overflow, nothing else shows
        return ""
    if s.isascii():
        if len(s) <= width:
            return s
        keep = width - len(ellipsis)
        return s[:keep] + ellipsis if keep > 0 else s[:width]
    cells = _cells(s)
    if cells <= width:
        return s
    keep = width - _cells(ellipsis)
    # One cell per character (arrows, accents): slicing is exact and much cheaper. Not `cells == len(s)`: a wide
    # character and a zero-width one make the same count with two cells on one side of the cut.
    if _one_cell_only(s):
        return s[:keep] + ellipsis if keep > 0 else s[:width]
    return set_cell_size(s, keep) + ellipsis if keep > 0 else set_cell_size(s, width)


def _fit_known(s: str, cells: int, width: int, ellipsis: str) -> str:
    """_fit(s, width, ellipsis) when the caller already knows that s is `cells` cells wide."""
    if width <= 0:
        return ""
    if cells <= width:
        return s
    keep = width - _cells(ellipsis)
    if s.isascii() or _one_cell_only(s):
        return s[:keep] + ellipsis if keep > 0 else s[:width]
    return set_cell_size(s, keep) + ellipsis if keep > 0 else set_cell_size(s, width)


def _pad(s: str, width: int) -> str:
    n = _cells(s)
    return s + " " * (width - n) if n < width else s


def _rpad(s: str, width: int) -> str:
    """Right-aligned in `width` terminal cells (str.rjust counts characters, and a CJK one is two cells)."""
    n = _cells(s)
    return " " * (width - n) + s if n < width else s


def _pack(parts: list[str], width: int, first: str, rest: str, sep: str = "  ") -> list[str]:
    """Lay `parts` (items of a list: a handshake's facts, a connection's traffic) out on lines of at most `width`
    cells, `sep` between two on a line: the first line starts with `first`, the others with `rest`. A part too
    long for a line of its own is wrapped (linebreak.wrap). With sep=" " this is wrap(" ".join(parts))."""
    if sep == " ":
        return wrap(" ".join(parts), width, first, rest)
    return fill([(sep, part) for part in parts], width, first, rest, _cells(first), _cells, _wrap_part)


def _wrap_part(part: str, cur: str, cur_w: int, width: int, rest: str) -> list[str]:
    """A part that does not fit even on a fresh line, word-wrapped from where the line stands."""
    return wrap(part, max(width, cur_w + 8), cur, rest, cur_w)


# --- the printer ------------------------------------------------------------------------------------------

class TimelinePrinter:
    """Prints a capture as it is analysed: `row()` per packet, `summary()` at the end.

    show_acks=False drops rows that are bare ACKs and say nothing else (no frames, no notes).
    live=True flushes the output after every row, so a piped `live` session shows packets as they arrive
    (per-row flushing would slow a big `read`, so it is off by default).
    lang is the language of the view's words: column heads, headings, frame lines, summary and the rows' labels,
    worded by `labels` (render/labels.py; by default a LabelWords of `lang`).
    """

    def __init__(self, console: Console, *, show_acks: bool = True, live: bool = False,
                 lang: str = DEFAULT_LANG, labels: Optional[LabelWords] = None) -> None:
        self.console = console
        self.show_acks = show_acks
        self.live = live
        encoding = (console.encoding or "").lower().replace("_", "-")
        self._ascii = encoding not in ("utf-8", "utf8")
        self.g = _ASCII if self._ascii else _UTF8
        self._clean = clean_ascii if self._ascii else clean
        # NO_COLOR means plain text here (not rich's "bold but no colour"): the words carry the meaning anyway.
        self._plain = console.color_system is None or console.no_color
        self._ansi_system = _ANSI_SYSTEMS.get(console.color_system or "")
        self._sgr: dict[str, tuple[str, str]] = {}
        self._direct_possible = not console.is_jupyter and (self._plain or self._ansi_system is not None)
        self._first_ts: Optional[float] = None
        self._introduced: set[int] = set()
        self._printed_any = False
        self._rows = 0
        self._width = console.width
        self._flag_text: dict[int, str] = {}
        self._labels: dict[tuple[str, int], list[str]] = {}      # see _label_lines
        self._labels_width = 0
        self._msg_heads: dict[tuple, tuple[str, int]] = {}       # see _message_text
        self._ports_w = 2 * _PORT_W + 2 + len(self.g.to)
        self._frame_w, self._message_w, self._ellipsis_w = map(_cells, (self.g.frame, self.g.message, self.g.ellipsis))
        self._arrows = {C2S: self.g.to, S2C: self.g.back}
        self._head_fmt = (f"%{_NO_W}d %{_TIME_W}.6f %{_PORT_W}d %s %-{_PORT_W}d %-{_FLAGS_W}s "
                          f"%-{_PROTO_W}s %{_LEN_W}d ")
        self._words(lang)
        if labels is not None:
            self._label_words = labels

    def _words(self, lang: str) -> None:
        """The view's fixed words in `lang` (i18n catalog, ids tl.* and view.*), looked up once here: the lines
        beneath a row only paste these strings, never look anything up."""
        self._t = t = catalog(lang)
        self._label_words = LabelWords(lang)
        self._frame_names = {op: t[f"tl.frame.{opcode_name(op)}"] for op in _FRAME_OPCODES}
        self._reserved_frame = t["tl.frame.reserved"]
        self._no_fin = t["tl.tag.no_fin"]
        self._compressed = " " + t["tl.tag.compressed"]
        self._masked = " " + t["tl.tag.masked"]
        self._masked_key, self._masked_key_end = (" " + t["tl.tag.masked_key"]).split("{key}")  # around the key
        self._missing = " " + t["tl.tag.missing"]
        one, many = t["bytes.one"], t["bytes.many"]
        assert one.startswith("1") and many.startswith("{n}")
        self._byte, self._bytes = one[1:], many[3:]               # " byte", " bytes": what follows the number
        self._no_status, self._deflated = t["tl.no_status"], t["tl.deflated"]
        self._no_status_w, self._deflated_w = _cells(self._no_status), _cells(self._deflated)
        self._close_name = close_code_name if lang == DEFAULT_LANG else (lambda code: close_name(code, t))
        self._kinds = {op: t["opcode." + opcode_name(op)] for op in range(16)}
        self._inflated, self._msg_complete, self._msg = t["tl.inflated"], t["tl.msg_complete"], t["tl.msg"]
        self._colon = t["tl.colon"]
        self._colon_w = _cells(self._colon)
        self._severity = {sev: t["sev." + sev] for sev in _SEVERITY_ORDER}
        self._severity_tag = {sev: f"[{word}]" for sev, word in self._severity.items()}
        self._code_paren = tuple(t["paren"].split("{text}"))        # " (" and ")" around a note's code
        self._conn_word = t["view.conn"]
        self._mid_connection, self._by_decode_as = t["tl.mid_connection"], t["tl.decode_as"]

    def _size(self, n: int) -> str:
        return f"{n}{self._byte if n == 1 else self._bytes}"

    # -- public API --

    def origin(self, ts: float) -> None:
        """The capture's first timestamp: times are shown relative to it, even when filters hide that packet."""
        if self._first_ts is None:
            self._first_ts = ts

    def row(self, row: Row, conn: Optional[Connection]) -> None:
        """Print one packet row, then what it completed: frames, messages worth a line, notes."""
        # This is the hot path of a big `read`: plain %-formatting, few calls, nothing kept per row.
        if self._first_ts is None:
            self._first_ts = row.ts
        if (row.role == "ack" and not self.show_acks and not row.frames and not row.notes
                and not row.messages):
            return
        if self._rows % _WIDTH_REFRESH == 0:
            self._width = self.console.width
        self._rows += 1
        width = self._width

        lines: list[tuple] = []
        if conn is not None and conn.id not in self._introduced:
            self._introduced.add(conn.id)
            if self._printed_any:
                lines.append(("", ""))
            for text in self._conn_header(conn, row, width):
                lines.append((text, "bold"))
        if not self._printed_any:
            self._printed_any = True
            lines.append((self._column_header(width), "dim"))

        style = ROLE_STYLES.get(row.role, "")
        indent = self._row_lines(lines, row, conn, width, style)
        if row.role == "ws-upgrade-response" and conn is not None:
            self._handshake_lines(lines, conn, indent, width)
        for frame in row.frames:
            self._with_preview(lines, *self._frame_text(frame, indent), indent, width, style, frame.opcode == CLOSE)
        for message in row.messages:
            text = self._message_text(message, indent)
            if text is not None:
                self._with_preview(lines, *text, indent, width, "bold green", False)
        for note in row.notes:
            self._note_lines(lines, note, indent, width)
        self._emit(lines, self.live)

    def end(self, frames: list, messages: list, notes: list) -> None:
        """What the end of the capture settled, before the summary: frames and messages that only then could
        be completed (their bytes waited behind a hole), and notes on what was left unfinished."""
        if not (frames or messages or notes):
            return
        width = self._width = self.console.width
        t = self._t
        lines: list[tuple] = [("", ""), (t["tl.at_end"], "bold")]
        for frame in frames:
            head, _, preview, preview_w = self._frame_text(frame, "  ")
            head = t["tl.end_frame"].format(head=head, conn=frame.conn, no=frame.first_no)
            self._with_preview(lines, head, _cells(head), preview, preview_w, "  ", width, "", frame.opcode == CLOSE)
        for message in messages:
            text = self._message_text(message, "  ")
            if text is not None:
                self._with_preview(lines, *text, "  ", width, "bold green", False)
        for note in notes:
            text = t["tl.end_note"].format(conn=note.conn, text=note.text) if note.conn is not None else note.text
            self._note_lines(lines, Note(note.no, note.conn, note.severity, note.code, text), "  ", width)
        self._emit(lines, self.live)

    def summary(self, s: CaptureSummary) -> None:
        """The closing block: capture totals, one entry per connection, notes by code, limits reached."""
        width = self._width = self.console.width
        g, cl, t = self.g, self._clean, self._t
        lines: list[tuple] = [("", "")] if self._printed_any else []
        if s.first_ts is not None and s.last_ts is not None:
            span = t["tl.over"].format(seconds=f"{s.last_ts - s.first_ts:.6f}")
        else:
            span = t["tl.empty"]
        head = t["tl.summary"].format(packets=plural(t, "view.packets", s.packets), span=span, tcp=s.tcp_packets,
                                      other=s.other_packets, malformed=s.malformed,
                                      connections=plural(t, "view.connections", s.connection_count()))
        lines.extend((x, "bold") for x in wrap(head, width, "", "  "))

        if s.notes_by_severity:
            counts = [self._severity_count(s.notes_by_severity[sev], sev) for sev in _SEVERITY_ORDER
                      if s.notes_by_severity.get(sev)]
            counts += [self._severity_count(n, sev) for sev, n in s.notes_by_severity.items()
                       if sev not in _SEVERITY_ORDER and n]
            style = ("bold red" if s.notes_by_severity.get("error")
                     else "yellow" if s.notes_by_severity.get("warning") else "")
            lines.extend((x, style) for x in _pack(counts, width, t["tl.notes"], "  ", t["sep.list"]))

        for conn in s.connections:
            self._conn_summary(lines, conn, width)
        if s.folded is not None and s.folded.connections:
            self._folded_summary(lines, s.folded, width)

        if s.notes_by_code:
            lines.append((t["tl.notes_by_code"], "bold"))
            for code, n in sorted(s.notes_by_code.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append((_fit(f"  {n:>6}  {cl(str(code))}", width, g.ellipsis), ""))
        caps = limits_reached(s.caps, s.past_cap_packets, t)
        if caps:
            lines.append((t["tl.caps"], "yellow"))
            for cap in caps:
                lines.extend((x, "yellow") for x in wrap(cl(str(cap)), width, "  ", "    "))
        if s.capture_notes:
            lines.append((t["tl.capture_file"], "bold"))
            for note in s.capture_notes:
                self._note_lines(lines, note, "  ", width)
        if not self._plain:
            self._legend_lines(lines, width)
        self._emit(lines, True)

    def _severity_count(self, n: int, severity: str) -> str:
        """'2 warnings' ('2 条警告'); a severity the catalog does not know keeps its own word."""
        word = self._severity.get(severity, severity)
        return self._t["tl.sev_count.one" if n == 1 else "tl.sev_count.many"].format(n=n, severity=word)

    def flush(self) -> None:
        try:
            self.console.file.flush()
        except (AttributeError, ValueError):
            pass

    # -- the packet row --

    def _column_header(self, width: int) -> str:
        t = self._t
        # Padded by terminal cells: a Chinese head is two cells a character. "Proto" is wider than its column
        # (tshark's names take four cells): it takes a blank from the Len column, whose head stays right-aligned
        # over the numbers, so Info starts where the rows' Info does.
        proto, length = t["tl.col.proto"], t["tl.col.len"]
        gap = max(_PROTO_W + 1 + _LEN_W - _cells(proto) - _cells(length), 1)
        head = (f"{_rpad(t['tl.col.no'], _NO_W)} {_rpad(t['tl.col.time'], _TIME_W)} "
                f"{_pad(t['tl.col.ports'].format(both=self.g.both), self._ports_w)} "
                f"{_pad(t['tl.col.flags'], _FLAGS_W)} {proto}{' ' * gap}{length} ")
        info = t["tl.col.info"]
        if width >= WIDE_WIDTH:
            info_w, _ = self._wide_columns(_cells(head), width)
            return _fit(head + _pad(info, info_w) + "  " + t["tl.col.meaning"], width, self.g.ellipsis)
        return _fit(head + info, width, self.g.ellipsis)

    def _wide_columns(self, head_w: int, width: int) -> tuple[int, int]:
        """(info width, label width) on a wide terminal: Info gets 45% of what is left, 30 to 60 cells."""
        avail = width - head_w - 2
        info_w = min(60, max(30, avail * 45 // 100))
        return info_w, avail - info_w

    def _row_lines(self, lines: list, row: Row, conn: Optional[Connection], width: int, style: str) -> str:
        """Append the row's line (and its label), return the indent for the lines beneath it."""
        flags = self._flag_text.get(row.flags)
        if flags is None:
            flags = self._flag_text[row.flags] = flag_names(row.flags) or "-"
        direction = row.direction
        proto = _PROTO_SHORT.get(row.protocol, row.protocol)[:_PROTO_W]
        if conn is not None and (direction == C2S or direction == S2C):
            # Within a connection the client's port is always on the left and the arrow turns, like a ladder
            # diagram: the direction reads at a glance and the columns never jump. Arrows are one cell ("->"
            # two, in ASCII), so len() is the width.
            head = self._head_fmt % (row.no, row.ts - self._first_ts, conn.client.port,
                                     self._arrows[direction], conn.server.port, flags, proto, row.length)
            head_w = len(head)
        else:
            ports = _pad(f"{self._clean(row.src or '?')} {self.g.to} {self._clean(row.dst or '?')}", self._ports_w)
            head = "%*d %*.6f %s %-*s %-*s %*d " % (_NO_W, row.no, _TIME_W, row.ts - self._first_ts, ports,
                                                    _FLAGS_W, flags, _PROTO_W, proto, _LEN_W, row.length)
            head_w = _cells(head)
        clean_text = self._clean
        # Printable ASCII, nearly every info and label, is what clean() would return as it is: tested here, in
        # two C calls, it spares two Python calls a row.
        info, label = row.info, self._label_words.text(row)
        if not (info.isascii() and info.isprintable()):
            info = clean_text(info)
        if proto == "WS" and info.startswith("WebSocket "):
            info = info[10:]
        if not (label.isascii() and label.isprintable()):
            label = clean_text(label)
        ell = self.g.ellipsis

        if width >= WIDE_WIDTH:
            info_w, label_w = self._wide_columns(head_w, width)
            if label_w >= 20:
                self._wide_lines(lines, head, head_w, info, info_w, label, width, style)
                return " " * head_w
        # Narrow: facts on the first line, what they mean on the next, indented past No. and Time. An Info
        # too long for what is left of the line wraps at its words onto lines of its own, under the Info
        # column, or under the indent when that column is too narrow to be read (_MIN_INFO).
        room = width - head_w
        if not info:
            lines.append((head[:-1], style))                          # no trailing blank after Len
        elif (len(info) <= room and info.isascii()) or _cells(info) <= room:
            lines.append((head + info, style))
        elif room >= _MIN_INFO:
            for text in wrap(info, width, head, " " * head_w, head_w):
                lines.append((text, style))
        else:
            lines.append((head[:-1], style))
            for text in wrap(info, width, _NARROW_INDENT, _NARROW_INDENT, _NARROW_INDENT_W):
                lines.append((text, style))
        indent = _NARROW_INDENT
        if label:
            if len(label) + _NARROW_INDENT_W <= width and label.isascii():
                lines.append((indent + label, style))
            else:
                for text in self._label_lines(label, width, _NARROW_INDENT_W, indent + "  "):
                    lines.append((text, style))
        return indent

    def _wide_lines(self, lines: list, head: str, head_w: int, info: str, info_w: int, label: str, width: int,
                    style: str) -> None:
        """The wide layout: Info in its column, word-wrapped within it, and the label beside it, wrapped in
        its own column; the two go down side by side."""
        label_col = head_w + info_w + 2
        if not info or _cells(info) <= info_w:
            infos = [info]
        else:
            infos = wrap(info, info_w, "", "", 0)
        if label:
            # The label's wrap is remembered per label: its lines start with label_col blanks, taken off here.
            labels = [text[label_col:] for text in self._label_lines(label, width, label_col, " " * label_col)]
        else:
            labels = []
        blank = " " * head_w
        for i in range(max(len(infos), len(labels))):
            text = (head if i == 0 else blank) + _pad(infos[i] if i < len(infos) else "", info_w)
            lines.append(((text + "  " + labels[i]) if i < len(labels) else text.rstrip(), style))

    def _label_lines(self, label: str, width: int, first_w: int, rest: str) -> list[str]:
        """The label word-wrapped after `first_w` spaces (the caller swaps in its own first_w-cell prefix: the
        wrap depends on the prefix's width only), remembered per label, since labels repeat (_LABEL_CACHE).
        `rest` must depend on `first_w` alone: it is not part of the key."""
        labels = self._labels
        if width != self._labels_width or len(labels) >= _LABEL_CACHE:
            labels.clear()
            self._labels_width = width
        key = (label, first_w)
        wrapped = labels.get(key)
        if wrapped is None:
            wrapped = labels[key] = wrap(label, width, " " * first_w, rest, first_w)
        return wrapped

    def _conn_header(self, conn: Connection, row: Row, width: int) -> list[str]:
        cl = self._clean
        parts = [f"{self._conn_word.format(id=conn.id)}  {cl(str(conn.client))} {self.g.to} {cl(str(conn.server))}"]
        # saw_syn is trusted only once the SYN could not be this very row.
        if not conn.saw_syn and row.role not in ("tcp-syn", "tcp-syn-ack"):
            parts.append(self._mid_connection)
        if conn.decode_as:
            parts.append(self._by_decode_as)
        return _pack(parts, width, "", "        ")

    def _handshake_lines(self, lines: list, conn: Connection, indent: str, width: int) -> None:
        """What the upgrade settled, from the Connection as the analyzer knows it right after the 101."""
        g, cl, t = self.g, self._clean, self._t
        if not conn.is_websocket:
            if conn.status is not None and conn.status != 101:
                lines.append((_fit(indent + t["tl.not_upgraded"].format(glyph=g.error, status=conn.status),
                                   width, g.ellipsis), "bold red"))
            return
        parts = [t["tl.ws_open"].format(glyph=g.message, method=cl(conn.method or 'GET'), uri=cl(conn.uri or '?'))]
        if conn.host:
            parts.append(f"Host: {cl(conn.host)}")
        if conn.origin:
            parts.append(f"Origin: {cl(conn.origin)}")
        if conn.subprotocol:
            parts.append(t["view.subprotocol"].format(name=cl(conn.subprotocol)))
        elif conn.offered_subprotocols:
            parts.append(t["tl.subprotocol_none"].format(offered=cl(conn.offered_subprotocols)))
        if conn.extensions:
            parts.append(t["view.extensions"].format(ext=cl(conn.extensions)))
        elif conn.offered_extensions:
            if "permessage-deflate" in conn.offered_extensions.lower():
                parts.append(t["tl.deflate_declined"])
            else:
                parts.append(t["tl.extensions_declined"].format(ext=cl(conn.offered_extensions)))
        else:
            parts.append(t["view.no_extensions"])
        if conn.accept_ok:
            parts.append(t["tl.accept_ok"].format(ok=g.ok))
        lines.extend((x, "magenta") for x in _pack(parts, width, indent, indent + "  "))
        if conn.accept_ok is False:
            bad = t["tl.accept_bad"].format(glyph=g.error, bad=g.bad, expected=cl(conn.expected_accept or '?'),
                                            got=cl(conn.accept or t["view.none"]))
            lines.extend((x, "bold red") for x in wrap(bad, width, indent, indent + "  "))

    # -- lines beneath a row --

    def _frame_text(self, f: Frame, indent: str) -> tuple[str, int, str, int]:
        """(the frame's line without its preview, its width in cells, the preview, its width).

        Widths are added up from the parts (indent: spaces; the glyph's width is known) instead of measured
        on the line, which is never ASCII (↳) and so was measured character by character: that was 18 % of a
        timeline run. The parts meet at ASCII characters, where cell widths simply add up."""
        name = self._frame_names.get(f.opcode) or self._reserved_frame.format(opcode=f"{f.opcode:X}")
        tags = "[FIN]" if f.fin else self._no_fin
        if f.rsv:
            tags += ((self._compressed if f.rsv & 4 else "") + (" [RSV2]" if f.rsv & 2 else "")
                     + (" [RSV3]" if f.rsv & 1 else ""))
        if f.masked:
            tags += f"{self._masked_key}{f.mask_key.hex()}{self._masked_key_end}" if f.mask_key else self._masked
        body = f"{name} {tags} {f.length}{self._byte if f.length == 1 else self._bytes}"
        if f.payload_missing:
            body += self._missing.format(n=f.payload_missing)
        preview, preview_w = self._frame_preview(f)
        return f"{indent}{self.g.frame} {body}", len(indent) + self._frame_w + 1 + _cells(body), preview, preview_w

    def _frame_preview(self, f: Frame) -> tuple[str, int]:
        """(preview, its width in cells)."""
        cut = f.length > len(f.payload)
        if f.opcode == CLOSE:
            if f.close_code is None:
                return (self._no_status, self._no_status_w) if f.length == 0 else ("", 0)
            text = f"{f.close_code} {self._close_name(f.close_code)}"
            if f.close_reason:
                text += " " + self._quote(f.close_reason, False)
            return text, _cells(text)
        if f.rsv & 4 and f.opcode in (TEXT, BINARY):
            return self._deflated, self._deflated_w
        if not f.payload:
            return "", 0
        if f.opcode == TEXT:
            return self._quote_w(f.payload[:4 * PREVIEW_CHARS + 4].decode("utf-8", "backslashreplace"),
                                 cut or len(f.payload) > 4 * PREVIEW_CHARS + 4)
        if f.opcode != BINARY:   # continuation, ping, pong, reserved: text when the bytes read as text
            text = _as_text(f.payload[:4 * PREVIEW_CHARS + 4])
            if text is not None:
                return self._quote_w(text, cut or len(f.payload) > 4 * PREVIEW_CHARS + 4)
        return self._hex_w(f.payload, cut)

    def _message_text(self, m: Message, indent: str) -> Optional[tuple[str, int, str, int]]:
        """(line, its width, preview, its width) for a message, only when its frame line did not already say it
        all. Widths are added up from the parts, as in _frame_text."""
        if m.frames <= 1 and not m.compressed:
            return None
        # The words before the preview repeat as often as message sizes do: remembered, they cost a dict lookup
        # instead of two str.format calls and a measure (~1.5 µs a message).
        key = (m.opcode, m.compressed, m.frames, m.wire_length, m.length)
        known = self._msg_heads.get(key)
        if known is None:
            kind = self._kinds[m.opcode & 0xF]
            if m.compressed:
                size = self._inflated.format(wire=m.wire_length, arrow=self.g.to, size=self._size(m.length))
            else:
                size = self._size(m.length)
            if m.frames > 1:
                head = self._msg_complete.format(kind=kind, frames=m.frames, size=size)
            else:
                head = self._msg.format(kind=kind, size=size)
            if len(self._msg_heads) >= _LABEL_CACHE:
                self._msg_heads.clear()
            known = self._msg_heads[key] = (head, _cells(head))
        head, head_w = known
        if m.text is not None:
            preview, preview_w = self._quote_w(m.text[:PREVIEW_CHARS + 1], m.truncated)
        elif m.opcode == TEXT and m.data:
            preview, preview_w = self._quote_w(m.data[:4 * PREVIEW_CHARS + 4].decode("utf-8", "backslashreplace"),
                                               m.truncated)
        elif m.data:
            preview, preview_w = self._hex_w(m.data, m.truncated)
        else:
            return f"{indent}{self.g.message} {head}", len(indent) + self._message_w + 1 + head_w, "", 0
        line_w = len(indent) + self._message_w + 1 + head_w + self._colon_w
        return f"{indent}{self.g.message} {head}{self._colon}", line_w, preview, preview_w

    def _with_preview(self, lines: list, head: str, head_w: int, preview: str, preview_w: int, indent: str,
                      width: int, style: str, whole: bool) -> None:
        """head + preview on one line when it fits. Otherwise the preview is cut on that line if a useful part
        of it (20 cells) still shows, or else, and always when it must stay `whole` (a close code and reason),
        it moves to a line of its own beneath. head_w and preview_w are their widths in cells (a preview never
        starts with a character that would change how the one before it is measured)."""
        ell = self.g.ellipsis
        if not preview:
            lines.append((_fit_known(head, head_w, width, ell), style))
            return
        line_w = head_w + 1 + preview_w
        if line_w <= width:
            lines.append((f"{head} {preview}", style))
        elif width - head_w - 1 >= _MIN_PREVIEW and not whole:
            lines.append((_fit_known(f"{head} {preview}", line_w, width, ell), style))
        else:
            lines.append((_fit_known(head, head_w, width, ell), style))
            lines.append((_fit(f"{indent}    {preview}", width, ell), style))

    def _note_lines(self, lines: list, note: Note, indent: str, width: int) -> None:
        g = self.g
        glyph = {"error": g.error, "warning": g.warning, "note": g.note}.get(note.severity, g.chat)
        tag = self._severity_tag.get(note.severity) or f"[{self._clean(note.severity)}]"
        before, after = self._code_paren
        text = f"{glyph} {tag} {self._clean(note.text)}{before}{self._clean(note.code)}{after}"
        style = severity_style(note.severity)
        cont = indent + " " * (_cells(glyph) + 1)
        for t in wrap(text, width, indent, cont, len(indent)):
            lines.append((t, style))

    def _quote(self, text: str, cut: bool) -> str:
        return self._quote_w(text, cut)[0]

    def _quote_w(self, text: str, cut: bool) -> tuple[str, int]:
        """(the text quoted, cut to PREVIEW_CHARS cells, its width in cells)."""
        more = cut or len(text) > PREVIEW_CHARS
        shown = self._clean(text[:PREVIEW_CHARS])
        if _cells(shown) > PREVIEW_CHARS:      # escapes or wide characters made it longer
            shown = set_cell_size(shown, PREVIEW_CHARS) if not shown.isascii() else shown[:PREVIEW_CHARS]
            more = True
        quoted = f'"{shown}{self.g.ellipsis}"' if more else f'"{shown}"'
        # ASCII text and quotes, plus the one known ellipsis: added up. Anything else is measured whole.
        if shown.isascii():
            return quoted, len(shown) + 2 + (self._ellipsis_w if more else 0)
        return quoted, _cells(quoted)

    def _hex_w(self, data: bytes, cut: bool) -> tuple[str, int]:
        """(up to PREVIEW_BYTES in hex, its width in cells)."""
        shown = data[:PREVIEW_BYTES].hex(" ")
        if cut or len(data) > PREVIEW_BYTES:
            return f"{shown} {self.g.ellipsis}", len(shown) + 1 + self._ellipsis_w
        return shown, len(shown)

    # -- the summary --

    def _conn_summary(self, lines: list, c: Connection, width: int) -> None:
        g, cl, t = self.g, self._clean, self._t
        title = conn_title(c, cl, g.to, t)
        lines.extend((x, "bold") for x in _pack(title.split("  "), width, "", "    "))

        traffic = []
        for direction, name in ((C2S, t["view.dir"].format(arrow=g.to)), (S2C, t["view.dir_back"].format(arrow=g.to))):
            volume = self._size(c.bytes.get(direction, 0))
            if c.is_websocket:
                msgs = plural(t, "view.messages", c.messages.get(direction, 0))
                traffic.append(t["tl.traffic_ws"].format(dir=name, messages=msgs, bytes=volume))
            else:
                traffic.append(t["tl.traffic"].format(dir=name, bytes=volume))
        lines.extend((x, "") for x in _pack(traffic, width, "    ", "    ", "   "))

        ending, style = [], ""
        if c.close_code is not None:
            who = side_word(t, c.closed_by) if c.closed_by else t["view.unknown"]
            text = t["tl.closed_by"].format(side=who, code=c.close_code, name=self._close_name(c.close_code))
            if c.close_reason:
                text += " " + self._quote(c.close_reason, False)
            ending.append(text)
        elif c.closed_by:
            ending.append(t["tl.close_no_code"].format(side=side_word(t, c.closed_by)))
        elif c.end and c.close_expected:
            ending.append(t["tl.no_close_frame"])
            style = "yellow"
        if c.end == "fin" or c.end == "rst" or c.end is None:
            end = t[f"tl.end.{c.end or 'open'}"]
        else:
            end = t["tl.end.other"].format(end=cl(str(c.end)))
        if c.end == "fin" and c.fin_by:
            end += t["tl.first_from"].format(side=side_word(t, c.fin_by))
        if c.end == "rst":
            style = "red"
        ending.append(end)
        if c.notes:
            ending.append(plural(t, "view.notes", c.notes))
        lines.extend((x, style) for x in _pack(ending, width, "    ", "    ", t["sep.items"]))

    def _legend_lines(self, lines: list, width: int) -> None:
        """What the colours mean (coloured output only), as many lines as the width needs."""
        heading = self._t["tl.colours"]
        indent = _cells(heading)
        spans, used = [(heading, "dim")], indent
        for i, (_, style) in enumerate(LEGEND):
            what = self._t[f"tl.legend.{i}"]          # LEGEND's words, in order, in the view's language
            w = _cells(what)
            if used + 2 + w > width and len(spans) > 1:
                lines.append((spans, ""))
                spans, used = [(" " * indent, "")], indent
            spans.append(("  ", ""))
            spans.append((what, style))
            used += 2 + w
        lines.append((spans, ""))

    # -- output --

    def _emit(self, lines: list, flush: bool) -> None:
        """Write finished lines: each is (text, style), or (list of (text, style) spans, _) for mixed styles."""
        console = self.console
        if console.quiet or not lines:
            return
        if self._direct_ok(console):
            if self._plain:
                # Mixed-style span lines (the legend) exist only in colour, so every line here is a str.
                out = "\n".join([t for t, _ in lines])
            else:
                paint = self._paint
                out = "\n".join(paint(t, s) if t.__class__ is str else "".join(paint(p, ps) for p, ps in t)
                                for t, s in lines)
            file = console.file
            try:
                file.write(out + "\n")
                if flush:
                    file.flush()
            except BrokenPipeError:
                # `wsdissect read big.pcap | head`: the command's run loop ends quietly (exit 0). rich's own
                # handler would exit 1, which means "--strict found violations" here.
                console.quiet = True
                raise
            return
        text = Text()
        for i, (t, s) in enumerate(lines):
            if i:
                text.append("\n")
            if t.__class__ is str:
                text.append(t, None if self._plain or not s else s)
            else:
                for p, ps in t:
                    text.append(p, None if self._plain or not ps else ps)
        console.print(text, soft_wrap=True)

    def _direct_ok(self, console: Console) -> bool:
        """May we write to console.file ourselves? Not when rich must see the output (writes_direct); nor for
        colour rich cannot express as ANSI codes (legacy Windows)."""
        return self._direct_possible and writes_direct(console)

    def _paint(self, text: str, style: str) -> str:
        if not style or not text:
            return text
        sgr = self._sgr.get(style)
        if sgr is None:
            # Ask rich for the codes once per style, with a sentinel between them.
            before, _, after = Style.parse(style).render("\x00", color_system=self._ansi_system).partition("\x00")
            sgr = self._sgr[style] = (before, after)
        return sgr[0] + text + sgr[1]

    def _folded_summary(self, lines: list, f, width: int) -> None:
        """The one entry for the connections past --max-summary-connections (CaptureSummary.folded)."""
        g, cl, t = self.g, self._clean, self._t
        title = t["tl.folded.one" if f.connections == 1 else "tl.folded.many"].format(n=f.connections,
                                                                                      ws=f.websocket)
        lines.extend((x, "bold") for x in wrap(cl(title), width, "", "    "))
        traffic = []
        for d, name in ((C2S, t["view.dir"].format(arrow=g.to)), (S2C, t["view.dir_back"].format(arrow=g.to))):
            msgs = plural(t, "view.messages", f.messages.get(d, 0))
            traffic.append(t["tl.traffic_ws"].format(dir=name, messages=msgs, bytes=self._size(f.bytes.get(d, 0))))
        lines.extend((x, "") for x in _pack(traffic, width, "    ", "    ", "   "))
        e = f.ended
        ending = [t["tl.folded_ended"].format(fin=e.get("fin", 0), rst=e.get("rst", 0),
                                              open=sum(n for k, n in e.items() if k not in ("fin", "rst")))]
        if f.close_codes:
            codes = sorted(f.close_codes.items(), key=lambda kv: (kv[0] == "other", -kv[1], str(kv[0])))
            ending.append(t["tl.folded_closes"].format(codes=t["sep.list"].join(
                cl(f"{t['tl.folded_other'] if k == 'other' else k} ×{n}") for k, n in codes)))
        if f.notes:
            ending.append(plural(t, "view.notes", f.notes))
        lines.extend((x, "") for x in _pack(ending, width, "    ", "    ", t["sep.items"]))


def writes_direct(console: Console) -> bool:
    """May a view write to console.file itself, rich unaware? Not when rich must see the output: recording
    (--export), capture(), a Live display, Jupyter. (_buffer_index and _live_stack are rich internals, read
    defensively: absent means "no".)"""
    if console.is_jupyter or console.record or getattr(console, "_buffer_index", 0):
        return False
    return not (getattr(console, "_live_stack", None) or getattr(console, "_live", None))


def _as_text(data: bytes) -> Optional[str]:
    """The bytes as text if they are UTF-8 (a character cut at the end is allowed) with no control characters
    other than whitespace; else None, and the caller shows hex."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        # Only a character cut by the preview's byte limit or the frame's end is forgiven.
        if e.reason != "unexpected end of data" or e.start == 0:
            return None
        text = data[:e.start].decode("utf-8")
    if text.isprintable() or all(ch.isprintable() or ch in "\n\r\t" for ch in text):
        return text
    return None
