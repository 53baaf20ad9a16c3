/* rmq-namesrv over TCP: master and slave register and come back in one route,
 * the slave learns its master, a closed connection drops its broker, a
 * malformed frame from one client leaves another client's session working,
 * unknown codes get REQUEST_CODE_NOT_SUPPORTED, STATUS= counts brokers. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "harness.h"
#include "remoting/codec.h"
#include "remoting/codes.h"

typedef struct {
    NsDaemon *d;
    RmqClient *client;
} Fixture;

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->d = ns_daemon_new("routes", NULL);
    g_autoptr(GError) err = NULL;
    if (!ns_daemon_start(f->d, 10000, &err)) {
        fprintf(stderr, "# %s\n", err->message);
        return -1;
    }
    f->client = rmq_client_new(NULL);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;
    rmq_client_free(f->client);
    /* SIGTERM must stop it cleanly. */
    int status = ns_daemon_signal_and_wait(f->d, SIGTERM, 10000);
    ns_daemon_free(f->d);
    g_free(f);
    return status == 0 ? 0 : -1;
}

static JsonObject *
find_named(JsonArray *arr, const gchar *name)
{
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *o = json_array_get_object_element(arr, i);
        if (g_strcmp0(json_object_get_string_member(o, "brokerName"), name) == 0)
            return o;
    }
    return NULL;
}

