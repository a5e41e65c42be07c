# cython: annotation_typing=False
"""JSON Lines output: the contract in the README, one object per line, "type" first.

Field names are stable; new fields may be added. Records are written as soon as they are final, so `live
--json` streams.
"""
from __future__ import annotations

import binascii
import json
from typing import Optional, TextIO

from ..communityid import community_id, connection_uid
from ..i18n import DEFAULT_LANG, note_text
from ..tls.handshake import MESSAGE_NAMES
from ..model import CaptureSummary, Connection, FoldedConnections, Frame, Message, Note, Row, flag_names
from ..websocket.codes import opcode_name
from .labels import LabelWords

try:
    import cython
    COMPILED = cython.compiled       # a constant: True in the module Cython built, False in the .py
except ImportError:                  # no Cython installed: the plain-Python build
    COMPILED = False

# Message bodies beyond this many bytes are cut in the JSON (the record says "truncated": true); the full
# size is still in "length". Keeps one huge message from making a multi-megabyte line.
JSON_DATA_LIMIT = 64 * 1024
_DATA_LIMIT = JSON_DATA_LIMIT        # the same, a C integer where compiled (jsonl.pxd)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# The string escaper JSONEncoder(ensure_ascii=False) itself uses (C): '"' + escaped + '"', non-ASCII kept.
_esc = json.encoder.encode_basestring

# The characters JSON escapes in a string besides the quote (RFC 8259 section 7; all the encoder above
# escapes): control characters and the backslash.
_ESCAPED = bytes(range(0x20)) + b'\\'

# What _text_kind says of a string: json's escaper needed / its own JSON between two quotes / that with each
# quote backslashed ('"' -> '\\"'), its only escapes.
_ESCAPE, _PLAIN, _QUOTES = 0, 1, 2


def _text_kind(s: str) -> int:
    """_ESCAPE, _PLAIN or _QUOTES for a message's text. JSON payloads are full of quotes and usually have no
    other character to escape: str.replace then does in one C pass what the escaper does character by
    character, several times slower. ASCII only (other text goes to the escaper); the checks run over its
    bytes: compiled, one pass with no early exit (the C compiler vectorises it), plain Python, translate."""
    if not s.isascii():
        return _ESCAPE
    b = s.encode("ascii")
    if COMPILED:
        p = b
        bad = 0
        quote = 0
        for i in range(len(b)):
            bad |= (p[i] < 0x20) | (p[i] == 0x5c)
            quote |= p[i] == 0x22
        return _ESCAPE if bad else _QUOTES if quote else _PLAIN
    if len(b.translate(None, _ESCAPED)) != len(b):
        return _ESCAPE
    return _QUOTES if '"' in s else _PLAIN


def _b64(data) -> str:
    """base64.b64encode(data) as text (the same digits, without base64's wrapper around binascii)."""
    return _b2a(data, newline=False).decode("ascii")


_b2a = binascii.b2a_base64


_NL = "\n"

_flag_json: dict = {}       # flags int -> '"PSH,ACK"', memoised (a handful of distinct values per capture)
# A string -> its JSON, for the strings that repeat packet after packet: directions, protocols and roles (fixed
# vocabularies) and addresses (one per connection end, the same str object on each of its rows, so its hash is
# computed once). Bounded: cleared when full (cheap to rebuild).
_name_json: dict = {}
_NAMES_KEPT = 8192


def _name(s: str) -> str:
    """_esc(s), memoised in _name_json: for the strings of a packet line that repeat. Callers look the cache up
    first (`_name_json.get(s) or _name(s)`: no call on a hit)."""
    if len(_name_json) >= _NAMES_KEPT:
        _name_json.clear()
    j = _name_json[s] = _esc(s)
    return j


# Timestamps of 1 s to 2**32 s: the ulp of a double there is under 2**-20 s, finer than a microsecond, so two
# different decimals of at most six fraction digits are never the same double.
_TS_MIN = 1.0
_TS_MAX = 4294967296.0


