/* rmq-bench's histogram: percentiles agree with exact ones computed from the
 * sorted samples, within the bucket resolution, at every scale. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tools/bench-histo.h"

static int
cmp_u64(const void *a, const void *b)
{
    guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;
    return x < y ? -1 : x > y;
}

/* Exact nearest-rank quantile. */
static gdouble
exact_ms(const guint64 *sorted, gsize n, gdouble p)
{
    gsize rank = (gsize) (p * (gdouble) n + 0.5);
    if (rank == 0)
        rank = 1;
    return sorted[rank - 1] / 1000.0;
}

static gdouble
resolution_ms(gdouble ms)
{
    if (ms < 10)
        return 0.001;
    if (ms < 1000)
        return 0.1;
    if (ms < 11000)
        return 10;
    return 1000;
}

static void
check_scale(guint64 lo_us, guint64 hi_us)
{
    GRand *rnd = g_rand_new_with_seed((guint32) lo_us + 7);
    RmqBenchHisto *h = g_new0(RmqBenchHisto, 1);
    gsize n = 20000;
    guint64 *v = g_new(guint64, n);
    guint64 sum = 0, max = 0;
    for (gsize i = 0; i < n; i++) {
        /* skewed: most samples low, a long tail */
        gdouble u = g_rand_double(rnd);
        v[i] = lo_us + (guint64) ((gdouble) (hi_us - lo_us) * u * u * u);
        sum += v[i];
        max = MAX(max, v[i]);
        rmq_bench_histo_record(h, v[i], 2);
    }
    qsort(v, n, sizeof *v, cmp_u64);
    assert_int_equal(h->n, n);
    assert_int_equal(h->messages, 2 * n);
    assert_int_equal(h->sum_us, sum);
    assert_int_equal(h->max_us, max);
    static const gdouble ps[] = { 0.01, 0.5, 0.9, 0.99, 0.999, 1.0 };
    for (guint i = 0; i < G_N_ELEMENTS(ps); i++) {
        gdouble want = exact_ms(v, n, ps[i]);
        gdouble got = rmq_bench_histo_pct_ms(h, ps[i]);
        assert_true(got <= want + resolution_ms(want));
        assert_true(got >= want - resolution_ms(want));
    }
    assert_true(rmq_bench_histo_pct_ms(h, 1.0) <= max / 1000.0);
    /* drain moves everything and leaves zeros */
    RmqBenchHisto *w = g_new0(RmqBenchHisto, 1);
    rmq_bench_histo_fail(h);
    rmq_bench_histo_drain(h, w);
    assert_int_equal(w->n, n);
    assert_int_equal(w->failed, 1);
    assert_int_equal(h->n, 0);
    assert_true(rmq_bench_histo_pct_ms(h, 0.5) == 0);
    RmqBenchHisto *t = g_new0(RmqBenchHisto, 1);
    rmq_bench_histo_merge(t, w);
    rmq_bench_histo_merge(t, w);
    assert_int_equal(t->n, 2 * n);
    assert_true(rmq_bench_histo_pct_ms(t, 0.5) == rmq_bench_histo_pct_ms(w, 0.5));
    g_free(t);
    g_free(w);
    g_free(h);
    g_free(v);
    g_rand_free(rnd);
}

static void
test_microseconds(void **state)
{
    (void) state;
    check_scale(20, 5000);
}

static void
test_milliseconds(void **state)
{
    (void) state;
    check_scale(5000, 900000);
}

static void
test_seconds(void **state)
{
    (void) state;
    check_scale(900000, 60000000);
}

static void
test_overflow_reports_max(void **state)
{
    (void) state;
    RmqBenchHisto *h = g_new0(RmqBenchHisto, 1);
    rmq_bench_histo_record(h, 5000ull * 1000000, 1); /* 5000 s: past the last bucket */
    assert_true(rmq_bench_histo_pct_ms(h, 0.5) == 5000000.0);
    g_free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_microseconds),
        cmocka_unit_test(test_milliseconds),
        cmocka_unit_test(test_seconds),
        cmocka_unit_test(test_overflow_reports_max),
    };
    return cmocka_run_group_tests_name("bench-histo", tests, NULL, NULL);
}
