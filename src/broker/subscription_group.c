#include <config.h>

#include "broker/subscription_group.h"

#include <string.h>

#include "broker/json_file.h"
#include "broker/meta_table.h"
#include "remoting/json_body.h"

G_DEFINE_QUARK(rmq-subscription-group-error-quark, rmq_subscription_group_error)

struct _RmqSubscriptionGroupTable {
    GHashTable *groups; /* group_name (owned by the value) -> RmqSubscriptionGroup */
    RmqDataVersion version;
};

static const gchar *const preseeded[] = {
    RMQ_GROUP_TOOLS_CONSUMER, RMQ_GROUP_FILTERSRV_CONSUMER, RMQ_GROUP_SELF_TEST_CONSUMER,
    RMQ_GROUP_ONS_HTTP_PROXY, RMQ_GROUP_ONSAPI_PULL,        RMQ_GROUP_ONSAPI_PERMISSION,
    RMQ_GROUP_ONSAPI_OWNER,
};

RmqSubscriptionGroup *
rmq_subscription_group_new(const gchar *name)
{
    g_return_val_if_fail(name != NULL, NULL);
    RmqSubscriptionGroup *g = g_new0(RmqSubscriptionGroup, 1);
    g->group_name = g_strdup(name);
    g->consume_enable = TRUE;
    g->consume_from_min_enable = TRUE;
    g->consume_broadcast_enable = TRUE;
    g->retry_queue_nums = 1;
    g->retry_max_times = 16;
    g->broker_id = 0;
    g->which_broker_when_consume_slowly = 1;
    g->notify_consumer_ids_changed_enable = TRUE;
    return g;
}

RmqSubscriptionGroup *
rmq_subscription_group_copy(const RmqSubscriptionGroup *g)
{
    g_return_val_if_fail(g != NULL, NULL);
    RmqSubscriptionGroup *c = g_memdup2(g, sizeof *g);
    c->group_name = g_strdup(g->group_name);
    return c;
}

void
rmq_subscription_group_free(RmqSubscriptionGroup *g)
{
    if (g == NULL)
        return;
    g_free(g->group_name);
    g_free(g);
}

gboolean
rmq_subscription_group_equal(const RmqSubscriptionGroup *a, const RmqSubscriptionGroup *b)
{
    g_return_val_if_fail(a != NULL && b != NULL, FALSE);
    return g_strcmp0(a->group_name, b->group_name) == 0 &&
           !a->consume_enable == !b->consume_enable &&
           !a->consume_from_min_enable == !b->consume_from_min_enable &&
           !a->consume_broadcast_enable == !b->consume_broadcast_enable &&
           a->retry_queue_nums == b->retry_queue_nums &&
           a->retry_max_times == b->retry_max_times && a->broker_id == b->broker_id &&
           a->which_broker_when_consume_slowly == b->which_broker_when_consume_slowly &&
           !a->notify_consumer_ids_changed_enable == !b->notify_consumer_ids_changed_enable;
}

JsonNode *
rmq_subscription_group_to_node(const RmqSubscriptionGroup *g)
{
    g_return_val_if_fail(g != NULL, NULL);
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "brokerId", g->broker_id);
    json_object_set_boolean_member(o, "consumeBroadcastEnable", g->consume_broadcast_enable);
    json_object_set_boolean_member(o, "consumeEnable", g->consume_enable);
    json_object_set_boolean_member(o, "consumeFromMinEnable", g->consume_from_min_enable);
    json_object_set_string_member(o, "groupName", g->group_name);
    json_object_set_boolean_member(o, "notifyConsumerIdsChangedEnable",
                                   g->notify_consumer_ids_changed_enable);
    json_object_set_int_member(o, "retryMaxTimes", g->retry_max_times);
    json_object_set_int_member(o, "retryQueueNums", g->retry_queue_nums);
    json_object_set_int_member(o, "whichBrokerWhenConsumeSlowly",
                               g->which_broker_when_consume_slowly);
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    return n;
}

