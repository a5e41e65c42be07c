# cython: annotation_typing=False
"""Typed records passed between the layers of wsdissect.

Every layer of the core (decode, tcp, http, websocket, analyzer) takes and returns these records and nothing
else: no layer opens files, sockets or prints. Renderers turn them into text, JSON or pictures.
"""
from __future__ import annotations

import socket as _socket
from dataclasses import dataclass, field
from typing import Optional, Sequence

# Directions within a connection. The client is the side that sent the SYN (or, when the capture starts
# mid-connection, the side that sent the HTTP request, or the higher port as a last resort).
C2S = "c2s"
S2C = "s2c"

# The role of a packet of a connection dropped at Limits.max_connections: counted, not analysed. Views that
# gather a connection's packets (stats, follow, the flow view) pass over such rows.
ROLE_PAST_CAP = "past-cap"

# TCP flag bits as they appear in the header's 13th byte (plus ECE/CWR for completeness).
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
_FLAG_NAMES = ((SYN, "SYN"), (FIN, "FIN"), (RST, "RST"), (PSH, "PSH"), (ACK, "ACK"), (URG, "URG"),
               (ECE, "ECE"), (CWR, "CWR"))


def flag_names(flags: int) -> str:
    """'SYN,ACK' / 'PSH,ACK' / 'FIN,ACK' in the order Wireshark prints them."""
    return ",".join(name for bit, name in _FLAG_NAMES if flags & bit)


class RawPacket:
    """One record of a capture, before any decoding. `no` is 1-based (Wireshark's frame.number)."""
    __slots__ = ("no", "ts", "linktype", "data", "wirelen")

    def __init__(self, no: int, ts: float, linktype: int, data: bytes, wirelen: int) -> None:
        self.no = no
        self.ts = ts
        self.linktype = linktype
        self.data = data
        self.wirelen = wirelen

    def __repr__(self) -> str:
        return f"RawPacket(no={self.no}, ts={self.ts}, linktype={self.linktype}, {len(self.data)} bytes, " \
               f"wirelen={self.wirelen})"


@dataclass(slots=True)
class Secrets:
    """A pcapng Decryption Secrets Block, yielded beside the packets where the file has it: `kind` is its secrets
    type (SECRETS_TLS: an NSS key log's text), `data` its bytes. `no` is the number of the packet before it (0:
    none), so numbering and progress do not move; `ts` is None (a block has no time)."""
    no: int
    kind: int
    data: bytes
    ts: None = None


SECRETS_TLS = 0x544C534B         # "TLSK": NSS key log text (pcapng, Decryption Secrets Block)


class TcpSegment:
    """A decoded TCP segment; `seq`/`ack` are absolute.

    The addresses are integers, `src_ip`/`dst_ip` (an IPv4 address in 32 bits, an IPv6 address in 128), as the
    tracker keys connections by them; `src`/`dst` are their text, made once per address (`ip_text`).

    `missing` counts payload bytes the IP header announced but the capture did not keep (snaplen cut);
    the payload holds only what was captured. `cut` is set when the snaplen cut the datagram at all (also a
    segment without payload whose TCP options were cut). `frame_len` is the bytes on the wire for the whole
    link-layer frame (Wireshark's Length column); `wscale` the window-scale shift a SYN announced, -1 if none.
    """
    __slots__ = ("no", "ts", "src_ip", "dst_ip", "sport", "dport", "seq", "ack", "flags", "window", "payload",
                 "frame_len", "ip_version", "missing", "wscale", "cut")

    def __init__(self, no: int, ts: float, src_ip: int, dst_ip: int, sport: int, dport: int, seq: int, ack: int,
                 flags: int, window: int, payload: bytes, frame_len: int = 0, ip_version: int = 4,
                 missing: int = 0) -> None:
        self.no = no
        self.ts = ts
        self.src_ip = src_ip
        self.dst_ip = dst_ip
        self.sport = sport
        self.dport = dport
        self.seq = seq
        self.ack = ack
        self.flags = flags
        self.window = window
        self.payload = payload
        self.frame_len = frame_len
        self.ip_version = ip_version
        self.missing = missing
        self.wscale = -1
        self.cut = False

    @property
    def src(self) -> str:
        return ip_text(self.src_ip, self.ip_version)

    @property
    def dst(self) -> str:
        return ip_text(self.dst_ip, self.ip_version)

    def __repr__(self) -> str:
        return (f"TcpSegment(no={self.no}, {self.src}:{self.sport} -> {self.dst}:{self.dport}, seq={self.seq}, "
                f"ack={self.ack}, flags={flag_names(self.flags)!r}, {len(self.payload)} bytes)")


