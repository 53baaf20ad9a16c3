/* Master and slave over real loopback sockets: the slave's commit log
 * becomes byte-identical to the master's across file boundaries,
 * reconnects and slave restarts; its consume queues serve the same
 * messages; the SYNC_MASTER wait succeeds on ack, times out with the slave
 * stopped (SIGSTOP) and reports SLAVE_NOT_AVAILABLE with no slave or one
 * too far behind; the master drops a slave acknowledging beyond its data,
 * sends heartbeats and closes silent connections. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>

#include "ha/ha_master.h"
#include "ha/ha_service.h"
#include "ha/ha_slave.h"
#include "ha/ha_wire.h"
#include "ha-test-util.h"

#define FILE_SIZE (64 * 1024)

typedef struct {
    GMainContext *ctx;
    char *mdir, *sdir;
    RmqStoreConfig mconf, sconf;
    RmqStore *master_store, *slave_store;
    RmqHaMasterConfig hconf;
    RmqHaMaster *master;
    RmqHaSlave *slave;          /* in-process slave, when used */
    GPid helper;                /* out-of-process slave, when used */
    guint next_msg;
    gchar *addr;
} Fixture;

static RmqHaMaster *
start_master(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    RmqHaMaster *m = rmq_ha_master_new(f->master_store, &f->hconf, f->ctx, &error);

    if (m == NULL)
        fail_msg("%s", error->message);
    f->hconf.port = rmq_ha_master_get_port(m);     /* same port on restart */
    g_free(f->addr);
    f->addr = g_strdup_printf("127.0.0.1:%u", f->hconf.port);
    return m;
}

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    g_autoptr(GError) error = NULL;

    f->ctx = g_main_context_default();
    f->mdir = test_tmpdir();
    f->sdir = test_tmpdir();
    test_store_config(&f->mconf, f->mdir);
    test_store_config(&f->sconf, f->sdir);
    f->master_store = rmq_store_open(&f->mconf, NULL, &error);
    assert_non_null(f->master_store);
    rmq_ha_master_config_init(&f->hconf);
    f->hconf.bind_address = "127.0.0.1";
    f->hconf.port = 0;
    f->hconf.heartbeat_interval_ms = 100;
    f->hconf.housekeeping_interval_ms = 1000;
    f->master = start_master(f);
    *state = f;
    return 0;
}

static void
helper_stop(Fixture *f, int sig)
{
    if (f->helper == 0)
        return;
    kill(f->helper, SIGCONT);
    kill(f->helper, sig);
    waitpid(f->helper, NULL, 0);
    g_spawn_close_pid(f->helper);
    f->helper = 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;

    helper_stop(f, SIGKILL);
    rmq_ha_slave_free(f->slave);
    rmq_ha_master_free(f->master);
    /* let closed sockets' sources go */
    while (g_main_context_iteration(f->ctx, FALSE))
        ;
    rmq_store_close(f->master_store);
    if (f->slave_store != NULL)
        rmq_store_close(f->slave_store);
    test_rm_rf(f->mdir);
    test_rm_rf(f->sdir);
    rmq_store_config_clear(&f->mconf);
    rmq_store_config_clear(&f->sconf);
    g_free(f->mdir);
    g_free(f->sdir);
    g_free(f->addr);
    g_free(f);
    return 0;
}

static void
put_messages(Fixture *f, guint n)
{
    for (guint k = 0; k < n; k++) {
        TestMessage t;
        RmqPutResult r;
        guint i = f->next_msg++;

        test_message_fill(&t, i % 2 ? "HaA" : "HaB", (gint32) (i % 3), i, 700);
        assert_int_equal(rmq_store_put_message(f->master_store, &t.msg, &r), RMQ_PUT_OK);
    }
    rmq_ha_master_notify_appended(f->master);
}

static void
start_slave(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    RmqHaSlaveConfig c;

    if (f->slave_store == NULL) {
        f->slave_store = rmq_store_open(&f->sconf, NULL, &error);
        assert_non_null(f->slave_store);
    }
    rmq_ha_slave_config_init(&c);
    c.heartbeat_interval_ms = 100;
    c.reconnect_interval_ms = 200;
    c.housekeeping_interval_ms = 1000;
    f->slave = rmq_ha_slave_new(f->slave_store, &c, f->ctx);
    rmq_ha_slave_set_master_address(f->slave, f->addr);
}

