/* TopicConfig of src/model/topic_config: defaults, copy/equal, the queue id
 * rule, the JSON object both the broker and the name server write and read
 * (bytes of a 4.9.7 broker), lenient and strict decoding, and the text form
 * of the compressed REGISTER_BROKER body. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model/topic_config.h"
#include "remoting/json_body.h"

static void
test_defaults_copy_equal(void **state)
{
    (void)state;
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new("T");
    assert_string_equal(tc->topic_name, "T");
    assert_int_equal(tc->read_queue_nums, 16);
    assert_int_equal(tc->write_queue_nums, 16);
    assert_int_equal(tc->perm, RMQ_PERM_READ | RMQ_PERM_WRITE);
    assert_int_equal(tc->topic_sys_flag, 0);
    assert_false(tc->order);
    assert_int_equal(tc->filter_type, RMQ_TOPIC_FILTER_SINGLE_TAG);

    g_autoptr(RmqTopicConfig) c = rmq_topic_config_copy(tc);
    assert_ptr_not_equal(c->topic_name, tc->topic_name);
    assert_true(rmq_topic_config_equal(tc, c));
    c->order = 5; /* any true value is the same order */
    tc->order = TRUE;
    assert_true(rmq_topic_config_equal(tc, c));
    c->topic_sys_flag = RMQ_TOPIC_SYS_FLAG_UNIT;
    assert_false(rmq_topic_config_equal(tc, c));
    c->topic_sys_flag = 0;
    c->filter_type = RMQ_TOPIC_FILTER_MULTI_TAG;
    assert_false(rmq_topic_config_equal(tc, c));
}

static void
test_queue_id_rule(void **state)
{
    (void)state;
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new("T");
    tc->read_queue_nums = 2;
    tc->write_queue_nums = 4;
    assert_true(rmq_topic_config_queue_id_valid(tc, 3));
    assert_false(rmq_topic_config_queue_id_valid(tc, 4));
}

static void
test_filter_type_names(void **state)
{
    (void)state;
    RmqTopicFilterType t = RMQ_TOPIC_FILTER_SINGLE_TAG;
    assert_true(rmq_topic_filter_type_parse("MULTI_TAG", &t));
    assert_int_equal(t, RMQ_TOPIC_FILTER_MULTI_TAG);
    assert_string_equal(rmq_topic_filter_type_name(t), "MULTI_TAG");
    assert_false(rmq_topic_filter_type_parse("multi_tag", &t));
    assert_false(rmq_topic_filter_type_parse(NULL, &t));
    assert_int_equal(t, RMQ_TOPIC_FILTER_MULTI_TAG); /* untouched on failure */
    assert_string_equal(rmq_topic_filter_type_name(RMQ_TOPIC_FILTER_SINGLE_TAG), "SINGLE_TAG");
}

static void
test_json_bytes_and_back(void **state)
{
    (void)state;
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new("T");
    tc->read_queue_nums = tc->write_queue_nums = 4;
    g_autoptr(JsonNode) n = rmq_topic_config_to_node(tc);
    g_autofree gchar *s = rmq_json_to_string(n, FALSE);
    assert_string_equal(s, "{\"order\":false,\"perm\":6,\"readQueueNums\":4,"
                           "\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"T\","
                           "\"topicSysFlag\":0,\"writeQueueNums\":4}");
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqTopicConfig) back = rmq_topic_config_from_node(n, NULL, 0, &error);
    assert_non_null(back);
    assert_true(rmq_topic_config_equal(tc, back));

    /* what a 4.9.7 broker writes, read and written again byte for byte */
    const gchar *java = "{\"order\":true,\"perm\":7,\"readQueueNums\":8,"
                        "\"topicFilterType\":\"MULTI_TAG\",\"topicName\":\"TopicTest\","
                        "\"topicSysFlag\":1,\"writeQueueNums\":2}";
    g_autoptr(JsonNode) jn = rmq_json_parse_lenient(java, -1, NULL);
    g_autoptr(RmqTopicConfig) j = rmq_topic_config_from_node(jn, NULL, 0, &error);
    assert_non_null(j);
    assert_true(j->order);
    assert_int_equal(j->perm, 7);
    assert_int_equal(j->read_queue_nums, 8);
    assert_int_equal(j->write_queue_nums, 2);
    assert_int_equal(j->topic_sys_flag, 1);
    assert_int_equal(j->filter_type, RMQ_TOPIC_FILTER_MULTI_TAG);
    g_autoptr(JsonNode) again = rmq_topic_config_to_node(j);
    g_autofree gchar *js = rmq_json_to_string(again, FALSE);
    assert_string_equal(js, java);
}

