/* /metrics: the cluster in the Prometheus text exposition format (0.0.4),
 * named after rocketmq-exporter's metrics where one fits. Collected afresh
 * on every scrape in a worker thread; topic TPS comes from the console's
 * sampler. */
#include <config.h>

#include "console/console.h"

#include <string.h>

typedef enum {
    M_BROKER_UP,
    M_BROKER_TPS,
    M_BROKER_QPS,
    M_BROKER_DISK,
    M_BROKER_PUT_TOTAL,
    M_BROKER_GET_TOTAL,
    M_PRODUCER_OFFSET,
    M_PRODUCER_TPS,
    M_QUEUE_MAX_OFFSET,
    M_GROUP_DIFF,
    M_GROUP_QUEUE_DIFF,
    M_CONSUMER_OFFSET,
    M_GROUP_TPS,
    M_SCRAPE_ERRORS,
    M_BROKER_REFUSED,
    M_COUNT
} MetricId;

static const struct {
    const gchar *name, *type, *help;
} families[M_COUNT] = {
    { "rocketmq_broker_up", "gauge", "1 when the broker answered GET_BROKER_RUNTIME_INFO" },
    { "rocketmq_broker_tps", "gauge", "Messages put per second on the broker" },
    { "rocketmq_broker_qps", "gauge", "Messages got per second from the broker" },
    { "rocketmq_brokeruntime_commitlog_disk_ratio", "gauge",
      "Used fraction of the disk holding the commit log" },
    { "rocketmq_brokeruntime_msg_put_total_today_now", "counter",
      "Messages put since the broker started" },
    { "rocketmq_brokeruntime_msg_gettotal_today_now", "counter",
      "Messages got since the broker started" },
    { "rocketmq_producer_offset", "counter", "Sum of the max offsets of a topic's queues on a broker" },
    { "rocketmq_producer_tps", "gauge", "Messages put per second on a topic (console sampler)" },
    { "rocketmq_topic_queue_max_offset", "counter", "Max offset of one queue" },
    { "rocketmq_group_diff", "gauge", "Messages a consumer group has not consumed, per topic" },
    { "rocketmq_group_queue_diff", "gauge", "Messages a consumer group has not consumed, per queue" },
    { "rocketmq_consumer_offset", "counter", "Committed offset of a consumer group, per queue" },
    { "rocketmq_consumer_tps", "gauge", "Messages consumed per second by a group" },
    { "rocketmq_console_scrape_errors", "gauge", "Calls that failed while collecting this scrape" },
    { "rmq_broker_refused_requests_total", "counter",
      "Requests the broker refused before their handler, by answer code (rmq's own)" },
};

