"""The lab: `wsdissect serve` (echo server, idle drop by FIN or by Close frame) and `wsdissect demo`."""
import asyncio
import json
import os
import shutil
import re
import subprocess
import sys
import time
from importlib import resources

import pytest
from click.testing import CliRunner

from conftest import ROOT
from test_live import HANDSHAKE_ROLES, Proc, comparable, needs_root, read_json, wsdissect_args

from wsdissect.cli import main
from wsdissect.lab import ServerOptions, free_port, start_server

websockets = pytest.importorskip("websockets")
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402


def serving(*args):
    port = free_port()
    proc = Proc(wsdissect_args("serve", "--port", str(port), *args))
    proc.wait_for("echo server on")
    return proc, f"ws://127.0.0.1:{port}/"


async def echo_then_wait(uri, **kw):
    """Connect, check the echo, then stay silent: return what ended the connection."""
    async with connect(uri, ping_interval=None, **kw) as ws:
        await ws.send("hi")
        assert await ws.recv() == "hi"
        await ws.send(b"\x00\x01")
        assert await ws.recv() == b"\x00\x01"
        info = (ws.subprotocol, ws.response.headers.get("Sec-WebSocket-Extensions"))
        with pytest.raises(ConnectionClosed) as e:
            await asyncio.wait_for(ws.recv(), 5)
        return e.value, info


def test_serve_idle_close_tcp_sends_no_close_frame():
    proc, uri = serving("--idle-timeout", "0.3")
    try:
        closed, (sub, ext) = asyncio.run(echo_then_wait(uri))
    finally:
        rc = proc.stop()
    assert closed.rcvd is None and closed.sent is None     # a bare FIN: no Close frame either way
    assert sub is None and ext is None                     # --no-deflate is the default
    assert rc == 0
    assert "TCP FIN, no Close frame" in proc.stderr_text()
    assert "Traceback" not in proc.stderr_text()


def test_serve_idle_close_frame_is_1001():
    proc, uri = serving("--idle-timeout", "0.3", "--idle-close", "frame")
    try:
        closed, _ = asyncio.run(echo_then_wait(uri))
    finally:
        proc.stop()
    assert closed.rcvd is not None and closed.rcvd.code == 1001


def test_serve_deflate_and_subprotocol():
    proc, uri = serving("--idle-timeout", "0.3", "--deflate", "--subprotocol", "chat", "--subprotocol", "v2")
    try:
        _, (sub, ext) = asyncio.run(echo_then_wait(uri, subprotocols=["v2", "chat"]))
        _, (sub_none, _) = asyncio.run(echo_then_wait(uri))

        async def refused():
            with pytest.raises(InvalidStatus) as e:
                async with connect(uri, subprotocols=["other"]):
                    pass
            return e.value.response.status_code

        status = asyncio.run(refused())
    finally:
        proc.stop()
    assert sub == "chat"                      # the server's preference wins
    assert ext and ext.startswith("permessage-deflate")
    assert sub_none is None                   # a client offering none is still served
    assert status == 400


def test_serve_port_in_use():
    async def main_():
        async with start_server(ServerOptions(port=0)) as server:
            port = server.sockets[0].getsockname()[1]
            return await asyncio.to_thread(
                subprocess.run, wsdissect_args("serve", "--port", str(port)), capture_output=True, text=True,
                timeout=10)

    proc = asyncio.run(main_())
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "in use" in proc.stderr


# --- demo ---------------------------------------------------------------------------------------------------

@needs_root
def test_demo_json_and_w(tmp_path):
    out = tmp_path / "demo.pcap"
    proc = subprocess.run(wsdissect_args("demo", "--json", "--idle-timeout", "1.2", "-w", str(out)),
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 0, proc.stderr
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    conns = [r for r in recs if r["type"] == "connection"]
    assert len(conns) == 2
    for c in (0, 1):
        assert [r["role"] for r in recs if r["type"] == "packet" and r["conn"] == c][:7] == HANDSHAKE_ROLES
    assert conns[0]["closed_by"] == "client" and conns[0]["close_code"] == 1000
    assert conns[1]["closed_by"] is None and conns[1]["fin_by"] == "server"
    notes = [r for r in recs if r["type"] == "note" and r["code"] == "close-without-close-frame"]
    assert len(notes) == 1 and "dropped an idle connection" in notes[0]["text"]
    assert comparable(read_json(out)) == comparable(recs)


@needs_root
def test_demo_timeline_shows_the_idle_drop():
    proc = subprocess.run(wsdissect_args("demo", "--idle-timeout", "1.2"), capture_output=True, text=True,
                          timeout=20, env=dict(os.environ, COLUMNS="200"))
    assert proc.returncode == 0, proc.stderr
    words = " ".join(proc.stdout.split())      # labels wrap at the terminal's width
    assert "TCP handshake 1/3" in words
    assert "closing handshake 1/2: client sends Close 1000" in words
    assert "no WebSocket Close frame was sent: the server dropped an idle connection after 1.2 s" in words
    assert "the server dropped an idle connection" in words
    assert "Summary:" in words


def test_demo_without_capture_shows_the_bundled_captures(monkeypatch, tmp_path):
    from wsdissect.sources import live

    def refuse(self):
        raise live.CaptureUnavailable("capturing on lo needs the CAP_NET_RAW privilege (or root): run it with sudo")

    monkeypatch.setattr(live.LiveCapture, "open", refuse)
    out = tmp_path / "fallback.pcap"
    result = CliRunner().invoke(main, ["demo", "--json", "-w", str(out)])
    assert result.exit_code == 0, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert "CAP_NET_RAW" in result.stderr and "bundled" in result.stderr
    recs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["no"] for r in recs if r["type"] == "packet"] == list(range(1, 36))
    assert len([r for r in recs if r["type"] == "connection"]) == 2
    assert any(r["type"] == "note" and r["code"] == "close-without-close-frame" for r in recs)
    assert comparable(read_json(out)) == comparable(recs)


