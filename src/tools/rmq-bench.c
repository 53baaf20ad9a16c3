/* rmq-bench: load generator in the manner of RocketMQ's benchmark tools.
 *
 *   rmq-bench producer [-t TOPIC] [-w THREADS] [--connections N] [--drivers D]
 *                      [-s SIZE] [-d SECONDS] [-m sync|async|oneway|batch] [-b BATCH]
 *                      [-r RATE]
 *   rmq-bench consumer [-t TOPIC] [-w THREADS] [-d SECONDS] [-c COUNT]
 *   rmq-bench latency  [-t TOPIC] [-r RATE] [-d SECONDS] [-s SIZE]
 *
 * Every second: TPS and average, p50, p99 and max latency; a summary at the
 * end (--json: one JSON object on stdout). Producer latency is the send
 * round trip; consumer latency is store-to-pull (ms clocks); `latency` mode
 * sends at a fixed rate and measures send-to-pull end to end in one process
 * (microseconds, monotonic clock carried in the body). A consumer with -c
 * reports TPS over the time until COUNT messages arrived ("seconds"; the
 * whole run, which also waits out the long-polling pulls of readers whose
 * queue ran dry, is "wallSeconds") and, with the "*" subscription, the
 * messages whose queue id or offset is not the next of their queue
 * ("discontinuities").
 *
 * Producer threads share connections as real clients do: Java's
 * MQClientInstance, rocketmq-client-cpp and ali-ons put every thread's
 * requests on ONE connection per broker, many in flight. With
 * --connections C (default 1) the -w N "threads" are N lanes spread over C
 * connections, each connection driven by one thread that keeps one request
 * per lane in flight (sync) or --window per lane (async); what the broker
 * sees is N requests in flight on C connections. --connections N gives
 * every thread its own connection and blocking sends, as before.
 *
 * --drivers D (sync only) drives the C connections from D threads instead
 * of one each: every driver thread runs one GMainContext shared by its C/D
 * connections (each still a producer of its own, so its own connection to
 * the broker) and keeps one request per lane in flight on each, as an
 * event-loop client does. -w C --connections C --drivers 1 is the pattern
 * of redis-benchmark -c C (one thread, C connections, one request in flight
 * on each); the default, one blocking thread per connection, that of
 * redis-benchmark -c C --threads C. Latency is per send either way. */
#include <config.h>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/rmq-client.h"
#include "tools/bench-histo.h"
#include "tools/credentials.h"
#include "tools/tls_option.h"

/* ------------------------------------------------------------ options */

static gchar *opt_namesrv;
static gchar *opt_topic;
static gchar *opt_group;
static gchar *opt_mode;
static gint opt_threads = 4;
static gint opt_size = 128;
static gint opt_duration = 10;
static gint opt_batch = 16;
static gint opt_rate;
static gint opt_window = 32;
static gint opt_connections; /* 0: 1 for sync/async, one per thread for oneway/batch */
static gint opt_drivers;     /* 0: one thread per connection */
static gint64 opt_count;
static gboolean opt_json;
static gboolean opt_quiet;
static gboolean opt_version;
static gboolean opt_from_start;
static gboolean opt_numbered;
static gchar *opt_expression;
static gboolean opt_sql;
static gchar *opt_access_key;
static gchar *opt_secret_key;
static gchar *opt_credentials;
static RmqToolCredentials cred; /* from those or the environment */
static RmqToolTls opt_tls;      /* checked in main(): applying cannot fail later */

/* Every producer and consumer signs with the key pair, if one was given.
 * @ctx NULL: a private context; producers made on one context are still
 * separate instances, each with its own connections. */
static RmqProducer *
bench_producer_new(GMainContext *ctx)
{
    RmqProducer *p = rmq_producer_new(opt_group, opt_namesrv, ctx);
    rmq_tool_tls_apply(&opt_tls, rmq_producer_get_instance(p), NULL);
    if (cred.access_key != NULL)
        rmq_instance_set_credentials(rmq_producer_get_instance(p), cred.access_key,
                                     cred.secret_key, NULL);
    return p;
}

static RmqConsumer *
bench_consumer_new(void)
{
    RmqConsumer *c = rmq_consumer_new(opt_group, opt_namesrv, NULL);
    rmq_consumer_set_subscription(c, opt_sql ? "SQL92" : "TAG", opt_expression);
    rmq_tool_tls_apply(&opt_tls, rmq_consumer_get_instance(c), NULL);
    if (cred.access_key != NULL)
        rmq_instance_set_credentials(rmq_consumer_get_instance(c), cred.access_key,
                                     cred.secret_key, NULL);
    return c;
}
static gint opt_broker_pid;

static volatile gint stop_flag;
static RmqBenchHisto *live;     /* written by workers */
static RmqBenchHisto *total;    /* summed by the reporter */

static void
on_signal(int sig)
{
    (void) sig;
    g_atomic_int_set(&stop_flag, 1);
}

static gboolean
stopping(void)
{
    return g_atomic_int_get(&stop_flag) != 0;
}

/* Pace to opt_rate messages/s over all threads: sleep until this thread's
 * next slot. */
static void
pace(gint64 start_us, guint64 sent, gint threads)
{
    if (opt_rate <= 0)
        return;
    gdouble per_thread = (gdouble) opt_rate / threads;
    gint64 due = start_us + (gint64) ((gdouble) sent * G_USEC_PER_SEC / per_thread);
    gint64 now = g_get_monotonic_time();
    if (due > now)
        g_usleep((gulong) (due - now));
}

