/* The slave side of classic HA replication (docs/protocol.md §12.2):
 * connects to the master's HA address, reports its max commit-log offset
 * on connect, after every append and every haSendHeartbeatInterval, stores
 * what the master pushes byte for byte at the same offsets
 * (rmq_store_append_raw, which dispatches whole records into the consume
 * queues and index), and reconnects every 5 s after a failure.
 *
 * Single-threaded: everything runs on the GMainContext given to new(). */
#pragma once

#include <gio/gio.h>

#include "store/store.h"

typedef struct {
    gint heartbeat_interval_ms;     /* haSendHeartbeatInterval, 5000 */
    gint housekeeping_interval_ms;  /* haHousekeepingInterval, 20000 */
    gint reconnect_interval_ms;     /* 5000, as Java's HAClient */
    gint connect_timeout_ms;        /* 3000 */
} RmqHaSlaveConfig;

void rmq_ha_slave_config_init(RmqHaSlaveConfig *config);

typedef struct _RmqHaSlave RmqHaSlave;

/* Idle until a master address is set.  @store must outlive the slave. */
RmqHaSlave *rmq_ha_slave_new(RmqStore *store, const RmqHaSlaveConfig *config,
                             GMainContext *context);
void rmq_ha_slave_free(RmqHaSlave *slave);
/* The heartbeat and housekeeping intervals of @config from now on (SIGHUP). */
void rmq_ha_slave_reconfigure(RmqHaSlave *slave, const RmqHaSlaveConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqHaSlave, rmq_ha_slave_free)

/* "host:port" of the master's HA service (haServerAddr of the register
 * reply, or haMasterAddress); NULL stops replicating.  A different address
 * drops the current connection and connects at once. */
void rmq_ha_slave_set_master_address(RmqHaSlave *slave, const gchar *address);
/* (transfer none) */
const gchar *rmq_ha_slave_get_master_address(RmqHaSlave *slave);

gboolean rmq_ha_slave_is_connected(RmqHaSlave *slave);
/* Connections made so far (tests watch reconnects). */
guint rmq_ha_slave_connect_count(RmqHaSlave *slave);
/* The master's offset in its last frame (its push position), -1 if none. */
gint64 rmq_ha_slave_master_position(RmqHaSlave *slave);
/* Monotonic ms of the last frame received, 0 if none. */
gint64 rmq_ha_slave_last_frame_ms(RmqHaSlave *slave);
