"""WebSocketDirection: messages, control frames, close, permessage-deflate and every validation note."""
import functools
import os
import struct
import tracemalloc
import zlib

import pytest
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import FrameProtocol

from wsdissect.limits import Limits, MiB
from wsdissect.model import DeflateParams, Frame, Message, Note
from wsdissect.websocket import WebSocketDirection

KEY = b"\x11\x22\x33\x44"


def raw_frame(opcode, payload=b"", *, fin=True, rsv=0, key=None, length=None):
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    mbit = 0x80 if key else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if key:
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + payload


def cframe(opcode, payload=b"", **kw):
    """A client frame (masked)."""
    return raw_frame(opcode, payload, key=KEY, **kw)


def proto(client, deflate=None):
    if deflate is not None:
        deflate.finalize("permessage-deflate")      # as if negotiated; keeps the parameters it was built with
    return FrameProtocol(client=client, extensions=[deflate] if deflate else [])


def of(records, kind):
    return [r for r in records if isinstance(r, kind)]


def codes(records):
    return [r.code for r in records if isinstance(r, Note)]


# -- messages --------------------------------------------------------------------------------------------------

def test_single_frame_messages_both_sides():
    c, s = proto(True), proto(False)
    d = WebSocketDirection("c2s")
    out = d.feed(bytes(c.send_data("hello 你好")) + bytes(c.send_data(b"\x00\xff")), 5)
    assert [type(r) for r in out] == [Frame, Message, Frame, Message]
    m1, m2 = of(out, Message)
    assert (m1.opcode, m1.text, m1.data, m1.length, m1.wire_length, m1.frames) == (
        1, "hello 你好", "hello 你好".encode(), 12, 12, 1)
    assert (m1.first_no, m1.last_no, m1.compressed, m1.truncated, m1.conn, m1.direction) == (
        5, 5, False, False, None, "c2s")
    assert (m2.opcode, m2.data, m2.text) == (2, b"\x00\xff", None)
    out = WebSocketDirection("s2c").feed(bytes(s.send_data("srv")), 1)
    assert not codes(out) and of(out, Message)[0].text == "srv"


def test_fragmented_message_with_ping_interleaved():
    c = proto(True)
    parts = [bytes(c.send_data("Hel", fin=False)), bytes(c.ping(b"are you there")),
             bytes(c.send_data("lo ", fin=False)), bytes(c.pong(b"")), bytes(c.send_data("wörld", fin=True))]
    d = WebSocketDirection("c2s")
    out = []
    for no, p in enumerate(parts, 10):
        out += d.feed(p, no)
    assert [type(r) for r in out] == [Frame] * 5 + [Message]
    assert [f.opcode for f in of(out, Frame)] == [1, 9, 0, 10, 0]
    [m] = of(out, Message)
    assert (m.text, m.frames, m.first_no, m.last_no, m.opcode) == ("Hello wörld", 3, 10, 14, 1)
    assert not codes(out)


def test_close_with_code_and_reason():
    out = WebSocketDirection("s2c").feed(bytes(proto(False).close(1001, "going dark ☾")), 3)
    [f] = out
    assert (f.opcode, f.close_code, f.close_reason) == (8, 1001, "going dark ☾")


def test_empty_close_and_code_only():
    d = WebSocketDirection("c2s")
    [f] = d.feed(cframe(8), 1)
    assert (f.close_code, f.close_reason) == (None, None)
    [f] = WebSocketDirection("c2s").feed(cframe(8, b"\x03\xe8"), 1)
    assert (f.close_code, f.close_reason) == (1000, "")


@pytest.mark.parametrize("code,ok", [(1000, True), (1004, False), (1005, False), (1006, False), (1015, False),
                                     (999, False), (2000, False), (3000, True), (4999, True), (5000, False)])
def test_close_code_validation(code, ok):
    out = WebSocketDirection("c2s").feed(cframe(8, struct.pack("!H", code) + b"r"), 1)
    assert out[0].close_code == code
    assert codes(out) == ([] if ok else ["bad-close-code"])


def test_one_byte_close_payload():
    out = WebSocketDirection("c2s").feed(cframe(8, b"\x03"), 2)
    assert codes(out) == ["bad-close-payload"]
    assert out[0].close_code is None


def test_close_reason_invalid_utf8():
    out = WebSocketDirection("s2c").feed(raw_frame(8, b"\x03\xe8ab\xffcd"), 2)
    f, n = out
    assert n.code == "invalid-utf8" and n.severity == "error"
    assert f.close_code == 1000 and f.close_reason.startswith("ab")


# -- validation notes ---------------------------------------------------------------------------------------

