"""`wsdissect follow`: golden transcripts of the bundled captures, and --raw's exact bytes."""
from __future__ import annotations

import os

import pytest

from conftest import BUNDLED
from test_details import CAP, check_golden, cli

ECHO = os.path.join(CAP, "echo.pcap")


@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
def test_golden(path):
    proc = cli("follow", path)
    assert proc.exit_code == 0, proc.output
    check_golden(f"follow/{os.path.basename(path)[:-5]}.txt", proc.output)


@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
def test_fits_80_columns(path):
    from rich.cells import cell_len
    for line in cli("follow", path).output.splitlines():
        assert cell_len(line) <= 80, line


def test_text_is_shown():
    out = cli("follow", ECHO).output
    assert "hello 你好" in out
    assert "client → server  text, 12 bytes" in out and "client ← server  text, 12 bytes" in out


def test_fragmented_and_compressed_messages_are_whole():
    out = cli("follow", os.path.join(CAP, "fragments-ping.pcap")).output
    assert "text, 22 bytes (4 fragments, from #8)" in out
    assert "fragmented text 你好" in out
    assert 'ping "lab"' in out and 'pong "lab"' in out
    assert 'close 1000 Normal Closure "bye"' in out
    out = cli("follow", os.path.join(CAP, "deflate.pcap")).output
    assert "(compressed 122 → 432)" in out
    assert '"type": "reading",' in out          # JSON pretty-printed, one key a line


def test_idle_timeout_end_is_said():
    out = cli("follow", os.path.join(CAP, "idle-timeout.pcap")).output
    assert "TCP FIN from the server" in out
    assert "without a WebSocket Close frame" in out


def test_raw_writes_the_exact_bytes(tmp_path):
    f = tmp_path / "client.bin"
    proc = cli("follow", ECHO, "--raw", str(f), "--side", "client")
    assert proc.exit_code == 0, proc.output
    assert f.read_bytes() == b"hello" + "hello 你好".encode() + bytes(range(16))
    g = tmp_path / "server.bin"
    assert cli("follow", ECHO, "--conn", "0", "--raw", str(g), "--side", "server").exit_code == 0
    assert g.read_bytes() == f.read_bytes()        # an echo server
    h = tmp_path / "deflate.bin"
    assert cli("follow", os.path.join(CAP, "deflate.pcap"), "--raw", str(h), "--side", "client").exit_code == 0
    assert len(h.read_bytes()) == 3 * 432 and h.read_bytes().startswith(b'{"type": "reading"')


def test_raw_needs_side_and_unknown_conn_is_exit_2(tmp_path):
    assert cli("follow", ECHO, "--raw", str(tmp_path / "x")).exit_code == 2
    proc = cli("follow", ECHO, "--conn", "5")
    assert proc.exit_code == 2 and "no connection 5" in proc.output


def test_not_a_capture_is_one_line_exit_2(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("not a capture\n")
    proc = cli("follow", str(f))
    assert proc.exit_code == 2 and proc.output.count("\n") == 1 and "not a pcap or pcapng file" in proc.output
