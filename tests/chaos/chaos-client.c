/* The workload and the checker of the fault-injection suite (tests/chaos/run.sh,
 * bench/soak.sh), through the project's C client library.
 *
 *   chaos-client setup   --ns ADDRS --broker NAME=ADDR --topic T [--topic T2 ...]
 *       creates each topic (4 queues) on the master named in its --broker
 *       (given in the same order), then waits until the name servers route it.
 *   chaos-client produce --ns ADDRS --topic T --ledger FILE --stop FILE [--interval-ms N]
 *       sends keyed messages until FILE --stop exists; appends to the ledger
 *         A <ms> <topic> <key> <broker> <queue> <offset>   acknowledged (SEND_OK)
 *         N <ms> <topic> <key> <status>                     stored, not acknowledged
 *         E <ms> <topic> <key> <reason>                     failed (fate unknown)
 *   chaos-client consume --ns ADDRS --group G --topic T [--topic T2] --ledger FILE --stop FILE
 *       pulls every queue of the topics from offset 0 until --stop exists:
 *         C <ms> <group> <topic> <key> <broker> <queue> <offset>
 *         X <ms> <group> <topic> <reason>                    foreign or corrupted
 *         O <ms> <group> <topic> <broker> <queue> <from> <to> offset moved
 *   chaos-client route   --ns ADDRS --topic T [--topic T2 ...] [--wait-ms N]
 *       asks the name servers for each topic's route; exit 0 when every topic
 *       has its 4 queues (asking again for up to N ms, default 0), else 1.
 *   chaos-client verify  --addr HOST:PORT --topic T --label L
 *       reads every queue of T from that broker (master or slave) directly and
 *       prints "V <label> <topic> <key> <queue> <offset> <store timestamp>" per
 *       intact message,
 *       "X <label> <topic> <reason>" per foreign or corrupted one; exit 1 when
 *       the broker cannot be read.
 *
 * A body is "chaos|<topic>|<key>|<crc32 of topic|key>|" plus 64 bytes derived
 * from the key, so a consumer recognises a corrupted or misrouted body. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/rmq-client.h"
#include "remoting/client.h"
#include "remoting/codes.h"
#include "store/message_format.h"

#define N_QUEUES 4

static gchar *opt_ns, *opt_ledger, *opt_stop, *opt_group, *opt_addr, *opt_label;
static gchar **opt_topics, **opt_brokers;
static gint opt_interval_ms = 5, opt_wait_ms = 0;

static gint64
now_ms(void)
{
    return g_get_real_time() / 1000;
}

static gboolean
stop_requested(void)
{
    return opt_stop != NULL && g_file_test(opt_stop, G_FILE_TEST_EXISTS);
}

static gchar *
make_body(const gchar *topic, const gchar *key)
{
    g_autofree gchar *tk = g_strdup_printf("%s|%s", topic, key);
    guint32 crc = rmq_crc32(0, (const guint8 *) tk, strlen(tk));
    GString *b = g_string_new(NULL);
    g_string_append_printf(b, "chaos|%s|%08x|", tk, crc);
    for (guint i = 0; i < 64; i++)
        g_string_append_c(b, (gchar) ('a' + (crc >> (i % 24) ^ i) % 26));
    return g_string_free(b, FALSE);
}

/* The key of an intact body of @topic, or NULL with *@why set. */
static gchar *
check_body(const gchar *topic, const guint8 *data, gsize len, const gchar **why)
{
    g_autofree gchar *text = g_strndup((const gchar *) data, len);
    g_auto(GStrv) parts = g_strsplit(text, "|", 5);

    if (g_strv_length(parts) != 5 || strcmp(parts[0], "chaos") != 0) {
        *why = "not-a-chaos-body";
        return NULL;
    }
    if (strcmp(parts[1], topic) != 0) {
        *why = "body-of-another-topic";
        return NULL;
    }
    g_autofree gchar *expect = make_body(parts[1], parts[2]);
    if (strlen(expect) != len || memcmp(expect, data, len) != 0) {
        *why = "corrupted-body";
        return NULL;
    }
    return g_strdup(parts[2]);
}

