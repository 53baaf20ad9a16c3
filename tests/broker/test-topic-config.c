/* Topic table: system topics, name rules, auto-creation (docs/protocol.md §9.1), refusals,
 * DataVersion bumps, JSON of topics.json / GET_ALL_TOPIC_CONFIG /
 * REGISTER_BROKER, Java-written files. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "broker/topic_config.h"
#include "remoting/json_body.h"

#include "meta-test-util.h"

static RmqTopicTable *
default_table(void)
{
    RmqTopicTableOptions o;
    rmq_topic_table_options_init(&o);
    o.cluster_name = "DefaultCluster";
    o.broker_name = "broker-a";
    return rmq_topic_table_new(&o);
}

static void
assert_topic(const RmqTopicTable *t, const gchar *name, gint queues, gint perm)
{
    const RmqTopicConfig *tc = rmq_topic_table_lookup(t, name);
    if (tc == NULL)
        fail_msg("topic %s missing", name);
    assert_string_equal(tc->topic_name, name);
    assert_int_equal(tc->read_queue_nums, queues);
    assert_int_equal(tc->write_queue_nums, queues);
    assert_int_equal(tc->perm, perm);
}

static void
test_system_topics_default(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) t = default_table();
    assert_topic(t, "SELF_TEST_TOPIC", 1, 6);
    assert_topic(t, "TBW102", 8, 7);
    assert_topic(t, "BenchmarkTest", 1024, 6);
    assert_topic(t, "DefaultCluster", 16, 7);
    assert_topic(t, "broker-a", 1, 7);
    assert_topic(t, "OFFSET_MOVED_EVENT", 1, 6);
    assert_topic(t, "SCHEDULE_TOPIC_XXXX", 18, 6);
    assert_topic(t, "DefaultCluster_REPLY_TOPIC", 1, 6);
    assert_null(rmq_topic_table_lookup(t, "RMQ_SYS_TRACE_TOPIC"));
    assert_int_equal(rmq_topic_table_size(t), 8);
    assert_int_equal(rmq_topic_table_version(t)->counter, 0);
    assert_true(rmq_topic_table_version(t)->timestamp > 0);
}

static void
test_system_topics_options(void **state)
{
    (void)state;
    RmqTopicTableOptions o;
    rmq_topic_table_options_init(&o);
    o.cluster_name = "c1";
    o.broker_name = "b1";
    o.auto_create_topic_enable = FALSE;
    o.cluster_topic_enable = FALSE;
    o.broker_topic_enable = FALSE;
    o.trace_topic_enable = TRUE;
    o.msg_trace_topic_name = "MyTrace";
    g_autoptr(RmqTopicTable) t = rmq_topic_table_new(&o);
    assert_null(rmq_topic_table_lookup(t, "TBW102"));
    assert_topic(t, "c1", 16, 1);
    assert_topic(t, "b1", 1, 1);
    assert_topic(t, "MyTrace", 1, 6);
    assert_topic(t, "c1_REPLY_TOPIC", 1, 6);
    assert_int_equal(rmq_topic_table_size(t), 8);

    o.default_topic_queue_nums = 3;
    o.auto_create_topic_enable = TRUE;
    g_autoptr(RmqTopicTable) t2 = rmq_topic_table_new(&o);
    assert_topic(t2, "TBW102", 3, 7);
}

static void
check_invalid(const gchar *name, const gchar *expect_reason)
{
    const gchar *reason = NULL;
    assert_false(rmq_topic_name_validate(name, &reason));
    assert_string_equal(reason, expect_reason);
}

static void
test_name_rules(void **state)
{
    (void)state;
    const gchar *ok[] = { "TopicTest", "%RETRY%group_1", "a|b", "A-z_0-9", "%DLQ%g", "x" };
    for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
        const gchar *reason = "unset";
        if (!rmq_topic_name_validate(ok[i], &reason))
            fail_msg("%s refused: %s", ok[i], reason);
        assert_null(reason);
    }
    const gchar *illegal = "The specified topic contains illegal characters, allowing only "
                           "^[%|a-zA-Z0-9_-]+$";
    const gchar *blank = "The specified topic is blank.";
    check_invalid("", blank);
    check_invalid("   ", blank);
    check_invalid(NULL, blank);
    check_invalid("a b", illegal);
    check_invalid("a.b", illegal);
    check_invalid("a/b", illegal);
    check_invalid("a@b", illegal);
    check_invalid("a\tb", illegal);
    check_invalid("t\xc3\xa9", illegal);

    g_autofree gchar *n127 = g_strnfill(127, 'a');
    g_autofree gchar *n128 = g_strnfill(128, 'a');
    assert_true(rmq_topic_name_validate(n127, NULL));
    check_invalid(n128, "The specified topic is longer than topic max length.");

    const gchar *reason = NULL;
    assert_true(rmq_group_name_validate("CID_ONS-HTTP-PROXY", NULL));
    assert_false(rmq_group_name_validate("g g", &reason));
    assert_non_null(strstr(reason, "group"));
    assert_true(rmq_group_name_validate(n127, NULL));
    assert_false(rmq_group_name_validate(n128, NULL));
    assert_false(rmq_group_name_validate("", NULL));
}

static void
test_auto_create_from_tbw102(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) t = default_table();
    RmqTopicConfig tbw = *rmq_topic_table_lookup(t, "TBW102");
    tbw.filter_type = RMQ_TOPIC_FILTER_MULTI_TAG;
    assert_true(rmq_topic_table_update(t, &tbw));
    gint64 before = rmq_topic_table_version(t)->counter;

    gboolean created = FALSE;
    g_autofree gchar *remark = NULL;
    const RmqTopicConfig *tc =
        rmq_topic_table_get_or_create_for_send(t, "NewTopic", "TBW102", 4, 0, &created, &remark);
    assert_non_null(tc);
    assert_true(created);
    assert_null(remark);
    assert_int_equal(tc->read_queue_nums, 4); /* min(4, 8) */
    assert_int_equal(tc->write_queue_nums, 4);
    assert_int_equal(tc->perm, 6); /* 7 minus INHERIT */
    assert_int_equal(tc->filter_type, RMQ_TOPIC_FILTER_MULTI_TAG);
    assert_int_equal(rmq_topic_table_version(t)->counter, before + 1);
    assert_ptr_equal(rmq_topic_table_lookup(t, "NewTopic"), tc);

    /* A second send finds it: no change. */
    const RmqTopicConfig *again =
        rmq_topic_table_get_or_create_for_send(t, "NewTopic", "TBW102", 4, 0, &created, NULL);
    assert_ptr_equal(again, tc);
    assert_false(created);
    assert_int_equal(rmq_topic_table_version(t)->counter, before + 1);

    /* The producer asks for more queues than the default topic has. */
    tc = rmq_topic_table_get_or_create_for_send(t, "Wide", "TBW102", 16, 1, &created, NULL);
    assert_int_equal(tc->write_queue_nums, 8);
    assert_int_equal(tc->topic_sys_flag, 1);
}

