"""GraphQL over WebSocket: `graphql-transport-ws` (the graphql-ws library's protocol) and its legacy predecessor
`graphql-ws` (subscriptions-transport-ws). Every message is a JSON object with a `type`.

Kinds: `control` (connection_init, connection_ack, ping, pong, ka, connection_terminate, connection_error),
`operation` (subscribe / legacy start: the operation, by its operationName or the first words of its query),
`result` (next / legacy data), `error`, `complete` (either side; legacy stop from the client), `invalid`.
Paired: connection_init with connection_ack (or connection_error); an operation with its first result, error or
complete (the time to the first answer); ping with pong. Notes: `graphql-parse-error`, `graphql-invalid`
(variant), `graphql-unknown-type`, `graphql-duplicate-id` (an operation reusing the id of one still running),
`graphql-unknown-id` (a result for no operation seen), `graphql-before-ack` (graphql-transport-ws: a subscribe
after connection_init and before its connection_ack).
"""
from __future__ import annotations

import json
import re

from . import APP_PENDING_MAX, OTHER, AppNote, AppRecord, Decoder, clip, json_members
from ..model import C2S, S2C

# type -> (kind, the direction that may send it; None: either)
_MODERN = {"connection_init": ("control", C2S), "connection_ack": ("control", S2C), "ping": ("control", None),
           "pong": ("control", None), "subscribe": ("operation", C2S), "next": ("result", S2C),
           "error": ("error", S2C), "complete": ("complete", None)}
_LEGACY = {"connection_init": ("control", C2S), "connection_ack": ("control", S2C),
           "connection_error": ("control", S2C), "ka": ("control", S2C), "connection_terminate": ("control", C2S),
           "start": ("operation", C2S), "data": ("result", S2C), "error": ("error", S2C),
           "complete": ("complete", S2C), "stop": ("complete", C2S)}
_OPERATION = re.compile(r"\s*(?:#[^\n]*\n\s*)*(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?")
_INIT = "init"


class GraphQLDecoder(Decoder):
    protocol = "graphql"

    def __init__(self, name: str, spans: bool = False) -> None:
        super().__init__(name, spans)
        self.types = _LEGACY if name == "graphql-ws" else _MODERN
        self.running: dict = {}          # operation id -> True, answered or not, until its complete
        self.waiting_ack = False         # connection_init seen, connection_ack not yet

    def decode(self, text: str, no: int, d: str, ts: float) -> list:
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as e:
            return [self._invalid(no, d, "warning", "graphql-parse-error", {"error": clip(str(e))})]
        if not isinstance(doc, dict):
            return [self._invalid(no, d, "warning", "graphql-invalid", {"variant": "not-object"})]
        mtype = doc.get("type")
        if not isinstance(mtype, str):
            return [self._invalid(no, d, "warning", "graphql-invalid", {"variant": "no-type"})]
        fields = {"type": clip(mtype)}
        notes = []
        kind, sender = self.types.get(mtype, (None, None))
        if kind is None or (sender is not None and sender != d):
            notes.append(AppNote("warning", "graphql-unknown-type", {"type": clip(mtype)}))
            return [AppRecord(self.protocol, "invalid", fields, no, d, notes=notes)]
        rec = AppRecord(self.protocol, kind, fields, no, d, notes=notes)
        if kind == "control":
            if mtype == "connection_init":
                self._await(rec, _INIT, ts)
                self.waiting_ack = True
            elif mtype in ("connection_ack", "connection_error"):
                self.pending.answer(rec, _INIT, ts)
                self.waiting_ack = False
            elif mtype == "ping":
                self._await(rec, ("ping", d), ts)
            elif mtype == "pong":
                self.pending.answer(rec, ("ping", OTHER[d]), ts)
            return [rec]
        oid = doc.get("id")
        if not isinstance(oid, str) or not oid:
            notes.append(AppNote("warning", "graphql-invalid", {"variant": "id"}))
            oid = clip(json.dumps(oid)) if not isinstance(oid, str) else oid
        fields["id"] = clip(oid)
        payload = doc.get("payload")
        if kind == "operation":
            # graphql-transport-ws: a subscribe before the server acknowledged the connection_init is refused
            # (the server closes with 4401); the legacy protocol lets a client start early.
            if self.waiting_ack and self.types is _MODERN:
                notes.append(AppNote("warning", "graphql-before-ack", {"id": clip(oid)}))
            if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
                notes.append(AppNote("warning", "graphql-invalid", {"variant": "query"}))
                fields["operation"] = "?"
            else:
                fields["operation"] = _operation(payload)
            if oid in self.running:
                notes.append(AppNote("warning", "graphql-duplicate-id", {"id": clip(oid)}))
            elif len(self.running) < APP_PENDING_MAX:
                self.running[oid] = True
            self._await(rec, oid, ts)
        elif kind in ("result", "error"):
            if kind == "error" and not isinstance(payload, (list, dict)):
                notes.append(AppNote("warning", "graphql-invalid", {"variant": "payload"}))
            if not self.pending.answer(rec, oid, ts) and oid not in self.running:
                notes.append(AppNote("warning", "graphql-unknown-id", {"id": clip(oid)}))
        else:                                       # complete (either side), legacy stop
            self.pending.answer(rec, oid, ts)
            self.running.pop(oid, None)
        return [rec]


    def locate(self, text: str, recs: list) -> None:
        """The spans of `type`, `id` and `payload` (its `query` under `operation`)."""
        members = json_members(text)
        spans = {k: members[k] for k in ("type", "id", "payload") if k in members}
        if "payload" in members:
            query = json_members(text, members["payload"][0]).get("query")
            if query is not None:
                spans["operation"] = query
        for rec in recs:
            rec.spans = spans


def _operation(payload: dict) -> str:
    """'subscription OnMessage', 'query' (a query without a name or keyword): what the operation is."""
    m = _OPERATION.match(payload["query"])
    op, name = (m.group(1), m.group(2)) if m else ("query", None)
    given = payload.get("operationName")
    if isinstance(given, str) and given:
        name = given
    return clip(f"{op} {name}" if name else op)
