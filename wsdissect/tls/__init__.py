"""TLS under WebSocket (wss://), sans-IO: key logs, the record layer, the handshake's clear part, decryption.

`keylog.KeyLog` holds the secrets an NSS key log (SSLKEYLOGFILE) names; `session.TlsSession` is fed one
connection's reassembled stream bytes per direction and returns `TlsRecord`s (with the decrypted application data
when a key matched) and notes; `schedule` is RFC 8446's key schedule over the `cryptography` package's primitives.
"""
from .keylog import GrowingKeyLog, KeyLog, KeyLogError, load_keylog, parse_keylog
from .session import TlsRecord, TlsSession, looks_like_client_hello

__all__ = ["GrowingKeyLog", "KeyLog", "KeyLogError", "load_keylog", "parse_keylog", "TlsRecord", "TlsSession",
           "looks_like_client_hello"]
