"""HTTP upgrade parsing and handshake checks: bytes in, records out."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from wsdissect.http import (
    ExtensionSyntaxError, HttpError, HttpRequest, HttpResponse, HttpStream, check_handshake, compute_accept,
    parse_deflate_params, parse_extensions,
)
from wsdissect.i18n import note_text
from wsdissect.model import DeflateParams

# The seed notes' capture: Postman → a local server on 9002 (headers in the order the notes list them).
SEED_REQUEST = (
    b"GET / HTTP/1.1\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: pNgZr2dChVwcNts30DxZiQ==\r\n"
    b"Connection: Upgrade\r\n"
    b"Upgrade: websocket\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    b"Host: 127.0.0.1:9002\r\n"
    b"\r\n"
)
SEED_RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"upgrade: websocket\r\n"
    b"connection: upgrade\r\n"
    b"sec-websocket-accept: W3UNJiLyRMXlwQ2lsHe8hNFegRU=\r\n"
    b"\r\n"
)
# A masked text frame "Hello" (RFC 6455 5.7).
HELLO_FRAME = bytes.fromhex("818537fa213d7f9f4d5158")


def upgrade_request(target="/chat", extra=b"", key=b"dGhlIHNhbXBsZSBub25jZQ=="):
    return (b"GET " + target.encode() + b" HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n"
            + extra + b"\r\n")


def response_101(extra=b"", accept=b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="):
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n" + extra + b"\r\n")


def parse_one(kind, data):
    recs = HttpStream(kind).feed(data)
    assert len(recs) == 1, recs
    return recs[0]


def feed_pieces(kind, data, cuts):
    s = HttpStream(kind)
    out = []
    prev = 0
    for c in sorted(set(cuts)) + [len(data)]:
        out += s.feed(data[prev:c])
        prev = c
    return s, out


def codes(hs):
    return [code for _, code, _ in hs.notes]


def words(hs, code: str) -> list:
    """The sentences of the handshake's notes with `code`, in English."""
    return [note_text(c, args) for _, c, args in hs.notes if c == code]


# ------------------------------------------------------------------------------------------------ accept key

def test_accept_seed_vector():
    assert compute_accept("pNgZr2dChVwcNts30DxZiQ==") == "W3UNJiLyRMXlwQ2lsHe8hNFegRU="


def test_accept_rfc6455_sample():
    assert compute_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


# ---------------------------------------------------------------------------------------------- the seed pair

def test_seed_request_parsed():
    s = HttpStream("request")
    [req] = s.feed(SEED_REQUEST)
    assert isinstance(req, HttpRequest)
    assert (req.method, req.target, req.version, req.path, req.query) == ("GET", "/", "HTTP/1.1", "/", None)
    assert req.header_len == len(SEED_REQUEST) == 223
    assert req.body_len == 0 and req.offset == 0
    assert req.first_line == "GET / HTTP/1.1"
    assert req.headers[0] == ("Sec-WebSocket-Version", "13")
    assert req.get("host") == "127.0.0.1:9002"
    assert req.get("SEC-WEBSOCKET-KEY") == "pNgZr2dChVwcNts30DxZiQ=="
    assert req.get("Origin") is None
    assert req.is_websocket_upgrade
    assert s.paused
    assert req.summary() == "GET / HTTP/1.1"


def test_seed_handshake_deflate_declined():
    [req] = HttpStream("request").feed(SEED_REQUEST)
    [resp] = HttpStream("response").feed(SEED_RESPONSE)
    assert isinstance(resp, HttpResponse)
    assert resp.summary() == "HTTP/1.1 101 Switching Protocols"
    assert resp.header_len == 129
    hs = check_handshake(req, resp)
    assert hs.accepted and hs.status == 101
    assert hs.accept == hs.expected_accept == "W3UNJiLyRMXlwQ2lsHe8hNFegRU="
    assert hs.accept_ok is True
    assert hs.offered_extensions == "permessage-deflate; client_max_window_bits"
    assert hs.extensions is None and hs.deflate is None
    assert hs.subprotocol is None and hs.offered_subprotocols is None
    assert not [n for n in hs.notes if n[0] in ("warning", "error")]
    assert "extensions-declined" in codes(hs)


