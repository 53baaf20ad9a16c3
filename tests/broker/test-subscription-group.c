/* Subscription group table: docs/protocol.md §5.4 defaults, §7.6 pre-seeded groups,
 * auto-creation, DataVersion bumps, JSON and files. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "broker/subscription_group.h"
#include "remoting/json_body.h"

#include "meta-test-util.h"

static void
test_defaults(void **state)
{
    (void)state;
    g_autoptr(RmqSubscriptionGroup) g = rmq_subscription_group_new("G");
    assert_true(g->consume_enable);
    assert_true(g->consume_from_min_enable);
    assert_true(g->consume_broadcast_enable);
    assert_true(g->notify_consumer_ids_changed_enable);
    assert_int_equal(g->retry_queue_nums, 1);
    assert_int_equal(g->retry_max_times, 16);
    assert_int_equal(g->broker_id, 0);
    assert_int_equal(g->which_broker_when_consume_slowly, 1);
    g_autoptr(JsonNode) n = rmq_subscription_group_to_node(g);
    g_autofree gchar *s = rmq_json_to_string(n, FALSE);
    assert_string_equal(s, "{\"brokerId\":0,\"consumeBroadcastEnable\":true,\"consumeEnable\":true,"
                           "\"consumeFromMinEnable\":true,\"groupName\":\"G\","
                           "\"notifyConsumerIdsChangedEnable\":true,\"retryMaxTimes\":16,"
                           "\"retryQueueNums\":1,\"whichBrokerWhenConsumeSlowly\":1}");
}

static void
test_preseeded(void **state)
{
    (void)state;
    g_autoptr(RmqSubscriptionGroupTable) t = rmq_subscription_group_table_new();
    const gchar *want[] = { "CID_ONS-HTTP-PROXY", "CID_ONSAPI_OWNER", "CID_ONSAPI_PERMISSION",
                            "CID_ONSAPI_PULL",    "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP",
                            "TOOLS_CONSUMER" };
    g_autoptr(GPtrArray) names = rmq_subscription_group_table_names(t);
    assert_int_equal(names->len, G_N_ELEMENTS(want));
    for (guint i = 0; i < names->len; i++)
        assert_string_equal(names->pdata[i], want[i]);
    const RmqSubscriptionGroup *g = rmq_subscription_group_table_lookup(t, "TOOLS_CONSUMER");
    assert_non_null(g);
    assert_int_equal(g->retry_max_times, 16);
    assert_int_equal(rmq_subscription_group_table_version(t)->counter, 0);
}

static void
test_find_or_create(void **state)
{
    (void)state;
    g_autoptr(RmqSubscriptionGroupTable) t = rmq_subscription_group_table_new();
    const RmqDataVersion *v = rmq_subscription_group_table_version(t);
    gboolean created = FALSE;
    const RmqSubscriptionGroup *g =
        rmq_subscription_group_table_find_or_create(t, "GroupA", TRUE, &created);
    assert_non_null(g);
    assert_true(created);
    assert_string_equal(g->group_name, "GroupA");
    assert_int_equal(g->retry_queue_nums, 1);
    assert_int_equal(v->counter, 1);

    assert_ptr_equal(rmq_subscription_group_table_find_or_create(t, "GroupA", FALSE, &created), g);
    assert_false(created);
    assert_int_equal(v->counter, 1);

    assert_null(rmq_subscription_group_table_find_or_create(t, "GroupB", FALSE, &created));
    assert_false(created);
    assert_null(rmq_subscription_group_table_lookup(t, "GroupB"));
    assert_int_equal(v->counter, 1);

    /* System consumer groups are created whatever the switch says. */
    assert_non_null(
        rmq_subscription_group_table_find_or_create(t, "CID_RMQ_SYS_TRANS", FALSE, &created));
    assert_true(created);
    assert_int_equal(v->counter, 2);
}

