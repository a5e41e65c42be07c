/* wsdissect._fastlane.Shards and merge(): the shared state of a parallel read, and the merge of its output.
 *
 * A parallel read (wsdissect/parallel.py) runs N worker processes over the same capture file. Each analyses the
 * connections whose address pair hashes to it (`owner`) and skips the other packets, so each worker does about
 * 1/N of the work, and a connection is always analysed whole, by one worker, exactly as a single reader would.
 *
 * What they must agree on is the numbering of connections: a single reader numbers them in the order it opens
 * them. A worker that opens a connection at packet n therefore waits until every other worker is past packet n
 * and counts the connections they opened before it (`assign`). The shared memory, an anonymous MAP_SHARED
 * mapping the parent makes before it forks, holds for each worker how far it has gone (`pos`: every packet below
 * it is done) and a ring of the packet numbers at which it opened connections, which the others read. A waiting
 * worker sleeps on a futex that the awaited worker wakes once it reaches the packet asked for.
 *
 * Each worker writes its output to a pipe as pieces: a header with the key of the piece's place in the capture's
 * order (the packet it belongs after, and its place among what belongs there), then the bytes. merge(), in the
 * parent, writes the pieces of all workers in key order. A piece can go out once every other worker is known to
 * have nothing that sorts before it: it has a piece with a larger key waiting, or it said (with a marker, or its
 * last piece) that all it will still write sorts later. Keys are unique across workers (a packet's own row is
 * written by its owner only; the other pieces carry the connection's last packet number or a count).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/uio.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include "_decode.h"
#include "_shards.h"

#define SHARDS_MAX 16
#define RING 65536                          /* connection openings a worker may be ahead of the slowest reader */
#define SHARDS_MAGIC 0x5753445348415244ULL   /* "WSDSHARD" */
#define CONSUME_EVERY 4096                  /* packets between two readings of the others' rings */
#define WAIT_USEC 5000                      /* a sleep's longest: a missed wake-up costs no more */

enum { RUNNING = 0, DONE = 1, FAILED = 2 };

typedef struct {
    uint64_t pos;            /* every packet numbered below it is done: its openings are in the ring */
    uint64_t head;           /* connections this worker opened; the last RING of them are in its ring */
    uint64_t want;           /* the lowest pos another worker is waiting for (UINT64_MAX: none) */
    uint64_t bytes;          /* capture bytes read, for the progress bar */
    uint32_t wake;           /* futex word, bumped when pos reaches want */
    uint32_t state;          /* RUNNING, DONE (no longer reads the others' rings), FAILED */
    uint64_t open_max;       /* the most connections it has tracked at once so far */
    uint32_t evicted;        /* it has finished a connection to make room (--max-connections) */
    char pad[12];
} Slot;                      /* one cache line */

typedef struct {
    uint64_t magic;
    uint32_t count, abort;
    char pad[48];
    Slot slot[];             /* count slots; then the readers' cursors, the rings of openings, and the output
                              * rings (see the accessors) */
} Shared;

/* A worker's output: a ring of OUT_RING bytes the worker writes pieces into and the parent writes out. */
#define OUT_RING (4u << 20)
typedef struct {
    uint64_t head;           /* bytes the worker has written */
    char pad1[56];
    uint64_t tail;           /* bytes the parent is done with */
    uint32_t tail_seq;       /* futex word: bumped when the tail moves while the worker waits for room */
    uint32_t writer_waiting;
    char pad2[48];
} OutCtl;

/* cursor[r][w]: how many of worker w's openings reader r has counted; a row per reader, whole cache lines */
static size_t cursor_row(uint32_t count) { return count < 8 ? 8 : (size_t)(count + 7) / 8 * 8; }
static size_t rings_end(uint32_t count) {
    return sizeof(Shared) + count * sizeof(Slot) + count * cursor_row(count) * 8 + (size_t)count * RING * 8;
}
static size_t shared_size(uint32_t count) {
    return rings_end(count) + count * (sizeof(OutCtl) + (size_t)OUT_RING);
}
static OutCtl *out_ctl(Shared *m, uint32_t w) {
    return (OutCtl *)((char *)m + rings_end(m->count) + w * (sizeof(OutCtl) + (size_t)OUT_RING));
}
static char *out_data(Shared *m, uint32_t w) { return (char *)(out_ctl(m, w) + 1); }
static uint64_t *cursor(Shared *m, uint32_t r, uint32_t w) {
    return (uint64_t *)(m->slot + m->count) + r * cursor_row(m->count) + w;
}
static uint64_t *ring(Shared *m, uint32_t w) {
    return (uint64_t *)(m->slot + m->count) + m->count * cursor_row(m->count) + (size_t)w * RING;
}

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)

/* Change *word (what futex_sleep waits on) and wake everyone sleeping on it. */
static void bump_and_wake(uint32_t *word) {
    __atomic_add_fetch(word, 1, __ATOMIC_SEQ_CST);
#ifdef __linux__
    syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
#endif
}

/* Sleep until *word is no longer `seen`, a wake-up, a signal or WAIT_USEC, whichever comes first. */
static void futex_sleep(uint32_t *word, uint32_t seen) {
#ifdef __linux__
    struct timespec ts = {0, WAIT_USEC * 1000L};
    syscall(SYS_futex, word, FUTEX_WAIT, seen, &ts, NULL, 0);
#else
    (void)word; (void)seen;
    struct timespec ts = {0, 200 * 1000L};
    nanosleep(&ts, NULL);
#endif
}

/* ------------------------------------------------------------------------------------------------------------
 * Shards: one process's view of the shared state
 */
/* What a worker foresees of another's openings (see "Foreseeing", below): the packets of the other's at which it
 * opens a connection for sure (CREATE) or perhaps (UNSURE), in order, from the first not yet checked against
 * what the other logged. */
typedef struct {
    uint64_t *ev;            /* packet << 1 | unsure */
    size_t start, end, cap;
    uint64_t checked;        /* events below this packet were checked and dropped */
} Foresight;

/* A connection of another worker's, as this worker last saw it go by. */
typedef struct {
    uint64_t h;              /* 0: a free place */
    uint64_t last;           /* its last packet */
    unsigned char key[36];   /* the two ends, the smaller first (address and port each) */
    uint8_t klen;
    uint8_t closing;         /* a FIN or an RST went by: it may be done, then released, or its ports reused */
} Seen;

#define BLOOM_BITS (1u << 23)       /* 1 MB: the connections no longer in the table, by their hash */
#define SEEN_MIN 4096

