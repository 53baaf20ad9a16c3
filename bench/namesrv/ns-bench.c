/* rmq-namesrv benchmark: time from exec to READY=1, idle RSS (empty and with
 * the route table loaded), and GET_ROUTEINFO_BY_TOPIC requests per second
 * over 1 and 64 concurrent connections (closed loop: one request in flight
 * per connection) against 1,000 topics served by 4 brokers.
 *
 * The daemon is started here, on a free loopback port with a private
 * NOTIFY_SOCKET; brokers are registered with libnet's client; the load loop
 * uses raw non-blocking sockets and pre-encoded frames so the load generator
 * costs little next to the daemon on a 2-core machine. Every response is
 * decoded and must be SUCCESS with a body. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <glib/gstdio.h>

#include "namesrv/register_body.h"
#include "remoting/client.h"
#include "remoting/codec.h"
#include "remoting/codes.h"

static gint opt_topics = 1000;
static gint opt_brokers = 4;
static gdouble opt_seconds = 5.0;
static gchar *opt_daemon;
static gchar *opt_conns = NULL;
static gint opt_scale = 0;
static gint opt_scale_topics = 10;
static gboolean opt_scale_one_conn = FALSE;
static gint opt_scale_clients = 0;

static guint16
free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) != 0)
        g_error("cannot find a free port");
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *) &sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

static glong
rss_kib(const gchar *pid)
{
    g_autofree gchar *path = g_strdup_printf("/proc/%s/status", pid);
    g_autofree gchar *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return -1;
    const gchar *p = strstr(text, "VmRSS:");
    return p != NULL ? strtol(p + 6, NULL, 10) : -1;
}

typedef struct {
    int fd;
    guint8 *buf;
    gsize len, cap;
    gint64 sent_at;
    guint next_topic;
} Conn;

static int
connect_loopback(guint16 port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) != 0)
        g_error("connect: %s", g_strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void
send_all(int fd, GBytes *frame)
{
    gsize len;
    const guint8 *p = g_bytes_get_data(frame, &len);
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd pfd = { fd, POLLOUT, 0 };
            poll(&pfd, 1, 1000);
            continue;
        }
        if (n <= 0)
            g_error("write: %s", g_strerror(errno));
        p += n;
        len -= (gsize) n;
    }
}

static int
cmp_i64(const void *a, const void *b)
{
    gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
    return x < y ? -1 : x > y;
}

/* One closed-loop phase; returns requests/s, fills p50/p99 latency (us). */
static gdouble
run_phase(guint16 port, GPtrArray *frames, guint nconn, gdouble seconds, gint64 *p50,
          gint64 *p99)
{
    Conn *conns = g_new0(Conn, nconn);
    struct pollfd *pfds = g_new0(struct pollfd, nconn);
    for (guint i = 0; i < nconn; i++) {
        conns[i].fd = connect_loopback(port);
        conns[i].cap = 65536;
        conns[i].buf = g_malloc(conns[i].cap);
        conns[i].next_topic = (i * 7919u) % frames->len;
    }
    g_autoptr(GArray) lat = g_array_new(FALSE, FALSE, sizeof(gint64));
    guint64 done = 0;
    gint64 start = g_get_monotonic_time();
    gint64 warm_end = start + G_USEC_PER_SEC / 2;
    gint64 end = warm_end + (gint64) (seconds * G_USEC_PER_SEC);
    gint64 measured_from = 0;
    for (guint i = 0; i < nconn; i++) {
        conns[i].sent_at = g_get_monotonic_time();
        send_all(conns[i].fd, g_ptr_array_index(frames, conns[i].next_topic));
    }
    gboolean measuring = FALSE;
    for (;;) {
        gint64 now = g_get_monotonic_time();
        if (!measuring && now >= warm_end) {
            measuring = TRUE;
            measured_from = now;
            done = 0;
            g_array_set_size(lat, 0);
        }
        if (now >= end)
            break;
        for (guint i = 0; i < nconn; i++)
            pfds[i] = (struct pollfd){ conns[i].fd, POLLIN, 0 };
        if (poll(pfds, nconn, 1000) < 0)
            g_error("poll: %s", g_strerror(errno));
        for (guint i = 0; i < nconn; i++) {
            if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            Conn *c = &conns[i];
            ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
            if (n <= 0) {
                if (n < 0 && errno == EAGAIN)
                    continue;
                g_error("connection %u closed by the daemon", i);
            }
            c->len += (gsize) n;
            for (;;) {
                RmqCommand *resp = NULL;
                gsize used = 0;
                g_autoptr(GError) err = NULL;
                RmqDecodeStatus st = rmq_codec_decode_frame(c->buf, c->len, 0, &resp, &used, &err);
                if (st == RMQ_DECODE_ERROR)
                    g_error("bad response: %s", err->message);
                if (st == RMQ_DECODE_NEED_MORE) {
                    if (c->len == c->cap) {
                        c->cap *= 2;
                        c->buf = g_realloc(c->buf, c->cap);
                    }
                    break;
                }
                if (resp->code != RMQ_RESPONSE_SUCCESS || resp->body == NULL)
                    g_error("unexpected response code %d (%s)", resp->code,
                            resp->remark != NULL ? resp->remark : "");
                rmq_command_free(resp);
                memmove(c->buf, c->buf + used, c->len - used);
                c->len -= used;
                gint64 t = g_get_monotonic_time();
                if (measuring) {
                    gint64 l = t - c->sent_at;
                    g_array_append_val(lat, l);
                    done++;
                }
                c->next_topic = (c->next_topic + 1) % frames->len;
                c->sent_at = t;
                send_all(c->fd, g_ptr_array_index(frames, c->next_topic));
            }
        }
    }
    gdouble elapsed = (gdouble) (g_get_monotonic_time() - measured_from) / G_USEC_PER_SEC;
    qsort(lat->data, lat->len, sizeof(gint64), cmp_i64);
    *p50 = lat->len ? g_array_index(lat, gint64, lat->len / 2) : 0;
    *p99 = lat->len ? g_array_index(lat, gint64, (lat->len * 99) / 100) : 0;
    for (guint i = 0; i < nconn; i++) {
        close(conns[i].fd);
        g_free(conns[i].buf);
    }
    g_free(conns);
    g_free(pfds);
    return (gdouble) done / elapsed;
}


