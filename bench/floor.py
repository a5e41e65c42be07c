#!/usr/bin/env python3
"""The floor of any pure-Python design that writes a row per packet.

  python bench/floor.py                      # bench/out/ws-200000.pcap, best of 3, against tshark
  python bench/floor.py FILE.pcap --rounds 5

A skeleton of `read --json` that does only what no design can skip, each step in its cheapest CPython form:
one mmap of the file, one struct call per pcap record, one struct call for the Ethernet/IPv4/TCP headers, one
dict lookup for the connection, one %-formatted line of the packet row's fields (numbers, addresses, flags;
labels and Info are constant strings), written in 256 KB batches. It does no reassembly, parses no HTTP or
WebSocket, writes no frame or message record and escapes no text, and it is only correct for the benchmark
files (classic pcap, Ethernet, IPv4, no IP options). So it costs less than any real analyzer in CPython could:
if this loop alone is slower than the target, the target needs compiled code on the per-packet path, not
better Python. It prints three floors against one tshark run:

  skeleton           the loop above
  + payloads         and every payload written in base64, the cheapest spelling of the message bodies that
                     `read --json` must also write (text is escaped instead, which costs more)
  stats skeleton     the floor of `stats`: count the frame header that starts each payload, per connection; no
                     reassembly, no unmasking, no inflating, no output
  inflate alone      zlib inflating every compressed message of the capture, nothing else: the floor of any
                     design, compiled or not, that reports message sizes (both `read --json` and `stats` do), when
                     it runs on one core. The messages are found first by wsdissect's own analyzer (not timed).
"""
from __future__ import annotations

import argparse
import binascii
import mmap
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"

_RECORD = struct.Struct("<IIII")                          # pcap record header: ts_sec, ts_usec, incl_len, orig_len
# Ethernet (14) + IPv4 without options (20) + TCP (20): ethertype, IP total length, addresses, ports, seq,
# ack, data offset, flags, window.
_HEADERS = struct.Struct("!12xH2xH8x4s4sHHIIBBH")
b64 = binascii.b2a_base64
_FLAGS = {f: ",".join(n for bit, n in ((1, "FIN"), (2, "SYN"), (4, "RST"), (8, "PSH"), (16, "ACK")) if f & bit)
          for f in range(32)}


def skeleton(path: str, out, bodies: bool = False) -> int:
    """Write one JSON-like line per TCP packet of `path` to `out`; return the number of records read.
    With `bodies`, also one line per packet with payload carrying that payload in base64: a stand-in for the
    message records' bodies, which `read --json` must write too (base64 is the cheapest of its two spellings;
    escaping text costs more)."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        record, headers = _RECORD.unpack_from, _HEADERS.unpack_from
        conns: dict = {}
        lines: list = []
        add = lines.append
        off, end, no = 24, len(buf), 0
        while off + 16 <= end:
            sec, usec, incl, wire = record(buf, off)
            off += 16
            no += 1
            ethertype, total, src, dst, sport, dport, seq, ack, doff, flags, win = headers(buf, off)
            off += incl
            if ethertype != 0x0800:
                continue
            plen = total - 20 - (doff >> 4) * 4
            key = (src, sport, dst, dport)
            c = conns.get(key)
            if c is None:
                c = conns[key] = (len(conns), seq, f'"src":"{src.hex()}:{sport}","dst":"{dst.hex()}:{dport}"')
            add('{"type":"packet","no":%d,"ts":%d.%06d,"conn":%d,%s,"flags":"%s","seq":%d,"ack":%d,"len":%d,'
                '"frame_len":%d,"protocol":"TCP","role":"ack","label":"-","info":"-","notes":[]}\n'
                % (no, sec, usec, c[0], c[2], _FLAGS[flags & 31], (seq - c[1]) & 0xFFFFFFFF, ack, plen, wire))
            if bodies and plen:
                start = off - incl + 54 + (doff >> 4) * 4 - 20
                add('{"type":"message","no":%d,"data_b64":"%s"}\n' % (no, b64(buf[start:start + plen]).decode()))
            if len(lines) >= 2048:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))
        return no


def stats_skeleton(path: str) -> int:
    """The floor of `stats`: per connection, count the WebSocket frame headers that start a TCP payload and
    their lengths (no reassembly, so frames that span or share segments are miscounted; no output). Its loop
    repeats skeleton()'s head on purpose: a record generator shared by both would add its own per-packet cost to
    the floors it measures."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        record, headers = _RECORD.unpack_from, _HEADERS.unpack_from
        counts: dict = {}
        off, end, no = 24, len(buf), 0
        while off + 16 <= end:
            sec, usec, incl, wire = record(buf, off)
            off += 16
            no += 1
            ethertype, total, src, dst, sport, dport, seq, ack, doff, flags, win = headers(buf, off)
            start = off + 54 + (doff >> 4) * 4 - 20
            off += incl
            if ethertype != 0x0800:
                continue
            key = (src, sport, dst, dport)
            c = counts.get(key)
            if c is None:
                c = counts[key] = [0] * 16 + [0]
            if total - 20 - (doff >> 4) * 4 >= 2:
                b0, b1 = buf[start], buf[start + 1]
                c[b0 & 15] += 1
                c[16] += b1 & 127
        return no


