/* libconf.a: the key table, the libconfig and .properties readers, defaults,
 * validation, reload merging and the .properties -> .conf converter. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <string.h>

#include "common/config.h"
#include "common/config-keys.h"
#include "common/properties.h"
#include "broker/settings.h"
#include "ha/ha_service.h"
#include "store/store_config.h"

/* g_get_home_dir() caches $HOME on first use: main() sets it before that. */
#define FAKE_HOME "/nonexistent/rmq-test-home"

static gchar *data_path(const gchar *name)
{
    const gchar *dir = g_getenv("RMQ_TEST_DATA");
    if (dir == NULL) /* run by hand, outside make check */
        return g_build_filename(RMQ_TEST_SRCDIR, "tests", "data", "config", name, NULL);
    return g_build_filename(dir, "config", name, NULL);
}

/* A fresh temporary directory per test, removed with its files. */
static int tmp_setup(void **state)
{
    *state = g_dir_make_tmp("rmq-config-XXXXXX", NULL);
    return *state != NULL ? 0 : -1;
}

static int tmp_teardown(void **state)
{
    g_autofree gchar *dir = *state;
    GDir *d = g_dir_open(dir, 0, NULL);
    const gchar *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        g_autofree gchar *p = g_build_filename(dir, name, NULL);
        g_unlink(p);
    }
    if (d != NULL)
        g_dir_close(d);
    g_rmdir(dir);
    return 0;
}

static gchar *write_file(void **state, const gchar *name, const gchar *text)
{
    gchar *path = g_build_filename((const gchar *) *state, name, NULL);
    assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static GPtrArray *new_warnings(void)
{
    return g_ptr_array_new_with_free_func(g_free);
}

static gboolean warnings_have(GPtrArray *w, const gchar *text)
{
    for (guint i = 0; i < w->len; i++)
        if (strcmp(g_ptr_array_index(w, i), text) == 0)
            return TRUE;
    return FALSE;
}

/* Every key's value, compared through the key table. */
static void assert_same_values(const RmqConfig *a, const RmqConfig *b)
{
    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        switch (key->type) {
        case RMQ_CONFIG_KEY_INT:
        case RMQ_CONFIG_KEY_BOOL:
        case RMQ_CONFIG_KEY_ENUM:
            if (*RMQ_CONFIG_FIELD(a, key, gint) != *RMQ_CONFIG_FIELD(b, key, gint))
                fail_msg("%s: %d != %d", key->name, *RMQ_CONFIG_FIELD(a, key, gint),
                         *RMQ_CONFIG_FIELD(b, key, gint));
            break;
        case RMQ_CONFIG_KEY_INT64:
            if (*RMQ_CONFIG_FIELD(a, key, gint64) != *RMQ_CONFIG_FIELD(b, key, gint64))
                fail_msg("%s differs", key->name);
            break;
        case RMQ_CONFIG_KEY_STRING:
        case RMQ_CONFIG_KEY_HOURS:
            if (g_strcmp0(*RMQ_CONFIG_FIELD(a, key, gchar *), *RMQ_CONFIG_FIELD(b, key, gchar *)) != 0)
                fail_msg("%s: '%s' != '%s'", key->name, *RMQ_CONFIG_FIELD(a, key, gchar *),
                         *RMQ_CONFIG_FIELD(b, key, gchar *));
            break;
        case RMQ_CONFIG_KEY_STRV:
            if (!g_strv_equal((const gchar *const *) *RMQ_CONFIG_FIELD(a, key, gchar **),
                              (const gchar *const *) *RMQ_CONFIG_FIELD(b, key, gchar **)))
                fail_msg("%s differs", key->name);
            break;
        case RMQ_CONFIG_KEY_JAVA:
            break;
        }
    }
}

static guint line_of(const RmqConfig *cfg, const gchar *name)
{
    const RmqConfigKey *key = rmq_config_key_find(name);
    assert_non_null(key);
    for (guint i = 0; i < cfg->set_keys->len; i++) {
        RmqConfigSetKey sk = g_array_index(cfg->set_keys, RmqConfigSetKey, i);
        if (&rmq_config_keys[sk.key] == key)
            return sk.line;
    }
    return 0;
}

/* Loads @text as file @name and expects an error of @code whose message is
 * exactly "<path><rest>". */
static void expect_error(void **state, const gchar *name, const gchar *text, RmqConfigScope scope,
                         gint code, const gchar *rest)
{
    g_autofree gchar *path = write_file(state, name, text);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConfig) cfg = rmq_config_load(path, scope, NULL, &error);
    assert_null(cfg);
    assert_non_null(error);
    g_autofree gchar *want = g_strconcat(path, rest, NULL);
    if (strcmp(error->message, want) != 0)
        fail_msg("got  '%s'\nwant '%s'", error->message, want);
    assert_int_equal(error->code, code);
}

/* ---- libconfig files ---- */

static void test_good_file(void **state)
{
    g_autofree gchar *path = data_path("good.conf");
    g_autoptr(GPtrArray) w = new_warnings();
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConfig) cfg = rmq_config_load(path, RMQ_CONFIG_BROKER, w, &error);
    assert_null(error);
    assert_non_null(cfg);

    assert_string_equal(cfg->path, path);
    assert_string_equal(cfg->broker_cluster_name, "TestCluster");
    assert_string_equal(cfg->broker_name, "broker-t");
    assert_int_equal(cfg->broker_id, 2);
    assert_int_equal(g_strv_length(cfg->namesrv_addr), 2);
    assert_string_equal(cfg->namesrv_addr[0], "10.0.0.1:9876");
    assert_string_equal(cfg->namesrv_addr[1], "10.0.0.2:9875");
    assert_int_equal(cfg->listen_port, 20911);
    assert_int_equal(cfg->ha_listen_port, 20915);
    assert_int_equal(cfg->broker_role, RMQ_BROKER_ROLE_SLAVE);
    assert_int_equal(cfg->flush_disk_type, RMQ_FLUSH_SYNC);
    assert_true(cfg->mapped_file_size_commit_log == 1048576);
    assert_true(cfg->ha_slave_fallbehind_max == G_GINT64_CONSTANT(4294967296));
    assert_string_equal(cfg->delete_when, "04;16");
    assert_false(cfg->auto_create_topic_enable);
    assert_true(cfg->slave_read_enable);
    assert_string_equal(cfg->store_path_root_dir, "/srv/rmq/t");
    assert_string_equal(cfg->store_path_commit_log, "/srv/rmq/t/commitlog");
    assert_string_equal(cfg->message_delay_level, "1s 10s 1m 1h 2d");
    assert_string_equal(cfg->bind_address, "::1");
    assert_string_equal(cfg->broker_ip1, "192.0.2.7");
    assert_string_equal(cfg->broker_ip2, "192.0.2.7"); /* follows brokerIP1 */
    assert_int_equal(cfg->disk_max_used_space_ratio, 95);
    /* untouched keys keep RocketMQ's defaults */
    assert_int_equal(cfg->default_topic_queue_nums, 8);
    assert_int_equal(cfg->max_message_size, 4194304);
    assert_true(cfg->long_polling_enable);
    assert_string_equal(cfg->region_id, "DefaultRegion");

    g_autofree gchar *clamp = g_strdup_printf("%s:19: diskMaxUsedSpaceRatio 99 is outside 10..95, using 95", path);
    assert_true(warnings_have(w, clamp));
    assert_int_equal(w->len, 1);
    assert_int_equal(line_of(cfg, "brokerClusterName"), 2);
    assert_int_equal(line_of(cfg, "diskMaxUsedSpaceRatio"), 19);
    assert_int_equal(line_of(cfg, "regionId"), 0);
}

