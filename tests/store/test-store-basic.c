#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store/consume_queue.h"
#include "store/dispatcher.h"
#include "store/store.h"
#include "model/message_properties.h"
#include "store-test-util.h"

#define N_TOPICS 3
#define N_QUEUES 4
#define N_MSGS 1500

typedef struct {
    char *dir;
    RmqStoreConfig config;
    FakeClock clock;
    RmqStore *store;
    gint64 phys[N_MSGS];
    gint64 qoff[N_MSGS];
    gint64 ts[N_MSGS];
} Fixture;

static const char *topics[N_TOPICS] = { "TopicA", "TopicB", "TopicC" };

static void
msg_for(TestMessage *t, guint i)
{
    test_message_fill(t, topics[i % N_TOPICS], (gint32) ((i / N_TOPICS) % N_QUEUES), i, 600);
}

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    g_autoptr(GError) error = NULL;

    f->dir = test_tmpdir();
    test_store_config(&f->config, f->dir);
    f->clock.now = 1700000000000;
    f->clock.step = 0;
    f->config.clock = fake_clock_read;
    f->config.clock_data = &f->clock;
    f->store = rmq_store_open(&f->config, NULL, &error);
    assert_non_null(f->store);
    assert_false(rmq_store_was_abnormal(f->store));
    for (guint i = 0; i < N_MSGS; i++) {
        TestMessage t;
        RmqPutResult r;
        msg_for(&t, i);
        f->clock.now += 7;         /* distinct store times, 7 ms apart */
        assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_OK);
        f->phys[i] = r.physical_offset;
        f->qoff[i] = r.queue_offset;
        f->ts[i] = r.store_timestamp;
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;

    rmq_store_close(f->store);
    test_rm_rf(f->dir);
    rmq_store_config_clear(&f->config);
    g_free(f->dir);
    g_free(f);
    return 0;
}

static void
test_offsets_assigned(void **state)
{
    Fixture *f = *state;
    gint64 next[N_TOPICS][N_QUEUES] = { { 0 } };

    for (guint i = 0; i < N_MSGS; i++) {
        guint tq = (i / N_TOPICS) % N_QUEUES;
        assert_int_equal(f->qoff[i], next[i % N_TOPICS][tq]);
        next[i % N_TOPICS][tq]++;
        if (i > 0)
            assert_true(f->phys[i] > f->phys[i - 1]);
    }
    for (guint t = 0; t < N_TOPICS; t++)
        for (guint q = 0; q < N_QUEUES; q++) {
            assert_int_equal(rmq_store_get_max_offset(f->store, topics[t], (gint32) q), next[t][q]);
            assert_int_equal(rmq_store_get_min_offset(f->store, topics[t], (gint32) q), 0);
        }
    /* 1500 records of up to ~900 bytes in 64 KiB files: several files */
    assert_true(rmq_store_get_max_phy_offset(f->store) > 5 * 64 * 1024);
}

static void
test_read_by_physical_offset(void **state)
{
    Fixture *f = *state;
    gboolean crossed = FALSE;

    for (guint i = 0; i < N_MSGS; i++) {
        TestMessage t;
        g_autoptr(GBytes) b = rmq_store_look_message_by_offset(f->store, f->phys[i]);
        RmqMessageRecord r;
        gsize len;
        const guint8 *p;

        msg_for(&t, i);
        assert_non_null(b);
        p = g_bytes_get_data(b, &len);
        assert_true(test_message_matches(&t, p, len));
        assert_int_equal(rmq_message_decode(p, len, TRUE, &r), RMQ_RECORD_OK);
        assert_int_equal(r.physical_offset, f->phys[i]);
        assert_int_equal(r.queue_offset, f->qoff[i]);
        assert_int_equal(r.store_timestamp, f->ts[i]);
        /* records never straddle files; a jump to a file start is a crossing */
        assert_true(f->phys[i] / (64 * 1024) == (f->phys[i] + (gint64) len - 1) / (64 * 1024));
        if (i > 0 && f->phys[i] % (64 * 1024) == 0 && f->phys[i] != f->phys[i - 1])
            crossed = TRUE;
    }
    assert_true(crossed);
    assert_null(rmq_store_look_message_by_offset(f->store, f->phys[1] + 3));
    assert_null(rmq_store_look_message_by_offset(f->store, rmq_store_get_max_phy_offset(f->store)));
}

