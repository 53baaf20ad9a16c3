/* rmq-broker integration: SQL92 property filters (docs/protocol.md §10.8)
 * against real daemons. CHECK_CLIENT_CONFIG with enablePropertyFilter on and
 * off and with an expression that does not compile; PULL_MESSAGE with the
 * pull's own subscription and with the heartbeat's (compiled once, reused);
 * non-matching messages skipped with the offset moving past them; retry
 * topics with and without filterSupportRetry; and the C client library
 * consuming with an SQL92 expression through a name server. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "harness.h"
#include "client/rmq-client.h"
#include "remoting/codes.h"

static BkDaemon *ns, *on, *plain, *off;
static RmqClient *client;

#define N_MSGS 20

/* Messages n = 0..19, color red for even n, blue for odd; TAGS T<n%3>. */
static void
send_numbered(BkDaemon *br, const gchar *topic)
{
    for (gint i = 0; i < N_MSGS; i++) {
        g_autofree gchar *tag = g_strdup_printf("T%d", i % 3);
        g_autofree gchar *body = g_strdup_printf("m%d", i);
        g_autofree gchar *props =
            g_strdup_printf("n\001%d\002color\001%s\002", i, i % 2 == 0 ? "red" : "blue");
        g_autoptr(RmqCommand) s = bk_send(client, br->addr, topic, 0, tag, NULL, body, props);
        assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    }
}

static int
setup(void **state)
{
    (void) state;
    ns = bk_namesrv_new();
    if (!bk_daemon_start_or_say(ns, 10000))
        return -1;
    on = bk_broker_new(ns->addr, "enablePropertyFilter = true;\nfilterSupportRetry = true;\n");
    plain = bk_broker_new(NULL, "enablePropertyFilter = true;\n");
    off = bk_broker_new(NULL, NULL);
    if (!bk_daemon_start_or_say(on, 10000) || !bk_daemon_start_or_say(plain, 10000) ||
        !bk_daemon_start_or_say(off, 10000))
        return -1;
    client = rmq_client_new(NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    rmq_client_free(client);
    bk_daemon_free(off);
    bk_daemon_free(plain);
    bk_daemon_free(on);
    bk_daemon_free(ns);
    return 0;
}

static RmqCommand *
check_config(BkDaemon *br, const gchar *type, const gchar *expr)
{
    g_autofree gchar *esc = g_strescape(expr, NULL);
    g_autofree gchar *body = g_strdup_printf(
        "{\"clientId\":\"c\",\"group\":\"G\",\"subscriptionData\":{\"topic\":\"SqlT\","
        "\"subString\":\"%s\",\"expressionType\":\"%s\",\"classFilterMode\":false}}",
        esc, type);
    g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
    return bk_invoke(client, br->addr, RMQ_REQUEST_CHECK_CLIENT_CONFIG, b, NULL);
}

static void
test_check_client_config(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) tag = check_config(off, "TAG", "*");
    assert_int_equal(tag->code, RMQ_RESPONSE_SUCCESS);
    /* disabled: Java's answer and remark */
    g_autoptr(RmqCommand) refused = check_config(off, "SQL92", "a > 1");
    assert_int_equal(refused->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(refused->remark,
                        "The broker does not support consumer to filter message by SQL92");
    g_autoptr(RmqCommand) ok = check_config(on, "SQL92", "a > 1 AND b IN ('x', 'y')");
    assert_int_equal(ok->code, RMQ_RESPONSE_SUCCESS);
    /* does not compile: SUBSCRIPTION_PARSE_FAILED (23) with the position */
    g_autoptr(RmqCommand) bad = check_config(on, "SQL92", "a and between 2 and 10");
    assert_int_equal(bad->code, RMQ_RESPONSE_SUBSCRIPTION_PARSE_FAILED);
    assert_int_equal(bad->code, 23);
    assert_non_null(strstr(bad->remark, "line 1, column 7"));
    g_autoptr(RmqCommand) unknown = check_config(on, "FOO", "a > 1");
    assert_int_equal(unknown->code, RMQ_RESPONSE_SUBSCRIPTION_PARSE_FAILED);
}

/* PULL_MESSAGE with the SUBSCRIPTION flag and expressionType SQL92. */
static RmqCommand *
pull_sql(BkDaemon *br, const gchar *group, const gchar *topic, gint64 offset, const gchar *sql,
         gint max)
{
    g_autofree gchar *o = g_strdup_printf("%" G_GINT64_FORMAT, offset);
    g_autofree gchar *m = g_strdup_printf("%d", max);
    return bk_invoke(client, br->addr, RMQ_REQUEST_PULL_MESSAGE, NULL, "consumerGroup", group,
                     "topic", topic, "queueId", "0", "queueOffset", o, "maxMsgNums", m,
                     "sysFlag", "4", "commitOffset", "0", "suspendTimeoutMillis", "0",
                     "subscription", sql, "subVersion", "0", "expressionType", "SQL92", NULL);
}

/* The "n" of every record in @resp, as "1,3,5". (transfer full) */
static gchar *
numbers(const RmqCommand *resp)
{
    g_autoptr(GArray) recs = bk_records(resp->body);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < recs->len; i++) {
        g_autofree gchar *n = bk_record_prop(&g_array_index(recs, RmqMessageRecord, i), "n");
        g_autofree gchar *body = bk_record_body(&g_array_index(recs, RmqMessageRecord, i));
        g_autofree gchar *want = g_strdup_printf("m%s", n);
        assert_string_equal(body, want);
        g_string_append_printf(s, "%s%s", i > 0 ? "," : "", n);
    }
    return g_string_free(s, FALSE);
}

