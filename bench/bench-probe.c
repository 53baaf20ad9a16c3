/* bench-probe: the small measurements bench/run.sh needs that shell cannot
 * take precisely, one per subcommand, each printing key=value on stdout.
 *
 *   bench-probe ports N             N free loopback TCP ports P, each with
 *                                   P-2 and P+1 free too (a broker's VIP and
 *                                   HA ports)
 *   bench-probe ready LOG -- CMD... start CMD (stdout/stderr to LOG) with a
 *                                   private NOTIFY_SOCKET; prints ready_ms
 *                                   (fork to READY=1) and pid. CMD keeps
 *                                   running after this exits.
 *   bench-probe rtt SECONDS SIZE    loopback TCP ping-pong, one message in
 *                                   flight: round trips/s, p50/p99/max us
 *   bench-probe fsync DIR SECONDS SIZE [overwrite|append|fallocate]
 *                                   sequential pwrite of SIZE bytes +
 *                                   fdatasync in a loop on a file in DIR:
 *                                   per s, p50/p99 (see FsyncMode)
 *
 * rtt and fsync are the physical floors the broker is compared with: no
 * request can be answered faster than a loopback round trip, and no
 * SYNC_FLUSH producer with one message in flight can be faster than one
 * fdatasync per message. */
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
#include <sys/wait.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "support/notify-listener.h"

/* ------------------------------------------------------------ samples */

static int
cmp_u32(gconstpointer a, gconstpointer b)
{
    guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @s. */
static guint32
pct(const GArray *s, gdouble q)
{
    if (s->len == 0)
        return 0;
    guint i = (guint) (q * s->len + 0.999999);
    if (i == 0)
        i = 1;
    if (i > s->len)
        i = s->len;
    return g_array_index(s, guint32, i - 1);
}

static void
print_samples(const gchar *rate_key, GArray *s, gdouble secs)
{
    g_array_sort(s, cmp_u32);
    printf("%s=%.0f n=%u p50_us=%u p99_us=%u max_us=%u\n", rate_key,
           secs > 0 ? s->len / secs : 0.0, s->len, pct(s, 0.50), pct(s, 0.99),
           s->len ? g_array_index(s, guint32, s->len - 1) : 0);
}

/* ------------------------------------------------------------ ports */

static gboolean
port_free(guint16 port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    gboolean ok = fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int
cmd_ports(int argc, char **argv)
{
    gint n = argc > 0 ? atoi(argv[0]) : 1;
    GHashTable *given = g_hash_table_new(NULL, NULL);
    /* Random start in the range below the kernel's ephemeral ports, so
     * two runs at the same time rarely pick the same ports. */
    guint16 p = (guint16) g_random_int_range(20000, 30000);
    for (gint found = 0, tries = 0; found < n && tries < 10000; tries++, p += 4) {
        if (p > 31000)
            p = 20002;
        gboolean clash = FALSE;
        for (gint d = -2; d <= 1; d++)
            clash |= g_hash_table_contains(given, GINT_TO_POINTER(p + d));
        if (clash || !port_free(p) || !port_free((guint16) (p - 2)) || !port_free((guint16) (p + 1)))
            continue;
        for (gint d = -2; d <= 1; d++)
            g_hash_table_add(given, GINT_TO_POINTER(p + d));
        printf("%s%u", found ? " " : "", p);
        found++;
    }
    printf("\n");
    g_hash_table_destroy(given);
    return 0;
}

/* ------------------------------------------------------------ ready */

static int
cmd_ready(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "--") != 0) {
        g_printerr("usage: bench-probe ready LOG -- CMD [ARGS...]\n");
        return 2;
    }
    const char *log = argv[0];
    RmqNotifyListener *l = rmq_notify_listener_new();
    gint64 t0 = g_get_monotonic_time();
    pid_t pid = fork();
    if (pid < 0) {
        g_printerr("fork: %s\n", g_strerror(errno));
        return 1;
    }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || nul < 0)
            _exit(127);
        dup2(nul, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        setsid(); /* outlives this helper; the script stops it by pid */
        execv(argv[2], argv + 2);
        _exit(127);
    }
    /* Wait for READY=1, giving up if the daemon exits first. */
    gint64 deadline = t0 + 20 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < deadline) {
        g_autofree gchar *msg = rmq_notify_listener_next(l, 50);
        gint64 now = g_get_monotonic_time();
        if (msg && strstr(msg, "READY=1")) {
            printf("ready_ms=%.1f pid=%d\n", (gdouble) (now - t0) / 1000.0, (int) pid);
            rmq_notify_listener_free(l);
            return 0;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            g_printerr("bench-probe: %s exited before READY=1 (see %s)\n", argv[2], log);
            rmq_notify_listener_free(l);
            return 1;
        }
    }
    g_printerr("bench-probe: no READY=1 from %s in 20 s; killing it\n", argv[2]);
    kill(pid, SIGKILL);
    rmq_notify_listener_free(l);
    return 1;
}

/* ------------------------------------------------------------ rtt */

static gboolean
io_full(int fd, guint8 *buf, gsize len, gboolean wr)
{
    gsize done = 0;
    while (done < len) {
        ssize_t n = wr ? write(fd, buf + done, len - done) : read(fd, buf + done, len - done);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return FALSE;
        }
        done += (gsize) n;
    }
    return TRUE;
}

typedef struct {
    int listen_fd;
    gsize size;
} Echo;

