"""Captures kept gzip-compressed, and captures on standard input ("-"), read as tshark reads them.

A .pcap.gz / .pcapng.gz is inflated as it is read (busy captures are usually kept compressed); "-" reads standard
input, so `tcpdump -w - | wsdissect read -` and `zcat x.pcap.gz | wsdissect read -` work. Output is the same
as for the plain file; a gzip stream cut short or damaged is the capture's
damage (a warning after the packets before it, or one line and exit 2 when nothing could be read).
"""
from __future__ import annotations

import glob
import gzip
import json
import os

import pytest

from conftest import ROOT
from fuzz.differential import CLI_ENV, cli_runner
from pcapbuild import ethernet, pcapng_bytes, tcp_packet
from wsdissect.cli import main

BUNDLED = sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcap")))


def _gz(data: bytes) -> bytes:
    """gzip with a fixed time stamp: parameters built from it are the same in every collection (pytest-xdist)."""
    return gzip.compress(data, mtime=0)


def _run(args: list, stdin: bytes | None = None):
    res = cli_runner().invoke(main, args, input=stdin, env=CLI_ENV)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res.exit_code, res.stdout_bytes, res.stderr_bytes or b""


@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
def test_gzip_file_reads_like_the_plain_one(tmp_path, path):
    gz = tmp_path / (os.path.basename(path) + ".gz")
    gz.write_bytes(gzip.compress(open(path, "rb").read()))
    for command in (["read", "{}", "--json"], ["stats", "{}"]):
        plain = _run([a.format(path) for a in command])
        packed = _run([a.format(gz) for a in command])
        assert plain[0] == packed[0] == 0
        if command[0] == "stats":            # the heading names the file
            assert packed[1].replace(gz.name.encode(), os.path.basename(path).encode()) == plain[1]
        else:
            assert packed[1] == plain[1]


def test_gzip_pcapng(tmp_path):
    pkts = [(1700000000.0 + i, ethernet(tcp_packet("10.0.0.1", "10.0.0.2", 40000, 80, i, 0, "S"))) for i in range(3)]
    blob = pcapng_bytes(pkts)
    (tmp_path / "x.pcapng").write_bytes(blob)
    (tmp_path / "x.pcapng.gz").write_bytes(gzip.compress(blob))
    plain = _run(["read", str(tmp_path / "x.pcapng"), "--json"])
    packed = _run(["read", str(tmp_path / "x.pcapng.gz"), "--json"])
    assert plain[0] == packed[0] == 0 and packed[1] == plain[1]
    assert sum(json.loads(line)["type"] == "packet" for line in packed[1].splitlines()) == 3


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_standard_input(compress):
    path = os.path.join(ROOT, "captures", "busy.pcap")
    data = open(path, "rb").read()
    code, out, err = _run(["read", "-", "--json"], stdin=gzip.compress(data) if compress else data)
    assert (code, err) == (0, b"")
    assert out == _run(["read", path, "--json"])[1]


