/* Message trace in Java's format (docs/protocol.md §18): the codec of
 * TraceDataEncoder (pure: no sockets) and the dispatcher that sends trace
 * data to the trace topic, as AsyncTraceDispatcher does, through a producer
 * of its own on the traced object's instance. */
#include <config.h>

#include "client/internal.h"

#include <string.h>

#include "model/message_properties.h"

#define CONTENT '\001' /* TraceConstants.CONTENT_SPLITOR */
#define FIELD '\002'   /* TraceConstants.FIELD_SPLITOR */

static const gchar *const type_names[] = { "Pub", "SubBefore", "SubAfter", "EndTransaction" };

const gchar *
rmq_trace_type_name(RmqTraceType type)
{
    return (guint) type < G_N_ELEMENTS(type_names) ? type_names[type] : "?";
}

RmqTraceRecord *
rmq_trace_record_new(RmqTraceType type)
{
    RmqTraceRecord *r = g_new0(RmqTraceRecord, 1);
    r->type = type;
    r->timestamp = g_get_real_time() / 1000;
    r->success = TRUE;
    return r;
}

void
rmq_trace_record_free(RmqTraceRecord *r)
{
    if (r == NULL)
        return;
    g_free(r->region_id);
    g_free(r->group);
    g_free(r->request_id);
    g_free(r->topic);
    g_free(r->msg_id);
    g_free(r->offset_msg_id);
    g_free(r->tags);
    g_free(r->keys);
    g_free(r->store_host);
    g_free(r->client_host);
    g_free(r->transaction_id);
    g_free(r->transaction_state);
    g_free(r);
}

/* StringBuilder.append(String): null is "null". */
static void
put(GString *out, const gchar *s, gchar sep)
{
    g_string_append(out, s != NULL ? s : "null");
    g_string_append_c(out, sep);
}

static void
put_int(GString *out, gint64 v, gchar sep)
{
    g_string_append_printf(out, "%" G_GINT64_FORMAT "%c", v, sep);
}

static void
put_bool(GString *out, gboolean v, gchar sep)
{
    put(out, v ? "true" : "false", sep);
}

/* Pub and EndTransaction start alike: type, timestamp, region, group, topic,
 * msgId, tags, keys, storeHost (fields 0-8). */
static void
put_message_head(GString *out, const gchar *type, const RmqTraceRecord *r)
{
    put(out, type, CONTENT);
    put_int(out, r->timestamp, CONTENT);
    put(out, r->region_id, CONTENT);
    put(out, r->group, CONTENT);
    put(out, r->topic, CONTENT);
    put(out, r->msg_id, CONTENT);
    put(out, r->tags, CONTENT);
    put(out, r->keys, CONTENT);
    put(out, r->store_host, CONTENT);
}

void
rmq_trace_encode(const RmqTraceRecord *r, GString *out)
{
    switch (r->type) {
    case RMQ_TRACE_PUB:
        put_message_head(out, "Pub", r);
        put_int(out, r->body_length, CONTENT);
        put_int(out, r->cost_time, CONTENT);
        put_int(out, r->msg_type, CONTENT);
        put(out, r->offset_msg_id, CONTENT);
        put_bool(out, r->success, FIELD);
        break;
    case RMQ_TRACE_SUB_BEFORE:
        put(out, "SubBefore", CONTENT);
        put_int(out, r->timestamp, CONTENT);
        put(out, r->region_id, CONTENT);
        put(out, r->group, CONTENT);
        put(out, r->request_id, CONTENT);
        put(out, r->msg_id, CONTENT);
        put_int(out, r->retry_times, CONTENT);
        put(out, r->keys, FIELD);
        break;
    case RMQ_TRACE_SUB_AFTER:
        put(out, "SubAfter", CONTENT);
        put(out, r->request_id, CONTENT);
        put(out, r->msg_id, CONTENT);
        put_int(out, r->cost_time, CONTENT);
        put_bool(out, r->success, CONTENT);
        put(out, r->keys, CONTENT);
        put_int(out, r->context_code, CONTENT);
        /* not AccessChannel.CLOUD */
        put_int(out, r->timestamp, CONTENT);
        put(out, r->group, FIELD);
        break;
    case RMQ_TRACE_END_TRANSACTION:
        put_message_head(out, "EndTransaction", r);
        put_int(out, r->msg_type, CONTENT);
        put(out, r->transaction_id, CONTENT);
        put(out, r->transaction_state, CONTENT);
        put_bool(out, r->from_transaction_check, FIELD);
        break;
    }
}

