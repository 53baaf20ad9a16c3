/* Unit tests of the broker's pure helpers: properties surgery (docs/protocol.md §6.1, trailing
 * 0x02 and empty segments), heartbeat parsing for Java, C++ (ordinal enums,
 * string subVersion, no tagsSet) and ali-ons shapes (docs/protocol.md §5.5), PULL
 * subscription strings, runtime config updates, and the client id -> channel
 * index of producers that replies are pushed through. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "broker/broker.h"
#include "broker/client_registry.h"
#include "broker/settings.h"
#include "remoting/codes.h"

static guint changes;

static void
on_changed(const gchar *group, gpointer data)
{
    (void) group;
    (void) data;
    changes++;
}

static RmqConnection *
fake_conn(void)
{
    /* The registry only uses the pointer as a key here. */
    static int tokens[4];
    static guint next;
    return (RmqConnection *) (void *) &tokens[next++ % 4];
}

static void
test_heartbeat_shapes(void **state)
{
    (void) state;
    RmqClientRegistry *r = rmq_client_registry_new(on_changed, NULL);
    changes = 0;
    /* rocketmq-client-cpp: ordinals, string subVersion, no tagsSet for "*",
     * codeSet = atoi(tag) which must be ignored */
    const gchar *cpp = "{\"clientID\":\"1.1.1.1@cpp\",\"consumerDataSet\":[{\"groupName\":\"G\","
                       "\"consumeType\":1,\"messageModel\":0,\"consumeFromWhere\":4,"
                       "\"subscriptionDataSet\":[{\"topic\":\"T\",\"subString\":\"TagA||TagB\","
                       "\"subVersion\":\"1700000000000\",\"tagsSet\":[\"TagA\",\"TagB\"],"
                       "\"codeSet\":[0,0]},{\"topic\":\"U\",\"subString\":\"*\","
                       "\"subVersion\":\"5\"}]}],\"producerDataSet\":[{\"groupName\":\"P\"}]}\n";
    RmqConnection *c1 = fake_conn();
    g_autoptr(GError) err = NULL;
    assert_true(rmq_client_registry_heartbeat(r, c1, 1, 333, cpp, strlen(cpp), NULL, NULL, &err));
    assert_int_equal(changes, 1);
    RmqConsumerGroup *g = rmq_client_registry_consumer_group(r, "G");
    assert_non_null(g);
    assert_string_equal(g->consume_type, "CONSUME_PASSIVELY");
    assert_string_equal(g->message_model, "BROADCASTING");
    assert_string_equal(g->consume_from_where, "CONSUME_FROM_FIRST_OFFSET");
    const RmqSubscription *s = rmq_client_registry_subscription(r, "G", "T");
    assert_non_null(s);
    assert_int_equal(s->sub_version, 1700000000000);
    assert_int_equal(s->codes->len, 2);
    assert_int_equal(g_array_index(s->codes, gint64, 0), 2598919); /* "TagA" */
    assert_int_equal(g_array_index(s->codes, gint64, 1), 2598920); /* "TagB" */
    const RmqSubscription *u = rmq_client_registry_subscription(r, "G", "U");
    assert_int_equal(u->codes->len, 0);
    assert_non_null(rmq_client_registry_producer_group(r, "P"));

    /* the same heartbeat again is no change; ali-ons without expressionType
     * and with names is accepted on another channel (a change) */
    assert_true(rmq_client_registry_heartbeat(r, c1, 1, 333, cpp, strlen(cpp), NULL, NULL, NULL));
    assert_int_equal(changes, 1);
    const gchar *ons = "{\"clientID\":\"2.2.2.2@ons\",\"consumerDataSet\":[{\"groupName\":\"G\","
                       "\"consumeType\":\"CONSUME_PASSIVELY\",\"messageModel\":\"CLUSTERING\","
                       "\"consumeFromWhere\":\"CONSUME_FROM_LAST_OFFSET\",\"unitMode\":false,"
                       "\"subscriptionDataSet\":[{\"topic\":\"T\",\"subString\":\"TagA\","
                       "\"subVersion\":1700000000001,\"tagsSet\":[\"TagA\"],\"codeSet\":[2598919],"
                       "\"classFilterMode\":false}]}],\"producerDataSet\":[]}";
    RmqConnection *c2 = fake_conn();
    assert_true(rmq_client_registry_heartbeat(r, c2, 0, 121, ons, strlen(ons), NULL, NULL, NULL));
    assert_int_equal(changes, 2);
    g_autoptr(GPtrArray) ids = rmq_client_registry_consumer_ids(r, "G");
    assert_int_equal(ids->len, 2);
    assert_string_equal(g_ptr_array_index(ids, 0), "1.1.1.1@cpp");
    assert_string_equal(g_ptr_array_index(ids, 1), "2.2.2.2@ons");

    /* unregister one: a change for the rest; closing the last: group gone */
    rmq_client_registry_unregister(r, c2, NULL, "G");
    assert_int_equal(changes, 3);
    rmq_client_registry_channel_closed(r, c1);
    assert_null(rmq_client_registry_consumer_group(r, "G"));
    assert_null(rmq_client_registry_producer_group(r, "P"));

    assert_false(rmq_client_registry_heartbeat(r, c1, 0, 0, "not json", 8, NULL, NULL, NULL));
    rmq_client_registry_free(r);
}

