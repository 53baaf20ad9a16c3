/* The tools' plain-ACL key pair: file text, precedence, the environment and
 * the file-mode rule (src/tools/credentials.c). */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tools/credentials.h"

static void
test_parse(void **state)
{
    (void) state;
    RmqToolCredentials c;
    g_autoptr(GError) error = NULL;
    assert_true(rmq_tool_credentials_parse(&c, "# keys\n\n accessKey = ak1234567 \nsecretKey=s=1\n",
                                           "f", &error));
    assert_string_equal(c.access_key, "ak1234567");
    assert_string_equal(c.secret_key, "s=1"); /* only the first '=' splits */
    rmq_tool_credentials_clear(&c);
    assert_null(c.access_key);

    struct { const gchar *text, *needle; } bad[] = {
        { "accessKey=a\n", "needs both accessKey= and secretKey=" },
        { "accessKey=a\nsecretKey=\n", "needs both" },
        { "accessKey=a\nsecret=b\n", "f:2: unknown key 'secret'" },
        { "accessKey a\n", "f:1: expected accessKey=" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_clear_error(&error);
        assert_false(rmq_tool_credentials_parse(&c, bad[i].text, "f", &error));
        assert_null(c.access_key);
        assert_null(c.secret_key);
        if (strstr(error->message, bad[i].needle) == NULL)
            fail_msg("'%s': got '%s'", bad[i].text, error->message);
    }
}

static void
test_resolve(void **state)
{
    (void) state;
    RmqToolCredentials c;
    g_autoptr(GError) error = NULL;
    g_unsetenv("RMQ_ACCESS_KEY");
    g_unsetenv("RMQ_SECRET_KEY");
    assert_true(rmq_tool_credentials_resolve(&c, NULL, NULL, NULL, &error));
    assert_null(c.access_key); /* nothing given: unsigned */

    g_setenv("RMQ_ACCESS_KEY", "envKey123", TRUE);
    assert_false(rmq_tool_credentials_resolve(&c, NULL, NULL, NULL, &error));
    assert_non_null(strstr(error->message, "RMQ_ACCESS_KEY and RMQ_SECRET_KEY go together"));
    g_clear_error(&error);
    g_setenv("RMQ_SECRET_KEY", "envSecret", TRUE);
    assert_true(rmq_tool_credentials_resolve(&c, NULL, NULL, NULL, &error));
    assert_string_equal(c.access_key, "envKey123");
    rmq_tool_credentials_clear(&c);
    /* options win over the environment */
    assert_true(rmq_tool_credentials_resolve(&c, "optKey123", "optSecret", NULL, &error));
    assert_string_equal(c.access_key, "optKey123");
    assert_string_equal(c.secret_key, "optSecret");
    rmq_tool_credentials_clear(&c);
    assert_false(rmq_tool_credentials_resolve(&c, "optKey123", NULL, NULL, &error));
    assert_non_null(strstr(error->message, "go together"));
    g_clear_error(&error);

    /* the file: refused unless only its owner may read it */
    g_autofree gchar *dir = g_dir_make_tmp("rmq-cred-XXXXXX", NULL);
    g_autofree gchar *path = g_build_filename(dir, "cred", NULL);
    g_assert(g_file_set_contents(path, "accessKey=fileKey12\nsecretKey=fileSecret\n", -1, NULL));
    const int modes[] = { 0644, 0640, 0604, 0660 };
    for (gsize i = 0; i < G_N_ELEMENTS(modes); i++) {
        g_assert(chmod(path, (mode_t) modes[i]) == 0);
        g_clear_error(&error);
        assert_false(rmq_tool_credentials_resolve(&c, NULL, NULL, path, &error));
        assert_non_null(strstr(error->message, "chmod 600"));
    }
    g_assert(chmod(path, 0600) == 0);
    g_clear_error(&error);
    assert_true(rmq_tool_credentials_resolve(&c, NULL, NULL, path, &error));
    assert_string_equal(c.access_key, "fileKey12"); /* the file wins over the environment */
    rmq_tool_credentials_clear(&c);
    assert_false(rmq_tool_credentials_resolve(&c, "optKey123", "optSecret", path, &error));
    assert_non_null(strstr(error->message, "cannot be combined"));
    g_clear_error(&error);
    g_autofree gchar *missing = g_build_filename(dir, "none", NULL);
    assert_false(rmq_tool_credentials_resolve(&c, NULL, NULL, missing, &error));
    assert_non_null(strstr(error->message, "No such file"));
    g_unlink(path);
    g_rmdir(dir);
    g_unsetenv("RMQ_ACCESS_KEY");
    g_unsetenv("RMQ_SECRET_KEY");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
