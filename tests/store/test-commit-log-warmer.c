/* The commit log's warmer thread (store/commit_log.h): it maps pages ahead
 * of the writer only once the log is written to, from a write position
 * that is not page-aligned, across the writer's file changes. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <unistd.h>

#include "store/commit_log.h"
#include "store-test-util.h"

#define FILE_SIZE (256 * 1024)
#define AHEAD (64 * 1024)

typedef struct {
    char *dir;
    RmqCommitLog *cl;
    guint next;   /* index of the next test message */
} Fixture;

static int
setup_sized(void **state, gint64 file_size)
{
    Fixture *f = g_new0(Fixture, 1);
    g_autoptr(GError) error = NULL;

    f->dir = test_tmpdir();
    f->cl = rmq_commit_log_new(f->dir, file_size);
    assert_true(rmq_commit_log_load(f->cl, &error));
    assert_no_gerror(error);
    *state = f;
    return 0;
}

static int
setup(void **state)
{
    return setup_sized(state, FILE_SIZE);
}

/* File sizes that are not a multiple of the page: files start inside pages. */
#define ODD_FILE_SIZE 6000
#define ODD_FILE_SIZE_2 10000

static int
setup_odd(void **state)
{
    return setup_sized(state, ODD_FILE_SIZE);
}

static int
setup_odd_2(void **state)
{
    return setup_sized(state, ODD_FILE_SIZE_2);
}

static int
teardown(void **state)
{
    Fixture *f = *state;

    rmq_commit_log_free(f->cl); /* joins the warmer */
    alarm(0);
    test_rm_rf(f->dir);
    g_free(f->dir);
    g_free(f);
    return 0;
}

/* Appends messages until the log has grown by at least @bytes. */
static void
append_bytes(Fixture *f, gint64 bytes)
{
    gint64 until = rmq_commit_log_max_offset(f->cl) + bytes;

    while (rmq_commit_log_max_offset(f->cl) < until) {
        TestMessage t;
        gint64 phy;
        gint32 size;
        g_autoptr(GError) error = NULL;

        test_message_fill(&t, "WarmT", 0, f->next++, 300);
        assert_true(rmq_commit_log_append(f->cl, &t.msg, 0, 1700000000000, &phy, &size, &error));
        assert_no_gerror(error);
    }
}

/* Waits (at most 10 s) until the warmer has mapped up to @end. */
static gint64
wait_warmed(Fixture *f, gint64 end)
{
    for (int i = 0; i < 10000 && rmq_commit_log_warmed(f->cl) < end; i++)
        g_usleep(1000);
    return rmq_commit_log_warmed(f->cl);
}

/* Every page of [from, to) is in the page cache (mincore). */
static void
assert_resident(Fixture *f, gint64 from, gint64 to)
{
    long page = sysconf(_SC_PAGESIZE);
    RmqMappedFile *mf = rmq_mapped_file_queue_find(f->cl->files, from);
    assert_non_null(mf);
    gint64 start = (from - mf->start) / page * page;
    gint64 end = MIN(to - mf->start, (gint64) mf->size);
    gsize pages = (gsize) ((end - start + page - 1) / page);
    g_autofree unsigned char *vec = g_malloc(pages);

    assert_int_equal(mincore(mf->base + start, (size_t) (end - start), vec), 0);
    for (gsize i = 0; i < pages; i++)
        if (!(vec[i] & 1))
            fail_msg("page %zu after offset %" G_GINT64_FORMAT " not resident", i, start);
}

static void
test_idle_log_maps_nothing(void **state)
{
    Fixture *f = *state;

    rmq_commit_log_start_warmer(f->cl, AHEAD);
    g_usleep(100 * 1000);
    assert_int_equal(rmq_commit_log_warmed(f->cl), 0);
}

/* One record leaves the write position inside a page: madvise wants a
 * page-aligned start (an unaligned one once stopped the warmer for good). */
static void
test_warms_ahead_of_unaligned_writer(void **state)
{
    Fixture *f = *state;

    rmq_commit_log_start_warmer(f->cl, AHEAD);
    append_bytes(f, 1);
    gint64 wrote = rmq_commit_log_max_offset(f->cl);
    assert_true(wrote % sysconf(_SC_PAGESIZE) != 0);
    assert_true(wait_warmed(f, wrote + AHEAD) >= wrote + AHEAD);
    assert_resident(f, wrote, wrote + AHEAD);

    /* past half of the window the writer wakes it again: it tops the
     * window up then, so at least half of it lies ahead of the writer */
    append_bytes(f, AHEAD * 3 / 4);
    wrote = rmq_commit_log_max_offset(f->cl);
    assert_true(wait_warmed(f, wrote + AHEAD / 2) >= wrote + AHEAD / 2);
    assert_resident(f, wrote, wrote + AHEAD / 2);
}

