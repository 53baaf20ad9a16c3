/* The store's own configuration: the MessageStoreConfig keys of docs/protocol.md §13.1 that
 * the storage engine reads, with RocketMQ 4.9.7 defaults.  The broker copies
 * its parsed config into this struct; the store never sees RmqConfig. */
#pragma once

#include <glib.h>

typedef enum {
    RMQ_STORE_FLUSH_ASYNC,
    RMQ_STORE_FLUSH_SYNC,
} RmqStoreFlushType;

/* Wall clock in ms since the epoch; tests substitute a fake one. */
typedef gint64 (*RmqStoreClock)(gpointer data);

typedef struct {
    char *store_path_root_dir;           /* storePathRootDir */
    char *store_path_commit_log;         /* NULL: <root>/commitlog */
    gint64 mapped_file_size_commit_log;  /* 1 GiB */
    gint64 mapped_file_size_consume_queue; /* 6000000, rounded up to 20 */
    RmqStoreFlushType flush_disk_type;
    gint flush_interval_commit_log;      /* ms, 500 */
    gint flush_commit_log_least_pages;   /* 4 */
    gint flush_commit_log_thorough_interval; /* ms, 10000 */
    gint flush_interval_consume_queue;   /* ms, 1000 */
    gint sync_flush_timeout;             /* ms, 5000 */
    char *delete_when;                   /* "04", ';'-separated hours */
    gint clean_resource_interval;        /* ms, 10000: retention timer period */
    gint file_reserved_time;             /* hours, 72 */
    gint disk_max_used_space_ratio;      /* percent, 75 */
    gboolean clean_file_forcibly_enable; /* TRUE */
    gboolean check_crc_on_recover;       /* TRUE */
    gboolean message_index_enable;       /* TRUE */
    gint max_hash_slot_num;              /* 5000000 */
    gint max_index_num;                  /* 20000000 */
    char *message_delay_level;           /* "1s 5s 10s ... 2h" */
    gint max_transfer_bytes_on_message_in_memory;   /* 262144 */
    gint max_transfer_count_on_message_in_memory;   /* 32 */
    gint max_transfer_bytes_on_message_in_disk;     /* 65536 */
    gint max_transfer_count_on_message_in_disk;     /* 8 */
    gint access_message_in_memory_max_ratio;        /* 40 */
    gint max_message_size;               /* 4194304 */
    /* ratios of the JVM system properties (docs/protocol.md §13.4), percent */
    gint disk_space_warning_level_ratio; /* 90: refuse appends above */
    gint disk_space_clean_forcibly_ratio; /* 85 */
    RmqStoreClock clock;                 /* NULL: g_get_real_time()/1000 */
    gpointer clock_data;
} RmqStoreConfig;

/* Fills defaults; the root is $STATE_DIRECTORY (first entry) when systemd
 * sets it, else $HOME/store. */
void rmq_store_config_init(RmqStoreConfig *config);
void rmq_store_config_clear(RmqStoreConfig *config);
void rmq_store_config_copy(RmqStoreConfig *dst, const RmqStoreConfig *src);

/* "1s 5s 1m 2h 1d" → delays in ms, level 1 at index 0.  (transfer full) */
GArray *rmq_store_config_parse_delay_levels(const char *spec, GError **error);
/* "04;05" → TRUE at hour_ok[h] for each listed hour. */
gboolean rmq_store_config_parse_delete_when(const char *spec, gboolean hour_ok[24]);
