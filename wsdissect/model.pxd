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

cdef class DeflateParams:
    cdef public bint server_no_context_takeover, client_no_context_takeover
    cdef public int server_max_window_bits, client_max_window_bits

cdef class Frame:
    cdef public long long no, first_no, length, payload_missing
    cdef public object conn, close_code
    cdef public str direction, close_reason
    cdef public bint fin, masked
    cdef public int rsv, opcode, header_len
    cdef public bytes mask_key, payload

cdef class Message:
    cdef public object conn, app
    cdef public str direction, text
    cdef public int opcode
    cdef public long long frames, first_no, last_no, length, wire_length
    cdef public bint compressed, truncated
    cdef public bytes data

# --- analysis records: Note, Endpoint, Connection, Row, CaptureSummary, FoldedConnections (analyzer.py) ---
