#!/usr/bin/env python3
"""Record wsdissect's bundled reference captures from real WebSocket traffic.

Each scenario runs a real server and a real client from the ``websockets``
library (asyncio API) over loopback, 127.0.0.1 port 9002, while ``tcpdump``
captures the loopback interface.  One pcap per scenario, written next to this
script (or to ``--out``):

    echo.pcap            plain echo, text / non-ASCII text / binary, client closes 1000
    deflate.pcap         permessage-deflate negotiated, compressed frames (RSV1)
    fragments-ping.pcap  fragmented text and binary messages, pings both ways, close 1000 "bye"
    idle-timeout.pcap    server drops a silent client with a bare TCP FIN, no Close frame
    jsonrpc.pcap         JSON-RPC 2.0 over "jsonrpc" (jsonrpcserver, jsonrpcclient): requests, error, batch, bad JSON
    stomp.pcap           STOMP 1.2 over "v12.stomp" (RabbitMQ web-stomp, stomp.py): SUBSCRIBE/RECEIPT, SEND/MESSAGE
    graphql.pcap         GraphQL over "graphql-transport-ws" (strawberry server, gql client): subscription, query, ping
    socketio.pcap        Socket.IO v5 (python-socketio server and client): namespace, events, acks, binary
    socketio-upgrade.pcap  the same from HTTP long-polling upgraded to a WebSocket (probe, upgrade): 2+ connections
    graphql-ws.pcap      GraphQL over the legacy "graphql-ws" (strawberry server, gql client): start/data/stop, ka
    mqtt.pcap            MQTT 3.1.1 over "mqtt": mosquitto (broker) and paho-mqtt (client), port 9001
    mqtt5.pcap           the same with MQTT 5.0 (properties, reason codes)

The MQTT ones use real MQTT peers instead of the websockets library: the ``mosquitto`` broker with a WebSocket
listener and the ``paho-mqtt`` client (transport="websockets"); each also writes FILE.log, the client's own log
of every packet it sent and received (paho's "Sending X" / "Received X" lines).
The STOMP one uses RabbitMQ (a node of its own with the web-stomp plugin, port 15674) and stomp.py's
WSStompConnection; the GraphQL ones a strawberry-graphql server and gql's client; the JSON-RPC one jsonrpcserver and
jsonrpcclient on websockets; Socket.IO python-socketio on both sides. Each of these writes FILE.peers.txt, what the
peers logged sending and receiving.

Usage (capturing needs root, or CAP_NET_RAW + CAP_NET_ADMIN for tcpdump):

    sudo python captures/record.py                 # all of them
    sudo python captures/record.py --only echo     # one of them

This script is a tool for maintainers; it is not part of the wsdissect package
and imports nothing from it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import AsyncGenerator, Awaitable, Callable   # AsyncGenerator: for strawberry (graphql-ws)

HOST = "127.0.0.1"
PORT = 9002
URI = f"ws://{HOST}:{PORT}/"

# Pause between messages so that the timeline is readable.
STEP = 0.2
# How long the idle-timeout server waits for a message before dropping the
# client.  The lab server in the study notes used 30 s; we shorten it while
# recording so the capture is made in seconds (documented in README.md).
IDLE_TIMEOUT = 3.0
# Captures must stay small.
MAX_BYTES = 20_000


class RecordError(Exception):
    """A problem the user can fix; printed without a traceback."""


# --------------------------------------------------------------------------- #
# websockets import (with a helpful message under sudo)
# --------------------------------------------------------------------------- #

def _import_websockets():
    try:
        import websockets
        from websockets.asyncio.client import connect
        from websockets.asyncio.server import serve
    except ImportError as exc:  # pragma: no cover - depends on environment
        raise RecordError(
            f"cannot import websockets' asyncio API ({exc}).\n"
            f"  Python used: {sys.executable}\n"
            "  Install websockets >= 13 for this interpreter (pip install 'websockets>=13'),\n"
            "  or keep your environment under sudo:  sudo \"$(command -v python)\" captures/record.py"
        ) from None
    return websockets, connect, serve


# --------------------------------------------------------------------------- #
# tcpdump
# --------------------------------------------------------------------------- #

class Tcpdump:
    """tcpdump -i lo -U -w FILE 'tcp port PORT', started and stopped cleanly."""

    def __init__(self, path: Path, port: int, iface: str = "lo") -> None:
        self.path = path
        exe = shutil.which("tcpdump")
        if exe is None:
            raise RecordError(
                "tcpdump not found on PATH; install it (e.g. apt-get install tcpdump) and retry."
            )
        # --immediate-mode: without it libpcap (TPACKET_V3) holds packets in a
        # ring-buffer block for up to a second, and the last packets before
        # SIGINT are lost.  -U writes each packet to the file as it arrives.
        cmd = [exe, "-i", iface, "--immediate-mode", "-U", "-n", "-s", "0", "-w", str(path)]
        if os.geteuid() == 0:
            # Some builds drop privileges to user 'tcpdump' before opening the
            # output file, which then cannot be written in a root-owned tree.
            cmd += ["-Z", "root"]
        cmd.append(f"tcp port {port}")
        self.cmd = cmd
        self.proc: subprocess.Popen[str] | None = None
        self.stderr_lines: list[str] = []
        self._ready = threading.Event()

    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip("\n"))
            if "listening on" in line:
                self._ready.set()
        self._ready.set()  # stderr closed: tcpdump exited

    def start(self, timeout: float = 10.0) -> None:
        self.proc = subprocess.Popen(
            self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        threading.Thread(target=self._pump, daemon=True).start()
        self._ready.wait(timeout)
        if self.proc.poll() is not None or not any("listening on" in l for l in self.stderr_lines):
            self.stop()
            msg = "\n    ".join(self.stderr_lines) or "(no output)"
            hint = ""
            if os.geteuid() != 0 or "permission" in msg.lower() or "not permitted" in msg.lower():
                hint = ("\n  Capturing needs privileges: run with sudo "
                        "(sudo python captures/record.py), or give tcpdump CAP_NET_RAW/CAP_NET_ADMIN.")
            raise RecordError(f"tcpdump did not start:\n    {msg}{hint}")
        # libpcap is attached once "listening on" is printed; give the kernel
        # filter a moment anyway.
        time.sleep(0.2)

    def stop(self) -> str:
        """SIGINT tcpdump, wait for it, return its summary ("N packets captured")."""
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        time.sleep(0.05)  # let the stderr pump read the final lines
        return "; ".join(l for l in self.stderr_lines if "packets" in l)


# --------------------------------------------------------------------------- #
# A tiny pcap reader, only to sanity-check what we recorded
# --------------------------------------------------------------------------- #

def summarize_pcap(path: Path, port: int) -> dict:
    """Count packets and TCP connections (by client port) in a pcap on port `port`.

    Only classic pcap with Ethernet (what tcpdump writes for lo) or raw/SLL
    links is understood; that is all this script produces.
    """
    data = path.read_bytes()
    if len(data) < 24:
        raise RecordError(f"{path}: not a pcap file (too short)")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise RecordError(f"{path}: not a classic pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    packets = 0
    syns: set[int] = set()
    fins = {"c2s": 0, "s2c": 0}
    rsts = {"c2s": 0, "s2c": 0}
    client_ports: set[int] = set()
    first_ts = last_ts = None
    while off + 16 <= len(data):
        ts_sec, ts_frac, incl, _orig = struct.unpack(endian + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        packets += 1
        ts = ts_sec + ts_frac / 1e6
        first_ts = ts if first_ts is None else first_ts
        last_ts = ts
        if linktype == 1:        # Ethernet
            l3 = 14
        elif linktype == 113:    # Linux SLL
            l3 = 16
        elif linktype == 276:    # Linux SLL2
            l3 = 20
        else:                    # raw IP (101 / 228) or unknown: try offset 0
            l3 = 0
        if len(pkt) < l3 + 20 or pkt[l3] >> 4 != 4:
            continue
        ihl = (pkt[l3] & 0x0F) * 4
        t = l3 + ihl
        if len(pkt) < t + 14:
            continue
        sport, dport = struct.unpack("!HH", pkt[t:t + 4])
        flags = pkt[t + 13]
        client = sport if dport == port else dport
        client_ports.add(client)
        if flags & 0x02 and not flags & 0x10:  # SYN without ACK
            syns.add(client)
        if flags & 0x01:
            fins["c2s" if dport == port else "s2c"] += 1
        if flags & 0x04:
            rsts["c2s" if dport == port else "s2c"] += 1
    return {
        "packets": packets,
        "bytes": len(data),
        "connections": len(client_ports),
        "syns": len(syns),
        "fins": fins,
        "rsts": rsts,
        "duration": (last_ts - first_ts) if first_ts is not None else 0.0,
    }


# --------------------------------------------------------------------------- #
# Scenarios
# --------------------------------------------------------------------------- #

async def _echo_handler(ws) -> None:
    """Echo every message back, as one message (text stays text, bytes stay bytes)."""
    async for message in ws:
        await ws.send(message)


async def scenario_echo(connect, serve) -> None:
    """Plain echo session, no compression, client closes with 1000."""
    async with serve(_echo_handler, HOST, PORT, compression=None, ping_interval=None):
        async with connect(URI, compression=None, ping_interval=None) as ws:
            for message in ("hello", "hello 你好", bytes(range(16))):
                await asyncio.sleep(STEP)
                await ws.send(message)
                echoed = await ws.recv()
                assert echoed == message, (echoed, message)
            await asyncio.sleep(STEP)
            await ws.close()  # code 1000, empty reason
        await asyncio.sleep(STEP)


async def scenario_deflate(connect, serve) -> None:
    """permessage-deflate negotiated (websockets' default); messages compress well."""
    async with serve(_echo_handler, HOST, PORT, ping_interval=None):  # compression="deflate"
        async with connect(URI, ping_interval=None) as ws:
            ext = ws.response.headers.get("Sec-WebSocket-Extensions", "")
            if "permessage-deflate" not in ext:
                raise RecordError(f"permessage-deflate was not negotiated (got {ext!r})")
            for seq in range(1, 4):
                reading = {
                    "type": "reading",
                    "seq": seq,
                    "sensors": [
                        {"id": i, "name": f"sensor-{i}", "unit": "celsius", "value": 21.5}
                        for i in range(6)
                    ],
                }
                message = json.dumps(reading)
                await asyncio.sleep(STEP)
                await ws.send(message)
                echoed = await ws.recv()
                assert echoed == message
            await asyncio.sleep(STEP)
            await ws.close()
        await asyncio.sleep(STEP)


async def _fragments_handler(ws) -> None:
    """Echo; on "ping me" the server pings the client first, then answers."""
    async for message in ws:
        if message == "ping me":
            pong = await ws.ping(b"srv")
            await pong
            await ws.send("pinged you")
        else:
            await ws.send(message)


async def scenario_fragments_ping(connect, serve) -> None:
    """Fragmented text + binary messages, client and server pings, close 1000 "bye"."""

    async def text_fragments():
        # An async iterable: one frame per item, a short pause between frames
        # so each fragment is its own TCP segment.
        for part in ("frag", "mented ", "text 你好"):
            yield part
            await asyncio.sleep(0.05)

    async with serve(_fragments_handler, HOST, PORT, compression=None, ping_interval=None):
        async with connect(URI, compression=None, ping_interval=None) as ws:
            await asyncio.sleep(STEP)
            await ws.send(text_fragments())          # text, FIN=0 ... FIN=1
            assert await ws.recv() == "fragmented text 你好"

            await asyncio.sleep(STEP)
            parts = [bytes(range(0, 4)), bytes(range(4, 8)), bytes(range(8, 12))]
            await ws.send(parts)                     # binary, written back to back
            assert await ws.recv() == b"".join(parts)

            await asyncio.sleep(STEP)
            pong = await ws.ping(b"lab")             # client ping, server pongs
            await pong

            await asyncio.sleep(STEP)
            await ws.send("ping me")                 # server pings, client pongs
            assert await ws.recv() == "pinged you"

            await asyncio.sleep(STEP)
            await ws.close(1000, "bye")
        await asyncio.sleep(STEP)


def _make_idle_handler(idle: float):
    async def handler(ws) -> None:
        """Echo, but drop a client that sends nothing for `idle` seconds.

        Like the lab server in the study notes: the connection is ended with a
        plain TCP close (FIN), not with a WebSocket Close frame.
        transport.close() flushes and closes the socket -> FIN;
        transport.abort() would send RST instead.
        """
        while True:
            try:
                message = await asyncio.wait_for(ws.recv(), idle)
            except asyncio.TimeoutError:  # TimeoutError on 3.11+, distinct on 3.10
                ws.transport.close()
                # Wait until the socket is really gone, so that websockets does
                # not attempt its own closing handshake when the handler returns.
                await ws.wait_closed()
                return
            await ws.send(message)

    return handler


async def scenario_idle_timeout(connect, serve, idle: float = IDLE_TIMEOUT) -> None:
    """The client says one thing then stays silent; the server hangs up with a bare FIN."""
    from websockets.exceptions import ConnectionClosed

    async with serve(_make_idle_handler(idle), HOST, PORT, compression=None, ping_interval=None):
        async with connect(URI, compression=None, ping_interval=None) as ws:
            await asyncio.sleep(STEP)
            await ws.send("hello")
            assert await ws.recv() == "hello"
            # Silence.  When the server's FIN arrives, websockets' client sees
            # EOF without a Close frame and closes its own socket (FIN back);
            # it never sends a Close frame either.
            try:
                await ws.recv()
            except ConnectionClosed as exc:
                if exc.rcvd is not None or exc.sent is not None:
                    raise RecordError(f"unexpected Close frame in idle-timeout scenario: {exc!r}")
            else:
                raise RecordError("idle-timeout: server sent a message instead of dropping us")
            await ws.wait_closed()
        await asyncio.sleep(STEP)


def _jsonrpc_libraries():
    try:
        import jsonrpcclient
        import jsonrpcserver
    except ImportError as exc:  # pragma: no cover - depends on environment
        raise RecordError(f"jsonrpc needs jsonrpcserver and jsonrpcclient ({exc}): pip install jsonrpcserver "
                          "jsonrpcclient")
    return jsonrpcserver, jsonrpcclient


async def scenario_jsonrpc(connect, serve) -> None:
    """JSON-RPC 2.0 over subprotocol `jsonrpc`: jsonrpcserver answers on a websockets server, jsonrpcclient
    builds the client's requests and reads the answers: requests, a notification, an unknown method (error), a
    batch, and one text that is not JSON (written by this script: no library sends one) -> the parse error.
    Each side logs every message it sends and receives (NAME.peers.txt)."""
    jsonrpcserver, jsonrpcclient = _jsonrpc_libraries()
    from jsonrpcserver import Result, Success

    @jsonrpcserver.method
    async def subtract(a, b) -> Result:
        return Success(a - b)

    @jsonrpcserver.method(name="sum")
    async def add_up(*numbers) -> Result:
        return Success(sum(numbers))

    @jsonrpcserver.method
    async def update(*args) -> Result:
        return Success(None)

    @jsonrpcserver.method
    async def notify_hello(*args) -> Result:
        return Success(None)

    async def handler(ws) -> None:
        async for message in ws:
            PEER_LINES.append(f"server: received {message}")
            answer = await jsonrpcserver.async_dispatch(message)
            if answer:                                  # "" for notifications, and a batch of them
                PEER_LINES.append(f"server: sent {answer}")
                await ws.send(answer)

    from jsonrpcclient import notification, parse_json, request
    async with serve(handler, HOST, PORT, compression=None, ping_interval=None, subprotocols=["jsonrpc"]):
        async with connect(URI, compression=None, ping_interval=None, subprotocols=["jsonrpc"]) as ws:
            assert ws.subprotocol == "jsonrpc", ws.subprotocol
            script = [
                (request("subtract", params=(42, 23)), True),
                (notification("update", params=(1, 2, 3)), False),
                (request("foobar"), True),
                ([request("sum", params=(1, 2, 4)), notification("notify_hello", params=(7,)),
                  request("subtract", params=(42, 23))], True),
                ('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]', True),
            ]
            answers = []
            for doc, answered in script:
                await asyncio.sleep(STEP)
                text = doc if isinstance(doc, str) else json.dumps(doc)
                PEER_LINES.append(f"client: sent {text}")
                await ws.send(text)
                if answered:
                    text = await ws.recv()
                    PEER_LINES.append(f"client: received {text}")
                    answer = parse_json(text)
                    answers.append(list(answer) if not hasattr(answer, "id") else answer)
            await asyncio.sleep(STEP)
            await ws.close()
        await asyncio.sleep(STEP)
    results = [getattr(a, "result", None) for a in answers]
    if results[0] != 19 or getattr(answers[1], "code", None) != -32601 or len(answers[2]) != 2 \
            or getattr(answers[3], "code", None) != -32700:
        raise RecordError(f"jsonrpc: unexpected answers {answers!r}")


class RabbitMQ:
    """RabbitMQ with its web-stomp plugin listening on PORT (path /ws), a node of its own in a temporary
    directory (its own node name, AMQP, STOMP and distribution ports, no other listener on PORT)."""

    def __init__(self, port: int) -> None:
        exe = "/usr/lib/rabbitmq/bin/rabbitmq-server"
        if not os.path.exists(exe):
            raise RecordError("rabbitmq-server not found; install it (apt-get install rabbitmq-server) and retry.")
        self.dir = Path(tempfile.mkdtemp(prefix="wsdissect-rabbitmq-"))
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {HOST}:{_free_port()}\nstomp.listeners.tcp.1 = {HOST}:{_free_port()}\n"
            f"web_stomp.tcp.ip = {HOST}\nweb_stomp.tcp.port = {port}\nloopback_users = none\n")
        (self.dir / "enabled_plugins").write_text("[rabbitmq_web_stomp].\n")
        self.env = dict(os.environ, HOME=str(self.dir), RABBITMQ_NODENAME=f"wsdissect{os.getpid()}@localhost",
                        RABBITMQ_CONFIG_FILE=str(self.dir / "rabbitmq.conf"),
                        RABBITMQ_ENABLED_PLUGINS_FILE=str(self.dir / "enabled_plugins"),
                        RABBITMQ_MNESIA_BASE=str(self.dir / "mnesia"), RABBITMQ_LOG_BASE=str(self.dir / "log"),
                        RABBITMQ_DIST_PORT=str(_free_port()), RABBITMQ_LOGS="-",
                        ERL_EPMD_PORT=str(_free_port()))   # an epmd of its own, stopped afterwards
        self.cmd = [exe]
        self.port = port
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RecordError(f"rabbitmq-server exited: {self.proc.stdout.read().strip()[-500:]}")
            if _listening(self.port):
                break
            time.sleep(0.2)
        else:
            self.__exit__()
            raise RecordError("rabbitmq-server did not listen within 90 s")
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)      # the script and the Erlang VM it started
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        epmd = shutil.which("epmd")
        if epmd is not None:                               # the Erlang VM left its port mapper daemon running
            subprocess.run([epmd, "-kill"], env=self.env, capture_output=True, timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class _StompLog(logging.Handler):
    """stomp.py's debug lines of the frames it sent and received (heart-beats too), kept as NAME.peers.txt."""

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage()
        if line.startswith(("sending frame: ", "received frame: ")):
            PEER_LINES.append(f"client: {line}")


def _stomp_session() -> None:
    """stomp.py's WebSocket connection (over websocket-client) to RabbitMQ's web-stomp: STOMP 1.2 CONNECT (sent
    as STOMP) with heart-beats of 1 s both ways, SUBSCRIBE with a receipt, SEND, the MESSAGE, heart-beats,
    DISCONNECT with a receipt."""
    try:
        import stomp
    except ImportError as exc:
        raise RecordError(f"cannot import stomp.py ({exc}); pip install stomp.py websocket-client") from None
    got: list = []
    receipts: list = []

    class Listener(stomp.ConnectionListener):
        def on_message(self, frame):
            got.append(frame.body)

        def on_receipt(self, frame):
            receipts.append(frame.headers["receipt-id"])

    log = logging.getLogger("stomp.py")
    handler = _StompLog(logging.DEBUG)
    log.setLevel(logging.DEBUG)
    log.addHandler(handler)
    try:
        # stomp.py offers no subprotocol of its own: the header names STOMP's, and RabbitMQ picks v12.stomp
        conn = stomp.WSStompConnection([(HOST, PORT)], ws_path="/ws", heartbeats=(1000, 1000), vhost="/",
                                       header={"Sec-WebSocket-Protocol": "v12.stomp, v11.stomp"})
        conn.set_listener("lab", Listener())
        conn.connect("guest", "guest", wait=True)
        time.sleep(STEP)
        conn.subscribe("/queue/lab", id="sub-0", ack="auto", headers={"receipt": "r-1"})
        time.sleep(STEP)
        conn.send("/queue/lab", "hello 你好", content_type="text/plain")
        time.sleep(STEP * 6)                          # a heart-beat each way (1 s)
        conn.disconnect(receipt="r-2")
        time.sleep(STEP)
    finally:
        log.removeHandler(handler)
    if got != ["hello 你好"] or receipts[:1] != ["r-1"]:
        raise RecordError(f"stomp: unexpected messages {got!r} or receipts {receipts!r}")


async def scenario_stomp(connect, serve) -> None:
    """STOMP 1.2 over subprotocol `v12.stomp` from real peers: RabbitMQ's web-stomp and stomp.py."""
    with RabbitMQ(PORT):
        await asyncio.to_thread(_stomp_session)


def _strawberry():
    """strawberry-graphql's schema for both GraphQL captures, and what the scenarios import: query `hello`,
    subscriptions `greetings` (two results, 50 ms apart) and `ticks` (endless)."""
    try:
        import strawberry
        from aiohttp import web
        from gql import Client, gql
        from gql.transport.exceptions import TransportQueryError
        from gql.transport.websockets import WebsocketsTransport
        from strawberry.aiohttp.views import GraphQLView
    except ImportError as exc:  # pragma: no cover - depends on environment
        raise RecordError(f"the GraphQL captures need strawberry-graphql, aiohttp and gql[websockets] ({exc})")

    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self) -> str:
            return "world"

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def greetings(self) -> AsyncGenerator[str, None]:
            for word in ("Hi", "Bonjour"):
                await asyncio.sleep(STEP / 4)
                yield word

        @strawberry.subscription
        async def ticks(self) -> AsyncGenerator[int, None]:
            n = 0
            while True:
                n += 1
                yield n
                await asyncio.sleep(STEP)

    schema = strawberry.Schema(query=Query, subscription=Subscription)
    return schema, web, GraphQLView, Client, gql, TransportQueryError, WebsocketsTransport


