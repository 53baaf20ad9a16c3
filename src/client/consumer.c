/* Pull consumer: subscribe queues from the route, PULL_MESSAGE with
 * optional long polling, client-side tag filtering, offsets (docs/protocol.md §10, §9.2). */
#include <config.h>

#include "client/internal.h"

#include <string.h>

#include "model/message_properties.h"
#include "remoting/json_body.h"
#include "remoting/json_text.h"

#define PULL_FLAG_COMMIT_OFFSET 0x1
#define PULL_FLAG_SUSPEND 0x2
#define PULL_FLAG_SUBSCRIPTION 0x4

/* What the consumer knows of one queue: offsets it pulled and committed,
 * and an offset an admin reset pushed (RESET_CONSUMER_CLIENT_OFFSET). */
typedef struct {
    gchar *topic;
    gchar *broker_name;
    gint queue_id;
    gint64 next_offset;   /* where the last pull said to go on, -1 unknown */
    gint64 commit_offset; /* last committed by this consumer, -1 none */
    gint64 reset_offset;  /* pushed by a broker, not yet seen by a pull; -1 none */
    gint64 last_pull_ms;
} QueueState;

struct _RmqConsumer {
    RmqMqCore *core;       /* shared by every user of one RmqInstance */
    gchar *group;
    GHashTable *heartbeat; /* addrs we registered with */
    RmqTraceDispatcher *trace; /* rmq_consumer_enable_trace(), else NULL */
    gchar *expression_type; /* "TAG" or "SQL92" */
    gchar *sub_string;      /* what heartbeats report */
    GHashTable *queues;    /* "topic\nbroker\nqid" -> QueueState */
    GHashTable *topics;    /* topics heartbeated (the subscription) */
    gint64 start_ms;
};

static void
queue_state_free(gpointer p)
{
    QueueState *q = p;
    g_free(q->topic);
    g_free(q->broker_name);
    g_free(q);
}

static QueueState *
queue_state(RmqConsumer *c, const gchar *topic, const gchar *broker_name, gint queue_id)
{
    g_autofree gchar *key = g_strdup_printf("%s\n%s\n%d", topic, broker_name, queue_id);
    QueueState *q = g_hash_table_lookup(c->queues, key);
    if (q == NULL) {
        q = g_new0(QueueState, 1);
        q->topic = g_strdup(topic);
        q->broker_name = g_strdup(broker_name);
        q->queue_id = queue_id;
        q->next_offset = q->commit_offset = q->reset_offset = -1;
        g_hash_table_insert(c->queues, g_steal_pointer(&key), q);
    }
    return q;
}

RmqConsumer *
rmq_consumer_new(const gchar *group, const gchar *namesrv_addrs, GMainContext *context)
{
    g_autoptr(RmqInstance) inst = rmq_instance_new(namesrv_addrs, context);
    return rmq_consumer_new_on(inst, group);
}

RmqConsumer *
rmq_consumer_new_on(RmqInstance *inst, const gchar *group)
{
    g_return_val_if_fail(inst != NULL, NULL);
    RmqConsumer *c = g_new0(RmqConsumer, 1);
    c->core = rmq_instance_ref(inst);
    c->group = g_strdup(group ? group : "DEFAULT_CONSUMER");
    c->heartbeat = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->expression_type = g_strdup("TAG");
    c->sub_string = g_strdup("*");
    c->queues = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, queue_state_free);
    c->topics = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->start_ms = g_get_real_time() / 1000;
    c->core->consumers = g_list_prepend(c->core->consumers, c);
    return c;
}

void
rmq_consumer_set_subscription(RmqConsumer *c, const gchar *type, const gchar *expression)
{
    g_return_if_fail(c != NULL);
    g_free(c->expression_type);
    g_free(c->sub_string);
    c->expression_type = g_strdup(type != NULL && *type != '\0' ? type : "TAG");
    c->sub_string = g_strdup(expression != NULL && *expression != '\0' ? expression : "*");
}

static gboolean
is_tag_type(const RmqConsumer *c)
{
    return g_ascii_strcasecmp(c->expression_type, "TAG") == 0;
}

