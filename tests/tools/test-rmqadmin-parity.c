/* The rmqadmin subcommands added for mqadmin 4.9 parity (updateTopicPerm,
 * topicClusterList, addWritePerm, updateKvConfig, deleteKvConfig,
 * getNamesrvConfig, updateNamesrvConfig, producer, queryCq, cleanExpiredCQ,
 * deleteExpiredCommitLog, cleanUnusedTopic) against a real rmq-namesrv and
 * rmq-broker: mqadmin's output lines for people, --json checked against
 * what the daemons hold. */
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
#include "remoting/codes.h"
#include "tool-run.h"

static BkDaemon *ns;
static BkDaemon *broker;

#define TOPIC "ParityTopic"

/* rmqadmin --json */
#define admin(...) tool_rmqadmin(ns->addr, TRUE, __VA_ARGS__)

/* rmqadmin's output for people (mqadmin's lines) */
#define human(...) tool_rmqadmin(ns->addr, FALSE, __VA_ARGS__)

#define assert_ok(r) tool_assert_ok(r)

static int
setup(void **state)
{
    (void) state;
    ns = bk_namesrv_new();
    if (!bk_daemon_start_or_say(ns, 10000))
        return -1;
    broker = bk_broker_new(ns->addr, NULL);
    /* statistics windows sampled every 0.5 s instead of 10 s (statsAll) */
    broker->env = g_strdupv((gchar *[]){ "RMQ_TEST_STATS_SAMPLE_MS", "500", NULL });
    /* consume queues on disk for a topic the broker has no config for */
    g_autofree gchar *ghost =
        g_build_filename(broker->dir, "store", "consumequeue", "GhostTopic", "0", NULL);
    g_assert(g_mkdir_with_parents(ghost, 0755) == 0);
    if (!bk_daemon_start_or_say(broker, 15000))
        return -1;
    return tool_update_topic(ns->addr, broker->addr, TOPIC, "2") ? 0 : -1;
}

static int
teardown(void **state)
{
    (void) state;
    bk_daemon_free(broker);
    bk_daemon_free(ns);
    return 0;
}

static gint64
route_perm(const gchar *topic)
{
    g_autoptr(ToolRun) route = admin("topicRoute", "-t", topic, NULL);
    assert_ok(route);
    JsonObject *qd = json_array_get_object_element(
        json_object_get_array_member(tool_obj(route->json), "queueDatas"), 0);
    return json_object_get_int_member(qd, "perm");
}

static void
test_update_topic_perm(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = human("updateTopicPerm", "-b", broker->addr, "-t", TOPIC, "-p", "4", NULL);
    assert_ok(r);
    g_autofree gchar *want = g_strdup_printf(
        "update topic perm from 6 to 4 in %s success.\nTopicConfig [topicName=" TOPIC
        ", readQueueNums=2, writeQueueNums=2, perm=R--, topicFilterType=SINGLE_TAG, "
        "topicSysFlag=0, order=false].\n", broker->addr);
    assert_string_equal(r->out, want);
    assert_int_equal(route_perm(TOPIC), 4);

    g_autoptr(ToolRun) same = human("updateTopicPerm", "-b", broker->addr, "-t", TOPIC, "-p", "4", NULL);
    assert_ok(same);
    assert_string_equal(same->out, "new perm equals to the old one!\n");

    g_autoptr(ToolRun) c = admin("updateTopicPerm", "-c", "DefaultCluster", "-t", TOPIC, "-p", "6", NULL);
    assert_ok(c);
    JsonObject *o = tool_obj(c->json);
    assert_int_equal(json_object_get_int_member(o, "oldPerm"), 4);
    assert_string_equal(json_array_get_string_element(json_object_get_array_member(o, "brokers"), 0),
                        broker->addr);
    assert_int_equal(route_perm(TOPIC), 6);

    g_autoptr(ToolRun) nb = human("updateTopicPerm", "-b", "127.0.0.1:1", "-t", TOPIC, "-p", "4", NULL);
    assert_int_equal(nb->status, 7);
    assert_non_null(strstr(nb->err, "broker not exit or broker is not master"));
    g_autoptr(ToolRun) usage = human("updateTopicPerm", "-t", TOPIC, NULL);
    assert_int_equal(usage->status, 2);
}

