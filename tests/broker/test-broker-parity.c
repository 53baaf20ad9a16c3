/* rmq-broker integration: the admin codes of the 4.9.7 broker added for
 * parity (docs/protocol.md, "Request codes"): GET_ALL_PRODUCER_INFO (328),
 * QUERY_CONSUME_QUEUE (321), CLEAN_EXPIRED_CONSUMEQUEUE (306),
 * DELETE_EXPIRED_COMMITLOG (329), CLEAN_UNUSED_TOPIC (316),
 * QUERY_CONSUME_TIME_SPAN (303), QUERY_CORRECTION_OFFSET (308),
 * RESUME_CHECK_HALF_MESSAGE (323) and INVOKE_BROKER_TO_GET_CONSUMER_STATUS
 * (223). */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "harness.h"
#include "remoting/codes.h"

static BkDaemon *ns, *br;
static RmqClient *client;

static int
setup(void **state)
{
    (void) state;
    ns = bk_namesrv_new();
    if (!bk_daemon_start_or_say(ns, 10000))
        return -1;
    /* files expire at once, but only when asked: deleteWhen is an hour that
     * is not now */
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree gchar *extra = g_strdup_printf("fileReservedTime = 0;\ndeleteWhen = \"%02d\";\n",
                                              (g_date_time_get_hour(now) + 12) % 24);
    br = bk_broker_new(ns->addr, extra);
    /* statistics windows sampled every second instead of 10 s */
    br->env = g_strdupv((gchar *[]){ "RMQ_TEST_STATS_SAMPLE_MS", "1000", NULL });
    /* a topic with a consume queue on disk but no topic config */
    g_autofree gchar *ghost = g_build_filename(br->dir, "store", "consumequeue", "GhostT", "0", NULL);
    g_assert(g_mkdir_with_parents(ghost, 0755) == 0);
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

static RmqCommand *
query_cq(const gchar *topic, const gchar *qid, const gchar *index, const gchar *count,
         const gchar *group)
{
    return bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_CONSUME_QUEUE, NULL, "topic", topic,
                     "queueId", qid, "index", index, "count", count,
                     group != NULL ? "consumerGroup" : NULL, group, NULL);
}

