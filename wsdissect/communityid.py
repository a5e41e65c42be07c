"""The Community ID flow hash, version 1 (github.com/corelight/community-id-spec), as Zeek, Suricata and Arkime
write it, so a connection record joins with their logs.

    "1:" + base64(sha1(seed (2 bytes, big-endian) + saddr + daddr + proto (1 byte) + 0 (1 byte)
                       + sport (2 bytes) + dport (2 bytes)))

with the endpoints ordered so that both directions of a flow give the same hash: the smaller address first
(compared as bytes; on equal addresses the smaller port first). Sans-IO: strings and numbers in, a string out.
"""
from __future__ import annotations

import binascii
import hashlib
import socket
import struct

PROTO_TCP = 6


def community_id(saddr: str, sport: int, daddr: str, dport: int, proto: int = PROTO_TCP, seed: int = 0) -> str:
    """The Community ID v1 of a flow between two endpoints (IPv4 or IPv6 addresses as text)."""
    a = _packed(saddr)
    b = _packed(daddr)
    if (b, dport) < (a, sport):
        a, b, sport, dport = b, a, dport, sport
    digest = hashlib.sha1(_SEED.pack(seed) + a + b + _PORTS.pack(proto, 0, sport, dport)).digest()
    return "1:" + binascii.b2a_base64(digest, newline=False).decode("ascii")


_SEED = struct.Struct("!H")
_PORTS = struct.Struct("!BBHH")


def _packed(addr: str) -> bytes:
    """An address's bytes in network order (4 for IPv4, 16 for IPv6). ValueError for text that is neither."""
    try:
        return socket.inet_pton(socket.AF_INET6 if ":" in addr else socket.AF_INET, addr)
    except OSError:
        raise ValueError(f"{addr!r} is not an IPv4 or IPv6 address") from None


def connection_uid(community: str, first_ts: float) -> str:
    """A connection's id in the tables (`conn_id`): 16 hex digits of SHA-1 over its Community ID and the
    timestamp of its first packet. It depends on the packets alone, not on the file they were read from, the
    capture's grouping or the connection's number in it, so it is the same across files, runs and machines;
    two connections of one 4-tuple (a port reused later) differ by their first timestamp."""
    return hashlib.sha1(f"{community} {first_ts!r}".encode("ascii")).hexdigest()[:16]
