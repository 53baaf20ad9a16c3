/* The store's running figures, as Java's StoreStatsService and BrokerStats
 * keep them for GET_BROKER_RUNTIME_INFO (docs/protocol.md §3.3): counters of
 * puts, gets found and missed and messages transferred, a sample of them every
 * second (the last 601: ten minutes), the put-time distribution of the current
 * and the last minute, and the totals taken at each midnight.
 *
 * Pure: the caller passes the clock in (milliseconds) and drives the samples
 * from its timers; no sockets, no main loop. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RmqStoreStats RmqStoreStats;

typedef enum {
    RMQ_STORE_STATS_PUT,         /* messages put */
    RMQ_STORE_STATS_GET_FOUND,   /* gets that found messages */
    RMQ_STORE_STATS_GET_MISS,    /* gets that found none */
    RMQ_STORE_STATS_TRANSFERRED, /* messages handed out by gets */
    RMQ_STORE_STATS_N_SERIES,
} RmqStoreStatsSeries;

/* Java's put-time buckets of the distribution, in its words. */
#define RMQ_STORE_STATS_N_DISTRIBUTION 13

RmqStoreStats *rmq_store_stats_new(gint64 boot_ms); /* (transfer full) */
void rmq_store_stats_free(RmqStoreStats *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqStoreStats, rmq_store_stats_free)

/* @n messages of @bytes in all were put, taking @elapsed_ms. */
void rmq_store_stats_put(RmqStoreStats *s, guint64 n, guint64 bytes, gint64 elapsed_ms);
void rmq_store_stats_put_failed(RmqStoreStats *s);
/* A get that handed out @n messages (0: a miss), taking @elapsed_ms. */
void rmq_store_stats_get(RmqStoreStats *s, guint64 n, gint64 elapsed_ms);

guint64 rmq_store_stats_total(const RmqStoreStats *s, RmqStoreStatsSeries series);

/* Take the once-a-second sample of every series at @now_ms (any clock that
 * is never stepped: only differences between samples are used). */
void rmq_store_stats_sample(RmqStoreStats *s, gint64 now_ms);
/* Per second over the last @seconds samples (Java: 10, 60, 600); FALSE while
 * fewer than @seconds + 1 samples exist (Java prints nothing then). */
gboolean rmq_store_stats_tps(const RmqStoreStats *s, RmqStoreStatsSeries series, guint seconds,
                             gdouble *tps);
/* Java's "a b c" string of the three windows 10 s, 1 min, 10 min; a window
 * without enough samples is empty, as Java leaves it. (transfer full) */
gchar *rmq_store_stats_tps_text(const RmqStoreStats *s, RmqStoreStatsSeries series);

/* The minute turned: the current distribution becomes the last one, which
 * putMessageDistributeTime and the percentiles read. */
void rmq_store_stats_minute(RmqStoreStats *s);
/* "[<=0ms]:N [0~10ms]:N ..." of the last minute (Java's layout). (transfer full) */
gchar *rmq_store_stats_distribution_text(const RmqStoreStats *s);
/* The put time at quantile @px (0.99, 0.999) of the last minute, in ms,
 * interpolated inside Java's fine buckets as findPutMessageEntireTimePX does. */
gdouble rmq_store_stats_put_percentile(const RmqStoreStats *s, gdouble px);

/* Midnight: today's morning totals become yesterday's (BrokerStats.record). */
void rmq_store_stats_record_morning(RmqStoreStats *s);

typedef struct {
    gint64 boot_ms;
    guint64 put_total, put_size_total, put_failed;
    guint64 get_found, get_miss, transferred;
    gint64 put_time_max_ms, get_time_max_ms;
    guint64 put_today_morning, put_yesterday_morning;
    guint64 get_today_morning, get_yesterday_morning;
} RmqStoreStatsFigures;

void rmq_store_stats_figures(const RmqStoreStats *s, RmqStoreStatsFigures *out);

/* Java's MixAll.humanReadableByteCount(@bytes, false): "512 B", "1.5 KiB". (transfer full) */
gchar *rmq_java_human_bytes(gint64 bytes);

/* Java's "[ D days, H hours, M minutes, S seconds ]" since @boot_ms. (transfer full) */
gchar *rmq_store_stats_format_runtime(gint64 boot_ms, gint64 now_ms);

G_END_DECLS
