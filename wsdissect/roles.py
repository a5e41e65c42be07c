# cython: annotation_typing=False
"""What each packet did: its role (README, "Roles"), its Label (the sentence a view words: render/labels.py) and
its Info (tshark's protocol words, the same in every language), decided from the packet's TCP kind, what its
bytes completed and the connection's state. Sans-IO: the analyzer hands each packet's facts to `Roles.label`.

Role vocabulary: filters.ROLES. TCP kinds come from tcp.K_*; a data segment is refined by what it completed
(`Roles._content`, `_frames_label`, `_tls_content`)."""
from __future__ import annotations

from typing import Optional

from . import app as _app
from .connstate import M_HTTP, M_WAIT, M_WS, OTHER, SIDE, ConnState, plus
from .http import HttpRequest, HttpResponse
from .model import ACK, C2S, FIN, SYN, Frame, Label, Row, flag_names
from .tcp import (K_ACK, K_DATA, K_DUP_ACK, K_FIN, K_HANDSHAKE_ACK, K_KEEPALIVE, K_RETRANSMISSION, K_RST, K_SYN,
                  K_SYN_ACK, K_WINDOW_UPDATE, TcpResult)
from .tls.handshake import MESSAGE_NAMES
from .websocket.codes import CLOSE, CONTINUATION, PING, PONG

# A silence this long before a FIN is worth pointing out: it is what an idle timeout looks like.
IDLE_WORTH_SAYING = 1.0