static void
test_master_slave_route(void **state)
{
    Fixture *f = *state;
    const gchar *topics[] = { "RouteTopic", "TBW102", NULL };
    g_autoptr(GError) err = NULL;

    g_autoptr(RmqCommand) m = ns_register(f->client, f->d->addr, "ClusterR", "broker-r", 0,
                                          "10.1.0.1:10911", "10.1.0.1:10912", 1, topics, &err);
    assert_non_null(m);
    assert_int_equal(m->code, RMQ_RESPONSE_SUCCESS);
    assert_null(rmq_command_get_ext(m, "masterAddr"));

    g_autoptr(RmqCommand) s = ns_register(f->client, f->d->addr, "ClusterR", "broker-r", 1,
                                          "10.1.0.2:10911", "10.1.0.2:10912", 1, topics, &err);
    assert_non_null(s);
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    assert_string_equal(rmq_command_get_ext(s, "masterAddr"), "10.1.0.1:10911");
    assert_string_equal(rmq_command_get_ext(s, "haServerAddr"), "10.1.0.1:10912");

    g_autoptr(RmqCommand) r = ns_invoke(f->client, f->d->addr, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC,
                                        NULL, &err, "topic", "RouteTopic", NULL);
    assert_non_null(r);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(JsonNode) root = ns_body_json(r);
    assert_non_null(root);
    JsonObject *route = json_node_get_object(root);
    JsonObject *bd = find_named(json_object_get_array_member(route, "brokerDatas"), "broker-r");
    assert_non_null(bd);
    JsonObject *addrs = json_object_get_object_member(bd, "brokerAddrs");
    assert_string_equal(json_object_get_string_member(addrs, "0"), "10.1.0.1:10911");
    assert_string_equal(json_object_get_string_member(addrs, "1"), "10.1.0.2:10911");
    JsonObject *qd = find_named(json_object_get_array_member(route, "queueDatas"), "broker-r");
    assert_non_null(qd);
    assert_int_equal(json_object_get_int_member(qd, "perm"), 6);
    assert_int_equal(json_object_get_int_member(qd, "writeQueueNums"), 4);

    /* Cluster info and the topic list see it too. */
    g_autoptr(RmqCommand) ci = ns_invoke(f->client, f->d->addr,
                                         RMQ_REQUEST_GET_BROKER_CLUSTER_INFO, NULL, &err, NULL);
    g_autoptr(JsonNode) cin = ns_body_json(ci);
    assert_non_null(cin);
    JsonObject *cat = json_object_get_object_member(json_node_get_object(cin), "clusterAddrTable");
    assert_true(json_object_has_member(cat, "ClusterR"));

    /* The operator event carries the structured fields. */
    g_autofree gchar *log = ns_daemon_log(f->d);
    assert_non_null(strstr(log, "RMQ_BROKER=broker-r"));
    assert_non_null(strstr(log, "RMQ_CLUSTER=ClusterR"));

    /* Wipe the write permission, as mqadmin wipeWritePerm does. */
    g_autoptr(RmqCommand) w = ns_invoke(f->client, f->d->addr,
                                        RMQ_REQUEST_WIPE_WRITE_PERM_OF_BROKER, NULL, &err,
                                        "brokerName", "broker-r", NULL);
    assert_int_equal(w->code, RMQ_RESPONSE_SUCCESS);
    assert_string_equal(rmq_command_get_ext(w, "wipeTopicCount"), "2");
    g_autoptr(RmqCommand) r2 = ns_invoke(f->client, f->d->addr,
                                         RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL, &err, "topic",
                                         "RouteTopic", NULL);
    g_autoptr(JsonNode) root2 = ns_body_json(r2);
    JsonObject *qd2 = find_named(
        json_object_get_array_member(json_node_get_object(root2), "queueDatas"), "broker-r");
    assert_int_equal(json_object_get_int_member(qd2, "perm"), 4);

    /* Unregister both: the topic disappears. */
    g_autoptr(RmqCommand) u1 = ns_invoke(f->client, f->d->addr, RMQ_REQUEST_UNREGISTER_BROKER,
                                         NULL, &err, "brokerName", "broker-r", "brokerAddr",
                                         "10.1.0.2:10911", "clusterName", "ClusterR", "brokerId",
                                         "1", NULL);
    assert_int_equal(u1->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) u0 = ns_invoke(f->client, f->d->addr, RMQ_REQUEST_UNREGISTER_BROKER,
                                         NULL, &err, "brokerName", "broker-r", "brokerAddr",
                                         "10.1.0.1:10911", "clusterName", "ClusterR", "brokerId",
                                         "0", NULL);
    assert_int_equal(u0->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) gone = ns_invoke(f->client, f->d->addr,
                                           RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL, &err, "topic",
                                           "RouteTopic", NULL);
    assert_int_equal(gone->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    g_autofree gchar *log2 = ns_daemon_log(f->d);
    assert_non_null(strstr(log2, "unregistered"));
}

static void
test_errors(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) err = NULL;
    g_autoptr(RmqCommand) r = ns_invoke(f->client, f->d->addr, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC,
                                        NULL, &err, "topic", "NoSuchTopic", NULL);
    assert_non_null(r);
    assert_int_equal(r->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    assert_string_equal(r->remark, "No topic route info in name server for the topic: NoSuchTopic");

    g_autoptr(RmqCommand) u = ns_invoke(f->client, f->d->addr, 999, NULL, &err, NULL);
    assert_non_null(u);
    assert_int_equal(u->code, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED);
    g_autoptr(RmqCommand) b = ns_invoke(f->client, f->d->addr, RMQ_REQUEST_SEND_MESSAGE_V2, NULL,
                                        &err, NULL);
    assert_int_equal(b->code, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED);

    /* A required header field missing is a SYSTEM_ERROR naming it. */
    g_autoptr(RmqCommand) m = ns_invoke(f->client, f->d->addr, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC,
                                        NULL, &err, NULL);
    assert_int_equal(m->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_non_null(strstr(m->remark, "topic"));

    /* A register whose body does not match bodyCrc32 is refused. */
    g_autoptr(GBytes) body = g_bytes_new_static("{}", 2);
    g_autoptr(RmqCommand) c = ns_invoke(f->client, f->d->addr, RMQ_REQUEST_REGISTER_BROKER, body,
                                        &err, "brokerName", "b", "brokerAddr", "1.1.1.1:1",
                                        "clusterName", "C", "haServerAddr", "1.1.1.1:2",
                                        "brokerId", "0", "bodyCrc32", "12345", NULL);
    assert_int_equal(c->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(c->remark, "crc32 not match");
}

static void
test_closed_connection_drops_broker(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) err = NULL;
    const gchar *topics[] = { "CloseTopic", NULL };
    /* The broker has its own connection; the observer keeps another. */
    g_autoptr(RmqClient) broker = rmq_client_new(NULL);
    g_autoptr(RmqCommand) reg = ns_register(broker, f->d->addr, "ClusterC", "broker-c", 0,
                                            "10.2.0.1:10911", "10.2.0.1:10912", 1, topics, &err);
    assert_int_equal(reg->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(ns_wait_route_code(f->client, f->d->addr, "CloseTopic",
                                        RMQ_RESPONSE_SUCCESS, 1000),
                     RMQ_RESPONSE_SUCCESS);

    rmq_client_close_connection(broker, f->d->addr);
    /* The expiry is 120 s here, so only the close can remove it. */
    assert_int_equal(ns_wait_route_code(f->client, f->d->addr, "CloseTopic",
                                        RMQ_RESPONSE_TOPIC_NOT_EXIST, 10000),
                     RMQ_RESPONSE_TOPIC_NOT_EXIST);
    g_autofree gchar *log = ns_daemon_log(f->d);
    assert_non_null(strstr(log, "its connection closed"));
}

static int
raw_connect(guint16 port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof sa), 0);
    return fd;
}

static void
test_malformed_frame_isolated(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) err = NULL;
    /* The good client's session is open before the bad frame arrives. */
    g_autoptr(RmqCommand) before = ns_invoke(f->client, f->d->addr,
                                             RMQ_REQUEST_GET_ALL_TOPIC_LIST_FROM_NAMESERVER, NULL,
                                             &err, NULL);
    assert_int_equal(before->code, RMQ_RESPONSE_SUCCESS);
    RmqConnection *good = rmq_client_get_connection(f->client, f->d->addr);
    assert_non_null(good);

    /* total_length 8 but header_length 256: a decode error. */
    int fd = raw_connect(f->d->port);
    const guint8 bad[] = { 0, 0, 0, 8, 0, 0, 1, 0, 'x', 'x', 'x', 'x' };
    assert_int_equal(write(fd, bad, sizeof bad), (ssize_t) sizeof bad);
    struct pollfd pfd = { fd, POLLIN, 0 };
    assert_int_equal(poll(&pfd, 1, 5000), 1);
    guint8 buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    assert_true(n <= 0); /* closed by the server, no answer */
    close(fd);

    /* Another junk client: a half frame, then gone. */
    int fd2 = raw_connect(f->d->port);
    assert_int_equal(write(fd2, "\0\0\0", 3), 3);
    close(fd2);

    g_autoptr(RmqCommand) after = ns_invoke(f->client, f->d->addr,
                                            RMQ_REQUEST_GET_ALL_TOPIC_LIST_FROM_NAMESERVER, NULL,
                                            &err, NULL);
    assert_non_null(after);
    assert_int_equal(after->code, RMQ_RESPONSE_SUCCESS);
    assert_ptr_equal(rmq_client_get_connection(f->client, f->d->addr), good);
}

