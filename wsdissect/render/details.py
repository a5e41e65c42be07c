"""The details view of ONE packet: a tree like Wireshark's middle pane, then a hex dump with a field marked.

`render_details(console, capture_path, no)` reads the capture, runs the analyzer up to packet `no` (so the
connection, its handshake and the frames this packet completes are known), and then dissects the packet's own
bytes field by field, keeping each field's byte range so the hex dump can mark it (`field="ws.mask_key"`...).

The analyzer's records say what a frame *is*; only the packet's bytes say *where* it is. To place the frames
of packet N in its TCP payload the renderer follows each direction's stream offsets on the side: where the
HTTP head ended (a private HttpStream fed the in-order bytes until the upgrade) and where the next frame
starts (the sizes of the frames the analyzer completed, in order). Nothing here changes the analysis.

Output helpers shared by the three teaching views (details, follow, stats) live here too: lines are
(text, style) pairs, word-wrapped to the console width by the view, printed plain when the console has no
colour (piped, NO_COLOR) and spelled in ASCII when the console cannot encode more.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass, field as dc_field
from typing import Iterable, Iterator, Optional

from rich.cells import cell_len, chop_cells, set_cell_size
from rich.console import Console
from rich.text import Text

from ..analyzer import Analyzer
from ..decode import DecodeError, decode_packet
from ..http import WS_GUID, HttpRequest, HttpResponse, HttpStream, compute_accept
from ..limits import DEFAULT_LIMITS, Limits
from ..model import ACK, C2S, CWR, ECE, FIN, PSH, RST, S2C, SYN, URG, Connection, Frame, RawPacket, \
    Row, flag_names
from ..websocket.codes import CLOSE, CONTINUATION, PING, PONG, TEXT, BINARY, close_code_meaning, \
    close_code_name, opcode_name
from ..websocket.frames import unmask
from .timeline import clean, clean_ascii

__all__ = ["render_details", "details_lines", "PacketOutOfRange", "UnknownField", "emit", "wrap", "View"]

SIDE = {C2S: "client", S2C: "server"}
OTHER = {C2S: S2C, S2C: C2S}
PREVIEW_BYTES = 32          # bytes of a payload shown in hex in the tree
PREVIEW_CHARS = 64          # characters of a text payload shown in the tree
INDENT = "  "


class PacketOutOfRange(ValueError):
    """The capture has fewer packets than asked for (or the number is below 1)."""


class UnknownField(ValueError):
    """--field names nothing in this packet; the message lists what does."""


# ----------------------------------------------------------------------------------------------- output helpers

class View:
    """Console facts every view needs: plain or colour, Unicode or ASCII, width."""

    def __init__(self, console: Console) -> None:
        self.console = console
        encoding = (console.encoding or "").lower().replace("_", "-")
        self.ascii = encoding not in ("utf-8", "utf8")
        self.plain = console.color_system is None or console.no_color
        self.width = max(console.width, 40)
        self.clean = clean_ascii if self.ascii else clean
        self.to = "->" if self.ascii else "→"
        self.back = "<-" if self.ascii else "←"
        self.ok = "ok" if self.ascii else "✓"
        self.bad = "BAD" if self.ascii else "✗"
        self.ell = "..." if self.ascii else "…"


def cells(s: str) -> int:
    return len(s) if s.isascii() else cell_len(s)


def fit(s: str, width: int, ellipsis: str = "…") -> str:
    if cells(s) <= width:
        return s
    keep = width - cells(ellipsis)
    return (set_cell_size(s, keep) + ellipsis) if keep > 0 else set_cell_size(s, width)


def wrap(text: str, width: int, first: str = "", rest: Optional[str] = None) -> list[str]:
    """Word-wrap `text` after the prefix `first`, continuation lines prefixed with `rest` (default: as wide as
    `first`, in spaces). Words longer than a line are cut; wide characters count as two cells."""
    if rest is None:
        rest = " " * cells(first)
    if cells(first) + cells(text) <= width:
        return [first + text]
    lines: list[str] = []
    cur, empty = first, True
    for word in text.split(" "):
        w = cells(word)
        if not empty and cells(cur) + 1 + w <= width:
            cur += " " + word
            continue
        if not empty:
            lines.append(cur)
            cur = rest
        if cells(cur) + w <= width:
            cur, empty = cur + word, False
            continue
        pieces = chop_cells(word, max(width - cells(cur), 8))
        lines.append(cur + pieces[0])
        for p in pieces[1:-1]:
            lines.append(rest + p)
        cur, empty = rest + pieces[-1], False
        if len(pieces) == 1:
            cur, empty = rest, True
    if not empty:
        lines.append(cur)
    return lines


def emit(view: View, lines: Iterable[tuple]) -> None:
    """Print (text, style) lines; a text may also be a list of (text, style) spans. Styles are dropped when the
    console is plain; non-ASCII is spelled out when the console cannot encode it."""
    text = Text()
    first = True
    fix = clean_ascii if view.ascii else None
    for t, style in lines:
        if not first:
            text.append("\n")
        first = False
        spans = [(t, style)] if isinstance(t, str) else t
        for part, ps in spans:
            if fix is not None:
                part = fix(part)
            text.append(part, None if view.plain or not ps else ps)
    if first:
        return
    view.console.print(text, soft_wrap=True, highlight=False, markup=False, emoji=False)


# -------------------------------------------------------------------------------------------------- the tree

@dataclass
class _Line:
    depth: int
    text: str
    style: str = ""
    field: Optional[str] = None


@dataclass
class _Dissection:
    lines: list = dc_field(default_factory=list)
    fields: dict = dc_field(default_factory=dict)     # name -> list of (start, end) in raw.data
    order: list = dc_field(default_factory=list)      # field names in the order they were met

    def add(self, depth: int, text: str, style: str = "", name: Optional[str] = None,
            span: Optional[tuple] = None) -> None:
        if name is not None and span is not None and span[1] > span[0]:
            if name not in self.fields:
                self.fields[name] = []
                self.order.append(name)
            self.fields[name].append(span)
        self.lines.append(_Line(depth, text, style, name))


def _hex(b: bytes, limit: int = PREVIEW_BYTES, ell: str = "…") -> str:
    s = bytes(b[:limit]).hex(" ")
    return s + (f" {ell}" if len(b) > limit else "")


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


_ETHERTYPES = {0x0800: "IPv4", 0x86DD: "IPv6", 0x0806: "ARP", 0x8100: "802.1Q VLAN", 0x88A8: "802.1ad QinQ",
               0x9100: "QinQ"}
_SLL_TYPES = {0: "to us", 1: "broadcast", 2: "multicast", 3: "to another host", 4: "sent by us"}
_IP_PROTOS = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "ICMPv6"}

_FLAG_TEXT = (
    (CWR, "CWR", "congestion window reduced (ECN)"),
    (ECE, "ECE", "ECN echo: congestion seen on the path"),
    (URG, "URG", "urgent pointer is significant"),
    (ACK, "ACK", "the acknowledgment number is valid"),
    (PSH, "PSH", "push: hand the data to the application now"),
    (RST, "RST", "reset: abort the connection"),
    (SYN, "SYN", "synchronize sequence numbers: open a connection"),
    (FIN, "FIN", "finished: the sender will send no more data"),
)

# One line per handshake header: what it is for.
_HEADER_TEXT = {
    "host": "the server's name and port, as the client addressed it (required in HTTP/1.1)",
    "upgrade": "asks to switch this TCP connection from HTTP to another protocol: websocket",
    "connection": "'Upgrade' marks the Upgrade header as meant for this hop: the switch is requested",
    "sec-websocket-key": "16 random bytes, base64; the server proves it read the request by hashing it",
    "sec-websocket-accept": "base64(SHA-1(key + " + WS_GUID + ")): the server's proof it understood",
    "sec-websocket-version": "the WebSocket protocol version; 13 is RFC 6455, the only one in use",
    "sec-websocket-extensions": "extensions offered (request) or accepted (response), e.g. permessage-deflate",
    "sec-websocket-protocol": "application subprotocols offered (request) or the one chosen (response)",
    "origin": "the web page's origin, sent by browsers so the server can refuse foreign sites",
    "user-agent": "the client software",
    "server": "the server software",
    "date": "when the server answered",
    "content-length": "bytes of body after the header",
    "cookie": "cookies the client holds for this site",
    "authorization": "credentials sent with the request",
}

_RESPONSE_TEXT = {
    "upgrade": "the protocol the connection switches to: websocket",
    "connection": "'Upgrade' confirms that this hop switches protocols",
}


def _parse_ws_header(b: bytes) -> Optional[dict]:
    """The fields of a frame header at the start of `b`, with offsets relative to `b`; None if `b` is short."""
    if len(b) < 2:
        return None
    b0, b1 = b[0], b[1]
    n = b1 & 0x7F
    at = 2
    if n == 126:
        if len(b) < 4:
            return None
        length, form, ext = struct.unpack_from("!H", b, 2)[0], "16-bit extended", (2, 4)
        at = 4
    elif n == 127:
        if len(b) < 10:
            return None
        length, form, ext = struct.unpack_from("!Q", b, 2)[0], "64-bit extended", (2, 10)
        at = 10
    else:
        length, form, ext = n, "7-bit", None
    masked = bool(b1 & 0x80)
    key = None
    if masked:
        if len(b) < at + 4:
            return None
        key = bytes(b[at:at + 4])
        key_span = (at, at + 4)
        at += 4
    else:
        key_span = None
    return {"fin": bool(b0 & 0x80), "rsv": (b0 >> 4) & 7, "opcode": b0 & 0x0F, "masked": masked, "len7": n,
            "length": length, "form": form, "ext": ext, "key": key, "key_span": key_span, "header_len": at}


def _bits(byte: int, mask: int) -> str:
    """Wireshark's bit picture: '1... ....' for bit 0x80 of a set byte, dots where the field is not."""
    out = []
    for i in range(7, -1, -1):
        bit = 1 << i
        out.append(("1" if byte & bit else "0") if mask & bit else ".")
    s = "".join(out)
    return s[:4] + " " + s[4:]


