/* Every rmqadmin subcommand against a real rmq-namesrv and rmq-broker, its
 * --json output parsed and checked against what the daemons hold (read
 * back through other subcommands or the client library), plus the exit
 * codes of the documented failure cases. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../broker/harness.h"
#include "client/rmq-client.h"
#include "remoting/codes.h"
#include "tool-run.h"

static BkDaemon *ns;
static BkDaemon *broker;

#define TOPIC "AdminTopic"
#define KEY "order-42"

/* rmqadmin --json */
#define admin(...) tool_rmqadmin(ns->addr, TRUE, __VA_ARGS__)

#define assert_ok(r)                                                                           \
    do {                                                                                       \
        tool_assert_ok(r);                                                                     \
        assert_non_null((r)->json);                                                            \
    } while (0)

static int
setup(void **state)
{
    (void) state;
    if (!bk_pair_start(&ns, &broker, NULL))
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    bk_daemon_free(broker);
    bk_daemon_free(ns);
    return 0;
}

static gboolean
array_has_string(JsonArray *a, const gchar *s)
{
    for (guint i = 0; a && i < json_array_get_length(a); i++)
        if (g_strcmp0(json_array_get_string_element(a, i), s) == 0)
            return TRUE;
    return FALSE;
}

/* topicRoute until its write queue count is @n (the broker re-registers
 * after a topic change). */
static ToolRun *
wait_route(const gchar *topic, gint64 n)
{
    for (int i = 0; i < 100; i++) {
        ToolRun *r = admin("topicRoute", "-t", topic, NULL);
        JsonArray *qds = r->json && tool_obj(r->json) &&
                                 json_object_has_member(tool_obj(r->json), "queueDatas")
                             ? json_object_get_array_member(tool_obj(r->json), "queueDatas")
                             : NULL;
        if (qds && json_array_get_length(qds) == 1 &&
            json_object_get_int_member(json_array_get_object_element(qds, 0), "writeQueueNums") == n)
            return r;
        tool_run_free(r);
        g_usleep(50000);
    }
    return NULL;
}

static void
test_help_and_usage(void **state)
{
    (void) state;
    g_autoptr(ToolRun) h = tool_run("rmqadmin", "--help", NULL);
    assert_int_equal(h->status, 0);
    assert_non_null(strstr(h->out, "updateTopic"));
    assert_non_null(strstr(h->out, "clusterRT"));
    g_autoptr(ToolRun) sh = tool_run("rmqadmin", "topicStatus", "--help", NULL);
    assert_int_equal(sh->status, 0);
    assert_non_null(strstr(sh->out, "--topic"));
    assert_non_null(strstr(sh->out, "Exit status"));
    g_autoptr(ToolRun) u = admin("topicRoute", NULL); /* no -t */
    assert_int_equal(u->status, 2);
    g_autoptr(ToolRun) x = tool_run("rmqadmin", "noSuchCommand", NULL);
    assert_int_equal(x->status, 2);
    g_autoptr(ToolRun) none = tool_run("rmqadmin", "topicList", NULL); /* no name server */
    assert_int_equal(none->status, 2);
    /* --version for the tools, like the daemons */
    g_autoptr(ToolRun) v = tool_run("rmqadmin", "--version", NULL);
    assert_int_equal(v->status, 0);
    assert_true(g_str_has_prefix(v->out, "rmqadmin " PACKAGE_VERSION));
    g_autoptr(ToolRun) bv = tool_run("rmq-bench", "--version", NULL);
    assert_int_equal(bv->status, 0);
    assert_true(g_str_has_prefix(bv->out, "rmq-bench " PACKAGE_VERSION));
}

static void
test_namesrv_unreachable(void **state)
{
    (void) state;
    g_autofree gchar *dead = g_strdup_printf("127.0.0.1:%u", bk_free_port());
    g_autoptr(ToolRun) r = tool_run("rmqadmin", "topicList", "-n", dead, NULL);
    assert_int_equal(r->status, 3);
    assert_non_null(strstr(r->err, "name server unreachable"));
    /* A dead one first in the list: the next one answers. */
    g_autofree gchar *list = g_strdup_printf("%s;%s", dead, ns->addr);
    g_autoptr(ToolRun) ok = tool_run("rmqadmin", "topicList", "-n", list, "--json", NULL);
    assert_int_equal(ok->status, 0);
    assert_true(array_has_string(tool_arr(ok->json), "TBW102"));
    /* NAMESRV_ADDR instead of -n. */
    g_setenv("TOOL_RUN_NAMESRV_ADDR", ns->addr, TRUE);
    g_autoptr(ToolRun) env = tool_run("rmqadmin", "topicList", "--json", NULL);
    g_unsetenv("TOOL_RUN_NAMESRV_ADDR");
    assert_int_equal(env->status, 0);
}

