#!/usr/bin/env python3
"""How many packets per second `wsdissect live` keeps up with on loopback. Needs root.

  python bench/live.py                          # rates 5k,10k,20k,40k pkts/s, 5 s each, JSON and timeline, twice
  python bench/live.py --rates 15000,20000,25000 --seconds 10
  python bench/live.py --json --repeat 1        # only `live --json`, one run per rate
  python bench/live.py --save bench/out/live.json

For each target rate and each output mode, one run is:

1. a `websockets` echo server (its own process) on a free loopback port P;
2. `wsdissect live --port P [--json]` as a child process, its stdout going to a file on tmpfs (/dev/shm,
   memory) rather than /dev/null, so that the summary can be read back: there live says how many packets it
   captured and how many the kernel dropped (PACKET_STATISTICS); it is ready when it says "capturing on" on
   stderr;
3. an independent packet counter in this process: an AF_PACKET socket on lo with the same filter
   (`tcp port P`, compiled by `tcpdump -dd`) that also rejects loopback's outgoing copies in the kernel, with a
   tiny receive buffer and never read: the kernel's tp_packets (queued + dropped) counts every matching packet
   on the wire, each once, with no user-space work (a tcpdump -w in parallel would compete for the CPU);
4. the load: --client-procs processes of real `websockets` clients (asyncio; --conns connections in all, no
   compression, no keepalive pings), each connection sending small text messages (--size bytes) paced so
   that the aggregate is target / --ppm messages per second, the server echoing each one; for --seconds s;
5. then the clients close (close handshake, FIN), this script waits until live's output stops growing (it has
   drained its socket buffer), and stops live with SIGINT, as a user would.

Columns: target (packets/s asked for), wire (packets/s counted on lo during the load), msgs/s (echoes the
clients got back per second), analysed (the packets live handed to the analyzer, from its summary, over the
whole run), drops (the kernel's count for live's socket, from its summary), wire total (the counter, same
span as live's socket: analysed + drops = wire total when live rejects loopback's outgoing copies in its
filter; a live that reads them counts their drops too), live CPU (% of one core during the load window), load
CPU (server + clients, % of one core), busy (the whole machine, cores in use), sirq (of which softirq:
loopback's TCP and packet-socket work, charged to no process), drain (seconds after the load ended until
live's output stopped growing: how far behind it was; a live that keeps up drains in ~0.2 s), drops
connect/load/close (live's socket's drops by phase, from `ss -0 -m`: the connection storm at the start, the
load, the closes and the drain).

The machine this was written on has 2 cores, shared by wsdissect, the echo server and the clients (and by
whatever else runs there): the generator competes with live for the CPU. Each rate runs --repeat times and
the better run (fewest drops, then shortest drain) is shown.
"""
from __future__ import annotations

import argparse
import asyncio
import ctypes
import datetime as dt
import json
import os
import platform
import re
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import wsdissect_cmd  # noqa: E402 -- the installed wsdissect, or a source tree's (--ws-tree)

HOST = "127.0.0.1"
HERE = Path(__file__).resolve()
TICK = os.sysconf("SC_CLK_TCK")


# ---- the echo server and the clients (run as child processes of this script) -----------------------------------

def role_server(port: int) -> None:
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    async def echo(ws):
        try:
            async for message in ws:
                await ws.send(message)
        except ConnectionClosed:
            pass

    async def main():
        async with serve(echo, HOST, port, compression=None, ping_interval=None, max_queue=None,
                         reuse_port=True, backlog=1024):
            print("ready", flush=True)
            await asyncio.Future()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    asyncio.run(main())


