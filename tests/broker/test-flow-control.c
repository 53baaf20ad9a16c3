/* Send flow control as pure code (src/broker/flow_control.c): Java's
 * defaults, the queue capacity, the wait limit of the oldest queued send,
 * the page-cache busy check on a fake clock, and Java's remarks. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "broker/flow_control.h"

static void
test_java_defaults(void **state)
{
    (void) state;
    RmqFlowLimits l;
    rmq_flow_limits_init(&l);
    assert_int_equal(l.send_queue_capacity, 10000);
    assert_int_equal(l.wait_time_in_send_queue_ms, 200);
    assert_int_equal(l.os_page_cache_busy_timeout_ms, 1000);
    assert_true(l.fast_failure_enable);
    assert_true(l.write_buffer_max_bytes > 0);
    assert_true(l.write_stall_timeout_ms > 0);
}

static void
test_queue_capacity(void **state)
{
    (void) state;
    RmqFlowLimits l;
    rmq_flow_limits_init(&l);
    l.send_queue_capacity = 3;
    g_autoptr(RmqFlowControl) fc = rmq_flow_control_new();
    gchar *remark = NULL;
    assert_int_equal(rmq_flow_control_check_send(fc, &l, 2, 10, 1000, &remark), RMQ_FLOW_ADMIT);
    assert_null(remark);
    assert_int_equal(rmq_flow_control_check_send(fc, &l, 3, 10, 1000, &remark),
                     RMQ_FLOW_QUEUE_FULL);
    assert_string_equal(remark, "[OVERLOAD]system busy, start flow control for a while");
    g_free(remark);
    /* The capacity holds with fast failure off, as Java's bounded pool does. */
    l.fast_failure_enable = FALSE;
    assert_int_equal(rmq_flow_control_check_send(fc, &l, 4, 10, 1000, NULL), RMQ_FLOW_QUEUE_FULL);
    assert_int_equal(rmq_flow_control_refused(fc, RMQ_FLOW_QUEUE_FULL), 2);
    assert_int_equal(rmq_flow_control_refused(fc, RMQ_FLOW_QUEUE_TIMEOUT), 0);
}

static void
test_wait_in_queue(void **state)
{
    (void) state;
    RmqFlowLimits l;
    rmq_flow_limits_init(&l);
    g_autoptr(RmqFlowControl) fc = rmq_flow_control_new();
    gchar *remark = NULL;
    assert_int_equal(rmq_flow_control_check_send(fc, &l, 5, 199, 0, NULL), RMQ_FLOW_ADMIT);
    assert_int_equal(rmq_flow_control_check_send(fc, &l, 5, 200, 0, &remark),
                     RMQ_FLOW_QUEUE_TIMEOUT);
    assert_string_equal(remark, "[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a "
                                "while, period in queue: 200ms, size of queue: 5");
    g_free(remark);
    /* An empty queue has no oldest request, whatever is passed. */
    assert_int_equal(rmq_flow_control_check_send(fc, &l, 0, 5000, 0, NULL), RMQ_FLOW_ADMIT);
    l.fast_failure_enable = FALSE;
    assert_int_equal(rmq_flow_control_check_send(fc, &l, 5, 5000, 0, NULL), RMQ_FLOW_ADMIT);
}

static void
test_page_cache_busy(void **state)
{
    (void) state;
    RmqFlowLimits l;
    rmq_flow_limits_init(&l);
    g_autoptr(RmqFlowControl) fc = rmq_flow_control_new();
    gint64 t = 50000;
    assert_false(rmq_flow_control_page_cache_busy(fc, &l, t));

    /* A put of 900 ms is under the 1000 ms limit. */
    rmq_flow_control_put_begin(fc, t);
    assert_true(rmq_flow_control_put_open(fc));
    rmq_flow_control_put_begin(fc, t + 500); /* still the same batch */
    rmq_flow_control_put_end(fc, t + 900);
    assert_false(rmq_flow_control_put_open(fc));
    assert_false(rmq_flow_control_page_cache_busy(fc, &l, t + 900));

    /* Java's check while a put is open: more than the limit held. */
    t += 10000;
    rmq_flow_control_put_begin(fc, t);
    assert_false(rmq_flow_control_page_cache_busy(fc, &l, t + 1000));
    assert_true(rmq_flow_control_page_cache_busy(fc, &l, t + 1001));
    gchar *remark = NULL;
    assert_int_equal(rmq_flow_control_check_send(fc, &l, 0, 0, t + 1001, &remark),
                     RMQ_FLOW_PAGE_CACHE_BUSY);
    assert_string_equal(remark, "[PC_SYNCHRONIZED]broker busy, start flow control for a while");
    g_free(remark);

    /* It ended after 1500 ms: busy for as long again, then not. */
    rmq_flow_control_put_end(fc, t + 1500);
    assert_true(rmq_flow_control_page_cache_busy(fc, &l, t + 1500));
    assert_true(rmq_flow_control_page_cache_busy(fc, &l, t + 2999));
    assert_false(rmq_flow_control_page_cache_busy(fc, &l, t + 3000));
    assert_int_equal(rmq_flow_control_check_send(fc, &l, 0, 0, t + 3000, NULL), RMQ_FLOW_ADMIT);

    /* Fast failure off: no page-cache refusal. */
    rmq_flow_control_put_begin(fc, t + 4000);
    rmq_flow_control_put_end(fc, t + 6000);
    l.fast_failure_enable = FALSE;
    assert_int_equal(rmq_flow_control_check_send(fc, &l, 0, 0, t + 6001, NULL), RMQ_FLOW_ADMIT);
    l.fast_failure_enable = TRUE;
    assert_int_equal(rmq_flow_control_check_send(fc, &l, 0, 0, t + 6001, NULL),
                     RMQ_FLOW_PAGE_CACHE_BUSY);
    assert_int_equal(rmq_flow_control_refused(fc, RMQ_FLOW_PAGE_CACHE_BUSY), 2);

    /* Java's guard: a begin 10,000,000 ms back is a clock jump, not a busy disk. */
    g_autoptr(RmqFlowControl) jump = rmq_flow_control_new();
    rmq_flow_control_put_begin(jump, 0);
    assert_false(rmq_flow_control_page_cache_busy(jump, &l, 10000000));
    assert_true(rmq_flow_control_page_cache_busy(jump, &l, 9999999));
}

static void
test_zero_limits_are_off(void **state)
{
    (void) state;
    RmqFlowLimits l = { 0 };
    g_autoptr(RmqFlowControl) fc = rmq_flow_control_new();
    rmq_flow_control_put_begin(fc, 0);
    rmq_flow_control_put_end(fc, 5000);
    assert_int_equal(rmq_flow_control_check_send(fc, &l, 100000, 100000, 5001, NULL),
                     RMQ_FLOW_ADMIT);
    /* The reference the loop's end-of-batch source holds keeps it alive. */
    RmqFlowControl *held = rmq_flow_control_ref(fc);
    rmq_flow_control_free(held);
    assert_false(rmq_flow_control_put_open(fc));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_java_defaults),
        cmocka_unit_test(test_queue_capacity),
        cmocka_unit_test(test_wait_in_queue),
        cmocka_unit_test(test_page_cache_busy),
        cmocka_unit_test(test_zero_limits_are_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
