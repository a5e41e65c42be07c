"""The stats view: the numbers of wsdissect/stats.py (per connection and for the whole capture) as text."""
from __future__ import annotations

from typing import Optional

from rich.console import Console

from ..i18n import DEFAULT_LANG, catalog
from ..model import C2S, S2C, Connection
from ..stats import _KINDS, GAP_WORTH_LISTING
from .details import View, emit, plain_text
from .linebreak import cells, wrap
from .timeline import writes_direct
from .words import close_name, conn_title, limits_reached, plural, side_word

__all__ = ["render_stats", "render_stats_end", "plain_blocks"]


# ------------------------------------------------------------------------------------------------ text

def dur(x: Optional[float], t: Optional[dict] = None) -> str:
    """0.000268 s as '0.268 ms', 3.2 s as '3.200 s' (in Chinese 毫秒, 秒); `t`: the catalog of the units and of
    the word that says there is no value."""
    t = t or catalog(DEFAULT_LANG)
    if x is None:
        return t["stats.na"]
    if abs(x) < 1:
        return t["unit.ms"].format(n=f"{x * 1000:.3f}")
    return t["unit.s"].format(n=f"{x:.3f}")


def _size(n: int) -> str:
    return f"{n} B"


_LABEL_W = 19
_COL_W = 28


def _field(view: View, label: str, text: str, style: str = "") -> list:
    first = "  " + _ljust(label, _LABEL_W)
    return [(t, style) for t in wrap(text, view.width, first, " " * (_LABEL_W + 2))]


def _ljust(s: str, width: int) -> str:
    """str.ljust by terminal cells: a Chinese label is two cells a character."""
    n = cells(s)
    return s + " " * (width - n) if n < width else s


def _row(label: str, left: str, right: str) -> str:
    """A line of the two-column table: label, client → server, server → client."""
    return f"  {_ljust(label, _LABEL_W)}{_ljust(left, _COL_W)}{right}"


def _pair(view: View, label: str, left: str, right: str, style: str = "") -> list:
    """A row of the two-column table; when the client's value is too wide for its column (a compression line of
    big numbers), each value goes on a line of its own after its direction, rather than running into the
    other value."""
    if cells(left) < _COL_W:
        return [(_row(label, left, right), style)]
    to_server, to_client = _dirs(view)
    both = view.t["stats.dir_value"]
    return [("  " + _ljust(label, _LABEL_W) + both.format(dir=to_server, value=left), style),
            ("  " + " " * _LABEL_W + both.format(dir=to_client, value=right), style)]


def _dirs(view: View) -> tuple:
    """The two column heads: 'client → server', 'server → client'."""
    return view.t["view.dir"].format(arrow=view.to), view.t["view.dir_back"].format(arrow=view.to)


