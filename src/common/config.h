/* Instance configuration: /etc/rocketmq/<instance>.conf (libconfig syntax) or an
 * Apache RocketMQ .properties file, read through one key table
 * (config-keys.c) that gives each key its type, default, bounds, whether
 * SIGHUP may change it and the subsystem structs it lands in
 * (docs/protocol.md §13). Field names are RocketMQ's keys in snake_case. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RMQ_CONFIG_ERROR (rmq_config_error_quark())
GQuark rmq_config_error_quark(void);
typedef enum {
    RMQ_CONFIG_ERROR_IO,      /* cannot read the file */
    RMQ_CONFIG_ERROR_SYNTAX,  /* file does not parse */
    RMQ_CONFIG_ERROR_TYPE,    /* a key has a value of the wrong type */
    RMQ_CONFIG_ERROR_RANGE,   /* a value outside its bounds or enum */
    RMQ_CONFIG_ERROR_INVALID, /* values that do not fit together (ports collide, ...) */
} RmqConfigError;

/* Which daemon reads the file: keys of the other daemon are "unknown". */
typedef enum {
    RMQ_CONFIG_NAMESRV = 1 << 0,
    RMQ_CONFIG_BROKER = 1 << 1,
    RMQ_CONFIG_CONSOLE = 1 << 2,
} RmqConfigScope;

/* The subsystem structs a key's value is copied into (RmqConfigKey.land):
 * RmqBrokerSettings (broker/settings.h), RmqStoreConfig
 * (store/store_config.h), RmqHaServiceConfig (ha/ha_service.h). The name
 * server and the console read RmqConfig itself. */
typedef enum {
    RMQ_CONFIG_LAND_BROKER,
    RMQ_CONFIG_LAND_STORE,
    RMQ_CONFIG_LAND_HA,
    RMQ_CONFIG_LAND_N
} RmqConfigLanding;

typedef enum {
    RMQ_BROKER_ROLE_ASYNC_MASTER,
    RMQ_BROKER_ROLE_SYNC_MASTER,
    RMQ_BROKER_ROLE_SLAVE,
} RmqBrokerRole;

typedef enum {
    RMQ_FLUSH_ASYNC,
    RMQ_FLUSH_SYNC,
} RmqFlushDiskType;

/* The TLS keys: Java's tls.* system properties under libconfig-safe names
 * (rmq_config_key_tls_alias). The name server reads them here, the broker
 * from its settings (same struct); remoting/tls_config.h makes contexts. */
typedef struct {
    gint server_mode;             /* tlsServerMode, disabled (RmqTlsMode) */
    gint server_need_client_auth; /* tlsServerNeedClientAuth, none (RmqTlsClientAuth) */
    gchar *server_cert_path;      /* tlsServerCertPath */
    gchar *server_key_path;       /* tlsServerKeyPath */
    gchar *server_key_password;   /* tlsServerKeyPassword; never shown */
    gchar *server_trust_cert_path; /* tlsServerTrustCertPath */
    gboolean server_auth_client;  /* tlsServerAuthClient, false */
    gboolean test_mode_enable;    /* tlsTestModeEnable, false (Java: true) */
    gboolean enable;              /* tlsEnable: outgoing links, default = enforcing */
    gchar *client_cert_path;      /* tlsClientCertPath */
    gchar *client_key_path;       /* tlsClientKeyPath */
    gchar *client_key_password;   /* tlsClientKeyPassword; never shown */
    gchar *client_trust_cert_path; /* tlsClientTrustCertPath */
    gboolean client_auth_server;  /* tlsClientAuthServer, true (Java: false) */
    gchar *config_file;           /* tlsConfigFile: a Java tls.properties, NULL */
} RmqTlsSettings;

