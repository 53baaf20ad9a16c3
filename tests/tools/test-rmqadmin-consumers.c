/* rmqadmin's offset and consumer subcommands (resetOffsetByTime,
 * skipAccumulatedMessage, cloneGroupOffset, getConsumerConfig,
 * consumerStatus, allocateMQ, updateOrderConf) against a real rmq-namesrv
 * and rmq-broker, with online C-client consumers in this process: the
 * online reset goes through the broker (INVOKE_BROKER_TO_RESET_OFFSET) to
 * the client (RESET_CONSUMER_CLIENT_OFFSET), and consumerStatus asks the
 * client (GET_CONSUMER_RUNNING_INFO) through the broker. */
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

#define TOPIC "OffsetTopic"
#define N_MSGS 6

#define admin(...) tool_rmqadmin(ns->addr, TRUE, __VA_ARGS__)
#define human(...) tool_rmqadmin(ns->addr, FALSE, __VA_ARGS__)
#define assert_ok(r) tool_assert_ok(r)

static int
setup(void **state)
{
    (void) state;
    if (!bk_pair_start(&ns, &broker, NULL))
        return -1;
    if (!tool_update_topic(ns->addr, broker->addr, TOPIC, "2"))
        return -1;
    /* N_MSGS messages on queue 0 */
    return tool_fill_queue0(ns->addr, "OffsetProducers", TOPIC, N_MSGS, NULL, NULL) ? 0 : -1;
}

static int
teardown(void **state)
{
    (void) state;
    bk_daemon_free(broker);
    bk_daemon_free(ns);
    return 0;
}

/* Pull queue 0 of TOPIC from @offset, committing as it goes; returns where
 * it stopped and the status of the last pull. */
static gint64
drain(RmqConsumer *c, gint64 offset, RmqPullStatus *last, guint *n_msgs)
{
    g_autoptr(RmqQueue) q0 = rmq_queue_new(TOPIC, "broker-a", 0);
    for (int round = 0; round < 20; round++) {
        RmqPullResult r;
        g_autoptr(GError) error = NULL;
        assert_true(rmq_consumer_pull_and_commit(c, q0, "*", offset, 32, 0, offset, &r, &error));
        *last = r.status;
        if (n_msgs)
            *n_msgs += r.msgs->len;
        gint64 next = r.next_begin_offset;
        RmqPullStatus st = r.status;
        rmq_pull_result_clear(&r);
        if (st == RMQ_PULL_OFFSET_RESET)
            return next;
        if (st != RMQ_PULL_FOUND)
            return offset;
        offset = next;
    }
    return offset;
}

