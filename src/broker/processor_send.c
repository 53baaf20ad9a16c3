/* SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320) in
 * the steps of send.h: checks, topic auto-creation, retry/DLQ redirection of
 * %RETRY% sends, half messages, batch decoding, the put, SYNC_FLUSH
 * acknowledgement and the long-poll wake-up (docs/protocol.md §3.2, §4.2, §6, §9.1, §10.7, §11). */
#include <config.h>

#include <string.h>

#include "broker/broker.h"
#include "broker/commands.h"
#include "broker/stats.h"
#include "broker/send.h"
#include "broker/topic_config.h"
#include "ha/ha_service.h"
#include "remoting/codes.h"
#include "remoting/json_scan.h"
#include "remoting/json_text.h"

/* Header names of code 10, in RmqSendHeaderField order; V2 uses 'a' + index. */
static const gchar *const v1_names[RMQ_SEND_H_N] = {
    "producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag",
    "bornTimestamp", "flag", "properties", "reconsumeTimes", "unitMode", "maxReconsumeTimes",
    "batch",
};

static gboolean
parse_i32(const gchar *v, gint32 *out)
{
    gint64 n;
    if (v == NULL)
        return FALSE;
    /* One to nine plain digits (what clients send for these fields) cannot
     * leave the gint32 range: read them here; anything else (a sign, ten
     * digits or more, other bytes) takes the full parser. */
    guint32 d = 0;
    int i = 0;
    while (i < 9 && v[i] >= '0' && v[i] <= '9')
        d = d * 10 + (guint32) (v[i++] - '0');
    if (i > 0 && v[i] == '\0') {
        *out = (gint32) d;
        return TRUE;
    }
    if (!rmq_command_parse_int64(v, G_MININT32, G_MAXINT32, &n))
        return FALSE;
    *out = (gint32) n;
    return TRUE;
}

/* Which header field @key names; -1 for none. */
static gint
field_index(const gchar *key, gboolean v1)
{
    if (!v1)
        return key[0] >= 'a' && key[0] < 'a' + RMQ_SEND_H_N && key[1] == '\0' ? key[0] - 'a' : -1;
    for (gint i = 0; i < RMQ_SEND_H_N; i++)
        if (key[0] == v1_names[i][0] && strcmp(key, v1_names[i]) == 0)
            return i;
    return -1;
}

gboolean
rmq_broker_send_header_parse(const RmqCommand *req, RmqSendHeader *out, gchar **remark)
{
    /* SEND_REPLY_MESSAGE (324) has code 10's header, V2 (325) the compact one */
    gboolean v1 =
        req->code == RMQ_REQUEST_SEND_MESSAGE || req->code == RMQ_REQUEST_SEND_REPLY_MESSAGE;
    *out = (RmqSendHeader){ .default_qnums = 4, .max_reconsume = -1 };
    for (guint i = 0; req->ext != NULL && i < req->ext->len; i++) {
        const RmqExtField *f = &g_array_index(req->ext, RmqExtField, i);
        gint k = field_index(f->key, v1);
        if (k >= 0 && out->raw[k] == NULL) { /* the first of duplicates wins, as lookups do */
            out->raw[k] = f->value;
            out->raw_len[k] = f->value_len;
        }
    }
    /* Required fields (a-h); the issue wants MESSAGE_ILLEGAL with a remark. */
    for (guint i = RMQ_SEND_H_GROUP; i <= RMQ_SEND_H_FLAG; i++) {
        if (out->raw[i] == NULL) {
            *remark = g_strdup_printf("the custom field <%s> is null", v1_names[i]);
            return FALSE;
        }
    }
    gint64 born;
    if (!parse_i32(out->raw[RMQ_SEND_H_QID], &out->queue_id) ||
        !parse_i32(out->raw[RMQ_SEND_H_SYSFLAG], &out->sys_flag) ||
        !parse_i32(out->raw[RMQ_SEND_H_FLAG], &out->flag) ||
        !rmq_command_parse_int64_len(out->raw[RMQ_SEND_H_BORN], out->raw_len[RMQ_SEND_H_BORN],
                                     G_MININT64, G_MAXINT64, &born) ||
        !parse_i32(out->raw[RMQ_SEND_H_DEFAULT_QNUMS], &out->default_qnums)) {
        *remark = g_strdup("a numeric header field (queueId, sysFlag, flag, bornTimestamp, "
                           "defaultTopicQueueNums) is not a number");
        return FALSE;
    }
    out->born = born;
    /* Optional numbers keep their defaults when malformed. */
    parse_i32(out->raw[RMQ_SEND_H_RECONSUME], &out->reconsume);
    parse_i32(out->raw[RMQ_SEND_H_MAX_RECONSUME], &out->max_reconsume);
    const gchar *bv = out->raw[RMQ_SEND_H_BATCH];
    /* Boolean.parseBoolean, plus the "1" rocketmq-client-cpp sends; the
     * first byte settles the usual "false" without a call. */
    out->batch = bv != NULL && (((bv[0] | 0x20) == 't' && g_ascii_strcasecmp(bv, "true") == 0) ||
                                (bv[0] == '1' && bv[1] == '\0'));
    return TRUE;
}

