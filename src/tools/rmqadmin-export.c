/* rmqadmin: cluster-wide exports and monitoring (mqadmin 4.9's
 * exportMetadata, exportConfigs, exportMetrics, startMonitoring), with
 * mqadmin's options, files and lines; --json for scripts. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <glib/gstdio.h>

#include "tools/rmqadmin.h"

#include "remoting/codes.h"
#include "remoting/json_body.h"

#define DEFAULT_EXPORT_DIR "/tmp/rocketmq/export"

/* ---- shared --------------------------------------------------------------- */

/* MixAll.isSysConsumerGroup and DefaultMQAdminExtImpl's SYSTEM_GROUP_SET. */
static gboolean
is_system_group(const gchar *g)
{
    static const gchar *const set[] = {
        "DEFAULT_CONSUMER", "DEFAULT_PRODUCER", "TOOLS_CONSUMER", "FILTERSRV_CONSUMER",
        "__MONITOR_CONSUMER", "CLIENT_INNER_PRODUCER", "SELF_TEST_P_GROUP", "SELF_TEST_C_GROUP",
        "CID_ONS-HTTP-PROXY", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER", "CID_ONSAPI_PULL",
        "CID_RMQ_SYS_TRANS", NULL,
    };
    return g_str_has_prefix(g, "CID_RMQ_SYS_") || g_strv_contains(set, g);
}

static JsonObject *
invoke_object(RmqAdminCommon *c, const gchar *addr, gint code, GError **error)
{
    g_autoptr(GBytes) b = rmq_admin_invoke(c->admin, addr, code, NULL, NULL, error, NULL);
    if (b == NULL)
        return NULL;
    g_autoptr(JsonNode) n = rmq_admin_parse_body(b, error);
    if (n == NULL)
        return NULL;
    if (!JSON_NODE_HOLDS_OBJECT(n)) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL, "%s: answer is not an object",
                    addr);
        return NULL;
    }
    return json_object_ref(json_node_get_object(n));
}

/* getUserTopicConfig: the broker's topics less its system topics (and
 * %RETRY%/%DLQ% ones unless @special). {name: TopicConfig}. */
static JsonObject *
user_topics(RmqAdminCommon *c, const gchar *addr, gboolean special, GError **error)
{
    g_autoptr(JsonObject) all = invoke_object(c, addr, RMQ_REQUEST_GET_ALL_TOPIC_CONFIG, error);
    if (all == NULL)
        return NULL;
    g_autoptr(JsonObject) sys = invoke_object(c, addr, RMQ_REQUEST_GET_SYSTEM_TOPIC_LIST_FROM_BROKER,
                                              error);
    if (sys == NULL)
        return NULL;
    JsonArray *sys_list = rmq_json_object_get_array_or_null(sys, "topicList");
    JsonObject *table = rmq_json_object_get_object_or_null(all, "topicConfigTable");
    JsonObject *out = json_object_new();
    g_autoptr(GList) names = table ? json_object_get_members(table) : NULL;
    for (GList *l = names; l; l = l->next) {
        const gchar *t = l->data;
        gboolean skip = FALSE;
        for (guint i = 0; sys_list && i < json_array_get_length(sys_list) && !skip; i++)
            skip = g_strcmp0(json_array_get_string_element(sys_list, i), t) == 0;
        if (!special && (g_str_has_prefix(t, "%RETRY%") || g_str_has_prefix(t, "%DLQ%")))
            skip = TRUE;
        if (!skip)
            json_object_set_member(out, t, json_node_copy(json_object_get_member(table, t)));
    }
    return out;
}

/* getUserSubscriptionGroup: {name: SubscriptionGroupConfig}, no system groups. */
static JsonObject *
user_groups(RmqAdminCommon *c, const gchar *addr, GError **error)
{
    g_autoptr(JsonObject) all = invoke_object(c, addr, RMQ_REQUEST_GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
                                              error);
    if (all == NULL)
        return NULL;
    JsonObject *table = rmq_json_object_get_object_or_null(all, "subscriptionGroupTable");
    JsonObject *out = json_object_new();
    g_autoptr(GList) names = table ? json_object_get_members(table) : NULL;
    for (GList *l = names; l; l = l->next)
        if (!is_system_group(l->data))
            json_object_set_member(out, l->data, json_node_copy(json_object_get_member(table, l->data)));
    return out;
}