typedef struct {
    RmqConfigScope scope;
    gchar *path; /* file it was read from, NULL for defaults */

    /* both daemons */
    gint listen_port;           /* listenPort: 9876 namesrv, 10911 broker */
    gchar *bind_address;        /* bindAddress (rmq): address to listen on, "0.0.0.0" */
    gint server_channel_max_idle_time_seconds; /* 120 */
    gint server_frame_timeout_seconds; /* serverFrameTimeoutSeconds (rmq): 30, 0 = none */
    gint64 connection_write_buffer_max_bytes; /* 67108864, 0 = none (rmq) */
    gint64 connection_write_stall_timeout_mills; /* 30000, 0 = never (rmq) */
    gchar *rocketmq_home;       /* rocketmqHome: accepted, unused */

    /* name server */
    gchar *kv_config_path;      /* kvConfigPath: default <state dir>/kvConfig.json */
    gchar *config_store_path;   /* configStorePath */
    gboolean order_message_enable;
    gchar *product_env_name;
    gboolean cluster_test;
    /* rmq extensions, Java constants there (RouteInfoManager): tests shorten them */
    gint broker_channel_expired_time;     /* brokerChannelExpiredTime, ms, 120000 */
    gint scan_not_active_broker_interval; /* scanNotActiveBrokerInterval, ms, 10000 (first after 5 s) */

    /* broker: identity and cluster */
    gchar *broker_cluster_name; /* DefaultCluster */
    gchar *broker_name;         /* default: host name */
    gint64 broker_id;           /* 0 master, >0 slave */
    gchar **namesrv_addr;       /* NULL-terminated "host:port" list; empty = none */
    gchar *broker_ip1;          /* advertised address; default first non-loopback IPv4 */
    gchar *broker_ip2;          /* advertised HA address; default brokerIP1 */
    gint ha_listen_port;        /* default listenPort + 1 */
    RmqBrokerRole broker_role;
    gint broker_permission;     /* 6 */
    gchar *region_id;           /* DefaultRegion */
    gboolean trace_on;
    gboolean store_reply_message_enable; /* storeReplyMessageEnable, TRUE */

    /* broker: store */
    gchar *store_path_root_dir; /* default $STATE_DIRECTORY, else ~/store */
    gchar *store_path_commit_log; /* default <root>/commitlog */
    gint64 mapped_file_size_commit_log;   /* 1 GiB */
    gint64 mapped_file_size_consume_queue; /* 6000000 */
    RmqFlushDiskType flush_disk_type;
    gint flush_interval_commit_log;       /* ms, 500 */
    gint flush_commit_log_least_pages;    /* 4 */
    gint flush_commit_log_thorough_interval; /* ms, 10000 */
    gint flush_interval_consume_queue;    /* ms, 1000 */
    gint sync_flush_timeout;              /* ms, 5000 */
    gchar *delete_when;                   /* "04", ';'-separated hours */
    gint file_reserved_time;              /* hours, 72 */
    gint disk_max_used_space_ratio;       /* percent, 75 */
    gboolean clean_file_forcibly_enable;
    gint clean_resource_interval;         /* ms, 10000 */
    gboolean check_crc_on_recover;
    gboolean message_index_enable;
    gint max_hash_slot_num;               /* 5000000 */
    gint max_index_num;                   /* 20000000 */
    gint default_query_max_num;           /* 32 */

    /* broker: topics, groups, messages */
    gboolean auto_create_topic_enable;
    gint default_topic_queue_nums;        /* 8 */
    gboolean auto_create_subscription_group;
    gint max_message_size;                /* 4194304 */
    gchar *message_delay_level;           /* "1s 5s ... 2h" */
    gboolean cluster_topic_enable;
    gboolean broker_topic_enable;
    gboolean trace_topic_enable;
    gchar *msg_trace_topic_name;
    gboolean enable_property_filter;
    gboolean filter_support_retry;
    gboolean reject_transaction_message;
    gint transaction_time_out;            /* ms, 6000 */
    gint transaction_check_max;           /* 15 */
    gint transaction_check_interval;      /* ms, 60000 */

    /* broker: consumers */
    gboolean long_polling_enable;
    gint short_polling_time_mills;        /* 1000 */
    gint send_thread_pool_queue_capacity; /* 10000 */
    gint64 wait_time_mills_in_send_queue;   /* 200 */
    gint64 os_page_cache_busy_time_out_mills; /* 1000 */
    gboolean broker_fast_failure_enable;  /* TRUE */
    gint flush_consumer_offset_interval;  /* ms, 5000 */
    gint flush_delay_offset_interval;     /* ms, 10000 */
    gboolean slave_read_enable;
    gint access_message_in_memory_max_ratio; /* 40 */
    gint max_transfer_bytes_on_message_in_memory; /* 262144 */
    gint max_transfer_count_on_message_in_memory; /* 32 */
    gint max_transfer_bytes_on_message_in_disk;   /* 65536 */
    gint max_transfer_count_on_message_in_disk;   /* 8 */
    gboolean notify_consumer_ids_changed_enable;
    gboolean offset_check_in_slave;

    /* broker: name servers and HA */
    gint register_name_server_period;     /* ms, 30000, clamped 10000..60000 */
    gint register_broker_timeout_mills;   /* 6000 */
    gboolean force_register;
    gboolean compressed_register;
    gint slave_timeout;                   /* ms, 3000 */
    gint ha_send_heartbeat_interval;      /* ms, 5000 */
    gint ha_housekeeping_interval;        /* ms, 20000 */
    gint ha_transfer_batch_size;          /* 32768 */
    gint64 ha_slave_fallbehind_max;       /* 268435456 */
    gchar *ha_master_address;             /* NULL = learn from the name server */

    /* broker: plain ACL (src/acl, broker/acl_guard.h) */
    gboolean acl_enable;                  /* aclEnable, false */
    gchar *plain_acl_file;                /* plainAclFile, SYSCONFDIR/rocketmq/plain_acl.yml */
    /* the account this daemon signs its own requests with (a slave's
     * metadata sync, the console): accessKey, the secret in secretKeyFile */
    gchar *access_key;                    /* accessKey, NULL = unsigned */
    gchar *secret_key_file;               /* secretKeyFile, owner-only (common/secret_file.h) */

    /* TLS (remoting/tls_config.h; docs/protocol.md §13, "TLS") */
    RmqTlsSettings tls;

    /* console (rmq-console; namesrvAddr above is shared with the broker) */
    gchar *console_listen_address;        /* consoleListenAddress, "127.0.0.1" */
    gint console_listen_port;             /* consoleListenPort, 8080 */
    gchar *console_auth_user;             /* consoleAuthUser, NULL = no authentication */
    gchar *console_auth_password_hash;    /* consoleAuthPasswordHash, crypt(3); never logged */
    gchar **console_accounts;             /* consoleAccounts, "name:role:crypt-hash" each */
    gchar *console_tls_cert_path;         /* consoleTlsCertPath: HTTPS when set, NULL */
    gchar *console_tls_key_path;          /* consoleTlsKeyPath, with consoleTlsCertPath */

    /* private to config.c: keys set in the file, in file order, with their
     * lines (for to_libconfig and for errors found after loading) */
    GArray *set_keys;
} RmqConfig;

