/* Admin calls behind rmqadmin (docs/protocol.md §3.1, §3.3, §5):
 * answers are normalised into standard JSON for tables and scripts. */
#include <config.h>

#include "client/internal.h"

#include <stdarg.h>
#include <string.h>

#include "remoting/json_body.h"
#include "model/message_properties.h"
#include "store/message_format.h"

struct _RmqAdmin {
    RmqMqCore *core;       /* shared by every user of one RmqInstance */
    guint timeout_ms;
    gint last_code;        /* response code of the last answer, -1 none */
};

RmqAdmin *
rmq_admin_new(const gchar *namesrv_addrs, GMainContext *context)
{
    g_autoptr(RmqInstance) inst = rmq_instance_new(namesrv_addrs, context);
    return rmq_admin_new_on(inst);
}

RmqAdmin *
rmq_admin_new_on(RmqInstance *inst)
{
    g_return_val_if_fail(inst != NULL, NULL);
    RmqAdmin *a = g_new0(RmqAdmin, 1);
    a->core = rmq_instance_ref(inst);
    a->timeout_ms = 5000;
    a->last_code = -1;
    return a;
}

void
rmq_admin_free(RmqAdmin *a)
{
    if (a == NULL)
        return;
    rmq_instance_unref(a->core);
    g_free(a);
}

void
rmq_admin_set_timeout(RmqAdmin *a, guint ms)
{
    a->timeout_ms = ms;
}

static GHashTable *
ext_table(const RmqCommand *resp)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; i < rmq_command_get_n_ext(resp); i++) {
        const RmqExtField *f = rmq_command_get_ext_field(resp, i);
        g_hash_table_replace(t, g_strdup(f->key), g_strdup(f->value));
    }
    return t;
}

static GBytes *
invoke_va(RmqAdmin *a, const gchar *addr, gint code, GBytes *body, GHashTable **ext_out,
          GError **error, va_list ap)
{
    RmqCommand *req = rmq_command_new_request(code);
    for (const gchar *k = va_arg(ap, const gchar *); k; k = va_arg(ap, const gchar *)) {
        const gchar *v = va_arg(ap, const gchar *);
        if (v)
            rmq_command_set_ext(req, k, v);
    }
    if (body)
        rmq_command_set_body(req, body);
    g_autoptr(RmqCommand) resp = NULL;
    const gchar *who = addr;
    if (addr == NULL) {
        resp = rmq_mq_core_invoke_ns(a->core, req, error);
        who = resp ? a->core->namesrvs[a->core->ns_index] : NULL;
    } else {
        g_autoptr(GError) err = NULL;
        resp = rmq_mq_core_invoke(a->core, addr, req, a->timeout_ms, &err);
        if (resp == NULL && g_strv_contains((const gchar *const *) a->core->namesrvs, addr))
            err->code = RMQ_MQ_ERROR_NAMESRV_UNREACHABLE;
        if (resp == NULL)
            g_propagate_error(error, g_steal_pointer(&err));
    }
    a->last_code = resp != NULL ? resp->code : -1;
    if (resp == NULL)
        return NULL;
    if (resp->code != RMQ_RESPONSE_SUCCESS) {
        rmq_mq_set_refused(error, who, resp);
        return NULL;
    }
    if (ext_out)
        *ext_out = ext_table(resp);
    return resp->body ? g_bytes_ref(resp->body) : g_bytes_new(NULL, 0);
}

gint
rmq_admin_last_response_code(RmqAdmin *a)
{
    g_return_val_if_fail(a != NULL, -1);
    return a->last_code;
}

JsonNode *
rmq_admin_parse_body(GBytes *body, GError **error)
{
    gsize len = 0;
    const guint8 *data = body != NULL ? g_bytes_get_data(body, &len) : NULL;
    if (len == 0) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL, "empty answer");
        return NULL;
    }
    return rmq_mq_parse_fastjson(data, len, error);
}

GBytes *
rmq_admin_invoke(RmqAdmin *a, const gchar *addr, gint code, GBytes *body, GHashTable **ext_out,
                 GError **error, ...)
{
    va_list ap;
    va_start(ap, error);
    GBytes *b = invoke_va(a, addr, code, body, ext_out, error, ap);
    va_end(ap);
    return b;
}

/* The same request (no body) on every name server in turn; FALSE at the
 * first that fails. */
static gboolean
invoke_every_namesrv(RmqAdmin *a, gint code, GError **error, ...)
{
    for (guint i = 0; a->core->namesrvs[i]; i++) {
        va_list ap;
        va_start(ap, error);
        g_autoptr(GBytes) b = invoke_va(a, a->core->namesrvs[i], code, NULL, NULL, error, ap);
        va_end(ap);
        if (b == NULL)
            return FALSE;
    }
    return TRUE;
}

/* Invoke and parse the body as (fastjson) JSON. */
static JsonNode *
invoke_json(RmqAdmin *a, const gchar *addr, gint code, GBytes *body, GError **error, ...)
{
    va_list ap;
    va_start(ap, error);
    g_autoptr(GBytes) b = invoke_va(a, addr, code, body, NULL, error, ap);
    va_end(ap);
    if (b == NULL)
        return NULL;
    gsize len;
    const guint8 *data = g_bytes_get_data(b, &len);
    if (len == 0) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL, "%s: empty answer",
                    addr ? addr : "name server");
        return NULL;
    }
    return rmq_mq_parse_fastjson(data, len, error);
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const gchar *const *) a, *(const gchar *const *) b);
}

JsonNode *
rmq_admin_topic_list(RmqAdmin *a, GError **error)
{
    g_autoptr(JsonNode) n = invoke_json(a, NULL, RMQ_REQUEST_GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
                                        NULL, error, NULL);
    if (n == NULL)
        return NULL;
    JsonArray *list = JSON_NODE_HOLDS_OBJECT(n)
        ? rmq_json_object_get_array_or_null(json_node_get_object(n), "topicList") : NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (guint i = 0; list && i < json_array_get_length(list); i++) {
        const gchar *s = json_node_get_string(json_array_get_element(list, i));
        if (s)
            g_ptr_array_add(names, (gpointer) s);
    }
    g_ptr_array_sort(names, cmp_str);
    JsonArray *out = json_array_new();
    for (guint i = 0; i < names->len; i++)
        json_array_add_string_element(out, g_ptr_array_index(names, i));
    return rmq_json_node_take_array(out);
}

JsonNode *
rmq_admin_topic_route(RmqAdmin *a, const gchar *topic, GError **error)
{
    const RmqRoute *r = rmq_mq_core_route(a->core, topic, TRUE, error);
    return r ? json_node_copy(r->raw) : NULL;
}

