/* The SQL92 filter: every operator, precedence, Java's type rules and
 * three-valued logic, the answers of RocketMQ 4.9.7's own filter tests
 * (ExpressionTest, ParserTest: the expected values, rewritten here), and
 * errors with their positions. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "filter/filter.h"

#define T RMQ_FILTER_TRUE
#define F RMQ_FILTER_FALSE
#define U RMQ_FILTER_UNKNOWN
#define X RMQ_FILTER_FAILED

/* Properties as "k=v" strings, NULL-terminated. */
static const gchar *
lookup(const gchar *name, gsize *len, gpointer data)
{
    const gchar *const *kv = data;
    gsize n = strlen(name);
    for (; *kv != NULL; kv++)
        if (strncmp(*kv, name, n) == 0 && (*kv)[n] == '=') {
            *len = strlen(*kv + n + 1);
            return *kv + n + 1;
        }
    return NULL;
}

static RmqFilterResult
eval_props(const gchar *expr, const gchar *const *props)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqFilter) f = rmq_filter_compile(expr, NULL, NULL, &error);
    if (f == NULL)
        fail_msg("'%s' does not compile: %s", expr, error->message);
    assert_string_equal(rmq_filter_get_text(f), expr);
    return rmq_filter_evaluate(f, lookup, (gpointer) props);
}

#define EVAL(expr, ...) eval_props(expr, (const gchar *const[]) { __VA_ARGS__, NULL })

/* One evaluation: @expr over @props (at most four "k=v", NULL-ended) is @want. */
typedef struct {
    const gchar *expr;
    const gchar *props[5];
    RmqFilterResult want;
} FilterCase;

/* Every case in turn; a failure names the case, its expression and answer. */
static void
check_cases(const FilterCase *cases, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        RmqFilterResult got = eval_props(cases[i].expr, cases[i].props);
        if (got != cases[i].want)
            fail_msg("case %zu, '%s': %d, want %d", i, cases[i].expr, got, cases[i].want);
    }
}

/* Compiling fails with @code at (line, column). */
static void
assert_refused(const gchar *expr, gint code, gint line, gint column)
{
    g_autoptr(GError) error = NULL;
    gint l = -1, c = -1;
    g_autoptr(RmqFilter) f = rmq_filter_compile(expr, &l, &c, &error);
    if (f != NULL)
        fail_msg("'%s' compiles", expr);
    assert_true(g_error_matches(error, RMQ_FILTER_ERROR, code));
    if (l != line || c != column)
        fail_msg("'%s': %s (want line %d, column %d)", expr, error->message, line, column);
    g_autofree gchar *pos = g_strdup_printf("line %d, column %d", line, column);
    assert_non_null(strstr(error->message, pos));
}

/* ---- RocketMQ 4.9.7 ExpressionTest, string-valued properties ----------- */