class Roles:
    """The role, Label and Info of each packet of the connections one analyzer follows. labels=False (for
    consumers that never show a row's sentence: stats, follow) sets the role only: Row.label stays None and
    Row.info "" (what the packet did to the connection's state is the same)."""

    def __init__(self, labels: bool = True) -> None:
        self.labels = labels
        self._frame_names: dict = {}                          # for _short_name
        # Labels with no facts of their own, one per code and direction (_sided).
        self._sided_c2s: dict = {}
        self._sided_s2c: dict = {}

    def label(self, st: ConnState, r: TcpResult, seg, row: Row, http_recs: list) -> Optional[dict]:
        """Sets row.role, and (unless made with labels=False) row.label and row.info, from the packet's TCP kind
        (r), what its bytes completed (http_recs, row.frames, row.messages, row.tls) and the connection's state
        (st, which it updates: the FINs seen, the end, the names of packets a later ACK refers to). Returns the
        args of a "close-without-close-frame" note when the packet ends the TCP connection of a WebSocket that
        sent no Close frame, else None."""
        d = r.direction
        kind = r.kind
        flags = seg.flags
        info = None          # tshark-like Info; the TCP one (_tcp_info) unless the content names a better one
        # The frames of this row's own direction, once: a row may also list frames of the other direction that
        # its ACK completed (TcpResult.peer_delivered); those must not name the row's role, label or Info.
        frames = row.frames
        if not frames:
            own = _NO_FRAMES
        elif len(frames) == 1:       # the usual one frame: no list to make (own is only read)
            f = frames[0]
            own = frames if f.direction == d else _NO_FRAMES
        else:
            own = [x for x in frames if x.direction == d]
        name = None          # how a later "ACK of #N" refers to this packet (render/labels.py: ack.of)
        role, label = kind, None
        rec = st.rec
        labels = self.labels
        why_note = None

        if kind == K_DATA or kind == K_ACK:
            pass             # nearly every packet: named by its content, below (not by the tests that follow)
        elif kind == K_SYN:
            label = self._sided("tcp.syn", d)
            name = _NAME_SYN
        elif kind == K_SYN_ACK:
            label = self._sided("tcp.syn_ack", d)
            name = _NAME_SYN_ACK
        elif kind == K_HANDSHAKE_ACK:
            label = self._sided("tcp.handshake_ack", d)
        elif kind == K_RST:
            label = self._sided("tcp.rst", d)
            rec.end = rec.end or "rst"
            rec.state = "reset"
            if rec.closed_by is None and rec.close_expected:
                label = Label("tcp.rst", d, (), self._sided("tcp.no_close_frame", d))
                why_note = {"variant": "rst", "side": SIDE[d]}
        elif kind == K_RETRANSMISSION:
            label = self._sided("tcp.retransmission", d)
        elif kind == K_KEEPALIVE:
            label = self._sided("tcp.keepalive", d)
        elif kind == K_WINDOW_UPDATE:
            label = Label("tcp.window_update", d, (seg.window,))
        elif kind == K_DUP_ACK:
            label = self._sided("tcp.dup_ack", d)
            role = "ack"

        # What the stream bytes of this packet were.
        content_role, content_label, proto = self._content(st, d, row, http_recs, own)
        if content_role is not None and kind in (K_DATA, K_FIN, K_ACK):
            role, label = content_role, content_label
            if labels:
                name = _short_name(http_recs, own, self._frame_names) or name
                if row.tls and proto != "TLS":
                    # Decrypted content: the TLS records of this direction that carried it.
                    for x in row.tls:
                        if x.direction == d and x.data is not None:
                            label = _then(label, self._sided("tls.in_records", d))
                            break
        if proto:
            row.protocol = proto
            if labels:
                info = _content_info(http_recs, own) or None
                if info is not None and row.messages:      # what a subprotocol decoder read, after the frames
                    said = None
                    for m in row.messages:
                        if m.app and m.direction == d:
                            if said is None:
                                said = []
                            said.append(_app.info(m.app))
                    if said:
                        info += " · " + ", ".join(said)
                if info is None and proto == "TLS":
                    info = _tls_info(row.tls, d) or None
                    if kind in (K_DATA, K_FIN, K_ACK) and info:
                        name = ("", info)

        if flags & FIN and kind != K_RETRANSMISSION:
            fin_label, why = self._fin(st, d, r, seg)
            if why is not None:
                why_note = why
            if content_role is None:
                role, label = "tcp-fin", fin_label
            elif labels:
                label = _then(label, fin_label)
            name = _NAME_FIN
        elif kind in (K_ACK, K_DATA) and not row.length:
            role = "ack"
            if labels:           # (without labels no packet is named, so there is no name to take off)
                label = self._ack_label(st, d, r)
            if r.fin_acked and OTHER[d] in st.fin_seen:
                role = "tcp-fin-ack"
                if d in st.fin_seen:
                    rec.state = "closed"
                label = self._sided("teardown.ack_last" if d in st.fin_seen else "teardown.ack", d)
        elif kind == K_DATA and content_role is None:
            role = "tcp-data"
            if row.notes and row.notes[-1].code == "tcp-out-of-order":
                label = self._sided("data.out_of_order", d)
            elif st.mode(d) == M_WAIT:
                label = self._sided("data.before_answer", d)
            elif st.mode(d) == M_WS and st.ws(d).stopped:
                label = self._sided("data.framing_lost", d)
            else:
                label = self._sided("data.unparsed", d)

        if not labels:
            row.role = role          # label stays None and info "" (Roles(labels=False))
            return why_note
        if name and (row.length or flags & (SYN | FIN)):
            st.names(d).append((seg.no, name))
        row.role, row.label, row.info = role, label, info if info is not None else tcp_info(row)
        return why_note

    def _content(self, st: ConnState, d: str, row: Row, http_recs: list, own: list):
        """(role, label, protocol) from what the packet's bytes completed, or (None, None, None)."""
        for rec in http_recs:
            if type(rec) is HttpRequest:
                if rec.is_websocket_upgrade:
                    offered_ext = rec.get("Sec-WebSocket-Extensions")
                    offered_sub = rec.get("Sec-WebSocket-Protocol")
                    return ("ws-upgrade-request", Label("upgrade.request", d, (
                        rec.target, offered_ext.split(";")[0].split(",")[0] if offered_ext else None,
                        offered_sub if offered_sub else None)), "HTTP")
                return "http", Label("http.request", d, (rec.summary(),)), "HTTP"
            if type(rec) is HttpResponse:
                r = st.rec
                if rec.status == 101 and r.is_websocket:
                    declined = None
                    if not r.extensions and r.offered_extensions:
                        declined = "deflate" if "deflate" in r.offered_extensions else "extensions"
                    return ("ws-upgrade-response", Label("upgrade.response", d, (
                        r.accept_ok, r.extensions.split(";")[0] if r.extensions else None, declined,
                        r.subprotocol if r.subprotocol else None)), "HTTP")
                if rec.status >= 200 and st.mode_c2s == M_HTTP and r.status == rec.status and not r.is_websocket \
                        and r.key is not None:
                    return ("ws-upgrade-response",
                            Label("upgrade.refused", d, (f"{rec.status} {rec.reason}".rstrip(),)), "HTTP")
                return "http", Label("http.response", d, (rec.summary(),)), "HTTP"
        if own:
            if not self.labels:
                return _frames_role(own), None, "WebSocket"
            return self._frames_label(st, d, row, own)
        if st.tls is not None:
            return self._tls_content(st, d, row)
        # A stopped parser ignores every later byte, so "completed in a later packet" would be a false promise.
        mode = st.mode_c2s if d == C2S else st.mode_s2c
        ws = st.ws_c2s if d == C2S else st.ws_s2c
        if row.length and mode == M_WS and not ws.parser.stopped and \
                not (row.notes and any(n.code.startswith("tcp-") for n in row.notes)):
            return "ws-data", self._sided("ws.partial", d), "WebSocket"
        if row.length and mode == M_HTTP and st.http(d) is not None and st.http(d).buffered:
            return "http", self._sided("http.partial", d), "TCP"
        return None, None, None

    def _tls_content(self, st: ConnState, d: str, row: Row) -> tuple:
        """(role, label, "TLS") of a row whose own bytes completed TLS records but no HTTP message or frame."""
        role = None
        for r in row.tls:
            if r.direction != d:
                continue
            if role is None:
                role = "tls-data"
            if r.kind == "alert":
                role = "tls-alert" if role == "tls-data" else role
            elif r.kind != "application-data" and r.kind != "encrypted":
                role = "tls-handshake"
        if role is None:
            if row.length and not st.tls.dirs[d].stopped:
                return "tls-data", self._sided("tls.partial", d), "TLS"
            return None, None, None
        return role, Label("tls.records", d, (st.tls.version == 0x0304,)), "TLS"

    def _frames_label(self, st: ConnState, d: str, row: Row, frames: list) -> tuple:
        """_content's (role, label, "WebSocket") of a row that completed `frames` of its own direction."""
        close = last_data = None         # the first Close frame (it names the row), the last data frame
        for f in frames:
            if f.opcode == CLOSE:
                close = f
                break
            if f.opcode < 8:
                last_data = f
        if close is not None:
            first = st.close_first is close and st.rec.closed_by == SIDE[d]
            return "ws-close", self._sided("close.first" if first else "close.answer", d), "WebSocket"
        if last_data is not None:
            msgs = row.messages
            if len(msgs) == 1 and msgs[0].direction == d:
                return "ws-data", self._sided("app.data" if msgs[0].app else "data.one", d), "WebSocket"
            n = 0
            for m in msgs:
                if m.direction == d:
                    n += 1
            if n == 1:
                return "ws-data", self._sided("data.one", d), "WebSocket"
            if n:
                return "ws-data", self._sided("data.many", d), "WebSocket"
            if last_data.opcode == CONTINUATION:
                return "ws-data", self._sided("data.continuation", d), "WebSocket"
            return "ws-data", self._sided("data.fragment_start", d), "WebSocket"
        f = frames[0]
        if f.opcode == PING:
            auto = st.keepalive_ts == row.ts and st.keepalive_side == d
            return "ws-control", self._sided("control.ping_keepalive" if auto else "control.ping", d), "WebSocket"
        if f.opcode == PONG:
            return "ws-control", self._sided("control.pong", d), "WebSocket"
        return "ws-control", self._sided("control.reserved", d), "WebSocket"

    def _fin(self, st: ConnState, d: str, r: TcpResult, seg) -> tuple:
        """(the Label of a packet carrying a FIN, the args of its close-without-close-frame note or None)."""
        rec = st.rec
        first = not st.fin_seen
        if d not in st.fin_seen:
            st.fin_seen = plus(st.fin_seen, d)
        if first:
            rec.fin_by = SIDE[d]
            rec.end = rec.end or "fin"
            label = self._sided("teardown.first", d)
            if rec.closed_by is None and rec.close_expected:
                # The idle time is counted from the last data (a message, the handshake): what a server's idle
                # timeout counts; pings and pongs since (a client library's keepalive, say) are told apart.
                idle = seg.ts - st.last_payload_ts if st.last_payload_ts is not None else None
                quiet = idle is not None and idle >= IDLE_WORTH_SAYING
                pinged = quiet and st.last_control_ts is not None and st.last_control_ts > st.last_payload_ts
                why = ""
                if pinged:
                    ping = seg.ts - st.last_control_ts
                    auto = st.keepalive_side if st.keepalive_ts == st.last_control_ts else None
                    facts = ("pinged", idle, ping, auto)
                    why = {"id": "note_part.idle_drop_pinged", "idle": f"{idle:.1f}", "ping": f"{ping:.1f}",
                           "side": SIDE[d], "keepalive": {"id": "note_part.keepalive", "side": SIDE[auto]} if auto
                           else ""}
                elif quiet:
                    facts = ("idle", idle)
                    why = {"id": "note_part.idle_drop", "idle": f"{idle:.1f}", "side": SIDE[d]}
                else:
                    facts = ()
                return (Label("teardown.first", d, (), Label("tcp.no_close_frame", d, facts)),
                        {"variant": "fin", "side": SIDE[d], "why": why})
            return label, None
        if OTHER[d] in st.fin_seen and r.fin_acked:
            return self._sided("teardown.ack_and_fin", d), None
        return self._sided("teardown.third", d), None

    def _sided(self, code: str, d: str) -> Label:
        """The Label `code` of a packet of direction d with no facts of its own: one object per code and
        direction, kept for the Roles' life."""
        cache = self._sided_c2s if d == C2S else self._sided_s2c
        label = cache.get(code)
        if label is None:
            label = cache[code] = Label(code, d)
        return label

    def _ack_label(self, st: ConnState, d: str, r: TcpResult) -> Label:
        acked = r.acked_no
        if acked is None:
            return self._sided("ack.nothing", d)
        q = st.names_s2c if d == C2S else st.names_c2s
        name = None
        if q is not None:
            k, n = 0, len(q)
            while k < n and q[k][0] <= acked:
                if q[k][0] == acked:
                    name = q[k][1]
                k += 1
            if k:
                del q[:k]
        return Label("ack.of", d, (acked, name))


