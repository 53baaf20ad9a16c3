/* rmqadmin: consumer offsets and consumers (mqadmin 4.9's resetOffsetByTime,
 * skipAccumulatedMessage, cloneGroupOffset, getConsumerConfig,
 * consumerStatus, allocateMQ, updateOrderConf), with mqadmin's options and
 * output lines; --json for scripts. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "tools/rmqadmin.h"

#include "remoting/codes.h"
#include "remoting/json_body.h"

/* UtilAll.frontStringAtLeast(s, 32): at most the first 32 characters. */
static gchar *
front32(const gchar *s)
{
    return g_utf8_substring(s ? s : "", 0, MIN(32, g_utf8_strlen(s ? s : "", -1)));
}

/* Java's Boolean.valueOf: "true" in any case is true, anything else false. */
static gboolean
java_bool(gchar *s)
{
    return s != NULL && g_ascii_strcasecmp(g_strstrip(s), "true") == 0;
}

/* BrokerData.selectBrokerAddr: the master, else the lowest id. (transfer none) */
static const gchar *
select_addr(JsonObject *broker_data)
{
    JsonObject *addrs = rmq_json_object_get_object_or_null(broker_data, "brokerAddrs");
    if (addrs == NULL)
        return NULL;
    const gchar *m = rmq_json_object_get_string_or(addrs, "0", NULL);
    if (m != NULL)
        return m;
    g_autoptr(GList) ids = json_object_get_members(addrs);
    gint64 best = G_MAXINT64;
    const gchar *out = NULL;
    for (GList *l = ids; l; l = l->next) {
        gint64 id = g_ascii_strtoll(l->data, NULL, 10);
        if (id < best) {
            best = id;
            out = rmq_json_object_get_string_or(addrs, l->data, NULL);
        }
    }
    return out;
}

/* Rows sorted as MessageQueue sorts: topic, broker name, queue id. */
static gint
row_cmp(gconstpointer a, gconstpointer b)
{
    JsonObject *x = json_node_get_object(*(JsonNode *const *) a);
    JsonObject *y = json_node_get_object(*(JsonNode *const *) b);
    gint d = g_strcmp0(rmq_json_object_get_string_or(x, "topic", ""),
                       rmq_json_object_get_string_or(y, "topic", ""));
    if (d == 0)
        d = g_strcmp0(rmq_json_object_get_string_or(x, "brokerName", ""),
                      rmq_json_object_get_string_or(y, "brokerName", ""));
    if (d == 0)
        d = (gint) (json_object_get_int_member(x, "queueId") -
                    json_object_get_int_member(y, "queueId"));
    return d;
}

static JsonArray *
sorted_rows(GPtrArray *rows)
{
    g_ptr_array_sort(rows, row_cmp);
    JsonArray *out = json_array_new();
    for (guint i = 0; i < rows->len; i++)
        json_array_add_element(out, json_node_ref(g_ptr_array_index(rows, i)));
    return out;
}

/* A MessageQueue map key as rmq_admin_parse_body() leaves it (the key
 * object's JSON text). (transfer full) NULL if it is not one. */
static JsonObject *
mq_of_key(const gchar *key)
{
    g_autoptr(JsonNode) n = rmq_json_parse_lenient(key, -1, NULL);
    if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
        return NULL;
    return json_object_ref(json_node_get_object(n));
}

/* ---- resetOffsetByTime / skipAccumulatedMessage ---------------------------- */

typedef enum { RESET_DONE, RESET_NOT_ONLINE, RESET_FAILED } ResetOutcome;

/* DefaultMQAdminExt.resetOffsetByTimestamp: INVOKE_BROKER_TO_RESET_OFFSET
 * (222) to each broker of @topic's route, which computes the offsets and
 * pushes them to the group's online clients (RESET_CONSUMER_CLIENT_OFFSET).
 * Rows {topic, brokerName, queueId, offset} go to @rows. */
static ResetOutcome
reset_online(RmqAdminCommon *c, const gchar *group, const gchar *topic, gint64 ts,
             gboolean force, GPtrArray *rows, GError **error)
{
    g_autoptr(JsonNode) route = rmq_admin_topic_route(c->admin, topic, error);
    if (route == NULL)
        return RESET_FAILED;
    JsonArray *bds = rmq_json_object_get_array_or_null(json_node_get_object(route), "brokerDatas");
    g_autofree gchar *ts_text = rmqadmin_int_text(ts);
    for (guint i = 0; bds && i < json_array_get_length(bds); i++) {
        const gchar *addr = select_addr(json_array_get_object_element(bds, i));
        if (addr == NULL)
            continue;
        g_autoptr(GBytes) body =
            rmq_admin_invoke(c->admin, addr, RMQ_REQUEST_INVOKE_BROKER_TO_RESET_OFFSET, NULL, NULL,
                             error, "topic", topic, "group", group, "timestamp", ts_text,
                             "isForce", force ? "true" : "false", NULL);
        if (body == NULL)
            return rmq_admin_last_response_code(c->admin) == RMQ_RESPONSE_CONSUMER_NOT_ONLINE
                       ? RESET_NOT_ONLINE
                       : RESET_FAILED;
        g_autoptr(JsonNode) n = rmq_admin_parse_body(body, error);
        JsonObject *table = n != NULL && JSON_NODE_HOLDS_OBJECT(n)
                                ? rmq_json_object_get_object_or_null(json_node_get_object(n),
                                                                     "offsetTable")
                                : NULL;
        if (table == NULL) {
            if (n != NULL)
                g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL,
                            "%s: reset answer has no offsetTable", addr);
            return RESET_FAILED;
        }
        g_autoptr(GList) keys = json_object_get_members(table);
        for (GList *l = keys; l; l = l->next) {
            g_autoptr(JsonObject) mq = mq_of_key(l->data);
            if (mq == NULL)
                continue;
            JsonObject *row = json_object_new();
            json_object_set_string_member(row, "topic", rmq_json_object_get_string_or(mq, "topic", topic));
            json_object_set_string_member(row, "brokerName",
                                          rmq_json_object_get_string_or(mq, "brokerName", ""));
            json_object_set_int_member(row, "queueId", rmq_json_object_get_int32_or(mq, "queueId", 0));
            json_object_set_int_member(row, "offset", json_object_get_int_member(table, l->data));
            json_object_set_boolean_member(row, "clientsNotified", TRUE);
            g_ptr_array_add(rows, rmq_json_node_take_object(row));
        }
    }
    return RESET_DONE;
}

