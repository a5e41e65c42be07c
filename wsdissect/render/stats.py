"""The stats view: numbers per connection and for the whole capture.

`StatsCollector.row(row, conn)` accumulates, per connection, what the rows carry: handshake times, messages
and bytes each way by opcode, ping→pong round trips, the largest message, silences between packets.
`conn_stats(...)` turns that and the Connection record into a plain dict (the `--json` object, "type":"stats"),
`total_stats(...)` the capture's totals ("type":"stats-total"); `render_stats` prints both as text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from rich.console import Console

from ..model import C2S, FIN, RST, S2C, CaptureSummary, Connection, Row
from ..websocket.codes import CLOSE, PING, PONG, close_code_name, opcode_name
from .details import View, emit, wrap
from .words import conn_title

__all__ = ["StatsCollector", "conn_stats", "total_stats", "render_stats", "GAP_WORTH_LISTING"]

SIDE = {C2S: "client", S2C: "server"}
OTHER = {C2S: S2C, S2C: C2S}
GAP_WORTH_LISTING = 1.0      # silences at least this long are listed
_KINDS = ("text", "binary", "ping", "pong", "close")


def _dir_counts() -> dict:
    return {k: {"count": 0, "bytes": 0} for k in _KINDS}


@dataclass
class _ConnAcc:
    first_no: int = 0
    last_no: int = 0
    last_ts: Optional[float] = None
    syn_ts: Optional[float] = None
    syn_no: Optional[int] = None
    request_ts: Optional[float] = None
    request_no: Optional[int] = None
    response_ts: Optional[float] = None
    response_no: Optional[int] = None
    packets: int = 0
    counts: dict = field(default_factory=lambda: {C2S: _dir_counts(), S2C: _dir_counts()})
    wire: dict = field(default_factory=lambda: {C2S: 0, S2C: 0})        # data message bytes as sent
    comp: dict = field(default_factory=lambda: {C2S: [0, 0], S2C: [0, 0]})   # compressed: [sent, inflated]
    pending: dict = field(default_factory=lambda: {C2S: [], S2C: []})   # pings awaiting a pong: (payload, ts, no)
    rtts: list = field(default_factory=list)
    largest: Optional[dict] = None
    longest_gap: Optional[dict] = None
    gaps: list = field(default_factory=list)
    rst_by: Optional[str] = None
    close_no: Optional[int] = None
    fin_no: Optional[int] = None
    notes: dict = field(default_factory=dict)


class StatsCollector:
    def __init__(self) -> None:
        self.acc: dict[int, _ConnAcc] = {}

    def row(self, row: Row, conn: Optional[Connection]) -> None:
        if row.conn is None:
            return
        a = self.acc.get(row.conn)
        if a is None:
            a = self.acc[row.conn] = _ConnAcc(first_no=row.no)
        a.packets += 1
        if a.last_ts is not None:
            gap = row.ts - a.last_ts
            if a.longest_gap is None or gap > a.longest_gap["seconds"]:
                a.longest_gap = {"seconds": _r(gap), "from_no": a.last_no, "to_no": row.no}
            if gap >= GAP_WORTH_LISTING:
                a.gaps.append({"seconds": _r(gap), "from_no": a.last_no, "to_no": row.no})
        a.last_ts, a.last_no = row.ts, row.no
        if row.role == "tcp-syn" and a.syn_ts is None:
            a.syn_ts, a.syn_no = row.ts, row.no
        elif row.role == "ws-upgrade-request" and a.request_ts is None:
            a.request_ts, a.request_no = row.ts, row.no
        elif row.role == "ws-upgrade-response" and a.response_ts is None and conn is not None \
                and conn.status == 101:
            a.response_ts, a.response_no = row.ts, row.no
        if row.role != "tcp-retransmission":
            if row.flags & RST and a.rst_by is None:
                a.rst_by = SIDE.get(row.direction)
            if row.flags & FIN and a.fin_no is None:
                a.fin_no = row.no
        for n in row.notes:
            a.notes[n.severity] = a.notes.get(n.severity, 0) + 1
        for f in row.frames:
            d = f.direction
            if f.opcode in (PING, PONG, CLOSE):
                c = a.counts[d][opcode_name(f.opcode)]
                c["count"] += 1
                c["bytes"] += f.length
            if f.opcode == CLOSE and a.close_no is None:
                a.close_no = row.no
            elif f.opcode == PING:
                a.pending[d].append((f.payload, row.ts, row.no))
            elif f.opcode == PONG:
                waiting = a.pending[OTHER[d]]
                if waiting:
                    match = next((i for i, p in enumerate(waiting) if p[0] == f.payload), None)
                    how = "payload"
                    if match is None:
                        match, how = 0, "next pong"
                    payload, ts, no = waiting.pop(match)
                    a.rtts.append({"from": SIDE[OTHER[d]], "ping_no": no, "pong_no": row.no,
                                   "rtt": _r(row.ts - ts), "matched": how})
        for m in row.messages:
            d = m.direction
            kind = opcode_name(m.opcode)
            if kind in ("text", "binary"):
                c = a.counts[d][kind]
                c["count"] += 1
                c["bytes"] += m.length
            a.wire[d] += m.wire_length
            if m.compressed:
                a.comp[d][0] += m.wire_length
                a.comp[d][1] += m.length
            if a.largest is None or m.length > a.largest["length"]:
                a.largest = {"length": m.length, "dir": d, "opcode_name": kind, "first_no": m.first_no,
                             "last_no": m.last_no, "wire_length": m.wire_length}


def _r(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(x, 6)


def conn_stats(c: Connection, a: Optional[_ConnAcc]) -> dict:
    """One connection's numbers, JSON-ready ("type":"stats")."""
    a = a or _ConnAcc(first_no=c.first_no)
    hs = {
        "syn_to_101": _r(a.response_ts - a.syn_ts) if a.response_ts is not None and a.syn_ts is not None else None,
        "request_to_101": (_r(a.response_ts - a.request_ts)
                           if a.response_ts is not None and a.request_ts is not None else None),
        "syn_no": a.syn_no, "request_no": a.request_no, "response_no": a.response_no,
    }
    per_dir = {}
    for d in (C2S, S2C):
        counts = {k: dict(v) for k, v in a.counts[d].items()}
        sent, inflated = a.comp[d]
        per_dir[d] = {
            "messages": c.messages.get(d, 0), "frames": c.frames.get(d, 0), "tcp_bytes": c.bytes.get(d, 0),
            "message_bytes": counts["text"]["bytes"] + counts["binary"]["bytes"], "message_wire_bytes": a.wire[d],
            **counts,
            "compression": ({"sent": sent, "inflated": inflated, "ratio": round(sent / inflated, 4)}
                            if inflated else None),
        }
    return {
        "type": "stats", "conn": c.id, "client": str(c.client), "server": str(c.server),
        "websocket": c.is_websocket, "uri": c.uri, "extensions": c.extensions,
        "first_no": a.first_no, "last_no": a.last_no, "packets": a.packets,
        "start": c.first_ts, "duration": _r(c.last_ts - c.first_ts),
        "handshake": hs, "c2s": per_dir[C2S], "s2c": per_dir[S2C],
        "pings": a.rtts, "unanswered_pings": {d: len(a.pending[d]) for d in (C2S, S2C)},
        "largest_message": a.largest,
        "close_code": c.close_code, "close_name": close_code_name(c.close_code) if c.close_code is not None else None,
        "close_reason": c.close_reason, "closed_by": c.closed_by, "close_no": a.close_no,
        "end": c.end, "fin_by": c.fin_by, "fin_no": a.fin_no, "rst_by": a.rst_by,
        "longest_gap": a.longest_gap, "gaps": a.gaps, "notes": c.notes, "notes_by_severity": a.notes,
    }


