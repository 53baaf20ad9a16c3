/* The client library: pure parts (fastjson object keys, route parsing,
 * unique ids, record decoding with inflation) and, against a real
 * rmq-namesrv and rmq-broker, queue selection that skips a failed broker,
 * retries, sendMsgTimeout, compression, the maxMessageSize check, batch,
 * async and one-way sends, pull with tag filtering and offsets. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "../broker/harness.h"
#include "client/internal.h"
#include "store/message_format.h"

static BkDaemon *ns;
static BkDaemon *broker;
static int silent_fd = -1;
static gchar *silent_addr;

/* ------------------------------------------------------------ pure */

static void
test_fastjson_object_keys(void **state)
{
    (void) state;
    const gchar *text = "{\"offsetTable\":{{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}:"
                        "{\"maxOffset\":5},{\"brokerName\":\"b\",\"queueId\":1,\"topic\":\"T\"}:"
                        "{\"maxOffset\":7}},\"n\":{0:\"x\"},\"s\":\"{not:a key}\"}";
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) n = rmq_mq_parse_fastjson((const guint8 *) text, strlen(text), &error);
    assert_non_null(n);
    JsonObject *t = json_object_get_object_member(json_node_get_object(n), "offsetTable");
    g_autoptr(GList) keys = json_object_get_members(t);
    assert_int_equal(g_list_length(keys), 2);
    const gchar *k1 = "{\"brokerName\":\"b\",\"queueId\":1,\"topic\":\"T\"}";
    assert_true(json_object_has_member(t, k1));
    assert_int_equal(json_object_get_int_member(json_object_get_object_member(t, k1), "maxOffset"), 7);
    JsonObject *o = json_node_get_object(n);
    assert_string_equal(json_object_get_string_member(json_object_get_object_member(o, "n"), "0"), "x");
    assert_string_equal(json_object_get_string_member(o, "s"), "{not:a key}");
    /* Standard JSON passes through unchanged. */
    const gchar *plain = "{\"a\":[1,{\"b\":2}]}";
    g_autoptr(JsonNode) p = rmq_mq_parse_fastjson((const guint8 *) plain, strlen(plain), &error);
    assert_non_null(p);
    g_autoptr(GError) bad = NULL;
    assert_null(rmq_mq_parse_fastjson((const guint8 *) "{\"a\":", 5, &bad));
    assert_true(g_error_matches(bad, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL));
}

static void
test_route_parse(void **state)
{
    (void) state;
    const gchar *text =
        "{\"brokerDatas\":[{\"brokerAddrs\":{\"1\":\"10.0.0.2:10911\",\"0\":\"10.0.0.1:10911\"},"
        "\"brokerName\":\"a\",\"cluster\":\"C\"},{\"brokerAddrs\":{\"2\":\"10.0.0.4:10911\","
        "\"1\":\"10.0.0.3:10911\"},\"brokerName\":\"b\",\"cluster\":\"C\"}],"
        "\"filterServerTable\":{},\"queueDatas\":[{\"brokerName\":\"a\",\"perm\":6,"
        "\"readQueueNums\":4,\"topicSysFlag\":0,\"writeQueueNums\":2}]}";
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqRoute) r = rmq_route_parse((const guint8 *) text, strlen(text), &error);
    assert_non_null(r);
    assert_int_equal(r->queue_datas->len, 1);
    RmqQueueData *qd = g_ptr_array_index(r->queue_datas, 0);
    assert_int_equal(qd->write_queue_nums, 2);
    assert_int_equal(qd->read_queue_nums, 4);
    assert_string_equal(rmq_route_master_addr(r, "a"), "10.0.0.1:10911");
    assert_null(rmq_route_master_addr(r, "b"));           /* no master */
    assert_string_equal(rmq_route_any_addr(r, "b"), "10.0.0.3:10911"); /* lowest id */
    assert_null(rmq_route_any_addr(r, "c"));
}

static void
test_unique_ids(void **state)
{
    (void) state;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < 1000; i++) {
        gchar *id = rmq_mq_unique_id();
        assert_int_equal(strlen(id), 32);
        for (const gchar *c = id; *c; c++)
            assert_true(g_ascii_isxdigit(*c) && !g_ascii_islower(*c));
        assert_false(g_hash_table_contains(seen, id));
        g_hash_table_add(seen, id);
    }
}