static void test_wrong_type(void **state)
{
    expect_error(state, "a.conf", "brokerName = \"b\";\nlistenPort = true;\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_TYPE, ":2: listenPort: expected an integer from 1 to 65535, got true");
    expect_error(state, "b.conf", "brokerName = 5;\n", RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_TYPE,
                 ":1: brokerName: expected a string, got 5");
    expect_error(state, "c.conf", "autoCreateTopicEnable = \"yes\";\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_TYPE, ":1: autoCreateTopicEnable: expected true or false, got \"yes\"");
    expect_error(state, "d.conf", "listenPort = \"10911 \";\n", RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_TYPE,
                 ":1: listenPort: expected an integer from 1 to 65535, got \"10911 \"");
    expect_error(state, "e.conf", "namesrvAddr = (\"a:1\", 2);\n", RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_TYPE,
                 ":1: namesrvAddr: expected \"host:port;host:port\" or a list of \"host:port\" strings, got 2");
    expect_error(state, "f.conf", "fileReservedTime = 1.5;\n", RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_TYPE,
                 ":1: fileReservedTime: expected an integer from 0 to 2147483647, got 1.5");
    expect_error(state, "g.conf", "deleteWhen = \"4am\";\n", RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_TYPE,
                 ":1: deleteWhen: expected hours of the day 0..23 separated by ';', got \"4am\"");
}

static void test_out_of_range(void **state)
{
    expect_error(state, "a.conf", "\nlistenPort = 70000;\n", RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_RANGE,
                 ":2: listenPort: expected an integer from 1 to 65535, got 70000");
    expect_error(state, "b.conf", "brokerRole = \"async_master\";\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_RANGE,
                 ":1: brokerRole: expected one of ASYNC_MASTER, SYNC_MASTER, SLAVE, got \"async_master\"");
    expect_error(state, "c.conf", "deleteWhen = 24;\n", RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_RANGE,
                 ":1: deleteWhen: expected hours of the day 0..23 separated by ';', got 24");
    expect_error(state, "d.conf", "deleteWhen = \"04;25\";\n", RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_RANGE,
                 ":1: deleteWhen: expected hours of the day 0..23 separated by ';', got \"04;25\"");
    /* libconfig 1.5 wraps this to 0 silently: the reader notices */
    expect_error(state, "e.conf", "mappedFileSizeCommitLog = 4294967296;\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_RANGE,
                 ":1: mappedFileSizeCommitLog: expected an integer from 4096 to 2147483647, got "
                 "4294967296 (libconfig needs an L suffix beyond 32 bits)");
    expect_error(state, "f.conf", "brokerPermission = 8;\n", RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_RANGE,
                 ":1: brokerPermission: expected an integer from 0 to 7, got 8");
    expect_error(state, "g.conf", "brokerId = \"99999999999999999999\";\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_RANGE,
                 ":1: brokerId: expected an integer >= 0, got \"99999999999999999999\"");
}

static void test_unknown_key_warning(void **state)
{
    g_autofree gchar *path = write_file(state, "w.conf",
                                        "listenPort = 9877;\n"
                                        "# a comment\n"
                                        "listenPrt = 1;\n"
                                        "brokerName = \"x\";\n"
                                        "serverWorkerThreads = 8;\n");
    g_autoptr(GPtrArray) w = new_warnings();
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConfig) cfg = rmq_config_load(path, RMQ_CONFIG_NAMESRV, w, &error);
    assert_null(error);
    assert_int_equal(cfg->listen_port, 9877);
    assert_int_equal(w->len, 3);
    g_autofree gchar *w1 = g_strdup_printf("%s:3: unknown key 'listenPrt' ignored", path);
    g_autofree gchar *w2 = g_strdup_printf("%s:4: key 'brokerName' is not used by the name server, ignored", path);
    g_autofree gchar *w3 = g_strdup_printf("%s:5: key 'serverWorkerThreads' has no effect yet: it only applies to the Java implementation", path);
    assert_string_equal(g_ptr_array_index(w, 0), w1);
    assert_string_equal(g_ptr_array_index(w, 1), w2);
    assert_string_equal(g_ptr_array_index(w, 2), w3);

    /* NULL warnings is allowed */
    g_autoptr(RmqConfig) again = rmq_config_load(path, RMQ_CONFIG_NAMESRV, NULL, NULL);
    assert_non_null(again);
}

static void test_syntax_error(void **state)
{
    expect_error(state, "s.conf", "listenPort = 9876;\nbrokerName = ;\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_SYNTAX, ":2: syntax error");
    expect_error(state, "dup.conf", "listenPort = 9876;\nlistenPort = 9877;\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_SYNTAX, ":2: listenPort: set a second time (first on line 1)");
    /* issue 12: the key is named even further down, indented, with ':' */
    expect_error(state, "dup2.conf",
                 "brokerName = \"a\";\n# c\n  fileReservedTime = 1;\n\nfileReservedTime: 2;\n",
                 RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_SYNTAX,
                 ":5: fileReservedTime: set a second time (first on line 3)");

    g_autoptr(GError) error = NULL;
    g_autofree gchar *missing = g_build_filename((const gchar *) *state, "missing.conf", NULL);
    assert_null(rmq_config_load(missing, RMQ_CONFIG_BROKER, NULL, &error));
    assert_int_equal(error->code, RMQ_CONFIG_ERROR_IO);
    assert_non_null(strstr(error->message, "missing.conf"));
}

/* ---- .properties ---- */

static void test_properties_seed(void **state)
{
    g_autofree gchar *props = data_path("broker-a.properties");
    g_autofree gchar *conf = data_path("broker-a-equiv.conf");
    g_autoptr(GPtrArray) w = new_warnings();
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConfig) a = rmq_config_load(props, RMQ_CONFIG_BROKER, w, &error);
    assert_null(error);
    assert_int_equal(w->len, 0);
    g_autoptr(RmqConfig) b = rmq_config_load(conf, RMQ_CONFIG_BROKER, w, &error);
    assert_null(error);
    assert_int_equal(w->len, 0);

    assert_same_values(a, b);
    assert_string_equal(a->broker_cluster_name, "DubboRocketCluster");
    assert_string_equal(a->broker_name, "broker-a");
    assert_int_equal(a->listen_port, 10911);
    assert_int_equal(a->ha_listen_port, 10912);
    assert_int_equal(a->default_topic_queue_nums, 4);
    assert_int_equal(a->file_reserved_time, 48);
    g_autofree gchar *ns = rmq_config_namesrv_addr_string(a);
    assert_string_equal(ns, "localhost:9876;localhost:9875");
    /* the Chinese comments take lines too */
    assert_int_equal(line_of(a, "brokerClusterName"), 3);
    assert_int_equal(line_of(a, "flushDiskType"), 22);
    assert_int_equal(a->set_keys->len, 12);
}

static void test_properties_escapes(void **state)
{
    g_autofree gchar *path = data_path("escapes.properties");
    g_autoptr(GPtrArray) w = new_warnings();
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConfig) cfg = rmq_config_load(path, RMQ_CONFIG_BROKER, w, &error);
    assert_null(error);
    assert_string_equal(cfg->broker_name, "broker-cont");
    assert_string_equal(cfg->broker_cluster_name, "Caf\xc3\xa9\tCluster");
    assert_string_equal(cfg->region_id, "Region\xe4\xb8\xad\xf0\x9f\x98\x80");
    assert_int_equal(g_strv_length(cfg->namesrv_addr), 2);
    assert_string_equal(cfg->namesrv_addr[0], "a:1");
    assert_string_equal(cfg->namesrv_addr[1], "b:2");
    assert_string_equal(cfg->store_path_root_dir, "/data/with space");
    assert_string_equal(cfg->msg_trace_topic_name, "trace\\");
    assert_string_equal(cfg->broker_ip1, "10.0.0.9");
    assert_int_equal(line_of(cfg, "brokerName"), 3);
    assert_int_equal(line_of(cfg, "brokerClusterName"), 5);
    assert_int_equal(line_of(cfg, "namesrvAddr"), 7);
    assert_int_equal(line_of(cfg, "storePathRootDir"), 9);
    assert_int_equal(line_of(cfg, "brokerIP1"), 11);

    g_autofree gchar *crlf = data_path("crlf.properties");
    g_autoptr(RmqConfig) c2 = rmq_config_load(crlf, RMQ_CONFIG_BROKER, NULL, &error);
    assert_null(error);
    assert_string_equal(c2->broker_cluster_name, "crlf");
    assert_string_equal(c2->broker_name, "xy");
    assert_int_equal(line_of(c2, "brokerName"), 2);
}

