/* TLS on RmqConnection (remoting/tls.h) over loopback, in process: a
 * self-signed certificate made with OpenSSL at test time; large frames
 * pipelined both ways (partial writes, WANT_WRITE retries, records left in
 * the session), permissive mode serving plain and TLS peers on one port,
 * a plain server refusing a TLS client, and the context's errors naming the
 * key and the file. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "remoting/client.h"
#include "remoting/codec.h"
#include "remoting/server.h"
#include "remoting/tls.h"
#include "support/net-util.h"

#define CODE_ECHO 9001
#define PASSWORD "s3cret"

static gchar *dir, *cert_path, *key_path, *enc_key_path, *other_key_path;

static void
write_key(EVP_PKEY *k, const gchar *path, const gchar *password)
{
    FILE *f = fopen(path, "w");
    g_assert_nonnull(f);
    if (password != NULL)
        g_assert_true(PEM_write_PKCS8PrivateKey(f, k, EVP_aes_256_cbc(), NULL, 0, NULL,
                                                (void *) password));
    else
        g_assert_true(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
    fclose(f);
}

static int
group_setup(void **state)
{
    dir = g_dir_make_tmp("rmq-tls-conn-XXXXXX", NULL);
    cert_path = g_build_filename(dir, "cert.pem", NULL);
    key_path = g_build_filename(dir, "key.pem", NULL);
    enc_key_path = g_build_filename(dir, "key-enc.pem", NULL);
    other_key_path = g_build_filename(dir, "other-key.pem", NULL);
    EVP_PKEY *k = EVP_EC_gen("P-256");
    EVP_PKEY *other = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, k);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) "rmq-unit", -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    g_assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    FILE *f = fopen(cert_path, "w");
    g_assert_nonnull(f);
    PEM_write_X509(f, x);
    fclose(f);
    write_key(k, key_path, NULL);
    write_key(k, enc_key_path, PASSWORD);
    write_key(other, other_key_path, NULL);
    X509_free(x);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
    return 0;
}

static int
group_teardown(void **state)
{
    for (const gchar *p = NULL, *const *ps = (const gchar *const[]){ cert_path, key_path,
                                                                      enc_key_path,
                                                                      other_key_path, NULL };
         (p = *ps) != NULL; ps++)
        g_unlink(p);
    g_rmdir(dir);
    g_free(dir);
    g_free(cert_path);
    g_free(key_path);
    g_free(enc_key_path);
    g_free(other_key_path);
    return 0;
}

typedef struct {
    RmqServer *server;
    guint16 port;
    gchar *addr;
    RmqClient *client;
    guint echo_calls;
} Fixture;

static void
on_echo(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    Fixture *f = user_data;
    f->echo_calls++;
    RmqCommand *response = rmq_command_new_response(request, 0, NULL);
    rmq_command_set_body(response, request->body);
    rmq_connection_send_response(conn, request, response);
    rmq_command_free(request);
}

static RmqTlsContext *
server_ctx(RmqTlsMode mode)
{
    RmqTlsOptions o = { .key_prefix = "tlsServer", .cert_path = cert_path,
                        .key_path = enc_key_path, .key_password = PASSWORD };
    g_autoptr(GError) error = NULL;
    RmqTlsContext *ctx = rmq_tls_context_new_server(mode, &o, &error);
    g_assert_no_error(error);
    return ctx;
}

static RmqTlsContext *
client_ctx(void)
{
    /* the self-signed certificate is its own CA */
    RmqTlsOptions o = { .key_prefix = "tlsClient", .auth_peer = TRUE,
                        .trust_cert_path = cert_path };
    g_autoptr(GError) error = NULL;
    RmqTlsContext *ctx = rmq_tls_context_new_client(&o, &error);
    g_assert_no_error(error);
    return ctx;
}

