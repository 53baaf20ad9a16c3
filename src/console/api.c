/* The JSON API under /api/ (README "rmq-console"): each handler runs in a
 * worker thread with its own RmqAdmin and returns a JSON document, or an
 * error whose code is the HTTP status (RMQ_CONSOLE_ERROR) or a client error
 * (RMQ_MQ_ERROR, mapped by rmq_console_http_status()). */
#include <config.h>

#include "console/console.h"
#include "console/acl.h"

#include <stdlib.h>
#include <string.h>

#include "client/internal.h"
#include "remoting/codes.h"
#include "remoting/json_body.h"
#include "store/message_format.h"

G_DEFINE_QUARK(rmq-console-error-quark, rmq_console_error)

/* The group the console pulls with when it browses messages: one RocketMQ
 * creates on every broker, so browsing creates nothing. */
#define TOOLS_GROUP "TOOLS_CONSUMER"
#define MAX_BROWSE 64

/* ---------------------------------------------------------------- helpers */

gboolean
rmq_console_valid_name(const gchar *name, gsize max_len)
{
    if (name == NULL || *name == '\0' || strlen(name) > max_len)
        return FALSE;
    for (const gchar *p = name; *p != '\0'; p++)
        if (!g_ascii_isalnum(*p) && strchr("_%|-", *p) == NULL)
            return FALSE;
    return TRUE;
}

gboolean
rmq_console_parse_time(const gchar *text, gint64 *ms)
{
    if (text == NULL || *text == '\0')
        return FALSE;
    gchar *end = NULL;
    gint64 v = g_ascii_strtoll(text, &end, 10);
    if (end != text && *end == '\0' && v >= 0) {
        *ms = v;
        return TRUE;
    }
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(text, NULL);
    if (dt == NULL) {
        /* <input type="datetime-local"> sends local time without a zone */
        g_autoptr(GTimeZone) local = g_time_zone_new_local();
        dt = g_date_time_new_from_iso8601(text, local);
    }
    if (dt == NULL)
        return FALSE;
    *ms = g_date_time_to_unix(dt) * 1000 + g_date_time_get_microsecond(dt) / 1000;
    return TRUE;
}

gboolean
rmq_console_param_int(GHashTable *params, const gchar *name, gint64 lo, gint64 hi, gint64 dflt,
                      gint64 *out, GError **error)
{
    const gchar *v = g_hash_table_lookup(params, name);
    if (v == NULL || *v == '\0') {
        if (dflt < lo) {
            g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                        "%s is required", name);
            return FALSE;
        }
        *out = dflt;
        return TRUE;
    }
    gchar *end = NULL;
    gint64 n = g_ascii_strtoll(v, &end, 10);
    if (end == v || *end != '\0' || n < lo || n > hi) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "%s must be an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                    name, lo, hi);
        return FALSE;
    }
    *out = n;
    return TRUE;
}

static const gchar *
param_name(RmqConsoleCall *call, const gchar *name, gsize max_len, gboolean required,
           GError **error)
{
    const gchar *v = g_hash_table_lookup(call->params, name);
    if (v == NULL || *v == '\0') {
        if (required)
            g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                        "%s is required", name);
        return NULL;
    }
    if (!rmq_console_valid_name(v, max_len)) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "%s: only letters, digits and _ - %% | are allowed, 1 to %" G_GSIZE_FORMAT
                    " characters",
                    name, max_len);
        return NULL;
    }
    return v;
}

/* The required topic and group parameters, with RocketMQ's longest names
 * (127 characters for a topic, 255 for a group). */
static const gchar *
param_topic(RmqConsoleCall *call, GError **error)
{
    return param_name(call, "topic", 127, TRUE, error);
}

static const gchar *
param_group(RmqConsoleCall *call, GError **error)
{
    return param_name(call, "group", 255, TRUE, error);
}

/* An optional name: FALSE (with @error set) only when it is given and not
 * valid; *@out is NULL when it is not given. */
static gboolean
param_name_opt(RmqConsoleCall *call, const gchar *name, gsize max_len, const gchar **out,
               GError **error)
{
    GError *local = NULL;
    *out = param_name(call, name, max_len, FALSE, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return FALSE;
    }
    return TRUE;
}

static gboolean
param_bool(RmqConsoleCall *call, const gchar *name, gboolean dflt, gboolean *out, GError **error)
{
    const gchar *v = g_hash_table_lookup(call->params, name);
    if (v == NULL || *v == '\0')
        *out = dflt;
    else if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "on") == 0)
        *out = TRUE;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "off") == 0)
        *out = FALSE;
    else {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "%s must be true or false", name);
        return FALSE;
    }
    return TRUE;
}

static gboolean
param_time(RmqConsoleCall *call, const gchar *name, gint64 dflt, gint64 *out, GError **error)
{
    const gchar *v = g_hash_table_lookup(call->params, name);
    if (v == NULL || *v == '\0') {
        if (dflt < 0) {
            g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                        "%s is required", name);
            return FALSE;
        }
        *out = dflt;
        return TRUE;
    }
    if (!rmq_console_parse_time(v, out)) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "%s must be milliseconds since the epoch or an ISO 8601 time", name);
        return FALSE;
    }
    return TRUE;
}

/* "begin" and "end" as times (their defaults when not given); end must not
 * be before begin. */
static gboolean
param_time_range(RmqConsoleCall *call, gint64 dflt_begin, gint64 dflt_end, gint64 *begin,
                 gint64 *end, GError **error)
{
    if (!param_time(call, "begin", dflt_begin, begin, error) ||
        !param_time(call, "end", dflt_end, end, error))
        return FALSE;
    if (*end < *begin) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "end must not be before begin");
        return FALSE;
    }
    return TRUE;
}

guint
rmq_console_http_status(const GError *error)
{
    if (error == NULL)
        return 500;
    if (error->domain == RMQ_CONSOLE_ERROR)
        return (guint) error->code;
    if (error->domain == RMQ_MQ_ERROR) {
        switch ((RmqMqError) error->code) {
        case RMQ_MQ_ERROR_TOPIC_NOT_EXIST:
        case RMQ_MQ_ERROR_NOT_FOUND:
            return 404;
        case RMQ_MQ_ERROR_ILLEGAL:
            return 400;
        case RMQ_MQ_ERROR_TIMEOUT:
            return 504;
        default:
            return 502;
        }
    }
    return 500;
}

const gchar *
rmq_console_pick_lang(const gchar *accept_language)
{
    if (accept_language == NULL)
        return "en";
    g_auto(GStrv) items = g_strsplit(accept_language, ",", 32);
    gdouble best_q = -1;
    const gchar *best = "en";
    for (guint i = 0; items[i]; i++) {
        gchar *item = g_strstrip(items[i]);
        gdouble q = 1;
        gchar *semi = strchr(item, ';');
        if (semi != NULL) {
            *semi = '\0';
            gchar *qp = strstr(semi + 1, "q=");
            if (qp != NULL)
                q = g_ascii_strtod(qp + 2, NULL);
            g_strstrip(item);
        }
        const gchar *lang = NULL;
        if (g_ascii_strncasecmp(item, "zh", 2) == 0 && (item[2] == '\0' || item[2] == '-'))
            lang = "zh-CN";
        else if (g_ascii_strncasecmp(item, "en", 2) == 0 && (item[2] == '\0' || item[2] == '-'))
            lang = "en";
        /* the first of equal weights wins, as the header lists them by preference */
        if (lang != NULL && q > 0 && q > best_q) {
            best_q = q;
            best = lang;
        }
    }
    return best;
}

gchar *
rmq_console_error_field(const gchar *reason)
{
    if (reason == NULL)
        return NULL;
    gsize n = 0;
    while (g_ascii_isalpha(reason[n]))
        n++;
    if (n == 0 || (reason[n] != ':' && reason[n] != ' '))
        return NULL;
    return g_strndup(reason, n);
}

static JsonNode *
ok_node(void)
{
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "ok", TRUE);
    return rmq_json_node_take_object(o);
}

/* {@key: @name, brokers: @brokers}, the reply of a change made on brokers. */
static JsonNode *
brokers_reply(const gchar *key, const gchar *name, JsonArray *brokers)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, key, name);
    json_object_set_array_member(o, "brokers", brokers);
    return rmq_json_node_take_object(o);
}

/* The put TPS the console last measured for @topic (0 when none). */
static gdouble
topic_put_tps(RmqConsoleCall *call, const gchar *topic)
{
    gdouble *tps = call->topic_tps ? g_hash_table_lookup(call->topic_tps, topic) : NULL;
    return tps ? *tps : 0;
}

gboolean
rmq_console_topic_is_system(const gchar *t)
{
    static const gchar *const names[] = { "TBW102", "SCHEDULE_TOPIC_XXXX", "SELF_TEST_TOPIC",
                                          "OFFSET_MOVED_EVENT", "BenchmarkTest",
                                          "TRANS_CHECK_MAX_TIME_TOPIC", "RMQ_SYS_TRANS_HALF_TOPIC",
                                          "RMQ_SYS_TRANS_OP_HALF_TOPIC", "RMQ_SYS_TRACE_TOPIC",
                                          NULL };
    if (g_str_has_prefix(t, "%RETRY%") || g_str_has_prefix(t, "%DLQ%") ||
        g_str_has_prefix(t, "rmq_sys_"))
        return TRUE;
    return g_strv_contains(names, t);
}

static gboolean
system_group(const gchar *g)
{
    static const gchar *const names[] = { "TOOLS_CONSUMER", "FILTERSRV_CONSUMER",
                                          "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY",
                                          "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER",
                                          "CID_ONSAPI_PULL", "CID_RMQ_SYS_TRANS", NULL };
    return g_strv_contains(names, g);
}

/* Parse "a b c" of runtime TPS into its first figure. */
static gdouble
first_number(JsonObject *o, const gchar *key)
{
    const gchar *s = o && json_object_has_member(o, key) ? json_object_get_string_member(o, key)
                                                         : NULL;
    return s ? g_ascii_strtod(s, NULL) : 0;
}

/* ---------------------------------------------------------------- cluster */

void
rmq_console_slave_lag(JsonArray *brokers)
{
    for (guint i = 0; i < json_array_get_length(brokers); i++) {
        JsonObject *s = json_array_get_object_element(brokers, i);
        if (json_object_get_int_member_with_default(s, "brokerId", 0) == 0 ||
            !json_object_get_boolean_member_with_default(s, "up", FALSE))
            continue;
        const gchar *name = json_object_get_string_member_with_default(s, "brokerName", "");
        for (guint k = 0; k < json_array_get_length(brokers); k++) {
            JsonObject *m = json_array_get_object_element(brokers, k);
            if (json_object_get_int_member_with_default(m, "brokerId", -1) != 0 ||
                !json_object_get_boolean_member_with_default(m, "up", FALSE) ||
                g_strcmp0(json_object_get_string_member_with_default(m, "brokerName", ""),
                          name) != 0)
                continue;
            gint64 mo = json_object_get_int_member_with_default(m, "commitLogMaxOffset", 0);
            gint64 so = json_object_get_int_member_with_default(s, "commitLogMaxOffset", 0);
            json_object_set_int_member(s, "masterOffset", mo);
            json_object_set_int_member(s, "slaveLag", MAX(mo - so, 0));
            json_object_set_string_member(
                s, "masterAddr", json_object_get_string_member_with_default(m, "addr", ""));
        }
    }
}