# -------------------------------------------------------------------------------------- per-direction tracking

class _Dir:
    """Where one direction's WebSocket frames start in its TCP stream (stream offsets, from 0)."""
    __slots__ = ("http", "http_at", "ws_start", "next_start", "began_no", "head", "lost")

    def __init__(self, kind: str, max_header: int) -> None:
        self.http: Optional[HttpStream] = HttpStream(kind, max_header)
        self.http_at = 0                       # stream offset the private HttpStream has been fed up to
        self.ws_start: Optional[int] = None    # where the first frame starts
        self.next_start: Optional[int] = None  # where the frame in progress (or the next one) starts
        self.began_no: Optional[int] = None    # packet carrying next_start's byte
        self.head = b""                        # the first bytes of the frame in progress (its header)
        self.lost = False                      # a gap or reordering: offsets unknown from here


class _Tracker:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.dirs: dict = {}

    def get(self, conn: int, d: str) -> _Dir:
        key = (conn, d)
        st = self.dirs.get(key)
        if st is None:
            st = self.dirs[key] = _Dir("request" if d == C2S else "response", self.limits.max_header)
        return st

    def before(self, row: Row, payload: bytes) -> None:
        """Feed this packet's payload to the private HTTP parser of its direction (before the analyzer's row
        for it is used), so an upgrade ending in it gives the WebSocket start offset."""
        if row.conn is None or row.direction is None or not payload:
            return
        if row.role in ("tcp-retransmission", "tcp-keepalive"):
            return
        st = self.get(row.conn, row.direction)
        if st.http is None:
            return
        P = (row.seq - 1) & 0xFFFFFFFF
        if P != st.http_at:
            st.http = None
            st.lost = True
            return
        st.http_at += len(payload)
        for rec in st.http.feed(payload):
            if (type(rec) is HttpRequest and rec.is_websocket_upgrade) or \
                    (type(rec) is HttpResponse and rec.status == 101):
                st.ws_start = st.next_start = rec.offset + rec.header_len
                st.http = None
                break

    def after(self, row: Row, payload: bytes) -> None:
        """Account for the frames the row completed, then note where the next frame begins."""
        if row.conn is None:
            return
        for f in row.frames:
            st = self.get(row.conn, f.direction)
            if st.next_start is not None:
                st.next_start += f.header_len + f.length
                st.head = b""
                st.began_no = None
        if row.direction is None or not payload or row.role in ("tcp-retransmission", "tcp-keepalive"):
            return
        st = self.get(row.conn, row.direction)
        if st.next_start is None:
            return
        P = (row.seq - 1) & 0xFFFFFFFF
        rel = st.next_start - P
        if 0 <= rel < len(payload):
            st.began_no = row.no
            st.head = bytes(payload[rel:rel + 14])
        elif rel < 0 and st.head and len(st.head) < 14 and st.began_no is not None:
            st.head += bytes(payload[:14 - len(st.head)])


