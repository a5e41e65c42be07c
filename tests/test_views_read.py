"""`read --view flow`, `--format mermaid`, `--export`, and the row filters, as a user runs them."""
import os
import re
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, run_wsdissect

CAP = os.path.join(ROOT, "captures")


def wsdissect(*args):
    return run_wsdissect(*args, columns=80)


def test_flow_draws_phases_in_order_and_the_idle_silence():
    out = wsdissect("read", os.path.join(CAP, "idle-timeout.pcap"), "--view", "flow").stdout
    lines = out.splitlines()
    phases = [p for p in ("TCP handshake", "WebSocket handshake", "data transfer", "closing")
              if any(p in line for line in lines)]
    assert phases == ["TCP handshake", "WebSocket handshake", "data transfer", "closing"]
    assert [i for i, line in enumerate(lines) if "TCP handshake" in line] < \
        [i for i, line in enumerate(lines) if "closing" in line]
    assert re.search(r"3\.\d s of silence", out)
    syn = next(line for line in lines if "#1 " in line)
    synack = next(line for line in lines if "#2 " in line)
    assert "SYN" in syn and syn.rstrip().endswith("▶|")           # client → server
    assert "SYN, ACK" in synack and "◀" in synack                   # server → client
    assert "no Close frame" in out
    assert all(len(line) <= 80 for line in lines)


def test_mermaid_is_a_sequence_diagram_per_connection():
    out = wsdissect("read", os.path.join(CAP, "echo.pcap"), "--view", "flow", "--format", "mermaid").stdout
    assert out.count("sequenceDiagram") == 1
    assert "participant C as Client 127.0.0.1:" in out
    arrows = [line.strip() for line in out.splitlines() if "->>" in line]
    assert len(arrows) == 22
    assert arrows[0].startswith("C->>S: #1 SYN") and arrows[1].startswith("S->>C: #2 SYN, ACK")
    assert any("Close 1000" in a for a in arrows)
    assert all(";" not in a for a in arrows)


@pytest.mark.parametrize("lang, note", [("en", "Note over C,S: 30.0 s of silence"),
                                        ("zh", "Note over C,S: 静默 30.0 秒")])
def test_mermaid_shows_the_silences_as_the_ladder_does(lang, note):
    """The lab's key fact: the server drops the client after 30 s of silence. Both diagrams show that pause
    where it happened, before the server's FIN; a pause under a second is not worth a note."""
    from sessionbuild import C2S, S2C, Session
    s = Session()
    s.websocket_handshake()
    s.send(C2S, s.client.send_data("hello"), dt=0.5)
    s.teardown(first=S2C, dt=30.0)                       # #10: the server's FIN, 30 s after #9
    mermaid = _flow_rows(s.packets(), lang, mermaid=True).splitlines()
    notes = [line.strip() for line in mermaid if "silence" in line or "静默" in line]
    assert notes == [note]
    fin = next(i for i, line in enumerate(mermaid) if line.strip().startswith("S->>C: #10 "))
    assert mermaid[fin - 1].strip() == note or mermaid[fin - 2].strip() == note     # (a phase note may follow)
    ladder = _flow_rows(s.packets(), lang, width=100)
    assert note.split(": ", 1)[1] in ladder


def test_mermaid_needs_flow():
    proc = wsdissect("read", os.path.join(CAP, "echo.pcap"), "--format", "mermaid")
    assert proc.returncode == 2 and "--view flow" in proc.stderr


def test_role_filter_keeps_only_those_rows_and_times_stay_capture_relative():
    out = wsdissect("read", os.path.join(CAP, "fragments-ping.pcap"), "--role", "ws-control").stdout
    rows = [line for line in out.splitlines() if re.match(r"\s+\d+\s+\d+\.\d{6} ", line)]
    assert len(rows) == 4 and all("Ping" in r or "Pong" in r for r in rows)
    assert float(rows[0].split()[1]) > 0.5        # not reset to 0 at the first row shown


def test_grep_and_conn_filters():
    out = wsdissect("read", os.path.join(CAP, "echo.pcap"), "--grep", "你好").stdout
    rows = [line for line in out.splitlines() if re.match(r"\s+\d+\s+\d+\.\d{6} ", line)]
    assert len(rows) == 2
    out = wsdissect("read", os.path.join(CAP, "echo.pcap"), "--conn", "7").stdout
    assert not [line for line in out.splitlines() if re.match(r"\s+\d+\s+\d+\.\d{6} ", line)]
    assert "Summary: 22 packets" in out      # filters hide rows; the summary covers the capture


