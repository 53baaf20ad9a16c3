#include <config.h>

/* Text the client library makes per message without printf (bench/perf):
 * host "ip:port" of pulled records and the UNIQ_KEY id, checked against
 * inet_ntop/printf and the clock; and the items of a batch body. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <glib.h>
#include <time.h>

#include "client/internal.h"
#include "store/message_format.h"

static gchar *
expected_text(const RmqHostAddr *h)
{
    char buf[INET6_ADDRSTRLEN];
    if (h->addr_len == 16) {
        inet_ntop(AF_INET6, h->addr, buf, sizeof buf);
        return g_strdup_printf("[%s]:%d", buf, h->port);
    }
    inet_ntop(AF_INET, h->addr, buf, sizeof buf);
    return g_strdup_printf("%s:%d", buf, h->port);
}

static void
test_host_text(void **state)
{
    static const struct { guint32 ip; gint32 port; } v4[] = {
        { 0, 0 }, { 0xFFFFFFFF, 65535 }, { 0x0A010203, 10911 }, { 0x7F000001, 9 },
        { 0xC0A80064, 100 }, { 0x01000000, G_MAXINT32 }, { 0x00000001, -1 }, { 0x0A000000, G_MININT32 },
    };
    g_autoptr(GByteArray) body = g_byte_array_new();
    guint n = 0;
    for (guint i = 0; i <= G_N_ELEMENTS(v4); i++, n++) {
        RmqMessage m = { 0 };
        m.topic = "T";
        m.body = (const guint8 *) "x";
        m.body_len = 1;
        if (i < G_N_ELEMENTS(v4)) {
            rmq_host_addr_set_ipv4(&m.born_host, v4[i].ip, v4[i].port);
            rmq_host_addr_set_ipv4(&m.store_host, v4[(i + 1) % G_N_ELEMENTS(v4)].ip, 10911);
        } else { /* IPv6 keeps inet_ntop */
            m.born_host.addr_len = m.store_host.addr_len = 16;
            memset(m.born_host.addr, 0xab, 16);
            m.store_host.addr[15] = 1;
            m.born_host.port = 7;
            m.store_host.port = 8;
        }
        gint64 size = rmq_message_record_size(&m);
        guint at = body->len;
        g_byte_array_set_size(body, at + (guint) size);
        rmq_message_encode(&m, i, at, 1700000000000, body->data + at);
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) msgs = rmq_mq_decode_messages(body->data, body->len, &error);
    if (msgs == NULL)
        print_message("%s\n", error->message);
    assert_non_null(msgs);
    assert_int_equal(msgs->len, n);
    const guint8 *p = body->data;
    for (guint i = 0; i < msgs->len; i++) {
        RmqMessageRecord rec; /* the hosts as stored */
        assert_int_equal(rmq_message_decode(p, body->len - (gsize) (p - body->data), FALSE, &rec),
                         RMQ_RECORD_OK);
        p += rec.total_size;
        const RmqMsg *msg = g_ptr_array_index(msgs, i);
        g_autofree gchar *born = expected_text(&rec.born_host);
        g_autofree gchar *store = expected_text(&rec.store_host);
        assert_string_equal(msg->born_host, born);
        assert_string_equal(msg->store_host, store);
    }
}

static void
test_unique_id_time(void **state)
{
    /* chars 20..27: ms since the start of the current month (UTC) */
    struct timespec before, after;
    clock_gettime(CLOCK_REALTIME, &before);
    g_autofree gchar *id = rmq_mq_unique_id();
    clock_gettime(CLOCK_REALTIME, &after);
    assert_int_equal(strlen(id), 32);

    g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(before.tv_sec);
    g_autoptr(GDateTime) month = g_date_time_new_utc(g_date_time_get_year(now),
                                                     g_date_time_get_month(now), 1, 0, 0, 0);
    gint64 month_ms = g_date_time_to_unix(month) * 1000;
    gint64 lo = (gint64) before.tv_sec * 1000 + before.tv_nsec / 1000000 - month_ms;
    gint64 hi = (gint64) after.tv_sec * 1000 + after.tv_nsec / 1000000 - month_ms;
    gchar hex[9];
    memcpy(hex, id + 20, 8);
    hex[8] = '\0';
    gint64 ms = (gint64) g_ascii_strtoull(hex, NULL, 16);
    g_autoptr(GDateTime) later = g_date_time_new_from_unix_utc(after.tv_sec);
    if (g_date_time_get_month(later) != g_date_time_get_month(now))
        skip(); /* the month turned between the two readings */
    assert_in_range(ms, lo, hi);

    /* pid and salt stay, the counter moves */
    g_autofree gchar *next = rmq_mq_unique_id();
    assert_memory_equal(id, next, 20);
    assert_memory_not_equal(id + 28, next + 28, 4);
}

