/* Word-at-a-time scans over JSON string text. A header's strings are a few
 * hundred bytes per request; looking at eight at once instead of one is
 * most of what the header parser and encoder spend on them. */
#pragma once

#include <glib.h>
#include <string.h>

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
 * output; a parser takes it raw). With @high, the bytes of the run (and
 * maybe a few after it) are OR-ed into it: no 0x80 bit means all ASCII. */
static inline gsize
rmq_json_scan_plain(const gchar *p, gsize n, gboolean stop_del, guint64 *high)
{
    gsize i = 0;
    guint64 acc = 0;
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
