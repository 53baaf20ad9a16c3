/* rmqadmin cluster and broker subcommands: clusterList, brokerStatus,
 * getBrokerConfig, updateBrokerConfig, wipeWritePerm, clusterRT. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "tools/rmqadmin.h"
#include "remoting/json_body.h"

static const gchar *
str_or(JsonObject *o, const gchar *k, const gchar *dflt)
{
    if (o == NULL || !json_object_has_member(o, k))
        return dflt;
    JsonNode *n = json_object_get_member(o, k);
    return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
               ? json_node_get_string(n) : dflt;
}

/* "12.34 56.78 ..." -> "12.34" (mqadmin shows the first number). */
static gchar *
first_word(const gchar *s)
{
    /* mqadmin: Double.parseDouble of the first of "10s 1min 10min", 0 when the
     * broker has too few samples yet (an empty field), printed "%.2f" */
    if (s == NULL)
        return g_strdup("-");
    return g_strdup_printf("%.2f", g_ascii_strtod(s, NULL));
}

int
rmqadmin_cluster_list(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *only = NULL;
    GOptionEntry e[] = {
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &only, "Only this cluster", "NAME" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            "List clusters and their brokers, with each broker's version and "
                            "TPS when it answers.", NULL, e, &argc, &argv);
    if (rc >= 0)
        return rc;
    g_autoptr(GError) error = NULL;
    JsonNode *n = rmq_admin_cluster_info(c->admin, &error);
    if (n == NULL)
        return rmqadmin_fail(argv[0], error);
    JsonObject *root = json_node_get_object(n);
    JsonObject *clusters = json_object_get_object_member(root, "clusters");
    JsonObject *brokers = json_object_get_object_member(root, "brokers");
    if (only && !json_object_has_member(clusters, only)) {
        json_node_unref(n);
        fprintf(stderr, "rmqadmin %s: cluster not found: %s\n", argv[0], only);
        return RMQADMIN_EXIT_NOT_FOUND;
    }
    RmqTable *t = rmqadmin_table_new("#Cluster Name", "#Broker Name", "#BID", "#Addr", "#Version",
                                     "#InTPS", "#OutTPS", NULL);
    rmq_admin_set_timeout(c->admin, c->timeout_ms > 0 ? (guint) c->timeout_ms : 1500);
    g_autoptr(GList) cnames = json_object_get_members(clusters);
    cnames = g_list_sort(cnames, (GCompareFunc) g_strcmp0);
    for (GList *cl = cnames; cl; cl = cl->next) {
        if (only && strcmp(only, cl->data) != 0) {
            json_object_remove_member(clusters, cl->data);
            continue;
        }
        JsonArray *bn = json_object_get_array_member(clusters, cl->data);
        for (guint i = 0; i < json_array_get_length(bn); i++) {
            const gchar *name = json_array_get_string_element(bn, i);
            JsonObject *b = json_object_has_member(brokers, name)
                                ? json_object_get_object_member(brokers, name) : NULL;
            if (b == NULL)
                continue;
            JsonObject *addrs = json_object_get_object_member(b, "addrs");
            JsonObject *status = json_object_new();
            g_autoptr(GList) ids = json_object_get_members(addrs);
            ids = g_list_sort(ids, (GCompareFunc) g_strcmp0);
            for (GList *l = ids; l; l = l->next) {
                const gchar *addr = json_object_get_string_member(addrs, l->data);
                g_autoptr(GError) err = NULL;
                g_autoptr(JsonNode) rt = rmq_admin_broker_runtime(c->admin, addr, &err);
                JsonObject *s = json_object_new();
                json_object_set_string_member(s, "addr", addr);
                JsonObject *ro = rt ? json_node_get_object(rt) : NULL;
                if (ro) {
                    json_object_set_string_member(s, "version", str_or(ro, "brokerVersionDesc", ""));
                    json_object_set_string_member(s, "putTps", str_or(ro, "putTps", ""));
                    json_object_set_string_member(s, "getTransferedTps",
                                                  str_or(ro, "getTransferedTps", ""));
                } else {
                    json_object_set_string_member(s, "error", err->message);
                }
                g_autofree gchar *in = first_word(ro ? str_or(ro, "putTps", NULL) : NULL);
                g_autofree gchar *out = first_word(ro ? str_or(ro, "getTransferedTps", NULL) : NULL);
                rmqadmin_table_add(t, (gchar *) cl->data, name, (gchar *) l->data, addr,
                                   ro ? str_or(ro, "brokerVersionDesc", "-") : "unreachable",
                                   in, out, NULL);
                json_object_set_object_member(status, l->data, s);
            }
            json_object_set_object_member(b, "status", status);
        }
    }
    if (c->json) {
        rmqadmin_table_free(t);
        rmqadmin_print_json(n);
        return 0;
    }
    rmqadmin_table_print(t);
    json_node_unref(n);
    return 0;
}

