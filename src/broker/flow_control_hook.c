/* The broker side of flow_control.h: the send queue is the puts waiting for
 * the group commit (store flush waiters) or for a slave (HA waiters); a put
 * batch is timed from its first send handler to the end of that loop
 * dispatch, found by one source that lives as long as the broker: its
 * prepare, which GLib calls at the start of every loop turn, closes an open
 * batch (no source made and destroyed per batch, no extra loop turn).
 * Called once, at the top of the send handler. */
#include <config.h>

#include "broker/broker.h"
#include "broker/flow_control.h"
#include "common/ratelimit.h"
#include "ha/ha_service.h"
#include "remoting/codes.h"
#include "store/store.h"

/* One log line per this many ms while sends are being refused. */
#define FLOW_LOG_INTERVAL_MS 10000

typedef struct {
    GSource base;
    RmqFlowControl *flow; /* a reference */
} PutEndSource;

static gboolean
put_end_prepare(GSource *source, gint *timeout)
{
    RmqFlowControl *flow = ((PutEndSource *) source)->flow;
    *timeout = -1;
    if (rmq_flow_control_put_open(flow)) /* the turn that opened it is over */
        rmq_flow_control_put_end(flow, g_get_monotonic_time() / 1000);
    return FALSE; /* never dispatched */
}

static gboolean
put_end_check(GSource *source)
{
    return FALSE;
}

static void
put_end_finalize(GSource *source)
{
    rmq_flow_control_free(((PutEndSource *) source)->flow);
}

static GSourceFuncs put_end_funcs = {
    .prepare = put_end_prepare,
    .check = put_end_check,
    .finalize = put_end_finalize,
};

void
rmq_broker_flow_control_clear(RmqBroker *b)
{
    if (b->flow_source != NULL) {
        g_source_destroy(b->flow_source);
        g_clear_pointer(&b->flow_source, g_source_unref);
    }
}

guint
rmq_broker_send_queue(RmqBroker *b, gint64 now_us, gint64 *head_wait_ms)
{
    gint64 oldest_flush = 0, oldest_repl = 0;
    guint flush = rmq_store_flush_pending(b->store, &oldest_flush);
    guint repl = b->ha != NULL ? rmq_ha_service_pending(b->ha, &oldest_repl) : 0;
    /* A SYNC_MASTER + SYNC_FLUSH put waits in both queues: count it once. */
    gint64 oldest = oldest_flush == 0 ? oldest_repl
                    : oldest_repl == 0 ? oldest_flush : MIN(oldest_flush, oldest_repl);
    *head_wait_ms = oldest != 0 ? MAX(now_us - oldest, 0) / 1000 : 0;
    return MAX(flush, repl);
}

gboolean
rmq_broker_flow_control_send(RmqBroker *b, RmqConnection *conn, RmqCommand *request)
{
    if (b->flow == NULL) {
        b->flow = rmq_flow_control_new();
        b->flow_log = rmq_rate_limit_new(1, FLOW_LOG_INTERVAL_MS * 1000, 1);
        b->flow_source = g_source_new(&put_end_funcs, sizeof(PutEndSource));
        ((PutEndSource *) b->flow_source)->flow = rmq_flow_control_ref(b->flow);
        g_source_set_name(b->flow_source, "rmq-flow-put-end");
        /* High: GLib skips the prepare of sources below a ready one. */
        g_source_set_priority(b->flow_source, G_PRIORITY_HIGH);
        g_source_attach(b->flow_source, NULL);
    }
    gint64 now_us = g_get_monotonic_time();
    gint64 now_ms = now_us / 1000;
    gint64 wait_ms = 0;
    guint queued = rmq_broker_send_queue(b, now_us, &wait_ms);

    g_autofree gchar *remark = NULL;
    RmqFlowVerdict v = rmq_flow_control_check_send(b->flow, &b->settings.flow, queued, wait_ms,
                                                   now_ms, &remark);
    if (v != RMQ_FLOW_ADMIT) {
        guint64 earlier = 0;
        if (rmq_rate_limit_allow(b->flow_log, NULL, now_us, &earlier))
            g_warning("send flow control: %" G_GUINT64_FORMAT " send(s) answered SYSTEM_BUSY "
                      "(last to %s: %s)",
                      earlier + 1, rmq_connection_get_peer(conn), remark);
        rmq_broker_reply(conn, request,
                         rmq_broker_response_borrow(request, RMQ_RESPONSE_SYSTEM_BUSY, remark));
        return TRUE;
    }
    rmq_flow_control_put_begin(b->flow, now_ms); /* opens one when none is */
    return FALSE;
}
