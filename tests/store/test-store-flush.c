#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store/store.h"
#include "store-test-util.h"

typedef struct {
    char *dir;
    RmqStoreConfig config;
    GMainContext *ctx;
    RmqStore *store;
    gint hook_sleep_ms;
    guint done;
    guint ok;
    guint timeouts;
    gint64 last_end;
    gboolean in_order;
    gint64 first_round_end;     /* commit log end when the first sync began (atomic) */
} Fixture;

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);

    f->dir = test_tmpdir();
    test_store_config(&f->config, f->dir);
    f->config.flush_disk_type = RMQ_STORE_FLUSH_SYNC;
    f->ctx = g_main_context_new();
    f->in_order = TRUE;
    *state = f;
    return 0;
}

static void
open_store(Fixture *f)
{
    g_autoptr(GError) error = NULL;

    f->store = rmq_store_open(&f->config, f->ctx, &error);
    assert_no_gerror(error);
}

static int
teardown(void **state)
{
    Fixture *f = *state;

    rmq_store_close(f->store);
    g_main_context_unref(f->ctx);
    test_rm_rf(f->dir);
    rmq_store_config_clear(&f->config);
    g_free(f->dir);
    g_free(f);
    return 0;
}

static void
slow_disk(gpointer data)
{
    Fixture *f = data;
    g_usleep((gulong) g_atomic_int_get(&f->hook_sleep_ms) * 1000);
}

