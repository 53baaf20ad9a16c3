/* TLS sessions on a connection's non-blocking fd (tls.h). OpenSSL reads and
 * writes the fd through a small BIO of our own (recv, and send with
 * MSG_NOSIGNAL: a peer that resets must not kill a client application with
 * SIGPIPE), so the session adds no thread, no GIO stream and no extra copy
 * of the ciphertext. */
#include <config.h>

#include "remoting/tls.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>

G_DEFINE_QUARK(rmq-tls-error-quark, rmq_tls_error)

/* Small vectors are gathered up to one record's worth before SSL_write, so a
 * batch of small frames is one record and one send(), not one of each per frame. */
#define WRITE_GATHER 16384
/* The first byte of a TLS handshake record (Java's HANDSHAKE_MAGIC_CODE). */
#define TLS_HANDSHAKE_BYTE 0x16

struct _RmqTlsContext {
    gint ref_count;
    SSL_CTX *ctx;
    gboolean server;
    RmqTlsMode mode;
};

typedef enum {
    STATE_SNIFF, /* server, waiting for the first byte */
    STATE_TLS,
    STATE_PLAIN, /* permissive mode, a plain peer: pass-through */
} State;

struct _RmqTls {
    RmqTlsContext *ctx;
    int fd;
    State state;
    SSL *ssl;
    gboolean eof;
    gboolean failed;
    int fail_errno;
    gboolean read_wants_write;
    gboolean write_wants_read;
    gboolean starved; /* the last read wanted more bytes than the session holds */
    gchar *error;
    gchar *description;
    guint8 *gather; /* WRITE_GATHER bytes, allocated on first use */
};

/* --- options ------------------------------------------------------------- */

gboolean
rmq_tls_mode_parse(const gchar *text, RmqTlsMode *out)
{
    static const gchar *const names[] = { "disabled", "permissive", "enforcing" };
    for (guint i = 0; text != NULL && i < G_N_ELEMENTS(names); i++)
        if (g_ascii_strcasecmp(text, names[i]) == 0) {
            *out = (RmqTlsMode) i;
            return TRUE;
        }
    return FALSE;
}

gboolean
rmq_tls_client_auth_parse(const gchar *text, RmqTlsClientAuth *out)
{
    static const gchar *const names[] = { "none", "optional", "require" };
    for (guint i = 0; text != NULL && i < G_N_ELEMENTS(names); i++)
        if (g_ascii_strcasecmp(text, names[i]) == 0) {
            *out = (RmqTlsClientAuth) i;
            return TRUE;
        }
    return FALSE;
}

/* --- the fd BIO ---------------------------------------------------------- */

static int
fd_bio_write(BIO *bio, const char *data, int len)
{
    int fd = GPOINTER_TO_INT(BIO_get_data(bio));
    ssize_t n;
    do
        n = send(fd, data, (size_t) len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    BIO_clear_retry_flags(bio);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_write(bio);
    return (int) n;
}

static int
fd_bio_read(BIO *bio, char *data, int len)
{
    int fd = GPOINTER_TO_INT(BIO_get_data(bio));
    ssize_t n;
    do
        n = recv(fd, data, (size_t) len, 0);
    while (n < 0 && errno == EINTR);
    BIO_clear_retry_flags(bio);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_read(bio);
    return (int) n;
}

static long
fd_bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1; /* every write went to the kernel already */
    default:
        return 0;
    }
}

static int
fd_bio_create(BIO *bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

static BIO_METHOD *
fd_bio_method(void)
{
    static gsize once;
    static BIO_METHOD *method;
    if (g_once_init_enter(&once)) {
        method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rmq-fd");
        BIO_meth_set_write(method, fd_bio_write);
        BIO_meth_set_read(method, fd_bio_read);
        BIO_meth_set_ctrl(method, fd_bio_ctrl);
        BIO_meth_set_create(method, fd_bio_create);
        g_once_init_leave(&once, 1);
    }
    return method;
}

/* --- contexts ------------------------------------------------------------ */

/* OpenSSL's queued errors as one line (and the queue emptied). */
static gchar *
openssl_errors(void)
{
    GString *s = g_string_new(NULL);
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (s->len > 0)
            g_string_append(s, "; ");
        /* "error:0A000086:SSL routines::certificate verify failed": keep the reason */
        const char *reason = ERR_reason_error_string(e);
        g_string_append(s, reason != NULL ? reason : buf);
    }
    if (s->len == 0)
        g_string_append(s, "unknown error");
    return g_string_free(s, FALSE);
}

