#include <config.h>

#include "harness.h"

#include <signal.h>
#include <stdarg.h>
#include <string.h>

#include "remoting/codes.h"
#include "remoting/json_body.h"

guint16
bk_free_port(void)
{
    return rmq_test_daemon_port();
}

static BkDaemon *
daemon_new(const gchar *binary, const gchar *conf_fmt_extra)
{
    BkDaemon *d = g_new0(BkDaemon, 1);
    d->binary = g_strdup(binary);
    d->dir = g_dir_make_tmp("rmq-bk-XXXXXX", NULL);
    g_assert(d->dir != NULL);
    d->conf_path = g_build_filename(d->dir, "daemon.conf", NULL);
    d->log_path = g_build_filename(d->dir, "daemon.log", NULL);
    d->notify_path = g_build_filename(d->dir, "notify", NULL);
    d->port = bk_free_port();
    d->addr = g_strdup_printf("127.0.0.1:%u", d->port);
    (void) conf_fmt_extra;
    return d;
}

BkDaemon *
bk_namesrv_new(void)
{
    BkDaemon *d = daemon_new("src/namesrv/rmq-namesrv", NULL);
    g_autofree gchar *conf = g_strdup_printf("listenPort = %u;\nbindAddress = \"127.0.0.1\";\n"
                                             "kvConfigPath = \"%s/kv.json\";\n",
                                             d->port, d->dir);
    g_assert(g_file_set_contents(d->conf_path, conf, -1, NULL));
    return d;
}

BkDaemon *
bk_broker_new(const gchar *ns_addr, const gchar *extra_conf)
{
    BkDaemon *d = daemon_new("src/broker/rmq-broker", NULL);
    g_autofree gchar *ns = ns_addr != NULL ? g_strdup_printf("namesrvAddr = \"%s\";\n", ns_addr)
                                           : g_strdup("");
    g_autofree gchar *conf = g_strdup_printf(
        "listenPort = %u;\nbindAddress = \"127.0.0.1\";\nbrokerIP1 = \"127.0.0.1\";\n"
        "brokerName = \"broker-a\";\nbrokerClusterName = \"DefaultCluster\";\n%s"
        "storePathRootDir = \"%s/store\";\nmappedFileSizeCommitLog = 8388608;\n"
        "mappedFileSizeConsumeQueue = 120000;\nmaxIndexNum = 40000;\nmaxHashSlotNum = 10000;\n"
        "%s\n",
        d->port, ns, d->dir, extra_conf != NULL ? extra_conf : "");
    g_assert(g_file_set_contents(d->conf_path, conf, -1, NULL));
    return d;
}

gchar *
bk_daemon_wait_notify(BkDaemon *d, const gchar *needle, guint timeout_ms)
{
    if (d->notify == NULL)
        return NULL;
    return rmq_test_notify_wait(d->notify, needle, d->proc, timeout_ms);
}

gboolean
bk_daemon_start(BkDaemon *d, guint timeout_ms, GError **error)
{
    if (d->notify == NULL)
        d->notify = rmq_test_notify_new(d->notify_path);
    g_autofree gchar *bin = rmq_test_build_path(d->binary);
    const gchar *argv[] = { bin, "--config", d->conf_path, NULL };
    g_clear_object(&d->proc);
    d->proc = rmq_test_daemon_spawn(argv, d->notify_path, d->log_path,
                                    (const gchar *const *) d->env, error);
    if (d->proc == NULL)
        return FALSE;
    return rmq_test_daemon_wait_ready(d->notify, d->proc, d->binary, d->log_path, timeout_ms,
                                      error);
}

int
bk_daemon_signal_and_wait(BkDaemon *d, int sig, guint timeout_ms)
{
    return rmq_test_daemon_signal_and_wait(&d->proc, sig, timeout_ms);
}

gboolean
bk_daemon_start_or_say(BkDaemon *d, guint timeout_ms)
{
    g_autoptr(GError) err = NULL;
    if (bk_daemon_start(d, timeout_ms, &err))
        return TRUE;
    g_printerr("# %s\n", err->message);
    return FALSE;
}

gchar *
bk_body_text(const RmqCommand *r)
{
    if (r == NULL || r->body == NULL)
        return g_strdup("");
    return g_strndup(g_bytes_get_data(r->body, NULL), g_bytes_get_size(r->body));
}

RmqCommand *
bk_consumer_heartbeat(RmqClient *c, const gchar *addr, const gchar *client_id,
                      const gchar *group, const gchar *topic)
{
    g_autofree gchar *hb = g_strdup_printf(
        "{\"clientID\":\"%s\",\"consumerDataSet\":[{\"groupName\":\"%s\","
        "\"consumeType\":\"CONSUME_PASSIVELY\",\"messageModel\":\"CLUSTERING\","
        "\"consumeFromWhere\":\"CONSUME_FROM_LAST_OFFSET\",\"subscriptionDataSet\":[{"
        "\"topic\":\"%s\",\"subString\":\"*\",\"subVersion\":1}]}],"
        "\"producerDataSet\":[]}",
        client_id, group, topic);
    g_autoptr(GBytes) body = g_bytes_new(hb, strlen(hb));
    return bk_invoke(c, addr, RMQ_REQUEST_HEART_BEAT, body, NULL);
}

gchar *
bk_daemon_log(BkDaemon *d)
{
    return rmq_test_daemon_log(d->log_path);
}

gboolean
bk_pair_start(BkDaemon **ns, BkDaemon **broker, const gchar *extra_conf)
{
    *ns = bk_namesrv_new();
    if (!bk_daemon_start_or_say(*ns, 10000))
        return FALSE;
    *broker = bk_broker_new((*ns)->addr, extra_conf);
    return bk_daemon_start_or_say(*broker, 15000);
}