static void
test_blank_marker_on_disk(void **state)
{
    Fixture *f = *state;
    g_autofree char *path = g_build_filename(f->dir, "commitlog", "00000000000000000000", NULL);
    g_autofree char *data = NULL;
    gsize len;
    gsize pos = 0;
    RmqMessageRecord r;
    RmqRecordStatus st;

    assert_true(g_file_get_contents(path, &data, &len, NULL));
    assert_int_equal(len, 64 * 1024);
    while ((st = rmq_message_decode((guint8 *) data + pos, len - pos, TRUE, &r)) == RMQ_RECORD_OK)
        pos += (gsize) r.total_size;
    assert_int_equal(st, RMQ_RECORD_BLANK);
    assert_int_equal(pos + (gsize) r.total_size, len);
}

static gboolean
only_tag(gint64 code, gpointer data)
{
    return code == *(gint64 *) data;
}

static void
test_get_message_round_trip(void **state)
{
    Fixture *f = *state;

    for (guint t = 0; t < N_TOPICS; t++)
        for (gint32 q = 0; q < N_QUEUES; q++) {
            gint64 off = 0, max = rmq_store_get_max_offset(f->store, topics[t], q);
            guint seen = 0;
            while (off < max) {
                g_autoptr(RmqGetResult) g = rmq_store_get_message(f->store, topics[t], q, off, 32, NULL, NULL);
                gsize len, pos = 0;
                const guint8 *p;
                assert_int_equal(g->status, RMQ_GET_FOUND);
                assert_true(g->msg_count >= 1 && g->msg_count <= 32);
                assert_int_equal(g->next_begin_offset, off + g->msg_count);
                assert_int_equal(g->max_offset, max);
                p = g_bytes_get_data(g->body, &len);
                for (guint k = 0; k < g->msg_count; k++) {
                    RmqMessageRecord r;
                    TestMessage tm;
                    assert_int_equal(rmq_message_decode(p + pos, len - pos, TRUE, &r), RMQ_RECORD_OK);
                    assert_int_equal(r.queue_offset, off + k);
                    /* recover the sequence number from the flag field */
                    msg_for(&tm, (guint) r.flag);
                    assert_int_equal(tm.msg.queue_id, q);
                    assert_true(test_message_matches(&tm, p + pos, (gsize) r.total_size));
                    assert_int_equal(g_array_index(g->queue_offsets, gint64, k), off + k);
                    pos += (gsize) r.total_size;
                }
                assert_int_equal(pos, len);
                seen += g->msg_count;
                off = g->next_begin_offset;
            }
            assert_int_equal(seen, max);
        }
}