/* SQL92 subscriptions are compiled once per (group, topic, expression): a
 * heartbeat repeating the expression keeps the tree, a new one replaces it,
 * one that does not compile leaves none; no tags are made of the text. */
static void
test_sql92_subscription(void **state)
{
    (void) state;
    RmqClientRegistry *r = rmq_client_registry_new(on_changed, NULL);
    RmqConnection *c = fake_conn();
#define SQL_HB(expr) "{\"clientID\":\"c\",\"consumerDataSet\":[{\"groupName\":\"GS\"," \
                     "\"subscriptionDataSet\":[{\"topic\":\"T\",\"subString\":\"" expr "\"," \
                     "\"expressionType\":\"SQL92\",\"subVersion\":1}]}]}"
    const gchar *b1 = SQL_HB("a > 1 AND b = 'x'");
    assert_true(rmq_client_registry_heartbeat(r, c, 0, 0, b1, strlen(b1), NULL, NULL, NULL));
    const RmqSubscription *s1 = rmq_client_registry_subscription(r, "GS", "T");
    assert_string_equal(s1->expression_type, "SQL92");
    assert_int_equal(s1->codes->len, 0);
    assert_int_equal(s1->tags->len, 0);
    assert_non_null(s1->filter);
    RmqFilter *first = s1->filter;
    assert_true(rmq_client_registry_heartbeat(r, c, 0, 0, b1, strlen(b1), NULL, NULL, NULL));
    const RmqSubscription *s2 = rmq_client_registry_subscription(r, "GS", "T");
    assert_ptr_equal(s2->filter, first);
    const gchar *b2 = SQL_HB("a > 2");
    assert_true(rmq_client_registry_heartbeat(r, c, 0, 0, b2, strlen(b2), NULL, NULL, NULL));
    const RmqSubscription *s3 = rmq_client_registry_subscription(r, "GS", "T");
    assert_non_null(s3->filter);
    assert_string_equal(rmq_filter_get_text(s3->filter), "a > 2");
    const gchar *b3 = SQL_HB("a >");
#undef SQL_HB
    assert_true(rmq_client_registry_heartbeat(r, c, 0, 0, b3, strlen(b3), NULL, NULL, NULL));
    assert_null(rmq_client_registry_subscription(r, "GS", "T")->filter);
    rmq_client_registry_free(r);
}

static void
test_subscription_parse(void **state)
{
    (void) state;
    g_autoptr(RmqSubscription) all = rmq_subscription_parse("T", "*");
    assert_int_equal(all->codes->len, 0);
    g_autoptr(RmqSubscription) none = rmq_subscription_parse("T", NULL);
    assert_int_equal(none->codes->len, 0);
    g_autoptr(RmqSubscription) two = rmq_subscription_parse("T", " TagA || TagB ");
    assert_int_equal(two->codes->len, 2);
    assert_string_equal(g_ptr_array_index(two->tags, 0), "TagA");
    assert_string_equal(g_ptr_array_index(two->tags, 1), "TagB");
}

/* The settings are filled from the key table, and GET_BROKER_CONFIG reads a
 * key where it lands (here the settings) in preference to the parsed config. */