# An address's text by its integer (IPv6 ones negated, so the two families never share a key). Bounded so a
# capture full of scanned addresses cannot grow it without limit.
_ip_names: dict = {}
_IP_NAMES_MAX = 65536


def ip_text(ip, version=4):
    """The text of an address held as an integer: dotted quad for IPv4, RFC 5952 for IPv6."""
    key = ip if version == 4 else -1 - ip
    text = _ip_names.get(key)
    if text is None:
        if len(_ip_names) >= _IP_NAMES_MAX:
            _ip_names.clear()
        if version == 4:
            text = f"{ip >> 24}.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}"
        else:
            text = _socket.inet_ntop(_socket.AF_INET6, ip.to_bytes(16, "big"))
        _ip_names[key] = text
    return text


class Note:
    """Expert info, as Wireshark calls it: something worth a reader's attention.

    severity: "chat" (normal protocol events worth knowing), "note", "warning" or "error" (malformed data or a
    protocol violation). `code` is a stable kebab-case identifier for scripts.

    `args` are the parameters of the note's sentence in the i18n catalog (id `note.<code>`, or
    `note.<code>.<variant>` when args["variant"] is set; see i18n.note_text): the language-free cores write
    `text` in English and the analyzer rewrites it from `args` in its language.
    """
    __slots__ = ("no", "conn", "severity", "code", "text", "args")

    def __init__(self, no: Optional[int], conn: Optional[int], severity: str, code: str, text: str,
                 args: Optional[dict] = None) -> None:
        self.no = no
        self.conn = conn
        self.severity = severity
        self.code = code
        self.text = text
        self.args = {} if args is None else args

    def __eq__(self, other):
        return _same_fields(self, other)

    def __repr__(self) -> str:
        return _fields_repr(self)


class DeflateParams:
    """permessage-deflate (RFC 7692) parameters as agreed in the 101 response."""
    __slots__ = ("server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits",
                 "client_max_window_bits")

    def __init__(self, server_no_context_takeover: bool = False, client_no_context_takeover: bool = False,
                 server_max_window_bits: int = 15, client_max_window_bits: int = 15) -> None:
        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits

    def _key(self) -> tuple:
        return (self.server_no_context_takeover, self.client_no_context_takeover, self.server_max_window_bits,
                self.client_max_window_bits)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._key() == other._key()

    def __repr__(self) -> str:
        return _fields_repr(self, self.__slots__)


def _fields_repr(rec: object, names: Optional[Sequence[str]] = None) -> str:
    """`Name(field=value, ...)`, as a dataclass would print, over `names` (default: the class's __slots__): for
    test failures and debugging."""
    if names is None:
        names = type(rec).__slots__
    return f"{type(rec).__name__}({', '.join([f'{n}={getattr(rec, n)!r}' for n in names])})"


# Frame, Message and DeflateParams are plain slotted classes (not dataclasses) so that model.pxd can make them
# C structs when the core is compiled; equality and repr are field by field, as a dataclass's.
_FRAME_FIELDS = ("no", "first_no", "conn", "direction", "fin", "rsv", "opcode", "masked", "mask_key", "length",
                 "header_len", "payload", "payload_missing", "close_code", "close_reason")


class Frame:
    """One RFC 6455 frame. `length` is the payload length as sent (before unmasking and inflating).

    `no` is the packet whose arrival completed the frame (where the timeline lists it), `first_no` the packet
    that carried its first byte. `payload` is the unmasked payload as far as it was kept (see limits);
    `payload_missing` counts payload bytes lost to a gap in the TCP stream. Bytes past the cap are neither
    kept nor counted there: `length - len(payload) - payload_missing` of them were cut.
    `rsv` holds RSV1..RSV3 as a 3-bit number, RSV1 = 0b100.
    """
    __slots__ = _FRAME_FIELDS

    def __init__(self, no: int, first_no: int, conn: Optional[int], direction: str, fin: bool, rsv: int,
                 opcode: int, masked: bool, mask_key: Optional[bytes], length: int, header_len: int = 2,
                 payload: bytes = b"", payload_missing: int = 0, close_code: Optional[int] = None,
                 close_reason: Optional[str] = None) -> None:
        self.no = no
        self.first_no = first_no
        self.conn = conn
        self.direction = direction
        self.fin = fin
        self.rsv = rsv
        self.opcode = opcode
        self.masked = masked
        self.mask_key = mask_key
        self.length = length
        self.header_len = header_len
        self.payload = payload
        self.payload_missing = payload_missing
        self.close_code = close_code
        self.close_reason = close_reason

    def _key(self) -> tuple:
        return tuple(getattr(self, n) for n in _FRAME_FIELDS)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._key() == other._key()

    def __repr__(self) -> str:
        return _fields_repr(self, _FRAME_FIELDS)


