"""The numbers `stats` reports, per connection and for the whole capture (sans-IO: rows in, dicts out).

`StatsCollector.row(row, conn)` accumulates, per connection, what the rows carry: handshake times, messages
and bytes each way by opcode, ping→pong round trips, the largest message, silences between packets.
`conn_stats(...)` turns that and the Connection record into a plain dict (the `--json` object, "type":"stats"),
`total_stats(...)` the capture's totals ("type":"stats-total"); render/stats.py prints both as text. Apart from
the view so that the workers of a parallel read (parallel.py) have the numbers without the terminal's modules.
"""
from __future__ import annotations

import copy
from typing import Optional

from .model import C2S, FIN, ROLE_PAST_CAP, RST, S2C, CaptureSummary, Connection, Row
from .websocket.codes import BINARY, CLOSE, PING, PONG, TEXT, close_code_name, opcode_name

__all__ = ["StatsCollector", "conn_stats", "total_stats", "merge_totals", "GAP_WORTH_LISTING"]

SIDE = {C2S: "client", S2C: "server"}
OTHER = {C2S: S2C, S2C: C2S}
GAP_WORTH_LISTING = 1.0      # silences at least this long are listed
_KINDS = ("text", "binary", "ping", "pong", "close")


class _DirAcc:
    """One direction's numbers: messages and their bytes by kind (text and binary messages; ping, pong and
    close frames), data message bytes as sent, compressed messages' bytes sent and inflated, and the pings
    awaiting a pong ((payload, ts, no) each; None until the first). Numbers, not dicts: an open connection's
    two directions cost a few hundred bytes."""
    __slots__ = ("text_count", "text_bytes", "binary_count", "binary_bytes", "ping_count", "ping_bytes",
                 "pong_count", "pong_bytes", "close_count", "close_bytes", "wire", "comp_sent", "comp_inflated",
                 "pending")

    def __init__(self) -> None:
        self.text_count = self.text_bytes = self.binary_count = self.binary_bytes = 0
        self.ping_count = self.ping_bytes = self.pong_count = self.pong_bytes = 0
        self.close_count = self.close_bytes = 0
        self.wire = self.comp_sent = self.comp_inflated = 0
        self.pending = None

    def counts(self) -> dict:
        """{kind: {"count", "bytes"}} for the kinds of _KINDS, in that order (conn_stats)."""
        return {"text": {"count": self.text_count, "bytes": self.text_bytes},
                "binary": {"count": self.binary_count, "bytes": self.binary_bytes},
                "ping": {"count": self.ping_count, "bytes": self.ping_bytes},
                "pong": {"count": self.pong_count, "bytes": self.pong_bytes},
                "close": {"count": self.close_count, "bytes": self.close_bytes}}


class _ConnAcc:
    """What StatsCollector.row() keeps of one connection. The lists and dicts (round trips, gaps, notes by
    severity, subprotocol numbers) are None until their first entry; the largest message and the longest
    silence are numbers (largest_length -1: no message yet; gap_from -1: no silence yet)."""
    __slots__ = ("first_no", "last_no", "last_ts", "packets", "syn_ts", "syn_no", "request_ts", "request_no",
                 "response_ts", "response_no", "c2s", "s2c", "rtts", "gaps", "gap_seconds", "gap_from", "gap_to",
                 "largest_length", "largest_dir", "largest_opcode", "largest_first_no", "largest_last_no",
                 "largest_wire", "rst_by", "close_no", "fin_no", "notes", "app")

    def __init__(self, first_no: int = 0) -> None:
        self.first_no = first_no
        self.last_no = 0
        self.last_ts = 0.0           # of the last row counted (packets > 0)
        self.packets = 0
        # The packet (its number, -1: none yet; its time) of the SYN, the upgrade request and the 101: C numbers
        # where compiled, not a boxed number each per open connection.
        self.syn_no = self.request_no = self.response_no = -1
        self.syn_ts = self.request_ts = self.response_ts = 0.0
        self.c2s = _DirAcc()
        self.s2c = _DirAcc()
        self.rtts = None             # {"from", "ping_no", "pong_no", "rtt", "matched"} per answered ping
        self.gaps = None             # {"seconds", "from_no", "to_no"} per silence of GAP_WORTH_LISTING or more
        self.gap_seconds = 0.0       # the longest silence, rounded as listed
        self.gap_from = self.gap_to = -1
        self.largest_length = -1
        self.largest_dir = None
        self.largest_opcode = self.largest_first_no = self.largest_last_no = self.largest_wire = 0
        self.rst_by = None
        self.close_no = self.fin_no = -1       # the first Close frame's packet, the first FIN's (-1: none)
        self.notes = None            # severity -> notes of the connection
        # Subprotocol records (wsdissect/app), per protocol: [requests awaiting a reply, answers paired with one,
        # latency count, min, max, sum in whole microseconds]; None for a connection without a decoder.
        self.app = None

    def note(self, severity: str) -> None:
        notes = self.notes
        if notes is None:
            notes = self.notes = {}
        notes[severity] = notes.get(severity, 0) + 1