typedef struct {
    PyObject_HEAD
    Py_buffer view;          /* the mapping (kept alive while this object lives) */
    Shared *m;
    uint32_t me, count;
    uint64_t opened;         /* connections this worker opened */
    uint64_t first_own, last_own;   /* the first and last packet that were this worker's (0: none) */
    long parent;             /* the parent's pid: a worker whose parent died stops waiting */
    PyObject *before_wait;   /* called as before_wait(no) once before a worker sleeps: it writes what it has */
    uint64_t waits, waited_ns, foreseen;   /* how often and how long it waited; how often it did not need to */
    /* foreseeing the others' openings */
    uint64_t linger, max_open;      /* tcp.Tracker's linger_packets and max_open; 0: foresee nothing */
    Seen *seen;
    size_t seen_cap, seen_n;
    unsigned char *bloom;
    Foresight fs[SHARDS_MAX];
    const char *broken;      /* what foreseeing got wrong: the numbering cannot be trusted (a bug) */
} ShardsObject;

static PyTypeObject ShardsType;

int shards_check(PyObject *obj) { return obj != NULL && Py_TYPE(obj) == &ShardsType; }
int shards_index(PyObject *sh) { return (int)((ShardsObject *)sh)->me; }

/* The connection's two ends in a fixed order (the smaller first, so both directions hash alike) into key (2 *
 * (alen + 2) bytes, zero-padded to 40), and their hash: 8 bytes a step, multiplied and folded (a byte at a time
 * it was 2 % of a worker's time, as every packet is hashed). */
static uint64_t ends_key(const unsigned char *a, unsigned aport, const unsigned char *b, unsigned bport,
                         size_t alen, unsigned char *key) {
    unsigned char x[18], y[18];
    memcpy(x, a, alen);
    x[alen] = (unsigned char)(aport >> 8);
    x[alen + 1] = (unsigned char)aport;
    memcpy(y, b, alen);
    y[alen] = (unsigned char)(bport >> 8);
    y[alen + 1] = (unsigned char)bport;
    int c = memcmp(x, y, alen + 2);
    memset(key, 0, 40);
    memcpy(key, c <= 0 ? x : y, alen + 2);
    memcpy(key + alen + 2, c <= 0 ? y : x, alen + 2);
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ alen;
    for (size_t i = 0; i < 2 * (alen + 2); i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
    }
    return h;
}

static int owner_of_hash(uint32_t count, uint64_t h) { return (int)((h ^ (h >> 29)) % count); }

int shards_owner(PyObject *sh, const Seg *s, ShardKey *k) {
    size_t alen = s->version == 4 ? 4 : 16;
    k->len = (uint8_t)(2 * (alen + 2));
    k->h = ends_key(s->src, s->sport, s->dst, s->dport, alen, k->key);
    return owner_of_hash(((ShardsObject *)sh)->count, k->h);
}

/* ------------------------------------------------------------------------------------------------------------
 * Foreseeing the others' openings
 *
 * Waiting at every opening for the others to catch up kept the workers in lockstep: at a million packets each
 * waited ~0.4 s. But a worker sees every packet go by, the others' included, and for most of them it can tell
 * for sure whether tcp.Tracker, in the owner, opens a connection there:
 *   - the first packet of a pair of ends never seen before opens one (nothing of it can be tracked);
 *   - a later packet of a connection that never showed a FIN or an RST does not: such a connection is not done,
 *     so never released, and a SYN on it is no port reuse; only the --max-connections cap could have dropped
 *     it, and the cap is ruled out below;
 *   - after a FIN or an RST, a packet within linger_packets of the connection's previous one does not either,
 *     unless it is a SYN without ACK (a reuse of the ports, if the connection is closed);
 *   - anything else (a SYN after a FIN, a long-idle connection that had a FIN, ends this worker forgot, a packet
 *     the C decoder declined) is unsure.
 * So to number a connection it opens at packet n, a worker counts the other's openings below the other's pos
 * from its log, and those between pos and n from what it foresaw, when none there is unsure and the other
 * cannot have reached the cap (it never finished a connection to make room, and the most it ever tracked plus
 * those openings stay under its share of --max-connections). Otherwise it waits, as before.
 *
 * What it foresaw is checked against the other's log once that covers it; a difference (a bug) breaks the run
 * with an error rather than let a wrong number through. Connections gone quiet for 2 * linger_packets leave the
 * table for a Bloom filter, so that their next packet is unsure rather than taken for a new connection.
 */
static int foresight_push(ShardsObject *self, uint32_t w, uint64_t no, int unsure) {
    Foresight *f = &self->fs[w];
    if (f->end == f->cap) {
        if (f->start) {
            memmove(f->ev, f->ev + f->start, (f->end - f->start) * 8);
            f->end -= f->start;
            f->start = 0;
        }
        if (f->end == f->cap) {
            size_t cap = f->cap ? f->cap * 2 : 1024;
            uint64_t *ev = PyMem_Realloc(f->ev, cap * 8);
            if (ev == NULL)
                return -1;
            f->ev = ev;
            f->cap = cap;
        }
    }
    f->ev[f->end++] = no << 1 | (unsigned)unsure;
    return 0;
}

static void bloom_add(unsigned char *bloom, uint64_t h) {
    uint32_t a = (uint32_t)h & (BLOOM_BITS - 1), b = (uint32_t)(h >> 23) & (BLOOM_BITS - 1),
             c = (uint32_t)(h >> 41) & (BLOOM_BITS - 1);
    bloom[a >> 3] |= 1 << (a & 7);
    bloom[b >> 3] |= 1 << (b & 7);
    bloom[c >> 3] |= 1 << (c & 7);
}

static int bloom_has(const unsigned char *bloom, uint64_t h) {
    uint32_t a = (uint32_t)h & (BLOOM_BITS - 1), b = (uint32_t)(h >> 23) & (BLOOM_BITS - 1),
             c = (uint32_t)(h >> 41) & (BLOOM_BITS - 1);
    return (bloom[a >> 3] >> (a & 7) & 1) && (bloom[b >> 3] >> (b & 7) & 1) && (bloom[c >> 3] >> (c & 7) & 1);
}

/* The table's place for h and key: where it is, or the free place to put it. */
static Seen *seen_find(Seen *t, size_t cap, uint64_t h, const unsigned char *key, uint8_t klen) {
    size_t i = (size_t)h & (cap - 1);
    for (;;) {
        Seen *e = &t[i];
        if (!e->h || (e->h == h && e->klen == klen && !memcmp(e->key, key, klen)))
            return e;
        i = (i + 1) & (cap - 1);
    }
}

/* Keep the table at most half full: the connections quiet for 2 * linger go to the Bloom filter, and the table
 * grows when that is not enough. */
