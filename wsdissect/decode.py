# cython: boundscheck=False, wraparound=False
"""Link layer, IP and TCP headers: RawPacket in, TcpSegment out.

This is the hot path of a large capture, so it is one flat pass over the captured bytes, each header field read
from its bytes at its offset (compiled: C reads, every one behind a length check above it, hence no bounds
checks in this module), no slicing until the payload, no per-layer objects, addresses as integers (their text is made by
`model.ip_text`, once per address). The C types of its locals are in decode.pxd (compiled by Cython where a
compiler is present).
"""
from __future__ import annotations

import struct

from .model import RawPacket, TcpSegment

__all__ = ["DecodeError", "decode_packet", "is_supported_linktype", "peek_ends"]


class DecodeError(Exception):
    """A header is too short or contradicts itself; the message says which and by how much."""


class SnaplenCut(DecodeError):
    """The capture's snaplen cut the packet inside its TCP header."""


_ETHERTYPE_IPV4 = 0x0800
_ETHERTYPE_IPV6 = 0x86DD

_ETHERTYPE_LINKS = {
    # linktype -> (header length, offset of the ethertype within it)
    1: (14, 12),        # Ethernet
    113: (16, 14),      # Linux SLL
    276: (20, 0),       # Linux SLL2
}
_RAW_LINKS = frozenset((101, 12, 14, 228, 229))
_NULL, _LOOP = 0, 108
# The BSD loopback header holds the sender's AF_ value, which differs per OS for IPv6.
_BSD_AF_INET = 2
_BSD_AF_INET6 = frozenset((24, 28, 30))

_SUPPORTED = frozenset(_ETHERTYPE_LINKS) | _RAW_LINKS | {_NULL, _LOOP}

_U16 = struct.Struct("!H")
_U32BE = struct.Struct("!I")
_U32LE = struct.Struct("<I")
# version/class/flow, payload length, next header, source, destination (hop limit skipped)
_IPV6 = struct.Struct("!IHBx16s16s")

_IPV6_SKIPPABLE = frozenset((0, 43, 60))     # hop-by-hop, routing, destination options: length in 8-octet units
_IPV6_FRAGMENT, _IPV6_AH = 44, 51

def is_supported_linktype(linktype: int) -> bool:
    """True when decode_packet understands this link type (otherwise it returns None for every packet)."""
    return linktype in _SUPPORTED


