#include <config.h>

#include "common/daemon.h"
#include "common/log.h"
#include "common/notify.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_INTERVAL_S 5
/* sysexits.h EX_CONFIG: the units say RestartPreventExitStatus=78, so a broken
 * file is not restarted in a loop; other start failures (a port still taken)
 * exit 1 and may be retried. */
#define EXIT_CONFIG 78

struct _RmqDaemon {
    const RmqDaemonOps *ops;
    gchar *config_path;  /* NULL: built-in defaults */
    gchar *instance;
    RmqConfig *config;
    GMainLoop *loop;
    gpointer data;
    int exit_code;
    gboolean stopping;
    /* ops->start() may iterate the main context (a synchronous request):
     * signals that arrive meanwhile are acted on once it has returned */
    gboolean starting;
    const gchar *pending_stop; /* "SIGTERM" / "SIGINT" received while starting */
    gboolean pending_reload;
    gboolean stopped;          /* rmq_daemon_stopped() was called */
    guint watchdog_id;
    guint status_id;
};

static void
timeout_clear(RmqDaemon *daemon, guint *id)
{
    if (*id == 0)
        return;
    if (daemon->ops->timeout_remove != NULL)
        daemon->ops->timeout_remove(*id);
    else
        g_source_remove(*id);
    *id = 0;
}

const RmqConfig *
rmq_daemon_get_config(RmqDaemon *daemon)
{
    return daemon->config;
}

const gchar *
rmq_daemon_get_instance(RmqDaemon *daemon)
{
    return daemon->instance;
}

void
rmq_daemon_set_data(RmqDaemon *daemon, gpointer data)
{
    daemon->data = data;
}

gpointer
rmq_daemon_get_data(RmqDaemon *daemon)
{
    return daemon->data;
}

static gchar *
current_status(RmqDaemon *daemon)
{
    gchar *status = daemon->ops->status ? daemon->ops->status(daemon) : NULL;
    return status ? status : g_strdup("running");
}

void
rmq_daemon_update_status(RmqDaemon *daemon)
{
    if (daemon->stopping)
        return;
    g_autofree gchar *status = current_status(daemon);
    rmq_notify_status(status);
}

static gboolean
on_status_timer(gpointer user_data)
{
    rmq_daemon_update_status(user_data);
    return G_SOURCE_CONTINUE;
}

void
rmq_daemon_stopped(RmqDaemon *daemon)
{
    /* may come before the loop runs (a stop asked for while starting) */
    daemon->stopped = TRUE;
    if (daemon->loop && g_main_loop_is_running(daemon->loop))
        g_main_loop_quit(daemon->loop);
}

static void
begin_stop(RmqDaemon *daemon, const gchar *why)
{
    if (daemon->stopping)
        return;
    daemon->stopping = TRUE;
    g_message("stopping (%s)", why);
    rmq_notify_stopping(why);
    timeout_clear(daemon, &daemon->status_id);
    if (daemon->ops->stop)
        daemon->ops->stop(daemon);
    else
        rmq_daemon_stopped(daemon);
}

void
rmq_daemon_fail(RmqDaemon *daemon, int exit_code, const gchar *reason)
{
    g_critical("fatal: %s", reason);
    daemon->exit_code = exit_code;
    begin_stop(daemon, reason);
}

static void
request_stop(RmqDaemon *daemon, const gchar *why)
{
    if (daemon->starting) {
        if (daemon->pending_stop == NULL)
            daemon->pending_stop = why;
        return;
    }
    begin_stop(daemon, why);
}

