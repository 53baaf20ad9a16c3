#include <config.h>

#include "namesrv/processor.h"

#include <string.h>

#include "common/config-keys.h"
#include "common/log.h"
#include "common/properties.h"
#include "common/ratelimit.h"
#include "remoting/codes.h"

/* Anything a peer sent, as it may appear in a log line or a remark:
 * never more than RMQ_ABBREV_DEFAULT bytes of it (a 15 MiB topic name was
 * echoed whole). */
#define AB(var, s) g_autofree gchar *var = rmq_abbrev(s, RMQ_ABBREV_DEFAULT)

/* Warnings a broker's bad requests cause: a few per address per minute. When
 * allowed, *@note is "" or " (N similar warnings suppressed)". */
static gboolean
peer_warning_allowed(const gchar *addr, gchar **note)
{
    static RmqRateLimit *limit; /* the name server's loop is its only thread */
    if (limit == NULL)
        limit = rmq_rate_limit_new(5, 60 * G_USEC_PER_SEC, 1024);
    guint64 suppressed = 0;
    if (!rmq_rate_limit_allow(limit, addr, g_get_monotonic_time(), &suppressed))
        return FALSE;
    *note = suppressed == 0 ? g_strdup("")
                            : g_strdup_printf(" (%" G_GUINT64_FORMAT " similar warnings suppressed)",
                                              suppressed);
    return TRUE;
}

const gint32 rmq_namesrv_processor_codes[] = {
    RMQ_REQUEST_PUT_KV_CONFIG,
    RMQ_REQUEST_GET_KV_CONFIG,
    RMQ_REQUEST_DELETE_KV_CONFIG,
    RMQ_REQUEST_REGISTER_BROKER,
    RMQ_REQUEST_UNREGISTER_BROKER,
    RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC,
    RMQ_REQUEST_GET_BROKER_CLUSTER_INFO,
    RMQ_REQUEST_WIPE_WRITE_PERM_OF_BROKER,
    RMQ_REQUEST_GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
    RMQ_REQUEST_DELETE_TOPIC_IN_NAMESRV,
    RMQ_REQUEST_GET_KVLIST_BY_NAMESPACE,
    RMQ_REQUEST_GET_TOPICS_BY_CLUSTER,
    RMQ_REQUEST_GET_SYSTEM_TOPIC_LIST_FROM_NS,
    RMQ_REQUEST_GET_UNIT_TOPIC_LIST,
    RMQ_REQUEST_GET_HAS_UNIT_SUB_TOPIC_LIST,
    RMQ_REQUEST_GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST,
    RMQ_REQUEST_UPDATE_NAMESRV_CONFIG,
    RMQ_REQUEST_GET_NAMESRV_CONFIG,
    RMQ_REQUEST_QUERY_DATA_VERSION,
    RMQ_REQUEST_ADD_WRITE_PERM_OF_BROKER,
    -1,
};

/* Keys UPDATE_NAMESRV_CONFIG may not touch (Java's configBlackList). */
static const gchar *const config_black_list[] = { "kvConfigPath", "configStorePath", NULL };

RmqNamesrvProcessor *
rmq_namesrv_processor_new(RmqRouteTable *routes, RmqKvConfig *kv)
{
    RmqNamesrvProcessor *p = g_new0(RmqNamesrvProcessor, 1);
    p->routes = routes;
    p->kv = kv;
    p->config_overrides = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return p;
}

void
rmq_namesrv_processor_free(RmqNamesrvProcessor *p)
{
    if (p == NULL)
        return;
    g_hash_table_unref(p->config_overrides);
    g_free(p);
}

/* Remarks longer than this are cut (rmq_abbrev): a safety net under the
 * per-value truncation, so no remark can echo a request's megabytes. */
#define REMARK_MAX 1024

static RmqCommand *
reply(const RmqCommand *req, gint32 code, const gchar *remark)
{
    g_autofree gchar *cut = remark != NULL && strlen(remark) > REMARK_MAX
                                ? rmq_abbrev(remark, REMARK_MAX)
                                : NULL;
    return rmq_command_new_response(req, code, cut != NULL ? cut : remark);
}