static void
test_update_topic_and_route(void **state)
{
    (void) state;
    g_autoptr(ToolRun) u = admin("updateTopic", "-c", "DefaultCluster", "-t", TOPIC, "-r", "3",
                                 "-w", "3", NULL);
    assert_ok(u);
    assert_true(array_has_string(json_object_get_array_member(tool_obj(u->json), "brokers"),
                                 broker->addr));
    assert_int_equal(json_object_get_int_member(tool_obj(u->json), "writeQueueNums"), 3);
    g_autoptr(ToolRun) route = wait_route(TOPIC, 3);
    assert_non_null(route);
    JsonObject *o = tool_obj(route->json);
    JsonObject *bd = json_array_get_object_element(json_object_get_array_member(o, "brokerDatas"), 0);
    assert_string_equal(json_object_get_string_member(bd, "brokerName"), "broker-a");
    assert_string_equal(json_object_get_string_member(
                            json_object_get_object_member(bd, "brokerAddrs"), "0"),
                        broker->addr);
    JsonObject *qd = json_array_get_object_element(json_object_get_array_member(o, "queueDatas"), 0);
    assert_int_equal(json_object_get_int_member(qd, "readQueueNums"), 3);
    assert_int_equal(json_object_get_int_member(qd, "perm"), 6);
    /* -b works as well as -c: widen to 4 queues on that broker. */
    g_autoptr(ToolRun) u2 = admin("updateTopic", "-b", broker->addr, "-t", TOPIC, "-r", "4", "-w",
                                  "4", NULL);
    assert_ok(u2);
    g_autoptr(ToolRun) route2 = wait_route(TOPIC, 4);
    assert_non_null(route2);
}

static void
test_topic_list(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("topicList", NULL);
    assert_ok(r);
    JsonArray *a = tool_arr(r->json);
    assert_true(array_has_string(a, TOPIC));
    assert_true(array_has_string(a, "TBW102"));
    assert_false(array_has_string(a, "NoSuchTopic"));
    /* sorted */
    for (guint i = 1; i < json_array_get_length(a); i++)
        assert_true(g_strcmp0(json_array_get_string_element(a, i - 1),
                              json_array_get_string_element(a, i)) < 0);
}

static void
test_topic_not_found(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("topicRoute", "-t", "NoSuchTopic", NULL);
    assert_int_equal(r->status, 4);
    assert_non_null(strstr(r->err, "NoSuchTopic"));
    g_autoptr(ToolRun) s = admin("topicStatus", "-t", "NoSuchTopic", NULL);
    assert_int_equal(s->status, 4);
}

/* Sent by test_send_message, read by the query tests. */
static gchar *sent_offset_id;
static gchar *sent_msg_id;
static gint64 sent_queue;
static gint64 sent_offset;

static void
test_send_message(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("sendMessage", "-t", TOPIC, "-p", "hello admin", "-k", KEY,
                                 "-c", "TagA", NULL);
    assert_ok(r);
    JsonObject *o = tool_obj(r->json);
    assert_string_equal(json_object_get_string_member(o, "sendStatus"), "SEND_OK");
    assert_string_equal(json_object_get_string_member(o, "brokerName"), "broker-a");
    sent_offset_id = g_strdup(json_object_get_string_member(o, "offsetMsgId"));
    sent_msg_id = g_strdup(json_object_get_string_member(o, "msgId"));
    sent_queue = json_object_get_int_member(o, "queueId");
    sent_offset = json_object_get_int_member(o, "queueOffset");
    assert_int_equal(strlen(sent_msg_id), 32);
    assert_true(sent_queue >= 0 && sent_queue < 4);
    /* Two more into a chosen queue. */
    for (int i = 0; i < 2; i++) {
        g_autoptr(ToolRun) q = admin("sendMessage", "-t", TOPIC, "-p", "to queue 3", "-b",
                                     "broker-a", "-i", "3", NULL);
        assert_ok(q);
        assert_int_equal(json_object_get_int_member(tool_obj(q->json), "queueId"), 3);
    }
}

