/* wsdissect._fastlane.Decompressor: zlib.decompressobj(-15), the part websocket/deflate.py's Inflater uses
 * (decompress(data, max_length), unconsumed_tail, unused_data, eof), with the same results and the same
 * zlib.error texts, since both call the same libz.
 *
 * Why: a busy capture with permessage-deflate inflates hundreds of thousands of small messages. Through
 * zlib's Python object each costs two method calls and a fresh 32 KiB output block; the fast lane inflates
 * into one buffer it keeps instead (-4 % of read --json, measured with bench/run.py). The Python
 * path uses the same object, so a connection's window is one stream whichever path inflates a message.
 * tests/test_inflate.py checks it against zlib's own object on random, cut and corrupt streams.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <limits.h>
#include <zlib.h>

#include "_inflate.h"

typedef struct {
    PyObject_HEAD
    z_stream zst;
    int ready;                     /* inflateInit2 succeeded (in tp_new): inflateEnd is owed */
    char eof;                      /* the stream's last block (BFINAL) is done */
    PyObject *unconsumed_tail;     /* input a max_length stopped short of (bytes) */
    PyObject *unused_data;         /* input after the stream's end (bytes) */
} Decompressor;

static PyTypeObject DecompressorType;
static PyObject *zlib_error_type;  /* zlib.error: the Python path raises what zlib's object raises */

int inflate_check(PyObject *obj) { return Py_TYPE(obj) == &DecompressorType; }
PyObject *inflate_tail(PyObject *dec) { return ((Decompressor *)dec)->unconsumed_tail; }
int inflate_eof(PyObject *dec) { return ((Decompressor *)dec)->eof; }

/* The text of zlib.error for err, as CPython's zlib module words it. */
static PyObject *error_text(const z_stream *zst, int err) {
    const char *zmsg = zst->msg;
    if (zmsg == NULL) {
        switch (err) {
        case Z_BUF_ERROR:
            zmsg = "incomplete or truncated stream";
            break;
        case Z_STREAM_ERROR:
            zmsg = "inconsistent stream state";
            break;
        case Z_DATA_ERROR:
            zmsg = "invalid input data";
            break;
        }
    }
    if (zmsg == NULL)
        return PyUnicode_FromFormat("Error %d while decompressing data", err);
    return PyUnicode_FromFormat("Error %d while decompressing data: %.200s", err, zmsg);
}

static int start(Decompressor *self) {
    memset(&self->zst, 0, sizeof self->zst);
    int err = inflateInit2(&self->zst, -15);
    if (err == Z_MEM_ERROR) {
        PyErr_SetString(PyExc_MemoryError, "Can't allocate memory for decompression object");
        return -1;
    }
    if (err != Z_OK) {
        PyObject *text = error_text(&self->zst, err);
        if (text != NULL) {
            PyErr_SetObject(zlib_error_type, text);
            Py_DECREF(text);
        }
        return -1;
    }
    self->ready = 1;
    return 0;
}

int inflate_reset(PyObject *dec) {
    Decompressor *self = (Decompressor *)dec;
    /* inflateReset keeps the window's memory: no allocation per message without context takeover */
    if (inflateReset(&self->zst) != Z_OK) {
        PyErr_SetString(PyExc_RuntimeError, "inflateReset failed");
        return -1;
    }
    self->eof = 0;
    Py_SETREF(self->unconsumed_tail, PyBytes_FromStringAndSize(NULL, 0));
    Py_SETREF(self->unused_data, PyBytes_FromStringAndSize(NULL, 0));
    return self->unconsumed_tail && self->unused_data ? 0 : -1;
}

/* What zlib's Decompress.save_unconsumed_input does: after the stream's end the rest is unused_data; else the
 * input a full output left over is unconsumed_tail (emptied once a call uses all its input). Quirk kept: when
 * the stream ends while unconsumed_tail holds something, the rest goes to both. */
static int save_rest(Decompressor *self, const unsigned char *data, Py_ssize_t len, int err) {
    Py_ssize_t left = len - ((const unsigned char *)self->zst.next_in - data);
    int pending = left > 0;
    if (err == Z_STREAM_END && left > 0) {
        Py_ssize_t old = PyBytes_GET_SIZE(self->unused_data);
        PyObject *joined = PyBytes_FromStringAndSize(NULL, old + left);
        if (joined == NULL)
            return -1;
        memcpy(PyBytes_AS_STRING(joined), PyBytes_AS_STRING(self->unused_data), old);
        memcpy(PyBytes_AS_STRING(joined) + old, data + (len - left), left);
        Py_SETREF(self->unused_data, joined);
        pending = 0;
    }
    if (pending || PyBytes_GET_SIZE(self->unconsumed_tail)) {
        PyObject *tail = PyBytes_FromStringAndSize((const char *)data + (len - left), left);
        if (tail == NULL)
            return -1;
        Py_SETREF(self->unconsumed_tail, tail);
    }
    return 0;
}

