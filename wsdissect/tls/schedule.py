"""RFC 8446 section 7: HKDF-Expand-Label, traffic keys and per-record nonces, on `cryptography`'s primitives.

Nothing below HKDF-Expand and the AEADs is written here: they come from the `cryptography` package.
"""
from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.hmac import HMAC
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


# -- TLS 1.2 (RFC 5246 5, 6.3; AES-GCM RFC 5288; ChaCha20-Poly1305 RFC 7905) --------------------------------------
@dataclass(frozen=True)
class Suite12:
    code: int
    name: str
    aead: type
    key_len: int
    iv_len: int          # 4: GCM's implicit salt (an 8-byte explicit nonce leads each record); 12: ChaCha20's IV
    hash: type           # the PRF's hash


SUITES_12 = {s.code: s for s in (
    Suite12(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", AESGCM, 16, 4, hashes.SHA256),
    Suite12(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", AESGCM, 32, 4, hashes.SHA384),
    Suite12(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", AESGCM, 16, 4, hashes.SHA256),
    Suite12(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", AESGCM, 32, 4, hashes.SHA384),
    Suite12(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", AESGCM, 16, 4, hashes.SHA256),
    Suite12(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", AESGCM, 32, 4, hashes.SHA384),
    Suite12(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", AESGCM, 16, 4, hashes.SHA256),
    Suite12(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", AESGCM, 32, 4, hashes.SHA384),
    Suite12(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, 32, 12, hashes.SHA256),
    Suite12(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, 32, 12, hashes.SHA256),
)}


def prf12(hash_cls: type, secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """TLS 1.2's PRF: P_hash(secret, label + seed) on HMAC (RFC 5246 5)."""
    def mac(data: bytes) -> bytes:
        h = HMAC(secret, hash_cls())
        h.update(data)
        return h.finalize()

    seed = label + seed
    out, a = b"", seed
    while len(out) < length:
        a = mac(a)
        out += mac(a + seed)
    return out[:length]


def key_block12(suite: Suite12, master: bytes, client_random: bytes, server_random: bytes) -> tuple:
    """(client key, server key, client IV, server IV) from the master secret (RFC 5246 6.3; AEAD: no MAC keys)."""
    k, i = suite.key_len, suite.iv_len
    block = prf12(suite.hash, master, b"key expansion", server_random + client_random, 2 * k + 2 * i)
    return block[:k], block[k:2 * k], block[2 * k:2 * k + i], block[2 * k + i:2 * k + 2 * i]


class Epoch12:
    """One direction's TLS 1.2 AEAD keys after its ChangeCipherSpec, and its record sequence number."""
    __slots__ = ("suite", "aead", "iv", "seq")

    def __init__(self, suite: Suite12, key: bytes, iv: bytes) -> None:
        self.suite, self.aead, self.iv, self.seq = suite, suite.aead(key), iv, 0

    def open(self, header: bytes, fragment: bytes) -> bytes:
        """The record's plaintext; raises InvalidTag (or ValueError for a fragment too short). Advances seq."""
        seq = self.seq
        self.seq += 1
        if self.suite.iv_len == 4:
            n, ciphertext = self.iv + fragment[:8], fragment[8:]
        else:
            n, ciphertext = nonce(self.iv, seq), fragment
        if len(ciphertext) < 16 or len(n) != 12:
            raise ValueError("record shorter than its nonce and tag")
        aad = seq.to_bytes(8, "big") + header[:3] + (len(ciphertext) - 16).to_bytes(2, "big")
        return self.aead.decrypt(n, ciphertext, aad)


# -- TLS 1.2 AES-CBC with HMAC (RFC 5246 6.2.3.2; encrypt-then-MAC, RFC 7366) ---------------------------------------
@dataclass(frozen=True)
class SuiteCBC:
    code: int
    name: str
    key_len: int
    mac: type            # the record MAC's hash (HMAC-SHA1, -SHA256, -SHA384)
    hash: type           # the PRF's hash


def _cbc(code: int, name: str, key_len: int, mac: type) -> SuiteCBC:
    return SuiteCBC(code, name, key_len, mac, hashes.SHA384 if mac is hashes.SHA384 else hashes.SHA256)


SUITES_CBC = {s.code: s for s in (
    _cbc(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", 16, hashes.SHA1),
    _cbc(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", 32, hashes.SHA1),
    _cbc(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", 16, hashes.SHA256),
    _cbc(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", 32, hashes.SHA256),
    _cbc(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 16, hashes.SHA1),
    _cbc(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 32, hashes.SHA1),
    _cbc(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 16, hashes.SHA256),
    _cbc(0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 32, hashes.SHA256),
    _cbc(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 16, hashes.SHA1),
    _cbc(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 32, hashes.SHA1),
    _cbc(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 16, hashes.SHA1),
    _cbc(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 32, hashes.SHA1),
    _cbc(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 16, hashes.SHA256),
    _cbc(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 32, hashes.SHA384),
    _cbc(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 16, hashes.SHA256),
    _cbc(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 32, hashes.SHA384),
)}


def key_block_cbc(suite: SuiteCBC, master: bytes, client_random: bytes, server_random: bytes) -> tuple:
    """(client MAC key, server MAC key, client key, server key) from the master secret (RFC 5246 6.3; TLS 1.2's
    CBC records carry their IV, so the key block's IVs are not needed)."""
    m, k = suite.mac.digest_size, suite.key_len
    block = prf12(suite.hash, master, b"key expansion", server_random + client_random, 2 * m + 2 * k)
    return block[:m], block[m:2 * m], block[2 * m:2 * m + k], block[2 * m + k:2 * m + 2 * k]


class BadRecord(ValueError):
    """A CBC record whose padding or MAC does not check out; `why` is "padding", "mac" or "length"."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class EpochCBC:
    """One direction's TLS 1.2 AES-CBC + HMAC keys after its ChangeCipherSpec, and its sequence number.

    MAC-then-encrypt (RFC 5246 6.2.3.2): the fragment is IV + AES-CBC(content + MAC + padding), the MAC over
    seq + type + version + length + content. Encrypt-then-MAC (RFC 7366, when the ServerHello agreed to it): the
    fragment is IV + AES-CBC(content + padding) + MAC, the MAC over seq + header + IV + ciphertext."""
    __slots__ = ("suite", "mac_key", "key", "etm", "seq")

    def __init__(self, suite: SuiteCBC, mac_key: bytes, key: bytes, etm: bool = False) -> None:
        self.suite, self.mac_key, self.key, self.etm, self.seq = suite, mac_key, key, etm, 0

    def _mac(self, data: bytes) -> bytes:
        h = HMAC(self.mac_key, self.suite.mac())
        h.update(data)
        return h.finalize()

    def open(self, header: bytes, fragment: bytes) -> bytes:
        """The record's plaintext; raises BadRecord. Advances seq either way."""
        seq = self.seq
        self.seq += 1
        mlen = self.suite.mac.digest_size
        seqb = seq.to_bytes(8, "big")
        if self.etm:
            body, tag = fragment[:-mlen], fragment[-mlen:]
            if len(fragment) < mlen + 32 or len(body) % 16:
                raise BadRecord("length")
            if not hmac.compare_digest(self._mac(seqb + header[:3] + len(body).to_bytes(2, "big") + body), tag):
                raise BadRecord("mac")
        else:
            body = fragment
            if len(body) < 32 or len(body) % 16:
                raise BadRecord("length")
        dec = Cipher(algorithms.AES(self.key), modes.CBC(body[:16])).decryptor()
        plain = dec.update(body[16:]) + dec.finalize()
        pad = plain[-1]
        if pad + 1 > len(plain) or any(b != pad for b in plain[-pad - 1:]):
            raise BadRecord("padding")
        plain = plain[:-pad - 1]
        if self.etm:
            return plain
        if len(plain) < mlen:
            raise BadRecord("length")
        content, tag = plain[:-mlen], plain[-mlen:]
        if not hmac.compare_digest(self._mac(seqb + header[:3] + len(content).to_bytes(2, "big") + content), tag):
            raise BadRecord("mac")
        return content
