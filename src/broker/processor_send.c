/* SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320):
 * checks, topic auto-creation, retry/DLQ redirection of %RETRY% sends,
 * half messages, batch decoding, the put, SYNC_FLUSH acknowledgement and the
 * long-poll wake-up (§2.2, §3.2, §4, §6.6, §7.6, §9). */
#include <config.h>

#include <string.h>

#include "broker/broker.h"
#include "broker/topic_config.h"
#include "ha/ha_service.h"
#include "remoting/codes.h"

/* Header names of code 10, in RmqSendHeaderField order; V2 uses 'a' + index. */
static const gchar *const v1_names[RMQ_SEND_H_N] = {
    "producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag",
    "bornTimestamp", "flag", "properties", "reconsumeTimes", "unitMode", "maxReconsumeTimes",
    "batch",
};

/* The same rules as rmq_command_get_ext_int64/32: plain digits with an
 * optional '-' that cannot overflow are parsed here, the rest by glib. */
static gboolean
parse_dec(const gchar *v, gint64 min, gint64 max, gint64 *out)
{
    const gchar *p = v + (v[0] == '-');
    gint64 n = 0;
    int digits = 0;

    while (*p >= '0' && *p <= '9' && digits < 18) {
        n = n * 10 + (*p++ - '0');
        digits++;
    }
    if (*p != '\0' || digits == 0 || digits == 18)
        return g_ascii_string_to_signed(v, 10, min, max, out, NULL);
    if (v[0] == '-')
        n = -n;
    if (n < min || n > max)
        return FALSE;
    *out = n;
    return TRUE;
}

