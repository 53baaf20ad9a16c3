/* Request-reply against a real rmq-namesrv and rmq-broker (docs/protocol.md
 * §17): a requester (rmq_producer_request) and a replier (a pull consumer
 * and rmq_producer_reply on another thread, with its own context and
 * instance); the reply topic in the route and in the store; the requester
 * gone (Java's SYSTEM_ERROR remarks, the reply still stored); a requester
 * that refuses the push; the PUSH_REPLY_MESSAGE_TO_CLIENT header fields;
 * storeReplyMessageEnable = false; the wait timing out. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../broker/harness.h"
#include "client/internal.h"
#include "tool-run.h"

#define REQ_TOPIC "RrRequests"
#define REPLY_TOPIC "DefaultCluster_REPLY_TOPIC"

static BkDaemon *ns;
static BkDaemon *broker;
static RmqAdmin *admin;

static int
setup(void **state)
{
    (void) state;
    if (!bk_pair_start(&ns, &broker, NULL))
        return -1;
    admin = rmq_admin_new(ns->addr, NULL);
    return tool_create_topic(admin, broker->addr, REQ_TOPIC) ? 0 : -1;
}

static int
teardown(void **state)
{
    (void) state;
    rmq_admin_free(admin);
    bk_daemon_free(broker);
    bk_daemon_free(ns);
    return 0;
}

/* Wait until the name server has @topic's route. */
static gboolean
wait_route(const gchar *topic)
{
    for (int i = 0; i < 100; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) r = rmq_admin_topic_route(admin, topic, &error);
        if (r != NULL)
            return TRUE;
        g_usleep(100000);
    }
    return FALSE;
}

/* ------------------------------------------------------------ replier */

typedef struct {
    gchar *namesrv;
    guint want;          /* requests to answer */
    guint answered;
    gchar *error;        /* first failure */
    GPtrArray *requests; /* the request messages seen (RmqMsg) */
} Replier;

static gpointer
replier_main(gpointer data)
{
    Replier *r = data;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    {
        g_autoptr(RmqInstance) inst = rmq_instance_new(r->namesrv, ctx);
        g_autoptr(RmqConsumer) c = rmq_consumer_new_on(inst, "RrReplierGroup");
        g_autoptr(RmqProducer) p = rmq_producer_new_on(inst, "RrReplierProducer");
        g_autoptr(RmqQueue) q = rmq_queue_new(REQ_TOPIC, "broker-a", 0);
        gint64 offset = 0;
        gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
        while (r->answered < r->want && r->error == NULL && g_get_monotonic_time() < deadline) {
            RmqPullResult pr = { 0 };
            g_autoptr(GError) error = NULL;
            if (!rmq_consumer_pull(c, q, "*", offset, 32, 1000, &pr, &error)) {
                g_usleep(50000);
                continue;
            }
            offset = pr.next_begin_offset;
            for (guint i = 0; pr.msgs != NULL && i < pr.msgs->len; i++) {
                RmqMsg *m = g_ptr_array_index(pr.msgs, i);
                gsize len;
                const gchar *body = g_bytes_get_data(m->body, &len);
                g_autofree gchar *answer = g_strdup_printf("re:%.*s", (int) len, body);
                RmqSendResult sr = { 0 };
                if (!rmq_producer_reply(p, m, answer, -1, &sr, &error)) {
                    r->error = g_strdup(error->message);
                    break;
                }
                rmq_send_result_clear(&sr);
                g_ptr_array_add(r->requests, g_ptr_array_steal_index(pr.msgs, i--));
                r->answered++;
            }
            rmq_pull_result_clear(&pr);
        }
        if (r->answered < r->want && r->error == NULL)
            r->error = g_strdup("replier gave up waiting for requests");
    }
    g_main_context_pop_thread_default(ctx);
    return NULL;
}

