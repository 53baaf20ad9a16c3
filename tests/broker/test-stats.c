/* The statistics windows (src/broker/stats.c), on a fake clock, against
 * what Java's StatsItem.computeStatsData gives for the same samples. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "broker/stats.h"

static void
test_unknown_and_too_few_samples(void **state)
{
    (void) state;
    g_autoptr(RmqStatsTable) t = rmq_stats_table_new();
    RmqStatsSnapshot s;
    assert_false(rmq_stats_get(t, RMQ_STATS_TOPIC_PUT_NUMS, "T", RMQ_STATS_MINUTE, &s));
    rmq_stats_add(t, RMQ_STATS_TOPIC_PUT_NUMS, "T", 5);
    assert_true(rmq_stats_get(t, RMQ_STATS_TOPIC_PUT_NUMS, "T", RMQ_STATS_MINUTE, &s));
    assert_int_equal(s.sum, 0);
    rmq_stats_sample(t, RMQ_STATS_MINUTE, 10000);
    assert_true(rmq_stats_get(t, RMQ_STATS_TOPIC_PUT_NUMS, "T", RMQ_STATS_MINUTE, &s));
    assert_int_equal(s.sum, 0);
    assert_true(s.tps == 0.0);
}

/* Many items, adds interleaved across them (the table caches recent items
 * in a few slots: collisions, names of other lengths, keys too long to cache,
 * names passed from copies): every item sums exactly its own adds. */
