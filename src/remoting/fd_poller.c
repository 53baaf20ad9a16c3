#include <config.h>

#include "remoting/fd_poller.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* Events taken from the kernel per dispatch; more stay ready for the next
 * iteration (level-triggered, so nothing is lost). */
#define MAX_EVENTS 256

typedef struct {
    RmqFdHookFunc func;
    gpointer user_data;
} EndHook;

struct _RmqFdWatch {
    RmqFdPoller *poller;
    int fd;
    GIOCondition events;
    gboolean registered; /* in the epoll set */
    gboolean dead;       /* freed: never called again, memory kept until dispatch ends */
    RmqFdFunc func;
    gpointer user_data;
};

struct _RmqFdTimer {
    RmqFdPoller *poller;
    gint64 ready_time;
    gint index;       /* in the heap, -1 when not */
    gboolean dead;
    gboolean rearmed; /* ready time set by its own callback */
    GSourceFunc func;
    gpointer user_data;
};

struct _RmqFdPoller {
    GSource source;
    gint ref_count; /* users (watches, timers, owners); under poller_lock */
    GMainContext *context; /* the key in the table; a ref while users remain */
    int epfd;
    gpointer tag;
    guint watch_count;
    guint depth;           /* nested dispatches running */
    gint64 now;            /* rmq_fd_poller_now() of this dispatch, 0 = not read yet */
    GPtrArray *graveyard;  /* watches and timers freed while dispatching */
    GPtrArray *heap;       /* armed timers, a binary min-heap on ready_time */
    GArray *end_hooks;     /* of EndHook, run when a dispatch ends */
    /* The context's poll function (rmq_fd_poller_own_poll): GLib's wake-up
     * descriptor, also in the epoll set (-1 if unknown), and the events the
     * one epoll_wait of the last poll collected for the next dispatch. */
    int wake_fd;
    gboolean own_poll;
    gint slot;             /* in poll_slots while own_poll */
    gboolean due;          /* prepare or check found a timer due */
    gboolean collected;
    int n_ready;
    struct epoll_event ready[MAX_EVENTS];
};

static GMutex poller_lock;
static GHashTable *pollers; /* GMainContext * -> RmqFdPoller * */
/* Pollers that own their context's poll function. GPollFunc has no user
 * data, so each slot has a poll function of its own that knows its index;
 * a slot is set (under poller_lock) before its function is installed and
 * cleared after it is removed, and only that context's thread reads it. */
#define POLL_SLOTS 64
static RmqFdPoller *poll_slots[POLL_SLOTS];

/* --- timer heap ------------------------------------------------------------- */

static void
heap_set(RmqFdPoller *p, guint i, RmqFdTimer *t)
{
    p->heap->pdata[i] = t;
    t->index = (gint) i;
}

static void
heap_up(RmqFdPoller *p, guint i)
{
    RmqFdTimer *t = p->heap->pdata[i];
    while (i > 0) {
        guint parent = (i - 1) / 2;
        RmqFdTimer *pt = p->heap->pdata[parent];
        if (pt->ready_time <= t->ready_time)
            break;
        heap_set(p, i, pt);
        i = parent;
    }
    heap_set(p, i, t);
}

static void
heap_down(RmqFdPoller *p, guint i)
{
    RmqFdTimer *t = p->heap->pdata[i];
    guint n = p->heap->len;
    for (;;) {
        guint c = 2 * i + 1;
        if (c >= n)
            break;
        RmqFdTimer *ct = p->heap->pdata[c];
        if (c + 1 < n && ((RmqFdTimer *) p->heap->pdata[c + 1])->ready_time < ct->ready_time)
            ct = p->heap->pdata[++c];
        if (t->ready_time <= ct->ready_time)
            break;
        heap_set(p, i, ct);
        i = c;
    }
    heap_set(p, i, t);
}

static void
heap_remove(RmqFdPoller *p, RmqFdTimer *t)
{
    if (t->index < 0)
        return;
    guint i = (guint) t->index;
    RmqFdTimer *last = g_ptr_array_steal_index(p->heap, p->heap->len - 1);
    t->index = -1;
    if (last == t)
        return;
    heap_set(p, i, last);
    heap_up(p, i);
    heap_down(p, (guint) last->index);
}

static void
heap_insert(RmqFdPoller *p, RmqFdTimer *t)
{
    g_ptr_array_add(p->heap, t);
    heap_up(p, p->heap->len - 1);
}