static void
test_auto_create_from_cluster_topic(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) t = default_table();
    gboolean created;
    const RmqTopicConfig *tc = rmq_topic_table_get_or_create_for_send(t, "ViaCluster",
                                                                    "DefaultCluster", 4, 0,
                                                                    &created, NULL);
    assert_non_null(tc);
    assert_true(created);
    assert_int_equal(tc->write_queue_nums, 4);
    assert_int_equal(tc->perm, 6);
}

static void
test_auto_create_refused_without_inherit(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) t = default_table();
    g_autoptr(RmqTopicConfig) plain = rmq_topic_config_new("Plain");
    rmq_topic_table_update(t, plain);
    guint size = rmq_topic_table_size(t);
    gint64 counter = rmq_topic_table_version(t)->counter;

    gboolean created = TRUE;
    g_autofree gchar *remark = NULL;
    assert_null(rmq_topic_table_get_or_create_for_send(t, "T2", "Plain", 4, 0, &created, &remark));
    assert_false(created);
    assert_string_equal(remark, "topic[T2] not exist, apply first please!");
    g_clear_pointer(&remark, g_free);
    /* No such default topic at all. */
    assert_null(rmq_topic_table_get_or_create_for_send(t, "T3", "Nope", 4, 0, NULL, &remark));
    assert_string_equal(remark, "topic[T3] not exist, apply first please!");
    assert_int_equal(rmq_topic_table_size(t), size);
    assert_int_equal(rmq_topic_table_version(t)->counter, counter);
}

