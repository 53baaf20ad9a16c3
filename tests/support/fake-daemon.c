/* A minimal daemon on the shared lifecycle (common/daemon.c), for testing the
 * lifecycle itself: it listens on nothing, reports a reloadable and a
 * restart-only key in STATUS=, and stops after a short asynchronous flush.
 * FAKE_DAEMON_FAIL_START=1 makes its start step fail. */
#include <config.h>

#include "common/daemon.h"

#include <gio/gio.h>

#include <stdlib.h>

static gboolean
fake_start(RmqDaemon *daemon, GError **error)
{
    if (g_getenv("FAKE_DAEMON_FAIL_START")) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                    "cannot listen on 127.0.0.1:%d: Address already in use",
                    rmq_daemon_get_config(daemon)->listen_port);
        return FALSE;
    }
    g_message("fake daemon started");
    return TRUE;
}

static gboolean
fake_reload(RmqDaemon *daemon, const RmqConfig *fresh, GError **error)
{
    return TRUE;
}

static gboolean
finish_stop(gpointer daemon)
{
    rmq_daemon_stopped(daemon);
    return G_SOURCE_REMOVE;
}

static void
fake_stop(RmqDaemon *daemon)
{
    /* Stands for a flush that completes later on the loop. */
    g_timeout_add(50, finish_stop, daemon);
}

static gchar *
fake_status(RmqDaemon *daemon)
{
    const RmqConfig *cfg = rmq_daemon_get_config(daemon);
    return g_strdup_printf("idle=%d port=%d instance=%s", cfg->server_channel_max_idle_time_seconds,
                           cfg->listen_port, rmq_daemon_get_instance(daemon));
}

static const RmqDaemonOps fake_ops = {
    .program = "fake-daemon",
    .summary = "Lifecycle test daemon",
    .scope = RMQ_CONFIG_NAMESRV,
    .start = fake_start,
    .reload = fake_reload,
    .stop = fake_stop,
    .status = fake_status,
};

int
main(int argc, char **argv)
{
    return rmq_daemon_main(&fake_ops, argc, argv);
}