static int seen_room(ShardsObject *self, uint64_t no) {
    if (self->seen_n * 2 < self->seen_cap)
        return 0;
    size_t keep = 0;
    uint64_t horizon = no > 2 * self->linger ? no - 2 * self->linger : 0;
    for (size_t i = 0; i < self->seen_cap; i++)
        if (self->seen[i].h && self->seen[i].last >= horizon)
            keep++;
    size_t cap = self->seen_cap;
    while (keep * 2 >= cap)
        cap *= 2;
    Seen *t = PyMem_Calloc(cap, sizeof(Seen));
    if (t == NULL)
        return -1;
    for (size_t i = 0; i < self->seen_cap; i++) {
        Seen *e = &self->seen[i];
        if (!e->h)
            continue;
        if (e->last >= horizon)
            *seen_find(t, cap, e->h, e->key, e->klen) = *e;
        else
            bloom_add(self->bloom, e->h);
    }
    PyMem_Free(self->seen);
    self->seen = t;
    self->seen_cap = cap;
    self->seen_n = keep;
    return 0;
}

/* Another worker's packet (w's) goes by: what it means for w's openings. 0, or -1 on no memory. */
static int foresee(ShardsObject *self, const Seg *s, const ShardKey *sk, uint64_t no, uint32_t w) {
    const unsigned char *key = sk->key;
    uint8_t klen = sk->len;
    uint64_t h = sk->h;
    if (!h)
        h = 1;
    if (seen_room(self, no) < 0)
        return -1;
    Seen *e = seen_find(self->seen, self->seen_cap, h, key, klen);
    int fin_rst = (s->flags & 0x05) != 0, syn_only = (s->flags & 0x12) == 0x02;
    if (!e->h) {
        int unsure = bloom_has(self->bloom, h);
        e->h = h;
        memcpy(e->key, key, klen);
        e->klen = klen;
        e->closing = (uint8_t)fin_rst;
        e->last = no;
        self->seen_n++;
        return foresight_push(self, w, no, unsure);
    }
    int unsure = e->closing && (syn_only || no - e->last >= self->linger);
    e->last = no;
    e->closing |= (uint8_t)fin_rst;
    return unsure ? foresight_push(self, w, no, 1) : 0;
}

/* Count, as reader `me`, worker w's openings at packets below `limit` (all in its ring: its pos is at least
 * `limit`, or this is only a partial count) and return how many of its openings come before it. What was
 * foreseen below `limit` is checked against them and dropped. */
static uint64_t consume(ShardsObject *self, uint32_t w, uint64_t limit) {
    Shared *m = self->m;
    uint64_t *cur = cursor(m, self->me, w), c = *cur;
    uint64_t head = __atomic_load_n(&m->slot[w].head, __ATOMIC_ACQUIRE);
    const uint64_t *r = ring(m, w);
    Foresight *f = &self->fs[w];
    /* Once w has finished a connection to make room, the connections it tracks are not those that went by:
     * nothing of it is foreseen any more (foreseen() looks at the same flag), nor checked. */
    int check = !LOAD(&m->slot[w].evicted);
    uint64_t complete = LOAD(&m->slot[w].pos);    /* w's log holds all its openings below this */
    if (complete > limit)
        complete = limit;
    while (c < head && r[c % RING] < limit) {
        uint64_t at = r[c % RING];
        /* every opening was foreseen, surely or not, at its packet */
        while (f->start < f->end && f->ev[f->start] >> 1 < at) {
            if (check && !(f->ev[f->start] & 1))
                self->broken = "a connection foreseen to open did not";
            f->start++;
        }
        if (f->start < f->end && f->ev[f->start] >> 1 == at)
            while (f->start < f->end && f->ev[f->start] >> 1 == at)
                f->start++;
        else if (check && self->max_open && at >= f->checked)
            self->broken = "a connection opened that was not foreseen";
        c++;
    }
    while (f->start < f->end && f->ev[f->start] >> 1 < complete) {
        if (check && !(f->ev[f->start] & 1))
            self->broken = "a connection foreseen to open did not";
        f->start++;
    }
    if (complete > f->checked)
        f->checked = complete;
    __atomic_store_n(cur, c, __ATOMIC_RELEASE);
    return c;
}

/* Keeps the others' rings from filling up while this worker is not opening connections itself. */
static void consume_all(ShardsObject *self, uint64_t limit) {
    for (uint32_t w = 0; w < self->count; w++)
        if (w != self->me)
            consume(self, w, limit);
}

/* The openings of w foreseen below packet `to`, past those its log gave (consume() dropped what it checked):
 * their count in *n and 1, when none is unsure and w cannot reach the cap there; else 0. */
static int foreseen(ShardsObject *self, uint32_t w, uint64_t to, uint64_t *n) {
    Shared *m = self->m;
    Foresight *f = &self->fs[w];
    uint64_t k = 0;
    for (size_t i = f->start; i < f->end && f->ev[i] >> 1 < to; i++) {
        if (f->ev[i] & 1)
            return 0;
        k++;
    }
    if (LOAD(&m->slot[w].open_max) + k >= self->max_open)
        return 0;
    *n = k;
    return 1;
}