class StatsCollector:
    def __init__(self) -> None:
        self.acc: dict[int, _ConnAcc] = {}
        # Running totals of the connections folded into the summary's counts (Limits.summary_connections):
        # their stats are computed when they are folded and their accumulators dropped (see fold()).
        self.folded: Optional[_Totals] = None

    def fold(self, c: Connection) -> None:
        """Analyzer.on_fold: connection `c` is finished and its record about to be dropped; its numbers go
        into the running totals (total_stats starts from them) and its accumulator goes."""
        if self.folded is None:
            self.folded = _Totals()
        self.folded.add(conn_stats(c, self.acc.pop(c.id, None)))

    def end(self, notes: list) -> None:
        """Analyzer.finish()'s notes: those of a connection (what was left unfinished) count among its own."""
        for n in notes:
            a = self.acc.get(n.conn) if n.conn is not None else None
            if a is not None:
                a.note(n.severity)

    def row(self, row: Row, conn: Optional[Connection]) -> None:
        role = row.role
        if row.conn is None or role == ROLE_PAST_CAP:
            return
        no = row.no
        ts = row.ts
        a = self.acc.get(row.conn)
        if a is None:
            a = self.acc[row.conn] = _ConnAcc(no)
        a.packets += 1
        if a.packets > 1:
            gap = ts - a.last_ts
            if a.gap_from < 0 or gap > a.gap_seconds:
                a.gap_seconds, a.gap_from, a.gap_to = round(gap, 6), a.last_no, no
            if gap >= GAP_WORTH_LISTING:
                if a.gaps is None:
                    a.gaps = []
                a.gaps.append({"seconds": round(gap, 6), "from_no": a.last_no, "to_no": no})
        a.last_ts = ts
        a.last_no = no
        if role == "tcp-syn":
            if a.syn_no < 0:
                a.syn_ts, a.syn_no = ts, no
        elif role == "ws-upgrade-request":
            if a.request_no < 0:
                a.request_ts, a.request_no = ts, no
        elif role == "ws-upgrade-response":
            if a.response_no < 0 and conn is not None and conn.status == 101:
                a.response_ts, a.response_no = ts, no
        flags = row.flags
        if flags & (RST | FIN) and role != "tcp-retransmission":
            if flags & RST and a.rst_by is None:
                a.rst_by = SIDE.get(row.direction)
            if flags & FIN and a.fin_no < 0:
                a.fin_no = no
        notes = row.notes
        if notes:
            for n in notes:
                # A note is its connection's, which may not be the row's (the cap's note on the packet that
                # needed room is about the connection it finished).
                owner = a if n.conn == row.conn else self.acc.get(n.conn)
                if owner is not None:
                    owner.note(n.severity)
        frames = row.frames
        if frames:
            for f in frames:
                op = f.opcode
                if op == CLOSE or op == PING or op == PONG:
                    self._control(a, f, op, no, ts)
        messages = row.messages
        if messages:
            for m in messages:
                x = a.c2s if m.direction == C2S else a.s2c
                op = m.opcode
                length = m.length
                if op == TEXT:
                    x.text_count += 1
                    x.text_bytes += length
                elif op == BINARY:
                    x.binary_count += 1
                    x.binary_bytes += length
                x.wire += m.wire_length
                if m.compressed:
                    x.comp_sent += m.wire_length
                    x.comp_inflated += length
                if m.app is not None:
                    _count_app(a, m.app)
                if length > a.largest_length:
                    a.largest_length, a.largest_dir, a.largest_opcode = length, m.direction, op
                    a.largest_first_no, a.largest_last_no, a.largest_wire = m.first_no, m.last_no, m.wire_length

    def _control(self, a, f, op, no, ts):
        """A close, ping or pong frame: counted; a close's packet kept; a ping waits for its pong, and a pong
        takes the ping with its payload (else the oldest) as a round trip."""
        d = f.direction
        x = a.c2s if d == C2S else a.s2c
        if op == CLOSE:
            x.close_count += 1
            x.close_bytes += f.length
            if a.close_no < 0:
                a.close_no = no
        elif op == PING:
            x.ping_count += 1
            x.ping_bytes += f.length
            if x.pending is None:
                x.pending = []
            x.pending.append((f.payload, ts, no))
        else:
            x.pong_count += 1
            x.pong_bytes += f.length
            waiting = (a.s2c if d == C2S else a.c2s).pending
            if waiting:
                payload = f.payload
                match = next((i for i, p in enumerate(waiting) if p[0] == payload), None)
                how = "payload"
                if match is None:
                    match, how = 0, "next pong"
                _, ping_ts, ping_no = waiting.pop(match)
                if a.rtts is None:
                    a.rtts = []
                a.rtts.append({"from": SIDE[OTHER[d]], "ping_no": ping_no, "pong_no": no,
                               "rtt": round(ts - ping_ts, 6), "matched": how})