def new_frame(no: int, first_no: int, direction: str, fin: bool, rsv: int, opcode: int, masked: bool,
              mask_key: Optional[bytes], length: int, header_len: int) -> Frame:
    """Frame(no, first_no, None, direction, ...) with payload b"" and the later fields at their defaults: the
    frame parser's record, made without __init__'s argument handling (model.pxd: a C call when compiled)."""
    f = Frame.__new__(Frame)
    f.no = no
    f.first_no = first_no
    f.conn = None
    f.direction = direction
    f.fin = fin
    f.rsv = rsv
    f.opcode = opcode
    f.masked = masked
    f.mask_key = mask_key
    f.length = length
    f.header_len = header_len
    f.payload = b""
    f.payload_missing = 0
    f.close_code = None
    f.close_reason = None
    return f


_MESSAGE_FIELDS = ("conn", "direction", "opcode", "frames", "first_no", "last_no", "compressed", "length",
                   "wire_length", "data", "text", "truncated", "app")


class Message:
    """A data message (text or binary) assembled from one or more frames, inflated if compressed.

    `data` holds at most the message cap; `truncated` says it was cut (cap reached, or bytes missing).
    `text` is the decoded text for a valid UTF-8 text message, else None. `length` is what the application
    received (after inflating), `wire_length` the sum of frame payload lengths as sent; `app` the
    app.AppRecords a subprotocol decoder read in it (None: no decoder).
    """
    __slots__ = _MESSAGE_FIELDS

    def __init__(self, conn: Optional[int], direction: str, opcode: int, frames: int, first_no: int,
                 last_no: int, compressed: bool, length: int, wire_length: int, data: bytes = b"",
                 text: Optional[str] = None, truncated: bool = False, app: Optional[list] = None) -> None:
        self.conn = conn
        self.direction = direction
        self.opcode = opcode
        self.frames = frames
        self.first_no = first_no
        self.last_no = last_no
        self.compressed = compressed
        self.length = length
        self.wire_length = wire_length
        self.data = data
        self.text = text
        self.truncated = truncated
        self.app = app

    def _key(self) -> tuple:
        return tuple(getattr(self, n) for n in _MESSAGE_FIELDS)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._key() == other._key()

    def __repr__(self) -> str:
        return _fields_repr(self, _MESSAGE_FIELDS)


def new_message(direction: str, opcode: int, frames: int, first_no: int, last_no: int, compressed: bool,
                length: int, wire_length: int, data: bytes, text: Optional[str], truncated: bool) -> Message:
    """Message(None, direction, ...) with app None: the message assembler's record, made without __init__'s
    argument handling (model.pxd: a C call when compiled)."""
    m = Message.__new__(Message)
    m.conn = None
    m.direction = direction
    m.opcode = opcode
    m.frames = frames
    m.first_no = first_no
    m.last_no = last_no
    m.compressed = compressed
    m.length = length
    m.wire_length = wire_length
    m.data = data
    m.text = text
    m.truncated = truncated
    m.app = None
    return m


class Endpoint:
    __slots__ = ("ip", "port")

    def __init__(self, ip: str, port: int) -> None:
        self.ip = ip
        self.port = port

    def __str__(self) -> str:
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"

    def __eq__(self, other):
        return _same_fields(self, other)

    def __repr__(self) -> str:
        return _fields_repr(self)