void
rmq_consumer_free(RmqConsumer *c)
{
    if (c == NULL)
        return;
    GHashTableIter it;
    gpointer addr;
    g_hash_table_iter_init(&it, c->heartbeat);
    while (g_hash_table_iter_next(&it, &addr, NULL)) {
        RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_UNREGISTER_CLIENT);
        rmq_command_set_ext(req, "clientID", c->core->client_id);
        rmq_command_set_ext(req, "consumerGroup", c->group);
        g_autoptr(RmqCommand) resp = rmq_client_invoke_sync(c->core->client, addr, req, 1000, NULL);
    }
    g_clear_pointer(&c->trace, rmq_trace_dispatcher_free);
    g_hash_table_unref(c->heartbeat);
    g_free(c->expression_type);
    g_free(c->sub_string);
    g_hash_table_unref(c->queues);
    g_hash_table_unref(c->topics);
    c->core->consumers = g_list_remove(c->core->consumers, c);
    g_free(c->group);
    rmq_instance_unref(c->core);
    g_free(c);
}

GPtrArray *
rmq_consumer_fetch_subscribe_queues(RmqConsumer *c, const gchar *topic, GError **error)
{
    const RmqRoute *r = rmq_mq_core_route(c->core, topic, TRUE, error);
    if (r == NULL)
        return NULL;
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_queue_free);
    for (guint i = 0; i < r->queue_datas->len; i++) {
        const RmqQueueData *qd = g_ptr_array_index(r->queue_datas, i);
        if (!(qd->perm & RMQ_MQ_PERM_READ))
            continue;
        for (gint q = 0; q < qd->read_queue_nums; q++)
            g_ptr_array_add(out, rmq_queue_new(topic, qd->broker_name, q));
    }
    return out;
}

/* Master when present, else any replica (docs/protocol.md §9.2). (transfer full) */
static gchar *
queue_addr(RmqConsumer *c, const RmqQueue *mq, GError **error)
{
    const RmqRoute *r = rmq_mq_core_route(c->core, mq->topic, FALSE, error);
    if (r == NULL)
        return NULL;
    const gchar *addr = rmq_route_any_addr(r, mq->broker_name);
    if (addr == NULL) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NOT_FOUND,
                    "broker %s is not in the route of %s", mq->broker_name, mq->topic);
        return NULL;
    }
    return g_strdup(addr);
}

/* @code with @body to every address of every broker of @topic's route,
 * each of which must answer SUCCESS; the addresses that did go into
 * @answered (a set, may be NULL). FALSE at the first that fails or refuses. */
static gboolean
invoke_route(RmqConsumer *c, const gchar *topic, gint32 code, GBytes *body,
             GHashTable *answered, GError **error)
{
    const RmqRoute *r = rmq_mq_core_route(c->core, topic, TRUE, error);
    if (r == NULL)
        return FALSE;
    for (guint i = 0; i < r->broker_datas->len; i++) {
        const RmqBrokerData *b = g_ptr_array_index(r->broker_datas, i);
        GHashTableIter it;
        gpointer addr;
        g_hash_table_iter_init(&it, b->addrs);
        while (g_hash_table_iter_next(&it, NULL, &addr)) {
            RmqCommand *req = rmq_command_new_request(code);
            rmq_command_set_body(req, body);
            g_autoptr(RmqCommand) resp = rmq_mq_core_invoke(c->core, addr, req, 3000, error);
            if (resp == NULL)
                return FALSE;
            if (resp->code != RMQ_RESPONSE_SUCCESS) {
                rmq_mq_set_refused(error, addr, resp);
                return FALSE;
            }
            if (answered != NULL)
                g_hash_table_add(answered, g_strdup(addr));
        }
    }
    return TRUE;
}

gboolean
rmq_consumer_heartbeat(RmqConsumer *c, const gchar *topic, GError **error)
{
    g_autoptr(GBytes) body = rmq_mq_heartbeat_body_sub(c->core->client_id, NULL, c->group, topic,
                                                       c->expression_type, c->sub_string);
    if (!invoke_route(c, topic, RMQ_REQUEST_HEART_BEAT, body, c->heartbeat, error))
        return FALSE;
    g_hash_table_add(c->topics, g_strdup(topic));
    return TRUE;
}