static void
test_request_reply(void **state)
{
    (void) state;
    assert_true(wait_route(REQ_TOPIC));
    /* the reply topic is one of the broker's own and is in the route */
    assert_true(wait_route(REPLY_TOPIC));

    Replier r = { .namesrv = ns->addr, .want = 3 };
    r.requests = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
    GThread *t = g_thread_new("replier", replier_main, &r);

    g_autoptr(RmqProducer) p = rmq_producer_new("RrRequester", ns->addr, NULL);
    const gchar *client_id = rmq_instance_get_client_id(rmq_producer_get_instance(p));
    g_autoptr(GPtrArray) corrs = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < 3; i++) {
        g_autofree gchar *body = g_strdup_printf("question %d", i);
        g_autoptr(RmqMsg) m = rmq_msg_new(REQ_TOPIC, body, -1);
        g_autoptr(GError) error = NULL;
        gint64 t0 = g_get_monotonic_time();
        g_autoptr(RmqMsg) reply = rmq_producer_request(p, m, 10000, &error);
        /* reported, not checked: the replier long-polls, so this is a round trip */
        g_print("# request %d answered in %.1f ms\n", i, (g_get_monotonic_time() - t0) / 1000.0);
        if (reply == NULL)
            fail_msg("request %d: %s", i, error->message);
        g_autofree gchar *want = g_strdup_printf("re:question %d", i);
        gsize len;
        const gchar *got = g_bytes_get_data(reply->body, &len);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(got, want, len);
        const gchar *corr = rmq_msg_get_property(m, RMQ_PROPERTY_CORRELATION_ID);
        assert_non_null(corr);
        assert_string_equal(rmq_msg_get_property(reply, RMQ_PROPERTY_CORRELATION_ID), corr);
        assert_string_equal(rmq_msg_get_property(reply, RMQ_PROPERTY_REPLY_TO_CLIENT), client_id);
        assert_string_equal(rmq_msg_get_property(reply, RMQ_PROPERTY_MSG_TYPE), "reply");
        assert_string_equal(rmq_msg_get_property(reply, RMQ_PROPERTY_TTL), "10000");
        assert_non_null(rmq_msg_get_property(reply, RMQ_PROPERTY_PUSH_REPLY_TIME));
        assert_non_null(rmq_msg_get_property(reply, RMQ_PROPERTY_ARRIVE_TIME));
        assert_string_equal(reply->topic, REPLY_TOPIC);
        assert_string_equal(reply->store_host, broker->addr);
        g_ptr_array_add(corrs, g_strdup(corr));
    }
    g_thread_join(t);
    if (r.error != NULL)
        fail_msg("replier: %s", r.error);
    /* what the replier got: the request properties Java's request() sets,
     * and CLUSTER from the broker */
    assert_int_equal(r.requests->len, 3);
    for (guint i = 0; i < 3; i++) {
        RmqMsg *m = g_ptr_array_index(r.requests, i);
        assert_string_equal(rmq_msg_get_property(m, RMQ_PROPERTY_CORRELATION_ID),
                            g_ptr_array_index(corrs, i));
        assert_string_equal(rmq_msg_get_property(m, RMQ_PROPERTY_REPLY_TO_CLIENT), client_id);
        assert_string_equal(rmq_msg_get_property(m, RMQ_PROPERTY_TTL), "10000");
        assert_string_equal(rmq_msg_get_property(m, RMQ_PROPERTY_CLUSTER), "DefaultCluster");
    }
    g_ptr_array_unref(r.requests);
    g_free(r.error);

    /* storeReplyMessageEnable (default true): the replies are in the store */
    g_autoptr(RmqConsumer) c = rmq_consumer_new("RrReplyReader", ns->addr, NULL);
    g_autoptr(RmqQueue) q = rmq_queue_new(REPLY_TOPIC, "broker-a", 0);
    RmqPullResult pr = { 0 };
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_pull(c, q, "*", 0, 32, 0, &pr, &error));
    assert_int_equal(pr.status, RMQ_PULL_FOUND);
    assert_true(pr.msgs->len >= 3);
    guint matched = 0;
    for (guint i = 0; i < pr.msgs->len; i++) {
        RmqMsg *m = g_ptr_array_index(pr.msgs, i);
        const gchar *corr = rmq_msg_get_property(m, RMQ_PROPERTY_CORRELATION_ID);
        for (guint k = 0; corr != NULL && k < corrs->len; k++)
            matched += g_strcmp0(corr, g_ptr_array_index(corrs, k)) == 0;
        /* stored as sent: no PUSH_REPLY_TIME, no CLUSTER added */
        assert_null(rmq_msg_get_property(m, RMQ_PROPERTY_PUSH_REPLY_TIME));
        assert_null(rmq_msg_get_property(m, RMQ_PROPERTY_CLUSTER));
    }
    assert_int_equal(matched, 3);
    rmq_pull_result_clear(&pr);
}