# -------------------------------------------------------------------------------------------------- reading

def _read_to(packets: Iterator[RawPacket], no: int, limits: Limits, decode_as: Iterable[int]):
    """Run the analyzer up to packet `no`; (raw, row, analyzer, tracker state for its direction)."""
    if no < 1:
        raise PacketOutOfRange(f"packet numbers start at 1 (got {no})")
    analyzer = Analyzer(limits, decode_as=decode_as)
    tracker = _Tracker(limits)
    count = 0
    for raw in packets:
        count += 1
        try:
            seg = decode_packet(raw)
        except DecodeError:
            seg = None
        payload = seg.payload if seg is not None else b""
        row = analyzer.feed(raw)
        if raw.no != no:
            if row is not None:
                tracker.before(row, payload)
                tracker.after(row, payload)
            continue
        pre = None
        if row is not None and row.conn is not None and row.direction is not None:
            st = tracker.get(row.conn, row.direction)
            pre = (st.next_start, st.began_no, st.head, st.ws_start)
            tracker.before(row, payload)
            if pre[0] is None and st.next_start is not None:      # the upgrade ended in this very packet
                pre = (st.next_start, None, b"", st.ws_start)
        return raw, row, analyzer, pre
    raise PacketOutOfRange(f"packet {no} is out of range: the capture has "
                           f"{count} packet{'s' if count != 1 else ''}")


# ------------------------------------------------------------------------------------------------ dissecting

def _dissect(raw: RawPacket, row: Optional[Row], conn: Optional[Connection], pre, analyzer: Analyzer,
             view: View) -> _Dissection:
    D = _Dissection()
    cl = view.clean
    data = raw.data
    n = len(data)
    t0 = analyzer.summary.first_ts if analyzer.summary.first_ts is not None else raw.ts
    D.add(0, f"Frame {raw.no}: {raw.wirelen} bytes on the wire, {n} captured", "bold", "frame", (0, n))
    D.add(1, f"Time: {raw.ts:.6f} (epoch), {raw.ts - t0:.6f} s since the first packet")
    if conn is not None:
        D.add(1, f"Connection {conn.id}: {cl(str(conn.client))} (client) {view.to} {cl(str(conn.server))} "
                 f"(server), {raw.ts - conn.first_ts:.6f} s since its first packet")
    if n < raw.wirelen:
        D.add(1, f"only {n} of {raw.wirelen} bytes were captured (snaplen)", "yellow")

    off, etype, ok = _link(D, raw, view)
    if not ok:
        if row is not None and row.role == "malformed":
            D.add(0, cl(row.label), "bold red")
        return D
    if etype == 0x0800:
        t, ip_end, proto = _ipv4(D, data, off, view)
    elif etype == 0x86DD:
        t, ip_end, proto = _ipv6(D, data, off, view)
    else:
        D.add(0, "not IP: wsdissect counts this packet and does not analyse it", "dim")
        return D
    if t is None:
        if row is not None and row.role == "malformed":
            D.add(0, cl(row.label), "bold red")
        return D
    if proto != 6:
        D.add(0, f"not TCP ({_IP_PROTOS.get(proto, proto)}): counted, not analysed", "dim")
        return D
    pay = _tcp(D, data, t, ip_end, row, conn, view)
    if pay is None:
        if row is not None and row.role == "malformed":
            D.add(0, cl(row.label), "bold red")
        return D
    p_start, p_end = pay
    payload = data[p_start:p_end]
    if not payload or row is None or conn is None:
        return D
    if row.role in ("tcp-retransmission", "tcp-keepalive"):
        D.add(0, f"Payload ({len(payload)} bytes): already sent in an earlier packet, not analysed again",
              "dim", "tcp.payload", (p_start, p_end))
        return D
    ws_at = _http(D, data, p_start, p_end, row, conn, pre, view)
    _websocket(D, data, p_start, p_end, row, conn, pre, ws_at, view)
    return D


def _link(D: _Dissection, raw: RawPacket, view: View) -> tuple:
    data, lt, n = raw.data, raw.linktype, len(raw.data)
    if lt == 1:
        if n < 14:
            D.add(0, f"Ethernet II: short header ({n} of 14 bytes)", "bold red")
            return 0, None, False
        D.add(0, f"Ethernet II: {_mac(data[6:12])} {view.to} {_mac(data[0:6])}", "bold", "eth", (0, 14))
        D.add(1, f"Destination: {_mac(data[0:6])}", "", "eth.dst", (0, 6))
        D.add(1, f"Source: {_mac(data[6:12])}", "", "eth.src", (6, 12))
        off = 12
        etype = struct.unpack_from("!H", data, off)[0]
        while etype in (0x8100, 0x88A8, 0x9100) and n >= off + 6:
            tci = struct.unpack_from("!H", data, off + 2)[0]
            D.add(1, f"VLAN tag ({_ETHERTYPES[etype]}): ID {tci & 0xFFF}, priority {tci >> 13}", "", "eth.vlan",
                  (off, off + 4))
            off += 4
            etype = struct.unpack_from("!H", data, off)[0]
        D.add(1, f"Type: 0x{etype:04x} ({_ETHERTYPES.get(etype, 'other')})", "", "eth.type", (off, off + 2))
        return off + 2, etype, True
    if lt == 113:
        if n < 16:
            D.add(0, f"Linux cooked capture: short header ({n} of 16 bytes)", "bold red")
            return 0, None, False
        ptype = struct.unpack_from("!H", data, 0)[0]
        alen = struct.unpack_from("!H", data, 4)[0]
        etype = struct.unpack_from("!H", data, 14)[0]
        D.add(0, "Linux cooked capture (SLL): the capture was taken on 'any' interface", "bold", "sll", (0, 16))
        D.add(1, f"Packet type: {ptype} ({_SLL_TYPES.get(ptype, 'other')})", "", "sll.pkttype", (0, 2))
        D.add(1, f"Link-layer address: {_mac(data[6:6 + min(alen, 8)])}", "", "sll.src", (6, 14))
        D.add(1, f"Protocol: 0x{etype:04x} ({_ETHERTYPES.get(etype, 'other')})", "", "sll.etype", (14, 16))
        return 16, etype, True
    if lt == 276:
        if n < 20:
            D.add(0, f"Linux cooked capture v2: short header ({n} of 20 bytes)", "bold red")
            return 0, None, False
        etype = struct.unpack_from("!H", data, 0)[0]
        ifindex = struct.unpack_from("!I", data, 4)[0]
        ptype, alen = data[10], data[11]
        D.add(0, "Linux cooked capture v2 (SLL2)", "bold", "sll2", (0, 20))
        D.add(1, f"Protocol: 0x{etype:04x} ({_ETHERTYPES.get(etype, 'other')})", "", "sll2.etype", (0, 2))
        D.add(1, f"Interface index: {ifindex}", "", "sll2.ifindex", (4, 8))
        D.add(1, f"Packet type: {ptype} ({_SLL_TYPES.get(ptype, 'other')})", "", "sll2.pkttype", (10, 11))
        D.add(1, f"Link-layer address: {_mac(data[12:12 + min(alen, 8)])}", "", "sll2.src", (12, 20))
        return 20, etype, True
    if lt in (0, 108):
        if n < 4:
            D.add(0, f"Loopback: short header ({n} of 4 bytes)", "bold red")
            return 0, None, False
        fam = struct.unpack_from("!I" if lt == 108 else "<I", data, 0)[0]
        if lt == 0 and fam > 0xFFFF:
            fam = struct.unpack_from("!I", data, 0)[0]
        what = "IPv4" if fam == 2 else "IPv6" if fam in (24, 28, 30) else "other"
        D.add(0, f"BSD loopback ({'LOOP' if lt == 108 else 'NULL'}): family {fam} ({what})", "bold", "loop.family",
              (0, 4))
        return 4, {"IPv4": 0x0800, "IPv6": 0x86DD}.get(what), True
    if lt in (101, 12, 14, 228, 229):
        D.add(0, "Raw IP: no link-layer header in this capture", "bold")
        if not n:
            return 0, None, False
        v = data[0] >> 4
        return 0, {4: 0x0800, 6: 0x86DD}.get(v), True
    D.add(0, f"Link type {lt}: not supported by wsdissect", "dim")
    return 0, None, False


