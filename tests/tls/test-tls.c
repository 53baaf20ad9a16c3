/* TLS on the remoting ports (docs/architecture.md, "TLS"): a CA and server
 * certificates made with openssl(1) at test time (no key is committed), a
 * name server and a broker in tlsServerMode enforcing (the broker's key
 * encrypted, its registrations going to the name server over TLS), the C
 * client library sending and pulling over TLS; plain TCP refused on every
 * enforcing port with a log line and accepted in permissive mode; a wrong CA
 * refused; openssl s_client sees the certificate; a broken key stops the
 * daemon before READY naming the key; a Java tls.properties read through
 * tlsConfigFile; a handshake that never finishes is cut off. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <poll.h>

#include "../broker/harness.h"
#include "client/rmq-client.h"
#include "remoting/codes.h"
#include "remoting/tls.h"

#define TOPIC "TlsTopic"
#define GROUP "TlsGroup"
#define KEY_PASSWORD "changeit"

static gchar *dir;
static gchar *ca_pem, *other_ca_pem, *server_pem, *server_key, *server_enc_key;
static BkDaemon *ns, *br;
static gchar *vip_addr;
static gboolean have_openssl;

/* Run openssl(1) with @args (space separated, no quoting needed here). */
static gboolean
openssl(const gchar *args, gchar **out)
{
    g_autofree gchar *cmd = g_strdup_printf("openssl %s", args);
    g_auto(GStrv) argv = g_strsplit(cmd, " ", -1);
    gchar *so = NULL, *se = NULL;
    gint status = -1;
    g_autoptr(GError) error = NULL;
    gboolean ok = g_spawn_sync(dir, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &so, &se,
                               &status, &error) &&
                  g_spawn_check_wait_status(status, NULL);
    if (!ok)
        g_printerr("# openssl %s: %s %s\n", args, error != NULL ? error->message : "", se);
    if (out != NULL)
        *out = g_strconcat(so != NULL ? so : "", se != NULL ? se : "", NULL);
    g_free(so);
    g_free(se);
    return ok;
}