typedef struct {
    RmqBroker *b;
    RmqConnection *conn;
    RmqCommand *request;
    RmqCommand *response;
} FlushWait;

/* The flush (SYNC_FLUSH) and/or the slave (SYNC_MASTER) answered (docs/protocol.md §12.3). */
static void
on_flushed(RmqPutStatus status, gpointer data)
{
    FlushWait *w = data;
    if (status == RMQ_PUT_FLUSH_SLAVE_TIMEOUT)
        w->response->code = RMQ_RESPONSE_FLUSH_SLAVE_TIMEOUT;
    else if (status == RMQ_PUT_SLAVE_NOT_AVAILABLE)
        w->response->code = RMQ_RESPONSE_SLAVE_NOT_AVAILABLE;
    else if (status != RMQ_PUT_OK)
        w->response->code = RMQ_RESPONSE_FLUSH_DISK_TIMEOUT;
    gboolean hold = w->b->ack_round && w->b->acks_held != NULL;
    if (hold)
        rmq_connection_hold_output(w->conn);
    rmq_connection_send_response(w->conn, w->request, w->response);
    rmq_command_free(w->request);
    if (hold)
        g_ptr_array_add(w->b->acks_held, w->conn); /* its ref, dropped at the round's end */
    else
        rmq_connection_unref(w->conn);
    g_free(w);
}

void
rmq_broker_ack_round_begin(gpointer data)
{
    RmqBroker *b = data;
    b->ack_round = TRUE;
}

void
rmq_broker_ack_round_end(gpointer data)
{
    RmqBroker *b = data;
    b->ack_round = FALSE;
    /* One release per hold: a connection's output leaves at its last one. */
    for (guint i = 0; i < b->acks_held->len; i++) {
        RmqConnection *conn = g_ptr_array_index(b->acks_held, i);
        rmq_connection_release_output(conn);
        rmq_connection_unref(conn);
    }
    g_ptr_array_set_size(b->acks_held, 0);
}

static gint32
put_status_code(RmqPutStatus st, const gchar **remark)
{
    switch (st) {
    case RMQ_PUT_OK:
        return RMQ_RESPONSE_SUCCESS;
    case RMQ_PUT_FLUSH_DISK_TIMEOUT:
        return RMQ_RESPONSE_FLUSH_DISK_TIMEOUT;
    case RMQ_PUT_MESSAGE_ILLEGAL:
        *remark = "the message is illegal, maybe msg body or properties length not matched";
        return RMQ_RESPONSE_MESSAGE_ILLEGAL;
    case RMQ_PUT_PROPERTIES_SIZE_EXCEEDED:
        *remark = "the message is illegal, maybe msg properties length limit 32k.";
        return RMQ_RESPONSE_MESSAGE_ILLEGAL;
    case RMQ_PUT_SERVICE_NOT_AVAILABLE:
        *remark = "service not available now, maybe disk full or shutting down";
        return RMQ_RESPONSE_SERVICE_NOT_AVAILABLE;
    case RMQ_PUT_DISK_FULL:
        *remark = "service not available now, maybe disk full";
        return RMQ_RESPONSE_SERVICE_NOT_AVAILABLE;
    case RMQ_PUT_OS_PAGECACHE_BUSY:
        *remark = "[PC_SYNCHRONIZED]broker busy, start flow control for a while";
        return RMQ_RESPONSE_SYSTEM_BUSY;
    default:
        *remark = "create mapped file failed, server is busy or broken.";
        return RMQ_RESPONSE_SYSTEM_ERROR;
    }
}

/* Big-endian reads from unaligned positions of a request body. */
static gint32
be32(const guint8 *p)
{
    guint32 v;
    memcpy(&v, p, 4);
    return (gint32) GUINT32_FROM_BE(v);
}

