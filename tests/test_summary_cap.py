"""--max-summary-connections (Limits.summary_connections): past the cap a finished connection is folded
into the summary's counts and its record dropped, so memory follows the open connections and not the capture's
length; every output still accounts for every connection (JSON records, totals, stats)."""
import gc
import io
import json
import struct

import pytest

from conftest import run_wsdissect
from pcapbuild import pcap_bytes
from sessionbuild import Session, raw_frame
from wsdissect.analyzer import Analyzer
from wsdissect.cli import common
from wsdissect.limits import Limits
from wsdissect.model import C2S, S2C, Connection, RawPacket
from wsdissect.render import jsonl
from wsdissect.render.timeline import TimelinePrinter

CONNS = 60
CAP = 4


def _session(i: int) -> Session:
    s = Session(client=("10.0.0.1", 40000 + i), server=("10.0.0.2", 80), t0=1700000000.0 + i)
    s.websocket_handshake()
    s.send(C2S, raw_frame(b"hello %d" % i, mask=b"abcd"))
    s.send(S2C, raw_frame(b"hi %d" % i))    # a message each way: the guess (app/sniff.py) is over
    s.send(C2S, raw_frame(b"p", opcode=9, mask=b"abcd"))
    s.send(S2C, raw_frame(b"p", opcode=10))
    if i == CONNS - 1:
        pass                                                   # the last one is still open at the end
    elif i % 7 == 3:
        s.seg(C2S, "R")                                        # reset
    else:
        s.send(S2C, raw_frame(struct.pack(">H", 1000 + i % 3), opcode=8))
        s.teardown()
    return s


def _packets() -> list:
    packets = [p for i in range(CONNS) for p in _session(i).packets()]
    return [RawPacket(i + 1, p.ts, p.linktype, p.data, p.wirelen) for i, p in enumerate(packets)]


def _run_json(keep, linger=1):
    """read --json, in-process; linger=1 releases finished connections every 256 packets (as big captures do)."""
    a = Analyzer(Limits(summary_connections=keep))
    a.tracker.linger_packets = linger
    out = io.StringIO()
    common.run(a, iter(_packets()), out=jsonl.JsonLinesWriter(out))
    return a, [json.loads(line) for line in out.getvalue().splitlines()]


def test_json_has_every_connection_record_once_and_the_same_totals():
    full, recs_full = _run_json(None)
    capped, recs_capped = _run_json(CAP)
    assert full.summary.folded is None and capped.summary.folded is not None
    conn_full = [r for r in recs_full if r["type"] == "connection"]
    conn_capped = [r for r in recs_capped if r["type"] == "connection"]
    assert [r["conn"] for r in conn_full] == list(range(CONNS))
    assert sorted(r["conn"] for r in conn_capped) == list(range(CONNS))        # each exactly once
    assert sorted(conn_capped, key=lambda r: r["conn"]) == conn_full            # and the same
    # Everything else is as without the cap, in the same order, but for the cap's own note.
    rest = [r for r in recs_full if r["type"] not in ("connection", "summary")]
    assert [r for r in recs_capped if r["type"] not in ("connection", "summary")
            and r.get("code") != "cap-summary-connections"] == rest
    s_full, s_capped = recs_full[-1], recs_capped[-1]
    assert s_capped["type"] == "summary" and s_capped["connections"] == s_full["connections"] == CONNS
    assert s_capped["notes_by_code"].pop("cap-summary-connections") == 1
    assert any("--max-summary-connections" in c for c in s_capped["caps"])
    folded = s_capped["folded_connections"]
    past = [r for r in conn_full if r["conn"] >= CAP]
    assert folded["connections"] == len(past) and folded["max"] == CAP
    assert folded["websocket"] == sum(r["websocket"] for r in past)
    for key in ("messages", "frames", "bytes"):
        assert folded[key] == {d: sum(r[key][d] for r in past) for d in (C2S, S2C)}
    assert folded["ended"] == {"fin": sum(r["end"] == "fin" for r in past), "rst": sum(r["end"] == "rst" for r in past),
                               "open": sum(r["end"] is None for r in past)}
    assert folded["ended"]["open"] == 1 and folded["ended"]["rst"] > 0
    codes = {}
    for r in past:
        if r["close_code"] is not None:
            codes[str(r["close_code"])] = codes.get(str(r["close_code"]), 0) + 1
    assert folded["close_codes"] == codes
    assert folded["notes"] == sum(r["notes"] for r in past)


def test_a_folded_record_comes_right_after_the_packet_that_released_it():
    _, recs = _run_json(CAP)
    end = next(i for i, r in enumerate(recs) if r["type"] == "connection" and r["conn"] < CAP)
    early = [i for i, r in enumerate(recs[:end]) if r["type"] == "connection"]
    assert early, "connections are released (and folded) while packets still come"
    for i in early:
        c = recs[i]["conn"]
        assert c >= CAP
        last_packet = max(j for j, r in enumerate(recs[:i]) if r["type"] == "packet" and r["conn"] == c)
        assert last_packet < i
        before = recs[i - 1]
        assert before["type"] in ("packet", "frame", "message", "note", "connection")