def test_bad_filters_are_usage_errors():
    assert wsdissect("read", os.path.join(CAP, "echo.pcap"), "--role", "nope").returncode == 2
    proc = wsdissect("read", os.path.join(CAP, "echo.pcap"), "--grep", "(")
    assert proc.returncode == 2 and "regular expression" in proc.stderr


def test_export_svg_is_valid_xml_holding_the_rows(tmp_path):
    svg = tmp_path / "echo.svg"
    proc = wsdissect("read", os.path.join(CAP, "echo.pcap"), "--export", str(svg))
    assert proc.returncode == 0 and not proc.stdout
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert root.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
    text = "".join(root.itertext()).replace("\xa0", " ")
    assert "TCP handshake 1/3" in text and "Switching Protocols" in text and "1000 Normal Closure" in text


def test_export_html_and_flow_svg(tmp_path):
    html = tmp_path / "t.html"
    assert wsdissect("read", os.path.join(CAP, "echo.pcap"), "--export", str(html)).returncode == 0
    assert "TCP handshake 1/3" in html.read_text()
    svg = tmp_path / "flow.svg"
    assert wsdissect("read", os.path.join(CAP, "echo.pcap"), "--view", "flow", "--export", str(svg)).returncode == 0
    text = "".join(ET.parse(svg).getroot().itertext()).replace("\xa0", " ")
    assert "WebSocket handshake" in text and "closing" in text


def test_export_rejects_unknown_extension(tmp_path):
    proc = wsdissect("read", os.path.join(CAP, "echo.pcap"), "--export", str(tmp_path / "x.png"))
    assert proc.returncode == 2 and ".svg" in proc.stderr


# --- a packet carrying the 101 reply and a WebSocket frame: its arrow says both ------------------------------

def _flow_rows(packets, lang="en", width=80, mermaid=False):
    import io

    from rich.console import Console

    from wsdissect.analyzer import Analyzer
    from wsdissect.cli.common import run
    from wsdissect.render.flow import FlowPrinter, MermaidPrinter
    buf = io.StringIO()
    out = MermaidPrinter(buf, lang=lang) if mermaid else \
        FlowPrinter(Console(file=buf, width=width, color_system=None), lang=lang)
    run(Analyzer(), packets, out=out)
    return buf.getvalue()


def _reply_and_ping():
    """The handshake with the server's first Ping in the 101's segment, then the client's Pong."""
    from sessionbuild import C2S, KEY, S2C, Session, accept_for, raw_frame, upgrade_request, upgrade_response
    s = Session()
    s.handshake()
    s.send(C2S, upgrade_request(KEY))
    s.send(S2C, upgrade_response(accept_for(KEY)) + raw_frame(b"Zeek", opcode=9))       # #6, ACKed by #7
    s.send(C2S, raw_frame(b"Zeek", opcode=10, mask=b"\x01\x02\x03\x04"))                 # #8 Pong
    return s.packets()


def test_flow_arrow_of_the_101_says_its_coalesced_ping_too():
    out = _flow_rows(_reply_and_ping())
    lines = out.splitlines()
    six = next(line for line in lines if "#6 " in line)
    assert "HTTP/1.1 101 Switching Protocols + Ping" in six and "◀" in six
    # The 101 ends the WebSocket handshake: #6 and the ACK of it sit in that phase, data transfer follows.
    at = {name: next(i for i, line in enumerate(lines) if name in line)
          for name in ("WebSocket handshake", "#6 ", "#7 ", "data transfer", "#8 ")}
    assert at["WebSocket handshake"] < at["#6 "] < at["#7 "] < at["data transfer"] < at["#8 "]
    zh = _flow_rows(_reply_and_ping(), lang="zh")
    assert "HTTP/1.1 101 Switching Protocols，附带 Ping" in zh
    # Too narrow for all of it: the HTTP line is cut, the frame stays.
    narrow = next(line for line in _flow_rows(_reply_and_ping(), width=60).splitlines() if "#6 " in line)
    assert "… + Ping ──" in narrow and len(narrow) <= 60
    mermaid = _flow_rows(_reply_and_ping(), mermaid=True)
    assert "S->>C: #6 HTTP/1.1 101 Switching Protocols + Ping (" in mermaid
    assert "S->>C: #6 HTTP/1.1 101 Switching Protocols，附带 Ping（" in _flow_rows(_reply_and_ping(), "zh",
                                                                                   mermaid=True)


