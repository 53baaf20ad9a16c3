/* Route table as pure code: registration of master and slave, route
 * assembly, cluster info, topic lists, permission changes, expiry with a
 * fake clock, channel close, unregister, and the REGISTER_BROKER bodies. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <json-glib/json-glib.h>

#include "namesrv/route_table.h"
#include "namesrv/route-table-ref.h"

#define EXPIRE_MS 120000

/* Fake connections: only their addresses matter. */
static int chan_a0, chan_a1, chan_b0;

static RmqRegisterBody *
body_with(gint64 counter, const gchar *first, ...)
{
    RmqRegisterBody *body = rmq_register_body_new();
    body->data_version.counter = counter;
    body->data_version.timestamp = 1700000000000;
    va_list ap;
    va_start(ap, first);
    for (const gchar *name = first; name != NULL; name = va_arg(ap, const gchar *)) {
        RmqTopicConfig *tc = rmq_topic_config_new(name);
        tc->read_queue_nums = 4;
        tc->write_queue_nums = 4;
        rmq_register_body_add_topic(body, tc);
    }
    va_end(ap);
    return body;
}

static void
reg(RmqRouteTable *t, const gchar *cluster, const gchar *name, gint64 id, const gchar *addr,
    const gchar *ha, gpointer chan, const RmqRegisterBody *body, gint64 now,
    RmqRegisterResult *res)
{
    RmqBrokerIdentity bid = { cluster, name, addr, ha, id, chan };
    RmqRegisterResult local;
    rmq_route_table_register(t, &bid, body, now, res != NULL ? res : &local);
    if (res == NULL)
        rmq_register_result_clear(&local);
}

static JsonNode *
parse(GBytes *bytes)
{
    assert_non_null(bytes);
    g_autoptr(JsonParser) p = json_parser_new();
    gsize n;
    const gchar *data = g_bytes_get_data(bytes, &n);
    g_autoptr(GError) err = NULL;
    assert_true(json_parser_load_from_data(p, data, (gssize) n, &err));
    return json_node_copy(json_parser_get_root(p));
}

/* Route's brokerData for @name, or NULL. */
static JsonObject *
find_broker_data(JsonObject *route, const gchar *name)
{
    JsonArray *arr = json_object_get_array_member(route, "brokerDatas");
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *bd = json_array_get_object_element(arr, i);
        if (strcmp(json_object_get_string_member(bd, "brokerName"), name) == 0)
            return bd;
    }
    return NULL;
}

static JsonObject *
find_queue_data(JsonObject *route, const gchar *name)
{
    JsonArray *arr = json_object_get_array_member(route, "queueDatas");
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *qd = json_array_get_object_element(arr, i);
        if (strcmp(json_object_get_string_member(qd, "brokerName"), name) == 0)
            return qd;
    }
    return NULL;
}

static gboolean
topic_list_has(GBytes *bytes, const gchar *topic)
{
    g_autoptr(JsonNode) root = parse(bytes);
    JsonArray *arr = json_object_get_array_member(json_node_get_object(root), "topicList");
    for (guint i = 0; i < json_array_get_length(arr); i++)
        if (strcmp(json_array_get_string_element(arr, i), topic) == 0)
            return TRUE;
    return FALSE;
}

static guint
topic_list_len(GBytes *bytes)
{
    g_autoptr(JsonNode) root = parse(bytes);
    return json_array_get_length(
        json_object_get_array_member(json_node_get_object(root), "topicList"));
}

static void
test_master_and_slave(void **state)
{
    (void) state;
    g_autoptr(RmqRouteTable) t = rmq_route_table_new();
    g_autoptr(RmqRegisterBody) body = body_with(1, "TopicTest", "TBW102", NULL);

    RmqRegisterResult res;
    reg(t, "DefaultCluster", "broker-a", 0, "10.0.0.1:10911", "10.0.0.1:10912", &chan_a0, body,
        1000, &res);
    assert_null(res.master_addr);
    assert_null(res.ha_server_addr);
    assert_true(res.first_registration);
    rmq_register_result_clear(&res);

    /* Slave's body is ignored for topics but the reply names the master. */
    g_autoptr(RmqRegisterBody) slave_body = body_with(1, "OnlyOnSlave", NULL);
    reg(t, "DefaultCluster", "broker-a", 1, "10.0.0.2:10911", "10.0.0.2:10912", &chan_a1,
        slave_body, 1000, &res);
    assert_string_equal(res.master_addr, "10.0.0.1:10911");
    assert_string_equal(res.ha_server_addr, "10.0.0.1:10912");
    rmq_register_result_clear(&res);

    assert_int_equal(rmq_route_table_live_broker_count(t), 2);
    assert_int_equal(rmq_route_table_topic_count(t), 2);
    assert_null(rmq_route_table_get_route(t, "OnlyOnSlave", NULL));

    g_autoptr(GBytes) route = rmq_route_table_get_route(t, "TopicTest", NULL);
    g_autoptr(JsonNode) root = parse(route);
    JsonObject *r = json_node_get_object(root);
    JsonObject *bd = find_broker_data(r, "broker-a");
    assert_non_null(bd);
    assert_string_equal(json_object_get_string_member(bd, "cluster"), "DefaultCluster");
    JsonObject *addrs = json_object_get_object_member(bd, "brokerAddrs");
    assert_string_equal(json_object_get_string_member(addrs, "0"), "10.0.0.1:10911");
    assert_string_equal(json_object_get_string_member(addrs, "1"), "10.0.0.2:10911");
    JsonObject *qd = find_queue_data(r, "broker-a");
    assert_non_null(qd);
    assert_int_equal(json_object_get_int_member(qd, "readQueueNums"), 4);
    assert_int_equal(json_object_get_int_member(qd, "writeQueueNums"), 4);
    assert_int_equal(json_object_get_int_member(qd, "perm"), 6);
    assert_int_equal(json_object_get_int_member(qd, "topicSysFlag"), 0);
    assert_true(json_object_has_member(r, "filterServerTable"));
    assert_false(json_object_has_member(r, "orderTopicConf"));

    /* Standard JSON: numeric keys quoted. */
    gsize n;
    const gchar *text = g_bytes_get_data(route, &n);
    g_autofree gchar *copy = g_strndup(text, n);
    assert_non_null(strstr(copy, "\"0\":\"10.0.0.1:10911\""));

    assert_null(rmq_route_table_get_route(t, "NoSuchTopic", NULL));

    /* orderTopicConf when the caller supplies it. */
    g_autoptr(GBytes) ordered = rmq_route_table_get_route(t, "TopicTest", "broker-a:4");
    g_autoptr(JsonNode) oroot = parse(ordered);
    assert_string_equal(json_object_get_string_member(json_node_get_object(oroot),
                                                      "orderTopicConf"),
                        "broker-a:4");
}