def role_client(port: int, conns: int, rate: float, seconds: float, size: int) -> None:
    """Connect `conns` clients, say "connected", wait for "go" on stdin, send `rate` messages/s in all for
    `seconds` (round robin over the connections), wait for the echoes, say what was sent, wait for "close",
    close every connection (close handshake) and say "closed"."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async def main():
        loop = asyncio.get_running_loop()
        url = f"ws://{HOST}:{port}/"
        wss = []
        for i in range(0, conns, 50):   # not all at once: the server's accept backlog
            wss += await asyncio.gather(*(connect(url, compression=None, ping_interval=None, open_timeout=30,
                                                  max_queue=None) for _ in range(min(50, conns - i))))
        received = 0

        async def reader(ws):
            nonlocal received
            try:
                async for _ in ws:
                    received += 1
            except ConnectionClosed:
                pass

        readers = [asyncio.create_task(reader(ws)) for ws in wss]
        print(json.dumps({"connected": len(wss)}), flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)

        pad = "x" * max(0, size - 11)
        sent = skipped = 0                   # skipped: messages not sent because the generator fell behind
        n = len(wss)
        burst = max(1, int(rate * 0.05))     # at most 50 ms worth at once
        t0 = loop.time()
        while True:
            elapsed = loop.time() - t0
            if elapsed >= seconds:
                break
            due = int(rate * elapsed) - sent - skipped
            if due > burst:
                skipped += due - burst
                due = burst
            for _ in range(due):
                await wss[sent % n].send(f"{sent:>10} {pad}")
                sent += 1
            await asyncio.sleep(0.002)
        send_time = loop.time() - t0
        end = loop.time() + 2.0
        while received < sent and loop.time() < end:
            await asyncio.sleep(0.01)
        print(json.dumps({"sent": sent, "received": received, "seconds": send_time, "skipped": skipped}),
              flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        await asyncio.gather(*(ws.close() for ws in wss), return_exceptions=True)
        await asyncio.gather(*readers, return_exceptions=True)
        print(json.dumps({"closed": len(wss)}), flush=True)

    asyncio.run(main())


# ---- the independent packet counter ----------------------------------------------------------------------------

_SOL_PACKET, _PACKET_STATISTICS, _SO_ATTACH_FILTER, _ETH_P_ALL = 263, 6, 26, 3
_SKF_AD_PKTTYPE = 0xFFFFF000 + 4          # SKF_AD_OFF + SKF_AD_PKTTYPE: the skb's pkt_type, in a classic BPF load
_PACKET_OUTGOING = 4


def bpf_program(expr: str, iface: str = "lo") -> list[tuple[int, int, int, int]]:
    """`expr` compiled by tcpdump (-dd: C array of struct sock_filter) for `iface`'s link type."""
    out = subprocess.run(["tcpdump", "-dd", "-i", iface, expr], capture_output=True, text=True, check=True).stdout
    return [tuple(int(x, 0) for x in m.groups())
            for m in re.finditer(r"\{\s*(0x[0-9a-f]+),\s*(\d+),\s*(\d+),\s*(0x[0-9a-f]+)\s*\}", out)]


def incoming_only(prog: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Prefix `prog` with "pkt_type == PACKET_OUTGOING -> reject": loopback's outgoing copies never queue."""
    return [(0x20, 0, 0, _SKF_AD_PKTTYPE),                     # ld  [pkttype]
            (0x15, len(prog), 0, _PACKET_OUTGOING)] + prog + [  # jeq #4 -> the ret #0 after prog
            (0x06, 0, 0, 0)]                                   # ret #0


def attach_bpf(sock: socket.socket, prog: list[tuple[int, int, int, int]]) -> None:
    insns = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in prog))
    fprog = struct.pack("HL", len(prog), ctypes.addressof(insns))
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)


class PacketCounter:
    """Counts the packets matching `tcp port P` on lo, each once, by the kernel's statistics of a packet socket
    that is never read (its tiny buffer fills at once; tp_packets counts queued and dropped alike)."""

    def __init__(self, port: int, iface: str = "lo"):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
        attach_bpf(self.sock, incoming_only(bpf_program(f"tcp port {port}", iface)))
        self.sock.bind((iface, _ETH_P_ALL))
        self.total = 0
        self.take()

    def take(self) -> int:
        """Packets since the last call (the kernel resets its counters when they are read)."""
        packets, drops = struct.unpack("II", self.sock.getsockopt(_SOL_PACKET, _PACKET_STATISTICS, 8))
        n = packets      # Linux reports tp_packets = queued + dropped
        self.total += n
        return n

    def close(self) -> None:
        self.sock.close()


# ---- measuring -------------------------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError):
        return 0.0