static gboolean
on_sigterm(gpointer user_data)
{
    request_stop(user_data, "SIGTERM");
    return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint(gpointer user_data)
{
    request_stop(user_data, "SIGINT");
    return G_SOURCE_CONTINUE;
}

static void
log_warnings(GPtrArray *warnings)
{
    for (guint i = 0; i < warnings->len; i++)
        g_warning("%s", (const gchar *) g_ptr_array_index(warnings, i));
}

/* SIGHUP: parse into a new config, validate, swap only what may change at
 * runtime. On any failure the running config stays and STATUS= says why. */
static void
reload(RmqDaemon *daemon)
{
    if (!daemon->config_path) {
        g_message("reload requested, but running on built-in defaults: nothing to reload");
        return;
    }
    rmq_notify_reloading();
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConfig) fresh = rmq_config_load(daemon->config_path, daemon->ops->scope,
                                                 warnings, &error);
    log_warnings(warnings);
    if (!fresh) {
        rmq_log_event(G_LOG_LEVEL_WARNING, RMQ_MSGID_CONFIG_ERROR,
                      "MESSAGE", "reload failed, keeping the running configuration: %s",
                      error->message);
        g_autofree gchar *status = g_strdup_printf("reload failed: %s", error->message);
        rmq_notify_ready(status);
        return;
    }
    const RmqConfig *running = daemon->config;
    if (daemon->ops->running_config != NULL && daemon->ops->running_config(daemon) != NULL)
        running = daemon->ops->running_config(daemon);
    g_autoptr(GPtrArray) restart = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(RmqConfig) merged = rmq_config_merge_reloadable(running, fresh, restart);
    for (guint i = 0; i < restart->len; i++)
        g_warning("%s changed in %s; it takes effect only after a restart",
                  (const gchar *) g_ptr_array_index(restart, i), daemon->config_path);

    /* Described before the service applies it: that may free @running. */
    g_autofree gchar *changes = rmq_config_describe_changes(running, merged);
    if (daemon->ops->reload && !daemon->ops->reload(daemon, merged, &error)) {
        rmq_log_event(G_LOG_LEVEL_WARNING, RMQ_MSGID_CONFIG_ERROR,
                      "MESSAGE", "reload refused, keeping the running configuration: %s",
                      error->message);
        g_autofree gchar *status = g_strdup_printf("reload failed: %s", error->message);
        rmq_notify_ready(status);
        return;
    }
    rmq_config_free(daemon->config);
    daemon->config = g_steal_pointer(&merged);
    rmq_log_event(G_LOG_LEVEL_MESSAGE, RMQ_MSGID_RELOADED,
                  "MESSAGE", "configuration reloaded from %s: %s", daemon->config_path,
                  changes != NULL ? changes : "no change applied");
    g_autofree gchar *status = current_status(daemon);
    rmq_notify_ready(status);
}

static gboolean
on_sighup(gpointer user_data)
{
    RmqDaemon *daemon = user_data;
    if (daemon->starting)
        daemon->pending_reload = TRUE;
    else if (!daemon->stopping)
        reload(daemon);
    return G_SOURCE_CONTINUE;
}

static gchar *
instance_from_path(const gchar *path, const gchar *program)
{
    if (!path)
        return g_strdup(program);
    g_autofree gchar *base = g_path_get_basename(path);
    gchar *dot = strrchr(base, '.');
    if (dot && dot != base)
        *dot = '\0';
    return g_strdup(base);
}

static void
daemon_free(RmqDaemon *daemon)
{
    timeout_clear(daemon, &daemon->watchdog_id);
    timeout_clear(daemon, &daemon->status_id);
    g_clear_pointer(&daemon->loop, g_main_loop_unref);
    g_clear_pointer(&daemon->config, rmq_config_free);
    g_free(daemon->config_path);
    g_free(daemon->instance);
    g_free(daemon);
}

