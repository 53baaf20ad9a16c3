/* Running out of space: when a new commit-log or consume-queue file cannot be
 * made, the put is refused with DISK_FULL, one warning says why (path, free
 * bytes, size needed) however many puts are refused, the reason is there for
 * STATUS=, no queue is left behind for a refused topic, and puts succeed again
 * once space is back. posix_fallocate is wrapped (-Wl,--wrap) to fail with
 * ENOSPC for files of one size, so no small file system or root is needed. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/log.h"
#include "store-test-util.h"

int __real_posix_fallocate(int fd, off_t offset, off_t len);
int __wrap_posix_fallocate(int fd, off_t offset, off_t len);

/* Files of this size cannot be allocated (0: all can). */
static off_t fail_size;

int
__wrap_posix_fallocate(int fd, off_t offset, off_t len)
{
    if (fail_size != 0 && len == fail_size)
        return ENOSPC;
    return __real_posix_fallocate(fd, offset, len);
}

static guint disk_full_events;
static gchar *last_event;

static GLogWriterOutput
counting_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
    gboolean disk_full = FALSE;
    const gchar *message = NULL;
    for (gsize i = 0; i < n_fields; i++) {
        if (g_str_equal(fields[i].key, "MESSAGE_ID") &&
            g_str_equal(fields[i].value, RMQ_MSGID_DISK_FULL))
            disk_full = TRUE;
        if (g_str_equal(fields[i].key, "MESSAGE"))
            message = fields[i].value;
    }
    if (disk_full && (level & G_LOG_LEVEL_WARNING)) {
        disk_full_events++;
        g_free(last_event);
        last_event = g_strdup(message);
    }
    return g_log_writer_default(level, fields, n_fields, data);
}

static RmqPutStatus
put(RmqStore *store, const char *topic, guint i)
{
    TestMessage t;
    RmqPutResult r;
    test_message_fill(&t, topic, 0, i, 1500);
    return rmq_store_put_message(store, &t.msg, &r);
}

static gboolean
queue_dir_exists(const char *root, const char *topic)
{
    g_autofree char *dir = g_build_filename(root, "consumequeue", topic, NULL);
    return g_file_test(dir, G_FILE_TEST_EXISTS);
}

static void
test_disk_full(void **state)
{
    (void) state;
    g_autofree char *root = test_tmpdir();
    RmqStoreConfig config;
    test_store_config(&config, root);
    g_autoptr(GError) error = NULL;
    RmqStore *store = rmq_store_open(&config, NULL, &error);
    assert_no_gerror(error);
    fail_size = 0;
    assert_int_equal(put(store, "DfA", 0), RMQ_PUT_OK);
    assert_null(rmq_store_space_problem(store));

    /* No room for a second commit-log file: DfA fills the first, then is refused. */
    fail_size = (off_t) config.mapped_file_size_commit_log;
    RmqPutStatus st = RMQ_PUT_OK;
    guint i;
    for (i = 1; i < 200 && st == RMQ_PUT_OK; i++)
        st = put(store, "DfA", i);
    assert_int_equal(st, RMQ_PUT_DISK_FULL);
    guint failed = i - 1; /* DfB's record of the same index has the same size */
    assert_int_equal(disk_full_events, 1);
    assert_non_null(strstr(last_event, "commitlog"));
    assert_non_null(strstr(last_event, "bytes free"));
    assert_non_null(strstr(last_event, "a new file needs 65536"));

    /* A new topic refused for the same reason: no queue of it on disk, and
     * still the one warning, however many are refused. */
    for (guint k = 0; k < 50; k++)
        assert_int_equal(put(store, "DfB", failed), RMQ_PUT_DISK_FULL);
    assert_false(queue_dir_exists(root, "DfB"));
    assert_int_equal(disk_full_events, 1);
    g_autofree gchar *problem = rmq_store_space_problem(store);
    assert_non_null(problem);
    assert_non_null(strstr(problem, "disk full"));
    assert_non_null(strstr(problem, "commitlog"));

    /* Space is back. */
    fail_size = 0;
    assert_int_equal(put(store, "DfB", failed), RMQ_PUT_OK);
    assert_true(queue_dir_exists(root, "DfB"));
    assert_null(rmq_store_space_problem(store));

    /* The commit log has room but a new topic's first queue file does not fit. */
    fail_size = (off_t) config.mapped_file_size_consume_queue;
    assert_int_equal(put(store, "DfC", i + 1), RMQ_PUT_DISK_FULL);
    assert_false(queue_dir_exists(root, "DfC"));
    assert_int_equal(disk_full_events, 2);
    assert_non_null(strstr(last_event, "consumequeue"));
    fail_size = 0;
    assert_int_equal(put(store, "DfC", i + 2), RMQ_PUT_OK);

    rmq_store_close(store);
    test_rm_rf(root);
    rmq_store_config_clear(&config);
}

int
main(void)
{
    g_log_set_writer_func(counting_writer, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
