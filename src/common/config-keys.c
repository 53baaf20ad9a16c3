/* The configuration key table: the single truth about every key rmq reads.
 *
 * One row per key:
 *   TYPE("rocketmqName", rmq_config_field, scope, flags, default[, min, max], landings...)
 * - TYPE: INT (gint), I64 (gint64), BOOL, STR, ENUM (C enum as gint, names
 *   listed), STRV ("host:port;..." list), HOURS ("04;16"), JAVA (a Java-only
 *   key: accepted with a warning, stored nowhere).
 * - rmq_config_field: the RmqConfig member (config.h) the parsed value goes to.
 * - scope: the daemons that read the key (NS name server, BR broker, CON
 *   console); in another daemon's file it is reported as unused.
 * - flags: RL   SIGHUP (and UPDATE_BROKER_CONFIG) may change it: whoever the
 *               key lands in applies the new value at once (the broker through
 *               rmq_broker_reconfigure -> rmq_store_reconfigure /
 *               rmq_ha_service_reconfigure, the name server in apply_config);
 *          RLC  like RL, but in rmq-console only;
 *          CL   out of bounds is clamped with a warning, as RocketMQ does;
 *          DV   the default is computed at run time (config.c derive());
 *          NE   read but without effect yet: a warning says so at load.
 *   No RL: the key needs a restart; a SIGHUP that changes it names it in the log.
 * - default, min, max: RocketMQ 4.9.7's default and the accepted range.
 * - landings: BK(f) / ST(f) / HA(f) name the field of RmqBrokerSettings
 *   (broker/settings.h), RmqStoreConfig (store/store_config.h) or
 *   RmqHaServiceConfig (ha/ha_service.h) that rmq_config_fill copies the value
 *   into; it must have the same C type as the RmqConfig field (the unit test
 *   test_landings_hold_the_value checks every landing against the parsed value).
 *   The name server and the console read RmqConfig itself. This file includes
 *   those three headers for offsetof only (systemd's gperf tables do the
 *   same): libconf.a links nothing of the broker, the store or HA.
 * Adding a key: one row here, its RmqConfig field, and its use (a landing
 * field, or a read of RmqConfig). */
/* <config.h>: a quoted "config.h" would find common/config.h next to this file */
#include <config.h>

#include "common/config-keys.h"

#include "broker/settings.h"
#include "ha/ha_service.h"
#include "store/store_config.h"

#include <string.h>

#define OFF(f) offsetof(RmqConfig, f)
#define NS RMQ_CONFIG_NAMESRV
#define BR RMQ_CONFIG_BROKER
#define BOTH (RMQ_CONFIG_NAMESRV | RMQ_CONFIG_BROKER)
#define CON RMQ_CONFIG_CONSOLE
#define RL RMQ_CONFIG_KEY_RELOAD
#define RLC RMQ_CONFIG_KEY_RELOAD_CONSOLE
#define CL RMQ_CONFIG_KEY_CLAMP
#define DV RMQ_CONFIG_KEY_DERIVED
#define NE RMQ_CONFIG_KEY_NO_EFFECT

#define BK(f) [RMQ_CONFIG_LAND_BROKER] = offsetof(RmqBrokerSettings, f) + 1
#define ST(f) [RMQ_CONFIG_LAND_STORE] = offsetof(RmqStoreConfig, f) + 1
#define HA(f) [RMQ_CONFIG_LAND_HA] = offsetof(RmqHaServiceConfig, f) + 1

#define INT(n, f, sc, fl, d, lo, hi, ...) \
    { n, RMQ_CONFIG_KEY_INT, OFF(f), sc, fl, d, NULL, lo, hi, NULL, { __VA_ARGS__ } }
#define I64(n, f, sc, fl, d, lo, hi, ...) \
    { n, RMQ_CONFIG_KEY_INT64, OFF(f), sc, fl, d, NULL, lo, hi, NULL, { __VA_ARGS__ } }
#define BOOL(n, f, sc, fl, d, ...) \
    { n, RMQ_CONFIG_KEY_BOOL, OFF(f), sc, fl, d, NULL, 0, 1, NULL, { __VA_ARGS__ } }
#define STR(n, f, sc, fl, d, ...) \
    { n, RMQ_CONFIG_KEY_STRING, OFF(f), sc, fl, 0, d, 0, 0, NULL, { __VA_ARGS__ } }