/* String.split(String.valueOf(sep)): trailing empty parts are dropped. */
static gchar **
java_split(const gchar *s, gsize len, gchar sep, guint *n)
{
    GPtrArray *parts = g_ptr_array_new();
    gsize start = 0;
    for (gsize i = 0; i <= len; i++) {
        if (i == len || s[i] == sep) {
            g_ptr_array_add(parts, g_strndup(s + start, i - start));
            start = i + 1;
        }
    }
    while (parts->len > 0 && *(gchar *) g_ptr_array_index(parts, parts->len - 1) == '\0') {
        g_free(g_ptr_array_index(parts, parts->len - 1));
        g_ptr_array_remove_index(parts, parts->len - 1);
    }
    /* "".split(x) is [""] in Java */
    if (parts->len == 0 && len == 0)
        g_ptr_array_add(parts, g_strdup(""));
    *n = parts->len;
    g_ptr_array_add(parts, NULL);
    return (gchar **) g_ptr_array_free(parts, FALSE);
}

static gboolean
parse_i64(const gchar *s, gint64 *out)
{
    return rmq_command_parse_int64(s, G_MININT64, G_MAXINT64, out);
}

static gboolean
parse_int(const gchar *s, gint *out)
{
    gint64 v;
    if (!rmq_command_parse_int64(s, G_MININT32, G_MAXINT32, &v))
        return FALSE;
    *out = (gint) v;
    return TRUE;
}

/* Boolean.parseBoolean */
static gboolean
parse_bool(const gchar *s)
{
    return g_ascii_strcasecmp(s, "true") == 0;
}

/* The string fields of put_message_head(): f[2] to f[8]. */
static void
take_message_head(RmqTraceRecord *r, gchar **f)
{
    r->region_id = g_strdup(f[2]);
    r->group = g_strdup(f[3]);
    r->topic = g_strdup(f[4]);
    r->msg_id = g_strdup(f[5]);
    r->tags = g_strdup(f[6]);
    r->keys = g_strdup(f[7]);
    r->store_host = g_strdup(f[8]);
}

/* One line; NULL where Java's decoder would throw (too few fields, a number
 * that is not one) or for an unknown type, which Java skips. */
static RmqTraceRecord *
decode_line(gchar **f, guint n)
{
    g_autoptr(RmqTraceRecord) r = NULL;
    if (strcmp(f[0], "Pub") == 0) {
        if (n < 12)
            return NULL;
        r = rmq_trace_record_new(RMQ_TRACE_PUB);
        if (!parse_i64(f[1], &r->timestamp) || !parse_int(f[9], &r->body_length) ||
            !parse_int(f[10], &r->cost_time) || !parse_int(f[11], &r->msg_type) ||
            r->msg_type < 0 || r->msg_type > 3)
            return NULL;
        take_message_head(r, f);
        if (n == 13) {
            r->success = parse_bool(f[12]);
        } else if (n >= 14) {
            r->offset_msg_id = g_strdup(f[12]);
            r->success = parse_bool(f[13]);
            if (n >= 15)
                r->client_host = g_strdup(f[14]);
        }
    } else if (strcmp(f[0], "SubBefore") == 0) {
        if (n < 8)
            return NULL;
        r = rmq_trace_record_new(RMQ_TRACE_SUB_BEFORE);
        if (!parse_i64(f[1], &r->timestamp) || !parse_int(f[6], &r->retry_times))
            return NULL;
        r->region_id = g_strdup(f[2]);
        r->group = g_strdup(f[3]);
        r->request_id = g_strdup(f[4]);
        r->msg_id = g_strdup(f[5]);
        r->keys = g_strdup(f[7]);
    } else if (strcmp(f[0], "SubAfter") == 0) {
        if (n < 6)
            return NULL;
        r = rmq_trace_record_new(RMQ_TRACE_SUB_AFTER);
        r->request_id = g_strdup(f[1]);
        r->msg_id = g_strdup(f[2]);
        r->keys = g_strdup(f[5]);
        if (!parse_int(f[3], &r->cost_time))
            return NULL;
        r->success = parse_bool(f[4]);
        if (n >= 7 && !parse_int(f[6], &r->context_code))
            return NULL;
        if (n >= 9) {
            if (!parse_i64(f[7], &r->timestamp))
                return NULL;
            r->group = g_strdup(f[8]);
        }
    } else if (strcmp(f[0], "EndTransaction") == 0) {
        if (n < 13)
            return NULL;
        r = rmq_trace_record_new(RMQ_TRACE_END_TRANSACTION);
        if (!parse_i64(f[1], &r->timestamp) || !parse_int(f[9], &r->msg_type))
            return NULL;
        take_message_head(r, f);
        r->transaction_id = g_strdup(f[10]);
        r->transaction_state = g_strdup(f[11]);
        r->from_transaction_check = parse_bool(f[12]);
    }
    return g_steal_pointer(&r);
}