static void
test_topic_cluster_list(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = human("topicClusterList", "-t", TOPIC, NULL);
    assert_ok(r);
    assert_string_equal(r->out, "DefaultCluster\n");
    g_autoptr(ToolRun) j = admin("topicClusterList", "-t", TOPIC, NULL);
    assert_ok(j);
    assert_int_equal(json_array_get_length(tool_arr(j->json)), 1);
    g_autoptr(ToolRun) none = admin("topicClusterList", "-t", "NoSuchParityTopic", NULL);
    assert_int_equal(none->status, 4);
}

static void
test_add_write_perm(void **state)
{
    (void) state;
    g_autoptr(ToolRun) w = admin("wipeWritePerm", "-b", "broker-a", NULL);
    assert_ok(w);
    assert_int_equal(route_perm(TOPIC) & 2, 0);
    g_autoptr(ToolRun) r = human("addWritePerm", "-b", "broker-a", NULL);
    assert_ok(r);
    g_autofree gchar *prefix =
        g_strdup_printf("add write perm of broker[broker-a] in name server[%s] OK, ", ns->addr);
    assert_true(g_str_has_prefix(r->out, prefix));
    gint64 count = g_ascii_strtoll(r->out + strlen(prefix), NULL, 10);
    assert_true(count >= 1);
    assert_int_equal(route_perm(TOPIC) & 2, 2);
    g_autoptr(ToolRun) j = admin("addWritePerm", "-b", "broker-a", NULL);
    assert_ok(j);
    JsonObject *row = json_array_get_object_element(tool_arr(j->json), 0);
    assert_string_equal(json_object_get_string_member(row, "namesrv"), ns->addr);
    /* as Java's operateWritePermOfBroker: every topic of the broker counts */
    assert_int_equal(json_object_get_int_member(row, "addTopicCount"), count);
}

static gint
kv_code(RmqAdmin *a, const gchar *key, gchar **value)
{
    g_autoptr(GHashTable) ext = NULL;
    g_autoptr(GError) e = NULL;
    g_autoptr(GBytes) b = rmq_admin_invoke(a, ns->addr, RMQ_REQUEST_GET_KV_CONFIG, NULL, &ext, &e,
                                           "namespace", "PARITY_NS", "key", key, NULL);
    if (b == NULL)
        return -1;
    *value = g_strdup(g_hash_table_lookup(ext, "value"));
    return 0;
}

static void
test_kv_config(void **state)
{
    (void) state;
    g_autoptr(RmqAdmin) a = rmq_admin_new(ns->addr, NULL);
    g_autoptr(ToolRun) u = human("updateKvConfig", "-s", "PARITY_NS", "-k", "k1", "-v", "v1", NULL);
    assert_ok(u);
    assert_string_equal(u->out, "create or update kv config to namespace success.\n");
    g_autofree gchar *v = NULL;
    assert_int_equal(kv_code(a, "k1", &v), 0);
    assert_string_equal(v, "v1");
    g_autoptr(ToolRun) d = human("deleteKvConfig", "-s", "PARITY_NS", "-k", "k1", NULL);
    assert_ok(d);
    assert_string_equal(d->out, "delete kv config from namespace success.\n");
    g_autofree gchar *gone = NULL;
    assert_int_equal(kv_code(a, "k1", &gone), -1);
    g_autoptr(ToolRun) usage = human("updateKvConfig", "-s", "PARITY_NS", "-k", "k1", NULL);
    assert_int_equal(usage->status, 2);
}

static void
test_namesrv_config(void **state)
{
    (void) state;
    g_autoptr(ToolRun) u = human("updateNamesrvConfig", "-k", "orderMessageEnable", "-v", "true", NULL);
    assert_ok(u);
    g_autofree gchar *want =
        g_strdup_printf("update name server config success![%s]\norderMessageEnable : true\n", ns->addr);
    assert_string_equal(u->out, want);
    g_autoptr(ToolRun) g = admin("getNamesrvConfig", NULL);
    assert_ok(g);
    JsonObject *one = json_object_get_object_member(tool_obj(g->json), ns->addr);
    assert_non_null(one);
    assert_string_equal(json_object_get_string_member(one, "orderMessageEnable"), "true");
    g_autoptr(ToolRun) h = human("getNamesrvConfig", NULL);
    assert_ok(h);
    g_autofree gchar *head = g_strdup_printf("============%s============\n", ns->addr);
    assert_true(g_str_has_prefix(h->out, head));
    assert_non_null(strstr(h->out, "\norderMessageEnable                                =  true\n"));
    /* a key the name server refuses to change at run time */
    g_autoptr(ToolRun) bad = human("updateNamesrvConfig", "-k", "configStorePath", "-v", "/tmp/x", NULL);
    assert_int_equal(bad->status, 5);
}

