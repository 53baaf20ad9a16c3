/* One epoll-backed GSource per GMainContext (docs/architecture.md, "Event
 * loop"): every connection of the context registers its descriptor and its
 * deadlines here instead of attaching GSources of its own, so an iteration of
 * the loop costs GLib one source and poll() one descriptor however many
 * connections are open; only the descriptors that are ready and the timers
 * that are due are touched.
 *
 * Descriptors are level-triggered: a callback may stop early (fairness cap,
 * paused reads) and is called again on the next iteration while the
 * condition holds, exactly as a GSocket source would. A descriptor with no
 * events of interest is taken out of the epoll set, so a hung-up peer whose
 * reads are paused does not spin the loop.
 *
 * Single-threaded like the context: every call must come from the thread
 * that runs it. Watches and timers may be freed at any time, also from inside
 * their own callback or another's in the same iteration: they are not called
 * again after rmq_fd_watch_free() / rmq_fd_timer_free(). */
#pragma once

#include <glib.h>

#include "common/loop_hooks.h"

G_BEGIN_DECLS

typedef struct _RmqFdPoller RmqFdPoller;
typedef struct _RmqFdWatch RmqFdWatch;
typedef struct _RmqFdTimer RmqFdTimer;

/* @events is what is ready: G_IO_IN, G_IO_OUT, G_IO_HUP, G_IO_ERR (the last
 * two reported whatever was asked for). */
typedef void (*RmqFdFunc)(RmqFdWatch *watch, GIOCondition events, gpointer user_data);

/* The poller of @context (NULL = the global default), created and attached on
 * first use. (transfer full): each user holds a ref; the last unref destroys
 * the source. */
RmqFdPoller *rmq_fd_poller_get(GMainContext *context);
RmqFdPoller *rmq_fd_poller_ref(RmqFdPoller *poller);
void rmq_fd_poller_unref(RmqFdPoller *poller);
/* Watches registered (tests, STATUS). */
guint rmq_fd_poller_get_watch_count(RmqFdPoller *poller);

/* g_get_monotonic_time(), read once per dispatch of @poller: the first call
 * in a dispatch reads the clock, later ones in the same dispatch (the other
 * watches and timers of that loop wake-up) get the same time, as libuv's
 * loop time. Outside a dispatch it reads the clock. Only on the thread that
 * iterates the poller's context. For stamps and deadlines that tolerate the
 * time a wake-up's callbacks take; time a piece of work with the clock. */
gint64 rmq_fd_poller_now(RmqFdPoller *poller);

/* Make the poller its context's poll function (a daemon's main() for the
 * default context, the client library for a private context it made; before
 * anything else attaches a descriptor): while GLib polls only
 * the epoll descriptor and its own wake-up descriptor, one epoll_wait with
 * GLib's timeout waits and its events go to the next dispatch, instead of
 * poll() and then epoll_wait (one system call less per loop wake-up). Any
 * other descriptor in the set falls back to g_poll(). FALSE (nothing
 * changed) when the poller was created while the context already polled
 * other descriptors (or was owned by another thread), or when 64 contexts
 * already have it. Undone when the poller goes. */
gboolean rmq_fd_poller_own_poll(RmqFdPoller *poller);

/* @func(@user_data) at the end of every dispatch of the poller, after the
 * ready watches and due timers of that loop wake-up have run (a "this turn is
 * over" hook without a GSource of its own). Removing a hook from inside a
 * hook may skip the next one for that dispatch. */
typedef void (*RmqFdHookFunc)(gpointer user_data);
void rmq_fd_poller_add_dispatch_end(RmqFdPoller *poller, RmqFdHookFunc func, gpointer user_data);
void rmq_fd_poller_remove_dispatch_end(RmqFdPoller *poller, RmqFdHookFunc func,
                                       gpointer user_data);

/* RmqLoopHooks (common/loop_hooks.h) as watches and timers of the default
 * context's poller, for the store and other code that does not link it. */
const RmqLoopHooks *rmq_fd_poller_default_hooks(void);
/* Its fd_watch and fd_unwatch (RmqDaemonOps.fd_watch): @func(@user_data) on
 * the default context while @fd is readable or hung up. */
gpointer rmq_fd_readable_watch(int fd, GSourceFunc func, gpointer user_data);
void rmq_fd_readable_unwatch(gpointer watch);

/* Watch @fd (not owned: free the watch before closing it). Starts with no
 * events of interest. (transfer full) */
RmqFdWatch *rmq_fd_watch_new(RmqFdPoller *poller, int fd, RmqFdFunc func, gpointer user_data);
/* G_IO_IN and/or G_IO_OUT; 0 stops the watch until set again. */
void rmq_fd_watch_set_events(RmqFdWatch *watch, GIOCondition events);
GIOCondition rmq_fd_watch_get_events(RmqFdWatch *watch);
void rmq_fd_watch_free(RmqFdWatch *watch);

/* A deadline: @func runs once the monotonic time reaches the ready time (as
 * g_source_set_ready_time: -1 = disarmed, 0 = at once). Returning
 * G_SOURCE_REMOVE disarms it unless the callback set a new ready time;
 * G_SOURCE_CONTINUE keeps the ready time the callback left (a past one fires
 * again on the next iteration). (transfer full) */
RmqFdTimer *rmq_fd_timer_new(RmqFdPoller *poller, GSourceFunc func, gpointer user_data);
void rmq_fd_timer_set_ready_time(RmqFdTimer *timer, gint64 ready_time);
gint64 rmq_fd_timer_get_ready_time(RmqFdTimer *timer);
void rmq_fd_timer_free(RmqFdTimer *timer);

/* Free *@watch / *@timer when set, then clear it. */
void rmq_fd_watch_clear(RmqFdWatch **watch);
void rmq_fd_timer_clear(RmqFdTimer **timer);

/* g_timeout_add() / g_source_remove() for the default main context, as
 * entries of its poller's timer heap instead of GSources (GLib walks every
 * source on each loop iteration). Same ids (never 0) and the same callback
 * contract; only the default context's thread may call them. */
guint rmq_timeout_add(guint interval_ms, GSourceFunc func, gpointer user_data);
gboolean rmq_timeout_remove(guint id);

G_END_DECLS
