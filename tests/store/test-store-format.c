#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <zlib.h>

#include "store/consume_queue.h"
#include "store/index_file.h"
#include "store/message_format.h"
#include "model/message_properties.h"

static GBytes *
load_vector(const char *name)
{
    const char *dir = g_getenv("RMQ_TEST_DATA");
    g_autofree char *path = g_build_filename(dir ? dir : "tests/data", "vectors", name, NULL);
    g_autoptr(GError) error = NULL;
    char *data;
    gsize len;

    if (!g_file_get_contents(path, &data, &len, &error))
        fail_msg("%s", error->message);
    return g_bytes_new_take(data, len);
}

static const char stored_props[] =
    "KEYS\001order-1\002UNIQ_KEY\001C0A8000512345C647E0500002A1B0007\002"
    "CLUSTER\001DefaultCluster\002TAGS\001TagA";

static void
vector05_message(RmqMessage *m)
{
    memset(m, 0, sizeof *m);
    m->topic = "TopicTest";
    m->born_timestamp = 1700000000000;
    rmq_host_addr_set_ipv4(&m->born_host, 0xC0A80005, 50000);
    rmq_host_addr_set_ipv4(&m->store_host, 0xC0A8000A, 10911);
    m->body = (const guint8 *) "Hello RocketMQ";
    m->body_len = 14;
    m->properties = stored_props;
    m->properties_len = sizeof stored_props - 1;
}

static void
test_encode_vector05(void **state)
{
    g_autoptr(GBytes) v = load_vector("05_commitlog_record.bin");
    RmqMessage m;
    guint8 out[512];

    vector05_message(&m);
    assert_int_equal(rmq_message_record_size(&m), 201);
    assert_int_equal(g_bytes_get_size(v), 201);
    rmq_message_encode(&m, 0, 0, 1700000000123, out);
    assert_memory_equal(out, g_bytes_get_data(v, NULL), 201);
}

static void
test_decode_vector05(void **state)
{
    g_autoptr(GBytes) v = load_vector("05_commitlog_record.bin");
    gsize len;
    const guint8 *p = g_bytes_get_data(v, &len);
    RmqMessageRecord r;
    const char *val;
    gsize vlen;

    assert_int_equal(rmq_message_decode(p, len, TRUE, &r), RMQ_RECORD_OK);
    assert_int_equal(r.total_size, 201);
    assert_int_equal(r.magic, RMQ_MESSAGE_MAGIC);
    assert_int_equal(r.body_crc, 1774740973);
    assert_int_equal(r.queue_offset, 0);
    assert_int_equal(r.born_timestamp, 1700000000000);
    assert_int_equal(r.store_timestamp, 1700000000123);
    assert_int_equal(rmq_message_peek_store_timestamp(p), 1700000000123);
    assert_int_equal(r.born_host.port, 50000);
    assert_int_equal(r.store_host.port, 10911);
    assert_int_equal(r.body_len, 14);
    assert_memory_equal(r.body, "Hello RocketMQ", 14);
    assert_int_equal(r.topic_len, 9);
    assert_memory_equal(r.topic, "TopicTest", 9);
    assert_true(rmq_message_property_get(r.properties, r.properties_len, "TAGS", &val, &vlen));
    assert_int_equal(vlen, 4);
    assert_memory_equal(val, "TagA", 4);
    assert_true(rmq_message_property_get(r.properties, r.properties_len, "CLUSTER", &val, &vlen));
    assert_memory_equal(val, "DefaultCluster", vlen);
    assert_false(rmq_message_property_get(r.properties, r.properties_len, "WAIT", NULL, NULL));
}

static void
test_decode_damage(void **state)
{
    g_autoptr(GBytes) v = load_vector("05_commitlog_record.bin");
    gsize len;
    guint8 buf[256];
    RmqMessageRecord r;
    guint8 blank[8] = { 0, 0, 0, 100, 0xCB, 0xD4, 0x31, 0x94 };
    guint8 zeros[8] = { 0 };

    const guint8 *src = g_bytes_get_data(v, &len);

    assert_true(len <= sizeof buf);
    memcpy(buf, src, len);
    assert_int_equal(rmq_message_decode(buf, 150, TRUE, &r), RMQ_RECORD_TRUNCATED);
    buf[100] ^= 1;                      /* body byte: CRC no longer matches */
    assert_int_equal(rmq_message_decode(buf, len, TRUE, &r), RMQ_RECORD_CORRUPT);
    assert_int_equal(rmq_message_decode(buf, len, FALSE, &r), RMQ_RECORD_OK);
    buf[100] ^= 1;
    buf[5] ^= 0xff;                     /* magic */
    assert_int_equal(rmq_message_decode(buf, len, FALSE, &r), RMQ_RECORD_CORRUPT);
    buf[5] ^= 0xff;
    buf[3] = 0xc8;                      /* total size one short of the fields */
    assert_int_equal(rmq_message_decode(buf, len, FALSE, &r), RMQ_RECORD_CORRUPT);
    assert_int_equal(rmq_message_decode(blank, 8, TRUE, &r), RMQ_RECORD_BLANK);
    assert_int_equal(r.total_size, 100);
    assert_int_equal(rmq_message_decode(zeros, 8, TRUE, &r), RMQ_RECORD_END);
}

