/* Stop and restart in every order, on the real rmq-namesrv and rmq-broker:
 *  - name server first, broker first, both at the same instant (repeated);
 *  - the broker stopped while the project's C client sends and pulls;
 *  - SIGTERM while the broker recovers its store after a SIGKILL;
 *  - SIGTERM twice; SIGHUP (reload) during load.
 * Every stop must exit 0 and log "<program> stopped"; the broker's store must
 * be left clean (no abort file, and the next start logs no "(recovered after
 * a crash)"); every send the client saw acknowledged must be readable after
 * the restart, with its body intact and in the test's topic.
 *
 * RMQ_STOP_ROUNDS sets how many times the both-at-once case runs (5). */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "../broker/harness.h"
#include "client/rmq-client.h"
#include "remoting/codes.h"

#define TOPIC "StopMatrixTopic"
#define GROUP "StopMatrixGroup"
#define N_QUEUES 4

typedef struct {
    BkDaemon *ns;
    BkDaemon *broker;
    GMutex lock;
    GHashTable *acked; /* body -> NULL: every send answered SEND_OK */
    guint seq;         /* next key number (under lock) */
} Fixture;

/* ------------------------------------------------------------ helpers */

static pid_t
pid_of(BkDaemon *d)
{
    const gchar *id = d->proc != NULL ? g_subprocess_get_identifier(d->proc) : NULL;
    assert_non_null(id);
    return (pid_t) atoi(id);
}

static gsize
log_size(BkDaemon *d)
{
    g_autofree gchar *log = bk_daemon_log(d);
    return strlen(log);
}

/* The log written since byte @from. (transfer full) */
static gchar *
log_since(BkDaemon *d, gsize from)
{
    g_autofree gchar *log = bk_daemon_log(d);
    return g_strdup(strlen(log) >= from ? log + from : log);
}

