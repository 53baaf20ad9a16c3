/* DataVersion of a broker metadata table (ROCKETMQ-REMOTING.md §2.5.2):
 * {counter, timestamp}; a table bumps it on every change so name servers and
 * slaves can tell whether their copy is stale.
 *
 * Named RmqMetaVersion because src/namesrv/register_body.h already declares
 * an RmqDataVersion for the name server's side; the JSON is the same. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
    gint64 counter;
    gint64 timestamp; /* ms since the epoch of the last change */
} RmqMetaVersion;

/* A fresh version as Java's `new DataVersion()`: counter 0, timestamp now. */
void rmq_meta_version_init(RmqMetaVersion *v);
/* nextVersion(): counter + 1, timestamp = now (ms). */
void rmq_meta_version_next(RmqMetaVersion *v);
/* Equality = both fields equal. */
gboolean rmq_meta_version_equal(const RmqMetaVersion *a, const RmqMetaVersion *b);

/* {"counter":n,"timestamp":n} (transfer full). */
JsonNode *rmq_meta_version_to_node(const RmqMetaVersion *v);
/* Read an object with integer "counter" and "timestamp" (missing = 0;
 * fastjson omits nothing here, but be lenient). FALSE when @node is not an
 * object. */
gboolean rmq_meta_version_from_node(JsonNode *node, RmqMetaVersion *out);

/* Current wall clock in ms, the unit of every timestamp here. */
gint64 rmq_meta_version_now_ms(void);

G_END_DECLS
