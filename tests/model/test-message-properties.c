/* The message-property codec of src/model/message_properties: Java's parse
 * rules (short, nameless and valueless segments, trailing separators,
 * duplicates, 0x01 inside a value), lookups, the one-pass find, build and
 * parse round trips, and the send path's edit (drop/replace/append). */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model/message_properties.h"

static void
test_parse_java_rules(void **state)
{
    (void)state;
    const char with_trailer[] = "A\001x\002BB\001yy\002";
    const char odd[] = "\001v\002k\001\002ab\002K\001V\002\002";
    g_autoptr(GHashTable) t = rmq_message_properties_parse(with_trailer, sizeof with_trailer - 1);
    g_autoptr(GHashTable) o = rmq_message_properties_parse(odd, sizeof odd - 1);

    assert_int_equal(g_hash_table_size(t), 2);
    /* "A\1x" is exactly 3 chars: kept; Java drops only shorter segments */
    assert_string_equal(g_hash_table_lookup(t, "A"), "x");
    assert_string_equal(g_hash_table_lookup(t, "BB"), "yy");
    /* empty name, empty value, no separator: all dropped */
    assert_int_equal(g_hash_table_size(o), 1);
    assert_string_equal(g_hash_table_lookup(o, "K"), "V");
    assert_false(rmq_message_property_get(odd, sizeof odd - 1, "k", NULL, NULL));
    assert_false(rmq_message_property_get(odd, sizeof odd - 1, "ab", NULL, NULL));

    g_autoptr(GHashTable) none = rmq_message_properties_parse(NULL, 0);
    assert_int_equal(g_hash_table_size(none), 0);
    g_autoptr(GHashTable) seps = rmq_message_properties_parse("\002\002\002", 3);
    assert_int_equal(g_hash_table_size(seps), 0);
}

