/* rmq-broker integration: the docs/protocol.md §14 path (registration, heartbeat, send V1/V2/
 * batch, pull with tag filtering and long polling, offsets, consumer list and
 * notification, locks) plus bad input, a malformed frame, the VIP port, a
 * restart keeping offsets and SIGTERM with a parked pull. Real rmq-namesrv
 * and rmq-broker processes, driven with RmqClient. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "remoting/codes.h"

static BkDaemon *ns, *br;
static RmqClient *client;

#define BROKER_CONF "maxMessageSize = 1024;\nflushConsumerOffsetInterval = 200;\n"

static int
setup(void **state)
{
    (void) state;
    ns = bk_namesrv_new();
    if (!bk_daemon_start_or_say(ns, 10000))
        return -1;
    br = bk_broker_new(ns->addr, BROKER_CONF);
    br->env = g_strdupv((gchar *[]){ "RMQ_TEST_CLIENT_EXPIRE_MS", "2500", NULL });
    if (!bk_daemon_start_or_say(br, 10000))
        return -1;
    client = rmq_client_new(NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    rmq_client_free(client);
    bk_daemon_free(br);
    bk_daemon_free(ns);
    return 0;
}

static gint32
route_code(const gchar *topic)
{
    g_autoptr(RmqCommand) r =
        bk_invoke(client, ns->addr, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL, "topic", topic, NULL);
    return r != NULL ? r->code : -1;
}

static gint32
wait_route(const gchar *topic, gint32 code, guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    gint32 last;
    while ((last = route_code(topic)) != code && g_get_monotonic_time() < end)
        g_usleep(50000);
    return last;
}

static void
test_register_and_route(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) r =
        bk_invoke(client, ns->addr, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL, "topic", "TBW102", NULL);
    assert_non_null(r);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *body = g_strndup(g_bytes_get_data(r->body, NULL), g_bytes_get_size(r->body));
    assert_non_null(strstr(body, br->addr));
    assert_non_null(strstr(body, "\"perm\":7"));
}

static void
test_send_v2_autocreate_and_pull(void **state)
{
    (void) state;
    assert_int_equal(route_code("CoreTopicA"), RMQ_RESPONSE_TOPIC_NOT_EXIST);
    g_autoptr(RmqCommand) s = bk_send(client, br->addr, "CoreTopicA", 0, "TagA", "k1 k2", "hello",
                                      "WAIT\001true\002UNIQ_KEY\001ABCDEF\002");
    assert_non_null(s);
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(bk_ext_int(s, "queueOffset", -1), 0);
    assert_int_equal(bk_ext_int(s, "queueId", -1), 0);
    assert_string_equal(rmq_command_get_ext(s, "MSG_REGION"), "DefaultRegion");
    assert_string_equal(rmq_command_get_ext(s, "TRACE_ON"), "true");
    RmqHostAddr host;
    gint64 phy = -1;
    assert_true(rmq_message_id_decode(rmq_command_get_ext(s, "msgId"), &host, &phy, NULL));
    assert_int_equal(host.port, br->port);
    /* auto-created topic registered one-way at once */
    assert_int_equal(wait_route("CoreTopicA", RMQ_RESPONSE_SUCCESS, 3000), RMQ_RESPONSE_SUCCESS);

    g_autoptr(RmqCommand) p = bk_pull(client, br->addr, "CG", "CoreTopicA", 0, 0, "*", 0);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    assert_string_equal(p->remark, "FOUND");
    assert_int_equal(bk_ext_int(p, "nextBeginOffset", -1), 1);
    assert_int_equal(bk_ext_int(p, "maxOffset", -1), 1);
    assert_int_equal(bk_ext_int(p, "minOffset", -1), 0);
    assert_int_equal(bk_ext_int(p, "suggestWhichBrokerId", -1), 0);
    g_autoptr(GArray) recs = bk_records(p->body);
    assert_int_equal(recs->len, 1);
    RmqMessageRecord *r = &g_array_index(recs, RmqMessageRecord, 0);
    g_autofree gchar *body = bk_record_body(r);
    assert_string_equal(body, "hello");
    assert_int_equal(r->physical_offset, phy);
    g_autofree gchar *tags = bk_record_prop(r, "TAGS");
    g_autofree gchar *keys = bk_record_prop(r, "KEYS");
    g_autofree gchar *cluster = bk_record_prop(r, "CLUSTER");
    g_autofree gchar *uniq = bk_record_prop(r, "UNIQ_KEY");
    g_autofree gchar *wait = bk_record_prop(r, "WAIT");
    assert_string_equal(tags, "TagA");
    assert_string_equal(keys, "k1 k2");
    assert_string_equal(cluster, "DefaultCluster");
    assert_string_equal(uniq, "ABCDEF");
    assert_null(wait); /* stripped as 4.9.1+ does */
}

static void
test_send_v1(void **state)
{
    (void) state;
    g_autoptr(GBytes) b = g_bytes_new_static("v1-body", 7);
    g_autoptr(RmqCommand) s = bk_invoke(
        client, br->addr, RMQ_REQUEST_SEND_MESSAGE, b, "producerGroup", "PG", "topic", "CoreV1",
        "defaultTopic", "TBW102", "defaultTopicQueueNums", "4", "queueId", "2", "sysFlag", "0",
        "bornTimestamp", "1700000000000", "flag", "7", "properties", "TAGS\001T1", NULL);
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(bk_ext_int(s, "queueId", -1), 2);
    g_autoptr(RmqCommand) p = bk_pull(client, br->addr, "CG", "CoreV1", 2, 0, NULL, 0);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) recs = bk_records(p->body);
    assert_int_equal(recs->len, 1);
    assert_int_equal(g_array_index(recs, RmqMessageRecord, 0).flag, 7);
    assert_int_equal(g_array_index(recs, RmqMessageRecord, 0).born_timestamp, 1700000000000);
}

