"""STOMP 1.0, 1.1 and 1.2 (subprotocols `v10.stomp`, `v11.stomp`, `v12.stomp`): one frame per message.

A frame is a command line, header lines `name:value`, an empty line, a body and a NUL byte (then optional
end-of-lines); a message of end-of-lines only is a heart-beat. A frame with a `receipt` header awaits the server's
RECEIPT (or ERROR) carrying it as `receipt-id`; CONNECT / STOMP awaits CONNECTED (or ERROR). Notes: `stomp-malformed`
(variant: why), `stomp-unknown-command`, `stomp-unmatched-receipt`.
"""
from __future__ import annotations

import re

from . import APP_HEADERS_MAX, AppNote, AppRecord, Decoder, clip
from ..model import C2S

CLIENT_COMMANDS = frozenset({"CONNECT", "STOMP", "SEND", "SUBSCRIBE", "UNSUBSCRIBE", "BEGIN", "COMMIT", "ABORT",
                             "ACK", "NACK", "DISCONNECT"})
SERVER_COMMANDS = frozenset({"CONNECTED", "MESSAGE", "RECEIPT", "ERROR"})
_ESCAPES = {"n": "\n", "c": ":", "\\": "\\", "r": "\r"}      # 1.2; 1.1 has all but \r; 1.0 none
_CONNECT = "connect"
_BLANK = re.compile("\n\n")             # 1.0, 1.1: lines end with LF
_BLANK_12 = re.compile("\n\r?\n")        # 1.2: LF or CR LF


class StompDecoder(Decoder):
    protocol = "stomp"

    def __init__(self, name: str, spans: bool = False) -> None:
        super().__init__(name, spans)
        self.version = {"v10.stomp": "1.0", "v11.stomp": "1.1"}.get(name, "1.2")

    def decode(self, text: str, no: int, d: str, ts: float) -> list:
        body_start = text.lstrip("\r\n")
        if not body_start:
            return [AppRecord(self.protocol, "heartbeat", {}, no, d)]
        blank = (_BLANK_12 if self.version == "1.2" else _BLANK).search(body_start)   # the line ending the headers
        if blank is None:
            return [self._invalid(no, d, "warning", "stomp-malformed", {"variant": "no-blank-line"},
                                  {"command": clip(body_start.split("\n", 1)[0].rstrip("\r"))})]
        head_end = blank.start()
        lines = body_start[:head_end].split("\n")
        command = lines[0].rstrip("\r")
        notes = []
        headers: dict = {}
        total = 0
        escapes = self.version != "1.0" and command not in ("CONNECT", "CONNECTED")
        for line in lines[1:]:
            if self.version == "1.2":
                line = line[:-1] if line.endswith("\r") else line
            if ":" not in line:
                notes.append(AppNote("warning", "stomp-malformed", {"variant": "header", "line": clip(line)}))
                continue
            name, value = line.split(":", 1)
            if escapes:
                name, ok1 = _unescape(name, self.version)
                value, ok2 = _unescape(value, self.version)
                if not (ok1 and ok2):
                    notes.append(AppNote("warning", "stomp-malformed", {"variant": "escape", "line": clip(line)}))
            total += 1
            if name not in headers and len(headers) < APP_HEADERS_MAX:   # the first of a repeated header wins
                headers[name] = clip(value)
        body = body_start[blank.end():]
        length = headers.get("content-length")
        body_len = None
        if length is not None:
            try:
                body_len = int(length)
                if body_len < 0:
                    raise ValueError
            except ValueError:
                notes.append(AppNote("warning", "stomp-malformed", {"variant": "content-length",
                                                                    "value": clip(length)}))
                body_len = None
        if body_len is not None:
            raw = body.encode("utf-8")
            if len(raw) <= body_len or raw[body_len:body_len + 1] != b"\0":
                notes.append(AppNote("warning", "stomp-malformed", {"variant": "no-nul"}))
                body_len = min(body_len, len(raw))
            rest = raw[body_len + 1:].decode("utf-8", "replace")
        else:
            nul = body.find("\0")
            if nul == -1:
                notes.append(AppNote("warning", "stomp-malformed", {"variant": "no-nul"}))
                body_len = len(body.encode("utf-8"))
                rest = ""
            else:
                body_len = len(body[:nul].encode("utf-8"))
                rest = body[nul + 1:]
        if rest.strip("\r\n"):
            notes.append(AppNote("warning", "stomp-malformed", {"variant": "trailing"}))
        known = CLIENT_COMMANDS if d == C2S else SERVER_COMMANDS
        if command not in known:
            notes.append(AppNote("warning", "stomp-unknown-command", {"command": clip(command)}))
        fields = {"command": clip(command), "headers": headers, "body_length": body_len}
        if total > len(headers):
            fields["headers_total"] = total
        rec = AppRecord(self.protocol, "frame", fields, no, d, notes=notes)
        if command in ("CONNECT", "STOMP"):
            self._await(rec, _CONNECT, ts)
            if "heart-beat" in headers:
                fields["heart_beat"] = headers["heart-beat"]
        elif command == "CONNECTED":
            self.pending.answer(rec, _CONNECT, ts)
            if "heart-beat" in headers:
                fields["heart_beat"] = headers["heart-beat"]
        if d == C2S and "receipt" in headers and command not in ("CONNECT", "STOMP"):
            self._await(rec, ("receipt", headers["receipt"]), ts)
        elif command in ("RECEIPT", "ERROR"):
            rid = headers.get("receipt-id")
            if rid is not None:
                if not self.pending.answer(rec, ("receipt", rid), ts):
                    notes.append(AppNote("warning", "stomp-unmatched-receipt", {"receipt": rid}))
            elif command == "ERROR":
                self.pending.answer(rec, _CONNECT, ts)
            elif command == "RECEIPT":
                notes.append(AppNote("warning", "stomp-malformed", {"variant": "no-receipt-id"}))
        return [rec]


    def locate(self, text: str, recs: list) -> None:
        """The command line (`command`), each header line (`headers.<name>`, the first of a repeated name) and
        the body (`body`, up to its NUL or content-length)."""
        rec = recs[0]
        if rec.kind != "frame":
            return
        at = len(text) - len(text.lstrip("\r\n"))
        blank = (_BLANK_12 if self.version == "1.2" else _BLANK).search(text, at)
        lines = text[at:blank.start()].split("\n")
        spans = {"command": (at, at + len(lines[0].rstrip("\r")))}
        escapes = self.version != "1.0" and rec.fields["command"] not in ("CONNECT", "CONNECTED")
        at += len(lines[0]) + 1
        for line in lines[1:]:
            end = at + len(line.rstrip("\r") if self.version == "1.2" else line)
            if ":" in line:
                name = line.split(":", 1)[0]
                if escapes:
                    name = _unescape(name, self.version)[0]
                spans.setdefault("headers." + name, (at, end))
            at += len(line) + 1
        body = blank.end()
        spans["body"] = (body, body + len(text.encode("utf-8")[len(text[:body].encode("utf-8")):]
                                          [:rec.fields["body_length"]].decode("utf-8", "replace")))
        rec.spans = spans


def _unescape(s: str, version: str) -> tuple:
    """(value, True) with STOMP's header escapes decoded; (as is, False) on an undefined escape."""
    if "\\" not in s:
        return s, True
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            e = s[i + 1:i + 2]
            v = _ESCAPES.get(e)
            if v is None or (e == "r" and version != "1.2"):
                return s, False
            out.append(v)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out), True