def _ipv4(D: _Dissection, data: bytes, off: int, view: View) -> tuple:
    n = len(data)
    if n - off < 20:
        D.add(0, f"IPv4: short header ({n - off} of 20 bytes)", "bold red")
        return None, None, None
    vihl, tos, total, ident, frag, ttl, proto, csum = struct.unpack_from("!BBHHHBBH", data, off)
    src, dst = _ip(data[off + 12:off + 16]), _ip(data[off + 16:off + 20])
    ihl = (vihl & 15) * 4
    D.add(0, f"Internet Protocol version 4: {src} {view.to} {dst}", "bold", "ip", (off, off + max(ihl, 20)))
    D.add(1, f"Version: 4, header length: {ihl} bytes", "", "ip.hdr_len", (off, off + 1))
    D.add(1, f"Total length: {total} bytes (header + TCP segment)", "", "ip.len", (off + 2, off + 4))
    D.add(1, f"Identification: 0x{ident:04x}", "", "ip.id", (off + 4, off + 6))
    flags = []
    if frag & 0x4000:
        flags.append("Don't Fragment")
    if frag & 0x2000:
        flags.append("More Fragments")
    D.add(1, f"Flags: {', '.join(flags) or 'none'}; fragment offset {frag & 0x1FFF}", "", "ip.flags",
          (off + 6, off + 8))
    D.add(1, f"Time to live: {ttl} (routers left before the packet is dropped)", "", "ip.ttl", (off + 8, off + 9))
    D.add(1, f"Protocol: {proto} ({_IP_PROTOS.get(proto, 'other')})", "", "ip.proto", (off + 9, off + 10))
    D.add(1, f"Header checksum: 0x{csum:04x}", "", "ip.checksum", (off + 10, off + 12))
    D.add(1, f"Source address: {src}", "", "ip.src", (off + 12, off + 16))
    D.add(1, f"Destination address: {dst}", "", "ip.dst", (off + 16, off + 20))
    if ihl < 20 or n - off < ihl:
        D.add(1, f"bad header length {ihl}", "bold red")
        return None, None, None
    if frag & 0x3FFF:
        D.add(1, "an IP fragment: wsdissect does not reassemble IP fragments", "yellow")
        return None, None, None
    end = off + (total if total else n - off)
    return off + ihl, end, proto


def _ipv6(D: _Dissection, data: bytes, off: int, view: View) -> tuple:
    n = len(data)
    if n - off < 40:
        D.add(0, f"IPv6: short header ({n - off} of 40 bytes)", "bold red")
        return None, None, None
    vcf, plen, nxt, hop = struct.unpack_from("!IHBB", data, off)
    src, dst = _ip(data[off + 8:off + 24]), _ip(data[off + 24:off + 40])
    D.add(0, f"Internet Protocol version 6: {src} {view.to} {dst}", "bold", "ipv6", (off, off + 40))
    D.add(1, f"Version: 6, traffic class 0x{(vcf >> 20) & 0xFF:02x}, flow label 0x{vcf & 0xFFFFF:05x}", "",
          "ipv6.flow", (off, off + 4))
    D.add(1, f"Payload length: {plen} bytes", "", "ipv6.plen", (off + 4, off + 6))
    D.add(1, f"Next header: {nxt} ({_IP_PROTOS.get(nxt, 'extension header' if nxt in (0, 43, 44, 51, 60) else 'other')})",
          "", "ipv6.nxt", (off + 6, off + 7))
    D.add(1, f"Hop limit: {hop} (routers left before the packet is dropped)", "", "ipv6.hlim", (off + 7, off + 8))
    D.add(1, f"Source address: {src}", "", "ipv6.src", (off + 8, off + 24))
    D.add(1, f"Destination address: {dst}", "", "ipv6.dst", (off + 24, off + 40))
    t = off + 40
    end = t + plen if plen else n
    while nxt != 6:
        if nxt in (0, 43, 60, 51) and t + 2 <= n:
            hlen = (data[t + 1] + 1) << 3 if nxt != 51 else (data[t + 1] + 2) << 2
        elif nxt == 44 and t + 8 <= n:
            hlen = 8
        else:
            return None, None, nxt
        D.add(1, f"Extension header {nxt}: {hlen} bytes", "", "ipv6.ext", (t, min(t + hlen, n)))
        nxt = data[t]
        t += hlen
    return t, end, 6


