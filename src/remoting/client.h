/* Remoting client: outbound connections keyed by "host:port", created on demand,
 * reused, and re-created on the next use after a failure (RocketMQ
 * NettyRemotingClient). Used by the broker (-> name servers), tools and tests.
 * Single-threaded on the context given to rmq_client_new(). */
#pragma once

#include <gio/gio.h>
#include "remoting/command.h"
#include "remoting/connection.h"

G_BEGIN_DECLS

#define RMQ_CLIENT_DEFAULT_CONNECT_TIMEOUT_MS 3000

#define RMQ_CLIENT_ERROR (rmq_client_error_quark())
GQuark rmq_client_error_quark(void);
typedef enum {
    RMQ_CLIENT_ERROR_CONNECT, /* could not connect (refused, unresolvable, connect timeout) */
    RMQ_CLIENT_ERROR_TIMEOUT, /* no response within the request's timeout */
    RMQ_CLIENT_ERROR_CLOSED,  /* the connection closed before the response came */
    RMQ_CLIENT_ERROR_ADDRESS, /* "host:port" does not parse */
} RmqClientError;

typedef struct _RmqClient RmqClient;

/* @context: where connections and callbacks run (NULL = the global default
 * context); a ref is taken. (transfer full) */
RmqClient *rmq_client_new(GMainContext *context);
/* Closes every connection; pending requests get RMQ_CLIENT_ERROR_CLOSED (or
 * _CONNECT if still connecting) before this returns. */
void rmq_client_free(RmqClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqClient, rmq_client_free)

void rmq_client_set_connect_timeout(RmqClient *client, guint timeout_ms);
/* Idle timeout for outbound connections (0 = off, the default). */
void rmq_client_set_idle_timeout(RmqClient *client, guint seconds);
/* Requests the peer sends us on an outbound connection (a broker sending
 * NOTIFY_CONSUMER_IDS_CHANGED). Without a handler they are dropped. */
void rmq_client_set_request_handler(RmqClient *client, RmqRequestHandler handler,
                                    gpointer user_data);

/* Runs on every request just before it is queued (async, one-way and
 * sync), as Java's RPCHook.doBeforeRequest: the client library signs
 * requests here (plain ACL). NULL removes it. */
typedef void (*RmqClientRequestHook)(RmqCommand *request, gpointer user_data);
void rmq_client_set_request_hook(RmqClient *client, RmqClientRequestHook hook, gpointer user_data);

/* Speak TLS on connections opened from now on (Java's useTLS; a client
 * context of remoting/tls.h, a ref is taken). NULL = plain TCP. */
void rmq_client_set_tls(RmqClient *client, RmqTlsContext *ctx);

/* Send @request (transfer full) to @addr ("host:port"); the client sets its
 * opaque. @callback runs exactly once, always from the context (never from
 * inside this call): with the response, or RMQ_CLIENT_ERROR_TIMEOUT after
 * @timeout_ms (counted from this call, connect time included; 0 = no timeout),
 * _CONNECT, _CLOSED or _ADDRESS. */
void rmq_client_invoke_async(RmqClient *client, const gchar *addr, RmqCommand *request,
                             guint timeout_ms, RmqResponseCallback callback, gpointer user_data);
/* Set the one-way flag on @request (transfer full) and send it; nothing comes
 * back. Failures are only logged (debug). */
void rmq_client_invoke_oneway(RmqClient *client, const gchar *addr, RmqCommand *request);
/* Blocking convenience for tools and tests: iterates the client's context until
 * the answer arrives. Must not be called from inside a callback dispatched by
 * that same context, nor while another thread runs it. (transfer full) */
RmqCommand *rmq_client_invoke_sync(RmqClient *client, const gchar *addr, RmqCommand *request,
                                   guint timeout_ms, GError **error);

/* Close the connection to @addr if there is one (pending requests fail with
 * _CLOSED); the next use reconnects. */
void rmq_client_close_connection(RmqClient *client, const gchar *addr);
/* The open connection to @addr, or NULL. (transfer none) */
RmqConnection *rmq_client_get_connection(RmqClient *client, const gchar *addr);

G_END_DECLS