void shards_progress(PyObject *obj, uint64_t no) {
    ShardsObject *self = (ShardsObject *)obj;
    Slot *s = &self->m->slot[self->me];
    STORE(&s->pos, no);
    uint64_t want = LOAD(&s->want);
    if (want <= no) {
        __atomic_compare_exchange_n(&s->want, &want, UINT64_MAX, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        bump_and_wake(&s->wake);
    }
    if (no % CONSUME_EVERY == 0)
        consume_all(self, no);
}

int shards_skip(PyObject *obj, const Seg *s, const ShardKey *k, uint64_t no, int owner) {
    ShardsObject *self = (ShardsObject *)obj;
    if (self->max_open && foresee(self, s, k, no, (uint32_t)owner) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

void shards_own(PyObject *obj, uint64_t no) {
    ShardsObject *self = (ShardsObject *)obj;
    if (!self->first_own)
        self->first_own = no;
    self->last_own = no;
}

/* Why waiting must stop, or NULL: the parent gave up, the awaited worker failed, or the parent is gone. */
static const char *stop_reason(ShardsObject *self, uint32_t w) {
    if (LOAD(&self->m->abort))
        return "the parallel read was stopped";
    if (w < self->count && LOAD(&self->m->slot[w].state) == FAILED)
        return "another worker of the parallel read failed";
    if (self->parent && getppid() != self->parent)
        return "the parallel read's parent process is gone";
    return NULL;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Sleep until worker w's pos reaches `target`. 0, or -1 with an exception set. */
static int wait_pos(ShardsObject *self, uint32_t w, uint64_t target) {
    Shared *m = self->m;
    Slot *s = &m->slot[w];
    int told = 0, r = 0;
    if (LOAD(&s->pos) >= target)
        return 0;
    uint64_t t0 = now_ns();
    self->waits++;
    while (LOAD(&s->pos) < target) {
        if (!told && self->before_wait != NULL && self->before_wait != Py_None) {
            /* What this worker wrote so far may be what the parent needs to let w go on. */
            PyObject *x = PyObject_CallFunction(self->before_wait, "K", (unsigned long long)target);
            if (x == NULL) {
                r = -1;
                break;
            }
            Py_DECREF(x);
            told = 1;
            continue;
        }
        uint64_t cur = LOAD(&s->want);
        while (cur > target && !__atomic_compare_exchange_n(&s->want, &cur, target, 0, __ATOMIC_SEQ_CST,
                                                            __ATOMIC_SEQ_CST))
            ;
        uint32_t seen = LOAD(&s->wake);
        if (LOAD(&s->pos) >= target)
            break;
        const char *why = stop_reason(self, w);
        if (why != NULL) {
            PyErr_SetString(PyExc_RuntimeError, why);
            r = -1;
            break;
        }
        consume_all(self, LOAD(&m->slot[self->me].pos));
        futex_sleep(&s->wake, seen);
        if (PyErr_CheckSignals() < 0) {
            r = -1;
            break;
        }
    }
    self->waited_ns += now_ns() - t0;
    return r;
}

/* A method's one argument, an int from 0 to 2**64-1: 0, or -1 with an exception set. */
static int u64_arg(PyObject *arg, uint64_t *out) {
    unsigned long long v = PyLong_AsUnsignedLongLong(arg);
    if (v == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    *out = v;
    return 0;
}

static int check_broken(ShardsObject *self) {
    if (self->broken == NULL)
        return 0;
    PyErr_Format(PyExc_RuntimeError, "the parallel read's numbering of connections went wrong (%s): a bug; "
                 "--jobs 1 reads with one process", self->broken);
    return -1;
}

/* assign(no, open): see the method table. */
static PyObject *Shards_assign(ShardsObject *self, PyObject *args) {
    unsigned long long no, open;
    if (!PyArg_ParseTuple(args, "KK", &no, &open))
        return NULL;
    Shared *m = self->m;
    uint64_t id = self->opened;
    for (uint32_t w = 0; w < self->count; w++) {
        if (w == self->me)
            continue;
        uint64_t pos = LOAD(&m->slot[w].pos), k;
        if (pos < no && self->max_open && !LOAD(&m->slot[w].evicted)) {
            /* w's openings below its pos are in its log; those from there to `no`, foreseen */
            uint64_t logged = consume(self, w, pos);
            if (foreseen(self, w, no, &k)) {
                id += logged + k;
                self->foreseen++;
                continue;
            }
        }
        if (wait_pos(self, w, no) < 0)
            return NULL;
        id += consume(self, w, no);
    }
    if (check_broken(self) < 0)
        return NULL;
    /* Log the opening; a full ring waits for the slowest reader still reading (they read while they wait). */
    Slot *s = &m->slot[self->me];
    uint64_t head = s->head;
    for (;;) {
        uint64_t oldest = head;
        for (uint32_t r = 0; r < self->count; r++)
            if (r != self->me && LOAD(&m->slot[r].state) == RUNNING) {
                uint64_t c = __atomic_load_n(cursor(m, r, self->me), __ATOMIC_ACQUIRE);
                if (c < oldest)
                    oldest = c;
            }
        if (head - oldest < RING)
            break;
        const char *why = stop_reason(self, self->count);
        if (why != NULL) {
            PyErr_SetString(PyExc_RuntimeError, why);
            return NULL;
        }
        consume_all(self, LOAD(&s->pos));
        struct timespec ts = {0, 100 * 1000L};
        nanosleep(&ts, NULL);
        if (PyErr_CheckSignals() < 0)
            return NULL;
    }
    ring(m, self->me)[head % RING] = no;
    if (open > LOAD(&s->open_max))
        STORE(&s->open_max, open);
    __atomic_store_n(&s->head, head + 1, __ATOMIC_RELEASE);
    self->opened++;
    return PyLong_FromUnsignedLongLong(id);
}

/* write(data): append to this worker's output ring, waiting for room as the parent writes it out. */
static PyObject *Shards_write(ShardsObject *self, PyObject *arg) {
    Py_buffer data;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE) < 0)
        return NULL;
    Shared *m = self->m;
    OutCtl *c = out_ctl(m, self->me);
    char *ring = out_data(m, self->me);
    const char *p = data.buf;
    size_t n = (size_t)data.len;
    uint64_t head = c->head;
    PyObject *result = Py_None;
    while (n) {
        uint64_t tail = LOAD(&c->tail);
        size_t room = OUT_RING - (size_t)(head - tail);
        if (room == 0) {
            uint32_t seen = LOAD(&c->tail_seq);
            STORE(&c->writer_waiting, 1);
            if (LOAD(&c->tail) != tail)
                continue;
            const char *why = stop_reason(self, self->count);
            if (why != NULL) {
                PyErr_SetString(PyExc_BrokenPipeError, why);
                result = NULL;
                break;
            }
            futex_sleep(&c->tail_seq, seen);
            if (PyErr_CheckSignals() < 0) {
                result = NULL;
                break;
            }
            continue;
        }
        size_t k = n < room ? n : room, at = (size_t)(head % OUT_RING), first = OUT_RING - at;
        if (k <= first)
            memcpy(ring + at, p, k);
        else {
            memcpy(ring + at, p, first);
            memcpy(ring, p + first, k - first);
        }
        head += k;
        p += k;
        n -= k;
        STORE(&c->head, head);
    }
    PyBuffer_Release(&data);
    return Py_XNewRef(result);
}

/* evicted(): this worker finished a connection to make room; the others stop foreseeing its openings. */
static PyObject *Shards_evicted(ShardsObject *self, PyObject *unused) {
    STORE(&self->m->slot[self->me].evicted, 1);
    Py_RETURN_NONE;
}

/* foresee(linger, max_open): turn foreseeing on, with tcp.Tracker's linger_packets and max_open. */
static PyObject *Shards_foresee(ShardsObject *self, PyObject *args) {
    unsigned long long linger, max_open;
    if (!PyArg_ParseTuple(args, "KK", &linger, &max_open))
        return NULL;
    if (self->seen == NULL) {
        self->seen = PyMem_Calloc(SEEN_MIN, sizeof(Seen));
        self->bloom = PyMem_Calloc(BLOOM_BITS / 8, 1);
        if (self->seen == NULL || self->bloom == NULL)
            return PyErr_NoMemory();
        self->seen_cap = SEEN_MIN;
    }
    self->linger = linger;
    self->max_open = max_open;
    Py_RETURN_NONE;
}

static PyObject *Shards_progress(ShardsObject *self, PyObject *arg) {
    uint64_t no;
    if (u64_arg(arg, &no) < 0)
        return NULL;
    shards_progress((PyObject *)self, no);
    Py_RETURN_NONE;
}

static PyObject *Shards_own(ShardsObject *self, PyObject *arg) {
    uint64_t no;
    if (u64_arg(arg, &no) < 0)
        return NULL;
    shards_own((PyObject *)self, no);
    Py_RETURN_NONE;
}

static PyObject *Shards_set_bytes(ShardsObject *self, PyObject *arg) {
    uint64_t n;
    if (u64_arg(arg, &n) < 0)
        return NULL;
    STORE(&self->m->slot[self->me].bytes, n);
    Py_RETURN_NONE;
}

/* The end of this worker's packets: nobody waits for it any more, and it reads no ring any more. */
static PyObject *Shards_done(ShardsObject *self, PyObject *unused) {
    Slot *s = &self->m->slot[self->me];
    consume_all(self, UINT64_MAX);     /* the last check of what was foreseen (the others are done too, or it is
                                        * checked as far as their logs go) */
    if (check_broken(self) < 0)
        return NULL;
    STORE(&s->state, DONE);
    shards_progress((PyObject *)self, UINT64_MAX);
    Py_RETURN_NONE;
}

static PyObject *Shards_fail(ShardsObject *self, PyObject *unused) {
    Slot *s = &self->m->slot[self->me];
    STORE(&s->state, FAILED);
    bump_and_wake(&s->wake);
    Py_RETURN_NONE;
}

/* owner(data, linktype) -> the worker a captured packet belongs to, or -1 when the C decoder declines it (the
 * caller then decodes it in Python and asks owner_of). */
static PyObject *Shards_owner(ShardsObject *self, PyObject *args) {
    Py_buffer data;
    long linktype;
    if (!PyArg_ParseTuple(args, "y*l", &data, &linktype))
        return NULL;
    Seg s;
    ShardKey k;
    int r = decode(data.buf, data.len, linktype, &s) ? shards_owner((PyObject *)self, &s, &k) : -1;
    PyBuffer_Release(&data);
    return PyLong_FromLong(r);
}

/* owner_of(src, sport, dst, dport, flags, no): the same for packet `no`, a TCP segment the Python decoder read
 * (src and dst: the addresses' bytes, 4 or 16); another worker's is foreseen as the lane foresees those it
 * decodes itself (a connection whose first packets only Python could read would else look new later on). */
static PyObject *Shards_owner_of(ShardsObject *self, PyObject *args) {
    Py_buffer a, b;
    unsigned int aport, bport, flags;
    unsigned long long no;
    if (!PyArg_ParseTuple(args, "y*Iy*IIK", &a, &aport, &b, &bport, &flags, &no))
        return NULL;
    PyObject *r = NULL;
    if ((a.len != 4 && a.len != 16) || a.len != b.len)
        PyErr_SetString(PyExc_ValueError, "owner_of: addresses of 4 or 16 bytes, both alike");
    else {
        Seg s = {.version = a.len == 4 ? 4 : 6, .src = a.buf, .dst = b.buf, .sport = aport & 0xFFFF,
                 .dport = bport & 0xFFFF, .flags = flags & 0xFF};
        ShardKey k;
        int owner = shards_owner((PyObject *)self, &s, &k);
        if (owner == (int)self->me || shards_skip((PyObject *)self, &s, &k, no, owner) == 0)
            r = PyLong_FromLong(owner);
    }
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return r;
}

static Shared *shared_of(Py_buffer *view, uint32_t *count) {
    if (view->len < (Py_ssize_t)sizeof(Shared)) {
        PyErr_SetString(PyExc_ValueError, "Shards: the buffer is too small");
        return NULL;
    }
    Shared *m = view->buf;
    if (m->magic != SHARDS_MAGIC || m->count < 1 || m->count > SHARDS_MAX
        || view->len < (Py_ssize_t)shared_size(m->count)) {
        PyErr_SetString(PyExc_ValueError, "Shards: the buffer was not prepared (Shards.prepare)");
        return NULL;
    }
    *count = m->count;
    return m;
}

/* Shards(buffer, index, parent_pid=0): worker `index`'s view of a buffer Shards.prepare set up. In a worker,
 * parent_pid is the parent's pid: on Linux the worker is then killed if the parent dies, and stops waiting. */
static int Shards_init(ShardsObject *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"buffer", "index", "parent_pid", NULL};
    PyObject *buffer;
    unsigned int index;
    long parent = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OI|l", names, &buffer, &index, &parent))
        return -1;
    if (self->m != NULL) {
        PyErr_SetString(PyExc_TypeError, "Shards: already set up");
        return -1;
    }
    if (PyObject_GetBuffer(buffer, &self->view, PyBUF_WRITABLE) < 0)
        return -1;
    uint32_t count;
    Shared *m = shared_of(&self->view, &count);
    if (m == NULL || index >= count) {
        if (m != NULL)
            PyErr_SetString(PyExc_ValueError, "Shards: no such worker");
        PyBuffer_Release(&self->view);
        return -1;
    }
    self->m = m;
    self->me = index;
    self->count = count;
    self->parent = parent;
#ifdef __linux__
    if (parent)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    return 0;
}

static void Shards_dealloc(ShardsObject *self) {
    if (self->m != NULL)
        PyBuffer_Release(&self->view);
    PyMem_Free(self->seen);
    PyMem_Free(self->bloom);
    for (int w = 0; w < SHARDS_MAX; w++)
        PyMem_Free(self->fs[w].ev);
    Py_XDECREF(self->before_wait);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Shards_get_before_wait(ShardsObject *self, void *c) {
    return Py_NewRef(self->before_wait ? self->before_wait : Py_None);
}

static int Shards_set_before_wait(ShardsObject *self, PyObject *v, void *c) {
    Py_XINCREF(v);
    Py_XSETREF(self->before_wait, v);
    return 0;
}

static PyObject *Shards_get_u64(ShardsObject *self, void *which) {
    intptr_t i = (intptr_t)which;
    uint64_t v = i == 0 ? self->first_own : i == 1 ? self->last_own : i == 2 ? self->opened
               : i == 3 ? self->waits : i == 4 ? self->waited_ns : self->foreseen;
    return PyLong_FromUnsignedLongLong(v);
}

/* Shards.size(count) -> bytes the shared mapping needs. */
static PyObject *Shards_size(PyObject *cls, PyObject *arg) {
    long count = PyLong_AsLong(arg);
    if (count == -1 && PyErr_Occurred())
        return NULL;
    if (count < 1 || count > SHARDS_MAX)
        return PyErr_Format(PyExc_ValueError, "a parallel read takes 1 to %d workers", SHARDS_MAX);
    return PyLong_FromSize_t(shared_size((uint32_t)count));
}

/* Shards.prepare(buffer, count): set a fresh (zeroed) mapping up for `count` workers. */
static PyObject *Shards_prepare(PyObject *cls, PyObject *args) {
    Py_buffer view;
    unsigned int count;
    if (!PyArg_ParseTuple(args, "w*I", &view, &count))
        return NULL;
    if (count < 1 || count > SHARDS_MAX || view.len < (Py_ssize_t)shared_size(count)) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "Shards.prepare: bad count or buffer too small");
        return NULL;
    }
    Shared *m = view.buf;
    memset(m, 0, shared_size(count));
    m->count = count;
    for (uint32_t w = 0; w < count; w++)
        m->slot[w].want = UINT64_MAX;
    __atomic_store_n(&m->magic, SHARDS_MAGIC, __ATOMIC_RELEASE);
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

/* Shards.status(buffer) -> [(pos, bytes, state)] per worker, for the parent's progress bar. */
static PyObject *Shards_status(PyObject *cls, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    uint32_t count;
    Shared *m = shared_of(&view, &count);
    PyObject *out = m ? PyList_New(count) : NULL;
    for (uint32_t w = 0; out != NULL && w < count; w++) {
        PyObject *t = Py_BuildValue("KKI", (unsigned long long)LOAD(&m->slot[w].pos),
                                    (unsigned long long)LOAD(&m->slot[w].bytes), LOAD(&m->slot[w].state));
        if (t == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, w, t);
    }
    PyBuffer_Release(&view);
    return out;
}

/* Shards.stop(buffer): tell every worker to give up waiting (the parent saw one fail, or was interrupted). */
static PyObject *Shards_stop(PyObject *cls, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_WRITABLE) < 0)
        return NULL;
    uint32_t count;
    Shared *m = shared_of(&view, &count);
    if (m != NULL) {
        STORE(&m->abort, 1);
        for (uint32_t w = 0; w < count; w++) {
            bump_and_wake(&m->slot[w].wake);
        }
    }
    PyBuffer_Release(&view);
    if (m == NULL)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef Shards_methods[] = {
    {"assign", (PyCFunction)Shards_assign, METH_VARARGS,
     "assign(no, open) -> the number of the connection this worker opens at packet `no`, after which it tracks "
     "`open` connections: its own openings so far plus the others' before `no` (foreseen, or counted once each "
     "other worker is past `no`)."},
    {"write", (PyCFunction)Shards_write, METH_O,
     "write(data): append pieces to this worker's output ring (waits for room)."},
    {"evicted", (PyCFunction)Shards_evicted, METH_NOARGS,
     "evicted(): this worker finished a connection to make room (--max-connections)."},
    {"foresee", (PyCFunction)Shards_foresee, METH_VARARGS,
     "foresee(linger, max_open): foresee the others' openings (tcp.Tracker's linger_packets and max_open)."},
    {"progress", (PyCFunction)Shards_progress, METH_O, "progress(no): every packet below `no` is done."},
    {"own", (PyCFunction)Shards_own, METH_O, "own(no): packet `no` was this worker's."},
    {"set_bytes", (PyCFunction)Shards_set_bytes, METH_O, "set_bytes(n): capture bytes read so far."},
    {"done", (PyCFunction)Shards_done, METH_NOARGS, "done(): this worker has read every packet."},
    {"fail", (PyCFunction)Shards_fail, METH_NOARGS, "fail(): this worker stops on an error."},
    {"owner", (PyCFunction)Shards_owner, METH_VARARGS,
     "owner(data, linktype) -> the worker a packet belongs to, or -1 when the C decoder declines it."},
    {"owner_of", (PyCFunction)Shards_owner_of, METH_VARARGS,
     "owner_of(src, sport, dst, dport, flags, no) -> the worker of TCP segment `no` the Python decoder read, its "
     "addresses as 4 or 16 bytes (another worker's is foreseen)."},
    {"size", (PyCFunction)Shards_size, METH_O | METH_CLASS, "size(count) -> bytes of shared memory needed."},
    {"prepare", (PyCFunction)Shards_prepare, METH_VARARGS | METH_CLASS,
     "prepare(buffer, count): set up a zeroed shared buffer for `count` workers."},
    {"status", (PyCFunction)Shards_status, METH_O | METH_CLASS,
     "status(buffer) -> [(pos, bytes, state)] per worker."},
    {"stop", (PyCFunction)Shards_stop, METH_O | METH_CLASS, "stop(buffer): every waiting worker gives up."},
    {NULL}
};

static PyObject *Shards_get_index(ShardsObject *self, void *c) { return PyLong_FromUnsignedLong(self->me); }
static PyObject *Shards_get_count(ShardsObject *self, void *c) { return PyLong_FromUnsignedLong(self->count); }

static PyGetSetDef Shards_getset[] = {
    {"before_wait", (getter)Shards_get_before_wait, (setter)Shards_set_before_wait,
     "Called as before_wait(no) once before this worker sleeps waiting for another.", NULL},
    {"first_own", (getter)Shards_get_u64, NULL, "The first packet that was this worker's (0: none).", (void *)0},
    {"last_own", (getter)Shards_get_u64, NULL, "The last packet that was this worker's (0: none).", (void *)1},
    {"opened", (getter)Shards_get_u64, NULL, "Connections this worker opened.", (void *)2},
    {"waits", (getter)Shards_get_u64, NULL, "How often this worker waited for another.", (void *)3},
    {"waited_ns", (getter)Shards_get_u64, NULL, "How long it waited, in nanoseconds.", (void *)4},
    {"foreseen", (getter)Shards_get_u64, NULL, "How often it numbered a connection without waiting.", (void *)5},
    {"index", (getter)Shards_get_index, NULL, "This worker's number.", NULL},
    {"count", (getter)Shards_get_count, NULL, "How many workers share the read.", NULL},
    {NULL}
};

static PyTypeObject ShardsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wsdissect._fastlane.Shards",
    .tp_basicsize = sizeof(ShardsObject),
    .tp_dealloc = (destructor)Shards_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One worker's view of the state the workers of a parallel read share (see _shards.c).",
    .tp_methods = Shards_methods,
    .tp_getset = Shards_getset,
    .tp_init = (initproc)Shards_init,
    .tp_new = PyType_GenericNew,
};

