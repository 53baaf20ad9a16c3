/* The store with RmqLoopHooks (common/loop_hooks.h) instead of GSources of
 * its own, as the broker opens it with its poller's: flush completions (the
 * eventfd watch and the timeout timer) and the retention timer run through
 * the hooks. The hooks here are GSources on a private context the test
 * iterates, and count what the store asked of them; with no context given,
 * a completion that did not go through them would wait on the default
 * context, which nothing iterates. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <glib-unix.h>

#include "store/store.h"
#include "store-test-util.h"

/* --- hooks on a private context ------------------------------------------- */

static GMainContext *hook_ctx;
static guint watches_made, watches_freed, timers_made, timers_freed, watch_calls;

typedef struct {
    GSource *src;
    GSourceFunc func;
    gpointer data;
} HookWatch;

static gboolean
on_watch_fd(gint fd, GIOCondition cond, gpointer data)
{
    HookWatch *w = data;
    (void) fd;
    (void) cond;
    watch_calls++;
    w->func(w->data);
    return G_SOURCE_CONTINUE;
}

static gpointer
hook_fd_watch(int fd, GSourceFunc func, gpointer data)
{
    HookWatch *w = g_new0(HookWatch, 1);
    w->func = func;
    w->data = data;
    w->src = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_callback(w->src, (GSourceFunc) (void (*)(void)) on_watch_fd, w, NULL);
    g_source_attach(w->src, hook_ctx);
    watches_made++;
    return w;
}

static void
hook_fd_unwatch(gpointer watch)
{
    HookWatch *w = watch;
    g_source_destroy(w->src);
    g_source_unref(w->src);
    g_free(w);
    watches_freed++;
}

typedef struct {
    GSource base;
    GSourceFunc func;
    gpointer data;
    guint fired;
} HookTimer;

static gboolean
timer_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
    HookTimer *t = (HookTimer *) source;
    gint64 before = g_source_get_ready_time(source);
    (void) cb;
    (void) data;
    t->fired++;
    /* the hooks' contract: REMOVE disarms unless the callback set a new time */
    if (!t->func(t->data) && g_source_get_ready_time(source) == before)
        g_source_set_ready_time(source, -1);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = { .dispatch = timer_dispatch };
static GPtrArray *timers; /* HookTimer *, every one made */

static gpointer
hook_timer_new(GSourceFunc func, gpointer data)
{
    HookTimer *t = (HookTimer *) g_source_new(&timer_funcs, sizeof(HookTimer));
    t->func = func;
    t->data = data;
    g_source_set_ready_time(&t->base, -1);
    g_source_attach(&t->base, hook_ctx);
    g_ptr_array_add(timers, g_source_ref(&t->base));
    timers_made++;
    return t;
}

static void
hook_timer_set(gpointer timer, gint64 ready)
{
    g_source_set_ready_time(timer, ready);
}

static gint64
hook_timer_get(gpointer timer)
{
    return g_source_get_ready_time(timer);
}

static void
hook_timer_free(gpointer timer)
{
    g_source_destroy(timer);
    g_source_unref(timer);
    timers_freed++;
}

static const RmqLoopHooks hooks = {
    .fd_watch = hook_fd_watch,
    .fd_unwatch = hook_fd_unwatch,
    .timer_new = hook_timer_new,
    .timer_set_ready_time = hook_timer_set,
    .timer_get_ready_time = hook_timer_get,
    .timer_free = hook_timer_free,
};

/* --- fixture ---------------------------------------------------------------- */

typedef struct {
    char *dir;
    RmqStoreConfig config;
    RmqStore *store;
    gint hook_sleep_ms;
    guint done, ok, timeouts;
} Fixture;

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->dir = test_tmpdir();
    test_store_config(&f->config, f->dir);
    f->config.flush_disk_type = RMQ_STORE_FLUSH_SYNC;
    hook_ctx = g_main_context_new();
    timers = g_ptr_array_new_with_free_func((GDestroyNotify) g_source_unref);
    watches_made = watches_freed = timers_made = timers_freed = watch_calls = 0;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;
    rmq_store_close(f->store);
    /* everything the store made through the hooks it freed through them */
    assert_int_equal(watches_freed, watches_made);
    assert_int_equal(timers_freed, timers_made);
    g_ptr_array_unref(timers);
    g_main_context_unref(hook_ctx);
    test_rm_rf(f->dir);
    rmq_store_config_clear(&f->config);
    g_free(f->dir);
    g_free(f);
    return 0;
}

static void
open_store(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    f->store = rmq_store_open_full(&f->config, NULL, &hooks, &error);
    assert_no_gerror(error);
}