static gint64
status_max(JsonArray *rows, gint64 qid)
{
    for (guint i = 0; i < json_array_get_length(rows); i++) {
        JsonObject *r = json_array_get_object_element(rows, i);
        if (json_object_get_int_member(r, "queueId") == qid)
            return json_object_get_int_member(r, "maxOffset");
    }
    return -1;
}

static void
test_topic_status(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("topicStatus", "-t", TOPIC, NULL);
    assert_ok(r);
    JsonArray *rows = tool_arr(r->json);
    assert_int_equal(json_array_get_length(rows), 4);
    gint64 total = 0;
    for (guint i = 0; i < 4; i++) {
        JsonObject *row = json_array_get_object_element(rows, i);
        assert_int_equal(json_object_get_int_member(row, "queueId"), i);
        assert_string_equal(json_object_get_string_member(row, "brokerName"), "broker-a");
        assert_int_equal(json_object_get_int_member(row, "minOffset"), 0);
        total += json_object_get_int_member(row, "maxOffset");
    }
    assert_int_equal(total, 3);
    assert_true(status_max(rows, 3) >= 2);
    assert_true(status_max(rows, sent_queue) == sent_offset + 1 + (sent_queue == 3 ? 2 : 0));
}

static void
test_query_msg_by_id(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("queryMsgById", "-i", sent_offset_id, NULL);
    assert_ok(r);
    JsonObject *o = tool_obj(r->json);
    assert_string_equal(json_object_get_string_member(o, "body"), "hello admin");
    assert_string_equal(json_object_get_string_member(o, "keys"), KEY);
    assert_string_equal(json_object_get_string_member(o, "tags"), "TagA");
    assert_string_equal(json_object_get_string_member(o, "msgId"), sent_msg_id);
    assert_string_equal(json_object_get_string_member(o, "offsetMsgId"), sent_offset_id);
    assert_int_equal(json_object_get_int_member(o, "queueOffset"), sent_offset);
    /* Not an id: usage; an id past the end of the commit log: not found. */
    g_autoptr(ToolRun) bad = admin("queryMsgById", "-i", "XYZ", NULL);
    assert_int_equal(bad->status, 2);
    g_autofree gchar *far = g_strdup(sent_offset_id);
    memcpy(far + 16, "00000000FFFFFF00", 16);
    g_autoptr(ToolRun) nf = admin("queryMsgById", "-i", far, NULL);
    assert_int_equal(nf->status, 7);
}

/* The MsgId sendMessage prints first is the client's UNIQ_KEY: found with
 * -t through the index (mqadmin's queryMsgById accepts both kinds). */
static void
test_query_msg_by_unique_key(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("queryMsgById", "-i", sent_msg_id, "-t", TOPIC, NULL);
    assert_ok(r);
    JsonObject *o = tool_obj(r->json);
    assert_string_equal(json_object_get_string_member(o, "body"), "hello admin");
    assert_string_equal(json_object_get_string_member(o, "msgId"), sent_msg_id);
    assert_string_equal(json_object_get_string_member(o, "offsetMsgId"), sent_offset_id);
    /* The offset id still works with -t given. */
    g_autoptr(ToolRun) off = admin("queryMsgById", "-i", sent_offset_id, "-t", TOPIC, NULL);
    assert_ok(off);
    assert_string_equal(json_object_get_string_member(tool_obj(off->json), "msgId"), sent_msg_id);
    /* Without -t a MsgId is a usage error that says what is missing. */
    g_autoptr(ToolRun) no_t = admin("queryMsgById", "-i", sent_msg_id, NULL);
    assert_int_equal(no_t->status, 2);
    assert_non_null(strstr(no_t->err, "-t TOPIC"));
    /* An unknown MsgId in the topic: not found. */
    g_autofree gchar *other = g_strdup(sent_msg_id);
    other[31] = other[31] == '0' ? '1' : '0';
    g_autoptr(ToolRun) nf = admin("queryMsgById", "-i", other, "-t", TOPIC, NULL);
    assert_int_equal(nf->status, 7);
}