def _frames_role(frames: list) -> str:
    """The role Roles._frames_label gives a row that completed `frames` (of its own direction)."""
    role = "ws-control"
    for f in frames:
        if f.opcode == CLOSE:
            return "ws-close"
        if f.opcode < 8:
            role = "ws-data"
    return role


_NO_FRAMES: list = []          # shared, never appended to
_info_flags: dict = {}         # flags -> "[PSH, ACK]": a handful of distinct values per capture


def tcp_info(row: Row) -> str:
    """tshark's Info of a TCP segment: "[PSH, ACK] Seq=1 Ack=1 Win=512 Len=20"."""
    flags = row.flags
    head = _info_flags.get(flags)
    if head is None:
        head = _info_flags[flags] = "[" + flag_names(flags).replace(",", ", ") + "]"
    if flags & ACK:
        return f"{head} Seq={row.seq} Ack={row.ack} Win={row.window} Len={row.length}"
    return f"{head} Seq={row.seq} Win={row.window} Len={row.length}"


_INFO_NAMES = {0: "Continuation", 1: "Text", 2: "Binary", 8: "Connection Close", 9: "Ping", 10: "Pong"}
# tshark's words for a frame, by _info_slot (opcode, FIN, RSV1, MASK: 128 values), as they come; _ws_infos: the
# same after "WebSocket " (a row's Info when it completed one frame).
_frame_infos: list = [None] * 128
_ws_infos: list = [None] * 128


