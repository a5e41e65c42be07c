# cython: annotation_typing=False
"""TCP connection tracking and per-direction stream reassembly (sans-IO).

`Tracker.feed(segment)` returns a `TcpResult`: which connection and direction the segment belongs to, its
relative seq/ack as Wireshark shows them, what kind of TCP segment it is (handshake, retransmission, keep-alive,
window update...), and the stream bytes that became deliverable in order because of it (`delivered` for the
segment's own direction, `peer_delivered` for the other one). Delivered chunks are `(origin_no, bytes)` for
data that packet `origin_no` carried, or `(origin_no, int)` for that many bytes the capture does not have (a
hole in the stream); consumers must treat a gap as "bytes exist, content unknown".

Stream positions are kept as unbounded integer offsets from the first byte after the SYN, so the 32-bit
sequence wrap never reaches the reassembly logic.
"""
from __future__ import annotations

import heapq
from collections import OrderedDict
from typing import Optional

from .limits import DEFAULT_LIMITS, Limits
from .model import ACK, C2S, FIN, ROLE_PAST_CAP, RST, S2C, SYN, Endpoint, TcpSegment

HTTP_METHODS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"CONNECT ")

# Segment kinds (the TCP half of a row's role; the analyzer refines data segments).
K_SYN = "tcp-syn"
K_SYN_ACK = "tcp-syn-ack"
K_HANDSHAKE_ACK = "tcp-handshake-ack"
K_DATA = "data"
K_ACK = "ack"
K_DUP_ACK = "dup-ack"
K_FIN = "tcp-fin"
K_RST = "tcp-rst"
K_RETRANSMISSION = "tcp-retransmission"
K_KEEPALIVE = "tcp-keepalive"
K_WINDOW_UPDATE = "tcp-window-update"
K_PAST_CAP = ROLE_PAST_CAP       # a packet of a connection dropped at Limits.max_connections: not analysed


# 32-bit sequence arithmetic (named: compiled, tcp.pxd makes them C integers, as a literal this wide would not be).
_MASK32 = 0xFFFFFFFF
_NO_END = 0xFFFFFFFFFFFFFFFF     # TcpConnection.lo4/hi4 of an IPv6 connection
_SIGN32 = 0x80000000
_WRAP32 = 0x100000000


class Direction:
    """One direction of a connection: its sequence space and the reassembly buffer.

    C fields when compiled (tcp.pxd); "none yet" is -1 for the sequence numbers and offsets below (a stream
    offset is never negative). The out-of-order heap and its index exist only once a segment came out of order.
    """

    __slots__ = ("base", "nxt_abs", "nxt_off", "pending", "pending_at", "pending_bytes", "syn", "fin_off", "fin_no",
                 "last_ack", "last_win", "una_end", "una_no", "unacked", "bytes", "max_end", "wscale",
                 "fin_acked")

    def __init__(self) -> None:
        self.base = -1                      # absolute seq that shows as relative 0 (the ISN); -1 none yet
        self.nxt_abs = 0                    # absolute seq of the next in-order byte
        self.nxt_off = 0                    # stream offset of the next in-order byte (0 = first data byte)
        # (offset, origin_no, payload, missing) waiting for a hole, as a heap: thousands of tiny out-of-order
        # segments must cost O(log n) each, not a list insert and pop(0) each (quadratic; fuzz found it).
        # None until a segment arrives out of order.
        self.pending = None
        self.pending_at = None              # offset -> longest pending length there, to spot resends in O(1)
        self.pending_bytes = 0
        self.syn = False
        self.fin_off = -1                   # stream offset of the FIN (one past the last data byte); -1 none
        self.fin_no = -1
        self.last_ack = -1                  # last absolute ack this direction sent, for dup-ACK/window update
        self.last_win = -1
        # The segments sent and not yet acknowledged, to name the packet an ACK acks, in the order sent: each is
        # (end offset, packet no), consumed from the head (_sent, Tracker.feed). The head is in two fields, the
        # rest, when there is more than one, in a list (None otherwise): most of the time a direction has at most
        # one unacknowledged segment, and then no list or tuple.
        self.una_end = 0
        self.una_no = -1                    # -1: nothing unacknowledged
        self.unacked = None
        self.bytes = 0                      # payload bytes carried, retransmissions excluded
        self.max_end = 0                    # highest stream offset seen (delivered or buffered)
        self.fin_acked = False              # the peer has acknowledged this direction's FIN
        self.wscale = -1                    # window-scale shift from this side's SYN; -1 unknown or none

    def set_base(self, isn: int) -> None:
        self.base = isn
        self.nxt_abs = (isn + 1) & _MASK32
        self.nxt_off = 0


