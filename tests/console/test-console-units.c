/* rmq-console's pure parts: input validation, error to HTTP status, the
 * route table, metric label escaping and the crypt(3) password check. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <crypt.h>
#include <string.h>

#include "console/console.h"
#include "console/listener.h"
#include "store/message_format.h"

static void
test_names(void **state)
{
    (void) state;
    assert_true(rmq_console_valid_name("TopicTest", 127));
    assert_true(rmq_console_valid_name("%RETRY%group-1|x_y", 127));
    assert_false(rmq_console_valid_name("", 127));
    assert_false(rmq_console_valid_name(NULL, 127));
    assert_false(rmq_console_valid_name("a b", 127));
    assert_false(rmq_console_valid_name("a/b", 127));
    assert_false(rmq_console_valid_name("<script>", 127));
    g_autofree gchar *long_name = g_strnfill(128, 'a');
    assert_false(rmq_console_valid_name(long_name, 127));
    assert_true(rmq_console_valid_name(long_name, 255));
}

static void
test_param_int(void **state)
{
    (void) state;
    g_autoptr(GHashTable) p = g_hash_table_new(g_str_hash, g_str_equal);
    gint64 v = 0;
    g_autoptr(GError) e = NULL;
    assert_true(rmq_console_param_int(p, "n", 1, 10, 8, &v, NULL));
    assert_int_equal(v, 8);
    assert_false(rmq_console_param_int(p, "n", 1, 10, 0, &v, &e));
    assert_string_equal(e->message, "n is required");
    g_clear_error(&e);
    g_hash_table_insert(p, "n", "11");
    assert_false(rmq_console_param_int(p, "n", 1, 10, 8, &v, &e));
    assert_string_equal(e->message, "n must be an integer from 1 to 10");
    assert_int_equal(e->code, RMQ_CONSOLE_ERROR_BAD_REQUEST);
    g_clear_error(&e);
    g_hash_table_insert(p, "n", "4x");
    assert_false(rmq_console_param_int(p, "n", 1, 10, 8, &v, &e));
    g_clear_error(&e);
    g_hash_table_insert(p, "n", "10");
    assert_true(rmq_console_param_int(p, "n", 1, 10, 8, &v, NULL));
    assert_int_equal(v, 10);
}

static void
test_time(void **state)
{
    (void) state;
    gint64 ms = 0;
    assert_true(rmq_console_parse_time("1700000000123", &ms));
    assert_int_equal(ms, 1700000000123);
    assert_true(rmq_console_parse_time("2024-01-02T03:04:05Z", &ms));
    assert_int_equal(ms, 1704164645000);
    assert_true(rmq_console_parse_time("2024-01-02T03:04:05.250+01:00", &ms));
    assert_int_equal(ms, 1704161045250);
    assert_false(rmq_console_parse_time("yesterday", &ms));
    assert_false(rmq_console_parse_time("", &ms));
    assert_false(rmq_console_parse_time("-5", &ms));
}

static void
test_status(void **state)
{
    (void) state;
    g_autoptr(GError) a = g_error_new(RMQ_MQ_ERROR, RMQ_MQ_ERROR_TOPIC_NOT_EXIST, "x");
    g_autoptr(GError) b = g_error_new(RMQ_MQ_ERROR, RMQ_MQ_ERROR_BROKER_UNREACHABLE, "x");
    g_autoptr(GError) c = g_error_new(RMQ_MQ_ERROR, RMQ_MQ_ERROR_TIMEOUT, "x");
    g_autoptr(GError) d = g_error_new(RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST, "x");
    g_autoptr(GError) e = g_error_new(G_IO_ERROR, G_IO_ERROR_FAILED, "x");
    assert_int_equal(rmq_console_http_status(a), 404);
    assert_int_equal(rmq_console_http_status(b), 502);
    assert_int_equal(rmq_console_http_status(c), 504);
    assert_int_equal(rmq_console_http_status(d), 400);
    assert_int_equal(rmq_console_http_status(e), 500);
}

static void
test_routes(void **state)
{
    (void) state;
    gboolean known;
    const RmqConsoleRoute *r = rmq_console_api_find("GET", "/api/topics", &known);
    assert_non_null(r);
    assert_true(known);
    /* every write is a POST: a GET on a write path is refused, not run */
    const gchar *writes[] = { "/api/topic/delete", "/api/group/reset", "/api/group/delete",
                              "/api/message/resend", "/api/topic/send", "/api/group/skip" };
    for (guint i = 0; i < G_N_ELEMENTS(writes); i++) {
        assert_null(rmq_console_api_find("GET", writes[i], &known));
        assert_true(known);
        r = rmq_console_api_find("POST", writes[i], &known);
        assert_non_null(r);
        assert_string_equal(r->method, "POST");
    }
    assert_null(rmq_console_api_find("GET", "/api/nothing", &known));
    assert_false(known);
}