static void
append_item(GByteArray *out, const gchar *body, const gchar *props)
{
    guint32 blen = (guint32) strlen(body);
    guint16 plen = (guint16) strlen(props);
    guint32 total = 4 + 4 + 4 + 4 + 4 + blen + 2 + plen;
    guint32 w[5] = { GUINT32_TO_BE(total), 0, 0, 0, GUINT32_TO_BE(blen) };
    g_byte_array_append(out, (const guint8 *) w, sizeof w);
    g_byte_array_append(out, (const guint8 *) body, blen);
    guint16 pl = GUINT16_TO_BE(plen);
    g_byte_array_append(out, (const guint8 *) &pl, 2);
    g_byte_array_append(out, (const guint8 *) props, plen);
}

static void
test_batch(void **state)
{
    (void) state;
    GByteArray *arr = g_byte_array_new();
    append_item(arr, "b0", "TAGS\001X\002UNIQ_KEY\001U0");
    append_item(arr, "b1", "TAGS\001Y\002UNIQ_KEY\001U1\002");
    append_item(arr, "b2", "UNIQ_KEY\001U2");
    g_autoptr(GBytes) body = g_byte_array_free_to_bytes(arr);
    g_autoptr(RmqCommand) s = bk_invoke(
        client, br->addr, RMQ_REQUEST_SEND_BATCH_MESSAGE, body, "a", "PG", "b", "CoreBatch", "c",
        "TBW102", "d", "4", "e", "1", "f", "0", "g", "1700000000000", "h", "0", "i",
        "WAIT\001true", "m", "true", NULL);
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(bk_ext_int(s, "queueOffset", -1), 0);
    g_auto(GStrv) ids = g_strsplit(rmq_command_get_ext(s, "msgId"), ",", -1);
    assert_int_equal(g_strv_length(ids), 3);
    g_autoptr(RmqCommand) p = bk_pull(client, br->addr, "CG", "CoreBatch", 1, 0, NULL, 0);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) recs = bk_records(p->body);
    assert_int_equal(recs->len, 3);
    for (guint i = 0; i < 3; i++) {
        RmqMessageRecord *r = &g_array_index(recs, RmqMessageRecord, i);
        assert_int_equal(r->queue_offset, i);
        g_autofree gchar *b = bk_record_body(r);
        g_autofree gchar *want = g_strdup_printf("b%u", i);
        assert_string_equal(b, want);
        g_autofree gchar *u = bk_record_prop(r, "UNIQ_KEY");
        g_autofree gchar *wu = g_strdup_printf("U%u", i);
        assert_string_equal(u, wu);
        g_autofree gchar *c = bk_record_prop(r, "CLUSTER");
        assert_string_equal(c, "DefaultCluster");
        RmqHostAddr h;
        gint64 off;
        assert_true(rmq_message_id_decode(ids[i], &h, &off, NULL));
        assert_int_equal(off, r->physical_offset);
    }
    /* each item's own tag went to the consume queue */
    g_autoptr(RmqCommand) py = bk_pull(client, br->addr, "CG", "CoreBatch", 1, 0, "Y", 0);
    assert_int_equal(py->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) ry = bk_records(py->body);
    assert_int_equal(ry->len, 1);
    g_autofree gchar *by = bk_record_body(&g_array_index(ry, RmqMessageRecord, 0));
    assert_string_equal(by, "b1");
}

static void
test_tag_filter(void **state)
{
    (void) state;
    const gchar *tags[] = { "TagA", "TagB", "TagA", "TagC", "TagB" };
    for (guint i = 0; i < G_N_ELEMENTS(tags); i++) {
        g_autofree gchar *body = g_strdup_printf("m%u", i);
        g_autoptr(RmqCommand) s = bk_send(client, br->addr, "CoreTags", 0, tags[i], NULL, body, NULL);
        assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    }
    g_autoptr(RmqCommand) p = bk_pull(client, br->addr, "CG", "CoreTags", 0, 0, "TagA || TagC", 0);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(bk_ext_int(p, "nextBeginOffset", -1), 5);
    g_autoptr(GArray) recs = bk_records(p->body);
    assert_int_equal(recs->len, 3);
    const gchar *want[] = { "m0", "m2", "m3" };
    for (guint i = 0; i < 3; i++) {
        g_autofree gchar *b = bk_record_body(&g_array_index(recs, RmqMessageRecord, i));
        assert_string_equal(b, want[i]);
    }
    /* nothing matches in the range: PULL_RETRY_IMMEDIATELY, offset advanced */
    g_autoptr(RmqCommand) none = bk_pull(client, br->addr, "CG", "CoreTags", 0, 3, "TagA", 0);
    assert_int_equal(none->code, RMQ_RESPONSE_PULL_RETRY_IMMEDIATELY);
    assert_int_equal(bk_ext_int(none, "nextBeginOffset", -1), 5);
    /* offsets out of range */
    g_autoptr(RmqCommand) bad = bk_pull(client, br->addr, "CG", "CoreTags", 0, 99, NULL, 0);
    assert_int_equal(bad->code, RMQ_RESPONSE_PULL_OFFSET_MOVED);
    /* Java's nextOffsetCorrection: the min offset while it is still 0 */
    assert_int_equal(bk_ext_int(bad, "nextBeginOffset", -1), 0);
    g_autoptr(RmqCommand) empty = bk_pull(client, br->addr, "CG", "CoreTags", 1, 0, NULL, 0);
    assert_int_equal(empty->code, RMQ_RESPONSE_PULL_NOT_FOUND);
    g_autoptr(RmqCommand) moved = bk_pull(client, br->addr, "CG", "CoreTags", 1, 3, NULL, 0);
    assert_int_equal(moved->code, RMQ_RESPONSE_PULL_OFFSET_MOVED);
    assert_int_equal(bk_ext_int(moved, "nextBeginOffset", -1), 0);
}