static void
test_ipv6_hosts(void **state)
{
    RmqMessage m;
    RmqMessageRecord r;
    guint8 out[512];

    vector05_message(&m);
    m.born_host.addr_len = 16;
    memset(m.born_host.addr, 0xab, 16);
    assert_int_equal(rmq_message_record_size(&m), 213);
    rmq_message_encode(&m, 7, 4096, 1700000000999, out);
    assert_int_equal(rmq_message_decode(out, 213, TRUE, &r), RMQ_RECORD_OK);
    assert_true(r.sys_flag & RMQ_SYSFLAG_BORNHOST_V6);
    assert_false(r.sys_flag & RMQ_SYSFLAG_STOREHOST_V6);
    assert_int_equal(r.born_host.addr_len, 16);
    assert_int_equal(r.born_host.addr[15], 0xab);
    assert_int_equal(r.store_timestamp, 1700000000999);
    assert_int_equal(rmq_message_peek_store_timestamp(out), 1700000000999);
    assert_int_equal(r.queue_offset, 7);
    assert_int_equal(r.physical_offset, 4096);
}

static void
test_limits(void **state)
{
    RmqMessage m;
    char topic[129];

    vector05_message(&m);
    memset(topic, 'x', 128);
    topic[128] = '\0';
    m.topic = topic;
    assert_int_equal(rmq_message_record_size(&m), -1);
    topic[127] = '\0';
    assert_true(rmq_message_record_size(&m) > 0);
    m.properties_len = 32768;
    assert_int_equal(rmq_message_record_size(&m), -1);
}

static void
test_consume_queue_unit_vector06(void **state)
{
    g_autoptr(GBytes) v = load_vector("06_consumequeue_unit.bin");
    guint8 out[RMQ_CQ_UNIT_SIZE];
    RmqCqUnit u;

    rmq_cq_unit_encode(out, 0, 201, rmq_message_tag_code("TagA", 4));
    assert_int_equal(g_bytes_get_size(v), RMQ_CQ_UNIT_SIZE);
    assert_memory_equal(out, g_bytes_get_data(v, NULL), RMQ_CQ_UNIT_SIZE);
    rmq_cq_unit_decode(g_bytes_get_data(v, NULL), &u);
    assert_int_equal(u.physical_offset, 0);
    assert_int_equal(u.size, 201);
    assert_int_equal(u.tag_code, 2598919);
}

static void
test_tag_hash(void **state)
{
    assert_int_equal(rmq_message_tag_code("TagA", 4), 2598919);
    assert_int_equal(rmq_message_tag_code("TagB", 4), 2598920);
    assert_int_equal(rmq_message_tag_code("*", 1), 42);
    assert_int_equal(rmq_message_tag_code("", 0), 0);
    assert_int_equal(rmq_message_tag_code(NULL, 0), 0);
    /* one UTF-16 unit each: é = 233, 中 = 0x4E2D */
    assert_int_equal(rmq_message_java_hash("\xc3\xa9", 2), 233);
    assert_int_equal(rmq_message_java_hash("\xe4\xb8\xad", 3), 0x4E2D);
    /* U+1F600 is a surrogate pair D83D DE00 in Java */
    assert_int_equal(rmq_message_java_hash("\xf0\x9f\x98\x80", 4), 0xD83D * 31 + 0xDE00);
    /* 32-bit wrap-around, sign-extended: "polygenelubricants" hashes to MIN_VALUE */
    assert_int_equal(rmq_message_tag_code("polygenelubricants", 18), (gint64) G_MININT32);
    assert_int_equal(rmq_index_key_hash("polygenelubricants", 18), 0);
    assert_int_equal(rmq_message_java_hash("hello", 5), 99162322);
    /* ASCII is hashed eight and four bytes at a time: every length and
     * every place of a two-byte character must give the one-unit-at-a-time
     * sum */
    for (int n = 0; n < 30; n++) {
        for (int at = -1; at < n; at++) {
            GString *t = g_string_new(NULL);
            guint32 want = 0;
            for (int i = 0; i < n; i++) {
                if (i == at) {
                    g_string_append(t, "\xc3\xa9");
                    want = 31 * want + 233;
                } else {
                    g_string_append_c(t, (gchar) ('a' + i * 7 % 26));
                    want = 31 * want + (guint32) ('a' + i * 7 % 26);
                }
            }
            assert_int_equal(rmq_message_java_hash(t->str, t->len), (gint32) want);
            g_string_free(t, TRUE);
        }
    }
}