JsonNode *
rmq_console_cluster_brokers(RmqAdmin *admin, GError **error)
{
    g_autoptr(JsonNode) info = rmq_admin_cluster_info(admin, error);
    if (info == NULL)
        return NULL;
    JsonObject *brokers = json_object_get_object_member(json_node_get_object(info), "brokers");
    JsonArray *out = json_array_new();
    g_autoptr(GList) names = json_object_get_members(brokers);
    names = g_list_sort(names, (GCompareFunc) g_strcmp0);
    for (GList *l = names; l; l = l->next) {
        JsonObject *b = json_object_get_object_member(brokers, l->data);
        JsonObject *addrs = json_object_get_object_member(b, "addrs");
        g_autoptr(GList) ids = json_object_get_members(addrs);
        ids = g_list_sort(ids, (GCompareFunc) g_strcmp0);
        for (GList *k = ids; k; k = k->next) {
            const gchar *addr = json_object_get_string_member(addrs, k->data);
            JsonObject *row = json_object_new();
            json_object_set_string_member(row, "cluster", json_object_get_string_member(b, "cluster"));
            json_object_set_string_member(row, "brokerName", l->data);
            json_object_set_int_member(row, "brokerId", g_ascii_strtoll(k->data, NULL, 10));
            json_object_set_string_member(row, "addr", addr);
            g_autoptr(GError) local = NULL;
            g_autoptr(JsonNode) rt = rmq_admin_broker_runtime(admin, addr, &local);
            JsonObject *t = rt && JSON_NODE_HOLDS_OBJECT(rt) ? json_node_get_object(rt) : NULL;
            json_object_set_boolean_member(row, "up", t != NULL);
            /* the role as the broker is configured (ASYNC_MASTER, SYNC_MASTER, SLAVE);
             * by its id when the configuration cannot be read */
            const gchar *dflt_role = strcmp(k->data, "0") == 0 ? "MASTER" : "SLAVE";
            if (t != NULL) {
                g_autoptr(JsonNode) cfg = rmq_admin_broker_config(admin, addr, NULL);
                JsonObject *co =
                    cfg && JSON_NODE_HOLDS_OBJECT(cfg) ? json_node_get_object(cfg) : NULL;
                const gchar *role =
                    co ? json_object_get_string_member_with_default(co, "brokerRole", NULL)
                       : NULL;
                json_object_set_string_member(row, "role", role ? role : dflt_role);
                json_object_set_string_member(
                    row, "version", json_object_has_member(t, "brokerVersionDesc")
                                        ? json_object_get_string_member(t, "brokerVersionDesc")
                                        : "");
                json_object_set_double_member(row, "putTps", first_number(t, "putTps"));
                json_object_set_double_member(row, "getTps", first_number(t, "getTransferedTps"));
                json_object_set_double_member(row, "diskRatio",
                                              first_number(t, "commitLogDiskRatio"));
                json_object_set_int_member(
                    row, "putTotal", (gint64) first_number(t, "msgPutTotalTodayNow"));
                json_object_set_int_member(
                    row, "getTotal", (gint64) first_number(t, "msgGetTotalTodayNow"));
                json_object_set_int_member(
                    row, "commitLogMaxOffset", (gint64) first_number(t, "commitLogMaxOffset"));
                /* the broker's refusedRequests_<CODE> counters (docs/protocol.md §3.3) */
                JsonObject *refused = json_object_new();
                g_autoptr(GList) members = json_object_get_members(t);
                for (GList *n = members; n != NULL; n = n->next)
                    if (g_str_has_prefix(n->data, "refusedRequests_"))
                        json_object_set_int_member(refused,
                                                   (const gchar *) n->data + strlen("refusedRequests_"),
                                                   (gint64) first_number(t, n->data));
                json_object_set_object_member(row, "refused", refused);
            } else {
                json_object_set_string_member(row, "role", dflt_role);
                json_object_set_string_member(row, "error", local ? local->message : "no answer");
            }
            json_array_add_object_element(out, row);
        }
    }
    rmq_console_slave_lag(out);
    return rmq_json_node_take_array(out);
}

/* GET_BROKER_RUNTIME_INFO and GET_BROKER_CONFIG of one broker the name
 * servers list (any other address is refused: the console talks to the
 * cluster only). */
static JsonNode *
api_broker(RmqConsoleCall *call, GError **error)
{
    const gchar *addr = g_hash_table_lookup(call->params, "addr");
    if (addr == NULL || *addr == '\0') {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST, "addr is required");
        return NULL;
    }
    g_autoptr(JsonNode) list = rmq_console_cluster_brokers(call->admin, error);
    if (list == NULL)
        return NULL;
    JsonArray *a = json_node_get_array(list);
    JsonObject *row = NULL;
    for (guint i = 0; i < json_array_get_length(a) && row == NULL; i++) {
        JsonObject *b = json_array_get_object_element(a, i);
        if (g_strcmp0(json_object_get_string_member(b, "addr"), addr) == 0)
            row = b;
    }
    if (row == NULL) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND,
                    "no broker at %.64s in the cluster", addr);
        return NULL;
    }
    g_autoptr(JsonNode) rt = rmq_admin_broker_runtime(call->admin, addr, error);
    if (rt == NULL)
        return NULL;
    g_autoptr(JsonNode) cfg = rmq_admin_broker_config(call->admin, addr, error);
    if (cfg == NULL)
        return NULL;
    JsonObject *o = json_object_new();
    json_object_set_member(o, "broker", json_node_init_object(json_node_alloc(), row));
    json_object_set_member(o, "runtime", g_steal_pointer(&rt));
    json_object_set_member(o, "config", g_steal_pointer(&cfg));
    return rmq_json_node_take_object(o);
}

static JsonNode *
api_cluster(RmqConsoleCall *call, GError **error)
{
    g_autoptr(JsonNode) info = rmq_admin_cluster_info(call->admin, error);
    if (info == NULL)
        return NULL;
    JsonNode *brokers = rmq_console_cluster_brokers(call->admin, error);
    if (brokers == NULL)
        return NULL;
    JsonObject *o = json_object_new();
    json_object_set_member(o, "clusters",
                           json_node_copy(json_object_get_member(json_node_get_object(info),
                                                                 "clusters")));
    json_object_set_member(o, "brokers", brokers);
    json_object_set_string_member(o, "namesrvAddr", call->namesrv);
    return rmq_json_node_take_object(o);
}

/* ----------------------------------------------------------------- topics */

static JsonNode *
api_topics(RmqConsoleCall *call, GError **error)
{
    g_autoptr(JsonNode) list = rmq_admin_topic_list(call->admin, error);
    if (list == NULL)
        return NULL;
    /* every cluster and broker name is also a topic (for auto-creation) */
    g_autoptr(JsonNode) info = rmq_admin_cluster_info(call->admin, NULL);
    JsonObject *io = info ? json_node_get_object(info) : NULL;
    JsonArray *in = json_node_get_array(list);
    JsonArray *out = json_array_new();
    for (guint i = 0; i < json_array_get_length(in); i++) {
        const gchar *t = json_array_get_string_element(in, i);
        gboolean sys = rmq_console_topic_is_system(t) || g_str_has_suffix(t, "_REPLY_TOPIC");
        if (io != NULL)
            sys = sys || json_object_has_member(json_object_get_object_member(io, "clusters"), t) ||
                  json_object_has_member(json_object_get_object_member(io, "brokers"), t);
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "topic", t);
        json_object_set_boolean_member(row, "system", sys);
        json_object_set_double_member(row, "putTps", topic_put_tps(call, t));
        json_array_add_object_element(out, row);
    }
    JsonObject *o = json_object_new();
    json_object_set_array_member(o, "topics", out);
    return rmq_json_node_take_object(o);
}

/* @topic's TopicConfig on each master of @route (GET_ALL_TOPIC_CONFIG, the
 * broker's topicConfigTable): {brokerName, readQueueNums, writeQueueNums,
 * perm, order}, or {brokerName, error} for a broker that did not answer. */
static JsonArray *
topic_configs(RmqConsoleCall *call, JsonNode *route, const gchar *topic)
{
    g_auto(GStrv) names = NULL;
    g_auto(GStrv) masters = rmq_console_route_masters(route, &names);
    JsonArray *out = json_array_new();
    for (guint i = 0; masters[i]; i++) {
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "brokerName", names[i]);
        json_array_add_object_element(out, row);
        g_autoptr(GError) e = NULL;
        g_autoptr(GBytes) body = rmq_admin_invoke(call->admin, masters[i],
                                                  RMQ_REQUEST_GET_ALL_TOPIC_CONFIG, NULL, NULL,
                                                  &e, NULL);
        g_autoptr(JsonParser) p = json_parser_new();
        gsize len = 0;
        const gchar *data = body ? g_bytes_get_data(body, &len) : NULL;
        if (body == NULL || !json_parser_load_from_data(p, data, (gssize) len, &e)) {
            json_object_set_string_member(row, "error", e ? e->message : "no answer");
            continue;
        }
        JsonNode *root = json_parser_get_root(p);
        JsonObject *tables = rmq_json_object_get_object_or_null(
            root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL,
            "topicConfigTable");
        JsonObject *tc = rmq_json_object_get_object_or_null(tables, topic);
        if (tc == NULL) {
            json_object_set_string_member(row, "error", "the broker has no config for the topic");
            continue;
        }
        static const gchar *const ints[] = { "readQueueNums", "writeQueueNums", "perm" };
        for (guint k = 0; k < G_N_ELEMENTS(ints); k++)
            json_object_set_int_member(row, ints[k],
                                       rmq_json_object_get_int64_or(tc, ints[k], 0));
        json_object_set_boolean_member(row, "order", rmq_json_object_get_bool_or(tc, "order", FALSE));
    }
    return out;
}

static JsonNode *
api_topic(RmqConsoleCall *call, GError **error)
{
    const gchar *topic = param_topic(call, error);
    if (topic == NULL)
        return NULL;
    g_autoptr(JsonNode) route = rmq_admin_topic_route(call->admin, topic, error);
    if (route == NULL)
        return NULL;
    g_autoptr(JsonNode) status = rmq_admin_topic_status(call->admin, topic, error);
    if (status == NULL)
        return NULL;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "topic", topic);
    json_object_set_array_member(o, "configs", topic_configs(call, route, topic));
    json_object_set_member(o, "route", g_steal_pointer(&route));
    json_object_set_member(o, "queues", g_steal_pointer(&status));
    json_object_set_double_member(o, "putTps", topic_put_tps(call, topic));
    return rmq_json_node_take_object(o);
}

