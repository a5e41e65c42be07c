"""`wsdissect report`: the lab page, one self-contained HTML file a student opens offline.

The page shows what the terminal views show, linked together: the packet list (the timeline's columns), the
details tree and hex dump of a packet (`show`), each connection's ladder (the flow view), the `--explain`
paragraphs, the summary and `stats`. Nothing is decoded here: the records come from the analyzer and the
existing renderers, gathered by `ReportBuilder` in one pass over the capture, and go into the page as one JSON
blob; report.js (package data, inlined with report.css) draws the page from it. No request leaves the page.

Words are the catalogue's (i18n.py), in both languages: the capture is analysed by two analyzers side by side,
one per language (labels, notes, trees, arrows and paragraphs are composed by the analyzer and the renderers in
their language), and the page switches between them without reloading.

Caps (a 10,000-packet capture stays usable; README "The lab page"):
- REPORT_DETAIL_PACKETS: the details tree and bytes are embedded for the first N packets only; the list still
  has every packet, and a later one says how to see it (`wsdissect show CAPTURE N`).
- REPORT_DUMP_BYTES: bytes of one packet embedded for its hex dump (fields past it are not highlighted).
- REPORT_LADDER_ARROWS: arrows drawn per connection's ladder; the ladder says how many more there were.
- REPORT_LADDERS: connections drawn as ladders, with their explanations; the page says how many more there were.
- REPORT_PAGE_ROWS: rows of the packet list drawn at once (the list is paged).
"""
from __future__ import annotations

import base64
import html
import io
import json
import os
from importlib import resources
from typing import Iterable, Optional

from rich.console import Console

from .. import __version__
from ..analyzer import Analyzer
from ..explain import Explainer
from ..i18n import LANGS, catalog
from ..limits import DEFAULT_LIMITS, Limits
from ..model import C2S, S2C, ROLE_PAST_CAP, Note, RawPacket, Row, Secrets, flag_names
from ..stats import StatsCollector, conn_stats, total_stats
from ..websocket.frames import unmask
from .details import View, _dissect
from .details_stream import DetailsTap
from .flow import ArrowCollector

__all__ = ["ReportBuilder", "build_report", "write_report", "REPORT_DETAIL_PACKETS", "REPORT_DUMP_BYTES",
           "REPORT_LADDER_ARROWS", "REPORT_LADDERS", "REPORT_PAGE_ROWS"]

REPORT_DETAIL_PACKETS = 1000     # packets whose details tree and bytes the page embeds (the first N)
REPORT_DUMP_BYTES = 2048         # bytes of one packet embedded for its hex dump
REPORT_LADDER_ARROWS = 300       # arrows drawn in one connection's ladder
REPORT_LADDERS = 40              # connections drawn as ladders, with their explanations (the first N)
REPORT_PAGE_ROWS = 500           # rows of the packet list drawn at once

# The page colours a row by what it does in the connection's life. A row of no such role (an ACK, a window
# update) takes its connection's current phase, drawn paler; retransmissions and broken packets stand out.
PHASE_OF_ROLE = {
    "tcp-syn": "handshake", "tcp-syn-ack": "handshake", "tcp-handshake-ack": "handshake",
    "ws-upgrade-request": "upgrade", "ws-upgrade-response": "upgrade", "http": "upgrade",
    "ws-data": "data", "tcp-data": "data",
    "ws-control": "control",
    "ws-close": "close",
    "tcp-fin": "teardown", "tcp-fin-ack": "teardown", "tcp-rst": "teardown",
    "tcp-retransmission": "problem", "malformed": "problem",
}
PHASE_CLASSES = ("handshake", "upgrade", "data", "control", "close", "teardown", "other", "problem")
# Catalogue ids whose words the page's own parts use (besides report.*).
_UI_IDS = ("tl.col.no", "tl.col.time", "tl.col.flags", "tl.col.proto", "tl.col.len", "tl.col.info",
           "tl.col.meaning", "side.client", "side.server", "phase.0", "phase.1", "phase.2", "phase.3",
           "phase.4")


def _plain_console() -> Console:
    """A console the terminal views write plain text to (the summary, stats; the View of the trees)."""
    return Console(file=io.StringIO(), width=110, color_system=None, force_terminal=False, highlight=False,
                   soft_wrap=False, legacy_windows=False)


def _console_text(console: Console) -> str:
    return console.file.getvalue()