gboolean
rmq_consumer_check_subscription(RmqConsumer *c, const gchar *topic, GError **error)
{
    /* Java's CheckClientRequestBody */
    g_autoptr(JsonBuilder) jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "clientId");
    json_builder_add_string_value(jb, c->core->client_id);
    json_builder_set_member_name(jb, "group");
    json_builder_add_string_value(jb, c->group);
    json_builder_set_member_name(jb, "subscriptionData");
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "classFilterMode");
    json_builder_add_boolean_value(jb, FALSE);
    json_builder_set_member_name(jb, "expressionType");
    json_builder_add_string_value(jb, c->expression_type);
    json_builder_set_member_name(jb, "subString");
    json_builder_add_string_value(jb, c->sub_string);
    json_builder_set_member_name(jb, "topic");
    json_builder_add_string_value(jb, topic);
    json_builder_end_object(jb);
    json_builder_end_object(jb);
    g_autoptr(JsonNode) root = json_builder_get_root(jb);
    gchar *text = json_to_string(root, FALSE);
    g_autoptr(GBytes) body = g_bytes_new_take(text, strlen(text));
    return invoke_route(c, topic, RMQ_REQUEST_CHECK_CLIENT_CONFIG, body, NULL, error);
}

/* Run what is ready on the instance's context without waiting, so requests
 * the brokers pushed (RESET_CONSUMER_CLIENT_OFFSET) are seen before a pull.
 * Bounded: an application's idle source on a shared context is always ready. */
static void
dispatch_pushed(RmqConsumer *c)
{
    for (int i = 0; i < 16 && g_main_context_iteration(c->core->context, FALSE); i++)
        ;
}

/* Does @msg carry one of the tags of @expression ("A || B")? */
static gboolean
tag_matches(const gchar *expression, const RmqMsg *msg)
{
    if (expression == NULL || *expression == '\0' || strcmp(expression, "*") == 0)
        return TRUE;
    /* Raw: no property table built for the filter alone. */
    const gchar *tags;
    gsize tags_len;
    if (!rmq_mq_msg_property_raw(msg, RMQ_PROPERTY_TAGS, &tags, &tags_len))
        return FALSE;
    g_auto(GStrv) parts = g_strsplit(expression, "||", -1);
    for (guint i = 0; parts[i]; i++) {
        const gchar *part = g_strstrip(parts[i]);
        if (strlen(part) == tags_len && memcmp(part, tags, tags_len) == 0)
            return TRUE;
    }
    return FALSE;
}

gboolean
rmq_consumer_pull(RmqConsumer *c, const RmqQueue *mq, const gchar *expression, gint64 offset,
                  gint max_nums, guint suspend_ms, RmqPullResult *result, GError **error)
{
    return rmq_consumer_pull_and_commit(c, mq, expression, offset, max_nums, suspend_ms, -1,
                                        result, error);
}

