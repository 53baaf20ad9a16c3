/* Overload bench (not a test; bench/overload.sh runs it against a private
 * rmq-broker on loopback): RSS per idle connection, many producers pushing
 * past the send queue's capacity (how fast "busy" comes back, the latency of
 * the sends taken, RSS over the run), and a consumer that stops reading
 * mid-pull (how long until it is cut off, RSS meanwhile). Every phase is
 * bounded in connections and seconds; prints key=value lines. */
#include <config.h>

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

#include "remoting/codec.h"
#include "remoting/codes.h"

static gint opt_port, opt_idle = 10000, opt_producers = 1000, opt_base = 16;
static gdouble opt_seconds = 5.0;
static gint opt_stall_ms = 5000;
static gchar *opt_pid;

static glong
status_kib(const gchar *field)
{
    g_autofree gchar *path = g_strdup_printf("/proc/%s/status", opt_pid);
    g_autofree gchar *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return -1;
    const gchar *p = strstr(text, field);
    return p != NULL ? strtol(p + strlen(field) + 1, NULL, 10) : -1;
}

static int
connect_port(int rcvbuf, gboolean nonblock)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        g_error("socket: %s", g_strerror(errno));
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((guint16) opt_port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *) &sa, sizeof sa) != 0)
        g_error("connect: %s", g_strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (nonblock)
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

static GBytes *
send_frame(const gchar *topic, gsize body_len)
{
    g_autoptr(RmqCommand) req = rmq_command_new_request(RMQ_REQUEST_SEND_MESSAGE_V2);
    const gchar *kv[] = { "a", "OverloadPG", "b", topic, "c", "TBW102", "d", "4", "e", "0",
                          "f", "0", "g", "1700000000000", "h", "0", "i", "", "j", "0",
                          "k", "false", "m", "false" };
    for (guint i = 0; i < G_N_ELEMENTS(kv); i += 2)
        rmq_command_set_ext(req, kv[i], kv[i + 1]);
    g_autofree gchar *body = g_malloc(body_len);
    memset(body, 'x', body_len);
    rmq_command_set_body_data(req, body, body_len);
    return rmq_codec_encode(req);
}

static GBytes *
pull_frame(const gchar *topic)
{
    g_autoptr(RmqCommand) req = rmq_command_new_request(RMQ_REQUEST_PULL_MESSAGE);
    const gchar *kv[] = { "consumerGroup", "OverloadGroup", "topic", topic, "queueId", "0",
                          "queueOffset", "0", "maxMsgNums", "32", "sysFlag", "4",
                          "commitOffset", "0", "suspendTimeoutMillis", "0", "subscription", "*",
                          "subVersion", "0", "expressionType", "TAG" };
    for (guint i = 0; i < G_N_ELEMENTS(kv); i += 2)
        rmq_command_set_ext(req, kv[i], kv[i + 1]);
    return rmq_codec_encode(req);
}

static int
cmp_i64(const void *a, const void *b)
{
    gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
    return x < y ? -1 : x > y;
}

static gint64
pct(GArray *a, guint p)
{
    return a->len ? g_array_index(a, gint64, ((gsize) a->len * p) / 100 - (p == 100)) : 0;
}

static void
phase_idle(void)
{
    glong before = status_kib("VmRSS"), anon_before = status_kib("RssAnon");
    int *fds = g_new(int, opt_idle);
    for (gint i = 0; i < opt_idle; i++)
        fds[i] = connect_port(0, FALSE);
    g_usleep(2 * G_USEC_PER_SEC); /* the broker accepts them all */
    glong after = status_kib("VmRSS"), anon_after = status_kib("RssAnon");
    for (gint i = 0; i < opt_idle; i++)
        close(fds[i]);
    g_free(fds);
    g_usleep(2 * G_USEC_PER_SEC);
    printf("idle_conns=%d rss_before_kib=%ld rss_with_kib=%ld anon_before_kib=%ld "
           "anon_with_kib=%ld bytes_per_conn=%.0f rss_after_close_kib=%ld\n",
           opt_idle, before, after, anon_before, anon_after,
           (gdouble) (after - before) * 1024 / opt_idle, status_kib("VmRSS"));
}

typedef struct {
    int fd;
    guint8 *buf;
    gsize len, cap;
    gint64 sent_at;
} Conn;

/* @n producers, one 128 B send in flight each, for opt_seconds. */
static void
phase_producers(const gchar *name, gint n)
{
    g_autoptr(GBytes) frame = send_frame("OverloadTopic", 128);
    Conn *c = g_new0(Conn, n);
    struct pollfd *pfds = g_new0(struct pollfd, n);
    g_autoptr(GArray) ok_lat = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) busy_lat = g_array_new(FALSE, FALSE, sizeof(gint64));
    guint64 other = 0;
    glong rss_min = G_MAXLONG, rss_max = 0;
    for (gint i = 0; i < n; i++) {
        c[i].fd = connect_port(0, TRUE);
        c[i].cap = 4096;
        c[i].buf = g_malloc(c[i].cap);
    }
    gint64 start = g_get_monotonic_time(), next_sample = start;
    gint64 end = start + (gint64) (opt_seconds * G_USEC_PER_SEC);
    for (gint i = 0; i < n; i++) {
        c[i].sent_at = g_get_monotonic_time();
        send_all(c[i].fd, frame);
    }
    while (g_get_monotonic_time() < end) {
        gint64 now = g_get_monotonic_time();
        if (now >= next_sample) {
            glong r = status_kib("VmRSS");
            rss_min = MIN(rss_min, r);
            rss_max = MAX(rss_max, r);
            next_sample = now + 200000;
        }
        for (gint i = 0; i < n; i++)
            pfds[i] = (struct pollfd){ c[i].fd, POLLIN, 0 };
        if (poll(pfds, (nfds_t) n, 200) <= 0)
            continue;
        for (gint i = 0; i < n; i++) {
            if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t got = read(c[i].fd, c[i].buf + c[i].len, c[i].cap - c[i].len);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN)
                    continue;
                g_error("producer %d: the broker closed the connection", i);
            }
            c[i].len += (gsize) got;
            for (;;) {
                RmqCommand *resp = NULL;
                gsize used = 0;
                g_autoptr(GError) err = NULL;
                RmqDecodeStatus st = rmq_codec_decode_frame(c[i].buf, c[i].len, 0, &resp, &used,
                                                            &err);
                if (st == RMQ_DECODE_ERROR)
                    g_error("bad response: %s", err->message);
                if (st != RMQ_DECODE_OK) {
                    if (c[i].len == c[i].cap)
                        c[i].buf = g_realloc(c[i].buf, c[i].cap *= 2);
                    break;
                }
                gint64 t = g_get_monotonic_time(), l = t - c[i].sent_at;
                if (resp->code == RMQ_RESPONSE_SUCCESS)
                    g_array_append_val(ok_lat, l);
                else if (resp->code == RMQ_RESPONSE_SYSTEM_BUSY)
                    g_array_append_val(busy_lat, l);
                else
                    other++;
                rmq_command_free(resp);
                memmove(c[i].buf, c[i].buf + used, c[i].len - used);
                c[i].len -= used;
                c[i].sent_at = t;
                send_all(c[i].fd, frame);
            }
        }
    }
    gdouble secs = (gdouble) (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
    g_array_sort(ok_lat, cmp_i64);
    g_array_sort(busy_lat, cmp_i64);
    printf("%s producers=%d seconds=%.1f accepted_per_s=%.0f accepted_p50_us=%" G_GINT64_FORMAT
           " accepted_p99_us=%" G_GINT64_FORMAT " busy_per_s=%.0f busy_p50_us=%" G_GINT64_FORMAT
           " busy_p99_us=%" G_GINT64_FORMAT " other=%" G_GUINT64_FORMAT
           " rss_min_kib=%ld rss_max_kib=%ld\n",
           name, n, secs, ok_lat->len / secs, pct(ok_lat, 50), pct(ok_lat, 99),
           busy_lat->len / secs, pct(busy_lat, 50), pct(busy_lat, 99), other, rss_min, rss_max);
    fflush(stdout);
    for (gint i = 0; i < n; i++) {
        close(c[i].fd);
        g_free(c[i].buf);
    }
    g_free(c);
    g_free(pfds);
}

