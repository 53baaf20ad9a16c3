#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "remoting/codes.h"
#include "remoting/command.h"
#include "remoting/json_header.h"

static void
test_new_request(void **state)
{
    g_autoptr(RmqCommand) cmd = rmq_command_new_request(RMQ_REQUEST_HEART_BEAT);

    assert_int_equal(cmd->code, 34);
    assert_int_equal(cmd->language, RMQ_LANG_JAVA);
    assert_int_equal(cmd->version, RMQ_REMOTING_VERSION);
    assert_int_equal(cmd->opaque, 0);
    assert_int_equal(cmd->flag, 0);
    assert_int_equal(cmd->serialize_type, RMQ_SERIALIZE_JSON);
    assert_null(cmd->remark);
    assert_null(cmd->body);
    assert_non_null(cmd->ext);
    assert_int_equal(rmq_command_get_n_ext(cmd), 0);
    assert_false(cmd->ext_present);
    assert_false(rmq_command_is_response(cmd));
    assert_false(rmq_command_is_oneway(cmd));
    cmd->flag |= RMQ_FLAG_ONEWAY;
    assert_true(rmq_command_is_oneway(cmd));
}

static void
test_new_response(void **state)
{
    g_autoptr(RmqCommand) req = rmq_command_new_request(RMQ_REQUEST_PULL_MESSAGE);
    req->opaque = 4242;
    req->serialize_type = RMQ_SERIALIZE_ROCKETMQ;
    req->language = RMQ_LANG_CPP;
    req->version = 333;
    rmq_command_set_ext(req, "topic", "T");

    g_autoptr(RmqCommand) resp = rmq_command_new_response(req, RMQ_RESPONSE_PULL_NOT_FOUND, "NO");
    assert_int_equal(resp->code, 19);
    assert_int_equal(resp->opaque, 4242);
    assert_int_equal(resp->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
    assert_int_equal(resp->language, RMQ_LANG_JAVA); /* ours, not the peer's */
    assert_int_equal(resp->version, RMQ_REMOTING_VERSION);
    assert_true(rmq_command_is_response(resp));
    assert_string_equal(resp->remark, "NO");
    assert_int_equal(rmq_command_get_n_ext(resp), 0);

    g_autoptr(RmqCommand) resp2 = rmq_command_new_response(req, RMQ_RESPONSE_SUCCESS, NULL);
    assert_null(resp2->remark);
}

static void
test_ext_order_and_replace(void **state)
{
    g_autoptr(RmqCommand) cmd = rmq_command_new_request(1);
    rmq_command_set_ext(cmd, "z", "1");
    rmq_command_set_ext(cmd, "a", "2");
    rmq_command_set_ext(cmd, "m", "3");
    rmq_command_set_ext(cmd, "a", "4"); /* replace keeps position */

    assert_int_equal(rmq_command_get_n_ext(cmd), 3);
    assert_string_equal(rmq_command_get_ext_field(cmd, 0)->key, "z");
    assert_string_equal(rmq_command_get_ext_field(cmd, 1)->key, "a");
    assert_string_equal(rmq_command_get_ext_field(cmd, 1)->value, "4");
    assert_string_equal(rmq_command_get_ext_field(cmd, 2)->key, "m");
    assert_string_equal(rmq_command_get_ext(cmd, "m"), "3");
    assert_null(rmq_command_get_ext(cmd, "missing"));

    assert_true(rmq_command_remove_ext(cmd, "z"));
    assert_false(rmq_command_remove_ext(cmd, "z"));
    assert_int_equal(rmq_command_get_n_ext(cmd), 2);
    assert_string_equal(rmq_command_get_ext_field(cmd, 0)->key, "a");
    assert_string_equal(rmq_command_get_ext_field(cmd, 1)->key, "m");

    /* The caller's buffers are copied. */
    char key[] = "k", value[] = "v";
    rmq_command_set_ext(cmd, key, value);
    key[0] = 'x';
    value[0] = 'y';
    assert_string_equal(rmq_command_get_ext(cmd, "k"), "v");
}

static void
test_ext_numbers(void **state)
{
    g_autoptr(RmqCommand) cmd = rmq_command_new_request(1);
    gint64 v64 = 0;
    gint32 v32 = 0;

    rmq_command_set_ext_int64(cmd, "max", G_MAXINT64);
    rmq_command_set_ext_int64(cmd, "min", G_MININT64);
    rmq_command_set_ext_int64(cmd, "neg", -7);
    assert_string_equal(rmq_command_get_ext(cmd, "max"), "9223372036854775807");
    assert_string_equal(rmq_command_get_ext(cmd, "min"), "-9223372036854775808");
    assert_true(rmq_command_get_ext_int64(cmd, "max", &v64));
    assert_true(v64 == G_MAXINT64);
    assert_true(rmq_command_get_ext_int64(cmd, "min", &v64));
    assert_true(v64 == G_MININT64);
    assert_true(rmq_command_get_ext_int32(cmd, "neg", &v32));
    assert_int_equal(v32, -7);
    /* Out of int32 range, absent, or not a whole number: FALSE, out untouched. */
    v32 = 99;
    assert_false(rmq_command_get_ext_int32(cmd, "max", &v32));
    assert_false(rmq_command_get_ext_int32(cmd, "absent", &v32));
    rmq_command_set_ext(cmd, "frac", "1.5");
    rmq_command_set_ext(cmd, "text", "12abc");
    rmq_command_set_ext(cmd, "empty", "");
    rmq_command_set_ext(cmd, "space", " 1");
    rmq_command_set_ext(cmd, "over", "9223372036854775808");
    assert_false(rmq_command_get_ext_int32(cmd, "frac", &v32));
    assert_false(rmq_command_get_ext_int64(cmd, "text", &v64));
    assert_false(rmq_command_get_ext_int64(cmd, "empty", &v64));
    assert_false(rmq_command_get_ext_int64(cmd, "space", &v64));
    assert_false(rmq_command_get_ext_int64(cmd, "over", &v64));
    assert_int_equal(v32, 99);
    rmq_command_set_ext(cmd, "i32max", "2147483647");
    assert_true(rmq_command_get_ext_int32(cmd, "i32max", &v32));
    assert_int_equal(v32, G_MAXINT32);
}

static void
test_ext_bool(void **state)
{
    g_autoptr(RmqCommand) cmd = rmq_command_new_request(1);

    rmq_command_set_ext_bool(cmd, "t", TRUE);
    rmq_command_set_ext_bool(cmd, "f", FALSE);
    assert_string_equal(rmq_command_get_ext(cmd, "t"), "true");
    assert_string_equal(rmq_command_get_ext(cmd, "f"), "false");
    assert_true(rmq_command_get_ext_bool(cmd, "t", FALSE));
    assert_false(rmq_command_get_ext_bool(cmd, "f", TRUE));
    assert_true(rmq_command_get_ext_bool(cmd, "absent", TRUE));
    assert_false(rmq_command_get_ext_bool(cmd, "absent", FALSE));
    rmq_command_set_ext(cmd, "upper", "TRUE");
    rmq_command_set_ext(cmd, "one", "1");
    rmq_command_set_ext(cmd, "zero", "0");
    rmq_command_set_ext(cmd, "junk", "yes");
    assert_true(rmq_command_get_ext_bool(cmd, "upper", FALSE));
    assert_true(rmq_command_get_ext_bool(cmd, "one", FALSE));
    assert_false(rmq_command_get_ext_bool(cmd, "zero", TRUE));
    assert_false(rmq_command_get_ext_bool(cmd, "junk", TRUE));
}

static void
test_remark_and_body(void **state)
{
    g_autoptr(RmqCommand) cmd = rmq_command_new_request(1);

    rmq_command_set_remark(cmd, "a");
    rmq_command_set_remark(cmd, cmd->remark); /* self-assignment is safe */
    assert_string_equal(cmd->remark, "a");
    rmq_command_set_remark(cmd, NULL);
    assert_null(cmd->remark);

    rmq_command_set_body_data(cmd, "abc", 3);
    assert_int_equal(g_bytes_get_size(cmd->body), 3);
    g_autoptr(GBytes) shared = g_bytes_new_static("xyz", 3);
    rmq_command_set_body(cmd, shared);
    assert_true(cmd->body == shared); /* referenced, not copied */
    rmq_command_set_body(cmd, cmd->body);
    assert_true(cmd->body == shared);
    rmq_command_set_body(cmd, NULL);
    assert_null(cmd->body);
    rmq_command_set_body_data(cmd, NULL, 0);
    assert_non_null(cmd->body);
    assert_int_equal(g_bytes_get_size(cmd->body), 0);
}

static void
test_language(void **state)
{
    assert_string_equal(rmq_language_name(RMQ_LANG_JAVA), "JAVA");
    assert_string_equal(rmq_language_name(RMQ_LANG_CPP), "CPP");
    assert_string_equal(rmq_language_name(RMQ_LANG_RUST), "RUST");
    assert_string_equal(rmq_language_name((RmqLanguage) 77), "OTHER");
    for (int l = RMQ_LANG_JAVA; l <= RMQ_LANG_RUST; l++) {
        assert_int_equal(rmq_language_from_string(rmq_language_name((RmqLanguage) l)), l);
        g_autofree gchar *num = g_strdup_printf("%d", l);
        assert_int_equal(rmq_language_from_string(num), l);
        assert_int_equal(rmq_language_from_int(l), l);
    }
    assert_int_equal(rmq_language_from_string("java"), RMQ_LANG_OTHER);
    assert_int_equal(rmq_language_from_string("13"), RMQ_LANG_OTHER);
    assert_int_equal(rmq_language_from_string("-1"), RMQ_LANG_OTHER);
    assert_int_equal(rmq_language_from_string(NULL), RMQ_LANG_OTHER);
    assert_int_equal(rmq_language_from_int(-1), RMQ_LANG_OTHER);
}

static void
test_code_names(void **state)
{
    assert_string_equal(rmq_request_code_name(RMQ_REQUEST_SEND_MESSAGE_V2), "SEND_MESSAGE_V2");
    assert_int_equal(RMQ_REQUEST_SEND_MESSAGE_V2, 310);
    assert_int_equal(RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, 105);
    assert_int_equal(RMQ_REQUEST_UNREGISTER_CLIENT, 35);
    assert_int_equal(RMQ_REQUEST_ADD_WRITE_PERM_OF_BROKER, 327);
    assert_string_equal(rmq_request_code_name(34), "HEART_BEAT");
    assert_null(rmq_request_code_name(9999));
    assert_string_equal(rmq_response_code_name(RMQ_RESPONSE_PULL_OFFSET_MOVED), "PULL_OFFSET_MOVED");
    assert_int_equal(RMQ_RESPONSE_FLOW_CONTROL, 215);
    assert_int_equal(RMQ_RESPONSE_QUERY_NOT_FOUND, 22);
    assert_null(rmq_response_code_name(5));
}

/* Fields appended with a static value and with a number written in place:
 * read back, in order, encoded as plain text, replaced like any other, and
 * the numbers as rmq_command_set_ext_int64 writes them. */
static void
test_append_static_and_int64(void **state)
{
    static const gint64 values[] = { 0, 7, -1, 2147483648, G_MAXINT64, G_MININT64 };
    g_autoptr(RmqCommand) cmd = rmq_command_new_request(RMQ_REQUEST_HEART_BEAT);
    g_autoptr(RmqCommand) ref = rmq_command_new_request(RMQ_REQUEST_HEART_BEAT);
    rmq_command_append_ext_static(cmd, "TRACE_ON", 8, "false", 5);
    for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
        static const gchar *const keys[] = { "n0", "n1", "n2", "n3", "n4", "n5" };
        rmq_command_append_ext_int64(cmd, keys[i], 2, values[i]);
        rmq_command_set_ext_int64(ref, keys[i], values[i]);
        assert_string_equal(rmq_command_get_ext(cmd, keys[i]), rmq_command_get_ext(ref, keys[i]));
        gint64 back = 1;
        assert_true(rmq_command_get_ext_int64(cmd, keys[i], &back));
        assert_true(back == values[i]);
    }
    assert_int_equal(rmq_command_get_n_ext(cmd), 1 + G_N_ELEMENTS(values));
    assert_string_equal(rmq_command_get_ext(cmd, "TRACE_ON"), "false");
    const RmqExtField *f = &g_array_index(cmd->ext, RmqExtField, 0);
    assert_string_equal(f->key, "TRACE_ON");
    assert_int_equal(f->value_len, 5);
    f = &g_array_index(cmd->ext, RmqExtField, 6);
    assert_string_equal(f->key, "n5");
    assert_int_equal(f->value_len, strlen("-9223372036854775808"));
    g_autoptr(GString) json = g_string_new(NULL);
    rmq_json_header_encode(cmd, json);
    assert_non_null(strstr(json->str, "\"TRACE_ON\":\"false\",\"n0\":\"0\",\"n1\":\"7\","
                                      "\"n2\":\"-1\",\"n3\":\"2147483648\""));
    /* a replaced static value: the literal is left as it was */
    rmq_command_set_ext(cmd, "TRACE_ON", "true");
    assert_string_equal(rmq_command_get_ext(cmd, "TRACE_ON"), "true");
    assert_string_equal(g_array_index(cmd->ext, RmqExtField, 0).key, "TRACE_ON");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_request),
        cmocka_unit_test(test_new_response),
        cmocka_unit_test(test_ext_order_and_replace),
        cmocka_unit_test(test_ext_numbers),
        cmocka_unit_test(test_ext_bool),
        cmocka_unit_test(test_remark_and_body),
        cmocka_unit_test(test_language),
        cmocka_unit_test(test_code_names),
        cmocka_unit_test(test_append_static_and_int64),
    };
    return cmocka_run_group_tests_name("command", tests, NULL, NULL);
}
