# C types of bench/typedcore.py (Cython's pure-Python mode: the .py stays plain Python).
import cython

cdef class Direction:
    cdef public unsigned long long isn, next_seq
    cdef public bint started
    cdef public int mode
    cdef public long long skip, frames, messages, out_of_order
    cdef public bytes head
    cdef public str name

cdef class Conn:
    cdef public long long no
    cdef public unsigned int client_ip, client_port
    cdef public Direction c2s, s2c
    cdef public str client, server

cdef inline unsigned int u16(bytes b, Py_ssize_t i)
cdef inline unsigned int u32(bytes b, Py_ssize_t i)
cdef inline unsigned int le32(bytes b, Py_ssize_t i)
cpdef str ip_text(unsigned int ip)

cdef class Core:
    cdef public dict conns
    cdef public long long opened
    cdef public list lines

    @cython.locals(ip=Py_ssize_t, ihl=cython.uint, total=cython.uint, src=cython.uint, dst=cython.uint,
                   sport=cython.uint, dport=cython.uint, seq=cython.ulonglong, ack=cython.ulonglong,
                   flags=cython.uint, doff=cython.uint, tcp=Py_ssize_t, pay=Py_ssize_t, plen=Py_ssize_t,
                   lo_ip=cython.ulonglong, hi_ip=cython.ulonglong, lo_port=cython.ulonglong,
                   hi_port=cython.ulonglong, c2s=bint, syn_only=bint, rel_seq=cython.ulonglong,
                   rel_ack=cython.ulonglong, key=object, conn=Conn, d=Direction, o=Direction)
    cpdef packet(self, long long no, double ts, bytes b, Py_ssize_t off, Py_ssize_t caplen, Py_ssize_t wirelen)

    @cython.locals(end=Py_ssize_t, i=Py_ssize_t, n=Py_ssize_t, b1=cython.uint, b2=cython.uint,
                   length=cython.ulonglong, hlen=Py_ssize_t, masked=bint, k=Py_ssize_t, data=bytearray)
    cdef str payload(self, long long no, Conn conn, Direction d, Direction o, bytes b, Py_ssize_t pay,
                     Py_ssize_t plen)

@cython.locals(off=Py_ssize_t, n=Py_ssize_t, caplen=Py_ssize_t, no=cython.longlong, core=Core, b=bytes)
cpdef long long run(str path, object out)
