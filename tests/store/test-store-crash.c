#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "store-test-util.h"

#define CRASH_QUEUES 4

static char *helper_path;

typedef struct {
    char *dir;
    GHashTable *acked;      /* sequence → physical offset (gint64 boxed) */
    GRand *rand;
} Fixture;

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);

    f->dir = test_tmpdir();
    f->acked = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    f->rand = g_rand_new_with_seed(20261126);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;

    test_rm_rf(f->dir);
    g_hash_table_unref(f->acked);
    g_rand_free(f->rand);
    g_free(f->dir);
    g_free(f);
    return 0;
}

static void
parse_lines(Fixture *f, GString *buf, gboolean final)
{
    char *nl;

    while ((nl = memchr(buf->str, '\n', buf->len)) != NULL) {
        guint64 seq;
        gint64 phy;
        *nl = '\0';
        if (sscanf(buf->str, "%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT, &seq, &phy) == 2) {
            gint64 *k = g_new(gint64, 1), *v = g_new(gint64, 1);
            *k = (gint64) seq;
            *v = phy;
            g_hash_table_insert(f->acked, k, v);
        }
        g_string_erase(buf, 0, nl - buf->str + 1);
    }
    (void) final;       /* a partial last line was never acknowledged */
}

/* Runs the helper for a random time, kills it with SIGKILL, and collects
 * everything it acknowledged before dying. */
static void
run_and_kill(Fixture *f, const char *mode, gint min_ms, gint max_ms)
{
    const char *argv[] = { helper_path, f->dir, mode, "100000000", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) buf = g_string_new(NULL);
    GPid pid;
    gint out_fd, status;
    gint64 kill_at = 0;
    gboolean started = FALSE;

    assert_true(g_spawn_async_with_pipes(NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                         NULL, NULL, &pid, NULL, &out_fd, NULL, &error));
    for (;;) {
        struct pollfd p = { out_fd, POLLIN, 0 };
        char tmp[4096];
        ssize_t n;
        gint64 now = g_get_monotonic_time();
        int wait_ms = 100;

        if (started && kill_at == 0)
            kill_at = now + g_rand_int_range(f->rand, min_ms, max_ms) * 1000;
        if (kill_at != 0) {
            if (now >= kill_at) {
                kill(pid, SIGKILL);
                kill_at = G_MAXINT64;
            } else if (kill_at != G_MAXINT64) {
                wait_ms = (int) ((kill_at - now) / 1000) + 1;
            }
        }
        if (poll(&p, 1, wait_ms) < 0 && errno != EINTR)
            fail_msg("poll: %s", g_strerror(errno));
        if (!(p.revents & (POLLIN | POLLHUP)))
            continue;
        n = read(out_fd, tmp, sizeof tmp);
        if (n <= 0)
            break;
        g_string_append_len(buf, tmp, n);
        if (!started && strstr(buf->str, "start ") && strchr(buf->str, '\n'))
            started = TRUE;        /* the clock starts once the store is open */
        parse_lines(f, buf, FALSE);
    }
    close(out_fd);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    g_spawn_close_pid(pid);
}


/* Same geometry as the helper. */
static void
helper_config(RmqStoreConfig *c, const char *dir, gboolean sync)
{
    test_store_config(c, dir);
    c->mapped_file_size_commit_log = 256 * 1024;
    c->mapped_file_size_consume_queue = 100 * 20;
    c->flush_disk_type = sync ? RMQ_STORE_FLUSH_SYNC : RMQ_STORE_FLUSH_ASYNC;
}

static void
verify(Fixture *f, gboolean sync)
{
    g_autoptr(GError) error = NULL;
    RmqStoreConfig c;
    RmqStore *s;
    GHashTableIter it;
    gpointer k, v;
    guint64 total = 0;

    helper_config(&c, f->dir, sync);
    s = rmq_store_open(&c, NULL, &error);
    assert_no_gerror(error);
    assert_true(rmq_store_was_abnormal(s));
    for (gint32 q = 0; q < CRASH_QUEUES; q++)
        total += (guint64) rmq_store_get_max_offset(s, "CrashTopic", q);
    /* every acknowledged message is there, bit for bit, where it was acked */
    g_hash_table_iter_init(&it, f->acked);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        guint seq = (guint) *(gint64 *) k;
        TestMessage t;
        g_autoptr(GBytes) b = rmq_store_look_message_by_offset(s, *(gint64 *) v);
        g_autoptr(RmqGetResult) g = NULL;
        test_message_fill(&t, "CrashTopic", (gint32) (seq % CRASH_QUEUES), seq, 900);
        assert_true(seq < total);
        assert_non_null(b);
        assert_true(test_message_matches(&t, g_bytes_get_data(b, NULL), g_bytes_get_size(b)));
        g = rmq_store_get_message(s, "CrashTopic", t.msg.queue_id, seq / CRASH_QUEUES, 1, NULL, NULL);
        assert_int_equal(g->status, RMQ_GET_FOUND);
        assert_true(g_bytes_equal(g->body, b));
    }
    /* and nothing that survived is corrupt: every stored message is the
     * one its sequence number says, through its queue */
    for (guint64 seq = 0; seq < total; seq++) {
        TestMessage t;
        g_autoptr(RmqGetResult) g = NULL;
        test_message_fill(&t, "CrashTopic", (gint32) (seq % CRASH_QUEUES), (guint) seq, 900);
        g = rmq_store_get_message(s, "CrashTopic", t.msg.queue_id, (gint64) (seq / CRASH_QUEUES), 1, NULL, NULL);
        assert_int_equal(g->status, RMQ_GET_FOUND);
        assert_true(test_message_matches(&t, g_bytes_get_data(g->body, NULL), g_bytes_get_size(g->body)));
    }
    rmq_store_close(s);
    /* make the helper recover abnormally too, exercising that path each round */
    {
        g_autofree char *abort_path = g_build_filename(f->dir, "abort", NULL);
        assert_true(g_file_set_contents(abort_path, "", 0, NULL));
    }
    rmq_store_config_clear(&c);
}

static void
crash_loop(Fixture *f, const char *mode, guint rounds, gint min_ms, gint max_ms)
{
    gboolean sync = g_str_equal(mode, "sync");

    for (guint r = 0; r < rounds; r++) {
        run_and_kill(f, mode, min_ms, max_ms);
        verify(f, sync);
    }
    assert_true(g_hash_table_size(f->acked) > rounds);
    print_message("# %s: %u acknowledged messages verified over %u kills\n", mode,
                  g_hash_table_size(f->acked), rounds);
}

static void
test_sigkill_sync_flush(void **state)
{
    crash_loop(*state, "sync", 15, 20, 200);
}

static void
test_sigkill_async_flush(void **state)
{
    crash_loop(*state, "async", 8, 5, 100);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sigkill_sync_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigkill_async_flush, setup, teardown),
    };
    g_autofree char *dir = g_path_get_dirname(argv[0]);

    helper_path = g_build_filename(dir, "store-crash-helper", NULL);
    return cmocka_run_group_tests_name("store-crash", tests, NULL, NULL);
}
