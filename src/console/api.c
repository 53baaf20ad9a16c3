/* The JSON API under /api/ (README "rmq-console"): each handler runs in a
 * worker thread with its own RmqAdmin and returns a JSON document, or an
 * error whose code is the HTTP status (RMQ_CONSOLE_ERROR) or a client error
 * (RMQ_MQ_ERROR, mapped by rmq_console_http_status()). */
#include <config.h>

#include "console/console.h"
#include "console/acl.h"

#include <stdlib.h>
#include <string.h>

#include "remoting/codes.h"
#include "remoting/json_body.h"

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

static JsonNode *
api_topic(RmqConsoleCall *call, GError **error)
{
    const gchar *topic = param_name(call, "topic", 127, TRUE, error);
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
    json_object_set_member(o, "route", g_steal_pointer(&route));
    json_object_set_member(o, "queues", g_steal_pointer(&status));
    json_object_set_double_member(o, "putTps", topic_put_tps(call, topic));
    return rmq_json_node_take_object(o);
}

static JsonNode *
api_topic_update(RmqConsoleCall *call, GError **error)
{
    const gchar *topic = param_name(call, "topic", 127, TRUE, error);
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
    const gchar *topic = param_name(call, "topic", 127, TRUE, error);
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
        g_autoptr(GError) local = NULL;
        g_autoptr(JsonNode) p = rmq_admin_consumer_progress(call->admin, g, NULL, &local);
        if (p != NULL) {
            JsonObject *po = json_node_get_object(p);
            json_object_set_int_member(row, "diffTotal", json_object_get_int_member(po, "diffTotal"));
            json_object_set_double_member(row, "consumeTps",
                                          json_object_get_double_member(po, "consumeTps"));
            json_object_set_int_member(
                row, "queues", json_array_get_length(json_object_get_array_member(po, "queues")));
        } else {
            json_object_set_null_member(row, "diffTotal");
        }
        json_object_set_int_member(row, "members", online_members(call->admin, g));
        json_array_add_object_element(out, row);
    }
    JsonObject *o = json_object_new();
    json_object_set_array_member(o, "groups", out);
    return rmq_json_node_take_object(o);
}

static JsonNode *
api_group(RmqConsoleCall *call, GError **error)
{
    const gchar *group = param_name(call, "group", 255, TRUE, error);
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

static JsonNode *
api_group_reset(RmqConsoleCall *call, GError **error)
{
    const gchar *group = param_name(call, "group", 255, TRUE, error);
    if (group == NULL)
        return NULL;
    const gchar *topic = param_name(call, "topic", 127, TRUE, error);
    if (topic == NULL)
        return NULL;
    gint64 ts;
    if (!param_time(call, "timestamp", -1, &ts, error))
        return NULL;
    JsonNode *r = rmq_admin_reset_offset_by_time(call->admin, group, topic, ts, error);
    if (r == NULL)
        return NULL;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "group", group);
    json_object_set_string_member(o, "topic", topic);
    json_object_set_int_member(o, "timestamp", ts);
    json_object_set_member(o, "queues", r);
    return rmq_json_node_take_object(o);
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
    const gchar *group = param_name(call, "group", 255, TRUE, error);
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
    const gchar *group = param_name(call, "group", 255, TRUE, error);
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
    const gchar *group = param_name(call, "group", 255, TRUE, error);
    if (group == NULL)
        return NULL;
    const gchar *topic = param_name(call, "topic", 127, TRUE, error);
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
    const gchar *group = param_name(call, "group", 255, TRUE, error);
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

static JsonNode *
api_messages(RmqConsoleCall *call, GError **error)
{
    const gchar *topic = param_name(call, "topic", 127, TRUE, error);
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
        msgs = browse_by_time(call, topic, begin, end, error);
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

/* The message with @id: an offset id, or with @topic also a UNIQ_KEY (the
 * broker indexes it as a key). */
static RmqMsg *
find_message(RmqConsoleCall *call, const gchar *id, const gchar *topic, GError **error)
{
    g_autoptr(GError) view_err = NULL;
    RmqMsg *m = rmq_admin_view_message(call->admin, id, &view_err);
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
    return rmq_msg_to_json(m);
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
    const gchar *group = param_name(call, "group", 255, TRUE, error);
    if (group == NULL)
        return NULL;
    const gchar *topic;
    if (!param_name_opt(call, "topic", 127, &topic, error))
        return NULL;
    g_autoptr(RmqMsg) m = find_message(call, id, topic, error);
    if (m == NULL)
        return NULL;
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
    g_hash_table_iter_init(&it, dead->properties);
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
    const gchar *group = param_name(call, "group", 255, TRUE, error);
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
    const gchar *group = param_name(call, "group", 255, TRUE, error);
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
    JsonArray *results = json_array_new();
    guint ok = 0;
    for (guint i = 0; i < n; i++) {
        JsonObject *r = json_object_new();
        json_object_set_string_member(r, "id", list[i]);
        g_autoptr(GError) local = NULL;
        g_autoptr(RmqMsg) dead = rmq_admin_view_message(call->admin, list[i], &local);
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
