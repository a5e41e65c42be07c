"""FrameParser: RFC 6455 framing, fed bytes only. wsproto encodes the valid frames; struct builds the odd ones."""
import os
import struct
import tracemalloc

import pytest
from wsproto.frame_protocol import FrameProtocol

from sessionbuild import words
from wsdissect.model import Frame, Note
from wsdissect.websocket import FrameParser
from wsdissect.websocket.codes import (close_code_meaning, close_code_name, close_code_sendable, is_control,
                                       opcode_name)
from wsdissect.websocket.frames import unmask


def client():
    return FrameProtocol(client=True, extensions=[])


def server():
    return FrameProtocol(client=False, extensions=[])


def raw_frame(opcode, payload=b"", *, fin=True, rsv=0, key=None, form=None, length=None):
    """A frame built by hand. `form` forces the length encoding: 7, 16 or 64 bits."""
    n = len(payload) if length is None else length
    if form is None:
        form = 7 if n < 126 else 16 if n < 65536 else 64
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    mbit = 0x80 if key else 0
    if form == 7:
        head = struct.pack("!BB", b0, mbit | n)
    elif form == 16:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if key:
        masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        return head + key + masked
    return head + payload


def frames_of(records):
    return [r for r in records if isinstance(r, Frame)]


def notes_of(records):
    return [r for r in records if isinstance(r, Note)]


def feed_all(parser, chunks):
    out = []
    for no, chunk in enumerate(chunks, 1):
        out += parser.feed(chunk, no)
    return out


# -- codes ---------------------------------------------------------------------------------------------------

def test_opcode_names():
    assert [opcode_name(o) for o in (0, 1, 2, 8, 9, 10)] == ["continuation", "text", "binary", "close", "ping",
                                                             "pong"]
    assert all(opcode_name(o) == "reserved" for o in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15))
    assert not is_control(2) and is_control(8) and is_control(15)


@pytest.mark.parametrize("code,sendable,name", [
    (1000, True, "Normal Closure"), (1001, True, "Going Away"), (1002, True, "Protocol Error"),
    (1003, True, "Unsupported Data"), (1004, False, "Reserved"), (1005, False, "No Status Rcvd"),
    (1006, False, "Abnormal Closure"), (1007, True, "Invalid frame payload data"),
    (1008, True, "Policy Violation"), (1009, True, "Message Too Big"), (1010, True, "Mandatory Ext."),
    (1011, True, "Internal Error"), (1012, True, "Service Restart"), (1013, True, "Try Again Later"),
    (1014, True, "Bad Gateway"), (1015, False, "TLS handshake"), (1016, False, "Unassigned"),
    (2999, False, "Unassigned"), (3000, True, "Unauthorized"), (3500, True, "Registered"),
    (3999, True, "Registered"), (4000, True, "Private Use"), (4999, True, "Private Use"),
    (5000, False, "Unassigned"), (0, False, "Invalid"), (999, False, "Invalid"), (65535, False, "Unassigned"),
])
def test_close_codes(code, sendable, name):
    assert close_code_sendable(code) is sendable
    assert close_code_name(code) == name
    assert close_code_meaning(code)


# -- unmasking -----------------------------------------------------------------------------------------------

def test_unmask_matches_naive_xor_at_every_phase():
    key = b"\x37\xfa\x21\x3d"
    data = os.urandom(1001)
    for phase in range(4):
        naive = bytes(b ^ key[(i + phase) % 4] for i, b in enumerate(data))
        assert unmask(data, key, phase) == naive
    assert unmask(b"", key, 2) == b""
    assert unmask(b"\x00\x00", key) == b"\x37\xfa"   # leading zero bytes survive the int round trip


# -- lengths ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n,header_len", [(0, 2), (1, 2), (125, 2), (126, 4), (65535, 4), (65536, 10),
                                          (200_000, 10)])
@pytest.mark.parametrize("side", ["client", "server"])
def test_length_forms(n, header_len, side):
    proto = client() if side == "client" else server()
    payload = os.urandom(n)
    wire = bytes(proto.send_data(payload))
    p = FrameParser("c2s" if side == "client" else "s2c")
    [f] = p.feed(wire, 7)
    assert (f.opcode, f.fin, f.rsv, f.length, f.payload, f.payload_missing) == (2, True, 0, n, payload, 0)
    assert f.masked is (side == "client")
    assert f.header_len == header_len + (4 if side == "client" else 0)
    assert f.mask_key == (wire[f.header_len - 4:f.header_len] if side == "client" else None)
    assert (f.first_no, f.no, f.direction, f.conn) == (7, 7, p.direction, None)