/* The offset of the first message stored at or after @ts (-1: the end). */
static gint64
offset_at_time(RmqConsumer *cons, const RmqQueue *mq, gint64 ts, gint64 max, GError **error)
{
    if (ts == -1)
        return max;
    gint64 at = rmq_consumer_search_offset(cons, mq, ts, error);
    if (at < 0)
        return -1;
    /* The broker answers the nearest message (docs/protocol.md §3.2): step
     * past it when it was stored before the time asked for. */
    RmqPullResult r;
    if (at < max && rmq_consumer_pull(cons, mq, "*", at, 1, 0, &r, NULL)) {
        if (r.status == RMQ_PULL_FOUND && r.msgs->len > 0 &&
            ((RmqMsg *) g_ptr_array_index(r.msgs, 0))->store_timestamp < ts)
            at++;
        rmq_pull_result_clear(&r);
    }
    return at;
}

/* DefaultMQAdminExt.resetOffsetByTimestampOld, for a group with no client
 * online: the offsets are written on the brokers (UPDATE_CONSUMER_OFFSET),
 * rows with mqadmin's RollbackStats. */
static gboolean
reset_offline(RmqAdminCommon *c, const gchar *group, const gchar *topic, gint64 ts,
              gboolean force, GPtrArray *rows, GError **error)
{
    g_autoptr(RmqConsumer) cons = rmq_consumer_new_on(rmq_admin_get_instance(c->admin), group);
    g_autoptr(GPtrArray) queues = rmq_consumer_fetch_subscribe_queues(cons, topic, error);
    if (queues == NULL)
        return FALSE;
    for (guint i = 0; i < queues->len; i++) {
        const RmqQueue *mq = g_ptr_array_index(queues, i);
        gint64 max = rmq_consumer_max_offset(cons, mq, error);
        if (max < 0)
            return FALSE;
        gint64 cur = rmq_consumer_query_offset(cons, mq, error);
        if (cur == -2)
            return FALSE;
        if (cur < 0) { /* never consumed: mqadmin counts from the queue's minimum */
            cur = rmq_consumer_min_offset(cons, mq, error);
            if (cur < 0)
                return FALSE;
        }
        gint64 at = offset_at_time(cons, mq, ts, max, error);
        if (at < 0)
            return FALSE;
        gint64 rollback = cur;
        if (force || at <= cur) {
            if (!rmq_consumer_commit_offset(cons, mq, at, error))
                return FALSE;
            rollback = at;
        }
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "topic", mq->topic);
        json_object_set_string_member(row, "brokerName", mq->broker_name);
        json_object_set_int_member(row, "queueId", mq->queue_id);
        json_object_set_int_member(row, "offset", rollback);
        json_object_set_boolean_member(row, "clientsNotified", FALSE);
        json_object_set_int_member(row, "brokerOffset", max);
        json_object_set_int_member(row, "consumerOffset", cur);
        json_object_set_int_member(row, "timestampOffset", at);
        json_object_set_int_member(row, "rollbackOffset", rollback);
        g_ptr_array_add(rows, rmq_json_node_take_object(row));
    }
    return TRUE;
}

static void
print_online_rows(JsonArray *a)
{
    printf("%-40s  %-40s  %-40s\n", "#brokerName", "#queueId", "#offset");
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *r = json_array_get_object_element(a, i);
        g_autofree gchar *bn = front32(json_object_get_string_member(r, "brokerName"));
        printf("%-40s  %-40" G_GINT64_FORMAT "  %-40" G_GINT64_FORMAT "\n", bn,
               json_object_get_int_member(r, "queueId"), json_object_get_int_member(r, "offset"));
    }
}

static void
print_rollback_rows(JsonArray *a)
{
    printf("%-20s  %-20s  %-20s  %-20s  %-20s  %-20s\n", "#brokerName", "#queueId",
           "#brokerOffset", "#consumerOffset", "#timestampOffset", "#rollbackOffset");
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *r = json_array_get_object_element(a, i);
        g_autofree gchar *bn = front32(json_object_get_string_member(r, "brokerName"));
        printf("%-20s  %-20" G_GINT64_FORMAT "  %-20" G_GINT64_FORMAT "  %-20" G_GINT64_FORMAT
               "  %-20" G_GINT64_FORMAT "  %-20" G_GINT64_FORMAT "\n",
               bn, json_object_get_int_member(r, "queueId"),
               json_object_get_int_member(r, "brokerOffset"),
               json_object_get_int_member(r, "consumerOffset"),
               json_object_get_int_member(r, "timestampOffset"),
               json_object_get_int_member(r, "rollbackOffset"));
    }
}

/* Both subcommands: online reset first, the offline one when the brokers
 * say the group has no client online (as mqadmin). @when_text NULL:
 * skipAccumulatedMessage's lines. */
static int
reset_command(RmqAdminCommon *c, const gchar *name, const gchar *group, const gchar *topic,
              gint64 ts, const gchar *when_text, gboolean force)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);
    ResetOutcome o = reset_online(c, group, topic, ts, force, rows, &error);
    if (o == RESET_FAILED)
        return rmqadmin_fail(name, error);
    gboolean online = o == RESET_DONE;
    if (!online) {
        g_clear_error(&error);
        g_ptr_array_set_size(rows, 0);
        if (!reset_offline(c, group, topic, ts, force, rows, &error))
            return rmqadmin_fail(name, error);
    }
    JsonArray *a = sorted_rows(rows);
    if (c->json) {
        rmqadmin_print_json(rmq_json_node_take_array(a));
        return RMQADMIN_EXIT_OK;
    }
    if (when_text != NULL)
        printf("rollback consumer offset by specified %s[%s], topic[%s], force[%s], "
               "timestamp(string)[%s], timestamp(long)[%" G_GINT64_FORMAT "]\n",
               online ? "group" : "consumerGroup", group, topic, force ? "true" : "false",
               when_text, ts);
    if (online)
        print_online_rows(a);
    else
        print_rollback_rows(a);
    json_array_unref(a);
    return RMQADMIN_EXIT_OK;
}

