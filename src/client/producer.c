/* Producer: queue selection that skips recently failed brokers, sync /
 * async / one-way / batch sends with sendMsgTimeout and
 * retryTimesWhenSendFailed, compression and the maxMessageSize check
 * (docs/protocol.md §3.2, §4.2, §6, §9.2, §14.2). */
#include <config.h>

#include "client/internal.h"

#include <string.h>
#include <zlib.h>

#include "model/message_properties.h"
#include "store/message_format.h"

#define HEARTBEAT_INTERVAL_US (30 * G_USEC_PER_SEC)

typedef struct {
    GPtrArray *queues; /* of RmqQueue */
    gint64 fetched_us;
} PublishInfo;

struct _RmqProducer {
    RmqMqCore *core;       /* shared by every user of one RmqInstance */
    gchar *group;
    guint send_timeout_ms;
    guint retries;
    gsize compress_over;
    gsize max_size;
    guint default_queue_nums;
    guint fault_ms;
    guint rr;
    GHashTable *publish;   /* topic -> PublishInfo */
    GHashTable *faults;    /* broker name -> gint64* (monotonic us until usable) */
    GHashTable *heartbeat; /* addr -> gint64* last sent */
    /* The last lookup of each, tried first (a hash of the key per send
     * showed in client profiles): cleared whenever its table changes. */
    PublishInfo *last_pi;  /* in publish, under last_topic */
    gchar *last_topic;
    gint64 *last_hb;       /* in heartbeat, under last_hb_addr */
    gchar *last_hb_addr;
    guint pending;
    guint in_callback;
    gboolean closing;      /* rmq_producer_free() has begun: no more retries */
    RmqTraceDispatcher *trace; /* rmq_producer_enable_trace(), else NULL */
};

/* What goes on the wire for one send, independent of the caller's RmqMsg. */
typedef struct {
    gchar *topic;
    GBytes *body;
    gint32 sys_flag;
    gint32 flag;
    gchar *properties;
    gchar *msg_id;
    gboolean batch;
    gboolean reply;  /* MSG_TYPE=reply: SEND_REPLY_MESSAGE_V2 (325) */
    gboolean inline_text; /* topic and msg_id live after the struct (prepare()) */
    gint64 begin_ms; /* when the send started (Pub trace) */
} Prepared;

static void
prepared_free(Prepared *x)
{
    g_bytes_unref(x->body);
    g_free(x->properties);
    if (!x->inline_text) {
        g_free(x->topic);
        g_free(x->msg_id);
    }
    g_free(x);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Prepared, prepared_free)

static void
publish_info_free(gpointer p)
{
    PublishInfo *pi = p;
    g_ptr_array_unref(pi->queues);
    g_free(pi);
}

RmqProducer *
rmq_producer_new(const gchar *group, const gchar *namesrv_addrs, GMainContext *context)
{
    g_autoptr(RmqInstance) inst = rmq_instance_new(namesrv_addrs, context);
    return rmq_producer_new_on(inst, group);
}

RmqProducer *
rmq_producer_new_on(RmqInstance *inst, const gchar *group)
{
    g_return_val_if_fail(inst != NULL, NULL);
    RmqProducer *p = g_new0(RmqProducer, 1);
    p->core = rmq_instance_ref(inst);
    p->group = g_strdup(group ? group : "DEFAULT_PRODUCER");
    p->send_timeout_ms = 3000;
    p->retries = 2;
    p->compress_over = 4096;
    p->max_size = 4 * 1024 * 1024;
    p->default_queue_nums = 4;
    p->fault_ms = 30000;
    p->publish = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, publish_info_free);
    p->faults = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    p->heartbeat = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return p;
}

void
rmq_producer_free(RmqProducer *p)
{
    if (p == NULL)
        return;
    rmq_producer_flush(p, p->send_timeout_ms);
    GHashTableIter it;
    gpointer addr;
    g_hash_table_iter_init(&it, p->heartbeat);
    while (g_hash_table_iter_next(&it, &addr, NULL)) {
        RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_UNREGISTER_CLIENT);
        rmq_command_set_ext(req, "clientID", p->core->client_id);
        rmq_command_set_ext(req, "producerGroup", p->group);
        g_autoptr(RmqCommand) resp = rmq_client_invoke_sync(p->core->client, addr, req, 1000, NULL);
    }
    /* Sends that flush gave up on end before the producer does: no further
     * attempt starts, and each request has a deadline within the send
     * timeout, so this wait is bounded. The connections may be shared and
     * stay open. */
    p->closing = TRUE;
    while (p->pending > 0)
        g_main_context_iteration(p->core->context, TRUE);
    g_clear_pointer(&p->trace, rmq_trace_dispatcher_free);
    g_free(p->last_topic);
    g_free(p->last_hb_addr);
    g_hash_table_unref(p->publish);
    g_hash_table_unref(p->faults);
    g_hash_table_unref(p->heartbeat);
    g_free(p->group);
    rmq_instance_unref(p->core);
    g_free(p);
}

void rmq_producer_set_send_msg_timeout(RmqProducer *p, guint ms) { p->send_timeout_ms = ms; }
void rmq_producer_set_retry_times_when_send_failed(RmqProducer *p, guint n) { p->retries = n; }
void rmq_producer_set_compress_msg_body_over_howmuch(RmqProducer *p, gsize n) { p->compress_over = n; }
void rmq_producer_set_max_message_size(RmqProducer *p, gsize n) { p->max_size = n; }
void rmq_producer_set_default_topic_queue_nums(RmqProducer *p, guint n) { p->default_queue_nums = n; }
void rmq_producer_set_fault_duration(RmqProducer *p, guint ms) { p->fault_ms = ms; }
GMainContext *rmq_producer_get_context(RmqProducer *p) { return p->core->context; }
guint rmq_producer_pending(RmqProducer *p) { return p->pending; }

