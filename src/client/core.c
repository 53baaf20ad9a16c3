/* Name-server access, route cache and error mapping shared by the
 * producer, consumer and admin objects. */
#include <config.h>

#include "client/internal.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "acl/sign.h"
#include "model/message_properties.h"
#include "store/message_format.h"
#include "remoting/fd_poller.h"
#include "remoting/json_body.h"
#include "remoting/tls.h"

G_DEFINE_QUARK(rmq-mq-error-quark, rmq_mq_error)

static void
queue_data_free(gpointer p)
{
    RmqQueueData *q = p;
    g_free(q->broker_name);
    g_free(q);
}

static void
broker_data_free(gpointer p)
{
    RmqBrokerData *b = p;
    g_free(b->broker_name);
    g_free(b->cluster);
    g_hash_table_unref(b->addrs);
    g_free(b);
}

void
rmq_route_free(RmqRoute *r)
{
    if (r == NULL)
        return;
    g_ptr_array_unref(r->queue_datas);
    g_ptr_array_unref(r->broker_datas);
    if (r->raw)
        json_node_unref(r->raw);
    g_free(r);
}

RmqRoute *
rmq_route_parse(const guint8 *data, gsize len, GError **error)
{
    g_autoptr(GError) local = NULL;
    JsonNode *root = rmq_json_parse_lenient((const char *) data, (gssize) len, &local);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL, "route data is not JSON: %s",
                    local ? local->message : "not an object");
        if (root)
            json_node_unref(root);
        return NULL;
    }
    RmqRoute *r = g_new0(RmqRoute, 1);
    r->raw = root;
    r->queue_datas = g_ptr_array_new_with_free_func(queue_data_free);
    r->broker_datas = g_ptr_array_new_with_free_func(broker_data_free);
    JsonObject *o = json_node_get_object(root);
    JsonArray *qds = rmq_json_object_get_array_or_null(o, "queueDatas");
    for (guint i = 0; qds && i < json_array_get_length(qds); i++) {
        JsonObject *q = json_array_get_object_element(qds, i);
        if (q == NULL)
            continue;
        RmqQueueData *qd = g_new0(RmqQueueData, 1);
        qd->broker_name = g_strdup(rmq_json_object_get_string_or(q, "brokerName", ""));
        qd->perm = rmq_json_object_get_int32_or(q, "perm", 0);
        qd->read_queue_nums = rmq_json_object_get_int32_or(q, "readQueueNums", 0);
        qd->write_queue_nums = rmq_json_object_get_int32_or(q, "writeQueueNums", 0);
        g_ptr_array_add(r->queue_datas, qd);
    }
    JsonArray *bds = rmq_json_object_get_array_or_null(o, "brokerDatas");
    for (guint i = 0; bds && i < json_array_get_length(bds); i++) {
        JsonObject *b = json_array_get_object_element(bds, i);
        if (b == NULL)
            continue;
        RmqBrokerData *bd = g_new0(RmqBrokerData, 1);
        bd->broker_name = g_strdup(rmq_json_object_get_string_or(b, "brokerName", ""));
        bd->cluster = g_strdup(rmq_json_object_get_string_or(b, "cluster", ""));
        bd->addrs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        JsonObject *addrs = rmq_json_object_get_object_or_null(b, "brokerAddrs");
        if (addrs) {
            g_autoptr(GList) names = json_object_get_members(addrs);
            for (GList *l = names; l; l = l->next) {
                const gchar *v = rmq_json_object_get_string_or(addrs, l->data, NULL);
                if (v)
                    g_hash_table_insert(bd->addrs, g_strdup(l->data), g_strdup(v));
            }
        }
        g_ptr_array_add(r->broker_datas, bd);
    }
    return r;
}

static const RmqBrokerData *
route_broker(const RmqRoute *r, const gchar *broker_name)
{
    for (guint i = 0; i < r->broker_datas->len; i++) {
        const RmqBrokerData *b = g_ptr_array_index(r->broker_datas, i);
        if (g_strcmp0(b->broker_name, broker_name) == 0)
            return b;
    }
    return NULL;
}