static void
test_get_message_statuses(void **state)
{
    Fixture *f = *state;
    gint64 max = rmq_store_get_max_offset(f->store, "TopicA", 0);
    gint64 tag_b = rmq_message_tag_code("TagB", 4), nope = 12345;
    RmqGetResult *g;

    g = rmq_store_get_message(f->store, "TopicA", 0, max, 32, NULL, NULL);
    assert_int_equal(g->status, RMQ_GET_OFFSET_OVERFLOW_ONE);
    assert_int_equal(g->next_begin_offset, max);
    assert_null(g->body);
    rmq_get_result_free(g);
    g = rmq_store_get_message(f->store, "TopicA", 0, max + 10, 32, NULL, NULL);
    assert_int_equal(g->status, RMQ_GET_OFFSET_OVERFLOW_BADLY);
    assert_int_equal(g->next_begin_offset, 0);   /* min is 0: Java corrects to min */
    rmq_get_result_free(g);
    g = rmq_store_get_message(f->store, "NoSuchTopic", 0, 0, 32, NULL, NULL);
    assert_int_equal(g->status, RMQ_GET_NO_MATCHED_LOGIC_QUEUE);
    rmq_get_result_free(g);
    g = rmq_store_get_message(f->store, "TopicA", 9, 0, 32, NULL, NULL);
    assert_int_equal(g->status, RMQ_GET_NO_MATCHED_LOGIC_QUEUE);
    rmq_get_result_free(g);

    /* tag filter: only TagB records come back, offsets still advance */
    g = rmq_store_get_message(f->store, "TopicA", 0, 0, 8, only_tag, &tag_b);
    assert_int_equal(g->status, RMQ_GET_FOUND);
    {
        gsize len, pos = 0;
        const guint8 *p = g_bytes_get_data(g->body, &len);
        while (pos < len) {
            RmqMessageRecord r;
            const char *v;
            gsize vlen;
            assert_int_equal(rmq_message_decode(p + pos, len - pos, FALSE, &r), RMQ_RECORD_OK);
            assert_true(rmq_message_property_get(r.properties, r.properties_len, "TAGS", &v, &vlen));
            assert_memory_equal(v, "TagB", 4);
            pos += (gsize) r.total_size;
        }
        assert_int_equal(g->msg_count, 8);
        assert_true(g->next_begin_offset > 8);
    }
    rmq_get_result_free(g);
    g = rmq_store_get_message(f->store, "TopicA", 0, 0, 32, only_tag, &nope);
    assert_int_equal(g->status, RMQ_GET_NO_MATCHED_MESSAGE);
    assert_true(g->next_begin_offset > 0);
    assert_null(g->body);
    rmq_get_result_free(g);
}

static void
test_query_by_key(void **state)
{
    Fixture *f = *state;
    guint picks[] = { 0, 1, 77, 700, N_MSGS - 1 };

    for (guint k = 0; k < G_N_ELEMENTS(picks); k++) {
        guint i = picks[k];
        TestMessage t;
        g_autoptr(RmqQueryResult) q1 = NULL, q2 = NULL, q3 = NULL, q4 = NULL;
        msg_for(&t, i);
        q1 = rmq_store_query_message(f->store, t.topic, t.key, 32, 0, G_MAXINT64);
        assert_int_equal(q1->count, 1);
        assert_true(test_message_matches(&t, g_bytes_get_data(q1->body, NULL),
                                         g_bytes_get_size(q1->body)));
        q2 = rmq_store_query_message(f->store, t.topic, t.uniq, 32, f->ts[i], f->ts[i]);
        assert_int_equal(q2->count, 1);
        /* outside the time range, or the wrong topic: nothing */
        q3 = rmq_store_query_message(f->store, t.topic, t.uniq, 32, f->ts[i] + 1, G_MAXINT64);
        assert_int_equal(q3->count, 0);
        q4 = rmq_store_query_message(f->store, "TopicZ", t.key, 32, 0, G_MAXINT64);
        assert_int_equal(q4->count, 0);
        assert_true(q1->index_last_update_timestamp >= f->ts[i]);
    }
    {
        /* "other-3" is a second key on every 7th message of each topic */
        g_autoptr(RmqQueryResult) q = rmq_store_query_message(f->store, "TopicA", "other-3", 1000, 0, G_MAXINT64);
        guint expect = 0;
        for (guint i = 0; i < N_MSGS; i++)
            if (i % N_TOPICS == 0 && i % 7 == 3)
                expect++;
        assert_int_equal(q->count, expect);
    }
}

