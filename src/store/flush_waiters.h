/* The SYNC_FLUSH waiters of the flush service (flush_service.c), kept apart
 * so the rule "which waiters does a flushed offset release" can be tested
 * without threads or a disk.  A ring of records in request order (offsets
 * ascending: the commit log only grows), so a request costs no allocation
 * once the ring has grown to the number in flight. */
#pragma once

#include <glib.h>

#include "store/flush_service.h"

typedef struct {
    gint64 offset;       /* durable once the commit log is flushed up to here */
    gint64 deadline;     /* monotonic µs: answered FLUSH_DISK_TIMEOUT from then on */
    RmqFlushCallback cb;
    gpointer user_data;
} RmqFlushWaiter;

typedef struct {
    RmqFlushWaiter *buf;
    guint head;          /* index of the oldest */
    guint len;
    guint cap;           /* 0 or a power of two */
} RmqFlushWaiters;

typedef enum {
    RMQ_FLUSH_WAITER_KEEP,      /* not covered yet, deadline not reached */
    RMQ_FLUSH_WAITER_DURABLE,   /* an fdatasync that covers its bytes has returned */
    RMQ_FLUSH_WAITER_EXPIRED,   /* not covered, and its deadline passed (or stopping) */
} RmqFlushWaiterVerdict;

/* The one rule: an ack only after the flush that covers every byte up to
 * @w->offset; past the deadline (or on the final call at shutdown) a
 * waiter not covered is answered as a timeout, never as durable. */
static inline RmqFlushWaiterVerdict
rmq_flush_waiter_verdict(const RmqFlushWaiter *w, gint64 flushed, gint64 now, gboolean final)
{
    if (w->offset <= flushed)
        return RMQ_FLUSH_WAITER_DURABLE;
    if (final || w->deadline <= now)
        return RMQ_FLUSH_WAITER_EXPIRED;
    return RMQ_FLUSH_WAITER_KEEP;
}

static inline void
rmq_flush_waiters_clear(RmqFlushWaiters *q)
{
    g_free(q->buf);
    *q = (RmqFlushWaiters) { 0 };
}

static inline void
rmq_flush_waiters_push(RmqFlushWaiters *q, const RmqFlushWaiter *w)
{
    if (q->len == q->cap) {
        guint cap = q->cap > 0 ? q->cap * 2 : 64;
        RmqFlushWaiter *buf = g_new(RmqFlushWaiter, cap);
        for (guint i = 0; i < q->len; i++) /* unwrapped, oldest first */
            buf[i] = q->buf[(q->head + i) & (q->cap - 1)];
        g_free(q->buf);
        q->buf = buf;
        q->head = 0;
        q->cap = cap;
    }
    q->buf[(q->head + q->len) & (q->cap - 1)] = *w;
    q->len++;
}

static inline const RmqFlushWaiter *
rmq_flush_waiters_peek(const RmqFlushWaiters *q)
{
    return q->len > 0 ? &q->buf[q->head] : NULL;
}

/* Removes the oldest into *@out (a copy: a callback may push meanwhile). */
static inline gboolean
rmq_flush_waiters_pop(RmqFlushWaiters *q, RmqFlushWaiter *out)
{
    if (q->len == 0)
        return FALSE;
    *out = q->buf[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->len--;
    return TRUE;
}

/* How many of the oldest waiters one pass releases at @flushed and @now:
 * the leading run that is not KEEP (offsets and deadlines both grow along
 * the ring, so the first KEEP ends the pass). */
static inline guint
rmq_flush_waiters_releasable(const RmqFlushWaiters *q, gint64 flushed, gint64 now,
                             gboolean final)
{
    guint n = 0;
    while (n < q->len &&
           rmq_flush_waiter_verdict(&q->buf[(q->head + n) & (q->cap - 1)], flushed, now,
                                    final) != RMQ_FLUSH_WAITER_KEEP)
        n++;
    return n;
}