/* The daemon's NOTIFY_SOCKET: drained while waiting, as systemd would, so
 * STATUS= updates never fill it and block the daemon. */
static int notify_fd = -1;

static void
drain_notify(void)
{
    gchar buf[4096];
    while (notify_fd >= 0 && recv(notify_fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
}

/* Blocking request/response on a raw non-blocking socket; returns the
 * response code, fails the bench on a closed socket or after 60 s. */
static gint
rpc(int fd, GBytes *frame, gboolean want_body)
{
    send_all(fd, frame);
    guint8 *buf = g_malloc(65536);
    gsize len = 0, cap = 65536;
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    for (;;) {
        RmqCommand *resp = NULL;
        gsize used = 0;
        g_autoptr(GError) err = NULL;
        RmqDecodeStatus st = len > 0 ? rmq_codec_decode_frame(buf, len, 0, &resp, &used, &err)
                                     : RMQ_DECODE_NEED_MORE;
        if (st == RMQ_DECODE_ERROR)
            g_error("bad response: %s", err->message);
        if (st == RMQ_DECODE_OK) {
            gint code = resp->code;
            if (want_body && resp->body == NULL)
                g_error("response %d without a body", code);
            rmq_command_free(resp);
            g_free(buf);
            return code;
        }
        if (len == cap) {
            cap *= 2;
            buf = g_realloc(buf, cap);
        }
        struct pollfd pfd[2] = { { fd, POLLIN, 0 }, { notify_fd, POLLIN, 0 } };
        if (g_get_monotonic_time() > deadline)
            g_error("no response within 60 s");
        poll(pfd, 2, 1000);
        drain_notify();
        ssize_t n = read(fd, buf + len, cap - len);
        if (n == 0)
            g_error("connection closed by the daemon");
        if (n > 0)
            len += (gsize) n;
    }
}

static GBytes *
register_frame(gint b, gint ntopics)
{
    g_autoptr(RmqRegisterBody) body = rmq_register_body_new();
    body->data_version.counter = 1;
    body->data_version.timestamp = 1700000000000;
    for (gint i = 0; i < ntopics; i++) {
        g_autofree gchar *name = g_strdup_printf("ScaleTopic-%06d-%02d", b, i);
        RmqTopicConfig *tc = rmq_topic_config_new(name);
        tc->read_queue_nums = tc->write_queue_nums = 4;
        rmq_register_body_add_topic(body, tc);
    }
    g_autoptr(GBytes) bytes = rmq_register_body_encode_json(body);
    g_autoptr(RmqCommand) req = rmq_command_new_request(RMQ_REQUEST_REGISTER_BROKER);
    g_autofree gchar *bname = g_strdup_printf("scale-broker-%06d", b);
    g_autofree gchar *baddr = g_strdup_printf("10.%d.%d.%d:10911", b >> 16, (b >> 8) & 255,
                                              b & 255);
    rmq_command_set_ext(req, "brokerName", bname);
    rmq_command_set_ext(req, "brokerAddr", baddr);
    rmq_command_set_ext(req, "clusterName", b % 2 ? "ScaleClusterA" : "ScaleClusterB");
    rmq_command_set_ext(req, "haServerAddr", baddr);
    rmq_command_set_ext(req, "brokerId", "0");
    rmq_command_set_body(req, bytes);
    return rmq_codec_encode(req);
}

static GBytes *
route_frame(const gchar *topic)
{
    g_autoptr(RmqCommand) req = rmq_command_new_request(RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC);
    rmq_command_set_ext(req, "topic", topic);
    return rmq_codec_encode(req);
}

/* Scale phase: N brokers register, each on its own connection with its own
 * topics; registration time of the first and last 10%, route lookups (cold
 * and cached) with every broker registered, and how long the loop stays
 * blocked when every broker connection closes at once (a probe request sent
 * right after the closes). */
static void
run_scale(guint16 port, gint n, gint ntopics)
{
    /* Idle clients first, each after one request (a lookup of a topic
     * that does not exist), so the daemon's first-frame deadline does not
     * close them: the loop carries them for the whole phase. */
    int *clients = g_new(int, MAX(opt_scale_clients, 1));
    g_autoptr(GBytes) nf = route_frame("ScaleNoSuchTopic");
    for (gint c = 0; c < opt_scale_clients; c++) {
        clients[c] = connect_loopback(port);
        rpc(clients[c], nf, FALSE);
    }
    if (opt_scale_clients > 0)
        printf("scale_clients=%d (connected, one request each, then idle)\n", opt_scale_clients);
    int *fds = g_new(int, n);
    gint tenth = MAX(n / 10, 1);
    gint64 first = 0, last = 0;
    for (gint b = 0; b < n; b++) {
        fds[b] = opt_scale_one_conn && b > 0 ? fds[0] : connect_loopback(port);
        g_autoptr(GBytes) f = register_frame(b, ntopics);
        gint64 t = g_get_monotonic_time();
        if (rpc(fds[b], f, FALSE) != RMQ_RESPONSE_SUCCESS)
            g_error("register %d failed", b);
        t = g_get_monotonic_time() - t;
        if (b < tenth)
            first += t;
        if (b >= n - tenth)
            last += t;
    }
    printf("scale_register_us first10%%=%.0f last10%%=%.0f (%d brokers x %d topics)\n",
           (gdouble) first / tenth, (gdouble) last / tenth, n, ntopics);

    int probe = connect_loopback(port);
    gint lookups = MIN(n, 2000);
    gint64 cold = 0, warm = 0;
    for (gint pass = 0; pass < 2; pass++) {
        for (gint i = 0; i < lookups; i++) {
            gint b = (gint) (((gint64) i * 7919) % n);
            g_autofree gchar *topic = g_strdup_printf("ScaleTopic-%06d-%02d", b, i % ntopics);
            g_autoptr(GBytes) f = route_frame(topic);
            gint64 t = g_get_monotonic_time();
            if (rpc(probe, f, TRUE) != RMQ_RESPONSE_SUCCESS)
                g_error("route of %s failed", topic);
            *(pass == 0 ? &cold : &warm) += g_get_monotonic_time() - t;
        }
    }
    printf("scale_route_us cold=%.0f cached=%.0f (%d lookups each)\n", (gdouble) cold / lookups,
           (gdouble) warm / lookups, lookups);

    g_autofree gchar *topic0 = g_strdup_printf("ScaleTopic-%06d-%02d", n - 1, 0);
    g_autoptr(GBytes) pf = route_frame(topic0);
    gint64 t = g_get_monotonic_time();
    for (gint b = 0; b < (opt_scale_one_conn ? 1 : n); b++)
        close(fds[b]);
    /* The topic vanishes once its broker's close is processed; any answer
     * means the loop got to the probe. */
    g_usleep(10 * 1000);
    gint64 t1 = g_get_monotonic_time();
    rpc(probe, pf, FALSE);
    gint64 probe_us = g_get_monotonic_time() - t1;
    printf("scale_close_all_ms probe_wait=%.1f since_close=%.1f (%d connections)\n",
           (gdouble) probe_us / 1000, (gdouble) (g_get_monotonic_time() - t) / 1000, n);
    close(probe);
    g_free(fds);
    for (gint c = 0; c < opt_scale_clients; c++)
        close(clients[c]);
    g_free(clients);
}

static gboolean
wait_notify(int fd, const gchar *needle, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    for (;;) {
        gchar buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
        if (n > 0) {
            buf[n] = '\0';
            if (strstr(buf, needle) != NULL)
                return TRUE;
            continue;
        }
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0)
            return FALSE;
        struct pollfd pfd = { fd, POLLIN, 0 };
        poll(&pfd, 1, (int) left);
    }
}

int
main(int argc, char **argv)
{
    GOptionEntry entries[] = {
        { "daemon", 0, 0, G_OPTION_ARG_FILENAME, &opt_daemon, "rmq-namesrv binary", "PATH" },
        { "topics", 0, 0, G_OPTION_ARG_INT, &opt_topics, "Topics (1000)", "N" },
        { "brokers", 0, 0, G_OPTION_ARG_INT, &opt_brokers, "Brokers serving every topic (4)", "N" },
        { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "Measured seconds per phase (5)", "S" },
        { "scale", 0, 0, G_OPTION_ARG_INT, &opt_scale,
          "Only the scale phase: N brokers on their own connections (0: off)", "N" },
        { "scale-one-connection", 0, 0, G_OPTION_ARG_NONE, &opt_scale_one_conn,
          "Scale phase with every broker on one connection (the table without the loop's "
          "per-connection cost)", NULL },
        { "scale-clients", 0, 0, G_OPTION_ARG_INT, &opt_scale_clients,
          "Scale phase: N idle client connections open meanwhile (0)", "N" },
        { "scale-topics", 0, 0, G_OPTION_ARG_INT, &opt_scale_topics, "Topics per scale broker (10)",
          "N" },
        { "connections", 0, 0, G_OPTION_ARG_STRING, &opt_conns, "Comma list (1,64)", "LIST" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- rmq-namesrv benchmark");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "%s\n", error->message);
        return 2;
    }
    if (opt_daemon == NULL) {
        const gchar *b = g_getenv("RMQ_BUILDDIR");
        opt_daemon = g_build_filename(b != NULL ? b : ".", "src", "namesrv", "rmq-namesrv", NULL);
    }
    g_auto(GStrv) conn_list = g_strsplit(opt_conns != NULL ? opt_conns : "1,64", ",", -1);
    signal(SIGPIPE, SIG_IGN);

    g_autofree gchar *dir = g_dir_make_tmp("rmq-ns-bench-XXXXXX", NULL);
    guint16 port = free_port();
    g_autofree gchar *addr = g_strdup_printf("127.0.0.1:%u", port);
    g_autofree gchar *conf = g_build_filename(dir, "ns.conf", NULL);
    g_autofree gchar *kv = g_build_filename(dir, "kvConfig.json", NULL);
    g_autofree gchar *notify = g_build_filename(dir, "notify", NULL);
    g_autofree gchar *log = g_build_filename(dir, "daemon.log", NULL);
    g_autofree gchar *conf_text = g_strdup_printf(
        "listenPort = %u;\nbindAddress = \"127.0.0.1\";\nkvConfigPath = \"%s\";\n", port, kv);
    g_file_set_contents(conf, conf_text, -1, NULL);

    int nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    g_strlcpy(sun.sun_path, notify, sizeof sun.sun_path);
    if (nfd < 0 || bind(nfd, (struct sockaddr *) &sun, sizeof sun) != 0)
        g_error("notify socket: %s", g_strerror(errno));

    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_subprocess_launcher_setenv(l, "NOTIFY_SOCKET", notify, TRUE);
    g_subprocess_launcher_set_stderr_file_path(l, log);
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(GSubprocess) proc = g_subprocess_launcher_spawn(l, &error, opt_daemon, "--instance",
                                                              "bench", "--config", conf, NULL);
    if (proc == NULL)
        g_error("spawn %s: %s", opt_daemon, error->message);
    if (!wait_notify(nfd, "READY=1", 10000))
        g_error("daemon not ready; see %s", log);
    gdouble ready_ms = (gdouble) (g_get_monotonic_time() - t0) / 1000.0;
    const gchar *pid = g_subprocess_get_identifier(proc);
    g_usleep(500 * 1000);
    glong idle_rss = rss_kib(pid);

    if (opt_scale > 0) {
        notify_fd = nfd;
        run_scale(port, opt_scale, opt_scale_topics);
        printf("after_scale_rss_kib=%ld\n", rss_kib(pid));
        g_subprocess_send_signal(proc, SIGTERM);
        g_subprocess_wait(proc, NULL, NULL);
        close(nfd);
        g_unlink(notify);
        g_unlink(conf);
        g_unlink(kv);
        g_unlink(log);
        g_rmdir(dir);
        return 0;
    }

    /* The route table: every broker (a master each) serves every topic. */
    g_autoptr(RmqClient) client = rmq_client_new(NULL);
    g_autoptr(RmqRegisterBody) body = rmq_register_body_new();
    body->data_version.counter = 1;
    body->data_version.timestamp = 1700000000000;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (gint i = 0; i < opt_topics; i++) {
        gchar *name = g_strdup_printf("BenchTopic-%04d", i);
        g_ptr_array_add(names, name);
        RmqTopicConfig *tc = rmq_topic_config_new(name);
        tc->read_queue_nums = tc->write_queue_nums = 8;
        rmq_register_body_add_topic(body, tc);
    }
    g_autoptr(GBytes) body_bytes = rmq_register_body_encode_json(body);
    for (gint b = 0; b < opt_brokers; b++) {
        RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_REGISTER_BROKER);
        g_autofree gchar *bname = g_strdup_printf("broker-%c", 'a' + b);
        g_autofree gchar *baddr = g_strdup_printf("10.0.0.%d:10911", b + 1);
        g_autofree gchar *haddr = g_strdup_printf("10.0.0.%d:10912", b + 1);
        rmq_command_set_ext(req, "brokerName", bname);
        rmq_command_set_ext(req, "brokerAddr", baddr);
        rmq_command_set_ext(req, "clusterName", "BenchCluster");
        rmq_command_set_ext(req, "haServerAddr", haddr);
        rmq_command_set_ext(req, "brokerId", "0");
        rmq_command_set_body(req, body_bytes);
        g_autoptr(RmqCommand) resp = rmq_client_invoke_sync(client, addr, req, 10000, &error);
        if (resp == NULL || resp->code != RMQ_RESPONSE_SUCCESS)
            g_error("register %s failed: %s", bname, resp == NULL ? error->message : resp->remark);
    }
    g_usleep(200 * 1000);
    glong loaded_rss = rss_kib(pid);

    /* One pre-encoded request frame per topic. */
    g_autoptr(GPtrArray) frames = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    for (guint i = 0; i < names->len; i++) {
        g_autoptr(RmqCommand) req = rmq_command_new_request(RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC);
        req->opaque = (gint32) i;
        rmq_command_set_ext(req, "topic", g_ptr_array_index(names, i));
        g_ptr_array_add(frames, rmq_codec_encode(req));
    }

    printf("exec_to_ready_ms=%.1f\n", ready_ms);
    printf("idle_rss_kib=%ld\n", idle_rss);
    printf("loaded_rss_kib=%ld (%d topics x %d brokers)\n", loaded_rss, opt_topics, opt_brokers);
    for (guint i = 0; conn_list[i] != NULL; i++) {
        guint n = (guint) atoi(conn_list[i]);
        if (n == 0)
            continue;
        gint64 p50, p99;
        gdouble rps = run_phase(port, frames, n, opt_seconds, &p50, &p99);
        printf("route_rps_c%u=%.0f p50_us=%" G_GINT64_FORMAT " p99_us=%" G_GINT64_FORMAT "\n", n,
               rps, p50, p99);
        fflush(stdout);
    }
    printf("after_load_rss_kib=%ld\n", rss_kib(pid));

    rmq_client_free(g_steal_pointer(&client));
    g_subprocess_send_signal(proc, SIGTERM);
    g_subprocess_wait(proc, NULL, NULL);
    close(nfd);
    g_unlink(notify);
    g_unlink(conf);
    g_unlink(kv);
    g_unlink(log);
    g_rmdir(dir);
    return 0;
}
