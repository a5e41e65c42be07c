# cython: boundscheck=False, wraparound=False
"""A skeleton of a typed core: how fast can Cython make plain Python written for C-level state?

This is plain Python; its C types are in typedcore.pxd beside it (Cython's pure-Python mode, as python-zeroconf
and dbus-fast do it). bench/typed.py compiles this file with Cython (and also runs it as plain Python) and times it against wsdissect
as installed and tshark. It is a measurement, not part of wsdissect: it does a subset of `read --json`'s work, written the way
a core with C-level state would be written, and writes a JSON line per packet, frame and message:

- pcap records walked in place in 1 MiB chunks (no object per packet until a line is written);
- Ethernet, IPv4 and TCP headers read as C integers from the chunk;
- connections in a dict keyed by one Python int (addresses and ports), each a slotted class (a cdef class of C
  fields when compiled), the two directions too;
- per direction: relative seq/ack; in-order payload only (a segment out of order is counted and skipped); an
  HTTP head ends at CRLF CRLF and a 101 switches both directions to WebSocket;
- WebSocket frame headers parsed in place, a header split across segments kept in a small buffer, a frame's
  payload skipped or, for a masked text frame whole in its segment, unmasked and decoded for the message line.

What it does not do (and the real core must): out-of-order reassembly, gaps, FIN/RST states and linger, the HTTP
header checks, permessage-deflate, fragmented messages across segments with text, labels from the catalogue,
notes, IPv6, other link types. Labels and Info are filled from one template per role, as the catalogue's
would be. Its times are a floor for a core of this design, not a prediction.
"""

PCAP_HEADER = 24
RECORD_HEADER = 16
ETH_HEADER = 14
ETHERTYPE_IPV4 = 0x0800
IPPROTO_TCP = 6
TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10
MODE_HTTP, MODE_WS = 0, 1
OP_TEXT = 1
CHUNK = 1 << 20
# Words as a catalogue would give them: one template per role, filled per packet (as labels and Info are).
LABELS = {"tcp": "TCP {flags} ({side})", "http": "HTTP from the {side}", "ws-upgrade-response":
          "WebSocket handshake 2/2: server agrees (101 Switching Protocols)", "ws-data": "{side} sends {frames}"}

FLAG_NAMES = []
for _f in range(32):
    FLAG_NAMES.append(",".join(n for bit, n in ((TCP_SYN, "SYN"), (TCP_FIN, "FIN"), (TCP_RST, "RST"),
                                                  (TCP_PSH, "PSH"), (TCP_ACK, "ACK")) if _f & bit))


class Direction:
    __slots__ = ("isn", "next_seq", "started", "mode", "skip", "head", "frames", "messages", "out_of_order", "name")

    def __init__(self, name):
        self.name = name
        self.head = b""
        self.mode = MODE_HTTP
        self.isn = self.next_seq = 0
        self.started = False
        self.skip = self.frames = self.messages = self.out_of_order = 0


class Conn:
    __slots__ = ("no", "client_ip", "client_port", "c2s", "s2c", "client", "server")


def u16(b, i):
    return (b[i] << 8) | b[i + 1]


def u32(b, i):
    return ((b[i] << 24) | (b[i + 1] << 16)
            | (b[i + 2] << 8) | b[i + 3])


def le32(b, i):
    return ((b[i + 3] << 24) | (b[i + 2] << 16)
            | (b[i + 1] << 8) | b[i])


def ip_text(ip):
    return f"{ip >> 24}.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}"


