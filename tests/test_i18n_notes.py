"""--lang for notes (Wireshark's expert info): every note the code base can write has a sentence in the i18n catalog
(note.<code>[.<variant>]), a note is a code and the parameters of that sentence (no words of its own, whatever the
analyzer's language), and with --lang zh the views write the notes in Chinese (timeline, JSON and summary), codes
unchanged."""
import glob
import json
import os
import re
import subprocess
import sys
import zlib

import pytest

from conftest import BUNDLED, ROOT, SHARED, SHARED_DIR
import tlsbuild
from sessionbuild import Session, analyze, raw_frame, upgrade_response
from test_app import app_notes
from wsdissect.analyzer import Analyzer
from wsdissect.http import HttpStream, check_handshake
from wsdissect.i18n import CATALOG, LANGS, catalog, note_id, note_text
from wsdissect.limits import Limits
from wsdissect.model import C2S, S2C, DeflateParams, Note, RawPacket
from wsdissect.sources.live import LiveCapture
from wsdissect.sources.pcap import open_capture
from wsdissect.websocket import WebSocketDirection

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
PKG = os.path.join(ROOT, "wsdissect")
MASK = b"\x11\x22\x33\x44"

# Codes that have no note.* sentence, on purpose: an HttpError "not-http" never becomes a note (the analyzer gives
# the tls / no-handshake hint).
NOT_NOTE_SENTENCES = {"not-http"}


# -- every code the source can write --------------------------------------------------------------------------
def _codes_in_source() -> set:
    codes = set()
    for path in glob.glob(os.path.join(PKG, "**", "*.py"), recursive=True):
        if path.endswith(os.sep + "i18n.py") or os.sep + "render" + os.sep in path:
            continue            # the catalog and the renderers write no notes (and name severities as words)
        src = open(path, encoding="utf-8").read()
        # Note(..., "severity", "code", ...), (severity, "code", text, args) tuples, self._note(..., "sev", "code"
        codes |= set(re.findall(r'"(?:chat|note|warning|error)",\s*"([a-z0-9]+(?:-[a-z0-9]+)*)"', src))
        codes |= set(re.findall(r'\(severity,\s*"([a-z0-9]+(?:-[a-z0-9]+)*)"', src))
        if path.endswith(os.sep + "http.py"):
            # HttpError codes (note http-<code>): _fail(out, "code", offset...) and HttpError("code", offset...)
            codes |= {"http-" + c for c in re.findall(
                r'[(,]\s*"([a-z]+(?:-[a-z]+)*)",\s*(?:self\._pos|msg\.offset|offset)\b', src)}
    return codes - {"chat", "note", "warning", "error"}      # severities in tuples of them


def _note_ids() -> set:
    return {k for k in CATALOG if k.startswith("note.")}


def test_every_note_code_in_the_source_has_a_sentence():
    codes = _codes_in_source()
    # The scan itself works: codes from each kind of creation site are found.
    assert {"tcp-missing-bytes", "upgrade-refused", "bad-accept", "unmasked-client-frame", "gap-in-header",
            "close-without-close-frame", "tls", "cap-connections", "capture-truncated", "capture-drops",
            "http-gap", "http-bad-header", "http-not-http", "malformed"} <= codes, codes
    ids = _note_ids()
    for code in codes - NOT_NOTE_SENTENCES - {"http-not-http"}:
        key = "note." + code.replace("-", "_")
        assert key in ids or any(i.startswith(key + ".") for i in ids), f"{code}: no {key} in the i18n catalog"
    # ...and no sentence is left over for a code nothing writes.
    written = {"note." + c.replace("-", "_") for c in codes}
    for key in ids:
        assert key in written or key.rsplit(".", 1)[0] in written, f"{key}: no note has this code"


# -- crafted notes from each core -----------------------------------------------------------------------------
def _ws(direction, chunks, *, deflate=None, limits=Limits(), finish=True):
    """Notes of a WebSocketDirection fed `chunks` (bytes, or an int for a gap)."""
    ws = WebSocketDirection(direction, deflate=deflate, limits=limits)
    out = []
    for i, c in enumerate(chunks, 1):
        out += ws.gap(c, i) if isinstance(c, int) else ws.feed(c, i)
    if finish:
        out += ws.finish()
    return [r for r in out if type(r) is Note]