/* ------------------------------------------------------------------------------------------------------------
 * merge(): the parent's side of the output rings
 */
#define OUT_BATCH (512u << 10)      /* bytes gathered in iovecs before a writev, which frees their ring room */
#define OUT_IOV 512
#define NAP_MS 1                    /* how long the parent sleeps when no worker has written anything new */

typedef struct {
    OutCtl *ctl;
    const char *ring;
    uint64_t pos;            /* read position: what is before it is parsed (and written out, or gathered) */
    uint64_t head;           /* the worker's head as last seen */
    int fd;                  /* the read end of its notify pipe */
    int hup;                 /* the worker closed it (exited) */
    int ended;               /* its end piece is complete */
    int end_at_hand;         /* it exited with its end piece whole in the ring (holds_end) */
    uint64_t bno, bminor;    /* all it still writes sorts at or after (bno, bminor) */
    int has_head;            /* a data piece's header is parsed, its body not yet written */
    PieceHeader h;
    uint64_t left;           /* bytes of the piece being written out still to come */
    char *blob;              /* the end piece */
    size_t blob_len, blob_got;
    int in_blob;
} RIn;

static int key_less(uint64_t ano, uint64_t aminor, uint64_t bno, uint64_t bminor) {
    return ano < bno || (ano == bno && aminor < bminor);
}

