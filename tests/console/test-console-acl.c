/* rmq-console against a broker with aclEnable: with accessKey and an
 * owner-only secretKeyFile in its config the console signs its requests and
 * shows the broker; without them the broker refuses it with Java's remark;
 * a secret file others may read stops the start (exit 78). The ACL page's
 * API (/api/acl) lists the accounts with their secrets masked and edits them
 * through the brokers' ACL admin codes, keeping a secret it is not given. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

#include "../broker/harness.h"
#include "acl/plain_config.h"

#define ADMIN_AK "consoleAdmin1"
#define ADMIN_SK "consoleSecret1"

static BkDaemon *ns, *broker;

static int
setup(void **state)
{
    (void) state;
    ns = bk_namesrv_new();
    if (!bk_daemon_start_or_say(ns, 10000))
        return -1;
    broker = bk_broker_new(ns->addr, NULL);
    g_autofree gchar *acl = g_build_filename(broker->dir, "plain_acl.yml", NULL);
    g_assert(g_file_set_contents(acl,
                                 "globalWhiteRemoteAddresses:\n  - 10.10.103.*\n"
                                 "accounts:\n  - accessKey: " ADMIN_AK "\n"
                                 "    secretKey: " ADMIN_SK "\n    admin: true\n",
                                 -1, NULL));
    g_autofree gchar *extra = g_strdup_printf("aclEnable = true;\nplainAclFile = \"%s\";\n", acl);
    bk_daemon_append_conf(broker, extra);
    return bk_daemon_start_or_say(broker, 15000) ? 0 : -1;
}

static int
teardown(void **state)
{
    (void) state;
    bk_daemon_free(broker);
    bk_daemon_free(ns);
    return 0;
}

/* A console daemon (the harness's skeleton, another binary and config). */
static BkDaemon *
console_new(const gchar *extra)
{
    BkDaemon *d = bk_namesrv_new();
    g_free(d->binary);
    d->binary = g_strdup("src/console/rmq-console");
    g_autofree gchar *conf = g_strdup_printf(
        "namesrvAddr = \"%s\";\nconsoleListenAddress = \"127.0.0.1\";\n"
        "consoleListenPort = %u;\n%s",
        ns->addr, d->port, extra != NULL ? extra : "");
    g_assert(g_file_set_contents(d->conf_path, conf, -1, NULL));
    return d;
}

/* A console (not started) with accessKey and a secretKeyFile of @mode. */
static BkDaemon *
console_with_secret(guint mode)
{
    BkDaemon *con = console_new(NULL);
    g_autofree gchar *secret = g_build_filename(con->dir, "console.secret", NULL);
    g_assert(g_file_set_contents(secret, ADMIN_SK "\n", -1, NULL));
    g_assert(g_chmod(secret, mode) == 0);
    g_autofree gchar *extra =
        g_strdup_printf("accessKey = \"" ADMIN_AK "\";\nsecretKeyFile = \"%s\";\n", secret);
    bk_daemon_append_conf(con, extra);
    return con;
}

static guint http_request(BkDaemon *d, const gchar *method, const gchar *path,
                          const gchar *headers, const gchar *content, gchar **body);

/* GET @path over HTTP/1.0: the status code, the body in *@body. */
static guint
http_get(BkDaemon *d, const gchar *path, gchar **body)
{
    return http_request(d, "GET", path, "", NULL, body);
}

static guint
http_request(BkDaemon *d, const gchar *method, const gchar *path, const gchar *headers,
             const gchar *content, gchar **body)
{
    g_autoptr(GSocketClient) sc = g_socket_client_new();
    g_socket_client_set_timeout(sc, 15);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketConnection) conn =
        g_socket_client_connect_to_host(sc, d->addr, 0, NULL, &error);
    if (conn == NULL)
        fail_msg("%s: %s", d->addr, error->message);
    g_autofree gchar *req =
        content != NULL
            ? g_strdup_printf("%s %s HTTP/1.0\r\nHost: %s\r\n%sContent-Type: application/json\r\n"
                              "Content-Length: %zu\r\n\r\n%s",
                              method, path, d->addr, headers, strlen(content), content)
            : g_strdup_printf("%s %s HTTP/1.0\r\nHost: %s\r\n%s\r\n", method, path, d->addr,
                              headers);
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    g_assert(g_output_stream_write_all(out, req, strlen(req), NULL, NULL, NULL));
    GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
    g_autoptr(GString) all = g_string_new(NULL);
    gchar buf[4096];
    gssize n;
    while ((n = g_input_stream_read(in, buf, sizeof buf, NULL, NULL)) > 0)
        g_string_append_len(all, buf, n);
    guint status = 0;
    if (sscanf(all->str, "HTTP/1.%*d %u", &status) != 1)
        fail_msg("not an HTTP answer: %s", all->str);
    const gchar *sep = strstr(all->str, "\r\n\r\n");
    *body = g_strdup(sep != NULL ? sep + 4 : "");
    return status;
}

static gchar *
broker_path(void)
{
    return g_strdup_printf("/api/broker?addr=%s", broker->addr);
}