int
rmqadmin_reset_offset_by_time(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *group = NULL;
    g_autofree gchar *topic = NULL;
    g_autofree gchar *when = NULL;
    g_autofree gchar *force = NULL;
    gboolean cplus = FALSE;
    GOptionEntry e[] = {
        { "group", 'g', 0, G_OPTION_ARG_STRING, &group, "set the consumer group", "GROUP" },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "set the topic", "TOPIC" },
        { "timestamp", 's', 0, G_OPTION_ARG_STRING, &when,
          "set the timestamp[now|currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]", "TIME" },
        { "force", 'f', 0, G_OPTION_ARG_STRING, &force,
          "set the force rollback by timestamp switch[true|false] (default true: also move "
          "forward; false: only roll back)", "BOOL" },
        { "cplus", 'c', 0, G_OPTION_ARG_NONE, &cplus,
          "reset c++ client offset (accepted; the brokers are asked the same way)", NULL },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            "Reset consumer offset by timestamp (without client restart): the "
                            "brokers push the new offsets to the group's online clients; a group "
                            "with none online gets its stored offsets rewritten.",
                            "-g GROUP -t TOPIC -s TIME", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (group == NULL || topic == NULL || when == NULL)
        return rmqadmin_usage(argv[0], "-g GROUP, -t TOPIC and -s TIME are required");
    g_strstrip(when);
    gint64 ts = strcmp(when, "now") == 0 ? -1 : rmqadmin_parse_time(when);
    if (ts < 0 && strcmp(when, "now") != 0)
        return rmqadmin_usage(argv[0], "specified timestamp invalid (now, ms, or "
                                       "yyyy-MM-dd#HH:mm:ss:SSS)");
    return reset_command(c, argv[0], g_strstrip(group), g_strstrip(topic), ts, when,
                         force == NULL || java_bool(force));
}

int
rmqadmin_skip_accumulated_message(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *group = NULL;
    g_autofree gchar *topic = NULL;
    g_autofree gchar *force = NULL;
    GOptionEntry e[] = {
        { "group", 'g', 0, G_OPTION_ARG_STRING, &group, "set the consumer group", "GROUP" },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "set the topic", "TOPIC" },
        { "force", 'f', 0, G_OPTION_ARG_STRING, &force,
          "set the force rollback by timestamp switch[true|false]", "BOOL" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            "Skip all messages that are accumulated (not consumed) currently: "
                            "the group's offsets go to the end of every queue of the topic.",
                            "-g GROUP -t TOPIC", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (group == NULL || topic == NULL)
        return rmqadmin_usage(argv[0], "-g GROUP and -t TOPIC are required");
    return reset_command(c, argv[0], g_strstrip(group), g_strstrip(topic), -1, NULL,
                         force == NULL || java_bool(force));
}

/* ---- cloneGroupOffset --------------------------------------------------- */

int
rmqadmin_clone_group_offset(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *src = NULL;
    g_autofree gchar *dst = NULL;
    g_autofree gchar *topic = NULL;
    g_autofree gchar *offline = NULL;
    GOptionEntry e[] = {
        { "srcGroup", 's', 0, G_OPTION_ARG_STRING, &src, "set source consumer group", "GROUP" },
        { "destGroup", 'd', 0, G_OPTION_ARG_STRING, &dst, "set destination consumer group",
          "GROUP" },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "set the topic", "TOPIC" },
        { "offline", 'o', 0, G_OPTION_ARG_STRING, &offline,
          "the group or the topic is offline (accepted, as mqadmin, without effect)", "BOOL" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            "Clone offset from other group: every queue offset the source group "
                            "has is written for the destination group (as mqadmin, on the "
                            "brokers of -t TOPIC's route).",
                            "-s SRC_GROUP -d DEST_GROUP -t TOPIC", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (src == NULL || dst == NULL || topic == NULL)
        return rmqadmin_usage(argv[0], "-s SRC_GROUP, -d DEST_GROUP and -t TOPIC are required");
    g_strstrip(src);
    g_strstrip(dst);
    g_strstrip(topic);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) stats = rmq_admin_consumer_progress(c->admin, src, NULL, &error);
    if (stats == NULL)
        return rmqadmin_fail(argv[0], error);
    g_autoptr(JsonNode) route = rmq_admin_topic_route(c->admin, topic, &error);
    if (route == NULL)
        return rmqadmin_fail(argv[0], error);
    JsonArray *bds = rmq_json_object_get_array_or_null(json_node_get_object(route), "brokerDatas");
    JsonArray *qs = rmq_json_object_get_array_or_null(json_node_get_object(stats), "queues");
    if (qs == NULL || json_array_get_length(qs) == 0) {
        /* mqadmin fails too: no broker knows the group (its consume stats) */
        fprintf(stderr, "rmqadmin %s: no broker has consume offsets of group %s\n", argv[0], src);
        return RMQADMIN_EXIT_NOT_FOUND;
    }
    JsonArray *cloned = json_array_new();
    for (guint i = 0; qs && i < json_array_get_length(qs); i++) {
        JsonObject *q = json_array_get_object_element(qs, i);
        const gchar *bn = rmq_json_object_get_string_or(q, "brokerName", "");
        const gchar *addr = NULL;
        for (guint k = 0; bds && k < json_array_get_length(bds) && addr == NULL; k++) {
            JsonObject *bd = json_array_get_object_element(bds, k);
            if (g_strcmp0(rmq_json_object_get_string_or(bd, "brokerName", NULL), bn) == 0)
                addr = select_addr(bd);
        }
        gint64 off = json_object_get_int_member(q, "consumerOffset");
        if (off < 0)
            continue;
        if (addr == NULL) {
            fprintf(stderr, "rmqadmin %s: broker %s is not in the route of %s\n", argv[0], bn,
                    topic);
            json_array_unref(cloned);
            return RMQADMIN_EXIT_NOT_FOUND;
        }
        g_autofree gchar *qid = rmqadmin_int_member(q, "queueId");
        g_autofree gchar *off_text = rmqadmin_int_text(off);
        g_autoptr(GBytes) b = rmq_admin_invoke(
            c->admin, addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET, NULL, NULL, &error,
            "consumerGroup", dst, "topic", rmq_json_object_get_string_or(q, "topic", ""),
            "queueId", qid, "commitOffset", off_text, NULL);
        if (b == NULL) {
            json_array_unref(cloned);
            return rmqadmin_fail(argv[0], error);
        }
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "topic", rmq_json_object_get_string_or(q, "topic", ""));
        json_object_set_string_member(row, "brokerName", bn);
        json_object_set_int_member(row, "queueId", json_object_get_int_member(q, "queueId"));
        json_object_set_int_member(row, "offset", off);
        json_array_add_object_element(cloned, row);
    }
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "srcGroup", src);
        json_object_set_string_member(o, "destGroup", dst);
        json_object_set_string_member(o, "topic", topic);
        json_object_set_array_member(o, "offsets", cloned);
        rmqadmin_print_json(rmq_json_node_take_object(o));
        return RMQADMIN_EXIT_OK;
    }
    json_array_unref(cloned);
    printf("clone group offset success. srcGroup[%s], destGroup=[%s], topic[%s]\n", src, dst,
           topic);
    return RMQADMIN_EXIT_OK;
}

