/* HA wire format against the reference vectors 09 (slave report) and 10
 * (master transfer of record 05). */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <glib.h>

#include "ha/ha_wire.h"

static GBytes *
load_vector(const char *name)
{
    const char *dir = g_getenv("RMQ_TEST_DATA");
    g_autofree char *path = g_build_filename(dir != NULL ? dir : "tests/data", "vectors", name, NULL);
    g_autoptr(GError) error = NULL;
    gchar *data;
    gsize len;

    if (!g_file_get_contents(path, &data, &len, &error))
        fail_msg("%s", error->message);
    return g_bytes_new_take(data, len);
}

static void
test_report_vector(void **state)
{
    g_autoptr(GBytes) v = load_vector("09_ha_slave_report.bin");
    guint8 out[RMQ_HA_REPORT_SIZE];
    gsize len;
    const guint8 *p = g_bytes_get_data(v, &len);

    (void) state;
    assert_int_equal(len, RMQ_HA_REPORT_SIZE);
    assert_int_equal(rmq_ha_wire_decode_report(p), 201);
    rmq_ha_wire_encode_report(out, 201);
    assert_memory_equal(out, p, RMQ_HA_REPORT_SIZE);
}

static void
test_transfer_vector(void **state)
{
    g_autoptr(GBytes) v = load_vector("10_ha_master_transfer.bin");
    g_autoptr(GBytes) rec = load_vector("05_commitlog_record.bin");
    guint8 hdr[RMQ_HA_TRANSFER_HEADER_SIZE];
    gsize len;
    const guint8 *p = g_bytes_get_data(v, &len);
    gint64 start = -1;
    gint32 size = -1;

    (void) state;
    assert_true(rmq_ha_wire_decode_transfer_header(p, len, &start, &size));
    assert_int_equal(start, 0);
    assert_int_equal(size, 201);
    assert_int_equal(len, RMQ_HA_TRANSFER_HEADER_SIZE + (gsize) size);
    /* the payload is the stored record verbatim */
    assert_int_equal(g_bytes_get_size(rec), (gsize) size);
    assert_memory_equal(p + RMQ_HA_TRANSFER_HEADER_SIZE, g_bytes_get_data(rec, NULL), (gsize) size);
    rmq_ha_wire_encode_transfer_header(hdr, 0, 201);
    assert_memory_equal(hdr, p, sizeof hdr);
    assert_false(rmq_ha_wire_decode_transfer_header(p, RMQ_HA_TRANSFER_HEADER_SIZE - 1, &start, &size));
}

static void
test_large_values(void **state)
{
    guint8 hdr[RMQ_HA_TRANSFER_HEADER_SIZE];
    guint8 rep[RMQ_HA_REPORT_SIZE];
    gint64 start;
    gint32 size;
    const gint64 big = G_GINT64_CONSTANT(0x0123456789abcdef);

    (void) state;
    rmq_ha_wire_encode_transfer_header(hdr, big, 0x7fffabcd);
    assert_int_equal(hdr[0], 0x01);
    assert_int_equal(hdr[7], 0xef);
    assert_int_equal(hdr[8], 0x7f);
    assert_int_equal(hdr[11], 0xcd);
    assert_true(rmq_ha_wire_decode_transfer_header(hdr, sizeof hdr, &start, &size));
    assert_int_equal(start, big);
    assert_int_equal(size, 0x7fffabcd);
    /* a heartbeat: header with size 0 */
    rmq_ha_wire_encode_transfer_header(hdr, 4096, 0);
    assert_true(rmq_ha_wire_decode_transfer_header(hdr, sizeof hdr, &start, &size));
    assert_int_equal(start, 4096);
    assert_int_equal(size, 0);
    rmq_ha_wire_encode_report(rep, big);
    assert_int_equal(rmq_ha_wire_decode_report(rep), big);
}

/* The master keeps only the last complete 8-byte report. */
static void
test_last_report(void **state)
{
    guint8 buf[3 * RMQ_HA_REPORT_SIZE + 5];
    gint64 last = -1;

    (void) state;
    rmq_ha_wire_encode_report(buf, 100);
    rmq_ha_wire_encode_report(buf + 8, 200);
    rmq_ha_wire_encode_report(buf + 16, 300);
    memset(buf + 24, 0xee, 5);
    assert_int_equal(rmq_ha_wire_last_report(buf, 7, &last), 0);
    assert_int_equal(last, -1);
    assert_int_equal(rmq_ha_wire_last_report(buf, 8, &last), 8);
    assert_int_equal(last, 100);
    assert_int_equal(rmq_ha_wire_last_report(buf, 20, &last), 16);
    assert_int_equal(last, 200);
    assert_int_equal(rmq_ha_wire_last_report(buf, sizeof buf, &last), 24);
    assert_int_equal(last, 300);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_vector),
        cmocka_unit_test(test_transfer_vector),
        cmocka_unit_test(test_large_values),
        cmocka_unit_test(test_last_report),
    };
    return cmocka_run_group_tests_name("ha-wire", tests, NULL, NULL);
}
