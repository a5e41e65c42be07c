/* wsdissect._fastlane: the common packets of a busy capture, analysed in C.
 *
 * Why: the benchmark's target is `read --json` at a quarter of tshark's time. bench/floor.py measured that no
 * pure-CPython design gets there (writing one line per packet alone costs 0.35x tshark), so the packets that
 * make up nearly all of a busy WebSocket capture take this lane instead. Taken: a TCP segment of a connection
 * whose both directions are WebSocket frames, in order, ACK set, no SYN/FIN/RST, that is
 *   - data that carries on a frame in progress, completes at most one whole message (text or binary, FIN,
 *     compressed or not, masked as its side must be) or one Ping/Pong, and/or starts the next frame; or
 *   - a bare ACK that acknowledges something new.
 *
 * The lane keeps no analysis state of its own. It reads and updates the very objects the Python analyzer uses
 * (tcp.Direction, tcp.TcpConnection, analyzer._ConnState, the websocket FrameParser and Inflater...), by slot
 * offset, exactly as Analyzer.feed would. Every packet is first checked without changing anything; one the
 * lane does not take (a handshake, a gap, a close, a note...) is left untouched for the Python path (`feed`
 * and `scan` hand it back). A compressed message is inflated here as Inflater does; when it needs a note (not
 * inflated cleanly, not UTF-8) the Python code finishes it, so every note is still written by Python.
 *
 * What a taken packet becomes: its JSON lines (json mode), a model.Row for the view (rows mode; for a timeline
 * printed as plain text the lane writes the usual rows itself, as TimelinePrinter.row would), or the
 * StatsCollector's numbers (stats mode). wsdissect/fastlane.py says which, and passes the words.
 *
 * The Python path is the reference: WSDISSECT_PURE=1 turns this lane off, and tests/test_fastlane.py and
 * tests/fuzz/differential.py --pure-vs-fast check that the two give byte-identical output.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <arpa/inet.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "_buf.h"
#include "_decode.h"
#include "_inflate.h"

/* ------------------------------------------------------------------------------------------------------------
 * Output buffer (Buf and buf_reserve: _buf.h)
 */
static inline int put(Buf *b, const char *s, Py_ssize_t n) {
    if (buf_reserve(b, n) < 0)
        return -1;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

#define PUTS(b, lit) put((b), (lit), (Py_ssize_t)sizeof(lit) - 1)

/* Two digits per division: every JSON line has a dozen numbers (2.6 % of read --json one digit at a time). */
static const char DIGIT_PAIRS[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Written in place from its last digit back, its length counted first: no copy, no call (3 % of read --json). */
static int put_i64(Buf *b, long long v) {
    if (buf_reserve(b, 21) < 0)             /* a sign and 20 digits */
        return -1;
    char *o = b->p + b->n;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    if (v < 0)
        *o++ = '-';
    int len = 1;
    for (unsigned long long t = u; t >= 10 && len < 20; len++)
        t /= 10;
    char *e = o + len;
    b->n = e - b->p;
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        e -= 2;
        e[0] = DIGIT_PAIRS[2 * r];
        e[1] = DIGIT_PAIRS[2 * r + 1];
    }
    if (u >= 10) {
        e[-2] = DIGIT_PAIRS[2 * u];
        e[-1] = DIGIT_PAIRS[2 * u + 1];
    } else
        e[-1] = (char)('0' + u);
    return 0;
}

/* The bytes of a UTF-8 string as json.encoder.encode_basestring (ensure_ascii=False) escapes them: '"', '\\'
 * and the C0 controls; everything else, non-ASCII included, is copied. Byte-wise is the same thing because
 * every byte of a multi-byte UTF-8 sequence is >= 0x80. No quotes added. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
/* Nonzero when one of the 8 bytes of x needs escaping (< 0x20, '"' or '\\'): the usual has-zero-byte and
 * has-less-than word tricks, so plain text (nearly all of it) is skipped 8 bytes at a time. */
static inline uint64_t needs_escape(uint64_t x) {
    uint64_t q = x ^ (ONES * '"'), bs = x ^ (ONES * '\\');
    return ((x - ONES * 0x20) | (q - ONES) | (bs - ONES)) & ~x & HIGHS;
}

/* 8 bytes as a word whose lowest byte is the first: needs_escape's borrows run from a matching byte towards the
 * higher ones only, so the lowest set bit of its mask marks the first byte to escape, on any byte order. */
static inline uint64_t load_le64(const char *p) {
    uint64_t x;
    memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

static int put_escaped(Buf *b, const char *s, Py_ssize_t n) {
    static const char hex[] = "0123456789abcdef";
    /* room for the worst (every byte \u00XX) and for a whole word written past the end: written in place, a word
     * at a time, with no call per run (JSON-like text has a quote every few words) */
    if (buf_reserve(b, 6 * n + 8) < 0)
        return -1;
    char *o = b->p + b->n;
    Py_ssize_t i = 0;
    for (;;) {
#if defined(__SSE2__)
        /* 16 bytes a step where SSE2 is there (every x86-64): the long plain runs of a message's text go twice as
         * fast as by words (put_escaped was 4 % of read --json) */
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), c0 = _mm_set1_epi8(0x1F);
        while (i + 16 <= n) {
            __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
            _mm_storeu_si128((__m128i *)o, x);
            __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                                       _mm_cmpeq_epi8(_mm_max_epu8(x, c0), c0));      /* x <= 0x1F, unsigned */
            int m = _mm_movemask_epi8(hit);
            if (m) {
                int k = __builtin_ctz((unsigned)m);
                o += k;
                i += k;
                goto escape;
            }
            o += 16;
            i += 16;
        }
#endif
        while (i + 8 <= n) {
            memcpy(o, s + i, 8);            /* the bytes from the one to escape on are written over next */
            uint64_t m = needs_escape(load_le64(s + i));
            if (m) {
                int k = __builtin_ctzll(m) >> 3;
                o += k;
                i += k;
                goto escape;
            }
            o += 8;
            i += 8;
        }
        for (; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c == '"' || c == '\\')
                goto escape;
            *o++ = (char)c;
        }
        break;
    escape:;
        unsigned char c = (unsigned char)s[i++];
        o[0] = '\\';
        switch (c) {
        case '"': o[1] = '"'; break;
        case '\\': o[1] = '\\'; break;
        case '\b': o[1] = 'b'; break;
        case '\f': o[1] = 'f'; break;
        case '\n': o[1] = 'n'; break;
        case '\r': o[1] = 'r'; break;
        case '\t': o[1] = 't'; break;
        default:
            o[1] = 'u'; o[2] = '0'; o[3] = '0'; o[4] = hex[c >> 4]; o[5] = hex[c & 15];
            o += 4;
        }
        o += 2;
    }
    b->n = o - b->p;
    return 0;
}

/* A str, escaped (no quotes). */
static int put_escaped_str(Buf *b, PyObject *s) {
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(s, &n);
    if (u == NULL)
        return -1;
    return put_escaped(b, u, n);
}

/* The characters of s when it is UTF-8 as Python's strict decoder takes it (no overlong forms, no surrogates,
 * nothing past U+10FFFF), else -1: a message's text is checked here, not made into a str, when nothing but its
 * JSON line needs it. ASCII is skipped 8 bytes at a time. */
static Py_ssize_t utf8_chars(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t i = 0, tails = 0;
    while (i < n) {
        const char *w = (const char *)s + i;
        if (i + 32 <= n && !((load_le64(w) | load_le64(w + 8) | load_le64(w + 16) | load_le64(w + 24)) & HIGHS)) {
            i += 32;
            continue;
        }
        if (i + 8 <= n && !(load_le64(w) & HIGHS)) {
            i += 8;
            continue;
        }
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int k;
        unsigned lo = 0x80, hi = 0xBF;     /* the second byte's range */
        if (c >= 0xC2 && c <= 0xDF)
            k = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            if (c == 0xE0)
                lo = 0xA0;                 /* overlong */
            else if (c == 0xED)
                hi = 0x9F;                 /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            if (c == 0xF0)
                lo = 0x90;                 /* overlong */
            else if (c == 0xF4)
                hi = 0x8F;                 /* past U+10FFFF */
        } else
            return -1;
        if (n - i <= k || s[i + 1] < lo || s[i + 1] > hi)
            return -1;
        for (int j = 2; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return -1;
        tails += k;
        i += k + 1;
    }
    return n - tails;
}

/* The bytes of the first `chars` characters of valid UTF-8 s (all n if it has no more). A character starts at
 * every byte but a continuation byte (10xxxxxx); they are counted 8 bytes at a time while far from the end. */
static Py_ssize_t utf8_prefix(const unsigned char *s, Py_ssize_t n, Py_ssize_t chars) {
    Py_ssize_t i = 0;
    while (i + 8 <= n && chars >= 8) {
        uint64_t x = load_le64((const char *)s + i);
        uint64_t tails = (x & ~(x << 1) & HIGHS) >> 7;         /* 1 in each byte that continues a character */
        chars -= 8 - (Py_ssize_t)((tails * ONES) >> 56);       /* the bytes' sum, in the top byte */
        i += 8;
    }
    /* i may be inside a character counted already: its continuation bytes are not counted again */
    for (; i < n; i++)
        if ((s[i] & 0xC0) != 0x80 && chars-- == 0)
            return i;
    return n;
}

static int put_bytes_obj(Buf *b, PyObject *bytes) {
    return put(b, PyBytes_AS_STRING(bytes), PyBytes_GET_SIZE(bytes));
}

/* Base64 two characters at a time: B64_PAIRS[v] are the characters of the 12 bits v (8 KB, made once). The
 * binary messages of a busy capture are base64 in --json: one character at a time this was 5 % of read --json. */
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static char B64_PAIRS[4096][2];

static void b64_pairs_init(void) {
    for (int v = 0; v < 4096; v++) {
        B64_PAIRS[v][0] = B64[v >> 6];
        B64_PAIRS[v][1] = B64[v & 63];
    }
}

static int put_b64(Buf *b, const unsigned char *s, Py_ssize_t n) {
    if (buf_reserve(b, (n + 2) / 3 * 4) < 0)
        return -1;
    char *o = b->p + b->n;
    Py_ssize_t i = 0;
    for (; i + 3 <= n; i += 3, o += 4) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
        memcpy(o, B64_PAIRS[v >> 12], 2);
        memcpy(o + 2, B64_PAIRS[v & 0xFFF], 2);
    }
    if (n - i == 1) {
        unsigned v = (unsigned)s[i] << 4;                                   /* 8 bits, then 4 zero bits */
        memcpy(o, B64_PAIRS[v], 2);
        o[2] = o[3] = '=';
        o += 4;
    } else if (n - i == 2) {
        unsigned v = (unsigned)s[i] << 10 | (unsigned)s[i + 1] << 2;        /* 16 bits, then 2 zero bits */
        memcpy(o, B64_PAIRS[v >> 6], 2);
        o[2] = B64[v & 63];
        o[3] = '=';
        o += 4;
    }
    b->n = o - b->p;
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------
 * Slots of the Python objects, by offset. Each class's __slots__ member descriptors give the offsets once; an
 * object is only read this way after an exact type check. A slot never set holds NULL.
 */
#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

static void slot_set(PyObject *obj, Py_ssize_t off, PyObject *v) /* steals v */
{
    PyObject **p = (PyObject **)((char *)obj + off);
    PyObject *old = *p;
    *p = v;
    Py_XDECREF(old);
}

static int slot_offset(PyObject *cls, const char *name, Py_ssize_t *out) {
    PyObject *descr = PyObject_GetAttrString(cls, name);
    if (descr == NULL)
        return -1;
    if (!Py_IS_TYPE(descr, &PyMemberDescr_Type) || ((PyMemberDescrObject *)descr)->d_member->type != T_OBJECT_EX) {
        PyErr_Format(PyExc_TypeError, "%R.%s is not a __slots__ member", cls, name);
        Py_DECREF(descr);
        return -1;
    }
    *out = ((PyMemberDescrObject *)descr)->d_member->offset;
    Py_DECREF(descr);
    return 0;
}

/* long long of an int slot; 0 with *ok cleared when it is not a small enough int. */
static inline long long slot_i64(PyObject *obj, Py_ssize_t off, int *ok) {
    PyObject *v = SLOT(obj, off);
    if (v == NULL || !PyLong_CheckExact(v)) {
        *ok = 0;
        return 0;
    }
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow || (x == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        *ok = 0;
        return 0;
    }
    return x;
}

static inline int slot_set_i64(PyObject *obj, Py_ssize_t off, long long v) {
    PyObject *x = PyLong_FromLongLong(v);
    if (x == NULL)
        return -1;
    slot_set(obj, off, x);
    return 0;
}

/* The payload size of a library's keepalive ping (analyzer.KEEPALIVE_PAYLOAD): such pings and pongs are left to
 * Python, which tells a keepalive from another ping. */
#define KEEPALIVE_PAYLOAD 4

/* The classes whose objects the lane touches, and the offsets of the slots it uses. */
enum {
    RAW_NO, RAW_TS, RAW_LINKTYPE, RAW_DATA, RAW_WIRELEN,
    TC_ID, TC_CKEY, TC_KEY, TC_DIRS, TC_LAST_TS, TC_LAST_NO, TC_EXTRA, TC_LANE, TC_DONE,
    DIR_BASE, DIR_NXT_ABS, DIR_NXT_OFF, DIR_PENDING, DIR_FIN_OFF, DIR_LAST_ACK, DIR_LAST_WIN, DIR_UNACKED,
    DIR_BYTES, DIR_MAX_END, DIR_WSCALE,
    ST_REC, ST_MODE, ST_WS, ST_NAMES, ST_LAST_PAYLOAD_TS, ST_LAST_CONTROL_TS, ST_ADDRS, ST_APP, ST_TLS,
    REC_LAST_TS, REC_BYTES, REC_FRAMES, REC_MESSAGES,
    SUM_PACKETS, SUM_TCP_PACKETS, SUM_FIRST_TS, SUM_LAST_TS,
    WS_CLIENT, WS_CAP, WS_PARSER, WS_INFLATER, WS_CLOSE_FRAME, WS_MESSAGES, WS_MSG,
    FP_STOPPED, FP_MAX_PAYLOAD, FP_FRAMES, FP_LAST_NO, FP_HDR, FP_FRAME, FP_REMAINING, FP_MASK, FP_PHASE,
    FP_PARTS, FP_ROOM, FP_CUT,
    FR_NO, FR_FIRST_NO, FR_FIN, FR_RSV, FR_OPCODE, FR_MASKED, FR_MASK_KEY, FR_LENGTH, FR_HEADER_LEN,
    FR_PAYLOAD, FR_PAYLOAD_MISSING,
    MS_CONN, MS_OPCODE, MS_FRAMES, MS_FIRST_NO, MS_LAST_NO, MS_COMPRESSED, MS_LENGTH, MS_WIRE_LENGTH, MS_DATA,
    MS_TEXT, MS_TRUNCATED, MS_APP,
    FR_CONN, FR_DIRECTION, FR_CLOSE_CODE, FR_CLOSE_REASON, MS_DIRECTION,
    INF_MAX_OUTPUT, INF_CONTEXT_TAKEOVER, INF_WINDOW, INF_PRODUCED, INF_CAPPED, INF_LOST, INF_ERROR, INF_HISTORY,
    INF_D,
    ROW_NO, ROW_TS, ROW_CONN, ROW_DIRECTION, ROW_SRC, ROW_DST, ROW_FLAGS, ROW_SEQ, ROW_ACK, ROW_LENGTH,
    ROW_FRAME_LEN, ROW_WINDOW, ROW_ROLE, ROW_LABEL, ROW_INFO, ROW_PROTOCOL, ROW_FRAMES, ROW_MESSAGES, ROW_NOTES,
    ROW_TLS,
    N_SLOTS
};

enum { T_RAW, T_TC, T_DIR, T_ST, T_REC, T_SUM, T_WS, T_FP, T_FRAME, T_MESSAGE, T_ROW, T_INF, N_TYPES };

static const struct {
    int type;
    const char *name;
} SLOT_NAMES[N_SLOTS] = {
    [RAW_NO] = {T_RAW, "no"}, [RAW_TS] = {T_RAW, "ts"}, [RAW_LINKTYPE] = {T_RAW, "linktype"},
    [RAW_DATA] = {T_RAW, "data"}, [RAW_WIRELEN] = {T_RAW, "wirelen"},
    [TC_ID] = {T_TC, "id"}, [TC_CKEY] = {T_TC, "ckey"}, [TC_KEY] = {T_TC, "key"}, [TC_DIRS] = {T_TC, "dirs"},
    [TC_LAST_TS] = {T_TC, "last_ts"}, [TC_LAST_NO] = {T_TC, "last_no"}, [TC_EXTRA] = {T_TC, "extra"},
    [TC_LANE] = {T_TC, "lane"}, [TC_DONE] = {T_TC, "done"},
    [DIR_BASE] = {T_DIR, "base"}, [DIR_NXT_ABS] = {T_DIR, "nxt_abs"}, [DIR_NXT_OFF] = {T_DIR, "nxt_off"},
    [DIR_PENDING] = {T_DIR, "pending"}, [DIR_FIN_OFF] = {T_DIR, "fin_off"}, [DIR_LAST_ACK] = {T_DIR, "last_ack"},
    [DIR_LAST_WIN] = {T_DIR, "last_win"}, [DIR_UNACKED] = {T_DIR, "unacked"}, [DIR_BYTES] = {T_DIR, "bytes"},
    [DIR_MAX_END] = {T_DIR, "max_end"}, [DIR_WSCALE] = {T_DIR, "wscale"},
    [ST_REC] = {T_ST, "rec"}, [ST_MODE] = {T_ST, "mode"}, [ST_WS] = {T_ST, "ws"}, [ST_NAMES] = {T_ST, "names"},
    [ST_LAST_PAYLOAD_TS] = {T_ST, "last_payload_ts"}, [ST_LAST_CONTROL_TS] = {T_ST, "last_control_ts"},
    [ST_ADDRS] = {T_ST, "addrs"}, [ST_APP] = {T_ST, "app"}, [ST_TLS] = {T_ST, "tls"},
    [REC_LAST_TS] = {T_REC, "last_ts"}, [REC_BYTES] = {T_REC, "bytes"}, [REC_FRAMES] = {T_REC, "frames"},
    [REC_MESSAGES] = {T_REC, "messages"},
    [SUM_PACKETS] = {T_SUM, "packets"}, [SUM_TCP_PACKETS] = {T_SUM, "tcp_packets"},
    [SUM_FIRST_TS] = {T_SUM, "first_ts"}, [SUM_LAST_TS] = {T_SUM, "last_ts"},
    [WS_CLIENT] = {T_WS, "client"}, [WS_CAP] = {T_WS, "cap"}, [WS_PARSER] = {T_WS, "parser"},
    [WS_INFLATER] = {T_WS, "inflater"}, [WS_CLOSE_FRAME] = {T_WS, "close_frame"},
    [WS_MESSAGES] = {T_WS, "messages"}, [WS_MSG] = {T_WS, "_msg"},
    [FP_STOPPED] = {T_FP, "stopped"}, [FP_MAX_PAYLOAD] = {T_FP, "max_payload"}, [FP_FRAMES] = {T_FP, "frames"},
    [FP_LAST_NO] = {T_FP, "_last_no"}, [FP_HDR] = {T_FP, "_hdr"}, [FP_FRAME] = {T_FP, "_frame"},
    [FP_REMAINING] = {T_FP, "_remaining"}, [FP_MASK] = {T_FP, "_mask"}, [FP_PHASE] = {T_FP, "_phase"},
    [FP_PARTS] = {T_FP, "_parts"}, [FP_ROOM] = {T_FP, "_room"}, [FP_CUT] = {T_FP, "_cut"},
    [FR_NO] = {T_FRAME, "no"}, [FR_FIRST_NO] = {T_FRAME, "first_no"}, [FR_FIN] = {T_FRAME, "fin"},
    [FR_RSV] = {T_FRAME, "rsv"}, [FR_OPCODE] = {T_FRAME, "opcode"}, [FR_MASKED] = {T_FRAME, "masked"},
    [FR_MASK_KEY] = {T_FRAME, "mask_key"}, [FR_LENGTH] = {T_FRAME, "length"},
    [FR_HEADER_LEN] = {T_FRAME, "header_len"}, [FR_PAYLOAD] = {T_FRAME, "payload"},
    [FR_PAYLOAD_MISSING] = {T_FRAME, "payload_missing"},
    [MS_CONN] = {T_MESSAGE, "conn"}, [MS_OPCODE] = {T_MESSAGE, "opcode"}, [MS_FRAMES] = {T_MESSAGE, "frames"},
    [MS_FIRST_NO] = {T_MESSAGE, "first_no"}, [MS_LAST_NO] = {T_MESSAGE, "last_no"},
    [MS_COMPRESSED] = {T_MESSAGE, "compressed"}, [MS_LENGTH] = {T_MESSAGE, "length"},
    [MS_WIRE_LENGTH] = {T_MESSAGE, "wire_length"}, [MS_DATA] = {T_MESSAGE, "data"},
    [MS_TEXT] = {T_MESSAGE, "text"}, [MS_TRUNCATED] = {T_MESSAGE, "truncated"},
    [MS_APP] = {T_MESSAGE, "app"},
    [FR_CONN] = {T_FRAME, "conn"}, [FR_DIRECTION] = {T_FRAME, "direction"},
    [FR_CLOSE_CODE] = {T_FRAME, "close_code"}, [FR_CLOSE_REASON] = {T_FRAME, "close_reason"},
    [MS_DIRECTION] = {T_MESSAGE, "direction"},
    [INF_MAX_OUTPUT] = {T_INF, "max_output"}, [INF_CONTEXT_TAKEOVER] = {T_INF, "context_takeover"},
    [INF_WINDOW] = {T_INF, "window"}, [INF_PRODUCED] = {T_INF, "produced"}, [INF_CAPPED] = {T_INF, "capped"},
    [INF_LOST] = {T_INF, "lost"}, [INF_ERROR] = {T_INF, "error"}, [INF_HISTORY] = {T_INF, "_history"},
    [INF_D] = {T_INF, "_d"},
    [ROW_NO] = {T_ROW, "no"}, [ROW_TS] = {T_ROW, "ts"}, [ROW_CONN] = {T_ROW, "conn"},
    [ROW_DIRECTION] = {T_ROW, "direction"}, [ROW_SRC] = {T_ROW, "src"}, [ROW_DST] = {T_ROW, "dst"},
    [ROW_FLAGS] = {T_ROW, "flags"}, [ROW_SEQ] = {T_ROW, "seq"}, [ROW_ACK] = {T_ROW, "ack"},
    [ROW_LENGTH] = {T_ROW, "length"}, [ROW_FRAME_LEN] = {T_ROW, "frame_len"}, [ROW_WINDOW] = {T_ROW, "window"},
    [ROW_ROLE] = {T_ROW, "role"}, [ROW_LABEL] = {T_ROW, "label"}, [ROW_INFO] = {T_ROW, "info"},
    [ROW_PROTOCOL] = {T_ROW, "protocol"}, [ROW_FRAMES] = {T_ROW, "frames"}, [ROW_MESSAGES] = {T_ROW, "messages"},
    [ROW_NOTES] = {T_ROW, "notes"}, [ROW_TLS] = {T_ROW, "tls"},
};

static const char *TYPE_NAMES[N_TYPES] = {
    [T_RAW] = "RawPacket", [T_TC] = "TcpConnection", [T_DIR] = "Direction", [T_ST] = "ConnState",
    [T_REC] = "Connection", [T_SUM] = "CaptureSummary", [T_WS] = "WebSocketDirection", [T_FP] = "FrameParser",
    [T_FRAME] = "Frame", [T_MESSAGE] = "Message", [T_ROW] = "Row", [T_INF] = "Inflater",
};

/* ------------------------------------------------------------------------------------------------------------
 * Entry: what the lane needs of one direction of one connection, found once (by the packet's address bytes)
 * and valid while the connection's analyzer state is the same object (TcpConnection.extra).
 */
typedef struct {
    PyObject_HEAD
    PyObject *conn, *st, *rec, *me, *peer, *ws, *parser, *names, *dir, *key;
    PyObject *peer_names;   /* st.names of the other direction: what an ACK of ours names */
    PyObject *ends;         /* bytes: "dir":"c2s","src":"...","dst":"..." */
    PyObject *src, *dst;    /* a row's src and dst (str) */
    PyObject *cidobj;       /* the connection's number */
    PyObject *cport, *sport; /* the client's and the server's port (timeline rows) */
    int d;                  /* 0 = c2s, 1 = s2c */
    int client;             /* ws.client: frames of this direction must be masked */
    int has_inflater;
    long long cid;
    PyObject *acc;          /* stats mode: this connection's _ConnAcc */
} Entry;

static void Entry_dealloc(Entry *e) {
    Py_XDECREF(e->conn); Py_XDECREF(e->st); Py_XDECREF(e->rec); Py_XDECREF(e->me); Py_XDECREF(e->peer);
    Py_XDECREF(e->ws); Py_XDECREF(e->parser); Py_XDECREF(e->names); Py_XDECREF(e->dir); Py_XDECREF(e->key);
    Py_XDECREF(e->peer_names);
    Py_XDECREF(e->ends); Py_XDECREF(e->src); Py_XDECREF(e->dst); Py_XDECREF(e->cidobj);
    Py_XDECREF(e->cport); Py_XDECREF(e->sport);
    Py_XDECREF(e->acc);
    Py_TYPE(e)->tp_free((PyObject *)e);
}

static PyTypeObject EntryType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wsdissect._fastlane.Entry",
    .tp_basicsize = sizeof(Entry),
    .tp_dealloc = (destructor)Entry_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