static void
test_escape(void **state)
{
    (void) state;
    g_autofree gchar *a = rmq_console_metrics_escape("plain");
    g_autofree gchar *b = rmq_console_metrics_escape("a\"b\\c\nd");
    assert_string_equal(a, "plain");
    assert_string_equal(b, "a\\\"b\\\\c\\nd");
}

static void
test_password(void **state)
{
    (void) state;
    /* a SHA-512 crypt hash made here, so the test needs no fixed secret */
    struct crypt_data cd = { 0 };
    const char *setting = crypt_gensalt_rn("$6$", 0, NULL, 0, cd.setting, sizeof cd.setting);
    assert_non_null(setting);
    const char *h = crypt_r("s3cret", setting, &cd);
    assert_non_null(h);
    g_autofree gchar *hash = g_strdup(h);
    assert_true(g_str_has_prefix(hash, "$6$"));
    assert_true(rmq_console_password_ok("s3cret", hash));
    assert_false(rmq_console_password_ok("s3cret ", hash));
    assert_false(rmq_console_password_ok("", hash));
    assert_false(rmq_console_password_ok(NULL, hash));
    assert_false(rmq_console_password_ok("s3cret", "s3cret"));
    /* the hash `openssl passwd -6 -salt abc s3cret` prints */
    assert_true(rmq_console_password_ok(
        "s3cret", "$6$abc$Qciy6P8ZI4.BUgLFaLq4ucJ/kaRX8v1UyAM81WBAsuW.zwYw31yCKomfTgHAlZwPGi/aFdo83BhJQPQYtp74M0"));
}

static JsonObject *
broker_row(const gchar *name, gint64 id, gboolean up, gint64 offset)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "brokerName", name);
    json_object_set_int_member(o, "brokerId", id);
    json_object_set_boolean_member(o, "up", up);
    json_object_set_string_member(o, "addr", id == 0 ? "m" : "s");
    json_object_set_int_member(o, "commitLogMaxOffset", offset);
    return o;
}

static void
test_slave_lag(void **state)
{
    (void) state;
    g_autoptr(JsonArray) a = json_array_new();
    json_array_add_object_element(a, broker_row("b", 1, TRUE, 700));  /* slave first */
    json_array_add_object_element(a, broker_row("b", 0, TRUE, 1000));
    json_array_add_object_element(a, broker_row("c", 1, TRUE, 50));   /* master down */
    json_array_add_object_element(a, broker_row("c", 0, FALSE, 0));
    json_array_add_object_element(a, broker_row("d", 2, TRUE, 90));   /* ahead: 0 */
    json_array_add_object_element(a, broker_row("d", 0, TRUE, 80));
    rmq_console_slave_lag(a);
    JsonObject *s = json_array_get_object_element(a, 0);
    assert_int_equal(json_object_get_int_member(s, "slaveLag"), 300);
    assert_int_equal(json_object_get_int_member(s, "masterOffset"), 1000);
    assert_string_equal(json_object_get_string_member(s, "masterAddr"), "m");
    assert_false(json_object_has_member(json_array_get_object_element(a, 1), "slaveLag"));
    assert_false(json_object_has_member(json_array_get_object_element(a, 2), "slaveLag"));
    assert_int_equal(json_object_get_int_member(json_array_get_object_element(a, 4), "slaveLag"), 0);
}

/* A dead letter goes back to its RETRY_TOPIC with its body, tags, keys and
 * user properties, without the broker's and the client's properties. */