/* ---- getConsumerConfig --------------------------------------------------- */

/* SubscriptionGroupConfig's fields in their declared order, as mqadmin
 * prints them, with Java's defaults for members a broker leaves out. */
static const struct {
    const gchar *name;
    const gchar *fallback;
} sub_fields[] = {
    { "groupName", "" },
    { "consumeEnable", "true" },
    { "consumeFromMinEnable", "true" },
    { "consumeBroadcastEnable", "true" },
    { "retryQueueNums", "1" },
    { "retryMaxTimes", "16" },
    { "brokerId", "0" },
    { "whichBrokerWhenConsumeSlowly", "1" },
    { "notifyConsumerIdsChangedEnable", "true" },
};

static gchar *
member_text(JsonObject *o, const gchar *name, const gchar *fallback)
{
    JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;
    if (n == NULL || JSON_NODE_HOLDS_NULL(n) || !JSON_NODE_HOLDS_VALUE(n))
        return g_strdup(fallback);
    switch (json_node_get_value_type(n) == G_TYPE_BOOLEAN ? 1
            : json_node_get_value_type(n) == G_TYPE_STRING ? 2 : 0) {
    case 1: return g_strdup(json_node_get_boolean(n) ? "true" : "false");
    case 2: return g_strdup(json_node_get_string(n));
    default: return rmqadmin_int_text(json_node_get_int(n));
    }
}

int
rmqadmin_get_consumer_config(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *group = NULL;
    GOptionEntry e[] = {
        { "groupName", 'g', 0, G_OPTION_ARG_STRING, &group, "subscription group name", "GROUP" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            "Get consumer config by subscription group name: the group's "
                            "SubscriptionGroupConfig on every broker that has it.",
                            "-g GROUP", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (group == NULL)
        return rmqadmin_usage(argv[0], "-g GROUP is required");
    g_strstrip(group);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) info = rmq_admin_cluster_info(c->admin, &error);
    if (info == NULL)
        return rmqadmin_fail(argv[0], error);
    JsonObject *brokers = rmq_json_object_get_object_or_null(json_node_get_object(info), "brokers");
    g_autoptr(GList) names = brokers ? json_object_get_members(brokers) : NULL;
    names = g_list_sort(names, (GCompareFunc) g_strcmp0);
    JsonArray *found = json_array_new();
    for (GList *l = names; l; l = l->next) {
        JsonObject *b = json_object_get_object_member(brokers, l->data);
        JsonObject *addrs = rmq_json_object_get_object_or_null(b, "addrs");
        const gchar *addr = addrs ? rmq_json_object_get_string_or(addrs, "0", NULL) : NULL;
        if (addr == NULL)
            continue;
        g_autoptr(GBytes) body = rmq_admin_invoke(c->admin, addr,
                                                  RMQ_REQUEST_GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
                                                  NULL, NULL, &error, NULL);
        if (body == NULL) {
            json_array_unref(found);
            return rmqadmin_fail(argv[0], error);
        }
        g_autoptr(JsonNode) all = rmq_admin_parse_body(body, &error);
        if (all == NULL || !JSON_NODE_HOLDS_OBJECT(all)) {
            json_array_unref(found);
            return rmqadmin_fail(argv[0], error);
        }
        JsonObject *table = rmq_json_object_get_object_or_null(json_node_get_object(all),
                                                               "subscriptionGroupTable");
        JsonObject *cfg = table ? rmq_json_object_get_object_or_null(table, group) : NULL;
        if (cfg == NULL)
            continue;
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "clusterName",
                                      rmq_json_object_get_string_or(b, "cluster", ""));
        json_object_set_string_member(row, "brokerName", l->data);
        json_object_set_object_member(row, "subscriptionGroupConfig", json_object_ref(cfg));
        json_array_add_object_element(found, row);
    }
    if (c->json) {
        rmqadmin_print_json(rmq_json_node_take_array(found));
        return RMQADMIN_EXIT_OK;
    }
    for (guint i = 0; i < json_array_get_length(found); i++) {
        JsonObject *row = json_array_get_object_element(found, i);
        printf("=============================%s:%s=============================\n",
               json_object_get_string_member(row, "clusterName"),
               json_object_get_string_member(row, "brokerName"));
        JsonObject *cfg = json_object_get_object_member(row, "subscriptionGroupConfig");
        for (guint f = 0; f < G_N_ELEMENTS(sub_fields); f++) {
            g_autofree gchar *v = member_text(cfg, sub_fields[f].name, sub_fields[f].fallback);
            printf("%-40s=  %s\n", sub_fields[f].name, v);
        }
    }
    json_array_unref(found);
    return RMQADMIN_EXIT_OK;
}

/* ---- consumerStatus ------------------------------------------------------ */

/* GET_CONSUMER_RUNNING_INFO through a broker of the group (the masters of
 * %RETRY%GROUP's route, else of every cluster) to the client. */
