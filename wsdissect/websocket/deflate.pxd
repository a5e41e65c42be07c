# C types of deflate.py (Cython's pure-Python mode: deflate.py stays plain Python and runs as such uncompiled).
import cython

cdef class Inflater:
    cdef public long long max_output
    cdef public bint context_takeover
    cdef public long long window, produced
    cdef public bint capped, lost
    cdef public object error
    cdef long long _history
    cdef object _d

    cpdef object stream(self)

    cpdef void reset(self)

    @cython.locals(out=bytes, more=bytes)
    cpdef bytes inflate(self, bytes chunk, bint final=*)

    @cython.locals(whole=bint)
    cpdef void end_message(self, bint complete=*)

    @cython.locals(room=cython.longlong, out=bytes)
    cdef bytes _run(self, bytes data)