#define ENUM(n, f, sc, fl, d, names, ...) \
    { n, RMQ_CONFIG_KEY_ENUM, OFF(f), sc, fl, d, NULL, 0, 0, names, { __VA_ARGS__ } }
#define STRV(n, f, sc, fl, ...) \
    { n, RMQ_CONFIG_KEY_STRV, OFF(f), sc, fl, 0, NULL, 0, 0, NULL, { __VA_ARGS__ } }
#define HOURS(n, f, sc, fl, d, ...) \
    { n, RMQ_CONFIG_KEY_HOURS, OFF(f), sc, fl, 0, d, 0, 0, NULL, { __VA_ARGS__ } }
#define JAVA(n, sc) { n, RMQ_CONFIG_KEY_JAVA, 0, sc, NE, 0, NULL, 0, 0, NULL, { } }

/* Enum fields are read and written as gint. */
G_STATIC_ASSERT(sizeof(RmqBrokerRole) == sizeof(gint));
G_STATIC_ASSERT(sizeof(RmqFlushDiskType) == sizeof(gint));
G_STATIC_ASSERT(sizeof(RmqStoreFlushType) == sizeof(gint));
G_STATIC_ASSERT(sizeof(RmqHaRole) == sizeof(gint));
/* ... with the same values in every landing */
G_STATIC_ASSERT((gint) RMQ_FLUSH_SYNC == (gint) RMQ_STORE_FLUSH_SYNC);
G_STATIC_ASSERT((gint) RMQ_BROKER_ROLE_SLAVE == (gint) RMQ_HA_ROLE_SLAVE);
G_STATIC_ASSERT((gint) RMQ_BROKER_ROLE_SYNC_MASTER == (gint) RMQ_HA_ROLE_SYNC_MASTER);

static const gchar *const broker_roles[] = { "ASYNC_MASTER", "SYNC_MASTER", "SLAVE", NULL };
static const gchar *const flush_types[] = { "ASYNC_FLUSH", "SYNC_FLUSH", NULL };
/* remoting/tls.h RmqTlsMode and RmqTlsClientAuth, in order */
static const gchar *const tls_modes[] = { "disabled", "permissive", "enforcing", NULL };
static const gchar *const tls_client_auths[] = { "none", "optional", "require", NULL };

