"""Fuzz targets, input mutators and invariant checks for wsdissect (hostile and broken input).

Three targets, each a function of one `bytes` input so that the same code serves the seeded mutation loop
(volume, in the test suite and `python -m tests.fuzz.run`), hypothesis (shrinking) and atheris (coverage-guided):

- `target_ws(data)`: FrameParser / WebSocketDirection fed an arbitrary byte stream in arbitrary cuts, with or
  without permessage-deflate, with and without capture gaps. Input layout: 3 config bytes, then the stream.
- `target_http(data)`: HttpStream (request or response kind) fed arbitrary bytes in arbitrary cuts, with the
  pause/resume/take_rest/gap/close calls interleaved. Input layout: 2 config bytes, then the stream.
- `target_pipeline(data)`: a whole capture file (pcap or pcapng bytes) through sources.pcap.iter_capture, the
  Analyzer and the JSON Lines renderer, as `wsdissect read --json` runs it.
- `target_tls(data)`: TlsSession (wsdissect/tls/) fed the two directions of a recorded wss:// conversation
  (captures/wss/), mutated, with its key log, a wrong one or none, in arbitrary cuts, with capture gaps.
  Input layout: 1 config byte, then chunks of (direction byte, 2-byte length, bytes).
- `target_mqtt(data)`: the MQTT decoder (wsdissect/app/mqtt.py) fed a byte stream as binary messages cut
  anywhere, both directions. Input layout: 1 config byte, then the stream.

A target raises (AssertionError or whatever escaped) when it found a bug, and returns normally otherwise.
"""
from __future__ import annotations

import io
import random
import re
import struct
import sys
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator, List, Optional

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
ROOT = TESTS.parent
if str(TESTS) not in sys.path:          # pcapbuild lives in tests/ (pytest puts it on the path; -m does not)
    sys.path.insert(0, str(TESTS))

from wsdissect.analyzer import Analyzer  # noqa: E402
from wsdissect.http import HttpError, HttpRequest, HttpResponse, HttpStream  # noqa: E402
from wsdissect.i18n import CATALOG, LANGS, note_id, note_text  # noqa: E402
from wsdissect.limits import Limits  # noqa: E402
from wsdissect.model import C2S, S2C, DeflateParams, Frame, Label, Message, Note, RawPacket, Row  # noqa: E402
from wsdissect.render.labels import LabelWords  # noqa: E402
from wsdissect.render.jsonl import JsonLinesWriter  # noqa: E402
from wsdissect.sources.pcap import CaptureError, iter_capture  # noqa: E402
from wsdissect.websocket import WebSocketDirection  # noqa: E402
from wsdissect.websocket.frames import payload_cap  # noqa: E402

SEVERITIES = {"chat", "note", "warning", "error"}
ROLES = {"tcp-syn", "tcp-syn-ack", "tcp-handshake-ack", "ws-upgrade-request", "ws-upgrade-response", "ack",
         "ws-data", "ws-control", "ws-close", "tcp-fin", "tcp-fin-ack", "tcp-rst", "tcp-retransmission",
         "tcp-keepalive", "tcp-window-update", "http", "tcp-data", "malformed", "past-cap"}
_CODE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


class FuzzFailure(AssertionError):
    """An invariant broke. The message says which; the input that did it is what the runner saves."""


# Known bugs not yet fixed, each pinned by a strict xfail test in test_regressions.py. The fuzz run tolerates
# them so the suite stays green; when the fix lands, the xfail test passes (and, being strict, fails the
# suite): then delete the tag here. Empty now; keep the mechanism for the next find.
TOLERATED: set = set()


def check(cond: bool, what: str, tag: Optional[str] = None) -> None:
    if not cond and (tag is None or tag not in TOLERATED):
        raise FuzzFailure(what)


# ------------------------------------------------------------------------------------------------ record checks

def check_note(n, where: str = "") -> None:
    check(type(n) is Note, f"{where}expected a Note, got {type(n).__name__}")
    check(n.severity in SEVERITIES, f"{where}note severity {n.severity!r}")
    check(isinstance(n.code, str) and _CODE.fullmatch(n.code) is not None, f"{where}note code {n.code!r}")
    check(type(n.args) is dict, f"{where}note {n.code} args {n.args!r}")
    for lang in LANGS:
        try:
            text = note_text(n.code, n.args, lang)
        except (KeyError, IndexError, ValueError) as e:
            raise FuzzFailure(f"{where}note {n.code} {n.args!r} has no sentence in {lang}: {e!r}") from e
        check(text != "", f"{where}note {n.code} has no words in {lang}")
    check(n.no is None or (type(n.no) is int and n.no >= 0), f"{where}note no {n.no!r}")
    check(not (n.code == "malformed" and n.args.get("variant") == "internal"),
          f"{where}an exception escaped the core and was caught by Analyzer.feed: {n.args.get('error')}")


def check_frame(f, max_payload: int, where: str = "") -> None:
    check(type(f) is Frame, f"{where}expected a Frame, got {type(f).__name__}")
    check(0 <= f.opcode <= 15 and 0 <= f.rsv <= 7, f"{where}frame opcode {f.opcode} rsv {f.rsv}")
    check(0 <= f.length < 2 ** 63, f"{where}frame length {f.length}")
    check(type(f.payload) is bytes, f"{where}frame payload is {type(f.payload).__name__}")
    cap = payload_cap(f.opcode, max_payload)             # a control frame keeps its 125 bytes whatever the cap
    check(len(f.payload) <= cap, f"{where}frame keeps {len(f.payload)} bytes > cap {cap}")
    check(f.payload_missing >= 0 and len(f.payload) + f.payload_missing <= f.length,
          f"{where}frame payload {len(f.payload)} + missing {f.payload_missing} > length {f.length}")
    check(f.masked == (f.mask_key is not None) and (f.mask_key is None or len(f.mask_key) == 4),
          f"{where}frame masked={f.masked} key={f.mask_key!r}")
    check(f.header_len in (2, 4, 6, 8, 10, 14), f"{where}frame header_len {f.header_len}")
    check(f.first_no <= f.no, f"{where}frame first_no {f.first_no} > no {f.no}")
    check(f.close_code is None or 0 <= f.close_code <= 0xFFFF, f"{where}close code {f.close_code}")
    check(f.close_reason is None or isinstance(f.close_reason, str), f"{where}close reason type")


