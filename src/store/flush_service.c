#include <config.h>

#include "store/flush_service.h"
#include "store/flush_waiters.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct {
    GSource base;
    RmqFlushService *svc;
} FlushSource;

struct RmqFlushService {
    RmqCommitLog *cl;
    RmqStoreFlushType type;
    gint interval_ms;
    gint64 least_bytes;
    gint thorough_ms;
    gint timeout_ms;
    RmqFlushHook hook;
    gpointer hook_data;
    RmqFlushHook round_begin, round_end; /* loop side, around completion callbacks */
    gpointer round_data;

    GThread *thread;
    GMutex lock;
    GCond kick;               /* flush thread waits here */
    GCond done;               /* blocking waiters wait here */
    gint64 requested;         /* written under lock, atomically (the spin reads it) */
    gint64 unpublished;       /* atomic; highest offset the loop asked for, not yet in requested */
    gint64 stale;             /* flush thread only: unpublished seen at the last tick */
    gint blocked;             /* under lock: threads in rmq_flush_service_wait */
    gboolean sleeping;        /* under lock */
    gboolean stopping;        /* under lock */
    gint64 rounds;            /* atomic */

    int efd;                  /* flush thread → main loop */
    gint async_pending;       /* atomic: waiters queued on the main loop side */
    RmqFlushWaiters waiters;  /* main-loop thread only; offsets ascending */
    gint completing;          /* atomic; set by the main loop inside completion callbacks */
    GSource *source;
    /* Instead of @source, when given hooks (the broker's poller): the
     * eventfd's watch and the timeout deadline. */
    const RmqLoopHooks *hooks;
    gpointer hook_watch, hook_timer;
    gpointer hook_publish;    /* a timer due at once while requests wait to be published */
};

static gint64
ready_time_get(RmqFlushService *svc)
{
    return svc->hooks ? svc->hooks->timer_get_ready_time(svc->hook_timer)
                      : g_source_get_ready_time(svc->source);
}

static void
ready_time_set(RmqFlushService *svc, gint64 ready)
{
    if (svc->hooks)
        svc->hooks->timer_set_ready_time(svc->hook_timer, ready);
    else
        g_source_set_ready_time(svc->source, ready);
}

static void
notify_main(RmqFlushService *svc)
{
    guint64 one = 1;

    int efd = g_atomic_int_get(&svc->efd);

    if (efd >= 0 && g_atomic_int_get(&svc->async_pending) > 0) {
        ssize_t n = write(efd, &one, sizeof one);
        (void) n;   /* EAGAIN: the counter is already non-zero, a wakeup is pending */
    }
}

/* Rounds without spinning after a spin that saw no request. */
#define SPIN_SKIP_ROUNDS 64

