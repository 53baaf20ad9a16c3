/* Remoting server: listening sockets, accepted RmqConnections, dispatch of
 * requests by code to registered handlers (RocketMQ NettyRemotingServer).
 * Single-threaded on the thread-default main context at rmq_server_new(). */
#pragma once

#include <gio/gio.h>
#include "remoting/command.h"
#include "remoting/connection.h"

G_BEGIN_DECLS

/* Response code for unknown requests (docs/protocol.md §4.1), answered with remark
 * " request type <code> not supported" in the request's serialize type. */
#define RMQ_SERVER_REQUEST_CODE_NOT_SUPPORTED 3

#define RMQ_SERVER_ERROR (rmq_server_error_quark())
GQuark rmq_server_error_quark(void);
typedef enum {
    RMQ_SERVER_ERROR_LISTEN, /* bad address, port in use, ... */
} RmqServerError;

typedef struct _RmqServer RmqServer;

/* @name is used in log lines only ("namesrv", "broker"). (transfer full) */
RmqServer *rmq_server_new(const gchar *name);
/* Stops listening and closes every connection (close callbacks fire now, so free
 * the server before the state they touch). Not from the server's own callbacks. */
void rmq_server_free(RmqServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqServer, rmq_server_free)

/* Route requests with @code to @handler; replaces an earlier registration.
 * Handlers answer with rmq_connection_send_response(conn, request, response),
 * now or later (keep a ref on conn and the request); it drops the answer to a
 * one-way request. */
void rmq_server_register(RmqServer *server, gint32 code, RmqRequestHandler handler,
                         gpointer user_data);
/* One row of a command table, as redis's redisCommand: a request code, its
 * name for logs, its handler, and flags and @detail that only the table's
 * owner reads. Rows must outlive the server (static tables). */
typedef struct {
    gint32 code;
    const gchar *name;
    RmqRequestHandler handler;
    guint32 flags;
    gconstpointer detail;
} RmqServerCommand;

/* The one place a table's flags are checked: runs before the handler of a row
 * whose flags are not 0. Return FALSE to let the handler run, or TRUE after
 * answering the request yourself (@request is then yours to free, as a
 * handler's is). */
typedef gboolean (*RmqServerGate)(RmqConnection *conn, RmqCommand *request,
                                  const RmqServerCommand *command, gpointer user_data);

/* Register the @n rows of @table (the handler and @gate get @user_data),
 * replacing earlier registrations of the same codes. @gate may be NULL. */
void rmq_server_register_table(RmqServer *server, const RmqServerCommand *table, gsize n,
                               RmqServerGate gate, gpointer user_data);
/* The row registered for @code, NULL for none or a plain rmq_server_register(). (transfer none) */
const RmqServerCommand *rmq_server_lookup(RmqServer *server, gint32 code);

/* Handler for codes nobody registered (NULL = answer REQUEST_CODE_NOT_SUPPORTED). */
void rmq_server_set_default_handler(RmqServer *server, RmqRequestHandler handler,
                                    gpointer user_data);

/* Listen on @bind_address ("0.0.0.0", "127.0.0.1", "::"; NULL = "0.0.0.0") and
 * @port (0 = any free port, see rmq_server_get_port()). May be called several
 * times (broker: listenPort and listenPort-2). Errors name the address and
 * port: "cannot listen on 0.0.0.0:10911: Address already in use". */
gboolean rmq_server_listen(RmqServer *server, const gchar *bind_address, guint16 port,
                           GError **error);
/* Port of the first listener (0 if none). */
guint16 rmq_server_get_port(RmqServer *server);

/* Applies to connections accepted from now on and to open ones. Default 120, 0 = off. */
void rmq_server_set_idle_timeout(RmqServer *server, guint seconds);
/* Deadline for a peer to finish a frame it started, or its first frame after
 * accept (rmq_connection_set_frame_timeout); applies to existing connections
 * too. Default RMQ_CONNECTION_DEFAULT_FRAME_SECONDS; 0 = none. */
void rmq_server_set_frame_timeout(RmqServer *server, guint seconds);
/* rmq_connection_set_write_limits for every connection, now and later
 * (defaults RMQ_CONNECTION_DEFAULT_WRITE_MAX / _WRITE_STALL_MS). */
void rmq_server_set_write_limits(RmqServer *server, gsize max_bytes, guint stall_ms);
/* @on_open runs after a connection is accepted (before its first request is
 * read), @on_close when it closes for any reason. Either may be NULL. */
void rmq_server_set_connection_callbacks(RmqServer *server, RmqConnectionFunc on_open,
                                         RmqConnectionFunc on_close, gpointer user_data);

guint rmq_server_get_connection_count(RmqServer *server);
/* @func must not free the server; it may close the connection it is given. */
void rmq_server_foreach_connection(RmqServer *server, RmqConnectionFunc func, gpointer user_data);

/* TLS for connections accepted from now on (tlsServerMode permissive or
 * enforcing, remoting/tls.h); a ref is taken. NULL = plain TCP only. */
void rmq_server_set_tls(RmqServer *server, RmqTlsContext *ctx);

/* Graceful shutdown, step one: close the listening sockets, keep serving the
 * connections that are open. May be called from on_open. */
void rmq_server_stop_accepting(RmqServer *server);

G_END_DECLS
