#include <config.h>

#include "remoting/json_text.h"

#include "remoting/json_scan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char hex_upper[] = "0123456789ABCDEF";

gchar *
rmq_json_text_put_string(gchar *dst, const gchar *s, gsize n)
{
    gsize i = 0;

    *dst++ = '"';
    for (;;) {
        /* A plain run, copied while it is scanned: a word at a time (each
         * word is stored whole; bytes past a stop are written over by what
         * follows, within the room), then the tail a byte at a time. No
         * memcpy call: most strings of a header are a few bytes long. */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
        while (n - i >= 8) {
            guint64 w;
            memcpy(&w, s + i, 8);
            guint64 m = rmq_json_scan_eq(w, '"') | rmq_json_scan_eq(w, '\\') |
                        rmq_json_scan_control(w) | rmq_json_scan_eq(w, 0x7f);
            memcpy(dst, &w, 8);
            if (m != 0) {
                gsize k = (gsize) (__builtin_ctzll(m) >> 3);
                dst += k;
                i += k;
                goto stop;
            }
            dst += 8;
            i += 8;
        }
#endif
        while (i < n && !(rmq_json_scan_stops[(guchar) s[i]] & 3))
            *dst++ = s[i++];
        if (i >= n)
            break;
    stop:;
        guchar c = (guchar) s[i++];
        gchar esc = 0;
        switch (c) {
        case '"': esc = '"'; break;
        case '\\': esc = '\\'; break;
        case '\b': esc = 'b'; break;
        case '\t': esc = 't'; break;
        case '\n': esc = 'n'; break;
        case '\f': esc = 'f'; break;
        case '\r': esc = 'r'; break;
        default: break;
        }
        *dst++ = '\\';
        if (esc != 0) {
            *dst++ = esc;
        } else { /* other control characters and DEL */
            memcpy(dst, "u00", 3);
            dst[3] = hex_upper[c >> 4];
            dst[4] = hex_upper[c & 0xf];
            dst += 5;
        }
    }
    *dst++ = '"';
    return dst;
}

void
rmq_json_text_append_string(GString *out, const gchar *s, gssize len)
{
    gsize n = len < 0 ? strlen(s) : (gsize) len;
    gsize at = out->len;

    g_string_set_size(out, at + RMQ_JSON_STRING_MAX_LEN(n));
    gchar *end = rmq_json_text_put_string(out->str + at, s, n);
    g_string_truncate(out, (gsize) (end - out->str));
}

/* "00".."99": two digits per division (an opaque or an offset per frame). */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

gsize
rmq_json_text_format_int64(gint64 v, gchar buf[RMQ_JSON_INT64_MAX_LEN])
{
    if ((guint64) v < 10) { /* a response's code and flag */
        buf[0] = (gchar) ('0' + v);
        return 1;
    }
    /* magnitude as unsigned: -G_MININT64 does not fit a gint64 */
    guint64 u = v < 0 ? (guint64) 0 - (guint64) v : (guint64) v;
    gsize len = v < 0;
    /* digits first (at most 19), then written from the end backwards in
     * place: no copy from a scratch buffer */
    guint digits = 1;
    for (guint64 p = 10; u >= p;) {
        if (++digits == 19)
            break; /* 10^19 would not fit */
        p *= 10;
    }
    buf[0] = '-'; /* overwritten by a digit when not negative */
    gchar *end = buf + len + digits, *w = end;
    while (u >= 100) {
        guint d = (guint) (u % 100) * 2;
        u /= 100;
        *--w = digit_pairs[d + 1];
        *--w = digit_pairs[d];
    }
    if (u >= 10) {
        *--w = digit_pairs[u * 2 + 1];
        *--w = digit_pairs[u * 2];
    } else {
        *--w = (gchar) ('0' + u);
    }
    return (gsize) (end - buf);
}

void
rmq_json_text_append_int64(GString *out, gint64 v)
{
    gchar buf[RMQ_JSON_INT64_MAX_LEN];

    g_string_append_len(out, buf, (gssize) rmq_json_text_format_int64(v, buf));
}

void
rmq_json_text_append_double(GString *out, gdouble d)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    if (!isfinite(d)) {
        g_string_append_c(out, '0');
        return;
    }
    /* Fewest digits that survive the round trip, so 0.1 stays "0.1". */
    for (int prec = 15; prec <= 17; prec++) {
        g_ascii_formatd(buf, sizeof buf, prec == 15 ? "%.15g" : prec == 16 ? "%.16g" : "%.17g", d);
        if (prec == 17 || g_ascii_strtod(buf, NULL) == d)
            break;
    }
    g_string_append(out, buf);
}

static gboolean
is_json_space(gchar c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

gboolean
rmq_json_text_check_shape(const gchar *text, gsize len, guint max_depth, const gchar **why)
{
    gboolean in_string = FALSE;
    guint depth = 0;
    gsize i = 0;

    while (i < len && is_json_space(text[i]))
        i++;
    if (i < len && text[i] != '{' && text[i] != '[')
        return TRUE; /* a scalar: json-glib reads it whole */
    for (; i < len; i++) {
        gchar c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = FALSE;
        } else if (c == '"') {
            in_string = TRUE;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                *why = "nested too deeply";
                return FALSE;
            }
        } else if ((c == '}' || c == ']') && --depth == 0) {
            break;
        }
    }
    for (i++; i < len; i++) {
        if (!is_json_space(text[i])) {
            *why = "trailing data after the JSON value";
            return FALSE;
        }
    }
    return TRUE;
}

void
rmq_json_text_append_java_double(GString *out, gdouble d)
{
    if (isfinite(d) && d == floor(d) && fabs(d) < 1e15)
        g_string_append_printf(out, "%.1f", d);
    else
        rmq_json_text_append_double(out, d);
}
