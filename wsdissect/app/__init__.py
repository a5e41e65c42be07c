"""Subprotocols inside the messages: one small decoder per protocol (sans-IO).

A decoder is made for one connection (`make(name)`, by the negotiated `Sec-WebSocket-Protocol` or a forced
`--subprotocol NAME`) and fed that connection's data messages in capture order: `feed(message, ts)` returns the
`AppRecord`s the message holds (a JSON-RPC batch holds several). Each record says its protocol, its kind, a
small dict of fields (data: English keys and the peers' own values), the packet that completed the message,
which earlier packet it answers and how long after, and `AppNote`s (a code and the parameters of its sentence
in the i18n catalogue, `note.<code>`) for what is malformed. Words are composed at the edge (`describe`).

A decoder never raises on what the peers sent: malformed input is a record of kind "invalid" with a note.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..model import C2S, S2C

OTHER = {C2S: S2C, S2C: C2S}

# Requests a decoder remembers per connection while waiting for their answers (APP_PENDING_MAX). Past it the
# oldest is forgotten, so a peer that never answers cannot make memory grow: it still counts as unanswered.
APP_PENDING_MAX = 4096
# Characters of a peer's string kept in a record's fields (a method name, a STOMP header value).
APP_FIELD_MAX = 200
# STOMP headers kept in a record's fields (the frame may have more; `headers_total` counts them all).
APP_HEADERS_MAX = 32


@dataclass(slots=True)
class AppNote:
    severity: str            # as model.Note: chat / note / warning / error
    code: str                # stable kebab-case id; its sentence is note.<code> (+ .<variant>) in the catalogue
    args: dict


@dataclass(slots=True)
class AppRecord:
    protocol: str            # "jsonrpc", "stomp", ...: the decoder's family, not the negotiated name
    kind: str                # request, notification, result, error, frame, heartbeat, invalid, ...
    fields: dict             # what the kind says (method, id, command, headers...): JSON-able data
    no: int                  # the packet that completed the message
    direction: str           # model.C2S / S2C
    reply_to: Optional[int] = None      # the packet of the request this answers
    latency: Optional[float] = None     # seconds from that request to this answer
    awaits_reply: bool = False          # a request that expects an answer
    notes: list = field(default_factory=list)   # AppNote
    # The sentence of a kind said another way (describe: app.<protocol>.<kind>.<variant>), such as a Socket.IO
    # event that asks for an ack; words only, not in the JSON.
    variant: Optional[str] = None
    # Where each field lies in the message's bytes (unmasked, inflated): name -> (start, end), end exclusive, a
    # field of `fields` or a part with no field of its own (JSON-RPC `params`, MQTT `payload`, a STOMP header
    # line as `headers.<name>`). Only a decoder made with spans=True fills it (`show` and the lab page mark
    # these bytes); None otherwise, and never in the JSON.
    spans: Optional[dict] = None

    def as_dict(self) -> dict:
        """The JSON Lines form (README, "JSON Lines": a message's `app.records`)."""
        d = {"kind": self.kind, "fields": self.fields}
        if self.awaits_reply:
            d["awaits_reply"] = True
        if self.reply_to is not None:
            d["reply_to"] = self.reply_to
            d["latency"] = round(self.latency, 6)
        if self.notes:
            d["notes"] = [n.code for n in self.notes]
        return d


class Pending:
    """Requests waiting for their answer, by key, in order, at most APP_PENDING_MAX."""
    __slots__ = ("waiting", "forgotten")

    def __init__(self) -> None:
        self.waiting: dict = {}      # key -> (packet no, ts)
        self.forgotten = 0

    def add(self, key, no: int, ts: float) -> bool:
        """False when a request with this key is already waiting (it is replaced)."""
        fresh = key not in self.waiting
        self.waiting.pop(key, None)
        if len(self.waiting) >= APP_PENDING_MAX:
            del self.waiting[next(iter(self.waiting))]
            self.forgotten += 1
        self.waiting[key] = (no, ts)
        return fresh

    def answer(self, rec: AppRecord, key, ts: float) -> bool:
        hit = self.waiting.pop(key, None)
        if hit is None:
            return False
        rec.reply_to, rec.latency = hit[0], max(0.0, ts - hit[1])
        return True


class Decoder:
    """One connection's decoder. Subclasses set `protocol` and implement `decode`; `locate` (or `decode` itself,
    when `self.spans` is set) gives records their `spans`."""
    protocol = ""

    def __init__(self, name: str, spans: bool = False) -> None:
        self.name = name             # the subprotocol name it was chosen by
        self.pending = Pending()
        self.spans = spans           # fill AppRecord.spans (show, the lab page); off on read's path: no cost

    def feed(self, message, ts: float) -> list:
        """The records of one model.Message (text or binary), never an exception."""
        no, d = message.last_no, message.direction
        if message.truncated:
            return [self._invalid(no, d, "warning", "app-truncated", {"protocol": self.protocol})]
        text = message.text
        if text is None:
            try:
                text = bytes(message.data).decode("utf-8")
            except UnicodeDecodeError:
                return [self._invalid(no, d, "warning", "app-not-text", {"protocol": self.protocol})]
        try:
            recs = self.decode(text, no, d, ts)
        except Exception as e:  # noqa: BLE001 -- a decoder bug must not stop the analysis
            return [self._invalid(no, d, "warning", "app-internal", {"protocol": self.protocol,
                                                          "error": f"{type(e).__name__}: {e}"[:APP_FIELD_MAX]})]
        if self.spans:
            try:
                self.locate(text, recs)
            except Exception:  # noqa: BLE001 -- marks are an aid: a record without them is still whole
                pass
            text_spans(text, recs)
        return recs

    def decode(self, text: str, no: int, d: str, ts: float) -> list:
        raise NotImplementedError

    def locate(self, text: str, recs: list) -> None:
        """Set the `spans` of the records `decode` made of `text`, as character offsets into it (`feed` turns
        them into byte offsets). Called only when `self.spans`; by default nothing is located."""

    def finish(self) -> list:
        """AppNotes about what the connection's end (or the capture's) left incomplete (the analyzer's
        end-of-connection notes)."""
        return []

    @staticmethod
    def sentence_params(rec: AppRecord, t: dict) -> dict:
        """Parameters of the record's sentence beyond its scalar fields (put in words from the catalogue t)."""
        return {}

    @staticmethod
    def form(rec: AppRecord) -> Optional[str]:
        """The variant of the record's sentence: app.<protocol>.<kind>.<form>; None for app.<protocol>.<kind>.
        By default the record's own `variant`."""
        return rec.variant

    def _await(self, rec: AppRecord, key, ts: float) -> bool:
        """Remember request `rec` under `key` until its answer; False when one with that key was waiting. The
        first request past APP_PENDING_MAX gets an `app-pending-cap` note (a cap of the summary's list)."""
        rec.awaits_reply = True
        before = self.pending.forgotten
        fresh = self.pending.add(key, rec.no, ts)
        if before == 0 and self.pending.forgotten:
            rec.notes.append(AppNote("warning", "app-pending-cap", {"protocol": self.protocol,
                                                                    "max": APP_PENDING_MAX}))
        return fresh

    def unanswered(self) -> int:
        return len(self.pending.waiting) + self.pending.forgotten

    def _invalid(self, no: int, d: str, severity: str, code: str, args: dict,
                 fields: Optional[dict] = None) -> AppRecord:
        return AppRecord(self.protocol, "invalid", fields or {}, no, d, notes=[AppNote(severity, code, args)])


def text_spans(text: str, recs: list) -> None:
    """Records' spans given as character offsets into `text` made byte offsets into its UTF-8 form."""
    if len(text) == len(text.encode("utf-8")):
        return                       # ASCII: characters are bytes
    for rec in recs:
        if rec.spans:
            rec.spans = {k: (len(text[:a].encode("utf-8")), len(text[:b].encode("utf-8")))
                         for k, (a, b) in rec.spans.items()}


_WS = " \t\n\r"


def _skip(s: str, i: int) -> int:
    while i < len(s) and s[i] in _WS:
        i += 1
    return i


def json_members(s: str, i: int = 0) -> dict:
    """The members of the JSON object starting at (or after blanks from) `s[i]`: name -> (start, end) of its
    value in `s` (character offsets; a repeated name: the last, as json.loads keeps). {} when no object starts
    there; as far as it reads when the text stops being JSON."""
    return {name: (start, end) for name, start, end in _entries(s, i, "{")}


def json_items(s: str, i: int = 0) -> list:
    """The (start, end) of each element of the JSON array starting at (or after blanks from) `s[i]`."""
    return [(start, end) for _, start, end in _entries(s, i, "[")]


def _entries(s: str, i: int, opener: str):
    """(name, start, end) of each value in the JSON object (`opener` "{") or array ("[", name None) starting at
    (or after blanks from) `s[i]`, as far as the text reads as JSON."""
    from json.decoder import scanstring
    i = _skip(s, i)
    if s[i:i + 1] != opener:
        return
    dec = _decoder()
    i = _skip(s, i + 1)
    try:
        while i < len(s):
            name = None
            if opener == "{":
                if s[i] != '"':
                    break
                name, i = scanstring(s, i + 1)
                i = _skip(s, i)
                if s[i:i + 1] != ":":
                    break
                i = _skip(s, i + 1)
            elif s[i] == "]":
                break
            _, j = dec.raw_decode(s, i)
            yield name, i, j
            i = _skip(s, j)
            if s[i:i + 1] != ",":
                break
            i = _skip(s, i + 1)
    except (ValueError, RecursionError):
        pass


def _decoder():
    import json
    return json.JSONDecoder()


def clip(value) -> object:
    """A peer's scalar as a JSON-able field value, strings cut at APP_FIELD_MAX characters."""
    if isinstance(value, str):
        return value if len(value) <= APP_FIELD_MAX else value[:APP_FIELD_MAX] + "…"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return clip(repr(value))


def _registry() -> dict:
    from .graphql import GraphQLDecoder
    from .jsonrpc import JsonRpcDecoder
    from .mqtt import MqttDecoder
    from .socketio import SocketIODecoder
    from .stomp import StompDecoder
    return {"mqtt": MqttDecoder, "mqttv3.1": MqttDecoder, "jsonrpc": JsonRpcDecoder, "v10.stomp": StompDecoder, "v11.stomp": StompDecoder,
            "v12.stomp": StompDecoder, "graphql-transport-ws": GraphQLDecoder, "graphql-ws": GraphQLDecoder,
            "socketio": SocketIODecoder}


# The subprotocol names a decoder exists for (Sec-WebSocket-Protocol values, compared case-sensitively as
# RFC 6455 registers them; `socketio` is no such value: Socket.IO is recognised by its path, see choose).
NAMES = ("jsonrpc", "v10.stomp", "v11.stomp", "v12.stomp", "graphql-transport-ws", "graphql-ws", "mqtt",
         "mqttv3.1", "socketio")


def choose(forced: Optional[str], negotiated: Optional[str], uri: Optional[str]) -> Optional[str]:
    """The decoder's name for a connection: the one forced (--subprotocol), else the negotiated subprotocol when
    a decoder exists for it, else `socketio` when the Upgrade request's target follows Engine.IO 4's path
    convention (`/socket.io/?EIO=4&transport=websocket`), else None."""
    if forced:
        return forced
    if negotiated in NAMES:
        return negotiated
    global _by_path
    if _by_path is None:             # socketio imports this module: imported at the first connection, once
        from .socketio import by_path
        _by_path = by_path
    return "socketio" if _by_path(uri) else None


_by_path = None                      # socketio.by_path


def make(name: Optional[str], spans: bool = False) -> Optional[Decoder]:
    """A fresh decoder for subprotocol `name`, or None when there is none. spans=True: its records say where
    their fields lie in the message (`AppRecord.spans`), for the views that mark bytes."""
    if not name:
        return None
    cls = _registry().get(name)
    return cls(name, spans) if cls is not None else None


def words(rec: AppRecord):
    """The strings `--grep` matches in a record (filters.RowFilter): `protocol=…` and `kind=…` and the kind alone;
    each field as `name=value` and as the value alone (True, None as JSON spells them); a dict field's items
    (STOMP headers) the same way by their own names; a list's items (Engine.IO upgrades) under the list's name."""
    yield rec.kind
    yield f"kind={rec.kind}"
    yield f"protocol={rec.protocol}"
    for name, value in rec.fields.items():
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = ((name, v) for v in value)
        else:
            items = ((name, value),)
        for k, v in items:
            v = _grep_word(v)
            yield v
            yield f"{k}={v}"


def _grep_word(v) -> str:
    if isinstance(v, bool) or v is None:
        return "true" if v is True else "false" if v is False else "null"
    return str(v)


# Info's name of each protocol (tshark's column: technical, English, short).
INFO_NAMES = {"jsonrpc": "JSON-RPC", "stomp": "STOMP", "graphql": "GraphQL", "socketio": "Socket.IO",
              "mqtt": "MQTT"}
INFO_RECORDS_MAX = 3       # records named in one packet's Info; more are counted ("+2 more")


def info(recs: list) -> str:
    """What a message's records are, for the Info column beside the frames' ("MQTT: PUBLISH lab/q1 id=3",
    "JSON-RPC: request subtract id=1", "STOMP: SEND /queue/lab"), in the same technical English in every
    language, as the rest of Info: the protocol, the record's type (its `type` or
    `command` field, else its kind), what it names (method, event, topic, destination, operation or namespace) and
    its id."""
    parts = []
    for rec in recs[:INFO_RECORDS_MAX]:
        f = rec.fields
        words = [INFO_NAMES.get(rec.protocol, rec.protocol) + ":", str(f.get("type") or f.get("command") or rec.kind)]
        headers = f.get("headers")
        what = (f.get("method") or f.get("event") or f.get("topic") or f.get("operation")
                or (headers.get("destination") if isinstance(headers, dict) else None) or f.get("namespace"))
        if what is not None and not isinstance(what, (dict, list)):
            words.append(str(what))
        if f.get("id") is not None and not isinstance(f["id"], (dict, list)):
            words.append(f"id={f['id']}")
        parts.append(" ".join(words))
    if len(recs) > INFO_RECORDS_MAX:
        parts.append(f"+{len(recs) - INFO_RECORDS_MAX} more")
    return ", ".join(parts)


def describe(rec: AppRecord, t: dict) -> str:
    """A record in words, from the catalogue `t` (i18n.catalog(lang)): 'JSON-RPC request subtract, id 7'."""
    from ..i18n import fill
    f = rec.fields
    key = f"app.{rec.protocol}.{rec.kind}"
    params = {k: _word(v) for k, v in f.items() if not isinstance(v, (dict, list))}
    cls = _by_protocol().get(rec.protocol, Decoder)
    params.update(cls.sentence_params(rec, t))
    form = cls.form(rec)
    template = (form and t.get(f"{key}.{form}")) or t.get(key) or t["app.unknown"]
    s = fill(template, protocol=rec.protocol, kind=rec.kind, **params)
    if rec.reply_to is not None:
        s += t["app.reply"].format(no=rec.reply_to, ms=f"{rec.latency * 1000:.1f}")
    return s


def _by_protocol() -> dict:
    """Decoder classes by their protocol family ("mqtt", ...)."""
    global _BY_PROTOCOL
    if _BY_PROTOCOL is None:
        _BY_PROTOCOL = {cls.protocol: cls for cls in _registry().values()}
    return _BY_PROTOCOL


_BY_PROTOCOL = None


def _word(v) -> str:
    return "null" if v is None else str(v)


def describe_message(recs: list, t: dict) -> str:
    """All the records of one message in words: one, or a batch of several (app.<protocol>.many names them when
    the protocol has a word for them: MQTT's packets)."""
    from ..i18n import fill
    if len(recs) == 1:
        s = describe(recs[0], t)
    else:
        many = t.get(f"app.{recs[0].protocol}.many") or t["app.many"]
        s = fill(many, n=len(recs), items=t["sep.items"].join(describe(r, t) for r in recs))
    return s