enum { A_PACKETS, A_LAST_TS, A_LAST_NO, A_LONGEST_GAP, A_GAPS, A_COUNTS, A_WIRE, A_COMP, A_LARGEST, A_LANE,
       K_SECONDS, K_FROM_NO, K_TO_NO, K_COUNT, K_BYTES, K_LENGTH, A_FIRST_NO, N_STATS_NAMES };
static const char *STATS_NAMES[N_STATS_NAMES] = {
    "packets", "last_ts", "last_no", "longest_gap", "gaps", "counts", "wire", "comp", "largest", "lane", "seconds",
    "from_no", "to_no", "count", "bytes", "length", "first_no"};

/* ------------------------------------------------------------------------------------------------------------
 * Lane
 */
#define PURGE_EVERY 8192           /* packets taken between two purges of finished connections' entries */
#define ENTRIES_MAX 65536          /* address bytes -> Entry; cleared when full (entries are found again) */
#define FLUSH_AT (256 * 1024)      /* output is handed to `write` in chunks of about this size */
#define JSON_DATA_LIMIT 65536      /* render/jsonl.py's: message bodies past it are cut in the JSON */

typedef struct {
    PyObject_HEAD
    PyObject *write;               /* out.write */
    Buf out;
    PyObject *entries;             /* dict: address bytes -> Entry */
    PyObject *conns;               /* Tracker.conns */
    PyObject *finished;            /* Tracker.finished: a heap of (packet no, id, connection) */
    PyObject *tracker, *s_linger;  /* the Tracker, "linger_packets" */
    PyObject *s_max_open;          /* "max_open" */
    PyObject *summary;
    PyObject *types[N_TYPES];
    Py_ssize_t off[N_SLOTS];
    PyObject *c2s, *s2c, *m_ws;
    PyObject *note;                /* note(tc, no, record) -> (code, JSON line) */
    PyObject *s_move_to_end, *s_append, *s_popleft;
    PyObject *move_to_end;         /* conns.move_to_end */
    int order_stale;               /* packets taken since conns was last put in order (conns_in_order) */
    PyObject *deque_type, *dq_append, *dq_popleft;   /* collections.deque and its methods' descriptors */
    /* label pieces, UTF-8 bytes, [direction] or [direction][text?][head, tail] */
    PyObject *partial[2], *one[2][2][2], *bytes_one, *bytes_many[2], *compressed[2], *sep_list;
    PyObject *name_frame[11];      /* str, by opcode (1 text, 2 binary, 9 ping, 10 pong) */
    PyObject *ack_nothing[2];      /* "ACK from {side} (nothing new acknowledged)", by direction */
    PyObject *ack_of[2];           /* "ACK of #\0\1: {side} got it": \0 the number, \1 the name in parentheses */
    PyObject *paren[2];            /* the parentheses around that name */
    PyObject *control[2][2][2];    /* [pong?][direction][head, tail] around the size: control.ping / control.pong */
    long long declined;            /* the packet scan() last left to Python: feed() need not try it again */
    int workers;                   /* a worker of a parallel read (wsdissect/parallel.py): how many; else 0 */
    int cache;                     /* JSON and stats: connections' TCP numbers kept in C (ConnCache) */
    long long dirty;               /* ConnCaches and AccCaches holding what their Python objects lack */
    long long sum_packets;         /* packets the lane took since the summary was last written back */
    PyObject *sum_last_ts;         /* the last of them's time (new ref), or NULL */
    int worker;                    /* that worker's number: it takes the connections whose ends hash to it */
    long long first_own, last_own; /* the first and last packet it took as its own (-1: none) */
    uint32_t ts_sec, ts_frac;      /* the pcap record's time of the packet being taken, when ts_div is 10**6 */
    long long ts_div;              /* 0 when the packet came as a RawPacket */
    long long taken;               /* packets the lane took */
    long long purge_every;         /* PURGE_EVERY, or the spec's "purge_every" */
    long long entries_max;         /* ENTRIES_MAX, or the spec's "entries_max" */
    int rows;                      /* 1: each row goes to `sink` as a model.Row; 0: written as JSON */
    int labels;                    /* Analyzer(labels=...) */
    PyObject *sink;                /* sink(row, connection record), in rows mode */
    Buf tmp, tmp2;                 /* a row's label and Info, being built */
    PyObject *s_ws_data, *s_websocket, *s_empty, *s_ack, *s_tcp, *s_ws_control;
    Buf infl;                      /* the message being inflated */
    PyObject *s_inflated_whole, *s_whole_message;
    /* stats mode: render/stats.py's StatsCollector.row done here for data and ACK rows */
    PyObject *acc, *conn_acc, *round6;     /* collector.acc, its _ConnAcc class, stats._r */
    PyObject *a_names[N_STATS_NAMES];      /* interned attribute and key names, see STATS_NAMES */
    Py_ssize_t a_off[A_LANE + 1];          /* _ConnAcc's slots, by their STATS_NAMES index */
    PyObject *kind_names[3];               /* "text", "binary" by opcode */
    /* timeline mode: render/timeline.py's TimelinePrinter.row done here for rows that list nothing beneath them
     * (the segments of a long frame, bare ACKs), plain text, narrow layout; the other rows go to it as Rows */
    PyObject *printer, *console, *introduced, *arrows[2], *head_fmt, *label_rest, *ellipsis;
    PyObject *s_first_ts, *s_rows, *s_width_, *s_width, *s_printed_any, *s_label_lines, *s_quiet;
    int show_acks;
    long long ellipsis_w;          /* its width in cells */
    long long wide_width, width_refresh, narrow_indent_w, min_info;   /* render/timeline.py's WIDE_WIDTH... */
    /* the frame and message lines beneath a data row (UTF-8 pieces; every character one cell: one_cell) */
    int one_cell;
    long long preview_chars, preview_bytes, min_preview;
    PyObject *tl_frame_name[3], *tl_compressed, *tl_masked, *tl_masked_key[2], *tl_byte, *tl_bytes, *tl_deflated;
    PyObject *tl_glyph_frame, *tl_glyph_message, *tl_msg[3], *tl_colon, *tl_indent;
} Lane;

#define OFF(lane, slot) ((lane)->off[slot])
#define GET(lane, obj, slot) SLOT((obj), OFF(lane, slot))
#define IS(lane, obj, t) ((obj) != NULL && Py_TYPE(obj) == (PyTypeObject *)(lane)->types[t])

/* q.append(item) or, without item, q.pop(0): the queues the tracker and the analyzer consume from the head
 * (Direction.unacked, _ConnState.names) are lists; a deque's method's descriptor is called directly. */
static PyObject *dq_call(Lane *self, PyObject *q, PyObject *item) {
    if (PyList_CheckExact(q)) {
        if (item != NULL)
            return PyList_Append(q, item) < 0 ? NULL : Py_NewRef(Py_None);
        if (PyList_GET_SIZE(q) == 0) {
            PyErr_SetString(PyExc_IndexError, "pop from empty list");
            return NULL;
        }
        PyObject *x = Py_NewRef(PyList_GET_ITEM(q, 0));
        if (PyList_SetSlice(q, 0, 1, NULL) < 0) {
            Py_DECREF(x);
            return NULL;
        }
        return x;
    }
    PyObject *args[2] = {q, item};
    if (Py_TYPE(q) == (PyTypeObject *)self->deque_type)
        return PyObject_Vectorcall(item ? self->dq_append : self->dq_popleft, args, item ? 2 : 1, NULL);
    return item ? PyObject_CallMethodOneArg(q, self->s_append, item) : PyObject_CallMethodNoArgs(q, self->s_popleft);
}


static int Lane_traverse(Lane *self, visitproc visit, void *arg) {
    Py_VISIT(self->write); Py_VISIT(self->entries); Py_VISIT(self->conns); Py_VISIT(self->finished);
    Py_VISIT(self->tracker);
    Py_VISIT(self->summary); Py_VISIT(self->note); Py_VISIT(self->sink);
    return 0;
}

static int Lane_clear(Lane *self) {
    Py_CLEAR(self->write); Py_CLEAR(self->entries); Py_CLEAR(self->conns); Py_CLEAR(self->finished);
    Py_CLEAR(self->tracker); Py_CLEAR(self->s_linger); Py_CLEAR(self->s_max_open);
    Py_CLEAR(self->summary); Py_CLEAR(self->note); Py_CLEAR(self->sink);
    Py_CLEAR(self->sum_last_ts);
    return 0;
}

static void Lane_dealloc(Lane *self) {
    PyObject_GC_UnTrack(self);
    Lane_clear(self);
    for (int i = 0; i < N_TYPES; i++)
        Py_XDECREF(self->types[i]);
    Py_XDECREF(self->c2s); Py_XDECREF(self->s2c); Py_XDECREF(self->m_ws);
    Py_XDECREF(self->s_move_to_end); Py_XDECREF(self->s_append); Py_XDECREF(self->s_popleft);
    Py_XDECREF(self->move_to_end);
    Py_XDECREF(self->deque_type); Py_XDECREF(self->dq_append); Py_XDECREF(self->dq_popleft);
    for (int d = 0; d < 2; d++) {
        Py_XDECREF(self->partial[d]); Py_XDECREF(self->bytes_many[d]); Py_XDECREF(self->compressed[d]);
        for (int t = 0; t < 2; t++)
            for (int k = 0; k < 2; k++)
                Py_XDECREF(self->one[d][t][k]);
    }
    Py_XDECREF(self->bytes_one); Py_XDECREF(self->sep_list);
    for (int d = 0; d < 2; d++) {
        Py_XDECREF(self->ack_nothing[d]); Py_XDECREF(self->ack_of[d]); Py_XDECREF(self->paren[d]);
    }
    for (int i = 0; i < 11; i++)
        Py_XDECREF(self->name_frame[i]);
    for (int c = 0; c < 2; c++)
        for (int d = 0; d < 2; d++)
            for (int k = 0; k < 2; k++)
                Py_XDECREF(self->control[c][d][k]);
    Py_XDECREF(self->s_ws_data); Py_XDECREF(self->s_websocket); Py_XDECREF(self->s_empty);
    Py_XDECREF(self->s_ack); Py_XDECREF(self->s_tcp); Py_XDECREF(self->s_ws_control);
    PyMem_Free(self->infl.p);
    Py_XDECREF(self->s_inflated_whole); Py_XDECREF(self->s_whole_message);
    Py_XDECREF(self->acc); Py_XDECREF(self->conn_acc); Py_XDECREF(self->round6);
    Py_XDECREF(self->kind_names[1]); Py_XDECREF(self->kind_names[2]);
    Py_XDECREF(self->printer); Py_XDECREF(self->console); Py_XDECREF(self->introduced);
    Py_XDECREF(self->arrows[0]); Py_XDECREF(self->arrows[1]); Py_XDECREF(self->head_fmt);
    Py_XDECREF(self->label_rest); Py_XDECREF(self->ellipsis);
    PyObject **tl[16] = {&self->tl_frame_name[1], &self->tl_frame_name[2], &self->tl_compressed, &self->tl_masked,
                         &self->tl_masked_key[0], &self->tl_masked_key[1], &self->tl_byte, &self->tl_bytes,
                         &self->tl_deflated, &self->tl_glyph_frame, &self->tl_glyph_message, &self->tl_msg[1],
                         &self->tl_msg[2], &self->tl_colon, &self->tl_indent, NULL};
    for (int i = 0; tl[i]; i++)
        Py_XDECREF(*tl[i]);
    Py_XDECREF(self->s_first_ts); Py_XDECREF(self->s_rows); Py_XDECREF(self->s_width_); Py_XDECREF(self->s_width);
    Py_XDECREF(self->s_printed_any); Py_XDECREF(self->s_label_lines); Py_XDECREF(self->s_quiet);
    for (int i = 0; i < N_STATS_NAMES; i++)
        Py_XDECREF(self->a_names[i]);
    PyMem_Free(self->out.p);
    PyMem_Free(self->tmp.p);
    PyMem_Free(self->tmp2.p);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* spec[key] as UTF-8 bytes (spec values are str). */
static PyObject *spec_utf8(PyObject *spec, const char *key) {
    PyObject *v = PyDict_GetItemString(spec, key);
    if (v == NULL || !PyUnicode_Check(v)) {
        PyErr_Format(PyExc_KeyError, "fast lane spec lacks the string %s", key);
        return NULL;
    }
    return PyUnicode_AsUTF8String(v);
}

static PyObject *spec_obj(PyObject *spec, const char *key) {
    PyObject *v = PyDict_GetItemString(spec, key);
    if (v == NULL)
        PyErr_Format(PyExc_KeyError, "fast lane spec lacks %s", key);
    else
        Py_INCREF(v);
    return v;
}

/* Lane(spec): spec is the dict wsdissect/fastlane.py builds (objects, classes and label pieces). */
static int Lane_init(Lane *self, PyObject *args, PyObject *kw) {
    PyObject *spec;
    if (!PyArg_ParseTuple(args, "O!", &PyDict_Type, &spec))
        return -1;
    if (!(self->write = spec_obj(spec, "write")) || !(self->conns = spec_obj(spec, "conns"))
        || !(self->finished = spec_obj(spec, "finished")) || !(self->summary = spec_obj(spec, "summary"))
        || !(self->tracker = spec_obj(spec, "tracker"))
        || !(self->s_linger = PyUnicode_InternFromString("linger_packets"))
        || !(self->s_max_open = PyUnicode_InternFromString("max_open"))
        || !(self->note = spec_obj(spec, "note")) || !(self->c2s = spec_obj(spec, "c2s"))
        || !(self->s2c = spec_obj(spec, "s2c")) || !(self->m_ws = spec_obj(spec, "m_ws")))
        return -1;
    if (!PyDict_Check(self->conns)) {
        PyErr_SetString(PyExc_TypeError, "conns must be a dict");
        return -1;
    }
    for (int t = 0; t < N_TYPES; t++) {
        self->types[t] = spec_obj(spec, TYPE_NAMES[t]);
        if (self->types[t] == NULL)
            return -1;
        if (!PyType_Check(self->types[t])) {
            PyErr_Format(PyExc_TypeError, "%s is not a class", TYPE_NAMES[t]);
            return -1;
        }
    }
    for (int s = 0; s < N_SLOTS; s++)
        if (slot_offset(self->types[SLOT_NAMES[s].type], SLOT_NAMES[s].name, &self->off[s]) < 0)
            return -1;
    if (!(self->entries = PyDict_New()) || !(self->s_move_to_end = PyUnicode_InternFromString("move_to_end"))
        || !(self->move_to_end = PyObject_GetAttr(self->conns, self->s_move_to_end))
        || !(self->s_append = PyUnicode_InternFromString("append"))
        || !(self->s_popleft = PyUnicode_InternFromString("popleft"))
        || !(self->deque_type = spec_obj(spec, "deque"))
        || !(self->dq_append = PyObject_GetAttr(self->deque_type, self->s_append))
        || !(self->dq_popleft = PyObject_GetAttr(self->deque_type, self->s_popleft)))
        return -1;
    static const char *dirs[2] = {"c2s", "s2c"};
    char key[64];
    for (int d = 0; d < 2; d++) {
        snprintf(key, sizeof key, "partial.%s", dirs[d]);
        if (!(self->partial[d] = spec_utf8(spec, key)))
            return -1;
        for (int t = 0; t < 2; t++)
            for (int k = 0; k < 2; k++) {
                snprintf(key, sizeof key, "one.%s.%s.%d", dirs[d], t ? "text" : "binary", k);
                if (!(self->one[d][t][k] = spec_utf8(spec, key)))
                    return -1;
            }
        snprintf(key, sizeof key, "bytes.many.%d", d);
        if (!(self->bytes_many[d] = spec_utf8(spec, key)))
            return -1;
        snprintf(key, sizeof key, "compressed.%d", d);
        if (!(self->compressed[d] = spec_utf8(spec, key)))
            return -1;
        snprintf(key, sizeof key, "ack.nothing.%s", dirs[d]);
        if (!(self->ack_nothing[d] = spec_utf8(spec, key)))
            return -1;
        snprintf(key, sizeof key, "ack.of.%s", dirs[d]);
        if (!(self->ack_of[d] = spec_utf8(spec, key)))
            return -1;
        snprintf(key, sizeof key, "paren.%d", d);
        if (!(self->paren[d] = spec_utf8(spec, key)))
            return -1;
        for (int c = 0; c < 2; c++)
            for (int k = 0; k < 2; k++) {
                snprintf(key, sizeof key, "control.%s.%s.%d", c ? "pong" : "ping", dirs[d], k);
                if (!(self->control[c][d][k] = spec_utf8(spec, key)))
                    return -1;
            }
    }
    if (!(self->bytes_one = spec_utf8(spec, "bytes.one")) || !(self->sep_list = spec_utf8(spec, "sep.list"))
        || !(self->name_frame[1] = spec_obj(spec, "name.1")) || !(self->name_frame[2] = spec_obj(spec, "name.2"))
        || !(self->name_frame[9] = spec_obj(spec, "name.9")) || !(self->name_frame[10] = spec_obj(spec, "name.10"))
        || !(self->s_ws_data = PyUnicode_InternFromString("ws-data"))
        || !(self->s_websocket = PyUnicode_InternFromString("WebSocket"))
        || !(self->s_ack = PyUnicode_InternFromString("ack")) || !(self->s_tcp = PyUnicode_InternFromString("TCP"))
        || !(self->s_ws_control = PyUnicode_InternFromString("ws-control"))
        || !(self->s_empty = PyUnicode_FromString(""))
        || !(self->s_inflated_whole = PyUnicode_InternFromString("_inflated_whole"))
        || !(self->s_whole_message = PyUnicode_InternFromString("_whole_message")))
        return -1;
    PyObject *acc = PyDict_GetItemString(spec, "acc");
    if (acc != NULL && acc != Py_None) {
        if (!PyDict_CheckExact(acc) || !(self->conn_acc = spec_obj(spec, "ConnAcc"))
            || !(self->round6 = spec_obj(spec, "round6"))) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "acc must be a dict");
            return -1;
        }
        self->acc = Py_NewRef(acc);
        for (int i = 0; i < N_STATS_NAMES; i++)
            if (!(self->a_names[i] = PyUnicode_InternFromString(STATS_NAMES[i])))
                return -1;
        for (int i = 0; i <= A_LANE; i++)
            if (slot_offset(self->conn_acc, STATS_NAMES[i], &self->a_off[i]) < 0)
                return -1;
        if (!(self->kind_names[1] = PyUnicode_InternFromString("text"))
            || !(self->kind_names[2] = PyUnicode_InternFromString("binary")))
            return -1;
    }
    PyObject *printer = PyDict_GetItemString(spec, "printer");
    if (printer != NULL && printer != Py_None) {
        self->printer = Py_NewRef(printer);
        if (!(self->console = spec_obj(spec, "console")) || !(self->introduced = spec_obj(spec, "introduced"))
            || !(self->arrows[0] = spec_obj(spec, "arrow.c2s")) || !(self->arrows[1] = spec_obj(spec, "arrow.s2c"))
            || !(self->head_fmt = spec_obj(spec, "head_fmt")) || !(self->label_rest = spec_obj(spec, "label_rest"))
            || !(self->ellipsis = spec_utf8(spec, "ellipsis"))
            || !(self->s_first_ts = PyUnicode_InternFromString("_first_ts"))
            || !(self->s_rows = PyUnicode_InternFromString("_rows"))
            || !(self->s_width_ = PyUnicode_InternFromString("_width"))
            || !(self->s_width = PyUnicode_InternFromString("width"))
            || !(self->s_printed_any = PyUnicode_InternFromString("_printed_any"))
            || !(self->s_label_lines = PyUnicode_InternFromString("_label_lines"))
            || !(self->s_quiet = PyUnicode_InternFromString("quiet")))
            return -1;
        if (!PySet_Check(self->introduced)) {
            PyErr_SetString(PyExc_TypeError, "introduced must be a set");
            return -1;
        }
        const char *nums[8] = {"ellipsis_w", "wide_width", "width_refresh", "narrow_indent_w", "min_info",
                               "preview_chars", "preview_bytes", "min_preview"};
        long long *dst[8] = {&self->ellipsis_w, &self->wide_width, &self->width_refresh, &self->narrow_indent_w,
                             &self->min_info, &self->preview_chars, &self->preview_bytes, &self->min_preview};
        PyObject *oc = PyDict_GetItemString(spec, "one_cell");
        self->one_cell = oc != NULL && PyObject_IsTrue(oc) == 1;
        if (self->one_cell) {
            const char *keys[16] = {"tl.frame.1", "tl.frame.2", "tl.compressed", "tl.masked", "tl.masked_key.0",
                                    "tl.masked_key.1", "tl.byte", "tl.bytes", "tl.deflated", "tl.glyph.frame",
                                    "tl.glyph.message", "tl.msg.1", "tl.msg.2", "tl.colon", "tl.indent", NULL};
            PyObject **to[15] = {&self->tl_frame_name[1], &self->tl_frame_name[2], &self->tl_compressed,
                                 &self->tl_masked, &self->tl_masked_key[0], &self->tl_masked_key[1], &self->tl_byte,
                                 &self->tl_bytes, &self->tl_deflated, &self->tl_glyph_frame, &self->tl_glyph_message,
                                 &self->tl_msg[1], &self->tl_msg[2], &self->tl_colon, &self->tl_indent};
            for (int i = 0; keys[i]; i++)
                if (!(*to[i] = spec_utf8(spec, keys[i])))
                    return -1;
        }
        for (int i = 0; i < (self->one_cell ? 8 : 5); i++) {
            PyObject *v = PyDict_GetItemString(spec, nums[i]);
            if (v == NULL || !PyLong_Check(v) || (*dst[i] = PyLong_AsLongLong(v)) <= 0) {
                if (!PyErr_Occurred())
                    PyErr_Format(PyExc_ValueError, "fast lane spec lacks %s", nums[i]);
                return -1;
            }
        }
        PyObject *sa = PyDict_GetItemString(spec, "show_acks");
        self->show_acks = sa == NULL || PyObject_IsTrue(sa);
    }
    PyObject *purge = PyDict_GetItemString(spec, "purge_every");
    self->purge_every = purge && PyLong_Check(purge) && PyLong_AsLongLong(purge) > 0 ? PyLong_AsLongLong(purge) : PURGE_EVERY;
    PyObject *emax = PyDict_GetItemString(spec, "entries_max");
    self->entries_max = emax && PyLong_Check(emax) && PyLong_AsLongLong(emax) > 0 ? PyLong_AsLongLong(emax) : ENTRIES_MAX;
    PyObject *labels = PyDict_GetItemString(spec, "labels"), *sink = PyDict_GetItemString(spec, "sink");
    self->labels = labels == NULL || PyObject_IsTrue(labels);
    self->rows = sink != NULL && sink != Py_None;
    if (self->rows)
        self->sink = Py_NewRef(sink);
    else if (!self->labels) {
        PyErr_SetString(PyExc_ValueError, "the JSON lane needs labels");
        return -1;
    }
    /* The TCP numbers of a connection kept in C between two looks of the Python code at them: where the rows
     * go to the JSON writer or the stats collector, which read nothing of them (a view may). */
    self->cache = !self->rows || self->acc != NULL;
    self->first_own = self->last_own = -1;
    PyObject *workers = PyDict_GetItemString(spec, "workers");
    if (workers != NULL && workers != Py_None) {
        PyObject *worker = PyDict_GetItemString(spec, "worker");
        long n = PyLong_AsLong(workers), me = worker != NULL ? PyLong_AsLong(worker) : -1;
        if (PyErr_Occurred())
            return -1;
        if (n < 1 || me < 0 || me >= n) {
            PyErr_SetString(PyExc_ValueError, "spec: worker must be in 0 .. workers - 1");
            return -1;
        }
        self->workers = (int)n;
        self->worker = (int)me;
    }
    return 0;
}

