/* rmqadmin subcommands of mqadmin 4.9 added for parity: producer, queryCq,
 * cleanExpiredCQ, deleteExpiredCommitLog, cleanUnusedTopic (broker store
 * maintenance), brokerConsumeStats, statsAll, updateTopicPerm, topicClusterList, and the name server ones:
 * addWritePerm, updateKvConfig, deleteKvConfig, getNamesrvConfig,
 * updateNamesrvConfig. Output lines are mqadmin's; --json prints the
 * library's JSON. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "tools/rmqadmin.h"
#include "remoting/json_body.h"

static void
print_json_done(JsonObject *o)
{
    rmqadmin_print_json(rmq_json_node_take_object(o));
}

/* ---- producer -------------------------------------------------------- */

int
rmqadmin_producer(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *broker = NULL;
    GOptionEntry e[] = {
        { "broker", 'b', 0, G_OPTION_ARG_STRING, &broker, "Broker address", "ADDR" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Query producer's instances, connection, status, etc.",
                            "-b ADDR", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (broker == NULL)
        return rmqadmin_usage(argv[0], "-b BROKER_ADDR is required");
    g_autoptr(GError) error = NULL;
    JsonNode *n = rmq_admin_producer_info(c->admin, broker, &error);
    if (rmqadmin_query_done(c, argv[0], n, error, &rc))
        return rc;
    JsonObject *o = json_node_get_object(n);
    g_autoptr(GList) groups = json_object_get_members(o);
    groups = g_list_sort(groups, (GCompareFunc) g_strcmp0);
    for (GList *l = groups; l; l = l->next) {
        JsonArray *list = rmq_json_object_get_array_or_null(o, l->data);
        if (list == NULL || json_array_get_length(list) == 0) {
            printf("producer group (%s) instances are empty\n", (const gchar *) l->data);
            continue;
        }
        for (guint i = 0; i < json_array_get_length(list); i++) {
            JsonObject *p = json_array_get_object_element(list, i);
            /* ProducerInfo.toString() */
            printf("producer group (%s) instance : clientId=%s,remoteIP=%s, language=%s, "
                   "version=%d, lastUpdateTimestamp=%" G_GINT64_FORMAT "\n",
                   (const gchar *) l->data, rmq_json_object_get_string_or(p, "clientId", "null"),
                   rmq_json_object_get_string_or(p, "remoteIP", "null"),
                   rmq_json_object_get_string_or(p, "language", "null"),
                   rmq_json_object_get_int32_or(p, "version", 0),
                   rmq_json_object_get_int64_or(p, "lastUpdateTimestamp", 0));
        }
    }
    json_node_unref(n);
    return RMQADMIN_EXIT_OK;
}

/* ---- queryCq --------------------------------------------------------- */

static const gchar separator[] = "======================================";

static const gchar *
str_or_null(JsonObject *o, const gchar *name)
{
    return rmq_json_object_get_string_or(o, name, "null");
}

int
rmqadmin_query_cq(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL, *broker = NULL, *group = NULL;
    gint queue = -1, count = 10;
    gint64 index = -1;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Topic name", "TOPIC" },
        { "queue", 'q', 0, G_OPTION_ARG_INT, &queue, "Queue id, ie. 1", "N" },
        { "index", 'i', 0, G_OPTION_ARG_INT64, &index, "Start queue index", "N" },
        { "count", 'c', 0, G_OPTION_ARG_INT, &count, "How many (10)", "N" },
        { "broker", 'b', 0, G_OPTION_ARG_STRING, &broker,
          "Broker address (default: the topic's first master)", "ADDR" },
        { "consumer", 'g', 0, G_OPTION_ARG_STRING, &group, "Consumer group", "GROUP" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Query cq command.", "-t TOPIC -q QUEUE -i INDEX", e,
                            &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL || queue < 0 || index < 0)
        return rmqadmin_usage(argv[0], "-t TOPIC, -q QUEUE and -i INDEX are required");
    g_autoptr(GError) error = NULL;
    if (broker == NULL || *broker == '\0') {
        /* as mqadmin: the master of the route's first broker */
        g_autoptr(JsonNode) route = rmq_admin_topic_route(c->admin, topic, &error);
        if (route == NULL)
            return rmqadmin_fail(argv[0], error);
        JsonArray *bds =
            rmq_json_object_get_array_or_null(json_node_get_object(route), "brokerDatas");
        JsonObject *bd = bds != NULL && json_array_get_length(bds) > 0
                             ? json_array_get_object_element(bds, 0)
                             : NULL;
        const gchar *addr = rmq_json_object_get_string_or(
            rmq_json_object_get_object_or_null(bd, "brokerAddrs"), "0", NULL);
        if (addr == NULL) {
            fprintf(stderr, "rmqadmin %s: No topic route data!\n", argv[0]);
            return RMQADMIN_EXIT_NOT_FOUND;
        }
        g_free(broker);
        broker = g_strdup(addr);
    }
    JsonNode *n =
        rmq_admin_query_consume_queue(c->admin, broker, topic, queue, index, count, group, &error);
    if (rmqadmin_query_done(c, argv[0], n, error, &rc))
        return rc;
    JsonObject *o = json_node_get_object(n);
    JsonNode *sub = json_object_get_member(o, "subscriptionData");
    if (sub != NULL && !JSON_NODE_HOLDS_NULL(sub)) {
        g_autofree gchar *text = rmq_json_to_string(sub, TRUE);
        printf("Subscription data: \n%s\n%s\n", text, separator);
    }
    const gchar *filter = rmq_json_object_get_string_or(o, "filterData", NULL);
    if (filter != NULL)
        printf("Filter data: \n%s\n%s\n", filter, separator);
    printf("Queue data: \nmax: %" G_GINT64_FORMAT ", min: %" G_GINT64_FORMAT "\n%s\n",
           rmq_json_object_get_int64_or(o, "maxQueueIndex", 0),
           rmq_json_object_get_int64_or(o, "minQueueIndex", 0), separator);
    JsonArray *units = rmq_json_object_get_array_or_null(o, "queueData");
    for (guint i = 0; units != NULL && i < json_array_get_length(units); i++) {
        JsonObject *u = json_array_get_object_element(units, i);
        /* ConsumeQueueData.toString() */
        printf("idx: %" G_GINT64_FORMAT "\nConsumeQueueData{physicOffset=%" G_GINT64_FORMAT
               ", physicSize=%d, tagsCode=%" G_GINT64_FORMAT
               ", extendDataJson='%s', bitMap='%s', eval=%s, msg='%s'}\n%s\n",
               index + i, rmq_json_object_get_int64_or(u, "physicOffset", 0),
               rmq_json_object_get_int32_or(u, "physicSize", 0),
               rmq_json_object_get_int64_or(u, "tagsCode", 0), str_or_null(u, "extendDataJson"),
               str_or_null(u, "bitMap"),
               rmq_json_object_get_bool_or(u, "eval", FALSE) ? "true" : "false",
               str_or_null(u, "msg"), separator);
    }
    json_node_unref(n);
    return RMQADMIN_EXIT_OK;
}

/* ---- cleanExpiredCQ, deleteExpiredCommitLog, cleanUnusedTopic -------- */

typedef gboolean (*BrokerCall)(RmqAdmin *a, const gchar *addr, GError **error);

/* -b ADDR, or every broker (masters and slaves) of -c CLUSTER, or of every
 * cluster: mqadmin's ...ByAddr / ...ByCluster. Prints "success" as mqadmin
 * does (with a newline). */
static int
broker_maintenance(RmqAdminCommon *c, int argc, char **argv, const gchar *summary,
                   BrokerCall call)
{
    g_autofree gchar *broker = NULL, *cluster = NULL;
    GOptionEntry e[] = {
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker, "Broker address", "ADDR" },
        { "cluster", 'c', 0, G_OPTION_ARG_STRING, &cluster,
          "Every broker of this cluster (default: of every cluster)", "NAME" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], summary, "[-b ADDR | -c CLUSTER]", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) targets = NULL;
    if (broker != NULL) {
        targets = g_new0(gchar *, 2);
        targets[0] = g_strdup(broker);
    } else {
        targets = rmq_admin_cluster_addrs(c->admin, cluster, &error);
        if (targets == NULL)
            return rmqadmin_fail(argv[0], error);
    }
    JsonArray *done = json_array_new();
    for (guint i = 0; targets[i]; i++) {
        if (!call(c->admin, targets[i], &error)) {
            json_array_unref(done);
            return rmqadmin_fail(argv[0], error);
        }
        json_array_add_string_element(done, targets[i]);
    }
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_boolean_member(o, "success", TRUE);
        json_object_set_array_member(o, "brokers", done);
        print_json_done(o);
    } else {
        json_array_unref(done);
        printf("success\n");
    }
    return RMQADMIN_EXIT_OK;
}

