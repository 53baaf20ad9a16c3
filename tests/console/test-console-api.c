/* rmq-console against real daemons: rmq-namesrv, rmq-broker and two
 * consoles (one open, one with basic authentication) on free loopback
 * ports. Drives the JSON API and /metrics over HTTP (libsoup) and writes to
 * the cluster with the C client library. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <crypt.h>
#include <gio/gio.h>
#include <libsoup/soup.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/rmq-client.h"
#include "remoting/client.h"
#include "remoting/codes.h"
#include "remoting/command.h"
#include "remoting/connection.h"
#include "store/message_format.h"
#include "promparse.h"
#include "../support/daemon-harness.h"

/* ------------------------------------------------------------- daemons */

typedef struct {
    gchar *dir;
    gchar *conf;
    gchar *log;
    gchar *notify_path;
    RmqTestNotify *notify;
    guint16 port;
    GSubprocess *proc;
} Daemon;

static guint16
free_port(void)
{
    return rmq_test_daemon_port();
}

/* @nofile > 0: the daemon runs with that RLIMIT_NOFILE (via the shell's
 * ulimit); @extra_env: more NAME, VALUE pairs (NULL-terminated) or NULL. */
static Daemon *
daemon_start_full(const gchar *binary, const gchar *conf_text, guint16 port, guint nofile,
                  const gchar *const *extra_env)
{
    Daemon *d = g_new0(Daemon, 1);
    d->dir = g_dir_make_tmp("rmq-console-XXXXXX", NULL);
    g_assert(d->dir != NULL);
    d->conf = g_build_filename(d->dir, "daemon.conf", NULL);
    d->log = g_build_filename(d->dir, "daemon.log", NULL);
    d->notify_path = g_build_filename(d->dir, "notify", NULL);
    d->port = port;
    /* @DIR@ in the text is the daemon's directory */
    g_auto(GStrv) parts = g_strsplit(conf_text, "@DIR@", -1);
    g_autofree gchar *text = g_strjoinv(d->dir, parts);
    g_assert(g_file_set_contents(d->conf, text, -1, NULL));

    d->notify = rmq_test_notify_new(d->notify_path);
    g_autofree gchar *bin = rmq_test_build_path(binary);
    g_autofree gchar *script = g_strdup_printf("ulimit -n %u && exec \"$0\" \"$@\"", nofile);
    const gchar *plain[] = { bin, "--config", d->conf, NULL };
    const gchar *limited[] = { "/bin/sh", "-c", script, bin, "--config", d->conf, NULL };
    g_autoptr(GPtrArray) env = g_ptr_array_new();
    g_ptr_array_add(env, "RMQ_CONSOLE_SAMPLE_MS");
    g_ptr_array_add(env, "500");
    for (guint i = 0; extra_env != NULL && extra_env[i] != NULL; i++)
        g_ptr_array_add(env, (gpointer) extra_env[i]);
    g_ptr_array_add(env, NULL);
    g_autoptr(GError) error = NULL;
    d->proc = rmq_test_daemon_spawn(nofile > 0 ? limited : plain, d->notify_path, d->log,
                                    (const gchar *const *) env->pdata, &error);
    if (d->proc == NULL)
        fail_msg("%s: %s", bin, error->message);
    if (!rmq_test_daemon_wait_ready(d->notify, d->proc, binary, d->log, 15000, &error))
        fail_msg("%s", error->message);
    return d;
}

static Daemon *
daemon_start(const gchar *binary, const gchar *conf_text, guint16 port)
{
    return daemon_start_full(binary, conf_text, port, 0, NULL);
}

static gchar *
daemon_log(Daemon *d)
{
    return rmq_test_daemon_log(d->log);
}

static void
daemon_stop(Daemon *d)
{
    if (d == NULL)
        return;
    rmq_test_daemon_signal_and_wait(&d->proc, SIGTERM, 10000);
    rmq_test_notify_free(d->notify);
    if (g_getenv("RMQ_KEEP_TEST_DIRS") == NULL)
        rmq_test_rm_rf(d->dir);
    g_free(d->dir);
    g_free(d->conf);
    g_free(d->log);
    g_free(d->notify_path);
    g_free(d);
}

/* ------------------------------------------------------------- fixture */

typedef struct {
    Daemon *ns, *broker, *console, *auth_console;
    gchar *ns_addr;
    gchar *base;      /* http://127.0.0.1:<port> */
    gchar *auth_base;
    gchar *password;
    gchar *hash;
    gchar *viewer_hash, *admin2_hash; /* consoleAccounts: "watcher" (viewer), "lead" (admin) */
    SoupSession *http;
    gchar *csrf;
} Fx;

static Fx fx;

static gchar *
make_hash(const gchar *password)
{
    struct crypt_data cd = { 0 };
    const char *setting = crypt_gensalt_rn("$6$", 0, NULL, 0, cd.setting, sizeof cd.setting);
    return g_strdup(crypt_r(password, setting, &cd));
}

static int
setup(void **state)
{
    (void) state;
    guint16 p = free_port();
    g_autofree gchar *nconf = g_strdup_printf("listenPort = %u;\nbindAddress = \"127.0.0.1\";\n"
                                              "kvConfigPath = \"@DIR@/kv.json\";\n", p);
    fx.ns = daemon_start("src/namesrv/rmq-namesrv", nconf, p);
    fx.ns_addr = g_strdup_printf("127.0.0.1:%u", p);
    p = free_port();
    g_autofree gchar *bconf = g_strdup_printf(
        "listenPort = %u;\nbindAddress = \"127.0.0.1\";\nbrokerIP1 = \"127.0.0.1\";\n"
        "brokerName = \"broker-a\";\nbrokerClusterName = \"DefaultCluster\";\n"
        "namesrvAddr = \"%s\";\nstorePathRootDir = \"@DIR@/store\";\n"
        "mappedFileSizeCommitLog = 8388608;\nmappedFileSizeConsumeQueue = 120000;\n"
        "maxIndexNum = 40000;\nmaxHashSlotNum = 10000;\nflushConsumerOffsetInterval = 500;\n"
        "traceTopicEnable = true;\n",
        p, fx.ns_addr);
    fx.broker = daemon_start("src/broker/rmq-broker", bconf, p);

    p = free_port();
    g_autofree gchar *cconf = g_strdup_printf("namesrvAddr = \"%s\";\nconsoleListenPort = %u;\n"
                                              "", fx.ns_addr, p);
    fx.console = daemon_start("src/console/rmq-console", cconf, p);
    fx.base = g_strdup_printf("http://127.0.0.1:%u", p);

    /* a password and its crypt(3) hash made here: no secret in the test */
    fx.password = g_strdup_printf("pw-%08x", g_random_int());
    struct crypt_data cd = { 0 };
    const char *setting = crypt_gensalt_rn("$6$", 0, NULL, 0, cd.setting, sizeof cd.setting);
    fx.hash = g_strdup(crypt_r(fx.password, setting, &cd));
    /* the old single user (an admin) and two accounts with roles, same password */
    fx.viewer_hash = make_hash(fx.password);
    fx.admin2_hash = make_hash(fx.password);
    p = free_port();
    g_autofree gchar *aconf = g_strdup_printf(
        "namesrvAddr = \"%s\";\nconsoleListenPort = %u;\nconsoleAuthUser = \"ops\";\n"
        "consoleAuthPasswordHash = \"%s\";\n"
        "consoleAccounts = [\"watcher:viewer:%s\", \"lead:admin:%s\"];\n",
        fx.ns_addr, p, fx.hash, fx.viewer_hash, fx.admin2_hash);
    fx.auth_console = daemon_start("src/console/rmq-console", aconf, p);
    fx.auth_base = g_strdup_printf("http://127.0.0.1:%u", p);

    fx.http = soup_session_new_with_options("timeout", 30, NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    daemon_stop(fx.auth_console);
    daemon_stop(fx.console);
    daemon_stop(fx.broker);
    daemon_stop(fx.ns);
    g_clear_object(&fx.http);
    g_free(fx.ns_addr);
    g_free(fx.base);
    g_free(fx.auth_base);
    g_free(fx.password);
    g_free(fx.hash);
    g_free(fx.viewer_hash);
    g_free(fx.admin2_hash);
    g_free(fx.csrf);
    return 0;
}

/* ---------------------------------------------------------------- HTTP */

typedef struct {
    guint status;
    gchar *body;
    gchar *content_type;
    SoupMessageHeaders *headers;
    JsonNode *json;
} Resp;

static void
resp_free(Resp *r)
{
    g_free(r->body);
    g_free(r->content_type);
    if (r->headers)
        soup_message_headers_unref(r->headers);
    if (r->json)
        json_node_unref(r->json);
    g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Resp, resp_free)

/* @body NULL = GET; @ctype defaults to JSON; @csrf/@auth may be NULL;
 * @extra: more header name, value pairs (NULL-terminated) or NULL. */
static Resp *
http_full(const gchar *base, const gchar *method, const gchar *path, const gchar *ctype,
          const gchar *body, const gchar *csrf, const gchar *auth, const gchar *const *extra)
{
    g_autofree gchar *url = g_strconcat(base, path, NULL);
    g_autoptr(SoupMessage) m = soup_message_new(method, url);
    g_assert(m != NULL);
    SoupMessageHeaders *h = soup_message_get_request_headers(m);
    if (csrf)
        soup_message_headers_replace(h, "X-CSRF-Token", csrf);
    if (auth)
        soup_message_headers_replace(h, "Authorization", auth);
    for (guint i = 0; extra != NULL && extra[i] != NULL; i += 2)
        soup_message_headers_replace(h, extra[i], extra[i + 1]);
    if (body) {
        g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
        soup_message_set_request_body_from_bytes(m, ctype ? ctype : "application/json", b);
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) out = soup_session_send_and_read(fx.http, m, NULL, &error);
    if (out == NULL)
        fail_msg("%s %s: %s", method, url, error->message);
    Resp *r = g_new0(Resp, 1);
    r->status = soup_message_get_status(m);
    r->body = g_strndup(g_bytes_get_data(out, NULL), g_bytes_get_size(out));
    r->headers = soup_message_headers_ref(soup_message_get_response_headers(m));
    const gchar *ct = soup_message_headers_get_content_type(r->headers, NULL);
    r->content_type = g_strdup(ct ? ct : "");
    if (g_strcmp0(ct, "application/json") == 0) {
        g_autoptr(JsonParser) p = json_parser_new();
        if (!json_parser_load_from_data(p, r->body, -1, &error))
            fail_msg("%s %s: bad JSON %s", method, url, r->body);
        r->json = json_node_copy(json_parser_get_root(p));
    }
    return r;
}

static Resp *
http(const gchar *base, const gchar *method, const gchar *path, const gchar *ctype,
     const gchar *body, const gchar *csrf, const gchar *auth)
{
    return http_full(base, method, path, ctype, body, csrf, auth, NULL);
}

static Resp *
get(const gchar *path)
{
    return http(fx.base, "GET", path, NULL, NULL, NULL, NULL);
}

static const gchar *
csrf(void)
{
    if (fx.csrf == NULL) {
        g_autoptr(Resp) r = get("/api/session");
        assert_int_equal(r->status, 200);
        fx.csrf = g_strdup(json_object_get_string_member(json_node_get_object(r->json),
                                                         "csrfToken"));
        assert_true(strlen(fx.csrf) >= 32);
    }
    return fx.csrf;
}

static Resp *
post(const gchar *path, const gchar *json)
{
    return http(fx.base, "POST", path, NULL, json, csrf(), NULL);
}

static JsonObject *
obj(Resp *r)
{
    if (r->json == NULL || !JSON_NODE_HOLDS_OBJECT(r->json))
        fail_msg("expected a JSON object, got %u %s", r->status, r->body);
    return json_node_get_object(r->json);
}

static void
expect_error(Resp *r, guint status, const gchar *reason_part)
{
    if (r->status != status)
        fail_msg("expected %u, got %u %s", status, r->status, r->body);
    assert_string_equal(r->content_type, "application/json");
    JsonObject *o = obj(r);
    assert_int_equal(json_object_get_int_member(o, "status"), status);
    const gchar *e = json_object_get_string_member(o, "error");
    if (reason_part && strstr(e, reason_part) == NULL)
        fail_msg("error '%s' lacks '%s'", e, reason_part);
}

/* --------------------------------------------------------------- tests */

static void
test_cluster(void **state)
{
    (void) state;
    g_autoptr(Resp) r = get("/api/cluster");
    assert_int_equal(r->status, 200);
    JsonArray *brokers = json_object_get_array_member(obj(r), "brokers");
    assert_int_equal(json_array_get_length(brokers), 1);
    JsonObject *b = json_array_get_object_element(brokers, 0);
    assert_string_equal(json_object_get_string_member(b, "brokerName"), "broker-a");
    assert_string_equal(json_object_get_string_member(b, "cluster"), "DefaultCluster");
    assert_true(json_object_get_boolean_member(b, "up"));
    assert_string_equal(json_object_get_string_member(b, "role"), "ASYNC_MASTER");
    g_autofree gchar *addr = g_strdup_printf("127.0.0.1:%u", fx.broker->port);
    assert_string_equal(json_object_get_string_member(b, "addr"), addr);
    assert_true(strlen(json_object_get_string_member(b, "version")) > 0);
    gdouble disk = json_object_get_double_member(b, "diskRatio");
    assert_true(disk > 0 && disk <= 1);
}

static void
test_pages(void **state)
{
    (void) state;
    const gchar *pages[] = { "/", "/topics.html", "/groups.html", "/messages.html", "/tps.html" };
    for (guint i = 0; i < G_N_ELEMENTS(pages); i++) {
        g_autoptr(Resp) r = get(pages[i]);
        assert_int_equal(r->status, 200);
        assert_string_equal(r->content_type, "text/html");
        assert_non_null(strstr(r->body, "<script src=\"/app.js\""));
        assert_non_null(soup_message_headers_get_one(r->headers, "Content-Security-Policy"));
        /* the shared header is spliced in where the page marks it */
        assert_non_null(strstr(r->body, "<nav data-i18n-aria-label=\"nav.label\">"));
        assert_non_null(strstr(r->body, "<select id=\"lang\">"));
        assert_null(strstr(r->body, "<!--#include"));
    }
    g_autoptr(Resp) part = get("/partials/header.html");
    assert_int_equal(part->status, 404);
    g_autoptr(Resp) js = get("/app.js");
    assert_int_equal(js->status, 200);
    assert_string_equal(js->content_type, "text/javascript");
    g_autoptr(Resp) none = get("/nothing.html");
    assert_int_equal(none->status, 404);
    g_autoptr(Resp) dots = get("/../console.h");
    assert_int_equal(dots->status, 404);
}

/* The page language from Accept-Language, the tables served as JSON, and a
 * 400 that names its field. */
static void
test_language(void **state)
{
    (void) state;
    const gchar *cases[][2] = { { "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN" },
                                { "en-US,en;q=0.9", "en" },
                                { "fr", "en" } };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree gchar *url = g_strconcat(fx.base, "/api/session", NULL);
        g_autoptr(SoupMessage) m = soup_message_new("GET", url);
        soup_message_headers_replace(soup_message_get_request_headers(m), "Accept-Language",
                                     cases[i][0]);
        g_autoptr(GBytes) out = soup_session_send_and_read(fx.http, m, NULL, NULL);
        assert_non_null(out);
        g_autoptr(JsonParser) p = json_parser_new();
        assert_true(json_parser_load_from_data(p, g_bytes_get_data(out, NULL),
                                               (gssize) g_bytes_get_size(out), NULL));
        assert_string_equal(json_object_get_string_member(
                                json_node_get_object(json_parser_get_root(p)), "lang"),
                            cases[i][1]);
    }
    g_autoptr(Resp) zh = get("/i18n/zh-CN.json");
    assert_int_equal(zh->status, 200);
    assert_string_equal(zh->content_type, "application/json");
    assert_string_equal(json_object_get_string_member(obj(zh), "nav.topics"), "主题");
    g_autoptr(Resp) none = get("/i18n/fr.json");
    assert_int_equal(none->status, 404);
    g_autoptr(Resp) bad = post("/api/topic", "{\"topic\":\"Ok\",\"writeQueueNums\":\"x\"}");
    expect_error(bad, 400, "writeQueueNums must be");
    assert_string_equal(json_object_get_string_member(obj(bad), "field"), "writeQueueNums");
}

