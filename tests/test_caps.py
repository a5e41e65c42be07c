"""Every cap of limits.py against a crafted capture: the note appears, memory stays under the cap (measured
with tracemalloc while the analyzer runs; the capture itself is built before tracing starts), and the packets
after it are still analysed."""
from __future__ import annotations

import json
import tracemalloc
import zlib

import pytest
from click.testing import CliRunner

from sessionbuild import Session, analyze, frame_header, open_sessions, raw_frame, words
from wsdissect.analyzer import Analyzer
from wsdissect.cli import main
from wsdissect.http import HttpStream
from wsdissect.limits import Limits, MiB
from wsdissect.model import C2S, S2C, DeflateParams
from wsdissect.render.labels import LabelWords
from wsdissect.websocket import FrameParser, WebSocketDirection

SEG = 60_000          # bytes per TCP segment (an IPv4 packet holds at most 65,515)
MASK = b"\x11\x22\x33\x44"


def feed_traced(packets, limits: Limits, during=None):
    """Analyse `packets`; return (rows, end notes, analyzer, peak bytes allocated while analysing).

    Twice: once under tracemalloc, dropping each Row as a renderer would (a list of every Row would grow with
    the capture, which is the test's doing, not the analyzer's), then untraced, keeping the Rows to check."""
    a = Analyzer(limits)
    tracemalloc.start()
    try:
        for p in packets:
            a.feed(p)
        a.finish()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del a
    a = Analyzer(limits)
    rows = []
    for p in packets:
        rows.append(a.feed(p))
        if during:
            during(a)
    end = a.finish()
    return rows, end, a, peak


def header(length: int, opcode: int = 2, fin: bool = True, rsv1: bool = False, mask: bytes | None = None) -> bytes:
    return frame_header(length, opcode, fin, rsv1, mask)      # binary by default, unlike sessionbuild


def pieces(n: int, size: int = SEG) -> list:
    return list(range(size, n, size))


def notes(rows, end=(), code=None):
    out = [n for r in rows if r is not None for n in r.notes] + list(end)
    return [n for n in out if code is None or n.code == code]


def messages(rows, d=None):
    return [m for r in rows if r is not None for m in r.messages if d is None or m.direction == d]


def ws_session(**kw) -> Session:
    s = Session()
    s.websocket_handshake(**kw)
    return s


# ------------------------------------------------------------------------------------------ --max-message

def test_frame_payload_cap_keeps_a_prefix_and_goes_on():
    cap = 256 * 1024
    size = 3 * MiB
    s = ws_session()
    s.send(S2C, header(size) + b"\xab" * size, pieces=pieces(size))
    after = s.send(S2C, raw_frame(b"after", opcode=1))[0]
    rows, end, a, peak = feed_traced(s.packets(), Limits(max_message=cap))
    assert [n.code for n in notes(rows, end, "frame-truncated")] == ["frame-truncated"]
    assert notes(rows, end, "message-truncated")
    big, small = messages(rows, S2C)
    assert len(big.data) == cap and big.length == size and big.truncated
    assert small.text == "after" and rows[after - 1].role == "ws-data"
    assert any("--max-message" in c for c in map(words, a.summary.caps))
    assert peak < 3 * cap + 512 * 1024, peak


def test_frame_length_2_63_minus_1_does_not_allocate():
    cap = 64 * 1024
    s = ws_session()
    claim = (1 << 63) - 1
    body = b"\xcd" * (2 * MiB)
    s.send(S2C, header(claim) + body, pieces=pieces(len(body)))
    after = s.send(C2S, raw_frame(b"client still parsed", opcode=1, mask=MASK))[0]
    rows, end, a, peak = feed_traced(s.packets(), Limits(max_message=cap))
    assert notes(rows, end, "frame-truncated")
    assert notes([], end, "incomplete-frame")
    assert [m.text for m in messages(rows, C2S)] == ["client still parsed"]
    assert rows[after - 1].role == "ws-data"
    assert peak < 4 * cap + 512 * 1024, peak


