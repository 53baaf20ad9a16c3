/* Admin and metadata codes (docs/protocol.md §3.3): topics (17, 215, 21, 305), subscription
 * groups (200, 201, 207), broker config and runtime info (25, 26, 28),
 * statistics (202, 208), connection lists (203, 204), producers (328), offsets
 * tables (43, 45),
 * QUERY_TOPIC_CONSUME_BY_WHO (300); unknown codes get REQUEST_CODE_NOT_SUPPORTED. */
#include <config.h>

#include <string.h>

#include "broker/broker.h"
#include "broker/commands.h"
#include "broker/client_registry.h"
#include "broker/namesrv_link.h"
#include "remoting/codes.h"
#include "remoting/json_body.h"
#include "remoting/json_text.h"

static void
reply_text(RmqConnection *conn, RmqCommand *req, const gchar *text)
{
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_body_data(resp, text, strlen(text));
    rmq_broker_reply(conn, req, resp);
}

static void
reply_node(RmqConnection *conn, RmqCommand *req, JsonNode *node)
{
    g_autofree gchar *text = rmq_json_to_string(node, FALSE);
    json_node_unref(node);
    reply_text(conn, req, text);
}

/* The ext field @name, or NULL once the request is answered that it is missing. */
static const gchar *
require_ext(RmqConnection *conn, RmqCommand *req, const gchar *name)
{
    const gchar *value = rmq_command_get_ext(req, name);
    if (value == NULL) {
        g_autofree gchar *remark = g_strdup_printf("the custom field <%s> is null", name);
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, remark);
    }
    return value;
}

/* The topic a create/update/delete names, or NULL once the request is refused
 * (no topic, or a topic admins may not change; the slave refusal is the
 * command table's). */
static const gchar *
require_admin_topic(RmqBroker *b, RmqConnection *conn, RmqCommand *req)
{
    const gchar *topic = require_ext(conn, req, "topic");
    if (topic == NULL)
        return NULL;
    g_autofree gchar *remark = NULL;
    gint32 code = rmq_topic_table_check_admin(b->topics, topic, &remark);
    if (code != RMQ_RESPONSE_SUCCESS) {
        rmq_broker_reply_borrow(conn, req, code, remark);
        return NULL;
    }
    return topic;
}

typedef struct {
    RmqConnection *conn;
    RmqCommand *request;
} PendingReply;

static void
reply_after_register(gpointer data)
{
    PendingReply *p = data;
    rmq_broker_reply_borrow(p->conn, p->request, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_connection_unref(p->conn);
    g_free(p);
}

void
rmq_broker_handle_update_topic(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *topic = require_admin_topic(b, conn, req);
    if (topic == NULL)
        return;
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new(topic);
    gint32 v;
    if (rmq_command_get_ext_int32(req, "readQueueNums", &v))
        tc->read_queue_nums = v;
    if (rmq_command_get_ext_int32(req, "writeQueueNums", &v))
        tc->write_queue_nums = v;
    if (rmq_command_get_ext_int32(req, "perm", &v))
        tc->perm = v;
    if (rmq_command_get_ext_int32(req, "topicSysFlag", &v))
        tc->topic_sys_flag = v;
    tc->order = rmq_command_get_ext_bool(req, "order", FALSE);
    const gchar *ft = rmq_command_get_ext(req, "topicFilterType");
    if (ft != NULL)
        rmq_topic_filter_type_parse(ft, &tc->filter_type);
    if (tc->read_queue_nums <= 0 || tc->write_queue_nums <= 0 || tc->read_queue_nums > 1024 ||
        tc->write_queue_nums > 1024) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, "queue nums must be between 1 and 1024");
        return;
    }
    rmq_topic_table_update(b->topics, tc);
    rmq_broker_save_topics(b);
    /* As Java: answer once the name servers have the topic. */
    g_autoptr(GBytes) body =
        rmq_topic_table_register_body(b->topics, b->settings.broker_permission, topic);
    PendingReply *p = g_new0(PendingReply, 1);
    p->conn = rmq_connection_ref(conn);
    p->request = req;
    rmq_namesrv_link_register_then(b->namesrv, body, reply_after_register, p);
}