static Fixture *
fixture_new(RmqTlsMode mode, gboolean client_tls)
{
    Fixture *f = g_new0(Fixture, 1);
    f->server = rmq_server_new("tls-test");
    rmq_server_register(f->server, CODE_ECHO, on_echo, f);
    if (mode != RMQ_TLS_MODE_DISABLED) {
        g_autoptr(RmqTlsContext) ctx = server_ctx(mode);
        rmq_server_set_tls(f->server, ctx);
    }
    g_autoptr(GError) error = NULL;
    g_assert_true(rmq_server_listen(f->server, "127.0.0.1", 0, &error));
    f->port = rmq_server_get_port(f->server);
    f->addr = g_strdup_printf("127.0.0.1:%u", f->port);
    f->client = rmq_client_new(NULL);
    if (client_tls) {
        g_autoptr(RmqTlsContext) ctx = client_ctx();
        rmq_client_set_tls(f->client, ctx);
    }
    return f;
}

static void
fixture_free(Fixture *f)
{
    rmq_client_free(f->client);
    rmq_server_free(f->server);
    g_free(f->addr);
    g_free(f);
}

static GBytes *
random_body(gsize size, guint32 seed)
{
    guint8 *b = g_malloc(size);
    GRand *r = g_rand_new_with_seed(seed);
    for (gsize i = 0; i < size; i++)
        b[i] = (guint8) g_rand_int(r);
    g_rand_free(r);
    return g_bytes_new_take(b, size);
}

static RmqCommand *
echo(RmqClient *c, const gchar *addr, GBytes *body, GError **error)
{
    RmqCommand *req = rmq_command_new_request(CODE_ECHO);
    if (body != NULL)
        rmq_command_set_body(req, body);
    return rmq_client_invoke_sync(c, addr, req, 20000, error);
}

typedef struct {
    GBytes *body;
    gboolean done;
    gboolean ok;
    guint *finished;
} Call;

static void
on_response(RmqCommand *response, const GError *error, gpointer user_data)
{
    Call *c = user_data;
    c->done = TRUE;
    c->ok = response != NULL && response->body != NULL && g_bytes_equal(response->body, c->body);
    if (error != NULL)
        g_printerr("# %s\n", error->message);
    (*c->finished)++;
    rmq_command_free(response);
}

/* 24 requests in flight at once, 1 MiB and small ones mixed: the output
 * queues of both ends back up, so writes are cut short and resumed. */
static void
test_pipelined_large_over_tls(void **state)
{
    Fixture *f = fixture_new(RMQ_TLS_MODE_ENFORCING, TRUE);
    enum { N = 24 };
    Call calls[N];
    guint finished = 0;
    for (guint i = 0; i < N; i++) {
        calls[i] = (Call){ .body = random_body(i % 3 == 0 ? 100 + i : 1024 * 1024 + i, i + 1),
                           .finished = &finished };
        RmqCommand *req = rmq_command_new_request(CODE_ECHO);
        rmq_command_set_body(req, calls[i].body);
        rmq_client_invoke_async(f->client, f->addr, req, 30000, on_response, &calls[i]);
    }
    assert_true(rmq_test_wait_count(NULL, &finished, N, 60000));
    for (guint i = 0; i < N; i++) {
        assert_true(calls[i].ok);
        g_bytes_unref(calls[i].body);
    }
    assert_int_equal(f->echo_calls, N);
    RmqConnection *conn = rmq_client_get_connection(f->client, f->addr);
    assert_non_null(conn);
    assert_non_null(rmq_connection_get_tls_description(conn));
    fixture_free(f);
}

static void
test_large_body_over_tls(void **state)
{
    Fixture *f = fixture_new(RMQ_TLS_MODE_ENFORCING, TRUE);
    g_autoptr(GBytes) body = random_body(8 * 1024 * 1024, 99);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) r = echo(f->client, f->addr, body, &error);
    assert_null(error);
    assert_non_null(r);
    assert_true(g_bytes_equal(r->body, body));
    fixture_free(f);
}

/* Frames just over what one read wake-up takes (16 reads of 64 KiB): the
 * last bytes can sit decrypted, or read ahead, inside the session with
 * nothing left in the socket to wake poll; they must still be read. */
