/* END_TRANSACTION (37, docs/protocol.md §11.1 steps 3-4): commit re-stores the half message to
 * its real topic with the COMMIT flag; commit and rollback both write an op
 * record (tag "d", body = the half queue offset) to
 * RMQ_SYS_TRANS_OP_HALF_TOPIC. Also the half-message property rewrite, and
 * RESUME_CHECK_HALF_MESSAGE (323). */
#include <config.h>

#include <string.h>

#include "broker/broker.h"
#include "broker/commands.h"
#include "broker/transaction_check.h"
#include "remoting/codes.h"

GString *
rmq_broker_transaction_half_props(const gchar *props, gsize len, const gchar *topic,
                                  gint32 queue_id)
{
    g_autofree gchar *qid = g_strdup_printf("%d", queue_id);
    const gchar *add[] = { RMQ_PROPERTY_REAL_TOPIC, topic, RMQ_PROPERTY_REAL_QID, qid, NULL };
    return rmq_message_properties_edit(props, len, NULL, add);
}

static gboolean
put_op(RmqBroker *b, gint64 half_queue_offset)
{
    g_autofree gchar *body = g_strdup_printf("%" G_GINT64_FORMAT, half_queue_offset);
    const gchar *add[] = { RMQ_PROPERTY_TAGS, "d", NULL };
    g_autoptr(GString) props = rmq_message_properties_edit(NULL, 0, NULL, add);
    RmqMessage m = { 0 };
    m.topic = RMQ_TOPIC_TRANS_OP_HALF;
    m.queue_id = 0;
    m.born_timestamp = g_get_real_time() / 1000;
    m.born_host = b->store_host;
    m.store_host = b->store_host;
    m.body = (const guint8 *) body;
    m.body_len = strlen(body);
    m.properties = props->str;
    m.properties_len = props->len;
    RmqPutResult r;
    gint64 start_us = g_get_monotonic_time();
    RmqPutStatus st = rmq_store_put_message(b->store, &m, &r);
    rmq_broker_count_put(b, st, &r, start_us);
    return st == RMQ_PUT_OK;
}

void
rmq_broker_handle_end_transaction(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    static const gchar *const required[] = { "producerGroup", "tranStateTableOffset",
                                             "commitLogOffset", "commitOrRollback", NULL };
    gchar *missing = rmq_broker_missing_field(req, required);
    gint64 state_off = 0, phy = 0;
    gint32 kind = 0;
    if (missing == NULL && (!rmq_command_get_ext_int64(req, "tranStateTableOffset", &state_off) ||
                            !rmq_command_get_ext_int64(req, "commitLogOffset", &phy) ||
                            !rmq_command_get_ext_int32(req, "commitOrRollback", &kind)))
        missing = g_strdup("a numeric field of END_TRANSACTION is not a number");
    if (missing != NULL) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, missing);
        return;
    }
    if (kind != RMQ_SYSFLAG_TRANSACTION_COMMIT && kind != RMQ_SYSFLAG_TRANSACTION_ROLLBACK) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS,
                                NULL); /* UNKNOWN: wait for the check */
        return;
    }
    g_autoptr(GBytes) bytes = rmq_store_look_message_by_offset(b->store, phy);
    RmqMessageRecord rec;
    gsize len = 0;
    const guint8 *data = bytes != NULL ? g_bytes_get_data(bytes, &len) : NULL;
    if (data == NULL || rmq_message_decode(data, len, FALSE, &rec) != RMQ_RECORD_OK ||
        rec.topic_len != (gint32) strlen(RMQ_TOPIC_TRANS_HALF) ||
        memcmp(rec.topic, RMQ_TOPIC_TRANS_HALF, (gsize) rec.topic_len) != 0) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                                "Find prepared transaction message failed");
        return;
    }
    g_autofree gchar *pgroup =
        rmq_message_property_dup(rec.properties, (gsize) rec.properties_len, RMQ_PROPERTY_PGROUP);
    if (g_strcmp0(pgroup, rmq_command_get_ext(req, "producerGroup")) != 0) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, "The producer group wrong");
        return;
    }
    if (rec.queue_offset != state_off) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                                "The transaction state table offset wrong");
        return;
    }
    if (rec.physical_offset != phy) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                                "The commit log offset wrong");
        return;
    }
    if (kind == RMQ_SYSFLAG_TRANSACTION_COMMIT) {
        g_autofree gchar *real_topic =
            rmq_message_property_dup(rec.properties, (gsize) rec.properties_len,
                                     RMQ_PROPERTY_REAL_TOPIC);
        g_autofree gchar *real_qid =
            rmq_message_property_dup(rec.properties, (gsize) rec.properties_len,
                                     RMQ_PROPERTY_REAL_QID);
        if (real_topic == NULL) {
            rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                                    "The half message has no REAL_TOPIC");
            return;
        }
        static const gchar *const drop[] = { RMQ_PROPERTY_REAL_TOPIC, RMQ_PROPERTY_REAL_QID,
                                             RMQ_PROPERTY_TRAN_MSG,
                                             RMQ_PROPERTY_TRANSACTION_CHECK_TIMES, NULL };
        g_autoptr(GString) props =
            rmq_message_properties_edit(rec.properties, (gsize) rec.properties_len, drop, NULL);
        RmqMessage m;
        rmq_broker_message_from_record(
            b, &rec, real_topic,
            real_qid != NULL ? (gint32) g_ascii_strtoll(real_qid, NULL, 10) : 0, props, &m);
        m.sys_flag = (m.sys_flag & ~RMQ_SYSFLAG_TRANSACTION_MASK) | RMQ_SYSFLAG_TRANSACTION_COMMIT;
        m.prepared_transaction_offset = rec.physical_offset;
        RmqPutResult r;
        gint64 start_us = g_get_monotonic_time();
        RmqPutStatus st = rmq_store_put_message(b->store, &m, &r);
        rmq_broker_count_put(b, st, &r, start_us);
        if (st != RMQ_PUT_OK) {
            rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                                  g_strdup(rmq_put_status_name(st)));
            return;
        }
        rmq_broker_stored_arrived(b, real_topic, m.queue_id, r.queue_offset, props);
    }
    put_op(b, rec.queue_offset);
    if (b->trans_check != NULL)
        rmq_transaction_check_resolved(b->trans_check, rec.queue_offset);
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
}

