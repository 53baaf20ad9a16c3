/* A client of the cluster for the console's browser tests (run.sh builds
 * it; the tests spawn it), written with the project's client library:
 *
 *   console-helper producer NAMESRV TOPIC GROUP SECONDS
 *       sends one message as producer group GROUP (the broker registers the
 *       producer with its heartbeat), prints "READY <clientId>", and stays
 *       connected until SECONDS pass or standard input closes.
 *   console-helper dlq NAMESRV TOPIC GROUP N
 *       sends N messages to TOPIC (keys dlq-key-<i>, body "dead letter <i>")
 *       and gives each up for GROUP (CONSUMER_SEND_MSG_BACK with delay level
 *       -1: straight to %DLQ%GROUP, as a consumer does after its last retry);
 *       prints the msgId of each, one a line.
 *   console-helper consumer NAMESRV TOPIC GROUP SECONDS
 *       a consumer of GROUP on TOPIC as the broker sees one (HEART_BEAT on
 *       the topic's master) that answers what the broker relays to it:
 *       GET_CONSUMER_RUNNING_INFO (its properties) and CONSUME_MESSAGE_DIRECTLY
 *       (CR_SUCCESS; prints "DIRECT <msgId>"), and prints "RESET" for each
 *       RESET_CONSUMER_CLIENT_OFFSET. Prints "READY <clientId>"; stays until
 *       SECONDS pass or standard input closes.
 *   console-helper trace NAMESRV TOPIC
 *       sends a message to TOPIC, then its trace as a tracer writes it to
 *       RMQ_SYS_TRACE_TOPIC in Java's format (Pub, then SubBefore and SubAfter
 *       of group trace-cg), keyed by the message id; prints the msgId.
 *
 * Exit status 0 on success, 1 on any failure (the reason on stderr). */
#include <config.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/rmq-client.h"
#include "remoting/client.h"
#include "remoting/codes.h"
#include "remoting/command.h"
#include "remoting/connection.h"

static int
producer(const gchar *ns, const gchar *topic, const gchar *group, guint seconds)
{
    g_autoptr(RmqProducer) p = rmq_producer_new(group, ns, NULL);
    g_autoptr(RmqMsg) m = rmq_msg_new(topic, "producer helper", -1);
    RmqSendResult r = { 0 };
    g_autoptr(GError) error = NULL;
    if (!rmq_producer_send(p, m, &r, &error)) {
        g_printerr("send: %s\n", error->message);
        return 1;
    }
    rmq_send_result_clear(&r);
    printf("READY %s\n", group);
    fflush(stdout);
    /* bounded: SECONDS at most, less when the test closes our stdin */
    g_autoptr(GInputStream) in = g_unix_input_stream_new(0, FALSE);
    gint64 end = g_get_monotonic_time() + (gint64) seconds * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < end) {
        GPollFD fd = { .fd = 0, .events = G_IO_IN | G_IO_HUP };
        if (g_poll(&fd, 1, 200) > 0) {
            gchar buf[64];
            if (read(0, buf, sizeof buf) <= 0)
                break;
        }
        g_main_context_iteration(rmq_producer_get_context(p), FALSE);
    }
    return 0;
}

static int
dlq(const gchar *ns, const gchar *topic, const gchar *group, guint n)
{
    g_autoptr(RmqProducer) p = rmq_producer_new("console-helper-pg", ns, NULL);
    g_autoptr(RmqAdmin) admin = rmq_admin_new(ns, NULL);
    for (guint i = 0; i < n; i++) {
        g_autofree gchar *body = g_strdup_printf("dead letter %u", i);
        g_autofree gchar *key = g_strdup_printf("dlq-key-%u", i);
        g_autoptr(RmqMsg) m = rmq_msg_new(topic, body, -1);
        rmq_msg_set_keys(m, key);
        rmq_msg_set_tags(m, "dlq-tag");
        rmq_msg_put_property(m, "helper", "console");
        RmqSendResult r = { 0 };
        g_autoptr(GError) error = NULL;
        if (!rmq_producer_send(p, m, &r, &error)) {
            g_printerr("send: %s\n", error->message);
            return 1;
        }
        g_autoptr(RmqMsg) stored = rmq_admin_view_message(admin, r.offset_msg_id, &error);
        if (stored == NULL) {
            g_printerr("view %s: %s\n", r.offset_msg_id, error->message);
            rmq_send_result_clear(&r);
            return 1;
        }
        g_autofree gchar *offset = g_strdup_printf("%" G_GINT64_FORMAT, stored->commit_log_offset);
        g_autoptr(GBytes) b = rmq_admin_invoke(
            admin, stored->store_host, RMQ_REQUEST_CONSUMER_SEND_MSG_BACK, NULL, NULL, &error,
            "offset", offset, "group", group, "delayLevel", "-1", "originMsgId", r.msg_id,
            "originTopic", topic, "unitMode", "false", "maxReconsumeTimes", "16", NULL);
        if (b == NULL) {
            g_printerr("send back: %s\n", error->message);
            rmq_send_result_clear(&r);
            return 1;
        }
        printf("%s\n", r.msg_id);
        rmq_send_result_clear(&r);
    }
    return 0;
}

