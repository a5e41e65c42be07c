# C types of the records in model.py (Cython's pure-Python mode: model.py stays plain Python and runs as such
# where no compiler is present). One section per layer that makes the records.

import cython

# --- packets and segments: RawPacket, Secrets, TcpSegment (sources/, decode.py) ---
@cython.final
@cython.no_gc
@cython.freelist(16)
cdef class RawPacket:
    cdef public long long no
    cdef public double ts
    cdef public int linktype
    cdef public bytes data
    cdef public long long wirelen

@cython.final
@cython.no_gc
@cython.freelist(16)
cdef class TcpSegment:
    cdef public long long no
    cdef public double ts
    cdef public object src_ip, dst_ip          # int: 32 bits (IPv4) or 128 (IPv6)
    cdef public unsigned int sport, dport, seq, ack, flags, window
    cdef public bytes payload
    cdef public long long frame_len, missing
    cdef public int ip_version, wscale
    cdef public bint cut

cpdef str ip_text(object ip, int version=*)

# --- stream records: Frame, Message, DeflateParams (http.py, websocket/) ---

# --- analysis records: Note, Endpoint, Connection, Row, CaptureSummary, FoldedConnections (analyzer.py) ---
