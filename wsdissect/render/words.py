"""Phrases more than one view prints the same way."""
from __future__ import annotations

from typing import Callable

from ..model import Connection


def conn_title(c: Connection, clean: Callable[[str], str], arrow: str) -> str:
    """'conn 0  client → server  GET /path', or what the connection turned out to be instead."""
    title = f"conn {c.id}  {clean(str(c.client))} {arrow} {clean(str(c.server))}"
    if c.is_websocket:
        return title + (f"  {clean(c.method or 'GET')} {clean(c.uri)}" if c.uri else "  WebSocket (no handshake seen)")
    if c.status is not None:
        return title + f"  not upgraded (HTTP {c.status})"
    return title + "  not WebSocket"