static void
test_query_msg_by_key(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("queryMsgByKey", "-t", TOPIC, "-k", KEY, NULL);
    assert_ok(r);
    JsonArray *a = tool_arr(r->json);
    assert_int_equal(json_array_get_length(a), 1);
    assert_string_equal(json_object_get_string_member(json_array_get_object_element(a, 0), "body"),
                        "hello admin");
    g_autoptr(ToolRun) none = admin("queryMsgByKey", "-t", TOPIC, "-k", "no-such-key", NULL);
    assert_int_equal(none->status, 7);
}

static void
test_query_msg_by_offset(void **state)
{
    (void) state;
    g_autofree gchar *q = g_strdup_printf("%" G_GINT64_FORMAT, sent_queue);
    g_autofree gchar *o = g_strdup_printf("%" G_GINT64_FORMAT, sent_offset);
    g_autoptr(ToolRun) r = admin("queryMsgByOffset", "-t", TOPIC, "-b", "broker-a", "-i", q, "-o",
                                 o, NULL);
    assert_ok(r);
    assert_string_equal(json_object_get_string_member(tool_obj(r->json), "offsetMsgId"),
                        sent_offset_id);
    g_autoptr(ToolRun) past = admin("queryMsgByOffset", "-t", TOPIC, "-b", "broker-a", "-i", "3",
                                    "-o", "99", NULL);
    assert_int_equal(past->status, 7);
}

static void
test_consume_message(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("consumeMessage", "-t", TOPIC, NULL);
    assert_ok(r);
    JsonArray *a = tool_arr(r->json);
    assert_int_equal(json_array_get_length(a), 3);
    guint to3 = 0;
    for (guint i = 0; i < 3; i++) {
        JsonObject *m = json_array_get_object_element(a, i);
        if (g_strcmp0(json_object_get_string_member(m, "body"), "to queue 3") == 0) {
            assert_int_equal(json_object_get_int_member(m, "queueId"), 3);
            to3++;
        }
    }
    assert_int_equal(to3, 2);
    g_autoptr(ToolRun) one = admin("consumeMessage", "-t", TOPIC, "-b", "broker-a", "-i", "3",
                                   "-o", "1", NULL);
    assert_ok(one);
    assert_int_equal(json_array_get_length(tool_arr(one->json)), 1);
    g_autoptr(ToolRun) lim = admin("consumeMessage", "-t", TOPIC, "-c", "2", NULL);
    assert_ok(lim);
    assert_int_equal(json_array_get_length(tool_arr(lim->json)), 2);
}

static void
test_cluster_list(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("clusterList", NULL);
    assert_ok(r);
    JsonObject *o = tool_obj(r->json);
    JsonArray *names = json_object_get_array_member(json_object_get_object_member(o, "clusters"),
                                                    "DefaultCluster");
    assert_true(array_has_string(names, "broker-a"));
    JsonObject *b = json_object_get_object_member(json_object_get_object_member(o, "brokers"),
                                                  "broker-a");
    assert_string_equal(json_object_get_string_member(b, "cluster"), "DefaultCluster");
    assert_string_equal(json_object_get_string_member(json_object_get_object_member(b, "addrs"), "0"),
                        broker->addr);
    JsonObject *st = json_object_get_object_member(json_object_get_object_member(b, "status"), "0");
    assert_string_equal(json_object_get_string_member(st, "version"), "V4_9_7");
    g_autoptr(ToolRun) nf = admin("clusterList", "-c", "NoCluster", NULL);
    assert_int_equal(nf->status, 7);
}

static void
test_broker_status(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("brokerStatus", "-b", broker->addr, NULL);
    assert_ok(r);
    JsonObject *kv = json_object_get_object_member(tool_obj(r->json), broker->addr);
    assert_non_null(kv);
    assert_string_equal(json_object_get_string_member(kv, "brokerVersionDesc"), "V4_9_7");
    assert_true(json_object_has_member(kv, "msgPutTotalTodayNow"));
    g_autoptr(ToolRun) c = admin("brokerStatus", "-c", "DefaultCluster", NULL);
    assert_ok(c);
    assert_true(json_object_has_member(tool_obj(c->json), broker->addr));
    /* A broker address nobody listens on: exit 6. */
    g_autofree gchar *dead = g_strdup_printf("127.0.0.1:%u", bk_free_port());
    g_autoptr(ToolRun) d = admin("brokerStatus", "-b", dead, NULL);
    assert_int_equal(d->status, 6);
}

