/* The message trace codec (src/client/trace.c) on text in Java's
 * TraceDataEncoder format: Pub, SubBefore, SubAfter (with and without the
 * timestamp and group of non-cloud writers), EndTransaction, the older Pub
 * layouts, String.split's dropping of trailing empty fields, trace keys, and
 * encode/decode round trips byte for byte; the SubBefore/SubAfter records of
 * a consumed batch, whose costTime shares the time among every message of
 * the batch, traced or not (ConsumeMessageTraceHookImpl). */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/internal.h"
#include "client/rmq-client.h"

/* Java's CONTENT_SPLITOR (1) and FIELD_SPLITOR (2) */
#define C "\001"
#define F "\002"

/* TraceDataEncoderTest's Pub line, time fixed. */
static const gchar pub_line[] = "Pub" C "1700000000123" C "DefaultRegion" C "PID-test" C
                                "topic-test" C "AC1415116D1418B4AAC217FE1B4E0000" C "Tags" C
                                "Keys" C "127.0.0.1:10911" C "26" C "245" C "0" C
                                "0A9A002600002A9F0000000000002329" C "true" F;

static void
test_decode_pub(void **state)
{
    (void) state;
    g_autoptr(GPtrArray) v = rmq_trace_decode(pub_line, strlen(pub_line));
    assert_int_equal(v->len, 1);
    RmqTraceRecord *r = g_ptr_array_index(v, 0);
    assert_int_equal(r->type, RMQ_TRACE_PUB);
    assert_int_equal(r->timestamp, 1700000000123);
    assert_string_equal(r->region_id, "DefaultRegion");
    assert_string_equal(r->group, "PID-test");
    assert_string_equal(r->topic, "topic-test");
    assert_string_equal(r->msg_id, "AC1415116D1418B4AAC217FE1B4E0000");
    assert_string_equal(r->tags, "Tags");
    assert_string_equal(r->keys, "Keys");
    assert_string_equal(r->store_host, "127.0.0.1:10911");
    assert_int_equal(r->body_length, 26);
    assert_int_equal(r->cost_time, 245);
    assert_int_equal(r->msg_type, 0);
    assert_string_equal(r->offset_msg_id, "0A9A002600002A9F0000000000002329");
    assert_true(r->success);
    assert_null(r->client_host);
}

static void
test_encode_pub_is_java_text(void **state)
{
    (void) state;
    g_autoptr(RmqTraceRecord) r = rmq_trace_record_new(RMQ_TRACE_PUB);
    r->timestamp = 1700000000123;
    r->region_id = g_strdup("DefaultRegion");
    r->group = g_strdup("PID-test");
    r->topic = g_strdup("topic-test");
    r->msg_id = g_strdup("AC1415116D1418B4AAC217FE1B4E0000");
    r->tags = g_strdup("Tags");
    r->keys = g_strdup("Keys");
    r->store_host = g_strdup("127.0.0.1:10911");
    r->body_length = 26;
    r->cost_time = 245;
    r->offset_msg_id = g_strdup("0A9A002600002A9F0000000000002329");
    g_autoptr(GString) out = g_string_new(NULL);
    rmq_trace_encode(r, out);
    assert_string_equal(out->str, pub_line);
    /* the trans keys: msg id and keys (TraceDataEncoderTest: 2) */
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
    rmq_trace_keys(r, keys);
    assert_int_equal(keys->len, 2);
    assert_string_equal(g_ptr_array_index(keys, 0), "AC1415116D1418B4AAC217FE1B4E0000");
    assert_string_equal(g_ptr_array_index(keys, 1), "Keys");
    /* null strings are written "null", as StringBuilder.append does; no
     * keys, no key besides the id */
    g_autoptr(RmqTraceRecord) bare = rmq_trace_record_new(RMQ_TRACE_SUB_BEFORE);
    bare->timestamp = 5;
    bare->msg_id = g_strdup("ID1");
    g_autoptr(GString) b = g_string_new(NULL);
    rmq_trace_encode(bare, b);
    assert_string_equal(b->str, "SubBefore" C "5" C "null" C "null" C "null" C "ID1" C "0" C
                                "null" F);
    g_autoptr(GPtrArray) k2 = g_ptr_array_new_with_free_func(g_free);
    rmq_trace_keys(bare, k2);
    assert_int_equal(k2->len, 1);
}

