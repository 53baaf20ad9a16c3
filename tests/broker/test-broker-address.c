/* Where the broker listens and what it tells the name servers: a real
 * rmq-broker bound to one loopback address, with and without brokerIP1.
 * The address the name server hands out must be one a client can reach,
 * the start-up log names the sockets really bound (clients, VIP, HA) apart
 * from the advertised address, and warns when the two disagree. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "remoting/codes.h"

#define NOT_BOUND_WARNING "is not an address the broker listens on"

static BkDaemon *ns;
static RmqClient *client;

static int
setup(void **state)
{
    (void) state;
    ns = bk_namesrv_new();
    if (!bk_daemon_start_or_say(ns, 10000))
        return -1;
    client = rmq_client_new(NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    rmq_client_free(client);
    bk_daemon_free(ns);
    return 0;
}

/* A broker bound to @bind, with brokerIP1 = @ip1 unless NULL, started. */
static BkDaemon *
start_broker(const gchar *name, const gchar *bind, const gchar *ip1, const gchar *extra)
{
    BkDaemon *d = bk_broker_new(ns->addr, NULL);
    g_autofree gchar *ip1_line = ip1 != NULL ? g_strdup_printf("brokerIP1 = \"%s\";\n", ip1)
                                             : g_strdup("");
    g_autofree gchar *conf = g_strdup_printf(
        "listenPort = %u;\nbindAddress = \"%s\";\n%sbrokerName = \"%s\";\n"
        "brokerClusterName = \"AddrCluster\";\nnamesrvAddr = \"%s\";\n"
        "storePathRootDir = \"%s/store\";\nmappedFileSizeCommitLog = 8388608;\n"
        "mappedFileSizeConsumeQueue = 120000;\nmaxIndexNum = 40000;\nmaxHashSlotNum = 10000;\n%s",
        d->port, bind, ip1_line, name, ns->addr, d->dir, extra != NULL ? extra : "");
    g_assert(g_file_set_contents(d->conf_path, conf, -1, NULL));
    g_free(d->addr);
    d->addr = g_strdup_printf("%s:%u", bind, d->port);
    g_autoptr(GError) err = NULL;
    if (!bk_daemon_start(d, 15000, &err)) {
        g_printerr("# %s\n", err->message);
        bk_daemon_free(d);
        return NULL;
    }
    return d;
}

/* The address the name servers hand out for broker @name (id 0), polled
 * until it registered. (transfer full) */
static gchar *
registered_addr_at(const gchar *ns_addr, const gchar *name, int tries)
{
    for (int i = 0; i < tries; i++) {
        g_autoptr(RmqCommand) r =
            bk_invoke(client, ns_addr, RMQ_REQUEST_GET_BROKER_CLUSTER_INFO, NULL, NULL);
        g_autoptr(JsonNode) n = bk_body_json(r);
        JsonObject *o = n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
        JsonObject *table = o != NULL && json_object_has_member(o, "brokerAddrTable")
                                ? json_object_get_object_member(o, "brokerAddrTable")
                                : NULL;
        JsonObject *bd = table != NULL && json_object_has_member(table, name)
                             ? json_object_get_object_member(table, name)
                             : NULL;
        JsonObject *addrs = bd != NULL && json_object_has_member(bd, "brokerAddrs")
                                ? json_object_get_object_member(bd, "brokerAddrs")
                                : NULL;
        if (addrs != NULL && json_object_has_member(addrs, "0"))
            return g_strdup(json_object_get_string_member(addrs, "0"));
        g_usleep(50000);
    }
    return NULL;
}

static gchar *
registered_addr(const gchar *name)
{
    return registered_addr_at(ns->addr, name, 100);
}

/* A broker started before its name server registers within seconds of the
 * name server coming up, not only at its next period (10 s for the first,
 * registerNameServerPeriod after): it retries an unreachable name server
 * after 1, 2, 4 and 8 s. */
