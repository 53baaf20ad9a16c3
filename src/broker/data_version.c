#include <config.h>

#include "broker/data_version.h"

#include "remoting/json_body.h"

gint64
rmq_meta_version_now_ms(void)
{
    return g_get_real_time() / 1000;
}

void
rmq_meta_version_init(RmqMetaVersion *v)
{
    g_return_if_fail(v != NULL);
    v->counter = 0;
    v->timestamp = rmq_meta_version_now_ms();
}

void
rmq_meta_version_next(RmqMetaVersion *v)
{
    g_return_if_fail(v != NULL);
    v->counter++;
    v->timestamp = rmq_meta_version_now_ms();
}

gboolean
rmq_meta_version_equal(const RmqMetaVersion *a, const RmqMetaVersion *b)
{
    g_return_val_if_fail(a != NULL && b != NULL, FALSE);
    return a->counter == b->counter && a->timestamp == b->timestamp;
}

JsonNode *
rmq_meta_version_to_node(const RmqMetaVersion *v)
{
    g_return_val_if_fail(v != NULL, NULL);
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "counter", v->counter);
    json_object_set_int_member(o, "timestamp", v->timestamp);
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    return n;
}

gboolean
rmq_meta_version_from_node(JsonNode *node, RmqMetaVersion *out)
{
    g_return_val_if_fail(out != NULL, FALSE);
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
        return FALSE;
    JsonObject *o = json_node_get_object(node);
    out->counter = rmq_json_object_get_int64_or(o, "counter", 0);
    out->timestamp = rmq_json_object_get_int64_or(o, "timestamp", 0);
    return TRUE;
}
