/* rmq-namesrv under libfaketime (Debian: libfaketime): its wall clock
 * (CLOCK_REALTIME) is stepped while CLOCK_MONOTONIC stays real, as an NTP
 * step or an operator's `date -s` does on a host. The chaos suite
 * (tests/chaos/run.sh) does the same to a name server and a master under
 * load; this is the cheap, root-free check of the name server's expiry.
 * Without libfaketime the plan is "1..0 # SKIP" with the reason. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "remoting/codes.h"

/* The HH:MM:SS of the daemon's last log line naming @needle, in seconds of
 * the day, or -1. */
static gint
log_second_of_day(NsDaemon *d, const gchar *needle)
{
    g_autofree gchar *log = ns_daemon_log(d);
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    gint found = -1;
    for (guint i = 0; lines[i] != NULL; i++) {
        guint h, m, sec;
        if (strstr(lines[i], needle) != NULL && sscanf(lines[i], "%2u:%2u:%2u", &h, &m, &sec) == 3)
            found = (gint) (h * 3600 + m * 60 + sec);
    }
    return found;
}

/* Keep broker-live registered every 300 ms for @ms (expiry 3 s, scans every
 * 200 ms) and check its route after each registration. */
static void
keep_live(RmqClient *c, NsDaemon *d, guint ms)
{
    const gchar *topics[] = { "ClockTopic", NULL };
    gint64 end = g_get_monotonic_time() + (gint64) ms * 1000;
    while (g_get_monotonic_time() < end) {
        g_autoptr(GError) err = NULL;
        g_autoptr(RmqCommand) r = ns_register(c, d->addr, "C", "broker-live", 0, "10.9.1.1:10911",
                                              "10.9.1.1:10912", 1, topics, &err);
        gint32 route = ns_wait_route_code(c, d->addr, "ClockTopic", RMQ_RESPONSE_SUCCESS, 0);
        if (r == NULL || r->code != RMQ_RESPONSE_SUCCESS || route != RMQ_RESPONSE_SUCCESS) {
            g_autofree gchar *log = ns_daemon_log(d);
            fail_msg("register: %s, route: %d; the daemon's log:\n%s",
                     r == NULL ? err->message : "answered", route, log);
        }
        g_usleep(300 * 1000);
    }
}

/* Broker expiry runs on CLOCK_MONOTONIC: with the daemon's wall clock stepped
 * 2 h ahead, then 10 min behind, a broker that keeps registering stays
 * routed (on the wall clock its last registration would look 2 h old at the
 * first scan after the step); a silent one still expires. */
static void
test_wall_clock_step(void **state)
{
    (void) state;
    g_autofree gchar *lib = rmq_test_faketime_library();
    assert_non_null(lib);
    g_autoptr(NsDaemon) d = ns_daemon_new("clock", "brokerChannelExpiredTime = 3000;\n"
                                                   "scanNotActiveBrokerInterval = 200;\n");
    g_autofree gchar *clock = NULL;
    d->env = rmq_test_faketime_clock(lib, d->dir, &clock);
    g_autoptr(GError) err = NULL;
    if (!ns_daemon_start(d, 10000, &err))
        fail_msg("%s", err->message);
    g_autoptr(RmqClient) c = rmq_client_new(NULL);
    g_autoptr(RmqClient) silent = rmq_client_new(NULL);
    keep_live(c, d, 1000);

    rmq_test_faketime_set(clock, "+7200\n");
    {
        /* the step took effect: a line logged now carries the daemon's clock
         * (on its own connection: the name server closes an expired broker's) */
        const gchar *probe[] = { "ProbeTopic", NULL };
        g_autoptr(RmqCommand) r = ns_register(silent, d->addr, "C", "broker-probe", 0, "10.9.1.2:10911",
                                              "10.9.1.2:10912", 1, probe, &err);
        assert_non_null(r);
        g_autoptr(GDateTime) now = g_date_time_new_now_local();
        gint expect = (g_date_time_get_hour(now) * 3600 + g_date_time_get_minute(now) * 60 +
                       g_date_time_get_second(now) + 7200) % 86400;
        gint got = log_second_of_day(d, "broker-probe");
        assert_true(got >= 0);
        gint diff = ABS(got - expect);
        assert_true(MIN(diff, 86400 - diff) < 60);
    }
    keep_live(c, d, 2000);
    rmq_test_faketime_set(clock, "-600\n");
    keep_live(c, d, 2000);
    g_autofree gchar *log = ns_daemon_log(d);
    assert_null(strstr(log, "broker-live (10.9.1.1:10911, cluster C) expired"));

    /* ...while a silent broker (broker-probe, still 10 min behind) expires */
    assert_int_equal(ns_wait_route_code(c, d->addr, "ProbeTopic", RMQ_RESPONSE_TOPIC_NOT_EXIST,
                                        10000),
                     RMQ_RESPONSE_TOPIC_NOT_EXIST);
    rmq_test_faketime_set(clock, "+0\n");
    assert_int_equal(ns_daemon_signal_and_wait(d, SIGTERM, 10000), 0);
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
    return cmocka_run_group_tests_name("namesrv-clock", tests, NULL, NULL);
}
