"""`read --details`: every packet shown as its details tree, like `tshark -V`, in one pass over the capture.

`show N` runs the analyzer up to packet N and dissects that one packet; doing that for each packet would analyse
the capture once per packet. Here the analyzer runs once: `DetailsTap` stands in for the Analyzer in the run loop
(cli/common.run), feeding each packet to the real analyzer and to the tracker that places frames in a packet's
bytes (render/details.py), and keeps only the packet just fed (its bytes and where its frames stand) for
`DetailsWriter`, which prints its tree if the filters keep its row. Nothing is kept per packet: a big capture
streams as it does for the timeline. The end-of-capture block and the summary are the timeline's.
"""
from __future__ import annotations

from typing import Optional

from rich.console import Console

from ..analyzer import Analyzer
from ..decode import DecodeError, decode_packet
from ..i18n import DEFAULT_LANG
from ..limits import Limits
from ..model import CaptureSummary, Connection, RawPacket, Row
from .details import View, _Tracker, details_lines, emit

__all__ = ["DetailsTap", "DetailsWriter"]


class DetailsTap:
    """The Analyzer, as the run loop sees it, plus what the details tree of the current packet needs."""

    def __init__(self, analyzer: Analyzer, limits: Limits) -> None:
        self.analyzer = analyzer
        analyzer.app_spans = True                 # show's trees: the decoders say where their fields lie
        self.tracker = _Tracker(limits)
        self.current: Optional[tuple] = None      # (row, raw, pre) of the packet just fed

    def feed(self, raw: RawPacket) -> Optional[Row]:
        row = self.analyzer.feed(raw)
        if row is None:
            self.current = None
            return None
        payload = b""
        if row.conn is not None and row.length:
            try:
                seg = decode_packet(raw)
            except DecodeError:
                seg = None
            if seg is not None:
                payload = seg.payload
        pre = self.tracker.enter(row, payload)    # a snapshot: the tree is drawn from it, not from the tracker
        self.tracker.after(row, payload)
        self.current = (row, raw, pre)
        return row

    def __getattr__(self, name):                  # connections, summary, finish(), end_frames, ...
        return getattr(self.analyzer, name)


class DetailsWriter:
    """A row writer for the run loop: the details tree (no hex dump, words in `lang`) of each row it is given;
    `end()` and `summary()` go to `closing` (a TimelinePrinter on the same console)."""

    def __init__(self, console: Console, tap: DetailsTap, closing, lang: str = DEFAULT_LANG) -> None:
        self.console = console
        self.view = View(console, lang)
        self.tap = tap
        self.closing = closing
        self.printed = False

    def origin(self, ts: float) -> None:
        origin = getattr(self.closing, "origin", None)
        if origin is not None:
            origin(ts)

    def row(self, row: Row, conn: Optional[Connection]) -> None:
        current = self.tap.current
        if current is None or current[0] is not row:   # not the packet just fed: nothing to dissect
            return
        _, raw, pre = current
        lines = details_lines(self.view, raw, row, conn, pre, self.tap.analyzer, hexdump=False)
        if self.printed:
            lines.insert(0, ("", ""))
        self.printed = True
        emit(self.view, lines)

    def end(self, frames: list, messages: list, notes: list) -> None:
        self.closing.end(frames, messages, notes)

    def summary(self, s: CaptureSummary) -> None:
        if self.printed:
            self.console.print()
        self.closing.summary(s)

    def flush(self) -> None:
        flush = getattr(self.closing, "flush", None)
        if flush is not None:
            flush()
