/* rmq-bench against a real broker: each producer mode runs a short load and
 * its totals must match what the broker stored (the sum of the topic's
 * consume-queue max offsets, and the broker's put counter); the consumer
 * mode must receive exactly what was stored; latency mode loses nothing. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../broker/harness.h"
#include "client/rmq-client.h"
#include "tool-run.h"

static BkDaemon *ns;
static BkDaemon *broker;

static int
setup(void **state)
{
    (void) state;
    if (!bk_pair_start(&ns, &broker, "enablePropertyFilter = true;\n"))
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    bk_daemon_free(broker);
    bk_daemon_free(ns);
    return 0;
}

/* Messages the broker holds for @topic: sum of its queues' max offsets. */
static gint64
stored(const gchar *topic)
{
    g_autoptr(RmqConsumer) c = rmq_consumer_new("bench-check", ns->addr, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) qs = rmq_consumer_fetch_subscribe_queues(c, topic, &error);
    assert_non_null(qs);
    gint64 sum = 0;
    for (guint i = 0; i < qs->len; i++) {
        gint64 m = rmq_consumer_max_offset(c, g_ptr_array_index(qs, i), &error);
        assert_true(m >= 0);
        sum += m;
    }
    return sum;
}

/* The broker's own count of stored messages today. */
static gint64
put_total(void)
{
    g_autoptr(RmqAdmin) a = rmq_admin_new(ns->addr, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) n = rmq_admin_broker_runtime(a, broker->addr, &error);
    assert_non_null(n);
    const gchar *v = json_object_get_string_member(json_node_get_object(n), "msgPutTotalTodayNow");
    assert_non_null(v);
    return g_ascii_strtoll(v, NULL, 10);
}

static JsonObject *
run_bench(ToolRun **keep, const gchar *const *args)
{
    *keep = tool_runv("rmq-bench", args);
    if ((*keep)->status != 0)
        print_error("rmq-bench: %d\n%s\n", (*keep)->status, (*keep)->err);
    assert_int_equal((*keep)->status, 0);
    assert_non_null((*keep)->json);
    return json_node_get_object((*keep)->json);
}

static void
producer_mode(const gchar *mode, const gchar *threads, const gchar *count, const gchar *batch,
              gint64 expect)
{
    g_autofree gchar *topic = g_strdup_printf("Bench_%s", mode);
    gint64 before = put_total();
    const gchar *args[] = { "producer", "-n", ns->addr, "-t", topic, "-m", mode, "-w", threads,
                            "-c", count, "-b", batch, "-d", "60", "-s", "64", "--json", "-q",
                            NULL };
    g_autoptr(ToolRun) r = NULL;
    JsonObject *o = run_bench(&r, args);
    assert_string_equal(json_object_get_string_member(o, "mode"), mode);
    assert_int_equal(json_object_get_int_member(o, "sent"), expect);
    assert_int_equal(json_object_get_int_member(o, "ok"), expect);
    assert_int_equal(json_object_get_int_member(o, "failed"), 0);
    assert_true(json_object_get_double_member(o, "tps") > 0);
    assert_true(json_object_get_double_member(o, "p50Ms") <= json_object_get_double_member(o, "p99Ms"));
    assert_true(json_object_get_double_member(o, "p99Ms") <= json_object_get_double_member(o, "maxMs"));
    /* One-way sends are stored asynchronously: allow the broker a moment. */
    gint64 have = 0;
    for (int i = 0; i < 500 && (have = stored(topic)) < expect; i++)
        g_usleep(20000);
    assert_int_equal(have, expect);
    assert_int_equal(put_total() - before, expect);
}

static void
test_producer_sync(void **state)
{
    (void) state;
    producer_mode("sync", "2", "150", "1", 300);
}

static void
test_producer_async(void **state)
{
    (void) state;
    producer_mode("async", "2", "400", "1", 800);
}

static void
test_producer_oneway(void **state)
{
    (void) state;
    producer_mode("oneway", "1", "1500", "1", 1500);
}

static void
test_producer_batch(void **state)
{
    (void) state;
    producer_mode("batch", "2", "80", "8", 160);
}

/* Six client threads sharing two connections, as real clients share one per
 * broker: every lane's sends arrive, and the summary says how they went. */
static void
test_producer_shared_connections(void **state)
{
    (void) state;
    const gchar *topic = "Bench_shared";
    gint64 before = put_total();
    g_autofree gchar *pid = g_strdup(g_subprocess_get_identifier(broker->proc));
    const gchar *args[] = { "producer", "-n", ns->addr, "-t", topic, "-w", "6",
                            "--connections", "2", "-c", "50", "-d", "60", "-s", "64",
                            "--broker-pid", pid, "--json", "-q", NULL };
    g_autoptr(ToolRun) r = NULL;
    JsonObject *o = run_bench(&r, args);
    assert_int_equal(json_object_get_int_member(o, "threads"), 6);
    assert_int_equal(json_object_get_int_member(o, "connections"), 2);
    assert_int_equal(json_object_get_int_member(o, "sent"), 300);
    assert_int_equal(json_object_get_int_member(o, "ok"), 300);
    assert_int_equal(stored(topic), 300);
    assert_int_equal(put_total() - before, 300);
    /* Both CPU figures were readable (-1 when not; /proc ticks are 10 ms, so
     * a short run may well read 0). */
    assert_true(json_object_get_double_member(o, "cpuUsPerMsg") >= 0);
    assert_true(json_object_get_double_member(o, "brokerCpuUsPerMsg") >= 0);
    /* Blocking modes cannot share: a clear usage error. */
    g_autoptr(ToolRun) bad = tool_run("rmq-bench", "producer", "-n", ns->addr, "-t", topic, "-m",
                                      "batch", "-w", "4", "--connections", "1", NULL);
    assert_int_equal(bad->status, 2);
    assert_non_null(strstr(bad->err, "--connections must equal -w"));
}