def test_unmasked_client_frame():
    out = WebSocketDirection("c2s").feed(raw_frame(1, b"hi"), 1)
    assert codes(out) == ["unmasked-client-frame"]
    assert of(out, Message)[0].text == "hi"            # analysis goes on


def test_masked_server_frame():
    out = WebSocketDirection("s2c").feed(cframe(2, b"hi"), 1)
    assert codes(out) == ["masked-server-frame"]
    assert of(out, Message)[0].data == b"hi"


@pytest.mark.parametrize("op", [3, 7, 11, 15])
def test_reserved_opcode(op):
    out = WebSocketDirection("c2s").feed(cframe(op, b"??") + cframe(1, b"ok"), 1)
    assert codes(out) == ["reserved-opcode"]
    assert [m.text for m in of(out, Message)] == ["ok"]


def test_rsv_not_negotiated():
    # RSV1 without deflate, RSV2 and RSV3 ever.
    for rsv in (4, 2, 1):
        out = WebSocketDirection("c2s").feed(cframe(1, b"x", rsv=rsv), 1)
        assert codes(out) == ["rsv-not-negotiated"]
        assert of(out, Message)[0].compressed is False
    # With deflate: RSV1 on a continuation or a control frame is still wrong.
    d = WebSocketDirection("c2s", deflate=DeflateParams())
    out = d.feed(cframe(2, b"", fin=False) + cframe(0, b"\x00", rsv=4, fin=False) + cframe(9, rsv=4)
                 + cframe(0, b"", fin=True), 1)
    assert codes(out) == ["rsv-not-negotiated", "rsv-not-negotiated"]
    assert of(out, Message)[0].compressed is False


def test_control_frame_too_long_and_fragmented():
    out = WebSocketDirection("c2s").feed(cframe(9, b"p" * 126) + cframe(10, b"", fin=False), 1)
    assert codes(out) == ["control-frame-too-long", "fragmented-control-frame"]
    assert of(out, Frame)[0].payload == b"p" * 126


def test_unexpected_continuation():
    out = WebSocketDirection("c2s").feed(cframe(0, b"orphan"), 1)
    assert codes(out) == ["unexpected-continuation"] and not of(out, Message)


def test_interleaved_data_frame_drops_unfinished_message():
    d = WebSocketDirection("c2s")
    out = d.feed(cframe(1, b"one", fin=False) + cframe(2, b"two"), 1)
    assert codes(out) == ["interleaved-data-frame"]
    [m] = of(out, Message)
    assert (m.opcode, m.data, m.frames) == (2, b"two", 1)


def test_data_after_close():
    d = WebSocketDirection("s2c")
    out = d.feed(raw_frame(8, b"\x03\xe8") + raw_frame(1, b"late") + raw_frame(8, b""), 1)
    assert codes(out) == ["data-after-close", "data-after-close"]
    assert d.close_frame is of(out, Frame)[0]


def test_invalid_utf8_text_message():
    out = WebSocketDirection("s2c").feed(raw_frame(1, b"ok\xc3\x28"), 1)
    m = of(out, Message)[0]
    assert m.text is None and m.data == b"ok\xc3\x28"
    assert codes(out) == ["invalid-utf8"]
    assert [type(r) for r in out] == [Frame, Message, Note]


def test_invalid_utf8_split_across_fragments_is_fine():
    text = "é€😀".encode()
    out = WebSocketDirection("s2c").feed(raw_frame(1, text[:1], fin=False) + raw_frame(0, text[1:4], fin=False)
                                         + raw_frame(0, text[4:]), 1)
    assert of(out, Message)[0].text == "é€😀" and not codes(out)


# -- caps and gaps (uncompressed) -----------------------------------------------------------------------------

def test_uncompressed_message_over_cap():
    lim = Limits(max_message=1000)
    d = WebSocketDirection("s2c", limits=lim)
    text = "ü" * 700                                    # 1400 bytes; the cap splits a character
    out = d.feed(raw_frame(1, text[:300].encode(), fin=False) + raw_frame(0, text[300:].encode()), 1)
    m = of(out, Message)[0]
    assert (m.length, m.wire_length, len(m.data), m.truncated) == (1400, 1400, 1000, True)
    assert m.text == "ü" * 500
    assert codes(out) == ["message-truncated"]          # each frame fits under the cap; the message does not


def test_gap_inside_uncompressed_message():
    wire = raw_frame(1, b"a" * 50, fin=False) + raw_frame(0, b"b" * 50) + raw_frame(1, b"after")
    d = WebSocketDirection("s2c")
    out = d.feed(wire[:20], 1) + d.gap(10, 2) + d.feed(wire[30:], 3)
    m1, m2 = of(out, Message)
    assert (m1.truncated, m1.length, m1.text, m1.frames) == (True, 100, None, 2)
    assert m2.text == "after"
    assert codes(out) == ["gap-in-payload"]


