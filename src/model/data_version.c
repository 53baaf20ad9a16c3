#include <config.h>

#include "model/data_version.h"

#include "remoting/json_body.h"

gint64
rmq_data_version_now_ms(void)
{
    return g_get_real_time() / 1000;
}

void
rmq_data_version_init(RmqDataVersion *v)
{
    g_return_if_fail(v != NULL);
    v->counter = 0;
    v->timestamp = rmq_data_version_now_ms();
}

void
rmq_data_version_next(RmqDataVersion *v)
{
    g_return_if_fail(v != NULL);
    v->counter++;
    v->timestamp = rmq_data_version_now_ms();
}

gboolean
rmq_data_version_equal(const RmqDataVersion *a, const RmqDataVersion *b)
{
    g_return_val_if_fail(a != NULL && b != NULL, FALSE);
    return a->counter == b->counter && a->timestamp == b->timestamp;
}

JsonNode *
rmq_data_version_to_node(const RmqDataVersion *v)
{
    g_return_val_if_fail(v != NULL, NULL);
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "counter", v->counter);
    json_object_set_int_member(o, "timestamp", v->timestamp);
    return rmq_json_node_take_object(o);
}

gchar *
rmq_data_version_to_json(const RmqDataVersion *v)
{
    g_return_val_if_fail(v != NULL, NULL);
    return g_strdup_printf("{\"counter\":%" G_GINT64_FORMAT ",\"timestamp\":%" G_GINT64_FORMAT "}",
                           v->counter, v->timestamp);
}

gboolean
rmq_data_version_from_node(JsonNode *node, RmqDataVersion *out)
{
    g_return_val_if_fail(out != NULL, FALSE);
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
        return FALSE;
    JsonObject *o = json_node_get_object(node);
    out->counter = rmq_json_object_get_int64_or(o, "counter", 0);
    out->timestamp = rmq_json_object_get_int64_or(o, "timestamp", 0);
    return TRUE;
}

gboolean
rmq_data_version_parse(const guint8 *data, gsize len, RmqDataVersion *out, GError **error)
{
    g_return_val_if_fail(out != NULL, FALSE);
    g_autoptr(JsonNode) root = rmq_json_parse_lenient((const gchar *)data, (gssize)len, error);
    if (root == NULL)
        return FALSE;
    if (!rmq_data_version_from_node(root, out)) {
        g_set_error(error, RMQ_JSON_BODY_ERROR, RMQ_JSON_BODY_ERROR_PARSE,
                    "DataVersion is not a JSON object");
        return FALSE;
    }
    return TRUE;
}