def decode_packet(raw: RawPacket) -> TcpSegment | None:
    """Decode one captured frame down to TCP.

    Returns None for anything that is not a whole TCP segment (other protocols, non-initial or incomplete IP
    fragments, unsupported link types). Raises DecodeError when a header is malformed.
    """
    # One flat function on purpose (but for the link layer, which peek_ends shares): at a million packets, each
    # extra Python call per packet costs ~0.1 s.
    data = raw.data
    n = len(data)
    at = _ip_at(data, n, raw.linktype)
    if at < 0:
        return None
    off = at >> 3
    version = at & 7

    if version == 4:
        if n - off < 20:
            raise DecodeError(f"short IPv4 header: {n - off} of 20 bytes")
        # Each field read from its bytes (compiled: C reads of the buffer, no tuple and no integer objects).
        vihl = data[off]
        total = data[off + 2] << 8 | data[off + 3]
        frag = data[off + 6] << 8 | data[off + 7]
        proto = data[off + 9]
        a4 = data[off + 12]
        a4 = a4 << 24 | data[off + 13] << 16 | data[off + 14] << 8 | data[off + 15]
        b4 = data[off + 16]
        b4 = b4 << 24 | data[off + 17] << 16 | data[off + 18] << 8 | data[off + 19]
        src = a4
        dst = b4
        if vihl >> 4 != 4:
            raise DecodeError(f"IPv4 header with version {vihl >> 4}")
        ihl = (vihl & 15) << 2
        if ihl < 20:
            raise DecodeError(f"bad IPv4 header length: {ihl} bytes (minimum 20)")
        if n - off < ihl:
            raise DecodeError(f"short IPv4 header: {n - off} of {ihl} bytes")
        if proto != 6 or frag & 0x3FFF:
            # Only an unfragmented datagram holds a whole segment; TCP avoids fragmentation (MSS, PMTU
            # discovery), so reassembling fragments is not worth the state.
            return None
        if total == 0:
            # Segmentation offload: the sending host captured the super-packet before the NIC filled this in.
            total = n - off
        elif total < ihl:
            raise DecodeError(f"IPv4 total length {total} is shorter than its {ihl}-byte header")
        t = off + ihl
        ip_end = off + total
    else:
        if n - off < 40:
            raise DecodeError(f"short IPv6 header: {n - off} of 40 bytes")
        vcf, plen, nxt, src6, dst6 = _IPV6.unpack_from(data, off)
        if vcf >> 28 != 6:
            raise DecodeError(f"IPv6 header with version {vcf >> 28}")
        src = int.from_bytes(src6, "big")
        dst = int.from_bytes(dst6, "big")
        t = off + 40
        # A zero payload length is a jumbogram or segmentation offload: the frame itself is the only bound.
        ip_end = t + plen if plen else n
        while nxt != 6:
            if nxt in _IPV6_SKIPPABLE:
                if t + 2 > n:
                    raise DecodeError(f"short IPv6 extension header {nxt}: {max(n - t, 0)} of 2 bytes")
                hlen = (data[t + 1] + 1) << 3
            elif nxt == _IPV6_FRAGMENT:
                if t + 8 > n:
                    raise DecodeError(f"short IPv6 fragment header: {max(n - t, 0)} of 8 bytes")
                if _U16.unpack_from(data, t + 2)[0] & 0xFFF9:
                    return None     # a later fragment, or a first one with more to come
                hlen = 8
            elif nxt == _IPV6_AH:
                if t + 2 > n:
                    raise DecodeError(f"short IPv6 authentication header: {max(n - t, 0)} of 2 bytes")
                hlen = (data[t + 1] + 2) << 2
            else:
                return None
            if t + hlen > min(n, ip_end):
                raise DecodeError(f"IPv6 extension header {nxt} ({hlen} bytes) runs past the packet")
            nxt = data[t]
            t += hlen

    # ip_end is where the IP header says the segment ends, n where the capture ends. Past ip_end is link
    # padding (or an Ethernet FCS); short of it, the capture's snaplen cut the packet.
    if ip_end > n:
        if raw.wirelen <= n:
            raise DecodeError(f"IP length claims {ip_end - off} bytes but the frame holds only {n - off}")
        end = n
        if end - t < 20:
            raise SnaplenCut(f"TCP header cut off by the capture's snaplen: {max(end - t, 0)} of 20 bytes")
    else:
        end = ip_end
        if end - t < 20:
            raise DecodeError(f"short TCP header: {max(end - t, 0)} of 20 bytes")
    sport = data[t] << 8 | data[t + 1]
    dport = data[t + 2] << 8 | data[t + 3]
    seq = data[t + 4]
    seq = seq << 24 | data[t + 5] << 16 | data[t + 6] << 8 | data[t + 7]
    ack = data[t + 8]
    ack = ack << 24 | data[t + 9] << 16 | data[t + 10] << 8 | data[t + 11]
    doff = data[t + 12]
    flags = data[t + 13]
    window = data[t + 14] << 8 | data[t + 15]
    hl = (doff >> 4) << 2
    if hl < 20:
        raise DecodeError(f"bad TCP data offset: {hl} bytes (minimum 20)")
    start = t + hl
    if start > ip_end:
        raise DecodeError(f"TCP header length {hl} exceeds the {ip_end - t} bytes of the IP payload")
    if start > end:
        # Only options were cut off; the fixed header is intact and the payload is all missing.
        payload = b""
        missing = ip_end - start
    else:
        payload = data[start:end]
        missing = ip_end - end
    # Made field by field (compiled: C stores into a fresh object, no argument tuple).
    seg = TcpSegment.__new__(TcpSegment)
    seg.no = raw.no
    seg.ts = raw.ts
    seg.src_ip = src
    seg.dst_ip = dst
    seg.sport = sport
    seg.dport = dport
    seg.seq = seq
    seg.ack = ack
    seg.flags = flags
    seg.window = window
    seg.payload = payload
    seg.frame_len = raw.wirelen
    seg.ip_version = version
    seg.missing = missing
    # Only a SYN can announce window scaling, and the window column means little without it.
    seg.wscale = _window_scale(data, t + 20, min(t + hl, end)) if flags & 0x02 and hl > 20 else -1
    seg.cut = ip_end > n
    return seg