static JsonNode *
api_topic_update(RmqConsoleCall *call, GError **error)
{
    const gchar *topic = param_topic(call, error);
    if (topic == NULL)
        return NULL;
    if (rmq_console_topic_is_system(topic)) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "topic: %s is a system topic", topic);
        return NULL;
    }
    const gchar *cluster;
    if (!param_name_opt(call, "cluster", 127, &cluster, error))
        return NULL;
    RmqTopicSpec spec;
    rmq_topic_spec_init(&spec);
    gint64 r, w, perm;
    if (!rmq_console_param_int(call->params, "readQueueNums", 1, 1024, spec.read_queue_nums, &r,
                               error) ||
        !rmq_console_param_int(call->params, "writeQueueNums", 1, 1024, spec.write_queue_nums, &w,
                               error) ||
        !rmq_console_param_int(call->params, "perm", 0, 7, spec.perm, &perm, error) ||
        !param_bool(call, "order", FALSE, &spec.order, error))
        return NULL;
    if (perm != 2 && perm != 4 && perm != 6) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "perm must be 2 (write), 4 (read) or 6 (read and write)");
        return NULL;
    }
    spec.read_queue_nums = (gint) r;
    spec.write_queue_nums = (gint) w;
    spec.perm = (gint) perm;
    g_auto(GStrv) masters = rmq_admin_cluster_masters(call->admin, cluster, error);
    if (masters == NULL)
        return NULL;
    if (masters[0] == NULL) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND,
                    "no master broker%s%s", cluster ? " in cluster " : "", cluster ? cluster : "");
        return NULL;
    }
    JsonArray *done = json_array_new();
    for (guint i = 0; masters[i]; i++) {
        if (!rmq_admin_update_topic(call->admin, masters[i], topic, &spec, error)) {
            json_array_unref(done);
            return NULL;
        }
        json_array_add_string_element(done, masters[i]);
    }
    return brokers_reply("topic", topic, done);
}

static JsonNode *
api_topic_delete(RmqConsoleCall *call, GError **error)
{
    const gchar *topic = param_topic(call, error);
    if (topic == NULL)
        return NULL;
    const gchar *cluster;
    if (!param_name_opt(call, "cluster", 127, &cluster, error))
        return NULL;
    /* a topic the name server does not know is a 404, not a silent success */
    g_autoptr(JsonNode) route = rmq_admin_topic_route(call->admin, topic, error);
    if (route == NULL)
        return NULL;
    if (!rmq_admin_delete_topic(call->admin, cluster, topic, error))
        return NULL;
    return ok_node();
}

/* ----------------------------------------------------------------- groups */

static gint
cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const gchar *const *) a, *(const gchar *const *) b);
}

/* The subscriptionGroupTable of one broker (GET_ALL_SUBSCRIPTIONGROUP_CONFIG).
 * (transfer full) */
static JsonNode *
sub_group_table(RmqAdmin *admin, const gchar *addr, GError **error)
{
    g_autoptr(GBytes) body = rmq_admin_invoke(admin, addr,
                                              RMQ_REQUEST_GET_ALL_SUBSCRIPTIONGROUP_CONFIG, NULL,
                                              NULL, error, NULL);
    if (body == NULL)
        return NULL;
    g_autoptr(JsonParser) p = json_parser_new();
    gsize len;
    const gchar *data = g_bytes_get_data(body, &len);
    if (!json_parser_load_from_data(p, data, (gssize) len, error))
        return NULL;
    JsonNode *root = json_parser_get_root(p);
    JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonNode *t = o && json_object_has_member(o, "subscriptionGroupTable")
                      ? json_object_get_member(o, "subscriptionGroupTable")
                      : NULL;
    if (t == NULL || !JSON_NODE_HOLDS_OBJECT(t))
        return json_node_init_object(json_node_alloc(), json_object_new());
    return json_node_copy(t);
}

/* Names of every subscription group on every master, sorted. */
static GPtrArray *
group_names(RmqAdmin *admin, GError **error)
{
    g_auto(GStrv) masters = rmq_admin_cluster_masters(admin, NULL, error);
    if (masters == NULL)
        return NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; masters[i]; i++) {
        g_autoptr(JsonNode) t = sub_group_table(admin, masters[i], error);
        if (t == NULL)
            return NULL;
        g_autoptr(GList) keys = json_object_get_members(json_node_get_object(t));
        for (GList *l = keys; l; l = l->next)
            g_hash_table_add(seen, g_strdup(l->data));
    }
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, seen);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(out, g_strdup(k));
    g_ptr_array_sort(out, cmp_names);
    return out;
}

/* TRUE when some master has @group; otherwise a 404 in @error. */
static gboolean
group_exists(RmqConsoleCall *call, const gchar *group, GError **error)
{
    g_autoptr(GPtrArray) names = group_names(call->admin, error);
    if (names == NULL)
        return FALSE;
    if (!g_ptr_array_find_with_equal_func(names, group, g_str_equal, NULL)) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND,
                    "no consumer group %s", group);
        return FALSE;
    }
    return TRUE;
}

GPtrArray *
rmq_console_group_names(RmqAdmin *admin, GError **error)
{
    return group_names(admin, error);
}

static gint
online_members(RmqAdmin *admin, const gchar *group)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(JsonNode) c = rmq_admin_consumer_connection(admin, group, &local);
    JsonObject *o = c && JSON_NODE_HOLDS_OBJECT(c) ? json_node_get_object(c) : NULL;
    if (o == NULL || !json_object_has_member(o, "connections"))
        return 0;
    JsonNode *n = json_object_get_member(o, "connections");
    return JSON_NODE_HOLDS_ARRAY(n) ? (gint) json_array_get_length(json_node_get_array(n)) : 0;
}

/* On @row of group @g: its lag (diffTotal, null when the progress cannot
 * be read, with the reason in error), consumeTps (CONSUMER_PROGRESS over
 * @topic's brokers, NULL: every broker) and how many clients are online
 * (members). (transfer full) the progress object, or NULL. */
static JsonObject *
progress_row(RmqConsoleCall *call, JsonObject *row, const gchar *g, const gchar *topic)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(JsonNode) p = rmq_admin_consumer_progress(call->admin, g, topic, &local);
    JsonObject *po = p && JSON_NODE_HOLDS_OBJECT(p) ? json_object_ref(json_node_get_object(p)) : NULL;
    if (po != NULL) {
        json_object_set_int_member(row, "diffTotal", rmq_json_object_get_int64_or(po, "diffTotal", 0));
        json_object_set_double_member(row, "consumeTps",
                                      rmq_json_object_get_double_or(po, "consumeTps", 0));
    } else {
        json_object_set_null_member(row, "diffTotal");
        json_object_set_string_member(row, "error", local ? local->message : "no progress");
    }
    json_object_set_int_member(row, "members", online_members(call->admin, g));
    return po;
}

static JsonNode *
api_groups(RmqConsoleCall *call, GError **error)
{
    g_autoptr(GPtrArray) names = group_names(call->admin, error);
    if (names == NULL)
        return NULL;
    JsonArray *out = json_array_new();
    for (guint i = 0; i < names->len; i++) {
        const gchar *g = names->pdata[i];
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "group", g);
        json_object_set_boolean_member(row, "system", system_group(g));
        JsonObject *po = progress_row(call, row, g, NULL);
        if (po != NULL) {
            JsonArray *qs = rmq_json_object_get_array_or_null(po, "queues");
            json_object_set_int_member(row, "queues", qs ? json_array_get_length(qs) : 0);
            json_object_unref(po);
        }
        json_array_add_object_element(out, row);
    }
    JsonObject *o = json_object_new();
    json_object_set_array_member(o, "groups", out);
    return rmq_json_node_take_object(o);
}

static JsonNode *
api_group(RmqConsoleCall *call, GError **error)
{
    const gchar *group = param_group(call, error);
    if (group == NULL)
        return NULL;
    if (!group_exists(call, group, error))
        return NULL;
    g_autoptr(JsonNode) p = rmq_admin_consumer_progress(call->admin, group, NULL, error);
    if (p == NULL)
        return NULL;
    g_autoptr(GError) local = NULL;
    JsonNode *c = rmq_admin_consumer_connection(call->admin, group, &local);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "group", group);
    json_object_set_member(o, "progress", g_steal_pointer(&p));
    if (c != NULL)
        json_object_set_member(o, "connection", c);
    else
        json_object_set_null_member(o, "connection");
    return rmq_json_node_take_object(o);
}

/* Forward declaration: the reset is written with the consumer helpers below. */
static JsonArray *reset_offsets(RmqConsoleCall *call, const gchar *group, const gchar *topic,
                                gint64 ts, gboolean *online, GError **error);
static JsonNode *reset_reply(const gchar *group, const gchar *topic, gint64 ts, gboolean online,
                             JsonArray *rows);

/* Reset by time through INVOKE_BROKER_TO_RESET_OFFSET (online clients take
 * the offsets), or written directly when no client is online. */
static JsonNode *
api_group_reset(RmqConsoleCall *call, GError **error)
{
    const gchar *group = param_group(call, error);
    if (group == NULL)
        return NULL;
    const gchar *topic = param_topic(call, error);
    if (topic == NULL)
        return NULL;
    gint64 ts;
    if (!param_time(call, "timestamp", -1, &ts, error))
        return NULL;
    gboolean online = FALSE;
    JsonArray *rows = reset_offsets(call, group, topic, ts, &online, error);
    if (rows == NULL)
        return NULL;
    return reset_reply(group, topic, ts, online, rows);
}

/* Masters as [{brokerName, addr}] of every cluster. (transfer full) */
static JsonArray *
master_rows(RmqAdmin *admin, GError **error)
{
    g_autoptr(JsonNode) info = rmq_admin_cluster_info(admin, error);
    if (info == NULL)
        return NULL;
    JsonObject *brokers = json_object_get_object_member(json_node_get_object(info), "brokers");
    JsonArray *out = json_array_new();
    g_autoptr(GList) names = json_object_get_members(brokers);
    names = g_list_sort(names, (GCompareFunc) g_strcmp0);
    for (GList *l = names; l; l = l->next) {
        JsonObject *addrs = json_object_get_object_member(
            json_object_get_object_member(brokers, l->data), "addrs");
        if (!json_object_has_member(addrs, "0"))
            continue;
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "brokerName", l->data);
        json_object_set_string_member(row, "addr", json_object_get_string_member(addrs, "0"));
        json_array_add_object_element(out, row);
    }
    return out;
}

/* A subscription group's config on each master that has it:
 * {group, brokers:[{brokerName, addr, config}]}; 404 when none has. */
static JsonNode *
api_group_config(RmqConsoleCall *call, GError **error)
{
    const gchar *group = param_group(call, error);
    if (group == NULL)
        return NULL;
    g_autoptr(JsonArray) masters = master_rows(call->admin, error);
    if (masters == NULL)
        return NULL;
    JsonArray *out = json_array_new();
    for (guint i = 0; i < json_array_get_length(masters); i++) {
        JsonObject *m = json_array_get_object_element(masters, i);
        const gchar *addr = json_object_get_string_member(m, "addr");
        g_autoptr(JsonNode) t = sub_group_table(call->admin, addr, error);
        if (t == NULL) {
            json_array_unref(out);
            return NULL;
        }
        JsonObject *to = json_node_get_object(t);
        if (!json_object_has_member(to, group))
            continue;
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "brokerName",
                                      json_object_get_string_member(m, "brokerName"));
        json_object_set_string_member(row, "addr", addr);
        json_object_set_member(row, "config", json_node_copy(json_object_get_member(to, group)));
        json_array_add_object_element(out, row);
    }
    if (json_array_get_length(out) == 0) {
        json_array_unref(out);
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND,
                    "no consumer group %s", group);
        return NULL;
    }
    return brokers_reply("group", group, out);
}

/* UPDATE_AND_CREATE_SUBSCRIPTIONGROUP on the master of `broker` or on every
 * master: the fields given over the broker's defaults. */