static void
test_bad_requests(void **state)
{
    (void) state;
    g_autoptr(Resp) a = get("/api/nothing");
    expect_error(a, 404, "no such API");
    /* a write with GET is refused */
    g_autoptr(Resp) b = get("/api/topic/delete?topic=TBW102");
    expect_error(b, 405, "POST");
    /* POST without, and with a wrong, CSRF token */
    g_autoptr(Resp) c = http(fx.base, "POST", "/api/topic", NULL, "{\"topic\":\"X1\"}", NULL, NULL);
    expect_error(c, 403, "CSRF");
    g_autoptr(Resp) d = http(fx.base, "POST", "/api/topic", NULL, "{\"topic\":\"X1\"}",
                             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                             NULL);
    expect_error(d, 403, "CSRF");
    g_autoptr(Resp) e = post("/api/topic", "{\"topic\":\"bad topic\"}");
    expect_error(e, 400, "topic: only letters");
    g_autoptr(Resp) f = post("/api/topic", "{\"topic\":\"Ok\",\"readQueueNums\":0}");
    expect_error(f, 400, "readQueueNums must be an integer from 1 to 1024");
    g_autoptr(Resp) g = post("/api/topic", "{\"topic\":\"Ok\",\"perm\":1}");
    expect_error(g, 400, "perm must be");
    g_autoptr(Resp) h = post("/api/topic", "{not json");
    expect_error(h, 400, "JSON object");
    g_autoptr(Resp) i = post("/api/topic", "{\"topic\":\"TBW102\"}");
    expect_error(i, 400, "system topic");
    g_autoptr(Resp) j = get("/api/topic");
    expect_error(j, 400, "topic is required");
    g_autoptr(Resp) k = get("/api/topic?topic=NoSuchTopic");
    expect_error(k, 404, NULL);
    g_autoptr(Resp) l = get("/api/message?id=xyz");
    expect_error(l, 400, "hexadecimal");
    g_autoptr(Resp) m = get("/api/messages?topic=TBW102&begin=soon");
    expect_error(m, 400, "begin must be");
    g_autoptr(Resp) n = http(fx.base, "POST", "/api/topic", "text/plain", "topic=X", csrf(), NULL);
    expect_error(n, 400, "application/json");
}

#define TOPIC "ConsoleTopic"
#define GROUP "console-lag-group"
#define N_MSGS 5

static gint64
queue_diff(const gchar *group, gint qid)
{
    g_autofree gchar *path = g_strdup_printf("/api/group?group=%s", group);
    g_autoptr(Resp) r = get(path);
    assert_int_equal(r->status, 200);
    JsonObject *p = json_object_get_object_member(obj(r), "progress");
    JsonArray *qs = json_object_get_array_member(p, "queues");
    for (guint i = 0; i < json_array_get_length(qs); i++) {
        JsonObject *q = json_array_get_object_element(qs, i);
        if (g_strcmp0(json_object_get_string_member(q, "topic"), TOPIC) == 0 &&
            json_object_get_int_member(q, "queueId") == qid)
            return json_object_get_int_member(q, "diff");
    }
    return -1;
}

static gchar *offset_id; /* of the second message, for the later tests */

static void
test_topic_messages_and_lag(void **state)
{
    (void) state;
    /* create through the API, in the form encoding too */
    g_autofree gchar *form = g_strdup_printf("topic=%s&readQueueNums=4&writeQueueNums=4&perm=6&_csrf=%s",
                                             TOPIC, csrf());
    g_autoptr(Resp) c = http(fx.base, "POST", "/api/topic", "application/x-www-form-urlencoded",
                             form, NULL, NULL);
    if (c->status != 200)
        fail_msg("create: %u %s", c->status, c->body);
    g_autoptr(Resp) t = get("/api/topic?topic=" TOPIC);
    assert_int_equal(t->status, 200);
    assert_int_equal(json_array_get_length(json_object_get_array_member(obj(t), "queues")), 4);
    JsonObject *route = json_object_get_object_member(obj(t), "route");
    JsonObject *qd = json_array_get_object_element(json_object_get_array_member(route, "queueDatas"), 0);
    assert_int_equal(json_object_get_int_member(qd, "writeQueueNums"), 4);
    g_autoptr(Resp) list = get("/api/topics");
    assert_non_null(strstr(list->body, "\"" TOPIC "\""));

    /* N messages to queue 0 with the client library */
    g_autoptr(RmqProducer) prod = rmq_producer_new("console-test-pg", fx.ns_addr, NULL);
    g_autoptr(RmqQueue) q0 = rmq_queue_new(TOPIC, "broker-a", 0);
    gint64 before = g_get_real_time() / 1000 - 1000;
    for (guint i = 0; i < N_MSGS; i++) {
        g_autofree gchar *body = g_strdup_printf("console body %u", i);
        g_autofree gchar *key = g_strdup_printf("console-key-%u", i);
        g_autoptr(RmqMsg) m = rmq_msg_new(TOPIC, body, -1);
        rmq_msg_set_keys(m, key);
        rmq_msg_set_tags(m, "TagA");
        RmqSendResult res = { 0 };
        g_autoptr(GError) e = NULL;
        if (!rmq_producer_send_to_queue(prod, m, q0, &res, &e))
            fail_msg("send: %s", e->message);
        if (i == 1)
            offset_id = g_strdup(res.offset_msg_id);
        rmq_send_result_clear(&res);
    }

    /* by key */
    g_autoptr(Resp) k = get("/api/messages?topic=" TOPIC "&key=console-key-1");
    assert_int_equal(k->status, 200);
    JsonArray *ms = json_object_get_array_member(obj(k), "messages");
    assert_int_equal(json_array_get_length(ms), 1);
    JsonObject *m1 = json_array_get_object_element(ms, 0);
    assert_string_equal(json_object_get_string_member(m1, "body"), "console body 1");
    assert_string_equal(json_object_get_string_member(m1, "tags"), "TagA");
    assert_string_equal(json_object_get_string_member(m1, "offsetMsgId"), offset_id);
    JsonObject *props = json_object_get_object_member(m1, "properties");
    assert_string_equal(json_object_get_string_member(props, "KEYS"), "console-key-1");
    const gchar *uniq = json_object_get_string_member(m1, "msgId");

    /* by id: the offset id alone, and the client id with the topic */
    g_autofree gchar *p1 = g_strdup_printf("/api/message?id=%s", offset_id);
    g_autoptr(Resp) byid = get(p1);
    assert_int_equal(byid->status, 200);
    assert_string_equal(json_object_get_string_member(obj(byid), "body"), "console body 1");
    g_autofree gchar *p2 = g_strdup_printf("/api/message?id=%s&topic=" TOPIC, uniq);
    g_autoptr(Resp) byuniq = get(p2);
    assert_int_equal(byuniq->status, 200);
    assert_string_equal(json_object_get_string_member(obj(byuniq), "body"), "console body 1");

    /* by time range */
    g_autofree gchar *p3 = g_strdup_printf("/api/messages?topic=%s&begin=%" G_GINT64_FORMAT
                                           "&end=%" G_GINT64_FORMAT,
                                           TOPIC, before, g_get_real_time() / 1000 + 1000);
    g_autoptr(Resp) range = get(p3);
    assert_int_equal(range->status, 200);
    assert_int_equal(json_array_get_length(json_object_get_array_member(obj(range), "messages")),
                     N_MSGS);
    /* a range before the messages finds none */
    g_autofree gchar *p4 = g_strdup_printf("/api/messages?topic=%s&begin=0&end=%" G_GINT64_FORMAT,
                                           TOPIC, before - 60000);
    g_autoptr(Resp) empty = get(p4);
    assert_int_equal(empty->status, 200);
    assert_int_equal(json_array_get_length(json_object_get_array_member(obj(empty), "messages")),
                     0);

    /* a group that consumed one message of queue 0: lag N-1 */
    g_autoptr(RmqConsumer) cons = rmq_consumer_new(GROUP, fx.ns_addr, NULL);
    g_autoptr(GError) e = NULL;
    if (!rmq_consumer_heartbeat(cons, TOPIC, &e))
        fail_msg("heartbeat: %s", e->message);
    if (!rmq_consumer_commit_offset(cons, q0, 1, &e))
        fail_msg("commit: %s", e->message);
    assert_int_equal(queue_diff(GROUP, 0), N_MSGS - 1);

    g_autoptr(Resp) groups = get("/api/groups");
    assert_int_equal(groups->status, 200);
    assert_non_null(strstr(groups->body, "\"" GROUP "\""));

    /* two requests the broker does not know: its refusal counter moves */
    {
        g_autofree gchar *baddr = g_strdup_printf("127.0.0.1:%u", fx.broker->port);
        RmqClient *rc = rmq_client_new(NULL);
        for (int i = 0; i < 2; i++) {
            g_autoptr(GError) re = NULL;
            RmqCommand *rr = rmq_client_invoke_sync(rc, baddr, rmq_command_new_request(9876), 10000,
                                                    &re);
            assert_non_null(rr);
            assert_int_equal(rr->code, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED);
            rmq_command_free(rr);
        }
        rmq_client_free(rc);
    }

    /* /metrics in the text format, checked with a parser */
    g_autoptr(Resp) mr = get("/metrics");
    assert_int_equal(mr->status, 200);
    assert_non_null(strstr(mr->content_type, "text/plain"));
    g_autoptr(PromDoc) doc = prom_parse(mr->body, &e);
    if (doc == NULL)
        fail_msg("metrics do not parse: %s\n%s", e->message, mr->body);
    assert_string_equal(g_hash_table_lookup(doc->type, "rocketmq_group_diff"), "gauge");
    assert_non_null(g_hash_table_lookup(doc->help, "rocketmq_group_diff"));
    const PromSample *qd0 = prom_find(doc, "rocketmq_group_queue_diff", "group", GROUP, "topic",
                                      TOPIC, "broker", "broker-a", "queueId", "0", NULL);
    assert_non_null(qd0);
    assert_true(qd0->value == N_MSGS - 1);
    const PromSample *gd = prom_find(doc, "rocketmq_group_diff", "group", GROUP, "topic", TOPIC,
                                     NULL);
    assert_non_null(gd);
    assert_true(gd->value == N_MSGS - 1);
    const PromSample *up = prom_find(doc, "rocketmq_broker_up", "broker", "broker-a", NULL);
    assert_non_null(up);
    assert_true(up->value == 1);
    const PromSample *po = prom_find(doc, "rocketmq_producer_offset", "topic", TOPIC, NULL);
    assert_non_null(po);
    assert_true(po->value == N_MSGS);
    const PromSample *refused = prom_find(doc, "rmq_broker_refused_requests_total", "broker",
                                          "broker-a", "code", "REQUEST_CODE_NOT_SUPPORTED", NULL);
    assert_non_null(refused);
    assert_true(refused->value >= 2);
    const PromSample *errs = prom_find(doc, "rocketmq_console_scrape_errors", NULL);
    assert_non_null(errs);
    assert_true(errs->value == 0);
    /* every sample belongs to a family with a TYPE */
    for (guint i = 0; i < doc->samples->len; i++) {
        const PromSample *s = doc->samples->pdata[i];
        if (!g_hash_table_contains(doc->type, s->name))
            fail_msg("%s has no TYPE", s->name);
    }

    /* reset by time to the beginning, with nobody online: the broker says
     * CONSUMER_NOT_ONLINE to INVOKE_BROKER_TO_RESET_OFFSET and the console
     * writes the offsets itself; the whole queue is lag again */
    g_clear_pointer(&cons, rmq_consumer_free);
    gboolean offline = FALSE;
    for (guint round = 0; round < 50 && !offline; round++) {
        g_autoptr(Resp) rs = post("/api/group/reset",
                                  "{\"group\":\"" GROUP "\",\"topic\":\"" TOPIC "\",\"timestamp\":0}");
        if (rs->status != 200)
            fail_msg("reset: %u %s", rs->status, rs->body);
        offline = !json_object_get_boolean_member(obj(rs), "clientsNotified");
        if (!offline)
            g_usleep(100 * 1000); /* the broker has not seen the connection close yet */
    }
    assert_true(offline);
    assert_int_equal(queue_diff(GROUP, 0), N_MSGS);
    g_autoptr(Resp) rs_bad = post("/api/group/reset", "{\"group\":\"" GROUP "\",\"topic\":\"" TOPIC "\"}");
    expect_error(rs_bad, 400, "timestamp is required");
}