typedef struct {
    RmqCommand *resp;
    gint64 at_us;
} Async;

static void
on_async(RmqCommand *response, const GError *error, gpointer data)
{
    Async *a = data;
    (void) error;
    a->resp = response;
    a->at_us = g_get_monotonic_time();
}

static void
async_pull(Async *a, const gchar *addr, const gchar *topic, gint64 offset, const gchar *sub,
           gint64 suspend_ms)
{
    RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_PULL_MESSAGE);
    g_autofree gchar *o = g_strdup_printf("%" G_GINT64_FORMAT, offset);
    g_autofree gchar *s = g_strdup_printf("%" G_GINT64_FORMAT, suspend_ms);
    rmq_command_set_ext(req, "consumerGroup", "CG");
    rmq_command_set_ext(req, "topic", topic);
    rmq_command_set_ext(req, "queueId", "0");
    rmq_command_set_ext(req, "queueOffset", o);
    rmq_command_set_ext(req, "maxMsgNums", "32");
    rmq_command_set_ext(req, "sysFlag", "6");
    rmq_command_set_ext(req, "commitOffset", "0");
    rmq_command_set_ext(req, "suspendTimeoutMillis", s);
    rmq_command_set_ext(req, "subscription", sub);
    rmq_command_set_ext(req, "subVersion", "0");
    memset(a, 0, sizeof *a);
    rmq_client_invoke_async(client, addr, req, 30000, on_async, a);
}

static void
spin_until(Async *a, guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (a->resp == NULL && g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), TRUE);
}

static void
test_long_poll_wakes_on_arrival(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s0 = bk_send(client, br->addr, "CoreLP", 0, "TagA", NULL, "first", NULL);
    assert_int_equal(s0->code, RMQ_RESPONSE_SUCCESS);
    Async a;
    async_pull(&a, br->addr, "CoreLP", 1, "TagA", 10000);
    spin_until(&a, 300);
    assert_null(a.resp); /* parked */
    /* A message with another tag does not wake it at arrival; only Java's
     * periodic check may, and then the answer is "nothing matched". */
    g_autoptr(RmqCommand) other = bk_send(client, br->addr, "CoreLP", 0, "TagZ", NULL, "zz", NULL);
    spin_until(&a, 300);
    if (a.resp != NULL) {
        assert_int_equal(a.resp->code, RMQ_RESPONSE_PULL_RETRY_IMMEDIATELY);
        assert_int_equal(bk_ext_int(a.resp, "nextBeginOffset", -1), 2);
        rmq_command_free(a.resp);
        async_pull(&a, br->addr, "CoreLP", 2, "TagA", 10000);
        spin_until(&a, 100);
    }
    assert_null(a.resp);
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(RmqCommand) s1 = bk_send(client, br->addr, "CoreLP", 0, "TagA", NULL, "second", NULL);
    assert_int_equal(s1->code, RMQ_RESPONSE_SUCCESS);
    spin_until(&a, 5000);
    assert_non_null(a.resp);
    assert_true(a.at_us - t0 < 2000000);
    assert_int_equal(a.resp->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) recs = bk_records(a.resp->body);
    assert_int_equal(recs->len, 1);
    g_autofree gchar *b = bk_record_body(&g_array_index(recs, RmqMessageRecord, 0));
    assert_string_equal(b, "second");
    rmq_command_free(a.resp);
}

static void
test_long_poll_expires(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s0 = bk_send(client, br->addr, "CoreLP2", 0, NULL, NULL, "x", NULL);
    Async a;
    gint64 t0 = g_get_monotonic_time();
    async_pull(&a, br->addr, "CoreLP2", 1, "*", 400);
    spin_until(&a, 5000);
    assert_non_null(a.resp);
    assert_true(a.at_us - t0 >= 350000);
    assert_int_equal(a.resp->code, RMQ_RESPONSE_PULL_NOT_FOUND);
    assert_string_equal(a.resp->remark, "OFFSET_OVERFLOW_ONE");
    assert_int_equal(bk_ext_int(a.resp, "nextBeginOffset", -1), 1);
    rmq_command_free(a.resp);
}

