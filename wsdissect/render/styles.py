"""Colours shared by the terminal renderers: one calm palette keyed by a row's role and a note's severity.

Colour only reinforces what the text already says (role labels, [warning] tags, arrows), so a renderer may drop
every style here without losing meaning: that is what happens when output is piped or NO_COLOR is set.
"""
from __future__ import annotations

# TCP life (handshake, teardown, housekeeping) stays in the cool cyan/blue family so the WebSocket traffic stands
# out; a bare ACK is dim because it is the most frequent and least interesting row.
ROLE_STYLES = {
    "tcp-syn": "cyan",
    "tcp-syn-ack": "cyan",
    "tcp-handshake-ack": "cyan",
    "ws-upgrade-request": "magenta",
    "ws-upgrade-response": "magenta",
    "http": "magenta",
    "ack": "dim",
    "ws-data": "green",
    "ws-control": "yellow",
    "ws-close": "dark_orange",
    "tcp-fin": "blue",
    "tcp-fin-ack": "blue",
    "tcp-rst": "bold red",
    "tcp-retransmission": "red",
    "tcp-keepalive": "dim cyan",
    "tcp-window-update": "dim cyan",
    "tcp-data": "",
    "tls-handshake": "dim magenta",
    "tls-data": "dim green",
    "tls-alert": "dark_orange",
    "past-cap": "dim yellow",
    "malformed": "bold red",
    "other": "dim",
}

SEVERITY_STYLES = {
    "error": "bold red",
    "warning": "yellow",
    "note": "",
    "chat": "dim",
}

# The legend a coloured timeline can print: (what it means, style). Plain output never needs it.
LEGEND = (
    ("TCP handshake/teardown", "cyan"),
    ("WebSocket handshake", "magenta"),
    ("data", "green"),
    ("ping/pong", "yellow"),
    ("close", "dark_orange"),
    ("reset", "bold red"),
    ("bare ACK", "dim"),
)


def role_style(role: str) -> str:
    return ROLE_STYLES.get(role, "")


def severity_style(severity: str) -> str:
    return SEVERITY_STYLES.get(severity, "")