def check_message(m, cap: int, where: str = "") -> None:
    check(type(m) is Message, f"{where}expected a Message, got {type(m).__name__}")
    check(m.opcode in (1, 2), f"{where}message opcode {m.opcode}")
    check(type(m.data) is bytes and len(m.data) <= cap, f"{where}message keeps {len(m.data)} bytes > cap {cap}")
    check(m.frames >= 1, f"{where}message frames {m.frames}")
    check(m.first_no <= m.last_no, f"{where}message first_no {m.first_no} > last_no {m.last_no}", "message-last-no")
    check(m.length >= len(m.data) and m.wire_length >= 0, f"{where}message length {m.length} < data {len(m.data)}")
    if not m.compressed:
        check(m.length == m.wire_length, f"{where}uncompressed message length {m.length} != wire {m.wire_length}")
    check(m.text is None or (m.opcode == 1 and isinstance(m.text, str)), f"{where}message text on opcode {m.opcode}")
    if m.text is not None and not m.truncated:
        check(m.text.encode("utf-8") == m.data, f"{where}message text does not match its data")
    if len(m.data) < m.length and not m.compressed:
        check(m.truncated, f"{where}message lost bytes but is not marked truncated")


_WORDS, _WORDS_ZH = LabelWords("en"), LabelWords("zh")


def check_row(row, raw: RawPacket, limits: Limits) -> None:
    w = f"packet #{raw.no}: "
    check(type(row) is Row, f"{w}feed returned {type(row).__name__}, not a Row or None")
    check(row.no == raw.no and row.ts == raw.ts, f"{w}row no/ts {row.no}/{row.ts} differ from the packet's")
    check(row.role in ROLES, f"{w}undocumented role {row.role!r}")
    check(isinstance(row.label, Label) and isinstance(row.info, str), f"{w}label is no Label or info no text")
    check(isinstance(_WORDS.text(row), str) and isinstance(_WORDS_ZH.text(row), str), f"{w}label not worded")
    check(row.direction in (C2S, S2C, None), f"{w}direction {row.direction!r}")
    check(row.conn is None or (type(row.conn) is int and row.conn >= 0), f"{w}conn {row.conn!r}")
    check(row.length >= 0 and 0 <= row.flags <= 0xFF, f"{w}length {row.length} flags {row.flags}")
    for f in row.frames:
        check_frame(f, limits.max_message, w)
        check(f.no == raw.no, f"{w}frame listed on row {raw.no} says no={f.no}")
    for m in row.messages:
        check_message(m, limits.max_message, w)
    for n in row.notes:
        check_note(n, w)


# ------------------------------------------------------------------------------------------------- config bytes

_CAPS = (1, 16, 64, 125, 1000, 4096, 65536, 16 * 1024 * 1024)
_HEADER_CAPS = (16, 64, 200, 1024, 4096, 65536, 1, 300)


def _cuts(rng: random.Random, n: int) -> List[int]:
    """Cut points for a stream of n bytes: mostly small random pieces, sometimes single bytes or none."""
    style = rng.random()
    if n == 0:
        return [0, 0]
    if style < 0.1:
        return [0, n]
    if style < 0.25:
        return list(range(n + 1))
    points = {0, n}
    k = rng.randint(1, min(n, 40))
    points.update(rng.randint(0, n) for _ in range(k))
    return sorted(points)


def _pieces(data: bytes, rng: random.Random) -> List[bytes]:
    c = _cuts(rng, len(data))
    return [data[a:b] for a, b in zip(c, c[1:])]


# ---------------------------------------------------------------------------------------------- target: ws

def ws_config(data: bytes):
    b0 = data[0] if len(data) > 0 else 0
    b1 = data[1] if len(data) > 1 else 0
    b2 = data[2] if len(data) > 2 else 0
    direction = C2S if b0 & 1 else S2C
    deflate = None
    if b0 & 2:
        deflate = DeflateParams(server_no_context_takeover=bool(b0 & 4), client_no_context_takeover=bool(b0 & 8),
                                server_max_window_bits=8 + (b2 & 7), client_max_window_bits=8 + ((b2 >> 3) & 7))
    gaps = bool(b0 & 16)
    cap = _CAPS[(b0 >> 5) & 7]
    return direction, deflate, gaps, cap, b1, bytes(data[3:])


def _ws_run(direction, deflate, limits, pieces, gaps_rng: Optional[random.Random], no_per_piece: bool):
    ws = WebSocketDirection(direction, deflate=deflate, limits=limits)
    out = []
    for i, p in enumerate(pieces):
        no = i + 1 if no_per_piece else 1
        if gaps_rng is not None and gaps_rng.random() < 0.15:
            # A gap is what TCP lost between two segments: below 2**32 in practice; 2**48 stands for "huge"
            # (the compiled core counts bytes in signed 64-bit integers).
            n = gaps_rng.choice((1, 2, 3, 7, 100, 2 ** 16, 2 ** 40, 2 ** 48))
            out.extend(ws.gap(n, no))
        out.extend(ws.feed(p, no))
    out.extend(ws.finish())
    return ws, out