const RmqConfigKey rmq_config_keys[] = {
    /* both daemons */
    INT("listenPort", listen_port, BOTH, DV, 10911, 1, 65535, BK(listen_port)),
    STR("bindAddress", bind_address, BOTH, 0, "0.0.0.0", BK(bind_address)),
    INT("serverChannelMaxIdleTimeSeconds", server_channel_max_idle_time_seconds, BOTH, RL, 120, 1,
        G_MAXINT, BK(server_channel_max_idle_time_seconds)),
    /* rmq: time to finish a frame once started (and the first after accept) */
    INT("serverFrameTimeoutSeconds", server_frame_timeout_seconds, BOTH, RL, 30, 0, G_MAXINT,
        BK(server_frame_timeout_seconds)),
    /* rmq: a client that stops reading is cut off (flow control) */
    I64("connectionWriteBufferMaxBytes", connection_write_buffer_max_bytes, BOTH, 0, 67108864, 0,
        G_MAXINT64, BK(flow.write_buffer_max_bytes)),
    I64("connectionWriteStallTimeoutMills", connection_write_stall_timeout_mills, BOTH, 0, 30000, 0,
        G_MAXINT64, BK(flow.write_stall_timeout_ms)),
    STR("rocketmqHome", rocketmq_home, BOTH, DV | NE, NULL),

    /* name server */
    STR("kvConfigPath", kv_config_path, NS, DV, NULL),
    STR("configStorePath", config_store_path, NS, DV | NE, NULL),
    BOOL("orderMessageEnable", order_message_enable, NS, RL, FALSE),
    STR("productEnvName", product_env_name, NS, NE, "center"),
    BOOL("clusterTest", cluster_test, NS, 0, FALSE),
    /* rmq extensions: constants in Java's RouteInfoManager; tests shorten them */
    INT("brokerChannelExpiredTime", broker_channel_expired_time, NS, RL, 120000, 1, G_MAXINT),
    INT("scanNotActiveBrokerInterval", scan_not_active_broker_interval, NS, RL, 10000, 1, G_MAXINT),

    /* broker: identity and cluster */
    STR("brokerClusterName", broker_cluster_name, BR, 0, "DefaultCluster", BK(cluster_name)),
    STR("brokerName", broker_name, BR, DV, NULL, BK(broker_name)),
    I64("brokerId", broker_id, BR, 0, 0, 0, G_MAXINT64, BK(broker_id)),
    /* the broker's name server link is built once: a restart changes the list */
    STRV("namesrvAddr", namesrv_addr, BR | CON, RLC | DV, BK(namesrv_addr)),
    STR("brokerIP1", broker_ip1, BR, DV, NULL, BK(broker_ip1)),
    /* the HA address the name server hands to slaves: brokerIP2:haListenPort */
    STR("brokerIP2", broker_ip2, BR, DV, NULL, BK(broker_ip2)),
    INT("haListenPort", ha_listen_port, BR, DV, 10912, 1, 65535, BK(ha_listen_port)),
    ENUM("brokerRole", broker_role, BR, 0, RMQ_BROKER_ROLE_ASYNC_MASTER, broker_roles,
         BK(broker_role), HA(role)),
    INT("brokerPermission", broker_permission, BR, RL, 6, 0, 7, BK(broker_permission)),
    STR("regionId", region_id, BR, RL, "DefaultRegion", BK(region_id)),
    BOOL("traceOn", trace_on, BR, RL, TRUE, BK(trace_on)),
    BOOL("storeReplyMessageEnable", store_reply_message_enable, BR, RL, TRUE,
         BK(store_reply_message_enable)),

    /* broker: store */
    STR("storePathRootDir", store_path_root_dir, BR, DV, NULL,
        BK(store_path_root_dir), ST(store_path_root_dir)),
    STR("storePathCommitLog", store_path_commit_log, BR, DV, NULL, ST(store_path_commit_log)),
    I64("mappedFileSizeCommitLog", mapped_file_size_commit_log, BR, 0, 1073741824, 4096, G_MAXINT,
        ST(mapped_file_size_commit_log)),
    I64("mappedFileSizeConsumeQueue", mapped_file_size_consume_queue, BR, 0, 6000000, 20, G_MAXINT,
        ST(mapped_file_size_consume_queue)),
    ENUM("flushDiskType", flush_disk_type, BR, 0, RMQ_FLUSH_ASYNC, flush_types, ST(flush_disk_type)),
    INT("flushIntervalCommitLog", flush_interval_commit_log, BR, RL, 500, 1, G_MAXINT,
        ST(flush_interval_commit_log)),
    INT("flushCommitLogLeastPages", flush_commit_log_least_pages, BR, RL, 4, 0, G_MAXINT,
        ST(flush_commit_log_least_pages)),
    INT("flushCommitLogThoroughInterval", flush_commit_log_thorough_interval, BR, RL, 10000, 1,
        G_MAXINT, ST(flush_commit_log_thorough_interval)),
    INT("flushIntervalConsumeQueue", flush_interval_consume_queue, BR, RL, 1000, 1, G_MAXINT,
        ST(flush_interval_consume_queue)),
    INT("syncFlushTimeout", sync_flush_timeout, BR, RL, 5000, 1, G_MAXINT, ST(sync_flush_timeout)),
    HOURS("deleteWhen", delete_when, BR, RL, "04", ST(delete_when)),
    INT("fileReservedTime", file_reserved_time, BR, RL, 72, 0, G_MAXINT, ST(file_reserved_time)),
    /* MessageStoreConfig.getDiskMaxUsedSpaceRatio clamps to 10..95 */
    INT("diskMaxUsedSpaceRatio", disk_max_used_space_ratio, BR, RL | CL, 75, 10, 95,
        ST(disk_max_used_space_ratio)),
    BOOL("cleanFileForciblyEnable", clean_file_forcibly_enable, BR, RL, TRUE,
         ST(clean_file_forcibly_enable)),
    INT("cleanResourceInterval", clean_resource_interval, BR, RL, 10000, 1, G_MAXINT,
        BK(clean_resource_interval), ST(clean_resource_interval)),
    BOOL("checkCRCOnRecover", check_crc_on_recover, BR, 0, TRUE, ST(check_crc_on_recover)),
    BOOL("messageIndexEnable", message_index_enable, BR, 0, TRUE, ST(message_index_enable)),
    INT("maxHashSlotNum", max_hash_slot_num, BR, 0, 5000000, 1, G_MAXINT, ST(max_hash_slot_num)),
    INT("maxIndexNum", max_index_num, BR, 0, 20000000, 1, G_MAXINT, ST(max_index_num)),
    INT("defaultQueryMaxNum", default_query_max_num, BR, RL, 32, 1, G_MAXINT,
        BK(default_query_max_num)),

    /* broker: topics, groups, messages */
    /* taken when the topic table is built (TBW102), as in Java: a restart changes them */
    BOOL("autoCreateTopicEnable", auto_create_topic_enable, BR, 0, TRUE,
         BK(auto_create_topic_enable)),
    INT("defaultTopicQueueNums", default_topic_queue_nums, BR, 0, 8, 1, 1024,
        BK(default_topic_queue_nums)),
    BOOL("autoCreateSubscriptionGroup", auto_create_subscription_group, BR, RL, TRUE,
         BK(auto_create_subscription_group)),
    INT("maxMessageSize", max_message_size, BR, RL, 4194304, 1, G_MAXINT,
        BK(max_message_size), ST(max_message_size)),
    STR("messageDelayLevel", message_delay_level, BR, 0,
        "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
        BK(message_delay_level), ST(message_delay_level)),
    BOOL("clusterTopicEnable", cluster_topic_enable, BR, 0, TRUE, BK(cluster_topic_enable)),
    BOOL("brokerTopicEnable", broker_topic_enable, BR, 0, TRUE, BK(broker_topic_enable)),
    BOOL("traceTopicEnable", trace_topic_enable, BR, 0, FALSE, BK(trace_topic_enable)),
    STR("msgTraceTopicName", msg_trace_topic_name, BR, 0, "RMQ_SYS_TRACE_TOPIC",
        BK(msg_trace_topic_name)),
    /* SQL92 property filters: CHECK_CLIENT_CONFIG and PULL_MESSAGE accept
     * expressionType SQL92 (docs/protocol.md §10.8); filterSupportRetry also
     * filters a group's retry topic with its filter on the original topic */
    BOOL("enablePropertyFilter", enable_property_filter, BR, RL, FALSE,
         BK(enable_property_filter)),
    BOOL("filterSupportRetry", filter_support_retry, BR, RL, FALSE, BK(filter_support_retry)),
    BOOL("rejectTransactionMessage", reject_transaction_message, BR, RL, FALSE,
         BK(reject_transaction_message)),
    INT("transactionTimeOut", transaction_time_out, BR, RL, 6000, 1, G_MAXINT,
        BK(transaction_time_out)),
    INT("transactionCheckMax", transaction_check_max, BR, RL, 15, 1, G_MAXINT,
        BK(transaction_check_max)),
    INT("transactionCheckInterval", transaction_check_interval, BR, RL, 60000, 1, G_MAXINT,
        BK(transaction_check_interval)),

    /* broker: consumers */
    BOOL("longPollingEnable", long_polling_enable, BR, RL, TRUE, BK(long_polling_enable)),
    INT("shortPollingTimeMills", short_polling_time_mills, BR, RL, 1000, 1, G_MAXINT,
        BK(short_polling_time_mills)),
    /* flow control of sends (broker/flow_control.h) */
    INT("sendThreadPoolQueueCapacity", send_thread_pool_queue_capacity, BR, RL, 10000, 1, G_MAXINT,
        BK(flow.send_queue_capacity)),
    I64("waitTimeMillsInSendQueue", wait_time_mills_in_send_queue, BR, RL, 200, 0, G_MAXINT64,
        BK(flow.wait_time_in_send_queue_ms)),
    I64("osPageCacheBusyTimeOutMills", os_page_cache_busy_time_out_mills, BR, RL, 1000, 0,
        G_MAXINT64, BK(flow.os_page_cache_busy_timeout_ms)),
    BOOL("brokerFastFailureEnable", broker_fast_failure_enable, BR, RL, TRUE,
         BK(flow.fast_failure_enable)),
    INT("flushConsumerOffsetInterval", flush_consumer_offset_interval, BR, RL, 5000, 1, G_MAXINT,
        BK(flush_consumer_offset_interval)),
    INT("flushDelayOffsetInterval", flush_delay_offset_interval, BR, RL, 10000, 1, G_MAXINT,
        BK(flush_delay_offset_interval)),
    BOOL("slaveReadEnable", slave_read_enable, BR, RL, FALSE, BK(slave_read_enable)),
    INT("accessMessageInMemoryMaxRatio", access_message_in_memory_max_ratio, BR, RL, 40, 0, 100,
        BK(access_message_in_memory_max_ratio), ST(access_message_in_memory_max_ratio)),
    INT("maxTransferBytesOnMessageInMemory", max_transfer_bytes_on_message_in_memory, BR, RL,
        262144, 1, G_MAXINT, ST(max_transfer_bytes_on_message_in_memory)),
    INT("maxTransferCountOnMessageInMemory", max_transfer_count_on_message_in_memory, BR, RL, 32, 1,
        G_MAXINT, ST(max_transfer_count_on_message_in_memory)),
    INT("maxTransferBytesOnMessageInDisk", max_transfer_bytes_on_message_in_disk, BR, RL, 65536, 1,
        G_MAXINT, ST(max_transfer_bytes_on_message_in_disk)),
    INT("maxTransferCountOnMessageInDisk", max_transfer_count_on_message_in_disk, BR, RL, 8, 1,
        G_MAXINT, ST(max_transfer_count_on_message_in_disk)),
    BOOL("notifyConsumerIdsChangedEnable", notify_consumer_ids_changed_enable, BR, RL, TRUE,
         BK(notify_consumer_ids_changed_enable)),
    BOOL("offsetCheckInSlave", offset_check_in_slave, BR, RL | NE, FALSE),

    /* broker: name servers and HA */
    /* BrokerController clamps the period to 10 s .. 60 s */
    INT("registerNameServerPeriod", register_name_server_period, BR, RL | CL, 30000, 10000, 60000,
        BK(register_name_server_period)),
    INT("registerBrokerTimeoutMills", register_broker_timeout_mills, BR, RL, 6000, 1, G_MAXINT,
        BK(register_broker_timeout_mills)),
    BOOL("forceRegister", force_register, BR, RL | NE, TRUE),
    BOOL("compressedRegister", compressed_register, BR, RL | NE, FALSE),
    INT("slaveTimeout", slave_timeout, BR, RL, 3000, 1, G_MAXINT, HA(slave_timeout_ms)),
    INT("haSendHeartbeatInterval", ha_send_heartbeat_interval, BR, RL, 5000, 1, G_MAXINT,
        HA(heartbeat_interval_ms)),
    INT("haHousekeepingInterval", ha_housekeeping_interval, BR, RL, 20000, 1, G_MAXINT,
        HA(housekeeping_interval_ms)),
    INT("haTransferBatchSize", ha_transfer_batch_size, BR, RL, 32768, 1, G_MAXINT,
        HA(transfer_batch_size)),
    I64("haSlaveFallbehindMax", ha_slave_fallbehind_max, BR, RL, 268435456, 0, G_MAXINT64,
        HA(slave_fallbehind_max)),
    STR("haMasterAddress", ha_master_address, BR, 0, NULL, BK(ha_master_address)),

    /* broker: plain ACL. Both need a restart; the file itself is watched
     * (re-read within a second or two of an edit, and on SIGHUP). Java reads
     * the file from ${rocketmq.home.dir}/conf/plain_acl.yml (system property
     * rocketmq.acl.plain.file); plainAclFile is rmq's key for it. */
    BOOL("aclEnable", acl_enable, BR, 0, FALSE, BK(acl_enable)),
    STR("plainAclFile", plain_acl_file, BR, 0, SYSCONFDIR "/rocketmq/plain_acl.yml",
        BK(plain_acl_file)),
    /* the account rmq's own requests are signed with: a slave's metadata
     * sync from its master (Java 4.9's broker never signs, so a Java slave
     * needs a white-listed address; Java 5 has innerClientAuthenticationCredentials)
     * and the console's requests. The secret is read from its own file,
     * readable by its owner only, never from the config file. */
    STR("accessKey", access_key, BR | CON, 0, NULL, BK(access_key)),
    STR("secretKeyFile", secret_key_file, BR | CON, 0, NULL, BK(secret_key_file)),

    /* TLS on the remoting ports (name server, broker listenPort and its VIP
     * port) and the outgoing links (broker -> name servers, slave -> master
     * metadata). Java's tls.* system properties, see rmq_config_tls_aliases.
     * rmq's defaults are the safe ones: tlsServerMode disabled (Java:
     * permissive with a self-signed certificate), tlsTestModeEnable false
     * (Java: true), tlsClientAuthServer true (Java: false). */
    ENUM("tlsServerMode", tls.server_mode, BOTH, 0, 0, tls_modes, BK(tls.server_mode)),
    ENUM("tlsServerNeedClientAuth", tls.server_need_client_auth, BOTH, 0, 0, tls_client_auths,
         BK(tls.server_need_client_auth)),
    STR("tlsServerCertPath", tls.server_cert_path, BOTH, 0, NULL, BK(tls.server_cert_path)),
    STR("tlsServerKeyPath", tls.server_key_path, BOTH, 0, NULL, BK(tls.server_key_path)),
    STR("tlsServerKeyPassword", tls.server_key_password, BOTH, 0, NULL,
        BK(tls.server_key_password)),
    STR("tlsServerTrustCertPath", tls.server_trust_cert_path, BOTH, 0, NULL,
        BK(tls.server_trust_cert_path)),
    BOOL("tlsServerAuthClient", tls.server_auth_client, BOTH, 0, FALSE,
         BK(tls.server_auth_client)),
    BOOL("tlsTestModeEnable", tls.test_mode_enable, BOTH | CON, 0, FALSE, BK(tls.test_mode_enable)),
    BOOL("tlsEnable", tls.enable, BR | CON, DV, FALSE, BK(tls.enable)),
    STR("tlsClientCertPath", tls.client_cert_path, BR | CON, 0, NULL, BK(tls.client_cert_path)),
    STR("tlsClientKeyPath", tls.client_key_path, BR | CON, 0, NULL, BK(tls.client_key_path)),
    STR("tlsClientKeyPassword", tls.client_key_password, BR | CON, 0, NULL,
        BK(tls.client_key_password)),
    STR("tlsClientTrustCertPath", tls.client_trust_cert_path, BR | CON, 0, NULL,
        BK(tls.client_trust_cert_path)),
    BOOL("tlsClientAuthServer", tls.client_auth_server, BR | CON, 0, TRUE, BK(tls.client_auth_server)),
    STR("tlsConfigFile", tls.config_file, BOTH | CON, 0, NULL, BK(tls.config_file)),

    /* console: loopback unless told otherwise; the hash is crypt(3) text */
    STR("consoleListenAddress", console_listen_address, CON, 0, "127.0.0.1"),
    INT("consoleListenPort", console_listen_port, CON, 0, 8080, 1, 65535),
    STR("consoleAuthUser", console_auth_user, CON, 0, NULL),
    STR("consoleAuthPasswordHash", console_auth_password_hash, CON, 0, NULL),
    STRV("consoleAccounts", console_accounts, CON, RLC),
    /* HTTPS (docs/protocol.md §19.5): PEM certificate chain and unencrypted key */
    STR("consoleTlsCertPath", console_tls_cert_path, CON, 0, NULL),
    STR("consoleTlsKeyPath", console_tls_key_path, CON, 0, NULL),

    /* Java sizing and features rmq does not have: accepted so ported files load */
    JAVA("serverWorkerThreads", BOTH),
    JAVA("serverSelectorThreads", BOTH),
    JAVA("sendMessageThreadPoolNums", BR),
    JAVA("pullMessageThreadPoolNums", BR),
    JAVA("commitIntervalCommitLog", BR),
    JAVA("transientStorePoolEnable", BR),
    JAVA("transientStorePoolSize", BR),
};