GPtrArray *
rmq_trace_decode(const gchar *data, gsize len)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_trace_record_free);
    if (data == NULL || len == 0)
        return out;
    guint nl;
    g_auto(GStrv) lines = java_split(data, len, FIELD, &nl);
    for (guint i = 0; i < nl; i++) {
        guint nf;
        g_auto(GStrv) f = java_split(lines[i], strlen(lines[i]), CONTENT, &nf);
        RmqTraceRecord *r = nf > 0 ? decode_line(f, nf) : NULL;
        if (r != NULL)
            g_ptr_array_add(out, r);
    }
    return out;
}

void
rmq_trace_keys(const RmqTraceRecord *r, GPtrArray *keys)
{
    g_ptr_array_add(keys, g_strdup(r->msg_id != NULL ? r->msg_id : "null"));
    if (r->keys == NULL || *r->keys == '\0')
        return;
    g_auto(GStrv) parts = g_strsplit(r->keys, " ", -1);
    for (guint i = 0; parts[i] != NULL; i++)
        g_ptr_array_add(keys, g_strdup(parts[i]));
}

/* ------------------------------------------------------------ consume */

struct _RmqTraceConsume {
    GPtrArray *records; /* SubBefore records, one per traced message */
    guint n_msgs;       /* every message of the batch, traced or not */
    gint64 begin_ms;
};

RmqTraceConsume *
rmq_trace_consume_begin(const gchar *group, GPtrArray *msgs, gint64 now_ms)
{
    if (msgs == NULL || msgs->len == 0)
        return NULL;
    g_autofree gchar *request_id = rmq_mq_unique_id();
    g_autoptr(GPtrArray) records =
        g_ptr_array_new_with_free_func((GDestroyNotify) rmq_trace_record_free);
    for (guint i = 0; i < msgs->len; i++) {
        const RmqMsg *m = g_ptr_array_index(msgs, i);
        if (m == NULL || g_strcmp0(rmq_msg_get_property(m, "TRACE_ON"), "false") == 0)
            continue;
        RmqTraceRecord *r = rmq_trace_record_new(RMQ_TRACE_SUB_BEFORE);
        r->timestamp = now_ms;
        r->region_id = g_strdup(rmq_msg_get_property(m, "MSG_REGION"));
        r->group = g_strdup(group);
        r->request_id = g_strdup(request_id);
        r->topic = g_strdup(m->topic);
        r->msg_id = g_strdup(rmq_msg_get_msg_id(m));
        r->tags = g_strdup(rmq_msg_get_tags(m));
        r->keys = g_strdup(rmq_msg_get_keys(m));
        r->retry_times = m->reconsume_times;
        r->body_length = m->store_size;
        g_ptr_array_add(records, r);
    }
    if (records->len == 0)
        return NULL;
    RmqTraceConsume *t = g_new0(RmqTraceConsume, 1);
    t->records = g_steal_pointer(&records);
    t->n_msgs = msgs->len;
    t->begin_ms = now_ms;
    return t;
}

GPtrArray *
rmq_trace_consume_records(RmqTraceConsume *t)
{
    return t->records;
}

GPtrArray *
rmq_trace_consume_end(RmqTraceConsume *t, gint64 now_ms, gboolean success)
{
    /* context.getMsgList().size(): the whole batch, TRACE_ON false included */
    gint cost = (gint) ((now_ms - t->begin_ms) / t->n_msgs);
    for (guint i = 0; i < t->records->len; i++) {
        RmqTraceRecord *r = g_ptr_array_index(t->records, i);
        r->type = RMQ_TRACE_SUB_AFTER;
        r->timestamp = now_ms;
        r->cost_time = cost;
        r->success = success;
        /* ConsumeReturnType: SUCCESS 0, FAILED 4 */
        r->context_code = success ? 0 : 4;
    }
    return t->records;
}

void
rmq_trace_consume_free(RmqTraceConsume *t)
{
    if (t == NULL)
        return;
    g_ptr_array_unref(t->records);
    g_free(t);
}

/* ------------------------------------------------------------ dispatcher */

