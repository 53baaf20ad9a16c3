/* The store's running figures (src/broker/store_stats.c) on a fake clock,
 * against what Java's StoreStatsService and BrokerStats give for the same
 * sequence of puts, gets and samples. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "broker/store_stats.h"
#include "remoting/json_text.h"

static void
test_tps_needs_enough_samples(void **state)
{
    (void) state;
    g_autoptr(RmqStoreStats) s = rmq_store_stats_new(0);
    gdouble tps = -1;
    /* Java: a window of 10 needs 11 samples; before that the text is empty. */
    for (gint i = 0; i <= 10; i++) {
        g_autofree gchar *text = rmq_store_stats_tps_text(s, RMQ_STORE_STATS_PUT);
        assert_string_equal(text, "  ");
        assert_false(rmq_store_stats_tps(s, RMQ_STORE_STATS_PUT, 10, &tps));
        rmq_store_stats_put(s, 100, 100 * 128, 0);
        rmq_store_stats_sample(s, i * 1000);
    }
    assert_true(rmq_store_stats_tps(s, RMQ_STORE_STATS_PUT, 10, &tps));
    assert_true(tps == 100.0);
    g_autofree gchar *text = rmq_store_stats_tps_text(s, RMQ_STORE_STATS_PUT);
    assert_string_equal(text, "100.0  ");
}

static void
test_tps_windows_over_the_ring(void **state)
{
    (void) state;
    g_autoptr(RmqStoreStats) s = rmq_store_stats_new(0);
    /* 700 samples: 10 gets a second for the first 400 s, then 50 a second
     * (one found get each, a miss each); more than the ring's 601. */
    for (gint i = 0; i < 700; i++) {
        guint n = i < 400 ? 10 : 50;
        for (guint k = 0; k < n; k++)
            rmq_store_stats_get(s, 2, 1);
        rmq_store_stats_get(s, 0, 0);
        rmq_store_stats_sample(s, (gint64) i * 1000);
    }
    gdouble tps;
    assert_true(rmq_store_stats_tps(s, RMQ_STORE_STATS_GET_FOUND, 60, &tps));
    assert_true(tps == 50.0);
    assert_true(rmq_store_stats_tps(s, RMQ_STORE_STATS_TRANSFERRED, 10, &tps));
    assert_true(tps == 100.0);
    assert_true(rmq_store_stats_tps(s, RMQ_STORE_STATS_GET_MISS, 600, &tps));
    assert_true(tps == 1.0);
    /* samples 99..699: 300 s at 10 (samples 100..399) and 300 s at 50 */
    assert_true(rmq_store_stats_tps(s, RMQ_STORE_STATS_GET_FOUND, 600, &tps));
    assert_float_equal(tps, (300 * 10 + 300 * 50) / 600.0, 1e-9);
    g_autofree gchar *text = rmq_store_stats_tps_text(s, RMQ_STORE_STATS_GET_MISS);
    assert_string_equal(text, "1.0 1.0 1.0");
    assert_int_equal(rmq_store_stats_total(s, RMQ_STORE_STATS_TRANSFERRED), 2 * (400 * 10 + 300 * 50));
}

static void
test_distribution_turns_each_minute(void **state)
{
    (void) state;
    g_autoptr(RmqStoreStats) s = rmq_store_stats_new(0);
    static const gint64 times[] = { 0, 5, 10, 60, 150, 499, 999, 1500, 2500, 3500, 4500, 9999, 10000 };
    for (guint i = 0; i < G_N_ELEMENTS(times); i++)
        rmq_store_stats_put(s, 1, 10, times[i]);
    g_autofree gchar *before = rmq_store_stats_distribution_text(s);
    assert_string_equal(before, "[<=0ms]:0 [0~10ms]:0 [10~50ms]:0 [50~100ms]:0 [100~200ms]:0 "
                                "[200~500ms]:0 [500ms~1s]:0 [1~2s]:0 [2~3s]:0 [3~4s]:0 [4~5s]:0 "
                                "[5~10s]:0 [10s~]:0 ");
    rmq_store_stats_minute(s);
    g_autofree gchar *after = rmq_store_stats_distribution_text(s);
    assert_string_equal(after, "[<=0ms]:1 [0~10ms]:1 [10~50ms]:1 [50~100ms]:1 [100~200ms]:1 "
                               "[200~500ms]:1 [500ms~1s]:1 [1~2s]:1 [2~3s]:1 [3~4s]:1 [4~5s]:1 "
                               "[5~10s]:1 [10s~]:1 ");
    RmqStoreStatsFigures f;
    rmq_store_stats_figures(s, &f);
    assert_int_equal(f.put_time_max_ms, 10000);
    assert_int_equal(f.put_total, 13);
    assert_int_equal(f.put_size_total, 130);
    rmq_store_stats_minute(s);
    g_autofree gchar *quiet = rmq_store_stats_distribution_text(s);
    assert_non_null(strstr(quiet, "[10s~]:0 "));
}