static void
test_decode_inflates(void **state)
{
    (void) state;
    g_autofree gchar *plain = g_strnfill(5000, 'z');
    uLongf clen = compressBound(5000);
    g_autofree guint8 *comp = g_malloc(clen);
    assert_int_equal(compress2(comp, &clen, (const Bytef *) plain, 5000, 5), Z_OK);
    const gchar *props = "TAGS\001TagA\002UNIQ_KEY\001ABC";
    RmqMessage m = { .topic = "T", .queue_id = 2, .sys_flag = RMQ_SYSFLAG_COMPRESSED,
                     .born_timestamp = 1700000000000, .body = comp, .body_len = clen,
                     .properties = props, .properties_len = strlen(props) };
    rmq_host_addr_set_ipv4(&m.born_host, 0x7f000001, 1234);
    rmq_host_addr_set_ipv4(&m.store_host, 0xc0a8000a, 10911);
    gint64 size = rmq_message_record_size(&m);
    g_autofree guint8 *buf = g_malloc(2 * size);
    rmq_message_encode(&m, 7, 0, 1700000000123, buf);
    m.sys_flag = 0;
    m.body = (const guint8 *) "short";
    m.body_len = 5;
    rmq_host_addr_set_ipv4(&m.born_host, 0x0a000002, 99); /* a host text per address */
    gint64 size2 = rmq_message_record_size(&m);
    rmq_message_encode(&m, 8, size, 1700000000124, buf + size);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) msgs = rmq_mq_decode_messages(buf, (gsize) (size + size2), &error);
    assert_non_null(msgs);
    assert_int_equal(msgs->len, 2);
    RmqMsg *a = g_ptr_array_index(msgs, 0);
    assert_int_equal(g_bytes_get_size(a->body), 5000);
    assert_memory_equal(g_bytes_get_data(a->body, NULL), plain, 5000);
    assert_string_equal(rmq_msg_get_tags(a), "TagA");
    assert_string_equal(rmq_msg_get_msg_id(a), "ABC");
    assert_string_equal(a->offset_msg_id, "C0A8000A00002A9F0000000000000000");
    assert_string_equal(a->store_host, "192.168.0.10:10911");
    assert_int_equal(a->queue_offset, 7);
    RmqMsg *b = g_ptr_array_index(msgs, 1);
    assert_int_equal(b->commit_log_offset, size);
    assert_int_equal(g_bytes_get_size(b->body), 5);
    assert_string_equal(a->born_host, "127.0.0.1:1234");
    assert_string_equal(b->born_host, "10.0.0.2:99");
    assert_string_equal(b->store_host, "192.168.0.10:10911");
    /* One block per answer: the messages share the text of one address. */
    assert_ptr_equal(a->store_host, b->store_host);
    /* From a pull body: an uncompressed body is a slice that keeps it alive. */
    GBytes *whole = g_bytes_new(buf, (gsize) (size + size2));
    g_autoptr(GPtrArray) sliced = rmq_mq_decode_messages_bytes(whole, &error);
    g_bytes_unref(whole);
    assert_non_null(sliced);
    assert_int_equal(sliced->len, 2);
    RmqMsg *c = g_ptr_array_index(sliced, 0), *d = g_ptr_array_index(sliced, 1);
    assert_memory_equal(g_bytes_get_data(c->body, NULL), plain, 5000);
    assert_int_equal(g_bytes_get_size(d->body), 5);
    assert_memory_equal(g_bytes_get_data(d->body, NULL), "short", 5);
    assert_string_equal(rmq_msg_get_tags(d), "TagA");
    assert_string_equal(d->born_host, "10.0.0.2:99");
    /* A message kept past its list and its siblings: strings, raw
     * properties and body stay valid (the block and the answer live on). */
    RmqMsg *kept = g_ptr_array_steal_index(sliced, 1);
    g_clear_pointer(&sliced, g_ptr_array_unref);
    assert_string_equal(kept->topic, "T");
    assert_string_equal(kept->store_host, "192.168.0.10:10911");
    g_autofree gchar *id = g_strdup_printf("C0A8000A00002A9F%016" G_GINT64_MODIFIER "X", size);
    assert_string_equal(kept->offset_msg_id, id);
    assert_memory_equal(g_bytes_get_data(kept->body, NULL), "short", 5);
    GHashTable *table = rmq_msg_get_properties(kept); /* built on first use */
    assert_int_equal(g_hash_table_size(table), 2);
    assert_string_equal(g_hash_table_lookup(table, "UNIQ_KEY"), "ABC");
    assert_ptr_equal(rmq_msg_get_properties(kept), table); /* once */
    rmq_msg_put_property(kept, "TAGS", "TagB"); /* editable like a new message's */
    rmq_msg_put_property(kept, "UNIQ_KEY", NULL);
    assert_string_equal(rmq_msg_get_tags(kept), "TagB");
    assert_string_equal(rmq_msg_get_msg_id(kept), kept->offset_msg_id);
    g_autoptr(RmqMsg) copy = rmq_msg_new(kept->topic, "x", 1); /* a message to send back */
    rmq_msg_free(kept);
    assert_string_equal(copy->topic, "T");
    /* A cut record is an error, not a short list. */
    g_autoptr(GError) cut = NULL;
    assert_null(rmq_mq_decode_messages(buf, (gsize) (size + size2 - 1), &cut));
    assert_true(g_error_matches(cut, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL));
}

/* ------------------------------------------------------------ live */

/* Register a broker @name at @addr (nothing real behind it) with @topic. */
static RmqAdmin *registrar; /* the name server drops a broker when its connection closes */