static void
test_tps_sampler(void **state)
{
    (void) state;
    /* the sampler runs every 500 ms here: a few points with our topic */
    g_autoptr(RmqProducer) prod = rmq_producer_new("console-test-pg2", fx.ns_addr, NULL);
    gboolean seen = FALSE;
    for (guint round = 0; round < 40 && !seen; round++) {
        g_autoptr(RmqMsg) m = rmq_msg_new(TOPIC, "tick", -1);
        RmqSendResult res = { 0 };
        assert_true(rmq_producer_send(prod, m, &res, NULL));
        rmq_send_result_clear(&res);
        g_usleep(100 * 1000);
        g_autoptr(Resp) r = get("/api/tps");
        assert_int_equal(r->status, 200);
        JsonArray *pts = json_object_get_array_member(obj(r), "points");
        for (guint i = 0; i < json_array_get_length(pts); i++) {
            JsonObject *t = json_object_get_object_member(json_array_get_object_element(pts, i),
                                                          "topics");
            if (json_object_has_member(t, TOPIC) && json_object_get_double_member(t, TOPIC) > 0)
                seen = TRUE;
        }
    }
    assert_true(seen);
}

static void
test_resend(void **state)
{
    (void) state;
    assert_non_null(offset_id);
    g_autoptr(Resp) before = get("/api/cluster");
    JsonObject *b0 = json_array_get_object_element(json_object_get_array_member(obj(before), "brokers"), 0);
    gint64 put0 = json_object_get_int_member(b0, "putTotal");
    g_autofree gchar *body = g_strdup_printf("{\"id\":\"%s\",\"group\":\"%s\"}", offset_id, GROUP);
    g_autoptr(Resp) r = post("/api/message/resend", body);
    if (r->status != 200)
        fail_msg("resend: %u %s", r->status, r->body);
    /* the broker stored the copy for the group's retry */
    g_autoptr(Resp) after = get("/api/cluster");
    JsonObject *b1 = json_array_get_object_element(json_object_get_array_member(obj(after), "brokers"), 0);
    assert_true(json_object_get_int_member(b1, "putTotal") > put0);
    g_autoptr(Resp) bad = post("/api/message/resend", "{\"id\":\"00\",\"group\":\"g\"}");
    expect_error(bad, 400, "id must be");
}

/* Entry @name of the table @table in the body of @code, read from the
 * broker itself, not as the console reports it. (transfer full) */
static JsonObject *
broker_table_entry(gint32 code, const gchar *table, const gchar *name)
{
    g_autoptr(RmqAdmin) admin = rmq_admin_new(fx.ns_addr, NULL);
    g_autofree gchar *addr = g_strdup_printf("127.0.0.1:%u", fx.broker->port);
    g_autoptr(GBytes) all = rmq_admin_invoke(admin, addr, code, NULL, NULL, NULL, NULL);
    assert_non_null(all);
    g_autoptr(JsonParser) jp = json_parser_new();
    assert_true(json_parser_load_from_data(jp, g_bytes_get_data(all, NULL),
                                           (gssize) g_bytes_get_size(all), NULL));
    JsonObject *entry = json_object_get_object_member(
        json_object_get_object_member(json_node_get_object(json_parser_get_root(jp)), table),
        name);
    assert_non_null(entry);
    return json_object_ref(entry);
}

/* UPDATE_AND_CREATE_SUBSCRIPTIONGROUP through the console, read back with
 * GET_ALL_SUBSCRIPTIONGROUP_CONFIG; refusals name their field. */
static void
test_group_config(void **state)
{
    (void) state;
    g_autoptr(Resp) c = post("/api/group/config",
                             "{\"group\":\"cfg-group\",\"retryQueueNums\":3,\"retryMaxTimes\":5,"
                             "\"consumeBroadcastEnable\":false,\"consumeEnable\":false,"
                             "\"brokerId\":\"0\",\"whichBrokerWhenConsumeSlowly\":\"1\","
                             "\"broker\":\"broker-a\"}");
    if (c->status != 200)
        fail_msg("create: %u %s", c->status, c->body);
    JsonArray *done = json_object_get_array_member(obj(c), "brokers");
    assert_int_equal(json_array_get_length(done), 1);
    assert_string_equal(json_array_get_string_element(done, 0), "broker-a");

    /* read back from the broker itself, not from the console */
    g_autoptr(JsonObject) bc = broker_table_entry(RMQ_REQUEST_GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
                                                  "subscriptionGroupTable", "cfg-group");
    assert_int_equal(json_object_get_int_member(bc, "retryQueueNums"), 3);
    assert_int_equal(json_object_get_int_member(bc, "retryMaxTimes"), 5);
    assert_false(json_object_get_boolean_member(bc, "consumeBroadcastEnable"));
    assert_false(json_object_get_boolean_member(bc, "consumeEnable"));

    /* update, and the console's own reading */
    g_autoptr(Resp) u = post("/api/group/config",
                             "{\"group\":\"cfg-group\",\"retryMaxTimes\":7,\"consumeEnable\":true}");
    assert_int_equal(u->status, 200);
    g_autoptr(Resp) g = get("/api/group/config?group=cfg-group");
    assert_int_equal(g->status, 200);
    JsonObject *row = json_array_get_object_element(json_object_get_array_member(obj(g), "brokers"), 0);
    assert_string_equal(json_object_get_string_member(row, "brokerName"), "broker-a");
    JsonObject *cfg = json_object_get_object_member(row, "config");
    assert_int_equal(json_object_get_int_member(cfg, "retryMaxTimes"), 7);
    assert_true(json_object_get_boolean_member(cfg, "consumeEnable"));
    g_autoptr(Resp) list = get("/api/groups");
    assert_non_null(strstr(list->body, "\"cfg-group\""));

    /* refusals */
    g_autoptr(Resp) b1 = post("/api/group/config", "{\"group\":\"cfg-group\",\"retryQueueNums\":65}");
    expect_error(b1, 400, "retryQueueNums must be an integer from 0 to 64");
    assert_string_equal(json_object_get_string_member(obj(b1), "field"), "retryQueueNums");
    g_autoptr(Resp) b2 = post("/api/group/config", "{\"group\":\"cfg-group\",\"broker\":\"nope\"}");
    expect_error(b2, 400, "no master broker named nope");
    assert_string_equal(json_object_get_string_member(obj(b2), "field"), "broker");
    g_autoptr(Resp) b3 = post("/api/group/config", "{\"group\":\"TOOLS_CONSUMER\"}");
    expect_error(b3, 400, "system group");
    g_autoptr(Resp) b4 = post("/api/group/config", "{\"group\":\"bad group\"}");
    expect_error(b4, 400, "group: only letters");
    g_autoptr(Resp) b5 = post("/api/group/config", "{\"group\":\"cfg-group\",\"consumeEnable\":\"maybe\"}");
    expect_error(b5, 400, "consumeEnable must be true or false");
    g_autoptr(Resp) b6 = http(fx.base, "POST", "/api/group/config", NULL, "{\"group\":\"cfg-x\"}",
                              NULL, NULL);
    expect_error(b6, 403, "CSRF");
    g_autoptr(Resp) n = get("/api/group/config?group=no-such-group");
    expect_error(n, 404, "no consumer group no-such-group");

    /* delete, then it is gone from the broker */
    g_autoptr(Resp) d = post("/api/group/delete", "{\"group\":\"cfg-group\"}");
    assert_int_equal(d->status, 200);
    g_autoptr(Resp) gone = get("/api/group/config?group=cfg-group");
    expect_error(gone, 404, NULL);
}

/* The topic's config as the broker itself holds it (GET_ALL_TOPIC_CONFIG),
 * not as the console reports it. (transfer full) */
static JsonObject *
broker_topic_config(const gchar *topic)
{
    return broker_table_entry(RMQ_REQUEST_GET_ALL_TOPIC_CONFIG, "topicConfigTable", topic);
}

/* Create and update a topic with its order flag and permission: the broker
 * holds what was asked, and GET /api/topic reports it per master. */
static void
test_topic_order_perm(void **state)
{
    (void) state;
    const gchar *topic = "ConsoleOrderTopic";
    g_autoptr(Resp) c = post("/api/topic", "{\"topic\":\"ConsoleOrderTopic\",\"readQueueNums\":2,"
                                           "\"writeQueueNums\":2,\"perm\":4,\"order\":true}");
    if (c->status != 200)
        fail_msg("create: %u %s", c->status, c->body);
    JsonObject *tc = broker_topic_config(topic);
    assert_int_equal(json_object_get_int_member(tc, "perm"), 4);
    assert_true(json_object_get_boolean_member(tc, "order"));
    assert_int_equal(json_object_get_int_member(tc, "readQueueNums"), 2);
    json_object_unref(tc);
    g_autoptr(Resp) t = get("/api/topic?topic=ConsoleOrderTopic");
    assert_int_equal(t->status, 200);
    JsonArray *cfgs = json_object_get_array_member(obj(t), "configs");
    assert_int_equal(json_array_get_length(cfgs), 1);
    JsonObject *row = json_array_get_object_element(cfgs, 0);
    assert_string_equal(json_object_get_string_member(row, "brokerName"), "broker-a");
    assert_int_equal(json_object_get_int_member(row, "perm"), 4);
    assert_true(json_object_get_boolean_member(row, "order"));
    assert_int_equal(json_object_get_int_member(row, "writeQueueNums"), 2);

    /* update: read and write, not ordered, more queues */
    g_autoptr(Resp) u = post("/api/topic", "{\"topic\":\"ConsoleOrderTopic\",\"readQueueNums\":3,"
                                           "\"writeQueueNums\":3,\"perm\":6,\"order\":false}");
    assert_int_equal(u->status, 200);
    tc = broker_topic_config(topic);
    assert_int_equal(json_object_get_int_member(tc, "perm"), 6);
    assert_false(json_object_get_boolean_member(tc, "order"));
    assert_int_equal(json_object_get_int_member(tc, "writeQueueNums"), 3);
    json_object_unref(tc);
    g_autoptr(Resp) t2 = get("/api/topic?topic=ConsoleOrderTopic");
    row = json_array_get_object_element(json_object_get_array_member(obj(t2), "configs"), 0);
    assert_int_equal(json_object_get_int_member(row, "perm"), 6);
    assert_false(json_object_get_boolean_member(row, "order"));

    /* refusals name their field */
    g_autoptr(Resp) b1 = post("/api/topic", "{\"topic\":\"ConsoleOrderTopic\",\"perm\":3}");
    expect_error(b1, 400, "perm must be 2 (write), 4 (read) or 6");
    assert_string_equal(json_object_get_string_member(obj(b1), "field"), "perm");
    g_autoptr(Resp) b2 = post("/api/topic", "{\"topic\":\"ConsoleOrderTopic\",\"order\":\"sometimes\"}");
    expect_error(b2, 400, "order must be true or false");
    assert_string_equal(json_object_get_string_member(obj(b2), "field"), "order");
    g_autoptr(Resp) d = post("/api/topic/delete", "{\"topic\":\"ConsoleOrderTopic\"}");
    assert_int_equal(d->status, 200);
}

/* GET_PRODUCER_CONNECTION_LIST of a producer group on a topic. */
static void
test_producers(void **state)
{
    (void) state;
    g_autoptr(RmqProducer) prod = rmq_producer_new("console-conn-pg", fx.ns_addr, NULL);
    g_autoptr(RmqMsg) m = rmq_msg_new(TOPIC, "hi", -1);
    RmqSendResult sr = { 0 };
    g_autoptr(GError) error = NULL;
    assert_true(rmq_producer_send(prod, m, &sr, &error));
    rmq_send_result_clear(&sr);
    g_autoptr(Resp) r = get("/api/producers?group=console-conn-pg&topic=" TOPIC);
    assert_int_equal(r->status, 200);
    JsonArray *conns = json_object_get_array_member(obj(r), "connections");
    assert_int_equal(json_array_get_length(conns), 1);
    JsonObject *c = json_array_get_object_element(conns, 0);
    assert_true(strlen(json_object_get_string_member(c, "clientId")) > 0);
    assert_non_null(strstr(json_object_get_string_member(c, "clientAddr"), "127.0.0.1"));
    g_autoptr(Resp) none = get("/api/producers?group=nobody-pg&topic=" TOPIC);
    assert_int_equal(none->status, 200);
    assert_int_equal(json_array_get_length(json_object_get_array_member(obj(none), "connections")), 0);
    g_autoptr(Resp) nt = get("/api/producers?group=console-conn-pg&topic=NoSuchTopicP");
    expect_error(nt, 404, NULL);
    g_autoptr(Resp) ng = get("/api/producers?topic=" TOPIC);
    expect_error(ng, 400, "group is required");
    assert_string_equal(json_object_get_string_member(obj(ng), "field"), "group");
}

#define DLQ_TOPIC "ConsoleDlqTopic"
#define DLQ_GROUP "console-dlq-group"

/* Dead letters: a consumer gives two messages up (CONSUMER_SEND_MSG_BACK
 * with delay level -1), the console lists %DLQ%<group>, browses it, and
 * resends them to the original topic as new messages. */
