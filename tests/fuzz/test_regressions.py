"""Crashes and invariant breaks the fuzzers found, each pinned by the smallest input that shows it.

Bugs in files this round could not touch (analyzer.py, tcp.py, render/timeline.py were being edited by others)
are strict xfails: they pass the suite while the bug is there and fail it (XPASS) once it is fixed, so the xfail
mark — and the matching entry in harness.TOLERATED — can be removed.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sessionbuild import Session, analyze, raw_frame
from wsdissect import tcp
from wsdissect.analyzer import Analyzer
from wsdissect.cli import main
from wsdissect.model import C2S

from .harness import target_http, target_pipeline, target_ws

MASK = b"abcd"


def test_message_last_no_is_the_completing_packet():
    s = Session()
    s.websocket_handshake()
    first, second = s.send(C2S, raw_frame(b"hello world", mask=MASK), pieces=[5], ack=False)
    order = list(range(len(s.items)))
    order[first - 1], order[second - 1] = order[second - 1], order[first - 1]   # the frame's end arrives first
    r = analyze(s.packets(order))
    (m,) = r.messages()
    (f,) = r.frames()
    assert m.text == "hello world"
    assert m.first_no <= m.last_no
    assert m.last_no == f.no


def test_timeline_prints_end_of_capture_notes(tmp_path, monkeypatch):
    monkeypatch.delenv("WSDISSECT_DEBUG", raising=False)
    s = Session()
    s.websocket_handshake()
    s.send(C2S, raw_frame(b"hello world", mask=MASK)[:8], ack=False)        # the capture stops mid-frame
    f = tmp_path / "cut.pcap"
    f.write_bytes(s.pcap())
    res = CliRunner().invoke(main, ["read", str(f)])
    assert res.exit_code == 0, res.stderr
    assert "incomplete" in res.stdout or "capture ended" in res.stdout


def _out_of_order_cost(n: int) -> int:
    """Python lines executed in the TCP layer for n one-byte segments arriving in reverse order behind a
    one-byte hole, then the hole's byte. A line count, not a time: deterministic on a shared, noisy machine,
    and a scan over the pending segments per arrival shows up in it exactly as it would in seconds."""
    s = Session()
    s.websocket_handshake()
    base = s.seq[C2S]
    payload = raw_frame(b"a" * (n + 10), opcode=2)
    for i in range(n, 0, -1):
        s.seg(C2S, "PA", payload[i:i + 1], seq=base + i)
    s.seg(C2S, "PA", payload[:1], seq=base)
    packets = s.packets()
    a = Analyzer()
    lines = 0

    def local(frame, event, arg):
        nonlocal lines
        if event == "line":
            lines += 1
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename == tcp.__file__ else None

    sys.settrace(calls)
    try:
        for p in packets:
            a.feed(p)
        a.finish()
    finally:
        sys.settrace(None)
    return lines


def _out_of_order_costs(*sizes: int) -> list:
    """_out_of_order_cost of each size, counted in the plain Python sources: compiled, the TCP layer runs no
    Python lines to count, so a compiled build measures in a child process with WSDISSECT_PURE=1."""
    if tcp.__file__.endswith(".py"):
        return [_out_of_order_cost(n) for n in sizes]
    code = ("import sys; from tests.fuzz.test_regressions import _out_of_order_costs; "
            f"print(*_out_of_order_costs(*{sizes!r}))")
    here = Path(__file__).resolve()
    env = dict(os.environ, WSDISSECT_PURE="1",
               PYTHONPATH=os.pathsep.join([str(here.parents[2]), str(here.parents[1]), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=here.parents[2])
    return [int(x) for x in out.stdout.split()]


def test_out_of_order_tiny_segments_cost_is_linear():
    small, big = _out_of_order_costs(1000, 4000)
    # Linear work gives a ratio of 4; the old scan of every pending segment gave about 15.
    assert big / small < 4.5, (small, big)


# ------------------------------------------------------------------------------------ fuzz inputs that passed

def test_http_small_header_cap_early_check_is_cut_independent_enough():
    """Fuzz find: with --max-header below the 64 bytes the early plausibility check reads, 'not-http' or
    'header-too-large' fires first depending on how the bytes were cut. Both are right; the harness accepts
    either, this pins that the input itself is harmless."""
    target_http(b"\x01\x00GET /chathat HTTP/1 HTTP/1")


@pytest.mark.parametrize("data", [
    bytes([0x00, 0, 0]) + b"\x82\x7f\x80\0\0\0\0\0\0\0tail",                  # 2^63 length: invalid, stop
    bytes([0x00, 0, 0]) + b"\x82\x7f\x7f\xff\xff\xff\xff\xff\xff\xff" + b"x" * 100,  # 2^63-1: cut, no alloc
    bytes([0x12, 1, 0]) + b"\xc2\x05\x00\x00\xff\xff\x00",                    # deflate + gaps, sync tail
    bytes([0x03, 0, 0]) + b"\xc1\x80abcd",                                     # empty compressed masked frame
])
def test_ws_edge_inputs(data):
    target_ws(data)


def test_pipeline_record_lengths_0_and_2_32_minus_1():
    import struct
    from .harness import capture_files, split_capture
    data = capture_files()[0].read_bytes()
    head, recs, tail, o, _ = split_capture(data)
    for value in (0, 0xFFFFFFFF):
        for at in (8, 12):
            for i in (0, 5, len(recs) - 1):
                r = recs[i][:at] + struct.pack(o + "I", value) + recs[i][at + 4:]
                target_pipeline(head + b"".join(recs[:i] + [r] + recs[i + 1:]) + tail)