JsonNode *
rmq_admin_cluster_info(RmqAdmin *a, GError **error)
{
    g_autoptr(JsonNode) n = invoke_json(a, NULL, RMQ_REQUEST_GET_BROKER_CLUSTER_INFO, NULL,
                                        error, NULL);
    if (n == NULL)
        return NULL;
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
    JsonObject *clusters = json_object_new();
    JsonObject *brokers = json_object_new();
    JsonObject *cat = rmq_json_object_get_object_or_null(o, "clusterAddrTable");
    JsonObject *bat = rmq_json_object_get_object_or_null(o, "brokerAddrTable");
    if (cat) {
        g_autoptr(GList) names = json_object_get_members(cat);
        names = g_list_sort(names, (GCompareFunc) g_strcmp0);
        for (GList *l = names; l; l = l->next) {
            JsonArray *src = rmq_json_object_get_array_or_null(cat, l->data);
            g_autoptr(GPtrArray) bn = g_ptr_array_new();
            for (guint i = 0; src && i < json_array_get_length(src); i++) {
                const gchar *s = json_node_get_string(json_array_get_element(src, i));
                if (s)
                    g_ptr_array_add(bn, (gpointer) s);
            }
            g_ptr_array_sort(bn, cmp_str);
            JsonArray *arr = json_array_new();
            for (guint i = 0; i < bn->len; i++)
                json_array_add_string_element(arr, g_ptr_array_index(bn, i));
            json_object_set_array_member(clusters, l->data, arr);
        }
    }
    if (bat) {
        g_autoptr(GList) names = json_object_get_members(bat);
        names = g_list_sort(names, (GCompareFunc) g_strcmp0);
        for (GList *l = names; l; l = l->next) {
            JsonObject *bd = rmq_json_object_get_object_or_null(bat, l->data);
            JsonObject *b = json_object_new();
            json_object_set_string_member(b, "cluster",
                                          rmq_json_object_get_string_or(bd, "cluster", ""));
            JsonObject *addrs = json_object_new();
            JsonObject *src = rmq_json_object_get_object_or_null(bd, "brokerAddrs");
            if (src) {
                g_autoptr(GList) ids = json_object_get_members(src);
                ids = g_list_sort(ids, (GCompareFunc) g_strcmp0);
                for (GList *k = ids; k; k = k->next)
                    json_object_set_string_member(
                        addrs, k->data, rmq_json_object_get_string_or(src, k->data, ""));
            }
            json_object_set_object_member(b, "addrs", addrs);
            json_object_set_object_member(brokers, l->data, b);
        }
    }
    JsonObject *out = json_object_new();
    json_object_set_object_member(out, "clusters", clusters);
    json_object_set_object_member(out, "brokers", brokers);
    return rmq_json_node_take_object(out);
}

/* The masters' addresses (@masters_only), or every broker's by name then
 * id, of @cluster or of every cluster; a cluster that does not exist is
 * NOT_FOUND. (transfer full) */
static gchar **
cluster_addrs(RmqAdmin *a, const gchar *cluster, gboolean masters_only, GError **error)
{
    g_autoptr(JsonNode) info = rmq_admin_cluster_info(a, error);
    if (info == NULL)
        return NULL;
    JsonObject *o = json_node_get_object(info);
    JsonObject *clusters = json_object_get_object_member(o, "clusters");
    JsonObject *brokers = json_object_get_object_member(o, "brokers");
    if (cluster && !json_object_has_member(clusters, cluster)) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NOT_FOUND, "cluster not found: %s",
                    cluster);
        return NULL;
    }
    g_autoptr(GPtrArray) out = g_ptr_array_new();
    g_autoptr(GList) names = json_object_get_members(brokers);
    names = g_list_sort(names, (GCompareFunc) g_strcmp0);
    for (GList *l = names; l; l = l->next) {
        JsonObject *b = json_object_get_object_member(brokers, l->data);
        if (cluster && g_strcmp0(json_object_get_string_member(b, "cluster"), cluster) != 0)
            continue;
        JsonObject *addrs = json_object_get_object_member(b, "addrs");
        if (masters_only) {
            const gchar *m = rmq_json_object_get_string_or(addrs, "0", NULL);
            if (m)
                g_ptr_array_add(out, g_strdup(m));
            continue;
        }
        g_autoptr(GList) ids = json_object_get_members(addrs);
        ids = g_list_sort(ids, (GCompareFunc) g_strcmp0);
        for (GList *k = ids; k; k = k->next)
            g_ptr_array_add(out, g_strdup(json_object_get_string_member(addrs, k->data)));
    }
    g_ptr_array_add(out, NULL);
    return (gchar **) g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

gchar **
rmq_admin_cluster_masters(RmqAdmin *a, const gchar *cluster, GError **error)
{
    return cluster_addrs(a, cluster, TRUE, error);
}

gchar *
rmq_admin_broker_master_addr(RmqAdmin *a, const gchar *broker_name, GError **error)
{
    g_autoptr(JsonNode) info = rmq_admin_cluster_info(a, error);
    if (info == NULL)
        return NULL;
    JsonObject *brokers = json_object_get_object_member(json_node_get_object(info), "brokers");
    JsonObject *b = rmq_json_object_get_object_or_null(brokers, broker_name);
    const gchar *m = b ? rmq_json_object_get_string_or(
                             rmq_json_object_get_object_or_null(b, "addrs"), "0", NULL)
                       : NULL;
    if (m == NULL) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NOT_FOUND,
                    "broker not found (no master registered): %s", broker_name);
        return NULL;
    }
    return g_strdup(m);
}

void
rmq_topic_spec_init(RmqTopicSpec *spec)
{
    spec->read_queue_nums = 8;
    spec->write_queue_nums = 8;
    spec->perm = 6;
    spec->order = FALSE;
}

gboolean
rmq_admin_update_topic(RmqAdmin *a, const gchar *broker_addr, const gchar *topic,
                       const RmqTopicSpec *spec, GError **error)
{
    g_autofree gchar *r = g_strdup_printf("%d", spec->read_queue_nums);
    g_autofree gchar *w = g_strdup_printf("%d", spec->write_queue_nums);
    g_autofree gchar *p = g_strdup_printf("%d", spec->perm);
    g_autoptr(GBytes) b = rmq_admin_invoke(
        a, broker_addr, RMQ_REQUEST_UPDATE_AND_CREATE_TOPIC, NULL, NULL, error, "topic", topic,
        "defaultTopic", RMQ_MQ_DEFAULT_TOPIC, "readQueueNums", r, "writeQueueNums", w, "perm", p,
        "topicFilterType", "SINGLE_TAG", "topicSysFlag", "0", "order",
        spec->order ? "true" : "false", NULL);
    return b != NULL;
}

gboolean
rmq_admin_delete_topic(RmqAdmin *a, const gchar *cluster, const gchar *topic, GError **error)
{
    g_auto(GStrv) masters = rmq_admin_cluster_masters(a, cluster, error);
    if (masters == NULL)
        return FALSE;
    for (guint i = 0; masters[i]; i++) {
        g_autoptr(GBytes) b = rmq_admin_invoke(a, masters[i], RMQ_REQUEST_DELETE_TOPIC_IN_BROKER,
                                               NULL, NULL, error, "topic", topic, NULL);
        if (b == NULL)
            return FALSE;
    }
    if (!invoke_every_namesrv(a, RMQ_REQUEST_DELETE_TOPIC_IN_NAMESRV, error, "topic", topic,
                              NULL))
        return FALSE;
    rmq_mq_core_forget_route(a->core, topic);
    return TRUE;
}