/* RESUME_CHECK_HALF_MESSAGE (323): the half message at offset id @msgId is
 * stored again in RMQ_SYS_TRANS_HALF_TOPIC queue 0 with
 * TRANSACTION_CHECK_TIMES reset to 0 (and WAIT=false), so the transaction
 * check asks its producer again (Java's toMessageExtBrokerInner). Any
 * failure to find or decode it gets Java's one remark. */
void
rmq_broker_handle_resume_check(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    static const gchar exception_remark[] =
        "Exception was thrown when putting message back to RMQ_SYS_TRANS_HALF_TOPIC.";
    const gchar *id = rmq_command_get_ext(req, "msgId");
    RmqHostAddr h;
    gint64 phy = 0;
    if (id == NULL || !rmq_message_id_decode(id, &h, &phy, NULL)) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, exception_remark);
        return;
    }
    g_autoptr(GBytes) bytes = rmq_store_look_message_by_offset(b->store, phy);
    RmqMessageRecord rec;
    gsize len = 0;
    const guint8 *data = bytes != NULL ? g_bytes_get_data(bytes, &len) : NULL;
    if (data == NULL || rmq_message_decode(data, len, FALSE, &rec) != RMQ_RECORD_OK) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, exception_remark);
        return;
    }
    const gchar *add[] = { RMQ_PROPERTY_TRANSACTION_CHECK_TIMES, "0", "WAIT", "false", NULL };
    g_autoptr(GString) props =
        rmq_message_properties_edit(rec.properties, (gsize) rec.properties_len, NULL, add);
    RmqMessage m;
    rmq_broker_message_from_record(b, &rec, RMQ_TOPIC_TRANS_HALF, 0, props, &m);
    m.reconsume_times = rec.reconsume_times;
    RmqPutResult r;
    gint64 start_us = g_get_monotonic_time();
    RmqPutStatus st = rmq_store_put_message(b->store, &m, &r);
    rmq_broker_count_put(b, st, &r, start_us);
    if (st != RMQ_PUT_OK) {
        g_warning("RESUME_CHECK_HALF_MESSAGE %s: %s", id, rmq_put_status_name(st));
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                                "Put message back to RMQ_SYS_TRANS_HALF_TOPIC failed.");
        return;
    }
    g_autofree gchar *real =
        rmq_message_property_dup(rec.properties, (gsize) rec.properties_len, RMQ_PROPERTY_REAL_TOPIC);
    g_message("RESUME_CHECK_HALF_MESSAGE: put message back to RMQ_SYS_TRANS_HALF_TOPIC, real "
              "topic=%s", real != NULL ? real : "");
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
}
