/* Pull consumer: subscribe queues from the route, PULL_MESSAGE with
 * optional long polling, client-side tag filtering, offsets (docs/protocol.md §10, §9.2). */
#include <config.h>

#include "client/internal.h"

#include <string.h>

#define PULL_FLAG_COMMIT_OFFSET 0x1
#define PULL_FLAG_SUSPEND 0x2
#define PULL_FLAG_SUBSCRIPTION 0x4

struct _RmqConsumer {
    RmqMqCore *core;       /* shared by every user of one RmqInstance */
    gchar *group;
    GHashTable *heartbeat; /* addrs we registered with */
    RmqTraceDispatcher *trace; /* rmq_consumer_enable_trace(), else NULL */
};

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
    return c;
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

gboolean
rmq_consumer_heartbeat(RmqConsumer *c, const gchar *topic, GError **error)
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
            RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_HEART_BEAT);
            g_autoptr(GBytes) body = rmq_mq_heartbeat_body(c->core->client_id, NULL, c->group,
                                                           topic);
            rmq_command_set_body(req, body);
            g_autoptr(RmqCommand) resp = rmq_mq_core_invoke(c->core, addr, req, 3000, error);
            if (resp == NULL)
                return FALSE;
            if (resp->code != RMQ_RESPONSE_SUCCESS) {
                rmq_mq_set_refused(error, addr, resp);
                return FALSE;
            }
            g_hash_table_add(c->heartbeat, g_strdup(addr));
        }
    }
    return TRUE;
}

/* Does @msg carry one of the tags of @expression ("A || B")? */
static gboolean
tag_matches(const gchar *expression, const RmqMsg *msg)
{
    if (expression == NULL || *expression == '\0' || strcmp(expression, "*") == 0)
        return TRUE;
    const gchar *tags = rmq_msg_get_tags(msg);
    if (tags == NULL)
        return FALSE;
    g_auto(GStrv) parts = g_strsplit(expression, "||", -1);
    for (guint i = 0; parts[i]; i++)
        if (strcmp(g_strstrip(parts[i]), tags) == 0)
            return TRUE;
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
    g_autofree gchar *addr = queue_addr(c, mq, error);
    if (addr == NULL)
        return FALSE;
    const gchar *expr = expression && *expression ? expression : "*";
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
    rmq_command_set_ext(req, "expressionType", "TAG");
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
    result->msgs = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
    if (result->status == RMQ_PULL_FOUND && resp->body) {
        gsize len;
        const guint8 *data = g_bytes_get_data(resp->body, &len);
        g_autoptr(GPtrArray) msgs = rmq_mq_decode_messages(data, len, error);
        if (msgs == NULL) {
            rmq_pull_result_clear(result);
            return FALSE;
        }
        for (guint i = 0; i < msgs->len; i++) {
            RmqMsg *m = g_ptr_array_index(msgs, i);
            if (!tag_matches(expr, m))
                continue;
            g_ptr_array_add(result->msgs, m);
            msgs->pdata[i] = NULL;
        }
        if (result->msgs->len == 0)
            result->status = RMQ_PULL_NO_MATCHED_MSG;
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
    rmq_command_set_ext_int64(req, "commitOffset", offset);
    g_autoptr(RmqCommand) resp = rmq_mq_core_invoke(c->core, addr, req, 3000, error);
    if (resp == NULL)
        return FALSE;
    if (resp->code != RMQ_RESPONSE_SUCCESS) {
        rmq_mq_set_refused(error, addr, resp);
        return FALSE;
    }
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

struct _RmqTraceConsume {
    GPtrArray *records; /* SubBefore records, one per traced message */
    gint64 begin_ms;
};

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
    if (c->trace == NULL || msgs == NULL || msgs->len == 0)
        return NULL;
    g_autofree gchar *request_id = rmq_mq_unique_id();
    gint64 now = g_get_real_time() / 1000;
    GPtrArray *records = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_trace_record_free);
    for (guint i = 0; i < msgs->len; i++) {
        const RmqMsg *m = g_ptr_array_index(msgs, i);
        if (m == NULL || g_strcmp0(rmq_msg_get_property(m, "TRACE_ON"), "false") == 0)
            continue;
        RmqTraceRecord *r = rmq_trace_record_new(RMQ_TRACE_SUB_BEFORE);
        r->timestamp = now;
        r->region_id = g_strdup(rmq_msg_get_property(m, "MSG_REGION"));
        r->group = g_strdup(c->group);
        r->request_id = g_strdup(request_id);
        r->topic = g_strdup(m->topic);
        r->msg_id = g_strdup(rmq_msg_get_msg_id(m));
        r->tags = g_strdup(rmq_msg_get_tags(m));
        r->keys = g_strdup(rmq_msg_get_keys(m));
        r->retry_times = m->reconsume_times;
        r->body_length = m->store_size;
        g_ptr_array_add(records, r);
    }
    if (records->len == 0) {
        g_ptr_array_unref(records);
        return NULL;
    }
    for (guint i = 0; i < records->len; i++)
        rmq_trace_dispatcher_append(c->trace, g_ptr_array_index(records, i));
    rmq_trace_dispatcher_flush(c->trace);
    RmqTraceConsume *t = g_new0(RmqTraceConsume, 1);
    t->records = records;
    t->begin_ms = now;
    return t;
}

/* ConsumeMessageTraceHookImpl.consumeMessageAfter */
void
rmq_consumer_trace_after(RmqConsumer *c, RmqTraceConsume *t, gboolean success)
{
    if (t == NULL)
        return;
    if (c->trace != NULL) {
        gint64 now = g_get_real_time() / 1000;
        gint cost = (gint) ((now - t->begin_ms) / t->records->len);
        for (guint i = 0; i < t->records->len; i++) {
            RmqTraceRecord *r = g_ptr_array_index(t->records, i);
            r->type = RMQ_TRACE_SUB_AFTER;
            r->timestamp = now;
            r->cost_time = cost;
            r->success = success;
            /* ConsumeReturnType: SUCCESS 0, FAILED 4 */
            r->context_code = success ? 0 : 4;
            rmq_trace_dispatcher_append(c->trace, r);
        }
        rmq_trace_dispatcher_flush(c->trace);
    }
    g_ptr_array_unref(t->records);
    g_free(t);
}