def test_header_split_at_every_position():
    payload = os.urandom(70_000)                  # 64-bit length form, masked: a 14-byte header
    wire = bytes(client().send_data(payload)) + bytes(client().send_data("tail"))
    first_len = len(wire) - (6 + 4)
    for cut in list(range(0, 20)) + [first_len - 1, first_len, first_len + 1, first_len + 5, first_len + 7]:
        p = FrameParser("c2s")
        out = p.feed(wire[:cut], 1) + p.feed(wire[cut:], 2)
        f1, f2 = frames_of(out)
        assert not notes_of(out)
        assert f1.payload == payload and f2.payload == b"tail"
        assert f1.first_no == (1 if cut > 0 else 2)
        assert f1.no == (2 if cut < first_len else 1)
        assert f2.first_no == (1 if cut > first_len else 2)
        assert f2.no == 2


def test_one_byte_at_a_time_tracks_packet_numbers():
    wire = bytes(client().send_data(b"x" * 300)) + bytes(client().ping(b"")) + bytes(client().send_data("hi"))
    p = FrameParser("c2s")
    out = feed_all(p, [wire[i:i + 1] for i in range(len(wire))])
    f1, f2, f3 = frames_of(out)
    assert (f1.first_no, f1.no) == (1, 8 + 300)               # 2 + 2 + 4 header bytes, then the payload
    assert (f2.first_no, f2.no) == (309, 314)                 # empty ping: completes with its last header byte
    assert (f3.first_no, f3.no) == (315, len(wire))
    assert f1.payload == b"x" * 300 and f2.payload == b"" and f3.payload == b"hi"


def test_many_frames_in_one_chunk():
    s = server()
    wire = b"".join(bytes(s.send_data(f"m{i}")) for i in range(500))
    p = FrameParser("s2c")
    out = p.feed(wire, 3)
    assert [f.payload for f in out] == [f"m{i}".encode() for i in range(500)]
    assert all((f.first_no, f.no) == (3, 3) for f in out)
    assert p.frames == 500


def test_mask_phase_survives_odd_chunking():
    payload = os.urandom(10_007)
    wire = bytes(client().send_data(payload))
    sizes = [1, 2, 3, 5, 7, 11, 13]
    chunks, pos, i = [], 0, 0
    while pos < len(wire):
        chunks.append(wire[pos:pos + sizes[i % len(sizes)]])
        pos += sizes[i % len(sizes)]
        i += 1
    [f] = frames_of(feed_all(FrameParser("c2s"), chunks))
    assert f.payload == payload


def test_control_frames_and_close():
    c = client()
    wire = bytes(c.ping(b"abc")) + bytes(c.pong(b"")) + bytes(c.close(1001, "bye"))
    fs = FrameParser("c2s").feed(wire, 1)
    assert [(f.opcode, f.payload) for f in fs] == [(9, b"abc"), (10, b""), (8, b"\x03\xe9bye")]


# -- odd length encodings ----------------------------------------------------------------------------------

def test_non_minimal_lengths_are_noted():
    wire = (raw_frame(2, b"abc", form=16) + raw_frame(2, b"x" * 200, form=64) + raw_frame(2, b"y" * 10, form=64)
            + raw_frame(2, b"ok"))
    out = FrameParser("s2c").feed(wire, 4)
    fs = frames_of(out)
    assert [f.payload for f in fs] == [b"abc", b"x" * 200, b"y" * 10, b"ok"]
    assert [f.header_len for f in fs] == [4, 10, 10, 2]
    notes = notes_of(out)
    assert [n.code for n in notes] == ["non-minimal-length"] * 3
    assert all(n.severity == "warning" and n.no == 4 for n in notes)
    # Each note comes right before the frame it is about.
    assert [type(r).__name__ for r in out] == ["Note", "Frame", "Note", "Frame", "Note", "Frame", "Frame"]


def test_length_with_msb_set_stops_the_direction():
    p = FrameParser("s2c")
    good = raw_frame(1, b"hi")
    bad = struct.pack("!BBQ", 0x82, 127, 1 << 63) + b"zzzz"
    out = p.feed(good + bad, 1)
    assert [type(r) for r in out] == [Frame, Note]
    assert out[1].code == "invalid-length" and out[1].severity == "error"
    assert p.stopped
    assert p.feed(raw_frame(1, b"later"), 2) == []
    assert p.ignored == len(bad) + len(raw_frame(1, b"later"))
    assert p.finish() == []


# -- the payload cap -----------------------------------------------------------------------------------------

