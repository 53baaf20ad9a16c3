/* rmqadmin: the everyday subcommands of RocketMQ's mqadmin, with its names
 * and flags, for rmq and Apache RocketMQ clusters.
 *
 *   rmqadmin SUBCOMMAND [-n NAMESRV] [--json] [options]
 *
 * Tables for people, --json for scripts. Exit codes: rmqadmin.h. */
#include <config.h>

#include "tools/rmqadmin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remoting/json_body.h"

static const RmqAdminCommand commands[] = {
    { "updateTopic", "Create or update a topic on a broker or every master of a cluster",
      rmqadmin_update_topic },
    { "deleteTopic", "Delete a topic from a cluster's brokers and the name servers",
      rmqadmin_delete_topic },
    { "topicList", "List every topic the name servers know", rmqadmin_topic_list },
    { "topicRoute", "Show the route of a topic", rmqadmin_topic_route },
    { "topicStatus", "Show min/max offsets of every queue of a topic", rmqadmin_topic_status },
    { "clusterList", "List clusters and their brokers", rmqadmin_cluster_list },
    { "brokerStatus", "Show a broker's runtime statistics", rmqadmin_broker_status },
    { "getBrokerConfig", "Show a broker's configuration", rmqadmin_get_broker_config },
    { "updateBrokerConfig", "Change one broker configuration key",
      rmqadmin_update_broker_config },
    { "updateSubGroup", "Create or update a subscription group", rmqadmin_update_sub_group },
    { "deleteSubGroup", "Delete a subscription group", rmqadmin_delete_sub_group },
    { "consumerProgress", "Show a consumer group's offsets and lag",
      rmqadmin_consumer_progress },
    { "consumerConnection", "Show the clients of a consumer group",
      rmqadmin_consumer_connection },
    { "producerConnection", "Show the clients of a producer group",
      rmqadmin_producer_connection },
    { "queryMsgById", "Show a message by its OffsetMsgId, or by its MsgId with -t TOPIC",
      rmqadmin_query_msg_by_id },
    { "queryMsgByKey", "Find messages by key", rmqadmin_query_msg_by_key },
    { "queryMsgByOffset", "Show the message at a queue offset", rmqadmin_query_msg_by_offset },
    { "sendMessage", "Send one message", rmqadmin_send_message },
    { "consumeMessage", "Pull messages from a topic and print them", rmqadmin_consume_message },
    { "resetOffsetByTime", "Reset a group's offsets to a point in time",
      rmqadmin_reset_offset_by_time },
    { "wipeWritePerm", "Remove a broker's write permission on the name servers",
      rmqadmin_wipe_write_perm },
    { "clusterRT", "Measure send round-trip times to every broker of a cluster",
      rmqadmin_cluster_rt },
    { "updateTopicPerm", "Change a topic's permission on a broker or a cluster's masters",
      rmqadmin_update_topic_perm },
    { "topicClusterList", "Show the clusters a topic is in", rmqadmin_topic_cluster_list },
    { "addWritePerm", "Give a broker its write permission back on the name servers",
      rmqadmin_add_write_perm },
    { "updateKvConfig", "Create or update a name server KV config entry",
      rmqadmin_update_kv_config },
    { "deleteKvConfig", "Delete a name server KV config entry", rmqadmin_delete_kv_config },
    { "getNamesrvConfig", "Show the name servers' configuration", rmqadmin_get_namesrv_config },
    { "updateNamesrvConfig", "Change one name server configuration key",
      rmqadmin_update_namesrv_config },
    { "producer", "Show every producer instance a broker knows", rmqadmin_producer },
    { "queryCq", "Show the units of a consume queue", rmqadmin_query_cq },
    { "cleanExpiredCQ", "Remove consume queues whose messages are all deleted",
      rmqadmin_clean_expired_cq },
    { "deleteExpiredCommitLog", "Delete expired commit log files now",
      rmqadmin_delete_expired_commit_log },
    { "cleanUnusedTopic", "Remove consume queues of topics a broker no longer has",
      rmqadmin_clean_unused_topic },
    { "brokerConsumeStats", "Show every group's offsets and lag on one broker",
      rmqadmin_broker_consume_stats },
    { "statsAll", "Show every topic's and group's TPS and last-24-hour counts",
      rmqadmin_stats_all },
    { "queryMsgTraceById", "Show a message's trace (Pub and Sub records)",
      rmqadmin_query_msg_trace_by_id },
    /* rmqadmin-offset.c */
    { "skipAccumulatedMessage", "Move a group's offsets to the end of a topic's queues",
      rmqadmin_skip_accumulated_message },
    { "cloneGroupOffset", "Copy a group's offsets to another group", rmqadmin_clone_group_offset },
    { "getConsumerConfig", "Show a subscription group's config on every broker",
      rmqadmin_get_consumer_config },
    { "consumerStatus", "Show the running info of a group's online clients",
      rmqadmin_consumer_status },
    { "allocateMQ", "Show how a topic's queues are shared among client ids",
      rmqadmin_allocate_mq },
    { "updateOrderConf", "Put, get or delete a topic's order conf on the name servers",
      rmqadmin_update_order_conf },
    /* rmqadmin-print.c */
    { "printMsg", "Print every message of a topic (or of a time range)", rmqadmin_print_msg },
    { "printMsgByQueue", "Print or count by tag the messages of one queue",
      rmqadmin_print_msg_by_queue },
    { "queryMsgByUniqueKey", "Show a message by its MsgId (unique key) within a topic",
      rmqadmin_query_msg_by_unique_key },
    { "sendMsgStatus", "Send messages to a broker's own topic and show each result",
      rmqadmin_send_msg_status },
    { "checkMsgSendRT", "Measure send round-trip times over a topic's queues",
      rmqadmin_check_msg_send_rt },
    /* rmqadmin-export.c */
    { "exportMetadata", "Export a cluster's user topics and groups to a JSON file",
      rmqadmin_export_metadata },
    { "exportConfigs", "Export a cluster's main broker configs to a JSON file",
      rmqadmin_export_configs },
    { "exportMetrics", "Export a cluster's TPS, day counts and client versions",
      rmqadmin_export_metrics },
    { "startMonitoring", "Report every online group's unconsumed messages each round",
      rmqadmin_start_monitoring },
    /* rmqadmin-acl.c, with mqadmin's aliases */
    { "updateAclConfig", "Create or update a plain ACL account", rmqadmin_update_acl_config },
    { "deleteAclConfig", "Delete a plain ACL account", rmqadmin_delete_acl_config },
    { "deleteAccessConfig", "Alias of deleteAclConfig", rmqadmin_delete_acl_config },
    { "updateGlobalWhiteAddr", "Set the plain ACL global white addresses",
      rmqadmin_update_global_white_addr },
    { "clusterAclConfigVersion", "Show the plain ACL file versions",
      rmqadmin_cluster_acl_config_version },
    { "getAclConfig", "Show the plain ACL accounts and white addresses",
      rmqadmin_get_acl_config },
    { "getAccessConfigSubCommand", "Alias of getAclConfig", rmqadmin_get_acl_config },
};

