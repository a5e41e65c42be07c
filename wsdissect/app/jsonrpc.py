"""JSON-RPC 2.0 (subprotocol `jsonrpc`): requests, notifications, batches, results and errors, paired by id.

Either peer may send requests (JSON-RPC is symmetric): an answer in one direction is paired with the request of
the same id that the other direction sent. Notes: `jsonrpc-parse-error` (not JSON), `jsonrpc-invalid` (JSON but
not a JSON-RPC 2.0 message; its variant says why), `jsonrpc-unmatched-response` (an answer to no request seen),
`jsonrpc-duplicate-id` (a request reusing the id of one still unanswered).
"""
from __future__ import annotations

import json

from . import OTHER, AppNote, AppRecord, Decoder, clip, json_items, json_members


class JsonRpcDecoder(Decoder):
    protocol = "jsonrpc"

    def decode(self, text: str, no: int, d: str, ts: float) -> list:
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as e:
            return [self._invalid(no, d, "warning", "jsonrpc-parse-error", {"error": clip(str(e))})]
        if isinstance(doc, list):
            if not doc:
                return [self._invalid(no, d, "warning", "jsonrpc-invalid", {"variant": "empty-batch"})]
            return [self._one(item, no, d, ts, batch=True) for item in doc]
        return [self._one(doc, no, d, ts)]

    def _one(self, obj, no: int, d: str, ts: float, batch: bool = False) -> AppRecord:
        if not isinstance(obj, dict):
            return self._invalid(no, d, "warning", "jsonrpc-invalid", {"variant": "not-object"})
        notes = []
        if obj.get("jsonrpc") != "2.0":
            notes.append(AppNote("warning", "jsonrpc-invalid", {"variant": "version"}))
        has_id = "id" in obj
        rid = obj.get("id")
        if has_id and not (rid is None or isinstance(rid, (str, int, float)) and not isinstance(rid, bool)):
            notes.append(AppNote("warning", "jsonrpc-invalid", {"variant": "id-type"}))
            rid = clip(rid)
        fields = {"batch": True} if batch else {}
        if "method" in obj:
            method = obj["method"]
            if not isinstance(method, str):
                notes.append(AppNote("warning", "jsonrpc-invalid", {"variant": "method-type"}))
            fields["method"] = clip(method)
            if "params" in obj and not isinstance(obj["params"], (list, dict)):
                notes.append(AppNote("warning", "jsonrpc-invalid", {"variant": "params-type"}))
            if not has_id:
                return AppRecord(self.protocol, "notification", fields, no, d, notes=notes)
            fields["id"] = rid
            rec = AppRecord(self.protocol, "request", fields, no, d, notes=notes)
            if not self._await(rec, (d, _key(rid)), ts):
                notes.append(AppNote("warning", "jsonrpc-duplicate-id", {"id": _shown(rid)}))
            return rec
        if "result" in obj or "error" in obj:
            if "result" in obj and "error" in obj:
                notes.append(AppNote("warning", "jsonrpc-invalid", {"variant": "result-and-error"}))
            fields["id"] = rid
            if "error" in obj:
                err = obj["error"]
                kind = "error"
                if isinstance(err, dict):
                    fields["code"] = clip(err.get("code"))
                    fields["message"] = clip(err.get("message"))
                else:
                    notes.append(AppNote("warning", "jsonrpc-invalid", {"variant": "error-type"}))
                    fields["code"] = None
                    fields["message"] = clip(err)
            else:
                kind = "result"
            rec = AppRecord(self.protocol, kind, fields, no, d, notes=notes)
            # An error with id null answers a request that could not be read: nothing to pair it with.
            if not (rid is None and kind == "error") and not self.pending.answer(rec, (OTHER[d], _key(rid)), ts):
                notes.append(AppNote("warning", "jsonrpc-unmatched-response", {"id": _shown(rid)}))
            return rec
        notes.append(AppNote("warning", "jsonrpc-invalid", {"variant": "no-method"}))
        return AppRecord(self.protocol, "invalid", fields, no, d, notes=notes)


    def locate(self, text: str, recs: list) -> None:
        """Each record's `method`, `id`, `params`, `result`, `error` (and the error's `code` and `message`): the
        spans of their JSON values; a batch's records, in its items in turn."""
        items = json_items(text) if text.lstrip().startswith("[") else [(0, len(text))]
        for rec, (a, _) in zip(recs, items):
            members = json_members(text, a)
            spans = {k: members[k] for k in ("method", "id", "params", "result", "error") if k in members}
            if "error" in members:
                inner = json_members(text, members["error"][0])
                spans.update((k, inner[k]) for k in ("code", "message") if k in inner)
            rec.spans = spans


def _key(rid) -> str:
    """Ids compare as JSON values: 7 and "7" are different requests."""
    return json.dumps(rid, sort_keys=True)


def _shown(rid) -> str:
    """An id as JSON in a note ("7" with its quotes: not the number 7)."""
    return clip(json.dumps(rid, ensure_ascii=False))
