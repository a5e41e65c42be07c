# Types for Cython's pure-Python mode, used by bench/compiled.py only (copied beside wsdissect/decode.py).

cimport cython
from wsdissect.model cimport RawPacket, TcpSegment

@cython.locals(data=bytes, n=Py_ssize_t, lt=int, off=Py_ssize_t, at=Py_ssize_t, etype=int, version=int,
               vihl=int, total=Py_ssize_t, frag=int, proto=int, ihl=Py_ssize_t, t=Py_ssize_t, ip_end=Py_ssize_t,
               end=Py_ssize_t, hl=Py_ssize_t, start=Py_ssize_t, missing=Py_ssize_t, seg=TcpSegment,
               doff=int, flags=int, window=int, sport=int, dport=int)
cpdef object decode_packet(RawPacket raw)