static JsonNode *
api_group_config_update(RmqConsoleCall *call, GError **error)
{
    const gchar *group = param_group(call, error);
    if (group == NULL)
        return NULL;
    if (system_group(group)) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "group: %s is a system group", group);
        return NULL;
    }
    const gchar *broker;
    if (!param_name_opt(call, "broker", 127, &broker, error))
        return NULL;
    gint64 retry_queues, retry_max, broker_id, slow_id;
    gboolean broadcast, enable;
    if (!rmq_console_param_int(call->params, "retryQueueNums", 0, 64, 1, &retry_queues, error) ||
        !rmq_console_param_int(call->params, "retryMaxTimes", 0, 64, 16, &retry_max, error) ||
        !rmq_console_param_int(call->params, "brokerId", 0, 1024, 0, &broker_id, error) ||
        !rmq_console_param_int(call->params, "whichBrokerWhenConsumeSlowly", 0, 1024, 1, &slow_id,
                               error) ||
        !param_bool(call, "consumeBroadcastEnable", TRUE, &broadcast, error) ||
        !param_bool(call, "consumeEnable", TRUE, &enable, error))
        return NULL;
    g_autoptr(JsonArray) masters = master_rows(call->admin, error);
    if (masters == NULL)
        return NULL;
    g_autoptr(JsonObject) cfg = json_object_new();
    json_object_set_int_member(cfg, "retryQueueNums", retry_queues);
    json_object_set_int_member(cfg, "retryMaxTimes", retry_max);
    json_object_set_int_member(cfg, "brokerId", broker_id);
    json_object_set_int_member(cfg, "whichBrokerWhenConsumeSlowly", slow_id);
    json_object_set_boolean_member(cfg, "consumeBroadcastEnable", broadcast);
    json_object_set_boolean_member(cfg, "consumeEnable", enable);
    JsonArray *done = json_array_new();
    for (guint i = 0; i < json_array_get_length(masters); i++) {
        JsonObject *m = json_array_get_object_element(masters, i);
        if (broker != NULL && strcmp(broker, json_object_get_string_member(m, "brokerName")) != 0)
            continue;
        if (!rmq_admin_update_sub_group(call->admin, json_object_get_string_member(m, "addr"),
                                        group, cfg, error)) {
            json_array_unref(done);
            return NULL;
        }
        json_array_add_string_element(done, json_object_get_string_member(m, "brokerName"));
    }
    if (json_array_get_length(done) == 0) {
        json_array_unref(done);
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "broker: no master broker named %s", broker ? broker : "");
        return NULL;
    }
    return brokers_reply("group", group, done);
}

/* --------------------------------------------------------------- producers */

/* GET_PRODUCER_CONNECTION_LIST of @group on the masters of @topic's route. */
static JsonNode *
api_producers(RmqConsoleCall *call, GError **error)
{
    const gchar *group = param_group(call, error);
    if (group == NULL)
        return NULL;
    const gchar *topic = param_topic(call, error);
    if (topic == NULL)
        return NULL;
    g_autoptr(JsonNode) route = rmq_admin_topic_route(call->admin, topic, error);
    if (route == NULL)
        return NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(JsonNode) c = rmq_admin_producer_connection(call->admin, group, topic, &local);
    if (c == NULL && !g_error_matches(local, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NOT_FOUND)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "group", group);
    json_object_set_string_member(o, "topic", topic);
    JsonObject *co = c ? json_node_get_object(c) : NULL;
    if (co != NULL && json_object_has_member(co, "connections"))
        json_object_set_member(o, "connections",
                               json_node_copy(json_object_get_member(co, "connections")));
    else
        json_object_set_array_member(o, "connections", json_array_new());
    return rmq_json_node_take_object(o);
}

static JsonNode *
api_group_delete(RmqConsoleCall *call, GError **error)
{
    const gchar *group = param_group(call, error);
    if (group == NULL)
        return NULL;
    gboolean remove_offset;
    if (!param_bool(call, "removeOffset", TRUE, &remove_offset, error))
        return NULL;
    if (!group_exists(call, group, error))
        return NULL;
    g_auto(GStrv) masters = rmq_admin_cluster_masters(call->admin, NULL, error);
    if (masters == NULL)
        return NULL;
    for (guint i = 0; masters[i]; i++)
        if (!rmq_admin_delete_sub_group(call->admin, masters[i], group, remove_offset, error))
            return NULL;
    return ok_node();
}

/* --------------------------------------------------------------- messages */

static const gchar *param_client_id(RmqConsoleCall *call, gboolean required, GError **error);
static GBytes *relay_to_client(RmqConsoleCall *call, const gchar *first, gint code,
                               const gchar *group, const gchar *client_id, const gchar *msg_id,
                               GError **error);
static JsonNode *body_node(GBytes *b);

static JsonNode *
msg_array(GPtrArray *msgs)
{
    JsonArray *a = json_array_new();
    for (guint i = 0; msgs && i < msgs->len; i++)
        json_array_add_element(a, rmq_msg_to_json(msgs->pdata[i]));
    JsonObject *o = json_object_new();
    json_object_set_array_member(o, "messages", a);
    return rmq_json_node_take_object(o);
}

/* Messages of @topic stored in [begin, end], at most MAX_BROWSE. */
static GPtrArray *
browse_by_time(RmqConsoleCall *call, const gchar *topic, gint64 begin, gint64 end, GError **error)
{
    g_autoptr(RmqConsumer) c = rmq_consumer_new(TOOLS_GROUP, call->namesrv, NULL);
    rmq_console_call_sign(call, rmq_consumer_get_instance(c));
    g_autoptr(GPtrArray) queues = rmq_consumer_fetch_subscribe_queues(c, topic, error);
    if (queues == NULL)
        return NULL;
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
    for (guint i = 0; i < queues->len && out->len < MAX_BROWSE; i++) {
        RmqQueue *q = queues->pdata[i];
        gint64 from = rmq_consumer_search_offset(c, q, begin, error);
        gint64 max = from >= 0 ? rmq_consumer_max_offset(c, q, error) : -1;
        if (from < 0 || max < 0)
            return NULL;
        while (from < max && out->len < MAX_BROWSE) {
            RmqPullResult r = { 0 };
            if (!rmq_consumer_pull(c, q, "*", from, 32, 0, &r, error))
                return NULL;
            gboolean past = FALSE;
            for (guint k = 0; r.msgs && k < r.msgs->len && out->len < MAX_BROWSE; k++) {
                RmqMsg *m = r.msgs->pdata[k];
                if (m->store_timestamp > end) {
                    past = TRUE;
                    break;
                }
                if (m->store_timestamp >= begin)
                    g_ptr_array_add(out, g_steal_pointer(&r.msgs->pdata[k]));
            }
            gint64 next = r.next_begin_offset;
            gboolean found = r.status == RMQ_PULL_FOUND;
            rmq_pull_result_clear(&r);
            if (past || !found || next <= from)
                break;
            from = next;
        }
    }
    return g_steal_pointer(&out);
}

static gint
cmp_queue(gconstpointer a, gconstpointer b)
{
    const RmqQueue *x = *(RmqQueue *const *) a, *y = *(RmqQueue *const *) b;
    gint c = g_strcmp0(x->broker_name, y->broker_name);
    return c != 0 ? c : x->queue_id - y->queue_id;
}

/* The store time of the message at @offset of @q; G_MAXINT64 when there
 * is none (past the end). */
static gint64
store_time_at(RmqConsumer *c, const RmqQueue *q, gint64 offset)
{
    RmqPullResult r = { 0 };
    gint64 t = G_MAXINT64;
    if (rmq_consumer_pull(c, q, "*", offset, 1, 0, &r, NULL) && r.status == RMQ_PULL_FOUND &&
        r.msgs && r.msgs->len > 0)
        t = ((RmqMsg *) r.msgs->pdata[0])->store_timestamp;
    rmq_pull_result_clear(&r);
    return t;
}

/* The first offset of @q in [min, max] whose message was stored at or
 * after @t (@after: strictly after), from @guess (the time search's
 * answer): store times grow with the offset, so a gallop away from the
 * guess and a binary search, one message read per step. */
static gint64
first_offset_from(RmqConsumer *c, const RmqQueue *q, gint64 t, gboolean after, gint64 guess,
                  gint64 min, gint64 max)
{
#define PRED(off) ((off) >= max || (after ? store_time_at(c, q, off) > t : store_time_at(c, q, off) >= t))
    if (max <= min)
        return max;
    guess = CLAMP(guess, min, max - 1);
    gint64 no, yes; /* PRED(no) false (or min - 1), PRED(yes) true */
    if (PRED(guess)) {
        yes = guess;
        no = min - 1;
        for (gint64 step = 1; guess - step >= min; step *= 2) {
            if (!PRED(guess - step)) {
                no = guess - step;
                break;
            }
            yes = guess - step;
        }
    } else {
        no = guess;
        yes = max;
        for (gint64 step = 1; guess + step < max; step *= 2) {
            if (PRED(guess + step)) {
                yes = guess + step;
                break;
            }
            no = guess + step;
        }
    }
    while (yes - no > 1) {
        gint64 mid = no + (yes - no) / 2;
        if (PRED(mid))
            yes = mid;
        else
            no = mid;
    }
    return yes;
#undef PRED
}

/* One page of @topic's messages stored in [begin, end], without reading the
 * others: each queue's offsets bounded by SEARCH_OFFSET_BY_TIMESTAMP of
 * begin and of end (made exact by reading the messages at the edges), the
 * queues one after the other, page @page of @size pulled from those bounds
 * only; total is the number of messages in the range. */
static JsonNode *
browse_page(RmqConsoleCall *call, const gchar *topic, gint64 begin, gint64 end, gint64 page,
            gint64 size, GError **error)
{
    g_autoptr(RmqConsumer) c = rmq_consumer_new(TOOLS_GROUP, call->namesrv, NULL);
    rmq_console_call_sign(call, rmq_consumer_get_instance(c));
    g_autoptr(GPtrArray) queues = rmq_consumer_fetch_subscribe_queues(c, topic, error);
    if (queues == NULL)
        return NULL;
    g_ptr_array_sort(queues, cmp_queue);
    g_autofree gint64 *lo = g_new0(gint64, queues->len + 1);
    g_autofree gint64 *hi = g_new0(gint64, queues->len + 1);
    gint64 total = 0;
    for (guint i = 0; i < queues->len; i++) {
        RmqQueue *q = queues->pdata[i];
        gint64 min = rmq_consumer_min_offset(c, q, error);
        gint64 max = min >= 0 ? rmq_consumer_max_offset(c, q, error) : -1;
        gint64 a = max >= 0 ? rmq_consumer_search_offset(c, q, begin, error) : -1;
        gint64 b = a >= 0 ? rmq_consumer_search_offset(c, q, end, error) : -1;
        if (b < 0)
            return NULL;
        /* the search answers a message nearest the time, any of those with
         * the same millisecond: the exact edges are found from there */
        lo[i] = first_offset_from(c, q, begin, FALSE, a, min, max);
        hi[i] = MAX(first_offset_from(c, q, end, TRUE, b, min, max), lo[i]);
        total += hi[i] - lo[i];
    }
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
    gint64 skip = page * size, want = size;
    for (guint i = 0; i < queues->len && want > 0; i++) {
        gint64 span = hi[i] - lo[i];
        if (skip >= span) {
            skip -= span;
            continue;
        }
        gint64 from = lo[i] + skip;
        skip = 0;
        while (from < hi[i] && want > 0) {
            RmqPullResult r = { 0 };
            gint n = (gint) MIN(MIN(want, hi[i] - from), 32);
            if (!rmq_consumer_pull(c, queues->pdata[i], "*", from, n, 0, &r, error))
                return NULL;
            gboolean found = r.status == RMQ_PULL_FOUND && r.msgs && r.msgs->len > 0;
            for (guint k = 0; found && k < r.msgs->len && want > 0; k++) {
                RmqMsg *m = r.msgs->pdata[k];
                if (m->queue_offset >= hi[i])
                    break;
                want--;
                if (m->store_timestamp >= begin && m->store_timestamp <= end)
                    g_ptr_array_add(out, g_steal_pointer(&r.msgs->pdata[k]));
            }
            gint64 next = r.next_begin_offset;
            rmq_pull_result_clear(&r);
            if (!found || next <= from)
                break;
            from = next;
        }
    }
    JsonNode *n = msg_array(out);
    JsonObject *o = json_node_get_object(n);
    json_object_set_int_member(o, "page", page);
    json_object_set_int_member(o, "pageSize", size);
    json_object_set_int_member(o, "total", total);
    json_object_set_int_member(o, "pages", (total + size - 1) / size);
    return n;
}