static void
test_slave_without_live_master(void **state)
{
    (void) state;
    g_autoptr(RmqRouteTable) t = rmq_route_table_new();
    RmqRegisterResult res;
    reg(t, "C", "broker-a", 1, "10.0.0.2:10911", "10.0.0.2:10912", &chan_a1, NULL, 0, &res);
    assert_null(res.master_addr);
    assert_null(res.ha_server_addr);
    rmq_register_result_clear(&res);
}

static void
test_data_version_rule(void **state)
{
    (void) state;
    g_autoptr(RmqRouteTable) t = rmq_route_table_new();
    g_autoptr(RmqRegisterBody) v1 = body_with(1, "T1", NULL);
    reg(t, "C", "broker-a", 0, "10.0.0.1:10911", NULL, &chan_a0, v1, 0, NULL);

    /* Same DataVersion, different content: the NS keeps what it has. */
    g_autoptr(RmqRegisterBody) same = body_with(1, "T2", NULL);
    reg(t, "C", "broker-a", 0, "10.0.0.1:10911", NULL, &chan_a0, same, 10, NULL);
    assert_null(rmq_route_table_get_route(t, "T2", NULL));

    /* New DataVersion: T2 added, T1 kept (absent topics are not removed). */
    g_autoptr(RmqRegisterBody) v2 = body_with(2, "T2", NULL);
    RmqTopicConfig *tc = g_ptr_array_index(v2->topics, 0);
    tc->write_queue_nums = 2;
    reg(t, "C", "broker-a", 0, "10.0.0.1:10911", NULL, &chan_a0, v2, 20, NULL);
    g_autoptr(GBytes) r2 = rmq_route_table_get_route(t, "T2", NULL);
    g_autoptr(GBytes) r1 = rmq_route_table_get_route(t, "T1", NULL);
    assert_non_null(r1);
    g_autoptr(JsonNode) root = parse(r2);
    JsonObject *qd = find_queue_data(json_node_get_object(root), "broker-a");
    assert_int_equal(json_object_get_int_member(qd, "writeQueueNums"), 2);

    /* QUERY_DATA_VERSION: unchanged refreshes liveness; changed does not. */
    RmqDataVersion dv = v2->data_version, stored;
    gboolean has;
    assert_false(rmq_route_table_query_data_version(t, "10.0.0.1:10911", &dv, 100000, &stored,
                                                    &has));
    assert_true(has);
    assert_true(rmq_data_version_equal(&stored, &dv));
    RmqDataVersion other = { 99, 1 };
    assert_true(rmq_route_table_query_data_version(t, "10.0.0.1:10911", &other, 500000, NULL,
                                                   NULL));
    assert_true(rmq_route_table_query_data_version(t, "10.9.9.9:10911", &dv, 0, NULL, &has));
    assert_false(has);
    /* Last seen at 100000: alive at 100000 + EXPIRE_MS, gone just after. */
    g_autoptr(GPtrArray) none = rmq_route_table_scan_expired(t, 100000 + EXPIRE_MS, EXPIRE_MS);
    assert_int_equal(none->len, 0);
    g_autoptr(GPtrArray) gone = rmq_route_table_scan_expired(t, 100001 + EXPIRE_MS, EXPIRE_MS);
    assert_int_equal(gone->len, 1);
}

static void
test_cluster_info(void **state)
{
    (void) state;
    g_autoptr(RmqRouteTable) t = rmq_route_table_new();
    g_autoptr(RmqRegisterBody) body = body_with(1, "T", NULL);
    reg(t, "C1", "broker-a", 0, "10.0.0.1:10911", NULL, &chan_a0, body, 0, NULL);
    reg(t, "C1", "broker-a", 1, "10.0.0.2:10911", NULL, &chan_a1, body, 0, NULL);
    reg(t, "C2", "broker-b", 0, "10.0.0.3:10911", NULL, &chan_b0, body, 0, NULL);

    g_autoptr(GBytes) info = rmq_route_table_get_cluster_info(t);
    g_autoptr(JsonNode) root = parse(info);
    JsonObject *o = json_node_get_object(root);
    JsonObject *bat = json_object_get_object_member(o, "brokerAddrTable");
    assert_int_equal(json_object_get_size(bat), 2);
    JsonObject *a = json_object_get_object_member(bat, "broker-a");
    assert_string_equal(json_object_get_string_member(a, "cluster"), "C1");
    assert_int_equal(json_object_get_size(json_object_get_object_member(a, "brokerAddrs")), 2);
    JsonObject *cat = json_object_get_object_member(o, "clusterAddrTable");
    JsonArray *c1 = json_object_get_array_member(cat, "C1");
    assert_int_equal(json_array_get_length(c1), 1);
    assert_string_equal(json_array_get_string_element(c1, 0), "broker-a");
    assert_string_equal(
        json_array_get_string_element(json_object_get_array_member(cat, "C2"), 0), "broker-b");

    /* Both brokers serve T: one route with two queue datas. */
    g_autoptr(GBytes) route = rmq_route_table_get_route(t, "T", NULL);
    g_autoptr(JsonNode) rr = parse(route);
    assert_int_equal(
        json_array_get_length(json_object_get_array_member(json_node_get_object(rr), "queueDatas")),
        2);
}