static int
print_kv(RmqAdminCommon *c, const gchar *addr, JsonNode *n, gboolean header)
{
    if (c->json)
        return 0;
    if (header)
        printf("============%s============\n", addr);
    JsonObject *o = json_node_get_object(n);
    g_autoptr(GList) keys = json_object_get_members(o);
    keys = g_list_sort(keys, (GCompareFunc) g_strcmp0);
    for (GList *l = keys; l; l = l->next)
        printf("%-36s: %s\n", (gchar *) l->data, str_or(o, l->data, ""));
    return 0;
}

static int
kv_command(RmqAdminCommon *c, int argc, char **argv, gboolean config)
{
    g_autofree gchar *broker = NULL;
    g_autofree gchar *cluster = NULL;
    GOptionEntry e[] = {
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker, "Broker address", "ADDR" },
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster, "Every master of this cluster", "NAME" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            config ? "Show a broker's configuration (key = value)."
                                   : "Show a broker's runtime statistics (key: value).",
                            "(-b ADDR | -c CLUSTER)", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    g_auto(GStrv) targets = rmqadmin_targets(c, argv[0], broker, cluster, &rc);
    if (targets == NULL)
        return rc;
    JsonObject *all = json_object_new();
    for (guint i = 0; targets[i]; i++) {
        g_autoptr(GError) error = NULL;
        JsonNode *n = config ? rmq_admin_broker_config(c->admin, targets[i], &error)
                             : rmq_admin_broker_runtime(c->admin, targets[i], &error);
        if (n == NULL) {
            json_object_unref(all);
            return rmqadmin_fail(argv[0], error);
        }
        print_kv(c, targets[i], n, broker == NULL);
        json_object_set_member(all, targets[i], n);
    }
    if (c->json)
        rmqadmin_print_json(rmq_json_node_take_object(all));
    return 0;
}

int
rmqadmin_broker_status(RmqAdminCommon *c, int argc, char **argv)
{
    return kv_command(c, argc, argv, FALSE);
}

int
rmqadmin_get_broker_config(RmqAdminCommon *c, int argc, char **argv)
{
    return kv_command(c, argc, argv, TRUE);
}

/* @data: the key and the value. */
static gchar *
apply_config(RmqAdminCommon *c, const gchar *target, gpointer data, GError **error)
{
    const gchar *const *kv = data;
    if (!rmq_admin_update_broker_config(c->admin, target, kv[0], kv[1], error))
        return NULL;
    return g_strdup_printf("update broker config success, %s", target);
}

int
rmqadmin_update_broker_config(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *broker = NULL;
    g_autofree gchar *cluster = NULL;
    g_autofree gchar *key = NULL;
    g_autofree gchar *value = NULL;
    GOptionEntry e[] = {
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker, "Broker address", "ADDR" },
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster, "Every master of this cluster", "NAME" },
        { "key", 'k', 0, G_OPTION_ARG_STRING, &key, "Configuration key", "KEY" },
        { "value", 'v', 0, G_OPTION_ARG_STRING, &value, "New value", "VALUE" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Change one broker configuration key.",
                            "-k KEY -v VALUE (-b ADDR | -c CLUSTER)", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (key == NULL || value == NULL)
        return rmqadmin_usage(argv[0], "-k KEY and -v VALUE are required");
    g_auto(GStrv) targets = rmqadmin_targets(c, argv[0], broker, cluster, &rc);
    if (targets == NULL)
        return rc;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "key", key);
    json_object_set_string_member(o, "value", value);
    const gchar *kv[] = { key, value };
    return rmqadmin_apply_targets(c, argv[0], targets, apply_config, kv, o);
}

int
rmqadmin_write_perm_command(RmqAdminCommon *c, int argc, char **argv, gboolean add)
{
    g_autofree gchar *broker = NULL;
    GOptionEntry e[] = {
        { "brokerName", 'b', 0, G_OPTION_ARG_STRING, &broker, "Broker name", "NAME" },
        { NULL },
    };
    int rc = rmqadmin_parse(
        c, argv[0],
        add ? "Add write perm of broker in all name server you defined in the -n param"
            : "Remove a broker's write permission on every name server.",
        "-b BROKER_NAME", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (broker == NULL)
        return rmqadmin_usage(argv[0], "-b BROKER_NAME is required");
    g_autoptr(GError) error = NULL;
    JsonNode *n = add ? rmq_admin_add_write_perm(c->admin, broker, &error)
                      : rmq_admin_wipe_write_perm(c->admin, broker, &error);
    if (rmqadmin_query_done(c, argv[0], n, error, &rc))
        return rc;
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *r = json_array_get_object_element(a, i);
        printf("%s write perm of broker[%s] in name server[%s] OK, %" G_GINT64_FORMAT "\n",
               add ? "add" : "wipe", broker, json_object_get_string_member(r, "namesrv"),
               json_object_get_int_member(r, add ? "addTopicCount" : "wipeTopicCount"));
    }
    json_node_unref(n);
    return RMQADMIN_EXIT_OK;
}