const gchar *
rmq_route_master_addr(const RmqRoute *r, const gchar *broker_name)
{
    const RmqBrokerData *b = route_broker(r, broker_name);
    return b ? g_hash_table_lookup(b->addrs, "0") : NULL;
}

const gchar *
rmq_route_any_addr(const RmqRoute *r, const gchar *broker_name)
{
    const RmqBrokerData *b = route_broker(r, broker_name);
    if (b == NULL)
        return NULL;
    const gchar *m = g_hash_table_lookup(b->addrs, "0");
    if (m)
        return m;
    const gchar *best = NULL;
    gint64 best_id = G_MAXINT64;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, b->addrs);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        gint64 id = g_ascii_strtoll(k, NULL, 10);
        if (id < best_id) {
            best_id = id;
            best = v;
        }
    }
    return best;
}

static gchar *
local_ip(void)
{
    struct ifaddrs *ifs = NULL;
    gchar *found = NULL;
    if (getifaddrs(&ifs) == 0) {
        for (struct ifaddrs *i = ifs; i && !found; i = i->ifa_next) {
            if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
                continue;
            struct sockaddr_in *sa = (struct sockaddr_in *) i->ifa_addr;
            if ((ntohl(sa->sin_addr.s_addr) >> 24) == 127)
                continue;
            char buf[INET_ADDRSTRLEN];
            if (inet_ntop(AF_INET, &sa->sin_addr, buf, sizeof buf))
                found = g_strdup(buf);
        }
        freeifaddrs(ifs);
    }
    return found ? found : g_strdup("127.0.0.1");
}

/* rmq_instance_set_default_tls(): the context new instances take. */
static GMutex default_tls_lock;
static RmqTlsContext *default_tls;

RmqMsg *
rmq_mq_reply_from_push(const RmqCommand *push, GError **error)
{
    const gchar *topic = rmq_command_get_ext(push, "topic");
    RmqMsg *m = rmq_msg_new(topic != NULL ? topic : "", NULL, 0);
    gint32 sys_flag = 0;
    rmq_command_get_ext_int32(push, "sysFlag", &sys_flag);
    gsize len = 0;
    const guint8 *data = push->body != NULL ? g_bytes_get_data(push->body, &len) : NULL;
    if ((sys_flag & RMQ_SYSFLAG_COMPRESSED) && len > 0) {
        GBytes *b = rmq_mq_inflate_body(data, len, error);
        if (b == NULL) {
            rmq_msg_free(m);
            return NULL;
        }
        g_bytes_unref(m->body);
        m->body = b;
    } else if (push->body != NULL) {
        g_bytes_unref(m->body);
        m->body = g_bytes_ref(push->body);
    }
    m->sys_flag = sys_flag;
    rmq_command_get_ext_int32(push, "queueId", &m->queue_id);
    rmq_command_get_ext_int32(push, "flag", &m->flag);
    rmq_command_get_ext_int64(push, "storeTimestamp", &m->store_timestamp);
    rmq_command_get_ext_int64(push, "bornTimestamp", &m->born_timestamp);
    rmq_command_get_ext_int32(push, "reconsumeTimes", &m->reconsume_times);
    m->born_host = g_strdup(rmq_command_get_ext(push, "bornHost"));
    m->store_host = g_strdup(rmq_command_get_ext(push, "storeHost"));
    const gchar *props = rmq_command_get_ext(push, "properties");
    if (props != NULL) {
        if (m->props_table != NULL)
            g_hash_table_unref(m->props_table);
        m->props_table = rmq_message_properties_parse(props, strlen(props));
    }
    g_autofree gchar *now = g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time() / 1000);
    rmq_msg_put_property(m, RMQ_PROPERTY_ARRIVE_TIME, now);
    return m;
}

/* Requests a broker sends on the instance's connections (Java's
 * ClientRemotingProcessor). PUSH_REPLY_MESSAGE_TO_CLIENT goes to the
 * waiting rmq_producer_request() of its CORRELATION_ID; one nobody waits
 * for any more is answered SUCCESS all the same and logged, as Java does.
 * Other codes are dropped unanswered, as before this dispatch existed. */