static void
test_decode_sub_and_old_layouts(void **state)
{
    (void) state;
    const gchar *data =
        /* SubBefore */
        "SubBefore" C "1700000001000" C "DefaultRegion" C "CID-a" C "REQ1" C "MSGID1" C "2" C
        "k1 k2" F
        /* SubAfter as written by a non-cloud client: 9 fields */
        "SubAfter" C "REQ1" C "MSGID1" C "17" C "false" C "k1 k2" C "4" C "1700000001017" C
        "CID-a" F
        /* SubAfter of an old writer: 6 fields */
        "SubAfter" C "REQ2" C "MSGID2" C "3" C "true" C "k" F
        /* Pub of 13 fields (no offset id) and of 15 (client host) */
        "Pub" C "1" C "R" C "G" C "T" C "M13" C "t" C "k" C "h:1" C "1" C "2" C "3" C "false" F
        "Pub" C "1" C "R" C "G" C "T" C "M15" C "t" C "k" C "h:1" C "1" C "2" C "1" C "OFF" C
        "true" C "10.0.0.9" F
        /* an unknown type and a line Java would throw on are skipped */
        "Other" C "x" F "Pub" C "notanumber" C "R" F
        /* EndTransaction */
        "EndTransaction" C "9" C "R" C "PG" C "T" C "MID" C "tg" C "ky" C "h:2" C "2" C "TX1" C
        "COMMIT_MESSAGE" C "true" F;
    g_autoptr(GPtrArray) v = rmq_trace_decode(data, strlen(data));
    assert_int_equal(v->len, 6);
    RmqTraceRecord *sb = g_ptr_array_index(v, 0);
    assert_int_equal(sb->type, RMQ_TRACE_SUB_BEFORE);
    assert_string_equal(sb->group, "CID-a");
    assert_string_equal(sb->request_id, "REQ1");
    assert_int_equal(sb->retry_times, 2);
    assert_string_equal(sb->keys, "k1 k2");
    RmqTraceRecord *sa = g_ptr_array_index(v, 1);
    assert_int_equal(sa->type, RMQ_TRACE_SUB_AFTER);
    assert_int_equal(sa->cost_time, 17);
    assert_false(sa->success);
    assert_int_equal(sa->context_code, 4);
    assert_int_equal(sa->timestamp, 1700000001017);
    assert_string_equal(sa->group, "CID-a");
    RmqTraceRecord *old = g_ptr_array_index(v, 2);
    assert_string_equal(old->msg_id, "MSGID2");
    assert_null(old->group);
    assert_int_equal(old->context_code, 0);
    RmqTraceRecord *p13 = g_ptr_array_index(v, 3);
    assert_null(p13->offset_msg_id);
    assert_false(p13->success);
    RmqTraceRecord *p15 = g_ptr_array_index(v, 4);
    assert_string_equal(p15->offset_msg_id, "OFF");
    assert_string_equal(p15->client_host, "10.0.0.9");
    assert_int_equal(p15->msg_type, 1);
    RmqTraceRecord *et = g_ptr_array_index(v, 5);
    assert_int_equal(et->type, RMQ_TRACE_END_TRANSACTION);
    assert_string_equal(et->transaction_id, "TX1");
    assert_string_equal(et->transaction_state, "COMMIT_MESSAGE");
    assert_true(et->from_transaction_check);
    assert_int_equal(et->msg_type, 2);
}

/* String.split drops trailing empty strings: a SubAfter whose group is
 * empty has 8 fields, so Java reads neither its timestamp nor its group. */