class Connection:
    """What is known about one TCP connection and the WebSocket session inside it.

    The counts per direction are kept as numbers (`messages_c2s`...); `messages`, `frames` and `bytes` give them
    as a new {C2S: n, S2C: n} dict on each read (writing to that dict changes nothing; assigning one sets both)."""
    __slots__ = ("id", "client", "server", "first_no", "first_ts", "last_ts", "saw_syn",
                 "is_websocket", "method", "uri", "host", "origin", "ws_version", "key", "status", "accept",
                 "accept_ok", "expected_accept", "subprotocol", "offered_subprotocols", "extensions",
                 "offered_extensions", "deflate", "decode_as", "tls", "decoder",
                 "state", "close_code", "close_reason", "closed_by", "fin_by", "end",
                 "messages_c2s", "messages_s2c", "bytes_c2s", "bytes_s2c", "frames_c2s", "frames_s2c", "notes")

    def __init__(self, id: int, client: Endpoint, server: Endpoint, first_no: int = 0, first_ts: float = 0.0,
                 last_ts: float = 0.0, saw_syn: bool = False,
                 # WebSocket handshake
                 is_websocket: bool = False, method: Optional[str] = None, uri: Optional[str] = None,
                 host: Optional[str] = None, origin: Optional[str] = None, ws_version: Optional[str] = None,
                 key: Optional[str] = None, status: Optional[int] = None, accept: Optional[str] = None,
                 accept_ok: Optional[bool] = None, expected_accept: Optional[str] = None,
                 subprotocol: Optional[str] = None, offered_subprotocols: Optional[str] = None,
                 extensions: Optional[str] = None, offered_extensions: Optional[str] = None,
                 deflate: Optional[DeflateParams] = None,
                 decode_as: bool = False,          # framing forced by --decode-as, no handshake seen
                 tls: Optional[dict] = None,       # a TLS connection: version, cipher, sni, alpn, decrypted
                 decoder: Optional[str] = None,    # the name of the app/ decoder reading its messages, if any
                 # Life
                 state: str = "open",              # open / closing / closed / reset
                 close_code: Optional[int] = None, close_reason: Optional[str] = None,
                 closed_by: Optional[str] = None,  # "client" / "server" (who sent the first Close frame)
                 fin_by: Optional[str] = None,     # who sent the first FIN
                 end: Optional[str] = None,        # "fin" / "rst" / None (still open at end of capture)
                 notes: int = 0) -> None:
        self.id = id
        self.client = client
        self.server = server
        self.first_no = first_no
        self.first_ts = first_ts
        self.last_ts = last_ts
        self.saw_syn = saw_syn
        self.is_websocket = is_websocket
        self.method = method
        self.uri = uri
        self.host = host
        self.origin = origin
        self.ws_version = ws_version
        self.key = key
        self.status = status
        self.accept = accept
        self.accept_ok = accept_ok
        self.expected_accept = expected_accept
        self.subprotocol = subprotocol
        self.offered_subprotocols = offered_subprotocols
        self.extensions = extensions
        self.offered_extensions = offered_extensions
        self.deflate = deflate
        self.decode_as = decode_as
        self.tls = tls
        self.decoder = decoder
        self.state = state
        self.close_code = close_code
        self.close_reason = close_reason
        self.closed_by = closed_by
        self.fin_by = fin_by
        self.end = end
        self.messages_c2s = self.messages_s2c = 0
        self.bytes_c2s = self.bytes_s2c = 0          # TCP payload bytes per direction
        self.frames_c2s = self.frames_s2c = 0
        self.notes = notes

    @property
    def messages(self) -> dict:
        return {C2S: self.messages_c2s, S2C: self.messages_s2c}

    @messages.setter
    def messages(self, counts: dict) -> None:
        self.messages_c2s, self.messages_s2c = counts.get(C2S, 0), counts.get(S2C, 0)

    @property
    def frames(self) -> dict:
        return {C2S: self.frames_c2s, S2C: self.frames_s2c}

    @frames.setter
    def frames(self, counts: dict) -> None:
        self.frames_c2s, self.frames_s2c = counts.get(C2S, 0), counts.get(S2C, 0)

    @property
    def bytes(self) -> dict:
        return {C2S: self.bytes_c2s, S2C: self.bytes_s2c}

    @bytes.setter
    def bytes(self, counts: dict) -> None:
        self.bytes_c2s, self.bytes_s2c = counts.get(C2S, 0), counts.get(S2C, 0)

    @property
    def close_expected(self) -> bool:
        """A WebSocket was opened, so its end should be a Close frame: False when the 101 failed the client's
        check (a wrong or missing Sec-WebSocket-Accept: the client must drop the connection, RFC 6455 4.1)."""
        if not self.is_websocket or self.accept_ok is False:
            return False
        return self.accept is not None or self.key is None      # no key: --decode-as, or the request not captured

    def __eq__(self, other):
        return _same_fields(self, other)

    def __repr__(self) -> str:
        return _fields_repr(self)


