"""The read command as a user runs it: exit codes, one-line errors, no tracebacks."""
import json
import os
import subprocess
import sys

import pytest

from conftest import BUNDLED, ROOT

ECHO = os.path.join(ROOT, "captures", "echo.pcap")


def wsdissect(*args, env=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "wsdissect", *args], capture_output=True, text=True, env=e)


def assert_one_line_error(proc, code, *words):
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in lines[0]


def test_missing_file(tmp_path):
    assert_one_line_error(wsdissect("read", str(tmp_path / "nope.pcap")), 2, "nope.pcap", "no such file")


def test_not_a_capture(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("<!DOCTYPE html> not a capture\n")
    assert_one_line_error(wsdissect("read", str(f)), 2, "not a pcap or pcapng file")


def test_empty_file(tmp_path):
    f = tmp_path / "empty.pcap"
    f.write_bytes(b"")
    assert_one_line_error(wsdissect("read", str(f)), 2, "empty")


def test_bad_option_value_is_a_usage_error():
    proc = wsdissect("read", "--max-message", "lots", ECHO)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "is not a size" in proc.stderr


def test_truncated_capture_shows_packets_before_the_damage(tmp_path):
    data = open(ECHO, "rb").read()
    f = tmp_path / "cut.pcap"
    f.write_bytes(data[:1500])
    proc = wsdissect("read", "--json", str(f))
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr and "cut short" in proc.stderr
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    packets = [r for r in recs if r["type"] == "packet"]
    assert packets and packets[0]["role"] == "tcp-syn"
    assert [r["no"] for r in packets] == list(range(1, len(packets) + 1))
    summary = recs[-1]
    assert summary["type"] == "summary" and any("cut short" in n for n in summary["capture_notes"])


def test_snaplen_cut_packets_are_noted_not_fatal(tmp_path):
    from pcapbuild import pcap_bytes
    from wsdissect.sources.pcap import open_capture
    frames = [(raw.ts, raw.data) for raw in open_capture(ECHO)]
    f = tmp_path / "snap.pcap"
    f.write_bytes(pcap_bytes(frames, snaplen=80))
    proc = wsdissect("read", "--json", str(f))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len([r for r in recs if r["type"] == "packet"]) == len(frames)
    assert any(r["type"] == "note" and r["code"] in ("tcp-missing-bytes", "http-gap", "gap-in-payload",
                                                     "gap-in-header") for r in recs)


@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
def test_timeline_renders_every_bundled_capture(path):
    proc = wsdissect("read", path, env={"NO_COLOR": "1", "COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stdout
    assert "TCP handshake 1/3" in proc.stdout and "101" in proc.stdout


def test_strict_exits_1_on_protocol_violation_and_0_on_clean_capture():
    unmasked = os.path.join(os.path.dirname(ROOT), "shared", "captures", "zeek-wstunnel-unmasked-client.pcap")
    if not os.path.exists(unmasked):
        pytest.skip("../shared/captures is not present")
    assert wsdissect("read", "--strict", "--json", unmasked).returncode == 1
    assert wsdissect("read", "--strict", "--json", ECHO).returncode == 0


def test_json_contract_records_in_order():
    proc = wsdissect("read", "--json", ECHO)
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert all(list(r)[0] == "type" for r in recs)
    types = [r["type"] for r in recs]
    assert types[-1] == "summary" and "connection" in types
    conn = next(r for r in recs if r["type"] == "connection")
    assert conn["close_code"] == 1000 and conn["closed_by"] == "client" and conn["end"] == "fin"
    assert conn["accept_ok"] is True and conn["uri"] == "/"
    texts = [r["text"] for r in recs if r["type"] == "message" and "text" in r]
    assert "hello 你好" in texts
    binary = [r for r in recs if r["type"] == "message" and r["opcode"] == 2]
    assert binary and binary[0]["data_b64"] and binary[0]["length"] == 16


def test_frames_settled_only_at_end_of_capture_are_written(tmp_path):
    """Frames held behind a hole that never fills are parsed when the capture ends: they must reach the output."""
    from pcapbuild import pcap_bytes
    from sessionbuild import Session
    from wsdissect.model import C2S
    s = Session()
    s.websocket_handshake()
    first = s.client.send_data("first message, whose middle is lost")
    second = s.client.send_data("second")
    base = s.seq[C2S]
    s.seg(C2S, "PA", first[:10], seq=base)
    s.seg(C2S, "PA", first[15:] + second, seq=base + 15)      # bytes 10-14 never captured, never ACKed
    f = tmp_path / "hole.pcap"
    f.write_bytes(pcap_bytes(s.items))
    proc = wsdissect("read", "--json", str(f))
    assert proc.returncode == 0, proc.stderr
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    last_packet = max(i for i, r in enumerate(recs) if r["type"] == "packet")
    tail = recs[last_packet + 1:]
    frames = [r for r in tail if r["type"] == "frame"]
    assert [(r["opcode"], r["payload_missing"]) for r in frames] == [(1, 5), (1, 0)]
    assert [r["text"] for r in tail if r["type"] == "message" and "text" in r] == ["second"]
    text = wsdissect("read", str(f), env={"NO_COLOR": "1"}).stdout
    assert "at the end of the capture:" in text and '"second"' in text


@pytest.mark.parametrize("args, words", [
    (["--json", "--view", "flow"], ["--json", "--view flow"]),
    (["--json", "--view", "flow", "--format", "mermaid"], ["--json", "--view flow"]),
    (["--json", "--explain"], ["--explain", "--json"]),
    (["--json", "--details"], ["--details", "--json"]),
    (["--format", "mermaid"], ["--format mermaid", "--view flow"]),
])
def test_options_that_do_not_go_together_are_one_line(args, words):
    """An option the others make meaningless is refused (one line, exit 2), never silently ignored."""
    proc = wsdissect("read", ECHO, *args)
    assert proc.stdout == ""
    assert_one_line_error(proc, 2, *words)


@pytest.mark.parametrize("command", [["read"], ["read", "--json", "-j", "2"], ["show", "{}", "1"], ["follow"],
                                     ["stats"], ["stats", "--json"]])
def test_a_directory_as_the_capture_is_one_line(tmp_path, command):
    args = [a.format(tmp_path) for a in command]
    if "{}" not in command:
        args.insert(1, str(tmp_path))
    proc = wsdissect(*args)
    assert proc.stdout == ""
    # read, follow and stats take a directory's capture files (tests/test_fleet.py); this one has none
    why = "it is a directory" if command[0] == "show" else "no capture files in this directory"
    assert_one_line_error(proc, 2, f"cannot read {tmp_path}: {why}")


def _snaplen_capture(tmp_path, snaplen: int):
    from pcapbuild import pcap_bytes
    from wsdissect.sources.pcap import open_capture
    frames = [(raw.ts, raw.data) for raw in open_capture(ECHO)]
    f = tmp_path / f"snap{snaplen}.pcap"
    f.write_bytes(pcap_bytes(frames, snaplen=snaplen))
    cut = sum(1 for _, data in frames if len(data) > snaplen)
    return f, cut


def test_packets_cut_by_the_snaplen_are_said_once_with_their_count(tmp_path):
    f, cut = _snaplen_capture(tmp_path, 60)
    assert cut > 1
    summary = json.loads(wsdissect("read", "--json", str(f)).stdout.splitlines()[-1])
    assert summary["snaplen_cut"] == cut
    [note] = [n for n in summary["capture_notes"] if "snaplen" in n]
    assert note.startswith(f"{cut} TCP packets were cut short by the capture's snaplen (at most 60 bytes kept")
    text = wsdissect("read", str(f), env={"COLUMNS": "300"}).stdout
    assert text.count("cut short by the capture's snaplen") == 1 and "(capture-snaplen)" in text
    zh = wsdissect("read", "--lang", "zh", str(f), env={"COLUMNS": "300"}).stdout
    assert f"{cut} 个 TCP 数据包被抓包的截断长度" in zh
    # An uncut capture says nothing of it.
    whole = json.loads(wsdissect("read", "--json", ECHO).stdout.splitlines()[-1])
    assert "snaplen_cut" not in whole and not any("snaplen" in n for n in whole["capture_notes"])


def test_one_packet_cut_by_the_snaplen_is_singular(tmp_path):
    from pcapbuild import pcap_bytes
    from wsdissect.sources.pcap import open_capture
    frames = [(raw.ts, raw.data) for raw in open_capture(ECHO)]
    longest = max(len(d) for _, d in frames)
    f = tmp_path / "one.pcap"
    f.write_bytes(pcap_bytes(frames, snaplen=longest - 1))
    summary = json.loads(wsdissect("read", "--json", str(f)).stdout.splitlines()[-1])
    assert summary["snaplen_cut"] == 1
    assert any(n.startswith(f"1 TCP packet was cut short by the capture's snaplen ({longest - 1} bytes kept)")
               for n in summary["capture_notes"])


def test_show_takes_len_from_the_ip_header_when_the_snaplen_cut_the_payload(tmp_path):
    """tshark's Len is the segment's length by the IP header, whatever was captured."""
    f, _ = _snaplen_capture(tmp_path, 60)
    full = wsdissect("show", ECHO, "14").stdout
    cut = wsdissect("show", str(f), "14").stdout
    assert "Len=22" in full and "Len=22" in cut
    assert "next sequence number: 246" in cut
    assert "Payload: 0 bytes (22 more not captured)" in cut


@pytest.mark.parametrize("args", [["show", "captures/echo.pcap", "abc"], ["stats", "captures/echo.pcap", "--explain"],
                                  ["read"], ["nosuch"]])
def test_usage_errors_are_one_line(args):
    proc = subprocess.run([sys.executable, "-m", "wsdissect", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("wsdissect: error: ") \
        and "--help" in proc.stderr, proc.stderr
