#include <config.h>

#include "broker/settings.h"

#include <stddef.h>
#include <string.h>

static G_DEFINE_QUARK(rmq-broker-settings-error-quark, rmq_broker_settings_error)

typedef enum { K_STR, K_INT, K_INT64, K_BOOL, K_STRV } KeyType;

typedef struct {
    const gchar *name;
    KeyType type;
    gsize offset;
    gboolean runtime; /* UPDATE_BROKER_CONFIG may change it */
} Key;

#define F(field) offsetof(RmqBrokerSettings, field)
static const Key keys[] = {
    { "brokerClusterName", K_STR, F(cluster_name), FALSE },
    { "brokerName", K_STR, F(broker_name), FALSE },
    { "brokerId", K_INT64, F(broker_id), FALSE },
    { "namesrvAddr", K_STRV, F(namesrv_addr), FALSE },
    { "brokerIP1", K_STR, F(broker_ip1), FALSE },
    { "listenPort", K_INT, F(listen_port), FALSE },
    { "haListenPort", K_INT, F(ha_listen_port), FALSE },
    { "brokerPermission", K_INT, F(broker_permission), TRUE },
    { "regionId", K_STR, F(region_id), TRUE },
    { "traceOn", K_BOOL, F(trace_on), TRUE },
    { "serverChannelMaxIdleTimeSeconds", K_INT, F(server_channel_max_idle_time_seconds), FALSE },
    { "storePathRootDir", K_STR, F(store_path_root_dir), FALSE },
    { "storePathCommitLog", K_STR, F(store_path_commit_log), FALSE },
    { "mappedFileSizeCommitLog", K_INT64, F(mapped_file_size_commit_log), FALSE },
    { "mappedFileSizeConsumeQueue", K_INT, F(mapped_file_size_consume_queue), FALSE },
    { "flushIntervalCommitLog", K_INT, F(flush_interval_commit_log), FALSE },
    { "flushCommitLogLeastPages", K_INT, F(flush_commit_log_least_pages), FALSE },
    { "flushIntervalConsumeQueue", K_INT, F(flush_interval_consume_queue), FALSE },
    { "syncFlushTimeout", K_INT, F(sync_flush_timeout), FALSE },
    { "deleteWhen", K_STR, F(delete_when), FALSE },
    { "fileReservedTime", K_INT, F(file_reserved_time), FALSE },
    { "diskMaxUsedSpaceRatio", K_INT, F(disk_max_used_space_ratio), FALSE },
    { "cleanResourceInterval", K_INT, F(clean_resource_interval), FALSE },
    { "messageIndexEnable", K_BOOL, F(message_index_enable), FALSE },
    { "defaultQueryMaxNum", K_INT, F(default_query_max_num), TRUE },
    { "autoCreateTopicEnable", K_BOOL, F(auto_create_topic_enable), FALSE },
    { "defaultTopicQueueNums", K_INT, F(default_topic_queue_nums), FALSE },
    { "autoCreateSubscriptionGroup", K_BOOL, F(auto_create_subscription_group), TRUE },
    { "maxMessageSize", K_INT, F(max_message_size), TRUE },
    { "messageDelayLevel", K_STR, F(message_delay_level), FALSE },
    { "rejectTransactionMessage", K_BOOL, F(reject_transaction_message), TRUE },
    { "transactionTimeOut", K_INT, F(transaction_time_out), TRUE },
    { "transactionCheckMax", K_INT, F(transaction_check_max), TRUE },
    { "transactionCheckInterval", K_INT, F(transaction_check_interval), FALSE },
    { "longPollingEnable", K_BOOL, F(long_polling_enable), TRUE },
    { "shortPollingTimeMills", K_INT, F(short_polling_time_mills), TRUE },
    { "flushConsumerOffsetInterval", K_INT, F(flush_consumer_offset_interval), FALSE },
    { "notifyConsumerIdsChangedEnable", K_BOOL, F(notify_consumer_ids_changed_enable), TRUE },
    { "registerNameServerPeriod", K_INT, F(register_name_server_period), FALSE },
    { "registerBrokerTimeoutMills", K_INT, F(register_broker_timeout_mills), TRUE },
    { "haSendHeartbeatInterval", K_INT, F(ha_send_heartbeat_interval), FALSE },
    { "haHousekeepingInterval", K_INT, F(ha_housekeeping_interval), FALSE },
    { "haTransferBatchSize", K_INT, F(ha_transfer_batch_size), FALSE },
    { "haSlaveFallbehindMax", K_INT64, F(ha_slave_fallbehind_max), FALSE },
    { "slaveTimeout", K_INT, F(slave_timeout), FALSE },
    { "haMasterAddress", K_STR, F(ha_master_address), FALSE },
    { "slaveReadEnable", K_BOOL, F(slave_read_enable), TRUE },
};
#undef F

#define AT(s, k, T) ((T *) (void *) ((guint8 *) (s) + (k)->offset))
#define CAT(s, k, T) ((const T *) (const void *) ((const guint8 *) (s) + (k)->offset))

/* Every string field, including those not in the key table. */
#define STRING_FIELDS(X) \
    X(cluster_name) X(broker_name) X(broker_ip1) X(bind_address) X(region_id) \
    X(store_path_root_dir) X(store_path_commit_log) X(delete_when) X(message_delay_level) \
    X(msg_trace_topic_name) X(ha_master_address)