static gint64
next_deadline(RmqFdPoller *p)
{
    return p->heap->len > 0 ? ((RmqFdTimer *) p->heap->pdata[0])->ready_time : -1;
}

/* --- the source -------------------------------------------------------------- */

static gboolean
poller_prepare(GSource *source, gint *timeout)
{
    RmqFdPoller *p = (RmqFdPoller *) source;
    gint64 deadline = next_deadline(p);
    p->due = FALSE;
    if (deadline < 0) {
        *timeout = -1;
        return FALSE;
    }
    /* Not g_source_get_time(): it takes the context's lock (about 40
     * instructions more), once in prepare and once in check per wake-up. */
    gint64 now = g_get_monotonic_time();
    if (deadline <= now) {
        *timeout = 0;
        p->due = TRUE;
        return TRUE;
    }
    gint64 ms = (deadline - now + 999) / 1000;
    *timeout = (gint) MIN(ms, G_MAXINT);
    return FALSE;
}

static gboolean
poller_check(GSource *source)
{
    /* The epoll descriptor's readiness is GLib's to check (a unix fd); with
     * events collected by the poll function the dispatch runs anyway, and
     * runs the due timers too. */
    RmqFdPoller *p = (RmqFdPoller *) source;
    if (p->collected)
        return TRUE;
    gint64 deadline = next_deadline(p);
    if (deadline >= 0 && deadline <= g_get_monotonic_time())
        p->due = TRUE;
    return p->due;
}

static void
bury(RmqFdPoller *p, gpointer item)
{
    if (p->graveyard == NULL)
        p->graveyard = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(p->graveyard, item);
}

static void
dispatch_events(RmqFdPoller *p)
{
    struct epoll_event events[MAX_EVENTS];
    int n;
    if (p->collected) {
        /* The poll function's epoll_wait took them: a copy, since a callback
         * that iterates the context polls again into p->ready. */
        n = p->n_ready;
        memcpy(events, p->ready, (gsize) n * sizeof events[0]);
        p->collected = FALSE;
        p->n_ready = 0;
    } else {
        do
            n = epoll_wait(p->epfd, events, MAX_EVENTS, 0);
        while (n < 0 && errno == EINTR);
    }
    for (int i = 0; i < n; i++) {
        RmqFdWatch *w = events[i].data.ptr;
        if (w == (gpointer) &p->wake_fd) /* GLib's own, in the set for the poll function */
            continue;
        /* Freed, or its interest changed, by a callback earlier in this batch. */
        if (w->dead || w->events == 0)
            continue;
        guint32 e = events[i].events;
        GIOCondition cond = 0;
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLPRI))
            cond |= G_IO_IN;
        if (e & EPOLLOUT)
            cond |= G_IO_OUT;
        if (e & EPOLLHUP)
            cond |= G_IO_HUP;
        if (e & EPOLLERR)
            cond |= G_IO_ERR;
        cond &= w->events | G_IO_HUP | G_IO_ERR;
        if (cond != 0)
            w->func(w, cond, w->user_data);
    }
}

static void
dispatch_timers(RmqFdPoller *p)
{
    gint64 now = g_get_monotonic_time();
    /* Take the due ones first: a callback that leaves a past ready time
     * (or re-arms at once) runs again on the next iteration, not in a loop here. */
    g_autoptr(GPtrArray) due = NULL;
    while (p->heap->len > 0 && ((RmqFdTimer *) p->heap->pdata[0])->ready_time <= now) {
        RmqFdTimer *t = p->heap->pdata[0];
        heap_remove(p, t);
        t->rearmed = FALSE;
        if (due == NULL)
            due = g_ptr_array_new();
        g_ptr_array_add(due, t);
    }
    for (guint i = 0; due != NULL && i < due->len; i++) {
        RmqFdTimer *t = due->pdata[i];
        if (t->dead || t->rearmed) /* freed, or set again by an earlier callback */
            continue;
        gboolean keep = t->func(t->user_data);
        if (t->dead || t->rearmed)
            continue;
        if (keep && t->ready_time >= 0)
            heap_insert(p, t);
        else
            t->ready_time = -1;
    }
}