def test_rfc6455_sample_handshake_with_subprotocol():
    req = parse_one("request", upgrade_request(extra=b"Origin: http://example.com\r\n"
                                                    b"Sec-WebSocket-Protocol: chat, superchat\r\n"))
    resp = parse_one("response", response_101(extra=b"Sec-WebSocket-Protocol: chat\r\n"))
    hs = check_handshake(req, resp)
    assert hs.accepted and hs.accept_ok
    assert hs.subprotocol == "chat" and hs.offered_subprotocols == "chat, superchat"
    assert hs.notes == []


# -------------------------------------------------------------------------------------------- incremental

def test_split_at_every_byte_position():
    data = SEED_REQUEST
    [whole] = HttpStream("request").feed(data)
    for i in range(len(data) + 1):
        s, recs = feed_pieces("request", data, [i])
        assert recs == [whole], i
        assert s.paused


def test_split_response_and_frame_at_every_position():
    data = SEED_RESPONSE + HELLO_FRAME
    for i in range(len(data) + 1):
        s, recs = feed_pieces("response", data, [i])
        assert [r.status for r in recs] == [101]
        assert s.take_rest() == HELLO_FRAME


def test_byte_by_byte():
    data = upgrade_request(extra=b"X-Long: " + b"a" * 5000 + b"\r\n")
    s, recs = feed_pieces("request", data, range(len(data)))
    assert len(recs) == 1 and recs[0].header_len == len(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2000), max_size=12))
def test_random_splits_pipelined(cuts):
    data = (b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
            b"POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n\r\n"
            b"\r\nGET /c?q=1 HTTP/1.1\n\n"
            + upgrade_request() + HELLO_FRAME)
    cuts = [c % (len(data) + 1) for c in cuts]
    s, recs = feed_pieces("request", data, cuts)
    assert [r.target for r in recs] == ["/a", "/b", "/c?q=1", "/chat"]
    assert [r.body_len for r in recs] == [5, 19, 0, 0]
    assert recs[2].bare_lf and not recs[0].bare_lf
    assert s.paused and s.take_rest() == HELLO_FRAME


def test_crlf_split_inside_terminator():
    s = HttpStream("request")
    data = upgrade_request()
    assert s.feed(data[:-3]) == []
    assert s.feed(data[-3:-2]) == []
    assert s.feed(data[-2:-1]) == []
    assert len(s.feed(data[-1:])) == 1


# -------------------------------------------------------------------------------------- keep-alive & bodies

def test_pipelined_keepalive_requests_before_upgrade():
    data = (b"GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n"
            b"GET /app.js HTTP/1.1\r\nHost: h\r\n\r\n"
            + upgrade_request("/ws?room=1") + HELLO_FRAME)
    s = HttpStream("request")
    recs = s.feed(data)
    assert [r.target for r in recs] == ["/index.html", "/app.js", "/ws?room=1"]
    assert [r.is_websocket_upgrade for r in recs] == [False, False, True]
    assert recs[1].offset == recs[0].header_len
    assert (recs[2].path, recs[2].query) == ("/ws", "room=1")
    assert s.paused
    assert s.feed(b"more") == []
    assert s.take_rest() == HELLO_FRAME + b"more"
    assert s.take_rest() == b""


def test_responses_with_content_length_and_chunked():
    data = (b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world!"
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
            b"HTTP/1.1 204 No Content\r\n\r\n"
            + response_101() + HELLO_FRAME)
    s = HttpStream("response")
    recs = s.feed(data)
    assert [r.status for r in recs] == [200, 200, 304, 204, 101]
    assert [r.body_len for r in recs] == [12, 11, 0, 0, 0]
    assert [r.body_framing for r in recs] == ["length", "chunked", "none", "none", "none"]
    assert s.take_rest() == HELLO_FRAME


