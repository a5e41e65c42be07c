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
import json
import struct
from dataclasses import dataclass, field as dc_field
from typing import Iterable, Iterator, Optional

from rich.cells import set_cell_size
from rich.console import Console
from rich.text import Text

from ..analyzer import Analyzer
from ..app import describe
from ..decode import DecodeError, decode_packet
from ..http import WS_GUID, HttpRequest, HttpResponse, HttpStream, accept_steps, compute_accept
from ..i18n import DEFAULT_LANG, catalog, note_text
from ..limits import DEFAULT_LIMITS, Limits
from ..model import ACK, C2S, CWR, ECE, FIN, PSH, RST, S2C, SYN, URG, Connection, Frame, RawPacket, Secrets, \
    Row, flag_names
from ..websocket.codes import CLOSE, CONTINUATION, PING, PONG, TEXT, BINARY, opcode_name
from ..websocket.frames import unmask
from .linebreak import cells, wrap
from .timeline import clean, clean_ascii, writes_direct
from .labels import LabelWords
from .words import close_meaning, close_name

__all__ = ["render_details", "details_lines", "PacketOutOfRange", "UnknownField", "emit", "wrap", "View"]

SIDE = {C2S: "client", S2C: "server"}
OTHER = {C2S: S2C, S2C: C2S}
_DIR_KEY = {C2S: "show.ws_dir.c2s", S2C: "show.ws_dir.s2c"}
PREVIEW_BYTES = 32          # bytes of a payload shown in hex in the tree
PREVIEW_CHARS = 64          # characters of a text payload shown in the tree
INDENT = "  "


class PacketOutOfRange(ValueError):
    """The capture has fewer packets than asked for (or the number is below 1)."""


class UnknownField(ValueError):
    """--field names nothing in this packet; the message lists what does."""


# ----------------------------------------------------------------------------------------------- output helpers

class View:
    """Console facts every view needs: plain or colour, Unicode or ASCII, width; and its language: `t` is the
    i18n catalog (id -> template) the view's fixed words come from, `labels` words the rows' labels."""

    def __init__(self, console: Console, lang: str = DEFAULT_LANG) -> None:
        self.console = console
        self.lang = lang
        self.t = catalog(lang)
        self.labels = LabelWords(lang)
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


def fit(s: str, width: int, ellipsis: str = "…") -> str:
    if cells(s) <= width:
        return s
    keep = width - cells(ellipsis)
    return (set_cell_size(s, keep) + ellipsis) if keep > 0 else set_cell_size(s, width)


def plain_text(view: View, lines: Iterable[tuple]) -> str:
    """What emit writes of (text, style) lines on a plain console that it writes to directly ("" for none)."""
    fix = clean_ascii if view.ascii else None
    out = []
    for t, _ in lines:
        if not isinstance(t, str):
            t = "".join([part if fix is None else fix(part) for part, _ in t])
        elif fix is not None:
            t = fix(t)
        out.append(t)
    return "\n".join(out) + "\n" if out else ""


def emit(view: View, lines: Iterable[tuple]) -> None:
    """Print (text, style) lines; a text may also be a list of (text, style) spans. Styles are dropped when the
    console is plain; non-ASCII is spelled out when the console cannot encode it.

    Plain text goes straight to the console's file when rich need not see it (writes_direct): the same bytes,
    without rich splitting one Text of a whole transcript into lines (`follow` on the 200k-packet benchmark
    capture spent 55 of its 60 s there)."""
    fix = clean_ascii if view.ascii else None
    console = view.console
    if view.plain and writes_direct(console):
        out = plain_text(view, lines)
        if out:
            try:
                console.file.write(out)
            except BrokenPipeError:
                console.quiet = True        # as QuietConsole.on_broken_pipe: the command ends quietly
                raise
        return
    text = Text()
    first = True
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
    # masked payload pieces in raw.data: (start, end, mask key, offset of `start` in its frame's payload), for a
    # view that shows them masked and unmasked (the lab page, render/report.py)
    masks: list = dc_field(default_factory=list)
    # the data frames whose payload is (partly) in raw.data and that the packet completed: (frame record, start,
    # end, offset of `start` in the frame's payload), in order: where a decoder's spans fall (_messages)
    tails: list = dc_field(default_factory=list)

    def add(self, depth: int, text: str, style: str = "", name: Optional[str] = None,
            span: Optional[tuple] = None) -> None:
        if name is not None and span is not None and span[1] > span[0]:
            if name not in self.fields:
                self.fields[name] = []
                self.order.append(name)
            self.fields[name].append(span)
        self.lines.append(_Line(depth, text, style, name))

    def add_spans(self, depth: int, text: str, style: str, name: str, spans: list) -> None:
        """add() for a field whose bytes are in several places of the packet (or none)."""
        self.add(depth, text, style, name, spans[0] if spans else None)
        if len(spans) > 1:
            self.fields[name].extend(spans[1:])


def _hex(b: bytes, limit: int = PREVIEW_BYTES, ell: str = "…") -> str:
    s = bytes(b[:limit]).hex(" ")
    return s + (f" {ell}" if len(b) > limit else "")


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


_ETHERTYPES = {0x0800: "IPv4", 0x86DD: "IPv6", 0x0806: "ARP", 0x8100: "802.1Q VLAN", 0x88A8: "802.1ad QinQ",
               0x9100: "QinQ"}
_IP_PROTOS = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "ICMPv6"}

# Each flag and what it means when set (ids show.flag.<name> in the i18n catalog).
_FLAG_TEXT = ((CWR, "CWR"), (ECE, "ECE"), (URG, "URG"), (ACK, "ACK"), (PSH, "PSH"), (RST, "RST"), (SYN, "SYN"),
              (FIN, "FIN"))