gchar *
rmq_console_metrics_escape(const gchar *value)
{
    GString *s = g_string_new(NULL);
    for (const gchar *p = value ? value : ""; *p; p++) {
        if (*p == '\\')
            g_string_append(s, "\\\\");
        else if (*p == '"')
            g_string_append(s, "\\\"");
        else if (*p == '\n')
            g_string_append(s, "\\n");
        else
            g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

/* One sample: labels as name, value pairs ending in NULL. */
static void G_GNUC_NULL_TERMINATED
sample(GString **out, MetricId id, gdouble value, ...)
{
    GString *s = out[id];
    g_string_append(s, families[id].name);
    va_list ap;
    va_start(ap, value);
    gboolean first = TRUE;
    for (const gchar *k = va_arg(ap, const gchar *); k; k = va_arg(ap, const gchar *)) {
        g_autofree gchar *v = rmq_console_metrics_escape(va_arg(ap, const gchar *));
        g_string_append_printf(s, "%s%s=\"%s\"", first ? "{" : ",", k, v);
        first = FALSE;
    }
    va_end(ap);
    gchar num[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_printf(s, "%s %s\n", first ? "" : "}",
                           g_ascii_formatd(num, sizeof num, "%.17g", value));
}

static void
collect_brokers(RmqConsoleCall *call, GString **out, guint *errors)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(JsonNode) brokers = rmq_console_cluster_brokers(call->admin, &local);
    if (brokers == NULL) {
        (*errors)++;
        return;
    }
    JsonArray *a = json_node_get_array(brokers);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *b = json_array_get_object_element(a, i);
        const gchar *cluster = json_object_get_string_member(b, "cluster");
        const gchar *name = json_object_get_string_member(b, "brokerName");
        const gchar *addr = json_object_get_string_member(b, "addr");
        g_autofree gchar *id = g_strdup_printf("%" G_GINT64_FORMAT,
                                               json_object_get_int_member(b, "brokerId"));
        gboolean up = json_object_get_boolean_member(b, "up");
        sample(out, M_BROKER_UP, up, "cluster", cluster, "broker", name, "brokerId", id,
               "brokerIP", addr, NULL);
        if (!up)
            continue;
#define B(m, key)                                                                              \
    sample(out, m, json_object_get_double_member(b, key), "cluster", cluster, "broker", name,    \
           "brokerId", id, "brokerIP", addr, NULL)
        B(M_BROKER_TPS, "putTps");
        B(M_BROKER_QPS, "getTps");
        B(M_BROKER_DISK, "diskRatio");
#undef B
        sample(out, M_BROKER_PUT_TOTAL, (gdouble) json_object_get_int_member(b, "putTotal"),
               "cluster", cluster, "broker", name, "brokerId", id, "brokerIP", addr, NULL);
        sample(out, M_BROKER_GET_TOTAL, (gdouble) json_object_get_int_member(b, "getTotal"),
               "cluster", cluster, "broker", name, "brokerId", id, "brokerIP", addr, NULL);
        JsonObject *refused = json_object_get_object_member(b, "refused");
        g_autoptr(GList) codes = refused != NULL ? json_object_get_members(refused) : NULL;
        for (GList *c = codes; c != NULL; c = c->next)
            sample(out, M_BROKER_REFUSED, (gdouble) json_object_get_int_member(refused, c->data),
                   "cluster", cluster, "broker", name, "brokerId", id, "brokerIP", addr, "code",
                   (const gchar *) c->data, NULL);
    }
}

static gboolean
internal_topic(const gchar *t)
{
    /* retry and dead-letter topics are shown: their backlog matters */
    return strcmp(t, "TBW102") == 0 || strcmp(t, "SCHEDULE_TOPIC_XXXX") == 0 ||
           strcmp(t, "SELF_TEST_TOPIC") == 0 || strcmp(t, "OFFSET_MOVED_EVENT") == 0 ||
           strcmp(t, "BenchmarkTest") == 0 || strcmp(t, "TRANS_CHECK_MAX_TIME_TOPIC") == 0 ||
           g_str_has_prefix(t, "RMQ_SYS_") || g_str_has_prefix(t, "rmq_sys_");
}

static void
collect_topics(RmqConsoleCall *call, GString **out, guint *errors)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(JsonNode) list = rmq_admin_topic_list(call->admin, &local);
    if (list == NULL) {
        (*errors)++;
        return;
    }
    JsonArray *topics = json_node_get_array(list);
    for (guint i = 0; i < json_array_get_length(topics); i++) {
        const gchar *t = json_array_get_string_element(topics, i);
        if (internal_topic(t))
            continue;
        g_autoptr(GError) e = NULL;
        g_autoptr(JsonNode) st = rmq_admin_topic_status(call->admin, t, &e);
        if (st == NULL) {
            /* cluster and broker names are topics without queues of their own */
            if (!g_error_matches(e, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TOPIC_NOT_EXIST))
                (*errors)++;
            continue;
        }
        g_autoptr(GHashTable) per_broker = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                                  g_free);
        JsonArray *qs = json_node_get_array(st);
        for (guint k = 0; k < json_array_get_length(qs); k++) {
            JsonObject *q = json_array_get_object_element(qs, k);
            const gchar *broker = json_object_get_string_member(q, "brokerName");
            gint64 max = json_object_get_int_member(q, "maxOffset");
            g_autofree gchar *qid = g_strdup_printf("%" G_GINT64_FORMAT,
                                                    json_object_get_int_member(q, "queueId"));
            sample(out, M_QUEUE_MAX_OFFSET, (gdouble) max, "topic", t, "broker", broker,
                   "queueId", qid, NULL);
            gint64 *sum = g_hash_table_lookup(per_broker, broker);
            if (sum == NULL) {
                sum = g_new0(gint64, 1);
                g_hash_table_insert(per_broker, g_strdup(broker), sum);
            }
            *sum += max;
        }
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, per_broker);
        while (g_hash_table_iter_next(&it, &k, &v))
            sample(out, M_PRODUCER_OFFSET, (gdouble) *(gint64 *) v, "topic", t, "broker",
                   (const gchar *) k, NULL);
        gdouble *tps = call->topic_tps ? g_hash_table_lookup(call->topic_tps, t) : NULL;
        sample(out, M_PRODUCER_TPS, tps ? *tps : 0, "topic", t, NULL);
    }
}