static gboolean
poller_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
    RmqFdPoller *p = (RmqFdPoller *) source;
    (void) callback;
    (void) user_data;
    p->depth++;
    p->now = 0; /* a nested dispatch starts its own */
    gboolean events = p->collected ||
                      (g_source_query_unix_fd(source, p->tag) & (G_IO_IN | G_IO_HUP | G_IO_ERR));
    if (events)
        dispatch_events(p);
    /* Woken by events, the timers run when prepare or check found one due
     * (no clock read per wake-up); one that fell due while the loop
     * waited runs on the next iteration, which prepare makes immediate. */
    if (p->heap->len > 0 && (p->due || !events))
        dispatch_timers(p);
    p->due = FALSE;
    /* Hooks may be added or removed by a hook: by index, re-checked; when
     * the entry at i is no longer the hook that ran (it removed itself or
     * an earlier one), the one now at i has not run yet. */
    for (guint i = 0; p->end_hooks != NULL && i < p->end_hooks->len;) {
        EndHook h = g_array_index(p->end_hooks, EndHook, i);
        h.func(h.user_data);
        if (i < p->end_hooks->len && g_array_index(p->end_hooks, EndHook, i).func == h.func &&
            g_array_index(p->end_hooks, EndHook, i).user_data == h.user_data)
            i++;
    }
    /* the outer dispatch of a nested one reads the clock again */
    p->now = 0;
    if (--p->depth == 0 && p->graveyard != NULL && p->graveyard->len > 0 && p->n_ready == 0)
        g_ptr_array_set_size(p->graveyard, 0);
    return G_SOURCE_CONTINUE;
}

gint64
rmq_fd_poller_now(RmqFdPoller *p)
{
    if (p->depth == 0)
        return g_get_monotonic_time();
    if (p->now == 0)
        p->now = g_get_monotonic_time();
    return p->now;
}

/* The context's poll function while the poller owns it: when the descriptors
 * GLib polls are only the epoll descriptor and GLib's wake-up descriptor
 * (which is in the epoll set too), one epoll_wait with GLib's timeout waits,
 * and the events it returns are kept for the dispatch that follows, instead
 * of poll() on the epoll descriptor and then epoll_wait. Any other set (some
 * other GSource with a descriptor) goes to g_poll() as before. */
static gint
poller_poll(RmqFdPoller *p, GPollFD *fds, guint nfds, gint timeout)
{
    if (p == NULL)
        return g_poll(fds, nfds, timeout);
    /* Events collected before and not dispatched (a source of higher
     * priority went first) are stale: level-triggered, the ready ones come
     * again. */
    p->collected = FALSE;
    p->n_ready = 0;
    if (p->depth == 0 && p->graveyard != NULL && p->graveyard->len > 0)
        g_ptr_array_set_size(p->graveyard, 0);
    GPollFD *ep = NULL, *wake = NULL;
    for (guint i = 0; i < nfds && nfds == 2; i++) {
        if (fds[i].fd == p->epfd)
            ep = &fds[i];
        else if (fds[i].fd == p->wake_fd)
            wake = &fds[i];
    }
    if (ep == NULL || wake == NULL)
        return g_poll(fds, nfds, timeout);
    int n = epoll_wait(p->epfd, p->ready, MAX_EVENTS, timeout);
    if (n < 0)
        return -1; /* errno as poll()'s: GLib ignores EINTR */
    ep->revents = 0;
    wake->revents = 0;
    int kept = 0;
    for (int i = 0; i < n; i++) {
        if (p->ready[i].data.ptr == (gpointer) &p->wake_fd)
            wake->revents = G_IO_IN;
        else
            p->ready[kept++] = p->ready[i];
    }
    if (kept > 0) {
        ep->revents = G_IO_IN;
        p->n_ready = kept;
        p->collected = TRUE;
    }
    return (ep->revents != 0) + (wake->revents != 0);
}

#define SLOT_POLL(i, j)                                                           \
    static gint slot_poll_##i##j(GPollFD *fds, guint nfds, gint timeout)          \
    {                                                                             \
        return poller_poll(poll_slots[(i) * 8 + (j)], fds, nfds, timeout);        \
    }
#define SLOT_POLL8(i) SLOT_POLL(i, 0) SLOT_POLL(i, 1) SLOT_POLL(i, 2) SLOT_POLL(i, 3) \
    SLOT_POLL(i, 4) SLOT_POLL(i, 5) SLOT_POLL(i, 6) SLOT_POLL(i, 7)
