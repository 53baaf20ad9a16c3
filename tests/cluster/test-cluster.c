/* The six-daemon cluster of etc/rocketmq/ (2 name servers, broker-a and
 * broker-b masters, one slave each) on loopback, from the sample files with
 * only the store directories moved under a temporary directory (plus
 * brokerIP1 = loopback and 64 MiB commit-log files; every port shifted by the
 * same amount when the sample ports are busy on this machine):
 *  - producers reach both masters through the project's C client;
 *  - each slave's commit log becomes byte-identical to its master's;
 *  - SIGKILL broker-a's master: the group goes on consuming broker-a's
 *    messages from its slave, none missing, and commits offsets there;
 *  - restart the master: the slave catches up, the group's offsets are the
 *    ones it committed, consumption continues from the master;
 *  - a slave refuses a send;
 * and, on a separate SYNC_MASTER pair: SEND_OK with the slave in step,
 * FLUSH_SLAVE_TIMEOUT with the slave SIGSTOPped, SLAVE_NOT_AVAILABLE with it
 * stopped. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../broker/harness.h"
#include "client/rmq-client.h"
#include "remoting/codes.h"

#define TOPIC "HaClusterTopic"
#define GROUP "HaClusterGroup"
#define N_FIRST 240

enum { NS1, NS2, BA, BB, BAS, BBS, N_NODES };

typedef struct {
    const char *file;
    gboolean broker;
    BkDaemon *d;
    guint port;
    gboolean started;
} Node;

typedef struct {
    Node nodes[N_NODES];
    gint shift;
    gchar *ns_addrs;
    RmqClient *rc;
    GHashTable *sent_a;      /* keys sent to broker-a */
    GHashTable *sent_b;
    GHashTable *consumed_a;  /* keys of broker-a consumed by the group */
    gint64 committed[64];    /* broker-a queue -> offset the group committed */
    guint n_queues_a;
} Cluster;

static gboolean
port_bindable(guint port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((guint16) port) };
    gboolean ok;
    int one = 1;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    ok = bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* Every port of the sample layout (listen, VIP, HA) free after the shift? */
static gboolean
layout_free(gint shift)
{
    const guint ports[] = { 9876, 9875, 10911, 10909, 10912, 10910, 10908, 10913,
                            11011, 11009, 11012, 11010, 11008, 11013 };

    for (guint i = 0; i < G_N_ELEMENTS(ports); i++)
        if (!port_bindable(ports[i] + (guint) shift))
            return FALSE;
    return TRUE;
}

static gchar *
shift_addrs(const gchar *list, gint shift)
{
    g_auto(GStrv) parts = g_strsplit(list, ";", -1);
    GString *out = g_string_new(NULL);

    for (guint i = 0; parts[i] != NULL; i++) {
        const gchar *colon = strrchr(parts[i], ':');
        if (colon == NULL)
            continue;
        g_string_append_printf(out, "%s%.*s:%d", out->len > 0 ? ";" : "",
                               (int) (colon - parts[i]), parts[i],
                               atoi(colon + 1) + shift);
    }
    return g_string_free(out, FALSE);
}

/* The sample file with the store under the daemon's temporary directory and
 * every port shifted. */
