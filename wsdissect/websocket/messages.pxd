# C types of messages.py (Cython's pure-Python mode: messages.py stays plain Python and runs as such uncompiled).
import cython
from wsdissect.model cimport DeflateParams, Frame, Message, new_message
from wsdissect.websocket.frames cimport FrameParser
from wsdissect.websocket.deflate cimport Inflater

cdef class _Assembly:
    cdef public int opcode
    cdef public long long first_no, frames, wire_length, length, kept
    cdef public bint compressed, capped, hole, stalled, failed, context_missing
    cdef public list parts

cdef class WebSocketDirection:
    cdef public str direction
    cdef public bint client
    cdef public DeflateParams deflate
    cdef public object limits
    cdef public long long cap
    cdef public FrameParser parser
    cdef public Inflater inflater
    cdef public Frame close_frame
    cdef public long long messages
    cdef _Assembly _msg
    cdef str _side

    @cython.locals(recs=list, out=list, rec=object)
    cpdef list feed(self, object data, long long no)

    @cython.locals(recs=list, out=list, rec=object)
    cpdef list gap(self, long long nbytes, long long no)

    @cython.locals(text=str, note=object)
    cdef void _whole_message(self, Frame f, bytes data, bint compressed, list out) except *

    @cython.locals(inf=Inflater, context_missing=bint)
    cdef void _whole_compressed(self, Frame f, list out) except *

    @cython.locals(inf=Inflater, m=_Assembly)
    cdef void _inflated_whole(self, Frame f, bytes data, bint context_missing, list out) except *

    @cython.locals(no=cython.longlong, op=cython.int, inf=Inflater, m=_Assembly, compressed=bint)
    cdef void _frame(self, Frame f, list out) except *

    @cython.locals(room=cython.longlong, payload=bytes, present=cython.longlong)
    cdef void _add_plain(self, _Assembly m, Frame f, list out) except *

    @cython.locals(inf=Inflater, frame_cut=bint)
    cdef void _add_compressed(self, _Assembly m, Frame f, list out) except *

    @cython.locals(inf=Inflater)
    cdef void _inflated(self, _Assembly m, Frame f, bytes data, bint frame_cut, list out) except *

    @cython.locals(notes=list, length=cython.longlong, truncated=bint, data=bytes, text=str)
    cdef void _message(self, _Assembly m, Frame f, list out) except *