SLOT_POLL8(0) SLOT_POLL8(1) SLOT_POLL8(2) SLOT_POLL8(3)
SLOT_POLL8(4) SLOT_POLL8(5) SLOT_POLL8(6) SLOT_POLL8(7)
#define SLOT_FN8(i) slot_poll_##i##0, slot_poll_##i##1, slot_poll_##i##2, slot_poll_##i##3, \
    slot_poll_##i##4, slot_poll_##i##5, slot_poll_##i##6, slot_poll_##i##7
static const GPollFunc slot_polls[POLL_SLOTS] = {
    SLOT_FN8(0), SLOT_FN8(1), SLOT_FN8(2), SLOT_FN8(3),
    SLOT_FN8(4), SLOT_FN8(5), SLOT_FN8(6), SLOT_FN8(7),
};

static void
poller_finalize(GSource *source)
{
    RmqFdPoller *p = (RmqFdPoller *) source;
    if (p->graveyard != NULL)
        g_ptr_array_unref(p->graveyard);
    if (p->end_hooks != NULL)
        g_array_unref(p->end_hooks);
    g_ptr_array_unref(p->heap);
    if (p->epfd >= 0)
        close(p->epfd);
}

static GSourceFuncs poller_funcs = {
    .prepare = poller_prepare,
    .check = poller_check,
    .dispatch = poller_dispatch,
    .finalize = poller_finalize,
};

RmqFdPoller *
rmq_fd_poller_get(GMainContext *context)
{
    if (context == NULL)
        context = g_main_context_default();
    g_mutex_lock(&poller_lock);
    if (pollers == NULL)
        pollers = g_hash_table_new(g_direct_hash, g_direct_equal);
    RmqFdPoller *p = g_hash_table_lookup(pollers, context);
    if (p != NULL) {
        p->ref_count++;
        g_mutex_unlock(&poller_lock);
        return p;
    }
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        g_error("epoll_create1: %s", g_strerror(errno)); /* out of descriptors at start-up */
    p = (RmqFdPoller *) g_source_new(&poller_funcs, sizeof(RmqFdPoller));
    p->ref_count = 1;
    p->context = g_main_context_ref(context);
    p->epfd = epfd;
    p->heap = g_ptr_array_new();
    p->wake_fd = -1;
    if (g_main_context_acquire(context)) {
        /* Before the poller's own descriptor joins: a context with no
         * sources yet polls one descriptor, GLib's wake-up (for
         * rmq_fd_poller_own_poll). */
        GPollFD fds[2];
        gint timeout;
        if (g_main_context_query(context, G_MAXINT, &timeout, fds, 2) == 1)
            p->wake_fd = fds[0].fd;
        g_main_context_release(context);
    }
    g_source_set_name(&p->source, "rmq-fd-poller");
    /* Its callbacks may iterate the context (a handler that waits): GLib
     * must not block the source (and its descriptor) meanwhile; dispatch is
     * re-entrant (watches and timers are freed only when the outermost
     * dispatch ends). */
    g_source_set_can_recurse(&p->source, TRUE);
    p->tag = g_source_add_unix_fd(&p->source, epfd, G_IO_IN);
    g_source_attach(&p->source, context);
    g_hash_table_insert(pollers, context, p);
    g_mutex_unlock(&poller_lock);
    return p;
}

RmqFdPoller *
rmq_fd_poller_ref(RmqFdPoller *poller)
{
    g_return_val_if_fail(poller != NULL, NULL);
    g_mutex_lock(&poller_lock);
    poller->ref_count++;
    g_mutex_unlock(&poller_lock);
    return poller;
}

void
rmq_fd_poller_unref(RmqFdPoller *poller)
{
    if (poller == NULL)
        return;
    g_mutex_lock(&poller_lock);
    g_assert(poller->ref_count > 0);
    if (--poller->ref_count > 0) {
        g_mutex_unlock(&poller_lock);
        return;
    }
    g_hash_table_remove(pollers, poller->context);
    g_mutex_unlock(&poller_lock);
    /* Inside its own dispatch GLib holds a ref: the memory stays until it returns. */
    GMainContext *context = poller->context;
    if (poller->own_poll) {
        g_main_context_set_poll_func(context, NULL); /* back to g_poll */
        g_mutex_lock(&poller_lock);
        poll_slots[poller->slot] = NULL;
        g_mutex_unlock(&poller_lock);
    }
    g_source_destroy(&poller->source);
    g_source_unref(&poller->source);
    g_main_context_unref(context);
}

