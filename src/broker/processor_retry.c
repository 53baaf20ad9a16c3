/* CONSUMER_SEND_MSG_BACK (36, §7.6): a message the consumer failed goes to
 * %RETRY%<group> with the delay level of its reconsume count (parked in
 * SCHEDULE_TOPIC_XXXX by the store), or to %DLQ%<group> once
 * maxReconsumeTimes is reached. */
#include <config.h>

#include <string.h>

#include "broker/broker.h"
#include "remoting/codes.h"

static void
reply(RmqConnection *conn, RmqCommand *req, gint32 code, gchar *remark)
{
    rmq_broker_reply(conn, req, rmq_broker_response(req, code, remark));
    g_free(remark);
}

static void
handle_send_back(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    static const gchar *const required[] = { "offset", "group", NULL };
    gchar *missing = rmq_broker_missing_field(req, required);
    gint64 offset = 0;
    gint32 delay_level = 0, max_reconsume = -1;
    if (missing == NULL && !rmq_command_get_ext_int64(req, "offset", &offset))
        missing = g_strdup("offset is not a number");
    if (missing != NULL) {
        reply(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, missing);
        return;
    }
    rmq_command_get_ext_int32(req, "delayLevel", &delay_level);
    rmq_command_get_ext_int32(req, "maxReconsumeTimes", &max_reconsume);
    const gchar *group = rmq_command_get_ext(req, "group");
    const gchar *origin_id = rmq_command_get_ext(req, "originMsgId");

    const RmqSubscriptionGroup *g = rmq_broker_find_group(b, group);
    if (g == NULL) {
        reply(conn, req, RMQ_RESPONSE_SUBSCRIPTION_GROUP_NOT_EXIST,
              g_strdup_printf("subscription group not exist, %s", group));
        return;
    }
    if (!(b->settings.broker_permission & RMQ_PERM_WRITE)) {
        reply(conn, req, RMQ_RESPONSE_NO_PERMISSION,
              g_strdup_printf("the broker[%s] sending message is forbidden",
                              b->settings.broker_name));
        return;
    }
    if (g->retry_queue_nums <= 0) {
        reply(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
        return;
    }
    /* A slave's commit log is its master's byte for byte (§8.4): Java's
     * store refuses the put there (SERVICE_NOT_AVAILABLE -> SYSTEM_ERROR). */
    if (b->settings.slave) {
        reply(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
              g_strdup("service not available now, the broker is a slave"));
        return;
    }
    g_autoptr(GBytes) rec_bytes = rmq_store_look_message_by_offset(b->store, offset);
    RmqMessageRecord rec;
    gsize rlen = 0;
    const guint8 *rdata = rec_bytes != NULL ? g_bytes_get_data(rec_bytes, &rlen) : NULL;
    if (rdata == NULL || rmq_message_decode(rdata, rlen, FALSE, &rec) != RMQ_RECORD_OK) {
        reply(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
              g_strdup_printf("look message by offset failed, %" G_GINT64_FORMAT, offset));
        return;
    }
    g_autofree gchar *orig_topic = g_strndup(rec.topic, (gsize) rec.topic_len);
    g_autofree gchar *retry_topic_prop =
        rmq_message_property_dup(rec.properties, (gsize) rec.properties_len, "RETRY_TOPIC");
    g_autofree gchar *old_origin =
        rmq_message_property_dup(rec.properties, (gsize) rec.properties_len, "ORIGIN_MESSAGE_ID");
    g_autofree gchar *offset_id = rmq_message_id_encode(&rec.store_host, rec.physical_offset);
    const gchar *origin = old_origin != NULL ? old_origin
                          : (origin_id != NULL && *origin_id != '\0') ? origin_id
                                                                       : offset_id;

    gint max = g->retry_max_times;
    if (req->version >= 121 && max_reconsume >= 0)
        max = max_reconsume;
    g_autofree gchar *topic = NULL;
    gboolean dlq = rec.reconsume_times >= max || delay_level < 0;
    gboolean created = FALSE;
    gint qnums;
    if (dlq) {
        topic = g_strdup_printf("%s%s", RMQ_TOPIC_DLQ_PREFIX, group);
        const RmqTopicConfig *tc = rmq_topic_table_ensure(b->topics, topic, 1,
                                                        RMQ_PERM_READ | RMQ_PERM_WRITE, 0, &created);
        qnums = tc->write_queue_nums;
    } else {
        topic = g_strdup_printf("%s%s", RMQ_TOPIC_RETRY_PREFIX, group);
        const RmqTopicConfig *tc = rmq_topic_table_ensure(
            b->topics, topic, g->retry_queue_nums, RMQ_PERM_READ | RMQ_PERM_WRITE, 0, &created);
        qnums = tc->write_queue_nums;
        if (delay_level == 0)
            delay_level = 3 + rec.reconsume_times;
    }
    if (created)
        rmq_broker_topic_created(b);

    g_autofree gchar *level = g_strdup_printf("%d", delay_level);
    static const gchar *const drop[] = { "DELAY", "WAIT", NULL };
    const gchar *add[] = { "RETRY_TOPIC",
                           retry_topic_prop != NULL ? retry_topic_prop : orig_topic,
                           "ORIGIN_MESSAGE_ID",
                           origin,
                           "WAIT",
                           "false",
                           dlq ? NULL : "DELAY",
                           level,
                           NULL };
    g_autoptr(GString) props =
        rmq_message_properties_edit(rec.properties, (gsize) rec.properties_len, drop, add);

    RmqMessage m;
    rmq_broker_message_from_record(b, &rec, topic, (gint32) g_random_int_range(0, MAX(qnums, 1)),
                                   props, &m);
    m.reconsume_times = rec.reconsume_times + 1;
    RmqPutResult result;
    RmqPutStatus st = rmq_store_put_message(b->store, &m, &result);
    if (st != RMQ_PUT_OK) {
        reply(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, g_strdup(rmq_put_status_name(st)));
        return;
    }
    b->stats.put_total++;
    if (dlq)
        rmq_broker_stored_arrived(b, topic, m.queue_id, result.queue_offset, props);
    reply(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
}

void
rmq_broker_retry_processor_register(RmqBroker *b)
{
    rmq_server_register(b->server, RMQ_REQUEST_CONSUMER_SEND_MSG_BACK, handle_send_back, b);
}
