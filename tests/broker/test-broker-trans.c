/* rmq-broker integration: transactional messages (docs/protocol.md §11.1): half messages,
 * END_TRANSACTION commit and rollback, CHECK_TRANSACTION_STATE sent back to
 * the producer group for a half message left open. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "harness.h"
#include "remoting/codes.h"

static BkDaemon *br;
static RmqClient *client;

static int
setup(void **state)
{
    (void) state;
    br = bk_broker_new(NULL, "transactionTimeOut = 500;\ntransactionCheckInterval = 300;\n"
                             "transactionCheckMax = 3;\n");
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
    return 0;
}

static RmqCommand *
send_half(RmqClient *c, const gchar *topic, const gchar *group, const gchar *uniq)
{
    g_autofree gchar *props =
        g_strdup_printf("TRAN_MSG\001true\002PGROUP\001%s\002UNIQ_KEY\001%s\002TAGS\001TX", group, uniq);
    g_autoptr(GBytes) b = g_bytes_new(uniq, strlen(uniq));
    return bk_invoke(c, br->addr, RMQ_REQUEST_SEND_MESSAGE_V2, b, "a", group, "b", topic, "c",
                     "TBW102", "d", "4", "e", "0", "f", "4", "g", "1700000000000", "h", "0", "i",
                     props, NULL);
}

static RmqCommand *
end_tx(const gchar *group, gint64 queue_offset, gint64 phy, const gchar *kind, const gchar *uniq,
       const gchar *from_check)
{
    g_autofree gchar *qo = g_strdup_printf("%" G_GINT64_FORMAT, queue_offset);
    g_autofree gchar *po = g_strdup_printf("%" G_GINT64_FORMAT, phy);
    return bk_invoke(client, br->addr, RMQ_REQUEST_END_TRANSACTION, NULL, "producerGroup", group,
                     "tranStateTableOffset", qo, "commitLogOffset", po, "commitOrRollback", kind,
                     "msgId", uniq, "transactionId", uniq, "fromTransactionCheck", from_check, NULL);
}

static gint64
msg_phy(const RmqCommand *send)
{
    RmqHostAddr h;
    gint64 phy = -1;
    assert_true(rmq_message_id_decode(rmq_command_get_ext(send, "msgId"), &h, &phy, NULL));
    return phy;
}

static void
test_commit(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s = send_half(client, "TxT", "TPG", "U1");
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) before = bk_pull(client, br->addr, "TxC", "TxT", 0, 0, "*", 0);
    assert_int_not_equal(before->code, RMQ_RESPONSE_SUCCESS);

    gint64 phy = msg_phy(s), qo = bk_ext_int(s, "queueOffset", -1);
    g_autoptr(RmqCommand) wrong = end_tx("OtherPG", qo, phy, "8", "U1", "false");
    assert_int_equal(wrong->code, RMQ_RESPONSE_SYSTEM_ERROR);
    g_autoptr(RmqCommand) e = end_tx("TPG", qo, phy, "8", "U1", "false");
    assert_int_equal(e->code, RMQ_RESPONSE_SUCCESS);

    g_autoptr(RmqCommand) p = bk_pull(client, br->addr, "TxC", "TxT", 0, 0, "*", 0);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(GArray) recs = bk_records(p->body);
    assert_int_equal(recs->len, 1);
    RmqMessageRecord *r = &g_array_index(recs, RmqMessageRecord, 0);
    assert_int_equal(r->sys_flag & RMQ_SYSFLAG_TRANSACTION_MASK, RMQ_SYSFLAG_TRANSACTION_COMMIT);
    assert_int_equal(r->prepared_transaction_offset, phy);
    g_autofree gchar *body = bk_record_body(r);
    g_autofree gchar *real = bk_record_prop(r, "REAL_TOPIC");
    g_autofree gchar *tran = bk_record_prop(r, "TRAN_MSG");
    g_autofree gchar *uniq = bk_record_prop(r, "UNIQ_KEY");
    assert_string_equal(body, "U1");
    assert_null(real);
    assert_null(tran);
    assert_string_equal(uniq, "U1");
}

static void
test_rollback(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) s = send_half(client, "TxR", "TPG", "U2");
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) e =
        end_tx("TPG", bk_ext_int(s, "queueOffset", -1), msg_phy(s), "12", "U2", "false");
    assert_int_equal(e->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p = bk_pull(client, br->addr, "TxC", "TxR", 0, 0, "*", 0);
    assert_int_not_equal(p->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) bad = end_tx("TPG", 0, 123456789, "8", "U2", "false");
    assert_int_equal(bad->code, RMQ_RESPONSE_SYSTEM_ERROR);
}

typedef struct {
    guint count;
    gint64 queue_offset, phy;
    gchar *msg_id;
    gchar *topic;
} Checks;

static Checks checks;

static void
on_producer_request(RmqConnection *conn, RmqCommand *req, gpointer data)
{
    (void) conn;
    (void) data;
    if (req->code == RMQ_REQUEST_CHECK_TRANSACTION_STATE) {
        checks.count++;
        rmq_command_get_ext_int64(req, "tranStateTableOffset", &checks.queue_offset);
        rmq_command_get_ext_int64(req, "commitLogOffset", &checks.phy);
        g_free(checks.msg_id);
        checks.msg_id = g_strdup(rmq_command_get_ext(req, "msgId"));
        g_autoptr(GArray) recs = bk_records(req->body);
        if (recs->len == 1) {
            g_free(checks.topic);
            checks.topic = bk_record_topic(&g_array_index(recs, RmqMessageRecord, 0));
        }
    }
    rmq_command_free(req);
}

static void
spin_until_checks(guint n, guint ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (checks.count < n && g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, FALSE) || (g_usleep(2000), TRUE);
}

static void
test_check_then_commit(void **state)
{
    (void) state;
    g_autoptr(RmqClient) producer = rmq_client_new(NULL);
    rmq_client_set_request_handler(producer, on_producer_request, NULL);
    const gchar *hb = "{\"clientID\":\"9.9.9.9@p\",\"consumerDataSet\":[],"
                      "\"producerDataSet\":[{\"groupName\":\"TPGC\"}]}";
    g_autoptr(GBytes) hbb = g_bytes_new_static(hb, strlen(hb));
    g_autoptr(RmqCommand) h = bk_invoke(producer, br->addr, RMQ_REQUEST_HEART_BEAT, hbb, NULL);
    assert_int_equal(h->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) s = send_half(producer, "TxCheck", "TPGC", "U3");
    assert_int_equal(s->code, RMQ_RESPONSE_SUCCESS);

    spin_until_checks(1, 5000);
    assert_int_equal(checks.count, 1);
    assert_string_equal(checks.msg_id, "U3");
    assert_string_equal(checks.topic, "TxCheck");
    g_autoptr(RmqCommand) e = end_tx("TPGC", checks.queue_offset, checks.phy, "8", "U3", "true");
    assert_int_equal(e->code, RMQ_RESPONSE_SUCCESS);
    g_autoptr(RmqCommand) p = bk_pull(client, br->addr, "TxC", "TxCheck", 0, 0, "*", 0);
    assert_int_equal(p->code, RMQ_RESPONSE_SUCCESS);
    /* resolved: no further checks */
    guint seen = checks.count;
    spin_until_checks(seen + 1, 1500);
    assert_int_equal(checks.count, seen);
    g_clear_pointer(&checks.msg_id, g_free);
    g_clear_pointer(&checks.topic, g_free);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit),
        cmocka_unit_test(test_rollback),
        cmocka_unit_test(test_check_then_commit),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
