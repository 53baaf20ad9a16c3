/* Unit tests of the broker's command table and of the send path's steps
 * (send.h) without sockets: the flag refusals (write permission, slave,
 * group, VIP channel), validation failures, retry and DLQ routing shared with
 * CONSUMER_SEND_MSG_BACK, half messages, batch decoding, and the put and
 * send-back against a store in a temporary directory. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "../support/daemon-harness.h"
#include "broker/store_stats.h"
#include "broker/broker.h"
#include "remoting/fd_poller.h"
#include "broker/commands.h"
#include "broker/flow_control.h"
#include "broker/long_poll.h"
#include "broker/send.h"
#include "remoting/codec.h"
#include "remoting/codes.h"
#include "remoting/json_header.h"

typedef struct {
    RmqBroker *b;
    gchar *dir;
} Fixture;

static void
no_wake(RmqConnection *conn, const RmqCommand *request, gpointer data)
{
    (void) conn;
    (void) request;
    (void) data;
}

static gint64
no_max(const gchar *topic, gint32 queue_id, gpointer data)
{
    (void) topic;
    (void) queue_id;
    (void) data;
    return 0;
}

/* A broker with its tables, settings and long polling but no server, store
 * or name server: what the steps before the put use. */
static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->dir = g_dir_make_tmp("rmq-send-steps-XXXXXX", NULL);
    RmqBroker *b = g_new0(RmqBroker, 1);
    b->settings.cluster_name = g_strdup("C1");
    b->settings.broker_name = g_strdup("B1");
    b->settings.broker_permission = RMQ_PERM_READ | RMQ_PERM_WRITE;
    b->settings.max_message_size = 1024;
    b->settings.auto_create_topic_enable = TRUE;
    RmqTopicTableOptions o;
    rmq_topic_table_options_init(&o);
    o.cluster_name = "C1";
    o.broker_name = "B1";
    b->topics = rmq_topic_table_new(&o);
    b->groups = rmq_subscription_group_table_new();
    b->topics_path = g_build_filename(f->dir, "topics.json", NULL);
    b->groups_path = g_build_filename(f->dir, "subscriptionGroup.json", NULL);
    b->long_poll = rmq_long_poll_new(no_wake, no_max, b, 1000);
    b->store_host.addr_len = 4;
    b->store_host.port = 10911;
    b->stats.store = rmq_store_stats_new(0);
    f->b = b;
    *state = f;
    return 0;
}


static int
teardown(void **state)
{
    Fixture *f = *state;
    rmq_broker_free(f->b);
    rmq_test_rm_rf(f->dir);
    g_free(f->dir);
    g_free(f);
    return 0;
}

static const RmqServerCommand *
row(gint32 code)
{
    gsize n;
    const RmqServerCommand *t = rmq_broker_commands(&n);
    for (gsize i = 0; i < n; i++)
        if (t[i].code == code)
            return &t[i];
    fail_msg("code %d is not in the command table", code);
    return NULL;
}

/* rmq_broker_command_check for @code: the response code; @remark_out gets
 * the remark (may be NULL). */
static gint32
check(RmqBroker *b, gint32 code, const RmqCommand *req, gboolean vip, gchar **remark_out)
{
    gchar *remark = NULL;
    gint32 rc = rmq_broker_command_check(b, row(code), req, vip, &remark);
    if (remark_out != NULL)
        *remark_out = remark;
    else
        g_free(remark);
    return rc;
}

static void
test_command_table(void **state)
{
    (void) state;
    gsize n;
    const RmqServerCommand *t = rmq_broker_commands(&n);
    assert_true(n >= 40);
    for (gsize i = 0; i < n; i++) {
        assert_non_null(t[i].handler);
        assert_string_equal(t[i].name, rmq_request_code_name(t[i].code));
        if (t[i].flags & RMQ_BROKER_CMD_MASTER)
            assert_non_null(t[i].detail); /* each master-only row says how a slave refuses */
        for (gsize j = i + 1; j < n; j++)
            assert_int_not_equal(t[i].code, t[j].code);
    }
    assert_int_equal(row(RMQ_REQUEST_SEND_MESSAGE_V2)->flags,
                     RMQ_BROKER_CMD_WRITE | RMQ_BROKER_CMD_MASTER);
    assert_int_equal(row(RMQ_REQUEST_PULL_MESSAGE)->flags, RMQ_BROKER_CMD_NOT_VIP);
    assert_int_equal(row(RMQ_REQUEST_HEART_BEAT)->flags, 0);
}