async def _strawberry_site(web, view):
    webapp = web.Application()
    webapp.router.add_route("*", "/graphql", view)
    runner = web.AppRunner(webapp)
    await runner.setup()
    await web.TCPSite(runner, HOST, PORT).start()
    return runner


def _gql_peer_log() -> tuple:
    """gql logs each message it sends (">>> ") and receives ("<<< ") at debug level: kept as NAME.peers.txt."""
    gql_log = logging.getLogger("gql.transport.common.base")
    peer = _PeerLog("client")
    peer.setLevel(logging.DEBUG)
    gql_log.setLevel(logging.DEBUG)
    gql_log.addHandler(peer)
    return gql_log, peer


async def scenario_graphql(connect, serve) -> None:
    """GraphQL over subprotocol `graphql-transport-ws`, from real peers: a strawberry-graphql server (its aiohttp
    view, that protocol only) and gql's WebsocketsTransport (offering `graphql-transport-ws` only, no
    compression). connection_init with a payload -> connection_ack; a subscription of two results (subscribe ->
    next, next, complete); a query (subscribe -> next, complete); the client's ping -> pong; close 1000."""
    schema, web, GraphQLView, Client, gql, _, WebsocketsTransport = _strawberry()
    from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
    runner = await _strawberry_site(web, GraphQLView(schema=schema,
                                                     subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL]))
    gql_log, peer = _gql_peer_log()
    try:
        transport = WebsocketsTransport(url=f"ws://{HOST}:{PORT}/graphql", subprotocols=["graphql-transport-ws"],
                                        init_payload={"token": "lab"}, connect_args={"compression": None})
        async with Client(transport=transport) as session:
            await asyncio.sleep(STEP)
            got = [r async for r in session.subscribe(gql("subscription Greetings { greetings }"))]
            assert got == [{"greetings": "Hi"}, {"greetings": "Bonjour"}], got
            await asyncio.sleep(STEP)
            assert await session.execute(gql("{ hello }")) == {"hello": "world"}
            await asyncio.sleep(STEP)
            await transport.send_ping()             # answered by the server's pong
            await asyncio.sleep(STEP)
        await asyncio.sleep(STEP)
    finally:
        gql_log.removeHandler(peer)
        await runner.cleanup()


