"""Issue 5's fast paths keep their meaning: the hand-built JSON lines are byte-identical to the dict records
through json, the timeline's width shortcut agrees with rich, and a finished connection leaves the tracker
(flat memory) without changing what is reported."""
import io
import json

import pytest
from rich.cells import cell_len

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import BUNDLED, CAPTURES
from sessionbuild import Session, analyze, raw_frame
from wsdissect.analyzer import Analyzer
from wsdissect.cli import common
from wsdissect.i18n import note_text
from wsdissect.model import C2S, S2C, Connection, Endpoint, Frame, Label, Message, Note, Row
from wsdissect.render import jsonl
from wsdissect.render.labels import LabelWords
from wsdissect.render.timeline import _cells
from wsdissect.sources.pcap import iter_capture

W = LabelWords()


def _rows(path):
    a = Analyzer()
    with open(path, "rb") as f:
        rows = [r for r in (a.feed(p) for p in iter_capture(f)) if r is not None]
    a.finish()
    return rows + [None], a


@pytest.mark.parametrize("path", BUNDLED)
def test_json_fast_lines_equal_the_generic_encoding(path):
    rows, a = _rows(path)
    dumps = jsonl._dumps
    for row in rows[:-1]:
        assert jsonl.packet_line(row, W) == dumps(jsonl.packet_record(row, W))
        for f in row.frames:
            assert jsonl.frame_line(f) == dumps(jsonl.frame_record(f))
        for m in row.messages:
            assert jsonl.message_line(m) == dumps(jsonl.message_record(m))
        for n in row.notes:
            for lang in ("en", "zh"):
                assert jsonl.note_line(n, note_text(n.code, n.args, lang)) == dumps(jsonl.note_record(n, lang))


@pytest.mark.parametrize("path", BUNDLED)
def test_json_connection_lines_equal_the_generic_encoding(path):
    _, a = _rows(path)
    assert a.summary.connections
    for c in a.summary.connections:
        assert jsonl.connection_line(c) == jsonl._dumps(jsonl.connection_record(c))


def test_json_connection_line_escapes_and_nulls_like_json():
    odd = 'quote " backslash \\ tab \t nl \n bell \x07 bidi \u202e 你好 ✓'
    c = Connection(4, Endpoint("::1", 5000), Endpoint("2001:db8::2", 443), first_no=3, first_ts=1700000000.25,
                   last_ts=1700000009.5, is_websocket=True, uri=odd, host=odd, origin=odd, status=101,
                   accept_ok=False, subprotocol=odd, extensions=odd, offered_extensions=odd, decode_as=True,
                   close_code=4000, close_reason=odd, closed_by="server", fin_by="client", end="rst", notes=3,
                   tls={"version": "TLS 1.3", "sni": odd, "alpn": ["http/1.1"], "decrypted": True})
    c.messages_c2s, c.frames_s2c, c.bytes_c2s = 2, 5, 123456789012
    for conn in (c, Connection(0, Endpoint("10.0.0.1", 1), Endpoint("10.0.0.2", 2))):
        assert jsonl.connection_line(conn) == jsonl._dumps(jsonl.connection_record(conn))
        json.loads(jsonl.connection_line(conn))


