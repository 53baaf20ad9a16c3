/* Transport encryption for remoting connections (docs/architecture.md,
 * "TLS"): RocketMQ 4.9's tls.server.mode / useTLS over OpenSSL, driven on the
 * connection's own non-blocking fd. A connection without TLS never calls in
 * here: its reads and writes stay plain recv()/send().
 *
 * An RmqTlsContext holds the certificates of one side (server or client) and
 * is shared by its connections; an RmqTls is one connection's session. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* tlsServerMode (Java TlsMode): disabled = plain only; permissive = a peer
 * whose first byte is 0x16 (a TLS handshake record) gets TLS, others plain;
 * enforcing = TLS only, plain peers are closed with a log line. */
typedef enum {
    RMQ_TLS_MODE_DISABLED,
    RMQ_TLS_MODE_PERMISSIVE,
    RMQ_TLS_MODE_ENFORCING,
} RmqTlsMode;

/* tlsServerNeedClientAuth (Java ClientAuth): none, optional, require. */
typedef enum {
    RMQ_TLS_CLIENT_AUTH_NONE,
    RMQ_TLS_CLIENT_AUTH_OPTIONAL,
    RMQ_TLS_CLIENT_AUTH_REQUIRE,
} RmqTlsClientAuth;

#define RMQ_TLS_ERROR (rmq_tls_error_quark())
GQuark rmq_tls_error_quark(void);
typedef enum {
    RMQ_TLS_ERROR_CONFIG, /* a file that does not load, a key that does not match */
} RmqTlsError;

/* One side's settings; strings are borrowed for the call. */
typedef struct {
    const gchar *key_prefix;     /* "tlsServer" / "tlsClient": names keys in errors */
    gboolean test_mode;          /* tlsTestModeEnable: a client trusts any server; a server
                                  * without cert and key files makes a self-signed one */
    gboolean auth_peer;          /* tlsServerAuthClient / tlsClientAuthServer */
    RmqTlsClientAuth need_client_auth; /* server only */
    const gchar *cert_path;      /* PEM chain; required for a server */
    const gchar *key_path;       /* PEM (PKCS#8 or traditional, maybe encrypted) */
    const gchar *key_password;   /* NULL = unencrypted key */
    const gchar *trust_cert_path; /* PEM CA bundle; NULL = the system's */
} RmqTlsOptions;

typedef struct _RmqTlsContext RmqTlsContext;

/* Loads every file now: a missing or broken one fails here, the error naming
 * the key and the file ("tlsServerKeyPath /etc/...: ..."). (transfer full) */
RmqTlsContext *rmq_tls_context_new_server(RmqTlsMode mode, const RmqTlsOptions *opts,
                                          GError **error);
RmqTlsContext *rmq_tls_context_new_client(const RmqTlsOptions *opts, GError **error);
RmqTlsContext *rmq_tls_context_ref(RmqTlsContext *ctx);
void rmq_tls_context_unref(RmqTlsContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqTlsContext, rmq_tls_context_unref)
RmqTlsMode rmq_tls_context_get_mode(RmqTlsContext *ctx);

/* Parsers for the key values (case-insensitive, as Java's). FALSE if unknown. */
gboolean rmq_tls_mode_parse(const gchar *text, RmqTlsMode *out);
gboolean rmq_tls_client_auth_parse(const gchar *text, RmqTlsClientAuth *out);

typedef struct _RmqTls RmqTls;

/* A session on the non-blocking @fd (which stays the caller's). A server
 * context in permissive or enforcing mode first looks at the peer's first
 * byte. (transfer full) */
RmqTls *rmq_tls_new(RmqTlsContext *ctx, int fd);
/* Sends close_notify if the socket takes it (never blocks), then frees. */
void rmq_tls_free(RmqTls *tls);

/* As recv(): > 0 bytes of plaintext (as many as are there, up to @len),
 * 0 at the end of the stream, -1 with errno EAGAIN (nothing yet: see
 * rmq_tls_read_wants_write) or EPROTO (rmq_tls_get_error says why). The
 * handshake runs inside. */
gssize rmq_tls_recv(RmqTls *tls, void *buf, gsize len);
/* As sendmsg(): bytes of @vec taken, or -1 with errno EAGAIN or EPROTO/EPIPE.
 * After EAGAIN call again with the same bytes first (more may follow them). */
gssize rmq_tls_send(RmqTls *tls, const GOutputVector *vec, guint nvec);
/* Permissive mode found a plain peer: from now on this session only passes
 * recv()/send() through; the caller may drop it and use the fd itself. */
gboolean rmq_tls_is_plain(RmqTls *tls);
/* The last recv needs the socket writable (handshake) to go on. */
gboolean rmq_tls_read_wants_write(RmqTls *tls);
/* The last send needs the socket readable (handshake) to go on. */
gboolean rmq_tls_write_wants_read(RmqTls *tls);
/* Decoded bytes, or an end of stream, are waiting inside the session: the
 * socket's readiness will not say so, call rmq_tls_recv again. */
gboolean rmq_tls_has_pending(RmqTls *tls);
/* Why the last call failed with EPROTO/EPIPE. (transfer none) */
const gchar *rmq_tls_get_error(RmqTls *tls);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" once the handshake is done, else NULL. (transfer none) */
const gchar *rmq_tls_describe(RmqTls *tls);

G_END_DECLS