# What the Socket.IO peers logged (python-engineio's "Sending/Received packet" lines, from the loggers handed to
# the server and the client), written next to the capture as NAME.peers.txt: the tests compare each decoded
# packet with what its receiver logged.
PEER_LINES: list = []


class _PeerLog(logging.Handler):
    def __init__(self, who: str) -> None:
        super().__init__(logging.INFO)
        self.who = who

    def emit(self, record: logging.LogRecord) -> None:
        PEER_LINES.append(f"{self.who}: {record.getMessage()}")


def _peer_logger(who: str) -> logging.Logger:
    logger = logging.getLogger(f"record.{who}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.handlers[:] = [_PeerLog(who)]
    return logger


async def _socketio_server():
    """python-socketio's AsyncServer on aiohttp, listening on HOST:PORT, and its aiohttp runner (to clean up).
    Namespace /chat: CONNECT needs auth {"token": "lab"}; `join` is answered by a `welcome` event, `chat` by
    nothing, `add` and `upload` by an ack, `bye` by the server's DISCONNECT of the namespace."""
    try:
        import socketio
        from aiohttp import web
    except ImportError as exc:  # pragma: no cover - depends on environment
        raise RecordError(f"socketio needs python-socketio and aiohttp ({exc}): pip install python-socketio aiohttp")
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=1, ping_timeout=5,
                               engineio_logger=_peer_logger("server"))
    webapp = web.Application()
    sio.attach(webapp)

    @sio.on("connect", namespace="/chat")
    async def _connect(sid, environ, auth):
        if not auth or auth.get("token") != "lab":
            raise socketio.exceptions.ConnectionRefusedError("bad token")

    @sio.on("join", namespace="/chat")
    async def _join(sid, room):
        await sio.emit("welcome", {"room": room}, to=sid, namespace="/chat")

    @sio.on("chat", namespace="/chat")
    async def _chat(sid, text, meta):
        return None

    @sio.on("add", namespace="/chat")
    async def _add(sid, a, b):
        return a + b

    @sio.on("upload", namespace="/chat")
    async def _upload(sid, doc):
        return {"size": len(doc["data"]), "head": bytes(doc["data"][:2])}

    @sio.on("bye", namespace="/chat")
    async def _bye(sid):
        await sio.disconnect(sid, namespace="/chat")

    runner = web.AppRunner(webapp)
    await runner.setup()
    site = web.TCPSite(runner, HOST, PORT)
    await site.start()
    return socketio, runner