static inline void
spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static gpointer
flush_thread(gpointer data)
{
    RmqFlushService *svc = data;
    gint64 interval = (gint64) svc->interval_ms * 1000;
    gint64 next_tick = g_get_monotonic_time() + interval;
    gint64 last_full = g_get_monotonic_time();
    gboolean spin_next = FALSE;
    guint spin_skip = 0;         /* rounds to sleep through after a wasted spin */

    g_mutex_lock(&svc->lock);
    while (!svc->stopping) {
        gint64 now = g_get_monotonic_time();
        if (interval != (gint64) svc->interval_ms * 1000) { /* reconfigured (under lock) */
            interval = (gint64) svc->interval_ms * 1000;
            next_tick = MIN(next_tick, now + interval);
        }
        gint64 flushed = rmq_atomic64_get(&svc->cl->flushed);
        gint64 wrote = rmq_atomic64_get(&svc->cl->wrote);
        g_autoptr(GError) error = NULL;
        gboolean go = FALSE, ok;

        if (svc->requested > flushed) {
            go = TRUE;                       /* someone waits: group commit */
        } else if (now >= next_tick) {
            next_tick = now + interval;      /* the periodic ASYNC_FLUSH rule */
            /* Loop requests are published at the end of the loop turn
             * (rmq_flush_service_publish); one left over a whole tick (a
             * loop that stopped turning, or nobody publishing) is taken
             * here, so a waiter is late at worst, never stuck. */
            gint64 pending = rmq_atomic64_get(&svc->unpublished);
            if (pending > flushed && pending <= svc->stale && pending > svc->requested) {
                rmq_atomic64_set(&svc->requested, pending);
                continue;
            }
            svc->stale = pending;
            go = wrote > flushed && (wrote - flushed >= svc->least_bytes ||
                                     now - last_full >= (gint64) svc->thorough_ms * 1000);
        }
        if (!go) {
            if (spin_next) {
                /* Writers that were just acknowledged usually send again
                 * within microseconds: watch for that briefly instead of
                 * paying a sleep and a wakeup per round. */
                gint64 until = g_get_monotonic_time() + 50;
                spin_next = FALSE;
                g_mutex_unlock(&svc->lock);
                while ((rmq_atomic64_get(&svc->requested) <= rmq_atomic64_get(&svc->cl->flushed) ||
                        g_atomic_int_get(&svc->completing)) &&
                       g_get_monotonic_time() < until)
                    spin_pause();
                g_mutex_lock(&svc->lock);
                /* With one writer across a network the next request takes a
                 * round trip, longer than the spin: stop burning a core on
                 * it, and try again now and then in case the load changed. */
                if (svc->requested <= rmq_atomic64_get(&svc->cl->flushed))
                    spin_skip = SPIN_SKIP_ROUNDS;
                continue;
            }
            svc->sleeping = TRUE;
            g_cond_wait_until(&svc->kick, &svc->lock, next_tick);
            svc->sleeping = FALSE;
            continue;
        }
        spin_next = svc->requested > flushed && spin_skip == 0;
        if (spin_skip > 0)
            spin_skip--;
        g_mutex_unlock(&svc->lock);

        if (svc->hook)
            svc->hook(svc->hook_data);
        /* covers every byte appended before this point, for all waiters */
        ok = rmq_commit_log_flush(svc->cl, &error);
        if (ok)
            last_full = g_get_monotonic_time();
        else
            g_warning("commit log flush failed: %s", error->message);
        __atomic_add_fetch(&svc->rounds, 1, __ATOMIC_SEQ_CST);

        g_mutex_lock(&svc->lock);
        if (svc->blocked > 0)                /* a futex call per round otherwise */
            g_cond_broadcast(&svc->done);
        notify_main(svc);
        if (!ok && !svc->stopping)          /* do not spin on a failing disk */
            g_cond_wait_until(&svc->kick, &svc->lock, g_get_monotonic_time() + interval);
    }
    g_mutex_unlock(&svc->lock);
    return NULL;
}

static void kick_if_requested(RmqFlushService *svc);