void
rmq_broker_handle_delete_topic(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *topic = require_admin_topic(b, conn, req);
    if (topic == NULL)
        return;
    if (rmq_topic_table_delete(b->topics, topic))
        rmq_broker_save_topics(b);
    rmq_store_delete_topic(b->store, topic);
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
}

void
rmq_broker_handle_simple_get(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    g_autofree gchar *text = NULL;
    switch (req->code) {
    case RMQ_REQUEST_GET_ALL_TOPIC_CONFIG:
        text = rmq_topic_table_to_json(b->topics, FALSE);
        break;
    case RMQ_REQUEST_GET_ALL_SUBSCRIPTIONGROUP_CONFIG:
        text = rmq_subscription_group_table_to_json(b->groups, FALSE);
        break;
    case RMQ_REQUEST_GET_ALL_CONSUMER_OFFSET:
        text = rmq_consumer_offsets_to_json(b->offsets, FALSE);
        break;
    case RMQ_REQUEST_GET_ALL_DELAY_OFFSET:
        text = rmq_delay_offsets_to_json(b->delay_offsets, FALSE);
        break;
    default: { /* GET_SYSTEM_TOPIC_LIST_FROM_BROKER */
        g_autoptr(GPtrArray) sys = rmq_topic_table_system_topics(b->topics);
        g_autoptr(JsonBuilder) jb = json_builder_new();
        json_builder_begin_object(jb);
        json_builder_set_member_name(jb, "topicList");
        json_builder_begin_array(jb);
        for (guint i = 0; i < sys->len; i++)
            json_builder_add_string_value(jb, g_ptr_array_index(sys, i));
        json_builder_end_array(jb);
        json_builder_end_object(jb);
        reply_node(conn, req, json_builder_get_root(jb));
        return;
    }
    }
    reply_text(conn, req, text);
}

/* GET_BROKER_CONFIG (26) and UPDATE_BROKER_CONFIG (25) through the one key
 * table: GET lists every broker key with the value in force; UPDATE takes
 * the keys SIGHUP may change, with the file's parsing and bounds, and refuses
 * the whole request, naming the key, otherwise. */
void
rmq_broker_handle_broker_config(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    if (req->code == RMQ_REQUEST_GET_BROKER_CONFIG) {
        g_autofree gchar *props = rmq_broker_config_properties(b);
        g_autoptr(JsonNode) v = rmq_data_version_to_node(rmq_topic_table_version(b->topics));
        g_autofree gchar *vtext = rmq_json_to_string(v, FALSE);
        RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
        rmq_command_set_ext(resp, "version", vtext);
        rmq_command_set_body_data(resp, props, strlen(props));
        rmq_broker_reply(conn, req, resp);
        return;
    }
    gsize len = 0;
    const gchar *data = req->body != NULL ? g_bytes_get_data(req->body, &len) : "";
    g_autofree gchar *text = g_strndup(data, len);
    g_autoptr(GError) err = NULL;
    g_autoptr(RmqConfig) updated = rmq_config_update_runtime(b->config, text, &err);
    if (updated == NULL) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, err->message);
        return;
    }
    g_autofree gchar *changes = rmq_config_describe_changes(b->config, updated);
    rmq_broker_reconfigure(b, updated);
    g_message("UPDATE_BROKER_CONFIG: %s", changes != NULL ? changes : "no change");
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
}

static void
kv(JsonBuilder *jb, const gchar *k, const gchar *fmt, ...) G_GNUC_PRINTF(3, 4);
static void
kv(JsonBuilder *jb, const gchar *k, const gchar *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree gchar *v = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    json_builder_set_member_name(jb, k);
    json_builder_add_string_value(jb, v);
}

