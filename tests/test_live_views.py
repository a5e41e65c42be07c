"""`wsdissect live` with read's views: --view flow streamed arrow by arrow, --explain, the row filters
and --export, on real peers over loopback (the demo's traffic), compared with `read` of the pcap live saved.

Capturing needs root (or CAP_NET_RAW); those tests are skipped without it. The option errors and the streaming
flow printer are tested without capturing.
"""
import asyncio
import io
import os
import re
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from test_live import IDLE, Proc, assert_one_line_error, wsdissect_args
from wsdissect.analyzer import Analyzer
from wsdissect.cli.common import run
from wsdissect.lab import demo_traffic, free_port
from wsdissect.render.flow import FlowPrinter

ENV = dict(os.environ, NO_COLOR="1", COLUMNS="100", TERM="dumb")


def live_session(tmp_path, *args, name="live.pcap"):
    """`wsdissect live ARGS -w FILE` over the demo's traffic (two connections, the second dropped when idle),
    stopped with Ctrl-C. Returns (exit code, stdout lines with their arrival times, stderr, pcap path, the
    moment Ctrl-C was sent)."""
    if os.geteuid() != 0:
        pytest.skip("live capture needs root (or CAP_NET_RAW)")
    port = free_port()
    pcap = tmp_path / name
    proc = Proc(wsdissect_args("live", "--port", str(port), "-w", str(pcap), *args))
    try:
        proc.wait_for("capturing on")
        asyncio.run(demo_traffic(port, IDLE, step=0.05))
        time.sleep(0.3)
        stopped_at = time.monotonic()
        rc = proc.stop()
    finally:
        if proc.p.poll() is None:
            proc.p.kill()
            proc.p.wait()
    return rc, proc.out, proc.stderr_text(), pcap, stopped_at


def read_view(pcap, *args):
    proc = subprocess.run(wsdissect_args("read", str(pcap), *args), capture_output=True, text=True, env=ENV)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def text_of(out):
    return "".join(line for _, line in out)


def before_summary(text, word="Summary:"):
    """The view up to its summary (live's summary adds a note about the capture itself)."""
    return text[:text.index(word)] if word in text else text


# --- --view flow: arrows as the packets arrive ----------------------------------------------------------------

