#!/usr/bin/env python3
"""Record the wss:// reference captures (TLS 1.3 and 1.2, one per cipher suite) and their NSS key logs.

A `websockets` server with a TLS context (a self-signed certificate made with `cryptography`) and a `websockets`
client whose SSLContext has `keylog_filename` set talk over loopback 127.0.0.1:9443 while tcpdump captures `lo`.
Python's ssl module cannot choose TLS 1.3 cipher suites, so each session runs in a child process whose
OPENSSL_CONF names a configuration with `Ciphersuites = ...`: OpenSSL applies it to every SSL_CTX it makes.

    sudo python captures/wss/record_wss.py            # writes wss-<suite>.pcap and wss-<suite>.keys here
    sudo python captures/wss/record_wss.py --only tls12-aes128gcm

A tool for maintainers: it imports nothing from wsdissect.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST, PORT = "127.0.0.1", 9443
SUITES = {"aes128gcm": "TLS_AES_128_GCM_SHA256", "aes256gcm": "TLS_AES_256_GCM_SHA384",
          "chacha20": "TLS_CHACHA20_POLY1305_SHA256",
          # ALPN h2 chosen (in TLS 1.3's EncryptedExtensions); the websockets client still sends its HTTP/1.1 GET
          "alpn-h2": "TLS_AES_128_GCM_SHA256"}
# TLS 1.2: Python's ssl sets these itself (SSLContext.set_ciphers, maximum_version); the key log has CLIENT_RANDOM.
SUITES_12 = {"tls12-aes128gcm": "ECDHE-ECDSA-AES128-GCM-SHA256", "tls12-aes256gcm": "ECDHE-ECDSA-AES256-GCM-SHA384",
             "tls12-chacha20": "ECDHE-ECDSA-CHACHA20-POLY1305",
             # AES-CBC: RSA key exchange and ECDHE-RSA need the RSA certificate; "-mte" sessions turn
             # encrypt-then-MAC (RFC 7366, OpenSSL's default) off, so their records are MAC-then-encrypt.
             "tls12-rsa-aes128cbc-sha-mte": "AES128-SHA", "tls12-aes256cbc-sha384-mte": "ECDHE-RSA-AES256-SHA384",
             "tls12-aes128cbc-sha256-etm": "ECDHE-ECDSA-AES128-SHA256"}
# Other conversations over one suite each (TLS 1.3 AES-128-GCM, or TLS 1.2 ECDHE-ECDSA-AES128-GCM): name ->
# (scenario, TLS 1.2 cipher or "" for TLS 1.3). Scenarios: `session` below says what each one does.
SCENES = {"deflate": ("deflate", ""), "tls12-deflate": ("deflate", "ECDHE-ECDSA-AES128-GCM-SHA256"),
          "multi": ("multi", ""), "idle": ("idle", ""), "tls12-idle": ("idle", "ECDHE-ECDSA-AES128-GCM-SHA256")}
IDLE = 1.0                                    # the idle scenario's server drops a client silent this long
SSL_OP_NO_ENCRYPT_THEN_MAC = 1 << 19          # OpenSSL's option; Python's ssl has no name for it
OPENSSL_CONF = """openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Ciphersuites = {suite}
MinProtocol = TLSv1.3
"""


def make_cert(folder: Path, rsa_key: bool = False) -> tuple:
    """The lab's self-signed certificate for localhost (wsdissect.lab.make_tls), written to `folder`."""
    from wsdissect.lab import make_tls
    made = make_tls(rsa_key)
    kind = "rsa" if rsa_key else "ec"
    cert_path, key_path = folder / f"cert-{kind}.pem", folder / f"key-{kind}.pem"
    cert_path.write_bytes(made.cert_pem)
    key_path.write_bytes(made.key_pem)
    return cert_path, key_path


