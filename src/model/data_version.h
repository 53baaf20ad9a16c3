/* DataVersion (this project's docs/protocol.md, section 5.2): {counter, timestamp}. A broker
 * metadata table bumps it on every change; the name server and a slave
 * compare it with their copy to tell whether that copy is stale. The one
 * definition used by the broker, the name server and HA. Pure. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
    gint64 counter;
    gint64 timestamp; /* ms since the epoch of the last change */
} RmqDataVersion;

/* Current wall clock in ms, the unit of every timestamp here. */
gint64 rmq_data_version_now_ms(void);
/* A fresh version as Java's `new DataVersion()`: counter 0, timestamp now. */
void rmq_data_version_init(RmqDataVersion *v);
/* nextVersion(): counter + 1, timestamp = now (ms). */
void rmq_data_version_next(RmqDataVersion *v);
/* Equality = both fields equal. */
gboolean rmq_data_version_equal(const RmqDataVersion *a, const RmqDataVersion *b);

/* {"counter":n,"timestamp":n} (transfer full). */
JsonNode *rmq_data_version_to_node(const RmqDataVersion *v);
/* The same as compact text (the QUERY_DATA_VERSION answer and the first
 * chunk of a compressed REGISTER_BROKER body). (transfer full) */
gchar *rmq_data_version_to_json(const RmqDataVersion *v);
/* Read an object's "counter" and "timestamp": integers, or numeric strings
 * as some non-Java writers send; a missing or unusable one is 0. FALSE
 * when @node is not an object (then *out is untouched). */
gboolean rmq_data_version_from_node(JsonNode *node, RmqDataVersion *out);
/* Parse @len bytes of DataVersion JSON (the QUERY_DATA_VERSION body).
 * FALSE with @error (RMQ_JSON_BODY_ERROR) when the text is not JSON or not
 * an object. */
gboolean rmq_data_version_parse(const guint8 *data, gsize len, RmqDataVersion *out,
                                GError **error);

G_END_DECLS
