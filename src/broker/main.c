/* rmq-broker: the daemon lifecycle (common/daemon.h) around RmqBroker. */
#include <config.h>

#include "common/config.h"
#include "common/daemon.h"

#include "acl/plain_config.h"
#include "broker/acl_guard.h"
#include "broker/broker.h"
#include "remoting/fd_poller.h"
#include "remoting/tls_config.h"

/* --check-config: with aclEnable, the plain ACL file must load too; so must
 * the TLS certificates and keys the configuration names. */
static gboolean
broker_check(const RmqConfig *config, GError **error)
{
    g_autoptr(RmqTlsContext) server = rmq_tls_server_from_settings(&config->tls, error);
    if (server == NULL && config->tls.server_mode != RMQ_TLS_MODE_DISABLED)
        return FALSE;
    g_autoptr(RmqTlsContext) client = rmq_tls_client_from_settings(&config->tls, error);
    if (client == NULL && config->tls.enable)
        return FALSE;
    if (!config->acl_enable)
        return TRUE;
    g_autoptr(GError) local = NULL;
    g_autoptr(RmqAclConfig) acl = rmq_acl_config_load(config->plain_acl_file, &local);
    if (acl == NULL) {
        g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID, "plainAclFile %s",
                    local->message);
        return FALSE;
    }
    return TRUE;
}

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
    RmqBroker *b = rmq_daemon_get_data(daemon);
    rmq_broker_reconfigure(b, fresh);
    /* SIGHUP re-reads plain_acl.yml too (a broken one keeps the old rules) */
    if (b->acl != NULL)
        rmq_broker_acl_reload(b->acl, TRUE);
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
    .check = broker_check,
    .timeout_add = rmq_timeout_add,
    .timeout_remove = rmq_timeout_remove,
    /* the signal pipe as a watch in the loop's poller, not a GSource */
    .fd_watch = rmq_fd_readable_watch,
    .fd_unwatch = rmq_fd_readable_unwatch,
};

int
main(int argc, char **argv)
{
    /* One epoll_wait per loop wake-up instead of poll() and then epoll_wait
     * (docs/architecture.md §3.1); held for the life of the process. */
    RmqFdPoller *poller = rmq_fd_poller_get(NULL);
    rmq_fd_poller_own_poll(poller);
    int rc = rmq_daemon_main(&broker_ops, argc, argv);
    rmq_fd_poller_unref(poller);
    return rc;
}
