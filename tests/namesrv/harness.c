#include <config.h>

#include "harness.h"

#include <signal.h>
#include <stdarg.h>
#include <string.h>

#include "remoting/codes.h"

guint16
ns_free_port(void)
{
    return rmq_test_daemon_port();
}

static const gchar *
daemon_binary(void)
{
    static gchar *path;
    if (path == NULL)
        path = rmq_test_build_path("src/namesrv/rmq-namesrv");
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
    g_autofree gchar *conf = g_strdup_printf("# written by the namesrv integration tests\n"
                                             "listenPort = %u;\n"
                                             "bindAddress = \"127.0.0.1\";\n"
                                             "kvConfigPath = \"%s\";\n"
                                             "%s\n",
                                             d->port, d->kv_path, d->extra_conf);
    g_assert(g_file_set_contents(d->conf_path, conf, -1, NULL));
    return d;
}

gchar *
ns_daemon_wait_notify(NsDaemon *d, const gchar *needle, guint timeout_ms)
{
    if (d->notify == NULL)
        return NULL;
    return rmq_test_notify_wait(d->notify, needle, d->proc, timeout_ms);
}

void
ns_daemon_drain_notify(NsDaemon *d)
{
    if (d->notify != NULL)
        rmq_test_notify_drain(d->notify);
}

gboolean
ns_daemon_start(NsDaemon *d, guint timeout_ms, GError **error)
{
    if (d->notify == NULL)
        d->notify = rmq_test_notify_new(d->notify_path);
    const gchar *argv[] = { daemon_binary(), "--instance", d->instance, "--config", d->conf_path,
                            NULL };
    g_clear_object(&d->proc);
    d->proc = rmq_test_daemon_spawn(argv, d->notify_path, d->log_path,
                                    (const gchar *const *) d->env, error);
    if (d->proc == NULL)
        return FALSE;
    return rmq_test_daemon_wait_ready(d->notify, d->proc, "rmq-namesrv", d->log_path, timeout_ms,
                                      error);
}

int
ns_daemon_signal_and_wait(NsDaemon *d, int sig, guint timeout_ms)
{
    return rmq_test_daemon_signal_and_wait(&d->proc, sig, timeout_ms);
}

gchar *
ns_daemon_log(NsDaemon *d)
{
    return rmq_test_daemon_log(d->log_path);
}

void
ns_daemon_free(NsDaemon *d)
{
    if (d == NULL)
        return;
    if (d->proc != NULL)
        ns_daemon_signal_and_wait(d, SIGKILL, 5000);
    rmq_test_notify_free(d->notify);
    rmq_test_rm_rf(d->dir);
    g_free(d->dir);
    g_free(d->conf_path);
    g_free(d->kv_path);
    g_free(d->log_path);
    g_free(d->notify_path);
    g_free(d->instance);
    g_free(d->addr);
    g_free(d->extra_conf);
    g_strfreev(d->env);
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
