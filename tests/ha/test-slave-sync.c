/* The slave's metadata copy (docs/protocol.md §12.4) against a fake master on loopback: topics
 * come from the VIP port (port − 2), consumer offsets are merged, delay
 * offsets replaced, subscription groups copied; a DataVersion that did not
 * change causes no rewrite; the timer runs rounds by itself; syncing with
 * ourselves is skipped. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ha/slave_sync.h"
#include "remoting/codes.h"
#include "remoting/server.h"
#include "ha-test-util.h"

typedef struct Fixture Fixture;

typedef struct {
    Fixture *f;
    gboolean vip;
} Endpoint;

struct Fixture {
    GMainContext *ctx;
    RmqServer *main_srv, *vip_srv;
    Endpoint main_ep, vip_ep;
    gchar *addr;
    /* the master's tables */
    RmqTopicTable *m_topics;
    RmqConsumerOffsets *m_offsets;
    RmqDelayOffsets *m_delay;
    RmqSubscriptionGroupTable *m_groups;
    /* the slave's */
    RmqSlaveSyncTables s;
    RmqClient *client;
    RmqSlaveSync *sync;
    guint requests_main[256], requests_vip[256];
    guint changed[4];
};

static void
on_request(RmqConnection *conn, RmqCommand *req, gpointer data)
{
    Endpoint *ep = data;
    Fixture *f = ep->f;
    g_autoptr(RmqCommand) request = req;
    RmqCommand *resp = rmq_command_new_response(request, RMQ_RESPONSE_SUCCESS, NULL);
    g_autofree gchar *body = NULL;

    (ep->vip ? f->requests_vip : f->requests_main)[request->code & 0xff]++;
    switch (request->code) {
    case RMQ_REQUEST_GET_ALL_TOPIC_CONFIG:
        body = rmq_topic_table_to_json(f->m_topics, FALSE);
        break;
    case RMQ_REQUEST_GET_ALL_CONSUMER_OFFSET:
        body = rmq_consumer_offsets_to_json(f->m_offsets, FALSE);
        break;
    case RMQ_REQUEST_GET_ALL_DELAY_OFFSET:
        body = rmq_delay_offsets_to_json(f->m_delay, FALSE);
        break;
    case RMQ_REQUEST_GET_ALL_SUBSCRIPTIONGROUP_CONFIG:
        body = rmq_subscription_group_table_to_json(f->m_groups, FALSE);
        break;
    default:
        resp->code = RMQ_RESPONSE_SYSTEM_ERROR;
    }
    if (body != NULL)
        rmq_command_set_body_data(resp, body, strlen(body));
    rmq_connection_send_response(conn, request, resp);
}

static void
on_changed(RmqSlaveSyncWhat what, gpointer data)
{
    ((Fixture *) data)->changed[what]++;
}