int
rmqadmin_parse(RmqAdminCommon *common, const gchar *name, const gchar *summary,
               const gchar *params, GOptionEntry *entries, int *argc, char ***argv)
{
    GOptionEntry common_entries[] = {
        { "namesrvAddr", 'n', 0, G_OPTION_ARG_STRING, &common->namesrv,
          "Name server addresses, host:port;host:port (default: $NAMESRV_ADDR)", "ADDRS" },
        { "json", 0, 0, G_OPTION_ARG_NONE, &common->json, "Print JSON for scripts", NULL },
        { "timeout", 0, 0, G_OPTION_ARG_INT, &common->timeout_ms,
          "Per-request timeout in ms (default 5000)", "MS" },
        { "access-key", 0, 0, G_OPTION_ARG_STRING, &common->access_key,
          "Plain ACL access key: sign every request (default: $RMQ_ACCESS_KEY)", "KEY" },
        { "secret-key", 0, 0, G_OPTION_ARG_STRING, &common->secret_key,
          "Plain ACL secret key (default: $RMQ_SECRET_KEY; visible to ps, prefer "
          "--credentials)", "SECRET" },
        { "credentials", 0, 0, G_OPTION_ARG_FILENAME, &common->credentials,
          "File with accessKey=... and secretKey=... lines, mode 0600 or 0400", "FILE" },
        RMQ_TOOL_TLS_OPTIONS(&common->tls),
        { NULL },
    };
    g_autofree gchar *prg = g_strdup_printf("rmqadmin %s", name);
    g_set_prgname(prg);
    g_autoptr(GOptionContext) ctx = g_option_context_new(params);
    g_option_context_set_summary(ctx, summary);
    g_option_context_set_description(ctx, RMQADMIN_EXIT_TEXT "\n");
    g_option_context_add_main_entries(ctx, common_entries, NULL);
    if (entries)
        g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &error))
        return rmqadmin_usage(name, error->message);
    if (*argc > 1)
        return rmqadmin_usage(name, "unexpected argument (see --help)");
    if ((common->namesrv == NULL || *common->namesrv == '\0') &&
        (g_getenv("NAMESRV_ADDR") == NULL || *g_getenv("NAMESRV_ADDR") == '\0'))
        return rmqadmin_usage(name, "no name server: use -n HOST:PORT or set NAMESRV_ADDR");
    if (!rmq_tool_credentials_resolve(&common->cred, common->access_key, common->secret_key,
                                      common->credentials, &error))
        return rmqadmin_usage(name, error->message);
    common->admin = rmq_admin_new(common->namesrv, NULL);
    if (!rmq_tool_tls_apply(&common->tls, rmq_admin_get_instance(common->admin), &error))
        return rmqadmin_usage(name, error->message);
    rmqadmin_sign(common, rmq_admin_get_instance(common->admin));
    if (common->timeout_ms > 0)
        rmq_admin_set_timeout(common->admin, (guint) common->timeout_ms);
    return -1;
}