typedef struct {
    struct iovec iov[OUT_IOV];
    int n;
    size_t bytes;
    int fd;
} Out;

static void copy_out(const RIn *in, uint64_t at, void *dst, size_t n) {
    size_t o = (size_t)(at % OUT_RING), first = OUT_RING - o;
    if (n <= first)
        memcpy(dst, in->ring + o, n);
    else {
        memcpy(dst, in->ring + o, first);
        memcpy((char *)dst + first, in->ring, n - first);
    }
}

/* Write the gathered iovecs out, then give the rings their room back. -1 with errno on a write error. */
static int out_flush(Out *o, RIn *in, Py_ssize_t n) {
    struct iovec *v = o->iov;
    int left = o->n;
    while (left > 0 && o->fd >= 0) {
        ssize_t w = writev(o->fd, v, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        while (left > 0 && (size_t)w >= v->iov_len) {
            w -= (ssize_t)v->iov_len;
            v++;
            left--;
        }
        if (left > 0) {
            v->iov_base = (char *)v->iov_base + w;
            v->iov_len -= (size_t)w;
        }
    }
    o->n = 0;
    o->bytes = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t tail = in[i].pos;   /* a piece not written yet starts here: its header is parsed, kept aside */
        if (tail != LOAD(&in[i].ctl->tail)) {
            STORE(&in[i].ctl->tail, tail);
            if (LOAD(&in[i].ctl->writer_waiting)) {
                STORE(&in[i].ctl->writer_waiting, 0);
                bump_and_wake(&in[i].ctl->tail_seq);
            }
        }
    }
    return 0;
}

