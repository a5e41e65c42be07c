# cython: annotation_typing=False
"""The analysis core: raw packets in, one explained Row per packet out (sans-IO).

`Analyzer.feed(raw)` decodes a packet, tracks its TCP connection, hands the in-order stream bytes to the HTTP
parser until the WebSocket handshake is done and to the frame parser after it, and returns the packet's Row:
its role in the conversation, its Label (what it did, worded by the views) and tshark-like Info (both from
roles.py), the frames and messages the packet completed and the notes it raised. `finish()` ends the capture.

Both `read` (files) and `live` (sniffing) drive this same object.
"""
from __future__ import annotations

import sys
from typing import Callable, Iterable, Optional

from .decode import DecodeError, SnaplenCut, decode_packet
from .i18n import note_text
from .http import HttpError, HttpRequest, HttpResponse, HttpStream, check_handshake, parse_deflate_params, \
    parse_extensions
from .limits import DEFAULT_LIMITS, Limits
from .model import C2S, S2C, SYN, CaptureSummary, Connection, Endpoint, FoldedConnections, Frame, \
    Label, Message, Note, RawPacket, Row, SECRETS_TLS, Secrets, new_row
from .tls import KeyLog, TlsRecord, TlsSession, looks_like_client_hello, parse_keylog
from .tcp import K_KEEPALIVE, K_PAST_CAP, K_RETRANSMISSION, TcpConnection, TcpResult, Tracker
from .websocket.messages import WebSocketDirection
from .connstate import M_HTTP, M_OPAQUE, M_WAIT, M_WS, OTHER, SIDE, ConnState, plus
from .roles import Roles, tcp_info
from . import app as _app
from .app.sniff import PROTOCOLS as SNIFFED, Sniffer
from .websocket.codes import CLOSE, PING, PONG

HTTP_START = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"CONNECT ", b"HTTP/")

# Notes that mean a named cap of limits.py was reached; each also becomes a line of the summary.
CAP_NOTE_CODES = frozenset({"cap-reorder", "cap-connections", "frame-truncated", "message-truncated",
                            "http-header-too-large", "app-pending-cap",
                            "mqtt-packet-cap"})

# The pattern of a WebSocket library's automatic keepalive ping (the `websockets` library: every 20 s from the
# opening, 4 random bytes of payload): a ping whose payload is KEEPALIVE_PAYLOAD bytes, not all printable text,
# that comes at least KEEPALIVE_MIN_INTERVAL s after the previous such ping of its side (the first: after the
# connection began) and after the last data, and, from the second on, at the interval of the one before
# (within KEEPALIVE_TOLERANCE of it, or 0.5 s). A 4-byte pong answering it is part of it.
KEEPALIVE_PAYLOAD = 4
KEEPALIVE_MIN_INTERVAL = 1.0
KEEPALIVE_TOLERANCE = 0.1