int
rmqadmin_wipe_write_perm(RmqAdminCommon *c, int argc, char **argv)
{
    return rmqadmin_write_perm_command(c, argc, argv, FALSE);
}

int
rmqadmin_cluster_rt(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *cluster = NULL;
    g_autofree gchar *topic = NULL;
    gint amount = 100, size = 128;
    GOptionEntry e[] = {
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster, "Only this cluster", "NAME" },
        { "amount", 'a', 0, G_OPTION_ARG_INT, &amount, "Messages per broker (100)", "N" },
        { "size", 's', 0, G_OPTION_ARG_INT, &size, "Body size in bytes (128)", "BYTES" },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic,
          "Topic to send to (default: the broker's name, as mqadmin)", "TOPIC" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            "Send messages to every master and report round-trip times.",
                            NULL, e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (amount <= 0 || size <= 0)
        return rmqadmin_usage(argv[0], "-a and -s must be positive");
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) info = rmq_admin_cluster_info(c->admin, &error);
    if (info == NULL)
        return rmqadmin_fail(argv[0], error);
    JsonObject *clusters = json_object_get_object_member(json_node_get_object(info), "clusters");
    if (cluster && !json_object_has_member(clusters, cluster)) {
        fprintf(stderr, "rmqadmin %s: cluster not found: %s\n", argv[0], cluster);
        return RMQADMIN_EXIT_NOT_FOUND;
    }
    g_autoptr(RmqProducer) p = rmq_producer_new("CLUSTER_RT_PRODUCER",
                                                c->namesrv ? c->namesrv : g_getenv("NAMESRV_ADDR"),
                                                NULL);
    rmqadmin_sign(c, rmq_producer_get_instance(p));
    rmq_producer_set_retry_times_when_send_failed(p, 0);
    g_autofree gchar *body = g_malloc(size);
    memset(body, 'a', size);
    JsonArray *rows = json_array_new();
    RmqTable *t = rmqadmin_table_new("#Cluster Name", "#Broker Name", "#RT(ms)", "#successCount",
                                     "#failCount", NULL);
    g_autoptr(GList) cnames = json_object_get_members(clusters);
    cnames = g_list_sort(cnames, (GCompareFunc) g_strcmp0);
    int worst = 0;
    for (GList *cl = cnames; cl; cl = cl->next) {
        if (cluster && strcmp(cluster, cl->data) != 0)
            continue;
        JsonArray *bn = json_object_get_array_member(clusters, cl->data);
        for (guint i = 0; i < json_array_get_length(bn); i++) {
            const gchar *name = json_array_get_string_element(bn, i);
            g_autoptr(RmqQueue) q = rmq_queue_new(topic ? topic : name, name, 0);
            gint ok = 0, failed = 0;
            gint64 total_us = 0;
            g_autofree gchar *last_error = NULL;
            for (gint k = 0; k < amount; k++) {
                g_autoptr(RmqMsg) m = rmq_msg_new(q->topic, body, size);
                RmqSendResult r;
                g_autoptr(GError) err = NULL;
                gint64 t0 = g_get_monotonic_time();
                if (rmq_producer_send_to_queue(p, m, q, &r, &err)) {
                    total_us += g_get_monotonic_time() - t0;
                    ok++;
                    rmq_send_result_clear(&r);
                } else {
                    failed++;
                    g_free(last_error);
                    last_error = g_strdup(err->message);
                    if (failed == 3 && ok == 0)
                        break; /* this broker is not taking messages: do not wait 100 times */
                }
            }
            gdouble rt = ok ? (gdouble) total_us / ok / 1000.0 : 0;
            g_autofree gchar *rts = g_strdup_printf("%.2f", rt);
            g_autofree gchar *oks = g_strdup_printf("%d", ok);
            g_autofree gchar *fails = g_strdup_printf("%d", failed);
            rmqadmin_table_add(t, (gchar *) cl->data, name, rts, oks, fails, NULL);
            JsonObject *row = json_object_new();
            json_object_set_string_member(row, "cluster", cl->data);
            json_object_set_string_member(row, "brokerName", name);
            json_object_set_double_member(row, "rtMs", rt);
            json_object_set_int_member(row, "successCount", ok);
            json_object_set_int_member(row, "failCount", failed);
            if (last_error)
                json_object_set_string_member(row, "lastError", last_error);
            json_array_add_object_element(rows, row);
            if (ok == 0)
                worst = RMQADMIN_EXIT_BROKER;
        }
    }
    if (c->json) {
        rmqadmin_table_free(t);
        rmqadmin_print_json(rmq_json_node_take_array(rows));
    } else {
        rmqadmin_table_print(t);
    }
    return worst;
}