static void
test_search_by_timestamp(void **state)
{
    Fixture *f = *state;
    guint idx[32];
    guint n = 0;

    for (guint i = 0; i < N_MSGS && n < 32; i++)
        if (i % N_TOPICS == 1 && (i / N_TOPICS) % N_QUEUES == 2)
            idx[n++] = i;
    /* exact hits */
    for (guint k = 0; k < n; k++)
        assert_int_equal(rmq_store_get_offset_by_time(f->store, "TopicB", 2, f->ts[idx[k]]),
                         f->qoff[idx[k]]);
    /* neighbours 84 ms apart: 1 ms after one is nearer to it, 1 ms before the next nearer to that */
    assert_int_equal(rmq_store_get_offset_by_time(f->store, "TopicB", 2, f->ts[idx[3]] + 1), f->qoff[idx[3]]);
    assert_int_equal(rmq_store_get_offset_by_time(f->store, "TopicB", 2, f->ts[idx[4]] - 1), f->qoff[idx[4]]);
    assert_int_equal(rmq_store_get_offset_by_time(f->store, "TopicB", 2, 0), 0);
    assert_int_equal(rmq_store_get_offset_by_time(f->store, "TopicB", 2, G_MAXINT64 / 2),
                     rmq_store_get_max_offset(f->store, "TopicB", 2) - 1);
    assert_int_equal(rmq_store_get_offset_by_time(f->store, "Nope", 2, 5), 0);
    assert_int_equal(rmq_store_get_earliest_message_time(f->store, "TopicB", 2), f->ts[idx[0]]);
    assert_int_equal(rmq_store_get_message_store_timestamp(f->store, "TopicB", 2, 3), f->ts[idx[3]]);
    assert_int_equal(rmq_store_get_earliest_commit_log_time(f->store), f->ts[0]);
    assert_int_equal(rmq_store_get_earliest_message_time(f->store, "Nope", 0), -1);
}

static void
test_reopen_clean(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    gint64 max_phy = rmq_store_get_max_phy_offset(f->store);
    gint64 max_a0 = rmq_store_get_max_offset(f->store, "TopicA", 0);
    TestMessage t;
    RmqPutResult r;
    g_autoptr(RmqGetResult) g = NULL;

    rmq_store_close(f->store);
    f->store = rmq_store_open(&f->config, NULL, &error);
    assert_no_gerror(error);
    assert_false(rmq_store_was_abnormal(f->store));
    assert_int_equal(rmq_store_get_max_phy_offset(f->store), max_phy);
    assert_int_equal(rmq_store_get_max_offset(f->store, "TopicA", 0), max_a0);
    test_message_fill(&t, "TopicA", 0, 99999, 100);
    assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_OK);
    assert_int_equal(r.queue_offset, max_a0);
    assert_int_equal(r.physical_offset, max_phy);
    g = rmq_store_get_message(f->store, "TopicA", 0, max_a0, 32, NULL, NULL);
    assert_int_equal(g->status, RMQ_GET_FOUND);
    assert_true(test_message_matches(&t, g_bytes_get_data(g->body, NULL), g_bytes_get_size(g->body)));
}

static void
test_second_open_is_locked(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    RmqStore *other = rmq_store_open(&f->config, NULL, &error);

    assert_null(other);
    assert_true(g_error_matches(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_LOCKED));
}

static void
test_batch(void **state)
{
    Fixture *f = *state;
    TestMessage t[5];
    RmqMessage msgs[5];
    RmqPutResult r;
    gint64 max = rmq_store_get_max_offset(f->store, "TopicC", 3);

    for (guint i = 0; i < 5; i++) {
        test_message_fill(&t[i], "TopicC", 3, 5000 + i, 300);
        msgs[i] = t[i].msg;
    }
    assert_int_equal(rmq_store_put_messages(f->store, msgs, 5, &r), RMQ_PUT_OK);
    assert_int_equal(r.msg_num, 5);
    assert_int_equal(r.queue_offset, max);
    assert_int_equal(rmq_store_get_max_offset(f->store, "TopicC", 3), max + 5);
    for (guint i = 0; i < 5; i++) {
        g_autoptr(RmqGetResult) g = rmq_store_get_message(f->store, "TopicC", 3, max + i, 1, NULL, NULL);
        assert_int_equal(g->msg_count, 1);
        assert_true(test_message_matches(&t[i], g_bytes_get_data(g->body, NULL), g_bytes_get_size(g->body)));
    }
    /* mixed queues are refused, nothing written */
    msgs[2].queue_id = 1;
    assert_int_equal(rmq_store_put_messages(f->store, msgs, 5, &r), RMQ_PUT_MESSAGE_ILLEGAL);
    assert_int_equal(rmq_store_get_max_offset(f->store, "TopicC", 3), max + 5);
}

