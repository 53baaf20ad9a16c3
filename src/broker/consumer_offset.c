#include <config.h>

#include "broker/consumer_offset.h"

#include <string.h>

#include "broker/json_file.h"
#include "broker/meta_table.h"
#include "remoting/json_body.h"

G_DEFINE_QUARK(rmq-consumer-offset-error-quark, rmq_consumer_offset_error)

#define KEY_SEPARATOR '@'

struct _RmqConsumerOffsets {
    /* "topic@group" (owned) -> GHashTable of GINT_TO_POINTER(queueId) -> gint64* */
    GHashTable *table;
};

static GHashTable *
queue_map_new(void)
{
    return g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
}

static void
queue_map_set(GHashTable *m, gint queue_id, gint64 offset)
{
    gint64 *v = g_hash_table_lookup(m, GINT_TO_POINTER(queue_id));
    if (v != NULL) { /* every pull commits: update in place */
        *v = offset;
        return;
    }
    v = g_new(gint64, 1);
    *v = offset;
    g_hash_table_replace(m, GINT_TO_POINTER(queue_id), v);
}

static GHashTable *
queue_map_copy(GHashTable *src)
{
    GHashTable *m = queue_map_new();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, src);
    while (g_hash_table_iter_next(&it, &k, &v))
        queue_map_set(m, GPOINTER_TO_INT(k), *(gint64 *)v);
    return m;
}

static gchar *
make_key(const gchar *topic, const gchar *group)
{
    return g_strdup_printf("%s%c%s", topic, KEY_SEPARATOR, group);
}

/* The key in @buf when it fits (the common case: one pull's lookup without an
 * allocation), else NULL. */
static const gchar *
key_in(gchar *buf, gsize size, const gchar *topic, const gchar *group)
{
    gsize tl = strlen(topic), gl = strlen(group);
    if (tl + gl + 2 > size)
        return NULL;
    memcpy(buf, topic, tl);
    buf[tl] = KEY_SEPARATOR;
    memcpy(buf + tl + 1, group, gl + 1);
    return buf;
}

/* Names cannot contain '@' (name rules), so the first one splits. */
static gboolean
split_key(const gchar *key, const gchar **group_out, gsize *topic_len)
{
    const gchar *at = strchr(key, KEY_SEPARATOR);
    if (at == NULL)
        return FALSE;
    *topic_len = (gsize)(at - key);
    *group_out = at + 1;
    return TRUE;
}

static GHashTable *
table_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                 (GDestroyNotify)g_hash_table_unref);
}

RmqConsumerOffsets *
rmq_consumer_offsets_new(void)
{
    RmqConsumerOffsets *t = g_new0(RmqConsumerOffsets, 1);
    t->table = table_new();
    return t;
}

void
rmq_consumer_offsets_free(RmqConsumerOffsets *t)
{
    if (t == NULL)
        return;
    g_hash_table_unref(t->table);
    g_free(t);
}

void
rmq_consumer_offsets_commit(RmqConsumerOffsets *t, const gchar *group, const gchar *topic,
                            gint queue_id, gint64 offset)
{
    g_return_if_fail(t != NULL && group != NULL && topic != NULL);
    gchar buf[256];
    const gchar *k = key_in(buf, sizeof buf, topic, group);
    g_autofree gchar *heap_key = k == NULL ? make_key(topic, group) : NULL;
    if (k == NULL)
        k = heap_key;
    GHashTable *m = g_hash_table_lookup(t->table, k);
    if (m == NULL) {
        m = queue_map_new();
        g_hash_table_insert(t->table, heap_key != NULL ? g_steal_pointer(&heap_key) : g_strdup(k),
                            m);
    }
    queue_map_set(m, queue_id, offset);
}

gint64
rmq_consumer_offsets_query(const RmqConsumerOffsets *t, const gchar *group, const gchar *topic,
                           gint queue_id)
{
    g_return_val_if_fail(t != NULL && group != NULL && topic != NULL, -1);
    gchar buf[256];
    const gchar *k = key_in(buf, sizeof buf, topic, group);
    g_autofree gchar *heap_key = k == NULL ? make_key(topic, group) : NULL;
    GHashTable *m = g_hash_table_lookup(t->table, k != NULL ? k : heap_key);
    if (m == NULL)
        return -1;
    gint64 *v = g_hash_table_lookup(m, GINT_TO_POINTER(queue_id));
    return v != NULL ? *v : -1;
}