class ReportBuilder:
    """Feeds each packet to one analyzer and keeps what the page shows (bounded by the caps), in the words of
    each language: the analyzer's records (labels, notes, the summary) are worded once per language here."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS, decode_as: Iterable[int] = (),
                 detail_packets: int = REPORT_DETAIL_PACKETS, keylog=None) -> None:
        decode_as = tuple(decode_as)
        self.tap = DetailsTap(Analyzer(limits, decode_as=decode_as, keylog=keylog), limits)
        self.views = {lang: View(_plain_console(), lang) for lang in LANGS}
        self.explainers = {lang: Explainer(lang) for lang in LANGS}
        self.arrows = {lang: ArrowCollector(lang) for lang in LANGS}
        self.stats = StatsCollector()
        self.tap.analyzer.on_fold = self.stats.fold
        self.detail_packets = detail_packets
        self.rows: list = []
        self.details: dict = {}
        self.explain: list = []
        self.conns: dict = {}            # id -> {"id", "client", "server", "A" (arrows), "more"}; the first N
        self.more_ladders: set = set()   # connections past REPORT_LADDERS
        self._phase: dict = {}           # connection -> its current colour class
        self.first_ts: Optional[float] = None
        self.packets = 0

    # -- one packet ------------------------------------------------------------------------------------------

    def feed(self, raw: RawPacket) -> None:
        if type(raw) is Secrets:
            self.tap.feed(raw)
            return
        self.packets += 1
        if self.first_ts is None:
            self.first_ts = raw.ts
        row = self.tap.feed(raw)
        if row is None:
            return
        conn = self.tap.analyzer.connections.get(row.conn) if row.conn is not None else None
        self.stats.row(row, conn)
        self.rows.append(self._row(row, conn))
        if raw.no <= self.detail_packets:
            self.details[raw.no] = self._details(raw, row, conn)
        if conn is not None and row.role != ROLE_PAST_CAP:
            if row.conn not in self.conns:
                if len(self.conns) >= REPORT_LADDERS:
                    self.more_ladders.add(row.conn)
                    return
                self.conns[row.conn] = {"id": row.conn, "client": str(conn.client), "server": str(conn.server),
                                        "A": [], "more": 0}
            self._explain(row, conn)
            self._arrow(row)

    def _row(self, row: Row, conn) -> dict:
        if conn is not None and row.direction in (C2S, S2C):
            a, b, d = str(conn.client.port), str(conn.server.port), ">" if row.direction == C2S else "<"
        else:
            a, b, d = row.src or "?", row.dst or "?", ""
        phase = PHASE_OF_ROLE.get(row.role)
        pale = phase is None
        if phase is None:
            phase = self._phase.get(row.conn, "other") if row.conn is not None else "other"
        elif phase != "problem" and row.conn is not None:
            self._phase[row.conn] = phase
        rec = {"n": row.no, "t": round(row.ts - self.first_ts, 6), "c": row.conn, "d": d, "a": a, "b": b,
               "f": flag_names(row.flags) or "-", "p": row.protocol, "l": row.length, "i": row.info,
               "r": row.role, "ph": phase, "L": [self.views[lang].labels.text(row) for lang in LANGS]}
        if pale:
            rec["pale"] = 1
        if row.notes:
            rec["w"] = max(("chat", "note", "warning", "error").index(n.severity)
                           if n.severity in ("chat", "note", "warning", "error") else 1 for n in row.notes)
        return rec

    def _details(self, raw: RawPacket, row: Row, conn) -> dict:
        trees, fields, masks = [], {}, []
        tap = self.tap
        _, _, pre = tap.current if tap.current is not None else (None, None, None)
        for lang in LANGS:
            D = _dissect(raw, row, conn, pre, tap.analyzer, self.views[lang])
            trees.append([[ln.depth, ln.text, ln.style, ln.field] for ln in D.lines])
            if lang == LANGS[0]:
                fields = {name: [list(span) for span in spans] for name, spans in D.fields.items()}
                for a, b, key, offset in D.masks:
                    b = min(b, REPORT_DUMP_BYTES)
                    if b > a:
                        plain = unmask(raw.data[a:b], key, offset % 4)
                        masks.append([a, b, key.hex(" "), base64.b64encode(plain).decode("ascii")])
        return {"T": trees, "F": fields, "M": masks, "N": len(raw.data),
                "B": base64.b64encode(raw.data[:REPORT_DUMP_BYTES]).decode("ascii")}

    def _explain(self, row: Row, conn) -> None:
        said = [self.explainers[lang].before(row, conn) for lang in LANGS]
        for paras in zip(*said):
            p = paras[0]
            self.explain.append({"n": row.no, "c": p.conn, "k": p.key, "R": p.repeat_of,
                                 "T": [q.title for q in paras], "B": [list(q.body) for q in paras]})

    def _arrow(self, row: Row) -> None:
        c = self.conns[row.conn]
        arrows = [self.arrows[lang].arrow(row) for lang in LANGS]    # every row moves the phase
        if len(c["A"]) >= REPORT_LADDER_ARROWS:
            c["more"] += 1
            return
        a = arrows[0]
        c["A"].append([a.no, 1 if a.to_server else 0, [x.text for x in arrows], a.phase,
                       self.rows[-1]["ph"], round(a.ts - self.first_ts, 6)])

    # -- the end ---------------------------------------------------------------------------------------------

    def finish(self, capture: str = "", capture_notes: Iterable[Note] = (), opens_in: str = LANGS[0]) -> dict:
        """The page's data: everything gathered, with the summary and the stats in both languages.
        `capture_notes`: notes about the file (a truncated capture), added to the summary; `opens_in`: the
        language the page opens in."""
        from .stats import render_stats
        from .timeline import TimelinePrinter

        summaries, stats = [], []
        first = self.tap.analyzer
        end_notes = first.finish()
        first.summary.capture_notes.extend(capture_notes)
        for lang in LANGS:         # one set of records (the notes, the summary), in the words of each language
            console = _plain_console()
            printer = TimelinePrinter(console, lang=lang)
            printer.end(first.end_frames, first.end_messages, end_notes)
            printer.summary(first.summary)
            summaries.append(_console_text(console).strip("\n"))
        listed = [c for c in first.summary.connections if c.is_websocket or c.decode_as]
        per_conn = [conn_stats(c, self.stats.acc.get(c.id)) for c in first.summary.connections]
        total = total_stats(first.summary, per_conn, self.stats.folded)
        shown = [p for c, p in zip(first.summary.connections, per_conn) if c.is_websocket or c.decode_as]
        for lang in LANGS:
            console = _plain_console()
            render_stats(console, listed, shown, total, lang)
            stats.append(_console_text(console).strip("\n"))
        t = {lang: catalog(lang) for lang in LANGS}
        ui = {lang: {k: v for k, v in t[lang].items() if k.startswith("report.") or k in _UI_IDS} for lang in LANGS}
        return {
            "meta": {"capture": capture, "version": __version__, "packets": self.packets, "rows": len(self.rows),
                     "detail_cap": self.detail_packets, "dump_cap": REPORT_DUMP_BYTES,
                     "ladder_cap": REPORT_LADDER_ARROWS, "ladders_cap": REPORT_LADDERS,
                     "ladders_more": len(self.more_ladders), "page_rows": REPORT_PAGE_ROWS,
                     "langs": list(LANGS), "lang": LANGS.index(opens_in), "phases": list(PHASE_CLASSES)},
            "ui": ui, "rows": self.rows, "details": self.details, "explain": self.explain,
            "conns": list(self.conns.values()), "summary": summaries, "stats": stats,
        }


def build_report(packets: Iterable[RawPacket], capture: str = "", *, limits: Limits = DEFAULT_LIMITS,
                 decode_as: Iterable[int] = (), capture_notes: Iterable[Note] = (),
                 detail_packets: int = REPORT_DETAIL_PACKETS, lang: str = LANGS[0]) -> dict:
    """The page's data for a capture's packets (see ReportBuilder), opening in `lang`."""
    builder = ReportBuilder(limits, decode_as, detail_packets)
    for raw in packets:
        builder.feed(raw)
    return builder.finish(capture, capture_notes, lang)


def _asset(name: str) -> str:
    return resources.files("wsdissect.render").joinpath(name).read_text(encoding="utf-8")


def _json_for_script(data: dict) -> str:
    """JSON safe inside <script type="application/json">: no "<" at all (written \\u003c), so no "</script" can
    end the element early and no "<!--" can change how it is parsed."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def render_page(data: dict) -> str:
    """The whole page: HTML, the inlined stylesheet and script, and the data."""
    title = html.escape(f"wsdissect: {os.path.basename(data['meta']['capture']) or 'capture'}")
    opens_in = data["meta"]["langs"][data["meta"]["lang"]]
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if opens_in == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # Nothing may be fetched: no external resource of any kind, and the policy says so to the browser.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{title}</title>\n<style>\n{_asset('report.css')}\n</style>\n</head>\n<body>\n"
        '<noscript>This page needs JavaScript to draw the capture / 本页面需要 JavaScript。</noscript>\n'
        '<div id="app"></div>\n'
        f'<script type="application/json" id="wsd-data">{_json_for_script(data)}</script>\n'
        f"<script>\n{_asset('report.js')}\n</script>\n</body>\n</html>\n"
    )


def write_report(path: str, data: dict) -> None:
    """Write the page to `path` (OSError to the caller)."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(render_page(data))