static void
test_topic_lists(void **state)
{
    (void) state;
    g_autoptr(RmqRouteTable) t = rmq_route_table_new();
    g_autoptr(RmqRegisterBody) ba = body_with(1, "Shared", "OnlyA", NULL);
    g_autoptr(RmqRegisterBody) bb = body_with(1, "Shared", "UnitT", "UnitSubT", "BothT", NULL);
    ((RmqTopicConfig *) g_ptr_array_index(bb->topics, 1))->topic_sys_flag = 1;
    ((RmqTopicConfig *) g_ptr_array_index(bb->topics, 2))->topic_sys_flag = 2;
    ((RmqTopicConfig *) g_ptr_array_index(bb->topics, 3))->topic_sys_flag = 3;
    reg(t, "C1", "broker-a", 0, "10.0.0.1:10911", NULL, &chan_a0, ba, 0, NULL);
    reg(t, "C2", "broker-b", 0, "10.0.0.3:10911", NULL, &chan_b0, bb, 0, NULL);

    g_autoptr(GBytes) all = rmq_route_table_get_all_topics(t);
    assert_int_equal(topic_list_len(all), 5);
    assert_true(topic_list_has(all, "OnlyA"));

    g_autoptr(GBytes) c1 = rmq_route_table_get_topics_by_cluster(t, "C1");
    assert_int_equal(topic_list_len(c1), 2);
    assert_true(topic_list_has(c1, "Shared"));
    assert_true(topic_list_has(c1, "OnlyA"));
    g_autoptr(GBytes) cx = rmq_route_table_get_topics_by_cluster(t, "NoCluster");
    assert_int_equal(topic_list_len(cx), 0);

    g_autoptr(GBytes) sys = rmq_route_table_get_system_topics(t);
    assert_int_equal(topic_list_len(sys), 4);
    assert_true(topic_list_has(sys, "C1"));
    assert_true(topic_list_has(sys, "broker-b"));
    g_autoptr(JsonNode) sroot = parse(sys);
    assert_string_equal(json_object_get_string_member(json_node_get_object(sroot), "brokerAddr"),
                        "10.0.0.1:10911");

    g_autoptr(GBytes) unit = rmq_route_table_get_unit_topics(t, RMQ_ROUTE_UNIT_TOPICS);
    assert_int_equal(topic_list_len(unit), 2);
    assert_true(topic_list_has(unit, "UnitT"));
    assert_true(topic_list_has(unit, "BothT"));
    g_autoptr(GBytes) sub = rmq_route_table_get_unit_topics(t, RMQ_ROUTE_HAS_UNIT_SUB_TOPICS);
    assert_int_equal(topic_list_len(sub), 2);
    assert_true(topic_list_has(sub, "UnitSubT"));
    g_autoptr(GBytes) subnon =
        rmq_route_table_get_unit_topics(t, RMQ_ROUTE_HAS_UNIT_SUB_UNUNIT_TOPICS);
    assert_int_equal(topic_list_len(subnon), 1);
    assert_true(topic_list_has(subnon, "UnitSubT"));
}

static void
test_delete_topic(void **state)
{
    (void) state;
    g_autoptr(RmqRouteTable) t = rmq_route_table_new();
    g_autoptr(RmqRegisterBody) body = body_with(1, "Shared", "Other", NULL);
    reg(t, "C1", "broker-a", 0, "10.0.0.1:10911", NULL, &chan_a0, body, 0, NULL);
    reg(t, "C2", "broker-b", 0, "10.0.0.3:10911", NULL, &chan_b0, body, 0, NULL);

    /* The route is cached: deleting must still be visible. */
    g_autoptr(GBytes) before = rmq_route_table_get_route(t, "Shared", NULL);
    assert_non_null(before);

    assert_true(rmq_route_table_delete_topic(t, "Shared", "C1"));
    g_autoptr(GBytes) after = rmq_route_table_get_route(t, "Shared", NULL);
    g_autoptr(JsonNode) root = parse(after);
    assert_null(find_queue_data(json_node_get_object(root), "broker-a"));
    assert_non_null(find_queue_data(json_node_get_object(root), "broker-b"));

    assert_true(rmq_route_table_delete_topic(t, "Shared", "C2"));
    assert_null(rmq_route_table_get_route(t, "Shared", NULL));

    assert_true(rmq_route_table_delete_topic(t, "Other", NULL));
    assert_null(rmq_route_table_get_route(t, "Other", NULL));
    assert_false(rmq_route_table_delete_topic(t, "Other", NULL));
    assert_int_equal(rmq_route_table_topic_count(t), 0);
}

static gint64
route_perm(RmqRouteTable *t, const gchar *topic, const gchar *broker)
{
    g_autoptr(GBytes) route = rmq_route_table_get_route(t, topic, NULL);
    g_autoptr(JsonNode) root = parse(route);
    JsonObject *qd = find_queue_data(json_node_get_object(root), broker);
    assert_non_null(qd);
    return json_object_get_int_member(qd, "perm");
}

static void
test_write_perm(void **state)
{
    (void) state;
    g_autoptr(RmqRouteTable) t = rmq_route_table_new();
    g_autoptr(RmqRegisterBody) body = body_with(1, "T1", "T2", "TBW102", NULL);
    ((RmqTopicConfig *) g_ptr_array_index(body->topics, 2))->perm = 7;
    reg(t, "C", "broker-a", 0, "10.0.0.1:10911", NULL, &chan_a0, body, 0, NULL);
    reg(t, "C", "broker-b", 0, "10.0.0.3:10911", NULL, &chan_b0, body, 0, NULL);
    assert_int_equal(route_perm(t, "T1", "broker-a"), 6);

    assert_int_equal(rmq_route_table_wipe_write_perm(t, "broker-a"), 3);
    assert_int_equal(route_perm(t, "T1", "broker-a"), RMQ_PERM_READ);
    assert_int_equal(route_perm(t, "TBW102", "broker-a"), RMQ_PERM_READ | RMQ_PERM_INHERIT);
    assert_int_equal(route_perm(t, "T1", "broker-b"), 6);
    assert_int_equal(rmq_route_table_wipe_write_perm(t, "no-such-broker"), 0);

    assert_int_equal(rmq_route_table_add_write_perm(t, "broker-a"), 3);
    assert_int_equal(route_perm(t, "T2", "broker-a"), 6);
    assert_int_equal(route_perm(t, "TBW102", "broker-a"), 6);
}