static void
test_many_items_interleaved(void **state)
{
    (void) state;
    g_autoptr(RmqStatsTable) t = rmq_stats_table_new();
    static const gchar *const names[] = { RMQ_STATS_TOPIC_PUT_NUMS, RMQ_STATS_TOPIC_PUT_SIZE,
                                          RMQ_STATS_BROKER_PUT_NUMS };
    gchar long_key[300];
    memset(long_key, 'L', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    for (guint round = 0; round < 6; round++) {
        if (round == 1)
            rmq_stats_sample(t, RMQ_STATS_MINUTE, 0); /* round 0 created the items (adds of 0) */
        for (guint k = 0; k < 40; k++) {
            g_autofree gchar *key = k == 39 ? g_strdup(long_key) : g_strdup_printf("T%u", k);
            for (guint n = 0; n < G_N_ELEMENTS(names); n++) {
                g_autofree gchar *name = g_strdup(names[n]); /* not the literal */
                rmq_stats_add(t, round % 2 ? name : names[n], key,
                              round == 0 ? 0 : (gint64) (k * 10 + n + 1));
            }
        }
    }
    rmq_stats_sample(t, RMQ_STATS_MINUTE, 10000);
    for (guint k = 0; k < 40; k++) {
        g_autofree gchar *key = k == 39 ? g_strdup(long_key) : g_strdup_printf("T%u", k);
        for (guint n = 0; n < G_N_ELEMENTS(names); n++) {
            RmqStatsSnapshot s;
            assert_true(rmq_stats_get(t, names[n], key, RMQ_STATS_MINUTE, &s));
            assert_int_equal(s.sum, 5 * (gint64) (k * 10 + n + 1));
            assert_true(s.avgpt == (gdouble) (k * 10 + n + 1)); /* 5 calls each */
        }
    }
    RmqStatsSnapshot s;
    assert_false(rmq_stats_get(t, RMQ_STATS_TOPIC_PUT_NUMS, "T40", RMQ_STATS_MINUTE, &s));
}

static void
test_minute_window(void **state)
{
    (void) state;
    g_autoptr(RmqStatsTable) t = rmq_stats_table_new();
    rmq_stats_add(t, RMQ_STATS_GROUP_GET_NUMS, "T@G", 1);
    rmq_stats_sample(t, RMQ_STATS_MINUTE, 0);
    /* 3 pulls of 10, 20 and 30 messages in the next 10 s */
    rmq_stats_add(t, RMQ_STATS_GROUP_GET_NUMS, "T@G", 10);
    rmq_stats_add(t, RMQ_STATS_GROUP_GET_NUMS, "T@G", 20);
    rmq_stats_add(t, RMQ_STATS_GROUP_GET_NUMS, "T@G", 30);
    rmq_stats_sample(t, RMQ_STATS_MINUTE, 10000);
    RmqStatsSnapshot s;
    assert_true(rmq_stats_get(t, RMQ_STATS_GROUP_GET_NUMS, "T@G", RMQ_STATS_MINUTE, &s));
    assert_int_equal(s.sum, 60);
    assert_true(s.tps > 5.999 && s.tps < 6.001);
    assert_true(s.avgpt > 19.999 && s.avgpt < 20.001);
    /* other keys and windows are apart */
    assert_false(rmq_stats_get(t, RMQ_STATS_GROUP_GET_NUMS, "T@H", RMQ_STATS_MINUTE, &s));
    assert_true(rmq_stats_get(t, RMQ_STATS_GROUP_GET_NUMS, "T@G", RMQ_STATS_HOUR, &s));
    assert_int_equal(s.sum, 0);
}

static void
test_old_samples_leave(void **state)
{
    (void) state;
    g_autoptr(RmqStatsTable) t = rmq_stats_table_new();
    /* 100 at the start, then 1 per 10 s: after 8 samples the first (and its
     * 100) has left the 7-sample minute list */
    rmq_stats_add(t, RMQ_STATS_TOPIC_PUT_NUMS, "T", 100);
    for (gint i = 0; i < 8; i++) {
        rmq_stats_sample(t, RMQ_STATS_MINUTE, i * 10000);
        rmq_stats_add(t, RMQ_STATS_TOPIC_PUT_NUMS, "T", 1);
    }
    RmqStatsSnapshot s;
    assert_true(rmq_stats_get(t, RMQ_STATS_TOPIC_PUT_NUMS, "T", RMQ_STATS_MINUTE, &s));
    assert_int_equal(s.sum, 6);
    assert_true(s.tps > 0.0999 && s.tps < 0.1001);
    /* the day keeps 25 */
    for (gint i = 0; i < 30; i++)
        rmq_stats_sample(t, RMQ_STATS_DAY, (gint64) i * 3600000);
    assert_true(rmq_stats_get(t, RMQ_STATS_TOPIC_PUT_NUMS, "T", RMQ_STATS_DAY, &s));
    assert_int_equal(s.sum, 0);
    assert_true(s.tps == 0.0);
}

/* A handle (rmq_stats_item) adds to the same item as rmq_stats_add, stays
 * valid while other items are created, and a NULL table gives a NULL handle
 * that counts nothing. */
static void
test_item_handle(void **state)
{
    (void) state;
    g_autoptr(RmqStatsTable) t = rmq_stats_table_new();
    RmqStatsItem *h = rmq_stats_item(t, RMQ_STATS_TOPIC_PUT_NUMS, "T");
    assert_non_null(h);
    assert_ptr_equal(h, rmq_stats_item(t, RMQ_STATS_TOPIC_PUT_NUMS, "T"));
    assert_true(h != rmq_stats_item(t, RMQ_STATS_TOPIC_PUT_SIZE, "T"));
    rmq_stats_sample(t, RMQ_STATS_MINUTE, 0);
    rmq_stats_item_add(h, 3);
    for (gint i = 0; i < 200; i++) { /* new items grow the table meanwhile */
        g_autofree gchar *k = g_strdup_printf("K%d", i);
        rmq_stats_add(t, RMQ_STATS_TOPIC_PUT_NUMS, k, 1);
    }
    rmq_stats_add(t, RMQ_STATS_TOPIC_PUT_NUMS, "T", 4);
    rmq_stats_item_add(h, 5);
    rmq_stats_sample(t, RMQ_STATS_MINUTE, 10000);
    RmqStatsSnapshot s;
    assert_true(rmq_stats_get(t, RMQ_STATS_TOPIC_PUT_NUMS, "T", RMQ_STATS_MINUTE, &s));
    assert_int_equal(s.sum, 12);
    assert_true(s.avgpt > 3.999 && s.avgpt < 4.001); /* three calls */
    assert_true(rmq_stats_get(t, RMQ_STATS_TOPIC_PUT_SIZE, "T", RMQ_STATS_MINUTE, &s));
    assert_int_equal(s.sum, 0);
    assert_null(rmq_stats_item(NULL, RMQ_STATS_TOPIC_PUT_NUMS, "T"));
    rmq_stats_item_add(NULL, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_and_too_few_samples),
        cmocka_unit_test(test_many_items_interleaved),
        cmocka_unit_test(test_minute_window),
        cmocka_unit_test(test_old_samples_leave),
        cmocka_unit_test(test_item_handle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
