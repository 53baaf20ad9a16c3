/* rmq-broker: the daemon lifecycle (common/daemon.h) around RmqBroker, and
 * the translation of the parsed configuration into RmqBrokerSettings. */
#include <config.h>

#include <string.h>

#include "common/config.h"
#include "common/daemon.h"

#include "broker/broker.h"
#include "broker/settings.h"

static void
flow_limits_from_config(RmqFlowLimits *l, const RmqConfig *c)
{
    l->send_queue_capacity = c->send_thread_pool_queue_capacity;
    l->wait_time_in_send_queue_ms = c->wait_time_mills_in_send_queue;
    l->os_page_cache_busy_timeout_ms = c->os_page_cache_busy_time_out_mills;
    l->fast_failure_enable = c->broker_fast_failure_enable;
    l->write_buffer_max_bytes = c->connection_write_buffer_max_bytes;
    l->write_stall_timeout_ms = c->connection_write_stall_timeout_mills;
}

static void
settings_from_config(RmqBrokerSettings *s, const RmqConfig *c)
{
    memset(s, 0, sizeof *s);
    s->cluster_name = g_strdup(c->broker_cluster_name);
    s->broker_name = g_strdup(c->broker_name);
    s->broker_id = c->broker_id;
    s->namesrv_addr = g_strdupv(c->namesrv_addr);
    s->broker_ip1 = g_strdup(c->broker_ip1 != NULL ? c->broker_ip1 : "127.0.0.1");
    s->bind_address = g_strdup(c->bind_address);
    s->listen_port = c->listen_port;
    s->ha_listen_port = c->ha_listen_port > 0 ? c->ha_listen_port : c->listen_port + 1;
    s->broker_role = (gint) c->broker_role;
    s->slave = c->broker_role == RMQ_BROKER_ROLE_SLAVE;
    s->broker_permission = c->broker_permission;
    s->region_id = g_strdup(c->region_id);
    s->trace_on = c->trace_on;
    s->server_channel_max_idle_time_seconds = c->server_channel_max_idle_time_seconds;
    s->store_path_root_dir = g_strdup(c->store_path_root_dir);
    s->store_path_commit_log = g_strdup(c->store_path_commit_log);
    s->mapped_file_size_commit_log = c->mapped_file_size_commit_log;
    s->mapped_file_size_consume_queue = c->mapped_file_size_consume_queue;
    s->sync_flush = c->flush_disk_type == RMQ_FLUSH_SYNC;
    s->flush_interval_commit_log = c->flush_interval_commit_log;
    s->flush_commit_log_least_pages = c->flush_commit_log_least_pages;
    s->flush_commit_log_thorough_interval = c->flush_commit_log_thorough_interval;
    s->flush_interval_consume_queue = c->flush_interval_consume_queue;
    s->sync_flush_timeout = c->sync_flush_timeout;
    s->delete_when = g_strdup(c->delete_when);
    s->file_reserved_time = c->file_reserved_time;
    s->disk_max_used_space_ratio = c->disk_max_used_space_ratio;
    s->clean_file_forcibly_enable = c->clean_file_forcibly_enable;
    s->clean_resource_interval = c->clean_resource_interval;
    s->check_crc_on_recover = c->check_crc_on_recover;
    s->message_index_enable = c->message_index_enable;
    s->max_hash_slot_num = c->max_hash_slot_num;
    s->max_index_num = c->max_index_num;
    s->default_query_max_num = c->default_query_max_num;
    s->access_message_in_memory_max_ratio = c->access_message_in_memory_max_ratio;
    s->max_transfer_bytes_on_message_in_memory = c->max_transfer_bytes_on_message_in_memory;
    s->max_transfer_count_on_message_in_memory = c->max_transfer_count_on_message_in_memory;
    s->max_transfer_bytes_on_message_in_disk = c->max_transfer_bytes_on_message_in_disk;
    s->max_transfer_count_on_message_in_disk = c->max_transfer_count_on_message_in_disk;
    s->auto_create_topic_enable = c->auto_create_topic_enable;
    s->default_topic_queue_nums = c->default_topic_queue_nums;
    s->auto_create_subscription_group = c->auto_create_subscription_group;
    s->max_message_size = c->max_message_size;
    s->message_delay_level = g_strdup(c->message_delay_level);
    s->cluster_topic_enable = c->cluster_topic_enable;
    s->broker_topic_enable = c->broker_topic_enable;
    s->trace_topic_enable = c->trace_topic_enable;
    s->msg_trace_topic_name = g_strdup(c->msg_trace_topic_name);
    s->reject_transaction_message = c->reject_transaction_message;
    s->transaction_time_out = c->transaction_time_out;
    s->transaction_check_max = c->transaction_check_max;
    s->transaction_check_interval = c->transaction_check_interval;
    s->long_polling_enable = c->long_polling_enable;
    s->short_polling_time_mills = c->short_polling_time_mills;
    s->flush_consumer_offset_interval = c->flush_consumer_offset_interval;
    s->flush_delay_offset_interval = c->flush_delay_offset_interval;
    s->notify_consumer_ids_changed_enable = c->notify_consumer_ids_changed_enable;
    s->register_name_server_period = c->register_name_server_period;
    s->register_broker_timeout_mills = c->register_broker_timeout_mills;
    s->ha_send_heartbeat_interval = c->ha_send_heartbeat_interval;
    s->ha_housekeeping_interval = c->ha_housekeeping_interval;
    s->ha_transfer_batch_size = c->ha_transfer_batch_size;
    s->ha_slave_fallbehind_max = c->ha_slave_fallbehind_max;
    s->slave_timeout = c->slave_timeout;
    s->ha_master_address = g_strdup(c->ha_master_address);
    s->slave_read_enable = c->slave_read_enable;
    flow_limits_from_config(&s->flow, c);
}

static gboolean
broker_start(RmqDaemon *daemon, GError **error)
{
    RmqBrokerSettings s;
    settings_from_config(&s, rmq_daemon_get_config(daemon));
    RmqBroker *b = rmq_broker_new(&s, error);
    rmq_broker_settings_clear(&s);
    if (b == NULL)
        return FALSE;
    rmq_daemon_set_data(daemon, b);
    return TRUE;
}

static gboolean
broker_reload(RmqDaemon *daemon, const RmqConfig *fresh, GError **error)
{
    (void) error;
    RmqBroker *b = rmq_daemon_get_data(daemon);
    RmqBrokerSettings *s = &b->settings;
    /* The keys the running broker can take over at once. */
    s->broker_permission = fresh->broker_permission;
    s->auto_create_subscription_group = fresh->auto_create_subscription_group;
    s->max_message_size = fresh->max_message_size;
    s->long_polling_enable = fresh->long_polling_enable;
    s->short_polling_time_mills = fresh->short_polling_time_mills;
    s->notify_consumer_ids_changed_enable = fresh->notify_consumer_ids_changed_enable;
    s->reject_transaction_message = fresh->reject_transaction_message;
    s->trace_on = fresh->trace_on;
    flow_limits_from_config(&s->flow, fresh);
    return TRUE;
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
};

int
main(int argc, char **argv)
{
    return rmq_daemon_main(&broker_ops, argc, argv);
}