static int flush_out(Lane *self) {
    if (!self->out.n)
        return 0;
    /* UTF-8; write() takes a memoryview of the buffer, valid until it returns (no copy of the output) */
    PyObject *s = PyMemoryView_FromMemory(self->out.p, self->out.n, PyBUF_READ);
    self->out.n = 0;
    if (s == NULL)
        return -1;
    PyObject *r = PyObject_CallOneArg(self->write, s);
    Py_DECREF(s);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------
 * Finding the connection: tcp.Tracker.feed's lookup, for a connection the tracker already holds.
 */
static PyObject *addr_str(const unsigned char *a, int version) {
    char text[INET6_ADDRSTRLEN];
    if (inet_ntop(version == 4 ? AF_INET : AF_INET6, a, text, sizeof text) == NULL) {
        PyErr_SetString(PyExc_ValueError, "inet_ntop failed");
        return NULL;
    }
    return PyUnicode_FromString(text);
}

static PyObject *make_ends(PyObject *dir, PyObject *addrs) {
    /* '"dir":"c2s","src":"A","dst":"B"', as render/jsonl.py writes a row's ends */
    Buf b = {0};
    PyObject *out = NULL;
    if (!PyTuple_Check(addrs) || PyTuple_GET_SIZE(addrs) != 2)
        goto done;
    if (PUTS(&b, "\"dir\":\"") < 0 || put_escaped_str(&b, dir) < 0 || PUTS(&b, "\",\"src\":\"") < 0
        || put_escaped_str(&b, PyTuple_GET_ITEM(addrs, 0)) < 0 || PUTS(&b, "\",\"dst\":\"") < 0
        || put_escaped_str(&b, PyTuple_GET_ITEM(addrs, 1)) < 0 || PUTS(&b, "\"") < 0)
        goto done;
    out = PyBytes_FromStringAndSize(b.p, b.n);
done:
    PyMem_Free(b.p);
    return out;
}

/* Entries whose connection the analyzer has finished (released, evicted): an Entry holds the connection's
 * parsers and inflaters, so keeping it would keep them alive (memory grows with the capture's connections,
 * not its open ones). Called every PURGE_EVERY packets the lane takes. */
static int purge_entries(Lane *self) {
    PyObject *stale = PyList_New(0);
    if (stale == NULL)
        return -1;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(self->entries, &pos, &key, &value)) {
        Entry *en = (Entry *)value;
        if (GET(self, en->conn, TC_EXTRA) != en->st && PyList_Append(stale, key) < 0) {
            Py_DECREF(stale);
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(stale); i++)
        if (PyDict_DelItem(self->entries, PyList_GET_ITEM(stale, i)) < 0) {
            Py_DECREF(stale);
            return -1;
        }
    Py_DECREF(stale);
    return 0;
}

static int counters_ok(Lane *self, Entry *en);
static int conn_sync_all(Lane *self, int detach);
static int acc_sync_all(Lane *self, int detach);

/* The Entry for this packet's direction, made when the connection is a WebSocket one in both directions;
 * NULL without an exception when the lane cannot take the packet. */
static Entry *find_entry(Lane *self, Seg *s, PyObject *binkey) {
    PyObject *e = PyDict_GetItemWithError(self->entries, binkey);
    if (e != NULL) {
        Entry *en = (Entry *)e;
        if (GET(self, en->conn, TC_EXTRA) == en->st)
            return en;
        if (PyDict_DelItem(self->entries, binkey) < 0)
            return NULL;
    } else if (PyErr_Occurred())
        return NULL;

    Entry *en = NULL;
    PyObject *src = NULL, *dst = NULL, *key = NULL, *rkey = NULL, *ports = NULL, *portd = NULL;
    if (!(src = addr_str(s->src, s->version)) || !(dst = addr_str(s->dst, s->version))
        || !(ports = PyLong_FromLong(s->sport)) || !(portd = PyLong_FromLong(s->dport))
        || !(key = PyTuple_Pack(4, src, ports, dst, portd)) || !(rkey = PyTuple_Pack(4, dst, portd, src, ports)))
        goto done;
    PyObject *conn = PyDict_GetItemWithError(self->conns, key);
    if (conn == NULL) {
        if (PyErr_Occurred())
            goto done;
        conn = PyDict_GetItemWithError(self->conns, rkey);
        if (conn == NULL)
            goto done;
    }
    if (!IS(self, conn, T_TC))
        goto done;
    PyObject *st = GET(self, conn, TC_EXTRA);
    if (!IS(self, st, T_ST))
        goto done;
    PyObject *ckey = GET(self, conn, TC_CKEY);
    if (ckey == NULL)
        goto done;
    int c2s = PyObject_RichCompareBool(ckey, key, Py_EQ);
    if (c2s < 0)
        goto done;
    PyObject *dir = c2s ? self->c2s : self->s2c, *other = c2s ? self->s2c : self->c2s;
    PyObject *mode = GET(self, st, ST_MODE), *wsd = GET(self, st, ST_WS), *names = GET(self, st, ST_NAMES);
    PyObject *dirs = GET(self, conn, TC_DIRS), *rec = GET(self, st, ST_REC), *addrs = GET(self, st, ST_ADDRS);
    if (!mode || !wsd || !names || !dirs || !rec || !addrs || !PyDict_Check(mode) || !PyDict_Check(wsd)
        || !PyDict_Check(names) || !PyDict_Check(dirs) || !PyDict_Check(addrs) || !IS(self, rec, T_REC))
        goto done;
    /* A connection whose messages a subprotocol decoder reads (analyzer._ConnState.app) is Python's: the
     * decoded records, their labels and notes are made there. */
    PyObject *app = GET(self, st, ST_APP);
    if (app != Py_None)
        goto done;
    /* A TLS connection (wss://): its stream bytes are records, not frames; Python decrypts them. Its modes say
       WebSocket once the upgrade inside is done, so this test must come first. */
    PyObject *tls = GET(self, st, ST_TLS);
    if (tls == NULL || tls != Py_None)
        goto done;
    for (int k = 0; k < 2; k++) {
        PyObject *m = PyDict_GetItemWithError(mode, k ? self->s2c : self->c2s);
        if (m == NULL)
            goto done;
        int eq = PyObject_RichCompareBool(m, self->m_ws, Py_EQ);
        if (eq <= 0)
            goto done;
    }
    PyObject *ws = PyDict_GetItemWithError(wsd, dir), *me = PyDict_GetItemWithError(dirs, dir);
    PyObject *peer = PyDict_GetItemWithError(dirs, other), *q = PyDict_GetItemWithError(names, dir);
    PyObject *pq = PyDict_GetItemWithError(names, other);
    PyObject *ends_addrs = PyDict_GetItemWithError(addrs, dir);
    if (!IS(self, ws, T_WS) || !IS(self, me, T_DIR) || !IS(self, peer, T_DIR) || q == NULL || pq == NULL
        || ends_addrs == NULL)
        goto done;
    PyObject *parser = GET(self, ws, WS_PARSER), *client = GET(self, ws, WS_CLIENT);
    PyObject *inflater = GET(self, ws, WS_INFLATER), *tckey = GET(self, conn, TC_KEY), *cid = GET(self, conn, TC_ID);
    if (!IS(self, parser, T_FP) || client == NULL || inflater == NULL || tckey == NULL || cid == NULL
        || !PyLong_CheckExact(cid))
        goto done;
    en = PyObject_New(Entry, &EntryType);
    if (en == NULL)
        goto done;
    en->conn = Py_NewRef(conn); en->st = Py_NewRef(st); en->rec = Py_NewRef(rec); en->me = Py_NewRef(me);
    en->peer = Py_NewRef(peer); en->ws = Py_NewRef(ws); en->parser = Py_NewRef(parser); en->names = Py_NewRef(q);
    en->dir = Py_NewRef(dir); en->key = Py_NewRef(tckey); en->peer_names = Py_NewRef(pq);
    en->d = c2s ? 0 : 1;
    en->client = client == Py_True;
    en->has_inflater = inflater != Py_None;
    en->cid = PyLong_AsLongLong(cid);
    en->cidobj = Py_NewRef(cid);
    en->cport = en->sport = NULL;
    en->acc = NULL;
    {
        PyObject *c = PyObject_GetAttrString(rec, "client"), *sv = c ? PyObject_GetAttrString(rec, "server") : NULL;
        en->cport = sv ? PyObject_GetAttrString(c, "port") : NULL;
        en->sport = en->cport ? PyObject_GetAttrString(sv, "port") : NULL;
        Py_XDECREF(c);
        Py_XDECREF(sv);
        if (en->sport == NULL) {
            Py_DECREF(en);
            en = NULL;
            goto done;
        }
    }
    en->src = en->dst = NULL;
    if (PyTuple_Check(ends_addrs) && PyTuple_GET_SIZE(ends_addrs) == 2) {
        en->src = Py_NewRef(PyTuple_GET_ITEM(ends_addrs, 0));
        en->dst = Py_NewRef(PyTuple_GET_ITEM(ends_addrs, 1));
    }
    en->ends = make_ends(dir, ends_addrs);
    /* the Connection's counters (dicts made with it, never replaced): checked once, here */
    if (en->ends == NULL || en->src == NULL || !counters_ok(self, en)) {
        Py_CLEAR(en);
        goto done;
    }
    if (PyDict_GET_SIZE(self->entries) >= self->entries_max) {
        /* What the lane keeps in C is found again through the entries (decline_sync): written back first */
        if (conn_sync_all(self, 0) < 0 || acc_sync_all(self, 0) < 0) {
            Py_CLEAR(en);
            goto done;
        }
        PyDict_Clear(self->entries);
    }
    if (PyDict_SetItem(self->entries, binkey, (PyObject *)en) < 0) {
        Py_CLEAR(en);
        goto done;
    }
    Py_DECREF(en);               /* the dict holds it */
done:
    Py_XDECREF(src); Py_XDECREF(dst); Py_XDECREF(key); Py_XDECREF(rkey); Py_XDECREF(ports); Py_XDECREF(portd);
    return en;
}

/* ------------------------------------------------------------------------------------------------------------
 * The WebSocket bytes of the packet: a plan made without changing anything, carried out once the whole packet
 * is known to be the lane's.
 */
/* The view takes each message as a model.Message (a Row lists it): JSON lines and stats need only its bytes. */
static inline int objects(const Lane *self) { return self->rows && self->acc == NULL; }

/* A text message's bytes checked as UTF-8: 1 valid, 0 not (a note: the Python code finishes it), -1 error. The
 * view that takes objects gets its str (*text, new ref); JSON and stats only its characters (*chars). */
static int text_check(Lane *self, const char *p, Py_ssize_t n, Py_ssize_t *chars, PyObject **text) {
    if (!objects(self)) {
        *chars = utf8_chars((const unsigned char *)p, n);
        return *chars >= 0;
    }
    *text = PyUnicode_DecodeUTF8(p, n, "strict");
    if (*text != NULL)
        return 1;
    if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError))
        return -1;
    PyErr_Clear();
    return 0;
}

typedef struct {
    int fin, rsv, opcode, masked, header_len;
    long long length;
    unsigned char key[4];
    Py_ssize_t pos, take;          /* its payload bytes in this packet */
} Hdr;

typedef struct {
    /* the frame in progress (FrameParser._frame) goes on */
    int mid;
    Py_ssize_t mid_take;
    long long mid_phase, mid_room, mid_remaining;
    /* the one frame this packet completes */
    int done;                      /* 0 none, 1 the frame in progress, 2 a whole frame of this packet */
    PyObject *payload;             /* its unmasked payload (new ref) */
    PyObject *text;                /* its text when uncompressed text (new ref) */
    int compressed;
    int d_fin, d_rsv, d_opcode, d_masked, d_header_len;
    long long d_length, d_first_no;
    PyObject *d_key;               /* mask key bytes or None (new ref) */
    PyObject *mdata, *mtext;       /* a compressed message inflated here: its data and text (new refs), when
                                    * the view takes objects (see `objects`) */
    int inflated;                  /* a compressed message inflated here: its bytes are self->infl */
    Py_ssize_t chars;              /* characters of a text checked here when the view takes no str (objects) */
    int control;                   /* it is a Ping or a Pong (no message) */
    /* a frame that starts here and ends in a later packet */
    int start;
    Hdr next;
} Plan;

static void plan_clear(Plan *pl) {
    Py_CLEAR(pl->payload);
    Py_CLEAR(pl->text);
    Py_CLEAR(pl->d_key);
    Py_CLEAR(pl->mdata);
    Py_CLEAR(pl->mtext);
}

/* o[i] = p[i] ^ key[(i + phase) % 4], or a copy without a key; 8 bytes a step (payloads run to megabytes). */
static void unmask_into(unsigned char *o, const unsigned char *p, Py_ssize_t n, const unsigned char *key,
                        long long phase) {
    if (key == NULL) {
        memcpy(o, p, n);
        return;
    }
    unsigned char k8[8];
    for (int i = 0; i < 8; i++)
        k8[i] = key[(i + phase) & 3];
    uint64_t k;
    memcpy(&k, k8, 8);
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        x ^= k;
        memcpy(o + i, &x, 8);
    }
    for (; i < n; i++)
        o[i] = p[i] ^ k8[i & 7];
}

/* frames.payload_cap: bytes of a frame's payload kept; a control frame keeps at least 125 (RFC 6455 5.5) */
static inline long long payload_cap(int opcode, long long max_payload) {
    return opcode < 8 || max_payload >= 125 ? max_payload : 125;
}

static PyObject *unmasked(const unsigned char *p, Py_ssize_t n, const unsigned char *key, long long phase) {
    PyObject *b = PyBytes_FromStringAndSize(NULL, n);
    if (b == NULL)
        return NULL;
    unmask_into((unsigned char *)PyBytes_AS_STRING(b), p, n, key, phase);
    return b;
}

/* A frame the lane may complete: messages.py's two fast paths (a whole valid message in one frame). */
static int completable(Entry *en, Lane *self, int fin, int rsv, int opcode, int masked, long long length,
                       long long cap) {
    if (!fin || (opcode != 1 && opcode != 2) || masked != en->client || length > cap)
        return 0;
    return rsv == 0 || (rsv == 4 && en->has_inflater);
}

