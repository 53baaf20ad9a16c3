#include <config.h>

#include "namesrv/kvconfig.h"
#include "remoting/json_body.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

G_DEFINE_QUARK(rmq-kvconfig-error-quark, rmq_kvconfig_error)

struct _RmqKvConfig {
    gchar *path;
    GHashTable *table; /* namespace -> (key -> value) */
};

static GHashTable *
new_str_table(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static GHashTable *
new_ns_table(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                 (GDestroyNotify) g_hash_table_unref);
}

RmqKvConfig *
rmq_kvconfig_new(const gchar *path)
{
    RmqKvConfig *kv = g_new0(RmqKvConfig, 1);
    kv->path = g_strdup(path);
    kv->table = new_ns_table();
    return kv;
}

void
rmq_kvconfig_free(RmqKvConfig *kv)
{
    if (kv == NULL)
        return;
    g_free(kv->path);
    g_hash_table_unref(kv->table);
    g_free(kv);
}

const gchar *
rmq_kvconfig_get_path(RmqKvConfig *kv)
{
    return kv->path;
}

/* A scalar JSON value as text (Java writes strings; accept numbers too). */
static gchar *
scalar_text(JsonNode *n)
{
    if (JSON_NODE_TYPE(n) != JSON_NODE_VALUE)
        return NULL;
    switch (json_node_get_value_type(n)) {
    case G_TYPE_STRING:
        return g_strdup(json_node_get_string(n));
    case G_TYPE_INT64:
        return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
    case G_TYPE_BOOLEAN:
        return g_strdup(json_node_get_boolean(n) ? "true" : "false");
    case G_TYPE_DOUBLE: {
        gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
        return g_strdup(g_ascii_dtostr(buf, sizeof buf, json_node_get_double(n)));
    }
    default:
        return NULL;
    }
}

gboolean
rmq_kvconfig_load(RmqKvConfig *kv, GError **error)
{
    if (kv->path == NULL)
        return TRUE;
    g_autofree gchar *text = NULL;
    gsize len = 0;
    g_autoptr(GError) local = NULL;
    if (!g_file_get_contents(kv->path, &text, &len, &local)) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return TRUE;
        g_set_error(error, RMQ_KVCONFIG_ERROR, RMQ_KVCONFIG_ERROR_IO, "%s", local->message);
        return FALSE;
    }
    if (len == 0 || g_strstrip(text)[0] == '\0')
        return TRUE; /* an empty file is an empty store */
    g_autoptr(JsonNode) root = rmq_json_parse_lenient(text, -1, &local);
    if (root == NULL) {
        g_set_error(error, RMQ_KVCONFIG_ERROR, RMQ_KVCONFIG_ERROR_PARSE, "%s: %s", kv->path,
                    local->message);
        return FALSE;
    }
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, RMQ_KVCONFIG_ERROR, RMQ_KVCONFIG_ERROR_PARSE,
                    "%s: not a JSON object", kv->path);
        return FALSE;
    }
    g_autoptr(GHashTable) fresh = new_ns_table();
    JsonObject *obj = json_node_get_object(root);
    JsonNode *ct = json_object_has_member(obj, "configTable")
                       ? json_object_get_member(obj, "configTable")
                       : NULL;
    if (ct != NULL && !JSON_NODE_HOLDS_NULL(ct)) {
        if (!JSON_NODE_HOLDS_OBJECT(ct)) {
            g_set_error(error, RMQ_KVCONFIG_ERROR, RMQ_KVCONFIG_ERROR_PARSE,
                        "%s: configTable is not an object", kv->path);
            return FALSE;
        }
        JsonObjectIter it;
        const gchar *ns;
        JsonNode *nsnode;
        json_object_iter_init(&it, json_node_get_object(ct));
        while (json_object_iter_next(&it, &ns, &nsnode)) {
            if (!JSON_NODE_HOLDS_OBJECT(nsnode)) {
                g_set_error(error, RMQ_KVCONFIG_ERROR, RMQ_KVCONFIG_ERROR_PARSE,
                            "%s: namespace '%s' is not an object", kv->path, ns);
                return FALSE;
            }
            GHashTable *keys = new_str_table();
            g_hash_table_insert(fresh, g_strdup(ns), keys);
            JsonObjectIter ki;
            const gchar *k;
            JsonNode *v;
            json_object_iter_init(&ki, json_node_get_object(nsnode));
            while (json_object_iter_next(&ki, &k, &v)) {
                gchar *s = scalar_text(v);
                if (s != NULL)
                    g_hash_table_insert(keys, g_strdup(k), s);
            }
        }
    }
    g_hash_table_unref(kv->table);
    kv->table = g_steal_pointer(&fresh);
    return TRUE;
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const gchar *const *) a, *(const gchar *const *) b);
}

