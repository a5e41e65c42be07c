# C types of the records in model.py (Cython's pure-Python mode: model.py stays plain Python and runs as such
# where no compiler is present). One section per layer that makes the records.

# --- packets and segments: RawPacket, Secrets, TcpSegment (sources/, decode.py) ---

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