def test_flow_of_the_zeek_reply_ping_capture():
    from conftest import SHARED_DIR
    path = os.path.join(SHARED_DIR, "zeek-reply-ping-coalesced.pcap")
    if not os.path.exists(path):
        import pytest
        pytest.skip("../shared/captures is not present")
    # The timeline shows the 101 and, under it, the Ping frame; the flow arrow names both.
    timeline = wsdissect("read", path).stdout
    assert re.search(r"\n +6 .*HTTP/1\.1 101", timeline) and '↳ Ping [FIN] 4 bytes "Zeek"' in timeline
    flow = wsdissect("read", path, "--view", "flow").stdout
    assert "HTTP/1.1 101 Switching Protocols + Ping" in next(line for line in flow.splitlines() if "#6 " in line)
    mermaid = wsdissect("read", path, "--view", "flow", "--format", "mermaid").stdout
    assert "S->>C: #6 HTTP/1.1 101 Switching Protocols + Ping (" in mermaid


def test_flow_ends_with_what_the_diagram_cannot_show_caps_and_a_damaged_file(tmp_path):
    cut = tmp_path / "cut.pcap"
    with open(os.path.join(CAP, "echo.pcap"), "rb") as f:
        cut.write_bytes(f.read()[:-20])
    out = wsdissect("read", str(cut), "--view", "flow", "--max-message", "3").stdout
    tail = out[out.rindex("#21"):]
    assert "limits reached" in tail and "--max-message cap (3 bytes)" in tail
    assert "about the capture:" in tail and "[error]" in tail and "cut short inside packet 22" in tail
    mermaid = wsdissect("read", str(cut), "--view", "flow", "--format", "mermaid").stdout
    assert mermaid.rstrip().splitlines()[-1].startswith("%% [error]")
    clean = wsdissect("read", os.path.join(CAP, "echo.pcap"), "--view", "flow").stdout
    assert "limits reached" not in clean and "about the capture" not in clean


def test_each_cap_is_listed_once_in_the_summary_however_often_it_is_hit():
    import json
    out = wsdissect("read", os.path.join(CAP, "echo.pcap"), "--json", "--max-message", "3").stdout
    summary = json.loads(out.splitlines()[-1])
    assert summary["notes_by_code"]["message-truncated"] > 1
    assert len(summary["caps"]) == len({"message-truncated", "frame-truncated"} & set(summary["notes_by_code"]))


def test_flow_lines_that_fit_skip_rich_and_the_others_do_not():
    """FlowPrinter._out: a plain line that fits the width is written straight to the file (what rich would print,
    without its rendering and flush per line); a longer one, a live view or a recording console go to rich."""
    import io

    from rich.console import Console
    from rich.text import Text

    from wsdissect.render.flow import FlowPrinter
    console = Console(file=io.StringIO(), color_system=None, width=40)
    printed = []
    console.print = lambda *a, **k: printed.append(a)
    p = FlowPrinter(console)
    p._out(Text("conn 0  GET /", style="bold"), highlight=False)
    p._out()
    assert console.file.getvalue() == "conn 0  GET /\n\n" and not printed
    p._out(Text("x" * 41))
    assert len(printed) == 1 and console.file.getvalue() == "conn 0  GET /\n\n"
    for other in (FlowPrinter(console, live=True),
                  FlowPrinter(Console(file=io.StringIO(), color_system=None, width=40, record=True))):
        other.console.print = lambda *a, **k: printed.append(a)
        other._out(Text("short"))
    assert len(printed) == 3


def test_summary_says_its_bytes_are_tcp_payload_handshake_included():
    # The byte count beside a message count is every TCP payload byte of that direction (the HTTP upgrade too),
    # not the messages' sizes: the words say which, and the number is the sum of the packets' `len`.
    import json
    path = os.path.join(CAP, "echo.pcap")
    packets = [json.loads(line) for line in wsdissect("read", path, "--json").stdout.splitlines()]
    tcp = {d: sum(p["len"] for p in packets if p["type"] == "packet" and p["dir"] == d) for d in ("c2s", "s2c")}
    msgs = {d: sum(m["length"] for m in packets if m["type"] == "message" and m["dir"] == d) for d in ("c2s", "s2c")}
    assert tcp["c2s"] > msgs["c2s"] + 100                          # the upgrade request is in it
    flat = " ".join(wsdissect("read", path).stdout.split())
    assert f"client → server: 3 messages; {tcp['c2s']} bytes of TCP payload" in flat
    assert f"server → client: 3 messages; {tcp['s2c']} bytes of TCP payload" in flat
    zh = " ".join(wsdissect("read", path, "--lang", "zh").stdout.split())
    assert f"客户端 → 服务端：3 条消息；TCP 载荷 {tcp['c2s']} 字节" in zh