/* Write @root pretty-printed to DIR/NAME, say so as mqadmin does. Takes @root. */
static int
export_file(RmqAdminCommon *c, const gchar *name, const gchar *dir, const gchar *file,
            JsonNode *root)
{
    g_autofree gchar *path = g_build_filename(dir, file, NULL);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_root(gen, root);
    g_autofree gchar *text = json_generator_to_data(gen, NULL);
    json_node_unref(root);
    g_autoptr(GError) error = NULL;
    if (g_mkdir_with_parents(dir, 0755) != 0 || !g_file_set_contents(path, text, -1, &error)) {
        fprintf(stderr, "rmqadmin %s: cannot write %s: %s\n", name, path,
                error ? error->message : g_strerror(errno));
        return RMQADMIN_EXIT_FAILURE;
    }
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "file", path);
        rmqadmin_print_json(rmq_json_node_take_object(o));
    } else {
        printf("export %s success\n", path);
    }
    return RMQADMIN_EXIT_OK;
}

/* Merge @from (topic or group configs by name) into @into as exportMetadata
 * does: the @counts members of a name already there add up. */
static void
merge_configs(JsonObject *into, JsonObject *from, const gchar *const *counts)
{
    g_autoptr(GList) names = json_object_get_members(from);
    for (GList *l = names; l; l = l->next) {
        JsonNode *n = json_node_copy(json_object_get_member(from, l->data));
        JsonObject *prev = rmq_json_object_get_object_or_null(into, l->data);
        if (prev != NULL && JSON_NODE_HOLDS_OBJECT(n)) {
            JsonObject *o = json_node_get_object(n);
            for (guint i = 0; counts[i] != NULL; i++)
                json_object_set_int_member(o, counts[i],
                                           rmq_json_object_get_int64_or(o, counts[i], 0) +
                                               rmq_json_object_get_int64_or(prev, counts[i], 0));
        }
        json_object_set_member(into, l->data, n);
    }
}

static void
merge_topics(JsonObject *into, JsonObject *topics)
{
    static const gchar *const counts[] = { "writeQueueNums", "readQueueNums", NULL };
    merge_configs(into, topics, counts);
}

static void
merge_groups(JsonObject *into, JsonObject *groups)
{
    static const gchar *const counts[] = { "retryQueueNums", NULL };
    merge_configs(into, groups, counts);
}

/* ---- exportMetadata ------------------------------------------------------------ */

int
rmqadmin_export_metadata(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *cluster = NULL;
    g_autofree gchar *broker = NULL;
    g_autofree gchar *dir = NULL;
    gboolean topics_only = FALSE, groups_only = FALSE, special = FALSE;
    GOptionEntry e[] = {
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster, "choose a cluster to export",
          "CLUSTER" },
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker,
          "choose a broker to export (with -t or -g)", "ADDR" },
        { "filePath", 'f', 0, G_OPTION_ARG_FILENAME, &dir,
          "export metadata.json path | default " DEFAULT_EXPORT_DIR, "DIR" },
        { "topic", 't', 0, G_OPTION_ARG_NONE, &topics_only, "only export topic metadata", NULL },
        { "subscriptionGroup", 'g', 0, G_OPTION_ARG_NONE, &groups_only,
          "only export subscriptionGroup metadata", NULL },
        { "specialTopic", 's', 0, G_OPTION_ARG_NONE, &special, "need retryTopic and dlqTopic",
          NULL },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "export metadata: the user topics and subscription "
                                        "groups of a cluster's masters (or of one broker) to "
                                        "a JSON file.",
                            "-c CLUSTER | -b ADDR -t|-g", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    const gchar *path = dir ? g_strstrip(dir) : DEFAULT_EXPORT_DIR;
    g_autoptr(GError) error = NULL;
    if (broker != NULL) {
        g_strstrip(broker);
        if (!topics_only && !groups_only)
            return rmqadmin_usage(argv[0], "with -b, give -t (topics) or -g (groups)");
        JsonObject *o = json_object_new();
        if (topics_only) {
            JsonObject *t = user_topics(c, broker, special, &error);
            if (t == NULL) {
                json_object_unref(o);
                return rmqadmin_fail(argv[0], error);
            }
            json_object_set_object_member(o, "topicConfigTable", t);
            return export_file(c, argv[0], path, "topic.json", rmq_json_node_take_object(o));
        }
        JsonObject *g = user_groups(c, broker, &error);
        if (g == NULL) {
            json_object_unref(o);
            return rmqadmin_fail(argv[0], error);
        }
        json_object_set_object_member(o, "subscriptionGroupTable", g);
        return export_file(c, argv[0], path, "subscriptionGroup.json",
                           rmq_json_node_take_object(o));
    }
    if (cluster == NULL)
        return rmqadmin_usage(argv[0], "give -c CLUSTER, or -b BROKER_ADDR with -t or -g");
    g_strstrip(cluster);
    g_auto(GStrv) masters = rmq_admin_cluster_masters(c->admin, cluster, &error);
    if (masters == NULL)
        return rmqadmin_fail(argv[0], error);
    if (masters[0] == NULL) {
        fprintf(stderr, "rmqadmin %s: cluster %s has no master broker\n", argv[0], cluster);
        return RMQADMIN_EXIT_NOT_FOUND;
    }
    JsonObject *topics = json_object_new();
    JsonObject *groups = json_object_new();
    for (guint i = 0; masters[i]; i++) {
        g_autoptr(JsonObject) t = user_topics(c, masters[i], special, &error);
        g_autoptr(JsonObject) g = t ? user_groups(c, masters[i], &error) : NULL;
        if (g == NULL) {
            json_object_unref(topics);
            json_object_unref(groups);
            return rmqadmin_fail(argv[0], error);
        }
        merge_topics(topics, t);
        merge_groups(groups, g);
    }
    JsonObject *o = json_object_new();
    const gchar *file = "metadata.json";
    if (topics_only) {
        json_object_set_object_member(o, "topicConfigTable", topics);
        json_object_unref(groups);
        file = "topic.json";
    } else if (groups_only) {
        json_object_set_object_member(o, "subscriptionGroupTable", groups);
        json_object_unref(topics);
        file = "subscriptionGroup.json";
    } else {
        json_object_set_object_member(o, "topicConfigTable", topics);
        json_object_set_object_member(o, "subscriptionGroupTable", groups);
    }
    json_object_set_int_member(o, "exportTime", g_get_real_time() / 1000);
    return export_file(c, argv[0], path, file, rmq_json_node_take_object(o));
}

