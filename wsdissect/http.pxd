# C types of http.py (Cython's pure-Python mode: http.py stays plain Python and runs as such uncompiled).
import cython

cdef class _HeaderIndex:
    cdef public list headers
    cdef public Py_ssize_t count
    cdef public dict values, joined, tokens
    cdef public object upgrade

@cython.locals(joined=dict, values=dict, k=str, v=str, lk=str, found=list)
cdef tuple _join_fields(list headers)

cdef class _Head:
    cdef public list headers
    cdef public _HeaderIndex _header_index

    @cython.locals(idx=_HeaderIndex, headers=list)
    cpdef _HeaderIndex _index(self)
    cpdef get(self, str name)
    @cython.locals(idx=_HeaderIndex, lname=str, tokens=list)
    cpdef bint has_token(self, str name, str token) except -1

cdef class HttpRequest(_Head):
    cdef public str method, target, version, first_line, body_framing
    cdef public long long header_len, offset
    cdef public object body_len
    cdef public bint bare_lf

    @cython.locals(idx=_HeaderIndex)
    cpdef bint _upgrade(self) except -1

cdef class HttpResponse(_Head):
    cdef public str version, reason, first_line, body_framing
    cdef public int status
    cdef public long long header_len, offset
    cdef public object body_len
    cdef public bint bare_lf

cdef class HttpError:
    cdef public str code
    cdef public long long offset
    cdef public bytes data
    cdef public dict args

cdef class Handshake:
    cdef public bint accepted
    cdef public int status
    cdef public str reason, key, version, accept, expected_accept, subprotocol, offered_subprotocols, extensions
    cdef public str offered_extensions
    cdef public object accept_ok, deflate
    cdef public list notes

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

    cpdef list feed(self, data)
    cpdef list resume(self)
    cpdef bytes take_rest(self)
    cpdef list gap(self, long long n)
    cpdef list close(self)

    cdef void _consume(self, Py_ssize_t n)

    @cython.locals(out=list)
    cdef list _run(self)

    @cython.locals(st=str)
    cdef bint _step(self, list out) except -1

    cdef bint _fail(self, list out, str code, long long offset, dict args=*) except -1
    cdef bint _end_message(self) except -1

    @cython.locals(buf=bytearray)
    cdef Py_ssize_t _find_blank_line(self) except -2

    @cython.locals(buf=bytearray, lf=Py_ssize_t)
    cdef bint _implausible(self) except -1

    @cython.locals(buf=bytearray, end=Py_ssize_t, offset=cython.longlong, head=bytes)
    cdef bint _step_head(self, list out) except -1
    cdef bint _head_done(self, parsed, Py_ssize_t end, list out) except -1

    @cython.locals(lines=list, i=Py_ssize_t, ln=str, bare_lf=bint, first=str, text=str)
    cdef object _parse_head(self, bytes head, long long offset)

    @cython.locals(no_body=bint, n=cython.longlong)
    cdef bint _start_body(self, msg, list out) except -1
    cdef bint _until_close(self, HttpResponse msg) except -1
    @cython.locals(n=cython.longlong)
    cdef bint _step_length(self, list out) except -1
    cdef bint _step_until_close(self, list out) except -1
    @cython.locals(buf=bytearray, lf=Py_ssize_t, line=bytes, size=bytes, n=cython.longlong)
    cdef bint _step_chunk_size(self, list out) except -1
    @cython.locals(n=cython.longlong)
    cdef bint _step_chunk_data(self, list out) except -1
    @cython.locals(buf=bytearray)
    cdef bint _step_chunk_end(self, list out) except -1
    @cython.locals(end=Py_ssize_t)
    cdef bint _step_trailers(self, list out) except -1

@cython.locals(t=str)
cpdef list _tokens(value)

@cython.locals(headers=list, i=Py_ssize_t, k=Py_ssize_t, ln=str, name=str, value=str, folded=str)
cpdef object _parse_fields(list lines, Py_ssize_t start)

@cython.locals(notes=list, key=str, version=str, offered_sub=str, offered_ext=str, hs=Handshake, upgrade_ok=bint,
               connection_ok=bint, sub=str, offered=list)
cpdef Handshake check_handshake(HttpRequest req, HttpResponse resp)