int
rmqadmin_clean_expired_cq(RmqAdminCommon *c, int argc, char **argv)
{
    return broker_maintenance(c, argc, argv, "Clean expired ConsumeQueue on broker.",
                              rmq_admin_clean_expired_cq);
}

int
rmqadmin_delete_expired_commit_log(RmqAdminCommon *c, int argc, char **argv)
{
    return broker_maintenance(c, argc, argv, "Delete expired CommitLog files",
                              rmq_admin_delete_expired_commit_log);
}

int
rmqadmin_clean_unused_topic(RmqAdminCommon *c, int argc, char **argv)
{
    return broker_maintenance(c, argc, argv, "Clean unused topic on broker.",
                              rmq_admin_clean_unused_topic);
}

/* ---- updateTopicPerm ------------------------------------------------- */

/* PermName.perm2String */
static const gchar *
perm_text(gint perm, gchar buf[4])
{
    buf[0] = (perm & 4) ? 'R' : '-';
    buf[1] = (perm & 2) ? 'W' : '-';
    buf[2] = (perm & 1) ? 'X' : '-';
    buf[3] = '\0';
    return buf;
}

typedef struct {
    const gchar *topic;
    const RmqTopicSpec *spec;
    gint old, perm;
    const gchar *config_line; /* printed after the line on one broker (-b), as mqadmin */
} TopicPermChange;