static void
register_fake(const gchar *name, const gchar *addr, const gchar *topic)
{
    RmqAdmin *a = registrar;
    g_autofree gchar *body = g_strdup_printf(
        "{\"filterServerList\":[],\"topicConfigSerializeWrapper\":{\"dataVersion\":"
        "{\"counter\":1,\"timestamp\":1},\"topicConfigTable\":{\"%s\":{\"order\":false,"
        "\"perm\":6,\"readQueueNums\":4,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"%s\","
        "\"topicSysFlag\":0,\"writeQueueNums\":4}}}}", topic, topic);
    g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) r = rmq_admin_invoke(a, ns->addr, RMQ_REQUEST_REGISTER_BROKER, b, NULL,
                                           &error, "brokerName", name, "brokerAddr", addr,
                                           "clusterName", "DefaultCluster", "haServerAddr", addr,
                                           "brokerId", "0", "compressed", "false", "bodyCrc32",
                                           "0", NULL);
    assert_non_null(r);
}

/* REGISTER_BROKER / UNREGISTER_BROKER of a fake broker @name with id @id. */
static void
fake_broker_id(gboolean add, const gchar *name, const gchar *addr, const gchar *topic, gint id)
{
    g_autofree gchar *body = g_strdup_printf(
        "{\"filterServerList\":[],\"topicConfigSerializeWrapper\":{\"dataVersion\":"
        "{\"counter\":1,\"timestamp\":1},\"topicConfigTable\":{\"%s\":{\"order\":false,"
        "\"perm\":6,\"readQueueNums\":4,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"%s\","
        "\"topicSysFlag\":0,\"writeQueueNums\":4}}}}", topic, topic);
    g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
    g_autofree gchar *bid = g_strdup_printf("%d", id);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) r = rmq_admin_invoke(
        registrar, ns->addr, add ? RMQ_REQUEST_REGISTER_BROKER : RMQ_REQUEST_UNREGISTER_BROKER,
        add ? b : NULL, NULL, &error, "brokerName", name, "brokerAddr", addr, "clusterName",
        "DefaultCluster", "haServerAddr", addr, "brokerId", bid, "compressed", "false",
        "bodyCrc32", "0", NULL);
    if (r == NULL)
        fail_msg("%s", error->message);
}

/* Two producers share an instance's route cache. One refreshes the route
 * after the broker's master left; the other still has a queue of that
 * broker in its publish list, finds no master, and refetches its list while
 * it picks the next attempt: it must not use the list it just freed (ASan
 * saw a use after free there). The send fails cleanly instead. */
static void
test_master_gone_under_a_shared_route(void **state)
{
    (void) state;
    g_autofree gchar *dead0 = g_strdup_printf("127.0.0.1:%u", bk_free_port());
    g_autofree gchar *dead1 = g_strdup_printf("127.0.0.1:%u", bk_free_port());
    fake_broker_id(TRUE, "broker-nomaster", dead0, "NoMasterTopic", 0);
    fake_broker_id(TRUE, "broker-nomaster", dead1, "NoMasterTopic", 1);
    g_autoptr(RmqInstance) inst = rmq_instance_new(ns->addr, NULL);
    g_autoptr(RmqProducer) a = rmq_producer_new_on(inst, "NoMasterA");
    g_autoptr(RmqProducer) b = rmq_producer_new_on(inst, "NoMasterB");
    rmq_producer_set_send_msg_timeout(a, 1500);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) qa = rmq_producer_fetch_publish_queues(a, "NoMasterTopic", &error);
    assert_non_null(qa);
    assert_int_equal(qa->len, 4);
    fake_broker_id(FALSE, "broker-nomaster", dead0, "NoMasterTopic", 0);
    g_autoptr(GPtrArray) qb = rmq_producer_fetch_publish_queues(b, "NoMasterTopic", NULL);
    (void) qb; /* refreshes the shared route: no master left */
    g_autoptr(RmqMsg) m = rmq_msg_new("NoMasterTopic", "x", -1);
    RmqSendResult r;
    assert_false(rmq_producer_send(a, m, &r, &error));
    assert_non_null(error);
    fake_broker_id(FALSE, "broker-nomaster", dead1, "NoMasterTopic", 1);
}

static void
create_topic(const gchar *topic, gint queues)
{
    g_autoptr(RmqAdmin) a = rmq_admin_new(ns->addr, NULL);
    RmqTopicSpec spec;
    rmq_topic_spec_init(&spec);
    spec.read_queue_nums = spec.write_queue_nums = queues;
    g_autoptr(GError) error = NULL;
    assert_true(rmq_admin_update_topic(a, broker->addr, topic, &spec, &error));
    /* Wait for the broker's re-registration to reach the route. */
    for (int i = 0; i < 100; i++) {
        g_autoptr(JsonNode) r = rmq_admin_topic_route(a, topic, NULL);
        if (r)
            return;
        g_usleep(20000);
    }
    fail_msg("no route for %s", topic);
}