static void
test_retry_fallback(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) t = default_table();
    gboolean created = FALSE;
    const RmqTopicConfig *tc = rmq_topic_table_get_or_create_for_send(t, "%RETRY%G1", "NoDefault",
                                                                    4, 0, &created, NULL);
    assert_non_null(tc);
    assert_true(created);
    assert_int_equal(tc->read_queue_nums, 1);
    assert_int_equal(tc->write_queue_nums, 1);
    assert_int_equal(tc->perm, 6);
    assert_int_equal(rmq_topic_table_version(t)->counter, 1);
}

static void
test_auto_create_off(void **state)
{
    (void)state;
    RmqTopicTableOptions o;
    rmq_topic_table_options_init(&o);
    o.broker_name = "b";
    o.auto_create_topic_enable = FALSE;
    g_autoptr(RmqTopicTable) t = rmq_topic_table_new(&o);
    g_autofree gchar *remark = NULL;
    assert_null(rmq_topic_table_get_or_create_for_send(t, "T", "TBW102", 4, 0, NULL, &remark));
    assert_string_equal(remark, "topic[T] not exist, apply first please!");

    /* A topics.json from the time auto-creation was on still has TBW102 with
     * perm 7: it must not lend its settings now. */
    g_autoptr(RmqTopicConfig) tbw = rmq_topic_config_new("TBW102");
    tbw->perm = 7;
    tbw->read_queue_nums = tbw->write_queue_nums = 8;
    rmq_topic_table_update(t, tbw);
    g_clear_pointer(&remark, g_free);
    assert_null(rmq_topic_table_get_or_create_for_send(t, "T", "TBW102", 4, 0, NULL, &remark));
    assert_non_null(remark);
    /* Retry topics still get created. */
    assert_non_null(
        rmq_topic_table_get_or_create_for_send(t, "%RETRY%g", "TBW102", 4, 0, NULL, NULL));
}

static void
test_queue_id_check(void **state)
{
    (void)state;
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new("T");
    tc->read_queue_nums = 4;
    tc->write_queue_nums = 8;
    assert_true(rmq_topic_config_queue_id_valid(tc, 7));
    assert_false(rmq_topic_config_queue_id_valid(tc, 8));
}

static void
expect_code(RmqResponseCode got, gchar *remark, RmqResponseCode code, const gchar *text)
{
    g_autofree gchar *r = remark;
    assert_int_equal(got, code);
    if (text == NULL)
        assert_null(r);
    else
        assert_string_equal(r, text);
}

static void
test_send_checks(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) t = default_table();
    gchar *r = NULL;
    const gchar *forbidden[] = { "SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC",
                                 "RMQ_SYS_TRANS_OP_HALF_TOPIC", "TRANS_CHECK_MAX_TIME_TOPIC",
                                 "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT" };
    for (gsize i = 0; i < G_N_ELEMENTS(forbidden); i++) {
        g_autofree gchar *want = g_strdup_printf("Sending message to topic[%s] is forbidden.",
                                                 forbidden[i]);
        RmqResponseCode c = rmq_topic_table_check_send(t, forbidden[i], &r);
        expect_code(c, r, RMQ_RESPONSE_NO_PERMISSION, want);
    }
    RmqResponseCode c = rmq_topic_table_check_send(t, "TopicTest", &r);
    expect_code(c, r, RMQ_RESPONSE_SUCCESS, NULL);
    c = rmq_topic_table_check_send(t, "TBW102", &r); /* system, but sendable */
    expect_code(c, r, RMQ_RESPONSE_SUCCESS, NULL);
    c = rmq_topic_table_check_send(t, "bad topic", &r);
    expect_code(c, r, RMQ_RESPONSE_SYSTEM_ERROR,
                "The specified topic contains illegal characters, allowing only "
                "^[%|a-zA-Z0-9_-]+$");
}

