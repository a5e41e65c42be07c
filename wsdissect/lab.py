"""The teaching lab: a WebSocket echo server and a scripted client, both from the `websockets` library.

`wsdissect serve` runs `serve_forever`; `wsdissect demo` runs `demo_traffic` (server and client in one event
loop) while capturing it. Nothing here touches packets: this is the traffic the timeline explains.

The server echoes every message (text stays text, bytes stay bytes). With an idle timeout it drops a client that
stays silent that long, either the way the lab's original server did -- it closes the TCP connection (a FIN)
without sending any WebSocket Close frame (`idle_close="tcp"`) -- or politely, with a close handshake carrying
1001 Going Away (`idle_close="frame"`). Keepalive pings are off, so the only traffic is what the client causes
(and a ping would reset nothing anyway: the idle clock counts messages).
"""
from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, field
from typing import Callable, Optional

HOST = "127.0.0.1"
GOING_AWAY = 1001

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def free_port(host: str = HOST) -> int:
    """An unused TCP port on `host` (the kernel picks it; it stays free unless someone races us for it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class ServerOptions:
    host: str = HOST
    port: int = 9002
    idle_timeout: Optional[float] = None     # seconds of client silence before the server drops it; None: never
    idle_close: str = "tcp"                  # "tcp": FIN without a Close frame; "frame": close handshake, 1001
    deflate: bool = False                    # accept permessage-deflate when the client offers it
    subprotocols: tuple = field(default_factory=tuple)
    tls: Optional["LabTls"] = None           # wss://: the certificate and the server's TLS context


# --- wss:// -----------------------------------------------------------------------------------------------------

TLS_NAME = "localhost"          # the lab certificate's name: the client connects to it (SNI) at 127.0.0.1
TLS_DAYS = 7                    # how long the certificate made at start is valid


@dataclass
class LabTls:
    """A self-signed certificate made at start (the `cryptography` package), as PEM, with its SHA-256
    fingerprint (colon-separated hex, as browsers show it), and the contexts of the lab's server and client."""
    cert_pem: bytes
    key_pem: bytes
    fingerprint: str

    def server_context(self, keylog: Optional[str] = None) -> ssl.SSLContext:
        import os
        import tempfile
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # load_cert_chain reads files only: a private directory for the moment it takes.
        with tempfile.TemporaryDirectory() as d:
            cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
            with open(cert, "wb") as f:
                f.write(self.cert_pem)
            with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
                f.write(self.key_pem)
            ctx.load_cert_chain(cert, key)
        if keylog:
            ctx.keylog_filename = keylog
        return ctx

    def client_context(self, keylog: Optional[str] = None) -> ssl.SSLContext:
        """Trusts the lab certificate only; `keylog`: the file the client writes its TLS secrets to."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=self.cert_pem.decode("ascii"))
        if keylog:
            ctx.keylog_filename = keylog
        return ctx


def make_tls(rsa_key: bool = False) -> LabTls:
    """A fresh self-signed certificate for TLS_NAME (and 127.0.0.1, ::1), ECDSA P-256 (or, with `rsa_key`, RSA
    2048 bits, for TLS 1.2's RSA key exchange), valid TLS_DAYS days."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(65537, 2048) if rsa_key else ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TLS_NAME)])
    now = datetime.datetime.now(datetime.timezone.utc)
    san = x509.SubjectAlternativeName([x509.DNSName(TLS_NAME), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                       x509.IPAddress(ipaddress.ip_address("::1"))])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=TLS_DAYS)).add_extension(san, critical=False)
            .sign(key, hashes.SHA256()))
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return LabTls(cert.public_bytes(serialization.Encoding.PEM),
                  key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()),
                  ":".join(digest[i:i + 2] for i in range(0, len(digest), 2)))


def _peer(ws) -> str:
    addr = ws.remote_address
    if not addr:
        return "?"
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def make_handler(opts: ServerOptions, log: Log = _quiet):
    """The echo handler for one connection, with the idle timeout of `opts`."""
    from websockets.exceptions import ConnectionClosed

    idle = opts.idle_timeout

    async def handler(ws) -> None:
        peer = _peer(ws)
        proto = f" (subprotocol {ws.subprotocol})" if ws.subprotocol else ""
        log(f"{peer} connected{proto}")
        try:
            while True:
                try:
                    if idle is None:
                        message = await ws.recv()
                    else:
                        message = await asyncio.wait_for(ws.recv(), idle)
                except asyncio.TimeoutError:
                    await _drop_idle(ws, opts, peer, log)
                    return
                await ws.send(message)
        except ConnectionClosed as e:
            if e.rcvd is not None:
                reason = f" {e.rcvd.reason!r}" if e.rcvd.reason else ""
                log(f"{peer} closed the connection ({e.rcvd.code}{reason})")
            else:
                log(f"{peer} went away without a Close frame")

    return handler


async def _drop_idle(ws, opts: ServerOptions, peer: str, log: Log) -> None:
    idle = f"{opts.idle_timeout:g}"
    if opts.idle_close == "frame":
        log(f"{peer} silent for {idle} s: closing with 1001 Going Away")
        await ws.close(GOING_AWAY, f"idle for {idle} s")
        return
    log(f"{peer} silent for {idle} s: dropping it (TCP FIN, no Close frame)")
    # transport.close() flushes and closes the socket: a FIN (abort() would send a RST). Waiting for the
    # connection to be gone keeps websockets from starting its own closing handshake when the handler returns.
    ws.transport.close()
    await ws.wait_closed()


