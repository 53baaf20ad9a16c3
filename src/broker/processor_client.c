/* Client management (docs/protocol.md §3.2, §9.3, §10.5-10.6): HEART_BEAT (34), UNREGISTER_CLIENT
 * (35), QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15),
 * GET_CONSUMER_LIST_BY_GROUP (38), LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42),
 * CHECK_CLIENT_CONFIG (46). */
#include <config.h>

#include <string.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/commands.h"
#include "broker/client_registry.h"
#include "common/ratelimit.h"
#include "remoting/codes.h"
#include "remoting/json_body.h"

/* rocketmq.broker.rebalance.lockMaxLiveTime */
#define LOCK_MAX_LIVE_MS 60000

typedef struct {
    gchar *client_id;
    gint64 last_update_ms;
} MqLock;

void
rmq_broker_handle_heartbeat(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    g_autoptr(GPtrArray) consumers = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) err = NULL;
    gsize len = 0;
    const gchar *body = req->body != NULL ? g_bytes_get_data(req->body, &len) : "{}";
    if (req->body == NULL)
        len = 2;
    if (!rmq_client_registry_heartbeat(b->clients, conn, req->language, req->version, body, len,
                                       consumers, NULL, &err)) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                              g_strdup_printf("bad heartbeat body: %s",
                                              err->message));
        return;
    }
    gboolean created_any = FALSE;
    for (guint i = 0; i < consumers->len; i++) {
        const gchar *group = g_ptr_array_index(consumers, i);
        const RmqSubscriptionGroup *g = rmq_broker_find_group(b, group);
        if (g == NULL)
            continue;
        g_autofree gchar *retry = g_strdup_printf("%s%s", RMQ_TOPIC_RETRY_PREFIX, group);
        gboolean created = FALSE;
        rmq_topic_table_ensure(b->topics, retry, MAX(g->retry_queue_nums, 1),
                               RMQ_PERM_READ | RMQ_PERM_WRITE, 0, &created);
        created_any |= created;
    }
    if (created_any)
        rmq_broker_topic_created(b);
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
}

void
rmq_broker_handle_unregister(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    rmq_client_registry_unregister(b->clients, conn, rmq_command_get_ext(req, "producerGroup"),
                                   rmq_command_get_ext(req, "consumerGroup"));
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_ext_present(resp, TRUE);
    rmq_broker_reply(conn, req, resp);
}

/* "Still in memory" for docs/protocol.md §10.5: within accessMessageInMemoryMaxRatio of RAM. */
static gboolean
first_unit_hot(RmqBroker *b, const gchar *topic, gint32 qid)
{
    gint64 phy = rmq_store_get_commit_log_offset(b->store, topic, qid, 0);
    if (phy < 0)
        return TRUE;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    gint64 ram = pages > 0 && psize > 0 ? (gint64) pages * psize : G_GINT64_CONSTANT(1) << 32;
    gint64 hot = ram / 100 * b->settings.access_message_in_memory_max_ratio;
    return rmq_store_get_max_phy_offset(b->store) - phy <= hot;
}

void
rmq_broker_handle_query_offset(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    static const gchar *const required[] = { "consumerGroup", "topic", "queueId", NULL };
    gchar *missing = rmq_broker_missing_field(req, required);
    gint32 qid = 0;
    if (missing == NULL && !rmq_command_get_ext_int32(req, "queueId", &qid))
        missing = g_strdup("queueId is not a number");
    if (missing != NULL) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, missing);
        return;
    }
    const gchar *group = rmq_command_get_ext(req, "consumerGroup");
    const gchar *topic = rmq_command_get_ext(req, "topic");
    gint64 off = rmq_consumer_offsets_query(b->offsets, group, topic, qid);
    if (off < 0) {
        gint64 min = rmq_store_get_min_offset(b->store, topic, qid);
        if (min <= 0 && first_unit_hot(b, topic, qid))
            off = 0;
    }
    RmqCommand *resp;
    if (off >= 0) {
        resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
        rmq_command_set_ext_int64(resp, "offset", off);
    } else {
        resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_QUERY_NOT_FOUND,
                                          "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot "
                                          "first");
    }
    rmq_broker_reply(conn, req, resp);
}

