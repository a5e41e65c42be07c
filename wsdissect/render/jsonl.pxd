# C types of render/jsonl.py (Cython's pure-Python mode: jsonl.py stays plain Python and runs as such where no
# compiler is present). Row, Frame, Message and Note are read as C structs (model.pxd), the other records by name.
import cython

from wsdissect.model cimport Frame, Message, Note, Row

cdef bytes _ESCAPED
cdef object _esc, _b2a
cdef dict _flag_json, _kind_json, _ends_json, _frame_mid_json, _message_mid_json
cdef Py_ssize_t _ENDS_KEPT, _DATA_LIMIT
cdef str _NO_CLOSE_JSON

@cython.locals(b=bytes)
cpdef bint _plain(str s)

@cython.locals(b=bytes)
cpdef str _b64(object data)

cpdef str _opt(object x)

cdef class JsonLinesWriter:
    cdef public object out
    cdef public list _late

    cpdef _write(self, dict obj)

    @cython.locals(lines=list, frames=list, messages=list, notes=list, f=Frame, m=Message, n=Note)
    cpdef row(self, Row row, object conn=*)

@cython.locals(flags=str, ends=str, kind=str, line=str, notes=list)
cpdef str packet_line(Row row)

@cython.locals(mid=str, mids=list, k=Py_ssize_t, key=object, close=str)
cpdef str frame_line(Frame f)

@cython.locals(text=str, data=object, body=str, mid=str, mids=list, truncated=bint)
cpdef str message_line(Message m)
