#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store/store.h"
#include "store-test-util.h"

#define N_MSGS 700

typedef struct {
    char *mdir, *sdir;
    RmqStoreConfig mconf, sconf;
    RmqStore *master, *slave;
} Fixture;

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    g_autoptr(GError) error = NULL;

    f->mdir = test_tmpdir();
    f->sdir = test_tmpdir();
    test_store_config(&f->mconf, f->mdir);
    test_store_config(&f->sconf, f->sdir);
    f->master = rmq_store_open(&f->mconf, NULL, &error);
    assert_no_gerror(error);
    f->slave = rmq_store_open(&f->sconf, NULL, &error);
    assert_no_gerror(error);
    for (guint i = 0; i < N_MSGS; i++) {
        TestMessage t;
        RmqPutResult r;
        test_message_fill(&t, i % 2 ? "HaA" : "HaB", (gint32) (i % 3), i, 700);
        assert_int_equal(rmq_store_put_message(f->master, &t.msg, &r), RMQ_PUT_OK);
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;

    rmq_store_close(f->master);
    rmq_store_close(f->slave);
    test_rm_rf(f->mdir);
    test_rm_rf(f->sdir);
    rmq_store_config_clear(&f->mconf);
    rmq_store_config_clear(&f->sconf);
    g_free(f->mdir);
    g_free(f->sdir);
    g_free(f);
    return 0;
}

/* Ships the master's log in random-sized pieces, as HA transfers do. */
static void
replicate(Fixture *f, GRand *rand)
{
    g_autoptr(GError) error = NULL;

    while (rmq_store_get_max_phy_offset(f->slave) < rmq_store_get_max_phy_offset(f->master)) {
        /* an empty slave starts at the master's oldest byte, as ha_master does */
        gint64 at = MAX(rmq_store_get_max_phy_offset(f->slave), rmq_store_get_min_phy_offset(f->master));
        g_autoptr(GBytes) b = rmq_store_get_commit_log_data(f->master, at, (gsize) g_rand_int_range(rand, 1, 9000));
        assert_non_null(b);
        assert_true(rmq_store_append_raw(f->slave, at, g_bytes_get_data(b, NULL), g_bytes_get_size(b), &error));
        assert_no_gerror(error);
    }
}

static void
assert_same_queues(RmqStore *a, RmqStore *b)
{
    const char *topics[] = { "HaA", "HaB" };

    for (guint t = 0; t < 2; t++)
        for (gint32 q = 0; q < 3; q++) {
            gint64 max = rmq_store_get_max_offset(a, topics[t], q);
            assert_true(max > 0);
            assert_int_equal(rmq_store_get_max_offset(b, topics[t], q), max);
            for (gint64 o = 0; o < max; o++) {
                g_autoptr(RmqGetResult) ga = rmq_store_get_message(a, topics[t], q, o, 1, NULL, NULL);
                g_autoptr(RmqGetResult) gb = rmq_store_get_message(b, topics[t], q, o, 1, NULL, NULL);
                assert_int_equal(gb->status, RMQ_GET_FOUND);
                assert_true(g_bytes_equal(ga->body, gb->body));
            }
        }
}

static void
test_replicate_in_pieces(void **state)
{
    Fixture *f = *state;
    g_autoptr(GRand) rand = g_rand_new_with_seed(99);
    g_autoptr(GError) error = NULL;
    TestMessage t;

    replicate(f, rand);
    assert_int_equal(rmq_store_get_max_phy_offset(f->slave), rmq_store_get_max_phy_offset(f->master));
    assert_same_queues(f->master, f->slave);
    test_message_fill(&t, "HaA", 1, 301, 700);
    {
        g_autoptr(RmqQueryResult) q = rmq_store_query_message(f->slave, "HaA", t.key, 4, 0, G_MAXINT64);
        assert_int_equal(q->count, 1);
    }
    /* more traffic, then a restart of the slave in between */
    for (guint i = N_MSGS; i < N_MSGS + 100; i++) {
        RmqPutResult r;
        test_message_fill(&t, i % 2 ? "HaA" : "HaB", (gint32) (i % 3), i, 700);
        assert_int_equal(rmq_store_put_message(f->master, &t.msg, &r), RMQ_PUT_OK);
    }
    rmq_store_close(f->slave);
    f->slave = rmq_store_open(&f->sconf, NULL, &error);
    assert_no_gerror(error);
    replicate(f, rand);
    assert_same_queues(f->master, f->slave);
}