static void
test_dlq_resend_msg(void **state)
{
    (void) state;
    g_autoptr(RmqMsg) dead = rmq_msg_new("%DLQ%g1", "payload", -1);
    dead->flag = 7;
    rmq_msg_set_tags(dead, "TagA");
    rmq_msg_set_keys(dead, "k1 k2");
    rmq_msg_put_property(dead, "user", "v");
    rmq_msg_put_property(dead, "RETRY_TOPIC", "Orders");
    rmq_msg_put_property(dead, "UNIQ_KEY", "AC1100010000000000000000000000AA");
    rmq_msg_put_property(dead, "ORIGIN_MESSAGE_ID", "AC1100010000000000000000000000AA");
    rmq_msg_put_property(dead, "REAL_TOPIC", "%RETRY%g1");
    rmq_msg_put_property(dead, "DELAY", "3");
    g_autoptr(GError) e = NULL;
    g_autoptr(RmqMsg) m = rmq_console_dlq_resend_msg(dead, &e);
    assert_non_null(m);
    assert_string_equal(m->topic, "Orders");
    assert_int_equal(g_bytes_get_size(m->body), 7);
    assert_memory_equal(g_bytes_get_data(m->body, NULL), "payload", 7);
    assert_int_equal(m->flag, 7);
    assert_string_equal(rmq_msg_get_tags(m), "TagA");
    assert_string_equal(rmq_msg_get_keys(m), "k1 k2");
    assert_string_equal(rmq_msg_get_property(m, "user"), "v");
    const gchar *gone[] = { "RETRY_TOPIC", "UNIQ_KEY", "ORIGIN_MESSAGE_ID", "REAL_TOPIC", "DELAY" };
    for (guint i = 0; i < G_N_ELEMENTS(gone); i++)
        assert_null(rmq_msg_get_property(m, gone[i]));

    /* not on a DLQ topic, or no original topic: refused */
    g_autoptr(RmqMsg) plain = rmq_msg_new("Orders", "x", -1);
    rmq_msg_put_property(plain, "RETRY_TOPIC", "Orders");
    assert_null(rmq_console_dlq_resend_msg(plain, &e));
    assert_non_null(strstr(e->message, "not a dead letter"));
    g_clear_error(&e);
    rmq_msg_put_property(dead, "RETRY_TOPIC", NULL);
    assert_null(rmq_console_dlq_resend_msg(dead, &e));
    assert_non_null(strstr(e->message, "RETRY_TOPIC"));
}

static void
test_pick_lang(void **state)
{
    (void) state;
    assert_string_equal(rmq_console_pick_lang(NULL), "en");
    assert_string_equal(rmq_console_pick_lang(""), "en");
    assert_string_equal(rmq_console_pick_lang("zh-CN,zh;q=0.9,en;q=0.8"), "zh-CN");
    assert_string_equal(rmq_console_pick_lang("zh"), "zh-CN");
    assert_string_equal(rmq_console_pick_lang("ZH-tw"), "zh-CN");
    assert_string_equal(rmq_console_pick_lang("en-US,en;q=0.9,zh-CN;q=0.8"), "en");
    assert_string_equal(rmq_console_pick_lang("fr-FR, zh-CN;q=0.5, en;q=0.4"), "zh-CN");
    assert_string_equal(rmq_console_pick_lang("fr-FR,de"), "en");
    assert_string_equal(rmq_console_pick_lang("zh-CN;q=0, en"), "en");
    assert_string_equal(rmq_console_pick_lang("zhx, en;q=0.1"), "en");
    assert_string_equal(rmq_console_pick_lang("en;q=0.2, zh ; q=0.7"), "zh-CN");
}

static void
test_error_field(void **state)
{
    (void) state;
    g_autofree gchar *a = rmq_console_error_field("topic: only letters, digits");
    assert_string_equal(a, "topic");
    g_autofree gchar *b = rmq_console_error_field("readQueueNums must be an integer");
    assert_string_equal(b, "readQueueNums");
    assert_null(rmq_console_error_field(""));
    assert_null(rmq_console_error_field(NULL));
    assert_null(rmq_console_error_field("%weird"));
    assert_null(rmq_console_error_field("x-y bad"));
}

/* (transfer full) key -> value of one language table in the GResource */
static JsonObject *
load_table(const gchar *lang)
{
    g_autofree gchar *path = g_strdup_printf("/org/rmq/console/i18n/%s.json", lang);
    g_autoptr(GBytes) b = g_resources_lookup_data(path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
    assert_non_null(b);
    g_autoptr(JsonParser) p = json_parser_new();
    gsize len;
    const gchar *data = g_bytes_get_data(b, &len);
    assert_true(json_parser_load_from_data(p, data, (gssize) len, NULL));
    assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)));
    return json_object_ref(json_node_get_object(json_parser_get_root(p)));
}

static gint
cmp_strp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const gchar *const *) a, *(const gchar *const *) b);
}

