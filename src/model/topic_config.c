#include <config.h>

#include "model/topic_config.h"

#include <string.h>

#include "remoting/json_body.h"

G_DEFINE_QUARK(rmq-topic-config-error-quark, rmq_topic_config_error)

RmqTopicConfig *
rmq_topic_config_new(const gchar *name)
{
    g_return_val_if_fail(name != NULL, NULL);
    RmqTopicConfig *tc = g_new0(RmqTopicConfig, 1);
    tc->topic_name = g_strdup(name);
    tc->read_queue_nums = 16;
    tc->write_queue_nums = 16;
    tc->perm = RMQ_PERM_READ | RMQ_PERM_WRITE;
    tc->filter_type = RMQ_TOPIC_FILTER_SINGLE_TAG;
    return tc;
}

RmqTopicConfig *
rmq_topic_config_copy(const RmqTopicConfig *tc)
{
    g_return_val_if_fail(tc != NULL, NULL);
    RmqTopicConfig *c = g_memdup2(tc, sizeof *tc);
    c->topic_name = g_strdup(tc->topic_name);
    return c;
}

void
rmq_topic_config_free(RmqTopicConfig *tc)
{
    if (tc == NULL)
        return;
    g_free(tc->topic_name);
    g_free(tc);
}

gboolean
rmq_topic_config_equal(const RmqTopicConfig *a, const RmqTopicConfig *b)
{
    g_return_val_if_fail(a != NULL && b != NULL, FALSE);
    return g_strcmp0(a->topic_name, b->topic_name) == 0 &&
           a->read_queue_nums == b->read_queue_nums &&
           a->write_queue_nums == b->write_queue_nums && a->perm == b->perm &&
           a->topic_sys_flag == b->topic_sys_flag && !a->order == !b->order &&
           a->filter_type == b->filter_type;
}

gboolean
rmq_topic_config_queue_id_valid(const RmqTopicConfig *tc, gint queue_id)
{
    g_return_val_if_fail(tc != NULL, FALSE);
    return queue_id < MAX(tc->read_queue_nums, tc->write_queue_nums);
}

const gchar *
rmq_topic_filter_type_name(RmqTopicFilterType t)
{
    return t == RMQ_TOPIC_FILTER_MULTI_TAG ? "MULTI_TAG" : "SINGLE_TAG";
}

gboolean
rmq_topic_filter_type_parse(const gchar *s, RmqTopicFilterType *out)
{
    g_return_val_if_fail(out != NULL, FALSE);
    if (g_strcmp0(s, "SINGLE_TAG") == 0)
        *out = RMQ_TOPIC_FILTER_SINGLE_TAG;
    else if (g_strcmp0(s, "MULTI_TAG") == 0)
        *out = RMQ_TOPIC_FILTER_MULTI_TAG;
    else
        return FALSE;
    return TRUE;
}

JsonNode *
rmq_topic_config_to_node(const RmqTopicConfig *tc)
{
    g_return_val_if_fail(tc != NULL, NULL);
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "order", tc->order);
    json_object_set_int_member(o, "perm", tc->perm);
    json_object_set_int_member(o, "readQueueNums", tc->read_queue_nums);
    json_object_set_string_member(o, "topicFilterType", rmq_topic_filter_type_name(tc->filter_type));
    json_object_set_string_member(o, "topicName", tc->topic_name);
    json_object_set_int_member(o, "topicSysFlag", tc->topic_sys_flag);
    json_object_set_int_member(o, "writeQueueNums", tc->write_queue_nums);
    return rmq_json_node_take_object(o);
}

static gint
member_int(JsonObject *o, const gchar *name, gint dflt)
{
    gint64 v = rmq_json_object_get_int64_or(o, name, dflt);
    return (gint)CLAMP(v, G_MININT, G_MAXINT);
}

RmqTopicConfig *
rmq_topic_config_from_node(JsonNode *node, const gchar *name_hint,
                           RmqTopicConfigDecodeFlags flags, GError **error)
{
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
        g_set_error(error, RMQ_TOPIC_CONFIG_ERROR, RMQ_TOPIC_CONFIG_ERROR_INVALID,
                    "topic config %s is not an object", name_hint ? name_hint : "");
        return NULL;
    }
    JsonObject *o = json_node_get_object(node);
    const gchar *name = rmq_json_object_get_string_or(o, "topicName", NULL);
    if (name == NULL || *name == '\0')
        name = name_hint;
    if (name == NULL || *name == '\0') {
        g_set_error(error, RMQ_TOPIC_CONFIG_ERROR, RMQ_TOPIC_CONFIG_ERROR_INVALID,
                    "topic config without topicName");
        return NULL;
    }
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new(name);
    tc->read_queue_nums = member_int(o, "readQueueNums", tc->read_queue_nums);
    tc->write_queue_nums = member_int(o, "writeQueueNums", tc->write_queue_nums);
    tc->perm = member_int(o, "perm", tc->perm);
    tc->topic_sys_flag = member_int(o, "topicSysFlag", 0);
    tc->order = rmq_json_object_get_bool_or(o, "order", FALSE);
    const gchar *ft = rmq_json_object_get_string_or(o, "topicFilterType", NULL);
    if (ft != NULL && !rmq_topic_filter_type_parse(ft, &tc->filter_type) &&
        !(flags & RMQ_TOPIC_CONFIG_DECODE_ANY_FILTER)) {
        g_set_error(error, RMQ_TOPIC_CONFIG_ERROR, RMQ_TOPIC_CONFIG_ERROR_INVALID,
                    "topic %s: unknown topicFilterType %s", name, ft);
        return NULL;
    }
    return g_steal_pointer(&tc);
}

gchar *
rmq_topic_config_encode_text(const RmqTopicConfig *tc)
{
    g_return_val_if_fail(tc != NULL, NULL);
    return g_strdup_printf("%s %d %d %d %s", tc->topic_name, tc->read_queue_nums,
                           tc->write_queue_nums, tc->perm,
                           rmq_topic_filter_type_name(tc->filter_type));
}

RmqTopicConfig *
rmq_topic_config_decode_text(const gchar *text, gsize len, GError **error)
{
    g_return_val_if_fail(text != NULL || len == 0, NULL);
    g_autofree gchar *copy = g_strndup(text, len);
    g_auto(GStrv) parts = g_strsplit(copy, " ", -1);
    gint64 rq, wq, perm;
    if (g_strv_length(parts) != 5 || parts[0][0] == '\0' ||
        !g_ascii_string_to_signed(parts[1], 10, 0, G_MAXINT, &rq, NULL) ||
        !g_ascii_string_to_signed(parts[2], 10, 0, G_MAXINT, &wq, NULL) ||
        !g_ascii_string_to_signed(parts[3], 10, 0, G_MAXINT, &perm, NULL)) {
        g_set_error(error, RMQ_TOPIC_CONFIG_ERROR, RMQ_TOPIC_CONFIG_ERROR_INVALID,
                    "topic config text is not \"name read write perm filter\"");
        return NULL;
    }
    RmqTopicConfig *tc = rmq_topic_config_new(parts[0]);
    tc->read_queue_nums = (gint)rq;
    tc->write_queue_nums = (gint)wq;
    tc->perm = (gint)perm;
    if (!rmq_topic_filter_type_parse(parts[4], &tc->filter_type))
        tc->filter_type = RMQ_TOPIC_FILTER_SINGLE_TAG;
    return tc;
}
