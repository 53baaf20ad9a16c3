#include <config.h>

#include "broker/topic_config.h"

#include <string.h>

#include "broker/json_file.h"
#include "broker/meta_table.h"
#include "remoting/json_body.h"

struct _RmqTopicTable {
    GHashTable *topics; /* topic_name (owned by the value) -> RmqTopicConfig */
    RmqDataVersion version;
    gchar *cluster_name;
    gchar *broker_name;
    gchar *trace_topic; /* NULL unless traceTopicEnable */
    gchar *reply_topic;
    gboolean auto_create_topic_enable;
    /* Entries added, replaced or removed (each may free a config): see
     * rmq_topic_table_changes. */
    guint64 changes;
};

/* ---- names -------------------------------------------------------------- */

static gboolean
is_blank(const gchar *s)
{
    if (s == NULL)
        return TRUE;
    for (; *s != '\0'; s++)
        if (!g_ascii_isspace(*s))
            return FALSE;
    return TRUE;
}

static gboolean
chars_legal(const gchar *s)
{
    for (; *s != '\0'; s++) {
        gchar c = *s;
        if (!(g_ascii_isalnum(c) || c == '%' || c == '|' || c == '_' || c == '-'))
            return FALSE;
    }
    return TRUE;
}

gboolean
rmq_topic_name_validate(const gchar *name, const gchar **reason)
{
    const gchar *why = NULL;
    if (is_blank(name))
        why = "The specified topic is blank.";
    else if (!chars_legal(name))
        why = "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$";
    else if (strlen(name) > RMQ_TOPIC_NAME_MAX)
        why = "The specified topic is longer than topic max length.";
    if (reason != NULL)
        *reason = why;
    return why == NULL;
}

gboolean
rmq_group_name_validate(const gchar *name, const gchar **reason)
{
    const gchar *why = NULL;
    if (is_blank(name))
        why = "The specified group is blank.";
    else if (!chars_legal(name))
        why = "The specified group contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$";
    else if (strlen(name) > RMQ_TOPIC_NAME_MAX)
        why = "The specified group is longer than group max length.";
    if (reason != NULL)
        *reason = why;
    return why == NULL;
}

static const gchar *const send_forbidden[] = {
    RMQ_TOPIC_SCHEDULE,      RMQ_TOPIC_TRANS_HALF,        RMQ_TOPIC_TRANS_OP_HALF,
    RMQ_TOPIC_TRANS_CHECK_MAX_TIME, RMQ_TOPIC_SELF_TEST, RMQ_TOPIC_OFFSET_MOVED_EVENT,
};

/* TopicValidator.SYSTEM_TOPIC_SET before a broker adds its own names. */
static const gchar *const fixed_system[] = {
    RMQ_TOPIC_AUTO_CREATE_KEY, RMQ_TOPIC_SCHEDULE,   RMQ_TOPIC_BENCHMARK,
    RMQ_TOPIC_TRANS_HALF,      RMQ_TOPIC_TRACE,      RMQ_TOPIC_TRANS_OP_HALF,
    RMQ_TOPIC_TRANS_CHECK_MAX_TIME, RMQ_TOPIC_SELF_TEST, RMQ_TOPIC_OFFSET_MOVED_EVENT,
};

gboolean
rmq_topic_is_send_forbidden(const gchar *name)
{
    if (name == NULL)
        return FALSE;
    /* on every send: the first byte settles nearly every name */
    for (gsize i = 0; i < G_N_ELEMENTS(send_forbidden); i++)
        if (name[0] == send_forbidden[i][0] && strcmp(name, send_forbidden[i]) == 0)
            return TRUE;
    return FALSE;
}

gboolean
rmq_topic_is_retry(const gchar *name)
{
    /* on every send: the first byte settles nearly every name, and no
     * strlen of the name (g_str_has_prefix takes one) */
    return name != NULL && name[0] == RMQ_TOPIC_RETRY_PREFIX[0] &&
           strncmp(name, RMQ_TOPIC_RETRY_PREFIX, sizeof RMQ_TOPIC_RETRY_PREFIX - 1) == 0;
}

/* ---- the table ---------------------------------------------------------- */

