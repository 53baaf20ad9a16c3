/* Ports: every daemon refuses a config whose ports coincide (--check-config
 * and start) and refuses to start, before READY=1, when a port it needs is
 * taken, naming the port and the key.  The sample cluster configs use six
 * distinct sets of ports and the right master/slave pairs. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RmqFlushDiskType RmqConfigFlushDiskType
#define RMQ_FLUSH_ASYNC RMQ_CONFIG_FLUSH_ASYNC
#define RMQ_FLUSH_SYNC RMQ_CONFIG_FLUSH_SYNC
#include "common/config.h"
#undef RmqFlushDiskType
#undef RMQ_FLUSH_ASYNC
#undef RMQ_FLUSH_SYNC

#include "../broker/harness.h"

/* A listening socket on a free loopback port whose port-2 is free too (so
 * it can stand for a broker's listenPort). */
static int
hold_port(guint16 *port)
{
    for (int tries = 0; tries < 100; tries++) {
        guint16 p = bk_free_port();
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p) };

        sa.sin_addr.s_addr = htonl(INADDR_ANY);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0 && listen(fd, 4) == 0) {
            *port = p;
            return fd;
        }
        close(fd);
    }
    fail_msg("no free port");
    return -1;
}

static gchar *
broker_conf(BkDaemon *d, guint listen_port, guint ha_port)
{
    return g_strdup_printf("brokerName = \"broker-p\";\nbrokerIP1 = \"127.0.0.1\";\n"
                           "listenPort = %u;\nhaListenPort = %u;\nstorePathRootDir = \"%s/store\";\n"
                           "mappedFileSizeCommitLog = 1048576;\n",
                           listen_port, ha_port, d->dir);
}

/* Runs the daemon expecting it to fail before READY=1; returns its log. */
static gchar *
start_must_fail(BkDaemon *d)
{
    g_autoptr(GError) error = NULL;
    int status;

    assert_false(bk_daemon_start(d, 10000, &error));
    status = bk_daemon_signal_and_wait(d, SIGKILL, 5000);
    /* it exited by itself, with an error status */
    assert_true(status > 0 && status < 128);
    return bk_daemon_log(d);
}

static gchar *
check_config(BkDaemon *d, int *exit_status)
{
    const char *bd = g_getenv("RMQ_BUILDDIR");
    g_autofree gchar *bin = g_build_filename(bd != NULL ? bd : ".", d->binary, NULL);
    gchar *argv[] = { bin, (gchar *) "--check-config", (gchar *) "--config", d->conf_path, NULL };
    gchar *err = NULL;
    g_autoptr(GError) error = NULL;
    int wait_status;

    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                      &wait_status, &error))
        fail_msg("%s", error->message);
    *exit_status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128;
    return err;
}

static void
assert_names(const gchar *text, const gchar *key, guint port)
{
    g_autofree gchar *p = g_strdup_printf("%u", port);

    if (strstr(text, key) == NULL || strstr(text, p) == NULL)
        fail_msg("expected %s and %s in:\n%s", key, p, text);
}

static void
colliding(guint listen_port, guint ha_port)
{
    g_autoptr(BkDaemon) d = bk_broker_new(NULL, NULL);
    g_autofree gchar *conf = broker_conf(d, listen_port, ha_port);
    g_autofree gchar *err = NULL;
    g_autofree gchar *log = NULL;
    int status;

    assert_true(g_file_set_contents(d->conf_path, conf, -1, NULL));
    err = check_config(d, &status);
    assert_int_not_equal(status, 0);
    assert_names(err, "haListenPort", ha_port);
    log = start_must_fail(d);
    assert_names(log, "haListenPort", ha_port);
}

static void
test_ha_port_is_listen_port(void **state)
{
    (void) state;
    colliding(23911, 23911);
}

static void
test_ha_port_is_vip_port(void **state)
{
    (void) state;
    colliding(23911, 23909);
}

static void
test_broker_listen_port_taken(void **state)
{
    g_autoptr(BkDaemon) d = bk_broker_new(NULL, NULL);
    guint16 taken;
    int fd = hold_port(&taken);
    g_autofree gchar *conf = broker_conf(d, taken, bk_free_port());
    g_autofree gchar *log = NULL;

    (void) state;
    assert_true(g_file_set_contents(d->conf_path, conf, -1, NULL));
    log = start_must_fail(d);
    close(fd);
    assert_names(log, "listenPort", taken);
}

