#include <config.h>

#include "remoting/json_header.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "remoting/codec.h"
#include "remoting/json_text.h"

#define bad_json(error, ...) \
    (g_set_error(error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_JSON, __VA_ARGS__), FALSE)

/* json-glib turns a lone surrogate escape ("\ud83d") into invalid UTF-8;
 * replace such bytes so every string we hold can be re-encoded. */
static gchar *
valid_utf8_dup(const gchar *s, gssize len)
{
    if (g_utf8_validate_len(s, len < 0 ? strlen(s) : (gsize) len, NULL))
        return len < 0 ? g_strdup(s) : g_strndup(s, (gsize) len);
    return g_utf8_make_valid(s, len);
}

static gboolean
node_get_int32(JsonNode *node, const gchar *name, gint32 *out, GError **error)
{
    if (JSON_NODE_HOLDS_NULL(node))
        return TRUE; /* keep the default */
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
        return bad_json(error, "header field %s is not an integer", name);
    gint64 v = json_node_get_int(node);
    if (v < G_MININT32 || v > G_MAXINT32)
        return bad_json(error, "header field %s out of range", name);
    *out = (gint32) v;
    return TRUE;
}

/* extFields values are text; other clients send numbers and booleans (docs/protocol.md §2.3). */
static gboolean
ext_value_text(JsonNode *node, const gchar *key, GString *buf, GError **error)
{
    if (!JSON_NODE_HOLDS_VALUE(node))
        return bad_json(error, "extFields value for %s is not a scalar", key);
    GType t = json_node_get_value_type(node);
    if (t == G_TYPE_STRING)
        g_string_append(buf, json_node_get_string(node));
    else if (t == G_TYPE_INT64)
        g_string_append_printf(buf, "%" G_GINT64_FORMAT, json_node_get_int(node));
    else if (t == G_TYPE_DOUBLE)
        rmq_json_text_append_double(buf, json_node_get_double(node));
    else if (t == G_TYPE_BOOLEAN)
        g_string_append(buf, json_node_get_boolean(node) ? "true" : "false");
    else
        return bad_json(error, "extFields value for %s has an unexpected type", key);
    return TRUE;
}

static gboolean
decode_ext(JsonNode *node, RmqCommand *cmd, GError **error)
{
    if (JSON_NODE_HOLDS_NULL(node))
        return TRUE;
    if (!JSON_NODE_HOLDS_OBJECT(node))
        return bad_json(error, "extFields is not an object");
    cmd->ext_present = TRUE;

    JsonObjectIter iter;
    const gchar *key;
    JsonNode *value;
    g_autoptr(GString) buf = g_string_new(NULL);
    gboolean repaired = FALSE; /* from the first repaired key on, keys are looked up */

    json_object_iter_init_ordered(&iter, json_node_get_object(node));
    while (json_object_iter_next_ordered(&iter, &key, &value)) {
        if (JSON_NODE_HOLDS_NULL(value))
            continue; /* Java drops null header fields */
        g_string_truncate(buf, 0);
        if (!ext_value_text(value, key, buf, error))
            return FALSE;
        /* json-glib already merged duplicate keys: append keeps this linear.
         * A key that needed repair (a lone surrogate escape, invalid UTF-8)
         * may now equal another key: then the last one wins, as with a
         * duplicate in the text (the fuzzer found such a pair). */
        g_autofree gchar *k = valid_utf8_dup(key, -1);
        g_autofree gchar *v = valid_utf8_dup(buf->str, (gssize) buf->len);
        repaired = repaired || strcmp(k, key) != 0;
        if (repaired)
            rmq_command_set_ext_len(cmd, k, strlen(k), v, strlen(v));
        else
            rmq_command_append_ext_len(cmd, k, strlen(k), v, strlen(v));
    }
    return TRUE;
}

static gboolean
decode_member(const gchar *name, JsonNode *node, RmqCommand *cmd, GError **error)
{
    if (g_str_equal(name, "code"))
        return node_get_int32(node, name, &cmd->code, error);
    if (g_str_equal(name, "flag"))
        return node_get_int32(node, name, &cmd->flag, error);
    if (g_str_equal(name, "opaque"))
        return node_get_int32(node, name, &cmd->opaque, error);
    if (g_str_equal(name, "version"))
        return node_get_int32(node, name, &cmd->version, error);
    if (g_str_equal(name, "language")) {
        if (JSON_NODE_HOLDS_NULL(node))
            return TRUE;
        if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
            cmd->language = rmq_language_from_string(json_node_get_string(node));
        else if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64)
            cmd->language = rmq_language_from_int(json_node_get_int(node));
        else
            return bad_json(error, "header field language is neither a name nor a number");
        return TRUE;
    }
    if (g_str_equal(name, "remark")) {
        if (JSON_NODE_HOLDS_NULL(node))
            return TRUE;
        if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
            return bad_json(error, "header field remark is not a string");
        g_free(cmd->remark);
        cmd->remark = valid_utf8_dup(json_node_get_string(node), -1);
        return TRUE;
    }
    if (g_str_equal(name, "extFields"))
        return decode_ext(node, cmd, error);
    return TRUE; /* serializeTypeCurrentRPC and unknown keys */
}