static void
test_get_edge_cases(void **state)
{
    (void)state;
    const char *v = NULL;
    gsize n = 0;
    /* no 0x02 at all: the whole string is one pair */
    assert_true(rmq_message_property_get("TAGS\001TagA", 9, "TAGS", &v, &n));
    assert_int_equal(n, 4);
    assert_memory_equal(v, "TagA", 4);
    /* a value may hold 0x01: the name ends at the first one */
    const char inner[] = "K\001a\001b\002Z\001z";
    assert_true(rmq_message_property_get(inner, sizeof inner - 1, "K", &v, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(v, "a\001b", 3);
    /* the last of two wins, as in Java's HashMap */
    const char twice[] = "K\0011\002K\0012";
    assert_true(rmq_message_property_get(twice, sizeof twice - 1, "K", &v, &n));
    assert_memory_equal(v, "2", 1);
    /* names match whole: neither a prefix nor an extension */
    const char keys[] = "KEYS\001k";
    assert_false(rmq_message_property_get(keys, sizeof keys - 1, "KEY", NULL, NULL));
    assert_false(rmq_message_property_get(keys, sizeof keys - 1, "KEYSX", NULL, NULL));
    assert_false(rmq_message_property_get(keys, sizeof keys - 1, "NOPE", NULL, NULL));
    assert_false(rmq_message_property_get(NULL, 0, "KEYS", NULL, NULL));
    /* a length shorter than the string is honoured */
    assert_false(rmq_message_property_get("AB\001c", 3, "AB", NULL, NULL));
    /* empty value: dropped, so not found */
    assert_false(rmq_message_property_get("DELAY\001\002T\001x", 10, "DELAY", NULL, NULL));

    g_autofree gchar *d = rmq_message_property_dup(inner, sizeof inner - 1, "Z");
    assert_string_equal(d, "z");
    assert_null(rmq_message_property_dup(inner, sizeof inner - 1, "Y"));
    assert_null(rmq_message_property_dup(NULL, 0, "Z"));
}

static void
test_find_many(void **state)
{
    (void)state;
    const char props[] = "TAGS\001t\002DELAY\0013\002UNIQ_KEY\001U\002TAGSX\001no";
    const char *const names[] = { RMQ_PROPERTY_TAGS, RMQ_PROPERTY_DELAY, RMQ_PROPERTY_KEYS,
                                  RMQ_PROPERTY_UNIQ_KEY };
    RmqPropertyValue out[4];
    rmq_message_properties_find(props, sizeof props - 1, names, 4, out);
    assert_int_equal(out[0].len, 1);
    assert_memory_equal(out[0].value, "t", 1);
    assert_memory_equal(out[1].value, "3", 1);
    assert_null(out[2].value);
    assert_int_equal(out[2].len, 0);
    assert_memory_equal(out[3].value, "U", 1);
    rmq_message_properties_find(NULL, 0, names, 4, out);
    for (int i = 0; i < 4; i++)
        assert_null(out[i].value);
}

/* The one-pass view agrees with a lookup per name, malformed segments and
 * duplicates included (last wins), on strings of several shapes. */
/* The edit into caller memory is the edit, within its bound. */
static void
test_edit_to(void **state)
{
    (void)state;
    static const char *const drop[] = { "WAIT", NULL };
    static const char *const add[] = { "CLUSTER", "C1", "X", "v", NULL };
    static const char *const cases[] = {
        "", "WAIT\001true", "TAGS\001a\002WAIT\001false\002CLUSTER\001old\002KEYS\001k",
        "\002\002TAGS\002\001x\002Y\001\001y",
    };
    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        gsize len = strlen(cases[c]);
        g_autoptr(GString) want = rmq_message_properties_edit(cases[c], len, drop, add);
        gsize bound = rmq_message_properties_edit_bound(len, add);
        assert_true(bound >= want->len + 1);
        g_autofree char *buf = g_malloc(bound);
        gsize n = rmq_message_properties_edit_to(buf, cases[c], len, drop, add);
        assert_int_equal(n, want->len);
        assert_string_equal(buf, want->str);
    }
}

/* The edit and the view in one pass: the same string as edit_to without
 * additions, and the view rmq_message_properties_view() gives of it. */
static void
test_edit_view_to(void **state)
{
    (void)state;
    static const char *const drop[] = { "WAIT", NULL };
    static const char *const cases[] = {
        "",
        "WAIT\001true",
        "UNIQ_KEY\001u1\002TAGS\001a\002WAIT\001false\002KEYS\001k\002TAGS\001b",
        "\002\002TAGS\002\001x\002Y\001\001y\002DELAY\001\0013\002TRAN_MSG\001",
        "x\002KEYS\001k2 k3\002WAIT\001true\002UNIQ_KEYS\001no\002TAG\001no",
    };
    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        gsize len = strlen(cases[c]);
        g_autofree char *want = g_malloc(len + 1);
        gsize want_len = rmq_message_properties_edit_to(want, cases[c], len, drop, NULL);
        RmqPropertyView fresh, view;
        rmq_message_properties_view(want, want_len, &fresh);
        g_autofree char *buf = g_malloc(len + 1);
        gsize n = rmq_message_properties_edit_view_to(buf, cases[c], len, drop, &view);
        assert_int_equal(n, want_len);
        assert_string_equal(buf, want);
        assert_true(rmq_property_view_matches(&view, buf, n));
        assert_int_equal(view.pairs_only, fresh.pairs_only);
        for (guint f = 0; f < RMQ_PROP_VIEW_N; f++) {
            assert_int_equal(view.v[f].value == NULL, fresh.v[f].value == NULL);
            if (view.v[f].value == NULL)
                continue;
            /* at the same place of the output */
            assert_int_equal(view.v[f].value - buf, fresh.v[f].value - want);
            assert_int_equal(view.v[f].len, fresh.v[f].len);
            assert_int_equal(view.count[f], fresh.count[f]);
        }
        assert_null(view.v[RMQ_PROP_VIEW_WAIT].value);
    }
    /* NULL properties: an empty string and an empty view */
    char one[1];
    RmqPropertyView empty;
    assert_int_equal(rmq_message_properties_edit_view_to(one, NULL, 0, drop, &empty), 0);
    assert_string_equal(one, "");
    for (guint f = 0; f < RMQ_PROP_VIEW_N; f++)
        assert_null(empty.v[f].value);
}

