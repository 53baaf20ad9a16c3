/* A name server restart must not move a topic to another broker.
 *
 * Found by tests/chaos: a restarted name server knows only the brokers that
 * registered since; a producer refreshing its route (every 30 s) got
 * TOPIC_NOT_EXIST for a topic of broker-b, fell back to the default topic
 * (TBW102) of broker-a, and broker-a, with autoCreateTopicEnable, created the
 * topic and acknowledged its messages: a topic that lived on broker-b alone
 * was split across brokers. Java's producer keeps its publish info when a
 * route update fails, and so must the C client.
 *
 * Here: broker-a hosts TOPIC; broker-b has the default topic; the name server
 * restarts and only broker-b registers again (broker-a's period is 60 s).
 * After the 30 s route TTL every send must still be acknowledged by broker-a.
 * About 33 s. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "../broker/harness.h"
#include "client/rmq-client.h"

#define TOPIC "NsRestartTopic"

static void
write_broker_conf(BkDaemon *d, const gchar *name, const gchar *ns_addr, guint period_ms)
{
    g_autofree gchar *conf = g_strdup_printf(
        "listenPort = %u;\nbindAddress = \"127.0.0.1\";\nbrokerIP1 = \"127.0.0.1\";\n"
        "brokerName = \"%s\";\nbrokerClusterName = \"DefaultCluster\";\n"
        "namesrvAddr = \"%s\";\nautoCreateTopicEnable = true;\n"
        "registerNameServerPeriod = %u;\n"
        "storePathRootDir = \"%s/store\";\nmappedFileSizeCommitLog = 8388608;\n"
        "mappedFileSizeConsumeQueue = 120000;\nmaxIndexNum = 40000;\nmaxHashSlotNum = 10000;\n",
        d->port, name, ns_addr, period_ms, d->dir);
    assert_true(g_file_set_contents(d->conf_path, conf, -1, NULL));
}

static void
start(BkDaemon *d)
{
    g_autoptr(GError) error = NULL;
    if (d->notify != NULL)
        rmq_test_notify_drain(d->notify);
    if (!bk_daemon_start(d, 30000, &error))
        fail_msg("%s", error->message);
}

/* Sends @n messages; all must be acknowledged by @broker. */
static void
send_all_to(RmqProducer *p, guint n, const gchar *broker)
{
    for (guint i = 0; i < n; i++) {
        g_autoptr(RmqMsg) m = rmq_msg_new(TOPIC, "body", -1);
        g_autoptr(GError) error = NULL;
        RmqSendResult r = { 0 };
        if (!rmq_producer_send(p, m, &r, &error))
            fail_msg("send %u: %s", i, error->message);
        if (strcmp(r.broker_name, broker) != 0)
            fail_msg("send %u of %s acknowledged by %s, not by %s, the only broker the topic was "
                     "created on", i, TOPIC, r.broker_name, broker);
        if (g_getenv("RMQ_TEST_VERBOSE") != NULL)
            print_message("# send %u: %s q%d\n", i, r.broker_name, r.queue_id);
        rmq_send_result_clear(&r);
    }
}

static void
wait_iterating(GMainContext *ctx, gint64 until)
{
    while (g_get_monotonic_time() < until) {
        while (g_main_context_iteration(ctx, FALSE))
            ;
        g_usleep(50 * 1000);
    }
}

static void
test_route_kept_across_namesrv_restart(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) ns = bk_namesrv_new();
    start(ns);
    g_autoptr(BkDaemon) a = bk_broker_new(NULL, NULL);
    g_autoptr(BkDaemon) b = bk_broker_new(NULL, NULL);
    write_broker_conf(a, "broker-a", ns->addr, 60000);
    write_broker_conf(b, "broker-b", ns->addr, 60000);
    start(a);
    start(b);

    g_autoptr(RmqAdmin) admin = rmq_admin_new(ns->addr, NULL);
    g_autoptr(GError) error = NULL;
    RmqTopicSpec spec;
    rmq_topic_spec_init(&spec);
    spec.read_queue_nums = spec.write_queue_nums = 4;
    if (!rmq_admin_update_topic(admin, a->addr, TOPIC, &spec, &error))
        fail_msg("create topic: %s", error->message);

    /* the route appears with broker-a's registration after the update */
    gboolean routed = FALSE;
    for (int i = 0; i < 100 && !routed; i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(JsonNode) route = rmq_admin_topic_route(admin, TOPIC, &e);
        routed = route != NULL;
        if (!routed)
            g_usleep(100 * 1000);
    }
    assert_true(routed);
    /* the test iterates the producer's context while it waits, as an
     * application's loop would: the producer sees its name server
     * connection close when the name server stops */
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(RmqProducer) p = rmq_producer_new("NsRestartProducers", ns->addr, ctx);
    gint64 routed_at = g_get_monotonic_time();
    send_all_to(p, 8, "broker-a");

    /* the name server restarts after broker-a's first periodic registration
     * (10 s after its start; the next is 60 s later), so only broker-b
     * registers again */
    wait_iterating(ctx, g_get_monotonic_time() + 11 * G_USEC_PER_SEC);
    assert_int_equal(bk_daemon_signal_and_wait(ns, SIGTERM, 15000), 0);
    start(ns);
    assert_int_equal(bk_daemon_signal_and_wait(b, SIGTERM, 15000), 0);
    start(b);

    /* the name server does not know TOPIC any more (a fresh admin: no cache) */
    g_autoptr(RmqAdmin) admin2 = rmq_admin_new(ns->addr, NULL);
    g_autoptr(JsonNode) route = rmq_admin_topic_route(admin2, TOPIC, NULL);
    assert_null(route);
    /* past the producer's route TTL (pollNameServerInterval, 30 s) */
    wait_iterating(ctx, routed_at + 31 * G_USEC_PER_SEC);
    send_all_to(p, 8, "broker-a");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_kept_across_namesrv_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