gboolean
rmq_producer_flush(RmqProducer *p, guint timeout_ms)
{
    if (p->trace != NULL && !p->in_callback)
        rmq_trace_dispatcher_flush(p->trace);
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    while (p->pending > 0 && g_get_monotonic_time() < deadline)
        if (!g_main_context_iteration(p->core->context, FALSE))
            g_usleep(200);
    return p->pending == 0;
}

/* ------------------------------------------------------------ routing */

static void
add_queues(GPtrArray *out, const gchar *topic, const RmqRoute *r, guint cap)
{
    for (guint i = 0; i < r->queue_datas->len; i++) {
        const RmqQueueData *qd = g_ptr_array_index(r->queue_datas, i);
        if (!(qd->perm & RMQ_MQ_PERM_WRITE) || rmq_route_master_addr(r, qd->broker_name) == NULL)
            continue;
        guint n = (guint) MAX(qd->write_queue_nums, 0);
        if (cap && n > cap)
            n = cap;
        for (guint q = 0; q < n; q++)
            g_ptr_array_add(out, rmq_queue_new(topic, qd->broker_name, (gint) q));
    }
}

static void
publish_forget(RmqProducer *p, const gchar *topic)
{
    p->last_pi = NULL;
    g_hash_table_remove(p->publish, topic);
}

/* (transfer none) write queues of @topic; the default topic's brokers when
 * the topic does not exist yet (the broker auto-creates it, docs/protocol.md §9.1). */
static const PublishInfo *
publish_info_at(RmqProducer *p, const gchar *topic, gint64 now, GError **error)
{
    PublishInfo *pi;
    if (p->last_pi != NULL && strcmp(p->last_topic, topic) == 0) {
        pi = p->last_pi;
    } else {
        pi = g_hash_table_lookup(p->publish, topic);
        if (pi != NULL) {
            g_free(p->last_topic);
            p->last_topic = g_strdup(topic);
            p->last_pi = pi;
        }
    }
    /* Inside a callback the context must not be iterated: keep a stale list. */
    if (pi && (p->in_callback || now - pi->fetched_us < RMQ_MQ_ROUTE_TTL_US))
        return pi;
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) queues = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_queue_free);
    const RmqRoute *r = rmq_mq_core_route(p->core, topic, TRUE, &err);
    if (r) {
        add_queues(queues, topic, r, 0);
    } else if (g_error_matches(err, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TOPIC_NOT_EXIST)) {
        g_autoptr(GError) err2 = NULL;
        const RmqRoute *d = rmq_mq_core_route(p->core, RMQ_MQ_DEFAULT_TOPIC, TRUE, &err2);
        if (d)
            add_queues(queues, topic, d, p->default_queue_nums);
        else if (!g_error_matches(err2, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TOPIC_NOT_EXIST))
            g_propagate_error(&err, g_steal_pointer(&err2));
    }
    if (queues->len == 0) {
        if (pi && err != NULL &&
            !g_error_matches(err, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TOPIC_NOT_EXIST))
            return pi; /* keep the old list while the name servers are away */
        publish_forget(p, topic);
        if (r != NULL)
            g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TOPIC_NOT_EXIST,
                        "topic %s has no writable queue with a master (write permission "
                        "wiped?)", topic);
        else if (err && !g_error_matches(err, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TOPIC_NOT_EXIST))
            g_propagate_error(error, g_steal_pointer(&err));
        else
            g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TOPIC_NOT_EXIST,
                        "topic not found: %s (no route, and no writable %s route to create it)",
                        topic, RMQ_MQ_DEFAULT_TOPIC);
        return NULL;
    }
    PublishInfo *fresh = g_new0(PublishInfo, 1);
    fresh->queues = g_steal_pointer(&queues);
    fresh->fetched_us = now;
    p->last_pi = NULL;
    g_hash_table_replace(p->publish, g_strdup(topic), fresh);
    return fresh;
}

static const PublishInfo *
publish_info(RmqProducer *p, const gchar *topic, GError **error)
{
    return publish_info_at(p, topic, g_get_monotonic_time(), error);
}

GPtrArray *
rmq_producer_fetch_publish_queues(RmqProducer *p, const gchar *topic, GError **error)
{
    const PublishInfo *pi = publish_info(p, topic, error);
    if (pi == NULL)
        return NULL;
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_queue_free);
    for (guint i = 0; i < pi->queues->len; i++) {
        const RmqQueue *q = g_ptr_array_index(pi->queues, i);
        g_ptr_array_add(out, rmq_queue_new(q->topic, q->broker_name, q->queue_id));
    }
    return out;
}

static gboolean
broker_faulty(RmqProducer *p, const gchar *broker)
{
    if (g_hash_table_size(p->faults) == 0)
        return FALSE;
    gint64 *until = g_hash_table_lookup(p->faults, broker);
    return until && g_get_monotonic_time() < *until;
}

static void
mark_fault(RmqProducer *p, const gchar *broker)
{
    gint64 *until = g_new(gint64, 1);
    *until = g_get_monotonic_time() + (gint64) p->fault_ms * 1000;
    g_hash_table_replace(p->faults, g_strdup(broker), until);
}

static void
clear_fault(RmqProducer *p, const gchar *broker)
{
    if (g_hash_table_size(p->faults))
        g_hash_table_remove(p->faults, broker);
}

/* Round robin over the write queues, skipping the broker that failed the
 * previous attempt and brokers in their fault window; if every broker is
 * excluded, any other broker than @last, then anything. */