static guint
count_occurrences(const gchar *hay, const gchar *needle)
{
    guint n = 0;
    for (const gchar *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static gchar *
store_file(Fixture *f, const gchar *name)
{
    return g_build_filename(f->broker->dir, "store", name, NULL);
}

static void
start(BkDaemon *d, const gchar *what)
{
    g_autoptr(GError) error = NULL;
    /* a reload also sends READY=1: wait for this run's, not a stale one */
    if (d->notify != NULL)
        rmq_test_notify_drain(d->notify);
    if (!bk_daemon_start(d, 30000, &error))
        fail_msg("%s: %s", what, error->message);
}

/* Wait for an exit already asked for (signal 0 only probes). */
static int
reap(BkDaemon *d, guint timeout_ms)
{
    return bk_daemon_signal_and_wait(d, 0, timeout_ms);
}

/* The daemon that just exited with @status: 0, "<program> stopped" logged
 * once since @log_from. */
static void
assert_stopped(BkDaemon *d, const gchar *program, int status, gsize log_from)
{
    g_autofree gchar *log = log_since(d, log_from);
    g_autofree gchar *needle = g_strdup_printf("%s stopped", program);

    if (status != 0)
        fail_msg("%s exited with %d (%s) instead of 0; its log:\n%s", program, status,
                 status > 128 ? g_strsignal(status - 128) : "exit status", log);
    if (count_occurrences(log, needle) != 1)
        fail_msg("%s: \"%s\" logged %u times; its log:\n%s", program, needle,
                 count_occurrences(log, needle), log);
}

/* The store was closed cleanly: no abort file (it exists from a start until
 * a clean close). */
static void
assert_store_clean(Fixture *f)
{
    g_autofree gchar *abort_path = store_file(f, "abort");
    if (g_file_test(abort_path, G_FILE_TEST_EXISTS))
        fail_msg("the broker left %s behind: its store needs recovery", abort_path);
}

/* Start the broker again; its start must not be a crash recovery. */
static void
restart_broker_clean(Fixture *f)
{
    gsize from = log_size(f->broker);
    start(f->broker, "broker restart");
    g_autofree gchar *log = log_since(f->broker, from);
    if (strstr(log, "recovered after a crash") != NULL)
        fail_msg("the broker recovered after a clean stop; its log:\n%s", log);
    if (strstr(log, "listening on") == NULL)
        fail_msg("the restarted broker did not log where it listens; its log since byte %zu:\n%s",
                 from, log);
}

static gchar *
next_key(Fixture *f, const gchar *prefix)
{
    g_mutex_lock(&f->lock);
    guint n = f->seq++;
    g_mutex_unlock(&f->lock);
    return g_strdup_printf("%s-%06u-%s", prefix, n, "stop-matrix-body");
}

static void
record_ack(Fixture *f, const gchar *body)
{
    g_mutex_lock(&f->lock);
    g_hash_table_add(f->acked, g_strdup(body));
    g_mutex_unlock(&f->lock);
}

static guint
acked_count(Fixture *f)
{
    g_mutex_lock(&f->lock);
    guint n = g_hash_table_size(f->acked);
    g_mutex_unlock(&f->lock);
    return n;
}

static RmqProducer *
producer_new(Fixture *f, guint timeout_ms)
{
    RmqProducer *p = rmq_producer_new("StopMatrixProducers", f->ns->addr, NULL);
    rmq_producer_set_send_msg_timeout(p, timeout_ms);
    /* one broker: a failed broker must not be skipped for 30 s */
    rmq_producer_set_fault_duration(p, 0);
    return p;
}

/* One blocking send; TRUE and recorded when acknowledged (SEND_OK). */
static gboolean
send_one(Fixture *f, RmqProducer *p, const gchar *prefix, GError **error)
{
    g_autofree gchar *body = next_key(f, prefix);
    g_autoptr(RmqMsg) m = rmq_msg_new(TOPIC, body, -1);
    RmqSendResult r = { 0 };

    rmq_msg_set_keys(m, body);
    if (!rmq_producer_send(p, m, &r, error))
        return FALSE;
    gboolean ok = r.status == RMQ_SEND_OK;
    if (ok)
        record_ack(f, body);
    else
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_BROKER_REFUSED, "send status %s",
                    rmq_send_status_name(r.status));
    rmq_send_result_clear(&r);
    return ok;
}

/* @n acknowledged sends, all of which must succeed. */
static void
produce(Fixture *f, guint n, const gchar *prefix)
{
    g_autoptr(RmqProducer) p = producer_new(f, 5000);
    for (guint i = 0; i < n; i++) {
        g_autoptr(GError) error = NULL;
        if (!send_one(f, p, prefix, &error))
            fail_msg("send %u of %u: %s", i, n, error->message);
    }
}

/* Read every queue of the topic from the broker itself and check that each
 * acknowledged body is there, intact, in TOPIC. Returns how many records the
 * broker holds. */
static guint
assert_nothing_lost(Fixture *f)
{
    g_autoptr(RmqClient) rc = rmq_client_new(NULL);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint records = 0;

    for (gint q = 0; q < N_QUEUES; q++) {
        gint64 off = 0;
        for (int rounds = 0; rounds < 100000; rounds++) {
            g_autoptr(RmqCommand) r = bk_pull(rc, f->broker->addr, GROUP, TOPIC, q, off, "*", 0);
            assert_non_null(r);
            if (r->code == RMQ_RESPONSE_PULL_NOT_FOUND)
                break;
            if (r->code == RMQ_RESPONSE_PULL_RETRY_IMMEDIATELY)
                continue;
            if (r->code != RMQ_RESPONSE_SUCCESS)
                fail_msg("pull q%d @%" G_GINT64_FORMAT ": code %d %s", q, off, r->code,
                         r->remark != NULL ? r->remark : "");
            g_autoptr(GArray) recs = bk_records(r->body);
            assert_true(recs->len > 0);
            for (guint i = 0; i < recs->len; i++) {
                const RmqMessageRecord *rec = &g_array_index(recs, RmqMessageRecord, i);
                g_autofree gchar *topic = bk_record_topic(rec);
                gchar *body = bk_record_body(rec);
                if (strcmp(topic, TOPIC) != 0)
                    fail_msg("q%d @%" G_GINT64_FORMAT ": a message of topic %s", q,
                             rec->queue_offset, topic);
                if (!g_str_has_suffix(body, "-stop-matrix-body"))
                    fail_msg("q%d @%" G_GINT64_FORMAT ": corrupted body \"%s\"", q,
                             rec->queue_offset, body);
                g_hash_table_add(seen, body);
                off = rec->queue_offset + 1;
                records++;
            }
        }
    }
    guint lost = 0;
    GHashTableIter it;
    gpointer key;
    g_mutex_lock(&f->lock);
    g_hash_table_iter_init(&it, f->acked);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!g_hash_table_contains(seen, key)) {
            if (lost < 10)
                print_message("# lost: %s\n", (const gchar *) key);
            lost++;
        }
    guint acked = g_hash_table_size(f->acked);
    g_mutex_unlock(&f->lock);
    print_message("# %u acknowledged, %u stored, %u lost\n", acked, records, lost);
    assert_int_equal(lost, 0);
    return records;
}