void
rmq_broker_handle_update_offset(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    static const gchar *const required[] = { "consumerGroup", "topic", "queueId", "commitOffset",
                                             NULL };
    gchar *missing = rmq_broker_missing_field(req, required);
    gint32 qid = 0;
    gint64 off = 0;
    if (missing == NULL && (!rmq_command_get_ext_int32(req, "queueId", &qid) ||
                            !rmq_command_get_ext_int64(req, "commitOffset", &off)))
        missing = g_strdup("queueId or commitOffset is not a number");
    if (missing != NULL) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, missing);
        return;
    }
    /* Java 4.9 stores whatever comes; 5.x answers an unknown topic as below.
     * A queue the topic does not have, or an offset below -1, is refused too:
     * it could only grow the offset table or rewind a consumer to nowhere.
     * -1 passes: ali-ons commits it for a queue it has consumed nothing of
     * (answered as 0 by QUERY_CONSUMER_OFFSET, docs/protocol.md). */
    const gchar *topic = rmq_command_get_ext(req, "topic");
    const RmqTopicConfig *tc = rmq_topic_table_lookup(b->topics, topic);
    g_autofree gchar *topic_ab = rmq_abbrev(topic, RMQ_ABBREV_DEFAULT);
    if (tc == NULL) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_TOPIC_NOT_EXIST,
                              g_strdup_printf("Topic %s not exist!", topic_ab));
        return;
    }
    if (qid < 0 || qid >= tc->read_queue_nums) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                              g_strdup_printf("queueId[%d] is illegal, topic:[%s] "
                                              "topicConfig.readQueueNums:[%d]",
                                              qid, topic_ab, tc->read_queue_nums));
        return;
    }
    if (off < -1) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                              g_strdup_printf("commitOffset[%" G_GINT64_FORMAT
                                              "] is illegal, topic:[%s] queueId:[%d]",
                                              off, topic_ab, qid));
        return;
    }
    rmq_consumer_offsets_commit(b->offsets, rmq_command_get_ext(req, "consumerGroup"),
                                rmq_command_get_ext(req, "topic"), qid, off);
    b->offsets_dirty = TRUE;
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_ext_present(resp, TRUE);
    rmq_broker_reply(conn, req, resp);
}

void
rmq_broker_handle_consumer_list(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *group = rmq_command_get_ext(req, "consumerGroup");
    g_autoptr(GPtrArray) ids =
        group != NULL ? rmq_client_registry_consumer_ids(b->clients, group) : NULL;
    if (ids == NULL) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                              g_strdup_printf("no consumer for this group, %s",
                                              group != NULL ? group : ""));
        return;
    }
    g_autoptr(JsonBuilder) jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "consumerIdList");
    json_builder_begin_array(jb);
    for (guint i = 0; i < ids->len; i++)
        json_builder_add_string_value(jb, g_ptr_array_index(ids, i));
    json_builder_end_array(jb);
    json_builder_end_object(jb);
    g_autoptr(JsonNode) root = json_builder_get_root(jb);
    g_autofree gchar *text = rmq_json_to_string(root, FALSE);
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_body_data(resp, text, strlen(text));
    rmq_broker_reply(conn, req, resp);
}

static gchar *
lock_key(const gchar *group, JsonObject *mq)
{
    return g_strdup_printf("%s\n%s\n%s\n%d", group,
                           rmq_json_object_get_string_or(mq, "topic", ""),
                           rmq_json_object_get_string_or(mq, "brokerName", ""),
                           rmq_json_object_get_int32_or(mq, "queueId", 0));
}

