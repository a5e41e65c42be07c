"""A parallel read (-j/--jobs, wsdissect/parallel.py) prints the very bytes one process prints.

`read --json` and `stats` run in-process (click's CliRunner; the workers are forked from the test process) with
--jobs 1, 2 and 3: stdout, stderr and the exit status must be identical. On the bundled and shared captures, on
busy synthetic ones made to put what the workers must agree on to the test (connections numbered in the order
they open while others are opening elsewhere, releases every 256 packets with folded records written after
another worker's packet, --max-summary-connections, more than 32 close codes folded, port reuse, packets that
are not TCP or that the workers' peek at the ends leaves to the decoder, a capture cut short), and on hostile captures of the fuzz
harness. Then what a parallel read does when a worker fails, is interrupted or loses its reader.
"""
from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time

import pytest

from conftest import CAPTURES
from fuzz.differential import assert_same_run, cli_options, invoke
from pcapbuild import ethernet, ipv6_ext, pcap_bytes, tcp_packet, udp_packet
from sessionbuild import Session, raw_frame
from wsdissect.model import C2S, S2C

from wsdissect import parallel

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="a parallel read needs fork()")

COMMANDS = {
    "read-json": ["read", "{}", "--json"],
    "read-json-zh": ["read", "{}", "--json", "--lang", "zh"],
    "filtered": ["read", "{}", "--json", "--hide-acks", "--role", "ack,ws-data,ws-close,tcp-fin"],
    "one-conn": ["read", "{}", "--json", "--conn", "1"],
    "stats": ["stats", "{}"],
    "stats-json": ["stats", "{}", "--json"],
}


def _invoke(args: list, jobs: int) -> tuple:
    return invoke([*args, "--jobs", str(jobs)], {})


def assert_same(args: list, jobs=(2, 3)) -> bytes:
    one = _invoke(args, 1)
    for n in jobs:
        assert_same_run(one, _invoke(args, n), f"wsdissect {' '.join(args)} --jobs {n}", ("one process", "several"))
    return one[0]


@pytest.mark.parametrize("path", CAPTURES, ids=os.path.basename)
@pytest.mark.parametrize("command", ["read-json", "stats-json", "stats"])
def test_same_bytes_on_every_capture(path, command):
    assert_same([a.replace("{}", path) for a in COMMANDS[command]])


# -- busy synthetic captures --------------------------------------------------------------------------------------

def _session(i: int, t0: float) -> Session:
    """A short WebSocket connection, one of a few endings; client ports repeat, so some 4-tuples are reused."""
    s = Session(client=(f"10.1.{i % 7}.{1 + i % 200}", 20000 + i % 1500), server=(f"10.0.0.{1 + i % 3}", 80),
                t0=t0, isn=(1000 + 7919 * i, 3_000_000_000 + 104729 * i))
    s.websocket_handshake()
    s.send(C2S, raw_frame(b"hello %d" % i, mask=b"abcd"))
    s.send(S2C, raw_frame(b"world %d" % i * (1 + i % 5)))
    if i % 11 == 0:
        s.send(C2S, raw_frame(b"p", opcode=9, mask=b"abcd"))
        s.send(S2C, raw_frame(b"p", opcode=10))
    ending = i % 9
    if ending == 0:
        s.seg(C2S, "RA")                                               # reset, no Close frame
    elif ending == 1:
        pass                                                           # still open (or idle) at the end
    elif ending == 2:
        s.send(C2S, raw_frame(b"cut", mask=b"abcd"), ack=False, pieces=[2])   # a frame over two segments
        s.teardown(first=S2C)                                          # server drops it: no Close frame
    else:
        code = 4000 + (i * 7) % 61                                     # many close codes: more than 32 folded
        s.send(C2S, raw_frame(struct.pack(">H", code) + b"bye", opcode=8, mask=b"abcd"))
        s.send(S2C, raw_frame(struct.pack(">H", code), opcode=8))
        s.teardown(three_way=bool(i % 2))
    return s


def _interleaved(sessions: list, group: int = 6) -> list:
    """The sessions' packets, `group` connections at a time in turn, renumbered, one millisecond apart."""
    out = []
    for g in range(0, len(sessions), group):
        lists = [s.packets() for s in sessions[g:g + group]]
        longest = max(len(x) for x in lists)
        for k in range(longest):
            out += [x[k].data for x in lists if k < len(x)]
    return out


def _write(path, frames: list, t0: float = 1_700_000_000.0) -> str:
    path.write_bytes(pcap_bytes([(t0 + i * 0.001, f) for i, f in enumerate(frames)]))
    return str(path)