static GPtrArray *
sorted_keys(GHashTable *h)
{
    GPtrArray *keys = g_ptr_array_new();
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, h);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(keys, k);
    g_ptr_array_sort(keys, cmp_str);
    return keys;
}

static void
add_map(JsonBuilder *b, GHashTable *keys)
{
    json_builder_begin_object(b);
    g_autoptr(GPtrArray) names = sorted_keys(keys);
    for (guint i = 0; i < names->len; i++) {
        const gchar *k = g_ptr_array_index(names, i);
        json_builder_set_member_name(b, k);
        json_builder_add_string_value(b, g_hash_table_lookup(keys, k));
    }
    json_builder_end_object(b);
}

static gchar *
builder_text(JsonBuilder *b, gsize *len)
{
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, len);
}

gchar *
rmq_kvconfig_to_json(RmqKvConfig *kv)
{
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "configTable");
    json_builder_begin_object(b);
    g_autoptr(GPtrArray) names = sorted_keys(kv->table);
    for (guint i = 0; i < names->len; i++) {
        const gchar *ns = g_ptr_array_index(names, i);
        json_builder_set_member_name(b, ns);
        add_map(b, g_hash_table_lookup(kv->table, ns));
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    return builder_text(b, NULL);
}

static gboolean
write_all(int fd, const gchar *data, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return FALSE;
        }
        data += n;
        len -= (gsize) n;
    }
    return TRUE;
}

static gboolean
io_error(GError **error, const gchar *what, const gchar *path, int errsv)
{
    g_set_error(error, RMQ_KVCONFIG_ERROR, RMQ_KVCONFIG_ERROR_IO, "%s %s: %s", what, path,
                g_strerror(errsv));
    return FALSE;
}

gboolean
rmq_kvconfig_persist(RmqKvConfig *kv, GError **error)
{
    if (kv->path == NULL)
        return TRUE;
    g_autofree gchar *dir = g_path_get_dirname(kv->path);
    if (g_mkdir_with_parents(dir, 0750) != 0)
        return io_error(error, "cannot create", dir, errno);
    g_autofree gchar *text = rmq_kvconfig_to_json(kv);
    g_autofree gchar *tmp = g_strconcat(kv->path, ".tmp", NULL);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return io_error(error, "cannot create", tmp, errno);
    if (!write_all(fd, text, strlen(text)) || fsync(fd) != 0) {
        int errsv = errno;
        close(fd);
        g_unlink(tmp);
        return io_error(error, "cannot write", tmp, errsv);
    }
    if (close(fd) != 0) {
        int errsv = errno;
        g_unlink(tmp);
        return io_error(error, "cannot close", tmp, errsv);
    }
    if (rename(tmp, kv->path) != 0) {
        int errsv = errno;
        g_unlink(tmp);
        return io_error(error, "cannot rename to", kv->path, errsv);
    }
    /* Make the rename itself durable. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return TRUE;
}

gboolean
rmq_kvconfig_put(RmqKvConfig *kv, const gchar *ns, const gchar *key, const gchar *value,
                 GError **error)
{
    g_return_val_if_fail(ns != NULL && key != NULL && value != NULL, FALSE);
    GHashTable *keys = g_hash_table_lookup(kv->table, ns);
    if (keys == NULL) {
        keys = new_str_table();
        g_hash_table_insert(kv->table, g_strdup(ns), keys);
    }
    g_hash_table_replace(keys, g_strdup(key), g_strdup(value));
    return rmq_kvconfig_persist(kv, error);
}

gboolean
rmq_kvconfig_delete(RmqKvConfig *kv, const gchar *ns, const gchar *key, GError **error)
{
    GHashTable *keys = g_hash_table_lookup(kv->table, ns);
    if (keys == NULL || !g_hash_table_remove(keys, key))
        return TRUE;
    if (g_hash_table_size(keys) == 0)
        g_hash_table_remove(kv->table, ns);
    return rmq_kvconfig_persist(kv, error);
}

const gchar *
rmq_kvconfig_get(RmqKvConfig *kv, const gchar *ns, const gchar *key)
{
    if (ns == NULL || key == NULL)
        return NULL;
    GHashTable *keys = g_hash_table_lookup(kv->table, ns);
    return keys != NULL ? g_hash_table_lookup(keys, key) : NULL;
}

GBytes *
rmq_kvconfig_get_table(RmqKvConfig *kv, const gchar *ns)
{
    GHashTable *keys = ns != NULL ? g_hash_table_lookup(kv->table, ns) : NULL;
    if (keys == NULL || g_hash_table_size(keys) == 0)
        return NULL;
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "table");
    add_map(b, keys);
    json_builder_end_object(b);
    gsize len = 0;
    gchar *text = builder_text(b, &len);
    return g_bytes_new_take(text, len);
}

guint
rmq_kvconfig_namespace_count(RmqKvConfig *kv)
{
    return g_hash_table_size(kv->table);
}