static void
collect_groups(RmqConsoleCall *call, GString **out, guint *errors)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(GPtrArray) groups = rmq_console_group_names(call->admin, &local);
    if (groups == NULL) {
        (*errors)++;
        return;
    }
    for (guint i = 0; i < groups->len; i++) {
        const gchar *g = groups->pdata[i];
        g_autoptr(GError) e = NULL;
        g_autoptr(JsonNode) p = rmq_admin_consumer_progress(call->admin, g, NULL, &e);
        if (p == NULL) {
            /* a group without offsets anywhere is refused by the brokers: nothing to report */
            if (!g_error_matches(e, RMQ_MQ_ERROR, RMQ_MQ_ERROR_BROKER_REFUSED) &&
                !g_error_matches(e, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NOT_FOUND))
                (*errors)++;
            continue;
        }
        JsonObject *po = json_node_get_object(p);
        JsonArray *qs = json_object_get_array_member(po, "queues");
        if (json_array_get_length(qs) == 0)
            continue;
        sample(out, M_GROUP_TPS, json_object_get_double_member(po, "consumeTps"), "group", g,
               NULL);
        g_autoptr(GHashTable) per_topic = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                                 g_free);
        for (guint k = 0; k < json_array_get_length(qs); k++) {
            JsonObject *q = json_array_get_object_element(qs, k);
            const gchar *topic = json_object_get_string_member(q, "topic");
            const gchar *broker = json_object_get_string_member(q, "brokerName");
            gint64 diff = json_object_get_int_member(q, "diff");
            g_autofree gchar *qid = g_strdup_printf("%" G_GINT64_FORMAT,
                                                    json_object_get_int_member(q, "queueId"));
            sample(out, M_GROUP_QUEUE_DIFF, (gdouble) diff, "group", g, "topic", topic, "broker",
                   broker, "queueId", qid, NULL);
            sample(out, M_CONSUMER_OFFSET,
                   (gdouble) json_object_get_int_member(q, "consumerOffset"), "group", g,
                   "topic", topic, "broker", broker, "queueId", qid, NULL);
            gint64 *sum = g_hash_table_lookup(per_topic, topic);
            if (sum == NULL) {
                sum = g_new0(gint64, 1);
                g_hash_table_insert(per_topic, g_strdup(topic), sum);
            }
            *sum += diff;
        }
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, per_topic);
        while (g_hash_table_iter_next(&it, &k, &v))
            sample(out, M_GROUP_DIFF, (gdouble) *(gint64 *) v, "group", g, "topic",
                   (const gchar *) k, NULL);
    }
}

gchar *
rmq_console_metrics_collect(RmqConsoleCall *call, GError **error)
{
    GString *out[M_COUNT];
    for (guint i = 0; i < M_COUNT; i++)
        out[i] = g_string_new(NULL);
    guint errors = 0;
    collect_brokers(call, out, &errors);
    collect_topics(call, out, &errors);
    collect_groups(call, out, &errors);
    sample(out, M_SCRAPE_ERRORS, errors, NULL);

    GString *text = g_string_new(NULL);
    for (guint i = 0; i < M_COUNT; i++) {
        if (out[i]->len > 0)
            g_string_append_printf(text, "# HELP %s %s\n# TYPE %s %s\n%s", families[i].name,
                                   families[i].help, families[i].name, families[i].type,
                                   out[i]->str);
        g_string_free(out[i], TRUE);
    }
    (void) error; /* partial answers are reported through rocketmq_console_scrape_errors */
    return g_string_free(text, FALSE);
}