def target_ws(data: bytes) -> None:
    direction, deflate, gaps, cap, seed, stream = ws_config(data)
    limits = Limits(max_message=cap)
    rng = random.Random(seed)
    pieces = _pieces(stream, rng)
    ws, recs = _ws_run(direction, deflate, limits, pieces, random.Random(seed) if gaps else None, True)
    for r in recs:
        t = type(r)
        if t is Frame:
            check_frame(r, cap)
            check(r.direction == direction, "frame direction")
        elif t is Message:
            check_message(r, cap)
        else:
            check_note(r)
    check(ws.parser.frames == sum(1 for r in recs if type(r) is Frame), "parser frame count")
    if gaps:
        return
    # Where the stream was cut must not change what it means: the same bytes in one piece give the same
    # records (all fed as packet 1 so that `no` fields agree).
    _, whole = _ws_run(direction, deflate, limits, [stream], None, False)
    _, cut = _ws_run(direction, deflate, limits, pieces, None, False)
    check(whole == cut, f"cut-dependent result: {len(whole)} records whole vs {len(cut)} cut "
                        f"({_first_diff(whole, cut)})")


def _first_diff(a: list, b: list) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"record {i}: {x!r:.300} != {y!r:.300}"
    return "one is a prefix of the other"


# -------------------------------------------------------------------------------------------- target: http

def http_config(data: bytes):
    b0 = data[0] if len(data) > 0 else 0
    b1 = data[1] if len(data) > 1 else 0
    kind = "request" if b0 & 1 else "response"
    max_header = _HEADER_CAPS[(b0 >> 1) & 7]
    ops = bool(b0 & 16)
    return kind, max_header, ops, b1, bytes(data[2:])


def _http_check_records(recs, stream: HttpStream, where: str) -> None:
    for r in recs:
        check(type(r) in (HttpRequest, HttpResponse, HttpError), f"{where}record type {type(r).__name__}")
        if type(r) is HttpError:
            check(_CODE.fullmatch(r.code) is not None, f"{where}error code {r.code!r}")
            check(type(r.args) is dict and (r.code == "not-http" or note_id(f"http-{r.code}", r.args) in CATALOG),
                  f"{where}error {r.code} {r.args} without a sentence")
        else:
            check(r.header_len > 0 and r.offset >= 0, f"{where}head length/offset")
            check(r.header_len <= stream.max_header, f"{where}head of {r.header_len} bytes > max_header")
            for k, v in r.headers:
                check(isinstance(k, str) and isinstance(v, str), f"{where}header types")
            r.summary()
            if type(r) is HttpRequest:
                r.path, r.query, r.is_websocket_upgrade  # noqa: B018 -- properties must not raise
    if not stream.paused:
        # The header cap bounds what a stream holds while it parses (a paused stream holds what it is fed,
        # for the WebSocket parser to take).
        check(stream.buffered <= stream.max_header + 2,
              f"{where}holds {stream.buffered} bytes, more than max_header {stream.max_header}")


def _http_feed_all(kind, max_header, pieces) -> list:
    s = HttpStream(kind, max_header)
    out = []
    for p in pieces:
        out.extend(s.feed(p))
        _http_check_records(out, s, "")
        while s.paused:
            more = s.resume()
            out.extend(more)
            if not more:
                break
    out.extend(s.close())
    return out


def _http_key(r, max_header: int):
    if type(r) is HttpError:
        code = r.code
        if code in ("not-http", "header-too-large") and max_header < 64:
            # Under a header cap smaller than the 64 bytes the early "is this HTTP at all?" check looks at,
            # which of the two fires first depends on how much had arrived. Both are right.
            code = "not-http-or-too-large"
        return ("error", code, r.offset)
    return r


def target_http(data: bytes) -> None:
    kind, max_header, ops, seed, stream = http_config(data)
    rng = random.Random(seed)
    pieces = _pieces(stream, rng)
    if ops:
        s = HttpStream(kind, max_header)
        for p in pieces:
            op = rng.random()
            if op < 0.05:
                recs = s.gap(rng.choice((1, 5, 100, 2 ** 32)))
            elif op < 0.08:
                recs = s.close()
            elif op < 0.12:
                s.expect_response_to(rng.choice(("GET", "HEAD", "POST")))
                recs = []
            else:
                recs = []
            recs = recs + s.feed(p)
            if s.paused:
                if rng.random() < 0.5:
                    rest = s.take_rest()
                    check(type(rest) is bytes, "take_rest type")
                    check(s.buffered == 0, "take_rest left bytes behind")
                else:
                    recs += s.resume()
            _http_check_records(recs, s, "")
        _http_check_records(s.close(), s, "")
        return
    whole = _http_feed_all(kind, max_header, [stream])
    cut = _http_feed_all(kind, max_header, pieces)
    a = [_http_key(r, max_header) for r in whole]
    b = [_http_key(r, max_header) for r in cut]
    check(a == b, f"cut-dependent HTTP result: {_first_diff(a, b)}")


# ---------------------------------------------------------------------------------------- target: pipeline

SMALL_LIMITS = Limits(max_message=100, max_reorder=300, max_header=200, max_connections=2)
DECODE_AS_PORTS = (80, 8080, 9002, 8000, 8765, 5000)


def pipeline_options(data: bytes):
    """Limits and --decode-as ports for one capture, chosen from its bytes so a run can be replayed."""
    h = zlib.crc32(data)
    limits = SMALL_LIMITS if h & 1 else Limits()
    decode_as = DECODE_AS_PORTS if h & 6 == 6 else ()
    return limits, decode_as