guint
rmq_fd_poller_get_watch_count(RmqFdPoller *poller)
{
    g_return_val_if_fail(poller != NULL, 0);
    return poller->watch_count;
}

gboolean
rmq_fd_poller_own_poll(RmqFdPoller *poller)
{
    g_return_val_if_fail(poller != NULL, FALSE);
    if (poller->own_poll)
        return TRUE;
    if (poller->wake_fd < 0)
        return FALSE;
    g_mutex_lock(&poller_lock);
    gint slot = 0;
    while (slot < POLL_SLOTS && poll_slots[slot] != NULL)
        slot++;
    if (slot == POLL_SLOTS) { /* all taken: this context keeps g_poll */
        g_mutex_unlock(&poller_lock);
        return FALSE;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &poller->wake_fd };
    if (epoll_ctl(poller->epfd, EPOLL_CTL_ADD, poller->wake_fd, &ev) != 0) {
        g_mutex_unlock(&poller_lock);
        g_warning("epoll_ctl(%d): %s", poller->wake_fd, g_strerror(errno));
        return FALSE;
    }
    poll_slots[slot] = poller;
    poller->slot = slot;
    poller->own_poll = TRUE;
    g_mutex_unlock(&poller_lock);
    g_main_context_set_poll_func(poller->context, slot_polls[slot]);
    return TRUE;
}

void
rmq_fd_poller_add_dispatch_end(RmqFdPoller *poller, RmqFdHookFunc func, gpointer user_data)
{
    g_return_if_fail(poller != NULL && func != NULL);
    if (poller->end_hooks == NULL)
        poller->end_hooks = g_array_new(FALSE, FALSE, sizeof(EndHook));
    EndHook h = { func, user_data };
    g_array_append_val(poller->end_hooks, h);
}

void
rmq_fd_poller_remove_dispatch_end(RmqFdPoller *poller, RmqFdHookFunc func, gpointer user_data)
{
    g_return_if_fail(poller != NULL);
    for (guint i = 0; poller->end_hooks != NULL && i < poller->end_hooks->len; i++) {
        EndHook *h = &g_array_index(poller->end_hooks, EndHook, i);
        if (h->func == func && h->user_data == user_data) {
            g_array_remove_index(poller->end_hooks, i);
            return;
        }
    }
}

/* --- watches ----------------------------------------------------------------- */

RmqFdWatch *
rmq_fd_watch_new(RmqFdPoller *poller, int fd, RmqFdFunc func, gpointer user_data)
{
    g_return_val_if_fail(poller != NULL && fd >= 0 && func != NULL, NULL);
    RmqFdWatch *w = g_new0(RmqFdWatch, 1);
    w->poller = rmq_fd_poller_ref(poller);
    w->fd = fd;
    w->func = func;
    w->user_data = user_data;
    poller->watch_count++;
    return w;
}

void
rmq_fd_watch_set_events(RmqFdWatch *w, GIOCondition events)
{
    g_return_if_fail(w != NULL && !w->dead);
    events &= G_IO_IN | G_IO_OUT;
    if (events == w->events)
        return;
    w->events = events;
    int epfd = w->poller->epfd;
    if (events == 0) {
        /* Out of the set: HUP and ERR are reported whatever is asked, and
         * would wake a paused watch on every iteration. */
        if (w->registered && epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL) != 0 && errno != EBADF &&
            errno != ENOENT)
            g_warning("epoll_ctl(DEL, %d): %s", w->fd, g_strerror(errno));
        w->registered = FALSE;
        return;
    }
    struct epoll_event ev = { .data.ptr = w };
    if (events & G_IO_IN)
        ev.events |= EPOLLIN | EPOLLRDHUP;
    if (events & G_IO_OUT)
        ev.events |= EPOLLOUT;
    int op = w->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int rc = epoll_ctl(epfd, op, w->fd, &ev);
    if (rc != 0 && op == EPOLL_CTL_ADD && errno == EEXIST) /* another watch left it behind */
        rc = epoll_ctl(epfd, EPOLL_CTL_MOD, w->fd, &ev);
    else if (rc != 0 && op == EPOLL_CTL_MOD && errno == ENOENT)
        rc = epoll_ctl(epfd, EPOLL_CTL_ADD, w->fd, &ev);
    if (rc != 0) {
        g_warning("epoll_ctl(%d): %s", w->fd, g_strerror(errno));
        return;
    }
    w->registered = TRUE;
}