static void
on_peer_request(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqMqCore *core = user_data;
    if (req->code != RMQ_REQUEST_PUSH_REPLY_MESSAGE_TO_CLIENT) {
        rmq_mq_core_on_request(conn, req, user_data); /* the consumers' requests */
        return;
    }
    g_autoptr(GError) err = NULL;
    RmqMsg *m = rmq_mq_reply_from_push(req, &err);
    gint32 code = RMQ_RESPONSE_SUCCESS;
    const gchar *remark = NULL;
    if (m == NULL) {
        g_message("reply message from %s unreadable: %s", rmq_connection_get_peer(conn),
                  err->message);
        code = RMQ_RESPONSE_SYSTEM_ERROR;
        remark = "process reply message fail";
    } else {
        const gchar *corr = rmq_msg_get_property(m, RMQ_PROPERTY_CORRELATION_ID);
        RmqReplyWaiter *w = corr != NULL ? g_hash_table_lookup(core->reply_waiters, corr) : NULL;
        if (w != NULL && w->reply == NULL) {
            w->reply = m;
            g_hash_table_remove(core->reply_waiters, corr);
        } else {
            g_message("receive reply message, but not matched any request, CorrelationId: %s , "
                      "reply from host: %s", corr != NULL ? corr : "null",
                      m->born_host != NULL ? m->born_host : "");
            rmq_msg_free(m);
        }
    }
    RmqCommand *resp = rmq_command_new_response(req, code, remark);
    rmq_connection_send_response(conn, req, resp);
    rmq_command_free(req);
}

RmqInstance *
rmq_instance_new(const gchar *namesrv_addrs, GMainContext *context)
{
    RmqMqCore *core = g_new0(RmqMqCore, 1);
    core->ref_count = 1;
    core->context = context ? g_main_context_ref(context) : g_main_context_new();
    if (context == NULL) {
        /* A private context polls only its connections: one epoll_wait per
         * wake-up instead of poll() and then epoll_wait (fd_poller.h), one
         * system call less per synchronous send. */
        core->poller = rmq_fd_poller_get(core->context);
        rmq_fd_poller_own_poll(core->poller);
    }
    core->client = rmq_client_new(core->context);
    core->reply_waiters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    rmq_client_set_request_handler(core->client, on_peer_request, core);
    g_mutex_lock(&default_tls_lock);
    if (default_tls != NULL)
        rmq_client_set_tls(core->client, default_tls);
    g_mutex_unlock(&default_tls_lock);
    if (namesrv_addrs == NULL || *namesrv_addrs == '\0')
        namesrv_addrs = g_getenv("NAMESRV_ADDR");
    g_autoptr(GPtrArray) list = g_ptr_array_new();
    g_auto(GStrv) parts = g_strsplit_set(namesrv_addrs ? namesrv_addrs : "", ";, ", -1);
    for (guint i = 0; parts[i]; i++)
        if (*parts[i])
            g_ptr_array_add(list, g_strdup(parts[i]));
    g_ptr_array_add(list, NULL);
    core->namesrvs = (gchar **) g_ptr_array_free(g_steal_pointer(&list), FALSE);
    guint n = g_strv_length(core->namesrvs);
    core->ns_index = n > 1 ? (guint) g_random_int_range(0, (gint32) n) : 0;
    core->routes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) rmq_route_free);
    core->client_ip = local_ip();
    core->client_id = g_strdup_printf("%s@%d#%" G_GINT64_FORMAT, core->client_ip, (int) getpid(),
                                      g_get_monotonic_time());
    return core;
}

RmqInstance *
rmq_instance_ref(RmqInstance *core)
{
    g_return_val_if_fail(core != NULL, NULL);
    g_atomic_int_inc(&core->ref_count);
    return core;
}