static void
test_trailing_empty_fields(void **state)
{
    (void) state;
    const gchar *data = "SubAfter" C "REQ" C "MID" C "5" C "true" C "" C "0" C "1234" C "" F;
    g_autoptr(GPtrArray) v = rmq_trace_decode(data, strlen(data));
    assert_int_equal(v->len, 1);
    RmqTraceRecord *r = g_ptr_array_index(v, 0);
    assert_null(r->group);
    assert_int_not_equal(r->timestamp, 1234);
    assert_string_equal(r->keys, "");
    /* empty input, only separators */
    g_autoptr(GPtrArray) e = rmq_trace_decode("", 0);
    assert_int_equal(e->len, 0);
    g_autoptr(GPtrArray) s = rmq_trace_decode(F F, 2);
    assert_int_equal(s->len, 0);
}

static void
test_round_trip(void **state)
{
    (void) state;
    const gchar *data =
        "SubBefore" C "1700000001000" C "DefaultRegion" C "CID-a" C "REQ1" C "MSGID1" C "2" C
        "k1 k2" F "SubAfter" C "REQ1" C "MSGID1" C "17" C "false" C "k1 k2" C "4" C
        "1700000001017" C "CID-a" F "EndTransaction" C "9" C "R" C "PG" C "T" C "MID" C "tg" C
        "ky" C "h:2" C "2" C "TX1" C "COMMIT_MESSAGE" C "true" F;
    g_autoptr(GString) all = g_string_new(pub_line);
    g_string_append(all, data);
    g_autoptr(GPtrArray) v = rmq_trace_decode(all->str, all->len);
    assert_int_equal(v->len, 4);
    g_autoptr(GString) out = g_string_new(NULL);
    for (guint i = 0; i < v->len; i++)
        rmq_trace_encode(g_ptr_array_index(v, i), out);
    assert_string_equal(out->str, all->str);
}

static RmqMsg *
batch_msg(const gchar *keys, gboolean trace_on)
{
    RmqMsg *m = rmq_msg_new("T", "b", -1);
    rmq_msg_set_keys(m, keys);
    if (!trace_on)
        rmq_msg_put_property(m, "TRACE_ON", "false");
    return m;
}

static void
test_consume_cost_per_batch_message(void **state)
{
    (void) state;
    g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
    g_ptr_array_add(msgs, batch_msg("off-1", FALSE));
    g_ptr_array_add(msgs, batch_msg("on-1", TRUE));
    g_ptr_array_add(msgs, batch_msg("off-2", FALSE));
    g_ptr_array_add(msgs, batch_msg("off-3", FALSE));
    RmqTraceConsume *t = rmq_trace_consume_begin("CG", msgs, 1000);
    assert_non_null(t);
    GPtrArray *before = rmq_trace_consume_records(t);
    assert_int_equal(before->len, 1);
    const RmqTraceRecord *b = g_ptr_array_index(before, 0);
    assert_int_equal(b->type, RMQ_TRACE_SUB_BEFORE);
    assert_string_equal(b->keys, "on-1");
    assert_string_equal(b->group, "CG");
    assert_int_equal(b->timestamp, 1000);

    /* 403 ms over the batch of 4 (3 of them untraced): 100 each, as Java
     * divides by context.getMsgList().size() */
    GPtrArray *after = rmq_trace_consume_end(t, 1403, FALSE);
    assert_int_equal(after->len, 1);
    const RmqTraceRecord *a = g_ptr_array_index(after, 0);
    assert_int_equal(a->type, RMQ_TRACE_SUB_AFTER);
    assert_int_equal(a->cost_time, 100);
    assert_int_equal(a->timestamp, 1403);
    assert_false(a->success);
    assert_int_equal(a->context_code, 4);
    rmq_trace_consume_free(t);

    /* nothing traced: no records */
    g_autoptr(GPtrArray) off = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
    g_ptr_array_add(off, batch_msg("off-4", FALSE));
    assert_null(rmq_trace_consume_begin("CG", off, 1000));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_pub),
        cmocka_unit_test(test_encode_pub_is_java_text),
        cmocka_unit_test(test_decode_sub_and_old_layouts),
        cmocka_unit_test(test_trailing_empty_fields),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_consume_cost_per_batch_message),
    };
    return cmocka_run_group_tests_name("trace-codec", tests, NULL, NULL);
}
