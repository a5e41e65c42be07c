"""Property tests: whatever wsproto encodes, cut anywhere, parses back to the same frames and messages."""
import bisect
import random

from hypothesis import given, settings
from hypothesis import strategies as st
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import FrameProtocol

from wsdissect.model import DeflateParams, Frame, Message, Note
from wsdissect.websocket import FrameParser, WebSocketDirection


def naive_decode(wire):
    """Decode ONE complete frame the slow, obvious way, as an independent check of its fields."""
    b0, b1 = wire[0], wire[1]
    n, pos = b1 & 0x7F, 2
    if n == 126:
        n, pos = int.from_bytes(wire[2:4], "big"), 4
    elif n == 127:
        n, pos = int.from_bytes(wire[2:10], "big"), 10
    key = None
    if b1 & 0x80:
        key, pos = wire[pos:pos + 4], pos + 4
    body = wire[pos:]
    assert len(body) == n
    if key:
        body = bytes(b ^ key[i % 4] for i, b in enumerate(body))
    return dict(fin=bool(b0 & 0x80), rsv=(b0 >> 4) & 7, opcode=b0 & 0x0F, length=n, payload=body,
                header_len=pos, mask_key=key)


def sized_bytes(n, seed):
    return random.Random(seed).randbytes(n)


payloads = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200),
    # Repeats, so that with context takeover later messages point back into earlier ones.
    st.sampled_from(["hello websocket " * 8, "hello websocket " * 8 + "!", b"\x00\x01" * 50]),
    # Around the 7/16/64-bit length boundaries, without asking hypothesis to invent 64 KB by hand.
    st.builds(sized_bytes, st.sampled_from([125, 126, 127, 65535, 65536, 70000]), st.integers(0, 2**32)),
)

controls = st.tuples(st.sampled_from(["ping", "pong"]), st.binary(max_size=125))

messages = st.tuples(
    st.just("msg"),
    payloads,
    st.lists(st.integers(0, 70000), max_size=4),                 # fragment boundaries
    st.lists(st.one_of(st.none(), controls), max_size=4),        # control frame after each non-final fragment
)

closes = st.one_of(st.none(), st.tuples(st.sampled_from([1000, 1001, 1008, 1011, 1013, 3000, 4321]),
                                        st.text(max_size=30)))

deflates = st.one_of(st.none(), st.fixed_dictionaries({
    "client_no_context_takeover": st.booleans(),
    "server_no_context_takeover": st.booleans(),
    "client_max_window_bits": st.integers(9, 15),
    "server_max_window_bits": st.integers(9, 15),
}))


def encode(side, deflate, ops, close):
    """wsproto-encoded frames as (wire bytes, decoded fields) plus the expected messages."""
    exts = []
    if deflate is not None:
        ext = PerMessageDeflate(**deflate)
        ext.finalize("permessage-deflate")
        exts = [ext]
    p = FrameProtocol(client=side == "c2s", extensions=exts)
    frames, expected = [], []

    def add(wire, plain=None):
        wire = bytes(wire)
        fields = naive_decode(wire)
        if plain is not None:
            assert fields["payload"] == plain
        frames.append((wire, fields))

    for op in ops:
        if op[0] in ("ping", "pong"):
            add(getattr(p, op[0])(op[1]), op[1])
            continue
        _, payload, cuts, between = op
        cuts = sorted({c for c in cuts if 0 < c < len(payload)})
        pieces = [payload[a:b] for a, b in zip([0] + cuts, cuts + [len(payload)])]
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            add(p.send_data(piece, fin=last))
            if not last and i < len(between) and between[i] is not None:
                kind, body = between[i]
                add(getattr(p, kind)(body), body)
        data = payload.encode() if isinstance(payload, str) else payload
        expected.append((1 if isinstance(payload, str) else 2, data))
    if close is not None:
        add(p.close(*close))
    return frames, expected


def chunked(wire, cuts):
    cuts = sorted({c for c in cuts if 0 < c < len(wire)})
    return [wire[a:b] for a, b in zip([0] + cuts, cuts + [len(wire)])], cuts