static void
test_dlq(void **state)
{
    (void) state;
    g_autoptr(RmqProducer) prod = rmq_producer_new("console-dlq-pg", fx.ns_addr, NULL);
    g_autoptr(RmqAdmin) admin = rmq_admin_new(fx.ns_addr, NULL);
    gchar *offset_ids[2];
    gchar *plain_offset_id = NULL;
    for (guint i = 0; i < 3; i++) {
        g_autofree gchar *body = g_strdup_printf("dead body %u", i);
        g_autofree gchar *key = g_strdup_printf("dead-key-%u", i);
        g_autoptr(RmqMsg) m = rmq_msg_new(DLQ_TOPIC, body, -1);
        rmq_msg_set_keys(m, key);
        rmq_msg_put_property(m, "who", "test");
        RmqSendResult sr = { 0 };
        g_autoptr(GError) error = NULL;
        if (!rmq_producer_send(prod, m, &sr, &error))
            fail_msg("send: %s", error->message);
        g_autoptr(RmqMsg) stored = rmq_admin_view_message(admin, sr.offset_msg_id, &error);
        assert_non_null(stored);
        if (i == 2) { /* the third stays an ordinary message */
            plain_offset_id = g_strdup(sr.offset_msg_id);
            rmq_send_result_clear(&sr);
            continue;
        }
        g_autofree gchar *off = g_strdup_printf("%" G_GINT64_FORMAT, stored->commit_log_offset);
        g_autoptr(GBytes) b = rmq_admin_invoke(
            admin, stored->store_host, RMQ_REQUEST_CONSUMER_SEND_MSG_BACK, NULL, NULL, &error,
            "offset", off, "group", DLQ_GROUP, "delayLevel", "-1", "originMsgId", sr.msg_id,
            "originTopic", DLQ_TOPIC, "unitMode", "false", "maxReconsumeTimes", "16", NULL);
        if (b == NULL)
            fail_msg("send back: %s", error->message);
        rmq_send_result_clear(&sr);
    }

    g_autoptr(Resp) l = get("/api/dlq");
    assert_int_equal(l->status, 200);
    JsonArray *groups = json_object_get_array_member(obj(l), "groups");
    JsonObject *row = NULL;
    for (guint i = 0; i < json_array_get_length(groups); i++)
        if (g_strcmp0(json_object_get_string_member(json_array_get_object_element(groups, i), "group"),
                      DLQ_GROUP) == 0)
            row = json_array_get_object_element(groups, i);
    assert_non_null(row);
    assert_string_equal(json_object_get_string_member(row, "topic"), "%DLQ%" DLQ_GROUP);
    assert_int_equal(json_object_get_int_member(row, "count"), 2);

    g_autoptr(Resp) b = get("/api/dlq/messages?group=" DLQ_GROUP);
    assert_int_equal(b->status, 200);
    JsonArray *msgs = json_object_get_array_member(obj(b), "messages");
    assert_int_equal(json_array_get_length(msgs), 2);
    for (guint i = 0; i < 2; i++) {
        JsonObject *m = json_array_get_object_element(msgs, i);
        assert_string_equal(json_object_get_string_member(m, "topic"), "%DLQ%" DLQ_GROUP);
        assert_string_equal(json_object_get_string_member(m, "originTopic"), DLQ_TOPIC);
        g_autofree gchar *body = g_strdup_printf("dead body %u", i);
        assert_string_equal(json_object_get_string_member(m, "body"), body);
        offset_ids[i] = g_strdup(json_object_get_string_member(m, "offsetMsgId"));
    }

    /* resend both; the plain message in the same request is refused alone */
    g_autofree gchar *req = g_strdup_printf("{\"group\":\"%s\",\"ids\":\"%s,%s,%s\"}", DLQ_GROUP,
                                            offset_ids[0], offset_ids[1], plain_offset_id);
    g_autoptr(Resp) r = post("/api/dlq/resend", req);
    if (r->status != 200)
        fail_msg("resend: %u %s", r->status, r->body);
    assert_int_equal(json_object_get_int_member(obj(r), "resent"), 2);
    JsonArray *res = json_object_get_array_member(obj(r), "results");
    assert_int_equal(json_array_get_length(res), 3);
    JsonObject *bad = json_array_get_object_element(res, 2);
    assert_false(json_object_get_boolean_member(bad, "ok"));
    assert_non_null(strstr(json_object_get_string_member(bad, "error"), "not a dead letter of"));
    /* each is on the original topic now, a new message with the same body,
     * keys and user property (found by key on the broker, not via the console) */
    for (guint i = 0; i < 2; i++) {
        JsonObject *x = json_array_get_object_element(res, i);
        assert_true(json_object_get_boolean_member(x, "ok"));
        assert_string_equal(json_object_get_string_member(x, "topic"), DLQ_TOPIC);
        g_autofree gchar *key = g_strdup_printf("dead-key-%u", i);
        g_autoptr(GPtrArray) found = NULL;
        for (guint k = 0; k < 50; k++) {
            g_clear_pointer(&found, g_ptr_array_unref);
            found = rmq_admin_query_by_key(admin, DLQ_TOPIC, key, 32, 0, G_MAXINT64, NULL);
            if (found != NULL && found->len == 2)
                break;
            g_usleep(100 * 1000);
        }
        assert_non_null(found);
        assert_int_equal(found->len, 2); /* the first send and the resend */
        gboolean seen = FALSE;
        for (guint k = 0; k < found->len; k++) {
            RmqMsg *m = found->pdata[k];
            if (g_strcmp0(rmq_msg_get_msg_id(m), json_object_get_string_member(x, "msgId")) != 0)
                continue;
            seen = TRUE;
            g_autofree gchar *body = g_strdup_printf("dead body %u", i);
            assert_int_equal(g_bytes_get_size(m->body), strlen(body));
            assert_memory_equal(g_bytes_get_data(m->body, NULL), body, strlen(body));
            assert_string_equal(rmq_msg_get_property(m, "who"), "test");
            assert_null(rmq_msg_get_property(m, "RETRY_TOPIC"));
        }
        assert_true(seen);
        g_free(offset_ids[i]);
    }
    g_free(plain_offset_id);

    /* refusals */
    g_autoptr(Resp) n1 = get("/api/dlq/messages?group=no-dlq-group");
    expect_error(n1, 404, "group no-dlq-group has no dead-letter topic");
    g_autoptr(Resp) n2 = post("/api/dlq/resend", "{\"group\":\"" DLQ_GROUP "\"}");
    expect_error(n2, 400, "ids: 1 to 64");
    assert_string_equal(json_object_get_string_member(obj(n2), "field"), "ids");
    g_autoptr(Resp) n3 = post("/api/dlq/resend", "{\"group\":\"" DLQ_GROUP "\",\"ids\":\"zz\"}");
    expect_error(n3, 400, "not a message id");
    g_autoptr(Resp) n4 = http(fx.base, "POST", "/api/dlq/resend", NULL,
                              "{\"group\":\"" DLQ_GROUP "\",\"ids\":\"00\"}", NULL, NULL);
    expect_error(n4, 403, "CSRF");
    g_autoptr(Resp) n5 = get("/api/dlq/resend");
    expect_error(n5, 405, "POST");
}

/* No request makes the console dial an address other than the name servers
 * and the brokers they list: an offset message id names a host and port of
 * the caller's choosing, and so do addr parameters. A listener of the test
 * stands at that address and must see no connection. */
static void
test_no_outside_address(void **state)
{
    (void) state;
    g_autoptr(GSocket) ls = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                         G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, 0);
    assert_true(g_socket_bind(ls, sa, TRUE, NULL) && g_socket_listen(ls, NULL));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(ls, NULL);
    RmqHostAddr h = { .addr = { 127, 0, 0, 1 }, .addr_len = 4,
                      .port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)) };
    g_autofree gchar *id = rmq_message_id_encode(&h, 0);

    g_autofree gchar *p1 = g_strdup_printf("/api/message?id=%s", id);
    g_autoptr(Resp) m = get(p1);
    expect_error(m, 404, "not a broker of the cluster");
    g_autofree gchar *p2 = g_strdup_printf("/api/message?id=%s&topic=" TOPIC, id);
    g_autoptr(Resp) m2 = get(p2);
    expect_error(m2, 404, NULL);
    g_autofree gchar *b3 = g_strdup_printf("{\"id\":\"%s\",\"group\":\"" GROUP "\"}", id);
    g_autoptr(Resp) m3 = post("/api/message/resend", b3);
    expect_error(m3, 404, NULL);
    g_autofree gchar *b4 = g_strdup_printf("{\"group\":\"" DLQ_GROUP "\",\"ids\":\"%s\"}", id);
    g_autoptr(Resp) d = post("/api/dlq/resend", b4);
    assert_int_equal(d->status, 200);
    assert_int_equal(json_object_get_int_member(obj(d), "resent"), 0);
    JsonObject *r0 = json_array_get_object_element(json_object_get_array_member(obj(d), "results"), 0);
    assert_non_null(strstr(json_object_get_string_member(r0, "error"), "not a broker of the cluster"));
    g_autofree gchar *p5 = g_strdup_printf("/api/broker?addr=127.0.0.1:%d", h.port);
    g_autoptr(Resp) b = get(p5);
    expect_error(b, 404, "no broker at");

    g_socket_set_blocking(ls, FALSE);
    g_autoptr(GError) ae = NULL;
    g_autoptr(GSocket) in = g_socket_accept(ls, NULL, &ae);
    if (in != NULL)
        fail_msg("the console connected to 127.0.0.1:%d", h.port);
    assert_true(g_error_matches(ae, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
}

static void
test_deletes(void **state)
{
    (void) state;
    g_autoptr(Resp) d = post("/api/group/delete", "{\"group\":\"" GROUP "\"}");
    if (d->status != 200)
        fail_msg("delete group: %u %s", d->status, d->body);
    g_autoptr(Resp) again = post("/api/group/delete", "{\"group\":\"" GROUP "\"}");
    expect_error(again, 404, "no consumer group");

    g_autoptr(Resp) t = post("/api/topic/delete", "{\"topic\":\"" TOPIC "\"}");
    if (t->status != 200)
        fail_msg("delete topic: %u %s", t->status, t->body);
    g_autoptr(Resp) gone = get("/api/topic?topic=" TOPIC);
    expect_error(gone, 404, NULL);
    g_autoptr(Resp) t2 = post("/api/topic/delete", "{\"topic\":\"" TOPIC "\"}");
    expect_error(t2, 404, NULL);
}

/* GET_BROKER_RUNTIME_INFO and GET_BROKER_CONFIG of one broker, and only of
 * a broker the name server lists. */
static void
test_broker_detail(void **state)
{
    (void) state;
    g_autofree gchar *addr = g_strdup_printf("127.0.0.1:%u", fx.broker->port);
    g_autofree gchar *path = g_strdup_printf("/api/broker?addr=%s", addr);
    g_autoptr(Resp) r = get(path);
    assert_int_equal(r->status, 200);
    JsonObject *rt = json_object_get_object_member(obj(r), "runtime");
    JsonObject *cfg = json_object_get_object_member(obj(r), "config");
    JsonObject *b = json_object_get_object_member(obj(r), "broker");
    /* the figures are the broker's own: compare with a direct call */
    g_autoptr(RmqAdmin) admin = rmq_admin_new(fx.ns_addr, NULL);
    g_autoptr(JsonNode) direct = rmq_admin_broker_config(admin, addr, NULL);
    assert_non_null(direct);
    assert_string_equal(json_object_get_string_member(cfg, "brokerName"), "broker-a");
    assert_string_equal(json_object_get_string_member(cfg, "listenPort"),
                        json_object_get_string_member(json_node_get_object(direct), "listenPort"));
    assert_int_equal(json_object_get_size(cfg), json_object_get_size(json_node_get_object(direct)));
    assert_true(json_object_has_member(rt, "commitLogMaxOffset"));
    assert_true(json_object_has_member(rt, "bootTimestamp"));
    assert_true(g_ascii_strtoll(json_object_get_string_member(rt, "commitLogMaxOffset"), NULL, 10) > 0);
    assert_string_equal(json_object_get_string_member(b, "role"),
                        json_object_get_string_member(cfg, "brokerRole"));
    g_autoptr(Resp) other = get("/api/broker?addr=127.0.0.1:1");
    expect_error(other, 404, "no broker at 127.0.0.1:1");
    g_autoptr(Resp) none = get("/api/broker");
    expect_error(none, 400, "addr is required");
    assert_string_equal(json_object_get_string_member(obj(none), "field"), "addr");
}

/* A slave of broker-a: its role and how far it is behind the master
 * (master's commit log max offset minus its own), until it has caught up. */
static void
test_slave_lag(void **state)
{
    (void) state;
    guint16 p = free_port();
    g_autofree gchar *sconf = g_strdup_printf(
        "listenPort = %u;\nbindAddress = \"127.0.0.1\";\nbrokerIP1 = \"127.0.0.1\";\n"
        "brokerName = \"broker-a\";\nbrokerClusterName = \"DefaultCluster\";\n"
        "brokerId = 1;\nbrokerRole = \"SLAVE\";\nhaSendHeartbeatInterval = 1000;\n"
        "namesrvAddr = \"%s\";\nstorePathRootDir = \"@DIR@/store\";\n"
        "mappedFileSizeCommitLog = 8388608;\nmappedFileSizeConsumeQueue = 120000;\n"
        "maxIndexNum = 40000;\nmaxHashSlotNum = 10000;\n",
        p, fx.ns_addr);
    Daemon *slave = daemon_start("src/broker/rmq-broker", sconf, p);
    g_autofree gchar *saddr = g_strdup_printf("127.0.0.1:%u", p);
    gint64 lag = -1;
    JsonObject *row = NULL;
    Resp *r = NULL;
    for (guint i = 0; i < 150 && lag != 0; i++) {
        if (r != NULL) {
            resp_free(r);
            g_usleep(200 * 1000);
        }
        r = get("/api/cluster");
        assert_int_equal(r->status, 200);
        JsonArray *a = json_object_get_array_member(obj(r), "brokers");
        row = NULL;
        for (guint k = 0; k < json_array_get_length(a); k++) {
            JsonObject *b = json_array_get_object_element(a, k);
            if (g_strcmp0(json_object_get_string_member(b, "addr"), saddr) == 0)
                row = b;
        }
        if (row == NULL || !json_object_has_member(row, "slaveLag"))
            continue;
        lag = json_object_get_int_member(row, "slaveLag");
        /* the lag is the difference of the two offsets the answer shows */
        assert_int_equal(lag, json_object_get_int_member(row, "masterOffset") -
                                  json_object_get_int_member(row, "commitLogMaxOffset"));
    }
    assert_non_null(row);
    assert_int_equal(lag, 0);
    assert_string_equal(json_object_get_string_member(row, "role"), "SLAVE");
    assert_int_equal(json_object_get_int_member(row, "brokerId"), 1);
    g_autofree gchar *maddr = g_strdup_printf("127.0.0.1:%u", fx.broker->port);
    assert_string_equal(json_object_get_string_member(row, "masterAddr"), maddr);
    assert_true(json_object_get_int_member(row, "masterOffset") > 0);
    resp_free(r);
    daemon_stop(slave);
}

static void
test_auth(void **state)
{
    (void) state;
    g_autoptr(Resp) none = http(fx.auth_base, "GET", "/api/session", NULL, NULL, NULL, NULL);
    assert_int_equal(none->status, 401);
    g_autoptr(Resp) page = http(fx.auth_base, "GET", "/", NULL, NULL, NULL, NULL);
    assert_int_equal(page->status, 401);
    g_autoptr(Resp) metrics = http(fx.auth_base, "GET", "/metrics", NULL, NULL, NULL, NULL);
    assert_int_equal(metrics->status, 401);

    g_autofree gchar *bad_raw = g_strdup_printf("ops:%sx", fx.password);
    g_autofree gchar *bad64 = g_base64_encode((const guchar *) bad_raw, strlen(bad_raw));
    g_autofree gchar *bad = g_strconcat("Basic ", bad64, NULL);
    g_autoptr(Resp) wrong = http(fx.auth_base, "GET", "/api/session", NULL, NULL, NULL, bad);
    assert_int_equal(wrong->status, 401);

    g_autofree gchar *raw = g_strdup_printf("ops:%s", fx.password);
    g_autofree gchar *b64 = g_base64_encode((const guchar *) raw, strlen(raw));
    g_autofree gchar *good = g_strconcat("Basic ", b64, NULL);
    g_autoptr(Resp) ok = http(fx.auth_base, "GET", "/api/session", NULL, NULL, NULL, good);
    assert_int_equal(ok->status, 200);
    assert_string_equal(json_object_get_string_member(obj(ok), "user"), "ops");
    const gchar *token = json_object_get_string_member(obj(ok), "csrfToken");
    /* authenticated but without the token: still refused */
    g_autoptr(Resp) w = http(fx.auth_base, "POST", "/api/topic", NULL, "{\"topic\":\"AuthT\"}",
                             NULL, good);
    expect_error(w, 403, "CSRF");
    /* the other console's token is not this one's */
    assert_string_not_equal(token, csrf());
    g_autoptr(Resp) w2 = http(fx.auth_base, "POST", "/api/topic", NULL, "{\"topic\":\"AuthT\"}",
                              csrf(), good);
    expect_error(w2, 403, "CSRF");

    /* neither the password nor its hash reaches the log */
    g_autofree gchar *log = daemon_log(fx.auth_console);
    assert_null(strstr(log, fx.password));
    assert_null(strstr(log, fx.hash));
    assert_non_null(strstr(log, "authentication failed for user 'ops'"));
}

static guint
open_fds(Daemon *d)
{
    g_autofree gchar *dir = g_strdup_printf("/proc/%s/fd", g_subprocess_get_identifier(d->proc));
    g_autoptr(GDir) dh = g_dir_open(dir, 0, NULL);
    assert_non_null(dh);
    guint n = 0;
    while (g_dir_read_name(dh))
        n++;
    return n;
}

/* Clients that close their connection (browsers, curl, scrapers) must not
 * leave descriptors behind in the console. */
static void
test_no_descriptor_leak(void **state)
{
    (void) state;
    guint before = open_fds(fx.console);
    g_autoptr(GSocketClient) sc = g_socket_client_new();
    for (guint i = 0; i < 60; i++) {
        g_autofree gchar *host = g_strdup_printf("127.0.0.1:%u", fx.console->port);
        g_autoptr(GSocketConnection) conn =
            g_socket_client_connect_to_host(sc, host, 80, NULL, NULL);
        assert_non_null(conn);
        const gchar *req = i % 2 ? "GET /api/session HTTP/1.1\r\nHost: x\r\n\r\n"
                                 : "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n";
        GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
        assert_true(g_output_stream_write_all(out, req, strlen(req), NULL, NULL, NULL));
        gchar buf[512];
        gssize n = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf,
                                       sizeof buf, NULL, NULL);
        assert_true(n > 12);
        assert_true(g_str_has_prefix(buf, "HTTP/1.1 "));
        g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
    }
    guint after = 0;
    for (guint t = 0; t < 50; t++) {
        after = open_fds(fx.console);
        if (after <= before + 2)
            break;
        g_usleep(20 * 1000);
    }
    if (after > before + 2)
        fail_msg("console holds %u descriptors after 60 closed connections (%u before)", after,
                 before);
}

