/* A descriptor watch and deadline timers on a main loop, for code that must
 * not link the remoting layer's poller (the store): the broker passes its
 * poller's implementation (rmq_fd_poller_loop_hooks), so these are entries of
 * the poller instead of GSources that GLib walks on every wake-up
 * (docs/architecture.md §3.1). Every call comes from the loop's thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    /* Call @func(@user_data) on the loop while @fd is readable (or hung up);
     * its return value is ignored. (transfer full) */
    gpointer (*fd_watch)(int fd, GSourceFunc func, gpointer user_data);
    void (*fd_unwatch)(gpointer watch);
    /* A deadline with g_source_set_ready_time() semantics: -1 disarmed, a
     * past time fires on the next iteration; G_SOURCE_CONTINUE keeps the
     * ready time the callback left, G_SOURCE_REMOVE disarms it unless the
     * callback set a new one. Starts disarmed. (transfer full) */
    gpointer (*timer_new)(GSourceFunc func, gpointer user_data);
    void (*timer_set_ready_time)(gpointer timer, gint64 ready_time);
    gint64 (*timer_get_ready_time)(gpointer timer);
    void (*timer_free)(gpointer timer);
} RmqLoopHooks;

G_END_DECLS
