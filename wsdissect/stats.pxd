# C types of stats.py (Cython's pure-Python mode: stats.py stays plain Python and runs as such where no compiler
# is present). The records (Row, Frame, Message, Connection) are read by attribute name.
import cython

cdef class _DirAcc:
    cdef public long long text_count, text_bytes, binary_count, binary_bytes, ping_count, ping_bytes
    cdef public long long pong_count, pong_bytes, close_count, close_bytes, wire, comp_sent, comp_inflated
    cdef public list pending

    cpdef dict counts(self)

cdef class _ConnAcc:
    cdef public long long first_no, last_no, packets, gap_from, gap_to
    cdef public long long largest_length, largest_opcode, largest_first_no, largest_last_no, largest_wire
    cdef public double last_ts, gap_seconds, syn_ts, request_ts, response_ts
    cdef public long long syn_no, request_no, response_no, close_no, fin_no
    cdef public object largest_dir, rst_by
    cdef public _DirAcc c2s, s2c
    cdef public list rtts, gaps
    cdef public dict notes, app

    @cython.locals(notes=dict)
    cpdef note(self, str severity)

cdef class StatsCollector:
    cdef public dict acc
    cdef public object folded

    @cython.locals(a=_ConnAcc, x=_DirAcc, no=cython.longlong, ts=cython.double, gap=cython.double,
                   op=cython.longlong, length=cython.longlong, flags=cython.longlong, notes=list, frames=list,
                   messages=list)
    cpdef row(self, object row, object conn)

    @cython.locals(x=_DirAcc, waiting=list)
    cdef _control(self, _ConnAcc a, object f, long long op, long long no, double ts)
