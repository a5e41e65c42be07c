"""Live capture: packets sniffed from a network interface, turned into the same RawPacket records a file gives.

This is a source at the edge of the sans-IO core: it hands over the link-layer bytes exactly as the capture
socket saw them, with the interface's link type and the kernel's timestamp, and never dissects them (no Scapy
layers on the path; `decode` does the work for `live` just as for `read`).

On Linux the packets come from an AF_PACKET socket opened by Scapy's `L2ListenSocket` (which also compiles and
attaches the BPF filter). A packet socket bound to the loopback interface sees every packet twice, once going out
and once coming in; like libpcap (and so tcpdump and Wireshark) the outgoing copy is dropped on loopback
interfaces, by the socket's BPF filter itself (so it costs neither buffer space nor a read). The capture buffer
is raised to CAPTURE_BUFFER, and packets are read into one reused buffer, waiting only when none is queued
(`bench/live.py` measures what this keeps up with). Kernel drops are read with PACKET_STATISTICS. Elsewhere
(macOS, BSD) Scapy's own listening socket (BPF) is used, which has no duplicates.

`PcapWriter` saves exactly the packets handed over, so `wsdissect read` of that file gives what `live` showed.
"""
from __future__ import annotations

import errno
import logging
import select
import socket
import struct
import sys
import time
from typing import BinaryIO, Callable, Iterator, Optional

from ..model import Note, RawPacket

__all__ = ["CaptureUnavailable", "LiveCapture", "PcapWriter", "loopback_name", "SNAPLEN", "privilege_hint"]

SNAPLEN = 262144              # libpcap's default snapshot length: loopback frames can reach 64 KiB and more

# Linux ARPHRD_* hardware types -> pcap LINKTYPE_*.
_ARPHRD_ETHER, _ARPHRD_LOOPBACK, _ARPHRD_NONE = 1, 772, 0xFFFE
_LINKTYPES = {_ARPHRD_ETHER: 1, _ARPHRD_LOOPBACK: 1, _ARPHRD_NONE: 101}

_SOL_PACKET = 263
_SO_ATTACH_FILTER = 26
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
_SKF_AD_PKTTYPE = 0xFFFFF000 + 4       # SKF_AD_OFF + SKF_AD_PKTTYPE: a BPF load of the packet's direction
_PACKET_AUXDATA = 8
_PACKET_STATISTICS = 6
_PACKET_OUTGOING = 4
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_TP_STATUS_VLAN_VALID = 0x10
_TP_STATUS_VLAN_TPID_VALID = 0x40
_AUXDATA = struct.Struct("=IIIHHHH")   # tp_status, tp_len, tp_snaplen, tp_mac, tp_net, tp_vlan_tci, tp_vlan_tpid
_TIMESPEC = struct.Struct("=qq")
_STATS = struct.Struct("=II")          # tp_packets, tp_drops (reset by each read)

POLL = 0.1                    # seconds between checks of the stop conditions while no packet arrives
CAPTURE_BUFFER = 32 << 20     # bytes the kernel may queue for us (SO_RCVBUF): bursts, or this process not
                              # being scheduled for a while on a busy machine, must not become drops


class CaptureUnavailable(Exception):
    """Live capture cannot start: no privilege, no such interface, a filter that does not compile.

    The message is one line for the user, saying what is missing and how to get it.
    """


# sudo resets PATH (secure_path), so a plain `sudo wsdissect` does not find a wsdissect installed in a virtual
# environment: the shell spells out its path before sudo runs. Works wherever wsdissect is installed.
SUDO_WSDISSECT = 'sudo "$(command -v wsdissect)"'


def privilege_hint() -> str:
    sudo = f"run it with {SUDO_WSDISSECT} … (sudo resets PATH, which loses a virtual environment's wsdissect)"
    if sys.platform.startswith("linux"):
        return (f"{sudo}, or give this Python the capture capability once: "
                "sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which python3))")
    if sys.platform == "darwin":
        return f"{sudo}, or give your user read access to /dev/bpf* (Wireshark's ChmodBPF does this)"
    return "run it as an administrator (Windows needs Npcap installed)"


