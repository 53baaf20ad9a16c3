/* rmq-broker integration: the admin and metadata codes (docs/protocol.md §3.3) and
 * autoCreateTopicEnable=false. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "harness.h"
#include "remoting/codes.h"

static BkDaemon *ns, *br;
static RmqClient *client;

static int
setup(void **state)
{
    (void) state;
    if (!bk_pair_start(&ns, &br, NULL))
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

static RmqCommand *
create_topic(const gchar *topic, const gchar *queues, const gchar *perm)
{
    return bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_AND_CREATE_TOPIC, NULL, "topic", topic,
                     "defaultTopic", "TBW102", "readQueueNums", queues, "writeQueueNums", queues,
                     "perm", perm, "topicFilterType", "SINGLE_TAG", "order", "false", NULL);
}

static void
test_topic_create_delete(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) c = create_topic("AdmT", "8", "6");
    assert_int_equal(c->code, RMQ_RESPONSE_SUCCESS);
    /* answered only once the name server has the topic */
    assert_int_equal(route_code("AdmT"), RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) r =
        bk_invoke(client, ns->addr, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL, "topic", "AdmT", NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *route = bk_body_text(r);
    assert_non_null(strstr(route, "\"writeQueueNums\":8"));

    g_autoptr(RmqCommand) all = bk_invoke(client, br->addr, RMQ_REQUEST_GET_ALL_TOPIC_CONFIG, NULL, NULL);
    g_autoptr(JsonNode) n = bk_body_json(all);
    JsonObject *table = json_object_get_object_member(json_node_get_object(n), "topicConfigTable");
    assert_true(json_object_has_member(table, "AdmT"));
    assert_true(json_object_has_member(json_node_get_object(n), "dataVersion"));
    JsonObject *t = json_object_get_object_member(table, "AdmT");
    assert_int_equal(json_object_get_int_member(t, "readQueueNums"), 8);

    /* persisted in RocketMQ's shape */
    g_autofree gchar *path = g_build_filename(br->dir, "store", "config", "topics.json", NULL);
    g_autofree gchar *file = NULL;
    assert_true(g_file_get_contents(path, &file, NULL, NULL));
    assert_non_null(strstr(file, "\"AdmT\""));

    g_autoptr(RmqCommand) sys = create_topic("SCHEDULE_TOPIC_XXXX", "4", "6");
    assert_int_equal(sys->code, RMQ_RESPONSE_SYSTEM_ERROR);
    g_autoptr(RmqCommand) bad = create_topic("bad name!", "4", "6");
    assert_int_equal(bad->code, RMQ_RESPONSE_SYSTEM_ERROR);

    g_autoptr(RmqCommand) s = bk_send(client, br->addr, "AdmT", 3, NULL, NULL, "x", NULL);
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) d = bk_invoke(client, br->addr, RMQ_REQUEST_DELETE_TOPIC_IN_BROKER, NULL,
                                        "topic", "AdmT", NULL);
    assert_int_equal(d->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) all2 = bk_invoke(client, br->addr, RMQ_REQUEST_GET_ALL_TOPIC_CONFIG, NULL, NULL);
    g_autofree gchar *t2 = bk_body_text(all2);
    assert_null(strstr(t2, "\"AdmT\""));
    g_autoptr(RmqCommand) mx = bk_invoke(client, br->addr, RMQ_REQUEST_GET_MAX_OFFSET, NULL, "topic",
                                         "AdmT", "queueId", "3", NULL);
    assert_int_equal(bk_ext_int(mx, "offset", -1), 0);
}