static void
test_flag_refusals(void **state)
{
    Fixture *f = *state;
    RmqBroker *b = f->b;
    g_autoptr(RmqCommand) req = rmq_command_new_request(RMQ_REQUEST_SEND_MESSAGE_V2);
    gchar *remark = NULL;

    assert_int_equal(check(b, RMQ_REQUEST_SEND_MESSAGE_V2, req, FALSE, NULL), RMQ_RESPONSE_SUCCESS);
    /* WRITE: brokerPermission without the write bit */
    b->settings.broker_permission = RMQ_PERM_READ;
    assert_int_equal(check(b, RMQ_REQUEST_SEND_MESSAGE_V2, req, FALSE, &remark),
                     RMQ_RESPONSE_NO_PERMISSION);
    assert_string_equal(remark, "the broker[B1] sending message is forbidden");
    g_clear_pointer(&remark, g_free);
    assert_int_equal(check(b, RMQ_REQUEST_SEND_BATCH_MESSAGE, req, FALSE, NULL),
                     RMQ_RESPONSE_NO_PERMISSION);
    assert_int_equal(check(b, RMQ_REQUEST_PULL_MESSAGE, req, FALSE, NULL), RMQ_RESPONSE_SUCCESS);
    b->settings.broker_permission = RMQ_PERM_READ | RMQ_PERM_WRITE;

    /* MASTER: each code keeps its own slave answer */
    b->settings.slave = TRUE;
    assert_int_equal(check(b, RMQ_REQUEST_SEND_MESSAGE, req, FALSE, &remark),
                     RMQ_RESPONSE_SERVICE_NOT_AVAILABLE);
    assert_string_equal(remark, "the broker is a slave, it does not accept writes");
    g_clear_pointer(&remark, g_free);
    assert_int_equal(check(b, RMQ_REQUEST_END_TRANSACTION, req, FALSE, &remark),
                     RMQ_RESPONSE_SLAVE_NOT_AVAILABLE);
    assert_string_equal(remark, "Can't process transaction on a slave broker");
    g_clear_pointer(&remark, g_free);
    assert_int_equal(check(b, RMQ_REQUEST_DELETE_SUBSCRIPTIONGROUP, req, FALSE, &remark),
                     RMQ_RESPONSE_SYSTEM_ERROR);
    assert_non_null(strstr(remark, "from slave broker"));
    g_clear_pointer(&remark, g_free);
    assert_int_equal(check(b, RMQ_REQUEST_PULL_MESSAGE, req, FALSE, NULL), RMQ_RESPONSE_SUCCESS);
    assert_int_equal(check(b, RMQ_REQUEST_GET_ALL_TOPIC_CONFIG, req, FALSE, NULL),
                     RMQ_RESPONSE_SUCCESS);

    /* GROUP comes before the slave check; the group must exist */
    g_autoptr(RmqCommand) back = rmq_command_new_request(RMQ_REQUEST_CONSUMER_SEND_MSG_BACK);
    assert_int_equal(check(b, RMQ_REQUEST_CONSUMER_SEND_MSG_BACK, back, FALSE, &remark),
                     RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(remark, "the custom field <group> is null");
    g_clear_pointer(&remark, g_free);
    rmq_command_set_ext(back, "group", "G");
    assert_int_equal(check(b, RMQ_REQUEST_CONSUMER_SEND_MSG_BACK, back, FALSE, &remark),
                     RMQ_RESPONSE_SUBSCRIPTION_GROUP_NOT_EXIST);
    assert_string_equal(remark, "subscription group not exist, G");
    g_clear_pointer(&remark, g_free);
    b->settings.auto_create_subscription_group = TRUE;
    assert_int_equal(check(b, RMQ_REQUEST_CONSUMER_SEND_MSG_BACK, back, FALSE, &remark),
                     RMQ_RESPONSE_SUCCESS);
    assert_null(remark);
    assert_non_null(rmq_subscription_group_table_lookup(b->groups, "G"));
    /* On a slave, send-back answers as Java: SUCCESS for a group without
     * retry queues, else the store's refusal (before the store is touched). */
    rmq_command_set_ext(back, "offset", "0");
    RmqSubscriptionGroup *sg = rmq_subscription_group_copy(
        rmq_subscription_group_table_lookup(b->groups, "G"));
    sg->retry_queue_nums = 0;
    rmq_subscription_group_table_update(b->groups, sg);
    assert_int_equal(rmq_broker_send_back_execute(b, back, &remark), RMQ_RESPONSE_SUCCESS);
    assert_null(remark);
    sg->retry_queue_nums = 1;
    rmq_subscription_group_table_update(b->groups, sg);
    rmq_subscription_group_free(sg);
    assert_int_equal(rmq_broker_send_back_execute(b, back, &remark), RMQ_RESPONSE_SYSTEM_ERROR);
    assert_string_equal(remark, "service not available now, the broker is a slave");
    g_clear_pointer(&remark, g_free);
    b->settings.slave = FALSE;
    assert_int_equal(check(b, RMQ_REQUEST_CONSUMER_SEND_MSG_BACK, back, FALSE, NULL),
                     RMQ_RESPONSE_SUCCESS);

    /* NOT_VIP */
    assert_int_equal(check(b, RMQ_REQUEST_PULL_MESSAGE, req, TRUE, &remark),
                     RMQ_RESPONSE_REQUEST_CODE_NOT_SUPPORTED);
    assert_string_equal(remark, " request type 310 not supported");
    g_clear_pointer(&remark, g_free);
    assert_int_equal(check(b, RMQ_REQUEST_SEND_MESSAGE_V2, req, TRUE, NULL), RMQ_RESPONSE_SUCCESS);
}

/* A V2 send of @topic to @qid with @props (may be NULL) and @body. */
static RmqCommand *
send_req(const gchar *topic, const gchar *qid, const gchar *props, const void *body, gsize len)
{
    RmqCommand *c = rmq_command_new_request(RMQ_REQUEST_SEND_MESSAGE_V2);
    const gchar *kv[] = { "a", "PG", "b", topic, "c", "TBW102", "d", "4", "e", qid,
                          "f", "0", "g", "1700000000000", "h", "0", NULL };
    for (guint i = 0; kv[i] != NULL; i += 2)
        rmq_command_set_ext(c, kv[i], kv[i + 1]);
    if (props != NULL)
        rmq_command_set_ext(c, "i", props);
    if (body != NULL)
        rmq_command_set_body_data(c, body, len);
    return c;
}

/* The header's 32-bit numbers read as rmq_command_parse_int64 reads them,
 * whatever the text (the parser has a fast path for plain digits). */
static void
test_header_numbers(void **state)
{
    (void) state;
    static const gchar *const texts[] = {
        "0", "7", "007", "123456789", "999999999", "1000000000", "2147483647", "2147483648",
        "-1", "-2147483648", "-2147483649", "+3", "", " 1", "1 ", "1a", "0x10", "-",
        "99999999999999999999",
    };
    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        g_autoptr(RmqCommand) c = send_req("T1", texts[i], NULL, NULL, 0);
        RmqSendHeader hd;
        g_autofree gchar *remark = NULL;
        gboolean ok = rmq_broker_send_header_parse(c, &hd, &remark);
        gint64 want = 0;
        gboolean want_ok = rmq_command_parse_int64(texts[i], G_MININT32, G_MAXINT32, &want);
        if (ok != want_ok)
            print_message("queueId \"%s\": parsed %d, expected %d\n", texts[i], ok, want_ok);
        assert_int_equal(ok, want_ok);
        if (ok)
            assert_int_equal(hd.queue_id, want);
    }
}

