/* Message trace end to end against a real rmq-namesrv and rmq-broker
 * (docs/protocol.md §18): a producer with trace on sends a message, a
 * consumer with trace on pulls and consumes it, and rmqadmin
 * queryMsgTraceById finds the Pub and Sub rows in RMQ_SYS_TRACE_TOPIC (and
 * in a custom trace topic with -t); the trace message itself is in Java's
 * format with the traced id and keys as its keys. The trace of an async send
 * goes out from the producer's context alone, with no later send, flush or
 * free, and freeing the producer takes that timeout source with it. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../broker/harness.h"
#include "client/rmq-client.h"
#include "tool-run.h"

#define TOPIC "TraceTopicA"

static BkDaemon *ns;
static BkDaemon *broker;

static int
setup(void **state)
{
    (void) state;
    if (!bk_pair_start(&ns, &broker, NULL))
        return -1;
    g_autoptr(RmqAdmin) admin = rmq_admin_new(ns->addr, NULL);
    return tool_create_topic(admin, broker->addr, TOPIC) ? 0 : -1;
}

static int
teardown(void **state)
{
    (void) state;
    bk_daemon_free(broker);
    bk_daemon_free(ns);
    return 0;
}

/* Send one traced message, consume it traced; returns its msg id. */
static gchar *
produce_and_consume(const gchar *trace_topic, const gchar *pgroup, const gchar *cgroup,
                    gboolean success)
{
    g_autoptr(RmqProducer) p = rmq_producer_new(pgroup, ns->addr, NULL);
    rmq_producer_enable_trace(p, trace_topic);
    g_autoptr(RmqMsg) m = rmq_msg_new(TOPIC, "traced body", -1);
    rmq_msg_set_tags(m, "TagT");
    rmq_msg_set_keys(m, "order-1 order-2");
    RmqSendResult sr = { 0 };
    g_autoptr(GError) error = NULL;
    for (int i = 0; i < 50 && !rmq_producer_send(p, m, &sr, &error); i++) {
        g_clear_error(&error);
        g_usleep(100000);
    }
    assert_non_null(sr.msg_id);
    assert_true(sr.trace_on);
    assert_string_equal(sr.region_id, "DefaultRegion");
    gchar *id = g_strdup(sr.msg_id);

    g_autoptr(RmqConsumer) c = rmq_consumer_new(cgroup, ns->addr, NULL);
    rmq_consumer_enable_trace(c, trace_topic);
    g_autoptr(RmqQueue) q = rmq_queue_new(TOPIC, sr.broker_name, sr.queue_id);
    RmqPullResult pr = { 0 };
    assert_true(rmq_consumer_pull(c, q, "*", sr.queue_offset, 1, 0, &pr, &error));
    assert_int_equal(pr.status, RMQ_PULL_FOUND);
    assert_string_equal(rmq_msg_get_msg_id(g_ptr_array_index(pr.msgs, 0)), id);
    RmqTraceConsume *t = rmq_consumer_trace_before(c, pr.msgs);
    assert_non_null(t);
    g_usleep(20000);
    rmq_consumer_trace_after(c, t, success);
    rmq_pull_result_clear(&pr);
    rmq_send_result_clear(&sr);
    return id; /* freeing the producer and consumer waits for the trace sends */
}

/* rmqadmin queryMsgTraceById until the trace shows @want rows (the index
 * is written by the broker's dispatch, moments after the put). */
static ToolRun *
query_trace(gboolean json, const gchar *id, const gchar *topic, guint want)
{
    for (int i = 0; i < 50; i++) {
        ToolRun *r = topic != NULL
                         ? tool_rmqadmin(ns->addr, json, "queryMsgTraceById", "-i", id, "-t", topic, NULL)
                         : tool_rmqadmin(ns->addr, json, "queryMsgTraceById", "-i", id, NULL);
        if (r->status == 0 && json && r->json != NULL &&
            json_array_get_length(tool_arr(r->json)) >= want)
            return r;
        if (r->status == 0 && !json)
            return r;
        tool_run_free(r);
        g_usleep(100000);
    }
    return NULL;
}