def test_frame_length_with_msb_set_stops_that_direction_only():
    s = ws_session()
    s.send(S2C, b"\x82\x7f\x80\0\0\0\0\0\0\0" + b"x" * 1000)
    s.send(C2S, raw_frame(b"hi", opcode=1, mask=MASK))
    r = analyze(s.packets())
    assert r.notes("invalid-length")
    assert [m.text for m in r.messages(C2S)] == ["hi"]


def test_frame_parser_alone_2_63_length_fed_in_big_chunks():
    p = FrameParser(S2C, max_payload=1024)
    chunk = b"\0" * MiB
    tracemalloc.start()
    try:
        recs = p.feed(header((1 << 63) - 1), 1)
        for i in range(16):
            recs += p.feed(chunk, 2 + i)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [n.code for n in recs] == ["frame-truncated"]
    assert peak < 256 * 1024, peak       # the 1 MiB chunks are never copied, let alone kept


def _bomb(gib: int = 1):
    """~1 MB of raw DEFLATE that inflates to `gib` GiB of zeros, built without allocating the output.

    DEFLATE's best ratio is about 1032:1 (a 258-byte match in ~2 bits), so 1 KB can claim 1 MB and 1 GiB needs
    ~1 MB on the wire: after the first 1 MiB the window is all zeros, so every further MiB compresses to the
    very same bytes, and the stream is one head plus copies of one piece."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(MiB)
    head = c.compress(zeros) + c.flush(zlib.Z_SYNC_FLUSH)
    piece = c.compress(zeros) + c.flush(zlib.Z_SYNC_FLUSH)
    assert piece == c.compress(zeros) + c.flush(zlib.Z_SYNC_FLUSH)
    data = head + piece * (gib * 1024 - 1)
    assert data.endswith(b"\x00\x00\xff\xff")
    return data[:-4]                           # permessage-deflate strips the sync flush's tail


def test_deflate_bomb_1_gib_is_cut_at_max_message():
    cap = 4 * MiB
    bomb = _bomb(1)
    assert len(bomb) < 1_100_000             # ~1 MB on the wire claiming 1 GiB
    kib = zlib.compressobj(9, zlib.DEFLATED, -15)
    small = kib.compress(bytes(MiB)) + kib.flush(zlib.Z_SYNC_FLUSH)
    assert len(small) <= 1100                # and 1 KB claims 1 MiB: the ratio the format allows
    s = ws_session(extensions_offer="permessage-deflate", extensions="permessage-deflate")
    s.send(S2C, header(len(bomb), rsv1=True) + bomb, pieces=pieces(len(bomb)))
    after = s.send(S2C, raw_frame(b"after the bomb", opcode=1))[0]
    packets = s.packets()
    import time
    t0 = time.monotonic()
    rows, end, a, peak = feed_traced(packets, Limits(max_message=cap))
    elapsed = time.monotonic() - t0
    cut = notes(rows, end, "message-truncated")
    assert len(cut) == 1 and "not inflating the rest" in words(cut[0])
    big, small_msg = messages(rows, S2C)
    assert big.compressed and big.truncated and len(big.data) == cap and big.length == cap
    assert big.data.count(0) == cap
    assert small_msg.text == "after the bomb" and rows[after - 1].role == "ws-data"
    assert any("--max-message" in c for c in map(words, a.summary.caps))
    assert peak < 4 * cap, peak
    assert elapsed < 10, elapsed


def _bomb_capture(tmp_path) -> str:
    """A capture whose server sends a 1 GiB deflate bomb, then a small text message."""
    bomb = _bomb(1)
    s = ws_session(extensions_offer="permessage-deflate", extensions="permessage-deflate")
    s.send(S2C, header(len(bomb), rsv1=True) + bomb, pieces=pieces(len(bomb)))
    s.send(S2C, raw_frame(b"after the bomb", opcode=1))
    f = tmp_path / "bomb.pcap"
    f.write_bytes(s.pcap())
    return f


def test_deflate_bomb_through_the_command(tmp_path, monkeypatch):
    monkeypatch.delenv("WSDISSECT_DEBUG", raising=False)
    f = _bomb_capture(tmp_path)
    res = CliRunner().invoke(main, ["read", "--json", "--max-message", "2M", str(f)])
    assert res.exit_code == 0, res.stderr
    recs = [json.loads(x) for x in res.stdout.splitlines()]
    msgs = [r for r in recs if r["type"] == "message" and r["dir"] == "s2c"]
    assert msgs[0]["truncated"] and msgs[0]["length"] == 2 * MiB and msgs[0]["compressed"]
    assert msgs[1]["text"] == "after the bomb"
    assert "message-truncated" in recs[-1]["notes_by_code"] and recs[-1]["caps"]


def test_inflater_alone_keeps_output_under_the_cap():
    d = WebSocketDirection(S2C, deflate=DeflateParams(), limits=Limits(max_message=2 * MiB))
    bomb = _bomb(1)
    recs = d.feed(header(len(bomb), rsv1=True) + bomb, 1)
    m = [r for r in recs if type(r).__name__ == "Message"][0]
    assert len(m.data) == 2 * MiB and m.truncated
    codes = [r.code for r in recs if type(r).__name__ == "Note"]
    assert codes == ["message-truncated", "inflate-context-lost"]


# ------------------------------------------------------------------------------------------ --max-reorder

def test_reorder_cap_declares_the_hole_missing_and_goes_on():
    cap = 256 * 1024
    size = 3 * MiB
    s = ws_session()
    frame = header(size, mask=MASK) + b"\x5a" * size
    base = s.seq[C2S]
    cuts = [0, *pieces(len(frame), 32 * 1024), len(frame)]
    segs = list(zip(cuts, cuts[1:]))
    hole = segs[1]
    for a_, b_ in segs:
        if (a_, b_) != hole:
            s.seg(C2S, "PA", frame[a_:b_], seq=base + a_)
    s.seq[C2S] = base + len(frame)
    after = s.send(C2S, raw_frame(b"after the hole", opcode=1, mask=MASK))[0]
    reply = s.send(S2C, raw_frame(b"server too", opcode=1))[0]
    worst = []

    def during(a):
        for tc in a.tracker.conns.values():
            worst.append(tc.dirs[C2S].pending_bytes)

    rows, end, a, peak = feed_traced(s.packets(), Limits(max_reorder=cap, max_message=512 * 1024), during)
    assert notes(rows, end, "cap-reorder")
    assert max(worst) <= cap + 32 * 1024
    f = [f for r in rows if r for f in r.frames if f.direction == C2S and f.opcode == 2][0]
    assert f.payload_missing == hole[1] - hole[0] and f.length == size
    assert [m.text for m in messages(rows, C2S)][-1] == "after the hole"
    assert rows[after - 1].role == "ws-data" and rows[reply - 1].role == "ws-data"
    assert any("--max-reorder" in c for c in map(words, a.summary.caps))
    # Data behind the hole is buffered up to the cap; the kept message prefix (and its join) comes on top.
    assert peak < 2 * cap + 2 * 512 * 1024 + 512 * 1024, peak


def test_reorder_cap_memory_does_not_follow_the_flood():
    """A hole that is never filled, and 4 MiB behind it: buffered bytes stay at the cap."""
    cap = 128 * 1024
    s = ws_session()
    base = s.seq[C2S]
    for i in range(1, 4 * MiB // SEG):
        s.seg(C2S, "PA", b"\0" * SEG, seq=base + 10 + i * SEG)
    rows, end, a, peak = feed_traced(s.packets(), Limits(max_reorder=cap, max_message=64 * 1024))
    assert notes(rows, end, "cap-reorder")
    assert peak < 6 * cap + 1 * MiB, peak


# ------------------------------------------------------------------------------------------- --max-header

def test_header_cap_stops_http_and_goes_on():
    cap = 4096
    s = Session()
    s.handshake()
    req = b"GET /big HTTP/1.1\r\nHost: x\r\n" + b"X-Filler: " + b"a" * (200 * 1024) + b"\r\n\r\n"
    nos = s.send(C2S, req, pieces=pieces(len(req), 1400))
    reply = s.send(S2C, b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n")[0]
    s2 = Session(client=("10.0.0.9", 40000))
    s2.websocket_handshake()
    s2.send(C2S, raw_frame(b"second connection", opcode=1, mask=MASK))
    packets = s.packets() + [p for p in s2.packets()]
    for i, p in enumerate(packets):
        p.no = i + 1
    rows, end, a, peak = feed_traced(packets, Limits(max_header=cap))
    too = notes(rows, end, "http-header-too-large")
    assert len(too) == 1 and too[0].no == nos[2]     # the 3rd 1400-byte piece pushes it past 4 KiB
    assert rows[reply - 1].role == "http"
    assert [m.text for m in messages(rows)] == ["second connection"]
    assert peak < 64 * 1024, peak


def test_http_stream_header_cap_bounds_the_buffer():
    h = HttpStream("request", max_header=1000)
    out = []
    for _ in range(1000):
        out += h.feed(b"X-A: " + b"b" * 95)
        assert h.buffered <= 1000
    assert [r.code for r in out] == ["not-http"] or [r.code for r in out] == ["header-too-large"]
    h = HttpStream("request", max_header=1000)
    out = h.feed(b"GET / HTTP/1.1\r\n")
    for _ in range(100):
        out += h.feed(b"X-A: " + b"b" * 95 + b"\r\n")
        assert h.buffered <= 1000
    assert [r.code for r in out] == ["header-too-large"]


def test_chunk_size_line_and_trailers_are_capped():
    h = HttpStream("response", max_header=500)
    out = h.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    out += h.feed(b"0" * 2000)
    assert out[-1].code == "bad-chunk" and h.buffered == 0
    h = HttpStream("response", max_header=500)
    out = h.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n")
    out += h.feed(b"X-T: " + b"t" * 2000)
    assert out[-1].code == "header-too-large" and h.buffered == 0


# --------------------------------------------------------------------------------------- --max-connections

def test_connection_cap_finishes_the_oldest_and_goes_on():
    packets = open_sessions(40)
    tracked = []
    rows, end, a, peak = feed_traced(packets, Limits(max_connections=5),
                                     lambda a: tracked.append(len(a.tracker.conns)))
    assert max(tracked) == 5
    assert a.summary.notes_by_code["cap-connections"] == 35
    assert [m.text for m in messages(rows)] == ["msg %d" % i for i in range(40)]
    assert rows[-1].role == "ack" and rows[-2].role == "ws-data"
    assert len(a.summary.connections) == 40 and all(c.messages[C2S] == 1 for c in a.summary.connections)
    assert any("--max-connections" in c for c in map(words, a.summary.caps))


def test_connection_cap_bounds_per_connection_state():
    """State per tracked connection (parsers, reassembly) is freed when it is finished; what remains per past
    connection is its summary record."""
    packets = open_sessions(300)
    _, _, _, capped_peak = feed_traced(packets, Limits(max_connections=5))
    _, _, _, open_peak = feed_traced(packets, Limits(max_connections=10_000))
    assert capped_peak < open_peak * 0.8, (capped_peak, open_peak)


@pytest.mark.parametrize("command", ["read", "stats", "follow", "live"])
def test_connection_cap_default_holds_a_hundred_thousand_open(command):
    """100,000 connections open at once fit in memory (bench/soak.py), so that is the default cap, and the help
    says so."""
    assert Limits().max_connections == 100_000
    out = CliRunner().invoke(main, [command, "--help"], env={"COLUMNS": "200"}).output
    assert "--max-connections" in out and "default: 100000" in " ".join(out.split())


# ---------------------------------------------------------------------------- caps are listed in the summary

def test_header_cap_is_a_line_in_the_summary():
    s = Session()
    s.handshake()
    s.send(C2S, b"GET / HTTP/1.1\r\nX: " + b"a" * 5000 + b"\r\n\r\n", pieces=[1400, 2800, 4200])
    r = analyze(s.packets(), limits=Limits(max_header=1024))
    assert r.notes("http-header-too-large")
    assert any("max_header" in c or "--max-header" in c for c in map(words, r.analyzer.summary.caps))


def test_connection_cap_note_is_shown_on_a_row():
    rows, end, a, _ = feed_traced(open_sessions(8), Limits(max_connections=5))
    assert len(notes(rows, end, "cap-connections")) == 3


def _open_together(n: int, syn_again: bool = False) -> list:
    """`n` WebSocket connections all open at once: every handshake first, then one message each, then every
    teardown (the shape of a busy server, where --max-connections is reached mid-conversation). With
    `syn_again`, the first connection's 4-tuple is then used again by a new connection (port reuse)."""
    phases: list = [[], [], []]
    for i in range(n):
        s = Session(client=(f"10.1.{i // 250}.{i % 250 + 1}", 40000 + i), t0=1_700_000_000.0)
        s.websocket_handshake()
        phases[0].extend(s.items)
        k = len(s.items)
        s.send(C2S, raw_frame(b"msg %d" % i, opcode=1, mask=MASK))
        phases[1].extend(s.items[k:])
        k = len(s.items)
        s.teardown()
        phases[2].extend(s.items[k:])
    items = [x for p in phases for x in p]
    if syn_again:
        s = Session(client=("10.1.0.1", 40000), isn=(5_000_000, 7_000_000), t0=1_700_000_001.0)
        s.websocket_handshake()
        s.send(C2S, raw_frame(b"again", opcode=1, mask=MASK))
        items.extend(s.items)
    from wsdissect.model import RawPacket
    return [RawPacket(i + 1, ts, 1, data, len(data)) for i, (ts, data) in enumerate(items)]