gboolean
rmq_consumer_pull_and_commit(RmqConsumer *c, const RmqQueue *mq, const gchar *expression,
                             gint64 offset, gint max_nums, guint suspend_ms,
                             gint64 commit_offset, RmqPullResult *result, GError **error)
{
    memset(result, 0, sizeof *result);
    /* What the brokers pushed meanwhile (an admin's offset reset) first. */
    dispatch_pushed(c);
    QueueState *qs = queue_state(c, mq->topic, mq->broker_name, mq->queue_id);
    if (qs->reset_offset >= 0) {
        result->status = RMQ_PULL_OFFSET_RESET;
        result->next_begin_offset = qs->reset_offset;
        result->msgs = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
        qs->next_offset = qs->reset_offset;
        qs->reset_offset = -1;
        return TRUE;
    }
    g_autofree gchar *addr = queue_addr(c, mq, error);
    if (addr == NULL)
        return FALSE;
    gboolean tag = is_tag_type(c);
    const gchar *expr = expression && *expression ? expression : tag ? "*" : c->sub_string;
    RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_PULL_MESSAGE);
    rmq_command_set_ext(req, "consumerGroup", c->group);
    rmq_command_set_ext(req, "topic", mq->topic);
    rmq_command_set_ext_int64(req, "queueId", mq->queue_id);
    rmq_command_set_ext_int64(req, "queueOffset", offset);
    rmq_command_set_ext_int64(req, "maxMsgNums", max_nums > 0 ? max_nums : 32);
    rmq_command_set_ext_int64(req, "sysFlag",
                              PULL_FLAG_SUBSCRIPTION | (suspend_ms ? PULL_FLAG_SUSPEND : 0) |
                                  (commit_offset >= 0 ? PULL_FLAG_COMMIT_OFFSET : 0));
    rmq_command_set_ext_int64(req, "commitOffset", MAX(commit_offset, 0));
    rmq_command_set_ext_int64(req, "suspendTimeoutMillis", suspend_ms);
    rmq_command_set_ext(req, "subscription", expr);
    rmq_command_set_ext_int64(req, "subVersion", 0);
    rmq_command_set_ext(req, "expressionType", c->expression_type);
    g_autoptr(RmqCommand) resp = rmq_mq_core_invoke(c->core, addr, req, suspend_ms + 5000,
                                                    error);
    if (resp == NULL)
        return FALSE;
    switch (resp->code) {
    case RMQ_RESPONSE_SUCCESS: result->status = RMQ_PULL_FOUND; break;
    case RMQ_RESPONSE_PULL_NOT_FOUND: result->status = RMQ_PULL_NO_NEW_MSG; break;
    case RMQ_RESPONSE_PULL_RETRY_IMMEDIATELY: result->status = RMQ_PULL_NO_MATCHED_MSG; break;
    case RMQ_RESPONSE_PULL_OFFSET_MOVED: result->status = RMQ_PULL_OFFSET_ILLEGAL; break;
    default:
        rmq_mq_set_refused(error, addr, resp);
        return FALSE;
    }
    rmq_command_get_ext_int64(resp, "nextBeginOffset", &result->next_begin_offset);
    rmq_command_get_ext_int64(resp, "minOffset", &result->min_offset);
    rmq_command_get_ext_int64(resp, "maxOffset", &result->max_offset);
    rmq_command_get_ext_int64(resp, "suggestWhichBrokerId", &result->suggest_broker_id);
    qs->next_offset = result->next_begin_offset;
    qs->last_pull_ms = g_get_real_time() / 1000;
    if (commit_offset >= 0)
        qs->commit_offset = commit_offset;
    if (result->status == RMQ_PULL_FOUND && resp->body) {
        GPtrArray *msgs = rmq_mq_decode_messages_bytes(resp->body, error);
        if (msgs == NULL)
            return FALSE;
        /* The broker filters by tag hash code; the client by text. */
        for (guint i = msgs->len; tag && i-- > 0;)
            if (!tag_matches(expr, g_ptr_array_index(msgs, i)))
                g_ptr_array_remove_index(msgs, i);
        result->msgs = msgs;
        if (result->msgs->len == 0)
            result->status = RMQ_PULL_NO_MATCHED_MSG;
    } else {
        result->msgs = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
    }
    return TRUE;
}

/* Offsets go to the master when present (docs/protocol.md §9.2). */
static RmqCommand *
offset_request(RmqConsumer *c, const RmqQueue *mq, gint code, gboolean with_group,
               gchar **addr_out, GError **error)
{
    g_autofree gchar *addr = queue_addr(c, mq, error);
    if (addr == NULL)
        return NULL;
    RmqCommand *req = rmq_command_new_request(code);
    if (with_group)
        rmq_command_set_ext(req, "consumerGroup", c->group);
    rmq_command_set_ext(req, "topic", mq->topic);
    rmq_command_set_ext_int64(req, "queueId", mq->queue_id);
    *addr_out = g_steal_pointer(&addr);
    return req;
}