static guint16
be16(const guint8 *p)
{
    guint16 v;
    memcpy(&v, p, 2);
    return GUINT16_FROM_BE(v);
}

/* One batch item (docs/protocol.md §6.6): fills @m's body/flag; properties are returned as the
 * item's own properties span. FALSE when malformed. */
static gboolean
next_batch_item(const guint8 *data, gsize len, gsize *pos, RmqMessage *m, const gchar **props,
                gsize *props_len)
{
    gsize p = *pos;
    if (len - p < 20)
        return FALSE;
    gint32 total = be32(data + p);
    if (total < 22 || (gsize) total > len - p)
        return FALSE;
    m->flag = be32(data + p + 12);
    gint32 body_len = be32(data + p + 16);
    if (body_len < 0 || 20 + (gsize) body_len + 2 > (gsize) total)
        return FALSE;
    m->body = data + p + 20;
    m->body_len = (gsize) body_len;
    gsize q = p + 20 + (gsize) body_len;
    guint16 plen = be16(data + q);
    if (q + 2 + plen > p + (gsize) total)
        return FALSE;
    *props = (const gchar *) data + q + 2;
    *props_len = plen;
    *pos = p + (gsize) total;
    return TRUE;
}

/* Whether property @f of @view is present and equals @value in any case
 * (props come from a NUL-terminated header value: no NUL inside). */
static gboolean
prop_is(const RmqPropertyView *view, RmqPropertyViewField f, const gchar *value)
{
    const RmqPropertyValue *v = &view->v[f];
    return v->value != NULL && v->len == strlen(value) &&
           g_ascii_strncasecmp(v->value, value, v->len) == 0;
}

void
rmq_send_target_clear(RmqSendTarget *t)
{
    t->topic = NULL;
    g_clear_pointer(&t->owned_topic, g_free);
}

void
rmq_send_build_clear(RmqSendBuild *m)
{
    if (m->one_props != NULL)
        g_string_free(g_steal_pointer(&m->one_props), TRUE);
    g_clear_pointer(&m->items, g_array_unref);
    g_clear_pointer(&m->owned, g_ptr_array_unref);
}

const RmqMessage *
rmq_send_build_messages(const RmqSendBuild *m, guint *n)
{
    if (m->items == NULL) {
        *n = 1;
        return &m->one;
    }
    *n = m->items->len;
    return (const RmqMessage *) (void *) m->items->data;
}

void
rmq_send_put_clear(RmqSendPut *p)
{
    if (p->msg_ids != NULL)
        g_string_free(g_steal_pointer(&p->msg_ids), TRUE);
}

gint32
rmq_broker_send_parse(const RmqCommand *req, RmqSendRequest *out, gchar **remark)
{
    if (!rmq_broker_send_header_parse(req, &out->hd, remark))
        return RMQ_RESPONSE_MESSAGE_ILLEGAL;
    out->version = req->version;
    out->props = out->hd.raw[RMQ_SEND_H_PROPS] != NULL ? out->hd.raw[RMQ_SEND_H_PROPS] : "";
    out->props_len = out->hd.raw_len[RMQ_SEND_H_PROPS];
    rmq_message_properties_view(out->props, out->props_len, &out->view);
    out->body_len = 0;
    out->body = req->body != NULL ? g_bytes_get_data(req->body, &out->body_len) : NULL;
    return RMQ_RESPONSE_SUCCESS;
}