static int
password_cb(char *buf, int size, int rwflag, void *user_data)
{
    const gchar *password = user_data;
    if (password == NULL) /* never prompt on a terminal */
        return 0;
    gsize len = strlen(password);
    if (len > (gsize) size)
        return 0;
    memcpy(buf, password, len);
    return (int) len;
}

/* Java's InsecureTrustManagerFactory: a certificate is asked for, any is taken. */
static int
accept_any_cb(int preverify_ok, X509_STORE_CTX *store)
{
    return 1;
}

static gboolean
readable_file(const gchar *prefix, const gchar *what, const gchar *path, GError **error)
{
    if (g_access(path, R_OK) == 0)
        return TRUE;
    int err = errno;
    g_set_error(error, RMQ_TLS_ERROR, RMQ_TLS_ERROR_CONFIG, "%s%s %s: %s", prefix, what, path,
                g_strerror(err));
    return FALSE;
}

static gboolean
load_identity(SSL_CTX *ctx, const RmqTlsOptions *o, GError **error)
{
    const gchar *p = o->key_prefix != NULL ? o->key_prefix : "tls";
    if (o->cert_path != NULL && *o->cert_path != '\0') {
        if (!readable_file(p, "CertPath", o->cert_path, error))
            return FALSE;
        ERR_clear_error();
        if (SSL_CTX_use_certificate_chain_file(ctx, o->cert_path) != 1) {
            g_autofree gchar *why = openssl_errors();
            g_set_error(error, RMQ_TLS_ERROR, RMQ_TLS_ERROR_CONFIG,
                        "%sCertPath %s: not a PEM certificate chain: %s", p, o->cert_path, why);
            return FALSE;
        }
    }
    if (o->key_path != NULL && *o->key_path != '\0') {
        if (!readable_file(p, "KeyPath", o->key_path, error))
            return FALSE;
        GStatBuf st;
        if (g_stat(o->key_path, &st) == 0 && (st.st_mode & 0007) != 0)
            g_warning("%sKeyPath %s: other users may read this private key (mode %04o): "
                      "make it 0600 or 0640", p, o->key_path, (guint) (st.st_mode & 07777));
        SSL_CTX_set_default_passwd_cb(ctx, password_cb);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *) o->key_password);
        ERR_clear_error();
        int ok = SSL_CTX_use_PrivateKey_file(ctx, o->key_path, SSL_FILETYPE_PEM);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
        if (ok != 1 && ERR_GET_LIB(ERR_peek_last_error()) == ERR_LIB_X509 &&
            ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            g_set_error(error, RMQ_TLS_ERROR, RMQ_TLS_ERROR_CONFIG,
                        "%sKeyPath %s: the key does not match the certificate of %sCertPath %s",
                        p, o->key_path, p, o->cert_path);
            return FALSE;
        }
        if (ok != 1) {
            g_autofree gchar *why = openssl_errors();
            g_set_error(error, RMQ_TLS_ERROR, RMQ_TLS_ERROR_CONFIG,
                        "%sKeyPath %s: cannot load the private key (PEM%s): %s", p, o->key_path,
                        o->key_password != NULL ? ", with tlsKeyPassword" : ", no password",
                        why);
            return FALSE;
        }
        if (o->cert_path != NULL && *o->cert_path != '\0' && SSL_CTX_check_private_key(ctx) != 1) {
            ERR_clear_error();
            g_set_error(error, RMQ_TLS_ERROR, RMQ_TLS_ERROR_CONFIG,
                        "%sKeyPath %s: the key does not match the certificate of %sCertPath %s",
                        p, o->key_path, p, o->cert_path);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
load_trust(SSL_CTX *ctx, const RmqTlsOptions *o, GError **error)
{
    const gchar *p = o->key_prefix != NULL ? o->key_prefix : "tls";
    if (o->trust_cert_path == NULL || *o->trust_cert_path == '\0') {
        SSL_CTX_set_default_verify_paths(ctx);
        return TRUE;
    }
    if (!readable_file(p, "TrustCertPath", o->trust_cert_path, error))
        return FALSE;
    ERR_clear_error();
    if (SSL_CTX_load_verify_locations(ctx, o->trust_cert_path, NULL) != 1) {
        g_autofree gchar *why = openssl_errors();
        g_set_error(error, RMQ_TLS_ERROR, RMQ_TLS_ERROR_CONFIG,
                    "%sTrustCertPath %s: not a PEM certificate bundle: %s", p,
                    o->trust_cert_path, why);
        return FALSE;
    }
    return TRUE;
}

/* tlsTestModeEnable without a certificate: as Java's SelfSignedCertificate,
 * a key and a certificate made now, trusted by nobody (test-mode clients do
 * not check). */
static gboolean
use_self_signed(SSL_CTX *ctx, GError **error)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    gboolean ok = key != NULL && x != NULL && X509_set_version(x, 2) &&
                  ASN1_INTEGER_set(X509_get_serialNumber(x), (long) g_random_int_range(1, G_MAXINT32)) &&
                  X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
                  X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400) && X509_set_pubkey(x, key) &&
                  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                             (const unsigned char *) "rmq self-signed (tlsTestModeEnable)",
                                             -1, -1, 0) &&
                  X509_set_issuer_name(x, X509_get_subject_name(x)) &&
                  X509_sign(x, key, EVP_sha256()) > 0 && SSL_CTX_use_certificate(ctx, x) == 1 &&
                  SSL_CTX_use_PrivateKey(ctx, key) == 1;
    X509_free(x);
    EVP_PKEY_free(key);
    if (!ok) {
        g_autofree gchar *why = openssl_errors();
        g_set_error(error, RMQ_TLS_ERROR, RMQ_TLS_ERROR_CONFIG,
                    "tlsTestModeEnable: cannot make a self-signed certificate: %s", why);
    }
    return ok;
}

