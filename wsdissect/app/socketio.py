"""Socket.IO v5 over Engine.IO v4 (`socketio`): chosen by the path convention (`EIO=4&transport=websocket` in the
Upgrade request's query, `/socket.io/` by default) or forced with `--subprotocol socketio`.

Each text message is one Engine.IO packet: a type digit and its data. 0 open (the server's JSON: sid,
pingInterval, pingTimeout, upgrades, maxPayload), 1 close, 2 ping, 3 pong ("probe" as data: the check of a
transport being upgraded to), 4 message, 5 upgrade, 6 noop. A message packet carries one Socket.IO packet:
`<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]` with type 0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK,
4 CONNECT_ERROR, 5 BINARY_EVENT, 6 BINARY_ACK. A binary packet's JSON holds placeholders for its attachments,
which follow it as binary WebSocket messages in the same direction, one each.

Kinds: `open`, `close`, `ping`, `pong`, `upgrade`, `noop` (Engine.IO); `connect`, `disconnect`, `event`, `ack`,
`connect_error` (Socket.IO; a binary event or ack is an `event` or `ack` with `binary` and `attachments`);
`attachment` (a binary message a binary packet announced); `invalid`. Paired: a client's CONNECT with the
server's CONNECT or CONNECT_ERROR to the same namespace; an event carrying an ack id with the ACK of that id from
the other side (the time to the ack). Ping and pong are the transport's heartbeat and are not paired. Notes:
`socketio-invalid` (variant: why), `socketio-parse-error` (JSON that does not parse), `socketio-unmatched-ack`,
`socketio-duplicate-id`, `socketio-attachments` (variant: `missing`, `unexpected`, `end`: the connection ended
first).
"""
from __future__ import annotations

import json
from typing import Optional
from urllib.parse import parse_qs, urlsplit

from . import OTHER, AppNote, AppRecord, Decoder, clip, json_items, json_members
from ..model import C2S, S2C

ENGINE_TYPES = {"0": "open", "1": "close", "2": "ping", "3": "pong", "4": "message", "5": "upgrade", "6": "noop"}
# Engine.IO packets only one side sends (the others: either).
_SENDER = {"open": S2C, "upgrade": C2S}
PACKET_TYPES = ("CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK")
# Digits read of an attachment count or an ack id: more is no number a peer sends (and int() stays cheap).
_DIGITS_MAX = 18


def by_path(uri: Optional[str]) -> bool:
    """True when an Upgrade request's target follows Engine.IO 4's convention: `EIO=4` and `transport=websocket`
    in its query (the path is `/socket.io/` unless the application chose another)."""
    if not uri or "EIO=" not in uri:
        return False
    try:
        query = parse_qs(urlsplit(uri).query)
    except ValueError:
        return False
    return query.get("EIO") == ["4"] and query.get("transport") == ["websocket"]


