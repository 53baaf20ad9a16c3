/* Log line rendering for terminals: level, message, then the structured
 * fields an operator cares about. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/log.h"

static void
test_plain_message(void **state)
{
    GLogField fields[] = {
        { "MESSAGE", "listening on 127.0.0.1:9876", -1 },
        { "PRIORITY", "5", -1 },
        { "GLIB_DOMAIN", "rmq", -1 },
    };
    g_autofree gchar *line = rmq_log_format_line(G_LOG_LEVEL_MESSAGE, fields, G_N_ELEMENTS(fields));
    assert_string_equal(line, "notice: listening on 127.0.0.1:9876");
}

static void
test_event_fields_are_shown_ids_hidden(void **state)
{
    GLogField fields[] = {
        { "MESSAGE_ID", RMQ_MSGID_BROKER_REGISTERED, -1 },
        { "RMQ_BROKER", "broker-a", -1 },
        { "RMQ_CLUSTER", "DefaultCluster", -1 },
        { "MESSAGE", "broker registered", -1 },
        { "CODE_FILE", "x.c", -1 },
    };
    g_autofree gchar *line = rmq_log_format_line(G_LOG_LEVEL_WARNING, fields, G_N_ELEMENTS(fields));
    assert_string_equal(line, "warning: broker registered [RMQ_BROKER=broker-a RMQ_CLUSTER=DefaultCluster]");
}

static void
test_binary_length_field(void **state)
{
    GLogField fields[] = {
        { "MESSAGE", "abcdef", 3 },
        { "RMQ_TOPIC", "TopicTestXXX", 9 },
    };
    g_autofree gchar *line = rmq_log_format_line(G_LOG_LEVEL_DEBUG, fields, G_N_ELEMENTS(fields));
    assert_string_equal(line, "debug: abc [RMQ_TOPIC=TopicTest]");
}

static void
test_instance_is_kept(void **state)
{
    rmq_log_init("rmq-test", "a", FALSE);
    assert_string_equal(rmq_log_get_instance(), "a");
    rmq_log_set_instance("b");
    assert_string_equal(rmq_log_get_instance(), "b");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_message),
        cmocka_unit_test(test_event_fields_are_shown_ids_hidden),
        cmocka_unit_test(test_binary_length_field),
        cmocka_unit_test(test_instance_is_kept),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
