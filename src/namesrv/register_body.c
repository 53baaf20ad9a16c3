#include <config.h>

#include "namesrv/register_body.h"
#include "remoting/json_body.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <zlib.h>

G_DEFINE_QUARK(rmq-register-body-error-quark, rmq_register_body_error)

/* A 4.9.7 broker with thousands of topics inflates to a few MiB at most;
 * refuse bombs well above that. */
#define INFLATE_MAX ((gsize) 64 * 1024 * 1024)

RmqRegisterBody *
rmq_register_body_new(void)
{
    RmqRegisterBody *body = g_new0(RmqRegisterBody, 1);
    body->topics = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_topic_config_free);
    body->filter_servers = g_ptr_array_new_with_free_func(g_free);
    return body;
}

void
rmq_register_body_free(RmqRegisterBody *body)
{
    if (body == NULL)
        return;
    g_ptr_array_unref(body->topics);
    g_ptr_array_unref(body->filter_servers);
    g_free(body);
}

void
rmq_register_body_add_topic(RmqRegisterBody *body, RmqTopicConfig *tc)
{
    g_ptr_array_add(body->topics, tc);
}

static JsonNode *
parse_root(const guint8 *data, gsize len, GError **error)
{
    g_autoptr(GError) local = NULL;
    /* The lenient parser also bounds nesting: json-glib alone recurses until
     * the stack overflows on a deeply nested body from the wire. */
    g_autoptr(JsonNode) root = rmq_json_parse_lenient((const gchar *) data, (gssize) len, &local);
    if (root == NULL) {
        g_set_error(error, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_JSON,
                    "body is not JSON: %s", local->message);
        return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_JSON,
                    "body is not a JSON object");
        return NULL;
    }
    return g_steal_pointer(&root);
}

static void
add_filter_servers(RmqRegisterBody *body, JsonNode *node)
{
    if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
        return;
    JsonArray *arr = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonNode *e = json_array_get_element(arr, i);
        if (JSON_NODE_TYPE(e) == JSON_NODE_VALUE && json_node_get_value_type(e) == G_TYPE_STRING)
            g_ptr_array_add(body->filter_servers, g_strdup(json_node_get_string(e)));
    }
}

RmqRegisterBody *
rmq_register_body_parse_json(const guint8 *data, gsize len, GError **error)
{
    g_autoptr(JsonNode) root = parse_root(data, len, error);
    if (root == NULL)
        return NULL;
    JsonObject *obj = json_node_get_object(root);
    g_autoptr(RmqRegisterBody) body = rmq_register_body_new();

    if (json_object_has_member(obj, "filterServerList"))
        add_filter_servers(body, json_object_get_member(obj, "filterServerList"));

    JsonNode *wrapper = json_object_has_member(obj, "topicConfigSerializeWrapper")
                            ? json_object_get_member(obj, "topicConfigSerializeWrapper")
                            : NULL;
    if (wrapper == NULL || JSON_NODE_HOLDS_NULL(wrapper))
        return g_steal_pointer(&body);
    if (!JSON_NODE_HOLDS_OBJECT(wrapper)) {
        g_set_error(error, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_JSON,
                    "topicConfigSerializeWrapper is not an object");
        return NULL;
    }
    JsonObject *w = json_node_get_object(wrapper);
    if (json_object_has_member(w, "dataVersion"))
        rmq_data_version_from_node(json_object_get_member(w, "dataVersion"), &body->data_version);

    JsonNode *table = json_object_has_member(w, "topicConfigTable")
                          ? json_object_get_member(w, "topicConfigTable")
                          : NULL;
    if (table == NULL || JSON_NODE_HOLDS_NULL(table))
        return g_steal_pointer(&body);
    if (!JSON_NODE_HOLDS_OBJECT(table)) {
        g_set_error(error, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_JSON,
                    "topicConfigTable is not an object");
        return NULL;
    }
    JsonObjectIter it;
    const gchar *key;
    JsonNode *val;
    json_object_iter_init(&it, json_node_get_object(table));
    while (json_object_iter_next(&it, &key, &val)) {
        g_autoptr(GError) local = NULL;
        RmqTopicConfig *tc =
            rmq_topic_config_from_node(val, key, RMQ_TOPIC_CONFIG_DECODE_ANY_FILTER, &local);
        if (tc == NULL) {
            g_set_error(error, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_JSON, "%s",
                        local->message);
            return NULL;
        }
        rmq_register_body_add_topic(body, tc);
    }
    return g_steal_pointer(&body);
}