def test_later_packets_of_a_dropped_connection_open_no_new_one():
    """Past --max-connections, a dropped connection's later packets are counted against it and noted once; they
    never open connections of their own (which would start mid-stream and end as phantoms)."""
    packets = _open_together(12)
    rows, end, a, _ = feed_traced(packets, Limits(max_connections=5))
    s = a.summary
    assert s.connection_count() == 12
    assert s.notes_by_code["cap-connections"] == 7
    past = [r for r in rows if r is not None and r.role == "past-cap"]
    assert past and s.past_cap_packets == len(past)
    assert {r.conn for r in past} == set(range(7))              # the seven dropped first, by their own ids
    assert s.notes_by_code["past-cap"] == 7                     # one note per dropped connection
    words = LabelWords()
    assert all("--max-connections" in words.text(r) for r in past)
    # Relative numbers go on from the dropped connection's: the teardown's FIN of connection 0 is not at seq 0.
    fin = next(r for r in past if r.conn == 0 and r.flags & 0x01)
    assert fin.seq > 1


def test_a_new_connection_on_a_dropped_4_tuple_is_a_new_connection():
    packets = _open_together(8, syn_again=True)
    rows, end, a, _ = feed_traced(packets, Limits(max_connections=5))
    assert a.summary.connection_count() == 9
    last = [r for r in rows if r is not None][-4:]
    assert {r.conn for r in last} == {8} and all(r.role != "past-cap" for r in last)
    assert [m.text for m in messages(rows) if m.conn == 8] == ["again"]