# A finished connection (both FINs acknowledged, or an RST) is forgotten once this many packets of the capture
# went by without one of its own: a late duplicate (the last ACK sent again, an RST after the close) still finds
# its connection and its relative seq/ack, and memory stays flat however many connections the capture holds.
# Counted in packets, not seconds: a busy capture sees 10,000 packets in well under a second, while
# the capture's own clock may run 100,000 connections in 1.3 s (bench/gen.py --shape conns).
LINGER_PACKETS = 10_000


class TcpConnection:
    """One tracked connection: its two directions (`c2s`, `s2c`; `dirs` maps C2S/S2C to them), its key in
    Tracker.conns, and what the analyzer hangs on it (`extra`)."""
    __slots__ = ("id", "client", "server", "client_lo", "key", "c2s", "s2c", "first_no", "first_ts", "last_ts",
                 "last_no", "saw_syn", "rst_by", "closed", "done", "extra", "capped", "lo4", "hi4")

    def __init__(self, cid: int, client: Endpoint, server: Endpoint, key, no: int, ts: float,
                 client_lo: bool = True):
        self.id = cid
        self.client = client
        self.server = server
        self.key = key                      # its key in Tracker.conns (Tracker.key_of)
        # An IPv4 connection's key in two halves, its lower end and its higher one (address << 16 | port): how
        # Tracker.feed knows the connection of the packet before without making the key. 2**64 - 1 (no end's
        # value) for an IPv6 one.
        if isinstance(key, int) and key >= 0:
            self.lo4 = key >> 48
            self.hi4 = key & 0xFFFFFFFFFFFF
        else:
            self.lo4 = self.hi4 = _NO_END
        # The client's end (address and port as one integer) is the lower of the two: how a segment's
        # direction is told from the same comparison that built its key.
        self.client_lo = client_lo
        self.c2s = Direction()
        self.s2c = Direction()
        self.first_no = no
        self.first_ts = ts
        self.last_ts = ts
        self.last_no = no
        self.saw_syn = False
        self.rst_by = None
        self.closed = False                 # both FINs sent, or RST: a new SYN on the 4-tuple is a new connection
        self.done = False                   # both FINs acknowledged, or RST: queued in Tracker.finished
        self.extra = None                   # the analyzer's per-connection state
        self.capped = False                 # dropped to respect Limits.max_connections (not a port reuse)

    @property
    def dirs(self) -> dict:
        """{C2S: its client's direction, S2C: its server's}."""
        return {C2S: self.c2s, S2C: self.s2c}


# How many connections dropped at Limits.max_connections the tracker remembers (DroppedConnection, ~250 bytes
# each), as a multiple of that cap. A connection forgotten in turn is taken for a new one at its next packet.
DROPPED_REMEMBERED = 10


class DroppedConnection:
    """What the tracker remembers of a connection it dropped to respect Limits.max_connections, so that the
    connection's later packets are counted against it (TcpResult.kind K_PAST_CAP) rather than opening a new
    connection that would start in the middle of a stream: its id, which end is the client's, and the two
    sequence bases, for relative seq/ack."""
    __slots__ = ("id", "client_lo", "client_base", "server_base", "packets")

    def __init__(self, conn: "TcpConnection") -> None:
        self.id = conn.id
        self.client_lo = conn.client_lo
        self.client_base = max(conn.c2s.base, 0)
        self.server_base = max(conn.s2c.base, 0)
        self.packets = 0                    # later packets seen


_EMPTY: tuple = ()