def _deflated(data: bytes, comp=None) -> bytes:
    comp = comp or zlib.compressobj(6, zlib.DEFLATED, -15)
    body = comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)
    assert body.endswith(b"\x00\x00\xff\xff")
    return body[:-4]


def _head(kind, data, max_header=64 * 1024):
    [rec] = HttpStream(kind, max_header).feed(data)
    return rec


def _http(kind, data, *, gap=None, close=False, max_header=64 * 1024):
    s = HttpStream(kind, max_header)
    recs = s.feed(data)
    if gap:
        recs += s.gap(gap)
    if close:
        recs += s.close()
    return [Note(None, None, "warning", "http-" + r.code, r.args)
            for r in recs if type(r).__name__ == "HttpError"]


def _hs(req: bytes, resp: bytes):
    hs = check_handshake(_head("request", req), _head("response", resp))
    return [Note(None, None, sev, code, args) for sev, code, args in hs.notes]


def _req(*lines, method="GET", version="13", key="dGhlIHNhbXBsZSBub25jZQ==", upgrade=True):
    head = [f"{method} /chat HTTP/1.1", "Host: x"]
    if upgrade:
        head += ["Upgrade: websocket", "Connection: Upgrade"]
    if key is not None:
        head.append(f"Sec-WebSocket-Key: {key}")
    if version is not None:
        head.append(f"Sec-WebSocket-Version: {version}")
    return ("\r\n".join(head + list(lines)) + "\r\n\r\n").encode()


def _resp(*lines, status="101 Switching Protocols", upgrade=True, connection=True,
          accept="s3pPLMBiTxaQ9kYGzzhZRbK+xOo="):
    head = [f"HTTP/1.1 {status}"]
    if upgrade:
        head.append("Upgrade: websocket")
    if connection:
        head.append("Connection: Upgrade")
    if accept is not None:
        head.append(f"Sec-WebSocket-Accept: {accept}")
    return ("\r\n".join(head + list(lines)) + "\r\n\r\n").encode()


def _websocket_notes() -> list:
    deflate = DeflateParams()
    big = b"x" * 40
    notes = []
    notes += _ws(C2S, [raw_frame(b"hi")])                                                  # unmasked client
    notes += _ws(S2C, [raw_frame(b"hi", mask=MASK)])                                       # masked server
    notes += _ws(C2S, [raw_frame(b"\x03\xe8", opcode=8, mask=MASK), raw_frame(b"x", mask=MASK)])
    notes += _ws(C2S, [raw_frame(b"", opcode=0xB, mask=MASK), raw_frame(b"", opcode=0x3, mask=MASK)])
    notes += _ws(C2S, [raw_frame(b"p" * 126, opcode=9, mask=MASK), raw_frame(b"", opcode=9, fin=False, mask=MASK)])
    notes += _ws(S2C, [raw_frame(b"\x03", opcode=8)])                                      # 1-byte close
    notes += _ws(S2C, [raw_frame(b"\x03\xed", opcode=8)])                                  # 1005 sent
    notes += _ws(S2C, [raw_frame(b"\x03\xe8\xff", opcode=8)])                              # reason not UTF-8
    close = raw_frame(b"\x03\xe8bye", opcode=8)
    notes += _ws(S2C, [close[:4], 2, close[6:]])                                           # close bytes lost
    notes += _ws(S2C, [raw_frame(b"more", opcode=0)])                                      # continuation
    notes += _ws(S2C, [raw_frame(b"a", fin=False), raw_frame(b"b", opcode=2)])             # interleaved
    notes += _ws(S2C, [raw_frame(b"a", rsv1=True)])                                        # RSV1, no extension
    notes += _ws(S2C, [raw_frame(b"", opcode=9, rsv1=True)], deflate=deflate)              # RSV1 on a ping
    notes += _ws(S2C, [bytes([0x80 | 0x20 | 0x10 | 1, 0])])                                # RSV2 + RSV3
    notes += _ws(S2C, [raw_frame(b"\xff")])                                                # text not UTF-8
    notes += _ws(S2C, [raw_frame(b"a", fin=False)])                                        # unfinished message
    frame = raw_frame(b"0123456789", opcode=2)
    notes += _ws(S2C, [frame[:4], 3, frame[7:]])                                           # gap in a payload
    notes += _ws(S2C, [frame[:4], 30])                                                     # past the frame
    notes += _ws(S2C, [frame[:1], 5])                                                      # inside a header
    notes += _ws(S2C, [5])                                                                 # where one was due
    notes += _ws(S2C, [frame[:5]])                                                         # ends in a payload
    notes += _ws(S2C, [frame[:1]])                                                         # ends in a header
    notes += _ws(S2C, [bytes([0x82, 126, 0, 5]) + b"12345"])                               # 16-bit form for 5
    notes += _ws(S2C, [bytes([0x82, 127]) + (5).to_bytes(8, "big") + b"12345",
                       bytes([0x82, 127]) + (200).to_bytes(8, "big") + b"y" * 200])        # 64-bit forms
    notes += _ws(S2C, [bytes([0x82, 127]) + (1 << 63).to_bytes(8, "big")])                 # MSB set
    notes += _ws(S2C, [raw_frame(big)], limits=Limits(max_message=16))                     # frame + message cap
    notes += _ws(S2C, [raw_frame(_deflated(big * 4), rsv1=True)], deflate=deflate,
                 limits=Limits(max_message=16))                                            # compressed, capped
    squeezed = raw_frame(_deflated(b"hello hello hello"), rsv1=True)
    notes += _ws(S2C, [squeezed[:3], 2, squeezed[5:]], deflate=deflate)                    # gap, context lost
    notes += _ws(S2C, [raw_frame(b"\xff\xff\xff\xff", rsv1=True)], deflate=deflate)       # zlib says no
    return notes


