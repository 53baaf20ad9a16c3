/* The shared daemon lifecycle, end to end: a real process (fake-daemon) with a
 * real config file, signals, and a real notify socket standing in for systemd. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "support/notify-listener.h"

typedef struct {
    RmqNotifyListener *notify;
    gchar *dir;
    gchar *conf;
    gchar *program;
} Fixture;

static void
write_conf(Fixture *f, const gchar *text)
{
    g_assert_true(g_file_set_contents(f->conf, text, -1, NULL));
}

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->notify = rmq_notify_listener_new();
    f->dir = g_dir_make_tmp("rmq-daemon-XXXXXX", NULL);
    f->conf = g_build_filename(f->dir, "namesrv-7.conf", NULL);
    f->program = g_build_filename(g_getenv("RMQ_BUILDDIR") ? g_getenv("RMQ_BUILDDIR") : ".",
                                  "tests", "support", "fake-daemon", NULL);
    g_unsetenv("FAKE_DAEMON_FAIL_START");
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;
    rmq_notify_listener_free(f->notify);
    g_unlink(f->conf);
    g_rmdir(f->dir);
    g_free(f->conf);
    g_free(f->dir);
    g_free(f->program);
    g_free(f);
    return 0;
}

/* Run the program to completion; returns its exit status, stderr in *err. */
static int
run_sync(Fixture *f, const gchar *const *args, gchar **out, gchar **err)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, f->program);
    for (gsize i = 0; args[i]; i++)
        g_ptr_array_add(argv, (gpointer) args[i]);
    g_ptr_array_add(argv, NULL);
    gint status = 0;
    g_autoptr(GError) error = NULL;
    gboolean ok = g_spawn_sync(NULL, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, &error);
    g_assert_no_error(error);
    g_assert_true(ok);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static GPid
