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
#include "remoting/codes.h"

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

int
main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "producer") == 0)
        return producer(argv[2], argv[3], argv[4], (guint) CLAMP(atoi(argv[5]), 1, 600));
    if (argc == 6 && strcmp(argv[1], "dlq") == 0)
        return dlq(argv[2], argv[3], argv[4], (guint) CLAMP(atoi(argv[5]), 1, 100));
    g_printerr("usage: console-helper producer|dlq NAMESRV TOPIC GROUP SECONDS|N\n");
    return 2;
}
