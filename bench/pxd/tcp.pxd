# Types for Cython's pure-Python mode, used by bench/compiled.py only (copied beside wsdissect/tcp.py).

cimport cython
from wsdissect.model cimport TcpSegment

cdef class Direction:
    cdef public object base
    cdef public long long nxt_abs
    cdef public long long nxt_off
    cdef public list pending
    cdef public dict pending_at
    cdef public long long pending_bytes
    cdef public bint syn
    cdef public object fin_off
    cdef public object fin_no
    cdef public object last_ack
    cdef public object last_win
    cdef public object unacked
    cdef public long long bytes
    cdef public long long max_end
    cdef public int wscale
    cdef public bint fin_acked

cdef class TcpConnection:
    cdef public object id, client, server, ckey, key
    cdef public dict dirs
    cdef public object first_no, first_ts, last_ts, last_no
    cdef public bint saw_syn
    cdef public object state, rst_by
    cdef public bint closed, done
    cdef public object extra
    cdef public bint capped
    cdef public object lane

cdef class TcpResult:
    cdef public TcpConnection conn
    cdef public object direction, kind
    cdef public long long rel_seq, rel_ack, window
    cdef public bint new
    cdef public object delivered, peer_delivered, acked_no
    cdef public bint fin_acked
    cdef public object notes, evicted, dropped

cdef class Tracker:
    cdef public object limits, server_ports, conns
    cdef public long long next_id
    cdef public object assign
    cdef public list finished
    cdef public long long linger_packets, max_open
    cdef public object dropped
    cdef public long long past_cap_packets

    @cython.locals(conn=TcpConnection, me=Direction, peer=Direction, result=TcpResult, flags=int,
                   seq="unsigned long long", plen="long long", delta="long long", off="long long",
                   end="long long", ack_off="long long", limit="long long", new=bint)
    cpdef TcpResult feed(self, TcpSegment seg)
