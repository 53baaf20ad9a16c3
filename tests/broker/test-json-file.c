/* Crash-safe JSON files: tmp + fsync + .bak + rename, and loads that fall
 * back to the .bak whatever state a crash left. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "broker/json_file.h"
#include "remoting/json_body.h"

#include "meta-test-util.h"

typedef struct {
    gchar *dir;
    gchar *path;
    gint64 loaded; /* "v" of the decoded document, -1 when none */
    guint decode_calls;
} Fixture;

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->dir = meta_test_tmpdir();
    f->path = g_build_filename(f->dir, "topics.json", NULL);
    f->loaded = -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;
    meta_test_rmdir(f->dir);
    g_free(f->dir);
    g_free(f->path);
    g_free(f);
    return 0;
}

/* Accepts {"v":N} only, like a table decoder rejecting a wrong shape. */
static gboolean
decode_v(JsonNode *root, gpointer user_data, GError **error)
{
    Fixture *f = user_data;
    f->decode_calls++;
    if (!JSON_NODE_HOLDS_OBJECT(root) ||
        !json_object_has_member(json_node_get_object(root), "v")) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no v");
        return FALSE;
    }
    f->loaded = json_object_get_int_member(json_node_get_object(root), "v");
    return TRUE;
}

static gchar *
sibling(const Fixture *f, const gchar *suffix)
{
    return g_strconcat(f->path, suffix, NULL);
}

static void
save_ok(const Fixture *f, const gchar *text)
{
    g_autoptr(GError) error = NULL;
    assert_true(rmq_json_file_save(f->path, text, -1, &error));
    assert_null(error);
}

static RmqJsonFileSource
load_ok(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    RmqJsonFileSource src = 99;
    f->loaded = -1;
    gboolean ok = rmq_json_file_load(f->path, decode_v, f, &src, &error);
    if (!ok)
        fail_msg("load failed: %s", error->message);
    return src;
}

static void
test_round_trip(void **state)
{
    Fixture *f = *state;
    save_ok(f, "{\"v\":1}");
    g_autofree gchar *text = meta_test_read(f->path);
    assert_string_equal(text, "{\"v\":1}");
    assert_int_equal(load_ok(f), RMQ_JSON_FILE_SOURCE_MAIN);
    assert_int_equal(f->loaded, 1);
    g_autofree gchar *tmp = sibling(f, ".tmp");
    assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
}

static void
test_second_save_keeps_previous_as_bak(void **state)
{
    Fixture *f = *state;
    save_ok(f, "{\"v\":1}");
    g_autofree gchar *bak = sibling(f, ".bak");
    assert_false(g_file_test(bak, G_FILE_TEST_EXISTS)); /* nothing to keep yet */
    save_ok(f, "{\"v\":2}");
    save_ok(f, "{\"v\":3}");
    g_autofree gchar *main_text = meta_test_read(f->path);
    g_autofree gchar *bak_text = meta_test_read(bak);
    assert_string_equal(main_text, "{\"v\":3}");
    assert_string_equal(bak_text, "{\"v\":2}");
}

static void
test_truncated_main_falls_back_to_bak(void **state)
{
    Fixture *f = *state;
    save_ok(f, "{\"v\":1}");
    save_ok(f, "{\"v\":2,\"pad\":\"xxxxxxxx\"}");
    meta_test_write(f->path, "{\"v\":2,\"pa", -1); /* torn write */
    assert_int_equal(load_ok(f), RMQ_JSON_FILE_SOURCE_BACKUP);
    assert_int_equal(f->loaded, 1);
}

static void
test_empty_main_falls_back_to_bak(void **state)
{
    Fixture *f = *state;
    save_ok(f, "{\"v\":1}");
    save_ok(f, "{\"v\":2}");
    meta_test_write(f->path, "", 0);
    assert_int_equal(load_ok(f), RMQ_JSON_FILE_SOURCE_BACKUP);
    assert_int_equal(f->loaded, 1);
}

static void
test_wrong_shape_main_falls_back_to_bak(void **state)
{
    Fixture *f = *state;
    save_ok(f, "{\"v\":1}");
    save_ok(f, "{\"w\":2}"); /* parses, but the decoder refuses it */
    assert_int_equal(load_ok(f), RMQ_JSON_FILE_SOURCE_BACKUP);
    assert_int_equal(f->loaded, 1);
    assert_int_equal(f->decode_calls, 2);
}

static void
test_missing_main_uses_bak(void **state)
{
    Fixture *f = *state;
    save_ok(f, "{\"v\":1}");
    save_ok(f, "{\"v\":2}");
    g_unlink(f->path);
    assert_int_equal(load_ok(f), RMQ_JSON_FILE_SOURCE_BACKUP);
    assert_int_equal(f->loaded, 1);
}

static void
test_nothing_is_a_fresh_start(void **state)
{
    Fixture *f = *state;
    assert_int_equal(load_ok(f), RMQ_JSON_FILE_SOURCE_NONE);
    assert_int_equal(f->decode_calls, 0);
    assert_int_equal(f->loaded, -1);
}

