/* Consumer offsets ("topic@group" -> {queueId: offset}) and delay-level
 * offsets: commit/query/clone/remove, master merge, Java-written files with
 * unquoted integer keys. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "broker/consumer_offset.h"
#include "broker/delay_offset.h"

#include "meta-test-util.h"

static void
assert_names(GPtrArray *got, const gchar *const *want, guint n)
{
    assert_int_equal(got->len, n);
    for (guint i = 0; i < n; i++)
        assert_string_equal(got->pdata[i], want[i]);
}

static void
test_commit_query(void **state)
{
    (void)state;
    g_autoptr(RmqConsumerOffsets) t = rmq_consumer_offsets_new();
    assert_int_equal(rmq_consumer_offsets_query(t, "G", "T", 0), -1);
    rmq_consumer_offsets_commit(t, "G", "T", 0, 12);
    rmq_consumer_offsets_commit(t, "G", "T", 1, 10);
    assert_int_equal(rmq_consumer_offsets_query(t, "G", "T", 0), 12);
    assert_int_equal(rmq_consumer_offsets_query(t, "G", "T", 1), 10);
    assert_int_equal(rmq_consumer_offsets_query(t, "G", "T", 2), -1);
    assert_int_equal(rmq_consumer_offsets_query(t, "H", "T", 0), -1);
    assert_int_equal(rmq_consumer_offsets_query(t, "G", "U", 0), -1);
    /* Overwrite, also backwards (a reset). */
    rmq_consumer_offsets_commit(t, "G", "T", 0, 3);
    assert_int_equal(rmq_consumer_offsets_query(t, "G", "T", 0), 3);
    /* Large offsets survive. */
    rmq_consumer_offsets_commit(t, "G", "T", 5, G_GINT64_CONSTANT(1) << 40);
    assert_true(rmq_consumer_offsets_query(t, "G", "T", 5) == G_GINT64_CONSTANT(1) << 40);
    assert_int_equal(rmq_consumer_offsets_size(t), 1);
}

static void
test_clone(void **state)
{
    (void)state;
    g_autoptr(RmqConsumerOffsets) t = rmq_consumer_offsets_new();
    rmq_consumer_offsets_commit(t, "Src", "T", 0, 7);
    rmq_consumer_offsets_commit(t, "Src", "T", 3, 9);
    rmq_consumer_offsets_commit(t, "Dst", "T", 1, 100);
    assert_true(rmq_consumer_offsets_clone(t, "Src", "Dst", "T"));
    assert_int_equal(rmq_consumer_offsets_query(t, "Dst", "T", 0), 7);
    assert_int_equal(rmq_consumer_offsets_query(t, "Dst", "T", 3), 9);
    assert_int_equal(rmq_consumer_offsets_query(t, "Dst", "T", 1), -1); /* replaced */
    /* An independent copy. */
    rmq_consumer_offsets_commit(t, "Src", "T", 0, 8);
    assert_int_equal(rmq_consumer_offsets_query(t, "Dst", "T", 0), 7);
    assert_false(rmq_consumer_offsets_clone(t, "Nobody", "Dst", "T"));
    assert_int_equal(rmq_consumer_offsets_query(t, "Dst", "T", 0), 7);
}

static RmqConsumerOffsets *
sample(void)
{
    RmqConsumerOffsets *t = rmq_consumer_offsets_new();
    rmq_consumer_offsets_commit(t, "GroupA", "TopicTest", 0, 1);
    rmq_consumer_offsets_commit(t, "GroupB", "TopicTest", 0, 2);
    rmq_consumer_offsets_commit(t, "GroupA", "%RETRY%GroupA", 0, 3);
    rmq_consumer_offsets_commit(t, "GroupA", "TopicTest2", 0, 4);
    rmq_consumer_offsets_commit(t, "GroupAB", "TopicTest", 0, 5);
    return t;
}