static const RmqProperty *prop_at(GPtrArray *props, guint i)
{
    assert_true(i < props->len);
    return g_ptr_array_index(props, i);
}

static void test_properties_parser(void **state)
{
    (void) state;
    g_autoptr(GError) error = NULL;
    const gchar *text = "a=1\n"
                        "b:2\n"
                        "c 3\n"
                        "d   =   = x  \n"
                        "e\n"
                        "f\\=g=h\\:i\n"
                        "  # not a key\n"
                        "\n"
                        "j = one \\\n"
                        "\n"
                        "k = \\u0041\\n\\q\n"
                        "a = again";
    g_autoptr(GPtrArray) p = rmq_properties_parse(text, -1, NULL, &error);
    assert_null(error);
    assert_int_equal(p->len, 9);
    assert_string_equal(prop_at(p, 0)->key, "a");
    assert_string_equal(prop_at(p, 0)->value, "1");
    assert_string_equal(prop_at(p, 1)->key, "b");
    assert_string_equal(prop_at(p, 1)->value, "2");
    assert_string_equal(prop_at(p, 2)->key, "c");
    assert_string_equal(prop_at(p, 2)->value, "3");
    assert_string_equal(prop_at(p, 3)->key, "d");
    assert_string_equal(prop_at(p, 3)->value, "= x  "); /* one separator, trailing blanks kept */
    assert_string_equal(prop_at(p, 4)->key, "e");
    assert_string_equal(prop_at(p, 4)->value, "");
    assert_string_equal(prop_at(p, 5)->key, "f=g");
    assert_string_equal(prop_at(p, 5)->value, "h:i");
    /* a continuation followed by an empty line ends the value */
    assert_string_equal(prop_at(p, 6)->key, "j");
    assert_string_equal(prop_at(p, 6)->value, "one ");
    assert_int_equal(prop_at(p, 6)->line, 9);
    assert_string_equal(prop_at(p, 7)->value, "A\nq");
    assert_int_equal(prop_at(p, 7)->line, 11);
    assert_string_equal(prop_at(p, 8)->key, "a");
    assert_string_equal(prop_at(p, 8)->value, "again");
    assert_int_equal(prop_at(p, 8)->line, 12);

    /* ISO-8859-1 input (not UTF-8) is read as Java would */
    g_autoptr(GPtrArray) l1 = rmq_properties_parse("k=caf\xe9", -1, NULL, &error);
    assert_null(error);
    assert_string_equal(prop_at(l1, 0)->value, "caf\xc3\xa9");

    g_autoptr(GPtrArray) bad = rmq_properties_parse("a=1\nb=\\u00zz\n", -1, "x.properties", &error);
    assert_null(bad);
    assert_string_equal(error->message, "x.properties:2: malformed \\uXXXX escape");
}

static void test_properties_values(void **state)
{
    /* Java parses ints strictly: the trailing blank is an error naming the line and key */
    expect_error(state, "a.properties", "brokerName=x\nlistenPort=10911 \n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_TYPE, ":2: listenPort: expected an integer from 1 to 65535, got \"10911 \"");
    expect_error(state, "b.properties", "brokerRole=Slave\n", RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_RANGE,
                 ":1: brokerRole: expected one of ASYNC_MASTER, SYNC_MASTER, SLAVE, got \"Slave\"");

    g_autofree gchar *path = write_file(state, "c.properties",
                                        "autoCreateTopicEnable=yes\n"
                                        "slaveReadEnable=TRUE\n"
                                        "longPollingEnable=False\n"
                                        "brokerName=b \n"
                                        "brokerName=b2\n"
                                        "registerNameServerPeriod=5000\n");
    g_autoptr(GPtrArray) w = new_warnings();
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConfig) cfg = rmq_config_load(path, RMQ_CONFIG_BROKER, w, &error);
    assert_null(error);
    assert_false(cfg->auto_create_topic_enable); /* Boolean.parseBoolean */
    assert_true(cfg->slave_read_enable);
    assert_false(cfg->long_polling_enable);
    assert_string_equal(cfg->broker_name, "b2"); /* the last one wins, as in Java */
    assert_int_equal(cfg->register_name_server_period, 10000);
    g_autofree gchar *w1 = g_strdup_printf(
        "%s:1: autoCreateTopicEnable: \"yes\" is neither true nor false, read as false (as Java does)", path);
    g_autofree gchar *w2 = g_strdup_printf("%s:4: brokerName: trailing blanks kept in the value (as Java does)", path);
    g_autofree gchar *w3 = g_strdup_printf("%s:5: key 'brokerName' set again, overriding line 4", path);
    g_autofree gchar *w4 = g_strdup_printf(
        "%s:6: registerNameServerPeriod 5000 is outside 10000..60000, using 10000", path);
    assert_true(warnings_have(w, w1));
    assert_true(warnings_have(w, w2));
    assert_true(warnings_have(w, w3));
    assert_true(warnings_have(w, w4));
    assert_int_equal(w->len, 4);
    assert_int_equal(line_of(cfg, "brokerName"), 5);
}

/* ---- converter ---- */

static void round_trip(void **state, const gchar *src, const gchar *out_name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConfig) a = rmq_config_load(src, RMQ_CONFIG_BROKER, NULL, &error);
    assert_null(error);
    g_autofree gchar *text = rmq_config_to_libconfig(a);
    g_autofree gchar *path = write_file(state, out_name, text);
    g_autoptr(GPtrArray) w = new_warnings();
    g_autoptr(RmqConfig) b = rmq_config_load(path, RMQ_CONFIG_BROKER, w, &error);
    if (error != NULL)
        fail_msg("%s\n%s", error->message, text);
    assert_int_equal(w->len, 0);
    assert_same_values(a, b);
    /* only the keys of the file, in file order */
    assert_int_equal(a->set_keys->len, b->set_keys->len);
    for (guint i = 0; i < a->set_keys->len; i++)
        assert_int_equal(g_array_index(a->set_keys, RmqConfigSetKey, i).key,
                         g_array_index(b->set_keys, RmqConfigSetKey, i).key);
    g_autofree gchar *again = rmq_config_to_libconfig(b);
    const gchar *body_a = strchr(text, '\n'), *body_b = strchr(again, '\n');
    assert_string_equal(body_a, body_b);
}

static void test_round_trip(void **state)
{
    g_autofree gchar *seed = data_path("broker-a.properties");
    g_autofree gchar *esc = data_path("escapes.properties");
    g_autofree gchar *good = data_path("good.conf");
    round_trip(state, seed, "seed.conf");
    round_trip(state, esc, "esc.conf");
    round_trip(state, good, "good.conf");

    g_autoptr(RmqConfig) a = rmq_config_load(seed, RMQ_CONFIG_BROKER, NULL, NULL);
    g_autofree gchar *text = rmq_config_to_libconfig(a);
    assert_non_null(strstr(text, "\nbrokerClusterName = \"DubboRocketCluster\";\nbrokerName = \"broker-a\";\n"
                                 "brokerId = 0;\nnamesrvAddr = [\"localhost:9876\", \"localhost:9875\"];\n"));
    assert_null(strstr(text, "0L;")); /* issue 12: no L suffix a 32-bit value does not need */
    assert_null(strstr(text, "haListenPort")); /* not in the file */

    /* beyond 32 bits libconfig needs the suffix: kept, and read back */
    g_autofree gchar *big = write_file(state, "big.properties",
                                       "haSlaveFallbehindMax=8589934592\nbrokerId=0\n");
    g_autoptr(RmqConfig) c = rmq_config_load(big, RMQ_CONFIG_BROKER, NULL, NULL);
    assert_non_null(c);
    g_autofree gchar *ctext = rmq_config_to_libconfig(c);
    assert_non_null(strstr(ctext, "\nhaSlaveFallbehindMax = 8589934592L;\nbrokerId = 0;\n"));
    round_trip(state, big, "big.conf");
}

