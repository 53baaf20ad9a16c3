/* Latency histogram of rmq-bench: fixed log-linear buckets, lock-free
 * recording from many threads, percentiles. Pure arithmetic. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 1 us buckets to 10 ms, 100 us to 1 s, 10 ms to 11 s, 1 s to 1011 s, then
 * one overflow bucket (the max is kept exactly). */
#define RMQ_BENCH_H_FINE 10000
#define RMQ_BENCH_H_MID (RMQ_BENCH_H_FINE + 9900)
#define RMQ_BENCH_H_COARSE (RMQ_BENCH_H_MID + 1000)
#define RMQ_BENCH_H_SECONDS (RMQ_BENCH_H_COARSE + 1000)
#define RMQ_BENCH_H_BUCKETS (RMQ_BENCH_H_SECONDS + 1)

typedef struct {
    guint64 counts[RMQ_BENCH_H_BUCKETS];
    guint64 n;
    guint64 sum_us;
    guint64 max_us;
    guint64 failed;
    guint64 messages; /* a batch send is one latency sample and B messages */
} RmqBenchHisto;

/* One sample of @us microseconds covering @messages messages. Thread-safe. */
void rmq_bench_histo_record(RmqBenchHisto *h, guint64 us, guint64 messages);
void rmq_bench_histo_fail(RmqBenchHisto *h);
/* Move @from into @to (zeroing @from) for a reporting window. */
void rmq_bench_histo_drain(RmqBenchHisto *from, RmqBenchHisto *to);
void rmq_bench_histo_merge(RmqBenchHisto *into, const RmqBenchHisto *h);
/* The @p quantile (0..1) in ms, to the bucket's resolution; 0 when empty. */
gdouble rmq_bench_histo_pct_ms(const RmqBenchHisto *h, gdouble p);

G_END_DECLS