async def _socketio_bye(client) -> None:
    # The client's own disconnect() queues its DISCONNECT and closes the socket before the queue is sent: the
    # server ends the namespace instead, on request, and the client then closes.
    await client.emit("bye", namespace="/chat")
    await asyncio.sleep(STEP)
    await client.disconnect()
    await asyncio.sleep(STEP)


async def scenario_socketio(connect, serve) -> None:
    """Socket.IO v5 over Engine.IO v4 from python-socketio's own server and client (aiohttp on both sides, the
    client on the websocket transport only, so the capture holds one TCP connection): connect to the namespace
    /chat with an auth payload, an event answered by the server's welcome event, an event with two arguments, an
    event with an ack, a binary event whose ack is binary too, the server's ping and the client's pong, the
    server's DISCONNECT of /chat (asked for by an event), the client's close."""
    socketio, runner = await _socketio_server()
    try:
        client = socketio.AsyncClient(engineio_logger=_peer_logger("client"))
        welcomed = asyncio.Event()
        client.on("welcome", lambda data: welcomed.set(), namespace="/chat")
        await client.connect(f"http://{HOST}:{PORT}", namespaces=["/chat"], auth={"token": "lab"},
                             transports=["websocket"])
        await asyncio.sleep(STEP)
        await client.emit("join", "lobby", namespace="/chat")
        await asyncio.wait_for(welcomed.wait(), 5)
        await asyncio.sleep(STEP)
        await client.emit("chat", ("hello 你好", {"from": "lab"}), namespace="/chat")
        await asyncio.sleep(STEP)
        assert await client.call("add", (2, 3), namespace="/chat", timeout=5) == 5
        await asyncio.sleep(STEP)
        got = await client.call("upload", {"name": "bytes", "data": bytes(range(8))}, namespace="/chat", timeout=5)
        assert got == {"size": 8, "head": b"\x00\x01"}, got
        await asyncio.sleep(0.6)                 # the server's ping (ping_interval 1 s) and the client's pong
        await _socketio_bye(client)
    finally:
        await runner.cleanup()