def _connection_records() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Connection)


def test_live_connection_records_stay_bounded():
    packets = _packets()
    before = _connection_records()
    a = Analyzer(Limits(summary_connections=CAP))
    a.tracker.linger_packets = 1
    most = 0
    for p in packets:
        a.feed(p)
        most = max(most, len(a.connections))
    a.finish()
    assert len(a.summary.connections) == CAP and a.summary.connection_count() == CONNS
    # The first CAP, plus those opened since the last release (every 256 packets).
    assert most <= CAP + 256 // len(_session(0).packets()) + 2 < CONNS // 2
    assert sorted(a.connections) == list(range(CAP))
    assert _connection_records() - before == CAP       # the folded records are gone
    # Without the cap every record stays (what follow and the flow view ask for).
    b = Analyzer(Limits(summary_connections=None))
    for p in _packets():
        b.feed(p)
    b.finish()
    assert len(b.summary.connections) == CONNS and b.summary.folded is None


def test_the_timeline_summary_says_how_many_more(tmp_path):
    a = Analyzer(Limits(summary_connections=CAP))
    a.tracker.linger_packets = 1
    from rich.console import Console
    console = Console(file=io.StringIO(), width=100, color_system=None, highlight=False)
    common.run(a, iter(_packets()), out=TimelinePrinter(console))
    text = console.file.getvalue()
    summary = text[text.rindex("Summary:"):]
    assert f"{CONNS} connections" in summary
    assert f"… and {CONNS - CAP} more connections ({CONNS - CAP} WebSocket), counted but not listed" in summary
    assert "TCP ended:" in summary and "Close codes: 100" in summary


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    path = tmp_path_factory.mktemp("cap") / "many.pcap"
    path.write_bytes(pcap_bytes([(p.ts, p.data) for p in _packets()]))
    return str(path)


def test_read_cli_summary_in_english_and_chinese(capture):
    en = run_wsdissect("read", capture, "--max-summary-connections", str(CAP), columns=200).stdout
    assert f"… and {CONNS - CAP} more connections ({CONNS - CAP} WebSocket)" in en
    assert "cap-summary-connections" in en
    assert en.count("GET /chat") >= CAP
    zh = run_wsdissect("read", capture, "--max-summary-connections", str(CAP), "--lang", "zh", columns=200).stdout
    assert f"另有 {CONNS - CAP} 条连接（其中 WebSocket {CONNS - CAP} 条）" in zh
    assert f"{CONNS} 条连接" in zh
    # Under the cap nothing changes.
    assert "more connections" not in run_wsdissect("read", capture, columns=200).stdout


def test_read_cli_json_records(capture):
    out = run_wsdissect("read", capture, "--json", "--max-summary-connections", str(CAP)).stdout
    recs = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["conn"] for r in recs if r["type"] == "connection") == list(range(CONNS))
    assert recs[-1]["connections"] == CONNS and recs[-1]["folded_connections"]["connections"] == CONNS - CAP


def _stats(capture, *args):
    out = run_wsdissect("stats", capture, "--json", *args).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_stats_totals_count_every_connection(capture):
    full, capped = _stats(capture), _stats(capture, "--max-summary-connections", str(CAP))
    t_full, t_capped = full[-1], capped[-1]
    assert t_capped.pop("counted_only") == {"connections": CONNS - CAP, "websocket_connections": CONNS - CAP}
    # The cap's own note, and its line among the caps reached, are the only difference.
    assert t_full.pop("caps") == [] and ["--max-summary-connections" in c for c in t_capped.pop("caps")] == [True]
    assert t_capped.pop("notes") == t_full.pop("notes") + 1
    assert t_capped.pop("notes_by_severity").pop("note") == t_full.pop("notes_by_severity").pop("note", 0) + 1
    assert t_capped == t_full
    assert [r["conn"] for r in capped[:-1]] == list(range(CAP))
    assert capped[:-1] == full[:CAP]
    text = run_wsdissect("stats", capture, "--max-summary-connections", str(CAP), columns=200).stdout
    assert f"… and {CONNS - CAP} more connections ({CONNS - CAP} WebSocket): counted in the totals" in text
    # --conn N past the cap still finds connection N.
    one = _stats(capture, "--conn", str(CONNS - 2), "--max-summary-connections", str(CAP))
    assert one[0]["conn"] == CONNS - 2 and one[0] == full[CONNS - 2]