/* ---- defaults ---- */

static void test_defaults(void **state)
{
    (void) state;
    g_unsetenv("STATE_DIRECTORY");
    g_unsetenv("NAMESRV_ADDR");
    g_autoptr(RmqConfig) ns = rmq_config_new_defaults(RMQ_CONFIG_NAMESRV);
    assert_int_equal(ns->listen_port, 9876);
    assert_string_equal(ns->kv_config_path, FAKE_HOME "/namesrv/kvConfig.json");
    assert_string_equal(ns->config_store_path, FAKE_HOME "/namesrv/namesrv.properties");
    assert_true(rmq_config_validate(ns, NULL));

    g_autoptr(RmqConfig) br = rmq_config_new_defaults(RMQ_CONFIG_BROKER);
    assert_int_equal(br->listen_port, 10911);
    assert_int_equal(br->ha_listen_port, 10912);
    assert_string_equal(br->store_path_root_dir, FAKE_HOME "/store");
    assert_string_equal(br->store_path_commit_log, FAKE_HOME "/store/commitlog");
    assert_string_equal(br->broker_name, g_get_host_name());
    assert_string_equal(br->broker_cluster_name, "DefaultCluster");
    assert_string_equal(br->bind_address, "0.0.0.0");
    assert_int_equal(g_strv_length(br->namesrv_addr), 0);
    struct in_addr ip;
    assert_int_equal(inet_pton(AF_INET, br->broker_ip1, &ip), 1);
    assert_string_equal(br->broker_ip2, br->broker_ip1);
    assert_int_equal(br->mapped_file_size_consume_queue, 6000000);
    assert_int_equal(br->register_name_server_period, 30000);
    assert_true(br->mapped_file_size_commit_log == 1073741824);
    assert_true(rmq_config_validate(br, NULL));

    g_setenv("STATE_DIRECTORY", "/var/lib/rocketmq/b1:/var/lib/other", TRUE);
    g_setenv("NAMESRV_ADDR", "n1:9876;n2:9876", TRUE);
    g_autoptr(RmqConfig) sd = rmq_config_new_defaults(RMQ_CONFIG_BROKER | RMQ_CONFIG_NAMESRV);
    assert_string_equal(sd->store_path_root_dir, "/var/lib/rocketmq/b1");
    assert_string_equal(sd->store_path_commit_log, "/var/lib/rocketmq/b1/commitlog");
    assert_string_equal(sd->kv_config_path, "/var/lib/rocketmq/b1/kvConfig.json");
    assert_string_equal(sd->config_store_path, "/var/lib/rocketmq/b1/namesrv.properties");
    g_autofree gchar *ns_addr = rmq_config_namesrv_addr_string(sd);
    assert_string_equal(ns_addr, "n1:9876;n2:9876");
    g_unsetenv("STATE_DIRECTORY");
    g_unsetenv("NAMESRV_ADDR");
}

static void test_derived_after_load(void **state)
{
    g_autofree gchar *path = write_file(state, "d.conf",
                                        "listenPort = 12000;\nstorePathRootDir = \"rel/store\";\n"
                                        "mappedFileSizeConsumeQueue = 1001;\n");
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConfig) cfg = rmq_config_load(path, RMQ_CONFIG_BROKER, NULL, &error);
    assert_null(error);
    assert_int_equal(cfg->ha_listen_port, 12001);
    assert_string_equal(cfg->store_path_root_dir, "rel/store"); /* kept as given, as RocketMQ does */
    assert_string_equal(cfg->store_path_commit_log, "rel/store/commitlog");
    assert_int_equal(cfg->mapped_file_size_consume_queue, 1020); /* whole 20-byte units */

    /* deleteWhen as a bare number, and a name server .properties (the seed's) */
    g_autofree gchar *dw = write_file(state, "dw.conf", "deleteWhen = 4;\n");
    g_autoptr(RmqConfig) c2 = rmq_config_load(dw, RMQ_CONFIG_BROKER, NULL, &error);
    assert_null(error);
    assert_string_equal(c2->delete_when, "04");
    g_autofree gchar *np = write_file(state, "namesrv-2.properties", "listenPort=9875\n");
    g_autoptr(RmqConfig) c3 = rmq_config_load(np, RMQ_CONFIG_NAMESRV, NULL, &error);
    assert_null(error);
    assert_int_equal(c3->listen_port, 9875);
    g_autofree gchar *text = rmq_config_to_libconfig(c3);
    assert_string_equal(text, "# converted from namesrv-2.properties by rmq\nlistenPort = 9875;\n");
}

/* ---- validation ---- */