void
rmq_broker_handle_runtime_info(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    g_autoptr(JsonBuilder) jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "table");
    json_builder_begin_object(jb);
    kv(jb, "bootTimestamp", "%" G_GINT64_FORMAT, b->stats.boot_ms);
    kv(jb, "brokerVersion", "%d", 407);
    kv(jb, "brokerVersionDesc", "%s", "V4_9_7");
    kv(jb, "commitLogDiskRatio", "%.4f", MAX(rmq_store_disk_usage(b->store), 0) / 100.0);
    kv(jb, "commitLogMaxOffset", "%" G_GINT64_FORMAT, rmq_store_get_max_phy_offset(b->store));
    kv(jb, "commitLogMinOffset", "%" G_GINT64_FORMAT, rmq_store_get_min_phy_offset(b->store));
    kv(jb, "earliestMessageTimeStamp", "%" G_GINT64_FORMAT,
       rmq_store_get_earliest_commit_log_time(b->store));
    kv(jb, "getTransferedTps", "%.2f %.2f %.2f", b->stats.get_tps, b->stats.get_tps,
       b->stats.get_tps);
    kv(jb, "msgGetTotalTodayNow", "%" G_GUINT64_FORMAT, b->stats.get_total);
    kv(jb, "msgGetTotalTodayMorning", "0");
    kv(jb, "msgGetTotalYesterdayMorning", "0");
    kv(jb, "msgPutTotalTodayNow", "%" G_GUINT64_FORMAT, b->stats.put_total);
    kv(jb, "msgPutTotalTodayMorning", "0");
    kv(jb, "msgPutTotalYesterdayMorning", "0");
    kv(jb, "pageCacheLockTimeMills", "0");
    kv(jb, "pullThreadPoolQueueHeadWaitTimeMills", "0");
    kv(jb, "pullThreadPoolQueueSize", "0");
    kv(jb, "putTps", "%.2f %.2f %.2f", b->stats.put_tps, b->stats.put_tps, b->stats.put_tps);
    kv(jb, "sendThreadPoolQueueHeadWaitTimeMills", "0");
    kv(jb, "sendThreadPoolQueueSize", "0");
    json_builder_end_object(jb);
    json_builder_end_object(jb);
    reply_node(conn, req, json_builder_get_root(jb));
}

void
rmq_broker_handle_update_group(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    gsize len = 0;
    const gchar *data = req->body != NULL ? g_bytes_get_data(req->body, &len) : NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(RmqSubscriptionGroup) g =
        data != NULL ? rmq_subscription_group_parse(data, len, &err) : NULL;
    if (g == NULL || g->group_name == NULL || *g->group_name == '\0') {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                                err != NULL ? err->message : "the body is not a SubscriptionGroupConfig");
        return;
    }
    rmq_subscription_group_table_update(b->groups, g);
    rmq_broker_save_groups(b);
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
}

void
rmq_broker_handle_delete_group(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *group = require_ext(conn, req, "groupName");
    if (group == NULL)
        return;
    if (rmq_subscription_group_table_delete(b->groups, group))
        rmq_broker_save_groups(b);
    if (rmq_command_get_ext_bool(req, "removeOffset", FALSE) &&
        rmq_consumer_offsets_remove_group(b->offsets, group) > 0)
        rmq_broker_save_offsets(b);
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
}

/* fastjson's inline-object key for a MessageQueue (docs/protocol.md §5.6). */
static void
append_mq_key(GString *out, const gchar *broker, gint qid, const gchar *topic)
{
    g_string_append(out, "{\"brokerName\":");
    rmq_json_text_append_string(out, broker, -1);
    g_string_append_printf(out, ",\"queueId\":%d,\"topic\":", qid);
    rmq_json_text_append_string(out, topic, -1);
    g_string_append_c(out, '}');
}

static gint64
store_time_before(RmqBroker *b, const gchar *topic, gint qid, gint64 offset)
{
    if (offset <= 0)
        return 0;
    gint64 t = rmq_store_get_message_store_timestamp(b->store, topic, qid, offset - 1);
    return t > 0 ? t : 0;
}

