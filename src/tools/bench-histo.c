/* rmq-bench latency histogram (see bench-histo.h). */
#include <config.h>

#include "tools/bench-histo.h"

#include <string.h>


static guint
bucket_of(guint64 us)
{
    if (us < RMQ_BENCH_H_FINE)
        return (guint) us;
    if (us < 1000000)
        return RMQ_BENCH_H_FINE + (guint) ((us - RMQ_BENCH_H_FINE) / 100);
    if (us < 11000000)
        return RMQ_BENCH_H_MID + (guint) ((us - 1000000) / 10000);
    guint64 k = (us - 11000000) / 1000000;
    return k < 1000 ? RMQ_BENCH_H_COARSE + (guint) k : RMQ_BENCH_H_SECONDS;
}

/* Middle of bucket @b (the overflow bucket reports the max instead). */
static guint64
bucket_value(guint b)
{
    if (b < RMQ_BENCH_H_FINE)
        return b;
    if (b < RMQ_BENCH_H_MID)
        return RMQ_BENCH_H_FINE + (guint64) (b - RMQ_BENCH_H_FINE) * 100 + 50;
    if (b < RMQ_BENCH_H_COARSE)
        return 1000000 + (guint64) (b - RMQ_BENCH_H_MID) * 10000 + 5000;
    if (b < RMQ_BENCH_H_SECONDS)
        return 11000000 + (guint64) (b - RMQ_BENCH_H_COARSE) * 1000000 + 500000;
    return G_MAXUINT64;
}

void
rmq_bench_histo_record(RmqBenchHisto *h, guint64 us, guint64 messages)
{
    __atomic_fetch_add(&h->counts[bucket_of(us)], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->n, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->sum_us, us, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->messages, messages, __ATOMIC_RELAXED);
    guint64 cur = __atomic_load_n(&h->max_us, __ATOMIC_RELAXED);
    while (us > cur && !__atomic_compare_exchange_n(&h->max_us, &cur, us, TRUE, __ATOMIC_RELAXED,
                                                    __ATOMIC_RELAXED))
        ;
}

void
rmq_bench_histo_fail(RmqBenchHisto *h)
{
    __atomic_fetch_add(&h->failed, 1, __ATOMIC_RELAXED);
}

/* Move @from into @to (for the per-second window) and zero @from. */
void
rmq_bench_histo_drain(RmqBenchHisto *from, RmqBenchHisto *to)
{
    memset(to, 0, sizeof *to);
    for (guint i = 0; i < RMQ_BENCH_H_BUCKETS; i++)
        to->counts[i] = __atomic_exchange_n(&from->counts[i], 0, __ATOMIC_RELAXED);
    to->n = __atomic_exchange_n(&from->n, 0, __ATOMIC_RELAXED);
    to->sum_us = __atomic_exchange_n(&from->sum_us, 0, __ATOMIC_RELAXED);
    to->max_us = __atomic_exchange_n(&from->max_us, 0, __ATOMIC_RELAXED);
    to->failed = __atomic_exchange_n(&from->failed, 0, __ATOMIC_RELAXED);
    to->messages = __atomic_exchange_n(&from->messages, 0, __ATOMIC_RELAXED);
}

void
rmq_bench_histo_merge(RmqBenchHisto *into, const RmqBenchHisto *h)
{
    for (guint i = 0; i < RMQ_BENCH_H_BUCKETS; i++)
        into->counts[i] += h->counts[i];
    into->n += h->n;
    into->sum_us += h->sum_us;
    into->max_us = MAX(into->max_us, h->max_us);
    into->failed += h->failed;
    into->messages += h->messages;
}

gdouble
rmq_bench_histo_pct_ms(const RmqBenchHisto *h, gdouble p)
{
    if (h->n == 0)
        return 0;
    guint64 want = (guint64) (p * (gdouble) h->n + 0.5);
    if (want == 0)
        want = 1;
    guint64 seen = 0;
    for (guint i = 0; i < RMQ_BENCH_H_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= want)
            return MIN(bucket_value(i), h->max_us) / 1000.0;
    }
    return h->max_us / 1000.0;
}