@pytest.fixture(scope="module")
def busy(tmp_path_factory) -> str:
    """~2,400 short connections, six at a time (over 37,000 packets: releases every 256 packets, each a
    connection's 10,000 packets after its last), with UDP packets, a malformed one, IPv6 connections whose
    packets carry an extension header (left by decode.peek_ends to the decoder) and, at the end, a late packet of a
    long-released connection and one on the ports of an old one (a new connection each)."""
    sessions = [_session(i, 1_700_000_000.0 + i) for i in range(2400)]
    frames = _interleaved(sessions)
    for k in range(0, len(frames), 997):
        frames.insert(k, ethernet(udp_packet("10.9.9.9", "10.9.9.8", 53, 5353, b"dns?")))
    frames.insert(500, ethernet(b"\x45\x00\x00"))                      # malformed: a short IPv4 header
    v6 = Session(client=("2001:db8::1", 40001), server=("2001:db8::2", 80), ipv6=True, t0=1_700_000_100.0)
    v6.websocket_handshake()
    v6.send(C2S, raw_frame(b"over v6", mask=b"abcd"))
    for j, p in enumerate(v6.packets()):
        ip = p.data[14:]
        if j % 2:        # every other packet with a destination-options header: the peek declines those
            seg = ip[40:]
            ip = ip[:6] + bytes([60]) + ip[7:40] + ipv6_ext(6) + seg
            ip = ip[:4] + struct.pack("!H", len(ip) - 40) + ip[6:]
        frames.insert(3000 + 40 * j, ethernet(ip))
    first = sessions[3]
    frames.append(first.frame_bytes(C2S, "A"))                         # long after its connection was released
    reuse = _session(3, 1_700_009_000.0)                               # the same 4-tuple, opened again
    frames += [p.data for p in reuse.packets()]
    return _write(tmp_path_factory.mktemp("parallel") / "busy.pcap", frames)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_same_bytes_on_a_busy_capture(busy, command):
    out = assert_same([a.replace("{}", busy) for a in COMMANDS[command]])
    if command == "read-json":
        import json
        recs = [json.loads(line) for line in out.splitlines()]
        assert [r["conn"] for r in recs if r["type"] == "connection"] == list(range(recs[-1]["connections"]))
        assert recs[-1]["connections"] > 2400 and recs[-1]["other_packets"] > 40 and recs[-1]["malformed"] == 1


@pytest.mark.parametrize("keep", ["0", "5", "700"])
def test_same_bytes_when_the_summary_folds(busy, keep):
    """Past --max-summary-connections a connection's record is written when it is released (every 256 packets,
    in whichever worker holds it, after the row of a packet another worker may own) and counted in the summary's
    folded totals; which close codes get a count of their own (the first 32 folded) is a matter of the whole
    capture's order."""
    out = assert_same(["read", busy, "--json", "--max-summary-connections", keep])
    assert b'"folded_connections"' in out and b'"other"' in out
    assert_same(["stats", busy, "--json", "--max-summary-connections", keep], jobs=(2,))


def test_same_bytes_on_a_capture_cut_short(busy, tmp_path):
    data = open(busy, "rb").read()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:len(data) // 2 + 37])
    out = assert_same(["read", str(cut), "--json"])
    assert b'"capture_notes":["' in out and b"capture cut short" in out
    assert_same(["stats", str(cut)], jobs=(2,))


def test_pcapng_and_other_link_types(tmp_path):
    from pcapbuild import pcapng_bytes, sll
    sessions = [_session(i, 1_700_000_000.0 + i) for i in range(60)]
    frames = _interleaved(sessions)
    ng = tmp_path / "busy.pcapng"
    ng.write_bytes(pcapng_bytes([(1_700_000_000.0 + i * 0.001, f) for i, f in enumerate(frames)]))
    assert_same(["read", str(ng), "--json"])
    cooked = tmp_path / "sll.pcap"
    cooked.write_bytes(pcap_bytes([(1_700_000_000.0 + i * 0.001, sll(f[14:])) for i, f in enumerate(frames)],
                                  linktype=113))
    assert_same(["read", str(cooked), "--json"])


def test_hostile_captures(tmp_path):
    """The fuzz harness's mutated captures (gaps, overlaps, cut frames, odd link layers...), without its small
    --max-connections, which a parallel read shares out (see the next test)."""
    from fuzz.harness import hostile_captures
    for i, (_, data) in enumerate(hostile_captures(count=60, seed=31, local_corpus=False)):
        path = tmp_path / f"h{i}.pcap"
        path.write_bytes(data)
        options = cli_options(data, shared_out=True)
        assert_same(["read", str(path), "--json", *options], jobs=(2,))
        assert_same(["stats", str(path), "--json", *[o for o in options if o not in ("--lang", "zh")]], jobs=(2,))


def test_connections_whose_first_packets_only_python_decodes(tmp_path):
    """Captured with a small snaplen and begun mid-connection: each connection's first packet (a full-size data
    segment, cut) is one decode.peek_ends declines and decode_packet reads, its later ones (bare ACKs) the peek
    reads. The other workers must count the connection as opened at its first packet, not at the first they
    could decode (the numbering of connections went wrong: exit 3)."""
    packets = []
    for i in range(40):
        c, srv = "10.0.0.1", f"10.0.1.{i + 1}"
        packets += [tcp_packet(c, srv, 40000 + i, 8080, 1000, 5000, "PA", b"x" * 1000),
                    tcp_packet(srv, c, 8080, 40000 + i, 5000, 2000, "A"),
                    tcp_packet(c, srv, 40000 + i, 8080, 2000, 5000, "A")]
    path = tmp_path / "snaplen.pcap"
    path.write_bytes(pcap_bytes([(1.0 + k * 0.001, ethernet(p)) for k, p in enumerate(packets)], snaplen=96))
    out = assert_same(["read", str(path), "--json"])
    assert out.count(b'"type":"connection"') == 40


