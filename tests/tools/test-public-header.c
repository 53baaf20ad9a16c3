/* Builds like a program outside the tree: only <rmq-client.h> on the include
 * path (no src/, no config.h) and only librmqclient.a plus the pkg-config
 * Requires of rmq-client.pc to link. Checks the offline parts of the API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rmq-client.h>

static void
test_messages(void **state)
{
    (void) state;
    g_autoptr(RmqMsg) m = rmq_msg_new("T", "body", -1);
    rmq_msg_set_tags(m, "TagA");
    rmq_msg_set_keys(m, "k1 k2");
    rmq_msg_put_property(m, "MY", "v");
    assert_string_equal(rmq_msg_get_tags(m), "TagA");
    assert_string_equal(rmq_msg_get_keys(m), "k1 k2");
    assert_string_equal(rmq_msg_get_property(m, "MY"), "v");
    assert_null(rmq_msg_get_msg_id(m));
    assert_int_equal(g_bytes_get_size(m->body), 4);
    g_autoptr(JsonNode) j = rmq_msg_to_json(m);
    assert_string_equal(json_object_get_string_member(json_node_get_object(j), "body"), "body");
    assert_string_equal(rmq_send_status_name(RMQ_SEND_FLUSH_DISK_TIMEOUT), "FLUSH_DISK_TIMEOUT");
    assert_string_equal(rmq_pull_status_name(RMQ_PULL_NO_NEW_MSG), "NO_NEW_MSG");
}

static void
test_client_side_errors(void **state)
{
    (void) state;
    g_autoptr(RmqProducer) p = rmq_producer_new("G", "127.0.0.1:1", NULL);
    g_autoptr(GError) error = NULL;
    RmqSendResult r;
    g_autoptr(RmqMsg) empty = rmq_msg_new("T", "", 0);
    assert_false(rmq_producer_send(p, empty, &r, &error));
    assert_true(g_error_matches(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL));
    g_clear_error(&error);
    g_autoptr(RmqMsg) ok = rmq_msg_new("T", "x", -1);
    assert_false(rmq_producer_send(p, ok, &r, &error));
    assert_true(g_error_matches(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NAMESRV_UNREACHABLE));
    g_autoptr(RmqAdmin) a = rmq_admin_new("127.0.0.1:1", NULL);
    g_autoptr(GError) e2 = NULL;
    assert_null(rmq_admin_topic_list(a, &e2));
    assert_true(g_error_matches(e2, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NAMESRV_UNREACHABLE));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_client_side_errors),
    };
    return cmocka_run_group_tests_name("public-header", tests, NULL, NULL);
}