def test_gzip_cut_short_keeps_the_packets_before(tmp_path):
    path = os.path.join(ROOT, "captures", "busy.pcap")
    packed = gzip.compress(open(path, "rb").read())
    cut = tmp_path / "cut.pcap.gz"
    cut.write_bytes(packed[:len(packed) // 2])
    code, out, err = _run(["read", str(cut), "--json"])
    assert code == 0
    assert b"gzip stream is cut short" in err and err.count(b"\n") == 1
    whole = _run(["read", path, "--json"])[1]
    got = [json.loads(line) for line in out.splitlines()]
    packets = [r for r in got if r["type"] == "packet"]
    assert len(packets) > 100
    # every packet read before the cut is there, as the whole file shows it
    whole_packets = {r["no"]: r for r in map(json.loads, whole.splitlines()) if r["type"] == "packet"}
    assert all(whole_packets[r["no"]] == r for r in packets)


@pytest.mark.parametrize("content, message", [
    (_gz(b"hello, not a capture\n"), b"not a pcap or pcapng file after gunzip (starts with 68 65 6c 6c)"),
    (_gz(b"x" * 100)[:6], b"gzip stream is cut short, before any capture data"),
    (_gz(b""), b"empty file after gunzip: not a pcap or pcapng file"),
    (_gz(b"ab"), b"not a pcap or pcapng file after gunzip (only 2 bytes long)"),
    (_gz(_gz(b"x" * 100)), b"after gunzip (starts with 1f 8b 08 00); it was compressed twice"),
])
def test_gzip_that_is_no_capture_is_one_line(tmp_path, content, message):
    p = tmp_path / "x.gz"
    p.write_bytes(content)
    code, out, err = _run(["read", str(p)])
    assert code == 2 and out == b""
    assert message in err and err.count(b"\n") == 1


@pytest.mark.parametrize("stdin", [False, True], ids=["file", "stdin"])
def test_garbage_says_whether_it_was_gunzipped(tmp_path, stdin):
    """The bytes an error shows are the inflated ones for a gzip file: the message says so; a plain file's
    message is as before."""
    garbage = b"hello, not a capture\n"
    for content, gunzipped in ((garbage, False), (gzip.compress(garbage), True)):
        p = tmp_path / "x"
        p.write_bytes(content)
        code, out, err = _run(["stats", "-"], stdin=content) if stdin else _run(["stats", str(p)])
        assert code == 2 and out == b"" and err.count(b"\n") == 1
        assert b"not a pcap or pcapng file (starts with 68 65 6c 6c)" in err or gunzipped
        assert (b"after gunzip" in err) == gunzipped


def test_standard_input_from_a_terminal_is_refused(monkeypatch):
    """Nothing binary can be typed at a terminal: one line and exit 2, not a silent wait."""
    from wsdissect.sources import pcap
    monkeypatch.setattr(pcap, "_is_terminal", lambda stream: True)
    code, out, err = _run(["stats", "-"])
    assert code == 2 and out == b""
    assert b"standard input is a terminal" in err and err.count(b"\n") == 1


@pytest.mark.parametrize("how", ["members", "zeros after", "bad crc"])
def test_gzip_framing(tmp_path, how):
    """A gzip file may hold several members (gzip a b > x.gz, or appended later), one after the other, and
    zeros after the last; a damaged member (here its CRC) is the capture's damage, after the packets before."""
    path = os.path.join(ROOT, "captures", "busy.pcap")
    data = open(path, "rb").read()
    cut = len(data) // 3
    if how == "members":
        packed = gzip.compress(data[:cut]) + gzip.compress(data[cut:2 * cut]) + gzip.compress(data[2 * cut:])
    elif how == "zeros after":
        packed = gzip.compress(data) + b"\0" * 1000
    else:
        packed = bytearray(gzip.compress(data))
        packed[-8] ^= 0xFF                       # the CRC-32 of the member's data
        packed = bytes(packed)
    gz = tmp_path / "x.pcap.gz"
    gz.write_bytes(packed)
    code, out, err = _run(["read", str(gz), "--json"])
    whole = _run(["read", path, "--json"])[1]
    assert code == 0
    if how == "bad crc":
        # every packet is read before the trailer is checked, and the warning says the stream is damaged
        assert b"gzip stream is damaged" in err and err.count(b"\n") == 1
        assert [line for line in out.splitlines() if b'"type":"packet"' in line] == \
               [line for line in whole.splitlines() if b'"type":"packet"' in line]
    else:
        assert (out, err) == (whole, b"")


# -- gzip on standard input, through the real process: the reading thread must let the process end cleanly -----

def _echo_gz() -> bytes:
    return gzip.compress(open(os.path.join(ROOT, "captures", "echo.pcap"), "rb").read())


def _damaged_gz() -> bytes:
    """echo.pcap with packet 5's record header claiming a huge length: damage found before the input ends."""
    from wsdissect.sources.pcap import iter_capture
    import io
    data = bytearray(open(os.path.join(ROOT, "captures", "echo.pcap"), "rb").read())
    pos = 24
    for _ in range(4):                                   # skip four records
        pos += 16 + int.from_bytes(data[pos + 8:pos + 12], "little" if data[:4] == b"\xd4\xc3\xb2\xa1" else "big")
    data[pos + 8:pos + 12] = b"\xff\xff\xff\x3f"
    assert sum(1 for _ in zip(range(10), iter_capture(io.BytesIO(bytes(data[:pos]))))) == 4
    return gzip.compress(bytes(data))


STDIN_CASES = {
    # name: (gzip bytes, commands taken in turn, keep the pipe open until the process ends, exit code, stderr)
    "garbage": (lambda: gzip.compress(bytes(range(256)) * 40),
                [["read", "-"], ["show", "-", "1"], ["follow", "-"], ["stats", "-"], ["read", "-", "--json"]],
                True, 2, b"not a pcap or pcapng file"),
    "show-early": (_echo_gz, [["show", "-", "3"]], True, 0, b""),
    "damaged": (_damaged_gz, [["read", "-"], ["follow", "-"], ["stats", "-"], ["read", "-", "--json"]],
                True, 0, b"the file is damaged"),
    "cut-short": (lambda: _echo_gz()[:len(_echo_gz()) // 2],
                  [["read", "-"], ["follow", "-"], ["stats", "-"], ["show", "-", "2"]],
                  False, 0, None),
}


@pytest.mark.parametrize("case", sorted(STDIN_CASES))
def test_gzip_on_standard_input_ends_cleanly(case):
    """Twenty runs each: a gunzip thread still reading standard input when the process ends (an error, or
    `show - 3` done before the input ends) made the interpreter abort at shutdown (exit 134, "Fatal Python
    error"), in some runs or all. Every run must end with its documented exit code and at most one line."""
    import subprocess
    import sys
    import time
    make, commands, hold, want_code, want_err = STDIN_CASES[case]
    data = make()
    env = dict(os.environ, **CLI_ENV)
    for i in range(20):
        args = commands[i % len(commands)]
        p = subprocess.Popen([sys.executable, "-m", "wsdissect", *args], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        p.stdin.write(data)
        p.stdin.flush()
        if hold:
            # The writer is still there (like `(cat x.gz; sleep 1) | wsdissect ...`): no end of input.
            deadline = time.monotonic() + 30
            while p.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
        p.stdin.close()
        err = p.stderr.read()
        code = p.wait(timeout=30)
        p.stderr.close()
        assert b"Fatal Python error" not in err, (args, err)
        assert code == want_code, (args, code, err)
        assert err.count(b"\n") <= 1, (args, err)
        if want_err is not None:
            assert want_err in err, (args, err)
