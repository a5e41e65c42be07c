# C types of roles.py (Cython's pure-Python mode: roles.py stays plain Python and runs as such where no compiler
# is present). analyzer.pxd cimports Roles and tcp_info.
import cython
from wsdissect.model cimport Connection, Frame, Label, Message, Row, TcpSegment
from wsdissect.tcp cimport TcpResult
from wsdissect.http cimport HttpRequest, HttpResponse
from wsdissect.connstate cimport ConnState, plus
from wsdissect.websocket.messages cimport WebSocketDirection

# Constants read per packet, as C globals (imported or set once at import time; not attributes of the module).
cdef str C2S, M_HTTP, M_WAIT, M_WS
cdef str K_ACK, K_DATA, K_DUP_ACK, K_FIN, K_HANDSHAKE_ACK, K_KEEPALIVE, K_RETRANSMISSION, K_RST, K_SYN
cdef str K_SYN_ACK, K_WINDOW_UPDATE
cdef unsigned int ACK, FIN, SYN
cdef int CLOSE, CONTINUATION, PING, PONG
cdef dict SIDE, OTHER
cdef double IDLE_WORTH_SAYING


cdef class Roles:
    cdef public bint labels
    cdef dict _sided_c2s, _sided_s2c, _frame_names

    @cython.locals(d=str, flags=cython.longlong, frames=list, own=list, rec=Connection, labels=bint, m=Message,
                   f=Frame, why_note=object, label=Label)
    cpdef object label(self, ConnState st, TcpResult r, TcpSegment seg, Row row, list http_recs)

    @cython.locals(r=Connection, ws=WebSocketDirection)
    cdef tuple _content(self, ConnState st, str d, Row row, list http_recs, list own)

    cdef tuple _tls_content(self, ConnState st, str d, Row row)

    @cython.locals(msgs=list, first=bint, auto=bint, f=Frame, close=Frame, last_data=Frame, m=Message,
                   n=Py_ssize_t)
    cdef tuple _frames_label(self, ConnState st, str d, Row row, list frames)

    @cython.locals(rec=Connection, first=bint, quiet=bint, pinged=bint, label=Label)
    cdef tuple _fin(self, ConnState st, str d, TcpResult r, TcpSegment seg)

    @cython.locals(cache=dict, label=Label)
    cdef Label _sided(self, str code, str d)

    @cython.locals(q=list, k=Py_ssize_t, n=Py_ssize_t)
    cdef Label _ack_label(self, ConnState st, str d, TcpResult r)


cdef dict _info_flags
cdef list _NO_FRAMES
@cython.locals(f=Frame)
cdef str _frames_role(list frames)
@cython.locals(flags=cython.longlong)
cpdef str tcp_info(Row row)
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