class TcpResult:
    """What Tracker.feed learnt from one segment (made by `_result`). The four sequences are read-only for the
    caller: most segments have none of them, so they share one empty tuple and a list is made only when
    something is added (four fresh lists per segment were a measurable part of feed(); bench/README.md).

    conn, direction, kind: the segment's connection (None for K_PAST_CAP), C2S or S2C, and what it is;
    rel_seq, rel_ack: as Wireshark shows them; window: scaled as Wireshark does when both SYNs announced
    scaling; new: the segment opened `conn`; delivered: (origin_no, bytes | int) of this segment's direction;
    peer_delivered: stream bytes of the *other* direction released by this segment (an ACK beyond a hole in the
    peer's stream declares the hole missing and frees what was buffered behind it), kept apart from `delivered`
    because they belong to the peer's parser; acked_no: the packet of the other side that this ACK newly
    acknowledges (None: none); fin_acked: this ACK is the first to acknowledge the other side's FIN; notes:
    (severity, code, args: see model.Note); evicted: connections dropped (port reuse,
    Limits.max_connections); dropped: for K_PAST_CAP, the dropped connection."""
    __slots__ = ("conn", "direction", "kind", "rel_seq", "rel_ack", "window", "new", "delivered",
                 "peer_delivered", "acked_no", "fin_acked", "notes", "evicted", "dropped")

    def note(self, severity: str, code: str, args: dict) -> None:
        """Add a note (see `notes`); its list is made with the first."""
        if self.notes is _EMPTY:
            self.notes = []
        self.notes.append((severity, code, args))


def _result(conn, direction: str, kind: str, rel_seq: int, rel_ack: int, window: int, new: bool,
            evicted) -> TcpResult:
    """A TcpResult, made field by field (compiled: C stores into a fresh object, no argument tuple)."""
    result = TcpResult.__new__(TcpResult)
    result.conn = conn
    result.direction = direction
    result.kind = kind
    result.rel_seq = rel_seq
    result.rel_ack = rel_ack
    result.window = window
    result.new = new
    result.delivered = _EMPTY
    result.peer_delivered = _EMPTY
    result.acked_no = None
    result.fin_acked = False
    result.notes = _EMPTY
    result.evicted = evicted
    result.dropped = None
    return result


def _guess_client_is_src(seg: TcpSegment, server_ports: frozenset) -> bool:
    """Who is the client of a connection whose SYN the capture lacks?"""
    if seg.flags & SYN:
        return not (seg.flags & ACK)
    if seg.dport in server_ports:
        return True
    if seg.sport in server_ports:
        return False
    p = seg.payload
    if p.startswith(HTTP_METHODS):
        return True
    if p.startswith(b"HTTP/"):
        return False
    # Servers listen on the lower (well-known or registered) port far more often than not.
    return seg.sport > seg.dport