def test_json_fast_lines_escape_and_null_like_json():
    odd = 'quote " backslash \\ tab \t nl \n bell \x07 bidi \u202e 你好 ✓'
    row = Row(7, 1700000000.25, 3, S2C, "[::1]:80", "[::1]:5000", 0x18, 1, 2, 3, 57, 512, "ws-data",
              Label("http.request", S2C, (odd,)), odd, protocol="WebSocket")
    assert jsonl.packet_line(row, W) == jsonl._dumps(jsonl.packet_record(row, W))
    json.loads(jsonl.packet_line(row, W))
    malformed = Row(8, 1.0, None, None, "?", "?", 0, 0, 0, 0, 60, 0, "malformed",
                    Label("malformed.packet", None, ("x",)), "x", protocol="?")
    assert jsonl.packet_line(malformed, W) == jsonl._dumps(jsonl.packet_record(malformed, W))
    f = Frame(9, 8, 3, C2S, False, 4, 8, True, b"\x01\x02\x03\x04", 5, close_code=1000, close_reason=odd)
    assert jsonl.frame_line(f) == jsonl._dumps(jsonl.frame_record(f))
    f = Frame(9, 9, 3, S2C, True, 0, 1, False, None, 0)
    assert jsonl.frame_line(f) == jsonl._dumps(jsonl.frame_record(f))
    for n in (Note(8, 3, odd, odd, {}), Note(None, None, "warning", "x", {})):
        rec = {"type": "note", "no": n.no, "conn": n.conn, "severity": n.severity, "code": n.code, "text": odd}
        assert jsonl.note_line(n, odd) == jsonl._dumps(rec)
        assert json.loads(jsonl.note_line(n, odd)) == rec
    big = "é" * (jsonl.JSON_DATA_LIMIT + 3)
    for m in (Message(3, C2S, 1, 2, 5, 9, True, 7, 5, b"", odd),
              Message(3, C2S, 1, 1, 5, 5, False, len(big), len(big), b"", big),
              Message(3, S2C, 2, 1, 5, 5, False, 70000, 70000, bytes(range(256)) * 300, None, True),
              # text JSON needs no escape for (quoted as it is), and each character that would need one
              Message(3, C2S, 1, 1, 5, 5, False, 9, 9, b"", "plain \x7f ~"),
              *(Message(3, C2S, 1, 1, 5, 5, False, 9, 9, b"", f"plain {chr(c)} text") for c in [*range(0x20), 0x22, 0x5c])):
        assert jsonl.message_line(m) == jsonl._dumps(jsonl.message_record(m))


@pytest.mark.parametrize("path", CAPTURES)
def test_json_timestamps_spell_as_repr_on_every_capture(path):
    """The packet line's "ts" built from integers is repr's spelling, on every capture bundled or shared."""
    a = Analyzer()
    with open(path, "rb") as f:
        stamps = [p.ts for p in iter_capture(f) if p.ts is not None]
    assert stamps
    exact = [jsonl._us_digits(ts) for ts in stamps]
    assert all(e is None or e == repr(ts) for e, ts in zip(exact, stamps))
    assert all(jsonl._ts(ts) == repr(ts) for ts in stamps)
    if path.endswith(".pcap"):          # microsecond timestamps: the integer path is the one taken
        assert all(e is not None for e in exact)


@settings(max_examples=3000, deadline=None)
@given(st.integers(1, 2**32 - 1), st.integers(0, 999_999))
def test_json_microsecond_timestamps_spell_as_repr(sec, usec):
    """A pcap timestamp (seconds and microseconds as the reader divides them) spells as repr, from integers."""
    for ts in (sec + usec / 1e6, (sec * 1_000_000 + usec) / 1e6):
        assert jsonl._us_digits(ts) in (None, repr(ts))
        assert jsonl._ts(ts) == repr(ts)
    assert jsonl._us_digits((sec * 1_000_000 + usec) / 1e6) == repr((sec * 1_000_000 + usec) / 1e6)


@settings(max_examples=3000, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True) | st.floats(0.5, 2.0**33) | st.floats(1e9, 2e9))
def test_json_any_timestamp_spells_as_repr(ts):
    """Any double: repr's spelling, from integers where that is exact, from repr elsewhere (nanoseconds, before
    1970-01-01T00:00:01, from 2106 on, NaN)."""
    assert jsonl._us_digits(ts) in (None, repr(ts))
    assert jsonl._ts(ts) == repr(ts)


def test_json_repeated_names_stay_escaped_past_the_cache_bound():
    """Addresses, protocols and roles come from a bounded memo (8192 names): the lines stay exact after it is
    cleared."""
    rows = [Row(i, 1700000000.5, i, S2C, f"[::{i:x}]:80", f'"odd\\{i}"', 0x18, 1, 2, 3, 57, 512, "ws-data", None,
                "i", protocol="WebSocket") for i in range(6000)]
    for row in rows + rows:
        assert jsonl.packet_line(row, W) == jsonl._dumps(jsonl.packet_record(row, W))


@settings(max_examples=2000, deadline=None)
@given(st.text(st.sampled_from('a"\\\x00\x1f\x7f é你😀\u2028\ud800{}:,') | st.characters(), max_size=40))
def test_json_message_text_escapes_like_json(text):
    """Any text body, with quotes, backslashes, control or non-ASCII characters: the encoder's bytes."""
    m = Message(3, C2S, 1, 1, 5, 5, False, 9, 9, b"", text)
    assert jsonl.message_line(m) == jsonl._dumps(jsonl.message_record(m))