void
rmqadmin_sign(RmqAdminCommon *common, RmqInstance *inst)
{
    if (common->cred.access_key != NULL)
        rmq_instance_set_credentials(inst, common->cred.access_key, common->cred.secret_key, NULL);
    /* the same files loaded for the admin instance already: cannot fail now */
    if (common->admin != NULL && inst != rmq_admin_get_instance(common->admin))
        rmq_tool_tls_apply(&common->tls, inst, NULL);
}

int
rmqadmin_usage(const gchar *name, const gchar *message)
{
    fprintf(stderr, "rmqadmin %s: %s\n", name, message);
    return RMQADMIN_EXIT_USAGE;
}

int
rmqadmin_fail(const gchar *name, const GError *error)
{
    fprintf(stderr, "rmqadmin %s: %s\n", name, error->message);
    if (error->domain != RMQ_MQ_ERROR)
        return RMQADMIN_EXIT_FAILURE;
    switch ((RmqMqError) error->code) {
    case RMQ_MQ_ERROR_NAMESRV_UNREACHABLE: return RMQADMIN_EXIT_NAMESRV;
    case RMQ_MQ_ERROR_TOPIC_NOT_EXIST: return RMQADMIN_EXIT_TOPIC;
    case RMQ_MQ_ERROR_BROKER_REFUSED: return RMQADMIN_EXIT_REFUSED;
    case RMQ_MQ_ERROR_BROKER_UNREACHABLE:
    case RMQ_MQ_ERROR_TIMEOUT: return RMQADMIN_EXIT_BROKER;
    case RMQ_MQ_ERROR_NOT_FOUND: return RMQADMIN_EXIT_NOT_FOUND;
    case RMQ_MQ_ERROR_ILLEGAL: return RMQADMIN_EXIT_USAGE;
    case RMQ_MQ_ERROR_PROTOCOL: return RMQADMIN_EXIT_FAILURE;
    }
    return RMQADMIN_EXIT_FAILURE;
}

