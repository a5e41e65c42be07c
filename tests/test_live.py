"""`wsdissect live`: real peers on loopback, captured live and compared with tcpdump and with `read`.

Tests that capture need root (or CAP_NET_RAW) and are skipped without it; the privilege error is tested either
way (a test double without root, a real unprivileged run with root).
"""
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

from wsdissect.cli import main
from wsdissect.lab import demo_traffic, free_port
from wsdissect.sources.live import PcapWriter
from wsdissect.sources.pcap import open_capture

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="live capture needs root (or CAP_NET_RAW)")
needs_tcpdump = pytest.mark.skipif(shutil.which("tcpdump") is None, reason="tcpdump is not installed")

# The demo server's idle timeout in these tests: short, yet above the 1 s of silence from which the analyzer
# calls a FIN an idle drop.
IDLE = 1.2

HANDSHAKE_ROLES = ["tcp-syn", "tcp-syn-ack", "tcp-handshake-ack", "ws-upgrade-request", "ack",
                   "ws-upgrade-response", "ack"]


class Proc:
    """A subprocess whose stderr is read in the background; `wait_for(text)` blocks until a line has it.
    stdout lines are kept with the time they arrived (to check that rows stream)."""

    def __init__(self, args):
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err: list = []
        self.out: list = []          # (monotonic time, line)
        self._seen = threading.Condition()
        threading.Thread(target=self._pump_err, daemon=True).start()
        threading.Thread(target=self._pump_out, daemon=True).start()

    def _pump_err(self):
        for line in self.p.stderr:
            with self._seen:
                self.err.append(line)
                self._seen.notify_all()
        with self._seen:
            self.err.append(None)
            self._seen.notify_all()

    def _pump_out(self):
        for line in self.p.stdout:
            self.out.append((time.monotonic(), line))

    def wait_for(self, text, timeout=8.0):
        end = time.monotonic() + timeout
        with self._seen:
            while True:
                if any(line is not None and text in line for line in self.err):
                    return
                if None in self.err:
                    raise AssertionError(f"process ended before saying {text!r}: {''.join(self.err[:-1])}")
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {text!r} within {timeout} s: {''.join(self.err)}")
                self._seen.wait(left)

    def stop(self, sig=signal.SIGINT, timeout=8.0) -> int:
        if self.p.poll() is None:
            self.p.send_signal(sig)
        rc = self.p.wait(timeout)
        time.sleep(0.05)          # let the reader threads take the last lines
        return rc

    def exit_after(self, traffic, timeout=5.0) -> int:
        """Once capturing, run `traffic()`; the exit code of a process meant to stop by itself (--count),
        killed if it does not."""
        try:
            self.wait_for("capturing on")
            traffic()
            rc = self.p.wait(timeout)
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait()
        time.sleep(0.05)          # let the reader threads take the last lines
        return rc

    def stderr_text(self):
        return "".join(line for line in self.err if line is not None)

    def records(self):
        return [json.loads(line) for _, line in self.out if line.strip()]


def wsdissect_args(*args):
    return [sys.executable, "-m", "wsdissect", *args]