def machine_busy() -> tuple[float, float, float]:
    """(busy, softirq, total) jiffies of all CPUs, from /proc/stat. Loopback's TCP and packet-socket work runs in
    softirq context and is counted there, not in any process's CPU time."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v[:8]) - idle, v[6], sum(v[:8])


def socket_drops(pid: int) -> int | None:
    """Packets the kernel dropped so far for the packet socket(s) of process `pid` (`ss -0 -m -p`: sk_drops),
    read between the phases of a run to say when drops happened."""
    try:
        text = subprocess.run(["ss", "-0", "-m", "-p", "-H"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    drops, found = 0, False
    for sock in re.split(r"\n(?=\S)", text):
        if f"pid={pid}," in sock:
            m = re.search(r"skmem:\([^)]*\bd(\d+)", sock)
            if m:
                drops += int(m.group(1))
                found = True
    return drops if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Lines:
    """A child's output lines, read by a thread; `wait(pred, timeout)` returns the first line that fits."""

    def __init__(self, stream):
        self.lines: list = []
        self.cond = threading.Condition()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream):
        for line in stream:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)
            self.cond.notify_all()

    def wait(self, pred, timeout: float, what: str) -> str:
        end = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for line in self.lines[seen:]:
                    if line is None:
                        raise RuntimeError(f"{what}: the process ended ({''.join(self.lines[:-1])[-800:]})")
                    if pred(line):
                        self.lines.remove(line)
                        return line
                seen = 0
                left = end - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{what}: nothing within {timeout} s ({''.join(self.lines)[-800:]})")
                self.cond.wait(left)

    def text(self) -> str:
        with self.cond:
            return "".join(x for x in self.lines if x is not None)


# The note may be wrapped over lines by the timeline: any run of white space between its words.
_CAPTURED = re.compile(r"(\d+)\s+packets?\s+captured(?:,\s+(\d+)\s+dropped\s+by\s+the\s+kernel|,\s+none\s+dropped)")


def live_summary(path: str) -> tuple[int | None, int | None]:
    """(captured, dropped) from live's capture note at the end of its output."""
    with open(path, "rb") as f:
        f.seek(max(0, os.path.getsize(path) - 256 * 1024))
        tail = f.read().decode("utf-8", "replace")
    m = None
    for m in _CAPTURED.finditer(tail):
        pass
    if m is None:
        return None, None
    return int(m.group(1)), int(m.group(2) or 0)