static RmqTopicTable *
new_topic_table(void)
{
    RmqTopicTableOptions o;

    rmq_topic_table_options_init(&o);
    o.broker_name = "broker-a";
    return rmq_topic_table_new(&o);
}

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    RmqSlaveSyncConfig c;
    g_autoptr(RmqTopicConfig) tc = rmq_topic_config_new("SyncTopic");
    g_autoptr(RmqSubscriptionGroup) g = rmq_subscription_group_new("SyncGroup");

    f->ctx = g_main_context_default();
    f->main_ep = (Endpoint) { f, FALSE };
    f->vip_ep = (Endpoint) { f, TRUE };
    /* two free ports two apart: VIP first, main = VIP + 2 */
    for (int tries = 0; tries < 50 && f->main_srv == NULL; tries++) {
        g_autoptr(RmqServer) vip = rmq_server_new("fake-master-vip");
        g_autoptr(RmqServer) main_srv = rmq_server_new("fake-master");
        if (!rmq_server_listen(vip, "127.0.0.1", 0, NULL))
            continue;
        if (!rmq_server_listen(main_srv, "127.0.0.1", (guint16) (rmq_server_get_port(vip) + 2), NULL))
            continue;
        f->vip_srv = g_steal_pointer(&vip);
        f->main_srv = g_steal_pointer(&main_srv);
    }
    assert_non_null(f->main_srv);
    rmq_server_set_default_handler(f->main_srv, on_request, &f->main_ep);
    rmq_server_set_default_handler(f->vip_srv, on_request, &f->vip_ep);
    f->addr = g_strdup_printf("127.0.0.1:%u", rmq_server_get_port(f->main_srv));

    f->m_topics = new_topic_table();
    tc->read_queue_nums = tc->write_queue_nums = 6;
    assert_true(rmq_topic_table_update(f->m_topics, tc));
    f->m_offsets = rmq_consumer_offsets_new();
    rmq_consumer_offsets_commit(f->m_offsets, "SyncGroup", "SyncTopic", 3, 42);
    f->m_delay = rmq_delay_offsets_new();
    rmq_delay_offsets_set(f->m_delay, 2, 17);
    f->m_groups = rmq_subscription_group_table_new();
    assert_true(rmq_subscription_group_table_update(f->m_groups, g));

    f->s.topics = new_topic_table();
    f->s.consumer_offsets = rmq_consumer_offsets_new();
    f->s.delay_offsets = rmq_delay_offsets_new();
    f->s.subscription_groups = rmq_subscription_group_table_new();
    /* an offset only the slave knows (committed while the master was away) */
    rmq_consumer_offsets_commit(f->s.consumer_offsets, "OtherGroup", "OtherTopic", 0, 7);
    f->client = rmq_client_new(f->ctx);
    rmq_slave_sync_config_init(&c);
    c.first_delay_ms = 50;
    c.interval_ms = 100;
    f->sync = rmq_slave_sync_new(f->client, &f->s, &c, f->ctx, on_changed, f);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;

    rmq_slave_sync_free(f->sync);
    rmq_client_free(f->client);
    rmq_server_free(f->main_srv);
    rmq_server_free(f->vip_srv);
    while (g_main_context_iteration(f->ctx, FALSE))
        ;
    rmq_topic_table_free(f->m_topics);
    rmq_consumer_offsets_free(f->m_offsets);
    rmq_delay_offsets_free(f->m_delay);
    rmq_subscription_group_table_free(f->m_groups);
    rmq_topic_table_free(f->s.topics);
    rmq_consumer_offsets_free(f->s.consumer_offsets);
    rmq_delay_offsets_free(f->s.delay_offsets);
    rmq_subscription_group_table_free(f->s.subscription_groups);
    g_free(f->addr);
    g_free(f);
    return 0;
}

typedef struct {
    Fixture *f;
    guint rounds;
} RoundWait;

static gboolean
rounds_reached(gpointer data)
{
    RoundWait *w = data;

    return rmq_slave_sync_rounds(w->f->sync) >= w->rounds;
}

static void
run_round(Fixture *f)
{
    RoundWait w = { f, rmq_slave_sync_rounds(f->sync) + 1 };

    rmq_slave_sync_run_now(f->sync);
    assert_true(ha_run_until(f->ctx, rounds_reached, &w, 5000));
}