def _ts(ts: float) -> str:
    """repr(ts), the encoder's spelling of a float. Compiled, from integers where _us_digits gives them (repr
    of a float runs David Gay's shortest-digits search, several times the cost); plain Python, repr itself
    (there the integer path is the slower one)."""
    if COMPILED:
        text = _us_digits(ts)
        if text is not None:
            return text
    return repr(ts)


def _us_digits(ts: float) -> Optional[str]:
    """repr(ts) built from integers, for a timestamp that is a whole number of microseconds (what pcap and most
    pcapng files hold) in [_TS_MIN, _TS_MAX); None for any other value. There the decimal us/10**6 reads back
    as ts, so it is the one decimal of at most six fraction digits that does, hence the shortest one that
    does: repr's digits, trailing zeros dropped, at least one fraction digit, no exponent (repr writes one only
    from 1e16)."""
    if _TS_MIN <= ts < _TS_MAX:
        us = int(ts * 1e6 + 0.5)
        if us / 1e6 == ts:            # both sides exact doubles: the division rounds like parsing the decimal
            sec = us // 1000000
            frac = us - sec * 1000000
            if frac == 0:
                return f"{sec}.0"
            z = 0
            while frac % 10 == 0:
                frac = frac // 10
                z += 1
            text = f"{sec}.{us - sec * 1000000:06d}"
            return text[:len(text) - z] if z else text
    return None


def _opt(x) -> str:
    """JSON for an optional scalar (None, bool, int, str): the encoder's own spelling of each."""
    if x is None:
        return "null"
    if x is True:
        return "true"
    if x is False:
        return "false"
    if type(x) is str:
        return _esc(x)
    return _dumps(x)


class JsonLinesWriter:
    """One write per packet: the packet's record and every record it completed, joined.

    Packet, frame and message records are the hot path of `read --json` (one dict plus the generic
    JSONEncoder per record was ~40 % of the run, bench/README.md): they are spelled out with f-strings, the
    strings escaped by json's own C escaper, so each line is byte-identical to `_dumps(packet_record(row))`
    (tests/test_cli.py checks it). The *_record() dict builders stay the definition of the contract."""

    def __init__(self, out: TextIO, lang: str = DEFAULT_LANG) -> None:
        """`lang`: the language of the packets' labels and of the notes' words (a note's text, the summary's
        caps and capture notes)."""
        self.out = out              # fixed for the writer's life
        self.lang = lang
        self._words = LabelWords(lang)
        self._put = out.write       # its write, bound once (not once a packet)
        self._late: list = []       # records of connections folded by the end of the capture (see folded())

    def _write(self, obj: dict) -> None:
        self.out.write(_dumps(obj) + "\n")

    def row(self, row: Row, conn: Optional[Connection] = None) -> None:
        frames, messages, notes = row.frames, row.messages, row.notes
        if not (frames or messages or notes):
            self._put(_packet_line(row, self._words.text(row), _NL))
            return
        if not notes and len(frames) == 1 and len(messages) == 1:
            # The usual data packet: one frame completing one message, each line built onto the one before
            # (the message body, the bulk, is copied once).
            label = self._words.text(row)
            self._put(_message_line(messages[0], _frame_line(frames[0], _packet_line(row, label, _NL), _NL), _NL))
            return
        lines = [_packet_line(row, self._words.text(row), "")]
        for f in frames:
            lines.append(frame_line(f))
        for m in messages:
            lines.append(message_line(m))
        for n in notes:
            lines.append(note_line(n, note_text(n.code, n.args, self.lang)))
        lines.append("")
        self._put("\n".join(lines))

    def end(self, frames: list, messages: list, notes: list) -> None:
        """Records settled only by the end of the capture, in the order a packet's would come."""
        for f in frames:
            self.out.write(frame_line(f) + "\n")
        for m in messages:
            self.out.write(message_line(m) + "\n")
        for n in notes:
            self.out.write(note_line(n, note_text(n.code, n.args, self.lang)) + "\n")

    def folded(self, c: Connection, at_end: bool = False) -> None:
        """The record of a connection folded into the summary's counts (Limits.summary_connections), which
        the summary will not hold: written now, after the row of the packet that finished it, or, when the end
        of the capture finished it, with the other connection records."""
        if at_end:
            self._late.append(c)
        else:
            self.out.write(connection_line(c) + "\n")

    def summary(self, s: CaptureSummary) -> None:
        write = self.out.write
        for c in s.connections:
            write(connection_line(c) + "\n")
        if self._late:
            for c in sorted(self._late, key=lambda c: c.id):
                write(connection_line(c) + "\n")
            self._late = []
        self._write(summary_record(s, self.lang))