/* AsyncTraceDispatcher sends a segment of trace data once its first record
 * is waitTimeThresholdMil old or the data passes maxMsgSize. */
#define TRACE_WAIT_MS 500
#define TRACE_MAX_DATA 128000

struct _RmqTraceDispatcher {
    RmqProducer *producer;
    GMainContext *context; /* the instance's, where @timer runs */
    gchar *topic;
    GString *data;
    GHashTable *keys; /* set of trace keys of @data */
    GSource *timer;   /* flushes @data from the loop; NULL when none is due */
    gboolean closing; /* rmq_trace_dispatcher_free() has begun */
};

RmqTraceDispatcher *
rmq_trace_dispatcher_new(RmqInstance *inst, const gchar *group, const gchar *type,
                         const gchar *topic)
{
    RmqTraceDispatcher *d = g_new0(RmqTraceDispatcher, 1);
    /* TraceConstants.GROUP_NAME_PREFIX + "-" + group + "-" + type */
    g_autofree gchar *name = g_strdup_printf("_INNER_TRACE_PRODUCER-%s-%s", group, type);
    d->producer = rmq_producer_new_on(inst, name);
    d->context = g_main_context_ref(inst->context);
    d->topic = g_strdup(topic != NULL && *topic != '\0' ? topic : RMQ_TRACE_DEFAULT_TOPIC);
    d->data = g_string_new(NULL);
    d->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return d;
}

const gchar *
rmq_trace_dispatcher_topic(RmqTraceDispatcher *d)
{
    return d->topic;
}

static void
timer_clear(RmqTraceDispatcher *d)
{
    if (d->timer == NULL)
        return;
    g_source_destroy(d->timer);
    g_clear_pointer(&d->timer, g_source_unref);
}

static gboolean
on_timer(gpointer data)
{
    RmqTraceDispatcher *d = data;
    /* From the loop, never inside a send callback: the flush may send. */
    rmq_trace_dispatcher_flush(d); /* drops @timer */
    return G_SOURCE_REMOVE;
}

/* A flush from the loop after @delay_ms, unless one is due sooner. */
static void
timer_arm(RmqTraceDispatcher *d, guint delay_ms)
{
    if (d->closing || (d->timer != NULL && delay_ms > 0))
        return;
    timer_clear(d);
    d->timer = g_timeout_source_new(delay_ms);
    g_source_set_name(d->timer, "rmq trace flush");
    g_source_set_callback(d->timer, on_timer, d, NULL);
    g_source_attach(d->timer, d->context);
}

void
rmq_trace_dispatcher_append(RmqTraceDispatcher *d, const RmqTraceRecord *r)
{
    rmq_trace_encode(r, d->data);
    g_autoptr(GPtrArray) keys = g_ptr_array_new();
    rmq_trace_keys(r, keys);
    for (guint i = 0; i < keys->len; i++)
        g_hash_table_add(d->keys, g_ptr_array_index(keys, i));
    timer_arm(d, d->data->len >= TRACE_MAX_DATA ? 0 : TRACE_WAIT_MS);
}

static void
on_trace_sent(RmqProducer *p, const RmqSendResult *result, const GError *error,
              gpointer user_data)
{
    (void) p;
    (void) result;
    (void) user_data;
    if (error != NULL)
        g_message("send trace data failed: %s", error->message);
}

void
rmq_trace_dispatcher_flush(RmqTraceDispatcher *d)
{
    timer_clear(d);
    if (d->data->len == 0)
        return;
    g_autoptr(RmqMsg) m = rmq_msg_new(d->topic, d->data->str, (gssize) d->data->len);
    /* Message.setKeys(Collection): the keys joined by a space */
    g_autoptr(GString) keys = g_string_new(NULL);
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, d->keys);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        if (keys->len > 0)
            g_string_append_c(keys, ' ');
        g_string_append(keys, k);
    }
    rmq_msg_set_keys(m, keys->str);
    g_string_truncate(d->data, 0);
    g_hash_table_remove_all(d->keys);
    rmq_producer_send_async(d->producer, m, on_trace_sent, NULL);
}

void
rmq_trace_dispatcher_free(RmqTraceDispatcher *d)
{
    if (d == NULL)
        return;
    d->closing = TRUE; /* nothing arms @timer any more */
    rmq_trace_dispatcher_flush(d);
    rmq_producer_free(d->producer); /* waits for the sends in flight */
    timer_clear(d);
    g_main_context_unref(d->context);
    g_free(d->topic);
    g_string_free(d->data, TRUE);
    g_hash_table_unref(d->keys);
    g_free(d);
}