static void
start_helper(Fixture *f)
{
    const char *bd = g_getenv("RMQ_BUILDDIR");
    g_autofree char *prog = g_build_filename(bd != NULL ? bd : ".", "tests", "ha",
                                             "ha-slave-helper", NULL);
    char *argv[] = { prog, f->sdir, f->addr, NULL };
    g_autoptr(GError) error = NULL;

    if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &f->helper, &error))
        fail_msg("%s", error->message);
}

static gboolean
caught_up(gpointer data)
{
    Fixture *f = data;

    return rmq_ha_master_max_acked_offset(f->master) == rmq_store_get_max_phy_offset(f->master_store);
}

static void
assert_caught_up_and_identical(Fixture *f)
{
    g_autofree gchar *why = NULL;

    assert_true(ha_run_until(f->ctx, caught_up, f, 10000));
    if (!ha_commit_logs_identical(f->mdir, f->sdir, rmq_store_get_min_phy_offset(f->master_store),
                                  rmq_store_get_max_phy_offset(f->master_store), FILE_SIZE, &why))
        fail_msg("%s", why);
}

/* The slave's consume queues hold every message, and pulls from the slave
 * return what pulls from the master return. */
static void
assert_same_queues(Fixture *f)
{
    const char *topics[] = { "HaA", "HaB" };

    for (guint t = 0; t < G_N_ELEMENTS(topics); t++) {
        for (gint32 q = 0; q < 3; q++) {
            gint64 max = rmq_store_get_max_offset(f->master_store, topics[t], q);
            assert_true(max > 0);
            assert_int_equal(rmq_store_get_max_offset(f->slave_store, topics[t], q), max);
            for (gint64 off = 0; off < max; off += 32) {
                g_autoptr(RmqGetResult) a = rmq_store_get_message(f->master_store, topics[t], q,
                                                                  off, 32, NULL, NULL);
                g_autoptr(RmqGetResult) b = rmq_store_get_message(f->slave_store, topics[t], q,
                                                                  off, 32, NULL, NULL);
                assert_int_equal(a->status, RMQ_GET_FOUND);
                assert_int_equal(b->status, RMQ_GET_FOUND);
                assert_int_equal(a->msg_count, b->msg_count);
                assert_true(g_bytes_equal(a->body, b->body));
            }
        }
    }
}

static void
test_replicates_across_files(void **state)
{
    Fixture *f = *state;

    put_messages(f, 700);            /* ~250 KB: four 64 KiB files */
    assert_true(rmq_store_get_max_phy_offset(f->master_store) > 3 * FILE_SIZE);
    start_slave(f);
    assert_caught_up_and_identical(f);
    assert_same_queues(f);
    /* live: appends stream while connected */
    for (int round = 0; round < 5; round++) {
        put_messages(f, 60);
        ha_run_for(f->ctx, 5);
    }
    assert_caught_up_and_identical(f);
    assert_same_queues(f);
    assert_int_equal(rmq_ha_master_connection_count(f->master), 1);
    assert_int_equal(rmq_ha_slave_connect_count(f->slave), 1);
}

static gboolean
reconnected(gpointer data)
{
    Fixture *f = data;

    return rmq_ha_slave_connect_count(f->slave) >= 2 && caught_up(f);
}

static void
test_reconnects_after_master_restart(void **state)
{
    Fixture *f = *state;

    put_messages(f, 200);
    start_slave(f);
    assert_caught_up_and_identical(f);
    /* the master's HA service goes away; data keeps coming */
    rmq_ha_master_free(f->master);
    f->master = NULL;
    ha_run_for(f->ctx, 100);
    assert_false(rmq_ha_slave_is_connected(f->slave));
    f->master = start_master(f);
    put_messages(f, 400);
    assert_true(ha_run_until(f->ctx, reconnected, f, 10000));
    assert_caught_up_and_identical(f);
    assert_same_queues(f);
}

typedef struct {
    gboolean done;
    RmqPutStatus status;
} WaitResult;

