"""wsdissect's frames against tshark's on the same captures (tshark is the oracle)."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import BUNDLED, SHARED, needs_tshark, tshark
from wsdissect.analyzer import Analyzer
from wsdissect.sources.pcap import open_capture

pytestmark = needs_tshark
ALL = BUNDLED + SHARED


def server_port(path: str) -> int:
    """The port of the side that answered the SYN, i.e. the server."""
    out = tshark(["-r", path, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==1", "-T", "fields", "-e", "tcp.srcport"])
    return int(out.split()[0])


def tshark_frames(path: str) -> list:
    out = tshark(["-r", path, "-o", "tcp.reassemble_out_of_order:TRUE", "-d", f"tcp.port=={server_port(path)},http",
                  "-Y", "websocket", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=;",
                  "-e", "frame.number", "-e", "websocket.opcode", "-e", "websocket.fin", "-e", "websocket.mask",
                  "-e", "websocket.payload_length", "-e", "websocket.payload_length_ext_16",
                  "-e", "websocket.payload_length_ext_64"])
    frames = []
    for line in out.splitlines():
        no, ops, fins, masks, l7, l16, l64 = (line.split("\t") + [""] * 7)[:7]
        l16s, l64s = iter(l16.split(";") if l16 else []), iter(l64.split(";") if l64 else [])
        for op, fin, mask, ln in zip(ops.split(";"), fins.split(";"), masks.split(";"), l7.split(";")):
            n = int(ln)
            n = int(next(l16s)) if n == 126 else int(next(l64s)) if n == 127 else n
            frames.append((int(no), int(op), fin in ("1", "True"), mask in ("1", "True"), n))
    return frames


def our_frames(path: str) -> list:
    a = Analyzer()
    frames = []
    for raw in open_capture(path):
        row = a.feed(raw)
        if row is not None:
            frames.extend((f.no, f.opcode, f.fin, f.masked, f.length) for f in row.frames)
    a.finish()
    return frames


@pytest.mark.parametrize("path", ALL, ids=os.path.basename)
def test_frames_match_tshark(path):
    expected = tshark_frames(path)
    assert expected, "tshark found no WebSocket frames: the oracle itself is broken"
    assert our_frames(path) == expected


@pytest.mark.parametrize("path", ALL, ids=os.path.basename)
def test_packet_rows_match_tshark_numbering_relative_seq_and_window(path):
    out = tshark(["-r", path, "-Y", "tcp", "-T", "fields", "-e", "frame.number", "-e", "tcp.seq",
                  "-e", "tcp.ack", "-e", "tcp.len", "-e", "tcp.window_size"])
    expected = [tuple(int(x or 0) for x in line.split("\t")) for line in out.splitlines()]
    a = Analyzer()
    rows = [a.feed(raw) for raw in open_capture(path)]
    got = [(r.no, r.seq, r.ack, r.length, r.window) for r in rows if r is not None]
    assert got == expected


@pytest.mark.parametrize("path", ALL, ids=os.path.basename)
def test_json_frames_match_tshark_through_the_command(path):
    proc = subprocess.run([sys.executable, "-m", "wsdissect", "read", "--json", path], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    frames = [(r["no"], r["opcode"], r["fin"], r["masked"], r["length"]) for r in recs if r["type"] == "frame"]
    assert frames == tshark_frames(path)


@pytest.mark.skipif(shutil.which("editcap") is None, reason="editcap (Wireshark) is not installed")
@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
def test_pcapng_copy_reads_identically(path, tmp_path):
    """The same packets in pcapng (written by Wireshark's editcap) give the very same JSON Lines."""
    ng = tmp_path / "copy.pcapng"
    subprocess.run(["editcap", "-F", "pcapng", path, str(ng)], check=True, capture_output=True)

    def run(p):
        proc = subprocess.run([sys.executable, "-m", "wsdissect", "read", "--json", p], capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert open(ng, "rb").read(4) == b"\x0a\x0d\x0d\x0a"
    assert run(str(ng)) == run(path)
