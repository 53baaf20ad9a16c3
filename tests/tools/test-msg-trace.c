/* Message trace end to end against a real rmq-namesrv and rmq-broker
 * (docs/protocol.md §18): a producer with trace on sends a message, a
 * consumer with trace on pulls and consumes it, and rmqadmin
 * queryMsgTraceById finds the Pub and Sub rows in RMQ_SYS_TRACE_TOPIC (and
 * in a custom trace topic with -t); the trace message itself is in Java's
 * format with the traced id and keys as its keys. */
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_end_to_end),
        cmocka_unit_test(test_custom_trace_topic_and_failure),
    };
    return cmocka_run_group_tests_name("msg-trace", tests, setup, teardown);
}