def _ip(b: bytes) -> str:
    import socket
    return socket.inet_ntop(socket.AF_INET if len(b) == 4 else socket.AF_INET6, b)


def _tcp(D: _Dissection, data: bytes, t: int, ip_end: int, row: Optional[Row], conn: Optional[Connection],
         view: View) -> Optional[tuple]:
    n = len(data)
    end = min(ip_end, n)
    if end - t < 20:
        D.add(0, f"TCP: short header ({max(end - t, 0)} of 20 bytes)", "bold red")
        return None
    sport, dport, seq, ack, doff, flags, win, csum, urg = struct.unpack_from("!HHIIBBHHH", data, t)
    hl = (doff >> 4) * 4
    p_start = min(t + hl, end)
    plen = max(end - p_start, 0)
    rel = row is not None and row.conn is not None
    head = f"Transmission Control Protocol: port {sport} {view.to} {dport}"
    if rel:
        head += f", Seq={row.seq}"
        if flags & ACK:
            head += f" Ack={row.ack}"
    head += f", Len={plen}"
    D.add(0, head, "bold", "tcp", (t, min(t + hl, end)))
    side = {C2S: "client", S2C: "server"}
    sd = side.get(row.direction) if rel else None
    D.add(1, f"Source port: {sport}" + (f" ({sd})" if sd else ""), "", "tcp.srcport", (t, t + 2))
    D.add(1, f"Destination port: {dport}" + (f" ({side[OTHER[row.direction]]})" if sd else ""), "", "tcp.dstport",
          (t + 2, t + 4))
    nxt = (row.seq if rel else seq) + plen + (1 if flags & (SYN | FIN) else 0)
    if rel:
        D.add(1, f"Sequence number: {row.seq} (relative), raw {seq}: counts the bytes this side sent; the SYN "
                 "counts as one, so data starts at 1", "", "tcp.seq", (t + 4, t + 8))
        D.add(2, f"next sequence number: {nxt} (relative): what the peer will acknowledge", "dim")
        if flags & ACK:
            D.add(1, f"Acknowledgment number: {row.ack} (relative), raw {ack}: the next byte expected from the other side",
                  "", "tcp.ack", (t + 8, t + 12))
        else:
            D.add(1, f"Acknowledgment number: raw {ack} (not valid: ACK not set)", "", "tcp.ack", (t + 8, t + 12))
    else:
        D.add(1, f"Sequence number: {seq} (raw)", "", "tcp.seq", (t + 4, t + 8))
        D.add(1, f"Acknowledgment number: {ack} (raw)", "", "tcp.ack", (t + 8, t + 12))
    D.add(1, f"Header length: {hl} bytes ({hl // 4} × 4)", "", "tcp.hdr_len", (t + 12, t + 13))
    names = flag_names(flags) or "none"
    D.add(1, f"Flags: 0x{flags:02x} ({names.replace(',', ', ')})", "", "tcp.flags", (t + 13, t + 14))
    for bit, name, meaning in _FLAG_TEXT:
        on = bool(flags & bit)
        D.add(2, f"{_bits(flags, bit)} = {name}: {'set' if on else 'not set'}" + (f" — {meaning}" if on else ""),
              "" if on else "dim")
    if rel and row.window != win:
        D.add(1, f"Window: {win} (raw); {row.window} bytes after window scaling: how much more the sender can "
                 "receive", "", "tcp.window", (t + 14, t + 16))
    else:
        D.add(1, f"Window: {win} bytes: how much more the sender can receive" +
              ("" if not flags & SYN else " (never scaled in a SYN)"), "", "tcp.window", (t + 14, t + 16))
    D.add(1, f"Checksum: 0x{csum:04x}", "", "tcp.checksum", (t + 16, t + 18))
    if flags & URG or urg:
        D.add(1, f"Urgent pointer: {urg}", "", "tcp.urgent", (t + 18, t + 20))
    if hl > 20:
        _tcp_options(D, data, t + 20, min(t + hl, end))
    if hl < 20:
        D.add(1, f"bad header length {hl}", "bold red")
        return None
    if plen or ip_end > n:
        more = f" ({ip_end - n} more not captured)" if ip_end > n else ""
        D.add(1, f"Payload: {plen} bytes{more}", "", "tcp.payload", (p_start, p_start + plen))
    if rel:
        D.add(1, f"Role: {row.role}", "cyan")
        for text in [row.label]:
            D.add(2, view.clean(text), "cyan")
        for note in row.notes:
            D.add(2, f"[{note.severity}] {view.clean(note.text)} ({note.code})",
                  {"error": "bold red", "warning": "yellow"}.get(note.severity, ""))
    return p_start, p_start + plen


def _tcp_options(D: _Dissection, data: bytes, i: int, end: int) -> None:
    D.add(1, f"Options: {end - i} bytes", "", "tcp.options", (i, end))
    while i < end:
        kind = data[i]
        if kind == 0:
            D.add(2, "End of options", "dim")
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= end or data[i + 1] < 2:
            D.add(2, "malformed option", "yellow")
            break
        size = data[i + 1]
        body = data[i + 2:i + size]
        if kind == 2 and len(body) == 2:
            text = f"Maximum segment size: {struct.unpack('!H', body)[0]} bytes"
        elif kind == 3 and len(body) == 1:
            text = f"Window scale: shift {body[0]} (multiply windows by {1 << min(body[0], 14)})"
        elif kind == 4:
            text = "SACK permitted"
        elif kind == 5:
            text = f"SACK: {len(body) // 8} block(s)"
        elif kind == 8 and len(body) == 8:
            tsv, tse = struct.unpack("!II", body)
            text = f"Timestamps: TSval {tsv}, TSecr {tse}"
        else:
            text = f"Option {kind}: {size} bytes"
        D.add(2, text, "", f"tcp.option.{ {2: 'mss', 3: 'wscale', 4: 'sack_perm', 5: 'sack', 8: 'timestamps'}.get(kind, str(kind))}",
              (i, min(i + size, end)))
        i += size


# ------------------------------------------------------------------------------------------------ HTTP head