static RmqTlsContext *
context_new(gboolean server)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (ctx == NULL)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* No renegotiation: after the handshake a write never waits for a read.
     * A peer that closes without close_notify (Netty often does) is an end of
     * stream, not an error: frames are length-delimited, a cut one is seen. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* RELEASE_BUFFERS: an idle session holds no 17 KiB read and write
     * buffers (thousands of mostly idle clients), for a malloc per busy read. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    /* One recv() per read, not one for the record header and one for its
     * body; what it brings beyond the record waits in the session
     * (rmq_tls_has_pending). */
    SSL_CTX_set_read_ahead(ctx, 1);
    RmqTlsContext *c = g_new0(RmqTlsContext, 1);
    c->ref_count = 1;
    c->ctx = ctx;
    c->server = server;
    return c;
}

RmqTlsContext *
rmq_tls_context_new_server(RmqTlsMode mode, const RmqTlsOptions *opts, GError **error)
{
    g_return_val_if_fail(opts != NULL, NULL);
    const gchar *p = opts->key_prefix != NULL ? opts->key_prefix : "tlsServer";
    gboolean no_files = (opts->cert_path == NULL || *opts->cert_path == '\0') &&
                        (opts->key_path == NULL || *opts->key_path == '\0');
    if (!(opts->test_mode && no_files) &&
        (opts->cert_path == NULL || *opts->cert_path == '\0' || opts->key_path == NULL ||
         *opts->key_path == '\0')) {
        g_set_error(error, RMQ_TLS_ERROR, RMQ_TLS_ERROR_CONFIG,
                    "%sCertPath and %sKeyPath are needed for tlsServerMode %s", p, p,
                    mode == RMQ_TLS_MODE_ENFORCING ? "enforcing" : "permissive");
        return NULL;
    }
    g_autoptr(RmqTlsContext) c = context_new(TRUE);
    if (c == NULL) {
        g_set_error(error, RMQ_TLS_ERROR, RMQ_TLS_ERROR_CONFIG, "cannot create a TLS context");
        return NULL;
    }
    c->mode = mode;
    if (opts->test_mode && no_files) {
        if (!use_self_signed(c->ctx, error))
            return NULL;
        g_warning("tlsTestModeEnable: no %sCertPath, serving a self-signed certificate made at "
                  "start; only clients that do not verify (test mode) will connect", p);
    } else if (!load_identity(c->ctx, opts, error)) {
        return NULL;
    }
    if (opts->need_client_auth != RMQ_TLS_CLIENT_AUTH_NONE) {
        if (!load_trust(c->ctx, opts, error))
            return NULL;
        int flags = SSL_VERIFY_PEER;
        if (opts->need_client_auth == RMQ_TLS_CLIENT_AUTH_REQUIRE)
            flags |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        SSL_CTX_set_verify(c->ctx, flags, opts->auth_peer ? NULL : accept_any_cb);
    } else {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    }
    return g_steal_pointer(&c);
}

