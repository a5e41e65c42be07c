/* wsdissect/_decode.h: decode.py's decode_packet in C, for the TCP segments the C code handles itself (the fast
 * lane's packets, and which worker of a parallel read a packet belongs to). Anything it does not decode it
 * declines (returns 0), and the Python decoder says what that packet is. Used by _fastlane.c. */
#ifndef WSDISSECT_DECODE_H
#define WSDISSECT_DECODE_H

#include <Python.h>
#include <stdint.h>

typedef struct {
    const unsigned char *data;
    int version;
    const unsigned char *src, *dst;   /* 4 or 16 bytes */
    unsigned sport, dport, flags, window;
    uint32_t seq, ack;
    Py_ssize_t start, plen;           /* payload at data[start:start + plen] */
} Seg;

static inline unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static inline uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* 1: a whole TCP segment, 0: anything else (left to decode.py). */
static inline int decode(const unsigned char *p, Py_ssize_t n, long linktype, Seg *s) {
    Py_ssize_t off;
    int version;
    if (linktype == 1 || linktype == 113 || linktype == 276) {
        Py_ssize_t at = linktype == 1 ? 12 : linktype == 113 ? 14 : 0;
        off = linktype == 1 ? 14 : linktype == 113 ? 16 : 20;
        if (n < off)
            return 0;
        unsigned etype = be16(p + at);
        while (etype == 0x8100 || etype == 0x88A8 || etype == 0x9100) {
            if (n < off + 4)
                return 0;
            etype = be16(p + off + 2);
            off += 4;
        }
        if (etype == 0x0800)
            version = 4;
        else if (etype == 0x86DD)
            version = 6;
        else
            return 0;
    } else {
        if (linktype == 101 || linktype == 12 || linktype == 14 || linktype == 228 || linktype == 229)
            off = 0;
        else if (linktype == 0 || linktype == 108) {
            if (n < 4)
                return 0;
            uint32_t family;
            if (linktype == 108)
                family = be32(p);
            else {
                family = le32(p);
                if (family > 0xFFFF)
                    family = be32(p);
            }
            if (family != 2 && family != 24 && family != 28 && family != 30)
                return 0;
            off = 4;
        } else
            return 0;
        if (n <= off)
            return 0;
        version = p[off] >> 4;
        if (version != 4 && version != 6)
            return 0;
    }
    Py_ssize_t t, ip_end;
    if (version == 4) {
        if (n - off < 20 || p[off] >> 4 != 4)
            return 0;
        Py_ssize_t ihl = (p[off] & 15) << 2;
        if (ihl < 20 || n - off < ihl)
            return 0;
        unsigned total = be16(p + off + 2), frag = be16(p + off + 6);
        if (p[off + 9] != 6 || (frag & 0x3FFF))
            return 0;
        if (total == 0)
            total = (unsigned)(n - off);
        else if (total < ihl)
            return 0;
        t = off + ihl;
        ip_end = off + total;
        s->src = p + off + 12;
        s->dst = p + off + 16;
    } else {
        if (n - off < 40 || p[off] >> 4 != 6)
            return 0;
        unsigned plen = be16(p + off + 4);
        if (p[off + 6] != 6)           /* extension headers: decode.py */
            return 0;
        t = off + 40;
        ip_end = plen ? t + plen : n;
        s->src = p + off + 8;
        s->dst = p + off + 24;
    }
    if (ip_end > n || ip_end - t < 20)  /* snaplen cut (bytes missing) or a short header */
        return 0;
    Py_ssize_t hl = (p[t + 12] >> 4) << 2;
    if (hl < 20 || t + hl > ip_end)
        return 0;
    s->data = p;
    s->version = version;
    s->sport = be16(p + t);
    s->dport = be16(p + t + 2);
    s->seq = be32(p + t + 4);
    s->ack = be32(p + t + 8);
    s->flags = p[t + 13];
    s->window = be16(p + t + 14);
    s->start = t + hl;
    s->plen = ip_end - s->start;
    return 1;
}

#endif
