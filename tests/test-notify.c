/* sd_notify wrapper: what systemd receives for ready, status, reload, stop
 * and the watchdog, read from a real notify socket. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "common/notify.h"
#include "support/notify-listener.h"

static int
setup(void **state)
{
    *state = rmq_notify_listener_new();
    return 0;
}

static int
teardown(void **state)
{
    rmq_notify_listener_free(*state);
    g_unsetenv("WATCHDOG_USEC");
    g_unsetenv("WATCHDOG_PID");
    return 0;
}

static void
test_ready_carries_status(void **state)
{
    rmq_notify_ready("serving 3 brokers");
    g_autofree gchar *msg = rmq_notify_listener_next(*state, 1000);
    assert_non_null(msg);
    assert_string_equal(msg, "READY=1\nSTATUS=serving 3 brokers");
}

static void
test_status_is_one_line(void **state)
{
    rmq_notify_status("two\nlines");
    g_autofree gchar *msg = rmq_notify_listener_next(*state, 1000);
    assert_string_equal(msg, "STATUS=two lines");
}

static void
test_reloading_has_monotonic_time(void **state)
{
    rmq_notify_reloading();
    g_autofree gchar *msg = rmq_notify_listener_next(*state, 1000);
    assert_non_null(msg);
    assert_true(g_str_has_prefix(msg, "RELOADING=1\nMONOTONIC_USEC="));
    guint64 usec = g_ascii_strtoull(strstr(msg, "MONOTONIC_USEC=") + 15, NULL, 10);
    assert_true(usec > 0);
}

static void
test_stopping(void **state)
{
    rmq_notify_stopping("flushing");
    g_autofree gchar *msg = rmq_notify_listener_next(*state, 1000);
    assert_string_equal(msg, "STOPPING=1\nSTATUS=flushing");
}

static gboolean
quit_loop(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void
test_watchdog_pings_from_the_loop(void **state)
{
    g_autofree gchar *pid = g_strdup_printf("%d", (int) getpid());
    g_setenv("WATCHDOG_PID", pid, TRUE);
    g_setenv("WATCHDOG_USEC", "100000", TRUE); /* 100 ms: pings every 50 ms */
    guint id = rmq_notify_watchdog_start();
    assert_int_not_equal(id, 0);
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_timeout_add(260, quit_loop, loop);
    g_main_loop_run(loop);
    g_source_remove(id);

    int pings = 0;
    gchar *msg;
    while ((msg = rmq_notify_listener_next(*state, 0))) {
        assert_string_equal(msg, "WATCHDOG=1");
        pings++;
        g_free(msg);
    }
    /* one at start plus one per 50 ms tick */
    assert_true(pings >= 3);
}

static void
test_no_watchdog_without_systemd(void **state)
{
    g_unsetenv("WATCHDOG_USEC");
    assert_int_equal(rmq_notify_watchdog_start(), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ready_carries_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_is_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reloading_has_monotonic_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stopping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watchdog_pings_from_the_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_watchdog_without_systemd, setup, teardown),
    };
    return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