static void
test_pull_own_subscription(void **state)
{
    (void) state;
    send_numbered(on, "SqlT");
    g_autoptr(RmqCommand) p =
        pull_sql(on, "SqlG1", "SqlT", 0, "n >= 5 AND n < 15 AND color = 'red'", 32);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *got = numbers(p);
    assert_string_equal(got, "6,8,10,12,14");
    /* the skipped messages are consumed past, as tag mismatches are */
    assert_int_equal(bk_ext_int(p, "nextBeginOffset", -1), N_MSGS);
    /* a batch stops at maxMsgNums matching messages */
    g_autoptr(RmqCommand) two = pull_sql(on, "SqlG1", "SqlT", 0, "color = 'blue'", 2);
    g_autofree gchar *got2 = numbers(two);
    assert_string_equal(got2, "1,3");
    assert_int_equal(bk_ext_int(two, "nextBeginOffset", -1), 4);
    /* nothing matches: PULL_RETRY_IMMEDIATELY, offset at the end */
    g_autoptr(RmqCommand) none = pull_sql(on, "SqlG1", "SqlT", 0, "n > 100", 32);
    assert_int_equal(none->code, RMQ_RESPONSE_PULL_RETRY_IMMEDIATELY);
    assert_int_equal(bk_ext_int(none, "nextBeginOffset", -1), N_MSGS);
    /* missing property: never delivered; TAGS is a property like the others */
    g_autoptr(RmqCommand) tags = pull_sql(on, "SqlG1", "SqlT", 0, "TAGS = 'T1' OR nope = 1", 32);
    g_autofree gchar *got3 = numbers(tags);
    assert_string_equal(got3, "1,4,7,10,13,16,19");
    /* a string that is no number: Java's evaluation error, not delivered */
    g_autoptr(RmqCommand) err = pull_sql(on, "SqlG1", "SqlT", 0, "color > 1", 32);
    assert_int_equal(err->code, RMQ_RESPONSE_PULL_RETRY_IMMEDIATELY);
    /* does not compile */
    g_autoptr(RmqCommand) bad = pull_sql(on, "SqlG1", "SqlT", 0, "n >", 32);
    assert_int_equal(bad->code, RMQ_RESPONSE_SUBSCRIPTION_PARSE_FAILED);
    assert_non_null(strstr(bad->remark, "line 1, column 4"));
    /* enablePropertyFilter off: Java's refusal */
    send_numbered(off, "SqlT");
    g_autoptr(RmqCommand) refused = pull_sql(off, "SqlG1", "SqlT", 0, "n > 1", 32);
    assert_int_equal(refused->code, RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(refused->remark,
                        "The broker does not support consumer to filter message by SQL92");
    /* tag pulls are as before */
    g_autoptr(RmqCommand) t = bk_pull(client, on->addr, "SqlG1", "SqlT", 0, 0, "T2", 0);
    g_autofree gchar *got4 = numbers(t);
    assert_string_equal(got4, "2,5,8,11,14,17");
}

static RmqCommand *
heartbeat(BkDaemon *br, const gchar *group, const gchar *subs_json)
{
    g_autofree gchar *body = g_strdup_printf(
        "{\"clientID\":\"127.0.0.1@sql\",\"consumerDataSet\":[{\"groupName\":\"%s\","
        "\"consumeType\":\"CONSUME_PASSIVELY\",\"messageModel\":\"CLUSTERING\","
        "\"consumeFromWhere\":\"CONSUME_FROM_FIRST_OFFSET\",\"subscriptionDataSet\":[%s],"
        "\"unitMode\":false}],\"producerDataSet\":[]}",
        group, subs_json);
    g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
    return bk_invoke(client, br->addr, RMQ_REQUEST_HEART_BEAT, b, NULL);
}

static gchar *
sub_json(const gchar *topic, const gchar *type, const gchar *expr)
{
    return g_strdup_printf("{\"topic\":\"%s\",\"subString\":\"%s\",\"expressionType\":\"%s\","
                           "\"classFilterMode\":false,\"subVersion\":1,\"tagsSet\":[],"
                           "\"codeSet\":[]}",
                           topic, expr, type);
}

/* PULL_MESSAGE without the SUBSCRIPTION flag: the heartbeat's filter. */
static RmqCommand *
pull_registered(BkDaemon *br, const gchar *group, const gchar *topic)
{
    return bk_invoke(client, br->addr, RMQ_REQUEST_PULL_MESSAGE, NULL, "consumerGroup", group,
                     "topic", topic, "queueId", "0", "queueOffset", "0", "maxMsgNums", "32",
                     "sysFlag", "0", "commitOffset", "0", "suspendTimeoutMillis", "0",
                     "subscription", "", "subVersion", "1", "expressionType", "SQL92", NULL);
}

static void
test_pull_heartbeat_subscription(void **state)
{
    (void) state;
    send_numbered(plain, "SqlH");
    g_autofree gchar *s = sub_json("SqlH", "SQL92", "n < 3 OR n BETWEEN 17 AND 18");
    g_autoptr(RmqCommand) h = heartbeat(plain, "SqlGH", s);
    assert_int_equal(h->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p = pull_registered(plain, "SqlGH", "SqlH");
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *got = numbers(p);
    assert_string_equal(got, "0,1,2,17,18");
    /* the same heartbeat again, then a new expression: the new one is used */
    g_autoptr(RmqCommand) h2 = heartbeat(plain, "SqlGH", s);
    assert_int_equal(h2->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *s3 = sub_json("SqlH", "SQL92", "n = 9");
    g_autoptr(RmqCommand) h3 = heartbeat(plain, "SqlGH", s3);
    assert_int_equal(h3->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p3 = pull_registered(plain, "SqlGH", "SqlH");
    g_autofree gchar *got3 = numbers(p3);
    assert_string_equal(got3, "9");
    /* an expression that does not compile: Java's FILTER_DATA_NOT_EXIST */
    g_autofree gchar *bad = sub_json("SqlH", "SQL92", "n <");
    g_autoptr(RmqCommand) h4 = heartbeat(plain, "SqlGH", bad);
    assert_int_equal(h4->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p4 = pull_registered(plain, "SqlGH", "SqlH");
    assert_int_equal(p4->code, RMQ_RESPONSE_FILTER_DATA_NOT_EXIST);
    /* enablePropertyFilter off: refused at pull time */
    send_numbered(off, "SqlH");
    g_autoptr(RmqCommand) h5 = heartbeat(off, "SqlGH", s);
    assert_int_equal(h5->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p5 = pull_registered(off, "SqlGH", "SqlH");
    assert_int_equal(p5->code, RMQ_RESPONSE_SYSTEM_ERROR);
}

/* A retry topic's messages carry RETRY_TOPIC: with filterSupportRetry the
 * group's filter on that topic decides, without it (Java's default) the
 * retry subscription "*" takes everything. */
static void
retry_case(BkDaemon *br, const gchar *want)
{
    g_autofree gchar *s1 = sub_json("SqlR", "SQL92", "n = 1 OR n = 3");
    g_autofree gchar *s2 = sub_json("%RETRY%SqlGR", "TAG", "*");
    g_autofree gchar *subs = g_strdup_printf("%s,%s", s1, s2);
    g_autoptr(RmqCommand) h = heartbeat(br, "SqlGR", subs);
    assert_int_equal(h->code, RMQ_RESPONSE_SUCCESS);
    for (gint i = 0; i < 5; i++) {
        g_autofree gchar *body = g_strdup_printf("m%d", i);
        g_autofree gchar *props = g_strdup_printf("n\001%d\002RETRY_TOPIC\001SqlR\002", i);
        g_autoptr(RmqCommand) r =
            bk_send(client, br->addr, "%RETRY%SqlGR", 0, NULL, NULL, body, props);
        assert_int_equal(r->code, RMQ_RESPONSE_SUCCESS);
    }
    g_autoptr(RmqCommand) p = bk_invoke(
        client, br->addr, RMQ_REQUEST_PULL_MESSAGE, NULL, "consumerGroup", "SqlGR", "topic",
        "%RETRY%SqlGR", "queueId", "0", "queueOffset", "0", "maxMsgNums", "32", "sysFlag", "0",
        "commitOffset", "0", "suspendTimeoutMillis", "0", "subscription", "*", "subVersion", "0",
        "expressionType", "TAG", NULL);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    g_autofree gchar *got = numbers(p);
    assert_string_equal(got, want);
    assert_int_equal(bk_ext_int(p, "nextBeginOffset", -1), 5);
}

static void
test_retry_topic(void **state)
{
    (void) state;
    retry_case(on, "1,3");
    retry_case(plain, "0,1,2,3,4");
}

/* The C client library: heartbeat, CHECK_CLIENT_CONFIG and pulls with SQL92. */
static void
test_client_library(void **state)
{
    (void) state;
    send_numbered(on, "SqlC");
    g_autoptr(RmqConsumer) c = rmq_consumer_new("SqlGC", ns->addr, NULL);
    rmq_consumer_set_subscription(c, "SQL92", "n > 16 OR color = 'blue' AND n < 4");
    g_autoptr(GError) error = NULL;
    /* the auto-created topic reaches the name server with the broker's next registration */
    g_autoptr(GPtrArray) qs = NULL;
    for (gint i = 0; i < 100 && qs == NULL; i++) {
        g_clear_error(&error);
        qs = rmq_consumer_fetch_subscribe_queues(c, "SqlC", &error);
        if (qs == NULL)
            g_usleep(100000);
    }
    assert_non_null(qs);
    assert_true(rmq_consumer_check_subscription(c, "SqlC", &error));
    assert_true(rmq_consumer_heartbeat(c, "SqlC", &error));
    GString *got = g_string_new(NULL);
    for (guint i = 0; i < qs->len; i++) {
        const RmqQueue *q = g_ptr_array_index(qs, i);
        RmqPullResult r;
        assert_true(rmq_consumer_pull(c, q, NULL, 0, 32, 0, &r, &error));
        for (guint k = 0; r.msgs != NULL && k < r.msgs->len; k++)
            g_string_append_printf(got, "%s,", rmq_msg_get_property(g_ptr_array_index(r.msgs, k),
                                                                   "n"));
        rmq_pull_result_clear(&r);
    }
    assert_string_equal(got->str, "1,3,17,18,19,");
    g_string_free(got, TRUE);
    /* a bad expression is refused before consuming, with the position */
    rmq_consumer_set_subscription(c, "SQL92", "n = 'x");
    g_autoptr(GError) bad = NULL;
    assert_false(rmq_consumer_check_subscription(c, "SqlC", &bad));
    assert_non_null(strstr(bad->message, "code 23"));
    assert_non_null(strstr(bad->message, "line 1, column"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_client_config),
        cmocka_unit_test(test_pull_own_subscription),
        cmocka_unit_test(test_pull_heartbeat_subscription),
        cmocka_unit_test(test_retry_topic),
        cmocka_unit_test(test_client_library),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