static void test_port_collisions(void **state)
{
    expect_error(state, "a.conf", "listenPort = 10911;\nhaListenPort = 10911;\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_INVALID, ":2: haListenPort 10911 collides with listenPort");
    expect_error(state, "b.conf", "listenPort = 10911;\nhaListenPort = 10909;\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_INVALID, ":2: haListenPort 10909 collides with the VIP port (listenPort - 2)");

    /* a name server has no HA or VIP port */
    g_autofree gchar *ns = write_file(state, "ns.conf", "listenPort = 10911;\n");
    g_autoptr(RmqConfig) nscfg = rmq_config_load(ns, RMQ_CONFIG_NAMESRV, NULL, NULL);
    assert_non_null(nscfg);

    /* hand-built configs are checked the same way */
    g_autoptr(RmqConfig) cfg = rmq_config_new_defaults(RMQ_CONFIG_BROKER);
    cfg->listen_port = 2;
    cfg->ha_listen_port = 2;
    g_autoptr(GError) error = NULL;
    assert_false(rmq_config_validate(cfg, &error));
    assert_string_equal(error->message, "haListenPort 2 collides with listenPort");
    g_clear_error(&error);
    cfg->ha_listen_port = 3; /* listenPort - 2 = 0: no VIP channel */
    assert_true(rmq_config_validate(cfg, &error));
    cfg->listen_port = 70000;
    assert_false(rmq_config_validate(cfg, &error));
    assert_int_equal(error->code, RMQ_CONFIG_ERROR_RANGE);
}

static void test_cross_key_checks(void **state)
{
    expect_error(state, "a.conf", "brokerRole = \"SLAVE\";\n", RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_INVALID,
                 ": brokerId must be > 0 for brokerRole SLAVE, got 0");
    expect_error(state, "b.conf", "brokerRole = \"SYNC_MASTER\";\n\nbrokerId = 1;\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_INVALID, ":3: brokerId must be 0 for brokerRole SYNC_MASTER, got 1");
    expect_error(state, "c.conf", "namesrvAddr = \"a:9876;localhost\";\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_INVALID,
                 ":1: namesrvAddr: expected host:port with a port from 1 to 65535, got \"localhost\"");
    expect_error(state, "d.conf", "namesrvAddr = [\"a:0\"];\n", RMQ_CONFIG_BROKER, RMQ_CONFIG_ERROR_INVALID,
                 ":1: namesrvAddr: expected host:port with a port from 1 to 65535, got \"a:0\"");
    expect_error(state, "d2.properties", "namesrvAddr=a:9876; b:9876\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_INVALID,
                 ":1: namesrvAddr: expected host:port with a port from 1 to 65535, got \" b:9876\"");
    expect_error(state, "e.conf", "messageDelayLevel = \"1s 5x\";\n", RMQ_CONFIG_BROKER,
                 RMQ_CONFIG_ERROR_INVALID,
                 ":1: messageDelayLevel: delay level 2 \"5x\" is not <number><s|m|h|d>");
    expect_error(state, "f.conf", "bindAddress = \"localhost\";\n", RMQ_CONFIG_NAMESRV,
                 RMQ_CONFIG_ERROR_INVALID, ":1: bindAddress: expected an IPv4 or IPv6 address, got \"localhost\"");

    g_autofree gchar *path = write_file(state, "g.conf", "registerNameServerPeriod = 90000;\n");
    g_autoptr(GPtrArray) w = new_warnings();
    g_autoptr(RmqConfig) cfg = rmq_config_load(path, RMQ_CONFIG_BROKER, w, NULL);
    assert_non_null(cfg);
    assert_int_equal(cfg->register_name_server_period, 60000);
    assert_int_equal(w->len, 1);
}

static void test_parse_helpers(void **state)
{
    (void) state;
    guint32 mask = 0;
    assert_true(rmq_config_parse_hours("04", &mask, NULL));
    assert_int_equal(mask, 1u << 4);
    assert_true(rmq_config_parse_hours("0;23;4;", &mask, NULL));
    assert_int_equal(mask, (1u << 0) | (1u << 23) | (1u << 4));
    assert_false(rmq_config_parse_hours("", &mask, NULL));
    assert_false(rmq_config_parse_hours(" 4", &mask, NULL));
    assert_false(rmq_config_parse_hours("-1", &mask, NULL));

    g_autoptr(GArray) levels = NULL;
    assert_true(rmq_config_parse_delay_levels(
        "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h", &levels, NULL));
    assert_int_equal(levels->len, 18);
    assert_int_equal(g_array_index(levels, gint64, 0), 1000);
    assert_int_equal(g_array_index(levels, gint64, 4), 60000);
    assert_int_equal(g_array_index(levels, gint64, 17), 7200000);
    g_autoptr(GArray) d = NULL;
    assert_true(rmq_config_parse_delay_levels("2d", &d, NULL));
    assert_true(g_array_index(d, gint64, 0) == G_GINT64_CONSTANT(172800000));
    assert_false(rmq_config_parse_delay_levels("", NULL, NULL));
    assert_false(rmq_config_parse_delay_levels("s", NULL, NULL));
    assert_false(rmq_config_parse_delay_levels("99999999999999999d", NULL, NULL));
}

/* ---- reload ---- */

static void test_merge_reloadable(void **state)
{
    g_autofree gchar *p1 = write_file(state, "r1.conf",
                                      "listenPort = 10911;\nfileReservedTime = 48;\n"
                                      "namesrvAddr = \"a:1\";\nbrokerName = \"one\";\n");
    g_autofree gchar *p2 = write_file(state, "r2.conf",
                                      "listenPort = 10921;\nfileReservedTime = 24;\n"
                                      "namesrvAddr = \"a:1;b:2\";\nbrokerName = \"one\";\n"
                                      "deleteWhen = \"03\";\nmaxMessageSize = 1024;\n");
    g_autoptr(RmqConfig) cur = rmq_config_load(p1, RMQ_CONFIG_BROKER, NULL, NULL);
    g_autoptr(RmqConfig) fresh = rmq_config_load(p2, RMQ_CONFIG_BROKER, NULL, NULL);
    assert_non_null(cur);
    assert_non_null(fresh);
    g_autoptr(GPtrArray) restart = new_warnings();
    g_autoptr(RmqConfig) m = rmq_config_merge_reloadable(cur, fresh, restart);

    assert_int_equal(m->file_reserved_time, 24);
    assert_string_equal(m->delete_when, "03");
    assert_int_equal(m->max_message_size, 1024);
    /* the broker's name server link is built once: a restart (the console reloads it) */
    assert_int_equal(g_strv_length(m->namesrv_addr), 1);
    assert_int_equal(m->listen_port, 10911);    /* needs a restart */
    assert_int_equal(m->ha_listen_port, 10912);
    assert_int_equal(restart->len, 3);
    assert_string_equal(g_ptr_array_index(restart, 0), "listenPort");
    assert_string_equal(g_ptr_array_index(restart, 1), "namesrvAddr");
    assert_string_equal(g_ptr_array_index(restart, 2), "haListenPort");
    assert_true(rmq_config_validate(m, NULL));
    /* the merge owns its strings */
    assert_true(m->delete_when != fresh->delete_when);
    assert_true(m->broker_name != cur->broker_name);

    g_autoptr(RmqConfig) same = rmq_config_merge_reloadable(cur, cur, restart);
    assert_same_values(same, cur);
    assert_int_equal(restart->len, 3);

    assert_true(rmq_config_key_is_reloadable("fileReservedTime"));
    assert_true(rmq_config_key_is_reloadable("namesrvAddr"));
    assert_true(rmq_config_key_is_reloadable("brokerPermission"));
    assert_false(rmq_config_key_is_reloadable("listenPort"));
    assert_false(rmq_config_key_is_reloadable("flushDiskType"));
    assert_false(rmq_config_key_is_reloadable("storePathRootDir"));
    assert_false(rmq_config_key_is_reloadable("brokerRole"));
    assert_false(rmq_config_key_is_reloadable("noSuchKey"));
}

static void test_copy(void **state)
{
    g_autofree gchar *path = data_path("good.conf");
    g_autoptr(RmqConfig) a = rmq_config_load(path, RMQ_CONFIG_BROKER, NULL, NULL);
    g_autoptr(RmqConfig) b = rmq_config_copy(a);
    assert_same_values(a, b);
    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        if (key->type == RMQ_CONFIG_KEY_STRING || key->type == RMQ_CONFIG_KEY_HOURS ||
            key->type == RMQ_CONFIG_KEY_STRV) {
            gpointer pa = *RMQ_CONFIG_FIELD(a, key, gpointer), pb = *RMQ_CONFIG_FIELD(b, key, gpointer);
            assert_true(pa == NULL || pa != pb);
        }
    }
    assert_true(a->path != b->path && a->set_keys != b->set_keys);
    assert_string_equal(b->path, path);
}

/* The table covers RmqConfig: no two keys share a field, all in bounds. */
static void test_key_table(void **state)
{
    (void) state;
    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *k = &rmq_config_keys[i];
        assert_true(rmq_config_key_find(k->name) == k);
        if (k->type == RMQ_CONFIG_KEY_JAVA)
            continue;
        assert_true(k->offset >= offsetof(RmqConfig, listen_port));
        assert_true(k->offset < offsetof(RmqConfig, set_keys));
        for (guint j = i + 1; j < rmq_config_n_keys; j++)
            if (rmq_config_keys[j].type != RMQ_CONFIG_KEY_JAVA)
                assert_true(rmq_config_keys[j].offset != k->offset);
    }
    assert_non_null(rmq_config_key_find("bindAddress"));
}

/* ---- the table as the single truth (issue 12) ---- */

static gsize landing_size(RmqConfigLanding l)
{
    switch (l) {
    case RMQ_CONFIG_LAND_BROKER: return sizeof(RmqBrokerSettings);
    case RMQ_CONFIG_LAND_STORE: return sizeof(RmqStoreConfig);
    case RMQ_CONFIG_LAND_HA: return sizeof(RmqHaServiceConfig);
    case RMQ_CONFIG_LAND_N: break;
    }
    return 0;
}

static gsize type_size(const RmqConfigKey *k)
{
    switch (k->type) {
    case RMQ_CONFIG_KEY_INT: case RMQ_CONFIG_KEY_BOOL: case RMQ_CONFIG_KEY_ENUM: return sizeof(gint);
    case RMQ_CONFIG_KEY_INT64: return sizeof(gint64);
    case RMQ_CONFIG_KEY_STRING: case RMQ_CONFIG_KEY_HOURS: return sizeof(gchar *);
    case RMQ_CONFIG_KEY_STRV: return sizeof(gchar **);
    case RMQ_CONFIG_KEY_JAVA: break;
    }
    return 0;
}

/* Every key has a default within its bounds and, when the broker reads it
 * and it has an effect, a field it lands in; landings stay inside their
 * struct and never share a field. */
static void test_table_consistency(void **state)
{
    (void) state;
    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *k = &rmq_config_keys[i];
        gboolean landed = FALSE;
        if (k->type == RMQ_CONFIG_KEY_JAVA) {
            for (guint l = 0; l < RMQ_CONFIG_LAND_N; l++)
                assert_int_equal(k->land[l], 0);
            assert_true(k->flags & RMQ_CONFIG_KEY_NO_EFFECT);
            assert_false(rmq_config_key_reloads(k, k->scope));
            continue;
        }
        switch (k->type) {
        case RMQ_CONFIG_KEY_INT:
        case RMQ_CONFIG_KEY_INT64:
            if (k->def_int < k->min || k->def_int > k->max)
                fail_msg("%s: default %" G_GINT64_FORMAT " outside %" G_GINT64_FORMAT
                         "..%" G_GINT64_FORMAT, k->name, k->def_int, k->min, k->max);
            if (k->type == RMQ_CONFIG_KEY_INT)
                assert_true(k->min >= G_MININT && k->max <= G_MAXINT);
            break;
        case RMQ_CONFIG_KEY_BOOL:
            assert_true(k->def_int == 0 || k->def_int == 1);
            break;
        case RMQ_CONFIG_KEY_ENUM:
            assert_non_null(k->enum_names);
            assert_true(k->def_int >= 0 && k->def_int < g_strv_length((gchar **) k->enum_names));
            break;
        case RMQ_CONFIG_KEY_HOURS:
            assert_true(rmq_config_parse_hours(k->def_str, NULL, NULL));
            break;
        default:
            break;
        }
        if (k->flags & RMQ_CONFIG_KEY_CLAMP)
            assert_true(k->type == RMQ_CONFIG_KEY_INT || k->type == RMQ_CONFIG_KEY_INT64);
        for (guint l = 0; l < RMQ_CONFIG_LAND_N; l++) {
            if (k->land[l] == 0)
                continue;
            landed = TRUE;
            if (k->land[l] - 1 + type_size(k) > landing_size(l))
                fail_msg("%s: landing %u lies outside its struct", k->name, l);
            for (guint j = 0; j < rmq_config_n_keys; j++)
                if (j != i && rmq_config_keys[j].land[l] == k->land[l])
                    fail_msg("%s and %s land in the same field", k->name, rmq_config_keys[j].name);
        }
        /* the broker acts through its subsystem structs; the name server
         * and the console read RmqConfig itself */
        if ((k->scope & RMQ_CONFIG_BROKER) && !(k->flags & RMQ_CONFIG_KEY_NO_EFFECT) && !landed)
            fail_msg("broker key %s lands nowhere: give it a BK/ST/HA landing or mark it NE",
                     k->name);
        if (!(k->scope & RMQ_CONFIG_BROKER) && landed)
            fail_msg("%s lands in a broker struct but the broker does not read it", k->name);
        if (k->flags & RMQ_CONFIG_KEY_NO_EFFECT)
            assert_false(landed);
    }
}