static JsonNode *
api_messages(RmqConsoleCall *call, GError **error)
{
    const gchar *topic = param_topic(call, error);
    if (topic == NULL)
        return NULL;
    const gchar *key = g_hash_table_lookup(call->params, "key");
    gint64 now = g_get_real_time() / 1000;
    gint64 begin, end;
    if (!param_time_range(call, key ? 0 : now - 3600 * 1000, now + 60 * 1000, &begin, &end,
                          error))
        return NULL;
    g_autoptr(GPtrArray) msgs = NULL;
    if (key != NULL && *key != '\0') {
        if (strlen(key) > 255 || strpbrk(key, " \t\r\n") != NULL) {
            g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                        "key: one key of at most 255 characters, no blanks");
            return NULL;
        }
        msgs = rmq_admin_query_by_key(call->admin, topic, key, MAX_BROWSE, begin, end, error);
    } else {
        gint64 page, size;
        if (!rmq_console_param_int(call->params, "page", 0, 1000000, 0, &page, error) ||
            !rmq_console_param_int(call->params, "pageSize", 1, MAX_BROWSE, 32, &size, error))
            return NULL;
        return browse_page(call, topic, begin, end, page, size, error);
    }
    if (msgs == NULL)
        return NULL;
    return msg_array(msgs);
}

static gboolean
hex_id(const gchar *id)
{
    gsize n = strlen(id);
    if (n < 16 || n > 64)
        return FALSE;
    for (const gchar *p = id; *p; p++)
        if (!g_ascii_isxdigit(*p))
            return FALSE;
    return TRUE;
}

gchar *
rmq_console_offset_id_addr(const gchar *id)
{
    RmqHostAddr h;
    gint64 offset;
    if (id == NULL || !rmq_message_id_decode(id, &h, &offset, NULL) || h.port <= 0 ||
        h.port > 65535)
        return NULL;
    if (h.addr_len == 16)
        return g_strdup_printf("[%x:%x:%x:%x:%x:%x:%x:%x]:%d", h.addr[0] << 8 | h.addr[1],
                               h.addr[2] << 8 | h.addr[3], h.addr[4] << 8 | h.addr[5],
                               h.addr[6] << 8 | h.addr[7], h.addr[8] << 8 | h.addr[9],
                               h.addr[10] << 8 | h.addr[11], h.addr[12] << 8 | h.addr[13],
                               h.addr[14] << 8 | h.addr[15], h.port);
    return g_strdup_printf("%u.%u.%u.%u:%d", h.addr[0], h.addr[1], h.addr[2], h.addr[3], h.port);
}

/* VIEW_MESSAGE_BY_ID of an offset id, sent only to a broker the name
 * servers list: the store host an id names is the caller's to choose, and
 * the console talks to the cluster only (404 otherwise). */
static RmqMsg *
view_listed(RmqConsoleCall *call, const gchar *id, gboolean *outside, GError **error)
{
    g_autofree gchar *addr = rmq_console_offset_id_addr(id);
    if (addr == NULL) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND,
                    "%.64s is not an offset message id", id);
        return NULL;
    }
    g_auto(GStrv) brokers = rmq_admin_cluster_addrs(call->admin, NULL, error);
    if (brokers == NULL)
        return NULL;
    if (!g_strv_contains((const gchar *const *) brokers, addr)) {
        if (outside != NULL)
            *outside = TRUE;
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND,
                    "message id %.64s names %s, which is not a broker of the cluster", id, addr);
        return NULL;
    }
    return rmq_admin_view_message(call->admin, id, error);
}

/* The message with @id: an offset id, or with @topic also a UNIQ_KEY (the
 * broker indexes it as a key). */
static RmqMsg *
find_message(RmqConsoleCall *call, const gchar *id, const gchar *topic, GError **error)
{
    g_autoptr(GError) view_err = NULL;
    gboolean outside = FALSE;
    RmqMsg *m = view_listed(call, id, &outside, &view_err);
    if (m != NULL)
        return m;
    if (topic != NULL) {
        g_autoptr(GPtrArray) msgs = rmq_admin_query_by_key(call->admin, topic, id, MAX_BROWSE, 0,
                                                           G_MAXINT64, NULL);
        for (guint i = 0; msgs && i < msgs->len; i++) {
            RmqMsg *c = msgs->pdata[i];
            if (g_strcmp0(rmq_msg_get_msg_id(c), id) == 0 || g_strcmp0(c->offset_msg_id, id) == 0)
                return g_steal_pointer(&msgs->pdata[i]);
        }
    }
    if (outside) { /* said as it is: the id names an address outside the cluster */
        g_propagate_error(error, g_steal_pointer(&view_err));
        return NULL;
    }
    g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND, "no message %s%s%s", id,
                topic ? " in topic " : " (give the topic to look up a client id)",
                topic ? topic : "");
    return NULL;
}

static const gchar *
param_id(RmqConsoleCall *call, GError **error)
{
    const gchar *id = g_hash_table_lookup(call->params, "id");
    if (id == NULL || !hex_id(id)) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "id must be a message id (16 to 64 hexadecimal digits)");
        return NULL;
    }
    return id;
}

static JsonNode *
api_message(RmqConsoleCall *call, GError **error)
{
    const gchar *id = param_id(call, error);
    if (id == NULL)
        return NULL;
    const gchar *topic;
    if (!param_name_opt(call, "topic", 127, &topic, error))
        return NULL;
    g_autoptr(RmqMsg) m = find_message(call, id, topic, error);
    if (m == NULL)
        return NULL;
    JsonNode *n = rmq_msg_to_json(m);
    /* the body byte by byte too, for the page's hex view */
    gsize len = 0;
    const guint8 *d = m->body ? g_bytes_get_data(m->body, &len) : NULL;
    GString *hex = g_string_sized_new(len * 2 + 1);
    for (gsize i = 0; i < len; i++)
        g_string_append_printf(hex, "%02x", d[i]);
    json_object_set_string_member(json_node_get_object(n), "bodyHex", hex->str);
    g_string_free(hex, TRUE);
    return n;
}

/* CONSUMER_SEND_MSG_BACK on the broker that stores the message: the broker
 * puts a copy on %RETRY%<group>, so every member of the group gets it again
 * (after the delay level the broker gives a first retry, 10 s by default). */
static JsonNode *
api_message_resend(RmqConsoleCall *call, GError **error)
{
    const gchar *id = param_id(call, error);
    if (id == NULL)
        return NULL;
    const gchar *group = param_group(call, error);
    if (group == NULL)
        return NULL;
    const gchar *topic;
    if (!param_name_opt(call, "topic", 127, &topic, error))
        return NULL;
    const gchar *client;
    {
        GError *local = NULL;
        client = param_client_id(call, FALSE, &local);
        if (local != NULL) {
            g_propagate_error(error, local);
            return NULL;
        }
    }
    g_autoptr(RmqMsg) m = find_message(call, id, topic, error);
    if (m == NULL)
        return NULL;
    if (client != NULL) {
        /* CONSUME_MESSAGE_DIRECTLY: the broker that stores the message hands
         * it to that one client, which consumes it and says how it went */
        g_autoptr(GBytes) r = relay_to_client(call, m->store_host,
                                              RMQ_REQUEST_CONSUME_MESSAGE_DIRECTLY, group, client,
                                              m->offset_msg_id, error);
        if (r == NULL)
            return NULL;
        JsonObject *o = json_object_new();
        json_object_set_boolean_member(o, "ok", TRUE);
        json_object_set_string_member(o, "msgId", rmq_msg_get_msg_id(m));
        json_object_set_string_member(o, "group", group);
        json_object_set_string_member(o, "clientId", client);
        json_object_set_member(o, "result", body_node(r));
        return rmq_json_node_take_object(o);
    }
    g_autofree gchar *offset = g_strdup_printf("%" G_GINT64_FORMAT, m->commit_log_offset);
    g_autoptr(GBytes) b = rmq_admin_invoke(
        call->admin, m->store_host, RMQ_REQUEST_CONSUMER_SEND_MSG_BACK, NULL, NULL, error,
        "offset", offset, "group", group, "delayLevel", "0", "originMsgId",
        rmq_msg_get_msg_id(m), "originTopic", m->topic, "unitMode", "false",
        "maxReconsumeTimes", "16", NULL);
    if (b == NULL)
        return NULL;
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "ok", TRUE);
    json_object_set_string_member(o, "msgId", rmq_msg_get_msg_id(m));
    json_object_set_string_member(o, "group", group);
    json_object_set_string_member(o, "broker", m->store_host);
    return rmq_json_node_take_object(o);
}

/* ------------------------------------------------------------ dead letters */

#define DLQ_PREFIX "%DLQ%"
#define RESEND_GROUP "CONSOLE_DLQ_RESEND"

RmqMsg *
rmq_console_dlq_resend_msg(const RmqMsg *dead, GError **error)
{
    /* properties the broker or the client library sets: the new message gets fresh ones */
    static const gchar *const system_props[] = {
        "RETRY_TOPIC", "REAL_TOPIC", "REAL_QID", "DELAY", "WAIT", "MAX_OFFSET", "MIN_OFFSET",
        "UNIQ_KEY", "ORIGIN_MESSAGE_ID", "CONSUME_START_TIME", "TRAN_MSG", "PGROUP", "CLUSTER",
        "TRANSACTION_CHECK_TIMES", "CHECK_IMMUNITY_TIME_IN_SECONDS", "__transactionId__",
        "TRAN_PREPARED_QUEUE_OFFSET", "MSG_REGION", "TRACE_ON", NULL
    };
    const gchar *origin = rmq_msg_get_property(dead, "RETRY_TOPIC");
    if (dead->topic == NULL || !g_str_has_prefix(dead->topic, DLQ_PREFIX)) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "not a dead letter: it is on %s", dead->topic ? dead->topic : "no topic");
        return NULL;
    }
    if (origin == NULL || *origin == '\0' || g_str_has_prefix(origin, DLQ_PREFIX)) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "the dead letter has no RETRY_TOPIC property: its original topic is unknown");
        return NULL;
    }
    gsize len = 0;
    const void *body = dead->body ? g_bytes_get_data(dead->body, &len) : NULL;
    RmqMsg *m = rmq_msg_new(origin, body, (gssize) len);
    m->flag = dead->flag;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, rmq_msg_get_properties(dead));
    while (g_hash_table_iter_next(&it, &k, &v))
        if (!g_strv_contains(system_props, k))
            rmq_msg_put_property(m, k, v);
    return m;
}

