"""NSS key log files (SSLKEYLOGFILE), as browsers, curl and Python's ssl `keylog_filename` write them.

A line is `LABEL <client random, 64 hex> <secret, hex>`; `#` starts a comment. TLS 1.3 uses
CLIENT_/SERVER_HANDSHAKE_TRAFFIC_SECRET and CLIENT_/SERVER_TRAFFIC_SECRET_0; TLS 1.2 CLIENT_RANDOM (the master
secret). A line that is none of these is skipped with a warning naming its line number. `RSA` lines (the premaster
secret of an RSA key exchange, named by the first 8 bytes of its encryption: OpenSSL writes one beside the
CLIENT_RANDOM line) are known and not needed: the CLIENT_RANDOM line's master secret decrypts the connection.
"""
from __future__ import annotations

import time
from typing import Callable, Optional

# A key log bigger than this is refused (a one-line error): a session's lines take ~600 bytes, so this is
# about 100,000 TLS sessions.
KEYLOG_MAX_BYTES = 64 * 1024 * 1024

LABELS = frozenset({"CLIENT_RANDOM", "CLIENT_EARLY_TRAFFIC_SECRET", "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                    "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
                    "EARLY_EXPORTER_SECRET", "EXPORTER_SECRET"})

UNUSED_LABELS = frozenset({"RSA"})
# live and demo --tls: the client writes its keys while the capture runs, a moment after the packets that need
# them. A connection whose secrets are not in such a key log yet has it re-read up to KEYLOG_REREADS times,
# KEYLOG_REREAD_PAUSE seconds apart (so at most half a second per connection), before no key matched.
KEYLOG_REREADS = 10
KEYLOG_REREAD_PAUSE = 0.05


class KeyLogError(Exception):
    """A key log that cannot be used at all (unreadable, too big): a one-line error."""


class KeyLog:
    """client random (32 bytes) -> {label: secret bytes}."""

    def __init__(self) -> None:
        self.secrets: dict[bytes, dict[str, bytes]] = {}
        self.warnings: list[tuple[int, str]] = []      # (line number, why): lines skipped
        self.lines = 0                                 # lines parsed so far (a re-read numbers on from here)
        # A key log still being written (GrowingKeyLog): called to read what was added since, when a connection's
        # secrets are missing; None for a file read once.
        self.reread: Optional[Callable[[], None]] = None

    def add(self, label: str, client_random: bytes, secret: bytes) -> None:
        self.secrets.setdefault(client_random, {})[label] = secret

    def lookup(self, client_random: bytes) -> Optional[dict]:
        return self.secrets.get(client_random)

    def find(self, client_random: bytes, labels: tuple) -> Optional[dict]:
        """The secrets of the connection `client_random` names, once they hold every label of `labels`: a key
        log still being written is re-read (at most KEYLOG_REREADS times) while they do not. None or a partial
        dict: not (yet) there."""
        s = self.secrets.get(client_random)
        tries = 0
        while self.reread is not None and tries < KEYLOG_REREADS and (s is None or any(k not in s for k in labels)):
            self.reread()
            tries += 1
            s = self.secrets.get(client_random)
        return s

    def __len__(self) -> int:
        return len(self.secrets)


def parse_keylog(text: str, into: Optional[KeyLog] = None) -> KeyLog:
    log = into if into is not None else KeyLog()
    first = log.lines
    lines = text.splitlines()
    log.lines += len(lines)
    for no, line in enumerate(lines, first + 1):
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


class GrowingKeyLog:
    """A key log file a client is still writing (`live --keylog`, `demo --tls`): `read()` adds the whole lines
    written since the last read (a missing file is no lines yet); set as `KeyLog.reread`, each call waits
    KEYLOG_REREAD_PAUSE first, to give the writer its moment. The only I/O is here, called by the key log."""

    def __init__(self, path: str, log: Optional[KeyLog] = None, pause: float = KEYLOG_REREAD_PAUSE) -> None:
        self.path, self.pause = path, pause
        self.log = log if log is not None else KeyLog()
        self.offset = 0
        self.log.reread = self

    def read(self) -> None:
        if self.offset > KEYLOG_MAX_BYTES:                # as load_keylog: a key log this big is not read on
            return
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read(KEYLOG_MAX_BYTES - self.offset + 1)
        except OSError:
            return
        end = data.rfind(b"\n") + 1                       # whole lines only: the writer may be mid-line
        if end:
            self.offset += end
            parse_keylog(data[:end].decode("utf-8", "replace"), self.log)

    def __call__(self) -> None:
        time.sleep(self.pause)
        self.read()