static void
test_producer(void **state)
{
    (void) state;
    /* a producer heartbeat on a connection kept open while rmqadmin runs */
    g_autoptr(RmqAdmin) a = rmq_admin_new(ns->addr, NULL);
    const gchar *hb = "{\"clientID\":\"10.1.2.3@parity\",\"consumerDataSet\":[],"
                      "\"producerDataSet\":[{\"groupName\":\"ParityPG\"}]}";
    g_autoptr(GBytes) body = g_bytes_new_static(hb, strlen(hb));
    g_autoptr(GError) e = NULL;
    g_autoptr(GBytes) ok = rmq_admin_invoke(a, broker->addr, RMQ_REQUEST_HEART_BEAT, body, NULL, &e, NULL);
    assert_non_null(ok);
    g_autoptr(ToolRun) r = human("producer", "-b", broker->addr, NULL);
    assert_ok(r);
    assert_true(g_str_has_prefix(r->out, "producer group (ParityPG) instance : clientId=10.1.2.3@parity,"
                                         "remoteIP=/127.0.0.1:"));
    assert_non_null(strstr(r->out, ", language=JAVA, version="));
    assert_non_null(strstr(r->out, ", lastUpdateTimestamp="));
    g_autoptr(ToolRun) j = admin("producer", "-b", broker->addr, NULL);
    assert_ok(j);
    JsonArray *list = json_object_get_array_member(tool_obj(j->json), "ParityPG");
    assert_int_equal(json_array_get_length(list), 1);
    g_autoptr(ToolRun) usage = human("producer", NULL);
    assert_int_equal(usage->status, 2);
}

static void
test_query_cq(void **state)
{
    (void) state;
    g_autoptr(ToolRun) s = admin("sendMessage", "-t", TOPIC, "-p", "cq body", "-b", "broker-a", "-i", "0", NULL);
    assert_ok(s);
    g_autoptr(ToolRun) j = admin("queryCq", "-t", TOPIC, "-q", "0", "-i", "0", NULL);
    assert_ok(j);
    JsonObject *o = tool_obj(j->json);
    assert_int_equal(json_object_get_int_member(o, "maxQueueIndex"), 1);
    JsonArray *units = json_object_get_array_member(o, "queueData");
    assert_int_equal(json_array_get_length(units), 1);
    gint64 phy = json_object_get_int_member(json_array_get_object_element(units, 0), "physicOffset");

    g_autoptr(ToolRun) h = human("queryCq", "-t", TOPIC, "-q", "0", "-i", "0", "-b", broker->addr, NULL);
    assert_ok(h);
    g_autofree gchar *unit = g_strdup_printf("idx: 0\nConsumeQueueData{physicOffset=%" G_GINT64_FORMAT
                                             ", physicSize=", phy);
    assert_true(g_str_has_prefix(h->out, "Queue data: \nmax: 1, min: 0\n"
                                         "======================================\n"));
    assert_non_null(strstr(h->out, unit));
    assert_non_null(strstr(h->out, ", extendDataJson='null', bitMap='null', eval=false, msg='null'}\n"));
    g_autoptr(ToolRun) g = human("queryCq", "-t", TOPIC, "-q", "0", "-i", "0", "-g", "OfflineG", NULL);
    assert_ok(g);
    assert_true(g_str_has_prefix(g->out, "Filter data: \nOfflineG@" TOPIC " is not online!\n"));

    g_autoptr(ToolRun) past = admin("queryCq", "-t", TOPIC, "-q", "0", "-i", "9", NULL);
    assert_int_equal(past->status, 7);
    assert_non_null(strstr(past->err, "Index 9 of 0@" TOPIC " is not exist!"));
    g_autoptr(ToolRun) usage = human("queryCq", "-t", TOPIC, NULL);
    assert_int_equal(usage->status, 2);
}