static void
test_update_delete_versions(void **state)
{
    (void)state;
    g_autoptr(RmqSubscriptionGroupTable) t = rmq_subscription_group_table_new();
    const RmqDataVersion *v = rmq_subscription_group_table_version(t);
    g_autoptr(RmqSubscriptionGroup) g = rmq_subscription_group_new("G");
    assert_true(rmq_subscription_group_table_update(t, g));
    assert_int_equal(v->counter, 1);
    assert_false(rmq_subscription_group_table_update(t, g));
    assert_int_equal(v->counter, 1);
    g->consume_enable = FALSE;
    assert_true(rmq_subscription_group_table_update(t, g));
    assert_int_equal(v->counter, 2);
    assert_false(rmq_subscription_group_table_lookup(t, "G")->consume_enable);
    g->which_broker_when_consume_slowly = 2;
    assert_true(rmq_subscription_group_table_update(t, g));
    assert_int_equal(v->counter, 3);
    assert_false(rmq_subscription_group_table_delete(t, "Nope"));
    assert_int_equal(v->counter, 3);
    assert_true(rmq_subscription_group_table_delete(t, "G"));
    assert_int_equal(v->counter, 4);
    assert_null(rmq_subscription_group_table_lookup(t, "G"));
}

static void
test_parse_admin_body(void **state)
{
    (void)state;
    const gchar body[] = "{\"consumeBroadcastEnable\":false,\"groupName\":\"G2\","
                         "\"retryMaxTimes\":3,\"brokerId\":\"1\"}";
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqSubscriptionGroup) g = rmq_subscription_group_parse(body, strlen(body), &error);
    assert_non_null(g);
    assert_string_equal(g->group_name, "G2");
    assert_false(g->consume_broadcast_enable);
    assert_int_equal(g->retry_max_times, 3);
    assert_int_equal(g->broker_id, 1);
    assert_true(g->consume_enable); /* default kept */
    assert_int_equal(g->retry_queue_nums, 1);

    assert_null(rmq_subscription_group_parse("{\"retryMaxTimes\":3}", 19, &error));
    assert_true(g_error_matches(error, RMQ_SUBSCRIPTION_GROUP_ERROR,
                                RMQ_SUBSCRIPTION_GROUP_ERROR_INVALID));
    g_clear_error(&error);
    assert_null(rmq_subscription_group_parse("[1,", 3, &error));
    assert_non_null(error);
}

static void
test_file_round_trip(void **state)
{
    (void)state;
    g_autofree gchar *dir = meta_test_tmpdir();
    g_autofree gchar *path = g_build_filename(dir, "subscriptionGroup.json", NULL);
    g_autoptr(RmqSubscriptionGroupTable) t = rmq_subscription_group_table_new();
    g_autoptr(RmqSubscriptionGroup) g = rmq_subscription_group_new("GroupA");
    g->retry_queue_nums = 2;
    g->consume_from_min_enable = FALSE;
    rmq_subscription_group_table_update(t, g);
    g_autoptr(GError) error = NULL;
    assert_true(rmq_subscription_group_table_save_file(t, path, &error));
    g_autofree gchar *text = meta_test_read(path);
    assert_true(g_str_has_prefix(text, "{\n\t\"dataVersion\":{\n\t\t\"counter\":1,"));
    assert_non_null(strstr(text, "\n\t\"subscriptionGroupTable\":{\n\t\t\"CID_ONS-HTTP-PROXY\":{\n"));

    g_autoptr(RmqSubscriptionGroupTable) t2 = rmq_subscription_group_table_new();
    assert_true(rmq_subscription_group_table_load_file(t2, path, &error));
    assert_true(rmq_subscription_group_equal(rmq_subscription_group_table_lookup(t2, "GroupA"), g));
    assert_true(rmq_data_version_equal(rmq_subscription_group_table_version(t),
                                       rmq_subscription_group_table_version(t2)));
    assert_int_equal(rmq_subscription_group_table_size(t2), 8);
    meta_test_rmdir(dir);
}