def loopback_name() -> str:
    """The loopback interface: `lo` on Linux, `lo0` on macOS and the BSDs (as Scapy names it)."""
    if sys.platform.startswith("linux"):
        return "lo"
    try:
        from scapy.config import conf
        return str(conf.loopback_name)
    except Exception:  # noqa: BLE001 -- a guess is better than nothing here
        return "lo0"


class _quiet_scapy:
    """Scapy logs warnings (e.g. about link types it has no layer for) that mean nothing to our users."""

    def __enter__(self):
        self.log = logging.getLogger("scapy.runtime")
        self.level = self.log.level
        self.log.setLevel(logging.ERROR)

    def __exit__(self, *exc):
        self.log.setLevel(self.level)


class LiveCapture:
    """Sniff `iface` with the BPF filter `bpf`. `open()` raises CaptureUnavailable; `packets()` streams.

    Stop conditions of `packets()`: `count` packets handed over, `duration` seconds elapsed since open,
    `stop()` returning true (checked before each packet and at least every POLL seconds), or `drain()`
    returning true once no packet has arrived for a POLL (for "the traffic is over, take what is still queued").
    """

    def __init__(self, iface: Optional[str] = None, bpf: Optional[str] = None, snaplen: int = SNAPLEN) -> None:
        self.iface = iface or loopback_name()
        self.bpf = bpf or None      # "" captures everything
        self.snaplen = snaplen
        self.linktype = 1
        self.captured = 0          # packets handed over
        self.dropped = 0           # dropped by the kernel (socket buffer full), when the platform tells
        self.dropped_known = False
        self.outgoing_skipped = 0  # loopback's outgoing copies, left out as libpcap does
        self._sock = None          # the Scapy SuperSocket
        self._fd: Optional[socket.socket] = None
        self._probe: Optional[socket.socket] = None   # keeps the kernel's packet time-stamping on
        self._buf: Optional[bytearray] = None          # recvmsg_into's buffer, reused for every packet
        self._view: Optional[memoryview] = None
        self._linux = sys.platform.startswith("linux")
        self._loopback = False
        self._t0 = 0.0

    @property
    def nanosecond(self) -> bool:
        """Whether timestamps come with nanoseconds (write the -w file with the same resolution)."""
        return self._linux

    # -- opening --

    def open(self) -> "LiveCapture":
        try:
            self._open()
        except CaptureUnavailable:
            self.close()
            raise
        self._t0 = time.monotonic()
        return self

    def _open(self) -> None:
        if self._linux:
            self._check_iface_linux()
            self._probe = _hold_kernel_timestamps()
        try:
            with _quiet_scapy():
                if self._linux:
                    from scapy.arch.linux import L2ListenSocket
                    self._sock = L2ListenSocket(iface=self.iface, filter=self.bpf, promisc=False)
                else:
                    from scapy.config import conf
                    self._sock = conf.L2listen(iface=self.iface, filter=self.bpf, promisc=False)
        except PermissionError:
            raise CaptureUnavailable(f"capturing on {self.iface} needs the CAP_NET_RAW privilege (or root): "
                                     f"{privilege_hint()}") from None
        except OSError as e:
            if e.errno in (errno.EPERM, errno.EACCES):
                raise CaptureUnavailable(f"capturing on {self.iface} needs the CAP_NET_RAW privilege (or root): "
                                         f"{privilege_hint()}") from None
            if e.errno in (errno.ENODEV, errno.ENXIO):
                raise CaptureUnavailable(f"no such interface: {self.iface} ({_ifaces_hint()})") from None
            raise CaptureUnavailable(f"cannot capture on {self.iface}: {e.strerror or e}") from None
        except Exception as e:  # noqa: BLE001 -- Scapy_Exception for a filter it cannot compile, and kin
            text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            if self.bpf and "filter" in text.lower():
                raise CaptureUnavailable(f"cannot use the capture filter {self.bpf!r}: {text}") from None
            raise CaptureUnavailable(f"cannot capture on {self.iface}: {text}") from None
        if self._linux:
            self._fd = self._sock.ins
            hatype = self._fd.getsockname()[3]
            if hatype not in _LINKTYPES:
                raise CaptureUnavailable(
                    f"cannot capture on {self.iface}: its link type (ARPHRD {hatype}) is not one wsdissect "
                    f"decodes (Ethernet, loopback, raw IP)")
            self.linktype = _LINKTYPES[hatype]
            self._loopback = hatype == _ARPHRD_LOOPBACK
            self._tune_linux()
            self._buf = bytearray(self.snaplen)
            self._view = memoryview(self._buf)
            self.dropped_known = True
            self._read_stats()          # start counting from now
            self.dropped = 0
        else:
            from scapy.config import conf
            ll = getattr(self._sock, "LL", None)
            self.linktype = conf.l2types.layer2num.get(ll, 1) if ll is not None else 1

    def _tune_linux(self) -> None:
        """Let the kernel take what work it can (best effort: the capture works the same without either).

        A capture buffer of CAPTURE_BUFFER bytes (~77,000 small loopback packets) instead of Scapy's 64 KB (~80,
        next to their outgoing copies: a connection storm, or a few milliseconds without the CPU, and the kernel
        dropped). SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it SO_RCVBUF is capped at net.core.rmem_max.

        On loopback, the filter itself rejects the outgoing copies, so they are neither queued (half the buffer)
        nor read one system call each only to be thrown away; the copies already queued are still skipped in
        `_recv_linux`. The program is the one Scapy attached (libpcap's, compiled again), behind three
        instructions: `ld [pkttype]; jeq #PACKET_OUTGOING -> ret #0; ld #0`. Its accept values become the
        snapshot length (Scapy compiles with 65535, which cut the largest loopback frames short).
        """
        fd = self._fd
        for opt in (_SO_RCVBUFFORCE, socket.SO_RCVBUF):
            try:
                fd.setsockopt(socket.SOL_SOCKET, opt, CAPTURE_BUFFER)
                break
            except OSError:
                continue
        if not self._loopback:
            return
        try:
            prog = _compile(self.bpf, self.iface) if self.bpf else [(0x06, 0, 0, self.snaplen)]
            _attach(fd, _reject_outgoing(prog, self.snaplen))
        except Exception:  # noqa: BLE001 -- keep Scapy's filter; the outgoing copies are skipped one by one
            pass

    def _check_iface_linux(self) -> None:
        try:
            socket.if_nametoindex(self.iface)
        except OSError:
            raise CaptureUnavailable(f"no such interface: {self.iface} ({_ifaces_hint()})") from None

    # -- reading --

    def packets(self, *, count: Optional[int] = None, duration: Optional[float] = None,
                stop: Optional[Callable[[], bool]] = None, drain: Optional[Callable[[], bool]] = None,
                writer: Optional["PcapWriter"] = None) -> Iterator[RawPacket]:
        """Yield RawPackets (numbered from 1) until a stop condition holds; each is written to `writer` first."""
        if count is not None and count <= 0:
            return
        deadline = self._t0 + duration if duration is not None else None
        recv = self._recv_linux if self._linux else self._recv_scapy
        while True:
            if stop is not None and stop():
                return
            timeout = POLL
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                timeout = min(timeout, left)
            got = recv(timeout)
            if got is None:
                if drain is not None and drain():
                    return
                continue
            if got is False:          # something arrived that is not ours to show (loopback's outgoing copy)
                continue
            data, wirelen, sec, frac, div = got
            self.captured += 1
            if writer is not None:
                writer.write(sec, frac, data, wirelen)
            yield RawPacket(self.captured, sec + frac / div, self.linktype, data, wirelen)
            if count is not None and self.captured >= count:
                return

    def _recv_linux(self, timeout: float):
        # Read first, wait only when nothing is queued: under load that is one system call per packet, not two.
        # Into one reused buffer: recvmsg(262144) would allocate (and shrink) a 256 KB bytes object per packet.
        fd = self._fd
        try:
            n, ancdata, _flags, addr = fd.recvmsg_into((self._buf,), 1024, socket.MSG_DONTWAIT)
        except BlockingIOError:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            try:
                n, ancdata, _flags, addr = fd.recvmsg_into((self._buf,), 1024, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return None
        if self._loopback and addr[2] == _PACKET_OUTGOING:
            self.outgoing_skipped += 1
            return False
        data = bytes(self._view[:n])
        wirelen = n
        sec = nsec = None
        for level, kind, cdata in ancdata:
            if level == _SOL_PACKET and kind == _PACKET_AUXDATA and len(cdata) >= _AUXDATA.size:
                status, tp_len, _snap, _mac, _net, tci, tpid = _AUXDATA.unpack_from(cdata)
                wirelen = tp_len
                if (tci or status & _TP_STATUS_VLAN_VALID) and self.linktype == 1 and len(data) >= 12:
                    # The NIC took the 802.1Q tag off; put it back where it was on the wire, as libpcap does.
                    if not status & _TP_STATUS_VLAN_TPID_VALID:
                        tpid = 0x8100
                    data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
                    wirelen += 4
            elif level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(cdata) >= _TIMESPEC.size:
                sec, nsec = _TIMESPEC.unpack_from(cdata)
        if sec is None:
            t = time.time_ns()
            sec, nsec = divmod(t, 1_000_000_000)
        wirelen = max(wirelen, len(data))
        return data, wirelen, sec, nsec, 1_000_000_000

    def _recv_scapy(self, timeout: float):
        ready = self._sock.select([self._sock], timeout)
        if not ready:
            return None
        _cls, data, ts = self._sock.recv_raw(self.snaplen)
        if data is None:
            return False
        if ts is None:
            ts = time.time()
        usec = round(float(ts) * 1_000_000)
        sec, frac = divmod(usec, 1_000_000)
        return bytes(data), len(data), sec, frac, 1_000_000

    # -- statistics and closing --

    def _read_stats(self) -> None:
        try:
            raw = self._fd.getsockopt(_SOL_PACKET, _PACKET_STATISTICS, _STATS.size)
            _packets, drops = _STATS.unpack(raw[:_STATS.size])
            self.dropped += drops
        except (OSError, struct.error):
            self.dropped_known = False

    def stats_note(self) -> Note:
        """A capture note for the summary: how much was captured and how much the kernel dropped."""
        if self._fd is not None and self._fd.fileno() != -1:
            self._read_stats()
        # Note.args: the sentence's parameters in the i18n catalog, where and what was captured as pieces.
        args = {"where": {"id": "note_part.live_capture_filter", "iface": self.iface, "filter": self.bpf}
                if self.bpf else {"id": "note_part.live_capture", "iface": self.iface},
                "shown": {"id": "note_part.packets_captured." + ("one" if self.captured == 1 else "many"),
                          "n": self.captured}}
        if not self.dropped_known:
            return Note(None, None, "note", "capture-stats", dict(args, variant="unknown"))
        if self.dropped:
            return Note(None, None, "warning", "capture-drops", dict(args, dropped=self.dropped))
        return Note(None, None, "chat", "capture-stats", args)

    def close(self) -> None:
        if self._fd is not None and self._fd.fileno() != -1:
            self._read_stats()
        self._view = self._buf = None
        if self._sock is not None:
            try:
                self._sock.close()
            except Exception:  # noqa: BLE001
                pass
        self._sock = None
        if self._probe is not None:
            self._probe.close()
            self._probe = None

    def __enter__(self) -> "LiveCapture":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()


def _hold_kernel_timestamps(limit: float = 1.0) -> Optional[socket.socket]:
    """Make sure the kernel time-stamps packets as they pass, before the capture socket opens.

    Linux stamps packets in flight only while some socket asked for timestamps, and switches that on
    asynchronously (a deferred static key) when the first one asks. Until then a packet socket's recvmsg gets
    the time it *read* the packet, which can be late and out of order. A UDP socket with SO_TIMESTAMPNS sends
    itself a datagram until its timestamp is the sending time, not the reading time; it stays open (keeping the
    switch on) for the life of the capture. Its datagrams go out before the capture socket exists, so they are
    never captured. Best effort: returns None if the check cannot be made.
    """
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except OSError:
        return None
    try:
        probe.bind(("127.0.0.1", 0))
        probe.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        probe.settimeout(0.5)
        end = time.monotonic() + limit
        while time.monotonic() < end:
            sent = time.time_ns()
            probe.sendto(b"t", probe.getsockname())
            time.sleep(0.004)
            _data, ancdata, _flags, _addr = probe.recvmsg(16, 256)
            for level, kind, cdata in ancdata:
                if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(cdata) >= _TIMESPEC.size:
                    sec, nsec = _TIMESPEC.unpack_from(cdata)
                    if sec * 1_000_000_000 + nsec - sent < 2_000_000:
                        return probe
    except OSError:
        pass
    return probe


def _compile(bpf: str, iface: str) -> list:
    """`bpf` compiled by libpcap for `iface`, as Scapy does it: [(code, jt, jf, k)]."""
    from scapy.arch.common import compile_filter, free_filter
    prog = compile_filter(bpf, iface)
    try:
        return [(i.code, i.jt, i.jf, i.k & 0xFFFFFFFF) for i in prog.bf_insns[:prog.bf_len]]
    finally:
        free_filter(prog)


def _reject_outgoing(prog: list, snaplen: int) -> list:
    """`prog` behind a test that rejects loopback's outgoing copies; its accept values raised to `snaplen`."""
    ret_k = 0x06                                            # BPF_RET | BPF_K
    return [(0x20, 0, 0, _SKF_AD_PKTTYPE),                  # ld  [pkttype]      (BPF_LD | BPF_W | BPF_ABS)
            (0x15, 0, 1, _PACKET_OUTGOING),                 # jeq #4, next, skip (BPF_JMP | BPF_JEQ | BPF_K)
            (ret_k, 0, 0, 0),                               # ret #0: not captured
            (0x00, 0, 0, 0)] + [                            # ld  #0: A as a program finds it at its start
        (code, jt, jf, max(k, snaplen)) if code == ret_k and k else (code, jt, jf, k) for code, jt, jf, k in prog]


def _attach(fd: socket.socket, prog: list) -> None:
    """SO_ATTACH_FILTER: replaces the socket's filter at once (the kernel copies the program)."""
    import ctypes
    insns = ctypes.create_string_buffer(b"".join(struct.pack("=HBBI", *i) for i in prog))
    fd.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, struct.pack("HP", len(prog), ctypes.addressof(insns)))