static gboolean
parse_i32(const gchar *v, gint32 *out)
{
    gint64 n;
    if (v == NULL || !parse_dec(v, G_MININT32, G_MAXINT32, &n))
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
    gboolean v1 = req->code == RMQ_REQUEST_SEND_MESSAGE;
    *out = (RmqSendHeader){ .default_qnums = 4, .max_reconsume = -1 };
    for (guint i = 0; req->ext != NULL && i < req->ext->len; i++) {
        const RmqExtField *f = &g_array_index(req->ext, RmqExtField, i);
        gint k = field_index(f->key, v1);
        if (k >= 0 && out->raw[k] == NULL) /* the first of duplicates wins, as lookups do */
            out->raw[k] = f->value;
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
        !parse_dec(out->raw[RMQ_SEND_H_BORN], G_MININT64, G_MAXINT64, &born) ||
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
    /* Boolean.parseBoolean, plus the "1" rocketmq-client-cpp sends. */
    out->batch = bv != NULL && (g_ascii_strcasecmp(bv, "true") == 0 || strcmp(bv, "1") == 0);
    return TRUE;
}

typedef struct {
    RmqBroker *b;
    RmqConnection *conn;
    RmqCommand *request;
    RmqCommand *response;
} FlushWait;

/* The flush (SYNC_FLUSH) and/or the slave (SYNC_MASTER) answered (§8.3). */
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
    rmq_connection_send_response(w->conn, w->request, w->response);
    rmq_command_free(w->request);
    rmq_connection_unref(w->conn);
    g_free(w);
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

/* One batch item (§4.6): fills @m's body/flag; properties are returned as the
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

/* Whether property @name is present and equals @value in any case; reads
 * in place (props come from a NUL-terminated header value: no NUL inside). */
static gboolean
prop_is(const gchar *props, gsize len, const gchar *name, const gchar *value)
{
    const char *v;
    gsize vlen;
    return rmq_message_property_get(props, len, name, &v, &vlen) && vlen == strlen(value) &&
           g_ascii_strncasecmp(v, value, vlen) == 0;
}

static RmqCommand *
fail(const RmqCommand *req, gint32 code, const gchar *remark)
{
    return rmq_broker_response(req, code, remark);
}

static void
handle_send(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    if (rmq_broker_flow_control_send(b, conn, req))
        return;
    const RmqBrokerSettings *s = &b->settings;
    RmqCommand *resp = NULL;
    g_autofree gchar *remark = NULL;
    RmqSendHeader hd;
    if (!rmq_broker_send_header_parse(req, &hd, &remark)) {
        rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_MESSAGE_ILLEGAL, remark));
        return;
    }
    gint32 queue_id = hd.queue_id, sys_flag = hd.sys_flag, flag = hd.flag;
    gint32 reconsume = hd.reconsume, max_reconsume = hd.max_reconsume;
    gint64 born = hd.born;
    gboolean batch = hd.batch;
    const gchar *props = hd.raw[RMQ_SEND_H_PROPS] != NULL ? hd.raw[RMQ_SEND_H_PROPS] : "";
    gsize props_len = strlen(props);
    g_autofree gchar *topic = g_strdup(hd.raw[RMQ_SEND_H_TOPIC]);

    if (!(s->broker_permission & RMQ_PERM_WRITE)) {
        remark = g_strdup_printf("the broker[%s] sending message is forbidden", s->broker_name);
        rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_NO_PERMISSION, remark));
        return;
    }
    if (s->slave) {
        rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_SERVICE_NOT_AVAILABLE,
                                         "the broker is a slave, it does not accept writes"));
        return;
    }
    const gchar *reason = NULL;
    if (!rmq_topic_name_validate(topic, &reason)) {
        remark = g_strdup_printf("illegal topic name: %s", reason != NULL ? reason : topic);
        rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_MESSAGE_ILLEGAL, remark));
        return;
    }
    gint32 code = rmq_topic_table_check_send(b->topics, topic, &remark);
    if (code != RMQ_RESPONSE_SUCCESS) {
        rmq_broker_reply(conn, req, fail(req, code, remark));
        return;
    }
    gboolean created = FALSE;
    const RmqTopicConf *tc = rmq_topic_table_get_or_create_for_send(
        b->topics, topic, hd.raw[RMQ_SEND_H_DEFAULT_TOPIC], hd.default_qnums, 0, &created, &remark);
    if (created)
        rmq_broker_topic_created(b);
    if (tc == NULL) {
        rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_TOPIC_NOT_EXIST, remark));
        return;
    }
    if (!(tc->perm & RMQ_PERM_WRITE)) {
        g_free(remark);
        remark = g_strdup_printf("the topic[%s] sending message is forbidden", topic);
        rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_NO_PERMISSION, remark));
        return;
    }
    gint qmax = MAX(tc->read_queue_nums, tc->write_queue_nums);
    if (queue_id >= qmax) {
        g_free(remark);
        remark = g_strdup_printf("request queueId[%d] is illegal, topic:%s writeQueueNums: %d "
                                 "readQueueNums: %d",
                                 queue_id, topic, tc->write_queue_nums, tc->read_queue_nums);
        rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_SYSTEM_ERROR, remark));
        return;
    }
    if (queue_id < 0)
        queue_id = (gint32) g_random_int_range(0, MAX(tc->write_queue_nums, 1));

    gsize body_len = 0;
    const guint8 *body = req->body != NULL ? g_bytes_get_data(req->body, &body_len) : NULL;
    if (!batch && body_len > (gsize) s->max_message_size) {
        g_free(remark);
        remark = g_strdup_printf("the message body size over max value, MAX: %d",
                                 s->max_message_size);
        rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_MESSAGE_ILLEGAL, remark));
        return;
    }
    if (props_len > RMQ_MESSAGE_MAX_PROPS) {
        rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_MESSAGE_ILLEGAL,
                                         "the message properties size over max value, MAX: 32767"));
        return;
    }

    /* %RETRY% sends (client-side fallback of send-back): DLQ when exhausted. */
    if (!batch && rmq_topic_is_retry(topic)) {
        g_autofree gchar *group = g_strdup(topic + strlen(RMQ_TOPIC_RETRY_PREFIX));
        const RmqSubscriptionGroup *g = rmq_broker_find_group(b, group);
        if (g == NULL) {
            g_free(remark);
            remark = g_strdup_printf("subscription group not exist, %s", group);
            rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_SUBSCRIPTION_GROUP_NOT_EXIST, remark));
            return;
        }
        gint max = g->retry_max_times;
        if (req->version >= 121 && max_reconsume >= 0)
            max = max_reconsume;
        if (reconsume >= max) {
            g_free(topic);
            topic = g_strdup_printf("%s%s", RMQ_TOPIC_DLQ_PREFIX, group);
            gboolean dlq_created = FALSE;
            const RmqTopicConf *dlq = rmq_topic_table_ensure(b->topics, topic, 1, RMQ_PERM_WRITE | RMQ_PERM_READ,
                                                             0, &dlq_created);
            if (dlq_created)
                rmq_broker_topic_created(b);
            queue_id = (gint32) g_random_int_range(0, MAX(dlq->write_queue_nums, 1));
        }
    }

    /* Java decides by the TRAN_MSG property; clients also set the PREPARED bit. */
    gboolean prepared =
        (sys_flag & RMQ_SYSFLAG_TRANSACTION_MASK) == RMQ_SYSFLAG_TRANSACTION_PREPARED ||
        prop_is(props, props_len, "TRAN_MSG", "true");
    if (batch && (prepared || rmq_topic_is_retry(topic))) {
        rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_MESSAGE_ILLEGAL,
                                         "batch request does not support retry group or "
                                         "transaction messages"));
        return;
    }
    if (prepared && s->reject_transaction_message) {
        g_free(remark);
        remark = g_strdup_printf("the broker[%s] sending transaction message is forbidden",
                                 s->broker_name);
        rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_NO_PERMISSION, remark));
        return;
    }

    gboolean wait = !prop_is(props, props_len, "WAIT", "false");
    static const gchar *const drop[] = { "WAIT", NULL };
    const gchar *add[] = { "CLUSTER", s->cluster_name, NULL };

    RmqMessage base = { 0 };
    base.topic = topic;
    base.queue_id = queue_id;
    base.flag = flag;
    base.sys_flag = sys_flag;
    base.born_timestamp = born;
    rmq_broker_peer_host(conn, &base.born_host);
    base.store_host = b->store_host;
    base.reconsume_times = reconsume;

    RmqPutResult result;
    RmqPutStatus st;
    g_autoptr(GString) msg_ids = NULL;
    gint64 tag_code = 0;
    gboolean tag_known = FALSE;
    const gchar *stored_topic = topic;
    gint32 stored_qid = queue_id;

    if (!batch) {
        g_autoptr(GString) np = NULL;
        if (prepared) {
            g_autoptr(GString) tmp = rmq_broker_props_edit(props, props_len, drop, add);
            np = rmq_broker_transaction_half_props(tmp->str, tmp->len, topic, queue_id);
            base.topic = RMQ_TOPIC_TRANS_HALF;
            base.queue_id = 0;
            base.sys_flag &= ~RMQ_SYSFLAG_TRANSACTION_MASK;
            stored_topic = RMQ_TOPIC_TRANS_HALF;
            stored_qid = 0;
        } else {
            np = rmq_broker_props_edit(props, props_len, drop, add);
        }
        base.body = body;
        base.body_len = body_len;
        base.properties = np->str;
        base.properties_len = np->len;
        const char *tv;
        gsize tvlen;
        if (rmq_message_property_get(np->str, np->len, RMQ_PROPERTY_TAGS, &tv, &tvlen))
            tag_code = rmq_message_tag_code(tv, tvlen);
        tag_known = TRUE;
        st = rmq_store_put_message(b->store, &base, &result);
        if (result.delayed)
            stored_topic = NULL; /* parked in SCHEDULE_TOPIC_XXXX: nobody pulls it */
    } else {
        if (rmq_message_property_get(props, props_len, RMQ_PROPERTY_DELAY, NULL, NULL)) {
            rmq_broker_reply(conn, req, fail(req, RMQ_RESPONSE_MESSAGE_ILLEGAL,
                                             "batch message does not support delay level"));
            return;
        }
        g_autoptr(GArray) msgs = g_array_new(FALSE, FALSE, sizeof(RmqMessage));
        g_autoptr(GPtrArray) strs = g_ptr_array_new_with_free_func((GDestroyNotify) g_free);
        /* Envelope properties (without WAIT) + CLUSTER go after each item's. */
        g_autoptr(GString) env = rmq_broker_props_edit(props, props_len, drop, add);
        gsize pos = 0;
        gboolean ok = body != NULL;
        while (ok && pos < body_len) {
            RmqMessage m = base;
            const gchar *ip;
            gsize iplen;
            if (!next_batch_item(body, body_len, &pos, &m, &ip, &iplen)) {
                ok = FALSE;
                break;
            }
            if (m.body_len > (gsize) s->max_message_size ||
                rmq_message_property_get(ip, iplen, RMQ_PROPERTY_DELAY, NULL, NULL)) {
                ok = FALSE;
                break;
            }
            g_autoptr(GString) item = rmq_broker_props_edit(ip, iplen, drop, NULL);
            if (item->len > 0 && env->len > 0)
                g_string_append_c(item, RMQ_PROPERTY_SEPARATOR);
            g_string_append_len(item, env->str, (gssize) env->len);
            m.properties_len = item->len;
            gchar *owned = g_string_free(g_steal_pointer(&item), FALSE);
            m.properties = owned;
            g_ptr_array_add(strs, owned);
            g_array_append_val(msgs, m);
        }
        if (!ok || msgs->len == 0) {
            rmq_broker_reply(conn, req,
                             fail(req, RMQ_RESPONSE_MESSAGE_ILLEGAL,
                                  "the batch body is malformed, empty, has an item over "
                                  "maxMessageSize or with a delay level"));
            return;
        }
        st = rmq_store_put_messages(b->store, (const RmqMessage *) (void *) msgs->data, msgs->len,
                                    &result);
        if (st == RMQ_PUT_OK) {
            msg_ids = g_string_new(NULL);
            gint64 phy = result.physical_offset;
            for (guint i = 0; i < msgs->len; i++) {
                char id[57];
                rmq_message_id_format(&b->store_host, phy, id);
                if (i > 0)
                    g_string_append_c(msg_ids, ',');
                g_string_append(msg_ids, id);
                phy += rmq_message_record_size(&g_array_index(msgs, RmqMessage, i));
            }
        }
    }

    const gchar *put_remark = NULL;
    code = put_status_code(st, &put_remark);
    if (code != RMQ_RESPONSE_SUCCESS && code != RMQ_RESPONSE_FLUSH_DISK_TIMEOUT) {
        rmq_broker_reply(conn, req, fail(req, code, put_remark));
        return;
    }
    b->stats.put_total += (guint64) MAX(result.msg_num, 1);
    resp = rmq_broker_response(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_ext(resp, "msgId", msg_ids != NULL ? msg_ids->str : result.msg_id);
    rmq_command_set_ext_int64(resp, "queueId", queue_id);
    rmq_command_set_ext_int64(resp, "queueOffset", result.queue_offset);
    rmq_command_set_ext(resp, "MSG_REGION", s->region_id != NULL ? s->region_id : "DefaultRegion");
    rmq_command_set_ext(resp, "TRACE_ON", s->trace_on ? "true" : "false");
    if (stored_topic != NULL)
        rmq_broker_message_arrived(b, stored_topic, stored_qid,
                                   result.queue_offset + MAX(result.msg_num, 1), tag_code,
                                   tag_known);

    if (b->ha != NULL)
        rmq_ha_service_notify_appended(b->ha);    /* stream it to the slaves now */
    gboolean sync_master = b->ha != NULL && rmq_ha_service_role(b->ha) == RMQ_HA_ROLE_SYNC_MASTER;
    if ((s->sync_flush || sync_master) && wait && !rmq_command_is_oneway(req)) {
        FlushWait *w = g_new0(FlushWait, 1);
        w->b = b;
        w->conn = rmq_connection_ref(conn);
        w->request = req;
        w->response = resp;
        if (b->ha != NULL)
            rmq_ha_service_wait_put(b->ha, rmq_put_result_end(&result), s->sync_flush,
                                    on_flushed, w);
        else
            rmq_store_flush_async(b->store, rmq_put_result_end(&result), on_flushed, w);
        return;
    }
    rmq_broker_reply(conn, req, resp);
}

void
rmq_broker_send_processor_register(RmqBroker *b)
{
    rmq_server_register(b->server, RMQ_REQUEST_SEND_MESSAGE, handle_send, b);
    rmq_server_register(b->server, RMQ_REQUEST_SEND_MESSAGE_V2, handle_send, b);
    rmq_server_register(b->server, RMQ_REQUEST_SEND_BATCH_MESSAGE, handle_send, b);
}