class Analyzer:
    def __init__(self, limits: Limits = DEFAULT_LIMITS, decode_as: Iterable[int] = (), labels: bool = True,
                 subprotocol: Optional[str] = None, keylog: Optional[KeyLog] = None, app_spans: bool = False) -> None:
        """The analyzer speaks no language: roles, labels (model.Label, worded by the views: render/labels.py),
        notes (a code and args, worded by the views: i18n.note_text) and the Connection records are what every
        view, in every language, puts in words.

        labels=False is for consumers that never show a row's sentence (`stats`): Row.label is left None and
        Row.info "" (but for a malformed packet's row) and everything else (roles, protocol, frames, messages,
        notes, the summary) is the same.

        subprotocol (--subprotocol) names the decoder of app/ used for every WebSocket connection, whatever
        its handshake negotiated; None: each connection's negotiated Sec-WebSocket-Protocol chooses.

        app_spans=True makes the decoders say where each field lies in its message (AppRecord.spans), for the
        views that mark bytes (show, the lab page); off, they do no such work."""
        self.limits = limits
        self.keylog = keylog                                  # TLS secrets (tls.KeyLog), None: none given
        self._labels = labels
        self._roles = Roles(labels)                           # each packet's role, Label and Info
        self.decode_as = frozenset(decode_as)
        self.subprotocol = subprotocol
        self.app_spans = app_spans
        self.tracker = Tracker(limits, server_ports=self.decode_as)
        self.summary = CaptureSummary()
        self.connections: dict[int, Connection] = {}
        self._finished = False
        # Frames and messages completed only at the end of the capture (or when a connection is evicted):
        # data held behind a hole that no ACK declared missing. No packet row is left to list them on, and
        # finish() returns notes only, so they are kept here rather than dropped; their `no` is the packet that
        # carried their last byte.
        self.end_frames: list[Frame] = []
        self._released_notes: list[Note] = []   # from connections finished early (_release)
        self.end_messages: list[Message] = []
        # Limits.summary_connections: a finished connection numbered this or more is folded into
        # summary.folded and its record dropped; `on_fold(record)`, when set, hears of each just before.
        keep = limits.summary_connections
        self._summary_keep = sys.maxsize if keep is None else max(0, keep)
        self.on_fold: Optional[Callable[[Connection], None]] = None
        # `on_finish(record)`, when set, hears of every connection finished while the capture is read (released
        # after tcp.LINGER_PACKETS, or evicted): a view that draws connection by connection can draw it then.
        self.on_finish: Optional[Callable[[Connection], None]] = None

    def add_secrets(self, sec: Secrets) -> None:
        """The key log text of a Decryption Secrets Block, added to the key log (as if given with --keylog): the
        TLS connections whose ServerHello comes later look their keys up there. Other secrets types are skipped;
        so are lines that are no key log lines."""
        if sec.kind != SECRETS_TLS:
            return
        if self.keylog is None:
            self.keylog = KeyLog()
            for tc in self.tracker.conns.values():     # TLS connections begun before the block: theirs too
                st = tc.extra
                if st is not None and st.tls is not None and st.tls.keylog is None:
                    st.tls.keylog = self.keylog
        parse_keylog(sec.data.decode("utf-8", "replace"), self.keylog)

    # -- per packet ------------------------------------------------------------------------------------------
    def feed(self, raw: RawPacket) -> Optional[Row]:
        """The Row for this packet, or None for a packet that is not TCP (counted in the summary). A
        `model.Secrets` record (a pcapng Decryption Secrets Block) adds its TLS key log to the analyzer's and is
        not a packet: None."""
        if type(raw) is Secrets:
            self.add_secrets(raw)
            return None
        return self._packet(raw)

    def _packet(self, raw: RawPacket) -> Optional[Row]:
        """feed() for a packet (compiled: a C method, its locals C types)."""
        s = self.summary
        s.packets += 1
        if s.first_ts is None:
            s.first_ts = raw.ts
        s.last_ts = raw.ts
        try:
            seg = decode_packet(raw)
        except DecodeError as e:
            s.malformed += 1
            if type(e) is SnaplenCut:
                self._snaplen_cut(raw)
            return self._malformed_row(raw, "packet", str(e))
        if seg is None:
            s.other_packets += 1
            return None
        s.tcp_packets += 1
        if seg.cut:
            self._snaplen_cut(raw)
        if not raw.no & 255 and self.tracker.finished:
            self._release(raw.no)
        try:
            return self._segment(seg)
        except Exception as e:  # noqa: BLE001 -- one bad packet must never stop the analysis
            return self._malformed_row(raw, "internal", f"{type(e).__name__}: {e}")

    def _snaplen_cut(self, raw: RawPacket) -> None:
        """Count a TCP packet the capture's snaplen cut (the summary's note, once per capture)."""
        s = self.summary
        s.snaplen_cut += 1
        if len(raw.data) > s.snaplen_kept:
            s.snaplen_kept = len(raw.data)

    def _release(self, no: int) -> None:
        """Memory flat in the capture's length: connections done for a while (tcp.LINGER_PACKETS)
        leave the tracker and are finished as the end of the capture would finish them, so their buffers,
        parsers and inflaters go; only the light Connection record stays, for the summary. What finishing
        them reports comes out with the end-of-capture notes."""
        for tc in self.tracker.release(no):
            self._released_notes.extend(self._finish_conn(tc))

    def _malformed_row(self, raw: RawPacket, variant: str, error: str) -> Row:
        """The row of a packet that could not be decoded ("packet": DecodeError) or analysed ("internal")."""
        args = {"variant": variant, "error": error}
        note = Note(raw.no, None, "error", "malformed", args)
        self._count_note(note)
        return Row(raw.no, raw.ts, None, None, "?", "?", 0, 0, 0, 0, raw.wirelen, 0, "malformed",
                   Label("malformed." + variant, None, (error,)), note_text("malformed", args),
                   protocol="?", notes=[note])

    def _segment(self, seg) -> Row:
        r = self.tracker.feed(seg)
        if r.kind is K_PAST_CAP:
            return self._past_cap_row(seg, r)
        evicted_notes = [n for old in r.evicted for n in self._finish_conn(old, evicted=old.capped)] \
            if r.evicted else ()
        tc = r.conn
        if r.new:
            self._open(tc, seg)
        st: ConnState = tc.extra
        rec = st.rec
        d = r.direction
        rec.last_ts = seg.ts
        plen = len(seg.payload) + seg.missing
        fresh = r.kind not in (K_RETRANSMISSION, K_KEEPALIVE)     # new stream bytes, if any
        if plen and fresh:
            if d == C2S:
                rec.bytes_c2s += plen
            else:
                rec.bytes_s2c += plen
        if d == C2S:
            src, dst = st.src, st.dst
        else:
            src, dst = st.dst, st.src
        row = new_row(seg.no, seg.ts, tc.id, d, src, dst, seg.flags, r.rel_seq, r.rel_ack, plen, seg.frame_len,
                      r.window, r.kind)
        for sev, code, args in r.notes:
            self._note(row, tc, sev, code, args)
        for note in evicted_notes:
            if note.conn is None:
                # About the capture, not this connection (the summary's cap reached): with the notes of the end.
                self._released_notes.append(note)
                continue
            # A connection finished early to make room is reported on the packet that needed the room.
            note.no = row.no
            row.notes.append(note)

        http_recs: list = []
        if r.peer_delivered:
            # The other direction's bytes, freed because this segment ACKed past a hole in that stream. They
            # belong to that direction's parsers; what they complete is listed on this row (the packet whose
            # arrival completed it) but does not name this row's role, hence no http_recs.
            self._deliver(tc, st, OTHER[d], r.peer_delivered, row, [])
        if r.delivered:
            self._deliver(tc, st, d, r.delivered, row, http_recs)
        if plen and fresh and len(row.frames) == 1:
            self._keepalive(st, d, row.frames[0], seg.ts)
        why = self._roles.label(st, r, seg, row, http_recs)
        if why is not None:
            self._note(row, tc, "warning", "close-without-close-frame", why)
        st.close_first = None        # labelled: the frame is the row's now, not the connection's to keep
        if plen and fresh:
            if row.role == "ws-control":
                st.last_control_ts = seg.ts
            else:
                st.last_payload_ts = seg.ts
        return row

    def _keepalive(self, st: ConnState, d: str, f: Frame, ts: float) -> None:
        """Sets st.keepalive_ts to `ts` when this packet's one frame is a ping with the pattern of a library's
        automatic keepalive (KEEPALIVE_*), or the pong answering one."""
        if f.length != KEEPALIVE_PAYLOAD or f.direction != d or f.opcode not in (PING, PONG):
            return
        if f.opcode == PONG:
            if st.keepalive_side == OTHER[d] and st.keepalive_ts == st.last_control_ts:
                st.keepalive_ts = ts
            return
        if f.payload is None or len(f.payload) != KEEPALIVE_PAYLOAD or all(32 <= b < 127 for b in f.payload):
            return           # not all there, or a word someone chose ("ping"): not the random bytes of a timer
        if st.keepalive is None:
            st.keepalive = {}
        last = st.keepalive.get(d)
        interval = ts - (last[0] if last is not None else st.rec.first_ts)
        st.keepalive[d] = (ts, interval)
        regular = last is None or abs(interval - last[1]) <= max(0.5, KEEPALIVE_TOLERANCE * last[1])
        quiet = st.last_payload_ts is None or ts - st.last_payload_ts >= KEEPALIVE_MIN_INTERVAL
        if interval >= KEEPALIVE_MIN_INTERVAL and regular and quiet:
            st.keepalive_ts, st.keepalive_side = ts, d

    def _conn_ref(self, cid: int):
        """A connection's number as a sentence names it (a worker of a parallel read names it so that the number
        the whole capture gives it can be put in later: parallel.ShardAnalyzer)."""
        return cid

    def _past_cap_row(self, seg, r: TcpResult) -> Row:
        """A packet of a connection dropped at Limits.max_connections: counted against that connection, not
        analysed (its state is gone; taking it for a new connection would start one mid-stream). The first such
        packet of each dropped connection carries a note."""
        dropped = r.dropped
        self.summary.past_cap_packets += 1
        d = r.direction
        src, dst = str(Endpoint(seg.src, seg.sport)), str(Endpoint(seg.dst, seg.dport))
        label = Label("tcp.past_cap", d, (self._conn_ref(dropped.id),)) if self._labels else None
        row = Row(seg.no, seg.ts, dropped.id, d, src, dst, seg.flags, r.rel_seq, r.rel_ack,
                  len(seg.payload) + seg.missing, seg.frame_len, r.window, K_PAST_CAP, label, "")
        row.info = tcp_info(row)
        if dropped.packets == 1:
            args = {"conn": self._conn_ref(dropped.id), "max": self.limits.max_connections}
            note = Note(seg.no, dropped.id, "warning", "past-cap", args)
            row.notes.append(note)
            self._count_note(note)
        return row

    def _open(self, tc: TcpConnection, seg) -> None:
        rec = Connection(tc.id, tc.client, tc.server, seg.no, seg.ts, seg.ts, bool(seg.flags & SYN))
        tc.extra = ConnState(rec)
        self.connections[tc.id] = rec
        self.summary.connections_total += 1
        if tc.id < self._summary_keep:
            self.summary.connections.append(rec)

    # -- stream bytes ----------------------------------------------------------------------------------------
    def _deliver(self, tc: TcpConnection, st: ConnState, d: str, chunks: list, row: Row, http_recs: list) -> None:
        tls = st.tls
        if tls is None:
            first = chunks[0][1]
            if d != C2S or st.mode_c2s != M_HTTP or st.http_c2s is not None or type(first) is int \
                    or not looks_like_client_hello(first):
                self._deliver_plain(tc, st, d, chunks, row, http_recs)
                return
            # A stream that opens with a ClientHello: TLS on any port. Its records are framed (and decrypted with
            # a key of the key log) here; the application data goes on to the parsers of a cleartext stream.
            tls = st.tls = TlsSession(self.keylog)
        for origin, data in chunks:
            events = tls.gap(d, data) if type(data) is int else tls.feed(d, data, origin, row.ts)
            for ev in events:
                if type(ev) is TlsRecord:
                    if row.tls:
                        row.tls.append(ev)
                    else:
                        row.tls = [ev]
                    if ev.data and not tls.h2:       # HTTP/2 (RFC 8441's WebSocket) is not decoded
                        self._deliver_plain(tc, st, d, [(ev.no, ev.data)], row, http_recs)
                else:
                    self._note(row, tc, ev[0], ev[1], ev[2])
        st.rec.tls = tls.summary()

    def _deliver_plain(self, tc: TcpConnection, st: ConnState, d: str, chunks: list, row: Row,
                       http_recs: list) -> None:
        for origin, data in chunks:
            gap = type(data) is int
            mode = st.mode_c2s if d == C2S else st.mode_s2c
            if mode == M_HTTP and self.decode_as and d not in st.decided:
                st.decided = plus(st.decided, d)
                if tc.server.port in self.decode_as and not (not gap and data.startswith(HTTP_START)):
                    self._start_ws(tc, st, None, row, forced=True)
                    mode = st.mode(d)
            if mode == M_HTTP:
                self._feed_http(tc, st, d, origin, data, row, http_recs)
            elif mode == M_WAIT:
                st.waiting.append((origin, data))
            elif mode == M_WS:
                ws = st.ws_c2s if d == C2S else st.ws_s2c
                recs = ws.gap(data, origin) if gap else ws.feed(data, origin)
                if recs:         # not when the chunk only carried on a long payload
                    self._ws_records(tc, st, d, recs, row)

    def _feed_http(self, tc: TcpConnection, st: ConnState, d: str, origin: int, data, row: Row,
                   http_recs: list) -> None:
        stream = st.http_c2s if d == C2S else st.http_s2c
        if stream is None:
            if d == C2S:
                stream = st.http_c2s = HttpStream("request", self.limits.max_header)
            else:
                stream = st.http_s2c = HttpStream("response", self.limits.max_header)
        recs = stream.gap(data) if type(data) is int else stream.feed(data)
        for rec in recs:
            http_recs.append(rec)
            if type(rec) is HttpError:
                st.set_mode(d, M_OPAQUE)
                if rec.code != "not-http":
                    self._note(row, tc, "warning", f"http-{rec.code}", rec.args)
                elif rec.offset == 0 and not st.hinted and not st.rec.is_websocket:
                    # The stream never was HTTP: say what a reader can do about it, once per connection.
                    st.hinted = True
                    if rec.data[:1] in (b"\x16", b"\x17") and rec.data[1:2] == b"\x03":
                        self._note(row, tc, "note", "tls", {"port": tc.server.port})
                    else:
                        self._note(row, tc, "note", "no-handshake", {"port": tc.server.port})
            elif type(rec) is HttpRequest:
                req = rec
                if req._upgrade():
                    st.request = req
                    r = st.rec
                    # Values that repeat from connection to connection are kept once (_word): a record stays
                    # in memory as long as its connection is open.
                    r.method, r.uri, r.host = _word(req.method), _word(req.target), _word(req.get("Host"))
                    r.origin, r.ws_version, r.key = _word(req.get("Origin")), \
                        _word(req.get("Sec-WebSocket-Version")), req.get("Sec-WebSocket-Key")
                    r.offered_extensions = _word(req.get("Sec-WebSocket-Extensions"))
                    r.offered_subprotocols = _word(req.get("Sec-WebSocket-Protocol"))
                    if stream.paused:
                        st.set_mode(d, M_WAIT)
                        rest = stream.take_rest()
                        if st.waiting is None:
                            st.waiting = []
                        if rest:
                            st.waiting.append((origin, rest))
                else:
                    st.plain_pending += 1
                    st.plain_last = req
            elif type(rec) is HttpResponse:
                more = self._response(tc, st, rec, origin, row)
                if more:
                    recs.extend(more)        # what the response stream holds after a 101 that switched nothing

    def _response(self, tc: TcpConnection, st: ConnState, resp: HttpResponse, origin: int, row: Row) -> list:
        """Judge a response; [] or, after a 101 that switches nothing, the HTTP records of the bytes behind it."""
        req = st.request
        if req is None:
            if resp.status != 101:
                if resp.status >= 200 and st.plain_pending:
                    st.plain_pending -= 1
                return []
            if st.plain_pending:
                # The 101 answers a captured request that asked for no WebSocket (a POST, a plain GET): a server
                # must not switch to a protocol the request did not name (RFC 9110 7.8). Nothing switches: the
                # connection goes on as HTTP.
                st.plain_pending -= 1
                self._note(row, tc, "error", "upgrade-not-requested",
                           {"request": st.plain_last.summary(), "status": f"{resp.status} {resp.reason}".rstrip()})
                return st.http_s2c.resume()
        r = st.rec
        r.status = resp.status
        if req is not None:
            hs = check_handshake(req, resp)
            for sev, code, args in hs.notes:
                self._note(row, tc, sev, code, args)
            r.expected_accept, r.accept_ok = hs.expected_accept, hs.accept_ok
            r.accept = hs.expected_accept if hs.accept_ok else hs.accept      # the same text: kept once
            r.subprotocol, r.extensions, r.deflate = _word(hs.subprotocol), _word(hs.extensions), hs.deflate
            accepted = hs.accepted
        else:
            # The capture began after the request: take the 101 at its word.
            r.accept = resp.get("Sec-WebSocket-Accept")
            r.subprotocol, r.extensions = resp.get("Sec-WebSocket-Protocol"), resp.get("Sec-WebSocket-Extensions")
            r.deflate = _deflate_from(r.extensions)
            accepted = True
            self._note(row, tc, "note", "request-not-captured", {})
        st.request = None
        if resp.status == 101 and accepted:
            self._start_ws(tc, st, r.deflate, row)
            rest = st.http_s2c.take_rest()
            st.http_c2s = st.http_s2c = None     # framing from here on: the parsers and their buffers go
            if rest:
                self._ws_records(tc, st, S2C, st.ws_s2c.feed(rest, origin), row)
        else:
            # Refused (or a broken 101): no frames follow; the client side goes on as HTTP.
            st.mode_c2s = M_HTTP
            http_c = st.http_c2s
            if http_c is not None:
                http_c.resume()
            waiting, st.waiting = st.waiting, None
            if waiting:
                for o, data in waiting:
                    self._feed_http(tc, st, C2S, o, data, row, [])
            # A broken 101 paused the response stream as any 101 does: it goes on as HTTP too.
            return st.http_s2c.resume()
        return []

    def _start_ws(self, tc: TcpConnection, st: ConnState, deflate, row: Row, forced: bool = False) -> None:
        r = st.rec
        r.is_websocket = True
        r.decode_as = forced
        st.ws_c2s = WebSocketDirection(C2S, deflate=deflate, limits=self.limits)
        st.ws_s2c = WebSocketDirection(S2C, deflate=deflate, limits=self.limits)
        st.mode_c2s = st.mode_s2c = M_WS
        st.app = _app.make(_app.choose(self.subprotocol, r.subprotocol, r.uri), self.app_spans)
        r.decoder = st.app.name if st.app is not None else None
        if st.app is None:
            st.app = Sniffer()           # a guess from the first messages (app/sniff.py)
        if forced:
            self._note(row, tc, "note", "decode-as", {"port": tc.server.port})
        waiting, st.waiting = st.waiting, None
        for origin, data in waiting or ():
            ws = st.ws_c2s
            recs = ws.gap(data, origin) if type(data) is int else ws.feed(data, origin)
            self._ws_records(tc, st, C2S, recs, row)

    def _ws_records(self, tc: TcpConnection, st: ConnState, d: str, recs: list, row: Row) -> None:
        r = st.rec
        for rec in recs:
            t = type(rec)
            if t is Frame:
                f = rec
                if row.no:           # the end-of-capture pseudo-row (no 0) keeps the parser's packet number
                    f.no = row.no
                f.conn = tc.id
                row.frames.append(f)
                if d == C2S:
                    r.frames_c2s += 1
                else:
                    r.frames_s2c += 1
                if f.opcode == CLOSE and d not in st.close_sent:
                    st.close_sent = plus(st.close_sent, d)
                    st.close_first = f
                    if r.closed_by is None:
                        r.closed_by = SIDE[d]
                        r.close_code, r.close_reason = f.close_code, f.close_reason
                        r.state = "closing"
                    elif OTHER[d] in st.close_sent:
                        r.state = "closed"
            elif t is Message:
                m = rec
                m.conn = tc.id
                if row.no:           # listed where it completed, like its last frame (reassembly reorders)
                    m.last_no = row.no
                row.messages.append(m)
                if d == C2S:
                    r.messages_c2s += 1
                else:
                    r.messages_s2c += 1
                app = st.app
                if app is not None:
                    if type(app) is Sniffer:
                        guess = app.look(rec)
                        if guess is not None:
                            self._note(row, tc, "note", "app-guess",
                                       {"protocol": SNIFFED[guess], "name": guess})
                        if app.done:
                            st.app = None
                    else:
                        rec.app = recs_app = app.feed(rec, row.ts if row.no else tc.last_ts)
                        for a in recs_app:
                            for n in a.notes:
                                self._note(row, tc, n.severity, n.code, n.args)
            else:
                self._note(row, tc, rec.severity, rec.code, rec.args)

    # -- notes -----------------------------------------------------------------------------------------------
    def _note(self, row: Row, tc: TcpConnection, severity: str, code: str, args: dict) -> None:
        """Every note of a connection passes here: a code and `args`, the parameters of its sentence in the
        catalog (model.Note); the views put it in words."""
        note = Note(row.no, tc.id, severity, code, args)
        row.notes.append(note)
        tc.extra.rec.notes += 1
        self._count_note(note)

    def _count_note(self, note: Note) -> None:
        s = self.summary
        s.notes_by_code[note.code] = s.notes_by_code.get(note.code, 0) + 1
        s.notes_by_severity[note.severity] = s.notes_by_severity.get(note.severity, 0) + 1
        if note.code in CAP_NOTE_CODES and s.notes_by_code[note.code] == 1:
            # The first of each: a capture of big messages can hit a cap a million times (notes_by_code counts).
            s.caps.append(note)

    # -- end -------------------------------------------------------------------------------------------------
    def finish(self) -> list[Note]:
        """End of capture: flush buffered stream data and report what was left unfinished. Frames and messages
        this completes are appended to `end_frames` / `end_messages`."""
        if self._finished:
            return []
        self._finished = True
        notes: list[Note] = self._released_notes
        self._released_notes = []
        for tc in list(self.tracker.conns.values()):
            notes.extend(self._finish_conn(tc))
        return notes

    def _finish_conn(self, tc: TcpConnection, evicted: bool = False) -> list[Note]:
        st: ConnState = tc.extra
        if st is None:
            return []
        tail = Row(0, 0.0, tc.id, None, "", "", 0, 0, 0, 0, 0, 0, "", None, "")
        for d, chunks in self.tracker.finish_connection(tc).items():
            if chunks:
                tail.direction = d
                self._deliver(tc, st, d, chunks, tail, [])
        for d in (C2S, S2C):
            ws = st.ws(d)
            if ws is not None:
                self._ws_records(tc, st, d, ws.finish(), tail)
        if st.app is not None and type(st.app) is not Sniffer:
            for n in st.app.finish():             # what the decoder still awaited (a request, a packet's rest)
                self._note(tail, tc, n.severity, n.code, n.args)
        if evicted:
            self._note(tail, tc, "warning", "cap-connections",
                       {"max": self.limits.max_connections, "conn": self._conn_ref(tc.id)})
        self.end_frames.extend(tail.frames)
        self.end_messages.extend(tail.messages)
        notes = tail.notes
        for n in notes:
            if n.no == 0:
                n.no = None
        tc.extra = None
        if self.on_finish is not None and not self._finished:
            self.on_finish(st.rec)
        if tc.id >= self._summary_keep:
            self._fold(st.rec, notes)
        return notes

    def _fold(self, rec: Connection, notes: list) -> None:
        """A finished connection past Limits.summary_connections: counted in summary.folded, its record handed
        to on_fold and dropped (memory follows the open connections, not the capture's length)."""
        s = self.summary
        if s.folded is None:
            s.folded = FoldedConnections(self._summary_keep)
            keep = self._summary_keep
            note = Note(None, None, "note", "cap-summary-connections", {"max": keep})
            self._count_note(note)
            s.caps.append(note)
            notes.append(note)
        s.folded.add(rec)
        self.connections.pop(rec.id, None)
        if self.on_fold is not None:
            self.on_fold(rec)


_words: dict = {}              # a text of a connection record -> the one object kept for it (_word)
_WORDS_KEPT = 4096             # cleared when full: a value seen again is then kept again, once more


def _word(s: Optional[str]) -> Optional[str]:
    """`s`, or an equal string kept before: a Host, a subprotocol... repeat on connection after connection, and
    each open connection's record would otherwise hold its own copy."""
    if s is None:
        return None
    kept = _words.get(s)
    if kept is None:
        if len(_words) >= _WORDS_KEPT:
            _words.clear()
        _words[s] = kept = s
    return kept


def _deflate_from(ext: Optional[str]):
    if not ext:
        return None
    try:
        for name, params in parse_extensions(ext):
            if name.lower() == "permessage-deflate":
                return parse_deflate_params(params)[0]
    except ValueError:
        return None
    return None