static void
test_offsets_and_queries(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s0 = bk_send(client, br->addr, "CoreQ", 0, "T", "order-1", "q0", NULL);
    g_usleep(20000);
    g_autoptr(RmqCommand) s1 = bk_send(client, br->addr, "CoreQ", 0, "T", "order-2", "q1", NULL);
    /* a fresh group on a fresh queue starts at 0 (docs/protocol.md §10.5) */
    g_autoptr(RmqCommand) q0 = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_CONSUMER_OFFSET, NULL,
                                         "consumerGroup", "CGQ", "topic", "CoreQ", "queueId", "0",
                                         NULL);
    assert_int_equal(q0->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(bk_ext_int(q0, "offset", -1), 0);
    g_autoptr(RmqCommand) u = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET, NULL,
                                        "consumerGroup", "CGQ", "topic", "CoreQ", "queueId", "0",
                                        "commitOffset", "1", NULL);
    assert_int_equal(u->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) q1 = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_CONSUMER_OFFSET, NULL,
                                         "consumerGroup", "CGQ", "topic", "CoreQ", "queueId", "0",
                                         NULL);
    assert_int_equal(bk_ext_int(q1, "offset", -1), 1);

    g_autoptr(RmqCommand) mx = bk_invoke(client, br->addr, RMQ_REQUEST_GET_MAX_OFFSET, NULL,
                                         "topic", "CoreQ", "queueId", "0", NULL);
    assert_int_equal(bk_ext_int(mx, "offset", -1), 2);
    g_autoptr(RmqCommand) mn = bk_invoke(client, br->addr, RMQ_REQUEST_GET_MIN_OFFSET, NULL,
                                         "topic", "CoreQ", "queueId", "0", NULL);
    assert_int_equal(bk_ext_int(mn, "offset", -1), 0);
    g_autoptr(RmqCommand) none = bk_invoke(client, br->addr, RMQ_REQUEST_GET_MAX_OFFSET, NULL,
                                           "topic", "NoSuchTopic", "queueId", "0", NULL);
    assert_int_equal(bk_ext_int(none, "offset", -1), 0);
    g_autoptr(RmqCommand) et = bk_invoke(client, br->addr, RMQ_REQUEST_GET_EARLIEST_MSG_STORETIME,
                                         NULL, "topic", "CoreQ", "queueId", "0", NULL);
    gint64 t_first = bk_ext_int(et, "timestamp", -1);
    assert_true(t_first > 1600000000000);

    /* the second message's store time finds offset 1 */
    g_autoptr(RmqCommand) p = bk_pull(client, br->addr, "CG", "CoreQ", 0, 0, NULL, 0);
    g_autoptr(GArray) recs = bk_records(p->body);
    assert_int_equal(recs->len, 2);
    gint64 t2 = g_array_index(recs, RmqMessageRecord, 1).store_timestamp;
    g_autofree gchar *ts = g_strdup_printf("%" G_GINT64_FORMAT, t2);
    g_autoptr(RmqCommand) so = bk_invoke(client, br->addr, RMQ_REQUEST_SEARCH_OFFSET_BY_TIMESTAMP,
                                         NULL, "topic", "CoreQ", "queueId", "0", "timestamp", ts,
                                         NULL);
    assert_int_equal(bk_ext_int(so, "offset", -1), 1);

    /* by key */
    g_autoptr(RmqCommand) qm = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_MESSAGE, NULL, "topic",
                                         "CoreQ", "key", "order-2", "maxNum", "32",
                                         "beginTimestamp", "0", "endTimestamp",
                                         "9999999999999", NULL);
    assert_int_equal(qm->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) found = bk_records(qm->body);
    assert_int_equal(found->len, 1);
    g_autofree gchar *fb = bk_record_body(&g_array_index(found, RmqMessageRecord, 0));
    assert_string_equal(fb, "q1");
    g_autoptr(RmqCommand) qn = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_MESSAGE, NULL, "topic",
                                         "CoreQ", "key", "missing", "maxNum", "32",
                                         "beginTimestamp", "0", "endTimestamp",
                                         "9999999999999", NULL);
    assert_int_equal(qn->code, RMQ_RESPONSE_QUERY_NOT_FOUND);

    /* by id */
    RmqHostAddr h;
    gint64 off;
    assert_true(rmq_message_id_decode(rmq_command_get_ext(s0, "msgId"), &h, &off, NULL));
    g_autofree gchar *os = g_strdup_printf("%" G_GINT64_FORMAT, off);
    g_autoptr(RmqCommand) v = bk_invoke(client, br->addr, RMQ_REQUEST_VIEW_MESSAGE_BY_ID, NULL,
                                        "offset", os, NULL);
    assert_int_equal(v->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) one = bk_records(v->body);
    g_autofree gchar *vb = bk_record_body(&g_array_index(one, RmqMessageRecord, 0));
    assert_string_equal(vb, "q0");
    g_autoptr(RmqCommand) vbad = bk_invoke(client, br->addr, RMQ_REQUEST_VIEW_MESSAGE_BY_ID, NULL,
                                           "offset", "99999999", NULL);
    assert_int_equal(vbad->code, RMQ_RESPONSE_SYSTEM_ERROR);
}

static guint notifies;

static void
on_notify(RmqConnection *conn, RmqCommand *req, gpointer data)
{
    (void) conn;
    (void) data;
    if (req->code == RMQ_REQUEST_NOTIFY_CONSUMER_IDS_CHANGED &&
        g_strcmp0(rmq_command_get_ext(req, "consumerGroup"), "CGH") == 0)
        notifies++;
    rmq_command_free(req);
}

static RmqCommand *
heartbeat(RmqClient *c, const gchar *client_id)
{
    g_autofree gchar *json = g_strdup_printf(
        "{\"clientID\":\"%s\",\"consumerDataSet\":[{\"consumeFromWhere\":"
        "\"CONSUME_FROM_LAST_OFFSET\",\"consumeType\":\"CONSUME_PASSIVELY\",\"groupName\":\"CGH\","
        "\"messageModel\":\"CLUSTERING\",\"subscriptionDataSet\":[{\"classFilterMode\":false,"
        "\"codeSet\":[],\"expressionType\":\"TAG\",\"subString\":\"*\",\"subVersion\":5,"
        "\"tagsSet\":[],\"topic\":\"CoreH\"}],\"unitMode\":false}],\"producerDataSet\":[{"
        "\"groupName\":\"PGH\"}]}",
        client_id);
    g_autoptr(GBytes) b = g_bytes_new(json, strlen(json));
    return bk_invoke(c, br->addr, RMQ_REQUEST_HEART_BEAT, b, NULL);
}

static void
spin_ms(guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), TRUE);
}

static void
spin_until_notifies(guint n, guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (notifies < n && g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), TRUE);
}

/* GET_CONSUMER_LIST_BY_GROUP until its code is @code (at most @ms). */
static gint32
wait_list_code(const gchar *group, gint32 code, guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    for (;;) {
        g_autoptr(RmqCommand) l = bk_invoke(client, br->addr, RMQ_REQUEST_GET_CONSUMER_LIST_BY_GROUP,
                                            NULL, "consumerGroup", group, NULL);
        gint32 got = l != NULL ? l->code : -1;
        if (got == code || g_get_monotonic_time() > end)
            return got;
        spin_ms(50);
    }
}