static void
test_reset_online_consumer_takes_new_offset(void **state)
{
    (void) state;
    g_autoptr(RmqConsumer) c = rmq_consumer_new("OnlineGroup", ns->addr, NULL);
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_heartbeat(c, TOPIC, &error));
    RmqPullStatus st;
    gint64 at = drain(c, 0, &st, NULL);
    assert_int_equal(at, N_MSGS);
    g_autoptr(RmqQueue) q0 = rmq_queue_new(TOPIC, "broker-a", 0);
    assert_true(rmq_consumer_commit_offset(c, q0, at, &error));
    assert_int_equal(rmq_consumer_query_offset(c, q0, &error), N_MSGS);

    /* Back to the start (0 ms): the broker computes the offsets and pushes
     * them to this online client. */
    g_autoptr(ToolRun) r = human("resetOffsetByTime", "-g", "OnlineGroup", "-t", TOPIC, "-s", "0",
                                 NULL);
    assert_ok(r);
    assert_non_null(strstr(r->out, "rollback consumer offset by specified group[OnlineGroup], "
                                    "topic[" TOPIC "], force[true], timestamp(string)[0], "
                                    "timestamp(long)[0]\n"));
    g_autofree gchar *head = g_strdup_printf("%-40s  %-40s  %-40s\n", "#brokerName", "#queueId",
                                             "#offset");
    assert_non_null(strstr(r->out, head));
    g_autofree gchar *row0 = g_strdup_printf("%-40s  %-40d  %-40d\n", "broker-a", 0, 0);
    assert_non_null(strstr(r->out, row0));

    /* The consumer, still at its old position, is told to go back... */
    guint got = 0;
    at = drain(c, at, &st, &got);
    assert_int_equal(st, RMQ_PULL_OFFSET_RESET);
    assert_int_equal(at, 0);
    assert_int_equal(got, 0);
    /* ...the reset is stored for the group... */
    assert_int_equal(rmq_consumer_query_offset(c, q0, &error), 0);
    /* ...and it reads every message again. */
    at = drain(c, at, &st, &got);
    assert_int_equal(at, N_MSGS);
    assert_int_equal(got, N_MSGS);

    /* --json: the offsets the clients were told. */
    g_autoptr(ToolRun) j = admin("resetOffsetByTime", "-g", "OnlineGroup", "-t", TOPIC, "-s",
                                 "now", NULL);
    assert_ok(j);
    JsonArray *rows = tool_arr(j->json);
    assert_int_equal(json_array_get_length(rows), 2);
    JsonObject *first = json_array_get_object_element(rows, 0);
    assert_int_equal(json_object_get_int_member(first, "queueId"), 0);
    assert_int_equal(json_object_get_int_member(first, "offset"), N_MSGS);
    assert_true(json_object_get_boolean_member(first, "clientsNotified"));
    at = drain(c, 0, &st, NULL);
    assert_int_equal(st, RMQ_PULL_OFFSET_RESET);
    assert_int_equal(at, N_MSGS);
}

static void
test_reset_offline_falls_back(void **state)
{
    (void) state;
    g_autoptr(RmqConsumer) c = rmq_consumer_new("OfflineGroup", ns->addr, NULL);
    g_autoptr(RmqQueue) q0 = rmq_queue_new(TOPIC, "broker-a", 0);
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_commit_offset(c, q0, 2, &error));
    /* Nobody online: the offsets are rewritten on the broker, with
     * mqadmin's rollback table. */
    g_autoptr(ToolRun) r = human("resetOffsetByTime", "-g", "OfflineGroup", "-t", TOPIC, "-s",
                                 "now", NULL);
    assert_ok(r);
    assert_non_null(strstr(r->out, "rollback consumer offset by specified consumerGroup"
                                    "[OfflineGroup], topic[" TOPIC "], force[true], "
                                    "timestamp(string)[now], timestamp(long)[-1]\n"));
    g_autofree gchar *row0 = g_strdup_printf("%-20s  %-20d  %-20d  %-20d  %-20d  %-20d\n",
                                             "broker-a", 0, N_MSGS, 2, N_MSGS, N_MSGS);
    assert_non_null(strstr(r->out, row0));
    assert_int_equal(rmq_consumer_query_offset(c, q0, &error), N_MSGS);
    /* -f false only rolls back: the first message (time 0) is before the
     * current offset, so it moves... */
    g_autoptr(ToolRun) back = admin("resetOffsetByTime", "-g", "OfflineGroup", "-t", TOPIC, "-s",
                                    "0", "-f", "false", NULL);
    assert_ok(back);
    assert_int_equal(rmq_consumer_query_offset(c, q0, &error), 0);
    /* ...but "now" is ahead of it and is not taken. */
    g_autoptr(ToolRun) fwd = admin("resetOffsetByTime", "-g", "OfflineGroup", "-t", TOPIC, "-s",
                                   "now", "-f", "false", NULL);
    assert_ok(fwd);
    JsonObject *row = json_array_get_object_element(tool_arr(fwd->json), 0);
    assert_false(json_object_get_boolean_member(row, "clientsNotified"));
    assert_int_equal(json_object_get_int_member(row, "timestampOffset"), N_MSGS);
    assert_int_equal(json_object_get_int_member(row, "rollbackOffset"), 0);
    assert_int_equal(rmq_consumer_query_offset(c, q0, &error), 0);
    /* A date in mqadmin's format, and a bad one. */
    g_autoptr(ToolRun) date = admin("resetOffsetByTime", "-g", "OfflineGroup", "-t", TOPIC, "-s",
                                    "2000-01-01#00:00:00:000", NULL);
    assert_ok(date);
    g_autoptr(ToolRun) bad = admin("resetOffsetByTime", "-g", "OfflineGroup", "-t", TOPIC, "-s",
                                   "yesterday", NULL);
    assert_int_equal(bad->status, 2);

    /* skipAccumulatedMessage: to the end. */
    g_autoptr(ToolRun) skip = human("skipAccumulatedMessage", "-g", "OfflineGroup", "-t", TOPIC,
                                    NULL);
    assert_ok(skip);
    assert_true(g_str_has_prefix(skip->out, "#brokerName"));
    assert_int_equal(rmq_consumer_query_offset(c, q0, &error), N_MSGS);
}