def _subprotocol_selector(offered_by_server: tuple):
    """Pick the first of the server's subprotocols that the client offers; a client that offers none is
    accepted without one (websockets alone would refuse it), one that offers only others is refused (400)."""
    from websockets.exceptions import NegotiationError

    def select(_connection, offered):
        if not offered:
            return None
        for name in offered_by_server:
            if name in offered:
                return name
        raise NegotiationError("no common subprotocol; this server speaks " + ", ".join(offered_by_server))

    return select


def start_server(opts: ServerOptions, log: Log = _quiet):
    """websockets' `serve(...)` for `opts`: await it (or use `async with`) to listen."""
    from websockets.asyncio.server import serve

    kwargs = {}
    if opts.subprotocols:
        kwargs["subprotocols"] = list(opts.subprotocols)
        kwargs["select_subprotocol"] = _subprotocol_selector(tuple(opts.subprotocols))
    # close_timeout: how long a Close frame waits for its answer, and so how long Ctrl-C can wait for an open
    # connection to close. websockets' 10 s is longer than the 8 s tests/test_lab.py gives `serve` to exit,
    # which timed out once under load (not reproduced since). A lab peer answers at once or not at all.
    if opts.tls is not None:
        kwargs["ssl"] = opts.tls.server_context()
    return serve(make_handler(opts, log), opts.host, opts.port,
                 compression="deflate" if opts.deflate else None, ping_interval=None, close_timeout=2, **kwargs)


async def serve_forever(opts: ServerOptions, log: Log = _quiet, ready: Optional[Callable[[], None]] = None) -> None:
    async with start_server(opts, log) as server:
        if ready is not None:
            ready()
        await server.serve_forever()


# --- the scripted client of the demo ------------------------------------------------------------------------

STEP = 0.1      # pause between the client's actions, so each shows as its own packets


async def _fragments(parts, pause: float):
    for part in parts:
        yield part
        await asyncio.sleep(pause)


async def scripted_client(uri: str, idle_timeout: float, log: Log = _quiet, step: float = STEP,
                          student: Optional[str] = None, tls: Optional[ssl.SSLContext] = None,
                          host: Optional[str] = None) -> None:
    """Connection 1: handshake, text, binary, a fragmented message, a ping, a close handshake (1000).
    Connection 2: one message, then silence until the server drops the connection. With `student`, the first
    connection's path and first message name that student (`uri` is then taken as the server's root). `tls`:
    the client's context for a wss:// `uri`, whose host name is then reached at the address `host`."""
    from urllib.parse import quote

    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    first = uri + ("student/" + quote(student, safe="") if student else "")
    hello = f"Hello, WebSocket! I am {student}." if student else "Hello, WebSocket!"
    extra = {"ssl": tls, "host": host} if tls is not None else {}
    async with connect(first, ping_interval=None, open_timeout=5, close_timeout=5, **extra) as ws:
        log("client 1: connected")
        for message in (hello, "你好 (non-ASCII text is UTF-8)", bytes(range(12))):
            await asyncio.sleep(step)
            await ws.send(message)
            assert await ws.recv() == message
        await asyncio.sleep(step)
        await ws.send(_fragments(("a frag", "mented ", "message"), step / 2))
        assert await ws.recv() == "a fragmented message"
        await asyncio.sleep(step)
        pong = await ws.ping(b"are you there?")
        await asyncio.wait_for(pong, 5)
        await asyncio.sleep(step)
        await ws.close(1000, "bye")
        log("client 1: closed with 1000")

    await asyncio.sleep(step)
    async with connect(uri, ping_interval=None, open_timeout=5, close_timeout=5, **extra) as ws:
        log("client 2: connected; says one thing, then stays silent")
        await asyncio.sleep(step)
        await ws.send("anyone there?")
        assert await ws.recv() == "anyone there?"
        try:
            await asyncio.wait_for(ws.recv(), idle_timeout + 10)
        except ConnectionClosed:
            log("client 2: the server dropped the connection")
        else:
            raise RuntimeError("the server sent a message to an idle client instead of dropping it")
        await ws.wait_closed()


async def demo_traffic(port: int, idle_timeout: float = 2.0, host: str = HOST, log: Log = _quiet,
                       step: float = STEP, student: Optional[str] = None, tls: Optional[LabTls] = None,
                       keylog: Optional[str] = None) -> None:
    """The whole lab in one event loop: the echo server on `host:port` and the scripted client against it
    (`student`: see scripted_client). `tls`: over wss://, the client writing its TLS secrets to `keylog`."""
    opts = ServerOptions(host=host, port=port, idle_timeout=idle_timeout, idle_close="tcp", deflate=False, tls=tls)
    async with start_server(opts, log):
        if tls is not None:
            await scripted_client(f"wss://{TLS_NAME}:{port}/", idle_timeout, log, step, student,
                                  tls.client_context(keylog), host)
        else:
            uri = f"ws://[{host}]:{port}/" if ":" in host else f"ws://{host}:{port}/"
            await scripted_client(uri, idle_timeout, log, step, student)
        await asyncio.sleep(step)     # the last ACKs of the teardown