def _http(D: _Dissection, data: bytes, p_start: int, p_end: int, row: Row, conn: Connection, pre,
          view: View) -> Optional[int]:
    """Dissect an HTTP head that starts in this payload. Returns the absolute offset where WebSocket bytes
    begin inside this packet (after a 101's head), or None."""
    payload = data[p_start:p_end]
    if not (payload.startswith(b"HTTP/") or payload.split(b" ", 1)[0] in
            (b"GET", b"POST", b"PUT", b"HEAD", b"DELETE", b"OPTIONS", b"PATCH", b"CONNECT")):
        return None
    cl = view.clean
    head_end = payload.find(b"\r\n\r\n")
    sep = 4
    if head_end < 0:
        head_end = payload.find(b"\n\n")
        sep = 2
    complete = head_end >= 0
    head = payload[:head_end] if complete else payload
    lines = head.split(b"\n")
    is_req = not payload.startswith(b"HTTP/")
    title = "Hypertext Transfer Protocol: " + ("request" if is_req else "response")
    D.add(0, title if complete else title + " (head continues in the next packet)", "bold magenta", "http",
          (p_start, p_start + (head_end + sep if complete else len(payload))))
    at = p_start
    first = True
    for raw_line in lines:
        line_len = len(raw_line) + 1
        text = raw_line.rstrip(b"\r").decode("utf-8", "replace")
        span = (at, at + len(raw_line.rstrip(b"\r")))
        if first:
            first = False
            D.add(1, cl(text), "magenta", "http.request_line" if is_req else "http.status_line", span)
            if is_req and text.startswith("GET "):
                parts = text.split(" ")
                if len(parts) >= 2:
                    D.add(2, f"GET {cl(parts[1])}: the resource (path and query) the WebSocket is opened on", "dim")
            elif not is_req:
                code = text.split(" ")[1] if len(text.split(" ")) > 1 else ""
                if code == "101":
                    D.add(2, "101 Switching Protocols: from the next byte on, this connection speaks WebSocket",
                          "dim")
                elif code:
                    D.add(2, f"status {code}: the upgrade was refused; no WebSocket frames will follow", "dim")
        elif text:
            name, _, value = text.partition(":")
            value = value.strip()
            lname = name.strip().lower()
            D.add(1, cl(f"{name.strip()}: {value}"), "", f"http.header.{lname}", span)
            explain = (_RESPONSE_TEXT.get(lname) if not is_req else None) or _HEADER_TEXT.get(lname)
            if explain:
                D.add(2, explain, "dim")
            if lname == "sec-websocket-key":
                _key_lines(D, value, view)
            elif lname == "sec-websocket-accept":
                _accept_lines(D, value, conn, view)
            elif lname == "sec-websocket-version" and value != "13":
                D.add(2, f"version {cl(value)} is not 13: RFC 6455 servers refuse it", "yellow")
        at += line_len
    if complete and not is_req and payload[head_end + sep:]:
        return p_start + head_end + sep
    return None


def _key_lines(D: _Dissection, key: str, view: View) -> None:
    try:
        raw = base64.b64decode(key, validate=True)
        D.add(2, f"decodes to {len(raw)} bytes: {raw.hex(' ')}", "dim")
    except (binascii.Error, ValueError):
        D.add(2, "not valid base64", "yellow")
    D.add(2, f"the server must answer: {compute_accept(key)}", "dim")


def _accept_lines(D: _Dissection, accept: str, conn: Connection, view: View) -> None:
    key = conn.key
    if not key:
        D.add(2, "the request's key is not in the capture: cannot check it", "yellow")
        return
    digest = hashlib.sha1((key.strip() + WS_GUID).encode("utf-8")).digest()
    expected = base64.b64encode(digest).decode("ascii")
    D.add(2, f"key from the request:  {view.clean(key)}", "dim")
    D.add(2, f"key + GUID:  {view.clean(key.strip())}{WS_GUID}", "dim")
    D.add(2, f"SHA-1:  {digest.hex()}", "dim")
    D.add(2, f"base64:  {expected}", "dim")
    if accept.strip() == expected:
        D.add(2, f"{view.ok} matches: the server read this very handshake", "green")
    else:
        D.add(2, f"{view.bad} does NOT match: a client must fail the connection (RFC 6455 4.1)", "bold red")


# ------------------------------------------------------------------------------------------------ WebSocket

def _websocket(D: _Dissection, data: bytes, p_start: int, p_end: int, row: Row, conn: Connection, pre,
               ws_at: Optional[int], view: View) -> None:
    d = row.direction
    own = [f for f in row.frames if f.direction == d]
    msgs = [m for m in row.messages if m.direction == d]
    if pre is None or (pre[0] is None and ws_at is None):
        if own:
            D.add(0, "WebSocket: frames completed here (their byte positions are unknown)", "bold green")
            for i, f in enumerate(own):
                _frame_from_record(D, f, i, len(own), view)
            _messages(D, msgs, view)
        return
    next_start, began_no, head, _ = pre
    P = (row.seq - 1) & 0xFFFFFFFF
    if ws_at is not None:
        pos = ws_at - p_start
    else:
        pos = next_start - P
    plen = p_end - p_start
    if pos >= plen:
        return
    records = iter(own)
    blocks = []
    while pos < plen:
        if pos < 0:
            # The frame in progress began in an earlier packet.
            rec = next(records, None)
            hdr = _parse_ws_header(head) if head else None
            if rec is not None:
                size = rec.header_len + rec.length
                info = {"fin": rec.fin, "rsv": rec.rsv, "opcode": rec.opcode, "masked": rec.masked,
                        "key": rec.mask_key, "length": rec.length, "header_len": rec.header_len}
            elif hdr is not None:
                size = hdr["header_len"] + hdr["length"]
                info = hdr
            else:
                blocks.append(("cont", None, None, 0, plen, began_no))
                break
            end = min(pos + size, plen)
            blocks.append(("cont", info, rec, pos, end, rec.first_no if rec is not None else began_no))
            pos = pos + size
            continue
        hdr = _parse_ws_header(data[p_start + pos:p_end])
        if hdr is None:
            blocks.append(("partial-header", None, None, pos, plen, None))
            break
        size = hdr["header_len"] + hdr["length"]
        rec = next(records, None) if pos + size <= plen else None
        blocks.append(("frame", hdr, rec, pos, min(pos + size, plen), None))
        pos += size
    count = len(blocks)
    D.add(0, f"WebSocket ({count} frame{'s' if count != 1 else ''} or part{'s' if count != 1 else ''} in this "
             f"packet, {SIDE[d]} {view.to} {SIDE[OTHER[d]]})" if count > 1 else
          f"WebSocket ({SIDE[d]} {view.to} {SIDE[OTHER[d]]})", "bold green")
    for i, (kind, info, rec, start, end, first_no) in enumerate(blocks):
        a, b = p_start + start, p_start + end
        if kind == "partial-header":
            D.add(1, f"start of a frame header ({end - start} bytes): it continues in the next packet", "green",
                  "ws.header", (a, b))
            continue
        if kind == "cont":
            _continued(D, data, info, rec, start, a, b, p_start, first_no, view)
            continue
        _frame(D, data, info, rec, a, b, conn, d, view)
    _messages(D, msgs, view)


