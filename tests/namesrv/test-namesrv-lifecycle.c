/* rmq-namesrv lifecycle over TCP: a silent broker expires (short expiry in
 * the config file), KV config survives a restart, two instances run side by
 * side without sharing state, SIGHUP reloads and keeps serving, SIGTERM
 * exits 0. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "remoting/codes.h"

static NsDaemon *
start(const gchar *instance, const gchar *extra)
{
    NsDaemon *d = ns_daemon_new(instance, extra);
    g_autoptr(GError) err = NULL;
    if (!ns_daemon_start(d, 10000, &err))
        fail_msg("%s", err->message);
    return d;
}

static void
test_silent_broker_expires(void **state)
{
    (void) state;
    g_autoptr(NsDaemon) d = start("expiry", "brokerChannelExpiredTime = 1500;\n"
                                            "scanNotActiveBrokerInterval = 200;\n");
    g_autoptr(RmqClient) client = rmq_client_new(NULL);
    g_autoptr(RmqClient) broker = rmq_client_new(NULL);
    g_autoptr(GError) err = NULL;
    const gchar *topics[] = { "ExpiringTopic", NULL };
    const gchar *live_topics[] = { "LiveTopic", NULL };

    g_autoptr(RmqCommand) reg = ns_register(broker, d->addr, "C", "broker-quiet", 0,
                                            "10.9.0.1:10911", "10.9.0.1:10912", 1, topics, &err);
    assert_int_equal(reg->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(ns_wait_route_code(client, d->addr, "ExpiringTopic", RMQ_RESPONSE_SUCCESS,
                                        1000),
                     RMQ_RESPONSE_SUCCESS);

    /* A second broker keeps re-registering (on the observer's connection)
     * and must survive the whole time. */
    gint32 quiet = RMQ_RESPONSE_SUCCESS;
    gint64 deadline = g_get_monotonic_time() + 15 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < deadline) {
        g_autoptr(RmqCommand) again = ns_register(client, d->addr, "C", "broker-live", 0,
                                                  "10.9.0.2:10911", "10.9.0.2:10912", 1,
                                                  live_topics, &err);
        assert_int_equal(again->code, RMQ_RESPONSE_SUCCESS);
        quiet = ns_wait_route_code(client, d->addr, "ExpiringTopic", RMQ_RESPONSE_TOPIC_NOT_EXIST,
                                   0);
        if (quiet == RMQ_RESPONSE_TOPIC_NOT_EXIST)
            break;
        g_usleep(200 * 1000);
    }
    assert_int_equal(quiet, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    assert_int_equal(ns_wait_route_code(client, d->addr, "LiveTopic", RMQ_RESPONSE_SUCCESS, 0),
                     RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *log = ns_daemon_log(d);
    assert_non_null(strstr(log, "broker-quiet"));
    assert_non_null(strstr(log, "expired"));
    assert_null(strstr(log, "broker-live (10.9.0.2:10911, cluster C) expired"));
}

static RmqCommand *
kv_get(RmqClient *c, NsDaemon *d, const gchar *ns, const gchar *key)
{
    g_autoptr(GError) err = NULL;
    RmqCommand *r = ns_invoke(c, d->addr, RMQ_REQUEST_GET_KV_CONFIG, NULL, &err, "namespace", ns,
                              "key", key, NULL);
    assert_non_null(r);
    return r;
}

static void
test_kv_survives_restart(void **state)
{
    (void) state;
    g_autoptr(NsDaemon) d = start("kv", NULL);
    g_autoptr(GError) err = NULL;
    {
        g_autoptr(RmqClient) c = rmq_client_new(NULL);
        g_autoptr(RmqCommand) put = ns_invoke(c, d->addr, RMQ_REQUEST_PUT_KV_CONFIG, NULL, &err,
                                              "namespace", "ORDER_TOPIC_CONFIG", "key", "OrderT",
                                              "value", "broker-a:4;broker-b:4", NULL);
        assert_int_equal(put->code, RMQ_RESPONSE_SUCCESS);
        g_autoptr(RmqCommand) put2 = ns_invoke(c, d->addr, RMQ_REQUEST_PUT_KV_CONFIG, NULL, &err,
                                               "namespace", "NS2", "key", "k", "value", "v",
                                               NULL);
        assert_int_equal(put2->code, RMQ_RESPONSE_SUCCESS);
        g_autoptr(RmqCommand) got = kv_get(c, d, "NS2", "k");
        assert_int_equal(got->code, RMQ_RESPONSE_SUCCESS);
        assert_string_equal(rmq_command_get_ext(got, "value"), "v");

        /* A broker registering now gets the order-topic table as the reply body. */
        const gchar *topics[] = { "OrderT", NULL };
        g_autoptr(RmqCommand) reg = ns_register(c, d->addr, "C", "broker-a", 0, "10.4.0.1:10911",
                                                "10.4.0.1:10912", 1, topics, &err);
        assert_int_equal(reg->code, RMQ_RESPONSE_SUCCESS);
        g_autoptr(JsonNode) kvt = ns_body_json(reg);
        assert_non_null(kvt);
        JsonObject *table = json_object_get_object_member(json_node_get_object(kvt), "table");
        assert_string_equal(json_object_get_string_member(table, "OrderT"),
                            "broker-a:4;broker-b:4");
    }
    assert_int_equal(ns_daemon_signal_and_wait(d, SIGTERM, 10000), 0);
    assert_true(g_file_test(d->kv_path, G_FILE_TEST_IS_REGULAR));

    assert_true(ns_daemon_start(d, 10000, &err));
    g_autoptr(RmqClient) c = rmq_client_new(NULL);
    g_autoptr(RmqCommand) got = kv_get(c, d, "NS2", "k");
    assert_int_equal(got->code, RMQ_RESPONSE_SUCCESS);
    assert_string_equal(rmq_command_get_ext(got, "value"), "v");
    g_autoptr(RmqCommand) list = ns_invoke(c, d->addr, RMQ_REQUEST_GET_KVLIST_BY_NAMESPACE, NULL,
                                           &err, "namespace", "ORDER_TOPIC_CONFIG", NULL);
    assert_int_equal(list->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(JsonNode) ln = ns_body_json(list);
    assert_non_null(ln);

    g_autoptr(RmqCommand) del = ns_invoke(c, d->addr, RMQ_REQUEST_DELETE_KV_CONFIG, NULL, &err,
                                          "namespace", "NS2", "key", "k", NULL);
    assert_int_equal(del->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) miss = kv_get(c, d, "NS2", "k");
    assert_int_equal(miss->code, RMQ_RESPONSE_QUERY_NOT_FOUND);
    assert_string_equal(miss->remark, "No config item, Namespace: NS2 Key: k");
    g_autoptr(RmqCommand) nolist = ns_invoke(c, d->addr, RMQ_REQUEST_GET_KVLIST_BY_NAMESPACE,
                                             NULL, &err, "namespace", "NS2", NULL);
    assert_int_equal(nolist->code, RMQ_RESPONSE_QUERY_NOT_FOUND);
}

static void
test_two_instances(void **state)
{
    (void) state;
    g_autoptr(NsDaemon) a = start("ns-a", NULL);
    g_autoptr(NsDaemon) b = start("ns-b", NULL);
    assert_int_not_equal(a->port, b->port);
    g_autoptr(RmqClient) c = rmq_client_new(NULL);
    g_autoptr(GError) err = NULL;

    g_autoptr(RmqCommand) put = ns_invoke(c, a->addr, RMQ_REQUEST_PUT_KV_CONFIG, NULL, &err,
                                          "namespace", "N", "key", "only-a", "value", "1", NULL);
    assert_int_equal(put->code, RMQ_RESPONSE_SUCCESS);
    const gchar *topics[] = { "OnA", NULL };
    g_autoptr(RmqCommand) reg = ns_register(c, a->addr, "C", "broker-a", 0, "10.5.0.1:10911",
                                            "10.5.0.1:10912", 1, topics, &err);
    assert_int_equal(reg->code, RMQ_RESPONSE_SUCCESS);

    g_autoptr(RmqCommand) ga = kv_get(c, a, "N", "only-a");
    assert_int_equal(ga->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) gb = kv_get(c, b, "N", "only-a");
    assert_int_equal(gb->code, RMQ_RESPONSE_QUERY_NOT_FOUND);
    assert_int_equal(ns_wait_route_code(c, a->addr, "OnA", RMQ_RESPONSE_SUCCESS, 0),
                     RMQ_RESPONSE_SUCCESS);
    assert_int_equal(ns_wait_route_code(c, b->addr, "OnA", RMQ_RESPONSE_SUCCESS, 0),
                     RMQ_RESPONSE_TOPIC_NOT_EXIST);
    assert_false(g_file_test(b->kv_path, G_FILE_TEST_EXISTS));

    /* Each instance logs under its own name. */
    g_autofree gchar *la = ns_daemon_log(a);
    assert_non_null(strstr(la, "rmq-namesrv[ns-a]"));

    /* Stopping one leaves the other serving. */
    assert_int_equal(ns_daemon_signal_and_wait(a, SIGTERM, 10000), 0);
    g_autoptr(RmqCommand) still = ns_invoke(c, b->addr, RMQ_REQUEST_GET_BROKER_CLUSTER_INFO, NULL,
                                            &err, NULL);
    assert_non_null(still);
    assert_int_equal(still->code, RMQ_RESPONSE_SUCCESS);
}

static void
test_sighup_reload(void **state)
{
    (void) state;
    g_autoptr(NsDaemon) d = start("reload", NULL);
    g_autoptr(RmqClient) c = rmq_client_new(NULL);
    g_autoptr(GError) err = NULL;
    const gchar *topics[] = { "OrderedT", NULL };
    g_autoptr(RmqCommand) reg = ns_register(c, d->addr, "C", "broker-a", 0, "10.6.0.1:10911",
                                            "10.6.0.1:10912", 1, topics, &err);
    g_autoptr(RmqCommand) put = ns_invoke(c, d->addr, RMQ_REQUEST_PUT_KV_CONFIG, NULL, &err,
                                          "namespace", "ORDER_TOPIC_CONFIG", "key", "OrderedT",
                                          "value", "broker-a:4", NULL);
    g_autoptr(RmqCommand) r1 = ns_invoke(c, d->addr, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL,
                                         &err, "topic", "OrderedT", NULL);
    g_autoptr(JsonNode) n1 = ns_body_json(r1);
    assert_false(json_object_has_member(json_node_get_object(n1), "orderTopicConf"));

    /* orderMessageEnable may change at run time. */
    FILE *fp = fopen(d->conf_path, "a");
    assert_non_null(fp);
    fputs("orderMessageEnable = true;\n", fp);
    fclose(fp);
    g_subprocess_send_signal(d->proc, SIGHUP);
    g_autofree gchar *ready = ns_daemon_wait_notify(d, "READY=1", 10000);
    assert_non_null(ready);

    g_autoptr(RmqCommand) r2 = ns_invoke(c, d->addr, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL,
                                         &err, "topic", "OrderedT", NULL);
    assert_int_equal(r2->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(JsonNode) n2 = ns_body_json(r2);
    assert_string_equal(json_object_get_string_member(json_node_get_object(n2), "orderTopicConf"),
                        "broker-a:4");
}

/* A listen port held by another process: no READY, exit status 1, and the
 * log names the key and the port. */
static void
test_port_taken(void **state)
{
    (void) state;
    g_autoptr(NsDaemon) d = ns_daemon_new("ns-busy", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(GSocket) holder = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, &err);
    g_assert_no_error(err);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, d->port);
    assert_true(g_socket_bind(holder, sa, FALSE, &err));
    assert_true(g_socket_listen(holder, &err));

    assert_false(ns_daemon_start(d, 2000, &err));
    assert_int_equal(ns_daemon_signal_and_wait(d, 0, 5000), 1);
    g_autofree gchar *log = ns_daemon_log(d);
    g_autofree gchar *want = g_strdup_printf("listenPort %u", d->port);
    assert_non_null(strstr(log, want));
}

/* Slowloris: 20 peers trickle a frame a byte every 300 ms and 5 connect and
 * send nothing; with serverFrameTimeoutSeconds = 1 every one is closed
 * within a few seconds, with one log line each, while a client is served. */
static void
test_slowloris(void **state)
{
    (void) state;
    g_autoptr(NsDaemon) d = start("slowloris", "serverFrameTimeoutSeconds = 1;\n");
    g_autoptr(RmqClient) client = rmq_client_new(NULL);
    enum { SLOW = 20, SILENT = 5, ALL = SLOW + SILENT };
    int fds[ALL];
    gboolean gone[ALL] = { FALSE };
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(d->port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (guint i = 0; i < ALL; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(connect(fds[i], (struct sockaddr *) &sa, sizeof sa), 0);
    }
    /* a frame that says 100 bytes follow, sent a byte at a time */
    const guint8 frame[] = { 0, 0, 0, 100, 0, 0, 0, 20, '{', '"', 'c', 'o', 'd', 'e', '"' };
    guint closed = 0;
    for (guint step = 0; step < 20 && closed < ALL; step++) {
        for (guint i = 0; i < ALL; i++) {
            struct pollfd pfd = { fds[i], POLLIN, 0 };
            if (!gone[i] && poll(&pfd, 1, 0) == 1) {
                guint8 c;
                if (read(fds[i], &c, 1) <= 0) {
                    gone[i] = TRUE;
                    closed++;
                }
            }
            if (!gone[i] && i < SLOW && step < sizeof frame)
                (void) send(fds[i], &frame[step], 1, MSG_NOSIGNAL);
        }
        g_autoptr(GError) err = NULL;
        g_autoptr(RmqCommand) r = ns_invoke(client, d->addr,
                                            RMQ_REQUEST_GET_ALL_TOPIC_LIST_FROM_NAMESERVER, NULL,
                                            &err, NULL);
        assert_non_null(r);
        assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
        g_usleep(300 * 1000);
    }
    for (guint i = 0; i < ALL; i++)
        close(fds[i]);
    if (closed < ALL)
        fail_msg("%u of %u slow peers still connected after 6 s", ALL - closed, ALL);
    g_autofree gchar *log = ns_daemon_log(d);
    guint unfinished = 0, silent = 0;
    for (const gchar *p = strstr(log, "frame not finished within 1 s"); p != NULL;
         p = strstr(p + 1, "frame not finished within 1 s"))
        unfinished++;
    for (const gchar *p = strstr(log, "no request within 1 s"); p != NULL;
         p = strstr(p + 1, "no request within 1 s"))
        silent++;
    assert_int_equal(unfinished + silent, ALL);
    assert_true(silent >= SILENT);
    assert_int_equal(ns_daemon_signal_and_wait(d, SIGTERM, 10000), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silent_broker_expires),
        cmocka_unit_test(test_kv_survives_restart),
        cmocka_unit_test(test_two_instances),
        cmocka_unit_test(test_sighup_reload),
        cmocka_unit_test(test_port_taken),
        cmocka_unit_test(test_slowloris),
    };
    return cmocka_run_group_tests_name("namesrv-lifecycle", tests, NULL, NULL);
}