async def scenario_socketio_upgrade(connect, serve) -> None:
    """The same server and client with the client's default transports: Engine.IO opens over HTTP long-polling
    (the open packet and the namespace's CONNECT travel in HTTP bodies), then upgrades: a second TCP connection
    opens the WebSocket with the session's sid in its query, the client sends `2probe`, the server `3probe`,
    the client `5` (upgrade); an event with an ack and the goodbye then go over the WebSocket."""
    socketio, runner = await _socketio_server()
    try:
        client = socketio.AsyncClient(engineio_logger=_peer_logger("client"))
        await client.connect(f"http://{HOST}:{PORT}", namespaces=["/chat"], auth={"token": "lab"})
        for _ in range(50):                      # the upgrade runs in the background after connect()
            if client.transport() == "websocket":
                break
            await asyncio.sleep(0.05)
        assert client.transport() == "websocket", client.transport()
        await asyncio.sleep(STEP)
        assert await client.call("add", (2, 3), namespace="/chat", timeout=5) == 5
        await asyncio.sleep(STEP)
        await _socketio_bye(client)
    finally:
        await runner.cleanup()


async def scenario_graphql_ws(connect, serve) -> None:
    """GraphQL over the legacy subprotocol `graphql-ws` (subscriptions-transport-ws), from real peers: a
    strawberry-graphql server (its aiohttp view, legacy protocol only, keep-alive every 0.5 s) and gql's
    WebsocketsTransport as the client (offering `graphql-ws` only). connection_init with a payload ->
    connection_ack and ka; a subscription of two results (start -> data, data, complete); a query (start -> error:
    strawberry runs subscriptions only over this protocol); an endless subscription the client stops after its first result (stop); connection_terminate."""
    schema, web, GraphQLView, Client, gql, TransportQueryError, WebsocketsTransport = _strawberry()
    from strawberry.subscriptions import GRAPHQL_WS_PROTOCOL
    logging.getLogger("strawberry").setLevel(logging.CRITICAL)     # the refused query's traceback
    runner = await _strawberry_site(web, GraphQLView(schema=schema, subscription_protocols=[GRAPHQL_WS_PROTOCOL],
                                                     keep_alive=True, keep_alive_interval=0.5))
    gql_log, peer = _gql_peer_log()
    try:
        transport = WebsocketsTransport(url=f"ws://{HOST}:{PORT}/graphql", subprotocols=["graphql-ws"],
                                        init_payload={"token": "lab"})
        async with Client(transport=transport) as session:
            await asyncio.sleep(STEP)
            got = [r async for r in session.subscribe(gql("subscription Greetings { greetings }"))]
            assert got == [{"greetings": "Hi"}, {"greetings": "Bonjour"}], got
            await asyncio.sleep(STEP)
            try:                                    # strawberry's legacy handler runs subscriptions only
                await session.execute(gql("query Hello { hello }"))
                raise RecordError("graphql-ws: the server ran a query; the capture's description expects an error")
            except TransportQueryError as exc:
                assert "queries are not allowed" in str(exc), exc
            await asyncio.sleep(STEP)
            async for r in session.subscribe(gql("subscription Ticks { ticks }")):
                assert r == {"ticks": 1}, r
                break                               # gql sends stop
            await asyncio.sleep(STEP * 3)           # a keep-alive or two
        await asyncio.sleep(STEP)
    finally:
        gql_log.removeHandler(peer)
        await runner.cleanup()