static int
setup(void **state)
{
    (void) state;
    g_autoptr(GError) error = NULL;
    ns = bk_namesrv_new();
    if (!bk_daemon_start(ns, 10000, &error))
        return -1;
    broker = bk_broker_new(ns->addr, NULL);
    if (!bk_daemon_start(broker, 15000, &error))
        return -1;
    /* A peer that accepts connections (kernel backlog) and never answers. */
    silent_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(silent_fd, (struct sockaddr *) &sa, sizeof sa) != 0 || listen(silent_fd, 16) != 0)
        return -1;
    socklen_t len = sizeof sa;
    getsockname(silent_fd, (struct sockaddr *) &sa, &len);
    silent_addr = g_strdup_printf("127.0.0.1:%u", ntohs(sa.sin_port));
    registrar = rmq_admin_new(ns->addr, NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    rmq_admin_free(registrar);
    close(silent_fd);
    g_free(silent_addr);
    bk_daemon_free(broker);
    bk_daemon_free(ns);
    return 0;
}

static RmqProducer *
producer(void)
{
    return rmq_producer_new("LibTestProducers", ns->addr, NULL);
}

/* Sends @n messages, returns the attempts used; all must land on broker-a. */
static guint
send_n(RmqProducer *p, const gchar *topic, int n)
{
    guint attempts = 0;
    for (int i = 0; i < n; i++) {
        g_autoptr(RmqMsg) m = rmq_msg_new(topic, "fault test", -1);
        RmqSendResult r;
        g_autoptr(GError) error = NULL;
        if (!rmq_producer_send(p, m, &r, &error))
            fail_msg("send %d: %s", i, error->message);
        assert_string_equal(r.broker_name, "broker-a");
        attempts += r.attempts;
        rmq_send_result_clear(&r);
    }
    return attempts;
}

typedef struct {
    guint done, ok, on_a, attempts;
    GError *last;
} AsyncTally;

static void
on_tally(RmqProducer *p, const RmqSendResult *r, const GError *e, gpointer data)
{
    (void) p;
    AsyncTally *t = data;
    t->done++;
    if (r) {
        t->ok++;
        t->attempts += r->attempts;
        t->on_a += g_strcmp0(r->broker_name, "broker-a") == 0;
    } else {
        g_clear_error(&t->last);
        t->last = g_error_copy(e);
    }
}

static void
test_skips_failed_broker(void **state)
{
    (void) state;
    create_topic("FaultTopic", 4);
    g_autofree gchar *dead = g_strdup_printf("127.0.0.1:%u", bk_free_port());
    register_fake("broker-b", dead, "FaultTopic");
    /* 4 queues on each broker; round robin meets broker-b once, the retry
     * goes to broker-a, and broker-b is then left out. */
    g_autoptr(RmqProducer) p = producer();
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) qs = rmq_producer_fetch_publish_queues(p, "FaultTopic", &error);
    assert_int_equal(qs->len, 8);
    assert_int_equal(send_n(p, "FaultTopic", 16), 16 + 1);
    /* Without the fault window every round-robin pass over broker-b's
     * queues costs a failed attempt (16 sends over 8 queues: two passes). */
    g_autoptr(RmqProducer) p2 = producer();
    rmq_producer_set_fault_duration(p2, 0);
    assert_true(send_n(p2, "FaultTopic", 16) >= 16 + 2);
    /* Async sends retry and skip the same way. */
    g_autoptr(RmqProducer) p3 = producer();
    AsyncTally t = { 0 };
    for (int i = 0; i < 16; i++) {
        g_autoptr(RmqMsg) m = rmq_msg_new("FaultTopic", "async", -1);
        rmq_producer_send_async(p3, m, on_tally, &t);
    }
    assert_int_equal(t.done, 0); /* callbacks never run inside the call */
    assert_true(rmq_producer_flush(p3, 10000));
    assert_int_equal(t.done, 16);
    assert_int_equal(t.ok, 16);
    assert_int_equal(t.on_a, 16);
    /* All 16 went out before any answer came back, so each of them that
     * met broker-b was retried once (on broker-a). */
    assert_true(t.attempts > 16 && t.attempts <= 16 + 8);
    /* broker-b is now in its fault window: a second wave never tries it. */
    AsyncTally t2 = { 0 };
    for (int i = 0; i < 16; i++) {
        g_autoptr(RmqMsg) m = rmq_msg_new("FaultTopic", "async 2", -1);
        rmq_producer_send_async(p3, m, on_tally, &t2);
    }
    assert_true(rmq_producer_flush(p3, 10000));
    assert_int_equal(t2.ok, 16);
    assert_int_equal(t2.on_a, 16);
    assert_int_equal(t2.attempts, 16);
}