static JsonNode *
running_info(RmqAdminCommon *c, const gchar *group, const gchar *client_id, gboolean jstack,
             GError **error)
{
    g_autofree gchar *retry = g_strconcat("%RETRY%", group, NULL);
    g_auto(GStrv) addrs = NULL;
    g_autoptr(JsonNode) route = rmq_admin_topic_route(c->admin, retry, NULL);
    if (route != NULL) {
        JsonArray *bds = rmq_json_object_get_array_or_null(json_node_get_object(route),
                                                           "brokerDatas");
        g_autoptr(GStrvBuilder) sb = g_strv_builder_new();
        for (guint i = 0; bds && i < json_array_get_length(bds); i++) {
            const gchar *a = select_addr(json_array_get_object_element(bds, i));
            if (a)
                g_strv_builder_add(sb, a);
        }
        addrs = g_strv_builder_end(sb);
    }
    if (addrs == NULL || addrs[0] == NULL) {
        g_clear_pointer(&addrs, g_strfreev);
        addrs = rmq_admin_cluster_masters(c->admin, NULL, error);
        if (addrs == NULL)
            return NULL;
    }
    g_clear_error(error);
    for (guint i = 0; addrs[i]; i++) {
        g_clear_error(error);
        g_autoptr(GBytes) b = rmq_admin_invoke(c->admin, addrs[i],
                                               RMQ_REQUEST_GET_CONSUMER_RUNNING_INFO, NULL, NULL,
                                               error, "consumerGroup", group, "clientId",
                                               client_id, "jstackEnable",
                                               jstack ? "true" : "false", NULL);
        if (b != NULL)
            return rmq_admin_parse_body(b, error);
    }
    if (error != NULL && *error == NULL)
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NOT_FOUND, "no broker to ask");
    return NULL;
}

/* Java's ConsumerRunningInfo.formatString(). (transfer full) */
static gchar *
format_running_info(JsonObject *info)
{
    GString *sb = g_string_new("#Consumer Properties#\n");
    JsonObject *props = rmq_json_object_get_object_or_null(info, "properties");
    g_autoptr(GList) keys = props ? json_object_get_members(props) : NULL;
    keys = g_list_sort(keys, (GCompareFunc) g_strcmp0);
    for (GList *l = keys; l; l = l->next) {
        g_autofree gchar *v = member_text(props, l->data, "");
        g_string_append_printf(sb, "%-40s: %s\n", (const gchar *) l->data, v);
    }
    g_string_append(sb, "\n\n#Consumer Subscription#\n");
    JsonArray *subs = rmq_json_object_get_array_or_null(info, "subscriptionSet");
    for (guint i = 0; subs && i < json_array_get_length(subs); i++) {
        JsonObject *s = json_array_get_object_element(subs, i);
        g_string_append_printf(sb, "%03u Topic: %-40s ClassFilter: %-8s SubExpression: %s\n", i + 1,
                               rmq_json_object_get_string_or(s, "topic", ""),
                               rmq_json_object_get_bool_or(s, "classFilterMode", FALSE)
                                   ? "true" : "false",
                               rmq_json_object_get_string_or(s, "subString", ""));
    }
    JsonObject *mqs = rmq_json_object_get_object_or_null(info, "mqTable");
    g_autoptr(GList) mq_keys = mqs ? json_object_get_members(mqs) : NULL;
    g_string_append(sb, "\n\n#Consumer Offset#\n");
    g_string_append_printf(sb, "%-64s  %-32s  %-4s  %-20s\n", "#Topic", "#Broker Name", "#QID",
                           "#Consumer Offset");
    for (GList *l = mq_keys; l; l = l->next) {
        g_autoptr(JsonObject) mq = mq_of_key(l->data);
        JsonObject *pq = json_object_get_object_member(mqs, l->data);
        if (mq == NULL || pq == NULL)
            continue;
        g_string_append_printf(sb, "%-32s  %-32s  %-4d  %-20" G_GINT64_FORMAT "\n",
                               rmq_json_object_get_string_or(mq, "topic", ""),
                               rmq_json_object_get_string_or(mq, "brokerName", ""),
                               rmq_json_object_get_int32_or(mq, "queueId", 0),
                               json_object_get_int_member(pq, "commitOffset"));
    }
    g_string_append(sb, "\n\n#Consumer MQ Detail#\n");
    g_string_append_printf(sb, "%-64s  %-32s  %-4s  %-20s\n", "#Topic", "#Broker Name", "#QID",
                           "#ProcessQueueInfo");
    for (GList *l = mq_keys; l; l = l->next) {
        g_autoptr(JsonObject) mq = mq_of_key(l->data);
        JsonObject *pq = json_object_get_object_member(mqs, l->data);
        if (mq == NULL || pq == NULL)
            continue;
        g_autofree gchar *t = g_strdup_printf(
            "ProcessQueueInfo [commitOffset=%" G_GINT64_FORMAT ", cachedMsgMinOffset=%"
            G_GINT64_FORMAT ", cachedMsgMaxOffset=%" G_GINT64_FORMAT ", cachedMsgCount=%"
            G_GINT64_FORMAT ", cachedMsgSizeInMiB=%" G_GINT64_FORMAT ", transactionMsgMinOffset=%"
            G_GINT64_FORMAT ", transactionMsgMaxOffset=%" G_GINT64_FORMAT
            ", transactionMsgCount=%" G_GINT64_FORMAT ", locked=%s, tryUnlockTimes=%"
            G_GINT64_FORMAT ", lastLockTimestamp=%" G_GINT64_FORMAT ", droped=%s, "
            "lastPullTimestamp=%" G_GINT64_FORMAT ", lastConsumeTimestamp=%" G_GINT64_FORMAT "]",
            json_object_get_int_member(pq, "commitOffset"),
            rmq_json_object_get_int64_or(pq, "cachedMsgMinOffset", 0),
            rmq_json_object_get_int64_or(pq, "cachedMsgMaxOffset", 0),
            rmq_json_object_get_int64_or(pq, "cachedMsgCount", 0),
            rmq_json_object_get_int64_or(pq, "cachedMsgSizeInMiB", 0),
            rmq_json_object_get_int64_or(pq, "transactionMsgMinOffset", 0),
            rmq_json_object_get_int64_or(pq, "transactionMsgMaxOffset", 0),
            rmq_json_object_get_int64_or(pq, "transactionMsgCount", 0),
            rmq_json_object_get_bool_or(pq, "locked", FALSE) ? "true" : "false",
            rmq_json_object_get_int64_or(pq, "tryUnlockTimes", 0),
            rmq_json_object_get_int64_or(pq, "lastLockTimestamp", 0),
            rmq_json_object_get_bool_or(pq, "droped", FALSE) ? "true" : "false",
            rmq_json_object_get_int64_or(pq, "lastPullTimestamp", 0),
            rmq_json_object_get_int64_or(pq, "lastConsumeTimestamp", 0));
        g_string_append_printf(sb, "%-64s  %-32s  %-4d  %s\n",
                               rmq_json_object_get_string_or(mq, "topic", ""),
                               rmq_json_object_get_string_or(mq, "brokerName", ""),
                               rmq_json_object_get_int32_or(mq, "queueId", 0), t);
    }
    g_string_append(sb, "\n\n#Consumer RT&TPS#\n");
    g_string_append_printf(sb, "%-64s  %14s %14s %14s %14s %18s %25s\n", "#Topic", "#Pull RT",
                           "#Pull TPS", "#Consume RT", "#ConsumeOK TPS", "#ConsumeFailed TPS",
                           "#ConsumeFailedMsgsInHour");
    JsonObject *st = rmq_json_object_get_object_or_null(info, "statusTable");
    g_autoptr(GList) topics = st ? json_object_get_members(st) : NULL;
    topics = g_list_sort(topics, (GCompareFunc) g_strcmp0);
    for (GList *l = topics; l; l = l->next) {
        JsonObject *s = json_object_get_object_member(st, l->data);
        if (s == NULL)
            continue;
        g_string_append_printf(sb, "%-32s  %14.2f %14.2f %14.2f %14.2f %18.2f %25" G_GINT64_FORMAT
                               "\n", (const gchar *) l->data,
                               rmq_json_object_get_double_or(s, "pullRT", 0),
                               rmq_json_object_get_double_or(s, "pullTPS", 0),
                               rmq_json_object_get_double_or(s, "consumeRT", 0),
                               rmq_json_object_get_double_or(s, "consumeOKTPS", 0),
                               rmq_json_object_get_double_or(s, "consumeFailedTPS", 0),
                               rmq_json_object_get_int64_or(s, "consumeFailedMsgs", 0));
    }
    const gchar *js = rmq_json_object_get_string_or(info, "jstack", NULL);
    if (js != NULL)
        g_string_append_printf(sb, "\n\n#Consumer jstack#\n%s", js);
    return g_string_free(sb, FALSE);
}