static void
write_config(Cluster *c, Node *n)
{
    const char *src = g_getenv("RMQ_SRCDIR");
    g_autofree gchar *path = g_build_filename(src != NULL ? src : "..", "etc", "rocketmq", n->file, NULL);
    g_autofree gchar *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GRegex) port_re = g_regex_new("^\\s*(listenPort|haListenPort)\\s*=\\s*(\\d+)", 0, 0, NULL);
    g_autoptr(GRegex) ns_re = g_regex_new("^\\s*namesrvAddr\\s*=\\s*\"([^\"]*)\"", 0, 0, NULL);
    GString *out = g_string_new(NULL);

    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        g_autoptr(GMatchInfo) m = NULL;
        const gchar *l = lines[i];

        if (g_regex_match(port_re, l, 0, &m)) {
            g_autofree gchar *key = g_match_info_fetch(m, 1);
            g_autofree gchar *val = g_match_info_fetch(m, 2);
            gint port = atoi(val) + c->shift;
            g_string_append_printf(out, "%s = %d;\n", key, port);
            if (strcmp(key, "listenPort") == 0)
                n->port = (guint) port;
            continue;
        }
        g_clear_pointer(&m, g_match_info_free);
        if (g_regex_match(ns_re, l, 0, &m)) {
            g_autofree gchar *list = g_match_info_fetch(m, 1);
            g_autofree gchar *shifted = shift_addrs(list, c->shift);
            g_string_append_printf(out, "namesrvAddr = \"%s\";\n", shifted);
            continue;
        }
        if (g_str_has_prefix(g_strchug(lines[i]), "storePathRootDir"))
            continue;
        g_string_append_printf(out, "%s\n", lines[i]);
    }
    if (n->broker)
        g_string_append_printf(out, "storePathRootDir = \"%s/store\";\nbrokerIP1 = \"127.0.0.1\";\n"
                               "mappedFileSizeCommitLog = 67108864;\n", n->d->dir);
    else
        g_string_append_printf(out, "kvConfigPath = \"%s/kv.json\";\n", n->d->dir);
    assert_true(g_file_set_contents(n->d->conf_path, out->str, -1, NULL));
    g_string_free(out, TRUE);
    g_free(n->d->addr);
    n->d->port = (guint16) n->port;
    n->d->addr = g_strdup_printf("127.0.0.1:%u", n->port);
}

static void
start_node(Node *n)
{
    g_autoptr(GError) error = NULL;

    if (!bk_daemon_start(n->d, 30000, &error))
        fail_msg("%s: %s", n->file, error->message);
    if (!n->started)
    n->started = TRUE;
}

static int
cluster_setup(void **state)
{
    Cluster *c = g_new0(Cluster, 1);
    const char *files[N_NODES] = { "namesrv-1.conf", "namesrv-2.conf", "broker-a.conf",
                                   "broker-b.conf", "broker-a-s.conf", "broker-b-s.conf" };

    for (c->shift = 0; c->shift < 40000 && !layout_free(c->shift); c->shift += 1000)
        ;
    assert_true(c->shift < 40000);
    for (int i = 0; i < N_NODES; i++) {
        Node *n = &c->nodes[i];
        n->file = files[i];
        n->broker = i >= BA;
        n->d = n->broker ? bk_broker_new(NULL, NULL) : bk_namesrv_new();
        write_config(c, n);
    }
    c->ns_addrs = g_strdup_printf("127.0.0.1:%u;127.0.0.1:%u", c->nodes[NS1].port, c->nodes[NS2].port);
    /* name servers, masters, then slaves (they learn the master from the
     * register reply) */
    for (int i = 0; i < N_NODES; i++)
        start_node(&c->nodes[i]);
    c->rc = rmq_client_new(NULL);
    c->sent_a = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->sent_b = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->consumed_a = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    *state = c;
    return 0;
}

static int
cluster_teardown(void **state)
{
    Cluster *c = *state;

    for (int i = N_NODES - 1; i >= 0; i--)
        bk_daemon_free(c->nodes[i].d);
    rmq_client_free(c->rc);
    g_hash_table_unref(c->sent_a);
    g_hash_table_unref(c->sent_b);
    g_hash_table_unref(c->consumed_a);
    g_free(c->ns_addrs);
    g_free(c);
    return 0;
}

static void
sleep_ms(guint ms)
{
    g_usleep(ms * 1000);
}