static guint
count_lines_with(const gchar *text, const gchar *needle)
{
    guint n = 0;
    for (const gchar *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Attacker's load on a console limited to 128 descriptors: a burst of 150
 * connections made while it is stopped (all must fit the listen backlog),
 * that then send nothing. The console refuses what is past its cap, closes
 * the silent ones after the request deadline (1 s here), logs a line or two
 * rather than one per connection, keeps serving, and exits 0 on SIGTERM
 * (it used to abort at the descriptor limit). */
static void
test_overload(void **state)
{
    (void) state;
    guint16 p = free_port();
    g_autofree gchar *conf = g_strdup_printf("namesrvAddr = \"%s\";\nconsoleListenPort = %u;\n",
                                             fx.ns_addr, p);
    const gchar *env[] = { "RMQ_CONSOLE_REQUEST_TIMEOUT_MS", "1000", NULL };
    Daemon *d = daemon_start_full("src/console/rmq-console", conf, p, 128, env);
    pid_t pid = (pid_t) g_ascii_strtoll(g_subprocess_get_identifier(d->proc), NULL, 10);

    enum { BURST = 150 };
    int fds[BURST];
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(kill(pid, SIGSTOP), 0);
    for (guint i = 0; i < BURST; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        assert_true(fds[i] >= 0);
        int rc = connect(fds[i], (struct sockaddr *) &sa, sizeof sa);
        assert_true(rc == 0 || errno == EINPROGRESS);
    }
    /* While it is stopped only the kernel answers: a connection completes
     * only if the accept queue has room for it. */
    guint connected = 0;
    gint64 until = g_get_monotonic_time() + 1500 * 1000;
    gboolean done[BURST] = { FALSE };
    while (connected < BURST && g_get_monotonic_time() < until) {
        for (guint i = 0; i < BURST; i++) {
            struct pollfd pfd = { fds[i], POLLOUT, 0 };
            if (done[i] || poll(&pfd, 1, 0) != 1)
                continue;
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &len);
            if (err == 0) {
                done[i] = TRUE;
                connected++;
            }
        }
        g_usleep(20 * 1000);
    }
    assert_int_equal(kill(pid, SIGCONT), 0);
    if (connected < BURST)
        fail_msg("only %u of %u connections fit the listen backlog", connected, BURST);

    /* Every one of them is closed by the console: refused at once past the
     * cap, or cut at the deadline for sending nothing. */
    guint closed = 0;
    gboolean gone[BURST] = { FALSE };
    until = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (closed < BURST && g_get_monotonic_time() < until) {
        for (guint i = 0; i < BURST; i++) {
            struct pollfd pfd = { fds[i], POLLIN, 0 };
            if (gone[i] || poll(&pfd, 1, 0) != 1)
                continue;
            gchar c;
            if (read(fds[i], &c, 1) <= 0) {
                gone[i] = TRUE;
                closed++;
            }
        }
        g_usleep(20 * 1000);
    }
    for (guint i = 0; i < BURST; i++)
        close(fds[i]);
    if (closed < BURST)
        fail_msg("%u of %u silent connections still open after 10 s", BURST - closed, BURST);

    /* Still serving. */
    g_autofree gchar *base = g_strdup_printf("http://127.0.0.1:%u", p);
    g_autoptr(Resp) r = http(base, "GET", "/api/session", NULL, NULL, NULL, NULL);
    assert_int_equal(r->status, 200);

    g_autofree gchar *log = daemon_log(d);
    guint refused = count_lines_with(log, "refusing connection");
    guint cut = count_lines_with(log, "no whole request within");
    if (refused < 1 || refused > 2 || cut < 1 || cut > 2)
        fail_msg("expected a line or two per kind of event, got %u refused and %u cut:\n%s",
                 refused, cut, log);
    assert_null(strstr(log, "Too many open files"));

    int status = rmq_test_daemon_signal_and_wait(&d->proc, SIGTERM, 10000);
    assert_int_equal(status, 0);
    daemon_stop(d);
}


/* ------------------------------------------------ a consumer client, faked */

/* A consumer of the group as the broker sees one: a connection that sent
 * HEART_BEAT and answers what the broker relays to it (GET_CONSUMER_RUNNING_INFO,
 * CONSUME_MESSAGE_DIRECTLY) and records RESET_CONSUMER_CLIENT_OFFSET. Runs
 * its own main loop in a thread, since the test's thread blocks in HTTP. */
typedef struct {
    gchar *broker;
    gchar *client_id;
    gchar *group;
    gchar *topic;
    GMainContext *ctx;
    GMainLoop *loop;
    GThread *thread;
    GMutex lock;
    gboolean ready;
    guint resets, running, direct;
    gchar *reset_body;   /* the last 220 body */
    gchar *direct_msg_id;
    GByteArray *direct_body;
} FakeConsumer;

static void
fake_on_request(RmqConnection *conn, RmqCommand *req, gpointer data)
{
    FakeConsumer *f = data;
    g_mutex_lock(&f->lock);
    if (req->code == RMQ_REQUEST_RESET_CONSUMER_CLIENT_OFFSET) {
        f->resets++;
        g_free(f->reset_body);
        gsize len = req->body ? g_bytes_get_size(req->body) : 0;
        f->reset_body = g_strndup(req->body ? g_bytes_get_data(req->body, NULL) : "", len);
    } else if (req->code == RMQ_REQUEST_GET_CONSUMER_RUNNING_INFO) {
        f->running++;
        /* fastjson's shape: a map keyed by MessageQueue objects */
        g_autofree gchar *info = g_strdup_printf(
            "{\"properties\":{\"consumeType\":\"CONSUME_PASSIVELY\",\"fakeClient\":\"%s\"},"
            "\"mqTable\":{{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"%s\"}:"
            "{\"commitOffset\":3}},\"statusTable\":{}}",
            f->client_id, f->topic);
        RmqCommand *resp = rmq_command_new_response(req, RMQ_RESPONSE_SUCCESS, NULL);
        rmq_command_set_body_data(resp, info, strlen(info));
        rmq_connection_send_response(conn, req, resp);
    } else if (req->code == RMQ_REQUEST_CONSUME_MESSAGE_DIRECTLY) {
        f->direct++;
        g_free(f->direct_msg_id);
        f->direct_msg_id = g_strdup(rmq_command_get_ext(req, "msgId"));
        g_byte_array_set_size(f->direct_body, 0);
        if (req->body)
            g_byte_array_append(f->direct_body, g_bytes_get_data(req->body, NULL),
                                g_bytes_get_size(req->body));
        const gchar *r = "{\"order\":false,\"autoCommit\":true,\"consumeResult\":\"CR_SUCCESS\","
                         "\"remark\":\"consumed by the fake\",\"spentTimeMills\":1}";
        RmqCommand *resp = rmq_command_new_response(req, RMQ_RESPONSE_SUCCESS, NULL);
        rmq_command_set_body_data(resp, r, strlen(r));
        rmq_connection_send_response(conn, req, resp);
    }
    g_mutex_unlock(&f->lock);
    rmq_command_free(req);
}

static gpointer
fake_thread(gpointer data)
{
    FakeConsumer *f = data;
    g_main_context_push_thread_default(f->ctx);
    RmqClient *client = rmq_client_new(f->ctx);
    rmq_client_set_request_handler(client, fake_on_request, f);
    g_autofree gchar *hb = g_strdup_printf(
        "{\"clientID\":\"%s\",\"consumerDataSet\":[{\"groupName\":\"%s\","
        "\"consumeType\":\"CONSUME_PASSIVELY\",\"messageModel\":\"CLUSTERING\","
        "\"consumeFromWhere\":\"CONSUME_FROM_LAST_OFFSET\",\"subscriptionDataSet\":[{"
        "\"topic\":\"%s\",\"subString\":\"*\",\"subVersion\":1}]}],\"producerDataSet\":[]}",
        f->client_id, f->group, f->topic);
    RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_HEART_BEAT);
    rmq_command_set_body_data(req, hb, strlen(hb));
    g_autoptr(GError) err = NULL;
    RmqCommand *resp = rmq_client_invoke_sync(client, f->broker, req, 10000, &err);
    g_mutex_lock(&f->lock);
    f->ready = resp != NULL && resp->code == RMQ_RESPONSE_SUCCESS;
    g_mutex_unlock(&f->lock);
    if (resp)
        rmq_command_free(resp);
    g_main_loop_run(f->loop);
    rmq_client_free(client);
    g_main_context_pop_thread_default(f->ctx);
    return NULL;
}

/* A fake client of @group on @topic, connected to broker @broker (NULL: fx's). */
static FakeConsumer *
fake_start_on(const gchar *broker, const gchar *group, const gchar *topic)
{
    FakeConsumer *f = g_new0(FakeConsumer, 1);
    f->broker = broker ? g_strdup(broker) : g_strdup_printf("127.0.0.1:%u", fx.broker->port);
    f->client_id = g_strdup_printf("127.0.0.1@fake-%d", (int) getpid());
    f->group = g_strdup(group);
    f->topic = g_strdup(topic);
    f->ctx = g_main_context_new();
    f->loop = g_main_loop_new(f->ctx, FALSE);
    f->direct_body = g_byte_array_new();
    g_mutex_init(&f->lock);
    f->thread = g_thread_new("fake-consumer", fake_thread, f);
    for (guint i = 0; i < 100; i++) {
        g_mutex_lock(&f->lock);
        gboolean ok = f->ready;
        g_mutex_unlock(&f->lock);
        if (ok)
            return f;
        g_usleep(50 * 1000);
    }
    fail_msg("the fake consumer's heartbeat failed");
    return NULL;
}

static FakeConsumer *
fake_start(const gchar *group, const gchar *topic)
{
    return fake_start_on(NULL, group, topic);
}

