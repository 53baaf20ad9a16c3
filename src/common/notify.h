/* The one wrapper around sd_notify: readiness, status, reload, stop and the
 * watchdog. Every call is a no-op outside systemd (NOTIFY_SOCKET unset). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void rmq_notify_ready(const gchar *status);
void rmq_notify_status(const gchar *status);
/* RELOADING=1 with MONOTONIC_USEC=, as systemd >= 253 wants; harmless on 252. */
void rmq_notify_reloading(void);
void rmq_notify_stopping(const gchar *status);
/* Ask for more time during a long stop (EXTEND_TIMEOUT_USEC=). */
void rmq_notify_extend_timeout(guint64 usec);

/* If WatchdogSec= is set, add a main-loop timeout at half the period that sends
 * WATCHDOG=1 (so a wedged loop is killed). Returns the source id or 0. */
guint rmq_notify_watchdog_start(void);
/* The same through @timeout_add (g_timeout_add's signature): an id of that
 * function, or 0. */
guint rmq_notify_watchdog_start_full(guint (*timeout_add)(guint, GSourceFunc, gpointer));

G_END_DECLS