# Scenarios whose client sends no FIN: RabbitMQ closes first (a FIN, or a RST when the client's Close frame gets
# there before the socket is shut) and answers the client's Close frame with a RST.
SERVER_ENDS = {"stomp"}
# Scenarios whose capture may hold several TCP connections (the others: exactly one).
SEVERAL_CONNECTIONS = {"socketio-upgrade"}
# --------------------------------------------------------------------------- #
# MQTT: real peers (mosquitto and paho-mqtt), not the websockets library
# --------------------------------------------------------------------------- #

def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    """A socket listens on TCP `port` (Linux: /proc/net/tcp and tcp6, state 0A)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False


class Mosquitto:
    """mosquitto with a WebSocket listener on PORT. mosquitto 2.0 with libwebsockets 4 will not start with a
    WebSocket listener alone, so it gets a plain MQTT listener too, on a free loopback port nobody uses."""

    def __init__(self, port: int) -> None:
        exe = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
        if exe is None:
            raise RecordError("mosquitto not found; install it (apt-get install mosquitto) and retry.")
        self.dir = Path(tempfile.mkdtemp(prefix="wsdissect-mosquitto-"))
        conf = self.dir / "mosquitto.conf"
        conf.write_text(f"listener {_free_port()} {HOST}\nlistener {port}\nprotocol websockets\n"
                        "allow_anonymous true\npersistence false\n")
        self.cmd = [exe, "-c", str(conf)]
        self.port = port
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RecordError(f"mosquitto exited: {self.proc.stderr.read().strip()}")
            if _listening(self.port):          # (a test connection would be in the capture)
                break
            time.sleep(0.1)
        else:
            raise RecordError("mosquitto did not listen within 10 s")
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def _mqtt_client(version: int):
    try:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties
    except ImportError as exc:
        raise RecordError(f"cannot import paho-mqtt >= 2 ({exc}); pip install paho-mqtt") from None
    proto = mqtt.MQTTv5 if version == 5 else mqtt.MQTTv311
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"lab-{'5' if version == 5 else '311'}",
                         transport="websockets", protocol=proto)
    return mqtt, client, PacketTypes, Properties


def _mqtt_session(version: int) -> list:
    """Connect (will, user name and password), subscribe with QoS 0/1/2, publish QoS 0/1/2 (each comes back
    through the subscription), a retained message and a late subscription that receives it, unsubscribe, a ping,
    disconnect. Returns the client's log lines of the packets it sent and received."""
    mqtt, client, PacketTypes, Properties = _mqtt_client(version)
    log: list = []
    client.on_log = lambda _c, _u, _level, line: log.append(line) if line.startswith(("Sending", "Received")) \
        else None
    client.username_pw_set("lab", "not-a-real-password")
    client.will_set("lab/status", "gone", qos=1, retain=True)
    connect_props = None
    if version == 5:
        connect_props = Properties(PacketTypes.CONNECT)
        connect_props.SessionExpiryInterval = 30
        connect_props.ReceiveMaximum = 20
        connect_props.UserProperty = ("lab", "wsdissect")
    kw = {"clean_start": True, "properties": connect_props} if version == 5 else {}
    client.connect(HOST, PORT, keepalive=60, **kw)
    client.loop_start()
    try:
        time.sleep(STEP)
        client.subscribe([("lab/q0", 0), ("lab/q1", 1), ("lab/q2", 2)])
        time.sleep(STEP)
        for qos in (0, 1, 2):
            props = None
            if version == 5 and qos == 1:
                props = Properties(PacketTypes.PUBLISH)
                props.ContentType = "text/plain"
                props.MessageExpiryInterval = 60
                props.ResponseTopic = "lab/replies"
                props.CorrelationData = b"\x01\x02"
                props.UserProperty = ("unit", "celsius")
            client.publish(f"lab/q{qos}", f"hello {qos}", qos=qos, properties=props).wait_for_publish(5)
            time.sleep(STEP)
        client.publish("lab/retained", "kept 你好", qos=1, retain=True).wait_for_publish(5)
        time.sleep(STEP)
        client.subscribe("lab/retained", 1)           # the broker sends the retained message
        time.sleep(STEP)
        client.unsubscribe(["lab/q0", "lab/q1"])
        time.sleep(STEP)
        client._send_pingreq()                        # paho pings only when keep-alive runs out: ask for one now
        time.sleep(STEP)
        client.disconnect()
        time.sleep(STEP)
    finally:
        client.loop_stop()
    return log