static RmqCommand *
reply_body(const RmqCommand *req, GBytes *body)
{
    RmqCommand *resp = rmq_command_new_response(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_body(resp, body);
    return resp;
}

/* @CFNotNull fields: Java's decoder fails with this text, answered as SYSTEM_ERROR. */
static gboolean
need(const RmqCommand *req, RmqCommand **resp, const gchar *key, const gchar **out)
{
    const gchar *v = rmq_command_get_ext(req, key);
    if (v == NULL) {
        g_autofree gchar *msg = g_strdup_printf("the custom field <%s> is null", key);
        *resp = reply(req, RMQ_RESPONSE_SYSTEM_ERROR, msg);
        return FALSE;
    }
    *out = v;
    return TRUE;
}

static gboolean
need_int64(const RmqCommand *req, RmqCommand **resp, const gchar *key, gint64 *out)
{
    const gchar *text;
    if (!need(req, resp, key, &text))
        return FALSE;
    if (!rmq_command_get_ext_int64(req, key, out)) {
        AB(text_ab, text);
        g_autofree gchar *msg = g_strdup_printf("the custom field <%s> is not a number: %s", key,
                                                text_ab);
        *resp = reply(req, RMQ_RESPONSE_SYSTEM_ERROR, msg);
        return FALSE;
    }
    return TRUE;
}

static RmqCommand *
put_kv_config(RmqNamesrvProcessor *p, const RmqCommand *req)
{
    RmqCommand *resp = NULL;
    const gchar *ns, *key, *value;
    if (!need(req, &resp, "namespace", &ns) || !need(req, &resp, "key", &key) ||
        !need(req, &resp, "value", &value))
        return resp;
    g_autoptr(GError) error = NULL;
    AB(ns_ab, ns);
    AB(key_ab, key);
    if (!rmq_kvconfig_put(p->kv, ns, key, value, &error)) {
        g_warning("KV config %s/%s kept in memory but not persisted: %s", ns_ab, key_ab,
                  error->message);
        return reply(req, RMQ_RESPONSE_SYSTEM_ERROR, error->message);
    }
    AB(value_ab, value);
    g_info("KV config put %s/%s=%s", ns_ab, key_ab, value_ab);
    return reply(req, RMQ_RESPONSE_SUCCESS, NULL);
}

static RmqCommand *
get_kv_config(RmqNamesrvProcessor *p, const RmqCommand *req)
{
    RmqCommand *resp = NULL;
    const gchar *ns, *key;
    if (!need(req, &resp, "namespace", &ns) || !need(req, &resp, "key", &key))
        return resp;
    const gchar *value = rmq_kvconfig_get(p->kv, ns, key);
    if (value == NULL) {
        AB(ns_ab, ns);
        AB(key_ab, key);
        g_autofree gchar *msg =
            g_strdup_printf("No config item, Namespace: %s Key: %s", ns_ab, key_ab);
        return reply(req, RMQ_RESPONSE_QUERY_NOT_FOUND, msg);
    }
    resp = reply(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_ext(resp, "value", value);
    return resp;
}

static RmqCommand *
delete_kv_config(RmqNamesrvProcessor *p, const RmqCommand *req)
{
    RmqCommand *resp = NULL;
    const gchar *ns, *key;
    if (!need(req, &resp, "namespace", &ns) || !need(req, &resp, "key", &key))
        return resp;
    g_autoptr(GError) error = NULL;
    if (!rmq_kvconfig_delete(p->kv, ns, key, &error)) {
        AB(ns_ab, ns);
        AB(key_ab, key);
        g_warning("KV config delete %s/%s not persisted: %s", ns_ab, key_ab, error->message);
        return reply(req, RMQ_RESPONSE_SYSTEM_ERROR, error->message);
    }
    return reply(req, RMQ_RESPONSE_SUCCESS, NULL);
}

static RmqCommand *
get_kvlist(RmqNamesrvProcessor *p, const RmqCommand *req)
{
    RmqCommand *resp = NULL;
    const gchar *ns;
    if (!need(req, &resp, "namespace", &ns))
        return resp;
    g_autoptr(GBytes) table = rmq_kvconfig_get_table(p->kv, ns);
    if (table == NULL) {
        AB(ns_ab, ns);
        g_autofree gchar *msg = g_strdup_printf("No config item, Namespace: %s", ns_ab);
        return reply(req, RMQ_RESPONSE_QUERY_NOT_FOUND, msg);
    }
    return reply_body(req, table);
}

/* Who a REGISTER/UNREGISTER/QUERY_DATA_VERSION request says it is. */
static gboolean
broker_identity(const RmqCommand *req, RmqCommand **resp, gboolean with_ha, gpointer channel,
                RmqBrokerIdentity *id)
{
    memset(id, 0, sizeof *id);
    id->channel = channel;
    if (!need(req, resp, "brokerName", &id->broker_name) ||
        !need(req, resp, "brokerAddr", &id->broker_addr) ||
        !need(req, resp, "clusterName", &id->cluster_name) ||
        !need_int64(req, resp, "brokerId", &id->broker_id))
        return FALSE;
    if (with_ha && !need(req, resp, "haServerAddr", &id->ha_server_addr))
        return FALSE;
    return TRUE;
}

static RmqCommand *
register_broker(RmqNamesrvProcessor *p, gpointer channel, const RmqCommand *req, gint64 now_ms)
{
    RmqCommand *resp = NULL;
    RmqBrokerIdentity id;
    if (!broker_identity(req, &resp, TRUE, channel, &id))
        return resp;
    /* Java 4.9 takes any id; a negative one is no master (0) nor slave (> 0). */
    if (id.broker_id < 0) {
        g_autofree gchar *msg = g_strdup_printf(
            "brokerId[%" G_GINT64_FORMAT "] is illegal, it must be 0 (master) or positive (slave)",
            id.broker_id);
        return reply(req, RMQ_RESPONSE_SYSTEM_ERROR, msg);
    }

    gsize len = 0;
    const guint8 *data = req->body != NULL ? g_bytes_get_data(req->body, &len) : NULL;
    gint64 crc = 0;
    if (rmq_command_get_ext_int64(req, "bodyCrc32", &crc) && crc != 0) {
        gint32 actual = rmq_register_body_crc32(data, len);
        if ((gint64) actual != crc) {
            g_autofree gchar *note = NULL;
            AB(id_broker_name_ab, id.broker_name);
            AB(id_broker_addr_ab, id.broker_addr);
            if (peer_warning_allowed(id_broker_addr_ab, &note))
                g_warning("broker %s (%s): register body crc32 %d does not match header %"
                          G_GINT64_FORMAT "%s",
                          id_broker_name_ab, id_broker_addr_ab, actual, crc, note);
            return reply(req, RMQ_RESPONSE_SYSTEM_ERROR, "crc32 not match");
        }
    }
    g_autoptr(GError) error = NULL;
    gboolean compressed = rmq_command_get_ext_bool(req, "compressed", FALSE);
    g_autoptr(RmqRegisterBody) body = rmq_register_body_parse(data, len, compressed, &error);
    if (body == NULL) {
        g_autofree gchar *note = NULL;
        AB(id_broker_name_ab, id.broker_name);
        AB(id_broker_addr_ab, id.broker_addr);
        g_autofree gchar *why = rmq_abbrev(error->message, 256);
        if (peer_warning_allowed(id_broker_addr_ab, &note))
            g_warning("broker %s (%s): bad register body: %s%s", id_broker_name_ab,
                      id_broker_addr_ab, why, note);
        return reply(req, RMQ_RESPONSE_SYSTEM_ERROR, error->message);
    }

    RmqRegisterResult result;
    rmq_route_table_register(p->routes, &id, body, now_ms, &result);
    if (result.first_registration) {
        rmq_log_event(G_LOG_LEVEL_MESSAGE, RMQ_MSGID_BROKER_REGISTERED,
                      "RMQ_BROKER", id.broker_name, "RMQ_CLUSTER", id.cluster_name,
                      "RMQ_BROKER_ADDR", id.broker_addr,
                      "MESSAGE", "broker %s (%s, id %" G_GINT64_FORMAT ", cluster %s) registered "
                                 "with %u topics",
                      id.broker_name, id.broker_addr, id.broker_id, id.cluster_name,
                      body->topics->len);
    }
    resp = reply(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_ext_present(resp, TRUE);
    if (result.master_addr != NULL) {
        if (result.ha_server_addr != NULL)
            rmq_command_set_ext(resp, "haServerAddr", result.ha_server_addr);
        rmq_command_set_ext(resp, "masterAddr", result.master_addr);
    }
    rmq_register_result_clear(&result);
    g_autoptr(GBytes) order = rmq_kvconfig_get_table(p->kv, RMQ_KV_NAMESPACE_ORDER_TOPIC_CONFIG);
    if (order != NULL)
        rmq_command_set_body(resp, order);
    return resp;
}

void
rmq_namesrv_log_removal(const RmqBrokerRemoval *r, const gchar *why)
{
    const gchar *name = r->broker_name != NULL ? r->broker_name : "";
    const gchar *cluster = r->cluster_name != NULL ? r->cluster_name : "";
    const gchar *msgid = g_str_equal(why, "unregistered") ? RMQ_MSGID_BROKER_UNREGISTERED
                                                          : RMQ_MSGID_BROKER_EXPIRED;
    rmq_log_event(G_LOG_LEVEL_MESSAGE, msgid, "RMQ_BROKER", name, "RMQ_CLUSTER", cluster,
                  "RMQ_BROKER_ADDR", r->broker_addr,
                  "MESSAGE", "broker %s (%s, cluster %s) %s%s", name, r->broker_addr, cluster,
                  why, r->broker_name_removed ? "; its queues left every route" : "");
}

static RmqCommand *
unregister_broker(RmqNamesrvProcessor *p, const RmqCommand *req)
{
    RmqCommand *resp = NULL;
    RmqBrokerIdentity id;
    if (!broker_identity(req, &resp, FALSE, NULL, &id))
        return resp;
    g_autoptr(RmqBrokerRemoval) r = rmq_route_table_unregister(p->routes, &id);
    if (r != NULL)
        rmq_namesrv_log_removal(r, "unregistered");
    return reply(req, RMQ_RESPONSE_SUCCESS, NULL);
}

static RmqCommand *
get_route(RmqNamesrvProcessor *p, const RmqCommand *req)
{
    RmqCommand *resp = NULL;
    const gchar *topic;
    if (!need(req, &resp, "topic", &topic))
        return resp;
    const gchar *order = NULL;
    if (p->order_message_enable)
        order = rmq_kvconfig_get(p->kv, RMQ_KV_NAMESPACE_ORDER_TOPIC_CONFIG, topic);
    g_autoptr(GBytes) route = rmq_route_table_get_route(p->routes, topic, order);
    if (route == NULL) {
        AB(topic_ab, topic);
        g_autofree gchar *msg =
            g_strdup_printf("No topic route info in name server for the topic: %s", topic_ab);
        return reply(req, RMQ_RESPONSE_TOPIC_NOT_EXIST, msg);
    }
    return reply_body(req, route);
}

static RmqCommand *
write_perm(RmqNamesrvProcessor *p, const RmqCommand *req, gboolean wipe)
{
    RmqCommand *resp = NULL;
    const gchar *name;
    if (!need(req, &resp, "brokerName", &name))
        return resp;
    gint n = wipe ? rmq_route_table_wipe_write_perm(p->routes, name)
                  : rmq_route_table_add_write_perm(p->routes, name);
    AB(name_ab, name);
    g_message("%s write permission of broker %s on %d topics", wipe ? "wiped" : "restored",
              name_ab, n);
    resp = reply(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_ext_present(resp, TRUE);
    rmq_command_set_ext_int64(resp, wipe ? "wipeTopicCount" : "addTopicCount", n);
    return resp;
}

static RmqCommand *
delete_topic(RmqNamesrvProcessor *p, const RmqCommand *req)
{
    RmqCommand *resp = NULL;
    const gchar *topic;
    if (!need(req, &resp, "topic", &topic))
        return resp;
    const gchar *cluster = rmq_command_get_ext(req, "clusterName");
    if (rmq_route_table_delete_topic(p->routes, topic, cluster)) {
        AB(topic_ab, topic);
        AB(cluster_ab, cluster);
        g_message("topic %s deleted%s%s", topic_ab, cluster != NULL ? " from cluster " : "",
                  cluster != NULL ? cluster_ab : "");
    }
    return reply(req, RMQ_RESPONSE_SUCCESS, NULL);
}

static RmqCommand *
topics_by_cluster(RmqNamesrvProcessor *p, const RmqCommand *req)
{
    RmqCommand *resp = NULL;
    const gchar *cluster;
    if (!need(req, &resp, "cluster", &cluster))
        return resp;
    g_autoptr(GBytes) body = rmq_route_table_get_topics_by_cluster(p->routes, cluster);
    return reply_body(req, body);
}

static RmqCommand *
query_data_version(RmqNamesrvProcessor *p, gpointer channel, const RmqCommand *req,
                   gint64 now_ms)
{
    RmqCommand *resp = NULL;
    RmqBrokerIdentity id;
    if (!broker_identity(req, &resp, FALSE, channel, &id))
        return resp;
    RmqDataVersion dv = { 0, 0 };
    gsize len = 0;
    const guint8 *data = req->body != NULL ? g_bytes_get_data(req->body, &len) : NULL;
    g_autoptr(GError) error = NULL;
    if (data == NULL || len == 0 || !rmq_data_version_parse(data, len, &dv, &error))
        return reply(req, RMQ_RESPONSE_SYSTEM_ERROR,
                     error != NULL ? error->message : "DataVersion body missing");
    RmqDataVersion stored;
    gboolean has = FALSE;
    gboolean changed = rmq_route_table_query_data_version(p->routes, id.broker_addr, &dv, now_ms,
                                                          &stored, &has);
    resp = reply(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_ext_present(resp, TRUE);
    rmq_command_set_ext_bool(resp, "changed", changed);
    if (has) {
        g_autofree gchar *json = rmq_data_version_to_json(&stored);
        rmq_command_set_body_data(resp, json, strlen(json));
    }
    return resp;
}

/* UPDATE_NAMESRV_CONFIG: Java properties text. Only orderMessageEnable
 * changes behaviour at run time here; every key is echoed by GET_NAMESRV_CONFIG. */
static RmqCommand *
update_config(RmqNamesrvProcessor *p, const RmqCommand *req)
{
    gsize len = 0;
    const gchar *data = req->body != NULL ? g_bytes_get_data(req->body, &len) : NULL;
    if (data == NULL || len == 0)
        return reply(req, RMQ_RESPONSE_SUCCESS, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) props = rmq_properties_parse(data, (gssize) len, NULL, &error);
    if (props == NULL)
        return reply(req, RMQ_RESPONSE_SYSTEM_ERROR, "string2Properties error");
    for (guint i = 0; i < props->len; i++) {
        const RmqProperty *prop = g_ptr_array_index(props, i);
        if (g_strv_contains(config_black_list, prop->key))
            return reply(req, RMQ_RESPONSE_NO_PERMISSION, "Can not update config in black list.");
    }
    for (guint i = 0; i < props->len; i++) {
        const RmqProperty *prop = g_ptr_array_index(props, i);
        if (g_str_equal(prop->key, "orderMessageEnable"))
            p->order_message_enable = g_ascii_strcasecmp(g_strstrip(prop->value), "true") == 0;
        g_hash_table_replace(p->config_overrides, g_strdup(prop->key), g_strdup(prop->value));
        g_autofree gchar *k = rmq_abbrev(prop->key, RMQ_ABBREV_DEFAULT);
        g_autofree gchar *v = rmq_abbrev(prop->value, RMQ_ABBREV_DEFAULT);
        g_message("name server config %s updated to '%s' by request", k, v);
    }
    return reply(req, RMQ_RESPONSE_SUCCESS, NULL);
}

static void
put_prop(GString *out, GHashTable *overrides, const gchar *key, const gchar *value)
{
    if (g_hash_table_contains(overrides, key))
        return; /* written from the overrides */
    g_string_append_printf(out, "%s=%s\n", key, value != NULL ? value : "");
}

static RmqCommand *
get_config(RmqNamesrvProcessor *p, const RmqCommand *req)
{
    g_autoptr(GString) out = g_string_new(NULL);
    GHashTable *ov = p->config_overrides;
    const RmqConfig *c = p->config;
    /* every name server key of the table (common/config-keys.c) */
    for (guint i = 0; c != NULL && i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        if (key->type == RMQ_CONFIG_KEY_JAVA || !(key->scope & RMQ_CONFIG_NAMESRV) ||
            g_str_equal(key->name, "orderMessageEnable"))
            continue;
        g_autofree gchar *v = rmq_config_key_value_text(key, c, key->offset);
        put_prop(out, ov, key->name, v);
    }
    /* changed at run time by UPDATE_NAMESRV_CONFIG */
    put_prop(out, ov, "orderMessageEnable", p->order_message_enable ? "true" : "false");
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, ov);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_string_append_printf(out, "%s=%s\n", (const gchar *) k, (const gchar *) v);
    RmqCommand *resp = reply(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_body_data(resp, out->str, out->len);
    return resp;
}

RmqCommand *
rmq_namesrv_processor_handle(RmqNamesrvProcessor *p, gpointer channel, const RmqCommand *req,
                             gint64 now_ms)
{
    g_autoptr(GBytes) body = NULL;
    switch (req->code) {
    case RMQ_REQUEST_PUT_KV_CONFIG:
        return put_kv_config(p, req);
    case RMQ_REQUEST_GET_KV_CONFIG:
        return get_kv_config(p, req);
    case RMQ_REQUEST_DELETE_KV_CONFIG:
        return delete_kv_config(p, req);
    case RMQ_REQUEST_GET_KVLIST_BY_NAMESPACE:
        return get_kvlist(p, req);
    case RMQ_REQUEST_REGISTER_BROKER:
        return register_broker(p, channel, req, now_ms);
    case RMQ_REQUEST_UNREGISTER_BROKER:
        return unregister_broker(p, req);
    case RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC:
        return get_route(p, req);
    case RMQ_REQUEST_GET_BROKER_CLUSTER_INFO:
        body = rmq_route_table_get_cluster_info(p->routes);
        return reply_body(req, body);
    case RMQ_REQUEST_WIPE_WRITE_PERM_OF_BROKER:
        return write_perm(p, req, TRUE);
    case RMQ_REQUEST_ADD_WRITE_PERM_OF_BROKER:
        return write_perm(p, req, FALSE);
    case RMQ_REQUEST_GET_ALL_TOPIC_LIST_FROM_NAMESERVER:
        body = rmq_route_table_get_all_topics(p->routes);
        return reply_body(req, body);
    case RMQ_REQUEST_DELETE_TOPIC_IN_NAMESRV:
        return delete_topic(p, req);
    case RMQ_REQUEST_GET_TOPICS_BY_CLUSTER:
        return topics_by_cluster(p, req);
    case RMQ_REQUEST_GET_SYSTEM_TOPIC_LIST_FROM_NS:
        body = rmq_route_table_get_system_topics(p->routes);
        return reply_body(req, body);
    case RMQ_REQUEST_GET_UNIT_TOPIC_LIST:
        body = rmq_route_table_get_unit_topics(p->routes, RMQ_ROUTE_UNIT_TOPICS);
        return reply_body(req, body);
    case RMQ_REQUEST_GET_HAS_UNIT_SUB_TOPIC_LIST:
        body = rmq_route_table_get_unit_topics(p->routes, RMQ_ROUTE_HAS_UNIT_SUB_TOPICS);
        return reply_body(req, body);
    case RMQ_REQUEST_GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST:
        body = rmq_route_table_get_unit_topics(p->routes, RMQ_ROUTE_HAS_UNIT_SUB_UNUNIT_TOPICS);
        return reply_body(req, body);
    case RMQ_REQUEST_UPDATE_NAMESRV_CONFIG:
        return update_config(p, req);
    case RMQ_REQUEST_GET_NAMESRV_CONFIG:
        return get_config(p, req);
    case RMQ_REQUEST_QUERY_DATA_VERSION:
        return query_data_version(p, channel, req, now_ms);
    default: {
        g_autofree gchar *msg = g_strdup_printf(" request type %d not supported", req->code);
        return reply(req, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED, msg);
    }
    }
}
