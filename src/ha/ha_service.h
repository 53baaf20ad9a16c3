/* Replication as a broker sees it: one object per broker that runs the
 * master HA service (every role listens on haListenPort, as Java's
 * HAService does), and on a SLAVE the HA client and the metadata sync,
 * pointed at the master the name server names in its register reply
 * (docs/protocol.md §8.2 step 5 and §12). */
#pragma once

#include <gio/gio.h>

#include "ha/ha_master.h"
#include "ha/ha_slave.h"
#include "ha/slave_sync.h"
#include "store/store.h"

typedef enum {
    RMQ_HA_ROLE_ASYNC_MASTER,   /* same values as brokerRole in common/config.h */
    RMQ_HA_ROLE_SYNC_MASTER,
    RMQ_HA_ROLE_SLAVE,
} RmqHaRole;

typedef struct {
    RmqHaRole role;
    const gchar *bind_address;      /* NULL: every address */
    guint16 ha_listen_port;
    gint heartbeat_interval_ms;     /* haSendHeartbeatInterval */
    gint housekeeping_interval_ms;  /* haHousekeepingInterval */
    gint transfer_batch_size;       /* haTransferBatchSize */
    gint64 slave_fallbehind_max;    /* haSlaveFallbehindMax */
    gint slave_timeout_ms;          /* slaveTimeout */
    const gchar *ha_master_address; /* haMasterAddress: fixed when >= 6 chars */
    const gchar *own_address;       /* ip:listenPort, never synced from */
    RmqSlaveSyncConfig sync;
    /* set on the slave sync's client: the broker signs its requests (plain ACL) */
    RmqClientRequestHook sync_request_hook;
    gpointer sync_request_hook_data;
} RmqHaServiceConfig;

/* RocketMQ 4.9 defaults (ASYNC_MASTER, port 10912). */
void rmq_ha_service_config_init(RmqHaServiceConfig *config);

typedef struct _RmqHaService RmqHaService;

/* Binds haListenPort (the error names the key and the port).  @tables and
 * @changed are for the slave's metadata sync; @store and the tables must
 * outlive the service. */
RmqHaService *rmq_ha_service_new(const RmqHaServiceConfig *config, RmqStore *store,
                                 const RmqSlaveSyncTables *tables, RmqSlaveSyncChanged changed,
                                 gpointer user_data, GMainContext *context, GError **error);
void rmq_ha_service_free(RmqHaService *svc);
/* tlsEnable: the slave's metadata sync to its master speaks TLS (a ref is
 * taken, NULL = plain). The HA link itself stays plain, as in Java 4.9. */
typedef struct _RmqTlsContext RmqTlsContext;
void rmq_ha_service_set_tls(RmqHaService *svc, RmqTlsContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqHaService, rmq_ha_service_free)

RmqHaRole rmq_ha_service_role(RmqHaService *svc);
/* The configuration in force (its strings are the service's). (transfer none) */
const RmqHaServiceConfig *rmq_ha_service_get_config(RmqHaService *svc);
/* Take the keys of @config that may change at run time (slaveTimeout,
 * haSlaveFallbehindMax, haSendHeartbeatInterval, haHousekeepingInterval,
 * haTransferBatchSize, read at each use as Java's HAService does); role,
 * port and addresses stay as started. */
void rmq_ha_service_reconfigure(RmqHaService *svc, const RmqHaServiceConfig *config);

/* The HA port actually bound (haListenPort, or the port picked for 0). */
guint16 rmq_ha_service_get_port(RmqHaService *svc);

/* Puts waiting for a slave (SYNC_MASTER), as rmq_ha_master_pending; 0 otherwise. */
guint rmq_ha_service_pending(RmqHaService *svc, gint64 *oldest_us);

/* REGISTER_BROKER answered: a slave learns masterAddr (metadata sync) and
 * haServerAddr (replication, unless haMasterAddress is set).  NULLs (no
 * live master) keep the last known master. */
void rmq_ha_service_register_reply(RmqHaService *svc, const gchar *master_addr,
                                   const gchar *ha_server_addr);

/* After every put: push the new data to the slaves now. */
void rmq_ha_service_notify_appended(RmqHaService *svc);

/* What a SEND with WAIT=true waits for after its put (docs/protocol.md §12.3): the disk flush
 * when @sync_flush, the slave on a SYNC_MASTER.  @callback gets RMQ_PUT_OK,
 * FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE (a
 * replication failure wins over a flush failure), never from inside this
 * call.  FALSE when there is nothing to wait for (no callback then). */
gboolean rmq_ha_service_wait_put(RmqHaService *svc, gint64 end_offset, gboolean sync_flush,
                                 RmqHaWaitCallback callback, gpointer user_data);

/* One line for logs and STATUS=. (transfer full) */
gchar *rmq_ha_service_status(RmqHaService *svc);

/* (transfer none) NULL when the role has none. */
RmqHaMaster *rmq_ha_service_get_master(RmqHaService *svc);
RmqHaSlave *rmq_ha_service_get_slave(RmqHaService *svc);
RmqSlaveSync *rmq_ha_service_get_sync(RmqHaService *svc);