static void
produce(Cluster *c, guint n, const gchar *prefix, const gchar *only_broker)
{
    g_autoptr(RmqProducer) p = rmq_producer_new("HaClusterProducers", c->ns_addrs, NULL);
    g_autoptr(GPtrArray) queues = NULL;
    g_autoptr(GError) error = NULL;
    guint sent = 0;

    if (only_broker != NULL) {
        queues = rmq_producer_fetch_publish_queues(p, TOPIC, &error);
        assert_non_null(queues);
    }
    for (guint i = 0; sent < n && i < n * 4; i++) {
        g_autofree gchar *key = g_strdup_printf("%s-%u", prefix, sent);
        g_autoptr(RmqMsg) m = rmq_msg_new(TOPIC, key, -1);
        RmqSendResult r = { 0 };
        gboolean ok;

        rmq_msg_set_keys(m, key);
        if (queues != NULL) {
            const RmqQueue *q = NULL;
            for (guint k = 0; k < queues->len; k++) {
                const RmqQueue *cand = g_ptr_array_index(queues, (k + sent) % queues->len);
                if (strcmp(cand->broker_name, only_broker) == 0) {
                    q = cand;
                    break;
                }
            }
            assert_non_null(q);
            ok = rmq_producer_send_to_queue(p, m, q, &r, &error);
        } else {
            ok = rmq_producer_send(p, m, &r, &error);
        }
        if (!ok) {
            g_message("send failed: %s", error->message);
            g_clear_error(&error);
            continue;
        }
        assert_int_equal(r.status, RMQ_SEND_OK);
        g_hash_table_add(strcmp(r.broker_name, "broker-a") == 0 ? c->sent_a : c->sent_b,
                         g_steal_pointer(&key));
        rmq_send_result_clear(&r);
        sent++;
    }
    assert_int_equal(sent, n);
}

static gboolean
files_equal(const gchar *a, const gchar *b)
{
    g_autofree gchar *x = NULL, *y = NULL;
    gsize lx, ly;

    if (!g_file_get_contents(a, &x, &lx, NULL) || !g_file_get_contents(b, &y, &ly, NULL))
        return FALSE;
    return lx == ly && memcmp(x, y, lx) == 0;
}

/* Every commit-log file of the master has a byte-identical twin on the slave. */
static gboolean
logs_identical(Node *master, Node *slave)
{
    g_autofree gchar *mdir = g_build_filename(master->d->dir, "store", "commitlog", NULL);
    g_autoptr(GDir) dir = g_dir_open(mdir, 0, NULL);
    const gchar *name;
    guint files = 0;

    if (dir == NULL)
        return FALSE;
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree gchar *a = g_build_filename(mdir, name, NULL);
        g_autofree gchar *b = g_build_filename(slave->d->dir, "store", "commitlog", name, NULL);
        if (!files_equal(a, b))
            return FALSE;
        files++;
    }
    return files > 0;
}

static void
wait_identical(Node *master, Node *slave)
{
    for (int i = 0; i < 150; i++) {
        if (logs_identical(master, slave))
            return;
        sleep_ms(200);
    }
    fail_msg("%s's commit log did not become identical to %s's", slave->file, master->file);
}

static void
test_produce_to_both_masters(void **state)
{
    Cluster *c = *state;
    g_autoptr(RmqAdmin) a = rmq_admin_new(c->ns_addrs, NULL);
    g_autoptr(GError) error = NULL;
    RmqTopicSpec spec;

    rmq_topic_spec_init(&spec);
    spec.read_queue_nums = spec.write_queue_nums = 4;
    assert_true(rmq_admin_update_topic(a, c->nodes[BA].d->addr, TOPIC, &spec, &error));
    assert_true(rmq_admin_update_topic(a, c->nodes[BB].d->addr, TOPIC, &spec, &error));
    produce(c, N_FIRST, "first", NULL);
    assert_true(g_hash_table_size(c->sent_a) > 0);
    assert_true(g_hash_table_size(c->sent_b) > 0);
}

static void
test_slaves_byte_identical(void **state)
{
    Cluster *c = *state;

    wait_identical(&c->nodes[BA], &c->nodes[BAS]);
    wait_identical(&c->nodes[BB], &c->nodes[BBS]);
}

/* Pull broker-a queue @qid from @addr starting at @from until @until (or
 * the end); records the keys; returns the next offset. */
static gint64
consume_queue(Cluster *c, const gchar *addr, gint qid, gint64 from, gint64 until)
{
    gint64 off = from;

    for (int rounds = 0; rounds < 1000 && (until < 0 || off < until); rounds++) {
        g_autoptr(RmqCommand) r = bk_pull(c->rc, addr, GROUP, TOPIC, qid, off, "*", 0);
        g_autoptr(GArray) recs = NULL;

        assert_non_null(r);
        if (r->code == RMQ_RESPONSE_PULL_NOT_FOUND)
            break;
        if (r->code == RMQ_RESPONSE_PULL_RETRY_IMMEDIATELY) {
            sleep_ms(50);
            continue;
        }
        if (r->code != RMQ_RESPONSE_SUCCESS)
            fail_msg("pull %s q%d @%" G_GINT64_FORMAT ": code %d %s", addr, qid, off, r->code,
                     r->remark != NULL ? r->remark : "");
        recs = bk_records(r->body);
        for (guint i = 0; i < recs->len; i++) {
            const RmqMessageRecord *rec = &g_array_index(recs, RmqMessageRecord, i);
            if (until >= 0 && rec->queue_offset >= until)
                break;
            g_hash_table_add(c->consumed_a, bk_record_body(rec));
            off = rec->queue_offset + 1;
        }
    }
    return off;
}

