/* A stand-in for systemd's notify socket: a datagram socket in a temporary
 * directory whose path goes into NOTIFY_SOCKET, for tests of sd_notify users. */
#pragma once

#include <glib.h>

typedef struct RmqNotifyListener RmqNotifyListener;

/* Creates the socket and sets NOTIFY_SOCKET in this process's environment
 * (children inherit it). (transfer full) */
RmqNotifyListener *rmq_notify_listener_new(void);
/* Waits up to @timeout_ms for the next datagram. (transfer full) NULL on timeout. */
gchar *rmq_notify_listener_next(RmqNotifyListener *l, int timeout_ms);
/* Reads datagrams until one contains @needle; returns it or NULL on timeout. */
gchar *rmq_notify_listener_wait_for(RmqNotifyListener *l, const gchar *needle, int timeout_ms);
void rmq_notify_listener_free(RmqNotifyListener *l);
