"""`read --view flow`, `--format mermaid`, `--export`, and the row filters, as a user runs them."""
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from conftest import ROOT

CAP = os.path.join(ROOT, "captures")


def wsdissect(*args):
    env = dict(os.environ, NO_COLOR="1", COLUMNS="80")
    proc = subprocess.run([sys.executable, "-m", "wsdissect", *args], capture_output=True, text=True, env=env)
    assert "Traceback" not in proc.stderr
    return proc


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