def test_chunked_body_len_set_when_body_ends():
    s = HttpStream("response")
    [resp] = s.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n")
    assert resp.body_len is None
    assert s.feed(b"0\r\n\r\n") == []
    assert resp.body_len == 4


def test_chunk_with_extension_and_bare_lf():
    s = HttpStream("request")
    recs = s.feed(b"POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n"
                  b"a ; name=\"v\"\nabcdefghij\n0\n\nGET /next HTTP/1.1\r\n\r\n")
    assert [r.target for r in recs] == ["/", "/next"]
    assert recs[0].body_len == 10 and recs[0].bare_lf


def test_response_to_head_has_no_body():
    s = HttpStream("response")
    s.expect_response_to("HEAD")
    recs = s.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert [r.body_len for r in recs] == [0, 0]


def test_response_without_length_reads_until_close():
    s = HttpStream("response")
    [resp] = s.feed(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome ")
    assert resp.body_framing == "close" and resp.body_len is None
    assert s.feed(b"HTTP/1.1 200 OK\r\n\r\n") == []      # body bytes, however they look
    assert s.close() == []
    assert resp.body_len == 5 + 19


def test_interim_100_continue_then_final():
    recs = HttpStream("response").feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert [r.status for r in recs] == [100, 200]


# ------------------------------------------------------------------------------------------ upgrade & pause

def test_101_and_first_frames_in_one_segment():
    s = HttpStream("response")
    frames = b"\x81\x05Hello" + b"\x89\x00"
    [resp] = s.feed(SEED_RESPONSE + frames)
    assert resp.status == 101 and s.paused
    assert s.position == len(SEED_RESPONSE)
    assert s.take_rest() == frames
    assert s.position == len(SEED_RESPONSE) + len(frames)


def test_refused_upgrade_then_resume():
    req_stream, resp_stream = HttpStream("request"), HttpStream("response")
    [req] = req_stream.feed(upgrade_request() + b"GET /after HTTP/1.1\r\nHost: h\r\n\r\n")
    assert req_stream.paused
    [resp] = resp_stream.feed(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden")
    assert not resp_stream.paused
    hs = check_handshake(req, resp)
    assert not hs.accepted and hs.status == 403
    assert ("warning", "upgrade-refused") in [(sev, code) for sev, code, _ in hs.notes]
    assert words(hs, "upgrade-refused") == ["the server refused the upgrade: 403 Forbidden"]
    assert hs.accept_ok is None
    [after] = req_stream.resume()
    assert after.target == "/after" and not req_stream.paused
    assert [r.target for r in req_stream.feed(b"GET /again HTTP/1.1\r\n\r\n")] == ["/again"]


def test_426_mentions_server_versions():
    req = parse_one("request", upgrade_request().replace(b"Version: 13", b"Version: 8"))
    resp = parse_one("response", b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
                                 b"Content-Length: 0\r\n\r\n")
    hs = check_handshake(req, resp)
    assert "bad-websocket-version" in codes(hs)
    [text] = words(hs, "upgrade-refused")
    assert "426" in text and "13" in text


def test_resume_and_take_rest_on_unpaused_stream_are_harmless():
    s = HttpStream("request")
    s.feed(b"GET / HT")
    assert s.resume() == [] and s.take_rest() == b""
    assert len(s.feed(b"TP/1.1\r\n\r\n")) == 1


def test_empty_reason_phrase_101():
    s = HttpStream("response")
    [resp] = s.feed(b"HTTP/1.1 101 \r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    assert resp.status == 101 and resp.reason == "" and s.paused
    assert resp.summary() == "HTTP/1.1 101"
    [resp2] = HttpStream("response").feed(b"HTTP/1.1 101\r\nUpgrade: websocket\r\n\r\n")
    assert resp2.reason == ""


# --------------------------------------------------------------------------------------------- handshake

def test_bad_accept_shows_expected_value():
    req = parse_one("request", upgrade_request())
    resp = parse_one("response", response_101(accept=b"W3UNJiLyRMXlwQ2lsHe8hNFegRU="))
    hs = check_handshake(req, resp)
    assert hs.accepted and hs.accept_ok is False
    [sev] = [sev for sev, c, _ in hs.notes if c == "bad-accept"]
    [text] = words(hs, "bad-accept")
    assert sev == "error"
    assert "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in text and "W3UNJiLyRMXlwQ2lsHe8hNFegRU=" in text


def test_missing_accept_key_and_version():
    req = parse_one("request", b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
    resp = parse_one("response", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                 b"Connection: Upgrade\r\n\r\n")
    hs = check_handshake(req, resp)
    assert {"missing-key", "missing-accept", "bad-websocket-version"} <= set(codes(hs))
    assert hs.accept_ok is None and hs.expected_accept is None


def test_101_without_upgrade_headers():
    req = parse_one("request", upgrade_request())
    resp = parse_one("response", b"HTTP/1.1 101 Switching Protocols\r\n"
                                 b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    hs = check_handshake(req, resp)
    assert not hs.accepted and hs.accept_ok
    assert {"missing-upgrade-header", "missing-connection-header"} <= set(codes(hs))


def test_subprotocol_and_extension_not_offered():
    req = parse_one("request", upgrade_request(extra=b"Sec-WebSocket-Protocol: chat\r\n"))
    resp = parse_one("response", response_101(extra=b"Sec-WebSocket-Protocol: mqtt\r\n"
                                                    b"Sec-WebSocket-Extensions: permessage-deflate\r\n"))
    hs = check_handshake(req, resp)
    assert {"subprotocol-not-offered", "extension-not-offered"} <= set(codes(hs))
    assert hs.deflate == DeflateParams()     # still parsed: the frames will be compressed regardless


def test_deflate_accepted_with_params_and_repeated_header():
    req = parse_one("request", upgrade_request(
        extra=b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; server_max_window_bits=10\r\n"
              b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"))
    assert req.get("Sec-WebSocket-Extensions").count("permessage-deflate") == 2
    resp = parse_one("response", response_101(
        extra=b"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
              b"client_no_context_takeover; server_max_window_bits=\"10\"; client_max_window_bits=12\r\n"))
    hs = check_handshake(req, resp)
    assert hs.deflate == DeflateParams(True, True, 10, 12)
    assert hs.extensions.startswith("permessage-deflate; server_no_context_takeover")
    assert hs.notes == []


def test_deflate_bad_params_in_response():
    req = parse_one("request", upgrade_request(extra=b"Sec-WebSocket-Extensions: permessage-deflate\r\n"))
    resp = parse_one("response", response_101(
        extra=b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; server_max_window_bits=16\r\n"))
    hs = check_handshake(req, resp)
    problems = words(hs, "bad-deflate-params")
    assert any("server_max_window_bits" in p for p in problems)
    assert any("did not offer" in p for p in problems)
    assert hs.deflate.server_max_window_bits == 15


# ------------------------------------------------------------------------------------------- extensions

def test_parse_extensions_grammar():
    assert parse_extensions("permessage-deflate; client_max_window_bits") == [
        ("permessage-deflate", {"client_max_window_bits": None})]
    assert parse_extensions(' foo ; a = 1 ;b="x\\"y", ,bar;c="15"') == [
        ("foo", {"a": "1", "b": 'x"y'}), ("bar", {"c": "15"})]
    assert parse_extensions("") == []


@pytest.mark.parametrize("bad", ["foo;", "foo bar", "foo; a=", 'foo; a="x', ";a", "foo; a=b c"])
def test_parse_extensions_rejects(bad):
    with pytest.raises(ExtensionSyntaxError) as exc:
        parse_extensions(bad)
    assert exc.value.value == bad and 0 <= exc.value.pos <= len(bad)


def test_deflate_params_offer_vs_response():
    params = dict(parse_extensions("permessage-deflate; client_max_window_bits")[0][1])
    assert parse_deflate_params(params, response=False) == (DeflateParams(), [])
    assert parse_deflate_params(params, response=True)[1]
    d, problems = parse_deflate_params({"server_max_window_bits": "08", "x": None})
    assert d.server_max_window_bits == 15 and len(problems) == 2


# --------------------------------------------------------------------------------------------- errors

def test_header_too_large():
    s = HttpStream("request", max_header=1024)
    recs = s.feed(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 2000)
    [err] = recs
    assert isinstance(err, HttpError) and err.code == "header-too-large"
    assert s.failed and s.feed(b"\r\n\r\n") == []


def test_header_too_large_detected_byte_by_byte_and_when_complete():
    data = b"GET / HTTP/1.1\r\nX: " + b"a" * 100 + b"\r\n\r\n"
    for cap, expect in ((len(data) - 1, HttpError), (len(data), HttpRequest)):
        s = HttpStream("request", max_header=cap)
        assert [type(r) for r in s.feed(data)] == [expect]
        s = HttpStream("request", max_header=cap)
        recs = [r for i in range(len(data)) for r in s.feed(data[i:i + 1])]
        assert [type(r) for r in recs] == [expect]


def test_tls_detected_in_first_bytes():
    s = HttpStream("request")
    [err] = s.feed(b"\x16\x03\x01")
    assert err.code == "not-http" and err.offset == 0 and err.data == b"\x16\x03\x01"


@pytest.mark.parametrize("kind,data", [
    ("request", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
    ("response", b"\x16\x03\x03\x00\x7a\x02"),
    ("request", b"\x00\x00\x00\x01"),
    ("response", b"HTTX"),
    ("response", b"220 smtp.example.com ESMTP\r\n"),
    ("request", b"SSH-2.0-OpenSSH_9.6\r\n"),
    ("request", b"GET /\r\n"),
    ("request", b"A" * 40),
])
def test_not_http_early(kind, data):
    s = HttpStream(kind)
    recs = []
    for i in range(len(data)):     # detected as soon as the bytes rule HTTP out, not after max_header
        recs += s.feed(data[i:i + 1])
        if recs:
            break
    assert recs and recs[0].code == "not-http" and recs[0].offset == 0 and data.startswith(recs[0].data)


def test_http2_preface_is_not_http1():
    [err] = HttpStream("request").feed(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    assert err.code == "unsupported-version"


def test_second_message_not_http_reports_offset():
    first = b"GET / HTTP/1.1\r\n\r\n"
    recs = HttpStream("request").feed(first + b"\x16\x03\x01")
    assert isinstance(recs[0], HttpRequest)
    assert recs[1].code == "not-http" and recs[1].offset == len(first)


@pytest.mark.parametrize("body,code", [
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad-chunk"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n", "bad-chunk"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad-content-length"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "bad-content-length"),
    (b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "bad-header"),
    (b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "bad-header"),
])
def test_framing_errors(body, code):
    recs = HttpStream("response").feed(body)
    assert isinstance(recs[-1], HttpError) and recs[-1].code == code


def test_repeated_equal_content_length_ok():
    [resp] = HttpStream("response").feed(b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc")
    assert resp.body_len == 3


def test_close_mid_message_and_gap():
    s = HttpStream("response")
    s.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    assert s.gap(4) == []                    # inside the body: the framing survives
    [err] = s.close()
    assert err.code == "truncated" and err.args == {"variant": "body", "n": 3}
    s = HttpStream("request")
    s.feed(b"GET / HTTP/1.1\r\n")
    assert s.gap(10)[0].code == "gap"


def test_headers_helpers():
    [req] = HttpStream("request").feed(
        b"GET http://example.com?x=1 HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\nFolded: one\r\n  two\r\n\r\n")
    assert req.get("X-A") == "1, 2" and req.get_all("x-A") == ["1", "2"]
    assert req.get("folded") == "one two"
    assert (req.path, req.query) == ("/", "x=1")
    assert not req.is_websocket_upgrade