static const RmqQueue *
select_queue(RmqProducer *p, const PublishInfo *pi, const gchar *last)
{
    guint n = pi->queues->len;
    for (guint k = 0; k < n; k++) {
        const RmqQueue *q = g_ptr_array_index(pi->queues, p->rr++ % n);
        if ((last == NULL || strcmp(q->broker_name, last) != 0) && !broker_faulty(p, q->broker_name))
            return q;
    }
    for (guint k = 0; k < n; k++) {
        const RmqQueue *q = g_ptr_array_index(pi->queues, p->rr++ % n);
        if (last == NULL || strcmp(q->broker_name, last) != 0)
            return q;
    }
    return g_ptr_array_index(pi->queues, p->rr++ % n);
}

/* The master of @broker. It may refetch the topic's route, which frees the
 * topic's publish list: callers must not hold a queue from that list across
 * the call (they copy it first), and @broker is copied here for the same
 * reason. */
static const gchar *
master_addr(RmqProducer *p, const gchar *topic, const gchar *broker_name, GError **error)
{
    const RmqRoute *r = g_hash_table_lookup(p->core->routes, topic);
    const gchar *addr = r ? rmq_route_master_addr(r, broker_name) : NULL;
    if (addr != NULL)
        return addr;
    g_autofree gchar *broker = g_strdup(broker_name);
    r = g_hash_table_lookup(p->core->routes, RMQ_MQ_DEFAULT_TOPIC);
    addr = r ? rmq_route_master_addr(r, broker) : NULL;
    if (addr == NULL && !p->in_callback) {
        /* Fetches the topic's route, or the default topic's for a new topic. */
        publish_forget(p, topic);
        publish_info(p, topic, NULL);
        r = g_hash_table_lookup(p->core->routes, topic);
        addr = r ? rmq_route_master_addr(r, broker) : NULL;
        if (addr == NULL) {
            r = g_hash_table_lookup(p->core->routes, RMQ_MQ_DEFAULT_TOPIC);
            addr = r ? rmq_route_master_addr(r, broker) : NULL;
        }
    }
    if (addr == NULL)
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NOT_FOUND,
                    "no master address for broker %s", broker);
    return addr;
}

/* One-way heartbeats on first use of a broker and every 30 s, so the
 * broker lists this producer group (producerConnection). */
static void
maybe_heartbeat_at(RmqProducer *p, const gchar *addr, gint64 now)
{
    gint64 *last = p->last_hb != NULL && strcmp(p->last_hb_addr, addr) == 0
                       ? p->last_hb
                       : g_hash_table_lookup(p->heartbeat, addr);
    if (last && now - *last < HEARTBEAT_INTERVAL_US) {
        if (last != p->last_hb) {
            g_free(p->last_hb_addr);
            p->last_hb_addr = g_strdup(addr);
            p->last_hb = last;
        }
        return;
    }
    RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_HEART_BEAT);
    g_autoptr(GBytes) body = rmq_mq_heartbeat_body(p->core->client_id, p->group, NULL, NULL);
    rmq_command_set_body(req, body);
    rmq_client_invoke_oneway(p->core->client, addr, req);
    gint64 *v = g_new(gint64, 1);
    *v = now;
    p->last_hb = NULL;
    g_hash_table_replace(p->heartbeat, g_strdup(addr), v);
}

static void
maybe_heartbeat(RmqProducer *p, const gchar *addr)
{
    maybe_heartbeat_at(p, addr, g_get_monotonic_time());
}

/* ------------------------------------------------------------ encoding */

static gboolean
check_topic(const gchar *topic, GError **error)
{
    if (topic == NULL || *topic == '\0' || strlen(topic) > RMQ_MESSAGE_MAX_TOPIC) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL,
                    "topic must be 1..%d characters", RMQ_MESSAGE_MAX_TOPIC);
        return FALSE;
    }
    for (const gchar *c = topic; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '%' && *c != '-' && *c != '_' && *c != '|') {
            g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL,
                        "topic %s has a character outside [%%|a-zA-Z0-9_-]", topic);
            return FALSE;
        }
    return TRUE;
}

/* UNIQ_KEY of @props, a new unique id put there first when it has none. */
static const gchar *
unique_id_of(GHashTable *props)
{
    const gchar *uniq = g_hash_table_lookup(props, RMQ_PROPERTY_UNIQ_KEY);
    if (uniq == NULL) {
        gchar *id = rmq_mq_unique_id();
        g_hash_table_replace(props, g_strdup(RMQ_PROPERTY_UNIQ_KEY), id);
        uniq = id;
    }
    return uniq;
}

