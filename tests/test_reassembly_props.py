"""Property: whatever the network does to the segments, the frames and messages come out exactly as sent.

A real handshake, then WebSocket traffic encoded by wsproto (an encoder independent of our parser): text
(non-ASCII included), binary, fragmented messages with pings/pongs between the fragments, an optional Close.
Each direction's byte stream is cut into random TCP segments, the capture order is shuffled within a bounded
window, some segments are sent again (exact duplicates and re-cut ranges), pure ACKs are sprinkled in. The
ACK numbers are computed from the final capture order (a receiver only acknowledges bytes that reached it), so
the capture never claims a hole. The analyzer must give back each direction's frames (opcode, fin, length,
payload) and messages (opcode, data) exactly, each frame once, listed at the packet whose arrival completed it.

A second property loses segments from the capture (the receivers' final ACKs prove they were sent): frames
around a hole in a payload survive with exactly those bytes missing, a hole over a header stops that direction,
no frame is ever invented. A tshark cross-check compares frame numbers and opcodes on reordered captures.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from wsproto.frame_protocol import FrameProtocol

from pcapbuild import ethernet, tcp_packet, pcap_bytes
from sessionbuild import KEY, accept_for, analyze, upgrade_request, upgrade_response, words
from wsdissect.model import C2S, S2C, RawPacket

OTHER = {C2S: S2C, S2C: C2S}
ADDR = {C2S: ("10.1.0.1", 49152), S2C: ("10.1.0.2", 8765)}
ISNS = [0, 123456, 0x7FFFFFF0, 0xFFFFFF00, 0xFFFFFFFF]   # near 2**31 and 2**32 on purpose: seq numbers wrap
# Notes a reordered-but-complete capture may legitimately raise. Anything else (missing bytes, gaps,
# malformed frames, incomplete messages at the end...) means the reassembly lost or invented bytes.
# Hypothesis' "explain" phase re-runs a failing example under coverage tracing: minutes here. Skip it.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
ALLOWED_NOTES = {"tcp-out-of-order", "tcp-retransmission", "tcp-overlap", "close-without-close-frame"}


# --- traffic ---------------------------------------------------------------------------------------------

texts = st.text(max_size=120)                       # any code point but surrogates: non-ASCII included
binaries = st.binary(max_size=160)
controls = st.tuples(st.sampled_from(["ping", "pong"]), st.binary(max_size=125))
messages = st.tuples(
    st.one_of(texts, binaries, st.sampled_from(["héllo wörld ✓ 你好 🎉" * 3, b"\x00\xff" * 70])),
    st.integers(1, 4),                               # fragments
    st.lists(controls, max_size=3),                  # control frames placed between fragments
)
closes = st.one_of(st.none(), st.tuples(st.sampled_from([1000, 1001, 1011, 4000]), st.text(max_size=20)))
sides = st.tuples(st.lists(st.one_of(messages, controls), max_size=6), closes)


def encode(client: bool, items, close):
    """wsproto bytes of one direction, with the frames and messages the parser must find in them."""
    proto = FrameProtocol(client=client, extensions=[])
    wire = bytearray()
    frames, msgs = [], []           # frames: (opcode, fin, payload, end offset in the stream)

    def put(opcode, fin, payload, data):
        wire.extend(data)
        frames.append((opcode, fin, bytes(payload), len(wire)))

    for item in items:
        if isinstance(item[0], str) and item[0] in ("ping", "pong"):
            kind, payload = item
            put(9 if kind == "ping" else 10, True, payload, getattr(proto, kind)(payload))
            continue
        payload, nfrag, ctl = item
        # Cut at character boundaries for text (wsproto encodes each str piece), anywhere for binary.
        cuts = sorted({len(payload) * i // nfrag for i in range(1, nfrag)})
        pieces = [payload[a:b] for a, b in zip([0, *cuts], [*cuts, len(payload)])]
        ctl = list(ctl)
        for i, piece in enumerate(pieces):
            fin = i == len(pieces) - 1
            opcode = (1 if isinstance(payload, str) else 2) if i == 0 else 0
            raw = piece.encode() if isinstance(piece, str) else piece
            put(opcode, fin, raw, proto.send_data(piece, fin=fin))
            if not fin and ctl:
                kind, cp = ctl.pop()
                put(9 if kind == "ping" else 10, True, cp, getattr(proto, kind)(cp))
        data = payload.encode() if isinstance(payload, str) else payload
        msgs.append((1 if isinstance(payload, str) else 2, data))
    if close is not None:
        code, reason = close
        put(8, True, code.to_bytes(2, "big") + reason.encode(), proto.close(code, reason))
    return bytes(wire), frames, msgs


# --- segments and capture order --------------------------------------------------------------------------

def cut(rnd: random.Random, d: str, start: int, end: int, max_seg: int) -> list:
    segs, off = [], start
    while off < end:
        n = min(rnd.randint(1, max_seg), end - off)
        segs.append((d, off, off + n))
        off += n
    return segs


def window_shuffle(rnd: random.Random, items: list, window: float) -> list:
    """Each item moves at most about `window` places: sort by position plus a bounded random delay."""
    keyed = sorted((i + rnd.uniform(0, window), i) for i in range(len(items)))
    return [items[i] for _, i in keyed]


def with_resends(rnd: random.Random, order: list, stream_len: dict, count: int, recut: bool = True) -> list:
    """Insert `count` resends near their original (mostly) or anywhere later: exact copies, or a new cut of
    the bytes (a retransmission re-packetized: same start and longer, wider on both sides, or a part), which
    may straddle the original's neighbours and arrive while they wait behind a hole."""
    order = list(order)
    for _ in range(count):
        data = [i for i, x in enumerate(order) if x[0] in (C2S, S2C)]
        if not data:
            break
        i = rnd.choice(data)
        d, a, b = order[i]
        n = stream_len[d]
        how = rnd.random()
        if how < 0.4 or not recut:
            a2, b2 = a, b
        elif how < 0.6:
            a2, b2 = a, rnd.randint(b, min(n, b + 30))
        elif how < 0.8:
            a2, b2 = rnd.randint(max(0, a - 30), a), rnd.randint(b, min(n, b + 30))
        else:
            a2 = rnd.randint(a, b - 1)
            a2, b2 = a2, rnd.randint(a2 + 1, b)
        if rnd.random() < 0.7:
            at = rnd.randint(max(0, i - 3), min(len(order), i + 6))
        else:
            at = rnd.randint(i + 1, len(order))
        order.insert(at, (d, a2, b2))
    return order