async def _scenario_mqtt(version: int) -> list:
    with Mosquitto(PORT):
        return await asyncio.to_thread(_mqtt_session, version)


async def scenario_mqtt(connect, serve) -> list:
    """MQTT 3.1.1 over subprotocol `mqtt`, mosquitto and paho-mqtt."""
    return await _scenario_mqtt(4)


async def scenario_mqtt5(connect, serve) -> list:
    """MQTT 5.0 over subprotocol `mqtt`: properties and reason codes."""
    return await _scenario_mqtt(5)


SCENARIOS: dict[str, Callable[..., Awaitable[None]]] = {
    "echo": scenario_echo,
    "deflate": scenario_deflate,
    "fragments-ping": scenario_fragments_ping,
    "idle-timeout": scenario_idle_timeout,
    "jsonrpc": scenario_jsonrpc,
    "stomp": scenario_stomp,
    "graphql": scenario_graphql,
    "socketio": scenario_socketio,
    "socketio-upgrade": scenario_socketio_upgrade,
    "graphql-ws": scenario_graphql_ws,
    "mqtt": scenario_mqtt,
    "mqtt5": scenario_mqtt5,
}
# Scenarios with a port of their own (MQTT over WebSocket's usual 9001) unless --port is given.
SCENARIO_PORTS = {"mqtt": 9001, "mqtt5": 9001, "stomp": 15674}   # 15674: web-stomp's own