# One line per handshake header: what it is for (ids show.hdr.<name>, and show.hdr_resp.<name> where a
# response's header means something else).
_HEADER_TEXT = frozenset((
    "host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-accept", "sec-websocket-version",
    "sec-websocket-extensions", "sec-websocket-protocol", "origin", "user-agent", "server", "date",
    "content-length", "cookie", "authorization"))

_RESPONSE_TEXT = frozenset(("upgrade", "connection"))


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

    def enter(self, row: Row, payload: bytes) -> Optional[tuple]:
        """`before()` for the packet about to be dissected; returns where its direction's frames stood as the
        packet began, (next_start, began_no, head, ws_start), or None for a packet of no connection."""
        if row.conn is None or row.direction is None:
            self.before(row, payload)
            return None
        st = self.get(row.conn, row.direction)
        pre = (st.next_start, st.began_no, st.head, st.ws_start)
        self.before(row, payload)
        if pre[0] is None and st.next_start is not None:      # the upgrade ended in this very packet
            pre = (st.next_start, None, b"", st.ws_start)
        return pre

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

def _read_to(packets: Iterator[RawPacket], no: int, limits: Limits, decode_as: Iterable[int],
             subprotocol: Optional[str] = None, keylog=None):
    """Run the analyzer up to packet `no`; (raw, row, analyzer, tracker state for its direction)."""
    if no < 1:
        raise PacketOutOfRange(f"packet numbers start at 1, as in Wireshark (got {no}"
                               + ("; there is no counting from the end)" if no < 0 else ")"))
    analyzer = Analyzer(limits, decode_as=decode_as, subprotocol=subprotocol, keylog=keylog, app_spans=True)
    tracker = _Tracker(limits)
    count = 0
    for raw in packets:
        if type(raw) is Secrets:
            analyzer.feed(raw)
            continue
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
        pre = tracker.enter(row, payload) if row is not None else None
        return raw, row, analyzer, pre
    raise PacketOutOfRange(f"packet {no} is out of range: the capture has "
                           f"{count} packet{'s' if count != 1 else ''}")


# ------------------------------------------------------------------------------------------------ dissecting

def _dissect(raw: RawPacket, row: Optional[Row], conn: Optional[Connection], pre, analyzer: Analyzer,
             view: View) -> _Dissection:
    D = _Dissection()
    cl, t = view.clean, view.t
    data = raw.data
    n = len(data)
    t0 = analyzer.summary.first_ts if analyzer.summary.first_ts is not None else raw.ts
    D.add(0, t["show.frame"].format(no=raw.no, wirelen=raw.wirelen, n=n), "bold", "frame", (0, n))
    D.add(1, t["show.time"].format(ts=f"{raw.ts:.6f}", rel=f"{raw.ts - t0:.6f}"))
    if conn is not None:
        D.add(1, t["show.connection"].format(id=conn.id, client=cl(str(conn.client)), arrow=view.to,
                                             server=cl(str(conn.server)), rel=f"{raw.ts - conn.first_ts:.6f}"))
    if n < raw.wirelen:
        D.add(1, t["show.snaplen"].format(n=n, wirelen=raw.wirelen), "yellow")

    off, etype, ok = _link(D, raw, view)
    if not ok:
        if row is not None and row.role == "malformed":
            D.add(0, cl(view.labels.text(row)), "bold red")
        return D
    if etype == 0x0800:
        tcp_at, ip_end, proto = _ipv4(D, data, off, view)
    elif etype == 0x86DD:
        tcp_at, ip_end, proto = _ipv6(D, data, off, view)
    else:
        D.add(0, t["show.not_ip"], "dim")
        return D
    if tcp_at is None:
        if row is not None and row.role == "malformed":
            D.add(0, cl(view.labels.text(row)), "bold red")
        return D
    if proto != 6:
        D.add(0, t["show.not_tcp"].format(proto=_IP_PROTOS.get(proto, proto)), "dim")
        return D
    pay = _tcp(D, data, tcp_at, ip_end, row, conn, view)
    if pay is None:
        if row is not None and row.role == "malformed":
            D.add(0, cl(view.labels.text(row)), "bold red")
        return D
    p_start, p_end = pay
    payload = data[p_start:p_end]
    if not payload or row is None or conn is None:
        return D
    if row.role in ("tcp-retransmission", "tcp-keepalive"):
        D.add(0, t["show.resent"].format(n=len(payload)), "dim", "tcp.payload", (p_start, p_end))
        return D
    if conn.tls is not None:
        _tls(D, row, p_start, p_end, view)
        return D
    ws_at = _http(D, data, p_start, p_end, row, conn, pre, view)
    _websocket(D, data, p_start, p_end, row, conn, pre, ws_at, view)
    return D


def _tls(D: _Dissection, row: Row, p_start: int, p_end: int, view: View) -> None:
    """A TLS connection's packet: the records it completed (what the analyzer's TlsSession found), then the frames
    and messages their decrypted bytes completed (no byte positions: they are not in the packet's bytes)."""
    from ..tls.handshake import MESSAGE_NAMES, version_name
    from ..tls.session import cipher_name
    t, d = view.t, row.direction
    recs = row.tls
    if recs:
        D.add(0, t["show.tls"].format(n=len(recs)), "bold magenta", "tls", (p_start, p_end))
    else:
        D.add(0, t["show.tls_partial"], "magenta", "tls", (p_start, p_end))
    for r in recs:
        how = t["show.tls_decrypted"] if r.decrypted else (t["show.tls_encrypted"] if r.kind ==
                                                           "encrypted-handshake" else "")
        D.add(1, t["show.tls_record"].format(index=r.index, dir=t[_DIR_KEY[r.direction]].format(arrow=view.to),
                                             kind=r.kind, n=r.length, how=how))
        h = r.hello
        if h is not None and r.kind == "client-hello":
            D.add(2, t["show.tls_client_hello"].format(version=version_name(h.version), sni=view.clean(h.sni or "-"),
                                                       n=len(h.ciphers), cipher=cipher_name(h.ciphers[0])
                                                       if h.ciphers else "-"))
        elif h is not None:
            D.add(2, t["show.tls_server_hello"].format(version=version_name(h.version),
                                                       cipher=cipher_name(h.ciphers[0])))
        if r.messages:
            D.add(2, t["show.tls_messages"].format(names=", ".join(MESSAGE_NAMES.get(m, str(m)) for m in r.messages)))
        if r.data:
            D.add(2, t["show.tls_plain"].format(n=len(r.data), hex=_hex(r.data, ell=view.ell)))
    own = [f for f in row.frames if f.direction == d]
    if own:
        D.add(0, t["show.ws_decrypted"], "bold green")
        for i, f in enumerate(own):
            _frame_from_record(D, f, i, len(own), view)
    _messages(D, [m for m in row.messages if m.direction == d], view)