static void
on_wait(RmqPutStatus status, gpointer data)
{
    WaitResult *w = data;

    assert_false(w->done);           /* exactly once */
    w->done = TRUE;
    w->status = status;
}

static gboolean
wait_done(gpointer data)
{
    return ((WaitResult *) data)->done;
}

static RmqPutStatus
sync_wait(Fixture *f, gint timeout_ms)
{
    WaitResult w = { FALSE, RMQ_PUT_UNKNOWN_ERROR };

    rmq_ha_master_wait_async(f->master, rmq_store_get_max_phy_offset(f->master_store), timeout_ms,
                             on_wait, &w);
    assert_false(w.done);            /* never from inside the call */
    assert_true(ha_run_until(f->ctx, wait_done, &w, timeout_ms + 5000));
    return w.status;
}

static void
test_sync_wait_with_and_without_slave(void **state)
{
    Fixture *f = *state;

    put_messages(f, 5);
    assert_false(rmq_ha_master_slave_ok(f->master, rmq_store_get_max_phy_offset(f->master_store)));
    assert_int_equal(sync_wait(f, 500), RMQ_PUT_SLAVE_NOT_AVAILABLE);
    start_slave(f);
    assert_caught_up_and_identical(f);
    for (int i = 0; i < 20; i++) {
        put_messages(f, 1);
        assert_int_equal(sync_wait(f, 3000), RMQ_PUT_OK);
        /* OK means the slave really holds the record */
        assert_int_equal(rmq_store_get_max_phy_offset(f->slave_store),
                         rmq_store_get_max_phy_offset(f->master_store));
    }
    /* slave gone: not available again */
    rmq_ha_slave_free(f->slave);
    f->slave = NULL;
    ha_run_for(f->ctx, 100);
    assert_int_equal(rmq_ha_master_connection_count(f->master), 0);
    put_messages(f, 1);
    assert_int_equal(sync_wait(f, 500), RMQ_PUT_SLAVE_NOT_AVAILABLE);
}

static void
test_sync_wait_stopped_slave(void **state)
{
    Fixture *f = *state;

    /* a master that calls a slave 8 KiB behind unavailable */
    rmq_ha_master_free(f->master);
    f->hconf.slave_fallbehind_max = 8192;
    f->hconf.housekeeping_interval_ms = 20000;   /* keep the stopped slave connected */
    f->master = start_master(f);
    put_messages(f, 50);
    start_helper(f);
    assert_caught_up_and_identical(f);
    put_messages(f, 1);
    assert_int_equal(sync_wait(f, 3000), RMQ_PUT_OK);

    kill(f->helper, SIGSTOP);
    put_messages(f, 1);
    assert_int_equal(sync_wait(f, 300), RMQ_PUT_FLUSH_SLAVE_TIMEOUT);
    assert_int_equal(rmq_ha_master_connection_count(f->master), 1);
    kill(f->helper, SIGCONT);
    assert_int_equal(sync_wait(f, 3000), RMQ_PUT_OK);

    kill(f->helper, SIGSTOP);
    put_messages(f, 60);             /* > 8 KiB beyond its ack */
    assert_int_equal(rmq_ha_master_connection_count(f->master), 1);
    assert_int_equal(sync_wait(f, 3000), RMQ_PUT_SLAVE_NOT_AVAILABLE);
    kill(f->helper, SIGCONT);
    assert_caught_up_and_identical(f);
    assert_int_equal(sync_wait(f, 3000), RMQ_PUT_OK);
}

static void
test_slave_restart_catches_up(void **state)
{
    Fixture *f = *state;

    put_messages(f, 300);
    start_helper(f);
    assert_caught_up_and_identical(f);
    /* killed in the middle of a transfer */
    put_messages(f, 300);
    ha_run_for(f->ctx, 3);
    helper_stop(f, SIGKILL);
    put_messages(f, 300);
    ha_run_for(f->ctx, 100);
    assert_int_equal(rmq_ha_master_connection_count(f->master), 0);
    start_helper(f);
    assert_caught_up_and_identical(f);
    /* a clean stop and restart too */
    helper_stop(f, SIGTERM);
    put_messages(f, 100);
    start_helper(f);
    assert_caught_up_and_identical(f);
    helper_stop(f, SIGTERM);
    /* the restarted slave's own queues are complete */
    f->slave_store = rmq_store_open(&f->sconf, NULL, NULL);
    assert_non_null(f->slave_store);
    assert_same_queues(f);
}

