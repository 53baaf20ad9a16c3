/* rmqadmin's message and cluster-wide subcommands added for mqadmin 4.9
 * parity (printMsg, printMsgByQueue, queryMsgByUniqueKey, sendMsgStatus,
 * checkMsgSendRT, exportMetadata, exportConfigs, exportMetrics,
 * startMonitoring) against a real rmq-namesrv and rmq-broker; and the name
 * server's clusterTest forwarding, seen through topicRoute. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <glib/gstdio.h>

#include "../broker/harness.h"
#include "client/rmq-client.h"
#include "tool-run.h"

static BkDaemon *ns;
static BkDaemon *broker;
static gchar *first_id; /* MsgId of the first message sent */

#define TOPIC "PrintTopic"
#define N_A 4 /* messages tagged TagA, then N_B TagB, all on queue 0 */
#define N_B 2

#define admin(...) tool_rmqadmin(ns->addr, TRUE, __VA_ARGS__)
#define human(...) tool_rmqadmin(ns->addr, FALSE, __VA_ARGS__)
#define assert_ok(r) tool_assert_ok(r)

static const gchar *
tag_of(guint i)
{
    return i < N_A ? "TagA" : "TagB";
}

static int
setup(void **state)
{
    (void) state;
    if (!bk_pair_start(&ns, &broker, NULL))
        return -1;
    if (!tool_update_topic(ns->addr, broker->addr, TOPIC, "2"))
        return -1;
    if (!tool_fill_queue0(ns->addr, "PrintProducers", TOPIC, N_A + N_B, tag_of, &first_id))
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    g_free(first_id);
    bk_daemon_free(broker);
    bk_daemon_free(ns);
    return 0;
}

static gint tool_thread_done;

static gpointer
tool_runv_thread(gpointer args)
{
    ToolRun *r = tool_runv("rmqadmin", args);
    g_atomic_int_set(&tool_thread_done, 1);
    return r;
}