def test_huge_claimed_length_does_not_allocate():
    cap = 1024
    p = FrameParser("c2s", max_payload=cap)
    key = b"\x01\x02\x03\x04"
    header = struct.pack("!BBQ", 0x82, 0x80 | 127, (1 << 63) - 1) + key
    chunk = bytes(64 * 1024)
    tracemalloc.start()
    try:
        out = p.feed(header, 1)
        for no in range(2, 202):                 # 12.5 MiB of payload streamed through
            out += p.feed(chunk, no)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024
    [note] = out
    assert (note.code, note.no, note.severity) == ("frame-truncated", 2, "warning")
    [fin] = p.finish()
    assert fin.code == "incomplete-frame" and fin.no == 201
    assert "13107200 of 9223372036854775807" in words(fin)


def test_cut_frame_keeps_prefix_and_the_cut_is_derivable():
    payload = os.urandom(5000)
    wire = bytes(client().send_data(payload)) + bytes(client().send_data(b"after"))
    p = FrameParser("c2s", max_payload=1000)
    out = feed_all(p, [wire[:1500], wire[1500:]])
    f1, f2 = frames_of(out)
    assert f1.payload == payload[:1000] and f1.length == 5000 and f1.payload_missing == 0
    assert f1.length - len(f1.payload) - f1.payload_missing == 4000
    assert f2.payload == b"after"
    assert [n.code for n in notes_of(out)] == ["frame-truncated"]


# -- gaps ------------------------------------------------------------------------------------------------------

def test_gap_inside_payload_resyncs_after_the_frame():
    payload = os.urandom(100)
    f1 = bytes(client().send_data(payload))          # 6-byte header
    f2 = bytes(client().send_data("next"))
    wire = f1 + f2
    p = FrameParser("c2s")
    out = p.feed(wire[:6 + 10], 1)
    out += p.gap(50, 2)
    out += p.feed(wire[6 + 60:], 3)
    fa, fb = frames_of(out)
    # The mask phase advanced over the hole, so the bytes after it unmask correctly.
    assert fa.payload == payload[:10] + payload[60:]
    assert (fa.payload_missing, fa.length, fa.first_no, fa.no) == (50, 100, 1, 3)
    assert fb.payload == b"next"
    [note] = notes_of(out)
    assert (note.code, note.no, note.severity) == ("gap-in-payload", 2, "warning")
    assert not p.stopped


def test_gap_ending_exactly_at_frame_end_completes_the_frame():
    f1 = raw_frame(2, bytes(range(40)), key=b"abcd")
    f2 = raw_frame(1, b"fine", key=b"wxyz")
    p = FrameParser("c2s")
    out = p.feed(f1[:10], 1) + p.gap(len(f1) - 10, 2) + p.feed(f2, 3)
    fa, fb = frames_of(out)
    assert fa.payload == bytes(range(4)) and fa.payload_missing == 36 and fa.no == 2
    assert fb.payload == b"fine"


@pytest.mark.parametrize("held", [0, 1, 3, 5])
def test_gap_in_header_stops(held):
    f1 = raw_frame(1, b"hello")
    f2 = raw_frame(2, b"x" * 300, key=b"kkkk")       # 8-byte header
    p = FrameParser("c2s")
    out = p.feed(f1 + f2[:held], 1) + p.gap(7, 2)
    assert [f.payload for f in frames_of(out)] == [b"hello"]
    [note] = notes_of(out)
    assert (note.code, note.severity, note.no) == ("gap-in-header", "error", 2)
    assert "stopped parsing this direction" in words(note)
    assert p.stopped
    assert p.feed(f2, 3) == [] and p.gap(4, 4) == []
    assert p.ignored == 7 + len(f2) + 4


def test_gap_running_past_frame_end_finishes_frame_then_stops():
    f1 = raw_frame(2, b"a" * 20)
    p = FrameParser("s2c")
    out = p.feed(f1[:12], 1) + p.gap(30, 2)
    f, note = out
    assert f.payload == b"a" * 10 and f.payload_missing == 10 and f.no == 2
    assert note.code == "gap-in-header" and p.stopped


def test_finish_reports_partial_frames():
    p = FrameParser("s2c")
    p.feed(raw_frame(1, b"abcdef")[:5], 9)
    [n] = p.finish()
    assert n.code == "incomplete-frame" and n.no == 9 and "3 of 6" in words(n)
    p = FrameParser("s2c")
    p.feed(b"\x81", 4)
    assert p.in_frame
    [n] = p.finish()
    assert n.code == "incomplete-frame" and "header" in words(n)
    p = FrameParser("s2c")
    p.feed(raw_frame(1, b"done"), 1)
    assert p.finish() == [] and not p.in_frame


def test_accepts_bytearray_and_memoryview():
    wire = bytes(server().send_data(b"abc"))
    p = FrameParser("s2c")
    out = p.feed(bytearray(wire[:3]), 1) + p.feed(memoryview(wire)[3:], 2)
    [f] = out
    assert f.payload == b"abc" and type(f.payload) is bytes