static gboolean
make_ca(const gchar *name, const gchar *cn)
{
    g_autofree gchar *a = g_strdup_printf(
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-keyout %s.key -out %s.pem -subj /CN=%s", name, name, cn);
    return openssl(a, NULL);
}

static gchar *
path(const gchar *name)
{
    return g_build_filename(dir, name, NULL);
}

static void
append(const gchar *file, const gchar *text)
{
    g_autofree gchar *old = NULL;
    g_assert(g_file_get_contents(file, &old, NULL, NULL));
    g_autofree gchar *both = g_strconcat(old, text, NULL);
    g_assert(g_file_set_contents(file, both, -1, NULL));
}

/* tlsServer* lines for a daemon in @mode with the plain key. */
static gchar *
server_conf(const gchar *mode)
{
    return g_strdup_printf("tlsServerMode = \"%s\";\ntlsServerCertPath = \"%s\";\n"
                           "tlsServerKeyPath = \"%s\";\n",
                           mode, server_pem, server_key);
}

static int
setup(void **state)
{
    dir = g_dir_make_tmp("rmq-tls-XXXXXX", NULL);
    g_autofree gchar *probe = g_find_program_in_path("openssl");
    have_openssl = probe != NULL;
    if (!have_openssl)
        return 0;
    /* an IP SAN, for HTTPS clients that check the host (curl) */
    g_autofree gchar *san = g_build_filename(dir, "san.ext", NULL);
    g_assert(g_file_set_contents(san, "subjectAltName=IP:127.0.0.1\n", -1, NULL));
    if (!make_ca("ca", "rmq-test-ca") || !make_ca("other-ca", "rmq-other-ca") ||
        !openssl("req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key "
                 "-out server.csr -subj /CN=rmq-test-server", NULL) ||
        !openssl("x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
                 "-extfile san.ext -out server.pem", NULL) ||
        !openssl("pkcs8 -topk8 -in server.key -out server-enc.key -v2 aes-256-cbc "
                 "-passout pass:" KEY_PASSWORD, NULL))
        return -1;
    ca_pem = path("ca.pem");
    other_ca_pem = path("other-ca.pem");
    server_pem = path("server.pem");
    server_key = path("server.key");
    server_enc_key = path("server-enc.key");

    ns = bk_namesrv_new();
    g_autofree gchar *tls = server_conf("enforcing");
    g_autofree gchar *nsc = g_strdup_printf("%sserverFrameTimeoutSeconds = 2;\n", tls);
    append(ns->conf_path, nsc);
    if (!bk_daemon_start_or_say(ns, 20000))
        return -1;
    /* the broker: an encrypted PKCS#8 key; tlsEnable follows enforcing, so
     * its registrations need the CA */
    g_autofree gchar *brc = g_strdup_printf(
        "tlsServerMode = \"enforcing\";\ntlsServerCertPath = \"%s\";\ntlsServerKeyPath = \"%s\";\n"
        "tlsServerKeyPassword = \"" KEY_PASSWORD "\";\ntlsClientTrustCertPath = \"%s\";\n",
        server_pem, server_enc_key, ca_pem);
    br = bk_broker_new(ns->addr, brc);
    if (!bk_daemon_start_or_say(br, 30000))
        return -1;
    vip_addr = g_strdup_printf("127.0.0.1:%u", br->port - 2);
    return 0;
}

static int
teardown(void **state)
{
    g_clear_pointer(&br, bk_daemon_free);
    g_clear_pointer(&ns, bk_daemon_free);
    if (dir != NULL)
        rmq_test_rm_rf(dir);
    g_clear_pointer(&dir, g_free);
    g_free(ca_pem);
    g_free(other_ca_pem);
    g_free(server_pem);
    g_free(server_key);
    g_free(server_enc_key);
    g_free(vip_addr);
    return 0;
}

#define NEED_OPENSSL()                                                         \
    do {                                                                       \
        if (!have_openssl) {                                                   \
            g_printerr("# openssl(1) not installed: no certificates to test with\n"); \
            skip();                                                            \
        }                                                                      \
    } while (0)

/* A remoting client: plain (@trust NULL, !@insecure), verifying against
 * @trust, or trusting anything. */
static RmqClient *
client_new(gboolean tls, const gchar *trust, gboolean insecure)
{
    RmqClient *c = rmq_client_new(NULL);
    if (tls) {
        RmqTlsOptions o = { .key_prefix = "tlsClient", .auth_peer = !insecure,
                            .trust_cert_path = trust };
        g_autoptr(GError) error = NULL;
        g_autoptr(RmqTlsContext) ctx = rmq_tls_context_new_client(&o, &error);
        g_assert_no_error(error);
        rmq_client_set_tls(c, ctx);
    }
    return c;
}

static gboolean
answers(RmqClient *c, const gchar *addr)
{
    g_autoptr(RmqCommand) r = bk_invoke(c, addr, RMQ_REQUEST_GET_BROKER_CLUSTER_INFO, NULL, NULL);
    return r != NULL;
}

/* Waits up to 5 s for @needle in @d's log. */
static gboolean
log_has(BkDaemon *d, const gchar *needle)
{
    for (int i = 0; i < 50; i++) {
        g_autofree gchar *log = bk_daemon_log(d);
        if (strstr(log, needle) != NULL)
            return TRUE;
        g_usleep(100 * 1000);
    }
    return FALSE;
}

static void
test_client_library_over_tls(void **state)
{
    NEED_OPENSSL();
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqAdmin) a = rmq_admin_new(ns->addr, NULL);
    assert_true(rmq_instance_set_tls(rmq_admin_get_instance(a), TRUE, ca_pem, NULL, NULL, NULL,
                                     &error));
    RmqTopicSpec spec;
    rmq_topic_spec_init(&spec);
    spec.read_queue_nums = spec.write_queue_nums = 2;
    if (!rmq_admin_update_topic(a, br->addr, TOPIC, &spec, &error))
        fail_msg("create topic over TLS: %s", error->message);

    g_autoptr(RmqProducer) p = rmq_producer_new(GROUP, ns->addr, NULL);
    assert_true(rmq_instance_set_tls(rmq_producer_get_instance(p), TRUE, ca_pem, NULL, NULL, NULL,
                                     &error));
    rmq_producer_set_compress_msg_body_over_howmuch(p, 8 * 1024 * 1024);
    /* the route is the broker's registration, which went over TLS too */
    GPtrArray *qs = NULL;
    for (int i = 0; i < 100 && (qs == NULL || qs->len == 0); i++) {
        g_clear_pointer(&qs, g_ptr_array_unref);
        g_clear_error(&error);
        qs = rmq_producer_fetch_publish_queues(p, TOPIC, &error);
        if (qs == NULL || qs->len == 0)
            g_usleep(100 * 1000);
    }
    assert_non_null(qs);
    assert_true(qs->len > 0);
    RmqQueue *mq = g_ptr_array_index(qs, 0);

    /* a small body and one of 1 MiB (many TLS records, partial writes) */
    gsize big_len = 1024 * 1024;
    g_autofree guint8 *big = g_malloc(big_len);
    for (gsize i = 0; i < big_len; i++)
        big[i] = (guint8) g_random_int();
    const struct { const void *data; gsize len; } bodies[] = {
        { "hello over TLS", 14 }, { big, big_len }, { "after the big one", 17 },
    };
    gint64 first = -1;
    for (gsize i = 0; i < G_N_ELEMENTS(bodies); i++) {
        g_autoptr(RmqMsg) m = rmq_msg_new(TOPIC, bodies[i].data, (gssize) bodies[i].len);
        RmqSendResult r = { 0 };
        if (!rmq_producer_send_to_queue(p, m, mq, &r, &error))
            fail_msg("send %zu over TLS: %s", i, error->message);
        assert_int_equal(r.status, RMQ_SEND_OK);
        if (first < 0)
            first = r.queue_offset;
        rmq_send_result_clear(&r);
    }

    g_autoptr(RmqConsumer) c = rmq_consumer_new(GROUP, ns->addr, NULL);
    assert_true(rmq_instance_set_tls(rmq_consumer_get_instance(c), TRUE, ca_pem, NULL, NULL, NULL,
                                     &error));
    gsize got = 0;
    gint64 offset = first;
    for (int round = 0; round < 20 && got < G_N_ELEMENTS(bodies); round++) {
        RmqPullResult r = { 0 };
        if (!rmq_consumer_pull(c, mq, "*", offset, 32, 0, &r, &error))
            fail_msg("pull over TLS: %s", error->message);
        for (guint i = 0; r.msgs != NULL && i < r.msgs->len; i++, got++) {
            RmqMsg *m = g_ptr_array_index(r.msgs, i);
            gsize len;
            const void *data = g_bytes_get_data(m->body, &len);
            assert_true(got < G_N_ELEMENTS(bodies));
            assert_int_equal(len, bodies[got].len);
            assert_memory_equal(data, bodies[got].data, len);
        }
        offset = r.next_begin_offset;
        rmq_pull_result_clear(&r);
    }
    assert_int_equal(got, G_N_ELEMENTS(bodies));
    g_ptr_array_unref(qs);
}

