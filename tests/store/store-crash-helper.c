/* Appends deterministic messages to a store until killed, printing
 * "<sequence> <physical offset>" for each message the store acknowledged:
 * under SYNC_FLUSH only once it is on disk.  test-store-crash kills it with
 * SIGKILL at random moments and checks every printed message afterwards. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"
#include "store-test-util.h"

#define CRASH_QUEUES 4

static void
crash_helper_config(RmqStoreConfig *c, const char *dir, gboolean sync)
{
    test_store_config(c, dir);
    c->mapped_file_size_commit_log = 256 * 1024;
    c->mapped_file_size_consume_queue = 100 * 20;
    c->flush_disk_type = sync ? RMQ_STORE_FLUSH_SYNC : RMQ_STORE_FLUSH_ASYNC;
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    RmqStoreConfig config;
    RmqStore *store;
    gboolean sync;
    guint64 i = 0, limit;

    if (argc != 4) {
        fprintf(stderr, "usage: %s DIR sync|async MAX\n", argv[0]);
        return 2;
    }
    sync = g_str_equal(argv[2], "sync");
    limit = g_ascii_strtoull(argv[3], NULL, 10);
    crash_helper_config(&config, argv[1], sync);
    store = rmq_store_open(&config, NULL, &error);
    if (store == NULL) {
        fprintf(stderr, "open: %s\n", error->message);
        return 1;
    }
    /* continue the sequence after whatever survived the last kill */
    for (gint32 q = 0; q < CRASH_QUEUES; q++)
        i += (guint64) rmq_store_get_max_offset(store, "CrashTopic", q);
    printf("start %" G_GUINT64_FORMAT "\n", i);
    fflush(stdout);
    for (; i < limit; i++) {
        TestMessage t;
        RmqPutResult r;
        test_message_fill(&t, "CrashTopic", (gint32) (i % CRASH_QUEUES), (guint) i, 900);
        if (rmq_store_put_message(store, &t.msg, &r) != RMQ_PUT_OK)
            return 1;
        if (sync && rmq_store_wait_flushed(store, rmq_put_result_end(&r), -1) != RMQ_PUT_OK)
            continue;                       /* stored, but not acknowledged */
        if (!sync)
            g_usleep(50);                   /* keep the log small */
        printf("%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT "\n", i, r.physical_offset);
        fflush(stdout);
    }
    rmq_store_close(store);
    rmq_store_config_clear(&config);
    return 0;
}