static void
test_corrupt_without_bak_is_an_error(void **state)
{
    Fixture *f = *state;
    meta_test_write(f->path, "{\"v\":", -1);
    g_autoptr(GError) error = NULL;
    RmqJsonFileSource src;
    assert_false(rmq_json_file_load(f->path, decode_v, f, &src, &error));
    assert_true(g_error_matches(error, RMQ_JSON_FILE_ERROR, RMQ_JSON_FILE_ERROR_CORRUPT));
}

static void
test_corrupt_main_and_bak_is_an_error(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *bak = sibling(f, ".bak");
    meta_test_write(f->path, "not json", -1);
    meta_test_write(bak, "{", -1);
    g_autoptr(GError) error = NULL;
    assert_false(rmq_json_file_load(f->path, decode_v, f, NULL, &error));
    assert_true(g_error_matches(error, RMQ_JSON_FILE_ERROR, RMQ_JSON_FILE_ERROR_CORRUPT));
    assert_int_equal(f->loaded, -1);
}

/* Crash after the .tmp is written, before the rename: the live file is
 * still the old complete one and the stray .tmp is ignored (and replaced by
 * the next save). */
static void
test_crash_before_rename_leaves_old_state(void **state)
{
    Fixture *f = *state;
    save_ok(f, "{\"v\":1}");
    g_autofree gchar *tmp = sibling(f, ".tmp");
    meta_test_write(tmp, "{\"v\":2", -1); /* even half-written */
    assert_int_equal(load_ok(f), RMQ_JSON_FILE_SOURCE_MAIN);
    assert_int_equal(f->loaded, 1);
    save_ok(f, "{\"v\":3}");
    assert_int_equal(load_ok(f), RMQ_JSON_FILE_SOURCE_MAIN);
    assert_int_equal(f->loaded, 3);
    assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
}

/* Java's string2File deletes the file before renaming the .tmp: a crash
 * there leaves only .tmp and .bak, and the .bak must carry the load. */
static void
test_java_style_crash_window(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *tmp = sibling(f, ".tmp");
    g_autofree gchar *bak = sibling(f, ".bak");
    meta_test_write(bak, "{\"v\":7}", -1);
    meta_test_write(tmp, "{\"v\":8}", -1);
    assert_int_equal(load_ok(f), RMQ_JSON_FILE_SOURCE_BACKUP);
    assert_int_equal(f->loaded, 7);
}

/* What a Java broker wrote: fastjson pretty print, tabs, unquoted int keys. */
static void
test_java_written_file_loads(void **state)
{
    Fixture *f = *state;
    meta_test_write(f->path, "{\n\t\"offsetTable\":{0:12,1:10\n\t},\n\t\"v\":5\n}", -1);
    assert_int_equal(load_ok(f), RMQ_JSON_FILE_SOURCE_MAIN);
    assert_int_equal(f->loaded, 5);
}

static void
test_bad_empty_main_does_not_clobber_bak(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *bak = sibling(f, ".bak");
    save_ok(f, "{\"v\":1}");
    save_ok(f, "{\"v\":2}");
    meta_test_write(f->path, "", 0); /* lost to some crash */
    save_ok(f, "{\"v\":3}");
    g_autofree gchar *bak_text = meta_test_read(bak);
    assert_string_equal(bak_text, "{\"v\":1}");
}

/* A torn write can stop at any byte: every prefix must load something
 * consistent (the old document from .bak, or the new one when complete). */
static void
test_every_truncation_point_loads(void **state)
{
    Fixture *f = *state;
    const gchar *v2 = "{\n\t\"pad\":[1,2,{\"k\":\"x y\"}],\n\t\"v\":2\n}";
    save_ok(f, "{\"v\":1}");
    save_ok(f, v2);
    gsize n = strlen(v2);
    for (gsize cut = 0; cut <= n; cut++) {
        meta_test_write(f->path, v2, (gssize)cut);
        RmqJsonFileSource src = load_ok(f);
        if (cut == n) {
            assert_int_equal(src, RMQ_JSON_FILE_SOURCE_MAIN);
            assert_int_equal(f->loaded, 2);
        } else {
            if (src != RMQ_JSON_FILE_SOURCE_BACKUP)
                fail_msg("prefix of %zu bytes loaded from the main file", cut);
            assert_int_equal(f->loaded, 1);
        }
    }
}

static void
test_save_into_missing_dir_fails(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *path = g_build_filename(f->dir, "nope", "x.json", NULL);
    g_autoptr(GError) error = NULL;
    assert_false(rmq_json_file_save(path, "{}", -1, &error));
    assert_true(g_error_matches(error, RMQ_JSON_FILE_ERROR, RMQ_JSON_FILE_ERROR_IO));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_save_keeps_previous_as_bak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_main_falls_back_to_bak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_main_falls_back_to_bak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_shape_main_falls_back_to_bak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_main_uses_bak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_is_a_fresh_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_without_bak_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_main_and_bak_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_before_rename_leaves_old_state, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_java_style_crash_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_java_written_file_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_empty_main_does_not_clobber_bak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_truncation_point_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_into_missing_dir_fails, setup, teardown),
    };
    return cmocka_run_group_tests_name("json_file", tests, NULL, NULL);
}