def _ip_at(data: bytes, n: int, lt: int) -> int:
    """Where the IP header starts in a captured frame of link type `lt` (`n` bytes), and its IP version, as
    `offset << 3 | version`; -1 when the frame holds no IP (another ethertype or address family, an unsupported
    link type). Raises DecodeError when the link header is cut or the IP version is neither 4 nor 6."""
    # _ETHERTYPE_LINKS, written out: compiled, these are C comparisons.
    if lt == 1:
        off, at = 14, 12
    elif lt == 113:
        off, at = 16, 14
    elif lt == 276:
        off, at = 20, 0
    else:
        at = -1
    if at >= 0:
        if n < off:
            raise DecodeError(f"short {_LINK_NAMES[lt]} header: {n} of {off} bytes")
        etype = data[at] << 8 | data[at + 1]
        # VLAN tags (802.1Q, 802.1ad, pre-standard QinQ), any of them stacked on any other
        while etype == 0x8100 or etype == 0x88A8 or etype == 0x9100:
            if n < off + 4:
                raise DecodeError(f"short VLAN tag: {n - off} of 4 bytes")
            etype = data[off + 2] << 8 | data[off + 3]
            off += 4
        if etype == _ETHERTYPE_IPV4:
            version = 4
        elif etype == _ETHERTYPE_IPV6:
            version = 6
        else:
            return -1
    else:
        if lt in _RAW_LINKS:
            off = 0
        elif lt == _NULL or lt == _LOOP:
            if n < 4:
                raise DecodeError(f"short loopback header: {n} of 4 bytes")
            if lt == _LOOP:
                family = _U32BE.unpack_from(data)[0]
            else:
                # Written in the capturing host's byte order; AF values are small, so a big value means the
                # other order.
                family = _U32LE.unpack_from(data)[0]
                if family > 0xFFFF:
                    family = _U32BE.unpack_from(data)[0]
            if family != _BSD_AF_INET and family not in _BSD_AF_INET6:
                return -1
            off = 4
        else:
            return -1
        if n <= off:
            raise DecodeError("empty IP packet")
        version = data[off] >> 4
        if version != 4 and version != 6:
            raise DecodeError(f"IP packet with IP version {version}")
    return off << 3 | version


def peek_ends(data: bytes, linktype: int):
    """(source, destination) of a plain, whole TCP segment, each its address bytes and then its port's two bytes
    as sent, read straight from the captured bytes; None for anything else (an IPv6 extension header, a fragment,
    a cut or malformed header, not TCP: decode_packet says what it is). Where both read a packet, their ends are
    the same. A parallel read's workers tell their packets apart with it without decoding them."""
    n = len(data)
    try:
        at = _ip_at(data, n, linktype)
    except DecodeError:
        return None
    if at < 0:
        return None
    off = at >> 3
    version = at & 7
    if version == 4:
        if n - off < 20 or data[off] >> 4 != 4:
            return None
        ihl = (data[off] & 15) << 2
        total, frag = _U16.unpack_from(data, off + 2)[0], _U16.unpack_from(data, off + 6)[0]
        if ihl < 20 or n - off < ihl or data[off + 9] != 6 or frag & 0x3FFF:
            return None
        if total == 0:
            total = n - off
        elif total < ihl:
            return None
        t = off + ihl
        ip_end = off + total
        src, dst = data[off + 12:off + 16], data[off + 16:off + 20]
    elif version == 6:
        if n - off < 40 or data[off + 6] != 6:
            return None
        t = off + 40
        plen = _U16.unpack_from(data, off + 4)[0]
        ip_end = t + plen if plen else n
        src, dst = data[off + 8:off + 24], data[off + 24:off + 40]
    else:
        return None
    if ip_end > n or ip_end - t < 20 or data[t + 12] >> 4 < 5 or t + ((data[t + 12] >> 4) << 2) > ip_end:
        return None
    return src + data[t:t + 2], dst + data[t + 2:t + 4]


def _window_scale(data, i, end):
    """The shift of the TCP window-scale option (kind 3), or -1 when absent or unreadable."""
    while i < end:
        kind = data[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= end:
            break
        size = data[i + 1]
        if size < 2:
            break
        if kind == 3 and size == 3 and i + 2 < end:
            return min(data[i + 2], 14)   # RFC 7323 2.3: a shift above 14 is used as 14
        i += size
    return -1


_LINK_NAMES = {1: "Ethernet", 113: "Linux SLL", 276: "Linux SLL2"}
