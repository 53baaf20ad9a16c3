/* The master side of classic HA replication (docs/protocol.md §12):
 * listens on haListenPort, and for every slave connection reads its 8-byte
 * offset reports and streams the commit log from the requested offset in
 * 12-byte-header frames, with heartbeats when idle and a housekeeping
 * timeout.  Also the SYNC_MASTER wait (docs/protocol.md §12.3): "tell me when some slave has
 * acknowledged offset X", FLUSH_SLAVE_TIMEOUT after slaveTimeout,
 * SLAVE_NOT_AVAILABLE when no slave is connected or it is too far behind.
 *
 * Single-threaded: everything runs on the GMainContext given to new(). */
#pragma once

#include <gio/gio.h>

#include "store/store.h"

#define RMQ_HA_ERROR (rmq_ha_error_quark())
GQuark rmq_ha_error_quark(void);
typedef enum {
    RMQ_HA_ERROR_BIND,        /* haListenPort cannot be bound */
} RmqHaError;

typedef struct {
    const gchar *bind_address;      /* NULL: every address */
    guint16 port;                   /* haListenPort; 0 = any free port (tests) */
    gint heartbeat_interval_ms;     /* haSendHeartbeatInterval, 5000 */
    gint housekeeping_interval_ms;  /* haHousekeepingInterval, 20000 */
    gint transfer_batch_size;       /* haTransferBatchSize, 32768 */
    gint64 slave_fallbehind_max;    /* haSlaveFallbehindMax, 256 MiB */
} RmqHaMasterConfig;

/* Fills the RocketMQ 4.9 defaults (port 10912). */
void rmq_ha_master_config_init(RmqHaMasterConfig *config);

typedef struct _RmqHaMaster RmqHaMaster;

/* Binds the port at once (error names haListenPort and the port) and serves
 * on @context (NULL = global default).  @store must outlive the master. */
RmqHaMaster *rmq_ha_master_new(RmqStore *store, const RmqHaMasterConfig *config,
                               GMainContext *context, GError **error);
/* Closes every slave connection; pending waits complete with
 * FLUSH_SLAVE_TIMEOUT before this returns. */
void rmq_ha_master_free(RmqHaMaster *master);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqHaMaster, rmq_ha_master_free)

/* The port actually bound. */
guint16 rmq_ha_master_get_port(RmqHaMaster *master);

/* New data was appended: push it to the slaves from the next main-loop
 * iteration (the appends of one iteration go out together) rather than at
 * the next tick (every 200 ms). */
void rmq_ha_master_notify_appended(RmqHaMaster *master);

guint rmq_ha_master_connection_count(RmqHaMaster *master);
/* Largest offset acknowledged by a connected slave, -1 when none has
 * reported. */
gint64 rmq_ha_master_max_acked_offset(RmqHaMaster *master);
/* Puts waiting for a slave, and when the oldest began (monotonic µs, 0 if none). */
guint rmq_ha_master_pending(RmqHaMaster *master, gint64 *oldest_us);
/* Java's isSlaveOK: a slave is connected and (put_where − its best ack) <
 * haSlaveFallbehindMax. */
gboolean rmq_ha_master_slave_ok(RmqHaMaster *master, gint64 put_where);
/* The intervals, the batch size and the fall-behind limit of @config from
 * now on (SIGHUP); the port and address stay. */
void rmq_ha_master_reconfigure(RmqHaMaster *master, const RmqHaMasterConfig *config);

/* Called with RMQ_PUT_OK, RMQ_PUT_FLUSH_SLAVE_TIMEOUT or
 * RMQ_PUT_SLAVE_NOT_AVAILABLE. */
typedef void (*RmqHaWaitCallback)(RmqPutStatus status, gpointer user_data);
/* SYNC_MASTER: calls @callback once some slave acknowledged @offset (the
 * end of the appended record), with SLAVE_NOT_AVAILABLE at once when
 * !slave_ok(offset), or FLUSH_SLAVE_TIMEOUT after @timeout_ms (slaveTimeout).
 * Never calls @callback from inside this function. */
void rmq_ha_master_wait_async(RmqHaMaster *master, gint64 offset, gint timeout_ms,
                              RmqHaWaitCallback callback, gpointer user_data);