def _count_app(a: _ConnAcc, recs: list) -> None:
    if a.app is None:
        a.app = {}
    for r in recs:
        n = a.app.get(r.protocol)
        if n is None:
            n = a.app[r.protocol] = [0, 0, 0, None, None, 0]
            if r.protocol == "mqtt":
                n.append(_mqtt_figures())
        if r.reply_to is not None:
            _add_latency(n, r.latency)
        if r.awaits_reply:
            n[0] += 1
        if len(n) > 6:
            _count_mqtt(n[6], r)


# MQTT: publishes by topic and QoS (both directions: a client's publishes and the broker's deliveries), and the
# packet ids that awaited an acknowledgement and got none. Topics counted by name, per connection and in the
# totals (the others are added up as "other"); unacknowledged ids listed per connection (all are counted).
MQTT_STATS_TOPICS = 64
MQTT_STATS_IDS = 100
MQTT_STATS_WAITING = 4096     # ids kept per connection while they await their acknowledgement


def _mqtt_figures() -> dict:
    return {"topics": {}, "other": [0, 0, 0], "waiting": {}, "forgotten": 0}


def _count_mqtt(m: dict, r) -> None:
    f = r.fields
    pid = f.get("id")
    if r.reply_to is not None and pid is not None:
        m["waiting"].pop((r.reply_to, pid), None)
    if r.awaits_reply and pid is not None:
        w = m["waiting"]
        if len(w) >= MQTT_STATS_WAITING:          # a peer that never answers: counted, not kept
            m["forgotten"] += 1
        else:
            w[(r.no, pid)] = f.get("type")
    if r.kind == "publish" and f.get("qos") in (0, 1, 2):
        _add_topic(m, f.get("topic", ""), f["qos"], 1)


def _add_topic(m: dict, topic: str, qos: int, k: int) -> None:
    q = m["topics"].get(topic)
    if q is None:
        if len(m["topics"]) >= MQTT_STATS_TOPICS:
            m["other"][qos] += k
            return
        q = m["topics"][topic] = [0, 0, 0]
    q[qos] += k


def _mqtt_numbers(m: dict) -> dict:
    """The "mqtt" part of stats' app entry: `publishes` by topic, `unacknowledged` packet ids."""
    waiting = sorted(m["waiting"].items())
    out = {"publishes": [{"topic": t, "qos": list(q), "count": sum(q)} for t, q in sorted(m["topics"].items())]}
    if any(m["other"]):
        out["publishes_other"] = {"qos": list(m["other"]), "count": sum(m["other"])}
    out["unacknowledged"] = [{"id": pid, "type": kind, "no": no} for (no, pid), kind in waiting[:MQTT_STATS_IDS]]
    out["unacknowledged_total"] = len(waiting) + m["forgotten"]
    return out