void
rmqadmin_print_json(JsonNode *node)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_root(gen, node);
    g_autofree gchar *text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
    json_node_unref(node);
}

gboolean
rmqadmin_query_done(RmqAdminCommon *c, const gchar *name, JsonNode *n, const GError *error,
                    int *rc)
{
    if (n == NULL) {
        *rc = rmqadmin_fail(name, error);
        return TRUE;
    }
    if (!c->json)
        return FALSE;
    rmqadmin_print_json(n);
    *rc = RMQADMIN_EXIT_OK;
    return TRUE;
}

int
rmqadmin_apply_targets(RmqAdminCommon *c, const gchar *name, gchar **targets,
                       RmqAdminApplyFunc apply, gpointer data, JsonObject *result)
{
    JsonArray *done = json_array_new();
    for (guint i = 0; targets[i]; i++) {
        g_autoptr(GError) error = NULL;
        g_autofree gchar *line = apply(c, targets[i], data, &error);
        if (line == NULL) {
            json_array_unref(done);
            json_object_unref(result);
            return rmqadmin_fail(name, error);
        }
        json_array_add_string_element(done, targets[i]);
        if (!c->json)
            printf("%s\n", line);
    }
    json_object_set_array_member(result, "brokers", done);
    if (c->json)
        rmqadmin_print_json(rmq_json_node_take_object(result));
    else
        json_object_unref(result);
    return RMQADMIN_EXIT_OK;
}

gchar *
rmqadmin_int_text(gint64 v)
{
    return g_strdup_printf("%" G_GINT64_FORMAT, v);
}

gchar *
rmqadmin_int_member(JsonObject *o, const gchar *member)
{
    return rmqadmin_int_text(json_object_get_int_member(o, member));
}

struct _RmqTable {
    GPtrArray *rows; /* of GStrv */
};

static GStrv
collect(const gchar *first, va_list ap)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    for (const gchar *s = first; s; s = va_arg(ap, const gchar *))
        g_strv_builder_add(b, s);
    return g_strv_builder_end(b);
}

RmqTable *
rmqadmin_table_new(const gchar *first, ...)
{
    RmqTable *t = g_new0(RmqTable, 1);
    t->rows = g_ptr_array_new_with_free_func((GDestroyNotify) g_strfreev);
    va_list ap;
    va_start(ap, first);
    g_ptr_array_add(t->rows, collect(first, ap));
    va_end(ap);
    return t;
}

void
rmqadmin_table_add(RmqTable *t, const gchar *first, ...)
{
    va_list ap;
    va_start(ap, first);
    g_ptr_array_add(t->rows, collect(first, ap));
    va_end(ap);
}

void
rmqadmin_table_print(RmqTable *t)
{
    guint cols = 0;
    for (guint r = 0; r < t->rows->len; r++)
        cols = MAX(cols, g_strv_length(g_ptr_array_index(t->rows, r)));
    g_autofree glong *w = g_new0(glong, cols);
    for (guint r = 0; r < t->rows->len; r++) {
        GStrv row = g_ptr_array_index(t->rows, r);
        for (guint c = 0; row[c]; c++)
            w[c] = MAX(w[c], g_utf8_strlen(row[c], -1));
    }
    for (guint r = 0; r < t->rows->len; r++) {
        GStrv row = g_ptr_array_index(t->rows, r);
        g_autoptr(GString) line = g_string_new(NULL);
        for (guint c = 0; row[c]; c++) {
            g_string_append(line, row[c]);
            if (row[c + 1])
                for (glong k = g_utf8_strlen(row[c], -1); k < w[c] + 2; k++)
                    g_string_append_c(line, ' ');
        }
        printf("%s\n", line->str);
    }
    rmqadmin_table_free(t);
}

void
rmqadmin_table_free(RmqTable *t)
{
    g_ptr_array_unref(t->rows);
    g_free(t);
}