void
rmq_instance_unref(RmqInstance *core)
{
    if (core == NULL || !g_atomic_int_dec_and_test(&core->ref_count))
        return;
    g_clear_pointer(&core->client, rmq_client_free);
    g_clear_pointer(&core->poller, rmq_fd_poller_unref);
    g_clear_pointer(&core->routes, g_hash_table_unref);
    g_clear_pointer(&core->reply_waiters, g_hash_table_unref);
    g_clear_pointer(&core->namesrvs, g_strfreev);
    g_clear_pointer(&core->client_id, g_free);
    g_clear_pointer(&core->client_ip, g_free);
    g_clear_pointer(&core->access_key, g_free);
    if (core->secret_key != NULL)
        memset(core->secret_key, 0, strlen(core->secret_key));
    g_clear_pointer(&core->secret_key, g_free);
    g_clear_pointer(&core->security_token, g_free);
    g_clear_pointer(&core->context, g_main_context_unref);
    g_free(core);
}

GMainContext *
rmq_instance_get_context(RmqInstance *core)
{
    g_return_val_if_fail(core != NULL, NULL);
    return core->context;
}

const gchar *
rmq_instance_get_client_id(RmqInstance *core)
{
    g_return_val_if_fail(core != NULL, NULL);
    return core->client_id;
}

/* The RmqClient's request hook: every request, to any peer, is signed. */
static void
sign_request(RmqCommand *request, gpointer user_data)
{
    RmqMqCore *core = user_data;
    if (core->access_key != NULL)
        rmq_acl_sign_request(request, core->access_key, core->secret_key, core->security_token);
}

void
rmq_instance_set_credentials(RmqInstance *core, const gchar *access_key, const gchar *secret_key,
                             const gchar *security_token)
{
    g_return_if_fail(core != NULL);
    g_return_if_fail(access_key == NULL || secret_key != NULL);
    g_free(core->access_key);
    if (core->secret_key != NULL)
        memset(core->secret_key, 0, strlen(core->secret_key));
    g_free(core->secret_key);
    g_free(core->security_token);
    core->access_key = g_strdup(access_key);
    core->secret_key = access_key != NULL ? g_strdup(secret_key) : NULL;
    core->security_token = access_key != NULL ? g_strdup(security_token) : NULL;
    rmq_client_set_request_hook(core->client, access_key != NULL ? sign_request : NULL, core);
}

static RmqTlsContext *
client_tls_context(gboolean verify, const gchar *trust_cert_path, const gchar *cert_path,
                   const gchar *key_path, const gchar *key_password, GError **error)
{
    RmqTlsOptions o = {
        .key_prefix = "tlsClient",
        .auth_peer = verify,
        .cert_path = cert_path,
        .key_path = key_path,
        .key_password = key_password,
        .trust_cert_path = trust_cert_path,
    };
    return rmq_tls_context_new_client(&o, error);
}

gboolean
rmq_instance_set_default_tls(gboolean verify, const gchar *trust_cert_path,
                             const gchar *cert_path, const gchar *key_path,
                             const gchar *key_password, GError **error)
{
    RmqTlsContext *ctx =
        client_tls_context(verify, trust_cert_path, cert_path, key_path, key_password, error);
    if (ctx == NULL)
        return FALSE;
    g_mutex_lock(&default_tls_lock);
    RmqTlsContext *old = default_tls;
    default_tls = ctx;
    g_mutex_unlock(&default_tls_lock);
    if (old != NULL)
        rmq_tls_context_unref(old);
    return TRUE;
}

gboolean
rmq_instance_set_tls(RmqInstance *core, gboolean verify, const gchar *trust_cert_path,
                     const gchar *cert_path, const gchar *key_path, const gchar *key_password,
                     GError **error)
{
    g_return_val_if_fail(core != NULL, FALSE);
    g_autoptr(RmqTlsContext) ctx =
        client_tls_context(verify, trust_cert_path, cert_path, key_path, key_password, error);
    if (ctx == NULL)
        return FALSE;
    rmq_client_set_tls(core->client, ctx);
    return TRUE;
}