def compressed_messages(path: str) -> list:
    """[(direction key, compressed payload)] of every permessage-deflate message in `path`, in capture order,
    as wsdissect's analyzer reassembles them (frames unmasked, a fragmented message's payloads joined)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from wsdissect.analyzer import Analyzer
    from wsdissect.sources.pcap import open_capture
    analyzer = Analyzer()
    out, parts = [], {}
    for raw in open_capture(path):
        row = analyzer.feed(raw)
        for f in (row.frames if row is not None else ()):
            if f.opcode > 2 or f.payload is None:
                continue                         # control frames; a payload the analyzer did not keep
            key = (f.conn, f.direction)
            if f.opcode:                         # a message's first frame: compressed when RSV1 is set
                parts[key] = [f.payload] if f.rsv & 4 else None
            if parts.get(key) is not None:
                if not f.opcode:
                    parts[key].append(f.payload)
                if f.fin:
                    out.append((key, b"".join(parts.pop(key))))
    return out


def inflate_all(messages: list) -> int:
    """Inflate each message as the receiver would (one window per direction, carried over), nothing else."""
    streams: dict = {}
    produced = 0
    for key, payload in messages:
        d = streams.get(key)
        if d is None:
            d = streams[key] = zlib.decompressobj(-15)
        try:
            produced += len(d.decompress(payload)) + len(d.decompress(b"\x00\x00\xff\xff"))
        except zlib.error:
            streams[key] = zlib.decompressobj(-15)     # no context takeover on this side: start afresh
            produced += len(streams[key].decompress(payload + b"\x00\x00\xff\xff"))
    return produced


def best_of(rounds: int, fn, *args) -> float:
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t)
    return best


def run_skeleton(path: str, bodies: bool = False) -> int:
    with open("/dev/null", "w") as sink:
        return skeleton(path, sink, bodies)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("capture", nargs="?", type=Path, default=OUT / "ws-200000.pcap")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args(argv)
    if not a.capture.exists():
        ap.error(f"{a.capture}: no such file (python bench/gen.py --packets 200000 makes the default one)")
    path = str(a.capture)
    n = run_skeleton(path)
    floor = best_of(a.rounds, run_skeleton, path)
    with_bodies = best_of(a.rounds, run_skeleton, path, True)
    stats = best_of(a.rounds, stats_skeleton, path)
    messages = compressed_messages(path)
    inflated = inflate_all(messages)
    inflate = best_of(a.rounds, inflate_all, messages)
    tshark = best_of(a.rounds, lambda: subprocess.run(["tshark", "-r", path, "-Y", "websocket"],
                                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                                      check=True))
    print(f"{path}: {n:,} packets, best of {a.rounds}")
    print(f"  skeleton (no analysis, one line per packet): {floor:6.2f} s  {floor / n * 1e6:5.2f} µs/packet  "
          f"{floor / tshark:.2f}× tshark")
    print(f"  skeleton + payloads in base64:               {with_bodies:6.2f} s  {with_bodies / n * 1e6:5.2f} µs/packet  "
          f"{with_bodies / tshark:.2f}× tshark")
    print(f"  stats skeleton (frame headers counted):      {stats:6.2f} s  {stats / n * 1e6:5.2f} µs/packet  "
          f"{stats / tshark:.2f}× tshark")
    print(f"  {'inflate alone (compressed messages):':45}{inflate:6.2f} s  {inflate / n * 1e6:5.2f} µs/packet  "
          f"{inflate / tshark:.2f}× tshark   ({len(messages):,} messages, {inflated / 1e6:.0f} MB out)")
    print(f"  tshark -r F -Y websocket:                    {tshark:6.2f} s  {tshark / n * 1e6:5.2f} µs/packet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
