"""TLS conversations for tests: the recorded wss:// captures (captures/wss/) as streams that can be replayed and
damaged through sessionbuild.Session, and hand-made hellos for what those captures do not show."""
import os
import struct

from conftest import ROOT
from sessionbuild import Session
from wsdissect.decode import decode_packet
from wsdissect.model import C2S, S2C
from wsdissect.sources.pcap import open_capture
from wsdissect.tls import load_keylog

WSS = os.path.join(ROOT, "captures", "wss")
SUITES = ("aes128gcm", "aes256gcm", "chacha20", "tls12-aes128gcm", "tls12-aes256gcm", "tls12-chacha20",
          "tls12-rsa-aes128cbc-sha-mte", "tls12-aes256cbc-sha384-mte", "tls12-aes128cbc-sha256-etm")
CBC = tuple(s for s in SUITES if "cbc" in s)
# Other conversations (record_wss.py's SCENES): permessage-deflate, three connections at once, an idle drop.
SCENES = ("deflate", "tls12-deflate", "multi", "idle", "tls12-idle")


def pcap(suite: str) -> str:
    return os.path.join(WSS, f"wss-{suite}.pcap")


def keys(suite: str) -> str:
    return os.path.join(WSS, f"wss-{suite}.keys")


def keylog(suite: str):
    return load_keylog(keys(suite))


def payloads(suite: str) -> list:
    """(direction, payload) of every data segment of the recorded connection, in capture order."""
    out, client = [], None
    for raw in open_capture(pcap(suite)):
        seg = decode_packet(raw)
        if seg is None or not seg.payload:
            continue
        if client is None:
            client = (seg.src, seg.sport)
        out.append((C2S if (seg.src, seg.sport) == client else S2C, seg.payload))
    return out


def replay(items, port: int = 443) -> Session:
    """A Session carrying `items` ((direction, payload) pairs) on a fresh TCP connection, each payload ACKed."""
    s = Session(server=("10.0.0.2", port))
    s.handshake()
    for d, p in items:
        s.send(d, p)
    s.teardown()
    return s


def record(ctype: int, body: bytes, version: int = 0x0301) -> bytes:
    return struct.pack("!BHH", ctype, version, len(body)) + body


def handshake_msg(mtype: int, body: bytes) -> bytes:
    return bytes([mtype]) + len(body).to_bytes(3, "big") + body


def client_hello(random: bytes = b"\x01" * 32, cipher: int = 0x000A) -> bytes:
    """A TLS 1.2 ClientHello record without extensions (by default offering 3DES-CBC, not decrypted)."""
    body = struct.pack("!H", 0x0303) + random + b"\x00" + struct.pack("!HH", 2, cipher) + b"\x01\x00"
    return record(22, handshake_msg(1, body))


def server_hello(random: bytes = b"\x02" * 32, cipher: int = 0x000A, alpn: str = "") -> bytes:
    body = struct.pack("!H", 0x0303) + random + b"\x00" + struct.pack("!H", cipher) + b"\x00"
    if alpn:                                   # the ALPN extension (RFC 7301 3.1): the protocol chosen
        proto = bytes([len(alpn)]) + alpn.encode()
        ext = struct.pack("!HHH", 16, len(proto) + 2, len(proto)) + proto
        body += struct.pack("!H", len(ext)) + ext
    return record(22, handshake_msg(2, body), 0x0303)


def damage_cbc(wss: list, how: str) -> list:
    """The recorded CBC connection `wss` with the client's first message record damaged: "padding" (the padding
    length flipped), "mac" (a block inside the MAC garbled) or "length" (one byte cut, the header's length fixed)."""
    i = next(i for i, (d, p) in enumerate(wss) if d == C2S and i > 5)
    d, p = wss[i]
    if how == "length":
        body = p[5:-1]
        p = p[:3] + len(body).to_bytes(2, "big") + body
    else:
        back = 17 if how == "padding" else 32
        p = p[:-back] + bytes([p[-back] ^ 1]) + p[len(p) - back + 1:]
    return wss[:i] + [(d, p)] + wss[i + 1:]
