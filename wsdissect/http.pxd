# C types of http.py (Cython's pure-Python mode: http.py stays plain Python and runs as such uncompiled).
import cython

cdef class _HeaderIndex:
    cdef public list headers
    cdef public Py_ssize_t count
    cdef public dict values, joined, tokens
    cdef public object upgrade

cdef class HttpStream:
    cdef public str kind
    cdef public long long max_header, messages
    cdef public object error
    cdef bytearray _buf
    cdef long long _pos, _remaining, _body
    cdef Py_ssize_t _scan
    cdef str _state
    cdef bint _checked, _pause_after, _closed
    cdef object _msg
    cdef list _methods

    cdef void _consume(self, Py_ssize_t n)

    @cython.locals(out=list, step=dict)
    cdef list _run(self)

    @cython.locals(buf=bytearray)
    cdef Py_ssize_t _find_blank_line(self) except -2

@cython.locals(headers=list, i=Py_ssize_t, ln=str, name=str, sep=str, value=str, folded=str)
cpdef object _parse_fields(list lines, Py_ssize_t start)