static void
test_admin_checks(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) t = default_table();
    const gchar *system[] = { "TBW102", "BenchmarkTest", "RMQ_SYS_TRACE_TOPIC",
                              "SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC",
                              "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT", "rmq_sys_anything",
                              "DefaultCluster", "broker-a", "DefaultCluster_REPLY_TOPIC" };
    for (gsize i = 0; i < G_N_ELEMENTS(system); i++) {
        gchar *r = NULL;
        g_autofree gchar *want =
            g_strdup_printf("The topic[%s] is conflict with system topic.", system[i]);
        RmqResponseCode c = rmq_topic_table_check_admin(t, system[i], &r);
        expect_code(c, r, RMQ_RESPONSE_SYSTEM_ERROR, want);
        assert_true(rmq_topic_table_is_system_topic(t, system[i]));
    }
    gchar *r = NULL;
    RmqResponseCode c = rmq_topic_table_check_admin(t, "TopicTest", &r);
    expect_code(c, r, RMQ_RESPONSE_SUCCESS, NULL);
    assert_false(rmq_topic_table_is_system_topic(t, "TopicTest"));
    assert_false(rmq_topic_table_is_system_topic(t, "%RETRY%g"));
    c = rmq_topic_table_check_admin(t, "", &r);
    expect_code(c, r, RMQ_RESPONSE_SYSTEM_ERROR, "The specified topic is blank.");

    g_autoptr(GPtrArray) sys = rmq_topic_table_system_topics(t);
    gboolean has_broker = FALSE, has_trans = FALSE;
    for (guint i = 0; i < sys->len; i++) {
        has_broker |= strcmp(sys->pdata[i], "broker-a") == 0;
        has_trans |= strcmp(sys->pdata[i], "RMQ_SYS_TRANS_HALF_TOPIC") == 0;
    }
    assert_true(has_broker);
    assert_true(has_trans);
}

static void
test_version_bumps_exactly_on_change(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) t = default_table();
    const RmqDataVersion *v = rmq_topic_table_version(t);
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new("T");
    assert_true(rmq_topic_table_update(t, tc));
    assert_int_equal(v->counter, 1);
    assert_false(rmq_topic_table_update(t, tc)); /* identical */
    assert_int_equal(v->counter, 1);
    tc->perm = 4;
    assert_true(rmq_topic_table_update(t, tc));
    assert_int_equal(v->counter, 2);
    tc->order = TRUE;
    assert_true(rmq_topic_table_update(t, tc));
    assert_int_equal(v->counter, 3);
    assert_false(rmq_topic_table_delete(t, "Missing"));
    assert_int_equal(v->counter, 3);
    assert_true(rmq_topic_table_delete(t, "T"));
    assert_int_equal(v->counter, 4);
    assert_null(rmq_topic_table_lookup(t, "T"));
    gboolean created = TRUE;
    assert_non_null(rmq_topic_table_ensure(t, "SELF_TEST_TOPIC", 3, 6, 0, &created));
    assert_false(created);
    assert_int_equal(v->counter, 4);
    assert_non_null(rmq_topic_table_ensure(t, "%DLQ%g", 1, 6, 0, &created));
    assert_true(created);
    assert_int_equal(v->counter, 5);
}