static void
test_json_lenient_and_strict(void **state)
{
    (void)state;
    g_autoptr(GError) error = NULL;
    /* missing members take the defaults, the hint names the topic, numbers
     * as strings are read, out-of-range numbers are clamped */
    g_autoptr(JsonNode) sparse = rmq_json_parse_lenient(
        "{\"perm\":\"4\",\"readQueueNums\":99999999999,\"order\":\"true\",\"x\":1}", -1, NULL);
    g_autoptr(RmqTopicConfig) a = rmq_topic_config_from_node(sparse, "Hint", 0, &error);
    assert_non_null(a);
    assert_string_equal(a->topic_name, "Hint");
    assert_int_equal(a->perm, 4);
    assert_int_equal(a->read_queue_nums, G_MAXINT);
    assert_int_equal(a->write_queue_nums, 16);
    assert_true(a->order);
    /* an empty topicName falls back to the hint as well */
    g_autoptr(JsonNode) empty_name = rmq_json_parse_lenient("{\"topicName\":\"\"}", -1, NULL);
    g_autoptr(RmqTopicConfig) b = rmq_topic_config_from_node(empty_name, "K", 0, &error);
    assert_string_equal(b->topic_name, "K");
    /* no name at all, or not an object: refused */
    assert_null(rmq_topic_config_from_node(empty_name, NULL, 0, &error));
    assert_true(g_error_matches(error, RMQ_TOPIC_CONFIG_ERROR, RMQ_TOPIC_CONFIG_ERROR_INVALID));
    g_clear_error(&error);
    g_autoptr(JsonNode) arr = rmq_json_parse_lenient("[1]", -1, NULL);
    assert_null(rmq_topic_config_from_node(arr, "T", 0, &error));
    assert_true(g_error_matches(error, RMQ_TOPIC_CONFIG_ERROR, RMQ_TOPIC_CONFIG_ERROR_INVALID));
    g_clear_error(&error);

    /* an unknown filter type: the broker refuses, the name server reads SINGLE_TAG */
    g_autoptr(JsonNode) bad = rmq_json_parse_lenient("{\"topicFilterType\":\"XX\"}", -1, NULL);
    assert_null(rmq_topic_config_from_node(bad, "T", RMQ_TOPIC_CONFIG_DECODE_STRICT, &error));
    assert_true(g_error_matches(error, RMQ_TOPIC_CONFIG_ERROR, RMQ_TOPIC_CONFIG_ERROR_INVALID));
    g_clear_error(&error);
    g_autoptr(RmqTopicConfig) any =
        rmq_topic_config_from_node(bad, "T", RMQ_TOPIC_CONFIG_DECODE_ANY_FILTER, &error);
    assert_non_null(any);
    assert_int_equal(any->filter_type, RMQ_TOPIC_FILTER_SINGLE_TAG);
}

static void
test_text_form(void **state)
{
    (void)state;
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new("A");
    tc->read_queue_nums = 4;
    tc->write_queue_nums = 2;
    tc->perm = 7;
    tc->filter_type = RMQ_TOPIC_FILTER_MULTI_TAG;
    tc->topic_sys_flag = 3; /* not part of the text form */
    g_autofree gchar *text = rmq_topic_config_encode_text(tc);
    assert_string_equal(text, "A 4 2 7 MULTI_TAG");
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqTopicConfig) back = rmq_topic_config_decode_text(text, strlen(text), &error);
    assert_non_null(back);
    assert_string_equal(back->topic_name, "A");
    assert_int_equal(back->read_queue_nums, 4);
    assert_int_equal(back->write_queue_nums, 2);
    assert_int_equal(back->perm, 7);
    assert_int_equal(back->filter_type, RMQ_TOPIC_FILTER_MULTI_TAG);
    assert_int_equal(back->topic_sys_flag, 0);
    /* the length bounds the text: no NUL needed */
    g_autoptr(RmqTopicConfig) cut = rmq_topic_config_decode_text("B 1 1 6 SINGLE_TAGxyz", 18, NULL);
    assert_non_null(cut);
    assert_string_equal(cut->topic_name, "B");
    g_autoptr(RmqTopicConfig) unk = rmq_topic_config_decode_text("C 1 1 6 OTHER", 13, NULL);
    assert_non_null(unk);
    assert_int_equal(unk->filter_type, RMQ_TOPIC_FILTER_SINGLE_TAG);

    static const gchar *const bad[] = {
        "A 4 2 7", "A 4 2 7 SINGLE_TAG x", " 4 2 7 SINGLE_TAG", "A -1 2 7 SINGLE_TAG",
        "A 4 x 7 SINGLE_TAG", "A 4 2 99999999999 SINGLE_TAG", "",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        RmqTopicConfig *r = rmq_topic_config_decode_text(bad[i], strlen(bad[i]), &e);
        if (r != NULL)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(g_error_matches(e, RMQ_TOPIC_CONFIG_ERROR, RMQ_TOPIC_CONFIG_ERROR_INVALID));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_copy_equal),
        cmocka_unit_test(test_queue_id_rule),
        cmocka_unit_test(test_filter_type_names),
        cmocka_unit_test(test_json_bytes_and_back),
        cmocka_unit_test(test_json_lenient_and_strict),
        cmocka_unit_test(test_text_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