class Tracker:
    def __init__(self, limits: Limits = DEFAULT_LIMITS, server_ports: frozenset = frozenset()):
        self.limits = limits
        self.server_ports = server_ports
        self.conns: "OrderedDict[tuple, TcpConnection]" = OrderedDict()   # key: (src, sport, dst, dport)
        self.next_id = 0
        # `assign(no, open)`, when set, numbers the connection that packet `no` opens (after which `open` are
        # tracked) instead of next_id: a worker of a parallel read (wsdissect/parallel.py) numbers its own
        # and tells the parent, which numbers them in the order of the capture.
        self.assign = None
        # Done connections waiting out LINGER_PACKETS (release()): a heap of (packet no, id, connection), the
        # packet being the connection's last one when it was queued (it may have seen more since).
        self.finished: list = []
        self.linger_packets = LINGER_PACKETS
        # Connections tracked at once (Limits.max_connections); a worker of a parallel read tracks its share.
        self.max_open = limits.max_connections
        # Connections dropped at that cap, by the 4-tuple they were kept under, oldest first, so that their later
        # packets are not taken for new connections (each of which would drop another tracked one): up to
        # DROPPED_REMEMBERED times the cap, the oldest forgotten first.
        self.dropped: "OrderedDict[tuple, DroppedConnection]" = OrderedDict()
        self.past_cap_packets = 0           # packets of dropped connections, not analysed
        # The connection last moved to the end of `conns` (or added there): its next packet need not move it.
        self.recent = None

    # -- connection lookup -------------------------------------------------------------------------------
    def _new_conn(self, seg: TcpSegment, key, lo_src: bool, evicted):
        """A new connection for `seg`, kept under `key`; (it, `evicted` with the connection dropped for room, if
        any: a list made then when it was None)."""
        if len(self.conns) >= self.max_open:
            old_key, old = self.conns.popitem(last=False)
            old.capped = True
            if evicted is None:
                evicted = []
            evicted.append(old)
            dropped = self.dropped
            dropped[old_key] = DroppedConnection(old)
            if len(dropped) > self.max_open * DROPPED_REMEMBERED:
                dropped.popitem(last=False)
        src, dst = Endpoint(seg.src, seg.sport), Endpoint(seg.dst, seg.dport)
        if _guess_client_is_src(seg, self.server_ports):
            client, server, client_lo = src, dst, lo_src
        else:
            client, server, client_lo = dst, src, not lo_src
        if self.assign is None:
            cid = self.next_id
            self.next_id += 1
        else:
            cid = self.assign(seg.no, len(self.conns) + 1)
        conn = TcpConnection(cid, client, server, key, seg.no, seg.ts, client_lo)
        self.conns[key] = conn
        self.recent = conn
        return conn, evicted

    # -- per segment -------------------------------------------------------------------------------------
    def feed(self, seg: TcpSegment) -> TcpResult:
        # The hot path of every command: attributes are read once into locals, and lists are made only when
        # something goes in them (see TcpResult).
        conns = self.conns
        # One key for both directions: each end (address and port) as one integer, the lower end first.
        if seg.ip_version == 4:
            # Compiled, the two ends are C integers (48 bits each); the key is the one Python integer of both.
            a4 = seg.src_ip
            a4 = a4 << 16 | seg.sport
            b4 = seg.dst_ip
            b4 = b4 << 16 | seg.dport
            lo_src = a4 < b4
            if not lo_src:
                a4, b4 = b4, a4
            conn = self.recent
            if conn is not None and conn.lo4 == a4 and conn.hi4 == b4:
                # The connection of the packet before, told by its two ends as C integers: no key to make.
                key = conn.key
            else:
                key = a4
                key = key << 48 | b4
                conn = conns.get(key)
        else:
            a = seg.src_ip << 16 | seg.sport
            b = seg.dst_ip << 16 | seg.dport
            lo_src = a < b
            key = ~(a << 144 | b if lo_src else b << 144 | a)      # negative: never an IPv4 connection's key
            conn = conns.get(key)
        flags = seg.flags
        new = False
        evicted = None
        if conn is not None and flags & SYN and not flags & ACK and conn.closed:
            # Port reuse: a fresh SYN on a finished 4-tuple starts a new connection.
            del conns[key]
            evicted = [conn]
            conn = None
        if conn is None:
            if self.dropped:
                if not flags & SYN or flags & ACK:
                    past = self._past_cap(seg, key, lo_src)
                    if past is not None:
                        return past
                else:               # a new connection on a dropped one's 4-tuple
                    self.dropped.pop(key, None)
            conn, evicted = self._new_conn(seg, key, lo_src, evicted)
            new = True
        elif conn is not self.recent:
            conns.move_to_end(key)
            self.recent = conn
        no = seg.no
        conn.last_ts = seg.ts
        conn.last_no = no
        if lo_src == conn.client_lo:
            direction, me, peer = C2S, conn.c2s, conn.s2c
        else:
            direction, me, peer = S2C, conn.s2c, conn.c2s
        result = _result(conn, direction, K_DATA, 0, 0, 0, new, _EMPTY if evicted is None else evicted)

        # Sequence bases, as Wireshark chooses them: the ISN when the SYN is seen, else one before the first
        # seq seen (so the first byte shows as 1), or one before what the peer acknowledged.
        if flags & SYN:
            if me.base < 0 or not me.syn:
                me.set_base(seg.seq)
                me.syn = True
                conn.saw_syn = True
        elif me.base < 0:
            me.set_base((seg.seq - 1) & _MASK32)
        if flags & ACK and peer.base < 0:
            peer.set_base((seg.ack - 1) & _MASK32)

        if flags & SYN:
            me.wscale = seg.wscale
            result.window = seg.window       # RFC 7323 2.2: the window in a SYN is never scaled
        elif me.wscale >= 0 and peer.wscale >= 0:
            result.window = seg.window << me.wscale
        else:
            result.window = seg.window
        seq = seg.seq
        # Both bases are set by now (above).
        result.rel_seq = (seq - me.base) & _MASK32
        result.rel_ack = (seg.ack - peer.base) & _MASK32 if flags & ACK else 0

        payload = seg.payload
        plen = len(payload) + seg.missing
        # A stream offset: the distance from the next expected byte as a signed 32-bit number, so the sequence
        # wrap never matters. Written out here and for the ACK below instead of a helper: this runs per packet.
        delta = ((seq + 1 if flags & SYN else seq) - me.nxt_abs) & _MASK32
        off = me.nxt_off + (delta - _WRAP32 if delta & _SIGN32 else delta)
        end = off + plen

        # Classify before reassembly changes nxt_off.
        if flags & RST:
            kind = K_RST
            conn.rst_by = direction
            conn.closed = True
        elif flags & SYN:
            kind = K_SYN_ACK if flags & ACK else K_SYN
            if plen == 0 and me.una_no >= 0:
                q = me.unacked
                last_end, last_no = (me.una_end, me.una_no) if q is None else q[-1]
                if last_end == 0 and last_no != no and conn.first_no != no:
                    kind = K_RETRANSMISSION
                    result.note("note", "tcp-retransmission", {"variant": "syn"})
        elif plen and end <= me.nxt_off and not flags & FIN:
            if plen == 1 and end == me.nxt_off:
                kind = K_KEEPALIVE
            else:
                kind = K_RETRANSMISSION
                result.note("note", "tcp-retransmission", {"variant": "data", "n": plen})
        elif flags & FIN:
            if me.fin_off >= 0 and me.fin_no != seg.no:
                kind = K_RETRANSMISSION
                result.note("note", "tcp-retransmission", {"variant": "fin"})
            else:
                kind = K_FIN
        elif plen:
            kind = K_DATA
        elif off == me.nxt_off - 1 and seg.seq != me.nxt_abs:
            kind = K_KEEPALIVE
        elif me.last_ack == seg.ack and flags & ACK:
            kind = K_WINDOW_UPDATE if me.last_win != seg.window else K_DUP_ACK
        else:
            kind = K_ACK
        if (kind == K_ACK and direction == C2S and conn.saw_syn and peer.syn and me.bytes == 0
                and me.una_no < 0 and result.rel_seq == 1 and result.rel_ack == 1):
            kind = K_HANDSHAKE_ACK
        result.kind = kind

        # What this segment acknowledges of the peer's data.
        if flags & ACK:
            delta = (seg.ack - peer.nxt_abs) & _MASK32          # the ACK's offset in the peer's stream
            ack_off = peer.nxt_off + (delta - _WRAP32 if delta & _SIGN32 else delta)
            if peer.una_no >= 0 and peer.una_end <= ack_off:
                q = peer.unacked
                if q is None:
                    result.acked_no = peer.una_no
                    peer.una_no = -1
                else:
                    k, n = 0, len(q)
                    while k < n and q[k][0] <= ack_off:
                        k += 1
                    result.acked_no = q[k - 1][1] if k else peer.una_no
                    if k == n:
                        peer.una_no = -1
                        peer.unacked = None
                    else:
                        peer.una_end, peer.una_no = q[k]
                        if k + 1 == n:
                            peer.unacked = None
                        else:
                            del q[:k + 1]   # one slice: popping the head one by one would be quadratic
            if peer.fin_off >= 0 and ack_off >= peer.fin_off + 1 and not peer.fin_acked:
                # Only the first ACK of the FIN counts: every later segment still acknowledges it, and
                # reporting it again made a FIN,ACK sent after the peer's FIN was already ACKed read as
                # "teardown 2+3/4" instead of "3/4" (and later pure ACKs as teardown steps).
                peer.fin_acked = True
                result.fin_acked = True
            # The FIN takes a sequence number but is no byte: an ACK of it vouches for the stream up to fin_off
            # only. (This used to be a `fin_off is None` guard, which left a hole right before a FIN undeclared.)
            limit = ack_off if peer.fin_off < 0 else min(ack_off, peer.fin_off)
            if (peer.pending and limit > peer.nxt_off) or (limit > peer.max_end >= peer.nxt_off):
                # The receiver has bytes the capture never saw: declare missing every hole below the ACK, not
                # just the first one (data held behind a second hole would otherwise wait for another ACK).
                result.peer_delivered = peer_delivered = []
                while peer.pending or peer.bytes or peer.syn:
                    hole_end = min(limit, peer.pending[0][0]) if peer.pending else limit
                    if hole_end <= peer.nxt_off:
                        break
                    peer_delivered.extend(_gap(peer, hole_end, no, result, True))
                    peer_delivered.extend(_drain(peer))
            me.last_ack = seg.ack
            me.last_win = seg.window

        # Reassembly.
        if plen and kind not in (K_RETRANSMISSION, K_KEEPALIVE):
            missing = seg.missing
            if off < me.nxt_off:
                # Overlap: the segment starts with bytes already delivered; keep only the new tail.
                skip = me.nxt_off - off
                result.note("note", "tcp-overlap", {"n": skip})
                if skip < len(payload):
                    payload = payload[skip:]
                else:
                    missing = max(missing - (skip - len(payload)), 0)
                    payload = b""
                off = me.nxt_off
            result.delivered = delivered = []
            if off == me.nxt_off:
                _accept(me, no, payload, missing, delivered)
                if me.pending:
                    delivered.extend(_drain(me))
            else:
                self._buffer(me, off, no, payload, missing, result)
            me.bytes += len(payload) + missing
            if end > me.max_end:
                me.max_end = end
            _sent(me, end, no)
        if flags & SYN and me.una_no < 0:
            _sent(me, 0, no)
        if flags & FIN and me.fin_off < 0:
            me.fin_off = end
            me.fin_no = no
            _sent(me, end + 1, no)
        if me.fin_off >= 0 and peer.fin_off >= 0:
            # Both sides sent their FIN: from now on a SYN on this 4-tuple can only open a new connection,
            # even when the last ACK is missing from the capture.
            conn.closed = True
        if not conn.done and (kind == K_RST or (me.fin_acked and peer.fin_acked)):
            conn.done = True
            self.queue_done(conn, no)
        return result

    def _past_cap(self, seg: TcpSegment, key, lo_src: bool):
        """The result for a segment of a connection dropped at the cap, or None when `key` names none. A SYN
        (port reuse) never gets here: it opens a new connection, and the dropped one is forgotten then."""
        dropped = self.dropped.get(key)
        if dropped is None:
            return None
        if lo_src == dropped.client_lo:
            direction, base, peer_base = C2S, dropped.client_base, dropped.server_base
        else:
            direction, base, peer_base = S2C, dropped.server_base, dropped.client_base
        rel_seq = (seg.seq - base) & _MASK32
        rel_ack = (seg.ack - peer_base) & _MASK32 if seg.flags & ACK else 0
        result = _result(None, direction, K_PAST_CAP, rel_seq, rel_ack, seg.window, False, _EMPTY)
        result.dropped = dropped
        dropped.packets += 1
        self.past_cap_packets += 1
        return result

    def queue_done(self, conn: TcpConnection, no: int) -> None:
        """`conn` is done at packet `no`: it waits out linger_packets in the heap release() reads
        ((packet no, id, connection))."""
        heapq.heappush(self.finished, (no, conn.id, conn))

    def release(self, no: int) -> list:
        """Forget the done connections whose last packet is at least `linger_packets` packets before packet
        `no`, and return them, oldest last packet first: the caller (Analyzer._release) finishes each so its
        buffers, parsers and inflaters go too. One already dropped (port reuse, the --max-connections cap) is
        skipped: it was finished then.

        Whether a connection is released depends on that connection alone, never on where others stand in the
        queue: the workers of a parallel read (wsdissect/parallel.py) each hold some of the connections, and
        must release each one at the very packet a single reader would."""
        out = []
        q = self.finished
        horizon = no - self.linger_packets
        while q and q[0][0] <= horizon:
            queued_no, cid, conn = heapq.heappop(q)
            if conn.last_no != queued_no:
                heapq.heappush(q, (conn.last_no, cid, conn))    # active since it was queued: wait from then
            elif self.conns.get(conn.key) is conn:
                del self.conns[conn.key]
                if conn is self.recent:
                    self.recent = None
                out.append(conn)         # in order of last packet: the heap's, a connection pushed back included
        return out

    def _buffer(self, d: Direction, off: int, no: int, payload: bytes, missing: int, result: TcpResult) -> None:
        total = len(payload) + missing
        if d.pending is None:
            d.pending = []
            d.pending_at = {}
        elif d.pending_at.get(off, -1) >= total:
            result.kind = K_RETRANSMISSION
            result.note("note", "tcp-retransmission", {"variant": "out_of_order"})
            return
        heapq.heappush(d.pending, (off, no, payload, missing))
        if total > d.pending_at.get(off, -1):
            d.pending_at[off] = total
        d.pending_bytes += len(payload)
        result.note("note", "tcp-out-of-order", {"n": off - d.nxt_off})
        while d.pending_bytes > self.limits.max_reorder and d.pending:
            # Cap reached: stop waiting for the hole and move on past it.
            result.note("warning", "cap-reorder", {"max": self.limits.max_reorder})
            result.delivered.extend(_gap(d, d.pending[0][0], no, result, False))
            result.delivered.extend(_drain(d))

    def finish_connection(self, conn: TcpConnection) -> dict:
        """End of capture (or eviction): deliver whatever is buffered behind holes, per direction."""
        out = {}
        for direction, d in ((C2S, conn.c2s), (S2C, conn.s2c)):
            chunks: list = []
            if d.pending:
                first_no = d.pending[0][1]
                chunks.extend(_gap(d, d.pending[0][0], first_no, None, False))
                chunks.extend(_drain(d))
                while d.pending:
                    chunks.extend(_gap(d, d.pending[0][0], d.pending[0][1], None, False))
                    chunks.extend(_drain(d))
            if d.fin_off >= 0 and d.fin_off > d.nxt_off:
                # The FIN's sequence number proves the bytes before it were sent, though none were captured.
                chunks.extend(_gap(d, d.fin_off, d.fin_no, None, False))
            out[direction] = chunks
        return out