int
rmq_daemon_main(const RmqDaemonOps *ops, int argc, char **argv)
{
    gchar *opt_config = NULL, *opt_instance = NULL;
    gboolean opt_check = FALSE, opt_convert = FALSE, opt_verbose = FALSE, opt_version = FALSE;
    GOptionEntry entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
          "Configuration file (libconfig .conf, or a RocketMQ .properties file)", "FILE" },
        { "instance", 'i', 0, G_OPTION_ARG_STRING, &opt_instance,
          "Instance name, used in logs (default: the config file's base name)", "NAME" },
        { "check-config", 't', 0, G_OPTION_ARG_NONE, &opt_check,
          "Validate the configuration and exit", NULL },
        { "convert-config", 0, 0, G_OPTION_ARG_NONE, &opt_convert,
          "Print the configuration's keys as a .conf file (e.g. from a .properties file) and exit", NULL },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Log debug messages", NULL },
        { "version", 'V', 0, G_OPTION_ARG_NONE, &opt_version, "Print the version and exit", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_option_context_set_summary(ctx, ops->summary);
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "%s: %s\n", ops->program, error->message);
        return 2;
    }
    if (opt_version) {
        printf("%s %s (RocketMQ 4.9.7 remoting protocol)\n", ops->program, PACKAGE_VERSION);
        return 0;
    }

    RmqDaemon *daemon = g_new0(RmqDaemon, 1);
    daemon->ops = ops;
    daemon->config_path = opt_config;
    daemon->instance = opt_instance ? opt_instance : instance_from_path(opt_config, ops->program);
    rmq_log_init(ops->program, daemon->instance, opt_verbose);

    /* Configuration: any error names file, line and key and ends the process
     * before READY=1, so `systemctl start` fails with the reason in the journal. */
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    if (daemon->config_path)
        daemon->config = rmq_config_load(daemon->config_path, ops->scope, warnings, &error);
    else
        daemon->config = rmq_config_new_defaults(ops->scope);
    if (opt_check || opt_convert) {
        for (guint i = 0; i < warnings->len; i++)
            fprintf(stderr, "%s: warning: %s\n", ops->program,
                    (const gchar *) g_ptr_array_index(warnings, i));
    } else {
        log_warnings(warnings);
    }
    if (!daemon->config) {
        if (opt_check || opt_convert)
            fprintf(stderr, "%s: %s\n", ops->program, error->message);
        else
            rmq_log_event(G_LOG_LEVEL_CRITICAL, RMQ_MSGID_CONFIG_ERROR,
                          "MESSAGE", "invalid configuration: %s", error->message);
        daemon_free(daemon);
        return EXIT_CONFIG;
    }
    if (opt_check && ops->check != NULL && !ops->check(daemon->config, &error)) {
        fprintf(stderr, "%s: %s\n", ops->program, error->message);
        daemon_free(daemon);
        return EXIT_CONFIG;
    }
    if (opt_check) {
        printf("%s: configuration %s is valid\n", ops->program,
               daemon->config_path ? daemon->config_path : "(built-in defaults)");
        daemon_free(daemon);
        return 0;
    }
    if (opt_convert) {
        g_autofree gchar *text = rmq_config_to_libconfig(daemon->config);
        fputs(text, stdout);
        daemon_free(daemon);
        return 0;
    }

    /* Signals are handled on the loop: the handlers may take locks and log. */
    signal(SIGPIPE, SIG_IGN);
    daemon->loop = g_main_loop_new(NULL, FALSE);
    /* SIGHUP first, SIGTERM last: once SIGTERM is caught (what systemd and
     * the tests can see in /proc), a reload can no longer kill the process
     * with the default action. */
    guint sig_ids[3];
    sig_ids[0] = g_unix_signal_add(SIGHUP, on_sighup, daemon);
    sig_ids[1] = g_unix_signal_add(SIGINT, on_sigint, daemon);
    sig_ids[2] = g_unix_signal_add(SIGTERM, on_sigterm, daemon);

    daemon->starting = TRUE;
    gboolean started = ops->start(daemon, &error);
    daemon->starting = FALSE;
    if (!started) {
        rmq_log_event(G_LOG_LEVEL_CRITICAL, RMQ_MSGID_CONFIG_ERROR,
                      "MESSAGE", "cannot start: %s", error->message);
        for (gsize i = 0; i < G_N_ELEMENTS(sig_ids); i++)
            g_source_remove(sig_ids[i]);
        daemon_free(daemon);
        /* a file the configuration names is broken (plain_acl.yml): 78 too */
        return g_error_matches(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID) ? EXIT_CONFIG : 1;
    }

    g_autofree gchar *status = current_status(daemon);
    rmq_log_event(G_LOG_LEVEL_MESSAGE, RMQ_MSGID_STARTED,
                  "MESSAGE", "%s %s started (%s)", ops->program, PACKAGE_VERSION,
                  daemon->config_path ? daemon->config_path : "built-in defaults");
    rmq_notify_ready(status);
    if (ops->timeout_add != NULL) {
        daemon->watchdog_id = rmq_notify_watchdog_start_full(ops->timeout_add);
        daemon->status_id = ops->timeout_add(STATUS_INTERVAL_S * 1000, on_status_timer, daemon);
    } else {
        daemon->watchdog_id = rmq_notify_watchdog_start();
        daemon->status_id = g_timeout_add_seconds(STATUS_INTERVAL_S, on_status_timer, daemon);
    }
    if (daemon->pending_stop != NULL)
        begin_stop(daemon, daemon->pending_stop);
    else if (daemon->pending_reload)
        reload(daemon);

    if (!daemon->stopped)
        g_main_loop_run(daemon->loop);

    /* The signal sources stay until the process exits: removing them puts
     * back the default action, and a second SIGTERM during the last
     * teardown would then end the process by signal instead of exit 0. */
    int code = daemon->exit_code;
    rmq_log_event(G_LOG_LEVEL_MESSAGE, RMQ_MSGID_STOPPED,
                  "MESSAGE", "%s stopped", ops->program);
    daemon_free(daemon);
    return code;
}