static gint64
runtime_value(const gchar *key)
{
    g_autoptr(RmqCommand) r = bk_invoke(client, br->addr, RMQ_REQUEST_GET_BROKER_RUNTIME_INFO, NULL, NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(JsonNode) n = bk_body_json(r);
    JsonObject *t = json_object_get_object_member(json_node_get_object(n), "table");
    return g_ascii_strtoll(json_object_get_string_member(t, key), NULL, 10);
}

static void
test_producer_info(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) empty = bk_invoke(client, br->addr, RMQ_REQUEST_GET_ALL_PRODUCER_INFO, NULL, NULL);
    assert_int_equal(empty->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *et = bk_body_text(empty);
    assert_null(strstr(et, "ParPG"));

    const gchar *hb = "{\"clientID\":\"10.0.0.9@par\",\"consumerDataSet\":[],"
                      "\"producerDataSet\":[{\"groupName\":\"ParPG\"}]}";
    g_autoptr(GBytes) hbb = g_bytes_new_static(hb, strlen(hb));
    g_autoptr(RmqCommand) h = bk_invoke(client, br->addr, RMQ_REQUEST_HEART_BEAT, hbb, NULL);
    assert_int_equal(h->code, RMQ_RESPONSE_SUCCESS);
    gint64 before = g_get_real_time() / 1000;

    g_autoptr(RmqCommand) r = bk_invoke(client, br->addr, RMQ_REQUEST_GET_ALL_PRODUCER_INFO, NULL, NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    assert_null(r->remark);
    g_autoptr(JsonNode) n = bk_body_json(r);
    JsonObject *data = json_object_get_object_member(json_node_get_object(n), "data");
    assert_non_null(data);
    JsonArray *list = json_object_get_array_member(data, "ParPG");
    assert_non_null(list);
    assert_int_equal(json_array_get_length(list), 1);
    JsonObject *p = json_array_get_object_element(list, 0);
    assert_string_equal(json_object_get_string_member(p, "clientId"), "10.0.0.9@par");
    assert_true(g_str_has_prefix(json_object_get_string_member(p, "remoteIP"), "/127.0.0.1:"));
    assert_string_equal(json_object_get_string_member(p, "language"), "JAVA");
    gint64 last = json_object_get_int_member(p, "lastUpdateTimestamp");
    assert_true(last > before - 60000 && last <= before + 1000);
    assert_true(json_object_has_member(p, "version"));
}

static void
test_query_consume_queue(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s0 = bk_send(client, br->addr, "ParCq", 0, "TagA", NULL, "cq-0", NULL);
    g_autoptr(RmqCommand) s1 = bk_send(client, br->addr, "ParCq", 0, "TagB", NULL, "cq-1", NULL);
    assert_int_equal(s1->code, RMQ_RESPONSE_SUCCESS);
    RmqHostAddr h;
    gint64 phy1;
    assert_true(rmq_message_id_decode(rmq_command_get_ext(s1, "msgId"), &h, &phy1, NULL));

    g_autoptr(RmqCommand) r = query_cq("ParCq", "0", "1", "10", NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(JsonNode) n = bk_body_json(r);
    JsonObject *o = json_node_get_object(n);
    assert_int_equal(json_object_get_int_member(o, "maxQueueIndex"), 2);
    assert_int_equal(json_object_get_int_member(o, "minQueueIndex"), 0);
    assert_false(json_object_has_member(o, "subscriptionData"));
    JsonArray *units = json_object_get_array_member(o, "queueData");
    assert_int_equal(json_array_get_length(units), 1);
    JsonObject *u = json_array_get_object_element(units, 0);
    assert_int_equal(json_object_get_int_member(u, "physicOffset"), phy1);
    assert_true(json_object_get_int_member(u, "physicSize") > 0);
    /* TAGS hash: Java's String.hashCode of "TagB" */
    assert_int_equal(json_object_get_int_member(u, "tagsCode"), 2598920);
    assert_false(json_object_get_boolean_member(u, "eval"));

    /* count bounds the units */
    g_autoptr(RmqCommand) one = query_cq("ParCq", "0", "0", "1", NULL);
    g_autoptr(JsonNode) n1 = bk_body_json(one);
    assert_int_equal(json_array_get_length(json_object_get_array_member(json_node_get_object(n1), "queueData")), 1);

    /* a group that is not online */
    g_autoptr(RmqCommand) g = query_cq("ParCq", "0", "0", "10", "NoSuchG");
    g_autofree gchar *gt = bk_body_text(g);
    assert_non_null(strstr(gt, "\"filterData\":\"NoSuchG@ParCq is not online!\""));

    /* past the end: SUCCESS, Java's remark, no body */
    g_autoptr(RmqCommand) past = query_cq("ParCq", "0", "5", "10", NULL);
    assert_int_equal(past->code, RMQ_RESPONSE_SUCCESS);
    assert_string_equal(past->remark, "Index 5 of 0@ParCq is not exist!");
    assert_null(past->body);
    /* no such queue */
    g_autoptr(RmqCommand) none = query_cq("ParCq", "7", "0", "10", NULL);
    assert_int_equal(none->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(none->remark, "7@ParCq is not exist!");
}

static void
test_consume_time_span(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s0 = bk_send(client, br->addr, "ParSpan", 0, NULL, NULL, "a", NULL);
    g_usleep(20000);
    g_autoptr(RmqCommand) s1 = bk_send(client, br->addr, "ParSpan", 0, NULL, NULL, "b", NULL);
    assert_int_equal(s1->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p = bk_pull(client, br->addr, "SpanG", "ParSpan", 0, 0, NULL, 0);
    g_autoptr(GArray) recs = bk_records(p->body);
    assert_int_equal(recs->len, 2);
    gint64 t0 = g_array_index(recs, RmqMessageRecord, 0).store_timestamp;
    gint64 t1 = g_array_index(recs, RmqMessageRecord, 1).store_timestamp;
    g_autoptr(RmqCommand) u = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET, NULL,
                                        "consumerGroup", "SpanG", "topic", "ParSpan", "queueId", "0",
                                        "commitOffset", "1", NULL);
    assert_int_equal(u->code, RMQ_RESPONSE_SUCCESS);

    g_autoptr(RmqCommand) r = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_CONSUME_TIME_SPAN, NULL,
                                        "topic", "ParSpan", "group", "SpanG", NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(JsonNode) n = bk_body_json(r);
    JsonArray *set = json_object_get_array_member(json_node_get_object(n), "consumeTimeSpanSet");
    assert_true(json_array_get_length(set) >= 1);
    JsonObject *q0 = NULL;
    for (guint i = 0; i < json_array_get_length(set); i++) {
        JsonObject *e = json_array_get_object_element(set, i);
        JsonObject *mq = json_object_get_object_member(e, "messageQueue");
        if (json_object_get_int_member(mq, "queueId") == 0) {
            q0 = e;
            assert_string_equal(json_object_get_string_member(mq, "topic"), "ParSpan");
            assert_string_equal(json_object_get_string_member(mq, "brokerName"), "broker-a");
        }
    }
    assert_non_null(q0);
    assert_int_equal(json_object_get_int_member(q0, "minTimeStamp"), t0);
    assert_int_equal(json_object_get_int_member(q0, "maxTimeStamp"), t1);
    assert_int_equal(json_object_get_int_member(q0, "consumeTimeStamp"), t0);
    gint64 delay = json_object_get_int_member(q0, "delayTime");
    assert_true(delay >= 0 && delay <= g_get_real_time() / 1000 - t1 + 1000);
    const gchar *str = json_object_get_string_member(q0, "minTimeStampStr");
    assert_true(strlen(str) == 23 && str[10] == '#');

    g_autoptr(RmqCommand) nt = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_CONSUME_TIME_SPAN, NULL,
                                         "topic", "NoSuchSpan", "group", "SpanG", NULL);
    assert_int_equal(nt->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    assert_string_equal(nt->remark, "topic[NoSuchSpan] not exist");
}

static void
commit(const gchar *group, const gchar *topic, const gchar *offset)
{
    g_autoptr(RmqCommand) u = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET, NULL,
                                        "consumerGroup", group, "topic", topic, "queueId", "0",
                                        "commitOffset", offset, NULL);
    assert_int_equal(u->code, RMQ_RESPONSE_SUCCESS);
}

static void
test_correction_offset(void **state)
{
    (void) state;
    for (gint i = 0; i < 3; i++) {
        g_autoptr(RmqCommand) s = bk_send(client, br->addr, "ParCorr", 0, NULL, NULL, "x", NULL);
        assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    }
    commit("CorrG1", "ParCorr", "1");
    commit("CorrG2", "ParCorr", "3");
    g_autoptr(RmqCommand) r = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_CORRECTION_OFFSET, NULL,
                                        "topic", "ParCorr", "compareGroup", "CorrG2", NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *t = bk_body_text(r);
    assert_string_equal(t, "{\"correctionOffsets\":{0:1}}");
    g_autoptr(RmqCommand) f = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_CORRECTION_OFFSET, NULL,
                                        "topic", "ParCorr", "compareGroup", "CorrG2",
                                        "filterGroups", "CorrG1", NULL);
    g_autofree gchar *ft = bk_body_text(f);
    assert_string_equal(ft, "{\"correctionOffsets\":{0:3}}");
    /* the filtered group keeps its offsets (Java's table loses them) */
    g_autoptr(RmqCommand) q = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_CONSUMER_OFFSET, NULL,
                                        "consumerGroup", "CorrG1", "topic", "ParCorr", "queueId", "0",
                                        NULL);
    assert_int_equal(bk_ext_int(q, "offset", -1), 1);
    g_autoptr(RmqCommand) m = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_CORRECTION_OFFSET, NULL,
                                        "topic", "ParCorr", NULL);
    assert_int_equal(m->code, RMQ_RESPONSE_SYSTEM_ERROR);
}