GIOCondition
rmq_fd_watch_get_events(RmqFdWatch *w)
{
    g_return_val_if_fail(w != NULL, 0);
    return w->events;
}

void
rmq_fd_watch_free(RmqFdWatch *w)
{
    if (w == NULL)
        return;
    g_return_if_fail(!w->dead);
    rmq_fd_watch_set_events(w, 0);
    w->dead = TRUE;
    RmqFdPoller *p = w->poller;
    p->watch_count--;
    if (p->depth > 0 || p->n_ready > 0)
        bury(p, w); /* an event of this batch (or of the last poll) may still point at it */
    else
        g_free(w);
    rmq_fd_poller_unref(p);
}

void
rmq_fd_watch_clear(RmqFdWatch **watch)
{
    RmqFdWatch *w = *watch;
    *watch = NULL;
    rmq_fd_watch_free(w);
}

/* --- timers ------------------------------------------------------------------ */

RmqFdTimer *
rmq_fd_timer_new(RmqFdPoller *poller, GSourceFunc func, gpointer user_data)
{
    g_return_val_if_fail(poller != NULL && func != NULL, NULL);
    RmqFdTimer *t = g_new0(RmqFdTimer, 1);
    t->poller = rmq_fd_poller_ref(poller);
    t->ready_time = -1;
    t->index = -1;
    t->func = func;
    t->user_data = user_data;
    return t;
}

void
rmq_fd_timer_set_ready_time(RmqFdTimer *t, gint64 ready_time)
{
    g_return_if_fail(t != NULL && !t->dead);
    RmqFdPoller *p = t->poller;
    t->rearmed = TRUE;
    if (ready_time < 0) {
        heap_remove(p, t);
        t->ready_time = -1;
        return;
    }
    if (t->index >= 0 && ready_time == t->ready_time)
        return;
    gint64 old = t->ready_time;
    t->ready_time = ready_time;
    if (t->index < 0) {
        heap_insert(p, t);
    } else if (ready_time < old) {
        heap_up(p, (guint) t->index);
    } else {
        heap_down(p, (guint) t->index);
    }
    /* "At once" from a callback of this dispatch runs in it, after the
     * events (SYNC_FLUSH hands a turn's requests to the flush thread so). */
    if (ready_time == 0 && p->depth > 0)
        p->due = TRUE;
    /* No wake-up needed: every caller runs on the context's thread, and the
     * next prepare (before the next poll) reads the new deadline. */
}

gint64
rmq_fd_timer_get_ready_time(RmqFdTimer *t)
{
    g_return_val_if_fail(t != NULL, -1);
    return t->ready_time;
}

void
rmq_fd_timer_free(RmqFdTimer *t)
{
    if (t == NULL)
        return;
    g_return_if_fail(!t->dead);
    RmqFdPoller *p = t->poller;
    heap_remove(p, t);
    t->dead = TRUE;
    if (p->depth > 0)
        bury(p, t); /* the due list of this dispatch may still point at it */
    else
        g_free(t);
    rmq_fd_poller_unref(p);
}

void
rmq_fd_timer_clear(RmqFdTimer **timer)
{
    RmqFdTimer *t = *timer;
    *timer = NULL;
    rmq_fd_timer_free(t);
}

/* --- periodic timeouts on the default context's poller ----------------------- */

/* g_timeout_add() without a GSource: GLib walks every source of a context in
 * its prepare and check on each loop iteration (about 270 instructions per
 * source per wake-up), so a daemon's dozen housekeeping timers cost every
 * request that wakes the loop. Here they are entries in the poller's heap.
 * Only the default context's thread may add, remove or run them. */
typedef struct {
    RmqFdTimer *timer;
    guint id;
    guint interval_ms;
    GSourceFunc func;
    gpointer user_data;
} Timeout;

static GHashTable *timeouts; /* id -> Timeout *, the default context's thread only */
static guint last_timeout_id;

static void
timeout_free(gpointer data)
{
    Timeout *to = data;
    rmq_fd_timer_free(to->timer);
    g_free(to);
}