static gboolean
is_push(JsonObject *info)
{
    JsonObject *p = rmq_json_object_get_object_or_null(info, "properties");
    return p && g_strcmp0(rmq_json_object_get_string_or(p, "PROP_CONSUME_TYPE", ""),
                          "CONSUME_PASSIVELY") == 0;
}

/* ConsumerRunningInfo.analyzeSubscription: push consumers started over two
 * minutes ago must all have the same, non-empty subscription set. */
static gboolean
same_subscription(GPtrArray *infos)
{
    JsonObject *first = json_node_get_object(g_ptr_array_index(infos, 0));
    JsonObject *p = rmq_json_object_get_object_or_null(first, "properties");
    const gchar *start = p ? rmq_json_object_get_string_or(p, "PROP_CONSUMER_START_TIMESTAMP", "0")
                           : "0";
    gboolean a_while = g_get_real_time() / 1000 - g_ascii_strtoll(start, NULL, 10) > 120000;
    if (!is_push(first) || !a_while)
        return TRUE;
    g_autoptr(JsonNode) set0 = json_node_ref(json_object_get_member(first, "subscriptionSet"));
    for (guint i = 1; i < infos->len; i++) {
        JsonObject *o = json_node_get_object(g_ptr_array_index(infos, i));
        JsonNode *s = json_object_get_member(o, "subscriptionSet");
        if (s == NULL || !json_node_equal(s, set0))
            return FALSE;
    }
    JsonArray *a = JSON_NODE_HOLDS_ARRAY(set0) ? json_node_get_array(set0) : NULL;
    return a != NULL && json_array_get_length(a) > 0;
}

/* ConsumerRunningInfo.analyzeProcessQueue (push consumers only). */
static void
analyze_queues(GString *out, const gchar *client_id, JsonObject *info)
{
    if (!is_push(info))
        return;
    JsonObject *p = rmq_json_object_get_object_or_null(info, "properties");
    gboolean order = p && g_ascii_strcasecmp(rmq_json_object_get_string_or(
                              p, "PROP_CONSUMEORDERLY", "false"), "true") == 0;
    JsonObject *mqs = rmq_json_object_get_object_or_null(info, "mqTable");
    g_autoptr(GList) keys = mqs ? json_object_get_members(mqs) : NULL;
    gint64 now = g_get_real_time() / 1000;
    for (GList *l = keys; l; l = l->next) {
        g_autoptr(JsonObject) mq = mq_of_key(l->data);
        JsonObject *pq = json_object_get_object_member(mqs, l->data);
        if (mq == NULL || pq == NULL)
            continue;
        g_autofree gchar *name = g_strdup_printf(
            "MessageQueue [topic=%s, brokerName=%s, queueId=%d]",
            rmq_json_object_get_string_or(mq, "topic", ""),
            rmq_json_object_get_string_or(mq, "brokerName", ""),
            rmq_json_object_get_int32_or(mq, "queueId", 0));
        if (order) {
            if (!rmq_json_object_get_bool_or(pq, "locked", FALSE))
                g_string_append_printf(out, "%s %s can't lock for a while, %" G_GINT64_FORMAT "ms\n",
                                       client_id, name,
                                       now - rmq_json_object_get_int64_or(pq, "lastLockTimestamp", 0));
            else if (rmq_json_object_get_bool_or(pq, "droped", FALSE) &&
                     rmq_json_object_get_int64_or(pq, "tryUnlockTimes", 0) > 0)
                g_string_append_printf(out, "%s %s unlock %" G_GINT64_FORMAT " times, still failed\n",
                                       client_id, name,
                                       rmq_json_object_get_int64_or(pq, "tryUnlockTimes", 0));
        } else {
            gint64 diff = now - rmq_json_object_get_int64_or(pq, "lastConsumeTimestamp", 0);
            if (diff > 60000 && rmq_json_object_get_int64_or(pq, "cachedMsgCount", 0) > 0)
                g_string_append_printf(out, "%s %s can't consume for a while, maybe blocked, %"
                                       G_GINT64_FORMAT "ms\n", client_id, name, diff);
        }
    }
}

/* MQVersion.getVersionDesc: the name of a Version ordinal. From V3_9_1_SNAPSHOT
 * (194) to V5_9_9 (611) the enum runs SNAPSHOT, release for each x.y.z in
 * turn; older ordinals are shown as numbers, newer ones as Java does. */