/* ------------------------------------------------------------ producer */

/* One connection (producer) and the thread that drives it. */
typedef struct {
    RmqProducer *p;
    gchar *body;
    gint64 start_us;
    gint64 end_us;
    guint64 sent;
    guint lanes;     /* client threads modelled on this connection */
    guint64 limit;   /* -c per thread, times lanes; 0 = none */
    gint64 clock_us; /* a blocking send's end time, for the next check; 0 = none */
} Worker;

static guint64 msg_seq; /* --numbered: messages made so far, all threads */

static RmqMsg *
bench_msg(Worker *w)
{
    RmqMsg *m = rmq_msg_new(opt_topic, w->body, opt_size);
    if (opt_numbered) {
        /* message k: tag T<k % 10> and property n = k % 10, so a filter can
         * take any tenth of a backlog by tag or by SQL92 */
        guint64 k = __atomic_fetch_add(&msg_seq, 1, __ATOMIC_RELAXED) % 10;
        gchar tag[4] = { 'T', (gchar) ('0' + k), '\0' }, n[2] = { (gchar) ('0' + k), '\0' };
        rmq_msg_set_tags(m, tag);
        rmq_msg_put_property(m, "n", n);
    }
    return m;
}

static void
on_async_sent(RmqProducer *p, const RmqSendResult *r, const GError *e, gpointer data)
{
    gint64 *start = data;
    if (r) {
        rmq_bench_histo_record(live, (guint64) (g_get_monotonic_time() - *start), 1);
    } else {
        rmq_bench_histo_fail(live);
        if (!opt_quiet)
            g_printerr("async send failed: %s\n", e->message);
    }
    g_free(start);
}

static gboolean
more_to_send(Worker *w, gint64 end)
{
    /* After a blocking send, the clock its latency was measured with. */
    gint64 now = w->clock_us != 0 ? w->clock_us : g_get_monotonic_time();
    w->clock_us = 0;
    return !stopping() && now < end && (w->limit == 0 || w->sent < w->limit);
}

/* A lane's send in flight: which connection, and when it left. */
typedef struct {
    Worker *w;
    gint64 t0;
} LaneSend;

static void lane_send(Worker *w);

/* A shared-connection lane's answer: record it and, like a thread that
 * sends again as soon as its blocking send returns, send the next one. */
static void
on_lane_sent(RmqProducer *p, const RmqSendResult *r, const GError *e, gpointer data)
{
    (void) p;
    LaneSend *ls = data;
    Worker *w = ls->w;
    if (r) {
        rmq_bench_histo_record(live, (guint64) (g_get_monotonic_time() - ls->t0), 1);
    } else {
        rmq_bench_histo_fail(live);
        if (!opt_quiet)
            g_printerr("send failed: %s\n", e->message);
    }
    g_free(ls);
    if (more_to_send(w, w->end_us))
        lane_send(w);
}

static void
lane_send(Worker *w)
{
    pace(w->start_us, w->sent, opt_connections);
    g_autoptr(RmqMsg) m = bench_msg(w);
    LaneSend *ls = g_new(LaneSend, 1);
    ls->w = w;
    ls->t0 = g_get_monotonic_time();
    w->sent++;
    rmq_producer_send_async(w->p, m, on_lane_sent, ls);
}

/* Sync mode with several lanes on this connection: one send in flight per
 * lane until the end, then wait for the last answers. */
static void
run_sync_lanes(Worker *w, GMainContext *ctx)
{
    for (guint i = 0; i < w->lanes && more_to_send(w, w->end_us); i++)
        lane_send(w);
    while (rmq_producer_pending(w->p) > 0)
        g_main_context_iteration(ctx, TRUE);
}

static void
send_sync_one(Worker *w)
{
    g_autoptr(RmqMsg) m = bench_msg(w);
    g_autoptr(GError) error = NULL;
    RmqSendResult r;
    gint64 t0 = g_get_monotonic_time();
    w->sent++;
    if (rmq_producer_send(w->p, m, &r, &error)) {
        w->clock_us = g_get_monotonic_time();
        rmq_bench_histo_record(live, (guint64) (w->clock_us - t0), 1);
        rmq_send_result_clear(&r);
    } else {
        rmq_bench_histo_fail(live);
        if (!opt_quiet)
            g_printerr("send failed: %s\n", error->message);
    }
}