gboolean
rmq_consumer_offsets_clone(RmqConsumerOffsets *t, const gchar *src_group, const gchar *dst_group,
                           const gchar *topic)
{
    g_return_val_if_fail(t != NULL && src_group != NULL && dst_group != NULL && topic != NULL,
                         FALSE);
    g_autofree gchar *src_key = make_key(topic, src_group);
    GHashTable *src = g_hash_table_lookup(t->table, src_key);
    if (src == NULL)
        return FALSE;
    g_hash_table_replace(t->table, make_key(topic, dst_group), queue_map_copy(src));
    return TRUE;
}

guint
rmq_consumer_offsets_remove_group(RmqConsumerOffsets *t, const gchar *group)
{
    g_return_val_if_fail(t != NULL && group != NULL, 0);
    guint n = 0;
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, t->table);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        const gchar *g;
        gsize topic_len;
        if (split_key(k, &g, &topic_len) && strcmp(g, group) == 0) {
            g_hash_table_iter_remove(&it);
            n++;
        }
    }
    return n;
}

static gboolean
topic_matches(const gchar *key, const gchar *topic)
{
    const gchar *g;
    gsize topic_len;
    return split_key(key, &g, &topic_len) && strlen(topic) == topic_len &&
           strncmp(key, topic, topic_len) == 0;
}

guint
rmq_consumer_offsets_remove_topic(RmqConsumerOffsets *t, const gchar *topic)
{
    g_return_val_if_fail(t != NULL && topic != NULL, 0);
    guint n = 0;
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, t->table);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        if (topic_matches(k, topic)) {
            g_hash_table_iter_remove(&it);
            n++;
        }
    }
    return n;
}

GPtrArray *
rmq_consumer_offsets_groups_of_topic(const RmqConsumerOffsets *t, const gchar *topic)
{
    g_return_val_if_fail(t != NULL && topic != NULL, NULL);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, t->table);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        if (topic_matches(k, topic))
            g_ptr_array_add(out, g_strdup(strchr(k, KEY_SEPARATOR) + 1));
    }
    g_ptr_array_sort(out, rmq_meta_str_cmp);
    return out;
}

GPtrArray *
rmq_consumer_offsets_topics_of_group(const RmqConsumerOffsets *t, const gchar *group)
{
    g_return_val_if_fail(t != NULL && group != NULL, NULL);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, t->table);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        const gchar *g;
        gsize topic_len;
        if (split_key(k, &g, &topic_len) && strcmp(g, group) == 0)
            g_ptr_array_add(out, g_strndup(k, topic_len));
    }
    g_ptr_array_sort(out, rmq_meta_str_cmp);
    return out;
}

guint
rmq_consumer_offsets_size(const RmqConsumerOffsets *t)
{
    g_return_val_if_fail(t != NULL, 0);
    return g_hash_table_size(t->table);
}

static gint
cmp_int(gconstpointer a, gconstpointer b)
{
    gint x = GPOINTER_TO_INT(*(gconstpointer const *)a);
    gint y = GPOINTER_TO_INT(*(gconstpointer const *)b);
    return (x > y) - (x < y);
}

JsonNode *
rmq_consumer_offsets_to_node(const RmqConsumerOffsets *t)
{
    g_return_val_if_fail(t != NULL, NULL);
    g_autoptr(GPtrArray) keys = rmq_meta_table_sorted_keys(t->table);
    GHashTableIter it;
    gpointer k;
    JsonObject *table = json_object_new();
    for (guint i = 0; i < keys->len; i++) {
        GHashTable *m = g_hash_table_lookup(t->table, keys->pdata[i]);
        g_autoptr(GPtrArray) qids = g_ptr_array_new();
        g_hash_table_iter_init(&it, m);
        while (g_hash_table_iter_next(&it, &k, NULL))
            g_ptr_array_add(qids, k);
        g_ptr_array_sort(qids, cmp_int);
        JsonObject *qo = json_object_new();
        for (guint j = 0; j < qids->len; j++) {
            gchar name[16];
            g_snprintf(name, sizeof name, "%d", GPOINTER_TO_INT(qids->pdata[j]));
            json_object_set_int_member(qo, name, *(gint64 *)g_hash_table_lookup(m, qids->pdata[j]));
        }
        json_object_set_object_member(table, keys->pdata[i], qo);
    }
    return rmq_meta_table_wrap(NULL, "offsetTable", table);
}

gchar *
rmq_consumer_offsets_to_json(const RmqConsumerOffsets *t, gboolean pretty)
{
    g_return_val_if_fail(t != NULL, NULL);
    g_autoptr(JsonNode) root = rmq_consumer_offsets_to_node(t);
    return rmq_json_to_string(root, pretty);
}