static void
test_unreachable_and_timeout(void **state)
{
    (void) state;
    /* A topic only on a dead broker: every attempt fails to connect. */
    g_autofree gchar *dead = g_strdup_printf("127.0.0.1:%u", bk_free_port());
    register_fake("broker-dead", dead, "DeadTopic");
    g_autoptr(RmqProducer) p = producer();
    g_autoptr(RmqMsg) m = rmq_msg_new("DeadTopic", "x", -1);
    RmqSendResult r;
    g_autoptr(GError) error = NULL;
    assert_false(rmq_producer_send(p, m, &r, &error));
    assert_true(g_error_matches(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_BROKER_UNREACHABLE));
    /* A broker that never answers: sendMsgTimeout ends the send (with all
     * retries) and the error says so. */
    register_fake("broker-silent", silent_addr, "SilentTopic");
    g_autoptr(RmqProducer) s = producer();
    rmq_producer_set_send_msg_timeout(s, 300);
    g_autoptr(RmqMsg) m2 = rmq_msg_new("SilentTopic", "x", -1);
    g_autoptr(GError) e2 = NULL;
    assert_false(rmq_producer_send(s, m2, &r, &e2));
    assert_true(g_error_matches(e2, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TIMEOUT));
    /* Async: the callback gets the same error. */
    AsyncTally t = { 0 };
    g_autoptr(RmqMsg) m3 = rmq_msg_new("SilentTopic", "x", -1);
    rmq_producer_send_async(s, m3, on_tally, &t);
    assert_true(rmq_producer_flush(s, 5000));
    assert_int_equal(t.done, 1);
    assert_int_equal(t.ok, 0);
    assert_true(g_error_matches(t.last, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TIMEOUT));
    g_clear_error(&t.last);
    /* Unknown topic with no default route to create it from: client error. */
    g_autoptr(RmqMsg) bad = rmq_msg_new("bad topic!", "x", -1);
    g_autoptr(GError) e3 = NULL;
    assert_false(rmq_producer_send(p, bad, &r, &e3));
    assert_true(g_error_matches(e3, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL));
}

/* The message at the end of queue @qid of @topic, pulled back. */
static RmqMsg *
pull_at(const gchar *topic, gint qid, gint64 offset)
{
    g_autoptr(RmqConsumer) c = rmq_consumer_new("LibTestReaders", ns->addr, NULL);
    g_autoptr(RmqQueue) q = rmq_queue_new(topic, "broker-a", qid);
    RmqPullResult r;
    g_autoptr(GError) error = NULL;
    if (!rmq_consumer_pull(c, q, "*", offset, 1, 0, &r, &error))
        fail_msg("pull: %s", error->message);
    assert_int_equal(r.status, RMQ_PULL_FOUND);
    RmqMsg *m = g_ptr_array_steal_index(r.msgs, 0);
    rmq_pull_result_clear(&r);
    return m;
}

static void
test_compression_and_max_size(void **state)
{
    (void) state;
    create_topic("ZipTopic", 1);
    g_autoptr(RmqProducer) p = producer();
    g_autofree gchar *big = g_strnfill(10000, 'q');
    g_autoptr(RmqMsg) m = rmq_msg_new("ZipTopic", big, -1);
    RmqSendResult r;
    g_autoptr(GError) error = NULL;
    assert_true(rmq_producer_send(p, m, &r, &error));
    g_autoptr(RmqMsg) back = pull_at("ZipTopic", 0, r.queue_offset);
    rmq_send_result_clear(&r);
    assert_true(back->sys_flag & RMQ_SYSFLAG_COMPRESSED);
    assert_true(back->store_size < 2000); /* stored compressed */
    assert_int_equal(g_bytes_get_size(back->body), 10000);
    assert_memory_equal(g_bytes_get_data(back->body, NULL), big, 10000);
    /* Under the threshold: stored as is. */
    g_autoptr(RmqMsg) small = rmq_msg_new("ZipTopic", big, 4095);
    assert_true(rmq_producer_send(p, small, &r, &error));
    g_autoptr(RmqMsg) sback = pull_at("ZipTopic", 0, r.queue_offset);
    rmq_send_result_clear(&r);
    assert_false(sback->sys_flag & RMQ_SYSFLAG_COMPRESSED);
    assert_int_equal(g_bytes_get_size(sback->body), 4095);
    /* maxMessageSize is checked before anything is sent. */
    rmq_producer_set_max_message_size(p, 4096);
    g_autoptr(RmqMsg) edge = rmq_msg_new("ZipTopic", big, 4096);
    assert_true(rmq_producer_send(p, edge, &r, &error));
    rmq_send_result_clear(&r);
    g_autoptr(RmqMsg) over = rmq_msg_new("ZipTopic", big, 4097);
    g_autoptr(GError) e2 = NULL;
    assert_false(rmq_producer_send(p, over, &r, &e2));
    assert_true(g_error_matches(e2, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL));
    g_autoptr(RmqConsumer) c = rmq_consumer_new("LibTestReaders", ns->addr, NULL);
    g_autoptr(RmqQueue) q = rmq_queue_new("ZipTopic", "broker-a", 0);
    assert_int_equal(rmq_consumer_max_offset(c, q, &error), 3);
}