static gpointer
echo_thread(gpointer data)
{
    Echo *e = data;
    int fd = accept(e->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    g_autofree guint8 *buf = g_malloc(e->size);
    while (io_full(fd, buf, e->size, FALSE) && io_full(fd, buf, e->size, TRUE))
        ;
    close(fd);
    return NULL;
}

static int
cmd_rtt(int argc, char **argv)
{
    gdouble seconds = argc > 0 ? g_ascii_strtod(argv[0], NULL) : 3;
    gsize size = argc > 1 ? (gsize) atoi(argv[1]) : 128;
    if (seconds <= 0 || size == 0) {
        g_printerr("usage: bench-probe rtt SECONDS SIZE\n");
        return 2;
    }
    Echo e = { .size = size };
    e.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (e.listen_fd < 0 || bind(e.listen_fd, (struct sockaddr *) &sa, sizeof sa) != 0 ||
        listen(e.listen_fd, 1) != 0 || getsockname(e.listen_fd, (struct sockaddr *) &sa, &len) != 0) {
        g_printerr("bench-probe: listen: %s\n", g_strerror(errno));
        return 1;
    }
    GThread *t = g_thread_new("echo", echo_thread, &e);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) != 0) {
        g_printerr("bench-probe: connect: %s\n", g_strerror(errno));
        return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    g_autofree guint8 *buf = g_malloc0(size);
    GArray *s = g_array_sized_new(FALSE, FALSE, sizeof(guint32), 1 << 16);
    gint64 start = g_get_monotonic_time(), end = start + (gint64) (seconds * G_USEC_PER_SEC);
    gint64 now = start;
    while (now < end) {
        gint64 t0 = now;
        if (!io_full(fd, buf, size, TRUE) || !io_full(fd, buf, size, FALSE)) {
            g_printerr("bench-probe: echo failed: %s\n", g_strerror(errno));
            return 1;
        }
        now = g_get_monotonic_time();
        guint32 us = (guint32) (now - t0);
        g_array_append_val(s, us);
    }
    gdouble secs = (gdouble) (now - start) / G_USEC_PER_SEC;
    close(fd);
    g_thread_join(t);
    close(e.listen_fd);
    print_samples("round_trips_per_s", s, secs);
    g_array_free(s, TRUE);
    return 0;
}

/* ------------------------------------------------------------ fsync */

/* How the flushed bytes land: over written blocks (data only), appended
 * (the size changes: a journal commit per flush, as an AOF append), or into
 * fallocated blocks written for the first time (unwritten extents turn
 * written: a journal commit too, as in the store's preallocated files). */
typedef enum { FSYNC_OVERWRITE, FSYNC_APPEND, FSYNC_FALLOCATE } FsyncMode;

static int
cmd_fsync(int argc, char **argv)
{
    if (argc < 3) {
        g_printerr("usage: bench-probe fsync DIR SECONDS SIZE [overwrite|append|fallocate]\n");
        return 2;
    }
    gdouble seconds = g_ascii_strtod(argv[1], NULL);
    gsize size = (gsize) atoi(argv[2]);
    const gchar *how = argc > 3 ? argv[3] : "overwrite";
    FsyncMode mode = strcmp(how, "append") == 0      ? FSYNC_APPEND
                     : strcmp(how, "fallocate") == 0 ? FSYNC_FALLOCATE
                                                     : FSYNC_OVERWRITE;
    if (mode == FSYNC_OVERWRITE && strcmp(how, "overwrite") != 0) {
        g_printerr("bench-probe: unknown fsync mode '%s'\n", how);
        return 2;
    }
    g_autofree gchar *path = g_build_filename(argv[0], "bench-probe-fsync.dat", NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || seconds <= 0 || size == 0 || size > (1 << 20)) {
        g_printerr("bench-probe: %s: %s\n", path, fd < 0 ? g_strerror(errno) : "bad arguments");
        return 1;
    }
    const gsize file_size = 256 << 20;
    g_autofree guint8 *chunk = g_malloc0(1 << 20);
    int err = 0;
    if (mode == FSYNC_OVERWRITE) {
        for (gsize off = 0; off < file_size && err == 0; off += 1 << 20)
            if (write(fd, chunk, 1 << 20) != 1 << 20)
                err = errno ? errno : EIO;
    } else if (mode == FSYNC_FALLOCATE) {
        err = posix_fallocate(fd, 0, (off_t) file_size);
    }
    if (err != 0 || fsync(fd) != 0) {
        g_printerr("bench-probe: preparing %s: %s\n", path, g_strerror(err ? err : errno));
        return 1;
    }
    memset(chunk, 'x', size);
    GArray *s = g_array_sized_new(FALSE, FALSE, sizeof(guint32), 1 << 14);
    gint64 start = g_get_monotonic_time(), end = start + (gint64) (seconds * G_USEC_PER_SEC);
    gint64 now = start;
    gsize off = 0;
    while (now < end && off + size <= file_size) {
        gint64 t0 = now;
        if (pwrite(fd, chunk, size, (off_t) off) != (ssize_t) size || fdatasync(fd) != 0) {
            g_printerr("bench-probe: pwrite/fdatasync: %s\n", g_strerror(errno));
            return 1;
        }
        off += size; /* sequential, as a log */
        now = g_get_monotonic_time();
        guint32 us = (guint32) (now - t0);
        g_array_append_val(s, us);
    }
    close(fd);
    g_unlink(path);
    print_samples("fdatasyncs_per_s", s, (gdouble) (now - start) / G_USEC_PER_SEC);
    g_array_free(s, TRUE);
    return 0;
}

int
main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "ports") == 0)
        return cmd_ports(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "ready") == 0)
        return cmd_ready(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "rtt") == 0)
        return cmd_rtt(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "fsync") == 0)
        return cmd_fsync(argc - 2, argv + 2);
    g_printerr("usage: bench-probe ports N | ready LOG -- CMD... | rtt SECONDS SIZE | "
               "fsync DIR SECONDS SIZE [overwrite|append|fallocate]\n");
    return 2;
}
