"""The optional C extension (wsdissect._fastlane) is a speed-up only: every command prints the very same bytes with
it and without it (WSDISSECT_PURE=1, read each time a command runs).

Each command runs twice in-process (click's CliRunner sets the environment for the call): stdout, stderr and the
exit status must be identical. On the bundled captures (captures/busy.pcap is the busy one: 30 concurrent
connections, permessage-deflate, messages of up to ~70 segments), on ../shared/captures, and on 300 hostile
captures of the fuzz harness. `python tests/fuzz/differential.py --pure-vs-fast` is the long run.

CI sets WSDISSECT_REQUIRE_FASTLANE=1: there a missing extension is a failure, elsewhere a skip.
"""
from __future__ import annotations

import os

import pytest

from conftest import CAPTURES, ROOT
from fuzz.differential import CLI_ENV, assert_same_run, cli_options, cli_runner, invoke
from wsdissect.cli import main

try:
    import wsdissect._fastlane as _fastlane
    IMPORT_ERROR = None
except ImportError as e:
    _fastlane, IMPORT_ERROR = None, e

NG_MAGIC = b"\x0a\x0d\x0d\x0a"
NOT_BUILT = "C extension not built; pure-Python path only"
needs_fastlane = pytest.mark.skipif(_fastlane is None, reason=NOT_BUILT)


COMMANDS = {
    "read-json": ["read", "{}", "--json"],
    "read-json-zh": ["read", "{}", "--json", "--lang", "zh"],
    "read": ["read", "{}"],                       # the timeline, 120 columns, no colour
    "read-80": ["read", "{}", "--width", "80"],   # labels and Info wrapped (the lane writes such rows itself)
    "read-60": ["read", "{}", "--width", "60"],   # a long Info under the indent (left to the printer)
    "read-wide": ["read", "{}", "--width", "160"],          # the wide layout (left to the printer)
    "read-hide-acks": ["read", "{}", "--hide-acks"],
    "stats": ["stats", "{}"],
    "follow": ["follow", "{}"],
    "flow": ["read", "{}", "--view", "flow"],
    "filtered": ["read", "{}", "--json", "--hide-acks"],     # rows mode into the JSON writer
}


def test_extension_built():
    if _fastlane is not None:
        return
    if os.environ.get("WSDISSECT_REQUIRE_FASTLANE") == "1":
        pytest.fail(f"WSDISSECT_REQUIRE_FASTLANE=1 but wsdissect._fastlane does not import: {IMPORT_ERROR}")
    if not isinstance(IMPORT_ERROR, ModuleNotFoundError):
        pytest.fail(f"wsdissect._fastlane is there but does not import: {IMPORT_ERROR}")   # e.g. a broken .so
    pytest.skip(NOT_BUILT)


def _invoke(args: list, pure: bool) -> tuple:
    """(stdout, stderr, exit status, escaped exception) of one in-process run, the extension on or off."""
    return invoke(args, {"WSDISSECT_PURE": "1" if pure else None})


def assert_same(args: list) -> None:
    assert_same_run(_invoke(args, pure=True), _invoke(args, pure=False), "wsdissect " + " ".join(args),
                    ("pure", "fast"))


@needs_fastlane
def test_pure_env_is_read_at_run_time(monkeypatch):
    from wsdissect import fastlane
    if not hasattr(fastlane, "available"):
        pytest.skip("wsdissect.fastlane has no available()")
    monkeypatch.delenv("WSDISSECT_PURE", raising=False)
    assert fastlane.available()
    monkeypatch.setenv("WSDISSECT_PURE", "1")
    assert not fastlane.available()


@needs_fastlane
@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: os.path.relpath(p, os.path.dirname(ROOT)))
def test_same_output_with_and_without_the_extension(path, command):
    assert_same([a.format(path) for a in COMMANDS[command]])


