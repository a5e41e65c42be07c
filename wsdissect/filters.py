"""Which timeline rows to show: `--conn`, `--role`, `--grep`, `--hide-acks`.

Filters only choose what is displayed; the analysis and the summary always cover the whole capture, as
Wireshark's display filters do.
"""
from __future__ import annotations

import json
import re
from typing import Iterable, Optional

from .model import ROLE_PAST_CAP, Row

ROLES = ("tcp-syn", "tcp-syn-ack", "tcp-handshake-ack", "ws-upgrade-request", "ws-upgrade-response", "ack",
         "ws-data", "ws-control", "ws-close", "tcp-fin", "tcp-fin-ack", "tcp-rst", "tcp-retransmission",
         "tcp-keepalive", "tcp-window-update", "http", "tcp-data", "tls-handshake", "tls-data", "tls-alert",
         ROLE_PAST_CAP, "malformed")


class RowFilter:
    def __init__(self, conns: Iterable[int] = (), roles: Iterable[str] = (), grep: Optional[str] = None,
                 hide_acks: bool = False) -> None:
        self.conns = frozenset(conns)
        self.roles = frozenset(roles)
        self.grep = re.compile(grep) if grep else None
        self.hide_acks = hide_acks

    @property
    def active(self) -> bool:
        return bool(self.conns or self.roles or self.grep or self.hide_acks)

    def __call__(self, row: Row) -> bool:
        if self.conns and row.conn not in self.conns:
            return False
        if self.roles and row.role not in self.roles:
            return False
        if self.hide_acks and row.role == "ack" and not row.notes and not row.frames:
            return False
        if self.grep is not None:
            return any(self._matches(m.text if m.text is not None else m.data) for m in row.messages) or \
                any(self._matches(f.payload) for f in row.frames if f.opcode in (1, 0) and not f.rsv & 4) or \
                any(self._matches(_decoded(r)) for m in row.messages if m.app for r in m.app)
        return True

    def _matches(self, body) -> bool:
        if isinstance(body, (bytes, bytearray)):
            body = bytes(body).decode("utf-8", "replace")
        return self.grep.search(body) is not None


def _decoded(rec) -> str:
    """What a subprotocol decoder read, as text --grep can match: its kind and fields ('publish {"type":
    "PUBLISH", "topic": "sensors/1", ...}'), for binary protocols (MQTT) whose bytes say little."""
    return rec.kind + " " + json.dumps(rec.fields, ensure_ascii=False)


def parse_roles(value: str) -> list[str]:
    """'ws-data,ws-close' → ['ws-data', 'ws-close']; raises ValueError naming an unknown role."""
    roles = [r.strip() for r in value.split(",") if r.strip()]
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role {unknown[0]!r}; roles are: {', '.join(ROLES)}")
    return roles
