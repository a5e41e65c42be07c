/* wsdissect/_shards.h: what the fast lane needs of a parallel read's shared state (wsdissect/_shards.c). */
#ifndef WSDISSECT_SHARDS_H
#define WSDISSECT_SHARDS_H

#include <Python.h>
#include <stdint.h>

#include "_decode.h"

/* Adds Shards and merge() to the module; -1 with an exception set on failure. */
int shards_add_to_module(PyObject *module);

/* 1 when obj is a Shards. */
int shards_check(PyObject *obj);

/* This worker's number, 0 .. count - 1. */
int shards_index(PyObject *sh);

/* A connection's two ends in a fixed order, and their hash. */
typedef struct {
    uint64_t h;
    unsigned char key[40];
    uint8_t len;
} ShardKey;

/* The worker whose share the segment's connection is in (*k: its ends, for shards_skip). */
int shards_owner(PyObject *sh, const Seg *s, ShardKey *k);

/* Every packet numbered below `no` is done (its connections numbered): other workers waiting for that go on. */
void shards_progress(PyObject *sh, uint64_t no);

/* Packet `no`, decoded as s, is worker `owner`'s, another's: this worker skips it, and notes what it foresees
 * of that worker's openings. 0, or -1 with an exception set. */
int shards_skip(PyObject *sh, const Seg *s, const ShardKey *k, uint64_t no, int owner);

/* Packet `no` was this worker's (the first and last such packet say whose capture times the summary takes). */
void shards_own(PyObject *sh, uint64_t no);

/* The pieces a worker's output is made of (see _shards.c, "Pieces"): a header, then `len` bytes. */
typedef struct {
    uint64_t no;          /* the packet it belongs after */
    uint64_t minor;       /* its place among what belongs after that packet: PIECE_ROW, then the others */
    uint64_t len;         /* bytes that follow; PIECE_MARK: none, only a bound (see _shards.c) */
} PieceHeader;

#define PIECE_ROW 0ULL                     /* the packet's own row */
#define PIECE_MARK UINT64_MAX              /* len of a marker: nothing of this worker's comes before (no, minor) */
#define PIECE_END_NO UINT64_MAX            /* no of the last piece: the worker's end state */

#endif