static void
test_expiry_fake_clock(void **state)
{
    (void) state;
    g_autoptr(RmqRouteTable) t = rmq_route_table_new();
    g_autoptr(RmqRegisterBody) body = body_with(1, "T", NULL);
    reg(t, "C", "broker-a", 0, "10.0.0.1:10911", NULL, &chan_a0, body, 0, NULL);
    reg(t, "C", "broker-a", 1, "10.0.0.2:10911", NULL, &chan_a1, body, 0, NULL);
    reg(t, "C", "broker-b", 0, "10.0.0.3:10911", NULL, &chan_b0, body, 0, NULL);

    /* broker-b and the slave keep registering; the master of a goes quiet. */
    reg(t, "C", "broker-b", 0, "10.0.0.3:10911", NULL, &chan_b0, body, 100000, NULL);
    reg(t, "C", "broker-a", 1, "10.0.0.2:10911", NULL, &chan_a1, body, 100000, NULL);

    g_autoptr(GPtrArray) early = rmq_route_table_scan_expired(t, EXPIRE_MS, EXPIRE_MS);
    assert_int_equal(early->len, 0);

    g_autoptr(GPtrArray) first = rmq_route_table_scan_expired(t, EXPIRE_MS + 1, EXPIRE_MS);
    assert_int_equal(first->len, 1);
    RmqBrokerRemoval *r = g_ptr_array_index(first, 0);
    assert_string_equal(r->broker_addr, "10.0.0.1:10911");
    assert_string_equal(r->broker_name, "broker-a");
    assert_string_equal(r->cluster_name, "C");
    assert_int_equal(r->broker_id, 0);
    assert_ptr_equal(r->channel, &chan_a0);
    assert_false(r->broker_name_removed);
    assert_false(rmq_route_table_is_live(t, "10.0.0.1:10911"));

    /* Master gone, slave stays in the route, queues stay. */
    g_autoptr(GBytes) route = rmq_route_table_get_route(t, "T", NULL);
    g_autoptr(JsonNode) root = parse(route);
    JsonObject *bd = find_broker_data(json_node_get_object(root), "broker-a");
    assert_non_null(bd);
    JsonObject *addrs = json_object_get_object_member(bd, "brokerAddrs");
    assert_false(json_object_has_member(addrs, "0"));
    assert_string_equal(json_object_get_string_member(addrs, "1"), "10.0.0.2:10911");
    assert_non_null(find_queue_data(json_node_get_object(root), "broker-a"));

    /* Now the slave expires too: broker-a vanishes from routes and clusters. */
    g_autoptr(GPtrArray) second = rmq_route_table_scan_expired(t, 100000 + EXPIRE_MS + 1,
                                                               EXPIRE_MS);
    assert_int_equal(second->len, 2);
    g_autoptr(GBytes) route2 = rmq_route_table_get_route(t, "T", NULL);
    assert_null(route2); /* broker-b expired in the same scan */
    assert_int_equal(rmq_route_table_live_broker_count(t), 0);
    assert_int_equal(rmq_route_table_topic_count(t), 0);
    g_autoptr(GBytes) info = rmq_route_table_get_cluster_info(t);
    g_autoptr(JsonNode) iroot = parse(info);
    assert_int_equal(json_object_get_size(json_object_get_object_member(
                         json_node_get_object(iroot), "clusterAddrTable")),
                     0);
}

static void
test_channel_closed(void **state)
{
    (void) state;
    g_autoptr(RmqRouteTable) t = rmq_route_table_new();
    g_autoptr(RmqRegisterBody) body = body_with(1, "T", "OnlyB", NULL);
    reg(t, "C", "broker-a", 0, "10.0.0.1:10911", NULL, &chan_a0, body, 0, NULL);
    reg(t, "C", "broker-b", 0, "10.0.0.3:10911", NULL, &chan_b0, body, 0, NULL);

    g_autoptr(GPtrArray) unknown = rmq_route_table_channel_closed(t, &chan_a1);
    assert_int_equal(unknown->len, 0);

    g_autoptr(GPtrArray) gone = rmq_route_table_channel_closed(t, &chan_b0);
    assert_int_equal(gone->len, 1);
    RmqBrokerRemoval *r = g_ptr_array_index(gone, 0);
    assert_string_equal(r->broker_name, "broker-b");
    assert_true(r->broker_name_removed);

    g_autoptr(GBytes) route = rmq_route_table_get_route(t, "T", NULL);
    g_autoptr(JsonNode) root = parse(route);
    assert_null(find_broker_data(json_node_get_object(root), "broker-b"));
    assert_null(find_queue_data(json_node_get_object(root), "broker-b"));
    /* OnlyB came from both brokers' bodies; broker-a still serves it. */
    g_autoptr(GBytes) onlyb = rmq_route_table_get_route(t, "OnlyB", NULL);
    assert_non_null(onlyb);

    /* A broker that re-registered on a new connection is not dropped by the old one. */
    reg(t, "C", "broker-a", 0, "10.0.0.1:10911", NULL, &chan_a1, body, 10, NULL);
    g_autoptr(GPtrArray) old = rmq_route_table_channel_closed(t, &chan_a0);
    assert_int_equal(old->len, 0);
    assert_true(rmq_route_table_is_live(t, "10.0.0.1:10911"));
}

static void
test_unregister(void **state)
{
    (void) state;
    g_autoptr(RmqRouteTable) t = rmq_route_table_new();
    g_autoptr(RmqRegisterBody) body = body_with(1, "T", NULL);
    reg(t, "C", "broker-a", 0, "10.0.0.1:10911", NULL, &chan_a0, body, 0, NULL);
    reg(t, "C", "broker-a", 1, "10.0.0.2:10911", NULL, &chan_a1, body, 0, NULL);

    RmqBrokerIdentity slave = { "C", "broker-a", "10.0.0.2:10911", NULL, 1, NULL };
    g_autoptr(RmqBrokerRemoval) r1 = rmq_route_table_unregister(t, &slave);
    assert_non_null(r1);
    assert_false(r1->broker_name_removed);
    assert_false(rmq_route_table_is_live(t, "10.0.0.2:10911"));
    g_autoptr(GBytes) route = rmq_route_table_get_route(t, "T", NULL);
    g_autoptr(JsonNode) root = parse(route);
    JsonObject *bd = find_broker_data(json_node_get_object(root), "broker-a");
    assert_false(json_object_has_member(json_object_get_object_member(bd, "brokerAddrs"), "1"));

    RmqBrokerIdentity master = { "C", "broker-a", "10.0.0.1:10911", NULL, 0, NULL };
    g_autoptr(RmqBrokerRemoval) r0 = rmq_route_table_unregister(t, &master);
    assert_non_null(r0);
    assert_true(r0->broker_name_removed);
    assert_null(rmq_route_table_get_route(t, "T", NULL));
    assert_int_equal(rmq_route_table_topic_count(t), 0);

    g_autoptr(RmqBrokerRemoval) again = rmq_route_table_unregister(t, &master);
    assert_null(again);
}