/* ------------------------------------------------------------ fixture */

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    g_mutex_init(&f->lock);
    f->acked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    f->ns = bk_namesrv_new();
    start(f->ns, "rmq-namesrv");
    f->broker = bk_broker_new(f->ns->addr, NULL);
    start(f->broker, "rmq-broker");

    g_autoptr(RmqAdmin) a = rmq_admin_new(f->ns->addr, NULL);
    g_autoptr(GError) error = NULL;
    RmqTopicSpec spec;
    rmq_topic_spec_init(&spec);
    spec.read_queue_nums = spec.write_queue_nums = N_QUEUES;
    if (!rmq_admin_update_topic(a, f->broker->addr, TOPIC, &spec, &error))
        fail_msg("create topic: %s", error->message);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;
    bk_daemon_free(f->broker);
    bk_daemon_free(f->ns);
    g_hash_table_unref(f->acked);
    g_mutex_clear(&f->lock);
    g_free(f);
    return 0;
}

/* Wait until the name server routes TOPIC to the broker again (after either
 * restarted). */
static void
wait_route(Fixture *f)
{
    g_autoptr(RmqProducer) p = producer_new(f, 2000);
    for (int i = 0; i < 100; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) qs = rmq_producer_fetch_publish_queues(p, TOPIC, &error);
        if (qs != NULL && qs->len > 0)
            return;
        g_usleep(100 * 1000);
    }
    fail_msg("the name server never routed %s to the broker again", TOPIC);
}

static void
restart_both(Fixture *f)
{
    start(f->ns, "rmq-namesrv restart");
    restart_broker_clean(f);
    wait_route(f);
}

/* ------------------------------------------------------------ load threads */

typedef struct {
    Fixture *f;
    gint stop;
    guint sent_ok;
    guint send_failed;
    guint pulled;
    guint bad;          /* pulled records of another topic or with a corrupt body */
    gchar *bad_what;
} Load;

static gpointer
producer_thread(gpointer data)
{
    Load *l = data;
    g_autoptr(RmqProducer) p = producer_new(l->f, 3000);
    while (!g_atomic_int_get(&l->stop)) {
        g_autoptr(GError) error = NULL;
        if (send_one(l->f, p, "load", &error)) {
            g_atomic_int_inc(&l->sent_ok);
        } else {
            g_atomic_int_inc(&l->send_failed);
            g_usleep(20 * 1000);
        }
    }
    return NULL;
}

static gpointer
consumer_thread(gpointer data)
{
    Load *l = data;
    g_autoptr(RmqConsumer) c = rmq_consumer_new(GROUP, l->f->ns->addr, NULL);
    gint64 next[N_QUEUES] = { 0 };
    /* long polls (200 ms): a stop also finds parked pulls */

    while (!g_atomic_int_get(&l->stop)) {
        for (gint q = 0; q < N_QUEUES && !g_atomic_int_get(&l->stop); q++) {
            g_autoptr(RmqQueue) mq = rmq_queue_new(TOPIC, "broker-a", q);
            g_autoptr(GError) error = NULL;
            RmqPullResult r = { 0 };
            if (!rmq_consumer_pull(c, mq, "*", next[q], 32, 200, &r, &error)) {
                g_usleep(20 * 1000);
                continue;
            }
            for (guint i = 0; r.status == RMQ_PULL_FOUND && i < r.msgs->len; i++) {
                const RmqMsg *m = g_ptr_array_index(r.msgs, i);
                gsize len;
                const gchar *body = g_bytes_get_data(m->body, &len);
                g_autofree gchar *text = g_strndup(body, len);
                if (strcmp(m->topic, TOPIC) != 0 || !g_str_has_suffix(text, "-stop-matrix-body")) {
                    if (g_atomic_int_add(&l->bad, 1) == 0)
                        l->bad_what = g_strdup_printf("%s: %s", m->topic, text);
                }
                g_atomic_int_inc(&l->pulled);
            }
            if (r.status == RMQ_PULL_FOUND || r.status == RMQ_PULL_OFFSET_ILLEGAL)
                next[q] = r.next_begin_offset;
            rmq_pull_result_clear(&r);
        }
    }
    return NULL;
}

