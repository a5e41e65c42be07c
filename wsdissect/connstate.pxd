# C types of connstate.py (Cython's pure-Python mode: connstate.py stays plain Python and runs as such where no
# compiler is present). analyzer.pxd and roles.pxd cimport ConnState.
import cython
from wsdissect.model cimport Connection, Frame
from wsdissect.websocket.messages cimport WebSocketDirection

cdef str C2S, S2C
cdef dict _PLUS

cpdef tuple plus(tuple t, str d)

@cython.final
cdef class ConnState:
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