/* A batch with the caller's views of its items' properties: the same
 * records, and every item's keys and unique key in the index. */
static void
test_batch_views(void **state)
{
    Fixture *f = *state;
    TestMessage t[5];
    RmqMessage msgs[5];
    RmqPropertyView views[5];
    RmqPutResult r;
    gint64 max = rmq_store_get_max_offset(f->store, "TopicV", 1);

    for (guint i = 0; i < 5; i++) {
        test_message_fill(&t[i], "TopicV", 1, 9000 + i, 300);
        msgs[i] = t[i].msg;
        rmq_message_properties_view(msgs[i].properties, msgs[i].properties_len, &views[i]);
    }
    assert_int_equal(rmq_store_put_messages_view(f->store, msgs, 5, views, &r), RMQ_PUT_OK);
    assert_int_equal(r.msg_num, 5);
    assert_int_equal(r.queue_offset, max);
    for (guint i = 0; i < 5; i++) {
        g_autoptr(RmqGetResult) g = rmq_store_get_message(f->store, "TopicV", 1, max + i, 1, NULL, NULL);
        assert_int_equal(g->msg_count, 1);
        assert_true(test_message_matches(&t[i], g_bytes_get_data(g->body, NULL), g_bytes_get_size(g->body)));
        g_autoptr(RmqQueryResult) qu = rmq_store_query_message(f->store, "TopicV", t[i].uniq, 32, 0, G_MAXINT64);
        assert_int_equal(qu->count, 1);
        assert_true(test_message_matches(&t[i], g_bytes_get_data(qu->body, NULL), g_bytes_get_size(qu->body)));
        g_autoptr(RmqQueryResult) qk = rmq_store_query_message(f->store, "TopicV", t[i].key, 32, 0, G_MAXINT64);
        assert_int_equal(qk->count, 1);
    }
    /* a view that says DELAY refuses the batch, nothing written */
    views[3].v[RMQ_PROP_VIEW_DELAY] = (RmqPropertyValue){ "2", 1 };
    assert_int_equal(rmq_store_put_messages_view(f->store, msgs, 5, views, &r), RMQ_PUT_MESSAGE_ILLEGAL);
    assert_int_equal(rmq_store_get_max_offset(f->store, "TopicV", 1), max + 5);
}