#define N_PRODUCERS 3

typedef struct {
    Load load;
    GThread *producers[N_PRODUCERS];
    GThread *consumer;
} Workload;

static void load_stop(Workload *w);

static void
load_start(Workload *w, Fixture *f)
{
    memset(w, 0, sizeof *w);
    w->load.f = f;
    for (int i = 0; i < N_PRODUCERS; i++)
        w->producers[i] = g_thread_new("producer", producer_thread, &w->load);
    w->consumer = g_thread_new("consumer", consumer_thread, &w->load);
}

/* Wait until @n more sends were acknowledged (fails after 30 s). */
static void
load_wait_acks(Workload *w, guint n)
{
    guint target = (guint) g_atomic_int_get(&w->load.sent_ok) + n;
    for (int i = 0; i < 3000 && (guint) g_atomic_int_get(&w->load.sent_ok) < target; i++)
        g_usleep(10 * 1000);
    if ((guint) g_atomic_int_get(&w->load.sent_ok) < target) {
        load_stop(w);
        fail_msg("the load stalled: %u acknowledged, %u failed", w->load.sent_ok,
                 w->load.send_failed);
    }
}

static void
load_stop(Workload *w)
{
    g_atomic_int_set(&w->load.stop, 1);
    for (int i = 0; i < N_PRODUCERS; i++)
        g_thread_join(w->producers[i]);
    g_thread_join(w->consumer);
    print_message("# load: %u acknowledged, %u failed sends, %u pulled\n", w->load.sent_ok,
                  w->load.send_failed, w->load.pulled);
    if (w->load.bad > 0)
        fail_msg("consumers saw %u foreign or corrupted messages, e.g. %s", w->load.bad,
                 w->load.bad_what);
    g_free(w->load.bad_what);
}

/* ------------------------------------------------------------ the matrix */

static void
test_namesrv_first(void **state)
{
    Fixture *f = *state;
    gsize ns_from = log_size(f->ns), br_from = log_size(f->broker);

    produce(f, 200, "nsfirst");
    assert_stopped(f->ns, "rmq-namesrv", bk_daemon_signal_and_wait(f->ns, SIGTERM, 15000), ns_from);
    /* the broker's unregistration finds no name server: it must still stop */
    assert_stopped(f->broker, "rmq-broker", bk_daemon_signal_and_wait(f->broker, SIGTERM, 20000),
                   br_from);
    assert_store_clean(f);
    restart_both(f);
    assert_nothing_lost(f);
}

static void
test_broker_first(void **state)
{
    Fixture *f = *state;
    gsize ns_from = log_size(f->ns), br_from = log_size(f->broker);

    produce(f, 200, "brfirst");
    assert_stopped(f->broker, "rmq-broker", bk_daemon_signal_and_wait(f->broker, SIGTERM, 20000),
                   br_from);
    assert_store_clean(f);
    assert_stopped(f->ns, "rmq-namesrv", bk_daemon_signal_and_wait(f->ns, SIGTERM, 15000), ns_from);
    restart_both(f);
    assert_nothing_lost(f);
}