static void
test_binary_header_echoed(void **state)
{
    Fixture *f = *state;
    /* Vector 01's request in ROCKETMQ binary form; the reply must be binary too. */
    g_autoptr(RmqCommand) req = rmq_command_new_request(RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC);
    req->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
    req->opaque = 77;
    rmq_command_set_ext(req, "topic", "NoSuchTopic");
    g_autoptr(GBytes) frame = rmq_codec_encode(req);
    int fd = raw_connect(f->d->port);
    gsize len;
    const guint8 *data = g_bytes_get_data(frame, &len);
    assert_int_equal(write(fd, data, len), (ssize_t) len);
    guint8 buf[4096];
    gsize got = 0;
    RmqCommand *resp = NULL;
    while (resp == NULL) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        assert_int_equal(poll(&pfd, 1, 5000), 1);
        ssize_t n = read(fd, buf + got, sizeof buf - got);
        assert_true(n > 0);
        got += (gsize) n;
        gsize used;
        g_autoptr(GError) err = NULL;
        RmqDecodeStatus st = rmq_codec_decode_frame(buf, got, 0, &resp, &used, &err);
        assert_int_not_equal(st, RMQ_DECODE_ERROR);
    }
    close(fd);
    assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
    assert_int_equal(resp->opaque, 77);
    assert_int_equal(resp->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    rmq_command_free(resp);
}

