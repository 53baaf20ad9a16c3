#include <config.h>

#include "common/daemon.h"
#include "common/log.h"
#include "common/notify.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    gpointer signal_watch;   /* ops->fd_watch() of the signal pipe */
    guint signal_source_id;  /* or a g_unix_fd_add() source */
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

/* Signals as GLib's g_unix_signal_add() delivers them, through one
 * descriptor instead of a GSource per signal that GLib would prepare and
 * check on every wake-up: the handler (any thread) writes the signal's
 * number into a non-blocking pipe; the loop reads what is there and acts
 * once per kind, SIGHUP, SIGINT, SIGTERM in that order, as the three
 * sources did. The daemon's ops->fd_watch puts the pipe into its poller;
 * without it, a g_unix_fd_add() source (no prepare or check). */
static int signal_pipe[2] = { -1, -1 };
static const int handled_signals[] = { SIGHUP, SIGINT, SIGTERM }; /* SIGTERM last */

static void
on_signal(int signo)
{
    int saved = errno;
    unsigned char b = (unsigned char) signo;
    ssize_t n = write(signal_pipe[1], &b, 1); /* full pipe: that kind is pending already */
    (void) n;
    errno = saved;
}

static gboolean
on_signal_pipe(gpointer user_data)
{
    RmqDaemon *daemon = user_data;
    gboolean hup = FALSE, intr = FALSE, term = FALSE;
    unsigned char buf[64];
    ssize_t n;
    while ((n = read(signal_pipe[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
        for (ssize_t i = 0; i < n; i++) {
            hup |= buf[i] == SIGHUP;
            intr |= buf[i] == SIGINT;
            term |= buf[i] == SIGTERM;
        }
    }
    if (hup)
        on_sighup(daemon);
    if (intr)
        on_sigint(daemon);
    if (term)
        on_sigterm(daemon);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_signal_pipe_fd(gint fd, GIOCondition condition, gpointer user_data)
{
    (void) fd;
    (void) condition;
    return on_signal_pipe(user_data);
}

static gboolean
signals_install(RmqDaemon *daemon, GError **error)
{
    if (signal_pipe[0] < 0) {
        if (!g_unix_open_pipe(signal_pipe, FD_CLOEXEC, error))
            return FALSE;
        if (!g_unix_set_fd_nonblocking(signal_pipe[0], TRUE, error) ||
            !g_unix_set_fd_nonblocking(signal_pipe[1], TRUE, error)) {
            close(signal_pipe[0]);
            close(signal_pipe[1]);
            signal_pipe[0] = signal_pipe[1] = -1;
            return FALSE;
        }
    }
    if (daemon->ops->fd_watch != NULL)
        daemon->signal_watch = daemon->ops->fd_watch(signal_pipe[0], on_signal_pipe, daemon);
    else
        daemon->signal_source_id = g_unix_fd_add(signal_pipe[0], G_IO_IN, on_signal_pipe_fd, daemon);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (gsize i = 0; i < G_N_ELEMENTS(handled_signals); i++)
        sigaction(handled_signals[i], &sa, NULL);
    return TRUE;
}

/* Start failed: the default actions come back (as removing the sources did). */
static void
signals_uninstall(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(handled_signals); i++)
        signal(handled_signals[i], SIG_DFL);
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
    if (daemon->signal_watch != NULL)
        daemon->ops->fd_unwatch(daemon->signal_watch);
    g_clear_handle_id(&daemon->signal_source_id, g_source_remove);
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
    if (!signals_install(daemon, &error)) {
        rmq_log_event(G_LOG_LEVEL_CRITICAL, RMQ_MSGID_CONFIG_ERROR,
                      "MESSAGE", "cannot start: %s", error->message);
        daemon_free(daemon);
        return 1;
    }

    daemon->starting = TRUE;
    gboolean started = ops->start(daemon, &error);
    daemon->starting = FALSE;
    if (!started) {
        rmq_log_event(G_LOG_LEVEL_CRITICAL, RMQ_MSGID_CONFIG_ERROR,
                      "MESSAGE", "cannot start: %s", error->message);
        signals_uninstall();
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

    /* The handlers stay until the process exits (only the watch goes, in
     * daemon_free): putting back the default action would let a second
     * SIGTERM during the last teardown end the process by signal instead of
     * exit 0. */
    int code = daemon->exit_code;
    rmq_log_event(G_LOG_LEVEL_MESSAGE, RMQ_MSGID_STOPPED,
                  "MESSAGE", "%s stopped", ops->program);
    daemon_free(daemon);
    return code;
}