static Prepared *
prepare(RmqProducer *p, RmqMsg *msg, GError **error)
{
    if (!check_topic(msg->topic, error))
        return NULL;
    gsize len = g_bytes_get_size(msg->body);
    if (len == 0) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL, "the message body is empty");
        return NULL;
    }
    if (len > p->max_size) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL,
                    "the message body is %" G_GSIZE_FORMAT " bytes, over maxMessageSize %"
                    G_GSIZE_FORMAT, len, p->max_size);
        return NULL;
    }
    GHashTable *props = NULL;
    const gchar *uniq;
    gchar *properties;
    if (msg->block == NULL && g_atomic_pointer_get(&msg->props_table) == NULL &&
        msg->props_raw == NULL) {
        /* No property: the properties are the new unique id alone, which
         * the message keeps as its raw properties (no table to fill, sort
         * and free per send; one is parsed from them if the caller asks). */
        gsize klen = strlen(RMQ_PROPERTY_UNIQ_KEY), plen = klen + 1 + RMQ_MQ_UNIQUE_ID_LEN;
        gchar *raw = g_malloc(plen + 1);
        memcpy(raw, RMQ_PROPERTY_UNIQ_KEY, klen);
        raw[klen] = RMQ_PROPERTY_NAME_VALUE_SEPARATOR;
        rmq_mq_unique_id_to(raw + klen + 1);
        rmq_mq_msg_set_raw_properties(msg, raw, plen);
        uniq = raw + klen + 1;
        properties = g_memdup2(raw, plen + 1);
    } else {
        props = rmq_msg_get_properties(msg);
        uniq = unique_id_of(props);
        properties = rmq_message_properties_build(props);
    }
    /* One allocation for the struct, the topic and the id. */
    gsize tlen = strlen(msg->topic) + 1, ulen = strlen(uniq) + 1;
    Prepared *x = g_malloc0(sizeof *x + tlen + ulen);
    x->inline_text = TRUE;
    x->topic = memcpy((gchar *) (x + 1), msg->topic, tlen);
    x->msg_id = memcpy(x->topic + tlen, uniq, ulen);
    x->begin_ms = p->trace != NULL ? g_get_real_time() / 1000 : 0; /* the Pub trace's only */
    x->flag = msg->flag;
    x->reply = props != NULL &&
               g_strcmp0(g_hash_table_lookup(props, RMQ_PROPERTY_MSG_TYPE), RMQ_MQ_REPLY_FLAG) == 0;
    x->properties = properties;
    if (strlen(x->properties) > RMQ_MESSAGE_MAX_PROPS) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL, "properties over %d bytes",
                    RMQ_MESSAGE_MAX_PROPS);
        prepared_free(x);
        return NULL;
    }
    if (len >= p->compress_over) {
        uLongf out_len = compressBound(len);
        guint8 *out = g_malloc(out_len);
        if (compress2(out, &out_len, g_bytes_get_data(msg->body, NULL), len, 5) == Z_OK) {
            x->body = g_bytes_new_take(g_realloc(out, out_len), out_len);
            x->sys_flag |= RMQ_SYSFLAG_COMPRESSED;
        } else {
            g_free(out);
        }
    }
    if (x->body == NULL)
        x->body = g_bytes_ref(msg->body);
    return x;
}

/* docs/protocol.md §6.6 batch body. */
static Prepared *
prepare_batch(RmqProducer *p, RmqMsg *const *msgs, guint n, GError **error)
{
    if (n == 0) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL, "empty batch");
        return NULL;
    }
    /* Sized for the bodies and a unique id's worth of properties each, so
     * the body rarely grows; the ids are 32 characters and a comma each. */
    gsize guess = 0;
    for (guint i = 0; i < n; i++)
        guess += g_bytes_get_size(msgs[i]->body) + 22 + 48;
    g_autoptr(GString) body = g_string_sized_new(MIN(guess, p->max_size + 1));
    g_autoptr(GString) ids = g_string_sized_new((RMQ_MQ_UNIQUE_ID_LEN + 1) * n);
    for (guint i = 0; i < n; i++) {
        RmqMsg *m = msgs[i];
        if (g_strcmp0(m->topic, msgs[0]->topic) != 0) {
            g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL,
                        "a batch must have one topic (%s and %s)", msgs[0]->topic, m->topic);
            return NULL;
        }
        if (rmq_msg_get_property(m, RMQ_PROPERTY_DELAY)) {
            g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL, "no delay level in a batch");
            return NULL;
        }
        const gchar *uniq = unique_id_of(rmq_msg_get_properties(m));
        if (i > 0)
            g_string_append_c(ids, ',');
        g_string_append(ids, uniq);
        gsize blen = g_bytes_get_size(m->body);
        if (rmq_mq_batch_item_append(body, m->flag, g_bytes_get_data(m->body, NULL), blen,
                                     rmq_msg_get_properties(m)) < 0) {
            g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL, "properties over %d bytes",
                        RMQ_MESSAGE_MAX_PROPS);
            return NULL;
        }
    }
    if (body->len > p->max_size) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL,
                    "the batch is %" G_GSIZE_FORMAT " bytes, over maxMessageSize %" G_GSIZE_FORMAT,
                    body->len, p->max_size);
        return NULL;
    }
    if (!check_topic(msgs[0]->topic, error))
        return NULL;
    Prepared *x = g_new0(Prepared, 1);
    x->topic = g_strdup(msgs[0]->topic);
    x->batch = TRUE;
    x->properties = g_strdup("");
    x->msg_id = g_string_free(g_steal_pointer(&ids), FALSE);
    x->body = g_string_free_to_bytes(g_steal_pointer(&body));
    return x;
}

/* An ext field whose value needs no JSON escaping (a number, a checked topic). */
static void
ext_plain(RmqCommand *req, const gchar *static_key, const gchar *value, gsize len)
{
    rmq_command_append_ext_plain(req, static_key, 1, value, len);
}

static void
ext_int(RmqCommand *req, const gchar *static_key, gint64 v)
{
    rmq_command_append_ext_int64(req, static_key, 1, v);
}

/* A literal value: not copied. */
#define EXT_LIT(req, key, lit) rmq_command_append_ext_static(req, key, 1, lit, sizeof lit - 1)

/* The fields in Java's order, appended without a lookup (a new command has
 * none): the topic passed check_topic() and the numbers need no escaping;
 * the group, the properties (\001 and \002 separators) and the broker name
 * go through the escaping encoder. */
