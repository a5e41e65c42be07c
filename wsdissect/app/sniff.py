"""Content sniffing: which decoder a connection's messages look like when nothing chose one.

The rule: a connection that negotiated no subprotocol with a decoder, has no Socket.IO path and no
`--subprotocol` is not decoded; the first text message of each direction (at most APP_SNIFF_MESSAGES data
messages in all) is looked at, and when one looks like JSON-RPC 2.0, a STOMP frame or Engine.IO's open packet
(or the upgrade's probe), the analyzer writes one `app-guess` note naming the `--subprotocol` that would read it.
It is a guess from a few bytes: nothing is decoded unless the user forces it. The sniffer then steps aside
(`done`).
"""
from __future__ import annotations

import json
import re
from typing import Optional

from .stomp import CLIENT_COMMANDS, SERVER_COMMANDS

# Data messages of a connection looked at before sniffing stops (text or not), whatever their direction.
APP_SNIFF_MESSAGES = 4
# Characters of a message read by the sniffer (a big message is judged by its start).
_SNIFF_CHARS = 4096
_EIO_OPEN = re.compile(r'0\{\s*"sid"\s*:\s*"')
_STOMP_VERSION = re.compile(r"\nversion:(1\.[012])\r?\n")
PROTOCOLS = {"jsonrpc": "JSON-RPC 2.0", "v10.stomp": "STOMP", "v11.stomp": "STOMP", "v12.stomp": "STOMP",
             "socketio": "Socket.IO (Engine.IO 4)"}


class Sniffer:
    """Stands in ConnState.app for a connection without a decoder until `done`."""
    __slots__ = ("seen", "directions", "done")
    name = None

    def __init__(self) -> None:
        self.seen = 0
        self.directions: set = set()
        self.done = False

    def look(self, message) -> Optional[str]:
        """The decoder name the message suggests, or None; `done` once no more messages need a look."""
        self.seen += 1
        d = message.direction
        guess = None
        if d not in self.directions and message.opcode == 1 and message.text is not None:
            self.directions.add(d)
            guess = sniff(message.text[:_SNIFF_CHARS])
        if guess is not None or len(self.directions) == 2 or self.seen >= APP_SNIFF_MESSAGES:
            self.done = True
        return guess


def sniff(text: str) -> Optional[str]:
    """'jsonrpc', 'v12.stomp' (or the version a CONNECT/CONNECTED header names), 'socketio' or None."""
    head = text.lstrip()
    if not head:
        return None
    c = head[0]
    if c in "{[":
        return "jsonrpc" if '"jsonrpc"' in head and _is_jsonrpc(text) else None
    if c == "0":
        return "socketio" if _EIO_OPEN.match(text) else None
    if text in ("2probe", "3probe"):
        return "socketio"
    line, nl, rest = text.partition("\n")
    if nl and line.rstrip("\r") in CLIENT_COMMANDS | SERVER_COMMANDS and "\x00" in rest and \
            ("\n\n" in text or "\n\r\n" in text):
        m = _STOMP_VERSION.search("\n" + rest)
        return {"1.0": "v10.stomp", "1.1": "v11.stomp"}.get(m.group(1) if m else "", "v12.stomp")
    return None


def _is_jsonrpc(text: str) -> bool:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if isinstance(doc, list) and doc:
        doc = doc[0]
    return isinstance(doc, dict) and doc.get("jsonrpc") == "2.0" and \
        ("method" in doc or "result" in doc or "error" in doc)