/* The edit from a view agrees byte for byte with the general edit on every
 * string of short segments built from names the view knows, malformed and
 * empty ones included, and declines only the strings it cannot copy. */
static void
test_edit_view_agrees(void **state)
{
    (void)state;
    static const char *const parts[] = {
        "WAIT\001true", "CLUSTER\001c0", "TAGS\001a", "UNIQ_KEY\001U1", "K\001v\001w",
        "WAIT\001", "\001x", "", "WAITX\001y", "x",
    };
    static const char *const clusters[] = { "DefaultCluster", "", NULL };
    const guint np = G_N_ELEMENTS(parts);
    guint quick = 0, total = 0;
    /* every sequence of up to four parts, joined by single separators, and
     * the same with a trailing separator */
    for (guint n = 0; n <= 4; n++) {
        guint combos = 1;
        for (guint i = 0; i < n; i++)
            combos *= np;
        for (guint c = 0; c < combos; c++) {
            for (int trail = 0; trail < 2; trail++) {
                GString *props = g_string_new(NULL);
                for (guint i = 0, k = c; i < n; i++, k /= np) {
                    if (i > 0)
                        g_string_append_c(props, '\002');
                    g_string_append(props, parts[k % np]);
                }
                if (trail)
                    g_string_append_c(props, '\002');
                for (guint cl = 0; cl < G_N_ELEMENTS(clusters); cl++) {
                    static const char *const drop[] = { "WAIT", NULL };
                    const char *add[] = { "CLUSTER", clusters[cl], NULL };
                    gsize bound = rmq_message_properties_edit_bound(props->len, add);
                    g_autofree char *want = g_malloc(bound);
                    g_autofree char *got = g_malloc(bound);
                    gsize wn = rmq_message_properties_edit_to(want, props->str, props->len, drop, add);
                    RmqPropertyView view;
                    rmq_message_properties_view(props->str, props->len, &view);
                    gssize gn = rmq_message_properties_edit_view(got, &view, RMQ_PROP_VIEW_WAIT,
                                                                 RMQ_PROP_VIEW_CLUSTER, clusters[cl]);
                    total++;
                    if (gn < 0)
                        continue;
                    quick++;
                    assert_int_equal(gn, wn);
                    assert_memory_equal(got, want, wn + 1);
                }
                g_string_free(props, TRUE);
            }
        }
    }
    /* the well-formed ones with one WAIT at most and no CLUSTER (about
     * 2,000 of the 66,666) are taken by the quick edit */
    assert_true(quick > 1000 && quick < total);
    RmqPropertyView view;
    const char *usual = "UNIQ_KEY\001ABC\002WAIT\001true\002TAGS\001t";
    rmq_message_properties_view(usual, strlen(usual), &view);
    char out[128];
    assert_int_equal(rmq_message_properties_edit_view(out, &view, RMQ_PROP_VIEW_WAIT,
                                                      RMQ_PROP_VIEW_CLUSTER, "C"),
                     strlen("UNIQ_KEY\001ABC\002TAGS\001t\002CLUSTER\001C"));
    assert_string_equal(out, "UNIQ_KEY\001ABC\002TAGS\001t\002CLUSTER\001C");
}