static guint32
get_be32(const guint8 *p)
{
    return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

/* Batch items (docs/protocol.md §6.6) read back field by field. */
static void
test_batch_item_append(void **state)
{
    (void) state;
    g_autoptr(GHashTable) props = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_replace(props, g_strdup("UNIQ_KEY"), g_strdup("ABCD"));
    g_hash_table_replace(props, g_strdup("KEYS"), g_strdup("k1 k2"));
    g_autoptr(GHashTable) none = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GString) out = g_string_new("xy"); /* items follow what is there */
    assert_int_equal(rmq_mq_batch_item_append(out, 7, "hello", 5, props), 24);
    assert_int_equal(rmq_mq_batch_item_append(out, -2, "", 0, none), 0);
    const guint8 *p = (const guint8 *) out->str + 2;
    gsize left = out->len - 2;
    /* first: total, magic 0, body CRC 0, flag, body length, body, props */
    assert_int_equal(get_be32(p), 20 + 5 + 2 + 24);
    assert_int_equal(get_be32(p + 4), 0);
    assert_int_equal(get_be32(p + 8), 0);
    assert_int_equal(get_be32(p + 12), 7);
    assert_int_equal(get_be32(p + 16), 5);
    assert_memory_equal(p + 20, "hello", 5);
    assert_int_equal(p[25] << 8 | p[26], 24);
    assert_memory_equal(p + 27, "KEYS\001k1 k2\002UNIQ_KEY\001ABCD", 24);
    gsize first = get_be32(p);
    p += first;
    left -= first;
    /* second: an empty body and no properties, a negative flag */
    assert_int_equal(left, 22);
    assert_int_equal(get_be32(p), 22);
    assert_int_equal((gint32) get_be32(p + 12), -2);
    assert_int_equal(get_be32(p + 16), 0);
    assert_int_equal(p[20] << 8 | p[21], 0);

    /* properties over 32767 bytes: refused, nothing appended */
    g_autofree gchar *big = g_strnfill(RMQ_MESSAGE_MAX_PROPS, 'v');
    g_hash_table_replace(props, g_strdup("BIG"), g_strdup(big));
    gsize before = out->len;
    assert_int_equal(rmq_mq_batch_item_append(out, 0, "b", 1, props), -1);
    assert_int_equal(out->len, before);
}

/* The id without allocation: the same form as rmq_mq_unique_id(). */
static void
test_unique_id_to(void **state)
{
    (void) state;
    gchar a[RMQ_MQ_UNIQUE_ID_LEN + 1], b[RMQ_MQ_UNIQUE_ID_LEN + 1];
    memset(a, '?', sizeof a);
    rmq_mq_unique_id_to(a);
    g_autofree gchar *c = rmq_mq_unique_id();
    rmq_mq_unique_id_to(b);
    assert_int_equal(strlen(a), RMQ_MQ_UNIQUE_ID_LEN);
    for (gsize i = 0; i < RMQ_MQ_UNIQUE_ID_LEN; i++)
        assert_true(g_ascii_isxdigit(a[i]) && !g_ascii_islower(a[i]));
    assert_memory_equal(a, c, 20); /* ip, pid, salt */
    assert_memory_equal(c, b, 20);
    assert_memory_not_equal(a + 28, c + 28, 4); /* the counter moves */
    assert_memory_not_equal(c + 28, b + 28, 4);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_text),
        cmocka_unit_test(test_unique_id_time),
        cmocka_unit_test(test_batch_item_append),
        cmocka_unit_test(test_unique_id_to),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