static gboolean
on_timeout(gpointer user_data)
{
    Timeout *to = user_data;
    guint id = to->id;
    gboolean keep = to->func(to->user_data);
    /* The callback may have removed itself (then @to is gone). */
    if (g_hash_table_lookup(timeouts, GUINT_TO_POINTER(id)) != to)
        return G_SOURCE_REMOVE;
    if (!keep) {
        g_hash_table_remove(timeouts, GUINT_TO_POINTER(id));
        return G_SOURCE_REMOVE;
    }
    /* As g_timeout_add: the next interval counts from this dispatch. */
    rmq_fd_timer_set_ready_time(to->timer,
                                g_get_monotonic_time() + (gint64) to->interval_ms * 1000);
    return G_SOURCE_CONTINUE;
}

guint
rmq_timeout_add(guint interval_ms, GSourceFunc func, gpointer user_data)
{
    g_return_val_if_fail(func != NULL, 0);
    if (timeouts == NULL)
        timeouts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, timeout_free);
    RmqFdPoller *p = rmq_fd_poller_get(NULL);
    Timeout *to = g_new0(Timeout, 1);
    to->timer = rmq_fd_timer_new(p, on_timeout, to);
    rmq_fd_poller_unref(p); /* the timer holds its own */
    do
        to->id = ++last_timeout_id;
    while (to->id == 0 || g_hash_table_contains(timeouts, GUINT_TO_POINTER(to->id)));
    to->interval_ms = interval_ms;
    to->func = func;
    to->user_data = user_data;
    g_hash_table_insert(timeouts, GUINT_TO_POINTER(to->id), to);
    rmq_fd_timer_set_ready_time(to->timer, g_get_monotonic_time() + (gint64) interval_ms * 1000);
    return to->id;
}

gboolean
rmq_timeout_remove(guint id)
{
    g_return_val_if_fail(id != 0, FALSE);
    if (timeouts == NULL || !g_hash_table_remove(timeouts, GUINT_TO_POINTER(id))) {
        g_critical("rmq_timeout_remove: no timeout with id %u", id);
        return FALSE;
    }
    return TRUE;
}

/* --- RmqLoopHooks on the default context's poller ---------------------------- */

typedef struct {
    RmqFdWatch *watch;
    GSourceFunc func;
    gpointer user_data;
} HookWatch;

static void
on_hook_readable(RmqFdWatch *watch, GIOCondition events, gpointer user_data)
{
    (void) watch;
    (void) events;
    HookWatch *h = user_data;
    h->func(h->user_data); /* may unwatch: @h is not touched after */
}

gpointer
rmq_fd_readable_watch(int fd, GSourceFunc func, gpointer user_data)
{
    HookWatch *h = g_new0(HookWatch, 1);
    h->func = func;
    h->user_data = user_data;
    RmqFdPoller *p = rmq_fd_poller_get(NULL);
    h->watch = rmq_fd_watch_new(p, fd, on_hook_readable, h);
    rmq_fd_poller_unref(p); /* the watch holds its own */
    rmq_fd_watch_set_events(h->watch, G_IO_IN);
    return h;
}

void
rmq_fd_readable_unwatch(gpointer watch)
{
    HookWatch *h = watch;
    if (h == NULL)
        return;
    rmq_fd_watch_free(h->watch);
    g_free(h);
}

static gpointer
hook_timer_new(GSourceFunc func, gpointer user_data)
{
    RmqFdPoller *p = rmq_fd_poller_get(NULL);
    RmqFdTimer *t = rmq_fd_timer_new(p, func, user_data);
    rmq_fd_poller_unref(p); /* the timer holds its own */
    return t;
}

static void
hook_timer_set_ready_time(gpointer timer, gint64 ready_time)
{
    rmq_fd_timer_set_ready_time(timer, ready_time);
}

static gint64
hook_timer_get_ready_time(gpointer timer)
{
    return rmq_fd_timer_get_ready_time(timer);
}

static void
hook_timer_free(gpointer timer)
{
    rmq_fd_timer_free(timer);
}

static const RmqLoopHooks default_hooks = {
    .fd_watch = rmq_fd_readable_watch,
    .fd_unwatch = rmq_fd_readable_unwatch,
    .timer_new = hook_timer_new,
    .timer_set_ready_time = hook_timer_set_ready_time,
    .timer_get_ready_time = hook_timer_get_ready_time,
    .timer_free = hook_timer_free,
};

const RmqLoopHooks *
rmq_fd_poller_default_hooks(void)
{
    return &default_hooks;
}