static void
test_view_matches_lookups(void **state)
{
    (void)state;
    static const char *const names[RMQ_PROP_VIEW_N] = {
        [RMQ_PROP_VIEW_TAGS] = "TAGS",         [RMQ_PROP_VIEW_KEYS] = "KEYS",
        [RMQ_PROP_VIEW_UNIQ_KEY] = "UNIQ_KEY", [RMQ_PROP_VIEW_DELAY] = "DELAY",
        [RMQ_PROP_VIEW_WAIT] = "WAIT",         [RMQ_PROP_VIEW_TRAN_MSG] = "TRAN_MSG",
        [RMQ_PROP_VIEW_CLUSTER] = "CLUSTER",
    };
    static const char *const cases[] = {
        "",
        "KEYS\001k1 k2\002UNIQ_KEY\001U1\002WAIT\001true\002TAGS\001TagA",
        "TAGS\001a\002TAGS\001b\002DELAY\0013\002TRAN_MSG\001true\002WAIT\001false",
        "TAGS\001\002\001x\002KEYS\002UNIQ_KEYS\001no\002TAG\001no\002DELAY\001\0012",
        "\002\002WAIT\001x\001y\002keys\001lower\002TRAN_MSG\001",
    };
    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        RmqPropertyView view;
        gsize len = strlen(cases[c]);
        rmq_message_properties_view(cases[c], len, &view);
        assert_ptr_equal(view.props, cases[c]);
        assert_int_equal(view.len, len);
        assert_true(rmq_property_view_matches(&view, cases[c], len));
        assert_false(rmq_property_view_matches(&view, cases[c], len + 1));
        assert_false(rmq_property_view_matches(NULL, cases[c], len));
        for (int f = 0; f < RMQ_PROP_VIEW_N; f++) {
            const char *v = NULL;
            gsize vlen = 0;
            gboolean found = rmq_message_property_get(cases[c], len, names[f], &v, &vlen);
            if (!found) {
                assert_null(view.v[f].value);
                continue;
            }
            assert_ptr_equal(view.v[f].value, v);
            assert_int_equal(view.v[f].len, vlen);
        }
    }
    RmqPropertyView view;
    rmq_message_properties_view("TAGS\001a\002TAGS\001bb", 14, &view);
    assert_memory_equal(view.v[RMQ_PROP_VIEW_TAGS].value, "bb", 2);
    rmq_message_properties_view(NULL, 0, &view);
    for (int f = 0; f < RMQ_PROP_VIEW_N; f++)
        assert_null(view.v[f].value);
}

typedef struct {
    GString *seen;
    guint stop_after;
    guint calls;
} Walk;

static gboolean
walk_cb(const char *name, gsize nlen, const char *value, gsize vlen, gpointer data)
{
    Walk *w = data;
    g_string_append_len(w->seen, name, (gssize)nlen);
    g_string_append_c(w->seen, '=');
    g_string_append_len(w->seen, value, (gssize)vlen);
    g_string_append_c(w->seen, ';');
    return ++w->calls < w->stop_after;
}

static void
test_foreach_order_and_stop(void **state)
{
    (void)state;
    const char props[] = "B\0012\002\002x\002A\0011\002C\001a\001b";
    Walk w = { g_string_new(NULL), 100, 0 };
    rmq_message_properties_foreach(props, sizeof props - 1, walk_cb, &w);
    assert_string_equal(w.seen->str, "B=2;A=1;C=a\001b;");
    g_string_truncate(w.seen, 0);
    w.stop_after = 2;
    w.calls = 0;
    rmq_message_properties_foreach(props, sizeof props - 1, walk_cb, &w);
    assert_int_equal(w.calls, 2);
    assert_string_equal(w.seen->str, "B=2;A=1;");
    g_string_free(w.seen, TRUE);
}

