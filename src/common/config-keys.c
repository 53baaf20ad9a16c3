/* Every configuration key of ROCKETMQ-REMOTING.md §10 that rmq honours, with
 * RocketMQ 4.9.7's defaults. Reloadable keys are those read afresh at each
 * use (intervals, limits, switches); identities, ports, paths and the store
 * geometry need a restart. */
/* <config.h>: a quoted "config.h" would find common/config.h next to this file */
#include <config.h>

#include "common/config-keys.h"

#include <string.h>

#define OFF(f) offsetof(RmqConfig, f)
#define NS RMQ_CONFIG_NAMESRV
#define BR RMQ_CONFIG_BROKER
#define BOTH (RMQ_CONFIG_NAMESRV | RMQ_CONFIG_BROKER)
#define CON RMQ_CONFIG_CONSOLE
#define RL RMQ_CONFIG_KEY_RELOAD
#define CL RMQ_CONFIG_KEY_CLAMP
#define DV RMQ_CONFIG_KEY_DERIVED

#define INT(n, f, sc, fl, d, lo, hi) { n, RMQ_CONFIG_KEY_INT, OFF(f), sc, fl, d, NULL, lo, hi, NULL }
#define I64(n, f, sc, fl, d, lo, hi) { n, RMQ_CONFIG_KEY_INT64, OFF(f), sc, fl, d, NULL, lo, hi, NULL }
#define BOOL(n, f, sc, fl, d) { n, RMQ_CONFIG_KEY_BOOL, OFF(f), sc, fl, d, NULL, 0, 1, NULL }
#define STR(n, f, sc, fl, d) { n, RMQ_CONFIG_KEY_STRING, OFF(f), sc, fl, 0, d, 0, 0, NULL }
#define ENUM(n, f, sc, fl, d, names) { n, RMQ_CONFIG_KEY_ENUM, OFF(f), sc, fl, d, NULL, 0, 0, names }
#define STRV(n, f, sc, fl) { n, RMQ_CONFIG_KEY_STRV, OFF(f), sc, fl, 0, NULL, 0, 0, NULL }
#define HOURS(n, f, sc, fl, d) { n, RMQ_CONFIG_KEY_HOURS, OFF(f), sc, fl, 0, d, 0, 0, NULL }
#define JAVA(n, sc) { n, RMQ_CONFIG_KEY_JAVA, 0, sc, 0, 0, NULL, 0, 0, NULL }

/* Enum fields are read and written as gint. */
G_STATIC_ASSERT(sizeof(RmqBrokerRole) == sizeof(gint));
G_STATIC_ASSERT(sizeof(RmqFlushDiskType) == sizeof(gint));

static const gchar *const broker_roles[] = { "ASYNC_MASTER", "SYNC_MASTER", "SLAVE", NULL };
static const gchar *const flush_types[] = { "ASYNC_FLUSH", "SYNC_FLUSH", NULL };