/* "{a} and {b}" -> "a,b," sorted: a translation keeps every placeholder */
static gchar *
placeholders(const gchar *s)
{
    g_autoptr(GRegex) re = g_regex_new("\\{(\\w+)\\}", 0, 0, NULL);
    g_autoptr(GMatchInfo) mi = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_regex_match(re, s, 0, &mi);
    while (g_match_info_matches(mi)) {
        g_ptr_array_add(names, g_match_info_fetch(mi, 1));
        g_match_info_next(mi, NULL);
    }
    g_ptr_array_sort(names, cmp_strp);
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(out, "%s,", (gchar *) names->pdata[i]);
    return g_string_free(out, FALSE);
}

/* Both language tables have the same keys, non-empty strings with the same
 * placeholders, and every key a page or app.js names is in them. */
static void
test_i18n_tables(void **state)
{
    (void) state;
    rmq_console_register_resource();
    JsonObject *en = load_table("en");
    JsonObject *zh = load_table("zh-CN");
    const gchar *langs[] = { "en", "zh-CN" };
    JsonObject *tables[] = { en, zh };
    for (guint k = 0; k < 2; k++) {
        JsonObject *self = tables[k], *other = tables[1 - k];
        g_autoptr(GList) keys = json_object_get_members(self);
        for (GList *l = keys; l; l = l->next) {
            if (!json_object_has_member(other, l->data))
                fail_msg("key %s is in %s but not in %s", (gchar *) l->data, langs[k],
                         langs[1 - k]);
            const gchar *v = json_object_get_string_member(self, l->data);
            if (v == NULL || *v == '\0')
                fail_msg("key %s of %s is empty", (gchar *) l->data, langs[k]);
            g_autofree gchar *p1 = placeholders(v);
            g_autofree gchar *p2 = placeholders(json_object_get_string_member(other, l->data));
            if (strcmp(p1, p2) != 0)
                fail_msg("key %s: placeholders {%s} in %s, {%s} in %s", (gchar *) l->data, p1,
                         langs[k], p2, langs[1 - k]);
        }
    }
    /* every key used: data-i18n*="key" in the pages, t('key' in the script */
    g_auto(GStrv) files = g_resources_enumerate_children("/org/rmq/console", 0, NULL);
    assert_non_null(files);
    g_autoptr(GRegex) attr = g_regex_new("data-i18n(?:-[a-z-]+)?=\"([^\"]+)\"", 0, 0, NULL);
    g_autoptr(GRegex) call = g_regex_new("\\bt\\('([^']+)'", 0, 0, NULL);
    guint used = 0;
    for (guint i = 0; files[i]; i++) {
        gboolean html = g_str_has_suffix(files[i], ".html"), js = g_str_has_suffix(files[i], ".js");
        if (!html && !js)
            continue;
        g_autofree gchar *path = g_strconcat("/org/rmq/console/", files[i], NULL);
        g_autoptr(GBytes) b = g_resources_lookup_data(path, 0, NULL);
        g_autofree gchar *text = g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
        g_autoptr(GMatchInfo) mi = NULL;
        g_regex_match(html ? attr : call, text, 0, &mi);
        while (g_match_info_matches(mi)) {
            g_autofree gchar *key = g_match_info_fetch(mi, 1);
            if (!json_object_has_member(en, key))
                fail_msg("%s names the key %s, which no table has", files[i], key);
            used++;
            g_match_info_next(mi, NULL);
        }
    }
    assert_true(used > 100);
    json_object_unref(en);
    json_object_unref(zh);
}

/* The connection cap leaves room below the descriptor limit, and has a ceiling. */
static void
test_connection_cap(void **state)
{
    (void) state;
    assert_int_equal(rmq_console_connection_cap(128), 64);
    assert_int_equal(rmq_console_connection_cap(1024), 896);
    assert_int_equal(rmq_console_connection_cap(65536), RMQ_CONSOLE_MAX_CONNECTIONS);
    assert_int_equal(rmq_console_connection_cap(20), 8);
    for (guint64 n = 80; n < 100000; n = n * 3 / 2)
        assert_true(rmq_console_connection_cap(n) < n);
}

/* Java's trace format (TraceDataEncoder): char 1 between fields, char 2
 * after each record. */