static void
test_registers_soon_after_late_name_server(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) late = bk_namesrv_new();
    BkDaemon *d = bk_broker_new(late->addr, NULL);
    g_autofree gchar *conf = g_strdup_printf(
        "listenPort = %u;\nbrokerName = \"addr-late\";\nbrokerClusterName = \"AddrCluster\";\n"
        "brokerIP1 = \"127.0.0.1\";\nnamesrvAddr = \"%s\";\nregisterNameServerPeriod = 60000;\n"
        "storePathRootDir = \"%s/store\";\nmappedFileSizeCommitLog = 8388608;\n"
        "mappedFileSizeConsumeQueue = 120000;\nmaxIndexNum = 40000;\nmaxHashSlotNum = 10000;\n",
        d->port, late->addr, d->dir);
    g_assert(g_file_set_contents(d->conf_path, conf, -1, NULL));
    g_autoptr(BkDaemon) br = d;
    g_autoptr(GError) err = NULL;
    if (!bk_daemon_start(br, 15000, &err))
        fail_msg("%s", err->message);
    g_usleep(1500 * 1000); /* a retry or two fail meanwhile */
    if (!bk_daemon_start(late, 10000, &err))
        fail_msg("%s", err->message);
    /* 6 s: past the longest retry gap (8 s) would mean no retry happened at
     * all within the first period, which starts at 10 s. */
    g_autofree gchar *addr = registered_addr_at(late->addr, "addr-late", 120);
    assert_non_null(addr);
    assert_string_equal(addr, br->addr);
}

/* bindAddress alone: the broker advertises the address it is bound to, and
 * a client sent there by the name server gets an answer. */
static void
test_bind_address_is_advertised(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) br = start_broker("addr-bind", "127.0.0.2", NULL, NULL);
    assert_non_null(br);
    g_autofree gchar *addr = registered_addr("addr-bind");
    assert_non_null(addr);
    assert_string_equal(addr, br->addr);
    g_autoptr(RmqCommand) info =
        bk_invoke(client, addr, RMQ_REQUEST_GET_BROKER_RUNTIME_INFO, NULL, NULL);
    assert_non_null(info);
    assert_int_equal(info->code, RMQ_RESPONSE_SUCCESS);

    g_autofree gchar *log = bk_daemon_log(br);
    g_autofree gchar *bound = g_strdup_printf(
        "listening on 127.0.0.2:%u (clients), 127.0.0.2:%u (VIP), 127.0.0.2:%u (HA)", br->port,
        br->port - 2, br->port + 1);
    g_autofree gchar *adv = g_strdup_printf("advertised to name servers as 127.0.0.2:%u", br->port);
    if (strstr(log, bound) == NULL || strstr(log, adv) == NULL)
        g_printerr("# log:\n%s\n", log);
    assert_non_null(strstr(log, bound));
    assert_non_null(strstr(log, adv));
    assert_null(strstr(log, NOT_BOUND_WARNING));
}

/* brokerIP1 wins over bindAddress; when it is not bound, say so at start. */
static void
test_unbound_broker_ip1_warns(void **state)
{
    (void) state;
    g_autoptr(BkDaemon) br = start_broker("addr-elsewhere", "127.0.0.2", "127.0.0.3", NULL);
    assert_non_null(br);
    g_autofree gchar *addr = registered_addr("addr-elsewhere");
    g_autofree gchar *want = g_strdup_printf("127.0.0.3:%u", br->port);
    assert_string_equal(addr, want);
    g_autofree gchar *log = bk_daemon_log(br);
    g_autofree gchar *warn = g_strdup_printf("brokerIP1 127.0.0.3 " NOT_BOUND_WARNING
                                             " (bindAddress 127.0.0.2)");
    if (strstr(log, warn) == NULL)
        g_printerr("# log:\n%s\n", log);
    assert_non_null(strstr(log, warn));
}

/* brokerIP1 equal to the bound address, and a haListenPort of its own: no
 * warning, and the HA line names the port really bound. */
static void
test_matching_broker_ip1_and_ha_port(void **state)
{
    (void) state;
    guint16 ha = bk_free_port();
    g_autofree gchar *extra = g_strdup_printf("haListenPort = %u;\n", ha);
    g_autoptr(BkDaemon) br = start_broker("addr-same", "127.0.0.1", "127.0.0.1", extra);
    assert_non_null(br);
    g_autofree gchar *addr = registered_addr("addr-same");
    assert_string_equal(addr, br->addr);
    g_autofree gchar *log = bk_daemon_log(br);
    g_autofree gchar *bound = g_strdup_printf("127.0.0.1:%u (HA)", ha);
    g_autofree gchar *adv = g_strdup_printf("(brokerIP1), HA 127.0.0.1:%u", ha);
    assert_non_null(strstr(log, bound));
    assert_non_null(strstr(log, adv));
    assert_null(strstr(log, NOT_BOUND_WARNING));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_address_is_advertised),
        cmocka_unit_test(test_unbound_broker_ip1_warns),
        cmocka_unit_test(test_matching_broker_ip1_and_ha_port),
        cmocka_unit_test(test_registers_soon_after_late_name_server),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