def stats_lines(view: View, c: Connection, p: dict) -> list:
    cl, w = view.clean, view.t
    title = conn_title(c, cl, view.to, w)
    out = [(t, "bold") for t in wrap(title, view.width, "", "    ")]
    out += _field(view, w["stats.duration"], w["stats.duration_value"].format(
        seconds=f"{p['duration']:.6f}", n=p['packets'], first=p['first_no'], last=p['last_no']))
    hs = p["handshake"]
    if c.is_websocket or hs["request_no"]:
        parts = []
        if hs["syn_to_101"] is not None:
            parts.append(w["stats.syn_101"].format(arrow=view.to, time=dur(hs['syn_to_101'], w), a=hs['syn_no'],
                                                   b=hs['response_no']))
        if hs["request_to_101"] is not None:
            parts.append(w["stats.request_101"].format(arrow=view.to, time=dur(hs['request_to_101'], w),
                                                       a=hs['request_no'], b=hs['response_no']))
        for i, part in enumerate(parts or [w["stats.not_captured"]]):
            out += _field(view, w["stats.handshake"] if i == 0 else "", part)
    tls = p.get("tls")
    if tls is not None:
        out += _field(view, w["stats.tls"], w["stats.tls_value"].format(
            version=tls["version"] or "?", cipher=tls["cipher"] or "?", sni=cl(tls["sni"] or "-"),
            latency=dur(tls["handshake_latency"], w),
            decrypted=w["stats.tls_decrypted" if tls["decrypted"] else "stats.tls_encrypted"]))
    to_server, to_client = _dirs(view)
    if c.is_websocket:
        out += _field(view, w["stats.extensions"], cl(c.extensions) if c.extensions else w["view.none"])
        out.append((_row("", to_server, to_client), "dim"))
        for kind in _KINDS:
            cols = []
            for d in (C2S, S2C):
                k = p[d][kind]
                what = "view.messages" if kind in ("text", "binary") else "view.frames"
                cols.append(w["stats.count"].format(count=plural(w, what, k['count']), size=_size(k['bytes']))
                            if k["count"] else "-")
            out += _pair(view, w[f"stats.kind.{kind}"], cols[0], cols[1])
        cols = [w["stats.count"].format(count=plural(w, "view.messages", p[d]['messages']),
                                        size=_size(p[d]['message_bytes'])) for d in (C2S, S2C)]
        out += _pair(view, w["stats.all_messages"], cols[0], cols[1], "bold")
    cols = [f"{p[d]['tcp_bytes']} B" for d in (C2S, S2C)]
    if not c.is_websocket:
        out.append((_row("", to_server, to_client), "dim"))
    out += _pair(view, w["stats.tcp_payload"], cols[0], cols[1])
    if c.is_websocket:
        comp = [p[d]["compression"] for d in (C2S, S2C)]
        if any(comp):
            cols = [w["stats.compression_value"].format(sent=x['sent'], arrow=view.to, inflated=x['inflated'],
                                                        ratio=f"{x['inflated'] / x['sent']:.1f}")
                    if x and x["sent"] else "-" for x in comp]
            out += _pair(view, w["stats.compression"], cols[0], cols[1])
        big = p["largest_message"]
        if big:
            where = f"#{big['last_no']}" if big["first_no"] == big["last_no"] else \
                f"#{big['first_no']}-#{big['last_no']}"
            way = to_server if big["dir"] == C2S else to_client
            out += _field(view, w["stats.largest"], w["stats.largest_value"].format(
                n=big['length'], kind=w["opcode." + big['opcode_name']], dir=way, where=where))
        if p["pings"]:
            for i, r in enumerate(p["pings"]):
                how = "" if r["matched"] == "payload" else w["stats.rtt_next"]
                out += _field(view, w["stats.rtt"] if i == 0 else "", w["stats.rtt_value"].format(
                    time=dur(r['rtt'], w), side=side_word(w, r['from']), ping=r['ping_no'], arrow=view.to,
                    pong=r['pong_no'], how=how))
        else:
            out += _field(view, w["stats.rtt"], w["stats.rtt_none"])
        lost = sum(p["unanswered_pings"].values())
        if lost:
            out += _field(view, "", w["stats.unanswered"].format(n=lost), "yellow")
        out += _app_lines(view, p.get("app"), w)
        if p["close_code"] is not None:
            reason = f' "{cl(p["close_reason"])}"' if p["close_reason"] else ""
            out += _field(view, w["stats.close"], w["stats.close_value"].format(
                code=p['close_code'], name=close_name(p['close_code'], w), reason=reason,
                side=side_word(w, p['closed_by']), no=p['close_no']))
        elif p["closed_by"]:
            out += _field(view, w["stats.close"], w["stats.close_no_code"].format(side=side_word(w, p['closed_by']),
                                                                                  no=p['close_no']))
        else:
            out += _field(view, w["stats.close"], w["stats.no_close"], "yellow" if c.end and c.close_expected else "")
    if c.end == "fin":
        end = w["stats.end_fin"].format(side=side_word(w, p['fin_by']), no=p['fin_no'])
    elif c.end == "rst":
        end = w["stats.end_rst"].format(side=side_word(w, p['rst_by'] or '?'))
    else:
        end = w["stats.end_open"]
    out += _field(view, w["stats.tcp_end"], end, "red" if c.end == "rst" else "")
    g = p["longest_gap"]
    if g:
        out += _field(view, w["stats.longest_gap"], w["stats.gap_value"].format(
            time=dur(g['seconds'], w), a=g['from_no'], arrow=view.to, b=g['to_no']))
    gaps = p["gaps"]
    out += _field(view, w["stats.gaps"].format(seconds=f"{GAP_WORTH_LISTING:g}"),
                  w["sep.list"].join(w["stats.gap_item"].format(seconds=f"{x['seconds']:.3f}", a=x['from_no'],
                                                                arrow=view.to, b=x['to_no']) for x in gaps)
                  if gaps else w["view.none"], "yellow" if gaps else "")
    out += _field(view, w["stats.notes"], _notes(p["notes"], p["notes_by_severity"], w))
    return out


