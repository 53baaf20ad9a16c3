#include <config.h>

#include "broker/transaction_check.h"

#include <string.h>

#include "broker/broker.h"
#include "broker/client_registry.h"
#include "remoting/codes.h"
#include "remoting/fd_poller.h"

/* Progress through the half queue is kept as this group's consumer offset,
 * as Java does, so it survives restarts. */
#define CHECK_GROUP "CID_RMQ_SYS_TRANS"
#define MAX_PER_RUN 2000

struct _RmqTransactionCheck {
    RmqBroker *b;
    GHashTable *resolved; /* half queue offsets (gint64*) with an op record */
    guint timer;
};

static void
mark(RmqTransactionCheck *t, gint64 off)
{
    gint64 *k = g_new(gint64, 1);
    *k = off;
    g_hash_table_add(t->resolved, k);
}

void
rmq_transaction_check_resolved(RmqTransactionCheck *t, gint64 half_queue_offset)
{
    mark(t, half_queue_offset);
}

/* Rebuild the resolved set from the op queue (its bodies are half offsets). */
static void
load_ops(RmqTransactionCheck *t)
{
    RmqStore *store = t->b->store;
    gint64 off = MAX(rmq_store_get_min_offset(store, RMQ_TOPIC_TRANS_OP_HALF, 0), 0);
    gint64 max = rmq_store_get_max_offset(store, RMQ_TOPIC_TRANS_OP_HALF, 0);
    while (off < max) {
        g_autoptr(RmqGetResult) r =
            rmq_store_get_message(store, RMQ_TOPIC_TRANS_OP_HALF, 0, off, 32, NULL, NULL);
        if (r->status != RMQ_GET_FOUND) {
            if (r->next_begin_offset <= off)
                break;
            off = r->next_begin_offset;
            continue;
        }
        gsize len = 0, pos = 0;
        const guint8 *data = g_bytes_get_data(r->body, &len);
        for (guint i = 0; i < r->msg_count; i++) {
            RmqMessageRecord rec;
            if (rmq_message_decode(data + pos, len - pos, FALSE, &rec) != RMQ_RECORD_OK)
                break;
            pos += (gsize) rec.total_size;
            g_autofree gchar *text = g_strndup((const gchar *) rec.body, (gsize) rec.body_len);
            mark(t, g_ascii_strtoll(text, NULL, 10));
        }
        off = r->next_begin_offset;
    }
}

static GBytes *
real_record(const RmqMessageRecord *rec, const gchar *topic, gint32 qid)
{
    RmqMessage m = { 0 };
    m.topic = topic;
    m.queue_id = qid;
    m.flag = rec->flag;
    m.sys_flag = rec->sys_flag;
    m.born_timestamp = rec->born_timestamp;
    m.born_host = rec->born_host;
    m.store_host = rec->store_host;
    m.reconsume_times = rec->reconsume_times;
    m.prepared_transaction_offset = rec->prepared_transaction_offset;
    m.body = rec->body;
    m.body_len = (gsize) rec->body_len;
    m.properties = rec->properties;
    m.properties_len = (gsize) rec->properties_len;
    gint64 size = rmq_message_record_size(&m);
    if (size <= 0)
        return NULL;
    guint8 *out = g_malloc((gsize) size);
    rmq_message_encode(&m, rec->queue_offset, rec->physical_offset, rec->store_timestamp, out);
    return g_bytes_new_take(out, (gsize) size);
}

/* Re-append @rec with TRANSACTION_CHECK_TIMES = @times (to @topic), and
 * return the new record's offsets. */
static gboolean
reappend(RmqTransactionCheck *t, const RmqMessageRecord *rec, const gchar *topic, gint times,
         RmqPutResult *r)
{
    RmqBroker *b = t->b;
    g_autofree gchar *n = g_strdup_printf("%d", times);
    const gchar *add[] = { RMQ_PROPERTY_TRANSACTION_CHECK_TIMES, n, NULL };
    g_autoptr(GString) props =
        rmq_message_properties_edit(rec->properties, (gsize) rec->properties_len, NULL, add);
    RmqMessage m;
    rmq_broker_message_from_record(b, rec, topic, 0, props, &m);
    gint64 start_us = g_get_monotonic_time();
    RmqPutStatus st = rmq_store_put_message(b->store, &m, r);
    rmq_broker_count_put(b, st, r, start_us);
    return st == RMQ_PUT_OK;
}