def _http_notes() -> list:
    notes = []
    notes += _http("request", b"GET / HTTP/1.1\r\nHo", gap=5)
    notes += _http("request", b"GET / HTTP/1.1\r\nHo", close=True)
    notes += _http("response", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", close=True)
    notes += _http("response", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", close=True)
    notes += _http("request", b"GET / HTTP/1.1\r\nX: " + b"y" * 200, max_header=64)
    notes += _http("response", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " + b"y" * 200,
                   max_header=64)
    notes += _http("request", b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")
    notes += _http("request", b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n")
    notes += _http("response", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 100,
                   max_header=64)
    notes += _http("response", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    notes += _http("response", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX")
    notes += _http("request", b"GET / HTTP/1.1\r\n folded\r\n\r\n")
    notes += _http("request", b"GET / HTTP/1.1\r\nNoColon\r\n\r\n")
    notes += _http("request", b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")
    notes += _http("request", b"GET / HTTP/2.0\r\n\r\n")
    notes += _http("response", b"HTTP/3.0 200 OK\r\n\r\n")
    return notes


def _handshake_notes() -> list:
    notes = []
    notes += _hs(_req(method="POST", key=None, version=None), _resp(status="400 Bad Request"))
    notes += _hs(_req(key="short", version="8"), _resp("Sec-WebSocket-Version: 13", status="426 Upgrade Required"))
    notes += _hs(_req(), _resp(upgrade=False, connection=False, accept=None))
    notes += _hs(_req(), _resp(accept="AAAA"))
    notes += _hs(_req(), _resp("Sec-WebSocket-Protocol: chat"))
    notes += _hs(_req(), _resp("Sec-WebSocket-Protocol: a, b"))
    notes += _hs(_req("Sec-WebSocket-Protocol: x"), _resp("Sec-WebSocket-Protocol: chat"))
    notes += _hs(_req("Sec-WebSocket-Protocol: x, y"), _resp("Sec-WebSocket-Protocol: a, b"))
    notes += _hs(_req("Sec-WebSocket-Protocol: x, y"), _resp())
    notes += _hs(_req("Sec-WebSocket-Extensions: permessage-deflate; ="), _resp())
    notes += _hs(_req("Sec-WebSocket-Extensions: permessage-deflate"), _resp())
    notes += _hs(_req(), _resp("Sec-WebSocket-Extensions: x-foo; ;"))
    notes += _hs(_req("Sec-WebSocket-Extensions: permessage-deflate"),
                 _resp("Sec-WebSocket-Extensions: x-foo, permessage-deflate; client_max_window_bits=99, "
                       "permessage-deflate"))
    return notes


def _capture_notes() -> list:
    notes = []
    for bpf, captured, dropped, known in (("tcp port 9002", 1, 0, True), (None, 7, 0, False), (None, 9, 3, True)):
        cap = LiveCapture("lo", bpf)
        cap.captured, cap.dropped, cap.dropped_known = captured, dropped, known
        notes.append(cap.stats_note())
    return notes


def _core_notes() -> list:
    return _websocket_notes() + _http_notes() + _handshake_notes() + _capture_notes() + app_notes()


def _session_notes(lang="en") -> list:
    """Notes the analyzer writes or passes on: TCP reassembly, its own hints, the end of the capture."""
    out = []

    def run(s, **kw):
        r = analyze(s.packets(), lang=lang, **kw)
        out.extend(r.notes())
        return r

    s = Session()                               # retransmissions of SYN, data and FIN; overlap; teardown
    s.seg(C2S, "S")
    s.seg(C2S, "S", seq=s.isn[C2S])
    s.seg(S2C, "SA")
    s.seg(C2S, "A")
    s.send(C2S, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", ack=False)
    s.seg(C2S, "PA", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", seq=s.isn[C2S] + 1)
    s.seg(C2S, "PA", b"\r\nmore", seq=s.seq[C2S] - 2)
    s.seq[C2S] += 4
    s.seg(C2S, "FA")
    s.seg(C2S, "FA", seq=s.seq[C2S] - 1)
    run(s)

    s = Session()                               # out of order, twice; a hole acknowledged; a hole at the end
    s.websocket_handshake()
    a, b = raw_frame(b"first", mask=MASK), raw_frame(b"second", mask=MASK)
    base = s.seq[C2S]
    s.seg(C2S, "PA", b, seq=base + len(a))
    s.seg(C2S, "PA", b, seq=base + len(a))
    s.seg(S2C, "A", ack=base + len(a) + len(b))
    s.seg(C2S, "PA", raw_frame(b"late", mask=MASK), seq=base + len(a) + len(b) + 10)
    run(s)

    s = Session()                               # --max-reorder reached
    s.websocket_handshake()
    s.seg(C2S, "PA", raw_frame(b"z" * 64, mask=MASK), seq=s.seq[C2S] + 5)
    run(s, limits=Limits(max_reorder=16))

    s = Session(server=("10.0.0.2", 443))        # TLS
    s.handshake()
    s.send(C2S, b"\x16\x03\x01\x00\x05hello")
    run(s)
    s = Session(server=("10.0.0.2", 8888))       # no handshake, then the same with --decode-as
    s.handshake()
    s.send(C2S, raw_frame(b"hi", mask=MASK))
    run(s)
    run(s, decode_as=[8888])

    s = Session()                               # the 101 without its request; RST without a Close frame
    s.handshake()
    s.send(S2C, upgrade_response())
    s.seg(C2S, "R")
    run(s)

    s = Session()                               # a 101 that answers a POST: no switch
    s.handshake()
    s.send(C2S, b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    s.send(S2C, upgrade_response())
    run(s)

    s = Session()                               # an idle server drops the client: FIN without a Close frame
    s.websocket_handshake()
    s.send(C2S, raw_frame(b"hi", mask=MASK))
    s.teardown(first=S2C, dt=5.0)
    run(s)

    # TLS (wss://): no key log; a key log without this connection; a damaged record; a hole in the stream;
    # TLS 1.2 with 3DES (not decrypted); a stream that stops being records. The alerts are the close_notify of both sides.
    wss = tlsbuild.payloads("aes128gcm")
    run(tlsbuild.replay(wss))
    run(tlsbuild.replay(wss), keylog=tlsbuild.keylog("chacha20"))
    damaged = [(d, p[:-1] + bytes([p[-1] ^ 1])) if i == 10 else (d, p) for i, (d, p) in enumerate(wss)]
    run(tlsbuild.replay(damaged), keylog=tlsbuild.keylog("aes128gcm"))
    s = tlsbuild.replay(wss[:3])
    s.seq[S2C] += 100                           # 100 bytes the capture lost
    s.send(S2C, wss[4][1])
    run(s)
    run(tlsbuild.replay([(C2S, tlsbuild.client_hello()), (S2C, tlsbuild.server_hello())]),
        keylog=tlsbuild.keylog("aes128gcm"))
    run(tlsbuild.replay([(C2S, tlsbuild.client_hello()), (S2C, tlsbuild.server_hello(alpn="h2"))]))
    run(tlsbuild.replay([(C2S, tlsbuild.client_hello()), (C2S, b"\x99 not a record")]))
    cbc = tlsbuild.payloads("tls12-aes256cbc-sha384-mte")     # TLS 1.2 CBC: bad padding, MAC, length
    for how in ("padding", "mac", "length"):
        run(tlsbuild.replay(tlsbuild.damage_cbc(cbc, how)), keylog=tlsbuild.keylog("tls12-aes256cbc-sha384-mte"))

    s1, s2 = Session(client=("10.0.0.1", 1111)), Session(client=("10.0.0.1", 2222))   # --max-connections 1
    s1.handshake()
    s1.seg(C2S, "A")                            # ...after the second one took its place: past the cap
    s2.handshake()
    first = s1.packets()
    packets = first[:-1] + s2.packets() + first[-1:]
    for i, p in enumerate(packets, 1):
        p.no = i
    r = analyze(packets, lang=lang, limits=Limits(max_connections=1))
    out.extend(r.notes())
    r = analyze(packets, lang=lang, limits=Limits(summary_connections=1))   # --max-summary-connections 1
    out.extend(r.notes())
    out.extend(analyze([RawPacket(1, 0.0, 1, b"\0" * 10, 10)], lang=lang).notes())   # a cut Ethernet header
    return out


def test_the_crafted_notes_use_every_sentence():
    used = {note_id(n.code, n.args) for n in _core_notes() + _session_notes()}
    # The capture's own notes are made by the command line: capture_truncated below, capture_snaplen (and .one) in
    # tests/test_cli.py.
    made_by_cli = {"note.capture_truncated", "note.capture_snaplen", "note.capture_snaplen.one"}
    # An exception of wsdissect's own while analysing a packet: no input is meant to make one.
    internal = {"note.malformed.internal"}
    assert _note_ids() <= used | made_by_cli | internal, sorted(_note_ids() - used)


def _has_words(n) -> None:
    """A note carries no words of its own; its sentence takes its args in both languages, leaving no field."""
    assert not hasattr(n, "text") and type(n.args) is dict
    for lang in LANGS:
        text = note_text(n.code, n.args, lang)
        values = [str(v) for v in n.args.values() if isinstance(v, str)]
        rest = text
        for v in values:
            rest = rest.replace(v, "")
        assert text and "{" not in rest, (n.code, n.args, lang, text)


def test_every_note_of_the_cores_has_its_words_in_both_languages():
    for n in _core_notes() + _session_notes():
        _has_words(n)


@pytest.mark.parametrize("path", BUNDLED + SHARED, ids=os.path.basename)
def test_every_note_of_real_captures_has_its_words_in_both_languages(path):
    a = Analyzer()
    notes = [n for row in map(a.feed, open_capture(path)) if row is not None for n in row.notes] + a.finish()
    for n in notes:
        _has_words(n)


def test_chinese_notes_are_chinese_with_the_same_parameters():
    zh = catalog("zh")
    for n in _core_notes():
        text, english = note_text(n.code, n.args, "zh"), note_text(n.code, n.args)
        assert CJK.search(text) and text != english, (n.code, text)
        assert "{" not in text.replace(english, "")
        for word in ("client", "server", "frame", "message", "bytes", "missing"):
            # English words of the sentence are gone (only parameters such as a zlib error may keep some).
            if re.search(rf"(?<![-\w]){word}(?![-\w])", text):      # not in --max-message
                assert any(word in str(v) for v in n.args.values()), (n.code, text)
    assert zh["side.client"] in note_text("unexpected-continuation", {"side": "client"}, "zh")
    assert note_text("bad-close-code", {"code": 1005, "close_name": "No Status Rcvd"}, "zh") == \
        "关闭状态码 1005（未收到状态码）不允许出现在 Close 帧里（RFC 6455 7.4）"
    # A parameter that is someone else's error message stays as it came, inside the Chinese sentence.
    assert note_text("inflate-error", {"side": "server", "error": "invalid stored block lengths"}, "zh") == \
        "服务端的压缩消息无法解压：invalid stored block lengths"


def test_notes_do_not_depend_on_the_analyzers_language():
    en, zh = _session_notes("en"), _session_notes("zh")
    assert [(n.no, n.conn, n.severity, n.code, n.args) for n in en] == \
        [(n.no, n.conn, n.severity, n.code, n.args) for n in zh]
    assert {n.code for n in en} >= {"tcp-retransmission", "tcp-overlap", "tcp-out-of-order", "tcp-missing-bytes",
                                    "cap-reorder", "tls", "no-handshake", "decode-as", "request-not-captured",
                                    "close-without-close-frame", "cap-connections", "malformed"}
    for n in en:
        assert CJK.search(note_text(n.code, n.args, "zh")) and note_text(n.code, n.args, "zh") != note_text(
            n.code, n.args)
    # The notes of the cores reach the analyzer from rows, from the end of the capture and from evicted
    # connections; all of them are put in Chinese words by the one function.
    s = Session()
    s.websocket_handshake(extensions_offer="permessage-deflate")
    s.send(C2S, raw_frame(b"\xff", mask=MASK))
    s.send(S2C, raw_frame(b"a", fin=False))
    r = analyze(s.packets(), lang="zh")
    texts = {n.code: note_text(n.code, n.args, "zh") for n in r.notes()}
    assert texts["extensions-declined"].startswith("客户端提议了 permessage-deflate")
    assert texts["invalid-utf8"].startswith("客户端的文本消息不是有效的 UTF-8")
    assert texts["incomplete-message"].startswith("服务端的文本消息在抓包结束时还没有完成") and r.end_notes


def test_a_note_is_a_code_and_args_and_its_words_come_from_the_catalog():
    s = Session()
    s.websocket_handshake()
    s.send(C2S, raw_frame(b"hi"))
    [note] = analyze(s.packets()).notes("unmasked-client-frame")
    assert note.args == {"opcode": "text"} and not hasattr(note, "text")
    assert note_text(note.code, note.args) == "client text frame is not masked (RFC 6455 5.1)"
    assert note_text(note.code, note.args, "zh") == "客户端的文本帧没有加掩码（RFC 6455 5.1）"


def test_notes_made_outside_the_analyzer():
    cap = LiveCapture("lo", "tcp port 9002")
    cap.captured, cap.dropped, cap.dropped_known = 12, 2, True
    note = cap.stats_note()
    assert note_text(note.code, note.args) == (
        "live capture on lo (filter 'tcp port 9002'): 12 packets captured, 2 dropped by the kernel "
        "(capture buffer full): the timeline has gaps")
    assert note_text(note.code, note.args, "zh") == \
        "在 lo 上实时抓包（过滤器 'tcp port 9002'）：抓到 12 个数据包，内核丢弃了 2 个（抓包缓冲区已满）：时间线上有缺口"
    # A code with no sentence in the catalog is a mistake of the code base, not something to print.
    with pytest.raises(KeyError):
        note_text("made-up", {}, "zh")


def test_the_json_writer_words_one_set_of_notes_in_its_language():
    # One analysis; each writer puts the same notes (and the summary's caps) in its own language.
    import io
    from wsdissect.render.jsonl import JsonLinesWriter
    s = Session()
    s.websocket_handshake()
    s.send(C2S, raw_frame(b"x" * 40))                      # unmasked, and past --max-message 16
    s.send(S2C, raw_frame(b"a", fin=False))                # unfinished at the end of the capture
    a = Analyzer(Limits(max_message=16))
    rows = [r for r in map(a.feed, s.packets()) if r is not None]
    end = a.finish()
    notes = [n for r in rows for n in r.notes] + end
    assert {"unmasked-client-frame", "frame-truncated", "message-truncated", "incomplete-message"} <= \
        {n.code for n in notes} and len(a.summary.caps) == 2
    said = {}
    for lang in LANGS:
        out = io.StringIO()
        w = JsonLinesWriter(out, lang)
        for r in rows:
            w.row(r)
        w.end(a.end_frames, a.end_messages, end)
        w.summary(a.summary)
        recs = [json.loads(line) for line in out.getvalue().splitlines()]
        texts = [r["text"] for r in recs if r["type"] == "note"]
        assert texts == [note_text(n.code, n.args, lang) for n in notes]
        assert recs[-1]["caps"] == [note_text(n.code, n.args, lang) for n in a.summary.caps]
        said[lang] = texts + recs[-1]["caps"]
    assert all(CJK.search(t) for t in said["zh"]) and not any(CJK.search(t) for t in said["en"])


# -- the command line -----------------------------------------------------------------------------------------
def _read(*args):
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    proc = subprocess.run([sys.executable, "-m", "wsdissect", "read", *args], capture_output=True, text=True,
                          env=env)
    assert "Traceback" not in proc.stderr
    return proc


def _json_notes(out: str) -> list:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"type":"note"')]


@pytest.mark.parametrize("name", ["suricata-ping-sll.pcap", "zeek-wstunnel-unmasked-client.pcap",
                                  "zeek-close-1009.pcap"])
def test_read_lang_zh_shows_no_english_note_text(name):
    path = os.path.join(SHARED_DIR, name)
    if not os.path.exists(path):
        pytest.skip("../shared/captures is not here")
    en = _json_notes(_read(path, "--json").stdout)
    zh = _json_notes(_read(path, "--json", "--lang", "zh").stdout)
    assert en and [n["code"] for n in en] == [n["code"] for n in zh]   # JSON: code is the key, text follows --lang
    timeline = _read(path, "--lang", "zh").stdout
    for e, z in zip(en, zh):
        assert CJK.search(z["text"]) and e["text"] not in timeline, e["text"]
        assert z["text"] in timeline


def test_read_lang_zh_summary_capture_note(tmp_path):
    # A capture cut short: the summary's capture note is in Chinese; the damage itself is the reader's words.
    with open(os.path.join(ROOT, "captures", "echo.pcap"), "rb") as f:
        data = f.read()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:-7])
    en = json.loads(_read(str(cut), "--json").stdout.splitlines()[-1])
    zh = json.loads(_read(str(cut), "--json", "--lang", "zh").stdout.splitlines()[-1])
    [en_note], [zh_note] = en["capture_notes"], zh["capture_notes"]
    assert en_note.startswith(f"{cut}: capture cut short")
    error = en_note[len(f"{cut}: "):]
    assert zh_note == note_text("capture-truncated", {"source": str(cut), "error": error}, "zh")
    assert zh_note.endswith(error) and CJK.search(zh_note)
    assert note_text("capture-truncated", {"source": str(cut), "error": error}) == en_note


def test_fuzz_corpus_notes_in_both_languages():
    # The pipeline corpus (tests/fuzz) is hostile captures that raise most notes there are, with odd parameters.
    import io
    from wsdissect.sources.pcap import CaptureError, iter_capture

    def notes(data):
        a = Analyzer()
        rows = []
        try:
            for raw in iter_capture(io.BytesIO(data)):
                rows.append(a.feed(raw))
        except CaptureError:       # damaged past some point: the packets before it count
            pass
        rows = [r for r in rows if r is not None]
        return [n for r in rows for n in r.notes] + a.finish()

    codes = set()
    from fuzz.harness import hostile_captures
    for path, data in hostile_captures():
        for n in notes(data):
            codes.add(n.code)
            text = note_text(n.code, n.args, "zh")
            assert CJK.search(text), (path, n.code, text)
    assert len(codes) > 30