static gpointer
producer_thread(gpointer data)
{
    Worker *w = data;
    GMainContext *ctx = rmq_producer_get_context(w->p);
    g_main_context_push_thread_default(ctx);
    w->start_us = g_get_monotonic_time();
    gint64 end = w->start_us + (gint64) opt_duration * G_USEC_PER_SEC;
    w->end_us = end;
    gboolean sync = strcmp(opt_mode, "sync") == 0, oneway = strcmp(opt_mode, "oneway") == 0;
    gboolean batch = strcmp(opt_mode, "batch") == 0;
    guint window = (guint) opt_window * w->lanes;
    g_autoptr(GPtrArray) msgs = NULL; /* batch mode */
    if (sync && w->lanes > 1) {
        run_sync_lanes(w, ctx);
        g_main_context_pop_thread_default(ctx);
        return NULL;
    }
    while (more_to_send(w, end)) {
        pace(w->start_us, w->sent, opt_connections);
        if (sync) {
            send_sync_one(w);
        } else if (oneway) {
            /* Every 1024th message goes synchronously: its answer comes
             * after every one-way before it on that connection, which
             * bounds what can pile up unsent or unprocessed. */
            if (w->sent % 1024 == 1023) {
                send_sync_one(w);
                continue;
            }
            g_autoptr(RmqMsg) m = bench_msg(w);
            g_autoptr(GError) error = NULL;
            gint64 t0 = g_get_monotonic_time();
            w->sent++;
            if (rmq_producer_send_oneway(w->p, m, &error))
                rmq_bench_histo_record(live, (guint64) (g_get_monotonic_time() - t0), 1);
            else
                rmq_bench_histo_fail(live);
            while (g_main_context_iteration(ctx, FALSE))
                ;
        } else if (batch) {
            /* The batch's messages are made once and sent again, as a load
             * generator reuses its requests: each send still gives every
             * message a new unique id (the producer sets UNIQ_KEY when it
             * is absent). --numbered makes new ones (tags follow the count). */
            if (msgs == NULL || opt_numbered) {
                g_clear_pointer(&msgs, g_ptr_array_unref);
                msgs = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
                for (gint i = 0; i < opt_batch; i++)
                    g_ptr_array_add(msgs, bench_msg(w));
            } else {
                for (guint i = 0; i < msgs->len; i++)
                    rmq_msg_put_property(msgs->pdata[i], "UNIQ_KEY", NULL);
            }
            g_autoptr(GError) error = NULL;
            RmqSendResult r;
            gint64 t0 = g_get_monotonic_time();
            w->sent += (guint64) opt_batch;
            if (rmq_producer_send_batch(w->p, (RmqMsg *const *) msgs->pdata, msgs->len, &r,
                                        &error)) {
                rmq_bench_histo_record(live, (guint64) (g_get_monotonic_time() - t0), (guint64) opt_batch);
                rmq_send_result_clear(&r);
            } else {
                rmq_bench_histo_fail(live);
                if (!opt_quiet)
                    g_printerr("batch send failed: %s\n", error->message);
            }
        } else { /* async: keep up to opt_window sends in flight */
            if (rmq_producer_pending(w->p) < window) {
                g_autoptr(RmqMsg) m = bench_msg(w);
                gint64 *t0 = g_new(gint64, 1);
                *t0 = g_get_monotonic_time();
                w->sent++;
                rmq_producer_send_async(w->p, m, on_async_sent, t0);
                while (g_main_context_iteration(ctx, FALSE))
                    ;
            } else {
                g_main_context_iteration(ctx, TRUE);
            }
        }
    }
    rmq_producer_flush(w->p, 10000);
    g_main_context_pop_thread_default(ctx);
    return NULL;
}

/* --drivers: the connections one thread drives, all on its context. */
typedef struct {
    GMainContext *ctx;
    GPtrArray *ws; /* Worker *, not owned */
} Driver;

static gboolean
driver_pending(const Driver *d)
{
    for (guint i = 0; i < d->ws->len; i++)
        if (rmq_producer_pending(((Worker *) d->ws->pdata[i])->p) > 0)
            return TRUE;
    return FALSE;
}

/* One event loop over several connections: every lane of every connection
 * starts its first send, each answer sends that lane's next (on_lane_sent),
 * until the end; then the last answers are waited for. */
static gpointer
driver_thread(gpointer data)
{
    Driver *d = data;
    g_main_context_push_thread_default(d->ctx);
    gint64 start = g_get_monotonic_time();
    for (guint i = 0; i < d->ws->len; i++) {
        Worker *w = d->ws->pdata[i];
        w->start_us = start;
        w->end_us = start + (gint64) opt_duration * G_USEC_PER_SEC;
    }
    for (guint i = 0; i < d->ws->len; i++) {
        Worker *w = d->ws->pdata[i];
        for (guint k = 0; k < w->lanes && more_to_send(w, w->end_us); k++)
            lane_send(w);
    }
    while (driver_pending(d))
        g_main_context_iteration(d->ctx, TRUE);
    g_main_context_pop_thread_default(d->ctx);
    return NULL;
}

/* ------------------------------------------------------------ consumer */

#define LAT_MAGIC "rmqbench:"

typedef struct {
    RmqConsumer *c;
    RmqQueue *q;
    gint64 offset;
    gboolean latency;
} Reader;

static guint64 received_total;
/* Consumer with -c: when received_total reached the count (monotonic us, 0
 * not yet). The run ends later: readers whose queue ran dry meanwhile sit in
 * a long-polling pull (suspended up to 1 s by the broker) before they see
 * the count, and that wait is not consumption. */
static gint64 count_reached_us;
/* Consumer, "*" subscription: messages whose queue id or queue offset is not
 * the one after the previous message of their reader's queue. */
static guint64 discontinuities;
static guint64 latency_sent; /* latency mode: messages the sender got acked */
static gint sender_done;

static gboolean
reader_should_stop(const Reader *r, gint64 end)
{
    if (stopping())
        return TRUE;
    guint64 got = __atomic_load_n(&received_total, __ATOMIC_RELAXED);
    gint64 now = g_get_monotonic_time();
    if (r->latency) /* run while the sender runs, then drain (3 s at most) */
        return g_atomic_int_get(&sender_done) &&
               (got >= __atomic_load_n(&latency_sent, __ATOMIC_RELAXED) ||
                now > end + 3 * G_USEC_PER_SEC);
    return (opt_count > 0 && got >= (guint64) opt_count) || now >= end;
}