static void
test_store_maintenance(void **state)
{
    (void) state;
    /* the ghost queue exists (no unit at 0) until cleanUnusedTopic */
    g_autoptr(ToolRun) before = admin("queryCq", "-t", "GhostTopic", "-q", "0", "-i", "0", "-b",
                                      broker->addr, NULL);
    assert_int_equal(before->status, 7);
    g_autoptr(ToolRun) c = human("cleanUnusedTopic", "-b", broker->addr, NULL);
    assert_ok(c);
    assert_string_equal(c->out, "success\n");
    g_autoptr(ToolRun) after = admin("queryCq", "-t", "GhostTopic", "-q", "0", "-i", "0", "-b",
                                     broker->addr, NULL);
    assert_int_equal(after->status, 5);
    assert_non_null(strstr(after->err, "0@GhostTopic is not exist!"));
    /* the configured topic keeps its queue */
    g_autoptr(ToolRun) kept = admin("queryCq", "-t", TOPIC, "-q", "0", "-i", "0", NULL);
    assert_ok(kept);

    g_autoptr(ToolRun) cq = admin("cleanExpiredCQ", "-c", "DefaultCluster", NULL);
    assert_ok(cq);
    assert_string_equal(json_array_get_string_element(
                            json_object_get_array_member(tool_obj(cq->json), "brokers"), 0),
                        broker->addr);
    g_autoptr(ToolRun) all = human("cleanExpiredCQ", NULL);
    assert_ok(all);
    assert_string_equal(all->out, "success\n");
    g_autoptr(ToolRun) cl = human("deleteExpiredCommitLog", "-b", broker->addr, NULL);
    assert_ok(cl);
    assert_string_equal(cl->out, "success\n");
    g_autofree gchar *log = bk_daemon_log(broker);
    assert_non_null(strstr(log, "DELETE_EXPIRED_COMMITLOG"));
    g_autoptr(ToolRun) nc = admin("cleanUnusedTopic", "-c", "NoSuchCluster", NULL);
    assert_int_equal(nc->status, 7);
    g_autoptr(ToolRun) down = admin("deleteExpiredCommitLog", "-b", "127.0.0.1:1", NULL);
    assert_int_equal(down->status, 6);
}

static void
test_broker_consume_stats(void **state)
{
    (void) state;
    g_autoptr(ToolRun) g = admin("updateSubGroup", "-b", broker->addr, "-g", "ParityCG", NULL);
    assert_ok(g);
    g_autoptr(ToolRun) s1 = admin("sendMessage", "-t", TOPIC, "-p", "a", "-b", "broker-a", "-i", "1", NULL);
    g_autoptr(ToolRun) s2 = admin("sendMessage", "-t", TOPIC, "-p", "b", "-b", "broker-a", "-i", "1", NULL);
    assert_ok(s2);
    g_autoptr(RmqAdmin) a = rmq_admin_new(ns->addr, NULL);
    g_autoptr(GError) e = NULL;
    g_autoptr(GBytes) ok = rmq_admin_invoke(a, broker->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET, NULL,
                                            NULL, &e, "consumerGroup", "ParityCG", "topic", TOPIC,
                                            "queueId", "1", "commitOffset", "1", NULL);
    assert_non_null(ok);

    g_autoptr(ToolRun) h = human("brokerConsumeStats", "-b", broker->addr, NULL);
    assert_ok(h);
    assert_true(g_str_has_prefix(h->out, "#Topic"));
    g_autofree gchar *row = g_strdup_printf("%-64s  %-64s  %-32s  %-4d  %-20d  %-20d  %-20d  ", TOPIC,
                                            "ParityCG", "broker-a", 1, 2, 1, 1);
    assert_non_null(strstr(h->out, row));
    assert_non_null(strstr(h->out, "\nDiff Total: "));
    g_autoptr(ToolRun) l = human("brokerConsumeStats", "-b", broker->addr, "-l", "5", NULL);
    assert_ok(l);
    assert_null(strstr(l->out, "ParityCG"));

    g_autoptr(ToolRun) j = admin("brokerConsumeStats", "-b", broker->addr, NULL);
    assert_ok(j);
    JsonObject *o = tool_obj(j->json);
    assert_string_equal(json_object_get_string_member(o, "brokerAddr"), broker->addr);
    assert_true(json_object_get_int_member(o, "totalDiff") >= 1);
    JsonArray *groups = json_object_get_array_member(o, "groups");
    gboolean seen = FALSE;
    for (guint i = 0; i < json_array_get_length(groups); i++) {
        JsonObject *go = json_array_get_object_element(groups, i);
        if (g_strcmp0(json_object_get_string_member(go, "group"), "ParityCG") != 0)
            continue;
        JsonArray *st = json_object_get_array_member(go, "consumeStats");
        assert_int_equal(json_array_get_length(st), 1);
        JsonArray *qs = json_object_get_array_member(json_array_get_object_element(st, 0), "queues");
        JsonObject *q1 = json_array_get_object_element(qs, 1);
        assert_int_equal(json_object_get_int_member(q1, "queueId"), 1);
        assert_int_equal(json_object_get_int_member(q1, "diff"), 1);
        seen = TRUE;
    }
    assert_true(seen);
    /* no ordered topic */
    g_autoptr(ToolRun) ord = admin("brokerConsumeStats", "-b", broker->addr, "-o", "true", NULL);
    assert_ok(ord);
    assert_int_equal(json_object_get_int_member(tool_obj(ord->json), "totalDiff"), 0);
}