def test_json_writer_one_line_per_record():
    rows, a = _rows(BUNDLED[0])
    out = io.StringIO()
    w = jsonl.JsonLinesWriter(out)
    for r in rows[:-1]:
        w.row(r)
    lines = out.getvalue().splitlines()
    assert all(json.loads(line)["type"] for line in lines)
    assert len(lines) == sum(1 + len(r.frames) + len(r.messages) + len(r.notes) for r in rows[:-1])


@pytest.mark.parametrize("text", ["plain ascii", "↳ Text [FIN] 5 bytes", "⇒ inflated 9 → 12 bytes — ok …",
                                  "你好 wide", "é à ü ñ ×", "emoji 😀", "flag ⚠ ✓ ✗ • ·", "zero\u200bwidth",
                                  "combining e\u0301", "mixed → 你"])
def test_cells_agrees_with_rich(text):
    assert _cells(text) == cell_len(text)


# -- finished connections leave the tracker ---------------------------------------------------------------

def _short_session(i: int) -> Session:
    s = Session(client=("10.0.0.1", 40000 + i), server=("10.0.0.2", 80), t0=1700000000.0 + i)
    s.websocket_handshake()
    s.send(C2S, raw_frame(b"hi", mask=b"abcd"))
    s.teardown()
    return s


def _run_json(packets, linger=None):
    a = Analyzer()
    if linger is not None:
        a.tracker.linger_packets = linger
    out = io.StringIO()
    common.run(a, iter(packets), out=jsonl.JsonLinesWriter(out))
    return a, [json.loads(line) for line in out.getvalue().splitlines()]


def _renumber(packets):
    from wsdissect.model import RawPacket
    return [RawPacket(i + 1, p.ts, p.linktype, p.data, p.wirelen) for i, p in enumerate(packets)]


def test_done_connections_are_released_and_output_is_unchanged():
    packets = _renumber([p for i in range(40) for p in _short_session(i).packets()])
    kept, recs_kept = _run_json(packets, linger=10 ** 9)
    released, recs_released = _run_json(packets, linger=1)
    assert recs_released == recs_kept
    assert len(kept.tracker.conns) == 40
    assert len(released.tracker.conns) < 5          # released every 256 packets: only the last ones remain
    assert len(released.summary.connections) == 40  # the summary still lists every connection
    # Finishing a done connection is not the --max-connections cap.
    assert not [r for r in recs_released if r["type"] == "note" and r["code"] == "cap-connections"]


def test_late_packet_within_the_linger_stays_in_its_connection():
    s = _short_session(0)
    s.seg(C2S, "A", seq=s.seq[C2S] - 1)              # the last ACK sent again after the teardown
    a = Analyzer()
    rows = [a.feed(p) for p in s.packets()]
    assert {r.conn for r in rows} == {0}
    assert a.tracker.finished and a.tracker.release(len(rows)) == []
    assert a.tracker.release(len(rows) + a.tracker.linger_packets)[0].id == 0
    assert not a.tracker.conns


def test_rst_makes_a_connection_done():
    s = Session()
    s.websocket_handshake()
    s.seg(C2S, "R")
    r = analyze(s.packets())
    assert r.analyzer.tracker.finished and r.analyzer.tracker.finished[0][2].done


def test_release_depends_on_each_connection_alone():
    """A done connection is released at the first turn its last packet is linger_packets old, wherever it
    stands in the queue: the workers of a parallel read hold some connections each and must release each one
    at the packet a single reader would. (A queue that stopped at the first connection not yet due held back
    one that saw a late packet and was queued again behind it.)"""
    from wsdissect.model import Endpoint
    from wsdissect.tcp import TcpConnection, Tracker
    t = Tracker()
    t.linger_packets = 100
    x = TcpConnection(0, Endpoint("10.0.0.1", 1), Endpoint("10.0.0.2", 80), 1, 1, 0.0)
    w = TcpConnection(1, Endpoint("10.0.0.1", 2), Endpoint("10.0.0.2", 80), 2, 2, 0.0)
    for c, done_at in ((x, 10), (w, 90)):
        t.conns[c.key] = c
        c.done, c.last_no = True, done_at
        t.queue_done(c, done_at)
    x.last_no = 30                                  # a late ACK of x's, after it was queued
    assert t.release(120) == []                     # x's last packet is 90 packets old, w's 30
    assert t.release(135) == [x]                    # x's is 105 old, though w, queued after it, is not due
    assert t.release(190) == [w]
    assert not t.conns and not t.finished