static void
test_resume_check_half(void **state)
{
    (void) state;
    const gchar *props = "TRAN_MSG\001true\002PGROUP\001ParTPG\002UNIQ_KEY\001PU1\002TAGS\001TX";
    g_autoptr(GBytes) b = g_bytes_new_static("half", 4);
    g_autoptr(RmqCommand) s = bk_invoke(client, br->addr, RMQ_REQUEST_SEND_MESSAGE_V2, b, "a", "ParTPG",
                                        "b", "ParTx", "c", "TBW102", "d", "4", "e", "0", "f", "4",
                                        "g", "1700000000000", "h", "0", "i", props, NULL);
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) m0 = bk_invoke(client, br->addr, RMQ_REQUEST_GET_MAX_OFFSET, NULL, "topic",
                                         "RMQ_SYS_TRANS_HALF_TOPIC", "queueId", "0", NULL);
    gint64 before = bk_ext_int(m0, "offset", -1);
    assert_true(before >= 1);

    g_autoptr(RmqCommand) r = bk_invoke(client, br->addr, RMQ_REQUEST_RESUME_CHECK_HALF_MESSAGE, NULL,
                                        "msgId", rmq_command_get_ext(s, "msgId"), NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) m1 = bk_invoke(client, br->addr, RMQ_REQUEST_GET_MAX_OFFSET, NULL, "topic",
                                         "RMQ_SYS_TRANS_HALF_TOPIC", "queueId", "0", NULL);
    assert_int_equal(bk_ext_int(m1, "offset", -1), before + 1);
    /* the new half record: same message, check times reset */
    g_autofree gchar *idx = g_strdup_printf("%" G_GINT64_FORMAT, before);
    g_autoptr(RmqCommand) cq = query_cq("RMQ_SYS_TRANS_HALF_TOPIC", "0", idx, "1", NULL);
    g_autoptr(JsonNode) n = bk_body_json(cq);
    JsonObject *u = json_array_get_object_element(
        json_object_get_array_member(json_node_get_object(n), "queueData"), 0);
    g_autofree gchar *off = g_strdup_printf("%" G_GINT64_FORMAT, json_object_get_int_member(u, "physicOffset"));
    g_autoptr(RmqCommand) v = bk_invoke(client, br->addr, RMQ_REQUEST_VIEW_MESSAGE_BY_ID, NULL, "offset", off, NULL);
    assert_int_equal(v->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) recs = bk_records(v->body);
    RmqMessageRecord *rec = &g_array_index(recs, RmqMessageRecord, 0);
    g_autofree gchar *times = bk_record_prop(rec, "TRANSACTION_CHECK_TIMES");
    g_autofree gchar *real = bk_record_prop(rec, "REAL_TOPIC");
    g_autofree gchar *body = bk_record_body(rec);
    assert_string_equal(times, "0");
    assert_string_equal(real, "ParTx");
    assert_string_equal(body, "half");

    g_autoptr(RmqCommand) bad = bk_invoke(client, br->addr, RMQ_REQUEST_RESUME_CHECK_HALF_MESSAGE, NULL,
                                          "msgId", "nonsense", NULL);
    assert_int_equal(bad->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(bad->remark,
                        "Exception was thrown when putting message back to RMQ_SYS_TRANS_HALF_TOPIC.");
}