static JsonObject *
stats_row(JsonArray *rows, const gchar *topic, const gchar *group)
{
    for (guint i = 0; i < json_array_get_length(rows); i++) {
        JsonObject *r = json_array_get_object_element(rows, i);
        JsonNode *g = json_object_get_member(r, "group");
        if (g_strcmp0(json_object_get_string_member(r, "topic"), topic) == 0 &&
            (group == NULL ? JSON_NODE_HOLDS_NULL(g)
                           : !JSON_NODE_HOLDS_NULL(g) && g_strcmp0(json_node_get_string(g), group) == 0))
            return r;
    }
    return NULL;
}

static void
test_stats_all(void **state)
{
    (void) state;
    g_autoptr(ToolRun) idle = admin("updateTopic", "-b", broker->addr, "-t", "ParityIdle", NULL);
    assert_ok(idle);
    /* a sample before the sends and two after them: the minute window sees them */
    g_usleep(700000);
    g_autoptr(ToolRun) s1 = admin("sendMessage", "-t", TOPIC, "-p", "x", NULL);
    g_autoptr(ToolRun) s2 = admin("sendMessage", "-t", TOPIC, "-p", "y", NULL);
    assert_ok(s2);
    g_usleep(1200000);

    g_autoptr(ToolRun) j = admin("statsAll", NULL);
    assert_ok(j);
    JsonArray *rows = tool_arr(j->json);
    JsonObject *r = stats_row(rows, TOPIC, "ParityCG");
    assert_non_null(r);
    assert_true(json_object_get_int_member(r, "inMsg24Hour") >= 2);
    assert_true(json_object_get_double_member(r, "inTps") > 0);
    assert_true(json_object_get_int_member(r, "accumulation") >= 1);
    JsonObject *i = stats_row(rows, "ParityIdle", NULL);
    assert_non_null(i);
    assert_int_equal(json_object_get_int_member(i, "inMsg24Hour"), 0);
    for (guint k = 0; k < json_array_get_length(rows); k++)
        assert_false(g_str_has_prefix(
            json_object_get_string_member(json_array_get_object_element(rows, k), "topic"), "%RETRY%"));

    g_autoptr(ToolRun) a = admin("statsAll", "-a", NULL);
    assert_ok(a);
    assert_null(stats_row(tool_arr(a->json), "ParityIdle", NULL));

    g_autoptr(ToolRun) h = human("statsAll", "-t", "ParityIdle", NULL);
    assert_ok(h);
    g_autofree gchar *want = g_strdup_printf("%-64s  %-64s %12d %11.2f %11s %14d %14s\n", "ParityIdle", "",
                                             0, 0.0, "", 0, "NO_CONSUMER");
    assert_non_null(strstr(h->out, want));
    assert_true(g_str_has_prefix(h->out, "#Topic"));
    assert_null(strstr(h->out, TOPIC));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_topic_perm),
        cmocka_unit_test(test_topic_cluster_list),
        cmocka_unit_test(test_add_write_perm),
        cmocka_unit_test(test_kv_config),
        cmocka_unit_test(test_namesrv_config),
        cmocka_unit_test(test_producer),
        cmocka_unit_test(test_query_cq),
        cmocka_unit_test(test_store_maintenance),
        cmocka_unit_test(test_broker_consume_stats),
        cmocka_unit_test(test_stats_all),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