void
rmq_broker_handle_topic_stats(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *topic = rmq_command_get_ext(req, "topic");
    const RmqTopicConfig *tc = topic != NULL ? rmq_topic_table_lookup(b->topics, topic) : NULL;
    if (tc == NULL) {
        g_autofree gchar *remark = g_strdup_printf("topic[%s] not exist", topic ? topic : "");
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_TOPIC_NOT_EXIST, remark);
        return;
    }
    g_autoptr(GString) out = g_string_new("{\"offsetTable\":{");
    for (gint q = 0; q < tc->write_queue_nums; q++) {
        gint64 min = MAX(rmq_store_get_min_offset(b->store, topic, q), 0);
        gint64 max = MAX(rmq_store_get_max_offset(b->store, topic, q), 0);
        if (q > 0)
            g_string_append_c(out, ',');
        append_mq_key(out, b->settings.broker_name, q, topic);
        g_string_append_printf(out,
                               ":{\"lastUpdateTimestamp\":%" G_GINT64_FORMAT
                               ",\"maxOffset\":%" G_GINT64_FORMAT ",\"minOffset\":%" G_GINT64_FORMAT
                               "}",
                               store_time_before(b, topic, q, max), max, min);
    }
    g_string_append(out, "}}");
    reply_text(conn, req, out->str);
}

void
rmq_broker_handle_consume_stats(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *group = require_ext(conn, req, "consumerGroup");
    if (group == NULL)
        return;
    const gchar *only = rmq_command_get_ext(req, "topic");
    g_autoptr(GPtrArray) topics = NULL;
    if (only != NULL && *only != '\0') {
        topics = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(topics, g_strdup(only));
    } else {
        topics = rmq_consumer_offsets_topics_of_group(b->offsets, group);
    }
    g_autoptr(GString) out = g_string_new("{\"consumeTps\":");
    rmq_json_text_append_double(out, b->stats.get_tps);
    g_string_append(out, ",\"offsetTable\":{");
    gboolean first = TRUE;
    for (guint i = 0; i < topics->len; i++) {
        const gchar *topic = g_ptr_array_index(topics, i);
        const RmqTopicConfig *tc = rmq_topic_table_lookup(b->topics, topic);
        if (tc == NULL)
            continue;
        for (gint q = 0; q < tc->read_queue_nums; q++) {
            gint64 max = MAX(rmq_store_get_max_offset(b->store, topic, q), 0);
            gint64 cons = MAX(rmq_consumer_offsets_query(b->offsets, group, topic, q), 0);
            if (!first)
                g_string_append_c(out, ',');
            first = FALSE;
            append_mq_key(out, b->settings.broker_name, q, topic);
            g_string_append_printf(out,
                                   ":{\"brokerOffset\":%" G_GINT64_FORMAT
                                   ",\"consumerOffset\":%" G_GINT64_FORMAT
                                   ",\"lastTimestamp\":%" G_GINT64_FORMAT "}",
                                   max, cons, store_time_before(b, topic, q, cons));
        }
    }
    g_string_append(out, "}}");
    reply_text(conn, req, out->str);
}

static void
add_connections(JsonBuilder *jb, GHashTable *channels)
{
    json_builder_set_member_name(jb, "connectionSet");
    json_builder_begin_array(jb);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, channels);
    while (g_hash_table_iter_next(&it, NULL, &v))
        json_builder_add_value(jb, rmq_client_channel_to_node(v));
    json_builder_end_array(jb);
}

