"""Whole TCP conversations as RawPackets, built in memory from a script, for tests of the analysis core.

    s = Session()                      # client 10.0.0.1:51234, server 10.0.0.2:80, Ethernet
    s.handshake()                      # SYN, SYN-ACK, ACK                         (#1-#3)
    s.send(C2S, upgrade_request())     # the request, then the server's ACK        (#4, #5)
    s.send(S2C, upgrade_response())    # the 101, then the client's ACK            (#6, #7)
    s.send(C2S, s.client.send_data("hi"))
    rows = analyze(s.packets())

Each call appends packets and returns their 1-based numbers in the capture. Sequence numbers advance by
themselves; pass `seq=` to place a segment elsewhere (retransmissions, holes), and reorder the list that
`packets()` returns (or pass `order=`) to simulate out-of-order arrival. WebSocket frames come from wsproto's
FrameProtocol, an encoder independent of the parser under test: `s.client` masks, `s.server` does not.
"""
from __future__ import annotations

import base64
import hashlib

from wsproto.frame_protocol import FrameProtocol

from pcapbuild import ethernet, tcp_packet
from wsdissect.analyzer import Analyzer
from wsdissect.i18n import note_text
from wsdissect.model import C2S, S2C, RawPacket
from wsdissect.render.labels import LabelWords

# The seed notes' key and the accept value RFC 6455 4.2.2 derives from it.
KEY = "pNgZr2dChVwcNts30DxZiQ=="
ACCEPT = "W3UNJiLyRMXlwQ2lsHe8hNFegRU="
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OTHER = {C2S: S2C, S2C: C2S}
T0 = 1_700_000_000.0


def accept_for(key: str) -> str:
    """Computed here independently of wsdissect.http, so a bug there cannot hide in both."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def upgrade_request(key: str = KEY, path: str = "/chat", host: str = "example.com",
                    extensions: str | None = None, protocol: str | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if extensions:
        lines.append(f"Sec-WebSocket-Extensions: {extensions}")
    if protocol:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def upgrade_response(accept: str = ACCEPT, extensions: str | None = None) -> bytes:
    lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Accept: {accept}"]
    if extensions:
        lines.append(f"Sec-WebSocket-Extensions: {extensions}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Session:
    """One TCP connection between a client and a server, packet by packet."""

    def __init__(self, client=("10.0.0.1", 51234), server=("10.0.0.2", 80), *, ipv6: bool = False,
                 linktype: int = 1, isn=(1_000_000, 3_000_000_000), t0: float = T0):
        self.addr = {C2S: client, S2C: server}
        self.ipv6 = ipv6
        self.linktype = linktype
        self.seq = {C2S: isn[0], S2C: isn[1]}     # absolute seq of the next byte (or SYN/FIN) each side sends
        self.isn = {C2S: isn[0], S2C: isn[1]}
        self.t = t0
        self.items: list = []                      # (ts, frame bytes)
        self.client = FrameProtocol(client=True, extensions=[])
        self.server = FrameProtocol(client=False, extensions=[])

    # -- single packets ----------------------------------------------------------------------------------
    def frame_bytes(self, d: str, flags: str, payload: bytes = b"", seq=None, ack=None, window=65535) -> bytes:
        (src, sport), (dst, dport) = self.addr[d], self.addr[OTHER[d]]
        seq = self.seq[d] if seq is None else seq
        if ack is None:
            ack = self.seq[OTHER[d]] if "A" in flags else 0
        ip = tcp_packet(src, dst, sport, dport, seq, ack, flags, bytes(payload), window=window, ipv6=self.ipv6)
        return ethernet(ip) if self.linktype == 1 else ip

    def seg(self, d: str, flags: str, payload: bytes = b"", *, seq=None, ack=None, dt: float = 0.001,
            advance: bool = True, window: int = 65535) -> int:
        """Append one segment; returns its packet number. Advances `d`'s seq unless `seq` was given or
        `advance` is False."""
        self.t += dt
        self.items.append((self.t, self.frame_bytes(d, flags, payload, seq, ack, window)))
        if seq is None and advance:
            self.seq[d] += len(payload) + ("S" in flags) + ("F" in flags)
        return len(self.items)

    def raw(self, data: bytes, dt: float = 0.001) -> int:
        """Append an arbitrary link-layer frame (malformed packets, UDP...)."""
        self.t += dt
        self.items.append((self.t, data))
        return len(self.items)

    # -- scripts -----------------------------------------------------------------------------------------
    def handshake(self) -> tuple:
        return (self.seg(C2S, "S"), self.seg(S2C, "SA"), self.seg(C2S, "A"))

    def send(self, d: str, payload: bytes, *, ack: bool = True, dt: float = 0.001, pieces=None) -> list:
        """Send `payload` from `d` as one PSH,ACK segment (or cut at the offsets in `pieces`), then the
        peer's ACK unless `ack` is False. Returns the packet numbers."""
        payload = bytes(payload)
        cuts = [0, *(pieces or ()), len(payload)]
        nos = [self.seg(d, "PA", payload[a:b], dt=dt) for a, b in zip(cuts, cuts[1:]) if b > a]
        if ack:
            nos.append(self.seg(OTHER[d], "A"))
        return nos

    def websocket_handshake(self, key: str = KEY, accept: str | None = None, extensions_offer=None,
                            extensions=None) -> list:
        """TCP handshake, upgrade request, ACK, 101, ACK: the classic packets #1-#7."""
        nos = list(self.handshake())
        nos += self.send(C2S, upgrade_request(key, extensions=extensions_offer))
        nos += self.send(S2C, upgrade_response(accept_for(key) if accept is None else accept, extensions))
        return nos

    def teardown(self, first: str = C2S, three_way: bool = False, dt: float = 0.001) -> list:
        """FIN teardown started by `first`: FIN / ACK / FIN / ACK, or FIN / FIN,ACK / ACK."""
        other = OTHER[first]
        if three_way:
            return [self.seg(first, "FA", dt=dt), self.seg(other, "FA"), self.seg(first, "A")]
        return [self.seg(first, "FA", dt=dt), self.seg(other, "A"), self.seg(other, "FA"), self.seg(first, "A")]

    def packets(self, order=None) -> list:
        """The capture as RawPackets numbered from 1. `order` lists item indexes (0-based) in arrival order;
        timestamps then follow arrival order."""
        if order is None:
            return [RawPacket(i + 1, ts, self.linktype, data, len(data)) for i, (ts, data) in enumerate(self.items)]
        times = sorted(ts for ts, _ in self.items)
        return [RawPacket(i + 1, times[i], self.linktype, self.items[j][1], len(self.items[j][1]))
                for i, j in enumerate(order)]

    def pcap(self, order=None) -> bytes:
        from pcapbuild import pcap_bytes
        return pcap_bytes([(p.ts, p.data) for p in self.packets(order)], linktype=self.linktype)


