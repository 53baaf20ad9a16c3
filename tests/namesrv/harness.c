#include <config.h>

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <glib/gstdio.h>

#include "remoting/codes.h"

guint16
ns_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    g_assert(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert(bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0);
    socklen_t len = sizeof sa;
    g_assert(getsockname(fd, (struct sockaddr *) &sa, &len) == 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static const gchar *
daemon_binary(void)
{
    static gchar *path;
    if (path == NULL) {
        const gchar *b = g_getenv("RMQ_BUILDDIR");
        path = g_build_filename(b != NULL ? b : ".", "src", "namesrv", "rmq-namesrv", NULL);
    }
    return path;
}

NsDaemon *
ns_daemon_new(const gchar *instance, const gchar *extra_conf)
{
    NsDaemon *d = g_new0(NsDaemon, 1);
    d->dir = g_dir_make_tmp("rmq-ns-XXXXXX", NULL);
    g_assert(d->dir != NULL);
    d->instance = g_strdup(instance);
    d->conf_path = g_build_filename(d->dir, "namesrv.conf", NULL);
    d->kv_path = g_build_filename(d->dir, "state", "kvConfig.json", NULL);
    d->log_path = g_build_filename(d->dir, "daemon.log", NULL);
    d->notify_path = g_build_filename(d->dir, "notify", NULL);
    d->extra_conf = g_strdup(extra_conf != NULL ? extra_conf : "");
    d->port = ns_free_port();
    d->addr = g_strdup_printf("127.0.0.1:%u", d->port);
    d->notify_fd = -1;
    g_autofree gchar *conf = g_strdup_printf("# written by the namesrv integration tests\n"
                                             "listenPort = %u;\n"
                                             "bindAddress = \"127.0.0.1\";\n"
                                             "kvConfigPath = \"%s\";\n"
                                             "%s\n",
                                             d->port, d->kv_path, d->extra_conf);
    g_assert(g_file_set_contents(d->conf_path, conf, -1, NULL));
    return d;
}

static void
open_notify(NsDaemon *d)
{
    if (d->notify_fd >= 0)
        return;
    d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    g_assert(d->notify_fd >= 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_assert(strlen(d->notify_path) < sizeof sa.sun_path);
    strcpy(sa.sun_path, d->notify_path);
    g_unlink(d->notify_path);
    g_assert(bind(d->notify_fd, (struct sockaddr *) &sa, sizeof sa) == 0);
}

gchar *
ns_daemon_wait_notify(NsDaemon *d, const gchar *needle, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    for (;;) {
        gchar buf[4096];
        ssize_t n = recv(d->notify_fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
            buf[n] = '\0';
            if (strstr(buf, needle) != NULL)
                return g_strdup(buf);
            continue;
        }
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0)
            return NULL;
        /* The daemon died: no point waiting. */
        if (d->proc != NULL && g_subprocess_get_identifier(d->proc) == NULL)
            return NULL;
        struct pollfd pfd = { d->notify_fd, POLLIN, 0 };
        poll(&pfd, 1, (int) MIN(left, 100));
    }
}

void
ns_daemon_drain_notify(NsDaemon *d)
{
    gchar buf[4096];
    while (recv(d->notify_fd, buf, sizeof buf, 0) > 0)
        ;
}

gboolean
ns_daemon_start(NsDaemon *d, guint timeout_ms, GError **error)
{
    open_notify(d);
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_INHERIT);
    g_subprocess_launcher_setenv(l, "NOTIFY_SOCKET", d->notify_path, TRUE);
    g_subprocess_launcher_unsetenv(l, "STATE_DIRECTORY");
    g_subprocess_launcher_unsetenv(l, "WATCHDOG_USEC");
    /* Append across restarts, so a failure report shows every run. */
    int logfd = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    g_assert(logfd >= 0);
    g_subprocess_launcher_take_stderr_fd(l, logfd);
    g_subprocess_launcher_set_flags(l, G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_clear_object(&d->proc);
    d->proc = g_subprocess_launcher_spawn(l, error, daemon_binary(), "--instance", d->instance,
                                          "--config", d->conf_path, NULL);
    if (d->proc == NULL)
        return FALSE;
    g_autofree gchar *ready = ns_daemon_wait_notify(d, "READY=1", timeout_ms);
    if (ready == NULL) {
        g_autofree gchar *log = ns_daemon_log(d);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                    "rmq-namesrv did not become ready; its log:\n%s", log);
        return FALSE;
    }
    return TRUE;
}

static void
on_waited(GObject *src, GAsyncResult *res, gpointer user_data)
{
    gboolean *done = user_data;
    g_subprocess_wait_finish(G_SUBPROCESS(src), res, NULL);
    *done = TRUE;
}

int
ns_daemon_signal_and_wait(NsDaemon *d, int sig, guint timeout_ms)
{
    if (d->proc == NULL)
        return -1;
    gboolean done = FALSE;
    g_subprocess_send_signal(d->proc, sig);
    g_subprocess_wait_async(d->proc, NULL, on_waited, &done);
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    while (!done && g_get_monotonic_time() < deadline) {
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(5000);
    }
    if (!done) {
        g_subprocess_force_exit(d->proc);
        while (!done)
            g_main_context_iteration(NULL, TRUE);
        g_clear_object(&d->proc);
        return -1;
    }
    int status = g_subprocess_get_if_exited(d->proc) ? g_subprocess_get_exit_status(d->proc)
                                                     : 128 + g_subprocess_get_term_sig(d->proc);
    g_clear_object(&d->proc);
    return status;
}

gchar *
ns_daemon_log(NsDaemon *d)
{
    gchar *text = NULL;
    if (!g_file_get_contents(d->log_path, &text, NULL, NULL))
        return g_strdup("");
    return text;
}

static void
rm_rf(const gchar *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        GDir *dir = g_dir_open(path, 0, NULL);
        const gchar *name;
        while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree gchar *child = g_build_filename(path, name, NULL);
            rm_rf(child);
        }
        if (dir != NULL)
            g_dir_close(dir);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

void
ns_daemon_free(NsDaemon *d)
{
    if (d == NULL)
        return;
    if (d->proc != NULL)
        ns_daemon_signal_and_wait(d, SIGKILL, 5000);
    if (d->notify_fd >= 0)
        close(d->notify_fd);
    rm_rf(d->dir);
    g_free(d->dir);
    g_free(d->conf_path);
    g_free(d->kv_path);
    g_free(d->log_path);
    g_free(d->notify_path);
    g_free(d->instance);
    g_free(d->addr);
    g_free(d->extra_conf);
    g_free(d);
}

RmqCommand *
ns_invoke(RmqClient *client, const gchar *addr, gint32 code, GBytes *body, GError **error, ...)
{
    RmqCommand *req = rmq_command_new_request(code);
    va_list ap;
    va_start(ap, error);
    for (const gchar *k = va_arg(ap, const gchar *); k != NULL; k = va_arg(ap, const gchar *)) {
        const gchar *v = va_arg(ap, const gchar *);
        rmq_command_set_ext(req, k, v);
    }
    va_end(ap);
    if (body != NULL)
        rmq_command_set_body(req, body);
    return rmq_client_invoke_sync(client, addr, req, 5000, error);
}

RmqCommand *
ns_register(RmqClient *client, const gchar *ns_addr, const gchar *cluster,
            const gchar *broker_name, gint64 broker_id, const gchar *broker_addr,
            const gchar *ha_addr, gint64 counter, const gchar *const *topics, GError **error)
{
    g_autoptr(RmqRegisterBody) body = rmq_register_body_new();
    body->data_version.counter = counter;
    body->data_version.timestamp = 1700000000000 + counter;
    for (guint i = 0; topics != NULL && topics[i] != NULL; i++) {
        RmqTopicConfig *tc = rmq_topic_config_new(topics[i]);
        tc->read_queue_nums = 4;
        tc->write_queue_nums = 4;
        rmq_register_body_add_topic(body, tc);
    }
    g_autoptr(GBytes) bytes = rmq_register_body_encode_json(body);
    gsize n;
    const guint8 *data = g_bytes_get_data(bytes, &n);
    g_autofree gchar *crc = g_strdup_printf("%d", rmq_register_body_crc32(data, n));
    g_autofree gchar *id = g_strdup_printf("%" G_GINT64_FORMAT, broker_id);
    return ns_invoke(client, ns_addr, RMQ_REQUEST_REGISTER_BROKER, bytes, error, "brokerName",
                     broker_name, "brokerAddr", broker_addr, "clusterName", cluster,
                     "haServerAddr", ha_addr, "brokerId", id, "compressed", "false", "bodyCrc32",
                     crc, NULL);
}

JsonNode *
ns_body_json(const RmqCommand *resp)
{
    if (resp == NULL || resp->body == NULL)
        return NULL;
    gsize n;
    const gchar *data = g_bytes_get_data(resp->body, &n);
    g_autoptr(JsonParser) p = json_parser_new();
    if (!json_parser_load_from_data(p, data, (gssize) n, NULL))
        return NULL;
    return json_node_copy(json_parser_get_root(p));
}

gint32
ns_wait_route_code(RmqClient *client, const gchar *addr, const gchar *topic, gint32 code,
                   guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    gint32 last = -1;
    for (;;) {
        g_autoptr(GError) err = NULL;
        g_autoptr(RmqCommand) resp = ns_invoke(client, addr, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC,
                                               NULL, &err, "topic", topic, NULL);
        last = resp != NULL ? resp->code : -1;
        if (last == code || g_get_monotonic_time() >= deadline)
            return last;
        g_usleep(50 * 1000);
    }
}