def target_pipeline(data: bytes, limits: Optional[Limits] = None, decode_as=None, render: bool = True) -> int:
    """Read `data` as a capture file and analyse it all. Returns the number of packets read."""
    lim, das = pipeline_options(data)
    limits = limits or lim
    decode_as = das if decode_as is None else decode_as
    a = Analyzer(limits, decode_as=decode_as)
    # Chinese for one capture in two: the JSON writer words the labels and notes in it then.
    out = JsonLinesWriter(io.StringIO(), "zh" if zlib.crc32(data) & 8 else "en") if render else None
    n = 0
    it = iter_capture(io.BytesIO(data))
    try:
        for raw in it:
            n += 1
            check(type(raw) is RawPacket and raw.no == n, f"reader yielded {raw!r:.100} as packet {n}")
            check(type(raw.data) is bytes and raw.wirelen >= 0, f"packet {n}: data/wirelen")
            row = a.feed(raw)
            if row is not None:
                check_row(row, raw, limits)
                if out is not None:
                    out.row(row, a.connections.get(row.conn) if row.conn is not None else None)
    except CaptureError:
        pass                 # file-level: the only thing allowed to stop a run (exit 2, or a truncation warning)
    notes = a.finish()
    check(type(notes) is list, "finish() did not return a list")
    for nt in notes:
        check_note(nt, "finish: ")
    check(a.finish() == [], "a second finish() reported again")
    s = a.summary
    check(s.packets == n, f"summary counts {s.packets} packets, {n} were fed")
    check(s.tcp_packets + s.other_packets + s.malformed == n,
          f"summary: {s.tcp_packets} tcp + {s.other_packets} other + {s.malformed} malformed != {n}")
    check(len(a.tracker.conns) <= limits.max_connections, "more connections tracked than max_connections")
    if out is not None:
        out.end(a.end_frames, a.end_messages, notes)
        out.summary(s)
    return n


# -------------------------------------------------------------------------------------------------- seeds

def _frame(payload: bytes, opcode: int = 1, fin: bool = True, rsv: int = 0, mask: Optional[bytes] = None,
           form: Optional[int] = None) -> bytes:
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    m = 0x80 if mask else 0
    form = form if form is not None else (7 if n < 126 else 16 if n < 65536 else 64)
    if form == 7:
        head = bytes([b0, m | n])
    elif form == 16:
        head = bytes([b0, m | 126]) + struct.pack("!H", n)
    else:
        head = bytes([b0, m | 127]) + struct.pack("!Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


def _deflate_messages(msgs: List[bytes], takeover: bool = True, wbits: int = 15) -> List[bytes]:
    c = zlib.compressobj(9, zlib.DEFLATED, -wbits)
    out = []
    for m in msgs:
        if not takeover:
            c = zlib.compressobj(9, zlib.DEFLATED, -wbits)
        z = c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH)
        out.append(z[:-4] if z.endswith(b"\x00\x00\xff\xff") else z)
    return out


def ws_seeds() -> List[bytes]:
    """Valid (and a few deliberately odd) WebSocket streams, each with its config bytes."""
    K = b"\x37\xfa\x21\x3d"
    seeds = []
    client = (_frame(b"hello", mask=K) + _frame("hello 你好".encode(), mask=K) + _frame(bytes(range(16)), 2, mask=K)
              + _frame(b"ping", 9, mask=K) + _frame(b"\x03\xe8bye", 8, mask=K))
    seeds.append(bytes([0x01 | (3 << 5), 7, 0]) + client)
    server = (_frame(b"frag", 1, fin=False) + _frame(b"mented ", 0, fin=False) + _frame("text 你好".encode(), 0)
              + _frame(b"srv", 10) + _frame(b"x" * 300) + _frame(b"y" * 70000, 2) + _frame(b"\x03\xf1", 8))
    seeds.append(bytes([0x00 | (4 << 5), 9, 0]) + server)
    seeds.append(bytes([0x00 | (2 << 5), 3, 0]) + _frame(b"", 1, form=64) + _frame(b"ab", 1, form=16)
                 + _frame(b"\xff\xfe", 1) + _frame(b"\x03", 8))
    msgs = [b'{"n":1,"text":"' + b"a" * 120 + b'"}', b'{"n":2,"text":"aaaa"}', b"z" * 5000]
    comp = _deflate_messages(msgs)
    s = b"".join(_frame(z, 1, rsv=4) for z in comp[:2]) + _frame(comp[2][:10], 2, fin=False, rsv=4) + \
        _frame(comp[2][10:], 0) + _frame(b"\x03\xe8", 8)
    seeds.append(bytes([0x02 | (5 << 5), 11, 7 | (7 << 3)]) + s)
    comp_c = _deflate_messages(msgs, takeover=False)
    s = b"".join(_frame(z, 1, rsv=4, mask=K) for z in comp_c)
    seeds.append(bytes([0x01 | 0x02 | 0x08 | (2 << 5), 5, 63]) + s)
    # A small bomb: 64 KB of zeros in a few dozen bytes, under a small cap.
    bomb = _deflate_messages([b"\0" * 65536])[0]
    seeds.append(bytes([0x02 | (2 << 5), 1, 63]) + _frame(bomb, 2, rsv=4) + _frame(b"after", 1))
    seeds.append(bytes([0x10 | (4 << 5), 2, 0]) + server)            # gaps mode
    seeds.append(bytes([0x00, 0, 0]) + b"\x82\x7f\x80\0\0\0\0\0\0\0" + b"tail")   # 2^63 length
    seeds.append(bytes([0x00, 0, 0]) + b"\x82\x7f\x7f\xff\xff\xff\xff\xff\xff\xff" + b"x" * 100)
    return seeds


