# C types of render/labels.py (Cython's pure-Python mode: labels.py stays plain Python and runs as such where no
# compiler is present). Row, Label, Message and Frame are read as C structs (model.pxd).
import cython

from wsdissect.model cimport Frame, Label, Message, Row

cdef frozenset SIDED
cdef dict _TLS_KEYS
cdef Py_ssize_t _NAMES_KEPT
cdef str C2S, S2C

cdef class LabelWords:
    cdef readonly str lang
    cdef readonly dict t, side
    cdef dict _sided_c2s, _sided_s2c, _sized_c2s, _sized_s2c, _ack_of, _names, _words
    cdef bint _ack_no_first
    cdef list _paren, _bytes_many, _one_message

    @cython.locals(label=Label, then=Label, code=str, s=str, p=list)
    cpdef str text(self, Row row)

    @cython.locals(code=str)
    cdef str _say(self, Label label, Row row)

    @cython.locals(cache=dict, text=str)
    cdef str _sided(self, str code, str d)

    @cython.locals(around=list)
    cdef str _bytes(self, long long n)

    @cython.locals(cache=dict, around=list)
    cdef str _sized(self, str code, str d, long long n)

    @cython.locals(p=list, words=str, paren=list)
    cdef str _ack(self, Label label)

    @cython.locals(msgs=list, m=Message, text=bint, slot=int, around=list, d=str)
    cpdef str _data_one(self, Label label, Row row)

    @cython.locals(size=str, detail=list)
    cpdef str _detail(self, Message m)

    cpdef str _message(self, Message m)