static guint
count_of(const gchar *text, const gchar *needle)
{
    guint n = 0;
    for (const gchar *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void
test_print_msg(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = human("printMsg", "-t", TOPIC, NULL);
    assert_ok(r);
    assert_non_null(strstr(r->out, "minOffset=0, maxOffset=6, MessageQueue [topic=" TOPIC
                                    ", brokerName=broker-a, queueId=0]\n"));
    assert_non_null(strstr(r->out, "minOffset=0, maxOffset=0, MessageQueue [topic=" TOPIC
                                    ", brokerName=broker-a, queueId=1]\n"));
    assert_int_equal(count_of(r->out, "MSGID: "), N_A + N_B);
    assert_int_equal(count_of(r->out, "--------------------------------------------------------\n"), 2);
    g_autofree gchar *first = g_strdup_printf("MSGID: %s MessageExt [brokerName=broker-a, queueId=0,",
                                              first_id);
    assert_non_null(strstr(r->out, first));
    assert_non_null(strstr(r->out, "toString()=Message{topic='" TOPIC "', flag=0, properties={"));
    assert_non_null(strstr(r->out, "body=[109, 48], transactionId='null'}] BODY: m0\n"));

    g_autoptr(ToolRun) nobody = human("printMsg", "-t", TOPIC, "-d", "false", NULL);
    assert_ok(nobody);
    assert_int_equal(count_of(nobody->out, "BODY: NOT PRINT BODY\n"), N_A + N_B);

    /* Tag filter, and --json. */
    g_autoptr(ToolRun) j = admin("printMsg", "-t", TOPIC, "-s", "TagB", NULL);
    assert_ok(j);
    assert_int_equal(json_array_get_length(tool_arr(j->json)), N_B);
    /* Up to a time before every message: none. */
    g_autoptr(ToolRun) none = admin("printMsg", "-t", TOPIC, "-e", "1970-01-02#00:00:00:000", NULL);
    assert_ok(none);
    assert_int_equal(json_array_get_length(tool_arr(none->json)), 0);
    g_autoptr(ToolRun) bad = admin("printMsg", "-t", TOPIC, "-b", "soon", NULL);
    assert_int_equal(bad->status, 2);
    g_autoptr(ToolRun) missing = admin("printMsg", "-t", "NoSuchTopicHere", NULL);
    assert_int_equal(missing->status, 4);
}

static void
test_print_msg_by_queue(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = human("printMsgByQueue", "-t", TOPIC, "-a", "broker-a", "-i", "0",
                                 "-f", "true", NULL);
    assert_ok(r);
    g_autofree gchar *want = g_strdup_printf("Tag: %-30s Count: %d\nTag: %-30s Count: %d\n",
                                             "TagA", N_A, "TagB", N_B);
    assert_string_equal(r->out, want);
    g_autoptr(ToolRun) p = human("printMsgByQueue", "-t", TOPIC, "-a", "broker-a", "-i", "0",
                                 "-p", "true", NULL);
    assert_ok(p);
    assert_int_equal(count_of(p->out, "BODY: NOT PRINT BODY\n"), N_A + N_B);
    g_autoptr(ToolRun) j = admin("printMsgByQueue", "-t", TOPIC, "-a", "broker-a", "-i", "0",
                                 "-p", "true", "-s", "TagA", "-f", "true", NULL);
    assert_ok(j);
    JsonObject *o = tool_obj(j->json);
    assert_int_equal(json_array_get_length(json_object_get_array_member(o, "messages")), N_A);
    assert_int_equal(json_object_get_int_member(json_object_get_object_member(o, "tags"), "TagA"),
                     N_A);
    g_autoptr(ToolRun) usage = admin("printMsgByQueue", "-t", TOPIC, NULL);
    assert_int_equal(usage->status, 2);
}

static void
test_query_msg_by_unique_key(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = human("queryMsgByUniqueKey", "-i", first_id, "-t", TOPIC, NULL);
    assert_ok(r);
    g_autofree gchar *line = g_strdup_printf("%-20s %s\n", "MsgId:", first_id);
    assert_non_null(strstr(r->out, line));
    assert_non_null(strstr(r->out, "m0"));
    g_autoptr(ToolRun) j = admin("queryMsgByUniqueKey", "-i", first_id, "-t", TOPIC, "-a", NULL);
    assert_ok(j);
    assert_int_equal(json_array_get_length(tool_arr(j->json)), 1);
    g_autoptr(ToolRun) none = admin("queryMsgByUniqueKey", "-i", "0A0000000000000000000000000000FF",
                                    "-t", TOPIC, NULL);
    assert_int_equal(none->status, 7);
}

static void
test_send_msg_status(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = human("sendMsgStatus", "-b", "broker-a", "-c", "3", "-s", "10", NULL);
    assert_ok(r);
    assert_int_equal(count_of(r->out, "rt="), 3);
    assert_int_equal(count_of(r->out, "ms, SendResult=SendResult [sendStatus=SEND_OK, msgId="), 3);
    assert_non_null(strstr(r->out, "messageQueue=MessageQueue [topic=broker-a, brokerName=broker-a, "
                                    "queueId=0]"));
    g_autoptr(ToolRun) j = admin("sendMsgStatus", "-b", "broker-a", "-c", "2", NULL);
    assert_ok(j);
    JsonArray *rows = tool_arr(j->json);
    assert_int_equal(json_array_get_length(rows), 2);
    JsonObject *r1 = json_array_get_object_element(rows, 1);
    assert_string_equal(json_object_get_string_member(r1, "sendStatus"), "SEND_OK");
    /* 1 warm-up + 3 + 1 + 2 messages so far on the broker's own topic */
    assert_int_equal(json_object_get_int_member(r1, "queueOffset"), 6);
}

static void
test_check_msg_send_rt(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = human("checkMsgSendRT", "-t", TOPIC, "-a", "4", "-s", "16", NULL);
    assert_ok(r);
    g_autofree gchar *head = g_strdup_printf("%-32s  %-4s  %-20s    %s\n", "#Broker Name", "#QID",
                                             "#Send Result", "#RT");
    assert_true(g_str_has_prefix(r->out, head));
    g_autofree gchar *q1 = g_strdup_printf("%-32s  %-4d  %-20s    ", "broker-a", 1, "true");
    assert_int_equal(count_of(r->out, q1), 2);
    assert_non_null(strstr(r->out, "Avg RT: "));
    g_autoptr(ToolRun) j = admin("checkMsgSendRT", "-t", TOPIC, "-a", "3", NULL);
    assert_ok(j);
    JsonArray *sends = json_object_get_array_member(tool_obj(j->json), "sends");
    assert_int_equal(json_array_get_length(sends), 3);
    assert_true(json_object_get_boolean_member(json_array_get_object_element(sends, 2),
                                               "sendResult"));
}

static JsonObject *
read_json(const gchar *path, JsonParser *parser)
{
    g_autoptr(GError) error = NULL;
    assert_true(json_parser_load_from_file(parser, path, &error));
    return json_node_get_object(json_parser_get_root(parser));
}

static void
test_export_metadata(void **state)
{
    (void) state;
    g_autoptr(ToolRun) sg = admin("updateSubGroup", "-b", broker->addr, "-g", "MetaGroup", NULL);
    assert_ok(sg);
    g_autofree gchar *dir = g_dir_make_tmp("rmqadmin-export-XXXXXX", NULL);
    g_autoptr(ToolRun) r = human("exportMetadata", "-c", "DefaultCluster", "-f", dir, NULL);
    assert_ok(r);
    g_autofree gchar *file = g_build_filename(dir, "metadata.json", NULL);
    g_autofree gchar *line = g_strdup_printf("export %s success\n", file);
    assert_string_equal(r->out, line);
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *o = read_json(file, p);
    JsonObject *topics = json_object_get_object_member(o, "topicConfigTable");
    assert_true(json_object_has_member(topics, TOPIC));
    /* the broker's system topics are left out */
    assert_false(json_object_has_member(topics, "TBW102"));
    assert_false(json_object_has_member(topics, "broker-a"));
    assert_false(json_object_has_member(topics, "DefaultCluster"));
    JsonObject *groups = json_object_get_object_member(o, "subscriptionGroupTable");
    assert_true(json_object_has_member(groups, "MetaGroup"));
    assert_false(json_object_has_member(groups, "TOOLS_CONSUMER"));
    assert_true(json_object_get_int_member(o, "exportTime") > 0);
    g_unlink(file);

    /* One broker, groups only. */
    g_autoptr(ToolRun) g = admin("exportMetadata", "-b", broker->addr, "-g", "-f", dir, NULL);
    assert_ok(g);
    g_autofree gchar *gfile = g_build_filename(dir, "subscriptionGroup.json", NULL);
    assert_string_equal(json_object_get_string_member(tool_obj(g->json), "file"), gfile);
    g_autoptr(JsonParser) gp = json_parser_new();
    JsonObject *go = read_json(gfile, gp);
    assert_true(json_object_has_member(json_object_get_object_member(go, "subscriptionGroupTable"),
                                       "MetaGroup"));
    assert_false(json_object_has_member(go, "topicConfigTable"));
    g_unlink(gfile);
    g_autoptr(ToolRun) usage = admin("exportMetadata", "-b", broker->addr, "-f", dir, NULL);
    assert_int_equal(usage->status, 2);
    g_autoptr(ToolRun) nocluster = admin("exportMetadata", "-c", "NoSuchCluster", "-f", dir, NULL);
    assert_int_not_equal(nocluster->status, 0);
    g_rmdir(dir);
}

static void
test_export_configs_and_metrics(void **state)
{
    (void) state;
    g_autofree gchar *dir = g_dir_make_tmp("rmqadmin-export-XXXXXX", NULL);
    g_autoptr(ToolRun) r = human("exportConfigs", "-c", "DefaultCluster", "-f", dir, NULL);
    assert_ok(r);
    g_autofree gchar *file = g_build_filename(dir, "configs.json", NULL);
    g_autoptr(JsonParser) p = json_parser_new();
    JsonObject *o = read_json(file, p);
    JsonObject *b = json_object_get_object_member(json_object_get_object_member(o, "brokerConfigs"),
                                                  "broker-a");
    assert_non_null(b);
    assert_string_equal(json_object_get_string_member(b, "brokerClusterName"), "DefaultCluster");
    assert_string_equal(json_object_get_string_member(b, "brokerId"), "0");
    JsonObject *scale = json_object_get_object_member(o, "clusterScale");
    assert_int_equal(json_object_get_int_member(scale, "namesrvSize"), 1);
    assert_int_equal(json_object_get_int_member(scale, "masterBrokerSize"), 1);
    assert_int_equal(json_object_get_int_member(scale, "slaveBrokerSize"), 0);
    g_unlink(file);

    g_autoptr(ToolRun) m = human("exportMetrics", "-c", "DefaultCluster", "-f", dir, NULL);
    assert_ok(m);
    g_autofree gchar *mfile = g_build_filename(dir, "metrics.json", NULL);
    g_autoptr(JsonParser) mp = json_parser_new();
    JsonObject *mo = read_json(mfile, mp);
    JsonObject *rep = json_object_get_object_member(json_object_get_object_member(mo, "evaluateReport"),
                                                    "broker-a");
    JsonObject *quota = json_object_get_object_member(rep, "runtimeQuota");
    assert_true(json_object_get_int_member(quota, "topicSize") >= 1);
    /* one master: the cluster's totals are broker-a's figures */
    JsonObject *total = json_object_get_object_member(mo, "totalData");
    JsonObject *tps = json_object_get_object_member(quota, "tps");
    JsonObject *total_tps = json_object_get_object_member(total, "totalTps");
    static const gchar *const flows[] = { "normalIn", "normalOut", "transIn", "scheduleIn" };
    for (guint i = 0; i < G_N_ELEMENTS(flows); i++) {
        g_autofree gchar *key = g_strdup_printf("%sTps", flows[i]);
        g_autofree gchar *total_key = g_strdup_printf("total%c%sTps",
                                                      g_ascii_toupper(flows[i][0]), flows[i] + 1);
        assert_true(json_object_has_member(tps, key));
        assert_true(json_object_has_member(total_tps, total_key));
        assert_true(json_object_get_double_member(total_tps, total_key) ==
                    json_object_get_double_member(tps, key));
    }
    JsonObject *day = json_object_get_object_member(quota, "oneDayNum");
    JsonObject *total_day = json_object_get_object_member(total, "totalOneDayNum");
    static const gchar *const day_keys[] = { "normalOneDayInNum", "normalOneDayOutNum",
                                             "transOneDayInNum", "scheduleOneDayInNum" };
    for (guint i = 0; i < G_N_ELEMENTS(day_keys); i++) {
        assert_true(json_object_has_member(day, day_keys[i]));
        assert_int_equal(json_object_get_int_member(total_day, day_keys[i]),
                         json_object_get_int_member(day, day_keys[i]));
    }
    g_unlink(mfile);
    g_autoptr(ToolRun) none = admin("exportConfigs", "-c", "NoSuchCluster", "-f", dir, NULL);
    assert_int_equal(none->status, 7);
    g_rmdir(dir);
}

static void
test_start_monitoring(void **state)
{
    (void) state;
    /* A group online on TOPIC that consumed 2 of the first messages. */
    g_autoptr(RmqConsumer) c = rmq_consumer_new("MonGroup", ns->addr, NULL);
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_heartbeat(c, TOPIC, &error));
    g_autoptr(RmqQueue) q0 = rmq_queue_new(TOPIC, "broker-a", 0);
    g_autoptr(RmqQueue) q1 = rmq_queue_new(TOPIC, "broker-a", 1);
    gint64 end0 = rmq_consumer_max_offset(c, q0, &error);
    gint64 end1 = rmq_consumer_max_offset(c, q1, &error);
    assert_true(rmq_consumer_commit_offset(c, q0, 2, &error));
    assert_true(rmq_consumer_commit_offset(c, q1, end1, &error));
    /* its %RETRY% topic reaches the name server with the broker's next registration */
    gboolean listed = FALSE;
    for (int i = 0; i < 100 && !listed; i++) {
        g_autoptr(ToolRun) tl = admin("topicList", NULL);
        JsonArray *a = tool_arr(tl->json);
        for (guint k = 0; a && k < json_array_get_length(a); k++)
            listed |= g_strcmp0(json_array_get_string_element(a, k), "%RETRY%MonGroup") == 0;
        if (!listed)
            g_usleep(100000);
    }
    assert_true(listed);
    /* exportMetrics names the online client's language and version */
    g_autofree gchar *dir = g_dir_make_tmp("rmqadmin-export-XXXXXX", NULL);
    g_autoptr(ToolRun) m = admin("exportMetrics", "-c", "DefaultCluster", "-f", dir, NULL);
    assert_ok(m);
    g_autoptr(JsonParser) mp = json_parser_new();
    JsonObject *mo = read_json(json_object_get_string_member(tool_obj(m->json), "file"), mp);
    JsonArray *ci = json_object_get_array_member(
        json_object_get_object_member(
            json_object_get_object_member(json_object_get_object_member(mo, "evaluateReport"),
                                          "broker-a"),
            "runtimeVersion"),
        "clientInfo");
    gboolean c_client = FALSE;
    for (guint k = 0; k < json_array_get_length(ci); k++)
        c_client |= g_str_has_suffix(json_array_get_string_element(ci, k), "%V4_9_7");
    assert_true(c_client);
    g_unlink(json_object_get_string_member(tool_obj(m->json), "file"));
    g_rmdir(dir);
    g_autoptr(ToolRun) r = human("startMonitoring", "-r", "1", NULL);
    assert_ok(r);
    assert_true(g_str_has_prefix(r->out, "[MONITOR] =========================================beginRound\n"));
    g_autofree gchar *want = g_strdup_printf(
        "[MONITOR] reportUndoneMsgs: UndoneMsgs [consumerGroup=MonGroup, topic=" TOPIC
        ", undoneMsgsTotal=%" G_GINT64_FORMAT ", undoneMsgsSingleMQ=%" G_GINT64_FORMAT ", ",
        end0 - 2, end0 - 2);
    assert_non_null(strstr(r->out, want));
    assert_true(g_str_has_suffix(r->out, "[MONITOR] =========================================endRound\n"));
    /* Two rounds 100 ms apart, one JSON line each. */
    g_autoptr(ToolRun) j = tool_rmqadmin(ns->addr, TRUE, "startMonitoring", "-r", "2", "-i", "100",
                                         NULL);
    assert_ok(j);
    g_auto(GStrv) lines = g_strsplit(g_strstrip(j->out), "\n", -1);
    assert_int_equal(g_strv_length(lines), 2);
    g_autoptr(JsonParser) lp = json_parser_new();
    assert_true(json_parser_load_from_data(lp, lines[1], -1, NULL));
    JsonObject *round = json_node_get_object(json_parser_get_root(lp));
    assert_int_equal(json_object_get_int_member(round, "round"), 2);
    /* --duration ends it too */
    g_autoptr(ToolRun) d = human("startMonitoring", "-i", "100", "-d", "1", NULL);
    assert_ok(d);
    assert_true(count_of(d->out, "endRound") >= 2);
}

/* A name server started with clusterTest = true answers a topic it does
 * not know with the route the product environment's name servers
 * (NAMESRV_ADDR) give, as Java's ClusterTestRequestProcessor. */
static BkDaemon *
test_namesrv(gboolean cluster_test, const gchar *product)
{
    BkDaemon *d = bk_namesrv_new();
    g_autofree gchar *conf = NULL;
    assert_true(g_file_get_contents(d->conf_path, &conf, NULL, NULL));
    g_autofree gchar *more = g_strdup_printf("%sclusterTest = %s;\n", conf,
                                             cluster_test ? "true" : "false");
    assert_true(g_file_set_contents(d->conf_path, more, -1, NULL));
    d->env = g_strdupv((gchar *[]){ "NAMESRV_ADDR", (gchar *) product, NULL });
    assert_true(bk_daemon_start_or_say(d, 10000));
    return d;
}

static void
test_cluster_test_forwarding(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) test_ns = test_namesrv(TRUE, ns->addr);
    g_autoptr(ToolRun) r = tool_rmqadmin(test_ns->addr, TRUE, "topicRoute", "-t", TOPIC, NULL);
    assert_ok(r);
    JsonObject *bd = json_array_get_object_element(
        json_object_get_array_member(tool_obj(r->json), "brokerDatas"), 0);
    assert_string_equal(json_object_get_string_member(bd, "brokerName"), "broker-a");
    /* unknown in both environments */
    g_autoptr(ToolRun) none = tool_rmqadmin(test_ns->addr, TRUE, "topicRoute", "-t",
                                            "NoSuchTopicAnywhere", NULL);
    assert_int_equal(none->status, 4);
    /* two test name servers pointing at each other do not loop */
    g_autoptr(BkDaemon) loop = test_namesrv(TRUE, test_ns->addr);
    g_autoptr(ToolRun) looped = tool_rmqadmin(loop->addr, TRUE, "topicRoute", "-t",
                                              "NoSuchTopicAnywhere", NULL);
    assert_int_equal(looped->status, 4);
    /* without clusterTest the same name server knows nothing of it */
    g_autoptr(BkDaemon) plain = test_namesrv(FALSE, ns->addr);
    g_autoptr(ToolRun) p = tool_rmqadmin(plain->addr, TRUE, "topicRoute", "-t", TOPIC, NULL);
    assert_int_equal(p->status, 4);
}

