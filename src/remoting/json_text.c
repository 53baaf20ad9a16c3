#include <config.h>

#include "remoting/json_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char hex_upper[] = "0123456789ABCDEF";

static inline gboolean
needs_no_escape(guchar c)
{
    return c >= 0x20 && c != '"' && c != '\\' && c != 0x7f;
}

void
rmq_json_text_append_string(GString *out, const gchar *s, gssize len)
{
    gsize n = len < 0 ? strlen(s) : (gsize) len;
    gsize run = 0; /* start of the pending run of bytes that need no escape */
    gsize i = 0;

    while (i < n && needs_no_escape((guchar) s[i]))
        i++;
    if (i == n) { /* the common case: one copy between the quotes */
        gsize at = out->len;
        g_string_set_size(out, at + n + 2);
        out->str[at] = '"';
        memcpy(out->str + at + 1, s, n);
        out->str[at + n + 1] = '"';
        return;
    }
    g_string_append_c(out, '"');
    for (; i < n; i++) {
        guchar c = (guchar) s[i];
        const char *esc = NULL;

        if (needs_no_escape(c))
            continue;
        g_string_append_len(out, s + run, (gssize) (i - run));
        run = i + 1;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\f': esc = "\\f"; break;
        case '\r': esc = "\\r"; break;
        default: break;
        }
        if (esc != NULL) {
            g_string_append(out, esc);
        } else {
            char u[7] = { '\\', 'u', '0', '0', hex_upper[c >> 4], hex_upper[c & 0xf], 0 };
            g_string_append_len(out, u, 6);
        }
    }
    g_string_append_len(out, s + run, (gssize) (n - run));
    g_string_append_c(out, '"');
}

gsize
rmq_json_text_format_int64(gint64 v, gchar buf[RMQ_JSON_INT64_MAX_LEN])
{
    /* magnitude as unsigned: -G_MININT64 does not fit a gint64 */
    guint64 u = v < 0 ? (guint64) 0 - (guint64) v : (guint64) v;
    gchar tmp[RMQ_JSON_INT64_MAX_LEN];
    gsize n = 0, len = 0;

    do {
        tmp[n++] = (gchar) ('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        buf[len++] = '-';
    while (n > 0)
        buf[len++] = tmp[--n];
    return len;
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