static void
test_trace_decode(void **state)
{
    (void) state;
    const gchar *data =
        "Pub\0011700000000000\001DefaultRegion\001pg\001T\001MSGID1\001tagA\001k1\001"
        "127.0.0.1:10911\00112\0013\0010\001OFFID\001true\002"
        "SubBefore\0011700000000100\001DefaultRegion\001cg\001req-1\001MSGID1\0010\001k1\002"
        "SubAfter\001req-1\001MSGID1\0015\001false\001k1\0011\0011700000000105\001cg\002"
        "SubAfter\001req-2\001MSGID1\0017\001true\001k1\002"
        "Unknown\001x\002Pub\001cut\002"
        /* Java's split drops trailing empty fields: 5 fields, too few */
        "SubAfter\001req-3\001MSGID1\0014\001true\001\001\002"
        /* a malformed number: Java's decoder throws, the record is left out */
        "SubBefore\0011700000000x\001DefaultRegion\001cg\001req-4\001MSGID1\0010\001k1\002"
        "Pub\0011700000000000\001R\001pg\001T\001MSGID1\001t\001k\001h\00112\0013\0019\001true\002";
    g_autoptr(JsonNode) n = rmq_console_trace_decode(data, strlen(data));
    JsonArray *a = json_node_get_array(n);
    assert_int_equal(json_array_get_length(a), 4);
    JsonObject *pub = json_array_get_object_element(a, 0);
    assert_string_equal(json_object_get_string_member(pub, "type"), "Pub");
    assert_int_equal(json_object_get_int_member(pub, "timestamp"), 1700000000000);
    assert_string_equal(json_object_get_string_member(pub, "group"), "pg");
    assert_string_equal(json_object_get_string_member(pub, "topic"), "T");
    assert_string_equal(json_object_get_string_member(pub, "msgId"), "MSGID1");
    assert_string_equal(json_object_get_string_member(pub, "storeHost"), "127.0.0.1:10911");
    assert_int_equal(json_object_get_int_member(pub, "bodyLength"), 12);
    assert_int_equal(json_object_get_int_member(pub, "costTime"), 3);
    assert_string_equal(json_object_get_string_member(pub, "offsetMsgId"), "OFFID");
    assert_true(json_object_get_boolean_member(pub, "success"));
    JsonObject *sb = json_array_get_object_element(a, 1);
    assert_string_equal(json_object_get_string_member(sb, "type"), "SubBefore");
    assert_string_equal(json_object_get_string_member(sb, "requestId"), "req-1");
    assert_string_equal(json_object_get_string_member(sb, "group"), "cg");
    JsonObject *sa = json_array_get_object_element(a, 2);
    assert_false(json_object_get_boolean_member(sa, "success"));
    assert_int_equal(json_object_get_int_member(sa, "costTime"), 5);
    assert_int_equal(json_object_get_int_member(sa, "contextCode"), 1);
    assert_int_equal(json_object_get_int_member(sa, "timestamp"), 1700000000105);
    assert_string_equal(json_object_get_string_member(sa, "group"), "cg");
    /* the old short SubAfter: no time, no group */
    JsonObject *old = json_array_get_object_element(a, 3);
    assert_false(json_object_has_member(old, "timestamp"));
    assert_true(json_object_get_boolean_member(old, "success"));
    g_autoptr(JsonNode) none = rmq_console_trace_decode("", 0);
    assert_int_equal(json_array_get_length(json_node_get_array(none)), 0);
}

static void
test_namesrv_list(void **state)
{
    (void) state;
    assert_true(rmq_console_valid_namesrv_list("127.0.0.1:9876"));
    assert_true(rmq_console_valid_namesrv_list("ns-1.example:9876;10.0.0.2:9875"));
    assert_false(rmq_console_valid_namesrv_list(""));
    assert_false(rmq_console_valid_namesrv_list("127.0.0.1"));
    assert_false(rmq_console_valid_namesrv_list("127.0.0.1:0"));
    assert_false(rmq_console_valid_namesrv_list("127.0.0.1:65536"));
    assert_false(rmq_console_valid_namesrv_list("a:1;;b:2"));
    assert_false(rmq_console_valid_namesrv_list("file:///etc/passwd:1"));
    assert_false(rmq_console_valid_namesrv_list("h st:1"));
}