class Label:
    """What one packet did, as a sentence of the i18n catalogue not yet put in words: the analyzer decides it, a
    view words it in its own language (render/labels.py, which lists every code and its args).

    code: the catalogue id of the sentence ("tcp.syn", "data.one", "ack.of"...). side: C2S or S2C, the packet's
    sender (the sentence's {side}; {peer} is the other). args: a tuple of the facts the sentence needs that the
    packet's Row does not hold (a TCP window, the packet an ACK acknowledges and how that packet is named...),
    () when the row holds them all (its frames, messages, TLS records, length). then: the Label said after this
    one (a FIN carried by a data packet, "no Close frame was sent"), or None.

    Labels are never changed once made, so one object may stand for every packet that says the same."""
    __slots__ = ("code", "side", "args", "then")

    def __init__(self, code: str, side: Optional[str] = None, args: tuple = (), then: Optional["Label"] = None
                 ) -> None:
        self.code = code
        self.side = side
        self.args = args
        self.then = then

    def __eq__(self, other):
        return _same_fields(self, other)

    def __hash__(self) -> int:
        return hash((self.code, self.side, self.args, self.then))

    def __repr__(self) -> str:
        return _fields_repr(self)


class Row:
    """One packet as the views show it. `label` is a Label (what the packet did, worded by the views), or None
    from an analyzer made with labels=False; `info` is tshark's kind of Info column (protocol words, the same in
    every language)."""
    __slots__ = ("no", "ts", "conn", "direction", "src", "dst", "flags", "seq", "ack", "length", "frame_len",
                 "window", "role", "label", "info", "protocol", "frames", "messages", "notes", "tls")

    def __init__(self, no: int, ts: float, conn: Optional[int], direction: Optional[str], src: str, dst: str,
                 flags: int, seq: int, ack: int, length: int, frame_len: int, window: int, role: str,
                 label: Optional[Label], info: str, protocol: str = "TCP", frames: Optional[list] = None, messages: Optional[list] = None,
                 notes: Optional[list] = None, tls: Sequence = ()) -> None:
        self.no = no
        self.ts = ts
        self.conn = conn
        self.direction = direction
        self.src = src
        self.dst = dst
        self.flags = flags
        self.seq = seq                       # relative, as Wireshark shows it
        self.ack = ack
        self.length = length                 # TCP payload length
        self.frame_len = frame_len
        self.window = window
        self.role = role
        self.label = label
        self.info = info
        self.protocol = protocol             # as tshark's Protocol column: TCP / HTTP / WebSocket
        self.frames = [] if frames is None else frames            # Frame records completed in this packet
        self.messages = [] if messages is None else messages      # Message records completed in this packet
        self.notes = [] if notes is None else notes               # Note records raised by this packet
        self.tls = tls       # tls.TlsRecord records completed in this packet (wss://): a list once there is one

    def __eq__(self, other):
        return _same_fields(self, other)

    def __repr__(self) -> str:
        return _fields_repr(self)


def new_row(no: int, ts: float, conn: Optional[int], direction: Optional[str], src: str, dst: str, flags: int,
            seq: int, ack: int, length: int, frame_len: int, window: int, role: str) -> Row:
    """Row(no, ..., role, None, "") with every later field at its default: the analyzer's row of a packet, made
    without __init__'s argument handling (model.pxd: a C call when compiled)."""
    row = Row.__new__(Row)
    row.no = no
    row.ts = ts
    row.conn = conn
    row.direction = direction
    row.src = src
    row.dst = dst
    row.flags = flags
    row.seq = seq
    row.ack = ack
    row.length = length
    row.frame_len = frame_len
    row.window = window
    row.role = role
    row.label = None
    row.info = ""
    row.protocol = "TCP"
    row.frames = []
    row.messages = []
    row.notes = []
    row.tls = ()
    return row