static void
test_wrong_offset_refused(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = rmq_store_get_commit_log_data(f->master, 0, 100);
    guint8 junk[64];

    assert_false(rmq_store_append_raw(f->slave, 100, g_bytes_get_data(b, NULL), g_bytes_get_size(b), &error));
    assert_true(g_error_matches(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_INVALID));
    g_clear_error(&error);
    memset(junk, 0x77, sizeof junk);
    assert_false(rmq_store_append_raw(f->slave, 0, junk, sizeof junk, &error));
    assert_true(g_error_matches(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_CORRUPT));
    assert_null(rmq_store_get_commit_log_data(f->master, rmq_store_get_max_phy_offset(f->master), 10));
}

/* A master whose first commit-log files were deleted by retention: its
 * log, and every queue, begin past 0. */
static int
setup_trimmed(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    g_autoptr(GError) error = NULL;
    FakeClock *clock = g_new0(FakeClock, 1);

    f->mdir = test_tmpdir();
    f->sdir = test_tmpdir();
    test_store_config(&f->mconf, f->mdir);
    test_store_config(&f->sconf, f->sdir);
    /* a week from now: every closed file is past its reserved time */
    clock->now = g_get_real_time() / 1000 + 7 * 24 * 3600 * 1000LL;
    f->mconf.clock = fake_clock_read;
    f->mconf.clock_data = clock;
    f->mconf.file_reserved_time = 1;
    f->master = rmq_store_open(&f->mconf, NULL, &error);
    assert_no_gerror(error);
    f->slave = rmq_store_open(&f->sconf, NULL, &error);
    assert_no_gerror(error);
    for (guint i = 0; i < N_MSGS + 400; i++) {
        TestMessage t;
        RmqPutResult r;
        test_message_fill(&t, i % 2 ? "HaA" : "HaB", (gint32) (i % 3), i, 700);
        assert_int_equal(rmq_store_put_message(f->master, &t.msg, &r), RMQ_PUT_OK);
        if (i == N_MSGS)
            assert_true(rmq_store_clean_expired(f->master, TRUE) > 0);
    }
    *state = f;
    return 0;
}

static int
teardown_trimmed(void **state)
{
    Fixture *f = *state;
    gpointer clock = f->mconf.clock_data;

    teardown(state);
    g_free(clock);
    return 0;
}

static void
assert_same_log(RmqStore *a, RmqStore *b)
{
    gint64 at = rmq_store_get_min_phy_offset(a);
    gint64 end = rmq_store_get_max_phy_offset(a);

    assert_int_equal(rmq_store_get_min_phy_offset(b), at);
    assert_int_equal(rmq_store_get_max_phy_offset(b), end);
    while (at < end) {
        g_autoptr(GBytes) ba = rmq_store_get_commit_log_data(a, at, 1 << 20);
        g_autoptr(GBytes) bb = rmq_store_get_commit_log_data(b, at, 1 << 20);
        assert_non_null(ba);
        assert_non_null(bb);
        assert_true(g_bytes_equal(ba, bb));
        at += (gint64) g_bytes_get_size(ba);
    }
}

/* Same queue bounds and messages, where the queues begin past 0. */
static void
assert_same_trimmed_queues(RmqStore *a, RmqStore *b)
{
    const char *topics[] = { "HaA", "HaB" };
    gint64 log_min = rmq_store_get_min_phy_offset(b);

    for (guint t = 0; t < 2; t++)
        for (gint32 q = 0; q < 3; q++) {
            gint64 min = rmq_store_get_min_offset(a, topics[t], q);
            gint64 max = rmq_store_get_max_offset(a, topics[t], q);
            assert_true(min > 0);
            assert_true(max > min);
            assert_int_equal(rmq_store_get_min_offset(b, topics[t], q), min);
            assert_int_equal(rmq_store_get_max_offset(b, topics[t], q), max);
            /* the min is a real unit, below it only fillers or nothing */
            assert_true(rmq_store_get_commit_log_offset(b, topics[t], q, min) >= log_min);
            {
                g_autoptr(RmqGetResult) g = rmq_store_get_message(b, topics[t], q, min - 1, 1, NULL, NULL);
                assert_int_equal(g->status, RMQ_GET_OFFSET_TOO_SMALL);
                assert_int_equal(g->next_begin_offset, min);
            }
            for (gint64 o = min; o < max; o++) {
                g_autoptr(RmqGetResult) ga = rmq_store_get_message(a, topics[t], q, o, 1, NULL, NULL);
                g_autoptr(RmqGetResult) gb = rmq_store_get_message(b, topics[t], q, o, 1, NULL, NULL);
                assert_int_equal(ga->status, RMQ_GET_FOUND);
                assert_int_equal(gb->status, RMQ_GET_FOUND);
                assert_true(g_bytes_equal(ga->body, gb->body));
            }
        }
}