static void
fake_stop(FakeConsumer *f)
{
    g_main_loop_quit(f->loop);
    g_main_context_wakeup(f->ctx);
    g_thread_join(f->thread);
    g_main_loop_unref(f->loop);
    g_main_context_unref(f->ctx);
    g_free(f->broker);
    g_free(f->client_id);
    g_free(f->group);
    g_free(f->topic);
    g_free(f->reset_body);
    g_free(f->direct_msg_id);
    g_byte_array_unref(f->direct_body);
    g_mutex_clear(&f->lock);
    g_free(f);
}

/* Running info (307), resend to one client (309), reset and skip through
 * INVOKE_BROKER_TO_RESET_OFFSET (222 -> 220 to the client), all relayed by
 * the real broker to the fake client. */
static void
test_consumer_client_ops(void **state)
{
    (void) state;
    assert_non_null(offset_id);
    FakeConsumer *f = fake_start("console-client-group", TOPIC);

    /* the client is a member of the group */
    g_autoptr(Resp) g = get("/api/group?group=console-client-group");
    if (g->status != 200)
        fail_msg("group: %u %s", g->status, g->body);
    assert_non_null(strstr(g->body, f->client_id));

    g_autofree gchar *ri_path = g_strdup_printf(
        "/api/group/client?group=console-client-group&clientId=%s", f->client_id);
    g_autoptr(Resp) ri = get(ri_path);
    if (ri->status != 200)
        fail_msg("running info: %u %s", ri->status, ri->body);
    JsonObject *info = json_object_get_object_member(obj(ri), "runningInfo");
    JsonObject *props = json_object_get_object_member(info, "properties");
    assert_string_equal(json_object_get_string_member(props, "fakeClient"), f->client_id);
    assert_int_equal(json_object_get_size(json_object_get_object_member(info, "mqTable")), 1);
    assert_int_equal(f->running, 1);
    g_autoptr(Resp) ri_gone = get("/api/group/client?group=console-client-group&clientId=1.2.3.4@nobody");
    expect_error(ri_gone, 404, "not online");
    g_autoptr(Resp) ri_bad = get("/api/group/client?group=console-client-group&clientId=a%20b");
    expect_error(ri_bad, 400, "clientId");

    /* resend one message to this one client: CONSUME_MESSAGE_DIRECTLY with the stored record */
    g_autofree gchar *rs = g_strdup_printf(
        "{\"id\":\"%s\",\"group\":\"console-client-group\",\"clientId\":\"%s\"}", offset_id,
        f->client_id);
    g_autoptr(Resp) d = post("/api/message/resend", rs);
    if (d->status != 200)
        fail_msg("consume directly: %u %s", d->status, d->body);
    JsonObject *res = json_object_get_object_member(obj(d), "result");
    assert_string_equal(json_object_get_string_member(res, "consumeResult"), "CR_SUCCESS");
    assert_string_equal(json_object_get_string_member(obj(d), "clientId"), f->client_id);
    assert_int_equal(f->direct, 1);
    assert_string_equal(f->direct_msg_id, offset_id);
    assert_non_null(memmem(f->direct_body->data, f->direct_body->len, "console body 1", 14));

    /* reset by time: the broker works the offsets out and tells the client */
    g_autoptr(Resp) r = post("/api/group/reset",
                             "{\"group\":\"console-client-group\",\"topic\":\"" TOPIC "\",\"timestamp\":0}");
    if (r->status != 200)
        fail_msg("reset: %u %s", r->status, r->body);
    assert_true(json_object_get_boolean_member(obj(r), "clientsNotified"));
    JsonArray *qs = json_object_get_array_member(obj(r), "queues");
    assert_true(json_array_get_length(qs) >= 4);
    for (guint i = 0; i < 200 && f->resets == 0; i++)
        g_usleep(10 * 1000);
    assert_int_equal(f->resets, 1);
    assert_non_null(strstr(f->reset_body, "offsetTable"));

    /* skip the accumulated messages: queue 0 to its max offset */
    g_autoptr(Resp) t = get("/api/topic?topic=" TOPIC);
    gint64 max0 = -1;
    JsonArray *tq = json_object_get_array_member(obj(t), "queues");
    for (guint i = 0; i < json_array_get_length(tq); i++) {
        JsonObject *q = json_array_get_object_element(tq, i);
        if (json_object_get_int_member(q, "queueId") == 0)
            max0 = json_object_get_int_member(q, "maxOffset");
    }
    assert_true(max0 >= N_MSGS);
    g_autoptr(Resp) sk = post("/api/group/skip",
                              "{\"group\":\"console-client-group\",\"topic\":\"" TOPIC "\"}");
    if (sk->status != 200)
        fail_msg("skip: %u %s", sk->status, sk->body);
    assert_true(json_object_get_boolean_member(obj(sk), "clientsNotified"));
    gboolean seen = FALSE;
    JsonArray *sq = json_object_get_array_member(obj(sk), "queues");
    for (guint i = 0; i < json_array_get_length(sq); i++) {
        JsonObject *q = json_array_get_object_element(sq, i);
        if (json_object_get_int_member(q, "queueId") == 0) {
            assert_int_equal(json_object_get_int_member(q, "offset"), max0);
            seen = TRUE;
        }
    }
    assert_true(seen);
    for (guint i = 0; i < 200 && f->resets < 2; i++)
        g_usleep(10 * 1000);
    assert_int_equal(f->resets, 2);
    g_autoptr(Resp) sk_bad = post("/api/group/skip", "{\"group\":\"console-client-group\"}");
    expect_error(sk_bad, 400, "topic is required");
    fake_stop(f);

    /* skip with nobody online: written directly, the lag is gone */
    g_autoptr(Resp) off = post("/api/group/skip", "{\"group\":\"" GROUP "\",\"topic\":\"" TOPIC "\"}");
    if (off->status != 200)
        fail_msg("offline skip: %u %s", off->status, off->body);
    assert_false(json_object_get_boolean_member(obj(off), "clientsNotified"));
    assert_int_equal(queue_diff(GROUP, 0), 0);
}

/* The test message, and the groups of a topic with their lag. */
static void
test_topic_send_and_consumers(void **state)
{
    (void) state;
    g_autofree gchar *key = g_strdup_printf("console-sent-%08x", g_random_int());
    g_autofree gchar *body = g_strdup_printf(
        "{\"topic\":\"" TOPIC "\",\"tag\":\"TagSent\",\"key\":\"%s\",\"body\":\"typed in the console\"}", key);
    g_autoptr(Resp) s = post("/api/topic/send", body);
    if (s->status != 200)
        fail_msg("send: %u %s", s->status, s->body);
    assert_string_equal(json_object_get_string_member(obj(s), "status"), "SEND_OK");
    g_autofree gchar *q = g_strdup_printf("/api/messages?topic=" TOPIC "&key=%s", key);
    g_autoptr(Resp) k = get(q);
    JsonArray *ms = json_object_get_array_member(obj(k), "messages");
    assert_int_equal(json_array_get_length(ms), 1);
    JsonObject *m = json_array_get_object_element(ms, 0);
    assert_string_equal(json_object_get_string_member(m, "body"), "typed in the console");
    assert_string_equal(json_object_get_string_member(m, "tags"), "TagSent");
    assert_string_equal(json_object_get_string_member(m, "msgId"),
                        json_object_get_string_member(obj(s), "msgId"));
    g_autoptr(Resp) nobody = post("/api/topic/send", "{\"topic\":\"" TOPIC "\"}");
    expect_error(nobody, 400, "body");
    assert_string_equal(json_object_get_string_member(obj(nobody), "field"), "body");
    g_autoptr(Resp) notopic = post("/api/topic/send", "{\"topic\":\"NoSuchTopicHere\",\"body\":\"x\"}");
    assert_int_equal(notopic->status, 404);
    g_autoptr(Resp) badtag = post("/api/topic/send", "{\"topic\":\"" TOPIC "\",\"tag\":\"a|b\",\"body\":\"x\"}");
    expect_error(badtag, 400, "tag");

    /* the groups with offsets on the topic, and their lag there */
    g_autoptr(Resp) c = get("/api/topic/consumers?topic=" TOPIC);
    if (c->status != 200)
        fail_msg("consumers: %u %s", c->status, c->body);
    JsonArray *gs = json_object_get_array_member(obj(c), "groups");
    gboolean found = FALSE;
    for (guint i = 0; i < json_array_get_length(gs); i++) {
        JsonObject *g = json_array_get_object_element(gs, i);
        if (g_strcmp0(json_object_get_string_member(g, "group"), GROUP) == 0) {
            found = TRUE;
            /* the lag the group page reports too */
            g_autoptr(Resp) gp = get("/api/group?group=" GROUP);
            JsonObject *p = json_object_get_object_member(obj(gp), "progress");
            assert_int_equal(json_object_get_int_member(g, "diffTotal"),
                             json_object_get_int_member(p, "diffTotal"));
        }
    }
    if (!found)
        fail_msg("%s not among the consumers of %s: %s", GROUP, TOPIC, c->body);
    g_autoptr(Resp) none = get("/api/topic/consumers?topic=NoSuchTopicHere");
    assert_int_equal(none->status, 404);
}

/* Time-range browsing in pages: bounds from SEARCH_OFFSET_BY_TIMESTAMP,
 * every message once over the pages, nothing outside the range. */
static void
test_messages_paged(void **state)
{
    (void) state;
    const gchar *topic = "ConsolePaged";
    g_autoptr(Resp) c = post("/api/topic", "{\"topic\":\"ConsolePaged\",\"readQueueNums\":2,\"writeQueueNums\":2}");
    assert_int_equal(c->status, 200);
    g_autoptr(RmqProducer) prod = rmq_producer_new("console-paged-pg", fx.ns_addr, NULL);
    /* two earlier messages, then the range, then one later */
    for (guint i = 0; i < 2; i++) {
        g_autoptr(RmqQueue) q = rmq_queue_new(topic, "broker-a", (gint) i);
        g_autoptr(RmqMsg) m = rmq_msg_new(topic, "before", -1);
        RmqSendResult sr = { 0 };
        assert_true(rmq_producer_send_to_queue(prod, m, q, &sr, NULL));
        rmq_send_result_clear(&sr);
    }
    g_usleep(1100 * 1000);
    gint64 begin = g_get_real_time() / 1000;
    g_autoptr(GHashTable) sent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < 12; i++) {
        g_autoptr(RmqQueue) q = rmq_queue_new(topic, "broker-a", i < 7 ? 0 : 1);
        g_autofree gchar *b = g_strdup_printf("paged %u", i);
        g_autoptr(RmqMsg) m = rmq_msg_new(topic, b, -1);
        RmqSendResult r = { 0 };
        assert_true(rmq_producer_send_to_queue(prod, m, q, &r, NULL));
        g_hash_table_add(sent, g_strdup(r.msg_id));
        rmq_send_result_clear(&r);
    }
    gint64 end = g_get_real_time() / 1000;
    g_usleep(1100 * 1000);
    {
        g_autoptr(RmqQueue) q = rmq_queue_new(topic, "broker-a", 1);
        g_autoptr(RmqMsg) m = rmq_msg_new(topic, "after", -1);
        RmqSendResult sr = { 0 };
        assert_true(rmq_producer_send_to_queue(prod, m, q, &sr, NULL));
        rmq_send_result_clear(&sr);
    }
    guint seen = 0;
    for (gint page = 0; page < 4; page++) {
        g_autofree gchar *path = g_strdup_printf(
            "/api/messages?topic=%s&begin=%" G_GINT64_FORMAT "&end=%" G_GINT64_FORMAT
            "&pageSize=5&page=%d", topic, begin, end, page);
        g_autoptr(Resp) r = get(path);
        if (r->status != 200)
            fail_msg("page %d: %u %s", page, r->status, r->body);
        JsonObject *o = obj(r);
        /* exactly the 12, not their neighbours */
        gint64 total = json_object_get_int_member(o, "total");
        if (total != 12)
            fail_msg("total %" G_GINT64_FORMAT ": %s", total, r->body);
        JsonArray *ms = json_object_get_array_member(o, "messages");
        assert_int_equal(json_array_get_length(ms), page < 2 ? 5 : page == 2 ? 2 : 0);
        assert_int_equal(json_object_get_int_member(o, "pages"), 3);
        for (guint i = 0; i < json_array_get_length(ms); i++) {
            JsonObject *m = json_array_get_object_element(ms, i);
            const gchar *id = json_object_get_string_member(m, "msgId");
            if (!g_hash_table_remove(sent, id))
                fail_msg("page %d: %s is not one of the range, or came twice (%s)", page, id,
                         json_object_get_string_member(m, "body"));
            seen++;
        }
    }
    assert_int_equal(seen, 12);
    g_autoptr(Resp) big = get("/api/messages?topic=ConsolePaged&pageSize=65");
    expect_error(big, 400, "pageSize");
}

/* Java's trace records (TraceDataEncoder) in RMQ_SYS_TRACE_TOPIC, keyed by
 * the traced message's id, shown as that message's path. */