/* Every %DLQ% topic with its message count (max minus min offset, summed). */
static JsonNode *
api_dlq(RmqConsoleCall *call, GError **error)
{
    g_autoptr(JsonNode) list = rmq_admin_topic_list(call->admin, error);
    if (list == NULL)
        return NULL;
    JsonArray *in = json_node_get_array(list);
    JsonArray *out = json_array_new();
    for (guint i = 0; i < json_array_get_length(in); i++) {
        const gchar *t = json_array_get_string_element(in, i);
        if (!g_str_has_prefix(t, DLQ_PREFIX))
            continue;
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "group", t + strlen(DLQ_PREFIX));
        json_object_set_string_member(row, "topic", t);
        g_autoptr(GError) local = NULL;
        g_autoptr(JsonNode) st = rmq_admin_topic_status(call->admin, t, &local);
        if (st != NULL) {
            gint64 n = 0;
            JsonArray *qs = json_node_get_array(st);
            for (guint k = 0; k < json_array_get_length(qs); k++) {
                JsonObject *q = json_array_get_object_element(qs, k);
                n += json_object_get_int_member(q, "maxOffset") -
                     json_object_get_int_member(q, "minOffset");
            }
            json_object_set_int_member(row, "count", n);
        } else {
            json_object_set_null_member(row, "count");
            json_object_set_string_member(row, "error", local->message);
        }
        json_array_add_object_element(out, row);
    }
    JsonObject *o = json_object_new();
    json_object_set_array_member(o, "groups", out);
    return rmq_json_node_take_object(o);
}

/* %DLQ%<group>, or a 404 that says the group has none. (transfer full) */
static gchar *
dlq_topic(RmqConsoleCall *call, const gchar *group, GError **error)
{
    g_autofree gchar *topic = g_strconcat(DLQ_PREFIX, group, NULL);
    g_autoptr(GError) local = NULL;
    g_autoptr(JsonNode) route = rmq_admin_topic_route(call->admin, topic, &local);
    if (route == NULL) {
        if (rmq_console_http_status(local) == 404)
            g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND,
                        "group %s has no dead-letter topic", group);
        else
            g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    return g_steal_pointer(&topic);
}

static JsonNode *
api_dlq_messages(RmqConsoleCall *call, GError **error)
{
    const gchar *group = param_group(call, error);
    if (group == NULL)
        return NULL;
    gint64 begin, end;
    if (!param_time_range(call, 0, g_get_real_time() / 1000 + 60 * 1000, &begin, &end, error))
        return NULL;
    g_autofree gchar *topic = dlq_topic(call, group, error);
    if (topic == NULL)
        return NULL;
    g_autoptr(GPtrArray) msgs = browse_by_time(call, topic, begin, end, error);
    if (msgs == NULL)
        return NULL;
    JsonNode *n = msg_array(msgs);
    JsonArray *a = json_object_get_array_member(json_node_get_object(n), "messages");
    for (guint i = 0; i < msgs->len; i++) {
        const gchar *origin = rmq_msg_get_property(msgs->pdata[i], "RETRY_TOPIC");
        JsonObject *m = json_array_get_object_element(a, i);
        if (origin != NULL)
            json_object_set_string_member(m, "originTopic", origin);
        else
            json_object_set_null_member(m, "originTopic");
    }
    json_object_set_string_member(json_node_get_object(n), "group", group);
    json_object_set_string_member(json_node_get_object(n), "topic", topic);
    return n;
}

/* Each dead letter (offset ids, comma-separated) produced again on its
 * original topic as a new message; one result per id. */
static JsonNode *
api_dlq_resend(RmqConsoleCall *call, GError **error)
{
    const gchar *group = param_group(call, error);
    if (group == NULL)
        return NULL;
    const gchar *ids = g_hash_table_lookup(call->params, "ids");
    g_auto(GStrv) list = ids ? g_strsplit(ids, ",", 0) : NULL;
    guint n = list ? g_strv_length(list) : 0;
    if (n == 0 || n > MAX_BROWSE) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "ids: 1 to %d message ids, comma-separated", MAX_BROWSE);
        return NULL;
    }
    for (guint i = 0; i < n; i++) {
        g_strstrip(list[i]);
        if (!hex_id(list[i])) {
            g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                        "ids: %.64s is not a message id (16 to 64 hexadecimal digits)", list[i]);
            return NULL;
        }
    }
    g_autofree gchar *topic = dlq_topic(call, group, error);
    if (topic == NULL)
        return NULL;
    g_autoptr(RmqProducer) producer = rmq_producer_new(RESEND_GROUP, call->namesrv, NULL);
    rmq_console_call_sign(call, rmq_producer_get_instance(producer));
    JsonArray *results = json_array_new();
    guint ok = 0;
    for (guint i = 0; i < n; i++) {
        JsonObject *r = json_object_new();
        json_object_set_string_member(r, "id", list[i]);
        g_autoptr(GError) local = NULL;
        g_autoptr(RmqMsg) dead = view_listed(call, list[i], NULL, &local);
        g_autoptr(RmqMsg) fresh = NULL;
        if (dead != NULL && strcmp(dead->topic, topic) != 0)
            g_set_error(&local, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                        "not a dead letter of %s (it is on %s)", group, dead->topic);
        else if (dead != NULL)
            fresh = rmq_console_dlq_resend_msg(dead, &local);
        RmqSendResult sr = { 0 };
        if (fresh != NULL && rmq_producer_send(producer, fresh, &sr, &local)) {
            json_object_set_boolean_member(r, "ok", TRUE);
            json_object_set_string_member(r, "topic", fresh->topic);
            json_object_set_string_member(r, "msgId", sr.msg_id);
            json_object_set_string_member(r, "offsetMsgId", sr.offset_msg_id);
            g_message("dead letter %s of %s resent to %s as %s", list[i], group, fresh->topic,
                      sr.msg_id);
            ok++;
        } else {
            json_object_set_boolean_member(r, "ok", FALSE);
            json_object_set_string_member(r, "error", local ? local->message : "not sent");
        }
        rmq_send_result_clear(&sr);
        json_array_add_object_element(results, r);
    }
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "group", group);
    json_object_set_int_member(o, "resent", ok);
    json_object_set_array_member(o, "results", results);
    return rmq_json_node_take_object(o);
}

/* ------------------------------------------------------------ test message */

#define TEST_PRODUCER_GROUP "SELF_TEST_P_GROUP"
#define MAX_TEST_BODY (32 * 1024)

/* A message typed in the console (topic, tag, key, body), sent as any
 * producer would (SEND_MESSAGE) with RocketMQ's self-test producer group. */
static JsonNode *
api_topic_send(RmqConsoleCall *call, GError **error)
{
    const gchar *topic = param_topic(call, error);
    if (topic == NULL)
        return NULL;
    const gchar *tag = g_hash_table_lookup(call->params, "tag");
    const gchar *key = g_hash_table_lookup(call->params, "key");
    const gchar *body = g_hash_table_lookup(call->params, "body");
    if (tag != NULL && (strlen(tag) > 127 || strpbrk(tag, "|\r\n") != NULL)) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "tag: at most 127 characters, no | and no line break");
        return NULL;
    }
    if (key != NULL && (strlen(key) > 255 || strpbrk(key, "\r\n") != NULL)) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "key: at most 255 characters, no line break");
        return NULL;
    }
    if (body == NULL || *body == '\0' || strlen(body) > MAX_TEST_BODY) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "body: 1 to %d bytes are required", MAX_TEST_BODY);
        return NULL;
    }
    /* an unknown topic is a 404, not an auto-created topic */
    g_autoptr(JsonNode) route = rmq_admin_topic_route(call->admin, topic, error);
    if (route == NULL)
        return NULL;
    g_autoptr(RmqProducer) producer = rmq_producer_new(TEST_PRODUCER_GROUP, call->namesrv, NULL);
    rmq_console_call_sign(call, rmq_producer_get_instance(producer));
    g_autoptr(RmqMsg) m = rmq_msg_new(topic, body, -1);
    if (tag != NULL && *tag != '\0')
        rmq_msg_set_tags(m, tag);
    if (key != NULL && *key != '\0')
        rmq_msg_set_keys(m, key);
    RmqSendResult sr = { 0 };
    if (!rmq_producer_send(producer, m, &sr, error))
        return NULL;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "topic", topic);
    json_object_set_string_member(o, "status", rmq_send_status_name(sr.status));
    json_object_set_string_member(o, "msgId", sr.msg_id);
    json_object_set_string_member(o, "offsetMsgId", sr.offset_msg_id);
    json_object_set_string_member(o, "brokerName", sr.broker_name);
    json_object_set_int_member(o, "queueId", sr.queue_id);
    json_object_set_int_member(o, "queueOffset", sr.queue_offset);
    rmq_send_result_clear(&sr);
    return rmq_json_node_take_object(o);
}

GStrv
rmq_console_route_masters(JsonNode *route, GStrv *names)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_autoptr(GStrvBuilder) nb = g_strv_builder_new();
    JsonObject *o = route && JSON_NODE_HOLDS_OBJECT(route) ? json_node_get_object(route) : NULL;
    JsonArray *bds = rmq_json_object_get_array_or_null(o, "brokerDatas");
    for (guint i = 0; bds && i < json_array_get_length(bds); i++) {
        JsonNode *n = json_array_get_element(bds, i);
        JsonObject *bd = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
        JsonObject *addrs = rmq_json_object_get_object_or_null(bd, "brokerAddrs");
        const gchar *master = rmq_json_object_get_string_or(addrs, "0", NULL);
        if (master == NULL)
            continue;
        g_strv_builder_add(b, master);
        g_strv_builder_add(nb, rmq_json_object_get_string_or(bd, "brokerName", ""));
    }
    if (names != NULL)
        *names = g_strv_builder_end(nb);
    return g_strv_builder_end(b);
}

/* Master addresses of @topic's route, from the name server, and in
 * *@names (may be NULL) their broker names. (transfer full) */
static GStrv
route_masters(RmqConsoleCall *call, const gchar *topic, GStrv *names, GError **error)
{
    g_autoptr(JsonNode) route = rmq_admin_topic_route(call->admin, topic, error);
    if (route == NULL)
        return NULL;
    return rmq_console_route_masters(route, names);
}

void
rmq_console_consume_by_who_groups(JsonNode *body, GHashTable *seen)
{
    JsonObject *o = body && JSON_NODE_HOLDS_OBJECT(body) ? json_node_get_object(body) : NULL;
    JsonArray *gl = rmq_json_object_get_array_or_null(o, "groupList");
    for (guint k = 0; gl && k < json_array_get_length(gl); k++) {
        JsonNode *n = json_array_get_element(gl, k);
        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
            g_hash_table_add(seen, g_strdup(json_node_get_string(n)));
    }
}

/* The groups that consume @topic (QUERY_TOPIC_CONSUME_BY_WHO on its
 * masters), each with its lag on that topic. */
