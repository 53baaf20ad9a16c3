#include <config.h>

#include "remoting/json_body.h"

#include <math.h>
#include <string.h>

#include "remoting/json_text.h"

G_DEFINE_QUARK(rmq-json-body-error-quark, rmq_json_body_error)

static gboolean
is_space(gchar c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Copy @text, quoting integer object keys that fastjson leaves bare. A key
 * position is right after '{' or ',' outside string literals; a run of
 * digits there is a key only if ':' follows, so array items stay as they are. */
static GString *
quote_numeric_keys(const char *text, gsize len)
{
    GString *out = g_string_sized_new(len + 16);
    gboolean in_string = FALSE;
    gboolean key_pos = FALSE;

    for (gsize i = 0; i < len; i++) {
        gchar c = text[i];
        if (in_string) {
            g_string_append_c(out, c);
            if (c == '\\' && i + 1 < len)
                g_string_append_c(out, text[++i]);
            else if (c == '"')
                in_string = FALSE;
            continue;
        }
        if (key_pos && (c == '-' || g_ascii_isdigit(c))) {
            gsize j = i + (c == '-');
            while (j < len && g_ascii_isdigit(text[j]))
                j++;
            gsize k = j;
            while (k < len && is_space(text[k]))
                k++;
            if (j > i + (c == '-') && k < len && text[k] == ':') {
                g_string_append_c(out, '"');
                g_string_append_len(out, text + i, (gssize) (j - i));
                g_string_append_c(out, '"');
                i = j - 1;
                key_pos = FALSE;
                continue;
            }
        }
        if (c == '"')
            in_string = TRUE;
        if (!is_space(c))
            key_pos = c == '{' || c == ',';
        g_string_append_c(out, c);
    }
    return out;
}

JsonNode *
rmq_json_parse_lenient(const char *text, gssize len, GError **error)
{
    g_return_val_if_fail(text != NULL || len == 0, NULL);

    gsize n = len < 0 ? strlen(text) : (gsize) len;
    g_autoptr(GString) fixed = quote_numeric_keys(text, n);
    g_autoptr(JsonParser) parser = json_parser_new(); /* mutable: callers may edit */
    g_autoptr(GError) local = NULL;
    const gchar *why = NULL;

    if (!rmq_json_text_check_shape(fixed->str, fixed->len, RMQ_JSON_MAX_DEPTH, &why)) {
        g_set_error(error, RMQ_JSON_BODY_ERROR, RMQ_JSON_BODY_ERROR_PARSE, "bad JSON: %s", why);
        return NULL;
    }
    if (!json_parser_load_from_data(parser, fixed->str, (gssize) fixed->len, &local)) {
        g_set_error(error, RMQ_JSON_BODY_ERROR, RMQ_JSON_BODY_ERROR_PARSE, "bad JSON: %s",
                    local->message);
        return NULL;
    }
    g_autoptr(JsonNode) root = json_parser_steal_root(parser);
    if (root == NULL) {
        g_set_error(error, RMQ_JSON_BODY_ERROR, RMQ_JSON_BODY_ERROR_PARSE, "empty JSON text");
        return NULL;
    }
    return g_steal_pointer(&root);
}

/* json-glib hands out invalid UTF-8 for a lone surrogate escape ("\ud83d");
 * never pass such bytes on. */
static void
append_string(GString *out, const gchar *s)
{
    if (g_utf8_validate(s, -1, NULL)) {
        rmq_json_text_append_string(out, s, -1);
    } else {
        g_autofree gchar *valid = g_utf8_make_valid(s, -1);
        rmq_json_text_append_string(out, valid, -1);
    }
}

static void
indent(GString *out, gboolean pretty, guint depth)
{
    if (!pretty)
        return;
    g_string_append_c(out, '\n');
    for (guint i = 0; i < depth; i++)
        g_string_append_c(out, '\t');
}

static void write_node(GString *out, JsonNode *node, gboolean pretty, guint depth);

static gboolean
has_invalid_key(JsonObject *obj)
{
    JsonObjectIter iter;
    const gchar *name;
    JsonNode *member;
    json_object_iter_init_ordered(&iter, obj);
    while (json_object_iter_next_ordered(&iter, &name, &member))
        if (!g_utf8_validate(name, -1, NULL))
            return TRUE;
    return FALSE;
}

/* Keys that json-glib left as invalid UTF-8 (lone surrogate escapes) are
 * written repaired, and two keys that repair to the same text would make a
 * duplicate: write each repaired key once, where it first appears, with the
 * last value, which is what a parser of our output keeps. */
static void
write_repaired_object(GString *out, JsonObject *obj, gboolean pretty, guint depth)
{
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) last = g_hash_table_new(g_str_hash, g_str_equal); /* key -> node */
    JsonObjectIter iter;
    const gchar *name;
    JsonNode *member;
    json_object_iter_init_ordered(&iter, obj);
    while (json_object_iter_next_ordered(&iter, &name, &member)) {
        g_autofree gchar *key = g_utf8_make_valid(name, -1);
        gpointer first_key;
        if (g_hash_table_lookup_extended(last, key, &first_key, NULL)) {
            g_hash_table_insert(last, first_key, member); /* keeps the first key */
        } else {
            g_ptr_array_add(keys, key);
            g_hash_table_insert(last, g_steal_pointer(&key), member);
        }
    }
    g_string_append_c(out, '{');
    for (guint i = 0; i < keys->len; i++) {
        if (i > 0)
            g_string_append_c(out, ',');
        indent(out, pretty, depth + 1);
        append_string(out, g_ptr_array_index(keys, i));
        g_string_append_c(out, ':');
        write_node(out, g_hash_table_lookup(last, g_ptr_array_index(keys, i)), pretty, depth + 1);
    }
    if (keys->len > 0)
        indent(out, pretty, depth);
    g_string_append_c(out, '}');
}