def _link(D: _Dissection, raw: RawPacket, view: View) -> tuple:
    data, lt, n = raw.data, raw.linktype, len(raw.data)
    t = view.t
    short = t["show.short_header"]
    other = t["view.other"]
    if lt == 1:
        if n < 14:
            D.add(0, short.format(what="Ethernet II", n=n, need=14), "bold red")
            return 0, None, False
        D.add(0, t["show.eth"].format(src=_mac(data[6:12]), arrow=view.to, dst=_mac(data[0:6])), "bold", "eth",
              (0, 14))
        D.add(1, t["show.eth_dst"].format(mac=_mac(data[0:6])), "", "eth.dst", (0, 6))
        D.add(1, t["show.eth_src"].format(mac=_mac(data[6:12])), "", "eth.src", (6, 12))
        off = 12
        etype = struct.unpack_from("!H", data, off)[0]
        while etype in (0x8100, 0x88A8, 0x9100) and n >= off + 6:
            tci = struct.unpack_from("!H", data, off + 2)[0]
            D.add(1, t["show.vlan"].format(kind=_ETHERTYPES[etype], id=tci & 0xFFF, prio=tci >> 13), "", "eth.vlan",
                  (off, off + 4))
            off += 4
            etype = struct.unpack_from("!H", data, off)[0]
        D.add(1, t["show.eth_type"].format(etype=f"0x{etype:04x}", name=_ETHERTYPES.get(etype, other)), "",
              "eth.type", (off, off + 2))
        return off + 2, etype, True
    if lt == 113:
        if n < 16:
            D.add(0, short.format(what="Linux cooked capture", n=n, need=16), "bold red")
            return 0, None, False
        ptype = struct.unpack_from("!H", data, 0)[0]
        alen = struct.unpack_from("!H", data, 4)[0]
        etype = struct.unpack_from("!H", data, 14)[0]
        D.add(0, t["show.sll"], "bold", "sll", (0, 16))
        D.add(1, t["show.pkttype"].format(ptype=ptype, name=t.get(f"show.pkttype.{ptype}", other)), "",
              "sll.pkttype", (0, 2))
        D.add(1, t["show.lladdr"].format(mac=_mac(data[6:6 + min(alen, 8)])), "", "sll.src", (6, 14))
        D.add(1, t["show.protocol"].format(proto=f"0x{etype:04x}", name=_ETHERTYPES.get(etype, other)), "",
              "sll.etype", (14, 16))
        return 16, etype, True
    if lt == 276:
        if n < 20:
            D.add(0, short.format(what="Linux cooked capture v2", n=n, need=20), "bold red")
            return 0, None, False
        etype = struct.unpack_from("!H", data, 0)[0]
        ifindex = struct.unpack_from("!I", data, 4)[0]
        ptype, alen = data[10], data[11]
        D.add(0, t["show.sll2"], "bold", "sll2", (0, 20))
        D.add(1, t["show.protocol"].format(proto=f"0x{etype:04x}", name=_ETHERTYPES.get(etype, other)), "",
              "sll2.etype", (0, 2))
        D.add(1, t["show.ifindex"].format(i=ifindex), "", "sll2.ifindex", (4, 8))
        D.add(1, t["show.pkttype"].format(ptype=ptype, name=t.get(f"show.pkttype.{ptype}", other)), "",
              "sll2.pkttype", (10, 11))
        D.add(1, t["show.lladdr"].format(mac=_mac(data[12:12 + min(alen, 8)])), "", "sll2.src", (12, 20))
        return 20, etype, True
    if lt in (0, 108):
        if n < 4:
            D.add(0, short.format(what=t["show.loopback"], n=n, need=4), "bold red")
            return 0, None, False
        fam = struct.unpack_from("!I" if lt == 108 else "<I", data, 0)[0]
        if lt == 0 and fam > 0xFFFF:
            fam = struct.unpack_from("!I", data, 0)[0]
        what = "IPv4" if fam == 2 else "IPv6" if fam in (24, 28, 30) else "other"
        D.add(0, t["show.bsd_loop"].format(kind="LOOP" if lt == 108 else "NULL", fam=fam,
                                           name=other if what == "other" else what), "bold", "loop.family", (0, 4))
        return 4, {"IPv4": 0x0800, "IPv6": 0x86DD}.get(what), True
    if lt in (101, 12, 14, 228, 229):
        D.add(0, t["show.raw_ip"], "bold")
        if not n:
            return 0, None, False
        v = data[0] >> 4
        return 0, {4: 0x0800, 6: 0x86DD}.get(v), True
    D.add(0, t["show.linktype"].format(lt=lt), "dim")
    return 0, None, False


