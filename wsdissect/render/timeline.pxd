# C types of render/timeline.py (Cython's pure-Python mode: timeline.py stays plain Python and runs as such where
# no compiler is present). The records (Row, Connection, Note) are read by attribute name; Frame and Message as
# C structs (model.pxd).
import cython

from wsdissect.model cimport Frame, Message
from wsdissect.render.labels cimport LabelWords

cdef class TimelinePrinter:
    cdef public object console, g, _clean, _ansi_system, _t, _close_name, _code_paren
    cdef public LabelWords _label_words
    cdef public bint show_acks, live, _ascii, _plain, _direct_possible, _printed_any
    cdef public object _first_ts
    cdef public set _introduced
    cdef public long long _rows
    cdef public Py_ssize_t _width, _labels_width, _ports_w, _frame_w, _message_w, _ellipsis_w, _colon_w
    cdef public Py_ssize_t _no_status_w, _deflated_w
    cdef public dict _sgr, _flag_text, _labels, _msg_heads, _arrows, _frame_names, _kinds, _severity
    cdef public dict _severity_tag
    cdef public str _head_fmt, _reserved_frame, _no_fin, _compressed, _masked, _masked_key, _masked_key_end
    cdef public str _missing, _byte, _bytes, _no_status, _deflated, _inflated, _msg_complete, _msg, _colon
    cdef public str _conn_word, _mid_connection, _by_decode_as

    @cython.locals(width=Py_ssize_t, lines=list, style=str, indent=str, frame=Frame, message=Message)
    cpdef row(self, object row, object conn)

    @cython.locals(flags=str, direction=object, proto=str, head=str, head_w=Py_ssize_t, info=str, label=str,
                   room=Py_ssize_t, indent=str, info_w=Py_ssize_t, label_w=Py_ssize_t)
    cpdef str _row_lines(self, list lines, object row, object conn, Py_ssize_t width, str style)

    @cython.locals(name=str, tags=str, body=str, preview=str, preview_w=Py_ssize_t)
    cpdef tuple _frame_text(self, Frame f, str indent)

    @cython.locals(cut=bint, text=str)
    cpdef tuple _frame_preview(self, Frame f)

    cpdef object _message_text(self, Message m, str indent)

    @cython.locals(line_w=Py_ssize_t)
    cpdef _with_preview(self, list lines, str head, Py_ssize_t head_w, str preview, Py_ssize_t preview_w,
                        str indent, Py_ssize_t width, str style, bint whole)

    @cython.locals(more=bint, shown=str, quoted=str)
    cpdef tuple _quote_w(self, str text, bint cut)