static gpointer
reader_thread(gpointer data)
{
    Reader *r = data;
    gint64 end = g_get_monotonic_time() + (gint64) opt_duration * G_USEC_PER_SEC;
    /* Tag or SQL filters skip offsets on purpose; latency mode reads others' messages too. */
    gboolean check_continuity = !r->latency && !opt_sql && g_strcmp0(opt_expression, "*") == 0;
    while (!reader_should_stop(r, end)) {
        RmqPullResult res;
        g_autoptr(GError) error = NULL;
        /* Each pull also commits what was consumed so far (as Java's push
         * consumer does); the final position is committed on the way out. */
        if (!rmq_consumer_pull_and_commit(r->c, r->q, opt_expression, r->offset, 32, 1000,
                                          r->latency ? -1 : r->offset, &res, &error)) {
            if (!opt_quiet)
                g_printerr("pull failed: %s\n", error->message);
            g_usleep(100000);
            continue;
        }
        gint64 now_mono = g_get_monotonic_time();
        gint64 now_ms = g_get_real_time() / 1000;
        gint64 expect = r->offset; /* where this pull asked to start */
        guint64 counted = 0, gaps = 0;
        for (guint i = 0; i < res.msgs->len; i++) {
            RmqMsg *m = g_ptr_array_index(res.msgs, i);
            gaps += m->queue_id != r->q->queue_id || m->queue_offset != expect;
            expect = m->queue_offset + 1;
            gint64 us = (now_ms - m->born_timestamp) * 1000;
            gsize len;
            const gchar *body = g_bytes_get_data(m->body, &len);
            if (r->latency) {
                if (len <= strlen(LAT_MAGIC) || strncmp(body, LAT_MAGIC, strlen(LAT_MAGIC)) != 0)
                    continue; /* not ours */
                us = now_mono - g_ascii_strtoll(body + strlen(LAT_MAGIC), NULL, 10);
            }
            rmq_bench_histo_record(live, (guint64) MAX(us, 0), 1);
            counted++;
        }
        if (check_continuity && gaps > 0)
            __atomic_fetch_add(&discontinuities, gaps, __ATOMIC_RELAXED);
        guint64 before = __atomic_fetch_add(&received_total, counted, __ATOMIC_RELAXED);
        if (opt_count > 0 && before < (guint64) opt_count && before + counted >= (guint64) opt_count)
            __atomic_store_n(&count_reached_us, g_get_monotonic_time(), __ATOMIC_RELAXED);
        if (res.status == RMQ_PULL_FOUND || res.status == RMQ_PULL_NO_MATCHED_MSG ||
            res.status == RMQ_PULL_OFFSET_ILLEGAL)
            r->offset = res.next_begin_offset;
        rmq_pull_result_clear(&res);
    }
    if (!r->latency) {
        g_autoptr(GError) error = NULL;
        if (!rmq_consumer_commit_offset(r->c, r->q, r->offset, &error) && !opt_quiet)
            g_printerr("offset commit failed: %s\n", error->message);
    }
    return NULL;
}

/* Latency mode sender: sync sends at opt_rate, the monotonic send time in
 * the body. */
static gpointer
latency_sender(gpointer data)
{
    RmqProducer *p = data;
    gint64 start = g_get_monotonic_time();
    gint64 end = start + (gint64) opt_duration * G_USEC_PER_SEC;
    guint64 n = 0;
    g_autofree gchar *pad = g_malloc0((gsize) opt_size + 1);
    memset(pad, 'x', (gsize) opt_size);
    while (!stopping() && g_get_monotonic_time() < end) {
        pace(start, n++, 1);
        g_autofree gchar *body = g_strdup_printf(LAT_MAGIC "%" G_GINT64_FORMAT ";%s",
                                                 g_get_monotonic_time(), pad);
        g_autoptr(RmqMsg) m = rmq_msg_new(opt_topic, body, -1);
        RmqSendResult r;
        g_autoptr(GError) error = NULL;
        if (rmq_producer_send(p, m, &r, &error)) {
            __atomic_fetch_add(&latency_sent, 1, __ATOMIC_RELAXED);
            rmq_send_result_clear(&r);
        } else if (!opt_quiet) {
            g_printerr("send failed: %s\n", error->message);
        }
    }
    g_atomic_int_set(&sender_done, 1);
    return NULL;
}

/* ------------------------------------------------------------ reporting */

static void
report_line(gint sec, const RmqBenchHisto *w, gdouble secs)
{
    if (opt_quiet)
        return;
    FILE *out = opt_json ? stderr : stdout;
    fprintf(out, "[%4ds] TPS: %9.1f  fail: %" G_GUINT64_FORMAT "  avg: %.3f ms  p50: %.3f ms  "
            "p99: %.3f ms  max: %.3f ms\n", sec, secs > 0 ? (gdouble) w->messages / secs : 0,
            w->failed, w->n ? (gdouble) w->sum_us / (gdouble) w->n / 1000.0 : 0,
            rmq_bench_histo_pct_ms(w, 0.50), rmq_bench_histo_pct_ms(w, 0.99), w->max_us / 1000.0);
    fflush(out);
}