void
rmq_broker_handle_connections(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    g_autoptr(JsonBuilder) jb = json_builder_new();
    if (req->code == RMQ_REQUEST_GET_PRODUCER_CONNECTION_LIST) {
        const gchar *group = rmq_command_get_ext(req, "producerGroup");
        GHashTable *chs = group != NULL ? rmq_client_registry_producer_group(b->clients, group) : NULL;
        if (chs == NULL) {
            g_autofree gchar *remark =
                g_strdup_printf("the producer group[%s] not exist", group ? group : "");
            rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, remark);
            return;
        }
        json_builder_begin_object(jb);
        add_connections(jb, chs);
        json_builder_end_object(jb);
        reply_node(conn, req, json_builder_get_root(jb));
        return;
    }
    const gchar *group = rmq_command_get_ext(req, "consumerGroup");
    RmqConsumerGroup *cg = group != NULL ? rmq_client_registry_consumer_group(b->clients, group) : NULL;
    if (cg == NULL) {
        g_autofree gchar *remark =
            g_strdup_printf("the consumer group[%s] not online", group ? group : "");
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_CONSUMER_NOT_ONLINE, remark);
        return;
    }
    json_builder_begin_object(jb);
    add_connections(jb, cg->channels);
    json_builder_set_member_name(jb, "consumeFromWhere");
    json_builder_add_string_value(jb, cg->consume_from_where);
    json_builder_set_member_name(jb, "consumeType");
    json_builder_add_string_value(jb, cg->consume_type);
    json_builder_set_member_name(jb, "messageModel");
    json_builder_add_string_value(jb, cg->message_model);
    json_builder_set_member_name(jb, "subscriptionTable");
    json_builder_begin_object(jb);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, cg->subscriptions);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        json_builder_set_member_name(jb, k);
        json_builder_add_value(jb, rmq_subscription_to_node(v));
    }
    json_builder_end_object(jb);
    json_builder_end_object(jb);
    reply_node(conn, req, json_builder_get_root(jb));
}

/* GET_ALL_PRODUCER_INFO (328): ProducerTableInfo, {"data":{group:[ProducerInfo]}}
 * with Java's fields (remoteIP as Netty's address string, "/ip:port";
 * lastUpdateTimestamp wall-clock ms of the last heartbeat). */
void
rmq_broker_handle_producer_info(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    gint64 wall_ms = g_get_real_time() / 1000, mono_ms = g_get_monotonic_time() / 1000;
    g_autoptr(JsonBuilder) jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "data");
    json_builder_begin_object(jb);
    GHashTableIter git;
    gpointer gname, chans;
    g_hash_table_iter_init(&git, rmq_client_registry_producer_groups(b->clients));
    while (g_hash_table_iter_next(&git, &gname, &chans)) {
        json_builder_set_member_name(jb, gname);
        json_builder_begin_array(jb);
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, chans);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            const RmqClientChannel *ch = v;
            g_autofree gchar *ip = g_strdup_printf("/%s", rmq_connection_get_peer(ch->conn));
            json_builder_begin_object(jb);
            json_builder_set_member_name(jb, "clientId");
            json_builder_add_string_value(jb, ch->client_id != NULL ? ch->client_id : "");
            json_builder_set_member_name(jb, "language");
            json_builder_add_string_value(jb, rmq_language_name((RmqLanguage) ch->language));
            json_builder_set_member_name(jb, "lastUpdateTimestamp");
            json_builder_add_int_value(jb, wall_ms - (mono_ms - ch->last_update_ms));
            json_builder_set_member_name(jb, "remoteIP");
            json_builder_add_string_value(jb, ip);
            json_builder_set_member_name(jb, "version");
            json_builder_add_int_value(jb, ch->version);
            json_builder_end_object(jb);
        }
        json_builder_end_array(jb);
    }
    json_builder_end_object(jb);
    json_builder_end_object(jb);
    reply_node(conn, req, json_builder_get_root(jb));
}

void
rmq_broker_handle_consume_by_who(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *topic = require_ext(conn, req, "topic");
    if (topic == NULL)
        return;
    g_autoptr(GPtrArray) online = rmq_client_registry_groups_of_topic(b->clients, topic);
    g_autoptr(GPtrArray) stored = rmq_consumer_offsets_groups_of_topic(b->offsets, topic);
    g_autoptr(GHashTable) set = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(JsonBuilder) jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "groupList");
    json_builder_begin_array(jb);
    GPtrArray *lists[2] = { online, stored };
    for (guint l = 0; l < 2; l++)
        for (guint i = 0; i < lists[l]->len; i++) {
            const gchar *g = g_ptr_array_index(lists[l], i);
            if (g_hash_table_add(set, (gpointer) g))
                json_builder_add_string_value(jb, g);
        }
    json_builder_end_array(jb);
    json_builder_end_object(jb);
    reply_node(conn, req, json_builder_get_root(jb));
}

void
rmq_broker_handle_unknown(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    (void) user_data;
    g_autofree gchar *remark = g_strdup_printf(" request type %d not supported", req->code);
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED, remark);
}