int inflate_run(PyObject *dec, const unsigned char *data, Py_ssize_t len, Py_ssize_t max_length,
                Buf *out, PyObject **error) {
    Decompressor *self = (Decompressor *)dec;
    *error = NULL;
    /* zlib counts in unsigned ints: input is fed in pieces of at most UINT_MAX, output likewise */
    const Py_ssize_t mark = out->n;
    Py_ssize_t remains = len;
    int err = Z_OK;
    self->zst.next_in = (Bytef *)data;
    self->zst.avail_in = 0;
    do {
        uInt piece = (uInt)(remains < (Py_ssize_t)UINT_MAX ? remains : UINT_MAX);
        self->zst.avail_in = piece;
        remains -= piece;
        do {
            Py_ssize_t made = out->n - mark;
            if (max_length > 0 && made == max_length)
                goto save;
            /* a first guess that fits a small message; doubled while zlib fills it */
            Py_ssize_t want = out->cap - out->n >= 4096 ? out->cap - out->n : 4096;
            if (max_length > 0 && want > max_length - made)
                want = max_length - made;
            if (want > (Py_ssize_t)UINT_MAX)
                want = UINT_MAX;
            if (buf_reserve(out, want) < 0)
                return -1;
            self->zst.next_out = (Bytef *)out->p + out->n;
            self->zst.avail_out = (uInt)want;
            err = inflate(&self->zst, Z_SYNC_FLUSH);
            out->n += want - self->zst.avail_out;
            if (err != Z_OK && err != Z_BUF_ERROR && err != Z_STREAM_END)
                goto save;
        } while (self->zst.avail_out == 0);
    } while (err != Z_STREAM_END && remains != 0);
save:
    if (save_rest(self, data, len, err) < 0) {
        out->n = mark;
        return -1;
    }
    if (err == Z_STREAM_END)
        self->eof = 1;
    else if (err != Z_OK && err != Z_BUF_ERROR) {
        /* zlib's object returns nothing from a call that fails, not even what came before the bad bytes */
        out->n = mark;
        *error = error_text(&self->zst, err);
        return *error == NULL ? -1 : 1;
    }
    return 0;
}

static PyObject *Decompressor_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    if (PyTuple_GET_SIZE(args) || (kw != NULL && PyDict_GET_SIZE(kw))) {
        PyErr_SetString(PyExc_TypeError, "Decompressor() takes no arguments");
        return NULL;
    }
    Decompressor *self = (Decompressor *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->unconsumed_tail = PyBytes_FromStringAndSize(NULL, 0);
    self->unused_data = PyBytes_FromStringAndSize(NULL, 0);
    if (self->unconsumed_tail == NULL || self->unused_data == NULL || start(self) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static void Decompressor_dealloc(Decompressor *self) {
    if (self->ready)
        inflateEnd(&self->zst);
    Py_XDECREF(self->unconsumed_tail);
    Py_XDECREF(self->unused_data);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Decompressor_decompress(Decompressor *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"data", "max_length", NULL};
    Py_buffer data;
    Py_ssize_t max_length = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "y*|n:decompress", names, &data, &max_length))
        return NULL;
    if (max_length < 0) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "max_length must be non-negative");
        return NULL;
    }
    Buf out = {NULL, 0, 0};
    PyObject *error, *result = NULL;
    int r = inflate_run((PyObject *)self, data.buf, data.len, max_length, &out, &error);
    PyBuffer_Release(&data);
    if (r == 0)
        result = PyBytes_FromStringAndSize(out.p, out.n);
    else if (r == 1) {
        PyErr_SetObject(zlib_error_type, error);
        Py_DECREF(error);
    }
    PyMem_Free(out.p);
    return result;
}

static PyObject *Decompressor_reset(Decompressor *self, PyObject *unused) {
    return inflate_reset((PyObject *)self) < 0 ? NULL : Py_NewRef(Py_None);
}

static PyMethodDef Decompressor_methods[] = {
    {"decompress", (PyCFunction)(void (*)(void))Decompressor_decompress, METH_VARARGS | METH_KEYWORDS,
     "decompress(data, max_length=0): as zlib's Decompress.decompress."},
    {"reset", (PyCFunction)Decompressor_reset, METH_NOARGS, "Start afresh, an empty window."},
    {NULL},
};

static PyMemberDef Decompressor_members[] = {
    {"unconsumed_tail", T_OBJECT, offsetof(Decompressor, unconsumed_tail), READONLY, NULL},
    {"unused_data", T_OBJECT, offsetof(Decompressor, unused_data), READONLY, NULL},
    {"eof", T_BOOL, offsetof(Decompressor, eof), READONLY, NULL},
    {NULL},
};

static PyTypeObject DecompressorType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wsdissect._fastlane.Decompressor",
    .tp_doc = "A raw DEFLATE stream: zlib.decompressobj(-15), the part wsdissect uses, that the lane drives.",
    .tp_basicsize = sizeof(Decompressor),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Decompressor_new,
    .tp_dealloc = (destructor)Decompressor_dealloc,
    .tp_methods = Decompressor_methods,
    .tp_members = Decompressor_members,
};

int inflate_add_to_module(PyObject *module) {
    PyObject *zlib = PyImport_ImportModule("zlib");
    if (zlib == NULL)
        return -1;
    zlib_error_type = PyObject_GetAttrString(zlib, "error");
    Py_DECREF(zlib);
    if (zlib_error_type == NULL || PyType_Ready(&DecompressorType) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "Decompressor", (PyObject *)&DecompressorType);
}
