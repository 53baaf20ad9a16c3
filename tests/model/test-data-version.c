/* DataVersion of src/model/data_version: init/next/equal, the JSON both
 * the broker's tables and the name server's QUERY_DATA_VERSION speak, and
 * lenient reading of what other writers send. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model/data_version.h"
#include "remoting/json_body.h"

static void
test_init_next_equal(void **state)
{
    (void)state;
    RmqDataVersion a, b;
    gint64 before = rmq_data_version_now_ms();
    rmq_data_version_init(&a);
    assert_int_equal(a.counter, 0);
    assert_true(a.timestamp >= before);
    b = a;
    assert_true(rmq_data_version_equal(&a, &b));
    rmq_data_version_next(&b);
    assert_int_equal(b.counter, 1);
    assert_true(b.timestamp >= a.timestamp);
    assert_false(rmq_data_version_equal(&a, &b));
    b.counter = a.counter; /* equality needs both fields */
    b.timestamp = a.timestamp + 1;
    assert_false(rmq_data_version_equal(&a, &b));
}

static void
test_json_both_forms(void **state)
{
    (void)state;
    RmqDataVersion c = { 42, 1700000000123 };
    g_autoptr(JsonNode) n = rmq_data_version_to_node(&c);
    g_autofree gchar *s = rmq_json_to_string(n, FALSE);
    g_autofree gchar *t = rmq_data_version_to_json(&c);
    /* the node (tables) and the text (QUERY_DATA_VERSION) give the same bytes */
    assert_string_equal(s, "{\"counter\":42,\"timestamp\":1700000000123}");
    assert_string_equal(t, s);
    RmqDataVersion d = { 0, 0 };
    assert_true(rmq_data_version_from_node(n, &d));
    assert_true(rmq_data_version_equal(&c, &d));
    RmqDataVersion e = { 0, 0 };
    assert_true(rmq_data_version_parse((const guint8 *)t, strlen(t), &e, NULL));
    assert_true(rmq_data_version_equal(&c, &e));
    RmqDataVersion neg = { -1, G_MAXINT64 };
    g_autofree gchar *nt = rmq_data_version_to_json(&neg);
    assert_true(rmq_data_version_parse((const guint8 *)nt, strlen(nt), &e, NULL));
    assert_true(rmq_data_version_equal(&neg, &e));
}

static void
test_lenient_and_refused(void **state)
{
    (void)state;
    RmqDataVersion d = { 7, 7 };
    /* numeric strings (rocketmq-client-cpp), missing members read as 0,
     * unknown members ignored */
    const gchar *str = "{\"counter\":\"5\",\"extra\":[1],\"timestamp\":\"1700000000000\"}";
    assert_true(rmq_data_version_parse((const guint8 *)str, strlen(str), &d, NULL));
    assert_int_equal(d.counter, 5);
    assert_int_equal(d.timestamp, 1700000000000);
    assert_true(rmq_data_version_parse((const guint8 *)"{\"counter\":3}", 13, &d, NULL));
    assert_int_equal(d.counter, 3);
    assert_int_equal(d.timestamp, 0);

    g_autoptr(GError) error = NULL;
    d = (RmqDataVersion){ 9, 9 };
    assert_false(rmq_data_version_parse((const guint8 *)"[1]", 3, &d, &error));
    assert_non_null(error);
    assert_int_equal(d.counter, 9); /* untouched */
    g_clear_error(&error);
    assert_false(rmq_data_version_parse((const guint8 *)"{\"counter\":", 11, &d, &error));
    assert_non_null(error);
    g_autoptr(JsonNode) arr = rmq_json_parse_lenient("[1]", -1, NULL);
    assert_false(rmq_data_version_from_node(arr, &d));
    assert_false(rmq_data_version_from_node(NULL, &d));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_next_equal),
        cmocka_unit_test(test_json_both_forms),
        cmocka_unit_test(test_lenient_and_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