static void
test_frames_at_the_wakeup_limit(void **state)
{
    Fixture *f = fixture_new(RMQ_TLS_MODE_ENFORCING, TRUE);
    for (gsize extra = 0; extra < 400; extra += 13) {
        g_autoptr(GBytes) body = random_body(1024 * 1024 - 200 + extra, (guint32) extra);
        RmqCommand *req = rmq_command_new_request(CODE_ECHO);
        rmq_command_set_body(req, body);
        g_autoptr(GError) error = NULL;
        g_autoptr(RmqCommand) r = rmq_client_invoke_sync(f->client, f->addr, req, 5000, &error);
        if (r == NULL)
            fail_msg("body of %zu bytes: %s", g_bytes_get_size(body), error->message);
        assert_true(g_bytes_equal(r->body, body));
    }
    fixture_free(f);
}

/* A blocking OpenSSL client in a thread (another TLS implementation's
 * record cuts) writes a whole frame of about 16 x 64 KiB while the server's
 * loop is held, so all of it waits in the kernel when the server reads. */
typedef struct {
    guint16 port;
    GBytes *frame;
    GMutex lock;
    GCond cond;
    gint stage; /* 1 handshake done, 2 frame written, 3 answer read (or failed) */
    gboolean ok;
} RawPeer;

static void
raw_stage(RawPeer *p, gint stage)
{
    g_mutex_lock(&p->lock);
    p->stage = stage;
    g_cond_broadcast(&p->cond);
    g_mutex_unlock(&p->lock);
}

static gboolean
ssl_read_all(SSL *ssl, guint8 *buf, gsize n)
{
    for (gsize got = 0; got < n;) {
        int r = SSL_read(ssl, buf + got, (int) (n - got));
        if (r <= 0)
            return FALSE;
        got += (gsize) r;
    }
    return TRUE;
}

static gpointer
raw_peer_thread(gpointer data)
{
    RawPeer *p = data;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int big = 8 * 1024 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p->port) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    SSL *ssl = SSL_new(ctx);
    gboolean ok = connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0 &&
                  SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1;
    raw_stage(p, 1);
    gsize len;
    const guint8 *data_ = g_bytes_get_data(p->frame, &len);
    /* two writes, so the records do not line up with the server's reads */
    ok = ok && len > 1000 && SSL_write(ssl, data_, 1000) == 1000 &&
         SSL_write(ssl, data_ + 1000, (int) (len - 1000)) == (int) (len - 1000);
    raw_stage(p, 2);
    guint8 head[4];
    if (ok && ssl_read_all(ssl, head, 4)) {
        guint32 flen = GUINT32_FROM_BE(*(guint32 *) head);
        g_autofree guint8 *rest = g_malloc(flen);
        ok = ssl_read_all(ssl, rest, flen) && flen > len - 4 - 200; /* the body came back */
    } else {
        ok = FALSE;
    }
    p->ok = ok;
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
    raw_stage(p, 3);
    return NULL;
}