static void
note_round(gpointer data)
{
    Fixture *f = data;
    gint64 zero = 0;
    __atomic_compare_exchange_n(&f->first_round_end, &zero,
                                rmq_store_get_max_phy_offset(f->store), FALSE,
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

typedef struct {
    Fixture *f;
    gint64 end;
} Pending;

static void
on_flushed(RmqPutStatus st, gpointer data)
{
    Pending *p = data;

    p->f->done++;
    if (st == RMQ_PUT_OK) {
        p->f->ok++;
        /* acknowledged means on disk */
        assert_true(rmq_store_flushed_offset(p->f->store) >= p->end);
    } else if (st == RMQ_PUT_FLUSH_DISK_TIMEOUT) {
        p->f->timeouts++;
    }
    if (p->end < p->f->last_end)
        p->f->in_order = FALSE;
    p->f->last_end = p->end;
    g_free(p);
}

static gint64
put_one(Fixture *f, guint i)
{
    TestMessage t;
    RmqPutResult r;

    test_message_fill(&t, "FlushTopic", (gint32) (i % 2), i, 200);
    assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_OK);
    return rmq_put_result_end(&r);
}

static void
run_until(Fixture *f, guint want, gint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

    while (f->done < want && g_get_monotonic_time() < deadline)
        g_main_context_iteration(f->ctx, FALSE) || (g_usleep(1000), TRUE);
}

static void
test_blocking_wait(void **state)
{
    Fixture *f = *state;
    gint64 end;

    open_store(f);
    end = put_one(f, 0);
    assert_int_equal(rmq_store_wait_flushed(f->store, end, -1), RMQ_PUT_OK);
    assert_true(rmq_store_flushed_offset(f->store) >= end);
}

static void
test_group_commit(void **state)
{
    Fixture *f = *state;
    guint64 rounds0;

    open_store(f);
    /* each fdatasync round takes ≥ 40 ms, so the 16 writers that arrive
     * while one runs must share the next */
    f->hook_sleep_ms = 40;
    rmq_store_set_flush_hook(f->store, slow_disk, f);
    rounds0 = rmq_store_flush_rounds(f->store);
    for (guint i = 0; i < 16; i++) {
        Pending *p = g_new(Pending, 1);
        p->f = f;
        p->end = put_one(f, i);
        rmq_store_flush_async(f->store, p->end, on_flushed, p);
    }
    assert_int_equal(f->done, 0);            /* never called from inside the request */
    run_until(f, 16, 5000);
    assert_int_equal(f->done, 16);
    assert_int_equal(f->ok, 16);
    assert_true(f->in_order);
    assert_true(rmq_store_flush_rounds(f->store) - rounds0 <= 4);
}

/* The requests of one loop turn reach the flush thread together, at the
 * end of the turn: the first fdatasync covers all of them (one started at
 * the first request would leave the others to a second). */
static void
test_one_turn_one_flush(void **state)
{
    Fixture *f = *state;
    guint64 rounds0;
    gint64 last = 0, t0;

    open_store(f);
    rmq_store_set_flush_hook(f->store, note_round, f);
    rounds0 = rmq_store_flush_rounds(f->store);
    t0 = g_get_monotonic_time();
    for (guint i = 0; i < 16; i++) {
        Pending *p = g_new(Pending, 1);
        p->f = f;
        p->end = last = put_one(f, i);
        rmq_store_flush_async(f->store, p->end, on_flushed, p);
        g_usleep(200);                 /* time enough for a woken flush thread to start */
    }
    gboolean quick = g_get_monotonic_time() - t0 < 8000; /* under the 10 ms safety tick */
    /* nothing was handed over yet: no round ran for these requests */
    if (quick)
        assert_int_equal(rmq_store_flush_rounds(f->store), rounds0);
    run_until(f, 16, 5000);
    assert_int_equal(f->ok, 16);
    assert_true(f->in_order);
    if (quick) {
        assert_true(__atomic_load_n(&f->first_round_end, __ATOMIC_SEQ_CST) >= last);
        assert_int_equal(rmq_store_flush_rounds(f->store) - rounds0, 1);
    } else {
        print_message("puts took longer than the flush tick: round count not checked\n");
    }
}

static void
test_already_flushed_is_async(void **state)
{
    Fixture *f = *state;
    Pending *p = g_new(Pending, 1);

    open_store(f);
    p->f = f;
    p->end = put_one(f, 0);
    assert_int_equal(rmq_store_wait_flushed(f->store, p->end, -1), RMQ_PUT_OK);
    rmq_store_flush_async(f->store, p->end, on_flushed, p);
    assert_int_equal(f->done, 0);
    run_until(f, 1, 2000);
    assert_int_equal(f->ok, 1);
}

static void
test_timeout(void **state)
{
    Fixture *f = *state;
    Pending *p = g_new(Pending, 1);
    g_autoptr(RmqGetResult) g = NULL;

    f->config.sync_flush_timeout = 50;
    open_store(f);
    f->hook_sleep_ms = 400;
    rmq_store_set_flush_hook(f->store, slow_disk, f);
    p->f = f;
    p->end = put_one(f, 0);
    rmq_store_flush_async(f->store, p->end, on_flushed, p);
    run_until(f, 1, 3000);
    assert_int_equal(f->timeouts, 1);
    assert_int_equal(rmq_store_wait_flushed(f->store, put_one(f, 1), 20), RMQ_PUT_FLUSH_DISK_TIMEOUT);
    /* the message is stored all the same */
    g = rmq_store_get_message(f->store, "FlushTopic", 0, 0, 1, NULL, NULL);
    assert_int_equal(g->status, RMQ_GET_FOUND);
    f->hook_sleep_ms = 0;
    assert_int_equal(rmq_store_wait_flushed(f->store, rmq_store_get_max_phy_offset(f->store), 3000),
                     RMQ_PUT_OK);
}

static void
test_async_flush_catches_up(void **state)
{
    Fixture *f = *state;
    gint64 deadline;

    f->config.flush_disk_type = RMQ_STORE_FLUSH_ASYNC;
    f->config.flush_interval_commit_log = 20;
    f->config.flush_commit_log_least_pages = 4;
    f->config.flush_commit_log_thorough_interval = 100;
    open_store(f);
    put_one(f, 0);                 /* well below 4 pages: only the thorough rule flushes it */
    deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (rmq_store_flushed_offset(f->store) < rmq_store_get_max_phy_offset(f->store) &&
           g_get_monotonic_time() < deadline)
        g_usleep(5000);
    assert_int_equal(rmq_store_flushed_offset(f->store), rmq_store_get_max_phy_offset(f->store));
    /* many pages: the interval rule flushes them without any request */
    for (guint i = 1; i < 200; i++)
        put_one(f, i);
    deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (rmq_store_flushed_offset(f->store) < rmq_store_get_max_phy_offset(f->store) &&
           g_get_monotonic_time() < deadline)
        g_usleep(5000);
    assert_int_equal(rmq_store_flushed_offset(f->store), rmq_store_get_max_phy_offset(f->store));
}

static void
test_no_context_uses_thread_default(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    Pending *p = g_new(Pending, 1);
    GMainContext *mine = g_main_context_new();
    gint64 deadline;

    /* opened without a context, asked from a thread whose default is `mine` */
    f->store = rmq_store_open(&f->config, NULL, &error);
    assert_no_gerror(error);
    g_main_context_push_thread_default(mine);
    p->f = f;
    p->end = put_one(f, 0);
    rmq_store_flush_async(f->store, p->end, on_flushed, p);
    deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (f->done < 1 && g_get_monotonic_time() < deadline)
        g_main_context_iteration(mine, TRUE);
    g_main_context_pop_thread_default(mine);
    assert_int_equal(f->ok, 1);
    rmq_store_close(f->store);
    f->store = NULL;
    g_main_context_unref(mine);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blocking_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_turn_one_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_already_flushed_is_async, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_flush_catches_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_context_uses_thread_default, setup, teardown),
    };
    return cmocka_run_group_tests_name("store-flush", tests, NULL, NULL);
}