def one_run(ws: list[str], mode: str, rate: float, a, ppm: float) -> dict:
    port = free_port()
    procs: list[subprocess.Popen] = []
    counter = None
    tmpdir = "/dev/shm" if os.path.isdir("/dev/shm") else None
    out = tempfile.NamedTemporaryFile(prefix="wsdissect-live-", suffix=".out", dir=tmpdir, delete=False)
    msg_rate = rate / ppm
    per = [a.conns // a.client_procs + (1 if k < a.conns % a.client_procs else 0) for k in range(a.client_procs)]
    try:
        server = subprocess.Popen([sys.executable, str(HERE), "--role", "server", "--port", str(port)],
                                  stdout=subprocess.PIPE, text=True)
        procs.append(server)
        Lines(server.stdout).wait(lambda l: "ready" in l, 20, "echo server")

        if mode == "none":           # the load alone: what the generator costs, without live
            cmd = [sys.executable, "-c", "import time; time.sleep(3600)"]
        else:
            cmd = ws + ["live", "--port", str(port)] + (["--json"] if mode == "json" else [])
        live = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, text=True)
        procs.append(live)
        live_err = Lines(live.stderr)
        if mode != "none":
            live_err.wait(lambda l: "capturing on" in l, 30, "wsdissect live")
        counter = PacketCounter(port)
        d_start = socket_drops(live.pid)
        spy = None
        if a.py_spy and mode != "none":      # sample live for the whole run (costs some CPU itself)
            spy_out = f"{a.py_spy}.{mode}.{rate:.0f}.txt"
            spy = subprocess.Popen(["py-spy", "record", "--pid", str(live.pid), "--rate", "200",
                                    "--format", "raw", "--nonblocking", "-o", spy_out],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(spy)

        clients, client_out = [], []
        for k, c in enumerate(per):
            p = subprocess.Popen([sys.executable, str(HERE), "--role", "client", "--port", str(port), "--conns",
                                  str(c), "--rate", str(msg_rate * c / a.conns), "--seconds", str(a.seconds),
                                  "--size", str(a.size)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            procs.append(p)
            clients.append(p)
            client_out.append(Lines(p.stdout))
        for lines in client_out:
            lines.wait(lambda l: "connected" in l, 60, "clients connecting")
        setup = counter.take()
        d_setup = socket_drops(live.pid)

        load = [server] + clients
        cpu0 = {p.pid: cpu_seconds(p.pid) for p in [live] + load}
        busy0, soft0, tot0 = machine_busy()
        t0 = time.monotonic()
        for p in clients:
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [json.loads(lines.wait(lambda l: '"sent"' in l, a.seconds + 60, "clients sending"))
                   for lines in client_out]
        window = time.monotonic() - t0
        wire = counter.take()
        cpu1 = {p.pid: cpu_seconds(p.pid) for p in [live] + load}
        busy1, soft1, tot1 = machine_busy()
        t_end = time.monotonic()
        d_load = socket_drops(live.pid)

        for p in clients:
            p.stdin.write("close\n")
            p.stdin.flush()
        for lines in client_out:
            lines.wait(lambda l: "closed" in l, 60, "clients closing")

        # Wait until live's output stops growing: it has read what the kernel queued for it.
        size, last_change = -1, time.monotonic()
        while (mode != "none" and time.monotonic() - last_change < 1.0
               and time.monotonic() - t_end < a.drain_limit):
            s = os.path.getsize(out.name)
            if s != size:
                size, last_change = s, time.monotonic()
            time.sleep(0.05)
        drain = max(0.0, last_change - t_end)
        tail = counter.take()
        d_end = socket_drops(live.pid)
        live_cpu_total = cpu_seconds(live.pid)
        if spy is not None:                  # let py-spy write its file
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
        live.send_signal(signal.SIGINT)
        try:
            live.wait(60)
        except subprocess.TimeoutExpired:
            live.kill()
            live.wait()
        captured, dropped = live_summary(out.name) if mode != "none" else (None, None)
        sent = sum(r["sent"] for r in results)
        received = sum(r["received"] for r in results)
        return {
            "mode": mode, "target": rate, "seconds": round(window, 2),
            "wire_pps": round(wire / window), "msgs_per_s": round(received / window),
            "sent": sent, "received": received, "skipped": sum(r["skipped"] for r in results),
            "packets_per_message": round(wire / sent, 2) if sent else None,
            "wire_total": setup + wire + tail, "captured": captured, "dropped": dropped,
            # sk_drops by phase (connect, load, close + drain); they count loopback's outgoing copies too
            # when the capture socket receives them
            "drops_by_phase": None if None in (d_start, d_setup, d_load, d_end) else
            [d_setup - d_start, d_load - d_setup, d_end - d_load],
            "live_cpu_pct": round(100 * (cpu1[live.pid] - cpu0[live.pid]) / window),
            "live_cpu_s": round(live_cpu_total, 2),
            "load_cpu_pct": round(100 * sum(cpu1[p.pid] - cpu0[p.pid] for p in load) / window),
            "busy_cores": round((busy1 - busy0) / (tot1 - tot0) * os.cpu_count(), 2),
            "softirq_cores": round((soft1 - soft0) / (tot1 - tot0) * os.cpu_count(), 2),
            "drain_s": round(drain, 1), "live_rc": live.returncode if mode != "none" else 0,
            "live_stderr": live_err.text()[-300:] if live.returncode and mode != "none" else "",
        }
    finally:
        for p in reversed(procs):           # clients first, then live, then the server
            if p.poll() is None:
                p.kill()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                pass
        if counter is not None:
            counter.close()
        out.close()
        os.unlink(out.name)


def better(r1: dict | None, r2: dict) -> dict:
    if r1 is None:
        return r2
    key = lambda r: (r["dropped"] if r["dropped"] is not None else 1 << 60, r["drain_s"], -r["wire_pps"])
    return r2 if key(r2) < key(r1) else r1


def fmt_row(r: dict) -> str:
    na = lambda v: "?" if v is None else f"{v:,}"
    return (f"{r['mode']:<9}{r['target']:>9,.0f}{r['wire_pps']:>9,}{r['msgs_per_s']:>9,}{na(r['captured']):>10}"
            f"{na(r['dropped']):>8}{r['wire_total']:>12,}{r['live_cpu_pct']:>8}%{r['load_cpu_pct']:>8}%"
            f"{r['busy_cores']:>7.2f}{r['softirq_cores']:>6.2f}{r['drain_s']:>7.1f}"
            f"  {'/'.join(map(str, r['drops_by_phase'])) if r.get('drops_by_phase') else '-'}")


HEADER = (f"{'mode':<9}{'target':>9}{'wire':>9}{'msgs/s':>9}{'analysed':>10}{'drops':>8}{'wire total':>12}"
          f"{'live CPU':>9}{'load CPU':>9}{'busy':>7}{'sirq':>6}{'drain':>7}  drops connect/load/close")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="wsdissect live throughput on loopback",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--role", choices=["server", "client"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--rate", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--rates", default="5000,10000,20000,40000", help="target packets/s, comma-separated")
    ap.add_argument("--seconds", type=float, default=5.0, help="load duration per run (default 5)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per rate and mode; the better is kept (default 2)")
    ap.add_argument("--json", action="store_true", help="measure `live --json` (default: both modes)")
    ap.add_argument("--timeline", action="store_true", help="measure the timeline (default: both modes)")
    ap.add_argument("--load-only", action="store_true", help="also run the load without live (its own cost)")
    ap.add_argument("--conns", type=int, default=400, help="WebSocket connections in all (default 400)")
    ap.add_argument("--client-procs", type=int, default=2, help="client processes (default 2)")
    ap.add_argument("--size", type=int, default=32, help="message size in bytes (default 32)")
    ap.add_argument("--ppm", type=float, default=3.0,
                    help="packets per echoed message, to turn the first packet rate into a message rate "
                         "(default 3: message, echo, the client's delayed ACK; later runs at the same rate use "
                         "what the previous one measured)")
    ap.add_argument("--drain-limit", type=float, default=60.0, help="longest wait for live to drain (s)")
    ap.add_argument("--ws-tree", type=Path, help="run wsdissect from this source tree instead of the installed one")
    ap.add_argument("--py-spy", metavar="PREFIX", help="profile live with py-spy: PREFIX.MODE.RATE.txt (collapsed)")
    ap.add_argument("--save", type=Path, help="also write every run as JSON to this file")
    a = ap.parse_args(argv)
    if a.role == "server":
        role_server(a.port)
        return 0
    if a.role == "client":
        role_client(a.port, a.conns, a.rate, a.seconds, a.size)
        return 0
    # SIGTERM (and Ctrl-C) unwind through one_run's `finally`, which stops every child it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if os.geteuid() != 0:
        print("live.py: capturing needs root", file=sys.stderr)
        return 2
    if shutil.which("tcpdump") is None:
        print("live.py: tcpdump is needed to compile the counter's filter", file=sys.stderr)
        return 2
    a.client_procs = max(1, min(a.client_procs, a.conns))
    modes = [m for m, on in (("json", a.json), ("timeline", a.timeline)) if on] or ["json", "timeline"]
    if a.load_only:
        modes.insert(0, "none")
    rates = [float(x) for x in a.rates.split(",") if x.strip()]
    ws = wsdissect_cmd(a.ws_tree)
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    print(f"live throughput — {dt.datetime.now():%Y-%m-%d %H:%M} — {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; load average before: {' '.join(load_before)}", file=sys.stderr)
    print(f"{a.conns} connections in {a.client_procs} client processes, {a.size}-byte text messages, "
          f"{a.seconds:g} s per run, best of {a.repeat}", file=sys.stderr)
    print(HEADER, file=sys.stderr)
    runs, best = [], []
    ppm = {}           # packets per message seen at each rate: the next run at that rate aims with it
    for mode in modes:
        for rate in rates:
            b = None
            for _ in range(a.repeat):
                try:
                    r = one_run(ws, mode, rate, a, ppm.get(rate, a.ppm))
                except RuntimeError as e:
                    print(f"live.py: {mode} at {rate:,.0f}: {e}", file=sys.stderr)
                    continue
                runs.append(r)
                if r["packets_per_message"] and r["skipped"] == 0:
                    ppm[rate] = r["packets_per_message"]
                print("  " + fmt_row(r) + (f"   live exited {r['live_rc']}: {r['live_stderr']}"
                                            if r["live_rc"] else ""), file=sys.stderr, flush=True)
                b = better(b, r)
            if b is not None:
                best.append(b)
    print()
    print(HEADER)
    print("-" * len(HEADER))
    for r in best:
        print(fmt_row(r))
    print("(wire, msgs/s: per second of load; analysed, drops, wire total: the whole run incl. handshakes and "
          "closes; CPU: % of one core during the load; busy: cores in use, sirq: of which softirq (loopback's "
          "TCP, charged to no process); drain: s live needed after the load)")
    if a.save:
        a.save.write_text(json.dumps({"date": str(dt.date.today()), "cores": os.cpu_count(),
                                      "load_before": load_before, "args": {k: str(v) for k, v in vars(a).items()},
                                      "runs": runs, "best": best}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
