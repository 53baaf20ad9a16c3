/* A slave in its own process, for tests that SIGSTOP or kill it:
 *   ha-slave-helper STORE_DIR MASTER_HA_ADDR
 * Opens the store with the test geometry, replicates until SIGTERM/SIGINT
 * (clean close) or SIGKILL. */
#include <config.h>

#include <glib-unix.h>
#include <stdio.h>

#include "ha/ha_slave.h"
#include "../store/store-test-util.h"

static gboolean
on_signal(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    RmqStoreConfig conf;
    RmqStore *store;
    RmqHaSlaveConfig sconf;
    RmqHaSlave *slave;
    GMainLoop *loop;

    if (argc != 3) {
        fprintf(stderr, "usage: %s STORE_DIR MASTER_HA_ADDR\n", argv[0]);
        return 2;
    }
    test_store_config(&conf, argv[1]);
    store = rmq_store_open(&conf, NULL, &error);
    if (store == NULL) {
        fprintf(stderr, "ha-slave-helper: %s\n", error->message);
        return 1;
    }
    loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_signal, loop);
    g_unix_signal_add(SIGINT, on_signal, loop);
    rmq_ha_slave_config_init(&sconf);
    sconf.heartbeat_interval_ms = 100;
    sconf.reconnect_interval_ms = 200;
    sconf.housekeeping_interval_ms = 5000;
    slave = rmq_ha_slave_new(store, &sconf, NULL);
    rmq_ha_slave_set_master_address(slave, argv[2]);
    g_main_loop_run(loop);
    rmq_ha_slave_free(slave);
    rmq_store_close(store);
    rmq_store_config_clear(&conf);
    g_main_loop_unref(loop);
    return 0;
}