static void
test_consumer(void **state)
{
    (void) state;
    const gchar *args[] = { "consumer", "-n", ns->addr, "-t", "Bench_sync", "-g", "bench-readers",
                            "--from-start", "-c", "300", "-d", "30", "--json", "-q", NULL };
    g_autoptr(ToolRun) r = NULL;
    JsonObject *o = run_bench(&r, args);
    assert_int_equal(json_object_get_int_member(o, "received"), 300);
    /* Every message was the next offset of its reader's queue. */
    assert_int_equal(json_object_get_int_member(o, "discontinuities"), 0);
    /* TPS is over the time until the 300th message; the run lasts at least that. */
    gdouble secs = json_object_get_double_member(o, "seconds");
    assert_true(secs > 0 && secs <= json_object_get_double_member(o, "wallSeconds"));
    /* It committed where it stopped: the group has no lag left. */
    g_autoptr(RmqAdmin) a = rmq_admin_new(ns->addr, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) p = rmq_admin_consumer_progress(a, "bench-readers", "Bench_sync", &error);
    assert_non_null(p);
    assert_int_equal(json_object_get_int_member(json_node_get_object(p), "diffTotal"), 0);
    /* Run again without --from-start: it resumes at the committed offsets
     * and finds nothing new. */
    const gchar *again[] = { "consumer", "-n", ns->addr, "-t", "Bench_sync", "-g", "bench-readers",
                             "-d", "1", "--json", "-q", NULL };
    g_autoptr(ToolRun) r2 = NULL;
    JsonObject *o2 = run_bench(&r2, again);
    assert_int_equal(json_object_get_int_member(o2, "received"), 0);
}

/* --numbered messages, read back through a tag and an SQL92 filter
 * (bench/filter.sh): each takes exactly its share and no more. */
static void
test_filters(void **state)
{
    (void) state;
    const gchar *prod[] = { "producer", "-n", ns->addr, "-t", "Bench_numbered", "-w", "1",
                            "-c", "50", "-d", "30", "--numbered", "--json", "-q", NULL };
    g_autoptr(ToolRun) p = NULL;
    JsonObject *po = run_bench(&p, prod);
    assert_int_equal(json_object_get_int_member(po, "ok"), 50);
    const gchar *sql[] = { "consumer", "-n", ns->addr, "-t", "Bench_numbered", "-g", "bench-sql",
                           "--from-start", "--sql", "-e", "n < 2", "-d", "3", "--json", "-q",
                           NULL };
    g_autoptr(ToolRun) s = NULL;
    assert_int_equal(json_object_get_int_member(run_bench(&s, sql), "received"), 10);
    const gchar *tag[] = { "consumer", "-n", ns->addr, "-t", "Bench_numbered", "-g", "bench-tag",
                           "--from-start", "-e", "T3", "-d", "3", "--json", "-q", NULL };
    g_autoptr(ToolRun) t = NULL;
    assert_int_equal(json_object_get_int_member(run_bench(&t, tag), "received"), 5);
}

static void
test_latency(void **state)
{
    (void) state;
    const gchar *args[] = { "latency", "-n", ns->addr, "-t", "Bench_latency", "-r", "300", "-d",
                            "1", "--json", "-q", NULL };
    g_autoptr(ToolRun) r = NULL;
    JsonObject *o = run_bench(&r, args);
    gint64 sent = json_object_get_int_member(o, "sent");
    /* Paced: never more than the rate allows (no lower bound: a loaded
     * machine may manage fewer, which is not what this checks). */
    assert_true(sent > 0 && sent <= 301);
    assert_int_equal(json_object_get_int_member(o, "received"), sent);
    assert_true(json_object_get_double_member(o, "maxMs") > 0);
}

static void
test_usage(void **state)
{
    (void) state;
    g_autoptr(ToolRun) h = tool_run("rmq-bench", "--help", NULL);
    assert_int_equal(h->status, 0);
    assert_non_null(strstr(h->out, "latency"));
    g_autoptr(ToolRun) m = tool_run("rmq-bench", "producer", "-n", ns->addr, "-m", "fast", NULL);
    assert_int_equal(m->status, 2);
    g_autoptr(ToolRun) none = tool_run("rmq-bench", "-n", ns->addr, NULL);
    assert_int_equal(none->status, 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_producer_sync),
        cmocka_unit_test(test_producer_async),
        cmocka_unit_test(test_producer_oneway),
        cmocka_unit_test(test_producer_batch),
        cmocka_unit_test(test_producer_shared_connections),
        cmocka_unit_test(test_consumer),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_latency),
    };
    return cmocka_run_group_tests_name("rmq-bench", tests, setup, teardown);
}