def test_busy_capture_is_busy():
    """busy.pcap is there for this file: several connections, compressed messages, messages over many packets."""
    import json
    res = cli_runner().invoke(main, ["read", os.path.join(ROOT, "captures", "busy.pcap"), "--json"],
                              env=dict(CLI_ENV, WSDISSECT_PURE="1"))
    assert res.exit_code == 0, res.output
    recs = [json.loads(line) for line in res.stdout.splitlines()]
    msgs = [r for r in recs if r["type"] == "message"]
    assert sum(r["type"] == "connection" for r in recs) >= 10
    assert sum(m["compressed"] for m in msgs) >= 100
    assert max(m["last_no"] - m["first_no"] for m in msgs) >= 50


@needs_fastlane
def test_same_json_on_hostile_captures(tmp_path):
    """The fuzz harness's seeds and 300 mutations of them, each with the options the pipeline target would pick
    (tiny limits, --decode-as, --lang zh): `read --json` gives the same bytes either way."""
    from fuzz.harness import hostile_captures
    files = []
    for i, (_, data) in enumerate(hostile_captures(count=300, seed=23, local_corpus=False)):
        p = tmp_path / (f"{i:04d}.pcapng" if data[:4] == NG_MAGIC else f"{i:04d}.pcap")
        p.write_bytes(data)
        files.append((p, data))
    assert len(files) >= 300
    for p, data in files:
        assert_same(["read", str(p), "--json", *cli_options(data)])
    # stats: the lane updates the collector's numbers itself (no rows); every 3rd capture keeps the suite short
    for p, data in files[::3]:
        assert_same(["stats", str(p), *cli_options(data)])


def _live_parsers() -> int:
    import gc

    from wsdissect.websocket.messages import WebSocketDirection
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is WebSocketDirection)


@needs_fastlane
@pytest.mark.parametrize("purge_every", [16, 10 ** 9])
def test_the_lane_lets_finished_connections_go(monkeypatch, purge_every):
    """The lane finds each connection's state once and keeps it; once the analyzer has finished a connection
    (released after tcp.LINGER_PACKETS), the lane must let its parsers and inflaters go too, or memory grows with
    every connection of the capture. With purges far apart (10**9) it does not: the test can fail."""
    import io

    from test_summary_cap import CONNS, _packets
    from wsdissect import fastlane
    from wsdissect.analyzer import Analyzer
    from wsdissect.render.jsonl import JsonLinesWriter
    monkeypatch.delenv("WSDISSECT_PURE", raising=False)
    monkeypatch.setattr(fastlane, "PURGE_EVERY", purge_every)
    before = _live_parsers()
    a = Analyzer()
    a.tracker.linger_packets = 1
    writer = JsonLinesWriter(io.StringIO())
    lane = fastlane.json_lane(a, writer)
    most = 0
    for i, raw in enumerate(_packets()):
        if not lane.feed(raw):
            row = a.feed(raw)
            if row is not None:
                writer.row(row)
        if i % 50 == 49:
            most = max(most, _live_parsers() - before)
    lane.flush()
    if purge_every == 16:
        assert most < CONNS                      # two parsers a connection: only those recently opened
    else:
        assert most >= CONNS                     # held by the lane long after the analyzer finished them


# (seconds, microseconds) whose sec + usec / 1e6, rounded twice, is not the float nearest "sec.usec": the lane
# then cannot write "sec.usec" and must fall back to repr (found by sampling; most times read back exactly)
UNROUNDED_TIMES = [(2, 577151), (248, 219735), (1, 863449), (12, 774762), (28, 526116), (138, 852919)]