static void
test_trace(void **state)
{
    (void) state;
    g_autoptr(RmqAdmin) admin = rmq_admin_new(fx.ns_addr, NULL);
    RmqTopicSpec spec;
    rmq_topic_spec_init(&spec);
    g_autofree gchar *baddr = g_strdup_printf("127.0.0.1:%u", fx.broker->port);
    /* the traced message */
    g_autoptr(RmqProducer) prod = rmq_producer_new("console-trace-pg", fx.ns_addr, NULL);
    g_autoptr(RmqMsg) m = rmq_msg_new(TOPIC, "traced", -1);
    rmq_msg_set_keys(m, "trace-key");
    RmqSendResult r = { 0 };
    assert_true(rmq_producer_send(prod, m, &r, NULL));
    gint64 now = g_get_real_time() / 1000;
    /* the trace messages a tracer would write: Pub, then SubBefore + SubAfter */
    g_autofree gchar *pub = g_strdup_printf(
        "Pub\001%" G_GINT64_FORMAT "\001DefaultRegion\001console-trace-pg\001%s\001%s\001\001trace-key\001"
        "%s\0016\0012\0010\001%s\001true\002",
        now, TOPIC, r.msg_id, baddr, r.offset_msg_id);
    g_autofree gchar *sub = g_strdup_printf(
        "SubBefore\001%" G_GINT64_FORMAT "\001DefaultRegion\001trace-cg\001req-9\001%s\0010\001trace-key\002"
        "SubAfter\001req-9\001%s\0014\001true\001trace-key\0010\001%" G_GINT64_FORMAT "\001trace-cg\002",
        now + 50, r.msg_id, r.msg_id, now + 54);
    const gchar *bodies[] = { sub, pub }; /* stored out of order on purpose */
    for (guint i = 0; i < 2; i++) {
        g_autoptr(RmqMsg) t = rmq_msg_new("RMQ_SYS_TRACE_TOPIC", bodies[i], -1);
        g_autofree gchar *keys = g_strdup_printf("%s trace-key", r.msg_id);
        rmq_msg_set_keys(t, keys);
        RmqSendResult sr = { 0 };
        assert_true(rmq_producer_send(prod, t, &sr, NULL));
        rmq_send_result_clear(&sr);
    }
    g_autofree gchar *path = g_strdup_printf("/api/trace?id=%s", r.msg_id);
    g_autoptr(Resp) tr = get(path);
    if (tr->status != 200)
        fail_msg("trace: %u %s", tr->status, tr->body);
    JsonArray *a = json_object_get_array_member(obj(tr), "traces");
    assert_int_equal(json_array_get_length(a), 3);
    const gchar *order[] = { "Pub", "SubBefore", "SubAfter" };
    for (guint i = 0; i < 3; i++)
        assert_string_equal(json_object_get_string_member(json_array_get_object_element(a, i), "type"),
                            order[i]);
    JsonObject *p0 = json_array_get_object_element(a, 0);
    assert_string_equal(json_object_get_string_member(p0, "storeHost"), baddr);
    assert_string_equal(json_object_get_string_member(p0, "topic"), TOPIC);
    JsonObject *p2 = json_array_get_object_element(a, 2);
    assert_string_equal(json_object_get_string_member(p2, "group"), "trace-cg");
    assert_int_equal(json_object_get_int_member(p2, "costTime"), 4);
    rmq_send_result_clear(&r);
    g_autoptr(Resp) none = get("/api/trace?id=0A0A0A0A00002A9F0000000000000000");
    expect_error(none, 404, "no trace");
    g_autoptr(Resp) bad = get("/api/trace?id=xyz");
    expect_error(bad, 400, "id");
}

/* Viewer accounts read; their changes are refused (403) and logged by name. */
static void
test_accounts(void **state)
{
    (void) state;
    const gchar *users[] = { "ops", "lead", "watcher" };
    const gchar *roles[] = { "admin", "admin", "viewer" };
    for (guint i = 0; i < 3; i++) {
        g_autofree gchar *raw = g_strdup_printf("%s:%s", users[i], fx.password);
        g_autofree gchar *b64 = g_base64_encode((const guchar *) raw, strlen(raw));
        g_autofree gchar *auth = g_strconcat("Basic ", b64, NULL);
        g_autoptr(Resp) s = http(fx.auth_base, "GET", "/api/session", NULL, NULL, NULL, auth);
        assert_int_equal(s->status, 200);
        assert_string_equal(json_object_get_string_member(obj(s), "user"), users[i]);
        assert_string_equal(json_object_get_string_member(obj(s), "role"), roles[i]);
        const gchar *token = json_object_get_string_member(obj(s), "csrfToken");
        g_autoptr(Resp) read = http(fx.auth_base, "GET", "/api/topics", NULL, NULL, NULL, auth);
        assert_int_equal(read->status, 200);
        /* a change: a topic the name server does not know, so admins get 404 */
        g_autoptr(Resp) w = http(fx.auth_base, "POST", "/api/topic/delete", NULL,
                                 "{\"topic\":\"AccountsNoSuchTopic\"}", token, auth);
        if (strcmp(roles[i], "viewer") == 0)
            expect_error(w, 403, "viewer");
        else
            assert_int_equal(w->status, 404);
    }
    g_autofree gchar *log = daemon_log(fx.auth_console);
    assert_non_null(strstr(log, "refused POST /api/topic/delete to viewer account 'watcher'"));
    assert_null(strstr(log, "by account 'watcher'"));
    assert_null(strstr(log, "to viewer account 'lead'"));
    assert_null(strstr(log, fx.viewer_hash));
    assert_null(strstr(log, fx.password));
    /* the open console: no accounts, whoever reaches it is an admin */
    g_autoptr(Resp) open = get("/api/session");
    assert_string_equal(json_object_get_string_member(obj(open), "role"), "admin");
}

static gchar *
basic_auth(const gchar *user, const gchar *password)
{
    g_autofree gchar *raw = g_strdup_printf("%s:%s", user, password);
    g_autofree gchar *b64 = g_base64_encode((const guchar *) raw, strlen(raw));
    return g_strconcat("Basic ", b64, NULL);
}

static gchar *
session_token(const gchar *base, const gchar *auth)
{
    g_autoptr(Resp) s = http(base, "GET", "/api/session", NULL, NULL, NULL, auth);
    assert_int_equal(s->status, 200);
    return g_strdup(json_object_get_string_member(obj(s), "csrfToken"));
}

/* CSRF: each account has its own token, which only comes in a header or a
 * form body (never the URL), and a POST a page of another origin sent is
 * refused whatever it carries. */
static void
test_csrf_per_account(void **state)
{
    (void) state;
    g_autofree gchar *admin = basic_auth("lead", fx.password);
    g_autofree gchar *viewer = basic_auth("watcher", fx.password);
    g_autofree gchar *admin_token = session_token(fx.auth_base, admin);
    g_autofree gchar *viewer_token = session_token(fx.auth_base, viewer);
    assert_string_not_equal(admin_token, viewer_token);
    const gchar *body = "{\"topic\":\"CsrfNoSuchTopic\"}";
    /* a viewer knows its own token: with an admin's cached credentials it does nothing */
    g_autoptr(Resp) cross = http(fx.auth_base, "POST", "/api/topic/delete", NULL, body,
                                 viewer_token, admin);
    expect_error(cross, 403, "CSRF");
    /* the admin's own token works (404: no such topic) */
    g_autoptr(Resp) own = http(fx.auth_base, "POST", "/api/topic/delete", NULL, body,
                               admin_token, admin);
    assert_int_equal(own->status, 404);
    /* the token in the URL is not read */
    g_autofree gchar *in_url = g_strdup_printf("/api/topic/delete?_csrf=%s", admin_token);
    g_autoptr(Resp) url = http(fx.auth_base, "POST", in_url, NULL, body, NULL, admin);
    expect_error(url, 403, "CSRF");
    /* ... but a form body's is */
    g_autofree gchar *form = g_strdup_printf("topic=CsrfNoSuchTopic&_csrf=%s", admin_token);
    g_autoptr(Resp) f = http(fx.auth_base, "POST", "/api/topic/delete",
                             "application/x-www-form-urlencoded", form, NULL, admin);
    assert_int_equal(f->status, 404);

    /* Origin (else Referer): the console's own, or none; 404 = let through */
    g_autofree gchar *other_port = g_strdup_printf("http://127.0.0.1:%u", free_port());
    g_autofree gchar *page = g_strconcat(fx.auth_base, "/topics.html", NULL);
    const struct {
        const gchar *header, *value;
        guint status;
    } cases[] = {
        { "Origin", "http://evil.example", 403 },
        { "Origin", "null", 403 },
        { "Origin", other_port, 403 },
        { "Referer", "http://evil.example/page.html", 403 },
        { "Origin", fx.auth_base, 404 },
        { "Referer", page, 404 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        const gchar *h[] = { cases[i].header, cases[i].value, NULL };
        g_autoptr(Resp) r = http_full(fx.auth_base, "POST", "/api/topic/delete", NULL, body,
                                      admin_token, admin, h);
        if (cases[i].status == 403)
            expect_error(r, 403, "origin");
        else if (r->status != cases[i].status)
            fail_msg("%s: %s: %u %s", cases[i].header, cases[i].value, r->status, r->body);
    }
    g_autofree gchar *log = daemon_log(fx.auth_console);
    assert_non_null(strstr(log, "sent by a page of another origin"));
}

/* An account a reload removes while its request is under way (the auth
 * domain let the headers in, the handler runs after the body) is refused,
 * not taken for an admin. */
static void
test_account_removed_midrequest(void **state)
{
    (void) state;
    guint16 p = free_port();
    g_autofree gchar *base = g_strdup_printf("http://127.0.0.1:%u", p);
    g_autofree gchar *with = g_strdup_printf(
        "namesrvAddr = \"%s\";\nconsoleListenPort = %u;\n"
        "consoleAccounts = [\"stay:admin:%s\", \"gone:admin:%s\"];\n",
        fx.ns_addr, p, fx.hash, fx.admin2_hash);
    Daemon *d = daemon_start("src/console/rmq-console", with, p);
    g_autofree gchar *gone = basic_auth("gone", fx.password);
    g_autofree gchar *stay = basic_auth("stay", fx.password);
    g_autofree gchar *token = session_token(base, gone);

    g_autofree gchar *list = g_strdup_printf("127.0.0.1:%u;%s", free_port(), fx.ns_addr);
    g_autofree gchar *body = g_strdup_printf("{\"namesrvAddr\":\"%s\"}", list);
    g_autofree gchar *head = g_strdup_printf(
        "POST /api/namesrv HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAuthorization: %s\r\n"
        "X-CSRF-Token: %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
        "Connection: close\r\n\r\n",
        p, gone, token, strlen(body));
    g_autoptr(GSocketClient) sc = g_socket_client_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketConnection) conn =
        g_socket_client_connect_to_host(sc, "127.0.0.1", p, NULL, &error);
    assert_non_null(conn);
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    assert_true(g_output_stream_write_all(out, head, strlen(head), NULL, NULL, &error));
    assert_true(g_output_stream_write_all(out, body, strlen(body) - 1, NULL, NULL, &error));
    assert_true(g_output_stream_flush(out, NULL, &error));

    /* the account goes: the new file, SIGHUP, until a fresh request of it gets 401 */
    g_autofree gchar *without = g_strdup_printf(
        "namesrvAddr = \"%s\";\nconsoleListenPort = %u;\n"
        "consoleAccounts = [\"stay:admin:%s\"];\n",
        fx.ns_addr, p, fx.hash);
    assert_true(g_file_set_contents(d->conf, without, -1, NULL));
    g_subprocess_send_signal(d->proc, SIGHUP);
    gboolean removed = FALSE;
    for (guint i = 0; i < 100 && !removed; i++) {
        g_autoptr(Resp) s = http(base, "GET", "/api/session", NULL, NULL, NULL, gone);
        removed = s->status == 401;
        if (!removed)
            g_usleep(50 * 1000);
    }
    assert_true(removed);

    assert_true(g_output_stream_write_all(out, body + strlen(body) - 1, 1, NULL, NULL, &error));
    GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
    GString *answer = g_string_new(NULL);
    gchar buf[4096];
    gssize n;
    while ((n = g_input_stream_read(in, buf, sizeof buf, NULL, &error)) > 0)
        g_string_append_len(answer, buf, n);
    if (!g_str_has_prefix(answer->str, "HTTP/1.1 401"))
        fail_msg("expected 401, got %s", answer->str);
    assert_non_null(strstr(answer->str, "no longer exists"));
    g_string_free(answer, TRUE);
    /* nothing switched */
    g_autoptr(Resp) s = http(base, "GET", "/api/session", NULL, NULL, NULL, stay);
    assert_int_equal(s->status, 200);
    assert_string_equal(json_object_get_string_member(obj(s), "namesrvAddr"), fx.ns_addr);
    daemon_stop(d);
}

/* Skip with a client of the group on one master only: that master tells
 * it, the other (CONSUMER_NOT_ONLINE) gets its offsets written directly. */
static void
test_skip_mixed_online(void **state)
{
    (void) state;
    const gchar *topic = "ConsoleMixedTopic";
    const gchar *group = "console-mixed-group";
    guint16 p = free_port();
    g_autofree gchar *bconf = g_strdup_printf(
        "listenPort = %u;\nbindAddress = \"127.0.0.1\";\nbrokerIP1 = \"127.0.0.1\";\n"
        "brokerName = \"broker-b\";\nbrokerClusterName = \"DefaultCluster\";\n"
        "namesrvAddr = \"%s\";\nstorePathRootDir = \"@DIR@/store\";\n"
        "mappedFileSizeCommitLog = 8388608;\nmappedFileSizeConsumeQueue = 120000;\n"
        "maxIndexNum = 40000;\nmaxHashSlotNum = 10000;\nflushConsumerOffsetInterval = 500;\n",
        p, fx.ns_addr);
    Daemon *b = daemon_start("src/broker/rmq-broker", bconf, p);
    g_autofree gchar *a_addr = g_strdup_printf("127.0.0.1:%u", fx.broker->port);
    g_autofree gchar *b_addr = g_strdup_printf("127.0.0.1:%u", p);
    g_autoptr(RmqAdmin) admin = rmq_admin_new(fx.ns_addr, NULL);
    RmqTopicSpec spec;
    rmq_topic_spec_init(&spec);
    spec.read_queue_nums = spec.write_queue_nums = 2;
    assert_true(rmq_admin_update_topic(admin, a_addr, topic, &spec, NULL));
    assert_true(rmq_admin_update_topic(admin, b_addr, topic, &spec, NULL));
    JsonObject *sub = json_object_new(); /* the group on both brokers */
    assert_true(rmq_admin_update_sub_group(admin, a_addr, group, sub, NULL));
    assert_true(rmq_admin_update_sub_group(admin, b_addr, group, sub, NULL));
    json_object_unref(sub);
    /* messages on every queue of both brokers, once the route has both */
    g_autoptr(RmqProducer) prod = rmq_producer_new("console-mixed-pg", fx.ns_addr, NULL);
    gint64 b_max = 0;
    for (guint round = 0; round < 100 && b_max < 2; round++) {
        g_autoptr(RmqMsg) m = rmq_msg_new(topic, "mixed", -1);
        RmqSendResult sr = { 0 };
        assert_true(rmq_producer_send(prod, m, &sr, NULL));
        rmq_send_result_clear(&sr);
        g_autoptr(JsonNode) st = rmq_admin_topic_status(admin, topic, NULL);
        JsonArray *qs = st ? json_node_get_array(st) : NULL;
        gint64 least = qs && json_array_get_length(qs) == 4 ? G_MAXINT64 : 0;
        for (guint i = 0; least > 0 && i < json_array_get_length(qs); i++)
            least = MIN(least, json_object_get_int_member(json_array_get_object_element(qs, i),
                                                          "maxOffset"));
        b_max = least;
        if (b_max < 2)
            g_usleep(50 * 1000);
    }
    assert_true(b_max >= 2);

    FakeConsumer *f = fake_start_on(a_addr, group, topic);
    g_autofree gchar *body = g_strdup_printf("{\"group\":\"%s\",\"topic\":\"%s\"}", group, topic);
    g_autoptr(Resp) sk = post("/api/group/skip", body);
    if (sk->status != 200)
        fail_msg("skip: %u %s", sk->status, sk->body);
    assert_true(json_object_get_boolean_member(obj(sk), "clientsNotified"));
    JsonArray *rows = json_object_get_array_member(obj(sk), "queues");
    guint on_a = 0, on_b = 0;
    for (guint i = 0; i < json_array_get_length(rows); i++) {
        JsonObject *row = json_array_get_object_element(rows, i);
        gboolean told = json_object_get_boolean_member(row, "clientsNotified");
        if (strcmp(json_object_get_string_member(row, "brokerName"), "broker-a") == 0) {
            assert_true(told);
            on_a++;
        } else {
            assert_string_equal(json_object_get_string_member(row, "brokerName"), "broker-b");
            assert_false(told);
            on_b++;
        }
    }
    assert_int_equal(on_a, 2);
    assert_int_equal(on_b, 2);
    /* broker-b holds the group's offsets now: its max offsets */
    g_autoptr(RmqConsumer) c = rmq_consumer_new(group, fx.ns_addr, NULL);
    for (gint q = 0; q < 2; q++) {
        g_autoptr(RmqQueue) mq = rmq_queue_new(topic, "broker-b", q);
        gint64 max = rmq_consumer_max_offset(c, mq, NULL);
        assert_true(max >= 2);
        assert_int_equal(rmq_consumer_query_offset(c, mq, NULL), max);
    }
    fake_stop(f);
    daemon_stop(b);
}