static gboolean
raw_wait_stage(RawPeer *p, gint stage, gboolean iterate, guint timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    for (;;) {
        g_mutex_lock(&p->lock);
        gint now = p->stage;
        g_mutex_unlock(&p->lock);
        if (now >= stage)
            return TRUE;
        if (g_get_monotonic_time() > end)
            return FALSE;
        if (iterate)
            g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

static void
test_whole_frame_waiting_in_the_kernel(void **state)
{
    Fixture *f = fixture_new(RMQ_TLS_MODE_ENFORCING, FALSE);
    for (gsize extra = 0; extra < 300; extra += 37) {
        g_autoptr(GBytes) body = random_body(16 * 64 * 1024 - 120 + extra, (guint32) extra);
        g_autoptr(RmqCommand) req = rmq_command_new_request(CODE_ECHO);
        rmq_command_set_body(req, body);
        RawPeer p = { .port = f->port, .frame = rmq_codec_encode(req) };
        g_mutex_init(&p.lock);
        g_cond_init(&p.cond);
        GThread *t = g_thread_new("raw-tls-peer", raw_peer_thread, &p);
        assert_true(raw_wait_stage(&p, 1, TRUE, 10000));  /* the loop runs the handshake */
        assert_true(raw_wait_stage(&p, 2, FALSE, 10000)); /* loop held: all in the kernel */
        gboolean answered = raw_wait_stage(&p, 3, TRUE, 5000);
        if (!answered) { /* unblock the thread: close the server's side */
            rmq_server_free(f->server);
            f->server = rmq_server_new("tls-test");
        }
        g_thread_join(t);
        g_bytes_unref(p.frame);
        g_mutex_clear(&p.lock);
        g_cond_clear(&p.cond);
        if (!answered || !p.ok)
            fail_msg("frame of %zu bytes not answered", g_bytes_get_size(body));
    }
    fixture_free(f);
}

static void
test_permissive_serves_both(void **state)
{
    Fixture *f = fixture_new(RMQ_TLS_MODE_PERMISSIVE, TRUE);
    g_autoptr(RmqClient) plain = rmq_client_new(NULL);
    g_autoptr(GBytes) body = random_body(300000, 7);
    for (int round = 0; round < 3; round++) {
        g_autoptr(GError) e1 = NULL, e2 = NULL;
        g_autoptr(RmqCommand) a = echo(f->client, f->addr, body, &e1);
        g_autoptr(RmqCommand) b = echo(plain, f->addr, body, &e2);
        assert_non_null(a);
        assert_non_null(b);
        assert_true(g_bytes_equal(a->body, body));
        assert_true(g_bytes_equal(b->body, body));
    }
    /* the TLS peer is TLS, the plain one plain */
    assert_non_null(rmq_connection_get_tls_description(rmq_client_get_connection(f->client,
                                                                                  f->addr)));
    assert_null(rmq_connection_get_tls_description(rmq_client_get_connection(plain, f->addr)));
    fixture_free(f);
}

static void
on_server_close(RmqConnection *conn, gpointer user_data)
{
    gchar **reason = user_data;
    g_free(*reason);
    *reason = g_strdup(rmq_connection_get_close_reason(conn));
}

static void
test_enforcing_refuses_plain_and_plain_refuses_tls(void **state)
{
    Fixture *f = fixture_new(RMQ_TLS_MODE_ENFORCING, FALSE);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) r = echo(f->client, f->addr, NULL, &error);
    assert_null(r);
    assert_non_null(error);
    assert_int_equal(f->echo_calls, 0);
    fixture_free(f);

    Fixture *g = fixture_new(RMQ_TLS_MODE_DISABLED, TRUE);
    g_autofree gchar *reason = NULL;
    rmq_server_set_connection_callbacks(g->server, NULL, on_server_close, &reason);
    g_autoptr(GError) error2 = NULL;
    g_autoptr(RmqCommand) r2 = echo(g->client, g->addr, NULL, &error2);
    assert_null(r2);
    assert_non_null(error2);
    assert_int_equal(g->echo_calls, 0);
    /* the plain server says what it saw */
    for (int i = 0; i < 100 && reason == NULL; i++)
        rmq_test_spin(NULL, 10);
    assert_non_null(reason);
    assert_non_null(strstr(reason, "a TLS client on a plain connection"));
    fixture_free(g);
}

/* tlsServerNeedClientAuth: a client certificate asked for and (with
 * tlsServerAuthClient) checked against tlsServerTrustCertPath. */
static gboolean
echo_with(RmqTlsClientAuth need, gboolean auth_client, const gchar *client_cert,
          const gchar *client_key)
{
    RmqServer *server = rmq_server_new("tls-auth");
    Fixture f = { 0 };
    rmq_server_register(server, CODE_ECHO, on_echo, &f);
    RmqTlsOptions so = { .key_prefix = "tlsServer", .cert_path = cert_path, .key_path = key_path,
                         .need_client_auth = need, .auth_peer = auth_client,
                         .trust_cert_path = cert_path };
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqTlsContext) sctx = rmq_tls_context_new_server(RMQ_TLS_MODE_ENFORCING, &so, &error);
    g_assert_no_error(error);
    rmq_server_set_tls(server, sctx);
    g_assert_true(rmq_server_listen(server, "127.0.0.1", 0, &error));
    g_autofree gchar *addr = g_strdup_printf("127.0.0.1:%u", rmq_server_get_port(server));
    RmqTlsOptions co = { .key_prefix = "tlsClient", .auth_peer = TRUE,
                         .trust_cert_path = cert_path, .cert_path = client_cert,
                         .key_path = client_key };
    g_autoptr(RmqTlsContext) cctx = rmq_tls_context_new_client(&co, &error);
    g_assert_no_error(error);
    RmqClient *c = rmq_client_new(NULL);
    rmq_client_set_tls(c, cctx);
    g_autoptr(RmqCommand) r = echo(c, addr, NULL, &error);
    rmq_client_free(c);
    rmq_server_free(server);
    return r != NULL;
}