static void
test_build_parse_round_trip(void **state)
{
    (void)state;
    g_autoptr(GHashTable) t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_insert(t, g_strdup(RMQ_PROPERTY_UNIQ_KEY), g_strdup("C0A8000512345C64"));
    g_hash_table_insert(t, g_strdup(RMQ_PROPERTY_KEYS), g_strdup("k1 k2"));
    g_hash_table_insert(t, g_strdup(RMQ_PROPERTY_TAGS), g_strdup("TagA"));
    g_hash_table_insert(t, g_strdup("V"), g_strdup("x\001y")); /* 0x01 in a value survives */
    g_autofree char *built = rmq_message_properties_build(t);
    /* sorted by name, no trailing separator */
    assert_string_equal(built, "KEYS\001k1 k2\002TAGS\001TagA\002UNIQ_KEY\001C0A8000512345C64"
                               "\002V\001x\001y");
    g_autoptr(GHashTable) back = rmq_message_properties_parse(built, strlen(built));
    assert_int_equal(g_hash_table_size(back), 4);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t);
    while (g_hash_table_iter_next(&it, &k, &v))
        assert_string_equal(g_hash_table_lookup(back, k), v);
    g_autofree char *again = rmq_message_properties_build(back);
    assert_string_equal(again, built);

    g_autoptr(GHashTable) empty = g_hash_table_new(g_str_hash, g_str_equal);
    g_autofree char *nothing = rmq_message_properties_build(empty);
    assert_string_equal(nothing, "");
}

/* The reference: keys sorted by strcmp through a list, pairs joined. */
static GString *
reference_build(GHashTable *t)
{
    GList *keys = g_list_sort(g_hash_table_get_keys(t), (GCompareFunc) strcmp);
    GString *s = g_string_new(NULL);
    for (GList *k = keys; k != NULL; k = k->next) {
        const char *v = g_hash_table_lookup(t, k->data);
        if (v == NULL)
            continue;
        if (s->len > 0)
            g_string_append_c(s, RMQ_PROPERTY_SEPARATOR);
        g_string_append_printf(s, "%s\001%s", (const char *) k->data, v);
    }
    g_list_free(keys);
    return s;
}

static void
test_build_append(void **state)
{
    (void)state;
    /* after text already there, few pairs (the stack path) and many (over
     * its 16), names in no particular order, a NULL value skipped */
    for (guint n = 0; n <= 40; n += 5) {
        g_autoptr(GHashTable) t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        GRand *r = g_rand_new_with_seed(n + 1);
        for (guint i = 0; i < n; i++)
            g_hash_table_replace(t, g_strdup_printf("k%u_%u", g_rand_int_range(r, 0, 1000), i),
                                 g_strdup_printf("v%u", i));
        g_rand_free(r);
        if (n > 0)
            g_hash_table_replace(t, g_strdup("NULLVALUE"), NULL);
        g_autoptr(GString) want = reference_build(t);
        g_autoptr(GString) out = g_string_new("pre");
        gsize len = rmq_message_properties_build_append(out, t);
        assert_int_equal(len, want->len);
        assert_int_equal(out->len, 3 + want->len);
        assert_memory_equal(out->str, "pre", 3);
        assert_memory_equal(out->str + 3, want->str, want->len);
        g_autofree char *built = rmq_message_properties_build(t);
        assert_string_equal(built, want->str);
    }
}