def packet_record(row: Row, words: LabelWords) -> dict:
    """A packet's record, its label worded by `words` (render/labels.py, in the record's language)."""
    return _packet_record(row, words.text(row))


def _packet_record(row: Row, label: str) -> dict:
    """packet_record with its label already worded."""
    return {"type": "packet", "no": row.no, "ts": row.ts, "conn": row.conn, "dir": row.direction,
            "src": row.src, "dst": row.dst, "flags": flag_names(row.flags), "seq": row.seq, "ack": row.ack,
            "len": row.length, "frame_len": row.frame_len, "protocol": row.protocol, "role": row.role,
            "label": label, "info": row.info, "notes": [n.code for n in row.notes],
            **({"tls": [tls_record(r) for r in row.tls]} if row.tls else {})}


def tls_record(r) -> dict:
    """A TLS record a packet completed (wss://): its number in its direction, kind, size, decrypted or not."""
    return {"record": r.index, "dir": r.direction, "kind": r.kind, "len": r.length, "decrypted": r.decrypted,
            **({"handshake": [MESSAGE_NAMES.get(m, str(m)) for m in r.messages]} if r.messages else {})}


def packet_line(row: Row, words: LabelWords) -> str:
    """_dumps(packet_record(row, words)), built directly (the hot path; see JsonLinesWriter)."""
    return _packet_line(row, words.text(row), "")


def _packet_line(row: Row, label: str, end: str) -> str:
    """packet_line(row) + end, built as one string, its label already worded."""
    if row.conn is None or row.direction is None:
        return _dumps(_packet_record(row, label)) + end     # malformed rows: rare, take the generic path
    flags = _flag_json.get(row.flags)
    if flags is None:
        flags = _flag_json[row.flags] = _esc(flag_names(row.flags))
    names = _name_json
    d = names.get(row.direction) or _name(row.direction)
    src = names.get(row.src) or _name(row.src)
    dst = names.get(row.dst) or _name(row.dst)
    proto = names.get(row.protocol) or _name(row.protocol)
    role = names.get(row.role) or _name(row.role)
    notes = row.notes
    esc = _esc
    # Integers as {x}, not {x:d}: the same digits for an int (what every one of these fields is), in half the
    # time (format() has a fast path for an empty spec; ~50 ns a field, ~0.1 s per million packets).
    # wss: the TLS records the packet completed, last, as packet_record puts them
    tls = f',"tls":{_dumps([tls_record(r) for r in row.tls])}' if row.tls else ""
    return (f'{{"type":"packet","no":{row.no},"ts":{_ts(row.ts)},"conn":{row.conn},"dir":{d},"src":{src},'
            f'"dst":{dst},"flags":{flags},"seq":{row.seq},"ack":{row.ack},"len":{row.length},'
            f'"frame_len":{row.frame_len},"protocol":{proto},"role":{role},"label":{esc(label)},'
            f'"info":{esc(row.info)},"notes":[{",".join([esc(n.code) for n in notes]) if notes else ""}]{tls}}}{end}')