/* Gather the next k bytes of in's ring (from in->pos) for writing out, writing out first when the iovecs are full. */
static int out_add(Out *o, RIn *in, Py_ssize_t n_in, RIn *all, size_t k) {
    while (k) {
        if (o->n + 2 > OUT_IOV && out_flush(o, all, n_in) < 0)
            return -1;
        size_t at = (size_t)(in->pos % OUT_RING), first = OUT_RING - at, part = k < first ? k : first;
        if (o->fd >= 0) {
            o->iov[o->n].iov_base = (char *)in->ring + at;
            o->iov[o->n].iov_len = part;
            o->n++;
        }
        o->bytes += part;
        in->pos += part;
        in->left -= part;
        k -= part;
    }
    return 0;
}

/* Parse at in->pos until a data piece's header waits (1) or more bytes are needed (0); -1 on a malformed stream
 * or no memory (errno set). End pieces are gathered into in->blob. */
static int parse(RIn *in) {
    for (;;) {
        if (in->has_head || in->ended)
            return in->has_head;
        uint64_t have = in->head - in->pos;
        if (in->in_blob) {
            size_t k = (size_t)(have < in->blob_len - in->blob_got ? have : in->blob_len - in->blob_got);
            copy_out(in, in->pos, in->blob + in->blob_got, k);
            in->blob_got += k;
            in->pos += k;
            if (in->blob_got < in->blob_len)
                return 0;
            in->in_blob = 0;
            in->ended = 1;
            continue;
        }
        if (have < sizeof(PieceHeader))
            return 0;
        PieceHeader h;
        copy_out(in, in->pos, &h, sizeof h);
        if (h.len == PIECE_MARK) {
            if (key_less(h.no, h.minor, in->bno, in->bminor)) {
                errno = EPROTO;
                return -1;
            }
            in->bno = h.no;
            in->bminor = h.minor;
            in->pos += sizeof h;
            continue;
        }
        if (h.len > (1ULL << 40)) {
            errno = EPROTO;
            return -1;
        }
        in->pos += sizeof h;
        if (h.no == PIECE_END_NO) {
            in->blob = malloc(h.len ? (size_t)h.len : 1);
            if (in->blob == NULL)
                return -1;
            in->blob_len = (size_t)h.len;
            in->blob_got = 0;
            in->in_blob = 1;
            continue;
        }
        if (key_less(h.no, h.minor, in->bno, in->bminor)) {
            errno = EPROTO;
            return -1;
        }
        in->h = h;
        in->has_head = 1;
        in->left = h.len;
        return 1;
    }
}

/* Whether the bytes of `in` at hand, from where parsing stands, hold its end piece whole (pieces of an exited
 * worker that must wait for the others' may stand before it): one that exited without it failed, whatever it
 * was writing then. */
static int holds_end(const RIn *in) {
    if (in->ended)
        return 1;
    uint64_t at = in->pos;
    if (in->in_blob)
        return in->head - at >= in->blob_len - in->blob_got;
    if (in->has_head) {              /* its body from `at` on (being written out, or waiting its turn) */
        if (in->head - at < in->left)
            return 0;
        at += in->left;
    }
    while (in->head - at >= sizeof(PieceHeader)) {
        PieceHeader h;
        copy_out(in, at, &h, sizeof h);
        at += sizeof h;
        if (h.len == PIECE_MARK)
            continue;
        if (h.len > in->head - at)
            return 0;
        if (h.no == PIECE_END_NO)
            return 1;
        at += h.len;
    }
    return 0;
}

/* Whether nothing from `in` can sort before key (no, minor): a later piece waits, it said so, or it is over. */
static int clear_of(const RIn *in, uint64_t no, uint64_t minor) {
    if (in->ended || in->has_head)
        return 1;                    /* the candidate is the smallest head, and keys are unique */
    return !key_less(in->bno, in->bminor, no, minor);
}

