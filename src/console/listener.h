/* The console's own accept loop in front of libsoup: libsoup 3.2 listens
 * with a backlog of 10, accepts until the process runs out of descriptors
 * (and GLib then aborts creating a wakeup pipe), and never times out a
 * client that does not finish its request. This listens with a large
 * backlog, hands each connection to the SoupServer (soup_server_accept_iostream),
 * refuses connections past a cap kept below the descriptor limit, and closes
 * connections that have not sent a whole request within a deadline; each of
 * those events is logged at most once per interval. */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define RMQ_CONSOLE_LISTEN_BACKLOG 1024
#define RMQ_CONSOLE_MAX_CONNECTIONS 4096
#define RMQ_CONSOLE_REQUEST_TIMEOUT_MS 10000

typedef struct _RmqConsoleListener RmqConsoleListener;

/* Cap for @nofile descriptors: room is left for the cluster connections,
 * worker threads' wakeups and the journal. Pure, for tests. */
guint rmq_console_connection_cap(guint64 nofile);

/* Listen on @address and feed @server (a ref is taken). @max_connections 0 =
 * from RLIMIT_NOFILE (rmq_console_connection_cap). (transfer full) */
RmqConsoleListener *rmq_console_listener_new(SoupServer *server, GSocketAddress *address,
                                             guint max_connections, guint request_timeout_ms,
                                             GError **error);
/* Serve HTTPS from now on: each accepted connection is wrapped in a
 * GTlsServerConnection with @cert (a ref is taken; glib-networking's TLS
 * backend does the work). The request deadline covers the handshake. */
void rmq_console_listener_set_tls(RmqConsoleListener *l, GTlsCertificate *cert);
/* Stop accepting; connections being served carry on. */
void rmq_console_listener_stop(RmqConsoleListener *l);
void rmq_console_listener_free(RmqConsoleListener *l);
guint rmq_console_listener_get_connections(RmqConsoleListener *l);
guint rmq_console_listener_get_cap(RmqConsoleListener *l);

G_END_DECLS