def test_max_connections_is_shared_out(busy):
    """--max-connections caps the connections tracked at once; a parallel read gives each worker its share
    (the least recently active of its own is finished past it). Every connection is still reported once."""
    import json
    res = _invoke(["read", busy, "--json", "--max-connections", "4"], 2)
    assert res[3] is None and res[2] == 0
    recs = [json.loads(line) for line in res[0].splitlines()]
    conns = [r["conn"] for r in recs if r["type"] == "connection"]
    assert sorted(conns) == list(range(len(conns)))
    capped = [r for r in recs if r["type"] == "note" and r["code"] == "cap-connections"]
    assert capped and all("more than 4 connections" in r["text"] for r in capped)   # the cap the user gave


# -- the workers' side ---------------------------------------------------------------------------------------------

def test_a_failing_worker_stops_the_read_with_its_error(busy):
    def work(w):
        if w.index == 1:
            raise ValueError("something broke")
        return {}
    with pytest.raises(parallel.WorkerFailed, match="worker 1: ValueError: something broke"):
        parallel.run(parallel.Job(busy, 2, work))


def test_a_worker_that_dies_is_reported(busy):
    """Killed, whatever handlers the command's process had installed (the lab's event loop handles SIGTERM)."""
    signal.signal(signal.SIGTERM, lambda *_: None)
    def work(w):
        if w.index == 0:
            os.kill(os.getpid(), signal.SIGTERM)
        return {}
    try:
        with pytest.raises(parallel.WorkerFailed, match="worker 0 was killed by signal 15"):
            parallel.run(parallel.Job(busy, 2, work))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_a_worker_that_dies_while_writing_is_reported(busy):
    """Killed in the middle of a message (as by the OOM killer): the parent does not wait for the rest of it."""
    def work(w):
        if w.index == 1:
            os.write(w.conn.fileno(), struct.pack("!i", 1000) + b"P" * 10)     # 10 bytes of a 1,000-byte message
            os.kill(os.getpid(), signal.SIGKILL)
        return {}

    def hung(*_):
        raise AssertionError("the parent still waits for a worker that died 30 s ago")
    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(30)
    try:
        with pytest.raises(parallel.WorkerFailed, match="a worker stopped before its end"):
            parallel.run(parallel.Job(busy, 2, work))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _cli(*args, **kw) -> subprocess.Popen:
    env = dict(os.environ, NO_COLOR="1", WSDISSECT_NO_PROGRESS="1")
    return subprocess.Popen([sys.executable, "-m", "wsdissect", *args], stdout=kw.get("stdout", subprocess.PIPE),
                            stderr=subprocess.PIPE, env=env, start_new_session=True)


def _children(pid: int) -> list:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def test_interrupted_read_exits_130_and_leaves_no_worker(busy):
    proc = _cli("read", busy, "--json", "--jobs", "2", stdout=subprocess.DEVNULL)
    workers = []
    for _ in range(1000):                              # until the workers run
        workers = _children(proc.pid)
        if len(workers) == 2 or proc.poll() is not None:
            break
        time.sleep(0.01)
    if proc.poll() is not None:
        assert proc.returncode == 0, proc.stderr.read()
        pytest.skip("the read ended before it could be interrupted")
    assert len(workers) == 2, "the two workers did not start within 10 s"
    os.killpg(proc.pid, signal.SIGINT)                 # Ctrl-C reaches the whole process group
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert b"Traceback" not in err
    for pid in workers:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_reader_leaving_early_is_not_an_error(busy):
    """`read --json | head -1`: the parent stops writing; exit 0, no traceback, the workers stopped."""
    proc = _cli("read", busy, "--json", "--jobs", "2")
    first = proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate(timeout=30)
    assert first.startswith(b'{"type":"packet","no":2,')      # no 1 is a UDP packet: counted, not shown
    assert proc.returncode == 0 and b"Traceback" not in err and b"error" not in err


def test_jobs_on_standard_input_reads_with_one_process(busy):
    with open(busy, "rb") as f:
        proc = subprocess.run([sys.executable, "-m", "wsdissect", "stats", "-", "--jobs", "2"], stdin=f,
                              capture_output=True)
    assert proc.returncode == 0
    assert b"--jobs 2: reading with one process: it is not a file" in proc.stderr
    with open(busy, "rb") as f:
        quiet = subprocess.run([sys.executable, "-m", "wsdissect", "stats", "-"], stdin=f, capture_output=True)
    assert quiet.returncode == 0 and quiet.stderr == b"" and quiet.stdout == proc.stdout
