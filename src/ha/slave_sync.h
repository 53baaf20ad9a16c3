/* A SLAVE broker's periodic copy of its master's metadata
 * (docs/protocol.md §12.4, Java SlaveSynchronize.syncAll): topics
 * (GET_ALL_TOPIC_CONFIG, to the master's VIP port = port − 2), consumer
 * offsets (merged), delay offsets and subscription groups, every 10 s
 * (first after 3 s), through RmqClient.  The tables belong to the caller;
 * the changed callback tells it what to persist. */
#pragma once

#include <glib.h>

#include "broker/consumer_offset.h"
#include "broker/delay_offset.h"
#include "broker/subscription_group.h"
#include "broker/topic_config.h"
#include "remoting/client.h"

typedef enum {
    RMQ_SLAVE_SYNC_TOPICS,
    RMQ_SLAVE_SYNC_CONSUMER_OFFSETS,
    RMQ_SLAVE_SYNC_DELAY_OFFSETS,
    RMQ_SLAVE_SYNC_SUBSCRIPTION_GROUPS,
} RmqSlaveSyncWhat;

typedef struct {
    RmqTopicTable *topics;                  /* each may be NULL: not synced */
    RmqConsumerOffsets *consumer_offsets;
    RmqDelayOffsets *delay_offsets;
    RmqSubscriptionGroupTable *subscription_groups;
} RmqSlaveSyncTables;

/* A table changed from the master's copy: persist it. */
typedef void (*RmqSlaveSyncChanged)(RmqSlaveSyncWhat what, gpointer user_data);

typedef struct {
    guint interval_ms;        /* 10000 */
    guint first_delay_ms;     /* 3000 */
    guint request_timeout_ms; /* 3000 */
} RmqSlaveSyncConfig;

void rmq_slave_sync_config_init(RmqSlaveSyncConfig *config);

typedef struct _RmqSlaveSync RmqSlaveSync;

/* @client (transfer none) must outlive the sync and run on @context. */
RmqSlaveSync *rmq_slave_sync_new(RmqClient *client, const RmqSlaveSyncTables *tables,
                                 const RmqSlaveSyncConfig *config, GMainContext *context,
                                 RmqSlaveSyncChanged changed, gpointer user_data);
void rmq_slave_sync_free(RmqSlaveSync *sync);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqSlaveSync, rmq_slave_sync_free)

/* The master's remoting address "host:port" (masterAddr of the register
 * reply); NULL or @own_address (the broker's own) pauses syncing. */
void rmq_slave_sync_set_master_address(RmqSlaveSync *sync, const gchar *master_address,
                                       const gchar *own_address);
/* Start a round now (unless one is running). */
void rmq_slave_sync_run_now(RmqSlaveSync *sync);
/* Rounds completed (all four requests answered or failed). */
guint rmq_slave_sync_rounds(RmqSlaveSync *sync);
/* "host:port−2" for "host:port" (Java MixAll.brokerVIPChannel). (transfer full) */
gchar *rmq_slave_sync_vip_address(const gchar *address);