def build(rnd: random.Random, client_side, server_side, *, max_seg=None, window=None, resends=None,
          acks=True, fins=None, client_early=True, drop=None, final_ack=None, recut=True):
    """The capture (list of RawPacket) and what it must parse to. With `client_early` the client's first
    frames may be captured before the end of the 101 (the analyzer must hold them); without it they all come
    after, as tshark needs to find the frame boundaries.

    `drop` maps a direction to how many of its WebSocket segments the capture loses (never re-sent); with
    `final_ack` each side then acknowledges everything, which tells the analyzer the holes are real. The
    expectation is then what RFC 6455 framing allows: a hole inside a payload costs those bytes only, a hole
    over a header ends that direction's parsing."""
    max_seg = max_seg or rnd.choice([1, 3, 7, 20, 60, 400])
    window = rnd.choice([0, 1, 2, 4, 8]) if window is None else window
    resends = rnd.randint(0, 8) if resends is None else resends
    fins = rnd.random() < 0.5 if fins is None else fins
    req = upgrade_request(KEY, path="/prop", host="prop.example")
    resp = upgrade_response(accept_for(KEY))
    cwire, cframes, cmsgs = encode(True, *client_side)
    swire, sframes, smsgs = encode(False, *server_side)
    stream = {C2S: req + cwire, S2C: resp + swire}
    lens = {d: len(stream[d]) for d in stream}

    # Phase 1: the request (the server cannot answer before it has it all). Phase 2: the 101 and the
    # frames of both sides, merged in a random interleaving, each direction in order before the shuffle.
    p1 = cut(rnd, C2S, 0, len(req), max_seg)
    cs = cut(rnd, C2S, len(req), lens[C2S], max_seg)
    ss = cut(rnd, S2C, 0, lens[S2C], max_seg)
    holes = {C2S: [], S2C: []}
    for d, segs, start in ((C2S, cs, 0), (S2C, ss, len(resp))):
        for _ in range((drop or {}).get(d, 0)):
            cand = [k for k, x in enumerate(segs) if x[1] >= start]
            if cand:
                _, a, b = segs.pop(rnd.choice(cand))
                holes[d].append((a, b))
    p101 = []
    if not client_early:
        while ss and ss[0][1] < len(resp):
            p101.append(ss.pop(0))
    p2 = []
    while cs or ss:
        src = cs if (cs and (not ss or rnd.random() < 0.5)) else ss
        p2.append(src.pop(0))
    # Resends stay in their phase: a copy of a 101 segment placed before the request's end would have the
    # server answer a request it has not had yet.
    first = with_resends(rnd, window_shuffle(rnd, p1, window), lens, resends // 3, recut)
    order = first + with_resends(rnd, window_shuffle(rnd, p101, window) + window_shuffle(rnd, p2, window), lens,
                                 resends - resends // 3, recut)
    expect_final = {}

    def lost(x):
        return any(x[1] < b and a < x[2] for a, b in holes[x[0]])
    order = [x for x in order if not lost(x)]        # a re-cut resend must not fill a hole back in
    if acks:
        for _ in range(rnd.randint(0, len(order) // 2)):
            order.insert(rnd.randint(0, len(order)), ("ack", rnd.choice([C2S, S2C])))
    if fins:
        # The last segment of each direction carries the FIN (or a bare FIN follows the data).
        for d in (C2S, S2C):
            last = max((k for k, x in enumerate(order) if x[0] == d and x[2] == lens[d]), default=None)
            if last is not None and rnd.random() < 0.5:
                order[last] = order[last] + ("F",)
            else:
                order.append((d, lens[d], lens[d], "F"))

    if final_ack or (final_ack is None and any(holes.values())):
        order += [("ack", C2S, "all"), ("ack", S2C, "all")]
        expect_final = {S2C: len(order) + 3 - 1, C2S: len(order) + 3}   # the receiver's ACK of everything

    # Capture order is final: give each packet the ACK of what its receiver has contiguously, and find at
    # which packet each frame becomes complete.
    packets = []
    have = {C2S: bytearray(lens[C2S]), S2C: bytearray(lens[S2C])}   # 1 = byte captured
    prefix = {C2S: 0, S2C: 0}
    sent = {C2S: 0, S2C: 0}            # sequence space each side has used so far, in capture order
    ts = [1_700_000_100.0]

    def add(d, flags, seq, ack, payload=b""):
        (src, sport), (dst, dport) = ADDR[d], ADDR[OTHER[d]]
        ts[0] += 0.0005
        frame = ethernet(tcp_packet(src, dst, sport, dport, seq, ack, flags, payload, window=4096))
        packets.append(RawPacket(len(packets) + 1, ts[0], 1, frame, len(frame)))

    isn = {C2S: rnd.choice(ISNS), S2C: rnd.choice(ISNS)}
    seq0 = {d: (isn[d] + 1) & 0xFFFFFFFF for d in (C2S, S2C)}
    add(C2S, "S", isn[C2S], 0)
    add(S2C, "SA", isn[S2C], seq0[C2S])
    add(C2S, "A", seq0[C2S], seq0[S2C])
    done_at = {C2S: [], S2C: []}       # packet number completing each byte prefix, as (prefix, no)
    carrier = {C2S: [0] * lens[C2S], S2C: [0] * lens[S2C]}   # first packet that carried each byte
    for x in order:
        if x[0] == "ack":
            d = x[1]
            # A pure ACK carries the sender's next sequence number: past what it sent so far, and past its FIN.
            upto = lens[OTHER[d]] if len(x) > 2 else prefix[OTHER[d]]
            add(d, "A", seq0[d] + sent[d], seq0[OTHER[d]] + upto)
            continue
        d, a, b = x[:3]
        flags = ("F" if len(x) > 3 else "") + ("PA" if b > a else "A")
        add(d, flags, seq0[d] + a, seq0[OTHER[d]] + prefix[OTHER[d]], stream[d][a:b])
        sent[d] = max(sent[d], b + (len(x) > 3))
        have[d][a:b] = b"\1" * (b - a)
        for k in range(a, b):
            carrier[d][k] = carrier[d][k] or len(packets)
        p = prefix[d]
        while p < lens[d] and have[d][p]:
            p += 1
        if p > prefix[d]:
            prefix[d] = p
            done_at[d].append((p, len(packets)))

    def completed_at(d, end):
        return next((no for p, no in done_at[d] if p >= end), None)

    # Client frames wait for the 101 to be complete before they are parsed (the analyzer holds them).
    ready = completed_at(S2C, len(resp))
    expect = {}
    for d, frames, msgs, skip in ((C2S, cframes, cmsgs, len(req)), (S2C, sframes, smsgs, len(resp))):
        fr = [(op, fin, len(pl), pl, max(completed_at(d, skip + end) or 0, ready if d == C2S else 0))
              for op, fin, pl, end in frames]
        expect[d] = (fr, msgs)
        expect[d + "-holes"] = [(a - skip, b - skip) for a, b in holes[d]]
        expect[d + "-raw"] = frames
        expect[d + "-final-ack"] = expect_final[d] if any(holes.values()) else None
        # Frames listed at a later packet than the one that brought their last byte: completed by a packet
        # that filled a hole before them (or, client side, by the end of the 101).
        expect[d + "-late"] = sum(fr[k][4] != carrier[d][skip + end - 1] for k, (*_, end) in enumerate(frames))
    return packets, expect


def parsed(result):
    out = {}
    for d in (C2S, S2C):
        frames = [(f.opcode, f.fin, f.length, f.payload, f.no) for f in result.frames(d)]
        msgs = [(m.opcode, m.data) for m in result.messages(d)]
        out[d] = (frames, msgs)
    return out


def check(packets, expect):
    r = analyze(packets)
    got = parsed(r)
    for d in (C2S, S2C):
        assert got[d][0] == expect[d][0], f"{d} frames"
        assert got[d][1] == expect[d][1], f"{d} messages"
    bad = [(n.no, n.code, words(n)) for n in r.notes() if n.code not in ALLOWED_NOTES]
    assert not bad
    assert r.conn.is_websocket and r.conn.accept_ok
    # Messages carry the text of text messages, decoded.
    for m in r.messages():
        if m.opcode == 1:
            assert m.text == m.data.decode()
    # Every frame is listed once, at the packet that completed it, which carried some of its bytes or is
    # the 101 that released waiting client frames.
    for row in r.rows:
        for f in row.frames:
            assert f.no == row.no and f.first_no <= f.no
    return r


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=PHASES)
@given(client=sides, server=sides, rnd=st.randoms(use_true_random=False))
def test_reordered_duplicated_segments_parse_back_exactly(client, server, rnd):
    packets, expect = build(rnd, client, server)
    check(packets, expect)


def test_generator_really_reorders_and_duplicates():
    """Guard against a generator that silently stopped shuffling: the property would then prove little."""
    rnd = random.Random(7)
    side = ([("x" * 200, 3, [("ping", b"p")]), (b"\x01" * 90, 1, [])], (1000, "bye"))
    packets, expect = build(rnd, side, side, max_seg=7, window=6, resends=4, fins=True)
    r = check(packets, expect)
    assert r.notes("tcp-out-of-order") and r.notes("tcp-retransmission")
    assert len(expect[C2S][0]) == 6 and len(expect[S2C][0]) == 6


# --- tshark cross-check ----------------------------------------------------------------------------------

def tshark_frames(path: str, port: int) -> list:
    out = subprocess.run(
        ["tshark", "-r", path, "-o", "tcp.reassemble_out_of_order:TRUE", "-d", f"tcp.port=={port},http",
         "-Y", "websocket", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=;",
         "-e", "frame.number", "-e", "websocket.opcode", "-e", "websocket.payload_length"],
        capture_output=True, text=True, check=True).stdout
    frames = []
    for line in out.splitlines():
        no, ops, _lens = (line.split("\t") + ["", ""])[:3]
        frames.extend((int(no), int(op)) for op in ops.split(";"))
    return frames


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark (Wireshark) is not installed")
@pytest.mark.parametrize("seed", [3, 7, 13, 16, 26])
def test_reordered_capture_matches_tshark(tmp_path, seed):
    """Same frames at the same packet numbers as tshark with out-of-order reassembly on: both list a frame at
    the packet that filled the hole before it. Resends are exact copies only: with re-cut overlapping
    retransmissions tshark 4.x often gives up reassembling (no frames at all), while we parse them (the
    property above)."""
    rnd = random.Random(seed)
    side_c = ([("client says hello", 1, []), (b"\x00" * 300, 2, [("ping", b"hb")]), ("ünï", 1, [])],
              (1000, "done"))
    side_s = ([("server " * 40, 3, [("pong", b"")]), (b"\x07" * 5, 1, [])], (1000, "done"))
    packets, expect = build(rnd, side_c, side_s, max_seg=25, window=3, resends=4, acks=True, fins=False,
                            client_early=False, recut=False)
    r = check(packets, expect)
    assert r.notes("tcp-out-of-order") and expect["c2s-late"] + expect["s2c-late"] > 0, \
        "no frame was completed by a hole-filling packet: the cross-check would prove little"
    path = os.path.join(tmp_path, "reordered.pcap")
    with open(path, "wb") as fh:
        fh.write(pcap_bytes([(p.ts, p.data) for p in packets]))
    got = [(f.no, f.opcode) for f in analyze(packets).frames()]
    assert sorted(got) == sorted((f[4], f[0]) for d in (C2S, S2C) for f in expect[d][0])
    assert tshark_frames(path, ADDR[S2C][1]) == got


# --- lost segments ---------------------------------------------------------------------------------------

# close-payload-missing: a Close frame that lost bytes has no status code to read (none is invented).
GAP_NOTES = ALLOWED_NOTES | {"tcp-missing-bytes", "gap-in-payload", "gap-in-header", "incomplete-message",
                             "message-truncated", "close-payload-missing"}


def survivors(frames, holes):
    """The frames a correct parser reports when the stream has these holes (offsets in the WebSocket part):
    (opcode, fin, length, payload without the lost bytes, payload_missing, completed before any hole)."""
    merged = []
    for a, b in sorted(holes):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    out, start = [], 0
    for op, fin, pl, end in frames:
        body = end - len(pl)
        if any(a < body and start < b for a, b in merged):
            break                                    # a header was lost: nothing after it can be trusted
        kept = bytes(x for k, x in enumerate(pl) if not any(a <= body + k < b for a, b in merged))
        out.append((op, fin, len(pl), kept, len(pl) - len(kept), not any(a < end for a, _ in merged)))
        if any(body <= a < end < b for a, b in merged):
            break                                    # the hole ran on past this frame, over the next header
        start = end
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=PHASES)
@given(client=sides, server=sides, rnd=st.randoms(use_true_random=False),
       drop=st.sampled_from([{C2S: 1}, {S2C: 1}, {C2S: 1, S2C: 1}, {C2S: 2, S2C: 2}, {S2C: 3}]))
def test_lost_segments_never_produce_a_misparsed_frame(client, server, rnd, drop):
    """Segments lost from the capture (the receiver's ACK proves they were sent): frames around a hole in a
    payload survive with exactly the lost bytes missing, a hole over a header stops that direction, and no
    frame is ever invented or misread. The other direction is untouched."""
    packets, expect = build(rnd, client, server, drop=drop)
    r = analyze(packets)
    for d in (C2S, S2C):
        want = survivors(expect[d + "-raw"], expect[d + "-holes"])
        got = r.frames(d)
        assert [(f.opcode, f.fin, f.length, f.payload, f.payload_missing) for f in got] == [w[:5] for w in want]
        for f, w, full in zip(got, want, expect[d][0]):
            # Completed in order before any hole: at the usual packet; else when the ACK declared the hole.
            assert f.no == (full[4] if w[5] else expect[d + "-final-ack"])
        if not expect[d + "-holes"]:
            assert [(m.opcode, m.data) for m in r.messages(d)] == expect[d][1]
    assert all(f.opcode in (0, 1, 2, 8, 9, 10) for f in r.frames())
    bad = [(n.no, n.code, words(n)) for n in r.notes() if n.code not in GAP_NOTES]
    assert not bad