spawn_daemon(Fixture *f, gint *err_fd)
{
    const gchar *argv[] = { f->program, "--instance=7", "--config", f->conf, NULL };
    GPid pid = 0;
    g_autoptr(GError) error = NULL;
    g_spawn_async_with_pipes(NULL, (gchar **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                             &pid, NULL, NULL, err_fd, &error);
    g_assert_no_error(error);
    return pid;
}

static int
wait_exit(GPid pid)
{
    int status = 0;
    for (int i = 0; i < 500; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        g_usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fail_msg("daemon did not exit within 5 s");
    return -1;
}

static gchar *
read_all(int fd)
{
    GString *s = g_string_new(NULL);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        g_string_append_len(s, buf, n);
    close(fd);
    return g_string_free(s, FALSE);
}

static void
test_ready_reload_stop(void **state)
{
    Fixture *f = *state;
    write_conf(f, "listenPort = 19876;\nserverChannelMaxIdleTimeSeconds = 120;\n");
    gint err_fd = -1;
    GPid pid = spawn_daemon(f, &err_fd);

    g_autofree gchar *ready = rmq_notify_listener_wait_for(f->notify, "READY=1", 5000);
    assert_non_null(ready);
    assert_non_null(strstr(ready, "STATUS=idle=120 port=19876 instance=7"));

    /* A reloadable key changes; a restart-only key does not. */
    write_conf(f, "listenPort = 19999;\nserverChannelMaxIdleTimeSeconds = 30;\n");
    kill(pid, SIGHUP);
    g_autofree gchar *reloading = rmq_notify_listener_wait_for(f->notify, "RELOADING=1", 5000);
    assert_non_null(reloading);
    g_autofree gchar *reloaded = rmq_notify_listener_wait_for(f->notify, "READY=1", 5000);
    assert_non_null(reloaded);
    assert_non_null(strstr(reloaded, "STATUS=idle=30 port=19876"));

    /* A broken file on reload keeps the running configuration. */
    write_conf(f, "serverChannelMaxIdleTimeSeconds = \"soon\";\n");
    kill(pid, SIGHUP);
    g_autofree gchar *refused = rmq_notify_listener_wait_for(f->notify, "READY=1", 5000);
    assert_non_null(refused);
    assert_non_null(strstr(refused, "reload failed"));
    assert_non_null(strstr(refused, "serverChannelMaxIdleTimeSeconds"));

    kill(pid, SIGTERM);
    g_autofree gchar *stopping = rmq_notify_listener_wait_for(f->notify, "STOPPING=1", 5000);
    assert_non_null(stopping);
    assert_int_equal(wait_exit(pid), 0);

    g_autofree gchar *log = read_all(err_fd);
    assert_non_null(strstr(log, "listenPort changed"));
    assert_non_null(strstr(log, "fake daemon started"));
    g_spawn_close_pid(pid);
}

static void
test_broken_config_fails_before_ready(void **state)
{
    Fixture *f = *state;
    write_conf(f, "listenPort = 19876;\n\nserverChannelMaxIdleTimeSeconds = \"x\";\n");
    gint err_fd = -1;
    GPid pid = spawn_daemon(f, &err_fd);
    assert_int_equal(wait_exit(pid), 78); /* EX_CONFIG: systemd does not restart it */
    g_autofree gchar *log = read_all(err_fd);
    /* file, line and key are named */
    assert_non_null(strstr(log, "namesrv-7.conf:3"));
    assert_non_null(strstr(log, "serverChannelMaxIdleTimeSeconds"));
    g_autofree gchar *msg = rmq_notify_listener_next(f->notify, 200);
    assert_true(msg == NULL || strstr(msg, "READY=1") == NULL);
    g_spawn_close_pid(pid);
}

static void
test_start_failure_exits_nonzero(void **state)
{
    Fixture *f = *state;
    write_conf(f, "listenPort = 19876;\n");
    g_setenv("FAKE_DAEMON_FAIL_START", "1", TRUE);
    gint err_fd = -1;
    GPid pid = spawn_daemon(f, &err_fd);
    assert_int_equal(wait_exit(pid), 1);
    g_autofree gchar *log = read_all(err_fd);
    assert_non_null(strstr(log, "cannot start"));
    assert_non_null(strstr(log, "19876"));
    g_autofree gchar *msg = rmq_notify_listener_next(f->notify, 200);
    assert_true(msg == NULL || strstr(msg, "READY=1") == NULL);
    g_spawn_close_pid(pid);
}

static void
test_check_config(void **state)
{
    Fixture *f = *state;
    write_conf(f, "listenPort = 19876;\nlistenPrt = 1;\n");
    const gchar *args[] = { "--check-config", "--config", f->conf, NULL };
    g_autofree gchar *out = NULL, *err = NULL;
    assert_int_equal(run_sync(f, args, &out, &err), 0);
    assert_non_null(strstr(out, "is valid"));
    /* the unknown key is a warning with its line */
    assert_non_null(strstr(err, ":2"));
    assert_non_null(strstr(err, "listenPrt"));

    write_conf(f, "listenPort = 70000;\n");
    g_autofree gchar *out2 = NULL, *err2 = NULL;
    assert_int_equal(run_sync(f, args, &out2, &err2), 78);
    assert_non_null(strstr(err2, "listenPort"));
    assert_non_null(strstr(err2, ":1"));
}

static void
test_convert_properties(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *props = g_build_filename(f->dir, "namesrv.properties", NULL);
    g_assert_true(g_file_set_contents(props, "# Java style\nlistenPort=9875\n", -1, NULL));
    const gchar *args[] = { "--convert-config", "--config", props, NULL };
    g_autofree gchar *out = NULL, *err = NULL;
    assert_int_equal(run_sync(f, args, &out, &err), 0);
    assert_non_null(strstr(out, "listenPort = 9875;"));
    g_unlink(props);
}

static void
test_version(void **state)
{
    Fixture *f = *state;
    const gchar *args[] = { "--version", NULL };
    g_autofree gchar *out = NULL, *err = NULL;
    assert_int_equal(run_sync(f, args, &out, &err), 0);
    assert_non_null(strstr(out, PACKAGE_VERSION));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ready_reload_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_config_fails_before_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_failure_exits_nonzero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_convert_properties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version, setup, teardown),
    };
    return cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
}
