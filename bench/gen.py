#!/usr/bin/env python3
"""Build the benchmark captures. Files go to bench/out/ (gitignored); they are never committed.

The main capture is made from real traffic, then replicated:

1. record: a `websockets` echo server and a batch of concurrent `websockets` clients talk over loopback while
   tcpdump captures lo (filtered on the server's port). Half the clients negotiate permessage-deflate; they send
   mostly small JSON-ish text messages and now and then a 10-100 KB text or binary message, plus a few pings,
   then close with 1000. The recording is kept as bench/out/seed.pcap and reused (--rerecord to redo it).
2. replicate: every complete recorded connection becomes a template. Copies of the templates are written with
   rewritten addresses (10.x.y.z clients, 10.0.0.x servers on ports 80/8080/9002), fresh ISNs and shifted
   timestamps, interleaved in time so that about --concurrency connections are open at once, until --packets
   packets are written. Segments larger than an Ethernet MSS (lo carries up to 64 KB at once) are cut into
   1448-byte segments, so a 100 KB message spans ~70 packets as it would on a real network. IPv4 and TCP
   checksums are correct.

--tls: the same clients (same seeds, so the same messages) over wss://: TLS 1.3 with Python's default suite
(TLS_AES_256_GCM_SHA384), a self-signed certificate for localhost, the clients' key log kept beside the seed
(bench/out/seed-tls.pcap + seed-tls.keys). Both seeds are then replicated to the same number of connections (the
TLS one sets it, from --packets), so bench/out/wss-N.pcap + wss-N.keys and its cleartext twin
bench/out/wss-N-clear.pcap carry the same connections and messages; the copies of one recorded connection share
its client random, so the key log has one line per recorded client, not per copy.

Adversarial shapes, synthetic, one file each:

  --shape ooo        one WebSocket connection whose client stream arrives in tiny (1-8 byte) segments, each
                     block of --ooo-window segments sent in reverse order (--packets segments in all)
  --shape fragments  one text message of --count one-byte fragments (one frame per TCP segment)
  --shape conns      --count short-lived WebSocket connections (handshake, one message each way, close, FIN);
                     --hold: one more, first, that stays open to the end

Recorded shapes (real `websockets` traffic on lo, replicated to --packets like the main capture; each keeps its
own seed, bench/out/seed-<shape>.pcap):

  --shape sessions   many real short sessions (~30 packets each): connect (half with permessage-deflate), 4-12
                     small messages echoed (15 % binary), a ping, close 1000, FIN teardown
  --shape feed       a few long connections of a market-data-like feed: the server pushes 60-300 byte JSON
                     updates in ticks of 1-8 messages written while the socket is corked (so a tick is one TCP
                     segment: several messages per segment), a binary book snapshot of 2-16 KB now and then,
                     pings; deflate on half the connections

Usage:
  python bench/gen.py                      # bench/out/ws-1000000.pcap
  python bench/gen.py --packets 2000000    # bench/out/ws-2000000.pcap
  python bench/gen.py --shape fragments    # bench/out/fragments-100000.pcap
  python bench/gen.py --shape sessions --packets 150000   # bench/out/sessions-150000.pcap
  python bench/gen.py --shape feed --packets 150000       # bench/out/feed-150000.pcap
  python bench/gen.py --tls --packets 200000   # bench/out/wss-200000.pcap + .keys, bench/out/wss-200000-clear.pcap
Recording needs root (or tcpdump with CAP_NET_RAW); replicating an existing seed does not.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import heapq
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pcapwrite import PcapWriter, fixed_sum, ip_words, tcp_frame  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
SEED = OUT / "seed.pcap"
SEED_TLS = OUT / "seed-tls.pcap"        # + seed-tls.keys
MSS = 1448
M32 = 0xFFFFFFFF
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def default_path(shape: str, n: int) -> Path:
    return OUT / (f"ws-{n}.pcap" if shape == "main" else f"{shape}-{n}.pcap")


# ------------------------------------------------------------------------------------------------------------
# 1. Recording real traffic
# ------------------------------------------------------------------------------------------------------------

_WORDS = ("price update order trade user session alpha beta gamma delta ticker quote bid ask volume open close "
          "high low chat room message typing presence online offline status ok error retry").split()


def _small_message(rng: random.Random, i: int) -> str:
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 30)))
    return f'{{"seq":{i},"type":"{rng.choice(_WORDS)}","body":"{words}","ts":{time.time():.6f}}}'


def _big_message(rng: random.Random, size: int):
    if rng.random() < 0.3:
        return rng.randbytes(size)                                   # incompressible binary
    parts, n = [], 0
    while n < size:
        w = rng.choice(_WORDS) + (str(rng.randint(0, 9999)) if rng.random() < 0.3 else "") + " "
        parts.append(w)
        n += len(w)
    return "".join(parts)[:size]


def _tls_contexts(folder: Path, keylog: Path) -> tuple:
    """A server context with a self-signed certificate for localhost, and a client context trusting it that
    writes its NSS key log to `keylog`."""
    import ssl

    from wsdissect.lab import make_tls
    made = make_tls()
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(made.cert_pem)
    key_path.write_bytes(made.key_pem)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert_path, key_path)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(cert_path)
    keylog.unlink(missing_ok=True)
    cctx.keylog_filename = str(keylog)
    return sctx, cctx


async def _traffic(port: int, clients: int, messages: int, big_every: float, seed: int,
                   tls: tuple | None = None) -> dict:
    from websockets.asyncio.client import connect
    from websockets.asyncio.server import serve

    async def echo(ws):
        async for msg in ws:
            await ws.send(msg)

    stats = {"messages": 0, "big": 0, "deflate": 0}

    async def client(k: int):
        rng = random.Random(seed * 1000 + k)
        deflate = k % 2 == 0
        stats["deflate"] += deflate
        scheme, extra = ("wss://localhost", {"ssl": tls[1], "host": "127.0.0.1"}) if tls else ("ws://127.0.0.1", {})
        async with connect(f"{scheme}:{port}/feed/{k}", compression="deflate" if deflate else None,
                           max_size=None, ping_interval=None, **extra) as ws:
            for i in range(messages):
                if rng.random() < big_every:
                    msg = _big_message(rng, rng.randint(10_000, 100_000))
                    stats["big"] += 1
                else:
                    msg = _small_message(rng, i)
                await ws.send(msg)
                await ws.recv()
                stats["messages"] += 1
                if rng.random() < 0.02:
                    await ws.ping(b"hb")
                await asyncio.sleep(rng.uniform(0.0, 0.01))

    async with serve(echo, "127.0.0.1", port, compression="deflate", max_size=None, ping_interval=None,
                     **({"ssl": tls[0]} if tls else {})):
        await asyncio.gather(*(client(k) for k in range(clients)))
        await asyncio.sleep(0.3)   # let the last FINs and ACKs pass
    return stats


async def _sessions_traffic(port: int, clients: int, messages: int, seed: int) -> dict:
    """Short real sessions: each client connects (even ones with permessage-deflate), sends 4-`messages`
    small messages (texts, a few binary) that the server echoes, pings once, closes with 1000. Clients start
    staggered, a few open at once."""
    from websockets.asyncio.client import connect
    from websockets.asyncio.server import serve

    async def echo(ws):
        async for msg in ws:
            await ws.send(msg)

    stats = {"messages": 0, "big": 0, "deflate": 0, "big_what": "binary"}

    async def client(k: int):
        rng = random.Random(seed * 1000 + k)
        deflate = k % 2 == 0
        stats["deflate"] += deflate
        await asyncio.sleep(k * 0.02 + rng.uniform(0, 0.02))
        async with connect(f"ws://127.0.0.1:{port}/s/{k}", compression="deflate" if deflate else None,
                           ping_interval=None) as ws:
            for i in range(rng.randint(4, max(4, messages))):
                if rng.random() < 0.15:
                    msg = rng.randbytes(rng.randint(16, 600))
                    stats["big"] += 1
                else:
                    msg = _small_message(rng, i)
                await ws.send(msg)
                await ws.recv()
                stats["messages"] += 1
                await asyncio.sleep(rng.uniform(0.001, 0.02))
            await (await ws.ping(b"hb"))

    async with serve(echo, "127.0.0.1", port, compression="deflate", ping_interval=None):
        await asyncio.gather(*(client(k) for k in range(clients)))
        await asyncio.sleep(0.3)
    return stats


_SYMBOLS = ("BTC-USD", "ETH-USD", "SOL-USD", "EUR-USD", "GBP-USD", "AAPL", "MSFT", "NVDA", "TSLA", "AMZN")


def _feed_update(rng: random.Random, i: int) -> str:
    """One 60-300 byte JSON market-data update."""
    sym = rng.choice(_SYMBOLS)
    kind = rng.random()
    if kind < 0.6:
        msg = (f'{{"e":"trade","s":"{sym}","i":{i},"p":{rng.uniform(1, 70000):.2f},'
               f'"q":{rng.uniform(0, 50):.4f},"m":{"true" if rng.random() < 0.5 else "false"}}}')
    elif kind < 0.9:
        lv = ",".join(f'["{rng.uniform(1, 70000):.2f}","{rng.uniform(0, 9):.3f}"]' for _ in range(rng.randint(1, 5)))
        msg = f'{{"e":"depth","s":"{sym}","u":{i},"b":[{lv}],"a":[{lv}]}}'
    else:
        msg = (f'{{"e":"ticker","s":"{sym}","o":{rng.uniform(1, 70000):.2f},"h":{rng.uniform(1, 70000):.2f},'
               f'"l":{rng.uniform(1, 70000):.2f},"c":{rng.uniform(1, 70000):.2f},"v":{rng.uniform(0, 1e6):.1f}}}')
    if len(msg) < 60:
        msg = msg[:-1] + ',"x":"' + "0" * (60 - len(msg) - 6) + '"}'
    return msg


async def _feed_traffic(port: int, clients: int, messages: int, seed: int) -> dict:
    """A feed: each client subscribes, then the server pushes `messages` updates in ticks of 1-8 messages,
    the socket corked during a tick (one segment per tick), a binary snapshot now and then, a ping now and
    then; the client sends a heartbeat text now and then; the server closes with 1000."""
    from websockets.asyncio.client import connect
    from websockets.asyncio.server import serve

    stats = {"messages": 0, "big": 0, "deflate": 0, "big_what": "binary snapshots of 2-16 KB"}

    async def feed(ws):
        rng = random.Random(seed * 7 + int(ws.request.path.rsplit("/", 1)[-1]))
        await ws.recv()                                              # the subscription
        sock = ws.transport.get_extra_info("socket")
        sent = 0
        while sent < messages:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            for _ in range(min(messages - sent, rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6, 8)))):
                await ws.send(_feed_update(rng, sent))
                sent += 1
            if rng.random() < 0.006:
                await ws.send(rng.randbytes(rng.randint(512, 4096)) * 4)  # a book snapshot: 2-16 KB
                stats["big"] += 1
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
            if rng.random() < 0.003:
                await ws.ping(b"hb")
            await asyncio.sleep(rng.uniform(0.0005, 0.004))
        stats["messages"] += sent
        await ws.close(1000)

    async def client(k: int):
        rng = random.Random(seed * 1000 + k)
        deflate = k % 2 == 0
        stats["deflate"] += deflate
        async with connect(f"ws://127.0.0.1:{port}/feed/{k}", compression="deflate" if deflate else None,
                           max_size=None, ping_interval=None) as ws:
            await ws.send('{"op":"subscribe","args":["trades","depth","ticker"]}')
            n = 0
            async for _ in ws:
                n += 1
                if rng.random() < 0.002:
                    await ws.send(f'{{"op":"ping","n":{n}}}')

    async with serve(feed, "127.0.0.1", port, compression="deflate", max_size=None, ping_interval=None):
        await asyncio.gather(*(client(k) for k in range(clients)))
        await asyncio.sleep(0.3)
    return stats


# Recorded shapes: (traffic, clients, messages per client, connections open at once when replicated)
RECORDED = {"sessions": (_sessions_traffic, 64, 12, 50), "feed": (_feed_traffic, 8, 2500, 8)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def record(path: Path, clients: int, messages: int, big_every: float, seed: int, keylog: Path | None = None,
           traffic=None) -> None:
    """Capture lo while clients talk to a local server; `traffic(port, clients, messages, seed)`, a coroutine
    function, replaces the main capture's echo traffic (the recorded shapes)."""
    exe = shutil.which("tcpdump")
    if exe is None:
        sys.exit("gen.py: tcpdump not found (apt-get install tcpdump)")
    port = _free_port()
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [exe, "-i", "lo", "--immediate-mode", "-U", "-n", "-s", "0", "-B", "65536", "-w", str(path)]
    if os.geteuid() == 0:
        cmd += ["-Z", "root"]
    cmd.append(f"tcp port {port}")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def pump():
        for line in proc.stderr:
            lines.append(line.rstrip())
            if "listening on" in line:
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    ready.wait(10)
    if proc.poll() is not None:
        sys.exit("gen.py: tcpdump did not start: " + " | ".join(lines))
    time.sleep(0.3)
    t = time.perf_counter()
    try:
        if traffic is not None:
            stats = asyncio.run(traffic(port, clients, messages, seed))
        elif keylog is None:
            stats = asyncio.run(_traffic(port, clients, messages, big_every, seed))
        else:
            import tempfile
            with tempfile.TemporaryDirectory() as tmp:
                tls = _tls_contexts(Path(tmp), keylog)
                stats = asyncio.run(_traffic(port, clients, messages, big_every, seed, tls))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
        time.sleep(0.1)
    print(f"recorded {clients} clients ({stats['deflate']} with permessage-deflate), {stats['messages']} "
          f"messages ({stats['big']} {stats.get('big_what', 'of 10-100 KB')}) in {time.perf_counter() - t:.1f} s; tcpdump: "
          + "; ".join(l for l in lines if "packets" in l), file=sys.stderr)
    if any("dropped by kernel" in l and not l.startswith("0 ") for l in lines):
        print("gen.py: warning: tcpdump reports kernel drops; templates with holes are skipped", file=sys.stderr)