/* A config with a non-default value in every key, so a landing that
 * copies the wrong field or the wrong width shows. */
static RmqConfig *distinct_config(void)
{
    RmqConfig *cfg = rmq_config_new_defaults(RMQ_CONFIG_BROKER);
    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *k = &rmq_config_keys[i];
        if (k->type == RMQ_CONFIG_KEY_JAVA)
            continue;
        gint64 v = k->def_int + 1 + i;
        if (v > k->max) {
            v = k->min + (gint64) i % (k->max - k->min + 1);
            if (v == k->def_int) /* distinct from the default, or the test proves nothing */
                v = v < k->max ? v + 1 : k->min;
        }
        switch (k->type) {
        case RMQ_CONFIG_KEY_INT:
            *RMQ_CONFIG_FIELD(cfg, k, gint) = (gint) v;
            break;
        case RMQ_CONFIG_KEY_INT64:
            *RMQ_CONFIG_FIELD(cfg, k, gint64) = v;
            break;
        case RMQ_CONFIG_KEY_BOOL:
            *RMQ_CONFIG_FIELD(cfg, k, gboolean) = !k->def_int;
            break;
        case RMQ_CONFIG_KEY_ENUM:
            *RMQ_CONFIG_FIELD(cfg, k, gint) =
                (gint) ((k->def_int + 1) % g_strv_length((gchar **) k->enum_names));
            break;
        case RMQ_CONFIG_KEY_STRING:
            g_free(*RMQ_CONFIG_FIELD(cfg, k, gchar *));
            *RMQ_CONFIG_FIELD(cfg, k, gchar *) = g_strdup_printf("value-of-%s", k->name);
            break;
        case RMQ_CONFIG_KEY_HOURS:
            g_free(*RMQ_CONFIG_FIELD(cfg, k, gchar *));
            *RMQ_CONFIG_FIELD(cfg, k, gchar *) = g_strdup_printf("%02u", i % 24);
            break;
        case RMQ_CONFIG_KEY_STRV:
            g_strfreev(*RMQ_CONFIG_FIELD(cfg, k, gchar **));
            *RMQ_CONFIG_FIELD(cfg, k, gchar **) = g_strsplit("h1:1;h2:2", ";", -1);
            break;
        case RMQ_CONFIG_KEY_JAVA:
            break;
        }
    }
    return cfg;
}

static void test_landings_hold_the_value(void **state)
{
    (void) state;
    g_autoptr(RmqConfig) cfg = distinct_config();
    g_autoptr(RmqConfig) def = rmq_config_new_defaults(RMQ_CONFIG_BROKER);
    for (guint l = 0; l < RMQ_CONFIG_LAND_N; l++) {
        /* every landing filled */
        g_autofree gpointer target = g_malloc0(landing_size(l));
        rmq_config_fill(cfg, l, target, FALSE);
        for (guint i = 0; i < rmq_config_n_keys; i++) {
            const RmqConfigKey *k = &rmq_config_keys[i];
            if (k->land[l] == 0)
                continue;
            g_autofree gchar *want = rmq_config_key_value_text(k, cfg, k->offset);
            g_autofree gchar *got = rmq_config_key_value_text(k, target, k->land[l] - 1);
            if (strcmp(want, got) != 0)
                fail_msg("%s in landing %u: got %s, want %s", k->name, l, got, want);
        }
        /* a copy owns its strings */
        g_autofree gpointer copy = g_memdup2(target, landing_size(l));
        rmq_config_landing_dup(l, copy);
        rmq_config_landing_clear(l, target);
        rmq_config_landing_clear(l, copy);

        /* only the reloadable ones: the others keep what they had */
        memset(target, 0, landing_size(l));
        rmq_config_fill(def, l, target, FALSE);
        rmq_config_fill(cfg, l, target, TRUE);
        for (guint i = 0; i < rmq_config_n_keys; i++) {
            const RmqConfigKey *k = &rmq_config_keys[i];
            if (k->land[l] == 0)
                continue;
            g_autofree gchar *was = rmq_config_key_value_text(k, def, k->offset);
            g_autofree gchar *now = rmq_config_key_value_text(k, cfg, k->offset);
            g_autofree gchar *got = rmq_config_key_value_text(k, target, k->land[l] - 1);
            assert_string_not_equal(was, now);
            const gchar *want = rmq_config_key_reloads(k, RMQ_CONFIG_BROKER) ? now : was;
            if (strcmp(got, want) != 0)
                fail_msg("%s (reloadable %d) after a reload fill: got %s, want %s", k->name,
                         rmq_config_key_reloads(k, RMQ_CONFIG_BROKER), got, want);
        }
        rmq_config_landing_clear(l, target);
    }
}