static void
test_edit(void **state)
{
    (void)state;
    static const gchar *const drop[] = { RMQ_PROPERTY_WAIT, NULL };
    const gchar *add[] = { RMQ_PROPERTY_CLUSTER, "C1", NULL };
    /* ali-ons / old Java: trailing separator, WAIT present */
    const gchar in[] = "TAGS\001A\002WAIT\001true\002KEYS\001k\002";
    g_autoptr(GString) out = rmq_message_properties_edit(in, sizeof in - 1, drop, add);
    assert_string_equal(out->str, "TAGS\001A\002KEYS\001k\002CLUSTER\001C1");
    /* empty and malformed segments are dropped, an existing key is replaced */
    const gchar in2[] = "\002\002CLUSTER\001old\002\001x\002y\001\002TAGS\001B";
    g_autoptr(GString) out2 = rmq_message_properties_edit(in2, sizeof in2 - 1, NULL, add);
    assert_string_equal(out2->str, "TAGS\001B\002CLUSTER\001C1");
    g_autoptr(GString) empty = rmq_message_properties_edit(NULL, 0, NULL, add);
    assert_string_equal(empty->str, "CLUSTER\001C1");
    /* WAIT only as a whole key; CLUSTER twice in the input, once out */
    const gchar in3[] = "WAITX\001a\002CLUSTER\001a\002WAIT\001false\002CLUSTER\001b";
    g_autoptr(GString) out3 = rmq_message_properties_edit(in3, sizeof in3 - 1, drop, add);
    assert_string_equal(out3->str, "WAITX\001a\002CLUSTER\001C1");
    assert_int_equal(out3->len, strlen(out3->str));
    /* everything dropped, nothing added; a key without value is only dropped */
    const gchar *odd[] = { "TAGS", "v", "KEYS", NULL };
    g_autoptr(GString) out4 = rmq_message_properties_edit(in, sizeof in - 1, drop, odd);
    assert_string_equal(out4->str, "TAGS\001v");
    g_autoptr(GString) none = rmq_message_properties_edit("WAIT\001x\002", 7, drop, NULL);
    assert_int_equal(none->len, 0);
    assert_string_equal(none->str, "");
    /* more keys than the fast path holds; several pairs added in order */
    static const gchar *const many[] = { "K1", "K2", "K3", "K4", "K5", "K6", "K7", "K8", "K9",
                                         NULL };
    const gchar *two[] = { "A", "1", "B", "22", NULL };
    const gchar in5[] = "K9\001x\002Z\001z\002K1\001y\002A\001old";
    g_autoptr(GString) out5 = rmq_message_properties_edit(in5, sizeof in5 - 1, many, two);
    assert_string_equal(out5->str, "Z\001z\002A\0011\002B\00122");
    assert_int_equal(out5->len, 12);
    /* a value holding 0x01 is copied whole */
    const gchar in6[] = "K\001a\001b\002WAIT\001true";
    g_autoptr(GString) out6 = rmq_message_properties_edit(in6, sizeof in6 - 1, drop, NULL);
    assert_int_equal(out6->len, 5);
    assert_memory_equal(out6->str, "K\001a\001b", 5);
}

static void
test_set_remove(void **state)
{
    (void)state;
    const gchar in[] = "TAGS\001A\002DELAY\0013";
    g_autoptr(GString) set = rmq_message_property_set(in, sizeof in - 1, RMQ_PROPERTY_DELAY, "5");
    assert_string_equal(set->str, "TAGS\001A\002DELAY\0015");
    g_autoptr(GString) added = rmq_message_property_set(set->str, set->len, "NEW", "v");
    assert_string_equal(added->str, "TAGS\001A\002DELAY\0015\002NEW\001v");
    g_autoptr(GString) removed = rmq_message_property_remove(added->str, added->len, "DELAY");
    assert_string_equal(removed->str, "TAGS\001A\002NEW\001v");
    /* removing a name that is not there copies the rest unchanged */
    g_autoptr(GString) same = rmq_message_property_remove(removed->str, removed->len, "NOPE");
    assert_string_equal(same->str, removed->str);
    g_autoptr(GString) last = rmq_message_property_remove("TAGS\001A", 6, RMQ_PROPERTY_TAGS);
    assert_int_equal(last->len, 0);
    /* set on nothing makes a one-pair string a parser reads back */
    g_autoptr(GString) one = rmq_message_property_set(NULL, 0, RMQ_PROPERTY_UNIQ_KEY, "U1");
    g_autofree gchar *u = rmq_message_property_dup(one->str, one->len, RMQ_PROPERTY_UNIQ_KEY);
    assert_string_equal(u, "U1");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_java_rules),
        cmocka_unit_test(test_get_edge_cases),
        cmocka_unit_test(test_find_many),
        cmocka_unit_test(test_foreach_order_and_stop),
        cmocka_unit_test(test_build_parse_round_trip),
        cmocka_unit_test(test_build_append),
        cmocka_unit_test(test_edit),
        cmocka_unit_test(test_view_matches_lookups),
        cmocka_unit_test(test_edit_view_agrees),
        cmocka_unit_test(test_edit_to),
        cmocka_unit_test(test_edit_view_to),
        cmocka_unit_test(test_set_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