static gchar *
apply_topic_perm(RmqAdminCommon *c, const gchar *target, gpointer data, GError **error)
{
    const TopicPermChange *ch = data;
    if (!rmq_admin_update_topic(c->admin, target, ch->topic, ch->spec, error))
        return NULL;
    return g_strdup_printf("update topic perm from %d to %d in %s success.%s%s%s", ch->old,
                           ch->perm, target, ch->config_line ? "\n" : "",
                           ch->config_line ? ch->config_line : "", ch->config_line ? "." : "");
}

int
rmqadmin_update_topic_perm(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *broker = NULL, *cluster = NULL, *topic = NULL;
    gint perm = -1;
    GOptionEntry e[] = {
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker, "Update on this broker (a master)", "ADDR" },
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster, "Update on every master of this cluster", "NAME" },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Topic name", "TOPIC" },
        { "perm", 'p', 0, G_OPTION_ARG_INT, &perm, "New permission: 2 W, 4 R, 6 RW", "PERM" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Update topic perm",
                            "-t TOPIC -p PERM (-b ADDR | -c CLUSTER)", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC is required");
    if (perm < 0)
        return rmqadmin_usage(argv[0], "-p PERM is required");
    if (broker == NULL && cluster == NULL)
        return rmqadmin_usage(argv[0], "give -b BROKER_ADDR or -c CLUSTER");
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) route = rmq_admin_topic_route(c->admin, topic, &error);
    if (route == NULL)
        return rmqadmin_fail(argv[0], error);
    JsonObject *ro = json_node_get_object(route);
    JsonArray *qds = rmq_json_object_get_array_or_null(ro, "queueDatas");
    JsonArray *bds = rmq_json_object_get_array_or_null(ro, "brokerDatas");
    if (qds == NULL || json_array_get_length(qds) == 0) {
        fprintf(stderr, "rmqadmin %s: topic %s has no queue data\n", argv[0], topic);
        return RMQADMIN_EXIT_TOPIC;
    }
    /* as mqadmin: queue counts from the route's first queue data */
    JsonObject *q0 = json_array_get_object_element(qds, 0);
    RmqTopicSpec spec;
    rmq_topic_spec_init(&spec);
    spec.read_queue_nums = rmq_json_object_get_int32_or(q0, "readQueueNums", 8);
    spec.write_queue_nums = rmq_json_object_get_int32_or(q0, "writeQueueNums", 8);
    spec.perm = perm;
    gchar pbuf[4];
    g_autofree gchar *config_line = g_strdup_printf(
        "TopicConfig [topicName=%s, readQueueNums=%d, writeQueueNums=%d, perm=%s, "
        "topicFilterType=SINGLE_TAG, topicSysFlag=%d, order=false]",
        topic, spec.read_queue_nums, spec.write_queue_nums, perm_text(perm, pbuf),
        rmq_json_object_get_int32_or(q0, "topicSysFlag", 0));
    JsonObject *out = json_object_new();
    json_object_set_string_member(out, "topic", topic);
    json_object_set_int_member(out, "perm", perm);
    TopicPermChange change = { .topic = topic, .spec = &spec, .perm = perm };
    g_auto(GStrv) targets = NULL;
    if (broker != NULL) {
        const gchar *name = NULL;
        for (guint i = 0; bds != NULL && i < json_array_get_length(bds) && name == NULL; i++) {
            JsonObject *bd = json_array_get_object_element(bds, i);
            const gchar *master = rmq_json_object_get_string_or(
                rmq_json_object_get_object_or_null(bd, "brokerAddrs"), "0", NULL);
            if (g_strcmp0(master, broker) == 0)
                name = rmq_json_object_get_string_or(bd, "brokerName", NULL);
        }
        if (name == NULL) {
            json_object_unref(out);
            fprintf(stderr, "rmqadmin %s: updateTopicPerm error broker not exit or broker is not "
                            "master!.\n", argv[0]);
            return RMQADMIN_EXIT_NOT_FOUND;
        }
        for (guint i = 0; i < json_array_get_length(qds); i++) {
            JsonObject *qd = json_array_get_object_element(qds, i);
            if (g_strcmp0(rmq_json_object_get_string_or(qd, "brokerName", NULL), name) == 0) {
                change.old = rmq_json_object_get_int32_or(qd, "perm", 0);
                break;
            }
        }
        json_object_set_int_member(out, "oldPerm", change.old);
        if (change.old == perm) {
            json_object_set_boolean_member(out, "changed", FALSE);
            if (c->json)
                print_json_done(out);
            else {
                json_object_unref(out);
                printf("new perm equals to the old one!\n");
            }
            return RMQADMIN_EXIT_OK;
        }
        gchar *one[] = { broker, NULL };
        targets = g_strdupv(one);
        change.config_line = config_line;
    } else {
        targets = rmqadmin_targets(c, argv[0], NULL, cluster, &rc);
        if (targets == NULL) {
            json_object_unref(out);
            return rc;
        }
        change.old = rmq_json_object_get_int32_or(q0, "perm", 0);
        json_object_set_int_member(out, "oldPerm", change.old);
    }
    json_object_set_boolean_member(out, "changed", TRUE);
    return rmqadmin_apply_targets(c, argv[0], targets, apply_topic_perm, &change, out);
}

