/* The broker side of flow_control.h: the send queue is the puts waiting for
 * the group commit (store flush waiters) or for a slave (HA waiters); a put
 * batch is timed from its first send handler to the end of that loop
 * dispatch, found by a dispatch-end hook of the loop's poller that lives as
 * long as the broker (no source made and destroyed per batch, no GSource
 * walked on every loop turn, no extra loop turn).
 * Called once, at the top of the send handler. */
#include <config.h>

#include "broker/broker.h"
#include "broker/flow_control.h"
#include "common/ratelimit.h"
#include "ha/ha_service.h"
#include "remoting/codes.h"
#include "remoting/fd_poller.h"
#include "store/store.h"

/* One log line per this many ms while sends are being refused. */
#define FLOW_LOG_INTERVAL_MS 10000

static void
on_dispatch_end(gpointer user_data)
{
    RmqFlowControl *flow = user_data;
    if (rmq_flow_control_put_open(flow)) /* the turn that opened it is over */
        rmq_flow_control_put_end(flow, g_get_monotonic_time() / 1000);
}

void
rmq_broker_flow_control_clear(RmqBroker *b)
{
    if (b->flow_poller != NULL) {
        rmq_fd_poller_remove_dispatch_end(b->flow_poller, on_dispatch_end, b->flow);
        g_clear_pointer(&b->flow_poller, rmq_fd_poller_unref);
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
        b->flow_poller = rmq_fd_poller_get(NULL);
        rmq_fd_poller_add_dispatch_end(b->flow_poller, on_dispatch_end, b->flow);
    }
    /* the loop wake-up's time (the connection read it): ms-scale checks */
    gint64 now_us = rmq_fd_poller_now(b->flow_poller);
    gint64 now_ms = now_us / 1000;
    gint64 wait_ms = 0;
    guint queued = rmq_broker_send_queue(b, now_us, &wait_ms);

    gchar *remark = NULL; /* set only with a refusal: no g_free(NULL) per admitted send */
    RmqFlowVerdict v = rmq_flow_control_check_send(b->flow, &b->settings.flow, queued, wait_ms,
                                                   now_ms, &remark);
    if (G_UNLIKELY(v != RMQ_FLOW_ADMIT)) {
        guint64 earlier = 0;
        if (rmq_rate_limit_allow(b->flow_log, NULL, now_us, &earlier))
            g_warning("send flow control: %" G_GUINT64_FORMAT " send(s) answered SYSTEM_BUSY "
                      "(last to %s: %s)",
                      earlier + 1, rmq_connection_get_peer(conn), remark);
        rmq_broker_reply(conn, request,
                         rmq_broker_response_borrow(request, RMQ_RESPONSE_SYSTEM_BUSY, remark));
        g_free(remark);
        return TRUE;
    }
    rmq_flow_control_put_begin(b->flow, now_ms); /* opens one when none is */
    return FALSE;
}