static void
complete_waiters(RmqFlushService *svc, gboolean final)
{
    gint64 now = g_get_monotonic_time();
    RmqFlushWaiter w;
    const RmqFlushWaiter *head;

    /* writers re-sending from their callbacks join one flush round,
     * started when the last callback has returned */
    g_atomic_int_set(&svc->completing, TRUE);
    gboolean round = FALSE;
    /* flushed is read once: the released run is what it covered */
    gint64 flushed = rmq_atomic64_get(&svc->cl->flushed);
    while ((head = rmq_flush_waiters_peek(&svc->waiters)) != NULL) {
        RmqFlushWaiterVerdict v = rmq_flush_waiter_verdict(head, flushed, now, final);
        if (v == RMQ_FLUSH_WAITER_KEEP)
            break;                          /* later ones have larger offsets */
        rmq_flush_waiters_pop(&svc->waiters, &w);
        g_atomic_int_dec_and_test(&svc->async_pending);
        if (!round && !final && svc->round_begin != NULL) /* not while stopping */
            svc->round_begin(svc->round_data);
        round = !final;
        w.cb(v == RMQ_FLUSH_WAITER_DURABLE ? RMQ_FLUSH_OK : RMQ_FLUSH_TIMEOUT, w.user_data);
    }
    if (round && svc->round_end != NULL)
        svc->round_end(svc->round_data);
    g_atomic_int_set(&svc->completing, FALSE);
    if (!final) {
        rmq_flush_service_publish(svc);     /* what the callbacks asked for */
        kick_if_requested(svc);
    }
    if ((svc->source || svc->hook_timer) && !final) {
        /* The ready time (for timeouts) need only come no later than the
         * head's deadline. Each move costs GLib a wakeup write and a loop
         * turn, so a time left by an earlier waiter stays until it passes:
         * deadlines only grow along the queue. */
        gint64 ready = ready_time_get(svc);
        head = rmq_flush_waiters_peek(&svc->waiters);
        if (ready < 0 ? head != NULL : ready <= now)
            ready_time_set(svc, head ? head->deadline : -1);
    }
}

static gboolean
source_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    RmqFlushService *svc = source != NULL ? ((FlushSource *) source)->svc : data;
    guint64 v;
    ssize_t n = read(svc->efd, &v, sizeof v);   /* drain; EAGAIN is fine */

    (void) n;
    complete_waiters(svc, FALSE);
    return G_SOURCE_CONTINUE;
}

/* GLib calls this at the start of every loop turn, i.e. right after the
 * dispatches of the previous one: the requests of all the frames a turn
 * read go to the flush thread together, so one fdatasync covers them all
 * (one started at the first of them would leave the rest to the next). */
static gboolean
source_prepare(GSource *source, gint *timeout)
{
    *timeout = -1;
    rmq_flush_service_publish(((FlushSource *) source)->svc);
    return FALSE;
}

static GSourceFuncs source_funcs = {
    .prepare = source_prepare,
    .dispatch = source_dispatch,
};

static gboolean
on_hook_ready(gpointer data)
{
    return source_dispatch(NULL, NULL, data);
}

static gboolean
on_hook_publish(gpointer data)
{
    rmq_flush_service_publish(data);
    return G_SOURCE_REMOVE;
}

static void
attach_source(RmqFlushService *svc, GMainContext *context)
{
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    if (efd < 0)
        g_error("eventfd: %s", g_strerror(errno));
    if (svc->hooks != NULL) {
        svc->hook_watch = svc->hooks->fd_watch(efd, on_hook_ready, svc);
        svc->hook_timer = svc->hooks->timer_new(on_hook_ready, svc);
        svc->hook_publish = svc->hooks->timer_new(on_hook_publish, svc);
        g_atomic_int_set(&svc->efd, efd);
        return;
    }
    svc->source = g_source_new(&source_funcs, sizeof(FlushSource));
    ((FlushSource *) svc->source)->svc = svc;
    g_source_set_name(svc->source, "rmq-store-flush");
    /* Spares GLib's block/unblock around each dispatch, which takes the
     * eventfd out of the poll set and back (two wakeup writes per round). */
    g_source_set_can_recurse(svc->source, TRUE);
    /* Default priority, as the poller's sockets: completions and reads share
     * a turn.  GLib skips the prepare of sources below a ready one, so only
     * a ready higher-priority source (none on the broker's hot path) can
     * put a publish off to the next turn. */
    g_source_add_unix_fd(svc->source, efd, G_IO_IN);
    g_source_attach(svc->source, context);
    g_atomic_int_set(&svc->efd, efd);      /* the flush thread may read it from now on */
}