class Result:
    """The Rows of a capture, with helpers to look into them."""

    def __init__(self, analyzer: Analyzer, rows: list, end_notes: list, lang: str = "en"):
        self.analyzer = analyzer
        self.words = LabelWords(lang)
        self.all_rows = rows
        self.rows = [r for r in rows if r is not None]
        self.end_notes = end_notes

    def __getitem__(self, no: int):
        """The Row of packet `no` (1-based)."""
        row = self.all_rows[no - 1]
        assert row is None or row.no == no
        return row

    def label(self, no_or_row) -> str:
        """The label of packet `no` (or of a Row) in words, in the language analyze() was given."""
        row = self[no_or_row] if isinstance(no_or_row, int) else no_or_row
        return self.words.text(row)

    def frames(self, d: str | None = None) -> list:
        return [f for r in self.rows for f in r.frames if d is None or f.direction == d]

    def messages(self, d: str | None = None) -> list:
        return [m for r in self.rows for m in r.messages if d is None or m.direction == d]

    def notes(self, code: str | None = None) -> list:
        out = [n for r in self.rows for n in r.notes] + list(self.end_notes)
        return [n for n in out if code is None or n.code == code]

    def codes(self) -> set:
        return {n.code for n in self.notes()}

    @property
    def conn(self):
        return self.analyzer.summary.connections[0]


def words(note, lang: str = "en") -> str:
    """A note's sentence in `lang`, as every view writes it (i18n.note_text)."""
    return note_text(note.code, note.args, lang)


def analyze(packets, lang: str = "en", **kw) -> Result:
    """The Rows of `packets`, their labels worded in `lang` (Result.label)."""
    a = Analyzer(**kw)
    rows = [a.feed(p) for p in packets]
    return Result(a, rows, a.finish(), lang)


def frame_header(length: int, opcode: int = 1, fin: bool = True, rsv1: bool = False,
                 mask: bytes | None = None) -> bytes:
    """A frame header claiming `length` payload bytes (any length: the caps tests claim 2^63-1), mask key last."""
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    m = 0x80 if mask else 0
    if length < 126:
        head = bytes([b0, m | length])
    elif length < 65536:
        head = bytes([b0, m | 126]) + length.to_bytes(2, "big")
    else:
        head = bytes([b0, m | 127]) + length.to_bytes(8, "big")
    return head + (mask or b"")


def raw_frame(payload: bytes, opcode: int = 1, fin: bool = True, rsv1: bool = False,
              mask: bytes | None = None) -> bytes:
    """A frame built by hand, for what FrameProtocol(extensions=[]) will not send (RSV1 for deflate)."""
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return frame_header(len(payload), opcode, fin, rsv1, mask) + payload


def open_sessions(n: int, reply: bool = False) -> list:
    """The packets of `n` WebSocket connections from distinct clients, open together: each a handshake and a
    text message from the client (and the server's answer, reply=True), none of them closed; numbered from 1."""
    items = []
    mask = b"\x01\x02\x03\x04"
    for i in range(n):
        s = Session(client=(f"10.1.{i // 250}.{i % 250 + 1}", 40000 + i), t0=1_700_000_000.0 + i)
        s.websocket_handshake()
        s.send(C2S, raw_frame(b"msg %d" % i, opcode=1, mask=mask))
        if reply:
            s.send(S2C, raw_frame(b"ok %d" % i, opcode=1))
        items.extend(s.items)
    return [RawPacket(i + 1, ts, 1, data, len(data)) for i, (ts, data) in enumerate(items)]

