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
                              "/api/message/resend" };
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),  cmocka_unit_test(test_param_int),
        cmocka_unit_test(test_time),   cmocka_unit_test(test_status),
        cmocka_unit_test(test_routes), cmocka_unit_test(test_escape),
        cmocka_unit_test(test_password), cmocka_unit_test(test_connection_cap),
    };
    return cmocka_run_group_tests_name("console-units", tests, NULL, NULL);
}