/* A table of broker-a in DefaultCluster, auto-creation as asked. */
static RmqTopicTable *
broker_a_table(gboolean auto_create)
{
    RmqTopicTableOptions o;
    rmq_topic_table_options_init(&o);
    o.cluster_name = "DefaultCluster";
    o.broker_name = "broker-a";
    o.auto_create_topic_enable = auto_create;
    return rmq_topic_table_new(&o);
}

/* The send path keeps the config this lookup answers while
 * rmq_topic_table_changes stays the same: the lookup itself must see an
 * update (a new config), a delete (auto-create off: refused) and a
 * replacing load (ASan would catch a freed config handed out). */
static void
test_send_lookup_sees_changes(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) t = broker_a_table(FALSE);
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new("Hot");
    tc->read_queue_nums = tc->write_queue_nums = 4;
    assert_true(rmq_topic_table_update(t, tc));
    const RmqTopicConfig *a =
        rmq_topic_table_get_or_create_for_send(t, "Hot", "TBW102", 4, 0, NULL, NULL);
    assert_non_null(a);
    assert_ptr_equal(a, rmq_topic_table_get_or_create_for_send(t, "Hot", "TBW102", 4, 0, NULL,
                                                               NULL));
    assert_int_equal(a->write_queue_nums, 4);
    tc->read_queue_nums = tc->write_queue_nums = 8;
    assert_true(rmq_topic_table_update(t, tc));
    const RmqTopicConfig *b =
        rmq_topic_table_get_or_create_for_send(t, "Hot", "TBW102", 4, 0, NULL, NULL);
    assert_non_null(b);
    assert_int_equal(b->write_queue_nums, 8);
    assert_ptr_equal(b, rmq_topic_table_lookup(t, "Hot"));
    assert_true(rmq_topic_table_delete(t, "Hot"));
    g_autofree gchar *remark = NULL;
    assert_null(rmq_topic_table_get_or_create_for_send(t, "Hot", "TBW102", 4, 0, NULL, &remark));
    assert_true(rmq_topic_table_update(t, tc));
    assert_ptr_equal(rmq_topic_table_get_or_create_for_send(t, "Hot", "TBW102", 4, 0, NULL, NULL),
                     rmq_topic_table_lookup(t, "Hot"));
    /* a replacing load without it */
    g_autoptr(JsonNode) root = json_from_string("{\"topicConfigTable\":{}}", NULL);
    assert_non_null(root);
    assert_true(rmq_topic_table_load_node(t, root, TRUE, NULL));
    g_free(g_steal_pointer(&remark));
    assert_null(rmq_topic_table_get_or_create_for_send(t, "Hot", "TBW102", 4, 0, NULL, &remark));
}

/* rmq_topic_table_changes moves with every entry added, replaced or
 * removed and with a replacing load, never with a lookup. */
static void
test_changes_count(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) t = broker_a_table(TRUE);
    guint64 c = rmq_topic_table_changes(t);
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new("C1");
    assert_true(rmq_topic_table_update(t, tc));
    assert_true(rmq_topic_table_changes(t) > c);
    c = rmq_topic_table_changes(t);
    assert_non_null(rmq_topic_table_lookup(t, "C1"));
    assert_non_null(rmq_topic_table_get_or_create_for_send(t, "C1", "TBW102", 4, 0, NULL, NULL));
    assert_null(rmq_topic_table_lookup(t, "C2"));
    assert_int_equal(rmq_topic_table_changes(t), c);
    gboolean created = FALSE;
    assert_non_null(rmq_topic_table_get_or_create_for_send(t, "C2", "TBW102", 4, 0, &created, NULL));
    assert_true(created);
    assert_true(rmq_topic_table_changes(t) > c);
    c = rmq_topic_table_changes(t);
    tc->perm = RMQ_PERM_READ;
    assert_true(rmq_topic_table_update(t, tc));
    assert_true(rmq_topic_table_changes(t) > c);
    c = rmq_topic_table_changes(t);
    assert_true(rmq_topic_table_delete(t, "C1"));
    assert_true(rmq_topic_table_changes(t) > c);
    c = rmq_topic_table_changes(t);
    g_autoptr(JsonNode) root = json_from_string("{\"topicConfigTable\":{}}", NULL);
    assert_true(rmq_topic_table_load_node(t, root, TRUE, NULL));
    assert_true(rmq_topic_table_changes(t) > c);
}