def _info_slot(f: Frame) -> int:
    return (f.opcode & 15) | (16 if f.fin else 0) | (32 if f.rsv & 4 else 0) | (64 if f.masked else 0)


def _frame_info(f: Frame) -> str:
    slot = _info_slot(f)
    s = _frame_infos[slot]
    if s is None:
        s = _INFO_NAMES.get(f.opcode, f"Unknown {f.opcode}")
        if f.fin:
            s += " [FIN]"
        if f.rsv & 4:
            s += " [COMPRESSED]"
        if f.masked:
            s += " [MASKED]"
        _frame_infos[slot] = s
        _ws_infos[slot] = "WebSocket " + s
    return s


_TLS_INFO = {"client-hello": "Client Hello", "server-hello": "Server Hello", "change-cipher-spec":
             "Change Cipher Spec", "alert": "Alert", "handshake": "Handshake",
             "encrypted-handshake": "Encrypted Handshake Message",
             "session-ticket": "New Session Ticket", "key-update": "Key Update",
             "application-data": "Application Data", "encrypted": "Application Data"}


def _tls_info(recs: list, d: str) -> str:
    """tshark-like Info of TLS records: "Client Hello (SNI=example.org)", "Change Cipher Spec, Application Data"."""
    names: list = []
    for r in recs:
        if r.direction != d:
            continue
        if r.messages and r.kind != "client-hello":     # each handshake message, as tshark names them
            for m in r.messages:
                name = MESSAGE_NAMES.get(m, "Handshake")
                if name not in names:
                    names.append(name)
            continue
        name = _TLS_INFO.get(r.kind, "Application Data")
        if r.kind == "client-hello" and r.hello is not None and r.hello.sni:
            name += f" (SNI={r.hello.sni})"
        if name not in names:
            names.append(name)
    return ", ".join(names)