/* ---- exportConfigs --------------------------------------------------------------- */

/* The broker keys exportConfigs keeps (needBrokerProprties). */
static const gchar *const export_keys[] = {
    "brokerClusterName", "brokerId", "brokerName", "brokerRole", "fileReservedTime",
    "filterServerNums", "flushDiskType", "maxMessageSize", "messageDelayLevel",
    "msgTraceTopicName", "slaveReadEnable", "traceOn", "traceTopicEnable", "useTLS",
    "autoCreateTopicEnable", "autoCreateSubscriptionGroup", NULL,
};

static guint
namesrv_count(RmqAdminCommon *c)
{
    const gchar *list = c->namesrv && *c->namesrv ? c->namesrv : g_getenv("NAMESRV_ADDR");
    g_auto(GStrv) parts = g_strsplit_set(list ? list : "", ";, ", -1);
    guint n = 0;
    for (guint i = 0; parts[i]; i++)
        n += *parts[i] != '\0';
    return n;
}

/* What exportConfigs and exportMetrics start with: -c CLUSTER [-f DIR]
 * parsed, and the cluster's brokers looked up in the cluster info. */
typedef struct {
    gchar *cluster;
    gchar *dir;
    JsonNode *info;
    JsonObject *brokers; /* the info's broker table */
    JsonArray *names;    /* the cluster's broker names */
} ClusterExport;