def test_past_cap_packets_are_in_the_json_summary_and_the_timeline(tmp_path):
    from pcapbuild import pcap_bytes
    path = tmp_path / "busy.pcap"
    path.write_bytes(pcap_bytes([(p.ts, p.data) for p in _open_together(8)]))
    out = CliRunner().invoke(main, ["read", str(path), "--json", "--max-connections", "5"]).output
    summary = json.loads(out.splitlines()[-1])
    assert summary["connections"] == 8 and summary["past_cap_packets"] > 0
    text = CliRunner().invoke(main, ["read", str(path), "--max-connections", "5"], env={"COLUMNS": "200"}).output
    assert f"{summary['past_cap_packets']} packets of connections dropped at --max-connections" in text


# ------------------------------------------------------------------ control frames are kept whatever the cap

def _control_frames_session() -> Session:
    s = ws_session()
    s.send(C2S, raw_frame(b"ping me", opcode=9, mask=MASK))
    s.send(S2C, raw_frame(b"ping me", opcode=10))
    close = (1001).to_bytes(2, "big") + "going away, \u00e9t\u00e9".encode()
    framed = raw_frame(close, opcode=8, mask=MASK)
    s.send(C2S, framed, pieces=[4, 9])          # a Close frame cut across three segments
    s.send(S2C, raw_frame((1001).to_bytes(2, "big"), opcode=8))
    s.teardown(S2C)
    return s