class Core:
    __slots__ = ("conns", "opened", "lines")

    def __init__(self):
        self.conns = {}
        self.opened = 0
        self.lines = []

    def packet(self, no, ts, b, off, caplen, wirelen):
        """One Ethernet record at b[off:off + caplen]."""
        if caplen < ETH_HEADER + 40 or u16(b, off + 12) != ETHERTYPE_IPV4:
            return
        ip = off + ETH_HEADER
        if b[ip + 9] != IPPROTO_TCP:
            return
        ihl = (b[ip] & 15) * 4
        total = u16(b, ip + 2)
        src, dst = u32(b, ip + 12), u32(b, ip + 16)
        tcp = ip + ihl
        sport, dport = u16(b, tcp), u16(b, tcp + 2)
        seq, ack = u32(b, tcp + 4), u32(b, tcp + 8)
        doff = (b[tcp + 12] >> 4) * 4
        flags = b[tcp + 13] & 31
        pay = tcp + doff
        plen = total - ihl - doff
        if pay + plen > off + caplen:
            plen = off + caplen - pay
        if (src, sport) < (dst, dport):
            lo_ip, lo_port, hi_ip, hi_port = src, sport, dst, dport
        else:
            lo_ip, lo_port, hi_ip, hi_port = dst, dport, src, sport
        key = lo_ip << 32 | hi_ip                        # 64 bits of C; `key` is a Python object (the .pxd)
        key = key << 32 | (lo_port << 16 | hi_port)     # 96 bits: a Python int
        conn = self.conns.get(key)
        if conn is None:
            conn = Conn()
            conn.no = self.opened
            self.opened += 1
            syn_only = (flags & (TCP_SYN | TCP_ACK)) == TCP_SYN
            conn.client_ip, conn.client_port = (src, sport) if syn_only else (dst, dport)
            conn.c2s, conn.s2c = Direction("c2s"), Direction("s2c")
            conn.client = f"{ip_text(conn.client_ip)}:{conn.client_port}"
            conn.server = (f"{ip_text(dst)}:{dport}" if syn_only else f"{ip_text(src)}:{sport}")
            self.conns[key] = conn
        c2s = src == conn.client_ip and sport == conn.client_port
        d = conn.c2s if c2s else conn.s2c
        o = conn.s2c if c2s else conn.c2s
        if not d.started:
            d.started, d.isn = True, seq
            d.next_seq = seq + 1 if flags & TCP_SYN else seq
        rel_seq = (seq - d.isn) & 0xFFFFFFFF
        rel_ack = ((ack - o.isn) & 0xFFFFFFFF) if o.started and flags & TCP_ACK else 0
        role = "tcp"
        if plen > 0:
            if seq == (d.next_seq & 0xFFFFFFFF):
                d.next_seq += plen
                role = self.payload(no, conn, d, o, b, pay, plen)
            else:
                d.out_of_order += 1
        elif flags & TCP_SYN:
            d.next_seq = seq + 1
        src_t, dst_t = (conn.client, conn.server) if c2s else (conn.server, conn.client)
        side = "client" if c2s else "server"
        label = LABELS[role].format(flags=FLAG_NAMES[flags], side=side, frames=d.frames)
        info = f"[{FLAG_NAMES[flags]}] Seq={rel_seq} Ack={rel_ack} Win={u16(b, tcp + 14)} Len={plen}"
        self.lines.append(
            f'{{"type":"packet","no":{no},"ts":{ts:.6f},"conn":{conn.no},"dir":"{d.name}","src":"{src_t}",'
            f'"dst":"{dst_t}","flags":"{FLAG_NAMES[flags]}","seq":{rel_seq},"ack":{rel_ack},"len":{plen},'
            f'"frame_len":{wirelen},"role":"{role}","label":"{label}","info":"{info}","notes":[]}}\n')

    def payload(self, no, conn, d, o, b, pay, plen):
        if d.mode == MODE_HTTP:
            seg = b[pay:pay + plen]
            if seg.startswith(b"HTTP/1.1 101"):
                d.mode = o.mode = MODE_WS
                return "ws-upgrade-response"
            return "http"
        i, end = pay, pay + plen
        if d.skip:
            n = min(d.skip, plen)
            d.skip -= n
            i += n
        if d.head:                       # a header split across segments: join and parse from a copy
            b = d.head + b[i:end]
            i, end = 0, len(b)
            d.head = b""
        while i < end:
            if end - i < 2:
                d.head = b[i:end]
                break
            b1, b2 = b[i], b[i + 1]
            masked = b2 & 0x80
            length = b2 & 0x7F
            hlen = 2
            if length == 126:
                hlen = 4
            elif length == 127:
                hlen = 10
            if masked:
                hlen += 4
            if end - i < hlen:
                d.head = b[i:end]
                break
            if length == 126:
                length = u16(b, i + 2)
            elif length == 127:
                length = ((u32(b, i + 2)) << 32) | u32(b, i + 6)
            d.frames += 1
            self.lines.append(
                f'{{"type":"frame","no":{no},"conn":{conn.no},"dir":"{d.name}","fin":{"true" if b1 & 0x80 else "false"},'
                f'"opcode":{b1 & 15},"masked":{"true" if masked else "false"},"length":{length},"header_len":{hlen}}}\n')
            if b1 & 0x80:
                d.messages += 1
                text = ""
                if (b1 & 15) == OP_TEXT and i + hlen + length <= end:
                    data = bytearray(b[i + hlen:i + hlen + length])
                    if masked:
                        for k in range(length):
                            data[k] ^= b[i + hlen - 4 + (k & 3)]
                    text = data.decode("utf-8", "replace")
                self.lines.append(
                    f'{{"type":"message","conn":{conn.no},"dir":"{d.name}","opcode":{b1 & 15},"length":{length},'
                    f'"text":{text!r}}}\n')
            if i + hlen + length > end:
                d.skip = i + hlen + length - end
                break
            i += hlen + length
        return "ws-data"


def run(path, out):
    """Walk a little-endian microsecond pcap of Ethernet packets; write the lines to `out`. Returns packets."""
    core = Core()
    no = 0
    with open(path, "rb") as f:
        rest = f.read(PCAP_HEADER)[PCAP_HEADER:]
        while True:
            more = f.read(CHUNK)
            if not more:
                break
            b = rest + more
            off, n = 0, len(b)
            while off + RECORD_HEADER <= n:
                caplen = le32(b, off + 8)
                if off + RECORD_HEADER + caplen > n:
                    break
                no += 1
                core.packet(no, le32(b, off) + le32(b, off + 4) * 1e-6, b, off + RECORD_HEADER, caplen,
                            le32(b, off + 12))
                off += RECORD_HEADER + caplen
            rest = b[off:]
            out.write("".join(core.lines))
            core.lines.clear()
    return no