static void
test_is_retry(void **state)
{
    (void)state;
    assert_true(rmq_topic_is_retry("%RETRY%G"));
    assert_true(rmq_topic_is_retry("%RETRY%"));
    assert_false(rmq_topic_is_retry("%RETRY"));
    assert_false(rmq_topic_is_retry("%DLQ%G"));
    assert_false(rmq_topic_is_retry("RETRY%G"));
    assert_false(rmq_topic_is_retry("%retry%G"));
    assert_false(rmq_topic_is_retry(""));
    assert_false(rmq_topic_is_retry(NULL));
}

static void
test_wrapper_json(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) t = default_table();
    g_autofree gchar *compact = rmq_topic_table_to_json(t, FALSE);
    assert_true(g_str_has_prefix(compact, "{\"dataVersion\":{\"counter\":0,\"timestamp\":"));
    assert_non_null(strstr(compact, ",\"topicConfigTable\":{\"BenchmarkTest\":{\"order\":false,"));
    assert_null(strchr(compact, '\n'));

    g_autofree gchar *pretty = rmq_topic_table_to_json(t, TRUE);
    assert_true(g_str_has_prefix(pretty, "{\n\t\"dataVersion\":{\n\t\t\"counter\":0,"));
    assert_non_null(strstr(pretty, "\n\t\"topicConfigTable\":{\n\t\t\"BenchmarkTest\":{\n"
                                   "\t\t\t\"order\":false,\n"));
}

static void
test_file_round_trip(void **state)
{
    (void)state;
    g_autofree gchar *dir = meta_test_tmpdir();
    g_autofree gchar *path = g_build_filename(dir, "topics.json", NULL);
    g_autoptr(RmqTopicTable) t = default_table();
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new("Orders");
    tc->order = TRUE;
    tc->read_queue_nums = 3;
    tc->write_queue_nums = 2;
    tc->perm = 4;
    tc->topic_sys_flag = 2;
    tc->filter_type = RMQ_TOPIC_FILTER_MULTI_TAG;
    rmq_topic_table_update(t, tc);
    rmq_topic_table_delete(t, "BenchmarkTest");
    g_autoptr(GError) error = NULL;
    assert_true(rmq_topic_table_save_file(t, path, &error));

    /* A restarted broker: pre-created topics, then the file over them. */
    g_autoptr(RmqTopicTable) t2 = default_table();
    assert_true(rmq_topic_table_load_file(t2, path, &error));
    assert_null(error);
    assert_true(rmq_data_version_equal(rmq_topic_table_version(t), rmq_topic_table_version(t2)));
    assert_true(rmq_topic_config_equal(rmq_topic_table_lookup(t2, "Orders"), tc));
    /* Java's load is putAll over the constructor's topics: deleted system
     * topics come back, as they do on a Java broker. */
    assert_non_null(rmq_topic_table_lookup(t2, "BenchmarkTest"));
    meta_test_rmdir(dir);
}