@settings(max_examples=200, deadline=None)
@given(side=st.sampled_from(["c2s", "s2c"]), deflate=deflates, ops=st.lists(st.one_of(messages, controls),
       max_size=6), close=closes, data=st.data())
def test_roundtrip_through_random_chunks(side, deflate, ops, close, data):
    frames, expected = encode(side, deflate, ops, close)
    wire = b"".join(w for w, _ in frames)
    chunks, cuts = chunked(wire, data.draw(st.lists(st.integers(0, max(len(wire), 1)), max_size=30)))
    params = DeflateParams(**deflate) if deflate is not None else None
    d = WebSocketDirection(side, deflate=params)
    out = []
    for no, chunk in enumerate(chunks):
        out += d.feed(chunk, no)
    out += d.finish()

    assert [r for r in out if isinstance(r, Note)] == []
    got_frames = [r for r in out if isinstance(r, Frame)]
    assert len(got_frames) == len(frames)
    start = 0
    for f, (w, want) in zip(got_frames, frames):
        assert (f.fin, f.rsv, f.opcode, f.length, f.payload, f.header_len, f.mask_key) == (
            want["fin"], want["rsv"], want["opcode"], want["length"], want["payload"], want["header_len"],
            want["mask_key"])
        assert f.payload_missing == 0 and f.direction == side
        # Packet numbers: the chunk holding the frame's first byte, and the one holding its last.
        assert f.first_no == bisect.bisect_right(cuts, start)
        assert f.no == bisect.bisect_right(cuts, start + len(w) - 1)
        start += len(w)
    got = [(m.opcode, m.data) for m in out if isinstance(m, Message)]
    assert got == expected
    for m in (r for r in out if isinstance(r, Message)):
        assert not m.truncated and m.length == len(m.data)
        assert m.compressed is (deflate is not None)
        if m.opcode == 1:
            assert m.text == m.data.decode()
    # Each message comes right after its final frame.
    for i, r in enumerate(out):
        if isinstance(r, Message):
            assert isinstance(out[i - 1], Frame) and out[i - 1].fin and out[i - 1].opcode in (0, 1, 2)
    if close is not None:
        last = got_frames[-1]
        assert (last.close_code, last.close_reason) == close


@settings(max_examples=200, deadline=None)
@given(side=st.sampled_from(["c2s", "s2c"]), ops=st.lists(st.one_of(messages, controls), min_size=1, max_size=5),
       data=st.data())
def test_gap_inside_a_payload_only_touches_that_frame(side, ops, data):
    frames, _ = encode(side, None, ops, None)
    with_payload = [i for i, (_, f) in enumerate(frames) if f["length"] > 0]
    if not with_payload:
        return
    victim = data.draw(st.sampled_from(with_payload))
    vw, vf = frames[victim]
    a = data.draw(st.integers(0, vf["length"] - 1))
    b = data.draw(st.integers(a + 1, vf["length"]))
    before = b"".join(w for w, _ in frames[:victim]) + vw[:vf["header_len"] + a]
    after = vw[vf["header_len"] + b:] + b"".join(w for w, _ in frames[victim + 1:])
    p = FrameParser(side)
    out = []
    for chunk in chunked(before, data.draw(st.lists(st.integers(0, len(before)), max_size=5)))[0]:
        out += p.feed(chunk, 1)
    out += p.gap(b - a, 2)
    for chunk in chunked(after, data.draw(st.lists(st.integers(0, len(after)), max_size=5)))[0]:
        out += p.feed(chunk, 3)
    got = [r for r in out if isinstance(r, Frame)]
    assert [n.code for n in out if isinstance(n, Note)] == ["gap-in-payload"]
    assert len(got) == len(frames)
    for i, (f, (_, want)) in enumerate(zip(got, frames)):
        if i == victim:
            assert f.payload == want["payload"][:a] + want["payload"][b:]
            assert f.payload_missing == b - a
        else:
            assert f.payload == want["payload"] and f.payload_missing == 0
        assert (f.opcode, f.fin, f.length) == (want["opcode"], want["fin"], want["length"])
    assert not p.stopped and not p.in_frame