static void
test_plain_refused_when_enforcing(void **state)
{
    NEED_OPENSSL();
    g_autoptr(RmqClient) plain = client_new(FALSE, NULL, FALSE);
    assert_false(answers(plain, ns->addr));
    assert_false(answers(plain, br->addr));
    assert_false(answers(plain, vip_addr));
    assert_true(log_has(ns, "plain TCP on a TLS-only port (tlsServerMode enforcing)"));
    assert_true(log_has(br, "plain TCP on a TLS-only port (tlsServerMode enforcing)"));
    /* and TLS gets through on all three */
    g_autoptr(RmqClient) tls = client_new(TRUE, ca_pem, FALSE);
    assert_true(answers(tls, ns->addr));
    assert_true(answers(tls, br->addr));
    assert_true(answers(tls, vip_addr));
}

static void
test_wrong_ca_refused(void **state)
{
    NEED_OPENSSL();
    g_autoptr(RmqClient) wrong = client_new(TRUE, other_ca_pem, FALSE);
    assert_false(answers(wrong, ns->addr));
    assert_false(answers(wrong, br->addr));
    /* the server hears the client's alert */
    assert_true(log_has(ns, "TLS handshake failed"));
    /* Java's test mode: any certificate is taken */
    g_autoptr(RmqClient) insecure = client_new(TRUE, NULL, TRUE);
    assert_true(answers(insecure, ns->addr));
}

/* A slave of the enforcing broker, enforcing too: it registers and copies the
 * master's metadata over TLS (tlsEnable follows enforcing), and the commit
 * log comes over the plain HA port; a message sent to the master is pulled
 * from the slave. */