static RmqCommand *
build_request(RmqProducer *p, const Prepared *x, const RmqQueue *q)
{
    /* As Java's MQClientAPIImpl.sendMessage: a reply goes as code 325 */
    RmqCommand *req = rmq_command_new_request(x->batch   ? RMQ_REQUEST_SEND_BATCH_MESSAGE
                                              : x->reply ? RMQ_REQUEST_SEND_REPLY_MESSAGE_V2
                                                         : RMQ_REQUEST_SEND_MESSAGE_V2);
    rmq_command_append_ext_len(req, "a", 1, p->group, strlen(p->group));
    ext_plain(req, "b", x->topic, strlen(x->topic));
    EXT_LIT(req, "c", RMQ_MQ_DEFAULT_TOPIC);
    ext_int(req, "d", p->default_queue_nums);
    ext_int(req, "e", q->queue_id);
    ext_int(req, "f", x->sys_flag);
    ext_int(req, "g", g_get_real_time() / 1000);
    ext_int(req, "h", x->flag);
    rmq_command_append_ext_len(req, "i", 1, x->properties, strlen(x->properties));
    EXT_LIT(req, "j", "0");
    EXT_LIT(req, "k", "false");
    if (x->batch)
        EXT_LIT(req, "m", "true");
    else
        EXT_LIT(req, "m", "false");
    rmq_command_append_ext_len(req, "n", 1, q->broker_name, strlen(q->broker_name));
    rmq_command_set_body(req, x->body);
    return req;
}

static gboolean
stored_code(gint code, RmqSendStatus *status)
{
    switch (code) {
    case RMQ_RESPONSE_SUCCESS: *status = RMQ_SEND_OK; return TRUE;
    case RMQ_RESPONSE_FLUSH_DISK_TIMEOUT: *status = RMQ_SEND_FLUSH_DISK_TIMEOUT; return TRUE;
    case RMQ_RESPONSE_FLUSH_SLAVE_TIMEOUT: *status = RMQ_SEND_FLUSH_SLAVE_TIMEOUT; return TRUE;
    case RMQ_RESPONSE_SLAVE_NOT_AVAILABLE: *status = RMQ_SEND_SLAVE_NOT_AVAILABLE; return TRUE;
    default: return FALSE;
    }
}

/* Java's MQClientAPIImpl retries these on another broker (docs/protocol.md §4.2). */
static gboolean
retryable_code(gint code)
{
    return code == RMQ_RESPONSE_TOPIC_NOT_EXIST || code == RMQ_RESPONSE_SERVICE_NOT_AVAILABLE ||
           code == RMQ_RESPONSE_SYSTEM_ERROR || code == RMQ_RESPONSE_NO_PERMISSION ||
           code == RMQ_RESPONSE_NO_BUYER_ID || code == RMQ_RESPONSE_NOT_IN_CURRENT_UNIT ||
           code == RMQ_RESPONSE_SYSTEM_BUSY;
}

/* TRUE + @result for a stored message; FALSE + @error (and *@retry). */
static gboolean
handle_response(RmqProducer *p, const Prepared *x, const RmqQueue *q, const gchar *addr,
                RmqCommand *resp, RmqSendResult *result, gboolean *retry, GError **error)
{
    RmqSendStatus status;
    *retry = FALSE;
    if (!stored_code(resp->code, &status)) {
        *retry = retryable_code(resp->code);
        if (*retry)
            mark_fault(p, q->broker_name);
        rmq_mq_set_refused(error, addr, resp);
        return FALSE;
    }
    clear_fault(p, q->broker_name);
    gint32 qid = q->queue_id;
    gint64 qoff = -1, n;
    /* The fields in one pass (the first of a name counts, as
     * rmq_command_get_ext's), not a search per name. */
    const gchar *msg_id = NULL, *region = NULL, *trace_on = NULL, *vqid = NULL, *voff = NULL;
    for (guint i = 0; i < rmq_command_get_n_ext(resp); i++) {
        const RmqExtField *f = rmq_command_get_ext_field(resp, i);
        const gchar **slot = NULL;
        switch (f->key[0]) {
        case 'm': slot = strcmp(f->key, "msgId") == 0 ? &msg_id : NULL; break;
        case 'q': slot = strcmp(f->key, "queueId") == 0       ? &vqid
                         : strcmp(f->key, "queueOffset") == 0 ? &voff
                                                              : NULL; break;
        case 'M': slot = strcmp(f->key, "MSG_REGION") == 0 ? &region : NULL; break;
        case 'T': slot = strcmp(f->key, "TRACE_ON") == 0 ? &trace_on : NULL; break;
        default: break;
        }
        if (slot != NULL && *slot == NULL)
            *slot = f->value;
    }
    if (vqid != NULL && rmq_command_parse_int64(vqid, G_MININT32, G_MAXINT32, &n))
        qid = (gint32) n;
    if (voff != NULL && rmq_command_parse_int64(voff, G_MININT64, G_MAXINT64, &n))
        qoff = n;
    result->status = status;
    result->msg_id = g_strdup(x->msg_id);
    result->offset_msg_id = g_strdup(msg_id);
    result->broker_name = g_strdup(q->broker_name);
    result->queue_id = qid;
    result->queue_offset = qoff;
    /* MQClientAPIImpl.processSendResponse */
    result->region_id = g_strdup(region != NULL && *region != '\0' ? region : "DefaultRegion");
    result->trace_on = g_strcmp0(trace_on, "false") != 0;
    return TRUE;
}

/* SendMessageTraceHookImpl: a Pub record of a stored message, appended to
 * the trace data (sent by the caller when it may). */
