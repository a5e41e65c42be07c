"""The C fast lane (wsdissect/_fastlane.c): which lane a command gets, and what it is told.

The lane takes the common packets of a busy capture (in-order WebSocket data of an established connection, bare
ACKs, pings and pongs) and does in C what Analyzer.feed would do with them, on the same objects, then what the
command does with the row: JsonLinesWriter.row (json_lane), the view's row method with, for a plain-text
timeline, TimelinePrinter.row itself (row_lane), or StatsCollector.row (stats_lane). Every other packet goes the
Python way. It is optional: without a C compiler at install time, or with WSDISSECT_PURE=1 in the environment,
everything runs in Python, which stays the reference (tests/test_fastlane.py compares the two).
"""
from __future__ import annotations

import collections
from typing import Callable, Iterator, Optional

from . import analyzer as _analyzer
from . import model
from .analyzer import Analyzer, _opcode_word
from .i18n import fill
from .model import RawPacket
from .pure import pure_requested
from .render.jsonl import JsonLinesWriter, _dumps, note_record
from .sources.pcap import Shortcut
from .tcp import Direction, TcpConnection
from .websocket.deflate import Inflater
from .websocket.frames import FrameParser
from .websocket.messages import WebSocketDirection

try:
    from . import _fastlane
except ImportError:          # not built (no compiler at install time): the Python path does everything
    _fastlane = None

# Packets the lane takes between two looks for connections the analyzer finished, whose parsers and inflaters it
# then lets go (memory follows the open connections). None: the C default (8192).
PURGE_EVERY: Optional[int] = None
# Connection directions the lane keeps its entries for before it starts them afresh. None: the C default (65536).
ENTRIES_MAX: Optional[int] = None


def available() -> bool:
    """True when the lane is built and not turned off by WSDISSECT_PURE=1."""
    return _fastlane is not None and not pure_requested()


class _NoteRow:
    """What Analyzer._note needs of a row: its number and its list of notes."""
    __slots__ = ("no", "notes")

    def __init__(self, no: int) -> None:
        self.no = no
        self.notes: list = []


def _halves(sentence: str) -> list:
    """A sentence formatted with "\0" for its one open field: the text before it and after it."""
    parts = sentence.split("\0")
    if len(parts) != 2:
        raise ValueError(sentence)
    return parts


def _bytes_writer(out):
    """write(data) for the lane's UTF-8 output (a memoryview of the lane's buffer, valid during the call):
    straight to the binary buffer under a UTF-8 text stream (after what the Python path wrote to the text
    layer), else decoded and written as text."""
    buffer = getattr(out, "buffer", None)
    encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    if buffer is not None and encoding == "utf8":
        flush = out.flush
        put = buffer.write

        def write(data: bytes) -> None:
            flush()
            put(data)
        return write
    text_write = out.write
    return lambda data: text_write(str(data, "utf-8"))


def json_lane(analyzer: Analyzer, writer, worker=None) -> Optional[object]:
    """A lane that writes the JSON rows of the packets it takes, for `run` to try each packet on; or None: only
    `read --json` of an Analyzer (with labels) into a JsonLinesWriter has one. `worker`: a worker of a parallel
    read (parallel.Worker), whose writer's `out` is its PieceSink: the lane skips the other workers' packets and
    hands over its lines as pieces."""
    if type(writer) is not JsonLinesWriter or not analyzer._labels:
        return None
    if worker is not None:
        return _lane(analyzer, write=writer.out.raw, **_worker_spec(worker))
    return _lane(analyzer, write=_bytes_writer(writer.out))


def through_lane(lane, packets: Iterator[RawPacket], shortcut: Optional[Shortcut] = None) -> Iterator[RawPacket]:
    """The packets the fast lane leaves to the Python path. With the Shortcut the packets come from, the lane
    also takes whole pcap records before they become RawPackets."""
    if shortcut is not None:
        shortcut.scan, shortcut.scan_ng = lane.scan, lane.scan_ng
    feed = lane.feed
    for raw in packets:
        if not feed(raw):
            yield raw


def _worker_spec(worker) -> dict:
    return {"worker": worker.index, "workers": worker.count}


def row_lane(analyzer: Analyzer, sink: Callable, printer=None, worker=None) -> Optional[object]:
    """A lane that hands the model.Row of each packet it takes to sink(row, connection record), as the Python
    path would after Analyzer.feed; or None. `printer`: the TimelinePrinter that `sink` is the row method of;
    when it writes plain text straight to its file, the lane writes the usual rows itself (segments of a long
    frame, bare ACKs, data rows with their frame and message lines), as TimelinePrinter.row would in the narrow
    layout, and hands it the others."""
    from .render import timeline as tl
    if worker is not None:
        return _lane(analyzer, sink=sink, **_worker_spec(worker))     # a worker of a parallel read (see json_lane)
    if printer is None or type(printer) is not tl.TimelinePrinter or printer.live or not printer._plain \
            or not printer._direct_ok(printer.console):
        return _lane(analyzer, sink=sink)
    return _lane(analyzer, sink=sink, write=_bytes_writer(printer.console.file), printer=printer,
                 console=printer.console, introduced=printer._introduced, head_fmt=printer._head_fmt,
                 show_acks=printer.show_acks, label_rest=tl._NARROW_INDENT + "  ", ellipsis=printer.g.ellipsis,
                 ellipsis_w=tl._cells(printer.g.ellipsis), wide_width=tl.WIDE_WIDTH, width_refresh=tl._WIDTH_REFRESH,
                 narrow_indent_w=tl._NARROW_INDENT_W, min_info=tl._MIN_INFO, **_frame_words(printer),
                 **{"arrow.c2s": printer._arrows[model.C2S], "arrow.s2c": printer._arrows[model.S2C]})