static void
test_oneway_register(void **state)
{
    Fixture *f = *state;
    /* A broker re-registers one-way after auto-creating a topic (docs/protocol.md §2.2). */
    g_autoptr(RmqRegisterBody) body = rmq_register_body_new();
    body->data_version.counter = 1;
    rmq_register_body_add_topic(body, rmq_topic_config_new("OnewayTopic"));
    g_autoptr(GBytes) bytes = rmq_register_body_encode_compressed(body);
    RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_REGISTER_BROKER);
    rmq_command_set_ext(req, "brokerName", "broker-o");
    rmq_command_set_ext(req, "brokerAddr", "10.7.0.1:10911");
    rmq_command_set_ext(req, "clusterName", "ClusterO");
    rmq_command_set_ext(req, "haServerAddr", "10.7.0.1:10912");
    rmq_command_set_ext(req, "brokerId", "0");
    rmq_command_set_ext(req, "compressed", "true");
    rmq_command_set_body(req, bytes);
    g_autoptr(RmqClient) broker = rmq_client_new(NULL);
    rmq_client_invoke_oneway(broker, f->d->addr, req);
    assert_int_equal(ns_wait_route_code(f->client, f->d->addr, "OnewayTopic",
                                        RMQ_RESPONSE_SUCCESS, 5000),
                     RMQ_RESPONSE_SUCCESS);
    /* The broker's connection stays usable for normal requests. */
    g_autoptr(GError) err = NULL;
    g_autoptr(RmqCommand) next = ns_invoke(broker, f->d->addr, RMQ_REQUEST_GET_BROKER_CLUSTER_INFO,
                                           NULL, &err, NULL);
    assert_non_null(next);
    assert_int_equal(next->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) u = ns_invoke(broker, f->d->addr, RMQ_REQUEST_UNREGISTER_BROKER, NULL,
                                        &err, "brokerName", "broker-o", "brokerAddr",
                                        "10.7.0.1:10911", "clusterName", "ClusterO", "brokerId",
                                        "0", NULL);
    assert_int_equal(u->code, RMQ_RESPONSE_SUCCESS);
}

static void
test_status_counts(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) err = NULL;
    const gchar *topics[] = { "StatusTopic", NULL };
    /* Earlier tests left no broker registered; forget their STATUS= lines. */
    ns_daemon_drain_notify(f->d);
    g_autoptr(RmqClient) broker = rmq_client_new(NULL);
    g_autoptr(RmqCommand) reg = ns_register(broker, f->d->addr, "ClusterS", "broker-s", 0,
                                            "10.3.0.1:10911", "10.3.0.1:10912", 1, topics, &err);
    assert_int_equal(reg->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *status = ns_daemon_wait_notify(f->d, "STATUS=1 brokers", 10000);
    assert_non_null(status);
    assert_non_null(strstr(status, "1 topics"));
    assert_non_null(strstr(status, "clients"));
    rmq_client_close_connection(broker, f->d->addr);
    ns_daemon_drain_notify(f->d);
    g_autofree gchar *status0 = ns_daemon_wait_notify(f->d, "STATUS=0 brokers", 10000);
    assert_non_null(status0);
    assert_non_null(strstr(status0, "0 topics"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_master_slave_route),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_closed_connection_drops_broker),
        cmocka_unit_test(test_malformed_frame_isolated),
        cmocka_unit_test(test_binary_header_echoed),
        cmocka_unit_test(test_oneway_register),
        cmocka_unit_test(test_status_counts),
    };
    return cmocka_run_group_tests_name("namesrv-routes", tests, setup, teardown);
}