/* Master addresses of the brokers in @topic's route, or of every cluster. */
static gchar **
target_brokers(RmqAdmin *a, const gchar *topic, GError **error)
{
    if (topic == NULL)
        return rmq_admin_cluster_masters(a, NULL, error);
    const RmqRoute *r = rmq_mq_core_route(a->core, topic, TRUE, error);
    if (r == NULL)
        return NULL;
    g_autoptr(GPtrArray) out = g_ptr_array_new();
    for (guint i = 0; i < r->broker_datas->len; i++) {
        const RmqBrokerData *b = g_ptr_array_index(r->broker_datas, i);
        const gchar *m = rmq_route_master_addr(r, b->broker_name);
        if (m)
            g_ptr_array_add(out, g_strdup(m));
    }
    g_ptr_array_add(out, NULL);
    return (gchar **) g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/* A MessageQueue map key: its JSON text (see fastjson.c). */
static JsonObject *
parse_mq_key(const gchar *key)
{
    g_autoptr(JsonNode) n = rmq_json_parse_lenient(key, -1, NULL);
    if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
        return NULL;
    return json_object_ref(json_node_get_object(n));
}

static gint
cmp_queue_rows(gconstpointer pa, gconstpointer pb)
{
    JsonObject *a = json_node_get_object(*(JsonNode *const *) pa);
    JsonObject *b = json_node_get_object(*(JsonNode *const *) pb);
    gint c = g_strcmp0(rmq_json_object_get_string_or(a, "topic", ""),
                       rmq_json_object_get_string_or(b, "topic", ""));
    if (c == 0)
        c = g_strcmp0(rmq_json_object_get_string_or(a, "brokerName", ""),
                      rmq_json_object_get_string_or(b, "brokerName", ""));
    if (c == 0)
        c = (gint) (rmq_json_object_get_int64_or(a, "queueId", 0) -
                    rmq_json_object_get_int64_or(b, "queueId", 0));
    return c;
}

static JsonArray *
sorted_array(GPtrArray *rows)
{
    g_ptr_array_sort(rows, cmp_queue_rows);
    JsonArray *arr = json_array_new();
    for (guint i = 0; i < rows->len; i++)
        json_array_add_element(arr, json_node_copy(g_ptr_array_index(rows, i)));
    return arr;
}

JsonNode *
rmq_admin_topic_status(RmqAdmin *a, const gchar *topic, GError **error)
{
    g_auto(GStrv) brokers = target_brokers(a, topic, error);
    if (brokers == NULL)
        return NULL;
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);
    for (guint i = 0; brokers[i]; i++) {
        g_autoptr(JsonNode) n = invoke_json(a, brokers[i], RMQ_REQUEST_GET_TOPIC_STATS_INFO, NULL,
                                            error, "topic", topic, NULL);
        if (n == NULL)
            return NULL;
        JsonObject *table = JSON_NODE_HOLDS_OBJECT(n)
            ? rmq_json_object_get_object_or_null(json_node_get_object(n), "offsetTable") : NULL;
        g_autoptr(GList) keys = table ? json_object_get_members(table) : NULL;
        for (GList *l = keys; l; l = l->next) {
            g_autoptr(JsonObject) mq = parse_mq_key(l->data);
            JsonObject *v = rmq_json_object_get_object_or_null(table, l->data);
            if (mq == NULL || v == NULL)
                continue;
            JsonObject *row = json_object_new();
            json_object_set_string_member(row, "topic",
                                          rmq_json_object_get_string_or(mq, "topic", topic));
            json_object_set_string_member(row, "brokerName",
                                          rmq_json_object_get_string_or(mq, "brokerName", ""));
            json_object_set_int_member(row, "queueId",
                                       rmq_json_object_get_int64_or(mq, "queueId", -1));
            json_object_set_int_member(row, "minOffset",
                                       rmq_json_object_get_int64_or(v, "minOffset", 0));
            json_object_set_int_member(row, "maxOffset",
                                       rmq_json_object_get_int64_or(v, "maxOffset", 0));
            json_object_set_int_member(row, "lastUpdateTimestamp",
                                       rmq_json_object_get_int64_or(v, "lastUpdateTimestamp", 0));
            g_ptr_array_add(rows, rmq_json_node_take_object(row));
        }
    }
    return rmq_json_node_take_array(sorted_array(rows));
}

JsonNode *
rmq_admin_broker_runtime(RmqAdmin *a, const gchar *broker_addr, GError **error)
{
    g_autoptr(JsonNode) n = invoke_json(a, broker_addr, RMQ_REQUEST_GET_BROKER_RUNTIME_INFO, NULL,
                                        error, NULL);
    if (n == NULL)
        return NULL;
    JsonObject *t = JSON_NODE_HOLDS_OBJECT(n)
        ? rmq_json_object_get_object_or_null(json_node_get_object(n), "table") : NULL;
    JsonObject *out = json_object_new();
    g_autoptr(GList) keys = t ? json_object_get_members(t) : NULL;
    keys = g_list_sort(keys, (GCompareFunc) g_strcmp0);
    for (GList *l = keys; l; l = l->next) {
        JsonNode *v = json_object_get_member(t, l->data);
        if (JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_STRING)
            json_object_set_string_member(out, l->data, json_node_get_string(v));
        else
            json_object_set_member(out, l->data, json_node_copy(v));
    }
    return rmq_json_node_take_object(out);
}

/* A "key=value" per line text (Java's properties, as GET_BROKER_CONFIG and
 * GET_NAMESRV_CONFIG answer) as an object with its keys sorted; a later line
 * for a key wins, # lines are comments. (transfer full) */
static JsonObject *
properties_object(GBytes *b)
{
    gsize len;
    const gchar *data = g_bytes_get_data(b, &len);
    g_autofree gchar *text = g_strndup(data ? data : "", len);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(GPtrArray) keys = g_ptr_array_new();
    g_autoptr(GHashTable) kv = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; lines[i]; i++) {
        gchar *line = g_strstrip(lines[i]);
        gchar *eq = strchr(line, '=');
        if (*line == '#' || eq == NULL)
            continue;
        *eq = '\0';
        if (!g_hash_table_contains(kv, line))
            g_ptr_array_add(keys, line);
        g_hash_table_insert(kv, line, eq + 1);
    }
    g_ptr_array_sort(keys, cmp_str);
    JsonObject *out = json_object_new();
    for (guint i = 0; i < keys->len; i++) {
        const gchar *k = g_ptr_array_index(keys, i);
        json_object_set_string_member(out, k, g_hash_table_lookup(kv, k));
    }
    return out;
}

JsonNode *
rmq_admin_broker_config(RmqAdmin *a, const gchar *broker_addr, GError **error)
{
    g_autoptr(GBytes) b = rmq_admin_invoke(a, broker_addr, RMQ_REQUEST_GET_BROKER_CONFIG, NULL,
                                           NULL, error, NULL);
    if (b == NULL)
        return NULL;
    return rmq_json_node_take_object(properties_object(b));
}