static void
test_percentiles_as_java_interpolates(void **state)
{
    (void) state;
    g_autoptr(RmqStoreStats) s = rmq_store_stats_new(0);
    rmq_store_stats_minute(s);
    assert_true(rmq_store_stats_put_percentile(s, 0.99) == 0.0);
    /* 100 puts of 5 ms: Java's bucket (4, 5], index 99 of 100 -> 4 + 1 * 99 / 100 */
    for (gint i = 0; i < 100; i++)
        rmq_store_stats_put(s, 1, 1, 5);
    assert_true(rmq_store_stats_put_percentile(s, 0.99) == 0.0); /* still this minute */
    rmq_store_stats_minute(s);
    assert_float_equal(rmq_store_stats_put_percentile(s, 0.99), 4.99, 1e-9);
    /* 900 of 0 ms and 100 of 30 ms: p99 index 990 lands in (28, 30]: 28 + 2 * 90 / 100 */
    for (gint i = 0; i < 900; i++)
        rmq_store_stats_put(s, 1, 1, 0);
    for (gint i = 0; i < 100; i++)
        rmq_store_stats_put(s, 1, 1, 30);
    rmq_store_stats_minute(s);
    assert_float_equal(rmq_store_stats_put_percentile(s, 0.99), 29.8, 1e-9);
    /* p50 index 500 of the 900 in the first bucket (0, 1]: 1 * 500 / 900 */
    assert_float_equal(rmq_store_stats_put_percentile(s, 0.5), 500.0 / 900.0, 1e-9);
}

static void
test_morning_totals(void **state)
{
    (void) state;
    g_autoptr(RmqStoreStats) s = rmq_store_stats_new(0);
    rmq_store_stats_put(s, 7, 70, 0);
    rmq_store_stats_get(s, 3, 0);
    rmq_store_stats_record_morning(s);
    rmq_store_stats_put(s, 5, 50, 0);
    rmq_store_stats_get(s, 4, 0);
    rmq_store_stats_put_failed(s);
    RmqStoreStatsFigures f;
    rmq_store_stats_figures(s, &f);
    assert_int_equal(f.put_today_morning, 7);
    assert_int_equal(f.put_yesterday_morning, 0);
    assert_int_equal(f.get_today_morning, 3);
    assert_int_equal(f.put_total, 12);
    assert_int_equal(f.transferred, 7);
    assert_int_equal(f.put_failed, 1);
    rmq_store_stats_record_morning(s);
    rmq_store_stats_figures(s, &f);
    assert_int_equal(f.put_yesterday_morning, 7);
    assert_int_equal(f.put_today_morning, 12);
    assert_int_equal(f.get_yesterday_morning, 3);
    assert_int_equal(f.get_today_morning, 7);
}

static void
test_runtime_text(void **state)
{
    (void) state;
    g_autofree gchar *t = rmq_store_stats_format_runtime(1000, 1000 + ((26 * 60 + 3) * 60 + 4) * 1000);
    assert_string_equal(t, "[ 1 days, 2 hours, 3 minutes, 4 seconds ]");
    g_autofree gchar *z = rmq_store_stats_format_runtime(5000, 4000);
    assert_string_equal(z, "[ 0 days, 0 hours, 0 minutes, 0 seconds ]");
}

/* MixAll.humanReadableByteCount(bytes, false) and Double.toString */
static void
test_java_texts(void **state)
{
    (void) state;
    static const struct {
        gint64 bytes;
        const gchar *text;
    } cases[] = {
        { 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" }, { 1536, "1.5 KiB" },
        { 1073741824, "1.0 GiB" }, { 52613349376LL, "49.0 GiB" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree gchar *t = rmq_java_human_bytes(cases[i].bytes);
        assert_string_equal(t, cases[i].text);
    }
    g_autoptr(GString) d = g_string_new(NULL);
    rmq_json_text_append_java_double(d, 12.0);
    g_string_append_c(d, ' ');
    rmq_json_text_append_java_double(d, 0.5);
    g_string_append_c(d, ' ');
    rmq_json_text_append_java_double(d, -1.0);
    assert_string_equal(d->str, "12.0 0.5 -1.0");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tps_needs_enough_samples),
        cmocka_unit_test(test_tps_windows_over_the_ring),
        cmocka_unit_test(test_distribution_turns_each_minute),
        cmocka_unit_test(test_percentiles_as_java_interpolates),
        cmocka_unit_test(test_morning_totals),
        cmocka_unit_test(test_runtime_text),
        cmocka_unit_test(test_java_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