def total_stats(s: CaptureSummary, per_conn: list) -> dict:
    tot = {"type": "stats-total", "packets": s.packets, "tcp_packets": s.tcp_packets,
           "other_packets": s.other_packets, "malformed": s.malformed,
           "duration": _r(s.last_ts - s.first_ts) if s.first_ts is not None else None,
           "connections": len(s.connections), "websocket_connections": sum(1 for c in s.connections if c.is_websocket)}
    for key in ("messages", "message_bytes", "tcp_bytes"):
        tot[key] = {d: sum(p[d][key] for p in per_conn) for d in (C2S, S2C)}
    tot["by_opcode"] = {k: {"count": sum(p[d][k]["count"] for p in per_conn for d in (C2S, S2C)),
                            "bytes": sum(p[d][k]["bytes"] for p in per_conn for d in (C2S, S2C))} for k in _KINDS}
    rtts = [r["rtt"] for p in per_conn for r in p["pings"]]
    tot["ping_rtt"] = ({"count": len(rtts), "min": min(rtts), "max": max(rtts),
                        "mean": _r(sum(rtts) / len(rtts))} if rtts else None)
    tot["closed_with_close_frame"] = sum(1 for p in per_conn if p["close_code"] is not None or p["closed_by"])
    tot["ended_by"] = {"fin": sum(1 for p in per_conn if p["end"] == "fin"),
                       "rst": sum(1 for p in per_conn if p["end"] == "rst"),
                       "open": sum(1 for p in per_conn if p["end"] is None)}
    tot["notes"] = sum(s.notes_by_severity.values())
    tot["notes_by_severity"] = dict(s.notes_by_severity)
    return tot