gint32
rmq_broker_send_validate(RmqBroker *b, const RmqSendRequest *r, RmqSendTarget *out,
                         gchar **remark)
{
    const RmqBrokerSettings *s = &b->settings;
    const gchar *topic = r->hd.raw[RMQ_SEND_H_TOPIC];
    const gchar *reason = NULL;
    __typeof__(b->send_topic) *last = &b->send_topic;
    gboolean kept = topic != NULL && topic[0] != '\0' && strcmp(topic, last->name) == 0;
    if (!kept) {
        if (!rmq_topic_name_validate(topic, &reason)) {
            *remark = g_strdup_printf("illegal topic name: %s", reason != NULL ? reason : topic);
            return RMQ_RESPONSE_MESSAGE_ILLEGAL;
        }
        /* rmq_topic_table_check_send without its name check, just made */
        if (rmq_topic_is_send_forbidden(topic)) {
            *remark = g_strdup_printf("Sending message to topic[%s] is forbidden.", topic);
            return RMQ_RESPONSE_NO_PERMISSION;
        }
        gsize n = strlen(topic);
        if (n < sizeof last->name) {
            memcpy(last->name, topic, n + 1);
            last->tc = NULL;
            kept = TRUE;
        }
    }
    const RmqTopicConfig *tc;
    if (kept && last->tc != NULL && last->tc_changes == rmq_topic_table_changes(b->topics)) {
        tc = last->tc;
    } else {
        gboolean created = FALSE;
        tc = rmq_topic_table_get_or_create_for_send(b->topics, topic,
                                                    r->hd.raw[RMQ_SEND_H_DEFAULT_TOPIC],
                                                    r->hd.default_qnums, 0, &created, remark);
        if (kept && tc != NULL) {
            /* the count of this answer, before anything else may change it */
            last->tc = tc;
            last->tc_changes = rmq_topic_table_changes(b->topics);
        }
        if (created)
            rmq_broker_topic_created(b);
        if (tc == NULL)
            return RMQ_RESPONSE_TOPIC_NOT_EXIST;
        g_clear_pointer(remark, g_free);
    }
    if (!(tc->perm & RMQ_PERM_WRITE)) {
        *remark = g_strdup_printf("the topic[%s] sending message is forbidden", topic);
        return RMQ_RESPONSE_NO_PERMISSION;
    }
    gint32 queue_id = r->hd.queue_id;
    if (queue_id >= MAX(tc->read_queue_nums, tc->write_queue_nums)) {
        *remark = g_strdup_printf("request queueId[%d] is illegal, topic:%s writeQueueNums: %d "
                                  "readQueueNums: %d",
                                  queue_id, topic, tc->write_queue_nums, tc->read_queue_nums);
        return RMQ_RESPONSE_SYSTEM_ERROR;
    }
    if (queue_id < 0)
        queue_id = (gint32) g_random_int_range(0, MAX(tc->write_queue_nums, 1));
    if (!r->hd.batch && r->body_len > (gsize) s->max_message_size) {
        *remark = g_strdup_printf("the message body size over max value, MAX: %d",
                                  s->max_message_size);
        return RMQ_RESPONSE_MESSAGE_ILLEGAL;
    }
    if (r->props_len > RMQ_MESSAGE_MAX_PROPS) {
        *remark = g_strdup("the message properties size over max value, MAX: 32767");
        return RMQ_RESPONSE_MESSAGE_ILLEGAL;
    }
    out->topic = topic;
    out->owned_topic = NULL;
    out->queue_id = queue_id;
    out->dlq = FALSE;
    return RMQ_RESPONSE_SUCCESS;
}

gint
rmq_broker_retry_max(const RmqSubscriptionGroup *g, gint32 version, gint32 requested)
{
    return version >= 121 && requested >= 0 ? requested : g->retry_max_times;
}

void
rmq_broker_retry_target(RmqBroker *b, const gchar *group, const RmqSubscriptionGroup *g,
                        gboolean dlq, RmqSendTarget *out)
{
    gboolean created = FALSE;
    out->owned_topic =
        g_strconcat(dlq ? RMQ_TOPIC_DLQ_PREFIX : RMQ_TOPIC_RETRY_PREFIX, group, NULL);
    out->topic = out->owned_topic;
    const RmqTopicConfig *tc = rmq_topic_table_ensure(
        b->topics, out->topic, dlq ? 1 : g->retry_queue_nums, RMQ_PERM_READ | RMQ_PERM_WRITE, 0,
        &created);
    if (created)
        rmq_broker_topic_created(b);
    out->queue_id = (gint32) g_random_int_range(0, MAX(tc->write_queue_nums, 1));
    out->dlq = dlq;
}

gint32
rmq_broker_send_resolve(RmqBroker *b, const RmqSendRequest *r, RmqSendTarget *t, gchar **remark)
{
    /* %RETRY% sends (the client-side fallback of send-back): DLQ when exhausted. */
    if (r->hd.batch || !rmq_topic_is_retry(t->topic))
        return RMQ_RESPONSE_SUCCESS;
    const gchar *group = t->topic + strlen(RMQ_TOPIC_RETRY_PREFIX);
    const RmqSubscriptionGroup *g = rmq_broker_find_group(b, group);
    if (g == NULL) {
        *remark = g_strdup_printf("subscription group not exist, %s", group);
        return RMQ_RESPONSE_SUBSCRIPTION_GROUP_NOT_EXIST;
    }
    if (r->hd.reconsume < rmq_broker_retry_max(g, r->version, r->hd.max_reconsume))
        return RMQ_RESPONSE_SUCCESS;
    RmqSendTarget dlq = { 0 };
    rmq_broker_retry_target(b, group, g, TRUE, &dlq);
    rmq_send_target_clear(t);
    *t = dlq;
    return RMQ_RESPONSE_SUCCESS;
}