def _mqtt_from(x: dict) -> dict:
    """_mqtt_figures from an app entry of conn_stats (the running totals keep counts, not ids)."""
    m = _mqtt_figures()
    for p in x.get("publishes", ()):
        for qos, k in enumerate(p["qos"]):
            if k:
                _add_topic(m, p["topic"], qos, k)
    other = x.get("publishes_other")
    if other:
        m["other"] = [a + b for a, b in zip(m["other"], other["qos"])]
    m["forgotten"] = x.get("unacknowledged_total", 0)
    return m


def _merge_mqtt(into: dict, m: dict) -> None:
    for topic, q in m["topics"].items():
        for qos, k in enumerate(q):
            if k:
                _add_topic(into, topic, qos, k)
    into["other"] = [a + b for a, b in zip(into["other"], m["other"])]
    into["forgotten"] += m["forgotten"] + len(m["waiting"])


def _add_latency(n: list, x: float) -> None:
    us = round(x * 1_000_000)
    n[1] += 1
    n[2] += 1
    n[3] = us if n[3] is None else min(n[3], us)
    n[4] = us if n[4] is None else max(n[4], us)
    n[5] += us


def _app_numbers(n: list) -> dict:
    """[requests, answered, count, min, max, sum (µs)] as stats' "app" entry of one protocol."""
    requests, answered, count, lo, hi, total = n[:6]
    out = {"requests": requests, "answered": answered, "unanswered": max(0, requests - answered),
           "latency": {"count": count, "min": _r(lo / 1e6), "mean": _r(total / count / 1e6), "max": _r(hi / 1e6),
                       "total": _r(total / 1e6)} if count else None}
    if len(n) > 6:
        out.update(_mqtt_numbers(n[6]))
    return out


def _no(n: int) -> Optional[int]:
    """A packet number of _ConnAcc, None for its -1 (no such packet)."""
    return None if n < 0 else n


