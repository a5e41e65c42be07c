"""Build capture files and packets in memory, for tests.

Packets carry correct IPv4 and TCP/UDP checksums so files written from here open cleanly in Wireshark/tshark,
which some tests use as the reference reader.
"""
from __future__ import annotations

import socket
import struct

_FLAG_LETTERS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20, "E": 0x40, "C": 0x80}


def _flags(flags) -> int:
    if isinstance(flags, str):
        return sum(_FLAG_LETTERS[c] for c in flags.upper())
    return flags


def _addr(text: str, ipv6: bool) -> bytes:
    return socket.inet_pton(socket.AF_INET6 if ipv6 else socket.AF_INET, text)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _l4_checksum(src: bytes, dst: bytes, proto: int, segment: bytes) -> int:
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(segment))
    else:
        pseudo = src + dst + struct.pack("!I3xB", len(segment), proto)
    return _checksum(pseudo + segment)


def tcp_header(sport, dport, seq, ack, flags, window=65535, options=b"") -> bytes:
    """A TCP header with a zero checksum (ip packet builders fill it in)."""
    assert len(options) % 4 == 0, "TCP options must be padded to 4 bytes"
    doff = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, doff << 4,
                       _flags(flags), window, 0, 0) + options


def ipv4_packet(src, dst, proto, payload, ident=1, ttl=64, frag=0, ip_options=b"", total_length=None) -> bytes:
    """An IPv4 packet. `frag` is the raw flags+offset word (0x2000 = MF, low 13 bits = offset / 8)."""
    assert len(ip_options) % 4 == 0
    ihl = 5 + len(ip_options) // 4
    total = 20 + len(ip_options) + len(payload) if total_length is None else total_length
    s, d = _addr(src, False), _addr(dst, False)
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, ident, frag, ttl, proto, 0, s, d) + ip_options
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + payload


def ipv6_packet(src, dst, next_header, payload, hop_limit=64, payload_length=None) -> bytes:
    """An IPv6 packet; `payload` includes any extension headers, `next_header` names the first of them."""
    plen = len(payload) if payload_length is None else payload_length
    return struct.pack("!IHBB16s16s", 6 << 28, plen, next_header, hop_limit,
                       _addr(src, True), _addr(dst, True)) + payload


