/* Flow control for sends, as Apache RocketMQ's broker does it (docs/packaging.md,
 * "Flow control"): a bounded send queue (sendThreadPoolQueueCapacity), a limit
 * on how long its oldest request may wait (waitTimeMillsInSendQueue, with
 * brokerFastFailureEnable) and the page-cache busy check
 * (osPageCacheBusyTimeOutMills). Past them a send is answered SYSTEM_BUSY at
 * once with Java's remark, instead of waiting without bound.
 *
 * rmq runs every request on one GLib loop, so Java's thread-pool queue has
 * no literal equivalent. Here the "send queue" is the sends decoded but not
 * yet answered: those waiting for the group commit (SYNC_FLUSH) or for the
 * slave (SYNC_MASTER); the broker counts them (flush and replication
 * waiters) and passes the count and the age of the oldest in. A "put
 * holding the commit-log lock" is a batch of send handlers holding the
 * loop: the caller marks its begin and end.
 *
 * Pure: no sockets, time is passed in (milliseconds, any monotonic clock). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    gint send_queue_capacity;            /* sendThreadPoolQueueCapacity, 10000 */
    gint64 wait_time_in_send_queue_ms;   /* waitTimeMillsInSendQueue, 200 */
    gint64 os_page_cache_busy_timeout_ms; /* osPageCacheBusyTimeOutMills, 1000 */
    gboolean fast_failure_enable;        /* brokerFastFailureEnable, TRUE */
    /* per connection (rmq extensions, 0 = no limit), carried to
     * rmq_server_set_write_limits; the name server reads them too */
    gint64 write_buffer_max_bytes;       /* connectionWriteBufferMaxBytes, 64 MiB */
    gint64 write_stall_timeout_ms;       /* connectionWriteStallTimeoutMills, 30000 */
} RmqFlowLimits;

/* Java's defaults (BrokerConfig, MessageStoreConfig 4.9) and rmq's. */
void rmq_flow_limits_init(RmqFlowLimits *l);

typedef enum {
    RMQ_FLOW_ADMIT,
    RMQ_FLOW_QUEUE_FULL,      /* "[OVERLOAD]": Java's pool refused the task */
    RMQ_FLOW_QUEUE_TIMEOUT,   /* "[TIMEOUT_CLEAN_QUEUE]" */
    RMQ_FLOW_PAGE_CACHE_BUSY, /* "[PC_SYNCHRONIZED]" */
} RmqFlowVerdict;

typedef struct _RmqFlowControl RmqFlowControl;

RmqFlowControl *rmq_flow_control_new(void); /* (transfer full) */
RmqFlowControl *rmq_flow_control_ref(RmqFlowControl *fc);
void rmq_flow_control_free(RmqFlowControl *fc); /* drops a reference */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqFlowControl, rmq_flow_control_free)

/* A put (a batch of send handlers on the loop) began / ended. A begin
 * while one is open is ignored: the batch is timed from its first send. */
void rmq_flow_control_put_begin(RmqFlowControl *fc, gint64 now_ms);
void rmq_flow_control_put_end(RmqFlowControl *fc, gint64 now_ms);
gboolean rmq_flow_control_put_open(const RmqFlowControl *fc);
/* How long the open put has held the log at @now_ms, 0 when none is open
 * (Java's lockTimeMills, GET_BROKER_RUNTIME_INFO pageCacheLockTimeMills). */
gint64 rmq_flow_control_put_held_ms(const RmqFlowControl *fc, gint64 now_ms);

/* Java's isOSPageCacheBusy: a put has held the log longer than the timeout
 * (and less than 10,000,000 ms, Java's guard against a clock jump). On one
 * loop nothing can look while the put runs, so a put that held it too long
 * keeps the broker busy for as long again after it ended: the sends that
 * queued up behind it are the ones Java would have turned away. */
gboolean rmq_flow_control_page_cache_busy(const RmqFlowControl *fc, const RmqFlowLimits *l,
                                          gint64 now_ms);

/* The verdict for a new send, given @queued sends not yet answered, the
 * oldest of which has waited @oldest_wait_ms. Not ADMIT: *remark (may be
 * NULL) gets Java's remark, (transfer full); the answer is SYSTEM_BUSY.
 * Counts the refusals (rmq_flow_control_refused). */
RmqFlowVerdict rmq_flow_control_check_send(RmqFlowControl *fc, const RmqFlowLimits *l,
                                           guint queued, gint64 oldest_wait_ms, gint64 now_ms,
                                           gchar **remark);
guint64 rmq_flow_control_refused(const RmqFlowControl *fc, RmqFlowVerdict why);

G_END_DECLS