static void
trace_pub(RmqProducer *p, const Prepared *x, const RmqSendResult *result)
{
    if (p->trace == NULL || x->batch || !result->trace_on ||
        g_str_has_prefix(x->topic, rmq_trace_dispatcher_topic(p->trace)))
        return;
    g_autoptr(RmqTraceRecord) r = rmq_trace_record_new(RMQ_TRACE_PUB);
    gsize plen = strlen(x->properties);
    gint64 now_ms = g_get_real_time() / 1000;
    gint64 begin_ms = x->begin_ms != 0 ? x->begin_ms : now_ms; /* traced since prepare() */
    r->timestamp = begin_ms;
    r->cost_time = (gint) (now_ms - begin_ms);
    r->success = result->status == RMQ_SEND_OK;
    r->region_id = g_strdup(result->region_id);
    r->group = g_strdup(p->group);
    r->topic = g_strdup(x->topic);
    r->msg_id = g_strdup(result->msg_id);
    r->offset_msg_id = g_strdup(result->offset_msg_id);
    r->tags = rmq_message_property_dup(x->properties, plen, RMQ_PROPERTY_TAGS);
    r->keys = rmq_message_property_dup(x->properties, plen, RMQ_PROPERTY_KEYS);
    const RmqRoute *route = g_hash_table_lookup(p->core->routes, x->topic);
    const gchar *addr = route != NULL ? rmq_route_master_addr(route, result->broker_name) : NULL;
    if (addr == NULL) {
        route = g_hash_table_lookup(p->core->routes, RMQ_MQ_DEFAULT_TOPIC);
        addr = route != NULL ? rmq_route_master_addr(route, result->broker_name) : NULL;
    }
    r->store_host = g_strdup(addr);
    r->body_length = (gint) g_bytes_get_size(x->body); /* as sent (compressed), as Java */
    g_autofree gchar *tran = rmq_message_property_dup(x->properties, plen, RMQ_PROPERTY_TRAN_MSG);
    g_autofree gchar *delay = rmq_message_property_dup(x->properties, plen, RMQ_PROPERTY_DELAY);
    if (g_strcmp0(tran, "true") == 0)
        r->msg_type = 1; /* Trans_Msg_Half */
    else if (delay != NULL && g_ascii_strtoll(delay, NULL, 10) > 0)
        r->msg_type = 3; /* Delay_Msg */
    rmq_trace_dispatcher_append(p->trace, r);
}

/* Sync entry points: traced sends so far go out now. */
static void
trace_flush(RmqProducer *p)
{
    if (p->trace != NULL && !p->in_callback)
        rmq_trace_dispatcher_flush(p->trace);
}

void
rmq_producer_enable_trace(RmqProducer *p, const gchar *trace_topic)
{
    g_return_if_fail(p != NULL);
    if (p->trace != NULL)
        return;
    p->trace = rmq_trace_dispatcher_new(p->core, p->group, "PRODUCE", trace_topic);
}

/* @s copied into @buf when it fits, else into *@heap (freed by the caller):
 * the per-attempt copies of a broker name and address, without malloc. */
static const gchar *
copy_small(gchar *buf, gsize size, const gchar *s, gchar **heap)
{
    gsize n = strlen(s) + 1;
    if (n <= size)
        return memcpy(buf, s, n);
    g_free(*heap);
    *heap = g_strdup(s);
    return *heap;
}

static gboolean
send_sync(RmqProducer *p, const Prepared *x, const RmqQueue *fixed, RmqSendResult *result,
          GError **error)
{
    memset(result, 0, sizeof *result);
    /* One clock read for the first attempt: its time left is the timeout. */
    gint64 now = g_get_monotonic_time();
    gint64 deadline = now + (gint64) p->send_timeout_ms * 1000;
    g_autoptr(GError) last_err = NULL;
    gchar broker_buf[64], addr_buf[64];
    g_autofree gchar *broker_heap = NULL;
    g_autofree gchar *addr_heap = NULL;
    const gchar *last_broker = NULL;
    guint attempts = 1 + p->retries;
    for (guint a = 0; a < attempts; a++) {
        if (a > 0)
            now = g_get_monotonic_time();
        gint64 left_ms = (deadline - now) / 1000;
        if (left_ms <= 0)
            break;
        const RmqQueue *picked = fixed;
        if (picked == NULL) {
            const PublishInfo *pi = publish_info_at(p, x->topic, now, error);
            if (pi == NULL)
                return FALSE;
            picked = select_queue(p, pi, last_broker);
        }
        /* A copy of the broker name: master_addr() may free the publish
         * list @picked is in (the topic is x's, the same). */
        last_broker = copy_small(broker_buf, sizeof broker_buf, picked->broker_name, &broker_heap);
        const RmqQueue view = { x->topic, (gchar *) last_broker, picked->queue_id };
        const RmqQueue *q = &view;
        g_clear_error(&last_err);
        const gchar *addr = master_addr(p, x->topic, q->broker_name, &last_err);
        if (addr == NULL) {
            mark_fault(p, q->broker_name);
            continue;
        }
        const gchar *addr_copy = copy_small(addr_buf, sizeof addr_buf, addr, &addr_heap);
        maybe_heartbeat_at(p, addr_copy, now);
        g_autoptr(RmqCommand) resp = rmq_mq_core_invoke(p->core, addr_copy,
                                                        build_request(p, x, q),
                                                        (guint) left_ms, &last_err);
        if (resp == NULL) {
            mark_fault(p, q->broker_name);
            continue;
        }
        gboolean retry;
        if (handle_response(p, x, q, addr_copy, resp, result, &retry, &last_err)) {
            result->attempts = a + 1;
            trace_pub(p, x, result);
            trace_flush(p);
            return TRUE;
        }
        if (!retry)
            break;
    }
    if (last_err == NULL)
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TIMEOUT,
                    "send to %s timed out after %u ms", x->topic, p->send_timeout_ms);
    else
        g_propagate_prefixed_error(error, g_steal_pointer(&last_err), "send to %s failed: ",
                                   x->topic);
    return FALSE;
}

