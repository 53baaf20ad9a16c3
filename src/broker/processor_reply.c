/* SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325): request-reply
 * (docs/protocol.md §17). A replier sends the reply to <cluster>_REPLY_TOPIC;
 * the broker pushes it with PUSH_REPLY_MESSAGE_TO_CLIENT (326) to the
 * channel of the producer named by the REPLY_TO_CLIENT property (a client
 * id, Java's ProducerManager.findChannel) and, with storeReplyMessageEnable,
 * also stores it. As Java's ReplyMessageProcessor:
 * - the answer's code is the push's: SUCCESS when the requester took it,
 *   else SYSTEM_ERROR with Java's remark (no REPLY_TO_CLIENT, no channel of
 *   that client, the client refused or did not answer in 10 s);
 * - the store does not change the code: a put that succeeds fills msgId,
 *   queueId and queueOffset, even when the push failed; with the push done
 *   and nothing stored they are "0", the queue, 0;
 * - the stored reply keeps the request's properties as they came (no
 *   CLUSTER, WAIT kept, no PUSH_REPLY_TIME), which the pushed copy adds.
 * Differences: the checks before are the send path's (send.h validate: it
 * also checks the topic's write permission and the body size, which Java's
 * msgCheck leaves to the store); the stored record keeps the request's
 * sysFlag (Java stores 0, so a compressed reply would read as plain); a slave
 * pushes but stores nothing (its store refuses in Java, logged only). */
#include <config.h>

#include <string.h>

#include "broker/broker.h"
#include "broker/client_registry.h"
#include "broker/commands.h"
#include "broker/send.h"
#include "common/ratelimit.h"
#include "ha/ha_service.h"
#include "remoting/codes.h"

/* Broker2Client.callClient: invokeSync with 10 s. */
#define PUSH_TIMEOUT_MS 10000

/* A replier answering a gone requester again and again logs one line a
 * minute (per replier address), then how many it left out. */
static void
log_failure(RmqConnection *conn, const gchar *remark)
{
    static RmqRateLimit *limit;
    if (limit == NULL)
        limit = rmq_rate_limit_new(1, 60 * G_USEC_PER_SEC, 256);
    guint64 suppressed = 0;
    const gchar *peer = rmq_connection_get_peer(conn);
    if (!rmq_rate_limit_allow(limit, peer, g_get_monotonic_time(), &suppressed))
        return;
    g_autofree gchar *text = rmq_abbrev(remark, 2 * RMQ_ABBREV_DEFAULT);
    g_autofree gchar *more =
        suppressed > 0 ? g_strdup_printf(" (%" G_GUINT64_FORMAT " more not logged)", suppressed)
                       : g_strdup("");
    g_message("reply from %s: %s%s", peer, text, more);
}

typedef struct {
    RmqConnection *conn;  /* the replier */
    RmqCommand *request;
    RmqCommand *response; /* header filled from the store (if stored) */
    gchar *sender_id;
    gboolean stored;
    gint32 queue_id;
} ReplyPush;

static void
reply_push_finish(ReplyPush *r, gboolean push_ok, const gchar *remark)
{
    RmqCommand *resp = r->response;
    if (push_ok) {
        resp->code = RMQ_RESPONSE_SUCCESS;
        if (!r->stored) {
            /* "set to zero to avoid client decoding exception" */
            rmq_command_set_ext(resp, "msgId", "0");
            rmq_command_set_ext_int64(resp, "queueId", r->queue_id);
            rmq_command_set_ext_int64(resp, "queueOffset", 0);
        }
    } else {
        resp->code = RMQ_RESPONSE_SYSTEM_ERROR;
        rmq_command_set_remark(resp, remark);
    }
    rmq_connection_send_response(r->conn, r->request, resp);
    rmq_command_free(r->request);
    rmq_connection_unref(r->conn);
    g_free(r->sender_id);
    g_free(r);
}