static void
test_heartbeat_consumer_list_notify(void **state)
{
    (void) state;
    g_autoptr(RmqClient) a = rmq_client_new(NULL);
    rmq_client_set_request_handler(a, on_notify, NULL);
    notifies = 0;
    g_autoptr(RmqCommand) h1 = heartbeat(a, "10.0.0.1@a");
    assert_int_equal(h1->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(h1->version, 407);
    g_autoptr(RmqCommand) l1 = bk_invoke(client, br->addr, RMQ_REQUEST_GET_CONSUMER_LIST_BY_GROUP,
                                         NULL, "consumerGroup", "CGH", NULL);
    assert_int_equal(l1->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *t1 = g_strndup(g_bytes_get_data(l1->body, NULL), g_bytes_get_size(l1->body));
    assert_string_equal(t1, "{\"consumerIdList\":[\"10.0.0.1@a\"]}");

    g_autoptr(RmqClient) bc = rmq_client_new(NULL);
    g_autoptr(RmqCommand) h2 = heartbeat(bc, "10.0.0.2@b");
    spin_until_notifies(1, 3000);
    assert_true(notifies >= 1);
    g_autoptr(RmqCommand) l2 = bk_invoke(client, br->addr, RMQ_REQUEST_GET_CONSUMER_LIST_BY_GROUP,
                                         NULL, "consumerGroup", "CGH", NULL);
    g_autofree gchar *t2 = g_strndup(g_bytes_get_data(l2->body, NULL), g_bytes_get_size(l2->body));
    assert_string_equal(t2, "{\"consumerIdList\":[\"10.0.0.1@a\",\"10.0.0.2@b\"]}");
    /* the retry topic of the group exists now */
    g_autoptr(RmqCommand) all = bk_invoke(client, br->addr, RMQ_REQUEST_GET_ALL_TOPIC_CONFIG, NULL,
                                          NULL);
    g_autofree gchar *topics =
        g_strndup(g_bytes_get_data(all->body, NULL), g_bytes_get_size(all->body));
    assert_non_null(strstr(topics, "\"%RETRY%CGH\""));
    /* a pull without SUBSCRIPTION uses the heartbeat subscription */
    g_autoptr(RmqCommand) s = bk_send(client, br->addr, "CoreH", 0, NULL, NULL, "h", NULL);
    g_autoptr(RmqCommand) p = bk_invoke(client, br->addr, RMQ_REQUEST_PULL_MESSAGE, NULL,
                                        "consumerGroup", "CGH", "topic", "CoreH", "queueId", "0",
                                        "queueOffset", "0", "maxMsgNums", "32", "sysFlag", "0",
                                        "commitOffset", "0", "suspendTimeoutMillis", "0",
                                        "subVersion", "5", NULL);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) pl = bk_invoke(client, br->addr, RMQ_REQUEST_PULL_MESSAGE, NULL,
                                         "consumerGroup", "CGH", "topic", "CoreH", "queueId", "0",
                                         "queueOffset", "0", "maxMsgNums", "32", "sysFlag", "0",
                                         "commitOffset", "0", "suspendTimeoutMillis", "0",
                                         "subVersion", "6", NULL);
    assert_int_equal(pl->code, RMQ_RESPONSE_SUBSCRIPTION_NOT_LATEST);
    g_autoptr(RmqCommand) pn = bk_invoke(client, br->addr, RMQ_REQUEST_PULL_MESSAGE, NULL,
                                         "consumerGroup", "CGnobody", "topic", "CoreH", "queueId",
                                         "0", "queueOffset", "0", "maxMsgNums", "32", "sysFlag",
                                         "0", "commitOffset", "0", "suspendTimeoutMillis", "0",
                                         "subVersion", "0", NULL);
    assert_int_equal(pn->code, RMQ_RESPONSE_SUBSCRIPTION_NOT_EXIST);

    /* b leaves: a is told, the list shrinks */
    guint before = notifies;
    g_autoptr(RmqCommand) un = bk_invoke(bc, br->addr, RMQ_REQUEST_UNREGISTER_CLIENT, NULL,
                                         "clientID", "10.0.0.2@b", "consumerGroup", "CGH", NULL);
    assert_int_equal(un->code, RMQ_RESPONSE_SUCCESS);
    spin_until_notifies(before + 1, 3000);
    assert_true(notifies > before);
    g_autoptr(RmqCommand) l3 = bk_invoke(client, br->addr, RMQ_REQUEST_GET_CONSUMER_LIST_BY_GROUP,
                                         NULL, "consumerGroup", "CGH", NULL);
    g_autofree gchar *t3 = g_strndup(g_bytes_get_data(l3->body, NULL), g_bytes_get_size(l3->body));
    assert_string_equal(t3, "{\"consumerIdList\":[\"10.0.0.1@a\"]}");
    /* a's connection closes: the group is gone */
    rmq_client_close_connection(a, br->addr);
    assert_int_equal(wait_list_code("CGH", RMQ_RESPONSE_SYSTEM_ERROR, 3000), RMQ_RESPONSE_SYSTEM_ERROR);
}

static void
test_silent_channel_dropped(void **state)
{
    (void) state;
    g_autoptr(RmqClient) quiet = rmq_client_new(NULL);
    g_autoptr(RmqCommand) h = heartbeat(quiet, "10.0.0.9@quiet");
    assert_int_equal(h->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) l1 = bk_invoke(client, br->addr, RMQ_REQUEST_GET_CONSUMER_LIST_BY_GROUP,
                                         NULL, "consumerGroup", "CGH", NULL);
    assert_int_equal(l1->code, RMQ_RESPONSE_SUCCESS);
    /* no heartbeat for longer than the (shortened) expiry: dropped and closed */
    gint64 t0 = g_get_monotonic_time();
    assert_int_equal(wait_list_code("CGH", RMQ_RESPONSE_SYSTEM_ERROR, 10000), RMQ_RESPONSE_SYSTEM_ERROR);
    assert_true(g_get_monotonic_time() - t0 >= 2000000);
    spin_ms(100);
    assert_null(rmq_client_get_connection(quiet, br->addr));
}

static void
test_check_client_config(void **state)
{
    (void) state;
    const gchar *tag = "{\"clientId\":\"c\",\"group\":\"G\",\"subscriptionData\":{\"topic\":\"T\","
                       "\"subString\":\"*\",\"expressionType\":\"TAG\"}}";
    const gchar *sql = "{\"clientId\":\"c\",\"group\":\"G\",\"subscriptionData\":{\"topic\":\"T\","
                       "\"subString\":\"a > 1\",\"expressionType\":\"SQL92\"}}";
    g_autoptr(GBytes) bt = g_bytes_new_static(tag, strlen(tag));
    g_autoptr(GBytes) bs = g_bytes_new_static(sql, strlen(sql));
    g_autoptr(RmqCommand) rt = bk_invoke(client, br->addr, RMQ_REQUEST_CHECK_CLIENT_CONFIG, bt, NULL);
    assert_int_equal(rt->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) rs = bk_invoke(client, br->addr, RMQ_REQUEST_CHECK_CLIENT_CONFIG, bs, NULL);
    assert_int_equal(rs->code, RMQ_RESPONSE_SYSTEM_ERROR);
}

static void
test_lock_unlock(void **state)
{
    (void) state;
#define LOCK_FMT "{\"consumerGroup\":\"CGL\",\"clientId\":\"%s\",\"mqSet\":[{\"brokerName\":" \
                 "\"broker-a\",\"queueId\":0,\"topic\":\"T\"},{\"brokerName\":\"broker-a\"," \
                 "\"queueId\":1,\"topic\":\"T\"}]}"
    g_autofree gchar *ja = g_strdup_printf(LOCK_FMT, "A");
    g_autofree gchar *jb = g_strdup_printf(LOCK_FMT, "B");
    g_autoptr(GBytes) ba = g_bytes_new(ja, strlen(ja));
    g_autoptr(GBytes) bb = g_bytes_new(jb, strlen(jb));
    g_autoptr(RmqCommand) la = bk_invoke(client, br->addr, RMQ_REQUEST_LOCK_BATCH_MQ, ba, NULL);
    g_autoptr(JsonNode) na = bk_body_json(la);
    JsonArray *oka = json_object_get_array_member(json_node_get_object(na), "lockOKMQSet");
    assert_int_equal(json_array_get_length(oka), 2);
    g_autoptr(RmqCommand) lb = bk_invoke(client, br->addr, RMQ_REQUEST_LOCK_BATCH_MQ, bb, NULL);
    g_autoptr(JsonNode) nb = bk_body_json(lb);
    JsonArray *okb = json_object_get_array_member(json_node_get_object(nb), "lockOKMQSet");
    assert_int_equal(json_array_get_length(okb), 0);
    g_autoptr(RmqCommand) ua = bk_invoke(client, br->addr, RMQ_REQUEST_UNLOCK_BATCH_MQ, ba, NULL);
    assert_int_equal(ua->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) lb2 = bk_invoke(client, br->addr, RMQ_REQUEST_LOCK_BATCH_MQ, bb, NULL);
    g_autoptr(JsonNode) nb2 = bk_body_json(lb2);
    JsonArray *okb2 = json_object_get_array_member(json_node_get_object(nb2), "lockOKMQSet");
    assert_int_equal(json_array_get_length(okb2), 2);
}

static RmqCommand *
send_raw(const gchar *addr, const gchar *body, ...) G_GNUC_NULL_TERMINATED;
static RmqCommand *
send_raw(const gchar *addr, const gchar *body, ...)
{
    RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_SEND_MESSAGE_V2);
    va_list ap;
    va_start(ap, body);
    for (const gchar *k = va_arg(ap, const gchar *); k != NULL; k = va_arg(ap, const gchar *))
        rmq_command_set_ext(req, k, va_arg(ap, const gchar *));
    va_end(ap);
    rmq_command_set_body_data(req, body, strlen(body));
    return rmq_client_invoke_sync(client, addr, req, 5000, NULL);
}