class SocketIODecoder(Decoder):
    protocol = "socketio"

    def __init__(self, name: str, spans: bool = False) -> None:
        super().__init__(name, spans)
        # direction -> [the binary packet's record, attachments announced, attachments seen]
        self.binary: dict = {}

    def feed(self, message, ts: float) -> list:
        d = message.direction
        if message.opcode == 2:          # Engine.IO 4 sends packets as text: binary messages are attachments
            return self._attachment(message, d)
        return self._after_attachments(d, message.last_no) + super().feed(message, ts)

    def _attachment(self, message, d: str) -> list:
        no = message.last_no
        waiting = self.binary.get(d)
        fields = {"length": message.length}
        if waiting is None:
            return [AppRecord(self.protocol, "invalid", fields, no, d,
                              notes=[AppNote("warning", "socketio-attachments", {"variant": "unexpected"})])]
        rec, count, seen = waiting
        seen += 1
        fields.update(index=seen, count=count, packet=rec.no)
        if seen >= count:
            del self.binary[d]
        else:
            waiting[2] = seen
        return [AppRecord(self.protocol, "attachment", fields, no, d)]

    def _after_attachments(self, d: str, no: int) -> list:
        """A text message while attachments were still awaited: the binary packet lacks them (a note on this
        message, the packet's record having been given out already)."""
        waiting = self.binary.pop(d, None)
        if waiting is None:
            return []
        rec, count, seen = waiting
        return [self._invalid(no, d, "warning", "socketio-attachments",
                              {"variant": "missing", "expected": count, "got": seen, "packet": rec.no})]

    def finish(self) -> list:
        """A binary packet whose attachments had not all come when the connection ended."""
        return [AppNote("warning", "socketio-attachments", {"variant": "end", "expected": count, "got": seen,
                                                            "packet": rec.no})
                for rec, count, seen in self.binary.values()]

    def decode(self, text: str, no: int, d: str, ts: float) -> list:
        if not text:
            return [self._invalid(no, d, "warning", "socketio-invalid", {"variant": "empty"})]
        kind = ENGINE_TYPES.get(text[0])
        if kind is None:
            return [self._invalid(no, d, "warning", "socketio-invalid", {"variant": "engineio-type"},
                                  {"type": clip(text[:1])})]
        data = text[1:]
        if kind == "message":
            return [self._socketio(data, no, d, ts)]
        notes = []
        sender = _SENDER.get(kind)
        if sender is not None and sender != d:
            notes.append(AppNote("warning", "socketio-invalid", {"variant": "direction", "type": kind}))
        if kind == "open":
            return [self._open(data, no, d, notes)]
        rec = AppRecord(self.protocol, kind, {}, no, d, notes=notes)
        if kind in ("ping", "pong") and data:
            rec.fields["data"] = clip(data)
            if data == "probe":
                rec.variant = "probe"
        return [rec]

    def _open(self, data: str, no: int, d: str, notes: list) -> AppRecord:
        try:
            doc = json.loads(data)
        except (ValueError, RecursionError) as e:
            return self._invalid(no, d, "warning", "socketio-parse-error", {"error": clip(str(e))})
        if not isinstance(doc, dict) or not isinstance(doc.get("sid"), str):
            return self._invalid(no, d, "warning", "socketio-invalid", {"variant": "open"})
        fields = {"sid": clip(doc["sid"]), "ping_interval": clip(doc.get("pingInterval")),
                  "ping_timeout": clip(doc.get("pingTimeout"))}
        upgrades = doc.get("upgrades")
        fields["upgrades"] = [clip(u) for u in upgrades[:8]] if isinstance(upgrades, list) else []
        if "maxPayload" in doc:
            fields["max_payload"] = clip(doc["maxPayload"])
        return AppRecord(self.protocol, "open", fields, no, d, notes=notes)

    # -- Socket.IO packets inside an Engine.IO message ------------------------------------------------------------
    def _socketio(self, s: str, no: int, d: str, ts: float) -> AppRecord:
        if not s or s[0] not in "0123456":
            return self._invalid(no, d, "warning", "socketio-invalid", {"variant": "packet-type"},
                                 {"type": clip(s[:1])})
        ptype = PACKET_TYPES[int(s[0])]
        i = 1
        attachments = None
        if ptype in ("BINARY_EVENT", "BINARY_ACK"):
            j = _digits_end(s, i)
            if j == i or s[j:j + 1] != "-":
                return self._invalid(no, d, "warning", "socketio-invalid", {"variant": "attachments",
                                                                            "type": ptype}, {"type": ptype})
            attachments = int(s[i:j])
            i = j + 1
        namespace = "/"
        if s[i:i + 1] == "/":
            comma = s.find(",", i)
            end = len(s) if comma == -1 else comma
            namespace = s[i:end]
            i = end + 1
        j = _digits_end(s, i)
        ack_id = int(s[i:j]) if j > i else None
        i = j
        payload = s[i:]
        doc = None
        if payload:
            try:
                doc = json.loads(payload)
            except (ValueError, RecursionError) as e:
                return self._invalid(no, d, "warning", "socketio-parse-error", {"error": clip(str(e))},
                                     {"type": ptype, "namespace": clip(namespace)})
        fields = {"type": ptype, "namespace": clip(namespace)}
        notes: list = []
        rec = AppRecord(self.protocol, ptype.lower().replace("binary_", ""), fields, no, d, notes=notes)
        if attachments is not None:
            fields["binary"] = True
            fields["attachments"] = attachments
            if attachments:
                self.binary[d] = [rec, attachments, 0]
        if ptype == "CONNECT":
            self._connect(rec, doc, payload, d, ts)
        elif ptype == "DISCONNECT":
            pass
        elif ptype == "CONNECT_ERROR":
            if d != S2C:
                notes.append(AppNote("warning", "socketio-invalid", {"variant": "direction", "type": ptype}))
            message = doc.get("message") if isinstance(doc, dict) else doc
            if not isinstance(message, str):
                notes.append(AppNote("warning", "socketio-invalid", {"variant": "connect-error"}))
            fields["message"] = clip(message)
            self.pending.answer(rec, ("connect", namespace), ts)
        elif ptype in ("EVENT", "BINARY_EVENT"):
            if not isinstance(doc, list) or not doc or not isinstance(doc[0], str):
                notes.append(AppNote("warning", "socketio-invalid", {"variant": "event"}))
                fields["event"] = "?"
                fields["args"] = 0
            else:
                fields["event"] = clip(doc[0])
                fields["args"] = len(doc) - 1
            if ack_id is not None:
                fields["id"] = ack_id
                if not self._await(rec, (d, namespace, ack_id), ts):
                    notes.append(AppNote("warning", "socketio-duplicate-id", {"id": ack_id,
                                                                              "namespace": clip(namespace)}))
            rec.variant = ("binary-" if attachments is not None else "") + ("id" if ack_id is not None else "plain")
        else:                                                   # ACK, BINARY_ACK
            rec.variant = "binary" if attachments is not None else None
            if ack_id is None:
                notes.append(AppNote("warning", "socketio-invalid", {"variant": "ack-id"}))
                fields["id"] = None
            else:
                fields["id"] = ack_id
                if not self.pending.answer(rec, (OTHER[d], namespace, ack_id), ts):
                    notes.append(AppNote("warning", "socketio-unmatched-ack", {"id": ack_id,
                                                                               "namespace": clip(namespace)}))
            if not isinstance(doc, list):
                notes.append(AppNote("warning", "socketio-invalid", {"variant": "ack"}))
            else:
                fields["args"] = len(doc)
        return rec

    def _connect(self, rec: AppRecord, doc, payload: str, d: str, ts: float) -> None:
        fields, namespace = rec.fields, rec.fields["namespace"]
        if payload and not isinstance(doc, dict):
            rec.notes.append(AppNote("warning", "socketio-invalid", {"variant": "connect"}))
        if d == C2S:
            fields["auth"] = isinstance(doc, dict)
            rec.variant = "auth" if fields["auth"] else None
            self._await(rec, ("connect", namespace), ts)
        else:
            sid = doc.get("sid") if isinstance(doc, dict) else None
            if isinstance(sid, str):
                fields["sid"] = clip(sid)
                rec.variant = "sid"
            self.pending.answer(rec, ("connect", namespace), ts)


    def locate(self, text: str, recs: list) -> None:
        """The Engine.IO type digit (`engineio_type`); in a message packet the Socket.IO type digit (`type`),
        the attachment count, `namespace`, the ack id (`id`), the JSON arguments (`args`; the event name
        `event`); in an open packet its JSON members; a ping's or pong's `data`."""
        rec = recs[-1]
        kind = ENGINE_TYPES.get(text[:1])
        if kind is None:
            return
        spans = {"engineio_type": (0, 1)}
        rec.spans = spans
        if kind == "open":
            members = json_members(text, 1)
            for field, name in (("sid", "sid"), ("ping_interval", "pingInterval"), ("ping_timeout", "pingTimeout"),
                                ("upgrades", "upgrades"), ("max_payload", "maxPayload")):
                if name in members:
                    spans[field] = members[name]
            return
        if kind != "message":
            if len(text) > 1:
                spans["data"] = (1, len(text))
            return
        if text[1:2] not in tuple("0123456"):
            return
        spans["type"] = (1, 2)
        i = 2
        if text[1] in "56":
            j = _digits_end(text, i)
            spans["attachments"] = (i, j)
            i = j + 1
        if text[i:i + 1] == "/":
            comma = text.find(",", i)
            end = len(text) if comma == -1 else comma
            spans["namespace"] = (i, end)
            i = end + 1
        j = _digits_end(text, i)
        if j > i:
            spans["id"] = (i, j)
        if j < len(text):
            if rec.kind == "connect_error":
                spans["message"] = json_members(text, j).get("message") or (j, len(text))
            elif rec.kind == "connect":
                spans["sid"] = json_members(text, j).get("sid")
                if spans["sid"] is None:
                    del spans["sid"]
            else:
                spans["args"] = (j, len(text))
                items = json_items(text, j)
                if items and rec.kind == "event":
                    spans["event"] = items[0]


def _digits_end(s: str, i: int) -> int:
    j = i
    while j < len(s) and j - i < _DIGITS_MAX and "0" <= s[j] <= "9":
        j += 1
    return j
