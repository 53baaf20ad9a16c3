#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <unistd.h>

#include "store/store.h"
#include "store-test-util.h"

#define N_MSGS 600
#define N_QUEUES 4
#define FILE_SIZE (64 * 1024)

typedef struct {
    char *dir;
    RmqStoreConfig config;
    FakeClock clock;
    gint64 phys[N_MSGS];
    gint32 size[N_MSGS];
    gint64 qoff[N_MSGS];
} Fixture;

static void
msg_for(TestMessage *t, guint i)
{
    test_message_fill(t, "RecTopic", (gint32) (i % N_QUEUES), i, 600);
}

static RmqStore *
open_store(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    RmqStore *s = rmq_store_open(&f->config, NULL, &error);

    assert_no_gerror(error);
    return s;
}

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    RmqStore *s;

    f->dir = test_tmpdir();
    test_store_config(&f->config, f->dir);
    f->clock.now = 1700000000000;
    f->clock.step = 1000;          /* one second per store-time read */
    f->config.clock = fake_clock_read;
    f->config.clock_data = &f->clock;
    s = open_store(f);
    for (guint i = 0; i < N_MSGS; i++) {
        TestMessage t;
        RmqPutResult r;
        msg_for(&t, i);
        assert_int_equal(rmq_store_put_message(s, &t.msg, &r), RMQ_PUT_OK);
        f->phys[i] = r.physical_offset;
        f->size[i] = r.wrote_bytes;
        f->qoff[i] = r.queue_offset;
    }
    rmq_store_close(s);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;

    test_rm_rf(f->dir);
    rmq_store_config_clear(&f->config);
    g_free(f->dir);
    g_free(f);
    return 0;
}

static char *
log_file(Fixture *f, gint64 offset)
{
    g_autofree char *name = g_strdup_printf("%020" G_GINT64_FORMAT, offset - offset % FILE_SIZE);
    return g_build_filename(f->dir, "commitlog", name, NULL);
}

static void
mark_crashed(Fixture *f)
{
    g_autofree char *abort_path = g_build_filename(f->dir, "abort", NULL);
    assert_true(g_file_set_contents(abort_path, "", 0, NULL));
}

/* A crash before the checkpoint was ever written: recovery must then
 * validate the whole log. */
static void
reset_checkpoint(Fixture *f)
{
    g_autofree char *path = g_build_filename(f->dir, "checkpoint", NULL);
    g_autofree char *zeros = g_malloc0(4096);
    assert_true(g_file_set_contents(path, zeros, 4096, NULL));
}

/* Overwrites bytes of the commit log at a global offset. */
static void
poke(Fixture *f, gint64 offset, const void *bytes, gsize len)
{
    g_autofree char *path = log_file(f, offset);
    int fd = open(path, O_WRONLY);

    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, bytes, len, offset % FILE_SIZE), (ssize_t) len);
    close(fd);
}

/* Every message below `upto` reads back intact through its queue, and the
 * queues hold nothing else. */
static void
check_prefix(Fixture *f, RmqStore *s, guint upto)
{
    gint64 count[N_QUEUES] = { 0 };

    for (guint i = 0; i < upto; i++) {
        TestMessage t;
        g_autoptr(RmqGetResult) g = NULL;
        msg_for(&t, i);
        g = rmq_store_get_message(s, "RecTopic", t.msg.queue_id, f->qoff[i], 1, NULL, NULL);
        assert_int_equal(g->status, RMQ_GET_FOUND);
        assert_true(test_message_matches(&t, g_bytes_get_data(g->body, NULL), g_bytes_get_size(g->body)));
        count[i % N_QUEUES]++;
    }
    for (guint q = 0; q < N_QUEUES; q++)
        assert_int_equal(rmq_store_get_max_offset(s, "RecTopic", (gint32) q), count[q]);
    assert_int_equal(rmq_store_get_max_phy_offset(s),
                     upto == N_MSGS ? f->phys[N_MSGS - 1] + f->size[N_MSGS - 1] : f->phys[upto]);
}

static void
test_clean_reopen(void **state)
{
    Fixture *f = *state;
    RmqStore *s = open_store(f);

    assert_false(rmq_store_was_abnormal(s));
    check_prefix(f, s, N_MSGS);
    rmq_store_close(s);
}

static void
test_torn_tail(void **state)
{
    Fixture *f = *state;
    guint last = N_MSGS - 1;
    guint8 zeros[1024] = { 0 };
    RmqStore *s;
    TestMessage t, other;
    RmqPutResult r;

    /* the last record's header made it to disk, its body did not */
    poke(f, f->phys[last] + 40, zeros, (gsize) f->size[last] - 40);
    mark_crashed(f);
    s = open_store(f);
    assert_true(rmq_store_was_abnormal(s));
    check_prefix(f, s, last);
    msg_for(&t, last);
    {
        g_autoptr(RmqQueryResult) q = rmq_store_query_message(s, "RecTopic", t.key, 8, 0, G_MAXINT64);
        assert_int_equal(q->count, 0);
    }
    /* a different message takes its place, offsets and index follow */
    test_message_fill(&other, "RecTopic", t.msg.queue_id, 777777, 300);
    assert_int_equal(rmq_store_put_message(s, &other.msg, &r), RMQ_PUT_OK);
    assert_int_equal(r.physical_offset, f->phys[last]);
    assert_int_equal(r.queue_offset, f->qoff[last]);
    {
        g_autoptr(RmqQueryResult) q1 = rmq_store_query_message(s, "RecTopic", t.key, 8, 0, G_MAXINT64);
        g_autoptr(RmqQueryResult) q2 = rmq_store_query_message(s, "RecTopic", other.key, 8, 0, G_MAXINT64);
        assert_int_equal(q1->count, 0);
        assert_int_equal(q2->count, 1);
    }
    rmq_store_close(s);
    s = open_store(f);
    assert_false(rmq_store_was_abnormal(s));
    assert_int_equal(rmq_store_get_max_offset(s, "RecTopic", t.msg.queue_id), f->qoff[last] + 1);
    rmq_store_close(s);
}

