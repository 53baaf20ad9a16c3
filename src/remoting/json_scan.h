/* Word-at-a-time scans over JSON string text. A header's strings are a few
 * hundred bytes per request; looking at eight at once instead of one is
 * most of what the header parser and encoder spend on them. */
#pragma once

#include <glib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

G_BEGIN_DECLS

#define RMQ_JSON_SCAN_ONES G_GUINT64_CONSTANT(0x0101010101010101)
#define RMQ_JSON_SCAN_HIGHS G_GUINT64_CONSTANT(0x8080808080808080)

/* High bit set in each byte of @w that equals @c. A borrow only runs past a
 * byte that matched, so the lowest flagged byte is always a true match
 * (higher ones may be false): callers use only the first. */
static inline guint64
rmq_json_scan_eq(guint64 w, guchar c)
{
    guint64 x = w ^ (RMQ_JSON_SCAN_ONES * c);
    return (x - RMQ_JSON_SCAN_ONES) & ~x & RMQ_JSON_SCAN_HIGHS;
}

/* High bit set in bytes of @w below 0x20 (same lowest-byte rule). */
static inline guint64
rmq_json_scan_control(guint64 w)
{
    return (w - RMQ_JSON_SCAN_ONES * 0x20) & ~w & RMQ_JSON_SCAN_HIGHS;
}

/* Per byte: 1 = ends a plain run ('"', '\\', control), 2 = DEL. */
static const guint8 rmq_json_scan_stops[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1, [0x7f] = 2,
};

/* Length of the leading run of @p[0..@n) with no '"', '\\' or control
 * character, and with no DEL either when @stop_del (fastjson escapes it on
 * output; a parser takes it raw). With @high, a 0x80 bit is set in it when
 * a byte of the run (or maybe of the few after it, within @n) is not
 * ASCII: callers read only those bits. Sixteen bytes at a time with SSE2
 * (x86-64 has it always), then eight, then one. */
static inline gsize
rmq_json_scan_plain(const gchar *p, gsize n, gboolean stop_del, guint64 *high)
{
    gsize i = 0;
    guint64 acc = 0;
#if defined(__SSE2__)
    if (n >= 16) {
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
        const __m128i below = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);
        __m128i all = _mm_setzero_si128();
        for (; n - i >= 16; i += 16) {
            __m128i w = _mm_loadu_si128((const __m128i *) (const void *) (p + i));
            /* a byte below 0x20 is its own unsigned minimum with 0x1f */
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, quote),
                                                  _mm_cmpeq_epi8(w, bslash)),
                                     _mm_cmpeq_epi8(_mm_min_epu8(w, below), w));
            if (stop_del)
                m = _mm_or_si128(m, _mm_cmpeq_epi8(w, del));
            all = _mm_or_si128(all, w);
            int stops = _mm_movemask_epi8(m);
            if (stops != 0) {
                if (high != NULL && _mm_movemask_epi8(all) != 0)
                    *high |= RMQ_JSON_SCAN_HIGHS;
                return i + (gsize) __builtin_ctz((unsigned) stops);
            }
        }
        if (_mm_movemask_epi8(all) != 0)
            acc = RMQ_JSON_SCAN_HIGHS;
    }
#endif
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    for (; n - i >= 8; i += 8) {
        guint64 w;
        memcpy(&w, p + i, 8);
        guint64 m = rmq_json_scan_eq(w, '"') | rmq_json_scan_eq(w, '\\') |
                    rmq_json_scan_control(w);
        if (stop_del)
            m |= rmq_json_scan_eq(w, 0x7f);
        if (high != NULL) /* whole word: bytes past the stop may only make a
                           * caller check UTF-8 it did not need to */
            acc |= w;
        if (m != 0) {
            if (high != NULL)
                *high |= acc;
            return i + (gsize) (__builtin_ctzll(m) >> 3);
        }
    }
#endif
    /* The tail (and short strings: most keys and many values) a byte at a
     * time, one table load per byte instead of four compares. */
    const guint8 stop = stop_del ? 3 : 1;
    for (; i < n; i++) {
        guchar c = (guchar) p[i];
        if (rmq_json_scan_stops[c] & stop)
            break;
        acc |= c;
    }
    if (high != NULL)
        *high |= acc;
    return i;
}

G_END_DECLS