/* The store and HA keep defaults of their own for their standalone users
 * (tests, benchmarks); the broker overwrites every landed field from the
 * table, and here they are held to agree with it. */
static void test_subsystem_defaults_agree(void **state)
{
    (void) state;
    g_unsetenv("STATE_DIRECTORY");
    g_autoptr(RmqConfig) def = rmq_config_new_defaults(RMQ_CONFIG_BROKER);
    RmqStoreConfig sc;
    rmq_store_config_init(&sc);
    RmqHaServiceConfig hc;
    rmq_ha_service_config_init(&hc);
    gconstpointer landings[RMQ_CONFIG_LAND_N] = { NULL, &sc, &hc };
    for (guint l = RMQ_CONFIG_LAND_STORE; l < RMQ_CONFIG_LAND_N; l++) {
        for (guint i = 0; i < rmq_config_n_keys; i++) {
            const RmqConfigKey *k = &rmq_config_keys[i];
            if (k->land[l] == 0 || (k->flags & RMQ_CONFIG_KEY_DERIVED))
                continue;
            g_autofree gchar *want = rmq_config_key_value_text(k, def, k->offset);
            g_autofree gchar *got = rmq_config_key_value_text(k, landings[l], k->land[l] - 1);
            if (strcmp(want, got) != 0)
                fail_msg("%s: the table says %s, landing %u's own default is %s", k->name, want, l,
                         got);
        }
    }
    rmq_store_config_clear(&sc);
}

/* UPDATE_BROKER_CONFIG's parser is the file's: bounds, types, reloadability. */
static void test_update_runtime(void **state)
{
    (void) state;
    g_autoptr(RmqConfig) cfg = rmq_config_new_defaults(RMQ_CONFIG_BROKER);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConfig) up = rmq_config_update_runtime(
        cfg, "fileReservedTime = 12\ndeleteWhen=03;15\nmaxMessageSize=1024\n", &error);
    assert_non_null(up);
    assert_int_equal(up->file_reserved_time, 12);
    assert_string_equal(up->delete_when, "03;15");
    assert_int_equal(up->max_message_size, 1024);
    assert_int_equal(cfg->file_reserved_time, 72); /* the input is left alone */

    struct { const gchar *text, *needle; } bad[] = {
        { "listenPort=1\n", "listenPort cannot change at run time" },
        { "fileReservedTime=1\nbrokerRole=SLAVE\n", "brokerRole cannot change at run time" },
        { "noSuchKey=1\n", "noSuchKey: unknown key" },
        { "transientStorePoolEnable=true\n", "transientStorePoolEnable: unknown key" },
        { "aclEnable=true\n", "aclEnable cannot change at run time" },
        { "fileReservedTime=x\n", "fileReservedTime: expected an integer" },
        { "brokerPermission=8\n", "brokerPermission: expected an integer from 0 to 7, got 8" },
        { "deleteWhen=25\n", "deleteWhen" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_clear_error(&error);
        g_autoptr(RmqConfig) no = rmq_config_update_runtime(cfg, bad[i].text, &error);
        assert_null(no);
        if (strstr(error->message, bad[i].needle) == NULL)
            fail_msg("'%s': got '%s'", bad[i].text, error->message);
    }
    /* clamped as in a file */
    g_autoptr(RmqConfig) cl = rmq_config_update_runtime(cfg, "diskMaxUsedSpaceRatio=99\n", NULL);
    assert_int_equal(cl->disk_max_used_space_ratio, 95);
}

static void test_no_effect_warned(void **state)
{
    g_autofree gchar *path = write_file(state, "ne.conf",
                                        "offsetCheckInSlave = true;\ntransientStorePoolEnable = true;\n"
                                        "fileReservedTime = 1;\n");
    g_autoptr(GPtrArray) w = new_warnings();
    g_autoptr(RmqConfig) cfg = rmq_config_load(path, RMQ_CONFIG_BROKER, w, NULL);
    assert_non_null(cfg);
    assert_int_equal(w->len, 2);
    assert_non_null(strstr(g_ptr_array_index(w, 0), ":1: key 'offsetCheckInSlave' has no effect yet"));
    assert_non_null(strstr(g_ptr_array_index(w, 1), ":2: key 'transientStorePoolEnable' has no effect yet"));
}

/* ---- console keys ---- */

static void test_console_keys(void **state)
{
    g_autoptr(RmqConfig) def = rmq_config_new_defaults(RMQ_CONFIG_CONSOLE);
    assert_string_equal(def->console_listen_address, "127.0.0.1");
    assert_int_equal(def->console_listen_port, 8080);
    assert_null(def->console_auth_user);
    assert_null(def->console_auth_password_hash);

    g_autofree gchar *path = write_file(state, "console.conf",
                                        "namesrvAddr = \"127.0.0.1:9876;127.0.0.1:9875\";\n"
                                        "consoleListenAddress = \"::1\";\n"
                                        "consoleListenPort = 18080;\n"
                                        "consoleAuthUser = \"ops\";\n"
                                        "consoleAuthPasswordHash = \"$6$salt$abc\";\n"
                                        "brokerName = \"x\";\n");
    g_autoptr(GPtrArray) w = new_warnings();
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConfig) cfg = rmq_config_load(path, RMQ_CONFIG_CONSOLE, w, &error);
    if (error != NULL)
        fail_msg("%s", error->message);
    g_autofree gchar *ns = rmq_config_namesrv_addr_string(cfg);
    assert_string_equal(ns, "127.0.0.1:9876;127.0.0.1:9875");
    assert_string_equal(cfg->console_listen_address, "::1");
    assert_int_equal(cfg->console_listen_port, 18080);
    assert_string_equal(cfg->console_auth_user, "ops");
    assert_string_equal(cfg->console_auth_password_hash, "$6$salt$abc");
    g_autofree gchar *w1 = g_strdup_printf("%s:6: key 'brokerName' is not used by the console, ignored", path);
    assert_true(warnings_have(w, w1));

    /* the broker does not take console keys */
    g_autoptr(GPtrArray) bw = new_warnings();
    g_autoptr(RmqConfig) b = rmq_config_load(path, RMQ_CONFIG_BROKER, bw, &error);
    assert_non_null(b);
    g_autofree gchar *w2 =
        g_strdup_printf("%s:3: key 'consoleListenPort' is not used by the broker, ignored", path);
    assert_true(warnings_have(bw, w2));

    expect_error(state, "c1.conf", "consoleListenPort = 0;\n", RMQ_CONFIG_CONSOLE,
                 RMQ_CONFIG_ERROR_RANGE,
                 ":1: consoleListenPort: expected an integer from 1 to 65535, got 0");
    expect_error(state, "c2.conf", "consoleListenAddress = \"localhost\";\n", RMQ_CONFIG_CONSOLE,
                 RMQ_CONFIG_ERROR_INVALID,
                 ":1: consoleListenAddress: expected an IPv4 or IPv6 address, got \"localhost\"");
    expect_error(state, "c3.conf", "consoleAuthUser = \"ops\";\n", RMQ_CONFIG_CONSOLE,
                 RMQ_CONFIG_ERROR_INVALID,
                 ":1: consoleAuthUser and consoleAuthPasswordHash go together");
    expect_error(state, "c4.conf",
                 "consoleAuthUser = \"ops\";\nconsoleAuthPasswordHash = \"plain-secret\";\n",
                 RMQ_CONFIG_CONSOLE, RMQ_CONFIG_ERROR_INVALID,
                 ":2: consoleAuthPasswordHash: expected a crypt(3) hash such as `openssl passwd "
                 "-6` prints ($6$...), got something else");
    expect_error(state, "c6.conf", "consoleAccounts = [\"viewer1:root:$6$x$y\"];\n",
                 RMQ_CONFIG_CONSOLE, RMQ_CONFIG_ERROR_INVALID,
                 ":1: consoleAccounts entry 1 (viewer1)"
                 ": expected a unique \"name:admin:$...\" or \"name:viewer:$...\" with a crypt(3) hash");
    expect_error(state, "c7.conf",
                 "consoleAccounts = [\"a:admin:$6$x$y\", \"a:viewer:$6$x$z\"];\n",
                 RMQ_CONFIG_CONSOLE, RMQ_CONFIG_ERROR_INVALID, ":1: consoleAccounts entry 2 (a)"
                 ": expected a unique \"name:admin:$...\" or \"name:viewer:$...\" with a crypt(3) hash");
    expect_error(state, "c8.conf", "consoleAccounts = [\"b:viewer:secret\"];\n",
                 RMQ_CONFIG_CONSOLE, RMQ_CONFIG_ERROR_INVALID, ":1: consoleAccounts entry 1 (b)"
                 ": expected a unique \"name:admin:$...\" or \"name:viewer:$...\" with a crypt(3) hash");
    expect_error(state, "c5.conf", "namesrvAddr = \"nohost\";\n", RMQ_CONFIG_CONSOLE,
                 RMQ_CONFIG_ERROR_INVALID,
                 ":1: namesrvAddr: expected host:port with a port from 1 to 65535, got \"nohost\"");

    /* the shipped sample: loopback, no authentication, no warnings */
    const gchar *srcdir = g_getenv("RMQ_SRCDIR");
    g_autofree gchar *sample = g_build_filename(srcdir != NULL ? srcdir : RMQ_TEST_SRCDIR, "etc",
                                                "rocketmq", "console.conf", NULL);
    g_autoptr(GPtrArray) sw = new_warnings();
    g_autoptr(RmqConfig) sc = rmq_config_load(sample, RMQ_CONFIG_CONSOLE, sw, &error);
    if (error != NULL)
        fail_msg("%s", error->message);
    assert_int_equal(sw->len, 0);
    assert_string_equal(sc->console_listen_address, "127.0.0.1");
    assert_int_equal(sc->console_listen_port, 8080);
    assert_null(sc->console_auth_user);
    /* the single name server of the single-node setup, nothing to retry */
    assert_string_equal(sc->namesrv_addr[0], "127.0.0.1:9876");
    assert_null(sc->namesrv_addr[1]);
}