static void
test_console_signs(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) con = console_with_secret(0400);
    assert_true(bk_daemon_start_or_say(con, 15000));
    g_autofree gchar *path = broker_path();
    g_autofree gchar *body = NULL;
    guint status = http_get(con, path, &body);
    if (status != 200)
        fail_msg("status %u: %s", status, body);
    assert_non_null(strstr(body, "\"runtime\""));
    assert_null(strstr(body, ADMIN_SK));
}

static void
test_console_unsigned_refused(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) con = console_new(NULL);
    assert_true(bk_daemon_start_or_say(con, 15000));
    g_autofree gchar *path = broker_path();
    g_autofree gchar *body = NULL;
    guint status = http_get(con, path, &body);
    assert_true(status >= 400);
    if (strstr(body, "No accessKey is configured") == NULL)
        fail_msg("status %u: %s", status, body);
}

static void
test_console_secret_file_mode(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) con = console_with_secret(0644);
    g_autoptr(GError) err = NULL;
    assert_false(bk_daemon_start(con, 10000, &err));
    assert_int_equal(bk_daemon_signal_and_wait(con, SIGTERM, 5000), 78);
    g_autofree gchar *log = bk_daemon_log(con);
    assert_non_null(strstr(log, "chmod 600"));
    assert_null(strstr(log, ADMIN_SK));
}

static BkDaemon *
signed_console(void)
{
    BkDaemon *con = console_with_secret(0600);
    g_assert(bk_daemon_start_or_say(con, 15000));
    return con;
}

static guint
post_json(BkDaemon *con, const gchar *path, const gchar *json, gchar **body)
{
    g_autofree gchar *session = NULL;
    assert_int_equal(http_get(con, "/api/session", &session), 200);
    g_autoptr(JsonNode) s = json_from_string(session, NULL);
    assert_non_null(s);
    const gchar *token = json_object_get_string_member(json_node_get_object(s), "csrfToken");
    g_autofree gchar *hdr = g_strdup_printf("X-CSRF-Token: %s\r\n", token);
    return http_request(con, "POST", path, hdr, json, body);
}

/* the account @key in the /api/acl answer, or NULL */
static JsonObject *
find_account(JsonNode *root, const gchar *key)
{
    JsonArray *brokers = json_object_get_array_member(json_node_get_object(root), "brokers");
    assert_int_equal(json_array_get_length(brokers), 1);
    JsonObject *b = json_array_get_object_element(brokers, 0);
    JsonArray *accounts = json_object_get_array_member(b, "accounts");
    for (guint i = 0; i < json_array_get_length(accounts); i++) {
        JsonObject *a = json_array_get_object_element(accounts, i);
        if (g_strcmp0(json_object_get_string_member(a, "accessKey"), key) == 0)
            return a;
    }
    return NULL;
}

static RmqAclConfig *
broker_file(void)
{
    g_autofree gchar *path = g_build_filename(broker->dir, "plain_acl.yml", NULL);
    g_autoptr(GError) error = NULL;
    RmqAclConfig *c = rmq_acl_config_load(path, &error);
    if (c == NULL)
        fail_msg("%s", error->message);
    return c;
}