def http_seeds() -> List[bytes]:
    req = (b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n\x81\x85abcdXXXXX")
    resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x05hello")
    refused = (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\nSec-WebSocket-Version: 13\r\n\r\nnope!"
               b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"
               b"HTTP/1.0 304 Not Modified\n\nHTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc"
               b"HTTP/1.1 200 OK\r\nServer: x\r\n  folded\r\n\r\nbody until close")
    keepalive = (b"\r\nPOST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd"
                 b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"
                 b"PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + req)
    return [bytes([0x01 | (5 << 1), 3]) + req, bytes([0x00 | (5 << 1), 4]) + resp,
            bytes([0x00 | (4 << 1), 9]) + refused, bytes([0x01 | (5 << 1), 1]) + keepalive,
            bytes([0x11 | (2 << 1), 2]) + keepalive, bytes([0x10 | (4 << 1), 5]) + refused,
            bytes([0x00 | (2 << 1), 6]) + resp, bytes([0x01, 0]) + req]


# captures/busy.pcap (1 MB, 1,500 packets cut from a benchmark capture) is no seed: mutating it would slow every run,
# and the small recorded captures reach the same paths.
NOT_SEEDS = ("busy.pcap",)


def capture_files() -> List[Path]:
    files = sorted((ROOT / "captures").glob("*.pcap")) + sorted((ROOT.parent / "shared" / "captures").glob("*.pcap"))
    return [f for f in files if f.name not in NOT_SEEDS]


def _to_pcapng(data: bytes, big_endian: bool) -> bytes:
    import pcapbuild
    pkts = list(iter_capture(io.BytesIO(data)))
    if not pkts:
        return b""
    lt = pkts[0].linktype
    return pcapbuild.pcapng_bytes([(p.ts, p.data) for p in pkts], interfaces=((lt, 9 if big_endian else None),),
                                  big_endian=big_endian)


def _synthetic_captures() -> List[bytes]:
    """A few hand-made conversations: deflate, out-of-order data, IPv6 on SLL2, many connections."""
    import pcapbuild
    try:
        from sessionbuild import Session, raw_frame
    except ImportError:           # wsproto missing: the bundled captures still seed the run
        return []
    out = []
    s = Session()
    s.websocket_handshake(extensions_offer="permessage-deflate", extensions="permessage-deflate")
    comp = _deflate_messages([b"hello " * 50, b"hello " * 51])
    for z in comp:
        s.send(C2S, raw_frame(z, rsv1=True, mask=b"\1\2\3\4"), pieces=[3])
    s.send(S2C, raw_frame(b"x" * 200, opcode=2))
    s.teardown()
    out.append(s.pcap())
    out.append(s.pcap(order=[0, 1, 2, 3, 4, 5, 6, 8, 7, 10, 9, 11, 12, 13] + list(range(14, len(s.items)))))
    s = Session(client=("fd00::1", 40000), server=("fd00::2", 8080), ipv6=True, linktype=101)
    s.websocket_handshake()
    s.send(C2S, raw_frame(b"ping", opcode=9, mask=b"abcd"))
    s.send(S2C, raw_frame(b"ping", opcode=10))
    s.seg(S2C, "RA")
    out.append(s.pcap())
    pk = []
    for i in range(4):
        s = Session(client=("10.0.0.%d" % (i + 1), 50000 + i))
        s.websocket_handshake()
        pk.extend(s.items)
    pk.sort()
    out.append(pcapbuild.pcap_bytes(pk))
    return out


def pipeline_seeds() -> List[bytes]:
    seeds = [p.read_bytes() for p in capture_files()]
    seeds += [_to_pcapng(d, i % 2 == 1) for i, d in enumerate(seeds[:6])]
    seeds += _synthetic_captures()
    return [s for s in seeds if s]


# ---------------------------------------------------------------------------------------------- mutators

_INTERESTING8 = (0, 1, 0x7E, 0x7F, 0x80, 0x81, 0xFF, 0x0D, 0x0A, 0x20, 0x3A)
_INTERESTING_BE = (b"\0\0", b"\xff\xff", b"\x00\x7d", b"\x00\x7e", b"\xff\xff\xff\xff", b"\x80\0\0\0\0\0\0\0",
                   b"\x7f\xff\xff\xff\xff\xff\xff\xff", b"\0\0\0\0\0\0\0\0", b"\0\0\0\0\0\1\0\0")
_TOKENS = (b"\r\n", b"\r\n\r\n", b"\n", b": ", b"HTTP/1.1 ", b"GET / HTTP/1.1\r\n", b"Content-Length: ",
           b"Transfer-Encoding: chunked\r\n", b"Upgrade: websocket\r\n", b"Connection: Upgrade\r\n", b"0\r\n\r\n",
           b"\x81\xfe", b"\x82\xff", b"\xc1\x85", b"\x88\x80", b"\x00\x00\xff\xff", b";", b",")


def mutate_bytes(data: bytes, rng: random.Random, pool: List[bytes], protect: int = 0) -> bytes:
    """One to a few libFuzzer-style edits. The first `protect` bytes (config) only get bit flips."""
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 5))):
        n = len(b)
        op = rng.randrange(10)
        if n == 0:
            b += rng.randbytes(rng.randint(1, 8))
            continue
        i = rng.randrange(n)
        if i < protect and op > 1:
            i = min(n - 1, protect + rng.randrange(max(1, n - protect)))
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.randrange(256)
        elif op == 2:
            b[i] = rng.choice(_INTERESTING8)
        elif op == 3:
            v = rng.choice(_INTERESTING_BE)
            b[i:i + len(v)] = v
        elif op == 4:
            del b[i:i + rng.randint(1, 16)]
        elif op == 5:
            b[i:i] = rng.randbytes(rng.randint(1, 8))
        elif op == 6:
            j = rng.randrange(n)
            k = rng.randint(1, 64)
            b[i:i] = b[j:j + k]
        elif op == 7:
            b[i:i] = rng.choice(_TOKENS)
        elif op == 8 and pool:
            other = rng.choice(pool)
            if other:
                j = rng.randrange(len(other))
                b[i:] = other[j:j + rng.randint(1, 400)] + b[i:i + rng.randint(0, 400)]
        else:
            del b[max(protect, i):]
    return bytes(b)


# -- capture files, record by record

def split_capture(data: bytes):
    """(file header, [records], trailing bytes, byte order, kind) for a pcap or pcapng file; None if neither."""
    if len(data) < 24:
        return None
    magic = struct.unpack_from("<I", data)[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D, 0xD4C3B2A1, 0x4D3CB2A1):
        o = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        recs, pos = [], 24
        while pos + 16 <= len(data):
            caplen = struct.unpack_from(o + "I", data, pos + 8)[0]
            if pos + 16 + caplen > len(data):
                break
            recs.append(data[pos:pos + 16 + caplen])
            pos += 16 + caplen
        return data[:24], recs, data[pos:], o, "pcap"
    if magic == 0x0A0D0D0A:
        o = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        blocks, pos = [], 0
        while pos + 12 <= len(data):
            blen = struct.unpack_from(o + "I", data, pos + 4)[0]
            if blen < 12 or pos + blen > len(data):
                break
            blocks.append(data[pos:pos + blen])
            pos += blen
        if not blocks:
            return None
        return b"", blocks, data[pos:], o, "pcapng"
    return None