/* systemctl stop rocketmq.target: both get SIGTERM at the same moment. */
static void
test_both_at_once(void **state)
{
    Fixture *f = *state;
    const gchar *env = g_getenv("RMQ_STOP_ROUNDS");
    guint rounds = env != NULL && atoi(env) > 0 ? (guint) atoi(env) : 5;

    for (guint round = 1; round <= rounds; round++) {
        gsize ns_from = log_size(f->ns), br_from = log_size(f->broker);
        g_autofree gchar *prefix = g_strdup_printf("both%u", round);

        produce(f, 100, prefix);
        pid_t ns = pid_of(f->ns), br = pid_of(f->broker);
        /* alternate which one is signalled first, a microsecond apart */
        if (round % 2 == 1) {
            kill(ns, SIGTERM);
            kill(br, SIGTERM);
        } else {
            kill(br, SIGTERM);
            kill(ns, SIGTERM);
        }
        int ns_status = reap(f->ns, 15000);
        int br_status = reap(f->broker, 20000);
        print_message("# round %u: rmq-namesrv exit %d, rmq-broker exit %d\n", round, ns_status,
                      br_status);
        assert_stopped(f->ns, "rmq-namesrv", ns_status, ns_from);
        assert_stopped(f->broker, "rmq-broker", br_status, br_from);
        assert_store_clean(f);
        restart_both(f);
    }
    assert_nothing_lost(f);
}

/* SIGTERM while three producers and a consumer are busy with the broker. */
static void
test_stop_under_load(void **state)
{
    Fixture *f = *state;
    gsize br_from = log_size(f->broker);
    Workload w;

    load_start(&w, f);
    load_wait_acks(&w, 500);
    int status = bk_daemon_signal_and_wait(f->broker, SIGTERM, 20000);
    /* the clients see the broker gone for a moment, then stop */
    g_usleep(300 * 1000);
    load_stop(&w);
    assert_stopped(f->broker, "rmq-broker", status, br_from);
    assert_store_clean(f);
    restart_broker_clean(f);
    wait_route(f);
    assert_nothing_lost(f);
    /* and it serves again */
    produce(f, 20, "after");
    assert_nothing_lost(f);
}

/* Does /proc/<pid>/status say the process catches @sig (its handler is
 * installed)? */
static gboolean
catches(pid_t pid, int sig)
{
    g_autofree gchar *path = g_strdup_printf("/proc/%d/status", (int) pid);
    g_autofree gchar *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return FALSE;
    const gchar *p = strstr(text, "SigCgt:");
    if (p == NULL)
        return FALSE;
    guint64 mask = g_ascii_strtoull(p + 7, NULL, 16);
    return (mask >> (sig - 1)) & 1;
}

/* A SIGKILL leaves the store needing recovery; SIGTERM the restarted broker
 * as soon as it handles SIGTERM (from there on it is opening the store; one
 * round sends SIGHUP first). The recovery completes, the broker stops
 * cleanly, and the next start is a clean one with every acknowledged
 * message. */
static void
test_sigterm_during_recovery(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    guint before_ready = 0;

    produce(f, 3000, "recovery");
    for (guint round = 0; round < 3; round++) {
        assert_int_equal(bk_daemon_signal_and_wait(f->broker, SIGKILL, 5000), 128 + SIGKILL);
        g_autofree gchar *abort_path = store_file(f, "abort");
        assert_true(g_file_test(abort_path, G_FILE_TEST_EXISTS));

        gsize from = log_size(f->broker);
        g_autofree gchar *bin = rmq_test_build_path(f->broker->binary);
        const gchar *argv[] = { bin, "--config", f->broker->conf_path, NULL };
        rmq_test_notify_drain(f->broker->notify);
        f->broker->proc = rmq_test_daemon_spawn(argv, f->broker->notify_path, f->broker->log_path,
                                                NULL, &error);
        assert_non_null(f->broker->proc);
        pid_t pid = pid_of(f->broker);
        for (int i = 0; i < 20000 && !catches(pid, SIGTERM); i++)
            g_usleep(100);
        assert_true(catches(pid, SIGTERM));
        /* the second round also asks for a reload while it starts */
        if (round == 1)
            kill(pid, SIGHUP);
        kill(pid, SIGTERM);
        g_autofree gchar *ready = rmq_test_notify_wait(f->broker->notify, "READY=1", NULL, 0);
        if (ready == NULL)
            before_ready++;
        int status = reap(f->broker, 30000);
        g_autofree gchar *log = log_since(f->broker, from);
        /* it was a recovery start, and it stopped */
        if (strstr(log, "recovered after a crash") == NULL)
            fail_msg("round %u: no recovery logged; the log:\n%s", round, log);
        assert_stopped(f->broker, "rmq-broker", status, from);
        assert_store_clean(f);
        restart_broker_clean(f);
    }
    print_message("# SIGTERM arrived before READY=1 in %u of 3 rounds\n", before_ready);
    wait_route(f);
    assert_nothing_lost(f);
}