static void
test_group_lists_and_removal(void **state)
{
    (void)state;
    g_autoptr(RmqConsumerOffsets) t = sample();
    g_autoptr(GPtrArray) groups = rmq_consumer_offsets_groups_of_topic(t, "TopicTest");
    const gchar *const want_groups[] = { "GroupA", "GroupAB", "GroupB" };
    assert_names(groups, want_groups, 3);
    g_autoptr(GPtrArray) none = rmq_consumer_offsets_groups_of_topic(t, "TopicTes");
    assert_int_equal(none->len, 0);
    g_autoptr(GPtrArray) topics = rmq_consumer_offsets_topics_of_group(t, "GroupA");
    const gchar *const want_topics[] = { "%RETRY%GroupA", "TopicTest", "TopicTest2" };
    assert_names(topics, want_topics, 3);

    /* Exact group match: GroupAB stays. */
    assert_int_equal(rmq_consumer_offsets_remove_group(t, "GroupA"), 3);
    assert_int_equal(rmq_consumer_offsets_query(t, "GroupA", "TopicTest", 0), -1);
    assert_int_equal(rmq_consumer_offsets_query(t, "GroupAB", "TopicTest", 0), 5);
    assert_int_equal(rmq_consumer_offsets_query(t, "GroupB", "TopicTest", 0), 2);
    assert_int_equal(rmq_consumer_offsets_remove_group(t, "GroupA"), 0);

    g_autoptr(RmqConsumerOffsets) t2 = sample();
    /* Exact topic match: TopicTest2 stays. */
    assert_int_equal(rmq_consumer_offsets_remove_topic(t2, "TopicTest"), 3);
    assert_int_equal(rmq_consumer_offsets_query(t2, "GroupA", "TopicTest2", 0), 4);
    assert_int_equal(rmq_consumer_offsets_query(t2, "GroupA", "%RETRY%GroupA", 0), 3);
    assert_int_equal(rmq_consumer_offsets_size(t2), 2);
}

static void
test_json(void **state)
{
    (void)state;
    g_autoptr(RmqConsumerOffsets) t = rmq_consumer_offsets_new();
    rmq_consumer_offsets_commit(t, "G", "T", 10, 5);
    rmq_consumer_offsets_commit(t, "G", "T", 2, 7);
    rmq_consumer_offsets_commit(t, "G", "%RETRY%G", 0, 0);
    g_autofree gchar *s = rmq_consumer_offsets_to_json(t, FALSE);
    assert_string_equal(s, "{\"offsetTable\":{\"%RETRY%G@G\":{\"0\":0},\"T@G\":{\"2\":7,\"10\":5}}}");
    g_autoptr(RmqConsumerOffsets) empty = rmq_consumer_offsets_new();
    g_autofree gchar *e = rmq_consumer_offsets_to_json(empty, FALSE);
    assert_string_equal(e, "{\"offsetTable\":{}}");
}

static void
test_file_round_trip(void **state)
{
    (void)state;
    g_autofree gchar *dir = meta_test_tmpdir();
    g_autofree gchar *path = g_build_filename(dir, "consumerOffset.json", NULL);
    g_autoptr(RmqConsumerOffsets) t = sample();
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_offsets_save_file(t, path, &error));
    g_autofree gchar *text = meta_test_read(path);
    assert_true(g_str_has_prefix(text, "{\n\t\"offsetTable\":{\n\t\t\"%RETRY%GroupA@GroupA\":{"));

    g_autoptr(RmqConsumerOffsets) t2 = rmq_consumer_offsets_new();
    rmq_consumer_offsets_commit(t2, "Stale", "T", 0, 1); /* a file load replaces */
    assert_true(rmq_consumer_offsets_load_file(t2, path, &error));
    g_autofree gchar *a = rmq_consumer_offsets_to_json(t, FALSE);
    g_autofree gchar *b = rmq_consumer_offsets_to_json(t2, FALSE);
    assert_string_equal(a, b);
    assert_int_equal(rmq_consumer_offsets_query(t2, "Stale", "T", 0), -1);

    /* Torn main file: the previous save in .bak carries the load. */
    rmq_consumer_offsets_commit(t, "GroupA", "TopicTest", 0, 99);
    assert_true(rmq_consumer_offsets_save_file(t, path, &error));
    meta_test_write(path, "{\n\t\"offsetTable\":{\n\t\t\"T@", -1);
    g_autoptr(RmqConsumerOffsets) t3 = rmq_consumer_offsets_new();
    assert_true(rmq_consumer_offsets_load_file(t3, path, &error));
    assert_int_equal(rmq_consumer_offsets_query(t3, "GroupA", "TopicTest", 0), 1);
    meta_test_rmdir(dir);
}