/* 1: the lane takes these bytes (plan made), 0: it does not, -1: error. */
static int plan_ws(Lane *self, Entry *en, const unsigned char *p, Py_ssize_t n, long long no, Plan *pl) {
    PyObject *parser = en->parser, *ws = en->ws;
    if (GET(self, parser, FP_STOPPED) != Py_False || GET(self, ws, WS_MSG) != Py_None
        || GET(self, ws, WS_CLOSE_FRAME) != Py_None)
        return 0;
    PyObject *hdr = GET(self, parser, FP_HDR);
    if (hdr == NULL || !PyBytes_CheckExact(hdr) || PyBytes_GET_SIZE(hdr) != 0)
        return 0;
    int ok = 1;
    long long cap = slot_i64(ws, OFF(self, WS_CAP), &ok);
    long long max_payload = slot_i64(parser, OFF(self, FP_MAX_PAYLOAD), &ok);
    if (!ok)
        return 0;
    Py_ssize_t pos = 0;
    PyObject *f = GET(self, parser, FP_FRAME);
    if (f == NULL)
        return 0;
    if (f != Py_None) {
        if (!IS(self, f, T_FRAME) || GET(self, parser, FP_CUT) != Py_False)
            return 0;
        long long remaining = slot_i64(parser, OFF(self, FP_REMAINING), &ok);
        long long room = slot_i64(parser, OFF(self, FP_ROOM), &ok);
        long long phase = slot_i64(parser, OFF(self, FP_PHASE), &ok);
        PyObject *parts = GET(self, parser, FP_PARTS), *mask = GET(self, parser, FP_MASK);
        if (!ok || remaining <= 0 || parts == NULL || !PyList_CheckExact(parts) || mask == NULL)
            return 0;
        if (mask != Py_None && (!PyBytes_CheckExact(mask) || PyBytes_GET_SIZE(mask) != 4))
            return 0;
        Py_ssize_t take = remaining < n ? (Py_ssize_t)remaining : n;
        if (take > room)           /* the --max-message cap cuts it: a note (Python) */
            return 0;
        pl->mid = 1;
        pl->mid_take = take;
        pl->mid_phase = phase;
        pl->mid_room = room;
        pl->mid_remaining = remaining;
        pos = take;
        if (take == remaining) {
            long long length = slot_i64(f, OFF(self, FR_LENGTH), &ok);
            long long rsv = slot_i64(f, OFF(self, FR_RSV), &ok), op = slot_i64(f, OFF(self, FR_OPCODE), &ok);
            long long missing = slot_i64(f, OFF(self, FR_PAYLOAD_MISSING), &ok);
            long long first_no = slot_i64(f, OFF(self, FR_FIRST_NO), &ok);
            long long header_len = slot_i64(f, OFF(self, FR_HEADER_LEN), &ok);
            PyObject *fin = GET(self, f, FR_FIN), *masked = GET(self, f, FR_MASKED), *key = GET(self, f, FR_MASK_KEY);
            if (!ok || missing || fin == NULL || masked == NULL || key == NULL
                || !completable(en, self, fin == Py_True, (int)rsv, (int)op, masked == Py_True, length, cap))
                return 0;
            /* the payload: the kept parts and this packet's tail of it */
            Py_ssize_t np = PyList_GET_SIZE(parts), total = take;
            for (Py_ssize_t i = 0; i < np; i++) {
                PyObject *part = PyList_GET_ITEM(parts, i);
                if (!PyBytes_CheckExact(part))
                    return 0;
                total += PyBytes_GET_SIZE(part);
            }
            if (total != length)
                return 0;
            PyObject *payload = PyBytes_FromStringAndSize(NULL, total);
            if (payload == NULL)
                return -1;
            char *o = PyBytes_AS_STRING(payload);
            for (Py_ssize_t i = 0; i < np; i++) {
                PyObject *part = PyList_GET_ITEM(parts, i);
                memcpy(o, PyBytes_AS_STRING(part), PyBytes_GET_SIZE(part));
                o += PyBytes_GET_SIZE(part);
            }
            unmask_into((unsigned char *)o, p, take,
                        mask == Py_None ? NULL : (const unsigned char *)PyBytes_AS_STRING(mask), phase);
            pl->payload = payload;
            pl->done = 1;
            pl->compressed = rsv == 4;
            pl->d_fin = 1; pl->d_rsv = (int)rsv; pl->d_opcode = (int)op; pl->d_masked = masked == Py_True;
            pl->d_header_len = (int)header_len; pl->d_length = length; pl->d_first_no = first_no;
            pl->d_key = Py_NewRef(key);
        }
    }
    while (pos < n) {
        Py_ssize_t avail = n - pos;
        if (avail < 2)
            return 0;
        const unsigned char *h = p + pos;
        int ln = h[1] & 0x7F, masked = (h[1] & 0x80) != 0;
        Py_ssize_t size = 2 + (ln == 126 ? 2 : ln == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (avail < size)
            return 0;              /* a header split across packets */
        unsigned long long length;
        if (ln == 126) {
            length = be16(h + 2);
            if (length < 126)
                return 0;          /* non-minimal: a note */
        } else if (ln == 127) {
            length = (unsigned long long)be32(h + 2) << 32 | be32(h + 6);
            if (length >> 63 || length < 65536)
                return 0;
        } else
            length = ln;
        Hdr hd;
        hd.fin = (h[0] & 0x80) != 0;
        hd.rsv = (h[0] >> 4) & 7;
        hd.opcode = h[0] & 0x0F;
        hd.masked = masked;
        hd.header_len = (int)size;
        hd.length = (long long)length;
        if (masked)
            memcpy(hd.key, h + size - 4, 4);
        hd.pos = pos + size;
        if ((unsigned long long)(avail - size) >= length) {
            /* whole in this packet */
            /* a Ping or Pong as messages.py takes it without a note: FIN, no RSV, masked as its side must be,
             * at most 125 bytes (and no Close frame sent before: checked above); not of 4 bytes, the size of a
             * library's keepalive ping, which Python labels (analyzer.KEEPALIVE_PAYLOAD) */
            int control = (hd.opcode == 9 || hd.opcode == 10) && hd.fin && hd.rsv == 0 && masked == en->client
                          && hd.length <= 125 && hd.length != KEEPALIVE_PAYLOAD;
            if (pl->done || hd.length > payload_cap(hd.opcode, max_payload)
                || !(control || completable(en, self, hd.fin, hd.rsv, hd.opcode, masked, hd.length, cap)))
                return 0;
            pl->control = control;
            hd.take = (Py_ssize_t)length;
            pl->payload = unmasked(p + hd.pos, hd.take, masked ? hd.key : NULL, 0);
            if (pl->payload == NULL)
                return -1;
            pl->done = 2;
            pl->compressed = hd.rsv == 4;
            pl->d_fin = hd.fin; pl->d_rsv = hd.rsv; pl->d_opcode = hd.opcode; pl->d_masked = masked;
            pl->d_header_len = hd.header_len; pl->d_length = hd.length; pl->d_first_no = no;
            pl->d_key = masked ? PyBytes_FromStringAndSize((const char *)hd.key, 4) : Py_NewRef(Py_None);
            if (pl->d_key == NULL)
                return -1;
            pos = hd.pos + hd.take;
        } else {
            /* starts here, ends later */
            hd.take = avail - size;
            if (hd.take > payload_cap(hd.opcode, max_payload))
                return 0;
            pl->start = 1;
            pl->next = hd;
            pos = n;
        }
    }
    if (pl->done && pl->compressed) {
        /* between messages an Inflater is neither capped nor in error (end_message); else: Python */
        PyObject *inf = GET(self, ws, WS_INFLATER);
        PyObject *d = IS(self, inf, T_INF) ? GET(self, inf, INF_D) : NULL;
        if (d == NULL || !inflate_check(d) || GET(self, inf, INF_CAPPED) != Py_False
            || GET(self, inf, INF_ERROR) != Py_None)
            return 0;
    }
    if (pl->done && !pl->compressed && pl->d_opcode == 1)
        return text_check(self, PyBytes_AS_STRING(pl->payload), PyBytes_GET_SIZE(pl->payload), &pl->chars,
                          &pl->text);        /* invalid UTF-8 (0): a note (Python) */
    return 1;
}

/* ------------------------------------------------------------------------------------------------------------
 * JSON lines (render/jsonl.py's packet_line, frame_line, message_line)
 */
static int put_bool(Buf *b, int v) { return v ? PUTS(b, "true") : PUTS(b, "false"); }

static int put_flags(Buf *b, unsigned flags, const char *sep, Py_ssize_t seplen) {
    static const struct { unsigned bit; const char *name; } names[] = {
        {0x02, "SYN"}, {0x01, "FIN"}, {0x04, "RST"}, {0x08, "PSH"}, {0x10, "ACK"}, {0x20, "URG"},
        {0x40, "ECE"}, {0x80, "CWR"}};
    int first = 1;
    for (int i = 0; i < 8; i++) {
        if (!(flags & names[i].bit))
            continue;
        if (!first && put(b, sep, seplen) < 0)
            return -1;
        if (put(b, names[i].name, (Py_ssize_t)strlen(names[i].name)) < 0)
            return -1;
        first = 0;
    }
    return 0;
}

static const char *OPCODE_NAMES[11] = {"continuation", "text", "binary", NULL, NULL, NULL, NULL, NULL, NULL,
                                       "ping", "pong"};

static int put_frame_info(Buf *b, int opcode, int fin, int rsv, int masked) {
    static const char *names[11] = {NULL, "Text", "Binary", NULL, NULL, NULL, NULL, NULL, NULL, "Ping", "Pong"};
    if (PUTS(b, "WebSocket ") < 0 || put(b, names[opcode], (Py_ssize_t)strlen(names[opcode])) < 0)
        return -1;
    if (fin && PUTS(b, " [FIN]") < 0)
        return -1;
    if ((rsv & 4) && PUTS(b, " [COMPRESSED]") < 0)
        return -1;
    if (masked && PUTS(b, " [MASKED]") < 0)
        return -1;
    return 0;
}

/* _msg_detail: "210 bytes, compressed to 147" */
/* analyzer._bytes: "1 byte", "4 bytes" */
static int put_size(Lane *self, Buf *b, long long n) {
    if (n == 1)
        return put_bytes_obj(b, self->bytes_one);
    return put_bytes_obj(b, self->bytes_many[0]) < 0 || put_i64(b, n) < 0 || put_bytes_obj(b, self->bytes_many[1]) < 0
           ? -1 : 0;
}

/* _msg_detail of a one-frame message: "210 bytes, compressed to 147" (unescaped UTF-8) */
static int put_detail(Lane *self, Buf *b, long long length, int compressed, long long wire) {
    if (length == 1) {
        if (put_bytes_obj(b, self->bytes_one) < 0)
            return -1;
    } else if (put_bytes_obj(b, self->bytes_many[0]) < 0 || put_i64(b, length) < 0
               || put_bytes_obj(b, self->bytes_many[1]) < 0)
        return -1;
    if (compressed && (put_bytes_obj(b, self->sep_list) < 0 || put_bytes_obj(b, self->compressed[0]) < 0
                       || put_i64(b, wire) < 0 || put_bytes_obj(b, self->compressed[1]) < 0))
        return -1;
    return 0;
}

/* One message's JSON line (without its newline): p, n its bytes; text: 1 when they are its (UTF-8) text, of
 * `chars` characters (-1: not counted). */
static int put_message(Lane *self, Buf *b, Entry *en, int opcode, long long frames, long long first_no,
                       long long last_no, int compressed, long long length, long long wire, const char *p,
                       Py_ssize_t n, int text, Py_ssize_t chars, int truncated) {
    if (PUTS(b, "{\"type\":\"message\",\"conn\":") < 0 || put_i64(b, en->cid) < 0
        || PUTS(b, ",\"dir\":\"") < 0 || put_escaped_str(b, en->dir) < 0 || PUTS(b, "\",\"opcode\":") < 0
        || put_i64(b, opcode) < 0 || PUTS(b, ",\"opcode_name\":\"") < 0
        || put(b, OPCODE_NAMES[opcode], (Py_ssize_t)strlen(OPCODE_NAMES[opcode])) < 0
        || PUTS(b, "\",\"frames\":") < 0 || put_i64(b, frames) < 0 || PUTS(b, ",\"first_no\":") < 0
        || put_i64(b, first_no) < 0 || PUTS(b, ",\"last_no\":") < 0 || put_i64(b, last_no) < 0
        || PUTS(b, ",\"compressed\":") < 0 || put_bool(b, compressed) < 0 || PUTS(b, ",\"length\":") < 0
        || put_i64(b, length) < 0 || PUTS(b, ",\"wire_length\":") < 0 || put_i64(b, wire) < 0)
        return -1;
    if (text) {
        /* cut at JSON_DATA_LIMIT characters, as render/jsonl.py cuts the str (never more characters than bytes) */
        Py_ssize_t keep = n;
        if (n > JSON_DATA_LIMIT && chars == n)
            keep = JSON_DATA_LIMIT;                    /* ASCII */
        else if (n > JSON_DATA_LIMIT && (chars < 0 || chars > JSON_DATA_LIMIT))
            keep = utf8_prefix((const unsigned char *)p, n, JSON_DATA_LIMIT);
        if (keep < n)
            truncated = 1;
        if (PUTS(b, ",\"text\":\"") < 0 || put_escaped(b, p, keep) < 0 || PUTS(b, "\"") < 0)
            return -1;
    } else {
        if (n > JSON_DATA_LIMIT) {
            n = JSON_DATA_LIMIT;
            truncated = 1;
        }
        if (PUTS(b, ",\"data_b64\":\"") < 0 || put_b64(b, (const unsigned char *)p, n) < 0 || PUTS(b, "\"") < 0)
            return -1;
    }
    return PUTS(b, ",\"truncated\":") < 0 || put_bool(b, truncated) < 0 || PUTS(b, "}") < 0 ? -1 : 0;
}

static int put_frame(Buf *b, Entry *en, long long no, long long first_no, int fin, int rsv, int opcode,
                     int masked, PyObject *key, long long length, int header_len) {
    static const char hex[] = "0123456789abcdef";
    if (PUTS(b, "{\"type\":\"frame\",\"no\":") < 0 || put_i64(b, no) < 0 || PUTS(b, ",\"first_no\":") < 0
        || put_i64(b, first_no) < 0 || PUTS(b, ",\"conn\":") < 0 || put_i64(b, en->cid) < 0
        || PUTS(b, ",\"dir\":\"") < 0 || put_escaped_str(b, en->dir) < 0 || PUTS(b, "\",\"fin\":") < 0
        || put_bool(b, fin) < 0 || PUTS(b, ",\"rsv\":") < 0 || put_i64(b, rsv) < 0
        || PUTS(b, ",\"opcode\":") < 0 || put_i64(b, opcode) < 0 || PUTS(b, ",\"opcode_name\":\"") < 0
        || put(b, OPCODE_NAMES[opcode], (Py_ssize_t)strlen(OPCODE_NAMES[opcode])) < 0
        || PUTS(b, "\",\"masked\":") < 0 || put_bool(b, masked) < 0 || PUTS(b, ",\"mask_key\":") < 0)
        return -1;
    if (key != Py_None && PyBytes_GET_SIZE(key) > 0) {
        Py_ssize_t n = PyBytes_GET_SIZE(key);
        const unsigned char *k = (const unsigned char *)PyBytes_AS_STRING(key);
        if (PUTS(b, "\"") < 0)
            return -1;
        for (Py_ssize_t i = 0; i < n; i++) {
            char two[2] = {hex[k[i] >> 4], hex[k[i] & 15]};
            if (put(b, two, 2) < 0)
                return -1;
        }
        if (PUTS(b, "\"") < 0)
            return -1;
    } else if (PUTS(b, "null") < 0)
        return -1;
    return PUTS(b, ",\"length\":") < 0 || put_i64(b, length) < 0 || PUTS(b, ",\"header_len\":") < 0
           || put_i64(b, header_len) < 0
           || PUTS(b, ",\"payload_missing\":0,\"close_code\":null,\"close_reason\":null}") < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------------------------------------------
 * The packet
 */
static inline long long signed32(uint32_t delta) {
    return delta & 0x80000000u ? (long long)delta - 0x100000000LL : (long long)delta;
}

/* d[key] += n, for the dicts of int counters the lane checked once (the Connection's, by direction; the stats
 * accumulator's): every key is there from the start */
static int dict_add(PyObject *d, PyObject *key, long long n) {
    PyObject *v = PyDict_GetItemWithError(d, key);
    if (v == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "fast lane: a counter that is not there");
        return -1;
    }
    long long x = PyLong_AsLongLong(v);
    if (x == -1 && PyErr_Occurred())
        return -1;
    PyObject *nv = PyLong_FromLongLong(x + n);
    if (nv == NULL)
        return -1;
    int r = PyDict_SetItem(d, key, nv);
    Py_DECREF(nv);
    return r;
}

static int counters_ok(Lane *self, Entry *en) {
    PyObject *rec = en->rec;
    PyObject *ds[3] = {GET(self, rec, REC_BYTES), GET(self, rec, REC_FRAMES), GET(self, rec, REC_MESSAGES)};
    for (int i = 0; i < 3; i++) {
        if (ds[i] == NULL || !PyDict_CheckExact(ds[i]))
            return 0;
        PyObject *v = PyDict_GetItemWithError(ds[i], en->dir);
        if (v == NULL || !PyLong_CheckExact(v)) {
            PyErr_Clear();
            return 0;
        }
    }
    return 1;
}

/* One captured packet, from a RawPacket or straight from a pcap record. */
typedef struct {
    long long no, wirelen;
    long linktype;
    double ts;
    const unsigned char *p;
    Py_ssize_t n;
    PyObject *noobj, *tsobj;       /* its number and time as Python objects, made when first needed */
} Packet;

static int packet_objects(Packet *k) {
    if (k->noobj == NULL && (k->noobj = PyLong_FromLongLong(k->no)) == NULL)
        return -1;
    if (k->tsobj == NULL && (k->tsobj = PyFloat_FromDouble(k->ts)) == NULL)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------
 * stats: render/stats.py's StatsCollector.row, for a data or ACK row without notes (the others go to it as Rows)
 */
#define GAP_WORTH_LISTING 1.0      /* render/stats.py's */


/* {"seconds": _r(gap), "from_no": last_no, "to_no": no} */
static PyObject *gap_record(Lane *self, double gap, PyObject *last_no, PyObject *noobj) {
    PyObject *g = PyFloat_FromDouble(gap);
    if (g == NULL)
        return NULL;
    PyObject *r = PyObject_CallOneArg(self->round6, g);
    Py_DECREF(g);
    if (r == NULL)
        return NULL;
    PyObject *d = PyDict_New();
    if (d == NULL || PyDict_SetItem(d, self->a_names[K_SECONDS], r) < 0
        || PyDict_SetItem(d, self->a_names[K_FROM_NO], last_no) < 0 || PyDict_SetItem(d, self->a_names[K_TO_NO], noobj) < 0) {
        Py_DECREF(r);
        Py_XDECREF(d);
        return NULL;
    }
    Py_DECREF(r);
    return d;
}

/* l[i] += n, for a list of ints */
static int list_item_add(PyObject *l, Py_ssize_t i, long long n) {
    PyObject *v = PyList_GET_ITEM(l, i);
    if (!PyLong_CheckExact(v)) {
        PyErr_SetString(PyExc_TypeError, "fast lane: an odd stats counter");
        return -1;
    }
    PyObject *nv = PyLong_FromLongLong(PyLong_AsLongLong(v) + n);
    if (nv == NULL)
        return -1;
    PyList_SetItem(l, i, nv);
    return 0;
}

/* en's _ConnAcc (made as StatsCollector.row makes it), found once: not a dict lookup by connection number each
 * row. */
static PyObject *entry_acc(Lane *self, Entry *en, PyObject *noobj) {
    PyObject *a = PyDict_GetItemWithError(self->acc, en->cidobj);
    if (a == NULL) {
        if (PyErr_Occurred())
            return NULL;
        PyObject *kw = Py_BuildValue("{sO}", "first_no", noobj);
        if (kw == NULL)
            return NULL;
        PyObject *args = PyTuple_New(0);
        a = args ? PyObject_Call(self->conn_acc, args, kw) : NULL;
        Py_XDECREF(args);
        Py_DECREF(kw);
        if (a == NULL)
            return NULL;
        int r = PyDict_SetItem(self->acc, en->cidobj, a);
        Py_DECREF(a);              /* the dict holds it */
        if (r < 0)
            return NULL;
    }
    if (a == en->acc)
        return a;
    if (Py_TYPE(a) != (PyTypeObject *)self->conn_acc) {
        PyErr_SetString(PyExc_TypeError, "fast lane: an odd stats accumulator");
        return NULL;
    }
    Py_XSETREF(en->acc, Py_NewRef(a));
    return a;
}

/* A connection's _ConnAcc numbers as the lane adds to them, in C, between two looks of the Python code at them
 * (the slot "lane" of the _ConnAcc holds it): updating the Python objects at every packet (a dict lookup, new
 * ints and dicts) was 7 % of `stats`. Written back (acc_sync) before the Python code reads the accumulator: a
 * packet of the connection the lane leaves to Python, a row the lane hands to the collector, an eviction (the
 * collector folds the connection), the end (Lane.flush). A connection released or finished had its last packets
 * (FIN, RST) on the Python path, so its numbers are back already. */
typedef struct {
    PyObject_HEAD
    int loaded;                    /* last_ts... below are the _ConnAcc's, as updated since */
    int dirty;                     /* something to write back */
    long long packets;             /* added since the last write-back */
    PyObject *last_ts, *last_no;   /* the _ConnAcc's last_ts and last_no (new refs) */
    double last_ts_d;
    int has_longest, longest_new;
    double longest_s;              /* longest_gap["seconds"] */
    PyObject *lg_seconds, *lg_from, *lg_to;   /* a new longest gap, made into its dict at the write-back */
    long long count[2][3], bytes[2][3], wire[2], comp[2][2];   /* added since: [dir][1 text, 2 binary] */
    int has_largest, largest_new;
    long long largest_len;         /* largest["length"] */
    long long lr_wire, lr_first;
    int lr_dir, lr_kind;
    PyObject *lr_last;
} AccCache;

static void acc_cache_drop_refs(AccCache *c) {
    Py_CLEAR(c->last_ts); Py_CLEAR(c->last_no);
    Py_CLEAR(c->lg_seconds); Py_CLEAR(c->lg_from); Py_CLEAR(c->lg_to); Py_CLEAR(c->lr_last);
}

static void AccCache_dealloc(AccCache *c) {
    acc_cache_drop_refs(c);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

static PyTypeObject AccCacheType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wsdissect._fastlane.AccCache",
    .tp_basicsize = sizeof(AccCache),
    .tp_dealloc = (destructor)AccCache_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

/* d[key] via the interned name */
static PyObject *dict_item(PyObject *d, PyObject *key) {
    PyObject *v = PyDict_CheckExact(d) ? PyDict_GetItemWithError(d, key) : NULL;
    if (v == NULL && !PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "fast lane: an odd stats accumulator");
    return v;
}

/* Write what c holds back into the _ConnAcc `a`, as the Python code would have made it packet by packet. */
static int acc_sync(Lane *self, PyObject *a, AccCache *c) {
    Py_ssize_t *off = self->a_off;
    PyObject **n = self->a_names;
    int ok = 1;
    if (!c->dirty) {
        c->loaded = 0;
        acc_cache_drop_refs(c);
        return 0;
    }
    self->dirty--;
    if (slot_set_i64(a, off[A_PACKETS], slot_i64(a, off[A_PACKETS], &ok) + c->packets) < 0)
        return -1;
    if (c->last_ts != NULL) {
        slot_set(a, off[A_LAST_TS], Py_NewRef(c->last_ts));
        slot_set(a, off[A_LAST_NO], Py_NewRef(c->last_no));
    }
    if (c->longest_new) {
        PyObject *d = PyDict_New();
        if (d == NULL || PyDict_SetItem(d, n[K_SECONDS], c->lg_seconds) < 0
            || PyDict_SetItem(d, n[K_FROM_NO], c->lg_from) < 0 || PyDict_SetItem(d, n[K_TO_NO], c->lg_to) < 0) {
            Py_XDECREF(d);
            return -1;
        }
        slot_set(a, off[A_LONGEST_GAP], d);
    }
    PyObject *counts = SLOT(a, off[A_COUNTS]), *wire = SLOT(a, off[A_WIRE]), *comp = SLOT(a, off[A_COMP]);
    for (int d = 0; d < 2; d++) {
        PyObject *dir = d ? self->s2c : self->c2s;
        for (int k = 1; k <= 2; k++)
            if (c->count[d][k] || c->bytes[d][k]) {
                PyObject *dc = counts ? dict_item(counts, dir) : NULL, *kc = dc ? dict_item(dc, self->kind_names[k]) : NULL;
                if (kc == NULL || dict_add(kc, n[K_COUNT], c->count[d][k]) < 0
                    || dict_add(kc, n[K_BYTES], c->bytes[d][k]) < 0)
                    return -1;
            }
        if (c->wire[d] && (wire == NULL || dict_add(wire, dir, c->wire[d]) < 0))
            return -1;
        if (c->comp[d][0] || c->comp[d][1]) {
            PyObject *pair = comp ? dict_item(comp, dir) : NULL;
            if (pair == NULL || !PyList_CheckExact(pair) || PyList_GET_SIZE(pair) != 2) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_TypeError, "fast lane: an odd stats accumulator");
                return -1;
            }
            if (list_item_add(pair, 0, c->comp[d][0]) < 0 || list_item_add(pair, 1, c->comp[d][1]) < 0)
                return -1;
        }
    }
    if (c->largest_new) {
        PyObject *rec = Py_BuildValue("{sLsOsOsLsOsL}", "length", c->largest_len, "dir",
                                      c->lr_dir ? self->s2c : self->c2s, "opcode_name", self->kind_names[c->lr_kind],
                                      "first_no", c->lr_first, "last_no", c->lr_last, "wire_length", c->lr_wire);
        if (rec == NULL)
            return -1;
        slot_set(a, off[A_LARGEST], rec);
    }
    acc_cache_drop_refs(c);
    memset((char *)c + offsetof(AccCache, loaded), 0, sizeof(AccCache) - offsetof(AccCache, loaded));
    return 0;
}

/* The AccCache of the _ConnAcc `a` (made on first use), loaded with what the _ConnAcc holds now. */
static AccCache *acc_cache(Lane *self, PyObject *a) {
    Py_ssize_t off = self->a_off[A_LANE];
    PyObject *c = SLOT(a, off);
    if (c == NULL || c == Py_None) {
        c = (PyObject *)PyObject_New(AccCache, &AccCacheType);
        if (c == NULL)
            return NULL;
        memset((char *)c + offsetof(AccCache, loaded), 0, sizeof(AccCache) - offsetof(AccCache, loaded));
        slot_set(a, off, c);
    } else if (Py_TYPE(c) != &AccCacheType) {
        PyErr_SetString(PyExc_TypeError, "fast lane: an odd stats accumulator");
        return NULL;
    }
    AccCache *ac = (AccCache *)c;
    if (ac->loaded)
        return ac;
    PyObject *last_ts = SLOT(a, self->a_off[A_LAST_TS]), *last_no = SLOT(a, self->a_off[A_LAST_NO]);
    PyObject *longest = SLOT(a, self->a_off[A_LONGEST_GAP]), *largest = SLOT(a, self->a_off[A_LARGEST]);
    if (last_ts == NULL || last_no == NULL || longest == NULL || largest == NULL) {
        PyErr_SetString(PyExc_TypeError, "fast lane: an odd stats accumulator");
        return NULL;
    }
    if (last_ts != Py_None) {
        ac->last_ts_d = PyFloat_AsDouble(last_ts);
        if (ac->last_ts_d == -1.0 && PyErr_Occurred())
            return NULL;
        Py_XSETREF(ac->last_ts, Py_NewRef(last_ts));    /* (left over by a load that failed further on) */
        Py_XSETREF(ac->last_no, Py_NewRef(last_no));
    }
    if (longest != Py_None) {
        PyObject *sec = PyObject_GetItem(longest, self->a_names[K_SECONDS]);
        if (sec == NULL)
            return NULL;
        ac->longest_s = PyFloat_AsDouble(sec);
        Py_DECREF(sec);
        if (ac->longest_s == -1.0 && PyErr_Occurred())
            return NULL;
        ac->has_longest = 1;
    }
    if (largest != Py_None) {
        PyObject *l = PyObject_GetItem(largest, self->a_names[K_LENGTH]);
        ac->largest_len = l ? PyLong_AsLongLong(l) : -1;
        Py_XDECREF(l);
        if (PyErr_Occurred())
            return NULL;
        ac->has_largest = 1;
    }
    ac->loaded = 1;
    return ac;
}

/* The row of packet `no`: its connection's numbers updated as StatsCollector.row would. With a message (kind 1
 * text, 2 binary): its length, wire length, compression and place. */
static int stats_row(Lane *self, Entry *en, long long no, PyObject *noobj, PyObject *tsobj, int kind,
                     long long length, long long wire, int compressed, long long first_no) {
    PyObject *a = entry_acc(self, en, noobj);
    if (a == NULL)
        return -1;
    AccCache *c = acc_cache(self, a);
    if (c == NULL)
        return -1;
    if (!c->dirty) {
        c->dirty = 1;
        self->dirty++;
    }
    c->packets++;
    double ts = PyFloat_AS_DOUBLE(tsobj);
    if (c->last_ts != NULL) {
        double gap = ts - c->last_ts_d;
        if (!c->has_longest || gap > c->longest_s) {
            PyObject *g = PyFloat_FromDouble(gap), *r = g ? PyObject_CallOneArg(self->round6, g) : NULL;
            Py_XDECREF(g);
            if (r == NULL)
                return -1;
            c->longest_s = PyFloat_AsDouble(r);
            Py_XSETREF(c->lg_seconds, r);
            Py_XSETREF(c->lg_from, Py_NewRef(c->last_no));
            Py_XSETREF(c->lg_to, Py_NewRef(noobj));
            c->has_longest = c->longest_new = 1;
        }
        if (gap >= GAP_WORTH_LISTING) {      /* rare: straight into the list */
            PyObject *g = gap_record(self, gap, c->last_no, noobj), *gaps = SLOT(a, self->a_off[A_GAPS]);
            int r = g && gaps && PyList_Check(gaps) ? PyList_Append(gaps, g) : -1;
            Py_XDECREF(g);
            if (r < 0) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_TypeError, "fast lane: an odd stats accumulator");
                return -1;
            }
        }
    }
    Py_XSETREF(c->last_ts, Py_NewRef(tsobj));
    Py_XSETREF(c->last_no, Py_NewRef(noobj));
    c->last_ts_d = ts;
    if (kind) {
        int d = en->d;
        c->count[d][kind]++;
        c->bytes[d][kind] += length;
        c->wire[d] += wire;
        if (compressed) {
            c->comp[d][0] += wire;
            c->comp[d][1] += length;
        }
        if (!c->has_largest || length > c->largest_len) {
            c->has_largest = c->largest_new = 1;
            c->largest_len = length;
            c->lr_wire = wire;
            c->lr_first = first_no;
            c->lr_dir = d;
            c->lr_kind = kind;
            Py_XSETREF(c->lr_last, Py_NewRef(noobj));
        }
    }
    return 0;
}

/* Write back the numbers of entry en's connection, before Python code reads them. */
/* ------------------------------------------------------------------------------------------------------------
 * A connection's TCP numbers (sequence state, last packet, the record's counters), kept in C by the lane between
 * two looks of the Python code at them (ConnCache, on TcpConnection.lane), in JSON and stats modes: reading and
 * writing them as Python ints and dicts at every packet was ~9 % of read --json. Written back (conn_sync) when the
 * Python code may read them: a packet of the connection left to Python, a row handed to a collector, an opening
 * at the --max-connections cap or a release turn (they finish other connections), the end (Lane.flush). A
 * connection that is done (both FINs, or an RST) is the Python path's: the lane takes none of its packets.
 */
typedef struct {
    long long base, nxt_abs, nxt_off, bytes, max_end, wscale;
    int has_last_ack, dirty;
    unsigned long long last_ack;
    long long last_win;
} DirC;

typedef struct {
    PyObject_HEAD
    int loaded;
    int dirty;                     /* the lane took a packet since it loaded them */
    DirC d[2];                     /* c2s, s2c */
    PyObject *last_ts, *last_no;   /* TcpConnection.last_ts and .last_no, and the record's last_ts (new refs) */
    PyObject *payload_ts;          /* _ConnState.last_payload_ts (new ref) */
    long long rec_bytes[2], rec_frames[2], rec_messages[2];   /* added to the record's counters since */
} ConnCache;

static void conn_cache_clear(ConnCache *c) {
    Py_CLEAR(c->last_ts); Py_CLEAR(c->last_no); Py_CLEAR(c->payload_ts);
    memset((char *)c + offsetof(ConnCache, loaded), 0, sizeof(ConnCache) - offsetof(ConnCache, loaded));
}

static void ConnCache_dealloc(ConnCache *c) {
    Py_XDECREF(c->last_ts); Py_XDECREF(c->last_no); Py_XDECREF(c->payload_ts);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

static PyTypeObject ConnCacheType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wsdissect._fastlane.ConnCache",
    .tp_basicsize = sizeof(ConnCache),
    .tp_dealloc = (destructor)ConnCache_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

/* The connection's two Direction objects (c2s, s2c) and its record's counter dicts, looked up (borrowed). */
static int conn_parts(Lane *self, PyObject *conn, PyObject *dirs_out[2], PyObject **st_out) {
    PyObject *dirs = GET(self, conn, TC_DIRS), *st = GET(self, conn, TC_EXTRA);
    if (dirs == NULL || !PyDict_Check(dirs))
        goto odd;
    for (int d = 0; d < 2; d++) {
        dirs_out[d] = PyDict_GetItemWithError(dirs, d ? self->s2c : self->c2s);
        if (!IS(self, dirs_out[d], T_DIR))
            goto odd;
    }
    *st_out = IS(self, st, T_ST) ? st : NULL;
    return 0;
odd:
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "fast lane: an odd connection");
    return -1;
}

/* Write the connection's numbers back into its Python objects, and forget them (read again when next needed). */
static int conn_sync(Lane *self, PyObject *conn, ConnCache *c) {
    if (!c->dirty) {
        c->loaded = 0;
        return 0;
    }
    self->dirty--;
    PyObject *dirs[2], *st;
    if (conn_parts(self, conn, dirs, &st) < 0)
        return -1;
    for (int d = 0; d < 2; d++) {
        DirC *x = &c->d[d];
        if (!x->dirty)
            continue;
        PyObject *o = dirs[d];
        if (slot_set_i64(o, OFF(self, DIR_NXT_ABS), x->nxt_abs) < 0 || slot_set_i64(o, OFF(self, DIR_NXT_OFF), x->nxt_off) < 0
            || slot_set_i64(o, OFF(self, DIR_BYTES), x->bytes) < 0 || slot_set_i64(o, OFF(self, DIR_MAX_END), x->max_end) < 0)
            return -1;
        if (x->has_last_ack) {
            PyObject *a = PyLong_FromUnsignedLongLong(x->last_ack), *w = PyLong_FromLongLong(x->last_win);
            if (a == NULL || w == NULL) {
                Py_XDECREF(a);
                Py_XDECREF(w);
                return -1;
            }
            slot_set(o, OFF(self, DIR_LAST_ACK), a);
            slot_set(o, OFF(self, DIR_LAST_WIN), w);
        }
    }
    if (c->last_ts != NULL) {
        slot_set(conn, OFF(self, TC_LAST_TS), Py_NewRef(c->last_ts));
        slot_set(conn, OFF(self, TC_LAST_NO), Py_NewRef(c->last_no));
    }
    if (st != NULL) {
        PyObject *rec = GET(self, st, ST_REC);
        if (c->payload_ts != NULL)
            slot_set(st, OFF(self, ST_LAST_PAYLOAD_TS), Py_NewRef(c->payload_ts));
        if (IS(self, rec, T_REC)) {
            if (c->last_ts != NULL)
                slot_set(rec, OFF(self, REC_LAST_TS), Py_NewRef(c->last_ts));
            for (int d = 0; d < 2; d++) {
                PyObject *dir = d ? self->s2c : self->c2s;
                if ((c->rec_bytes[d] && dict_add(GET(self, rec, REC_BYTES), dir, c->rec_bytes[d]) < 0)
                    || (c->rec_frames[d] && dict_add(GET(self, rec, REC_FRAMES), dir, c->rec_frames[d]) < 0)
                    || (c->rec_messages[d] && dict_add(GET(self, rec, REC_MESSAGES), dir, c->rec_messages[d]) < 0))
                    return -1;
            }
        }
    }
    conn_cache_clear(c);
    return 0;
}

/* The ConnCache of the entry's connection, loaded with what its Python objects hold; NULL without an exception
 * when those hold something the lane leaves to Python (a number not an int yet). */
static ConnCache *conn_cache(Lane *self, Entry *en) {
    PyObject *conn = en->conn, *c = GET(self, conn, TC_LANE);
    if (c == NULL || c == Py_None) {
        c = (PyObject *)PyObject_New(ConnCache, &ConnCacheType);
        if (c == NULL)
            return NULL;
        ((ConnCache *)c)->last_ts = ((ConnCache *)c)->last_no = ((ConnCache *)c)->payload_ts = NULL;
        memset((char *)c + offsetof(ConnCache, loaded), 0, sizeof(ConnCache) - offsetof(ConnCache, loaded));
        slot_set(conn, OFF(self, TC_LANE), c);
    } else if (Py_TYPE(c) != &ConnCacheType) {
        PyErr_SetString(PyExc_TypeError, "fast lane: an odd connection");
        return NULL;
    }
    ConnCache *cc = (ConnCache *)c;
    if (cc->loaded)
        return cc;
    PyObject *objs[2] = {en->d ? en->peer : en->me, en->d ? en->me : en->peer};
    int ok = 1;
    for (int d = 0; d < 2; d++) {
        PyObject *o = objs[d];
        DirC *x = &cc->d[d];
        x->base = slot_i64(o, OFF(self, DIR_BASE), &ok);
        x->nxt_abs = slot_i64(o, OFF(self, DIR_NXT_ABS), &ok);
        x->nxt_off = slot_i64(o, OFF(self, DIR_NXT_OFF), &ok);
        x->bytes = slot_i64(o, OFF(self, DIR_BYTES), &ok);
        x->max_end = slot_i64(o, OFF(self, DIR_MAX_END), &ok);
        x->wscale = slot_i64(o, OFF(self, DIR_WSCALE), &ok);
        PyObject *la = GET(self, o, DIR_LAST_ACK), *lw = GET(self, o, DIR_LAST_WIN);
        x->has_last_ack = x->dirty = 0;
        if (la != NULL && la != Py_None) {
            x->last_ack = PyLong_CheckExact(la) ? PyLong_AsUnsignedLongLong(la) : (unsigned long long)-1;
            x->last_win = lw != NULL && PyLong_CheckExact(lw) ? PyLong_AsLongLong(lw) : -1;
            if (PyErr_Occurred()) {
                PyErr_Clear();
                ok = 0;
            }
            x->has_last_ack = 1;
        }
    }
    if (!ok)
        return NULL;
    cc->loaded = 1;
    return cc;
}