static void
test_sigterm_twice(void **state)
{
    Fixture *f = *state;
    gsize ns_from = log_size(f->ns), br_from = log_size(f->broker);
    Workload w;

    load_start(&w, f);
    load_wait_acks(&w, 200);
    pid_t br = pid_of(f->broker), ns = pid_of(f->ns);
    kill(br, SIGTERM);
    kill(br, SIGTERM);
    g_usleep(20 * 1000);
    kill(br, SIGTERM); /* may be gone already */
    int br_status = reap(f->broker, 20000);
    load_stop(&w);
    kill(ns, SIGTERM);
    kill(ns, SIGTERM);
    int ns_status = reap(f->ns, 15000);
    assert_stopped(f->broker, "rmq-broker", br_status, br_from);
    assert_stopped(f->ns, "rmq-namesrv", ns_status, ns_from);
    assert_store_clean(f);
    restart_both(f);
    assert_nothing_lost(f);
}

/* Wait (20 s at most) until @d has logged @n reloads since @from. */
static void
wait_reloads(BkDaemon *d, gsize from, guint n)
{
    for (int i = 0; i < 400; i++) {
        g_autofree gchar *log = log_since(d, from);
        if (count_occurrences(log, "configuration reloaded") >= n)
            return;
        g_usleep(50 * 1000);
    }
}

/* SIGHUP (reload) to both daemons, five times, while clients send and pull:
 * each reload is logged, sends keep succeeding after it, and the stop that
 * follows is clean. */
static void
test_sighup_during_load(void **state)
{
    Fixture *f = *state;
    gsize ns_from = log_size(f->ns), br_from = log_size(f->broker);
    Workload w;

    load_start(&w, f);
    load_wait_acks(&w, 200);
    for (guint i = 0; i < 5; i++) {
        kill(pid_of(f->broker), SIGHUP);
        kill(pid_of(f->ns), SIGHUP);
        /* one reload at a time: two SIGHUPs pending together are one signal */
        wait_reloads(f->broker, br_from, i + 1);
        wait_reloads(f->ns, ns_from, i + 1);
        load_wait_acks(&w, 50);
    }
    g_autofree gchar *br_log = log_since(f->broker, br_from);
    g_autofree gchar *ns_log = log_since(f->ns, ns_from);
    load_stop(&w);
    assert_int_equal(count_occurrences(br_log, "configuration reloaded"), 5);
    assert_int_equal(count_occurrences(ns_log, "configuration reloaded"), 5);
    assert_int_equal(w.load.send_failed, 0);
    assert_stopped(f->broker, "rmq-broker", bk_daemon_signal_and_wait(f->broker, SIGTERM, 20000),
                   br_from);
    assert_stopped(f->ns, "rmq-namesrv", bk_daemon_signal_and_wait(f->ns, SIGTERM, 15000), ns_from);
    assert_store_clean(f);
    restart_both(f);
    assert_nothing_lost(f);
    assert_true(acked_count(f) >= 450);
}

/* The client library's notices (one per refused connection while a broker
 * is down) would drown the report: keep warnings and worse, unless
 * RMQ_TEST_VERBOSE is set. */
static GLogWriterOutput
quiet_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
    (void) data;
    if ((level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) != 0 &&
        g_getenv("RMQ_TEST_VERBOSE") == NULL)
        return G_LOG_WRITER_HANDLED;
    return g_log_writer_default(level, fields, n_fields, NULL);
}

int
main(void)
{
    g_log_set_writer_func(quiet_writer, NULL, NULL);
    /* RMQ_TEST_FILTER=test_both_at_once runs one case */
    if (g_getenv("RMQ_TEST_FILTER") != NULL)
        cmocka_set_test_filter(g_getenv("RMQ_TEST_FILTER"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_namesrv_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broker_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_both_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_under_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_during_recovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sighup_during_load, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