def test_finish_with_unfinished_message():
    d = WebSocketDirection("c2s")
    d.feed(cframe(1, b"part", fin=False) + cframe(0, b"ial", fin=False), 4)
    d.feed(cframe(0, b"abc")[:4], 5)
    out = d.finish()
    assert codes(out) == ["incomplete-frame", "incomplete-message"]
    assert all(n.no == 5 for n in out)


def test_gap_in_header_stops_and_finish_reports_the_open_message():
    d = WebSocketDirection("s2c")
    out = d.feed(raw_frame(1, b"x", fin=False), 1) + d.gap(3, 2) + d.feed(raw_frame(0, b"y"), 3)
    assert codes(out) == ["gap-in-header"] and d.stopped
    assert codes(d.finish()) == ["incomplete-message"]


# -- permessage-deflate ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("takeover", [True, False])
@pytest.mark.parametrize("side", ["c2s", "s2c"])
def test_deflate_context_takeover(takeover, side):
    client = side == "c2s"
    no_ctx = {"client_no_context_takeover": not takeover} if client else {
        "server_no_context_takeover": not takeover}
    ext = PerMessageDeflate(**no_ctx)
    p = proto(client, ext)
    msgs = ["the quick brown fox jumps over the lazy dog " * 20, "the quick brown fox jumps over the lazy dog",
            "ünïcödé " * 50, os.urandom(3000)]
    wire = b"".join(bytes(p.send_data(m)) for m in msgs)
    # A fragmented compressed message, with a ping in the middle.
    wire += bytes(p.send_data("fragmented and ", fin=False)) + bytes(p.ping(b"!"))
    wire += bytes(p.send_data("compressed ", fin=False)) + bytes(p.send_data("message", fin=True))
    d = WebSocketDirection(side, deflate=DeflateParams(**no_ctx))
    out = []
    for i in range(0, len(wire), 37):
        out += d.feed(wire[i:i + 37], i)
    assert not codes(out)
    ms = of(out, Message)
    expect = [m.encode() if isinstance(m, str) else m for m in msgs] + [b"fragmented and compressed message"]
    assert [m.data for m in ms] == expect
    assert all(m.compressed and not m.truncated for m in ms)
    assert [m.length for m in ms] == [len(e) for e in expect]
    assert ms[0].wire_length < len(expect[0]) // 5
    # With takeover the repeat of the first message is nearly free; without, it is compressed on its own.
    assert (ms[1].wire_length < 10) is takeover
    assert ms[4].frames == 3


def test_deflate_small_window_and_zlib_encoder():
    # Encoded by zlib directly, as RFC 7692 7.2.1 describes: raw deflate, sync flush, drop 00 00 ff ff.
    comp = zlib.compressobj(6, zlib.DEFLATED, -9)
    d = WebSocketDirection("s2c", deflate=DeflateParams(server_max_window_bits=9))
    out = []
    for i, text in enumerate(["abc" * 100, "abcabc", ""]):
        body = comp.compress(text.encode()) + comp.flush(zlib.Z_SYNC_FLUSH)
        assert body.endswith(b"\x00\x00\xff\xff")
        out += d.feed(raw_frame(1, body[:-4], rsv=4), i)
    assert [m.text for m in of(out, Message)] == ["abc" * 100, "abcabc", ""] and not codes(out)


def test_uncompressed_message_on_deflate_connection():
    d = WebSocketDirection("s2c", deflate=DeflateParams())
    out = d.feed(raw_frame(1, b"plain"), 1)
    m = of(out, Message)[0]
    assert (m.text, m.compressed) == ("plain", False) and not codes(out)


def test_corrupt_deflate_data():
    d = WebSocketDirection("s2c", deflate=DeflateParams(server_no_context_takeover=True))
    out = d.feed(raw_frame(2, b"\xff\xff\xff\xff", rsv=4), 1)
    m = of(out, Message)[0]
    assert m.truncated and m.compressed
    assert codes(out) == ["inflate-error"]
    # No takeover: the next message inflates on its own.
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = (comp.compress(b"fine") + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]
    out = d.feed(raw_frame(1, body, rsv=4), 2)
    assert of(out, Message)[0].text == "fine" and not codes(out)