void
rmq_topic_table_options_init(RmqTopicTableOptions *o)
{
    g_return_if_fail(o != NULL);
    o->cluster_name = "DefaultCluster";
    o->broker_name = "DEFAULT_BROKER";
    o->auto_create_topic_enable = TRUE;
    o->default_topic_queue_nums = 8;
    o->cluster_topic_enable = TRUE;
    o->broker_topic_enable = TRUE;
    o->trace_topic_enable = FALSE;
    o->msg_trace_topic_name = RMQ_TOPIC_TRACE;
}

static void
put(RmqTopicTable *t, RmqTopicConfig *tc)
{
    t->changes++;
    g_hash_table_replace(t->topics, tc->topic_name, tc);
}

static void
put_system(RmqTopicTable *t, const gchar *name, gint queues, gint perm)
{
    RmqTopicConfig *tc = rmq_topic_config_new(name);
    if (queues > 0)
        tc->read_queue_nums = tc->write_queue_nums = queues;
    tc->perm = perm;
    put(t, tc);
}

RmqTopicTable *
rmq_topic_table_new(const RmqTopicTableOptions *opts)
{
    RmqTopicTableOptions defaults;
    if (opts == NULL) {
        rmq_topic_table_options_init(&defaults);
        opts = &defaults;
    }
    g_return_val_if_fail(opts->cluster_name != NULL && opts->broker_name != NULL, NULL);

    RmqTopicTable *t = g_new0(RmqTopicTable, 1);
    t->topics = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify)rmq_topic_config_free);
    rmq_data_version_init(&t->version);
    t->cluster_name = g_strdup(opts->cluster_name);
    t->broker_name = g_strdup(opts->broker_name);
    t->reply_topic = g_strconcat(opts->cluster_name, RMQ_TOPIC_REPLY_SUFFIX, NULL);
    t->auto_create_topic_enable = opts->auto_create_topic_enable;
    if (opts->trace_topic_enable)
        t->trace_topic = g_strdup(opts->msg_trace_topic_name ? opts->msg_trace_topic_name
                                                             : RMQ_TOPIC_TRACE);

    const gint rw = RMQ_PERM_READ | RMQ_PERM_WRITE;
    /* Same order as TopicConfigManager's constructor: later ones win when
     * a configured name collides with a fixed one. */
    put_system(t, RMQ_TOPIC_SELF_TEST, 1, rw);
    if (opts->auto_create_topic_enable)
        put_system(t, RMQ_TOPIC_AUTO_CREATE_KEY, opts->default_topic_queue_nums,
                   rw | RMQ_PERM_INHERIT);
    put_system(t, RMQ_TOPIC_BENCHMARK, 1024, rw);
    put_system(t, t->cluster_name, 0, RMQ_PERM_INHERIT | (opts->cluster_topic_enable ? rw : 0));
    put_system(t, t->broker_name, 1, RMQ_PERM_INHERIT | (opts->broker_topic_enable ? rw : 0));
    put_system(t, RMQ_TOPIC_OFFSET_MOVED_EVENT, 1, rw);
    put_system(t, RMQ_TOPIC_SCHEDULE, RMQ_TOPIC_SCHEDULE_QUEUE_NUMS, rw);
    if (t->trace_topic != NULL)
        put_system(t, t->trace_topic, 1, rw);
    put_system(t, t->reply_topic, 1, rw);
    return t;
}

void
rmq_topic_table_free(RmqTopicTable *t)
{
    if (t == NULL)
        return;
    g_hash_table_destroy(t->topics);
    g_free(t->cluster_name);
    g_free(t->broker_name);
    g_free(t->trace_topic);
    g_free(t->reply_topic);
    g_free(t);
}

const RmqTopicConfig *
rmq_topic_table_lookup(const RmqTopicTable *t, const gchar *name)
{
    g_return_val_if_fail(t != NULL, NULL);
    if (name == NULL)
        return NULL;
    return g_hash_table_lookup(t->topics, name);
}

guint
rmq_topic_table_size(const RmqTopicTable *t)
{
    g_return_val_if_fail(t != NULL, 0);
    return g_hash_table_size(t->topics);
}

GPtrArray *
rmq_topic_table_names(const RmqTopicTable *t)
{
    g_return_val_if_fail(t != NULL, NULL);
    return rmq_meta_table_sorted_keys(t->topics);
}