/* Report every second until @threads have all ended. */
static void
run_reporter(GPtrArray *threads, gint64 t0)
{
    RmqBenchHisto *win = g_new0(RmqBenchHisto, 1);
    gint sec = 0;
    gint64 last = t0;
    for (;;) {
        gboolean all_done = TRUE;
        for (guint i = 0; i < threads->len && all_done; i++)
            all_done = g_atomic_pointer_get(&threads->pdata[i]) == NULL;
        gint64 next = last + G_USEC_PER_SEC;
        while (!all_done && g_get_monotonic_time() < next) {
            g_usleep(10000);
            all_done = TRUE;
            for (guint i = 0; i < threads->len && all_done; i++)
                all_done = g_atomic_pointer_get(&threads->pdata[i]) == NULL;
        }
        gint64 now = g_get_monotonic_time();
        rmq_bench_histo_drain(live, win);
        rmq_bench_histo_merge(total, win);
        if (win->n || win->failed || !all_done)
            report_line(++sec, win, (gdouble) (now - last) / G_USEC_PER_SEC);
        last = now;
        if (all_done)
            break;
    }
    g_free(win);
}

typedef struct {
    GThreadFunc func;
    gpointer data;
    gpointer *slot;
} Job;

static gpointer
job_main(gpointer data)
{
    Job *j = data;
    j->func(j->data);
    g_atomic_pointer_set(j->slot, NULL);
    g_free(j);
    return NULL;
}

/* Start @func(@data) in a thread whose "running" marker is @slots[i]. */
static GThread *
start_job(GPtrArray *slots, guint i, GThreadFunc func, gpointer data)
{
    Job *j = g_new0(Job, 1);
    j->func = func;
    j->data = data;
    j->slot = &slots->pdata[i];
    slots->pdata[i] = GINT_TO_POINTER(1);
    return g_thread_new("rmq-bench", job_main, j);
}

/* CPU time (user + system) in microseconds: this process, or @pid from
 * /proc/PID/stat (-1 when it cannot be read). */
static gint64
cpu_us(gint pid)
{
    if (pid == 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return (gint64) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * G_USEC_PER_SEC +
               ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    }
    g_autofree gchar *path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree gchar *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return -1;
    const gchar *p = strrchr(text, ')'); /* the name may hold spaces */
    unsigned long long ut, st;
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                            &st) != 2)
        return -1;
    return (gint64) ((ut + st) * G_USEC_PER_SEC / (unsigned long long) sysconf(_SC_CLK_TCK));
}

static gint64 cpu_self0, cpu_broker0;

static void
cpu_start(void)
{
    cpu_self0 = cpu_us(0);
    cpu_broker0 = opt_broker_pid > 0 ? cpu_us(opt_broker_pid) : -1;
}

/* Microseconds of CPU per message since cpu_start(), or -1. */
static gdouble
cpu_per_msg(gint pid, gint64 start, guint64 messages)
{
    gint64 now = cpu_us(pid);
    if (start < 0 || now < 0 || messages == 0)
        return -1;
    return (gdouble) (now - start) / (gdouble) messages;
}