static void
test_query_msg_by_id_more(void **state)
{
    (void) state;
    /* two ids at once */
    g_autofree gchar *two = g_strdup_printf("%s,%s", first_id, first_id);
    g_autoptr(ToolRun) r = human("queryMsgById", "-t", TOPIC, "-i", two, NULL);
    assert_ok(r);
    g_autofree gchar *line = g_strdup_printf("%-20s %s\n", "MsgId:", first_id);
    assert_int_equal(count_of(r->out, line), 2);

    /* -g -d: the broker forwards CONSUME_MESSAGE_DIRECTLY to the client; the
     * C client answers that it does not consume directly */
    g_autoptr(RmqConsumer) c = rmq_consumer_new("DirectGroup", ns->addr, NULL);
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_heartbeat(c, TOPIC, &error));
    g_autoptr(ToolRun) conn = admin("consumerConnection", "-g", "DirectGroup", NULL);
    assert_ok(conn);
    const gchar *cid = json_object_get_string_member(
        json_array_get_object_element(
            json_object_get_array_member(tool_obj(conn->json), "connections"), 0),
        "clientId");
    g_autoptr(ToolRun) d = NULL;
    {
        const gchar *args[] = { "queryMsgById", "-n", ns->addr, "-t", TOPIC, "-i", first_id,
                                "-g", "DirectGroup", "-d", cid, NULL };
        /* the client answers while this thread runs its context */
        GMainContext *ctx = rmq_instance_get_context(rmq_consumer_get_instance(c));
        GThread *t = g_thread_new("rmqadmin", tool_runv_thread,
                                  (gpointer) args);
        for (int i = 0; i < 3000 && !g_atomic_int_get(&tool_thread_done); i++) {
            while (g_main_context_iteration(ctx, FALSE))
                ;
            g_usleep(10000);
        }
        d = g_thread_join(t);
        g_atomic_int_set(&tool_thread_done, 0);
    }
    assert_int_equal(d->status, 5);
    assert_non_null(strstr(d->err, "request type 309 not supported"));
    g_autoptr(ToolRun) gone = admin("queryMsgByUniqueKey", "-t", TOPIC, "-i", first_id, "-g",
                                    "DirectGroup", "-d", "10.0.0.1@1", NULL);
    assert_int_equal(gone->status, 5);
    assert_non_null(strstr(gone->err, "not online"));

    /* -s true sends it again, with its key */
    g_autoptr(ToolRun) again = human("queryMsgById", "-t", TOPIC, "-i", first_id, "-s", "true",
                                     NULL);
    assert_ok(again);
    g_autofree gchar *head = g_strdup_printf("prepare resend msg. originalMsgId=%sSendResult "
                                             "[sendStatus=SEND_OK, msgId=%s, ", first_id, first_id);
    assert_true(g_str_has_prefix(again->out, head));
    g_autoptr(ToolRun) both = admin("queryMsgByUniqueKey", "-t", TOPIC, "-i", first_id, "-a", NULL);
    assert_ok(both);
    assert_int_equal(json_array_get_length(tool_arr(both->json)), 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_print_msg),
        cmocka_unit_test(test_print_msg_by_queue),
        cmocka_unit_test(test_query_msg_by_unique_key),
        cmocka_unit_test(test_send_msg_status),
        cmocka_unit_test(test_check_msg_send_rt),
        cmocka_unit_test(test_export_metadata),
        cmocka_unit_test(test_export_configs_and_metrics),
        cmocka_unit_test(test_start_monitoring),
        cmocka_unit_test(test_cluster_test_forwarding),
        cmocka_unit_test(test_query_msg_by_id_more),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