static void
test_accounts(void **state)
{
    (void) state;
    const gchar *entries[] = { "alice:admin:$6$a$b", "bob:viewer:$y$c", "carol:root:$6$x",
                               "bob:admin:$6$dup", "nohash:viewer:plain", "ops:viewer:$6$z",
                               NULL };
    g_autoptr(GPtrArray) a = rmq_console_accounts_new("ops", "$6$old$hash", entries);
    assert_int_equal(a->len, 3);
    const RmqConsoleAccount *ops = rmq_console_account_find(a, "ops");
    assert_non_null(ops);
    assert_true(ops->admin); /* the old single user is an admin */
    assert_string_equal(ops->hash, "$6$old$hash");
    assert_true(rmq_console_account_find(a, "alice")->admin);
    const RmqConsoleAccount *bob = rmq_console_account_find(a, "bob");
    assert_false(bob->admin);
    assert_string_equal(bob->hash, "$y$c");
    assert_null(rmq_console_account_find(a, "carol"));
    assert_null(rmq_console_account_find(a, "nohash"));
    assert_null(rmq_console_account_find(a, NULL));
    g_autoptr(GPtrArray) none = rmq_console_accounts_new(NULL, NULL, NULL);
    assert_int_equal(none->len, 0);
}

/* Unknown names cost a crypt(3) too (a dummy hash of the accounts' method),
 * so the time of a refusal does not tell which names exist. */
static void
test_authenticate(void **state)
{
    (void) state;
    struct crypt_data cd = { 0 };
    const char *setting = crypt_gensalt_rn("$6$", 0, NULL, 0, cd.setting, sizeof cd.setting);
    g_autofree gchar *hash = g_strdup(crypt_r("s3cret", setting, &cd));
    g_autofree gchar *entry = g_strconcat("amy:viewer:", hash, NULL);
    const gchar *entries[] = { entry, NULL };
    g_autoptr(GPtrArray) accounts = rmq_console_accounts_new(NULL, NULL, entries);
    g_autofree gchar *dummy = rmq_console_dummy_hash(accounts);
    assert_non_null(dummy);
    assert_true(g_str_has_prefix(dummy, "$6$"));
    assert_string_not_equal(dummy, hash);
    guint before = rmq_console_password_checks();
    const RmqConsoleAccount *a = rmq_console_authenticate(accounts, dummy, "amy", "s3cret");
    assert_non_null(a);
    assert_string_equal(a->name, "amy");
    assert_int_equal(rmq_console_password_checks(), before + 1);
    assert_null(rmq_console_authenticate(accounts, dummy, "amy", "wrong"));
    assert_int_equal(rmq_console_password_checks(), before + 2);
    /* an unknown name: refused, after one crypt(3) like a known one */
    assert_null(rmq_console_authenticate(accounts, dummy, "zed", "s3cret"));
    assert_int_equal(rmq_console_password_checks(), before + 3);
    assert_null(rmq_console_authenticate(accounts, dummy, NULL, "s3cret"));
    assert_int_equal(rmq_console_password_checks(), before + 4);
    g_autoptr(GPtrArray) none = rmq_console_accounts_new(NULL, NULL, NULL);
    assert_null(rmq_console_dummy_hash(none));
}

/* Roles fail closed: with accounts, no account is no access. */
static void
test_access(void **state)
{
    (void) state;
    const gchar *entries[] = { "root:admin:$6$a$b", "eve:viewer:$6$c$d", NULL };
    g_autoptr(GPtrArray) accounts = rmq_console_accounts_new(NULL, NULL, entries);
    g_autoptr(GPtrArray) none = rmq_console_accounts_new(NULL, NULL, NULL);
    const RmqConsoleAccount *root = rmq_console_account_find(accounts, "root");
    const RmqConsoleAccount *eve = rmq_console_account_find(accounts, "eve");
    assert_int_equal(rmq_console_access(accounts, root, TRUE), 0);
    assert_int_equal(rmq_console_access(accounts, root, FALSE), 0);
    assert_int_equal(rmq_console_access(accounts, eve, FALSE), 0);
    assert_int_equal(rmq_console_access(accounts, eve, TRUE), 403);
    assert_int_equal(rmq_console_access(accounts, NULL, TRUE), 401);
    assert_int_equal(rmq_console_access(accounts, NULL, FALSE), 401);
    assert_int_equal(rmq_console_access(none, NULL, TRUE), 0);
}