/* Write back the summary's counts of the packets the lane took. */
static int sum_sync(Lane *self) {
    if (!self->sum_packets)
        return 0;
    PyObject *sum = self->summary;
    int ok = 1;
    if (slot_set_i64(sum, OFF(self, SUM_PACKETS), slot_i64(sum, OFF(self, SUM_PACKETS), &ok) + self->sum_packets) < 0
        || slot_set_i64(sum, OFF(self, SUM_TCP_PACKETS), slot_i64(sum, OFF(self, SUM_TCP_PACKETS), &ok)
                                                          + self->sum_packets) < 0)
        return -1;
    slot_set(sum, OFF(self, SUM_LAST_TS), self->sum_last_ts);
    self->sum_last_ts = NULL;
    self->sum_packets = 0;
    return 0;
}

/* Every connection's numbers back (tracker.conns), and the summary's. */
static int conn_sync_all(Lane *self, int detach) {
    if (!self->cache)
        return 0;
    if (sum_sync(self) < 0)
        return -1;
    Py_ssize_t pos = 0;
    PyObject *k, *conn;
    while (PyDict_Next(self->conns, &pos, &k, &conn)) {
        if (!IS(self, conn, T_TC))
            continue;
        PyObject *c = GET(self, conn, TC_LANE);
        if (c == NULL || Py_TYPE(c) != &ConnCacheType)
            continue;
        if (conn_sync(self, conn, (ConnCache *)c) < 0)
            return -1;
        if (detach)
            slot_set(conn, OFF(self, TC_LANE), Py_NewRef(Py_None));
    }
    return 0;
}

/* The entry's connection's numbers back (before a row of it goes to Python code). */
static int conn_sync_entry(Lane *self, Entry *en) {
    if (!self->cache)
        return 0;
    PyObject *c = GET(self, en->conn, TC_LANE);
    return c != NULL && Py_TYPE(c) == &ConnCacheType ? conn_sync(self, en->conn, (ConnCache *)c) : 0;
}

static int acc_sync_cid(Lane *self, PyObject *cidobj) {
    PyObject *a = PyDict_GetItemWithError(self->acc, cidobj);
    if (a == NULL)
        return PyErr_Occurred() ? -1 : 0;
    PyObject *c = Py_TYPE(a) == (PyTypeObject *)self->conn_acc ? SLOT(a, self->a_off[A_LANE]) : NULL;
    return c != NULL && Py_TYPE(c) == &AccCacheType ? acc_sync(self, a, (AccCache *)c) : 0;
}

/* (found by the connection: the entry of the other direction may be the one that made the copy) */
static int acc_sync_entry(Lane *self, Entry *en) {
    return self->acc == NULL ? 0 : acc_sync_cid(self, en->cidobj);
}

/* Write back every connection's numbers (an eviction may fold any; the end folds them all); `detach`: and let
 * go of the copies (Lane.flush: the accumulators are then plain Python objects again, picklable). */
static int acc_sync_all(Lane *self, int detach) {
    if (self->acc == NULL)
        return 0;
    Py_ssize_t pos = 0;
    PyObject *k, *a;
    while (PyDict_Next(self->acc, &pos, &k, &a)) {
        if (Py_TYPE(a) != (PyTypeObject *)self->conn_acc)
            continue;
        PyObject *c = SLOT(a, self->a_off[A_LANE]);
        if (c == NULL || Py_TYPE(c) != &AccCacheType)
            continue;
        if (acc_sync(self, a, (AccCache *)c) < 0)
            return -1;
        if (detach)
            slot_set(a, self->a_off[A_LANE], Py_NewRef(Py_None));
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------
 * permessage-deflate: websocket/deflate.py's Inflater.inflate(payload, final=True), _run() and end_message(),
 * done to the Inflater's own slots and its zlib object, for a whole message.
 */

/* Inflater._run, its output appended to self->infl: 0 done; 1 zlib.error: the Inflater's `error` is set and
 * this run's output dropped, as the exception drops it in Python; -1 other error. */
static int inf_run(Lane *self, PyObject *inf, const unsigned char *data, Py_ssize_t len) {
    int ok = 1;
    long long produced = slot_i64(inf, OFF(self, INF_PRODUCED), &ok);
    long long room = slot_i64(inf, OFF(self, INF_MAX_OUTPUT), &ok) - produced;
    PyObject *d = GET(self, inf, INF_D);
    if (!ok || d == NULL || !inflate_check(d)) {
        PyErr_SetString(PyExc_RuntimeError, "fast lane: an odd Inflater");
        return -1;
    }
    Buf *out = &self->infl;
    const Py_ssize_t mark = out->n;
    PyObject *error = NULL, *rest = NULL;
    int r;
    if (room > 0) {
        r = inflate_run(d, data, len, (Py_ssize_t)room, out, &error);
        if (r != 0)
            goto done;
        Py_ssize_t got = out->n - mark;
        if (slot_set_i64(inf, OFF(self, INF_PRODUCED), produced + got) < 0)
            return -1;
        if (got < room)
            return 0;          /* zlib stopped for lack of input, so all of it was used */
        rest = Py_NewRef(inflate_tail(d));     /* held: the call below replaces the stream's own */
        data = (const unsigned char *)PyBytes_AS_STRING(rest);
        len = PyBytes_GET_SIZE(rest);
    }
    /* exactly at the cap: one more byte of output means the message is longer than the cap */
    const Py_ssize_t before = out->n;
    r = inflate_run(d, data, len, 1, out, &error);
    Py_XDECREF(rest);
    if (r == 0 && out->n > before) {
        slot_set(inf, OFF(self, INF_CAPPED), Py_NewRef(Py_True));
        out->n = before;
    }
done:
    if (r == 1) {
        out->n = mark;
        slot_set(inf, OFF(self, INF_ERROR), error);   /* except zlib.error as exc: self.error = str(exc) */
    }
    return r;
}

/* Inflater.inflate(payload, final=True), its output left in self->infl: 0, or -1 on error. */
static int inf_inflate(Lane *self, PyObject *inf, PyObject *payload) {
    static const unsigned char sync_tail[4] = {0x00, 0x00, 0xff, 0xff};
    int r = 0;
    self->infl.n = 0;
    if (PyBytes_GET_SIZE(payload))
        r = inf_run(self, inf, (const unsigned char *)PyBytes_AS_STRING(payload), PyBytes_GET_SIZE(payload));
    if (r == 0 && GET(self, inf, INF_CAPPED) != Py_True)
        r = inf_run(self, inf, sync_tail, sizeof sync_tail);
    return r < 0 ? -1 : 0;
}

/* Inflater.end_message() after a message that inflated cleanly (complete, not capped, no error). */
static int inf_end_message(Lane *self, PyObject *inf) {
    int ok = 1;
    PyObject *d = GET(self, inf, INF_D);
    if (d == NULL || !inflate_check(d)) {
        PyErr_SetString(PyExc_RuntimeError, "fast lane: an odd Inflater");
        return -1;
    }
    if (GET(self, inf, INF_CONTEXT_TAKEOVER) != Py_True || inflate_eof(d)) {
        /* reset(): the sender starts a fresh window too. The stream is emptied in place, which is what
         * Inflater.reset's new stream would be. */
        if (inflate_reset(d) < 0 || slot_set_i64(inf, OFF(self, INF_HISTORY), 0) < 0)
            return -1;
        slot_set(inf, OFF(self, INF_LOST), Py_NewRef(Py_False));
    } else {
        long long history = slot_i64(inf, OFF(self, INF_HISTORY), &ok) + slot_i64(inf, OFF(self, INF_PRODUCED), &ok);
        long long window = slot_i64(inf, OFF(self, INF_WINDOW), &ok);
        if (!ok) {
            PyErr_SetString(PyExc_RuntimeError, "fast lane: an odd Inflater");
            return -1;
        }
        if (slot_set_i64(inf, OFF(self, INF_HISTORY), history) < 0)
            return -1;
        if (GET(self, inf, INF_LOST) == Py_True && history >= window)
            slot_set(inf, OFF(self, INF_LOST), Py_NewRef(Py_False));
    }
    if (slot_set_i64(inf, OFF(self, INF_PRODUCED), 0) < 0)
        return -1;
    slot_set(inf, OFF(self, INF_CAPPED), Py_NewRef(Py_False));
    slot_set(inf, OFF(self, INF_ERROR), Py_NewRef(Py_None));
    return 0;
}

/* *out = obj.name, an int */
static int attr_i64(PyObject *obj, PyObject *name, long long *out) {
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL)
        return -1;
    *out = PyLong_AsLongLong(v);
    Py_DECREF(v);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

static int slot_setattr_i64(PyObject *obj, PyObject *name, long long v) {
    PyObject *x = PyLong_FromLongLong(v);
    if (x == NULL)
        return -1;
    int r = PyObject_SetAttr(obj, name, x);
    Py_DECREF(x);
    return r;
}

/* An object of a __slots__ class made without its __init__: every slot is set by the caller. */
static PyObject *bare(Lane *self, int t) {
    PyTypeObject *type = (PyTypeObject *)self->types[t];
    return type->tp_alloc(type, 0);
}

/* model.Frame(no, first_no, conn, direction, fin, rsv, opcode, masked, mask_key, length, header_len, payload) */
static PyObject *new_frame(Lane *self, PyObject *noobj, long long first_no, Entry *en, int fin, int rsv, int opcode,
                           int masked, PyObject *key, long long length, int header_len, PyObject *payload) {
    PyObject *f = bare(self, T_FRAME);
    if (f == NULL)
        return NULL;
    PyObject *v[6] = {PyLong_FromLongLong(first_no), PyLong_FromLong(rsv), PyLong_FromLong(opcode),
                      PyLong_FromLongLong(length), PyLong_FromLong(header_len), PyLong_FromLong(0)};
    for (int i = 0; i < 6; i++)
        if (v[i] == NULL) {
            for (int j = 0; j < 6; j++)
                Py_XDECREF(v[j]);
            Py_DECREF(f);
            return NULL;
        }
    slot_set(f, OFF(self, FR_NO), Py_NewRef(noobj));
    slot_set(f, OFF(self, FR_FIRST_NO), v[0]);
    slot_set(f, OFF(self, FR_CONN), Py_NewRef(Py_None));
    slot_set(f, OFF(self, FR_DIRECTION), Py_NewRef(en->dir));
    slot_set(f, OFF(self, FR_FIN), Py_NewRef(fin ? Py_True : Py_False));
    slot_set(f, OFF(self, FR_RSV), v[1]);
    slot_set(f, OFF(self, FR_OPCODE), v[2]);
    slot_set(f, OFF(self, FR_MASKED), Py_NewRef(masked ? Py_True : Py_False));
    slot_set(f, OFF(self, FR_MASK_KEY), Py_NewRef(key));
    slot_set(f, OFF(self, FR_LENGTH), v[3]);
    slot_set(f, OFF(self, FR_HEADER_LEN), v[4]);
    slot_set(f, OFF(self, FR_PAYLOAD), Py_NewRef(payload));
    slot_set(f, OFF(self, FR_PAYLOAD_MISSING), v[5]);
    slot_set(f, OFF(self, FR_CLOSE_CODE), Py_NewRef(Py_None));
    slot_set(f, OFF(self, FR_CLOSE_REASON), Py_NewRef(Py_None));
    return f;
}

/* The Message WebSocketDirection._whole_message makes of an uncompressed frame, as the analyzer lists it. */
static PyObject *new_message(Lane *self, Entry *en, int opcode, long long first_no, PyObject *noobj,
                             long long length, long long wire, int compressed, PyObject *payload, PyObject *text) {
    PyObject *m = bare(self, T_MESSAGE);
    if (m == NULL)
        return NULL;
    PyObject *v[5] = {PyLong_FromLong(opcode), PyLong_FromLong(1), PyLong_FromLongLong(first_no),
                      PyLong_FromLongLong(length), PyLong_FromLongLong(wire)};
    for (int i = 0; i < 5; i++)
        if (v[i] == NULL) {
            for (int j = 0; j < 5; j++)
                Py_XDECREF(v[j]);
            Py_DECREF(m);
            return NULL;
        }
    slot_set(m, OFF(self, MS_CONN), Py_NewRef(en->cidobj));
    slot_set(m, OFF(self, MS_DIRECTION), Py_NewRef(en->dir));
    slot_set(m, OFF(self, MS_OPCODE), v[0]);
    slot_set(m, OFF(self, MS_FRAMES), v[1]);
    slot_set(m, OFF(self, MS_FIRST_NO), v[2]);
    slot_set(m, OFF(self, MS_LAST_NO), Py_NewRef(noobj));
    slot_set(m, OFF(self, MS_COMPRESSED), Py_NewRef(compressed ? Py_True : Py_False));
    slot_set(m, OFF(self, MS_LENGTH), v[3]);
    slot_set(m, OFF(self, MS_WIRE_LENGTH), v[4]);
    slot_set(m, OFF(self, MS_DATA), Py_NewRef(payload));
    slot_set(m, OFF(self, MS_TEXT), Py_NewRef(text ? text : Py_None));
    slot_set(m, OFF(self, MS_TRUNCATED), Py_NewRef(Py_False));
    slot_set(m, OFF(self, MS_APP), Py_NewRef(Py_None));
    return m;
}

static PyObject *list_of(PyObject *x) {
    PyObject *l = PyList_New(x == NULL ? 0 : 1);
    if (l != NULL && x != NULL)
        PyList_SET_ITEM(l, 0, Py_NewRef(x));
    return l;
}

/* The packet's model.Row, handed to sink(row, record). */
static int emit_row(Lane *self, Entry *en, Seg *s, PyObject *noobj, PyObject *tsobj, uint32_t rel_seq,
                    uint32_t rel_ack, long long plen, long long wirelen, long long window, PyObject *frame,
                    PyObject *msg, PyObject *notes, PyObject *role, PyObject *protocol) {
    PyObject *row = bare(self, T_ROW);
    if (row == NULL)
        return -1;
    PyObject *v[10];
    v[0] = PyLong_FromLong((long)s->flags);
    v[1] = PyLong_FromUnsignedLong(rel_seq);
    v[2] = PyLong_FromUnsignedLong(rel_ack);
    v[3] = PyLong_FromLongLong(plen);
    v[4] = PyLong_FromLongLong(wirelen);
    v[5] = PyLong_FromLongLong(window);
    v[6] = self->labels ? PyUnicode_DecodeUTF8(self->tmp.p, self->tmp.n, "strict") : Py_NewRef(self->s_empty);
    v[7] = self->labels ? PyUnicode_DecodeUTF8(self->tmp2.p, self->tmp2.n, "strict") : Py_NewRef(self->s_empty);
    v[8] = list_of(frame);
    v[9] = list_of(msg);
    PyObject *nl = PyList_New(0);
    int bad = nl == NULL;
    for (int i = 0; i < 10; i++)
        bad |= v[i] == NULL;
    for (Py_ssize_t i = 0; !bad && notes != NULL && i < PyList_GET_SIZE(notes); i++)
        bad |= PyList_Append(nl, PyTuple_GET_ITEM(PyList_GET_ITEM(notes, i), 0)) < 0;
    if (bad) {
        for (int i = 0; i < 10; i++)
            Py_XDECREF(v[i]);
        Py_XDECREF(nl);
        Py_DECREF(row);
        return -1;
    }
    slot_set(row, OFF(self, ROW_NO), Py_NewRef(noobj));
    slot_set(row, OFF(self, ROW_TS), Py_NewRef(tsobj));
    slot_set(row, OFF(self, ROW_CONN), Py_NewRef(en->cidobj));
    slot_set(row, OFF(self, ROW_DIRECTION), Py_NewRef(en->dir));
    slot_set(row, OFF(self, ROW_SRC), Py_NewRef(en->src));
    slot_set(row, OFF(self, ROW_DST), Py_NewRef(en->dst));
    slot_set(row, OFF(self, ROW_FLAGS), v[0]);
    slot_set(row, OFF(self, ROW_SEQ), v[1]);
    slot_set(row, OFF(self, ROW_ACK), v[2]);
    slot_set(row, OFF(self, ROW_LENGTH), v[3]);
    slot_set(row, OFF(self, ROW_FRAME_LEN), v[4]);
    slot_set(row, OFF(self, ROW_WINDOW), v[5]);
    slot_set(row, OFF(self, ROW_ROLE), Py_NewRef(role));
    slot_set(row, OFF(self, ROW_LABEL), v[6]);
    slot_set(row, OFF(self, ROW_INFO), v[7]);
    slot_set(row, OFF(self, ROW_PROTOCOL), Py_NewRef(protocol));
    slot_set(row, OFF(self, ROW_FRAMES), v[8]);
    slot_set(row, OFF(self, ROW_MESSAGES), v[9]);
    slot_set(row, OFF(self, ROW_NOTES), nl);
    slot_set(row, OFF(self, ROW_TLS), PyTuple_New(0));     /* () as Row's default: no TLS record (never a TLS row) */
    if (self->printer != NULL && flush_out(self) < 0) {     /* rows written here come first */
        Py_DECREF(row);
        return -1;
    }
    if (acc_sync_entry(self, en) < 0 || conn_sync_entry(self, en) < 0) {    /* the sink may read them */
        Py_DECREF(row);
        return -1;
    }
    PyObject *r = PyObject_CallFunctionObjArgs(self->sink, row, en->rec, NULL);
    Py_DECREF(row);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* The packet's JSON lines (render/jsonl.py's packet_line, frame_line, message_line, note lines). */
/* repr(ts), as jsonl.py writes it. For a microsecond pcap time below 2**32 s, "sec.ffffff" without its trailing
 * zeros is that repr whenever ts is the float nearest to sec + frac / 10**6: floats there lie less than 1e-6
 * apart, so no other string of at most six decimals reads back as the same float, and none shorter. ts need not
 * be that float (sec + frac / 1e6 is rounded twice), so that is checked, exactly, in integers: with
 * ts = m * 2**-k, |ts - N / 10**6| <= half a float step is |m * 10**6 - N * 2**k| <= 10**6 / 2, where N is the
 * time in microseconds. The general shortest-repr algorithm was 5 % of read --json, reading the string back 3 %. */
static int put_ts(Lane *self, Buf *b, double ts) {
#ifdef __SIZEOF_INT128__
    if (self->ts_div == 1000000 && self->ts_sec >= 1 && self->ts_frac < 1000000 && ts >= 1.0 && ts < 4294967296.0) {
        int exp;
        double mant = frexp(ts, &exp);                           /* ts = mant * 2**exp, 0.5 <= mant < 1 */
        uint64_t m = (uint64_t)ldexp(mant, 53);                  /* exact: 53 bits */
        int k = 53 - exp;                                        /* 21..52 here */
        unsigned __int128 scaled = (unsigned __int128)m * 1000000u;
        unsigned __int128 n = ((unsigned __int128)((uint64_t)self->ts_sec * 1000000u + self->ts_frac)) << k;
        unsigned __int128 delta = scaled > n ? scaled - n : n - scaled;
        /* strictly nearer than half a step (a tie is left to repr), and m not a power of two, where the step below
         * is half the step above */
        if (2 * delta < 1000000u && m != (1ULL << 52)) {
            char s[24];
            int i = 0;
            if (put_i64(b, self->ts_sec) < 0)
                return -1;
            unsigned f = self->ts_frac;
            s[i++] = '.';
            for (unsigned d = 100000; d; d /= 10) {
                s[i++] = (char)('0' + f / d);
                f %= d;
            }
            while (i > 2 && s[i - 1] == '0')
                i--;
            return put(b, s, i);
        }
    }
#endif
    char *r = PyOS_double_to_string(ts, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (r == NULL)
        return -1;
    int w = put(b, r, (Py_ssize_t)strlen(r));
    PyMem_Free(r);
    return w;
}

static int emit_json_lines(Lane *self, Entry *en, Seg *s, long long no, PyObject *tsobj, uint32_t rel_seq,
                           uint32_t rel_ack, long long plen, long long wirelen, Plan *pl, PyObject *frame,
                           PyObject *msg, PyObject *notes, long long m_length, long long m_wire, long long m_frames,
                           int m_compressed, const char *kind);

/* What a worker of a parallel read writes: pieces, each a header then `len` bytes (wsdissect/parallel.py). */
typedef struct {
    uint64_t no;          /* the packet it belongs after */
    uint64_t minor;       /* its place among what belongs after that packet: PIECE_ROW for the packet's row */
    uint64_t len;
} PieceHeader;
#define PIECE_ROW 1ULL

/* The packet's lines; a worker of a parallel read heads them as one piece for the parent's merge. */
static int emit_json(Lane *self, Entry *en, Seg *s, long long no, PyObject *tsobj, uint32_t rel_seq,
                     uint32_t rel_ack, long long plen, long long wirelen, Plan *pl, PyObject *frame,
                     PyObject *msg, PyObject *notes, long long m_length, long long m_wire, long long m_frames,
                     int m_compressed, const char *kind) {
    if (self->workers == 0)
        return emit_json_lines(self, en, s, no, tsobj, rel_seq, rel_ack, plen, wirelen, pl, frame, msg, notes,
                               m_length, m_wire, m_frames, m_compressed, kind);
    Buf *b = &self->out;
    Py_ssize_t at = b->n;
    if (buf_reserve(b, sizeof(PieceHeader)) < 0)
        return -1;
    b->n += sizeof(PieceHeader);
    if (emit_json_lines(self, en, s, no, tsobj, rel_seq, rel_ack, plen, wirelen, pl, frame, msg, notes, m_length,
                        m_wire, m_frames, m_compressed, kind) < 0)
        return -1;
    PieceHeader h = {(uint64_t)no, PIECE_ROW, (uint64_t)(b->n - at - (Py_ssize_t)sizeof h)};
    memcpy(b->p + at, &h, sizeof h);
    return 0;
}

static int emit_json_lines(Lane *self, Entry *en, Seg *s, long long no, PyObject *tsobj, uint32_t rel_seq,
                           uint32_t rel_ack, long long plen, long long wirelen, Plan *pl, PyObject *frame,
                           PyObject *msg, PyObject *notes, long long m_length, long long m_wire, long long m_frames,
                           int m_compressed, const char *kind) {
    Buf *b = &self->out;
    int ok = 1;
    if (PUTS(b, "{\"type\":\"packet\",\"no\":") < 0 || put_i64(b, no) < 0 || PUTS(b, ",\"ts\":") < 0
        || put_ts(self, b, PyFloat_AS_DOUBLE(tsobj)) < 0 || PUTS(b, ",\"conn\":") < 0 || put_i64(b, en->cid) < 0 || PUTS(b, ",") < 0
        || put_bytes_obj(b, en->ends) < 0 || PUTS(b, ",\"flags\":\"") < 0 || put_flags(b, s->flags, ",", 1) < 0
        || PUTS(b, "\",\"seq\":") < 0 || put_i64(b, rel_seq) < 0 || PUTS(b, ",\"ack\":") < 0
        || put_i64(b, rel_ack) < 0 || PUTS(b, ",\"len\":") < 0 || put_i64(b, plen) < 0
        || PUTS(b, ",\"frame_len\":") < 0 || put_i64(b, wirelen) < 0
        || PUTS(b, ",\"protocol\":\"") < 0 || put(b, kind, (Py_ssize_t)strlen(kind)) < 0
        || PUTS(b, "\",\"label\":\"") < 0
        || put_escaped(b, self->tmp.p, self->tmp.n) < 0 || PUTS(b, "\",\"info\":\"") < 0
        || put_escaped(b, self->tmp2.p, self->tmp2.n) < 0 || PUTS(b, "\",\"notes\":[") < 0)
        return -1;
    Py_ssize_t nn = notes ? PyList_GET_SIZE(notes) : 0;
    for (Py_ssize_t i = 0; i < nn; i++) {
        PyObject *code = PyTuple_GET_ITEM(PyList_GET_ITEM(notes, i), 1);
        if (!PyUnicode_Check(code) || (i && PUTS(b, ",") < 0) || PUTS(b, "\"") < 0
            || put_escaped_str(b, code) < 0 || PUTS(b, "\"") < 0)
            return -1;
    }
    if (PUTS(b, "]}\n") < 0)
        return -1;
    if (!pl->done)
        return 0;
    if (put_frame(b, en, no, pl->d_first_no, pl->d_fin, pl->d_rsv, pl->d_opcode, pl->d_masked, pl->d_key,
                  pl->d_length, pl->d_header_len) < 0 || PUTS(b, "\n") < 0)
        return -1;
    if (pl->control)
        return 0;
    if (pl->inflated) {
        if (put_message(self, b, en, pl->d_opcode, 1, pl->d_first_no, no, 1, m_length, m_wire,
                        self->infl.p, self->infl.n, pl->d_opcode == 1, pl->chars, 0) < 0)
            return -1;
    } else if (pl->compressed) {
        /* finished by the Python code: its Message */
        PyObject *mdata = GET(self, msg, MS_DATA), *mtext = GET(self, msg, MS_TEXT);
        long long first_no = slot_i64(msg, OFF(self, MS_FIRST_NO), &ok);
        if (mdata == NULL || !PyBytes_Check(mdata) || mtext == NULL || !ok) {
            PyErr_SetString(PyExc_RuntimeError, "fast lane: an odd message");
            return -1;
        }
        const char *p = PyBytes_AS_STRING(mdata);
        Py_ssize_t n = PyBytes_GET_SIZE(mdata);
        int text = mtext != Py_None;
        if (text && (p = PyUnicode_AsUTF8AndSize(mtext, &n)) == NULL)
            return -1;
        if (put_message(self, b, en, pl->d_opcode, m_frames, first_no, no, m_compressed, m_length, m_wire, p, n,
                        text, text ? PyUnicode_GET_LENGTH(mtext) : -1, GET(self, msg, MS_TRUNCATED) == Py_True) < 0)
            return -1;
    } else if (put_message(self, b, en, pl->d_opcode, 1, pl->d_first_no, no, 0, m_length, m_wire,
                           PyBytes_AS_STRING(pl->payload), PyBytes_GET_SIZE(pl->payload), pl->d_opcode == 1,
                           pl->chars, 0) < 0)
        return -1;
    if (PUTS(b, "\n") < 0)
        return -1;
    for (Py_ssize_t i = 0; i < nn; i++) {
        PyObject *line = PyTuple_GET_ITEM(PyList_GET_ITEM(notes, i), 2);
        Py_ssize_t ln;
        const char *u = PyUnicode_Check(line) ? PyUnicode_AsUTF8AndSize(line, &ln) : NULL;
        if (u == NULL || put(b, u, ln) < 0 || PUTS(b, "\n") < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "fast lane: a note line must be a str");
            return -1;
        }
    }
    return 0;
}

#define KIND_WS_DATA "WebSocket\",\"role\":\"ws-data"
#define KIND_ACK "TCP\",\"role\":\"ack"
#define KIND_WS_CONTROL "WebSocket\",\"role\":\"ws-control"

/* "[PSH, ACK] Seq=1 Ack=1 Win=65536 Len=0": analyzer._tcp_info, for a packet with ACK set */
static int put_tcp_info(Buf *b, unsigned flags, uint32_t rel_seq, uint32_t rel_ack, long long window, long long plen) {
    return PUTS(b, "[") < 0 || put_flags(b, flags, ", ", 2) < 0 || PUTS(b, "] Seq=") < 0 || put_i64(b, rel_seq) < 0
           || PUTS(b, " Ack=") < 0 || put_i64(b, rel_ack) < 0 || PUTS(b, " Win=") < 0 || put_i64(b, window) < 0
           || PUTS(b, " Len=") < 0 || put_i64(b, plen) < 0 ? -1 : 0;
}

/* TimelinePrinter.row (render/timeline.py) for a row with nothing beneath it (no frame, message or note), in
 * the narrow layout and plain text, with the label in self->tmp and the Info in self->tmp2: 1 written (or, an
 * ACK under --hide-acks, left out), 0 the printer must do it (nothing changed), -1 error. */

/* UTF-8 characters in s[0:n] (a continuation byte is 10xxxxxx) */
static Py_ssize_t chars(const char *s, Py_ssize_t n) {
    Py_ssize_t c = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* the first k characters of s */
static int put_chars(Buf *b, const char *s, Py_ssize_t n, Py_ssize_t k) {
    Py_ssize_t i = 0, c = 0;
    for (; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == k)
                break;
            c++;
        }
    }
    return put(b, s, i);
}

/* _fit_known(s, cells, width, ellipsis) and a newline, for a line whose characters are one cell each */
static int put_fit(Lane *self, Buf *b, const char *s, Py_ssize_t n, long long cells, long long width) {
    if (width <= 0)
        return PUTS(b, "\n");
    if (cells <= width)
        return put(b, s, n) < 0 || PUTS(b, "\n") < 0 ? -1 : 0;
    long long keep = width - self->ellipsis_w;
    if (keep > 0)
        return put_chars(b, s, n, keep) < 0 || put_bytes_obj(b, self->ellipsis) < 0 || PUTS(b, "\n") < 0 ? -1 : 0;
    return put_chars(b, s, n, width) < 0 || PUTS(b, "\n") < 0 ? -1 : 0;
}

/* blanks: n spaces */
static int put_blanks(Buf *b, long long n) {
    if (n <= 0)
        return 0;
    if (buf_reserve(b, n) < 0)
        return -1;
    memset(b->p + b->n, ' ', n);
    b->n += n;
    return 0;
}

/* An ASCII Info after the row's head (already written, `col` cells wide), word-wrapped as timeline._wrap does
 * for one-cell text: at its spaces, continuation lines `col` blanks deep, a word longer than a line cut into
 * pieces as wide as the line has room for; the last line without its newline. */
static int put_wrapped(Buf *b, const char *s, Py_ssize_t n, long long col, long long width) {
    long long cur_w = col;
    int empty = 1;
    Py_ssize_t i = 0;
    for (;;) {
        Py_ssize_t j = i;
        while (j < n && s[j] != ' ')
            j++;
        long long pw = j - i;
        if (!empty && cur_w + 1 + pw <= width) {
            if (PUTS(b, " ") < 0 || put(b, s + i, pw) < 0)
                return -1;
            cur_w += 1 + pw;
        } else {
            if (!empty) {
                if (PUTS(b, "\n") < 0 || put_blanks(b, col) < 0)
                    return -1;
                cur_w = col;
            }
            if (cur_w + pw <= width) {
                if (put(b, s + i, pw) < 0)
                    return -1;
                cur_w += pw;
            } else {               /* rich's chop_cells: pieces of `avail` characters, the first on this line */
                long long avail = width - cur_w > 8 ? width - cur_w : 8;
                const char *p = s + i;
                long long left = pw;
                for (int first = 1; left > 0; first = 0) {
                    long long k = left < avail ? left : avail;
                    if ((!first && (PUTS(b, "\n") < 0 || put_blanks(b, col) < 0)) || put(b, p, k) < 0)
                        return -1;
                    cur_w = (first ? cur_w : col) + k;
                    p += k;
                    left -= k;
                }
            }
            empty = 0;
        }
        if (j >= n)
            return 0;
        i = j + 1;
    }
}

/* TimelinePrinter._with_preview (whole=False), for one-cell characters */
static int put_with_preview(Lane *self, Buf *b, Buf *head, Buf *prev, long long width) {
    long long head_w = chars(head->p, head->n), prev_w = chars(prev->p, prev->n);
    if (!prev->n)
        return put_fit(self, b, head->p, head->n, head_w, width);
    long long line_w = head_w + 1 + prev_w;
    if (line_w <= width || width - head_w - 1 >= self->min_preview) {
        Py_ssize_t at = head->n;
        if (PUTS(head, " ") < 0 || put(head, prev->p, prev->n) < 0)
            return -1;
        int r = put_fit(self, b, head->p, head->n, line_w, width);
        head->n = at;
        return r;
    }
    if (put_fit(self, b, head->p, head->n, head_w, width) < 0)
        return -1;
    Buf line = {0};                /* the preview on a line of its own: indent + "    " + preview */
    int r = put_bytes_obj(&line, self->tl_indent) < 0 || PUTS(&line, "    ") < 0 || put(&line, prev->p, prev->n) < 0
            ? -1 : put_fit(self, b, line.p, line.n, chars(line.p, line.n), width);
    PyMem_Free(line.p);
    return r;
}

/* _quote_w for text whose first preview_chars characters are printable ASCII: 1; else 0 (the printer's) */
static int put_quote(Lane *self, Buf *b, const char *t, Py_ssize_t n, int more) {
    Py_ssize_t k = n < self->preview_chars ? n : (Py_ssize_t)self->preview_chars;
    for (Py_ssize_t i = 0; i < k; i++)
        if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] > 0x7E)
            return 0;
    more |= n > self->preview_chars;
    if (PUTS(b, "\"") < 0 || put(b, t, k) < 0 || (more && put_bytes_obj(b, self->ellipsis) < 0) || PUTS(b, "\"") < 0)
        return -1;
    return 1;
}

