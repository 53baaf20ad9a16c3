#include <config.h>

#include "daemon-harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct _RmqTestNotify {
    int fd;
    GThread *thread;
    GAsyncQueue *queue; /* of gchar *, oldest first */
    gint stop;
};

static gpointer
notify_reader(gpointer data)
{
    RmqTestNotify *n = data;
    while (!g_atomic_int_get(&n->stop)) {
        struct pollfd pfd = { n->fd, POLLIN, 0 };
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        gchar buf[4096];
        union {
            struct cmsghdr align;
            gchar space[CMSG_SPACE(sizeof(struct ucred))];
        } control;
        struct iovec iov = { buf, sizeof buf - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof control };
        ssize_t len = recvmsg(n->fd, &mh, 0);
        if (len <= 0)
            continue;
        /* Tag each message with its sender (SO_PASSCRED), so a waiter can
         * skip what an earlier run of the same daemon sent. */
        pid_t pid = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred cred;
                memcpy(&cred, CMSG_DATA(c), sizeof cred);
                pid = cred.pid;
            }
        g_async_queue_push(n->queue, g_strdup_printf("_PID=%d\n%.*s", (int) pid, (int) len, buf));
    }
    return NULL;
}

RmqTestNotify *
rmq_test_notify_new(const gchar *path)
{
    RmqTestNotify *n = g_new0(RmqTestNotify, 1);
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    g_assert(n->fd >= 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_assert(strlen(path) < sizeof sa.sun_path);
    strcpy(sa.sun_path, path);
    g_unlink(path);
    g_assert(bind(n->fd, (struct sockaddr *) &sa, sizeof sa) == 0);
    int on = 1;
    g_assert(setsockopt(n->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0);
    n->queue = g_async_queue_new_full(g_free);
    n->thread = g_thread_new("notify-reader", notify_reader, n);
    return n;
}

/* Whether @msg ("_PID=N\n...") came from @proc (NULL: any sender). */
static gboolean
from_process(const gchar *msg, GSubprocess *proc)
{
    const gchar *id = proc != NULL ? g_subprocess_get_identifier(proc) : NULL;
    if (id == NULL || !g_str_has_prefix(msg, "_PID="))
        return TRUE;
    gsize n = strlen(id);
    return strncmp(msg + 5, id, n) == 0 && msg[5 + n] == '\n';
}

gchar *
rmq_test_notify_wait(RmqTestNotify *n, const gchar *needle, GSubprocess *proc, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    for (;;) {
        gchar *msg = g_async_queue_try_pop(n->queue);
        if (msg != NULL) {
            if (strstr(msg, needle) != NULL && from_process(msg, proc))
                return msg;
            g_free(msg);
            continue;
        }
        gint64 left = deadline - g_get_monotonic_time();
        if (left <= 0)
            return NULL;
        /* The daemon died: no point waiting. */
        if (proc != NULL && g_subprocess_get_identifier(proc) == NULL)
            return NULL;
        msg = g_async_queue_timeout_pop(n->queue, (guint64) MIN(left, 100000));
        if (msg != NULL)
            g_async_queue_push_front(n->queue, msg);
    }
}

void
rmq_test_notify_drain(RmqTestNotify *n)
{
    gchar *msg;
    while ((msg = g_async_queue_try_pop(n->queue)) != NULL)
        g_free(msg);
}

void
rmq_test_notify_free(RmqTestNotify *n)
{
    if (n == NULL)
        return;
    g_atomic_int_set(&n->stop, 1);
    g_thread_join(n->thread);
    g_async_queue_unref(n->queue);
    close(n->fd);
    g_free(n);
}

static gboolean
port_free(guint16 port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    gboolean ok = bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* Ports this process handed out: a port is only free until its daemon binds
 * it, so a later pick must keep clear of the earlier ones and of the ports
 * derived from them (a broker binds port-2 and port+1 as well). */
static guint16 handed_out[256];
static guint n_handed_out;
G_LOCK_DEFINE_STATIC(handed_out);

static gboolean
clear_of_handed_out(guint16 p)
{
    for (guint i = 0; i < MIN(n_handed_out, G_N_ELEMENTS(handed_out)); i++) {
        gint d = (gint) p - (gint) handed_out[i];
        if (d >= -3 && d <= 3) /* {p-2, p, p+1} meets {h-2, h, h+1} */
            return FALSE;
    }
    return TRUE;
}

/* Ports come from below the kernel's ephemeral range: a port in it that is
 * free now may become the local port of any outgoing connection before the
 * daemon binds it ("Address already in use"; tests/interop/lib/free-ports.js
 * picks the same way). [*low, *high): 10000 up to the range's start. */
static void
port_span(gint *low, gint *high)
{
    g_autofree gchar *text = NULL;
    gint start = 32768;
    if (g_file_get_contents("/proc/sys/net/ipv4/ip_local_port_range", &text, NULL, NULL))
        start = (gint) g_ascii_strtoll(text, NULL, 10);
    if (start > 11000) {
        *low = 10000;
        *high = start;
    } else {
        *low = 1024;
        *high = 10000;
    }
}

guint16
rmq_test_daemon_port(void)
{
    gint low, high;
    port_span(&low, &high);
    G_LOCK(handed_out);
    guint16 port = 0;
    for (guint attempt = 0; port == 0; attempt++) {
        g_assert(attempt < 10000);
        guint16 p = (guint16) g_random_int_range(low + 2, high - 1);
        if (clear_of_handed_out(p) && port_free(p) && port_free((guint16) (p - 2)) &&
            port_free((guint16) (p + 1)))
            port = p;
    }
    handed_out[n_handed_out++ % G_N_ELEMENTS(handed_out)] = port;
    G_UNLOCK(handed_out);
    return port;
}

gchar *
rmq_test_build_path(const gchar *relpath)
{
    const gchar *b = g_getenv("RMQ_BUILDDIR");
    return g_build_filename(b != NULL ? b : ".", relpath, NULL);
}

/* A test that crashes must not leave daemons behind. */
static void
die_with_parent(gpointer data)
{
    (void) data;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocess *
rmq_test_daemon_spawn(const gchar *const *argv, const gchar *notify_path, const gchar *log_path,
                      const gchar *const *env, GError **error)
{
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_INHERIT);
    g_subprocess_launcher_setenv(l, "NOTIFY_SOCKET", notify_path, TRUE);
    g_subprocess_launcher_unsetenv(l, "STATE_DIRECTORY");
    g_subprocess_launcher_unsetenv(l, "WATCHDOG_USEC");
    g_subprocess_launcher_unsetenv(l, "NAMESRV_ADDR");
    if (env != NULL)
        for (guint i = 0; env[i] != NULL && env[i + 1] != NULL; i += 2)
            g_subprocess_launcher_setenv(l, env[i], env[i + 1], TRUE);
    int logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    g_assert(logfd >= 0);
    g_subprocess_launcher_take_stderr_fd(l, logfd);
    g_subprocess_launcher_set_flags(l, G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
    return g_subprocess_launcher_spawnv(l, argv, error);
}

gboolean
rmq_test_daemon_wait_ready(RmqTestNotify *n, GSubprocess *proc, const gchar *name,
                           const gchar *log_path, guint timeout_ms, GError **error)
{
    g_autofree gchar *ready = rmq_test_notify_wait(n, "READY=1", proc, timeout_ms);
    if (ready != NULL)
        return TRUE;
    g_autofree gchar *log = rmq_test_daemon_log(log_path);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s did not become ready; its log:\n%s",
                name, log);
    return FALSE;
}

static void
on_waited(GObject *src, GAsyncResult *res, gpointer user_data)
{
    gboolean *done = user_data;
    g_subprocess_wait_finish(G_SUBPROCESS(src), res, NULL);
    *done = TRUE;
}

int
rmq_test_daemon_signal_and_wait(GSubprocess **proc, int sig, guint timeout_ms)
{
    if (*proc == NULL)
        return -1;
    gboolean done = FALSE;
    g_subprocess_send_signal(*proc, sig);
    g_subprocess_wait_async(*proc, NULL, on_waited, &done);
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    while (!done && g_get_monotonic_time() < deadline)
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(5000);
    if (!done) {
        g_subprocess_force_exit(*proc);
        while (!done)
            g_main_context_iteration(NULL, TRUE);
        g_clear_object(proc);
        return -1;
    }
    int status = g_subprocess_get_if_exited(*proc) ? g_subprocess_get_exit_status(*proc)
                                                   : 128 + g_subprocess_get_term_sig(*proc);
    g_clear_object(proc);
    return status;
}

gchar *
rmq_test_daemon_log(const gchar *log_path)
{
    gchar *text = NULL;
    if (!g_file_get_contents(log_path, &text, NULL, NULL))
        return g_strdup("");
    return text;
}

void
rmq_test_rm_rf(const gchar *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        GDir *dir = g_dir_open(path, 0, NULL);
        const gchar *name;
        while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree gchar *child = g_build_filename(path, name, NULL);
            rmq_test_rm_rf(child);
        }
        if (dir != NULL)
            g_dir_close(dir);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

gchar *
rmq_test_faketime_library(void)
{
    const gchar *env = g_getenv("RMQ_TEST_FAKETIME");
    if (env != NULL && *env != '\0')
        return g_file_test(env, G_FILE_TEST_EXISTS) ? g_strdup(env) : NULL;
    const gchar *roots[] = { "/usr/lib", "/usr/local/lib", "/usr/lib64" };
    for (guint i = 0; i < G_N_ELEMENTS(roots); i++) {
        g_autofree gchar *flat = g_build_filename(roots[i], "faketime", "libfaketimeMT.so.1", NULL);
        if (g_file_test(flat, G_FILE_TEST_EXISTS))
            return g_steal_pointer(&flat);
        g_autoptr(GDir) dir = g_dir_open(roots[i], 0, NULL);
        const gchar *name;
        while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree gchar *p = g_build_filename(roots[i], name, "faketime", "libfaketimeMT.so.1",
                                                   NULL);
            if (g_file_test(p, G_FILE_TEST_EXISTS))
                return g_steal_pointer(&p);
        }
    }
    return NULL;
}

gchar *
rmq_test_faketime_library_or_skip(void)
{
    gchar *lib = rmq_test_faketime_library();
    if (lib == NULL)
        printf("1..0 # SKIP libfaketime is not installed (scripts/install-deps.sh test installs it)\n");
    return lib;
}

GStrv
rmq_test_faketime_env(const gchar *lib, const gchar *clock_path)
{
    const gchar *asan = g_getenv("ASAN_OPTIONS");
    /* an ASan daemon refuses a library preloaded ahead of its runtime */
    g_autofree gchar *asan_opts = g_strdup_printf("%s%sverify_asan_link_order=0",
                                                  asan != NULL ? asan : "", asan != NULL ? ":" : "");
    const gchar *env[] = { "LD_PRELOAD", lib, "FAKETIME_TIMESTAMP_FILE", clock_path,
                           "FAKETIME_NO_CACHE", "1", "FAKETIME_DONT_FAKE_MONOTONIC", "1",
                           "NO_FAKE_STAT", "1", "ASAN_OPTIONS", asan_opts, NULL };
    return g_strdupv((gchar **) env);
}

void
rmq_test_faketime_set(const gchar *clock_path, const gchar *offset)
{
    g_autofree gchar *tmp = g_strconcat(clock_path, ".new", NULL);
    g_assert(g_file_set_contents(tmp, offset, -1, NULL));
    g_assert(g_rename(tmp, clock_path) == 0); /* the library never reads half a file */
}

GStrv
rmq_test_faketime_clock(const gchar *lib, const gchar *dir, gchar **clock_path)
{
    *clock_path = g_build_filename(dir, "clock", NULL);
    rmq_test_faketime_set(*clock_path, "+0\n");
    return rmq_test_faketime_env(lib, *clock_path);
}