/* ---- topicClusterList ------------------------------------------------ */

int
rmqadmin_topic_cluster_list(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Topic name", "TOPIC" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "get cluster info for topic", "-t TOPIC", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC is required");
    g_autoptr(GError) error = NULL;
    JsonNode *n = rmq_admin_topic_clusters(c->admin, topic, &error);
    if (rmqadmin_query_done(c, argv[0], n, error, &rc))
        return rc;
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++)
        printf("%s\n", json_array_get_string_element(a, i));
    json_node_unref(n);
    return RMQADMIN_EXIT_OK;
}

/* ---- name server: addWritePerm, KV config, name server config -------- */

int
rmqadmin_add_write_perm(RmqAdminCommon *c, int argc, char **argv)
{
    return rmqadmin_write_perm_command(c, argc, argv, TRUE);
}

int
rmqadmin_update_kv_config(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *ns = NULL, *key = NULL, *value = NULL;
    GOptionEntry e[] = {
        { "namespace", 's', 0, G_OPTION_ARG_STRING, &ns, "Set the namespace", "NAMESPACE" },
        { "key", 'k', 0, G_OPTION_ARG_STRING, &key, "Set the key name", "KEY" },
        { "value", 'v', 0, G_OPTION_ARG_STRING, &value, "Set the key value", "VALUE" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Create or update KV config.", "-s NAMESPACE -k KEY -v VALUE",
                            e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (ns == NULL || key == NULL || value == NULL)
        return rmqadmin_usage(argv[0], "-s NAMESPACE, -k KEY and -v VALUE are required");
    g_autoptr(GError) error = NULL;
    if (!rmq_admin_put_kv_config(c->admin, g_strstrip(ns), g_strstrip(key), g_strstrip(value),
                                 &error))
        return rmqadmin_fail(argv[0], error);
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "namespace", ns);
        json_object_set_string_member(o, "key", key);
        json_object_set_string_member(o, "value", value);
        print_json_done(o);
    } else {
        printf("create or update kv config to namespace success.\n");
    }
    return RMQADMIN_EXIT_OK;
}

