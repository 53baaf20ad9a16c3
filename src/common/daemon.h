/* Lifecycle shared by rmq-namesrv and rmq-broker: options, config, signals
 * (through a self-pipe read on the main loop, so handlers run there), sd_notify
 * readiness/reload/stop, the watchdog, and the exit code. A daemon supplies
 * its start/reload/stop/status steps in RmqDaemonOps. */
#pragma once

#include <glib.h>
#include "common/config.h"

G_BEGIN_DECLS

typedef struct _RmqDaemon RmqDaemon;

typedef struct {
    const gchar *program;    /* "rmq-namesrv" */
    const gchar *summary;    /* one line for --help */
    RmqConfigScope scope;
    /* Build everything and start listening. Runs before READY=1; on FALSE it
     * has freed what it built, and the process exits non-zero. */
    gboolean (*start)(RmqDaemon *daemon, GError **error);
    /* A validated config after SIGHUP, already merged: only reloadable keys
     * differ from the running one. FALSE keeps the old config. */
    gboolean (*reload)(RmqDaemon *daemon, const RmqConfig *fresh, GError **error);
    /* Graceful stop, called once from the loop: stop accepting, answer what is
     * in flight, flush. Call rmq_daemon_stopped() when done (may be later). */
    void (*stop)(RmqDaemon *daemon);
    /* Optional: files the configuration names (plain_acl.yml), checked by
     * --check-config; FALSE + the error (printed, exit 78). */
    gboolean (*check)(const RmqConfig *config, GError **error);
    /* STATUS= text, refreshed every few seconds. (transfer full, may be NULL) */
    gchar *(*status)(RmqDaemon *daemon);
    /* The configuration in force, when the service changes it itself (the
     * broker's UPDATE_BROKER_CONFIG): SIGHUP compares the file against this,
     * so a value changed at run time and not in the file is reported and
     * reset, not silently. NULL: the one the daemon loaded. (transfer none) */
    const RmqConfig *(*running_config)(RmqDaemon *daemon);
    /* Optional, both or neither: g_timeout_add() / g_source_remove() for the
     * status and watchdog timers (the broker passes its poller's
     * rmq_timeout_add(), so they are no GSources GLib walks per wake-up).
     * NULL: g_timeout_add() / g_source_remove(). */
    guint (*timeout_add)(guint interval_ms, GSourceFunc func, gpointer user_data);
    gboolean (*timeout_remove)(guint id);
    /* Optional, both or neither: call @func(@user_data) on the main loop
     * while @fd is readable (the broker: a watch in its poller); the daemon
     * receives SIGHUP/SIGINT/SIGTERM through such a descriptor. NULL: a
     * g_unix_fd_add() source. */
    gpointer (*fd_watch)(int fd, GSourceFunc func, gpointer user_data);
    void (*fd_unwatch)(gpointer watch);
} RmqDaemonOps;

/* main() of a daemon: parses --config, --instance, --check-config,
 * --convert-config, --verbose, --version; returns the process exit code:
 * 0, 78 (EX_CONFIG) for a configuration error, 1 when start fails, 2 for
 * bad options. */
int rmq_daemon_main(const RmqDaemonOps *ops, int argc, char **argv);

const RmqConfig *rmq_daemon_get_config(RmqDaemon *daemon);
const gchar *rmq_daemon_get_instance(RmqDaemon *daemon);
void rmq_daemon_set_data(RmqDaemon *daemon, gpointer data);
gpointer rmq_daemon_get_data(RmqDaemon *daemon);
/* Push a STATUS= line now (after a visible change). */
void rmq_daemon_update_status(RmqDaemon *daemon);
/* The stop step has finished: quit the main loop. */
void rmq_daemon_stopped(RmqDaemon *daemon);
/* A fatal runtime failure: log it, stop gracefully, exit with @exit_code. */
void rmq_daemon_fail(RmqDaemon *daemon, int exit_code, const gchar *reason);

G_END_DECLS