static void
test_java_expression_test(void **state)
{
    (void) state;
    const gchar *and_expr = "a=3 and b<>4 And c>5 AND d<=4";
    const gchar *or_expr = "a=3 or b<>4 Or c>5 OR d<=4";
    const gchar *in = "a in ('3', '4', '5')", *not_in = "a not in ('3', '4', '5')";
    const gchar *bt = "a between 2 and 10", *nbt = "a not between 2 and 10";
    const FilterCase cases[] = {
        { "TAGS is not null and TAGS='''''tag'''''", { "TAGS=''tag''" }, T },
        { "a > 3.1E10", { "a=3.1415E10" }, T },
        { "a > 3.14", { "a=3.1415" }, T },
        { "a > b", { "a=10", "b=20" }, F },
        { "a > b", { "b=10", "a=20" }, T },
        { "a is null OR a='hello'", { NULL }, T },
        { "a is null OR a='hello'", { "a=hello" }, T },
        { "a is null OR a='hello'", { "a=abc" }, F },
        { "a=TRUE OR b=FALSE", { "a=true", "b=false" }, T },
        { "a=TRUE OR b=FALSE", { "a=false", "b=true" }, F },
        { "a is not null and a='hello'", { "a=hello" }, T },
        { "a is not null and a='hello'", { NULL }, F },
        { and_expr, { "a=3", "b=5", "c=6", "d=1" }, T },
        { and_expr, { "a=4", "b=5", "c=6", "d=1" }, F },
        { or_expr, { "a=3" }, T },
        { or_expr, { "a=4", "b=5" }, T },
        { or_expr, { "a=4", "b=4", "c=6" }, T },
        { or_expr, { "a=4", "b=4", "c=3", "d=2" }, T },
        { or_expr, { "a=4", "b=4", "c=3", "d=10" }, F },
        { in, { "a=3" }, T },
        { in, { "a=4" }, T },
        { in, { "a=5" }, T },
        { in, { "a=8" }, F },
        { not_in, { "a=8" }, T },
        { not_in, { "a=3" }, F },
        { not_in, { "a=4" }, F },
        { not_in, { "a=5" }, F },
        { bt, { "a=2" }, T },
        { bt, { "a=10" }, T },
        { bt, { "a=3" }, T },
        { bt, { "a=1" }, F },
        { bt, { "a=11" }, F },
        { nbt, { "a=1" }, T },
        { nbt, { "a=11" }, T },
        { nbt, { "a=2" }, F },
        { nbt, { "a=10" }, F },
        { nbt, { "a=3" }, F },
        { "a is null", { "abc=2" }, T },
        { "a is null", { "a=2" }, F },
        { "a is not null", { "a=2" }, T },
        { "a is not null", { "abc=2" }, F },
    };
    check_cases(cases, G_N_ELEMENTS(cases));
}

/* testEvaluate_stringCompare: ordering strings that are not numbers throws
 * (the broker then does not deliver); = and <> compare the text. */
static void
test_java_string_compare(void **state)
{
    (void) state;
    const FilterCase cases[] = {
        { "a between up and low", { "a=3.14" }, U },
        { "a between up and low", { "a=3.14", "up=up", "low=low" }, X },
        { "key is not null and key between 0 and 100", { "key=con" }, X },
        { "a between 0 and 100", { "a=abc" }, X },
        { "a=b", { "a=3.14", "b=3.14" }, T },
        { "a<>b", { "a=3.14", "b=3.14" }, F },
        { "a<>b", { "a=3.14", "b=3.141" }, T },
    };
    check_cases(cases, G_N_ELEMENTS(cases));
}

/* ParserTest */
static void
test_java_parser_test(void **state)
{
    (void) state;
    const gchar *valid[] = {
        "a=3 and b<>4 And c>5 AND d<=4", "a=3  and    b<>4 And c>5 AND d<=4",
        "a=3 or b<>4 Or c>5 OR d<=4", "a in ('3', '4', '5')",
        "(a not in ('6', '4', '5')) or (b in ('3', '4', '5'))",
        "(a between 2 and 10) AND (b not between 6 and 9)", "a is null", "a is not null",
        "a <= now",
    };
    for (guint i = 0; i < G_N_ELEMENTS(valid); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(RmqFilter) f = rmq_filter_compile(valid[i], NULL, NULL, &error);
        assert_non_null(f);
    }
    assert_refused("a and between 2 and 10", RMQ_FILTER_ERROR_SYNTAX, 1, 7);
    assert_refused("a > 100000000000000000000000", RMQ_FILTER_ERROR_ILLEGAL, 1, 5);
    assert_refused(" a between 10 and 0", RMQ_FILTER_ERROR_ILLEGAL, 1, 12);
    /* a float literal beyond Double.MAX_VALUE */
    GString *big = g_string_new("a > 1");
    for (guint i = 0; i < 2048; i++)
        g_string_append(big, "111111111111111111111111111111111111111111111111111");
    g_string_append_c(big, '.');
    for (guint i = 0; i < 2048; i++)
        g_string_append(big, "111111111111111111111111111111111111111111111111111");
    assert_refused(big->str, RMQ_FILTER_ERROR_ILLEGAL, 1, 5);
    g_string_free(big, TRUE);
}

