#include <config.h>

#include "broker/flow_control.h"

/* Java's guard in isOSPageCacheBusy against a begin time far in the past. */
#define PAGE_CACHE_SANE_MS 10000000

struct _RmqFlowControl {
    gint ref_count;
    gint64 put_begin;    /* open put, or -1 */
    gint64 last_begin;   /* the last put that held too long ... */
    gint64 last_end;     /* ... and when it ended; -1 if none */
    guint64 refused[RMQ_FLOW_PAGE_CACHE_BUSY + 1];
};

void
rmq_flow_limits_init(RmqFlowLimits *l)
{
    l->send_queue_capacity = 10000;
    l->wait_time_in_send_queue_ms = 200;
    l->os_page_cache_busy_timeout_ms = 1000;
    l->fast_failure_enable = TRUE;
    l->write_buffer_max_bytes = (gint64) 64 * 1024 * 1024;
    l->write_stall_timeout_ms = 30000;
}

RmqFlowControl *
rmq_flow_control_new(void)
{
    RmqFlowControl *fc = g_new0(RmqFlowControl, 1);
    fc->ref_count = 1;
    fc->put_begin = fc->last_begin = fc->last_end = -1;
    return fc;
}

RmqFlowControl *
rmq_flow_control_ref(RmqFlowControl *fc)
{
    fc->ref_count++;
    return fc;
}

void
rmq_flow_control_free(RmqFlowControl *fc)
{
    if (fc != NULL && --fc->ref_count == 0)
        g_free(fc);
}

void
rmq_flow_control_put_begin(RmqFlowControl *fc, gint64 now_ms)
{
    if (fc->put_begin < 0)
        fc->put_begin = now_ms;
}

void
rmq_flow_control_put_end(RmqFlowControl *fc, gint64 now_ms)
{
    if (fc->put_begin < 0)
        return;
    /* Only a put that held long enough to matter is remembered. */
    if (now_ms - fc->put_begin > 0) {
        fc->last_begin = fc->put_begin;
        fc->last_end = now_ms;
    }
    fc->put_begin = -1;
}

gboolean
rmq_flow_control_put_open(const RmqFlowControl *fc)
{
    return fc->put_begin >= 0;
}

gint64
rmq_flow_control_put_held_ms(const RmqFlowControl *fc, gint64 now_ms)
{
    return fc != NULL && fc->put_begin >= 0 ? MAX(now_ms - fc->put_begin, 0) : 0;
}

gboolean
rmq_flow_control_page_cache_busy(const RmqFlowControl *fc, const RmqFlowLimits *l, gint64 now_ms)
{
    gint64 limit = l->os_page_cache_busy_timeout_ms;
    if (fc->put_begin >= 0) {
        gint64 diff = now_ms - fc->put_begin;
        if (diff < PAGE_CACHE_SANE_MS && diff > limit)
            return TRUE;
    }
    if (fc->last_end < 0)
        return FALSE;
    gint64 held = fc->last_end - fc->last_begin;
    if (held <= limit || held >= PAGE_CACHE_SANE_MS)
        return FALSE;
    return now_ms >= fc->last_end && now_ms - fc->last_end < held;
}

RmqFlowVerdict
rmq_flow_control_check_send(RmqFlowControl *fc, const RmqFlowLimits *l, guint queued,
                            gint64 oldest_wait_ms, gint64 now_ms, gchar **remark)
{
    RmqFlowVerdict v = RMQ_FLOW_ADMIT;
    gchar *text = NULL;
    /* Java: the pool refuses a task beyond the queue's capacity whatever
     * brokerFastFailureEnable says; the busy and wait checks are the fast
     * failure service's. */
    if (l->send_queue_capacity > 0 && queued >= (guint) l->send_queue_capacity) {
        v = RMQ_FLOW_QUEUE_FULL;
        text = g_strdup("[OVERLOAD]system busy, start flow control for a while");
    } else if (l->fast_failure_enable && rmq_flow_control_page_cache_busy(fc, l, now_ms)) {
        v = RMQ_FLOW_PAGE_CACHE_BUSY;
        text = g_strdup("[PC_SYNCHRONIZED]broker busy, start flow control for a while");
    } else if (l->fast_failure_enable && queued > 0 &&
               oldest_wait_ms >= l->wait_time_in_send_queue_ms) {
        v = RMQ_FLOW_QUEUE_TIMEOUT;
        text = g_strdup_printf("[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a "
                               "while, period in queue: %" G_GINT64_FORMAT "ms, size of "
                               "queue: %u",
                               oldest_wait_ms, queued);
    }
    if (v != RMQ_FLOW_ADMIT)
        fc->refused[v]++;
    if (remark != NULL)
        *remark = text;
    else
        g_free(text);
    return v;
}

guint64
rmq_flow_control_refused(const RmqFlowControl *fc, RmqFlowVerdict why)
{
    return why <= RMQ_FLOW_PAGE_CACHE_BUSY ? fc->refused[why] : 0;
}