/* merge(buffer, notify_fds, out_fd) -> [end bytes or None per worker]: write the pieces of every worker's output
 * ring to out_fd (-1: nowhere) in key order, until each has sent its end piece or exited. The GIL is let go
 * while it waits and writes. */
static PyObject *merge(PyObject *module, PyObject *args) {
    PyObject *buffer, *fdlist;
    int out_fd;
    if (!PyArg_ParseTuple(args, "OO!i", &buffer, &PyList_Type, &fdlist, &out_fd))
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(buffer, &view, PyBUF_WRITABLE) < 0)
        return NULL;
    uint32_t count;
    Shared *m = shared_of(&view, &count);
    Py_ssize_t n = PyList_GET_SIZE(fdlist);
    if (m == NULL || n != (Py_ssize_t)count) {
        if (m != NULL)
            PyErr_SetString(PyExc_ValueError, "merge: one notify pipe per worker");
        PyBuffer_Release(&view);
        return NULL;
    }
    RIn in[SHARDS_MAX];
    memset(in, 0, sizeof in);
    for (Py_ssize_t i = 0; i < n; i++) {
        in[i].ctl = out_ctl(m, (uint32_t)i);
        in[i].ring = out_data(m, (uint32_t)i);
        in[i].fd = (int)PyLong_AsLong(PyList_GET_ITEM(fdlist, i));
    }
    if (PyErr_Occurred()) {
        PyBuffer_Release(&view);
        return NULL;
    }
    Out o = {.n = 0, .bytes = 0, .fd = out_fd};
    int failed_errno = 0, interrupted = 0;
    RIn *writing = NULL;             /* the input whose piece is being written out */

    Py_BEGIN_ALLOW_THREADS
    while (!failed_errno) {
        int progressed = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            uint64_t h = __atomic_load_n(&in[i].ctl->head, __ATOMIC_ACQUIRE);
            if (h != in[i].head) {
                in[i].head = h;
                progressed = 1;
            }
        }
        for (;;) {
            if (writing != NULL) {
                size_t k = (size_t)(writing->head - writing->pos < writing->left ? writing->head - writing->pos
                                                                                  : writing->left);
                if (k) {
                    if (out_add(&o, writing, n, in, k) < 0) {
                        failed_errno = errno;
                        break;
                    }
                    progressed = 1;
                }
                if (writing->left)
                    break;                   /* more of it is to come */
                writing->has_head = 0;
                writing->bno = writing->h.no;
                writing->bminor = writing->h.minor;
                writing = NULL;
            }
            int best = -1;
            for (Py_ssize_t i = 0; i < n; i++) {
                int r = parse(&in[i]);
                if (r < 0) {
                    failed_errno = errno ? errno : EPROTO;
                    break;
                }
                if (r && (best < 0 || key_less(in[i].h.no, in[i].h.minor, in[best].h.no, in[best].h.minor)))
                    best = (int)i;
            }
            if (failed_errno || best < 0)
                break;
            int clear = 1;
            for (Py_ssize_t i = 0; i < n && clear; i++)
                if (i != best)
                    clear = clear_of(&in[i], in[best].h.no, in[best].h.minor);
            if (!clear)
                break;
            writing = &in[best];
            if (o.bytes >= OUT_BATCH && out_flush(&o, in, n) < 0) {
                failed_errno = errno;
                break;
            }
        }
        if (failed_errno)
            break;
        int open = 0;
        for (Py_ssize_t i = 0; i < n; i++)
            if (!in[i].ended) {
                if (in[i].hup && !in[i].end_at_hand && LOAD(&in[i].ctl->head) == in[i].head) {
                    if (!holds_end(&in[i])) {
                        failed_errno = ECHILD;   /* a worker exited before its end piece: the caller says why */
                        break;
                    }
                    in[i].end_at_hand = 1;       /* looked at once: it only waits its turn */
                }
                open = 1;
            }
        if (failed_errno || (!open && writing == NULL))
            break;
        if (progressed)
            continue;
        /* Nothing to do until a worker writes more: give the rings their room back, then sleep. */
        if (out_flush(&o, in, n) < 0) {
            failed_errno = errno;
            break;
        }
        /* A short nap rather than a wake-up per write: woken at every write, the parent spent ~0.3 s of CPU per
         * million packets on wake-ups alone; a ring holds several milliseconds of a worker's output. */
        struct pollfd pf[SHARDS_MAX];
        for (Py_ssize_t i = 0; i < n; i++) {
            pf[i].fd = in[i].hup ? -1 : in[i].fd;
            pf[i].events = POLLIN;
            pf[i].revents = 0;
        }
        int r = poll(pf, (nfds_t)n, NAP_MS);
        if (r < 0) {
            if (errno == EINTR) {
                interrupted = 1;
                break;
            }
            failed_errno = errno;
            break;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            if (pf[i].revents & POLLIN) {
                char junk[64];
                ssize_t got = read(in[i].fd, junk, sizeof junk);
                if (got == 0)
                    in[i].hup = 1;
            } else if (pf[i].revents & (POLLHUP | POLLERR))
                in[i].hup = 1;
        }
    }
    if (!failed_errno && !interrupted && out_flush(&o, in, n) < 0)
        failed_errno = errno;
    Py_END_ALLOW_THREADS

    PyObject *result = NULL;
    if (interrupted) {
        if (PyErr_CheckSignals() == 0)
            PyErr_SetString(PyExc_InterruptedError, "merge: interrupted");
    } else if (failed_errno) {
        errno = failed_errno;
        PyErr_SetFromErrno(PyExc_OSError);
    } else if ((result = PyList_New(n)) != NULL) {
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *b = in[i].ended ? PyBytes_FromStringAndSize(in[i].blob, (Py_ssize_t)in[i].blob_len)
                                      : Py_NewRef(Py_None);
            if (b == NULL) {
                Py_CLEAR(result);
                break;
            }
            PyList_SET_ITEM(result, i, b);
        }
    }
    for (Py_ssize_t i = 0; i < n; i++)
        free(in[i].blob);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef shard_functions[] = {
    {"merge", merge, METH_VARARGS,
     "merge(buffer, notify_fds, out_fd) -> [end bytes or None per worker]: the workers' pieces written to out_fd "
     "in the capture's order (see _shards.c)."},
    {NULL}
};

int shards_add_to_module(PyObject *module) {
    if (PyType_Ready(&ShardsType) < 0)
        return -1;
    Py_INCREF(&ShardsType);
    if (PyModule_AddObject(module, "Shards", (PyObject *)&ShardsType) < 0) {
        Py_DECREF(&ShardsType);
        return -1;
    }
    if (PyModule_AddFunctions(module, shard_functions) < 0)
        return -1;
    return PyModule_AddIntConstant(module, "SHARDS_MAX", SHARDS_MAX);
}