const guint rmq_config_n_keys = G_N_ELEMENTS(rmq_config_keys);

/* Java's TLS system properties (TlsSystemConfig) and their keys here. Java
 * reads all but tls.server.mode, tls.enable and tls.config.file from its
 * tls.config.file (/etc/rocketmq/tls.properties) as well. */
static const struct {
    const gchar *java;
    const gchar *key;
    gboolean in_tls_file;
} tls_aliases[] = {
    { "tls.server.mode", "tlsServerMode", FALSE },
    { "tls.enable", "tlsEnable", FALSE },
    { "tls.config.file", "tlsConfigFile", FALSE },
    { "tls.test.mode.enable", "tlsTestModeEnable", TRUE },
    { "tls.server.need.client.auth", "tlsServerNeedClientAuth", TRUE },
    { "tls.server.keyPath", "tlsServerKeyPath", TRUE },
    { "tls.server.keyPassword", "tlsServerKeyPassword", TRUE },
    { "tls.server.certPath", "tlsServerCertPath", TRUE },
    { "tls.server.authClient", "tlsServerAuthClient", TRUE },
    { "tls.server.trustCertPath", "tlsServerTrustCertPath", TRUE },
    { "tls.client.keyPath", "tlsClientKeyPath", TRUE },
    { "tls.client.keyPassword", "tlsClientKeyPassword", TRUE },
    { "tls.client.certPath", "tlsClientCertPath", TRUE },
    { "tls.client.authServer", "tlsClientAuthServer", TRUE },
    { "tls.client.trustCertPath", "tlsClientTrustCertPath", TRUE },
};

