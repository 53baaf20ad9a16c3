/* Admin and metadata codes (docs/protocol.md §3.3): topics (17, 215, 21, 305), subscription
 * groups (200, 201, 207), broker config and runtime info (25, 26, 28),
 * statistics (202, 208), connection lists (203, 204), producers (328), offsets
 * tables (43, 45),
 * QUERY_TOPIC_CONSUME_BY_WHO (300); unknown codes get REQUEST_CODE_NOT_SUPPORTED. */
#include <config.h>

#include <string.h>
#include <sys/statvfs.h>

#include "broker/broker.h"
#include "broker/commands.h"
#include "broker/client_registry.h"
#include "broker/flow_control.h"
#include "broker/schedule_service.h"
#include "broker/stats.h"
#include "broker/store_stats.h"
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

/* The topic a create/update/delete names, or NULL once the request is refused
 * (no topic, or a topic admins may not change; the slave refusal is the
 * command table's). */
static const gchar *
require_admin_topic(RmqBroker *b, RmqConnection *conn, RmqCommand *req)
{
    const gchar *topic = rmq_broker_require_ext(conn, req, "topic");
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

/* statvfs of @path: the used fraction as Java's getDiskPartitionSpaceUsedPercent
 * computes it (used / (used + usable), rounded up to a whole percent; -1 on
 * error) and the sizes for commitLogDirCapacity. */
static gdouble
partition_used(const gchar *path, guint64 *total, guint64 *usable)
{
    struct statvfs st;
    *total = *usable = 0;
    if (path == NULL || statvfs(path, &st) != 0 || st.f_blocks == 0)
        return -1;
    *total = (guint64) st.f_blocks * st.f_frsize;
    *usable = (guint64) st.f_bavail * st.f_frsize;
    guint64 used = (guint64) (st.f_blocks - st.f_bfree) * st.f_frsize;
    guint64 entire = used + *usable;
    if (entire == 0)
        return -1;
    guint64 percent = used * 100 / entire + (used * 100 % entire != 0 ? 1 : 0);
    return (gdouble) percent / 100.0;
}

static void
kv_double(JsonBuilder *jb, const gchar *k, gdouble v)
{
    g_autoptr(GString) text = g_string_new(NULL);
    rmq_json_text_append_java_double(text, v);
    kv(jb, k, "%s", text->str);
}

static void
kv_owned(JsonBuilder *jb, const gchar *k, gchar *v)
{
    kv(jb, k, "%s", v);
    g_free(v);
}

/* GET_BROKER_RUNTIME_INFO: the fields of Java's prepareRuntimeInfo and its
 * store's getRuntimeInfo, measured (docs/protocol.md §3.3, "Runtime info"). */
void
rmq_broker_handle_runtime_info(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    RmqStoreStats *ss = b->stats.store;
    RmqStoreStatsFigures f;
    rmq_store_stats_figures(ss, &f);
    gint64 now_us = g_get_monotonic_time();
    gint64 now_ms = g_get_real_time() / 1000;
    guint64 puts = MAX(f.put_total, 1); /* Java divides by 1 when nothing was put */

    g_autoptr(JsonBuilder) jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "table");
    json_builder_begin_object(jb);
    /* the store's figures (StoreStatsService.getRuntimeInfo) */
    kv(jb, "bootTimestamp", "%" G_GINT64_FORMAT, f.boot_ms);
    kv_owned(jb, "runtime", rmq_store_stats_format_runtime(f.boot_ms, now_ms));
    kv(jb, "putMessageEntireTimeMax", "%" G_GINT64_FORMAT, f.put_time_max_ms);
    kv(jb, "putMessageTimesTotal", "%" G_GUINT64_FORMAT, puts);
    kv(jb, "putMessageFailedTimes", "%" G_GUINT64_FORMAT, f.put_failed);
    kv(jb, "putMessageSizeTotal", "%" G_GUINT64_FORMAT, f.put_size_total);
    kv_owned(jb, "putMessageDistributeTime", rmq_store_stats_distribution_text(ss));
    kv_double(jb, "putMessageAverageSize", (gdouble) f.put_size_total / (gdouble) puts);
    kv(jb, "dispatchMaxBuffer", "0"); /* Java keeps it 0: nothing sets it since 4.x */
    kv(jb, "getMessageEntireTimeMax", "%" G_GINT64_FORMAT, f.get_time_max_ms);
    kv_owned(jb, "putTps", rmq_store_stats_tps_text(ss, RMQ_STORE_STATS_PUT));
    kv_owned(jb, "getFoundTps", rmq_store_stats_tps_text(ss, RMQ_STORE_STATS_GET_FOUND));
    kv_owned(jb, "getMissTps", rmq_store_stats_tps_text(ss, RMQ_STORE_STATS_GET_MISS));
    {
        g_autoptr(GString) total = g_string_new(NULL);
        static const guint windows[] = { 10, 60, 600 };
        for (guint i = 0; i < G_N_ELEMENTS(windows); i++) {
            gdouble found = 0, miss = 0;
            rmq_store_stats_tps(ss, RMQ_STORE_STATS_GET_FOUND, windows[i], &found);
            rmq_store_stats_tps(ss, RMQ_STORE_STATS_GET_MISS, windows[i], &miss);
            if (i > 0)
                g_string_append_c(total, ' ');
            rmq_json_text_append_java_double(total, found + miss); /* Java prints 0.0 here, not "" */
        }
        kv(jb, "getTotalTps", "%s", total->str);
    }
    kv_owned(jb, "getTransferedTps", rmq_store_stats_tps_text(ss, RMQ_STORE_STATS_TRANSFERRED));
    kv(jb, "putLatency99", "%.2f", rmq_store_stats_put_percentile(ss, 0.99));
    kv(jb, "putLatency999", "%.2f", rmq_store_stats_put_percentile(ss, 0.999));
    /* DefaultMessageStore.getRuntimeInfo */
    const RmqStoreConfig *sc = rmq_store_get_config(b->store);
    const gchar *root = sc->store_path_root_dir;
    g_autofree gchar *cl_dir = sc->store_path_commit_log != NULL
                                   ? g_strdup(sc->store_path_commit_log)
                                   : g_build_filename(root, "commitlog", NULL);
    g_autofree gchar *cq_dir = g_build_filename(root, "consumequeue", NULL);
    guint64 total = 0, usable = 0;
    /* Java gives -1 until the directory exists (its first file); rmq reports
     * the partition it will be on, the root's */
    gdouble cl_ratio = partition_used(cl_dir, &total, &usable);
    if (cl_ratio < 0)
        cl_ratio = partition_used(root, &total, &usable);
    g_autofree gchar *cl_key = g_strconcat("commitLogDiskRatio_", cl_dir, NULL);
    kv_double(jb, cl_key, cl_ratio);
    kv_double(jb, "commitLogDiskRatio", cl_ratio);
    gdouble cq_ratio = partition_used(cq_dir, &total, &usable);
    kv_double(jb, "consumeQueueDiskRatio", cq_ratio >= 0 ? cq_ratio : partition_used(root, &total, &usable));
    if (b->schedule != NULL) {
        guint levels = rmq_schedule_service_levels(b->schedule);
        for (guint level = 1; level <= levels; level++) {
            gint64 off;
            if (!rmq_delay_offsets_lookup(b->delay_offsets, (gint) level, &off))
                continue;
            g_autofree gchar *key = g_strdup_printf("scheduleMessageOffset_%u", level);
            kv(jb, key, "%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT, off,
               MAX(rmq_store_get_max_offset(b->store, RMQ_STORE_SCHEDULE_TOPIC, (gint32) level - 1),
                   0));
        }
    }
    gint64 max_phy = rmq_store_get_max_phy_offset(b->store);
    kv(jb, "commitLogMinOffset", "%" G_GINT64_FORMAT, rmq_store_get_min_phy_offset(b->store));
    kv(jb, "commitLogMaxOffset", "%" G_GINT64_FORMAT, max_phy);
    /* the broker's (AdminBrokerProcessor.prepareRuntimeInfo) */
    kv(jb, "brokerVersionDesc", "%s", "V4_9_7");
    kv(jb, "brokerVersion", "%d", 407);
    kv(jb, "msgPutTotalYesterdayMorning", "%" G_GUINT64_FORMAT, f.put_yesterday_morning);
    kv(jb, "msgPutTotalTodayMorning", "%" G_GUINT64_FORMAT, f.put_today_morning);
    kv(jb, "msgPutTotalTodayNow", "%" G_GUINT64_FORMAT, f.put_total);
    kv(jb, "msgGetTotalYesterdayMorning", "%" G_GUINT64_FORMAT, f.get_yesterday_morning);
    kv(jb, "msgGetTotalTodayMorning", "%" G_GUINT64_FORMAT, f.get_today_morning);
    kv(jb, "msgGetTotalTodayNow", "%" G_GUINT64_FORMAT, f.transferred);
    gint64 head_wait = 0;
    guint queued = rmq_broker_send_queue(b, now_us, &head_wait);
    kv(jb, "sendThreadPoolQueueSize", "%u", queued);
    kv(jb, "sendThreadPoolQueueCapacity", "%d", b->settings.flow.send_queue_capacity);
    kv(jb, "sendThreadPoolQueueHeadWaitTimeMills", "%" G_GINT64_FORMAT, head_wait);
    /* Pulls and queries are answered as they are read, on the loop: no queue
     * ever holds one while this request runs (docs/protocol.md §3.3). */
    kv(jb, "pullThreadPoolQueueSize", "0");
    kv(jb, "pullThreadPoolQueueHeadWaitTimeMills", "0");
    kv(jb, "queryThreadPoolQueueSize", "0");
    kv(jb, "queryThreadPoolQueueHeadWaitTimeMills", "0");
    kv(jb, "dispatchBehindBytes", "%" G_GINT64_FORMAT, rmq_store_dispatch_behind_bytes(b->store));
    kv(jb, "pageCacheLockTimeMills", "%" G_GINT64_FORMAT,
       rmq_flow_control_put_held_ms(b->flow, now_us / 1000));
    kv(jb, "earliestMessageTimeStamp", "%" G_GINT64_FORMAT,
       rmq_store_get_earliest_commit_log_time(b->store));
    kv(jb, "startAcceptSendRequestTimeStamp", "0"); /* the key's default: accept at once */
    kv_owned(jb, "remainHowManyDataToFlush",
             rmq_java_human_bytes(MAX(max_phy - rmq_store_flushed_offset(b->store), 0)));
    if (partition_used(root, &total, &usable) >= 0) {
        g_autofree gchar *t = rmq_java_human_bytes((gint64) total);
        g_autofree gchar *u = rmq_java_human_bytes((gint64) usable);
        kv(jb, "commitLogDirCapacity", "Total : %s, Free : %s.", t, u);
    }
    rmq_broker_refusals_to_runtime_info(b, jb);
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
    const gchar *group = rmq_broker_require_ext(conn, req, "groupName");
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

/* Java's consumeTps: the group's GROUP_GET_NUMS tps of the last minute,
 * summed over the topics asked about. */
static gdouble
consume_tps(RmqBroker *b, const gchar *group, GPtrArray *topics)
{
    gdouble tps = 0;
    for (guint i = 0; i < topics->len; i++) {
        g_autofree gchar *key = g_strconcat(g_ptr_array_index(topics, i), "@", group, NULL);
        RmqStatsSnapshot snap;
        if (rmq_stats_get(b->stats_table, RMQ_STATS_GROUP_GET_NUMS, key, RMQ_STATS_MINUTE, &snap))
            tps += snap.tps;
    }
    return tps;
}

void
rmq_broker_handle_consume_stats(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *group = rmq_broker_require_ext(conn, req, "consumerGroup");
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
    rmq_json_text_append_double(out, consume_tps(b, group, topics));
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
    const gchar *topic = rmq_broker_require_ext(conn, req, "topic");
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
    g_autofree gchar *remark = g_strdup_printf(" request type %d not supported", req->code);
    rmq_broker_note_refusal(user_data, conn, req, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED, remark,
                            FALSE);
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED, remark);
}