class CaptureSummary:
    """Totals for a whole capture (or a live session so far)."""
    __slots__ = ("packets", "tcp_packets", "other_packets", "malformed", "first_ts", "last_ts", "connections",
                 "notes_by_code", "notes_by_severity", "caps", "capture_notes", "connections_total", "folded",
                 "past_cap_packets", "snaplen_cut", "snaplen_kept")

    def __init__(self, packets: int = 0, tcp_packets: int = 0, other_packets: int = 0, malformed: int = 0,
                 first_ts: Optional[float] = None, last_ts: Optional[float] = None, connections: Optional[list] = None,
                 notes_by_code: Optional[dict] = None, notes_by_severity: Optional[dict] = None,
                 caps: Optional[list] = None, capture_notes: Optional[list] = None, connections_total: int = 0,
                 folded: Optional[FoldedConnections] = None, past_cap_packets: int = 0, snaplen_cut: int = 0,
                 snaplen_kept: int = 0) -> None:
        self.packets = packets
        self.tcp_packets = tcp_packets
        self.other_packets = other_packets      # not TCP over IP (ARP, UDP, unsupported link types): counted, not shown
        self.malformed = malformed              # packets that could not be decoded
        self.first_ts = first_ts
        self.last_ts = last_ts
        self.connections = [] if connections is None else connections              # Connection records, by id
        self.notes_by_code = {} if notes_by_code is None else notes_by_code        # code -> count
        self.notes_by_severity = {} if notes_by_severity is None else notes_by_severity    # severity -> count
        self.caps = [] if caps is None else caps      # caps reached (limits.py): each one's first note text
        self.capture_notes = [] if capture_notes is None else capture_notes    # Notes about the file itself
        self.connections_total = connections_total    # every connection seen; `connections` keeps the first N
        self.folded = folded                    # the finished connections past that cap, counted
        self.past_cap_packets = past_cap_packets    # packets of connections dropped at Limits.max_connections
        self.snaplen_cut = snaplen_cut          # TCP packets cut short by the capture's snaplen
        self.snaplen_kept = snaplen_kept        # the most bytes one of them kept (the snaplen, or near it)

    def connection_count(self) -> int:
        """Connections in the capture: those listed plus those only counted."""
        return max(self.connections_total, len(self.connections))

    def __repr__(self) -> str:
        return _fields_repr(self)


# Distinct close codes FoldedConnections counts one by one; the rest are counted under "other".
FOLDED_CLOSE_CODES = 32


class FoldedConnections:
    """What the summary keeps of the connections past Limits.summary_connections: totals of a fixed size."""
    __slots__ = ("cap", "connections", "websocket", "messages", "frames", "bytes", "ended", "close_codes", "notes")

    def __init__(self, cap: int) -> None:
        self.cap = cap                  # the cap that folded them (--max-summary-connections)
        self.connections = 0
        self.websocket = 0
        self.messages: dict = {C2S: 0, S2C: 0}
        self.frames: dict = {C2S: 0, S2C: 0}
        self.bytes: dict = {C2S: 0, S2C: 0}
        self.ended: dict = {"fin": 0, "rst": 0, "open": 0}
        self.close_codes: dict = {}     # code (int) or "other" -> connections
        self.notes = 0

    def add(self, c: Connection) -> None:
        self.connections += 1
        if c.is_websocket:
            self.websocket += 1
        m, f, b = self.messages, self.frames, self.bytes
        m[C2S] += c.messages_c2s
        m[S2C] += c.messages_s2c
        f[C2S] += c.frames_c2s
        f[S2C] += c.frames_s2c
        b[C2S] += c.bytes_c2s
        b[S2C] += c.bytes_s2c
        end = c.end if c.end in ("fin", "rst") else "open" if c.end is None else "other"
        self.ended[end] = self.ended.get(end, 0) + 1
        if c.close_code is not None:
            codes = self.close_codes
            key = c.close_code if c.close_code in codes or len(codes) < FOLDED_CLOSE_CODES else "other"
            codes[key] = codes.get(key, 0) + 1
        self.notes += c.notes

    def __repr__(self) -> str:
        return _fields_repr(self)


def _same_fields(a, b, names: Optional[Sequence[str]] = None):
    """== of two records of the analysis layer: same class, equal fields (what dataclasses compared), over
    `names` (default: the class's __slots__)."""
    if type(a) is not type(b):
        return NotImplemented
    return all([getattr(a, k) == getattr(b, k) for k in (type(a).__slots__ if names is None else names)])