static GByteArray *
inflate_all(const guint8 *data, gsize len, GError **error)
{
    z_stream zs = { 0 };
    if (inflateInit(&zs) != Z_OK) {
        g_set_error(error, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_COMPRESSED,
                    "inflateInit failed");
        return NULL;
    }
    g_autoptr(GByteArray) out = g_byte_array_sized_new(len * 4 + 64);
    guint8 chunk[16384];
    zs.next_in = (Bytef *) data;
    zs.avail_in = (uInt) len;
    int rc;
    do {
        zs.next_out = chunk;
        zs.avail_out = sizeof chunk;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            g_set_error(error, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_COMPRESSED,
                        "zlib: %s", zs.msg != NULL ? zs.msg : "inflate failed");
            inflateEnd(&zs);
            return NULL;
        }
        g_byte_array_append(out, chunk, (guint) (sizeof chunk - zs.avail_out));
        if (out->len > INFLATE_MAX) {
            g_set_error(error, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_COMPRESSED,
                        "inflated body larger than %zu bytes", INFLATE_MAX);
            inflateEnd(&zs);
            return NULL;
        }
        if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            g_set_error(error, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_COMPRESSED,
                        "zlib stream truncated");
            inflateEnd(&zs);
            return NULL;
        }
    } while (rc != Z_STREAM_END);
    inflateEnd(&zs);
    return g_steal_pointer(&out);
}

typedef struct {
    const guint8 *p;
    gsize left;
} Reader;

static gboolean
read_chunk(Reader *r, const guint8 **chunk, gsize *chunk_len)
{
    if (r->left < 4)
        return FALSE;
    guint32 n = ((guint32) r->p[0] << 24) | ((guint32) r->p[1] << 16) | ((guint32) r->p[2] << 8) |
                r->p[3];
    r->p += 4;
    r->left -= 4;
    if (n > r->left || n > G_MAXINT32)
        return FALSE;
    *chunk = r->p;
    *chunk_len = n;
    r->p += n;
    r->left -= n;
    return TRUE;
}

static gboolean
read_i32(Reader *r, gint32 *out)
{
    if (r->left < 4)
        return FALSE;
    *out = (gint32) (((guint32) r->p[0] << 24) | ((guint32) r->p[1] << 16) |
                     ((guint32) r->p[2] << 8) | r->p[3]);
    r->p += 4;
    r->left -= 4;
    return TRUE;
}

RmqRegisterBody *
rmq_register_body_parse_compressed(const guint8 *data, gsize len, GError **error)
{
    g_autoptr(GByteArray) raw = inflate_all(data, len, error);
    if (raw == NULL)
        return NULL;
    Reader r = { raw->data, raw->len };
    g_autoptr(RmqRegisterBody) body = rmq_register_body_new();
    const guint8 *chunk;
    gsize n;

    if (!read_chunk(&r, &chunk, &n) ||
        !rmq_data_version_parse(chunk, n, &body->data_version, NULL)) {
        g_set_error(error, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_COMPRESSED,
                    "compressed body: bad DataVersion");
        return NULL;
    }
    gint32 count;
    if (!read_i32(&r, &count) || count < 0) {
        g_set_error(error, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_COMPRESSED,
                    "compressed body: bad topic count");
        return NULL;
    }
    for (gint32 i = 0; i < count; i++) {
        if (!read_chunk(&r, &chunk, &n)) {
            g_set_error(error, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_COMPRESSED,
                        "compressed body: topic %d truncated", i);
            return NULL;
        }
        RmqTopicConfig *tc = rmq_topic_config_decode_text((const gchar *) chunk, n, NULL);
        /* Java skips entries that do not split into five fields. */
        if (tc != NULL)
            rmq_register_body_add_topic(body, tc);
    }
    if (read_chunk(&r, &chunk, &n) && n > 0) {
        g_autoptr(JsonNode) servers = rmq_json_parse_lenient((const gchar *) chunk, (gssize) n, NULL);
        add_filter_servers(body, servers);
    }
    return g_steal_pointer(&body);
}