static gboolean
invalid(GError **error, const gchar *problem, const gchar *where)
{
    g_set_error(error, RMQ_CONSUMER_OFFSET_ERROR, RMQ_CONSUMER_OFFSET_ERROR_INVALID,
                "consumer offsets: %s (%s)", problem, where);
    return FALSE;
}

static gboolean
parse_queue_id(const gchar *s, gint *out)
{
    gchar *end = NULL;
    gint64 v = g_ascii_strtoll(s, &end, 10);
    if (end == s || *end != '\0' || v < G_MININT32 || v > G_MAXINT32)
        return FALSE;
    *out = (gint)v;
    return TRUE;
}

/* One {queueId: offset} map; NULL (error set) when malformed. */
static GHashTable *
parse_queue_map(JsonNode *n, const gchar *key, GError **error)
{
    if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n)) {
        invalid(error, "offsets are not an object", key);
        return NULL;
    }
    JsonObject *qo = json_node_get_object(n);
    g_autoptr(GHashTable) m = queue_map_new();
    g_autoptr(GList) qids = json_object_get_members(qo);
    for (GList *l = qids; l != NULL; l = l->next) {
        gint qid;
        if (!parse_queue_id(l->data, &qid)) {
            invalid(error, "queue id is not an integer", l->data);
            return NULL;
        }
        /* G_MININT64 cannot be a real offset: use it to spot non-numbers. */
        gint64 off = rmq_json_object_get_int64_or(qo, l->data, G_MININT64);
        if (off == G_MININT64) {
            invalid(error, "offset is not a number", key);
            return NULL;
        }
        queue_map_set(m, qid, off);
    }
    return g_steal_pointer(&m);
}

gboolean
rmq_consumer_offsets_load_node(RmqConsumerOffsets *t, JsonNode *root, gboolean replace,
                               GError **error)
{
    g_return_val_if_fail(t != NULL, FALSE);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        return invalid(error, "not an object", "document");
    JsonNode *table = json_object_get_member(json_node_get_object(root), "offsetTable");
    g_autoptr(GHashTable) parsed = table_new();
    if (table != NULL && !JSON_NODE_HOLDS_NULL(table)) {
        if (!JSON_NODE_HOLDS_OBJECT(table))
            return invalid(error, "not an object", "offsetTable");
        JsonObject *to = json_node_get_object(table);
        g_autoptr(GList) keys = json_object_get_members(to);
        for (GList *l = keys; l != NULL; l = l->next) {
            const gchar *g;
            gsize topic_len;
            if (!split_key(l->data, &g, &topic_len))
                return invalid(error, "key is not topic@group", l->data);
            GHashTable *m = parse_queue_map(json_object_get_member(to, l->data), l->data, error);
            if (m == NULL)
                return FALSE;
            g_hash_table_replace(parsed, g_strdup(l->data), m);
        }
    }
    if (replace) {
        g_hash_table_unref(t->table);
        t->table = g_steal_pointer(&parsed);
        return TRUE;
    }
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, parsed);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        g_hash_table_replace(t->table, g_strdup(k), g_hash_table_ref(v));
    }
    return TRUE;
}

gboolean
rmq_consumer_offsets_merge_body(RmqConsumerOffsets *t, const gchar *body, gsize len,
                                GError **error)
{
    g_return_val_if_fail(t != NULL && body != NULL, FALSE);
    g_autoptr(JsonNode) root = rmq_json_parse_lenient(body, (gssize)len, error);
    if (root == NULL)
        return FALSE;
    return rmq_consumer_offsets_load_node(t, root, FALSE, error);
}

static gboolean
decode_file(JsonNode *root, gpointer user_data, GError **error)
{
    return rmq_consumer_offsets_load_node(user_data, root, TRUE, error);
}

gboolean
rmq_consumer_offsets_load_file(RmqConsumerOffsets *t, const gchar *path, GError **error)
{
    g_return_val_if_fail(t != NULL && path != NULL, FALSE);
    return rmq_json_file_load(path, decode_file, t, NULL, error);
}

gboolean
rmq_consumer_offsets_save_file(const RmqConsumerOffsets *t, const gchar *path, GError **error)
{
    g_return_val_if_fail(t != NULL && path != NULL, FALSE);
    g_autofree gchar *text = rmq_consumer_offsets_to_json(t, TRUE);
    return rmq_json_file_save(path, text, -1, error);
}