def _ipv4(D: _Dissection, data: bytes, off: int, view: View) -> tuple:
    n = len(data)
    t = view.t
    if n - off < 20:
        D.add(0, t["show.short_header"].format(what="IPv4", n=n - off, need=20), "bold red")
        return None, None, None
    vihl, tos, total, ident, frag, ttl, proto, csum = struct.unpack_from("!BBHHHBBH", data, off)
    src, dst = _ip(data[off + 12:off + 16]), _ip(data[off + 16:off + 20])
    ihl = (vihl & 15) * 4
    D.add(0, t["show.ipv4"].format(src=src, arrow=view.to, dst=dst), "bold", "ip", (off, off + max(ihl, 20)))
    D.add(1, t["show.ipv4_version"].format(n=ihl), "", "ip.hdr_len", (off, off + 1))
    D.add(1, t["show.ip_len"].format(n=total), "", "ip.len", (off + 2, off + 4))
    D.add(1, t["show.ip_id"].format(id=f"0x{ident:04x}"), "", "ip.id", (off + 4, off + 6))
    flags = []
    if frag & 0x4000:
        flags.append(t["show.ip_df"])
    if frag & 0x2000:
        flags.append(t["show.ip_mf"])
    D.add(1, t["show.ip_flags"].format(flags=t["sep.list"].join(flags) or t["view.none"], off=frag & 0x1FFF), "",
          "ip.flags", (off + 6, off + 8))
    D.add(1, t["show.ttl"].format(ttl=ttl), "", "ip.ttl", (off + 8, off + 9))
    D.add(1, t["show.protocol"].format(proto=proto, name=_IP_PROTOS.get(proto, t["view.other"])), "", "ip.proto",
          (off + 9, off + 10))
    D.add(1, t["show.ip_checksum"].format(sum=f"0x{csum:04x}"), "", "ip.checksum", (off + 10, off + 12))
    D.add(1, t["show.src_addr"].format(addr=src), "", "ip.src", (off + 12, off + 16))
    D.add(1, t["show.dst_addr"].format(addr=dst), "", "ip.dst", (off + 16, off + 20))
    if ihl < 20 or n - off < ihl:
        D.add(1, t["show.bad_hlen"].format(n=ihl), "bold red")
        return None, None, None
    if frag & 0x3FFF:
        D.add(1, t["show.ip_fragment"], "yellow")
        return None, None, None
    end = off + (total if total else n - off)
    return off + ihl, end, proto