/* The same through the project's C client, which picks the broker from the
 * route (master when present, else a slave). */
static gint64
client_consume_queue(Cluster *c, RmqConsumer *cons, const RmqQueue *mq, gint64 from)
{
    gint64 off = from;

    for (int rounds = 0; rounds < 1000; rounds++) {
        RmqPullResult r = { 0 };
        g_autoptr(GError) error = NULL;

        if (!rmq_consumer_pull(cons, mq, "*", off, 32, 0, &r, &error))
            fail_msg("pull %s q%d @%" G_GINT64_FORMAT ": %s", mq->broker_name, mq->queue_id, off,
                     error->message);
        if (r.status == RMQ_PULL_NO_NEW_MSG) {
            rmq_pull_result_clear(&r);
            break;
        }
        if (r.status == RMQ_PULL_OFFSET_ILLEGAL)
            fail_msg("offset %" G_GINT64_FORMAT " illegal for %s q%d", off, mq->broker_name,
                     mq->queue_id);
        for (guint i = 0; r.status == RMQ_PULL_FOUND && i < r.msgs->len; i++) {
            const RmqMsg *m = g_ptr_array_index(r.msgs, i);
            gsize len;
            const gchar *body = g_bytes_get_data(m->body, &len);
            g_hash_table_add(c->consumed_a, g_strndup(body, len));
        }
        if (r.status == RMQ_PULL_NO_MATCHED_MSG)
            sleep_ms(20);
        off = r.next_begin_offset;
        rmq_pull_result_clear(&r);
    }
    return off;
}

static gint64
query_offset(Cluster *c, const gchar *addr, gint qid)
{
    g_autofree gchar *q = g_strdup_printf("%d", qid);
    g_autoptr(RmqCommand) r = bk_invoke(c->rc, addr, RMQ_REQUEST_QUERY_CONSUMER_OFFSET, NULL,
                                        "consumerGroup", GROUP, "topic", TOPIC, "queueId", q, NULL);

    if (r == NULL || r->code != RMQ_RESPONSE_SUCCESS)
        return -1;
    return bk_ext_int(r, "offset", -1);
}

static void
commit_offset(Cluster *c, const gchar *addr, gint qid, gint64 offset)
{
    g_autofree gchar *q = g_strdup_printf("%d", qid);
    g_autofree gchar *o = g_strdup_printf("%" G_GINT64_FORMAT, offset);
    g_autoptr(RmqCommand) r = bk_invoke(c->rc, addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET, NULL,
                                        "consumerGroup", GROUP, "topic", TOPIC, "queueId", q,
                                        "commitOffset", o, NULL);

    assert_non_null(r);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
}

/* broker-a's id-0 address is (not) in the route of TOPIC. */
static gboolean
route_has_master_a(Cluster *c, gboolean *has_slave)
{
    g_autoptr(RmqCommand) r = bk_invoke(c->rc, c->nodes[NS1].d->addr,
                                        RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL, "topic", TOPIC, NULL);
    g_autoptr(JsonNode) root = NULL;
    JsonArray *bds;
    gboolean master = FALSE;

    *has_slave = FALSE;
    assert_non_null(r);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    root = bk_body_json(r);
    bds = json_object_get_array_member(json_node_get_object(root), "brokerDatas");
    for (guint i = 0; i < json_array_get_length(bds); i++) {
        JsonObject *bd = json_array_get_object_element(bds, i);
        JsonObject *addrs = json_object_get_object_member(bd, "brokerAddrs");
        if (strcmp(json_object_get_string_member(bd, "brokerName"), "broker-a") != 0)
            continue;
        master = json_object_has_member(addrs, "0");
        *has_slave = json_object_has_member(addrs, "1");
    }
    return master;
}

