/* Commit-log flushing on a background thread.  ASYNC_FLUSH: every
 * flushIntervalCommitLog when enough pages are dirty (fully every
 * flushCommitLogThoroughInterval).  SYNC_FLUSH group commit: writers ask for
 * "flushed up to offset"; one fdatasync covers every byte appended before it
 * started, so all writers waiting at that moment are served at once.
 *
 * Completion comes two ways: a blocking wait (tools, tests), or a callback
 * dispatched on the GMainContext given at creation, woken by an eventfd, so
 * the main loop never blocks. */
#pragma once

#include <glib.h>

#include "common/loop_hooks.h"
#include "store/commit_log.h"
#include "store/store_config.h"

typedef enum {
    RMQ_FLUSH_OK,
    RMQ_FLUSH_TIMEOUT,      /* syncFlushTimeout passed first (data is still stored) */
} RmqFlushStatus;

/* Runs on the GMainContext's thread. */
typedef void (*RmqFlushCallback)(RmqFlushStatus status, gpointer user_data);
/* Test seam: runs on the flush thread before each commit-log sync. */
typedef void (*RmqFlushHook)(gpointer data);

typedef struct RmqFlushService RmqFlushService;

RmqFlushService *rmq_flush_service_new(RmqCommitLog *cl, const RmqStoreConfig *config,
                                       GMainContext *context);
/* The same with the completion eventfd and the timeout deadline as a watch
 * and a timer of @hooks (the broker's poller) instead of a GSource on
 * @context. */
RmqFlushService *rmq_flush_service_new_full(RmqCommitLog *cl, const RmqStoreConfig *config,
                                            GMainContext *context, const RmqLoopHooks *hooks);
/* flushIntervalCommitLog, flushCommitLogLeastPages,
 * flushCommitLogThoroughInterval and syncFlushTimeout of @config from now on. */
void rmq_flush_service_reconfigure(RmqFlushService *svc, const RmqStoreConfig *config);
void rmq_flush_service_set_hook(RmqFlushService *svc, RmqFlushHook hook, gpointer data);
/* Called on the loop right before and right after the callbacks of one
 * completion round (the waiters one fdatasync or a timeout released), so a
 * user can act on them together; either may be NULL. */
void rmq_flush_service_set_round_hooks(RmqFlushService *svc, RmqFlushHook begin,
                                       RmqFlushHook end, gpointer data);
/* Stops the thread after a final full flush; fails pending requests
 * that the final flush did not cover with RMQ_FLUSH_TIMEOUT. */
void rmq_flush_service_free(RmqFlushService *svc);

/* Main-loop thread only.  cb is always called later, never from here.
 * Without a context at creation, the first caller's thread-default
 * GMainContext is used. */
void rmq_flush_service_request(RmqFlushService *svc, gint64 offset, RmqFlushCallback cb,
                               gpointer user_data);
/* Main-loop thread.  Hands the requests made since the last call to the
 * flush thread (one wake for all of them).  The service calls it itself
 * at the end of each loop turn that made requests (a timer due at once on
 * the loop hooks, or its GSource's prepare) and after each completion
 * round; a request nobody publishes is taken by the flush thread's own
 * tick (syncFlush: within about 20 ms) rather than never. */
void rmq_flush_service_publish(RmqFlushService *svc);
/* Any thread.  Blocks until offset is flushed or timeout_ms passes. */
RmqFlushStatus rmq_flush_service_wait(RmqFlushService *svc, gint64 offset, gint timeout_ms);
/* Wakes the flush thread now (ASYNC_FLUSH writers that want data out soon). */
void rmq_flush_service_wakeup(RmqFlushService *svc);
gint64 rmq_flush_service_flushed(RmqFlushService *svc);
/* Number of fdatasync rounds so far (for benchmarks). */
guint64 rmq_flush_service_rounds(RmqFlushService *svc);
/* Async waiters not yet called back (loop side); *oldest_us (may be NULL)
 * gets the monotonic time the oldest was queued, 0 if none. */
guint rmq_flush_service_pending(RmqFlushService *svc, gint64 *oldest_us);
