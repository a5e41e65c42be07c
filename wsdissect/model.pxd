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

@cython.locals(f=Frame)
cpdef Frame new_frame(long long no, long long first_no, str direction, bint fin, int rsv, int opcode, bint masked,
                      bytes mask_key, long long length, int header_len)
@cython.locals(m=Message)
cpdef Message new_message(str direction, int opcode, long long frames, long long first_no, long long last_no,
                          bint compressed, long long length, long long wire_length, bytes data, str text,
                          bint truncated)

# --- analysis records: Note, Endpoint, Connection, Row, CaptureSummary, FoldedConnections (analyzer.py) ---
cdef class Note:
    cdef public object no, conn            # None: about the capture, not a packet / a connection
    cdef public str severity, code, text
    cdef public object args

cdef class Endpoint:
    cdef public str ip
    cdef public int port

cdef class Connection:
    cdef public long long id
    cdef public Endpoint client, server
    cdef public long long first_no
    cdef public double first_ts, last_ts
    cdef public bint saw_syn, is_websocket, decode_as
    cdef public str method, uri, host, origin, ws_version, key, accept, expected_accept, subprotocol
    cdef public str offered_subprotocols, extensions, offered_extensions, decoder
    cdef public object status, accept_ok, deflate, tls, close_code
    cdef public str state, close_reason, closed_by, fin_by, end
    cdef public long long messages_c2s, messages_s2c, bytes_c2s, bytes_s2c, frames_c2s, frames_s2c
    cdef public long long notes

cdef class Label:
    cdef readonly str code
    cdef readonly object side              # C2S, S2C (None: no connection's packet)
    cdef readonly tuple args
    cdef readonly Label then

@cython.freelist(8)
cdef class Row:
    cdef public long long no
    cdef public double ts
    cdef public object conn                # None: a packet of no connection (malformed)
    cdef public str direction, src, dst
    cdef public long long flags, seq, ack, length, frame_len, window
    cdef public str role, info, protocol
    cdef public Label label
    cdef public list frames, messages, notes
    cdef public object tls

@cython.locals(row=Row)
cpdef Row new_row(long long no, double ts, object conn, str direction, str src, str dst, long long flags,
                  long long seq, long long ack, long long length, long long frame_len, long long window, str role)

cdef class CaptureSummary:
    cdef public long long packets, tcp_packets, other_packets, malformed
    cdef public object first_ts, last_ts
    cdef public list connections, caps, capture_notes
    cdef public dict notes_by_code, notes_by_severity
    cdef public long long connections_total, past_cap_packets, snaplen_cut, snaplen_kept
    cdef public FoldedConnections folded

cdef class FoldedConnections:
    cdef public object cap
    cdef public long long connections, websocket, notes
    cdef public dict messages, frames, bytes, ended, close_codes
