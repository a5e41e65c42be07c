# Types for Cython's pure-Python mode, used by bench/compiled.py only (copied beside wsdissect/model.py).

cdef class RawPacket:
    cdef public long long no
    cdef public double ts
    cdef public int linktype
    cdef public bytes data
    cdef public long long wirelen

cdef class TcpSegment:
    cdef public long long no
    cdef public double ts
    cdef public str src, dst
    cdef public int sport, dport
    cdef public unsigned int seq, ack
    cdef public int flags, window
    cdef public bytes payload
    cdef public long long frame_len
    cdef public int ip_version
    cdef public long long missing
    cdef public int wscale