gboolean
rmq_admin_update_broker_config(RmqAdmin *a, const gchar *broker_addr, const gchar *key,
                               const gchar *value, GError **error)
{
    g_autofree gchar *text = g_strdup_printf("%s=%s\n", key, value);
    g_autoptr(GBytes) body = g_bytes_new(text, strlen(text));
    g_autoptr(GBytes) b = rmq_admin_invoke(a, broker_addr, RMQ_REQUEST_UPDATE_BROKER_CONFIG, body,
                                           NULL, error, NULL);
    return b != NULL;
}

gboolean
rmq_admin_update_sub_group(RmqAdmin *a, const gchar *broker_addr, const gchar *group,
                           JsonObject *config, GError **error)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "brokerId", 0);
    json_object_set_boolean_member(o, "consumeBroadcastEnable", TRUE);
    json_object_set_boolean_member(o, "consumeEnable", TRUE);
    json_object_set_boolean_member(o, "consumeFromMinEnable", TRUE);
    json_object_set_string_member(o, "groupName", group);
    json_object_set_boolean_member(o, "notifyConsumerIdsChangedEnable", TRUE);
    json_object_set_int_member(o, "retryMaxTimes", 16);
    json_object_set_int_member(o, "retryQueueNums", 1);
    json_object_set_int_member(o, "whichBrokerWhenConsumeSlowly", 1);
    if (config) {
        g_autoptr(GList) keys = json_object_get_members(config);
        for (GList *l = keys; l; l = l->next)
            json_object_set_member(o, l->data,
                                   json_node_copy(json_object_get_member(config, l->data)));
    }
    g_autoptr(JsonNode) n = rmq_json_node_take_object(o);
    gchar *text = rmq_json_to_string(n, FALSE);
    g_autoptr(GBytes) body = g_bytes_new_take(text, strlen(text));
    g_autoptr(GBytes) b = rmq_admin_invoke(a, broker_addr,
                                           RMQ_REQUEST_UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, body,
                                           NULL, error, NULL);
    return b != NULL;
}

gboolean
rmq_admin_delete_sub_group(RmqAdmin *a, const gchar *broker_addr, const gchar *group,
                           gboolean remove_offset, GError **error)
{
    g_autoptr(GBytes) b = rmq_admin_invoke(a, broker_addr, RMQ_REQUEST_DELETE_SUBSCRIPTIONGROUP,
                                           NULL, NULL, error, "groupName", group, "removeOffset",
                                           remove_offset ? "true" : "false", NULL);
    return b != NULL;
}

/* A row {topic, brokerName, queueId, brokerOffset, consumerOffset, diff,
 * lastTimestamp} added to @rows per queue of a ConsumeStats offsetTable
 * (NULL: none); the sum of the diffs. */
static gint64
offset_rows(JsonObject *table, GPtrArray *rows)
{
    gint64 diff_total = 0;
    g_autoptr(GList) keys = table ? json_object_get_members(table) : NULL;
    for (GList *l = keys; l; l = l->next) {
        g_autoptr(JsonObject) mq = parse_mq_key(l->data);
        JsonObject *v = rmq_json_object_get_object_or_null(table, l->data);
        if (mq == NULL || v == NULL)
            continue;
        gint64 bo = rmq_json_object_get_int64_or(v, "brokerOffset", 0);
        gint64 co = rmq_json_object_get_int64_or(v, "consumerOffset", 0);
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "topic", rmq_json_object_get_string_or(mq, "topic", ""));
        json_object_set_string_member(row, "brokerName",
                                      rmq_json_object_get_string_or(mq, "brokerName", ""));
        json_object_set_int_member(row, "queueId", rmq_json_object_get_int64_or(mq, "queueId", -1));
        json_object_set_int_member(row, "brokerOffset", bo);
        json_object_set_int_member(row, "consumerOffset", co);
        json_object_set_int_member(row, "diff", bo - co);
        json_object_set_int_member(row, "lastTimestamp",
                                   rmq_json_object_get_int64_or(v, "lastTimestamp", 0));
        diff_total += bo - co;
        g_ptr_array_add(rows, rmq_json_node_take_object(row));
    }
    return diff_total;
}

JsonNode *
rmq_admin_consumer_progress(RmqAdmin *a, const gchar *group, const gchar *topic, GError **error)
{
    g_auto(GStrv) brokers = target_brokers(a, topic, error);
    if (brokers == NULL)
        return NULL;
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);
    gdouble tps = 0;
    gint64 diff_total = 0;
    for (guint i = 0; brokers[i]; i++) {
        g_autoptr(JsonNode) n = invoke_json(a, brokers[i], RMQ_REQUEST_GET_CONSUME_STATS, NULL,
                                            error, "consumerGroup", group, "topic",
                                            topic ? topic : "", NULL);
        if (n == NULL)
            return NULL;
        JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
        tps += rmq_json_object_get_double_or(o, "consumeTps", 0);
        diff_total += offset_rows(rmq_json_object_get_object_or_null(o, "offsetTable"), rows);
    }
    JsonObject *out = json_object_new();
    json_object_set_string_member(out, "group", group);
    json_object_set_double_member(out, "consumeTps", tps);
    json_object_set_int_member(out, "diffTotal", diff_total);
    json_object_set_array_member(out, "queues", sorted_array(rows));
    return rmq_json_node_take_object(out);
}

/* Merge connectionSet arrays of @code answers from @brokers; other members
 * from the first answer. NOT_FOUND when no broker knows the group. */
static JsonNode *
merged_connections(RmqAdmin *a, gchar **brokers, gint code, const gchar *key,
                   const gchar *group, GError **error)
{
    JsonObject *out = NULL;
    JsonArray *conns = json_array_new();
    g_autoptr(GString) why = g_string_new(NULL);
    for (guint i = 0; brokers[i]; i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(JsonNode) n = invoke_json(a, brokers[i], code, NULL, &err, key, group, NULL);
        if (n == NULL) {
            if (!g_error_matches(err, RMQ_MQ_ERROR, RMQ_MQ_ERROR_BROKER_REFUSED)) {
                json_array_unref(conns);
                if (out)
                    json_object_unref(out);
                g_propagate_error(error, g_steal_pointer(&err));
                return NULL;
            }
            g_string_append_printf(why, "%s%s", why->len ? "; " : "", err->message);
            continue;
        }
        if (!JSON_NODE_HOLDS_OBJECT(n))
            continue;
        JsonObject *o = json_node_get_object(n);
        JsonArray *set = rmq_json_object_get_array_or_null(o, "connectionSet");
        for (guint k = 0; set && k < json_array_get_length(set); k++)
            json_array_add_element(conns, json_node_copy(json_array_get_element(set, k)));
        if (out == NULL) {
            out = json_object_new();
            g_autoptr(GList) names = json_object_get_members(o);
            for (GList *l = names; l; l = l->next)
                if (strcmp(l->data, "connectionSet") != 0)
                    json_object_set_member(out, l->data,
                                           json_node_copy(json_object_get_member(o, l->data)));
        }
    }
    if (out == NULL) {
        json_array_unref(conns);
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NOT_FOUND, "group %s not online (%s)",
                    group, why->len ? why->str : "no broker");
        return NULL;
    }
    json_object_set_string_member(out, "group", group);
    json_object_set_array_member(out, "connections", conns);
    return rmq_json_node_take_object(out);
}