gboolean
rmq_consumer_commit_offset(RmqConsumer *c, const RmqQueue *mq, gint64 offset, GError **error)
{
    g_autofree gchar *addr = NULL;
    RmqCommand *req = offset_request(c, mq, RMQ_REQUEST_UPDATE_CONSUMER_OFFSET, TRUE, &addr,
                                     error);
    if (req == NULL)
        return FALSE;
    dispatch_pushed(c);
    QueueState *qs = queue_state(c, mq->topic, mq->broker_name, mq->queue_id);
    if (qs->reset_offset >= 0)
        offset = qs->reset_offset; /* the admin's reset wins over an older position */
    rmq_command_set_ext_int64(req, "commitOffset", offset);
    g_autoptr(RmqCommand) resp = rmq_mq_core_invoke(c->core, addr, req, 3000, error);
    if (resp == NULL)
        return FALSE;
    if (resp->code != RMQ_RESPONSE_SUCCESS) {
        rmq_mq_set_refused(error, addr, resp);
        return FALSE;
    }
    qs->commit_offset = offset;
    return TRUE;
}

gint64
rmq_consumer_query_offset(RmqConsumer *c, const RmqQueue *mq, GError **error)
{
    g_autofree gchar *addr = NULL;
    RmqCommand *req = offset_request(c, mq, RMQ_REQUEST_QUERY_CONSUMER_OFFSET, TRUE, &addr,
                                     error);
    if (req == NULL)
        return -2;
    g_autoptr(RmqCommand) resp = rmq_mq_core_invoke(c->core, addr, req, 3000, error);
    if (resp == NULL)
        return -2;
    gint64 off = -1;
    /* Any refusal means "no stored offset" (docs/protocol.md §4.2). */
    if (resp->code == RMQ_RESPONSE_SUCCESS && !rmq_command_get_ext_int64(resp, "offset", &off))
        off = -1;
    return off;
}

static gint64
offset_call(RmqConsumer *c, const RmqQueue *mq, gint code, gint64 timestamp, GError **error)
{
    g_autofree gchar *addr = NULL;
    RmqCommand *req = offset_request(c, mq, code, FALSE, &addr, error);
    if (req == NULL)
        return -1;
    if (code == RMQ_REQUEST_SEARCH_OFFSET_BY_TIMESTAMP)
        rmq_command_set_ext_int64(req, "timestamp", timestamp);
    g_autoptr(RmqCommand) resp = rmq_mq_core_invoke(c->core, addr, req, 3000, error);
    if (resp == NULL)
        return -1;
    gint64 off = -1;
    if (resp->code != RMQ_RESPONSE_SUCCESS) {
        rmq_mq_set_refused(error, addr, resp);
        return -1;
    }
    if (!rmq_command_get_ext_int64(resp, "offset", &off)) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL, "%s: answer has no offset",
                    addr);
        return -1;
    }
    return off;
}

gint64
rmq_consumer_max_offset(RmqConsumer *c, const RmqQueue *mq, GError **error)
{
    return offset_call(c, mq, RMQ_REQUEST_GET_MAX_OFFSET, 0, error);
}

gint64
rmq_consumer_min_offset(RmqConsumer *c, const RmqQueue *mq, GError **error)
{
    return offset_call(c, mq, RMQ_REQUEST_GET_MIN_OFFSET, 0, error);
}

gint64
rmq_consumer_search_offset(RmqConsumer *c, const RmqQueue *mq, gint64 timestamp_ms,
                           GError **error)
{
    return offset_call(c, mq, RMQ_REQUEST_SEARCH_OFFSET_BY_TIMESTAMP, timestamp_ms, error);
}

RmqInstance *
rmq_consumer_get_instance(RmqConsumer *c)
{
    g_return_val_if_fail(c != NULL, NULL);
    return c->core;
}

/* ------------------------------------------------------------ trace */

void
rmq_consumer_enable_trace(RmqConsumer *c, const gchar *trace_topic)
{
    g_return_if_fail(c != NULL);
    if (c->trace == NULL)
        c->trace = rmq_trace_dispatcher_new(c->core, c->group, "CONSUME", trace_topic);
}