def _r(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(x, 6)


def conn_stats(c: Connection, a: Optional[_ConnAcc]) -> dict:
    """One connection's numbers, JSON-ready ("type":"stats")."""
    if a is None:
        a = _ConnAcc(c.first_no)
    hs = {
        "syn_to_101": _r(a.response_ts - a.syn_ts) if a.response_no >= 0 and a.syn_no >= 0 else None,
        "request_to_101": _r(a.response_ts - a.request_ts) if a.response_no >= 0 and a.request_no >= 0 else None,
        "syn_no": _no(a.syn_no), "request_no": _no(a.request_no), "response_no": _no(a.response_no),
    }
    per_dir = {}
    for d, x in ((C2S, a.c2s), (S2C, a.s2c)):
        sent, inflated = x.comp_sent, x.comp_inflated
        per_dir[d] = {
            "messages": c.messages.get(d, 0), "frames": c.frames.get(d, 0), "tcp_bytes": c.bytes.get(d, 0),
            "message_bytes": x.text_bytes + x.binary_bytes, "message_wire_bytes": x.wire,
            **x.counts(),
            "compression": ({"sent": sent, "inflated": inflated, "ratio": round(sent / inflated, 4)}
                            if inflated else None),
        }
    return {
        "type": "stats", "conn": c.id, "client": str(c.client), "server": str(c.server),
        "websocket": c.is_websocket, "uri": c.uri, "extensions": c.extensions,
        "first_no": a.first_no, "last_no": a.last_no, "packets": a.packets,
        "start": c.first_ts, "duration": _r(c.last_ts - c.first_ts),
        "handshake": hs, "c2s": per_dir[C2S], "s2c": per_dir[S2C],
        "pings": a.rtts if a.rtts is not None else [],
        "unanswered_pings": {d: len(x.pending) if x.pending is not None else 0 for d, x in ((C2S, a.c2s), (S2C, a.s2c))},
        "largest_message": ({"length": a.largest_length, "dir": a.largest_dir,
                             "opcode_name": opcode_name(a.largest_opcode), "first_no": a.largest_first_no,
                             "last_no": a.largest_last_no, "wire_length": a.largest_wire}
                            if a.largest_length >= 0 else None),
        "close_code": c.close_code, "close_name": close_code_name(c.close_code) if c.close_code is not None else None,
        "close_reason": c.close_reason, "closed_by": c.closed_by, "close_no": _no(a.close_no),
        "end": c.end, "fin_by": c.fin_by, "fin_no": _no(a.fin_no), "rst_by": a.rst_by,
        "longest_gap": ({"seconds": a.gap_seconds, "from_no": a.gap_from, "to_no": a.gap_to}
                        if a.gap_from >= 0 else None),
        "gaps": a.gaps if a.gaps is not None else [], "notes": c.notes,
        "notes_by_severity": a.notes if a.notes is not None else {},
        **({"app": {k: _app_numbers(v) for k, v in sorted(a.app.items())}} if a.app is not None else {}),
        **({"tls": _tls_numbers(c.tls)} if c.tls is not None else {}),
    }


def _tls_numbers(tls: dict) -> dict:
    """A wss:// connection's TLS: version, cipher suite, server name, ALPN, decrypted or not, and the handshake
    latency (ClientHello to the server's Finished, or to the first application data: tls.TlsSession)."""
    return {k: tls.get(k) for k in ("version", "cipher", "sni", "alpn", "decrypted", "handshake_latency")}


class _Totals:
    """The sums total_stats reports, added up one connection's stats (conn_stats) at a time: the same for the
    connections listed and for those folded into the summary's counts, which are added as they fold."""

    def __init__(self) -> None:
        self.sums = {key: {C2S: 0, S2C: 0} for key in ("messages", "message_bytes", "tcp_bytes")}
        self.by_opcode = {k: {"count": 0, "bytes": 0} for k in _KINDS}
        # count, min, max, sum in whole microseconds (each rtt is rounded to them): a float sum would depend on
        # the order connections are added in, and a parallel read adds its workers' totals in another one
        self.rtt: list = [0, None, None, 0]
        self.closed_with_close_frame = 0
        self.ended_by = {"fin": 0, "rst": 0, "open": 0}
        self.app: dict = {}        # protocol -> [requests, answered, count, min, max, sum µs], as _ConnAcc.app
        # TLS (wss://): connections, decrypted ones, by version, by cipher suite; handshake latency as rtt
        self.tls = {"connections": 0, "decrypted": 0, "by_version": {}, "by_cipher": {}}
        self.tls_latency: list = [0, None, None, 0]

    def add(self, p: dict) -> None:
        tls = p.get("tls")
        if tls is not None:
            t = self.tls
            t["connections"] += 1
            t["decrypted"] += bool(tls["decrypted"])
            for key, name in (("by_version", tls["version"]), ("by_cipher", tls["cipher"])):
                name = name or "?"
                t[key][name] = t[key].get(name, 0) + 1
            if tls["handshake_latency"] is not None:
                _add_micro(self.tls_latency, tls["handshake_latency"])
        for proto, x in p.get("app", {}).items():
            _merge_app(self.app, proto, [x["requests"], x["answered"]] + (
                [x["latency"]["count"], round(x["latency"]["min"] * 1e6), round(x["latency"]["max"] * 1e6),
                 round(x["latency"]["total"] * 1e6)] if x["latency"] else [0, None, None, 0]) + (
                [_mqtt_from(x)] if "publishes" in x else []))
        for d in (C2S, S2C):
            for key, per_dir in self.sums.items():
                per_dir[d] += p[d][key]
            for k, c in self.by_opcode.items():
                c["count"] += p[d][k]["count"]
                c["bytes"] += p[d][k]["bytes"]
        for r in p["pings"]:
            _add_micro(self.rtt, r["rtt"])
        if p["close_code"] is not None or p["closed_by"]:
            self.closed_with_close_frame += 1
        end = {"fin": "fin", "rst": "rst", None: "open"}.get(p["end"])
        if end is not None:
            self.ended_by[end] += 1


def _merge_app(into: dict, proto: str, n: list) -> None:
    o = into.get(proto)
    if o is None:
        into[proto] = o = list(n[:6])
        if len(n) > 6:
            o.append(_mqtt_figures())
            _merge_mqtt(o[6], n[6])
        return
    if len(n) > 6:
        if len(o) == 6:
            o.append(_mqtt_figures())
        _merge_mqtt(o[6], n[6])
    o[0] += n[0]
    o[1] += n[1]
    _merge_micro(o, n, 2)


def _add_micro(acc: list, x: float) -> None:
    """count, min, max, sum in whole microseconds (order-free, as _Totals.rtt)."""
    acc[0] += 1
    acc[1] = x if acc[1] is None else min(acc[1], x)
    acc[2] = x if acc[2] is None else max(acc[2], x)
    acc[3] += round(x * 1_000_000)


def _merge_micro(acc: list, part: list, at: int = 0) -> None:
    """Add `part`'s count, min, max, sum (as _add_micro keeps them, from index `at` of each list) into `acc`'s."""
    acc[at] += part[at]
    acc[at + 3] += part[at + 3]
    if part[at + 1] is not None:
        acc[at + 1] = part[at + 1] if acc[at + 1] is None else min(acc[at + 1], part[at + 1])
        acc[at + 2] = part[at + 2] if acc[at + 2] is None else max(acc[at + 2], part[at + 2])


def _micro_figures(acc: list) -> Optional[dict]:
    """count, min, max and mean (seconds) of a _add_micro accumulator; None when it counted nothing."""
    n, lo, hi, total = acc
    return {"count": n, "min": lo, "max": hi, "mean": _r(total / n / 1_000_000)} if n else None


def merge_totals(parts: list) -> Optional[_Totals]:
    """The running totals of several parallel workers (wsdissect/parallel.py) as one: None when none folded."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    out = _Totals()
    for t in parts:
        for key, per_dir in t.sums.items():
            for d in (C2S, S2C):
                out.sums[key][d] += per_dir[d]
        for k, c in t.by_opcode.items():
            out.by_opcode[k]["count"] += c["count"]
            out.by_opcode[k]["bytes"] += c["bytes"]
        _merge_micro(out.rtt, t.rtt)
        out.closed_with_close_frame += t.closed_with_close_frame
        for proto, n in t.app.items():
            _merge_app(out.app, proto, n)
        for key in ("connections", "decrypted"):
            out.tls[key] += t.tls[key]
        for key in ("by_version", "by_cipher"):
            for name, k in t.tls[key].items():
                out.tls[key][name] = out.tls[key].get(name, 0) + k
        _merge_micro(out.tls_latency, t.tls_latency)
        for end, n in t.ended_by.items():
            out.ended_by[end] += n
    return out


def total_stats(s: CaptureSummary, per_conn: list, folded: Optional[_Totals] = None) -> dict:
    """The capture's totals: the listed connections' stats (`per_conn`) added to StatsCollector.folded, the
    running totals of the connections folded into the summary's counts (if any)."""
    t = copy.deepcopy(folded) if folded is not None else _Totals()
    for p in per_conn:
        t.add(p)
    ws_folded = s.folded.websocket if s.folded is not None else 0
    tot = {"type": "stats-total", "packets": s.packets, "tcp_packets": s.tcp_packets,
           "other_packets": s.other_packets, "malformed": s.malformed,
           "duration": _r(s.last_ts - s.first_ts) if s.first_ts is not None else None,
           "connections": s.connection_count(),
           "websocket_connections": sum(1 for c in s.connections if c.is_websocket) + ws_folded}
    tot.update(t.sums)
    tot["by_opcode"] = t.by_opcode
    tot["ping_rtt"] = _micro_figures(t.rtt)
    if t.app:
        tot["app"] = {k: _app_numbers(v) for k, v in sorted(t.app.items())}
    if t.tls["connections"]:
        tot["tls"] = {"connections": t.tls["connections"], "decrypted": t.tls["decrypted"],
                      "by_version": dict(sorted(t.tls["by_version"].items())),
                      "by_cipher": dict(sorted(t.tls["by_cipher"].items())),
                      "handshake_latency": _micro_figures(t.tls_latency)}
    tot["closed_with_close_frame"] = t.closed_with_close_frame
    tot["ended_by"] = t.ended_by
    tot["notes"] = sum(s.notes_by_severity.values())
    tot["notes_by_severity"] = dict(s.notes_by_severity)
    if s.folded is not None:
        # Connections in these totals without a "stats" object of their own (--max-summary-connections).
        tot["counted_only"] = {"connections": s.folded.connections, "websocket_connections": ws_folded}
    # The caps reached: the summary's notes (render/words.limits_reached puts them in words; stats --json, data
    # in every language, writes their English sentences).
    tot["caps"] = list(s.caps)
    if s.past_cap_packets:
        tot["past_cap_packets"] = s.past_cap_packets
    return tot