static void
write_node(GString *out, JsonNode *node, gboolean pretty, guint depth)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT: {
        JsonObjectIter iter;
        const gchar *name;
        JsonNode *member;
        gboolean first = TRUE;

        if (has_invalid_key(json_node_get_object(node))) {
            write_repaired_object(out, json_node_get_object(node), pretty, depth);
            break;
        }
        g_string_append_c(out, '{');
        json_object_iter_init_ordered(&iter, json_node_get_object(node));
        while (json_object_iter_next_ordered(&iter, &name, &member)) {
            if (!first)
                g_string_append_c(out, ',');
            first = FALSE;
            indent(out, pretty, depth + 1);
            append_string(out, name);
            g_string_append_c(out, ':');
            write_node(out, member, pretty, depth + 1);
        }
        if (!first)
            indent(out, pretty, depth);
        g_string_append_c(out, '}');
        break;
    }
    case JSON_NODE_ARRAY: {
        JsonArray *array = json_node_get_array(node);
        guint n = json_array_get_length(array);

        g_string_append_c(out, '[');
        for (guint i = 0; i < n; i++) {
            if (i > 0)
                g_string_append_c(out, ',');
            indent(out, pretty, depth + 1);
            write_node(out, json_array_get_element(array, i), pretty, depth + 1);
        }
        if (n > 0)
            indent(out, pretty, depth);
        g_string_append_c(out, ']');
        break;
    }
    case JSON_NODE_VALUE: {
        GType t = json_node_get_value_type(node);
        if (t == G_TYPE_STRING)
            append_string(out, json_node_get_string(node));
        else if (t == G_TYPE_INT64)
            g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
        else if (t == G_TYPE_DOUBLE)
            rmq_json_text_append_java_double(out, json_node_get_double(node));
        else if (t == G_TYPE_BOOLEAN)
            g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
        else
            g_string_append(out, "null");
        break;
    }
    case JSON_NODE_NULL:
    default:
        g_string_append(out, "null");
        break;
    }
}

gchar *
rmq_json_to_string(JsonNode *node, gboolean pretty)
{
    g_return_val_if_fail(node != NULL, NULL);

    GString *out = g_string_sized_new(256);
    write_node(out, node, pretty, 0);
    return g_string_free(out, FALSE);
}