static void
test_broker_ha_port_taken(void **state)
{
    g_autoptr(BkDaemon) d = bk_broker_new(NULL, NULL);
    guint16 taken;
    int fd = hold_port(&taken);
    g_autofree gchar *conf = broker_conf(d, d->port, taken);
    g_autofree gchar *log = NULL;

    (void) state;
    assert_true(g_file_set_contents(d->conf_path, conf, -1, NULL));
    log = start_must_fail(d);
    close(fd);
    assert_names(log, "haListenPort", taken);
}

static void
test_namesrv_port_taken(void **state)
{
    g_autoptr(BkDaemon) d = bk_namesrv_new();
    guint16 taken;
    int fd = hold_port(&taken);
    g_autofree gchar *conf = g_strdup_printf("listenPort = %u;\nkvConfigPath = \"%s/kv.json\";\n",
                                             taken, d->dir);
    g_autofree gchar *log = NULL;
    g_autofree gchar *p = g_strdup_printf("%u", taken);

    (void) state;
    assert_true(g_file_set_contents(d->conf_path, conf, -1, NULL));
    log = start_must_fail(d);
    close(fd);
    /* the name server's message names the port (the key is its only one) */
    assert_non_null(strstr(log, p));
}

/* The six sample files: each daemon's ports (broker: listenPort, VIP
 * listenPort − 2, haListenPort) are distinct across the whole cluster, and
 * each slave belongs to the right master. */
static void
test_sample_cluster_ports(void **state)
{
    const char *src = g_getenv("RMQ_SRCDIR");
    const struct {
        const char *file;
        RmqConfigScope scope;
        const char *broker_name;
        gint64 broker_id;
        guint listen;
    } daemons[] = {
        { "namesrv-1.conf", RMQ_CONFIG_NAMESRV, NULL, 0, 9876 },
        { "namesrv-2.conf", RMQ_CONFIG_NAMESRV, NULL, 0, 9875 },
        { "broker-a.conf", RMQ_CONFIG_BROKER, "broker-a", 0, 10911 },
        { "broker-a-s.conf", RMQ_CONFIG_BROKER, "broker-a", 1, 11011 },
        { "broker-b.conf", RMQ_CONFIG_BROKER, "broker-b", 0, 10910 },
        { "broker-b-s.conf", RMQ_CONFIG_BROKER, "broker-b", 1, 11010 },
    };
    g_autoptr(GHashTable) used = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GHashTable) stores = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    (void) state;
    for (guint i = 0; i < G_N_ELEMENTS(daemons); i++) {
        g_autofree gchar *path = g_build_filename(src != NULL ? src : "..", "etc", "rocketmq",
                                                  daemons[i].file, NULL);
        g_autoptr(GError) error = NULL;
        RmqConfig *c = rmq_config_load(path, daemons[i].scope, NULL, &error);
        guint ports[3];
        guint n = 0;

        if (c == NULL)
            fail_msg("%s: %s", daemons[i].file, error->message);
        assert_int_equal(c->listen_port, daemons[i].listen);
        ports[n++] = (guint) c->listen_port;
        if (daemons[i].scope == RMQ_CONFIG_BROKER) {
            assert_string_equal(c->broker_cluster_name, "DubboRocketCluster");
            assert_string_equal(c->broker_name, daemons[i].broker_name);
            assert_int_equal(c->broker_id, daemons[i].broker_id);
            assert_int_equal(c->broker_role, daemons[i].broker_id == 0 ? RMQ_BROKER_ROLE_ASYNC_MASTER
                                                                       : RMQ_BROKER_ROLE_SLAVE);
            assert_true(c->ha_listen_port > 0);
            ports[n++] = (guint) c->listen_port - 2;
            ports[n++] = (guint) c->ha_listen_port;
            assert_string_equal(c->delete_when, "04");
            assert_int_equal(c->file_reserved_time, 48);
            /* each broker its own store */
            assert_false(g_hash_table_contains(stores, c->store_path_root_dir));
            g_hash_table_add(stores, g_strdup(c->store_path_root_dir));
        }
        for (guint k = 0; k < n; k++) {
            if (g_hash_table_contains(used, GUINT_TO_POINTER(ports[k])))
                fail_msg("%s: port %u already used by another daemon", daemons[i].file, ports[k]);
            g_hash_table_add(used, GUINT_TO_POINTER(ports[k]));
        }
        rmq_config_free(c);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_cluster_ports),
        cmocka_unit_test(test_ha_port_is_listen_port),
        cmocka_unit_test(test_ha_port_is_vip_port),
        cmocka_unit_test(test_namesrv_port_taken),
        cmocka_unit_test(test_broker_listen_port_taken),
        cmocka_unit_test(test_broker_ha_port_taken),
    };
    return cmocka_run_group_tests_name("ha-ports", tests, NULL, NULL);
}