/* ConsumeMessageTraceHookImpl.consumeMessageBefore */
RmqTraceConsume *
rmq_consumer_trace_before(RmqConsumer *c, GPtrArray *msgs)
{
    g_return_val_if_fail(c != NULL, NULL);
    if (c->trace == NULL)
        return NULL;
    RmqTraceConsume *t = rmq_trace_consume_begin(c->group, msgs, g_get_real_time() / 1000);
    if (t == NULL)
        return NULL;
    GPtrArray *records = rmq_trace_consume_records(t);
    for (guint i = 0; i < records->len; i++)
        rmq_trace_dispatcher_append(c->trace, g_ptr_array_index(records, i));
    rmq_trace_dispatcher_flush(c->trace);
    return t;
}

/* ConsumeMessageTraceHookImpl.consumeMessageAfter */
void
rmq_consumer_trace_after(RmqConsumer *c, RmqTraceConsume *t, gboolean success)
{
    if (t == NULL)
        return;
    if (c->trace != NULL) {
        GPtrArray *records = rmq_trace_consume_end(t, g_get_real_time() / 1000, success);
        for (guint i = 0; i < records->len; i++)
            rmq_trace_dispatcher_append(c->trace, g_ptr_array_index(records, i));
        rmq_trace_dispatcher_flush(c->trace);
    }
    rmq_trace_consume_free(t);
}

/* ---- requests brokers send to the client ----------------------------------
 * RESET_CONSUMER_CLIENT_OFFSET (220), GET_CONSUMER_STATUS_FROM_CLIENT (221)
 * and GET_CONSUMER_RUNNING_INFO (307), as Java's ClientRemotingProcessor
 * answers them for a pull consumer (docs/protocol.md §10). */

static RmqConsumer *
consumer_of(RmqMqCore *core, const gchar *group)
{
    for (GList *l = core->consumers; l != NULL && group != NULL; l = l->next)
        if (g_strcmp0(((RmqConsumer *) l->data)->group, group) == 0)
            return l->data;
    return NULL;
}

/* A fastjson MessageQueue map key: {"brokerName":…,"queueId":…,"topic":…} */
static void
append_mq_key(GString *out, const gchar *topic, const gchar *broker_name, gint queue_id)
{
    g_string_append(out, "{\"brokerName\":");
    rmq_json_text_append_string(out, broker_name, -1);
    g_string_append_printf(out, ",\"queueId\":%d,\"topic\":", queue_id);
    rmq_json_text_append_string(out, topic, -1);
    g_string_append_c(out, '}');
}

/* Sorted as Java's MessageQueue.compareTo: topic, broker name, queue id. */
static gint
queue_state_cmp(gconstpointer a, gconstpointer b)
{
    const QueueState *x = *(QueueState *const *) a, *y = *(QueueState *const *) b;
    gint d = g_strcmp0(x->topic, y->topic);
    if (d == 0)
        d = g_strcmp0(x->broker_name, y->broker_name);
    return d != 0 ? d : x->queue_id - y->queue_id;
}

static GPtrArray *
sorted_queues(RmqConsumer *c, const gchar *topic)
{
    GPtrArray *out = g_ptr_array_new();
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, c->queues);
    while (g_hash_table_iter_next(&it, NULL, &v))
        if (topic == NULL || g_strcmp0(((QueueState *) v)->topic, topic) == 0)
            g_ptr_array_add(out, v);
    g_ptr_array_sort(out, queue_state_cmp);
    return out;
}

static gint64
queue_position(const QueueState *q)
{
    return q->commit_offset >= 0 ? q->commit_offset : q->next_offset;
}