static void
test_slave_over_tls(void **state)
{
    NEED_OPENSSL();
    g_autofree gchar *sconf = g_strdup_printf(
        "brokerRole = \"SLAVE\";\nbrokerId = 1;\nhaSendHeartbeatInterval = 1000;\n"
        "tlsServerMode = \"enforcing\";\ntlsServerCertPath = \"%s\";\ntlsServerKeyPath = \"%s\";\n"
        "tlsClientTrustCertPath = \"%s\";\n", server_pem, server_key, ca_pem);
    g_autoptr(BkDaemon) slave = bk_broker_new(ns->addr, sconf);
    assert_true(bk_daemon_start_or_say(slave, 30000));
    g_autoptr(RmqClient) tls = client_new(TRUE, ca_pem, FALSE);
    g_autoptr(RmqCommand) ct = bk_invoke(tls, br->addr, RMQ_REQUEST_UPDATE_AND_CREATE_TOPIC, NULL,
                                         "topic", "TlsSlaveTopic", "defaultTopic", "TBW102",
                                         "readQueueNums", "1", "writeQueueNums", "1", "perm", "6",
                                         "topicFilterType", "SINGLE_TAG", "order", "false", NULL);
    assert_non_null(ct);
    assert_int_equal(ct->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) sent = bk_send(tls, br->addr, "TlsSlaveTopic", 0, NULL, NULL,
                                         "replicated under TLS", NULL);
    assert_non_null(sent);
    assert_int_equal(sent->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) m = bk_pull(tls, br->addr, "TlsSlaveGroup", "TlsSlaveTopic", 0, 0, "*", 0);
    assert_non_null(m);
    assert_int_equal(m->code, RMQ_RESPONSE_SUCCESS);
    /* the slave copies topics 3 s after it starts, then every 10 s */
    RmqCommand *s = NULL;
    for (int i = 0; i < 100; i++) {
        s = bk_pull(tls, slave->addr, "TlsSlaveGroup", "TlsSlaveTopic", 0, 0, "*", 0);
        if (s != NULL && s->code == RMQ_RESPONSE_SUCCESS)
            break;
        g_clear_pointer(&s, rmq_command_free);
        g_usleep(200 * 1000);
    }
    if (s == NULL) {
        g_autofree gchar *log = bk_daemon_log(slave);
        fail_msg("the slave never served the topic; its log:\n%s", log);
    }
    assert_true(g_bytes_equal(m->body, s->body));
    rmq_command_free(s);
}

/* GET_BROKER_CONFIG reports the TLS keys in force, the password masked. */
static void
test_broker_config_masks_the_password(void **state)
{
    NEED_OPENSSL();
    g_autoptr(RmqClient) tls = client_new(TRUE, ca_pem, FALSE);
    g_autoptr(RmqCommand) r = bk_invoke(tls, br->addr, RMQ_REQUEST_GET_BROKER_CONFIG, NULL, NULL);
    assert_non_null(r);
    g_autofree gchar *body = bk_body_text(r);
    assert_non_null(strstr(body, "tlsServerMode=enforcing"));
    assert_non_null(strstr(body, "tlsEnable=true"));
    assert_non_null(strstr(body, "tlsServerKeyPassword=******"));
    assert_null(strstr(body, KEY_PASSWORD));
}

static void
test_s_client_sees_the_certificate(void **state)
{
    NEED_OPENSSL();
    g_autofree gchar *out = NULL;
    g_autofree gchar *args = g_strdup_printf("s_client -connect %s -CAfile %s -verify_return_error "
                                             "-no_ign_eof", br->addr, ca_pem);
    /* stdin is /dev/null: it closes after the handshake */
    assert_true(openssl(args, &out));
    assert_non_null(strstr(out, "CN = rmq-test-server"));
    assert_non_null(strstr(out, "Verify return code: 0 (ok)"));
}