JsonNode *
rmq_admin_consumer_connection(RmqAdmin *a, const gchar *group, GError **error)
{
    g_auto(GStrv) brokers = rmq_admin_cluster_masters(a, NULL, error);
    if (brokers == NULL)
        return NULL;
    return merged_connections(a, brokers, RMQ_REQUEST_GET_CONSUMER_CONNECTION_LIST,
                              "consumerGroup", group, error);
}

JsonNode *
rmq_admin_producer_connection(RmqAdmin *a, const gchar *group, const gchar *topic,
                              GError **error)
{
    g_auto(GStrv) brokers = target_brokers(a, topic, error);
    if (brokers == NULL)
        return NULL;
    return merged_connections(a, brokers, RMQ_REQUEST_GET_PRODUCER_CONNECTION_LIST,
                              "producerGroup", group, error);
}

RmqMsg *
rmq_admin_view_message(RmqAdmin *a, const gchar *offset_msg_id, GError **error)
{
    RmqHostAddr host;
    gint64 offset;
    g_autoptr(GError) err = NULL;
    if (!rmq_message_id_decode(offset_msg_id, &host, &offset, &err)) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL,
                    "not an offset message id: %s (%s)", offset_msg_id, err->message);
        return NULL;
    }
    /* A client msgId (UNIQ_KEY) also has 32 digits; where an offset id has
     * the port, it has the pid and more, which never fit in 16 bits. */
    if (host.port <= 0 || host.port > 65535) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL,
                    "not an offset message id: %s (port %d; a client msgId is found by topic "
                    "and unique key)", offset_msg_id, host.port);
        return NULL;
    }
    gchar ip[64];
    if (host.addr_len == 16)
        g_snprintf(ip, sizeof ip, "[%x:%x:%x:%x:%x:%x:%x:%x]", host.addr[0] << 8 | host.addr[1],
                   host.addr[2] << 8 | host.addr[3], host.addr[4] << 8 | host.addr[5],
                   host.addr[6] << 8 | host.addr[7], host.addr[8] << 8 | host.addr[9],
                   host.addr[10] << 8 | host.addr[11], host.addr[12] << 8 | host.addr[13],
                   host.addr[14] << 8 | host.addr[15]);
    else
        g_snprintf(ip, sizeof ip, "%u.%u.%u.%u", host.addr[0], host.addr[1], host.addr[2],
                   host.addr[3]);
    g_autofree gchar *addr = g_strdup_printf("%s:%d", ip, host.port);
    g_autofree gchar *off = g_strdup_printf("%" G_GINT64_FORMAT, offset);
    g_autoptr(GBytes) b = rmq_admin_invoke(a, addr, RMQ_REQUEST_VIEW_MESSAGE_BY_ID, NULL, NULL,
                                           &err, "offset", off, NULL);
    if (b == NULL) {
        if (g_error_matches(err, RMQ_MQ_ERROR, RMQ_MQ_ERROR_BROKER_REFUSED))
            err->code = RMQ_MQ_ERROR_NOT_FOUND;
        g_propagate_error(error, g_steal_pointer(&err));
        return NULL;
    }
    gsize len;
    const guint8 *data = g_bytes_get_data(b, &len);
    g_autoptr(GPtrArray) msgs = rmq_mq_decode_messages(data ? data : (const guint8 *) "", len,
                                                       error);
    if (msgs == NULL)
        return NULL;
    if (msgs->len == 0) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NOT_FOUND, "message not found: %s",
                    offset_msg_id);
        return NULL;
    }
    return g_ptr_array_steal_index(msgs, 0);
}

/* QUERY_MESSAGE on every broker of @topic; keeps the exact matches of @key
 * (a KEYS entry, or the UNIQ_KEY) since the index is by hash. @unique asks
 * by UNIQ_KEY as mqadmin's queryMsgByUniqueKey does (_UNIQUE_KEY_QUERY). */
static GPtrArray *
query_index(RmqAdmin *a, const gchar *topic, const gchar *key, gboolean unique, gint max_num,
            gint64 begin_ms, gint64 end_ms, GError **error)
{
    g_auto(GStrv) brokers = target_brokers(a, topic, error);
    if (brokers == NULL)
        return NULL;
    g_autofree gchar *mx = g_strdup_printf("%d", max_num > 0 ? max_num : 64);
    g_autofree gchar *bt = g_strdup_printf("%" G_GINT64_FORMAT, begin_ms);
    g_autofree gchar *et = g_strdup_printf("%" G_GINT64_FORMAT, end_ms);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
    for (guint i = 0; brokers[i]; i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(GBytes) b = rmq_admin_invoke(a, brokers[i], RMQ_REQUEST_QUERY_MESSAGE, NULL,
                                               NULL, &err, "topic", topic, "key", key, "maxNum",
                                               mx, "beginTimestamp", bt, "endTimestamp", et,
                                               unique ? "_UNIQUE_KEY_QUERY" : NULL, "true", NULL);
        if (b == NULL) {
            if (g_error_matches(err, RMQ_MQ_ERROR, RMQ_MQ_ERROR_BROKER_REFUSED))
                continue; /* QUERY_NOT_FOUND on this broker */
            g_ptr_array_unref(out);
            g_propagate_error(error, g_steal_pointer(&err));
            return NULL;
        }
        gsize len;
        const guint8 *data = g_bytes_get_data(b, &len);
        g_autoptr(GPtrArray) msgs = rmq_mq_decode_messages(data ? data : (const guint8 *) "",
                                                           len, &err);
        if (msgs == NULL) {
            g_ptr_array_unref(out);
            g_propagate_error(error, g_steal_pointer(&err));
            return NULL;
        }
        for (guint k = 0; k < msgs->len; k++) {
            RmqMsg *m = g_ptr_array_index(msgs, k);
            const gchar *keys = rmq_msg_get_keys(m);
            g_auto(GStrv) parts = g_strsplit(keys ? keys : "", " ", -1);
            gboolean uniq = g_strcmp0(rmq_msg_get_property(m, RMQ_PROPERTY_UNIQ_KEY), key) == 0;
            gboolean hit = uniq || (!unique && g_strv_contains((const gchar *const *) parts, key));
            if (hit && g_strcmp0(m->topic, topic) == 0) {
                g_ptr_array_add(out, m);
                msgs->pdata[k] = NULL;
            }
        }
    }
    if (out->len == 0) {
        g_ptr_array_unref(out);
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NOT_FOUND, "no message with %s %s in %s",
                    unique ? "unique key" : "key", key, topic);
        return NULL;
    }
    return out;
}

GPtrArray *
rmq_admin_query_by_key(RmqAdmin *a, const gchar *topic, const gchar *key, gint max_num,
                       gint64 begin_ms, gint64 end_ms, GError **error)
{
    return query_index(a, topic, key, FALSE, max_num, begin_ms, end_ms, error);
}

GPtrArray *
rmq_admin_query_by_unique_key(RmqAdmin *a, const gchar *topic, const gchar *uniq_key,
                              GError **error)
{
    /* mqadmin: at most 32, over all time */
    return query_index(a, topic, uniq_key, TRUE, 32, 0, G_MAXINT64, error);
}

