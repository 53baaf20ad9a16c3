/* The request processor as pure code: each name-server code with its
 * header fields, bodies, error codes and remarks, without a network. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <json-glib/json-glib.h>

#include "namesrv/processor.h"
#include "remoting/codes.h"

typedef struct {
    RmqRouteTable *routes;
    RmqKvConfig *kv;
    RmqNamesrvProcessor *p;
} Fixture;

static int chan_1, chan_2;

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->routes = rmq_route_table_new();
    f->kv = rmq_kvconfig_new(NULL);
    f->p = rmq_namesrv_processor_new(f->routes, f->kv);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;
    rmq_namesrv_processor_free(f->p);
    rmq_route_table_free(f->routes);
    rmq_kvconfig_free(f->kv);
    g_free(f);
    return 0;
}

/* Request with ext key/value pairs (NULL-terminated), handled at @now. */
static RmqCommand *
call(Fixture *f, gpointer chan, gint64 now, gint32 code, GBytes *body, ...)
{
    g_autoptr(RmqCommand) req = rmq_command_new_request(code);
    req->opaque = 4242;
    va_list ap;
    va_start(ap, body);
    for (const gchar *k = va_arg(ap, const gchar *); k != NULL; k = va_arg(ap, const gchar *))
        rmq_command_set_ext(req, k, va_arg(ap, const gchar *));
    va_end(ap);
    if (body != NULL)
        rmq_command_set_body(req, body);
    RmqCommand *resp = rmq_namesrv_processor_handle(f->p, chan, req, now);
    assert_non_null(resp);
    assert_true(rmq_command_is_response(resp));
    assert_int_equal(resp->opaque, 4242);
    return resp;
}

static JsonObject *
body_object(const RmqCommand *resp, JsonParser *parser)
{
    assert_non_null(resp->body);
    gsize n;
    const gchar *d = g_bytes_get_data(resp->body, &n);
    assert_true(json_parser_load_from_data(parser, d, (gssize) n, NULL));
    return json_node_get_object(json_parser_get_root(parser));
}

static GBytes *
body_for(gint64 counter, gboolean compressed, const gchar *topic, gint sys_flag)
{
    g_autoptr(RmqRegisterBody) b = rmq_register_body_new();
    b->data_version.counter = counter;
    RmqTopicConfig *tc = rmq_topic_config_new(topic);
    tc->topic_sys_flag = sys_flag;
    rmq_register_body_add_topic(b, tc);
    return compressed ? rmq_register_body_encode_compressed(b) : rmq_register_body_encode_json(b);
}

static RmqCommand *
register_broker(Fixture *f, gpointer chan, gint64 now, const gchar *name, const gchar *id,
                const gchar *addr, GBytes *body, const gchar *compressed)
{
    gsize n;
    const guint8 *d = g_bytes_get_data(body, &n);
    g_autofree gchar *crc = g_strdup_printf("%d", rmq_register_body_crc32(d, n));
    g_autofree gchar *ha = g_strdup_printf("%s-ha", addr);
    return call(f, chan, now, RMQ_REQUEST_REGISTER_BROKER, body, "brokerName", name, "brokerAddr",
                addr, "clusterName", "C", "haServerAddr", ha, "brokerId", id, "compressed",
                compressed, "bodyCrc32", crc, NULL);
}