/* A message sent with no property gets its unique id without a property
 * table (raw properties): the caller still reads it from the message, the
 * broker stores exactly that property, and a second send of the message,
 * after a tag was added, keeps the id and carries both. */
static void
test_unique_id_without_properties(void **state)
{
    (void) state;
    create_topic("UniqTopic", 1);
    g_autoptr(RmqProducer) p = producer();
    g_autoptr(RmqMsg) m = rmq_msg_new("UniqTopic", "plain", -1);
    RmqSendResult r;
    g_autoptr(GError) error = NULL;
    assert_true(rmq_producer_send(p, m, &r, &error));
    g_autofree gchar *id = g_strdup(rmq_msg_get_property(m, RMQ_PROPERTY_UNIQ_KEY));
    assert_non_null(id);
    assert_int_equal(strlen(id), 32);
    assert_string_equal(r.msg_id, id);
    assert_string_equal(rmq_msg_get_msg_id(m), id);
    g_autoptr(RmqMsg) back = pull_at("UniqTopic", 0, r.queue_offset);
    /* The reply's fields, decoded in one pass (producer.c handle_response). */
    assert_int_equal(r.status, RMQ_SEND_OK);
    assert_int_equal(r.queue_id, 0);
    assert_non_null(r.offset_msg_id);
    assert_string_equal(r.offset_msg_id, back->offset_msg_id);
    assert_string_equal(r.broker_name, "broker-a");
    assert_non_null(r.region_id);
    rmq_send_result_clear(&r);
    assert_string_equal(rmq_msg_get_property(back, RMQ_PROPERTY_UNIQ_KEY), id);
    assert_null(rmq_msg_get_tags(back));

    rmq_msg_set_tags(m, "TagU");
    assert_true(rmq_producer_send(p, m, &r, &error));
    assert_string_equal(r.msg_id, id);
    g_autoptr(RmqMsg) again = pull_at("UniqTopic", 0, r.queue_offset);
    rmq_send_result_clear(&r);
    assert_string_equal(rmq_msg_get_property(again, RMQ_PROPERTY_UNIQ_KEY), id);
    assert_string_equal(rmq_msg_get_tags(again), "TagU");

    /* Two fresh messages: two ids. */
    g_autoptr(RmqMsg) m2 = rmq_msg_new("UniqTopic", "plain", -1);
    assert_true(rmq_producer_send(p, m2, &r, &error));
    assert_string_not_equal(r.msg_id, id);
    assert_string_equal(rmq_msg_get_property(m2, RMQ_PROPERTY_UNIQ_KEY), r.msg_id);
    rmq_send_result_clear(&r);
}

static void
test_batch_and_oneway(void **state)
{
    (void) state;
    create_topic("BatchTopic", 1);
    g_autoptr(RmqProducer) p = producer();
    RmqMsg *msgs[5];
    for (int i = 0; i < 5; i++) {
        g_autofree gchar *body = g_strdup_printf("item %d", i);
        msgs[i] = rmq_msg_new("BatchTopic", body, -1);
        rmq_msg_set_tags(msgs[i], i % 2 ? "TagB" : "TagA");
        rmq_msg_set_keys(msgs[i], "k1 k2");
    }
    RmqSendResult r;
    g_autoptr(GError) error = NULL;
    assert_true(rmq_producer_send_batch(p, msgs, 5, &r, &error));
    g_auto(GStrv) ids = g_strsplit(r.msg_id, ",", -1);
    g_auto(GStrv) offset_ids = g_strsplit(r.offset_msg_id, ",", -1);
    assert_int_equal(g_strv_length(ids), 5);
    assert_int_equal(g_strv_length(offset_ids), 5);
    gint64 first = r.queue_offset;
    rmq_send_result_clear(&r);
    for (int i = 0; i < 5; i++) {
        g_autoptr(RmqMsg) back = pull_at("BatchTopic", 0, first + i);
        g_autofree gchar *body = g_strdup_printf("item %d", i);
        assert_int_equal(g_bytes_get_size(back->body), strlen(body));
        assert_memory_equal(g_bytes_get_data(back->body, NULL), body, strlen(body));
        assert_string_equal(rmq_msg_get_msg_id(back), ids[i]);
        assert_string_equal(back->offset_msg_id, offset_ids[i]);
        assert_string_equal(rmq_msg_get_tags(back), i % 2 ? "TagB" : "TagA");
    }
    /* Tag filtering on pull: only TagB (broker hash + client text). */
    g_autoptr(RmqConsumer) c = rmq_consumer_new("LibTestReaders", ns->addr, NULL);
    g_autoptr(RmqQueue) q = rmq_queue_new("BatchTopic", "broker-a", 0);
    RmqPullResult pr;
    assert_true(rmq_consumer_pull(c, q, "TagB", 0, 32, 0, &pr, &error));
    assert_int_equal(pr.status, RMQ_PULL_FOUND);
    assert_int_equal(pr.msgs->len, 2);
    assert_int_equal(pr.next_begin_offset, 5);
    rmq_pull_result_clear(&pr);
    /* A batch of two topics is refused client-side. */
    RmqMsg *mixed[2] = { msgs[0], rmq_msg_new("OtherTopic", "x", -1) };
    g_autoptr(GError) e2 = NULL;
    assert_false(rmq_producer_send_batch(p, mixed, 2, &r, &e2));
    assert_true(g_error_matches(e2, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL));
    rmq_msg_free(mixed[1]);
    for (int i = 0; i < 5; i++)
        rmq_msg_free(msgs[i]);
    /* One-way: nothing comes back, the broker stores it. */
    g_autoptr(RmqMsg) one = rmq_msg_new("BatchTopic", "one way", -1);
    assert_true(rmq_producer_send_oneway(p, one, &error));
    gint64 max = 0;
    for (int i = 0; i < 100 && (max = rmq_consumer_max_offset(c, q, &error)) < 6; i++) {
        g_main_context_iteration(rmq_producer_get_context(p), FALSE);
        g_usleep(10000);
    }
    assert_int_equal(max, 6);
}

