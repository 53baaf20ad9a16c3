/* KV config store: get/put/delete, KVTable body, persistence across
 * instances, atomic replace (no temp file left), Java-written files,
 * broken files. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "support/daemon-harness.h"
#include "namesrv/kvconfig.h"

typedef struct {
    gchar *dir;
    gchar *path;
} Fixture;

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->dir = g_dir_make_tmp("rmq-kvconfig-XXXXXX", NULL);
    assert_non_null(f->dir);
    /* A subdirectory that does not exist yet: persist must create it. */
    f->path = g_build_filename(f->dir, "namesrv", "kvConfig.json", NULL);
    *state = f;
    return 0;
}


static int
teardown(void **state)
{
    Fixture *f = *state;
    rmq_test_rm_rf(f->dir);
    g_free(f->dir);
    g_free(f->path);
    g_free(f);
    return 0;
}

static void
test_put_get_delete(void **state)
{
    Fixture *f = *state;
    g_autoptr(RmqKvConfig) kv = rmq_kvconfig_new(f->path);
    g_autoptr(GError) err = NULL;
    assert_true(rmq_kvconfig_load(kv, &err)); /* missing file = empty */
    assert_null(rmq_kvconfig_get(kv, "ns", "k"));

    assert_true(rmq_kvconfig_put(kv, "ns", "k", "v1", &err));
    assert_string_equal(rmq_kvconfig_get(kv, "ns", "k"), "v1");
    assert_true(rmq_kvconfig_put(kv, "ns", "k", "v2", &err));
    assert_string_equal(rmq_kvconfig_get(kv, "ns", "k"), "v2");
    assert_null(rmq_kvconfig_get(kv, "other", "k"));
    assert_true(rmq_kvconfig_put(kv, "ns", "k2", "x", &err));

    g_autoptr(GBytes) table = rmq_kvconfig_get_table(kv, "ns");
    assert_non_null(table);
    g_autoptr(JsonParser) p = json_parser_new();
    gsize n;
    const gchar *data = g_bytes_get_data(table, &n);
    assert_true(json_parser_load_from_data(p, data, (gssize) n, NULL));
    JsonObject *t = json_object_get_object_member(json_node_get_object(json_parser_get_root(p)),
                                                  "table");
    assert_int_equal(json_object_get_size(t), 2);
    assert_string_equal(json_object_get_string_member(t, "k"), "v2");
    assert_null(rmq_kvconfig_get_table(kv, "missing"));

    assert_true(rmq_kvconfig_delete(kv, "ns", "k", &err));
    assert_null(rmq_kvconfig_get(kv, "ns", "k"));
    assert_true(rmq_kvconfig_delete(kv, "ns", "never", &err));
    assert_true(rmq_kvconfig_delete(kv, "ns", "k2", &err));
    assert_null(rmq_kvconfig_get_table(kv, "ns"));
    assert_int_equal(rmq_kvconfig_namespace_count(kv), 0);
}

static void
test_persist_and_reload(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) err = NULL;
    {
        g_autoptr(RmqKvConfig) kv = rmq_kvconfig_new(f->path);
        assert_true(rmq_kvconfig_put(kv, "ORDER_TOPIC_CONFIG", "TopicOrder", "broker-a:4", &err));
        assert_true(rmq_kvconfig_put(kv, "ns2", "quote\"key", "line\nbreak", &err));
    }
    g_autofree gchar *tmp = g_strconcat(f->path, ".tmp", NULL);
    assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));

    g_autofree gchar *text = NULL;
    assert_true(g_file_get_contents(f->path, &text, NULL, NULL));
    assert_non_null(strstr(text, "\"configTable\""));
    assert_non_null(strstr(text, "\"ORDER_TOPIC_CONFIG\":{\"TopicOrder\":\"broker-a:4\"}"));

    g_autoptr(RmqKvConfig) again = rmq_kvconfig_new(f->path);
    assert_true(rmq_kvconfig_load(again, &err));
    assert_string_equal(rmq_kvconfig_get(again, "ORDER_TOPIC_CONFIG", "TopicOrder"),
                        "broker-a:4");
    assert_string_equal(rmq_kvconfig_get(again, "ns2", "quote\"key"), "line\nbreak");
}

static void
test_java_file_and_errors(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) err = NULL;
    g_autofree gchar *dir = g_path_get_dirname(f->path);
    g_mkdir_with_parents(dir, 0700);
    /* Pretty-printed, as an operator might leave it; a number value too. */
    const gchar *java = "{\n\t\"configTable\":{\n\t\t\"A\":{\"x\":\"1\",\"n\":5}\n\t}\n}\n";
    assert_true(g_file_set_contents(f->path, java, -1, NULL));
    g_autoptr(RmqKvConfig) kv = rmq_kvconfig_new(f->path);
    assert_true(rmq_kvconfig_load(kv, &err));
    assert_string_equal(rmq_kvconfig_get(kv, "A", "x"), "1");
    assert_string_equal(rmq_kvconfig_get(kv, "A", "n"), "5");

    /* A broken file fails the load and keeps what was there. */
    assert_true(g_file_set_contents(f->path, "{\"configTable\":", -1, NULL));
    assert_false(rmq_kvconfig_load(kv, &err));
    assert_true(g_error_matches(err, RMQ_KVCONFIG_ERROR, RMQ_KVCONFIG_ERROR_PARSE));
    assert_string_equal(rmq_kvconfig_get(kv, "A", "x"), "1");
    g_clear_error(&err);

    /* Persisting where a directory cannot be created reports an I/O error. */
    g_autofree gchar *blocker = g_build_filename(f->dir, "file", NULL);
    assert_true(g_file_set_contents(blocker, "x", -1, NULL));
    g_autofree gchar *bad = g_build_filename(blocker, "sub", "kv.json", NULL);
    g_autoptr(RmqKvConfig) kb = rmq_kvconfig_new(bad);
    assert_false(rmq_kvconfig_put(kb, "a", "b", "c", &err));
    assert_true(g_error_matches(err, RMQ_KVCONFIG_ERROR, RMQ_KVCONFIG_ERROR_IO));
    assert_string_equal(rmq_kvconfig_get(kb, "a", "b"), "c");
}

static void
test_memory_only(void **state)
{
    (void) state;
    g_autoptr(RmqKvConfig) kv = rmq_kvconfig_new(NULL);
    assert_true(rmq_kvconfig_load(kv, NULL));
    assert_true(rmq_kvconfig_put(kv, "a", "b", "c", NULL));
    assert_string_equal(rmq_kvconfig_get(kv, "a", "b"), "c");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persist_and_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_java_file_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_only, setup, teardown),
    };
    return cmocka_run_group_tests_name("kvconfig", tests, NULL, NULL);
}