static void
test_delay_and_transactions(void **state)
{
    Fixture *f = *state;
    TestMessage t;
    RmqPutResult r;
    const char props[] = "DELAY\0013\002TAGS\001TagA";
    gint64 before = rmq_store_get_max_offset(f->store, "TopicA", 1);
    gint64 sched = rmq_store_get_max_offset(f->store, RMQ_STORE_SCHEDULE_TOPIC, 2);
    g_autoptr(RmqGetResult) g = NULL;
    RmqMessageRecord rec;
    const char *v;
    gsize vlen;

    test_message_fill(&t, "TopicA", 1, 6000, 50);
    t.msg.properties = props;
    t.msg.properties_len = sizeof props - 1;
    assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_OK);
    assert_true(r.delayed);
    assert_int_equal(rmq_store_get_max_offset(f->store, "TopicA", 1), before);
    assert_int_equal(rmq_store_get_max_offset(f->store, RMQ_STORE_SCHEDULE_TOPIC, 2), sched + 1);
    g = rmq_store_get_message(f->store, RMQ_STORE_SCHEDULE_TOPIC, 2, sched, 1, NULL, NULL);
    assert_int_equal(g->status, RMQ_GET_FOUND);
    assert_int_equal(rmq_message_decode(g_bytes_get_data(g->body, NULL), g_bytes_get_size(g->body),
                                        TRUE, &rec), RMQ_RECORD_OK);
    assert_true(rmq_message_property_get(rec.properties, rec.properties_len, "REAL_TOPIC", &v, &vlen));
    assert_memory_equal(v, "TopicA", vlen);
    assert_true(rmq_message_property_get(rec.properties, rec.properties_len, "REAL_QID", &v, &vlen));
    assert_memory_equal(v, "1", vlen);
    /* DELAY=0 is no delay: the message goes to its own queue, as in Java */
    {
        const char zero[] = "DELAY\0010\002TAGS\001TagA";
        test_message_fill(&t, "TopicA", 1, 5999, 50);
        t.msg.properties = zero;
        t.msg.properties_len = sizeof zero - 1;
        assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_OK);
        assert_false(r.delayed);
        assert_int_equal(rmq_store_get_max_offset(f->store, "TopicA", 1), before + 1);
        before++;
    }
    /* a prepared half message gets no unit and queue offset 0 */
    test_message_fill(&t, "TopicA", 1, 6001, 50);
    t.msg.sys_flag = RMQ_SYSFLAG_TRANSACTION_PREPARED;
    assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_OK);
    assert_int_equal(rmq_store_get_max_offset(f->store, "TopicA", 1), before);
    {
        g_autoptr(GBytes) b = rmq_store_look_message_by_offset(f->store, r.physical_offset);
        assert_int_equal(rmq_message_decode(g_bytes_get_data(b, NULL), g_bytes_get_size(b), TRUE, &rec),
                         RMQ_RECORD_OK);
        assert_int_equal(rec.queue_offset, 0);
    }
    /* its commit is dispatched */
    t.msg.sys_flag = RMQ_SYSFLAG_TRANSACTION_COMMIT;
    t.msg.prepared_transaction_offset = r.physical_offset;
    assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_OK);
    assert_int_equal(r.queue_offset, before);
    assert_int_equal(rmq_store_get_max_offset(f->store, "TopicA", 1), before + 1);
}

static gboolean
delivery_time_is(gint64 code, gpointer data)
{
    return code == *(gint64 *) data;
}

static void
test_delay_tag_code(void **state)
{
    Fixture *f = *state;
    TestMessage t;
    RmqPutResult r;
    const char props[] = "DELAY\0015\002TAGS\001TagA";
    gint64 sched = rmq_store_get_max_offset(f->store, RMQ_STORE_SCHEDULE_TOPIC, 4), want;
    g_autoptr(RmqGetResult) g = NULL;

    test_message_fill(&t, "TopicB", 0, 6100, 50);
    t.msg.properties = props;
    t.msg.properties_len = sizeof props - 1;
    assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_OK);
    want = r.store_timestamp + 60 * 1000;     /* level 5 = 1m */
    g = rmq_store_get_message(f->store, RMQ_STORE_SCHEDULE_TOPIC, 4, sched, 1, delivery_time_is, &want);
    assert_int_equal(g->status, RMQ_GET_FOUND);
}

static void
test_illegal(void **state)
{
    Fixture *f = *state;
    TestMessage t;
    RmqPutResult r;
    char topic[200];
    static char big[40000];

    memset(topic, 'x', 150);
    topic[150] = '\0';
    test_message_fill(&t, "TopicA", 0, 1, 10);
    t.msg.topic = topic;
    assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_MESSAGE_ILLEGAL);
    test_message_fill(&t, "TopicA", 0, 1, 10);
    memset(big, 'a', sizeof big);
    t.msg.properties = big;
    t.msg.properties_len = sizeof big;
    assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_PROPERTIES_SIZE_EXCEEDED);
    test_message_fill(&t, "TopicA", 0, 1, 10);
    t.msg.body_len = 70000;                  /* bigger than a 64 KiB commit-log file */
    t.msg.body = (const guint8 *) big;
    assert_int_equal(rmq_store_put_message(f->store, &t.msg, &r), RMQ_PUT_MESSAGE_ILLEGAL);
    assert_string_equal(rmq_put_status_name(RMQ_PUT_FLUSH_DISK_TIMEOUT), "FLUSH_DISK_TIMEOUT");
    assert_string_equal(rmq_get_status_name(RMQ_GET_OFFSET_OVERFLOW_ONE), "OFFSET_OVERFLOW_ONE");
}