static void
test_settings_update(void **state)
{
    (void) state;
    g_autoptr(RmqConfig) cfg = rmq_config_new_defaults(RMQ_CONFIG_BROKER);
    g_free(cfg->broker_name);
    cfg->broker_name = g_strdup("b");
    cfg->max_message_size = 10;
    cfg->broker_role = RMQ_BROKER_ROLE_SLAVE;
    cfg->broker_id = 1;
    RmqBrokerSettings s;
    rmq_broker_settings_from_config(&s, cfg);
    assert_string_equal(s.broker_name, "b");
    assert_string_equal(s.cluster_name, "DefaultCluster");
    assert_int_equal(s.max_message_size, 10);
    assert_true(s.slave);
    assert_false(s.sync_flush);

    g_autoptr(GError) err = NULL;
    g_autoptr(RmqConfig) up = rmq_config_update_runtime(cfg, "# c\nmaxMessageSize=20\n", &err);
    assert_non_null(up);
    assert_null(err);
    rmq_config_fill(up, RMQ_CONFIG_LAND_BROKER, &s, TRUE);
    assert_int_equal(s.max_message_size, 20);
    /* a key that needs a restart refuses the whole update, by name */
    g_autoptr(RmqConfig) no = rmq_config_update_runtime(cfg, "maxMessageSize=40\nbrokerName=y\n",
                                                        &err);
    assert_null(no);
    assert_non_null(strstr(err->message, "brokerName"));

    gconstpointer landings[RMQ_CONFIG_LAND_N] = { NULL };
    landings[RMQ_CONFIG_LAND_BROKER] = &s;
    g_autofree gchar *props = rmq_broker_settings_to_properties(cfg, landings);
    assert_non_null(strstr(props, "maxMessageSize=20\n"));  /* from the settings */
    assert_non_null(strstr(props, "brokerName=b\n"));
    assert_non_null(strstr(props, "brokerRole=SLAVE\n"));
    assert_non_null(strstr(props, "fileReservedTime=72\n")); /* no store given: the config */
    RmqBrokerSettings copy;
    rmq_broker_settings_copy(&copy, &s);
    rmq_broker_settings_clear(&s);
    assert_string_equal(copy.broker_name, "b");
    rmq_broker_settings_clear(&copy);
}

/* A V2 request with every required field; the caller adds the rest. */
static RmqCommand *
send_v2(void)
{
    RmqCommand *c = rmq_command_new_request(RMQ_REQUEST_SEND_MESSAGE_V2);
    static const gchar *const kv[] = { "a", "G", "b", "T", "c", "TBW102", "d", "8", "e", "-1",
                                       "f", "4", "g", "1700000000123", "h", "7", NULL };
    for (guint i = 0; kv[i] != NULL; i += 2)
        rmq_command_set_ext(c, kv[i], kv[i + 1]);
    return c;
}