static void
send_check(RmqTransactionCheck *t, RmqConnection *conn, const RmqPutResult *r)
{
    RmqBroker *b = t->b;
    g_autoptr(GBytes) stored = rmq_store_look_message_by_offset(b->store, r->physical_offset);
    RmqMessageRecord rec;
    gsize len = 0;
    const guint8 *data = stored != NULL ? g_bytes_get_data(stored, &len) : NULL;
    if (data == NULL || rmq_message_decode(data, len, FALSE, &rec) != RMQ_RECORD_OK)
        return;
    g_autofree gchar *topic =
        rmq_message_property_dup(rec.properties, (gsize) rec.properties_len,
                                 RMQ_PROPERTY_REAL_TOPIC);
    g_autofree gchar *qid =
        rmq_message_property_dup(rec.properties, (gsize) rec.properties_len, RMQ_PROPERTY_REAL_QID);
    g_autofree gchar *uniq =
        rmq_message_property_dup(rec.properties, (gsize) rec.properties_len, RMQ_PROPERTY_UNIQ_KEY);
    g_autofree gchar *tid =
        rmq_message_property_dup(rec.properties, (gsize) rec.properties_len,
                                 RMQ_PROPERTY_TRANSACTION_ID);
    g_autoptr(GBytes) body = real_record(&rec, topic != NULL ? topic : RMQ_TOPIC_TRANS_HALF,
                                         qid != NULL ? (gint32) g_ascii_strtoll(qid, NULL, 10) : 0);
    RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_CHECK_TRANSACTION_STATE);
    rmq_command_set_ext_int64(req, "tranStateTableOffset", r->queue_offset);
    rmq_command_set_ext_int64(req, "commitLogOffset", r->physical_offset);
    rmq_command_set_ext(req, "offsetMsgId", r->msg_id);
    if (uniq != NULL)
        rmq_command_set_ext(req, "msgId", uniq);
    rmq_command_set_ext(req, "transactionId", tid != NULL ? tid : (uniq != NULL ? uniq : r->msg_id));
    if (body != NULL)
        rmq_command_set_body(req, body);
    rmq_connection_send_oneway(conn, req);
}

void
rmq_transaction_check_run(RmqTransactionCheck *t)
{
    RmqBroker *b = t->b;
    const RmqBrokerSettings *s = &b->settings;
    gint64 progress = rmq_consumer_offsets_query(b->offsets, CHECK_GROUP, RMQ_TOPIC_TRANS_HALF, 0);
    gint64 min = rmq_store_get_min_offset(b->store, RMQ_TOPIC_TRANS_HALF, 0);
    if (progress < min)
        progress = MAX(min, 0);
    gint64 max = rmq_store_get_max_offset(b->store, RMQ_TOPIC_TRANS_HALF, 0);
    gint64 now = g_get_real_time() / 1000;
    gboolean contiguous = TRUE;
    gint64 start = progress;
    for (gint64 off = start; off < max && off < start + MAX_PER_RUN; off++) {
        if (g_hash_table_contains(t->resolved, &off)) {
            if (contiguous)
                progress = off + 1;
            continue;
        }
        g_autoptr(RmqGetResult) r =
            rmq_store_get_message(b->store, RMQ_TOPIC_TRANS_HALF, 0, off, 1, NULL, NULL);
        if (r->status != RMQ_GET_FOUND) {
            if (contiguous)
                progress = off + 1;
            continue;
        }
        gsize len = 0;
        const guint8 *data = g_bytes_get_data(r->body, &len);
        RmqMessageRecord rec;
        if (rmq_message_decode(data, len, FALSE, &rec) != RMQ_RECORD_OK)
            continue;
        g_autofree gchar *immunity =
            rmq_message_property_dup(rec.properties, (gsize) rec.properties_len,
                                     RMQ_PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS);
        gint64 timeout = s->transaction_time_out;
        if (immunity != NULL)
            timeout = MAX(timeout, g_ascii_strtoll(immunity, NULL, 10) * 1000);
        if (now - rec.store_timestamp < timeout)
            break; /* later ones are younger still */
        g_autofree gchar *times_s =
            rmq_message_property_dup(rec.properties, (gsize) rec.properties_len,
                                     RMQ_PROPERTY_TRANSACTION_CHECK_TIMES);
        gint times = times_s != NULL ? (gint) g_ascii_strtoll(times_s, NULL, 10) : 0;
        RmqPutResult put;
        if (times >= s->transaction_check_max) {
            reappend(t, &rec, RMQ_TOPIC_TRANS_CHECK_MAX_TIME, times, &put);
        } else {
            g_autofree gchar *group =
                rmq_message_property_dup(rec.properties, (gsize) rec.properties_len,
                                         RMQ_PROPERTY_PGROUP);
            if (!reappend(t, &rec, RMQ_TOPIC_TRANS_HALF, times + 1, &put)) {
                contiguous = FALSE;
                continue;
            }
            RmqConnection *conn =
                group != NULL ? rmq_client_registry_any_producer(b->clients, group) : NULL;
            if (conn != NULL)
                send_check(t, conn, &put);
        }
        mark(t, off);
        if (contiguous)
            progress = off + 1;
    }
    if (progress != start) {
        rmq_consumer_offsets_commit(b->offsets, CHECK_GROUP, RMQ_TOPIC_TRANS_HALF, 0, progress);
        b->offsets_dirty = TRUE;
    }
}

static gboolean
on_timer(gpointer data)
{
    rmq_transaction_check_run(data);
    return G_SOURCE_CONTINUE;
}

RmqTransactionCheck *
rmq_transaction_check_new(RmqBroker *b, guint interval_ms)
{
    RmqTransactionCheck *t = g_new0(RmqTransactionCheck, 1);
    t->b = b;
    t->resolved = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    load_ops(t);
    t->timer = rmq_timeout_add(interval_ms, on_timer, t);
    return t;
}

void
rmq_transaction_check_free(RmqTransactionCheck *t)
{
    if (t == NULL)
        return;
    g_clear_handle_id(&t->timer, rmq_timeout_remove);
    g_hash_table_destroy(t->resolved);
    g_free(t);
}