static void
test_permissive_and_tls_properties(void **state)
{
    NEED_OPENSSL();
    /* Java's tls.properties, read through tlsConfigFile */
    g_autofree gchar *props_path = path("tls.properties");
    g_autofree gchar *props = g_strdup_printf("tls.test.mode.enable=false\n"
                                              "tls.server.certPath=%s\n"
                                              "tls.server.keyPath=%s\n"
                                              "tls.server.keyPassword=" KEY_PASSWORD "\n",
                                              server_pem, server_enc_key);
    assert_true(g_file_set_contents(props_path, props, -1, NULL));
    g_autoptr(BkDaemon) pns = bk_namesrv_new();
    g_autofree gchar *conf = g_strdup_printf("tlsServerMode = \"permissive\";\n"
                                             "tlsConfigFile = \"%s\";\n", props_path);
    append(pns->conf_path, conf);
    assert_true(bk_daemon_start_or_say(pns, 20000));
    g_autoptr(RmqClient) plain = client_new(FALSE, NULL, FALSE);
    g_autoptr(RmqClient) tls = client_new(TRUE, ca_pem, FALSE);
    assert_true(answers(plain, pns->addr));
    assert_true(answers(tls, pns->addr));
    g_autoptr(RmqClient) wrong = client_new(TRUE, other_ca_pem, FALSE);
    assert_false(answers(wrong, pns->addr));
}

/* rmq-console with consoleTlsCertPath/KeyPath serves HTTPS (curl checks the
 * chain and the IP SAN), and plain HTTP gets no page; with tlsEnable it
 * reaches the enforcing name server and broker over TLS. */
static gchar *
curl(const gchar *url, gboolean *ok)
{
    g_autofree gchar *cmd = g_strdup_printf("curl -sS --max-time 10 --cacert %s -o /dev/null -w "
                                            "%%{http_code} %s", ca_pem, url);
    gchar *out = NULL, *err = NULL;
    gint status = -1;
    *ok = g_spawn_command_line_sync(cmd, &out, &err, &status, NULL) &&
          g_spawn_check_wait_status(status, NULL);
    g_free(err);
    return out;
}

static void
test_console_https(void **state)
{
    NEED_OPENSSL();
    g_autofree gchar *have_curl = g_find_program_in_path("curl");
    if (have_curl == NULL) {
        g_printerr("# curl not installed\n");
        skip();
    }
    g_autoptr(BkDaemon) con = bk_namesrv_new(); /* its files and port, another binary */
    g_free(con->binary);
    con->binary = g_strdup("src/console/rmq-console");
    g_autofree gchar *conf = g_strdup_printf(
        "namesrvAddr = \"%s\";\nconsoleListenAddress = \"127.0.0.1\";\nconsoleListenPort = %u;\n"
        "consoleTlsCertPath = \"%s\";\nconsoleTlsKeyPath = \"%s\";\n"
        "tlsEnable = true;\ntlsClientTrustCertPath = \"%s\";\n",
        ns->addr, con->port, server_pem, server_key, ca_pem);
    assert_true(g_file_set_contents(con->conf_path, conf, -1, NULL));
    assert_true(bk_daemon_start_or_say(con, 20000));
    /* the cluster as the console sees it, through the enforcing name server */
    g_autofree gchar *cmd = g_strdup_printf("curl -sS --max-time 10 --cacert %s "
                                            "https://127.0.0.1:%u/api/cluster", ca_pem, con->port);
    g_autofree gchar *cluster = NULL;
    gint cstatus = -1;
    assert_true(g_spawn_command_line_sync(cmd, &cluster, NULL, &cstatus, NULL));
    if (strstr(cluster, br->addr) == NULL)
        fail_msg("the console did not list the broker %s: %s", br->addr, cluster);
    gboolean ok = FALSE;
    g_autofree gchar *url = g_strdup_printf("https://127.0.0.1:%u/metrics", con->port);
    g_autofree gchar *code = curl(url, &ok);
    assert_true(ok);
    assert_string_equal(code, "200");
    g_autofree gchar *plain_url = g_strdup_printf("http://127.0.0.1:%u/metrics", con->port);
    g_autofree gchar *plain_code = curl(plain_url, &ok);
    assert_true(!ok || g_strcmp0(plain_code, "200") != 0);
}

/* The daemon exits non-zero before READY=1, its log naming @needle. */
static void
start_fails(BkDaemon *d, const gchar *needle, const gchar *needle2)
{
    g_autoptr(GError) error = NULL;
    assert_false(bk_daemon_start(d, 20000, &error));
    assert_non_null(d->proc);
    g_subprocess_wait(d->proc, NULL, NULL);
    assert_true(g_subprocess_get_if_exited(d->proc));
    assert_int_not_equal(g_subprocess_get_exit_status(d->proc), 0);
    g_autofree gchar *log = bk_daemon_log(d);
    if (strstr(log, needle) == NULL || strstr(log, needle2) == NULL)
        fail_msg("log lacks '%s' / '%s':\n%s", needle, needle2, log);
}