RmqSubscriptionGroup *
rmq_subscription_group_from_node(JsonNode *node, const gchar *name_hint, GError **error)
{
    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
        g_set_error(error, RMQ_SUBSCRIPTION_GROUP_ERROR, RMQ_SUBSCRIPTION_GROUP_ERROR_INVALID,
                    "subscription group %s is not an object", name_hint ? name_hint : "");
        return NULL;
    }
    JsonObject *o = json_node_get_object(node);
    const gchar *name = rmq_json_object_get_string_or(o, "groupName", name_hint);
    if (name == NULL || *name == '\0') {
        g_set_error(error, RMQ_SUBSCRIPTION_GROUP_ERROR, RMQ_SUBSCRIPTION_GROUP_ERROR_INVALID,
                    "subscription group without groupName");
        return NULL;
    }
    RmqSubscriptionGroup *g = rmq_subscription_group_new(name);
    g->consume_enable = rmq_json_object_get_bool_or(o, "consumeEnable", g->consume_enable);
    g->consume_from_min_enable =
        rmq_json_object_get_bool_or(o, "consumeFromMinEnable", g->consume_from_min_enable);
    g->consume_broadcast_enable =
        rmq_json_object_get_bool_or(o, "consumeBroadcastEnable", g->consume_broadcast_enable);
    g->retry_queue_nums = rmq_json_object_get_int32_or(o, "retryQueueNums", g->retry_queue_nums);
    g->retry_max_times = rmq_json_object_get_int32_or(o, "retryMaxTimes", g->retry_max_times);
    g->broker_id = rmq_json_object_get_int64_or(o, "brokerId", g->broker_id);
    g->which_broker_when_consume_slowly = rmq_json_object_get_int64_or(
        o, "whichBrokerWhenConsumeSlowly", g->which_broker_when_consume_slowly);
    g->notify_consumer_ids_changed_enable = rmq_json_object_get_bool_or(
        o, "notifyConsumerIdsChangedEnable", g->notify_consumer_ids_changed_enable);
    return g;
}

RmqSubscriptionGroup *
rmq_subscription_group_parse(const gchar *body, gsize len, GError **error)
{
    g_return_val_if_fail(body != NULL, NULL);
    g_autoptr(JsonNode) root = rmq_json_parse_lenient(body, (gssize)len, error);
    if (root == NULL)
        return NULL;
    return rmq_subscription_group_from_node(root, NULL, error);
}

/* ---- the table ---------------------------------------------------------- */

static void
put(RmqSubscriptionGroupTable *t, RmqSubscriptionGroup *g)
{
    g_hash_table_replace(t->groups, g->group_name, g);
}

RmqSubscriptionGroupTable *
rmq_subscription_group_table_new(void)
{
    RmqSubscriptionGroupTable *t = g_new0(RmqSubscriptionGroupTable, 1);
    t->groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify)rmq_subscription_group_free);
    rmq_data_version_init(&t->version);
    for (gsize i = 0; i < G_N_ELEMENTS(preseeded); i++)
        put(t, rmq_subscription_group_new(preseeded[i]));
    return t;
}

void
rmq_subscription_group_table_free(RmqSubscriptionGroupTable *t)
{
    if (t == NULL)
        return;
    g_hash_table_destroy(t->groups);
    g_free(t);
}

const RmqSubscriptionGroup *
rmq_subscription_group_table_lookup(const RmqSubscriptionGroupTable *t, const gchar *group)
{
    g_return_val_if_fail(t != NULL, NULL);
    return group != NULL ? g_hash_table_lookup(t->groups, group) : NULL;
}

guint
rmq_subscription_group_table_size(const RmqSubscriptionGroupTable *t)
{
    g_return_val_if_fail(t != NULL, 0);
    return g_hash_table_size(t->groups);
}

GPtrArray *
rmq_subscription_group_table_names(const RmqSubscriptionGroupTable *t)
{
    g_return_val_if_fail(t != NULL, NULL);
    return rmq_meta_table_sorted_keys(t->groups);
}

const RmqDataVersion *
rmq_subscription_group_table_version(const RmqSubscriptionGroupTable *t)
{
    g_return_val_if_fail(t != NULL, NULL);
    return &t->version;
}

gboolean
rmq_subscription_group_table_update(RmqSubscriptionGroupTable *t, const RmqSubscriptionGroup *g)
{
    g_return_val_if_fail(t != NULL && g != NULL && g->group_name != NULL, FALSE);
    const RmqSubscriptionGroup *old = g_hash_table_lookup(t->groups, g->group_name);
    if (old != NULL && rmq_subscription_group_equal(old, g))
        return FALSE;
    put(t, rmq_subscription_group_copy(g));
    rmq_data_version_next(&t->version);
    return TRUE;
}