/* rmq_dispatcher_find_queue remembers the last topic it found: the answer
 * must follow the table through new topics, deleted topics and queues, and
 * names too long to remember. */
static void
test_dispatcher_find_queue_follows_table(void **state)
{
    (void) state;
    g_autofree char *dir = test_tmpdir();
    RmqDispatcher *d = rmq_dispatcher_new(dir, 20 * 10, NULL, NULL);
    gchar long_name[200];
    memset(long_name, 'L', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';

    assert_null(rmq_dispatcher_find_queue(d, "T", 0));
    RmqConsumeQueue *t0 = rmq_dispatcher_get_queue(d, "T", 0);
    assert_non_null(t0);
    assert_ptr_equal(rmq_dispatcher_find_queue(d, "T", 0), t0);
    assert_ptr_equal(rmq_dispatcher_find_queue(d, "T", 0), t0); /* remembered */
    assert_null(rmq_dispatcher_find_queue(d, "T", 1));
    assert_null(rmq_dispatcher_find_queue(d, "T", -1));
    RmqConsumeQueue *t1 = rmq_dispatcher_get_queue(d, "T", 1);
    assert_ptr_equal(rmq_dispatcher_find_queue(d, "T", 1), t1);
    assert_null(rmq_dispatcher_find_queue(d, "U", 0));
    assert_null(rmq_dispatcher_find_queue(d, "TT", 0));
    RmqConsumeQueue *u0 = rmq_dispatcher_get_queue(d, "U", 0);
    assert_ptr_equal(rmq_dispatcher_find_queue(d, "U", 0), u0);
    assert_ptr_equal(rmq_dispatcher_find_queue(d, "T", 0), t0);

    /* the remembered topic deleted: found no more, then its new queue (a
     * stale entry reads freed memory: the sanitizer build of scripts/test.sh
     * or valgrind sees it even where the freed bytes still look right) */
    assert_ptr_equal(rmq_dispatcher_find_queue(d, "T", 1), t1);
    rmq_dispatcher_delete_topic(d, "T");
    assert_null(rmq_dispatcher_find_queue(d, "T", 0));
    assert_null(rmq_dispatcher_find_queue(d, "T", 1));
    RmqConsumeQueue *t0b = rmq_dispatcher_get_queue(d, "T", 0);
    assert_ptr_equal(rmq_dispatcher_find_queue(d, "T", 0), t0b);
    assert_null(rmq_dispatcher_find_queue(d, "T", 1));

    /* the last queue of the remembered topic deleted: the topic goes too */
    assert_ptr_equal(rmq_dispatcher_find_queue(d, "U", 0), u0);
    rmq_dispatcher_delete_queue(d, "U", 0);
    assert_null(rmq_dispatcher_find_queue(d, "U", 0));
    RmqConsumeQueue *u1 = rmq_dispatcher_get_queue(d, "U", 1);
    assert_null(rmq_dispatcher_find_queue(d, "U", 0));
    assert_ptr_equal(rmq_dispatcher_find_queue(d, "U", 1), u1);

    /* a name longer than what is remembered is looked up every time */
    RmqConsumeQueue *l0 = rmq_dispatcher_get_queue(d, long_name, 0);
    assert_ptr_equal(rmq_dispatcher_find_queue(d, long_name, 0), l0);
    assert_ptr_equal(rmq_dispatcher_find_queue(d, "T", 0), t0b);
    assert_ptr_equal(rmq_dispatcher_find_queue(d, long_name, 0), l0);
    long_name[150] = 'M'; /* same first 127 bytes, another topic */
    assert_null(rmq_dispatcher_find_queue(d, long_name, 0));

    rmq_dispatcher_free(d);
    test_rm_rf(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_offsets_assigned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_by_physical_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blank_marker_on_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_message_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_message_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_by_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_by_timestamp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_open_is_locked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_views, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_and_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_tag_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_illegal, setup, teardown),
        cmocka_unit_test(test_dispatcher_find_queue_follows_table),
    };
    return cmocka_run_group_tests_name("store-basic", tests, NULL, NULL);
}