def _set_u32(rec: bytes, at: int, value: int, o: str) -> bytes:
    if at + 4 > len(rec):
        return rec
    return rec[:at] + struct.pack(o + "I", value & 0xFFFFFFFF) + rec[at + 4:]


def mutate_capture(data: bytes, rng: random.Random, pool: List[bytes]) -> bytes:
    """Record-aware edits (duplicate, swap, drop, lengths to 0 or 2^32-1, truncation), else byte edits."""
    parts = split_capture(data)
    if parts is None or rng.random() < 0.3:
        return mutate_bytes(data, rng, pool, protect=4)
    head, recs, tail, o, kind = parts
    recs = list(recs)
    for _ in range(rng.choice((1, 1, 2, 3))):
        if not recs:
            break
        op = rng.randrange(11)
        i = rng.randrange(len(recs))
        # In pcapng the first blocks (SHB, IDB) are rarely worth disturbing; aim at packets mostly.
        if kind == "pcapng" and i < 2 and len(recs) > 2 and rng.random() < 0.8:
            i = rng.randrange(2, len(recs))
        if not recs[i]:             # after the re-pick too: an emptied record has no byte to flip
            continue
        if op == 0:
            recs.insert(i, recs[i])                                   # duplicated record
        elif op == 1:
            j = rng.randrange(len(recs))
            recs[i], recs[j] = recs[j], recs[i]                       # swapped records
        elif op == 2:
            del recs[i]                                               # dropped record
        elif op in (3, 4):
            value = rng.choice((0, 0xFFFFFFFF, 0, 0xFFFFFFFF, rng.randrange(1 << 32), len(recs[i]) + 1,
                                max(len(recs[i]) - 17, 0)))
            if kind == "pcap":
                at = 8 if op == 3 else 12                             # caplen / wirelen
            else:
                at = rng.choice((4, 20, 24)) if op == 3 else len(recs[i]) - 4
            recs[i] = _set_u32(recs[i], at, value, o)
        elif op == 5:
            r = bytearray(recs[i])                                    # bit flips inside one record
            for _ in range(rng.randint(1, 4)):
                r[rng.randrange(len(r))] ^= 1 << rng.randrange(8)
            recs[i] = bytes(r)
        elif op == 6:
            recs[i] = recs[i][:rng.randrange(len(recs[i]) + 1)]      # record cut short (lengths now lie)
        elif op == 7:
            # Payload edit that keeps the record consistent: the packets still decode, the stream changes.
            r = recs[i]
            hdr = 16 if kind == "pcap" else 28
            if len(r) > hdr + 54:
                body = mutate_bytes(r[hdr + 54:], rng, pool)
                r = r[:hdr] + r[hdr:hdr + 54] + body
                if kind == "pcap":
                    r = _set_u32(_set_u32(r, 8, len(r) - 16, o), 12, len(r) - 16, o)
                    recs[i] = r
        elif op == 8:
            other = rng.choice(pool)
            op2 = split_capture(other) if other else None
            if op2 and op2[1] and op2[4] == kind:
                recs.insert(i, rng.choice(op2[1]))                   # a record from another capture
        elif op == 9:
            recs = recs[:i]                                           # truncated at a record boundary
        else:
            j = min(len(recs), i + rng.randint(2, 6))
            seg = recs[i:j]
            rng.shuffle(seg)
            recs[i:j] = seg                                           # local reordering
    out = head + b"".join(recs) + tail
    if rng.random() < 0.1:
        out = out[:rng.randrange(len(out) + 1)]                       # truncated anywhere
    return out


def hostile_captures(count: int = 3000, seed: int = 11, local_corpus: bool = True) -> Iterator[tuple]:
    """(name, capture bytes): the pipeline seeds and `count` mutations of them, made here (a fresh clone has no
    corpus), then, with local_corpus, whatever a long fuzz run left in tests/fuzz/corpus/pipeline (gitignored) on
    this machine (any number: tests that run a command per capture leave it out). For tests that compare two
    ways of analysing the same hostile input."""
    rng = random.Random(seed)
    seeds = pipeline_seeds()
    for i, data in enumerate(seeds):
        yield f"seed {i}", data
    for i in range(count):
        data = rng.choice(seeds)
        for _ in range(rng.choice((1, 2, 3))):
            data = mutate_capture(data, rng, seeds)
        yield f"mutation {i}", data
    if local_corpus:
        for path in sorted((HERE / "corpus" / "pipeline").glob("*")):
            yield str(path), path.read_bytes()


# -------------------------------------------------------------------------------------------- target: mqtt

_MQTT_KINDS = {"connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "suback",
               "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect", "auth", "partial", "invalid"}


def _mqtt_run(pieces: List[bytes], v5: bool, split: bool):
    """(decoder, records, end notes) of the MQTT decoder fed `pieces` as binary messages (directions in turn when
    `split`, else all from the client), all as packet 1 at time 1 so that pairing fields agree."""
    from wsdissect import app
    dec = app.make("mqtt")
    if v5:
        dec.level = 5
    recs = []
    for i, p in enumerate(pieces):
        d = S2C if split and i % 2 else C2S
        recs += dec.feed(Message(0, d, 2, 1, 1, 1, False, len(p), len(p), p, None, False), 1.0)
    return dec, recs, dec.finish()