/* Store time of the message at @offset of a queue, -1 if there is none. */
static gint64
store_time_at(RmqAdmin *a, const gchar *addr, const gchar *group, const gchar *topic, gint qid,
              gint64 offset)
{
    RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_PULL_MESSAGE);
    rmq_command_set_ext(req, "consumerGroup", group);
    rmq_command_set_ext(req, "topic", topic);
    rmq_command_set_ext_int64(req, "queueId", qid);
    rmq_command_set_ext_int64(req, "queueOffset", offset);
    rmq_command_set_ext_int64(req, "maxMsgNums", 1);
    rmq_command_set_ext_int64(req, "sysFlag", 0x4); /* SUBSCRIPTION */
    rmq_command_set_ext_int64(req, "commitOffset", 0);
    rmq_command_set_ext_int64(req, "suspendTimeoutMillis", 0);
    rmq_command_set_ext(req, "subscription", "*");
    rmq_command_set_ext_int64(req, "subVersion", 0);
    g_autoptr(RmqCommand) resp = rmq_mq_core_invoke(a->core, addr, req, a->timeout_ms, NULL);
    if (resp == NULL || resp->code != RMQ_RESPONSE_SUCCESS || resp->body == NULL)
        return -1;
    gsize len;
    const guint8 *data = g_bytes_get_data(resp->body, &len);
    g_autoptr(GPtrArray) msgs = rmq_mq_decode_messages(data, len, NULL);
    if (msgs == NULL || msgs->len == 0)
        return -1;
    return ((RmqMsg *) g_ptr_array_index(msgs, 0))->store_timestamp;
}

JsonNode *
rmq_admin_reset_offset_by_time(RmqAdmin *a, const gchar *group, const gchar *topic,
                               gint64 timestamp_ms, GError **error)
{
    return rmq_admin_reset_offset_by_time_on(a, group, topic, NULL, timestamp_ms, error);
}

JsonNode *
rmq_admin_reset_offset_by_time_on(RmqAdmin *a, const gchar *group, const gchar *topic,
                                  const gchar *broker_name, gint64 timestamp_ms, GError **error)
{
    const RmqRoute *r = rmq_mq_core_route(a->core, topic, TRUE, error);
    if (r == NULL)
        return NULL;
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);
    g_autofree gchar *ts = g_strdup_printf("%" G_GINT64_FORMAT, timestamp_ms);
    for (guint i = 0; i < r->queue_datas->len; i++) {
        const RmqQueueData *qd = g_ptr_array_index(r->queue_datas, i);
        if (broker_name != NULL && g_strcmp0(qd->broker_name, broker_name) != 0)
            continue;
        const gchar *addr = rmq_route_master_addr(r, qd->broker_name);
        if (addr == NULL)
            continue;
        for (gint q = 0; q < qd->read_queue_nums; q++) {
            g_autofree gchar *qid = g_strdup_printf("%d", q);
            g_autoptr(GHashTable) ext = NULL;
            g_autoptr(GBytes) b = rmq_admin_invoke(a, addr, RMQ_REQUEST_SEARCH_OFFSET_BY_TIMESTAMP,
                                                   NULL, &ext, error, "topic", topic, "queueId",
                                                   qid, "timestamp", ts, NULL);
            if (b == NULL)
                return NULL;
            const gchar *found = g_hash_table_lookup(ext, "offset");
            if (found == NULL) {
                g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL,
                            "%s: SEARCH_OFFSET_BY_TIMESTAMP answer has no offset", addr);
                return NULL;
            }
            gint64 at = g_ascii_strtoll(found, NULL, 10);
            /* The broker answers the nearest message (docs/protocol.md §3.2); step past it
             * when it was stored before the time asked for. */
            gint64 stored = store_time_at(a, addr, group, topic, q, at);
            g_autofree gchar *off = g_strdup_printf("%" G_GINT64_FORMAT,
                                                    stored >= 0 && stored < timestamp_ms ? at + 1 : at);
            g_autoptr(GBytes) u = rmq_admin_invoke(a, addr, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET,
                                                   NULL, NULL, error, "consumerGroup", group,
                                                   "topic", topic, "queueId", qid, "commitOffset",
                                                   off, NULL);
            if (u == NULL)
                return NULL;
            JsonObject *row = json_object_new();
            json_object_set_string_member(row, "topic", topic);
            json_object_set_string_member(row, "brokerName", qd->broker_name);
            json_object_set_int_member(row, "queueId", q);
            json_object_set_int_member(row, "offset", g_ascii_strtoll(off, NULL, 10));
            json_object_set_int_member(row, "searchedOffset", at);
            g_ptr_array_add(rows, rmq_json_node_take_object(row));
        }
    }
    return rmq_json_node_take_array(sorted_array(rows));
}

/* WIPE_ or ADD_WRITE_PERM_OF_BROKER (@code) on every name server: one row
 * {namesrv, @count_key} each, the count from the reply's @count_key field. */
static JsonNode *
write_perm_on_namesrvs(RmqAdmin *a, gint code, const gchar *count_key, const gchar *broker_name,
                       GError **error)
{
    JsonArray *arr = json_array_new();
    for (guint i = 0; a->core->namesrvs[i]; i++) {
        g_autoptr(GHashTable) ext = NULL;
        g_autoptr(GBytes) b = rmq_admin_invoke(a, a->core->namesrvs[i], code, NULL, &ext, error,
                                               "brokerName", broker_name, NULL);
        if (b == NULL) {
            json_array_unref(arr);
            return NULL;
        }
        const gchar *n = g_hash_table_lookup(ext, count_key);
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "namesrv", a->core->namesrvs[i]);
        json_object_set_int_member(row, count_key, n ? g_ascii_strtoll(n, NULL, 10) : 0);
        json_array_add_object_element(arr, row);
    }
    return rmq_json_node_take_array(arr);
}

JsonNode *
rmq_admin_wipe_write_perm(RmqAdmin *a, const gchar *broker_name, GError **error)
{
    return write_perm_on_namesrvs(a, RMQ_REQUEST_WIPE_WRITE_PERM_OF_BROKER, "wipeTopicCount",
                                  broker_name, error);
}

JsonNode *
rmq_admin_add_write_perm(RmqAdmin *a, const gchar *broker_name, GError **error)
{
    return write_perm_on_namesrvs(a, RMQ_REQUEST_ADD_WRITE_PERM_OF_BROKER, "addTopicCount",
                                  broker_name, error);
}

