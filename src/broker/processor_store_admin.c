/* Store administration (docs/protocol.md §3.3, Java AdminBrokerProcessor of 4.9.7):
 * QUERY_CONSUME_QUEUE (321), the units of one consume queue as mqadmin
 * queryCq prints them; CLEAN_EXPIRED_CONSUMEQUEUE (306),
 * DELETE_EXPIRED_COMMITLOG (329) and CLEAN_UNUSED_TOPIC (316), which answer
 * SUCCESS with no remark once the store has done its part. */
#include <config.h>

#include <string.h>

#include "broker/broker.h"
#include "broker/client_registry.h"
#include "broker/commands.h"
#include "remoting/codes.h"
#include "remoting/json_body.h"
#include "store/consume_queue.h"

/* Java's CleanCommitLogService.MAX_MANUAL_DELETE_FILE_TIMES. */
#define MANUAL_DELETE_ROUNDS 20

void
rmq_broker_handle_query_cq(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *topic = rmq_command_get_ext(req, "topic");
    if (topic == NULL) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                                "the custom field <topic> is null");
        return;
    }
    /* Java decodes absent primitive fields as 0. */
    gint32 qid = 0, count = 0;
    gint64 index = 0;
    rmq_command_get_ext_int32(req, "queueId", &qid);
    rmq_command_get_ext_int64(req, "index", &index);
    rmq_command_get_ext_int32(req, "count", &count);
    const gchar *group = rmq_command_get_ext(req, "consumerGroup");
    if (!rmq_store_has_queue(b->store, topic, qid)) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                              g_strdup_printf("%d@%s is not exist!", qid, topic));
        return;
    }
    g_autoptr(GArray) units = rmq_store_get_queue_units(b->store, topic, qid, index, count);
    if (units == NULL) {
        /* As Java: SUCCESS, the remark, and no body. */
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SUCCESS,
                              g_strdup_printf("Index %" G_GINT64_FORMAT " of %d@%s is not exist!",
                                              index, qid, topic));
        return;
    }
    /* QueryConsumeQueueResponseBody, fastjson's member order, nulls left out. */
    g_autoptr(JsonBuilder) jb = json_builder_new();
    json_builder_begin_object(jb);
    const RmqSubscription *sub = NULL;
    if (group != NULL) {
        sub = rmq_client_registry_subscription(b->clients, group, topic);
        json_builder_set_member_name(jb, "filterData");
        if (sub == NULL) {
            g_autofree gchar *fd = g_strdup_printf("%s@%s is not online!", group, topic);
            json_builder_add_string_value(jb, fd);
        } else {
            /* JSON.toJSONString(null): rmq has no SQL92 filter data (TAG only) */
            json_builder_add_string_value(jb, "null");
        }
    }
    json_builder_set_member_name(jb, "maxQueueIndex");
    json_builder_add_int_value(jb, rmq_store_get_max_offset(b->store, topic, qid));
    json_builder_set_member_name(jb, "minQueueIndex");
    json_builder_add_int_value(jb, rmq_store_get_min_offset(b->store, topic, qid));
    json_builder_set_member_name(jb, "queueData");
    json_builder_begin_array(jb);
    for (guint i = 0; i < units->len; i++) {
        const RmqCqUnit *u = &g_array_index(units, RmqCqUnit, i);
        json_builder_begin_object(jb);
        /* no consume-queue extension: eval stays false, as Java's default */
        json_builder_set_member_name(jb, "eval");
        json_builder_add_boolean_value(jb, FALSE);
        json_builder_set_member_name(jb, "physicOffset");
        json_builder_add_int_value(jb, u->physical_offset);
        json_builder_set_member_name(jb, "physicSize");
        json_builder_add_int_value(jb, u->size);
        json_builder_set_member_name(jb, "tagsCode");
        json_builder_add_int_value(jb, u->tag_code);
        json_builder_end_object(jb);
    }
    json_builder_end_array(jb);
    if (sub != NULL) {
        json_builder_set_member_name(jb, "subscriptionData");
        json_builder_add_value(jb, rmq_subscription_to_node(sub));
    }
    json_builder_end_object(jb);
    g_autoptr(JsonNode) root = json_builder_get_root(jb);
    g_autofree gchar *text = rmq_json_to_string(root, FALSE);
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_body_data(resp, text, strlen(text));
    rmq_broker_reply(conn, req, resp);
}

static gboolean
topic_configured(const char *topic, gpointer data)
{
    RmqBroker *b = data;
    /* Java's table holds RMQ_SYS_TRANS_HALF_TOPIC once used; rmq's never
     * does, so system topics are kept by name. */
    return rmq_topic_table_lookup(b->topics, topic) != NULL ||
           rmq_topic_table_is_system_topic(b->topics, topic);
}

void
rmq_broker_handle_store_clean(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    switch (req->code) {
    case RMQ_REQUEST_CLEAN_EXPIRED_CONSUMEQUEUE: {
        guint n = rmq_store_clean_expired_queues(b->store);
        g_message("CLEAN_EXPIRED_CONSUMEQUEUE from %s: %u consume queues destroyed",
                  rmq_connection_get_peer(conn), n);
        break;
    }
    case RMQ_REQUEST_CLEAN_UNUSED_TOPIC: {
        guint n = rmq_store_clean_unused_topics(b->store, topic_configured, b);
        g_message("CLEAN_UNUSED_TOPIC from %s: consume queues of %u topics destroyed",
                  rmq_connection_get_peer(conn), n);
        break;
    }
    default: { /* DELETE_EXPIRED_COMMITLOG */
        /* As Java: the next rounds of the clean service delete expired files
         * whatever the hour (fileReservedTime still applies); the first runs
         * now rather than in up to cleanResourceInterval. */
        b->manual_delete_rounds = MANUAL_DELETE_ROUNDS - 1;
        guint n = rmq_store_clean_expired(b->store, TRUE);
        g_message("DELETE_EXPIRED_COMMITLOG from %s: %u commit log files deleted now, %d more "
                  "rounds", rmq_connection_get_peer(conn), n, b->manual_delete_rounds);
        break;
    }
    }
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
}