static void
test_bad_input(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) ok = bk_send(client, br->addr, "CoreBad", 0, NULL, NULL, "keep", NULL);
    assert_int_equal(ok->code, RMQ_RESPONSE_SUCCESS);

    /* unknown topic that cannot be auto-created */
    g_autoptr(RmqCommand) nt = send_raw(br->addr, "x", "a", "PG", "b", "NoAuto", "c", "NoDefault",
                                        "d", "4", "e", "0", "f", "0", "g", "1", "h", "0", NULL);
    assert_int_equal(nt->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    assert_non_null(strstr(nt->remark, "NoAuto"));
    /* body over maxMessageSize (1024 in this test) */
    g_autofree gchar *big = g_strnfill(2000, 'x');
    g_autoptr(RmqCommand) bb = bk_send(client, br->addr, "CoreBad", 0, NULL, NULL, big, NULL);
    assert_int_equal(bb->code, RMQ_RESPONSE_MESSAGE_ILLEGAL);
    assert_non_null(strstr(bb->remark, "body size"));
    /* illegal topic name */
    g_autoptr(RmqCommand) it = bk_send(client, br->addr, "bad topic!", 0, NULL, NULL, "x", NULL);
    assert_int_equal(it->code, RMQ_RESPONSE_MESSAGE_ILLEGAL);
    assert_non_null(strstr(it->remark, "topic"));
    /* missing header field */
    g_autoptr(RmqCommand) mf = send_raw(br->addr, "x", "a", "PG", "c", "TBW102", "d", "4", "e",
                                        "0", "f", "0", "g", "1", "h", "0", NULL);
    assert_int_equal(mf->code, RMQ_RESPONSE_MESSAGE_ILLEGAL);
    assert_non_null(strstr(mf->remark, "topic"));
    /* topic without write permission */
    g_autoptr(RmqCommand) ct = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_AND_CREATE_TOPIC, NULL,
                                         "topic", "CoreReadOnly", "defaultTopic", "TBW102",
                                         "readQueueNums", "2", "writeQueueNums", "2", "perm", "4",
                                         "topicFilterType", "SINGLE_TAG", "order", "false", NULL);
    assert_int_equal(ct->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) np = bk_send(client, br->addr, "CoreReadOnly", 0, NULL, NULL, "x", NULL);
    assert_int_equal(np->code, RMQ_RESPONSE_NO_PERMISSION);
    /* system topic */
    g_autoptr(RmqCommand) st =
        bk_send(client, br->addr, "SCHEDULE_TOPIC_XXXX", 0, NULL, NULL, "x", NULL);
    assert_int_equal(st->code, RMQ_RESPONSE_NO_PERMISSION);
    /* queue id out of range */
    g_autoptr(RmqCommand) qr = bk_send(client, br->addr, "CoreBad", 99, NULL, NULL, "x", NULL);
    assert_int_equal(qr->code, RMQ_RESPONSE_SYSTEM_ERROR);
    /* pull of an unknown topic */
    g_autoptr(RmqCommand) pu = bk_pull(client, br->addr, "CG", "NoSuchTopicX", 0, 0, NULL, 0);
    assert_int_equal(pu->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    /* nothing already stored was touched */
    g_autoptr(RmqCommand) p = bk_pull(client, br->addr, "CG", "CoreBad", 0, 0, NULL, 0);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) recs = bk_records(p->body);
    assert_int_equal(recs->len, 1);
    g_autofree gchar *b = bk_record_body(&g_array_index(recs, RmqMessageRecord, 0));
    assert_string_equal(b, "keep");
}