static void
test_groups(void **state)
{
    (void) state;
    const gchar *json = "{\"groupName\":\"AdmG\",\"retryMaxTimes\":3,\"consumeEnable\":true}";
    g_autoptr(GBytes) b = g_bytes_new_static(json, strlen(json));
    g_autoptr(RmqCommand) u =
        bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, b, NULL);
    assert_int_equal(u->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) all =
        bk_invoke(client, br->addr, RMQ_REQUEST_GET_ALL_SUBSCRIPTIONGROUP_CONFIG, NULL, NULL);
    g_autoptr(JsonNode) n = bk_body_json(all);
    JsonObject *t = json_object_get_object_member(json_node_get_object(n), "subscriptionGroupTable");
    assert_true(json_object_has_member(t, "AdmG"));
    assert_int_equal(json_object_get_int_member(json_object_get_object_member(t, "AdmG"),
                                                "retryMaxTimes"),
                     3);
    g_autofree gchar *path = g_build_filename(br->dir, "store", "config", "subscriptionGroup.json",
                                              NULL);
    g_autofree gchar *file = NULL;
    assert_true(g_file_get_contents(path, &file, NULL, NULL));
    assert_non_null(strstr(file, "\"AdmG\""));
    g_autoptr(RmqCommand) d = bk_invoke(client, br->addr, RMQ_REQUEST_DELETE_SUBSCRIPTIONGROUP, NULL,
                                        "groupName", "AdmG", "removeOffset", "true", NULL);
    assert_int_equal(d->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) all2 =
        bk_invoke(client, br->addr, RMQ_REQUEST_GET_ALL_SUBSCRIPTIONGROUP_CONFIG, NULL, NULL);
    g_autofree gchar *t2 = bk_body_text(all2);
    assert_null(strstr(t2, "\"AdmG\""));
}

static void
test_broker_config(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) g = bk_invoke(client, br->addr, RMQ_REQUEST_GET_BROKER_CONFIG, NULL, NULL);
    assert_int_equal(g->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *props = bk_body_text(g);
    assert_non_null(strstr(props, "brokerName=broker-a\n"));
    assert_non_null(strstr(props, "maxMessageSize=4194304\n"));
    assert_non_null(rmq_command_get_ext(g, "version"));

    const gchar *upd = "maxMessageSize=100\n";
    g_autoptr(GBytes) b = g_bytes_new_static(upd, strlen(upd));
    g_autoptr(RmqCommand) u = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_BROKER_CONFIG, b, NULL);
    assert_int_equal(u->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) g2 = bk_invoke(client, br->addr, RMQ_REQUEST_GET_BROKER_CONFIG, NULL, NULL);
    g_autofree gchar *props2 = bk_body_text(g2);
    assert_non_null(strstr(props2, "maxMessageSize=100\n"));
    g_autofree gchar *big = g_strnfill(200, 'x');
    g_autoptr(RmqCommand) s = bk_send(client, br->addr, "AdmCfg", 0, NULL, NULL, big, NULL);
    assert_int_equal(s->code, RMQ_RESPONSE_MESSAGE_ILLEGAL);
    const gchar *bad = "maxMessageSize=abc\n";
    g_autoptr(GBytes) bb = g_bytes_new_static(bad, strlen(bad));
    g_autoptr(RmqCommand) ub = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_BROKER_CONFIG, bb, NULL);
    assert_int_equal(ub->code, RMQ_RESPONSE_SYSTEM_ERROR);
    /* a key that only a restart can change is refused, not silently dropped */
    const gchar *fixed = "maxMessageSize=200\nlistenPort=1\n";
    g_autoptr(GBytes) bf = g_bytes_new_static(fixed, strlen(fixed));
    g_autoptr(RmqCommand) uf = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_BROKER_CONFIG, bf, NULL);
    assert_int_equal(uf->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_non_null(strstr(uf->remark, "listenPort"));
    const gchar *back = "maxMessageSize=4194304\n";
    g_autoptr(GBytes) bk = g_bytes_new_static(back, strlen(back));
    g_autoptr(RmqCommand) u2 = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_BROKER_CONFIG, bk, NULL);
    assert_int_equal(u2->code, RMQ_RESPONSE_SUCCESS);
}