JsonNode *
rmq_admin_topic_clusters(RmqAdmin *a, const gchar *topic, GError **error)
{
    g_autoptr(JsonNode) route = rmq_admin_topic_route(a, topic, error);
    if (route == NULL)
        return NULL;
    g_autoptr(JsonNode) info = rmq_admin_cluster_info(a, error);
    if (info == NULL)
        return NULL;
    JsonArray *bds = rmq_json_object_get_array_or_null(json_node_get_object(route), "brokerDatas");
    JsonArray *out = json_array_new();
    if (bds != NULL && json_array_get_length(bds) > 0) {
        /* as DefaultMQAdminExtImpl.getTopicClusterList: the first broker only */
        const gchar *bn = rmq_json_object_get_string_or(json_array_get_object_element(bds, 0),
                                                        "brokerName", NULL);
        JsonObject *clusters =
            json_object_get_object_member(json_node_get_object(info), "clusters");
        g_autoptr(GList) names = json_object_get_members(clusters);
        names = g_list_sort(names, (GCompareFunc) g_strcmp0);
        for (GList *l = names; l != NULL && bn != NULL; l = l->next) {
            JsonArray *members = json_object_get_array_member(clusters, l->data);
            for (guint i = 0; i < json_array_get_length(members); i++)
                if (g_strcmp0(json_array_get_string_element(members, i), bn) == 0) {
                    json_array_add_string_element(out, l->data);
                    break;
                }
        }
    }
    return rmq_json_node_take_array(out);
}

gboolean
rmq_admin_put_kv_config(RmqAdmin *a, const gchar *name_space, const gchar *key,
                        const gchar *value, GError **error)
{
    return invoke_every_namesrv(a, RMQ_REQUEST_PUT_KV_CONFIG, error, "namespace", name_space,
                                "key", key, "value", value, NULL);
}

gboolean
rmq_admin_delete_kv_config(RmqAdmin *a, const gchar *name_space, const gchar *key, GError **error)
{
    return invoke_every_namesrv(a, RMQ_REQUEST_DELETE_KV_CONFIG, error, "namespace", name_space,
                                "key", key, NULL);
}

JsonNode *
rmq_admin_namesrv_config(RmqAdmin *a, gchar **servers, GError **error)
{
    gchar **list = servers != NULL ? servers : a->core->namesrvs;
    JsonObject *out = json_object_new();
    for (guint i = 0; list[i]; i++) {
        g_autoptr(GBytes) b = rmq_admin_invoke(a, list[i], RMQ_REQUEST_GET_NAMESRV_CONFIG, NULL,
                                               NULL, error, NULL);
        if (b == NULL) {
            json_object_unref(out);
            return NULL;
        }
        json_object_set_object_member(out, list[i], properties_object(b));
    }
    return rmq_json_node_take_object(out);
}

gboolean
rmq_admin_update_namesrv_config(RmqAdmin *a, gchar **servers, const gchar *key,
                                const gchar *value, GError **error)
{
    gchar **list = servers != NULL ? servers : a->core->namesrvs;
    g_autofree gchar *text = g_strdup_printf("%s=%s\n", key, value);
    for (guint i = 0; list[i]; i++) {
        g_autoptr(GBytes) body = g_bytes_new(text, strlen(text));
        g_autoptr(GBytes) b = rmq_admin_invoke(a, list[i], RMQ_REQUEST_UPDATE_NAMESRV_CONFIG, body,
                                               NULL, error, NULL);
        if (b == NULL)
            return FALSE;
    }
    return TRUE;
}

JsonNode *
rmq_admin_producer_info(RmqAdmin *a, const gchar *broker_addr, GError **error)
{
    g_autoptr(JsonNode) n =
        invoke_json(a, broker_addr, RMQ_REQUEST_GET_ALL_PRODUCER_INFO, NULL, error, NULL);
    if (n == NULL)
        return NULL;
    JsonObject *data = JSON_NODE_HOLDS_OBJECT(n)
                           ? rmq_json_object_get_object_or_null(json_node_get_object(n), "data")
                           : NULL;
    return data != NULL ? json_node_copy(json_object_get_member(json_node_get_object(n), "data"))
                        : rmq_json_node_take_object(json_object_new());
}

JsonNode *
rmq_admin_query_consume_queue(RmqAdmin *a, const gchar *broker_addr, const gchar *topic,
                              gint queue_id, gint64 index, gint count, const gchar *group,
                              GError **error)
{
    g_autofree gchar *q = g_strdup_printf("%d", queue_id);
    g_autofree gchar *i = g_strdup_printf("%" G_GINT64_FORMAT, index);
    g_autofree gchar *c = g_strdup_printf("%d", count);
    g_autoptr(GBytes) b =
        rmq_admin_invoke(a, broker_addr, RMQ_REQUEST_QUERY_CONSUME_QUEUE, NULL, NULL, error,
                         "topic", topic, "queueId", q, "index", i, "count", c, "consumerGroup",
                         group, NULL);
    if (b == NULL)
        return NULL;
    gsize len;
    const guint8 *data = g_bytes_get_data(b, &len);
    if (len == 0) {
        /* SUCCESS without a body: the broker's remark says the index is not there */
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NOT_FOUND,
                    "Index %" G_GINT64_FORMAT " of %d@%s is not exist!", index, queue_id, topic);
        return NULL;
    }
    return rmq_mq_parse_fastjson(data, len, error);
}

static gboolean
simple_broker_call(RmqAdmin *a, const gchar *broker_addr, gint code, GError **error)
{
    g_autoptr(GBytes) b = rmq_admin_invoke(a, broker_addr, code, NULL, NULL, error, NULL);
    return b != NULL;
}

gboolean
rmq_admin_clean_expired_cq(RmqAdmin *a, const gchar *broker_addr, GError **error)
{
    return simple_broker_call(a, broker_addr, RMQ_REQUEST_CLEAN_EXPIRED_CONSUMEQUEUE, error);
}

gboolean
rmq_admin_delete_expired_commit_log(RmqAdmin *a, const gchar *broker_addr, GError **error)
{
    return simple_broker_call(a, broker_addr, RMQ_REQUEST_DELETE_EXPIRED_COMMITLOG, error);
}

gboolean
rmq_admin_clean_unused_topic(RmqAdmin *a, const gchar *broker_addr, GError **error)
{
    return simple_broker_call(a, broker_addr, RMQ_REQUEST_CLEAN_UNUSED_TOPIC, error);
}

gchar **
rmq_admin_cluster_addrs(RmqAdmin *a, const gchar *cluster, GError **error)
{
    return cluster_addrs(a, cluster, FALSE, error);
}