static void
on_pushed(RmqCommand *response, const GError *error, gpointer data)
{
    ReplyPush *r = data;
    if (response != NULL && response->code == RMQ_RESPONSE_SUCCESS) {
        reply_push_finish(r, TRUE, NULL);
    } else {
        /* Java's remark, without the space before "fail." */
        g_autofree gchar *remark = g_strdup_printf("push reply message to %sfail.", r->sender_id);
        g_autofree gchar *why = g_strdup_printf(
            "%s (%s)", remark,
            response != NULL ? (response->remark != NULL ? response->remark : "refused")
                             : error->message);
        log_failure(r->conn, why);
        reply_push_finish(r, FALSE, remark);
    }
    if (response != NULL)
        rmq_command_free(response);
}

/* The PUSH_REPLY_MESSAGE_TO_CLIENT request (Java ReplyMessageRequestHeader). */
static RmqCommand *
push_request(RmqBroker *b, RmqConnection *conn, const RmqSendRequest *r)
{
    const RmqSendHeader *hd = &r->hd;
    RmqCommand *push = rmq_command_new_request(RMQ_REQUEST_PUSH_REPLY_MESSAGE_TO_CLIENT);
    rmq_command_set_ext(push, "bornHost", rmq_connection_get_peer(conn));
    rmq_command_set_ext(push, "storeHost", b->broker_addr);
    gint64 now = g_get_real_time() / 1000;
    rmq_command_set_ext_int64(push, "storeTimestamp", now);
    rmq_command_set_ext(push, "producerGroup", hd->raw[RMQ_SEND_H_GROUP]);
    rmq_command_set_ext(push, "topic", hd->raw[RMQ_SEND_H_TOPIC]);
    rmq_command_set_ext(push, "defaultTopic", hd->raw[RMQ_SEND_H_DEFAULT_TOPIC]);
    rmq_command_set_ext_int64(push, "defaultTopicQueueNums", hd->default_qnums);
    /* the request's queue id, not the one chosen for a negative one */
    rmq_command_set_ext_int64(push, "queueId", hd->queue_id);
    rmq_command_set_ext_int64(push, "sysFlag", hd->sys_flag);
    rmq_command_set_ext_int64(push, "bornTimestamp", hd->born);
    rmq_command_set_ext_int64(push, "flag", hd->flag);
    g_autofree gchar *when = g_strdup_printf("%" G_GINT64_FORMAT, now);
    static const gchar *const drop[] = { RMQ_PROPERTY_PUSH_REPLY_TIME, NULL };
    const gchar *add[] = { RMQ_PROPERTY_PUSH_REPLY_TIME, when, NULL };
    g_autoptr(GString) props = rmq_message_properties_edit(r->props, r->props_len, drop, add);
    rmq_command_set_ext(push, "properties", props->str);
    if (hd->raw[RMQ_SEND_H_RECONSUME] != NULL)
        rmq_command_set_ext_int64(push, "reconsumeTimes", hd->reconsume);
    const gchar *unit = hd->raw[RMQ_SEND_H_UNIT];
    rmq_command_set_ext_bool(push, "unitMode",
                             unit != NULL && g_ascii_strcasecmp(unit, "true") == 0);
    if (r->body != NULL)
        rmq_command_set_body_data(push, r->body, r->body_len);
    return push;
}

/* Store the reply (storeReplyMessageEnable) into @t; fills @resp's header
 * when the put succeeds. */