gboolean
rmq_producer_send(RmqProducer *p, RmqMsg *msg, RmqSendResult *result, GError **error)
{
    g_autoptr(Prepared) x = prepare(p, msg, error);
    return x != NULL && send_sync(p, x, NULL, result, error);
}

gboolean
rmq_producer_send_to_queue(RmqProducer *p, RmqMsg *msg, const RmqQueue *mq,
                           RmqSendResult *result, GError **error)
{
    g_autoptr(Prepared) x = prepare(p, msg, error);
    if (x == NULL)
        return FALSE;
    if (g_strcmp0(mq->topic, x->topic) != 0) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL, "queue topic %s is not %s",
                    mq->topic, x->topic);
        return FALSE;
    }
    return send_sync(p, x, mq, result, error);
}

gboolean
rmq_producer_send_batch(RmqProducer *p, RmqMsg *const *msgs, guint n, RmqSendResult *result,
                        GError **error)
{
    g_autoptr(Prepared) x = prepare_batch(p, msgs, n, error);
    return x != NULL && send_sync(p, x, NULL, result, error);
}

gboolean
rmq_producer_send_oneway(RmqProducer *p, RmqMsg *msg, GError **error)
{
    g_autoptr(Prepared) x = prepare(p, msg, error);
    if (x == NULL)
        return FALSE;
    trace_flush(p);
    const PublishInfo *pi = publish_info(p, x->topic, error);
    if (pi == NULL)
        return FALSE;
    const RmqQueue *picked = select_queue(p, pi, NULL);
    /* A copy: master_addr() may free the publish list @picked is in. */
    g_autoptr(RmqQueue) q = rmq_queue_new(picked->topic, picked->broker_name, picked->queue_id);
    const gchar *addr = master_addr(p, x->topic, q->broker_name, error);
    if (addr == NULL)
        return FALSE;
    g_autofree gchar *addr_copy = g_strdup(addr);
    maybe_heartbeat(p, addr_copy);
    rmq_client_invoke_oneway(p->core->client, addr_copy, build_request(p, x, q));
    return TRUE;
}

/* ------------------------------------------------------------ async */

typedef struct {
    RmqProducer *p;
    Prepared *x;
    RmqSendCallback callback;
    gpointer user_data;
    gint64 deadline;
    guint attempt;
    RmqQueue *queue;
    gchar *addr;
    GError *last_err;
} AsyncSend;

static void
async_finish(AsyncSend *s, const RmqSendResult *result)
{
    RmqProducer *p = s->p;
    if (result == NULL && s->last_err == NULL)
        g_set_error(&s->last_err, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TIMEOUT,
                    "send to %s timed out after %u ms", s->x->topic, p->send_timeout_ms);
    if (result == NULL)
        g_prefix_error(&s->last_err, "send to %s failed: ", s->x->topic);
    p->in_callback++;
    s->callback(p, result, result ? NULL : s->last_err, s->user_data);
    p->in_callback--;
    p->pending--;
    g_clear_error(&s->last_err);
    rmq_queue_free(s->queue);
    g_free(s->addr);
    prepared_free(s->x);
    g_free(s);
}

static void async_attempt(AsyncSend *s);

static gboolean
async_fail_idle(gpointer data)
{
    async_finish(data, NULL);
    return G_SOURCE_REMOVE;
}

static void
on_async_response(RmqCommand *resp, const GError *error, gpointer data)
{
    AsyncSend *s = data;
    RmqProducer *p = s->p;
    g_clear_error(&s->last_err);
    gboolean retry = TRUE;
    if (resp == NULL) {
        rmq_mq_set_transport(&s->last_err, s->addr, error);
        mark_fault(p, s->queue->broker_name);
    } else {
        RmqSendResult result = { 0 };
        gboolean ok = handle_response(p, s->x, s->queue, s->addr, resp, &result, &retry,
                                      &s->last_err);
        rmq_command_free(resp);
        if (ok) {
            result.attempts = s->attempt;
            trace_pub(p, s->x, &result);
            async_finish(s, &result);
            rmq_send_result_clear(&result);
            return;
        }
    }
    if (retry && !p->closing && s->attempt < 1 + p->retries &&
        g_get_monotonic_time() < s->deadline) {
        p->in_callback++;
        async_attempt(s);
        p->in_callback--;
    } else {
        async_finish(s, NULL);
    }
}

static void
async_attempt(AsyncSend *s)
{
    RmqProducer *p = s->p;
    s->attempt++;
    g_autofree gchar *last = s->queue ? g_strdup(s->queue->broker_name) : NULL;
    g_clear_error(&s->last_err);
    const PublishInfo *pi = publish_info(p, s->x->topic, &s->last_err);
    const gchar *addr = NULL;
    if (pi) {
        const RmqQueue *q = select_queue(p, pi, last);
        rmq_queue_free(s->queue);
        s->queue = rmq_queue_new(q->topic, q->broker_name, q->queue_id);
        addr = master_addr(p, s->x->topic, s->queue->broker_name, &s->last_err);
    }
    gint64 left_ms = (s->deadline - g_get_monotonic_time()) / 1000;
    if (addr == NULL || left_ms <= 0) {
        GSource *src = g_idle_source_new();
        g_source_set_callback(src, async_fail_idle, s, NULL);
        g_source_attach(src, p->core->context);
        g_source_unref(src);
        return;
    }
    g_free(s->addr);
    s->addr = g_strdup(addr);
    maybe_heartbeat(p, s->addr);
    rmq_client_invoke_async(p->core->client, s->addr, build_request(p, s->x, s->queue),
                            (guint) left_ms, on_async_response, s);
}