static void
test_failover_consumes_from_slave(void **state)
{
    Cluster *c = *state;
    const gchar *master = c->nodes[BA].d->addr;
    const gchar *slave = c->nodes[BAS].d->addr;
    gboolean has_slave = FALSE;
    gint64 max[4];

    c->n_queues_a = 4;
    /* the group consumes half of each broker-a queue from the master */
    for (gint q = 0; q < 4; q++) {
        g_autoptr(RmqCommand) r = NULL;
        g_autofree gchar *qs = g_strdup_printf("%d", q);
        r = bk_invoke(c->rc, master, RMQ_REQUEST_GET_MAX_OFFSET, NULL, "topic", TOPIC, "queueId", qs, NULL);
        assert_non_null(r);
        max[q] = bk_ext_int(r, "offset", -1);
        assert_true(max[q] >= 0);
        c->committed[q] = consume_queue(c, master, q, 0, max[q] / 2);
        commit_offset(c, master, q, c->committed[q]);
    }
    /* the slave copies the offsets (docs/protocol.md §12.4, every 10 s) */
    for (int i = 0; i < 150; i++) {
        gboolean all = TRUE;
        for (gint q = 0; q < 4; q++)
            all = all && query_offset(c, slave, q) == c->committed[q];
        if (all)
            break;
        sleep_ms(200);
    }
    for (gint q = 0; q < 4; q++)
        assert_int_equal(query_offset(c, slave, q), c->committed[q]);

    /* the master dies */
    assert_int_equal(bk_daemon_signal_and_wait(c->nodes[BA].d, SIGKILL, 5000), 128 + SIGKILL);
    for (int i = 0; i < 100 && route_has_master_a(c, &has_slave); i++)
        sleep_ms(100);
    assert_false(route_has_master_a(c, &has_slave));
    assert_true(has_slave);

    /* the group goes on from its committed offsets: a consumer of the C
     * client, routed to the slave (the master is gone from the route) */
    {
        g_autoptr(RmqConsumer) cons = rmq_consumer_new(GROUP, c->ns_addrs, NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) queues = rmq_consumer_fetch_subscribe_queues(cons, TOPIC, &error);
        guint seen = 0;

        assert_non_null(queues);
        for (guint i = 0; i < queues->len; i++) {
            const RmqQueue *mq = g_ptr_array_index(queues, i);
            gint q = mq->queue_id;
            gint64 from;

            if (strcmp(mq->broker_name, "broker-a") != 0)
                continue;
            seen++;
            from = rmq_consumer_query_offset(cons, mq, &error);
            assert_int_equal(from, c->committed[q]);
            c->committed[q] = client_consume_queue(c, cons, mq, from);
            assert_int_equal(c->committed[q], max[q]);
            /* committed on the slave, which accepts UPDATE_CONSUMER_OFFSET */
            assert_true(rmq_consumer_commit_offset(cons, mq, c->committed[q], &error));
            assert_int_equal(query_offset(c, slave, q), c->committed[q]);
        }
        assert_int_equal(seen, 4);
    }
    /* none of broker-a's messages missing */
    {
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, c->sent_a);
        while (g_hash_table_iter_next(&it, &key, NULL))
            if (!g_hash_table_contains(c->consumed_a, key))
                fail_msg("%s was not consumed", (const gchar *) key);
        assert_int_equal(g_hash_table_size(c->consumed_a), g_hash_table_size(c->sent_a));
    }
    /* writes still work: they go to broker-b */
    produce(c, 20, "during", NULL);
}