@functools.lru_cache(maxsize=None)
def bomb(mib):
    """`mib` MiB of zeros as one permessage-deflate payload (about 1 KB per MiB)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(MiB)
    body = b"".join(comp.compress(zeros) for _ in range(mib)) + comp.flush(zlib.Z_SYNC_FLUSH)
    return comp, body[:-4]


def test_deflate_bomb_is_capped():
    _, body = bomb(200)
    lim = Limits(max_message=1 * MiB)
    d = WebSocketDirection("s2c", deflate=DeflateParams(server_no_context_takeover=True), limits=lim)
    wire = raw_frame(2, body, rsv=4)
    tracemalloc.start()
    try:
        out = d.feed(wire, 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MiB, peak
    m = of(out, Message)[0]
    assert (m.truncated, len(m.data), m.length, m.wire_length) == (True, MiB, MiB, len(body))
    assert codes(out) == ["message-truncated"]


def test_message_exactly_at_cap_is_not_truncated():
    lim = Limits(max_message=4096)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = (comp.compress(bytes(4096)) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]
    d = WebSocketDirection("s2c", deflate=DeflateParams(), limits=lim)
    out = d.feed(raw_frame(2, body[:3], rsv=4, fin=False) + raw_frame(0, body[3:]), 1)
    m = of(out, Message)[0]
    assert (m.truncated, m.length) == (False, 4096) and not codes(out)


def test_bomb_with_context_takeover_loses_context_then_recovers():
    lim = Limits(max_message=64 * 1024)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)

    def msg(data):
        return (comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]

    d = WebSocketDirection("s2c", deflate=DeflateParams(), limits=lim)
    out = d.feed(raw_frame(2, msg(bytes(1 * MiB)), rsv=4), 1)
    assert codes(out) == ["message-truncated", "inflate-context-lost"]
    # "fresh" shares nothing with the zeros in the window: it inflates correctly from an empty window.
    out = d.feed(raw_frame(1, msg(b"fresh"), rsv=4), 2)
    assert of(out, Message)[0].text == "fresh" and not codes(out)
    # More zeros would be a back-reference into history we never produced: marked, not noted again.
    out = d.feed(raw_frame(2, msg(bytes(100)), rsv=4), 3)
    m = of(out, Message)[0]
    assert m.truncated and not codes(out)
    # After a full window of correct output the direction is whole again.
    big = os.urandom(40 * 1024)
    out = d.feed(raw_frame(2, msg(big), rsv=4), 4)
    assert of(out, Message)[0].data == big
    out = d.feed(raw_frame(2, msg(big[:5000]), rsv=4), 5)
    m = of(out, Message)[0]
    assert m.data == big[:5000] and not m.truncated
    assert d.inflater.lost is False


@pytest.mark.parametrize("takeover", [True, False])
def test_gap_inside_compressed_message(takeover):
    params = DeflateParams(client_no_context_takeover=not takeover)
    p = proto(True, PerMessageDeflate(client_no_context_takeover=not takeover))
    # Random bytes, all >= 0x80: the ASCII message after the gap can then never be sent as a back-reference
    # into them (with os.urandom it was, one run in ~600, and then rightly could not be inflated).
    first = bytes(p.send_data(bytes(b | 0x80 for b in os.urandom(2000))))
    second = bytes(p.send_data("after the gap"))
    d = WebSocketDirection("c2s", deflate=params)
    out = d.feed(first[:100], 1) + d.gap(50, 2) + d.feed(first[150:] + second, 3)
    m1, m2 = of(out, Message)
    assert m1.truncated and m1.compressed and m1.wire_length == len(first) - 8
    assert m2.text == "after the gap" and not m2.truncated
    expected = ["gap-in-payload", "inflate-gap"] + (["inflate-context-lost"] if takeover else [])
    assert codes(out) == expected


def test_stream_order_frame_notes_message():
    d = WebSocketDirection("c2s")
    out = d.feed(raw_frame(1, b"\xff"), 1)                  # unmasked and invalid UTF-8
    assert [(type(r).__name__, getattr(r, "code", None)) for r in out] == [
        ("Frame", None), ("Note", "unmasked-client-frame"), ("Message", None), ("Note", "invalid-utf8")]
    assert all(r.conn is None for r in out)


def test_close_frame_with_lost_bytes_gets_no_invented_status_code():
    # A masked Close 1000 "goodbye" whose middle is lost to a capture gap.
    from wsproto.frame_protocol import FrameProtocol, CloseReason
    data = FrameProtocol(client=True, extensions=[]).close(CloseReason.NORMAL_CLOSURE, "goodbye")
    ws = WebSocketDirection("c2s")
    recs = ws.feed(data[:7], 1) + ws.gap(3, 2) + ws.feed(data[10:], 3)
    frames = [r for r in recs if isinstance(r, Frame)]
    assert len(frames) == 1 and frames[0].payload_missing == 3
    assert frames[0].close_code is None and frames[0].close_reason is None
    codes = [r.code for r in recs if isinstance(r, Note)]
    assert "close-payload-missing" in codes and "bad-close-code" not in codes
