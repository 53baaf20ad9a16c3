/* The broker's own copy of the configuration keys it reads (§10.1), filled
 * from RmqConfig by main.c. A plain struct, so the processors do not depend
 * on how the configuration is read. */
#pragma once

#include <glib.h>

#include "broker/flow_control.h"

G_BEGIN_DECLS

typedef struct {
    /* identity */
    gchar *cluster_name;
    gchar *broker_name;
    gint64 broker_id;
    gchar **namesrv_addr;            /* NULL-terminated, may be empty */
    gchar *broker_ip1;
    gchar *bind_address;
    gint listen_port;
    gint ha_listen_port;
    gboolean slave;                  /* brokerRole SLAVE */
    gint broker_role;                /* 0 ASYNC_MASTER, 1 SYNC_MASTER, 2 SLAVE */
    gint broker_permission;
    gchar *region_id;
    gboolean trace_on;
    gint server_channel_max_idle_time_seconds;

    /* store */
    gchar *store_path_root_dir;
    gchar *store_path_commit_log;
    gint64 mapped_file_size_commit_log;
    gint mapped_file_size_consume_queue;
    gboolean sync_flush;
    gint flush_interval_commit_log;
    gint flush_commit_log_least_pages;
    gint flush_commit_log_thorough_interval;
    gint flush_interval_consume_queue;
    gint sync_flush_timeout;
    gchar *delete_when;
    gint file_reserved_time;
    gint disk_max_used_space_ratio;
    gboolean clean_file_forcibly_enable;
    gint clean_resource_interval;
    gboolean check_crc_on_recover;
    gboolean message_index_enable;
    gint max_hash_slot_num;
    gint max_index_num;
    gint default_query_max_num;
    gint access_message_in_memory_max_ratio;
    gint max_transfer_bytes_on_message_in_memory;
    gint max_transfer_count_on_message_in_memory;
    gint max_transfer_bytes_on_message_in_disk;
    gint max_transfer_count_on_message_in_disk;

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
    gint transaction_time_out;
    gint transaction_check_max;
    gint transaction_check_interval;

    /* consumers */
    gboolean long_polling_enable;
    gint short_polling_time_mills;
    gint flush_consumer_offset_interval;
    gint flush_delay_offset_interval;
    gboolean notify_consumer_ids_changed_enable;

    /* name servers */
    gint register_name_server_period;
    gint register_broker_timeout_mills;

    /* replication (src/ha, §8) */
    gint ha_send_heartbeat_interval;  /* ms, 5000 */
    gint ha_housekeeping_interval;    /* ms, 20000 */
    gint ha_transfer_batch_size;      /* 32768 */
    gint64 ha_slave_fallbehind_max;   /* 256 MiB */
    gint slave_timeout;               /* ms, 3000 */
    gchar *ha_master_address;         /* NULL: learn it from the name server */
    gboolean slave_read_enable;
    RmqFlowLimits flow;                  /* send queue, page cache, write buffers */
} RmqBrokerSettings;

void rmq_broker_settings_clear(RmqBrokerSettings *s);
void rmq_broker_settings_copy(RmqBrokerSettings *dst, const RmqBrokerSettings *src);
/* GET_BROKER_CONFIG body: "key=value\n" lines with RocketMQ key names. (transfer full) */
gchar *rmq_broker_settings_to_properties(const RmqBrokerSettings *s);
/* UPDATE_BROKER_CONFIG: apply the keys of a properties text that may change
 * at run time. Unknown or fixed keys are listed in @ignored; with @ignored
 * NULL they are an error instead (a caller must not be told SUCCESS for a
 * change that did not happen). FALSE with a message in @error when a value
 * does not parse or a key is refused: nothing is applied then. */
gboolean rmq_broker_settings_update(RmqBrokerSettings *s, const gchar *text, GPtrArray *ignored,
                                    GError **error);

G_END_DECLS