gint64
rmqadmin_parse_time(const gchar *text)
{
    if (text == NULL)
        return -1;
    if (g_strcmp0(text, "now") == 0)
        return g_get_real_time() / 1000;
    gchar *end = NULL;
    gint64 v = g_ascii_strtoll(text, &end, 10);
    if (end != text && *end == '\0')
        return v;
    int y, mo, d, h, mi, s, ms;
    if (sscanf(text, "%d-%d-%d#%d:%d:%d:%d", &y, &mo, &d, &h, &mi, &s, &ms) == 7) {
        g_autoptr(GDateTime) dt = g_date_time_new_local(y, mo, d, h, mi, s);
        if (dt)
            return g_date_time_to_unix(dt) * 1000 + ms;
    }
    return -1;
}

gchar **
rmqadmin_targets(RmqAdminCommon *c, const gchar *name, const gchar *broker_addr,
                 const gchar *cluster, int *exit_code)
{
    if (broker_addr) {
        gchar **one = g_new0(gchar *, 2);
        one[0] = g_strdup(broker_addr);
        return one;
    }
    if (cluster == NULL) {
        *exit_code = rmqadmin_usage(name, "give -b BROKER_ADDR or -c CLUSTER");
        return NULL;
    }
    g_autoptr(GError) error = NULL;
    gchar **m = rmq_admin_cluster_masters(c->admin, cluster, &error);
    if (m == NULL)
        *exit_code = rmqadmin_fail(name, error);
    else if (m[0] == NULL) {
        g_strfreev(m);
        fprintf(stderr, "rmqadmin %s: cluster %s has no master broker\n", name, cluster);
        *exit_code = RMQADMIN_EXIT_NOT_FOUND;
        return NULL;
    }
    return m;
}

/* Library chatter (connection failures are reported as errors anyway) only
 * with RMQADMIN_DEBUG set; warnings and worse always, on stderr. */
static GLogWriterOutput
quiet_writer(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer data)
{
    if ((level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) &&
        g_getenv("RMQADMIN_DEBUG") == NULL)
        return G_LOG_WRITER_HANDLED;
    return g_log_writer_standard_streams(level, fields, n, data);
}

static void
print_help(FILE *out)
{
    fprintf(out, "Usage: rmqadmin SUBCOMMAND [-n NAMESRV] [--json] [OPTIONS]\n"
                 "       rmqadmin --help | --version\n\n"
                 "RocketMQ administration (mqadmin's everyday subcommands).\n\n"
                 "Subcommands:\n");
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-22s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'rmqadmin SUBCOMMAND --help' shows a subcommand's options.\n"
                 "The name servers come from -n or NAMESRV_ADDR.\n\n%s\n", RMQADMIN_EXIT_TEXT);
}

int
main(int argc, char **argv)
{
    /* Keep stdout clean for --json: library logs go to stderr, quietly. */
    g_log_set_writer_func(quiet_writer, NULL, NULL);
    if (argc < 2) {
        print_help(stderr);
        return RMQADMIN_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return RMQADMIN_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("rmqadmin %s (RocketMQ 4.9.7 remoting protocol)\n", PACKAGE_VERSION);
        return RMQADMIN_EXIT_OK;
    }
    if (strcmp(argv[1], "--list") == 0) { /* for bash completion */
        for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
            printf("%s\n", commands[i].name);
        return RMQADMIN_EXIT_OK;
    }
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        RmqAdminCommon common = { 0 };
        int rc = commands[i].run(&common, argc - 1, argv + 1);
        rmq_admin_free(common.admin);
        g_free(common.namesrv);
        g_free(common.access_key);
        g_free(common.secret_key);
        g_free(common.credentials);
        rmq_tool_credentials_clear(&common.cred);
        rmq_tool_tls_clear(&common.tls);
        fflush(stdout);
        return rc;
    }
    fprintf(stderr, "rmqadmin: unknown subcommand '%s' (see rmqadmin --help)\n", argv[1]);
    return RMQADMIN_EXIT_USAGE;
}