static void
test_role_switch(void **state)
{
    (void) state;
    g_autoptr(RmqRouteTable) t = rmq_route_table_new();
    g_autoptr(RmqRegisterBody) body = body_with(1, "T", NULL);
    reg(t, "C", "broker-a", 1, "10.0.0.2:10911", NULL, &chan_a1, body, 0, NULL);
    /* The slave is promoted: same address now registers as id 0. */
    reg(t, "C", "broker-a", 0, "10.0.0.2:10911", NULL, &chan_a1, body, 5, NULL);
    g_autoptr(GBytes) route = rmq_route_table_get_route(t, "T", NULL);
    g_autoptr(JsonNode) root = parse(route);
    JsonObject *addrs = json_object_get_object_member(
        find_broker_data(json_node_get_object(root), "broker-a"), "brokerAddrs");
    assert_int_equal(json_object_get_size(addrs), 1);
    assert_string_equal(json_object_get_string_member(addrs, "0"), "10.0.0.2:10911");
}

static void
assert_bodies_equal(const RmqRegisterBody *a, const RmqRegisterBody *b, gboolean full)
{
    assert_true(rmq_data_version_equal(&a->data_version, &b->data_version));
    assert_int_equal(a->topics->len, b->topics->len);
    for (guint i = 0; i < a->topics->len; i++) {
        const RmqTopicConfig *x = g_ptr_array_index(a->topics, i);
        const RmqTopicConfig *y = NULL;
        for (guint j = 0; j < b->topics->len; j++)
            if (strcmp(((RmqTopicConfig *) g_ptr_array_index(b->topics, j))->topic_name,
                       x->topic_name) == 0)
                y = g_ptr_array_index(b->topics, j);
        assert_non_null(y);
        assert_int_equal(x->read_queue_nums, y->read_queue_nums);
        assert_int_equal(x->write_queue_nums, y->write_queue_nums);
        assert_int_equal(x->perm, y->perm);
        assert_int_equal(x->filter_type, y->filter_type);
        if (full) {
            assert_int_equal(x->topic_sys_flag, y->topic_sys_flag);
            assert_int_equal(x->order, y->order);
        }
    }
    assert_int_equal(a->filter_servers->len, b->filter_servers->len);
}

static void
test_register_body_json(void **state)
{
    (void) state;
    /* What a 4.9.7 broker sends (fastjson, members sorted). */
    const gchar *java =
        "{\"filterServerList\":[],\"topicConfigSerializeWrapper\":{\"dataVersion\":"
        "{\"counter\":3,\"timestamp\":1700000000123},\"topicConfigTable\":{\"TBW102\":"
        "{\"order\":false,\"perm\":7,\"readQueueNums\":8,\"topicFilterType\":\"SINGLE_TAG\","
        "\"topicName\":\"TBW102\",\"topicSysFlag\":0,\"writeQueueNums\":8},\"TopicTest\":"
        "{\"order\":true,\"perm\":6,\"readQueueNums\":4,\"topicFilterType\":\"MULTI_TAG\","
        "\"topicName\":\"TopicTest\",\"topicSysFlag\":1,\"writeQueueNums\":2}}}}";
    g_autoptr(GError) err = NULL;
    g_autoptr(RmqRegisterBody) b =
        rmq_register_body_parse((const guint8 *) java, strlen(java), FALSE, &err);
    assert_non_null(b);
    assert_int_equal(b->data_version.counter, 3);
    assert_int_equal(b->data_version.timestamp, 1700000000123);
    assert_int_equal(b->topics->len, 2);

    g_autoptr(GBytes) enc = rmq_register_body_encode_json(b);
    gsize n;
    const guint8 *d = g_bytes_get_data(enc, &n);
    g_autoptr(RmqRegisterBody) back = rmq_register_body_parse_json(d, n, &err);
    assert_non_null(back);
    assert_bodies_equal(b, back, TRUE);

    /* One topic, so member order is fixed: the encoder writes a 4.9.7
     * broker's bytes exactly (the same TopicConfig JSON as the broker's). */
    const gchar *one =
        "{\"filterServerList\":[\"10.0.0.9:40001\"],\"topicConfigSerializeWrapper\":"
        "{\"dataVersion\":{\"counter\":3,\"timestamp\":1700000000123},\"topicConfigTable\":"
        "{\"TopicTest\":{\"order\":true,\"perm\":6,\"readQueueNums\":4,\"topicFilterType\":"
        "\"MULTI_TAG\",\"topicName\":\"TopicTest\",\"topicSysFlag\":1,\"writeQueueNums\":2}}}}";
    g_autoptr(RmqRegisterBody) ob =
        rmq_register_body_parse((const guint8 *) one, strlen(one), FALSE, &err);
    assert_non_null(ob);
    g_autoptr(GBytes) oenc = rmq_register_body_encode_json(ob);
    gsize on;
    const gchar *od = g_bytes_get_data(oenc, &on);
    assert_int_equal(on, strlen(one));
    assert_memory_equal(od, one, on);

    /* An unknown filter type does not stop a registration (as in Java). */
    const gchar *odd = "{\"topicConfigSerializeWrapper\":{\"topicConfigTable\":"
                       "{\"X\":{\"topicFilterType\":\"BOGUS\",\"perm\":2}}}}";
    g_autoptr(RmqRegisterBody) xb =
        rmq_register_body_parse_json((const guint8 *) odd, strlen(odd), &err);
    assert_non_null(xb);
    assert_int_equal(xb->topics->len, 1);
    const RmqTopicConfig *xt = g_ptr_array_index(xb->topics, 0);
    assert_string_equal(xt->topic_name, "X");
    assert_int_equal(xt->perm, 2);
    assert_int_equal(xt->filter_type, RMQ_TOPIC_FILTER_SINGLE_TAG);

    const gchar *bad = "{\"topicConfigSerializeWrapper\":{\"topicConfigTable\":[1]}}";
    g_autoptr(RmqRegisterBody) nb =
        rmq_register_body_parse_json((const guint8 *) bad, strlen(bad), &err);
    assert_null(nb);
    assert_true(g_error_matches(err, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_JSON));
    g_clear_error(&err);
    g_autoptr(RmqRegisterBody) junk = rmq_register_body_parse_json((const guint8 *) "{x", 2, &err);
    assert_null(junk);
}