/* Values Java 4.9 takes without complaint: refused with a clear remark, and
 * nothing stored or handed out for them. */
static void
test_bad_offsets_and_pull_sizes(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) ok = bk_send(client, br->addr, "CoreVal", 0, NULL, NULL, "v", NULL);
    assert_int_equal(ok->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) big = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET,
                                          NULL, "consumerGroup", "CGV", "topic", "CoreVal",
                                          "queueId", "1000000000", "commitOffset", "1", NULL);
    assert_int_equal(big->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_non_null(strstr(big->remark, "queueId[1000000000] is illegal"));
    g_autoptr(RmqCommand) neg = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET,
                                          NULL, "consumerGroup", "CGV", "topic", "CoreVal",
                                          "queueId", "0", "commitOffset", "-5", NULL);
    assert_int_equal(neg->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_non_null(strstr(neg->remark, "commitOffset[-5] is illegal"));
    /* -1 is what ali-ons commits for a queue it consumed nothing of: kept */
    g_autoptr(RmqCommand) none = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET,
                                           NULL, "consumerGroup", "CGV", "topic", "CoreVal",
                                           "queueId", "0", "commitOffset", "-1", NULL);
    assert_int_equal(none->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) nt = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET,
                                         NULL, "consumerGroup", "CGV", "topic", "CoreValNone",
                                         "queueId", "0", "commitOffset", "1", NULL);
    assert_int_equal(nt->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    assert_string_equal(nt->remark, "Topic CoreValNone not exist!");
    /* a 2 MiB topic name is not echoed back whole */
    g_autofree gchar *huge = g_strnfill(2 * 1024 * 1024, 'h');
    g_autoptr(RmqCommand) ht = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET,
                                         NULL, "consumerGroup", "CGV", "topic", huge, "queueId",
                                         "0", "commitOffset", "1", NULL);
    assert_int_equal(ht->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    assert_true(strlen(ht->remark) < 256);
    g_autoptr(RmqCommand) hp = bk_pull(client, br->addr, "CG", huge, 0, 0, NULL, 0);
    assert_int_equal(hp->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    assert_true(strlen(hp->remark) < 1200);
    assert_non_null(strstr(hp->remark, "(2097"));
    /* none of them was stored: the group still has no offset there */
    g_autoptr(RmqCommand) q = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_CONSUMER_OFFSET, NULL,
                                        "consumerGroup", "CGV", "topic", "CoreVal", "queueId", "0",
                                        NULL);
    assert_int_equal(bk_ext_int(q, "offset", -1), 0);

    const gchar *const sizes[] = { "0", "-1" };
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        g_autoptr(RmqCommand) p = bk_invoke(
            client, br->addr, RMQ_REQUEST_PULL_MESSAGE, NULL, "consumerGroup", "CGV", "topic",
            "CoreVal", "queueId", "0", "queueOffset", "0", "maxMsgNums", sizes[i], "sysFlag", "4",
            "commitOffset", "0", "suspendTimeoutMillis", "0", "subscription", "*",
            "subVersion", "0", NULL);
        assert_int_equal(p->code, RMQ_RESPONSE_SYSTEM_ERROR);
        assert_non_null(strstr(p->remark, "maxMsgNums"));
        assert_null(p->body);
    }
    g_autoptr(RmqCommand) one = bk_invoke(
        client, br->addr, RMQ_REQUEST_PULL_MESSAGE, NULL, "consumerGroup", "CGV", "topic",
        "CoreVal", "queueId", "0", "queueOffset", "0", "maxMsgNums", "1", "sysFlag", "4",
        "commitOffset", "0", "suspendTimeoutMillis", "0", "subscription", "*", "subVersion", "0",
        NULL);
    assert_int_equal(one->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) recs = bk_records(one->body);
    assert_int_equal(recs->len, 1);
}