/* parse + validate: the response code; @t is filled on success. */
static gint32
validate(RmqBroker *b, const RmqCommand *c, RmqSendRequest *r, RmqSendTarget *t, gchar **remark)
{
    gint32 code = rmq_broker_send_parse(c, r, remark);
    return code != RMQ_RESPONSE_SUCCESS ? code : rmq_broker_send_validate(b, r, t, remark);
}

static void
test_validate(void **state)
{
    Fixture *f = *state;
    RmqBroker *b = f->b;
    RmqSendRequest r;
    RmqSendTarget t = { 0 };
    gchar *remark = NULL;

    /* parse: a missing required field */
    g_autoptr(RmqCommand) c0 = send_req("T", "0", NULL, "x", 1);
    rmq_command_remove_ext(c0, "h");
    assert_int_equal(validate(b, c0, &r, &t, &remark), RMQ_RESPONSE_MESSAGE_ILLEGAL);
    assert_string_equal(remark, "the custom field <flag> is null");
    g_clear_pointer(&remark, g_free);

    /* auto-creation from TBW102; a negative queue id picks a write queue */
    g_autoptr(RmqCommand) c1 = send_req("T1", "-1", NULL, "x", 1);
    assert_int_equal(validate(b, c1, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
    assert_null(remark);
    assert_string_equal(t.topic, "T1");
    const RmqTopicConfig *tc = rmq_topic_table_lookup(b->topics, "T1");
    assert_non_null(tc);
    assert_true(t.queue_id >= 0 && t.queue_id < tc->write_queue_nums);
    assert_true(g_file_test(b->topics_path, G_FILE_TEST_EXISTS)); /* persisted */
    rmq_send_target_clear(&t);

    /* illegal name, queue id out of range, body over maxMessageSize */
    g_autoptr(RmqCommand) c2 = send_req("bad topic", "0", NULL, "x", 1);
    assert_int_equal(validate(b, c2, &r, &t, &remark), RMQ_RESPONSE_MESSAGE_ILLEGAL);
    assert_true(g_str_has_prefix(remark, "illegal topic name"));
    g_clear_pointer(&remark, g_free);
    g_autoptr(RmqCommand) c3 = send_req("T1", "99", NULL, "x", 1);
    assert_int_equal(validate(b, c3, &r, &t, &remark), RMQ_RESPONSE_SYSTEM_ERROR);
    assert_true(g_str_has_prefix(remark, "request queueId[99] is illegal, topic:T1"));
    g_clear_pointer(&remark, g_free);
    gchar big[1025] = { 0 };
    g_autoptr(RmqCommand) c4 = send_req("T1", "0", NULL, big, sizeof big);
    assert_int_equal(validate(b, c4, &r, &t, &remark), RMQ_RESPONSE_MESSAGE_ILLEGAL);
    assert_string_equal(remark, "the message body size over max value, MAX: 1024");
    g_clear_pointer(&remark, g_free);
    assert_null(t.topic);

    /* the validate step remembers the last name it passed (T1): names
     * checked after it, twice each, are still refused */
    static const gchar *const refused[] = { "bad topic", "", "SCHEDULE_TOPIC_XXXX",
                                            "bad topic", "", "SCHEDULE_TOPIC_XXXX" };
    for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autoptr(RmqCommand) ok = send_req("T1", "0", NULL, "x", 1);
        assert_int_equal(validate(b, ok, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
        rmq_send_target_clear(&t);
        g_autoptr(RmqCommand) bad = send_req(refused[i], "0", NULL, "x", 1);
        gint32 want = refused[i][0] == 'S' ? RMQ_RESPONSE_NO_PERMISSION
                                           : RMQ_RESPONSE_MESSAGE_ILLEGAL;
        assert_int_equal(validate(b, bad, &r, &t, &remark), want);
        g_clear_pointer(&remark, g_free);
    }

    /* the topic config kept with the last name (T1) follows the table: a
     * changed perm, changed queue counts, a delete (auto-created again) */
    g_autoptr(RmqCommand) c6 = send_req("T1", "3", NULL, "x", 1);
    assert_int_equal(validate(b, c6, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
    rmq_send_target_clear(&t);
    g_autoptr(RmqTopicConfig) t1 = rmq_topic_config_copy(rmq_topic_table_lookup(b->topics, "T1"));
    t1->perm = RMQ_PERM_READ;
    rmq_topic_table_update(b->topics, t1);
    assert_int_equal(validate(b, c6, &r, &t, &remark), RMQ_RESPONSE_NO_PERMISSION);
    assert_string_equal(remark, "the topic[T1] sending message is forbidden");
    g_clear_pointer(&remark, g_free);
    t1->perm = RMQ_PERM_READ | RMQ_PERM_WRITE;
    t1->read_queue_nums = t1->write_queue_nums = 2;
    rmq_topic_table_update(b->topics, t1);
    assert_int_equal(validate(b, c6, &r, &t, &remark), RMQ_RESPONSE_SYSTEM_ERROR);
    assert_true(g_str_has_prefix(remark, "request queueId[3] is illegal, topic:T1"));
    g_clear_pointer(&remark, g_free);
    assert_true(rmq_topic_table_delete(b->topics, "T1"));
    assert_int_equal(validate(b, c6, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
    assert_null(remark);
    assert_ptr_equal(b->send_topic.tc, rmq_topic_table_lookup(b->topics, "T1"));
    rmq_send_target_clear(&t);

    /* a topic without the write bit */
    g_autoptr(RmqTopicConfig) ro = rmq_topic_config_new("RO");
    ro->perm = RMQ_PERM_READ;
    rmq_topic_table_update(b->topics, ro);
    g_autoptr(RmqCommand) c5 = send_req("RO", "0", NULL, "x", 1);
    assert_int_equal(validate(b, c5, &r, &t, &remark), RMQ_RESPONSE_NO_PERMISSION);
    assert_string_equal(remark, "the topic[RO] sending message is forbidden");
    g_clear_pointer(&remark, g_free);
}

static void
test_retry_and_dlq_routing(void **state)
{
    Fixture *f = *state;
    RmqBroker *b = f->b;
    g_autoptr(RmqSubscriptionGroup) sg = rmq_subscription_group_new("G");
    sg->retry_queue_nums = 2;
    sg->retry_max_times = 5;
    rmq_subscription_group_table_update(b->groups, sg);
    const RmqSubscriptionGroup *g = rmq_subscription_group_table_lookup(b->groups, "G");

    /* the version >= 121 rule */
    assert_int_equal(rmq_broker_retry_max(g, 121, 2), 2);
    assert_int_equal(rmq_broker_retry_max(g, 120, 2), 5);
    assert_int_equal(rmq_broker_retry_max(g, 400, -1), 5);

    /* send-back routing: %RETRY%G with the group's queues, %DLQ%G with one */
    RmqSendTarget rt = { 0 };
    rmq_broker_retry_target(b, "G", g, FALSE, &rt);
    assert_string_equal(rt.topic, "%RETRY%G");
    assert_false(rt.dlq);
    assert_true(rt.queue_id >= 0 && rt.queue_id < 2);
    assert_int_equal(rmq_topic_table_lookup(b->topics, "%RETRY%G")->write_queue_nums, 2);
    rmq_send_target_clear(&rt);

    /* a %RETRY% send below the limit stays where it was sent */
    RmqSendRequest r;
    RmqSendTarget t = { 0 };
    gchar *remark = NULL;
    g_autoptr(RmqCommand) c = send_req("%RETRY%G", "1", NULL, "x", 1);
    rmq_command_set_ext(c, "j", "4"); /* reconsumeTimes */
    assert_int_equal(validate(b, c, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
    assert_int_equal(rmq_broker_send_resolve(b, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
    assert_string_equal(t.topic, "%RETRY%G");
    assert_int_equal(t.queue_id, 1);
    assert_false(t.dlq);
    rmq_send_target_clear(&t);
    assert_null(rmq_topic_table_lookup(b->topics, "%DLQ%G"));

    /* at the limit it goes to the DLQ, which is created with one queue */
    rmq_command_set_ext(c, "j", "5");
    assert_int_equal(validate(b, c, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
    assert_int_equal(rmq_broker_send_resolve(b, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
    assert_string_equal(t.topic, "%DLQ%G");
    assert_int_equal(t.queue_id, 0);
    assert_true(t.dlq);
    assert_int_equal(rmq_topic_table_lookup(b->topics, "%DLQ%G")->write_queue_nums, 1);
    rmq_send_target_clear(&t);

    /* maxReconsumeTimes of the request counts from version 121 on */
    rmq_command_set_ext(c, "j", "3");
    rmq_command_set_ext(c, "l", "3");
    c->version = 120;
    assert_int_equal(validate(b, c, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
    assert_int_equal(rmq_broker_send_resolve(b, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
    assert_false(t.dlq);
    rmq_send_target_clear(&t);
    c->version = 121;
    assert_int_equal(validate(b, c, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
    assert_int_equal(rmq_broker_send_resolve(b, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
    assert_true(t.dlq);
    rmq_send_target_clear(&t);

    /* an unknown group (no auto-creation) */
    g_autoptr(RmqCommand) u = send_req("%RETRY%NOPE", "0", NULL, "x", 1);
    assert_int_equal(validate(b, u, &r, &t, &remark), RMQ_RESPONSE_SUCCESS);
    assert_int_equal(rmq_broker_send_resolve(b, &r, &t, &remark),
                     RMQ_RESPONSE_SUBSCRIPTION_GROUP_NOT_EXIST);
    assert_string_equal(remark, "subscription group not exist, NOPE");
    g_clear_pointer(&remark, g_free);
    rmq_send_target_clear(&t);
}

/* One batch item (docs/protocol.md §6.6): total, magic, body CRC, flag, body length, body,
 * properties length (2 bytes), properties. */
static void
batch_item(GByteArray *out, gint32 flag, const gchar *body, const gchar *props)
{
    guint32 blen = (guint32) strlen(body);
    guint16 plen = (guint16) strlen(props);
    guint32 total = 20 + blen + 2 + plen;
    guint32 be[5] = { GUINT32_TO_BE(total), 0, 0, GUINT32_TO_BE((guint32) flag),
                      GUINT32_TO_BE(blen) };
    g_byte_array_append(out, (const guint8 *) be, sizeof be);
    g_byte_array_append(out, (const guint8 *) body, blen);
    guint16 bp = GUINT16_TO_BE(plen);
    g_byte_array_append(out, (const guint8 *) &bp, 2);
    g_byte_array_append(out, (const guint8 *) props, plen);
}

/* parse + validate + resolve + build of @c. */
static gint32
build(RmqBroker *b, const RmqCommand *c, RmqSendTarget *t, RmqSendBuild *m, gchar **remark)
{
    RmqSendRequest r;
    RmqHostAddr born = { .addr_len = 4, .port = 5555 };
    gint32 code = validate(b, c, &r, t, remark);
    if (code == RMQ_RESPONSE_SUCCESS)
        code = rmq_broker_send_resolve(b, &r, t, remark);
    if (code == RMQ_RESPONSE_SUCCESS)
        code = rmq_broker_send_build(b, &r, t, &born, m, remark);
    return code;
}

static void
test_build(void **state)
{
    Fixture *f = *state;
    RmqBroker *b = f->b;
    RmqSendTarget t = { 0 };
    RmqSendBuild m = { 0 };
    gchar *remark = NULL;

    /* one message: WAIT dropped, CLUSTER added, tag code of TAGS */
    g_autoptr(RmqCommand) c = send_req("T1", "1", "TAGS\001x\002WAIT\001false", "hello", 5);
    assert_int_equal(build(b, c, &t, &m, &remark), RMQ_RESPONSE_SUCCESS);
    guint n = 0;
    const RmqMessage *msg = rmq_send_build_messages(&m, &n);
    assert_int_equal(n, 1);
    assert_string_equal(msg->topic, "T1");
    assert_int_equal(msg->queue_id, 1);
    assert_int_equal(msg->body_len, 5);
    assert_int_equal(msg->born_host.port, 5555);
    assert_string_equal(msg->properties, "TAGS\001x\002CLUSTER\001C1");
    assert_false(m.wait);
    assert_false(m.batch);
    assert_true(m.tag_code == rmq_message_tag_code("x", 1));
    assert_string_equal(m.stored_topic, "T1");
    rmq_send_build_clear(&m);
    rmq_send_target_clear(&t);

    /* properties longer than the build's inline room: the same edit, on the heap */
    {
        g_autofree gchar *big = g_strnfill(700, 'k');
        g_autofree gchar *props = g_strconcat("KEYS\001", big, "\002WAIT\001true\002TAGS\001y", NULL);
        g_autofree gchar *want = g_strconcat("KEYS\001", big, "\002TAGS\001y\002CLUSTER\001C1", NULL);
        g_autoptr(RmqCommand) lc = send_req("T1", "1", props, "hello", 5);
        RmqSendBuild lm = { 0 };
        assert_int_equal(build(b, lc, &t, &lm, &remark), RMQ_RESPONSE_SUCCESS);
        const RmqMessage *lmsg = rmq_send_build_messages(&lm, &n);
        assert_int_equal(lmsg->properties_len, strlen(want));
        assert_string_equal(lmsg->properties, want);
        assert_true(lm.wait);
        assert_true(lm.tag_code == rmq_message_tag_code("y", 1));
        assert_non_null(lm.one_props);
        rmq_send_build_clear(&lm);
        rmq_send_target_clear(&t);
    }

    /* a prepared message becomes a half message; the reply keeps the real queue */
    rmq_command_set_ext(c, "f", "4");
    assert_int_equal(build(b, c, &t, &m, &remark), RMQ_RESPONSE_SUCCESS);
    msg = rmq_send_build_messages(&m, &n);
    assert_string_equal(msg->topic, RMQ_TOPIC_TRANS_HALF);
    assert_int_equal(msg->queue_id, 0);
    assert_int_equal(msg->sys_flag & RMQ_SYSFLAG_TRANSACTION_MASK, 0);
    g_autofree gchar *real = rmq_message_property_dup(msg->properties, msg->properties_len, "REAL_TOPIC");
    g_autofree gchar *rqid = rmq_message_property_dup(msg->properties, msg->properties_len, "REAL_QID");
    assert_string_equal(real, "T1");
    assert_string_equal(rqid, "1");
    assert_int_equal(t.queue_id, 1);
    rmq_send_build_clear(&m);
    rmq_send_target_clear(&t);
    b->settings.reject_transaction_message = TRUE;
    assert_int_equal(build(b, c, &t, &m, &remark), RMQ_RESPONSE_NO_PERMISSION);
    assert_string_equal(remark, "the broker[B1] sending transaction message is forbidden");
    g_clear_pointer(&remark, g_free);
    rmq_send_build_clear(&m);
    rmq_send_target_clear(&t);

    /* a batch: each item's properties, then the envelope's */
    g_autoptr(GByteArray) body = g_byte_array_new();
    batch_item(body, 7, "one", "KEYS\001k1");
    batch_item(body, 8, "two!", "");
    g_autoptr(RmqCommand) bc = send_req("T1", "0", "WAIT\001true", body->data, body->len);
    rmq_command_set_ext(bc, "m", "true");
    assert_int_equal(build(b, bc, &t, &m, &remark), RMQ_RESPONSE_SUCCESS);
    assert_true(m.batch);
    assert_true(m.wait);
    msg = rmq_send_build_messages(&m, &n);
    assert_int_equal(n, 2);
    assert_int_equal(msg->flag, 7);
    assert_int_equal(msg->body_len, 3);
    assert_memory_equal(msg->body, "one", 3);
    assert_string_equal(msg->properties, "KEYS\001k1\002CLUSTER\001C1");
    msg++;
    assert_int_equal(msg->flag, 8);
    assert_memory_equal(msg->body, "two!", 4);
    assert_string_equal(msg->properties, "CLUSTER\001C1");
    rmq_send_build_clear(&m);
    rmq_send_target_clear(&t);

    /* items' own WAIT dropped, segments Java skips dropped, duplicates kept
     * (the last wins), and each item's view describes its final string */
    g_autoptr(GByteArray) mixed = g_byte_array_new();
    const gchar *want[] = {
        "UNIQ_KEY\001u1\002TAGS\001a\002UNIQ_KEY\001env\002CLUSTER\001C1",
        "KEYS\001k2 k3\002UNIQ_KEY\001env\002CLUSTER\001C1",
        "UNIQ_KEY\001env\002CLUSTER\001C1",
    };
    batch_item(mixed, 1, "a", "WAIT\001false\002UNIQ_KEY\001u1\002TAGS\001a");
    batch_item(mixed, 2, "bb", "x\002KEYS\001k2 k3\002WAIT\001true");
    batch_item(mixed, 3, "ccc", "");
    g_autoptr(RmqCommand) mc = send_req("T1", "0", "UNIQ_KEY\001env\002WAIT\001false",
                                        mixed->data, mixed->len);
    rmq_command_set_ext(mc, "m", "true");
    assert_int_equal(build(b, mc, &t, &m, &remark), RMQ_RESPONSE_SUCCESS);
    assert_false(m.wait);
    msg = rmq_send_build_messages(&m, &n);
    assert_int_equal(n, 3);
    assert_non_null(m.item_views);
    for (guint i = 0; i < n; i++) {
        assert_int_equal(msg[i].flag, (gint32) i + 1);
        assert_int_equal(msg[i].body_len, i + 1);
        assert_string_equal(msg[i].properties, want[i]);
        assert_int_equal(msg[i].properties_len, strlen(want[i]));
        const RmqPropertyView *v = &m.item_views[i];
        assert_true(rmq_property_view_matches(v, msg[i].properties, msg[i].properties_len));
        RmqPropertyView fresh;
        rmq_message_properties_view(want[i], strlen(want[i]), &fresh);
        for (guint k = 0; k < RMQ_PROP_VIEW_N; k++) {
            assert_int_equal(v->v[k].value == NULL, fresh.v[k].value == NULL);
            assert_int_equal(v->v[k].len, fresh.v[k].len);
            if (v->v[k].value != NULL)
                assert_memory_equal(v->v[k].value, fresh.v[k].value, v->v[k].len);
        }
        assert_memory_equal(v->v[RMQ_PROP_VIEW_UNIQ_KEY].value, "env", 3);
    }
    assert_null(m.item_views[0].v[RMQ_PROP_VIEW_WAIT].value);
    assert_memory_equal(m.item_views[0].v[RMQ_PROP_VIEW_TAGS].value, "a", 1);
    assert_memory_equal(m.item_views[1].v[RMQ_PROP_VIEW_KEYS].value, "k2 k3", 5);
    assert_null(m.item_views[2].v[RMQ_PROP_VIEW_KEYS].value);
    rmq_send_build_clear(&m);
    rmq_send_target_clear(&t);

    /* malformed batches: truncated, an item with a delay level, an empty body */
    const gchar *bad_remark = "the batch body is malformed, empty, has an item over "
                              "maxMessageSize or with a delay level";
    g_autoptr(RmqCommand) trunc = send_req("T1", "0", NULL, body->data, body->len - 1);
    rmq_command_set_ext(trunc, "m", "true");
    assert_int_equal(build(b, trunc, &t, &m, &remark), RMQ_RESPONSE_MESSAGE_ILLEGAL);
    assert_string_equal(remark, bad_remark);
    g_clear_pointer(&remark, g_free);
    rmq_send_build_clear(&m);
    rmq_send_target_clear(&t);
    g_autoptr(GByteArray) delayed = g_byte_array_new();
    batch_item(delayed, 0, "x", "DELAY\0013");
    g_autoptr(RmqCommand) dc = send_req("T1", "0", NULL, delayed->data, delayed->len);
    rmq_command_set_ext(dc, "m", "true");
    assert_int_equal(build(b, dc, &t, &m, &remark), RMQ_RESPONSE_MESSAGE_ILLEGAL);
    assert_string_equal(remark, bad_remark);
    g_clear_pointer(&remark, g_free);
    rmq_send_build_clear(&m);
    rmq_send_target_clear(&t);
    g_autoptr(RmqCommand) ec = send_req("T1", "0", "DELAY\0012", body->data, body->len);
    rmq_command_set_ext(ec, "m", "true");
    assert_int_equal(build(b, ec, &t, &m, &remark), RMQ_RESPONSE_MESSAGE_ILLEGAL);
    assert_string_equal(remark, "batch message does not support delay level");
    g_clear_pointer(&remark, g_free);
    rmq_send_build_clear(&m);
    rmq_send_target_clear(&t);
    /* batches refuse retry topics */
    g_autoptr(RmqCommand) rc = send_req("%RETRY%G", "0", NULL, body->data, body->len);
    rmq_command_set_ext(rc, "m", "true");
    assert_int_equal(build(b, rc, &t, &m, &remark), RMQ_RESPONSE_MESSAGE_ILLEGAL);
    assert_string_equal(remark,
                        "batch request does not support retry group or transaction messages");
    g_clear_pointer(&remark, g_free);
    rmq_send_build_clear(&m);
    rmq_send_target_clear(&t);
}

/* A real store under the fixture's directory for the broker, with small
 * files. */
static void
open_store(Fixture *f)
{
    RmqStoreConfig sc;
    rmq_store_config_init(&sc);
    g_free(sc.store_path_root_dir);
    sc.store_path_root_dir = g_build_filename(f->dir, "store", NULL);
    sc.mapped_file_size_commit_log = 1 << 20;
    sc.mapped_file_size_consume_queue = 20 * 1000;
    g_autoptr(GError) error = NULL;
    f->b->store = rmq_store_open(&sc, NULL, &error);
    rmq_store_config_clear(&sc);
    assert_non_null(f->b->store);
}

/* The whole chain into a real store, then CONSUMER_SEND_MSG_BACK of the
 * stored message: to %RETRY%G with a delay level, then to %DLQ%G. */
static void
test_put_and_send_back(void **state)
{
    Fixture *f = *state;
    RmqBroker *b = f->b;
    open_store(f);

    RmqSendTarget t = { 0 };
    RmqSendBuild m = { 0 };
    RmqSendPut p = { 0 };
    gchar *remark = NULL;
    const gchar *put_remark = NULL;
    g_autoptr(RmqCommand) c = send_req("T1", "2", "TAGS\001a", "payload", 7);
    assert_int_equal(build(b, c, &t, &m, &remark), RMQ_RESPONSE_SUCCESS);
    assert_int_equal(rmq_broker_send_put(b, &m, &p, &put_remark), RMQ_RESPONSE_SUCCESS);
    assert_int_equal(p.result.queue_offset, 0);
    assert_int_equal(rmq_store_stats_total(b->stats.store, RMQ_STORE_STATS_PUT), 1);
    g_autoptr(RmqCommand) resp = rmq_broker_send_response(b, c, &t, &p);
    assert_int_equal(resp->code, RMQ_RESPONSE_SUCCESS);
    assert_string_equal(rmq_command_get_ext(resp, "msgId"), p.result.msg_id);
    assert_string_equal(rmq_command_get_ext(resp, "queueId"), "2");
    assert_string_equal(rmq_command_get_ext(resp, "queueOffset"), "0");
    gint64 phy = p.result.physical_offset;
    rmq_send_put_clear(&p);
    rmq_send_build_clear(&m);
    rmq_send_target_clear(&t);

    g_autoptr(RmqSubscriptionGroup) sg = rmq_subscription_group_new("G");
    sg->retry_max_times = 1;
    rmq_subscription_group_table_update(b->groups, sg);
    g_autoptr(RmqCommand) back = rmq_command_new_request(RMQ_REQUEST_CONSUMER_SEND_MSG_BACK);
    rmq_command_set_ext(back, "group", "G");
    rmq_command_set_ext_int64(back, "offset", phy);
    assert_int_equal(rmq_broker_send_back_execute(b, back, &remark), RMQ_RESPONSE_SUCCESS);
    assert_null(remark);
    assert_non_null(rmq_topic_table_lookup(b->topics, "%RETRY%G"));
    assert_null(rmq_topic_table_lookup(b->topics, "%DLQ%G"));
    assert_int_equal(rmq_store_stats_total(b->stats.store, RMQ_STORE_STATS_PUT), 2);
    /* a record never written */
    rmq_command_set_ext_int64(back, "offset", phy + 100000);
    assert_int_equal(rmq_broker_send_back_execute(b, back, &remark), RMQ_RESPONSE_SYSTEM_ERROR);
    assert_true(g_str_has_prefix(remark, "look message by offset failed"));
    g_clear_pointer(&remark, g_free);
    /* delayLevel -1: straight to the DLQ, readable there at queue offset 0 */
    rmq_command_set_ext_int64(back, "offset", phy);
    rmq_command_set_ext(back, "delayLevel", "-1");
    assert_int_equal(rmq_broker_send_back_execute(b, back, &remark), RMQ_RESPONSE_SUCCESS);
    assert_non_null(rmq_topic_table_lookup(b->topics, "%DLQ%G"));
    assert_int_equal(rmq_store_get_max_offset(b->store, "%DLQ%G", 0), 1);
}

/* The answer's MSG_REGION: "DefaultRegion" while regionId is unset, the
 * configured text once rmq_broker_send_region_load read it again, escaped
 * on the wire when it needs it; the other fields as they were. */
static void
test_send_response_region(void **state)
{
    Fixture *f = *state;
    RmqBroker *b = f->b;
    RmqSendTarget t = { .topic = "T1", .queue_id = 3 };
    RmqSendPut p = { 0 };
    p.result.queue_offset = 41;
    g_strlcpy(p.result.msg_id, "0A0000010000000000000000000000FF", sizeof p.result.msg_id);
    g_autoptr(RmqCommand) c = send_req("T1", "3", NULL, "x", 1);

    g_autoptr(RmqCommand) r1 = rmq_broker_send_response(b, c, &t, &p);
    assert_string_equal(rmq_command_get_ext(r1, "MSG_REGION"), "DefaultRegion");
    assert_string_equal(rmq_command_get_ext(r1, "msgId"), "0A0000010000000000000000000000FF");
    assert_string_equal(rmq_command_get_ext(r1, "queueId"), "3");
    assert_string_equal(rmq_command_get_ext(r1, "queueOffset"), "41");
    assert_string_equal(rmq_command_get_ext(r1, "TRACE_ON"), "false");

    b->settings.region_id = g_strdup("East \"1\"\n");
    rmq_broker_send_region_load(b);
    g_autoptr(RmqCommand) r2 = rmq_broker_send_response(b, c, &t, &p);
    assert_string_equal(rmq_command_get_ext(r2, "MSG_REGION"), "East \"1\"\n");
    g_autoptr(GBytes) wire = rmq_codec_encode(r2);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) back = NULL;
    gsize used = 0;
    assert_int_equal(rmq_codec_decode_frame(g_bytes_get_data(wire, NULL), g_bytes_get_size(wire), 0,
                                            &back, &used, &error),
                     RMQ_DECODE_OK);
    assert_int_equal(used, g_bytes_get_size(wire));
    g_autoptr(GString) head = g_string_new(NULL);
    rmq_json_header_encode(r2, head);
    assert_non_null(strstr(head->str, "\"MSG_REGION\":\"East \\\"1\\\"\\n\""));
    assert_string_equal(rmq_command_get_ext(back, "MSG_REGION"), "East \"1\"\n");

    g_free(b->settings.region_id);
    b->settings.region_id = g_strdup("West");
    rmq_broker_send_region_load(b);
    g_autoptr(RmqCommand) r3 = rmq_broker_send_response(b, c, &t, &p);
    assert_string_equal(rmq_command_get_ext(r3, "MSG_REGION"), "West");
    g_clear_pointer(&b->settings.region_id, g_free);
    rmq_broker_send_region_load(b);
}

/* A batch that does not fit the rest of a commit-log file goes whole into the
 * next one, as Java appends a batch as one block: every message id of the
 * answer is where its item was stored (they were computed as if the items
 * were contiguous while the items were appended one by one, so an item past
 * the file's end got an id inside the blank filler). */
static void
test_batch_stays_in_one_file(void **state)
{
    Fixture *f = *state;
    RmqBroker *b = f->b;
    open_store(f);
    b->settings.max_message_size = 4 << 20;
    gchar *remark = NULL;
    const gchar *put_remark = NULL;
    g_autofree gchar *big = g_malloc0(200000);
    memset(big, 'x', 200000);
    for (int i = 0; i < 4; i++) {
        RmqSendTarget t = { 0 };
        RmqSendBuild m = { 0 };
        RmqSendPut p = { 0 };
        g_autoptr(RmqCommand) c = send_req("T1", "0", NULL, big, 200000);
        assert_int_equal(build(b, c, &t, &m, &remark), RMQ_RESPONSE_SUCCESS);
        assert_int_equal(rmq_broker_send_put(b, &m, &p, &put_remark), RMQ_RESPONSE_SUCCESS);
        rmq_send_put_clear(&p);
        rmq_send_build_clear(&m);
        rmq_send_target_clear(&t);
    }
    g_autofree gchar *mid = g_malloc0(150001);
    memset(mid, 'y', 150000);
    g_autoptr(GByteArray) body = g_byte_array_new();
    batch_item(body, 0, mid, "KEYS\001k1");
    batch_item(body, 0, mid, "KEYS\001k2");
    g_autoptr(RmqCommand) bc = send_req("T1", "0", NULL, body->data, body->len);
    rmq_command_set_ext(bc, "m", "true");
    RmqSendTarget t = { 0 };
    RmqSendBuild m = { 0 };
    RmqSendPut p = { 0 };
    assert_int_equal(build(b, bc, &t, &m, &remark), RMQ_RESPONSE_SUCCESS);
    assert_int_equal(rmq_broker_send_put(b, &m, &p, &put_remark), RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) resp = rmq_broker_send_response(b, bc, &t, &p);
    const gchar *ids = rmq_command_get_ext(resp, "msgId");
    g_auto(GStrv) parts = g_strsplit(ids, ",", -1);
    gint64 second = g_ascii_strtoll(parts[1] + 16, NULL, 16);
    gint64 first = g_ascii_strtoll(parts[0] + 16, NULL, 16);
    /* the first item starts the next file; the second follows it there */
    assert_int_equal(first, 1 << 20);
    assert_int_equal(p.result.physical_offset, 1 << 20);
    assert_int_equal(second, first + p.result.wrote_bytes / 2);
    for (guint i = 0; i < 2; i++) {
        gint64 off = g_ascii_strtoll(parts[i] + 16, NULL, 16);
        g_autoptr(GBytes) rec = rmq_store_look_message_by_offset(b->store, off);
        assert_non_null(rec); /* a record there, not the blank filler */
        assert_int_equal(g_bytes_get_size(rec), p.result.wrote_bytes / 2);
    }
    rmq_send_put_clear(&p);
    rmq_send_build_clear(&m);
    rmq_send_target_clear(&t);
}

/* Flow control's put batch opens at an admitted send and closes when the
 * loop wake-up it ran in is over (a dispatch-end hook of the loop's poller),
 * with no source made per batch; the hook goes with the broker. Sends run
 * from a poller timer, as the broker's run from its connections' watches. */
typedef struct {
    RmqBroker *b;
    RmqCommand *c;
    guint runs;
} FlowTurn;

static gboolean
flow_turn_send(gpointer data)
{
    FlowTurn *t = data;
    assert_false(rmq_broker_flow_control_send(t->b, NULL, t->c)); /* admitted */
    assert_non_null(t->b->flow_poller);
    assert_true(rmq_flow_control_put_open(t->b->flow));
    assert_false(rmq_broker_flow_control_send(t->b, NULL, t->c)); /* same turn, same batch */
    assert_true(rmq_flow_control_put_open(t->b->flow));
    t->runs++;
    return G_SOURCE_REMOVE;
}

static void
test_flow_put_batch_closes(void **state)
{
    Fixture *f = *state;
    RmqBroker *b = f->b;
    open_store(f);
    rmq_flow_limits_init(&b->settings.flow);

    g_autoptr(RmqCommand) c = send_req("T1", "1", NULL, "x", 1);
    while (g_main_context_iteration(NULL, FALSE)) /* nothing pending first */
        ;
    FlowTurn turn = { b, c, 0 };
    RmqFdPoller *poller = rmq_fd_poller_get(NULL);
    RmqFdTimer *timer = rmq_fd_timer_new(poller, flow_turn_send, &turn);
    for (guint i = 1; i <= 2; i++) {
        rmq_fd_timer_set_ready_time(timer, 0);
        gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
        while (turn.runs < i && g_get_monotonic_time() < end)
            g_main_context_iteration(NULL, TRUE);
        assert_int_equal(turn.runs, i);
        assert_false(rmq_flow_control_put_open(b->flow)); /* closed with its turn */
    }
    rmq_fd_timer_free(timer);
    rmq_fd_poller_unref(poller);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_table),
        cmocka_unit_test(test_header_numbers),
        cmocka_unit_test_setup_teardown(test_flag_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_and_dlq_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_and_send_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_response_region, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_stays_in_one_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_put_batch_closes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