# ------------------------------------------------------------------------------------------------------------
# 2. Templates from the recording
# ------------------------------------------------------------------------------------------------------------

def read_pcap(path: Path):
    """(ts_us, frame) of a classic pcap (what tcpdump writes)."""
    data = path.read_bytes()
    magic = struct.unpack_from("<I", data)[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        e = ">"
    else:
        sys.exit(f"gen.py: {path} is not a classic pcap file")
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    link = struct.unpack_from(e + "I", data, 20)[0] & 0x03FFFFFF
    off = 24
    rec = struct.Struct(e + "IIII")
    while off + 16 <= len(data):
        sec, frac, caplen, _ = rec.unpack_from(data, off)
        off += 16
        yield link, sec * 1_000_000 + (frac // 1000 if nano else frac), data[off:off + caplen]
        off += caplen


def _l3_offset(link: int, frame: bytes) -> int | None:
    if link == 1:
        return 14 if frame[12:14] == b"\x08\x00" else None
    if link == 113:
        return 16 if frame[14:16] == b"\x08\x00" else None
    if link == 276:
        return 20 if frame[0:2] == b"\x08\x00" else None
    if link in (101, 228):
        return 0
    return None


class Seg:
    """One template segment: times and sequence numbers relative to its connection."""
    __slots__ = ("dt", "c2s", "seq", "ack", "flags", "window", "options", "payload", "fsum")

    def __init__(self, dt, c2s, seq, ack, flags, window, options, payload):
        self.dt, self.c2s, self.seq, self.ack = dt, c2s, seq, ack
        self.flags, self.window, self.options, self.payload = flags, window, options, payload
        doff = ((20 + len(options)) >> 2) << 4
        self.fsum = fixed_sum((doff << 8) | flags, window, options, payload)


def _clamp_mss(options: bytes) -> bytes:
    """Rewrite the MSS option of a SYN (65495 on lo) to an Ethernet-sized 1460."""
    o = bytearray(options)
    i = 0
    while i < len(o):
        kind = o[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(o) or o[i + 1] < 2:
            break
        if kind == 2 and o[i + 1] == 4:
            o[i + 2:i + 4] = struct.pack("!H", MSS + 12)
        i += o[i + 1]
    return bytes(o)


def templates(seed: Path) -> list[list[Seg]]:
    conns: dict[tuple, list] = {}
    for link, ts, frame in read_pcap(seed):
        l3 = _l3_offset(link, frame)
        if l3 is None or frame[l3] >> 4 != 4 or frame[l3 + 9] != 6:
            continue
        ihl = (frame[l3] & 15) * 4
        total = struct.unpack_from("!H", frame, l3 + 2)[0] or len(frame) - l3
        t = l3 + ihl
        sport, dport, seq, ack, doff, flags, win = struct.unpack_from("!HHIIBBH", frame, t)
        hl = (doff >> 4) * 4
        src, dst = frame[l3 + 12:l3 + 16], frame[l3 + 16:l3 + 20]
        key = (src, sport, dst, dport)
        rkey = (dst, dport, src, sport)
        if rkey in conns:
            key = rkey
        conns.setdefault(key, []).append((ts, key == (src, sport, dst, dport), seq, ack, flags, win,
                                          frame[t + 20:t + hl], frame[t + hl:l3 + total]))
    out = []
    for key, pkts in conns.items():
        first = pkts[0]
        if not (first[4] & SYN and not first[4] & ACK):
            continue      # began before the capture
        synack = next((p for p in pkts if p[4] & SYN and p[4] & ACK), None)
        if synack is None or not any(p[4] & FIN for p in pkts):
            continue
        isn_c, isn_s, t0 = first[2], synack[2], first[0]
        segs = []
        for ts, c2s, seq, ack, flags, win, opts, payload in pkts:
            my, peer = (isn_c, isn_s) if c2s else (isn_s, isn_c)
            rseq = (seq - my) & M32
            rack = (ack - peer) & M32 if flags & ACK else 0
            if flags & SYN:
                opts = _clamp_mss(opts)
            dt = ts - t0
            if len(payload) <= MSS:
                segs.append(Seg(dt, c2s, rseq, rack, flags, win, opts, payload))
                continue
            # What the NIC would put on an Ethernet wire: MSS-sized pieces, PSH/FIN on the last one only. They
            # keep the super-segment's timestamp; the sort below is stable, so capture order is kept.
            n = (len(payload) + MSS - 1) // MSS
            for i in range(n):
                last = i == n - 1
                f = flags if last else flags & ~(PSH | FIN)
                segs.append(Seg(dt, c2s, (rseq + i * MSS) & M32, rack, f, win, opts,
                                payload[i * MSS:(i + 1) * MSS]))
        segs.sort(key=lambda s: s.dt)
        out.append(segs)
    return out


# ------------------------------------------------------------------------------------------------------------
# 3. Replication
# ------------------------------------------------------------------------------------------------------------

SERVER_PORTS = (80, 8080, 9002)


def _client_ip(k: int) -> bytes:
    return bytes((10, 1 + (k // 64516) % 200, 1 + (k // 254) % 254, 1 + k % 254))


def replicate(tmpls: list[list[Seg]], path: Path, packets: int, concurrency: int, seed: int,
              conns: int | None = None) -> int:
    """Write copies of the templates until `packets` are written; with `conns`, exactly that many connections
    (the first `conns` copies in template order), each whole, whatever the packet count."""
    rng = random.Random(seed)
    mean_dur = sum(t[-1].dt - t[0].dt for t in tmpls) / len(tmpls)
    spacing = max(1, int(mean_dur / concurrency))
    heap: list = []
    next_start = 1_700_000_000 * 1_000_000
    k = 0
    push, pop = heapq.heappush, heapq.heappop
    ident = 0
    with PcapWriter(path) as w:
        write = w.write
        while (heap or k < conns) if conns is not None else w.count < packets:
            while (not heap or next_start <= heap[0][0]) and (conns is None or k < conns):
                tm = tmpls[k % len(tmpls)]
                cip = _client_ip(k)
                sip = bytes((10, 0, 0, 1 + k % 3))
                cport = 1024 + (k * 7919) % 64000
                sport = SERVER_PORTS[k % len(SERVER_PORTS)]
                rep = (tm, cip, sip, cport, sport, rng.getrandbits(32), rng.getrandbits(32), next_start,
                       ip_words(cip) + ip_words(sip))
                push(heap, (next_start + tm[0].dt, k, 0, rep))
                k += 1
                next_start += rng.randint(spacing // 2, spacing * 3 // 2)
            ts, kk, i, rep = pop(heap)
            tm, cip, sip, cport, sport, isn_c, isn_s, t0, addr_sum = rep
            s = tm[i]
            ident += 1
            if s.c2s:
                frame = tcp_frame(cip, sip, cport, sport, (isn_c + s.seq) & M32,
                                  (isn_s + s.ack) & M32 if s.flags & ACK else 0, s.flags, s.window, s.options,
                                  s.payload, ident, s.fsum, addr_sum)
            else:
                frame = tcp_frame(sip, cip, sport, cport, (isn_s + s.seq) & M32,
                                  (isn_c + s.ack) & M32 if s.flags & ACK else 0, s.flags, s.window, s.options,
                                  s.payload, ident, s.fsum, addr_sum)
            write(ts, frame)
            if i + 1 < len(tm):
                push(heap, (t0 + tm[i + 1].dt, kk, i + 1, rep))
    return k


# ------------------------------------------------------------------------------------------------------------
# 4. Synthetic adversarial shapes
# ------------------------------------------------------------------------------------------------------------

def ws_frame(opcode: int, payload: bytes, fin: bool = True, mask: bytes | None = None, rsv: int = 0) -> bytes:
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if mask:
        payload = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        return head + mask + payload
    return head + payload


def handshake(key_seed: int, host: str, path: str = "/") -> tuple[bytes, bytes]:
    key = base64.b64encode(key_seed.to_bytes(16, "big")).decode()
    accept = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
    req = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    resp = (f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode()
    return req, resp


class Flow:
    """One synthetic TCP connection: keeps seq/ack and writes frames to a PcapWriter."""

    def __init__(self, w: PcapWriter, cip: bytes, sip: bytes, cport: int, sport: int) -> None:
        self.w, self.cip, self.sip, self.cport, self.sport = w, cip, sip, cport, sport
        self.cseq, self.sseq = 1000, 5000
        self.addr_sum = ip_words(cip) + ip_words(sip)
        self.ident = 0

    def send(self, ts: int, c2s: bool, flags: int, payload: bytes = b"", seq: int | None = None) -> None:
        self.ident += 1
        if c2s:
            s = self.cseq if seq is None else seq
            fr = tcp_frame(self.cip, self.sip, self.cport, self.sport, s & M32,
                           self.sseq & M32 if flags & ACK else 0, flags, 65535, b"", payload, self.ident,
                           None, self.addr_sum)
            if seq is None:
                self.cseq += len(payload) + (1 if flags & (SYN | FIN) else 0)
        else:
            s = self.sseq if seq is None else seq
            fr = tcp_frame(self.sip, self.cip, self.sport, self.cport, s & M32,
                           self.cseq & M32 if flags & ACK else 0, flags, 65535, b"", payload, self.ident,
                           None, self.addr_sum)
            if seq is None:
                self.sseq += len(payload) + (1 if flags & (SYN | FIN) else 0)
        self.w.write(ts, fr)

    def open_ws(self, ts: int, key_seed: int) -> int:
        req, resp = handshake(key_seed, f"10.0.0.1:{self.sport}")
        for c2s, flags, payload in ((True, SYN, b""), (False, SYN | ACK, b""), (True, ACK, b""),
                                    (True, PSH | ACK, req), (False, PSH | ACK, resp), (True, ACK, b"")):
            self.send(ts, c2s, flags, payload)
            ts += 20
        return ts

    def close(self, ts: int) -> int:
        for c2s, flags, payload in ((True, PSH | ACK, ws_frame(8, struct.pack("!H", 1000), mask=b"abcd")),
                                    (False, PSH | ACK, ws_frame(8, struct.pack("!H", 1000))),
                                    (False, FIN | ACK, b""), (True, FIN | ACK, b""), (False, ACK, b"")):
            self.send(ts, c2s, flags, payload)
            ts += 20
        return ts


T0 = 1_700_000_000 * 1_000_000


def shape_ooo(path: Path, packets: int, window: int, seed: int) -> None:
    """Tiny segments, each block of `window` segments in reverse order: every block keeps up to `window`
    segments waiting behind its hole until the block's first segment arrives last."""
    rng = random.Random(seed)
    with PcapWriter(path) as w:
        f = Flow(w, bytes((10, 1, 0, 1)), bytes((10, 0, 0, 1)), 40000, 80)
        ts = f.open_ws(T0, 1)
        stream = bytearray()
        budget = packets - w.count - 5
        block: list[tuple[int, bytes]] = []
        n = 0
        while n < budget:
            if len(stream) < 64:
                stream += ws_frame(1, _small_message(rng, n).encode(), mask=rng.randbytes(4))
            size = rng.randint(1, 8)
            piece, stream = bytes(stream[:size]), stream[size:]
            block.append((f.cseq, piece))
            f.cseq += len(piece)
            n += 1
            if len(block) == window or n == budget:
                for seq, piece in reversed(block):
                    f.send(ts, True, PSH | ACK, piece, seq=seq)
                    ts += 5
                block = []
                f.send(ts, False, ACK)
                ts += 5
                n += 1
        if stream:    # finish the last frame so the stream ends cleanly
            f.send(ts, True, PSH | ACK, bytes(stream))
            ts += 5
        f.close(ts)
    print(f"{path}: {w.count} packets, one connection, blocks of {window} tiny segments in reverse order",
          file=sys.stderr)


def shape_fragments(path: Path, count: int, seed: int) -> None:
    """One text message of `count` one-byte fragments, each frame in its own segment; ACK every 16."""
    with PcapWriter(path) as w:
        f = Flow(w, bytes((10, 1, 0, 2)), bytes((10, 0, 0, 1)), 40001, 80)
        ts = f.open_ws(T0, 2)
        mask = b"\x11\x22\x33\x44"
        for i in range(count):
            op = 1 if i == 0 else 0
            f.send(ts, True, PSH | ACK, ws_frame(op, b"abcdefghijklmnopqrstuvwxyz"[i % 26:i % 26 + 1],
                                                  fin=i == count - 1, mask=mask))
            ts += 10
            if i % 16 == 15:
                f.send(ts, False, ACK)
                ts += 10
        f.send(ts, False, ACK)
        f.close(ts + 10)
    print(f"{path}: {w.count} packets, one message of {count} one-byte fragments", file=sys.stderr)


MAIN_CONCURRENCY = 200     # connections open at once in the main capture
CONNS_CONCURRENCY = 50     # and in the conns shape
HOLD_STEPS = 9             # --hold: the held connection's steps of _conn_step (handshake, one message each way)


def shape_conns(path: Path, count: int, seed: int, concurrency: int = CONNS_CONCURRENCY, hold: bool = False) \
        -> None:
    """`count` short-lived WebSocket connections, about `concurrency` open at once: handshake, one message
    each way, close 1000, FIN teardown (14 packets each). `hold`: first, one more connection that opens, says
    one message each way and stays open to the end (what keeps every later one waiting in follow and flow)."""
    rng = random.Random(seed)
    gap = 40  # µs between steps of one connection
    with PcapWriter(path) as w:
        heap: list = []
        if hold:
            f = Flow(w, bytes((10, 255, 255, 254)), bytes((10, 0, 0, 1)), 65000, SERVER_PORTS[0])
            for step in range(HOLD_STEPS):
                _conn_step(f, T0 - (HOLD_STEPS - step) * gap, step, count, rng)
        for k in range(count):
            cip = _client_ip(k)
            f = Flow(w, cip, bytes((10, 0, 0, 1 + k % 3)), 1024 + (k * 7919) % 64000, SERVER_PORTS[k % 3])
            start = T0 + k * gap * 16 // concurrency
            heapq.heappush(heap, (start, k, 0, f))
            # Steps are written in time order across connections, so connections interleave.
            while heap and (heap[0][0] <= start or k == count - 1):
                ts, kk, step, fl = heapq.heappop(heap)
                if _conn_step(fl, ts, step, kk, rng):
                    heapq.heappush(heap, (ts + gap, kk, step + 1, fl))
    print(f"{path}: {w.count} packets, {count} short connections", file=sys.stderr)


def _conn_step(f: Flow, ts: int, step: int, k: int, rng: random.Random) -> bool:
    """Write step `step` of a short connection; False when it was the last."""
    if step < 6:
        if step == 0:
            f.req, f.resp = handshake(k + 1000, f"10.0.0.1:{f.sport}")
        c2s, flags, payload = ((True, SYN, b""), (False, SYN | ACK, b""), (True, ACK, b""),
                               (True, PSH | ACK, f.req), (False, PSH | ACK, f.resp), (True, ACK, b""))[step]
        f.send(ts, c2s, flags, payload)
        return True
    if step == 6:
        f.msg = _small_message(rng, k).encode()
        f.send(ts, True, PSH | ACK, ws_frame(1, f.msg, mask=rng.randbytes(4)))
    elif step == 7:
        f.send(ts, False, PSH | ACK, ws_frame(1, f.msg))
    elif step == 8:
        f.send(ts, True, ACK)
    elif step == 9:
        f.send(ts, True, PSH | ACK, ws_frame(8, struct.pack("!H", 1000), mask=b"abcd"))
    elif step == 10:
        f.send(ts, False, PSH | ACK, ws_frame(8, struct.pack("!H", 1000)))
    elif step == 11:
        f.send(ts, False, FIN | ACK)
    elif step == 12:
        f.send(ts, True, FIN | ACK)
    elif step == 13:
        f.send(ts, False, ACK)
        return False
    return True


# ------------------------------------------------------------------------------------------------------------

SHAPE_DEFAULTS = {"ooo": 200_000, "fragments": 100_000, "conns": 100_000, "sessions": 150_000, "feed": 150_000}


def build(shape: str = "main", packets: int = 1_000_000, count: int | None = None, out: Path | None = None,
          concurrency: int | None = None, ooo_window: int = 1000, seed: int = 5, rerecord: bool = False,
          clients: int = 24, messages: int = 150, big_every: float = 0.03, hold: bool = False) -> Path:
    """Build one benchmark file and return its path (also used by bench/run.py)."""
    OUT.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    if shape == "tls":
        return build_tls(packets, out, concurrency, seed, rerecord, clients, messages, big_every)
    if shape == "main":
        path = out or default_path("main", packets)
        if rerecord or not SEED.exists():
            record(SEED, clients, messages, big_every, seed)
        tmpls = templates(SEED)
        if not tmpls:
            sys.exit(f"gen.py: no complete connection in {SEED}; try --rerecord")
        n = replicate(tmpls, path, packets, concurrency or MAIN_CONCURRENCY, seed)
        print(f"{path}: {packets} packets, {n} connections from {len(tmpls)} recorded templates "
              f"({sum(len(x) for x in tmpls)} template packets) in {time.perf_counter() - t:.1f} s",
              file=sys.stderr)
        return path
    if shape in RECORDED:
        return build_recorded(shape, count or (packets if packets != 1_000_000 else SHAPE_DEFAULTS[shape]), out,
                              concurrency, seed, rerecord)
    n = count or (packets if shape == "ooo" and packets != 1_000_000 else SHAPE_DEFAULTS[shape])
    path = out or default_path(shape, n)
    if shape == "ooo":
        shape_ooo(path, n, ooo_window, seed)
    elif shape == "fragments":
        shape_fragments(path, n, seed)
    elif shape == "conns":
        shape_conns(path, n, seed, concurrency or CONNS_CONCURRENCY, hold)
    else:
        raise ValueError(shape)
    print(f"  built in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


def build_recorded(shape: str, packets: int, out: Path | None, concurrency: int | None, seed: int,
                   rerecord: bool) -> Path:
    """A recorded shape: its seed recorded once (bench/out/seed-<shape>.pcap), replicated to `packets`."""
    t = time.perf_counter()
    traffic, clients, messages, conc = RECORDED[shape]
    seed_path = OUT / f"seed-{shape}.pcap"
    if rerecord or not seed_path.exists():
        record(seed_path, clients, messages, 0.0, seed, traffic=traffic)
    tmpls = templates(seed_path)
    if not tmpls:
        sys.exit(f"gen.py: no complete connection in {seed_path}; try --rerecord")
    path = out or default_path(shape, packets)
    n = replicate(tmpls, path, packets, concurrency or conc, seed)
    print(f"{path}: {packets} packets, {n} connections from {len(tmpls)} recorded templates "
          f"({sum(len(x) for x in tmpls) / len(tmpls):.0f} packets each) in {time.perf_counter() - t:.1f} s",
          file=sys.stderr)
    return path


def tls_paths(packets: int, out: Path | None = None) -> tuple[Path, Path, Path]:
    """(wss capture, its key log, the cleartext twin) that `build_tls` writes."""
    wss = out or OUT / f"wss-{packets}.pcap"
    return wss, wss.with_suffix(".keys"), wss.with_name(wss.stem + "-clear.pcap")


def build_tls(packets: int, out: Path | None, concurrency: int | None, seed: int, rerecord: bool, clients: int,
              messages: int, big_every: float) -> Path:
    """The main capture over TLS (+ key log) and its cleartext twin with the same connections."""
    t = time.perf_counter()
    keys_seed = SEED_TLS.with_suffix(".keys")
    if rerecord or not SEED_TLS.exists() or not keys_seed.exists():
        record(SEED_TLS, clients, messages, big_every, seed, keylog=keys_seed)
        record(SEED, clients, messages, big_every, seed)     # the twin: the same seeds, so the same messages
    elif not SEED.exists():
        record(SEED, clients, messages, big_every, seed)
    tls, clear = templates(SEED_TLS), templates(SEED)
    if not tls or len(tls) != len(clear):
        sys.exit(f"gen.py: {len(tls)} complete connections over TLS, {len(clear)} in the clear; try --rerecord")
    per = sum(len(x) for x in tls) / len(tls)
    conns = max(1, round(packets / per / len(tls))) * len(tls)          # every template as often
    wss, keys, twin = tls_paths(packets, out)
    shutil.copyfile(keys_seed, keys)
    n_tls = replicate(tls, wss, 0, concurrency or MAIN_CONCURRENCY, seed, conns=conns)
    n_clear = replicate(clear, twin, 0, concurrency or MAIN_CONCURRENCY, seed, conns=conns)
    print(f"{wss} (+ {keys.name}): {_count(wss)} packets; {twin}: {_count(twin)} packets; {n_tls} = {n_clear} "
          f"connections from {len(tls)} templates each, in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return wss


def _count(path: Path) -> int:
    return sum(1 for _ in read_pcap(path))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--packets", type=int, default=1_000_000, help="packets of the main capture (default 1M) "
                    "and of --shape sessions/feed (default 150k); for --shape ooo, the number of segments (default 200k)")
    ap.add_argument("--shape", choices=("main", "ooo", "fragments", "conns", "sessions", "feed"), default="main")
    ap.add_argument("--tls", action="store_true", help="the main capture over TLS 1.3 with its key log, and the "
                    "same connections in the clear (bench/out/wss-N.pcap, .keys, wss-N-clear.pcap)")
    ap.add_argument("--count", type=int, help="fragments (default 100k) or connections (default 100k) of a shape")
    ap.add_argument("--out", type=Path, help="output file (default bench/out/<shape>-<n>.pcap)")
    ap.add_argument("--concurrency", type=int, help="connections open at once (default 200 in the main capture, "
                    f"{CONNS_CONCURRENCY} in --shape conns; --count with --shape conns opens them all together)")
    ap.add_argument("--ooo-window", type=int, default=1000, help="segments per reversed block (--shape ooo)")
    ap.add_argument("--rerecord", action="store_true", help="record bench/out/seed.pcap again")
    ap.add_argument("--clients", type=int, default=24, help="concurrent clients while recording")
    ap.add_argument("--messages", type=int, default=150, help="messages per client while recording")
    ap.add_argument("--hold", action="store_true", help="--shape conns: one connection before the others that "
                    "stays open to the end")
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args(argv)
    build("tls" if a.tls else a.shape, a.packets, a.count, a.out, a.concurrency, a.ooo_window, a.seed, a.rerecord,
          a.clients,
          a.messages, hold=a.hold)


if __name__ == "__main__":
    main()
