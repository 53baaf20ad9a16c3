#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "store-test-util.h"

#define FILE_SIZE (64 * 1024)
#define N_MSGS 1000

typedef struct {
    char *dir;
    RmqStoreConfig config;
    FakeClock clock;
    RmqStore *store;
    gint64 phys[N_MSGS];
    gint64 qoff[N_MSGS];
    gboolean mounted;
} Fixture;

static gint64
local_ms(int hour, int minute)
{
    g_autoptr(GDateTime) dt = g_date_time_new_local(2026, 1, 10, hour, minute, 0);
    return g_date_time_to_unix(dt) * 1000;
}

static void
msg_for(TestMessage *t, guint i)
{
    test_message_fill(t, i % 2 ? "RetB" : "RetA", (gint32) ((i / 2) % 2), i, 600);
}

static RmqStore *
open_store(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    RmqStore *s = rmq_store_open(&f->config, NULL, &error);

    assert_no_gerror(error);
    return s;
}

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);

    f->dir = test_tmpdir();
    test_store_config(&f->config, f->dir);
    g_free(f->config.delete_when);
    f->config.delete_when = g_strdup("04;05");
    f->config.file_reserved_time = 1;
    f->clock.now = local_ms(3, 30);
    f->config.clock = fake_clock_read;
    f->config.clock_data = &f->clock;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;

    rmq_store_close(f->store);
    if (f->mounted)
        umount2(f->dir, MNT_DETACH);
    test_rm_rf(f->dir);
    rmq_store_config_clear(&f->config);
    g_free(f->dir);
    g_free(f);
    return 0;
}

static void
fill(Fixture *f, guint n)
{
    for (guint i = 0; i < n; i++) {
        TestMessage t;
        RmqPutResult r;
        msg_for(&t, i);
        assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_OK);
        f->phys[i] = r.physical_offset;
        f->qoff[i] = r.queue_offset;
    }
}

static char *
log_path(Fixture *f, gint64 start)
{
    g_autofree char *name = g_strdup_printf("%020" G_GINT64_FORMAT, start);
    return g_build_filename(f->dir, "commitlog", name, NULL);
}