static JsonNode *
api_topic_consumers(RmqConsoleCall *call, GError **error)
{
    const gchar *topic = param_topic(call, error);
    if (topic == NULL)
        return NULL;
    g_auto(GStrv) masters = route_masters(call, topic, NULL, error);
    if (masters == NULL)
        return NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; masters[i]; i++) {
        g_autoptr(GBytes) b = rmq_admin_invoke(call->admin, masters[i],
                                               RMQ_REQUEST_QUERY_TOPIC_CONSUME_BY_WHO, NULL, NULL,
                                               error, "topic", topic, NULL);
        if (b == NULL)
            return NULL;
        gsize len;
        const guint8 *d = g_bytes_get_data(b, &len);
        g_autoptr(JsonNode) n = len ? rmq_mq_parse_fastjson(d, len, NULL) : NULL;
        rmq_console_consume_by_who_groups(n, seen);
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, seen);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(names, k);
    g_ptr_array_sort(names, cmp_names);
    JsonArray *out = json_array_new();
    for (guint i = 0; i < names->len; i++) {
        const gchar *g = names->pdata[i];
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "group", g);
        JsonObject *po = progress_row(call, row, g, topic);
        if (po != NULL)
            json_object_unref(po);
        json_array_add_object_element(out, row);
    }
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "topic", topic);
    json_object_set_array_member(o, "groups", out);
    return rmq_json_node_take_object(o);
}

/* ------------------------------------------------------- consumer clients */

/* A client id as RocketMQ makes them (ip@instance[@unit]): printable, no blanks. */
static const gchar *
param_client_id(RmqConsoleCall *call, gboolean required, GError **error)
{
    const gchar *v = g_hash_table_lookup(call->params, "clientId");
    if (v == NULL || *v == '\0') {
        if (required)
            g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                        "clientId is required");
        return NULL;
    }
    gboolean ok = strlen(v) <= 255;
    for (const gchar *p = v; ok && *p; p++)
        ok = g_ascii_isgraph(*p);
    if (!ok) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST,
                    "clientId: at most 255 printable characters, no blanks");
        return NULL;
    }
    return v;
}

/* A request the broker relays to one client of @group (GET_CONSUMER_RUNNING_INFO,
 * CONSUME_MESSAGE_DIRECTLY): tried on @first (may be NULL), then on every
 * master, until one has the client connected. (transfer full) the body */
static GBytes *
relay_to_client(RmqConsoleCall *call, const gchar *first, gint code, const gchar *group,
                const gchar *client_id, const gchar *msg_id, GError **error)
{
    g_auto(GStrv) masters = rmq_admin_cluster_masters(call->admin, NULL, error);
    if (masters == NULL)
        return NULL;
    g_autoptr(GPtrArray) addrs = g_ptr_array_new();
    if (first != NULL)
        g_ptr_array_add(addrs, (gpointer) first);
    for (guint i = 0; masters[i]; i++)
        if (g_strcmp0(masters[i], first) != 0)
            g_ptr_array_add(addrs, masters[i]);
    g_autoptr(GError) last = NULL;
    for (guint i = 0; i < addrs->len; i++) {
        g_clear_error(&last);
        GBytes *b = code == RMQ_REQUEST_GET_CONSUMER_RUNNING_INFO
                        ? rmq_admin_invoke(call->admin, addrs->pdata[i], code, NULL, NULL, &last,
                                           "consumerGroup", group, "clientId", client_id,
                                           "jstackEnable", "false", NULL)
                        : rmq_admin_invoke(call->admin, addrs->pdata[i], code, NULL, NULL, &last,
                                           "consumerGroup", group, "clientId", client_id,
                                           "msgId", msg_id, NULL);
        if (b != NULL)
            return b;
    }
    if (last != NULL && strstr(last->message, "not online") != NULL)
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND,
                    "client %s of group %s is not online", client_id, group);
    else if (last != NULL)
        g_propagate_error(error, g_steal_pointer(&last));
    else
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND, "no master broker");
    return NULL;
}

/* A body as JSON (fastjson's object keys rewritten), else as text. */
static JsonNode *
body_node(GBytes *b)
{
    gsize len;
    const guint8 *d = g_bytes_get_data(b, &len);
    JsonNode *n = len ? rmq_mq_parse_fastjson(d, len, NULL) : NULL;
    if (n != NULL)
        return n;
    g_autofree gchar *text = g_utf8_make_valid((const gchar *) d, (gssize) len);
    JsonNode *s = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(s, text);
    return s;
}

/* GET_CONSUMER_RUNNING_INFO, relayed by the broker to the client (307). */
static JsonNode *
api_group_client(RmqConsoleCall *call, GError **error)
{
    const gchar *group = param_group(call, error);
    if (group == NULL)
        return NULL;
    const gchar *client = param_client_id(call, TRUE, error);
    if (client == NULL)
        return NULL;
    g_autoptr(GBytes) b = relay_to_client(call, NULL, RMQ_REQUEST_GET_CONSUMER_RUNNING_INFO, group,
                                          client, NULL, error);
    if (b == NULL)
        return NULL;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "group", group);
    json_object_set_string_member(o, "clientId", client);
    json_object_set_member(o, "runningInfo", body_node(b));
    return rmq_json_node_take_object(o);
}

/* The offsets an INVOKE_BROKER_TO_RESET_OFFSET answer @body says the
 * broker gave its clients (ResetOffsetBody: offsetTable keyed by the
 * MessageQueue as JSON text), as rows on @rows. */
static void
notified_rows(GBytes *body, JsonArray *rows)
{
    gsize len;
    const guint8 *d = g_bytes_get_data(body, &len);
    g_autoptr(JsonNode) n = len ? rmq_mq_parse_fastjson(d, len, NULL) : NULL;
    JsonObject *o = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
    JsonObject *table = rmq_json_object_get_object_or_null(o, "offsetTable");
    g_autoptr(GList) keys = table ? json_object_get_members(table) : NULL;
    for (GList *l = keys; l; l = l->next) {
        g_autoptr(JsonParser) kp = json_parser_new();
        if (!json_parser_load_from_data(kp, l->data, -1, NULL) ||
            !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(kp)))
            continue;
        JsonObject *mq = json_node_get_object(json_parser_get_root(kp));
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "brokerName",
                                      rmq_json_object_get_string_or(mq, "brokerName", ""));
        json_object_set_int_member(row, "queueId", rmq_json_object_get_int32_or(mq, "queueId", -1));
        json_object_set_int_member(row, "offset", rmq_json_object_get_int64_or(table, l->data, -1));
        json_object_set_boolean_member(row, "clientsNotified", TRUE);
        json_array_add_object_element(rows, row);
    }
}

/* No client of the group on broker @broker_name: its queues' offsets
 * written directly (UPDATE_CONSUMER_OFFSET), to the first message at or
 * after @ts, or (@ts -1) to the end. Rows on @rows. */
static gboolean
write_offsets(RmqConsoleCall *call, const gchar *group, const gchar *topic,
              const gchar *broker_name, gint64 ts, JsonArray *rows, GError **error)
{
    if (ts >= 0) {
        g_autoptr(JsonNode) r =
            rmq_admin_reset_offset_by_time_on(call->admin, group, topic, broker_name, ts, error);
        if (r == NULL)
            return FALSE;
        JsonArray *a = json_node_get_array(r);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            JsonObject *row = json_object_ref(json_array_get_object_element(a, i));
            json_object_set_boolean_member(row, "clientsNotified", FALSE);
            json_array_add_object_element(rows, row);
        }
        return TRUE;
    }
    g_autoptr(JsonNode) st = rmq_admin_topic_status(call->admin, topic, error);
    if (st == NULL)
        return FALSE;
    g_autoptr(RmqConsumer) c = rmq_consumer_new(group, call->namesrv, NULL);
    rmq_console_call_sign(call, rmq_consumer_get_instance(c));
    JsonArray *qs = json_node_get_array(st);
    for (guint i = 0; i < json_array_get_length(qs); i++) {
        JsonObject *q = json_array_get_object_element(qs, i);
        const gchar *bn = rmq_json_object_get_string_or(q, "brokerName", NULL);
        if (g_strcmp0(bn, broker_name) != 0)
            continue;
        g_autoptr(RmqQueue) mq = rmq_queue_new(topic, bn, rmq_json_object_get_int32_or(q, "queueId", 0));
        gint64 max = rmq_json_object_get_int64_or(q, "maxOffset", 0);
        if (!rmq_consumer_commit_offset(c, mq, max, error))
            return FALSE;
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "brokerName", mq->broker_name);
        json_object_set_int_member(row, "queueId", mq->queue_id);
        json_object_set_int_member(row, "offset", max);
        json_object_set_boolean_member(row, "clientsNotified", FALSE);
        json_array_add_object_element(rows, row);
    }
    return TRUE;
}

/* INVOKE_BROKER_TO_RESET_OFFSET (222) on every master of @topic: each broker
 * works out the offsets for @ts (-1: the end) and pushes them to the group's
 * online clients (RESET_CONSUMER_CLIENT_OFFSET), which take them. On each
 * master that answers CONSUMER_NOT_ONLINE (206) the offsets are written
 * directly (UPDATE_CONSUMER_OFFSET), as mqadmin does. Rows [{brokerName,
 * queueId, offset, clientsNotified}], *@online whether any client was told. */
static JsonArray *
reset_offsets(RmqConsoleCall *call, const gchar *group, const gchar *topic, gint64 ts,
              gboolean *online, GError **error)
{
    g_auto(GStrv) names = NULL;
    g_auto(GStrv) masters = route_masters(call, topic, &names, error);
    if (masters == NULL)
        return NULL;
    g_autofree gchar *tstext = g_strdup_printf("%" G_GINT64_FORMAT, ts);
    g_autoptr(JsonArray) rows = json_array_new();
    g_autoptr(GPtrArray) offline = g_ptr_array_new();
    for (guint i = 0; masters[i]; i++) {
        g_autoptr(GError) local = NULL;
        g_autoptr(GBytes) b = rmq_admin_invoke(call->admin, masters[i],
                                               RMQ_REQUEST_INVOKE_BROKER_TO_RESET_OFFSET, NULL,
                                               NULL, &local, "topic", topic, "group", group,
                                               "timestamp", tstext, "isForce", "true", NULL);
        if (b != NULL) {
            notified_rows(b, rows);
        } else if (rmq_admin_last_response_code(call->admin) ==
                   RMQ_RESPONSE_CONSUMER_NOT_ONLINE) {
            g_ptr_array_add(offline, names[i]);
        } else {
            g_propagate_error(error, g_steal_pointer(&local));
            return NULL;
        }
    }
    *online = offline->len < g_strv_length(masters);
    /* the brokers no client of the group is connected to: as mqadmin does,
     * the offsets are written there directly, whoever else was told */
    for (guint i = 0; i < offline->len; i++)
        if (!write_offsets(call, group, topic, offline->pdata[i], ts, rows, error))
            return NULL;
    return g_steal_pointer(&rows);
}

static JsonNode *
reset_reply(const gchar *group, const gchar *topic, gint64 ts, gboolean online, JsonArray *rows)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "group", group);
    json_object_set_string_member(o, "topic", topic);
    json_object_set_int_member(o, "timestamp", ts);
    json_object_set_boolean_member(o, "clientsNotified", online);
    json_object_set_array_member(o, "queues", rows);
    return rmq_json_node_take_object(o);
}

/* Skip the accumulated messages: every queue of @topic to its max offset. */
static JsonNode *
api_group_skip(RmqConsoleCall *call, GError **error)
{
    const gchar *group = param_group(call, error);
    if (group == NULL)
        return NULL;
    const gchar *topic = param_topic(call, error);
    if (topic == NULL)
        return NULL;
    gboolean online = FALSE;
    JsonArray *rows = reset_offsets(call, group, topic, -1, &online, error);
    if (rows == NULL)
        return NULL;
    return reset_reply(group, topic, -1, online, rows);
}