static void
on_reset_offset(RmqMqCore *core, RmqConnection *conn, RmqCommand *req)
{
    RmqConsumer *c = consumer_of(core, rmq_command_get_ext(req, "group"));
    const gchar *topic = rmq_command_get_ext(req, "topic");
    if (c == NULL || topic == NULL || req->body == NULL)
        return;
    gsize len;
    const guint8 *data = g_bytes_get_data(req->body, &len);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) body = rmq_mq_parse_fastjson(data, len, &error);
    JsonObject *table = body != NULL && JSON_NODE_HOLDS_OBJECT(body)
                            ? rmq_json_object_get_object_or_null(json_node_get_object(body),
                                                                 "offsetTable")
                            : NULL;
    if (table == NULL) {
        g_warning("%s: RESET_CONSUMER_CLIENT_OFFSET body unreadable: %s",
                  rmq_connection_get_peer(conn), error ? error->message : "no offsetTable");
        return;
    }
    g_autoptr(GList) keys = json_object_get_members(table);
    for (GList *l = keys; l; l = l->next) {
        g_autoptr(JsonNode) k = rmq_json_parse_lenient(l->data, -1, NULL);
        if (k == NULL || !JSON_NODE_HOLDS_OBJECT(k))
            continue;
        JsonObject *mq = json_node_get_object(k);
        const gchar *t = rmq_json_object_get_string_or(mq, "topic", NULL);
        const gchar *bn = rmq_json_object_get_string_or(mq, "brokerName", NULL);
        if (g_strcmp0(t, topic) != 0 || bn == NULL)
            continue;
        gint qid = rmq_json_object_get_int32_or(mq, "queueId", 0);
        gint64 off = json_object_get_int_member(table, l->data);
        QueueState *q = queue_state(c, t, bn, qid);
        q->reset_offset = off;
        q->commit_offset = off;
        /* Stored at once, as Java's offset store updates and persists it. */
        RmqCommand *u = rmq_command_new_request(RMQ_REQUEST_UPDATE_CONSUMER_OFFSET);
        rmq_command_set_ext(u, "consumerGroup", c->group);
        rmq_command_set_ext(u, "topic", t);
        rmq_command_set_ext_int64(u, "queueId", qid);
        rmq_command_set_ext_int64(u, "commitOffset", off);
        rmq_client_invoke_oneway(core->client, rmq_connection_get_peer(conn), u);
        g_message("group %s: offset of %s/%s/%d reset to %" G_GINT64_FORMAT " by %s", c->group,
                  t, bn, qid, off, rmq_connection_get_peer(conn));
    }
}

/* GetConsumerStatusBody: this consumer's offsets of @topic. */
static gchar *
consumer_status_body(RmqConsumer *c, const gchar *topic)
{
    GString *out = g_string_new("{\"consumerTable\":{},\"messageQueueTable\":{");
    g_autoptr(GPtrArray) qs = sorted_queues(c, topic);
    for (guint i = 0; i < qs->len; i++) {
        const QueueState *q = g_ptr_array_index(qs, i);
        if (i > 0)
            g_string_append_c(out, ',');
        append_mq_key(out, q->topic, q->broker_name, q->queue_id);
        g_string_append_printf(out, ":%" G_GINT64_FORMAT, queue_position(q));
    }
    g_string_append(out, "}}");
    return g_string_free(out, FALSE);
}

static void
append_prop(GString *out, gboolean *first, const gchar *key, const gchar *value)
{
    if (!*first)
        g_string_append_c(out, ',');
    *first = FALSE;
    rmq_json_text_append_string(out, key, -1);
    g_string_append_c(out, ':');
    rmq_json_text_append_string(out, value, -1);
}

/* ConsumerRunningInfo of a pull consumer: properties, the heartbeated
 * topics as subscriptions, one ProcessQueueInfo per queue it used. */