const RmqDataVersion *
rmq_topic_table_version(const RmqTopicTable *t)
{
    g_return_val_if_fail(t != NULL, NULL);
    return &t->version;
}

gboolean
rmq_topic_table_update(RmqTopicTable *t, const RmqTopicConfig *tc)
{
    g_return_val_if_fail(t != NULL && tc != NULL && tc->topic_name != NULL, FALSE);
    const RmqTopicConfig *old = g_hash_table_lookup(t->topics, tc->topic_name);
    if (old != NULL && rmq_topic_config_equal(old, tc))
        return FALSE;
    put(t, rmq_topic_config_copy(tc));
    rmq_data_version_next(&t->version);
    return TRUE;
}

gboolean
rmq_topic_table_delete(RmqTopicTable *t, const gchar *name)
{
    g_return_val_if_fail(t != NULL, FALSE);
    t->changes++;
    if (name == NULL || !g_hash_table_remove(t->topics, name))
        return FALSE;
    rmq_data_version_next(&t->version);
    return TRUE;
}

gboolean
rmq_topic_table_is_system_topic(const RmqTopicTable *t, const gchar *name)
{
    g_return_val_if_fail(t != NULL, FALSE);
    if (name == NULL)
        return FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(fixed_system); i++)
        if (strcmp(name, fixed_system[i]) == 0)
            return TRUE;
    return strcmp(name, t->cluster_name) == 0 || strcmp(name, t->broker_name) == 0 ||
           strcmp(name, t->reply_topic) == 0 || g_strcmp0(name, t->trace_topic) == 0 ||
           g_str_has_prefix(name, RMQ_TOPIC_SYSTEM_PREFIX);
}

GPtrArray *
rmq_topic_table_system_topics(const RmqTopicTable *t)
{
    g_return_val_if_fail(t != NULL, NULL);
    g_autoptr(GHashTable) set = g_hash_table_new(g_str_hash, g_str_equal);
    for (gsize i = 0; i < G_N_ELEMENTS(fixed_system); i++)
        g_hash_table_add(set, (gpointer)fixed_system[i]);
    g_hash_table_add(set, t->cluster_name);
    g_hash_table_add(set, t->broker_name);
    g_hash_table_add(set, t->reply_topic);
    if (t->trace_topic != NULL)
        g_hash_table_add(set, t->trace_topic);
    g_autoptr(GPtrArray) names = rmq_meta_table_sorted_keys(set);
    GPtrArray *out = g_ptr_array_new_full(names->len, g_free);
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(out, g_strdup(names->pdata[i]));
    return out;
}

static RmqResponseCode
refuse(RmqResponseCode code, gchar **remark, gchar *text)
{
    if (remark != NULL)
        *remark = text;
    else
        g_free(text);
    return code;
}

RmqResponseCode
rmq_topic_table_check_send(const RmqTopicTable *t, const gchar *topic, gchar **remark)
{
    g_return_val_if_fail(t != NULL, RMQ_RESPONSE_SYSTEM_ERROR);
    const gchar *reason = NULL;
    if (!rmq_topic_name_validate(topic, &reason))
        return refuse(RMQ_RESPONSE_SYSTEM_ERROR, remark, g_strdup(reason));
    if (rmq_topic_is_send_forbidden(topic))
        return refuse(RMQ_RESPONSE_NO_PERMISSION, remark,
                      g_strdup_printf("Sending message to topic[%s] is forbidden.", topic));
    if (remark != NULL)
        *remark = NULL;
    return RMQ_RESPONSE_SUCCESS;
}

RmqResponseCode
rmq_topic_table_check_admin(const RmqTopicTable *t, const gchar *topic, gchar **remark)
{
    g_return_val_if_fail(t != NULL, RMQ_RESPONSE_SYSTEM_ERROR);
    const gchar *reason = NULL;
    if (!rmq_topic_name_validate(topic, &reason))
        return refuse(RMQ_RESPONSE_SYSTEM_ERROR, remark, g_strdup(reason));
    if (rmq_topic_table_is_system_topic(t, topic))
        return refuse(RMQ_RESPONSE_SYSTEM_ERROR, remark,
                      g_strdup_printf("The topic[%s] is conflict with system topic.", topic));
    if (remark != NULL)
        *remark = NULL;
    return RMQ_RESPONSE_SUCCESS;
}