def _content_info(http_recs: list, frames: list) -> str:
    for rec in http_recs:
        if type(rec) in (HttpRequest, HttpResponse):
            return rec.summary()
    if len(frames) == 1:
        f = frames[0]
        s = _ws_infos[_info_slot(f)]
        return s if s is not None else "WebSocket " + _frame_info(f)
    if frames:
        return "WebSocket " + ", ".join([_frame_info(x) for x in frames])
    return ""


def _then(label: Label, after: Label) -> Label:
    """`label` with `after` said at the end of what follows it (Labels are not changed: a new chain)."""
    if label.then is None:
        return Label(label.code, label.side, label.args, after)
    return Label(label.code, label.side, label.args, _then(label.then, after))


# How a later ACK names a packet (render/labels.py, ack.of): ("", literal) or (catalogue id, facts...).
_NAME_SYN = ("", "SYN")
_NAME_SYN_ACK = ("", "SYN, ACK")
_NAME_FIN = ("", "FIN")
_NAME_UPGRADE_REQUEST = ("name.upgrade_request",)
_NAME_HTTP_REQUEST = ("name.http_request",)
_NAMES_KEPT = 1024             # _short_name's memo of opcode sequences (hostile input can make many)


def _short_name(http_recs: list, frames: list, memo: dict) -> Optional[tuple]:
    """How a later "ACK of #N (...)" names this packet. `memo`: opcodes -> name (nearly every data packet needs
    one, and a capture has few distinct opcode sequences)."""
    for rec in http_recs:
        if type(rec) is HttpRequest:
            return _NAME_UPGRADE_REQUEST if rec.is_websocket_upgrade else _NAME_HTTP_REQUEST
        if type(rec) is HttpResponse:
            return ("name.reply", rec.status)
    if frames:
        if len(frames) == 1:
            key = frames[0].opcode
        else:
            key = tuple([x.opcode for x in frames])
        name = memo.get(key)
        if name is None:
            if len(memo) > _NAMES_KEPT:
                memo.clear()
            name = memo[key] = ("name.frames" if len(frames) > 1 else "name.frame",
                                key if type(key) is tuple else (key,))
        return name
    return None
