/* Consumer administration (§2.3): INVOKE_BROKER_TO_RESET_OFFSET (222, which
 * pushes RESET_CONSUMER_CLIENT_OFFSET (220) to the group's clients),
 * CLONE_GROUP_OFFSET (314), and GET_CONSUMER_RUNNING_INFO (307) /
 * CONSUME_MESSAGE_DIRECTLY (309), forwarded to the named client and relayed. */
#include <config.h>

#include <string.h>

#include "broker/broker.h"
#include "broker/commands.h"
#include "broker/client_registry.h"
#include "remoting/codes.h"
#include "remoting/json_text.h"

#define FORWARD_TIMEOUT_MS 10000

/* ResetOffsetBody with fastjson's MessageQueue keys (read by Java clients). */
static gchar *
reset_body(RmqBroker *b, const gchar *topic, const gint64 *offsets, gint n)
{
    GString *out = g_string_new("{\"offsetTable\":{");
    for (gint q = 0; q < n; q++) {
        if (q > 0)
            g_string_append_c(out, ',');
        g_string_append(out, "{\"brokerName\":");
        rmq_json_text_append_string(out, b->settings.broker_name, -1);
        g_string_append_printf(out, ",\"queueId\":%d,\"topic\":", q);
        rmq_json_text_append_string(out, topic, -1);
        g_string_append_printf(out, "}:%" G_GINT64_FORMAT, offsets[q]);
    }
    g_string_append(out, "}}");
    return g_string_free(out, FALSE);
}

void
rmq_broker_handle_reset_offset(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    static const gchar *const required[] = { "topic", "group", "timestamp", NULL };
    gchar *missing = rmq_broker_missing_field(req, required);
    gint64 ts = 0;
    if (missing == NULL && !rmq_command_get_ext_int64(req, "timestamp", &ts))
        missing = g_strdup("timestamp is not a number");
    if (missing != NULL) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, missing);
        return;
    }
    const gchar *topic = rmq_command_get_ext(req, "topic");
    const gchar *group = rmq_command_get_ext(req, "group");
    gboolean force = rmq_command_get_ext_bool(req, "isForce", TRUE);
    const RmqTopicConfig *tc = rmq_topic_table_lookup(b->topics, topic);
    if (tc == NULL) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                              g_strdup_printf("[reset-offset] reset offset failed, no topic in this broker. "
                                              "[topic=%s]", topic));
        return;
    }
    RmqConsumerGroup *cg = rmq_client_registry_consumer_group(b->clients, group);
    if (cg == NULL || g_hash_table_size(cg->channels) == 0) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_CONSUMER_NOT_ONLINE,
                              g_strdup_printf("Consumer not online, so can not reset offset, Group: %s Topic: %s "
                                              "Timestamp: %" G_GINT64_FORMAT, group, topic, ts));
        return;
    }
    gint n = tc->write_queue_nums;
    g_autofree gint64 *offsets = g_new0(gint64, MAX(n, 1));
    for (gint q = 0; q < n; q++) {
        gint64 target = ts == -1 ? rmq_store_get_max_offset(b->store, topic, q)
                                 : rmq_store_get_offset_by_time(b->store, topic, q, ts);
        gint64 current = rmq_consumer_offsets_query(b->offsets, group, topic, q);
        offsets[q] = (force || current < 0 || target < current) ? MAX(target, 0) : current;
    }
    g_autofree gchar *body = reset_body(b, topic, offsets, n);
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, cg->channels);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RmqClientChannel *ch = v;
        RmqCommand *push = rmq_command_new_request(RMQ_REQUEST_RESET_CONSUMER_CLIENT_OFFSET);
        rmq_command_set_ext(push, "topic", topic);
        rmq_command_set_ext(push, "group", group);
        rmq_command_set_ext_int64(push, "timestamp", ts);
        rmq_command_set_ext_bool(push, "isForce", force);
        rmq_command_set_body_data(push, body, strlen(body));
        rmq_connection_send_oneway(ch->conn, push);
    }
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_body_data(resp, body, strlen(body));
    rmq_broker_reply(conn, req, resp);
}