/* ------------------------------------------------------------ raw replies */

/* A SEND_REPLY_MESSAGE (324, long header names) or _V2 (325). */
static RmqCommand *
reply_request(gboolean v2, const gchar *props, const gchar *body)
{
    RmqCommand *req = rmq_command_new_request(v2 ? RMQ_REQUEST_SEND_REPLY_MESSAGE_V2
                                                 : RMQ_REQUEST_SEND_REPLY_MESSAGE);
    const gchar *names[] = { "producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums",
                             "queueId", "sysFlag", "bornTimestamp", "flag", "properties",
                             "reconsumeTimes", "unitMode" };
    g_autofree gchar *born = g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time() / 1000);
    const gchar *values[] = { "RrRawReplier", REPLY_TOPIC, "TBW102", "4", "-1", "0", born, "7",
                              props, "0", "false" };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        gchar key[2] = { (gchar) ('a' + i), 0 };
        rmq_command_set_ext(req, v2 ? key : names[i], values[i]);
    }
    rmq_command_set_body_data(req, body, strlen(body));
    return req;
}

static void
test_requester_gone(void **state)
{
    (void) state;
    g_autoptr(RmqClient) c = rmq_client_new(NULL);
    g_autoptr(GError) error = NULL;
    /* a client id nobody registered */
    g_autoptr(RmqCommand) r1 = rmq_client_invoke_sync(
        c, broker->addr,
        reply_request(FALSE, "MSG_TYPE\001reply\002CORRELATION_ID\001gone-1\002REPLY_TO_CLIENT\001"
                             "10.9.9.9@1#1\002TTL\0013000",
                      "late answer"),
        5000, &error);
    assert_non_null(r1);
    assert_int_equal(r1->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(r1->remark, "push reply message fail, channel of <10.9.9.9@1#1> not found.");
    /* stored all the same: the header names where */
    const gchar *id = rmq_command_get_ext(r1, "msgId");
    assert_non_null(id);
    assert_int_equal(strlen(id), 32);
    assert_int_equal(bk_ext_int(r1, "queueId", -1), 0);
    gint64 off1 = bk_ext_int(r1, "queueOffset", -1);
    assert_true(off1 >= 0);
    assert_string_equal(rmq_command_get_ext(r1, "TRACE_ON"), "true");
    assert_string_equal(rmq_command_get_ext(r1, "MSG_REGION"), "DefaultRegion");

    /* no REPLY_TO_CLIENT: V2 header */
    g_autoptr(RmqCommand) r2 = rmq_client_invoke_sync(
        c, broker->addr, reply_request(TRUE, "MSG_TYPE\001reply\002CORRELATION_ID\001gone-2", "x"),
        5000, &error);
    assert_non_null(r2);
    assert_int_equal(r2->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(r2->remark, "reply message properties[REPLY_TO_CLIENT] is null");
    assert_int_equal(bk_ext_int(r2, "queueOffset", -1), off1 + 1);

    /* a requester that registered and then went away (its connection
     * closed): the broker forgot its channel */
    {
        g_autoptr(RmqClient) gone = rmq_client_new(NULL);
        g_autoptr(GBytes) hb = rmq_mq_heartbeat_body("127.0.0.1@88#gone", "RrGoneGroup", NULL, NULL);
        g_autoptr(RmqCommand) h = bk_invoke(gone, broker->addr, RMQ_REQUEST_HEART_BEAT, hb, NULL);
        assert_int_equal(h->code, RMQ_RESPONSE_SUCCESS);
        rmq_client_close_connection(gone, broker->addr);
    }
    g_autoptr(RmqCommand) r0 = NULL;
    for (int i = 0; i < 50; i++) {
        g_clear_pointer(&r0, rmq_command_free);
        r0 = rmq_client_invoke_sync(
            c, broker->addr,
            reply_request(TRUE, "MSG_TYPE\001reply\002REPLY_TO_CLIENT\001127.0.0.1@88#gone", "z"),
            5000, &error);
        assert_non_null(r0);
        if (r0->remark != NULL && strstr(r0->remark, "not found") != NULL)
            break;
        g_usleep(50000); /* the broker sees the close a moment later */
    }
    assert_int_equal(r0->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(r0->remark, "push reply message fail, channel of <127.0.0.1@88#gone> not found.");

    /* the C replier sees Java's remark in its error (after its retries) */
    g_autoptr(RmqProducer) p = rmq_producer_new("RrLateReplier", ns->addr, NULL);
    g_autoptr(RmqMsg) req = rmq_msg_new(REQ_TOPIC, "q", -1);
    rmq_msg_put_property(req, RMQ_PROPERTY_CLUSTER, "DefaultCluster");
    rmq_msg_put_property(req, RMQ_PROPERTY_CORRELATION_ID, "gone-3");
    rmq_msg_put_property(req, RMQ_PROPERTY_REPLY_TO_CLIENT, "10.9.9.9@2#2");
    RmqSendResult sr = { 0 };
    g_autoptr(GError) rerr = NULL;
    assert_false(rmq_producer_reply(p, req, "late", -1, &sr, &rerr));
    assert_non_null(strstr(rerr->message, "push reply message fail, channel of <10.9.9.9@2#2> not found."));
    /* a request without CLUSTER cannot be answered */
    g_autoptr(RmqMsg) bare = rmq_msg_new(REQ_TOPIC, "q", -1);
    g_autoptr(GError) berr = NULL;
    assert_null(rmq_msg_new_reply(bare, "x", -1, &berr));
    assert_true(g_error_matches(berr, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL));

    /* the requester waits out its timeout when nobody replies */
    g_autoptr(RmqProducer) rq = rmq_producer_new("RrLonelyRequester", ns->addr, NULL);
    g_autoptr(RmqMsg) m = rmq_msg_new(REQ_TOPIC, "anyone?", -1);
    g_autoptr(GError) terr = NULL;
    g_autoptr(RmqMsg) none = rmq_producer_request(rq, m, 700, &terr);
    assert_null(none);
    assert_true(g_error_matches(terr, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TIMEOUT));
    assert_non_null(strstr(terr->message, "OK, but wait reply message timeout, 700 ms."));
}

/* ------------------------------------------------------------ push header */

typedef struct {
    RmqCommand *push;   /* the 326 seen */
    gint32 answer;      /* code to answer it with */
} FakeRequester;

static void
on_push(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    FakeRequester *f = user_data;
    RmqCommand *resp = rmq_command_new_response(req, f->answer, f->answer ? "not today" : NULL);
    rmq_connection_send_response(conn, req, resp);
    if (req->code == RMQ_REQUEST_PUSH_REPLY_MESSAGE_TO_CLIENT && f->push == NULL)
        f->push = req;
    else
        rmq_command_free(req);
}

typedef struct {
    RmqCommand *resp;
    gboolean done;
} Answer;

static void
on_answer(RmqCommand *resp, const GError *error, gpointer data)
{
    Answer *a = data;
    (void) error;
    a->resp = resp;
    a->done = TRUE;
}

/* One reply sent on @replier, the default context iterated until answered
 * (the fake requester answers the push from the same context). */
static RmqCommand *
send_reply_async(RmqClient *replier, RmqCommand *req)
{
    Answer a = { 0 };
    rmq_client_invoke_async(replier, broker->addr, req, 15000, on_answer, &a);
    while (!a.done)
        g_main_context_iteration(NULL, TRUE);
    return a.resp;
}

static void
test_push_header_and_refusal(void **state)
{
    (void) state;
    FakeRequester f = { 0 };
    g_autoptr(RmqClient) requester = rmq_client_new(NULL);
    rmq_client_set_request_handler(requester, on_push, &f);
    g_autoptr(GBytes) hb = rmq_mq_heartbeat_body("127.0.0.1@77#fake", "RrFakeGroup", NULL, NULL);
    g_autoptr(RmqCommand) h = bk_invoke(requester, broker->addr, RMQ_REQUEST_HEART_BEAT, hb, NULL);
    assert_int_equal(h->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqClient) replier = rmq_client_new(NULL);
    const gchar *props = "MSG_TYPE\001reply\002CORRELATION_ID\001fake-1\002REPLY_TO_CLIENT\001"
                         "127.0.0.1@77#fake\002TTL\0013000";

    /* accepted: SUCCESS, the stored message's id */
    g_autoptr(RmqCommand) r1 = send_reply_async(replier, reply_request(FALSE, props, "the answer"));
    assert_non_null(r1);
    assert_int_equal(r1->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(strlen(rmq_command_get_ext(r1, "msgId")), 32);
    assert_non_null(f.push);
    /* Java's ReplyMessageRequestHeader */
    RmqCommand *push = f.push;
    assert_int_equal(push->code, RMQ_REQUEST_PUSH_REPLY_MESSAGE_TO_CLIENT);
    const gchar *born = rmq_command_get_ext(push, "bornHost");
    assert_non_null(born);
    assert_true(g_str_has_prefix(born, "127.0.0.1:"));
    assert_string_equal(rmq_command_get_ext(push, "storeHost"), broker->addr);
    assert_true(bk_ext_int(push, "storeTimestamp", 0) > 1600000000000);
    assert_string_equal(rmq_command_get_ext(push, "producerGroup"), "RrRawReplier");
    assert_string_equal(rmq_command_get_ext(push, "topic"), REPLY_TOPIC);
    assert_string_equal(rmq_command_get_ext(push, "defaultTopic"), "TBW102");
    assert_int_equal(bk_ext_int(push, "defaultTopicQueueNums", 0), 4);
    assert_int_equal(bk_ext_int(push, "queueId", 0), -1); /* the request's, as Java */
    assert_int_equal(bk_ext_int(push, "sysFlag", -1), 0);
    assert_int_equal(bk_ext_int(push, "flag", 0), 7);
    assert_true(bk_ext_int(push, "bornTimestamp", 0) > 1600000000000);
    assert_int_equal(bk_ext_int(push, "reconsumeTimes", -1), 0);
    assert_string_equal(rmq_command_get_ext(push, "unitMode"), "false");
    const gchar *pp = rmq_command_get_ext(push, "properties");
    g_autofree gchar *corr = rmq_message_property_dup(pp, strlen(pp), "CORRELATION_ID");
    g_autofree gchar *pushed = rmq_message_property_dup(pp, strlen(pp), "PUSH_REPLY_TIME");
    assert_string_equal(corr, "fake-1");
    assert_non_null(pushed);
    assert_int_equal(g_bytes_get_size(push->body), strlen("the answer"));
    /* the client library reads it as Java's receiveReplyMessage does */
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqMsg) m = rmq_mq_reply_from_push(push, &error);
    assert_non_null(m);
    assert_string_equal(rmq_msg_get_property(m, "CORRELATION_ID"), "fake-1");
    assert_non_null(rmq_msg_get_property(m, "ARRIVE_TIME"));
    assert_int_equal(m->flag, 7);
    g_clear_pointer(&f.push, rmq_command_free);

    /* refused by the requester: Java's remark (no space before "fail.") */
    f.answer = RMQ_RESPONSE_SYSTEM_ERROR;
    g_autoptr(RmqCommand) r2 = send_reply_async(replier, reply_request(TRUE, props, "again"));
    assert_int_equal(r2->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(r2->remark, "push reply message to 127.0.0.1@77#fakefail.");
    g_clear_pointer(&f.push, rmq_command_free);

    /* storeReplyMessageEnable = false: pushed, not stored: "0", queue, 0 */
    f.answer = RMQ_RESPONSE_SUCCESS;
    assert_true(rmq_admin_update_broker_config(admin, broker->addr, "storeReplyMessageEnable",
                                               "false", &error));
    g_autoptr(RmqCommand) r3 = send_reply_async(replier, reply_request(TRUE, props, "unstored"));
    assert_int_equal(r3->code, RMQ_RESPONSE_SUCCESS);
    assert_string_equal(rmq_command_get_ext(r3, "msgId"), "0");
    assert_int_equal(bk_ext_int(r3, "queueOffset", -1), 0);
    assert_int_equal(bk_ext_int(r3, "queueId", -1), 0);
    assert_non_null(f.push);
    g_clear_pointer(&f.push, rmq_command_free);
    /* requester gone and nothing stored: no header at all */
    g_autoptr(RmqCommand) r4 = send_reply_async(
        replier, reply_request(TRUE, "MSG_TYPE\001reply\002REPLY_TO_CLIENT\001nobody", "y"));
    assert_int_equal(r4->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_null(rmq_command_get_ext(r4, "msgId"));
    assert_true(rmq_admin_update_broker_config(admin, broker->addr, "storeReplyMessageEnable",
                                               "true", &error));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_reply),
        cmocka_unit_test(test_requester_gone),
        cmocka_unit_test(test_push_header_and_refusal),
    };
    return cmocka_run_group_tests_name("request-reply", tests, setup, teardown);
}