static void
test_register_body_compressed(void **state)
{
    (void) state;
    g_autoptr(RmqRegisterBody) b = body_with(7, "A", "B", "C", NULL);
    ((RmqTopicConfig *) g_ptr_array_index(b->topics, 1))->perm = 2;
    g_ptr_array_add(b->filter_servers, g_strdup("10.0.0.9:40001"));
    g_autoptr(GBytes) enc = rmq_register_body_encode_compressed(b);
    gsize n;
    const guint8 *d = g_bytes_get_data(enc, &n);
    assert_int_equal(d[0], 0x78); /* zlib header */
    g_autoptr(GError) err = NULL;
    g_autoptr(RmqRegisterBody) back = rmq_register_body_parse(d, n, TRUE, &err);
    assert_non_null(back);
    assert_bodies_equal(b, back, FALSE);
    assert_string_equal(g_ptr_array_index(back->filter_servers, 0), "10.0.0.9:40001");

    /* Truncated stream is an error, not a partial body. */
    g_autoptr(RmqRegisterBody) cut = rmq_register_body_parse(d, n / 2, TRUE, &err);
    assert_null(cut);
    assert_true(
        g_error_matches(err, RMQ_REGISTER_BODY_ERROR, RMQ_REGISTER_BODY_ERROR_COMPRESSED));
}

static void
test_crc32(void **state)
{
    (void) state;
    /* Vector 05's body CRC from the protocol reference: crc32("Hello RocketMQ") & 0x7fffffff. */
    const gchar *body = "Hello RocketMQ";
    assert_int_equal(rmq_register_body_crc32((const guint8 *) body, strlen(body)), 1774740973);
}

/* A body from the wire nested far deeper than any real one is refused, not
 * followed until the parser's recursion overflows the stack. */
static void
test_register_body_deep_nesting(void **state)
{
    gsize depth = 200000;
    g_autofree gchar *deep = g_malloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    g_autoptr(GError) err = NULL;
    g_autoptr(RmqRegisterBody) body =
        rmq_register_body_parse((const guint8 *) deep, 2 * depth, FALSE, &err);
    assert_null(body);
    assert_non_null(err);
}


/* ---- structure: per-broker operations visit only that broker's entries ---- */

/* @n masters, each on its own fake channel with 10 topics of its own plus
 * two shared ones, and a slave for every tenth. */
static RmqRouteTable *
scaled_table(guint n, gint *chans)
{
    RmqRouteTable *t = rmq_route_table_new();
    for (guint b = 0; b < n; b++) {
        g_autoptr(RmqRegisterBody) body = rmq_register_body_new();
        body->data_version.counter = 1;
        for (guint i = 0; i < 10; i++) {
            g_autofree gchar *topic = g_strdup_printf("T-%u-%u", b, i);
            rmq_register_body_add_topic(body, rmq_topic_config_new(topic));
        }
        rmq_register_body_add_topic(body, rmq_topic_config_new("Shared"));
        rmq_register_body_add_topic(body, rmq_topic_config_new("TBW102"));
        g_autofree gchar *name = g_strdup_printf("broker-%u", b);
        g_autofree gchar *addr = g_strdup_printf("10.0.%u.%u:10911", b / 250, b % 250);
        reg(t, b % 2 ? "C1" : "C2", name, 0, addr, NULL, &chans[b], body, 0, NULL);
        if (b % 10 == 0) {
            g_autofree gchar *saddr = g_strdup_printf("10.1.%u.%u:10911", b / 250, b % 250);
            reg(t, b % 2 ? "C1" : "C2", name, 1, saddr, NULL, &chans[n + b], NULL, 0, NULL);
        }
    }
    /* Fill the route cache, as clients do. */
    for (guint b = 0; b < n; b++) {
        g_autofree gchar *topic = g_strdup_printf("T-%u-0", b);
        g_autoptr(GBytes) route = rmq_route_table_get_route(t, topic, NULL);
        assert_non_null(route);
    }
    return t;
}

typedef struct {
    guint64 close, reg, unreg, route, perm;
} Visits;

static void
measure_visits(guint n, Visits *v)
{
    gint *chans = g_new0(gint, 2 * n);
    g_autoptr(RmqRouteTable) t = scaled_table(n, chans);
    guint topics = rmq_route_table_topic_count(t);
    assert_int_equal(topics, n * 10 + 2);

    /* broker-3's channel closes: its address, BrokerData, cluster and 12 topics go. */
    guint64 w = rmq_route_table_work(t);
    g_autoptr(GPtrArray) gone = rmq_route_table_channel_closed(t, &chans[3]);
    v->close = rmq_route_table_work(t) - w;
    assert_int_equal(gone->len, 1);
    assert_true(((RmqBrokerRemoval *) g_ptr_array_index(gone, 0))->broker_name_removed);
    assert_int_equal(rmq_route_table_topic_count(t), topics - 10);
    g_autoptr(GBytes) shared = rmq_route_table_get_route(t, "Shared", NULL);
    g_autoptr(JsonNode) root = parse(shared);
    assert_null(find_queue_data(json_node_get_object(root), "broker-3"));
    assert_non_null(find_queue_data(json_node_get_object(root), "broker-4"));

    /* A new broker registers. */
    g_autoptr(RmqRegisterBody) body = body_with(1, "New-0", "New-1", "Shared", NULL);
    w = rmq_route_table_work(t);
    reg(t, "C1", "broker-new", 0, "10.9.9.9:10911", NULL, &chans[3], body, 0, NULL);
    v->reg = rmq_route_table_work(t) - w;

    /* A slave unregisters; its master's topics stay. */
    RmqBrokerIdentity id = { "C2", "broker-0", "10.1.0.0:10911", NULL, 1, NULL };
    w = rmq_route_table_work(t);
    g_autoptr(RmqBrokerRemoval) r = rmq_route_table_unregister(t, &id);
    v->unreg = rmq_route_table_work(t) - w;
    assert_non_null(r);
    assert_false(r->broker_name_removed);

    /* A route built from scratch. */
    w = rmq_route_table_work(t);
    g_autoptr(GBytes) route = rmq_route_table_get_route(t, "T-5-5", NULL);
    v->route = rmq_route_table_work(t) - w;
    assert_non_null(route);

    w = rmq_route_table_work(t);
    assert_int_equal(rmq_route_table_wipe_write_perm(t, "broker-7"), 12);
    v->perm = rmq_route_table_work(t) - w;
    g_free(chans);
}

static void
test_per_broker_work_is_flat(void **state)
{
    (void) state;
    Visits small, large;
    measure_visits(20, &small);
    measure_visits(2000, &large);
    /* Same entries visited whatever the table size: a close visits the
     * broker's address and topics, not the other brokers' (the old table
     * walked every topic and every broker here). */
    assert_int_equal(small.close, large.close);
    assert_int_equal(small.reg, large.reg);
    assert_int_equal(small.unreg, large.unreg);
    assert_int_equal(small.route, large.route);
    assert_int_equal(small.perm, large.perm);
    assert_true(large.close < 64);
}