const gchar *rmq_config_key_tls_alias(const gchar *java_name, gboolean *in_tls_file)
{
    for (guint i = 0; java_name != NULL && i < G_N_ELEMENTS(tls_aliases); i++)
        if (strcmp(tls_aliases[i].java, java_name) == 0) {
            if (in_tls_file != NULL)
                *in_tls_file = tls_aliases[i].in_tls_file;
            return tls_aliases[i].key;
        }
    return NULL;
}

const RmqConfigKey *rmq_config_key_find(const gchar *name)
{
    for (guint i = 0; i < rmq_config_n_keys; i++)
        if (strcmp(rmq_config_keys[i].name, name) == 0)
            return &rmq_config_keys[i];
    return NULL;
}

gboolean rmq_config_key_reloads(const RmqConfigKey *key, RmqConfigScope scope)
{
    g_return_val_if_fail(key != NULL, FALSE);
    if (key->type == RMQ_CONFIG_KEY_JAVA || !(key->scope & scope))
        return FALSE;
    if (key->flags & RMQ_CONFIG_KEY_RELOAD)
        return TRUE;
    return (key->flags & RMQ_CONFIG_KEY_RELOAD_CONSOLE) && (scope & RMQ_CONFIG_CONSOLE);
}

gchar *rmq_config_key_value_text(const RmqConfigKey *key, gconstpointer base, gsize offset)
{
    g_return_val_if_fail(key != NULL && base != NULL, NULL);
    const void *at = (const guint8 *) base + offset;
    switch (key->type) {
    case RMQ_CONFIG_KEY_INT:
        return g_strdup_printf("%d", *(const gint *) at);
    case RMQ_CONFIG_KEY_INT64:
        return g_strdup_printf("%" G_GINT64_FORMAT, *(const gint64 *) at);
    case RMQ_CONFIG_KEY_BOOL:
        return g_strdup(*(const gboolean *) at ? "true" : "false");
    case RMQ_CONFIG_KEY_ENUM: {
        gint v = *(const gint *) at;
        if (v < 0 || v >= (gint) g_strv_length((gchar **) key->enum_names))
            return g_strdup_printf("%d", v);
        return g_strdup(key->enum_names[v]);
    }
    case RMQ_CONFIG_KEY_STRING:
    case RMQ_CONFIG_KEY_HOURS: {
        const gchar *v = *(gchar *const *) at;
        /* tlsServerKeyPassword, tlsClientKeyPassword: shown set, never read out */
        if (v != NULL && *v != '\0' && g_str_has_suffix(key->name, "KeyPassword"))
            return g_strdup("******");
        return g_strdup(v != NULL ? v : "");
    }
    case RMQ_CONFIG_KEY_STRV: {
        gchar **v = *(gchar **const *) at;
        return v != NULL ? g_strjoinv(";", v) : g_strdup("");
    }
    case RMQ_CONFIG_KEY_JAVA:
        break;
    }
    return g_strdup("");
}