static gboolean
chart_has_topic(const gchar *base, const gchar *range, const gchar *topic, gint64 *last_time)
{
    g_autofree gchar *path = g_strdup_printf("/api/charts?range=%s", range);
    g_autoptr(Resp) r = http(base, "GET", path, NULL, NULL, NULL, NULL);
    assert_int_equal(r->status, 200);
    JsonArray *pts = json_object_get_array_member(obj(r), "points");
    gboolean seen = FALSE;
    for (guint i = 0; i < json_array_get_length(pts); i++) {
        JsonObject *p = json_array_get_object_element(pts, i);
        JsonObject *t = json_object_get_object_member(p, "topics");
        if (json_object_has_member(t, topic) && json_object_get_double_member(t, topic) > 0 &&
            json_object_has_member(p, "groups") && json_object_has_member(p, "brokers")) {
            seen = TRUE;
            if (last_time)
                *last_time = json_object_get_int_member(p, "time");
        }
    }
    return seen;
}

/* Charts from the console's own samples survive a restart (the state
 * directory); name servers: reachability, and a switch kept in the state
 * file over the config file's list. */
/* The largest value of series @name in @member ("topics", "topicsGet",
 * "groups") of the main console's hour chart. */
static gdouble
chart_max(const gchar *member, const gchar *name)
{
    g_autoptr(Resp) r = get("/api/charts?range=hour");
    assert_int_equal(r->status, 200);
    JsonArray *pts = json_object_get_array_member(obj(r), "points");
    gdouble max = -1;
    for (guint i = 0; i < json_array_get_length(pts); i++) {
        JsonObject *m = json_array_get_object_element(pts, i);
        JsonObject *o = json_object_has_member(m, member) ? json_object_get_object_member(m, member)
                                                          : NULL;
        if (o != NULL && json_object_has_member(o, name))
            max = MAX(max, json_object_get_double_member(o, name));
    }
    return max;
}

/* A topic's get TPS on the dashboard: what its groups consumed between two
 * samples (their committed offsets), 0 while nobody consumes. */
static void
test_chart_topic_get(void **state)
{
    (void) state;
    const gchar *topic = "ConsoleChartGet";
    g_autoptr(Resp) c = post("/api/topic", "{\"topic\":\"ConsoleChartGet\",\"readQueueNums\":1,"
                                           "\"writeQueueNums\":1}");
    assert_int_equal(c->status, 200);
    g_autoptr(RmqProducer) prod = rmq_producer_new("console-chartget-pg", fx.ns_addr, NULL);
    g_autoptr(RmqQueue) q0 = rmq_queue_new(topic, "broker-a", 0);
    for (guint i = 0; i < 20; i++) {
        g_autoptr(RmqMsg) m = rmq_msg_new(topic, "get me", -1);
        RmqSendResult sr = { 0 };
        g_autoptr(GError) e = NULL;
        if (!rmq_producer_send_to_queue(prod, m, q0, &sr, &e))
            fail_msg("send: %s", e->message);
        rmq_send_result_clear(&sr);
    }
    g_autoptr(RmqConsumer) cons = rmq_consumer_new("console-chartget-cg", fx.ns_addr, NULL);
    g_autoptr(GError) e = NULL;
    if (!rmq_consumer_heartbeat(cons, topic, &e) || !rmq_consumer_commit_offset(cons, q0, 0, &e))
        fail_msg("consumer: %s", e->message);
    /* the sampler (every 500 ms) sees the group at offset 0: its lag is 20,
     * and nothing was consumed */
    gboolean seen = FALSE;
    for (guint i = 0; i < 100 && !seen; i++) {
        seen = chart_max("groups", "console-chartget-cg") == 20;
        if (!seen)
            g_usleep(100 * 1000);
    }
    assert_true(seen);
    g_usleep(1200 * 1000); /* two more samples: the group is the baseline */
    assert_true(chart_max("topicsGet", topic) <= 0);
    /* it consumes 20 messages: the topic's get TPS shows them */
    if (!rmq_consumer_commit_offset(cons, q0, 20, &e))
        fail_msg("commit: %s", e->message);
    gdouble got = 0;
    for (guint i = 0; i < 100 && got <= 0; i++) {
        got = chart_max("topicsGet", topic);
        if (got <= 0)
            g_usleep(100 * 1000);
    }
    if (got <= 0)
        fail_msg("no get TPS for %s", topic);
    g_autoptr(Resp) d = post("/api/topic/delete", "{\"topic\":\"ConsoleChartGet\"}");
    assert_int_equal(d->status, 200);
}

static void
test_charts_and_namesrv(void **state)
{
    (void) state;
    g_autofree gchar *sd = g_dir_make_tmp("rmq-console-state-XXXXXX", NULL);
    const gchar *env[] = { "STATE_DIRECTORY", sd, NULL };
    guint16 p = free_port();
    g_autofree gchar *conf = g_strdup_printf("namesrvAddr = \"%s\";\nconsoleListenPort = %u;\n",
                                             fx.ns_addr, p);
    g_autofree gchar *base = g_strdup_printf("http://127.0.0.1:%u", p);
    Daemon *d = daemon_start_full("src/console/rmq-console", conf, p, 0, env);

    g_autoptr(RmqProducer) prod = rmq_producer_new("console-chart-pg", fx.ns_addr, NULL);
    gint64 t_seen = 0;
    gboolean seen = FALSE;
    for (guint round = 0; round < 60 && !seen; round++) {
        g_autoptr(RmqMsg) m = rmq_msg_new(TOPIC, "chart", -1);
        RmqSendResult sr = { 0 };
        assert_true(rmq_producer_send(prod, m, &sr, NULL));
        rmq_send_result_clear(&sr);
        g_usleep(100 * 1000);
        seen = chart_has_topic(base, "hour", TOPIC, &t_seen);
    }
    assert_true(seen);
    /* the 24-hour series: one point per 2 minutes, the first one at once */
    g_autoptr(Resp) day = http(base, "GET", "/api/charts?range=day", NULL, NULL, NULL, NULL);
    assert_int_equal(day->status, 200);
    assert_int_equal(json_object_get_int_member(obj(day), "intervalMs"), 120000);
    assert_true(json_array_get_length(json_object_get_array_member(obj(day), "points")) >= 1);
    g_autoptr(Resp) bad = http(base, "GET", "/api/charts?range=week", NULL, NULL, NULL, NULL);
    expect_error(bad, 400, "range");

    /* name servers */
    g_autoptr(Resp) ns = http(base, "GET", "/api/namesrv", NULL, NULL, NULL, NULL);
    assert_int_equal(ns->status, 200);
    JsonArray *servers = json_object_get_array_member(obj(ns), "servers");
    assert_int_equal(json_array_get_length(servers), 1);
    assert_true(json_object_get_boolean_member(json_array_get_object_element(servers, 0), "reachable"));
    g_autoptr(Resp) sess = http(base, "GET", "/api/session", NULL, NULL, NULL, NULL);
    g_autofree gchar *token = g_strdup(json_object_get_string_member(obj(sess), "csrfToken"));
    guint16 dead = free_port(); /* nobody listens there */
    g_autofree gchar *list = g_strdup_printf("127.0.0.1:%u;%s", dead, fx.ns_addr);
    g_autofree gchar *body = g_strdup_printf("{\"namesrvAddr\":\"%s\"}", list);
    g_autoptr(Resp) sw = http(base, "POST", "/api/namesrv", NULL, body, token, NULL);
    if (sw->status != 200)
        fail_msg("switch: %u %s", sw->status, sw->body);
    assert_true(json_object_get_boolean_member(obj(sw), "saved"));
    g_autoptr(Resp) ns2 = http(base, "GET", "/api/namesrv", NULL, NULL, NULL, NULL);
    servers = json_object_get_array_member(obj(ns2), "servers");
    assert_int_equal(json_array_get_length(servers), 2);
    assert_false(json_object_get_boolean_member(json_array_get_object_element(servers, 0), "reachable"));
    assert_true(json_object_get_boolean_member(json_array_get_object_element(servers, 1), "reachable"));
    g_autoptr(Resp) cl = http(base, "GET", "/api/cluster", NULL, NULL, NULL, NULL);
    assert_int_equal(cl->status, 200); /* the live name server still answers */
    g_autoptr(Resp) sw_bad = http(base, "POST", "/api/namesrv", NULL,
                                  "{\"namesrvAddr\":\"file:///etc/passwd\"}", token, NULL);
    expect_error(sw_bad, 400, "namesrvAddr");
    g_autoptr(Resp) sw_csrf = http(base, "POST", "/api/namesrv", NULL, body, NULL, NULL);
    expect_error(sw_csrf, 403, "CSRF");

    /* restart on the same state directory */
    int status = rmq_test_daemon_signal_and_wait(&d->proc, SIGTERM, 10000);
    assert_int_equal(status, 0);
    g_autofree gchar *file = g_build_filename(sd, "console-samples.json", NULL);
    assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
    daemon_stop(d);
    d = daemon_start_full("src/console/rmq-console", conf, p, 0, env);
    gint64 t_after = 0;
    assert_true(chart_has_topic(base, "hour", TOPIC, &t_after));
    assert_true(t_after >= t_seen);
    g_autoptr(Resp) sess2 = http(base, "GET", "/api/session", NULL, NULL, NULL, NULL);
    assert_string_equal(json_object_get_string_member(obj(sess2), "namesrvAddr"), list);
    daemon_stop(d);
    rmq_test_rm_rf(sd);
}

/* The parser the /metrics check relies on must itself refuse bad input. */
static void
test_promparse(void **state)
{
    (void) state;
    g_autoptr(GError) e = NULL;
    g_autoptr(PromDoc) ok = prom_parse("# HELP m A \\ help\\nline\n# TYPE m gauge\n"
                                       "m{a=\"x\\\"y\",b=\"1\\\\2\\n\"} 3.5 1700000000000\n"
                                       "m 4\nother_total{} +Inf\n",
                                       &e);
    if (ok == NULL)
        fail_msg("%s", e->message);
    assert_int_equal(ok->samples->len, 3);
    assert_string_equal(g_hash_table_lookup(ok->help, "m"), "A \\ help\nline");
    const PromSample *s = prom_find(ok, "m", "a", "x\"y", "b", "1\\2\n", NULL);
    assert_non_null(s);
    assert_true(s->value == 3.5 && s->has_timestamp && s->timestamp == 1700000000000);
    assert_null(prom_find(ok, "m", "a", "x", NULL));
    const gchar *bad[] = { "m{a=\"x} 1\n", "m{a=\"\\q\"} 1\n", "m\n", "m one\n",
                           "# TYPE m gauge\n# TYPE m counter\n", "# TYPE m kind\n",
                           "m{a=\"1\",a=\"2\"} 1\n", "1m 1\n" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) be = NULL;
        g_autoptr(PromDoc) d = prom_parse(bad[i], &be);
        if (d != NULL)
            fail_msg("accepted: %s", bad[i]);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promparse),
        cmocka_unit_test(test_cluster),
        cmocka_unit_test(test_pages),
        cmocka_unit_test(test_language),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_topic_messages_and_lag),
        cmocka_unit_test(test_tps_sampler),
        cmocka_unit_test(test_resend),
        cmocka_unit_test(test_consumer_client_ops),
        cmocka_unit_test(test_topic_send_and_consumers),
        cmocka_unit_test(test_messages_paged),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_topic_order_perm),
        cmocka_unit_test(test_group_config),
        cmocka_unit_test(test_producers),
        cmocka_unit_test(test_dlq),
        cmocka_unit_test(test_no_outside_address),
        cmocka_unit_test(test_deletes),
        cmocka_unit_test(test_broker_detail),
        cmocka_unit_test(test_slave_lag),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_accounts),
        cmocka_unit_test(test_csrf_per_account),
        cmocka_unit_test(test_account_removed_midrequest),
        cmocka_unit_test(test_chart_topic_get),
        cmocka_unit_test(test_charts_and_namesrv),
        cmocka_unit_test(test_no_descriptor_leak),
        cmocka_unit_test(test_overload),
        cmocka_unit_test(test_skip_mixed_online),
    };
    return cmocka_run_group_tests_name("console-api", tests, setup, teardown);
}