def test_max_message_0_keeps_control_frames():
    """A control frame carries at most 125 bytes (RFC 6455 5.5): its payload is kept whatever --max-message
    says, so a Close frame's code and reason, and a Ping's payload, survive --max-message 0."""
    for cap in (0, 1, 5):
        r = analyze(_control_frames_session().packets(), limits=Limits(max_message=cap))
        assert not r.notes("frame-truncated"), cap
        assert r.conn.close_code == 1001 and r.conn.close_reason == "going away, \u00e9t\u00e9", cap
        assert [f.payload for f in r.frames(C2S) if f.opcode == 9] == [b"ping me"]
        assert not r.notes("close-without-close-frame")


def test_an_oversized_control_frame_is_still_cut(tmp_path):
    """The floor is the 125 bytes a control frame may carry, not its claimed length."""
    s = ws_session()
    s.send(C2S, raw_frame(b"p" * 300, opcode=9, mask=MASK))
    r = analyze(s.packets(), limits=Limits(max_message=0))
    assert [len(f.payload) for f in r.frames(C2S)] == [125]
    assert r.notes("control-frame-too-long") and r.notes("frame-truncated")


def test_max_message_0_control_frames_from_the_command_line(tmp_path):
    path = tmp_path / "control.pcap"
    path.write_bytes(_control_frames_session().pcap())
    res = CliRunner().invoke(main, ["read", str(path), "--json", "--max-message", "0"])
    assert res.exit_code == 0
    conns = [json.loads(line) for line in res.output.splitlines() if '"type":"connection"' in line.replace(" ", "")]
    assert conns and conns[0]["close_code"] == 1001