void
rmq_producer_send_async(RmqProducer *p, RmqMsg *msg, RmqSendCallback callback,
                        gpointer user_data)
{
    AsyncSend *s = g_new0(AsyncSend, 1);
    s->p = p;
    s->callback = callback;
    s->user_data = user_data;
    s->deadline = g_get_monotonic_time() + (gint64) p->send_timeout_ms * 1000;
    trace_flush(p);
    p->pending++;
    s->x = prepare(p, msg, &s->last_err);
    if (s->x == NULL) {
        s->x = g_new0(Prepared, 1);
        s->x->topic = g_strdup(msg->topic);
        GSource *src = g_idle_source_new();
        g_source_set_callback(src, async_fail_idle, s, NULL);
        g_source_attach(src, p->core->context);
        g_source_unref(src);
        return;
    }
    async_attempt(s);
}

RmqInstance *
rmq_producer_get_instance(RmqProducer *p)
{
    g_return_val_if_fail(p != NULL, NULL);
    return p->core;
}

/* ------------------------------------------------------------ request-reply */

/* Java's sendHeartbeatToAllBrokerWithLock before a request: every master
 * the instance has a route to learns this client id, so whichever broker
 * the replier sends the reply to finds the channel to push it on. */
static void
heartbeat_all_brokers(RmqProducer *p)
{
    g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, p->core->routes);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        const RmqRoute *r = v;
        for (guint i = 0; i < r->broker_datas->len; i++) {
            const RmqBrokerData *bd = g_ptr_array_index(r->broker_datas, i);
            const gchar *addr = g_hash_table_lookup(bd->addrs, "0");
            if (addr != NULL)
                g_ptr_array_add(addrs, g_strdup(addr));
        }
    }
    for (guint i = 0; i < addrs->len; i++)
        maybe_heartbeat(p, g_ptr_array_index(addrs, i));
}

static void
on_request_sent(RmqProducer *p, const RmqSendResult *result, const GError *error,
                gpointer user_data)
{
    (void) p;
    (void) result;
    RmqReplyWaiter *w = user_data;
    w->send_done = TRUE;
    if (error != NULL)
        w->send_error = g_error_copy(error);
    if (w->abandoned) {
        g_clear_error(&w->send_error);
        g_free(w);
    }
}

static gboolean
on_request_timeout(gpointer data)
{
    ((RmqReplyWaiter *) data)->timed_out = TRUE;
    return G_SOURCE_REMOVE;
}

RmqMsg *
rmq_producer_request(RmqProducer *p, RmqMsg *msg, guint timeout_ms, GError **error)
{
    g_return_val_if_fail(p != NULL && msg != NULL, NULL);
    gint64 begin = g_get_monotonic_time();
    /* prepareSendRequest */
    g_autofree gchar *corr = g_uuid_string_random();
    g_autofree gchar *ttl = g_strdup_printf("%u", timeout_ms);
    rmq_msg_put_property(msg, RMQ_PROPERTY_CORRELATION_ID, corr);
    rmq_msg_put_property(msg, RMQ_PROPERTY_REPLY_TO_CLIENT, p->core->client_id);
    rmq_msg_put_property(msg, RMQ_PROPERTY_TTL, ttl);
    if (g_hash_table_lookup(p->core->routes, msg->topic) == NULL)
        publish_info(p, msg->topic, NULL);
    heartbeat_all_brokers(p);

    RmqReplyWaiter *w = g_new0(RmqReplyWaiter, 1);
    g_hash_table_insert(p->core->reply_waiters, g_strdup(corr), w);
    gint64 cost_ms = (g_get_monotonic_time() - begin) / 1000;
    guint left = cost_ms < timeout_ms ? timeout_ms - (guint) cost_ms : 1;
    /* The send gets what is left of the timeout (Java: timeout - cost). */
    guint saved = p->send_timeout_ms;
    p->send_timeout_ms = left;
    rmq_producer_send_async(p, msg, on_request_sent, w);
    p->send_timeout_ms = saved;

    GSource *timer = g_timeout_source_new(left);
    g_source_set_callback(timer, on_request_timeout, w, NULL);
    g_source_attach(timer, p->core->context);
    while (w->reply == NULL && w->send_error == NULL && !w->timed_out)
        g_main_context_iteration(p->core->context, TRUE);
    g_source_destroy(timer);
    g_source_unref(timer);
    g_hash_table_remove(p->core->reply_waiters, corr);

    RmqMsg *reply = g_steal_pointer(&w->reply);
    if (reply == NULL) {
        if (w->send_error != NULL)
            g_set_error(error, RMQ_MQ_ERROR, w->send_error->code,
                        "send request message to <%s> fail: %s", msg->topic,
                        w->send_error->message);
        else
            g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TIMEOUT,
                        "send request message to <%s> OK, but wait reply message timeout, %u ms.",
                        msg->topic, timeout_ms);
    }
    if (w->send_done) {
        g_clear_error(&w->send_error);
        g_free(w);
    } else {
        w->abandoned = TRUE; /* on_request_sent frees it */
    }
    return reply;
}

gboolean
rmq_producer_reply(RmqProducer *p, const RmqMsg *request, const void *body, gssize len,
                   RmqSendResult *result, GError **error)
{
    g_autoptr(RmqMsg) reply = rmq_msg_new_reply(request, body, len, error);
    if (reply == NULL)
        return FALSE;
    return rmq_producer_send(p, reply, result, error);
}