static void
test_copies_everything(void **state)
{
    Fixture *f = *state;
    const RmqTopicConfig *tc;
    gint64 off;

    rmq_slave_sync_set_master_address(f->sync, f->addr, "127.0.0.1:1");
    run_round(f);
    /* topics from the VIP channel, the rest from the main port */
    assert_int_equal(f->requests_vip[RMQ_REQUEST_GET_ALL_TOPIC_CONFIG], 1);
    assert_int_equal(f->requests_main[RMQ_REQUEST_GET_ALL_TOPIC_CONFIG], 0);
    assert_int_equal(f->requests_main[RMQ_REQUEST_GET_ALL_CONSUMER_OFFSET], 1);
    assert_int_equal(f->requests_main[RMQ_REQUEST_GET_ALL_DELAY_OFFSET], 1);
    assert_int_equal(f->requests_main[RMQ_REQUEST_GET_ALL_SUBSCRIPTIONGROUP_CONFIG & 0xff], 1);

    tc = rmq_topic_table_lookup(f->s.topics, "SyncTopic");
    assert_non_null(tc);
    assert_int_equal(tc->read_queue_nums, 6);
    assert_int_equal(rmq_consumer_offsets_query(f->s.consumer_offsets, "SyncGroup", "SyncTopic", 3), 42);
    assert_int_equal(rmq_consumer_offsets_query(f->s.consumer_offsets, "OtherGroup", "OtherTopic", 0), 7);
    assert_true(rmq_delay_offsets_lookup(f->s.delay_offsets, 2, &off));
    assert_int_equal(off, 17);
    assert_non_null(rmq_subscription_group_table_lookup(f->s.subscription_groups, "SyncGroup"));
    for (int i = 0; i < 4; i++)
        assert_int_equal(f->changed[i], 1);

    /* unchanged DataVersions: no rewrite of topics or groups */
    run_round(f);
    assert_int_equal(f->changed[RMQ_SLAVE_SYNC_TOPICS], 1);
    assert_int_equal(f->changed[RMQ_SLAVE_SYNC_SUBSCRIPTION_GROUPS], 1);

    /* the master moves on */
    rmq_consumer_offsets_commit(f->m_offsets, "SyncGroup", "SyncTopic", 3, 99);
    assert_true(rmq_topic_table_delete(f->m_topics, "SyncTopic"));
    run_round(f);
    assert_int_equal(rmq_consumer_offsets_query(f->s.consumer_offsets, "SyncGroup", "SyncTopic", 3), 99);
    assert_null(rmq_topic_table_lookup(f->s.topics, "SyncTopic"));
    assert_int_equal(f->changed[RMQ_SLAVE_SYNC_TOPICS], 2);
}

static void
test_timer_and_self(void **state)
{
    Fixture *f = *state;
    RoundWait w = { f, 3 };

    /* our own address: nothing to sync */
    rmq_slave_sync_set_master_address(f->sync, f->addr, f->addr);
    ha_run_for(f->ctx, 300);
    assert_int_equal(rmq_slave_sync_rounds(f->sync), 0);
    assert_int_equal(f->requests_main[RMQ_REQUEST_GET_ALL_CONSUMER_OFFSET], 0);
    /* a real master: rounds every 100 ms after the first 50 */
    rmq_slave_sync_set_master_address(f->sync, f->addr, "127.0.0.1:1");
    assert_true(ha_run_until(f->ctx, rounds_reached, &w, 5000));
    assert_non_null(rmq_topic_table_lookup(f->s.topics, "SyncTopic"));
}

static void
test_master_down(void **state)
{
    Fixture *f = *state;

    rmq_server_free(f->main_srv);
    rmq_server_free(f->vip_srv);
    f->main_srv = rmq_server_new("none");
    f->vip_srv = rmq_server_new("none");
    rmq_slave_sync_set_master_address(f->sync, f->addr, NULL);
    run_round(f);                    /* a round ends even if every request fails */
    assert_null(rmq_topic_table_lookup(f->s.topics, "SyncTopic"));
    assert_int_equal(rmq_consumer_offsets_query(f->s.consumer_offsets, "OtherGroup", "OtherTopic", 0), 7);
    for (int i = 0; i < 4; i++)
        assert_int_equal(f->changed[i], 0);
}

static void
test_vip_address(void **state)
{
    g_autofree gchar *a = rmq_slave_sync_vip_address("10.0.0.1:10911");
    g_autofree gchar *b = rmq_slave_sync_vip_address("host.example:11011");

    (void) state;
    assert_string_equal(a, "10.0.0.1:10909");
    assert_string_equal(b, "host.example:11009");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_copies_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_and_self, setup, teardown),
        cmocka_unit_test_setup_teardown(test_master_down, setup, teardown),
        cmocka_unit_test(test_vip_address),
    };
    return cmocka_run_group_tests_name("slave-sync", tests, NULL, NULL);
}
