/* Pieces every broker metadata table shares (topics, subscription groups,
 * consumer and delay offsets): the {"dataVersion", "<x>Table"} wrapper of
 * docs/protocol.md §7.6, decoding its entries all-or-nothing, sorted
 * key lists for stable output, and a slave's sync from its master. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "model/data_version.h"

G_BEGIN_DECLS

/* GCompareFunc for g_ptr_array_sort() over an array of strings. */
gint rmq_meta_str_cmp(gconstpointer a, gconstpointer b);

/* The keys of a string-keyed @table sorted by strcmp (borrowed from the
 * table: valid until it changes). */
GPtrArray *rmq_meta_table_sorted_keys(GHashTable *table);
/* Copies of the keys of a string-keyed @table in no order, to walk while
 * the table changes (GLib 2.74 has no g_hash_table_get_keys_as_ptr_array). */
GPtrArray *rmq_meta_table_key_copies(GHashTable *table);

/* {"dataVersion": @version, @member: @table} (transfer full; takes @table).
 * @version NULL leaves dataVersion out, as the offset files do. */
JsonNode *rmq_meta_table_wrap(const RmqDataVersion *version, const gchar *member,
                              JsonObject *table);

/* Decode one entry of the table from @node under map key @key; NULL with
 * @error set when malformed. */
typedef gpointer (*RmqMetaEntryDecodeFunc)(JsonNode *node, const gchar *key, GError **error);

/* Decode the wrapper @root: its dataVersion into *@version (left as is when
 * absent) and every entry of @member through @decode, appended to @out. A
 * missing or null @member is an empty table. On failure @error is set in
 * (@domain, @code), naming @what for a bad wrapper; whatever was appended to
 * @out is the caller's to drop, so its table stays untouched. */
gboolean rmq_meta_table_decode(JsonNode *root, const gchar *what, const gchar *member,
                               GQuark domain, gint code, RmqDataVersion *version,
                               RmqMetaEntryDecodeFunc decode, GPtrArray *out, GError **error);

/* Replace the whole table @table with the wrapper @root. */
typedef gboolean (*RmqMetaTableReplaceFunc)(gpointer table, JsonNode *root, GError **error);

/* A slave's periodic sync: parse @body (a master's wrapper, lenient JSON) and
 * replace the table through @replace unless its dataVersion equals *@mine.
 * *@changed (may be NULL) tells whether the table was replaced. */
gboolean rmq_meta_table_sync(const RmqDataVersion *mine, const gchar *body, gsize len,
                             RmqMetaTableReplaceFunc replace, gpointer table, gboolean *changed,
                             GError **error);

G_END_DECLS