static void
test_csrf_token(void **state)
{
    (void) state;
    g_autoptr(GBytes) k1 = g_bytes_new("0123456789abcdef0123456789abcdef", 32);
    g_autoptr(GBytes) k2 = g_bytes_new("0123456789abcdef0123456789abcdeF", 32);
    g_autofree gchar *a = rmq_console_csrf_token(k1, "alice");
    g_autofree gchar *a2 = rmq_console_csrf_token(k1, "alice");
    g_autofree gchar *b = rmq_console_csrf_token(k1, "bob");
    g_autofree gchar *other = rmq_console_csrf_token(k2, "alice");
    g_autofree gchar *anon = rmq_console_csrf_token(k1, NULL);
    assert_int_equal(strlen(a), 64);
    assert_string_equal(a, a2);
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, other);
    assert_string_not_equal(a, anon);
    /* HMAC-SHA256, so it can be checked with any tool */
    g_autofree gchar *h = g_compute_hmac_for_string(
        G_CHECKSUM_SHA256, (const guchar *) "0123456789abcdef0123456789abcdef", 32, "alice", -1);
    assert_string_equal(a, h);
}

static void
test_origin(void **state)
{
    (void) state;
    g_autoptr(GUri) self = g_uri_parse("http://127.0.0.1:8080/api/topic", G_URI_FLAGS_NONE, NULL);
    g_autoptr(GUri) dflt = g_uri_parse("http://console.example/api/topic", G_URI_FLAGS_NONE, NULL);
    assert_true(rmq_console_origin_ok(NULL, NULL, self));
    assert_true(rmq_console_origin_ok("http://127.0.0.1:8080", NULL, self));
    assert_true(rmq_console_origin_ok("HTTP://127.0.0.1:8080", NULL, self));
    assert_false(rmq_console_origin_ok("http://127.0.0.1:8081", NULL, self));
    assert_false(rmq_console_origin_ok("https://127.0.0.1:8080", NULL, self));
    assert_false(rmq_console_origin_ok("http://localhost:8080", NULL, self));
    assert_false(rmq_console_origin_ok("null", NULL, self));
    assert_false(rmq_console_origin_ok("", NULL, self));
    /* Origin wins over Referer */
    assert_false(rmq_console_origin_ok("http://evil.example", "http://127.0.0.1:8080/", self));
    assert_true(rmq_console_origin_ok(NULL, "http://127.0.0.1:8080/topics.html?x=1", self));
    assert_false(rmq_console_origin_ok(NULL, "http://evil.example/x", self));
    assert_false(rmq_console_origin_ok(NULL, "not a url", self));
    /* default ports */
    assert_true(rmq_console_origin_ok("http://console.example", NULL, dflt));
    assert_true(rmq_console_origin_ok("http://console.example:80", NULL, dflt));
    assert_false(rmq_console_origin_ok("http://console.example:8080", NULL, dflt));
    assert_false(rmq_console_origin_ok("http://console.example", NULL, NULL));
}

static JsonNode *
parse(const gchar *text)
{
    g_autoptr(JsonParser) p = json_parser_new();
    assert_true(json_parser_load_from_data(p, text, -1, NULL));
    return json_node_copy(json_parser_get_root(p));
}

/* A broker's QUERY_TOPIC_CONSUME_BY_WHO answer may hold anything. */
static void
test_consume_by_who(void **state)
{
    (void) state;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(JsonNode) bad = parse("{\"groupList\":[null,\"g1\",5,{\"a\":1},[\"x\"],\"g2\",true]}");
    rmq_console_consume_by_who_groups(bad, seen);
    assert_int_equal(g_hash_table_size(seen), 2);
    assert_true(g_hash_table_contains(seen, "g1"));
    assert_true(g_hash_table_contains(seen, "g2"));
    const gchar *odd[] = { "{\"groupList\":\"g3\"}", "{\"groupList\":null}", "{\"groupList\":{\"g4\":1}}",
                           "[\"g5\"]", "{}", "7" };
    for (guint i = 0; i < G_N_ELEMENTS(odd); i++) {
        g_autoptr(JsonNode) n = parse(odd[i]);
        rmq_console_consume_by_who_groups(n, seen);
    }
    rmq_console_consume_by_who_groups(NULL, seen);
    assert_int_equal(g_hash_table_size(seen), 2);
}