int
rmqadmin_delete_kv_config(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *ns = NULL, *key = NULL;
    GOptionEntry e[] = {
        { "namespace", 's', 0, G_OPTION_ARG_STRING, &ns, "Set the namespace", "NAMESPACE" },
        { "key", 'k', 0, G_OPTION_ARG_STRING, &key, "Set the key name", "KEY" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Delete KV config.", "-s NAMESPACE -k KEY", e, &argc,
                            &argv);
    if (rc >= 0)
        return rc;
    if (ns == NULL || key == NULL)
        return rmqadmin_usage(argv[0], "-s NAMESPACE and -k KEY are required");
    g_autoptr(GError) error = NULL;
    if (!rmq_admin_delete_kv_config(c->admin, g_strstrip(ns), g_strstrip(key), &error))
        return rmqadmin_fail(argv[0], error);
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "namespace", ns);
        json_object_set_string_member(o, "key", key);
        print_json_done(o);
    } else {
        printf("delete kv config from namespace success.\n");
    }
    return RMQADMIN_EXIT_OK;
}

int
rmqadmin_get_namesrv_config(RmqAdminCommon *c, int argc, char **argv)
{
    int rc = rmqadmin_parse(c, argv[0], "Get configs of name server.", NULL, NULL, &argc, &argv);
    if (rc >= 0)
        return rc;
    g_autoptr(GError) error = NULL;
    JsonNode *n = rmq_admin_namesrv_config(c->admin, NULL, &error);
    if (rmqadmin_query_done(c, argv[0], n, error, &rc))
        return rc;
    JsonObject *o = json_node_get_object(n);
    g_autoptr(GList) servers = json_object_get_members(o);
    for (GList *l = servers; l; l = l->next) {
        printf("============%s============\n", (const gchar *) l->data);
        JsonObject *kv = json_object_get_object_member(o, l->data);
        g_autoptr(GList) keys = json_object_get_members(kv);
        for (GList *k = keys; k; k = k->next)
            printf("%-50s=  %s\n", (const gchar *) k->data,
                   json_object_get_string_member(kv, k->data));
    }
    json_node_unref(n);
    return RMQADMIN_EXIT_OK;
}