static void
test_broker_config(void **state)
{
    (void) state;
    g_autoptr(ToolRun) g = admin("getBrokerConfig", "-b", broker->addr, NULL);
    assert_ok(g);
    JsonObject *kv = json_object_get_object_member(tool_obj(g->json), broker->addr);
    assert_string_equal(json_object_get_string_member(kv, "brokerName"), "broker-a");
    assert_string_equal(json_object_get_string_member(kv, "brokerClusterName"), "DefaultCluster");
    g_autoptr(ToolRun) u = admin("updateBrokerConfig", "-c", "DefaultCluster", "-k",
                                 "defaultQueryMaxNum", "-v", "77", NULL);
    assert_ok(u);
    g_autoptr(ToolRun) g2 = admin("getBrokerConfig", "-c", "DefaultCluster", NULL);
    assert_ok(g2);
    kv = json_object_get_object_member(tool_obj(g2->json), broker->addr);
    assert_string_equal(json_object_get_string_member(kv, "defaultQueryMaxNum"), "77");
    /* A value the broker rejects: refused, exit 5. */
    g_autoptr(ToolRun) bad = admin("updateBrokerConfig", "-b", broker->addr, "-k",
                                   "defaultQueryMaxNum", "-v", "many", NULL);
    assert_int_equal(bad->status, 5);
}

/* GET_ALL_SUBSCRIPTIONGROUP_CONFIG's entry for @group, or NULL. */
static JsonObject *
group_config(RmqAdmin *a, const gchar *group, JsonNode **keep)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = rmq_admin_invoke(a, broker->addr,
                                           RMQ_REQUEST_GET_ALL_SUBSCRIPTIONGROUP_CONFIG, NULL,
                                           NULL, &error, NULL);
    assert_non_null(b);
    g_autoptr(JsonParser) p = json_parser_new();
    assert_true(json_parser_load_from_data(p, g_bytes_get_data(b, NULL),
                                           (gssize) g_bytes_get_size(b), NULL));
    *keep = json_node_copy(json_parser_get_root(p));
    JsonObject *t = json_object_get_object_member(json_node_get_object(*keep),
                                                  "subscriptionGroupTable");
    return json_object_has_member(t, group) ? json_object_get_object_member(t, group) : NULL;
}

static void
test_sub_group(void **state)
{
    (void) state;
    g_autoptr(RmqAdmin) a = rmq_admin_new(ns->addr, NULL);
    g_autoptr(ToolRun) u = admin("updateSubGroup", "-c", "DefaultCluster", "-g", "AdminGroup",
                                 "-r", "5", "-q", "2", "-s", "false", NULL);
    assert_ok(u);
    g_autoptr(JsonNode) keep = NULL;
    JsonObject *g = group_config(a, "AdminGroup", &keep);
    assert_non_null(g);
    assert_int_equal(json_object_get_int_member(g, "retryMaxTimes"), 5);
    assert_int_equal(json_object_get_int_member(g, "retryQueueNums"), 2);
    assert_false(json_object_get_boolean_member(g, "consumeEnable"));
    g_autoptr(ToolRun) d = admin("deleteSubGroup", "-b", broker->addr, "-g", "AdminGroup", NULL);
    assert_ok(d);
    g_autoptr(JsonNode) keep2 = NULL;
    assert_null(group_config(a, "AdminGroup", &keep2));
}