# --------------------------------------------------------------------------- #
# Driver
# --------------------------------------------------------------------------- #

def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError as exc:
            raise RecordError(
                f"port {port} on {HOST} is busy ({exc.strerror}); stop whatever listens there "
                "(the recording must be the only traffic on that port) and retry."
            ) from None


def _chown_like_invoker(path: Path) -> None:
    """Under sudo, give the file back to the user who ran sudo."""
    uid, gid = os.environ.get("SUDO_UID"), os.environ.get("SUDO_GID")
    if os.geteuid() == 0 and uid and gid:
        try:
            os.chown(path, int(uid), int(gid))
        except OSError:
            pass


def record(name: str, out_dir: Path, connect, serve, idle: float) -> dict:
    target = out_dir / f"{name}.pcap"
    _check_port_free(PORT)
    tmp_dir = Path(tempfile.mkdtemp(prefix="wsdissect-record-"))
    os.chmod(tmp_dir, 0o755)
    tmp = tmp_dir / target.name
    PEER_LINES.clear()
    try:
        dump = Tcpdump(tmp, PORT)
        dump.start()
        try:
            scenario = SCENARIOS[name]
            if name == "idle-timeout":
                peers_log = asyncio.run(scenario(connect, serve, idle))
            else:
                peers_log = asyncio.run(scenario(connect, serve))
            time.sleep(0.5)  # let the last ACKs reach the capture
        finally:
            tcpdump_summary = dump.stop()
        if not tmp.exists():
            raise RecordError(f"tcpdump wrote no file for {name}")
        info = summarize_pcap(tmp, PORT)
        info["tcpdump"] = tcpdump_summary
        if name in SEVERAL_CONNECTIONS:
            if info["connections"] < 1 or info["syns"] != info["connections"]:
                raise RecordError(f"{name}: expected whole polling and WebSocket connections, found "
                                  f"{info['connections']} (SYNs: {info['syns']}); nothing was written; retry.")
        elif info["syns"] != 1 or info["connections"] != 1:
            raise RecordError(
                f"{name}: expected exactly one TCP connection on port {PORT}, found "
                f"{info['connections']} (SYNs: {info['syns']}); was something else using the port? "
                "Nothing was written; retry."
            )
        if name in SERVER_ENDS:
            if not (info["fins"]["s2c"] or info["rsts"]["s2c"]):
                raise RecordError(f"{name}: the capture does not end with the server's FIN or RST; tcpdump missed "
                                  "the teardown. Nothing was written; retry.")
        elif not (info["fins"]["c2s"] and info["fins"]["s2c"]):
            raise RecordError(
                f"{name}: the capture does not end with a FIN from both sides "
                f"(FINs seen: {info['fins']}); tcpdump missed the teardown. Nothing was written; retry."
            )
        if info["bytes"] > MAX_BYTES:
            raise RecordError(f"{name}: capture is {info['bytes']} bytes (> {MAX_BYTES}); not written")
        shutil.move(str(tmp), str(target))
        _chown_like_invoker(target)
        if PEER_LINES:
            peers = target.with_suffix(".peers.txt")
            peers.write_text("".join(line + "\n" for line in PEER_LINES), encoding="utf-8")
            _chown_like_invoker(peers)
        if peers_log:
            log_path = target.with_suffix(".log")
            log_path.write_text("".join(line + "\n" for line in peers_log), encoding="utf-8")
            _chown_like_invoker(log_path)
        info["path"] = target
        return info
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    global PORT, URI
    parser = argparse.ArgumentParser(
        description="Record wsdissect's reference captures (websockets server + client on "
                    f"{HOST}:{PORT}, captured with tcpdump on lo). Needs root: "
                    "sudo python captures/record.py [--only NAME]",
    )
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append",
                        help="record only this capture (repeatable); default: all")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="output directory (default: the captures/ directory)")
    parser.add_argument("--port", type=int, default=None,
                        help=f"TCP port on {HOST} for the server (default {PORT}; 9001 for the MQTT ones); "
                             "it must be free")
    parser.add_argument("--idle", type=float, default=IDLE_TIMEOUT,
                        help=f"idle-timeout scenario: seconds of silence before the server "
                             f"drops the client (default {IDLE_TIMEOUT:g}; the lab used 30)")
    args = parser.parse_args(argv)

    try:
        if shutil.which("tcpdump") is None:
            raise RecordError(
                "tcpdump not found on PATH; install it (e.g. apt-get install tcpdump) and retry."
            )
        if os.geteuid() != 0:
            print("note: not running as root; tcpdump will likely fail "
                  "(use: sudo python captures/record.py)", file=sys.stderr)
        websockets, connect, serve = _import_websockets()
        args.out.mkdir(parents=True, exist_ok=True)
        names = args.only or list(SCENARIOS)
        print(f"websockets {websockets.__version__}, capturing lo")
        for name in names:
            port = args.port or SCENARIO_PORTS.get(name, 9002)
            PORT, URI = port, f"ws://{HOST}:{port}/"
            info = record(name, args.out, connect, serve, args.idle)
            print(f"  {info['path']}: {info['packets']} packets, {info['bytes']} bytes, "
                  f"{info['duration']:.3f} s   [tcpdump: {info['tcpdump']}]")
    except RecordError as exc:
        print(f"record.py: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("record.py: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