/* ---- the indexed table answers exactly as the old one on a mixed table ---- */

#define REF_NAMES 8
#define REF_ADDRS 12
#define REF_TOPICS 16
#define REF_CHANS 5

static gint ref_chans[REF_CHANS];

static void
assert_bytes_same(GBytes *a, GBytes *b, const gchar *what, guint step)
{
    if (a == NULL || b == NULL) {
        if (a != b)
            fail_msg("step %u: %s: one side is NULL", step, what);
        return;
    }
    if (!g_bytes_equal(a, b))
        fail_msg("step %u: %s differs:\n%.*s\n%.*s", step, what, (int) g_bytes_get_size(a),
                 (const char *) g_bytes_get_data(a, NULL), (int) g_bytes_get_size(b),
                 (const char *) g_bytes_get_data(b, NULL));
}

static gint
removal_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp((*(RmqBrokerRemoval *const *) a)->broker_addr,
                  (*(RmqBrokerRemoval *const *) b)->broker_addr);
}

static gint
cmp_str_ptr(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const gchar *const *) a, *(const gchar *const *) b);
}

static guint names_removed; /* how often a broker name left the tables */

static void
assert_removals_same(GPtrArray *a, GPtrArray *b, guint step)
{
    assert_int_equal(a->len, b->len);
    for (guint i = 0; i < a->len; i++)
        names_removed += ((RmqBrokerRemoval *) g_ptr_array_index(a, i))->broker_name_removed;
    g_ptr_array_sort(a, removal_cmp);
    g_ptr_array_sort(b, removal_cmp);
    for (guint i = 0; i < a->len; i++) {
        RmqBrokerRemoval *x = g_ptr_array_index(a, i), *y = g_ptr_array_index(b, i);
        if (g_strcmp0(x->broker_addr, y->broker_addr) != 0 ||
            g_strcmp0(x->broker_name, y->broker_name) != 0 ||
            g_strcmp0(x->cluster_name, y->cluster_name) != 0 || x->broker_id != y->broker_id ||
            x->channel != y->channel)
            fail_msg("step %u: removal of %s differs: %s/%s/%s id %" G_GINT64_FORMAT " %p %d vs "
                     "%s/%s/%s id %" G_GINT64_FORMAT " %p %d",
                     step, x->broker_addr, x->broker_addr, x->broker_name, x->cluster_name,
                     x->broker_id, x->channel, x->broker_name_removed, y->broker_addr,
                     y->broker_name, y->cluster_name, y->broker_id, y->channel,
                     y->broker_name_removed);
    }
    /* Two addresses of one broker closing together: which of them carries
     * "its last address" depends on the order (hash order in both tables);
     * the broker names that left must be the same. */
    g_autoptr(GPtrArray) na = g_ptr_array_new(), nb = g_ptr_array_new();
    for (guint i = 0; i < a->len; i++) {
        RmqBrokerRemoval *x = g_ptr_array_index(a, i), *y = g_ptr_array_index(b, i);
        if (x->broker_name_removed)
            g_ptr_array_add(na, x->broker_name);
        if (y->broker_name_removed)
            g_ptr_array_add(nb, y->broker_name);
    }
    assert_int_equal(na->len, nb->len);
    g_ptr_array_sort(na, cmp_str_ptr);
    g_ptr_array_sort(nb, cmp_str_ptr);
    for (guint i = 0; i < na->len; i++)
        assert_string_equal(g_ptr_array_index(na, i), g_ptr_array_index(nb, i));
}

static void
compare_tables(RmqRouteTable *t, RefRouteTable *r, guint step)
{
    for (guint i = 0; i < REF_TOPICS; i++) {
        g_autofree gchar *topic = g_strdup_printf("Topic-%u", i);
        g_autoptr(GBytes) a = rmq_route_table_get_route(t, topic, NULL);
        g_autoptr(GBytes) b = ref_route_table_get_route(r, topic, NULL);
        assert_bytes_same(a, b, topic, step);
        g_autoptr(GBytes) ao = rmq_route_table_get_route(t, topic, "broker-1:4");
        g_autoptr(GBytes) bo = ref_route_table_get_route(r, topic, "broker-1:4");
        assert_bytes_same(ao, bo, "ordered route", step);
    }
    g_autoptr(GBytes) ci = rmq_route_table_get_cluster_info(t);
    g_autoptr(GBytes) rci = ref_route_table_get_cluster_info(r);
    assert_bytes_same(ci, rci, "cluster info", step);
    g_autoptr(GBytes) at = rmq_route_table_get_all_topics(t);
    g_autoptr(GBytes) rat = ref_route_table_get_all_topics(r);
    assert_bytes_same(at, rat, "all topics", step);
    for (guint c = 0; c < 4; c++) {
        g_autofree gchar *cluster = g_strdup_printf("C%u", c);
        g_autoptr(GBytes) a = rmq_route_table_get_topics_by_cluster(t, cluster);
        g_autoptr(GBytes) b = ref_route_table_get_topics_by_cluster(r, cluster);
        assert_bytes_same(a, b, cluster, step);
    }
    g_autoptr(GBytes) st = rmq_route_table_get_system_topics(t);
    g_autoptr(GBytes) rst = ref_route_table_get_system_topics(r);
    assert_bytes_same(st, rst, "system topics", step);
    for (gint u = RMQ_ROUTE_UNIT_TOPICS; u <= RMQ_ROUTE_HAS_UNIT_SUB_UNUNIT_TOPICS; u++) {
        g_autoptr(GBytes) a = rmq_route_table_get_unit_topics(t, u);
        g_autoptr(GBytes) b = ref_route_table_get_unit_topics(r, u);
        assert_bytes_same(a, b, "unit topics", step);
    }
    assert_int_equal(rmq_route_table_live_broker_count(t), ref_route_table_live_broker_count(r));
    assert_int_equal(rmq_route_table_topic_count(t), ref_route_table_topic_count(r));
    for (guint i = 0; i < REF_ADDRS; i++) {
        g_autofree gchar *addr = g_strdup_printf("10.0.0.%u:10911", i);
        assert_int_equal(rmq_route_table_is_live(t, addr), ref_route_table_is_live(r, addr));
    }
}

