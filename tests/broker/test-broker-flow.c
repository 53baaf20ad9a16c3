/* rmq-broker flow control on a real daemon: sends past the send queue's
 * capacity or waiting limit are answered SYSTEM_BUSY at once with Java's
 * remarks (the queue is held by a "slave" that connects to the HA port and
 * never acknowledges, so SYNC_MASTER puts wait), and a consumer that stops
 * reading while pulling is cut off with a log line naming it. Raw loopback
 * sockets, so requests can be pipelined and left unread. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "remoting/codec.h"
#include "remoting/codes.h"

static int
raw_connect(guint16 port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof sa), 0);
    return fd;
}

static guint16
local_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *) &sa, &len);
    return ntohs(sa.sin_port);
}

static void
write_frame(int fd, RmqCommand *req)
{
    g_autoptr(GBytes) frame = rmq_codec_encode(req);
    gsize len;
    const guint8 *p = g_bytes_get_data(frame, &len);
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        assert_true(n > 0);
        p += n;
        len -= (gsize) n;
    }
}

static RmqCommand *
send_request(const gchar *topic, gint32 opaque, gsize body_len)
{
    RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_SEND_MESSAGE_V2);
    req->opaque = opaque;
    g_autofree gchar *born = g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time() / 1000);
    const gchar *kv[] = { "a", "PG", "b", topic, "c", "TBW102", "d", "4", "e", "0", "f", "0",
                          "g", born, "h", "0", "i", "", "j", "0", "k", "false", "m", "false" };
    for (guint i = 0; i < G_N_ELEMENTS(kv); i += 2)
        rmq_command_set_ext(req, kv[i], kv[i + 1]);
    g_autofree gchar *body = g_malloc(body_len);
    memset(body, 'x', body_len);
    rmq_command_set_body_data(req, body, body_len);
    return req;
}

static RmqCommand *
pull_request(const gchar *topic, gint32 opaque)
{
    RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_PULL_MESSAGE);
    req->opaque = opaque;
    const gchar *kv[] = { "consumerGroup", "FlowGroup", "topic", topic, "queueId", "0",
                          "queueOffset", "0", "maxMsgNums", "32", "sysFlag", "4",
                          "commitOffset", "0", "suspendTimeoutMillis", "0", "subscription", "*",
                          "subVersion", "0", "expressionType", "TAG" };
    for (guint i = 0; i < G_N_ELEMENTS(kv); i += 2)
        rmq_command_set_ext(req, kv[i], kv[i + 1]);
    return req;
}

/* Read until @want responses arrived or @timeout_ms passed. (transfer full) */
static GPtrArray *
read_responses(int fd, guint want, guint timeout_ms)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_command_free);
    g_autoptr(GByteArray) buf = g_byte_array_new();
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    while (out->len < want) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0)
            break;
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (poll(&pfd, 1, (int) left) <= 0)
            continue;
        guint8 chunk[65536];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0)
            break;
        g_byte_array_append(buf, chunk, (guint) n);
        for (;;) {
            RmqCommand *resp = NULL;
            gsize used = 0;
            g_autoptr(GError) err = NULL;
            if (rmq_codec_decode_frame(buf->data, buf->len, 0, &resp, &used, &err) !=
                RMQ_DECODE_OK)
                break;
            g_ptr_array_add(out, resp);
            g_byte_array_remove_range(buf, 0, (guint) used);
        }
    }
    return out;
}

/* A SYNC_MASTER broker whose only "slave" never acknowledges. */
typedef struct {
    BkDaemon *br;
    int slave_fd;
} HeldBroker;

static void
held_broker_start(HeldBroker *h, const gchar *limits)
{
    guint16 ha_port = bk_free_port();
    g_autofree gchar *conf = g_strdup_printf("brokerRole = \"SYNC_MASTER\";\nhaListenPort = %u;\n"
                                             "slaveTimeout = 30000;\n%s",
                                             ha_port, limits);
    h->br = bk_broker_new(NULL, conf);
    g_autoptr(GError) err = NULL;
    if (!bk_daemon_start(h->br, 10000, &err))
        fail_msg("broker: %s", err->message);
    /* The topic exists before the slave comes: this send is not held. */
    int fd = raw_connect(h->br->port, 0);
    g_autoptr(RmqCommand) first = send_request("FlowTopic", 1, 16);
    write_frame(fd, first);
    g_autoptr(GPtrArray) r = read_responses(fd, 1, 10000);
    assert_int_equal(r->len, 1);
    assert_int_equal(((RmqCommand *) g_ptr_array_index(r, 0))->code,
                     RMQ_RESPONSE_SLAVE_NOT_AVAILABLE);
    close(fd);
    h->slave_fd = raw_connect(ha_port, 0);
    g_usleep(300 * 1000); /* the master adopts the connection */
}

static void
held_broker_stop(HeldBroker *h)
{
    close(h->slave_fd);
    bk_daemon_free(h->br);
}

static void
test_send_queue_capacity(void **state)
{
    (void) state;
    HeldBroker h;
    held_broker_start(&h, "sendThreadPoolQueueCapacity = 2;\nwaitTimeMillsInSendQueue = 60000;\n");
    int fd = raw_connect(h.br->port, 0);
    for (gint32 i = 0; i < 5; i++) {
        g_autoptr(RmqCommand) req = send_request("FlowTopic", 100 + i, 64);
        write_frame(fd, req);
    }
    /* Two wait for the slave; the three past the capacity are refused now. */
    g_autoptr(GPtrArray) r = read_responses(fd, 3, 10000);
    assert_int_equal(r->len, 3);
    for (guint i = 0; i < r->len; i++) {
        RmqCommand *resp = g_ptr_array_index(r, i);
        assert_int_equal(resp->code, RMQ_RESPONSE_SYSTEM_BUSY);
        assert_int_equal(resp->opaque, 102 + (gint32) i);
        assert_string_equal(resp->remark, "[OVERLOAD]system busy, start flow control for a while");
    }
    g_autoptr(GPtrArray) more = read_responses(fd, 1, 500);
    assert_int_equal(more->len, 0);
    g_autofree gchar *log = bk_daemon_log(h.br);
    assert_non_null(strstr(log, "send flow control:"));
    close(fd);
    held_broker_stop(&h);
}