RmqTlsContext *
rmq_tls_context_new_client(const RmqTlsOptions *opts, GError **error)
{
    g_return_val_if_fail(opts != NULL, NULL);
    g_autoptr(RmqTlsContext) c = context_new(FALSE);
    if (c == NULL) {
        g_set_error(error, RMQ_TLS_ERROR, RMQ_TLS_ERROR_CONFIG, "cannot create a TLS context");
        return NULL;
    }
    c->mode = RMQ_TLS_MODE_ENFORCING;
    /* test mode: Java's client trusts any server (InsecureTrustManagerFactory)
     * and presents no certificate */
    if (!opts->test_mode && !load_identity(c->ctx, opts, error))
        return NULL;
    if (!opts->test_mode && opts->auth_peer) {
        if (!load_trust(c->ctx, opts, error))
            return NULL;
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    }
    return g_steal_pointer(&c);
}

RmqTlsContext *
rmq_tls_context_ref(RmqTlsContext *ctx)
{
    g_return_val_if_fail(ctx != NULL, NULL);
    g_atomic_int_inc(&ctx->ref_count);
    return ctx;
}

void
rmq_tls_context_unref(RmqTlsContext *ctx)
{
    if (ctx == NULL || !g_atomic_int_dec_and_test(&ctx->ref_count))
        return;
    SSL_CTX_free(ctx->ctx);
    g_free(ctx);
}

RmqTlsMode
rmq_tls_context_get_mode(RmqTlsContext *ctx)
{
    g_return_val_if_fail(ctx != NULL, RMQ_TLS_MODE_DISABLED);
    return ctx->mode;
}

/* --- sessions ------------------------------------------------------------ */

static void
start_tls(RmqTls *tls)
{
    tls->state = STATE_TLS;
    tls->ssl = SSL_new(tls->ctx->ctx);
    BIO *bio = BIO_new(fd_bio_method());
    BIO_set_data(bio, GINT_TO_POINTER(tls->fd));
    SSL_set_bio(tls->ssl, bio, bio);
    if (tls->ctx->server)
        SSL_set_accept_state(tls->ssl);
    else
        SSL_set_connect_state(tls->ssl);
}

RmqTls *
rmq_tls_new(RmqTlsContext *ctx, int fd)
{
    g_return_val_if_fail(ctx != NULL && fd >= 0, NULL);
    RmqTls *tls = g_new0(RmqTls, 1);
    tls->ctx = rmq_tls_context_ref(ctx);
    tls->fd = fd;
    if (ctx->server)
        tls->state = STATE_SNIFF;
    else
        start_tls(tls);
    return tls;
}