/* createTopicInSendMessageMethod: NULL when the default topic cannot lend
 * its settings. */
static RmqTopicConfig *
derive_from_default(const RmqTopicTable *t, const gchar *topic, const gchar *default_topic,
                    gint default_queue_nums, gint topic_sys_flag)
{
    const RmqTopicConfig *def = rmq_topic_table_lookup(t, default_topic);
    if (def == NULL)
        return NULL;
    gint def_perm = def->perm;
    /* Java strips TBW102's inherit bit when auto-creation is off, so a
     * topics.json from an auto-create broker cannot re-enable it. */
    if (!t->auto_create_topic_enable && strcmp(default_topic, RMQ_TOPIC_AUTO_CREATE_KEY) == 0)
        def_perm = RMQ_PERM_READ | RMQ_PERM_WRITE;
    if ((def_perm & RMQ_PERM_INHERIT) == 0)
        return NULL;
    RmqTopicConfig *tc = rmq_topic_config_new(topic);
    gint queues = MIN(default_queue_nums, def->write_queue_nums);
    if (queues < 0)
        queues = 0;
    tc->read_queue_nums = tc->write_queue_nums = queues;
    tc->perm = def_perm & ~RMQ_PERM_INHERIT;
    tc->topic_sys_flag = topic_sys_flag;
    tc->filter_type = def->filter_type;
    return tc;
}

const RmqTopicConfig *
rmq_topic_table_get_or_create_for_send(RmqTopicTable *t, const gchar *topic,
                                       const gchar *default_topic, gint default_queue_nums,
                                       gint topic_sys_flag, gboolean *created, gchar **remark)
{
    g_return_val_if_fail(t != NULL && topic != NULL, NULL);
    if (created != NULL)
        *created = FALSE;
    if (remark != NULL)
        *remark = NULL;
    const RmqTopicConfig *have = rmq_topic_table_lookup(t, topic);
    if (have != NULL)
        return have;

    RmqTopicConfig *tc = NULL;
    if (default_topic != NULL)
        tc = derive_from_default(t, topic, default_topic, default_queue_nums, topic_sys_flag);
    if (tc == NULL && rmq_topic_is_retry(topic))
        return rmq_topic_table_ensure(t, topic, 1, RMQ_PERM_READ | RMQ_PERM_WRITE,
                                      topic_sys_flag, created);
    if (tc == NULL) {
        refuse(RMQ_RESPONSE_TOPIC_NOT_EXIST, remark,
               g_strdup_printf("topic[%s] not exist, apply first please!", topic));
        return NULL;
    }
    put(t, tc);
    rmq_data_version_next(&t->version);
    if (created != NULL)
        *created = TRUE;
    return tc;
}

guint64
rmq_topic_table_changes(const RmqTopicTable *t)
{
    return t->changes;
}

const RmqTopicConfig *
rmq_topic_table_ensure(RmqTopicTable *t, const gchar *topic, gint queue_nums, gint perm,
                       gint topic_sys_flag, gboolean *created)
{
    g_return_val_if_fail(t != NULL && topic != NULL, NULL);
    if (created != NULL)
        *created = FALSE;
    const RmqTopicConfig *have = rmq_topic_table_lookup(t, topic);
    if (have != NULL)
        return have;
    RmqTopicConfig *tc = rmq_topic_config_new(topic);
    tc->read_queue_nums = tc->write_queue_nums = queue_nums;
    tc->perm = perm;
    tc->topic_sys_flag = topic_sys_flag;
    put(t, tc);
    rmq_data_version_next(&t->version);
    if (created != NULL)
        *created = TRUE;
    return tc;
}

/* ---- JSON --------------------------------------------------------------- */

static JsonNode *
wrapper_node(const RmqTopicTable *t, gint override_perm, const gchar *only_topic)
{
    /* Sorted, so the same table always gives the same bytes. */
    JsonObject *table = json_object_new();
    g_autoptr(GPtrArray) names = rmq_topic_table_names(t);
    for (guint i = 0; i < names->len; i++) {
        const RmqTopicConfig *tc = g_hash_table_lookup(t->topics, g_ptr_array_index(names, i));
        if (only_topic != NULL && strcmp(only_topic, tc->topic_name) != 0)
            continue;
        JsonNode *n;
        if (override_perm >= 0) {
            RmqTopicConfig copy = *tc;
            copy.perm = override_perm;
            n = rmq_topic_config_to_node(&copy);
        } else {
            n = rmq_topic_config_to_node(tc);
        }
        json_object_set_member(table, tc->topic_name, n);
    }
    return rmq_meta_table_wrap(&t->version, "topicConfigTable", table);
}