static void
test_trace_end_to_end(void **state)
{
    (void) state;
    g_autofree gchar *id = produce_and_consume(NULL, "TracePG", "TraceCG", TRUE);

    /* Pub, SubBefore, SubAfter of this id */
    g_autoptr(ToolRun) js = query_trace(TRUE, id, NULL, 3);
    assert_non_null(js);
    JsonArray *a = tool_arr(js->json);
    assert_int_equal(json_array_get_length(a), 3);
    gboolean pub = FALSE, before = FALSE, after = FALSE;
    for (guint i = 0; i < 3; i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        const gchar *type = json_object_get_string_member(o, "msgType");
        assert_string_equal(json_object_get_string_member(o, "msgId"), id);
        assert_string_equal(json_object_get_string_member(o, "clientHost"), "127.0.0.1");
        if (strcmp(type, "Pub") == 0) {
            pub = TRUE;
            assert_string_equal(json_object_get_string_member(o, "groupName"), "TracePG");
            assert_string_equal(json_object_get_string_member(o, "topic"), TOPIC);
            assert_string_equal(json_object_get_string_member(o, "tags"), "TagT");
            assert_string_equal(json_object_get_string_member(o, "keys"), "order-1 order-2");
            assert_string_equal(json_object_get_string_member(o, "storeHost"), broker->addr);
            assert_string_equal(json_object_get_string_member(o, "status"), "success");
            assert_int_equal(strlen(json_object_get_string_member(o, "offSetMsgId")), 32);
        } else if (strcmp(type, "SubBefore") == 0) {
            before = TRUE;
            assert_string_equal(json_object_get_string_member(o, "groupName"), "TraceCG");
        } else if (strcmp(type, "SubAfter") == 0) {
            after = TRUE;
            assert_string_equal(json_object_get_string_member(o, "groupName"), "TraceCG");
            assert_string_equal(json_object_get_string_member(o, "status"), "success");
        }
    }
    assert_true(pub && before && after);

    /* mqadmin's layout */
    g_autoptr(ToolRun) human = query_trace(FALSE, id, NULL, 0);
    assert_non_null(human);
    g_auto(GStrv) lines = g_strsplit(human->out, "\n", -1);
    assert_true(g_strv_length(lines) >= 6);
    g_autofree gchar *h1 = g_strdup_printf("%-10s %-20s %-20s %-20s %-10s %-10s", "#Type",
                                           "#ProducerGroup", "#ClientHost", "#SendTime",
                                           "#CostTimes", "#Status");
    assert_string_equal(lines[0], h1);
    assert_true(g_str_has_prefix(lines[1], "Pub        TracePG              127.0.0.1            "));
    assert_true(g_str_has_suffix(g_strchomp(lines[1]), "success"));
    assert_string_equal(lines[2], "");
    g_autofree gchar *h2 = g_strdup_printf("%-10s %-20s %-20s %-20s %-10s %-10s", "#Type",
                                           "#ConsumerGroup", "#ClientHost", "#ConsumerTime",
                                           "#CostTimes", "#Status");
    assert_string_equal(lines[3], h2);
    assert_true(g_str_has_prefix(lines[4], "Sub        TraceCG              127.0.0.1            "));

    /* the trace message: Java's text, keys = the id and the message keys */
    g_autoptr(RmqAdmin) admin = rmq_admin_new(ns->addr, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) msgs =
        rmq_admin_query_by_key(admin, RMQ_TRACE_DEFAULT_TOPIC, "order-2", 64, 0, G_MAXINT64 / 2, &error);
    assert_non_null(msgs);
    assert_true(msgs->len >= 1);
    RmqMsg *tm = g_ptr_array_index(msgs, 0);
    g_auto(GStrv) keys = g_strsplit(rmq_msg_get_keys(tm), " ", -1);
    assert_true(g_strv_contains((const gchar *const *) keys, id));
    assert_true(g_strv_contains((const gchar *const *) keys, "order-1"));
    gsize len;
    const gchar *body = g_bytes_get_data(tm->body, &len);
    assert_true(len > 4 && (memcmp(body, "Pub\001", 4) == 0 || memcmp(body, "SubBefore\001", 10) == 0 ||
                            memcmp(body, "SubAfter\001", 9) == 0));
    assert_int_equal(body[len - 1], '\002');
}

static void
test_custom_trace_topic_and_failure(void **state)
{
    (void) state;
    g_autofree gchar *id = produce_and_consume("MyTraceTopic", "TracePG2", "TraceCG2", FALSE);
    g_autoptr(ToolRun) js = query_trace(TRUE, id, "MyTraceTopic", 3);
    assert_non_null(js);
    JsonArray *a = tool_arr(js->json);
    guint failed = 0;
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        if (strcmp(json_object_get_string_member(o, "msgType"), "SubAfter") == 0)
            failed += strcmp(json_object_get_string_member(o, "status"), "failed") == 0;
    }
    assert_int_equal(failed, 1);
    /* nothing of it in the default trace topic */
    g_autoptr(ToolRun) none = tool_rmqadmin(ns->addr, TRUE, "queryMsgTraceById", "-i", id, NULL);
    gboolean empty = none->status != 0 ||
                     (none->json != NULL && json_array_get_length(tool_arr(none->json)) == 0);
    assert_true(empty);
}

typedef struct {
    gboolean done;
    gchar *msg_id;
} AsyncSent;

static void
on_async_sent(RmqProducer *p, const RmqSendResult *result, const GError *error,
              gpointer user_data)
{
    (void) p;
    AsyncSent *s = user_data;
    s->done = TRUE;
    if (error != NULL)
        g_printerr("# async send: %s\n", error->message);
    if (result != NULL)
        s->msg_id = g_strdup(result->msg_id);
}

