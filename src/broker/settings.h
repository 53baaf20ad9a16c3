/* The broker's own view of the configuration keys it reads (docs/protocol.md §13.1). A plain
 * struct, so the processors do not depend on how the configuration is read:
 * rmq_broker_settings_from_config fills it from RmqConfig through the key
 * table (common/config-keys.c, the BK() landings). A field listed there has
 * the C type of its RmqConfig field. */
#pragma once

#include <glib.h>

#include "common/config.h"
#include "broker/flow_control.h"

G_BEGIN_DECLS

typedef struct {
    /* identity */
    gchar *cluster_name;             /* brokerClusterName */
    gchar *broker_name;
    gint64 broker_id;
    gchar **namesrv_addr;            /* NULL-terminated, may be empty */
    gchar *broker_ip1;
    gchar *broker_ip2;               /* advertised HA address, default brokerIP1 */
    gchar *bind_address;
    gint listen_port;
    gint ha_listen_port;
    gint broker_role;                /* RmqBrokerRole */
    gint broker_permission;
    gchar *region_id;
    gboolean trace_on;
    gboolean store_reply_message_enable; /* SEND_REPLY_MESSAGE stores the reply too */
    gint server_channel_max_idle_time_seconds;
    gint server_frame_timeout_seconds;

    /* store keys the broker itself reads (the store's own are in RmqStoreConfig) */
    gchar *store_path_root_dir;
    gint clean_resource_interval;
    gint default_query_max_num;
    gint access_message_in_memory_max_ratio;

    /* topics, groups, messages */
    gboolean auto_create_topic_enable;
    gint default_topic_queue_nums;
    gboolean auto_create_subscription_group;
    gint max_message_size;
    gchar *message_delay_level;
    gboolean cluster_topic_enable;
    gboolean broker_topic_enable;
    gboolean trace_topic_enable;
    gchar *msg_trace_topic_name;
    gboolean reject_transaction_message;
    gboolean enable_property_filter;  /* SQL92 subscriptions accepted */
    gboolean filter_support_retry;    /* retry topics filtered with the original topic's filter */
    gint transaction_time_out;
    gint transaction_check_max;
    gint transaction_check_interval;

    /* consumers */
    gboolean long_polling_enable;
    gint short_polling_time_mills;
    gint flush_consumer_offset_interval;
    gint flush_delay_offset_interval;
    gboolean notify_consumer_ids_changed_enable;
    gboolean slave_read_enable;

    /* name servers and replication (the HA tunables are in RmqHaServiceConfig) */
    gint register_name_server_period;
    gint register_broker_timeout_mills;
    gchar *ha_master_address;        /* NULL: learn it from the name server */

    RmqFlowLimits flow;              /* send queue, page cache, write buffers (flow_control.h) */
    /* plain ACL: both taken at start (the file itself is watched) */
    gboolean acl_enable;
    gchar *plain_acl_file;
    RmqTlsSettings tls; /* tlsServer*, tlsClient*, tlsEnable (remoting/tls_config.h) */
    gchar *access_key;               /* accessKey: signs the slave's metadata sync */
    gchar *secret_key_file;          /* secretKeyFile */

    /* derived from the keys above, not in the key table */
    gboolean slave;                  /* brokerRole SLAVE */
    gboolean sync_flush;             /* flushDiskType SYNC_FLUSH */
} RmqBrokerSettings;

/* Fill @s (zeroed first) from @cfg: every key that lands in the broker
 * settings, then the derived fields. */
void rmq_broker_settings_from_config(RmqBrokerSettings *s, const RmqConfig *cfg);
void rmq_broker_settings_clear(RmqBrokerSettings *s);
void rmq_broker_settings_copy(RmqBrokerSettings *dst, const RmqBrokerSettings *src);

/* GET_BROKER_CONFIG body: a "key=value\n" line for every broker key of the
 * table, the value read where it lands (@landings: the live struct per
 * RmqConfigLanding, NULL entries allowed), else from @cfg. (transfer full) */
gchar *rmq_broker_settings_to_properties(const RmqConfig *cfg,
                                         gconstpointer landings[RMQ_CONFIG_LAND_N]);

G_END_DECLS
