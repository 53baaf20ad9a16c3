#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "remoting/json_body.h"

static JsonNode *
parse_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    JsonNode *node = rmq_json_parse_lenient(text, -1, &error);
    if (node == NULL)
        fail_msg("parse failed for %s: %s", text, error->message);
    return node;
}

static void
assert_compact(const char *in, const char *want)
{
    g_autoptr(JsonNode) node = parse_ok(in);
    g_autofree gchar *out = rmq_json_to_string(node, FALSE);
    assert_string_equal(out, want);
}

static void
test_unquoted_integer_keys(void **state)
{
    /* fastjson route data for old clients and broker-written offset files. */
    assert_compact("{\"brokerAddrs\":{0:\"192.168.0.10:10911\",1:\"192.168.0.11:10911\"}}",
                   "{\"brokerAddrs\":{\"0\":\"192.168.0.10:10911\",\"1\":\"192.168.0.11:10911\"}}");
    assert_compact("{\"offsetTable\":{\"T@G\":{0:5, 1 : 7,-1:3}}}",
                   "{\"offsetTable\":{\"T@G\":{\"0\":5,\"1\":7,\"-1\":3}}}");
    assert_compact("{ 12 :{3:[1,2,{4:5}]}}", "{\"12\":{\"3\":[1,2,{\"4\":5}]}}");
    /* Arrays of numbers and digits inside strings are left alone. */
    assert_compact("{\"a\":[1,2,3],\"s\":\"{0:1,2:3}\",\"t\":\"x\\\",5:\"}",
                   "{\"a\":[1,2,3],\"s\":\"{0:1,2:3}\",\"t\":\"x\\\",5:\"}");
    assert_compact("[0,1,{\"k\":[2,3]}]", "[0,1,{\"k\":[2,3]}]");
    /* Quoted numeric keys (what we emit) still work. */
    assert_compact("{\"0\":\"a\"}", "{\"0\":\"a\"}");
}

static void
test_parse_errors(void **state)
{
    static const char *const bad[] = { "", "{", "{\"a\":}", "{1.5:2}", "{-:1}", "[1,]x",
                                       "{\"a\":1}{\"b\":2}", "{\"a\":1} junk" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        JsonNode *node = rmq_json_parse_lenient(bad[i], -1, &error);
        if (node != NULL)
            fail_msg("accepted %s", bad[i]);
        assert_true(g_error_matches(error, RMQ_JSON_BODY_ERROR, RMQ_JSON_BODY_ERROR_PARSE));
    }
    /* Deep nesting is refused before json-glib's recursion can overflow. */
    GString *deep = g_string_new("{\"a\":");
    for (int i = 0; i < 200000; i++)
        g_string_append_c(deep, '[');
    for (int i = 0; i < 200000; i++)
        g_string_append_c(deep, ']');
    g_string_append_c(deep, '}');
    g_autoptr(GError) deep_error = NULL;
    assert_null(rmq_json_parse_lenient(deep->str, (gssize) deep->len, &deep_error));
    assert_true(g_error_matches(deep_error, RMQ_JSON_BODY_ERROR, RMQ_JSON_BODY_ERROR_PARSE));
    g_string_free(deep, TRUE);
    /* An explicit length: only the first 7 bytes are JSON. */
    g_autoptr(JsonNode) node = rmq_json_parse_lenient("{\"a\":1}garbage", 7, NULL);
    assert_non_null(node);
    /* The tree is mutable for the caller. */
    json_object_set_int_member(json_node_get_object(node), "b", 2);
    g_autofree gchar *out = rmq_json_to_string(node, FALSE);
    assert_string_equal(out, "{\"a\":1,\"b\":2}");
}

