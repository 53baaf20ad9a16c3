/* rmq-broker under libfaketime (Debian: libfaketime): its wall clock
 * (CLOCK_REALTIME) is stepped 2 h ahead, then 10 min behind, while
 * CLOCK_MONOTONIC stays real, as an NTP step or `date -s` does on a host.
 * Messages stored meanwhile carry the stepped clock (as Java's do), and the
 * rates of GET_BROKER_RUNTIME_INFO (putTps, ...) stay rates: they divide by
 * monotonic time between samples, not by a 2 h (or negative) wall-clock gap.
 * The chaos suite (tests/chaos/run.sh) steps a master under load as well.
 * Without libfaketime the plan is "1..0 # SKIP" with the reason. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "remoting/codes.h"

#define TOPIC "ClockT"

static BkDaemon *br;
static RmqClient *client;
static gchar *clock_path;
static gint64 sent;

static int
setup(void **state)
{
    (void) state;
    g_autofree gchar *lib = rmq_test_faketime_library();
    br = bk_broker_new(NULL, NULL);
    br->env = rmq_test_faketime_clock(lib, br->dir, &clock_path);
    if (!bk_daemon_start_or_say(br, 10000))
        return -1;
    client = rmq_client_new(NULL);
    g_autoptr(RmqCommand) r = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_AND_CREATE_TOPIC, NULL,
                                        "topic", TOPIC, "readQueueNums", "1", "writeQueueNums", "1",
                                        "perm", "6", NULL);
    return r != NULL && r->code == RMQ_RESPONSE_SUCCESS ? 0 : -1;
}

static int
teardown(void **state)
{
    (void) state;
    rmq_client_free(client);
    bk_daemon_free(br);
    g_free(clock_path);
    return 0;
}

/* Send one message every 50 ms for @ms. */
static void
send_for(guint ms)
{
    gint64 end = g_get_monotonic_time() + (gint64) ms * 1000;
    while (g_get_monotonic_time() < end) {
        g_autoptr(RmqCommand) s = bk_send(client, br->addr, TOPIC, 0, NULL, NULL, "tick", NULL);
        assert_non_null(s);
        assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
        sent++;
        g_usleep(50 * 1000);
    }
}

static gchar *
runtime(const gchar *key)
{
    g_autoptr(RmqCommand) r = bk_invoke(client, br->addr, RMQ_REQUEST_GET_BROKER_RUNTIME_INFO, NULL,
                                        NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(JsonNode) n = bk_body_json(r);
    JsonObject *t = json_object_get_object_member(json_node_get_object(n), "table");
    assert_true(json_object_has_member(t, key));
    return g_strdup(json_object_get_string_member(t, key));
}

/* The first figure of putTps: the rate over the last 10 s. */
static gdouble
put_tps_10s(void)
{
    g_autofree gchar *tps = runtime("putTps");
    g_auto(GStrv) f = g_strsplit(tps, " ", -1);
    assert_true(f[0] != NULL && *f[0] != '\0');
    return g_ascii_strtod(f[0], NULL);
}

/* Store timestamp of the last message in the queue, minus the real time. */
static gint64
last_stored_minus_now(void)
{
    g_autoptr(RmqCommand) p = bk_pull(client, br->addr, "ClockG", TOPIC, 0, sent - 1, "*", 0);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) recs = bk_records(p->body);
    assert_true(recs->len >= 1);
    const RmqMessageRecord *r = &g_array_index(recs, RmqMessageRecord, recs->len - 1);
    return r->store_timestamp - g_get_real_time() / 1000;
}

static void
test_wall_clock_step(void **state)
{
    (void) state;
    /* 12 s at about 20 messages/s: the 10 s window is full */
    send_for(12000);
    gdouble before = put_tps_10s();
    assert_true(before > 1.0);
    assert_true(ABS(last_stored_minus_now()) < 5000);

    rmq_test_faketime_set(clock_path, "+7200\n");
    send_for(3000);
    /* the step took effect: the broker's uptime is its wall clock's */
    g_autofree gchar *up = runtime("runtime");
    assert_true(g_str_has_prefix(up, "[ 0 days, 2 hours, "));
    gint64 ahead = last_stored_minus_now();
    assert_true(ahead > 7200000 - 5000 && ahead < 7200000 + 5000);
    /* one 10 s window spans the step: on the wall clock it is 2 h long and
     * the rate about 0.03 */
    gdouble across = put_tps_10s();
    print_message("# putTps before the step %.2f, across +2 h %.2f\n", before, across);
    assert_true(across > 1.0);

    rmq_test_faketime_set(clock_path, "-600\n");
    send_for(3000);
    gint64 behind = last_stored_minus_now();
    assert_true(behind > -600000 - 5000 && behind < -600000 + 5000);
    /* on the wall clock this window is negative: the rate would read 0 */
    gdouble back = put_tps_10s();
    print_message("# putTps across -2 h 10 min %.2f\n", back);
    assert_true(back > 1.0);
    rmq_test_faketime_set(clock_path, "+0\n");
    assert_int_equal(bk_daemon_signal_and_wait(br, SIGTERM, 10000), 0);
}

int
main(void)
{
    g_autofree gchar *lib = rmq_test_faketime_library_or_skip();
    if (lib == NULL)
        return 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wall_clock_step),
    };
    return cmocka_run_group_tests_name("broker-clock", tests, setup, teardown);
}
