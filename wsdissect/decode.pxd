# C types of decode.py (Cython's pure-Python mode: decode.py stays plain Python and runs as such where no
# compiler is present).
import cython

from wsdissect.model cimport RawPacket, TcpSegment

@cython.locals(off=Py_ssize_t, at=Py_ssize_t, etype=cython.uint, version=cython.int, family=cython.ulong)
cdef Py_ssize_t _ip_at(bytes data, Py_ssize_t n, int lt) except -2

@cython.locals(data=bytes, n=Py_ssize_t, off=Py_ssize_t, at=Py_ssize_t, version=cython.int, vihl=cython.uint,
               total=Py_ssize_t, frag=cython.uint, proto=cython.uint, ihl=Py_ssize_t, t=Py_ssize_t, ip_end=Py_ssize_t, end=Py_ssize_t,
               vcf=cython.ulong, plen=Py_ssize_t, nxt=cython.uint, hlen=Py_ssize_t, sport=cython.uint,
               dport=cython.uint, seq=cython.uint, ack=cython.uint, doff=cython.uint, flags=cython.uint,
               window=cython.uint, hl=Py_ssize_t, start=Py_ssize_t, missing=Py_ssize_t, payload=bytes,
               seg=TcpSegment, a4=cython.uint, b4=cython.uint)
cpdef TcpSegment decode_packet(RawPacket raw)

@cython.locals(kind=cython.uint, size=cython.uint)
cdef int _window_scale(bytes data, Py_ssize_t i, Py_ssize_t end)
