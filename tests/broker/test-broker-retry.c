/* rmq-broker integration: delayed messages (docs/protocol.md §11.2), CONSUMER_SEND_MSG_BACK
 * into %RETRY%<group> with the delay of its level, %DLQ%<group> after
 * maxReconsumeTimes (docs/protocol.md §10.7), and the client-side retry send redirected to the
 * DLQ. The test broker uses messageDelayLevel "1s 2s". */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "harness.h"
#include "remoting/codes.h"

static BkDaemon *br;
static RmqClient *client;

static int
setup(void **state)
{
    (void) state;
    br = bk_broker_new(NULL, "messageDelayLevel = \"1s 2s\";\nflushDelayOffsetInterval = 200;\n");
    if (!bk_daemon_start_or_say(br, 10000))
        return -1;
    client = rmq_client_new(NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    rmq_client_free(client);
    bk_daemon_free(br);
    return 0;
}

static gint64
now_ms(void)
{
    return g_get_real_time() / 1000;
}

/* Pull (topic, 0) from @offset until something arrives; the response. */
static RmqCommand *
wait_pull(const gchar *topic, gint64 offset, guint timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    for (;;) {
        RmqCommand *p = bk_pull(client, br->addr, "RtReader", topic, 0, offset, "*", 0);
        if (p != NULL && p->code == RMQ_RESPONSE_SUCCESS)
            return p;
        if (p != NULL)
            rmq_command_free(p);
        if (g_get_monotonic_time() > end)
            return NULL;
        g_usleep(50000);
    }
}

static void
test_delayed_message(void **state)
{
    (void) state;
    gint64 sent = now_ms();
    g_autoptr(RmqCommand) s =
        bk_send(client, br->addr, "RtDelay", 0, "TagD", NULL, "later", "DELAY\0011\002");
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) early = bk_pull(client, br->addr, "RtReader", "RtDelay", 0, 0, "*", 0);
    assert_int_not_equal(early->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p = wait_pull("RtDelay", 0, 5000);
    gint64 got = now_ms();
    assert_non_null(p);
    assert_true(got - sent >= 1000);
    g_autoptr(GArray) recs = bk_records(p->body);
    assert_int_equal(recs->len, 1);
    RmqMessageRecord *r = &g_array_index(recs, RmqMessageRecord, 0);
    assert_true(r->store_timestamp - sent >= 1000);
    g_autofree gchar *body = bk_record_body(r);
    assert_string_equal(body, "later");
    g_autofree gchar *tags = bk_record_prop(r, "TAGS");
    assert_string_equal(tags, "TagD");
    g_autofree gchar *delay = bk_record_prop(r, "DELAY");
    g_autofree gchar *real = bk_record_prop(r, "REAL_TOPIC");
    assert_null(delay);
    assert_null(real);
    /* the level's progress is kept (delayOffset.json, code 45) */
    g_usleep(500000);
    g_autoptr(RmqCommand) d = bk_invoke(client, br->addr, RMQ_REQUEST_GET_ALL_DELAY_OFFSET, NULL, NULL);
    g_autofree gchar *dt = g_strndup(g_bytes_get_data(d->body, NULL), g_bytes_get_size(d->body));
    assert_non_null(strstr(dt, "\"1\":1"));
}

static RmqCommand *
send_back(gint64 phy, const gchar *group, const gchar *delay_level, const gchar *max)
{
    g_autofree gchar *o = g_strdup_printf("%" G_GINT64_FORMAT, phy);
    return bk_invoke(client, br->addr, RMQ_REQUEST_CONSUMER_SEND_MSG_BACK, NULL, "offset", o,
                     "group", group, "delayLevel", delay_level, "originMsgId", "ORIGID",
                     "originTopic", "RtT", "unitMode", "false", "maxReconsumeTimes", max, NULL);
}

static void
test_send_back_retry_then_dlq(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s = bk_send(client, br->addr, "RtT", 0, "TagR", "kr", "failing", NULL);
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    RmqHostAddr h;
    gint64 phy;
    assert_true(rmq_message_id_decode(rmq_command_get_ext(s, "msgId"), &h, &phy, NULL));

    /* reconsume 0, level 0 -> 3 + 0, clamped to the last level (2 s) */
    gint64 t0 = now_ms();
    g_autoptr(RmqCommand) b1 = send_back(phy, "RtG", "0", "2");
    assert_int_equal(b1->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p1 = wait_pull("%RETRY%RtG", 0, 6000);
    assert_non_null(p1);
    assert_true(now_ms() - t0 >= 1900);
    g_autoptr(GArray) r1 = bk_records(p1->body);
    RmqMessageRecord *m1 = &g_array_index(r1, RmqMessageRecord, 0);
    assert_int_equal(m1->reconsume_times, 1);
    g_autofree gchar *rt = bk_record_prop(m1, "RETRY_TOPIC");
    g_autofree gchar *oid = bk_record_prop(m1, "ORIGIN_MESSAGE_ID");
    g_autofree gchar *b1body = bk_record_body(m1);
    assert_string_equal(rt, "RtT");
    /* Java: the offset message id of the failed message, not the
     * originMsgId header (the client's unique id) */
    assert_string_equal(oid, rmq_command_get_ext(s, "msgId"));
    assert_string_equal(b1body, "failing");

    /* again with an explicit level 1: reconsume 1 < 2 */
    g_autoptr(RmqCommand) b2 = send_back(m1->physical_offset, "RtG", "1", "2");
    assert_int_equal(b2->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p2 = wait_pull("%RETRY%RtG", 1, 6000);
    assert_non_null(p2);
    g_autoptr(GArray) r2 = bk_records(p2->body);
    RmqMessageRecord *m2 = &g_array_index(r2, RmqMessageRecord, 0);
    assert_int_equal(m2->reconsume_times, 2);
    /* a retry of a retry keeps the first origin */
    g_autofree gchar *oid2 = bk_record_prop(m2, "ORIGIN_MESSAGE_ID");
    assert_string_equal(oid2, rmq_command_get_ext(s, "msgId"));

    /* reconsume 2 >= maxReconsumeTimes 2: dead letter, at once */
    g_autoptr(RmqCommand) b3 = send_back(m2->physical_offset, "RtG", "0", "2");
    assert_int_equal(b3->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p3 = bk_pull(client, br->addr, "RtReader", "%DLQ%RtG", 0, 0, "*", 0);
    assert_int_equal(p3->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) r3 = bk_records(p3->body);
    RmqMessageRecord *m3 = &g_array_index(r3, RmqMessageRecord, 0);
    assert_int_equal(m3->reconsume_times, 3);
    g_autofree gchar *rt3 = bk_record_prop(m3, "RETRY_TOPIC");
    assert_string_equal(rt3, "RtT");
    /* Java's setDelayTimeLevel(0) */
    g_autofree gchar *d3 = bk_record_prop(m3, "DELAY");
    assert_string_equal(d3, "0");
    /* nothing more went to the retry topic */
    g_autoptr(RmqCommand) none = bk_pull(client, br->addr, "RtReader", "%RETRY%RtG", 0, 2, "*", 0);
    assert_int_equal(none->code, RMQ_RESPONSE_PULL_NOT_FOUND);

    g_autoptr(RmqCommand) gone = send_back(987654321, "RtG", "0", "2");
    assert_int_equal(gone->code, RMQ_RESPONSE_SYSTEM_ERROR);
}

static void
test_retry_send_goes_to_dlq(void **state)
{
    (void) state;
    g_autoptr(GBytes) b = g_bytes_new_static("fb", 2);
    g_autoptr(RmqCommand) s = bk_invoke(client, br->addr, RMQ_REQUEST_SEND_MESSAGE_V2, b, "a", "PG",
                                        "b", "%RETRY%RtG2", "c", "TBW102", "d", "4", "e", "0", "f",
                                        "0", "g", "1", "h", "0", "i", "RETRY_TOPIC\001RtT", "j",
                                        "5", "l", "3", NULL);
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p = bk_pull(client, br->addr, "RtReader", "%DLQ%RtG2", 0, 0, "*", 0);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delayed_message),
        cmocka_unit_test(test_send_back_retry_then_dlq),
        cmocka_unit_test(test_retry_send_goes_to_dlq),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