static void
test_send_header_parse(void **state)
{
    (void) state;
    RmqSendHeader h;
    g_autofree gchar *remark = NULL;

    /* V2: one-letter keys, optional fields absent keep their defaults */
    RmqCommand *c = send_v2();
    assert_true(rmq_broker_send_header_parse(c, &h, &remark));
    assert_string_equal(h.raw[RMQ_SEND_H_GROUP], "G");
    assert_string_equal(h.raw[RMQ_SEND_H_TOPIC], "T");
    assert_string_equal(h.raw[RMQ_SEND_H_DEFAULT_TOPIC], "TBW102");
    assert_int_equal(h.default_qnums, 8);
    assert_int_equal(h.queue_id, -1);
    assert_int_equal(h.sys_flag, 4);
    assert_int_equal(h.born, 1700000000123);
    assert_int_equal(h.flag, 7);
    assert_null(h.raw[RMQ_SEND_H_PROPS]);
    assert_int_equal(h.raw_len[RMQ_SEND_H_PROPS], 0);
    assert_int_equal(h.raw_len[RMQ_SEND_H_DEFAULT_TOPIC], 6);
    assert_int_equal(h.raw_len[RMQ_SEND_H_BORN], 13);
    assert_int_equal(h.reconsume, 0);
    assert_int_equal(h.max_reconsume, -1);
    assert_false(h.batch);
    /* optional fields; a malformed optional number keeps its default, the
     * first of duplicate keys wins, unknown and long keys are ignored */
    rmq_command_set_ext(c, "i", "TAGS\001x\002");
    rmq_command_set_ext(c, "j", "3");
    rmq_command_set_ext(c, "l", "x16");
    rmq_command_set_ext(c, "m", "TRUE");
    rmq_command_set_ext(c, "z", "1");
    rmq_command_set_ext(c, "aa", "1");
    rmq_command_append_ext_len(c, "b", 1, "T2", 2);
    assert_true(rmq_broker_send_header_parse(c, &h, &remark));
    assert_string_equal(h.raw[RMQ_SEND_H_PROPS], "TAGS\001x\002");
    assert_int_equal(h.raw_len[RMQ_SEND_H_PROPS], 7);
    assert_string_equal(h.raw[RMQ_SEND_H_TOPIC], "T");
    assert_int_equal(h.raw_len[RMQ_SEND_H_TOPIC], 1); /* the first "b" */
    assert_int_equal(h.reconsume, 3);
    assert_int_equal(h.max_reconsume, -1);
    assert_true(h.batch);
    rmq_command_set_ext(c, "m", "1");
    assert_true(rmq_broker_send_header_parse(c, &h, &remark) && h.batch);
    rmq_command_set_ext(c, "m", "yes");
    assert_true(rmq_broker_send_header_parse(c, &h, &remark) && !h.batch);
    static const struct { const gchar *v; gboolean batch; } bools[] = {
        { "tRuE", TRUE }, { "false", FALSE }, { "t", FALSE }, { "true ", FALSE },
        { "1x", FALSE }, { "", FALSE }, { "11", FALSE }, { "0", FALSE },
    };
    for (guint i = 0; i < G_N_ELEMENTS(bools); i++) {
        rmq_command_set_ext(c, "m", bools[i].v);
        assert_true(rmq_broker_send_header_parse(c, &h, &remark));
        assert_int_equal(h.batch, bools[i].batch);
    }
    /* numbers: out of int32 range, '+', spaces and 19-digit values follow glib */
    rmq_command_set_ext(c, "e", "2147483648");
    assert_false(rmq_broker_send_header_parse(c, &h, &remark));
    assert_non_null(strstr(remark, "is not a number"));
    g_clear_pointer(&remark, g_free);
    rmq_command_set_ext(c, "e", "+3");
    assert_true(rmq_broker_send_header_parse(c, &h, &remark));
    assert_int_equal(h.queue_id, 3);
    rmq_command_set_ext(c, "e", " 3");
    assert_false(rmq_broker_send_header_parse(c, &h, &remark));
    g_clear_pointer(&remark, g_free);
    rmq_command_set_ext(c, "e", "2");
    rmq_command_set_ext(c, "g", "-9223372036854775808");
    assert_true(rmq_broker_send_header_parse(c, &h, &remark));
    assert_true(h.born == G_MININT64);
    rmq_command_set_ext(c, "g", "");
    assert_false(rmq_broker_send_header_parse(c, &h, &remark));
    g_clear_pointer(&remark, g_free);
    rmq_command_free(c);
    /* a missing required field is named by its long name, the first one */
    c = send_v2();
    rmq_command_remove_ext(c, "f");
    rmq_command_remove_ext(c, "h");
    assert_false(rmq_broker_send_header_parse(c, &h, &remark));
    assert_string_equal(remark, "the custom field <sysFlag> is null");
    g_clear_pointer(&remark, g_free);
    rmq_command_free(c);

    /* V1 (code 10): long names; one-letter keys mean nothing there */
    c = rmq_command_new_request(RMQ_REQUEST_SEND_MESSAGE);
    static const gchar *const v1[] = {
        "producerGroup", "G", "topic", "T1", "defaultTopic", "TBW102",
        "defaultTopicQueueNums", "4", "queueId", "2", "sysFlag", "0",
        "bornTimestamp", "5", "flag", "0", "properties", "WAIT\001true",
        "reconsumeTimes", "1", "maxReconsumeTimes", "16", "batch", "false", "b", "X", NULL };
    for (guint i = 0; v1[i] != NULL; i += 2)
        rmq_command_set_ext(c, v1[i], v1[i + 1]);
    assert_true(rmq_broker_send_header_parse(c, &h, &remark));
    assert_string_equal(h.raw[RMQ_SEND_H_TOPIC], "T1");
    assert_string_equal(h.raw[RMQ_SEND_H_PROPS], "WAIT\001true");
    assert_int_equal(h.queue_id, 2);
    assert_int_equal(h.born, 5);
    assert_int_equal(h.reconsume, 1);
    assert_int_equal(h.max_reconsume, 16);
    assert_false(h.batch);
    rmq_command_remove_ext(c, "producerGroup");
    assert_false(rmq_broker_send_header_parse(c, &h, &remark));
    assert_string_equal(remark, "the custom field <producerGroup> is null");
    rmq_command_free(c);
}

/* A real, never started connection over one end of a socket pair, so
 * closing it is seen by rmq_connection_is_closed(). (transfer full) */
static RmqConnection *
real_conn(void)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    g_autoptr(GSocket) sock = g_socket_new_from_fd(sv[0], NULL);
    assert_non_null(sock);
    g_autoptr(GSocketConnection) sc = g_socket_connection_factory_create_connection(sock);
    return rmq_connection_new(sc, NULL);
}