/* consumerOffset.json as fastjson writes it: unquoted integer keys, the
 * inner maps on one line, their closing brace on the next. */
static const gchar java_offsets[] =
    "{\n"
    "\t\"offsetTable\":{\n"
    "\t\t\"%RETRY%please_rename_unique_group_name_4@please_rename_unique_group_name_4\":{0:0\n"
    "\t\t},\n"
    "\t\t\"TopicTest@please_rename_unique_group_name_4\":{0:250,1:251,2:249,3:250\n"
    "\t\t},\n"
    "\t\t\"TopicTest@GroupA\":{0:12,1:10\n"
    "\t\t}\n"
    "\t}\n"
    "}";

static void
test_java_file_loads(void **state)
{
    (void)state;
    g_autofree gchar *dir = meta_test_tmpdir();
    g_autofree gchar *path = g_build_filename(dir, "consumerOffset.json", NULL);
    meta_test_write(path, java_offsets, -1);
    g_autoptr(RmqConsumerOffsets) t = rmq_consumer_offsets_new();
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_offsets_load_file(t, path, &error));
    assert_null(error);
    assert_int_equal(rmq_consumer_offsets_size(t), 3);
    assert_int_equal(rmq_consumer_offsets_query(t, "GroupA", "TopicTest", 0), 12);
    assert_int_equal(rmq_consumer_offsets_query(t, "GroupA", "TopicTest", 1), 10);
    const gchar *g4 = "please_rename_unique_group_name_4";
    assert_int_equal(rmq_consumer_offsets_query(t, g4, "TopicTest", 2), 249);
    assert_int_equal(rmq_consumer_offsets_query(t, g4, "%RETRY%please_rename_unique_group_name_4", 0), 0);
    meta_test_rmdir(dir);
}

static void
test_merge_from_master(void **state)
{
    (void)state;
    g_autoptr(RmqConsumerOffsets) slave = rmq_consumer_offsets_new();
    rmq_consumer_offsets_commit(slave, "GroupA", "TopicTest", 0, 1);
    rmq_consumer_offsets_commit(slave, "GroupA", "TopicTest", 7, 70);
    rmq_consumer_offsets_commit(slave, "Local", "T", 0, 5);
    /* GET_ALL_CONSUMER_OFFSET from a Java master: compact, unquoted keys. */
    const gchar body[] = "{\"offsetTable\":{\"TopicTest@GroupA\":{0:12,1:10},\"New@G\":{3:4}}}";
    g_autoptr(GError) error = NULL;
    assert_true(rmq_consumer_offsets_merge_body(slave, body, strlen(body), &error));
    assert_int_equal(rmq_consumer_offsets_query(slave, "GroupA", "TopicTest", 0), 12);
    assert_int_equal(rmq_consumer_offsets_query(slave, "GroupA", "TopicTest", 1), 10);
    /* Java's putAll replaces a key's whole queue map. */
    assert_int_equal(rmq_consumer_offsets_query(slave, "GroupA", "TopicTest", 7), -1);
    assert_int_equal(rmq_consumer_offsets_query(slave, "G", "New", 3), 4);
    assert_int_equal(rmq_consumer_offsets_query(slave, "Local", "T", 0), 5); /* kept */

    /* Garbage changes nothing. */
    const gchar *bad[] = {
        "{\"offsetTable\":{\"NoAtSign\":{0:1}}}",
        "{\"offsetTable\":{\"T@G\":{\"x\":1}}}",
        "{\"offsetTable\":{\"T@G\":{0:\"abc\"}},\"x\":1}",
        "{\"offsetTable\":{\"A@B\":{0:1},\"T@G\":[1]}}",
        "{\"offsetTable\":",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_clear_error(&error);
        if (rmq_consumer_offsets_merge_body(slave, bad[i], strlen(bad[i]), &error))
            fail_msg("accepted %s", bad[i]);
        assert_non_null(error);
    }
    assert_int_equal(rmq_consumer_offsets_query(slave, "B", "A", 0), -1);
    assert_int_equal(rmq_consumer_offsets_size(slave), 3);
}

