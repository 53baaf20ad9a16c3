/* The log rate limiter and the truncation of echoed values (common/ratelimit). */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "common/ratelimit.h"

#define SEC G_USEC_PER_SEC

static void
test_burst_then_suppressed(void **state)
{
    (void) state;
    g_autoptr(RmqRateLimit) rl = rmq_rate_limit_new(3, 5 * SEC, 16);
    guint64 suppressed = 99;
    guint allowed = 0;
    for (guint i = 0; i < 1000; i++)
        allowed += rmq_rate_limit_allow(rl, "10.0.0.1", 1000 + i, &suppressed);
    assert_int_equal(allowed, 3);
    assert_int_equal(suppressed, 0);
    /* Next window: allowed again, with the count of what was refused. */
    assert_true(rmq_rate_limit_allow(rl, "10.0.0.1", 1000 + 5 * SEC, &suppressed));
    assert_int_equal(suppressed, 997);
    assert_true(rmq_rate_limit_allow(rl, "10.0.0.1", 1001 + 5 * SEC, &suppressed));
    assert_int_equal(suppressed, 0);
}

static void
test_keys_are_independent(void **state)
{
    (void) state;
    g_autoptr(RmqRateLimit) rl = rmq_rate_limit_new(1, SEC, 16);
    assert_true(rmq_rate_limit_allow(rl, "a", 0, NULL));
    assert_false(rmq_rate_limit_allow(rl, "a", 1, NULL));
    assert_true(rmq_rate_limit_allow(rl, "b", 2, NULL));
    assert_true(rmq_rate_limit_allow(rl, NULL, 3, NULL));
    assert_false(rmq_rate_limit_allow(rl, NULL, 4, NULL));
}

static void
test_table_is_bounded(void **state)
{
    (void) state;
    g_autoptr(RmqRateLimit) rl = rmq_rate_limit_new(2, SEC, 8);
    guint allowed = 0;
    for (guint i = 0; i < 10000; i++) {
        g_autofree gchar *key = g_strdup_printf("peer-%u", i);
        allowed += rmq_rate_limit_allow(rl, key, i, NULL);
    }
    assert_true(rmq_rate_limit_key_count(rl) <= 8);
    /* 7 own keys, one event each, then the shared overflow key's burst of 2. */
    assert_int_equal(allowed, 7 + 2);
    /* Once the windows are over, old keys make room for new ones. */
    assert_true(rmq_rate_limit_allow(rl, "late", 10 * SEC, NULL));
    assert_true(rmq_rate_limit_key_count(rl) <= 8);
}

static void
test_abbrev(void **state)
{
    (void) state;
    assert_null(rmq_abbrev(NULL, 10));
    g_autofree gchar *same = rmq_abbrev("short", 10);
    assert_string_equal(same, "short");
    g_autofree gchar *exact = rmq_abbrev("0123456789", 10);
    assert_string_equal(exact, "0123456789");
    g_autofree gchar *big = g_strnfill(15 * 1024 * 1024, 'x');
    g_autofree gchar *cut = rmq_abbrev(big, 128);
    assert_true(strlen(cut) < 160);
    assert_true(g_str_has_prefix(cut, "xxxx"));
    assert_true(g_str_has_suffix(cut, "... (15728640 bytes)"));
    /* "é" is two bytes: a cut at 3 of "aaé..." keeps whole characters only. */
    g_autofree gchar *utf = rmq_abbrev("aa\xc3\xa9\xc3\xa9", 3);
    assert_true(g_utf8_validate(utf, -1, NULL));
    assert_true(g_str_has_prefix(utf, "aa..."));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_suppressed),
        cmocka_unit_test(test_keys_are_independent),
        cmocka_unit_test(test_table_is_bounded),
        cmocka_unit_test(test_abbrev),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