/* A heartbeat of @client_id with the producer groups @groups. */
static void
producer_heartbeat(RmqClientRegistry *r, RmqConnection *conn, const gchar *client_id,
                   const gchar *const *groups)
{
    g_autoptr(GString) b = g_string_new(NULL);
    g_string_append_printf(b, "{\"clientID\":\"%s\",\"consumerDataSet\":[],\"producerDataSet\":[",
                           client_id);
    for (guint i = 0; groups[i] != NULL; i++)
        g_string_append_printf(b, "%s{\"groupName\":\"%s\"}", i > 0 ? "," : "", groups[i]);
    g_string_append(b, "]}");
    g_autoptr(GError) err = NULL;
    assert_true(rmq_client_registry_heartbeat(r, conn, 0, 0, b->str, b->len, NULL, NULL, &err));
}

/* ProducerManager.findChannel: the channel of a client id's latest producer
 * heartbeat, kept through re-registration from another channel,
 * unregistration, close and expiry. */
static void
test_find_producer_channel(void **state)
{
    (void) state;
    RmqClientRegistry *r = rmq_client_registry_new(on_changed, NULL);
    RmqConnection *a = real_conn(), *b = real_conn(), *c = real_conn();
    static const gchar *const eight[] = { "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", NULL };
    static const gchar *const p9[] = { "P9", NULL };
    static const gchar *const p1[] = { "P1", NULL };
    assert_null(rmq_client_registry_find_producer_channel(r, "X"));

    producer_heartbeat(r, a, "X", eight);
    assert_ptr_equal(rmq_client_registry_find_producer_channel(r, "X"), a);
    /* the client comes back on another channel: the latest one answers,
     * though the old one still holds most of its groups */
    producer_heartbeat(r, b, "X", p9);
    assert_ptr_equal(rmq_client_registry_find_producer_channel(r, "X"), b);
    producer_heartbeat(r, c, "Y", p1);
    assert_ptr_equal(rmq_client_registry_find_producer_channel(r, "Y"), c);
    assert_ptr_equal(rmq_client_registry_find_producer_channel(r, "X"), b);

    /* unregistering the latest: the other channel of X still has producers */
    rmq_client_registry_unregister(r, b, "P9", NULL);
    assert_ptr_equal(rmq_client_registry_find_producer_channel(r, "X"), a);
    for (guint i = 0; i < 7; i++)
        rmq_client_registry_unregister(r, a, eight[i], NULL);
    assert_ptr_equal(rmq_client_registry_find_producer_channel(r, "X"), a);
    rmq_client_registry_unregister(r, a, "P8", NULL);
    assert_null(rmq_client_registry_find_producer_channel(r, "X"));
    assert_ptr_equal(rmq_client_registry_find_producer_channel(r, "Y"), c);

    /* a closed channel answers nothing, before and after the registry hears */
    producer_heartbeat(r, b, "X", p9);
    assert_ptr_equal(rmq_client_registry_find_producer_channel(r, "X"), b);
    rmq_connection_close(b, "test");
    assert_null(rmq_client_registry_find_producer_channel(r, "X"));
    rmq_client_registry_channel_closed(r, b);
    assert_null(rmq_client_registry_find_producer_channel(r, "X"));
    assert_null(rmq_client_registry_producer_group(r, "P9"));

    /* a client id changing on one channel leaves the old id behind */
    producer_heartbeat(r, a, "X", eight);
    producer_heartbeat(r, a, "Z", eight);
    assert_ptr_equal(rmq_client_registry_find_producer_channel(r, "Z"), a);
    assert_null(rmq_client_registry_find_producer_channel(r, "X"));

    /* expiry (every channel is older than -1 ms) closes and forgets them */
    assert_int_equal(rmq_client_registry_scan_expired(r, 0, -1), 2);
    assert_null(rmq_client_registry_find_producer_channel(r, "Y"));
    assert_null(rmq_client_registry_find_producer_channel(r, "Z"));
    assert_int_equal(rmq_client_registry_producer_count(r), 0);
    rmq_client_registry_free(r);
    rmq_connection_unref(a);
    rmq_connection_unref(b);
    rmq_connection_unref(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heartbeat_shapes),
        cmocka_unit_test(test_sql92_subscription),
        cmocka_unit_test(test_subscription_parse),
        cmocka_unit_test(test_settings_update),
        cmocka_unit_test(test_send_header_parse),
        cmocka_unit_test(test_find_producer_channel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
