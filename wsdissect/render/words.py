"""Phrases more than one view prints the same way."""
from __future__ import annotations

from typing import Callable, Optional

from ..i18n import DEFAULT_LANG, catalog, note_text
from ..model import Connection
from ..websocket.codes import close_code_meaning, close_code_name


def conn_title(c: Connection, clean: Callable[[str], str], arrow: str, t: Optional[dict] = None) -> str:
    """'conn 0  client → server  GET /path', or what the connection turned out to be instead. `t` is the i18n
    catalog of the view's language (English by default)."""
    if t is None:
        t = catalog(DEFAULT_LANG)
    title = f"{t['view.conn'].format(id=c.id)}  {clean(str(c.client))} {arrow} {clean(str(c.server))}"
    if c.is_websocket:
        return title + (f"  {clean(c.method or 'GET')} {clean(c.uri)}" if c.uri else "  " + t["view.no_handshake"])
    if c.status is not None:
        return title + "  " + t["view.not_upgraded"].format(status=c.status)
    return title + "  " + t["view.not_websocket"]


def limits_reached(caps: list, past_cap_packets: int, lang: str = DEFAULT_LANG) -> list:
    """The lines under "limits reached", in `lang`: each cap reached, once, in the words of its first note
    (which name the option that raises it: --max-message, --max-connections, --max-summary-connections...),
    then the packets counted, not analysed, past --max-connections. `caps` is CaptureSummary.caps, those notes
    (the JSON summary's "caps" are their words); the timeline, the flow view and stats all print these."""
    lines = [note_text(n.code, n.args, lang) for n in caps]
    if past_cap_packets:
        lines.append(catalog(lang)["tl.past_cap"].format(n=past_cap_packets))
    return lines


def plural(t: dict, key: str, n: int) -> str:
    """'1 message' / '3 messages' from the ids `key`.one and `key`.many ('{n} 条消息' for both in Chinese)."""
    return t[key + (".one" if n == 1 else ".many")].format(n=n)


def side_word(t: dict, side: Optional[str]) -> str:
    """'client' / 'server' in the catalog's language; anything else (None, '?') as it is."""
    return t.get(f"side.{side}", str(side)) if side in ("client", "server") else str(side)


# close_code_name()'s range names -> catalog ids (codes it knows by number are looked up as closecode.N).
_CLOSE_RANGE_NAMES = {"Registered": "closecode.registered", "Private Use": "closecode.private",
                      "Invalid": "closecode.invalid", "Unassigned": "closecode.unassigned"}


def close_name(code: int, t: dict) -> str:
    """close_code_name() in the catalog's language ('Normal Closure', '正常关闭')."""
    name = close_code_name(code)
    key = f"closecode.{code}"
    if key in t:
        return t[key]
    return t[_CLOSE_RANGE_NAMES[name]] if name in _CLOSE_RANGE_NAMES else name


def close_meaning(code: int, t: dict) -> str:
    """close_code_meaning() in the catalog's language."""
    key = f"closemeaning.{code}"
    if key not in t:
        if 3000 <= code <= 3999:
            key = "closemeaning.registered"
        elif 4000 <= code <= 4999:
            key = "closemeaning.private"
        elif 0 <= code <= 999:
            key = "closemeaning.invalid"
        elif 1016 <= code <= 2999:
            key = "closemeaning.reserved"
        else:
            key = "closemeaning.outside"
    return t.get(key) or close_code_meaning(code)