static void
test_master_restart_catches_up(void **state)
{
    Cluster *c = *state;
    const gchar *master = c->nodes[BA].d->addr;
    gboolean has_slave;
    guint before = g_hash_table_size(c->sent_a);

    start_node(&c->nodes[BA]);
    for (int i = 0; i < 100 && !route_has_master_a(c, &has_slave); i++)
        sleep_ms(100);
    assert_true(route_has_master_a(c, &has_slave));
    produce(c, 60, "after", "broker-a");
    assert_int_equal(g_hash_table_size(c->sent_a), before + 60);
    /* the slave reconnects (every 5 s) and has everything again */
    wait_identical(&c->nodes[BA], &c->nodes[BAS]);

    /* the consumer hands the offsets it committed on the slave to the
     * master, as a client does when its master is back (Java persists its
     * offset table every 5 s); they survive the next slave sync */
    for (guint q = 0; q < c->n_queues_a; q++)
        commit_offset(c, master, (gint) q, c->committed[q]);
    sleep_ms(11000);
    for (guint q = 0; q < c->n_queues_a; q++) {
        assert_int_equal(query_offset(c, master, (gint) q), c->committed[q]);
        assert_int_equal(query_offset(c, c->nodes[BAS].d->addr, (gint) q), c->committed[q]);
    }
    /* and consumption continues from the master: nothing missing */
    {
        g_autoptr(RmqConsumer) cons = rmq_consumer_new(GROUP, c->ns_addrs, NULL);
        for (guint q = 0; q < c->n_queues_a; q++) {
            g_autoptr(RmqQueue) mq = rmq_queue_new(TOPIC, "broker-a", (gint) q);
            client_consume_queue(c, cons, mq, c->committed[q]);
        }
    }
    assert_int_equal(g_hash_table_size(c->consumed_a), g_hash_table_size(c->sent_a));
}

/* docs/protocol.md §10.2: a slave that is asked for an offset it does not have (it may be
 * behind) says retry, where the master corrects the offset. */
static void
test_slave_pull_does_not_move_offsets(void **state)
{
    Cluster *c = *state;
    const gint64 beyond = 1000000;
    g_autoptr(RmqCommand) s = bk_pull(c->rc, c->nodes[BBS].d->addr, GROUP, TOPIC, 0, beyond, "*", 0);
    g_autoptr(RmqCommand) m = bk_pull(c->rc, c->nodes[BB].d->addr, GROUP, TOPIC, 0, beyond, "*", 0);

    assert_non_null(s);
    assert_non_null(m);
    assert_int_equal(m->code, RMQ_RESPONSE_PULL_OFFSET_MOVED);
    assert_true(bk_ext_int(m, "nextBeginOffset", -1) < beyond);
    assert_int_equal(s->code, RMQ_RESPONSE_PULL_RETRY_IMMEDIATELY);
    assert_int_equal(bk_ext_int(s, "nextBeginOffset", -1), beyond);
    /* slaveReadEnable is false in the sample files: stay with the master */
    assert_int_equal(bk_ext_int(s, "suggestWhichBrokerId", -1), 0);
}

static void
test_slave_refuses_send(void **state)
{
    Cluster *c = *state;
    g_autoptr(RmqCommand) r = bk_send(c->rc, c->nodes[BBS].d->addr, TOPIC, 0, NULL, NULL,
                                      "to a slave", NULL);

    g_autoptr(RmqCommand) back = NULL;

    assert_non_null(r);
    assert_int_equal(r->code, RMQ_RESPONSE_SERVICE_NOT_AVAILABLE);
    /* nor does it write a retry message of its own */
    back = bk_invoke(c->rc, c->nodes[BBS].d->addr, RMQ_REQUEST_CONSUMER_SEND_MSG_BACK, NULL,
                     "offset", "0", "group", GROUP, "delayLevel", "0", NULL);
    assert_non_null(back);
    assert_int_equal(back->code, RMQ_RESPONSE_SYSTEM_ERROR);
    produce(c, 10, "last", "broker-b");
    wait_identical(&c->nodes[BB], &c->nodes[BBS]);
}

/* ---------------------------------------------------------- SYNC_MASTER */

static gint32
send_code(RmqClient *rc, BkDaemon *master)
{
    g_autoptr(RmqCommand) r = bk_send(rc, master->addr, "SyncTopic", 0, NULL, NULL, "sync", NULL);

    assert_non_null(r);
    return r->code;
}