/* ---- every operator ------------------------------------------------------ */

static void
test_operators(void **state)
{
    (void) state;
    const FilterCase cases[] = {
        { "a = 'x'", { "a=x" }, T },
        { "a = 'x'", { "a=y" }, F },
        { "a <> 'x'", { "a=y" }, T },
        { "a <> 'x'", { "a=x" }, F },
        { "a > 5", { "a=6" }, T },
        { "a > 5", { "a=5" }, F },
        { "a >= 5", { "a=5" }, T },
        { "a >= 5", { "a=4" }, F },
        { "a < 5", { "a=4" }, T },
        { "a < 5", { "a=5" }, F },
        { "a <= 5", { "a=5" }, T },
        { "a <= 5", { "a=6" }, F },
        { "a BETWEEN -1 AND 1", { "a=0" }, T },
        { "a NOT BETWEEN -1 AND 1", { "a=0" }, F },
        { "a IN ('p', 'q')", { "a=q" }, T },
        { "a NOT IN ('p', 'q')", { "a=q" }, F },
        { "a IS NULL", { "b=1" }, T },
        { "a IS NOT NULL", { "b=1" }, F },
        { "a = '1' AND b = '2'", { "a=1", "b=2" }, T },
        { "a = '1' AND b = '2'", { "a=1", "b=3" }, F },
        { "a = '1' OR b = '2'", { "a=0", "b=2" }, T },
        { "a = '1' OR b = '2'", { "a=0", "b=3" }, F },
        { "NOT (a = '1')", { "a=0" }, T },
        { "NOT (a = '1')", { "a=1" }, F },
        { "TRUE", { "a=1" }, T },
        { "FALSE", { "a=1" }, F },
        { "NULL", { "a=1" }, U },
        /* a lone property is a boolean cast: a string is never TRUE */
        { "a", { "a=true" }, F },
        { "a", { NULL }, U },
        /* TAGS is just the property the tags are stored under */
        { "TAGS IN ('TagA', 'TagB')", { "TAGS=TagB" }, T },
        /* keywords in any case; comments */
        { "a iS nOt NuLl aNd a BeTwEeN 1 AnD 3", { "a=2" }, T },
        { "a = '1' /* and b */ AND -- line\n b = '2'", { "a=1", "b=2" }, T },
        /* '' in a literal */
        { "a = 'it''s'", { "a=it's" }, T },
        /* unary plus and minus */
        { "a > -5 AND a < +5", { "a=-3" }, T },
        { "a = - -5", { "a=5" }, T },
        { "-a > 1", { "a=-5" }, U }, /* negating a string: NULL */
    };
    check_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_precedence(void **state)
{
    (void) state;
    const FilterCase cases[] = {
        /* AND before OR */
        { "a = '1' OR b = '2' AND c = '3'", { "a=1", "b=0", "c=0" }, T },
        { "(a = '1' OR b = '2') AND c = '3'", { "a=1", "b=0", "c=0" }, F },
        { "c = '3' AND b = '2' OR a = '1'", { "a=1", "b=0", "c=0" }, T },
        /* comparisons before AND, = after > (a = (b > 1) is not ordered) */
        { "a BETWEEN 1 AND 3 AND b = 'x'", { "a=2", "b=x" }, T },
        { "a > 1 = TRUE", { "a=2" }, T },
        { "a > 1 = FALSE", { "a=2" }, F },
        /* NOT takes the primary after it, as in Java: NOT a = 'x' is
         * (NOT a) = 'x', a Boolean compared with a string (ClassCastException) */
        { "NOT (a = 'x')", { "a=y" }, T },
        { "NOT a = 'x'", { "a=y" }, X },
        { "NOT a = 'x'", { NULL }, U },
        /* parentheses nest */
        { "((a = '1') AND ((b = '2')))", { "a=1", "b=2" }, T },
    };
    check_cases(cases, G_N_ELEMENTS(cases));
}

/* NULL (a missing property) in Java's three-valued logic. */
static void
test_three_valued(void **state)
{
    (void) state;
    const FilterCase cases[] = {
        { "a > 1", { NULL }, U },
        { "a = 'x'", { NULL }, U },
        { "a <> 'x'", { NULL }, U },
        { "NOT (a > 1)", { NULL }, U },
        { "a > 1 OR TRUE", { NULL }, T },
        { "a > 1 OR FALSE", { NULL }, U },
        { "a > 1 AND FALSE", { NULL }, F },
        { "a > 1 AND TRUE", { NULL }, U },
        { "a IN ('x')", { NULL }, U },
        { "a NOT IN ('x')", { NULL }, U },
        { "a BETWEEN 1 AND 2", { NULL }, U },
        { "a NOT BETWEEN 1 AND 2", { NULL }, U },
        /* Java's equality is not symmetric on NULL: a constant on the left
         * against a missing property is FALSE, not NULL */
        { "'x' = a", { NULL }, F },
        { "'x' <> a", { NULL }, T },
        /* two missing properties: NULL = NULL is TRUE (Java's lv == rv) */
        { "a = b", { NULL }, T },
        { "(a > 1) IS NULL", { NULL }, T },
    };
    check_cases(cases, G_N_ELEMENTS(cases));
}

/* Property values are strings; Java converts them to the other side's type. */
static void
test_type_rules(void **state)
{
    (void) state;
    const FilterCase cases[] = {
        /* against an int literal: Integer.valueOf */
        { "a = 3", { "a=3" }, T },
        { "a = 3", { "a=+3" }, T },
        { "a = 3", { "a=3.0" }, X },
        { "a = 3", { "a=3000000000" }, X },
        { "a > 1", { "a= 2" }, X }, /* no trimming */
        /* against a long literal (out of int range, or 3L is still Integer) */
        { "a = 3000000000", { "a=3000000000" }, T },
        { "a < 3000000000", { "a=-9223372036854775808" }, T },
        { "a = 3L", { "a=3.5" }, X },
        { "a = -2147483648", { "a=-2147483648" }, T },
        /* against a double literal: Double.valueOf (trims, exponents, suffixes) */
        { "a = 3.0", { "a=3" }, T },
        { "a > 1.5", { "a= 2 " }, T },
        { "a = 1.5", { "a=1.5f" }, T },
        { "a = 150.", { "a=1.5e2" }, T },
        { "a = .5", { "a=0x1p-1" }, T },
        { "a > 1E3", { "a=Infinity" }, T },
        { "a > 1.5", { "a=abc" }, X },
        /* two properties: = compares text, ordering parses both as doubles */
        { "a = b", { "a=3", "b=3.0" }, F },
        { "a > b", { "a=10", "b=9" }, T }, /* not "10" < "9" */
        { "a >= b", { "a=3", "b=3.0" }, T },
        { "a > b", { "a=x", "b=1" }, X },
        /* booleans: Boolean.valueOf on the string side */
        { "a = TRUE", { "a=TrUe" }, T },
        { "a = TRUE", { "a=yes" }, F },
        { "a = FALSE", { "a=yes" }, T },
        { "TRUE = a", { "a=true" }, X }, /* ClassCastException */
        /* incompatible constants: __compare answers -1 */
        { "1 = TRUE", { "a=1" }, F },
        { "'1' = 1", { "a=1" }, T },
        { "1 = 1.0", { "a=1" }, T },
        { "2 > 1.5", { "a=1" }, T },
        /* an error stops the whole evaluation, unless short-circuited before */
        { "a = 3 OR b = 'x'", { "a=z", "b=x" }, X },
        { "b = 'x' OR a = 3", { "a=z", "b=x" }, T },
        /* NaN and -0.0 as Double.compare orders them */
        { "a >= b AND a <= b", { "a=NaN", "b=NaN" }, T },
        { "a < b", { "a=-0.0", "b=0.0" }, T },
    };
    check_cases(cases, G_N_ELEMENTS(cases));
}

/* ---- literal forms -------------------------------------------------------- */

static void
test_literals(void **state)
{
    (void) state;
    const FilterCase cases[] = {
        { "a = 10L", { "a=10" }, T },
        { "a = 10l", { "a=10" }, T },
        { "a = 1e1", { "a=10" }, T },
        { "a = 1E+1", { "a=10" }, T },
        { "a = 100E-1", { "a=10" }, T },
        { "a = 0", { "a=0" }, T },
        { "a = 9223372036854775807", { "a=9223372036854775807" }, T },
        /* no octal or hex: 010 is 0 then 10 (and 10 is not read, below) */
        { "a > 010", { "a=5" }, T },
        /* what follows a complete expression is not read beyond one token (Java
         * has no <EOF> in its grammar): "a = 0x10" is "a = 0" */
        { "a = 0x10", { "a=0" }, T },
        { "a = '1' b = '2'", { "a=1", "b=3" }, T },
    };
    check_cases(cases, G_N_ELEMENTS(cases));
    /* Java refuses zero as a float literal (compared with Double.MIN_VALUE) */
    assert_refused("a > 0.0", RMQ_FILTER_ERROR_ILLEGAL, 1, 5);
    assert_refused("a > 1E-400", RMQ_FILTER_ERROR_ILLEGAL, 1, 5);
    assert_refused("a > 9223372036854775808", RMQ_FILTER_ERROR_ILLEGAL, 1, 5);
    assert_refused("a > 1E400", RMQ_FILTER_ERROR_ILLEGAL, 1, 5);
    /* but that token must lex */
    assert_refused("a = '1' !", RMQ_FILTER_ERROR_LEXICAL, 1, 9);
}

/* ---- refusals and positions ---------------------------------------------- */

static void
test_errors(void **state)
{
    (void) state;
    assert_refused("", RMQ_FILTER_ERROR_SYNTAX, 1, 1);
    assert_refused("a = ", RMQ_FILTER_ERROR_SYNTAX, 1, 5);
    assert_refused("a ! b", RMQ_FILTER_ERROR_LEXICAL, 1, 3);
    assert_refused("a != 1", RMQ_FILTER_ERROR_LEXICAL, 1, 3);
    assert_refused("a = 'abc", RMQ_FILTER_ERROR_LEXICAL, 1, 8);
    /* "--" without a line end is no comment: two minus signs */
    assert_refused("a IN -- no line end", RMQ_FILTER_ERROR_SYNTAX, 1, 6);
    assert_refused("a == 1", RMQ_FILTER_ERROR_SYNTAX, 1, 4);
    assert_refused("(a > 1", RMQ_FILTER_ERROR_SYNTAX, 1, 7);
    assert_refused("a IN ()", RMQ_FILTER_ERROR_SYNTAX, 1, 7);
    assert_refused("a IN ('x', 1)", RMQ_FILTER_ERROR_SYNTAX, 1, 12);
    assert_refused("a IN 'x'", RMQ_FILTER_ERROR_SYNTAX, 1, 6);
    assert_refused("a IS 1", RMQ_FILTER_ERROR_SYNTAX, 1, 6);
    assert_refused("a BETWEEN 1 OR 2", RMQ_FILTER_ERROR_SYNTAX, 1, 13);
    assert_refused("a > 'x'", RMQ_FILTER_ERROR_ILLEGAL, 1, 5);
    assert_refused("TRUE > 1", RMQ_FILTER_ERROR_ILLEGAL, 1, 1);
    assert_refused("(a = 1) > 1", RMQ_FILTER_ERROR_ILLEGAL, 1, 2);
    assert_refused("a = NULL", RMQ_FILTER_ERROR_ILLEGAL, 1, 5);
    assert_refused("TRUE = 1", RMQ_FILTER_ERROR_ILLEGAL, 1, 1);
    assert_refused("1 IN ('a')", RMQ_FILTER_ERROR_ILLEGAL, 1, 1);
    assert_refused("'x'", RMQ_FILTER_ERROR_ILLEGAL, 1, 1);
    assert_refused("a = 1 AND 2", RMQ_FILTER_ERROR_ILLEGAL, 1, 11);
    assert_refused("NOT 'x'", RMQ_FILTER_ERROR_ILLEGAL, 1, 5);
    assert_refused("a BETWEEN 2 AND 1.5", RMQ_FILTER_ERROR_ILLEGAL, 1, 11);
    assert_refused("a BETWEEN NULL AND 1", RMQ_FILTER_ERROR_ILLEGAL, 1, 11);
    /* lines and tabs count as JavaCC counts them */
    assert_refused("a = 1 AND\n  b > 'x'", RMQ_FILTER_ERROR_ILLEGAL, 2, 7);
    assert_refused("a = 1 AND\r\n\tb > 'x'", RMQ_FILTER_ERROR_ILLEGAL, 2, 13);
    /* the message names the position in Java's words */
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqFilter) f = rmq_filter_compile("a and between 2", NULL, NULL, &error);
    assert_null(f);
    assert_non_null(strstr(error->message, "Encountered \"between\" at line 1, column 7"));
}