static void
test_client_certificates(void **state)
{
    /* a second self-signed identity the server does not trust */
    g_autofree gchar *ocert = g_build_filename(dir, "other-cert.pem", NULL);
    FILE *fk = fopen(other_key_path, "r");
    EVP_PKEY *k = PEM_read_PrivateKey(fk, NULL, NULL, NULL);
    fclose(fk);
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, k);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *) "stranger", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_sign(x, k, EVP_sha256());
    FILE *fc = fopen(ocert, "w");
    PEM_write_X509(fc, x);
    fclose(fc);
    X509_free(x);
    EVP_PKEY_free(k);

    assert_true(echo_with(RMQ_TLS_CLIENT_AUTH_NONE, FALSE, NULL, NULL));
    assert_true(echo_with(RMQ_TLS_CLIENT_AUTH_OPTIONAL, TRUE, NULL, NULL));
    assert_false(echo_with(RMQ_TLS_CLIENT_AUTH_REQUIRE, TRUE, NULL, NULL));
    assert_true(echo_with(RMQ_TLS_CLIENT_AUTH_REQUIRE, TRUE, cert_path, key_path));
    assert_false(echo_with(RMQ_TLS_CLIENT_AUTH_REQUIRE, TRUE, ocert, other_key_path));
    /* tlsServerAuthClient false: any certificate will do (Java's insecure trust manager) */
    assert_true(echo_with(RMQ_TLS_CLIENT_AUTH_REQUIRE, FALSE, ocert, other_key_path));
    assert_false(echo_with(RMQ_TLS_CLIENT_AUTH_REQUIRE, FALSE, NULL, NULL));
    g_unlink(ocert);
}

/* tlsTestModeEnable without files: a self-signed certificate made at start
 * (Java's SelfSignedCertificate); test-mode clients connect, verifying ones
 * do not. */
static void
test_test_mode_self_signed(void **state)
{
    RmqServer *server = rmq_server_new("tls-test-mode");
    Fixture f = { 0 };
    rmq_server_register(server, CODE_ECHO, on_echo, &f);
    RmqTlsOptions so = { .key_prefix = "tlsServer", .test_mode = TRUE };
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqTlsContext) sctx = rmq_tls_context_new_server(RMQ_TLS_MODE_PERMISSIVE, &so, &error);
    g_assert_no_error(error);
    rmq_server_set_tls(server, sctx);
    g_assert_true(rmq_server_listen(server, "127.0.0.1", 0, &error));
    g_autofree gchar *addr = g_strdup_printf("127.0.0.1:%u", rmq_server_get_port(server));

    RmqTlsOptions insecure = { .key_prefix = "tlsClient", .test_mode = TRUE };
    g_autoptr(RmqTlsContext) ictx = rmq_tls_context_new_client(&insecure, &error);
    RmqClient *c = rmq_client_new(NULL);
    rmq_client_set_tls(c, ictx);
    g_autoptr(RmqCommand) ok = echo(c, addr, NULL, &error);
    assert_non_null(ok);
    rmq_client_free(c);

    RmqTlsOptions verifying = { .key_prefix = "tlsClient", .auth_peer = TRUE,
                                .trust_cert_path = cert_path };
    g_autoptr(RmqTlsContext) vctx = rmq_tls_context_new_client(&verifying, &error);
    RmqClient *v = rmq_client_new(NULL);
    rmq_client_set_tls(v, vctx);
    g_autoptr(GError) verror = NULL;
    g_autoptr(RmqCommand) refused = echo(v, addr, NULL, &verror);
    assert_null(refused);
    rmq_client_free(v);
    rmq_server_free(server);
    assert_int_equal(f.echo_calls, 1);
}

