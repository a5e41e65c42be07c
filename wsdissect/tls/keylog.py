"""NSS key log files (SSLKEYLOGFILE), as browsers, curl and Python's ssl `keylog_filename` write them.

A line is `LABEL <client random, 64 hex> <secret, hex>`; `#` starts a comment. TLS 1.3 uses
CLIENT_/SERVER_HANDSHAKE_TRAFFIC_SECRET and CLIENT_/SERVER_TRAFFIC_SECRET_0; TLS 1.2 CLIENT_RANDOM (the master
secret). A line that is none of these is skipped with a warning naming its line number. `RSA` lines (the premaster
secret of an RSA key exchange, named by the first 8 bytes of its encryption: OpenSSL writes one beside the
CLIENT_RANDOM line) are known and not needed: the CLIENT_RANDOM line's master secret decrypts the connection.
"""
from __future__ import annotations

from typing import Optional

# A key log bigger than this is refused (a one-line error): a session's lines take ~600 bytes, so this is
# about 100,000 TLS sessions.
KEYLOG_MAX_BYTES = 64 * 1024 * 1024

LABELS = frozenset({"CLIENT_RANDOM", "CLIENT_EARLY_TRAFFIC_SECRET", "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                    "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
                    "EARLY_EXPORTER_SECRET", "EXPORTER_SECRET"})

UNUSED_LABELS = frozenset({"RSA"})


class KeyLogError(Exception):
    """A key log that cannot be used at all (unreadable, too big): a one-line error."""


class KeyLog:
    """client random (32 bytes) -> {label: secret bytes}."""

    def __init__(self) -> None:
        self.secrets: dict[bytes, dict[str, bytes]] = {}
        self.warnings: list[tuple[int, str]] = []      # (line number, why): lines skipped

    def add(self, label: str, client_random: bytes, secret: bytes) -> None:
        self.secrets.setdefault(client_random, {})[label] = secret

    def lookup(self, client_random: bytes) -> Optional[dict]:
        return self.secrets.get(client_random)

    def __len__(self) -> int:
        return len(self.secrets)


def parse_keylog(text: str, into: Optional[KeyLog] = None) -> KeyLog:
    log = into if into is not None else KeyLog()
    for no, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3:
            log.warnings.append((no, "not three fields (LABEL CLIENT_RANDOM SECRET)"))
            continue
        label, rnd, secret = parts
        if label in UNUSED_LABELS:
            continue
        if label not in LABELS:
            log.warnings.append((no, f"unknown label {label[:40]!r}"))
            continue
        try:
            r, s = bytes.fromhex(rnd), bytes.fromhex(secret)
        except ValueError:
            log.warnings.append((no, "not hexadecimal"))
            continue
        if len(r) != 32 or not s:
            log.warnings.append((no, "the client random is not 32 bytes"))
            continue
        log.add(label, r, s)
    return log


def load_keylog(path: str, into: Optional[KeyLog] = None) -> KeyLog:
    try:
        with open(path, "rb") as f:
            data = f.read(KEYLOG_MAX_BYTES + 1)
    except OSError as e:
        raise KeyLogError(f"cannot read the key log {path}: {e.strerror or e}") from None
    if len(data) > KEYLOG_MAX_BYTES:
        raise KeyLogError(f"the key log {path} is bigger than {KEYLOG_MAX_BYTES // (1024 * 1024)} MB")
    return parse_keylog(data.decode("utf-8", "replace"), into)