static void
slow_disk(gpointer data)
{
    Fixture *f = data;
    g_usleep((gulong) g_atomic_int_get(&f->hook_sleep_ms) * 1000);
}

static void
on_flushed(RmqPutStatus st, gpointer data)
{
    Fixture *f = data;
    f->done++;
    if (st == RMQ_PUT_OK)
        f->ok++;
    else if (st == RMQ_PUT_FLUSH_DISK_TIMEOUT)
        f->timeouts++;
}

static gint64
put_one(Fixture *f, guint i)
{
    TestMessage t;
    RmqPutResult r;
    test_message_fill(&t, "HookTopic", 0, i, 100);
    assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_OK);
    return rmq_put_result_end(&r);
}

static void
run_until(Fixture *f, guint want, gint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    while (f->done < want && g_get_monotonic_time() < deadline)
        g_main_context_iteration(hook_ctx, FALSE) || (g_usleep(1000), TRUE);
}

/* Group commit: the flush thread's eventfd wakes the hooks' watch. */
static void
test_completions_through_watch(void **state)
{
    Fixture *f = *state;
    open_store(f);
    assert_int_equal(watches_made, 1);
    for (guint i = 0; i < 8; i++)
        rmq_store_flush_async(f->store, put_one(f, i), on_flushed, f);
    assert_int_equal(f->done, 0); /* never from inside the request */
    run_until(f, 8, 5000);
    assert_int_equal(f->ok, 8);
    assert_true(watch_calls >= 1);
}

/* The requests of one loop turn go to the flush thread together, through a
 * hooks timer due at once: one fdatasync covers them all. */
static void
test_one_turn_one_flush_through_timer(void **state)
{
    Fixture *f = *state;
    open_store(f);
    guint64 rounds0 = rmq_store_flush_rounds(f->store);
    gint64 t0 = g_get_monotonic_time();
    for (guint i = 0; i < 8; i++) {
        rmq_store_flush_async(f->store, put_one(f, i), on_flushed, f);
        g_usleep(200); /* time enough for a woken flush thread to start */
    }
    gboolean quick = g_get_monotonic_time() - t0 < 8000; /* under the 10 ms safety tick */
    if (quick) /* nothing handed over before the loop ran */
        assert_int_equal(rmq_store_flush_rounds(f->store), rounds0);
    run_until(f, 8, 5000);
    assert_int_equal(f->ok, 8);
    guint fired = 0;
    for (guint i = 0; i < timers->len; i++)
        fired += ((HookTimer *) timers->pdata[i])->fired;
    assert_true(fired >= 1); /* handed over by the hooks' timer, not the flush thread's tick */
    if (quick)
        assert_int_equal(rmq_store_flush_rounds(f->store) - rounds0, 1);
    else
        print_message("puts took longer than the flush tick: round count not checked\n");
}

/* syncFlushTimeout: the hooks' timer answers a waiter the disk is too slow for. */
static void
test_timeout_through_timer(void **state)
{
    Fixture *f = *state;
    f->config.sync_flush_timeout = 50;
    open_store(f);
    f->hook_sleep_ms = 400;
    rmq_store_set_flush_hook(f->store, slow_disk, f);
    rmq_store_flush_async(f->store, put_one(f, 0), on_flushed, f);
    run_until(f, 1, 3000);
    assert_int_equal(f->timeouts, 1);
    guint fired = 0;
    for (guint i = 0; i < timers->len; i++)
        fired += ((HookTimer *) timers->pdata[i])->fired;
    assert_true(fired >= 1); /* the timeout came through the hooks' timer */
    f->hook_sleep_ms = 0;
}

/* Retention: a periodic timer of the hooks, re-armed after each run. */
static void
test_clean_timer(void **state)
{
    Fixture *f = *state;
    f->config.flush_disk_type = RMQ_STORE_FLUSH_ASYNC;
    f->config.clean_resource_interval = 20;
    open_store(f);
    HookTimer *clean = NULL;
    for (guint i = 0; i < timers->len; i++) {
        HookTimer *t = timers->pdata[i];
        if (g_source_get_ready_time(&t->base) > 0)
            clean = t; /* the only one armed: the flush timer waits for waiters */
    }
    assert_non_null(clean);
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (clean->fired < 3 && g_get_monotonic_time() < end)
        g_main_context_iteration(hook_ctx, TRUE);
    assert_true(clean->fired >= 3);
    assert_true(g_source_get_ready_time(&clean->base) > 0); /* still armed */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_completions_through_watch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_turn_one_flush_through_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_through_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_timer, setup, teardown),
    };
    return cmocka_run_group_tests_name("store-loop-hooks", tests, NULL, NULL);
}