/* Defaults for @scope (paths resolved against $STATE_DIRECTORY / $HOME). (transfer full) */
RmqConfig *rmq_config_new_defaults(RmqConfigScope scope);

/* Read @path: libconfig syntax, or Java properties when the name ends in
 * ".properties". Errors name the file, line, key and what was expected
 * ("broker-a.conf:12: listenPort: expected an integer from 1 to 65535, got 70000").
 * Unknown keys do not fail: a line per key is appended to @warnings
 * (may be NULL), e.g. "broker-a.conf:7: unknown key 'listenPrt' ignored";
 * so are clamped values and Java-only keys. @warnings gets newly allocated
 * strings: create it with g_ptr_array_new_with_free_func(g_free).
 * Runs rmq_config_validate. (transfer full) */
RmqConfig *rmq_config_load(const gchar *path, RmqConfigScope scope,
                           GPtrArray *warnings, GError **error);

/* Cross-key checks (port collisions, role vs brokerId, ...). Called by load. */
gboolean rmq_config_validate(const RmqConfig *cfg, GError **error);

/* The config a SIGHUP produces: @current with every reloadable key taken from
 * @fresh. Keys that differ but need a restart are named in @restart_needed
 * (may be NULL; gets g_strdup'd RocketMQ key names). (transfer full) */
RmqConfig *rmq_config_merge_reloadable(const RmqConfig *current, const RmqConfig *fresh,
                                       GPtrArray *restart_needed);

/* The keys explicitly set in the file that @cfg was loaded from, as libconfig
 * text: the .properties -> .conf converter. (transfer full) */
gchar *rmq_config_to_libconfig(const RmqConfig *cfg);

/* "host:port;host:port" as RocketMQ writes it. (transfer full) */
gchar *rmq_config_namesrv_addr_string(const RmqConfig *cfg);

/* deleteWhen: ';'-separated hours 0..23 ("04;16") as a bit mask (bit h = hour h). */
gboolean rmq_config_parse_hours(const gchar *text, guint32 *hours_mask, GError **error);

/* messageDelayLevel: blank-separated "<n><unit>" with unit s, m, h or d
 * ("1s 5s 10s 30s 1m ..."). @levels_ms receives one gint64 per level, in
 * milliseconds, level 1 first. (transfer full) */
gboolean rmq_config_parse_delay_levels(const gchar *text, GArray **levels_ms, GError **error);

/* The keys whose values differ between @before and @after, as
 * "fileReservedTime 72 -> 48, deleteWhen 04 -> 03" (for the log); NULL when
 * none do. (transfer full) */
gchar *rmq_config_describe_changes(const RmqConfig *before, const RmqConfig *after);

/* Whether SIGHUP may change @key (RocketMQ name); FALSE for unknown keys. */
gboolean rmq_config_key_is_reloadable(const gchar *key);

/* Copy every key of @cfg's scope that lands in @landing into the struct at
 * @target (strings g_strdup'd, the old ones freed); with @reloadable_only,
 * only the keys SIGHUP may change. Fields no key lands in are left alone. */
void rmq_config_fill(const RmqConfig *cfg, RmqConfigLanding landing, gpointer target,
                     gboolean reloadable_only);
/* Free the strings of @landing's struct at @target and clear them. */
void rmq_config_landing_clear(RmqConfigLanding landing, gpointer target);
/* Give the shallow copy @target (of a @landing struct) its own strings. */
void rmq_config_landing_dup(RmqConfigLanding landing, gpointer target);

/* UPDATE_BROKER_CONFIG: @cfg with the "key=value" lines of @text (a Java
 * properties text) applied, parsed and bounded as in a .properties file.
 * Every key must be one SIGHUP may change: otherwise, or when a value is
 * refused, NULL with @error naming the key. (transfer full) */
RmqConfig *rmq_config_update_runtime(const RmqConfig *cfg, const gchar *text, GError **error);

RmqConfig *rmq_config_copy(const RmqConfig *cfg);
void rmq_config_free(RmqConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqConfig, rmq_config_free)

G_END_DECLS