def _mqtt_check(dec, recs, end) -> None:
    import json
    from wsdissect.app import AppRecord, describe
    from wsdissect.app.mqtt import MQTT_PACKET_MAX
    from wsdissect.i18n import catalog, note_text
    worded = set()
    for r in recs:
        check(type(r) is AppRecord and r.protocol == "mqtt", f"record type {type(r).__name__}")
        check(r.kind in _MQTT_KINDS, f"record kind {r.kind!r}")
        json.dumps(r.as_dict())
        if r.notes or (r.kind, tuple(r.fields)) not in worded:     # each shape of record once: words are slow
            worded.add((r.kind, tuple(r.fields)))
            for lang in ("en", "zh"):
                check(bool(describe(r, catalog(lang))), "a record without words")
        for n in r.notes:
            check(n.code != "app-internal", f"decoder failed: {n.args}")
            check(n.severity in SEVERITIES and _CODE.fullmatch(n.code) is not None, f"note {n.code!r}")
            note_text(n.code, n.args, "en")
            note_text(n.code, n.args, "zh")
    for n in end:
        note_text(n.code, n.args, "zh")
    for d in (C2S, S2C):
        check(len(dec.buf[d]) <= MQTT_PACKET_MAX + 5, f"{len(dec.buf[d])} bytes buffered, past MQTT_PACKET_MAX")
        check(not dec.buf[d] and not dec.skip[d], "finish() left bytes behind")


def _mqtt_key(recs) -> list:
    return [(r.kind, r.fields, [n.code for n in r.notes], r.reply_to) for r in recs if r.kind != "partial"]


def target_mqtt(data: bytes) -> None:
    b0 = data[0] if data else 0
    v5, split, seed = bool(b0 & 1), bool(b0 & 2), b0 >> 2
    stream = bytes(data[1:])
    pieces = _pieces(stream, random.Random(seed))
    dec, cut, end = _mqtt_run(pieces, v5, split)
    _mqtt_check(dec, cut, end)
    if split:
        return
    # Where the messages end must not change the packets, unless a bad remaining length lost the stream (reading
    # resumes at the next message, which depends on where they end).
    _, whole, _ = _mqtt_run([stream], v5, False)
    if any(n.args.get("variant") == "remaining-length" for r in whole + cut for n in r.notes):
        return
    a, b = _mqtt_key(whole), _mqtt_key(cut)
    check(a == b, f"cut-dependent MQTT result: {_first_diff(a, b)}")