def _frame_words(printer) -> dict:
    """The words of the frame and message lines beneath a data row, for the lane to write them; with
    one_cell=False (a language whose words are two cells wide) it leaves those rows to the printer."""
    from .render import timeline as tl
    kinds = printer._kinds
    words = {
        "tl.frame.1": printer._frame_names[1], "tl.frame.2": printer._frame_names[2],
        "tl.compressed": printer._compressed, "tl.masked": printer._masked,
        "tl.masked_key.0": printer._masked_key, "tl.masked_key.1": printer._masked_key_end,
        "tl.byte": printer._byte, "tl.bytes": printer._bytes, "tl.deflated": printer._deflated,
        "tl.glyph.frame": printer.g.frame, "tl.glyph.message": printer.g.message, "tl.colon": printer._colon,
        "tl.indent": tl._NARROW_INDENT,
        # TimelinePrinter._message_text's head of a one-frame compressed message: \0 stands for the length as
        # sent, \1 for the size inflated
        **{f"tl.msg.{op}": printer._msg.format(kind=kinds[op], size=printer._inflated.format(
            wire="\0", arrow=printer.g.to, size="\1")) for op in (1, 2)},
    }
    one_cell = all(tl._one_cell_only(w.replace("\0", "").replace("\1", "")) for w in words.values()) \
        and tl._one_cell_only(printer.g.ellipsis)
    return {**words, "one_cell": one_cell, "preview_chars": tl.PREVIEW_CHARS, "preview_bytes": tl.PREVIEW_BYTES,
            "min_preview": tl._MIN_PREVIEW}


def stats_lane(analyzer: Analyzer, collector, worker=None) -> Optional[object]:
    """A lane for `stats`: for a data or ACK row it updates the StatsCollector's numbers itself (no Row is
    made); other rows it takes go to collector.row. `worker`: as for json_lane."""
    from .stats import _ConnAcc, _r
    more = _worker_spec(worker) if worker is not None else {}
    return _lane(analyzer, sink=collector.row, acc=collector.acc, ConnAcc=_ConnAcc, round6=_r, **more)


def _lane(analyzer: Analyzer, write: Optional[Callable] = None, sink: Optional[Callable] = None,
          **more) -> Optional[object]:
    # A subclass may add bookkeeping (parallel.ShardAnalyzer) but must keep what the lane does for Analyzer.feed.
    if not available() or not isinstance(analyzer, Analyzer):
        return None
    if "mode" not in getattr(_analyzer._ConnState, "__slots__", ()):
        return None          # the analyzer's state has C fields the lane cannot write into: the lane declines
    t = analyzer._t
    side = analyzer._side
    json_notes = write is not None and sink is None

    def note(tc, no: int, rec) -> tuple:
        row = _NoteRow(no)
        analyzer._note(row, tc, rec.severity, rec.code, rec.text, rec.args)
        n = row.notes[0]
        return n, n.code, _dumps(note_record(n)) if json_notes else None

    spec = {
        **more, "write": write, "sink": sink, "purge_every": PURGE_EVERY, "entries_max": ENTRIES_MAX,
        "labels": analyzer._labels,
        "conns": analyzer.tracker.conns, "finished": analyzer.tracker.finished, "tracker": analyzer.tracker,
        "deque": collections.deque, "summary": analyzer.summary, "note": note, "c2s": model.C2S,
        "s2c": model.S2C, "m_ws": _analyzer.M_WS,
        "RawPacket": model.RawPacket, "TcpConnection": TcpConnection, "Direction": Direction,
        "ConnState": _analyzer._ConnState, "Connection": model.Connection, "CaptureSummary": model.CaptureSummary,
        "WebSocketDirection": WebSocketDirection, "FrameParser": FrameParser, "Frame": model.Frame,
        "Message": model.Message, "Row": model.Row, "Inflater": Inflater,
        "bytes.one": t["bytes.one"], "sep.list": t["sep.list"],
        "name.1": fill(t["name.frame"], names=_opcode_word(1, t)),
        "name.2": fill(t["name.frame"], names=_opcode_word(2, t)),
        "name.9": fill(t["name.frame"], names=_opcode_word(9, t)),
        "name.10": fill(t["name.frame"], names=_opcode_word(10, t)),
    }
    try:
        halves = {"bytes.many": t["bytes.many"].format(n="\0"), "paren": t["paren"].format(text="\0"),
                  "compressed": t["msg.compressed"].format(n="\0")}
        for d in (model.C2S, model.S2C):
            spec[f"partial.{d}"] = analyzer._ws_partial[d]
            # Analyzer._ack_label's two sentences: \0 stands for the packet number, \1 for its name in parentheses
            spec[f"ack.nothing.{d}"] = t["ack.nothing"].format(side=side[d])
            spec[f"ack.of.{d}"] = t["ack.of"].format(no="\0", name="\1", side=side[d])
            for kind in ("ping", "pong"):
                halves[f"control.{kind}.{d}"] = t["control." + kind].format(side=side[d], size="\0")
            for kind in ("text", "binary"):
                # Analyzer._frames_label's one-message sentence, split the same way around its detail.
                halves[f"one.{d}.{kind}"] = t["data.one"].format(side=side[d], message=t["msg." + kind].format(
                    detail="\0"))
        for key, sentence in halves.items():
            spec[f"{key}.0"], spec[f"{key}.1"] = _halves(sentence)
    except (ValueError, KeyError, IndexError):
        return None               # a catalog whose sentences do not split this way: Python does it all
    return _fastlane.Lane(spec)