static void
expect_server_error(const gchar *cert, const gchar *key, const gchar *password,
                    const gchar *needle1, const gchar *needle2)
{
    RmqTlsOptions o = { .key_prefix = "tlsServer", .cert_path = cert, .key_path = key,
                        .key_password = password };
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqTlsContext) ctx = rmq_tls_context_new_server(RMQ_TLS_MODE_ENFORCING, &o, &error);
    assert_null(ctx);
    assert_non_null(error);
    if (strstr(error->message, needle1) == NULL || strstr(error->message, needle2) == NULL)
        fail_msg("'%s' lacks '%s' or '%s'", error->message, needle1, needle2);
}

static void
test_context_errors(void **state)
{
    g_autofree gchar *missing = g_build_filename(dir, "missing.pem", NULL);
    expect_server_error(missing, key_path, NULL, "tlsServerCertPath", missing);
    expect_server_error(cert_path, missing, NULL, "tlsServerKeyPath", missing);
    expect_server_error(cert_path, enc_key_path, NULL, "tlsServerKeyPath", enc_key_path);
    expect_server_error(cert_path, enc_key_path, "wrong", "tlsServerKeyPath", enc_key_path);
    expect_server_error(cert_path, other_key_path, NULL, "does not match", other_key_path);
    expect_server_error(key_path, key_path, NULL, "tlsServerCertPath", key_path);
    expect_server_error(NULL, key_path, NULL, "tlsServerCertPath", "needed");
    /* and the good ones load */
    RmqTlsOptions o = { .cert_path = cert_path, .key_path = key_path };
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqTlsContext) ctx = rmq_tls_context_new_server(RMQ_TLS_MODE_PERMISSIVE, &o, &error);
    assert_non_null(ctx);
    assert_int_equal(rmq_tls_context_get_mode(ctx), RMQ_TLS_MODE_PERMISSIVE);
    /* a client with a trust file that is not one */
    RmqTlsOptions c = { .key_prefix = "tlsClient", .auth_peer = TRUE, .trust_cert_path = key_path };
    g_autoptr(GError) cerr = NULL;
    g_autoptr(RmqTlsContext) cctx = rmq_tls_context_new_client(&c, &cerr);
    assert_null(cctx);
    assert_non_null(strstr(cerr->message, "tlsClientTrustCertPath"));
}

static void
test_parsers(void **state)
{
    RmqTlsMode m;
    assert_true(rmq_tls_mode_parse("ENFORCING", &m));
    assert_int_equal(m, RMQ_TLS_MODE_ENFORCING);
    assert_true(rmq_tls_mode_parse("permissive", &m));
    assert_int_equal(m, RMQ_TLS_MODE_PERMISSIVE);
    assert_false(rmq_tls_mode_parse("on", &m));
    RmqTlsClientAuth a;
    assert_true(rmq_tls_client_auth_parse("require", &a));
    assert_int_equal(a, RMQ_TLS_CLIENT_AUTH_REQUIRE);
    assert_false(rmq_tls_client_auth_parse("yes", &a));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelined_large_over_tls),
        cmocka_unit_test(test_large_body_over_tls),
        cmocka_unit_test(test_frames_at_the_wakeup_limit),
        cmocka_unit_test(test_whole_frame_waiting_in_the_kernel),
        cmocka_unit_test(test_permissive_serves_both),
        cmocka_unit_test(test_enforcing_refuses_plain_and_plain_refuses_tls),
        cmocka_unit_test(test_client_certificates),
        cmocka_unit_test(test_test_mode_self_signed),
        cmocka_unit_test(test_context_errors),
        cmocka_unit_test(test_parsers),
    };
    return cmocka_run_group_tests_name("tls", tests, group_setup, group_teardown);
}