void
rmq_broker_handle_clone_offset(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *src = rmq_command_get_ext(req, "srcGroup");
    const gchar *dst = rmq_command_get_ext(req, "destGroup");
    const gchar *topic = rmq_command_get_ext(req, "topic");
    if (src == NULL || dst == NULL) {
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SYSTEM_ERROR, "the custom field <srcGroup> or <destGroup> is null");
        return;
    }
    g_autoptr(GPtrArray) topics = NULL;
    if (topic != NULL && *topic != '\0') {
        topics = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(topics, g_strdup(topic));
    } else {
        topics = rmq_consumer_offsets_topics_of_group(b->offsets, src);
    }
    for (guint i = 0; i < topics->len; i++)
        rmq_consumer_offsets_clone(b->offsets, src, dst, g_ptr_array_index(topics, i));
    rmq_broker_save_offsets(b);
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
}

typedef struct {
    RmqConnection *conn;
    RmqCommand *request;
} Forward;

static void
on_forwarded(RmqCommand *response, const GError *error, gpointer user_data)
{
    Forward *f = user_data;
    RmqCommand *out;
    if (response == NULL) {
        g_autofree gchar *remark = g_strdup_printf("forward to the client failed: %s",
                                                   error != NULL ? error->message : "?");
        out = rmq_broker_response_borrow(f->request, RMQ_RESPONSE_SYSTEM_ERROR, remark);
    } else {
        out = rmq_broker_response_borrow(f->request, response->code, response->remark);
        for (guint i = 0; i < rmq_command_get_n_ext(response); i++) {
            const RmqExtField *x = rmq_command_get_ext_field(response, i);
            rmq_command_set_ext(out, x->key, x->value);
        }
        if (response->body != NULL)
            rmq_command_set_body(out, response->body);
        rmq_command_free(response);
    }
    rmq_connection_send_response(f->conn, f->request, out);
    rmq_command_free(f->request);
    rmq_connection_unref(f->conn);
    g_free(f);
}

void
rmq_broker_handle_forward(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *group = rmq_command_get_ext(req, "consumerGroup");
    const gchar *client_id = rmq_command_get_ext(req, "clientId");
    RmqConsumerGroup *cg = group != NULL ? rmq_client_registry_consumer_group(b->clients, group) : NULL;
    RmqConnection *target = NULL;
    if (cg != NULL && client_id != NULL) {
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, cg->channels);
        while (target == NULL && g_hash_table_iter_next(&it, NULL, &v))
            if (g_strcmp0(((RmqClientChannel *) v)->client_id, client_id) == 0)
                target = ((RmqClientChannel *) v)->conn;
    }
    if (target == NULL) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                              g_strdup_printf("The Consumer <%s> <%s> not online", group ? group : "",
                                              client_id ? client_id : ""));
        return;
    }
    RmqCommand *fwd = rmq_command_new_request(req->code);
    for (guint i = 0; i < rmq_command_get_n_ext(req); i++) {
        const RmqExtField *x = rmq_command_get_ext_field(req, i);
        rmq_command_set_ext(fwd, x->key, x->value);
    }
    if (req->code == RMQ_REQUEST_CONSUME_MESSAGE_DIRECTLY) {
        /* The client gets the message itself, found by its offset id. */
        const gchar *id = rmq_command_get_ext(req, "msgId");
        RmqHostAddr h;
        gint64 off;
        g_autoptr(GBytes) rec = id != NULL && rmq_message_id_decode(id, &h, &off, NULL)
                                    ? rmq_store_look_message_by_offset(b->store, off)
                                    : NULL;
        if (rec == NULL) {
            rmq_command_free(fwd);
            rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                                  g_strdup_printf("can not find message by id %s", id ? id : ""));
            return;
        }
        rmq_command_set_body(fwd, rec);
    } else if (req->body != NULL) {
        rmq_command_set_body(fwd, req->body);
    }
    Forward *f = g_new0(Forward, 1);
    f->conn = rmq_connection_ref(conn);
    f->request = req;
    rmq_connection_send_request(target, fwd, FORWARD_TIMEOUT_MS, on_forwarded, f);
}