def mqtt_seeds() -> List[bytes]:
    import mqttbuild as mb
    v3 = [mb.connect("lab", will=("w", b"x", 1, True), username="u", password="p"), mb.connack(0),
          mb.subscribe(1, [("a/#", 1), ("b", 2)]), mb.suback(1, [1, 0x80]), mb.publish("a/1", "21.5", qos=1, pid=7),
          mb.ack(4, 7), mb.publish("b", b"\xff", qos=2, pid=8, retain=True), mb.ack(5, 8), mb.ack(6, 8),
          mb.ack(7, 8), mb.unsubscribe(2, ["b"]), mb.unsuback(2), mb.PINGREQ, mb.PINGRESP, mb.disconnect()]
    props = mb.props((0x03, mb.s("text/plain")), (0x23, b"\x00\x03"), (0x26, mb.s("k") + mb.s("v")),
                     (0x0B, mb.varint(300)), (0x16, mb.s(b"secret")))
    v5 = [mb.connect("v5", level=5, properties=props), mb.connack(0x87, level=5, properties=props),
          mb.subscribe(1, [("a/+", 0x2D)], level=5), mb.suback(1, [0x01, 0x8F], level=5),
          mb.publish("a/b", "x", qos=1, pid=1, level=5, properties=props), mb.ack(4, 1, code=0x10, level=5),
          mb.unsuback(2, [0x00, 0x11], level=5), mb.auth(), mb.disconnect(0x8E, level=5)]
    bad = [b"\x30\xff\xff\xff\xff\x01", b"\x12\x00", mb.packet(3, 6, mb.s("t")), b"\x00\x00",
           mb.packet(12, 0, b"xyz"), b"\x30\xff\xff\xff\x7f" + b"x" * 20]
    return [bytes([0x00]) + b"".join(v3), bytes([0x06]) + b"".join(v3), bytes([0x01]) + b"".join(v5),
            bytes([0x0B]) + b"".join(v5), bytes([0x00]) + b"".join(bad), bytes([0x01]) + b"".join(v5 + bad),
            bytes([0x04]) + b"".join(p[:len(p) // 2] for p in v3)]


# --------------------------------------------------------------------------------------------- target: tls

_TLS_KEYS: dict = {}


def _tls_keylogs(which: int):
    """(the right key log, a wrong one) of the which-th recorded wss conversation (tlsbuild.SUITES + SCENES):
    the wrong one has the same client randoms and every secret's last byte flipped."""
    import tlsbuild
    from wsdissect.tls import parse_keylog
    names = tlsbuild.SUITES + tlsbuild.SCENES
    name = names[which % len(names)]
    if name not in _TLS_KEYS:
        text = Path(tlsbuild.keys(name)).read_text()
        wrong = "\n".join(line[:-2] + f"{int(line[-2:], 16) ^ 0xff:02x}" if line and line[0] != "#" else line
                          for line in text.splitlines())
        _TLS_KEYS[name] = (parse_keylog(text), parse_keylog(wrong))
    return _TLS_KEYS[name]


def _tls_chunks(stream: bytes) -> list:
    """(direction, bytes or a gap size) of the chunk layout: a direction byte (bit 0: s2c; bit 1 with bit 2: a
    gap of the chunk's length), a 2-byte length, the bytes."""
    out, i = [], 0
    while i + 3 <= len(stream):
        d = S2C if stream[i] & 1 else C2S
        n = int.from_bytes(stream[i + 1:i + 3], "big")
        body = stream[i + 3:i + 3 + n]
        i += 3 + n
        out.append((d, len(body) or 1) if stream[i - 3 - n] & 6 == 6 else (d, body))
    return out


def _tls_run(keylog, chunks, rng: Optional[random.Random]) -> list:
    from wsdissect.tls import TlsRecord, TlsSession
    sess = TlsSession(keylog)
    events: list = []
    for k, (d, data) in enumerate(chunks):
        if type(data) is int:
            events += sess.gap(d, data)
            continue
        for piece in (_pieces(data, rng) if rng is not None else [data]):
            evs = sess.feed(d, piece, k, float(k))
            check(type(evs) is list, f"feed returned {type(evs).__name__}")
            events += evs
    for ev in events:
        if type(ev) is TlsRecord:
            check(ev.direction in (C2S, S2C) and ev.index >= 1 and 0 <= ev.length <= 16384 + 2048,
                  f"record {ev!r:.200}")
            check(ev.data is None or (type(ev.data) is bytes and ev.decrypted), f"record data {ev!r:.200}")
            continue
        check(type(ev) is tuple and len(ev) == 3, f"event {ev!r:.200}")
        sev, code, args = ev
        check(sev in SEVERITIES and _CODE.fullmatch(code) is not None, f"note {ev!r:.200}")
        check_note(Note(None, None, sev, code, args), "tls: ")
    check(isinstance(sess.summary(), dict), "summary")
    return events


def _tls_key(events) -> list:
    from wsdissect.tls import TlsRecord
    return [(e.direction, e.index, e.kind, e.decrypted, e.data, e.length) if type(e) is TlsRecord
            else (e[0], e[1]) for e in events]


def target_tls(data: bytes) -> None:
    b0 = data[0] if data else 0
    right, wrong = _tls_keylogs(b0 & 31)
    keylog = (right, right, wrong, None)[b0 >> 5 & 3]
    chunks = _tls_chunks(bytes(data[1:]))
    whole = _tls_run(keylog, chunks, None)
    if b0 & 0x80:
        # The records, their decryption and the notes do not depend on where the TCP segments ended (the
        # packet numbers do: origins are not compared).
        cut = _tls_run(keylog, chunks, random.Random(b0))
        a, b = _tls_key(whole), _tls_key(cut)
        check(a == b, f"cut-dependent TLS result: {_first_diff(a, b)}")


def tls_seeds() -> List[bytes]:
    """Each recorded conversation in the chunk layout, each with its keys, and a few with none or wrong ones."""
    import tlsbuild
    names = tlsbuild.SUITES + tlsbuild.SCENES
    out = []
    for i, name in enumerate(names):
        body = b"".join(bytes([0 if d == C2S else 1]) + len(p).to_bytes(2, "big") + p
                        for d, p in tlsbuild.payloads(name))
        out.append(bytes([i | 0x80]) + body)
        if i % 4 == 0:
            out.append(bytes([i | 0x40]) + body)          # wrong keys
            out.append(bytes([i | 0x60]) + body)          # none
    return out


# ------------------------------------------------------------------------------------------------ the loop

TARGETS = {
    "ws": (target_ws, ws_seeds, lambda d, rng, pool: mutate_bytes(d, rng, pool, protect=3)),
    "http": (target_http, http_seeds, lambda d, rng, pool: mutate_bytes(d, rng, pool, protect=2)),
    "pipeline": (target_pipeline, pipeline_seeds, mutate_capture),
    "mqtt": (target_mqtt, mqtt_seeds, lambda d, rng, pool: mutate_bytes(d, rng, pool, protect=1)),
    "tls": (target_tls, tls_seeds, lambda d, rng, pool: mutate_bytes(d, rng, pool, protect=1)),
}


def inputs(name: str, seed: int, pool: Optional[List[bytes]] = None) -> Iterator[bytes]:
    """An endless, reproducible stream of inputs for target `name`: the seeds first, then mutants of the
    seeds and of earlier mutants (a small rolling corpus, so edits can stack)."""
    _, make_seeds, mutate = TARGETS[name]
    seeds = list(pool) if pool is not None else make_seeds()
    yield from seeds
    rng = random.Random(seed)
    corpus = list(seeds)
    while True:
        parent = rng.choice(corpus)
        child = mutate(parent, rng, corpus)
        if len(child) > 200_000:
            child = child[:200_000]
        yield child
        if rng.random() < 0.05:
            if len(corpus) < 64 + len(seeds):
                corpus.append(child)
            else:
                corpus[rng.randrange(len(seeds), len(corpus))] = child


def run_loop(name: str, *, count: Optional[int] = None, seconds: Optional[float] = None, seed: int = 0,
             on_failure: Optional[Callable[[bytes, BaseException], None]] = None, stop_on_failure: bool = True):
    """Run target `name` on `count` inputs (or for `seconds`). Returns (inputs executed, failures)."""
    import time
    target = TARGETS[name][0]
    deadline = time.monotonic() + seconds if seconds else None
    executed = 0
    failures = []
    for data in inputs(name, seed):
        if count is not None and executed >= count:
            break
        if deadline is not None and executed % 64 == 0 and time.monotonic() > deadline:
            break
        executed += 1
        try:
            target(data)
        except Exception as e:  # noqa: BLE001 -- a fuzzer collects every kind of failure
            failures.append((data, e))
            if on_failure:
                on_failure(data, e)
            if stop_on_failure:
                break
    return executed, failures


def replay_pipeline_unguarded(data: bytes, limits: Optional[Limits] = None, decode_as=None) -> None:
    """Like target_pipeline, but calls the analyzer's per-segment step directly so that an exception that
    Analyzer.feed would turn into a 'malformed: internal error' note shows its traceback (debugging aid)."""
    from wsdissect.decode import DecodeError, decode_packet
    lim, das = pipeline_options(data)
    a = Analyzer(limits or lim, decode_as=das if decode_as is None else decode_as)
    try:
        for raw in iter_capture(io.BytesIO(data)):
            try:
                seg = decode_packet(raw)
            except DecodeError:
                continue
            if seg is not None:
                a._segment(seg)
    except CaptureError:
        pass
    a.finish()


__all__ = ["TARGETS", "target_ws", "target_http", "target_pipeline", "target_mqtt", "target_tls", "mqtt_seeds", "run_loop",
           "inputs", "mutate_bytes", "mutate_capture", "split_capture", "pipeline_seeds", "hostile_captures", "ws_seeds", "http_seeds", "FuzzFailure",
           "replay_pipeline_unguarded", "capture_files", "check_row", "SMALL_LIMITS", "replace"]
