"""RFC 8446 section 7: HKDF-Expand-Label, traffic keys and per-record nonces, on `cryptography`'s primitives.

Nothing below HKDF-Expand and the AEADs is written here: they come from the `cryptography` package.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand


@dataclass(frozen=True)
class Suite:
    code: int
    name: str
    aead: type
    key_len: int
    hash: type           # a cryptography.hazmat.primitives.hashes class


# TLS 1.3 cipher suites (RFC 8446 B.4) wsdissect decrypts.
SUITES = {s.code: s for s in (
    Suite(0x1301, "TLS_AES_128_GCM_SHA256", AESGCM, 16, hashes.SHA256),
    Suite(0x1302, "TLS_AES_256_GCM_SHA384", AESGCM, 32, hashes.SHA384),
    Suite(0x1303, "TLS_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, 32, hashes.SHA256),
    Suite(0x1304, "TLS_AES_128_CCM_SHA256", AESCCM, 16, hashes.SHA256),
)}


def hkdf_expand_label(hash_cls: type, secret: bytes, label: str, context: bytes, length: int) -> bytes:
    """HKDF-Expand(Secret, HkdfLabel, Length) with HkdfLabel = length, "tls13 " + Label, Context (RFC 8446 7.1)."""
    full = b"tls13 " + label.encode("ascii")
    info = struct.pack("!HB", length, len(full)) + full + struct.pack("!B", len(context)) + context
    return HKDFExpand(hash_cls(), length, info).derive(secret)


def traffic_keys(suite: Suite, secret: bytes) -> tuple[bytes, bytes]:
    """(write_key, write_iv) of a traffic secret (RFC 8446 7.3)."""
    return (hkdf_expand_label(suite.hash, secret, "key", b"", suite.key_len),
            hkdf_expand_label(suite.hash, secret, "iv", b"", 12))


def next_secret(suite: Suite, secret: bytes) -> bytes:
    """application_traffic_secret_N+1 after a KeyUpdate (RFC 8446 7.2)."""
    return hkdf_expand_label(suite.hash, secret, "traffic upd", b"", suite.hash.digest_size)


def nonce(iv: bytes, seq: int) -> bytes:
    """The per-record nonce: the 64-bit sequence number, left-padded to the IV's length, XOR the IV (5.3)."""
    return (int.from_bytes(iv, "big") ^ seq).to_bytes(len(iv), "big")


class Epoch:
    """One direction's keys for one traffic secret, and its record sequence number."""
    __slots__ = ("suite", "secret", "aead", "iv", "seq")

    def __init__(self, suite: Suite, secret: bytes) -> None:
        self.suite, self.secret = suite, secret
        key, self.iv = traffic_keys(suite, secret)
        self.aead = suite.aead(key)
        self.seq = 0

    def open(self, header: bytes, ciphertext: bytes) -> bytes:
        """The record's TLSInnerPlaintext; raises cryptography.exceptions.InvalidTag. Advances seq either way."""
        seq = self.seq
        self.seq += 1
        return self.aead.decrypt(nonce(self.iv, seq), ciphertext, header)
