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
cdef str K_KEEPALIVE, K_PAST_CAP, K_RETRANSMISSION
cdef unsigned int SYN
cdef int CLOSE, PING, PONG
cdef dict SIDE, OTHER
from wsdissect.websocket.messages cimport WebSocketDirection
from wsdissect.connstate cimport ConnState, plus
from wsdissect.roles cimport Roles, tcp_info

cdef class Analyzer:
    cdef public object limits, keylog
    cdef public bint _labels, _finished, app_spans
    cdef public dict connections
    cdef public Roles _roles
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

    @cython.locals(st=ConnState, rec=Connection, row=Row, d=str, plen=Py_ssize_t, fresh=bint, note=Note,
                   http_recs=list, r=TcpResult, tc=TcpConnection, src=str, dst=str, why=object)
    cpdef _segment(self, TcpSegment seg)

    @cython.locals(last=tuple, interval=double, regular=bint, quiet=bint)
    cdef _keepalive(self, ConnState st, str d, Frame f, double ts)

    @cython.locals(row=Row, note=Note)
    cdef Row _past_cap_row(self, TcpSegment seg, TcpResult r)

    @cython.locals(rec=Connection)
    cdef _open(self, TcpConnection tc, TcpSegment seg)

    cdef _deliver(self, TcpConnection tc, ConnState st, str d, list chunks, Row row, list http_recs)

    @cython.locals(gap=bint, mode=str, ws=WebSocketDirection)
    cdef _deliver_plain(self, TcpConnection tc, ConnState st, str d, list chunks, Row row, list http_recs)

    @cython.locals(r=Connection, stream=HttpStream, req=HttpRequest, recs=list)
    cdef _feed_http(self, TcpConnection tc, ConnState st, str d, origin, data, Row row, list http_recs)

    @cython.locals(r=Connection, hs=Handshake, req=HttpRequest)
    cdef list _response(self, TcpConnection tc, ConnState st, HttpResponse resp, origin, Row row)

    @cython.locals(r=Connection)
    cdef _start_ws(self, TcpConnection tc, ConnState st, deflate, Row row, bint forced=*)

    @cython.locals(r=Connection, m=Message, f=Frame)
    cdef _ws_records(self, TcpConnection tc, ConnState st, str d, list recs, Row row)

    @cython.locals(note=Note)
    cdef _note(self, Row row, tc, str severity, str code, args)



cdef dict _words
cdef Py_ssize_t _WORDS_KEPT
@cython.locals(kept=str)
cdef str _word(str s)