static RmqRegisterBody *
random_body(GRand *rng)
{
    RmqRegisterBody *body = rmq_register_body_new();
    body->data_version.counter = g_rand_int_range(rng, 1, 4);
    body->data_version.timestamp = 1700000000000;
    for (guint i = 0; i < REF_TOPICS; i++) {
        if (g_rand_int_range(rng, 0, 3) != 0)
            continue;
        g_autofree gchar *topic = g_strdup_printf("Topic-%u", i);
        RmqTopicConfig *tc = rmq_topic_config_new(topic);
        tc->read_queue_nums = tc->write_queue_nums = g_rand_int_range(rng, 1, 3);
        tc->perm = g_rand_boolean(rng) ? 6 : 4;
        tc->topic_sys_flag = g_rand_int_range(rng, 0, 4);
        rmq_register_body_add_topic(body, tc);
    }
    if (g_rand_int_range(rng, 0, 4) == 0)
        g_ptr_array_add(body->filter_servers,
                        g_strdup_printf("10.5.0.%d:9999", g_rand_int_range(rng, 0, 2)));
    return body;
}

static void
test_matches_reference(void **state)
{
    (void) state;
    g_autoptr(GRand) rng = g_rand_new_with_seed(20261206);
    g_autoptr(RmqRouteTable) t = rmq_route_table_new();
    RefRouteTable *r = ref_route_table_new();
    gint64 now = 0;
    for (guint step = 0; step < 4000; step++) {
        now += g_rand_int_range(rng, 0, 2000);
        guint a = (guint) g_rand_int_range(rng, 0, REF_ADDRS);
        /* Addresses belong to one broker name; ids move (role switches),
         * a name may appear in more than one cluster. */
        g_autofree gchar *addr = g_strdup_printf("10.0.0.%u:10911", a);
        g_autofree gchar *name = g_strdup_printf("broker-%u", a % REF_NAMES);
        g_autofree gchar *cluster = g_strdup_printf("C%d", g_rand_int_range(rng, 0, 3));
        gint64 bid = g_rand_int_range(rng, 0, 3);
        gpointer chan = &ref_chans[g_rand_int_range(rng, 0, REF_CHANS)];
        RmqBrokerIdentity id = { cluster, name, addr, "10.0.0.99:10912", bid, chan };
        gint op = g_rand_int_range(rng, 0, 100);
        if (op < 55) {
            g_autoptr(RmqRegisterBody) body = g_rand_int_range(rng, 0, 8) ? random_body(rng)
                                                                          : NULL;
            RmqRegisterResult ra, rb;
            rmq_route_table_register(t, &id, body, now, &ra);
            ref_route_table_register(r, &id, body, now, &rb);
            assert_int_equal(ra.first_registration, rb.first_registration);
            assert_true(g_strcmp0(ra.master_addr, rb.master_addr) == 0);
            assert_true(g_strcmp0(ra.ha_server_addr, rb.ha_server_addr) == 0);
            rmq_register_result_clear(&ra);
            ref_register_result_clear(&rb);
        } else if (op < 63) {
            g_autoptr(RmqBrokerRemoval) x = rmq_route_table_unregister(t, &id);
            RmqBrokerRemoval *y = ref_route_table_unregister(r, &id);
            g_autoptr(GPtrArray) xa = g_ptr_array_new();
            g_autoptr(GPtrArray) ya = g_ptr_array_new();
            if (x != NULL)
                g_ptr_array_add(xa, x);
            if (y != NULL)
                g_ptr_array_add(ya, y);
            assert_removals_same(xa, ya, step);
            ref_broker_removal_free(y);
        } else if (op < 73) {
            g_autoptr(GPtrArray) x = rmq_route_table_channel_closed(t, chan);
            g_autoptr(GPtrArray) y = ref_route_table_channel_closed(r, chan);
            assert_removals_same(x, y, step);
        } else if (op < 80) {
            g_autoptr(GPtrArray) x = rmq_route_table_scan_expired(t, now, 20000);
            g_autoptr(GPtrArray) y = ref_route_table_scan_expired(r, now, 20000);
            assert_removals_same(x, y, step);
        } else if (op < 86) {
            g_autofree gchar *topic = g_strdup_printf("Topic-%d", g_rand_int_range(rng, 0, REF_TOPICS));
            const gchar *c = g_rand_boolean(rng) ? cluster : NULL;
            assert_int_equal(rmq_route_table_delete_topic(t, topic, c),
                             ref_route_table_delete_topic(r, topic, c));
        } else if (op < 90) {
            assert_int_equal(rmq_route_table_wipe_write_perm(t, name),
                             ref_route_table_wipe_write_perm(r, name));
        } else if (op < 94) {
            assert_int_equal(rmq_route_table_add_write_perm(t, name),
                             ref_route_table_add_write_perm(r, name));
        } else {
            RmqDataVersion dv = { g_rand_int_range(rng, 1, 4), 1700000000000 };
            RmqDataVersion sa = { 0, 0 }, sb = { 0, 0 };
            gboolean ha = FALSE, hb = FALSE;
            assert_int_equal(rmq_route_table_query_data_version(t, addr, &dv, now, &sa, &ha),
                             ref_route_table_query_data_version(r, addr, &dv, now, &sb, &hb));
            assert_int_equal(ha, hb);
            assert_true(rmq_data_version_equal(&sa, &sb));
        }
        compare_tables(t, r, step);
    }
    /* The run reached the interesting states: brokers left with their queues. */
    assert_true(names_removed > 50);
    ref_route_table_free(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_master_and_slave),
        cmocka_unit_test(test_slave_without_live_master),
        cmocka_unit_test(test_data_version_rule),
        cmocka_unit_test(test_cluster_info),
        cmocka_unit_test(test_topic_lists),
        cmocka_unit_test(test_delete_topic),
        cmocka_unit_test(test_write_perm),
        cmocka_unit_test(test_expiry_fake_clock),
        cmocka_unit_test(test_channel_closed),
        cmocka_unit_test(test_unregister),
        cmocka_unit_test(test_role_switch),
        cmocka_unit_test(test_register_body_json),
        cmocka_unit_test(test_register_body_compressed),
        cmocka_unit_test(test_register_body_deep_nesting),
        cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_per_broker_work_is_flat),
        cmocka_unit_test(test_matches_reference),
    };
    return cmocka_run_group_tests_name("route-table", tests, NULL, NULL);
}
