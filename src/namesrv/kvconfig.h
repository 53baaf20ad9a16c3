/* The name server's namespaced key/value store (docs/protocol.md §8.1,
 * codes 100-102, 219), persisted at kvConfigPath as
 * {"configTable":{namespace:{key:value}}}. Every change is written to a
 * temporary file, fsynced and renamed over the old one, so a crash leaves
 * either the old or the new file. No sockets, no main loop. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RMQ_KVCONFIG_ERROR (rmq_kvconfig_error_quark())
GQuark rmq_kvconfig_error_quark(void);
typedef enum {
    RMQ_KVCONFIG_ERROR_IO,    /* reading or writing the file failed */
    RMQ_KVCONFIG_ERROR_PARSE, /* the file is not the expected JSON */
} RmqKvConfigError;

/* Namespace of order-topic layouts ("brokerA:4;brokerB:4" per topic). */
#define RMQ_KV_NAMESPACE_ORDER_TOPIC_CONFIG "ORDER_TOPIC_CONFIG"

typedef struct _RmqKvConfig RmqKvConfig;

/* @path (may be NULL: memory only) is where changes are persisted. (transfer full) */
RmqKvConfig *rmq_kvconfig_new(const gchar *path);
void rmq_kvconfig_free(RmqKvConfig *kv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqKvConfig, rmq_kvconfig_free)

const gchar *rmq_kvconfig_get_path(RmqKvConfig *kv); /* (transfer none) */

/* Replace the contents with the file's; a missing file means empty. On
 * error the contents are unchanged. */
gboolean rmq_kvconfig_load(RmqKvConfig *kv, GError **error);

/* Change and persist. The in-memory change stays even if persisting fails
 * (the error says so); delete of a missing key is a successful no-op. */
gboolean rmq_kvconfig_put(RmqKvConfig *kv, const gchar *ns, const gchar *key,
                          const gchar *value, GError **error);
gboolean rmq_kvconfig_delete(RmqKvConfig *kv, const gchar *ns, const gchar *key,
                             GError **error);

/* (transfer none) NULL if absent. */
const gchar *rmq_kvconfig_get(RmqKvConfig *kv, const gchar *ns, const gchar *key);

/* KVTable body {"table":{k:v}} of @ns, or NULL if the namespace is absent
 * or empty. (transfer full) */
GBytes *rmq_kvconfig_get_table(RmqKvConfig *kv, const gchar *ns);

/* The whole store as the file holds it. (transfer full) */
gchar *rmq_kvconfig_to_json(RmqKvConfig *kv);

/* Write the file now (atomically). */
gboolean rmq_kvconfig_persist(RmqKvConfig *kv, GError **error);

guint rmq_kvconfig_namespace_count(RmqKvConfig *kv);

G_END_DECLS