# A frame's "dir" to "masked" and a message's "dir" to "opcode_name", memoised: a list per direction (two),
# indexed by the few values the other fields take (2 * 8 * 16 * 2 frame entries, 16 message entries).
_frame_mid_json: dict = {}
_message_mid_json: dict = {}
_NO_CLOSE_JSON = '"close_code":null,"close_reason":null'


def frame_line(f: Frame) -> str:
    """_dumps(frame_record(f)), built directly."""
    return _frame_line(f, "", "")


def _frame_line(f: Frame, head: str, end: str) -> str:
    """head + frame_line(f) + end, built as one string."""
    if f.conn is None:
        return f'{head}{_dumps(frame_record(f))}{end}'
    # Keyed by direction, then by a small integer of the rest (a list index: no tuple per frame).
    mids = _frame_mid_json.get(f.direction)
    if mids is None:
        mids = _frame_mid_json[f.direction] = [None] * 512
    k = ((((f.rsv & 7) << 4) | (f.opcode & 15)) << 2) | (2 if f.fin else 0) | (1 if f.masked else 0)
    mid = mids[k] if f.rsv == (f.rsv & 7) and f.opcode == (f.opcode & 15) else None
    if mid is None:
        mid = (
            f'"dir":{_esc(f.direction)},"fin":{"true" if f.fin else "false"},"rsv":{f.rsv:d},'
            f'"opcode":{f.opcode:d},"opcode_name":{_esc(opcode_name(f.opcode))},'
            f'"masked":{"true" if f.masked else "false"}')
        if f.rsv == (f.rsv & 7) and f.opcode == (f.opcode & 15):
            mids[k] = mid
    key = f.mask_key
    if key:
        q, key = '"', key.hex()         # hex digits need no escaping: '"' + hex + '"' is what _esc would return
    else:
        q, key = "", "null"
    close = _NO_CLOSE_JSON if f.close_code is None and f.close_reason is None else \
        f'"close_code":{_opt(f.close_code)},"close_reason":{_opt(f.close_reason)}'
    return (f'{head}{{"type":"frame","no":{f.no},"first_no":{f.first_no},"conn":{f.conn},{mid},'
            f'"mask_key":{q}{key}{q},"length":{f.length},"header_len":{f.header_len},'
            f'"payload_missing":{f.payload_missing},{close}}}{end}')


def message_line(m: Message) -> str:
    """_dumps(message_record(m)), built directly."""
    return _message_line(m, "", "")


def _message_line(m: Message, head: str, end: str) -> str:
    """head + message_line(m) + end, built as one string: the body (up to _DATA_LIMIT) is copied once."""
    if m.conn is None or m.app is not None:
        return f'{head}{_dumps(message_record(m))}{end}'
    truncated = m.truncated
    if m.text is not None:
        text = m.text
        if len(text) > _DATA_LIMIT:
            text, truncated = text[:_DATA_LIMIT], True
        key = '"text":'
        kind = _text_kind(text)
        if kind == _PLAIN:
            q, body = '"', text
        elif kind == _QUOTES:
            q, body = '"', text.replace('"', '\\"')
        else:
            q, body = "", _esc(text)
    else:
        data = m.data
        if len(data) > _DATA_LIMIT:
            data, truncated = data[:_DATA_LIMIT], True
        key, q, body = '"data_b64":', '"', _b64(data)
    mids = _message_mid_json.get(m.direction)
    if mids is None:
        mids = _message_mid_json[m.direction] = [None] * 16
    mid = mids[m.opcode] if 0 <= m.opcode < 16 else None
    if mid is None:
        mid = f'"dir":{_esc(m.direction)},"opcode":{m.opcode:d},"opcode_name":{_esc(opcode_name(m.opcode))}'
        if 0 <= m.opcode < 16:
            mids[m.opcode] = mid
    return (f'{head}{{"type":"message","conn":{m.conn},{mid},"frames":{m.frames},"first_no":{m.first_no},'
            f'"last_no":{m.last_no},"compressed":{"true" if m.compressed else "false"},"length":{m.length},'
            f'"wire_length":{m.wire_length},{key}{q}{body}{q},"truncated":{"true" if truncated else "false"}}}'
            f'{end}')


