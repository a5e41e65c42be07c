# C types of analyzer.py (Cython's pure-Python mode: analyzer.py stays plain Python and runs as such where no
# compiler is present). Methods that parallel.ShardAnalyzer overrides (feed, finish, _release, _finish_conn,
# _count_note, _fold, _conn_ref) stay Python methods.
import cython
from wsdissect.model cimport RawPacket, Note, Label, Endpoint, Connection, Row, CaptureSummary, FoldedConnections, Frame, \
    Message, TcpSegment, new_row
from wsdissect.tcp cimport TcpConnection, TcpResult, Tracker
from wsdissect.decode cimport decode_packet
from wsdissect.http cimport HttpStream, HttpRequest, HttpResponse, Handshake

# Constants read per packet, as C globals (imported or set once at import time; not attributes of the module).
cdef str C2S, S2C, M_HTTP, M_WAIT, M_WS, M_OPAQUE
cdef str K_ACK, K_DATA, K_DUP_ACK, K_FIN, K_HANDSHAKE_ACK, K_KEEPALIVE, K_PAST_CAP, K_RETRANSMISSION, K_RST, K_SYN
cdef str K_SYN_ACK, K_WINDOW_UPDATE
cdef unsigned int ACK, FIN, SYN
cdef int CLOSE, CONTINUATION, PING, PONG
cdef dict SIDE, OTHER
from wsdissect.websocket.messages cimport WebSocketDirection

@cython.final
cdef class _ConnState:
    cdef public Connection rec
    cdef public str mode_c2s, mode_s2c
    cdef public object http_c2s, http_s2c
    cdef public WebSocketDirection ws_c2s, ws_s2c
    cdef public list waiting, names_c2s, names_s2c
    cdef public object request
    cdef public tuple fin_seen, decided
    cdef public object last_payload_ts, last_control_ts, keepalive_ts
    cdef public dict keepalive
    cdef public tuple close_sent
    cdef public Frame close_first
    cdef public str keepalive_side, src, dst
    cdef public bint hinted
    cdef public long long plain_pending
    cdef public object plain_last, app, tls

    cpdef str mode(self, str d)
    cpdef set_mode(self, str d, str mode)
    cpdef http(self, str d)
    cpdef ws(self, str d)
    cpdef list names(self, str d)


cdef class Analyzer:
    cdef public object limits, keylog
    cdef public str lang
    cdef public bint _labels, _note_lang, _finished, app_spans
    cdef public dict _sided_c2s, _sided_s2c
    cdef public dict _frame_names, connections
    cdef public frozenset decode_as
    cdef public object subprotocol
    cdef public Tracker tracker
    cdef public CaptureSummary summary
    cdef public list end_frames, end_messages, _released_notes
    cdef public Py_ssize_t _summary_keep
    cdef public object on_fold, on_finish

    @cython.locals(s=CaptureSummary, seg=TcpSegment)
    cdef _packet(self, RawPacket raw)

    cdef _snaplen_cut(self, raw)
    cdef Row _malformed_row(self, raw, str variant, str error)

    @cython.locals(st=_ConnState, rec=Connection, row=Row, d=str, plen=Py_ssize_t, fresh=bint, note=Note,
                   http_recs=list, r=TcpResult, tc=TcpConnection, src=str, dst=str)
    cpdef _segment(self, TcpSegment seg)

    @cython.locals(last=tuple, interval=double, regular=bint, quiet=bint)
    cdef _keepalive(self, _ConnState st, str d, Frame f, double ts)

    @cython.locals(row=Row, note=Note)
    cdef Row _past_cap_row(self, TcpSegment seg, TcpResult r)

    @cython.locals(rec=Connection)
    cdef _open(self, TcpConnection tc, TcpSegment seg)

    cdef _deliver(self, TcpConnection tc, _ConnState st, str d, list chunks, Row row, list http_recs)

    @cython.locals(gap=bint, mode=str, ws=WebSocketDirection)
    cdef _deliver_plain(self, TcpConnection tc, _ConnState st, str d, list chunks, Row row, list http_recs)

    @cython.locals(r=Connection, stream=HttpStream, req=HttpRequest, recs=list)
    cdef _feed_http(self, TcpConnection tc, _ConnState st, str d, origin, data, Row row, list http_recs)

    @cython.locals(r=Connection, hs=Handshake, req=HttpRequest)
    cdef list _response(self, TcpConnection tc, _ConnState st, HttpResponse resp, origin, Row row)

    @cython.locals(r=Connection)
    cdef _start_ws(self, TcpConnection tc, _ConnState st, deflate, Row row, bint forced=*)

    @cython.locals(r=Connection, m=Message, f=Frame)
    cdef _ws_records(self, TcpConnection tc, _ConnState st, str d, list recs, Row row)

    @cython.locals(note=Note)
    cdef _note(self, Row row, tc, str severity, str code, text, args)

    @cython.locals(d=str, flags=cython.longlong, frames=list, own=list, rec=Connection, labels=bint, m=Message,
                   f=Frame)
    cdef _label(self, TcpConnection tc, _ConnState st, TcpResult r, TcpSegment seg, Row row,
                list http_recs)

    @cython.locals(r=Connection, ws=WebSocketDirection)
    cdef tuple _content(self, TcpConnection tc, _ConnState st, str d, Row row, list http_recs, list own)

    cdef tuple _tls_content(self, _ConnState st, str d, Row row)

    @cython.locals(msgs=list, first=bint, auto=bint, f=Frame, close=Frame, last_data=Frame, m=Message,
                   n=Py_ssize_t)
    cdef tuple _frames_label(self, _ConnState st, str d, Row row, list frames)

    @cython.locals(rec=Connection, first=bint, quiet=bint, pinged=bint, label=Label)
    cdef Label _fin(self, TcpConnection tc, _ConnState st, str d, TcpResult r, TcpSegment seg, Row row)

    @cython.locals(cache=dict, label=Label)
    cdef Label _sided(self, str code, str d)

    @cython.locals(q=list, k=Py_ssize_t, n=Py_ssize_t)
    cdef Label _ack_label(self, _ConnState st, str d, TcpResult r)


cdef dict _info_flags
cdef list _NO_FRAMES
cdef dict _PLUS, _words
cdef Py_ssize_t _WORDS_KEPT
cdef tuple _plus(tuple t, str d)
@cython.locals(kept=str)
cdef str _word(str s)
@cython.locals(f=Frame)
cdef str _frames_role(list frames)
@cython.locals(flags=cython.longlong)
cdef str _tcp_info(Row row)
cdef list _frame_infos, _ws_infos
cdef int _info_slot(Frame f)
@cython.locals(slot=int)
cdef str _frame_info(Frame f)
@cython.locals(f=Frame, s=str)
cdef str _content_info(list http_recs, list frames)
cdef Label _then(Label label, Label after)
cdef tuple _NAME_SYN, _NAME_SYN_ACK, _NAME_FIN, _NAME_UPGRADE_REQUEST, _NAME_HTTP_REQUEST
cdef Py_ssize_t _NAMES_KEPT
@cython.locals(f=Frame)
cdef object _short_name(list http_recs, list frames, dict memo)
