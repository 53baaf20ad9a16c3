#include <config.h>

#include "broker/delay_offset.h"

#include "broker/json_file.h"
#include "broker/meta_table.h"
#include "remoting/json_body.h"

G_DEFINE_QUARK(rmq-delay-offset-error-quark, rmq_delay_offset_error)

struct _RmqDelayOffsets {
    GTree *levels; /* GINT_TO_POINTER(level) -> gint64*, ordered for output */
};

static gint
cmp_level(gconstpointer a, gconstpointer b, gpointer unused)
{
    (void)unused;
    gint x = GPOINTER_TO_INT(a), y = GPOINTER_TO_INT(b);
    return (x > y) - (x < y);
}

static GTree *
levels_new(void)
{
    return g_tree_new_full(cmp_level, NULL, NULL, g_free);
}

RmqDelayOffsets *
rmq_delay_offsets_new(void)
{
    RmqDelayOffsets *t = g_new0(RmqDelayOffsets, 1);
    t->levels = levels_new();
    return t;
}

void
rmq_delay_offsets_free(RmqDelayOffsets *t)
{
    if (t == NULL)
        return;
    g_tree_unref(t->levels);
    g_free(t);
}

static void
levels_set(GTree *tree, gint level, gint64 offset)
{
    gint64 *v = g_new(gint64, 1);
    *v = offset;
    g_tree_replace(tree, GINT_TO_POINTER(level), v);
}

void
rmq_delay_offsets_set(RmqDelayOffsets *t, gint level, gint64 offset)
{
    g_return_if_fail(t != NULL);
    levels_set(t->levels, level, offset);
}

gboolean
rmq_delay_offsets_lookup(const RmqDelayOffsets *t, gint level, gint64 *offset)
{
    g_return_val_if_fail(t != NULL, FALSE);
    gint64 *v = g_tree_lookup(t->levels, GINT_TO_POINTER(level));
    if (v == NULL)
        return FALSE;
    if (offset != NULL)
        *offset = *v;
    return TRUE;
}

gint64
rmq_delay_offsets_get(const RmqDelayOffsets *t, gint level)
{
    gint64 v = 0;
    return rmq_delay_offsets_lookup(t, level, &v) ? v : 0;
}

guint
rmq_delay_offsets_size(const RmqDelayOffsets *t)
{
    g_return_val_if_fail(t != NULL, 0);
    return (guint)g_tree_nnodes(t->levels);
}

static gboolean
add_member(gpointer key, gpointer value, gpointer data)
{
    gchar name[16];
    g_snprintf(name, sizeof name, "%d", GPOINTER_TO_INT(key));
    json_object_set_int_member(data, name, *(gint64 *)value);
    return FALSE;
}

JsonNode *
rmq_delay_offsets_to_node(const RmqDelayOffsets *t)
{
    g_return_val_if_fail(t != NULL, NULL);
    JsonObject *table = json_object_new();
    g_tree_foreach(t->levels, add_member, table);
    return rmq_meta_table_wrap(NULL, "offsetTable", table);
}

gchar *
rmq_delay_offsets_to_json(const RmqDelayOffsets *t, gboolean pretty)
{
    g_return_val_if_fail(t != NULL, NULL);
    g_autoptr(JsonNode) root = rmq_delay_offsets_to_node(t);
    return rmq_json_to_string(root, pretty);
}

static gboolean
invalid(GError **error, const gchar *what)
{
    g_set_error(error, RMQ_DELAY_OFFSET_ERROR, RMQ_DELAY_OFFSET_ERROR_INVALID,
                "delay offsets: %s", what);
    return FALSE;
}

gboolean
rmq_delay_offsets_load_node(RmqDelayOffsets *t, JsonNode *root, GError **error)
{
    g_return_val_if_fail(t != NULL, FALSE);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        return invalid(error, "document is not an object");
    JsonNode *table = json_object_get_member(json_node_get_object(root), "offsetTable");
    g_autoptr(GTree) parsed = levels_new();
    if (table != NULL && !JSON_NODE_HOLDS_NULL(table)) {
        if (!JSON_NODE_HOLDS_OBJECT(table))
            return invalid(error, "offsetTable is not an object");
        JsonObject *to = json_node_get_object(table);
        g_autoptr(GList) keys = json_object_get_members(to);
        for (GList *l = keys; l != NULL; l = l->next) {
            gchar *end = NULL;
            gint64 level = g_ascii_strtoll(l->data, &end, 10);
            if (end == l->data || *end != '\0' || level < G_MININT32 || level > G_MAXINT32)
                return invalid(error, "a level is not an integer");
            gint64 off = rmq_json_object_get_int64_or(to, l->data, G_MININT64);
            if (off == G_MININT64)
                return invalid(error, "an offset is not a number");
            levels_set(parsed, (gint)level, off);
        }
    }
    g_tree_unref(t->levels);
    t->levels = g_steal_pointer(&parsed);
    return TRUE;
}

gboolean
rmq_delay_offsets_load_text(RmqDelayOffsets *t, const gchar *text, gsize len, GError **error)
{
    g_return_val_if_fail(t != NULL && text != NULL, FALSE);
    g_autoptr(JsonNode) root = rmq_json_parse_lenient(text, (gssize)len, error);
    if (root == NULL)
        return FALSE;
    return rmq_delay_offsets_load_node(t, root, error);
}

static gboolean
decode_file(JsonNode *root, gpointer user_data, GError **error)
{
    return rmq_delay_offsets_load_node(user_data, root, error);
}

gboolean
rmq_delay_offsets_load_file(RmqDelayOffsets *t, const gchar *path, GError **error)
{
    g_return_val_if_fail(t != NULL && path != NULL, FALSE);
    return rmq_json_file_load(path, decode_file, t, NULL, error);
}

gboolean
rmq_delay_offsets_save_file(const RmqDelayOffsets *t, const gchar *path, GError **error)
{
    g_return_val_if_fail(t != NULL && path != NULL, FALSE);
    g_autofree gchar *text = rmq_delay_offsets_to_json(t, TRUE);
    return rmq_json_file_save(path, text, -1, error);
}