# ------------------------------------------------------------ stats names every cap reached, as read does

def _stats(args: list):
    res = CliRunner().invoke(main, ["stats", *args], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res.output


def _summary(args: list) -> dict:
    return json.loads(CliRunner().invoke(main, ["read", "--json", *args]).output.splitlines()[-1])


def test_stats_names_the_max_message_cap_of_a_deflate_bomb(tmp_path):
    """A 1 GiB bomb cut at --max-message: stats says the cap, with its flag, in text and JSON, once."""
    f = _bomb_capture(tmp_path)
    args = [str(f), "--max-message", "2M"]
    total = json.loads(_stats([*args, "--json"]).splitlines()[-1])
    assert total["caps"] == _summary(args)["caps"]
    [cap] = total["caps"]
    assert "--max-message" in cap and "2097152" in cap
    text = _stats(args)
    assert text.count("limits reached") == 1 and text.count("--max-message cap") == 1
    zh = _stats([*args, "--lang", "zh", "--json"])
    assert json.loads(zh.splitlines()[-1])["caps"] == total["caps"]      # --json stays English


def test_stats_names_the_connection_caps_and_past_cap_packets(tmp_path):
    from pcapbuild import pcap_bytes
    f = tmp_path / "busy.pcap"
    f.write_bytes(pcap_bytes([(p.ts, p.data) for p in _open_together(8)]))
    args = [str(f), "--max-connections", "5", "--max-summary-connections", "2"]
    summary = _summary(args)
    total = json.loads(_stats([*args, "--json"]).splitlines()[-1])
    assert total["caps"] == summary["caps"] and len(total["caps"]) == 2
    assert total["past_cap_packets"] == summary["past_cap_packets"] > 0
    text = _stats(args)
    limits = text.split("limits reached (some data was not kept):\n")[1].splitlines()
    assert limits == ["  " + cap for cap in summary["caps"]] + [
        f"  {summary['past_cap_packets']} packets of connections dropped at --max-connections were counted, "
        "not analysed"]
    assert "--max-connections)" in limits[0] and "--max-summary-connections)" in limits[1]
    # No cap reached: no such lines, an empty list.
    plain = json.loads(_stats([str(f), "--json"]).splitlines()[-1])
    assert plain["caps"] == [] and "past_cap_packets" not in plain
    assert "limits reached" not in _stats([str(f)])