void
rmq_tls_free(RmqTls *tls)
{
    if (tls == NULL)
        return;
    if (tls->ssl != NULL) {
        if (!tls->failed && SSL_is_init_finished(tls->ssl))
            SSL_shutdown(tls->ssl); /* one try: close_notify if the socket takes it */
        ERR_clear_error();
        SSL_free(tls->ssl);
    }
    rmq_tls_context_unref(tls->ctx);
    g_free(tls->error);
    g_free(tls->description);
    g_free(tls->gather);
    g_free(tls);
}

static void
fail(RmqTls *tls, int ssl_error, int err)
{
    tls->failed = TRUE;
    g_free(tls->error);
    if (ssl_error == SSL_ERROR_SYSCALL) {
        tls->fail_errno = err != 0 ? err : ECONNRESET;
        tls->error = g_strdup_printf("TLS: %s", g_strerror(tls->fail_errno));
        ERR_clear_error();
        return;
    }
    tls->fail_errno = EPROTO;
    g_autofree gchar *why = openssl_errors();
    long verify = SSL_get_verify_result(tls->ssl);
    if (verify != X509_V_OK)
        tls->error = g_strdup_printf("TLS handshake failed: %s (%s)", why,
                                     X509_verify_cert_error_string(verify));
    else
        tls->error = g_strdup_printf("TLS %s: %s",
                                     SSL_is_init_finished(tls->ssl) ? "error" : "handshake failed",
                                     why);
}

/* Permissive and enforcing servers: TLS if the peer's first byte is 0x16. */
static gssize
sniff(RmqTls *tls)
{
    guint8 first;
    ssize_t n;
    do
        n = recv(tls->fd, &first, 1, MSG_PEEK);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return n; /* errno, or 0: the end */
    if (first == TLS_HANDSHAKE_BYTE) {
        start_tls(tls);
        return 1;
    }
    if (tls->ctx->mode == RMQ_TLS_MODE_ENFORCING) {
        tls->failed = TRUE;
        tls->fail_errno = EPROTO;
        tls->error = g_strdup("plain TCP on a TLS-only port (tlsServerMode enforcing): "
                              "the client must use TLS");
        errno = EPROTO;
        return -1;
    }
    tls->state = STATE_PLAIN;
    return 1;
}

gssize
rmq_tls_recv(RmqTls *tls, void *buf, gsize len)
{
    if (tls->state == STATE_SNIFF) {
        gssize n = sniff(tls);
        if (n <= 0)
            return n;
    }
    if (tls->state == STATE_PLAIN) {
        ssize_t n;
        do
            n = recv(tls->fd, buf, len, 0);
        while (n < 0 && errno == EINTR);
        return n;
    }
    tls->read_wants_write = FALSE;
    gsize got = 0;
    while (got < len && !tls->eof && !tls->failed) {
        ERR_clear_error();
        int n = SSL_read(tls->ssl, (guint8 *) buf + got, (int) MIN(len - got, G_MAXINT));
        if (n > 0) {
            got += (gsize) n;
            tls->starved = FALSE;
            /* Nothing left inside: stop rather than ask the socket for an
             * EAGAIN (a system call per read); poll says when more comes. */
            if (!SSL_has_pending(tls->ssl))
                break;
            continue;
        }
        int err = errno;
        int e = SSL_get_error(tls->ssl, n);
        if (e == SSL_ERROR_WANT_READ) {
            tls->starved = TRUE; /* a partial record: the socket must bring the rest */
            break;
        }
        if (e == SSL_ERROR_WANT_WRITE) {
            tls->read_wants_write = TRUE;
            break;
        }
        if (e == SSL_ERROR_ZERO_RETURN) {
            tls->eof = TRUE;
            break;
        }
        fail(tls, e, err);
    }
    if (got > 0)
        return (gssize) got;
    if (tls->eof)
        return 0;
    errno = tls->failed ? tls->fail_errno : EAGAIN;
    return -1;
}

