"""A tiny, fast pcap writer for the benchmark: Ethernet + IPv4 + TCP built with `struct`, correct checksums.

Only what bench/gen.py needs. Kept apart from the wsdissect package (the benchmark must not test the code under
test with itself) and from tests/pcapbuild.py (that one favours clarity; this one writes millions of packets).

Checksums are correct (IPv4 header and TCP over the pseudo-header), so tshark and Wireshark open the files
without complaint even with checksum validation switched on. To make a million of them cheap, the one's-
complement sum is split: the part that never changes for a template segment (flags, window, options, payload)
is summed once with `fixed_sum()`; per packet only addresses, ports, seq and ack are added (RFC 1071: the sum is
commutative and independent of where the words are).
"""
from __future__ import annotations

import struct
import sys
from array import array

__all__ = ["PcapWriter", "fixed_sum", "tcp_frame", "fold", "ip_words"]

_PCAP_HDR = struct.Struct("<IHHiIII")
_PCAP_REC = struct.Struct("<IIII")
# Ethernet (dst, src, type) + IPv4 (fixed 20 bytes) + TCP (fixed 20 bytes); options and payload follow.
_HEAD = struct.Struct("!6s6sH" "BBHHHBBH4s4s" "HHIIBBHHH")
_ETH_DST = b"\x02\x00\x00\x00\x00\x02"
_ETH_SRC = b"\x02\x00\x00\x00\x00\x01"
_LITTLE = sys.byteorder == "little"


class PcapWriter:
    """Classic pcap, microsecond timestamps, Ethernet link type. Timestamps are integer microseconds."""

    def __init__(self, path, snaplen: int = 262144) -> None:
        self.f = open(path, "wb", buffering=4 << 20)
        self.f.write(_PCAP_HDR.pack(0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        self.count = 0
        self._rec = _PCAP_REC.pack
        self._write = self.f.write

    def write(self, ts_us: int, frame: bytes) -> None:
        n = len(frame)
        self._write(self._rec(ts_us // 1_000_000, ts_us % 1_000_000, n, n))
        self._write(frame)
        self.count += 1

    def close(self) -> None:
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _raw_sum(data: bytes) -> int:
    """Unfolded one's-complement sum of big-endian 16-bit words (odd length padded with a zero byte)."""
    if len(data) & 1:
        data += b"\0"
    a = array("H", data)
    if _LITTLE:
        a.byteswap()
    return sum(a)


def fold(s: int) -> int:
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def fixed_sum(doff_flags_word: int, window: int, options: bytes, payload: bytes) -> int:
    """The per-template part of the TCP checksum sum: header words other than ports/seq/ack/checksum,
    options, payload, and the pseudo-header's protocol and TCP length."""
    tcp_len = 20 + len(options) + len(payload)
    return doff_flags_word + window + _raw_sum(options) + _raw_sum(payload) + 6 + tcp_len


def ip_words(ip: bytes) -> int:
    a, b = struct.unpack("!HH", ip)
    return a + b


def tcp_frame(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int, window: int,
              options: bytes, payload: bytes, ident: int, fsum: int | None = None, addr_sum: int | None = None) -> bytes:
    """One Ethernet/IPv4/TCP frame with correct checksums. `fsum`/`addr_sum` are precomputed sums (optional)."""
    hl = 20 + len(options)
    total = 20 + hl + len(payload)
    doff = (hl >> 2) << 4
    if fsum is None:
        fsum = fixed_sum((doff << 8) | flags, window, options, payload)
    if addr_sum is None:
        addr_sum = ip_words(src) + ip_words(dst)
    s = fsum + addr_sum + sport + dport + (seq >> 16) + (seq & 0xFFFF) + (ack >> 16) + (ack & 0xFFFF)
    tcsum = ~fold(s) & 0xFFFF
    ident &= 0xFFFF
    isum = 0x4500 + total + ident + 0x4000 + 0x4006 + addr_sum
    icsum = ~fold(isum) & 0xFFFF
    return _HEAD.pack(_ETH_DST, _ETH_SRC, 0x0800,
                      0x45, 0, total, ident, 0x4000, 64, 6, icsum, src, dst,
                      sport, dport, seq, ack, doff, flags, window, tcsum, 0) + options + payload
