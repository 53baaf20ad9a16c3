#include <config.h>

#include "broker/meta_table.h"

#include <string.h>

#include "remoting/json_body.h"

gint
rmq_meta_str_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

GPtrArray *
rmq_meta_table_sorted_keys(GHashTable *table)
{
    g_return_val_if_fail(table != NULL, NULL);
    GPtrArray *keys = g_ptr_array_sized_new(g_hash_table_size(table));
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(keys, key);
    g_ptr_array_sort(keys, rmq_meta_str_cmp);
    return keys;
}

GPtrArray *
rmq_meta_table_key_copies(GHashTable *table)
{
    g_return_val_if_fail(table != NULL, NULL);
    GPtrArray *out = g_ptr_array_new_full(g_hash_table_size(table), g_free);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(out, g_strdup(key));
    return out;
}

JsonNode *
rmq_meta_table_wrap(const RmqDataVersion *version, const gchar *member, JsonObject *table)
{
    g_return_val_if_fail(member != NULL && table != NULL, NULL);
    JsonObject *o = json_object_new();
    if (version != NULL)
        json_object_set_member(o, "dataVersion", rmq_data_version_to_node(version));
    json_object_set_object_member(o, member, table);
    JsonNode *root = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(root, o);
    return root;
}

gboolean
rmq_meta_table_decode(JsonNode *root, const gchar *what, const gchar *member, GQuark domain,
                      gint code, RmqDataVersion *version, RmqMetaEntryDecodeFunc decode,
                      GPtrArray *out, GError **error)
{
    g_return_val_if_fail(member != NULL && version != NULL && decode != NULL && out != NULL,
                         FALSE);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, domain, code, "%s wrapper is not an object", what);
        return FALSE;
    }
    JsonObject *o = json_node_get_object(root);
    JsonNode *dv = json_object_get_member(o, "dataVersion");
    if (dv != NULL && !rmq_data_version_from_node(dv, version)) {
        g_set_error(error, domain, code, "dataVersion is not an object");
        return FALSE;
    }
    JsonNode *table = json_object_get_member(o, member);
    if (table == NULL || JSON_NODE_HOLDS_NULL(table))
        return TRUE;
    if (!JSON_NODE_HOLDS_OBJECT(table)) {
        g_set_error(error, domain, code, "%s is not an object", member);
        return FALSE;
    }
    JsonObject *to = json_node_get_object(table);
    g_autoptr(GList) keys = json_object_get_members(to);
    for (GList *l = keys; l != NULL; l = l->next) {
        gpointer entry = decode(json_object_get_member(to, l->data), l->data, error);
        if (entry == NULL)
            return FALSE;
        g_ptr_array_add(out, entry);
    }
    return TRUE;
}

gboolean
rmq_meta_table_sync(const RmqDataVersion *mine, const gchar *body, gsize len,
                    RmqMetaTableReplaceFunc replace, gpointer table, gboolean *changed,
                    GError **error)
{
    g_return_val_if_fail(mine != NULL && body != NULL && replace != NULL, FALSE);
    if (changed != NULL)
        *changed = FALSE;
    g_autoptr(JsonNode) root = rmq_json_parse_lenient(body, (gssize)len, error);
    if (root == NULL)
        return FALSE;
    RmqDataVersion theirs = { 0, 0 };
    if (JSON_NODE_HOLDS_OBJECT(root))
        rmq_data_version_from_node(
            json_object_get_member(json_node_get_object(root), "dataVersion"), &theirs);
    if (rmq_data_version_equal(&theirs, mine))
        return TRUE;
    if (!replace(table, root, error))
        return FALSE;
    if (changed != NULL)
        *changed = TRUE;
    return TRUE;
}
