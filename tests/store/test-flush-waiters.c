/* The SYNC_FLUSH release rule of flush_waiters.h: which waiters a flushed
 * offset releases, and as what (durable or timed out). */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store/flush_waiters.h"

static void
noop_cb(RmqFlushStatus st, gpointer data)
{
    (void) st;
    (void) data;
}

static RmqFlushWaiter
waiter(gint64 offset, gint64 deadline)
{
    return (RmqFlushWaiter) { .offset = offset, .deadline = deadline, .cb = noop_cb };
}

static void
test_verdict(void **state)
{
    (void) state;
    RmqFlushWaiter w = waiter(1000, 500);

    /* covered: durable, even past its deadline or at shutdown */
    assert_int_equal(rmq_flush_waiter_verdict(&w, 1000, 0, FALSE), RMQ_FLUSH_WAITER_DURABLE);
    assert_int_equal(rmq_flush_waiter_verdict(&w, 4096, 900, TRUE), RMQ_FLUSH_WAITER_DURABLE);
    /* one byte short is never durable */
    assert_int_equal(rmq_flush_waiter_verdict(&w, 999, 0, FALSE), RMQ_FLUSH_WAITER_KEEP);
    assert_int_equal(rmq_flush_waiter_verdict(&w, 999, 499, FALSE), RMQ_FLUSH_WAITER_KEEP);
    assert_int_equal(rmq_flush_waiter_verdict(&w, 999, 500, FALSE), RMQ_FLUSH_WAITER_EXPIRED);
    assert_int_equal(rmq_flush_waiter_verdict(&w, 999, 0, TRUE), RMQ_FLUSH_WAITER_EXPIRED);
}

static void
test_releases_leading_covered_run(void **state)
{
    (void) state;
    RmqFlushWaiters q = { 0 };

    for (gint64 i = 1; i <= 10; i++) {
        RmqFlushWaiter w = waiter(i * 100, 1000000 + i);
        rmq_flush_waiters_push(&q, &w);
    }
    assert_int_equal(rmq_flush_waiters_releasable(&q, 0, 0, FALSE), 0);
    assert_int_equal(rmq_flush_waiters_releasable(&q, 99, 0, FALSE), 0);
    assert_int_equal(rmq_flush_waiters_releasable(&q, 100, 0, FALSE), 1);
    assert_int_equal(rmq_flush_waiters_releasable(&q, 450, 0, FALSE), 4);
    assert_int_equal(rmq_flush_waiters_releasable(&q, 1000, 0, FALSE), 10);
    /* past the deadlines of the first three only: those time out, the rest wait */
    assert_int_equal(rmq_flush_waiters_releasable(&q, 0, 1000003, FALSE), 3);
    /* shutdown answers every one */
    assert_int_equal(rmq_flush_waiters_releasable(&q, 0, 0, TRUE), 10);
    rmq_flush_waiters_clear(&q);
}

static void
test_ring_keeps_order_across_growth(void **state)
{
    (void) state;
    RmqFlushWaiters q = { 0 };
    RmqFlushWaiter out;
    gint64 next_in = 1, next_out = 1;

    /* interleave pushes and pops so the ring wraps, then grows while wrapped */
    for (guint round = 0; round < 40; round++) {
        for (guint i = 0; i < 7 + round; i++) {
            RmqFlushWaiter w = waiter(next_in++, 0);
            rmq_flush_waiters_push(&q, &w);
        }
        for (guint i = 0; i < 5 + round; i++) {
            assert_true(rmq_flush_waiters_pop(&q, &out));
            assert_int_equal(out.offset, next_out++);
        }
    }
    assert_int_equal(q.len, (guint) (next_in - next_out));
    assert_int_equal(rmq_flush_waiters_peek(&q)->offset, next_out);
    while (rmq_flush_waiters_pop(&q, &out))
        assert_int_equal(out.offset, next_out++);
    assert_int_equal(next_out, next_in);
    assert_null(rmq_flush_waiters_peek(&q));
    assert_false(rmq_flush_waiters_pop(&q, &out));
    rmq_flush_waiters_clear(&q);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict),
        cmocka_unit_test(test_releases_leading_covered_run),
        cmocka_unit_test(test_ring_keeps_order_across_growth),
    };
    return cmocka_run_group_tests_name("flush-waiters", tests, NULL, NULL);
}