/* ------------------------------------------------------------ name servers */

/* Each name server of the console's list: does it answer (GET_BROKER_CLUSTER_INFO)? */
static JsonNode *
api_namesrv(RmqConsoleCall *call, GError **error)
{
    (void) error;
    g_auto(GStrv) list = g_strsplit_set(call->namesrv, ";,", -1);
    JsonArray *out = json_array_new();
    for (guint i = 0; list[i]; i++) {
        gchar *addr = g_strstrip(list[i]);
        if (*addr == '\0')
            continue;
        g_autoptr(RmqAdmin) one = rmq_admin_new(addr, NULL);
        rmq_console_call_sign(call, rmq_admin_get_instance(one));
        rmq_admin_set_timeout(one, 3000);
        g_autoptr(GError) local = NULL;
        g_autoptr(GBytes) b = rmq_admin_invoke(one, addr, RMQ_REQUEST_GET_BROKER_CLUSTER_INFO,
                                               NULL, NULL, &local, NULL);
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "addr", addr);
        json_object_set_boolean_member(row, "reachable", b != NULL);
        if (b == NULL)
            json_object_set_string_member(row, "error", local->message);
        json_array_add_object_element(out, row);
    }
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "namesrvAddr", call->namesrv);
    json_object_set_array_member(o, "servers", out);
    return rmq_json_node_take_object(o);
}

gboolean
rmq_console_valid_namesrv_list(const gchar *list)
{
    if (list == NULL || strlen(list) > 1024)
        return FALSE;
    g_auto(GStrv) parts = g_strsplit(list, ";", -1);
    guint n = 0;
    for (guint i = 0; parts[i]; i++) {
        const gchar *p = parts[i];
        const gchar *colon = strrchr(p, ':');
        if (colon == NULL || colon == p)
            return FALSE;
        for (const gchar *h = p; h < colon; h++)
            if (!g_ascii_isalnum(*h) && *h != '.' && *h != '-')
                return FALSE;
        gchar *end = NULL;
        guint64 port = g_ascii_strtoull(colon + 1, &end, 10);
        if (end == colon + 1 || *end != '\0' || port < 1 || port > 65535)
            return FALSE;
        n++;
    }
    return n > 0;
}

/* ------------------------------------------------------------------ traces */

static void
set_str(JsonObject *o, const gchar *name, const gchar *value)
{
    if (value != NULL)
        json_object_set_string_member(o, name, value);
}

JsonObject *
rmq_console_trace_json(const RmqTraceRecord *r)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "type", rmq_trace_type_name(r->type));
    switch (r->type) {
    case RMQ_TRACE_PUB:
    case RMQ_TRACE_END_TRANSACTION:
        json_object_set_int_member(o, "timestamp", r->timestamp);
        set_str(o, "regionId", r->region_id);
        set_str(o, "group", r->group);
        set_str(o, "topic", r->topic);
        set_str(o, "msgId", r->msg_id);
        set_str(o, "tags", r->tags);
        set_str(o, "keys", r->keys);
        set_str(o, "storeHost", r->store_host);
        json_object_set_int_member(o, "msgType", r->msg_type);
        if (r->type == RMQ_TRACE_END_TRANSACTION) {
            set_str(o, "transactionId", r->transaction_id);
            set_str(o, "transactionState", r->transaction_state);
            json_object_set_boolean_member(o, "fromTransactionCheck", r->from_transaction_check);
            break;
        }
        json_object_set_int_member(o, "bodyLength", r->body_length);
        json_object_set_int_member(o, "costTime", r->cost_time);
        set_str(o, "offsetMsgId", r->offset_msg_id);
        json_object_set_boolean_member(o, "success", r->success);
        set_str(o, "clientHost", r->client_host);
        break;
    case RMQ_TRACE_SUB_BEFORE:
        json_object_set_int_member(o, "timestamp", r->timestamp);
        set_str(o, "regionId", r->region_id);
        set_str(o, "group", r->group);
        set_str(o, "requestId", r->request_id);
        set_str(o, "msgId", r->msg_id);
        json_object_set_int_member(o, "retryTimes", r->retry_times);
        set_str(o, "keys", r->keys);
        break;
    case RMQ_TRACE_SUB_AFTER:
        set_str(o, "requestId", r->request_id);
        set_str(o, "msgId", r->msg_id);
        json_object_set_int_member(o, "costTime", r->cost_time);
        json_object_set_boolean_member(o, "success", r->success);
        set_str(o, "keys", r->keys);
        json_object_set_int_member(o, "contextCode", r->context_code);
        /* older writers leave time and group out (the decoder's time is
         * then its own clock): the page takes the SubBefore's */
        if (r->group != NULL) {
            json_object_set_int_member(o, "timestamp", r->timestamp);
            json_object_set_string_member(o, "group", r->group);
        }
        break;
    }
    return o;
}

JsonNode *
rmq_console_trace_decode(const gchar *data, gsize len)
{
    g_autoptr(GPtrArray) records = rmq_trace_decode(data, len);
    JsonArray *out = json_array_new();
    for (guint i = 0; i < records->len; i++)
        json_array_add_object_element(out, rmq_console_trace_json(records->pdata[i]));
    return rmq_json_node_take_array(out);
}

static gint
trace_rank(JsonObject *o)
{
    const gchar *t = json_object_get_string_member_with_default(o, "type", "");
    return strcmp(t, "Pub") == 0 ? 0 : strcmp(t, "EndTransaction") == 0 ? 1
                                   : strcmp(t, "SubBefore") == 0        ? 2
                                                                        : 3;
}

static gint
cmp_trace(gconstpointer a, gconstpointer b)
{
    JsonObject *x = json_node_get_object(*(JsonNode *const *) a);
    JsonObject *y = json_node_get_object(*(JsonNode *const *) b);
    gint64 tx = json_object_get_int_member_with_default(x, "timestamp", 0);
    gint64 ty = json_object_get_int_member_with_default(y, "timestamp", 0);
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return trace_rank(x) - trace_rank(y);
}

/* The trace records of message @id: the trace topic queried by the id as
 * key (the tracer keys each trace message with the traced msgId), the
 * records of that id, in time order (a SubAfter has the time of its
 * SubBefore when it has none of its own). */
static JsonNode *
api_trace(RmqConsoleCall *call, GError **error)
{
    const gchar *id = param_id(call, error);
    if (id == NULL)
        return NULL;
    const gchar *topic;
    if (!param_name_opt(call, "traceTopic", 127, &topic, error))
        return NULL;
    if (topic == NULL)
        topic = RMQ_TRACE_DEFAULT_TOPIC;
    g_autoptr(GError) local = NULL;
    g_autoptr(GPtrArray) msgs = rmq_admin_query_by_key(call->admin, topic, id, MAX_BROWSE, 0,
                                                       G_MAXINT64, &local);
    if (msgs == NULL) {
        if (rmq_console_http_status(local) == 404)
            g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND,
                        "no trace topic %s: message tracing is not on", topic);
        else
            g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    JsonArray *out = json_array_new();
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify) json_node_unref);
    for (guint i = 0; i < msgs->len; i++) {
        RmqMsg *m = msgs->pdata[i];
        gsize len = 0;
        const gchar *d = m->body ? g_bytes_get_data(m->body, &len) : NULL;
        if (d == NULL)
            continue;
        g_autoptr(JsonNode) recs = rmq_console_trace_decode(d, len);
        JsonArray *ra = json_node_get_array(recs);
        for (guint k = 0; k < json_array_get_length(ra); k++) {
            JsonObject *r = json_array_get_object_element(ra, k);
            if (g_strcmp0(json_object_get_string_member_with_default(r, "msgId", ""), id) != 0)
                continue;
            json_object_set_string_member(r, "traceMsgId", rmq_msg_get_msg_id(m));
            g_ptr_array_add(all, json_node_copy(json_array_get_element(ra, k)));
        }
    }
    /* a SubAfter without a time or group takes its SubBefore's */
    for (guint i = 0; i < all->len; i++) {
        JsonObject *r = json_node_get_object(all->pdata[i]);
        if (g_strcmp0(json_object_get_string_member(r, "type"), "SubAfter") != 0 ||
            json_object_has_member(r, "timestamp"))
            continue;
        for (guint k = 0; k < all->len; k++) {
            JsonObject *b = json_node_get_object(all->pdata[k]);
            if (g_strcmp0(json_object_get_string_member(b, "type"), "SubBefore") == 0 &&
                g_strcmp0(json_object_get_string_member_with_default(b, "requestId", ""),
                          json_object_get_string_member_with_default(r, "requestId", "?")) == 0) {
                json_object_set_int_member(r, "timestamp", json_object_get_int_member(b, "timestamp"));
                json_object_set_string_member(r, "group", json_object_get_string_member(b, "group"));
            }
        }
    }
    g_ptr_array_sort(all, cmp_trace);
    for (guint i = 0; i < all->len; i++)
        json_array_add_element(out, json_node_copy(all->pdata[i]));
    if (json_array_get_length(out) == 0) {
        json_array_unref(out);
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND,
                    "no trace of message %s in %s", id, topic);
        return NULL;
    }
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "msgId", id);
    json_object_set_string_member(o, "traceTopic", topic);
    json_object_set_array_member(o, "traces", out);
    return rmq_json_node_take_object(o);
}

/* ------------------------------------------------------------------ table */

static const RmqConsoleRoute routes[] = {
    { "GET", "/api/cluster", api_cluster },
    { "GET", "/api/broker", api_broker },
    { "GET", "/api/topics", api_topics },
    { "GET", "/api/topic", api_topic },
    { "POST", "/api/topic", api_topic_update },
    { "POST", "/api/topic/delete", api_topic_delete },
    { "GET", "/api/groups", api_groups },
    { "GET", "/api/group", api_group },
    { "POST", "/api/group/reset", api_group_reset },
    { "POST", "/api/group/delete", api_group_delete },
    { "GET", "/api/group/config", api_group_config },
    { "POST", "/api/group/config", api_group_config_update },
    { "GET", "/api/producers", api_producers },
    { "GET", "/api/dlq", api_dlq },
    { "GET", "/api/dlq/messages", api_dlq_messages },
    { "POST", "/api/dlq/resend", api_dlq_resend },
    { "GET", "/api/messages", api_messages },
    { "GET", "/api/message", api_message },
    { "POST", "/api/message/resend", api_message_resend },
    { "POST", "/api/topic/send", api_topic_send },
    { "GET", "/api/topic/consumers", api_topic_consumers },
    { "GET", "/api/group/client", api_group_client },
    { "POST", "/api/group/skip", api_group_skip },
    { "GET", "/api/namesrv", api_namesrv },
    { "POST", "/api/namesrv", NULL }, /* on the main loop (console.c) */
    { "GET", "/api/charts", NULL },   /* the console's own samples (console.c) */
    { "GET", "/api/trace", api_trace },
    /* acl.c */
    { "GET", "/api/acl", rmq_console_api_acl },
    { "POST", "/api/acl", rmq_console_api_acl_update },
    { "POST", "/api/acl/delete", rmq_console_api_acl_delete },
};

const RmqConsoleRoute *
rmq_console_api_find(const gchar *method, const gchar *path, gboolean *path_known)
{
    *path_known = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(routes); i++) {
        if (strcmp(routes[i].path, path) != 0)
            continue;
        *path_known = TRUE;
        if (strcmp(routes[i].method, method) == 0)
            return &routes[i];
    }
    return NULL;
}
