/* JSON text output the way Java fastjson writes it, shared by the header
 * encoder and the JSON body writer. */
#pragma once

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

/* Append @s (UTF-8, @len bytes or -1 for NUL-terminated) as a JSON string
 * literal with fastjson's escaping: \" \\ \b \t \n \f \r, other control
 * characters and DEL as \u00XX (upper-case hex); '/' and non-ASCII raw. */
void rmq_json_text_append_string(GString *out, const gchar *s, gssize len);
/* The same written at @dst, which has room for RMQ_JSON_STRING_MAX_LEN(@n)
 * bytes (every byte may become a \u00XX); returns the end of what it wrote. */
#define RMQ_JSON_STRING_MAX_LEN(n) ((n) * 6 + 2)
gchar *rmq_json_text_put_string(gchar *dst, const gchar *s, gsize n);
/* memcpy(@dst, @src, @n) without the call for the short keys and values of
 * a header (up to 16 bytes: two overlapping loads and stores, reading and
 * writing only within the @n bytes); longer ones go to memcpy. Returns
 * @dst + @n. */
static inline gchar *
rmq_json_text_copy_short(gchar *dst, const gchar *src, gsize n)
{
    if (n >= 8 && n <= 16) {
        guint64 a, b;
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        guint32 a, b;
        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else if (n < 4) {
        for (gsize i = 0; i < n; i++)
            dst[i] = src[i];
    } else {
        memcpy(dst, src, n);
    }
    return dst + n;
}
/* Decimal text of @v into @buf (no NUL); returns its length. printf is
 * slow enough to show in a profile of the header encoder. */
#define RMQ_JSON_INT64_MAX_LEN 20
gsize rmq_json_text_format_int64(gint64 v, gchar buf[RMQ_JSON_INT64_MAX_LEN]);
void rmq_json_text_append_int64(GString *out, gint64 v);
/* Shortest decimal text that reads back as @d ("1.5", "16", "1e+20").
 * Non-finite values are written as 0 (JSON has no NaN). */
void rmq_json_text_append_double(GString *out, gdouble d);
/* Java's Double.toString for the values RocketMQ bodies and tables carry:
 * whole numbers keep ".0" ("consumeTps":0.0, "12.0"), others as above. */
void rmq_json_text_append_java_double(GString *out, gdouble d);

/* Deepest nesting accepted from peers: json-glib parses recursively and
 * overflows the stack somewhere below 100000 levels. */
#define RMQ_JSON_MAX_DEPTH 512

/* Cheap pre-check before handing peer text to json-glib: brackets outside
 * string literals nest at most @max_depth deep, and only whitespace follows
 * a top-level object or array (json-glib 1.6 ignores what follows, e.g. the
 * second object of "{}{}"). Not a validator: json-glib still judges the rest.
 * On FALSE, *why says what is wrong. */
gboolean rmq_json_text_check_shape(const gchar *text, gsize len, guint max_depth,
                                   const gchar **why);

G_END_DECLS