gchar *
rmqadmin_version_desc(gint64 v)
{
    if (v >= 612)
        return g_strdup("HIGHER_VERSION");
    if (v < 194)
        return rmqadmin_int_text(v);
    gint64 k = v - 194, n = 391 + k / 2;
    return g_strdup_printf("V%d_%d_%d%s", (int) (n / 100), (int) (n / 10 % 10), (int) (n % 10),
                           k % 2 == 0 ? "_SNAPSHOT" : "");
}

int
rmqadmin_consumer_status(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *group = NULL;
    g_autofree gchar *client_id = NULL;
    g_autofree gchar *broker = NULL;
    gboolean jstack = FALSE;
    g_autofree gchar *dir = NULL;
    GOptionEntry e[] = {
        { "consumerGroup", 'g', 0, G_OPTION_ARG_STRING, &group, "consumer group name", "GROUP" },
        { "clientId", 'i', 0, G_OPTION_ARG_STRING, &client_id, "The consumer's client id", "ID" },
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker, "broker address", "ADDR" },
        { "jstack", 's', 0, G_OPTION_ARG_NONE, &jstack,
          "Run jstack command in the consumer progress (Java clients)", NULL },
        { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
          "Where the per-client files go (default: a directory named by the time, in the "
          "current directory, as mqadmin)", "DIR" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            "Query consumer's internal data structure: each online client's "
                            "running info (GET_CONSUMER_RUNNING_INFO through a broker).",
                            "-g GROUP [-i CLIENT_ID] [-b BROKER_ADDR] [-s]", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (group == NULL)
        return rmqadmin_usage(argv[0], "-g GROUP is required");
    g_strstrip(group);
    g_autoptr(GError) error = NULL;
    if (client_id != NULL) {
        g_autoptr(JsonNode) info = running_info(c, group, g_strstrip(client_id), jstack, &error);
        if (info == NULL || !JSON_NODE_HOLDS_OBJECT(info))
            return rmqadmin_fail(argv[0], error);
        if (c->json) {
            rmqadmin_print_json(json_node_ref(info));
            return RMQADMIN_EXIT_OK;
        }
        g_autofree gchar *text = format_running_info(json_node_get_object(info));
        printf("%s", text);
        return RMQADMIN_EXIT_OK;
    }
    g_autoptr(JsonNode) cc = NULL;
    if (broker != NULL) {
        g_autoptr(GBytes) b = rmq_admin_invoke(c->admin, g_strstrip(broker),
                                               RMQ_REQUEST_GET_CONSUMER_CONNECTION_LIST, NULL,
                                               NULL, &error, "consumerGroup", group, NULL);
        cc = b != NULL ? rmq_admin_parse_body(b, &error) : NULL;
    } else {
        cc = rmq_admin_consumer_connection(c->admin, group, &error);
    }
    if (cc == NULL || !JSON_NODE_HOLDS_OBJECT(cc))
        return rmqadmin_fail(argv[0], error);
    JsonArray *conns = rmq_json_object_get_array_or_null(json_node_get_object(cc), "connectionSet");
    if (conns == NULL)
        conns = rmq_json_object_get_array_or_null(json_node_get_object(cc), "connections");
    gint64 now = g_get_real_time() / 1000;
    g_autofree gchar *base = dir != NULL ? g_strdup(dir) : rmqadmin_int_text(now);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);
    JsonArray *clients = json_array_new();
    if (!c->json)
        printf("%-10s %-40s %-20s %s\n", "#Index", "#ClientId", "#Version",
               "#ConsumerRunningInfoFile");
    gint index = 1;
    for (guint i = 0; conns && i < json_array_get_length(conns); i++) {
        JsonObject *conn = json_array_get_object_element(conns, i);
        const gchar *id = rmq_json_object_get_string_or(conn, "clientId", "");
        g_autoptr(GError) err = NULL;
        JsonNode *info = running_info(c, group, id, jstack, &err);
        if (info == NULL || !JSON_NODE_HOLDS_OBJECT(info)) {
            fprintf(stderr, "rmqadmin %s: %s: %s\n", argv[0], id, err ? err->message : "no answer");
            if (info)
                json_node_unref(info);
            continue;
        }
        g_autofree gchar *path = g_build_filename(base, id, NULL);
        g_autofree gchar *text = format_running_info(json_node_get_object(info));
        if (g_mkdir_with_parents(base, 0755) != 0 ||
            !g_file_set_contents(path, text, -1, &err))
            fprintf(stderr, "rmqadmin %s: cannot write %s: %s\n", argv[0], path,
                    err ? err->message : g_strerror(errno));
        g_autofree gchar *ver = rmqadmin_version_desc(rmq_json_object_get_int64_or(conn, "version", 0));
        if (!c->json)
            printf("%-10d %-40s %-20s %s\n", index, id, ver, path);
        index++;
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "clientId", id);
        json_object_set_string_member(row, "version", ver);
        json_object_set_string_member(row, "file", path);
        json_object_set_member(row, "runningInfo", json_node_ref(info));
        json_array_add_object_element(clients, row);
        g_ptr_array_add(ids, g_strdup(id));
        g_ptr_array_add(infos, info);
    }
    gboolean sub_same = infos->len == 0 || same_subscription(infos);
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "group", group);
        json_object_set_array_member(o, "clients", clients);
        if (infos->len > 0) {
            json_object_set_boolean_member(o, "sameSubscription", sub_same);
            json_object_set_boolean_member(o, "rebalanceOK", sub_same);
        }
        rmqadmin_print_json(rmq_json_node_take_object(o));
        return RMQADMIN_EXIT_OK;
    }
    json_array_unref(clients);
    if (infos->len > 0) {
        if (sub_same) {
            printf("\n\nSame subscription in the same group of consumer");
            printf("\n\nRebalance %s\n", "OK");
            g_autoptr(GString) out = g_string_new(NULL);
            for (guint i = 0; i < infos->len; i++)
                analyze_queues(out, g_ptr_array_index(ids, i),
                               json_node_get_object(g_ptr_array_index(infos, i)));
            printf("%s", out->str);
        } else {
            printf("\n\nWARN: Different subscription in the same group of consumer!!!");
        }
    }
    return RMQADMIN_EXIT_OK;
}

/* ---- allocateMQ ------------------------------------------------------------ */