static void
test_consumer_progress_and_reset(void **state)
{
    (void) state;
    /* Offsets committed through the library: 1 on queue 3. */
    g_autoptr(RmqConsumer) c = rmq_consumer_new("ProgressGroup", ns->addr, NULL);
    g_autoptr(RmqQueue) q3 = rmq_queue_new(TOPIC, "broker-a", 3);
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_commit_offset(c, q3, 1, &error));
    g_autoptr(ToolRun) r = admin("consumerProgress", "-g", "ProgressGroup", "-t", TOPIC, NULL);
    assert_ok(r);
    JsonObject *o = tool_obj(r->json);
    assert_string_equal(json_object_get_string_member(o, "group"), "ProgressGroup");
    JsonArray *qs = json_object_get_array_member(o, "queues");
    assert_int_equal(json_array_get_length(qs), 4);
    JsonObject *row3 = json_array_get_object_element(qs, 3);
    assert_int_equal(json_object_get_int_member(row3, "queueId"), 3);
    assert_int_equal(json_object_get_int_member(row3, "consumerOffset"), 1);
    assert_int_equal(json_object_get_int_member(row3, "brokerOffset"), 2);
    assert_int_equal(json_object_get_int_member(row3, "diff"), 1);
    /* Reset to "now": every queue at its end, no lag left. */
    g_autoptr(ToolRun) now = admin("resetOffsetByTime", "-g", "ProgressGroup", "-t", TOPIC, "-s",
                                   "now", NULL);
    assert_ok(now);
    assert_int_equal(json_array_get_length(tool_arr(now->json)), 4);
    g_autoptr(ToolRun) after = admin("consumerProgress", "-g", "ProgressGroup", "-t", TOPIC, NULL);
    assert_ok(after);
    assert_int_equal(json_object_get_int_member(tool_obj(after->json), "diffTotal"), 0);
    assert_int_equal(rmq_consumer_query_offset(c, q3, &error), 2);
    /* Back to the beginning. */
    g_autoptr(ToolRun) zero = admin("resetOffsetByTime", "-g", "ProgressGroup", "-t", TOPIC, "-s",
                                    "0", NULL);
    assert_ok(zero);
    assert_int_equal(rmq_consumer_query_offset(c, q3, &error), 0);
    g_autoptr(ToolRun) bad = admin("resetOffsetByTime", "-g", "ProgressGroup", "-t", TOPIC, "-s",
                                   "yesterday", NULL);
    assert_int_equal(bad->status, 2);
    /* A group no broker has offsets of: an error, not an empty table. */
    g_autoptr(ToolRun) ghost = admin("consumerProgress", "-g", "NoSuchGroup", NULL);
    assert_int_equal(ghost->status, 7);
    assert_non_null(strstr(ghost->err, "NoSuchGroup"));
    assert_null(ghost->json);
    g_autoptr(ToolRun) ghost_text = tool_run("rmqadmin", "consumerProgress", "-n", ns->addr, "-g",
                                             "NoSuchGroup", NULL);
    assert_int_equal(ghost_text->status, 7);
}

static void
test_connections(void **state)
{
    (void) state;
    g_autoptr(ToolRun) none = admin("consumerConnection", "-g", "LiveGroup", NULL);
    assert_int_equal(none->status, 7);
    /* A live pull consumer and a producer in this process. */
    g_autoptr(RmqConsumer) c = rmq_consumer_new("LiveGroup", ns->addr, NULL);
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_heartbeat(c, TOPIC, &error));
    g_autoptr(ToolRun) r = admin("consumerConnection", "-g", "LiveGroup", NULL);
    assert_ok(r);
    JsonObject *o = tool_obj(r->json);
    assert_int_equal(json_array_get_length(json_object_get_array_member(o, "connections")), 1);
    assert_string_equal(json_object_get_string_member(o, "consumeType"), "CONSUME_ACTIVELY");
    JsonObject *subs = json_object_get_object_member(o, "subscriptionTable");
    assert_true(json_object_has_member(subs, TOPIC));

    g_autoptr(RmqProducer) p = rmq_producer_new("LiveProducers", ns->addr, NULL);
    g_autoptr(RmqMsg) m = rmq_msg_new(TOPIC, "from a live producer", -1);
    RmqSendResult res;
    assert_true(rmq_producer_send(p, m, &res, &error));
    rmq_send_result_clear(&res);
    g_autoptr(ToolRun) pr = NULL;
    /* The heartbeat is one-way: give the broker a moment. */
    for (int i = 0; i < 50; i++) {
        tool_run_free(g_steal_pointer(&pr));
        pr = admin("producerConnection", "-g", "LiveProducers", "-t", TOPIC, NULL);
        if (pr->status == 0)
            break;
        g_usleep(50000);
    }
    assert_ok(pr);
    JsonArray *pc = json_object_get_array_member(tool_obj(pr->json), "connections");
    assert_int_equal(json_array_get_length(pc), 1);
    assert_string_equal(json_object_get_string_member(json_array_get_object_element(pc, 0),
                                                      "language"), "JAVA");
}