def frame_record(f: Frame) -> dict:
    return {"type": "frame", "no": f.no, "first_no": f.first_no, "conn": f.conn, "dir": f.direction,
            "fin": f.fin, "rsv": f.rsv, "opcode": f.opcode, "opcode_name": opcode_name(f.opcode),
            "masked": f.masked, "mask_key": f.mask_key.hex() if f.mask_key else None, "length": f.length,
            "header_len": f.header_len, "payload_missing": f.payload_missing,
            "close_code": f.close_code, "close_reason": f.close_reason}


def message_record(m: Message) -> dict:
    rec = {"type": "message", "conn": m.conn, "dir": m.direction, "opcode": m.opcode,
           "opcode_name": opcode_name(m.opcode), "frames": m.frames, "first_no": m.first_no,
           "last_no": m.last_no, "compressed": m.compressed, "length": m.length,
           "wire_length": m.wire_length}
    truncated = m.truncated
    if m.text is not None:
        text = m.text
        if len(text) > JSON_DATA_LIMIT:
            text, truncated = text[:JSON_DATA_LIMIT], True
        rec["text"] = text
    else:
        data = m.data
        if len(data) > JSON_DATA_LIMIT:
            data, truncated = data[:JSON_DATA_LIMIT], True
        rec["data_b64"] = _b64(data)
    rec["truncated"] = truncated
    if m.app is not None:
        rec["app"] = app_record(m.app)
    return rec


def app_record(recs: list) -> dict:
    """What a subprotocol decoder (wsdissect/app) read in a message: its protocol and one record per item."""
    return {"protocol": recs[0].protocol if recs else None, "records": [r.as_dict() for r in recs]}


def note_record(n: Note, lang: str = DEFAULT_LANG) -> dict:
    """A note's record; "text" is its sentence in `lang`."""
    return {"type": "note", "no": n.no, "conn": n.conn, "severity": n.severity, "code": n.code,
            "text": note_text(n.code, n.args, lang)}


def note_line(n: Note, text: str) -> str:
    """_dumps(note_record(n, lang)) built directly, given the note's `text` in that language."""
    no = "null" if n.no is None else n.no
    conn = "null" if n.conn is None else n.conn
    names = _name_json
    severity = names.get(n.severity) or _name(n.severity)
    code = names.get(n.code) or _name(n.code)
    return (f'{{"type":"note","no":{no},"conn":{conn},"severity":{severity},"code":{code},'
            f'"text":{_esc(text)}}}')


def connection_ids(c: Connection) -> tuple:
    """(community_id, conn_id) of a connection: its Community ID v1 flow hash (communityid.py) and the id the
    tables give it, stable across files and runs (communityid.connection_uid)."""
    cid = community_id(c.client.ip, c.client.port, c.server.ip, c.server.port)
    return cid, connection_uid(cid, c.first_ts)


def connection_record(c: Connection) -> dict:
    cid, uid = connection_ids(c)
    return {"type": "connection", "conn": c.id, "conn_id": uid, "community_id": cid,
            "client": str(c.client), "server": str(c.server),
            "first_no": c.first_no, "start": c.first_ts, "end_ts": c.last_ts, "websocket": c.is_websocket,
            "uri": c.uri, "host": c.host, "origin": c.origin, "status": c.status, "accept_ok": c.accept_ok,
            "subprotocol": c.subprotocol, "extensions": c.extensions,
            "offered_extensions": c.offered_extensions, "decode_as": c.decode_as,
            "messages": dict(c.messages), "frames": dict(c.frames), "bytes": dict(c.bytes),
            "close_code": c.close_code, "close_reason": c.close_reason, "closed_by": c.closed_by,
            "fin_by": c.fin_by, "end": c.end, "notes": c.notes, **({"tls": c.tls} if c.tls is not None else {})}


