/* wsdissect/_inflate.h: a raw-DEFLATE stream (zlib.decompressobj(-15)'s twin) that the fast lane can drive
 * without a Python call, inflating into a buffer it keeps (wsdissect/_inflate.c). */
#ifndef WSDISSECT_INFLATE_H
#define WSDISSECT_INFLATE_H

#include <Python.h>

#include "_buf.h"

/* Adds the Decompressor type to the module; -1 with an exception set on failure. */
int inflate_add_to_module(PyObject *module);

/* 1 when obj is a Decompressor. */
int inflate_check(PyObject *obj);

/* Decompressor.decompress(data, max_length) with the output appended to out (max_length 0: no limit).
 * 0 done; 1 zlib rejected the data: nothing is appended and *error is the text zlib.error would carry (new
 * ref); -1 another error (exception set). unconsumed_tail, unused_data and eof change as zlib's do. */
int inflate_run(PyObject *dec, const unsigned char *data, Py_ssize_t len, Py_ssize_t max_length,
                Buf *out, PyObject **error);

/* The stream's unconsumed_tail (borrowed) and eof. */
PyObject *inflate_tail(PyObject *dec);
int inflate_eof(PyObject *dec);

/* Back to a fresh stream, as a new zlib.decompressobj(-15) would be; -1 with an exception set on failure. */
int inflate_reset(PyObject *dec);

#endif
