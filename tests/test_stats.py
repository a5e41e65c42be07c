"""`wsdissect stats`: golden text of the bundled captures, and the numbers checked against the packets."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import BUNDLED, ROOT
from test_details import CAP, check_golden, cli
from wsdissect.sources.pcap import open_capture


def ts_of(capture: str) -> dict:
    return {p.no: p.ts for p in open_capture(os.path.join(CAP, capture))}


def stats_json(capture: str) -> list:
    proc = cli("stats", "--json", os.path.join(CAP, capture))
    assert proc.exit_code == 0, proc.output
    return [json.loads(line) for line in proc.output.splitlines()]


@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
def test_golden(path):
    proc = cli("stats", path)
    assert proc.exit_code == 0, proc.output
    check_golden(f"stats/{os.path.basename(path)[:-5]}.txt", proc.output)


@pytest.mark.parametrize("path", BUNDLED, ids=os.path.basename)
def test_fits_80_columns(path):
    from rich.cells import cell_len
    for line in cli("stats", path).output.splitlines():
        assert cell_len(line) <= 80, line


def test_json_lines_shape():
    recs = stats_json("echo.pcap")
    assert [r["type"] for r in recs] == ["stats", "stats-total"]
    s, t = recs
    assert s["conn"] == 0 and s["websocket"] is True
    assert s["c2s"]["text"] == {"count": 2, "bytes": 17} and s["c2s"]["binary"] == {"count": 1, "bytes": 16}
    assert s["close_code"] == 1000 and s["close_name"] == "Normal Closure" and s["closed_by"] == "client"
    assert s["end"] == "fin" and s["fin_by"] == "server"
    assert t["messages"] == {"c2s": 3, "s2c": 3} and t["websocket_connections"] == 1


def test_ping_rtt_is_the_difference_of_the_packets_timestamps():
    ts = ts_of("fragments-ping.pcap")
    s = stats_json("fragments-ping.pcap")[0]
    assert [(p["from"], p["ping_no"], p["pong_no"], p["matched"]) for p in s["pings"]] == [
        ("client", 25, 26, "payload"), ("server", 29, 31, "payload")]
    for p in s["pings"]:
        assert p["rtt"] == pytest.approx(ts[p["pong_no"]] - ts[p["ping_no"]], abs=1e-6)


def test_handshake_latency():
    ts = ts_of("echo.pcap")
    hs = stats_json("echo.pcap")[0]["handshake"]
    assert (hs["syn_no"], hs["request_no"], hs["response_no"]) == (1, 4, 6)
    assert hs["syn_to_101"] == pytest.approx(ts[6] - ts[1], abs=1e-6)
    assert hs["request_to_101"] == pytest.approx(ts[6] - ts[4], abs=1e-6)


def test_idle_gap_is_about_3_seconds():
    s = stats_json("idle-timeout.pcap")[0]
    assert s["longest_gap"]["seconds"] == pytest.approx(3.0, abs=0.1)
    assert len(s["gaps"]) == 1 and s["gaps"][0]["seconds"] == pytest.approx(3.0, abs=0.1)
    assert s["close_code"] is None and s["end"] == "fin" and s["fin_by"] == "server"
    assert "silences ≥ 1 s     3.004 s" in cli("stats", os.path.join(CAP, "idle-timeout.pcap")).output


def test_compression_ratio():
    s = stats_json("deflate.pcap")[0]
    assert s["c2s"]["compression"] == {"sent": 145, "inflated": 1296, "ratio": round(145 / 1296, 4)}
    assert s["largest_message"]["length"] == 432


def test_unknown_conn_and_missing_file_are_exit_2(tmp_path):
    assert cli("stats", os.path.join(CAP, "echo.pcap"), "--conn", "9").exit_code == 2
    proc = cli("stats", str(tmp_path / "none.pcap"))
    assert proc.exit_code == 2 and "no such file" in proc.output


def test_rendering_many_connections_holds_one_connection_at_a_time():
    # stats of a capture with thousands of connections used to build one rich Text of every line before
    # printing (a peak RSS of 119 MB instead of 62 MB at 1,753 connections); the peak of rendering must not
    # grow with the number of connections.
    import io
    import tracemalloc
    from rich.console import Console
    from wsdissect.cli.follow import analyse
    from wsdissect.render.stats import render_stats
    from wsdissect.stats import StatsCollector, conn_stats, total_stats

    col = StatsCollector()
    caps = {"max_message": 1 << 20, "max_reorder": 1 << 20, "max_header": 65536, "max_connections": 100}
    a = analyse(os.path.join(CAP, "fragments-ping.pcap"), caps, (), col.row, [])
    conn = a.summary.connections[0]
    one = conn_stats(conn, col.acc.get(conn.id))
    total = total_stats(a.summary, [one])

    class Sink(io.TextIOBase):          # the output itself is not the view's memory
        def write(self, s):
            return len(s)

    def peak(n):
        con = Console(file=Sink(), width=100, color_system="truecolor", force_terminal=True)
        tracemalloc.start()
        render_stats(con, [conn] * n, [one] * n, total)
        got = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return got

    assert peak(400) < 5 * peak(20)      # rich's own caches grow a little; one Text of all grew 19-fold


def test_a_value_too_wide_for_its_column_goes_on_its_own_line():
    # A compression value of big numbers (31 cells in busy.pcap) is wider than the 28-cell column: each value goes
    # after its direction instead of running into the other ("...3.1x smaller25622 -> ...").
    import io
    import re

    from rich.console import Console

    from wsdissect.render.details import View
    from wsdissect.render.stats import _COL_W, _pair
    view = View(Console(file=io.StringIO(), width=80, color_system=None))
    lines = [text for text, _ in _pair(view, "compression", "x" * _COL_W, "y" * 5)]
    assert len(lines) == 2
    assert lines[0].endswith("client → server: " + "x" * _COL_W)
    assert lines[1].endswith("server → client: " + "y" * 5)
    assert [text for text, _ in _pair(view, "compression", "x" * (_COL_W - 1), "y")] == \
        ["  compression        " + "x" * (_COL_W - 1) + " y"]
    out = cli("stats", os.path.join(os.path.dirname(BUNDLED[0]), "busy.pcap")).output
    assert "smaller" in out and not re.search(r"smaller\S", out)


@pytest.mark.parametrize("extra", [[], ["--max-connections", "5"]])
def test_a_connections_notes_add_up_by_severity(extra):
    """Notes raised at the end of the capture, and the cap's note on another connection's packet, count with the
    connection they are about."""
    path = os.path.join(ROOT, "captures", "busy.pcap")
    proc = subprocess.run([sys.executable, "-m", "wsdissect", "stats", path, "--json", *extra], capture_output=True,
                          text=True, timeout=120)
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    conns = [r for r in recs if r.get("type") != "stats-total"]
    assert conns and any(r["notes"] for r in conns)
    assert all(r["notes"] == sum(r["notes_by_severity"].values()) for r in conns)
