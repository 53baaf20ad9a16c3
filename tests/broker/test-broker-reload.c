/* rmq-broker integration: the configuration at run time (issue 12).
 * One case per key the key table marks reloadable for the broker, generated
 * from the table (a new reloadable key is a new case): change it in the file,
 * SIGHUP, and read the new value back through GET_BROKER_CONFIG, which reads
 * each key from the subsystem that acts on it (store, HA, broker settings).
 * Then behaviour where it is cheap to see (brokerPermission, maxMessageSize),
 * UPDATE_BROKER_CONFIG through the same table, a key needing a restart named
 * in the log, and keys without effect named at start and by --check-config. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "common/config-keys.h"
#include "harness.h"
#include "remoting/codes.h"

static BkDaemon *br;
static RmqClient *client;
static gchar *base_conf;       /* the file bk_broker_new wrote */
static GHashTable *overrides;  /* key name -> libconfig value text, in the file after base_conf */
static GPtrArray *order;       /* override keys in the order they were first set */

/* Java-only key and one read without effect: named at start */
#define EXTRA_CONF "transientStorePoolEnable = false;\n"

static void
write_conf(void)
{
    GString *s = g_string_new(base_conf);
    for (guint i = 0; i < order->len; i++) {
        const gchar *k = g_ptr_array_index(order, i);
        g_string_append_printf(s, "%s = %s;\n", k, (const gchar *) g_hash_table_lookup(overrides, k));
    }
    g_assert(g_file_set_contents(br->conf_path, s->str, (gssize) s->len, NULL));
    g_string_free(s, TRUE);
}

static void
set_key(const gchar *key, const gchar *value)
{
    if (!g_hash_table_contains(overrides, key))
        g_ptr_array_add(order, g_strdup(key));
    g_hash_table_insert(overrides, g_strdup(key), g_strdup(value));
    write_conf();
}

/* SIGHUP and wait until the broker says it is ready again. */
static void
reload(void)
{
    rmq_test_notify_drain(br->notify);
    g_subprocess_send_signal(br->proc, SIGHUP);
    g_autofree gchar *m = bk_daemon_wait_notify(br, "READY=1", 10000);
    assert_non_null(m);
}

/* The value GET_BROKER_CONFIG reports for @key. (transfer full) */
static gchar *
get_value(const gchar *key)
{
    g_autoptr(RmqCommand) r =
        bk_invoke(client, br->addr, RMQ_REQUEST_GET_BROKER_CONFIG, NULL, NULL);
    assert_non_null(r);
    assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *body = g_strndup(g_bytes_get_data(r->body, NULL), g_bytes_get_size(r->body));
    g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
    g_autofree gchar *prefix = g_strconcat(key, "=", NULL);
    for (guint i = 0; lines[i] != NULL; i++)
        if (g_str_has_prefix(lines[i], prefix))
            return g_strdup(lines[i] + strlen(prefix));
    return NULL;
}