/* The reloadable flush keys; the flush thread reads them under svc->lock. */
static void
set_tunables(RmqFlushService *svc, const RmqStoreConfig *config)
{
    /* Java's GroupCommitService wakes every 10 ms; keep that as the SYNC tick */
    gint interval = svc->type == RMQ_STORE_FLUSH_SYNC ? MIN(config->flush_interval_commit_log, 10)
                                                      : config->flush_interval_commit_log;
    svc->interval_ms = MAX(interval, 1);
    svc->least_bytes = (gint64) MAX(config->flush_commit_log_least_pages, 0) * 4096;
    svc->thorough_ms = config->flush_commit_log_thorough_interval;
    svc->timeout_ms = config->sync_flush_timeout;
}

void
rmq_flush_service_reconfigure(RmqFlushService *svc, const RmqStoreConfig *config)
{
    g_mutex_lock(&svc->lock);
    set_tunables(svc, config);
    g_cond_signal(&svc->kick);
    g_mutex_unlock(&svc->lock);
}

RmqFlushService *
rmq_flush_service_new(RmqCommitLog *cl, const RmqStoreConfig *config, GMainContext *context)
{
    return rmq_flush_service_new_full(cl, config, context, NULL);
}

RmqFlushService *
rmq_flush_service_new_full(RmqCommitLog *cl, const RmqStoreConfig *config, GMainContext *context,
                           const RmqLoopHooks *hooks)
{
    RmqFlushService *svc = g_new0(RmqFlushService, 1);

    svc->cl = cl;
    svc->type = config->flush_disk_type;
    set_tunables(svc, config);
    g_mutex_init(&svc->lock);
    g_cond_init(&svc->kick);
    g_cond_init(&svc->done);
    svc->efd = -1;
    svc->hooks = hooks;
    if (context != NULL || hooks != NULL)
        attach_source(svc, context);
    svc->thread = g_thread_new("rmq-flush-cl", flush_thread, svc);
    return svc;
}

void
rmq_flush_service_set_round_hooks(RmqFlushService *svc, RmqFlushHook begin, RmqFlushHook end,
                                  gpointer data)
{
    svc->round_begin = begin;
    svc->round_end = end;
    svc->round_data = data;
}

void
rmq_flush_service_set_hook(RmqFlushService *svc, RmqFlushHook hook, gpointer data)
{
    g_mutex_lock(&svc->lock);
    svc->hook = hook;
    svc->hook_data = data;
    g_mutex_unlock(&svc->lock);
}

void
rmq_flush_service_free(RmqFlushService *svc)
{
    g_autoptr(GError) error = NULL;

    if (svc == NULL)
        return;
    g_mutex_lock(&svc->lock);
    svc->stopping = TRUE;
    g_cond_signal(&svc->kick);
    g_mutex_unlock(&svc->lock);
    g_thread_join(svc->thread);
    if (!rmq_commit_log_flush(svc->cl, &error))
        g_warning("final commit log flush failed: %s", error->message);
    g_mutex_lock(&svc->lock);
    g_cond_broadcast(&svc->done);
    g_mutex_unlock(&svc->lock);
    complete_waiters(svc, TRUE);
    rmq_flush_waiters_clear(&svc->waiters);
    if (svc->source) {
        g_source_destroy(svc->source);
        g_source_unref(svc->source);
    }
    if (svc->hooks != NULL && svc->hook_watch != NULL) {
        svc->hooks->fd_unwatch(svc->hook_watch);
        svc->hooks->timer_free(svc->hook_timer);
        svc->hooks->timer_free(svc->hook_publish);
    }
    if (svc->efd >= 0)
        close(svc->efd);   /* the flush thread has stopped */
    g_mutex_clear(&svc->lock);
    g_cond_clear(&svc->kick);
    g_cond_clear(&svc->done);
    g_free(svc);
}

static void
raise_request(RmqFlushService *svc, gint64 offset)
{
    g_mutex_lock(&svc->lock);
    if (svc->requested < offset)
        rmq_atomic64_set(&svc->requested, offset);
    if (svc->sleeping && !g_atomic_int_get(&svc->completing))
        g_cond_signal(&svc->kick);
    g_mutex_unlock(&svc->lock);
}