/* _hex_w */
static int put_hex_preview(Lane *self, Buf *b, const unsigned char *d, Py_ssize_t n) {
    static const char hex[] = "0123456789abcdef";
    Py_ssize_t k = n < self->preview_bytes ? n : (Py_ssize_t)self->preview_bytes;
    for (Py_ssize_t i = 0; i < k; i++) {
        char three[3] = {' ', hex[d[i] >> 4], hex[d[i] & 15]};
        if (put(b, i ? three : three + 1, i ? 3 : 2) < 0)
            return -1;
    }
    if (n > self->preview_bytes && (PUTS(b, " ") < 0 || put_bytes_obj(b, self->ellipsis) < 0))
        return -1;
    return 0;
}

/* What the lines beneath a data row show of its one frame (and, compressed, of its message). */
typedef struct {
    int opcode, rsv, masked, compressed, truncated;
    PyObject *key, *payload;       /* the frame's mask key (bytes or None) and unmasked payload */
    PyObject *text, *data;         /* the message's text (str or NULL) and bytes, when compressed */
    long long length, m_length;    /* the frame's payload length, the message's */
} FrameFacts;

/* The frame's line (_frame_text + _with_preview) and, when compressed, the message's (_message_text +
 * _with_preview), appended to b: 1; 0 when the printer must write them (nothing appended); -1 error. */
static int frame_lines(Lane *self, Buf *b, FrameFacts *f, long long width) {
    if (f->opcode != 1 && f->opcode != 2)
        return 0;
    Buf head = {0}, prev = {0};
    Py_ssize_t mark = b->n;
    int r = -1;
    /* "↳ Text [FIN] [COMPRESSED] [MASKED key 01020304] 12 bytes" */
    if (put_bytes_obj(&head, self->tl_indent) < 0 || put_bytes_obj(&head, self->tl_glyph_frame) < 0
        || PUTS(&head, " ") < 0 || put_bytes_obj(&head, self->tl_frame_name[f->opcode]) < 0
        || PUTS(&head, " [FIN]") < 0 || ((f->rsv & 4) && put_bytes_obj(&head, self->tl_compressed) < 0))
        goto done;
    if (f->masked) {
        if (f->key != Py_None && PyBytes_GET_SIZE(f->key)) {
            static const char hex[] = "0123456789abcdef";
            const unsigned char *k = (const unsigned char *)PyBytes_AS_STRING(f->key);
            if (put_bytes_obj(&head, self->tl_masked_key[0]) < 0)
                goto done;
            for (Py_ssize_t i = 0; i < PyBytes_GET_SIZE(f->key); i++) {
                char two[2] = {hex[k[i] >> 4], hex[k[i] & 15]};
                if (put(&head, two, 2) < 0)
                    goto done;
            }
            if (put_bytes_obj(&head, self->tl_masked_key[1]) < 0)
                goto done;
        } else if (put_bytes_obj(&head, self->tl_masked) < 0)
            goto done;
    }
    if (PUTS(&head, " ") < 0 || put_i64(&head, f->length) < 0
        || put_bytes_obj(&head, f->length == 1 ? self->tl_byte : self->tl_bytes) < 0)
        goto done;
    if (f->rsv & 4) {
        if (put_bytes_obj(&prev, self->tl_deflated) < 0)
            goto done;
    } else if (PyBytes_GET_SIZE(f->payload)) {
        if (f->opcode == 1) {
            int q = put_quote(self, &prev, PyBytes_AS_STRING(f->payload), PyBytes_GET_SIZE(f->payload), 0);
            if (q <= 0) {
                r = q;
                goto done;
            }
        } else if (put_hex_preview(self, &prev, (const unsigned char *)PyBytes_AS_STRING(f->payload),
                                   PyBytes_GET_SIZE(f->payload)) < 0)
            goto done;
    }
    if (put_with_preview(self, b, &head, &prev, width) < 0)
        goto done;
    if (f->compressed) {
        /* "⇒ text message inflated 12 → 432 bytes:" and a preview of the message */
        head.n = prev.n = 0;
        if (put_bytes_obj(&head, self->tl_indent) < 0 || put_bytes_obj(&head, self->tl_glyph_message) < 0
            || PUTS(&head, " ") < 0)
            goto done;
        PyObject *tpl = self->tl_msg[f->opcode];       /* \0: the wire length, \1: the size inflated */
        const char *t = PyBytes_AS_STRING(tpl);
        Py_ssize_t tn = PyBytes_GET_SIZE(tpl), run = 0;
        for (Py_ssize_t i = 0; i < tn; i++) {
            if (t[i] != 0 && t[i] != 1)
                continue;
            if (put(&head, t + run, i - run) < 0)
                goto done;
            run = i + 1;
            if (t[i] == 0 ? put_i64(&head, f->length) < 0
                          : (put_i64(&head, f->m_length) < 0
                             || put_bytes_obj(&head, f->m_length == 1 ? self->tl_byte : self->tl_bytes) < 0))
                goto done;
        }
        if (put(&head, t + run, tn - run) < 0)
            goto done;
        if (f->text != NULL) {
            /* _quote_w(text[:PREVIEW_CHARS + 1]): the printer's unless those characters are printable ASCII */
            Py_ssize_t ln;
            const char *u = PyUnicode_AsUTF8AndSize(f->text, &ln);
            if (u == NULL)
                goto done;
            Py_ssize_t n = PyUnicode_GET_LENGTH(f->text);
            Py_ssize_t k = n < self->preview_chars ? n : (Py_ssize_t)self->preview_chars;
            if (ln < k || chars(u, k) != k) {
                r = 0;
                goto done;
            }
            int q = put_quote(self, &prev, u, k, f->truncated || n > self->preview_chars);
            if (q <= 0) {
                r = q;
                goto done;
            }
        } else if (f->opcode == 1 || f->data == NULL || !PyBytes_GET_SIZE(f->data)) {
            r = 0;                 /* text that is not UTF-8, or nothing: the printer's */
            goto done;
        } else if (put_hex_preview(self, &prev, (const unsigned char *)PyBytes_AS_STRING(f->data),
                                   PyBytes_GET_SIZE(f->data)) < 0)
            goto done;
        if (f->truncated) {
            r = 0;
            goto done;
        }
        if (put_bytes_obj(&head, self->tl_colon) < 0 || put_with_preview(self, b, &head, &prev, width) < 0)
            goto done;
    }
    r = 1;
done:
    if (r <= 0)
        b->n = mark;
    PyMem_Free(head.p);
    PyMem_Free(prev.p);
    return r;
}

static FrameFacts *frame_facts(FrameFacts *f, Plan *pl, long long m_length, int m_compressed) {
    f->opcode = pl->d_opcode;
    f->rsv = pl->d_rsv;
    f->masked = pl->d_masked;
    f->key = pl->d_key;
    f->payload = pl->payload;
    f->length = pl->d_length;
    f->m_length = m_length;
    f->compressed = m_compressed;
    f->truncated = 0;
    f->text = pl->mtext;
    f->data = pl->mdata;
    if (m_compressed && !pl->inflated)
        f->opcode = 0;             /* finished by the Python code (a note): the printer's */
    return f;
}


static int timeline_row(Lane *self, Entry *en, Seg *s, long long no, double ts, int ack, long long plen,
                        FrameFacts *frame) {
    PyObject *P = self->printer;
    if (ack && !self->show_acks)
        return 1;
    if (frame != NULL && !self->one_cell)
        return 0;
    /* the label and Info: printable ASCII, as nearly always (clean() would leave them as they are) */
    for (Py_ssize_t i = 0; i < self->tmp.n; i++)
        if ((unsigned char)self->tmp.p[i] < 0x20 || (unsigned char)self->tmp.p[i] > 0x7E)
            return 0;
    for (Py_ssize_t i = 0; i < self->tmp2.n; i++)
        if ((unsigned char)self->tmp2.p[i] < 0x20 || (unsigned char)self->tmp2.p[i] > 0x7E)
            return 0;
    PyObject *first = PyObject_GetAttr(P, self->s_first_ts), *any = NULL;
    if (first == NULL)
        return -1;
    double first_ts = first == Py_None ? 0 : PyFloat_AsDouble(first);
    int fallback = first == Py_None || !PyFloat_Check(first);
    Py_DECREF(first);
    if (fallback)
        return 0;
    int known = PySet_Contains(self->introduced, en->cidobj);
    if (known <= 0)
        return known;              /* the connection's heading comes first: the printer's */
    if (!(any = PyObject_GetAttr(P, self->s_printed_any)))
        return -1;
    int printed = any == Py_True;
    Py_DECREF(any);
    if (!printed)
        return 0;
    long long rows, width;
    if (attr_i64(P, self->s_rows, &rows) < 0)
        return -1;
    if (rows % self->width_refresh == 0) {
        PyObject *w = PyObject_GetAttr(self->console, self->s_width);
        int r = w ? PyObject_SetAttr(P, self->s_width_, w) : -1;
        Py_XDECREF(w);
        if (r < 0)
            return -1;
    }
    if (attr_i64(P, self->s_width_, &width) < 0)
        return -1;
    if (width >= self->wide_width)
        return 0;                  /* the wide layout: the printer's */
    if (slot_setattr_i64(P, self->s_rows, rows + 1) < 0)
        return -1;
    /* the head, with the printer's own format */
    char flags[40];
    Buf fb = {flags, 0, sizeof flags};
    if (put_flags(&fb, s->flags, ",", 1) < 0)
        return -1;
    PyObject *fl = fb.n ? PyUnicode_DecodeASCII(flags, fb.n, "strict") : PyUnicode_FromString("-");
    PyObject *args = fl ? Py_BuildValue("(LdOOOOsL)", no, ts - first_ts, en->cport, self->arrows[en->d], en->sport,
                                        fl, ack ? "TCP" : "WS", plen) : NULL;
    Py_XDECREF(fl);
    PyObject *head = args ? PyUnicode_Format(self->head_fmt, args) : NULL;
    Py_XDECREF(args);
    if (head == NULL)
        return -1;
    Py_ssize_t hn;
    const char *h = PyUnicode_AsUTF8AndSize(head, &hn);
    Py_ssize_t head_w = PyUnicode_GET_LENGTH(head);   /* its arrow is one cell; the rest ASCII */
    Buf *b = &self->out;
    Py_ssize_t row_start = b->n;   /* to take the row back when its frame lines are the printer's */
    int bad = h == NULL;
    /* the Info, cut to what is left of the line (_fit, ASCII) */
    long long room = width - head_w;
    const char *info = self->tmp2.p;
    Py_ssize_t in = self->tmp2.n;
    if (!ack && in >= 10 && memcmp(info, "WebSocket ", 10) == 0) {
        info += 10;                /* the WS protocol column says it */
        in -= 10;
    }
    if (!bad && in > room && room < self->min_info) {
        /* an Info under the indent, on lines of its own: the printer's */
        Py_DECREF(head);
        return slot_setattr_i64(P, self->s_rows, rows) < 0 ? -1 : 0;
    }
    if (!bad) {
        if (!in)
            bad = put(b, h, hn - 1) < 0;                  /* no trailing blank after Len */
        else if (in <= room)
            bad = put(b, h, hn) < 0 || put(b, info, in) < 0;
        else                       /* wrapped under the Info column */
            bad = put(b, h, hn) < 0 || put_wrapped(b, info, in, head_w, width) < 0;
    }
    Py_DECREF(head);
    if (bad || PUTS(b, "\n") < 0)
        return -1;
    /* the label: on its own line, or wrapped (the printer's memoised _label_lines) */
    if (self->tmp.n) {
        if (self->tmp.n + self->narrow_indent_w <= width) {
            if (buf_reserve(b, self->narrow_indent_w) < 0)
                return -1;
            memset(b->p + b->n, ' ', self->narrow_indent_w);
            b->n += self->narrow_indent_w;
            if (put(b, self->tmp.p, self->tmp.n) < 0 || PUTS(b, "\n") < 0)
                return -1;
        } else {
            PyObject *label = PyUnicode_DecodeASCII(self->tmp.p, self->tmp.n, "strict");
            PyObject *wl = label ? PyLong_FromLongLong(width) : NULL, *iw = wl ? PyLong_FromLongLong(self->narrow_indent_w) : NULL;
            PyObject *lines = iw ? PyObject_CallMethodObjArgs(P, self->s_label_lines, label, wl, iw, self->label_rest,
                                                              NULL) : NULL;
            Py_XDECREF(label);
            Py_XDECREF(wl);
            Py_XDECREF(iw);
            if (lines == NULL || !PyList_Check(lines)) {
                Py_XDECREF(lines);
                return -1;
            }
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lines); i++) {
                Py_ssize_t ln;
                const char *u = PyUnicode_AsUTF8AndSize(PyList_GET_ITEM(lines, i), &ln);
                if (u == NULL || put(b, u, ln) < 0 || PUTS(b, "\n") < 0) {
                    Py_DECREF(lines);
                    return -1;
                }
            }
            Py_DECREF(lines);
        }
    }
    if (frame != NULL) {
        int fr = frame_lines(self, b, frame, width);
        if (fr <= 0) {
            b->n = row_start;
            if (fr == 0 && slot_setattr_i64(P, self->s_rows, rows) < 0)     /* the printer counts it itself */
                return -1;
            return fr;
        }
    }
    return 1;
}

/* A bare ACK's row: Analyzer._label's "ack" role, its label from _ack_label. */
static int ack_row(Lane *self, Entry *en, Seg *s, PyObject *noobj, PyObject *tsobj, PyObject *acked,
                   uint32_t rel_seq, uint32_t rel_ack, long long wirelen, long long window) {
    Buf *lab = &self->tmp, *inf = &self->tmp2;
    lab->n = inf->n = 0;
    if (self->labels) {
        if (acked == NULL) {
            if (put_bytes_obj(lab, self->ack_nothing[en->d]) < 0)
                return -1;
        } else {
            /* the name the acknowledged packet was given: st.names of the other side, popped up to it */
            long long acked_no = PyLong_AsLongLong(acked);
            if (acked_no == -1 && PyErr_Occurred())
                return -1;
            PyObject *name = NULL, *q = en->peer_names;
            for (;;) {
                Py_ssize_t qn = PyObject_Length(q);
                if (qn < 0)
                    return -1;
                if (!qn)
                    break;
                PyObject *head = PySequence_GetItem(q, 0);
                if (head == NULL)
                    return -1;
                long long hno = PyTuple_Check(head) && PyTuple_GET_SIZE(head) == 2 ?
                    PyLong_AsLongLong(PyTuple_GET_ITEM(head, 0)) : -1;
                if (hno == -1 && PyErr_Occurred()) {
                    Py_DECREF(head);
                    return -1;
                }
                if (hno > acked_no) {
                    Py_DECREF(head);
                    break;
                }
                if (hno == acked_no)
                    Py_XSETREF(name, Py_NewRef(PyTuple_GET_ITEM(head, 1)));
                Py_DECREF(head);
                PyObject *x = dq_call(self, q, NULL);
                if (x == NULL) {
                    Py_XDECREF(name);
                    return -1;
                }
                Py_DECREF(x);
            }
            PyObject *tpl = self->ack_of[en->d];
            const char *t = PyBytes_AS_STRING(tpl);
            Py_ssize_t tn = PyBytes_GET_SIZE(tpl), run = 0;
            int bad = 0;
            for (Py_ssize_t i = 0; i < tn && !bad; i++) {
                if (t[i] != 0 && t[i] != 1)
                    continue;
                bad |= put(lab, t + run, i - run) < 0;
                run = i + 1;
                if (t[i] == 0)
                    bad |= put_i64(lab, acked_no) < 0;
                else if (name != NULL && PyObject_IsTrue(name)) {
                    Py_ssize_t nn;
                    const char *u = PyUnicode_Check(name) ? PyUnicode_AsUTF8AndSize(name, &nn) : NULL;
                    bad |= u == NULL || put_bytes_obj(lab, self->paren[0]) < 0 || put(lab, u, nn) < 0
                           || put_bytes_obj(lab, self->paren[1]) < 0;
                }
            }
            Py_XDECREF(name);
            if (bad || put(lab, t + run, tn - run) < 0) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_TypeError, "fast lane: an odd packet name");
                return -1;
            }
        }
        if (put_tcp_info(inf, s->flags, rel_seq, rel_ack, window, 0) < 0)
            return -1;
    }
    if (self->acc != NULL)
        return stats_row(self, en, PyLong_AsLongLong(noobj), noobj, tsobj, 0, 0, 0, 0, 0);
    if (self->printer != NULL) {
        int r = timeline_row(self, en, s, PyLong_AsLongLong(noobj), PyFloat_AS_DOUBLE(tsobj), 1, 0, NULL);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
    if (self->rows)
        return emit_row(self, en, s, noobj, tsobj, rel_seq, rel_ack, 0, wirelen, window, NULL, NULL, NULL,
                        self->s_ack, self->s_tcp);
    Plan none;
    memset(&none, 0, sizeof none);
    return emit_json(self, en, s, PyLong_AsLongLong(noobj), tsobj, rel_seq, rel_ack, 0, wirelen, &none, NULL, NULL,
                     NULL, 0, 0, 0, 0, KIND_ACK);
}

/* The entries' key of a segment's direction: its source then destination address and port (reverse: the other
 * direction's). */
static PyObject *seg_binkey(const Seg *s, int reverse) {
    unsigned char kb[36];
    int al = s->version == 4 ? 4 : 16;
    const unsigned char *from = reverse ? s->dst : s->src, *to = reverse ? s->src : s->dst;
    unsigned pa = reverse ? s->dport : s->sport, pb = reverse ? s->sport : s->dport;
    memcpy(kb, from, al);
    memcpy(kb + al, to, al);
    kb[2 * al] = (unsigned char)(pa >> 8); kb[2 * al + 1] = (unsigned char)pa;
    kb[2 * al + 2] = (unsigned char)(pb >> 8); kb[2 * al + 3] = (unsigned char)pb;
    return PyBytes_FromStringAndSize((const char *)kb, 2 * al + 4);
}