void
bk_daemon_append_conf(BkDaemon *d, const gchar *extra)
{
    g_autofree gchar *conf = NULL;
    g_assert(g_file_get_contents(d->conf_path, &conf, NULL, NULL));
    g_autofree gchar *full = g_strconcat(conf, extra, NULL);
    g_assert(g_file_set_contents(d->conf_path, full, -1, NULL));
}

void
bk_daemon_free(BkDaemon *d)
{
    if (d == NULL)
        return;
    if (d->proc != NULL)
        bk_daemon_signal_and_wait(d, SIGKILL, 5000);
    rmq_test_notify_free(d->notify);
    if (g_getenv("RMQ_KEEP_TEST_DIRS") == NULL)
        rmq_test_rm_rf(d->dir);
    g_free(d->binary);
    g_free(d->dir);
    g_free(d->conf_path);
    g_free(d->log_path);
    g_free(d->notify_path);
    g_free(d->addr);
    g_strfreev(d->env);
    g_free(d);
}

RmqCommand *
bk_invoke(RmqClient *c, const gchar *addr, gint32 code, GBytes *body, ...)
{
    RmqCommand *req = rmq_command_new_request(code);
    va_list ap;
    va_start(ap, body);
    for (const gchar *k = va_arg(ap, const gchar *); k != NULL; k = va_arg(ap, const gchar *))
        rmq_command_set_ext(req, k, va_arg(ap, const gchar *));
    va_end(ap);
    if (body != NULL)
        rmq_command_set_body(req, body);
    g_autoptr(GError) err = NULL;
    RmqCommand *resp = rmq_client_invoke_sync(c, addr, req, 20000, &err);
    if (resp == NULL)
        g_printerr("# request %d to %s failed: %s\n", code, addr, err->message);
    return resp;
}

RmqCommand *
bk_send(RmqClient *c, const gchar *addr, const gchar *topic, gint qid, const gchar *tags,
        const gchar *keys, const gchar *body, const gchar *props_extra)
{
    GString *p = g_string_new(NULL);
    if (tags != NULL)
        g_string_append_printf(p, "TAGS\001%s\002", tags);
    if (keys != NULL)
        g_string_append_printf(p, "KEYS\001%s\002", keys);
    if (props_extra != NULL)
        g_string_append(p, props_extra);
    g_autofree gchar *props = g_string_free(p, FALSE);
    g_autofree gchar *q = g_strdup_printf("%d", qid);
    g_autofree gchar *born = g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time() / 1000);
    g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
    return bk_invoke(c, addr, RMQ_REQUEST_SEND_MESSAGE_V2, b, "a", "PG", "b", topic, "c", "TBW102",
                     "d", "4", "e", q, "f", "0", "g", born, "h", "0", "i", props, "j", "0", "k",
                     "false", "m", "false", NULL);
}

RmqCommand *
bk_pull(RmqClient *c, const gchar *addr, const gchar *group, const gchar *topic, gint qid,
        gint64 offset, const gchar *sub, gint64 suspend_ms)
{
    g_autofree gchar *q = g_strdup_printf("%d", qid);
    g_autofree gchar *o = g_strdup_printf("%" G_GINT64_FORMAT, offset);
    g_autofree gchar *s = g_strdup_printf("%" G_GINT64_FORMAT, suspend_ms);
    const gchar *flag = suspend_ms > 0 ? "6" : "4";
    return bk_invoke(c, addr, RMQ_REQUEST_PULL_MESSAGE, NULL, "consumerGroup", group, "topic",
                     topic, "queueId", q, "queueOffset", o, "maxMsgNums", "32", "sysFlag", flag,
                     "commitOffset", "0", "suspendTimeoutMillis", s, "subscription",
                     sub != NULL ? sub : "*", "subVersion", "0", "expressionType", "TAG", NULL);
}

GArray *
bk_records(GBytes *body)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(RmqMessageRecord));
    if (body == NULL)
        return out;
    gsize len = 0, pos = 0;
    const guint8 *data = g_bytes_get_data(body, &len);
    while (pos < len) {
        RmqMessageRecord r;
        g_assert_cmpint(rmq_message_decode(data + pos, len - pos, TRUE, &r), ==, RMQ_RECORD_OK);
        g_array_append_val(out, r);
        pos += (gsize) r.total_size;
    }
    return out;
}

gchar *
bk_record_body(const RmqMessageRecord *r)
{
    return g_strndup((const gchar *) r->body, (gsize) r->body_len);
}

gchar *
bk_record_topic(const RmqMessageRecord *r)
{
    return g_strndup(r->topic, (gsize) r->topic_len);
}

gchar *
bk_record_prop(const RmqMessageRecord *r, const gchar *name)
{
    const char *v;
    gsize n;
    if (!rmq_message_property_get(r->properties, (gsize) r->properties_len, name, &v, &n))
        return NULL;
    return g_strndup(v, n);
}

JsonNode *
bk_body_json(const RmqCommand *resp)
{
    if (resp == NULL || resp->body == NULL)
        return NULL;
    gsize n;
    const gchar *data = g_bytes_get_data(resp->body, &n);
    return rmq_json_parse_lenient(data, (gssize) n, NULL);
}

gint64
bk_ext_int(const RmqCommand *resp, const gchar *key, gint64 dflt)
{
    gint64 v;
    return resp != NULL && rmq_command_get_ext_int64(resp, key, &v) ? v : dflt;
}