static GSocket *
raw_connect(Fixture *f)
{
    g_autoptr(GSocketClient) c = g_socket_client_new();
    g_autoptr(GError) error = NULL;
    GSocketConnection *conn = g_socket_client_connect_to_host(c, f->addr, 0, NULL, &error);
    GSocket *s;

    if (conn == NULL)
        fail_msg("%s", error->message);
    s = g_object_ref(g_socket_connection_get_socket(conn));
    /* keep the connection object alive with the socket */
    g_object_set_data_full(G_OBJECT(s), "conn", conn, g_object_unref);
    return s;
}

static void
raw_report(GSocket *s, gint64 offset)
{
    guint8 b[RMQ_HA_REPORT_SIZE];

    rmq_ha_wire_encode_report(b, offset);
    assert_int_equal(g_socket_send(s, (const gchar *) b, sizeof b, NULL, NULL), sizeof b);
}

static gboolean
no_connections(gpointer data)
{
    return rmq_ha_master_connection_count(((Fixture *) data)->master) == 0;
}

static gboolean
one_connection(gpointer data)
{
    return rmq_ha_master_connection_count(((Fixture *) data)->master) == 1;
}

static void
test_master_drops_ack_beyond_its_data(void **state)
{
    Fixture *f = *state;
    g_autoptr(GSocket) s = NULL;

    put_messages(f, 10);
    s = raw_connect(f);
    assert_true(ha_run_until(f->ctx, one_connection, f, 3000));
    raw_report(s, 0);                /* request: from the start */
    raw_report(s, rmq_store_get_max_phy_offset(f->master_store));
    ha_run_for(f->ctx, 200);
    assert_int_equal(rmq_ha_master_connection_count(f->master), 1);
    assert_int_equal(rmq_ha_master_max_acked_offset(f->master),
                     rmq_store_get_max_phy_offset(f->master_store));
    raw_report(s, rmq_store_get_max_phy_offset(f->master_store) + 1);
    assert_true(ha_run_until(f->ctx, no_connections, f, 3000));
    assert_int_equal(rmq_ha_master_max_acked_offset(f->master), -1);
}

static void
test_heartbeat_and_housekeeping(void **state)
{
    Fixture *f = *state;
    g_autoptr(GSocket) s = NULL;
    guint8 buf[4096];
    gssize n;
    gint64 max;

    put_messages(f, 10);
    max = rmq_store_get_max_phy_offset(f->master_store);
    s = raw_connect(f);
    g_socket_set_blocking(s, FALSE);
    raw_report(s, max);              /* has everything: only heartbeats come */
    ha_run_for(f->ctx, 450);
    n = g_socket_receive(s, (gchar *) buf, sizeof buf, NULL, NULL);
    assert_true(n >= 2 * RMQ_HA_TRANSFER_HEADER_SIZE);
    assert_int_equal(n % RMQ_HA_TRANSFER_HEADER_SIZE, 0);
    for (gssize i = 0; i < n; i += RMQ_HA_TRANSFER_HEADER_SIZE) {
        gint64 start;
        gint32 size;
        assert_true(rmq_ha_wire_decode_transfer_header(buf + i, (gsize) (n - i), &start, &size));
        assert_int_equal(start, max);
        assert_int_equal(size, 0);
    }
    /* silent for haHousekeepingInterval (1 s here): dropped */
    assert_int_equal(rmq_ha_master_connection_count(f->master), 1);
    assert_true(ha_run_until(f->ctx, no_connections, f, 5000));
}

static void
test_port_taken(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    RmqHaMasterConfig c = f->hconf;     /* the port f->master holds */
    g_autofree gchar *port = g_strdup_printf("%u", c.port);

    assert_null(rmq_ha_master_new(f->master_store, &c, f->ctx, &error));
    assert_true(g_error_matches(error, RMQ_HA_ERROR, RMQ_HA_ERROR_BIND));
    assert_non_null(strstr(error->message, "haListenPort"));
    assert_non_null(strstr(error->message, port));
}

