/* java.util.Properties.load(), byte for byte: the LineReader (logical lines,
 * comments, continuation) then load0's key/value split and loadConvert's
 * escapes. Bytes >= 0x80 are never syntax, so UTF-8 passes through. */
/* <config.h>: a quoted "config.h" would find common/config.h next to this file */
#include <config.h>

#include "common/properties.h"

#include <string.h>

G_DEFINE_QUARK(rmq-properties-error-quark, rmq_properties_error)

void rmq_property_free(RmqProperty *prop)
{
    if (prop == NULL)
        return;
    g_free(prop->key);
    g_free(prop->value);
    g_free(prop);
}

static gboolean is_blank(gchar c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

static gboolean is_eol(gchar c)
{
    return c == '\n' || c == '\r';
}

/* Consumes one line terminator (\n, \r or \r\n) at *pos. */
static void skip_eol(const gchar *text, gsize len, gsize *pos, guint *line)
{
    if (*pos < len && text[*pos] == '\r') {
        (*pos)++;
        if (*pos < len && text[*pos] == '\n')
            (*pos)++;
    } else if (*pos < len && text[*pos] == '\n') {
        (*pos)++;
    }
    (*line)++;
}

static gint hex_value(gchar c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* loadConvert: \t \n \r \f, \uXXXX (UTF-16, surrogate pairs joined), any
 * other escaped character stands for itself. */
static gchar *unescape(const gchar *in, gsize n, const gchar *source, guint line, GError **error)
{
    g_autoptr(GString) out = g_string_sized_new(n);
    gunichar high = 0; /* pending high surrogate */
    gsize i = 0;

    while (i < n) {
        gchar c = in[i++];
        gunichar unit = 0;
        gboolean is_unit = FALSE;

        if (c == '\\' && i < n) {
            c = in[i++];
            if (c == 'u') {
                for (gint k = 0; k < 4; k++) {
                    gint v = i < n ? hex_value(in[i]) : -1;
                    if (v < 0) {
                        if (source != NULL)
                            g_set_error(error, RMQ_PROPERTIES_ERROR, RMQ_PROPERTIES_ERROR_ESCAPE,
                                        "%s:%u: malformed \\uXXXX escape", source, line);
                        else
                            g_set_error(error, RMQ_PROPERTIES_ERROR, RMQ_PROPERTIES_ERROR_ESCAPE,
                                        "line %u: malformed \\uXXXX escape", line);
                        return NULL;
                    }
                    unit = unit << 4 | (gunichar) v;
                    i++;
                }
                is_unit = TRUE;
            } else if (c == 't') {
                c = '\t';
            } else if (c == 'n') {
                c = '\n';
            } else if (c == 'r') {
                c = '\r';
            } else if (c == 'f') {
                c = '\f';
            }
        } else if (c == '\\') {
            break; /* a lone backslash at the very end escapes nothing */
        }

        if (is_unit && unit >= 0xDC00 && unit <= 0xDFFF && high != 0) {
            g_string_append_unichar(out, 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00));
            high = 0;
            continue;
        }
        if (high != 0) { /* unpaired high surrogate */
            g_string_append_unichar(out, 0xFFFD);
            high = 0;
        }
        if (is_unit && unit >= 0xD800 && unit <= 0xDBFF) {
            high = unit;
        } else if (is_unit && unit >= 0xDC00 && unit <= 0xDFFF) {
            g_string_append_unichar(out, 0xFFFD);
        } else if (is_unit) {
            g_string_append_unichar(out, unit);
        } else {
            g_string_append_c(out, c);
        }
    }
    if (high != 0)
        g_string_append_unichar(out, 0xFFFD);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* load0: the key ends at the first unescaped '=', ':' or blank; blanks and
 * at most one '='/':' separate it from the value. */
static RmqProperty *split_entry(const gchar *buf, gsize limit, const gchar *source, guint line,
                                GError **error)
{
    gsize key_len = 0, value_start = limit;
    gboolean has_sep = FALSE, backslash = FALSE;

    for (; key_len < limit; key_len++) {
        gchar c = buf[key_len];
        if ((c == '=' || c == ':') && !backslash) {
            value_start = key_len + 1;
            has_sep = TRUE;
            break;
        }
        if (is_blank(c) && !backslash) {
            value_start = key_len + 1;
            break;
        }
        backslash = c == '\\' ? !backslash : FALSE;
    }
    for (; value_start < limit; value_start++) {
        gchar c = buf[value_start];
        if (is_blank(c))
            continue;
        if (!has_sep && (c == '=' || c == ':')) {
            has_sep = TRUE;
            continue;
        }
        break;
    }

    g_autoptr(RmqProperty) prop = g_new0(RmqProperty, 1);
    prop->line = line;
    prop->key = unescape(buf, key_len, source, line, error);
    if (prop->key == NULL)
        return NULL;
    prop->value = unescape(buf + value_start, limit - value_start, source, line, error);
    if (prop->value == NULL)
        return NULL;
    return g_steal_pointer(&prop);
}

GPtrArray *rmq_properties_parse(const gchar *text, gssize len, const gchar *source_name,
                                GError **error)
{
    g_return_val_if_fail(text != NULL, NULL);

    gsize n = len < 0 ? strlen(text) : (gsize) len;
    g_autofree gchar *converted = NULL;
    if (!g_utf8_validate(text, (gssize) n, NULL)) {
        gsize written = 0;
        converted = g_convert(text, (gssize) n, "UTF-8", "ISO-8859-1", NULL, &written, NULL);
        if (converted != NULL) {
            text = converted;
            n = written;
        }
    }

    g_autoptr(GPtrArray) props = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_property_free);
    g_autoptr(GString) buf = g_string_new(NULL);
    gsize pos = 0;
    guint line = 1;

    while (pos < n) {
        while (pos < n && is_blank(text[pos]))
            pos++;
        if (pos >= n)
            break;
        if (is_eol(text[pos])) { /* blank line */
            skip_eol(text, n, &pos, &line);
            continue;
        }
        if (text[pos] == '#' || text[pos] == '!') { /* comments never continue */
            while (pos < n && !is_eol(text[pos]))
                pos++;
            skip_eol(text, n, &pos, &line);
            continue;
        }

        guint start_line = line;
        g_string_truncate(buf, 0);
        for (;;) {
            gsize seg = buf->len;
            while (pos < n && !is_eol(text[pos]))
                g_string_append_c(buf, text[pos++]);
            gboolean at_eof = pos >= n;
            if (!at_eof)
                skip_eol(text, n, &pos, &line);

            gsize backslashes = 0;
            while (buf->len - backslashes > seg && buf->str[buf->len - backslashes - 1] == '\\')
                backslashes++;
            if (backslashes % 2 == 0)
                break;
            g_string_truncate(buf, buf->len - 1);
            if (at_eof)
                break;
            /* the continuation line's leading blanks are not part of the value */
            while (pos < n && is_blank(text[pos]))
                pos++;
        }

        RmqProperty *prop = split_entry(buf->str, buf->len, source_name, start_line, error);
        if (prop == NULL)
            return NULL;
        g_ptr_array_add(props, prop);
    }
    return g_steal_pointer(&props);
}