static const gchar java_groups[] =
    "{\n"
    "\t\"dataVersion\":{\n"
    "\t\t\"counter\":2,\n"
    "\t\t\"timestamp\":1699999999999\n"
    "\t},\n"
    "\t\"subscriptionGroupTable\":{\n"
    "\t\t\"please_rename_unique_group_name_4\":{\n"
    "\t\t\t\"brokerId\":0,\n"
    "\t\t\t\"consumeBroadcastEnable\":true,\n"
    "\t\t\t\"consumeEnable\":true,\n"
    "\t\t\t\"consumeFromMinEnable\":true,\n"
    "\t\t\t\"groupName\":\"please_rename_unique_group_name_4\",\n"
    "\t\t\t\"notifyConsumerIdsChangedEnable\":true,\n"
    "\t\t\t\"retryMaxTimes\":16,\n"
    "\t\t\t\"retryQueueNums\":1,\n"
    "\t\t\t\"whichBrokerWhenConsumeSlowly\":1\n"
    "\t\t},\n"
    "\t\t\"SlowGroup\":{\n"
    "\t\t\t\"brokerId\":0,\n"
    "\t\t\t\"consumeBroadcastEnable\":false,\n"
    "\t\t\t\"consumeEnable\":false,\n"
    "\t\t\t\"consumeFromMinEnable\":true,\n"
    "\t\t\t\"groupName\":\"SlowGroup\",\n"
    "\t\t\t\"notifyConsumerIdsChangedEnable\":false,\n"
    "\t\t\t\"retryMaxTimes\":5,\n"
    "\t\t\t\"retryQueueNums\":2,\n"
    "\t\t\t\"whichBrokerWhenConsumeSlowly\":1\n"
    "\t\t}\n"
    "\t}\n"
    "}";

static void
test_java_file_loads(void **state)
{
    (void)state;
    g_autofree gchar *dir = meta_test_tmpdir();
    g_autofree gchar *path = g_build_filename(dir, "subscriptionGroup.json", NULL);
    meta_test_write(path, java_groups, -1);
    g_autoptr(RmqSubscriptionGroupTable) t = rmq_subscription_group_table_new();
    g_autoptr(GError) error = NULL;
    assert_true(rmq_subscription_group_table_load_file(t, path, &error));
    assert_int_equal(rmq_subscription_group_table_version(t)->counter, 2);
    assert_int_equal(rmq_subscription_group_table_version(t)->timestamp, 1699999999999);
    const RmqSubscriptionGroup *g = rmq_subscription_group_table_lookup(t, "SlowGroup");
    assert_non_null(g);
    assert_false(g->consume_enable);
    assert_false(g->consume_broadcast_enable);
    assert_false(g->notify_consumer_ids_changed_enable);
    assert_int_equal(g->retry_max_times, 5);
    assert_int_equal(g->retry_queue_nums, 2);
    assert_non_null(rmq_subscription_group_table_lookup(t, "please_rename_unique_group_name_4"));
    assert_non_null(rmq_subscription_group_table_lookup(t, "TOOLS_CONSUMER"));
    assert_int_equal(rmq_subscription_group_table_size(t), 9);
    meta_test_rmdir(dir);
}

static void
test_sync_from_master(void **state)
{
    (void)state;
    g_autoptr(RmqSubscriptionGroupTable) master = rmq_subscription_group_table_new();
    g_autoptr(RmqSubscriptionGroup) g = rmq_subscription_group_new("M");
    rmq_subscription_group_table_update(master, g);
    rmq_subscription_group_table_delete(master, "TOOLS_CONSUMER");
    g_autofree gchar *body = rmq_subscription_group_table_to_json(master, FALSE);

    g_autoptr(RmqSubscriptionGroupTable) slave = rmq_subscription_group_table_new();
    rmq_subscription_group_table_find_or_create(slave, "S", TRUE, NULL);
    gboolean changed = FALSE;
    g_autoptr(GError) error = NULL;
    assert_true(rmq_subscription_group_table_sync_from_master(slave, body, strlen(body), &changed,
                                                              &error));
    assert_true(changed);
    assert_non_null(rmq_subscription_group_table_lookup(slave, "M"));
    assert_null(rmq_subscription_group_table_lookup(slave, "S"));
    assert_null(rmq_subscription_group_table_lookup(slave, "TOOLS_CONSUMER"));
    assert_true(rmq_subscription_group_table_sync_from_master(slave, body, strlen(body), &changed,
                                                              &error));
    assert_false(changed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_preseeded),
        cmocka_unit_test(test_find_or_create),
        cmocka_unit_test(test_update_delete_versions),
        cmocka_unit_test(test_parse_admin_body),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_java_file_loads),
        cmocka_unit_test(test_sync_from_master),
    };
    return cmocka_run_group_tests_name("subscription_group", tests, NULL, NULL);
}
