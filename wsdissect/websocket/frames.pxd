# C types of frames.py (Cython's pure-Python mode: frames.py stays plain Python and runs as such uncompiled).
import cython
from wsdissect.model cimport Frame, new_frame

cdef Py_ssize_t CONTROL_MAX

cpdef long long payload_cap(int opcode, long long max_payload)

@cython.locals(n=Py_ssize_t, i=Py_ssize_t, words=Py_ssize_t, out=bytes, p=cython.p_uchar, s=cython.p_uchar,
               k=cython.p_uchar, w=cython.ulonglong, q=cython.p_ulonglong, qs=cython.p_ulonglong, kk=bytes)
cpdef bytes unmask(bytes data, bytes key, int phase=*)

cdef class FrameParser:
    cdef public str direction
    cdef public long long max_payload
    cdef public bint stopped
    cdef public long long ignored, frames
    cdef long long _last_no, _hdr_no, _remaining, _room
    cdef bytes _hdr, _mask
    cdef Frame _frame
    cdef int _phase
    cdef list _parts
    cdef bint _cut

    @cython.locals(pos=Py_ssize_t, end=Py_ssize_t, used=Py_ssize_t, take=Py_ssize_t)
    cpdef list feed(self, object data, long long no)

    @cython.locals(frame=Frame, rest=cython.longlong)
    cpdef list gap(self, long long nbytes, long long no)

    @cython.locals(f=Frame, no=cython.longlong)
    cpdef list finish(self)

    cdef void _stop(self, long long ignored)

    @cython.locals(held=Py_ssize_t, first_no=cython.longlong, buf=bytes, base=Py_ssize_t, avail=Py_ssize_t,
                   b0=cython.uint, b1=cython.uint, ln=cython.uint, masked=cython.uint, size=Py_ssize_t,
                   length=cython.longlong, i=Py_ssize_t, opcode=cython.int, key=bytes, frame=Frame,
                   start=Py_ssize_t)
    cdef Py_ssize_t _header(self, bytes data, Py_ssize_t pos, Py_ssize_t end, long long no, list out) except -2

    cdef void _keep_header(self, bytes buf, Py_ssize_t base, long long no)

    @cython.locals(room=cython.longlong, keep=Py_ssize_t, chunk=bytes, f=Frame, cap=cython.longlong)
    cdef void _payload(self, bytes data, Py_ssize_t pos, Py_ssize_t take, long long no, list out) except *

    @cython.locals(frame=Frame, parts=list)
    cdef void _complete(self, long long no, list out) except *
