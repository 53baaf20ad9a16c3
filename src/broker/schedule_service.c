#include <config.h>

#include "broker/schedule_service.h"

#include <string.h>

#include "broker/broker.h"
#include "remoting/fd_poller.h"

#define FIRST_DELAY_MS 1000
#define TICK_MS 100
#define BATCH 32

struct _RmqScheduleService {
    RmqBroker *b;
    GArray *levels; /* gint64 ms per level, level 1 at index 0 */
    guint timer;
};

static gboolean
is_due(gint64 deliver_ms, gpointer data)
{
    return deliver_ms <= *(const gint64 *) data;
}

/* Re-store one parked record to its real topic/queue. */
static gboolean
deliver(RmqScheduleService *s, const RmqMessageRecord *rec)
{
    RmqBroker *b = s->b;
    g_autofree gchar *topic =
        rmq_message_property_dup(rec->properties, (gsize) rec->properties_len,
                                 RMQ_PROPERTY_REAL_TOPIC);
    g_autofree gchar *qid =
        rmq_message_property_dup(rec->properties, (gsize) rec->properties_len,
                                 RMQ_PROPERTY_REAL_QID);
    if (topic == NULL)
        return TRUE; /* nothing to deliver to: skip it */
    static const gchar *const drop[] = { RMQ_PROPERTY_DELAY, RMQ_PROPERTY_REAL_TOPIC,
                                         RMQ_PROPERTY_REAL_QID, RMQ_PROPERTY_WAIT, NULL };
    const gchar *add[] = { RMQ_PROPERTY_WAIT, "false", NULL };
    g_autoptr(GString) props =
        rmq_message_properties_edit(rec->properties, (gsize) rec->properties_len, drop, add);
    RmqMessage m;
    rmq_broker_message_from_record(b, rec, topic,
                                   qid != NULL ? (gint32) g_ascii_strtoll(qid, NULL, 10) : 0,
                                   props, &m);
    m.prepared_transaction_offset = rec->prepared_transaction_offset;
    RmqPutResult r;
    gint64 start_us = g_get_monotonic_time();
    RmqPutStatus st = rmq_store_put_message(b->store, &m, &r);
    rmq_broker_count_put(b, st, &r, start_us);
    if (st != RMQ_PUT_OK) {
        g_warning("delayed message to %s could not be stored: %s", topic, rmq_put_status_name(st));
        return FALSE; /* retry on the next tick */
    }
    rmq_broker_stored_arrived(b, topic, m.queue_id, r.queue_offset, props);
    return TRUE;
}

static void
run_level(RmqScheduleService *s, gint level, gint64 now)
{
    RmqBroker *b = s->b;
    gint64 off = rmq_delay_offsets_get(b->delay_offsets, level);
    gint64 start = off;
    for (guint round = 0; round < 8; round++) {
        g_autoptr(RmqGetResult) r = rmq_store_get_message(b->store, RMQ_STORE_SCHEDULE_TOPIC,
                                                          level - 1, off, BATCH, is_due, &now);
        if (r->status == RMQ_GET_OFFSET_TOO_SMALL || r->status == RMQ_GET_OFFSET_OVERFLOW_BADLY ||
            r->status == RMQ_GET_MESSAGE_WAS_REMOVING) {
            off = r->next_begin_offset;
            continue;
        }
        if (r->status != RMQ_GET_FOUND)
            break;
        gsize len = 0;
        const guint8 *data = g_bytes_get_data(r->body, &len);
        gsize pos = 0;
        gboolean stop = FALSE;
        for (guint i = 0; i < r->msg_count && !stop; i++) {
            gint64 qo = g_array_index(r->queue_offsets, gint64, i);
            RmqMessageRecord rec;
            if (rmq_message_decode(data + pos, len - pos, FALSE, &rec) != RMQ_RECORD_OK)
                break;
            pos += (gsize) rec.total_size;
            /* Only a due prefix: a unit skipped by the filter is not due yet. */
            if (qo != off || !deliver(s, &rec)) {
                stop = TRUE;
                break;
            }
            off = qo + 1;
        }
        if (stop || r->msg_count < BATCH)
            break;
    }
    if (off != start) {
        rmq_delay_offsets_set(b->delay_offsets, level, off);
        b->delay_dirty = TRUE;
    }
}

static gboolean
on_tick(gpointer data)
{
    RmqScheduleService *s = data;
    gint64 now = g_get_real_time() / 1000;
    for (guint l = 1; l <= s->levels->len; l++)
        run_level(s, (gint) l, now);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_first(gpointer data)
{
    RmqScheduleService *s = data;
    on_tick(s);
    s->timer = rmq_timeout_add(TICK_MS, on_tick, s);
    return G_SOURCE_REMOVE;
}

RmqScheduleService *
rmq_schedule_service_new(RmqBroker *b, GError **error)
{
    GArray *levels = rmq_store_config_parse_delay_levels(
        b->settings.message_delay_level != NULL ? b->settings.message_delay_level
                                                : "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m "
                                                  "20m 30m 1h 2h",
        error);
    if (levels == NULL)
        return NULL;
    RmqScheduleService *s = g_new0(RmqScheduleService, 1);
    s->b = b;
    s->levels = levels;
    s->timer = rmq_timeout_add(FIRST_DELAY_MS, on_first, s);
    return s;
}

void
rmq_schedule_service_free(RmqScheduleService *s)
{
    if (s == NULL)
        return;
    g_clear_handle_id(&s->timer, rmq_timeout_remove);
    g_array_unref(s->levels);
    g_free(s);
}

gint64
rmq_schedule_service_deliver_time(RmqScheduleService *s, gint level, gint64 store_ms)
{
    if (level < 1 || (guint) level > s->levels->len)
        return -1;
    return store_ms + g_array_index(s->levels, gint64, level - 1);
}

guint
rmq_schedule_service_levels(RmqScheduleService *s)
{
    return s->levels->len;
}