static gchar *
running_info_body(RmqConsumer *c)
{
    GString *out = g_string_new("{\"properties\":{");
    gboolean first = TRUE;
    g_autofree gchar *ns = g_strjoinv(";", c->core->namesrvs);
    g_autofree gchar *start = g_strdup_printf("%" G_GINT64_FORMAT, c->start_ms);
    append_prop(out, &first, "PROP_CLIENT_VERSION", "V4_9_7");
    append_prop(out, &first, "PROP_CONSUME_TYPE", "CONSUME_ACTIVELY");
    append_prop(out, &first, "PROP_CONSUMER_START_TIMESTAMP", start);
    append_prop(out, &first, "PROP_NAMESERVER_ADDR", ns);
    append_prop(out, &first, "consumerGroup", c->group);
    append_prop(out, &first, "messageModel", "CLUSTERING");
    append_prop(out, &first, "clientLanguage", "C");
    g_string_append(out, "},\"subscriptionSet\":[");
    g_autoptr(GList) topics = g_list_sort(g_hash_table_get_keys(c->topics),
                                          (GCompareFunc) g_strcmp0);
    for (GList *l = topics; l; l = l->next) {
        if (l != topics)
            g_string_append_c(out, ',');
        g_string_append(out, "{\"classFilterMode\":false,\"codeSet\":[],\"expressionType\":"
                             "\"TAG\",\"subString\":\"*\",\"subVersion\":");
        g_string_append_printf(out, "%" G_GINT64_FORMAT ",\"tagsSet\":[],\"topic\":", c->start_ms);
        rmq_json_text_append_string(out, l->data, -1);
        g_string_append_c(out, '}');
    }
    g_string_append(out, "],\"mqTable\":{");
    g_autoptr(GPtrArray) qs = sorted_queues(c, NULL);
    for (guint i = 0; i < qs->len; i++) {
        const QueueState *q = g_ptr_array_index(qs, i);
        if (i > 0)
            g_string_append_c(out, ',');
        append_mq_key(out, q->topic, q->broker_name, q->queue_id);
        g_string_append_printf(out,
                               ":{\"cachedMsgCount\":0,\"cachedMsgMaxOffset\":0,"
                               "\"cachedMsgMinOffset\":0,\"cachedMsgSizeInMiB\":0,"
                               "\"commitOffset\":%" G_GINT64_FORMAT ",\"droped\":false,"
                               "\"lastConsumeTimestamp\":%" G_GINT64_FORMAT ","
                               "\"lastLockTimestamp\":0,\"lastPullTimestamp\":%" G_GINT64_FORMAT
                               ",\"locked\":false,\"transactionMsgCount\":0,"
                               "\"transactionMsgMaxOffset\":0,\"transactionMsgMinOffset\":0,"
                               "\"tryUnlockTimes\":0}",
                               queue_position(q), q->last_pull_ms, q->last_pull_ms);
    }
    g_string_append(out, "},\"statusTable\":{}}");
    return g_string_free(out, FALSE);
}

void
rmq_mq_core_on_request(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqMqCore *core = user_data;
    RmqCommand *resp = NULL;
    switch (req->code) {
    case RMQ_REQUEST_RESET_CONSUMER_CLIENT_OFFSET:
        on_reset_offset(core, conn, req);
        resp = rmq_command_new_response(req, RMQ_RESPONSE_SUCCESS, NULL);
        break;
    case RMQ_REQUEST_GET_CONSUMER_STATUS_FROM_CLIENT:
    case RMQ_REQUEST_GET_CONSUMER_RUNNING_INFO: {
        gboolean status = req->code == RMQ_REQUEST_GET_CONSUMER_STATUS_FROM_CLIENT;
        const gchar *group = rmq_command_get_ext(req, status ? "group" : "consumerGroup");
        RmqConsumer *c = consumer_of(core, group);
        if (c == NULL) {
            g_autofree gchar *remark = g_strdup_printf(
                "The Consumer Group <%s> not exist in this consumer", group ? group : "");
            resp = rmq_command_new_response(req, RMQ_RESPONSE_SYSTEM_ERROR, remark);
            break;
        }
        gchar *body = status ? consumer_status_body(c, rmq_command_get_ext(req, "topic"))
                             : running_info_body(c);
        resp = rmq_command_new_response(req, RMQ_RESPONSE_SUCCESS, NULL);
        rmq_command_set_body(resp, g_bytes_new_take(body, strlen(body)));
        break;
    }
    default: {
        g_autofree gchar *remark = g_strdup_printf("request type %d not supported", req->code);
        resp = rmq_command_new_response(req, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED, remark);
        break;
    }
    }
    rmq_connection_send_response(conn, req, resp);
    rmq_command_free(req);
}