typedef struct {
    const gchar *client_id;
    const gchar *topic;
} Fake;

static void
on_request(RmqConnection *conn, RmqCommand *req, gpointer data)
{
    Fake *f = data;
    const gchar *body = NULL;
    g_autofree gchar *info = NULL;
    if (req->code == RMQ_REQUEST_GET_CONSUMER_RUNNING_INFO) {
        info = g_strdup_printf("{\"properties\":{\"consumeType\":\"CONSUME_PASSIVELY\","
                               "\"fakeClient\":\"%s\"},\"mqTable\":{{\"brokerName\":\"broker-a\","
                               "\"queueId\":0,\"topic\":\"%s\"}:{\"commitOffset\":0}}}",
                               f->client_id, f->topic);
        body = info;
    } else if (req->code == RMQ_REQUEST_CONSUME_MESSAGE_DIRECTLY) {
        printf("DIRECT %s\n", rmq_command_get_ext(req, "msgId"));
        body = "{\"order\":false,\"autoCommit\":true,\"consumeResult\":\"CR_SUCCESS\","
               "\"remark\":\"console-helper\",\"spentTimeMills\":1}";
    } else if (req->code == RMQ_REQUEST_RESET_CONSUMER_CLIENT_OFFSET) {
        printf("RESET\n");
    }
    fflush(stdout);
    if (body != NULL) {
        RmqCommand *resp = rmq_command_new_response(req, RMQ_RESPONSE_SUCCESS, NULL);
        rmq_command_set_body_data(resp, body, strlen(body));
        rmq_connection_send_response(conn, req, resp);
    }
    rmq_command_free(req);
}

static int
consumer(const gchar *ns, const gchar *topic, const gchar *group, guint seconds)
{
    g_autoptr(RmqAdmin) admin = rmq_admin_new(ns, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *broker = rmq_admin_broker_master_addr(admin, "broker-a", &error);
    if (broker == NULL) {
        g_printerr("broker: %s\n", error->message);
        return 1;
    }
    g_autofree gchar *client_id = g_strdup_printf("127.0.0.1@helper-%d", (int) getpid());
    Fake f = { client_id, topic };
    g_autoptr(RmqClient) client = rmq_client_new(NULL);
    rmq_client_set_request_handler(client, on_request, &f);
    g_autofree gchar *hb = g_strdup_printf(
        "{\"clientID\":\"%s\",\"consumerDataSet\":[{\"groupName\":\"%s\","
        "\"consumeType\":\"CONSUME_PASSIVELY\",\"messageModel\":\"CLUSTERING\","
        "\"consumeFromWhere\":\"CONSUME_FROM_LAST_OFFSET\",\"subscriptionDataSet\":[{"
        "\"topic\":\"%s\",\"subString\":\"*\",\"subVersion\":1}]}],\"producerDataSet\":[]}",
        client_id, group, topic);
    gint64 end = g_get_monotonic_time() + (gint64) seconds * G_USEC_PER_SEC;
    gint64 next_hb = 0;
    gboolean ready = FALSE;
    while (g_get_monotonic_time() < end) {
        if (g_get_monotonic_time() >= next_hb) {
            /* again every 10 s, as clients do, so the broker keeps the channel */
            RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_HEART_BEAT);
            rmq_command_set_body_data(req, hb, strlen(hb));
            g_autoptr(GError) e = NULL;
            RmqCommand *resp = rmq_client_invoke_sync(client, broker, req, 5000, &e);
            if (resp == NULL || resp->code != RMQ_RESPONSE_SUCCESS) {
                g_printerr("heartbeat: %s\n", e ? e->message : "refused");
                if (resp)
                    rmq_command_free(resp);
                return 1;
            }
            rmq_command_free(resp);
            next_hb = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
            if (!ready) {
                printf("READY %s\n", client_id);
                fflush(stdout);
                ready = TRUE;
            }
        }
        GPollFD fd = { .fd = 0, .events = G_IO_IN | G_IO_HUP };
        if (g_poll(&fd, 1, 20) > 0) {
            gchar buf[64];
            if (read(0, buf, sizeof buf) <= 0)
                break;
        }
        while (g_main_context_iteration(NULL, FALSE))
            ;
    }
    return 0;
}