/* *out = Tracker.linger_packets (0 if it is not an int). */
static int tracker_linger(Lane *self, long long *out) {
    PyObject *lv = PyObject_GetAttr(self->tracker, self->s_linger);
    if (lv == NULL)
        return -1;
    *out = PyLong_CheckExact(lv) ? PyLong_AsLongLong(lv) : 0;
    Py_DECREF(lv);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

/* 1 when Tracker.release(no) would do nothing: no done connection, or the first one in its heap was queued less
 * than linger_packets before `no` (every other was queued later, and saw its last packet no earlier than when it
 * was queued); 0 when release() would look at one (that packet is left to Python); -1 on error. Busy captures
 * always have a connection lingering, so declining every 256th packet for it was 0.4 % of the packets. */
static int release_idle(Lane *self, long long no) {
    if (!PyList_Check(self->finished)) {
        PyErr_SetString(PyExc_TypeError, "fast lane: Tracker.finished must be a list (a heap)");
        return -1;
    }
    if (PyList_GET_SIZE(self->finished) == 0)
        return 1;
    PyObject *head = PyList_GET_ITEM(self->finished, 0);
    if (!PyTuple_Check(head) || PyTuple_GET_SIZE(head) != 3 || !PyLong_CheckExact(PyTuple_GET_ITEM(head, 0)))
        return 0;
    long long queued_no = PyLong_AsLongLong(PyTuple_GET_ITEM(head, 0));
    if (queued_no == -1 && PyErr_Occurred())
        return -1;
    long long linger;
    if (tracker_linger(self, &linger) < 0)
        return -1;
    return queued_no > no - linger;
}

/* 1 handled (row written), 0 declined (nothing changed), -1 error. The caller owns k's objects; sp: the segment
 * decoded, or NULL. */
static int try_fast(Lane *self, Packet *k, const Seg *sp) {
    int ok = 1;
    long long no = k->no, wirelen = k->wirelen;
    if (sp == NULL)
        return 0;
    Seg s = *sp;
    const unsigned char *p = k->p;
    /* ACK and nothing of SYN, FIN, RST */
    if ((s.flags & 0x17) != 0x10)
        return 0;
    /* Analyzer._release's turn (every 256 packets), when it would change something */
    if (!(no & 255)) {
        int idle = release_idle(self, no);
        if (idle <= 0)
            return idle;
    }
    PyObject *sum = self->summary;
    if (!IS(self, sum, T_SUM) || GET(self, sum, SUM_FIRST_TS) == Py_None)
        return 0;

    PyObject *binkey = seg_binkey(&s, 0);
    if (binkey == NULL)
        return -1;
    Entry *en = find_entry(self, &s, binkey);
    Py_DECREF(binkey);
    if (en == NULL)
        return PyErr_Occurred() ? -1 : 0;
    if (packet_objects(k) < 0)
        return -1;
    PyObject *noobj = k->noobj, *tsobj = k->tsobj;
    Py_INCREF(en);                 /* the dict may drop it (cleared when full) while the packet is handled */
    int result = 0;
    Plan pl;
    memset(&pl, 0, sizeof pl);
    PyObject *frame_obj = NULL;    /* the completed frame's Frame, when one is needed */
    PyObject *notes = NULL;        /* list of (Note, code, JSON line) from the Python notes */
    PyObject *msg = NULL;          /* the Message, when one is needed */
    PyObject *acked = NULL;        /* the packet of the peer this ACK newly acknowledges (TcpResult.acked_no) */
    int tr;                        /* timeline_row's answer */
    FrameFacts ff;

    /* --- TCP: tcp.Tracker.feed for an in-order data segment of a known connection --- */
    PyObject *me = en->me, *peer = en->peer;
    ConnCache *cc = NULL;
    DirC *cm = NULL, *cp = NULL;
    long long me_base, me_abs, me_off, me_bytes, me_max, me_ws, pe_base, pe_abs, pe_off, pe_max, pe_ws;
    if (GET(self, en->conn, TC_DONE) != Py_False)
        goto out;                  /* done (FINs, RST): the Python path's to the end */
    PyObject *lane_cache = self->cache ? GET(self, en->conn, TC_LANE) : NULL;
    if (lane_cache != NULL && Py_TYPE(lane_cache) == &ConnCacheType && ((ConnCache *)lane_cache)->loaded) {
        /* loaded by an earlier packet (else read from the Python objects: a packet left to Python costs no load) */
        cc = (ConnCache *)lane_cache;
        cm = &cc->d[en->d];
        cp = &cc->d[!en->d];
        me_base = cm->base, me_abs = cm->nxt_abs, me_off = cm->nxt_off, me_bytes = cm->bytes, me_max = cm->max_end;
        me_ws = cm->wscale;
        pe_base = cp->base, pe_abs = cp->nxt_abs, pe_off = cp->nxt_off, pe_max = cp->max_end, pe_ws = cp->wscale;
    } else {
        me_base = slot_i64(me, OFF(self, DIR_BASE), &ok), me_abs = slot_i64(me, OFF(self, DIR_NXT_ABS), &ok);
        me_off = slot_i64(me, OFF(self, DIR_NXT_OFF), &ok), me_bytes = slot_i64(me, OFF(self, DIR_BYTES), &ok);
        me_max = slot_i64(me, OFF(self, DIR_MAX_END), &ok), me_ws = slot_i64(me, OFF(self, DIR_WSCALE), &ok);
        pe_base = slot_i64(peer, OFF(self, DIR_BASE), &ok), pe_abs = slot_i64(peer, OFF(self, DIR_NXT_ABS), &ok);
        pe_off = slot_i64(peer, OFF(self, DIR_NXT_OFF), &ok), pe_max = slot_i64(peer, OFF(self, DIR_MAX_END), &ok);
        pe_ws = slot_i64(peer, OFF(self, DIR_WSCALE), &ok);
    }
    PyObject *me_pending = GET(self, me, DIR_PENDING), *pe_pending = GET(self, peer, DIR_PENDING);
    PyObject *me_unacked = GET(self, me, DIR_UNACKED), *pe_unacked = GET(self, peer, DIR_UNACKED);
    if (!ok || me_pending == NULL || !PyList_CheckExact(me_pending) || PyList_GET_SIZE(me_pending)
        || pe_pending == NULL || !PyList_CheckExact(pe_pending) || me_unacked == NULL || pe_unacked == NULL
        || GET(self, me, DIR_FIN_OFF) != Py_None || GET(self, peer, DIR_FIN_OFF) != Py_None)
        goto out;
    if (s.seq != (uint32_t)me_abs)  /* out of order, a retransmission, an overlap: tcp.py */
        goto out;
    long long ack_off = pe_off + signed32(s.ack - (uint32_t)pe_abs);
    if ((PyList_GET_SIZE(pe_pending) && ack_off > pe_off) || (ack_off > pe_max && pe_max >= pe_off))
        goto out;                  /* the ACK declares bytes missing: notes (Python) */
    if (me_off > (1LL << 60))
        goto out;
    long long window = me_ws >= 0 && pe_ws >= 0 ? (long long)s.window << me_ws : s.window;
    uint32_t rel_seq = s.seq - (uint32_t)me_base, rel_ack = s.ack - (uint32_t)pe_base;
    long long plen = s.plen;

    if (plen == 0) {
        /* a bare ACK (tcp.py's K_ACK): not a keep-alive (its seq is the next one), not a duplicate ACK or a
         * window update (it acknowledges something new), not the handshake's third packet (data went before) */
        if (cm != NULL) {
            if (me_bytes == 0 || (cm->has_last_ack && cm->last_ack == s.ack))
                goto out;
        }
        PyObject *last_ack = cm != NULL ? Py_None : GET(self, me, DIR_LAST_ACK);
        if (me_bytes == 0 || last_ack == NULL)
            goto out;
        if (last_ack != Py_None) {
            unsigned long la = PyLong_CheckExact(last_ack) ? PyLong_AsUnsignedLong(last_ack) : (unsigned long)-1;
            if (la == (unsigned long)-1 && PyErr_Occurred())
                PyErr_Clear();
            if (la == s.ack)
                goto out;
        }
    } else {
        /* --- WebSocket bytes --- */
        int r = plan_ws(self, en, p + s.start, s.plen, no, &pl);
        if (r <= 0) {
            result = r;
            goto out;
        }
    }

    /* ======== from here on the packet is the lane's: change the state as the Python path would ======== */
    if (self->cache) {
        if (cc == NULL && (cc = conn_cache(self, en)) == NULL) {
            if (PyErr_Occurred())
                result = -1;
            goto out;              /* nothing changed yet */
        }
        cm = &cc->d[en->d];
        cp = &cc->d[!en->d];
        if (!cc->dirty) {
            cc->dirty = 1;
            self->dirty++;
        }
    }
    result = -1;
    /* Analyzer.feed: the summary */
    if (self->cache) {
        self->sum_packets++;
        Py_XSETREF(self->sum_last_ts, Py_NewRef(tsobj));
    } else {
        if (slot_set_i64(sum, OFF(self, SUM_PACKETS), slot_i64(sum, OFF(self, SUM_PACKETS), &ok) + 1) < 0
            || slot_set_i64(sum, OFF(self, SUM_TCP_PACKETS), slot_i64(sum, OFF(self, SUM_TCP_PACKETS), &ok) + 1) < 0)
            goto out;
        slot_set(sum, OFF(self, SUM_LAST_TS), Py_NewRef(tsobj));
    }
    /* Tracker.feed */
    {
        PyObject *conn = en->conn, *rr;
        /* conns.move_to_end(key) is left to conns_in_order, when something reads the order */
        self->order_stale = 1;
        if (cc != NULL) {
            Py_XSETREF(cc->last_ts, Py_NewRef(tsobj));
            Py_XSETREF(cc->last_no, Py_NewRef(noobj));
        } else {
            slot_set(conn, OFF(self, TC_LAST_TS), Py_NewRef(tsobj));
            slot_set(conn, OFF(self, TC_LAST_NO), Py_NewRef(noobj));
        }
        /* what this ACK acknowledges of the peer's data */
        for (;;) {
            Py_ssize_t qn = PyObject_Length(pe_unacked);
            if (qn < 0)
                goto out;
            if (!qn)
                break;
            PyObject *head = PySequence_GetItem(pe_unacked, 0);
            if (head == NULL)
                goto out;
            long long end_off = PyTuple_Check(head) && PyTuple_GET_SIZE(head) == 2 ?
                PyLong_AsLongLong(PyTuple_GET_ITEM(head, 0)) : -1;
            Py_DECREF(head);
            if (end_off == -1 && PyErr_Occurred())
                goto out;
            if (end_off > ack_off)
                break;
            PyObject *x = dq_call(self, pe_unacked, NULL);
            if (x == NULL)
                goto out;
            if (PyTuple_Check(x) && PyTuple_GET_SIZE(x) == 2)
                Py_XSETREF(acked, Py_NewRef(PyTuple_GET_ITEM(x, 1)));
            Py_DECREF(x);
        }
        if (cm != NULL) {
            cm->has_last_ack = cm->dirty = 1;
            cm->last_ack = s.ack;
            cm->last_win = s.window;
        } else {
            PyObject *ackv = PyLong_FromUnsignedLong(s.ack), *winv = PyLong_FromLong((long)s.window);
            if (ackv == NULL || winv == NULL) {
                Py_XDECREF(ackv);
                Py_XDECREF(winv);
                goto out;
            }
            slot_set(me, OFF(self, DIR_LAST_ACK), ackv);
            slot_set(me, OFF(self, DIR_LAST_WIN), winv);
        }
        /* reassembly: in order, so accepted at once */
        long long end = me_off + plen;
        if (plen == 0)
            goto tcp_done;
        if (cm != NULL) {
            cm->nxt_off = end;
            cm->nxt_abs = (me_abs + plen) & 0xFFFFFFFFLL;
            cm->bytes = me_bytes + plen;
            if (end > me_max)
                cm->max_end = end;
        } else if (slot_set_i64(me, OFF(self, DIR_NXT_OFF), end) < 0
                   || slot_set_i64(me, OFF(self, DIR_NXT_ABS), (me_abs + plen) & 0xFFFFFFFFLL) < 0
                   || slot_set_i64(me, OFF(self, DIR_BYTES), me_bytes + plen) < 0
                   || (end > me_max && slot_set_i64(me, OFF(self, DIR_MAX_END), end) < 0))
            goto out;
        PyObject *endv = PyLong_FromLongLong(end);
        if (endv == NULL)
            goto out;
        PyObject *item = PyTuple_Pack(2, endv, noobj);
        Py_DECREF(endv);
        if (item == NULL)
            goto out;
        rr = dq_call(self, me_unacked, item);
        Py_DECREF(item);
        if (rr == NULL)
            goto out;
        Py_DECREF(rr);
    }
tcp_done:
    /* Analyzer._segment */
    if (cc == NULL)
        slot_set(en->rec, OFF(self, REC_LAST_TS), Py_NewRef(tsobj));    /* else with TcpConnection.last_ts */
    if (plen == 0) {
        if (ack_row(self, en, &s, noobj, tsobj, acked, rel_seq, rel_ack, wirelen, window) < 0)
            goto out;
        result = 1;
        goto out;
    }
    if (cc != NULL)
        cc->rec_bytes[en->d] += plen;
    else if (dict_add(GET(self, en->rec, REC_BYTES), en->dir, plen) < 0)
        goto out;

    /* FrameParser.feed + WebSocketDirection._frame */
    PyObject *parser = en->parser, *ws = en->ws;
    slot_set(parser, OFF(self, FP_LAST_NO), Py_NewRef(noobj));
    long long parser_frames = slot_i64(parser, OFF(self, FP_FRAMES), &ok);
    if (pl.mid) {
        PyObject *f = GET(self, parser, FP_FRAME), *mask = GET(self, parser, FP_MASK);
        PyObject *parts = GET(self, parser, FP_PARTS);
        if (pl.done == 1) {
            /* _complete */
            frame_obj = Py_NewRef(f);
            slot_set(f, OFF(self, FR_PAYLOAD), Py_NewRef(pl.payload));
            slot_set(f, OFF(self, FR_NO), Py_NewRef(noobj));
            slot_set(parser, OFF(self, FP_FRAME), Py_NewRef(Py_None));
            PyObject *np = PyList_New(0);
            if (np == NULL)
                goto out;
            slot_set(parser, OFF(self, FP_PARTS), np);
            slot_set(parser, OFF(self, FP_MASK), Py_NewRef(Py_None));
            slot_set(parser, OFF(self, FP_ROOM), PyLong_FromLongLong(pl.mid_room - pl.mid_take));
            slot_set(parser, OFF(self, FP_PHASE), PyLong_FromLongLong((pl.mid_phase + pl.mid_take) & 3));
            slot_set(parser, OFF(self, FP_REMAINING), PyLong_FromLongLong(0));
            parser_frames++;
        } else {
            /* _payload */
            if (pl.mid_take) {
                PyObject *chunk = unmasked(p + s.start, pl.mid_take,
                                           mask == Py_None ? NULL : (const unsigned char *)PyBytes_AS_STRING(mask),
                                           pl.mid_phase);
                if (chunk == NULL)
                    goto out;
                int ar = PyList_Append(parts, chunk);
                Py_DECREF(chunk);
                if (ar < 0)
                    goto out;
            }
            slot_set(parser, OFF(self, FP_ROOM), PyLong_FromLongLong(pl.mid_room - pl.mid_take));
            slot_set(parser, OFF(self, FP_PHASE), PyLong_FromLongLong((pl.mid_phase + pl.mid_take) & 3));
            slot_set(parser, OFF(self, FP_REMAINING), PyLong_FromLongLong(pl.mid_remaining - pl.mid_take));
        }
    }
    if (pl.done == 2)
        parser_frames++;
    if (pl.start) {
        /* _header (a frame that ends in a later packet), then _payload for the rest of this packet */
        Hdr *h = &pl.next;
        PyObject *key = h->masked ? PyBytes_FromStringAndSize((const char *)h->key, 4) : Py_NewRef(Py_None);
        if (key == NULL)
            goto out;
        PyObject *f = PyObject_CallFunction(self->types[T_FRAME], "LLOOOiiOOLi", no, no, Py_None, en->dir,
                                            h->fin ? Py_True : Py_False, h->rsv, h->opcode,
                                            h->masked ? Py_True : Py_False, key, h->length, h->header_len);
        if (f == NULL) {
            Py_DECREF(key);
            goto out;
        }
        long long max_payload = slot_i64(parser, OFF(self, FP_MAX_PAYLOAD), &ok);
        PyObject *parts = PyList_New(0);
        if (parts == NULL) {
            Py_DECREF(key);
            Py_DECREF(f);
            goto out;
        }
        if (h->take) {
            PyObject *chunk = unmasked(p + s.start + h->pos, h->take, h->masked ? h->key : NULL, 0);
            if (chunk == NULL || PyList_Append(parts, chunk) < 0) {
                Py_XDECREF(chunk);
                Py_DECREF(parts);
                Py_DECREF(key);
                Py_DECREF(f);
                goto out;
            }
            Py_DECREF(chunk);
        }
        slot_set(parser, OFF(self, FP_FRAME), f);
        slot_set(parser, OFF(self, FP_MASK), key);
        slot_set(parser, OFF(self, FP_PARTS), parts);
        slot_set(parser, OFF(self, FP_REMAINING), PyLong_FromLongLong(h->length - h->take));
        slot_set(parser, OFF(self, FP_PHASE), PyLong_FromLongLong(h->take & 3));
        slot_set(parser, OFF(self, FP_ROOM), PyLong_FromLongLong(payload_cap(h->opcode, max_payload) - h->take));
        slot_set(parser, OFF(self, FP_CUT), Py_NewRef(Py_False));
    }
    if (slot_set_i64(parser, OFF(self, FP_FRAMES), parser_frames) < 0)
        goto out;

    /* The message, and the records the row lists */
    long long m_length = 0, m_wire = 0, m_frames = 1;
    int m_compressed = 0;
    if (pl.done) {
        if (cc != NULL)
            cc->rec_frames[en->d]++;
        else if (dict_add(GET(self, en->rec, REC_FRAMES), en->dir, 1) < 0)
            goto out;
        if (frame_obj == NULL && self->rows && (self->acc == NULL || pl.control)) {
            /* the Frame FrameParser._header would have made of a frame whole in this packet */
            frame_obj = new_frame(self, noobj, pl.d_first_no, en, pl.d_fin, pl.d_rsv, pl.d_opcode, pl.d_masked,
                                  pl.d_key, pl.d_length, pl.d_header_len, pl.payload);
            if (frame_obj == NULL)
                goto out;
        }
        if (frame_obj != NULL)     /* Analyzer._ws_records */
            slot_set(frame_obj, OFF(self, FR_CONN), Py_NewRef(en->cidobj));
        if (pl.control)
            goto message_done;
        if (pl.compressed) {
            /* WebSocketDirection._whole_compressed: inflated here as Inflater.inflate does; a message that needs
             * a note (not inflated cleanly, or not UTF-8) is finished by the Python code from that point. */
            PyObject *inf = GET(self, ws, WS_INFLATER);
            int context_missing = GET(self, inf, INF_LOST) == Py_True;
            if (inf_inflate(self, inf, pl.payload) < 0)
                goto out;
            const unsigned char *mp = (const unsigned char *)self->infl.p;
            const Py_ssize_t mn = self->infl.n;
            PyObject *data = NULL;         /* the message's bytes as an object, when something takes one */
            PyObject *finish = NULL;       /* the Python method that finishes the message */
            if (GET(self, inf, INF_CAPPED) == Py_True || GET(self, inf, INF_ERROR) != Py_None)
                finish = self->s_inflated_whole;
            else {
                if (inf_end_message(self, inf) < 0)
                    goto out;
                int t = pl.d_opcode == 1 ? text_check(self, (const char *)mp, mn, &pl.chars, &pl.mtext) : 1;
                if (t < 0)
                    goto out;
                if (t == 0)
                    finish = self->s_whole_message;
            }
            if (finish == NULL) {
                /* WebSocketDirection._whole_message */
                if (slot_set_i64(ws, OFF(self, WS_MESSAGES), slot_i64(ws, OFF(self, WS_MESSAGES), &ok) + 1) < 0)
                    goto out;
                pl.inflated = 1;
                m_length = mn;
                m_wire = pl.d_length;
                m_compressed = 1;
                if (objects(self)) {
                    if ((pl.mdata = PyBytes_FromStringAndSize((const char *)mp, mn)) == NULL)
                        goto out;
                    msg = new_message(self, en, pl.d_opcode, pl.d_first_no, noobj, m_length, m_wire, 1, pl.mdata,
                                      pl.mtext);
                    if (msg == NULL)
                        goto out;
                }
                goto message_done;
            }
            if ((data = PyBytes_FromStringAndSize((const char *)mp, mn)) == NULL)
                goto out;
            if (frame_obj == NULL) {
                frame_obj = new_frame(self, noobj, pl.d_first_no, en, pl.d_fin, pl.d_rsv, pl.d_opcode, pl.d_masked,
                                      pl.d_key, pl.d_length, pl.d_header_len, pl.payload);
                if (frame_obj == NULL) {
                    Py_DECREF(data);
                    goto out;
                }
                slot_set(frame_obj, OFF(self, FR_CONN), Py_NewRef(en->cidobj));
            }
            PyObject *recs = PyList_New(0);
            if (recs == NULL) {
                Py_DECREF(data);
                goto out;
            }
            PyObject *rr = finish == self->s_inflated_whole ?
                PyObject_CallMethodObjArgs(ws, finish, frame_obj, data, context_missing ? Py_True : Py_False, recs,
                                           NULL) :
                PyObject_CallMethodObjArgs(ws, finish, frame_obj, data, Py_True, recs, NULL);
            Py_DECREF(data);
            if (rr == NULL) {
                Py_DECREF(recs);
                goto out;
            }
            Py_DECREF(rr);
            notes = PyList_New(0);
            if (notes == NULL) {
                Py_DECREF(recs);
                goto out;
            }
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(recs); i++) {
                PyObject *rec = PyList_GET_ITEM(recs, i);
                if (IS(self, rec, T_MESSAGE)) {
                    if (msg != NULL) {
                        PyErr_SetString(PyExc_RuntimeError, "fast lane: two messages from one frame");
                        Py_DECREF(recs);
                        goto out;
                    }
                    msg = Py_NewRef(rec);
                    slot_set(rec, OFF(self, MS_CONN), Py_NewRef(en->cidobj));
                    slot_set(rec, OFF(self, MS_LAST_NO), Py_NewRef(noobj));
                } else {
                    PyObject *nl = PyObject_CallFunction(self->note, "OLO", en->conn, no, rec);
                    if (nl == NULL || !PyTuple_Check(nl) || PyTuple_GET_SIZE(nl) != 3 || PyList_Append(notes, nl) < 0) {
                        if (nl != NULL && !PyErr_Occurred())
                            PyErr_SetString(PyExc_TypeError, "fast lane: note() must return (note, code, line)");
                        Py_XDECREF(nl);
                        Py_DECREF(recs);
                        goto out;
                    }
                    Py_DECREF(nl);
                }
            }
            Py_DECREF(recs);
            if (msg == NULL) {
                PyErr_SetString(PyExc_RuntimeError, "fast lane: a compressed frame made no message");
                goto out;
            }
            m_length = slot_i64(msg, OFF(self, MS_LENGTH), &ok);
            m_wire = slot_i64(msg, OFF(self, MS_WIRE_LENGTH), &ok);
            m_frames = slot_i64(msg, OFF(self, MS_FRAMES), &ok);
            m_compressed = GET(self, msg, MS_COMPRESSED) == Py_True;
            if (!ok || m_frames != 1) {
                PyErr_SetString(PyExc_RuntimeError, "fast lane: a message with odd counts");
                goto out;
            }
        } else {
            /* WebSocketDirection._whole_message */
            if (slot_set_i64(ws, OFF(self, WS_MESSAGES), slot_i64(ws, OFF(self, WS_MESSAGES), &ok) + 1) < 0)
                goto out;
            m_length = m_wire = pl.d_length;
            if (objects(self)) {
                msg = new_message(self, en, pl.d_opcode, pl.d_first_no, noobj, m_length, m_wire, 0, pl.payload,
                                  pl.text);
                if (msg == NULL)
                    goto out;
            }
        }
    message_done:
        if (!pl.control) {
            if (cc != NULL)
                cc->rec_messages[en->d]++;
            else if (dict_add(GET(self, en->rec, REC_MESSAGES), en->dir, 1) < 0)
                goto out;
        }
        if (self->labels) {
            /* the name a later "ACK of #N (...)" gives this packet */
            PyObject *item = PyTuple_Pack(2, noobj, self->name_frame[pl.d_opcode]);
            if (item == NULL)
                goto out;
            PyObject *rr = dq_call(self, en->names, item);
            Py_DECREF(item);
            if (rr == NULL)
                goto out;
            Py_DECREF(rr);
        }
    }
    /* Analyzer._segment: a lone ping or pong (role ws-control) moves last_control_ts, any other payload
     * last_payload_ts */
    if (pl.control)
        slot_set(en->st, OFF(self, ST_LAST_CONTROL_TS), Py_NewRef(tsobj));
    else if (cc != NULL)
        Py_XSETREF(cc->payload_ts, Py_NewRef(tsobj));
    else
        slot_set(en->st, OFF(self, ST_LAST_PAYLOAD_TS), Py_NewRef(tsobj));

    /* The row's words: label and Info (Analyzer._label) */
    Buf *lab = &self->tmp, *inf = &self->tmp2;
    lab->n = inf->n = 0;
    if (self->labels) {
        if (pl.control) {
            /* "client pings (payload: 4 bytes) to check the peer is alive" */
            PyObject *head = self->control[pl.d_opcode == 10][en->d][0], *tail = self->control[pl.d_opcode == 10][en->d][1];
            if (put_bytes_obj(lab, head) < 0 || put_size(self, lab, pl.d_length) < 0 || put_bytes_obj(lab, tail) < 0
                || put_frame_info(inf, pl.d_opcode, pl.d_fin, pl.d_rsv, pl.d_masked) < 0)
                goto out;
        } else if (pl.done) {
            int text = pl.d_opcode == 1;
            if (put_bytes_obj(lab, self->one[en->d][text][0]) < 0
                || put_detail(self, lab, m_length, m_compressed, m_wire) < 0
                || put_bytes_obj(lab, self->one[en->d][text][1]) < 0
                || put_frame_info(inf, pl.d_opcode, pl.d_fin, pl.d_rsv, pl.d_masked) < 0)
                goto out;
        } else if (put_bytes_obj(lab, self->partial[en->d]) < 0
                   || put_tcp_info(inf, s.flags, rel_seq, rel_ack, window, plen) < 0)
            goto out;
    }
    if (self->acc != NULL && !pl.control && (notes == NULL || PyList_GET_SIZE(notes) == 0)) {
        /* stats: no Row at all, the collector's numbers are updated here */
        long long first_no = pl.d_first_no;
        if (msg != NULL) {
            first_no = slot_i64(msg, OFF(self, MS_FIRST_NO), &ok);
            if (!ok) {
                PyErr_SetString(PyExc_RuntimeError, "fast lane: an odd message");
                goto out;
            }
        }
        if (stats_row(self, en, no, noobj, tsobj, pl.done ? pl.d_opcode : 0, m_length, m_wire, m_compressed,
                      first_no) < 0)
            goto out;
    } else if (self->printer != NULL && !pl.control && (notes == NULL || PyList_GET_SIZE(notes) == 0)
               && (tr = timeline_row(self, en, &s, no, PyFloat_AS_DOUBLE(tsobj), 0, plen,
                                     pl.done ? frame_facts(&ff, &pl, m_length, m_compressed) : NULL)) != 0) {
        if (tr < 0)
            goto out;
    } else if (self->rows) {
        if (emit_row(self, en, &s, noobj, tsobj, rel_seq, rel_ack, plen, wirelen, window, frame_obj, msg, notes,
                     pl.control ? self->s_ws_control : self->s_ws_data, self->s_websocket) < 0)
            goto out;
    } else if (emit_json(self, en, &s, no, tsobj, rel_seq, rel_ack, plen, wirelen, &pl, frame_obj, msg, notes,
                         m_length, m_wire, m_frames, m_compressed, pl.control ? KIND_WS_CONTROL : KIND_WS_DATA) < 0)
        goto out;
    result = 1;
out:
    Py_XDECREF(acked);
    Py_XDECREF(frame_obj);
    Py_XDECREF(msg);
    Py_XDECREF(notes);
    plan_clear(&pl);
    Py_DECREF(en);
    return result;
}