def _ifaces_hint() -> str:
    try:
        names = [name for _, name in socket.if_nameindex()]
    except OSError:
        return "see `ip link`"
    return "available: " + ", ".join(names) if names else "no interfaces found"


class PcapWriter:
    """A classic pcap file written packet by packet and flushed after each, so it is whole if we are killed.

    Nanosecond timestamps when the source has them (Linux), microseconds otherwise: either way `read` gets the
    very same float timestamps `live` computed.
    """

    def __init__(self, out: BinaryIO, linktype: int, snaplen: int = SNAPLEN, nanosecond: bool = True) -> None:
        self.out = out
        self.div = 1_000_000_000 if nanosecond else 1_000_000
        magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
        out.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        out.flush()
        self._rec = struct.Struct("<IIII")

    def write(self, sec: int, frac: int, data: bytes, wirelen: int) -> None:
        self.out.write(self._rec.pack(sec, frac, len(data), wirelen))
        self.out.write(data)
        self.out.flush()


def pcap_to_pcapng(src: BinaryIO, dst: BinaryIO, secrets: bytes = b"") -> int:
    """Rewrite the classic pcap `src` (as PcapWriter writes it) as pcapng on `dst`, with `secrets` (an NSS key
    log's text) in a Decryption Secrets Block before the packets, as `editcap --inject-secrets tls,KEYS` does:
    `demo --tls -w FILE.pcapng` keeps its keys inside the capture. Timestamps keep their resolution exactly
    (if_tsresol 9 or 6). Returns the number of packets."""
    head = src.read(24)
    magic, _, _, _, _, snaplen, linktype = struct.unpack("<IHHiIII", head)
    nano = magic == 0xA1B23C4D

    def block(btype: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    dst.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
    opts = struct.pack("<HHB3x", 9, 1, 9 if nano else 6) + struct.pack("<HH", 0, 0)      # if_tsresol, end
    dst.write(block(1, struct.pack("<HHI", linktype, 0, snaplen) + opts))
    if secrets:
        dst.write(block(0x0A, struct.pack("<II", 0x544C534B, len(secrets)) + secrets))
    n = 0
    div = 1_000_000_000 if nano else 1_000_000
    while True:
        rec = src.read(16)
        if len(rec) < 16:
            break
        sec, frac, caplen, wirelen = struct.unpack("<IIII", rec)
        data = src.read(caplen)
        if len(data) < caplen:
            break
        ts = sec * div + frac
        dst.write(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, caplen, wirelen) + data))
        n += 1
    return n