const RmqSubscriptionGroup *
rmq_subscription_group_table_find_or_create(RmqSubscriptionGroupTable *t, const gchar *group,
                                            gboolean auto_create, gboolean *created)
{
    g_return_val_if_fail(t != NULL && group != NULL, NULL);
    if (created != NULL)
        *created = FALSE;
    RmqSubscriptionGroup *g = g_hash_table_lookup(t->groups, group);
    if (g != NULL)
        return g;
    if (!auto_create && !g_str_has_prefix(group, RMQ_GROUP_SYS_PREFIX))
        return NULL;
    g = rmq_subscription_group_new(group);
    put(t, g);
    rmq_data_version_next(&t->version);
    if (created != NULL)
        *created = TRUE;
    return g;
}

gboolean
rmq_subscription_group_table_delete(RmqSubscriptionGroupTable *t, const gchar *group)
{
    g_return_val_if_fail(t != NULL, FALSE);
    if (group == NULL || !g_hash_table_remove(t->groups, group))
        return FALSE;
    rmq_data_version_next(&t->version);
    return TRUE;
}

JsonNode *
rmq_subscription_group_table_to_node(const RmqSubscriptionGroupTable *t)
{
    g_return_val_if_fail(t != NULL, NULL);
    JsonObject *table = json_object_new();
    g_autoptr(GPtrArray) names = rmq_subscription_group_table_names(t);
    for (guint i = 0; i < names->len; i++) {
        const RmqSubscriptionGroup *g = g_hash_table_lookup(t->groups, names->pdata[i]);
        json_object_set_member(table, g->group_name, rmq_subscription_group_to_node(g));
    }
    return rmq_meta_table_wrap(&t->version, "subscriptionGroupTable", table);
}

gchar *
rmq_subscription_group_table_to_json(const RmqSubscriptionGroupTable *t, gboolean pretty)
{
    g_return_val_if_fail(t != NULL, NULL);
    g_autoptr(JsonNode) root = rmq_subscription_group_table_to_node(t);
    return rmq_json_to_string(root, pretty);
}

static gpointer
decode_entry(JsonNode *node, const gchar *key, GError **error)
{
    RmqSubscriptionGroup *g = rmq_subscription_group_from_node(node, key, error);
    if (g != NULL && strcmp(g->group_name, key) != 0) { /* Java looks up by the key */
        g_free(g->group_name);
        g->group_name = g_strdup(key);
    }
    return g;
}

gboolean
rmq_subscription_group_table_load_node(RmqSubscriptionGroupTable *t, JsonNode *root,
                                       gboolean replace, GError **error)
{
    g_return_val_if_fail(t != NULL, FALSE);
    RmqDataVersion version = t->version;
    g_autoptr(GPtrArray) parsed =
        g_ptr_array_new_with_free_func((GDestroyNotify)rmq_subscription_group_free);
    if (!rmq_meta_table_decode(root, "subscription group", "subscriptionGroupTable",
                               RMQ_SUBSCRIPTION_GROUP_ERROR, RMQ_SUBSCRIPTION_GROUP_ERROR_INVALID,
                               &version, decode_entry, parsed, error))
        return FALSE;
    if (replace)
        g_hash_table_remove_all(t->groups);
    for (guint i = 0; i < parsed->len; i++)
        put(t, g_ptr_array_index(parsed, i));
    g_ptr_array_set_free_func(parsed, NULL); /* the table owns them now */
    t->version = version;
    return TRUE;
}

static gboolean
replace_all(gpointer t, JsonNode *root, GError **error)
{
    return rmq_subscription_group_table_load_node(t, root, TRUE, error);
}

gboolean
rmq_subscription_group_table_sync_from_master(RmqSubscriptionGroupTable *t, const gchar *body,
                                              gsize len, gboolean *changed, GError **error)
{
    g_return_val_if_fail(t != NULL && body != NULL, FALSE);
    return rmq_meta_table_sync(&t->version, body, len, replace_all, t, changed, error);
}

static gboolean
decode_file(JsonNode *root, gpointer user_data, GError **error)
{
    return rmq_subscription_group_table_load_node(user_data, root, FALSE, error);
}

gboolean
rmq_subscription_group_table_load_file(RmqSubscriptionGroupTable *t, const gchar *path,
                                       GError **error)
{
    g_return_val_if_fail(t != NULL && path != NULL, FALSE);
    return rmq_json_file_load(path, decode_file, t, NULL, error);
}

gboolean
rmq_subscription_group_table_save_file(const RmqSubscriptionGroupTable *t, const gchar *path,
                                       GError **error)
{
    g_return_val_if_fail(t != NULL && path != NULL, FALSE);
    g_autofree gchar *text = rmq_subscription_group_table_to_json(t, TRUE);
    return rmq_json_file_save(path, text, -1, error);
}
