/* wsdissect/_buf.h: a byte buffer grown as needed (the lane's output and labels, a message being inflated). */
#ifndef WSDISSECT_BUF_H
#define WSDISSECT_BUF_H

#include <Python.h>

typedef struct {
    char *p;
    Py_ssize_t n, cap;             /* bytes in it, bytes allocated; its owner frees p with PyMem_Free */
} Buf;

/* buf_reserve's slow path, kept out of line: inlined into every put it cost ~1 % of read --json. */
#if defined(__GNUC__)
__attribute__((noinline, cold, unused))
#endif
static int buf_grow(Buf *b, Py_ssize_t extra) {
    Py_ssize_t cap = b->cap ? b->cap : 1 << 16;
    while (cap - b->n < extra) {
        if (cap > PY_SSIZE_T_MAX / 2) {
            PyErr_NoMemory();
            return -1;
        }
        cap *= 2;
    }
    char *p = PyMem_Realloc(b->p, cap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

/* Room for `extra` more bytes (doubling from 64 KiB, never shrinking): 0, or -1 with MemoryError set. */
static inline int buf_reserve(Buf *b, Py_ssize_t extra) {
    return extra <= b->cap - b->n ? 0 : buf_grow(b, extra);
}

#endif