static void
test_compact_output(void **state)
{
    /* The route example of docs/protocol.md §5.1, byte for byte. */
    const char *route =
        "{\"brokerDatas\":[{\"brokerAddrs\":{\"0\":\"192.168.0.10:10911\",\"1\":\"192.168.0.11:10911\"},"
        "\"brokerName\":\"broker-a\",\"cluster\":\"DefaultCluster\"}],\"filterServerTable\":{},"
        "\"queueDatas\":[{\"brokerName\":\"broker-a\",\"perm\":6,\"readQueueNums\":4,"
        "\"topicSysFlag\":0,\"writeQueueNums\":4}]}";
    assert_compact(route, route);
    assert_compact("{\"tps\":0.0,\"x\":1.5,\"y\":-3.0,\"n\":null,\"b\":false,\"e\":[]}",
                   "{\"tps\":0.0,\"x\":1.5,\"y\":-3.0,\"n\":null,\"b\":false,\"e\":[]}");
    assert_compact("{\"s\":\"a\\u0001b\\\"c\\\\d/e\\u00e9\"}",
                   "{\"s\":\"a\\u0001b\\\"c\\\\d/e\xc3\xa9\"}");
    assert_compact("{\"big\":9223372036854775807,\"neg\":-9223372036854775808}",
                   "{\"big\":9223372036854775807,\"neg\":-9223372036854775808}");
}

static void
test_output_is_utf8(void **state)
{
    /* Found by the fuzzer: json-glib decodes a lone surrogate to invalid
     * UTF-8; the writer must still produce valid, re-parsable text. */
    g_autoptr(JsonNode) node = parse_ok("{\"k\\ud83db\":\"v\\ud800x\"}");
    g_autofree gchar *out = rmq_json_to_string(node, FALSE);
    assert_true(g_utf8_validate(out, -1, NULL));
    g_autoptr(JsonNode) again = parse_ok(out);
    g_autofree gchar *out2 = rmq_json_to_string(again, FALSE);
    assert_string_equal(out, out2);
}

static void
test_pretty_output(void **state)
{
    g_autoptr(JsonNode) node = parse_ok(
        "{\"dataVersion\":{\"counter\":1,\"timestamp\":1700000000000},"
        "\"topicConfigTable\":{},\"list\":[1,{\"a\":[]}]}");
    g_autofree gchar *out = rmq_json_to_string(node, TRUE);
    assert_string_equal(out,
                        "{\n"
                        "\t\"dataVersion\":{\n"
                        "\t\t\"counter\":1,\n"
                        "\t\t\"timestamp\":1700000000000\n"
                        "\t},\n"
                        "\t\"topicConfigTable\":{},\n"
                        "\t\"list\":[\n"
                        "\t\t1,\n"
                        "\t\t{\n"
                        "\t\t\t\"a\":[]\n"
                        "\t\t}\n"
                        "\t]\n"
                        "}");
    /* Pretty text parses back to the same compact form. */
    g_autoptr(JsonNode) again = parse_ok(out);
    g_autofree gchar *c1 = rmq_json_to_string(node, FALSE);
    g_autofree gchar *c2 = rmq_json_to_string(again, FALSE);
    assert_string_equal(c1, c2);
}