static void
test_file_truncated_mid_record(void **state)
{
    Fixture *f = *state;
    guint k = N_MSGS - 3;
    g_autofree char *path = log_file(f, f->phys[k]);
    RmqStore *s;

    /* no abort file: the short file alone must trigger recovery */
    assert_int_equal(truncate(path, (off_t) (f->phys[k] % FILE_SIZE + f->size[k] / 2)), 0);
    s = open_store(f);
    assert_true(rmq_store_was_abnormal(s));
    check_prefix(f, s, k);
    rmq_store_close(s);
}

static void
test_crc_mismatch_truncates(void **state)
{
    Fixture *f = *state;
    guint k = N_MSGS - 40;
    guint8 junk = 0x5a;
    RmqStore *s;

    reset_checkpoint(f);

    /* the first body byte (offset 88 with IPv4 hosts) of record k flips:
     * its CRC no longer matches */
    {
        g_autofree char *path = log_file(f, f->phys[k]);
        g_autofree char *data = NULL;
        gsize len;
        RmqMessageRecord r;
        assert_true(g_file_get_contents(path, &data, &len, NULL));
        junk = (guint8) data[f->phys[k] % FILE_SIZE + 88] ^ 0x01;
        poke(f, f->phys[k] + 88, &junk, 1);
        g_free(data);
        data = NULL;
        assert_true(g_file_get_contents(path, &data, &len, NULL));
        assert_int_equal(rmq_message_decode((guint8 *) data + f->phys[k] % FILE_SIZE,
                                            len - f->phys[k] % FILE_SIZE, TRUE, &r), RMQ_RECORD_CORRUPT);
    }
    mark_crashed(f);
    s = open_store(f);
    check_prefix(f, s, k);
    rmq_store_close(s);
}

static void
test_rebuild_consume_queues(void **state)
{
    Fixture *f = *state;
    g_autofree char *cq = g_build_filename(f->dir, "consumequeue", NULL);
    g_autofree char *index = g_build_filename(f->dir, "index", NULL);
    RmqStore *s;
    TestMessage t;

    test_rm_rf(cq);
    test_rm_rf(index);
    s = open_store(f);
    check_prefix(f, s, N_MSGS);
    msg_for(&t, 123);
    {
        g_autoptr(RmqQueryResult) q = rmq_store_query_message(s, "RecTopic", t.uniq, 8, 0, G_MAXINT64);
        assert_int_equal(q->count, 1);
    }
    rmq_store_close(s);
}

static void
test_consume_queue_ahead_of_log(void **state)
{
    Fixture *f = *state;
    guint k = N_MSGS / 2;
    guint8 zeros[8] = { 0 };
    RmqStore *s;

    reset_checkpoint(f);

    /* the log lost everything from record k (its header is gone); queues
     * and index still point there */
    poke(f, f->phys[k], zeros, sizeof zeros);
    mark_crashed(f);
    s = open_store(f);
    check_prefix(f, s, k);
    for (guint i = k; i < N_MSGS; i += 37) {
        TestMessage t;
        g_autoptr(RmqQueryResult) q = NULL;
        msg_for(&t, i);
        q = rmq_store_query_message(s, "RecTopic", t.key, 8, 0, G_MAXINT64);
        assert_int_equal(q->count, 0);
    }
    rmq_store_close(s);
}

static void
test_abnormal_recovery_uses_checkpoint(void **state)
{
    Fixture *f = *state;
    guint8 junk[4] = { 0xde, 0xad, 0xbe, 0xef };
    RmqStore *s;

    /* Records were stored one (fake) second apart and the checkpoint says
     * all was flushed, so recovery starts at a late file: damage in the
     * first file goes unnoticed and nothing is truncated. */
    poke(f, f->phys[1] + f->size[1] - 10, junk, sizeof junk);
    mark_crashed(f);
    s = open_store(f);
    assert_true(rmq_store_was_abnormal(s));
    assert_int_equal(rmq_store_get_max_phy_offset(s), f->phys[N_MSGS - 1] + f->size[N_MSGS - 1]);
    rmq_store_close(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_clean_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_truncated_mid_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crc_mismatch_truncates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_consume_queues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consume_queue_ahead_of_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abnormal_recovery_uses_checkpoint, setup, teardown),
    };
    return cmocka_run_group_tests_name("store-recovery", tests, NULL, NULL);
}