/* The clientAddr ("ip:port") broker-a lists for @group's connection
 * (GET_PRODUCER/CONSUMER_CONNECTION_LIST), and its clientId. */
static gchar *
listed_client_addr(RmqAdmin *a, gboolean producer, const gchar *group, gchar **client_id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) b = rmq_admin_invoke(
        a, broker->addr,
        producer ? RMQ_REQUEST_GET_PRODUCER_CONNECTION_LIST : RMQ_REQUEST_GET_CONSUMER_CONNECTION_LIST,
        NULL, NULL, &error, producer ? "producerGroup" : "consumerGroup", group, NULL);
    if (b == NULL)
        print_error("%s: %s\n", group, error->message);
    assert_non_null(b);
    gsize len;
    const guint8 *data = g_bytes_get_data(b, &len);
    g_autoptr(JsonNode) n = rmq_mq_parse_fastjson(data, len, &error);
    assert_non_null(n);
    JsonArray *conns = json_object_get_array_member(json_node_get_object(n), "connectionSet");
    assert_int_equal(json_array_get_length(conns), 1);
    JsonObject *c = json_array_get_object_element(conns, 0);
    if (client_id != NULL)
        *client_id = g_strdup(json_object_get_string_member(c, "clientId"));
    return g_strdup(json_object_get_string_member(c, "clientAddr"));
}

/* Producers and a consumer made on one RmqInstance share its one connection
 * to the broker, as Java's MQClientInstance does: the broker lists them all
 * at the same client address with the same client id. A producer on its
 * own instance is listed at another address. */
static void
test_instance_shares_connections(void **state)
{
    (void) state;
    create_topic("SharedConnTopic", 2);
    g_autoptr(RmqInstance) inst = rmq_instance_new(ns->addr, NULL);
    g_autoptr(RmqProducer) p1 = rmq_producer_new_on(inst, "SharedP1");
    g_autoptr(RmqProducer) p2 = rmq_producer_new_on(inst, "SharedP2");
    g_autoptr(RmqConsumer) c = rmq_consumer_new_on(inst, "SharedC");
    g_autoptr(RmqProducer) alone = rmq_producer_new("SharedP3", ns->addr, NULL);
    RmqProducer *ps[] = { p1, p2, alone };
    for (guint i = 0; i < G_N_ELEMENTS(ps); i++) {
        g_autoptr(RmqMsg) m = rmq_msg_new("SharedConnTopic", "shared", -1);
        RmqSendResult r;
        g_autoptr(GError) error = NULL;
        assert_true(rmq_producer_send(ps[i], m, &r, &error));
        rmq_send_result_clear(&r);
    }
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_heartbeat(c, "SharedConnTopic", &error));

    g_autoptr(RmqAdmin) a = rmq_admin_new(ns->addr, NULL);
    g_autofree gchar *id1 = NULL, *id_c = NULL;
    g_autofree gchar *addr1 = listed_client_addr(a, TRUE, "SharedP1", &id1);
    g_autofree gchar *addr2 = listed_client_addr(a, TRUE, "SharedP2", NULL);
    g_autofree gchar *addr_c = listed_client_addr(a, FALSE, "SharedC", &id_c);
    g_autofree gchar *addr3 = listed_client_addr(a, TRUE, "SharedP3", NULL);
    assert_string_equal(addr1, addr2);
    assert_string_equal(addr1, addr_c);
    assert_string_equal(id1, rmq_instance_get_client_id(inst));
    assert_string_equal(id_c, id1);
    assert_string_not_equal(addr3, addr1);
    /* Freeing one user leaves the connection to the others. */
    g_clear_pointer(&p1, rmq_producer_free);
    g_autoptr(RmqMsg) m = rmq_msg_new("SharedConnTopic", "after", -1);
    RmqSendResult r;
    assert_true(rmq_producer_send(p2, m, &r, &error));
    rmq_send_result_clear(&r);
    g_autofree gchar *again = listed_client_addr(a, TRUE, "SharedP2", NULL);
    assert_string_equal(again, addr1);
}