/* The worker of `count` that a connection's packets go to: a hash of its two ends in a fixed order (the smaller
 * first, so both directions hash alike), 8 bytes a step, multiplied and folded. */
static int owner_of_ends(const unsigned char *a, unsigned aport, const unsigned char *b, unsigned bport, size_t alen,
                         long count) {
    unsigned char x[18], y[18], key[40];
    memcpy(x, a, alen);
    x[alen] = (unsigned char)(aport >> 8);
    x[alen + 1] = (unsigned char)aport;
    memcpy(y, b, alen);
    y[alen] = (unsigned char)(bport >> 8);
    y[alen + 1] = (unsigned char)bport;
    int c = memcmp(x, y, alen + 2);
    memset(key, 0, sizeof key);
    memcpy(key, c <= 0 ? x : y, alen + 2);
    memcpy(key + alen + 2, c <= 0 ? y : x, alen + 2);
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ alen;
    for (size_t i = 0; i < 2 * (alen + 2); i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
    }
    return (int)((h ^ (h >> 29)) % (uint64_t)count);
}

static int seg_owner(const Seg *s, long count) {
    return owner_of_ends(s->src, s->sport, s->dst, s->dport, s->version == 4 ? 4 : 16, count);
}

/* For a worker of a parallel read: 1 the packet is this worker's, 0 it is another's and this worker skips it, 2 it
 * is left to Python (the C decoder declines it, or it is another's but this worker's release turn would release
 * or look at a connection), -1 error. */
static int worker_check(Lane *self, Packet *k, const Seg *s) {
    if (s == NULL)
        return 2;
    if (seg_owner(s, self->workers) == self->worker)
        return 1;
    if (!(k->no & 255)) {
        int idle = release_idle(self, k->no);
        if (idle <= 0)
            return idle < 0 ? -1 : 2;
    }
    return 0;
}

typedef struct {
    long long last_no;
    PyObject *key;                 /* borrowed from conns */
} ConnAt;

static int by_last_no(const void *a, const void *b) {
    long long x = ((const ConnAt *)a)->last_no, y = ((const ConnAt *)b)->last_no;
    return (x > y) - (x < y);
}

/* Tracker.feed moves a connection to the end of conns at each of its packets, so conns is always in the order
 * of the connections' last packets; the order matters only to the eviction at --max-connections (the least
 * recently active goes) and to Analyzer.finish. The lane leaves the moves out (a call and a hash per packet,
 * 2 % of a busy capture) and puts conns in that order here, before either can happen: called after the
 * connections' numbers (last_no among them) are written back. */
static int conns_in_order(Lane *self) {
    if (!self->order_stale)
        return 0;
    Py_ssize_t n = PyDict_GET_SIZE(self->conns), i = 0;
    ConnAt *at = PyMem_Malloc((n ? n : 1) * sizeof *at);
    if (at == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int sorted = 1, r = -1;
    PyObject *it = PyObject_GetIter(self->conns), *key;       /* the OrderedDict's own order, not the dict's */
    if (it == NULL)
        goto done;
    while ((key = PyIter_Next(it)) != NULL) {
        PyObject *conn = i < n ? PyDict_GetItemWithError(self->conns, key) : NULL;
        PyObject *no = conn != NULL && IS(self, conn, T_TC) ? GET(self, conn, TC_LAST_NO) : NULL;
        Py_DECREF(key);            /* conns holds it */
        if (no == NULL || !PyLong_CheckExact(no)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_RuntimeError, "fast lane: an odd connection in Tracker.conns");
            Py_DECREF(it);
            goto done;
        }
        at[i].key = key;
        at[i].last_no = PyLong_AsLongLong(no);
        if (i && at[i].last_no < at[i - 1].last_no)
            sorted = 0;
        i++;
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        goto done;
    if (!sorted) {
        qsort(at, i, sizeof *at, by_last_no);
        for (Py_ssize_t j = 0; j < i; j++) {
            PyObject *rr = PyObject_CallOneArg(self->move_to_end, at[j].key);
            if (rr == NULL)
                goto done;
            Py_DECREF(rr);
        }
    }
    self->order_stale = 0;
    r = 0;
done:
    PyMem_Free(at);
    return r;
}

/* A release turn (Analyzer._release at packet `no`): the numbers of the connections Tracker.release(no) will look
 * at go back to the Python objects, and only theirs. It pops the heap's entries queued at most linger_packets
 * before `no` (pushing one back at its connection's last packet, which it reads); a heap keeps every such entry
 * beneath one such, so a walk from the root that stops at later ones finds them all. (Writing back every open
 * connection at each turn was 4 % of a busy capture's time: one turn in 256 packets, hundreds of connections.) */
static int sync_releasable(Lane *self, long long no) {
    if (!PyList_Check(self->finished))
        return 0;
    long long linger;
    if (tracker_linger(self, &linger) < 0)
        return -1;
    Py_ssize_t size = PyList_GET_SIZE(self->finished), todo[64], top = 0;
    if (size)
        todo[top++] = 0;
    while (top) {
        Py_ssize_t i = todo[--top];
        PyObject *item = PyList_GET_ITEM(self->finished, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 3 || !PyLong_CheckExact(PyTuple_GET_ITEM(item, 0)))
            return conn_sync_all(self, 0) < 0 || acc_sync_all(self, 0) < 0 ? -1 : 0;     /* not ours to read */
        long long queued_no = PyLong_AsLongLong(PyTuple_GET_ITEM(item, 0));
        if (queued_no == -1 && PyErr_Occurred())
            return -1;
        if (queued_no > no - linger)
            continue;
        PyObject *conn = PyTuple_GET_ITEM(item, 2), *c = IS(self, conn, T_TC) ? GET(self, conn, TC_LANE) : NULL;
        if (c != NULL && Py_TYPE(c) == &ConnCacheType && conn_sync(self, conn, (ConnCache *)c) < 0)
            return -1;
        if (self->acc != NULL && acc_sync_cid(self, PyTuple_GET_ITEM(item, 1)) < 0)
            return -1;
        /* children 2i+1, 2i+2; the stack holds at most one pending sibling per level (depth < 63) */
        for (Py_ssize_t child = 2 * i + 2; child >= 2 * i + 1; child--)
            if (child < size)
                todo[top++] = child;
    }
    return 0;
}

/* A packet goes to the Python path: what the lane keeps in C (the summary's counts, its connection's TCP numbers,
 * its stats) goes back to the Python objects first; everything when the Python code may finish other connections
 * (an opening at the --max-connections cap) or the C decoder cannot tell whose the packet is; at a release turn,
 * the connections the release looks at (sync_releasable). */
static int decline_sync(Lane *self, Packet *k, const Seg *s) {
    if (self->cache && sum_sync(self) < 0)
        return -1;
    if (self->dirty == 0 && !self->order_stale)
        return 0;                  /* nothing kept back (a capture the lane takes little of: no cost) */
    PyObject *mo = PyObject_GetAttr(self->tracker, self->s_max_open);
    long long max_open = mo && PyLong_Check(mo) ? PyLong_AsLongLong(mo) : -1;
    Py_XDECREF(mo);
    if (max_open == -1 && PyErr_Occurred())
        return -1;
    int full = max_open < 0 || PyDict_GET_SIZE(self->conns) >= max_open;     /* Python may evict */
    if (full || s == NULL) {
        if (conn_sync_all(self, 0) < 0 || acc_sync_all(self, 0) < 0)
            return -1;
        return full ? conns_in_order(self) : 0;
    }
    if (self->dirty == 0)
        return 0;
    if (!(k->no & 255) && sync_releasable(self, k->no) < 0)
        return -1;
    for (int r = 0; r < 2; r++) {
        PyObject *binkey = seg_binkey(s, r);
        if (binkey == NULL)
            return -1;
        PyObject *e = PyDict_GetItemWithError(self->entries, binkey);
        Py_DECREF(binkey);
        if (e == NULL) {
            if (PyErr_Occurred())
                return -1;
            continue;
        }
        return conn_sync_entry(self, (Entry *)e) < 0 || acc_sync_entry(self, (Entry *)e) < 0 ? -1 : 0;
    }
    return 0;
}

/* try_fast, and now and then the purge of finished connections' entries. A worker of a parallel read first
 * skips the packets of other workers' connections (1: handled, nothing written). */
static int take(Lane *self, Packet *k) {
    Seg seg;
    const Seg *s = decode(k->p, k->n, k->linktype, &seg) ? &seg : NULL;     /* NULL: left to the Python decoder */
    if (self->workers) {
        int mine = worker_check(self, k, s);
        if (mine < 0)
            return -1;
        if (mine == 0)
            return 1;
        if (mine == 2)
            return decline_sync(self, k, s) < 0 ? -1 : 0;
    }
    int r = try_fast(self, k, s);
    if (r == 0 && decline_sync(self, k, s) < 0)
        return -1;
    if (r == 1 && self->workers) {
        if (self->first_own < 0)
            self->first_own = k->no;
        self->last_own = k->no;
    }
    /* every purge_every packets, or sooner when finished connections make up most entries (many short
     * connections: each leaves two entries behind) */
    if (r == 1 && (++self->taken % self->purge_every == 0
                   || (self->taken % 256 == 0
                       && PyDict_GET_SIZE(self->entries) > 2 * PyDict_GET_SIZE(self->conns) + 512))
        && purge_entries(self) < 0)
        return -1;
    return r;
}

static PyObject *Lane_feed(Lane *self, PyObject *raw) {
    if (!IS(self, raw, T_RAW))
        Py_RETURN_FALSE;
    PyObject *data = GET(self, raw, RAW_DATA), *tsobj = GET(self, raw, RAW_TS), *noobj = GET(self, raw, RAW_NO);
    int ok = 1, r = 0;
    Packet k = {0};
    k.no = slot_i64(raw, OFF(self, RAW_NO), &ok);
    k.linktype = (long)slot_i64(raw, OFF(self, RAW_LINKTYPE), &ok);
    k.wirelen = slot_i64(raw, OFF(self, RAW_WIRELEN), &ok);
    if (ok && data != NULL && PyBytes_CheckExact(data) && tsobj != NULL && PyFloat_CheckExact(tsobj)
        && noobj != NULL && k.no != self->declined) {
        k.ts = PyFloat_AS_DOUBLE(tsobj);
        self->ts_div = 0;
        k.p = (const unsigned char *)PyBytes_AS_STRING(data);
        k.n = PyBytes_GET_SIZE(data);
        k.noobj = noobj;
        k.tsobj = tsobj;
        r = take(self, &k);
    }
    if (r < 0)
        return NULL;
    if (r == 1) {
        if (self->out.n >= FLUSH_AT && flush_out(self) < 0)
            return NULL;
        Py_RETURN_TRUE;
    }
    if (flush_out(self) < 0)       /* the Python path writes next: what came before goes first */
        return NULL;
    Py_RETURN_FALSE;
}

#define MAX_RECORD (256LL * 1024 * 1024)   /* sources/pcap.py's: a longer record is damage, reported there */

static inline uint32_t u32(const unsigned char *p, int big) { return big ? be32(p) : le32(p); }

/* scan(buf, pos, end, no, linktype, div, big_endian, rec_len) -> (pos, no): the classic pcap records of
 * buf[pos:end] the lane takes, one after the other, without making a RawPacket of them; it stops at the first
 * record it does not take, or that is damaged or incomplete, and leaves that one to sources/pcap.py. */
/* One record found by a scan: taken (1), left to Python (0: remembered, so feed() does not try it again), or an
 * error (-1); the output is flushed once it is big enough. */
static int scan_take(Lane *self, Packet *k) {
    int r = take(self, k);
    Py_XDECREF(k->noobj);
    Py_XDECREF(k->tsobj);
    if (r == 0)
        self->declined = k->no;
    if (r == 1 && self->out.n >= FLUSH_AT && flush_out(self) < 0)
        return -1;
    return r;
}

static PyObject *Lane_scan(Lane *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t pos, end, rec_len;
    long long no, div;
    long linktype;
    int big;
    if (!PyArg_ParseTuple(args, "y*nnLlLpn", &buf, &pos, &end, &no, &linktype, &div, &big, &rec_len))
        return NULL;
    const unsigned char *base = buf.buf;
    if (end > buf.len || pos < 0 || rec_len < 16 || div <= 0) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "scan: bad arguments");
        return NULL;
    }
    int r = 0;
    while (end - pos >= rec_len) {
        const unsigned char *h = base + pos;
        long long caplen = u32(h + 8, big);
        if (caplen > MAX_RECORD || pos + rec_len + caplen > end)
            break;
        Packet k = {0};
        k.no = no + 1;
        self->ts_sec = u32(h, big);
        self->ts_frac = u32(h + 4, big);
        self->ts_div = div;
        k.ts = (double)self->ts_sec + (double)self->ts_frac / (double)div;      /* sources/pcap.py's sec + frac / div */
        k.wirelen = u32(h + 12, big);
        k.linktype = linktype;
        k.p = h + rec_len;
        k.n = (Py_ssize_t)caplen;
        if ((r = scan_take(self, &k)) <= 0)
            break;
        no++;
        pos += rec_len + (Py_ssize_t)caplen;
    }
    PyBuffer_Release(&buf);
    if (r < 0 || flush_out(self) < 0)
        return NULL;
    return Py_BuildValue("nL", pos, no);
}

#define NG_EPB 6
#define NG_MAX_INTERFACES 64
#define EXACT_IN_DOUBLE (1LL << 53)

#ifdef __SIZEOF_INT128__
/* ticks / div correctly rounded to a double (half to even), as Python's int / int is: for counts past 2**53
 * (nanoseconds since 1970), where converting ticks to a double first would round twice. The quotient is taken
 * with ticks scaled up to ~2**127, so it has at least 64 significant bits; the 53 kept are rounded with all the
 * bits below them and the remainder as the sticky part. */
static double exact_quotient(uint64_t ticks, uint64_t div) {
    if (ticks == 0)
        return 0.0;
    int shift_in = 127 - (64 - __builtin_clzll(ticks));                /* ticks << shift_in has 127 bits */
    unsigned __int128 n = (unsigned __int128)ticks << shift_in;
    unsigned __int128 q = n / div;
    int sticky = n % div != 0;
    int len = 128 - (q >> 64 ? __builtin_clzll((uint64_t)(q >> 64)) : 64 + __builtin_clzll((uint64_t)q));
    int drop = len - 53;                                                /* >= 11: len >= 64 */
    uint64_t mant = (uint64_t)(q >> drop);
    unsigned __int128 rest = q & (((unsigned __int128)1 << drop) - 1), half = (unsigned __int128)1 << (drop - 1);
    if (rest > half || (rest == half && (sticky || (mant & 1))))
        mant++;                                                         /* 2**53 when it carries: still exact */
    return ldexp((double)mant, drop - shift_in);
}
#endif

/* scan_ng(buf, pos, end, no, interfaces, big_endian) -> (pos, no): scan() for pcapng, whose packets come in
 * Enhanced Packet Blocks. `interfaces` is sources/pcap.py's list of (linktype, divisor, offset seconds, snaplen)
 * for the section. It stops at the first block that is not a whole, sound EPB (or whose interface has an
 * offset past 2**53 s), and leaves it to sources/pcap.py, which reads it and says what is wrong with it. */
static PyObject *Lane_scan_ng(Lane *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t pos, end;
    long long no;
    PyObject *ifaces;
    int big;
    if (!PyArg_ParseTuple(args, "y*nnLO!p", &buf, &pos, &end, &no, &PyList_Type, &ifaces, &big))
        return NULL;
    if (end > buf.len || pos < 0) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "scan_ng: bad arguments");
        return NULL;
    }
    struct { long linktype; long long div, tsoff; } ifc[NG_MAX_INTERFACES];
    Py_ssize_t n_if = PyList_GET_SIZE(ifaces);
    if (n_if > NG_MAX_INTERFACES)
        n_if = 0;                          /* no packet is taken: Python reads them all */
    for (Py_ssize_t i = 0; i < n_if; i++) {
        PyObject *t = PyList_GET_ITEM(ifaces, i);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) < 3) {
            n_if = 0;
            break;
        }
        ifc[i].linktype = PyLong_AsLong(PyTuple_GET_ITEM(t, 0));
        ifc[i].div = PyLong_AsLongLong(PyTuple_GET_ITEM(t, 1));
        ifc[i].tsoff = PyLong_AsLongLong(PyTuple_GET_ITEM(t, 2));
        if (PyErr_Occurred()) {
            PyErr_Clear();                 /* a divisor or offset past 64 bits: left to Python */
            n_if = 0;
            break;
        }
    }
    const unsigned char *base = buf.buf;
    int r = 0;
    while (n_if && end - pos >= 32) {
        const unsigned char *h = base + pos;
        uint32_t btype = u32(h, big), blen = u32(h + 4, big);
        if (btype != NG_EPB || blen < 32 || (blen & 3) || blen > MAX_RECORD || pos + (Py_ssize_t)blen > end
            || u32(h + blen - 4, big) != blen)
            break;
        uint32_t iface = u32(h + 8, big), caplen = u32(h + 20, big);
        if (iface >= n_if || 28 + (long long)caplen > (long long)blen - 4)
            break;
        unsigned long long ticks = (unsigned long long)u32(h + 12, big) << 32 | u32(h + 16, big);
        long long div = ifc[iface].div, tsoff = ifc[iface].tsoff;
        if (div <= 0 || tsoff >= EXACT_IN_DOUBLE || tsoff <= -EXACT_IN_DOUBLE)
            break;
        Packet k = {0};
        k.no = no + 1;
        /* as Python's ticks / div + tsoff: one correctly rounded division, then the offset (exact as a double) */
        if (ticks < EXACT_IN_DOUBLE && div < EXACT_IN_DOUBLE)
            k.ts = (double)ticks / (double)div + (double)tsoff;
        else {
#ifdef __SIZEOF_INT128__
            k.ts = exact_quotient(ticks, (uint64_t)div) + (double)tsoff;
#else
            break;
#endif
        }
        k.wirelen = u32(h + 24, big);
        k.linktype = ifc[iface].linktype;
        self->ts_div = 0;
        if (div == 1000000 && tsoff == 0 && ticks / 1000000 < 0x100000000ULL) {
            self->ts_sec = (uint32_t)(ticks / 1000000);
            self->ts_frac = (uint32_t)(ticks % 1000000);
            self->ts_div = div;
        }
        k.p = h + 28;
        k.n = caplen;
        if ((r = scan_take(self, &k)) <= 0)
            break;
        no++;
        pos += blen;
    }
    PyBuffer_Release(&buf);
    if (r < 0 || flush_out(self) < 0)
        return NULL;
    return Py_BuildValue("nL", pos, no);
}

static PyObject *Lane_flush(Lane *self, PyObject *unused) {
    if (flush_out(self) < 0 || acc_sync_all(self, 1) < 0 || conn_sync_all(self, 1) < 0 || conns_in_order(self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef Lane_methods[] = {
    {"feed", (PyCFunction)Lane_feed, METH_O,
     "feed(raw) -> True when the lane analysed the packet and wrote its JSON row; False when it changed nothing "
     "and the Python path must take it (pending output is written first)."},
    {"scan", (PyCFunction)Lane_scan, METH_VARARGS,
     "scan(buf, pos, end, no, linktype, div, big_endian, rec_len) -> (pos, no): take the classic pcap records of "
     "buf[pos:end] the lane can, up to the first it cannot (left for the Python path)."},
    {"scan_ng", (PyCFunction)Lane_scan_ng, METH_VARARGS,
     "scan_ng(buf, pos, end, no, interfaces, big_endian) -> (pos, no): scan() for the Enhanced Packet Blocks of a "
     "pcapng section."},
    {"flush", (PyCFunction)Lane_flush, METH_NOARGS, "Write the pending output."},
    {NULL}};

static PyObject *Lane_get_own(Lane *self, void *last) {
    return PyLong_FromLongLong(last ? self->last_own : self->first_own);
}

static PyGetSetDef Lane_getset[] = {
    {"first_own", (getter)Lane_get_own, NULL, "A parallel read's worker: the first packet it took as its own, or -1.",
     NULL},
    {"last_own", (getter)Lane_get_own, NULL, "The same for the last.", (void *)1},
    {NULL}};

static PyTypeObject LaneType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wsdissect._fastlane.Lane",
    .tp_basicsize = sizeof(Lane),
    .tp_dealloc = (destructor)Lane_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)Lane_traverse,
    .tp_clear = (inquiry)Lane_clear,
    .tp_methods = Lane_methods,
    .tp_getset = Lane_getset,
    .tp_init = (initproc)Lane_init,
    .tp_new = PyType_GenericNew,
    .tp_doc = "Lane(spec): the C fast lane of `read --json` (see wsdissect/fastlane.py).",
};

/* utf8_check(data, chars) -> (characters or -1 when not UTF-8, bytes of the first `chars` characters): the
 * lane's text check and JSON cut, for tests/test_fastlane.py to hold against Python's own decoder. */
static PyObject *utf8_check(PyObject *mod, PyObject *args) {
    Py_buffer data;
    Py_ssize_t chars;
    if (!PyArg_ParseTuple(args, "y*n:utf8_check", &data, &chars))
        return NULL;
    Py_ssize_t n = utf8_chars(data.buf, data.len);
    Py_ssize_t cut = n < 0 ? -1 : utf8_prefix(data.buf, data.len, chars);
    PyBuffer_Release(&data);
    return Py_BuildValue("nn", n, cut);
}

/* owner(data, linktype, workers) -> the worker of a parallel read whose packet this is, or -1 when the C decoder
 * does not read it as TCP. */
static PyObject *owner(PyObject *mod, PyObject *args) {
    Py_buffer data;
    long linktype, count;
    if (!PyArg_ParseTuple(args, "y*ll:owner", &data, &linktype, &count))
        return NULL;
    Seg s;
    int r = count > 0 && decode(data.buf, data.len, linktype, &s) ? seg_owner(&s, count) : -1;
    PyBuffer_Release(&data);
    return PyLong_FromLong(r);
}

/* owner_of(src, sport, dst, dport, workers): the same for a TCP segment the Python decoder read (addresses of 4
 * or 16 bytes). */
static PyObject *owner_of(PyObject *mod, PyObject *args) {
    Py_buffer a, b;
    unsigned int aport, bport;
    long count;
    if (!PyArg_ParseTuple(args, "y*Iy*Il:owner_of", &a, &aport, &b, &bport, &count))
        return NULL;
    PyObject *r = NULL;
    if ((a.len != 4 && a.len != 16) || a.len != b.len || count < 1)
        PyErr_SetString(PyExc_ValueError, "owner_of: addresses of 4 or 16 bytes, both alike; workers >= 1");
    else
        r = PyLong_FromLong(owner_of_ends(a.buf, aport & 0xFFFF, b.buf, bport & 0xFFFF, (size_t)a.len, count));
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return r;
}

static PyMethodDef module_functions[] = {
    {"owner", owner, METH_VARARGS, "The worker of a parallel read whose packet this is (-1: not read as TCP)."},
    {"owner_of", owner_of, METH_VARARGS, "The worker of a parallel read whose connection has these ends."},
    {"utf8_check", utf8_check, METH_VARARGS, "The lane's UTF-8 check and cut (for tests)."},
    {NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastlane",
                                    "The common packet of a busy capture, analysed and written as JSON in C.", -1,
                                    module_functions};

PyMODINIT_FUNC PyInit__fastlane(void) {
    b64_pairs_init();
    if (PyType_Ready(&LaneType) < 0 || PyType_Ready(&EntryType) < 0 || PyType_Ready(&AccCacheType) < 0
        || PyType_Ready(&ConnCacheType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Lane", (PyObject *)&LaneType) < 0
        || inflate_add_to_module(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