/* The batch items (docs/protocol.md §6.6), each with its own properties (WAIT dropped) and
 * then the envelope's @env; FALSE when the body is malformed or an item is
 * over maxMessageSize or has a delay level. The items' property strings
 * share one allocation, and each gets its view (out->item_views), so the
 * store neither looks DELAY up again nor re-reads them for the dispatch. */
static gboolean
decode_batch(RmqBroker *b, const RmqSendRequest *r, const RmqMessage *base, const gchar *env,
             gsize env_len, RmqSendBuild *out)
{
    static const gchar *const drop[] = { "WAIT", NULL };
    gsize pos = 0, room = 0;
    if (r->body == NULL)
        return FALSE;
    /* the items, their properties still in the request */
    while (pos < r->body_len) {
        RmqMessage m = *base;
        const gchar *ip;
        gsize iplen;
        if (!next_batch_item(r->body, r->body_len, &pos, &m, &ip, &iplen) ||
            m.body_len > (gsize) b->settings.max_message_size)
            return FALSE;
        m.properties = ip;
        m.properties_len = iplen;
        g_array_append_val(out->items, m);
        /* the edited item, a separator, the envelope and a NUL */
        room += rmq_message_properties_edit_bound(iplen, NULL) + 1 + env_len;
    }
    guint n = out->items->len;
    if (n == 0)
        return FALSE;
    RmqPropertyView *views = g_malloc(n * sizeof *views + room);
    g_ptr_array_add(out->owned, views);
    out->item_views = views;
    /* the envelope's pairs come last in every item, so where it has one of
     * the view's names, its value is the one (the last wins) */
    RmqPropertyView env_view;
    rmq_message_properties_view(env, env_len, &env_view);
    gchar *w = (gchar *) (views + n);
    for (guint i = 0; i < n; i++) {
        RmqMessage *m = &g_array_index(out->items, RmqMessage, i);
        RmqPropertyView *v = &views[i];
        gsize len = rmq_message_properties_edit_view_to(w, m->properties, m->properties_len,
                                                        drop, v);
        if (len > 0 && env_len > 0)
            w[len++] = RMQ_PROPERTY_SEPARATOR;
        memcpy(w + len, env, env_len);
        for (guint f = 0; f < RMQ_PROP_VIEW_N; f++)
            if (env_view.v[f].value != NULL) {
                v->v[f].value = w + len + (env_view.v[f].value - env);
                v->v[f].len = env_view.v[f].len;
            }
        len += env_len;
        w[len] = '\0';
        m->properties = w;
        m->properties_len = len;
        v->len = len;
        /* the envelope's DELAY was refused before: this is the item's */
        if (v->v[RMQ_PROP_VIEW_DELAY].value != NULL)
            return FALSE;
        w += len + 1;
    }
    return TRUE;
}