static void
test_clone_group_offset(void **state)
{
    (void) state;
    g_autoptr(RmqConsumer) src = rmq_consumer_new("CloneSrc", ns->addr, NULL);
    g_autoptr(RmqConsumer) dst = rmq_consumer_new("CloneDst", ns->addr, NULL);
    g_autoptr(RmqQueue) q0 = rmq_queue_new(TOPIC, "broker-a", 0);
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_commit_offset(src, q0, 4, &error));
    g_autoptr(ToolRun) r = human("cloneGroupOffset", "-s", "CloneSrc", "-d", "CloneDst", "-t",
                                 TOPIC, NULL);
    assert_ok(r);
    assert_string_equal(r->out, "clone group offset success. srcGroup[CloneSrc], "
                                "destGroup=[CloneDst], topic[" TOPIC "]\n");
    assert_int_equal(rmq_consumer_query_offset(dst, q0, &error), 4);
    g_autoptr(ToolRun) none = admin("cloneGroupOffset", "-s", "NoSuchGroup", "-d", "CloneDst",
                                    "-t", TOPIC, NULL);
    assert_int_equal(none->status, 7);
}

static void
test_get_consumer_config(void **state)
{
    (void) state;
    g_autoptr(ToolRun) u = admin("updateSubGroup", "-b", broker->addr, "-g", "ConfGroup", "-r",
                                 "5", NULL);
    assert_ok(u);
    g_autoptr(ToolRun) r = human("getConsumerConfig", "-g", "ConfGroup", NULL);
    assert_ok(r);
    assert_true(g_str_has_prefix(r->out, "=============================DefaultCluster:broker-a"
                                         "=============================\n"));
    g_autofree gchar *name = g_strdup_printf("%-40s=  %s\n", "groupName", "ConfGroup");
    g_autofree gchar *retry = g_strdup_printf("%-40s=  %s\n", "retryMaxTimes", "5");
    assert_non_null(strstr(r->out, name));
    assert_non_null(strstr(r->out, retry));
    g_autoptr(ToolRun) j = admin("getConsumerConfig", "-g", "ConfGroup", NULL);
    assert_ok(j);
    JsonObject *row = json_array_get_object_element(tool_arr(j->json), 0);
    assert_string_equal(json_object_get_string_member(row, "brokerName"), "broker-a");
    g_autoptr(ToolRun) none = admin("getConsumerConfig", "-g", "NoSuchGroupAtAll", NULL);
    assert_ok(none);
    assert_int_equal(json_array_get_length(tool_arr(none->json)), 0);
}

/* rmqadmin in a thread while this thread runs the consumer's context, so
 * the client can answer the broker's GET_CONSUMER_RUNNING_INFO. */
typedef struct {
    const gchar *const *args;
    ToolRun *run;
    gint done;
} Bg;

static gpointer
bg_run(gpointer data)
{
    Bg *bg = data;
    bg->run = tool_runv("rmqadmin", bg->args);
    g_atomic_int_set(&bg->done, 1);
    return NULL;
}