static void
test_getters(void **state)
{
    g_autoptr(JsonNode) node = parse_ok(
        "{\"i\":42,\"s\":\"-17\",\"d\":2.0,\"f\":2.5,\"big\":\"9223372036854775807\","
        "\"wide\":4294967296,\"t\":true,\"ts\":\"TRUE\",\"fs\":\"false\",\"one\":1,\"zero\":0,"
        "\"junk\":\"12x\",\"nul\":null,\"o\":{\"k\":\"v\"},\"a\":[1],\"str\":\"text\"}");
    JsonObject *o = json_node_get_object(node);

    assert_int_equal(rmq_json_object_get_int64_or(o, "i", -1), 42);
    assert_int_equal(rmq_json_object_get_int64_or(o, "s", -1), -17);
    assert_int_equal(rmq_json_object_get_int64_or(o, "d", -1), 2);
    assert_int_equal(rmq_json_object_get_int64_or(o, "f", -1), -1);
    assert_true(rmq_json_object_get_int64_or(o, "big", -1) == G_MAXINT64);
    assert_int_equal(rmq_json_object_get_int64_or(o, "junk", -1), -1);
    assert_int_equal(rmq_json_object_get_int64_or(o, "nul", -1), -1);
    assert_int_equal(rmq_json_object_get_int64_or(o, "missing", 7), 7);
    assert_int_equal(rmq_json_object_get_int64_or(o, "o", 7), 7);
    assert_int_equal(rmq_json_object_get_int64_or(o, "t", 7), 7);
    assert_int_equal(rmq_json_object_get_int64_or(NULL, "i", 7), 7);

    assert_int_equal(rmq_json_object_get_int32_or(o, "i", -1), 42);
    assert_int_equal(rmq_json_object_get_int32_or(o, "s", 0), -17);
    assert_int_equal(rmq_json_object_get_int32_or(o, "wide", -1), -1);
    assert_int_equal(rmq_json_object_get_int32_or(o, "missing", 5), 5);

    assert_true(rmq_json_object_get_double_or(o, "f", 0) == 2.5);
    assert_true(rmq_json_object_get_double_or(o, "i", 0) == 42.0);
    assert_true(rmq_json_object_get_double_or(o, "s", 0) == -17.0);
    assert_true(rmq_json_object_get_double_or(o, "junk", 0.5) == 0.5);

    assert_true(rmq_json_object_get_bool_or(o, "t", FALSE));
    assert_true(rmq_json_object_get_bool_or(o, "ts", FALSE));
    assert_false(rmq_json_object_get_bool_or(o, "fs", TRUE));
    assert_true(rmq_json_object_get_bool_or(o, "one", FALSE));
    assert_false(rmq_json_object_get_bool_or(o, "zero", TRUE));
    assert_true(rmq_json_object_get_bool_or(o, "junk", TRUE));
    assert_false(rmq_json_object_get_bool_or(o, "missing", FALSE));

    assert_string_equal(rmq_json_object_get_string_or(o, "str", "d"), "text");
    assert_string_equal(rmq_json_object_get_string_or(o, "i", "d"), "d");
    assert_null(rmq_json_object_get_string_or(o, "nul", NULL));

    JsonObject *inner = rmq_json_object_get_object_or_null(o, "o");
    assert_non_null(inner);
    assert_string_equal(rmq_json_object_get_string_or(inner, "k", NULL), "v");
    assert_null(rmq_json_object_get_object_or_null(o, "a"));
    assert_non_null(rmq_json_object_get_array_or_null(o, "a"));
    assert_null(rmq_json_object_get_array_or_null(o, "o"));
    assert_null(rmq_json_object_get_array_or_null(NULL, "o"));
}

/* Keys that json-glib leaves as invalid UTF-8 (lone surrogates) are written
 * repaired, and keys that repair alike are written once (first place, last
 * value), so the output parses back to itself (found by the fuzzer). */
static void
test_repaired_keys_round_trip(void **state)
{
    (void) state;
    /* json-glib keeps "\ud800x" as the bytes ed a0 80 (and drops the x) */
    const gchar *in = "{\"\\ud800x\":1,\"a\":{\"\\udbffy\":5,\"\\ud800y\":6},\"\\ud801x\":3}";
    g_autoptr(JsonNode) node = rmq_json_parse_lenient(in, -1, NULL);
    assert_non_null(node);
    assert_int_equal(json_object_get_size(json_node_get_object(node)), 3);
    for (int pretty = 0; pretty <= 1; pretty++) {
        g_autofree gchar *out = rmq_json_to_string(node, pretty);
        assert_true(g_utf8_validate(out, -1, NULL));
        g_autoptr(JsonNode) back = rmq_json_parse_lenient(out, -1, NULL);
        assert_non_null(back);
        g_autofree gchar *again = rmq_json_to_string(back, pretty);
        assert_string_equal(out, again);
        /* the two repaired top-level keys are one: first place, last value */
        JsonObject *o = json_node_get_object(back);
        assert_int_equal(json_object_get_size(o), 2);
        g_autoptr(GList) names = json_object_get_members(o);
        assert_int_equal(json_object_get_int_member(o, names->data), 3);
        assert_string_equal(names->next->data, "a");
        JsonObject *inner = json_object_get_object_member(o, "a");
        assert_int_equal(json_object_get_size(inner), 1);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unquoted_integer_keys),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_compact_output),
        cmocka_unit_test(test_output_is_utf8),
        cmocka_unit_test(test_pretty_output),
        cmocka_unit_test(test_getters),
        cmocka_unit_test(test_repaired_keys_round_trip),
    };
    return cmocka_run_group_tests_name("json-body", tests, NULL, NULL);
}