RmqRegisterBody *
rmq_register_body_parse(const guint8 *data, gsize len, gboolean compressed, GError **error)
{
    if (data == NULL || len == 0)
        return rmq_register_body_new();
    return compressed ? rmq_register_body_parse_compressed(data, len, error)
                      : rmq_register_body_parse_json(data, len, error);
}

static GBytes *
node_to_bytes(JsonNode *root)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, root);
    gsize n = 0;
    gchar *text = json_generator_to_data(gen, &n);
    return g_bytes_new_take(text, n);
}

GBytes *
rmq_register_body_encode_json(const RmqRegisterBody *body)
{
    JsonArray *servers = json_array_new();
    for (guint i = 0; i < body->filter_servers->len; i++)
        json_array_add_string_element(servers, g_ptr_array_index(body->filter_servers, i));
    JsonObject *table = json_object_new();
    for (guint i = 0; i < body->topics->len; i++) {
        const RmqTopicConfig *tc = g_ptr_array_index(body->topics, i);
        json_object_set_member(table, tc->topic_name, rmq_topic_config_to_node(tc));
    }
    JsonObject *wrapper = json_object_new();
    json_object_set_member(wrapper, "dataVersion", rmq_data_version_to_node(&body->data_version));
    json_object_set_object_member(wrapper, "topicConfigTable", table);
    JsonObject *o = json_object_new();
    json_object_set_array_member(o, "filterServerList", servers);
    json_object_set_object_member(o, "topicConfigSerializeWrapper", wrapper);
    g_autoptr(JsonNode) root = rmq_json_node_take_object(o);
    gchar *text = rmq_json_to_string(root, FALSE);
    return g_bytes_new_take(text, strlen(text));
}

static void
put_chunk(GByteArray *out, const void *data, gsize len)
{
    guint8 be[4] = { (guint8) (len >> 24), (guint8) (len >> 16), (guint8) (len >> 8), (guint8) len };
    g_byte_array_append(out, be, 4);
    g_byte_array_append(out, data, (guint) len);
}

GBytes *
rmq_register_body_encode_compressed(const RmqRegisterBody *body)
{
    g_autoptr(GByteArray) raw = g_byte_array_new();
    g_autofree gchar *dv = rmq_data_version_to_json(&body->data_version);
    put_chunk(raw, dv, strlen(dv));
    guint32 count = body->topics->len;
    guint8 be[4] = { (guint8) (count >> 24), (guint8) (count >> 16), (guint8) (count >> 8),
                     (guint8) count };
    g_byte_array_append(raw, be, 4);
    for (guint i = 0; i < body->topics->len; i++) {
        const RmqTopicConfig *tc = g_ptr_array_index(body->topics, i);
        g_autofree gchar *line = rmq_topic_config_encode_text(tc);
        put_chunk(raw, line, strlen(line));
    }
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();
    json_builder_begin_array(b);
    for (guint i = 0; i < body->filter_servers->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(body->filter_servers, i));
    json_builder_end_array(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(GBytes) fs = node_to_bytes(root);
    gsize fs_len;
    const guint8 *fs_data = g_bytes_get_data(fs, &fs_len);
    put_chunk(raw, fs_data, fs_len);

    uLongf out_len = compressBound(raw->len);
    guint8 *out = g_malloc(out_len);
    if (compress2(out, &out_len, raw->data, raw->len, Z_BEST_COMPRESSION) != Z_OK)
        g_error("compress2 failed"); /* only on out-of-memory or a bound bug */
    return g_bytes_new_take(g_realloc(out, out_len), out_len);
}

gint32
rmq_register_body_crc32(const guint8 *data, gsize len)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        uInt n = len > G_MAXUINT32 ? G_MAXUINT32 : (uInt) len;
        crc = crc32(crc, data, n);
        data += n;
        len -= n;
    }
    return (gint32) (crc & 0x7fffffff);
}