static int
setup(void **state)
{
    (void) state;
    g_autoptr(GError) err = NULL;
    br = bk_broker_new(NULL, EXTRA_CONF);
    g_assert(g_file_get_contents(br->conf_path, &base_conf, NULL, NULL));
    overrides = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    order = g_ptr_array_new_with_free_func(g_free);
    if (!bk_daemon_start_or_say(br, 10000))
        return -1;
    client = rmq_client_new(NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    rmq_client_free(client);
    bk_daemon_free(br);
    g_hash_table_unref(overrides);
    g_ptr_array_unref(order);
    g_free(base_conf);
    return 0;
}

/* A value of @key other than its default, within its bounds: as it goes in
 * the file (@conf) and as GET_BROKER_CONFIG reports it (@want). */
static void
other_value(const RmqConfigKey *key, gchar **conf, gchar **want)
{
    switch (key->type) {
    case RMQ_CONFIG_KEY_INT:
    case RMQ_CONFIG_KEY_INT64: {
        gint64 v = key->def_int < key->max ? key->def_int + 1 : key->def_int - 1;
        *want = g_strdup_printf("%" G_GINT64_FORMAT, v);
        *conf = g_strdup_printf("%" G_GINT64_FORMAT "%s", v, v > G_MAXINT32 ? "L" : "");
        return;
    }
    case RMQ_CONFIG_KEY_BOOL:
        *want = g_strdup(key->def_int ? "false" : "true");
        *conf = g_strdup(*want);
        return;
    case RMQ_CONFIG_KEY_HOURS:
        *want = g_strdup(g_strcmp0(key->def_str, "05") != 0 ? "05" : "06");
        *conf = g_strdup_printf("\"%s\"", *want);
        return;
    case RMQ_CONFIG_KEY_STRING:
        *want = g_strconcat(key->def_str != NULL ? key->def_str : "", "Changed", NULL);
        *conf = g_strdup_printf("\"%s\"", *want);
        return;
    case RMQ_CONFIG_KEY_ENUM:
        *want = g_strdup(key->enum_names[key->def_int == 0 ? 1 : 0]);
        *conf = g_strdup_printf("\"%s\"", *want);
        return;
    case RMQ_CONFIG_KEY_STRV:
    case RMQ_CONFIG_KEY_JAVA:
        break;
    }
    fail_msg("no test value for the type of %s: add one", key->name);
}

/* One generated case: @state is the key's row. */
static void
test_reload_key(void **state)
{
    const RmqConfigKey *key = *state;
    g_autofree gchar *conf = NULL, *want = NULL;
    other_value(key, &conf, &want);

    g_autofree gchar *before = get_value(key->name);
    if (before == NULL)
        fail_msg("GET_BROKER_CONFIG does not report %s", key->name);
    if (strcmp(before, want) == 0)
        fail_msg("%s is already %s before the reload", key->name, want);

    set_key(key->name, conf);
    reload();
    g_autofree gchar *after = get_value(key->name);
    if (g_strcmp0(after, want) != 0)
        fail_msg("%s after SIGHUP: got %s, want %s", key->name, after, want);
    /* and the log says what the reload changed */
    g_autofree gchar *log = bk_daemon_log(br);
    g_autofree gchar *line = g_strdup_printf("%s %s -> %s", key->name, before, want);
    if (strstr(log, line) == NULL)
        fail_msg("the log does not say \"%s\"", line);
}

static RmqCommand *
send_body(const gchar *body)
{
    return bk_send(client, br->addr, "ReloadT", 0, NULL, NULL, body, NULL);
}

static void
test_permission_behaviour(void **state)
{
    (void) state;
    set_key("brokerPermission", "6");
    reload();
    g_autoptr(RmqCommand) ok = send_body("first");
    assert_int_equal(ok->code, RMQ_RESPONSE_SUCCESS);
    set_key("brokerPermission", "4"); /* read only */
    reload();
    g_autoptr(RmqCommand) no = send_body("refused");
    assert_int_equal(no->code, RMQ_RESPONSE_NO_PERMISSION);
    set_key("brokerPermission", "6");
    reload();
    g_autoptr(RmqCommand) again = send_body("again");
    assert_int_equal(again->code, RMQ_RESPONSE_SUCCESS);
}

static void
test_max_message_size_behaviour(void **state)
{
    (void) state;
    g_autofree gchar *big = g_strnfill(300, 'x');
    set_key("maxMessageSize", "4194304");
    reload();
    g_autoptr(RmqCommand) ok = send_body(big);
    assert_int_equal(ok->code, RMQ_RESPONSE_SUCCESS);
    set_key("maxMessageSize", "256");
    reload();
    g_autoptr(RmqCommand) no = send_body(big);
    assert_int_equal(no->code, RMQ_RESPONSE_MESSAGE_ILLEGAL);
    g_autoptr(RmqCommand) small = send_body("small");
    assert_int_equal(small->code, RMQ_RESPONSE_SUCCESS);
}

static void
test_restart_key_named(void **state)
{
    (void) state;
    g_autofree gchar *before = get_value("brokerTopicEnable");
    assert_string_equal(before, "true");
    set_key("brokerTopicEnable", "false");
    reload();
    g_autofree gchar *after = get_value("brokerTopicEnable");
    assert_string_equal(after, "true"); /* not applied */
    g_autofree gchar *log = bk_daemon_log(br);
    assert_non_null(strstr(log, "brokerTopicEnable changed in"));
    assert_non_null(strstr(log, "takes effect only after a restart"));
}

static RmqCommand *
update(const gchar *text)
{
    g_autoptr(GBytes) body = g_bytes_new(text, strlen(text));
    return bk_invoke(client, br->addr, RMQ_REQUEST_UPDATE_BROKER_CONFIG, body, NULL);
}

static void
test_update_broker_config(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) ok = update("fileReservedTime=5\ndeleteWhen=01;13\n");
    assert_int_equal(ok->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *frt = get_value("fileReservedTime");
    assert_string_equal(frt, "5");
    g_autofree gchar *log = bk_daemon_log(br);
    assert_non_null(strstr(log, "UPDATE_BROKER_CONFIG: deleteWhen"));
    g_autofree gchar *dw = get_value("deleteWhen");
    assert_string_equal(dw, "01;13");

    g_autoptr(RmqCommand) fixed = update("fileReservedTime=6\nbrokerName=other\n");
    assert_int_equal(fixed->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_non_null(fixed->remark);
    assert_non_null(strstr(fixed->remark, "brokerName cannot change at run time"));
    g_autofree gchar *frt2 = get_value("fileReservedTime");
    assert_string_equal(frt2, "5"); /* nothing applied */

    g_autoptr(RmqCommand) bad = update("diskMaxUsedSpaceRatio=abc\n");
    assert_int_equal(bad->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_non_null(strstr(bad->remark, "diskMaxUsedSpaceRatio"));
    g_autoptr(RmqCommand) range = update("brokerPermission=9\n");
    assert_int_equal(range->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_non_null(strstr(range->remark, "brokerPermission"));

    /* The file is the truth on SIGHUP: the value changed at run time goes
     * back to the file's, and the log says so (it used to say "no change"). */
    const gchar *in_file = g_hash_table_lookup(overrides, "fileReservedTime");
    g_autofree gchar *want = g_strdup(in_file != NULL ? in_file : "72");
    g_autofree gchar *line = g_strdup_printf("fileReservedTime 5 -> %s", want);
    reload();
    g_autofree gchar *after = get_value("fileReservedTime");
    assert_string_equal(after, want);
    g_autofree gchar *log2 = bk_daemon_log(br);
    if (strstr(log2, line) == NULL)
        fail_msg("\"%s\" not in the log:\n%s", line, log2);
}

static void
test_no_effect_named(void **state)
{
    (void) state;
    g_autofree gchar *log = bk_daemon_log(br);
    assert_non_null(strstr(log, "'transientStorePoolEnable' has no effect yet"));

    set_key("enablePropertyFilter", "true");
    g_autofree gchar *bin = rmq_test_build_path("src/broker/rmq-broker");
    const gchar *argv[] = { bin, "--check-config", "--config", br->conf_path, NULL };
    g_autofree gchar *out = NULL, *err = NULL;
    gint status = -1;
    assert_true(g_spawn_sync(NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                             &status, NULL));
    assert_true(g_spawn_check_wait_status(status, NULL));
    /* SQL92 filters are built: the key is no longer named */
    assert_null(strstr(err, "'enablePropertyFilter' has no effect"));
    assert_non_null(strstr(err, "'transientStorePoolEnable' has no effect yet"));
    assert_null(strstr(err, "'fileReservedTime' has no effect"));
}

int
main(void)
{
    g_autoptr(GArray) tests = g_array_new(FALSE, TRUE, sizeof(struct CMUnitTest));
    for (guint i = 0; i < rmq_config_n_keys; i++) {
        const RmqConfigKey *key = &rmq_config_keys[i];
        if (!rmq_config_key_reloads(key, RMQ_CONFIG_BROKER))
            continue;
        struct CMUnitTest t = { key->name, test_reload_key, NULL, NULL, (void *) key };
        g_array_append_val(tests, t);
    }
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_permission_behaviour),
        cmocka_unit_test(test_max_message_size_behaviour),
        cmocka_unit_test(test_restart_key_named),
        cmocka_unit_test(test_update_broker_config),
        cmocka_unit_test(test_no_effect_named),
    };
    g_array_append_vals(tests, fixed, G_N_ELEMENTS(fixed));
    return _cmocka_run_group_tests("broker-reload", (const struct CMUnitTest *) tests->data,
                                   tests->len, setup, teardown);
}