/* ---- the shipped samples ---- */

static void test_sample_configs(void **state)
{
    (void) state;
    const gchar *srcdir = g_getenv("RMQ_SRCDIR");
    g_autofree gchar *dir = g_build_filename(srcdir != NULL ? srcdir : RMQ_TEST_SRCDIR,
                                             "etc", "rocketmq", NULL);
    const gchar *names[] = { "namesrv-1.conf", "namesrv-2.conf", "broker-a.conf",
                             "broker-a-s.conf", "broker-b.conf", "broker-b-s.conf" };
    g_autoptr(GHashTable) ports = g_hash_table_new(g_direct_hash, g_direct_equal);
    guint n_ports = 0;

    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree gchar *path = g_build_filename(dir, names[i], NULL);
        gboolean broker = g_str_has_prefix(names[i], "broker");
        g_autoptr(GPtrArray) w = new_warnings();
        g_autoptr(GError) error = NULL;
        g_autoptr(RmqConfig) cfg =
            rmq_config_load(path, broker ? RMQ_CONFIG_BROKER : RMQ_CONFIG_NAMESRV, w, &error);
        if (error != NULL)
            fail_msg("%s", error->message);
        if (w->len > 0)
            fail_msg("%s", (const gchar *) g_ptr_array_index(w, 0));

        gint own[3] = { cfg->listen_port, broker ? cfg->listen_port - 2 : 0,
                        broker ? cfg->ha_listen_port : 0 };
        for (guint k = 0; k < 3; k++) {
            if (own[k] == 0)
                continue;
            if (g_hash_table_contains(ports, GINT_TO_POINTER(own[k])))
                fail_msg("%s: port %d is used twice", names[i], own[k]);
            g_hash_table_add(ports, GINT_TO_POINTER(own[k]));
            n_ports++;
        }
        if (broker) {
            g_autofree gchar *ns = rmq_config_namesrv_addr_string(cfg);
            assert_string_equal(ns, "127.0.0.1:9876;127.0.0.1:9875");
            assert_string_equal(cfg->broker_cluster_name, "DubboRocketCluster");
            g_autofree gchar *inst = g_strndup(names[i], strlen(names[i]) - 5);
            g_autofree gchar *root = g_build_filename("/var/lib/rocketmq", inst, NULL);
            assert_string_equal(cfg->store_path_root_dir, root);
            assert_string_equal(cfg->delete_when, "04");
            assert_int_equal(cfg->file_reserved_time, 48);
            assert_int_equal(cfg->default_topic_queue_nums, 4);
        }
    }
    assert_int_equal(n_ports, 14);
}

/* The single-node broker: one name server, RocketMQ's defaults otherwise,
 * and the store left to the unit's StateDirectory. */
static void test_single_node_config(void **state)
{
    (void) state;
    const gchar *srcdir = g_getenv("RMQ_SRCDIR");
    g_autofree gchar *path = g_build_filename(srcdir != NULL ? srcdir : RMQ_TEST_SRCDIR,
                                              "etc", "rocketmq", "broker.conf", NULL);
    g_setenv("STATE_DIRECTORY", "/var/lib/rocketmq/broker", TRUE);
    g_autoptr(GPtrArray) w = new_warnings();
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConfig) cfg = rmq_config_load(path, RMQ_CONFIG_BROKER, w, &error);
    g_unsetenv("STATE_DIRECTORY");
    if (error != NULL)
        fail_msg("%s", error->message);
    assert_int_equal(w->len, 0);
    g_autofree gchar *ns = rmq_config_namesrv_addr_string(cfg);
    assert_string_equal(ns, "127.0.0.1:9876");
    assert_string_equal(cfg->broker_cluster_name, "DefaultCluster");
    assert_int_equal(cfg->broker_role, RMQ_BROKER_ROLE_ASYNC_MASTER);
    assert_int_equal(cfg->listen_port, 10911);
    assert_int_equal(cfg->ha_listen_port, 10912);
    assert_string_equal(cfg->store_path_root_dir, "/var/lib/rocketmq/broker");
}

int main(void)
{
    g_setenv("HOME", FAKE_HOME, TRUE);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test_setup_teardown(test_wrong_type, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_warning, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_properties_seed),
        cmocka_unit_test(test_properties_escapes),
        cmocka_unit_test(test_properties_parser),
        cmocka_unit_test_setup_teardown(test_properties_values, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test_setup_teardown(test_derived_after_load, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_port_collisions, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_cross_key_checks, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_parse_helpers),
        cmocka_unit_test_setup_teardown(test_merge_reloadable, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_key_table),
        cmocka_unit_test(test_table_consistency),
        cmocka_unit_test(test_landings_hold_the_value),
        cmocka_unit_test(test_subsystem_defaults_agree),
        cmocka_unit_test(test_update_runtime),
        cmocka_unit_test_setup_teardown(test_no_effect_warned, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_sample_configs),
        cmocka_unit_test(test_single_node_config),
        cmocka_unit_test_setup_teardown(test_console_keys, tmp_setup, tmp_teardown),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