/* Run @ctx for about @ms without blocking on it. */
static void
run_context(GMainContext *ctx, guint ms)
{
    for (guint i = 0; i < ms; i++)
        if (!g_main_context_iteration(ctx, FALSE))
            g_usleep(1000);
}

/* Whether a source of @ctx is due at some time (a timeout) or now: one
 * whole iteration by hand, to read its poll timeout. */
static gboolean
context_has_timed_source(GMainContext *ctx)
{
    assert_true(g_main_context_acquire(ctx));
    gint prio;
    g_main_context_prepare(ctx, &prio);
    GPollFD fds[64];
    gint timeout = -1;
    gint n = g_main_context_query(ctx, prio, &timeout, fds, G_N_ELEMENTS(fds));
    for (gint i = 0; i < MIN(n, (gint) G_N_ELEMENTS(fds)); i++)
        fds[i].revents = 0;
    if (g_main_context_check(ctx, prio, fds, MIN(n, (gint) G_N_ELEMENTS(fds))))
        g_main_context_dispatch(ctx);
    g_main_context_release(ctx);
    return timeout >= 0;
}

static void
send_async_and_wait(RmqProducer *p, const gchar *keys, AsyncSent *s)
{
    g_autoptr(RmqMsg) m = rmq_msg_new(TOPIC, "async traced", -1);
    rmq_msg_set_keys(m, keys);
    rmq_producer_send_async(p, m, on_async_sent, s);
    for (int i = 0; i < 1000 && !s->done; i++)
        run_context(rmq_producer_get_context(p), 10);
    assert_true(s->done);
    assert_non_null(s->msg_id);
}

/* The trace messages of @topic with key @key, after running @ctx between
 * queries (NULL: just query); NULL when none showed up. (transfer full) */
static GPtrArray *
wait_trace(RmqAdmin *admin, GMainContext *ctx, const gchar *topic, const gchar *key)
{
    for (int i = 0; i < 100; i++) {
        if (ctx != NULL)
            run_context(ctx, 100);
        else
            g_usleep(100000);
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) v =
            rmq_admin_query_by_key(admin, topic, key, 32, 0, G_MAXINT64 / 2, &error);
        if (v != NULL && v->len > 0)
            return g_steal_pointer(&v);
    }
    return NULL;
}

static void
assert_pub_of(GPtrArray *traces, const gchar *msg_id)
{
    gboolean seen = FALSE;
    for (guint i = 0; i < traces->len; i++) {
        RmqMsg *tm = g_ptr_array_index(traces, i);
        gsize len;
        const gchar *body = g_bytes_get_data(tm->body, &len);
        g_autoptr(GPtrArray) records = rmq_trace_decode(body, len);
        for (guint j = 0; j < records->len; j++) {
            const RmqTraceRecord *r = g_ptr_array_index(records, j);
            seen |= r->type == RMQ_TRACE_PUB && g_strcmp0(r->msg_id, msg_id) == 0;
        }
    }
    assert_true(seen);
}

static void
test_async_trace_sent_by_the_loop(void **state)
{
    (void) state;
    GMainContext *ctx = g_main_context_new();
    RmqProducer *p = rmq_producer_new("TracePGAsync", ns->addr, ctx);
    rmq_producer_enable_trace(p, "AsyncTraceTopic");
    g_autoptr(RmqAdmin) admin = rmq_admin_new(ns->addr, NULL);

    /* after the callback, only the context runs: no send, flush or free */
    AsyncSent s1 = { 0 };
    send_async_and_wait(p, "async-order-1", &s1);
    g_autoptr(GPtrArray) t1 = wait_trace(admin, ctx, "AsyncTraceTopic", "async-order-1");
    assert_non_null(t1);
    assert_pub_of(t1, s1.msg_id);

    /* freed with a trace waiting: sent by the free, and the flush source
     * goes with the producer (the context runs on after it; valgrind) */
    AsyncSent s2 = { 0 };
    send_async_and_wait(p, "async-order-2", &s2);
    rmq_producer_free(p);
    assert_false(context_has_timed_source(ctx));
    run_context(ctx, 700);
    g_autoptr(GPtrArray) t2 = wait_trace(admin, NULL, "AsyncTraceTopic", "async-order-2");
    assert_non_null(t2);
    assert_pub_of(t2, s2.msg_id);
    g_free(s1.msg_id);
    g_free(s2.msg_id);
    g_main_context_unref(ctx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_end_to_end),
        cmocka_unit_test(test_custom_trace_topic_and_failure),
        cmocka_unit_test(test_async_trace_sent_by_the_loop),
    };
    return cmocka_run_group_tests_name("msg-trace", tests, setup, teardown);
}
