/* The store's running figures for GET_BROKER_RUNTIME_INFO: see store_stats.h. */
#include "broker/store_stats.h"

#include "remoting/json_text.h"

#include <math.h>

/* Java samples once a second and keeps MAX_RECORDS_OF_SAMPLING + 1 = 601. */
#define N_SAMPLES 601

/* Java's fine put-time buckets (StoreStatsService PUT_MESSAGE_ENTIRE_TIME_BUCKETS):
 * (step, count) pairs from 0 ms, then one bucket for everything above 10 s. */
static const struct {
    guint step, count;
} fine_steps[] = { { 1, 20 }, { 2, 15 }, { 5, 10 }, { 10, 10 }, { 50, 6 }, { 100, 5 }, { 1000, 9 } };
#define N_FINE (20 + 15 + 10 + 10 + 6 + 5 + 9 + 1)

static const gchar *const distribution_names[RMQ_STORE_STATS_N_DISTRIBUTION] = {
    "[<=0ms]", "[0~10ms]", "[10~50ms]", "[50~100ms]", "[100~200ms]", "[200~500ms]", "[500ms~1s]",
    "[1~2s]",  "[2~3s]",   "[3~4s]",    "[4~5s]",     "[5~10s]",     "[10s~]",
};
/* Upper bounds (exclusive) of the coarse buckets after the first, which is <= 0. */
static const gint64 distribution_bounds[RMQ_STORE_STATS_N_DISTRIBUTION - 2] = {
    10, 50, 100, 200, 500, 1000, 2000, 3000, 4000, 5000, 10000,
};

typedef struct {
    gint64 t_ms;
    guint64 value[RMQ_STORE_STATS_N_SERIES];
} Sample;

struct _RmqStoreStats {
    gint64 boot_ms;
    guint64 total[RMQ_STORE_STATS_N_SERIES];
    guint64 put_size, put_failed;
    gint64 put_max_ms, get_max_ms;
    guint64 put_morning, put_yesterday, get_morning, get_yesterday;
    Sample samples[N_SAMPLES]; /* a ring: the newest at (head + n - 1) % N */
    guint head, n;
    gint64 fine_bound[N_FINE]; /* upper bounds (inclusive); the last is G_MAXINT64 */
    guint64 fine[N_FINE], fine_last[N_FINE];
    guint64 coarse[RMQ_STORE_STATS_N_DISTRIBUTION], coarse_last[RMQ_STORE_STATS_N_DISTRIBUTION];
};

RmqStoreStats *
rmq_store_stats_new(gint64 boot_ms)
{
    RmqStoreStats *s = g_new0(RmqStoreStats, 1);
    s->boot_ms = boot_ms;
    guint k = 0;
    gint64 edge = 0;
    for (guint i = 0; i < G_N_ELEMENTS(fine_steps); i++)
        for (guint j = 0; j < fine_steps[i].count; j++) {
            edge += fine_steps[i].step;
            s->fine_bound[k++] = edge;
        }
    s->fine_bound[k] = G_MAXINT64;
    return s;
}

void
rmq_store_stats_free(RmqStoreStats *s)
{
    g_free(s);
}

static guint
coarse_index(gint64 ms)
{
    if (ms <= 0)
        return 0;
    for (guint i = 0; i < G_N_ELEMENTS(distribution_bounds); i++)
        if (ms < distribution_bounds[i])
            return i + 1;
    return RMQ_STORE_STATS_N_DISTRIBUTION - 1;
}

/* The first fine bucket whose bound is >= @ms (TreeMap.ceilingEntry). */
static guint
fine_index(const RmqStoreStats *s, gint64 ms)
{
    guint lo = 0, hi = N_FINE - 1;
    if (ms <= s->fine_bound[0])
        return 0; /* nearly every put: no search (the bounds ascend) */
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        if (s->fine_bound[mid] >= ms)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void
rmq_store_stats_put(RmqStoreStats *s, guint64 n, guint64 bytes, gint64 elapsed_ms)
{
    s->total[RMQ_STORE_STATS_PUT] += n;
    s->put_size += bytes;
    /* One put call is one entry in Java's distribution, whatever it carried. */
    s->coarse[coarse_index(elapsed_ms)]++;
    s->fine[fine_index(s, elapsed_ms)]++;
    s->put_max_ms = MAX(s->put_max_ms, elapsed_ms);
}

void
rmq_store_stats_put_failed(RmqStoreStats *s)
{
    s->put_failed++;
}

void
rmq_store_stats_get(RmqStoreStats *s, guint64 n, gint64 elapsed_ms)
{
    if (n > 0) {
        s->total[RMQ_STORE_STATS_GET_FOUND]++;
        s->total[RMQ_STORE_STATS_TRANSFERRED] += n;
    } else {
        s->total[RMQ_STORE_STATS_GET_MISS]++;
    }
    s->get_max_ms = MAX(s->get_max_ms, elapsed_ms);
}

guint64
rmq_store_stats_total(const RmqStoreStats *s, RmqStoreStatsSeries series)
{
    return s->total[series];
}

void
rmq_store_stats_sample(RmqStoreStats *s, gint64 now_ms)
{
    Sample *slot;
    if (s->n < N_SAMPLES) {
        slot = &s->samples[(s->head + s->n) % N_SAMPLES];
        s->n++;
    } else {
        slot = &s->samples[s->head];
        s->head = (s->head + 1) % N_SAMPLES;
    }
    slot->t_ms = now_ms;
    memcpy(slot->value, s->total, sizeof slot->value);
}

gboolean
rmq_store_stats_tps(const RmqStoreStats *s, RmqStoreStatsSeries series, guint seconds,
                    gdouble *tps)
{
    if (s->n <= seconds)
        return FALSE;
    const Sample *last = &s->samples[(s->head + s->n - 1) % N_SAMPLES];
    const Sample *before = &s->samples[(s->head + s->n - 1 - seconds) % N_SAMPLES];
    gint64 dt = last->t_ms - before->t_ms;
    *tps = dt > 0 ? (gdouble) (last->value[series] - before->value[series]) * 1000.0 / (gdouble) dt
                  : 0.0;
    return TRUE;
}

gchar *
rmq_store_stats_tps_text(const RmqStoreStats *s, RmqStoreStatsSeries series)
{
    static const guint windows[] = { 10, 60, 600 };
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < G_N_ELEMENTS(windows); i++) {
        gdouble tps;
        if (i > 0)
            g_string_append_c(out, ' ');
        if (rmq_store_stats_tps(s, series, windows[i], &tps))
            rmq_json_text_append_java_double(out, tps);
    }
    return g_string_free(out, FALSE);
}

