#include <config.h>

#include "common/notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

static void
notify_lines(const gchar *lines)
{
    /* sd_notify() is a no-op without NOTIFY_SOCKET; errors are not fatal for us. */
    (void) sd_notify(0, lines);
}

static gchar *
status_line(const gchar *status)
{
    /* STATUS= is one line: newlines would start a new assignment. */
    g_autofree gchar *clean = g_strdup(status ? status : "");
    g_strdelimit(clean, "\n\r", ' ');
    return g_strconcat("STATUS=", clean, NULL);
}

void
rmq_notify_ready(const gchar *status)
{
    g_autofree gchar *st = status_line(status);
    g_autofree gchar *msg = g_strconcat("READY=1\n", st, NULL);
    notify_lines(msg);
}

void
rmq_notify_status(const gchar *status)
{
    g_autofree gchar *st = status_line(status);
    notify_lines(st);
}

void
rmq_notify_reloading(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    guint64 usec = (guint64) ts.tv_sec * G_USEC_PER_SEC + (guint64) ts.tv_nsec / 1000;
    g_autofree gchar *msg = g_strdup_printf("RELOADING=1\nMONOTONIC_USEC=%" G_GUINT64_FORMAT
                                            "\nSTATUS=reloading configuration", usec);
    notify_lines(msg);
}

void
rmq_notify_stopping(const gchar *status)
{
    g_autofree gchar *st = status_line(status ? status : "stopping");
    g_autofree gchar *msg = g_strconcat("STOPPING=1\n", st, NULL);
    notify_lines(msg);
}

void
rmq_notify_extend_timeout(guint64 usec)
{
    g_autofree gchar *msg = g_strdup_printf("EXTEND_TIMEOUT_USEC=%" G_GUINT64_FORMAT, usec);
    notify_lines(msg);
}

static gboolean
on_watchdog(gpointer user_data)
{
    notify_lines("WATCHDOG=1");
    return G_SOURCE_CONTINUE;
}

guint
rmq_notify_watchdog_start(void)
{
    return rmq_notify_watchdog_start_full(g_timeout_add);
}

guint
rmq_notify_watchdog_start_full(guint (*timeout_add)(guint, GSourceFunc, gpointer))
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    guint interval_ms = (guint) MAX(usec / 2000, 1);
    notify_lines("WATCHDOG=1");
    return timeout_add(interval_ms, on_watchdog, NULL);
}
