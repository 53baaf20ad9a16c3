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
        gint64 at = rmq_store_get_max_phy_offset(f->slave);
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replicate_in_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_offset_refused, setup, teardown),
    };
    return cmocka_run_group_tests_name("store-ha", tests, NULL, NULL);
}
