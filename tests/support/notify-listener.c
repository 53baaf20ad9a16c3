#include <config.h>

#include "notify-listener.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib/gstdio.h>

struct RmqNotifyListener {
    int fd;
    gchar *dir;
    gchar *path;
};

RmqNotifyListener *
rmq_notify_listener_new(void)
{
    RmqNotifyListener *l = g_new0(RmqNotifyListener, 1);
    l->dir = g_dir_make_tmp("rmq-notify-XXXXXX", NULL);
    g_assert_nonnull(l->dir);
    l->path = g_build_filename(l->dir, "notify", NULL);
    l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(l->fd, >=, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, l->path, sizeof sa.sun_path);
    g_assert_cmpint(bind(l->fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
    g_setenv("NOTIFY_SOCKET", l->path, TRUE);
    return l;
}

gchar *
rmq_notify_listener_next(RmqNotifyListener *l, int timeout_ms)
{
    struct pollfd p = { .fd = l->fd, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) <= 0)
        return NULL;
    char buf[4096];
    ssize_t n = recv(l->fd, buf, sizeof buf - 1, 0);
    if (n < 0)
        return NULL;
    return g_strndup(buf, (gsize) n);
}

gchar *
rmq_notify_listener_wait_for(RmqNotifyListener *l, const gchar *needle, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    for (;;) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0)
            return NULL;
        gchar *msg = rmq_notify_listener_next(l, (int) left);
        if (!msg)
            return NULL;
        if (strstr(msg, needle))
            return msg;
        g_free(msg);
    }
}

void
rmq_notify_listener_free(RmqNotifyListener *l)
{
    if (!l)
        return;
    g_unsetenv("NOTIFY_SOCKET");
    close(l->fd);
    unlink(l->path);
    g_rmdir(l->dir);
    g_free(l->path);
    g_free(l->dir);
    g_free(l);
}