@needs_root
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="drops a Linux capability")
def test_demo_unprivileged_for_real():
    proc = subprocess.run(["setpriv", "--bounding-set=-net_raw", *wsdissect_args("demo")], capture_output=True,
                          text=True, timeout=20)
    assert proc.returncode == 0, proc.stderr
    assert "CAP_NET_RAW" in proc.stderr and "bundled" in proc.stderr
    assert "Summary: 35 packets" in proc.stdout


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is not installed")
def test_demo_for_a_student_needs_a_capture_of_their_own(tmp_path):
    out = tmp_path / "bob.pcap"
    proc = subprocess.run(["setpriv", "--bounding-set=-net_raw", *wsdissect_args("demo", "--student", "bob", "-w",
                                                                                  str(out))],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2 and "--student bob" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert not out.exists()


def test_bundled_copies_match_captures():
    data = resources.files("wsdissect") / "data"
    for name in ("echo.pcap", "idle-timeout.pcap"):
        original = os.path.join(ROOT, "captures", name)
        if os.path.exists(original):
            with open(original, "rb") as f:
                assert (data / name).read_bytes() == f.read(), f"wsdissect/data/{name} differs from captures/"


def test_demo_in_chinese_without_capture(monkeypatch):
    # The lab is Chinese first: demo takes --lang like read and live (here through the bundled fallback).
    from wsdissect.sources import live

    def refuse(self):
        raise live.CaptureUnavailable("capturing on lo needs the CAP_NET_RAW privilege (or root): run it with sudo")

    monkeypatch.setattr(live.LiveCapture, "open", refuse)
    result = CliRunner().invoke(main, ["demo", "--lang", "zh"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "TCP 三次握手 1/3" in result.stdout and "没有发送 WebSocket Close 帧" in result.stdout
    assert "TCP handshake" not in result.stdout


def _refuse_capture(monkeypatch):
    from wsdissect.sources import live

    def refuse(self):
        raise live.CaptureUnavailable("capturing on lo needs the CAP_NET_RAW privilege (or root): run it with sudo")

    monkeypatch.setattr(live.LiveCapture, "open", refuse)


def test_demo_takes_live_s_views_explain_export_and_width(monkeypatch, tmp_path):
    # demo draws what live draws, with the same options (here through the bundled fallback).
    _refuse_capture(monkeypatch)
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    flow = CliRunner().invoke(main, ["demo", "--view", "flow", "--hide-acks"], env=env)
    assert flow.exit_code == 0, flow.output
    assert "▶|" in flow.stdout and "TCP handshake" in flow.stdout and "Summary:" not in flow.stdout
    handout = tmp_path / "lab.txt"
    shown = CliRunner().invoke(main, ["demo", "--explain", "--export", str(handout), "--width", "90",
                                      "--conn", "1"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "── conn 1 · TCP handshake — RFC 9293 §3.5 ──" in shown.stdout
    assert "── conn 0 ·" not in shown.stdout and "without any WebSocket Close frame" in shown.stdout
    saved = handout.read_text()
    assert "── conn 1 · TCP handshake" in saved and "Summary:" in saved
    for text in (saved, shown.stdout):                 # --width lays out both, as for live (not 100, not 200)
        assert 80 < max(len(line) for line in text.splitlines()) <= 90
    bad = CliRunner().invoke(main, ["demo", "--json", "--explain"], env=env)
    assert bad.exit_code == 2 and "--explain goes with the timeline view" in bad.stderr


@needs_root
def test_demo_explain_and_export_live(tmp_path):
    handout = tmp_path / "demo.txt"
    proc = subprocess.run(wsdissect_args("demo", "--idle-timeout", "1.2", "--explain", "--export", str(handout)),
                          capture_output=True, text=True, timeout=30, env=dict(os.environ, COLUMNS="120"))
    assert proc.returncode == 0, proc.stderr
    for text in (proc.stdout, handout.read_text()):
        assert "── conn 0 · TCP handshake" in text and "── conn 1 · Closing" in text and "Summary:" in text


def _client_pings(pcap) -> list:
    """The payloads of the client's pings in a capture."""
    from wsdissect.analyzer import Analyzer
    from wsdissect.sources.pcap import open_capture
    a = Analyzer()
    rows = [a.feed(raw) for raw in open_capture(str(pcap))]
    return [f.payload for r in rows if r is not None for f in r.frames if f.opcode == 0x9 and f.direction == "c2s"]


def _lab_with_keepalives(tmp_path, attempt: int):
    """The lab as a teacher runs it, shortened: `serve --idle-timeout 4`, a `websockets` client with its default
    keepalive (here every 1.5 s instead of 20 s) that sends one message and then waits, captured live."""
    proc, uri = serving("--idle-timeout", "4")
    port = uri.rsplit(":", 1)[1].strip("/")
    pcap = tmp_path / f"lab{attempt}.pcap"
    live = Proc(wsdissect_args("live", "--port", port, "-w", str(pcap), "--json"))

    async def client():
        async with connect(uri, ping_interval=1.5) as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)

    try:
        live.wait_for("capturing on")
        asyncio.run(client())
        time.sleep(0.3)
    finally:
        live.stop()
        proc.stop()
    return pcap


@needs_root
def test_idle_drop_after_a_real_clients_keepalive_pings(tmp_path):
    # The server counts from the message; the capture must say so, and call the pings the client library's.
    # A keepalive's 4 random bytes are all printable about once in fifty: such a ping is, by the documented rule,
    # not a keepalive, so a run that drew one is recorded again (at most three runs).
    for attempt in range(3):
        pcap = _lab_with_keepalives(tmp_path, attempt)
        pings = _client_pings(pcap)
        if len(pings) >= 2 and not any(all(32 <= b < 127 for b in p) for p in pings):
            break
    else:
        pytest.fail(f"three runs drew a printable keepalive payload or fewer than two pings: {pings}")
    text = subprocess.run(wsdissect_args("read", str(pcap)), capture_output=True, text=True,
                          env=dict(os.environ, COLUMNS="400")).stdout
    words = " ".join(text.split())
    assert words.count("client pings (payload: 4 bytes): by its pattern, the client library's automatic keepalive") \
        >= 2
    m = re.search(r"the server dropped an idle connection (\d+\.\d) s after the last data message "
                  r"\((\d+\.\d) s after the last ping/pong, the client library's automatic keepalive\)", words)
    assert m, words[-3000:]
    idle, ping = float(m.group(1)), float(m.group(2))
    assert 3.9 <= idle <= 4.5 and ping < 1.6


# --- wss:// -------------------------------------------------------------------------------------------------------

def test_serve_tls_prints_its_fingerprint_and_echoes_over_wss(tmp_path):
    import hashlib
    import ssl
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    pem = tmp_path / "lab.pem"
    port = free_port()
    proc = Proc(wsdissect_args("serve", "--tls", "--port", str(port), "--cert-out", str(pem)))
    proc.wait_for("fingerprint")
    try:
        ctx = ssl.create_default_context(cafile=str(pem))

        async def talk():
            async with connect(f"wss://localhost:{port}/", ssl=ctx, host="127.0.0.1", ping_interval=None) as ws:
                await ws.send("hi")
                return await ws.recv()
        assert asyncio.run(talk()) == "hi"
    finally:
        proc.stop()
    err = proc.stderr_text()
    der = x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(Encoding.DER)
    digest = hashlib.sha256(der).hexdigest().upper()
    assert ":".join(digest[i:i + 2] for i in range(0, 64, 2)) in err and f"wss://127.0.0.1:{port}/" in err


@needs_root
@pytest.mark.parametrize("name", ["lab.pcap", "lab.pcapng"])
def test_demo_tls_decrypts_as_it_goes_and_keeps_the_keys_beside_the_capture(tmp_path, name):
    out = tmp_path / name
    proc = subprocess.run(wsdissect_args("demo", "--tls", "--json", "--idle-timeout", "0.5", "-w", str(out)),
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert "fingerprint" in proc.stderr and "wss://" in proc.stderr
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    conns = [r for r in recs if r["type"] == "connection"]
    assert len(conns) == 2 and all(c["websocket"] and c["tls"]["decrypted"] for c in conns)
    assert conns[0]["close_code"] == 1000 and conns[0]["tls"]["sni"] == "localhost"
    keys = tmp_path / "lab.keys"
    assert keys.exists() and "CLIENT_TRAFFIC_SECRET_0" in keys.read_text()
    # The saved capture says the same: with the keys beside it, or (pcapng) with the keys inside it.
    args = ["read", "--json", str(out)] + (["--keylog", str(keys)] if name.endswith(".pcap") else [])
    again = subprocess.run(wsdissect_args(*args), capture_output=True, text=True, timeout=30)
    assert comparable([json.loads(line) for line in again.stdout.splitlines()]) == comparable(recs)
    if name.endswith(".pcapng"):
        assert out.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
        if shutil.which("tshark"):
            frames = subprocess.run(["tshark", "-r", str(out), "-Y", "websocket", "-T", "fields", "-e",
                                     "frame.number"], capture_output=True, text=True).stdout.split()
            assert [int(n) for n in frames] == sorted({r["no"] for r in recs if r["type"] == "frame"})
