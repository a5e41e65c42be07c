"""The clear part of a TLS handshake: what ClientHello and ServerHello say (RFC 8446 4.1.2, 4.1.3)."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Optional

CLIENT_HELLO, SERVER_HELLO, NEW_SESSION_TICKET, ENCRYPTED_EXTENSIONS, FINISHED, KEY_UPDATE = 1, 2, 4, 8, 20, 24
EXT_SNI, EXT_ALPN, EXT_ETM, EXT_SUPPORTED_VERSIONS = 0, 16, 22, 43
# ServerHello.random of a HelloRetryRequest (RFC 8446 4.1.3).
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

# Handshake message names as tshark's Info column writes them (RFC 8446 4, RFC 5246 7.4).
MESSAGE_NAMES = {1: "Client Hello", 2: "Server Hello", 4: "New Session Ticket", 5: "End of Early Data",
                 8: "Encrypted Extensions", 11: "Certificate", 12: "Server Key Exchange", 13: "Certificate Request",
                 14: "Server Hello Done", 15: "Certificate Verify", 16: "Client Key Exchange", 20: "Finished",
                 24: "Key Update"}

VERSIONS = {0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}


def version_name(v: Optional[int]) -> str:
    if v is None:
        return "?"
    return VERSIONS.get(v, f"0x{v:04x}")


class HandshakeError(ValueError):
    pass


@dataclass
class Hello:
    kind: int                         # CLIENT_HELLO or SERVER_HELLO
    random: bytes
    version: int                      # the negotiated (ServerHello) or highest offered (ClientHello) version
    sni: Optional[str] = None
    alpn: list = field(default_factory=list)
    versions: list = field(default_factory=list)     # ClientHello: supported_versions offered
    ciphers: list = field(default_factory=list)      # ClientHello: offered; ServerHello: [chosen]
    hrr: bool = False
    etm: bool = False                 # encrypt_then_mac (RFC 7366): offered (ClientHello) or agreed (ServerHello)


class _Reader:
    def __init__(self, b: bytes) -> None:
        self.b, self.i = b, 0

    def take(self, n: int) -> bytes:
        if self.i + n > len(self.b):
            raise HandshakeError("handshake message cut short")
        v = self.b[self.i:self.i + n]
        self.i += n
        return v

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack("!H", self.take(2))[0]

    def vec(self, size: int) -> bytes:
        n = int.from_bytes(self.take(size), "big")
        return self.take(n)


def parse_hello(kind: int, body: bytes) -> Hello:
    """A ClientHello or ServerHello body (after the 4-byte handshake header); HandshakeError if malformed."""
    r = _Reader(body)
    legacy = r.u16()
    random = r.take(32)
    r.vec(1)                                     # legacy_session_id
    h = Hello(kind, random, legacy, hrr=kind == SERVER_HELLO and random == HRR_RANDOM)
    if kind == CLIENT_HELLO:
        suites = r.vec(2)
        h.ciphers = [int.from_bytes(suites[i:i + 2], "big") for i in range(0, len(suites) - 1, 2)]
        r.vec(1)                                 # compression methods
    else:
        h.ciphers = [r.u16()]
        r.u8()
    if r.i >= len(body):
        return h
    exts = _Reader(r.vec(2))
    while exts.i < len(exts.b):
        etype = exts.u16()
        data = _Reader(exts.vec(2))
        if etype == EXT_SNI and kind == CLIENT_HELLO and data.b:
            names = _Reader(data.vec(2))
            while names.i < len(names.b):
                ntype = names.u8()
                name = names.vec(2)
                if ntype == 0:
                    h.sni = name.decode("ascii", "replace")
        elif etype == EXT_ALPN and data.b:
            protos = _Reader(data.vec(2))
            while protos.i < len(protos.b):
                h.alpn.append(protos.vec(1).decode("ascii", "replace"))
        elif etype == EXT_ETM:
            h.etm = True
        elif etype == EXT_SUPPORTED_VERSIONS:
            if kind == CLIENT_HELLO:
                vs = data.vec(1)
                h.versions = [int.from_bytes(vs[i:i + 2], "big") for i in range(0, len(vs) - 1, 2)]
                real = [v for v in h.versions if v in VERSIONS]
                if real:
                    h.version = max(real)
            else:
                h.version = data.u16()
    return h


def parse_alpn_extensions(body: bytes) -> list:
    """The ALPN protocol of an EncryptedExtensions body (RFC 8446 4.3.1: TLS 1.3's server sends its choice
    there, encrypted), as a list; HandshakeError if malformed."""
    exts = _Reader(_Reader(body).vec(2))
    out: list = []
    while exts.i < len(exts.b):
        etype = exts.u16()
        data = _Reader(exts.vec(2))
        if etype == EXT_ALPN and data.b:
            protos = _Reader(data.vec(2))
            while protos.i < len(protos.b):
                out.append(protos.vec(1).decode("ascii", "replace"))
    return out


def split_messages(buf: bytearray) -> list[tuple[int, bytes]]:
    """Whole handshake messages (type, body) taken from the head of `buf` (what is left stays)."""
    out = []
    while len(buf) >= 4:
        n = int.from_bytes(buf[1:4], "big")
        if len(buf) < 4 + n:
            break
        out.append((buf[0], bytes(buf[4:4 + n])))
        del buf[:4 + n]
    return out