static FILE *
open_ledger(void)
{
    FILE *f = fopen(opt_ledger, "a");
    if (f == NULL) {
        g_printerr("chaos-client: %s: %s\n", opt_ledger, g_strerror(errno));
        exit(2);
    }
    return f;
}

static gchar *
one_word(const gchar *s)
{
    gchar *w = g_strndup(s, 100);
    for (gchar *p = w; *p; p++)
        if (g_ascii_isspace(*p))
            *p = '_';
    return w;
}

/* ------------------------------------------------------------------ setup */

static int
do_setup(void)
{
    g_autoptr(RmqAdmin) a = rmq_admin_new(opt_ns, NULL);
    guint n = opt_topics != NULL ? g_strv_length(opt_topics) : 0;

    if (n == 0 || opt_brokers == NULL || g_strv_length(opt_brokers) != n) {
        g_printerr("chaos-client setup: one --broker NAME=ADDR per --topic\n");
        return 2;
    }
    for (guint i = 0; i < n; i++) {
        const gchar *addr = strchr(opt_brokers[i], '=');
        RmqTopicSpec spec;
        gboolean ok = FALSE;
        rmq_topic_spec_init(&spec);
        spec.read_queue_nums = spec.write_queue_nums = N_QUEUES;
        for (int t = 0; t < 100 && !ok; t++) {
            g_autoptr(GError) error = NULL;
            ok = rmq_admin_update_topic(a, addr != NULL ? addr + 1 : opt_brokers[i], opt_topics[i],
                                        &spec, &error);
            if (!ok) {
                if (t == 99)
                    g_printerr("chaos-client setup: %s: %s\n", opt_topics[i], error->message);
                g_usleep(200 * 1000);
            }
        }
        if (!ok)
            return 1;
    }
    /* the route appears with the brokers' next registration */
    for (guint i = 0; i < n; i++) {
        g_autoptr(RmqProducer) p = rmq_producer_new("ChaosSetup", opt_ns, NULL);
        gboolean ok = FALSE;
        for (int t = 0; t < 300 && !ok; t++) {
            g_autoptr(GError) error = NULL;
            g_autoptr(GPtrArray) qs = rmq_producer_fetch_publish_queues(p, opt_topics[i], &error);
            ok = qs != NULL && qs->len == N_QUEUES;
            if (!ok)
                g_usleep(200 * 1000);
        }
        if (!ok) {
            g_printerr("chaos-client setup: no route for %s\n", opt_topics[i]);
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ route */

static int
do_route(void)
{
    g_autoptr(RmqProducer) p = rmq_producer_new("ChaosRoute", opt_ns, NULL);
    gint64 until = g_get_monotonic_time() + (gint64) opt_wait_ms * 1000;
    for (guint i = 0; opt_topics[i] != NULL; i++) {
        for (;;) {
            g_autoptr(GError) error = NULL;
            g_autoptr(GPtrArray) qs = rmq_producer_fetch_publish_queues(p, opt_topics[i], &error);
            if (qs != NULL && qs->len == N_QUEUES)
                break;
            if (g_get_monotonic_time() >= until) {
                g_printerr("chaos-client route %s: %s: %s\n", opt_ns, opt_topics[i],
                           error != NULL ? error->message : "not all queues routed");
                return 1;
            }
            g_usleep(200 * 1000);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- produce */

static int
do_produce(void)
{
    const gchar *topic = opt_topics[0];
    g_autoptr(RmqProducer) p = rmq_producer_new("ChaosProducers", opt_ns, NULL);
    FILE *ledger = open_ledger();
    guint64 seq = 0;
    gchar run[16];

    g_snprintf(run, sizeof run, "%x%x", (guint) getpid(), (guint) (now_ms() & 0xffff));
    rmq_producer_set_send_msg_timeout(p, 3000);
    /* one master per topic: never skip it for long */
    rmq_producer_set_fault_duration(p, 500);
    while (!stop_requested()) {
        g_autofree gchar *key = g_strdup_printf("%s-%s-%" G_GUINT64_FORMAT, topic, run, seq++);
        g_autofree gchar *body = make_body(topic, key);
        g_autoptr(RmqMsg) m = rmq_msg_new(topic, body, -1);
        g_autoptr(GError) error = NULL;
        RmqSendResult r = { 0 };

        rmq_msg_set_keys(m, key);
        if (!rmq_producer_send(p, m, &r, &error)) {
            g_autofree gchar *why = one_word(error->message);
            fprintf(ledger, "E %" G_GINT64_FORMAT " %s %s %s\n", now_ms(), topic, key, why);
            g_usleep(100 * 1000);
        } else if (r.status == RMQ_SEND_OK) {
            fprintf(ledger, "A %" G_GINT64_FORMAT " %s %s %s %d %" G_GINT64_FORMAT "\n", now_ms(),
                    topic, key, r.broker_name, r.queue_id, r.queue_offset);
        } else {
            fprintf(ledger, "N %" G_GINT64_FORMAT " %s %s %s\n", now_ms(), topic, key,
                    rmq_send_status_name(r.status));
        }
        rmq_send_result_clear(&r);
        fflush(ledger);
        if (opt_interval_ms > 0)
            g_usleep((gulong) opt_interval_ms * 1000);
    }
    fclose(ledger);
    return 0;
}

/* ---------------------------------------------------------------- consume */

typedef struct {
    RmqQueue *mq;
    gint64 next;
} ConsumeQueue;

static int
do_consume(void)
{
    g_autoptr(RmqConsumer) c = rmq_consumer_new(opt_group, opt_ns, NULL);
    g_autoptr(GHashTable) queues = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    FILE *ledger = open_ledger();
    gint64 refreshed = 0;

    while (!stop_requested()) {
        /* the queue list from the routes, refreshed every 5 s (brokers come
         * and go); known queues keep their offsets */
        if (now_ms() - refreshed > 5000) {
            for (guint t = 0; opt_topics[t] != NULL; t++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GPtrArray) qs = rmq_consumer_fetch_subscribe_queues(c, opt_topics[t], &error);
                for (guint i = 0; qs != NULL && i < qs->len; i++) {
                    const RmqQueue *mq = g_ptr_array_index(qs, i);
                    gchar *id = g_strdup_printf("%s/%s/%d", mq->topic, mq->broker_name, mq->queue_id);
                    if (g_hash_table_contains(queues, id)) {
                        g_free(id);
                        continue;
                    }
                    ConsumeQueue *q = g_new0(ConsumeQueue, 1);
                    q->mq = rmq_queue_new(mq->topic, mq->broker_name, mq->queue_id);
                    g_hash_table_insert(queues, id, q);
                }
            }
            refreshed = now_ms();
        }
        guint found = 0;
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, queues);
        while (g_hash_table_iter_next(&it, NULL, &v) && !stop_requested()) {
            ConsumeQueue *q = v;
            g_autoptr(GError) error = NULL;
            RmqPullResult r = { 0 };
            if (!rmq_consumer_pull(c, q->mq, "*", q->next, 32, 0, &r, &error))
                continue;
            if (r.status == RMQ_PULL_OFFSET_ILLEGAL && r.next_begin_offset != q->next) {
                fprintf(ledger, "O %" G_GINT64_FORMAT " %s %s %s %d %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
                        now_ms(), opt_group, q->mq->topic, q->mq->broker_name, q->mq->queue_id,
                        q->next, r.next_begin_offset);
                /* an offset past the end (a restarted master not caught up)
                 * is kept: the messages will come; one before the start moves */
                if (r.next_begin_offset > q->next)
                    q->next = r.next_begin_offset;
            }
            for (guint i = 0; r.status == RMQ_PULL_FOUND && i < r.msgs->len; i++) {
                const RmqMsg *m = g_ptr_array_index(r.msgs, i);
                gsize len;
                const guint8 *body = g_bytes_get_data(m->body, &len);
                const gchar *why = NULL;
                g_autofree gchar *key = NULL;
                if (strcmp(m->topic, q->mq->topic) != 0)
                    why = "message-of-another-topic";
                else
                    key = check_body(q->mq->topic, body, len, &why);
                if (key != NULL)
                    fprintf(ledger, "C %" G_GINT64_FORMAT " %s %s %s %s %d %" G_GINT64_FORMAT "\n",
                            now_ms(), opt_group, q->mq->topic, key, q->mq->broker_name,
                            q->mq->queue_id, m->queue_offset);
                else
                    fprintf(ledger, "X %" G_GINT64_FORMAT " %s %s %s\n", now_ms(), opt_group,
                            q->mq->topic, why);
                found++;
            }
            if (r.status == RMQ_PULL_FOUND)
                q->next = r.next_begin_offset;
            rmq_pull_result_clear(&r);
        }
        fflush(ledger);
        if (found == 0)
            g_usleep(100 * 1000);
    }
    fclose(ledger);
    return 0;
}

/* ----------------------------------------------------------------- verify */

static int
do_verify(void)
{
    g_autoptr(RmqClient) rc = rmq_client_new(NULL);
    const gchar *topic = opt_topics[0];
    guint n = 0;

    for (gint q = 0; q < N_QUEUES; q++) {
        gint64 off = 0;
        for (int rounds = 0; rounds < 1000000; rounds++) {
            g_autoptr(RmqCommand) req = rmq_command_new_request(RMQ_REQUEST_PULL_MESSAGE);
            g_autofree gchar *qs = g_strdup_printf("%d", q);
            g_autofree gchar *os = g_strdup_printf("%" G_GINT64_FORMAT, off);
            g_autoptr(GError) error = NULL;
            const gchar *kv[] = { "consumerGroup", "ChaosVerify", "topic", topic, "queueId", qs,
                                  "queueOffset", os, "maxMsgNums", "32", "sysFlag", "4",
                                  "commitOffset", "0", "suspendTimeoutMillis", "0",
                                  "subscription", "*", "subVersion", "0", "expressionType", "TAG" };
            for (guint i = 0; i < G_N_ELEMENTS(kv); i += 2)
                rmq_command_set_ext(req, kv[i], kv[i + 1]);
            g_autoptr(RmqCommand) r = rmq_client_invoke_sync(rc, opt_addr, g_steal_pointer(&req),
                                                             10000, &error);
            if (r == NULL) {
                g_printerr("chaos-client verify %s: %s\n", opt_addr, error->message);
                return 1;
            }
            if (r->code == RMQ_RESPONSE_PULL_NOT_FOUND)
                break;
            if (r->code == RMQ_RESPONSE_PULL_RETRY_IMMEDIATELY)
                continue;
            if (r->code == RMQ_RESPONSE_PULL_OFFSET_MOVED) {
                gint64 next;
                if (rmq_command_get_ext_int64(r, "nextBeginOffset", &next) && next > off) {
                    off = next;
                    continue;
                }
                break;
            }
            if (r->code != RMQ_RESPONSE_SUCCESS || r->body == NULL) {
                g_printerr("chaos-client verify %s q%d @%" G_GINT64_FORMAT ": code %d %s\n",
                           opt_addr, q, off, r->code, r->remark != NULL ? r->remark : "");
                return 1;
            }
            gsize len, pos = 0;
            const guint8 *data = g_bytes_get_data(r->body, &len);
            while (pos < len) {
                RmqMessageRecord rec;
                if (rmq_message_decode(data + pos, len - pos, TRUE, &rec) != RMQ_RECORD_OK) {
                    printf("X %s %s undecodable-record-q%d-@%" G_GINT64_FORMAT "\n", opt_label,
                           topic, q, off);
                    pos = len;
                    off++;
                    break;
                }
                g_autofree gchar *rtopic = g_strndup(rec.topic, (gsize) rec.topic_len);
                const gchar *why = NULL;
                g_autofree gchar *key = NULL;
                if (strcmp(rtopic, topic) != 0)
                    why = "message-of-another-topic";
                else
                    key = check_body(topic, rec.body, (gsize) rec.body_len, &why);
                if (key != NULL)
                    printf("V %s %s %s %d %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", opt_label,
                           topic, key, q, rec.queue_offset, rec.store_timestamp);
                else
                    printf("X %s %s %s\n", opt_label, topic, why);
                off = rec.queue_offset + 1;
                pos += (gsize) rec.total_size;
                n++;
            }
        }
    }
    fflush(stdout);
    g_printerr("chaos-client verify %s %s: %u messages\n", opt_addr, topic, n);
    return 0;
}

/* The client library's notices (a refused connection, a retry) are many
 * during faults: keep warnings and worse. */
static GLogWriterOutput
quiet_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
    (void) data;
    if ((level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) != 0 &&
        g_getenv("RMQ_CHAOS_VERBOSE") == NULL)
        return G_LOG_WRITER_HANDLED;
    return g_log_writer_default(level, fields, n_fields, NULL);
}

int
main(int argc, char **argv)
{
    GOptionEntry entries[] = {
        { "ns", 0, 0, G_OPTION_ARG_STRING, &opt_ns, "Name servers", "ADDRS" },
        { "topic", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_topics, "Topic (repeatable)", "T" },
        { "broker", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_brokers, "setup: NAME=ADDR per topic", "B" },
        { "ledger", 0, 0, G_OPTION_ARG_FILENAME, &opt_ledger, "Ledger file (appended)", "FILE" },
        { "stop", 0, 0, G_OPTION_ARG_FILENAME, &opt_stop, "Stop when this file exists", "FILE" },
        { "group", 0, 0, G_OPTION_ARG_STRING, &opt_group, "Consumer group", "G" },
        { "addr", 0, 0, G_OPTION_ARG_STRING, &opt_addr, "verify: broker address", "HOST:PORT" },
        { "label", 0, 0, G_OPTION_ARG_STRING, &opt_label, "verify: label of the output", "L" },
        { "interval-ms", 0, 0, G_OPTION_ARG_INT, &opt_interval_ms, "produce: pause per send (5)", "N" },
        { "wait-ms", 0, 0, G_OPTION_ARG_INT, &opt_wait_ms, "route: keep asking this long (0)", "N" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("setup|route|produce|consume|verify");
    g_autoptr(GError) error = NULL;

    g_log_set_writer_func(quiet_writer, NULL, NULL);
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 2) {
        g_printerr("chaos-client: %s\n", error != NULL ? error->message : "one command expected");
        return 2;
    }
    const gchar *cmd = argv[1];
    gboolean need_ns = strcmp(cmd, "verify") != 0;
    if ((need_ns && opt_ns == NULL) || opt_topics == NULL || opt_topics[0] == NULL) {
        g_printerr("chaos-client %s: --ns and --topic are required\n", cmd);
        return 2;
    }
    if (strcmp(cmd, "setup") == 0)
        return do_setup();
    if (strcmp(cmd, "route") == 0)
        return do_route();
    if ((strcmp(cmd, "produce") == 0 || strcmp(cmd, "consume") == 0) &&
        (opt_ledger == NULL || opt_stop == NULL)) {
        g_printerr("chaos-client %s: --ledger and --stop are required\n", cmd);
        return 2;
    }
    if (strcmp(cmd, "produce") == 0)
        return do_produce();
    if (strcmp(cmd, "consume") == 0) {
        if (opt_group == NULL)
            return 2;
        return do_consume();
    }
    if (strcmp(cmd, "verify") == 0) {
        if (opt_addr == NULL || opt_label == NULL)
            return 2;
        return do_verify();
    }
    g_printerr("chaos-client: unknown command %s\n", cmd);
    return 2;
}