def ipv6_ext(next_header: int, body: bytes = b"\0" * 6) -> bytes:
    """A hop-by-hop / routing / destination-options header: next header, length, then `body` (8n-2 bytes)."""
    assert (len(body) + 2) % 8 == 0
    return struct.pack("!BB", next_header, (len(body) + 2) // 8 - 1) + body


def ipv6_fragment(next_header: int, offset: int = 0, more: bool = False, ident: int = 1) -> bytes:
    return struct.pack("!BBHI", next_header, 0, (offset << 3) | int(more), ident)


def tcp_packet(src, dst, sport, dport, seq, ack, flags, payload=b"", window=65535, ipv6=False,
               options=b"", ip_options=b"", ext_headers=()) -> bytes:
    """An IP packet holding one TCP segment, checksums filled in.

    `ext_headers` (IPv6 only) is a sequence of (header type, bytes-builder) where the builder takes the next
    header value and returns the extension header, e.g. (0, lambda nh: ipv6_ext(nh)).
    """
    s, d = _addr(src, ipv6), _addr(dst, ipv6)
    seg = tcp_header(sport, dport, seq, ack, flags, window, options) + payload
    csum = _l4_checksum(s, d, 6, seg)
    seg = seg[:16] + struct.pack("!H", csum) + seg[18:]
    if not ipv6:
        return ipv4_packet(src, dst, 6, seg, ip_options=ip_options)
    return _ipv6_with_ext(src, dst, 6, seg, ext_headers)


def udp_packet(src, dst, sport, dport, payload=b"", ipv6=False) -> bytes:
    s, d = _addr(src, ipv6), _addr(dst, ipv6)
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    seg = seg[:6] + struct.pack("!H", _l4_checksum(s, d, 17, seg) or 0xFFFF) + seg[8:]
    if ipv6:
        return ipv6_packet(src, dst, 17, seg)
    return ipv4_packet(src, dst, 17, seg)


def _ipv6_with_ext(src, dst, proto, seg, ext_headers):
    chain = seg
    nh = proto
    for htype, build in reversed(list(ext_headers)):
        chain = build(nh) + chain
        nh = htype
    return ipv6_packet(src, dst, nh, chain)


# --- link layers -------------------------------------------------------------------------------------------

def _ethertype(ip_packet: bytes) -> int:
    return 0x86DD if ip_packet[0] >> 4 == 6 else 0x0800


def ethernet(ip_packet, vlans=(), src=b"\x02\0\0\0\0\x01", dst=b"\x02\0\0\0\0\x02", ethertype=None) -> bytes:
    """An Ethernet II frame. Each VLAN is a VLAN id (802.1Q tag) or a (TPID, id) pair, outermost first."""
    tags = b""
    for v in vlans:
        tpid, vid = v if isinstance(v, tuple) else (0x8100, v)
        tags += struct.pack("!HH", tpid, vid)
    etype = _ethertype(ip_packet) if ethertype is None else ethertype
    return dst + src + tags + struct.pack("!H", etype) + ip_packet


def null_loopback(ip_packet, family=None, big_endian=False) -> bytes:
    """BSD loopback (linktype 0): AF_ value in the capturing host's byte order."""
    fam = family if family is not None else (30 if ip_packet[0] >> 4 == 6 else 2)
    return struct.pack(">I" if big_endian else "<I", fam) + ip_packet


def loop_header(ip_packet, family=None) -> bytes:
    """OpenBSD loopback (linktype 108): AF_ value in network byte order."""
    fam = family if family is not None else (24 if ip_packet[0] >> 4 == 6 else 2)
    return struct.pack(">I", fam) + ip_packet


def sll(ip_packet, packet_type=0, protocol=None) -> bytes:
    """Linux cooked capture v1 (linktype 113): 16 bytes, protocol last."""
    proto = _ethertype(ip_packet) if protocol is None else protocol
    return struct.pack("!HHH8sH", packet_type, 772, 6, b"\0" * 8, proto) + ip_packet


def sll2(ip_packet, ifindex=1, packet_type=0, protocol=None) -> bytes:
    """Linux cooked capture v2 (linktype 276): 20 bytes, protocol first."""
    proto = _ethertype(ip_packet) if protocol is None else protocol
    return struct.pack("!HHIHBB8s", proto, 0, ifindex, 772, packet_type, 6, b"\0" * 8) + ip_packet


# --- files -------------------------------------------------------------------------------------------------

def _split(ts: float, units: int) -> tuple[int, int]:
    sec = int(ts)
    frac = round((ts - sec) * units)
    if frac >= units:
        sec, frac = sec + 1, frac - units
    return sec, frac


def pcap_bytes(packets, linktype=1, nanosecond=False, big_endian=False, snaplen=65535) -> bytes:
    """A classic pcap file. `packets` holds (ts, frame) or (ts, frame, wirelen); frames longer than `snaplen`
    are cut to it, as libpcap would."""
    o = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
    units = 1_000_000_000 if nanosecond else 1_000_000
    out = [struct.pack(o + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for item in packets:
        ts, frame = item[0], item[1]
        wirelen = item[2] if len(item) > 2 else len(frame)
        frame = frame[:snaplen]
        sec, frac = _split(ts, units)
        out.append(struct.pack(o + "IIII", sec, frac, len(frame), wirelen) + frame)
    return b"".join(out)


def _pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def ng_block(btype: int, body: bytes, big_endian=False) -> bytes:
    o = ">" if big_endian else "<"
    body = _pad4(body)
    length = len(body) + 12
    return struct.pack(o + "II", btype, length) + body + struct.pack(o + "I", length)


def ng_option(code: int, value: bytes, big_endian=False) -> bytes:
    o = ">" if big_endian else "<"
    return struct.pack(o + "HH", code, len(value)) + _pad4(value)


def ng_shb(big_endian=False) -> bytes:
    o = ">" if big_endian else "<"
    body = struct.pack(o + "IHHq", 0x1A2B3C4D, 1, 0, -1)
    return ng_block(0x0A0D0D0A, body, big_endian)


def ng_idb(linktype=1, snaplen=0, tsresol=None, tsoffset=None, big_endian=False) -> bytes:
    """Interface description; `tsresol` is the raw option byte (6 = µs, 9 = ns, 0x80|n = 2^-n)."""
    o = ">" if big_endian else "<"
    body = struct.pack(o + "HHI", linktype, 0, snaplen)
    opts = b""
    if tsresol is not None:
        opts += ng_option(9, bytes([tsresol]), big_endian)
    if tsoffset is not None:
        opts += ng_option(14, struct.pack(o + "q", tsoffset), big_endian)
    if opts:
        opts += ng_option(0, b"", big_endian)
    return ng_block(1, body + opts, big_endian)


def _ng_units(tsresol) -> int:
    if tsresol is None:
        return 1_000_000
    return 1 << (tsresol & 0x7F) if tsresol & 0x80 else 10 ** tsresol


def ng_epb(iface, ts, frame, tsresol=None, tsoffset=0, wirelen=None, big_endian=False) -> bytes:
    o = ">" if big_endian else "<"
    t = round((ts - tsoffset) * _ng_units(tsresol))
    body = struct.pack(o + "IIIII", iface, t >> 32, t & 0xFFFFFFFF, len(frame),
                       len(frame) if wirelen is None else wirelen) + frame
    return ng_block(6, body, big_endian)


def ng_spb(frame, wirelen=None, big_endian=False) -> bytes:
    o = ">" if big_endian else "<"
    return ng_block(3, struct.pack(o + "I", len(frame) if wirelen is None else wirelen) + frame, big_endian)


def ng_pb(iface, ts, frame, tsresol=None, big_endian=False) -> bytes:
    """The obsolete Packet Block (type 2)."""
    o = ">" if big_endian else "<"
    t = round(ts * _ng_units(tsresol))
    body = struct.pack(o + "HHIIII", iface, 0, t >> 32, t & 0xFFFFFFFF, len(frame), len(frame)) + frame
    return ng_block(2, body, big_endian)


def pcapng_bytes(packets, interfaces=((1, None),), big_endian=False) -> bytes:
    """A pcapng file: one section, the given interfaces as (linktype, tsresol) or (linktype, tsresol,
    tsoffset), then one EPB per packet. `packets` holds (ts, frame) on interface 0 or (ts, frame, iface)."""
    out = [ng_shb(big_endian)]
    ifs = []
    for spec in interfaces:
        lt, res = spec[0], spec[1]
        off = spec[2] if len(spec) > 2 else None
        ifs.append((res, off or 0))
        out.append(ng_idb(lt, tsresol=res, tsoffset=off, big_endian=big_endian))
    for item in packets:
        ts, frame = item[0], item[1]
        iface = item[2] if len(item) > 2 else 0
        res, off = ifs[iface]
        out.append(ng_epb(iface, ts, frame, res, off, big_endian=big_endian))
    return b"".join(out)