/* A route as the name server sends it, and ones no name server should. */
static void
test_route_masters(void **state)
{
    (void) state;
    g_autoptr(JsonNode) ok = parse(
        "{\"brokerDatas\":[{\"brokerName\":\"a\",\"brokerAddrs\":{\"0\":\"1.1.1.1:10911\",\"1\":\"s\"}},"
        "{\"brokerName\":\"b\",\"brokerAddrs\":{\"1\":\"2.2.2.2:10911\"}},"
        "{\"brokerName\":\"c\",\"brokerAddrs\":{\"0\":\"3.3.3.3:10911\"}}]}");
    g_auto(GStrv) names = NULL;
    g_auto(GStrv) m = rmq_console_route_masters(ok, &names);
    assert_int_equal(g_strv_length(m), 2);
    assert_string_equal(m[0], "1.1.1.1:10911");
    assert_string_equal(m[1], "3.3.3.3:10911");
    assert_string_equal(names[0], "a");
    assert_string_equal(names[1], "c");
    const gchar *odd[] = {
        "{\"brokerDatas\":{\"brokerName\":\"a\"}}",
        "{\"brokerDatas\":[null,5,\"x\",{\"brokerName\":\"a\",\"brokerAddrs\":[\"1.1.1.1:1\"]}]}",
        "{\"brokerDatas\":[{\"brokerName\":\"a\",\"brokerAddrs\":{\"0\":null}}]}",
        "{\"brokerDatas\":[{\"brokerName\":\"a\",\"brokerAddrs\":{\"0\":10911}}]}",
        "{\"brokerDatas\":[{\"brokerName\":7,\"brokerAddrs\":{\"0\":{}}}]}",
        "{\"brokerDatas\":[{\"brokerAddrs\":null}]}",
        "[]",
        "\"route\"",
    };
    for (guint i = 0; i < G_N_ELEMENTS(odd); i++) {
        g_autoptr(JsonNode) n = parse(odd[i]);
        g_auto(GStrv) nn = NULL;
        g_auto(GStrv) mm = rmq_console_route_masters(n, &nn);
        assert_non_null(mm);
        assert_int_equal(g_strv_length(mm), 0);
        assert_int_equal(g_strv_length(nn), 0);
    }
    /* a master without a broker name still counts; its name is "" */
    g_autoptr(JsonNode) noname = parse("{\"brokerDatas\":[{\"brokerAddrs\":{\"0\":\"4.4.4.4:1\"}}]}");
    g_auto(GStrv) nn = NULL;
    g_auto(GStrv) mm = rmq_console_route_masters(noname, &nn);
    assert_int_equal(g_strv_length(mm), 1);
    assert_string_equal(nn[0], "");
}

/* An offset id names its store host and port; a client msgId names none. */
static void
test_offset_id_addr(void **state)
{
    (void) state;
    RmqHostAddr h = { .addr = { 127, 0, 0, 1 }, .addr_len = 4, .port = 10911 };
    g_autofree gchar *id = rmq_message_id_encode(&h, 123456);
    g_autofree gchar *addr = rmq_console_offset_id_addr(id);
    assert_string_equal(addr, "127.0.0.1:10911");
    RmqHostAddr far = { .addr = { 10, 20, 30, 40 }, .addr_len = 4, .port = 22 };
    g_autofree gchar *id2 = rmq_message_id_encode(&far, 0);
    g_autofree gchar *addr2 = rmq_console_offset_id_addr(id2);
    assert_string_equal(addr2, "10.20.30.40:22");
    /* a client msgId (ip, pid, class loader hash, time, counter): its
     * "port" is the pid and more, beyond 65535 */
    assert_null(rmq_console_offset_id_addr("7F0000011A2B3C4D5E6F70810001A2B3"));
    assert_null(rmq_console_offset_id_addr("zz"));
    assert_null(rmq_console_offset_id_addr(""));
    assert_null(rmq_console_offset_id_addr(NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),  cmocka_unit_test(test_param_int),
        cmocka_unit_test(test_time),   cmocka_unit_test(test_status),
        cmocka_unit_test(test_routes), cmocka_unit_test(test_escape),
        cmocka_unit_test(test_password), cmocka_unit_test(test_connection_cap),
        cmocka_unit_test(test_pick_lang), cmocka_unit_test(test_error_field),
        cmocka_unit_test(test_i18n_tables), cmocka_unit_test(test_slave_lag),
        cmocka_unit_test(test_dlq_resend_msg), cmocka_unit_test(test_trace_decode),
        cmocka_unit_test(test_namesrv_list), cmocka_unit_test(test_accounts),
        cmocka_unit_test(test_authenticate), cmocka_unit_test(test_access),
        cmocka_unit_test(test_csrf_token), cmocka_unit_test(test_origin),
        cmocka_unit_test(test_consume_by_who), cmocka_unit_test(test_route_masters),
        cmocka_unit_test(test_offset_id_addr),
    };
    return cmocka_run_group_tests_name("console-units", tests, NULL, NULL);
}