static void
kick_if_requested(RmqFlushService *svc)
{
    g_mutex_lock(&svc->lock);
    if (svc->sleeping && svc->requested > rmq_atomic64_get(&svc->cl->flushed))
        g_cond_signal(&svc->kick);
    g_mutex_unlock(&svc->lock);
}

void
rmq_flush_service_request(RmqFlushService *svc, gint64 offset, RmqFlushCallback cb,
                          gpointer user_data)
{
    if (svc->source == NULL && svc->hook_timer == NULL) {
        /* no context at creation: the caller's thread-default one */
        g_autoptr(GMainContext) ctx = g_main_context_ref_thread_default();
        attach_source(svc, ctx);
    }
    RmqFlushWaiter w = {
        .offset = offset,
        .deadline = g_get_monotonic_time() + (gint64) svc->timeout_ms * 1000,
        .cb = cb,
        .user_data = user_data,
    };
    rmq_flush_waiters_push(&svc->waiters, &w);
    g_atomic_int_inc(&svc->async_pending);
    if (offset <= rmq_atomic64_get(&svc->cl->flushed))
        ready_time_set(svc, 0);                            /* already durable */
    else {
        if (ready_time_get(svc) < 0)
            ready_time_set(svc, rmq_flush_waiters_peek(&svc->waiters)->deadline);
        /* told to the flush thread at the end of this loop turn: the
         * source's prepare, or (the broker's poller) a timer due now,
         * which the poller runs after this turn's descriptor events */
        if (offset > rmq_atomic64_get(&svc->unpublished))
            rmq_atomic64_set(&svc->unpublished, offset);
        if (svc->hook_publish != NULL && svc->hooks->timer_get_ready_time(svc->hook_publish) < 0)
            svc->hooks->timer_set_ready_time(svc->hook_publish, 0);
    }
}

void
rmq_flush_service_publish(RmqFlushService *svc)
{
    gint64 offset = rmq_atomic64_get(&svc->unpublished);

    /* requested only grows, and this thread is the only one that raises
     * it from unpublished: a plain read is enough to skip the lock */
    if (offset > rmq_atomic64_get(&svc->requested))
        raise_request(svc, offset);
}

RmqFlushStatus
rmq_flush_service_wait(RmqFlushService *svc, gint64 offset, gint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    RmqFlushStatus st = RMQ_FLUSH_OK;

    g_mutex_lock(&svc->lock);
    if (svc->requested < offset)
        rmq_atomic64_set(&svc->requested, offset);
    if (svc->sleeping)
        g_cond_signal(&svc->kick);
    svc->blocked++;
    while (rmq_atomic64_get(&svc->cl->flushed) < offset) {
        if (svc->stopping || !g_cond_wait_until(&svc->done, &svc->lock, deadline)) {
            if (rmq_atomic64_get(&svc->cl->flushed) < offset)
                st = RMQ_FLUSH_TIMEOUT;
            break;
        }
    }
    svc->blocked--;
    g_mutex_unlock(&svc->lock);
    return st;
}

void
rmq_flush_service_wakeup(RmqFlushService *svc)
{
    raise_request(svc, rmq_atomic64_get(&svc->cl->wrote));
}

gint64
rmq_flush_service_flushed(RmqFlushService *svc)
{
    return rmq_atomic64_get(&svc->cl->flushed);
}

guint
rmq_flush_service_pending(RmqFlushService *svc, gint64 *oldest_us)
{
    const RmqFlushWaiter *w = rmq_flush_waiters_peek(&svc->waiters);

    if (oldest_us != NULL)
        *oldest_us = w != NULL ? w->deadline - (gint64) svc->timeout_ms * 1000 : 0;
    return svc->waiters.len;
}

guint64
rmq_flush_service_rounds(RmqFlushService *svc)
{
    return (guint64) rmq_atomic64_get(&svc->rounds);
}