static int
trace(const gchar *ns, const gchar *topic)
{
    g_autoptr(RmqProducer) p = rmq_producer_new("console-helper-trace-pg", ns, NULL);
    g_autoptr(RmqMsg) m = rmq_msg_new(topic, "traced by the helper", -1);
    rmq_msg_set_keys(m, "helper-trace-key");
    RmqSendResult r = { 0 };
    g_autoptr(GError) error = NULL;
    if (!rmq_producer_send(p, m, &r, &error)) {
        g_printerr("send: %s\n", error->message);
        return 1;
    }
    gint64 now = g_get_real_time() / 1000;
    g_autoptr(RmqAdmin) admin = rmq_admin_new(ns, NULL);
    g_autofree gchar *broker = rmq_admin_broker_master_addr(admin, "broker-a", NULL);
    /* TraceDataEncoder's records: fields split by char 1, records ended by char 2 */
    g_autofree gchar *data = g_strdup_printf(
        "Pub\001%" G_GINT64_FORMAT "\001DefaultRegion\001console-helper-trace-pg\001%s\001%s\001\001"
        "helper-trace-key\001%s\00120\0013\0010\001%s\001true\002"
        "SubBefore\001%" G_GINT64_FORMAT "\001DefaultRegion\001trace-cg\001req-1\001%s\0010\001"
        "helper-trace-key\002"
        "SubAfter\001req-1\001%s\0017\001true\001helper-trace-key\0010\001%" G_GINT64_FORMAT
        "\001trace-cg\002",
        now, topic, r.msg_id, broker ? broker : "", r.offset_msg_id, now + 20, r.msg_id, r.msg_id,
        now + 27);
    g_autoptr(RmqMsg) t = rmq_msg_new("RMQ_SYS_TRACE_TOPIC", data, -1);
    g_autofree gchar *keys = g_strdup_printf("%s helper-trace-key", r.msg_id);
    rmq_msg_set_keys(t, keys);
    RmqSendResult tr = { 0 };
    if (!rmq_producer_send(p, t, &tr, &error)) {
        g_printerr("trace send: %s\n", error->message);
        rmq_send_result_clear(&r);
        return 1;
    }
    printf("%s\n", r.msg_id);
    rmq_send_result_clear(&tr);
    rmq_send_result_clear(&r);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "producer") == 0)
        return producer(argv[2], argv[3], argv[4], (guint) CLAMP(atoi(argv[5]), 1, 600));
    if (argc == 6 && strcmp(argv[1], "dlq") == 0)
        return dlq(argv[2], argv[3], argv[4], (guint) CLAMP(atoi(argv[5]), 1, 100));
    if (argc == 6 && strcmp(argv[1], "consumer") == 0)
        return consumer(argv[2], argv[3], argv[4], (guint) CLAMP(atoi(argv[5]), 1, 600));
    if (argc == 4 && strcmp(argv[1], "trace") == 0)
        return trace(argv[2], argv[3]);
    g_printerr("usage: console-helper producer|dlq|consumer NAMESRV TOPIC GROUP SECONDS|N\n"
               "       console-helper trace NAMESRV TOPIC\n");
    return 2;
}