JsonNode *
rmq_admin_broker_consume_stats(RmqAdmin *a, const gchar *broker_addr, gboolean order,
                               GError **error)
{
    g_autoptr(JsonNode) n =
        invoke_json(a, broker_addr, RMQ_REQUEST_GET_BROKER_CONSUME_STATS, NULL, error, "isOrder",
                    order ? "true" : "false", NULL);
    if (n == NULL)
        return NULL;
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
    JsonArray *list = rmq_json_object_get_array_or_null(o, "consumeStatsList");
    JsonArray *groups = json_array_new();
    for (guint i = 0; list != NULL && i < json_array_get_length(list); i++) {
        JsonNode *e = json_array_get_element(list, i);
        JsonObject *m = JSON_NODE_HOLDS_OBJECT(e) ? json_node_get_object(e) : NULL;
        g_autoptr(GList) names = m != NULL ? json_object_get_members(m) : NULL;
        for (GList *l = names; l; l = l->next) {
            JsonArray *stats = rmq_json_object_get_array_or_null(m, l->data);
            JsonArray *out_stats = json_array_new();
            for (guint s = 0; stats != NULL && s < json_array_get_length(stats); s++) {
                JsonNode *sn = json_array_get_element(stats, s);
                JsonObject *so = JSON_NODE_HOLDS_OBJECT(sn) ? json_node_get_object(sn) : NULL;
                JsonObject *table = rmq_json_object_get_object_or_null(so, "offsetTable");
                g_autoptr(GPtrArray) rows =
                    g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);
                offset_rows(table, rows);
                JsonObject *one = json_object_new();
                json_object_set_double_member(one, "consumeTps",
                                              rmq_json_object_get_double_or(so, "consumeTps", 0));
                json_object_set_array_member(one, "queues", sorted_array(rows));
                json_array_add_object_element(out_stats, one);
            }
            JsonObject *g = json_object_new();
            json_object_set_string_member(g, "group", l->data);
            json_object_set_array_member(g, "consumeStats", out_stats);
            json_array_add_object_element(groups, g);
        }
    }
    JsonObject *out = json_object_new();
    json_object_set_string_member(out, "brokerAddr",
                                  rmq_json_object_get_string_or(o, "brokerAddr", broker_addr));
    json_object_set_int_member(out, "totalDiff", rmq_json_object_get_int64_or(o, "totalDiff", 0));
    json_object_set_array_member(out, "groups", groups);
    return rmq_json_node_take_object(out);
}

JsonNode *
rmq_admin_view_broker_stats(RmqAdmin *a, const gchar *broker_addr, const gchar *stats_name,
                            const gchar *stats_key, GError **error)
{
    g_autoptr(JsonNode) n = invoke_json(a, broker_addr, RMQ_REQUEST_VIEW_BROKER_STATS_DATA, NULL,
                                        error, "statsName", stats_name, "statsKey", stats_key,
                                        NULL);
    if (n == NULL)
        return NULL;
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
    static const gchar *const windows[] = { "statsMinute", "statsHour", "statsDay" };
    JsonObject *out = json_object_new();
    for (guint i = 0; i < G_N_ELEMENTS(windows); i++) {
        JsonObject *w = rmq_json_object_get_object_or_null(o, windows[i]);
        JsonObject *one = json_object_new();
        json_object_set_int_member(one, "sum", rmq_json_object_get_int64_or(w, "sum", 0));
        json_object_set_double_member(one, "tps", rmq_json_object_get_double_or(w, "tps", 0));
        json_object_set_double_member(one, "avgpt", rmq_json_object_get_double_or(w, "avgpt", 0));
        json_object_set_object_member(out, windows[i], one);
    }
    return rmq_json_node_take_object(out);
}

/* mqadmin's compute24HourSum: the day's sum, else the hour's, else the minute's. */
static gint64
day_sum(JsonObject *stats)
{
    static const gchar *const windows[] = { "statsDay", "statsHour", "statsMinute" };
    for (guint i = 0; i < G_N_ELEMENTS(windows); i++) {
        gint64 s = json_object_get_int_member(json_object_get_object_member(stats, windows[i]), "sum");
        if (s != 0)
            return s;
    }
    return 0;
}

/* Minute tps and 24-hour sum of one item over @masters (failures count 0). */
static void
sum_stats(RmqAdmin *a, gchar **masters, const gchar *name, const gchar *key, gdouble *tps,
          gint64 *day)
{
    *tps = 0;
    *day = 0;
    for (guint i = 0; masters[i]; i++) {
        g_autoptr(JsonNode) n = rmq_admin_view_broker_stats(a, masters[i], name, key, NULL);
        if (n == NULL)
            continue;
        JsonObject *o = json_node_get_object(n);
        *tps += json_object_get_double_member(json_object_get_object_member(o, "statsMinute"), "tps");
        *day += day_sum(o);
    }
}

static void
stats_one_topic(RmqAdmin *a, const gchar *topic, JsonArray *rows)
{
    g_auto(GStrv) masters = target_brokers(a, topic, NULL);
    if (masters == NULL)
        return;
    gdouble in_tps;
    gint64 in_day;
    sum_stats(a, masters, "TOPIC_PUT_NUMS", topic, &in_tps, &in_day);
    /* as mqadmin's queryTopicConsumeByWho: the first master asked */
    g_autoptr(JsonNode) who = masters[0] != NULL
                                  ? invoke_json(a, masters[0], RMQ_REQUEST_QUERY_TOPIC_CONSUME_BY_WHO,
                                                NULL, NULL, "topic", topic, NULL)
                                  : NULL;
    JsonArray *groups = who != NULL && JSON_NODE_HOLDS_OBJECT(who)
                            ? rmq_json_object_get_array_or_null(json_node_get_object(who), "groupList")
                            : NULL;
    guint n_groups = groups != NULL ? json_array_get_length(groups) : 0;
    for (guint g = 0; g < n_groups; g++) {
        const gchar *group = json_array_get_string_element(groups, g);
        g_autofree gchar *key = g_strdup_printf("%s@%s", topic, group);
        gdouble out_tps;
        gint64 out_day;
        sum_stats(a, masters, "GROUP_GET_NUMS", key, &out_tps, &out_day);
        g_autoptr(JsonNode) progress = rmq_admin_consumer_progress(a, group, topic, NULL);
        gint64 acc = progress != NULL
                         ? json_object_get_int_member(json_node_get_object(progress), "diffTotal")
                         : 0;
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "topic", topic);
        json_object_set_string_member(row, "group", group);
        json_object_set_int_member(row, "accumulation", MAX(acc, 0));
        json_object_set_double_member(row, "inTps", in_tps);
        json_object_set_double_member(row, "outTps", out_tps);
        json_object_set_int_member(row, "inMsg24Hour", in_day);
        json_object_set_int_member(row, "outMsg24Hour", out_day);
        json_array_add_object_element(rows, row);
    }
    if (n_groups == 0) {
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "topic", topic);
        json_object_set_null_member(row, "group");
        json_object_set_int_member(row, "accumulation", 0);
        json_object_set_double_member(row, "inTps", in_tps);
        json_object_set_null_member(row, "outTps");
        json_object_set_int_member(row, "inMsg24Hour", in_day);
        json_object_set_null_member(row, "outMsg24Hour");
        json_array_add_object_element(rows, row);
    }
}

JsonNode *
rmq_admin_stats_all(RmqAdmin *a, const gchar *topic, GError **error)
{
    g_autoptr(JsonNode) list = rmq_admin_topic_list(a, error);
    if (list == NULL)
        return NULL;
    JsonArray *topics = json_node_get_array(list);
    JsonArray *rows = json_array_new();
    for (guint i = 0; i < json_array_get_length(topics); i++) {
        const gchar *t = json_array_get_string_element(topics, i);
        if (g_str_has_prefix(t, "%RETRY%") || g_str_has_prefix(t, "%DLQ%"))
            continue;
        if (topic != NULL && *topic != '\0' && strcmp(t, topic) != 0)
            continue;
        stats_one_topic(a, t, rows);
    }
    return rmq_json_node_take_array(rows);
}

RmqInstance *
rmq_admin_get_instance(RmqAdmin *a)
{
    g_return_val_if_fail(a != NULL, NULL);
    return a->core;
}