JsonNode *
rmq_topic_table_to_node(const RmqTopicTable *t)
{
    g_return_val_if_fail(t != NULL, NULL);
    return wrapper_node(t, -1, NULL);
}

gchar *
rmq_topic_table_to_json(const RmqTopicTable *t, gboolean pretty)
{
    g_return_val_if_fail(t != NULL, NULL);
    g_autoptr(JsonNode) root = rmq_topic_table_to_node(t);
    return rmq_json_to_string(root, pretty);
}

GBytes *
rmq_topic_table_register_body(const RmqTopicTable *t, gint broker_perm, const gchar *only_topic)
{
    g_return_val_if_fail(t != NULL, NULL);
    const gint rw = RMQ_PERM_READ | RMQ_PERM_WRITE;
    gint override = (broker_perm & rw) == rw ? -1 : broker_perm;
    JsonObject *o = json_object_new();
    json_object_set_array_member(o, "filterServerList", json_array_new());
    json_object_set_member(o, "topicConfigSerializeWrapper", wrapper_node(t, override, only_topic));
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(root, o);
    gchar *text = rmq_json_to_string(root, FALSE);
    return g_bytes_new_take(text, strlen(text));
}

static gpointer
decode_entry(JsonNode *node, const gchar *key, GError **error)
{
    RmqTopicConfig *tc = rmq_topic_config_from_node(node, key, RMQ_TOPIC_CONFIG_DECODE_STRICT, error);
    /* The map key is what Java looks topics up by. */
    if (tc != NULL && strcmp(tc->topic_name, key) != 0) {
        g_free(tc->topic_name);
        tc->topic_name = g_strdup(key);
    }
    return tc;
}

gboolean
rmq_topic_table_load_node(RmqTopicTable *t, JsonNode *root, gboolean replace, GError **error)
{
    g_return_val_if_fail(t != NULL, FALSE);
    RmqDataVersion version = t->version;
    /* Decode everything first so a bad entry leaves the table untouched. */
    g_autoptr(GPtrArray) parsed = g_ptr_array_new_with_free_func((GDestroyNotify)rmq_topic_config_free);
    if (!rmq_meta_table_decode(root, "topic config", "topicConfigTable", RMQ_TOPIC_CONFIG_ERROR,
                               RMQ_TOPIC_CONFIG_ERROR_INVALID, &version, decode_entry, parsed,
                               error))
        return FALSE;
    if (replace) {
        t->changes++;
        g_hash_table_remove_all(t->topics);
    }
    for (guint i = 0; i < parsed->len; i++)
        put(t, g_ptr_array_index(parsed, i));
    g_ptr_array_set_free_func(parsed, NULL); /* the table owns them now */
    t->version = version;
    return TRUE;
}

static gboolean
replace_all(gpointer t, JsonNode *root, GError **error)
{
    return rmq_topic_table_load_node(t, root, TRUE, error);
}

gboolean
rmq_topic_table_sync_from_master(RmqTopicTable *t, const gchar *body, gsize len,
                                 gboolean *changed, GError **error)
{
    g_return_val_if_fail(t != NULL && body != NULL, FALSE);
    return rmq_meta_table_sync(&t->version, body, len, replace_all, t, changed, error);
}

static gboolean
decode_file(JsonNode *root, gpointer user_data, GError **error)
{
    return rmq_topic_table_load_node(user_data, root, FALSE, error);
}

gboolean
rmq_topic_table_load_file(RmqTopicTable *t, const gchar *path, GError **error)
{
    g_return_val_if_fail(t != NULL && path != NULL, FALSE);
    return rmq_json_file_load(path, decode_file, t, NULL, error);
}

gboolean
rmq_topic_table_save_file(const RmqTopicTable *t, const gchar *path, GError **error)
{
    g_return_val_if_fail(t != NULL && path != NULL, FALSE);
    g_autofree gchar *text = rmq_topic_table_to_json(t, TRUE);
    return rmq_json_file_save(path, text, -1, error);
}