gint32
rmq_broker_send_build(RmqBroker *b, const RmqSendRequest *r, const RmqSendTarget *t,
                      const RmqHostAddr *born_host, RmqSendBuild *out, gchar **remark)
{
    const RmqBrokerSettings *s = &b->settings;
    const RmqSendHeader *hd = &r->hd;
    /* Java decides by the TRAN_MSG property; clients also set the PREPARED bit. */
    gboolean prepared =
        (hd->sys_flag & RMQ_SYSFLAG_TRANSACTION_MASK) == RMQ_SYSFLAG_TRANSACTION_PREPARED ||
        prop_is(&r->view, RMQ_PROP_VIEW_TRAN_MSG, "true");
    if (hd->batch && (prepared || rmq_topic_is_retry(t->topic))) {
        *remark = g_strdup("batch request does not support retry group or transaction messages");
        return RMQ_RESPONSE_MESSAGE_ILLEGAL;
    }
    if (prepared && s->reject_transaction_message) {
        *remark = g_strdup_printf("the broker[%s] sending transaction message is forbidden",
                                  s->broker_name);
        return RMQ_RESPONSE_NO_PERMISSION;
    }
    if (hd->batch && r->view.v[RMQ_PROP_VIEW_DELAY].value != NULL) {
        *remark = g_strdup("batch message does not support delay level");
        return RMQ_RESPONSE_MESSAGE_ILLEGAL;
    }

    static const gchar *const drop[] = { "WAIT", NULL };
    const gchar *add[] = { "CLUSTER", s->cluster_name, NULL };
    /* The single message, and the template of a batch's items. */
    RmqMessage *base = &out->one;
    *base = (RmqMessage){ 0 };
    base->topic = t->topic;
    base->queue_id = t->queue_id;
    base->flag = hd->flag;
    base->sys_flag = hd->sys_flag;
    base->born_timestamp = hd->born;
    base->born_host = *born_host;
    base->store_host = b->store_host;
    base->reconsume_times = hd->reconsume;

    out->batch = hd->batch;
    out->wait = !prop_is(&r->view, RMQ_PROP_VIEW_WAIT, "false");
    out->view.props = NULL;
    out->stored_topic = t->topic;
    out->stored_qid = t->queue_id;
    out->tag_code = 0;
    /* Envelope properties without WAIT, plus CLUSTER: on the stack when
     * they fit (no allocation per send). */
    gsize bound = rmq_message_properties_edit_bound(r->props_len, add);
    gchar *np = out->props_inline;
    if (bound > sizeof out->props_inline) {
        out->one_props = g_string_sized_new(bound);
        np = out->one_props->str;
    }
    /* A single message's pairs as clients send them: copied around the
     * WAIT pair the view found, no second walk. */
    gssize quick = hd->batch ? -1
                             : rmq_message_properties_edit_view(np, &r->view, RMQ_PROP_VIEW_WAIT,
                                                                RMQ_PROP_VIEW_CLUSTER,
                                                                s->cluster_name);
    gsize np_len = quick >= 0 ? (gsize) quick
                              : rmq_message_properties_edit_to(np, r->props, r->props_len, drop, add);
    if (out->one_props != NULL)
        out->one_props->len = np_len;
    if (hd->batch) {
        /* a guess at the item count from the body: ids and a small body */
        out->items = g_array_sized_new(FALSE, FALSE, sizeof(RmqMessage),
                                       (guint) MIN(r->body_len / 128 + 1, 1024));
        out->owned = g_ptr_array_new_with_free_func(g_free);
        gboolean ok = decode_batch(b, r, base, np, np_len, out);
        if (!ok) {
            *remark = g_strdup("the batch body is malformed, empty, has an item over "
                               "maxMessageSize or with a delay level");
            return RMQ_RESPONSE_MESSAGE_ILLEGAL;
        }
        return RMQ_RESPONSE_SUCCESS;
    }
    if (prepared) {
        GString *half = rmq_broker_transaction_half_props(np, np_len, t->topic, t->queue_id);
        if (out->one_props != NULL)
            g_string_free(out->one_props, TRUE);
        out->one_props = half;
        np = half->str;
        np_len = half->len;
        base->topic = RMQ_TOPIC_TRANS_HALF;
        base->queue_id = 0;
        base->sys_flag &= ~RMQ_SYSFLAG_TRANSACTION_MASK;
        out->stored_topic = RMQ_TOPIC_TRANS_HALF;
        out->stored_qid = 0;
    }
    base->body = r->body;
    base->body_len = r->body_len;
    base->properties = np;
    base->properties_len = np_len;
    if (!prepared) {
        /* np is the request's pairs without WAIT, plus CLUSTER: the pairs
         * the view holds other than WAIT are the same, byte for byte. */
        out->view = r->view;
        out->view.props = np;
        out->view.len = np_len;
        out->view.v[RMQ_PROP_VIEW_WAIT] = (RmqPropertyValue){ NULL, 0 };
        const RmqPropertyValue *tags = &out->view.v[RMQ_PROP_VIEW_TAGS];
        if (tags->value != NULL)
            out->tag_code = rmq_message_tag_code(tags->value, tags->len);
    } else {
        const char *tv;
        gsize tvlen;
        if (rmq_message_property_get(np, np_len, RMQ_PROPERTY_TAGS, &tv, &tvlen))
            out->tag_code = rmq_message_tag_code(tv, tvlen);
    }
    return RMQ_RESPONSE_SUCCESS;
}

/* TOPIC_PUT_NUMS / TOPIC_PUT_SIZE of @topic and BROKER_PUT_NUMS of the
 * cluster, through the items resolved for the last put's topic and cluster
 * (the items live as long as the table). */