static JsonNode *
member_value(JsonObject *obj, const char *name)
{
    if (obj == NULL)
        return NULL;
    JsonNode *node = json_object_get_member(obj, name);
    return node != NULL && JSON_NODE_HOLDS_VALUE(node) ? node : NULL;
}

gint64
rmq_json_object_get_int64_or(JsonObject *obj, const char *name, gint64 dflt)
{
    JsonNode *node = member_value(obj, name);
    gint64 v;

    if (node == NULL)
        return dflt;
    switch (json_node_get_value_type(node)) {
    case G_TYPE_INT64:
        return json_node_get_int(node);
    case G_TYPE_DOUBLE: {
        gdouble d = json_node_get_double(node);
        /* 2^63 is exact as a double; anything below it converts safely. */
        if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
            return (gint64) d;
        return dflt;
    }
    case G_TYPE_STRING:
        if (g_ascii_string_to_signed(json_node_get_string(node), 10, G_MININT64, G_MAXINT64,
                                     &v, NULL))
            return v;
        return dflt;
    default:
        return dflt;
    }
}

gint32
rmq_json_object_get_int32_or(JsonObject *obj, const char *name, gint32 dflt)
{
    /* Two probes tell "absent" from a stored value equal to a sentinel. */
    gint64 a = rmq_json_object_get_int64_or(obj, name, G_MININT64);
    gint64 b = rmq_json_object_get_int64_or(obj, name, G_MAXINT64);

    if (a != b || a < G_MININT32 || a > G_MAXINT32)
        return dflt;
    return (gint32) a;
}

gdouble
rmq_json_object_get_double_or(JsonObject *obj, const char *name, gdouble dflt)
{
    JsonNode *node = member_value(obj, name);

    if (node == NULL)
        return dflt;
    switch (json_node_get_value_type(node)) {
    case G_TYPE_INT64:
        return (gdouble) json_node_get_int(node);
    case G_TYPE_DOUBLE:
        return json_node_get_double(node);
    case G_TYPE_STRING: {
        const gchar *s = json_node_get_string(node);
        gchar *end = NULL;
        gdouble d = g_ascii_strtod(s, &end);
        return end != s && *end == '\0' ? d : dflt;
    }
    default:
        return dflt;
    }
}

gboolean
rmq_json_object_get_bool_or(JsonObject *obj, const char *name, gboolean dflt)
{
    JsonNode *node = member_value(obj, name);

    if (node == NULL)
        return dflt;
    switch (json_node_get_value_type(node)) {
    case G_TYPE_BOOLEAN:
        return json_node_get_boolean(node);
    case G_TYPE_INT64:
        return json_node_get_int(node) != 0;
    case G_TYPE_DOUBLE:
        return json_node_get_double(node) != 0;
    case G_TYPE_STRING: {
        const gchar *s = json_node_get_string(node);
        if (g_ascii_strcasecmp(s, "true") == 0)
            return TRUE;
        if (g_ascii_strcasecmp(s, "false") == 0)
            return FALSE;
        return dflt;
    }
    default:
        return dflt;
    }
}

const gchar *
rmq_json_object_get_string_or(JsonObject *obj, const char *name, const gchar *dflt)
{
    JsonNode *node = member_value(obj, name);

    if (node == NULL || json_node_get_value_type(node) != G_TYPE_STRING)
        return dflt;
    return json_node_get_string(node);
}

JsonObject *
rmq_json_object_get_object_or_null(JsonObject *obj, const char *name)
{
    JsonNode *node = obj != NULL ? json_object_get_member(obj, name) : NULL;
    return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

JsonArray *
rmq_json_object_get_array_or_null(JsonObject *obj, const char *name)
{
    JsonNode *node = obj != NULL ? json_object_get_member(obj, name) : NULL;
    return node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
}

JsonNode *
rmq_json_node_take_object(JsonObject *object)
{
    JsonNode *node = json_node_init_object(json_node_alloc(), object);
    json_object_unref(object);
    return node;
}

JsonNode *
rmq_json_node_take_array(JsonArray *array)
{
    JsonNode *node = json_node_init_array(json_node_alloc(), array);
    json_array_unref(array);
    return node;
}
