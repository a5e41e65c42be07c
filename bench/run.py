#!/usr/bin/env python3
"""Time wsdissect against tshark on the same capture, in the same run, and print one table.

  python bench/run.py                     # 1M packets, 3 rounds, memory at 1M and 2M, adversarial shapes
  python bench/run.py --packets 2000000 --rounds 5
  python bench/run.py --quick             # smoke run: 100k packets, 1 round, small shapes
  python bench/run.py --no-shapes --no-memory

Missing captures are generated first with bench/gen.py (bench/out/, gitignored). Each command runs as its own
child process; wall time is measured around it. Its peak RSS is the largest sum of the resident sizes of the
command and its child processes (wsdissect reads a big file with several worker processes: -j/--jobs), sampled
every 20 ms from /proc, or the kernel's peak for the largest process (os.wait4's rusage) when that is higher;
summing counts memory the processes share once per process, so it is an upper bound. wsdissect and tshark run
alternately, round by round (the order flips every round so a slow phase of a shared machine does not always
hit the same tool), and the table shows medians. Ratios are wsdissect's median over tshark's, by wall time
("ratio", the target) and by CPU time ("cpu ratio": user+system of all its processes, less sensitive to a busy
shared machine; a parallel read spends more CPU than one process, in less time).

wsdissect's modules are byte-compiled first (.pyc), as `pip install .` leaves them, and before each timed run the
capture is read once, untimed, so that every run of either tool finds it in the page cache.

Rows:
  (a) wsdissect read F --json > /dev/null     vs  tshark -r F -Y websocket > /dev/null      target <= 0.25
  (s) wsdissect stats F > /dev/null           vs  the same tshark run                        target <= 0.20
      (skipped while the command does not exist)
  (a1), (s1): the same with --jobs 1 (one process), for reference (--one-process-rows to add them)
  (b) wsdissect read F > out.txt              vs  tshark -r F > out.txt                      target <= 1.0
  (m) peak RSS of (a) at N and at 2N packets: < 150 MB, and 2N <= 1.1 x N
  shapes: wsdissect read --json on each adversarial file at half and full size; "scaling" is the cost per
      packet at full size over the cost per packet at half size (after subtracting start-up): ~1.0 is linear.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen  # noqa: E402

OUT = gen.OUT
ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "captures" / "echo.pcap"


def byte_compile(tree: Path | None = None) -> None:
    """Write the .pyc files of the wsdissect that is measured, as `pip install .` does: an editable install in an
    environment with PYTHONDONTWRITEBYTECODE=1 (this workplace's) otherwise compiles every module at every start,
    ~45 ms of each run."""
    if tree is not None:
        pkg = str((tree / "wsdissect").resolve())
    else:
        pkg = subprocess.run([sys.executable, "-c", "import os, wsdissect; print(os.path.dirname(wsdissect.__file__))"],
                             capture_output=True, text=True).stdout.strip()
    if pkg:
        subprocess.run([sys.executable, "-m", "compileall", "-q", pkg], capture_output=True)


def wsdissect_cmd(tree: Path | None = None) -> list[str]:
    """The installed wsdissect, or the one in source tree `tree` (e.g. a `git archive` of an older commit, to
    measure before and after on the same machine: --ws-tree)."""
    if tree is not None:
        boot = (f"import sys; sys.path.insert(0, {str(tree.resolve())!r}); sys.argv[0] = 'wsdissect'; "
                "from wsdissect.cli import main; main()")
        return [sys.executable, "-c", boot]
    exe = shutil.which("wsdissect")
    return [exe] if exe else [sys.executable, "-m", "wsdissect"]


def _tree(pid: int) -> list[int]:
    out = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            for child in f.read().split():
                out += _tree(int(child))
    except OSError:
        pass
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeRss:
    """The largest sum of VmRSS over a process and its descendants, sampled every 20 ms in a thread."""

    def __init__(self, pid: int) -> None:
        import threading
        self.pid, self.peak_kb = pid, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(0.02):
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(p) for p in _tree(self.pid)))

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return self.peak_kb / 1024


def measure(cmd: list[str], stdout_path: str | None = None) -> tuple[float, float, int, float]:
    """Run cmd once; (wall seconds, peak RSS MB of it and its children, exit status, CPU seconds user+system)."""
    out = open(stdout_path or os.devnull, "wb")
    try:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        sampler = TreeRss(p.pid)
        err = p.stderr.read()
        # The children's rusage (the workers' CPU) is in the child's only once it has waited for them (it does).
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        tree_mb = sampler.stop()
        p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        out.close()
    if p.returncode not in (0, 1):
        sys.stderr.write(f"run.py: {' '.join(cmd)} exited {p.returncode}: {err.decode(errors='replace')[-500:]}\n")
    return wall, max(tree_mb, ru.ru_maxrss / 1024), p.returncode, ru.ru_utime + ru.ru_stime   # ru_maxrss: KB


def warm(cmd: list[str]) -> None:
    """Read the capture a command is about to read, so that each tool finds it in the page cache (this machine's
    memory manager gives idle file pages back within minutes: the first tool after a pause read from disk)."""
    buf = bytearray(1 << 20)       # one small buffer: a child's peak RSS counts this process's (fork, then exec)
    for arg in cmd:
        if arg.endswith((".pcap", ".pcapng")) and os.path.isfile(arg):
            with open(arg, "rb", buffering=0) as f:
                while f.readinto(buf):
                    pass


class Result:
    def __init__(self, name: str, cmd: list[str], packets: int, stdout_path: str | None = None):
        self.name, self.cmd, self.packets, self.stdout_path = name, cmd, packets, stdout_path
        self.times: list[float] = []
        self.rss: list[float] = []
        self.failed: list[int] = []          # exit codes other than 0 and 1 (1 = --strict findings)
        self.cpu: list[float] = []           # CPU seconds: on a shared machine, wall time also counts waiting

    def run(self) -> None:
        warm(self.cmd)
        wall, rss, rc, cpu = measure(self.cmd, self.stdout_path)
        self.times.append(wall)
        self.rss.append(rss)
        self.cpu.append(cpu)
        if rc not in (0, 1):
            self.failed.append(rc)
        print(f"  {self.name:<34} {wall:8.2f} s  (cpu {cpu:7.2f} s)  {rss:7.1f} MB", file=sys.stderr, flush=True)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    @property
    def peak(self) -> float:
        return max(self.rss)


def has_stats(ws: list[str]) -> bool:
    """The hook for `wsdissect stats FILE`: used once the command exists and reads a capture."""
    try:
        return subprocess.run(ws + ["stats", str(TINY)], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure(shape: str, n: int, **kw) -> Path:
    path = gen.default_path(shape, n)
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr, flush=True)
        if shape == "main":
            gen.build("main", packets=n, **kw)
        elif shape == "ooo":
            gen.build("ooo", packets=n, count=n)
        else:
            gen.build(shape, count=n)
    return path


def count_packets(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        f.read(24)
        import struct
        rec = struct.Struct("<IIII")
        while True:
            h = f.read(16)
            if len(h) < 16:
                return n
            f.seek(rec.unpack(h)[2], 1)
            n += 1


def fmt_rate(packets: int, seconds: float) -> str:
    return f"{packets / seconds / 1000:,.0f}k" if seconds > 0 else "-"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="wsdissect vs tshark benchmark",
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--packets", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="100k packets, 1 round, small shapes")
    ap.add_argument("--no-memory", action="store_true", help="skip the 2N-packet memory run")
    ap.add_argument("--no-shapes", action="store_true", help="skip the adversarial shapes")
    ap.add_argument("--no-timeline", action="store_true", help="skip (b), the timeline written to a file")
    ap.add_argument("--shape-rounds", type=int, default=1)
    ap.add_argument("--save", type=Path, help="also write the results as JSON to this file")
    ap.add_argument("--ws-tree", type=Path, help="run wsdissect from this source tree instead of the installed one")
    ap.add_argument("--one-process-rows", action="store_true",
                    help="also time (a) and (s) with --jobs 1, one process (rows a1 and s1)")
    a = ap.parse_args(argv)
    if a.quick:
        a.packets, a.rounds = 100_000, 1
    tshark = shutil.which("tshark")
    if tshark is None:
        print("run.py: tshark not found (apt-get install tshark)", file=sys.stderr)
        return 2
    ws = wsdissect_cmd(a.ws_tree)
    byte_compile(a.ws_tree)
    n = a.packets
    main_file = ensure("main", n)

    # Start-up cost of both tools, on a 30-packet capture (subtracted only for the shapes' scaling figure).
    startup_ws = statistics.median(measure(ws + ["read", str(TINY), "--json"])[0] for _ in range(3))
    startup_ts = statistics.median(measure([tshark, "-r", str(TINY), "-Y", "websocket"])[0] for _ in range(3))

    txt_ws, txt_ts = str(OUT / "timeline-wsdissect.txt"), str(OUT / "timeline-tshark.txt")
    pairs = [(Result("(a) wsdissect read --json", ws + ["read", str(main_file), "--json"], n),
              Result("(a) tshark -Y websocket", [tshark, "-r", str(main_file), "-Y", "websocket"], n))]
    stats_ok = has_stats(ws)
    if stats_ok:
        pairs.append((Result("(s) wsdissect stats", ws + ["stats", str(main_file)], n), pairs[0][1]))
    singles = []                   # (row, Result): the same commands in one process
    if a.one_process_rows:
        singles.append(("a1", Result("(a1) read --json --jobs 1", ws + ["read", str(main_file), "--json", "--jobs",
                                                                          "1"], n)))
        if stats_ok:
            singles.append(("s1", Result("(s1) stats --jobs 1", ws + ["stats", str(main_file), "--jobs", "1"], n)))
        pairs += [(res, pairs[0][1]) for _, res in singles]
    if not a.no_timeline:
        pairs.append((Result("(b) wsdissect read > file", ws + ["read", str(main_file)], n, txt_ws),
                      Result("(b) tshark -r > file", [tshark, "-r", str(main_file)], n, txt_ts)))

    print(f"benchmark: {main_file} ({n:,} packets, {main_file.stat().st_size / 1e6:,.0f} MB), "
          f"{a.rounds} round(s)", file=sys.stderr)
    for r in range(a.rounds):
        print(f"round {r + 1}/{a.rounds}", file=sys.stderr)
        done: set[int] = set()
        for w, t in pairs:
            order = (w, t) if r % 2 == 0 else (t, w)
            for res in order:
                if id(res) in done:      # the shared tshark run of (s) is timed once per round
                    continue
                res.run()
                done.add(id(res))
    for p in (txt_ws, txt_ts):
        if os.path.exists(p):
            os.unlink(p)

    mem2 = None
    if not a.no_memory:
        f2 = ensure("main", 2 * n)
        mem2 = Result("(m) wsdissect read --json, 2N", ws + ["read", str(f2), "--json"], 2 * n)
        print("memory at 2N", file=sys.stderr)
        for _ in range(max(1, min(a.rounds, 2))):
            mem2.run()

    shapes = []
    if not a.no_shapes:
        sizes = {"ooo": 200_000, "fragments": 100_000, "conns": 100_000, "sessions": 150_000, "feed": 150_000}
        if a.quick:
            sizes = {k: v // 5 for k, v in sizes.items()}
        for shape, full in sizes.items():
            half = full // 2
            files = {sz: ensure(shape, sz) for sz in (half, full)}
            pk = {sz: count_packets(f) for sz, f in files.items()}
            print(f"shape {shape}", file=sys.stderr)
            rs = {sz: Result(f"{shape} {sz} wsdissect --json", ws + ["read", str(f), "--json"], pk[sz])
                  for sz, f in files.items()}
            # tshark decodes the ooo shape only with out-of-order reassembly (else 5 WebSocket packets of ~5,500)
            ooo = ["-o", "tcp.reassemble_out_of_order:TRUE"] if shape == "ooo" else []
            tsr = Result(f"{shape} {full} tshark -Y websocket",
                         [tshark, "-r", str(files[full]), *ooo, "-Y", "websocket"], pk[full])
            for _ in range(a.shape_rounds):
                rs[half].run()
                rs[full].run()
                tsr.run()
            shapes.append((shape, half, full, rs[half], rs[full], tsr))

    # ---- the table ---------------------------------------------------------------------------------------------
    rows = []
    def row(test, res, base=None, target=None, ok=None):
        if res.failed or (base is not None and base.failed):
            rows.append({"test": test, "command": res.name,
                         "skipped": f"FAILED (exit {(res.failed or base.failed)[0]}): not a valid measurement"})
            return
        ratio = res.median / base.median if base else None
        rows.append({"test": test, "command": res.name, "median_s": round(res.median, 3),
                     "cpu_s": round(res.cpu_median, 3),
                     "cpu_ratio": round(res.cpu_median / base.cpu_median, 3) if base else None,
                     "min_s": round(min(res.times), 3), "rounds": len(res.times),
                     "packets_per_s": round(res.packets / res.median), "peak_rss_mb": round(res.peak, 1),
                     "ratio": None if ratio is None else round(ratio, 3), "target": target,
                     "ok": (ratio <= ok) if (ok is not None and ratio is not None) else None})

    w, t = pairs[0]
    row("a", w, t, "<= 0.25", 0.25)
    row("a", t)
    if stats_ok:
        row("s", pairs[1][0], t, "<= 0.20", 0.20)
    else:
        rows.append({"test": "s", "command": "(s) wsdissect stats", "skipped": "no `wsdissect stats` command yet"})
    for test, res in singles:
        row(test, res, t)
    if not a.no_timeline:
        w2, t2 = pairs[-1]
        row("b", w2, t2, "<= 1.0", 1.0)
        row("b", t2)
    mem = {"rss_n_mb": round(w.peak, 1), "packets_n": n}
    if mem2 is not None:
        mem.update(rss_2n_mb=round(mem2.peak, 1), growth=round(mem2.peak / w.peak, 3), packets_2n=2 * n,
                   json_2n_median_s=round(mem2.median, 3), ok=w.peak < 150 and mem2.peak <= 1.1 * w.peak)
    shape_rows = []
    for shape, half, full, rh, rf, tsr in shapes:
        per_h = max(rh.median - startup_ws, 1e-9) / rh.packets
        per_f = max(rf.median - startup_ws, 1e-9) / rf.packets
        shape_rows.append({"shape": shape, "packets_half": rh.packets, "packets_full": rf.packets,
                           "half_s": round(rh.median, 3), "full_s": round(rf.median, 3),
                           "us_per_packet_full": round(per_f * 1e6, 2), "scaling": round(per_f / per_h, 2),
                           "peak_rss_mb": round(max(rh.peak, rf.peak), 1), "tshark_s": round(tsr.median, 3),
                           "ratio": round(rf.median / tsr.median, 3)})

    cores = os.cpu_count()
    print()
    print(f"wsdissect vs tshark — {dt.date.today()} — {platform.machine()}, {cores} cores, Python "
          f"{platform.python_version()}, {subprocess.run([tshark, '--version'], capture_output=True, text=True).stdout.splitlines()[0]}")
    print(f"capture: {main_file.name}, {n:,} packets, {main_file.stat().st_size / 1e6:,.0f} MB; "
          f"{a.rounds} round(s), medians; start-up: wsdissect {startup_ws:.2f} s, tshark {startup_ts:.2f} s")
    print()
    hdr = (f"{'':4}{'command':<34}{'median s':>10}{'min s':>9}{'cpu s':>8}{'pkts/s':>9}{'peak RSS':>10}{'ratio':>8}"
           f"{'cpu ratio':>10}  target")
    print(hdr)
    print("-" * len(hdr))
    for r_ in rows:
        if "skipped" in r_:
            print(f"{r_['test']:<4}{r_['command']:<34}  skipped: {r_['skipped']}")
            continue
        ratio = "" if r_["ratio"] is None else f"{r_['ratio']:.2f}"
        cratio = "" if r_["cpu_ratio"] is None else f"{r_['cpu_ratio']:.2f}"
        verdict = "" if r_["ok"] is None else ("  ok" if r_["ok"] else "  MISSED")
        print(f"{r_['test']:<4}{r_['command']:<34}{r_['median_s']:>10.2f}{r_['min_s']:>9.2f}{r_['cpu_s']:>8.2f}"
              f"{r_['packets_per_s'] / 1000:>8,.0f}k{r_['peak_rss_mb']:>7.0f} MB{ratio:>8}{cratio:>10}  "
              f"{r_['target'] or ''}{verdict}")
    print()
    line = f"(m) peak RSS of read --json: {mem['rss_n_mb']:.0f} MB at {n:,}"
    if "rss_2n_mb" in mem:
        line += (f", {mem['rss_2n_mb']:.0f} MB at {2 * n:,} (x{mem['growth']:.2f}, {mem['json_2n_median_s']:.1f} s)"
                 f"   target < 150 MB and <= x1.10: {'ok' if mem['ok'] else 'MISSED'}")
    print(line)
    if shape_rows:
        print()
        print(f"{'shape':<11}{'packets':>10}{'half s':>9}{'full s':>9}{'us/pkt':>8}{'scaling':>9}{'peak RSS':>10}"
              f"{'tshark s':>10}{'ratio':>7}")
        for s in shape_rows:
            print(f"{s['shape']:<11}{s['packets_full']:>10,}{s['half_s']:>9.2f}{s['full_s']:>9.2f}"
                  f"{s['us_per_packet_full']:>8.1f}{s['scaling']:>9.2f}{s['peak_rss_mb']:>7.0f} MB"
                  f"{s['tshark_s']:>10.2f}{s['ratio']:>7.2f}")
        print("(scaling: cost per packet at full size / at half size, start-up subtracted; ~1.0 means linear)")
    if a.save:
        a.save.write_text(json.dumps({"date": str(dt.date.today()), "cores": cores, "packets": n,
                                      "rounds": a.rounds, "rows": rows, "memory": mem, "shapes": shape_rows,
                                      "startup_s": {"wsdissect": startup_ws, "tshark": startup_ts}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