static void
test_cluster_rt(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("clusterRT", "-c", "DefaultCluster", "-a", "5", "-t", TOPIC, NULL);
    assert_ok(r);
    JsonArray *rows = tool_arr(r->json);
    assert_int_equal(json_array_get_length(rows), 1);
    JsonObject *row = json_array_get_object_element(rows, 0);
    assert_string_equal(json_object_get_string_member(row, "brokerName"), "broker-a");
    assert_int_equal(json_object_get_int_member(row, "successCount"), 5);
    assert_int_equal(json_object_get_int_member(row, "failCount"), 0);
    assert_true(json_object_get_double_member(row, "rtMs") > 0);
}

static void
test_refused(void **state)
{
    (void) state;
    /* The broker refuses a system topic name. */
    g_autoptr(ToolRun) r = admin("updateTopic", "-b", broker->addr, "-t", "SCHEDULE_TOPIC_XXXX",
                                 NULL);
    assert_int_equal(r->status, 5);
    assert_non_null(strstr(r->err, "refused"));
}

static void
test_wipe_write_perm(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("wipeWritePerm", "-b", "broker-a", NULL);
    assert_ok(r);
    JsonArray *a = tool_arr(r->json);
    assert_int_equal(json_array_get_length(a), 1);
    JsonObject *row = json_array_get_object_element(a, 0);
    assert_string_equal(json_object_get_string_member(row, "namesrv"), ns->addr);
    assert_true(json_object_get_int_member(row, "wipeTopicCount") >= 2);
    g_autoptr(ToolRun) route = admin("topicRoute", "-t", TOPIC, NULL);
    assert_ok(route);
    JsonObject *qd = json_array_get_object_element(
        json_object_get_array_member(tool_obj(route->json), "queueDatas"), 0);
    assert_int_equal(json_object_get_int_member(qd, "perm") & 2, 0);
    /* Producers now find no queue to write to. */
    g_autoptr(ToolRun) send = admin("sendMessage", "-t", TOPIC, "-p", "x", NULL);
    assert_int_equal(send->status, 4);
    assert_non_null(strstr(send->err, "no writable queue"));
}

static void
test_delete_topic(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = admin("deleteTopic", "-c", "DefaultCluster", "-t", TOPIC, NULL);
    assert_ok(r);
    assert_true(json_object_get_boolean_member(tool_obj(r->json), "deleted"));
    g_autoptr(ToolRun) route = admin("topicRoute", "-t", TOPIC, NULL);
    assert_int_equal(route->status, 4);
    g_autoptr(ToolRun) list = admin("topicList", NULL);
    assert_ok(list);
    assert_false(array_has_string(tool_arr(list->json), TOPIC));
    g_autoptr(ToolRun) nc = admin("deleteTopic", "-c", "NoCluster", "-t", TOPIC, NULL);
    assert_int_equal(nc->status, 7);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_usage),
        cmocka_unit_test(test_namesrv_unreachable),
        cmocka_unit_test(test_update_topic_and_route),
        cmocka_unit_test(test_topic_list),
        cmocka_unit_test(test_topic_not_found),
        cmocka_unit_test(test_send_message),
        cmocka_unit_test(test_topic_status),
        cmocka_unit_test(test_query_msg_by_id),
        cmocka_unit_test(test_query_msg_by_unique_key),
        cmocka_unit_test(test_query_msg_by_key),
        cmocka_unit_test(test_query_msg_by_offset),
        cmocka_unit_test(test_consume_message),
        cmocka_unit_test(test_cluster_list),
        cmocka_unit_test(test_broker_status),
        cmocka_unit_test(test_broker_config),
        cmocka_unit_test(test_sub_group),
        cmocka_unit_test(test_consumer_progress_and_reset),
        cmocka_unit_test(test_connections),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_cluster_rt),
        cmocka_unit_test(test_wipe_write_perm),
        cmocka_unit_test(test_delete_topic),
    };
    return cmocka_run_group_tests_name("rmqadmin", tests, setup, teardown);
}