static void
test_offsets_and_namesrv_failover(void **state)
{
    (void) state;
    g_autofree gchar *dead = g_strdup_printf("127.0.0.1:%u", bk_free_port());
    g_autofree gchar *list = g_strdup_printf("%s;%s,%s", dead, dead, ns->addr);
    g_autoptr(RmqConsumer) c = rmq_consumer_new("OffsetGroup", list, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) qs = rmq_consumer_fetch_subscribe_queues(c, "BatchTopic", &error);
    assert_non_null(qs);
    assert_int_equal(qs->len, 1);
    RmqQueue *q = g_ptr_array_index(qs, 0);
    /* a fresh queue (docs/protocol.md §10.5) */
    assert_int_equal(rmq_consumer_query_offset(c, q, &error), 0);
    assert_true(rmq_consumer_commit_offset(c, q, 4, &error));
    assert_int_equal(rmq_consumer_query_offset(c, q, &error), 4);
    assert_int_equal(rmq_consumer_min_offset(c, q, &error), 0);
    assert_int_equal(rmq_consumer_max_offset(c, q, &error), 6);
    assert_int_equal(rmq_consumer_search_offset(c, q, 0, &error), 0);
    RmqPullResult r;
    assert_true(rmq_consumer_pull(c, q, "*", 6, 32, 0, &r, &error));
    assert_int_equal(r.status, RMQ_PULL_NO_NEW_MSG);
    rmq_pull_result_clear(&r);
    assert_true(rmq_consumer_pull(c, q, "*", 60, 32, 0, &r, &error));
    assert_int_equal(r.status, RMQ_PULL_OFFSET_ILLEGAL);
    assert_int_equal(r.next_begin_offset, 0); /* Java: min offset when it is 0 */
    assert_int_equal(r.max_offset, 6);
    rmq_pull_result_clear(&r);
    /* A pull can carry the commit. */
    assert_true(rmq_consumer_pull_and_commit(c, q, "*", 5, 32, 0, 5, &r, &error));
    assert_int_equal(r.status, RMQ_PULL_FOUND);
    assert_int_equal(r.msgs->len, 1);
    rmq_pull_result_clear(&r);
    assert_int_equal(rmq_consumer_query_offset(c, q, &error), 5);
    /* All name servers dead. */
    g_autoptr(RmqConsumer) d = rmq_consumer_new("OffsetGroup", dead, NULL);
    g_autoptr(GError) e2 = NULL;
    assert_null(rmq_consumer_fetch_subscribe_queues(d, "BatchTopic", &e2));
    assert_true(g_error_matches(e2, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NAMESRV_UNREACHABLE));
    g_autoptr(GError) e3 = NULL;
    assert_null(rmq_consumer_fetch_subscribe_queues(c, "NoSuchTopic", &e3));
    assert_true(g_error_matches(e3, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TOPIC_NOT_EXIST));
}

static void
test_auto_create_through_default_topic(void **state)
{
    (void) state;
    /* No route yet: the producer sends through TBW102's brokers and the
     * broker creates the topic with defaultTopicQueueNums queues. */
    g_autoptr(RmqProducer) p = producer();
    rmq_producer_set_default_topic_queue_nums(p, 2);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) qs = rmq_producer_fetch_publish_queues(p, "FreshTopic", &error);
    assert_non_null(qs);
    assert_int_equal(qs->len, 2);
    g_autoptr(RmqMsg) m = rmq_msg_new("FreshTopic", "first", -1);
    RmqSendResult r;
    assert_true(rmq_producer_send(p, m, &r, &error));
    assert_true(r.queue_id == 0 || r.queue_id == 1);
    rmq_send_result_clear(&r);
    g_autoptr(RmqAdmin) a = rmq_admin_new(ns->addr, NULL);
    g_autoptr(JsonNode) route = NULL;
    for (int i = 0; i < 100 && route == NULL; i++) {
        route = rmq_admin_topic_route(a, "FreshTopic", NULL);
        if (route == NULL)
            g_usleep(20000);
    }
    assert_non_null(route);
}

int
main(void)
{
    /* One group (one TAP plan): the pure tests first, then the live ones. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fastjson_object_keys),
        cmocka_unit_test(test_route_parse),
        cmocka_unit_test(test_unique_ids),
        cmocka_unit_test(test_decode_inflates),
        cmocka_unit_test(test_skips_failed_broker),
        cmocka_unit_test(test_unreachable_and_timeout),
        cmocka_unit_test(test_compression_and_max_size),
        cmocka_unit_test(test_unique_id_without_properties),
        cmocka_unit_test(test_batch_and_oneway),
        cmocka_unit_test(test_instance_shares_connections),
        cmocka_unit_test(test_master_gone_under_a_shared_route),
        cmocka_unit_test(test_offsets_and_namesrv_failover),
        cmocka_unit_test(test_auto_create_through_default_topic),
    };
    return cmocka_run_group_tests_name("client", tests, setup, teardown);
}