# -- reassembly helpers ------------------------------------------------------------------------------------
def _sent(d: Direction, end: int, no: int) -> None:
    """Packet `no` took d's sequence space up to stream offset `end`: queue it for the ACK that covers it."""
    if d.una_no < 0:
        d.una_end = end
        d.una_no = no
    elif d.unacked is None:
        d.unacked = [(end, no)]
    else:
        d.unacked.append((end, no))


def _accept(d: Direction, no: int, payload: bytes, missing: int, out: list) -> None:
    if payload:
        out.append((no, payload))
    if missing:
        out.append((no, missing))
    n = len(payload) + missing
    d.nxt_off += n
    d.nxt_abs = (d.nxt_abs + n) & _MASK32


def _drain(d: Direction) -> list:
    """The chunks the out-of-order heap holds from d.nxt_off on, until its next hole; the heap and its index
    go once empty."""
    out: list = []
    pending = d.pending
    while pending and pending[0][0] <= d.nxt_off:
        off, no, payload, missing = heapq.heappop(pending)
        d.pending_bytes -= len(payload)
        d.pending_at.pop(off, None)
        skip = d.nxt_off - off
        total = len(payload) + missing
        if skip >= total:
            continue
        if skip < len(payload):
            _accept(d, no, payload[skip:], missing, out)
        else:
            _accept(d, no, b"", missing - (skip - len(payload)), out)
    if pending is not None and not pending:
        d.pending = None
        d.pending_at = None
    return out


def _gap(d: Direction, upto: int, no: int, result, acked: bool) -> list:
    """Declare the bytes from d.nxt_off to `upto` missing: [(no, their count)], or [] when there are none; the
    note goes to `result` (None: to no one)."""
    n = upto - d.nxt_off
    if n <= 0:
        return []
    if result is not None:
        result.note("warning", "tcp-missing-bytes", {"variant": "acked" if acked else "lost", "n": n})
    d.nxt_off = upto
    d.nxt_abs = (d.nxt_abs + n) & _MASK32
    return [(no, n)]