@needs_fastlane
def test_packet_times_are_written_as_repr(tmp_path):
    """The lane writes a microsecond time as "sec.usec" when that reads back as the packet's float, else as repr:
    on times that do not read back, times at the top of the 32-bit range, whole seconds (repr keeps ".0"), powers
    of two, trailing zeros and second 0 (below 1 s the lane always uses repr), `read --json` is the same either
    way."""
    import struct
    data = bytearray(open(os.path.join(ROOT, "captures", "busy.pcap"), "rb").read())
    times = UNROUNDED_TIMES + [(2 ** 32 - 1, 999999), (2 ** 32 - 2, 0), (1_700_000_000, 0),
                               (1_700_000_000, 100000), (1_700_000_000, 120), (0, 123456), (0, 0), (5, 1), (1 << 20, 0), (1, 0)]
    pos, i = 24, 0
    while pos < len(data):
        caplen = struct.unpack_from("<I", data, pos + 8)[0]
        sec, usec = times[i % len(times)]
        struct.pack_into("<II", data, pos, sec, usec + i // len(times) % 2 * (usec < 999999))
        pos += 16 + caplen
        i += 1
    assert i > 1000
    p = tmp_path / "times.pcap"
    p.write_bytes(bytes(data))
    assert_same(["read", str(p), "--json"])


@needs_fastlane
@pytest.mark.parametrize("shift", range(0, 16, 3))
def test_same_output_when_connections_are_released(tmp_path, monkeypatch, shift):
    """Every 256th packet is Analyzer._release's turn; the lane takes it only when release() would change
    nothing (the first finished connection still lingering, no packet since it was queued). Here connections
    finish one after another and are released one packet later, and `shift` UDP packets in front move which
    packet of a connection falls on a turn. With no summary records kept, a released connection's record is
    written right after the packet that released it, so a turn taken wrongly moves records."""
    from pcapbuild import ethernet, pcap_bytes, udp_packet
    from test_summary_cap import _packets
    from wsdissect import tcp
    monkeypatch.setattr(tcp, "LINGER_PACKETS", 1)
    packets = _packets()
    udp = [(packets[0].ts, ethernet(udp_packet("10.9.9.9", "10.9.9.8", 53, 53, b"x")))] * shift
    path = tmp_path / "released.pcap"
    path.write_bytes(pcap_bytes(udp + [(p.ts, p.data) for p in packets]))
    for command in ("read-json", "stats", "read"):
        assert_same([a.format(path) for a in COMMANDS[command]] + ["--max-summary-connections", "0"])


@needs_fastlane
@pytest.mark.parametrize("script, evicted", [
    ("a", 1),            # A, B, C open; A sends (the lane's): B is the least recently active
    ("a b a c", 1),      # B and C send a Close (Python's, no ACK) around A's messages: B, A, C was the order
], ids=["lane-moves-A", "python-moves-between"])
def test_same_connection_evicted_past_max_connections(tmp_path, script, evicted):
    """--max-connections finishes the least recently active connection when D opens with room for three: a
    connection whose latest packets the lane took counts as recently active, and packets the Python path
    analysed in between count too."""
    import json

    from pcapbuild import pcap_bytes
    from sessionbuild import C2S, S2C, Session, raw_frame
    sessions = [Session(client=("10.0.0.1", 50000 + i), server=("10.0.0.2", 80)) for i in range(4)]
    a, b, c, d = sessions
    order = []

    def play(s, step) -> None:
        n = len(s.items)
        step()
        order.extend((s, i) for i in range(n, len(s.items)))
    for s in (a, b, c):
        play(s, s.websocket_handshake)
    for who in script.split():
        s = {"a": a, "b": b, "c": c}[who]
        if who == "a":
            play(s, lambda: (s.send(C2S, raw_frame(b"hello", mask=b"abcd")), s.send(S2C, raw_frame(b"hi"))))
        else:
            play(s, lambda: s.send(C2S, raw_frame(b"\x03\xe8", opcode=8, mask=b"abcd"), ack=False))
    play(d, d.websocket_handshake)
    path = tmp_path / "evict.pcap"
    path.write_bytes(pcap_bytes([(1700000000 + k / 1000, s.items[i][1]) for k, (s, i) in enumerate(order)]))
    assert_same(["read", str(path), "--json", "--max-connections", "3"])
    res = cli_runner().invoke(main, ["read", str(path), "--json", "--max-connections", "3"], env=CLI_ENV)
    notes = [r for r in map(json.loads, res.stdout.splitlines()) if r["type"] == "note"]
    assert [r["conn"] for r in notes if r["code"] == "cap-connections"] == [evicted]


def _busy_records() -> list:
    """(ts, frame) of every record of busy.pcap (classic pcap, microseconds, Ethernet)."""
    import struct
    data = open(os.path.join(ROOT, "captures", "busy.pcap"), "rb").read()
    out, pos = [], 24
    while pos < len(data):
        sec, usec, caplen, _ = struct.unpack_from("<IIII", data, pos)
        out.append((sec + usec / 1e6, data[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
    return out


@needs_fastlane
@pytest.mark.parametrize("layout", ["us", "ns", "offset", "two-interfaces", "big-endian", "other-blocks", "2^-n"])
def test_same_output_on_pcapng(tmp_path, layout):
    """pcapng's Enhanced Packet Blocks are scanned by the lane from the read buffer (Lane.scan_ng), with each
    interface's resolution and offset; anything else (other blocks, a section header, times C could round
    otherwise) is left to sources/pcap.py. The same bytes either way, in each layout."""
    from pcapbuild import ng_block, ng_epb, ng_idb, ng_pb, ng_shb, ng_spb, pcapng_bytes
    recs = _busy_records()
    big = layout == "big-endian"
    if layout == "other-blocks":
        # a name resolution block, the obsolete PB and an SPB among the EPBs, and a second section halfway
        blocks = [ng_shb(), ng_idb(1)]
        for i, (ts, frame) in enumerate(recs):
            if i == len(recs) // 2:
                blocks += [ng_shb(), ng_idb(1)]
            if i % 97 == 5:
                blocks.append(ng_block(4, b"\x00" * 8))
            blocks.append(ng_pb(0, ts, frame) if i % 89 == 7 else ng_spb(frame) if i == 3 else ng_epb(0, ts, frame))
        data = b"".join(blocks)
    else:
        res = {"us": None, "ns": 9, "offset": 6, "two-interfaces": None, "big-endian": 6, "2^-n": 0x80 | 20}[layout]
        interfaces = [(1, res, 1_000_000_000)] if layout == "offset" else [(1, res)]
        packets = list(recs)            # ng_epb takes the interface's offset off the time it writes
        if layout == "two-interfaces":
            interfaces.append((1, 9))
            packets = [(ts, frame, i % 2) for i, (ts, frame) in enumerate(packets)]
        data = pcapng_bytes(packets, interfaces=interfaces, big_endian=big)
    path = tmp_path / "busy.pcapng"
    path.write_bytes(data)
    for command in ("read-json", "stats", "read"):
        assert_same([a.format(path) for a in COMMANDS[command]])


@needs_fastlane
@pytest.mark.parametrize("seed", [1, 2])
def test_pcapng_tick_counts_past_2_53_divide_as_python(tmp_path, seed):
    """Nanosecond (and finer) times count more ticks than a double holds: Python divides the integers exactly,
    rounding half to even; the lane must get the same float for every packet it takes. Random nanosecond counts
    on one interface; on a 2**-20 s interface, counts whose quotient falls exactly between two floats (a tie,
    to even: down, then up) or just past one."""
    import random
    import struct

    from pcapbuild import ng_block, ng_idb, ng_shb
    rng = random.Random(seed)
    ties = [(1 << 54) + 2, (1 << 54) + 6, (1 << 54) + 3, (1 << 63) + (1 << 10), (1 << 63) + 3 * (1 << 10),
            (1 << 64) - 1]
    blocks = [ng_shb(), ng_idb(1, tsresol=9), ng_idb(1, tsresol=0x80 | 20)]
    for i, (_, frame) in enumerate(_busy_records()):
        if i % 3 == 2:
            iface, ticks = 1, ties[i // 3 % len(ties)]
        else:
            iface, ticks = 0, rng.randrange(1 << 53, 1 << 64)
        body = struct.pack("<IIIII", iface, ticks >> 32, ticks & 0xFFFFFFFF, len(frame), len(frame)) + frame
        blocks.append(ng_block(6, body))
    path = tmp_path / "ticks.pcapng"
    path.write_bytes(b"".join(blocks))
    assert_same(["read", str(path), "--json"])



@needs_fastlane
@pytest.mark.parametrize("command", ["read-json", "stats"])
def test_entries_started_afresh_keep_what_the_lane_held(monkeypatch, tmp_path, command):
    """The lane finds a connection's state through its entries, and starts them afresh when they are many (here
    4 directions at most); the numbers it kept in C for a connection (written back when a packet of it goes to
    Python) must be written back first. Six connections trade messages in turn, so each one's entry is gone
    when its FIN, left to Python, comes: without the write-back, Python saw the numbers of its handshake."""
    from pcapbuild import pcap_bytes
    from sessionbuild import Session, raw_frame
    from wsdissect import fastlane
    from wsdissect.model import C2S, S2C
    sessions, before = [], []
    for i in range(6):
        s = Session(client=(f"10.0.0.{i + 1}", 40000 + i), server=("10.0.1.1", 80))
        s.websocket_handshake()
        for k in range(3):
            s.send(C2S, raw_frame(b"hello %d" % k, mask=b"abcd"))
            s.send(S2C, raw_frame(b"hi"))
        before.append(len(s.packets()))
        s.teardown()
        sessions.append(s)
    lists = [s.packets() for s in sessions]
    frames = [x[k].data for k in range(max(before)) for x, n in zip(lists, before) if k < n]
    frames += [p.data for x, n in zip(lists, before) for p in x[n:]]
    path = tmp_path / "turns.pcap"
    path.write_bytes(pcap_bytes([(1_700_000_000.0 + j * 0.001, f) for j, f in enumerate(frames)]))
    monkeypatch.setattr(fastlane, "ENTRIES_MAX", 4)
    assert_same([a.format(str(path)) for a in COMMANDS[command]])


def _utf8_samples() -> list:
    """Every lead byte with the continuation bytes at the edges of each range, behind ASCII runs of every length
    up to 40 (the check skips ASCII 8 and 32 bytes at a time), and random text around them."""
    import random
    edges = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF]
    rng = random.Random(11)
    out = []
    for lead in range(0x80, 0x100):
        for a in edges:
            for b in edges:
                for c in (0x80, 0xBF, 0x41):
                    seq = bytes([lead, a, b, c])
                    out.append(b"x" * rng.randrange(41) + seq + b"y" * rng.randrange(9))
                    out.append(seq[:rng.randrange(1, 4)])         # cut short at the end
    alphabet = "aé€😀\x00\"\\z" * 3
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 90)))
        data = bytearray(text.encode())
        if data and rng.random() < 0.3:
            data[rng.randrange(len(data))] = rng.randrange(256)
        out.append(bytes(data))
    return out


@needs_fastlane
def test_utf8_check_agrees_with_pythons_decoder():
    """The lane checks a text message's UTF-8 (and cuts it for JSON) without making a str: every sample must be
    judged as bytes.decode('utf-8') judges it, and cut where str slicing cuts it."""
    for data in _utf8_samples():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        for chars in {0, 1, 7, 8, 9, 33, len(data) // 2, len(data)}:
            n, cut = _fastlane.utf8_check(data, chars)
            if text is None:
                assert n == -1, data
            else:
                assert n == len(text), data
                assert data[:cut].decode("utf-8") == text[:chars], (data, chars)


@needs_fastlane
@pytest.mark.parametrize("command", ["read-json", "stats", "read"])
def test_text_checked_without_a_str(tmp_path, command):
    """JSON and stats take a text message's bytes, checked as UTF-8, where the timeline takes a str: text with
    every width of character, invalid UTF-8 (a note, written by Python), and texts longer than the JSON cut with
    a wide character across it, uncompressed and compressed."""
    import zlib
    from sessionbuild import Session, raw_frame
    from wsdissect.model import C2S, S2C
    from wsdissect.render.jsonl import JSON_DATA_LIMIT as DATA_LIMIT
    texts = ["plain", "é€😀 mixed \"quoted\" \\ and \x01", "€" * (DATA_LIMIT // 3 + 5),
             "a" * (DATA_LIMIT - 1) + "😀" + "b" * 10, "z" * (DATA_LIMIT + 100)]
    bad = [b"\xc0\xaf", b"ok \xed\xa0\x80 surrogate", b"\xf4\x90\x80\x80", b"cut \xe2\x82"]
    s = Session()
    s.websocket_handshake(extensions_offer="permessage-deflate", extensions="permessage-deflate")
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    for payload in [t.encode() for t in texts] + bad:
        body = c.compress(payload) + c.flush(zlib.Z_SYNC_FLUSH)
        for frame in (raw_frame(payload), raw_frame(body[:-4], rsv1=True)):
            s.send(S2C, frame, pieces=range(1400, len(frame), 1400))
    s.teardown()
    path = tmp_path / "texts.pcap"
    path.write_bytes(s.pcap())
    assert_same([a.format(str(path)) for a in COMMANDS[command]])


@needs_fastlane
@pytest.mark.parametrize("command", ["read-json", "stats", "read"])
def test_open_connections_end_in_order_of_last_activity(tmp_path, command):
    """Tracker.conns is kept in the order of the connections' last packets (the least recently active is the
    one --max-connections evicts, and Analyzer.finish ends them in that order); the lane does not move a
    connection at each packet it takes but puts conns in order before either reads it. Here three connections
    open in turn, then trade messages in another order (the lane's packets), and the capture ends with all
    three open, each with a message cut short, so the end notes come in conns' order."""
    from pcapbuild import pcap_bytes
    from sessionbuild import C2S, S2C, Session, raw_frame
    sessions = [Session(client=("10.0.0.1", 50000 + i), server=("10.0.0.2", 80)) for i in range(3)]
    order = []

    def play(s, step) -> None:
        n = len(s.items)
        step()
        order.extend((s, i) for i in range(n, len(s.items)))
    for s in sessions:
        play(s, s.websocket_handshake)
    for who in (2, 0, 1, 2, 0):
        s = sessions[who]
        play(s, lambda: s.send(S2C, raw_frame(b"news %d" % who)))
        play(s, lambda: s.send(C2S, raw_frame(b"ok", mask=b"abcd")))
    for who in (1, 0, 2):
        s = sessions[who]
        play(s, lambda: s.send(S2C, raw_frame(b"cut short")[:-3], ack=False))
    path = tmp_path / "open.pcap"
    path.write_bytes(pcap_bytes([(1_700_000_000.0 + j * 0.001, s.items[i][1]) for j, (s, i) in enumerate(order)]))
    assert_same([a.format(str(path)) for a in COMMANDS[command]])


@needs_fastlane
@pytest.mark.parametrize("command", ["read-json", "stats", "read", "read-60", "read-json-zh"])
def test_same_idle_drop_after_pings(tmp_path, command):
    """The idle drop counts from the last data and tells the last ping/pong apart: a 4-byte keepalive (left
    to Python) in one connection, a 5-byte ping the lane takes in the other. Both must time the same."""
    from sessionbuild import Session
    from wsdissect.model import C2S, S2C
    sessions = []
    for n, payload in enumerate((b"\x8a\x13\xfe\x02", b"hello")):
        s = Session(client=("10.0.0.1", 51234 + n), t0=1_700_000_000.0 + 100 * n)
        s.websocket_handshake()
        s.send(C2S, s.client.send_data("hi"), dt=1.0)
        s.send(S2C, s.server.send_data("hi"))
        s.send(C2S, s.client.ping(payload), dt=19.0, ack=False)
        s.send(S2C, s.server.pong(payload))
        s.teardown(first=S2C, dt=11.0)
        sessions.append(s)
    path = tmp_path / "pings.pcap"
    from pcapbuild import pcap_bytes
    path.write_bytes(pcap_bytes(sorted((p.ts, p.data) for s in sessions for p in s.packets())))
    args = [a.format(str(path)) for a in COMMANDS[command]]
    assert_same(args)
    if command == "read":
        out = " ".join(_invoke(args, pure=False)[0].decode().split())
        # the FIN's label and its note, in each connection; the keepalive named on its ping, the FIN and the note
        assert out.count("30.0 s after the last data message (11.0 s after the last ping/pong") == 4
        assert out.count("the client library's automatic keepalive") == 3