static void
summary(const gchar *mode, gint64 t0, guint64 sent, guint64 received)
{
    gdouble self_cpu = cpu_per_msg(0, cpu_self0, total->messages);
    gdouble broker_cpu = opt_broker_pid > 0 ? cpu_per_msg(opt_broker_pid, cpu_broker0, total->messages) : -1;
    gdouble wall = (gdouble) (g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
    gint64 reached = __atomic_load_n(&count_reached_us, __ATOMIC_RELAXED);
    gdouble secs = reached > 0 ? (gdouble) (reached - t0) / G_USEC_PER_SEC : wall;
    guint64 gaps = __atomic_load_n(&discontinuities, __ATOMIC_RELAXED);
    gdouble tps = secs > 0 ? (gdouble) total->messages / secs : 0;
    gdouble avg = total->n ? (gdouble) total->sum_us / (gdouble) total->n / 1000.0 : 0;
    if (opt_json) {
        printf("{\"mode\":\"%s\",\"topic\":\"%s\",\"threads\":%d,\"connections\":%d,"
               "\"drivers\":%d,\"bodySize\":%d,"
               "\"seconds\":%.3f,\"sent\":%" G_GUINT64_FORMAT ",\"ok\":%" G_GUINT64_FORMAT
               ",\"failed\":%" G_GUINT64_FORMAT ",\"received\":%" G_GUINT64_FORMAT
               ",\"tps\":%.1f,\"avgMs\":%.3f,\"p50Ms\":%.3f,\"p99Ms\":%.3f,\"maxMs\":%.3f,"
               "\"cpuUsPerMsg\":%.2f,\"brokerCpuUsPerMsg\":%.2f,\"wallSeconds\":%.3f,"
               "\"discontinuities\":%" G_GUINT64_FORMAT "}\n",
               mode, opt_topic, opt_threads, opt_connections, opt_drivers, opt_size, secs, sent, total->messages,
               total->failed, received, tps, avg, rmq_bench_histo_pct_ms(total, 0.5),
               rmq_bench_histo_pct_ms(total, 0.99), total->max_us / 1000.0, self_cpu, broker_cpu,
               wall, gaps);
        return;
    }
    printf("\n== %s summary: %.1f s, threads %d, connections %d, driven by %d thread(s), body %d "
           "bytes ==\n", mode, secs, opt_threads, opt_connections, opt_drivers, opt_size);
    if (sent)
        printf("sent: %" G_GUINT64_FORMAT "  ok: %" G_GUINT64_FORMAT "  failed: %" G_GUINT64_FORMAT
               "\n", sent, total->messages, total->failed);
    if (received || !sent)
        printf("received: %" G_GUINT64_FORMAT "\n", received);
    if (reached > 0)
        printf("count reached after %.3f s (TPS over that; the run ended at %.3f s)\n", secs,
               wall);
    if (gaps > 0)
        printf("discontinuities (queue id or offset not the next): %" G_GUINT64_FORMAT "\n",
               gaps);
    printf("TPS: %.1f  avg: %.3f ms  p50: %.3f ms  p99: %.3f ms  max: %.3f ms\n", tps, avg,
           rmq_bench_histo_pct_ms(total, 0.5), rmq_bench_histo_pct_ms(total, 0.99), total->max_us / 1000.0);
    if (self_cpu >= 0)
        printf("CPU per message: rmq-bench %.2f us", self_cpu);
    if (broker_cpu >= 0)
        printf(", broker (pid %d) %.2f us", opt_broker_pid, broker_cpu);
    if (self_cpu >= 0)
        printf("\n");
}

/* ------------------------------------------------------------ modes */

static int
run_producer(void)
{
    const gchar *modes[] = { "sync", "async", "oneway", "batch" };
    gboolean known = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(modes); i++)
        known |= g_strcmp0(opt_mode, modes[i]) == 0;
    if (!known) {
        g_printerr("rmq-bench: -m must be sync, async, oneway or batch\n");
        return 2;
    }
    gboolean per_thread = strcmp(opt_mode, "oneway") == 0 || strcmp(opt_mode, "batch") == 0;
    if (opt_connections == 0)
        opt_connections = per_thread ? opt_threads : 1;
    opt_connections = MIN(opt_connections, opt_threads);
    if (per_thread && opt_connections != opt_threads) {
        g_printerr("rmq-bench: -m %s sends from blocking threads: --connections must equal -w\n",
                   opt_mode);
        return 2;
    }
    if (opt_drivers > 0 && strcmp(opt_mode, "sync") != 0) {
        g_printerr("rmq-bench: --drivers is for -m sync\n");
        return 2;
    }
    if (opt_drivers > 0 && opt_rate > 0) {
        g_printerr("rmq-bench: --drivers does not take -r (a paced lane would stall its "
                   "thread's other connections)\n");
        return 2;
    }
    gint nconn = opt_connections;
    /* Default: a thread per connection, which blocks on its sends (one
     * lane) or runs its lanes' loop (several). */
    gboolean driven = opt_drivers > 0;
    opt_drivers = driven ? MIN(opt_drivers, nconn) : nconn;
    gint ndrv = opt_drivers;
    g_autofree Driver *ds = g_new0(Driver, ndrv);
    for (gint i = 0; driven && i < ndrv; i++) {
        ds[i].ctx = g_main_context_new();
        ds[i].ws = g_ptr_array_new();
    }
    g_autoptr(GPtrArray) slots = g_ptr_array_new();
    g_ptr_array_set_size(slots, (guint) ndrv);
    g_autofree Worker *ws = g_new0(Worker, nconn);
    g_autofree gchar *body = g_malloc((gsize) opt_size);
    memset(body, 'a', (gsize) opt_size);
    g_autoptr(GPtrArray) threads = g_ptr_array_new();
    /* Each connection has its own producer (connection) and, by default,
     * its own context and thread; with --drivers, connection i runs on
     * driver i % D's context. The -w lanes are dealt out over the
     * connections. A topic route is looked up before the clock starts. */
    for (gint i = 0; i < nconn; i++) {
        ws[i].p = bench_producer_new(driven ? ds[i % ndrv].ctx : NULL);
        if (driven)
            g_ptr_array_add(ds[i % ndrv].ws, &ws[i]);
        ws[i].body = body;
        ws[i].lanes = (guint) (opt_threads / nconn + (i < opt_threads % nconn ? 1 : 0));
        ws[i].limit = opt_count > 0 ? (guint64) opt_count * ws[i].lanes : 0;
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) qs = rmq_producer_fetch_publish_queues(ws[i].p, opt_topic, &error);
        if (qs == NULL) {
            g_printerr("rmq-bench: %s\n", error->message);
            return 1;
        }
    }
    cpu_start();
    gint64 t0 = g_get_monotonic_time();
    for (gint i = 0; i < ndrv; i++)
        g_ptr_array_add(threads, driven ? start_job(slots, (guint) i, driver_thread, &ds[i])
                                        : start_job(slots, (guint) i, producer_thread, &ws[i]));
    run_reporter(slots, t0);
    for (gint i = 0; i < ndrv; i++)
        g_thread_join(g_ptr_array_index(threads, i));
    guint64 sent = 0;
    for (gint i = 0; i < nconn; i++)
        sent += ws[i].sent;
    summary(opt_mode, t0, sent, 0);
    for (gint i = 0; i < nconn; i++)
        rmq_producer_free(ws[i].p);
    for (gint i = 0; driven && i < ndrv; i++) {
        g_ptr_array_unref(ds[i].ws);
        g_main_context_unref(ds[i].ctx);
    }
    return total->failed ? 1 : 0;
}