async def session(cert: Path, key: Path, keylog: Path, cipher12: str = "", no_etm: bool = False,
                  alpn: str = "", scene: str = "echo") -> None:
    """echo: one wss connection, three messages echoed, then a Close 1000 from the client. deflate: the same
    with permessage-deflate (a repeated text twice, so the second reuses the window). multi: three clients at
    once, their messages interleaved. idle: the client says `hello` then nothing; after IDLE seconds the server
    closes the TCP socket (its TLS close_notify, then FIN) with no WebSocket Close frame."""
    from websockets.asyncio.client import connect
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    async def echo(ws):
        if scene == "idle":
            while True:
                try:
                    msg = await asyncio.wait_for(ws.recv(), IDLE)
                except asyncio.TimeoutError:
                    ws.transport.close()          # FIN (after close_notify), no Close frame
                    await ws.wait_closed()
                    return
                await ws.send(msg)
        async for msg in ws:
            await ws.send(msg)

    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert, key)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(cert)
    cctx.keylog_filename = str(keylog)
    if alpn:                                  # both offer only this: the server chooses it
        for ctx in (sctx, cctx):
            ctx.set_alpn_protocols([alpn])
    if cipher12:
        for ctx in (sctx, cctx):
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        cctx.set_ciphers(cipher12)
        sctx.set_ciphers(cipher12)            # Python's server default leaves out RSA key exchange and SHA-1
        if no_etm:
            cctx.options |= SSL_OP_NO_ENCRYPT_THEN_MAC
    compression = "deflate" if scene == "deflate" else None

    async def client(path: str, messages) -> None:
        async with connect(f"wss://localhost:{PORT}{path}", ssl=cctx, compression=compression,
                           ping_interval=None, host=HOST) as ws:
            for msg in messages:
                await ws.send(msg)
                await ws.recv()
                await asyncio.sleep(0.1)
            if scene == "idle":
                try:
                    await ws.recv()
                except ConnectionClosed as exc:
                    assert exc.rcvd is None and exc.sent is None, exc
                await ws.wait_closed()

    async with serve(echo, HOST, PORT, ssl=sctx, compression=compression, ping_interval=None):
        if scene == "multi":
            await asyncio.gather(*(client(f"/room/{k}", [f"hello from {k}", f"second {k}", bytes([k] * 8)])
                                   for k in range(3)))
        elif scene == "deflate":
            text = "the quick brown fox jumps over the lazy dog " * 8
            await client("/chat", ["hello", text, text, bytes(range(16)) * 4])
        elif scene == "idle":
            await client("/chat", ["hello"])
        else:
            await client("/chat", ["hello", "hello 你好", bytes(range(16))])
        await asyncio.sleep(0.2)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=str(Path(__file__).parent))
    p.add_argument("--session", help=argparse.SUPPRESS)        # child: run one session (OPENSSL_CONF set)
    p.add_argument("--cert", help=argparse.SUPPRESS)
    p.add_argument("--key", help=argparse.SUPPRESS)
    p.add_argument("--cipher12", default="", help=argparse.SUPPRESS)
    p.add_argument("--no-etm", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--alpn", default="", help=argparse.SUPPRESS)
    p.add_argument("--scene", default="echo", help=argparse.SUPPRESS)
    p.add_argument("--only", nargs="*", help="record only these (e.g. tls12-aes128gcm)")
    a = p.parse_args()
    if a.session:
        asyncio.run(session(Path(a.cert), Path(a.key), Path(a.session), a.cipher12, a.no_etm, a.alpn, a.scene))
        return
    out = Path(a.out)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        certs = {False: make_cert(tmp), True: make_cert(tmp, rsa_key=True)}
        scenes = {n: (c or SUITES["aes128gcm"]) for n, (_, c) in SCENES.items()}
        for name, suite in {**SUITES, **SUITES_12, **scenes}.items():
            if a.only and name not in a.only:
                continue
            conf = tmp / f"{name}.cnf"
            tls13 = name in SUITES or (name in SCENES and not SCENES[name][1])
            conf.write_text(OPENSSL_CONF.format(suite=suite) if tls13 else "")
            pcap, keys = out / f"wss-{name}.pcap", out / f"wss-{name}.keys"
            keys.unlink(missing_ok=True)
            dump = subprocess.Popen(["tcpdump", "-i", "lo", "--immediate-mode", "-U", "-w", str(pcap),
                                     f"tcp port {PORT}"], stderr=subprocess.DEVNULL)
            time.sleep(1.0)
            cipher12 = SUITES_12.get(name, "") or SCENES.get(name, ("", ""))[1]
            cert, key = certs["RSA" in cipher12 or cipher12.startswith("AES")]
            try:
                subprocess.run([sys.executable, __file__, "--session", str(keys), "--cert", str(cert),
                                "--key", str(key), "--cipher12", cipher12,
                                *(["--no-etm"] if name.endswith("-mte") else []),
                                *(["--alpn", "h2"] if name == "alpn-h2" else []),
                                "--scene", SCENES.get(name, ("echo",))[0]],
                               env={**os.environ, "OPENSSL_CONF": str(conf)}, check=True)
                time.sleep(0.5)
            finally:
                dump.terminate()
                dump.wait()
            print(f"{pcap.name}: {pcap.stat().st_size} bytes, {keys.name}: {len(keys.read_text().splitlines())} lines")


if __name__ == "__main__":
    main()