static void
cluster_export_clear(ClusterExport *x)
{
    g_free(x->cluster);
    g_free(x->dir);
    g_clear_pointer(&x->info, json_node_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ClusterExport, cluster_export_clear)

/* Fills @x for the command that writes @file; an exit code when the options
 * are wrong, the info cannot be had or the cluster is unknown, else -1. */
static int
cluster_export_start(RmqAdminCommon *c, int argc, char **argv, const gchar *summary,
                     const gchar *file, ClusterExport *x)
{
    g_autofree gchar *dir_help =
        g_strdup_printf("export %s path | default " DEFAULT_EXPORT_DIR, file);
    GOptionEntry e[] = {
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &x->cluster, "choose a cluster to export",
          "CLUSTER" },
        { "filePath", 'f', 0, G_OPTION_ARG_FILENAME, &x->dir, dir_help, "DIR" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], summary, "-c CLUSTER", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (x->cluster == NULL)
        return rmqadmin_usage(argv[0], "-c CLUSTER is required");
    g_strstrip(x->cluster);
    if (x->dir != NULL)
        g_strstrip(x->dir);
    g_autoptr(GError) error = NULL;
    x->info = rmq_admin_cluster_info(c->admin, &error);
    if (x->info == NULL)
        return rmqadmin_fail(argv[0], error);
    JsonObject *io = json_node_get_object(x->info);
    JsonObject *clusters = rmq_json_object_get_object_or_null(io, "clusters");
    x->brokers = rmq_json_object_get_object_or_null(io, "brokers");
    x->names = clusters ? rmq_json_object_get_array_or_null(clusters, x->cluster) : NULL;
    if (x->names == NULL) {
        fprintf(stderr, "rmqadmin %s: cluster %s not found\n", argv[0], x->cluster);
        return RMQADMIN_EXIT_NOT_FOUND;
    }
    return -1;
}

/* The master address of broker @broker_name in @brokers, NULL if it has none;
 * its address table into @addrs where that is not NULL. */
static const gchar *
master_addr(JsonObject *brokers, const gchar *broker_name, JsonObject **addrs)
{
    JsonObject *b = brokers ? rmq_json_object_get_object_or_null(brokers, broker_name) : NULL;
    JsonObject *a = b ? rmq_json_object_get_object_or_null(b, "addrs") : NULL;
    if (addrs != NULL)
        *addrs = a;
    return a ? rmq_json_object_get_string_or(a, "0", NULL) : NULL;
}

int
rmqadmin_export_configs(RmqAdminCommon *c, int argc, char **argv)
{
    g_auto(ClusterExport) x = { 0 };
    int rc = cluster_export_start(c, argc, argv,
                                  "export configs: the main configuration keys of a "
                                  "cluster's masters and the cluster's scale, to "
                                  "configs.json.",
                                  "configs.json", &x);
    if (rc >= 0)
        return rc;
    g_autoptr(GError) error = NULL;
    JsonObject *configs = json_object_new();
    gint64 masters = 0, slaves = 0;
    for (guint i = 0; i < json_array_get_length(x.names); i++) {
        JsonObject *addrs;
        const gchar *master =
            master_addr(x.brokers, json_array_get_string_element(x.names, i), &addrs);
        if (master == NULL)
            continue;
        g_autoptr(JsonNode) props = rmq_admin_broker_config(c->admin, master, &error);
        if (props == NULL) {
            json_object_unref(configs);
            return rmqadmin_fail(argv[0], error);
        }
        masters++;
        slaves += json_object_get_size(addrs) - 1;
        JsonObject *p = json_node_get_object(props);
        JsonObject *keep = json_object_new();
        for (guint k = 0; export_keys[k]; k++) {
            const gchar *v = rmq_json_object_get_string_or(p, export_keys[k], NULL);
            if (v != NULL)
                json_object_set_string_member(keep, export_keys[k], v);
            else
                json_object_set_null_member(keep, export_keys[k]);
        }
        json_object_set_object_member(
            configs, rmq_json_object_get_string_or(p, "brokerName", json_array_get_string_element(x.names, i)),
            keep);
    }
    JsonObject *scale = json_object_new();
    json_object_set_int_member(scale, "namesrvSize", namesrv_count(c));
    json_object_set_int_member(scale, "masterBrokerSize", masters);
    json_object_set_int_member(scale, "slaveBrokerSize", slaves);
    JsonObject *o = json_object_new();
    json_object_set_object_member(o, "brokerConfigs", configs);
    json_object_set_object_member(o, "clusterScale", scale);
    return export_file(c, argv[0], x.dir ? x.dir : DEFAULT_EXPORT_DIR, "configs.json",
                       rmq_json_node_take_object(o));
}

/* ---- exportMetrics -------------------------------------------------------------- */

/* The first number of a runtime-info value ("12.5 3.1 0.2"), 0 if none. */
static gdouble
first_number(JsonObject *kv, const gchar *key)
{
    const gchar *v = rmq_json_object_get_string_or(kv, key, NULL);
    return v ? g_ascii_strtod(v, NULL) : 0.0;
}

static gint64
int_value(JsonObject *kv, const gchar *key)
{
    const gchar *v = rmq_json_object_get_string_or(kv, key, NULL);
    return v ? g_ascii_strtoll(v, NULL, 10) : 0;
}

/* StatsAllSubCommand.compute24HourSum: the day's sum, else the hour's,
 * else the minute's. */
static gint64
sum_24h(JsonObject *stats)
{
    static const gchar *const windows[] = { "statsDay", "statsHour", "statsMinute" };
    for (guint i = 0; i < G_N_ELEMENTS(windows); i++) {
        JsonObject *w = rmq_json_object_get_object_or_null(stats, windows[i]);
        gint64 s = w ? rmq_json_object_get_int64_or(w, "sum", 0) : 0;
        if (s != 0)
            return s;
    }
    return 0;
}

static void
put_stats(RmqAdminCommon *c, const gchar *addr, const gchar *topic, gdouble *tps, gint64 *day)
{
    g_autoptr(JsonNode) n = rmq_admin_view_broker_stats(c->admin, addr, "TOPIC_PUT_NUMS", topic,
                                                        NULL);
    *tps = 0;
    *day = 0;
    if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
        return;
    JsonObject *m = rmq_json_object_get_object_or_null(json_node_get_object(n), "statsMinute");
    *tps = m ? rmq_json_object_get_double_or(m, "tps", 0) : 0;
    *day = sum_24h(json_node_get_object(n));
}

/* The four flows exportMetrics reports, each a broker's and the cluster's:
 * normal messages in and out, transactional and scheduled messages in. */
enum { FLOW_NORMAL_IN, FLOW_NORMAL_OUT, FLOW_TRANS_IN, FLOW_SCHEDULE_IN, N_FLOWS };

static const gchar *const tps_keys[N_FLOWS] = { "normalInTps", "normalOutTps", "transInTps",
                                                "scheduleInTps" };
static const gchar *const total_tps_keys[N_FLOWS] = { "totalNormalInTps", "totalNormalOutTps",
                                                      "totalTransInTps", "totalScheduleInTps" };

static JsonObject *
tps_object(const gdouble *tps, const gchar *const *keys)
{
    JsonObject *o = json_object_new();
    for (guint k = 0; k < N_FLOWS; k++)
        json_object_set_double_member(o, keys[k], tps[k]);
    return o;
}

/* The day's counts: the same keys for a broker and the total. */
static JsonObject *
day_object(const gint64 *day)
{
    static const gchar *const keys[N_FLOWS] = { "normalOneDayInNum", "normalOneDayOutNum",
                                                "transOneDayInNum", "scheduleOneDayInNum" };
    JsonObject *o = json_object_new();
    for (guint k = 0; k < N_FLOWS; k++)
        json_object_set_int_member(o, keys[k], day[k]);
    return o;
}

int
rmqadmin_export_metrics(RmqAdminCommon *c, int argc, char **argv)
{
    g_auto(ClusterExport) x = { 0 };
    int rc = cluster_export_start(c, argc, argv,
                                  "export metrics: each master's environment, TPS, "
                                  "day counts and client versions, and the cluster's "
                                  "totals, to metrics.json.",
                                  "metrics.json", &x);
    if (rc >= 0)
        return rc;
    g_autoptr(GError) error = NULL;
    gdouble total_tps[N_FLOWS] = { 0 };
    gint64 total_day[N_FLOWS] = { 0 };
    JsonObject *report = json_object_new();
    for (guint i = 0; i < json_array_get_length(x.names); i++) {
        const gchar *bn = json_array_get_string_element(x.names, i);
        const gchar *addr = master_addr(x.brokers, bn, NULL);
        if (addr == NULL)
            continue;
        g_autoptr(JsonNode) kvn = rmq_admin_broker_runtime(c->admin, addr, &error);
        g_autoptr(JsonNode) props = kvn ? rmq_admin_broker_config(c->admin, addr, &error) : NULL;
        g_autoptr(JsonObject) groups = props ? user_groups(c, addr, &error) : NULL;
        g_autoptr(JsonObject) topics = groups ? user_topics(c, addr, FALSE, &error) : NULL;
        if (topics == NULL) {
            json_object_unref(report);
            return rmqadmin_fail(argv[0], error);
        }
        JsonObject *kv = json_node_get_object(kvn);
        JsonObject *env = json_object_new();
        json_object_set_string_member(env, "cpuNum",
                                      rmq_json_object_get_string_or(json_node_get_object(props),
                                                                    "clientCallbackExecutorThreads",
                                                                    NULL));
        json_object_set_string_member(env, "totalMemKBytes",
                                      rmq_json_object_get_string_or(kv, "totalMemKBytes", NULL));
        gdouble tps[N_FLOWS] = {
            [FLOW_NORMAL_IN] = first_number(kv, "putTps"),
            [FLOW_NORMAL_OUT] = first_number(kv, "getTransferedTps"),
        };
        gint64 day[N_FLOWS] = {
            [FLOW_NORMAL_IN] = int_value(kv, "msgPutTotalTodayMorning") -
                               int_value(kv, "msgPutTotalYesterdayMorning"),
            [FLOW_NORMAL_OUT] = int_value(kv, "msgGetTotalTodayMorning") -
                                int_value(kv, "msgGetTotalYesterdayMorning"),
        };
        put_stats(c, addr, "RMQ_SYS_TRANS_HALF_TOPIC", &tps[FLOW_TRANS_IN], &day[FLOW_TRANS_IN]);
        put_stats(c, addr, "SCHEDULE_TOPIC_XXXX", &tps[FLOW_SCHEDULE_IN], &day[FLOW_SCHEDULE_IN]);
        JsonObject *quota = json_object_new();
        JsonObject *disk = json_object_new();
        json_object_set_string_member(disk, "commitLogDiskRatio",
                                      rmq_json_object_get_string_or(kv, "commitLogDiskRatio", NULL));
        json_object_set_string_member(disk, "consumeQueueDiskRatio",
                                      rmq_json_object_get_string_or(kv, "consumeQueueDiskRatio", NULL));
        json_object_set_object_member(quota, "diskRatio", disk);
        json_object_set_object_member(quota, "tps", tps_object(tps, tps_keys));
        json_object_set_object_member(quota, "oneDayNum", day_object(day));
        json_object_set_string_member(quota, "messageAverageSize",
                                      rmq_json_object_get_string_or(kv, "putMessageAverageSize", NULL));
        json_object_set_int_member(quota, "topicSize", json_object_get_size(topics));
        json_object_set_int_member(quota, "groupSize", json_object_get_size(groups));
        for (guint k = 0; k < N_FLOWS; k++) {
            total_tps[k] += tps[k];
            total_day[k] += day[k];
        }
        /* clients of the groups: language%version, each once */
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        JsonArray *client_info = json_array_new();
        g_autoptr(GList) gnames = json_object_get_members(groups);
        gnames = g_list_sort(gnames, (GCompareFunc) g_strcmp0);
        for (GList *l = gnames; l; l = l->next) {
            g_autoptr(JsonNode) cc = rmq_admin_consumer_connection(c->admin, l->data, NULL);
            JsonArray *conns = cc && JSON_NODE_HOLDS_OBJECT(cc)
                                   ? rmq_json_object_get_array_or_null(json_node_get_object(cc),
                                                                       "connections")
                                   : NULL;
            for (guint k = 0; conns && k < json_array_get_length(conns); k++) {
                JsonObject *conn = json_array_get_object_element(conns, k);
                g_autofree gchar *ver =
                    rmqadmin_version_desc(rmq_json_object_get_int64_or(conn, "version", 0));
                gchar *ci = g_strdup_printf("%s%%%s",
                                            rmq_json_object_get_string_or(conn, "language", ""),
                                            ver);
                if (g_hash_table_add(seen, ci))
                    json_array_add_string_element(client_info, ci);
            }
        }
        JsonObject *ver = json_object_new();
        json_object_set_string_member(ver, "rocketmqVersion", "V4_9_7");
        json_object_set_array_member(ver, "clientInfo", client_info);
        JsonObject *bi = json_object_new();
        json_object_set_object_member(bi, "runtimeEnv", env);
        json_object_set_object_member(bi, "runtimeQuota", quota);
        json_object_set_object_member(bi, "runtimeVersion", ver);
        json_object_set_object_member(report, bn, bi);
    }
    JsonObject *total = json_object_new();
    json_object_set_object_member(total, "totalTps", tps_object(total_tps, total_tps_keys));
    json_object_set_object_member(total, "totalOneDayNum", day_object(total_day));
    JsonObject *o = json_object_new();
    json_object_set_object_member(o, "evaluateReport", report);
    json_object_set_object_member(o, "totalData", total);
    return export_file(c, argv[0], x.dir ? x.dir : DEFAULT_EXPORT_DIR, "metrics.json",
                       rmq_json_node_take_object(o));
}

/* ---- startMonitoring ------------------------------------------------------------- */

static volatile sig_atomic_t stop_requested;

static gboolean
on_tick(gpointer data)
{
    (void) data;
    return G_SOURCE_REMOVE;
}

static gboolean
on_stop_signal(gpointer data)
{
    (void) data;
    stop_requested = 1;
    return G_SOURCE_CONTINUE;
}

/* MonitorService.reportUndoneMsgs for one group: per topic, the lag summed,
 * the largest lag of one queue, and how far behind the newest message the
 * group's last consumed one was stored. */
static void
report_undone(RmqAdminCommon *c, RmqConsumer *cons, const gchar *group, JsonArray *rows)
{
    g_autoptr(JsonNode) stats = rmq_admin_consumer_progress(c->admin, group, NULL, NULL);
    if (stats == NULL)
        return;
    g_autoptr(JsonNode) cc = rmq_admin_consumer_connection(c->admin, group, NULL);
    if (cc == NULL) /* as mqadmin: only groups with clients online */
        return;
    JsonArray *qs = rmq_json_object_get_array_or_null(json_node_get_object(stats), "queues");
    g_autoptr(GHashTable) by_topic = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                           (GDestroyNotify) json_object_unref);
    g_autoptr(GPtrArray) order = g_ptr_array_new();
    for (guint i = 0; qs && i < json_array_get_length(qs); i++) {
        JsonObject *q = json_array_get_object_element(qs, i);
        const gchar *topic = rmq_json_object_get_string_or(q, "topic", "");
        JsonObject *u = g_hash_table_lookup(by_topic, topic);
        if (u == NULL) {
            u = json_object_new();
            json_object_set_string_member(u, "consumerGroup", group);
            json_object_set_string_member(u, "topic", topic);
            json_object_set_int_member(u, "undoneMsgsTotal", 0);
            json_object_set_int_member(u, "undoneMsgsSingleMQ", 0);
            json_object_set_int_member(u, "undoneMsgsDelayTimeMills", 0);
            g_hash_table_insert(by_topic, (gpointer) topic, u);
            g_ptr_array_add(order, (gpointer) topic);
        }
        gint64 diff = rmq_json_object_get_int64_or(q, "brokerOffset", 0) -
                      rmq_json_object_get_int64_or(q, "consumerOffset", 0);
        if (diff > json_object_get_int_member(u, "undoneMsgsSingleMQ"))
            json_object_set_int_member(u, "undoneMsgsSingleMQ", diff);
        if (diff > 0)
            json_object_set_int_member(u, "undoneMsgsTotal",
                                       json_object_get_int_member(u, "undoneMsgsTotal") + diff);
        gint64 last = rmq_json_object_get_int64_or(q, "lastTimestamp", 0);
        if (last <= 0)
            continue;
        g_autoptr(RmqQueue) mq = rmq_queue_new(topic, rmq_json_object_get_string_or(q, "brokerName", ""),
                                               rmq_json_object_get_int32_or(q, "queueId", 0));
        gint64 max = rmq_consumer_max_offset(cons, mq, NULL);
        RmqPullResult r;
        if (max > 0 && rmq_consumer_pull(cons, mq, "*", max - 1, 1, 0, &r, NULL)) {
            if (r.status == RMQ_PULL_FOUND && r.msgs->len > 0) {
                gint64 delay = ((RmqMsg *) g_ptr_array_index(r.msgs, 0))->store_timestamp - last;
                if (delay > json_object_get_int_member(u, "undoneMsgsDelayTimeMills"))
                    json_object_set_int_member(u, "undoneMsgsDelayTimeMills", delay);
            }
            rmq_pull_result_clear(&r);
        }
    }
    for (guint i = 0; i < order->len; i++) {
        JsonObject *u = g_hash_table_lookup(by_topic, g_ptr_array_index(order, i));
        json_array_add_object_element(rows, json_object_ref(u));
    }
}

