# C types of pcap.py (Cython's pure-Python mode: pcap.py stays plain Python and runs as such where no compiler
# is present).
import cython

from wsdissect.model cimport RawPacket

cdef long long MAX_RECORD
cdef int _FRESH, _PCAP, _PCAPNG, _ENDED

@cython.final
cdef class _Records:
    cdef object _fileobj, _readinto, _ng
    cdef bytearray _buf
    cdef Py_ssize_t _pos, _end, _rec_len
    cdef long long _base, _no
    cdef double _div
    cdef int _linktype, _state
    cdef bint _big

    @cython.locals(p=cython.p_uchar, pos=Py_ssize_t, end=Py_ssize_t, rec_len=Py_ssize_t, caplen=cython.uint,
                   start=Py_ssize_t, stop=Py_ssize_t, big=bint, data=bytes)
    cdef RawPacket _record(self)

@cython.locals(v=cython.uint)
cdef unsigned int _u32(const unsigned char* p, Py_ssize_t i, bint big)

@cython.locals(raw=RawPacket)
cdef RawPacket _packet(long long no, double ts, int linktype, bytes data, long long wirelen)