def test_flow_ignores_the_cap_and_follow_and_show_do_not_take_it(capture):
    # The flow view folds records like the timeline (memory follows the open connections) but keeps each one
    # until its ladder is drawn, and says nothing of the cap: the same diagrams either way.
    for args in (("read", capture, "--view", "flow"), ("read", capture, "--view", "flow", "--format", "mermaid"),
                 ("read", capture, "--view", "flow", "--lang", "zh")):
        assert run_wsdissect(*args, "--max-summary-connections", "1").stdout == run_wsdissect(*args).stdout
    for args in (("follow", capture), ("show", capture, "1")):
        proc = run_wsdissect(*args, "--max-summary-connections", "1")
        assert proc.returncode == 2 and "No such option '--max-summary-connections'" in proc.stderr
        assert "--max-summary-connections" not in run_wsdissect(args[0], "--help").stdout


def test_follow_prints_each_transcript_when_its_connection_finishes_and_keeps_only_open_ones():
    # follow without --conn: every connection folds as it finishes (cap 0) and FollowPrinter prints it then,
    # in connection order; the collector never holds the messages of many finished connections.
    from rich.console import Console
    from wsdissect.render.follow import FollowCollector, FollowPrinter, render_follow

    def console(buf):
        return Console(file=buf, width=100, height=25, color_system=None, highlight=False)

    whole_out, streamed_out = io.StringIO(), io.StringIO()
    a = Analyzer(Limits(summary_connections=None))
    collector = FollowCollector()
    for raw in _packets():
        row = a.feed(raw)
        if row is not None:
            collector.row(row, a.connections.get(row.conn))
    a.finish()
    render_follow(console(whole_out), collector, [c for c in a.summary.connections if c.is_websocket])

    a = Analyzer(Limits(summary_connections=0))
    a.tracker.linger_packets = 1
    collector = FollowCollector()
    printer = FollowPrinter(console(streamed_out), collector)
    a.on_fold = printer.finished
    held = 0
    for raw in _packets():
        row = a.feed(raw)
        if row is not None:
            collector.row(row, a.connections.get(row.conn))
        held = max(held, len(collector.events))
    a.finish()
    printer.flush()
    assert streamed_out.getvalue() == whole_out.getvalue()
    assert printer.printed == CONNS
    assert collector.events == {}
    # Released every 256 packets, ~17 of these short connections: without the streaming all 60 were held.
    assert held < CONNS // 2


def test_follow_conn_keeps_only_that_connections_events():
    from wsdissect.render.follow import FollowCollector
    a = Analyzer()
    collector = FollowCollector(only=3)
    for raw in _packets():
        row = a.feed(raw)
        if row is not None:
            collector.row(row, a.connections.get(row.conn))
    assert list(collector.events) == [3] and collector.events[3]


def test_flow_draws_each_ladder_when_its_connection_finishes_with_the_same_output():
    # read --view flow / mermaid: a finished connection's ladder is drawn (and its arrows dropped) once every
    # connection with earlier arrows is drawn; the output is the one drawing everything at the end gives.
    from rich.console import Console
    from wsdissect.render.flow import FlowPrinter, MermaidPrinter

    def run(linger, make):
        out = io.StringIO()
        writer = make(out)
        held = []
        drawn_at_finish = writer.finished

        def finished(c):
            held.append(len(writer.rows.arrows))
            drawn_at_finish(c)
        writer.finished = finished
        a = Analyzer(Limits(summary_connections=None))
        a.tracker.linger_packets = linger
        common.run(a, iter(_packets()), out=writer)
        return out.getvalue(), held

    for make in (lambda out: FlowPrinter(Console(file=out, width=100, height=25, color_system=None)),
                 lambda out: MermaidPrinter(out)):
        at_end, held_none = run(10_000, make)       # nothing is released before the end: drawn at the end
        streamed, held = run(1, make)               # released every 256 packets: drawn along the way
        assert streamed == at_end
        assert "conn 59" in at_end or "connection 59" in at_end       # every ladder is there
        assert held_none == [] and held and max(held) < CONNS // 2


def test_the_caps_note_is_with_the_end_notes_when_an_eviction_folds_first():
    """A connection finished to make room (--max-connections) is reported on the packet that needed the room;
    the note that the summary's cap was reached is about the capture, not that packet: it comes with the notes
    of the end, where it comes when a release or the end of the capture folds first."""
    a = Analyzer(Limits(summary_connections=0, max_connections=1))
    out = io.StringIO()
    common.run(a, iter(_packets()), out=jsonl.JsonLinesWriter(out))
    recs = [json.loads(line) for line in out.getvalue().splitlines()]
    evicted = [i for i, r in enumerate(recs) if r["type"] == "note" and r["code"] == "cap-connections"]
    caps_note = [i for i, r in enumerate(recs) if r["type"] == "note" and r["code"] == "cap-summary-connections"]
    last_packet = max(i for i, r in enumerate(recs) if r["type"] == "packet")
    assert evicted and evicted[0] < last_packet                  # an eviction folded the first connection
    assert len(caps_note) == 1 and caps_note[0] > last_packet
    assert recs[caps_note[0]]["no"] is None and recs[caps_note[0]]["conn"] is None