static void
count_put_stats(RmqBroker *b, const gchar *topic, gint64 n_put, gint64 wrote_bytes)
{
    const gchar *cluster = b->settings.cluster_name;
    __typeof__(b->put_stats) *c = &b->put_stats;
    if (strcmp(c->topic, topic) != 0 || strcmp(c->cluster, cluster) != 0) {
        gsize tlen = strlen(topic), clen = strlen(cluster);
        if (tlen == 0 || tlen >= sizeof c->topic || clen >= sizeof c->cluster) {
            rmq_stats_add(b->stats_table, RMQ_STATS_TOPIC_PUT_NUMS, topic, n_put);
            rmq_stats_add(b->stats_table, RMQ_STATS_TOPIC_PUT_SIZE, topic, wrote_bytes);
            rmq_stats_add(b->stats_table, RMQ_STATS_BROKER_PUT_NUMS, cluster, n_put);
            return;
        }
        c->nums = rmq_stats_item(b->stats_table, RMQ_STATS_TOPIC_PUT_NUMS, topic);
        c->size = rmq_stats_item(b->stats_table, RMQ_STATS_TOPIC_PUT_SIZE, topic);
        c->cluster_nums = rmq_stats_item(b->stats_table, RMQ_STATS_BROKER_PUT_NUMS, cluster);
        memcpy(c->topic, topic, tlen + 1);
        memcpy(c->cluster, cluster, clen + 1);
    }
    rmq_stats_item_add(c->nums, n_put);
    rmq_stats_item_add(c->size, wrote_bytes);
    rmq_stats_item_add(c->cluster_nums, n_put);
}

gint32
rmq_broker_send_put(RmqBroker *b, RmqSendBuild *m, RmqSendPut *out, const gchar **remark)
{
    guint n;
    const RmqMessage *msgs = rmq_send_build_messages(m, &n);
    out->msg_ids = NULL;
    gint64 start_us = g_get_monotonic_time();
    if (!m->batch) {
        out->status = rmq_store_put_message_view(
            b->store, msgs, m->view.props != NULL ? &m->view : NULL, &out->result);
        if (out->result.delayed)
            m->stored_topic = NULL; /* parked in SCHEDULE_TOPIC_XXXX: nobody pulls it */
    } else {
        out->status = rmq_store_put_messages_view(b->store, msgs, n, m->item_views, &out->result);
        if (out->status == RMQ_PUT_OK) {
            /* ids of 56 hex digits at most and a comma each, written in place */
            out->msg_ids = g_string_sized_new(57 * n);
            gchar *w = out->msg_ids->str;
            gint64 phy = out->result.physical_offset;
            gsize id_len = 0;
            /* the items share topic and hosts (one template): their records
             * differ in body and properties only */
            gint64 fixed = rmq_message_record_size(&msgs[0]) - (gint64) msgs[0].body_len -
                           (gint64) msgs[0].properties_len;
            for (guint i = 0; i < n; i++) {
                if (i > 0)
                    *w++ = ',';
                rmq_message_id_format(&b->store_host, phy, w);
                if (id_len == 0)
                    id_len = strlen(w);
                w += id_len;
                phy += fixed + (gint64) msgs[i].body_len + (gint64) msgs[i].properties_len;
            }
            out->msg_ids->len = (gsize) (w - out->msg_ids->str);
        }
    }
    rmq_broker_count_put(b, out->status, &out->result, start_us);
    gint32 code = put_status_code(out->status, remark);
    if (code == RMQ_RESPONSE_SUCCESS || code == RMQ_RESPONSE_FLUSH_DISK_TIMEOUT) {
        gint64 n_put = MAX(out->result.msg_num, 1);
        count_put_stats(b, msgs[0].topic, n_put, out->result.wrote_bytes);
    }
    return code;
}

void
rmq_broker_send_region_load(RmqBroker *b)
{
    const gchar *region = b->settings.region_id != NULL ? b->settings.region_id : "DefaultRegion";
    b->send_region.text = region;
    b->send_region.len = strlen(region);
    /* configured text: plain when nothing in it needs an escape (the usual) */
    b->send_region.plain =
        rmq_json_scan_plain(region, b->send_region.len, TRUE, NULL) == b->send_region.len;
}