static void
set_mtime(Fixture *f, gint64 start, gint64 ms)
{
    g_autofree char *path = log_path(f, start);
    struct timespec ts[2] = { { ms / 1000, 0 }, { ms / 1000, 0 } };

    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* Expected queue minimum: the first message of the queue still in the log. */
static gint64
expected_min(Fixture *f, const char *topic, gint32 q, gint64 min_phy)
{
    for (guint i = 0; i < N_MSGS; i++) {
        TestMessage t;
        msg_for(&t, i);
        if (g_str_equal(t.topic, topic) && t.msg.queue_id == q && f->phys[i] >= min_phy)
            return f->qoff[i];
    }
    return -1;
}

static void
test_delete_at_configured_hour(void **state)
{
    Fixture *f = *state;
    gint64 nfiles, min_phy;
    const char *topics[] = { "RetA", "RetB" };

    f->store = open_store(f);
    fill(f, N_MSGS);
    nfiles = rmq_store_get_max_phy_offset(f->store) / FILE_SIZE + 1;
    assert_true(nfiles >= 6);
    for (gint64 k = 0; k < nfiles; k++)
        set_mtime(f, k * FILE_SIZE, k < 3 ? local_ms(2, 0) : local_ms(4, 30));

    if (rmq_store_disk_usage(f->store) > f->config.disk_max_used_space_ratio)
        skip();      /* the real disk is too full to test the hour rule */
    /* 03:30 is not a deletion hour: nothing goes */
    assert_int_equal(rmq_store_clean_expired(f->store, FALSE), 0);
    assert_int_equal(rmq_store_get_min_phy_offset(f->store), 0);

    /* 04:10: exactly the three files older than one hour go */
    f->clock.now = local_ms(4, 10);
    assert_int_equal(rmq_store_clean_expired(f->store, FALSE), 3);
    for (gint64 k = 0; k < nfiles; k++) {
        g_autofree char *p = log_path(f, k * FILE_SIZE);
        assert_int_equal(g_file_test(p, G_FILE_TEST_EXISTS), k >= 3);
    }
    min_phy = rmq_store_get_min_phy_offset(f->store);
    assert_int_equal(min_phy, 3 * FILE_SIZE);

    /* queue minimums advanced to the first surviving message */
    for (guint t = 0; t < 2; t++)
        for (gint32 q = 0; q < 2; q++) {
            gint64 want = expected_min(f, topics[t], q, min_phy);
            g_autoptr(RmqGetResult) g = NULL, g2 = NULL;
            assert_int_equal(rmq_store_get_min_offset(f->store, topics[t], q), want);
            g = rmq_store_get_message(f->store, topics[t], q, 0, 4, NULL, NULL);
            assert_int_equal(g->status, RMQ_GET_OFFSET_TOO_SMALL);
            assert_int_equal(g->next_begin_offset, want);
            g2 = rmq_store_get_message(f->store, topics[t], q, want, 4, NULL, NULL);
            assert_int_equal(g2->status, RMQ_GET_FOUND);
        }
    {
        TestMessage t;
        g_autoptr(RmqQueryResult) gone = NULL;
        msg_for(&t, 0);
        gone = rmq_store_query_message(f->store, t.topic, t.key, 4, 0, G_MAXINT64);
        assert_int_equal(gone->count, 0);
    }
    /* 05:00: the rest is younger than an hour */
    f->clock.now = local_ms(5, 0);
    assert_int_equal(rmq_store_clean_expired(f->store, FALSE), 0);

    /* the minimums survive a restart */
    rmq_store_close(f->store);
    f->store = open_store(f);
    assert_int_equal(rmq_store_get_min_phy_offset(f->store), min_phy);
    assert_int_equal(rmq_store_get_min_offset(f->store, "RetA", 0), expected_min(f, "RetA", 0, min_phy));

    /* everything old and a manual request: all but the file being written */
    for (gint64 k = 3; k < nfiles; k++)
        set_mtime(f, k * FILE_SIZE, local_ms(1, 0));
    assert_int_equal(rmq_store_clean_expired(f->store, TRUE), nfiles - 4);
    assert_int_equal(rmq_store_get_min_phy_offset(f->store), (nfiles - 1) * FILE_SIZE);
}

/* rmq_store_reconfigure (SIGHUP, UPDATE_BROKER_CONFIG): deleteWhen,
 * fileReservedTime and maxMessageSize take effect on the open store. */
static void
test_reconfigure(void **state)
{
    Fixture *f = *state;
    gint64 nfiles;

    f->store = open_store(f);
    fill(f, N_MSGS);
    nfiles = rmq_store_get_max_phy_offset(f->store) / FILE_SIZE + 1;
    for (gint64 k = 0; k < nfiles; k++)
        set_mtime(f, k * FILE_SIZE, k < 3 ? local_ms(2, 0) : local_ms(4, 30));
    if (rmq_store_disk_usage(f->store) > f->config.disk_max_used_space_ratio)
        skip();      /* the real disk is too full to test the hour rule */

    /* 03:30 is not a deletion hour ("04;05") */
    assert_int_equal(rmq_store_clean_expired(f->store, FALSE), 0);

    /* now it is, but the files must be 48 hours old */
    RmqStoreConfig c;
    rmq_store_config_copy(&c, rmq_store_get_config(f->store));
    g_free(c.delete_when);
    c.delete_when = g_strdup("03");
    c.file_reserved_time = 48;
    rmq_store_reconfigure(f->store, &c);
    assert_string_equal(rmq_store_get_config(f->store)->delete_when, "03");
    assert_int_equal(rmq_store_clean_expired(f->store, FALSE), 0);

    /* one hour: the three files written at 02:00 go */
    c.file_reserved_time = 1;
    rmq_store_reconfigure(f->store, &c);
    assert_int_equal(rmq_store_clean_expired(f->store, FALSE), 3);
    assert_int_equal(rmq_store_get_min_phy_offset(f->store), 3 * FILE_SIZE);

    /* a smaller maxMessageSize refuses the 600-byte bodies of msg_for */
    TestMessage t;
    RmqPutResult r;
    msg_for(&t, 0);
    assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_OK);
    c.max_message_size = 100;
    rmq_store_reconfigure(f->store, &c);
    assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_MESSAGE_ILLEGAL);
    rmq_store_config_clear(&c);
}

static void
test_timer_on_main_context(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    GMainContext *ctx = g_main_context_new();
    gint64 nfiles, deadline;

    f->config.clean_resource_interval = 20;
    f->clock.now = local_ms(4, 10);            /* a deletion hour */
    f->store = rmq_store_open(&f->config, ctx, &error);
    assert_no_gerror(error);
    fill(f, 400);
    nfiles = rmq_store_get_max_phy_offset(f->store) / FILE_SIZE + 1;
    assert_true(nfiles >= 3);
    for (gint64 k = 0; k < nfiles; k++)
        set_mtime(f, k * FILE_SIZE, k < 2 ? local_ms(1, 0) : local_ms(4, 30));
    if (rmq_store_disk_usage(f->store) > f->config.disk_max_used_space_ratio)
        skip();
    /* nobody calls clean: the store's own timer on ctx does */
    deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (rmq_store_get_min_phy_offset(f->store) == 0 && g_get_monotonic_time() < deadline)
        g_main_context_iteration(ctx, TRUE);
    assert_int_equal(rmq_store_get_min_phy_offset(f->store), 2 * FILE_SIZE);
    rmq_store_close(f->store);
    f->store = NULL;
    g_main_context_unref(ctx);
}

