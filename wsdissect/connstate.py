# cython: annotation_typing=False
"""The analyzer's state of one connection (`ConnState`, hung on tcp.TcpConnection.extra) and its vocabulary: what
each direction's bytes are parsed as (M_*), the sides as data (SIDE) and the other direction (OTHER). Shared by
the analyzer, which routes stream bytes, and roles.py, which names what each packet did."""
from __future__ import annotations

from typing import Optional

from .http import HttpRequest
from .model import C2S, S2C, Connection, Frame
from .tls import TlsSession

SIDE = {C2S: "client", S2C: "server"}           # data (Connection.closed_by, fin_by): always English
OTHER = {C2S: S2C, S2C: C2S}

# What a direction's stream bytes are parsed as.
M_HTTP = "http"            # HTTP until the handshake ends
M_WAIT = "wait"            # client sent an upgrade request; its next bytes wait for the server's answer
M_WS = "ws"                # WebSocket frames
M_OPAQUE = "opaque"        # not something we parse (not HTTP, refused upgrade's leftovers after an error...)

# Tuples of directions (ConnState.fin_seen, close_sent, decided), one of each: (tuple, direction) -> the tuple
# with the direction added, which must not be in it.
_PLUS = {((), C2S): (C2S,), ((), S2C): (S2C,), ((C2S,), S2C): (C2S, S2C), ((S2C,), C2S): (S2C, C2S)}


def plus(t: tuple, d: str) -> tuple:
    """The tuple of directions `t` with direction `d` added (`d` must not be in it)."""
    return _PLUS[(t, d)]


class ConnState:
    """The analyzer's per-connection state, hung on TcpConnection.extra. Per direction, one field each (…_c2s,
    …_s2c): the parsers are made when a direction needs them (its first HTTP bytes, the handshake's end), the
    list of packets not yet ACKed at the first packet a later ACK may name."""
    __slots__ = ("rec", "mode_c2s", "mode_s2c", "http_c2s", "http_s2c", "ws_c2s", "ws_s2c", "waiting", "request",
                 "names_c2s", "names_s2c", "fin_seen", "last_payload_ts", "last_control_ts", "keepalive",
                 "keepalive_ts", "keepalive_side", "close_sent", "close_first", "decided", "hinted", "src", "dst", "plain_pending",
                 "plain_last", "app", "tls")

    def __init__(self, rec: Connection) -> None:
        self.rec = rec
        self.mode_c2s = self.mode_s2c = M_HTTP                # what each direction's bytes are parsed as (M_*)
        self.http_c2s = self.http_s2c = None                  # HttpStream, made on a direction's first data
        self.ws_c2s = self.ws_s2c = None                      # WebSocketDirection, made when framing starts
        self.waiting = None                                   # (origin_no, bytes) c2s while in M_WAIT: a list
        self.request: Optional[HttpRequest] = None            # the upgrade request awaiting its answer
        self.names_c2s = self.names_s2c = None                # (no, short name) of packets not yet ACKed: a list
        self.fin_seen: tuple = ()                             # directions that sent their FIN
        self.last_payload_ts: Optional[float] = None          # last packet of payload but a lone ping or pong
        self.last_control_ts: Optional[float] = None          # last packet of a ping or pong (role ws-control)
        self.keepalive: Optional[dict] = None                 # per side: (ts, interval) of its last keepalive ping
        self.keepalive_ts: Optional[float] = None             # the last keepalive ping or its pong
        self.keepalive_side: Optional[str] = None             # whose library sent it
        self.close_sent: tuple = ()                           # directions that sent a Close frame
        self.close_first: Optional[Frame] = None              # a direction's first Close frame, completed by the
                                                              # packet being analysed (its label names it), else None
        self.decided: tuple = ()                              # --decode-as: directions whose first bytes were looked at
        self.hinted = False                                   # told how to decode a stream that is not HTTP
        self.plain_pending = 0                                # requests without an upgrade not yet answered
        self.plain_last: Optional[HttpRequest] = None         # the last of them
        self.app = None                                       # app.Decoder of the subprotocol, or app.sniff.Sniffer
                                                              # while it looks
        self.tls: Optional[TlsSession] = None                 # a TLS connection: records, keys
        self.src = str(rec.client)                            # a row's src/dst (client to server), fixed
        self.dst = str(rec.server)

    def mode(self, d: str) -> str:
        return self.mode_c2s if d == C2S else self.mode_s2c

    def set_mode(self, d: str, mode: str) -> None:
        if d == C2S:
            self.mode_c2s = mode
        else:
            self.mode_s2c = mode

    def http(self, d: str):
        """The direction's HttpStream, None before its first HTTP bytes and once framing began."""
        return self.http_c2s if d == C2S else self.http_s2c

    def ws(self, d: str):
        """The direction's WebSocketDirection, None before framing began."""
        return self.ws_c2s if d == C2S else self.ws_s2c

    def names(self, d: str) -> list:
        """The direction's list of (no, short name) of packets not yet ACKed, made at the first."""
        if d == C2S:
            if self.names_c2s is None:
                self.names_c2s = []
            return self.names_c2s
        if self.names_s2c is None:
            self.names_s2c = []
        return self.names_s2c