int
rmqadmin_start_monitoring(RmqAdminCommon *c, int argc, char **argv)
{
    gint interval_ms = 60000;
    gint rounds = 0;
    gint duration_s = 0;
    GOptionEntry e[] = {
        { "roundInterval", 'i', 0, G_OPTION_ARG_INT, &interval_ms,
          "Milliseconds between rounds (60000, as mqadmin)", "MS" },
        { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds,
          "Stop after this many rounds (0: run until SIGINT/SIGTERM or --duration)", "N" },
        { "duration", 'd', 0, G_OPTION_ARG_INT, &duration_s,
          "Stop after this many seconds (0: no limit)", "SECONDS" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            "Start Monitoring: every round, for each consumer group (each "
                            "%RETRY% topic) with clients online, report its undone (not yet "
                            "consumed) messages per topic, as mqadmin's MonitorService logs "
                            "them. Runs until -r rounds or -d seconds are done, or SIGINT/"
                            "SIGTERM.",
                            "[-i MS] [-r ROUNDS] [-d SECONDS]", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (interval_ms < 1 || rounds < 0 || duration_s < 0)
        return rmqadmin_usage(argv[0], "-i must be positive, -r and -d not negative");
    GMainContext *ctx = rmq_instance_get_context(rmq_admin_get_instance(c->admin));
    GSource *sigint = g_unix_signal_source_new(SIGINT);
    GSource *sigterm = g_unix_signal_source_new(SIGTERM);
    g_source_set_callback(sigint, on_stop_signal, NULL, NULL);
    g_source_set_callback(sigterm, on_stop_signal, NULL, NULL);
    g_source_attach(sigint, ctx);
    g_source_attach(sigterm, ctx);
    g_autoptr(RmqConsumer) cons = rmq_consumer_new_on(rmq_admin_get_instance(c->admin),
                                                      "__MONITOR_CONSUMER");
    gint64 deadline = duration_s > 0 ? g_get_monotonic_time() + (gint64) duration_s * G_USEC_PER_SEC
                                     : G_MAXINT64;
    int result = RMQADMIN_EXIT_OK;
    for (gint round = 1; !stop_requested; round++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) topics = rmq_admin_topic_list(c->admin, &error);
        if (topics == NULL) {
            result = rmqadmin_fail(argv[0], error);
            break;
        }
        JsonArray *rows = json_array_new();
        if (!c->json)
            printf("[MONITOR] =========================================beginRound\n");
        JsonArray *tl = json_node_get_array(topics);
        for (guint i = 0; i < json_array_get_length(tl); i++) {
            const gchar *t = json_array_get_string_element(tl, i);
            if (t != NULL && g_str_has_prefix(t, "%RETRY%"))
                report_undone(c, cons, t + strlen("%RETRY%"), rows);
        }
        for (guint i = 0; !c->json && i < json_array_get_length(rows); i++) {
            JsonObject *u = json_array_get_object_element(rows, i);
            printf("[MONITOR] reportUndoneMsgs: UndoneMsgs [consumerGroup=%s, topic=%s, "
                   "undoneMsgsTotal=%" G_GINT64_FORMAT ", undoneMsgsSingleMQ=%" G_GINT64_FORMAT
                   ", undoneMsgsDelayTimeMills=%" G_GINT64_FORMAT "]\n",
                   json_object_get_string_member(u, "consumerGroup"),
                   json_object_get_string_member(u, "topic"),
                   json_object_get_int_member(u, "undoneMsgsTotal"),
                   json_object_get_int_member(u, "undoneMsgsSingleMQ"),
                   json_object_get_int_member(u, "undoneMsgsDelayTimeMills"));
        }
        if (c->json) {
            /* one compact JSON object per round and line */
            JsonObject *o = json_object_new();
            json_object_set_int_member(o, "round", round);
            json_object_set_int_member(o, "time", g_get_real_time() / 1000);
            json_object_set_array_member(o, "undoneMsgs", rows);
            g_autoptr(JsonGenerator) gen = json_generator_new();
            g_autoptr(JsonNode) n = rmq_json_node_take_object(o);
            json_generator_set_root(gen, n);
            g_autofree gchar *text = json_generator_to_data(gen, NULL);
            printf("%s\n", text);
        } else {
            json_array_unref(rows);
            printf("[MONITOR] =========================================endRound\n");
        }
        fflush(stdout);
        if (rounds > 0 && round >= rounds)
            break;
        /* wait for the next round, the deadline, or a signal */
        gint64 next = g_get_monotonic_time() + (gint64) interval_ms * 1000;
        while (!stop_requested && g_get_monotonic_time() < MIN(next, deadline)) {
            GSource *tick = g_timeout_source_new(100);
            g_source_set_callback(tick, on_tick, NULL, NULL);
            g_source_attach(tick, ctx);
            g_main_context_iteration(ctx, TRUE);
            g_source_destroy(tick);
            g_source_unref(tick);
        }
        if (g_get_monotonic_time() >= deadline)
            break;
    }
    g_source_destroy(sigint);
    g_source_unref(sigint);
    g_source_destroy(sigterm);
    g_source_unref(sigterm);
    return result;
}