static void
test_full_filesystem(void **state)
{
    Fixture *f = *state;
    guint ok = 0;
    RmqPutStatus st = RMQ_PUT_OK;
    gint64 min_after;

    if (geteuid() != 0) {
        print_message("# skipped: mounting a small tmpfs needs root\n");
        skip();
    }
    if (mount("tmpfs", f->dir, "tmpfs", 0, "size=2m") != 0) {
        print_message("# skipped: cannot mount tmpfs: %s\n", g_strerror(errno));
        skip();
    }
    f->mounted = TRUE;
    f->config.mapped_file_size_commit_log = 128 * 1024;
    f->config.mapped_file_size_consume_queue = 64 * 20;
    f->config.max_hash_slot_num = 256;
    f->config.max_index_num = 4096;
    f->config.disk_space_warning_level_ratio = 101;    /* let it hit ENOSPC */
    f->store = open_store(f);

    for (guint i = 0; i < N_MSGS * 10 && st == RMQ_PUT_OK; i++) {
        TestMessage t;
        RmqPutResult r;
        test_message_fill(&t, "FullTopic", (gint32) (i % 2), i, 900);
        st = rmq_store_put_message(f->store, &t.msg, &r);
        if (st == RMQ_PUT_OK)
            ok++;
    }
    assert_int_equal(st, RMQ_PUT_DISK_FULL);
    assert_true(ok > 100);
    {
        TestMessage t;
        RmqPutResult r;
        test_message_fill(&t, "FullTopic", 0, 999999, 10);
        assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_DISK_FULL);
    }
    /* what was stored reads back intact, before and after a restart */
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < ok; i++) {
            TestMessage t;
            g_autoptr(RmqGetResult) g = NULL;
            test_message_fill(&t, "FullTopic", (gint32) (i % 2), i, 900);
            g = rmq_store_get_message(f->store, "FullTopic", (gint32) (i % 2), i / 2, 1, NULL, NULL);
            assert_int_equal(g->status, RMQ_GET_FOUND);
            assert_true(test_message_matches(&t, g_bytes_get_data(g->body, NULL), g_bytes_get_size(g->body)));
        }
        assert_int_equal(rmq_store_get_max_offset(f->store, "FullTopic", 0) +
                         rmq_store_get_max_offset(f->store, "FullTopic", 1), ok);
        rmq_store_close(f->store);
        /* second open: the usage ratio alone refuses appends */
        f->config.disk_space_warning_level_ratio = 90;
        f->store = open_store(f);
        assert_false(rmq_store_was_abnormal(f->store));
    }
    assert_true(rmq_store_is_disk_full(f->store));
    {
        TestMessage t;
        RmqPutResult r;
        test_message_fill(&t, "FullTopic", 0, 999999, 10);
        assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_DISK_FULL);
    }
    /* above diskMaxUsedSpaceRatio and the forcible ratio, the oldest files
     * go whatever their age and hour; appends resume */
    assert_true(rmq_store_clean_expired(f->store, FALSE) > 0);
    assert_false(rmq_store_is_disk_full(f->store));
    min_after = rmq_store_get_min_phy_offset(f->store);
    assert_true(min_after > 0);
    {
        TestMessage t;
        RmqPutResult r;
        test_message_fill(&t, "FullTopic", (gint32) (ok % 2), ok, 900);
        assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_OK);
        assert_int_equal(r.queue_offset, ok / 2);
    }
    /* survivors still intact */
    for (gint32 q = 0; q < 2; q++) {
        gint64 min = rmq_store_get_min_offset(f->store, "FullTopic", q);
        for (gint64 o = min; o < (gint64) ok / 2; o++) {
            TestMessage t;
            guint i = (guint) (o * 2 + q);
            g_autoptr(RmqGetResult) g = NULL;
            test_message_fill(&t, "FullTopic", q, i, 900);
            g = rmq_store_get_message(f->store, "FullTopic", q, o, 1, NULL, NULL);
            assert_int_equal(g->status, RMQ_GET_FOUND);
            assert_true(test_message_matches(&t, g_bytes_get_data(g->body, NULL), g_bytes_get_size(g->body)));
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_delete_at_configured_hour, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconfigure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_on_main_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_filesystem, setup, teardown),
    };
    return cmocka_run_group_tests_name("store-retention", tests, NULL, NULL);
}