void
rmq_broker_handle_lock(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    gboolean lock = req->code == RMQ_REQUEST_LOCK_BATCH_MQ;
    g_autoptr(GError) err = NULL;
    gsize len = 0;
    const gchar *body = req->body != NULL ? g_bytes_get_data(req->body, &len) : NULL;
    g_autoptr(JsonNode) root = body != NULL ? rmq_json_parse_lenient(body, (gssize) len, &err) : NULL;
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, "the lock request body is not JSON");
        return;
    }
    JsonObject *o = json_node_get_object(root);
    const gchar *group = rmq_json_object_get_string_or(o, "consumerGroup", "");
    const gchar *client = rmq_json_object_get_string_or(o, "clientId", "");
    JsonArray *set = rmq_json_object_get_array_or_null(o, "mqSet");
    gint64 now = g_get_monotonic_time() / 1000;
    g_autoptr(JsonBuilder) jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "lockOKMQSet");
    json_builder_begin_array(jb);
    for (guint i = 0; set != NULL && i < json_array_get_length(set); i++) {
        JsonNode *n = json_array_get_element(set, i);
        if (!JSON_NODE_HOLDS_OBJECT(n))
            continue;
        g_autofree gchar *key = lock_key(group, json_node_get_object(n));
        MqLock *l = g_hash_table_lookup(b->mq_locks, key);
        if (!lock) {
            if (l != NULL && strcmp(l->client_id, client) == 0)
                g_hash_table_remove(b->mq_locks, key);
            continue;
        }
        if (l == NULL || strcmp(l->client_id, client) == 0 ||
            now - l->last_update_ms > LOCK_MAX_LIVE_MS) {
            if (l == NULL) {
                l = g_new0(MqLock, 1);
                g_hash_table_insert(b->mq_locks, g_strdup(key), l);
            }
            if (g_strcmp0(l->client_id, client) != 0) {
                g_free(l->client_id);
                l->client_id = g_strdup(client);
            }
            l->last_update_ms = now;
            json_builder_add_value(jb, json_node_copy(n));
        }
    }
    json_builder_end_array(jb);
    json_builder_end_object(jb);
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    if (lock) {
        g_autoptr(JsonNode) out = json_builder_get_root(jb);
        g_autofree gchar *text = rmq_json_to_string(out, FALSE);
        rmq_command_set_body_data(resp, text, strlen(text));
    }
    rmq_broker_reply(conn, req, resp);
}

/* CHECK_CLIENT_CONFIG (46), what a consumer asks before it starts (Java
 * ClientManageProcessor.checkClientConfig): tag subscriptions pass; SQL92
 * needs enablePropertyFilter and an expression that compiles. */
void
rmq_broker_handle_check_client_config(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    gsize len = 0;
    const gchar *body = req->body != NULL ? g_bytes_get_data(req->body, &len) : NULL;
    g_autoptr(JsonNode) root = body != NULL ? rmq_json_parse_lenient(body, (gssize) len, NULL) : NULL;
    JsonObject *o = root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonObject *sub = rmq_json_object_get_object_or_null(o, "subscriptionData");
    const gchar *type = rmq_json_object_get_string_or(sub, "expressionType", "TAG");
    if (sub == NULL || rmq_expression_type_is_tag(type)) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
        return;
    }
    if (!b->settings.enable_property_filter) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                              g_strdup_printf("The broker does not support consumer to filter "
                                              "message by %s",
                                              type));
        return;
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqFilter) f = rmq_broker_filter_compile(
        b, type, rmq_json_object_get_string_or(sub, "subString", ""), &error);
    if (f == NULL) {
        g_message("client %s of group %s: the %s expression does not compile: %s",
                  rmq_json_object_get_string_or(o, "clientId", "?"),
                  rmq_json_object_get_string_or(o, "group", "?"), type, error->message);
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SUBSCRIPTION_PARSE_FAILED,
                              g_strdup_printf("Invalid MessageSelector. %s", error->message));
        return;
    }
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
}

void
rmq_broker_mq_lock_free(gpointer p)
{
    MqLock *l = p;
    g_free(l->client_id);
    g_free(l);
}