static RmqCommand *
copy_request(const RmqCommand *req)
{
    RmqCommand *c = rmq_command_new_request(req->code);
    for (guint i = 0; i < rmq_command_get_n_ext(req); i++) {
        const RmqExtField *f = rmq_command_get_ext_field(req, i);
        rmq_command_set_ext(c, f->key, f->value);
    }
    if (req->body)
        rmq_command_set_body(c, req->body);
    return c;
}

RmqCommand *
rmq_mq_core_invoke_ns(RmqMqCore *core, RmqCommand *request, GError **error)
{
    g_autoptr(RmqCommand) req = request;
    guint n = g_strv_length(core->namesrvs);
    if (n == 0) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NAMESRV_UNREACHABLE,
                    "no name server address (use -n or NAMESRV_ADDR)");
        return NULL;
    }
    g_autoptr(GString) tried = g_string_new(NULL);
    for (guint k = 0; k < n; k++) {
        guint idx = (core->ns_index + k) % n;
        const gchar *addr = core->namesrvs[idx];
        g_autoptr(GError) err = NULL;
        RmqCommand *resp = rmq_client_invoke_sync(core->client, addr, copy_request(req),
                                                  RMQ_MQ_NS_TIMEOUT_MS, &err);
        if (resp) {
            core->ns_index = idx;
            return resp;
        }
        g_string_append_printf(tried, "%s%s", tried->len ? "; " : "", err->message);
    }
    g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NAMESRV_UNREACHABLE,
                "name server unreachable (%s)", tried->str);
    return NULL;
}

void
rmq_mq_set_transport(GError **error, const gchar *addr, const GError *cause)
{
    gboolean timeout = g_error_matches(cause, RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_TIMEOUT);
    g_set_error(error, RMQ_MQ_ERROR,
                timeout ? RMQ_MQ_ERROR_TIMEOUT : RMQ_MQ_ERROR_BROKER_UNREACHABLE,
                "%s%s%s", g_str_has_prefix(cause->message, addr) ? "" : addr,
                g_str_has_prefix(cause->message, addr) ? "" : ": ", cause->message);
}

RmqCommand *
rmq_mq_core_invoke(RmqMqCore *core, const gchar *addr, RmqCommand *request, guint timeout_ms,
                   GError **error)
{
    g_autoptr(GError) err = NULL;
    RmqCommand *resp = rmq_client_invoke_sync(core->client, addr, request, timeout_ms, &err);
    if (resp == NULL)
        rmq_mq_set_transport(error, addr, err);
    return resp;
}

void
rmq_mq_set_refused(GError **error, const gchar *addr, const RmqCommand *resp)
{
    const gchar *name = rmq_response_code_name(resp->code);
    gint code = resp->code == RMQ_RESPONSE_TOPIC_NOT_EXIST ? RMQ_MQ_ERROR_TOPIC_NOT_EXIST
                                                            : RMQ_MQ_ERROR_BROKER_REFUSED;
    g_set_error(error, RMQ_MQ_ERROR, code, "%s refused: code %d (%s)%s%s", addr, resp->code,
                name ? name : "?", resp->remark ? ": " : "", resp->remark ? resp->remark : "");
}