def _ipv6(D: _Dissection, data: bytes, off: int, view: View) -> tuple:
    n = len(data)
    w = view.t          # the words (t is the offset of the next header below)
    if n - off < 40:
        D.add(0, w["show.short_header"].format(what="IPv6", n=n - off, need=40), "bold red")
        return None, None, None
    vcf, plen, nxt, hop = struct.unpack_from("!IHBB", data, off)
    src, dst = _ip(data[off + 8:off + 24]), _ip(data[off + 24:off + 40])
    D.add(0, w["show.ipv6"].format(src=src, arrow=view.to, dst=dst), "bold", "ipv6", (off, off + 40))
    D.add(1, w["show.ipv6_version"].format(tc=f"0x{(vcf >> 20) & 0xFF:02x}", fl=f"0x{vcf & 0xFFFFF:05x}"), "",
          "ipv6.flow", (off, off + 4))
    D.add(1, w["show.ipv6_plen"].format(n=plen), "", "ipv6.plen", (off + 4, off + 6))
    nxt_name = _IP_PROTOS.get(nxt) or (w["show.ipv6_ext_name"] if nxt in (0, 43, 44, 51, 60) else w["view.other"])
    D.add(1, w["show.ipv6_next"].format(nxt=nxt, name=nxt_name), "", "ipv6.nxt", (off + 6, off + 7))
    D.add(1, w["show.hop_limit"].format(hop=hop), "", "ipv6.hlim", (off + 7, off + 8))
    D.add(1, w["show.src_addr"].format(addr=src), "", "ipv6.src", (off + 8, off + 24))
    D.add(1, w["show.dst_addr"].format(addr=dst), "", "ipv6.dst", (off + 24, off + 40))
    t = off + 40
    end = t + plen if plen else n
    while nxt != 6:
        if nxt in (0, 43, 60, 51) and t + 2 <= n:
            hlen = (data[t + 1] + 1) << 3 if nxt != 51 else (data[t + 1] + 2) << 2
        elif nxt == 44 and t + 8 <= n:
            hlen = 8
        else:
            return None, None, nxt
        D.add(1, w["show.ipv6_ext"].format(nxt=nxt, n=hlen), "", "ipv6.ext", (t, min(t + hlen, n)))
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
    w = view.t          # the words (t is the TCP header's offset)
    if end - t < 20:
        D.add(0, w["show.short_header"].format(what="TCP", n=max(end - t, 0), need=20), "bold red")
        return None
    sport, dport, seq, ack, doff, flags, win, csum, urg = struct.unpack_from("!HHIIBBHHH", data, t)
    hl = (doff >> 4) * 4
    p_start = min(t + hl, end)
    plen = max(end - p_start, 0)            # payload bytes captured
    seg_len = max(ip_end - (t + hl), 0)     # the segment's length as the IP header gives it, as tshark's Len
    rel = row is not None and row.conn is not None
    head = w["show.tcp"].format(sport=sport, arrow=view.to, dport=dport)
    if rel:
        head += f", Seq={row.seq}"
        if flags & ACK:
            head += f" Ack={row.ack}"
    head += f", Len={seg_len}"
    D.add(0, head, "bold", "tcp", (t, min(t + hl, end)))
    sd = SIDE.get(row.direction) if rel else None
    paren = w["paren"]
    D.add(1, w["show.sport"].format(port=sport) + (paren.format(text=w[f"side.{sd}"]) if sd else ""), "",
          "tcp.srcport", (t, t + 2))
    D.add(1, w["show.dport"].format(port=dport) + (paren.format(text=w[f"side.{SIDE[OTHER[row.direction]]}"])
                                                   if sd else ""), "", "tcp.dstport", (t + 2, t + 4))
    nxt = (row.seq if rel else seq) + seg_len + (1 if flags & (SYN | FIN) else 0)
    if rel:
        D.add(1, w["show.seq_rel"].format(seq=row.seq, raw=seq), "", "tcp.seq", (t + 4, t + 8))
        D.add(2, w["show.next_seq"].format(n=nxt), "dim")
        if flags & ACK:
            D.add(1, w["show.ack_rel"].format(ack=row.ack, raw=ack), "", "tcp.ack", (t + 8, t + 12))
        else:
            D.add(1, w["show.ack_invalid"].format(raw=ack), "", "tcp.ack", (t + 8, t + 12))
    else:
        D.add(1, w["show.seq_raw"].format(seq=seq), "", "tcp.seq", (t + 4, t + 8))
        D.add(1, w["show.ack_raw"].format(ack=ack), "", "tcp.ack", (t + 8, t + 12))
    D.add(1, w["show.tcp_hlen"].format(n=hl, words=hl // 4), "", "tcp.hdr_len", (t + 12, t + 13))
    names = flag_names(flags).replace(",", ", ") or w["view.none"]
    D.add(1, w["show.tcp_flags"].format(hex=f"0x{flags:02x}", names=names), "", "tcp.flags", (t + 13, t + 14))
    for bit, name in _FLAG_TEXT:
        if flags & bit:
            D.add(2, w["show.flag_set"].format(bits=_bits(flags, bit), name=name,
                                               meaning=w[f"show.flag.{name.lower()}"]), "")
        else:
            D.add(2, w["show.flag_unset"].format(bits=_bits(flags, bit), name=name), "dim")
    if rel and row.window != win:
        D.add(1, w["show.window_scaled"].format(win=win, scaled=row.window), "", "tcp.window", (t + 14, t + 16))
    else:
        D.add(1, w["show.window"].format(win=win) + ("" if not flags & SYN else w["show.window_syn"]), "",
              "tcp.window", (t + 14, t + 16))
    D.add(1, w["show.checksum"].format(sum=f"0x{csum:04x}"), "", "tcp.checksum", (t + 16, t + 18))
    if flags & URG or urg:
        D.add(1, w["show.urgent"].format(n=urg), "", "tcp.urgent", (t + 18, t + 20))
    if hl > 20:
        _tcp_options(D, data, t + 20, min(t + hl, end), w)
    if hl < 20:
        D.add(1, w["show.bad_hlen"].format(n=hl), "bold red")
        return None
    if plen or seg_len:
        more = w["show.not_captured"].format(n=seg_len - plen) if seg_len > plen else ""
        D.add(1, w["show.payload"].format(n=plen, more=more), "", "tcp.payload", (p_start, p_start + plen))
    if rel:
        D.add(1, w["show.role"].format(role=row.role), "cyan")
        D.add(2, view.clean(view.labels.text(row)), "cyan")
        for note in row.notes:
            D.add(2, w["show.note"].format(severity=w.get(f"sev.{note.severity}", note.severity),
                                           text=view.clean(note_text(note.code, note.args, view.lang)),
                                           code=note.code),
                  {"error": "bold red", "warning": "yellow"}.get(note.severity, ""))
    return p_start, p_start + plen


def _tcp_options(D: _Dissection, data: bytes, i: int, end: int, w: Optional[dict] = None) -> None:
    if w is None:
        w = catalog(DEFAULT_LANG)
    D.add(1, w["show.options"].format(n=end - i), "", "tcp.options", (i, end))
    while i < end:
        kind = data[i]
        if kind == 0:
            D.add(2, w["show.opt_end"], "dim")
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= end or data[i + 1] < 2:
            D.add(2, w["show.opt_bad"], "yellow")
            break
        size = data[i + 1]
        body = data[i + 2:i + size]
        if kind == 2 and len(body) == 2:
            text = w["show.opt_mss"].format(n=struct.unpack('!H', body)[0])
        elif kind == 3 and len(body) == 1:
            text = w["show.opt_wscale"].format(shift=body[0], factor=1 << min(body[0], 14))
        elif kind == 4:
            text = w["show.opt_sack_perm"]
        elif kind == 5:
            text = w["show.opt_sack"].format(n=len(body) // 8)
        elif kind == 8 and len(body) == 8:
            tsv, tse = struct.unpack("!II", body)
            text = w["show.opt_ts"].format(tsval=tsv, tsecr=tse)
        else:
            text = w["show.opt_other"].format(kind=kind, n=size)
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
    cl, t = view.clean, view.t
    head_end = payload.find(b"\r\n\r\n")
    sep = 4
    if head_end < 0:
        head_end = payload.find(b"\n\n")
        sep = 2
    complete = head_end >= 0
    head = payload[:head_end] if complete else payload
    lines = head.split(b"\n")
    is_req = not payload.startswith(b"HTTP/")
    title = t["show.http_request" if is_req else "show.http_response"]
    D.add(0, title if complete else title + t["show.http_continues"], "bold magenta", "http",
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
                    D.add(2, t["show.http_get"].format(target=cl(parts[1])), "dim")
            elif not is_req:
                code = text.split(" ")[1] if len(text.split(" ")) > 1 else ""
                if code == "101":
                    D.add(2, t["show.http_101"], "dim")
                elif code:
                    D.add(2, t["show.http_refused"].format(code=code), "dim")
        elif text:
            name, _, value = text.partition(":")
            value = value.strip()
            lname = name.strip().lower()
            D.add(1, cl(f"{name.strip()}: {value}"), "", f"http.header.{lname}", span)
            if not is_req and lname in _RESPONSE_TEXT:
                D.add(2, t[f"show.hdr_resp.{lname}"], "dim")
            elif lname in _HEADER_TEXT:
                D.add(2, t[f"show.hdr.{lname}"].format(guid=WS_GUID), "dim")
            if lname == "sec-websocket-key":
                _key_lines(D, value, view)
            elif lname == "sec-websocket-accept":
                _accept_lines(D, value, conn, view)
            elif lname == "sec-websocket-version" and value != "13":
                D.add(2, t["show.bad_version"].format(v=cl(value)), "yellow")
        at += line_len
    if complete and not is_req and payload[head_end + sep:]:
        return p_start + head_end + sep
    return None


def _key_lines(D: _Dissection, key: str, view: View) -> None:
    t = view.t
    try:
        raw = base64.b64decode(key, validate=True)
        D.add(2, t["show.key_decodes"].format(n=len(raw), hex=raw.hex(' ')), "dim")
    except (binascii.Error, ValueError):
        D.add(2, t["show.key_bad"], "yellow")
    D.add(2, t["show.key_answer"].format(accept=compute_accept(key)), "dim")


def _accept_lines(D: _Dissection, accept: str, conn: Connection, view: View) -> None:
    t = view.t
    key = conn.key
    if not key:
        D.add(2, t["show.accept_no_key"], "yellow")
        return
    _, digest, expected = accept_steps(key)
    D.add(2, t["show.accept_key"].format(key=view.clean(key)), "dim")
    D.add(2, t["show.accept_key_guid"].format(key=view.clean(key.strip()), guid=WS_GUID), "dim")
    D.add(2, f"SHA-1:  {digest.hex()}", "dim")
    D.add(2, f"base64:  {expected}", "dim")
    if accept.strip() == expected:
        D.add(2, t["show.accept_match"].format(ok=view.ok), "green")
    else:
        D.add(2, t["show.accept_mismatch"].format(bad=view.bad), "bold red")


# ------------------------------------------------------------------------------------------------ WebSocket

def _websocket(D: _Dissection, data: bytes, p_start: int, p_end: int, row: Row, conn: Connection, pre,
               ws_at: Optional[int], view: View) -> None:
    d = row.direction
    own = [f for f in row.frames if f.direction == d]
    msgs = [m for m in row.messages if m.direction == d]
    if pre is None or (pre[0] is None and ws_at is None):
        if own:
            D.add(0, view.t["show.ws_unknown"], "bold green")
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
    t = view.t
    way = t[_DIR_KEY[d]].format(arrow=view.to)
    D.add(0, t["show.ws_parts"].format(n=count, dir=way) if count > 1 else t["show.ws_dir"].format(dir=way),
          "bold green")
    for i, (kind, info, rec, start, end, first_no) in enumerate(blocks):
        a, b = p_start + start, p_start + end
        if kind == "partial-header":
            D.add(1, t["show.partial_header"].format(n=end - start), "green", "ws.header", (a, b))
            continue
        if kind == "cont":
            _continued(D, data, info, rec, start, a, b, p_start, first_no, view)
            continue
        _frame(D, data, info, rec, a, b, conn, d, view)
    _messages(D, msgs, view, D.tails)


def _frame_title(info: dict, length_here: Optional[int] = None, t: Optional[dict] = None) -> str:
    if t is None:
        t = catalog(DEFAULT_LANG)
    tags = ["FIN" if info["fin"] else t["show.not_fin"]]
    if info["rsv"] & 4:
        tags.append(t["show.rsv1_compressed"])
    if info["masked"]:
        tags.append(t["show.masked"])
    return t["show.frame_title"].format(frame=t["show.frame." + opcode_name(info["opcode"])],
                                        tags=t["sep.list"].join(tags), n=info["length"])


def _frame(D: _Dissection, data: bytes, h: dict, rec: Optional[Frame], a: int, b: int, conn: Connection, d: str,
           view: View) -> None:
    b0, b1 = data[a], data[a + 1]
    hl = h["header_len"]
    t = view.t
    D.add(1, _frame_title(h, t=t), "green", "ws.frame", (a, b))
    D.add(2, t["show.ws_header"].format(n=hl), "", "ws.header", (a, a + hl))
    D.add(3, t["show.fin"].format(bits=_bits(b0, 0x80), fin=int(h['fin']),
                                  meaning=t["show.fin_last" if h["fin"] else "show.fin_more"]),
          "", "ws.fin", (a, a + 1))
    rsv = h["rsv"]
    if rsv & 4:
        rtext = t["show.rsv_compressed"]
    elif rsv:
        rtext = t["show.rsv_bad"]
    else:
        rtext = t["show.rsv_none"]
    D.add(3, t["show.rsv"].format(bits=_bits(b0, 0x70), bits3=f"{(rsv >> 2) & 1} {(rsv >> 1) & 1} {rsv & 1}",
                                  meaning=rtext), "" if not rsv & 3 else "yellow", "ws.rsv", (a, a + 1))
    op = h["opcode"]
    kind = t["show.control_frame" if op >= 8 else "show.data_frame"]
    D.add(3, t["show.opcode"].format(bits=_bits(b0, 0x0F), op=op, name=t["opcode." + opcode_name(op)], kind=kind),
          "", "ws.opcode", (a, a + 1))
    if h["masked"]:
        mtext = t["show.mask_1"]
    else:
        mtext = t["show.mask_0_server" if d == S2C else "show.mask_0_client"]
    D.add(3, f"{_bits(b1, 0x80)} = {mtext}", "" if h["masked"] or d == S2C else "bold red", "ws.mask", (a + 1, a + 2))
    n7 = h["len7"]
    if h["ext"] is None:
        D.add(3, t["show.len7"].format(bits=_bits(b1, 0x7F), n=n7), "", "ws.payload_len", (a + 1, a + 2))
    else:
        e0, e1 = h["ext"]
        D.add(3, t["show.len_ext"].format(bits=_bits(b1, 0x7F), n=n7, size=e1 - e0), "", "ws.payload_len",
              (a + 1, a + 2))
        D.add(3, t["show.len16" if n7 == 126 else "show.len64"].format(n=h['length']), "", "ws.payload_len",
              (a + e0, a + e1))
    if h["masked"]:
        k0, k1 = h["key_span"]
        D.add(3, t["show.mask_key"].format(key=h['key'].hex(' ')), "", "ws.mask_key", (a + k0, a + k1))
    ps, pe = a + hl, b
    here = pe - ps
    if h["length"] == 0:
        D.add(2, t["show.payload_empty"], "dim")
        return
    more = t["show.payload_later"].format(here=here, n=h['length']) if here < h["length"] else ""
    D.add(2, t["show.payload"].format(n=h['length'], more=more), "", "ws.payload", (ps, pe))
    wire = data[ps:pe]
    plain = unmask(wire, h["key"]) if h["masked"] else wire
    _tail(D, rec, ps, pe, 0)
    if h["masked"]:
        D.masks.append((ps, pe, h["key"], 0))
        D.add(3, t["show.masked_wire"].format(hex=_hex(wire, ell=view.ell)), "dim")
        D.add(3, t["show.unmasked_how"].format(hex=_hex(plain, ell=view.ell)))
    elif op not in (TEXT, CLOSE) and not (h["rsv"] & 4):
        D.add(3, t["show.not_masked"].format(hex=_hex(plain, 16, ell=view.ell)))
    _payload_meaning(D, h, rec, plain, view, span=(ps, min(ps + 2, pe)))


def _continued(D: _Dissection, data: bytes, info: Optional[dict], rec: Optional[Frame], start: int, a: int, b: int,
               p_start: int, first_no: Optional[int], view: View) -> None:
    t = view.t
    began = f"#{first_no}" if first_no else t["show.earlier_packet"]
    if info is None:
        D.add(1, t["show.continuation"].format(began=began, n=b - a), "green", "ws.payload", (a, b))
        return
    D.add(1, _frame_title(info, t=t) + t["show.began_in"].format(began=began), "green", "ws.frame", (a, b))
    hl = info["header_len"]
    hdr_end = start + hl          # relative to the payload start; >0 when the header's tail is in this packet
    if hdr_end > 0:
        D.add(2, t["show.header_tail"].format(n=hdr_end), "", "ws.header", (p_start, p_start + hdr_end))
    ps = p_start + max(hdr_end, 0)
    if b > ps:
        offset = max(-hdr_end, 0)           # payload bytes that came in earlier packets
        D.add(2, t["show.payload_part"].format(a=offset, b=offset + b - ps - 1, n=info['length']),
              "", "ws.payload", (ps, b))
        wire = data[ps:b]
        _tail(D, rec, ps, b, offset)
        key = info.get("key")
        plain = unmask(wire, key, offset % 4) if info["masked"] and key else wire
        if info["masked"] and key:
            D.masks.append((ps, b, key, offset))
            D.add(3, t["show.masked_wire"].format(hex=_hex(wire, ell=view.ell)), "dim")
            D.add(3, t["show.unmasked"].format(hex=_hex(plain, ell=view.ell)))
        if rec is not None:
            _payload_meaning(D, info, rec, rec.payload, view, whole=True)


def _tail(D: _Dissection, rec: Optional[Frame], a: int, b: int, offset: int) -> None:
    """Remember a data frame whose payload bytes a..b (from `offset` in its payload) are here."""
    if rec is not None and rec.opcode in (TEXT, BINARY, CONTINUATION):
        D.tails.append((rec, a, b, offset))


def _payload_meaning(D: _Dissection, h: dict, rec: Optional[Frame], plain: bytes, view: View,
                     whole: bool = False, span: Optional[tuple] = None) -> None:
    op = h["opcode"]
    t = view.t
    pre = t["show.whole_payload"] if whole else ""
    if op == CLOSE:
        if rec is not None and rec.close_code is not None:
            code = rec.close_code
            D.add(3, t["show.close_code"].format(code=code, name=close_name(code, t), meaning=close_meaning(code, t)),
                  "dark_orange", "ws.close_code", span)
            if rec.close_reason:
                D.add(3, t["show.reason"].format(reason=view.clean(rec.close_reason)), "dark_orange")
        elif len(plain) >= 2:
            code = struct.unpack("!H", plain[:2])[0]
            D.add(3, t["show.close_code"].format(code=code, name=close_name(code, t), meaning=close_meaning(code, t)),
                  "dark_orange", "ws.close_code", span)
        return
    if h["rsv"] & 4 and op in (TEXT, BINARY, CONTINUATION):
        D.add(3, t["show.deflate_bytes"], "dim")
        return
    if op == TEXT or (op in (PING, PONG, CONTINUATION) and _texty(plain)):
        text = plain.decode("utf-8", "backslashreplace")
        D.add(3, t["show.as_text"].format(pre=pre, text=view.clean(_cut(text, PREVIEW_CHARS, view.ell))))


def _texty(b: bytes) -> bool:
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return bool(s) and all(ch.isprintable() or ch in "\n\r\t" for ch in s)


def _cut(s: str, n: int, ell: str) -> str:
    return s if len(s) <= n else s[:n] + ell


def _frame_from_record(D: _Dissection, f: Frame, i: int, count: int, view: View) -> None:
    t = view.t
    info = {"fin": f.fin, "rsv": f.rsv, "opcode": f.opcode, "masked": f.masked, "length": f.length}
    began = t["show.began_in"].format(began=f"#{f.first_no}") if f.first_no != f.no else ""
    D.add(1, _frame_title(info, t=t) + began, "green")
    if f.masked and f.mask_key:
        D.add(2, t["show.mask_key"].format(key=f.mask_key.hex(' ')))
    if f.payload:
        D.add(2, t["show.unmasked_payload"].format(hex=_hex(f.payload, ell=view.ell)))
    _payload_meaning(D, info, f, f.payload, view, whole=True)


def _messages(D: _Dissection, msgs: list, view: View, tails: Optional[list] = None) -> None:
    t = view.t
    pieces = _pieces(tails or [], len(msgs))
    for m, tail in zip(msgs, pieces):
        kind = t["opcode." + opcode_name(m.opcode)]
        how = []
        if m.frames > 1:
            how.append(t["show.msg_fragments"].format(n=m.frames, first=m.first_no, last=m.last_no))
        if m.compressed:
            how.append(t["show.msg_compressed"].format(wire=m.wire_length, arrow=view.to, n=m.length))
        extra = t["paren"].format(text=t["sep.items"].join(how)) if how else ""
        D.add(1, t["show.msg_complete"].format(kind=kind, n=m.length, extra=extra), "bold green")
        if m.text is not None:
            D.add(2, f'"{view.clean(_cut(m.text, PREVIEW_CHARS, view.ell))}"')
        elif m.data:
            D.add(2, _hex(m.data, 16, ell=view.ell))
        if m.truncated:
            D.add(2, t["show.msg_cut"], "yellow")
        if m.app:            # what a subprotocol decoder (wsdissect/app) read in it: each record, its fields
            D.add(1, t["show.app"].format(protocol=m.app[0].protocol), "bold")
            where = _message_at(m, tail)
            if m.compressed:
                D.add(2, t["show.app_inflated"], "dim")
            for r in m.app:
                D.add(2, view.clean(describe(r, t)))
                spans = r.spans or {}
                for k, v in r.fields.items():
                    if isinstance(v, dict):          # STOMP's headers: one line each
                        D.add_spans(3, view.clean(f"{k}:"), "dim", "app." + k.lower(),
                                    _in_packet(spans.get(k), where))
                        for hk, hv in v.items():
                            name = f"{k}.{hk}"
                            D.add_spans(4, view.clean(f"{hk}: {_cut(_field_word(hv), PREVIEW_CHARS, view.ell)}"),
                                        "dim", "app." + name.lower(), _in_packet(spans.get(name), where))
                    else:
                        D.add_spans(3, view.clean(f"{k}: {_cut(_field_word(v), PREVIEW_CHARS, view.ell)}"), "dim",
                                    "app." + k.lower(), _in_packet(spans.get(k), where))
                for k, span in spans.items():        # parts with no field of their own (params, payload...)
                    if k in r.fields or k.split(".", 1)[0] in r.fields or span[1] <= span[0]:
                        continue
                    D.add_spans(3, view.clean(f"{k}: {_part(m, span, view)}"), "dim", "app." + k.lower(),
                                _in_packet(span, where))


def _pieces(tails: list, n: int) -> list:
    """The data frames of each of the n messages completed here, as far as this packet has them: a message
    ends with a FIN frame; None for all when they do not add up (a TLS connection's, frames not placed)."""
    out, cur = [], []
    for tail in tails:
        cur.append(tail)
        if tail[0].fin:
            out.append(cur)
            cur = []
    return out if len(out) == n else [None] * n


def _message_at(m, pieces: Optional[list]) -> list:
    """[(message offset of the packet byte `start`, start, end)] for each piece of a message's payload in the
    packet (its frames, last first, back from the message's end); [] when its bytes are not the packet's
    (compressed, cut, not placed)."""
    if not pieces or m.compressed or m.truncated:
        return []
    out, end = [], m.length                  # the message offset where the frame in hand ends
    for f, a, b, offset in reversed(pieces):
        start = end - f.length
        out.append((start + offset, a, b))
        end = start
    return out


def _in_packet(span: Optional[tuple], where: list) -> list:
    """A span of the message as spans of the packet: the parts of it that are in this packet ([] for none)."""
    out = []
    if span is None:
        return out
    for base, a, b in reversed(where):
        s, e = max(a + span[0] - base, a), min(a + span[1] - base, b)
        if e > s:
            out.append((s, e))
    return out


def _part(m, span: tuple, view: View) -> str:
    """A part of the message as data: text for a text message, else hex."""
    piece = bytes(m.data[span[0]:span[1]])
    if m.text is not None:
        return _cut(piece.decode("utf-8", "replace"), PREVIEW_CHARS, view.ell)
    return _hex(piece, 16, ell=view.ell)


def _field_word(v) -> str:
    """A decoded record's field value as data: strings as they are, the rest as JSON (true, null, 7)."""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


# ------------------------------------------------------------------------------------------------ rendering

def details_lines(view: View, raw: RawPacket, row: Optional[Row], conn: Optional[Connection], pre,
                  analyzer: Analyzer, field: Optional[str] = None, hexdump: bool = True) -> list:
    """The (text, style) lines of the tree and (unless hexdump=False) the hex dump and the field names."""
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
        what = view.t["show.ws_header_field"] if marks else None
    out: list = []
    for ln in D.lines:
        lead = INDENT * ln.depth
        style = ln.style
        if field is not None and ln.field == key:
            style = "reverse"
            lead = lead[:-2] + "> " if ln.depth else "> "
        for text in wrap(ln.text, width, lead, INDENT * ln.depth + "    "):
            out.append((text, style))
    if not hexdump:
        return out
    out.append(("", ""))
    title = view.t["show.bytes"].format(n=len(raw.data))
    if what:
        title += view.t["show.marked_caret" if view.plain else "show.marked_colour"].format(what=what)
    out.extend((t, "bold") for t in wrap(title, width))
    out.extend(_hexdump(raw.data, marks, view))
    out.append(("", ""))
    names = view.t["show.fields"] + " ".join(D.order)
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
                   packets: Optional[Iterator[RawPacket]] = None, lang: str = DEFAULT_LANG,
                   subprotocol: Optional[str] = None, keylog=None) -> None:
    """Print the details of packet `no` of a capture. `packets` may be given (already opened and primed);
    otherwise the file is opened here. `lang`: the language of the tree's words (and of the analyzer's label).
    `keylog`: the tls.KeyLog that decrypts wss://.
    Raises PacketOutOfRange, UnknownField, and the capture's own errors."""
    if packets is None:
        from ..sources.pcap import open_capture
        packets = open_capture(capture_path)
    raw, row, analyzer, pre = _read_to(packets, no, limits, decode_as, subprotocol, keylog)
    conn = analyzer.connections.get(row.conn) if row is not None and row.conn is not None else None
    view = View(console, lang)
    emit(view, details_lines(view, raw, row, conn, pre, analyzer, field))