static void
test_malformed_frame(void **state)
{
    (void) state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(br->port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof sa), 0);
    /* header length larger than the frame */
    guint8 junk[] = { 0, 0, 0, 12, 0, 0, 0x7f, 0xff, '{', '}', 'x', 'y', 'z', 'w' };
    assert_int_equal(write(fd, junk, sizeof junk), (ssize_t) sizeof junk);
    guint8 buf[64];
    struct timeval tv = { 3, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = read(fd, buf, sizeof buf);
    assert_true(n <= 0); /* closed, nothing answered */
    close(fd);
    g_autoptr(RmqCommand) ok = bk_send(client, br->addr, "CoreAfterJunk", 0, NULL, NULL, "y", NULL);
    assert_int_equal(ok->code, RMQ_RESPONSE_SUCCESS);
}

static void
test_vip_port(void **state)
{
    (void) state;
    g_autofree gchar *vip = g_strdup_printf("127.0.0.1:%u", br->port - 2);
    g_autoptr(RmqCommand) s = bk_send(client, vip, "CoreVip", 0, NULL, NULL, "v", NULL);
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p = bk_pull(client, vip, "CG", "CoreVip", 0, 0, NULL, 0);
    assert_int_equal(p->code, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED);
    g_autoptr(RmqCommand) u = bk_invoke(client, br->addr, 9999, NULL, NULL);
    assert_int_equal(u->code, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED);
}

static void
test_restart_keeps_offsets(void **state)
{
    (void) state;
    for (guint i = 0; i < 5; i++) {
        g_autoptr(RmqCommand) s = bk_send(client, br->addr, "CoreRestart", 0, NULL, NULL, "r", NULL);
        assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    }
    /* offset committed through a pull's COMMIT_OFFSET flag */
    g_autoptr(RmqCommand) p = bk_invoke(client, br->addr, RMQ_REQUEST_PULL_MESSAGE, NULL,
                                        "consumerGroup", "CGR", "topic", "CoreRestart", "queueId",
                                        "0", "queueOffset", "3", "maxMsgNums", "32", "sysFlag", "5",
                                        "commitOffset", "3", "suspendTimeoutMillis", "0",
                                        "subscription", "*", "subVersion", "0", NULL);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    rmq_client_close_connection(client, br->addr);
    assert_int_equal(bk_daemon_signal_and_wait(br, SIGTERM, 10000), 0);
    g_autofree gchar *path = g_build_filename(br->dir, "store", "config", "consumerOffset.json", NULL);
    g_autofree gchar *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    assert_non_null(strstr(text, "CoreRestart@CGR"));
    /* unregistered from the name server at stop */
    assert_int_equal(route_code("CoreRestart"), RMQ_RESPONSE_TOPIC_NOT_EXIST);

    g_autoptr(GError) err = NULL;
    assert_true(bk_daemon_start(br, 10000, &err));
    g_autoptr(RmqCommand) q = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_CONSUMER_OFFSET, NULL,
                                        "consumerGroup", "CGR", "topic", "CoreRestart", "queueId",
                                        "0", NULL);
    assert_int_equal(q->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(bk_ext_int(q, "offset", -1), 3);
    g_autoptr(RmqCommand) p2 = bk_pull(client, br->addr, "CGR", "CoreRestart", 0, 3, NULL, 0);
    assert_int_equal(p2->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) recs = bk_records(p2->body);
    assert_int_equal(recs->len, 2);
    assert_int_equal(wait_route("CoreRestart", RMQ_RESPONSE_SUCCESS, 3000), RMQ_RESPONSE_SUCCESS);
}

static void
test_status_line(void **state)
{
    (void) state;
    g_autofree gchar *st = bk_daemon_wait_notify(br, "STATUS=", 8000);
    assert_non_null(st);
    assert_non_null(strstr(st, "topics"));
    assert_non_null(strstr(st, "connections"));
    assert_non_null(strstr(st, "put"));
}

static void
test_sigterm_answers_parked_pull(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s = bk_send(client, br->addr, "CoreTerm", 0, NULL, NULL, "t", NULL);
    Async a;
    async_pull(&a, br->addr, "CoreTerm", 1, "*", 15000);
    spin_until(&a, 300);
    assert_null(a.resp);
    gint64 t0 = g_get_monotonic_time();
    g_subprocess_send_signal(br->proc, SIGTERM);
    spin_until(&a, 5000);
    assert_non_null(a.resp);
    assert_true(g_get_monotonic_time() - t0 < 3000000);
    assert_int_equal(a.resp->code, RMQ_RESPONSE_PULL_NOT_FOUND);
    rmq_command_free(a.resp);
    assert_int_equal(bk_daemon_signal_and_wait(br, 0, 10000), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_and_route),
        cmocka_unit_test(test_send_v2_autocreate_and_pull),
        cmocka_unit_test(test_send_v1),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_tag_filter),
        cmocka_unit_test(test_long_poll_wakes_on_arrival),
        cmocka_unit_test(test_long_poll_expires),
        cmocka_unit_test(test_offsets_and_queries),
        cmocka_unit_test(test_heartbeat_consumer_list_notify),
        cmocka_unit_test(test_silent_channel_dropped),
        cmocka_unit_test(test_lock_unlock),
        cmocka_unit_test(test_check_client_config),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_bad_offsets_and_pull_sizes),
        cmocka_unit_test(test_malformed_frame),
        cmocka_unit_test(test_vip_port),
        cmocka_unit_test(test_status_line),
        cmocka_unit_test(test_restart_keeps_offsets),
        cmocka_unit_test(test_sigterm_answers_parked_pull),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