void
rmq_broker_settings_clear(RmqBrokerSettings *s)
{
#define FREE_(f) g_clear_pointer(&s->f, g_free);
    STRING_FIELDS(FREE_)
#undef FREE_
    g_clear_pointer(&s->namesrv_addr, g_strfreev);
}

void
rmq_broker_settings_copy(RmqBrokerSettings *dst, const RmqBrokerSettings *src)
{
    *dst = *src;
#define DUP_(f) dst->f = g_strdup(src->f);
    STRING_FIELDS(DUP_)
#undef DUP_
    dst->namesrv_addr = g_strdupv(src->namesrv_addr);
}

gchar *
rmq_broker_settings_to_properties(const RmqBrokerSettings *s)
{
    GString *out = g_string_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
        const Key *k = &keys[i];
        g_string_append_printf(out, "%s=", k->name);
        switch (k->type) {
        case K_STR: {
            const gchar *v = *CAT(s, k, gchar *);
            g_string_append(out, v != NULL ? v : "");
            break;
        }
        case K_INT:
            g_string_append_printf(out, "%d", *CAT(s, k, gint));
            break;
        case K_INT64:
            g_string_append_printf(out, "%" G_GINT64_FORMAT, *CAT(s, k, gint64));
            break;
        case K_BOOL:
            g_string_append(out, *CAT(s, k, gboolean) ? "true" : "false");
            break;
        case K_STRV: {
            gchar **v = *(gchar **const *) (const void *) ((const guint8 *) s + k->offset);
            if (v != NULL) {
                g_autofree gchar *j = g_strjoinv(";", (gchar **) v);
                g_string_append(out, j);
            }
            break;
        }
        }
        g_string_append_c(out, '\n');
    }
    g_string_append_printf(out, "flushDiskType=%s\n", s->sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH");
    g_string_append_printf(out, "brokerRole=%s\n",
                           s->broker_role == 2   ? "SLAVE"
                           : s->broker_role == 1 ? "SYNC_MASTER"
                                                 : "ASYNC_MASTER");
    return g_string_free(out, FALSE);
}

static const Key *
find_key(const gchar *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

typedef struct {
    const Key *key;
    gchar *value;
} Pending;

gboolean
rmq_broker_settings_update(RmqBrokerSettings *s, const gchar *text, GPtrArray *ignored,
                           GError **error)
{
    g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);
    g_autoptr(GArray) todo = g_array_new(FALSE, FALSE, sizeof(Pending));
    g_autoptr(GPtrArray) refused = g_ptr_array_new_with_free_func(g_free);
    gboolean ok = TRUE;

    /* Validate everything first: a bad value leaves the settings untouched. */
    for (guint i = 0; lines[i] != NULL && ok; i++) {
        gchar *line = g_strstrip(lines[i]);
        if (*line == '\0' || *line == '#' || *line == '!')
            continue;
        gchar *eq = strchr(line, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        gchar *name = g_strstrip(line), *value = g_strstrip(eq + 1);
        const Key *k = find_key(name);
        if (k == NULL || !k->runtime) {
            if (ignored != NULL)
                g_ptr_array_add(ignored, g_strdup(name));
            else
                g_ptr_array_add(refused, g_strdup(name));
            continue;
        }
        if (k->type == K_INT || k->type == K_INT64) {
            gint64 n;
            if (!g_ascii_string_to_signed(value, 10, k->type == K_INT ? G_MININT : G_MININT64,
                                          k->type == K_INT ? G_MAXINT : G_MAXINT64, &n, NULL)) {
                g_set_error(error, rmq_broker_settings_error_quark(), 0,
                            "%s: not an integer: %s", name, value);
                ok = FALSE;
                break;
            }
        }
        if (k->type == K_BOOL && g_ascii_strcasecmp(value, "true") != 0 &&
            g_ascii_strcasecmp(value, "false") != 0) {
            g_set_error(error, rmq_broker_settings_error_quark(), 0, "%s: not a boolean: %s", name,
                        value);
            ok = FALSE;
            break;
        }
        Pending p = { k, value };
        g_array_append_val(todo, p);
    }
    if (!ok)
        return FALSE;
    if (refused->len > 0) {
        g_ptr_array_add(refused, NULL);
        g_autofree gchar *names = g_strjoinv(", ", (gchar **) refused->pdata);
        g_set_error(error, rmq_broker_settings_error_quark(), 0,
                    "not changeable at run time (unknown, or needs a restart after editing "
                    "the config file): %s; nothing was changed", names);
        return FALSE;
    }
    for (guint i = 0; i < todo->len; i++) {
        Pending *p = &g_array_index(todo, Pending, i);
        switch (p->key->type) {
        case K_STR:
            g_free(*AT(s, p->key, gchar *));
            *AT(s, p->key, gchar *) = g_strdup(p->value);
            break;
        case K_INT:
            *AT(s, p->key, gint) = (gint) g_ascii_strtoll(p->value, NULL, 10);
            break;
        case K_INT64:
            *AT(s, p->key, gint64) = g_ascii_strtoll(p->value, NULL, 10);
            break;
        case K_BOOL:
            *AT(s, p->key, gboolean) = g_ascii_strcasecmp(p->value, "true") == 0;
            break;
        case K_STRV:
            break;
        }
    }
    return TRUE;
}
