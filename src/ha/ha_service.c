#include <config.h>

#include <string.h>

#include "ha/ha_service.h"

struct _RmqHaService {
    RmqHaServiceConfig config;
    gchar *bind_address, *ha_master_address, *own_address;
    RmqStore *store;
    GMainContext *context;
    RmqHaMaster *master;
    RmqHaSlave *slave;
    RmqClient *client;
    RmqSlaveSync *sync;
};

void
rmq_ha_service_config_init(RmqHaServiceConfig *c)
{
    RmqHaMasterConfig m;

    memset(c, 0, sizeof *c);
    rmq_ha_master_config_init(&m);
    c->role = RMQ_HA_ROLE_ASYNC_MASTER;
    c->ha_listen_port = m.port;
    c->heartbeat_interval_ms = m.heartbeat_interval_ms;
    c->housekeeping_interval_ms = m.housekeeping_interval_ms;
    c->transfer_batch_size = m.transfer_batch_size;
    c->slave_fallbehind_max = m.slave_fallbehind_max;
    c->slave_timeout_ms = 3000;
    rmq_slave_sync_config_init(&c->sync);
}

RmqHaService *
rmq_ha_service_new(const RmqHaServiceConfig *config, RmqStore *store,
                   const RmqSlaveSyncTables *tables, RmqSlaveSyncChanged changed,
                   gpointer user_data, GMainContext *context, GError **error)
{
    g_autoptr(RmqHaService) svc = g_new0(RmqHaService, 1);
    RmqHaMasterConfig mc;

    svc->config = *config;
    svc->bind_address = g_strdup(config->bind_address);
    svc->ha_master_address = g_strdup(config->ha_master_address);
    svc->own_address = g_strdup(config->own_address);
    svc->config.bind_address = svc->bind_address;
    svc->config.ha_master_address = svc->ha_master_address;
    svc->config.own_address = svc->own_address;
    svc->store = store;
    svc->context = g_main_context_ref(context != NULL ? context : g_main_context_default());

    rmq_ha_master_config_init(&mc);
    mc.bind_address = config->bind_address;
    mc.port = config->ha_listen_port;
    mc.heartbeat_interval_ms = config->heartbeat_interval_ms;
    mc.housekeeping_interval_ms = config->housekeeping_interval_ms;
    mc.transfer_batch_size = config->transfer_batch_size;
    mc.slave_fallbehind_max = config->slave_fallbehind_max;
    svc->master = rmq_ha_master_new(store, &mc, svc->context, error);
    if (svc->master == NULL)
        return NULL;

    if (config->role == RMQ_HA_ROLE_SLAVE) {
        RmqHaSlaveConfig sc;

        rmq_ha_slave_config_init(&sc);
        sc.heartbeat_interval_ms = config->heartbeat_interval_ms;
        sc.housekeeping_interval_ms = config->housekeeping_interval_ms;
        svc->slave = rmq_ha_slave_new(store, &sc, svc->context);
        if (svc->ha_master_address != NULL && strlen(svc->ha_master_address) >= 6)
            rmq_ha_slave_set_master_address(svc->slave, svc->ha_master_address);
        if (tables != NULL) {
            svc->client = rmq_client_new(svc->context);
            if (config->sync_request_hook != NULL)
                rmq_client_set_request_hook(svc->client, config->sync_request_hook,
                                            config->sync_request_hook_data);
            svc->sync = rmq_slave_sync_new(svc->client, tables, &config->sync, svc->context,
                                           changed, user_data);
        }
    }
    return g_steal_pointer(&svc);
}

void
rmq_ha_service_set_tls(RmqHaService *svc, RmqTlsContext *ctx)
{
    g_return_if_fail(svc != NULL);
    if (svc->client != NULL)
        rmq_client_set_tls(svc->client, ctx);
}

void
rmq_ha_service_free(RmqHaService *svc)
{
    if (svc == NULL)
        return;
    rmq_slave_sync_free(svc->sync);
    if (svc->client != NULL)
        rmq_client_free(svc->client);
    rmq_ha_slave_free(svc->slave);
    rmq_ha_master_free(svc->master);
    g_main_context_unref(svc->context);
    g_free(svc->bind_address);
    g_free(svc->ha_master_address);
    g_free(svc->own_address);
    g_free(svc);
}

const RmqHaServiceConfig *
rmq_ha_service_get_config(RmqHaService *svc)
{
    return &svc->config;
}