def read_json(path):
    proc = subprocess.run(wsdissect_args("read", str(path), "--json"), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def comparable(records, drop=()):
    """Records as `read` and `live` should both give them; the summary's capture notes describe the source."""
    out = []
    for r in records:
        r = dict(r)
        if r["type"] == "summary":
            r.pop("capture_notes")
        for k in drop:
            r.pop(k, None)
        out.append(r)
    return out


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One live session of the demo's traffic, captured by `wsdissect live --json -w` and by tcpdump at once,
    stopped with Ctrl-C (SIGINT)."""
    if os.geteuid() != 0:
        pytest.skip("live capture needs root (or CAP_NET_RAW)")
    if shutil.which("tcpdump") is None:
        pytest.skip("tcpdump is not installed")
    tmp = tmp_path_factory.mktemp("live")
    port = free_port()
    live_pcap, td_pcap = tmp / "live.pcap", tmp / "tcpdump.pcap"
    live = Proc(wsdissect_args("live", "--port", str(port), "--json", "-w", str(live_pcap)))
    td = Proc(["tcpdump", "-i", "lo", "--immediate-mode", "-U", "-n", "-s", "0", "-w", str(td_pcap),
               *(["-Z", "root"] if os.geteuid() == 0 else []), f"tcp port {port}"])
    try:
        live.wait_for("capturing on")
        td.wait_for("listening on")
        asyncio.run(demo_traffic(port, IDLE))
        time.sleep(0.3)
        stopped_at = time.monotonic()
        rc = live.stop()
        td.stop()
    finally:
        for p in (live, td):
            if p.p.poll() is None:
                p.p.kill()
                p.p.wait()
    return {"rc": rc, "records": live.records(), "out": live.out, "stopped_at": stopped_at,
            "stderr": live.stderr_text(), "live_pcap": live_pcap, "td_pcap": td_pcap, "port": port}


def packets(records, conn=None):
    return [r for r in records if r["type"] == "packet" and (conn is None or r["conn"] == conn)]


def test_ctrl_c_stops_cleanly_with_the_summary(session):
    assert session["rc"] == 0, session["stderr"]
    assert "Traceback" not in session["stderr"]
    summary = session["records"][-1]
    assert summary["type"] == "summary"
    assert summary["packets"] == len(packets(session["records"]))
    assert any("live capture on lo" in n and "dropped" in n for n in summary["capture_notes"])


def test_rows_stream_as_packets_arrive(session):
    # The first packet record reached the pipe long before Ctrl-C (the session lasts over IDLE seconds).
    first_packet_at = next(t for t, line in session["out"] if '"type":"packet"' in line)
    assert first_packet_at < session["stopped_at"] - IDLE / 2


def test_first_seven_rows_are_the_two_handshakes(session):
    # On Linux loopback the server's kernel ACKs the upgrade request at once (quick-ACK mode at the start of a
    # connection) and websockets answers in Python a fraction of a millisecond later, so the order is stable.
    for conn in (0, 1):
        assert [p["role"] for p in packets(session["records"], conn)[:7]] == HANDSHAKE_ROLES


def test_frames_and_messages(session):
    recs = session["records"]
    msgs = [r for r in recs if r["type"] == "message" and r["conn"] == 0]
    c2s = [m for m in msgs if m["dir"] == "c2s"]
    s2c = [m for m in msgs if m["dir"] == "s2c"]
    assert [m.get("text") for m in c2s] == ["Hello, WebSocket!", "你好 (non-ASCII text is UTF-8)", None,
                                            "a fragmented message"]
    assert c2s[2]["opcode_name"] == "binary" and c2s[2]["length"] == 12
    assert c2s[3]["frames"] >= 3
    assert [(m.get("text"), m.get("data_b64")) for m in s2c] == [(m.get("text"), m.get("data_b64")) for m in c2s]
    frames = [r for r in recs if r["type"] == "frame" and r["conn"] == 0]
    assert all(f["masked"] for f in frames if f["dir"] == "c2s")
    assert not any(f["masked"] for f in frames if f["dir"] == "s2c")
    ops = [(f["dir"], f["opcode_name"]) for f in frames if f["opcode"] in (9, 10)]
    assert ops == [("c2s", "ping"), ("s2c", "pong")]


def test_close_handshake_then_fin(session):
    recs = session["records"]
    closes = [r for r in recs if r["type"] == "frame" and r["conn"] == 0 and r["opcode"] == 8]
    assert [(c["dir"], c["close_code"], c["close_reason"]) for c in closes] == [("c2s", 1000, "bye"),
                                                                                 ("s2c", 1000, "bye")]
    roles = [p["role"] for p in packets(recs, 0)]
    assert roles.count("ws-close") == 2 and "tcp-fin" in roles
    conn = next(r for r in recs if r["type"] == "connection" and r["conn"] == 0)
    assert conn["closed_by"] == "client" and conn["close_code"] == 1000 and conn["end"] == "fin"


def test_idle_drop_is_explained(session):
    recs = session["records"]
    fin = next(p for p in packets(recs, 1) if "FIN" in p["flags"])
    assert fin["dir"] == "s2c"
    assert "no WebSocket Close frame was sent: the server dropped an idle connection after" in fin["label"]
    note = next(r for r in recs if r["type"] == "note" and r["code"] == "close-without-close-frame")
    assert "the server dropped an idle connection" in note["text"]


def test_live_w_then_read_gives_the_same_json_lines(session):
    assert comparable(read_json(session["live_pcap"])) == comparable(session["records"])


def test_each_packet_once_as_tcpdump_sees_it(session):
    live = packets(session["records"])
    dumped = packets(read_json(session["td_pcap"]))
    assert len(live) == len(dumped) > 40
    # Same packets, same bytes: only the kernel timestamps given to the two sockets may differ.
    assert comparable(live, drop=("ts",)) == comparable(dumped, drop=("ts",))
    # Kernel timestamps of the packets' passage, not of our reading them: in order, and as tcpdump's.
    ts = [p["ts"] for p in live]
    assert ts == sorted(ts)
    assert max(abs(a["ts"] - b["ts"]) for a, b in zip(live, dumped)) < 0.005


@needs_root
def test_count_stops_after_n_packets(tmp_path):
    port = free_port()
    live = Proc(wsdissect_args("live", "--port", str(port), "--json", "--count", "3"))
    rc = live.exit_after(lambda: asyncio.run(demo_traffic(port, IDLE, step=0.02)))
    assert rc == 0, live.stderr_text()
    recs = live.records()
    assert [p["role"] for p in packets(recs)] == HANDSHAKE_ROLES[:3]
    assert recs[-1]["type"] == "summary" and recs[-1]["packets"] == 3


@needs_root
def test_duration_stops_and_timeline_shows_the_capture_note():
    t0 = time.monotonic()
    proc = subprocess.run(wsdissect_args("live", "--port", str(free_port()), "--duration", "0.5"),
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - t0 < 5
    assert "Summary: 0 packets" in proc.stdout
    assert "none dropped by the kernel" in proc.stdout
    assert "not saving the packets (-w FILE does)" in proc.stderr     # without -w, said at the start


# --- errors: one line, exit 2 ------------------------------------------------------------------------------

def assert_one_line_error(code, stderr, *words):
    assert code == 2, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    for w in words:
        assert w in lines[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="patches the Linux capture socket")
def test_no_privilege_test_double(monkeypatch):
    """Socket creation refused as for an ordinary user: the message names the privilege and how to get it."""
    import scapy.arch.linux

    def refuse(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(scapy.arch.linux.L2ListenSocket, "__init__", refuse)
    result = CliRunner().invoke(main, ["live", "--port", "9002"])
    assert_one_line_error(result.exit_code, result.stderr, "CAP_NET_RAW", "sudo", "setcap cap_net_raw")
    assert result.stdout == ""


@needs_root
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is not installed")
def test_no_privilege_for_real():
    """The real thing: the same command without CAP_NET_RAW in the capability bounding set."""
    proc = subprocess.run(["setpriv", "--bounding-set=-net_raw", *wsdissect_args("live", "--port", "9002")],
                          capture_output=True, text=True, timeout=10)
    assert_one_line_error(proc.returncode, proc.stderr, "CAP_NET_RAW", "sudo", "setcap cap_net_raw")
    assert proc.stdout == ""


@needs_root
def test_no_such_interface():
    proc = subprocess.run(wsdissect_args("live", "--iface", "nosuch0"), capture_output=True, text=True, timeout=10)
    assert_one_line_error(proc.returncode, proc.stderr, "no such interface: nosuch0", "lo")


@needs_root
def test_bad_filter():
    proc = subprocess.run(wsdissect_args("live", "--filter", "tcp portt 1"), capture_output=True, text=True,
                          timeout=10)
    assert_one_line_error(proc.returncode, proc.stderr, "filter", "tcp portt 1")


@needs_root
def test_unwritable_w_file(tmp_path):
    proc = subprocess.run(wsdissect_args("live", "--duration", "0.2", "-w", str(tmp_path / "no" / "x.pcap")),
                          capture_output=True, text=True, timeout=10)
    assert_one_line_error(proc.returncode, proc.stderr, "cannot write", "x.pcap")


# --- the pcap writer, without capturing --------------------------------------------------------------------

@pytest.mark.parametrize("nanosecond", [True, False])
def test_pcap_writer_round_trip(tmp_path, nanosecond):
    div = 1_000_000_000 if nanosecond else 1_000_000
    pkts = [(1795600000, 123, b"\x00" * 14 + b"abc", 17), (1795600001, div - 1, b"\x01" * 20, 1500)]
    path = tmp_path / "w.pcap"
    with open(path, "wb") as f:
        w = PcapWriter(f, 1, nanosecond=nanosecond)
        for sec, frac, data, wirelen in pkts:
            w.write(sec, frac, data, wirelen)
    back = list(open_capture(str(path)))
    assert [(r.no, r.ts, r.linktype, r.data, r.wirelen) for r in back] == [
        (i + 1, sec + frac / div, 1, data, wirelen) for i, (sec, frac, data, wirelen) in enumerate(pkts)]


@pytest.mark.skipif(shutil.which("sudo") is None or shutil.which("wsdissect") is None,
                    reason="needs sudo and an installed wsdissect script")
def test_the_hint_s_sudo_command_finds_wsdissect_where_plain_sudo_may_not():
    # The privilege error tells how to run wsdissect under sudo, which resets PATH: the command it gives must
    # find this wsdissect (installed in a virtual environment, say) where `sudo wsdissect` may not.
    from wsdissect.sources.live import SUDO_WSDISSECT, privilege_hint
    if sys.platform.startswith(("linux", "darwin")):
        assert SUDO_WSDISSECT in privilege_hint()
    if subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("sudo asks for a password here")
    env = dict(os.environ, PATH=os.path.dirname(shutil.which("wsdissect")) + os.pathsep + os.environ["PATH"])
    proc = subprocess.run(["sh", "-c", f"{SUDO_WSDISSECT} live --help"], capture_output=True, text=True, env=env,
                          timeout=30)
    assert proc.returncode == 0 and "Capture live" in proc.stdout, proc.stderr