# ------------------------------------------------------------------------------------------------ text

def dur(x: Optional[float]) -> str:
    """0.000268 s as '0.268 ms', 3.2 s as '3.200 s'."""
    if x is None:
        return "n/a"
    if abs(x) < 1:
        return f"{x * 1000:.3f} ms"
    return f"{x:.3f} s"


def _n(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _size(n: int) -> str:
    return f"{n} B"


_LABEL_W = 19
_COL_W = 28


def _field(view: View, label: str, text: str, style: str = "") -> list:
    first = f"  {label:<{_LABEL_W}}"
    return [(t, style) for t in wrap(text, view.width, first, " " * (_LABEL_W + 2))]


def stats_lines(view: View, c: Connection, p: dict) -> list:
    cl = view.clean
    title = conn_title(c, cl, view.to)
    out = [(t, "bold") for t in wrap(title, view.width, "", "    ")]
    out += _field(view, "duration", f"{p['duration']:.6f} s, {p['packets']} packets (#{p['first_no']} to "
                                    f"#{p['last_no']})")
    hs = p["handshake"]
    if c.is_websocket or hs["request_no"]:
        parts = []
        if hs["syn_to_101"] is not None:
            parts.append(f"SYN {view.to} 101: {dur(hs['syn_to_101'])} (#{hs['syn_no']} {view.to} "
                         f"#{hs['response_no']})")
        if hs["request_to_101"] is not None:
            parts.append(f"request {view.to} 101: {dur(hs['request_to_101'])} (#{hs['request_no']} {view.to} "
                         f"#{hs['response_no']})")
        for i, part in enumerate(parts or ["not in the capture"]):
            out += _field(view, "handshake" if i == 0 else "", part)
    if c.is_websocket:
        out += _field(view, "extensions", cl(c.extensions) if c.extensions else "none")
        head = f"  {'':<{_LABEL_W}}{'client ' + view.to + ' server':<{_COL_W}}{'server ' + view.to + ' client'}"
        out.append((head, "dim"))
        for kind in _KINDS:
            cells = []
            for d in (C2S, S2C):
                k = p[d][kind]
                word = "message" if kind in ("text", "binary") else "frame"
                cells.append(f"{k['count']} {word}{'s' if k['count'] != 1 else ''}, {_size(k['bytes'])}"
                             if k["count"] else "-")
            out.append((f"  {kind:<{_LABEL_W}}{cells[0]:<{_COL_W}}{cells[1]}", ""))
        cells = [f"{_n(p[d]['messages'], 'message')}, {_size(p[d]['message_bytes'])}" for d in (C2S, S2C)]
        out.append((f"  {'all messages':<{_LABEL_W}}{cells[0]:<{_COL_W}}{cells[1]}", "bold"))
    cells = [f"{p[d]['tcp_bytes']} B" for d in (C2S, S2C)]
    if not c.is_websocket:
        out.append((f"  {'':<{_LABEL_W}}{'client ' + view.to + ' server':<{_COL_W}}{'server ' + view.to + ' client'}",
                    "dim"))
    out.append((f"  {'TCP payload':<{_LABEL_W}}{cells[0]:<{_COL_W}}{cells[1]}", ""))
    if c.is_websocket:
        comp = [p[d]["compression"] for d in (C2S, S2C)]
        if any(comp):
            cells = [f"{x['sent']} {view.to} {x['inflated']} B, {x['inflated'] / x['sent']:.1f}x smaller"
                     if x and x["sent"] else "-" for x in comp]
            out.append((f"  {'compression':<{_LABEL_W}}{cells[0]:<{_COL_W}}{cells[1]}", ""))
        big = p["largest_message"]
        if big:
            where = f"#{big['last_no']}" if big["first_no"] == big["last_no"] else \
                f"#{big['first_no']}-#{big['last_no']}"
            out += _field(view, "largest message", f"{big['length']} B {big['opcode_name']}, "
                                                   f"{SIDE[big['dir']]} {view.to} {SIDE[OTHER[big['dir']]]} ({where})")
        if p["pings"]:
            for i, r in enumerate(p["pings"]):
                how = "" if r["matched"] == "payload" else " (matched: next pong)"
                out += _field(view, "ping → pong RTT" if i == 0 else "",
                              f"{dur(r['rtt'])}: {r['from']} ping #{r['ping_no']} {view.to} pong "
                              f"#{r['pong_no']}{how}")
        else:
            out += _field(view, "ping → pong RTT", "no ping answered")
        lost = sum(p["unanswered_pings"].values())
        if lost:
            out += _field(view, "", f"{lost} ping(s) never answered", "yellow")
        if p["close_code"] is not None:
            reason = f' "{cl(p["close_reason"])}"' if p["close_reason"] else ""
            out += _field(view, "close", f"{p['close_code']} {p['close_name']}{reason}, sent first by the "
                                         f"{p['closed_by']} (#{p['close_no']})")
        elif p["closed_by"]:
            out += _field(view, "close", f"Close frame without a status code, from the {p['closed_by']} "
                                         f"(#{p['close_no']})")
        else:
            out += _field(view, "close", "no WebSocket Close frame", "yellow" if c.end else "")
    if c.end == "fin":
        end = f"FIN, first from the {p['fin_by']} (#{p['fin_no']})"
    elif c.end == "rst":
        end = f"RST from the {p['rst_by'] or '?'}: aborted"
    else:
        end = "still open at the end of the capture"
    out += _field(view, "TCP end", end, "red" if c.end == "rst" else "")
    g = p["longest_gap"]
    if g:
        out += _field(view, "longest silence", f"{dur(g['seconds'])} (#{g['from_no']} {view.to} #{g['to_no']})")
    gaps = p["gaps"]
    out += _field(view, f"silences ≥ {GAP_WORTH_LISTING:g} s",
                  ", ".join(f"{x['seconds']:.3f} s (#{x['from_no']} {view.to} #{x['to_no']})" for x in gaps)
                  if gaps else "none", "yellow" if gaps else "")
    sev = p["notes_by_severity"]
    detail = ", ".join(f"{n} {s}" for s, n in sorted(sev.items())) if sev else ""
    out += _field(view, "notes", f"{p['notes']}" + (f" ({detail})" if detail else ""))
    return out


def total_lines(view: View, t: dict) -> list:
    out = [("Totals", "bold")]
    span = f"{t['duration']:.6f} s" if t["duration"] is not None else "empty capture"
    out += _field(view, "capture", f"{t['packets']} packets ({t['tcp_packets']} TCP, {t['other_packets']} other, "
                                   f"{t['malformed']} malformed) over {span}")
    out += _field(view, "connections", f"{t['connections']} TCP, {t['websocket_connections']} WebSocket")
    out.append((f"  {'':<{_LABEL_W}}{'client ' + view.to + ' server':<{_COL_W}}{'server ' + view.to + ' client'}",
                "dim"))
    cells = [f"{_n(t['messages'][d], 'message')}, {t['message_bytes'][d]} B" for d in (C2S, S2C)]
    out.append((f"  {'messages':<{_LABEL_W}}{cells[0]:<{_COL_W}}{cells[1]}", ""))
    cells = [f"{t['tcp_bytes'][d]} B" for d in (C2S, S2C)]
    out.append((f"  {'TCP payload':<{_LABEL_W}}{cells[0]:<{_COL_W}}{cells[1]}", ""))
    ops = ", ".join(f"{k} {v['count']}" for k, v in t["by_opcode"].items() if v["count"])
    out += _field(view, "by opcode", ops or "none")
    r = t["ping_rtt"]
    if r:
        out += _field(view, "ping → pong RTT", f"{r['count']} answered: min {dur(r['min'])}, mean {dur(r['mean'])}, "
                                              f"max {dur(r['max'])}")
    e = t["ended_by"]
    out += _field(view, "endings", f"{t['closed_with_close_frame']} with a Close frame; TCP: {e['fin']} FIN, "
                                   f"{e['rst']} RST, {e['open']} still open")
    sev = t["notes_by_severity"]
    detail = ", ".join(f"{n} {s}" for s, n in sorted(sev.items())) if sev else ""
    out += _field(view, "notes", f"{t['notes']}" + (f" ({detail})" if detail else ""))
    return out


def render_stats(console: Console, conns: list, per_conn: list, total: dict) -> None:
    view = View(console)
    out: list = []
    for c, p in zip(conns, per_conn):
        out.extend(stats_lines(view, c, p))
        out.append(("", ""))
    out.extend(total_lines(view, total))
    emit(view, out)