static ToolRun *
run_serving(RmqConsumer *c, const gchar *const *args)
{
    Bg bg = { .args = args };
    GThread *t = g_thread_new("rmqadmin", bg_run, &bg);
    GMainContext *ctx = rmq_instance_get_context(rmq_consumer_get_instance(c));
    for (int i = 0; i < 3000 && !g_atomic_int_get(&bg.done); i++) {
        while (g_main_context_iteration(ctx, FALSE))
            ;
        g_usleep(10000);
    }
    g_thread_join(t);
    return bg.run;
}

static void
test_consumer_status(void **state)
{
    (void) state;
    g_autoptr(RmqConsumer) c = rmq_consumer_new("StatusGroup", ns->addr, NULL);
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_heartbeat(c, TOPIC, &error));
    RmqPullStatus st;
    assert_int_equal(drain(c, 0, &st, NULL), N_MSGS);
    g_autoptr(ToolRun) conn = admin("consumerConnection", "-g", "StatusGroup", NULL);
    assert_ok(conn);
    JsonObject *c0 = json_array_get_object_element(
        json_object_get_array_member(tool_obj(conn->json), "connections"), 0);
    const gchar *id = json_object_get_string_member(c0, "clientId");

    /* One client: its running info, as mqadmin formats it. */
    const gchar *one[] = { "consumerStatus", "-n", ns->addr, "-g", "StatusGroup", "-i", id, NULL };
    g_autoptr(ToolRun) r = run_serving(c, one);
    assert_ok(r);
    assert_true(g_str_has_prefix(r->out, "#Consumer Properties#\n"));
    g_autofree gchar *type = g_strdup_printf("%-40s: %s\n", "PROP_CONSUME_TYPE", "CONSUME_ACTIVELY");
    assert_non_null(strstr(r->out, type));
    assert_non_null(strstr(r->out, "001 Topic: " TOPIC));
    g_autofree gchar *off = g_strdup_printf("%-32s  %-32s  %-4d  %-20d\n", TOPIC, "broker-a", 0,
                                            N_MSGS);
    assert_non_null(strstr(r->out, off));

    /* The whole group: one file per client, the summary lines. */
    g_autofree gchar *dir = g_dir_make_tmp("rmqadmin-status-XXXXXX", NULL);
    const gchar *all[] = { "consumerStatus", "-n", ns->addr, "--json", "-g", "StatusGroup",
                           "--dir", dir, NULL };
    g_autoptr(ToolRun) j = run_serving(c, all);
    assert_ok(j);
    JsonArray *clients = json_object_get_array_member(tool_obj(j->json), "clients");
    assert_int_equal(json_array_get_length(clients), 1);
    JsonObject *cl = json_array_get_object_element(clients, 0);
    assert_string_equal(json_object_get_string_member(cl, "clientId"), id);
    /* the C client says it is version 407, MQVersion's V4_9_7 */
    assert_string_equal(json_object_get_string_member(cl, "version"), "V4_9_7");
    g_autofree gchar *file = NULL;
    assert_true(g_file_get_contents(json_object_get_string_member(cl, "file"), &file, NULL, NULL));
    assert_true(g_str_has_prefix(file, "#Consumer Properties#\n"));
    g_unlink(json_object_get_string_member(cl, "file"));
    g_rmdir(dir);
    assert_true(json_object_get_boolean_member(tool_obj(j->json), "sameSubscription"));

    /* A client that is not there. */
    g_autoptr(ToolRun) gone = admin("consumerStatus", "-g", "StatusGroup", "-i", "1.2.3.4@0", NULL);
    assert_int_not_equal(gone->status, 0);
}