static int
run_readers(gboolean latency)
{
    g_autoptr(RmqConsumer) probe = bench_consumer_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqProducer) sender = NULL;
    if (latency) {
        /* One message first, so a new topic gets created (and routed)
         * before the readers look for its queues. */
        sender = bench_producer_new(NULL);
        g_autoptr(RmqMsg) warm = rmq_msg_new(opt_topic, "rmq-bench warm-up", -1);
        RmqSendResult r;
        if (!rmq_producer_send(sender, warm, &r, &error)) {
            g_printerr("rmq-bench: %s\n", error->message);
            return 1;
        }
        rmq_send_result_clear(&r);
    }
    g_autoptr(GPtrArray) queues = NULL;
    for (gint tries = 0; queues == NULL; tries++) {
        g_clear_error(&error);
        queues = rmq_consumer_fetch_subscribe_queues(probe, opt_topic, &error);
        if (queues || !latency || tries == 50)
            break;
        g_usleep(100000);
    }
    if (queues == NULL) {
        g_printerr("rmq-bench: %s\n", error->message);
        return 1;
    }
    if (queues->len == 0) {
        g_printerr("rmq-bench: topic %s has no readable queue\n", opt_topic);
        return 1;
    }
    guint n = queues->len;
    g_autofree Reader *rs = g_new0(Reader, n);
    for (guint i = 0; i < n; i++) {
        RmqQueue *q = g_ptr_array_index(queues, i);
        rs[i].c = bench_consumer_new();
        rs[i].q = q;
        rs[i].latency = latency;
        gint64 off = -1;
        if (!latency && !opt_from_start)
            off = rmq_consumer_query_offset(rs[i].c, q, NULL);
        if (off < 0)
            off = (opt_from_start && !latency) ? rmq_consumer_min_offset(rs[i].c, q, &error)
                                                : rmq_consumer_max_offset(rs[i].c, q, &error);
        if (off < 0) {
            g_printerr("rmq-bench: %s\n", error->message);
            return 1;
        }
        rs[i].offset = off;
    }
    g_autoptr(GPtrArray) slots = g_ptr_array_new();
    g_ptr_array_set_size(slots, n + (latency ? 1 : 0));
    g_autoptr(GPtrArray) threads = g_ptr_array_new();
    cpu_start();
    gint64 t0 = g_get_monotonic_time();
    for (guint i = 0; i < n; i++)
        g_ptr_array_add(threads, start_job(slots, i, reader_thread, &rs[i]));
    if (latency)
        g_ptr_array_add(threads, start_job(slots, n, latency_sender, sender));
    opt_threads = (gint) n;
    opt_drivers = (gint) threads->len; /* one thread per reader (and the sender) */
    run_reporter(slots, t0);
    for (guint i = 0; i < threads->len; i++)
        g_thread_join(g_ptr_array_index(threads, i));
    guint64 got = __atomic_load_n(&received_total, __ATOMIC_RELAXED);
    guint64 sent = latency ? __atomic_load_n(&latency_sent, __ATOMIC_RELAXED) : 0;
    summary(latency ? "latency" : "consumer", t0, sent, got);
    for (guint i = 0; i < n; i++)
        rmq_consumer_free(rs[i].c);
    return latency && got < sent ? 1 : 0;
}

/* Library chatter only with RMQ_BENCH_DEBUG; warnings always. */
static GLogWriterOutput
quiet_writer(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer data)
{
    if ((level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) &&
        g_getenv("RMQ_BENCH_DEBUG") == NULL)
        return G_LOG_WRITER_HANDLED;
    return g_log_writer_standard_streams(level, fields, n, data);
}

