# C types of render/jsonl.py (Cython's pure-Python mode: jsonl.py stays plain Python and runs as such where no
# compiler is present). Row, Frame, Message and Note are read as C structs (model.pxd), the other records by name.
import cython

from wsdissect.model cimport Frame, Message, Note, Row
from wsdissect.render.labels cimport LabelWords

cdef bytes _ESCAPED
cdef bint COMPILED
cdef object _esc, _b2a
cdef dict _flag_json, _name_json, _frame_mid_json, _message_mid_json
cdef Py_ssize_t _NAMES_KEPT, _DATA_LIMIT
cdef double _TS_MIN, _TS_MAX
cdef str _NO_CLOSE_JSON, _NL

cdef int _ESCAPE, _PLAIN, _QUOTES

@cython.locals(b=bytes, p=cython.p_uchar, i=Py_ssize_t, bad=cython.uchar, quote=cython.uchar)
cpdef int _text_kind(str s)

@cython.locals(b=bytes)
cpdef str _b64(object data)

cpdef str _opt(object x)

@cython.locals(j=str)
cdef str _name(str s)

@cython.locals(text=str)
cpdef str _ts(double ts)

@cython.locals(us=cython.longlong, sec=cython.longlong, frac=cython.longlong, z=cython.int, text=str)
cpdef str _us_digits(double ts)

cdef class JsonLinesWriter:
    cdef readonly object out
    cdef object _put
    cdef LabelWords _words
    cdef public list _late
    cdef public str lang

    cpdef _write(self, dict obj)

    @cython.locals(lines=list, frames=list, messages=list, notes=list, f=Frame, m=Message, n=Note)
    cpdef row(self, Row row, object conn=*)

cpdef str packet_line(Row row, LabelWords words)

@cython.locals(flags=str, tls=str, notes=list, names=dict, d=str, src=str, dst=str, proto=str, role=str)
cdef str _packet_line(Row row, str label, str end)
cpdef dict _packet_record(Row row, str label)

cpdef str frame_line(Frame f)

@cython.locals(names=dict, severity=str, code=str)
cpdef str note_line(Note n, str text)

@cython.locals(mid=str, mids=list, k=Py_ssize_t, key=object, q=str, close=str)
cdef str _frame_line(Frame f, str head, str end)

cpdef str message_line(Message m)

@cython.locals(text=str, data=object, key=str, q=str, body=str, mid=str, mids=list, truncated=bint, kind=int)
cdef str _message_line(Message m, str head, str end)
