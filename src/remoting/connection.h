/* One remoting TCP connection on a GLib main context (docs/protocol.md §2):
 * non-blocking reads into a per-connection buffer, whole frames decoded and
 * dispatched, a write queue flushed when the socket is writable, back-pressure,
 * idle timeout, a table of our own outstanding requests matched by opaque.
 * Used by both the server (accepted sockets) and the client (outbound sockets).
 * Single-threaded: every call must come from the thread that runs the context. */
#pragma once

#include <gio/gio.h>
#include "remoting/command.h"

G_BEGIN_DECLS

/* Stop reading from a peer while more than this much output is queued for it,
 * resume once the queue has drained below the low-water mark. */
#define RMQ_CONNECTION_HIGH_WATER ((gsize) 4 * 1024 * 1024)
#define RMQ_CONNECTION_LOW_WATER ((gsize) 1 * 1024 * 1024)
/* serverChannelMaxIdleTimeSeconds (docs/protocol.md §9.3). */
#define RMQ_CONNECTION_DEFAULT_IDLE_SECONDS 120
/* serverFrameTimeoutSeconds (rmq): time to finish a started frame. */
#define RMQ_CONNECTION_DEFAULT_FRAME_SECONDS 30
/* connectionWriteBufferMaxBytes / connectionWriteStallTimeoutMills defaults */
#define RMQ_CONNECTION_DEFAULT_WRITE_MAX ((gsize) 64 * 1024 * 1024)
#define RMQ_CONNECTION_DEFAULT_WRITE_STALL_MS 30000

#define RMQ_CONNECTION_ERROR (rmq_connection_error_quark())
GQuark rmq_connection_error_quark(void);
typedef enum {
    RMQ_CONNECTION_ERROR_TIMEOUT, /* no response to our request in time */
    RMQ_CONNECTION_ERROR_CLOSED,  /* the connection closed before the response came */
} RmqConnectionError;

typedef struct _RmqConnection RmqConnection;

/* A request (or one-way request) the peer sent us. @request is (transfer full);
 * @conn is (transfer none): take a ref to answer later (long polling). */
typedef void (*RmqRequestHandler)(RmqConnection *conn, RmqCommand *request, gpointer user_data);

/* Outcome of a request we sent: exactly one call, either @response (transfer full)
 * with @error NULL, or @response NULL and @error set (RMQ_CONNECTION_ERROR for
 * connection-level requests, RMQ_CLIENT_ERROR for rmq_client_*). */
typedef void (*RmqResponseCallback)(RmqCommand *response, const GError *error, gpointer user_data);

/* Connection event (open/close). @conn is (transfer none). */
typedef void (*RmqConnectionFunc)(RmqConnection *conn, gpointer user_data);

/* Destroy and unref *@source when set, then clear it: the one teardown of a
 * GSource kept in a struct (remoting and HA timers and watches). */
void rmq_source_clear(GSource **source);

/* Wrap @socket_conn (a ref is taken); its GSocket is made non-blocking. Sources
 * are attached to @context (NULL = the global default context). Nothing is read
 * before rmq_connection_start(). Idle timeout starts at 0 (off). (transfer full) */
RmqConnection *rmq_connection_new(GSocketConnection *socket_conn, GMainContext *context);
RmqConnection *rmq_connection_ref(RmqConnection *conn);
/* The last unref of an open connection closes it first (close callbacks and
 * pending-request callbacks fire, logged at debug level), then frees it. */
void rmq_connection_unref(RmqConnection *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqConnection, rmq_connection_unref)

/* Where incoming requests go. Without a handler they are logged at debug level
 * and dropped. */
void rmq_connection_set_request_handler(RmqConnection *conn, RmqRequestHandler handler,
                                        gpointer user_data);
/* Called once when the connection closes, in the order added, before the
 * callbacks of its pending requests fail. The connection is already closed
 * (sends fail) but still valid for the duration of the call. */
void rmq_connection_add_close_callback(RmqConnection *conn, RmqConnectionFunc func,
                                       gpointer user_data);
/* Forget the first hook added with this @func and @user_data, if it has not
 * run yet. An owner that frees @user_data while the connection may outlive it
 * (another ref, a close in progress) must call this first. */
void rmq_connection_remove_close_callback(RmqConnection *conn, RmqConnectionFunc func,
                                          gpointer user_data);
/* Pause reading while more than RMQ_CONNECTION_HIGH_WATER bytes of output are
 * queued (default on). Right for a server facing peers that send requests and
 * do not read the answers; wrong for the requesting side, where reading the
 * answers is what drains the peer, and pausing both ends would deadlock: the
 * client turns it off on its outbound connections. */