/* topics.json as a 4.9.7 broker writes it (fastjson PrettyFormat). */
static const gchar java_topics[] =
    "{\n"
    "\t\"dataVersion\":{\n"
    "\t\t\"counter\":5,\n"
    "\t\t\"timestamp\":1700000000123\n"
    "\t},\n"
    "\t\"topicConfigTable\":{\n"
    "\t\t\"TopicTest\":{\n"
    "\t\t\t\"order\":false,\n"
    "\t\t\t\"perm\":6,\n"
    "\t\t\t\"readQueueNums\":4,\n"
    "\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n"
    "\t\t\t\"topicName\":\"TopicTest\",\n"
    "\t\t\t\"topicSysFlag\":0,\n"
    "\t\t\t\"writeQueueNums\":4\n"
    "\t\t},\n"
    "\t\t\"%RETRY%please_rename_unique_group_name_4\":{\n"
    "\t\t\t\"order\":false,\n"
    "\t\t\t\"perm\":6,\n"
    "\t\t\t\"readQueueNums\":1,\n"
    "\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n"
    "\t\t\t\"topicName\":\"%RETRY%please_rename_unique_group_name_4\",\n"
    "\t\t\t\"topicSysFlag\":0,\n"
    "\t\t\t\"writeQueueNums\":1\n"
    "\t\t},\n"
    "\t\t\"TBW102\":{\n"
    "\t\t\t\"order\":false,\n"
    "\t\t\t\"perm\":7,\n"
    "\t\t\t\"readQueueNums\":8,\n"
    "\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n"
    "\t\t\t\"topicName\":\"TBW102\",\n"
    "\t\t\t\"topicSysFlag\":0,\n"
    "\t\t\t\"writeQueueNums\":8\n"
    "\t\t}\n"
    "\t}\n"
    "}";

static void
test_java_topics_json_loads(void **state)
{
    (void)state;
    g_autofree gchar *dir = meta_test_tmpdir();
    g_autofree gchar *path = g_build_filename(dir, "topics.json", NULL);
    meta_test_write(path, java_topics, -1);
    g_autoptr(RmqTopicTable) t = default_table();
    g_autoptr(GError) error = NULL;
    assert_true(rmq_topic_table_load_file(t, path, &error));
    assert_int_equal(rmq_topic_table_version(t)->counter, 5);
    assert_int_equal(rmq_topic_table_version(t)->timestamp, 1700000000123);
    assert_topic(t, "TopicTest", 4, 6);
    assert_topic(t, "%RETRY%please_rename_unique_group_name_4", 1, 6);
    assert_topic(t, "SCHEDULE_TOPIC_XXXX", 18, 6);
    assert_int_equal(rmq_topic_table_size(t), 10);
    meta_test_rmdir(dir);
}

static void
test_bad_file_leaves_table_untouched(void **state)
{
    (void)state;
    g_autofree gchar *dir = meta_test_tmpdir();
    g_autofree gchar *path = g_build_filename(dir, "topics.json", NULL);
    /* Second entry is broken: the first must not sneak in. */
    meta_test_write(path,
                    "{\"dataVersion\":{\"counter\":9,\"timestamp\":1},\"topicConfigTable\":{"
                    "\"A\":{\"topicName\":\"A\"},\"B\":{\"topicFilterType\":\"BOGUS\"}}}",
                    -1);
    g_autoptr(RmqTopicTable) t = default_table();
    g_autoptr(GError) error = NULL;
    assert_false(rmq_topic_table_load_file(t, path, &error));
    assert_non_null(error);
    assert_null(rmq_topic_table_lookup(t, "A"));
    assert_int_equal(rmq_topic_table_version(t)->counter, 0);
    meta_test_rmdir(dir);
}

static JsonObject *
body_topics(GBytes *body, JsonNode **keep)
{
    gsize len;
    const gchar *data = g_bytes_get_data(body, &len);
    *keep = rmq_json_parse_lenient(data, (gssize)len, NULL);
    assert_non_null(*keep);
    JsonObject *o = json_node_get_object(*keep);
    assert_int_equal(json_array_get_length(json_object_get_array_member(o, "filterServerList")), 0);
    JsonObject *w = json_object_get_object_member(o, "topicConfigSerializeWrapper");
    assert_non_null(json_object_get_object_member(w, "dataVersion"));
    return json_object_get_object_member(w, "topicConfigTable");
}

static gint64
perm_of(JsonObject *table, const gchar *topic)
{
    return json_object_get_int_member(json_object_get_object_member(table, topic), "perm");
}