int
rmqadmin_allocate_mq(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL;
    g_autofree gchar *ips = NULL;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "topic name", "TOPIC" },
        { "ipList", 'i', 0, G_OPTION_ARG_STRING, &ips, "ipList (comma separated client ids)",
          "IPS" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            "Allocate MQ: how AllocateMessageQueueAveragely shares the topic's "
                            "readable queues (sorted by broker name and queue id) among the "
                            "clients of -i.",
                            "-t TOPIC -i IP[,IP...]", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL || ips == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC and -i IP_LIST are required");
    g_strstrip(topic);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConsumer) cons = rmq_consumer_new_on(rmq_admin_get_instance(c->admin),
                                                      "TOOLS_CONSUMER");
    g_autoptr(GPtrArray) mqs = rmq_consumer_fetch_subscribe_queues(cons, topic, &error);
    if (mqs == NULL)
        return rmqadmin_fail(argv[0], error);
    g_auto(GStrv) cids = g_strsplit(g_strstrip(ips), ",", -1);
    guint n_cids = g_strv_length(cids);
    JsonObject *result = json_object_new();
    GString *line = g_string_new("{\"result\":{");
    for (guint idx = 0; idx < n_cids; idx++) {
        /* AllocateMessageQueueAveragely.allocate, for the client at @idx */
        guint all = mqs->len;
        guint mod = n_cids ? all % n_cids : 0;
        guint avg = all <= n_cids ? 1 : (mod > 0 && idx < mod ? all / n_cids + 1 : all / n_cids);
        guint start = (mod > 0 && idx < mod) ? idx * avg : idx * avg + mod;
        guint range = start < all ? MIN(avg, all - start) : 0;
        JsonArray *mine = json_array_new();
        if (idx > 0)
            g_string_append_c(line, ',');
        g_string_append_printf(line, "\"%s\":[", cids[idx]);
        for (guint k = 0; k < range; k++) {
            const RmqQueue *mq = g_ptr_array_index(mqs, (start + k) % all);
            JsonObject *q = json_object_new();
            json_object_set_string_member(q, "brokerName", mq->broker_name);
            json_object_set_int_member(q, "queueId", mq->queue_id);
            json_object_set_string_member(q, "topic", mq->topic);
            json_array_add_object_element(mine, q);
            g_string_append_printf(line, "%s{\"brokerName\":\"%s\",\"queueId\":%d,\"topic\":\"%s\"}",
                                   k ? "," : "", mq->broker_name, mq->queue_id, mq->topic);
        }
        g_string_append_c(line, ']');
        json_object_set_array_member(result, cids[idx], mine);
    }
    g_string_append(line, "}}");
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_object_member(o, "result", result);
        rmqadmin_print_json(rmq_json_node_take_object(o));
    } else {
        json_object_unref(result);
        printf("%s\n", line->str);
    }
    g_string_free(line, TRUE);
    return RMQADMIN_EXIT_OK;
}

/* ---- updateOrderConf ------------------------------------------------------- */

#define ORDER_NAMESPACE "ORDER_TOPIC_CONFIG"

int
rmqadmin_update_order_conf(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL;
    g_autofree gchar *conf = NULL;
    g_autofree gchar *method = NULL;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "topic name", "TOPIC" },
        { "orderConf", 'v', 0, G_OPTION_ARG_STRING, &conf,
          "set order conf [eg. brokerName1:num;brokerName2:num]", "CONF" },
        { "method", 'm', 0, G_OPTION_ARG_STRING, &method, "option type [eg. put|get|delete]",
          "METHOD" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            "Create or update or delete order conf (the name servers' "
                            "ORDER_TOPIC_CONFIG KV entry of the topic).",
                            "-t TOPIC -m put|get|delete [-v CONF]", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL || method == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC and -m put|get|delete are required");
    g_strstrip(topic);
    g_strstrip(method);
    g_autoptr(GError) error = NULL;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "topic", topic);
    g_autofree gchar *line = NULL;
    if (strcmp(method, "get") == 0) {
        g_autoptr(GHashTable) ext = NULL;
        g_autoptr(GBytes) b = rmq_admin_invoke(c->admin, NULL, RMQ_REQUEST_GET_KV_CONFIG, NULL,
                                               &ext, &error, "namespace", ORDER_NAMESPACE, "key",
                                               topic, NULL);
        if (b == NULL) {
            json_object_unref(o);
            if (rmq_admin_last_response_code(c->admin) == RMQ_RESPONSE_QUERY_NOT_FOUND) {
                fprintf(stderr, "rmqadmin %s: no orderConf for topic %s\n", argv[0], topic);
                return RMQADMIN_EXIT_NOT_FOUND;
            }
            return rmqadmin_fail(argv[0], error);
        }
        const gchar *v = g_hash_table_lookup(ext, "value");
        json_object_set_string_member(o, "orderConf", v);
        line = g_strdup_printf("get orderConf success. topic=[%s], orderConf=[%s] ", topic,
                               v ? v : "null");
    } else if (strcmp(method, "put") == 0) {
        if (conf == NULL || *g_strstrip(conf) == '\0') {
            json_object_unref(o);
            return rmqadmin_usage(argv[0], "please set orderConf with option -v.");
        }
        if (!rmq_admin_put_kv_config(c->admin, ORDER_NAMESPACE, topic, conf, &error)) {
            json_object_unref(o);
            return rmqadmin_fail(argv[0], error);
        }
        json_object_set_string_member(o, "orderConf", conf);
        line = g_strdup_printf("update orderConf success. topic=[%s], orderConf=[%s]", topic,
                               conf);
    } else if (strcmp(method, "delete") == 0) {
        if (!rmq_admin_delete_kv_config(c->admin, ORDER_NAMESPACE, topic, &error)) {
            json_object_unref(o);
            return rmqadmin_fail(argv[0], error);
        }
        line = g_strdup_printf("delete orderConf success. topic=[%s]", topic);
    } else {
        json_object_unref(o);
        return rmqadmin_usage(argv[0], "-m must be put, get or delete");
    }
    json_object_set_string_member(o, "method", method);
    if (c->json)
        rmqadmin_print_json(rmq_json_node_take_object(o));
    else {
        json_object_unref(o);
        printf("%s\n", line);
    }
    return RMQADMIN_EXIT_OK;
}
