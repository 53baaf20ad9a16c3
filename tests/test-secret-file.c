/* common/secret_file: a secret read from a file only its owner may read. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib/gstdio.h>

#include "common/secret_file.h"

static gchar *dir;

static gchar *
write_secret(const gchar *name, const gchar *text, int mode)
{
    gchar *path = g_build_filename(dir, name, NULL);
    g_assert(g_file_set_contents(path, text, -1, NULL));
    g_assert(g_chmod(path, mode) == 0);
    return path;
}

static void
refused(const gchar *path, const gchar *why)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *s = rmq_secret_file_read(path, &error);
    assert_null(s);
    assert_non_null(error);
    if (strstr(error->message, why) == NULL || strstr(error->message, path) == NULL)
        fail_msg("'%s' lacks '%s' or the path", error->message, why);
}

static void
test_secret_file(void **state)
{
    (void) state;
    dir = g_dir_make_tmp("rmq-secret-XXXXXX", NULL);
    g_autofree gchar *ok = write_secret("ok", "  s3cret-Value \nsecond line\n", 0600);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *s = rmq_secret_file_read(ok, &error);
    assert_string_equal(s, "s3cret-Value");
    g_autofree gchar *ro = write_secret("ro", "readonly1", 0400);
    g_autofree gchar *s2 = rmq_secret_file_read(ro, &error);
    assert_string_equal(s2, "readonly1");

    g_autofree gchar *open_ = write_secret("open", "s3cret", 0644);
    refused(open_, "chmod 600");
    g_autofree gchar *group = write_secret("group", "s3cret", 0640);
    refused(group, "chmod 600");
    g_autofree gchar *empty = write_secret("empty", " \n", 0600);
    refused(empty, "empty");
    g_autofree gchar *big_text = g_strnfill(RMQ_SECRET_FILE_MAX + 10, 'x');
    g_autofree gchar *big = write_secret("big", big_text, 0600);
    refused(big, "too large");
    g_autofree gchar *missing = g_build_filename(dir, "missing", NULL);
    refused(missing, "No such file");
    g_autofree gchar *link = g_build_filename(dir, "link", NULL);
    g_assert(symlink(ok, link) == 0);
    g_autofree gchar *s3 = rmq_secret_file_read(link, &error);
    assert_string_equal(s3, "s3cret-Value"); /* the file's mode counts */
    g_autofree gchar *openlink = g_build_filename(dir, "openlink", NULL);
    g_assert(symlink(open_, openlink) == 0);
    refused(openlink, "chmod 600");
    refused(dir, "not a regular file");

    const gchar *names[] = { "ok", "ro", "open", "group", "empty", "big", "link", "openlink" };
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree gchar *p = g_build_filename(dir, names[i], NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
    g_free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_file),
    };
    return cmocka_run_group_tests_name("secret-file", tests, NULL, NULL);
}