int
rmqadmin_update_namesrv_config(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *key = NULL, *value = NULL;
    GOptionEntry e[] = {
        { "key", 'k', 0, G_OPTION_ARG_STRING, &key, "Config key", "KEY" },
        { "value", 'v', 0, G_OPTION_ARG_STRING, &value, "Config value", "VALUE" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Update configs of name server.", "-k KEY -v VALUE", e,
                            &argc, &argv);
    if (rc >= 0)
        return rc;
    if (key == NULL || value == NULL)
        return rmqadmin_usage(argv[0], "-k KEY and -v VALUE are required");
    g_strstrip(key);
    g_strstrip(value);
    g_autoptr(GError) error = NULL;
    if (!rmq_admin_update_namesrv_config(c->admin, NULL, key, value, &error))
        return rmqadmin_fail(argv[0], error);
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, key, value);
        print_json_done(o);
    } else {
        /* mqadmin prints the -n list as a Java List, nothing without -n */
        g_autofree gchar *list = NULL;
        if (c->namesrv != NULL) {
            g_auto(GStrv) parts = g_strsplit(c->namesrv, ";", -1);
            g_autofree gchar *joined = g_strjoinv(", ", parts);
            list = g_strdup_printf("[%s]", joined);
        }
        printf("update name server config success!%s\n%s : %s\n", list != NULL ? list : "", key,
               value);
    }
    return RMQADMIN_EXIT_OK;
}

/* ---- brokerConsumeStats ---------------------------------------------- */

/* UtilAll.frontStringAtLeast: at most @size characters. */
static gchar *
front(const gchar *s, glong size)
{
    if (g_utf8_strlen(s, -1) <= size)
        return g_strdup(s);
    return g_utf8_substring(s, 0, size);
}

int
rmqadmin_broker_consume_stats(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *broker = NULL, *order = NULL;
    gint64 timeout = 50000, level = 0;
    GOptionEntry e[] = {
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker, "Broker address", "ADDR" },
        { "timeoutMillis", 't', 0, G_OPTION_ARG_INT64, &timeout, "Request timeout (50000)", "MS" },
        { "level", 'l', 0, G_OPTION_ARG_INT64, &level, "Print only queues at least this far behind", "DIFF" },
        { "order", 'o', 0, G_OPTION_ARG_STRING, &order, "Ordered topics only (true/false)", "BOOL" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Fetch broker consume stats data", "-b ADDR", e, &argc,
                            &argv);
    if (rc >= 0)
        return rc;
    if (broker == NULL)
        return rmqadmin_usage(argv[0], "-b BROKER_ADDR is required");
    if (c->timeout_ms <= 0 && timeout > 0)
        rmq_admin_set_timeout(c->admin, (guint) MIN(timeout, G_MAXUINT));
    g_autoptr(GError) error = NULL;
    JsonNode *n = rmq_admin_broker_consume_stats(c->admin, broker,
                                                 order != NULL && g_ascii_strcasecmp(g_strstrip(order), "true") == 0,
                                                 &error);
    if (rmqadmin_query_done(c, argv[0], n, error, &rc))
        return rc;
    JsonObject *o = json_node_get_object(n);
    printf("%-64s  %-64s  %-32s  %-4s  %-20s  %-20s  %-20s  %s\n", "#Topic", "#Group",
           "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Diff", "#LastTime");
    JsonArray *groups = json_object_get_array_member(o, "groups");
    for (guint g = 0; g < json_array_get_length(groups); g++) {
        JsonObject *go = json_array_get_object_element(groups, g);
        const gchar *group = json_object_get_string_member(go, "group");
        JsonArray *stats = json_object_get_array_member(go, "consumeStats");
        for (guint s = 0; s < json_array_get_length(stats); s++) {
            JsonArray *queues =
                json_object_get_array_member(json_array_get_object_element(stats, s), "queues");
            for (guint q = 0; q < json_array_get_length(queues); q++) {
                JsonObject *row = json_array_get_object_element(queues, q);
                gint64 diff = json_object_get_int_member(row, "diff");
                gint64 last = json_object_get_int_member(row, "lastTimestamp");
                if (diff < level || last <= 0)
                    continue;
                g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(last / 1000);
                g_autofree gchar *when = dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S") : g_strdup("-");
                g_autofree gchar *topic = front(json_object_get_string_member(row, "topic"), 64);
                g_autofree gchar *bname = front(json_object_get_string_member(row, "brokerName"), 32);
                printf("%-64s  %-64s  %-32s  %-4" G_GINT64_FORMAT "  %-20" G_GINT64_FORMAT
                       "  %-20" G_GINT64_FORMAT "  %-20" G_GINT64_FORMAT "  %s\n",
                       topic, group, bname, json_object_get_int_member(row, "queueId"),
                       json_object_get_int_member(row, "brokerOffset"),
                       json_object_get_int_member(row, "consumerOffset"), diff, when);
            }
        }
    }
    printf("\nDiff Total: %" G_GINT64_FORMAT "\n", json_object_get_int_member(o, "totalDiff"));
    json_node_unref(n);
    return RMQADMIN_EXIT_OK;
}