static void
test_crc_matches_zlib(void **state)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(7);
    guint8 buf[5003];

    for (gsize i = 0; i < sizeof buf; i++)
        buf[i] = (guint8) g_rand_int(r);
    for (gsize off = 0; off < 9; off++)
        for (gsize len = 0; len < sizeof buf - off; len += 1 + len / 3)
        {
            assert_int_equal(rmq_crc32(0, buf + off, len), crc32(0, buf + off, (uInt) len));
            assert_int_equal(rmq_crc32_portable(0, buf + off, len), crc32(0, buf + off, (uInt) len));
        }
    /* chaining as with zlib */
    assert_int_equal(rmq_crc32(rmq_crc32(0, buf, 100), buf + 100, 900), crc32(0, buf, 1000));
    assert_int_equal(rmq_message_body_crc((const guint8 *) "Hello RocketMQ", 14), 1774740973);
}

static void
test_message_id(void **state)
{
    RmqHostAddr h, back;
    g_autofree char *id = NULL, *id2 = NULL;
    g_autoptr(GError) error = NULL;
    gint64 off;

    rmq_host_addr_set_ipv4(&h, 0xC0A8000A, 10911);
    id = rmq_message_id_encode(&h, 0);
    assert_string_equal(id, "C0A8000A00002A9F0000000000000000");
    id2 = rmq_message_id_encode(&h, 0x123456789A);
    assert_true(rmq_message_id_decode(id2, &back, &off, &error));
    assert_int_equal(off, 0x123456789A);
    assert_int_equal(back.port, 10911);
    assert_memory_equal(back.addr, h.addr, 4);
    assert_false(rmq_message_id_decode("C0A8000A00002A9F00000000000000", &back, &off, NULL));
    assert_false(rmq_message_id_decode("G0A8000A00002A9F0000000000000000", &back, &off, NULL));
}

/* Ids of IPv4 and IPv6 hosts with every byte value in every position of
 * the address, the port and the offset, against printf's %02X. */
static void
test_message_id_every_byte(void **state)
{
    for (int v6 = 0; v6 < 2; v6++) {
        gsize n = v6 ? 16 : 4;
        for (guint pos = 0; pos < n + 12; pos++) {
            for (guint v = 0; v < 256; v++) {
                guint8 raw[28];
                for (guint i = 0; i < n + 12; i++)
                    raw[i] = (guint8) (i * 37 + 11 + v * (i == pos ? 0 : 1));
                raw[pos] = (guint8) v;
                RmqHostAddr h = { .addr_len = (guint8) n };
                memcpy(h.addr, raw, n);
                h.port = (gint32) (((guint32) raw[n] << 24) | ((guint32) raw[n + 1] << 16) |
                                   ((guint32) raw[n + 2] << 8) | raw[n + 3]);
                guint64 off = 0;
                for (guint i = 0; i < 8; i++)
                    off = off << 8 | raw[n + 4 + i];
                char got[57];
                rmq_message_id_format(&h, (gint64) off, got);
                g_autoptr(GString) want = g_string_new(NULL);
                for (guint i = 0; i < n + 12; i++)
                    g_string_append_printf(want, "%02X", raw[i]);
                assert_string_equal(got, want->str);
            }
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_vector05),
        cmocka_unit_test(test_decode_vector05),
        cmocka_unit_test(test_decode_damage),
        cmocka_unit_test(test_ipv6_hosts),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_consume_queue_unit_vector06),
        cmocka_unit_test(test_tag_hash),
        cmocka_unit_test(test_crc_matches_zlib),
        cmocka_unit_test(test_message_id_every_byte),
        cmocka_unit_test(test_message_id),
    };
    return cmocka_run_group_tests_name("store-format", tests, NULL, NULL);
}
