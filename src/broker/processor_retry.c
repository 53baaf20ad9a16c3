/* CONSUMER_SEND_MSG_BACK (36, docs/protocol.md §10.7): a message the consumer failed goes to
 * %RETRY%<group> with the delay level of its reconsume count (parked in
 * SCHEDULE_TOPIC_XXXX by the store), or to %DLQ%<group> once
 * maxReconsumeTimes is reached (routing shared with the send path, send.h).
 * The group, write permission and slave checks are the command table's. */
#include <config.h>

#include <string.h>

#include "broker/broker.h"
#include "broker/commands.h"
#include "broker/send.h"
#include "broker/stats.h"
#include "remoting/codes.h"

gint32
rmq_broker_send_back_execute(RmqBroker *b, const RmqCommand *req, gchar **remark)
{
    gint64 offset = 0;
    gint32 delay_level = 0, max_reconsume = -1;
    if (rmq_command_get_ext(req, "offset") == NULL) {
        *remark = g_strdup("the custom field <offset> is null");
        return RMQ_RESPONSE_SYSTEM_ERROR;
    }
    if (!rmq_command_get_ext_int64(req, "offset", &offset)) {
        *remark = g_strdup("offset is not a number");
        return RMQ_RESPONSE_SYSTEM_ERROR;
    }
    rmq_command_get_ext_int32(req, "delayLevel", &delay_level);
    rmq_command_get_ext_int32(req, "maxReconsumeTimes", &max_reconsume);
    /* RMQ_BROKER_CMD_GROUP: the command table checked the group already. */
    const gchar *group = rmq_command_get_ext(req, "group");
    const RmqSubscriptionGroup *g = group != NULL ? rmq_broker_find_group(b, group) : NULL;
    if (g == NULL) {
        *remark = g_strdup_printf("subscription group not exist, %s", group);
        return RMQ_RESPONSE_SUBSCRIPTION_GROUP_NOT_EXIST;
    }
    if (g->retry_queue_nums <= 0)
        return RMQ_RESPONSE_SUCCESS;
    /* A slave's store refuses the put (Java: SERVICE_NOT_AVAILABLE -> SYSTEM_ERROR). */
    if (b->settings.slave) {
        *remark = g_strdup("service not available now, the broker is a slave");
        return RMQ_RESPONSE_SYSTEM_ERROR;
    }

    g_autoptr(GBytes) rec_bytes = rmq_store_look_message_by_offset(b->store, offset);
    RmqMessageRecord rec;
    gsize rlen = 0;
    const guint8 *rdata = rec_bytes != NULL ? g_bytes_get_data(rec_bytes, &rlen) : NULL;
    if (rdata == NULL || rmq_message_decode(rdata, rlen, FALSE, &rec) != RMQ_RECORD_OK) {
        *remark = g_strdup_printf("look message by offset failed, %" G_GINT64_FORMAT, offset);
        return RMQ_RESPONSE_SYSTEM_ERROR;
    }
    g_autofree gchar *orig_topic = g_strndup(rec.topic, (gsize) rec.topic_len);
    g_autofree gchar *retry_topic_prop =
        rmq_message_property_dup(rec.properties, (gsize) rec.properties_len, "RETRY_TOPIC");
    g_autofree gchar *old_origin =
        rmq_message_property_dup(rec.properties, (gsize) rec.properties_len, "ORIGIN_MESSAGE_ID");
    g_autofree gchar *offset_id = rmq_message_id_encode(&rec.store_host, rec.physical_offset);
    /* As Java's asyncConsumerSendMsgBack: the stored message's own
     * ORIGIN_MESSAGE_ID when it has a non-blank one (a retry of a retry),
     * else the offset message id of the stored message (lookMessageByOffset
     * decodes a plain MessageExt, whose msgId is the offset id). The
     * originMsgId header (the client's unique id) only feeds Java's consume
     * hooks; it never reaches the property. */
    gboolean blank = rmq_broker_text_blank(old_origin);
    const gchar *origin = blank ? offset_id : old_origin;

    gboolean dlq = rec.reconsume_times >= rmq_broker_retry_max(g, req->version, max_reconsume) ||
                   delay_level < 0;
    RmqSendTarget t = { 0 };
    rmq_broker_retry_target(b, group, g, dlq, &t);
    if (!dlq && delay_level == 0)
        delay_level = 3 + rec.reconsume_times;

    /* Java: setDelayTimeLevel(0) for the DLQ, which writes DELAY=0 (the
     * store parks only a level above 0) */
    g_autofree gchar *level = g_strdup_printf("%d", dlq ? 0 : delay_level);
    static const gchar *const drop[] = { "DELAY", "WAIT", NULL };
    const gchar *add[] = { "RETRY_TOPIC",
                           retry_topic_prop != NULL ? retry_topic_prop : orig_topic,
                           "ORIGIN_MESSAGE_ID",
                           origin,
                           "WAIT",
                           "false",
                           "DELAY",
                           level,
                           NULL };
    g_autoptr(GString) props =
        rmq_message_properties_edit(rec.properties, (gsize) rec.properties_len, drop, add);

    RmqMessage m;
    rmq_broker_message_from_record(b, &rec, t.topic, t.queue_id, props, &m);
    m.reconsume_times = rec.reconsume_times + 1;
    RmqPutResult result;
    gint64 start_us = g_get_monotonic_time();
    RmqPutStatus st = rmq_store_put_message(b->store, &m, &result);
    rmq_broker_count_put(b, st, &result, start_us);
    if (st != RMQ_PUT_OK) {
        rmq_send_target_clear(&t);
        *remark = g_strdup(rmq_put_status_name(st));
        return RMQ_RESPONSE_SYSTEM_ERROR;
    }
    /* Java's incSendBackNums(group, backTopic): the original topic */
    g_autofree gchar *sndbck_key = g_strconcat(retry_topic_prop != NULL ? retry_topic_prop : orig_topic,
                                               "@", group, NULL);
    rmq_stats_add(b->stats_table, RMQ_STATS_SNDBCK_PUT_NUMS, sndbck_key, 1);
    if (dlq)
        rmq_broker_stored_arrived(b, t.topic, m.queue_id, result.queue_offset, props);
    rmq_send_target_clear(&t);
    return RMQ_RESPONSE_SUCCESS;
}

void
rmq_broker_handle_send_back(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    gchar *remark = NULL;
    gint32 code = rmq_broker_send_back_execute(user_data, req, &remark);
    rmq_broker_reply_take(conn, req, code, remark);
}