def _frame_title(info: dict, length_here: Optional[int] = None) -> str:
    name = opcode_name(info["opcode"])
    tags = ["FIN" if info["fin"] else "not FIN"]
    if info["rsv"] & 4:
        tags.append("RSV1=compressed")
    if info["masked"]:
        tags.append("masked")
    return f"{name.capitalize()} frame ({', '.join(tags)}), payload {info['length']} bytes"


def _frame(D: _Dissection, data: bytes, h: dict, rec: Optional[Frame], a: int, b: int, conn: Connection, d: str,
           view: View) -> None:
    b0, b1 = data[a], data[a + 1]
    hl = h["header_len"]
    D.add(1, _frame_title(h), "green", "ws.frame", (a, b))
    D.add(2, f"Header: {hl} bytes", "", "ws.header", (a, a + hl))
    D.add(3, f"{_bits(b0, 0x80)} = FIN: {int(h['fin'])} — " +
          ("the last (or only) frame of its message" if h["fin"] else "more fragments of this message follow"),
          "", "ws.fin", (a, a + 1))
    rsv = h["rsv"]
    if rsv & 4:
        rtext = "RSV1 set: the payload is compressed (permessage-deflate)"
    elif rsv:
        rtext = "reserved bits set without an extension that defines them: a protocol error"
    else:
        rtext = "no extension bits"
    D.add(3, f"{_bits(b0, 0x70)} = RSV1-3: {(rsv >> 2) & 1} {(rsv >> 1) & 1} {rsv & 1} — {rtext}",
          "" if not rsv & 3 else "yellow", "ws.rsv", (a, a + 1))
    op = h["opcode"]
    kind = ("control frame" if op >= 8 else "data frame")
    D.add(3, f"{_bits(b0, 0x0F)} = Opcode: {op} ({opcode_name(op)}, {kind})", "", "ws.opcode", (a, a + 1))
    if h["masked"]:
        mtext = "MASK: 1 — payload XORed with the masking key (clients must mask)"
    else:
        mtext = "MASK: 0 — payload sent as is" + (" (servers never mask)" if d == S2C else
                                                  ": a client must mask every frame!")
    D.add(3, f"{_bits(b1, 0x80)} = {mtext}", "" if h["masked"] or d == S2C else "bold red", "ws.mask", (a + 1, a + 2))
    n7 = h["len7"]
    if h["ext"] is None:
        D.add(3, f"{_bits(b1, 0x7F)} = Payload length: {n7} (7-bit form: 0-125 fit in these 7 bits)", "",
              "ws.payload_len", (a + 1, a + 2))
    else:
        e0, e1 = h["ext"]
        D.add(3, f"{_bits(b1, 0x7F)} = Payload length: {n7}, meaning: the real length follows in "
                 f"{e1 - e0} bytes", "", "ws.payload_len", (a + 1, a + 2))
        D.add(3, f"Extended payload length: {h['length']} ({h['form']} form: "
                 + ("126-65535 bytes)" if n7 == 126 else "65536 bytes and more)"), "", "ws.payload_len",
              (a + e0, a + e1))
    if h["masked"]:
        k0, k1 = h["key_span"]
        D.add(3, f"Masking key: {h['key'].hex(' ')}", "", "ws.mask_key", (a + k0, a + k1))
    ps, pe = a + hl, b
    here = pe - ps
    if h["length"] == 0:
        D.add(2, "Payload: empty", "dim")
        return
    more = f" ({here} of {h['length']} in this packet; the rest comes later)" if here < h["length"] else ""
    D.add(2, f"Payload: {h['length']} bytes{more}", "", "ws.payload", (ps, pe))
    wire = data[ps:pe]
    plain = unmask(wire, h["key"]) if h["masked"] else wire
    if h["masked"]:
        D.add(3, f"masked (as sent):  {_hex(wire, ell=view.ell)}", "dim")
        D.add(3, f"unmasked (byte i XOR key[i mod 4]):  {_hex(plain, ell=view.ell)}")
    elif op not in (TEXT, CLOSE) and not (h["rsv"] & 4):
        D.add(3, f"bytes (not masked):  {_hex(plain, 16, ell=view.ell)}")
    _payload_meaning(D, h, rec, plain, view, span=(ps, min(ps + 2, pe)))


def _continued(D: _Dissection, data: bytes, info: Optional[dict], rec: Optional[Frame], start: int, a: int, b: int,
               p_start: int, first_no: Optional[int], view: View) -> None:
    began = f"#{first_no}" if first_no else "an earlier packet"
    if info is None:
        D.add(1, f"Continuation of a frame that began in {began} ({b - a} bytes here)", "green", "ws.payload",
              (a, b))
        return
    D.add(1, _frame_title(info) + f" — frame began in {began}", "green", "ws.frame", (a, b))
    hl = info["header_len"]
    hdr_end = start + hl          # relative to the payload start; >0 when the header's tail is in this packet
    if hdr_end > 0:
        D.add(2, f"Header: its last {hdr_end} bytes are here", "", "ws.header", (p_start, p_start + hdr_end))
    ps = p_start + max(hdr_end, 0)
    if b > ps:
        offset = max(-hdr_end, 0)           # payload bytes that came in earlier packets
        D.add(2, f"Payload bytes {offset}-{offset + b - ps - 1} of {info['length']} are in this packet",
              "", "ws.payload", (ps, b))
        wire = data[ps:b]
        key = info.get("key")
        plain = unmask(wire, key, offset % 4) if info["masked"] and key else wire
        if info["masked"] and key:
            D.add(3, f"masked (as sent):  {_hex(wire, ell=view.ell)}", "dim")
            D.add(3, f"unmasked:  {_hex(plain, ell=view.ell)}")
        if rec is not None:
            _payload_meaning(D, info, rec, rec.payload, view, whole=True)