const RmqRoute *
rmq_mq_core_route(RmqMqCore *core, const gchar *topic, gboolean force, GError **error)
{
    RmqRoute *cached = g_hash_table_lookup(core->routes, topic);
    gint64 now = g_get_monotonic_time();
    if (cached && !force && now - cached->fetched_us < RMQ_MQ_ROUTE_TTL_US)
        return cached;
    RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC);
    rmq_command_set_ext(req, "topic", topic);
    rmq_command_set_ext(req, "acceptStandardJsonOnly", "true");
    g_autoptr(GError) err = NULL;
    g_autoptr(RmqCommand) resp = rmq_mq_core_invoke_ns(core, req, &err);
    if (resp == NULL) {
        /* A stale route beats none while the name servers are away. */
        if (cached)
            return cached;
        g_propagate_error(error, g_steal_pointer(&err));
        return NULL;
    }
    /* A name server that does not know the topic's brokers yet (it
     * restarted, they have not registered again) must not make a client
     * forget a route it had: a producer would fall back to the default
     * topic and create the topic on another broker. Java keeps its route
     * when an update fails; so does this. */
    if (resp->code == RMQ_RESPONSE_TOPIC_NOT_EXIST && cached)
        return cached;
    if (resp->code != RMQ_RESPONSE_SUCCESS) {
        g_hash_table_remove(core->routes, topic);
        if (resp->code == RMQ_RESPONSE_TOPIC_NOT_EXIST)
            g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TOPIC_NOT_EXIST,
                        "topic not found: %s", topic);
        else
            rmq_mq_set_refused(error, core->namesrvs[core->ns_index], resp);
        return NULL;
    }
    gsize len = 0;
    const guint8 *data = resp->body ? g_bytes_get_data(resp->body, &len) : NULL;
    RmqRoute *r = rmq_route_parse(data ? data : (const guint8 *) "", len, error);
    if (r == NULL)
        return NULL;
    r->fetched_us = now;
    g_hash_table_replace(core->routes, g_strdup(topic), r);
    return r;
}

void
rmq_mq_core_forget_route(RmqMqCore *core, const gchar *topic)
{
    g_hash_table_remove(core->routes, topic);
}

JsonNode *
rmq_mq_json_body(const RmqCommand *resp, GError **error)
{
    if (resp->body == NULL || g_bytes_get_size(resp->body) == 0) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL, "response has no body");
        return NULL;
    }
    gsize len;
    const guint8 *data = g_bytes_get_data(resp->body, &len);
    return rmq_mq_parse_fastjson(data, len, error);
}

GBytes *
rmq_mq_heartbeat_body(const gchar *client_id, const gchar *producer_group,
                      const gchar *consumer_group, const gchar *topic)
{
    return rmq_mq_heartbeat_body_sub(client_id, producer_group, consumer_group, topic, "TAG",
                                     "*");
}

GBytes *
rmq_mq_heartbeat_body_sub(const gchar *client_id, const gchar *producer_group,
                          const gchar *consumer_group, const gchar *topic,
                          const gchar *expression_type, const gchar *sub_string)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "clientID");
    json_builder_add_string_value(b, client_id);
    json_builder_set_member_name(b, "consumerDataSet");
    json_builder_begin_array(b);
    if (consumer_group) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "consumeFromWhere");
        json_builder_add_string_value(b, "CONSUME_FROM_LAST_OFFSET");
        json_builder_set_member_name(b, "consumeType");
        json_builder_add_string_value(b, "CONSUME_ACTIVELY");
        json_builder_set_member_name(b, "groupName");
        json_builder_add_string_value(b, consumer_group);
        json_builder_set_member_name(b, "messageModel");
        json_builder_add_string_value(b, "CLUSTERING");
        json_builder_set_member_name(b, "subscriptionDataSet");
        json_builder_begin_array(b);
        if (topic) {
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "classFilterMode");
            json_builder_add_boolean_value(b, FALSE);
            json_builder_set_member_name(b, "codeSet");
            json_builder_begin_array(b);
            json_builder_end_array(b);
            json_builder_set_member_name(b, "expressionType");
            json_builder_add_string_value(b, expression_type);
            json_builder_set_member_name(b, "subString");
            json_builder_add_string_value(b, sub_string);
            json_builder_set_member_name(b, "subVersion");
            json_builder_add_int_value(b, g_get_real_time() / 1000);
            json_builder_set_member_name(b, "tagsSet");
            json_builder_begin_array(b);
            json_builder_end_array(b);
            json_builder_set_member_name(b, "topic");
            json_builder_add_string_value(b, topic);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_set_member_name(b, "unitMode");
        json_builder_add_boolean_value(b, FALSE);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "producerDataSet");
    json_builder_begin_array(b);
    if (producer_group) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "groupName");
        json_builder_add_string_value(b, producer_group);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    gchar *text = rmq_json_to_string(root, FALSE);
    return g_bytes_new_take(text, strlen(text));
}