RmqCommand *
rmq_broker_send_response(RmqBroker *b, const RmqCommand *req, const RmqSendTarget *t,
                         const RmqSendPut *p)
{
    const RmqBrokerSettings *s = &b->settings;
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    /* A new response has no fields: append (no lookup), lengths known; ids
     * (hex and commas), numbers and booleans need no JSON escape. */
#define APPEND_LIT(key, v, vlen) rmq_command_append_ext_plain(resp, key, sizeof key - 1, v, vlen)
    const gchar *id = p->msg_ids != NULL ? p->msg_ids->str : p->result.msg_id;
    APPEND_LIT("msgId", id, p->msg_ids != NULL ? p->msg_ids->len : strlen(id));
    rmq_command_append_ext_int64(resp, "queueId", 7, t->queue_id);
    rmq_command_append_ext_int64(resp, "queueOffset", 11, p->result.queue_offset);
    if (G_UNLIKELY(b->send_region.text == NULL))
        rmq_broker_send_region_load(b); /* a broker made without rmq_broker_new */
    const gchar *region = b->send_region.text;
    gsize region_len = b->send_region.len;
    if (b->send_region.plain)
        APPEND_LIT("MSG_REGION", region, region_len);
    else
        rmq_command_append_ext_len(resp, "MSG_REGION", 10, region, region_len);
    rmq_command_append_ext_static(resp, "TRACE_ON", 8, s->trace_on ? "true" : "false",
                                  s->trace_on ? 4 : 5);
#undef APPEND_LIT
    return resp;
}

/* answer: wake parked pulls, stream to the slaves, and reply now or once the
 * flush (SYNC_FLUSH) or the slave (SYNC_MASTER) confirms. Takes @req. */
static void
send_answer(RmqBroker *b, RmqConnection *conn, RmqCommand *req, const RmqSendTarget *t,
            const RmqSendBuild *m, const RmqSendPut *p)
{
    const RmqBrokerSettings *s = &b->settings;
    RmqCommand *resp = rmq_broker_send_response(b, req, t, p);
    gint64 n = MAX(p->result.msg_num, 1);
    if (m->stored_topic != NULL)
        rmq_broker_message_arrived(b, m->stored_topic, m->stored_qid, p->result.queue_offset + n,
                                   m->tag_code, !m->batch);
    if (b->ha != NULL)
        rmq_ha_service_notify_appended(b->ha); /* stream it to the slaves now */
    gboolean sync_master = b->ha != NULL && rmq_ha_service_role(b->ha) == RMQ_HA_ROLE_SYNC_MASTER;
    if ((s->sync_flush || sync_master) && m->wait && !rmq_command_is_oneway(req)) {
        FlushWait *w = g_new0(FlushWait, 1);
        w->b = b;
        w->conn = rmq_connection_ref(conn);
        w->request = req;
        w->response = resp;
        if (b->ha != NULL)
            rmq_ha_service_wait_put(b->ha, rmq_put_result_end(&p->result), s->sync_flush,
                                    on_flushed, w);
        else
            rmq_store_flush_async(b->store, rmq_put_result_end(&p->result), on_flushed, w);
        return;
    }
    rmq_broker_reply(conn, req, resp);
}

/* flatten: the steps are inlined here, so splitting them out costs the hot
 * path no calls (their exported copies serve the tests). */
#ifdef __GNUC__
__attribute__((flatten))
#endif
void
rmq_broker_handle_send(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    if (rmq_broker_flow_control_send(b, conn, req))
        return;
    RmqSendRequest r;
    /* Only what the clear functions read is set: the steps fill the rest. */
    RmqSendTarget t;
    RmqSendBuild m;
    RmqSendPut p;
    t.owned_topic = NULL;
    m.one_props = NULL;
    m.items = NULL;
    m.owned = NULL;
    p.msg_ids = NULL;
    gchar *remark = NULL;
    gint32 code = rmq_broker_send_parse(req, &r, &remark);
    if (code == RMQ_RESPONSE_SUCCESS)
        code = rmq_broker_send_validate(b, &r, &t, &remark);
    if (code == RMQ_RESPONSE_SUCCESS)
        code = rmq_broker_send_resolve(b, &r, &t, &remark);
    if (code == RMQ_RESPONSE_SUCCESS) {
        RmqHostAddr born_host;
        rmq_broker_peer_host(conn, &born_host);
        code = rmq_broker_send_build(b, &r, &t, &born_host, &m, &remark);
    }
    if (code != RMQ_RESPONSE_SUCCESS) {
        rmq_broker_note_refusal(b, conn, req, code, remark, FALSE);
        rmq_broker_reply_take(conn, req, code, remark);
    } else {
        const gchar *put_remark = NULL;
        code = rmq_broker_send_put(b, &m, &p, &put_remark);
        if (code == RMQ_RESPONSE_SUCCESS || code == RMQ_RESPONSE_FLUSH_DISK_TIMEOUT)
            send_answer(b, conn, req, &t, &m, &p);
        else
            rmq_broker_reply_borrow(conn, req, code, put_remark);
    }
    rmq_send_put_clear(&p);
    rmq_send_build_clear(&m);
    rmq_send_target_clear(&t);
}