def _payload_meaning(D: _Dissection, h: dict, rec: Optional[Frame], plain: bytes, view: View,
                     whole: bool = False, span: Optional[tuple] = None) -> None:
    op = h["opcode"]
    pre = "whole payload: " if whole else ""
    if op == CLOSE:
        if rec is not None and rec.close_code is not None:
            code = rec.close_code
            D.add(3, f"Close code: {code} {close_code_name(code)} — {close_code_meaning(code)}", "dark_orange",
                  "ws.close_code", span)
            if rec.close_reason:
                D.add(3, f'Reason: "{view.clean(rec.close_reason)}"', "dark_orange")
        elif len(plain) >= 2:
            code = struct.unpack("!H", plain[:2])[0]
            D.add(3, f"Close code: {code} {close_code_name(code)} — {close_code_meaning(code)}", "dark_orange",
                  "ws.close_code", span)
        return
    if h["rsv"] & 4 and op in (TEXT, BINARY, CONTINUATION):
        D.add(3, "compressed bytes (DEFLATE): the message below shows them inflated", "dim")
        return
    if op == TEXT or (op in (PING, PONG, CONTINUATION) and _texty(plain)):
        text = plain.decode("utf-8", "backslashreplace")
        D.add(3, f'{pre}as text: "{view.clean(_cut(text, PREVIEW_CHARS, view.ell))}"')


def _texty(b: bytes) -> bool:
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return bool(s) and all(ch.isprintable() or ch in "\n\r\t" for ch in s)


def _cut(s: str, n: int, ell: str) -> str:
    return s if len(s) <= n else s[:n] + ell


def _frame_from_record(D: _Dissection, f: Frame, i: int, count: int, view: View) -> None:
    info = {"fin": f.fin, "rsv": f.rsv, "opcode": f.opcode, "masked": f.masked, "length": f.length}
    began = f" — frame began in #{f.first_no}" if f.first_no != f.no else ""
    D.add(1, _frame_title(info) + began, "green")
    if f.masked and f.mask_key:
        D.add(2, f"Masking key: {f.mask_key.hex(' ')}")
    if f.payload:
        D.add(2, f"unmasked payload: {_hex(f.payload, ell=view.ell)}")
    _payload_meaning(D, info, f, f.payload, view, whole=True)


def _messages(D: _Dissection, msgs: list, view: View) -> None:
    for m in msgs:
        kind = opcode_name(m.opcode)
        how = []
        if m.frames > 1:
            how.append(f"{m.frames} fragments, #{m.first_no}-#{m.last_no}")
        if m.compressed:
            how.append(f"compressed {m.wire_length} {view.to} {m.length} bytes")
        extra = f" ({'; '.join(how)})" if how else ""
        D.add(1, f"Message complete: {kind}, {m.length} bytes{extra}", "bold green")
        if m.text is not None:
            D.add(2, f'"{view.clean(_cut(m.text, PREVIEW_CHARS, view.ell))}"')
        elif m.data:
            D.add(2, _hex(m.data, 16, ell=view.ell))
        if m.truncated:
            D.add(2, "cut: the message was not kept whole (cap or missing bytes)", "yellow")


# ------------------------------------------------------------------------------------------------ rendering

def details_lines(view: View, raw: RawPacket, row: Optional[Row], conn: Optional[Connection], pre,
                  analyzer: Analyzer, field: Optional[str] = None) -> list:
    """The (text, style) lines of the tree and the hex dump."""
    D = _dissect(raw, row, conn, pre, analyzer, view)
    width = view.width
    if field is not None:
        key = field.lower()
        if key not in D.fields:
            raise UnknownField(f"no field {field!r} in packet {raw.no}; fields here: {', '.join(D.order)}")
        marks = D.fields[key]
        what = key
    else:
        marks = D.fields.get("ws.header", [])
        what = "ws.header (the WebSocket frame headers)" if marks else None
    out: list = []
    for ln in D.lines:
        lead = INDENT * ln.depth
        style = ln.style
        if field is not None and ln.field == key:
            style = "reverse"
            lead = lead[:-2] + "> " if ln.depth else "> "
        for text in wrap(ln.text, width, lead, INDENT * ln.depth + "    "):
            out.append((text, style))
    out.append(("", ""))
    title = f"Bytes ({len(raw.data)})"
    if what:
        title += f", marked {'in colour' if not view.plain else 'with ^'}: {what}"
    out.extend((t, "bold") for t in wrap(title, width))
    out.extend(_hexdump(raw.data, marks, view))
    out.append(("", ""))
    names = "Fields for --field: " + " ".join(D.order)
    out.extend((t, "dim") for t in wrap(names, width, "", "  "))
    return out


def _hexdump(data: bytes, marks: list, view: View) -> list:
    marked = bytearray(len(data))
    for a, b in marks:
        for i in range(max(a, 0), min(b, len(data))):
            marked[i] = 1
    out = []
    for row_at in range(0, len(data), 16):
        chunk = data[row_at:row_at + 16]
        spans = [(f"{row_at:04x}  ", "dim")]
        carets = [" " * 6]
        asc_spans = []
        asc_carets = []
        for i, byte in enumerate(chunk):
            m = marked[row_at + i]
            sep = " " if i != 7 else "  "
            spans.append((f"{byte:02x}", "reverse bold" if m else ""))
            spans.append((sep, ""))
            carets.append(("^^" if m else "  ") + sep)
            asc_spans.append((chr(byte) if 0x20 <= byte < 0x7F else ".", "reverse bold" if m else ""))
            asc_carets.append("^" if m else " ")
        pad = 16 - len(chunk)
        filler = "   " * pad + (" " if pad > 8 else "")
        spans.append((filler + " ", ""))
        carets.append(filler + " ")
        spans.extend(asc_spans)
        out.append((spans, ""))
        if view.plain and any(marked[row_at:row_at + 16]):
            out.append((("".join(carets) + "".join(asc_carets)).rstrip(), ""))
    return out


def render_details(console: Console, capture_path: str, no: int, *, field: Optional[str] = None,
                   limits: Limits = DEFAULT_LIMITS, decode_as: Iterable[int] = (),
                   packets: Optional[Iterator[RawPacket]] = None) -> None:
    """Print the details of packet `no` of a capture. `packets` may be given (already opened and primed);
    otherwise the file is opened here. Raises PacketOutOfRange, UnknownField, and the capture's own errors."""
    if packets is None:
        from ..sources.pcap import open_capture
        packets = open_capture(capture_path)
    raw, row, analyzer, pre = _read_to(packets, no, limits, decode_as)
    conn = analyzer.connections.get(row.conn) if row is not None and row.conn is not None else None
    view = View(console)
    emit(view, details_lines(view, raw, row, conn, pre, analyzer, field))