/* Started on a log that already ends inside a page (a restart). */
static void
test_warmer_started_late(void **state)
{
    Fixture *f = *state;

    append_bytes(f, 10000);
    rmq_commit_log_start_warmer(f->cl, AHEAD);
    g_usleep(50 * 1000);
    assert_int_equal(rmq_commit_log_warmed(f->cl), 0); /* no append since the start */
    append_bytes(f, 1);
    gint64 wrote = rmq_commit_log_max_offset(f->cl);
    assert_true(wait_warmed(f, wrote + AHEAD) >= wrote + AHEAD);
    assert_resident(f, wrote, wrote + AHEAD);
}

/* At the end of a file it stops at the file's end, and goes on in the next
 * file once the writer has created it and written there. */
static void
test_warms_into_next_file(void **state)
{
    Fixture *f = *state;

    rmq_commit_log_start_warmer(f->cl, AHEAD);
    append_bytes(f, FILE_SIZE - AHEAD / 2);
    assert_true(rmq_commit_log_max_offset(f->cl) < FILE_SIZE);
    assert_int_equal(wait_warmed(f, FILE_SIZE), FILE_SIZE);
    g_usleep(50 * 1000);
    assert_int_equal(rmq_commit_log_warmed(f->cl), FILE_SIZE); /* no second file yet */

    append_bytes(f, AHEAD);
    gint64 wrote = rmq_commit_log_max_offset(f->cl);
    assert_true(wrote > FILE_SIZE);
    assert_true(wait_warmed(f, wrote + AHEAD / 2) >= wrote + AHEAD / 2);
    assert_resident(f, wrote, wrote + AHEAD / 2);
}

/* The writer's page begins in the file before its own, and that file is
 * gone (retention): the warmer maps from the writer's page within its own
 * file, and stops when asked (it once went round for ever here, and the
 * store's close waited for it). */
static void
test_writer_page_in_a_deleted_file(void **state)
{
    Fixture *f = *state;
    long page = sysconf(_SC_PAGESIZE);

    alarm(60); /* a warmer that never stops fails the test instead of hanging it */
    append_bytes(f, ODD_FILE_SIZE + 200);
    gint64 wrote = rmq_commit_log_max_offset(f->cl);
    assert_true(wrote > ODD_FILE_SIZE && wrote - wrote % page < ODD_FILE_SIZE);
    assert_true(rmq_mapped_file_queue_delete_first(f->cl->files, TRUE));

    rmq_commit_log_start_warmer(f->cl, AHEAD);
    append_bytes(f, 1);
    wrote = rmq_commit_log_max_offset(f->cl);
    gint64 want = MIN(wrote + AHEAD / 2, 2 * ODD_FILE_SIZE);
    assert_true(wait_warmed(f, want) >= want);
    assert_resident(f, wrote, want);
}

/* The writer inside a file that starts inside a page: the warmer's start
 * is page-aligned within the mapping (an aligned log offset is not, and
 * madvise refused it: the warmer stopped for good). */
static void
test_file_starting_inside_a_page(void **state)
{
    Fixture *f = *state;

    append_bytes(f, ODD_FILE_SIZE_2 + 3000);
    rmq_commit_log_start_warmer(f->cl, AHEAD);
    append_bytes(f, 1);
    gint64 wrote = rmq_commit_log_max_offset(f->cl);
    assert_true(wrote > ODD_FILE_SIZE_2 && wrote < 2 * ODD_FILE_SIZE_2);
    gint64 want = MIN(wrote + AHEAD / 2, 2 * ODD_FILE_SIZE_2);
    assert_true(wait_warmed(f, want) >= want);
    assert_resident(f, wrote, want);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idle_log_maps_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warms_ahead_of_unaligned_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warmer_started_late, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warms_into_next_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_page_in_a_deleted_file, setup_odd, teardown),
        cmocka_unit_test_setup_teardown(test_file_starting_inside_a_page, setup_odd_2, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