/* Client-supplied expressions cannot exhaust the stack: deep nesting is
 * refused when compiling, long flat chains still compile. */
static void
test_depth_limits(void **state)
{
    (void) state;
    GString *parens = g_string_new(NULL);
    for (guint i = 0; i < 100000; i++)
        g_string_append_c(parens, '(');
    g_string_append(parens, "a = 1");
    g_autoptr(GError) e1 = NULL;
    assert_null(rmq_filter_compile(parens->str, NULL, NULL, &e1));
    assert_true(g_error_matches(e1, RMQ_FILTER_ERROR, RMQ_FILTER_ERROR_ILLEGAL));
    g_string_free(parens, TRUE);
    GString *nots = g_string_new(NULL);
    for (guint i = 0; i < 100000; i++)
        g_string_append(nots, "+ ");
    g_string_append(nots, "1 = 1");
    g_autoptr(GError) e2 = NULL;
    assert_null(rmq_filter_compile(nots->str, NULL, NULL, &e2));
    g_string_free(nots, TRUE);
    /* a left-deep chain of 100,000 ANDs: a tree as deep as the chain */
    GString *chain = g_string_new("a = '1'");
    for (guint i = 0; i < 100000; i++)
        g_string_append(chain, " AND a = '1'");
    g_autoptr(GError) e3 = NULL;
    assert_null(rmq_filter_compile(chain->str, NULL, NULL, &e3));
    g_string_free(chain, TRUE);
    /* within the limit: 500 levels of parentheses and 900 ANDs evaluate */
    GString *ok = g_string_new(NULL);
    for (guint i = 0; i < 500; i++)
        g_string_append_c(ok, '(');
    g_string_append(ok, "a = '1'");
    for (guint i = 0; i < 500; i++)
        g_string_append_c(ok, ')');
    for (guint i = 0; i < 400; i++)
        g_string_append(ok, " AND a = '1'");
    assert_int_equal(EVAL(ok->str, "a=1"), T);
    g_string_free(ok, TRUE);
}

static void
test_ref(void **state)
{
    (void) state;
    RmqFilter *f = rmq_filter_compile("a = '1'", NULL, NULL, NULL);
    assert_non_null(f);
    RmqFilter *g = rmq_filter_ref(f);
    rmq_filter_unref(f);
    const gchar *props[] = { "a=1", NULL };
    assert_true(rmq_filter_matches(g, lookup, props));
    rmq_filter_unref(g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_java_expression_test),
        cmocka_unit_test(test_java_string_compare),
        cmocka_unit_test(test_java_parser_test),
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_three_valued),
        cmocka_unit_test(test_type_rules),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_depth_limits),
        cmocka_unit_test(test_ref),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