gboolean
rmq_json_header_decode_glib(const gchar *text, gsize len, RmqCommand *cmd, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) local = NULL;
    const gchar *why = NULL;

    if (!rmq_json_text_check_shape(text, len, RMQ_JSON_MAX_DEPTH, &why))
        return bad_json(error, "header: %s", why);
    if (len > G_MAXSSIZE || !json_parser_load_from_data(parser, text, (gssize) len, &local))
        return bad_json(error, "header is not JSON: %s", local ? local->message : "too long");
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        return bad_json(error, "header is not a JSON object");

    JsonObjectIter iter;
    const gchar *name;
    JsonNode *node;

    json_object_iter_init_ordered(&iter, json_node_get_object(root));
    while (json_object_iter_next_ordered(&iter, &name, &node)) {
        if (!decode_member(name, node, cmd, error))
            return FALSE;
    }
    return TRUE;
}

/* The encoder writes through a cursor into @out, whose len serves as the
 * end of the room reserved so far (set right at the end): one size check
 * per field instead of a GString call per token. */
static gchar *
reserve(GString *out, gchar *cur, gsize need)
{
    gsize used = (gsize) (cur - out->str);
    if (used + need >= out->len)
        g_string_set_size(out, used + need + 128);
    return out->str + used;
}

#define PUT_LITERAL(cur, lit) (memcpy((cur), (lit), sizeof(lit) - 1), (cur) += sizeof(lit) - 1)

static gchar *
put_int(gchar *cur, gint64 v)
{
    return cur + rmq_json_text_format_int64(v, cur);
}

/* Room for the fixed members: names, four integers and the language. */
#define HEADER_FIXED_ROOM 192

void
rmq_json_header_encode(const RmqCommand *cmd, GString *out)
{
    gsize start = out->len;
    g_string_set_size(out, start + HEADER_FIXED_ROOM);
    gchar *cur = out->str + start;

    /* fastjson order: properties sorted by name, nulls left out. */
    PUT_LITERAL(cur, "{\"code\":");
    cur = put_int(cur, cmd->code);
    if (cmd->ext->len > 0 || cmd->ext_present) {
        PUT_LITERAL(cur, ",\"extFields\":{");
        for (guint i = 0; i < cmd->ext->len; i++) {
            const RmqExtField *f = &g_array_index(cmd->ext, RmqExtField, i);
            gsize kl = f->key_len, vl = f->value_len;
            cur = reserve(out, cur, RMQ_JSON_STRING_MAX_LEN(kl) + RMQ_JSON_STRING_MAX_LEN(vl) + 2);
            if (i > 0)
                *cur++ = ',';
            if (f->plain) { /* nothing to escape: copied as they are */
                *cur++ = '"';
                cur = rmq_json_text_copy_short(cur, f->key, kl);
                memcpy(cur, "\":\"", 3);
                cur += 3;
                cur = rmq_json_text_copy_short(cur, f->value, vl);
                *cur++ = '"';
                continue;
            }
            cur = rmq_json_text_put_string(cur, f->key, kl);
            *cur++ = ':';
            cur = rmq_json_text_put_string(cur, f->value, vl);
        }
        cur = reserve(out, cur, HEADER_FIXED_ROOM);
        *cur++ = '}';
    }
    PUT_LITERAL(cur, ",\"flag\":");
    cur = put_int(cur, cmd->flag);
    PUT_LITERAL(cur, ",\"language\":\"");
    /* The names are upper-case ASCII: nothing to escape. */
    if (cmd->language == RMQ_LANG_JAVA) { /* what nearly every command says */
        PUT_LITERAL(cur, "JAVA\"");
    } else {
        const gchar *lang = rmq_language_name(cmd->language);
        gsize lang_len = strlen(lang);
        memcpy(cur, lang, lang_len);
        cur += lang_len;
        *cur++ = '"';
    }
    PUT_LITERAL(cur, ",\"opaque\":");
    cur = put_int(cur, cmd->opaque);
    if (cmd->remark != NULL) {
        gsize rl = strlen(cmd->remark);
        cur = reserve(out, cur, RMQ_JSON_STRING_MAX_LEN(rl) + HEADER_FIXED_ROOM);
        PUT_LITERAL(cur, ",\"remark\":");
        cur = rmq_json_text_put_string(cur, cmd->remark, rl);
    }
    PUT_LITERAL(cur, ",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
    cur = put_int(cur, cmd->version);
    *cur++ = '}';
    g_string_truncate(out, (gsize) (cur - out->str));
}