static void
test_kv_codes(void **state)
{
    Fixture *f = *state;
    g_autoptr(RmqCommand) put = call(f, NULL, 0, RMQ_REQUEST_PUT_KV_CONFIG, NULL, "namespace",
                                     "N", "key", "k", "value", "v", NULL);
    assert_int_equal(put->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) get = call(f, NULL, 0, RMQ_REQUEST_GET_KV_CONFIG, NULL, "namespace", "N",
                                     "key", "k", NULL);
    assert_int_equal(get->code, RMQ_RESPONSE_SUCCESS);
    assert_string_equal(rmq_command_get_ext(get, "value"), "v");
    g_autoptr(RmqCommand) miss = call(f, NULL, 0, RMQ_REQUEST_GET_KV_CONFIG, NULL, "namespace",
                                      "N", "key", "nope", NULL);
    assert_int_equal(miss->code, RMQ_RESPONSE_QUERY_NOT_FOUND);
    assert_string_equal(miss->remark, "No config item, Namespace: N Key: nope");

    g_autoptr(RmqCommand) list = call(f, NULL, 0, RMQ_REQUEST_GET_KVLIST_BY_NAMESPACE, NULL,
                                      "namespace", "N", NULL);
    assert_int_equal(list->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(JsonParser) jp = json_parser_new();
    JsonObject *table = json_object_get_object_member(body_object(list, jp), "table");
    assert_string_equal(json_object_get_string_member(table, "k"), "v");
    g_autoptr(RmqCommand) nolist = call(f, NULL, 0, RMQ_REQUEST_GET_KVLIST_BY_NAMESPACE, NULL,
                                        "namespace", "X", NULL);
    assert_int_equal(nolist->code, RMQ_RESPONSE_QUERY_NOT_FOUND);
    assert_string_equal(nolist->remark, "No config item, Namespace: X");

    g_autoptr(RmqCommand) del = call(f, NULL, 0, RMQ_REQUEST_DELETE_KV_CONFIG, NULL, "namespace",
                                     "N", "key", "k", NULL);
    assert_int_equal(del->code, RMQ_RESPONSE_SUCCESS);
    assert_null(rmq_kvconfig_get(f->kv, "N", "k"));

    g_autoptr(RmqCommand) bad = call(f, NULL, 0, RMQ_REQUEST_PUT_KV_CONFIG, NULL, "namespace", "N",
                                     "key", "k", NULL);
    assert_int_equal(bad->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(bad->remark, "the custom field <value> is null");
}

static void
test_register_variants(void **state)
{
    Fixture *f = *state;
    g_autoptr(GBytes) json = body_for(1, FALSE, "JsonTopic", 0);
    g_autoptr(RmqCommand) m = register_broker(f, &chan_1, 0, "b1", "0", "1.1.1.1:10911", json,
                                              "false");
    assert_int_equal(m->code, RMQ_RESPONSE_SUCCESS);
    assert_true(m->ext_present); /* "extFields":{} as a 4.9.7 name server sends */
    assert_null(rmq_command_get_ext(m, "masterAddr"));
    assert_null(m->body);

    /* Compressed body (C++ and Java brokers with compressedRegister=true). */
    g_autoptr(GBytes) z = body_for(1, TRUE, "ZTopic", 0);
    g_autoptr(RmqCommand) zm = register_broker(f, &chan_2, 0, "b2", "0", "2.2.2.2:10911", z,
                                               "true");
    assert_int_equal(zm->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) zr = call(f, NULL, 0, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL, "topic",
                                    "ZTopic", NULL);
    assert_int_equal(zr->code, RMQ_RESPONSE_SUCCESS);

    /* Slave of b1 learns master and HA addresses. */
    g_autoptr(RmqCommand) s = register_broker(f, &chan_2, 0, "b1", "1", "1.1.1.2:10911", json,
                                              "false");
    assert_string_equal(rmq_command_get_ext(s, "masterAddr"), "1.1.1.1:10911");
    assert_string_equal(rmq_command_get_ext(s, "haServerAddr"), "1.1.1.1:10911-ha");

    /* Body that claims to be compressed but is JSON: refused, nothing registered. */
    g_autoptr(RmqCommand) wrong = register_broker(f, &chan_2, 0, "b3", "0", "3.3.3.3:10911", json,
                                                  "true");
    assert_int_equal(wrong->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_false(rmq_route_table_is_live(f->routes, "3.3.3.3:10911"));

    /* Header missing brokerId. */
    g_autoptr(RmqCommand) noid = call(f, NULL, 0, RMQ_REQUEST_REGISTER_BROKER, NULL, "brokerName",
                                      "b", "brokerAddr", "a", "clusterName", "C", "haServerAddr",
                                      "h", NULL);
    assert_int_equal(noid->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(noid->remark, "the custom field <brokerId> is null");

    /* ORDER_TOPIC_CONFIG comes back as the register reply body. */
    g_autoptr(RmqCommand) put = call(f, NULL, 0, RMQ_REQUEST_PUT_KV_CONFIG, NULL, "namespace",
                                     "ORDER_TOPIC_CONFIG", "key", "JsonTopic", "value", "b1:8",
                                     NULL);
    g_autoptr(RmqCommand) again = register_broker(f, &chan_1, 10, "b1", "0", "1.1.1.1:10911", json,
                                                  "false");
    g_autoptr(JsonParser) jp = json_parser_new();
    JsonObject *t = json_object_get_object_member(body_object(again, jp), "table");
    assert_string_equal(json_object_get_string_member(t, "JsonTopic"), "b1:8");

    /* orderTopicConf only with orderMessageEnable. */
    g_autoptr(RmqCommand) r1 = call(f, NULL, 0, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL, "topic",
                                    "JsonTopic", NULL);
    g_autoptr(JsonParser) jp1 = json_parser_new();
    assert_false(json_object_has_member(body_object(r1, jp1), "orderTopicConf"));
    f->p->order_message_enable = TRUE;
    g_autoptr(RmqCommand) r2 = call(f, NULL, 0, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL, "topic",
                                    "JsonTopic", NULL);
    g_autoptr(JsonParser) jp2 = json_parser_new();
    assert_string_equal(json_object_get_string_member(body_object(r2, jp2), "orderTopicConf"),
                        "b1:8");

    /* UNREGISTER the slave, then the master: the route is gone. */
    g_autoptr(RmqCommand) u1 = call(f, NULL, 0, RMQ_REQUEST_UNREGISTER_BROKER, NULL, "brokerName",
                                    "b1", "brokerAddr", "1.1.1.2:10911", "clusterName", "C",
                                    "brokerId", "1", NULL);
    g_autoptr(RmqCommand) u0 = call(f, NULL, 0, RMQ_REQUEST_UNREGISTER_BROKER, NULL, "brokerName",
                                    "b1", "brokerAddr", "1.1.1.1:10911", "clusterName", "C",
                                    "brokerId", "0", NULL);
    assert_int_equal(u0->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) r3 = call(f, NULL, 0, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL, "topic",
                                    "JsonTopic", NULL);
    assert_int_equal(r3->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    assert_string_equal(r3->remark, "No topic route info in name server for the topic: JsonTopic");
}

static void
test_query_data_version(void **state)
{
    Fixture *f = *state;
    g_autoptr(GBytes) body = body_for(5, FALSE, "T", 0);
    g_autoptr(RmqCommand) reg = register_broker(f, &chan_1, 1000, "b1", "0", "1.1.1.1:10911", body,
                                                "false");
    g_autoptr(GBytes) same = g_bytes_new_static("{\"counter\":5,\"timestamp\":0}", 27);
    g_autoptr(RmqCommand) q1 = call(f, &chan_1, 50000, RMQ_REQUEST_QUERY_DATA_VERSION, same,
                                    "brokerName", "b1", "brokerAddr", "1.1.1.1:10911",
                                    "clusterName", "C", "brokerId", "0", NULL);
    assert_int_equal(q1->code, RMQ_RESPONSE_SUCCESS);
    assert_string_equal(rmq_command_get_ext(q1, "changed"), "false");
    g_autoptr(JsonParser) jp = json_parser_new();
    assert_int_equal(json_object_get_int_member(body_object(q1, jp), "counter"), 5);
    /* Unchanged refreshed liveness to 50000: not expired at 1000 + 120000 + 1. */
    g_autoptr(GPtrArray) gone = rmq_route_table_scan_expired(f->routes, 121001, 120000);
    assert_int_equal(gone->len, 0);

    g_autoptr(GBytes) newer = g_bytes_new_static("{\"counter\":6,\"timestamp\":0}", 27);
    g_autoptr(RmqCommand) q2 = call(f, &chan_1, 0, RMQ_REQUEST_QUERY_DATA_VERSION, newer,
                                    "brokerName", "b1", "brokerAddr", "1.1.1.1:10911",
                                    "clusterName", "C", "brokerId", "0", NULL);
    assert_string_equal(rmq_command_get_ext(q2, "changed"), "true");
    g_autoptr(RmqCommand) q3 = call(f, &chan_1, 0, RMQ_REQUEST_QUERY_DATA_VERSION, NULL,
                                    "brokerName", "b1", "brokerAddr", "1.1.1.1:10911",
                                    "clusterName", "C", "brokerId", "0", NULL);
    assert_int_equal(q3->code, RMQ_RESPONSE_SYSTEM_ERROR);
}

static gboolean
list_has(const RmqCommand *resp, const gchar *name)
{
    g_autoptr(JsonParser) jp = json_parser_new();
    JsonArray *a = json_object_get_array_member(body_object(resp, jp), "topicList");
    for (guint i = 0; i < json_array_get_length(a); i++)
        if (strcmp(json_array_get_string_element(a, i), name) == 0)
            return TRUE;
    return FALSE;
}

static void
test_lists_and_admin(void **state)
{
    Fixture *f = *state;
    g_autoptr(GBytes) unit = body_for(1, FALSE, "UnitTopic", 1);
    g_autoptr(RmqCommand) reg = register_broker(f, &chan_1, 0, "b1", "0", "1.1.1.1:10911", unit,
                                                "false");
    g_autoptr(RmqCommand) all = call(f, NULL, 0, RMQ_REQUEST_GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
                                     NULL, NULL);
    assert_true(list_has(all, "UnitTopic"));
    g_autoptr(RmqCommand) byc = call(f, NULL, 0, RMQ_REQUEST_GET_TOPICS_BY_CLUSTER, NULL,
                                     "cluster", "C", NULL);
    assert_true(list_has(byc, "UnitTopic"));
    g_autoptr(RmqCommand) sys = call(f, NULL, 0, RMQ_REQUEST_GET_SYSTEM_TOPIC_LIST_FROM_NS, NULL,
                                     NULL);
    assert_true(list_has(sys, "C"));
    assert_true(list_has(sys, "b1"));
    g_autoptr(RmqCommand) u = call(f, NULL, 0, RMQ_REQUEST_GET_UNIT_TOPIC_LIST, NULL, NULL);
    assert_true(list_has(u, "UnitTopic"));
    g_autoptr(RmqCommand) us = call(f, NULL, 0, RMQ_REQUEST_GET_HAS_UNIT_SUB_TOPIC_LIST, NULL,
                                    NULL);
    assert_false(list_has(us, "UnitTopic"));
    g_autoptr(RmqCommand) ci = call(f, NULL, 0, RMQ_REQUEST_GET_BROKER_CLUSTER_INFO, NULL, NULL);
    assert_int_equal(ci->code, RMQ_RESPONSE_SUCCESS);

    g_autoptr(RmqCommand) w = call(f, NULL, 0, RMQ_REQUEST_WIPE_WRITE_PERM_OF_BROKER, NULL,
                                   "brokerName", "b1", NULL);
    assert_string_equal(rmq_command_get_ext(w, "wipeTopicCount"), "1");
    g_autoptr(RmqCommand) a = call(f, NULL, 0, RMQ_REQUEST_ADD_WRITE_PERM_OF_BROKER, NULL,
                                   "brokerName", "b1", NULL);
    assert_string_equal(rmq_command_get_ext(a, "addTopicCount"), "1");

    g_autoptr(RmqCommand) d1 = call(f, NULL, 0, RMQ_REQUEST_DELETE_TOPIC_IN_NAMESRV, NULL, "topic",
                                    "UnitTopic", "clusterName", "OtherCluster", NULL);
    assert_int_equal(d1->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(rmq_route_table_topic_count(f->routes), 1);
    g_autoptr(RmqCommand) d2 = call(f, NULL, 0, RMQ_REQUEST_DELETE_TOPIC_IN_NAMESRV, NULL, "topic",
                                    "UnitTopic", NULL);
    assert_int_equal(rmq_route_table_topic_count(f->routes), 0);
}

static void
test_namesrv_config(void **state)
{
    Fixture *f = *state;
    g_autoptr(GBytes) black = g_bytes_new_static("kvConfigPath=/tmp/x\n", 20);
    g_autoptr(RmqCommand) r1 = call(f, NULL, 0, RMQ_REQUEST_UPDATE_NAMESRV_CONFIG, black, NULL);
    assert_int_equal(r1->code, RMQ_RESPONSE_NO_PERMISSION);

    g_autoptr(GBytes) ok = g_bytes_new_static("orderMessageEnable=true\nproductEnvName=x\n", 41);
    g_autoptr(RmqCommand) r2 = call(f, NULL, 0, RMQ_REQUEST_UPDATE_NAMESRV_CONFIG, ok, NULL);
    assert_int_equal(r2->code, RMQ_RESPONSE_SUCCESS);
    assert_true(f->p->order_message_enable);

    g_autoptr(RmqCommand) g = call(f, NULL, 0, RMQ_REQUEST_GET_NAMESRV_CONFIG, NULL, NULL);
    assert_int_equal(g->code, RMQ_RESPONSE_SUCCESS);
    gsize n;
    const gchar *d = g_bytes_get_data(g->body, &n);
    g_autofree gchar *text = g_strndup(d, n);
    assert_non_null(strstr(text, "orderMessageEnable=true\n"));
    assert_non_null(strstr(text, "productEnvName=x\n"));
}

static void
test_unsupported(void **state)
{
    Fixture *f = *state;
    g_autoptr(RmqCommand) r = call(f, NULL, 0, RMQ_REQUEST_GET_KV_CONFIG_BY_VALUE, NULL, NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED);
    assert_string_equal(r->remark, " request type 217 not supported");
    for (guint i = 0; rmq_namesrv_processor_codes[i] >= 0; i++)
        assert_int_not_equal(rmq_namesrv_processor_codes[i], RMQ_REQUEST_GET_KV_CONFIG_BY_VALUE);
}

/* Longest MESSAGE seen and warnings counted, on their way to the default writer. */
static gsize longest_message;
static guint warnings;

static GLogWriterOutput
measuring_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
    for (gsize i = 0; i < n_fields; i++) {
        if (g_str_equal(fields[i].key, "MESSAGE")) {
            gsize len = fields[i].length < 0 ? strlen(fields[i].value) : (gsize) fields[i].length;
            longest_message = MAX(longest_message, len);
        }
    }
    if (level & G_LOG_LEVEL_WARNING)
        warnings++;
    return g_log_writer_default(level, fields, n_fields, data);
}

/* Attacker's input: a negative broker id is refused; a 15 MiB topic name is
 * not echoed whole; a 1 MiB KV value is not logged whole; 100 bad register
 * bodies from one address are a handful of warnings. */
static void
test_hostile_input(void **state)
{
    Fixture *f = *state;
    g_autoptr(GBytes) json = body_for(1, FALSE, "HTopic", 0);
    g_autoptr(RmqCommand) neg = register_broker(f, &chan_1, 0, "bneg", "-1000000000000000000",
                                                "9.9.9.9:10911", json, "false");
    assert_int_equal(neg->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_non_null(strstr(neg->remark, "brokerId[-1000000000000000000] is illegal"));
    assert_false(rmq_route_table_is_live(f->routes, "9.9.9.9:10911"));

    g_autofree gchar *huge = g_strnfill(15 * 1024 * 1024, 't');
    g_autoptr(RmqCommand) r = call(f, NULL, 0, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC, NULL, "topic",
                                   huge, NULL);
    assert_int_equal(r->code, RMQ_RESPONSE_TOPIC_NOT_EXIST);
    assert_true(strlen(r->remark) < 256);
    assert_true(g_str_has_suffix(r->remark, "... (15728640 bytes)"));

    g_autofree gchar *big = g_strnfill(1024 * 1024, 'v');
    longest_message = 0;
    g_autoptr(RmqCommand) put = call(f, NULL, 0, RMQ_REQUEST_PUT_KV_CONFIG, NULL, "namespace",
                                     "NS", "key", "k", "value", big, NULL);
    assert_int_equal(put->code, RMQ_RESPONSE_SUCCESS);
    assert_true(longest_message > 0); /* the put was logged... */
    assert_true(longest_message < 1024); /* ...but not its whole value */

    guint before = warnings;
    g_autoptr(GBytes) junk = g_bytes_new_static("not a body", 10);
    for (guint i = 0; i < 100; i++) {
        g_autoptr(RmqCommand) bad = call(f, &chan_2, 0, RMQ_REQUEST_REGISTER_BROKER, junk,
                                         "brokerName", "bx", "brokerAddr", "8.8.8.8:10911",
                                         "clusterName", "C", "haServerAddr", "h", "brokerId", "0",
                                         NULL);
        assert_int_equal(bad->code, RMQ_RESPONSE_SYSTEM_ERROR);
    }
    assert_true(warnings - before >= 1);
    assert_true(warnings - before <= 5);
}

int
main(void)
{
    g_log_set_writer_func(measuring_writer, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kv_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_data_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lists_and_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_namesrv_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_input, setup, teardown),
    };
    return cmocka_run_group_tests_name("namesrv-processor", tests, NULL, NULL);
}