static void
test_delay_offsets(void **state)
{
    (void)state;
    g_autoptr(RmqDelayOffsets) d = rmq_delay_offsets_new();
    gint64 off = -5;
    assert_false(rmq_delay_offsets_lookup(d, 3, &off));
    assert_int_equal(rmq_delay_offsets_get(d, 3), 0);
    rmq_delay_offsets_set(d, 3, 17);
    rmq_delay_offsets_set(d, 12, 4);
    rmq_delay_offsets_set(d, 1, 0);
    assert_true(rmq_delay_offsets_lookup(d, 3, &off));
    assert_int_equal(off, 17);
    rmq_delay_offsets_set(d, 3, 18);
    assert_int_equal(rmq_delay_offsets_get(d, 3), 18);
    assert_int_equal(rmq_delay_offsets_size(d), 3);
    g_autofree gchar *s = rmq_delay_offsets_to_json(d, FALSE);
    assert_string_equal(s, "{\"offsetTable\":{\"1\":0,\"3\":18,\"12\":4}}");

    /* Java's delayOffset.json (unquoted keys, any order), as a slave gets it. */
    const gchar java[] = "{\n\t\"offsetTable\":{12:0,6:1,2:5,3:17\n\t}\n}";
    g_autoptr(GError) error = NULL;
    assert_true(rmq_delay_offsets_load_text(d, java, strlen(java), &error));
    assert_int_equal(rmq_delay_offsets_size(d), 4);
    assert_int_equal(rmq_delay_offsets_get(d, 2), 5);
    assert_int_equal(rmq_delay_offsets_get(d, 3), 17);
    assert_false(rmq_delay_offsets_lookup(d, 1, NULL)); /* replaced, not merged */

    assert_false(rmq_delay_offsets_load_text(d, "{\"offsetTable\":{\"a\":1}}", 23, &error));
    assert_int_equal(rmq_delay_offsets_size(d), 4);

    g_autofree gchar *dir = meta_test_tmpdir();
    g_autofree gchar *path = g_build_filename(dir, "delayOffset.json", NULL);
    g_clear_error(&error);
    assert_true(rmq_delay_offsets_save_file(d, path, &error));
    g_autoptr(RmqDelayOffsets) d2 = rmq_delay_offsets_new();
    assert_true(rmq_delay_offsets_load_file(d2, path, &error));
    g_autofree gchar *a = rmq_delay_offsets_to_json(d, TRUE);
    g_autofree gchar *b = rmq_delay_offsets_to_json(d2, TRUE);
    assert_string_equal(a, b);
    assert_true(g_str_has_prefix(a, "{\n\t\"offsetTable\":{\n\t\t\"2\":5,"));
    meta_test_rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_query),
        cmocka_unit_test(test_clone),
        cmocka_unit_test(test_group_lists_and_removal),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_java_file_loads),
        cmocka_unit_test(test_merge_from_master),
        cmocka_unit_test(test_delay_offsets),
    };
    return cmocka_run_group_tests_name("consumer_offset", tests, NULL, NULL);
}