static gboolean
store_reply(RmqBroker *b, RmqConnection *conn, const RmqSendRequest *r, const RmqSendTarget *t,
            RmqCommand *resp)
{
    RmqSendBuild m = { 0 };
    RmqSendPut p = { 0 };
    RmqMessage *msg = &m.one;
    msg->topic = t->topic;
    msg->queue_id = t->queue_id;
    msg->flag = r->hd.flag;
    msg->sys_flag = r->hd.sys_flag;
    msg->born_timestamp = r->hd.born;
    rmq_broker_peer_host(conn, &msg->born_host);
    msg->store_host = b->store_host;
    msg->reconsume_times = r->hd.reconsume;
    msg->body = r->body;
    msg->body_len = r->body_len;
    msg->properties = r->props;
    msg->properties_len = r->props_len;
    m.stored_topic = t->topic;
    m.stored_qid = t->queue_id;
    const gchar *remark = NULL;
    gint32 code = rmq_broker_send_put(b, &m, &p, &remark);
    gboolean ok = code == RMQ_RESPONSE_SUCCESS || code == RMQ_RESPONSE_FLUSH_DISK_TIMEOUT;
    if (ok) {
        rmq_command_set_ext(resp, "msgId", p.result.msg_id);
        rmq_command_set_ext_int64(resp, "queueId", t->queue_id);
        rmq_command_set_ext_int64(resp, "queueOffset", p.result.queue_offset);
        g_autoptr(GString) props = g_string_new_len(r->props, (gssize) r->props_len);
        rmq_broker_stored_arrived(b, t->topic, t->queue_id, p.result.queue_offset, props);
        if (b->ha != NULL)
            rmq_ha_service_notify_appended(b->ha);
    } else {
        g_message("reply message to %s not stored: %s", t->topic, remark ? remark : "?");
    }
    rmq_send_put_clear(&p);
    return ok;
}

/* Java adds these before its first check: every answer has them. */
static void
add_region(RmqBroker *b, RmqCommand *resp)
{
    const RmqBrokerSettings *s = &b->settings;
    rmq_command_set_ext(resp, "MSG_REGION", s->region_id != NULL ? s->region_id : "DefaultRegion");
    rmq_command_set_ext(resp, "TRACE_ON", s->trace_on ? "true" : "false");
}

void
rmq_broker_handle_reply(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const RmqBrokerSettings *s = &b->settings;
    RmqSendRequest r;
    RmqSendTarget t = { 0 };
    gchar *remark = NULL;
    gint32 code = rmq_broker_send_parse(req, &r, &remark);
    if (code == RMQ_RESPONSE_SUCCESS)
        code = rmq_broker_send_validate(b, &r, &t, &remark);
    if (code != RMQ_RESPONSE_SUCCESS) {
        RmqCommand *resp = rmq_broker_response_take(req, code, remark);
        add_region(b, resp);
        rmq_broker_reply(conn, req, resp);
        rmq_send_target_clear(&t);
        return;
    }
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    add_region(b, resp);

    ReplyPush *rp = g_new0(ReplyPush, 1);
    rp->conn = rmq_connection_ref(conn);
    rp->request = req;
    rp->response = resp;
    rp->queue_id = t.queue_id;
    rp->sender_id =
        rmq_message_property_dup(r.props, r.props_len, RMQ_PROPERTY_REPLY_TO_CLIENT);
    /* Java pushes first and then stores; the answer is the same either
     * way, and storing first leaves nothing of @b to the push callback. */
    if (s->store_reply_message_enable && !s->slave)
        rp->stored = store_reply(b, conn, &r, &t, resp);

    if (rp->sender_id == NULL) {
        log_failure(conn, RMQ_PROPERTY_REPLY_TO_CLIENT " is null, can not reply message");
        rmq_send_target_clear(&t);
        reply_push_finish(rp, FALSE,
                          "reply message properties[" RMQ_PROPERTY_REPLY_TO_CLIENT "] is null");
        return;
    }
    RmqConnection *target = rmq_client_registry_find_producer_channel(b->clients, rp->sender_id);
    if (target == NULL) {
        g_autofree gchar *why =
            g_strdup_printf("push reply message fail, channel of <%s> not found.", rp->sender_id);
        log_failure(conn, why);
        rmq_send_target_clear(&t);
        reply_push_finish(rp, FALSE, why);
        return;
    }
    RmqCommand *push = push_request(b, conn, &r);
    rmq_send_target_clear(&t);
    rmq_connection_send_request(target, push, PUSH_TIMEOUT_MS, on_pushed, rp);
}