int
main(int argc, char **argv)
{
    g_log_set_writer_func(quiet_writer, NULL, NULL);
    GOptionEntry entries[] = {
        { "namesrvAddr", 'n', 0, G_OPTION_ARG_STRING, &opt_namesrv, "Name servers (default $NAMESRV_ADDR)", "ADDRS" },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &opt_topic, "Topic (BenchmarkTest)", "TOPIC" },
        { "group", 'g', 0, G_OPTION_ARG_STRING, &opt_group, "Producer/consumer group (benchmark_group)", "GROUP" },
        { "threads", 'w', 0, G_OPTION_ARG_INT, &opt_threads, "Producer threads (4); consumers use one per queue", "N" },
        { "size", 's', 0, G_OPTION_ARG_INT, &opt_size, "Body size in bytes (128)", "BYTES" },
        { "duration", 'd', 0, G_OPTION_ARG_INT, &opt_duration, "Seconds to run (10)", "S" },
        { "mode", 'm', 0, G_OPTION_ARG_STRING, &opt_mode, "producer: sync, async, oneway or batch (sync)", "MODE" },
        { "batch", 'b', 0, G_OPTION_ARG_INT, &opt_batch, "Messages per batch (16)", "N" },
        { "rate", 'r', 0, G_OPTION_ARG_INT, &opt_rate, "Messages per second over all threads (0 = as fast as possible; latency mode: 1000)", "N" },
        { "window", 0, 0, G_OPTION_ARG_INT, &opt_window, "Async sends in flight per thread (32)", "N" },
        { "connections", 0, 0, G_OPTION_ARG_INT, &opt_connections, "Producer: connections the threads share, as real clients share one (sync/async: 1; oneway/batch: one per thread)", "N" },
        { "drivers", 0, 0, G_OPTION_ARG_INT, &opt_drivers, "Producer, -m sync: threads that drive the connections, each an event loop over its share (default: one blocking thread per connection; 1 = as redis-benchmark -c N)", "D" },
        { "count", 'c', 0, G_OPTION_ARG_INT64, &opt_count, "Stop after this many messages (producer: per thread; consumer: in all)", "N" },
        { "broker-pid", 0, 0, G_OPTION_ARG_INT, &opt_broker_pid, "Also report this broker process's CPU per message (from /proc)", "PID" },
        { "from-start", 0, 0, G_OPTION_ARG_NONE, &opt_from_start, "Consumer: start at the queues' min offsets", NULL },
        { "numbered", 0, 0, G_OPTION_ARG_NONE, &opt_numbered, "Producer: message k gets tag T<k%10> and property n=<k%10>", NULL },
        { "expression", 'e', 0, G_OPTION_ARG_STRING, &opt_expression, "Consumer: subscription expression (\"*\"; tags \"T0 || T1\", or SQL92 with --sql)", "EXPR" },
        { "sql", 0, 0, G_OPTION_ARG_NONE, &opt_sql, "Consumer: the expression is SQL92 (MessageSelector.bySql; the broker needs enablePropertyFilter)", NULL },
        { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Summary as JSON on stdout (per-second lines go to stderr)", NULL },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "No per-second lines or per-failure messages", NULL },
        { "access-key", 0, 0, G_OPTION_ARG_STRING, &opt_access_key, "Plain ACL access key: sign every request (default $RMQ_ACCESS_KEY)", "KEY" },
        { "secret-key", 0, 0, G_OPTION_ARG_STRING, &opt_secret_key, "Plain ACL secret key (default $RMQ_SECRET_KEY; visible to ps, prefer --credentials)", "SECRET" },
        { "credentials", 0, 0, G_OPTION_ARG_FILENAME, &opt_credentials, "File with accessKey=... and secretKey=... lines, mode 0600 or 0400", "FILE" },
        RMQ_TOOL_TLS_OPTIONS(&opt_tls),
        { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print the version and exit", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("producer|consumer|latency");
    g_option_context_set_summary(ctx,
        "Load generator for RocketMQ-compatible brokers. Prints TPS and average, p50, p99 and\n"
        "max latency every second and a summary at the end.\n\n"
        "  producer  send load (-m sync|async|oneway|batch); latency = send round trip\n"
        "  consumer  pull load, one thread per queue; latency = now - born time (ms clocks)\n"
        "  latency   send at a fixed rate (-r) and pull in the same process; latency =\n"
        "            send to receive, microseconds, monotonic clock");
    g_option_context_set_description(ctx, "Exit status: 0 success, 1 failures happened (or messages "
                                          "lost in latency mode), 2 usage error.\n");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("rmq-bench: %s\n", error->message);
        return 2;
    }
    if (opt_version) {
        printf("rmq-bench %s (RocketMQ 4.9.7 remoting protocol)\n", PACKAGE_VERSION);
        return 0;
    }
    if (argc != 2) {
        g_printerr("rmq-bench: give one of producer, consumer, latency (see --help)\n");
        return 2;
    }
    if (opt_namesrv == NULL && g_getenv("NAMESRV_ADDR") == NULL) {
        g_printerr("rmq-bench: no name server: use -n HOST:PORT or set NAMESRV_ADDR\n");
        return 2;
    }
    if (!rmq_tool_credentials_resolve(&cred, opt_access_key, opt_secret_key, opt_credentials,
                                      &error)) {
        g_printerr("rmq-bench: %s\n", error->message);
        return 2;
    }
    if (rmq_tool_tls_wanted(&opt_tls)) {
        g_autoptr(RmqInstance) probe = rmq_instance_new(opt_namesrv, NULL);
        if (!rmq_tool_tls_apply(&opt_tls, probe, &error)) {
            g_printerr("rmq-bench: %s\n", error->message);
            return 2;
        }
    }
    if (opt_threads <= 0 || opt_size <= 0 || opt_duration <= 0 || opt_batch <= 0 || opt_window <= 0 ||
        opt_connections < 0 || opt_drivers < 0) {
        g_printerr("rmq-bench: -w, -s, -d, -b, --window, --connections and --drivers must be "
                   "positive\n");
        return 2;
    }
    if (opt_topic == NULL)
        opt_topic = g_strdup("BenchmarkTest");
    if (opt_group == NULL)
        opt_group = g_strdup("benchmark_group");
    if (opt_mode == NULL)
        opt_mode = g_strdup("sync");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    live = g_new0(RmqBenchHisto, 1);
    total = g_new0(RmqBenchHisto, 1);
    int rc;
    if (strcmp(argv[1], "producer") == 0) {
        rc = run_producer();
    } else if (strcmp(argv[1], "consumer") == 0) {
        rc = run_readers(FALSE);
    } else if (strcmp(argv[1], "latency") == 0) {
        if (opt_rate <= 0)
            opt_rate = 1000;
        g_free(opt_mode);
        opt_mode = g_strdup("latency");
        rc = run_readers(TRUE);
    } else {
        g_printerr("rmq-bench: unknown mode '%s'\n", argv[1]);
        rc = 2;
    }
    g_free(live);
    g_free(total);
    return rc;
}
