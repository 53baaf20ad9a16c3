/* Java admin bodies (ConsumeStats, TopicStatsTable) key maps by inline
 * objects: {{"brokerName":"b","queueId":0,"topic":"T"}:{…}} (docs/protocol.md §5.6). This
 * turns each such key into a string holding the object's text, so standard
 * JSON parsers (and rmq_json_parse_lenient for numeric keys) accept it. */
#include <config.h>

#include "client/internal.h"

#include "remoting/json_body.h"

/* Index just past the JSON value starting at text[i] ('{'), or 0. */
static gsize
skip_object(const gchar *text, gsize len, gsize i)
{
    gint depth = 0;
    for (; i < len; i++) {
        gchar c = text[i];
        if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\')
                    i++;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                return i + 1;
        }
    }
    return 0;
}

static void
append_json_string(GString *out, const gchar *s, gsize n)
{
    g_string_append_c(out, '"');
    for (gsize i = 0; i < n; i++) {
        gchar c = s[i];
        if (c == '"' || c == '\\')
            g_string_append_c(out, '\\');
        if ((guchar) c < 0x20)
            g_string_append_printf(out, "\\u%04x", (guint) (guchar) c);
        else
            g_string_append_c(out, c);
    }
    g_string_append_c(out, '"');
}

JsonNode *
rmq_mq_parse_fastjson(const guint8 *data, gsize len, GError **error)
{
    const gchar *text = (const gchar *) data;
    g_autoptr(GString) out = g_string_sized_new(len + 16);
    g_autoptr(GByteArray) stack = g_byte_array_new();
    gboolean expect_key = FALSE;
    for (gsize i = 0; i < len; i++) {
        gchar c = text[i];
        if (c == '"') {
            gsize start = i;
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\')
                    i++;
            g_string_append_len(out, text + start, (gssize) (MIN(i + 1, len) - start));
            continue;
        }
        if (c == '{' && expect_key) {
            gsize end = skip_object(text, len, i);
            if (end == 0)
                break; /* unbalanced: let the parser report it */
            append_json_string(out, text + i, end - i);
            i = end - 1;
            expect_key = FALSE;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            g_string_append_c(out, c);
            continue;
        }
        switch (c) {
        case '{':
            g_byte_array_append(stack, (const guint8 *) "{", 1);
            expect_key = TRUE;
            break;
        case '[':
            g_byte_array_append(stack, (const guint8 *) "[", 1);
            expect_key = FALSE;
            break;
        case '}':
        case ']':
            if (stack->len)
                g_byte_array_set_size(stack, stack->len - 1);
            expect_key = FALSE;
            break;
        case ',':
            expect_key = stack->len && stack->data[stack->len - 1] == '{';
            break;
        default:
            expect_key = FALSE;
            break;
        }
        g_string_append_c(out, c);
    }
    g_autoptr(GError) local = NULL;
    JsonNode *n = rmq_json_parse_lenient(out->str, (gssize) out->len, &local);
    if (n == NULL)
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL, "body is not JSON: %s",
                    local->message);
    return n;
}