gssize
rmq_tls_send(RmqTls *tls, const GOutputVector *vec, guint nvec)
{
    if (tls->state == STATE_PLAIN) {
        struct iovec iov[64];
        struct msghdr msg = { .msg_iov = iov, .msg_iovlen = MIN(nvec, G_N_ELEMENTS(iov)) };
        for (gsize i = 0; i < msg.msg_iovlen; i++) {
            iov[i].iov_base = (void *) vec[i].buffer;
            iov[i].iov_len = vec[i].size;
        }
        ssize_t n;
        do
            n = sendmsg(tls->fd, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        return n;
    }
    if (tls->failed) {
        errno = tls->fail_errno == EPROTO ? EPROTO : EPIPE;
        return -1;
    }
    if (tls->state == STATE_SNIFF) { /* a server speaks after the client */
        tls->write_wants_read = TRUE;
        errno = EAGAIN;
        return -1;
    }
    tls->write_wants_read = FALSE;
    gsize total = 0;
    guint i = 0;
    gsize off = 0;
    while (i < nvec) {
        gsize rest = vec[i].size - off;
        if (rest == 0) {
            i++;
            off = 0;
            continue;
        }
        /* The same bytes from the same place come out of this on every call
         * (the caller only adds vectors behind), and never fewer: what
         * OpenSSL asks of a write repeated after WANT_WRITE. */
        const guint8 *data;
        gsize n;
        if (rest >= WRITE_GATHER || i + 1 == nvec) {
            data = (const guint8 *) vec[i].buffer + off;
            n = rest;
        } else {
            if (tls->gather == NULL)
                tls->gather = g_malloc(WRITE_GATHER);
            n = 0;
            for (guint j = i; j < nvec && n < WRITE_GATHER; j++) {
                gsize skip = j == i ? off : 0;
                gsize take = MIN(vec[j].size - skip, WRITE_GATHER - n);
                memcpy(tls->gather + n, (const guint8 *) vec[j].buffer + skip, take);
                n += take;
            }
            data = tls->gather;
        }
        ERR_clear_error();
        int w = SSL_write(tls->ssl, data, (int) MIN(n, G_MAXINT));
        if (w <= 0) {
            int err = errno;
            int e = SSL_get_error(tls->ssl, w);
            if (e == SSL_ERROR_WANT_READ)
                tls->write_wants_read = TRUE;
            else if (e != SSL_ERROR_WANT_WRITE)
                fail(tls, e, err);
            break;
        }
        total += (gsize) w;
        /* advance over what went out */
        gsize left = (gsize) w;
        while (left > 0) {
            gsize r = vec[i].size - off;
            if (left < r) {
                off += left;
                break;
            }
            left -= r;
            i++;
            off = 0;
        }
    }
    if (total > 0)
        return (gssize) total;
    if (tls->failed) {
        errno = tls->fail_errno == EPROTO ? EPROTO : EPIPE;
        return -1;
    }
    errno = EAGAIN;
    return -1;
}

gboolean
rmq_tls_is_plain(RmqTls *tls)
{
    return tls->state == STATE_PLAIN;
}

gboolean
rmq_tls_read_wants_write(RmqTls *tls)
{
    return tls->read_wants_write;
}

gboolean
rmq_tls_write_wants_read(RmqTls *tls)
{
    return tls->write_wants_read;
}

gboolean
rmq_tls_has_pending(RmqTls *tls)
{
    if (tls->state != STATE_TLS)
        return FALSE;
    return tls->eof || tls->failed || (!tls->starved && SSL_has_pending(tls->ssl));
}

const gchar *
rmq_tls_get_error(RmqTls *tls)
{
    return tls->error != NULL ? tls->error : "TLS error";
}

const gchar *
rmq_tls_describe(RmqTls *tls)
{
    if (tls->state != STATE_TLS || !SSL_is_init_finished(tls->ssl))
        return NULL;
    if (tls->description == NULL)
        tls->description =
            g_strdup_printf("%s %s", SSL_get_version(tls->ssl), SSL_get_cipher_name(tls->ssl));
    return tls->description;
}