const RmqConfigKey rmq_config_keys[] = {
    /* both daemons */
    INT("listenPort", listen_port, BOTH, DV, 10911, 1, 65535),
    STR("bindAddress", bind_address, BOTH, 0, "0.0.0.0"),
    INT("serverChannelMaxIdleTimeSeconds", server_channel_max_idle_time_seconds, BOTH, RL, 120, 1, G_MAXINT),
    I64("connectionWriteBufferMaxBytes", connection_write_buffer_max_bytes, BOTH, 0, 67108864, 0, G_MAXINT64),
    INT("connectionWriteStallTimeoutMills", connection_write_stall_timeout_mills, BOTH, 0, 30000, 0, G_MAXINT),
    STR("rocketmqHome", rocketmq_home, BOTH, DV, NULL),

    /* name server */
    STR("kvConfigPath", kv_config_path, NS, DV, NULL),
    STR("configStorePath", config_store_path, NS, DV, NULL),
    BOOL("orderMessageEnable", order_message_enable, NS, RL, FALSE),
    STR("productEnvName", product_env_name, NS, 0, "center"),
    BOOL("clusterTest", cluster_test, NS, 0, FALSE),
    /* rmq extensions: constants in Java's RouteInfoManager; tests shorten them */
    INT("brokerChannelExpiredTime", broker_channel_expired_time, NS, RL, 120000, 1, G_MAXINT),
    INT("scanNotActiveBrokerInterval", scan_not_active_broker_interval, NS, RL, 10000, 1, G_MAXINT),

    /* broker: identity and cluster */
    STR("brokerClusterName", broker_cluster_name, BR, 0, "DefaultCluster"),
    STR("brokerName", broker_name, BR, DV, NULL),
    I64("brokerId", broker_id, BR, 0, 0, 0, G_MAXINT64),
    STRV("namesrvAddr", namesrv_addr, BR | CON, RL | DV),
    STR("brokerIP1", broker_ip1, BR, DV, NULL),
    STR("brokerIP2", broker_ip2, BR, DV, NULL),
    INT("haListenPort", ha_listen_port, BR, DV, 10912, 1, 65535),
    ENUM("brokerRole", broker_role, BR, 0, RMQ_BROKER_ROLE_ASYNC_MASTER, broker_roles),
    INT("brokerPermission", broker_permission, BR, RL, 6, 0, 7),
    STR("regionId", region_id, BR, RL, "DefaultRegion"),
    BOOL("traceOn", trace_on, BR, RL, TRUE),

    /* broker: store */
    STR("storePathRootDir", store_path_root_dir, BR, DV, NULL),
    STR("storePathCommitLog", store_path_commit_log, BR, DV, NULL),
    I64("mappedFileSizeCommitLog", mapped_file_size_commit_log, BR, 0, 1073741824, 4096, G_MAXINT),
    INT("mappedFileSizeConsumeQueue", mapped_file_size_consume_queue, BR, 0, 6000000, 20, G_MAXINT),
    ENUM("flushDiskType", flush_disk_type, BR, 0, RMQ_FLUSH_ASYNC, flush_types),
    INT("flushIntervalCommitLog", flush_interval_commit_log, BR, RL, 500, 1, G_MAXINT),
    INT("flushCommitLogLeastPages", flush_commit_log_least_pages, BR, RL, 4, 0, G_MAXINT),
    INT("flushCommitLogThoroughInterval", flush_commit_log_thorough_interval, BR, RL, 10000, 1, G_MAXINT),
    INT("flushIntervalConsumeQueue", flush_interval_consume_queue, BR, RL, 1000, 1, G_MAXINT),
    INT("syncFlushTimeout", sync_flush_timeout, BR, RL, 5000, 1, G_MAXINT),
    HOURS("deleteWhen", delete_when, BR, RL, "04"),
    INT("fileReservedTime", file_reserved_time, BR, RL, 72, 0, G_MAXINT),
    /* MessageStoreConfig.getDiskMaxUsedSpaceRatio clamps to 10..95 */
    INT("diskMaxUsedSpaceRatio", disk_max_used_space_ratio, BR, RL | CL, 75, 10, 95),
    BOOL("cleanFileForciblyEnable", clean_file_forcibly_enable, BR, RL, TRUE),
    INT("cleanResourceInterval", clean_resource_interval, BR, RL, 10000, 1, G_MAXINT),
    BOOL("checkCRCOnRecover", check_crc_on_recover, BR, 0, TRUE),
    BOOL("messageIndexEnable", message_index_enable, BR, 0, TRUE),
    INT("maxHashSlotNum", max_hash_slot_num, BR, 0, 5000000, 1, G_MAXINT),
    INT("maxIndexNum", max_index_num, BR, 0, 20000000, 1, G_MAXINT),
    INT("defaultQueryMaxNum", default_query_max_num, BR, RL, 32, 1, G_MAXINT),

    /* broker: topics, groups, messages */
    BOOL("autoCreateTopicEnable", auto_create_topic_enable, BR, RL, TRUE),
    INT("defaultTopicQueueNums", default_topic_queue_nums, BR, RL, 8, 1, 1024),
    BOOL("autoCreateSubscriptionGroup", auto_create_subscription_group, BR, RL, TRUE),
    INT("maxMessageSize", max_message_size, BR, RL, 4194304, 1, G_MAXINT),
    STR("messageDelayLevel", message_delay_level, BR, 0,
        "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"),
    BOOL("clusterTopicEnable", cluster_topic_enable, BR, 0, TRUE),
    BOOL("brokerTopicEnable", broker_topic_enable, BR, 0, TRUE),
    BOOL("traceTopicEnable", trace_topic_enable, BR, 0, FALSE),
    STR("msgTraceTopicName", msg_trace_topic_name, BR, 0, "RMQ_SYS_TRACE_TOPIC"),
    BOOL("enablePropertyFilter", enable_property_filter, BR, RL, FALSE),
    BOOL("rejectTransactionMessage", reject_transaction_message, BR, RL, FALSE),
    INT("transactionTimeOut", transaction_time_out, BR, RL, 6000, 1, G_MAXINT),
    INT("transactionCheckMax", transaction_check_max, BR, RL, 15, 1, G_MAXINT),
    INT("transactionCheckInterval", transaction_check_interval, BR, RL, 60000, 1, G_MAXINT),

    /* broker: consumers */
    BOOL("longPollingEnable", long_polling_enable, BR, RL, TRUE),
    INT("shortPollingTimeMills", short_polling_time_mills, BR, RL, 1000, 1, G_MAXINT),
    INT("sendThreadPoolQueueCapacity", send_thread_pool_queue_capacity, BR, RL, 10000, 1, G_MAXINT),
    INT("waitTimeMillsInSendQueue", wait_time_mills_in_send_queue, BR, RL, 200, 0, G_MAXINT),
    INT("osPageCacheBusyTimeOutMills", os_page_cache_busy_time_out_mills, BR, RL, 1000, 0, G_MAXINT),
    BOOL("brokerFastFailureEnable", broker_fast_failure_enable, BR, RL, TRUE),
    INT("flushConsumerOffsetInterval", flush_consumer_offset_interval, BR, RL, 5000, 1, G_MAXINT),
    INT("flushDelayOffsetInterval", flush_delay_offset_interval, BR, RL, 10000, 1, G_MAXINT),
    BOOL("slaveReadEnable", slave_read_enable, BR, RL, FALSE),
    INT("accessMessageInMemoryMaxRatio", access_message_in_memory_max_ratio, BR, RL, 40, 0, 100),
    INT("maxTransferBytesOnMessageInMemory", max_transfer_bytes_on_message_in_memory, BR, RL, 262144, 1, G_MAXINT),
    INT("maxTransferCountOnMessageInMemory", max_transfer_count_on_message_in_memory, BR, RL, 32, 1, G_MAXINT),
    INT("maxTransferBytesOnMessageInDisk", max_transfer_bytes_on_message_in_disk, BR, RL, 65536, 1, G_MAXINT),
    INT("maxTransferCountOnMessageInDisk", max_transfer_count_on_message_in_disk, BR, RL, 8, 1, G_MAXINT),
    BOOL("notifyConsumerIdsChangedEnable", notify_consumer_ids_changed_enable, BR, RL, TRUE),
    BOOL("offsetCheckInSlave", offset_check_in_slave, BR, RL, FALSE),

    /* broker: name servers and HA */
    /* BrokerController clamps the period to 10 s .. 60 s */
    INT("registerNameServerPeriod", register_name_server_period, BR, RL | CL, 30000, 10000, 60000),
    INT("registerBrokerTimeoutMills", register_broker_timeout_mills, BR, RL, 6000, 1, G_MAXINT),
    BOOL("forceRegister", force_register, BR, RL, TRUE),
    BOOL("compressedRegister", compressed_register, BR, RL, FALSE),
    INT("slaveTimeout", slave_timeout, BR, RL, 3000, 1, G_MAXINT),
    INT("haSendHeartbeatInterval", ha_send_heartbeat_interval, BR, 0, 5000, 1, G_MAXINT),
    INT("haHousekeepingInterval", ha_housekeeping_interval, BR, 0, 20000, 1, G_MAXINT),
    INT("haTransferBatchSize", ha_transfer_batch_size, BR, 0, 32768, 1, G_MAXINT),
    I64("haSlaveFallbehindMax", ha_slave_fallbehind_max, BR, RL, 268435456, 0, G_MAXINT64),
    STR("haMasterAddress", ha_master_address, BR, 0, NULL),

    /* console: loopback unless told otherwise; the hash is crypt(3) text */
    STR("consoleListenAddress", console_listen_address, CON, 0, "127.0.0.1"),
    INT("consoleListenPort", console_listen_port, CON, 0, 8080, 1, 65535),
    STR("consoleAuthUser", console_auth_user, CON, 0, NULL),
    STR("consoleAuthPasswordHash", console_auth_password_hash, CON, 0, NULL),

    /* Java sizing and features rmq does not have: accepted so ported files load */
    JAVA("serverWorkerThreads", BOTH),
    JAVA("serverSelectorThreads", BOTH),
    JAVA("sendMessageThreadPoolNums", BR),
    JAVA("pullMessageThreadPoolNums", BR),
    JAVA("commitIntervalCommitLog", BR),
    JAVA("transientStorePoolEnable", BR),
    JAVA("transientStorePoolSize", BR),
    JAVA("aclEnable", BR),
};

const guint rmq_config_n_keys = G_N_ELEMENTS(rmq_config_keys);

const RmqConfigKey *rmq_config_key_find(const gchar *name)
{
    for (guint i = 0; i < rmq_config_n_keys; i++)
        if (strcmp(rmq_config_keys[i].name, name) == 0)
            return &rmq_config_keys[i];
    return NULL;
}