static void
test_register_body(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) t = default_table();
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new("T");
    rmq_topic_table_update(t, tc);

    g_autoptr(JsonNode) n1 = NULL, n2 = NULL, n3 = NULL;
    g_autoptr(GBytes) rw = rmq_topic_table_register_body(t, 6, NULL);
    JsonObject *table = body_topics(rw, &n1);
    assert_int_equal(json_object_get_size(table), 9);
    assert_int_equal(perm_of(table, "T"), 6);
    assert_int_equal(perm_of(table, "TBW102"), 7);

    /* A read-only broker advertises every topic read-only. */
    g_autoptr(GBytes) ro = rmq_topic_table_register_body(t, 4, NULL);
    table = body_topics(ro, &n2);
    assert_int_equal(perm_of(table, "T"), 4);
    assert_int_equal(perm_of(table, "TBW102"), 4);
    /* ...without touching the table itself. */
    assert_int_equal(rmq_topic_table_lookup(t, "TBW102")->perm, 7);

    g_autoptr(GBytes) one = rmq_topic_table_register_body(t, 7, "T");
    table = body_topics(one, &n3);
    assert_int_equal(json_object_get_size(table), 1);
    assert_int_equal(perm_of(table, "T"), 6);
}

static void
test_sync_from_master(void **state)
{
    (void)state;
    g_autoptr(RmqTopicTable) master = default_table();
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new("OnlyOnMaster");
    rmq_topic_table_update(master, tc);
    rmq_topic_table_delete(master, "BenchmarkTest");
    g_autofree gchar *body = rmq_topic_table_to_json(master, FALSE);

    RmqTopicTableOptions o;
    rmq_topic_table_options_init(&o);
    o.broker_name = "broker-a";
    g_autoptr(RmqTopicTable) slave = rmq_topic_table_new(&o);
    g_autoptr(RmqTopicConfig) local = rmq_topic_config_new("OnlyOnSlave");
    rmq_topic_table_update(slave, local);

    gboolean changed = FALSE;
    g_autoptr(GError) error = NULL;
    assert_true(rmq_topic_table_sync_from_master(slave, body, strlen(body), &changed, &error));
    assert_true(changed);
    assert_non_null(rmq_topic_table_lookup(slave, "OnlyOnMaster"));
    assert_null(rmq_topic_table_lookup(slave, "OnlyOnSlave")); /* replaced, not merged */
    assert_null(rmq_topic_table_lookup(slave, "BenchmarkTest"));
    assert_true(rmq_data_version_equal(rmq_topic_table_version(slave),
                                       rmq_topic_table_version(master)));

    /* Same DataVersion again: nothing to do. */
    assert_true(rmq_topic_table_sync_from_master(slave, body, strlen(body), &changed, &error));
    assert_false(changed);

    assert_false(rmq_topic_table_sync_from_master(slave, "{oops", 5, &changed, &error));
    assert_non_null(error);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_system_topics_default),
        cmocka_unit_test(test_system_topics_options),
        cmocka_unit_test(test_name_rules),
        cmocka_unit_test(test_auto_create_from_tbw102),
        cmocka_unit_test(test_auto_create_from_cluster_topic),
        cmocka_unit_test(test_auto_create_refused_without_inherit),
        cmocka_unit_test(test_retry_fallback),
        cmocka_unit_test(test_auto_create_off),
        cmocka_unit_test(test_queue_id_check),
        cmocka_unit_test(test_send_checks),
        cmocka_unit_test(test_admin_checks),
        cmocka_unit_test(test_version_bumps_exactly_on_change),
        cmocka_unit_test(test_send_lookup_sees_changes),
        cmocka_unit_test(test_changes_count),
        cmocka_unit_test(test_is_retry),
        cmocka_unit_test(test_wrapper_json),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_java_topics_json_loads),
        cmocka_unit_test(test_bad_file_leaves_table_untouched),
        cmocka_unit_test(test_register_body),
        cmocka_unit_test(test_sync_from_master),
    };
    return cmocka_run_group_tests_name("topic_config", tests, NULL, NULL);
}