def _app_lines(view: View, app: Optional[dict], w: dict) -> list:
    """Per subprotocol (wsdissect/app): requests that awaited a reply, request → reply latencies, the unanswered."""
    out = []
    for proto, x in (app or {}).items():
        lat = x["latency"]
        value = w["stats.app_value"].format(requests=x["requests"], answered=x["answered"], min=dur(lat["min"], w),
                                            mean=dur(lat["mean"], w), max=dur(lat["max"], w)) if lat else \
            w["stats.app_none"].format(requests=x["requests"])
        out += _field(view, w["stats.app"].format(protocol=proto), value)
        if x["unanswered"]:
            out += _field(view, "", w["stats.app_unanswered"].format(n=x["unanswered"]), "yellow")
        if "publishes" in x:
            out += _mqtt_lines(view, x, w)
    return out


# Topics listed by name in the text (the JSON has them all, up to stats.MQTT_STATS_TOPICS).
_MQTT_TOPIC_LINES = 12


def _mqtt_lines(view: View, x: dict, w: dict) -> list:
    """MQTT: publishes by topic and QoS, and the packet ids never acknowledged."""
    def qos(q: list) -> str:
        return w["sep.list"].join(w["stats.mqtt_qos"].format(qos=i, n=k) for i, k in enumerate(q) if k)
    out = []
    pubs = x["publishes"]
    for i, p in enumerate(pubs[:_MQTT_TOPIC_LINES]):
        out += _field(view, w["stats.mqtt_publishes"] if i == 0 else "",
                      w["stats.mqtt_topic"].format(topic=view.clean(p["topic"]), counts=qos(p["qos"])))
    more = len(pubs) - _MQTT_TOPIC_LINES
    other = x.get("publishes_other")
    if more > 0 or other:
        out += _field(view, "", w["stats.mqtt_more_topics"].format(
            n=max(0, more), k=sum(p["count"] for p in pubs[_MQTT_TOPIC_LINES:]) + (other["count"] if other else 0)))
    total = x["unacknowledged_total"]
    if total:
        ids = w["sep.list"].join(w["stats.mqtt_id"].format(id=u["id"], type=u["type"], no=u["no"])
                                 for u in x["unacknowledged"])
        out += _field(view, w["stats.mqtt_unacked"], w["stats.mqtt_unacked_value"].format(n=total, ids=ids)
                      if ids else str(total), "yellow")
    return out


def _notes(count: int, by_severity: dict, w: dict) -> str:
    """'2 (1 note, 1 warning)': the number of notes, then how many of each severity."""
    if not by_severity:
        return f"{count}"
    detail = w["sep.list"].join(w["tl.sev_count.one" if n == 1 else "tl.sev_count.many"].format(
        n=n, severity=w.get(f"sev.{s}", s)) for s, n in sorted(by_severity.items()))
    return f"{count}" + w["paren"].format(text=detail)


