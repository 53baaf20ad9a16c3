/* rmq-broker: the daemon lifecycle (common/daemon.h) around RmqBroker. */
#include <config.h>

#include "common/config.h"
#include "common/daemon.h"

#include "broker/broker.h"

static gboolean
broker_start(RmqDaemon *daemon, GError **error)
{
    RmqBroker *b = rmq_broker_new(rmq_daemon_get_config(daemon), error);
    if (b == NULL)
        return FALSE;
    rmq_daemon_set_data(daemon, b);
    return TRUE;
}

/* @fresh differs from the running config only in reloadable keys (the
 * daemon has named the others in the log): the broker applies them all. */
static gboolean
broker_reload(RmqDaemon *daemon, const RmqConfig *fresh, GError **error)
{
    (void) error;
    rmq_broker_reconfigure(rmq_daemon_get_data(daemon), fresh);
    return TRUE;
}

static const RmqConfig *
broker_running_config(RmqDaemon *daemon)
{
    RmqBroker *b = rmq_daemon_get_data(daemon);
    return b != NULL ? b->config : NULL;
}

static void
on_stopped(gpointer data)
{
    RmqDaemon *daemon = data;
    RmqBroker *b = rmq_daemon_get_data(daemon);
    rmq_daemon_set_data(daemon, NULL);
    rmq_broker_free(b);
    rmq_daemon_stopped(daemon);
}

static void
broker_stop(RmqDaemon *daemon)
{
    RmqBroker *b = rmq_daemon_get_data(daemon);
    if (b == NULL) {
        rmq_daemon_stopped(daemon);
        return;
    }
    rmq_broker_stop(b, on_stopped, daemon);
}

static gchar *
broker_status(RmqDaemon *daemon)
{
    RmqBroker *b = rmq_daemon_get_data(daemon);
    return b != NULL ? rmq_broker_status(b) : NULL;
}

static const RmqDaemonOps broker_ops = {
    .program = "rmq-broker",
    .summary = "RocketMQ-compatible broker",
    .scope = RMQ_CONFIG_BROKER,
    .start = broker_start,
    .reload = broker_reload,
    .stop = broker_stop,
    .status = broker_status,
    .running_config = broker_running_config,
};

int
main(int argc, char **argv)
{
    return rmq_daemon_main(&broker_ops, argc, argv);
}