static void
test_console_acl_page(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) con = signed_console();
    g_autofree gchar *page = NULL;
    assert_int_equal(http_get(con, "/acl.html", &page), 200);
    assert_non_null(strstr(page, "/acl.js"));
    g_autofree gchar *js = NULL;
    assert_int_equal(http_get(con, "/acl.js", &js), 200);
    assert_non_null(strstr(js, "PAGES.acl"));

    /* the list: secrets masked, never in full */
    g_autofree gchar *list = NULL;
    assert_int_equal(http_get(con, "/api/acl", &list), 200);
    assert_null(strstr(list, ADMIN_SK));
    g_autoptr(JsonNode) root = json_from_string(list, NULL);
    assert_non_null(root);
    JsonObject *admin = find_account(root, ADMIN_AK);
    assert_non_null(admin);
    assert_string_equal(json_object_get_string_member(admin, "secretKey"), "co******");
    assert_true(json_object_get_boolean_member(admin, "admin"));

    /* a new account needs a secret; with one it is created */
    g_autofree gchar *nosecret = NULL;
    assert_int_equal(post_json(con, "/api/acl", "{\"accessKey\":\"pageUser01\"}", &nosecret),
                     400);
    assert_non_null(strstr(nosecret, "secretKey is required"));
    g_autofree gchar *created = NULL;
    guint st = post_json(con, "/api/acl",
                         "{\"accessKey\":\"pageUser01\",\"secretKey\":\"pageSecret01\","
                         "\"defaultTopicPerm\":\"DENY\",\"topicPerms\":\"PageT=PUB\","
                         "\"admin\":false}",
                         &created);
    if (st != 200)
        fail_msg("status %u: %s", st, created);
    /* an edit without the secret keeps it */
    g_autofree gchar *edited = NULL;
    st = post_json(con, "/api/acl",
                   "{\"accessKey\":\"pageUser01\",\"topicPerms\":\"PageT=PUB|SUB,PageU=SUB\","
                   "\"admin\":false}",
                   &edited);
    if (st != 200)
        fail_msg("status %u: %s", st, edited);
    {
        g_autoptr(RmqAclConfig) c = broker_file();
        const RmqAclAccount *a = rmq_acl_config_account(c, "pageUser01");
        assert_non_null(a);
        assert_string_equal(a->secret_key, "pageSecret01");
        assert_int_equal(a->topic_perms->len, 2);
        assert_string_equal(a->default_topic_perm_text, "DENY");
    }
    g_autofree gchar *list2 = NULL;
    assert_int_equal(http_get(con, "/api/acl", &list2), 200);
    assert_null(strstr(list2, "pageSecret01"));

    /* the broker's refusal comes back as it is */
    g_autofree gchar *badperm = NULL;
    st = post_json(con, "/api/acl", "{\"accessKey\":\"pageUser01\",\"topicPerms\":\"PageT\"}",
                   &badperm);
    assert_true(st >= 400);
    assert_non_null(strstr(badperm, "Parse Resource format error"));

    g_autofree gchar *deleted = NULL;
    assert_int_equal(
        post_json(con, "/api/acl/delete", "{\"accessKey\":\"pageUser01\"}", &deleted),
                     200);
    g_autoptr(RmqAclConfig) c = broker_file();
    assert_null(rmq_acl_config_account(c, "pageUser01"));
    /* an addr the name server does not list is refused, and never dialled:
     * a listener of this test sees no connection */
    {
        g_autoptr(GSocket) ls = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
        g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
        g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, 0);
        assert_true(g_socket_bind(ls, sa, TRUE, NULL) && g_socket_listen(ls, NULL));
        g_autoptr(GSocketAddress) bound = g_socket_get_local_address(ls, NULL);
        guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
        g_autofree gchar *qpath = g_strdup_printf("/api/acl?addr=127.0.0.1:%u", port);
        g_autofree gchar *other = NULL;
        assert_int_equal(http_get(con, qpath, &other), 404);
        assert_non_null(strstr(other, "no broker at 127.0.0.1:"));
        g_autofree gchar *djson = g_strdup_printf(
            "{\"accessKey\":\"pageUser02\",\"secretKey\":\"pageSecret02\","
            "\"addr\":\"127.0.0.1:%u\"}", port);
        g_autofree gchar *other2 = NULL;
        assert_int_equal(post_json(con, "/api/acl", djson, &other2), 404);
        g_socket_set_blocking(ls, FALSE);
        g_autoptr(GError) ae = NULL;
        g_autoptr(GSocket) in = g_socket_accept(ls, NULL, &ae);
        assert_null(in);
        assert_true(g_error_matches(ae, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
        /* the broker's own address is one the name server lists */
        g_autofree gchar *bpath = g_strdup_printf("/api/acl?addr=%s", broker->addr);
        g_autofree gchar *mine = NULL;
        assert_int_equal(http_get(con, bpath, &mine), 200);
        assert_non_null(strstr(mine, ADMIN_AK));
    }
    /* writes need the CSRF token */
    g_autofree gchar *nocsrf = NULL;
    assert_int_equal(http_request(con, "POST", "/api/acl/delete", "",
                                  "{\"accessKey\":\"" ADMIN_AK "\"}", &nocsrf),
                     403);
}

/* Every client the console makes signs: the admin (create a topic), a
 * producer (the test message) and a consumer (browsing messages). */
static void
test_console_clients_sign(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) con = signed_console();
    g_autofree gchar *made = NULL;
    guint st = post_json(con, "/api/topic", "{\"topic\":\"ConsoleAclT\",\"writeQueueNums\":1,"
                                            "\"readQueueNums\":1}", &made);
    if (st != 200)
        fail_msg("create: status %u: %s", st, made);
    g_autofree gchar *sent = NULL;
    for (int i = 0; i < 50; i++) {
        g_clear_pointer(&sent, g_free);
        st = post_json(con, "/api/topic/send",
                       "{\"topic\":\"ConsoleAclT\",\"key\":\"k1\",\"body\":\"signed hello\"}",
                       &sent);
        if (st == 200)
            break;
        g_usleep(200 * 1000); /* the route reaches the name server */
    }
    if (st != 200)
        fail_msg("send: status %u: %s", st, sent);
    g_autofree gchar *found = NULL;
    for (int i = 0; i < 50; i++) {
        g_clear_pointer(&found, g_free);
        st = http_get(con, "/api/messages?topic=ConsoleAclT&key=k1", &found);
        if (st == 200 && strstr(found, "signed hello") != NULL)
            break;
        g_usleep(200 * 1000);
    }
    if (st != 200 || strstr(found, "signed hello") == NULL)
        fail_msg("browse: status %u: %s", st, found);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_console_signs),
        cmocka_unit_test(test_console_unsigned_refused),
        cmocka_unit_test(test_console_secret_file_mode),
        cmocka_unit_test(test_console_acl_page),
        cmocka_unit_test(test_console_clients_sign),
    };
    return cmocka_run_group_tests_name("console-acl", tests, setup, teardown);
}