static void
reopen_slave(Fixture *f, gboolean crash)
{
    g_autoptr(GError) error = NULL;

    rmq_store_close(f->slave);
    if (crash) {
        g_autofree char *abort_path = g_build_filename(f->sdir, "abort", NULL);
        assert_true(g_file_set_contents(abort_path, "", 0, NULL));
    }
    f->slave = rmq_store_open(&f->sconf, NULL, &error);
    assert_no_gerror(error);
    assert_int_equal(rmq_store_was_abnormal(f->slave), crash);
}

static void
test_empty_slave_starts_mid_log(void **state)
{
    Fixture *f = *state;
    g_autoptr(GRand) rand = g_rand_new_with_seed(7);
    g_autoptr(GError) error = NULL;
    gint64 first = rmq_store_get_min_phy_offset(f->master);
    gint64 file_size = f->mconf.mapped_file_size_commit_log;

    assert_true(first > 0);
    assert_int_equal(first % file_size, 0);
    assert_true(rmq_store_get_max_phy_offset(f->master) > first + 2 * file_size);

    /* a first offset that is no file start is refused, the slave stays empty */
    {
        g_autoptr(GBytes) b = rmq_store_get_commit_log_data(f->master, first, 8);
        gint32 len;
        assert_non_null(b);
        memcpy(&len, g_bytes_get_data(b, NULL), 4);
        len = (gint32) GUINT32_FROM_BE((guint32) len);
        g_autoptr(GBytes) next = rmq_store_get_commit_log_data(f->master, first + len, 4096);
        assert_non_null(next);
        assert_false(rmq_store_append_raw(f->slave, first + len, g_bytes_get_data(next, NULL),
                                          g_bytes_get_size(next), &error));
        assert_true(g_error_matches(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_INVALID));
        g_clear_error(&error);
        assert_int_equal(rmq_store_get_max_phy_offset(f->slave), 0);
        assert_int_equal(rmq_store_get_min_phy_offset(f->slave), 0);
    }

    replicate(f, rand);
    assert_same_log(f->master, f->slave);
    assert_same_trimmed_queues(f->master, f->slave);

    reopen_slave(f, FALSE);
    assert_same_log(f->master, f->slave);
    assert_same_trimmed_queues(f->master, f->slave);

    /* more traffic, then a crash: recovery finds the same log and queues */
    for (guint i = N_MSGS + 400; i < N_MSGS + 500; i++) {
        TestMessage t;
        RmqPutResult r;
        test_message_fill(&t, i % 2 ? "HaA" : "HaB", (gint32) (i % 3), i, 700);
        assert_int_equal(rmq_store_put_message(f->master, &t.msg, &r), RMQ_PUT_OK);
    }
    replicate(f, rand);
    reopen_slave(f, TRUE);
    assert_same_log(f->master, f->slave);
    assert_same_trimmed_queues(f->master, f->slave);

    /* a non-empty slave still takes only its own end */
    {
        g_autoptr(GBytes) b = rmq_store_get_commit_log_data(f->master, first, 100);
        assert_false(rmq_store_append_raw(f->slave, first, g_bytes_get_data(b, NULL),
                                          g_bytes_get_size(b), &error));
        assert_true(g_error_matches(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_INVALID));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replicate_in_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_offset_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_slave_starts_mid_log, setup_trimmed,
                                        teardown_trimmed),
    };
    return cmocka_run_group_tests_name("store-ha", tests, NULL, NULL);
}