static void
test_send_queue_wait(void **state)
{
    (void) state;
    HeldBroker h;
    held_broker_start(&h, "waitTimeMillsInSendQueue = 300;\n");
    int fd = raw_connect(h.br->port, 0);
    g_autoptr(RmqCommand) held = send_request("FlowTopic", 200, 64);
    write_frame(fd, held);
    g_autoptr(GPtrArray) none = read_responses(fd, 1, 100);
    assert_int_equal(none->len, 0);
    /* Under the limit the next send is taken (and waits too). */
    g_autoptr(RmqCommand) taken = send_request("FlowTopic", 201, 64);
    write_frame(fd, taken);
    g_usleep(500 * 1000);
    g_autoptr(RmqCommand) late = send_request("FlowTopic", 202, 64);
    write_frame(fd, late);
    g_autoptr(GPtrArray) r = read_responses(fd, 1, 10000);
    assert_int_equal(r->len, 1);
    RmqCommand *resp = g_ptr_array_index(r, 0);
    assert_int_equal(resp->opaque, 202);
    assert_int_equal(resp->code, RMQ_RESPONSE_SYSTEM_BUSY);
    const gchar *prefix = "[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, "
                          "period in queue: ";
    assert_true(g_str_has_prefix(resp->remark, prefix));
    gint64 period = g_ascii_strtoll(resp->remark + strlen(prefix), NULL, 10);
    assert_true(period >= 300);
    assert_true(g_str_has_suffix(resp->remark, "ms, size of queue: 2"));
    close(fd);
    held_broker_stop(&h);
}

static void
cut_off_reader(const gchar *limits, const gchar *expect)
{
    g_autoptr(BkDaemon) br = bk_broker_new(NULL, limits);
    g_autoptr(GError) err = NULL;
    if (!bk_daemon_start(br, 10000, &err))
        fail_msg("broker: %s", err->message);
    /* 16 x 30 KB: each pull answers up to 256 KiB. */
    int fd = raw_connect(br->port, 0);
    for (gint32 i = 0; i < 16; i++) {
        g_autoptr(RmqCommand) req = send_request("PullTopic", i, 30000);
        write_frame(fd, req);
    }
    g_autoptr(GPtrArray) sent = read_responses(fd, 16, 10000);
    assert_int_equal(sent->len, 16);
    for (guint i = 0; i < sent->len; i++)
        assert_int_equal(((RmqCommand *) g_ptr_array_index(sent, i))->code,
                         RMQ_RESPONSE_SUCCESS);
    close(fd);

    /* A consumer asks 96 times for the same 480 KB and reads nothing. */
    int c = raw_connect(br->port, 4096);
    guint16 cport = local_port(c);
    for (gint32 i = 0; i < 96; i++) {
        g_autoptr(RmqCommand) req = pull_request("PullTopic", 1000 + i);
        write_frame(c, req);
    }
    g_autofree gchar *who = g_strdup_printf("closing 127.0.0.1:%u: client stopped reading", cport);
    g_autofree gchar *log = NULL;
    for (guint i = 0; i < 100; i++) {
        g_free(log);
        log = bk_daemon_log(br);
        if (strstr(log, who) != NULL)
            break;
        g_usleep(100 * 1000);
    }
    if (strstr(log, who) == NULL)
        fail_msg("no cut-off line for port %u in the log:\n%s", cport, log);
    assert_non_null(strstr(strstr(log, who), expect));
    /* The broker really closed it: reading now ends in EOF or a reset. */
    gboolean ended = FALSE;
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (!ended && g_get_monotonic_time() < deadline) {
        struct pollfd pfd = { c, POLLIN, 0 };
        if (poll(&pfd, 1, 1000) <= 0)
            continue;
        guint8 chunk[65536];
        ssize_t n = read(c, chunk, sizeof chunk);
        ended = n == 0 || (n < 0 && errno == ECONNRESET);
    }
    assert_true(ended);
    close(c);
    /* Others are still served. */
    int d = raw_connect(br->port, 0);
    g_autoptr(RmqCommand) again = send_request("PullTopic", 7, 10);
    write_frame(d, again);
    g_autoptr(GPtrArray) ok = read_responses(d, 1, 10000);
    assert_int_equal(ok->len, 1);
    assert_int_equal(((RmqCommand *) g_ptr_array_index(ok, 0))->code, RMQ_RESPONSE_SUCCESS);
    close(d);
}

static void
test_stalled_reader_cut_off(void **state)
{
    (void) state;
    cut_off_reader("connectionWriteStallTimeoutMills = 1500;\n",
                   "unsent for");
}

static void
test_write_buffer_cap(void **state)
{
    (void) state;
    cut_off_reader("connectionWriteBufferMaxBytes = 1048576;\n",
                   "over connectionWriteBufferMaxBytes 1048576");
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_queue_capacity),
        cmocka_unit_test(test_send_queue_wait),
        cmocka_unit_test(test_stalled_reader_cut_off),
        cmocka_unit_test(test_write_buffer_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