static void
test_sync_master(void **state)
{
    g_autoptr(BkDaemon) ns = bk_namesrv_new();
    /* accessMessageInMemoryMaxRatio = 0: any consumer counts as lagging, so
     * the master suggests the slave (docs/protocol.md §9.2) */
    g_autofree gchar *mconf = g_strdup_printf("brokerRole = \"SYNC_MASTER\";\nhaListenPort = %u;\n"
                                              "haSendHeartbeatInterval = 1000;\n"
                                              "slaveReadEnable = true;\n"
                                              "accessMessageInMemoryMaxRatio = 0;\n", bk_free_port());
    g_autofree gchar *sconf = g_strdup_printf("brokerRole = \"SLAVE\";\nbrokerId = 1;\n"
                                              "haListenPort = %u;\nhaSendHeartbeatInterval = 1000;\n",
                                              bk_free_port());
    g_autoptr(BkDaemon) master = NULL;
    g_autoptr(BkDaemon) slave = NULL;
    g_autoptr(RmqClient) rc = rmq_client_new(NULL);
    g_autoptr(GError) error = NULL;
    gint32 code = -1;

    (void) state;
    assert_true(bk_daemon_start(ns, 10000, &error));
    master = bk_broker_new(ns->addr, mconf);
    assert_true(bk_daemon_start(master, 30000, &error));
    /* no slave yet */
    assert_int_equal(send_code(rc, master), RMQ_RESPONSE_SLAVE_NOT_AVAILABLE);
    slave = bk_broker_new(ns->addr, sconf);
    assert_true(bk_daemon_start(slave, 30000, &error));
    for (int i = 0; i < 100 && (code = send_code(rc, master)) != RMQ_RESPONSE_SUCCESS; i++)
        sleep_ms(100);
    assert_int_equal(code, RMQ_RESPONSE_SUCCESS);

    /* a lagging consumer is sent to the slave, which serves the same data */
    {
        g_autoptr(RmqCommand) m = bk_pull(rc, master->addr, "SyncGroup", "SyncTopic", 0, 0, "*", 0);
        g_autoptr(RmqCommand) s = bk_pull(rc, slave->addr, "SyncGroup", "SyncTopic", 0, 0, "*", 0);
        assert_non_null(m);
        assert_int_equal(m->code, RMQ_RESPONSE_SUCCESS);
        assert_int_equal(bk_ext_int(m, "suggestWhichBrokerId", -1), 1);
        for (int i = 0; i < 100 && s->code != RMQ_RESPONSE_SUCCESS; i++) {
            /* the slave copies the topic every 10 s (first after 3 s) */
            sleep_ms(200);
            rmq_command_free(s);
            s = bk_pull(rc, slave->addr, "SyncGroup", "SyncTopic", 0, 0, "*", 0);
        }
        assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
        assert_true(g_bytes_equal(m->body, s->body));
    }

    /* held back: the wait runs out (slaveTimeout, 3 s) */
    assert_int_equal(kill(g_ascii_strtoll(g_subprocess_get_identifier(slave->proc), NULL, 10), SIGSTOP), 0);
    assert_int_equal(send_code(rc, master), RMQ_RESPONSE_FLUSH_SLAVE_TIMEOUT);
    kill(g_ascii_strtoll(g_subprocess_get_identifier(slave->proc), NULL, 10), SIGCONT);
    for (int i = 0; i < 100 && (code = send_code(rc, master)) != RMQ_RESPONSE_SUCCESS; i++)
        sleep_ms(100);
    assert_int_equal(code, RMQ_RESPONSE_SUCCESS);

    /* stopped: not available */
    assert_int_equal(bk_daemon_signal_and_wait(slave, SIGTERM, 10000), 0);
    for (int i = 0; i < 50 && (code = send_code(rc, master)) != RMQ_RESPONSE_SLAVE_NOT_AVAILABLE; i++)
        sleep_ms(100);
    assert_int_equal(code, RMQ_RESPONSE_SLAVE_NOT_AVAILABLE);
}

int
main(void)
{
    const struct CMUnitTest cluster[] = {
        cmocka_unit_test(test_produce_to_both_masters),
        cmocka_unit_test(test_slaves_byte_identical),
        cmocka_unit_test(test_failover_consumes_from_slave),
        cmocka_unit_test(test_master_restart_catches_up),
        cmocka_unit_test(test_slave_pull_does_not_move_offsets),
        cmocka_unit_test(test_slave_refuses_send),
        /* its own daemons, on free ports */
        cmocka_unit_test(test_sync_master),
    };
    int failed = cmocka_run_group_tests_name("cluster", cluster, cluster_setup, cluster_teardown);

    return failed;
}