void rmq_connection_set_backpressure(RmqConnection *conn, gboolean enabled);
/* 0 = never close for idleness. May be changed at any time. */
void rmq_connection_set_idle_timeout(RmqConnection *conn, guint seconds);
/* A frame (and, once started, the first frame) must be complete within
 * @seconds of its first byte, or the connection is closed with one log line
 * (slowloris). 0 = no deadline, the default. May be changed at any time. */
void rmq_connection_set_frame_timeout(RmqConnection *conn, guint seconds);
/* The write-buffer limit (docs/packaging.md, "Flow control"): a peer whose
 * output has not drained for @stall_ms, or that would have more than
 * @max_bytes queued (one frame of any size is always taken), is closed
 * with a warning naming it. 0 = no limit. May be changed at any time. */
void rmq_connection_set_write_limits(RmqConnection *conn, gsize max_bytes, guint stall_ms);
/* Speak TLS on this connection (remoting/tls.h): a client context starts
 * the handshake, a server context first looks at the peer's first byte
 * (tlsServerMode permissive / enforcing). Before rmq_connection_start();
 * NULL = plain TCP (the default). */
typedef struct _RmqTlsContext RmqTlsContext;
void rmq_connection_set_tls(RmqConnection *conn, RmqTlsContext *ctx);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" once a TLS handshake is done, else NULL. (transfer none) */
const gchar *rmq_connection_get_tls_description(RmqConnection *conn);
/* Start reading and dispatching. */
void rmq_connection_start(RmqConnection *conn);

/* Encode @cmd (transfer none) and queue it. FALSE if the connection is closed. */
gboolean rmq_connection_send(RmqConnection *conn, const RmqCommand *cmd);
/* Frames sent between a hold and its release (nestable; loop thread) are
 * queued and go out together at the release, in one system call when the
 * socket takes them: answers produced together (the acknowledgements one
 * fdatasync releases) need not cost a send() each. */
void rmq_connection_hold_output(RmqConnection *conn);
void rmq_connection_release_output(RmqConnection *conn);
/* Answer @request with @response (transfer full). Enforces the one-way rule:
 * if @request has the one-way flag the response is dropped (returns TRUE).
 * Handlers should answer through this, not rmq_connection_send(). */
gboolean rmq_connection_send_response(RmqConnection *conn, const RmqCommand *request,
                                      RmqCommand *response);
/* Send a request of our own (transfer full): the connection allocates its opaque
 * and calls @callback exactly once, with the matching response, or with
 * RMQ_CONNECTION_ERROR_TIMEOUT after @timeout_ms (0 = wait forever) or
 * RMQ_CONNECTION_ERROR_CLOSED. If the connection is already closed the callback
 * runs from an idle source of the connection's context (never re-entrantly). */
void rmq_connection_send_request(RmqConnection *conn, RmqCommand *request, guint timeout_ms,
                                 RmqResponseCallback callback, gpointer user_data);
/* Send a one-way request (transfer full): sets the one-way flag and a fresh
 * opaque; no response is expected. FALSE if the connection is closed. */
gboolean rmq_connection_send_oneway(RmqConnection *conn, RmqCommand *request);

/* Close once: stop I/O, fail our pending requests with CLOSED, fire the close
 * callbacks. Logged at debug level only: a deliberate close is the caller's to
 * report. (Malformed input and I/O errors are logged as warnings by the
 * connection itself, idle timeouts at info.) Later calls do nothing. */
void rmq_connection_close(RmqConnection *conn, const gchar *reason);
gboolean rmq_connection_is_closed(RmqConnection *conn);

/* "ip:port" (IPv4 form for v4-mapped IPv6 addresses). (transfer none) */
const gchar *rmq_connection_get_peer(RmqConnection *conn);
const gchar *rmq_connection_get_local(RmqConnection *conn);
/* The peer's address as bytes, the same the peer text shows (4 for IPv4 and
 * v4-mapped IPv6, else 16), and its port, without parsing the text; FALSE
 * (nothing written) when the peer is not an IP address. */
gboolean rmq_connection_get_peer_addr(RmqConnection *conn, guint8 addr[16], guint8 *addr_len,
                                      guint16 *port);
/* Reason given to rmq_connection_close(), NULL while open. (transfer none) */
const gchar *rmq_connection_get_close_reason(RmqConnection *conn);

/* One user data slot (the name server stores the broker address registered on
 * the channel, the broker its client id). Replacing it or the connection's end
 * calls the old @destroy. */
void rmq_connection_set_data(RmqConnection *conn, gpointer data, GDestroyNotify destroy);
gpointer rmq_connection_get_data(RmqConnection *conn);

/* Observability (STATUS lines, tests). */
gsize rmq_connection_get_queued_bytes(RmqConnection *conn);
gboolean rmq_connection_is_reading_paused(RmqConnection *conn);
guint rmq_connection_get_pending_count(RmqConnection *conn);

G_END_DECLS