static void
test_allocate_mq(void **state)
{
    (void) state;
    g_autoptr(ToolRun) r = human("allocateMQ", "-t", TOPIC, "-i", "a,b,c", NULL);
    assert_ok(r);
    /* 2 queues among 3 clients: one each for the first two. */
    assert_string_equal(r->out, "{\"result\":{\"a\":[{\"brokerName\":\"broker-a\",\"queueId\":0,"
                                "\"topic\":\"" TOPIC "\"}],\"b\":[{\"brokerName\":\"broker-a\","
                                "\"queueId\":1,\"topic\":\"" TOPIC "\"}],\"c\":[]}}\n");
    g_autoptr(ToolRun) j = admin("allocateMQ", "-t", TOPIC, "-i", "a", NULL);
    assert_ok(j);
    JsonObject *res = json_object_get_object_member(tool_obj(j->json), "result");
    assert_int_equal(json_array_get_length(json_object_get_array_member(res, "a")), 2);
    g_autoptr(ToolRun) none = admin("allocateMQ", "-t", "NoSuchTopicHere", "-i", "a", NULL);
    assert_int_equal(none->status, 4);
}

static void
test_update_order_conf(void **state)
{
    (void) state;
    g_autoptr(ToolRun) put = human("updateOrderConf", "-t", TOPIC, "-m", "put", "-v",
                                   "broker-a:2", NULL);
    assert_ok(put);
    assert_string_equal(put->out, "update orderConf success. topic=[" TOPIC
                                  "], orderConf=[broker-a:2]\n");
    g_autoptr(ToolRun) get = human("updateOrderConf", "-t", TOPIC, "-m", "get", NULL);
    assert_ok(get);
    assert_string_equal(get->out, "get orderConf success. topic=[" TOPIC
                                  "], orderConf=[broker-a:2] \n");
    /* It is the name servers' ORDER_TOPIC_CONFIG entry of the topic. */
    g_autoptr(ToolRun) kv = admin("updateKvConfig", "-s", "ORDER_TOPIC_CONFIG", "-k", TOPIC, "-v",
                                  "broker-a:3", NULL);
    assert_ok(kv);
    g_autoptr(ToolRun) again = admin("updateOrderConf", "-t", TOPIC, "-m", "get", NULL);
    assert_ok(again);
    assert_string_equal(json_object_get_string_member(tool_obj(again->json), "orderConf"),
                        "broker-a:3");
    g_autoptr(ToolRun) del = human("updateOrderConf", "-t", TOPIC, "-m", "delete", NULL);
    assert_ok(del);
    assert_string_equal(del->out, "delete orderConf success. topic=[" TOPIC "]\n");
    g_autoptr(ToolRun) gone = admin("updateOrderConf", "-t", TOPIC, "-m", "get", NULL);
    assert_int_equal(gone->status, 7);
    g_autoptr(ToolRun) noconf = admin("updateOrderConf", "-t", TOPIC, "-m", "put", NULL);
    assert_int_equal(noconf->status, 2);
}

static gboolean
busy_idle(gpointer data)
{
    (*(guint *) data)++;
    return G_SOURCE_CONTINUE;
}

/* A pull runs what the brokers pushed first, but an application's source
 * that is always ready on a shared context does not keep it there. */
static void
test_pull_with_busy_context(void **state)
{
    (void) state;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    guint ran = 0;
    GSource *idle = g_idle_source_new();
    g_source_set_callback(idle, busy_idle, &ran, NULL);
    g_source_attach(idle, ctx);
    {
        g_autoptr(RmqConsumer) c = rmq_consumer_new("BusyGroup", ns->addr, ctx);
        RmqPullStatus st;
        assert_int_equal(drain(c, 0, &st, NULL), N_MSGS);
    }
    assert_true(ran > 0);
    g_source_destroy(idle);
    g_source_unref(idle);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_online_consumer_takes_new_offset),
        cmocka_unit_test(test_reset_offline_falls_back),
        cmocka_unit_test(test_clone_group_offset),
        cmocka_unit_test(test_get_consumer_config),
        cmocka_unit_test(test_consumer_status),
        cmocka_unit_test(test_allocate_mq),
        cmocka_unit_test(test_update_order_conf),
        cmocka_unit_test(test_pull_with_busy_context),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