void
rmq_store_stats_minute(RmqStoreStats *s)
{
    memcpy(s->coarse_last, s->coarse, sizeof s->coarse);
    memset(s->coarse, 0, sizeof s->coarse);
    memcpy(s->fine_last, s->fine, sizeof s->fine);
    memset(s->fine, 0, sizeof s->fine);
}

gchar *
rmq_store_stats_distribution_text(const RmqStoreStats *s)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < RMQ_STORE_STATS_N_DISTRIBUTION; i++)
        g_string_append_printf(out, "%s:%" G_GUINT64_FORMAT " ", distribution_names[i],
                               s->coarse_last[i]);
    return g_string_free(out, FALSE);
}

gdouble
rmq_store_stats_put_percentile(const RmqStoreStats *s, gdouble px)
{
    guint64 total = 0;
    for (guint i = 0; i < N_FINE; i++)
        total += s->fine_last[i];
    guint64 index = (guint64) ((gdouble) total * px);
    guint64 passed = 0;
    for (guint i = 0; i < N_FINE; i++) {
        guint64 count = s->fine_last[i];
        if (index <= passed + count) {
            guint64 rel = index - passed;
            gdouble lower = i == 0 ? 0.0 : (gdouble) s->fine_bound[i - 1];
            /* The open-ended last bucket: Java interpolates up to Long.MAX_VALUE;
             * report its lower edge instead of a meaningless huge figure. */
            gdouble upper = i == N_FINE - 1 ? lower : (gdouble) s->fine_bound[i];
            return count == 0 ? lower : lower + (upper - lower) * (gdouble) rel / (gdouble) count;
        }
        passed += count;
    }
    return 0.0;
}

void
rmq_store_stats_record_morning(RmqStoreStats *s)
{
    s->put_yesterday = s->put_morning;
    s->get_yesterday = s->get_morning;
    s->put_morning = s->total[RMQ_STORE_STATS_PUT];
    s->get_morning = s->total[RMQ_STORE_STATS_TRANSFERRED];
}

void
rmq_store_stats_figures(const RmqStoreStats *s, RmqStoreStatsFigures *out)
{
    *out = (RmqStoreStatsFigures){
        .boot_ms = s->boot_ms,
        .put_total = s->total[RMQ_STORE_STATS_PUT],
        .put_size_total = s->put_size,
        .put_failed = s->put_failed,
        .get_found = s->total[RMQ_STORE_STATS_GET_FOUND],
        .get_miss = s->total[RMQ_STORE_STATS_GET_MISS],
        .transferred = s->total[RMQ_STORE_STATS_TRANSFERRED],
        .put_time_max_ms = s->put_max_ms,
        .get_time_max_ms = s->get_max_ms,
        .put_today_morning = s->put_morning,
        .put_yesterday_morning = s->put_yesterday,
        .get_today_morning = s->get_morning,
        .get_yesterday_morning = s->get_yesterday,
    };
}

gchar *
rmq_store_stats_format_runtime(gint64 boot_ms, gint64 now_ms)
{
    gint64 t = MAX(now_ms - boot_ms, 0) / 1000;
    return g_strdup_printf("[ %" G_GINT64_FORMAT " days, %" G_GINT64_FORMAT
                           " hours, %" G_GINT64_FORMAT " minutes, %" G_GINT64_FORMAT " seconds ]",
                           t / 86400, t % 86400 / 3600, t % 3600 / 60, t % 60);
}

gchar *
rmq_java_human_bytes(gint64 bytes)
{
    if (bytes < 1024)
        return g_strdup_printf("%" G_GINT64_FORMAT " B", bytes);
    static const gchar units[] = "KMGTPE";
    guint exp = 0;
    gdouble v = (gdouble) bytes;
    while (v >= 1024.0 && exp < sizeof units - 1) {
        v /= 1024.0;
        exp++;
    }
    return g_strdup_printf("%.1f %ciB", v, units[exp - 1]);
}