def connection_line(c: Connection) -> str:
    """_dumps(connection_record(c)), built directly: one per connection, written with the summary or as the
    connection is folded (the generic encoder of the dict cost as much as the rest of a short connection's
    records together)."""
    cid, uid = connection_ids(c)
    opt = _opt
    esc = _esc
    line = (f'{{"type":"connection","conn":{c.id},"conn_id":{esc(uid)},"community_id":{esc(cid)},'
            f'"client":{esc(str(c.client))},"server":{esc(str(c.server))},"first_no":{c.first_no},'
            f'"start":{_ts(c.first_ts)},"end_ts":{_ts(c.last_ts)},"websocket":{"true" if c.is_websocket else "false"},'
            f'"uri":{opt(c.uri)},"host":{opt(c.host)},"origin":{opt(c.origin)},"status":{_int_opt(c.status)},'
            f'"accept_ok":{opt(c.accept_ok)},"subprotocol":{opt(c.subprotocol)},'
            f'"extensions":{opt(c.extensions)},"offered_extensions":{opt(c.offered_extensions)},'
            f'"decode_as":{"true" if c.decode_as else "false"},'
            f'"messages":{{"c2s":{c.messages_c2s},"s2c":{c.messages_s2c}}},'
            f'"frames":{{"c2s":{c.frames_c2s},"s2c":{c.frames_s2c}}},'
            f'"bytes":{{"c2s":{c.bytes_c2s},"s2c":{c.bytes_s2c}}},'
            f'"close_code":{_int_opt(c.close_code)},"close_reason":{opt(c.close_reason)},'
            f'"closed_by":{opt(c.closed_by)},"fin_by":{opt(c.fin_by)},"end":{opt(c.end)},"notes":{c.notes}')
    if c.tls is not None:
        return line + ',"tls":' + _dumps(c.tls) + "}"
    return line + "}"


def _int_opt(x) -> str:
    """JSON for None or an int (a status, a close code): what the encoder writes, without the encoder."""
    if x is None:
        return "null"
    if type(x) is int:
        return str(x)
    return _dumps(x)


def summary_record(s: CaptureSummary, lang: str = DEFAULT_LANG) -> dict:
    """The summary's record; the caps reached and the notes about the capture as their sentences in `lang`."""
    return {"type": "summary", "packets": s.packets, "tcp_packets": s.tcp_packets,
            "other_packets": s.other_packets, "malformed": s.malformed, "first_ts": s.first_ts,
            "last_ts": s.last_ts, "connections": s.connection_count(), "notes_by_code": s.notes_by_code,
            "notes_by_severity": s.notes_by_severity, "caps": [note_text(n.code, n.args, lang) for n in s.caps],
            "capture_notes": [note_text(n.code, n.args, lang) for n in s.capture_notes],
            **({"folded_connections": folded_record(s.folded)} if s.folded is not None else {}),
            **({"past_cap_packets": s.past_cap_packets} if s.past_cap_packets else {}),
            **({"snaplen_cut": s.snaplen_cut} if s.snaplen_cut else {})}


def folded_record(f: FoldedConnections) -> dict:
    """The summary's "folded_connections": totals of the connections past --max-summary-connections."""
    codes = sorted(f.close_codes.items(), key=lambda kv: (kv[0] == "other", kv[0] if kv[0] != "other" else 0))
    return {"connections": f.connections, "websocket": f.websocket, "messages": dict(f.messages),
            "frames": dict(f.frames), "bytes": dict(f.bytes), "ended": dict(f.ended),
            "close_codes": {str(k): n for k, n in codes}, "notes": f.notes, "max": f.cap}