static gboolean
svc_caught_up(gpointer data)
{
    Fixture *f = data;

    return rmq_store_get_max_phy_offset(f->slave_store) == rmq_store_get_max_phy_offset(f->master_store);
}

static RmqPutStatus
service_wait(Fixture *f, RmqHaService *svc, gboolean sync_flush)
{
    WaitResult w = { FALSE, RMQ_PUT_UNKNOWN_ERROR };

    assert_true(rmq_ha_service_wait_put(svc, rmq_store_get_max_phy_offset(f->master_store),
                                        sync_flush, on_wait, &w));
    assert_false(w.done);
    assert_true(ha_run_until(f->ctx, wait_done, &w, 10000));
    return w.status;
}

/* The broker-facing facade: a SLAVE learns its master from the register
 * reply; a SYNC_MASTER's wait_put combines flush and replication. */
static void
test_service_roles(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    RmqHaServiceConfig c;
    g_autoptr(RmqHaService) sync_master = NULL;
    g_autoptr(RmqHaService) async_master = NULL;
    g_autoptr(RmqHaService) slave = NULL;
    g_autofree gchar *addr = NULL;
    WaitResult unused = { FALSE, RMQ_PUT_OK };

    rmq_ha_service_config_init(&c);
    c.bind_address = "127.0.0.1";
    c.ha_listen_port = 0;
    c.heartbeat_interval_ms = 100;
    c.role = RMQ_HA_ROLE_SYNC_MASTER;
    c.slave_timeout_ms = 500;
    sync_master = rmq_ha_service_new(&c, f->master_store, NULL, NULL, NULL, f->ctx, &error);
    assert_non_null(sync_master);
    c.role = RMQ_HA_ROLE_ASYNC_MASTER;
    async_master = rmq_ha_service_new(&c, f->master_store, NULL, NULL, NULL, f->ctx, &error);
    assert_non_null(async_master);
    assert_false(rmq_ha_service_wait_put(async_master, 1, FALSE, on_wait, &unused));

    put_messages(f, 20);
    assert_int_equal(service_wait(f, sync_master, FALSE), RMQ_PUT_SLAVE_NOT_AVAILABLE);
    /* no slave: the replication failure wins over a successful flush */
    assert_int_equal(service_wait(f, sync_master, TRUE), RMQ_PUT_SLAVE_NOT_AVAILABLE);

    f->slave_store = rmq_store_open(&f->sconf, NULL, &error);
    assert_non_null(f->slave_store);
    c.role = RMQ_HA_ROLE_SLAVE;
    slave = rmq_ha_service_new(&c, f->slave_store, NULL, NULL, NULL, f->ctx, &error);
    assert_non_null(slave);
    assert_null(rmq_ha_service_get_slave(async_master));
    assert_non_null(rmq_ha_service_get_slave(slave));
    addr = g_strdup_printf("127.0.0.1:%u", rmq_ha_master_get_port(rmq_ha_service_get_master(sync_master)));
    /* no live master in the reply: nothing happens */
    rmq_ha_service_register_reply(slave, NULL, NULL);
    ha_run_for(f->ctx, 50);
    assert_false(rmq_ha_slave_is_connected(rmq_ha_service_get_slave(slave)));
    rmq_ha_service_register_reply(slave, "127.0.0.1:1", addr);
    assert_true(ha_run_until(f->ctx, svc_caught_up, f, 10000));
    put_messages(f, 1);
    rmq_ha_service_notify_appended(sync_master);
    assert_int_equal(service_wait(f, sync_master, FALSE), RMQ_PUT_OK);
    assert_int_equal(service_wait(f, sync_master, TRUE), RMQ_PUT_OK);
    assert_int_equal(rmq_store_get_max_phy_offset(f->slave_store),
                     rmq_store_get_max_phy_offset(f->master_store));
    {
        g_autofree gchar *st = rmq_ha_service_status(sync_master);
        assert_non_null(strstr(st, "1 slave(s)"));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replicates_across_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnects_after_master_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_wait_with_and_without_slave, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_wait_stopped_slave, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slave_restart_catches_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_master_drops_ack_beyond_its_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_and_housekeeping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_roles, setup, teardown),
    };
    return cmocka_run_group_tests_name("ha-replication", tests, NULL, NULL);
}