static void
test_broken_key_fails_before_ready(void **state)
{
    NEED_OPENSSL();
    g_autofree gchar *missing = path("no-such.key");
    g_autoptr(BkDaemon) a = bk_namesrv_new();
    g_autofree gchar *ca = g_strdup_printf("tlsServerMode = \"enforcing\";\ntlsServerCertPath = "
                                           "\"%s\";\ntlsServerKeyPath = \"%s\";\n",
                                           server_pem, missing);
    append(a->conf_path, ca);
    start_fails(a, "tlsServerKeyPath", missing);
    /* --check-config finds it too */
    {
        g_autofree gchar *bin = rmq_test_build_path("src/namesrv/rmq-namesrv");
        const gchar *argv[] = { bin, "--check-config", "--config", a->conf_path, NULL };
        gchar *err = NULL;
        gint status = 0;
        assert_true(g_spawn_sync(NULL, (gchar **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                 NULL, NULL, &err, &status, NULL));
        assert_false(g_spawn_check_wait_status(status, NULL));
        if (strstr(err, "tlsServerKeyPath") == NULL || strstr(err, missing) == NULL)
            fail_msg("--check-config said: %s", err);
        g_free(err);
    }

    /* an encrypted key without its password */
    g_autoptr(BkDaemon) b = bk_broker_new(NULL, NULL);
    g_autofree gchar *cb = g_strdup_printf("tlsServerMode = \"permissive\";\ntlsServerCertPath = "
                                           "\"%s\";\ntlsServerKeyPath = \"%s\";\n",
                                           server_pem, server_enc_key);
    append(b->conf_path, cb);
    start_fails(b, "tlsServerKeyPath", server_enc_key);

    /* a certificate that is not one */
    g_autofree gchar *garbage = path("garbage.pem");
    assert_true(g_file_set_contents(garbage, "not a certificate\n", -1, NULL));
    g_autoptr(BkDaemon) c = bk_namesrv_new();
    g_autofree gchar *cc = g_strdup_printf("tlsServerMode = \"enforcing\";\ntlsServerCertPath = "
                                           "\"%s\";\ntlsServerKeyPath = \"%s\";\n",
                                           garbage, server_key);
    append(c->conf_path, cc);
    start_fails(c, "tlsServerCertPath", garbage);

    /* the console's HTTPS key */
    g_autoptr(BkDaemon) con = bk_namesrv_new();
    g_free(con->binary);
    con->binary = g_strdup("src/console/rmq-console");
    g_autofree gchar *conf = g_strdup_printf(
        "namesrvAddr = \"%s\";\nconsoleListenAddress = \"127.0.0.1\";\nconsoleListenPort = %u;\n"
        "consoleTlsCertPath = \"%s\";\nconsoleTlsKeyPath = \"%s\";\n",
        ns->addr, con->port, server_pem, missing);
    assert_true(g_file_set_contents(con->conf_path, conf, -1, NULL));
    start_fails(con, "consoleTlsKeyPath", missing);
}

/* A client that starts a handshake and stops: cut off by the first-frame
 * deadline (serverFrameTimeoutSeconds = 2 on this name server). */
static void
test_stalled_handshake_is_cut_off(void **state)
{
    NEED_OPENSSL();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(ns->port) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof sa), 0);
    /* the first bytes of a ClientHello record, and nothing more */
    assert_int_equal(write(fd, "\x16\x03\x01\x00\x80", 5), 5);
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int n = poll(&p, 1, 10000);
    assert_int_equal(n, 1);
    char buf[64];
    ssize_t r = read(fd, buf, sizeof buf);
    assert_true(r <= 0);
    close(fd);
    assert_true(log_has(ns, "within 2 s"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_library_over_tls),
        cmocka_unit_test(test_plain_refused_when_enforcing),
        cmocka_unit_test(test_wrong_ca_refused),
        cmocka_unit_test(test_broker_config_masks_the_password),
        cmocka_unit_test(test_slave_over_tls),
        cmocka_unit_test(test_s_client_sees_the_certificate),
        cmocka_unit_test(test_permissive_and_tls_properties),
        cmocka_unit_test(test_broken_key_fails_before_ready),
        cmocka_unit_test(test_console_https),
        cmocka_unit_test(test_stalled_handshake_is_cut_off),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