def test_live_flow_streams_the_ladder_that_read_draws(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    rc, out, err, pcap, stopped_at = live_session(tmp_path, "--view", "flow")
    assert rc == 0, err
    assert "Traceback" not in err
    # The first arrow reached the pipe long before Ctrl-C: the second connection then waited IDLE seconds.
    first_arrow_at = next(t for t, line in out if "#1 " in line)
    assert first_arrow_at < stopped_at - IDLE / 2
    live = text_of(out)
    assert "(continued)" not in live                # the demo's two connections follow one another
    # Line for line what `read --view flow` draws from the packets live saved, but for the headings: live
    # heads a connection at its SYN, before its request says which URI it is for.
    read = read_view(pcap, "--view", "flow")
    # After the ladder, live says what the kernel did with the packets (a file has no such note).
    live, footnote = live.split("about the capture:\n")
    assert "packets captured" in footnote and "dropped by the" in " ".join(footnote.split())
    assert re.sub(r"(?m)^(conn \d+)  GET .*$", r"\1", read) == live
    assert live.count("TCP handshake") == 2 and "no Close frame" in live and "s of silence" in live


def _two_sessions_interleaved():
    """Two connections whose packets alternate in time (a browser with two tabs, say)."""
    from sessionbuild import C2S, Session
    from wsdissect.model import RawPacket
    a = Session(client=("10.0.0.1", 50001))
    b = Session(client=("10.0.0.1", 50002), t0=a.t + 0.0005)
    for s in (a, b):
        s.websocket_handshake()
        s.teardown(C2S)
    merged = sorted(a.packets() + b.packets(), key=lambda p: p.ts)
    return [RawPacket(i + 1, p.ts, p.linktype, p.data, p.wirelen) for i, p in enumerate(merged)]


def _flow(live, lang="en"):
    con = Console(file=io.StringIO(), width=100, color_system=None)
    printer = FlowPrinter(con, live=live, lang=lang)
    run(Analyzer(), _two_sessions_interleaved(), out=printer)
    return printer, con.file.getvalue()


def test_streamed_flow_draws_each_arrow_at_once_and_says_whose_it_is():
    con = Console(file=io.StringIO(), width=100, color_system=None)
    printer = FlowPrinter(con, live=True)
    analyzer = Analyzer()
    packets = _two_sessions_interleaved()
    row = analyzer.feed(packets[0])
    printer.origin(packets[0].ts)
    printer.row(row, analyzer.connections.get(row.conn))
    assert "#1 " in con.file.getvalue() and "SYN" in con.file.getvalue()     # before any summary
    printer, live = _flow(True)
    assert printer.rows.arrows == {}                                           # nothing kept per arrow
    _, buffered = _flow(False)
    arrow = re.compile(r"^ +\d+\.\d{6}  #(\d+) ")
    live_arrows = [line for line in live.splitlines() if arrow.match(line)]
    # Every packet, in arrival order, each drawn as the buffered diagrams draw it.
    assert [int(arrow.match(line).group(1)) for line in live_arrows] == list(range(1, 23))
    assert sorted(live_arrows) == sorted(line for line in buffered.splitlines() if arrow.match(line))
    assert "─ conn 0 (continued): TCP handshake ─" in live and "─ conn 1 (continued): closing ─" in live
    assert "(continued)" not in buffered
    _, zh = _flow(True, "zh")
    assert "连接 0（续）：TCP 三次握手" in zh


# --- --explain, the filters, --export ------------------------------------------------------------------------

def test_live_explain_in_chinese_is_what_read_explains(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    export = tmp_path / "lab.txt"
    rc, out, err, pcap, _ = live_session(tmp_path, "--explain", "--lang", "zh", "--export", str(export))
    assert rc == 0, err
    live = text_of(out)
    assert "── 连接 0 · TCP 三次握手" in live and "── 连接 1 · 关闭连接" in live
    assert live.index("── 连接 0 · TCP 三次握手") < live.index("    1 ")
    assert before_summary(live, "摘要") == before_summary(read_view(pcap, "--explain", "--lang", "zh"), "摘要")
    # The handout: what was shown, summary and the capture's own note included, written when Ctrl-C came.
    assert f"wrote {export}" in err
    saved = export.read_text()
    assert before_summary(saved, "摘要") == before_summary(live, "摘要")
    assert "在 lo 上实时抓包" in saved


def test_live_filters_show_what_read_shows(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    filters = ["--conn", "0", "--role", "ws-data,ws-close", "--grep", "frag|bye|Hello", "--hide-acks"]
    rc, out, err, pcap, _ = live_session(tmp_path, *filters)
    assert rc == 0, err
    live = text_of(out)
    rows = re.findall(r"(?m)^ +\d+ +\d+\.\d{6} .*$", before_summary(live))
    assert rows and all(" WS " in row for row in rows)
    assert "anyone there?" not in before_summary(live)                     # connection 1 is filtered out
    assert "2 connections" in live                                           # the summary covers all
    assert before_summary(live) == before_summary(read_view(pcap, *filters))


def test_live_flow_export_svg(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    svg = tmp_path / "live.svg"
    rc, out, err, _, _ = live_session(tmp_path, "--view", "flow", "--export", str(svg))
    assert rc == 0, err
    assert "#1 " in text_of(out)                          # shown as it happened, and saved at the end
    text = "".join(ET.parse(svg).getroot().itertext()).replace("\xa0", " ")
    assert "WebSocket handshake" in text and "no Close frame" in text and "wsdissect live lo" in text


@pytest.mark.skipif(os.geteuid() != 0, reason="live capture needs root (or CAP_NET_RAW)")
def test_live_export_after_count(tmp_path):
    html = tmp_path / "count.html"
    port = free_port()
    live = Proc(wsdissect_args("live", "--port", str(port), "--count", "3", "--export", str(html)))
    rc = live.exit_after(lambda: asyncio.run(demo_traffic(port, IDLE, step=0.02)))
    assert rc == 0, live.stderr_text()
    assert "TCP handshake 3/3" in html.read_text() and "Summary: 3 packets" in text_of(live.out)


# --- option errors: one line, exit 2, before any capture -----------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["--explain", "--json"], ["--explain goes with the timeline view"]),
    (["--explain", "--view", "flow"], ["--explain goes with the timeline view"]),
    (["--export", "x.svg", "--json"], ["--export draws a terminal view"]),
    (["--export", "x.pdf"], ["must end in .svg, .html or .txt"]),
    (["--export", "{tmp}/no/such/x.svg"], ["cannot write", "x.svg"]),
    (["--role", "ws-nothing"], ["unknown role 'ws-nothing'"]),
    (["--grep", "("], ["--grep '(' is not a valid regular expression"]),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_live_option_errors_are_read_s(tmp_path, args, words):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = subprocess.run(wsdissect_args("live", "--duration", "0.2", *args), capture_output=True, text=True,
                          timeout=10)
    assert_one_line_error(proc.returncode, proc.stderr, *words)
    assert proc.stdout == ""