/* ---- statsAll -------------------------------------------------------- */

int
rmqadmin_stats_all(RmqAdminCommon *c, int argc, char **argv)
{
    gboolean active = FALSE;
    g_autofree gchar *topic = NULL;
    GOptionEntry e[] = {
        { "activeTopic", 'a', 0, G_OPTION_ARG_NONE, &active, "Print active topics only", NULL },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Print this topic only", "TOPIC" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Topic and Consumer tps stats", NULL, e, &argc, &argv);
    if (rc >= 0)
        return rc;
    g_autoptr(GError) error = NULL;
    JsonNode *n = rmq_admin_stats_all(c->admin, topic, &error);
    if (n != NULL && active) {
        /* -a: rows with traffic in the last 24 hours only */
        JsonArray *all = json_node_get_array(n);
        JsonArray *kept = json_array_new();
        for (guint i = 0; i < json_array_get_length(all); i++) {
            JsonObject *r = json_array_get_object_element(all, i);
            JsonNode *out_day = json_object_get_member(r, "outMsg24Hour");
            if (json_object_get_int_member(r, "inMsg24Hour") > 0 ||
                (!JSON_NODE_HOLDS_NULL(out_day) && json_node_get_int(out_day) > 0))
                json_array_add_element(kept, json_node_copy(json_array_get_element(all, i)));
        }
        json_node_unref(n);
        n = rmq_json_node_take_array(kept);
    }
    if (rmqadmin_query_done(c, argv[0], n, error, &rc))
        return rc;
    printf("%-64s  %-64s %12s %11s %11s %14s %14s\n", "#Topic", "#Consumer Group",
           "#Accumulation", "#InTPS", "#OutTPS", "#InMsg24Hour", "#OutMsg24Hour");
    JsonArray *rows = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(rows); i++) {
        JsonObject *r = json_array_get_object_element(rows, i);
        g_autofree gchar *t = front(json_object_get_string_member(r, "topic"), 64);
        if (JSON_NODE_HOLDS_NULL(json_object_get_member(r, "group"))) {
            printf("%-64s  %-64s %12d %11.2f %11s %14" G_GINT64_FORMAT " %14s\n", t, "", 0,
                   json_object_get_double_member(r, "inTps"), "",
                   json_object_get_int_member(r, "inMsg24Hour"), "NO_CONSUMER");
            continue;
        }
        g_autofree gchar *g = front(json_object_get_string_member(r, "group"), 64);
        printf("%-64s  %-64s %12" G_GINT64_FORMAT " %11.2f %11.2f %14" G_GINT64_FORMAT
               " %14" G_GINT64_FORMAT "\n",
               t, g, json_object_get_int_member(r, "accumulation"),
               json_object_get_double_member(r, "inTps"), json_object_get_double_member(r, "outTps"),
               json_object_get_int_member(r, "inMsg24Hour"),
               json_object_get_int_member(r, "outMsg24Hour"));
    }
    json_node_unref(n);
    return RMQADMIN_EXIT_OK;
}