def total_lines(view: View, t: dict) -> list:
    w = view.t
    out = [(w["stats.totals"], "bold")]
    span = w["stats.span"].format(seconds=f"{t['duration']:.6f}") if t["duration"] is not None else w["stats.empty"]
    out += _field(view, w["stats.capture"], w["stats.capture_value"].format(
        packets=t['packets'], tcp=t['tcp_packets'], other=t['other_packets'], malformed=t['malformed'], span=span))
    out += _field(view, w["stats.connections"], w["stats.connections_value"].format(tcp=t['connections'],
                                                                                    ws=t['websocket_connections']))
    to_server, to_client = _dirs(view)
    out.append((_row("", to_server, to_client), "dim"))
    cols = [w["stats.count"].format(count=plural(w, "view.messages", t['messages'][d]),
                                    size=_size(t['message_bytes'][d])) for d in (C2S, S2C)]
    out += _pair(view, w["stats.messages"], cols[0], cols[1])
    cols = [f"{t['tcp_bytes'][d]} B" for d in (C2S, S2C)]
    out += _pair(view, w["stats.tcp_payload"], cols[0], cols[1])
    ops = w["sep.list"].join(f"{w['opcode.' + k]} {v['count']}" for k, v in t["by_opcode"].items() if v["count"])
    out += _field(view, w["stats.by_opcode"], ops or w["view.none"])
    r = t["ping_rtt"]
    if r:
        out += _field(view, w["stats.rtt"], w["stats.rtt_total"].format(n=r['count'], min=dur(r['min'], w),
                                                                       mean=dur(r['mean'], w), max=dur(r['max'], w)))
    out += _app_lines(view, t.get("app"), w)
    tls = t.get("tls")
    if tls:
        lat = tls["handshake_latency"]
        out += _field(view, w["stats.tls"], w["stats.tls_total"].format(
            n=plural(w, "view.connections", tls["connections"]), decrypted=tls["decrypted"],
            versions=w["sep.list"].join(f"{k} ×{v}" for k, v in tls["by_version"].items()),
            ciphers=w["sep.list"].join(f"{k} ×{v}" for k, v in tls["by_cipher"].items())))
        if lat:
            out += _field(view, "", w["stats.tls_latency"].format(min=dur(lat["min"], w), mean=dur(lat["mean"], w),
                                                                   max=dur(lat["max"], w)))
    e = t["ended_by"]
    out += _field(view, w["stats.endings"], w["stats.endings_value"].format(
        close=t['closed_with_close_frame'], fin=e['fin'], rst=e['rst'], open=e['open']))
    out += _field(view, w["stats.notes"], _notes(t["notes"], t["notes_by_severity"], w))
    caps = limits_reached(t.get("caps", ()), t.get("past_cap_packets", 0), view.lang)
    if caps:
        out.append((w["tl.caps"], "yellow"))
        for cap in caps:
            out += [(x, "yellow") for x in wrap(view.clean(cap), view.width, "  ", "    ")]
    return out


def render_stats(console: Console, conns: list, per_conn: list, total: dict, lang: str = DEFAULT_LANG) -> None:
    view = View(console, lang)
    # One print per connection, not one rich Text for them all: that one held every line of every connection
    # at once (a peak RSS of 119 MB instead of 62 MB for the 1,753 connections of bench/out/ws-1000000.pcap).
    for c, p in zip(conns, per_conn):
        emit(view, [*stats_lines(view, c, p), ("", "")])
    render_stats_end(view, total)


def plain_blocks(console: Console, lang: str, conns: list, per_conn: list) -> Optional[list]:
    """The text render_stats writes for each of these connections, when it writes plain text straight to the
    console's file (a parallel read's workers make their connections' blocks: wsdissect/cli/stats.py); else None."""
    view = View(console, lang)
    if not (view.plain and writes_direct(console)):
        return None
    return [plain_text(view, [*stats_lines(view, c, p), ("", "")]) for c, p in zip(conns, per_conn)]


def render_stats_end(view: View, total: dict) -> None:
    """What follows the connections: how many were only counted, and the totals."""
    more = total.get("counted_only")
    if more and more["connections"]:
        w = view.t
        text = w["stats.counted_only.one" if more["connections"] == 1 else "stats.counted_only.many"].format(
            n=more["connections"], ws=more["websocket_connections"])
        emit(view, [*((x, "yellow") for x in wrap(view.clean(text), view.width, "", "    ")), ("", "")])
    emit(view, total_lines(view, total))