static JsonNode *
runtime_table(void)
{
    g_autoptr(RmqCommand) r = bk_invoke(client, br->addr, RMQ_REQUEST_GET_BROKER_RUNTIME_INFO, NULL, NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    return bk_body_json(r);
}

static gint64
rt_int(JsonNode *n, const gchar *key)
{
    JsonObject *t = json_object_get_object_member(json_node_get_object(n), "table");
    assert_true(json_object_has_member(t, key));
    return g_ascii_strtoll(json_object_get_string_member(t, key), NULL, 10);
}

static const gchar *
rt_text(JsonNode *n, const gchar *key)
{
    JsonObject *t = json_object_get_object_member(json_node_get_object(n), "table");
    return json_object_has_member(t, key) ? json_object_get_string_member(t, key) : NULL;
}

/* GET_BROKER_RUNTIME_INFO: Java's fields, and the counters move with what
 * this test does (docs/protocol.md §3.3, "Runtime info"). */
static void
test_runtime_info(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s0 = bk_send(client, br->addr, "AdmRt", 0, NULL, NULL, "x", NULL);
    assert_int_equal(s0->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(JsonNode) before = runtime_table();
    for (int i = 0; i < 3; i++) {
        g_autoptr(RmqCommand) s = bk_send(client, br->addr, "AdmRt", 0, NULL, NULL, "0123456789", NULL);
        assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    }
    /* one pull that finds 4 messages, one that finds none */
    g_autoptr(RmqCommand) p1 = bk_pull(client, br->addr, "AdmRtG", "AdmRt", 0, 0, "*", 0);
    assert_int_equal(p1->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p2 = bk_pull(client, br->addr, "AdmRtG", "AdmRt", 0,
                                       bk_ext_int(p1, "nextBeginOffset", -1), "*", 0);
    assert_int_not_equal(p2->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(JsonNode) after = runtime_table();

    assert_int_equal(rt_int(after, "msgPutTotalTodayNow") - rt_int(before, "msgPutTotalTodayNow"), 3);
    assert_int_equal(rt_int(after, "putMessageTimesTotal") - rt_int(before, "putMessageTimesTotal"), 3);
    gint64 grown = rt_int(after, "putMessageSizeTotal") - rt_int(before, "putMessageSizeTotal");
    assert_int_equal(grown, rt_int(after, "commitLogMaxOffset") - rt_int(before, "commitLogMaxOffset"));
    assert_int_equal(rt_int(after, "msgGetTotalTodayNow") - rt_int(before, "msgGetTotalTodayNow"), 4);
    assert_int_equal(rt_int(after, "dispatchBehindBytes"), 0);
    assert_int_equal(rt_int(after, "sendThreadPoolQueueCapacity"), 10000);
    assert_int_equal(rt_int(after, "sendThreadPoolQueueSize"), 0);
    assert_int_equal(rt_int(after, "putMessageFailedTimes"), 0);
    assert_true(rt_int(after, "commitLogMaxOffset") > 0);
    /* "[ D days, H hours, M minutes, S seconds ]" since bootTimestamp */
    gint64 up_s = (g_get_real_time() / 1000 - rt_int(after, "bootTimestamp")) / 1000;
    gint d, h, m, sec;
    assert_int_equal(sscanf(rt_text(after, "runtime"), "[ %d days, %d hours, %d minutes, %d seconds ]",
                            &d, &h, &m, &sec), 4);
    gint64 shown = ((gint64) d * 24 * 60 + h * 60 + m) * 60 + sec;
    assert_true(shown <= up_s && shown >= up_s - 5);
    assert_true(g_str_has_prefix(rt_text(after, "commitLogDirCapacity"), "Total : "));
    assert_true(g_str_has_prefix(rt_text(after, "putMessageDistributeTime"), "[<=0ms]:"));
    assert_non_null(strstr(rt_text(after, "putMessageDistributeTime"), "[10s~]:"));
    assert_string_equal(rt_text(after, "brokerVersionDesc"), "V4_9_7");
    /* three windows, as Java prints them: "a b c" with empty fields while too new */
    g_auto(GStrv) tps = g_strsplit(rt_text(after, "putTps"), " ", -1);
    assert_int_equal(g_strv_length(tps), 3);
    gdouble ratio = g_ascii_strtod(rt_text(after, "commitLogDiskRatio"), NULL);
    assert_true(ratio > 0.0 && ratio <= 1.0);
    /* the morning totals are taken at midnight: never above what was put */
    assert_true(rt_int(after, "msgPutTotalTodayMorning") <= rt_int(after, "msgPutTotalTodayNow"));
}

/* A refused request is counted by answer code and logged once a minute per
 * client and kind, whatever the client sends. */
static void
test_refusals_counted_and_logged_once(void **state)
{
    (void) state;
    g_autoptr(JsonNode) before = runtime_table();
    const gchar *key = "refusedRequests_REQUEST_CODE_NOT_SUPPORTED";
    gint64 n0 = rt_text(before, key) != NULL ? rt_int(before, key) : 0;
    for (int i = 0; i < 5; i++) {
        g_autoptr(RmqCommand) r = bk_invoke(client, br->addr, 9876, NULL, NULL);
        assert_int_equal(r->code, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED);
    }
    g_autoptr(JsonNode) after = runtime_table();
    assert_int_equal(rt_int(after, key) - n0, 5);
    g_autofree gchar *log = bk_daemon_log(br);
    const gchar *first = strstr(log, "refused request 9876 from 127.0.0.1: REQUEST_CODE_NOT_SUPPORTED");
    assert_non_null(first);
    assert_null(strstr(first + 1, "refused request 9876"));
}

static void
test_stats_and_connections(void **state)
{
    (void) state;
    for (int i = 0; i < 3; i++) {
        g_autoptr(RmqCommand) s = bk_send(client, br->addr, "AdmStats", 1, NULL, NULL, "x", NULL);
        assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    }
    g_autoptr(RmqCommand) ts = bk_invoke(client, br->addr, RMQ_REQUEST_GET_TOPIC_STATS_INFO, NULL,
                                         "topic", "AdmStats", NULL);
    assert_int_equal(ts->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *tst = bk_body_text(ts);
    assert_non_null(strstr(tst, "{\"brokerName\":\"broker-a\",\"queueId\":1,\"topic\":\"AdmStats\"}:{"));
    assert_non_null(strstr(tst, "\"maxOffset\":3,\"minOffset\":0"));
    g_autoptr(RmqCommand) tn = bk_invoke(client, br->addr, RMQ_REQUEST_GET_TOPIC_STATS_INFO, NULL,
                                         "topic", "NoSuch", NULL);
    assert_int_equal(tn->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);

    g_autoptr(RmqCommand) u = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET, NULL,
                                        "consumerGroup", "AdmCG", "topic", "AdmStats", "queueId",
                                        "1", "commitOffset", "2", NULL);
    g_autoptr(RmqCommand) cs = bk_invoke(client, br->addr, RMQ_REQUEST_GET_CONSUME_STATS, NULL,
                                         "consumerGroup", "AdmCG", NULL);
    assert_int_equal(cs->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *cst = bk_body_text(cs);
    assert_non_null(strstr(cst, "\"queueId\":1,\"topic\":\"AdmStats\"}:{\"brokerOffset\":3,"
                                "\"consumerOffset\":2,\"lastTimestamp\":"));
    assert_non_null(strstr(cst, "\"consumeTps\":"));

    /* connection lists */
    const gchar *hb = "{\"clientID\":\"1.2.3.4@x\",\"consumerDataSet\":[{\"groupName\":\"AdmCG\","
                      "\"consumeType\":1,\"messageModel\":1,\"consumeFromWhere\":0,"
                      "\"subscriptionDataSet\":[{\"topic\":\"AdmStats\",\"subString\":\"A || B\","
                      "\"subVersion\":\"17\",\"tagsSet\":[\"A\",\"B\"]}]}],"
                      "\"producerDataSet\":[{\"groupName\":\"AdmPG\"}]}";
    g_autoptr(GBytes) hbb = g_bytes_new_static(hb, strlen(hb));
    g_autoptr(RmqCommand) h = bk_invoke(client, br->addr, RMQ_REQUEST_HEART_BEAT, hbb, NULL);
    assert_int_equal(h->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) cc = bk_invoke(client, br->addr, RMQ_REQUEST_GET_CONSUMER_CONNECTION_LIST,
                                         NULL, "consumerGroup", "AdmCG", NULL);
    assert_int_equal(cc->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *cct = bk_body_text(cc);
    assert_non_null(strstr(cct, "\"clientId\":\"1.2.3.4@x\""));
    assert_non_null(strstr(cct, "\"consumeType\":\"CONSUME_PASSIVELY\""));
    assert_non_null(strstr(cct, "\"messageModel\":\"CLUSTERING\""));
    assert_non_null(strstr(cct, "\"subVersion\":17"));
    g_autoptr(RmqCommand) cn = bk_invoke(client, br->addr, RMQ_REQUEST_GET_CONSUMER_CONNECTION_LIST,
                                         NULL, "consumerGroup", "Offline", NULL);
    assert_int_equal(cn->code, RMQ_RESPONSE_CONSUMER_NOT_ONLINE);
    g_autoptr(RmqCommand) pc = bk_invoke(client, br->addr, RMQ_REQUEST_GET_PRODUCER_CONNECTION_LIST,
                                         NULL, "producerGroup", "AdmPG", NULL);
    assert_int_equal(pc->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *pct = bk_body_text(pc);
    assert_non_null(strstr(pct, "\"clientId\":\"1.2.3.4@x\""));
    g_autoptr(RmqCommand) pn = bk_invoke(client, br->addr, RMQ_REQUEST_GET_PRODUCER_CONNECTION_LIST,
                                         NULL, "producerGroup", "NoPG", NULL);
    assert_int_equal(pn->code, RMQ_RESPONSE_SYSTEM_ERROR);

    g_autoptr(RmqCommand) who = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_TOPIC_CONSUME_BY_WHO,
                                          NULL, "topic", "AdmStats", NULL);
    g_autofree gchar *wt = bk_body_text(who);
    assert_string_equal(wt, "{\"groupList\":[\"AdmCG\"]}");
    g_autoptr(RmqCommand) ao = bk_invoke(client, br->addr, RMQ_REQUEST_GET_ALL_CONSUMER_OFFSET, NULL,
                                         NULL);
    g_autofree gchar *aot = bk_body_text(ao);
    assert_non_null(strstr(aot, "\"AdmStats@AdmCG\":{\"1\":2}"));
    g_autoptr(RmqCommand) dl = bk_invoke(client, br->addr, RMQ_REQUEST_GET_ALL_DELAY_OFFSET, NULL,
                                         NULL);
    assert_int_equal(dl->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *dlt = bk_body_text(dl);
    assert_non_null(strstr(dlt, "offsetTable"));
    g_autoptr(RmqCommand) sy = bk_invoke(client, br->addr, RMQ_REQUEST_GET_SYSTEM_TOPIC_LIST_FROM_BROKER,
                                         NULL, NULL);
    g_autofree gchar *syt = bk_body_text(sy);
    assert_non_null(strstr(syt, "SCHEDULE_TOPIC_XXXX"));
}

static guint resets;
static gchar *reset_seen;

static void
on_client_request(RmqConnection *conn, RmqCommand *req, gpointer data)
{
    (void) data;
    if (req->code == RMQ_REQUEST_RESET_CONSUMER_CLIENT_OFFSET) {
        resets++;
        g_free(reset_seen);
        reset_seen = bk_body_text(req);
    } else if (req->code == RMQ_REQUEST_GET_CONSUMER_RUNNING_INFO) {
        RmqCommand *resp = rmq_command_new_response(req, RMQ_RESPONSE_SUCCESS, NULL);
        rmq_command_set_body_data(resp, "running-info", 12);
        rmq_connection_send_response(conn, req, resp);
    }
    rmq_command_free(req);
}

static void
test_consumer_admin(void **state)
{
    (void) state;
    g_autoptr(RmqClient) c2 = rmq_client_new(NULL);
    rmq_client_set_request_handler(c2, on_client_request, NULL);
    g_autoptr(RmqCommand) h =
        bk_consumer_heartbeat(c2, br->addr, "5.5.5.5@c", "AdmCG3", "AdmReset");
    assert_int_equal(h->code, RMQ_RESPONSE_SUCCESS);
    for (int i = 0; i < 3; i++) {
        g_autoptr(RmqCommand) s = bk_send(client, br->addr, "AdmReset", 0, NULL, NULL, "x", NULL);
        assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    }
    resets = 0;
    g_autoptr(RmqCommand) r = bk_invoke(client, br->addr, RMQ_REQUEST_INVOKE_BROKER_TO_RESET_OFFSET,
                                        NULL, "topic", "AdmReset", "group", "AdmCG3", "timestamp",
                                        "-1", "isForce", "true", NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *rb = bk_body_text(r);
    assert_non_null(strstr(rb, "{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"AdmReset\"}:3"));
    gint64 end = g_get_monotonic_time() + 3000000;
    while (resets == 0 && g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), TRUE);
    assert_int_equal(resets, 1);
    assert_string_equal(reset_seen, rb);
    g_clear_pointer(&reset_seen, g_free);
    g_autoptr(RmqCommand) off = bk_invoke(client, br->addr, RMQ_REQUEST_INVOKE_BROKER_TO_RESET_OFFSET,
                                          NULL, "topic", "AdmReset", "group", "NobodyHere",
                                          "timestamp", "-1", "isForce", "true", NULL);
    assert_int_equal(off->code, RMQ_RESPONSE_CONSUMER_NOT_ONLINE);

    /* GET_CONSUMER_RUNNING_INFO is relayed to the client and back */
    g_autoptr(RmqCommand) ri = bk_invoke(client, br->addr, RMQ_REQUEST_GET_CONSUMER_RUNNING_INFO,
                                         NULL, "consumerGroup", "AdmCG3", "clientId", "5.5.5.5@c",
                                         "jstackEnable", "false", NULL);
    assert_int_equal(ri->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *rit = bk_body_text(ri);
    assert_string_equal(rit, "running-info");
    g_autoptr(RmqCommand) rn = bk_invoke(client, br->addr, RMQ_REQUEST_GET_CONSUMER_RUNNING_INFO,
                                         NULL, "consumerGroup", "AdmCG3", "clientId", "other@x",
                                         NULL);
    assert_int_equal(rn->code, RMQ_RESPONSE_SYSTEM_ERROR);

    /* CLONE_GROUP_OFFSET */
    g_autoptr(RmqCommand) u = bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET, NULL,
                                        "consumerGroup", "AdmSrc", "topic", "AdmReset", "queueId",
                                        "0", "commitOffset", "2", NULL);
    g_autoptr(RmqCommand) cl = bk_invoke(client, br->addr, RMQ_REQUEST_CLONE_GROUP_OFFSET, NULL,
                                         "srcGroup", "AdmSrc", "destGroup", "AdmDst", "topic",
                                         "AdmReset", "offline", "false", NULL);
    assert_int_equal(cl->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) q = bk_invoke(client, br->addr, RMQ_REQUEST_QUERY_CONSUMER_OFFSET, NULL,
                                        "consumerGroup", "AdmDst", "topic", "AdmReset", "queueId",
                                        "0", NULL);
    assert_int_equal(bk_ext_int(q, "offset", -1), 2);
}

static void
test_no_auto_create(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) b2 = bk_broker_new(NULL, "autoCreateTopicEnable = false;\n"
                                                 "autoCreateSubscriptionGroup = false;\n");
    g_autoptr(GError) err = NULL;
    assert_true(bk_daemon_start(b2, 10000, &err));
    g_autoptr(RmqCommand) s = bk_send(client, b2->addr, "NoAutoT", 0, NULL, NULL, "x", NULL);
    assert_int_equal(s->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    g_autoptr(RmqCommand) all = bk_invoke(client, b2->addr, RMQ_REQUEST_GET_ALL_TOPIC_CONFIG, NULL, NULL);
    g_autofree gchar *t = bk_body_text(all);
    assert_null(strstr(t, "\"TBW102\""));
    /* created explicitly, then it works */
    g_autoptr(RmqCommand) c = bk_invoke(client, b2->addr, RMQ_REQUEST_UPDATE_AND_CREATE_TOPIC, NULL,
                                        "topic", "NoAutoT", "defaultTopic", "TBW102", "readQueueNums",
                                        "2", "writeQueueNums", "2", "perm", "6", "topicFilterType",
                                        "SINGLE_TAG", "order", "false", NULL);
    assert_int_equal(c->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) s2 = bk_send(client, b2->addr, "NoAutoT", 0, NULL, NULL, "x", NULL);
    assert_int_equal(s2->code, RMQ_RESPONSE_SUCCESS);
    /* unknown group without autoCreateSubscriptionGroup */
    g_autoptr(RmqCommand) p = bk_pull(client, b2->addr, "UnknownGroup", "NoAutoT", 0, 0, NULL, 0);
    assert_int_equal(p->code, RMQ_RESPONSE_SUBSCRIPTION_GROUP_NOT_EXIST);
    assert_int_equal(bk_daemon_signal_and_wait(b2, SIGTERM, 10000), 0);
}

typedef struct {
    guint done;
    guint ok;
    GHashTable *offsets; /* queueOffset values seen */
} PipeOutcome;

static void
on_pipelined_send(RmqCommand *response, const GError *error, gpointer user_data)
{
    PipeOutcome *o = user_data;
    o->done++;
    if (error == NULL && response->code == RMQ_RESPONSE_SUCCESS &&
        rmq_command_get_ext(response, "msgId") != NULL) {
        o->ok++;
        g_hash_table_add(o->offsets, GINT_TO_POINTER((gint) bk_ext_int(response, "queueOffset", -1)));
    }
    if (response != NULL)
        rmq_command_free(response);
}

static void
test_sync_flush(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) b2 = bk_broker_new(NULL, "flushDiskType = \"SYNC_FLUSH\";\n");
    g_autoptr(GError) err = NULL;
    assert_true(bk_daemon_start(b2, 10000, &err));
    for (int i = 0; i < 20; i++) {
        g_autoptr(RmqCommand) s = bk_send(client, b2->addr, "SyncT", 0, NULL, NULL, "durable", NULL);
        assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
        assert_non_null(rmq_command_get_ext(s, "msgId"));
    }
    /* Many in flight on one connection: the acknowledgements one fdatasync
     * releases leave together; each still answers its own request. */
    PipeOutcome po = { 0, 0, g_hash_table_new(NULL, NULL) };
    for (int i = 0; i < 32; i++) {
        RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_SEND_MESSAGE_V2);
        g_autofree gchar *born = g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time() / 1000);
        const gchar *kv[] = { "a", "PG", "b", "SyncP", "c", "TBW102", "d", "4", "e", "0",
                              "f", "0", "g", born, "h", "0", "i", "TAGS\001p\002", "j", "0",
                              "k", "false", "m", "false" };
        for (guint k = 0; k < G_N_ELEMENTS(kv); k += 2)
            rmq_command_set_ext(req, kv[k], kv[k + 1]);
        g_autofree gchar *body = g_strdup_printf("pipelined-%d", i);
        rmq_command_set_body_data(req, body, strlen(body));
        rmq_client_invoke_async(client, b2->addr, req, 10000, on_pipelined_send, &po);
    }
    gint64 until = g_get_monotonic_time() + 15 * G_USEC_PER_SEC;
    while (po.done < 32 && g_get_monotonic_time() < until)
        g_main_context_iteration(NULL, FALSE) || (g_usleep(1000), TRUE);
    assert_int_equal(po.done, 32);
    assert_int_equal(po.ok, 32);
    assert_int_equal(g_hash_table_size(po.offsets), 32); /* 32 distinct queue offsets */
    for (gint i = 0; i < 32; i++)
        assert_true(g_hash_table_contains(po.offsets, GINT_TO_POINTER(i)));
    g_hash_table_destroy(po.offsets);
    g_autoptr(RmqCommand) pp = bk_pull(client, b2->addr, "G", "SyncP", 0, 0, NULL, 0);
    g_autoptr(GArray) precs = bk_records(pp->body);
    assert_int_equal(precs->len, 32);
    /* WAIT=false is answered without waiting, and stored the same */
    g_autoptr(RmqCommand) nw =
        bk_send(client, b2->addr, "SyncT", 0, NULL, NULL, "nowait", "WAIT\001false\002");
    assert_int_equal(nw->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p = bk_pull(client, b2->addr, "G", "SyncT", 0, 0, NULL, 0);
    g_autoptr(GArray) recs = bk_records(p->body);
    assert_int_equal(recs->len, 21);
    assert_int_equal(bk_daemon_signal_and_wait(b2, SIGTERM, 10000), 0);
}

/* The disk fills up (a 10 MiB tmpfs: room for the first 8 MiB commit-log
 * file, not a second): sends are refused with code 14, one log line says why
 * (file, free bytes, size needed) however many are refused, STATUS= says so,
 * and a topic whose first message is refused gets no consume queue. Needs
 * root for the mount, skipped otherwise. */
static void
test_disk_full(void **state)
{
    (void) state;
    if (geteuid() != 0) {
        print_message("# skipped: mounting a small tmpfs needs root\n");
        skip();
    }
    g_autoptr(BkDaemon) b2 = bk_broker_new(NULL, "cleanResourceInterval = 600000;\n");
    g_autofree gchar *store = g_build_filename(b2->dir, "store", NULL);
    assert_int_equal(g_mkdir_with_parents(store, 0755), 0);
    if (mount("tmpfs", store, "tmpfs", 0, "size=10m") != 0) {
        print_message("# skipped: cannot mount tmpfs: %s\n", g_strerror(errno));
        skip();
    }
    g_autoptr(GError) err = NULL;
    gboolean started = bk_daemon_start(b2, 10000, &err);
    gint32 code = RMQ_RESPONSE_SUCCESS;
    g_autofree gchar *body = g_strnfill(64 * 1024, 'd');
    guint sent = 0;
    for (; started && sent < 300 && code == RMQ_RESPONSE_SUCCESS; sent++) {
        g_autoptr(RmqCommand) s = bk_send(client, b2->addr, "DiskT", 0, NULL, NULL, body, NULL);
        code = s->code;
    }
    gint32 new_topic = RMQ_RESPONSE_SUCCESS;
    for (guint i = 0; started && i < 20; i++) {
        g_autoptr(RmqCommand) s = bk_send(client, b2->addr, "DiskNew", 0, NULL, NULL, body, NULL);
        new_topic = s->code;
    }
    g_autofree gchar *cq = g_build_filename(store, "consumequeue", "DiskNew", NULL);
    gboolean cq_made = g_file_test(cq, G_FILE_TEST_EXISTS);
    g_autofree gchar *status = started ? bk_daemon_wait_notify(b2, "disk full", 8000) : NULL;
    int exit_status = started ? bk_daemon_signal_and_wait(b2, SIGTERM, 10000) : -1;
    g_autofree gchar *log = bk_daemon_log(b2);
    umount2(store, MNT_DETACH);

    if (!started)
        fail_msg("broker did not start: %s", err->message);
    assert_int_equal(code, RMQ_RESPONSE_SERVICE_NOT_AVAILABLE);
    assert_true(sent > 100); /* the first 8 MiB file was used */
    assert_int_equal(new_topic, RMQ_RESPONSE_SERVICE_NOT_AVAILABLE);
    assert_false(cq_made);
    guint lines = 0;
    for (const gchar *p = strstr(log, "messages refused, disk full"); p != NULL;
         p = strstr(p + 1, "messages refused, disk full"))
        lines++;
    if (lines != 1)
        fail_msg("expected one disk-full line for 21 refusals, got %u:\n%s", lines, log);
    assert_non_null(strstr(log, "a new file needs 8388608"));
    assert_non_null(strstr(log, "bytes free"));
    assert_non_null(status);
    assert_non_null(strstr(status, "commitlog"));
    assert_int_equal(exit_status, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topic_create_delete),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_broker_config),
        cmocka_unit_test(test_runtime_info),
        cmocka_unit_test(test_refusals_counted_and_logged_once),
        cmocka_unit_test(test_stats_and_connections),
        cmocka_unit_test(test_consumer_admin),
        cmocka_unit_test(test_no_auto_create),
        cmocka_unit_test(test_sync_flush),
        cmocka_unit_test(test_disk_full),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