static void
test_clean_unused_topic(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s = bk_send(client, br->addr, "ParKeep", 0, NULL, NULL, "k", NULL);
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    /* the ghost queue is there (no unit yet), and so is the kept one */
    g_autoptr(RmqCommand) g0 = query_cq("GhostT", "0", "0", "1", NULL);
    assert_int_equal(g0->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) c = bk_invoke(client, br->addr, RMQ_REQUEST_CLEAN_UNUSED_TOPIC, NULL, NULL);
    assert_int_equal(c->code, RMQ_RESPONSE_SUCCESS);
    assert_null(c->remark);
    g_autoptr(RmqCommand) g1 = query_cq("GhostT", "0", "0", "1", NULL);
    assert_int_equal(g1->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(g1->remark, "0@GhostT is not exist!");
    g_autofree gchar *dir = g_build_filename(br->dir, "store", "consumequeue", "GhostT", NULL);
    assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
    g_autoptr(RmqCommand) k = query_cq("ParKeep", "0", "0", "1", NULL);
    assert_int_equal(k->code, RMQ_RESPONSE_SUCCESS);
    assert_non_null(k->body);
}

/* DELETE_EXPIRED_COMMITLOG deletes the first 8 MiB file at once (deleteWhen
 * is another hour); CLEAN_EXPIRED_CONSUMEQUEUE then drops the queue whose
 * every message was in it. */
static void
test_delete_commitlog_then_clean_cq(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s = bk_send(client, br->addr, "ParOld", 0, NULL, NULL, "old", NULL);
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    gsize big = 3 * 1024 * 1024;
    g_autofree gchar *body = g_malloc(big + 1);
    memset(body, 'z', big);
    body[big] = '\0';
    for (gint i = 0; i < 3; i++) {
        g_autoptr(RmqCommand) r = bk_send(client, br->addr, "ParBig", 0, NULL, NULL, body, NULL);
        assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    }
    assert_int_equal(runtime_value("commitLogMinOffset"), 0);
    /* no clean before it is asked for */
    g_autoptr(RmqCommand) still = query_cq("ParOld", "0", "0", "1", NULL);
    assert_non_null(still->body);

    g_autoptr(RmqCommand) d = bk_invoke(client, br->addr, RMQ_REQUEST_DELETE_EXPIRED_COMMITLOG, NULL, NULL);
    assert_int_equal(d->code, RMQ_RESPONSE_SUCCESS);
    assert_null(d->remark);
    assert_int_equal(runtime_value("commitLogMinOffset"), 8388608);

    g_autoptr(RmqCommand) before = query_cq("ParOld", "0", "0", "1", NULL);
    assert_int_not_equal(before->code, RMQ_RESPONSE_SYSTEM_ERROR);
    g_autoptr(RmqCommand) c = bk_invoke(client, br->addr, RMQ_REQUEST_CLEAN_EXPIRED_CONSUMEQUEUE, NULL, NULL);
    assert_int_equal(c->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) after = query_cq("ParOld", "0", "0", "1", NULL);
    assert_int_equal(after->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(after->remark, "0@ParOld is not exist!");
    /* ParBig's last message is in the second file: kept */
    g_autoptr(RmqCommand) kept = query_cq("ParBig", "0", "2", "1", NULL);
    assert_int_equal(kept->code, RMQ_RESPONSE_SUCCESS);
    assert_non_null(kept->body);
}

static gint status_asks;
static gchar *status_topic;

static void
on_status_request(RmqConnection *conn, RmqCommand *req, gpointer data)
{
    (void) data;
    if (req->code == RMQ_REQUEST_GET_CONSUMER_STATUS_FROM_CLIENT) {
        status_asks++;
        g_free(status_topic);
        status_topic = g_strdup(rmq_command_get_ext(req, "topic"));
        const gchar *body = "{\"consumerTable\":{},\"messageQueueTable\":{{\"brokerName\":"
                            "\"broker-a\",\"queueId\":0,\"topic\":\"ParSt\"}:7}}";
        RmqCommand *resp = rmq_command_new_response(req, RMQ_RESPONSE_SUCCESS, NULL);
        rmq_command_set_body_data(resp, body, strlen(body));
        rmq_connection_send_response(conn, req, resp);
    }
    rmq_command_free(req);
}

static void
test_consumer_status(void **state)
{
    (void) state;
    g_autoptr(RmqClient) c2 = rmq_client_new(NULL);
    rmq_client_set_request_handler(c2, on_status_request, NULL);
    g_autoptr(RmqCommand) h =
        bk_consumer_heartbeat(c2, br->addr, "7.7.7.7@st", "ParStG", "ParSt");
    assert_int_equal(h->code, RMQ_RESPONSE_SUCCESS);

    g_autoptr(RmqCommand) r = bk_invoke(client, br->addr, RMQ_REQUEST_INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
                                        NULL, "topic", "ParSt", "group", "ParStG", NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(status_asks, 1);
    assert_string_equal(status_topic, "ParSt");
    g_autofree gchar *t = bk_body_text(r);
    assert_string_equal(t, "{\"consumerTable\":{\"7.7.7.7@st\":{{\"brokerName\":\"broker-a\","
                           "\"queueId\":0,\"topic\":\"ParSt\"}:7}},\"messageQueueTable\":{}}");

    /* only the named client is asked */
    g_autoptr(RmqCommand) other = bk_invoke(client, br->addr, RMQ_REQUEST_INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
                                            NULL, "topic", "ParSt", "group", "ParStG", "clientAddr",
                                            "9.9.9.9@x", NULL);
    assert_int_equal(other->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(status_asks, 1);
    g_autofree gchar *ot = bk_body_text(other);
    assert_string_equal(ot, "{\"consumerTable\":{},\"messageQueueTable\":{}}");

    g_autoptr(RmqCommand) none = bk_invoke(client, br->addr, RMQ_REQUEST_INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
                                           NULL, "topic", "ParSt", "group", "NoOneG", NULL);
    assert_int_equal(none->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(none->remark, "No Any Consumer online in the consumer group: [NoOneG]");
    g_clear_pointer(&status_topic, g_free);
}

/* VIEW_BROKER_STATS_DATA and GET_BROKER_CONSUME_STATS: a sample (every
 * second here) falls between the first message and the next two, so the
 * minute window holds exactly those two. */
static void
test_stats(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s1 = bk_send(client, br->addr, "ParStats", 0, NULL, NULL, "s1", NULL);
    assert_int_equal(s1->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p1 = bk_pull(client, br->addr, "ParStatsG", "ParStats", 0, 0, NULL, 0);
    assert_int_equal(p1->code, RMQ_RESPONSE_SUCCESS);
    g_usleep(1300000);
    g_autoptr(RmqCommand) s2 = bk_send(client, br->addr, "ParStats", 0, NULL, NULL, "s2", NULL);
    g_autoptr(RmqCommand) s3 = bk_send(client, br->addr, "ParStats", 0, NULL, NULL, "s3", NULL);
    assert_int_equal(s3->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p2 = bk_pull(client, br->addr, "ParStatsG", "ParStats", 0, 1, NULL, 0);
    assert_int_equal(p2->code, RMQ_RESPONSE_SUCCESS);
    commit("ParStatsG", "ParStats", "1");
    g_usleep(1300000);

    g_autoptr(RmqCommand) v = bk_invoke(client, br->addr, RMQ_REQUEST_VIEW_BROKER_STATS_DATA, NULL,
                                        "statsName", "TOPIC_PUT_NUMS", "statsKey", "ParStats", NULL);
    assert_int_equal(v->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(JsonNode) vn = bk_body_json(v);
    JsonObject *vo = json_node_get_object(vn);
    JsonObject *minute = json_object_get_object_member(vo, "statsMinute");
    assert_int_equal(json_object_get_int_member(minute, "sum"), 2);
    assert_true(json_object_get_double_member(minute, "tps") > 0);
    assert_true(json_object_get_double_member(minute, "avgpt") > 0.99);
    assert_non_null(json_object_get_object_member(vo, "statsHour"));
    assert_non_null(json_object_get_object_member(vo, "statsDay"));
    g_autoptr(RmqCommand) g = bk_invoke(client, br->addr, RMQ_REQUEST_VIEW_BROKER_STATS_DATA, NULL,
                                        "statsName", "GROUP_GET_NUMS", "statsKey",
                                        "ParStats@ParStatsG", NULL);
    g_autoptr(JsonNode) gn = bk_body_json(g);
    assert_int_equal(json_object_get_int_member(
                         json_object_get_object_member(json_node_get_object(gn), "statsMinute"), "sum"),
                     2);
    g_autoptr(RmqCommand) none = bk_invoke(client, br->addr, RMQ_REQUEST_VIEW_BROKER_STATS_DATA, NULL,
                                           "statsName", "TOPIC_PUT_NUMS", "statsKey", "NoSuchT", NULL);
    assert_int_equal(none->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(none->remark, "The stats <TOPIC_PUT_NUMS> <NoSuchT> not exist");

    g_autoptr(RmqCommand) c = bk_invoke(client, br->addr, RMQ_REQUEST_GET_BROKER_CONSUME_STATS, NULL,
                                        "isOrder", "false", NULL);
    assert_int_equal(c->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *ct = bk_body_text(c);
    g_autofree gchar *addr = g_strdup_printf("{\"brokerAddr\":\"%s\",", br->addr);
    assert_true(g_str_has_prefix(ct, addr));
    assert_non_null(strstr(ct, "{\"ParStatsG\":[{\"consumeTps\":"));
    assert_non_null(strstr(ct, "{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"ParStats\"}:"
                               "{\"brokerOffset\":3,\"consumerOffset\":1,\"lastTimestamp\":"));
    /* fastjson MessageQueue keys: not standard JSON, read as text */
    const gchar *td = strstr(ct, "],\"totalDiff\":");
    assert_non_null(td);
    assert_true(g_ascii_strtoll(td + strlen("],\"totalDiff\":"), NULL, 10) >= 2);
    /* the group's consume TPS over the minute is measured */
    const gchar *tps = strstr(ct, "{\"ParStatsG\":[{\"consumeTps\":") + strlen("{\"ParStatsG\":[{\"consumeTps\":");
    assert_true(g_ascii_strtod(tps, NULL) > 0);
    g_autoptr(RmqCommand) o = bk_invoke(client, br->addr, RMQ_REQUEST_GET_BROKER_CONSUME_STATS, NULL,
                                        "isOrder", "true", NULL);
    g_autofree gchar *ot = bk_body_text(o);
    assert_non_null(strstr(ot, "{\"ParStatsG\":[]}"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_producer_info),
        cmocka_unit_test(test_query_consume_queue),
        cmocka_unit_test(test_consumer_status),
        cmocka_unit_test(test_consume_time_span),
        cmocka_unit_test(test_correction_offset),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_resume_check_half),
        cmocka_unit_test(test_clean_unused_topic),
        cmocka_unit_test(test_delete_commitlog_then_clean_cq),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