static void
phase_stalled_consumer(void)
{
    int p = connect_port(0, FALSE);
    g_autoptr(GBytes) big = send_frame("OverloadPull", 32000);
    for (gint i = 0; i < 64; i++) {
        send_all(p, big);
        guint8 buf[4096];
        if (read(p, buf, sizeof buf) <= 0) /* one small response per send */
            g_error("send for the pull phase failed");
    }
    close(p);
    glong before = status_kib("VmRSS");
    int c = connect_port(4096, FALSE);
    g_autoptr(GBytes) pull = pull_frame("OverloadPull");
    for (gint i = 0; i < 400; i++)
        send_all(c, pull);
    gint64 t0 = g_get_monotonic_time();
    glong peak = before;
    gboolean cut = FALSE;
    while (!cut && g_get_monotonic_time() - t0 < (gint64) opt_stall_ms * 3000) {
        struct pollfd pfd = { c, POLLRDHUP, 0 };
        cut = poll(&pfd, 1, 200) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
        peak = MAX(peak, status_kib("VmRSS"));
    }
    printf("stalled_consumer pulls=400 cut_off=%s after_ms=%.0f stall_limit_ms=%d "
           "rss_before_kib=%ld rss_peak_kib=%ld rss_after_kib=%ld\n",
           cut ? "yes" : "no", (gdouble) (g_get_monotonic_time() - t0) / 1000, opt_stall_ms,
           before, peak, status_kib("VmRSS"));
    close(c);
}

int
main(int argc, char **argv)
{
    GOptionEntry entries[] = {
        { "port", 0, 0, G_OPTION_ARG_INT, &opt_port, "Broker port", "P" },
        { "pid", 0, 0, G_OPTION_ARG_STRING, &opt_pid, "Broker pid (for RSS)", "PID" },
        { "idle", 0, 0, G_OPTION_ARG_INT, &opt_idle, "Idle connections (10000)", "N" },
        { "producers", 0, 0, G_OPTION_ARG_INT, &opt_producers, "Producers past capacity (1000)",
          "N" },
        { "base", 0, 0, G_OPTION_ARG_INT, &opt_base, "Producers under capacity (16)", "N" },
        { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "Seconds per producer phase (5)",
          "S" },
        { "stall-ms", 0, 0, G_OPTION_ARG_INT, &opt_stall_ms,
          "The broker's connectionWriteStallTimeoutMills", "MS" },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- rmq-broker overload bench");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || opt_port <= 0 || opt_pid == NULL) {
        fprintf(stderr, "%s\n", error != NULL ? error->message : "--port and --pid are required");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    phase_idle();
    phase_producers("base", opt_base);
    phase_producers("overload", opt_producers);
    phase_stalled_consumer();
    return 0;
}