void
rmq_ha_service_reconfigure(RmqHaService *svc, const RmqHaServiceConfig *config)
{
    g_return_if_fail(svc != NULL && config != NULL);
    svc->config.slave_timeout_ms = config->slave_timeout_ms;
    svc->config.slave_fallbehind_max = config->slave_fallbehind_max;
    svc->config.heartbeat_interval_ms = config->heartbeat_interval_ms;
    svc->config.housekeeping_interval_ms = config->housekeeping_interval_ms;
    svc->config.transfer_batch_size = config->transfer_batch_size;

    RmqHaMasterConfig mc;
    rmq_ha_master_config_init(&mc);
    mc.heartbeat_interval_ms = config->heartbeat_interval_ms;
    mc.housekeeping_interval_ms = config->housekeeping_interval_ms;
    mc.transfer_batch_size = config->transfer_batch_size;
    mc.slave_fallbehind_max = config->slave_fallbehind_max;
    rmq_ha_master_reconfigure(svc->master, &mc);
    if (svc->slave != NULL) {
        RmqHaSlaveConfig sc;
        rmq_ha_slave_config_init(&sc);
        sc.heartbeat_interval_ms = config->heartbeat_interval_ms;
        sc.housekeeping_interval_ms = config->housekeeping_interval_ms;
        rmq_ha_slave_reconfigure(svc->slave, &sc);
    }
}

RmqHaRole
rmq_ha_service_role(RmqHaService *svc)
{
    return svc->config.role;
}

guint16
rmq_ha_service_get_port(RmqHaService *svc)
{
    return rmq_ha_master_get_port(svc->master);
}

void
rmq_ha_service_register_reply(RmqHaService *svc, const gchar *master_addr,
                              const gchar *ha_server_addr)
{
    if (svc->config.role != RMQ_HA_ROLE_SLAVE)
        return;
    if (ha_server_addr != NULL && *ha_server_addr != '\0' &&
        (svc->ha_master_address == NULL || strlen(svc->ha_master_address) < 6))
        rmq_ha_slave_set_master_address(svc->slave, ha_server_addr);
    if (svc->sync != NULL && master_addr != NULL && *master_addr != '\0')
        rmq_slave_sync_set_master_address(svc->sync, master_addr, svc->own_address);
}

void
rmq_ha_service_notify_appended(RmqHaService *svc)
{
    rmq_ha_master_notify_appended(svc->master);
}

/* A put waiting for its flush and/or its slave. */
typedef struct {
    gint pending;
    RmqPutStatus flush, repl;
    RmqHaWaitCallback cb;
    gpointer data;
} PutWait;

static void
put_wait_step(PutWait *w)
{
    RmqPutStatus st;

    if (--w->pending > 0)
        return;
    st = w->repl != RMQ_PUT_OK ? w->repl : w->flush;
    w->cb(st, w->data);
    g_free(w);
}

static void
on_flushed(RmqPutStatus status, gpointer data)
{
    PutWait *w = data;

    w->flush = status == RMQ_PUT_OK ? RMQ_PUT_OK : RMQ_PUT_FLUSH_DISK_TIMEOUT;
    put_wait_step(w);
}

static void
on_replicated(RmqPutStatus status, gpointer data)
{
    PutWait *w = data;

    w->repl = status;
    put_wait_step(w);
}

gboolean
rmq_ha_service_wait_put(RmqHaService *svc, gint64 end_offset, gboolean sync_flush,
                        RmqHaWaitCallback callback, gpointer user_data)
{
    gboolean repl = svc->config.role == RMQ_HA_ROLE_SYNC_MASTER;
    PutWait *w;

    if (!sync_flush && !repl)
        return FALSE;
    w = g_new0(PutWait, 1);
    w->pending = (sync_flush ? 1 : 0) + (repl ? 1 : 0);
    w->flush = w->repl = RMQ_PUT_OK;
    w->cb = callback;
    w->data = user_data;
    if (sync_flush)
        rmq_store_flush_async(svc->store, end_offset, on_flushed, w);
    if (repl)
        rmq_ha_master_wait_async(svc->master, end_offset, svc->config.slave_timeout_ms,
                                 on_replicated, w);
    return TRUE;
}

gchar *
rmq_ha_service_status(RmqHaService *svc)
{
    gint64 max = rmq_store_get_max_phy_offset(svc->store);

    if (svc->slave != NULL) {
        const gchar *m = rmq_ha_slave_get_master_address(svc->slave);
        return g_strdup_printf("slave of %s (%s), commit log at %" G_GINT64_FORMAT
                               ", master at %" G_GINT64_FORMAT,
                               m != NULL ? m : "unknown master",
                               rmq_ha_slave_is_connected(svc->slave) ? "connected" : "not connected",
                               max, rmq_ha_slave_master_position(svc->slave));
    }
    return g_strdup_printf("%u slave(s), commit log at %" G_GINT64_FORMAT
                           ", acknowledged %" G_GINT64_FORMAT,
                           rmq_ha_master_connection_count(svc->master), max,
                           rmq_ha_master_max_acked_offset(svc->master));
}

RmqHaMaster *
rmq_ha_service_get_master(RmqHaService *svc)
{
    return svc->master;
}

RmqHaSlave *
rmq_ha_service_get_slave(RmqHaService *svc)
{
    return svc->slave;
}

RmqSlaveSync *
rmq_ha_service_get_sync(RmqHaService *svc)
{
    return svc->sync;
}

guint
rmq_ha_service_pending(RmqHaService *svc, gint64 *oldest_us)
{
    if (svc->master == NULL) {
        if (oldest_us != NULL)
            *oldest_us = 0;
        return 0;
    }
    return rmq_ha_master_pending(svc->master, oldest_us);
}
