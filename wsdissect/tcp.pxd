# C types of tcp.py (Cython's pure-Python mode: tcp.py stays plain Python and runs as such where no compiler is
# present).
import cython

from wsdissect.model cimport TcpSegment

# model's flag bits, imported as C integers
cdef unsigned int FIN, SYN, RST, ACK
cdef long long _MASK32, _SIGN32, _WRAP32
cdef unsigned long long _NO_END
cdef tuple _EMPTY

@cython.final
@cython.no_gc
cdef class Direction:
    cdef public long long base, nxt_abs, nxt_off, pending_bytes, fin_off, fin_no, last_ack, last_win
    cdef public long long bytes, max_end, una_end, una_no
    cdef public list pending, unacked
    cdef public dict pending_at
    cdef public bint syn, fin_acked
    cdef public int wscale

    cpdef set_base(self, long long isn)

@cython.final
cdef class TcpConnection:
    cdef public long long id, first_no, last_no
    cdef public double first_ts, last_ts
    cdef public object client, server, key, rst_by, extra
    cdef public bint client_lo, saw_syn, closed, done, capped
    cdef public Direction c2s, s2c
    cdef readonly unsigned long long lo4, hi4

@cython.final
@cython.no_gc
cdef class DroppedConnection:
    cdef public long long id, client_base, server_base, packets
    cdef public bint client_lo

@cython.final
@cython.no_gc
@cython.freelist(16)
cdef class TcpResult:
    cdef public TcpConnection conn
    cdef public str direction, kind
    cdef public long long rel_seq, rel_ack, window
    cdef public bint new, fin_acked
    cdef public object delivered, peer_delivered, acked_no, notes, evicted, dropped

    cpdef note(self, str severity, str code, dict args)

@cython.locals(result=TcpResult)
cdef TcpResult _result(TcpConnection conn, str direction, str kind, long long rel_seq, long long rel_ack,
                       long long window, bint new, object evicted)

@cython.locals(flags=cython.uint)
cdef bint _guess_client_is_src(TcpSegment seg, object server_ports)

@cython.final
cdef class Tracker:
    cdef public object limits, server_ports, conns, assign, dropped
    cdef public long long next_id, linger_packets, max_open, past_cap_packets
    cdef public list finished
    cdef public TcpConnection recent

    @cython.locals(conn=TcpConnection, old=TcpConnection, cid=cython.longlong)
    cdef tuple _new_conn(self, TcpSegment seg, object key, bint lo_src, object evicted)

    @cython.locals(conn=TcpConnection, lo_src=bint, flags=cython.uint, new=bint, no=cython.longlong,
                   me=Direction, peer=Direction, result=TcpResult, seq=cython.longlong, payload=bytes,
                   plen=cython.longlong, delta=cython.longlong, off=cython.longlong, end=cython.longlong,
                   ack_off=cython.longlong, limit=cython.longlong, hole_end=cython.longlong,
                   k=Py_ssize_t, n=Py_ssize_t, q=list, skip=cython.longlong, missing=cython.longlong,
                   delivered=list, peer_delivered=list, past=TcpResult,
                   last_end=cython.longlong, last_no=cython.longlong, a4=cython.ulonglong, b4=cython.ulonglong)
    cpdef TcpResult feed(self, TcpSegment seg)

    @cython.locals(dropped=DroppedConnection, result=TcpResult, rel_seq=cython.longlong, rel_ack=cython.longlong)
    cdef TcpResult _past_cap(self, TcpSegment seg, object key, bint lo_src)

    cpdef queue_done(self, TcpConnection conn, long long no)

    @cython.locals(horizon=cython.longlong, conn=TcpConnection)
    cpdef list release(self, long long no)

    @cython.locals(total=cython.longlong)
    cdef _buffer(self, Direction d, long long off, long long no, bytes payload, long long missing,
                 TcpResult result)

    @cython.locals(d=Direction, chunks=list)
    cpdef dict finish_connection(self, TcpConnection conn)

cdef void _sent(Direction d, long long end, long long no)

@cython.locals(n=cython.longlong)
cdef _accept(Direction d, long long no, bytes payload, long long missing, list out)

@cython.locals(out=list, pending=list, off=cython.longlong, skip=cython.longlong, total=cython.longlong,
               payload=bytes, missing=cython.longlong, no=cython.longlong)
cdef list _drain(Direction d)

@cython.locals(n=cython.longlong)
cdef list _gap(Direction d, long long upto, long long no, TcpResult result, bint acked)
