/* Offset and message queries (docs/protocol.md §3.2): GET_MAX_OFFSET (30), GET_MIN_OFFSET (31),
 * SEARCH_OFFSET_BY_TIMESTAMP (29), GET_EARLIEST_MSG_STORETIME (32),
 * QUERY_MESSAGE (12) and VIEW_MESSAGE_BY_ID (33). */
#include <config.h>

#include "broker/broker.h"
#include "broker/commands.h"
#include "remoting/codes.h"

static gboolean
topic_queue(RmqConnection *conn, RmqCommand *req, const gchar **topic, gint32 *qid)
{
    static const gchar *const required[] = { "topic", "queueId", NULL };
    gchar *missing = rmq_broker_missing_field(req, required);
    if (missing == NULL && !rmq_command_get_ext_int32(req, "queueId", qid))
        missing = g_strdup("queueId is not a number");
    if (missing != NULL) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, missing);
        return FALSE;
    }
    *topic = rmq_command_get_ext(req, "topic");
    return TRUE;
}

static void
reply_value(RmqConnection *conn, RmqCommand *req, const gchar *name, gint64 v)
{
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_ext_int64(resp, name, v);
    rmq_broker_reply(conn, req, resp);
}

void
rmq_broker_handle_offsets(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *topic;
    gint32 qid = 0;
    if (!topic_queue(conn, req, &topic, &qid))
        return;
    switch (req->code) {
    case RMQ_REQUEST_GET_MAX_OFFSET:
        reply_value(conn, req, "offset", MAX(rmq_store_get_max_offset(b->store, topic, qid), 0));
        break;
    case RMQ_REQUEST_GET_MIN_OFFSET:
        reply_value(conn, req, "offset", MAX(rmq_store_get_min_offset(b->store, topic, qid), 0));
        break;
    case RMQ_REQUEST_GET_EARLIEST_MSG_STORETIME:
        reply_value(conn, req, "timestamp",
                    rmq_store_get_earliest_message_time(b->store, topic, qid));
        break;
    default: {
        gint64 ts = 0;
        if (!rmq_command_get_ext_int64(req, "timestamp", &ts)) {
            rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                                    "the custom field <timestamp> is null");
            return;
        }
        reply_value(conn, req, "offset", rmq_store_get_offset_by_time(b->store, topic, qid, ts));
        break;
    }
    }
}

void
rmq_broker_handle_query_message(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    static const gchar *const required[] = { "topic", "key", NULL };
    if (!rmq_broker_require_fields(conn, req, required))
        return;
    gint32 max = 32;
    gint64 begin = 0, end = G_MAXINT64;
    rmq_command_get_ext_int32(req, "maxNum", &max);
    rmq_command_get_ext_int64(req, "beginTimestamp", &begin);
    rmq_command_get_ext_int64(req, "endTimestamp", &end);
    if (rmq_command_get_ext_bool(req, "_UNIQUE_KEY_QUERY", FALSE))
        max = b->settings.default_query_max_num;
    g_autoptr(RmqQueryResult) r =
        rmq_store_query_message(b->store, rmq_command_get_ext(req, "topic"),
                                rmq_command_get_ext(req, "key"), (guint) MAX(max, 1), begin, end);
    RmqCommand *resp;
    if (r == NULL || r->count == 0 || r->body == NULL) {
        resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_QUERY_NOT_FOUND,
                                          "can not find message, maybe time range not correct");
    } else {
        resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
        rmq_command_set_body(resp, r->body);
    }
    rmq_command_set_ext_int64(resp, "indexLastUpdateTimestamp",
                              r != NULL ? r->index_last_update_timestamp : 0);
    rmq_command_set_ext_int64(resp, "indexLastUpdatePhyoffset",
                              r != NULL ? r->index_last_update_phy_offset : 0);
    rmq_broker_reply(conn, req, resp);
}

void
rmq_broker_handle_view(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    gint64 off = -1;
    if (!rmq_command_get_ext_int64(req, "offset", &off)) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                                "the custom field <offset> is null");
        return;
    }
    g_autoptr(GBytes) rec = off >= 0 ? rmq_store_look_message_by_offset(b->store, off) : NULL;
    if (rec == NULL) {
        g_autofree gchar *remark =
            g_strdup_printf("can not find message by the offset, %" G_GINT64_FORMAT, off);
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, remark);
        return;
    }
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_body(resp, rec);
    rmq_broker_reply(conn, req, resp);
}
