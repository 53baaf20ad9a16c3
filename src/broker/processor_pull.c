/* PULL_MESSAGE (11): the docs/protocol.md §10.2 algorithm, tag filtering through the store's
 * consume-queue filter, commit-offset piggybacking and long polling. Bodies
 * are the stored records verbatim. */
#include <config.h>

#include <string.h>

#include "broker/broker.h"
#include "broker/commands.h"
#include "broker/stats.h"
#include "broker/client_registry.h"
#include "broker/long_poll.h"
#include "remoting/codes.h"

#define PULL_FLAG_COMMIT_OFFSET 0x1
#define PULL_FLAG_SUSPEND 0x2
#define PULL_FLAG_SUBSCRIPTION 0x4

static gboolean
tag_filter(gint64 tag_code, gpointer data)
{
    const GArray *codes = data;
    for (guint i = 0; i < codes->len; i++)
        if (g_array_index(codes, gint64, i) == tag_code)
            return TRUE;
    return FALSE;
}

/* What long polling keeps of a request: enough to re-execute and answer it. */
static RmqCommand *
copy_for_park(const RmqCommand *req)
{
    RmqCommand *c = rmq_command_new_request(req->code);
    c->opaque = req->opaque;
    c->flag = req->flag;
    c->version = req->version;
    c->language = req->language;
    c->serialize_type = req->serialize_type;
    for (guint i = 0; i < rmq_command_get_n_ext(req); i++) {
        const RmqExtField *f = rmq_command_get_ext_field(req, i);
        rmq_command_set_ext(c, f->key, f->value);
    }
    return c;
}

RmqCommand *
rmq_broker_pull_execute(RmqBroker *b, RmqConnection *conn, const RmqCommand *req,
                        gboolean allow_suspend)
{
    const RmqBrokerSettings *s = &b->settings;
    static const gchar *const required[] = { "consumerGroup", "topic", "queueId", "queueOffset",
                                             NULL };
    gchar *missing = rmq_broker_missing_field(req, required);
    if (missing != NULL)
        return rmq_broker_response_take(req, RMQ_RESPONSE_SYSTEM_ERROR, missing);
    const gchar *group = rmq_command_get_ext(req, "consumerGroup");
    const gchar *topic = rmq_command_get_ext(req, "topic");
    gint32 queue_id = 0, max_nums = 32, sys_flag = 0;
    gint64 offset = 0, commit_offset = 0, suspend_ms = 15000, sub_version = 0;
    if (!rmq_command_get_ext_int32(req, "queueId", &queue_id) ||
        !rmq_command_get_ext_int64(req, "queueOffset", &offset))
        return rmq_broker_response_take(req, RMQ_RESPONSE_SYSTEM_ERROR,
                                        g_strdup("queueId or queueOffset is not a number"));
    if (rmq_command_get_ext(req, "maxMsgNums") != NULL &&
        !rmq_command_get_ext_int32(req, "maxMsgNums", &max_nums))
        return rmq_broker_response_take(req, RMQ_RESPONSE_SYSTEM_ERROR,
                                        g_strdup("maxMsgNums is not a number"));
    rmq_command_get_ext_int32(req, "sysFlag", &sys_flag);
    rmq_command_get_ext_int64(req, "commitOffset", &commit_offset);
    rmq_command_get_ext_int64(req, "suspendTimeoutMillis", &suspend_ms);
    rmq_command_get_ext_int64(req, "subVersion", &sub_version);
    /* Java 4.9 hands out a message for 0 or -1; nothing asked for, nothing given. */
    if (max_nums <= 0)
        return rmq_broker_response_take(
            req, RMQ_RESPONSE_SYSTEM_ERROR,
            g_strdup_printf("maxMsgNums[%d] is illegal, it must be positive", max_nums));

    if (!(s->broker_permission & RMQ_PERM_READ))
        return rmq_broker_response_take(
            req, RMQ_RESPONSE_NO_PERMISSION,
            g_strdup_printf("the broker[%s] pulling message is forbidden", s->broker_name));
    const RmqSubscriptionGroup *g = rmq_broker_find_group(b, group);
    if (g == NULL)
        return rmq_broker_response_take(
            req, RMQ_RESPONSE_SUBSCRIPTION_GROUP_NOT_EXIST,
            g_strdup_printf("subscription group [%s] does not exist", group));
    if (!g->consume_enable)
        return rmq_broker_response_take(
            req, RMQ_RESPONSE_NO_PERMISSION,
            g_strdup_printf("subscription group no permission, %s", group));
    const RmqTopicConfig *tc = rmq_topic_table_lookup(b->topics, topic);
    if (tc == NULL)
        return rmq_broker_response_take(
            req, RMQ_RESPONSE_TOPIC_NOT_EXIST,
            g_strdup_printf("topic[%s] not exist, apply first please!", topic));
    if (!(tc->perm & RMQ_PERM_READ))
        return rmq_broker_response_take(
            req, RMQ_RESPONSE_NO_PERMISSION,
            g_strdup_printf("the topic[%s] pulling message is forbidden", topic));
    if (queue_id < 0 || queue_id >= tc->read_queue_nums)
        return rmq_broker_response_take(
            req, RMQ_RESPONSE_SYSTEM_ERROR,
            g_strdup_printf("queueId[%d] is illegal, topic:[%s] "
                            "topicConfig.readQueueNums:[%d] consumer:[%s]",
                            queue_id, topic, tc->read_queue_nums, rmq_connection_get_peer(conn)));

    const gchar *etype = rmq_command_get_ext(req, "expressionType");
    if (etype != NULL && g_ascii_strcasecmp(etype, "TAG") != 0)
        return rmq_broker_response_take(
            req, RMQ_RESPONSE_SYSTEM_ERROR,
            g_strdup("The broker does not support consumer to filter message "
                     "by SQL92"));
    g_autoptr(RmqSubscription) own = NULL;
    const RmqSubscription *sub = NULL;
    if (sys_flag & PULL_FLAG_SUBSCRIPTION) {
        own = rmq_subscription_parse(topic, rmq_command_get_ext(req, "subscription"));
        sub = own;
    } else {
        RmqConsumerGroup *cg = rmq_client_registry_consumer_group(b->clients, group);
        if (cg == NULL)
            return rmq_broker_response_take(
                req, RMQ_RESPONSE_SUBSCRIPTION_NOT_EXIST,
                g_strdup_printf("the consumer's group info not exist, %s", group));
        if (strcmp(cg->message_model, "BROADCASTING") == 0 && !g->consume_broadcast_enable)
            return rmq_broker_response_take(
                req, RMQ_RESPONSE_NO_PERMISSION,
                g_strdup_printf("the consumer group[%s] can not consume by "
                                "broadcast way",
                                group));
        sub = rmq_client_registry_subscription(b->clients, group, topic);
        if (sub == NULL)
            return rmq_broker_response_take(
                req, RMQ_RESPONSE_SUBSCRIPTION_NOT_EXIST,
                g_strdup_printf("the consumer's subscription not exist, %s", group));
        if (sub->sub_version < sub_version)
            return rmq_broker_response_take(req, RMQ_RESPONSE_SUBSCRIPTION_NOT_LATEST,
                                            g_strdup("the consumer's subscription not latest"));
    }
    const GArray *codes = sub != NULL && sub->codes->len > 0 ? sub->codes : NULL;

    gint64 start_us = g_get_monotonic_time();
    g_autoptr(RmqGetResult) r = rmq_store_get_message(b->store, topic, queue_id, offset, max_nums,
                                                      codes != NULL ? tag_filter : NULL,
                                                      (gpointer) codes);
    rmq_broker_count_get(b, r, start_us);
    gint32 code;
    switch (r->status) {
    case RMQ_GET_FOUND:
        code = RMQ_RESPONSE_SUCCESS;
        break;
    case RMQ_GET_MESSAGE_WAS_REMOVING:
    case RMQ_GET_NO_MATCHED_MESSAGE:
        code = RMQ_RESPONSE_PULL_RETRY_IMMEDIATELY;
        break;
    case RMQ_GET_NO_MATCHED_LOGIC_QUEUE:
    case RMQ_GET_NO_MESSAGE_IN_QUEUE:
        code = offset != 0 ? RMQ_RESPONSE_PULL_OFFSET_MOVED : RMQ_RESPONSE_PULL_NOT_FOUND;
        break;
    case RMQ_GET_OFFSET_FOUND_NULL:
    case RMQ_GET_OFFSET_OVERFLOW_ONE:
        code = RMQ_RESPONSE_PULL_NOT_FOUND;
        break;
    default: /* OFFSET_OVERFLOW_BADLY, OFFSET_TOO_SMALL */
        code = RMQ_RESPONSE_PULL_OFFSET_MOVED;
        break;
    }

    /* docs/protocol.md §10.2 step 8: the first attempt stores the piggybacked offset. */
    if (allow_suspend && (sys_flag & PULL_FLAG_COMMIT_OFFSET) && !s->slave) {
        rmq_consumer_offsets_commit(b->offsets, group, topic, queue_id, commit_offset);
        b->offsets_dirty = TRUE;
    }

    if (code == RMQ_RESPONSE_PULL_NOT_FOUND && allow_suspend && (sys_flag & PULL_FLAG_SUSPEND) &&
        !b->stopping) {
        gint64 hold = s->long_polling_enable ? suspend_ms : s->short_polling_time_mills;
        rmq_long_poll_park(b->long_poll, conn, copy_for_park(req), topic, queue_id,
                           offset, g_get_monotonic_time() + hold * 1000, codes);
        return NULL;
    }

    /* docs/protocol.md §10.2: a slave does not correct offsets (offsetCheckInSlave=false): it
     * may just be behind its master, so the client retries. */
    gint64 next_begin = r->next_begin_offset;
    if (s->slave && code == RMQ_RESPONSE_PULL_OFFSET_MOVED) {
        code = RMQ_RESPONSE_PULL_RETRY_IMMEDIATELY;
        next_begin = offset;
    }
    /* docs/protocol.md §9.2: with slaveReadEnable a lagging consumer is sent to the group's
     * whichBrokerWhenConsumeSlowly, else to the group's brokerId. */
    gint64 suggest = 0;
    if (s->slave_read_enable)
        suggest = r->suggest_pulling_from_slave ? g->which_broker_when_consume_slowly
                                                : g->broker_id;

    RmqCommand *resp = rmq_broker_response_borrow(req, code, rmq_get_status_name(r->status));
    rmq_command_set_ext_int64(resp, "suggestWhichBrokerId", suggest);
    rmq_command_set_ext_int64(resp, "nextBeginOffset", next_begin);
    rmq_command_set_ext_int64(resp, "minOffset", r->min_offset);
    rmq_command_set_ext_int64(resp, "maxOffset", r->max_offset);
    if (code == RMQ_RESPONSE_SUCCESS && r->body != NULL) {
        rmq_command_set_body(resp, r->body);
        g_autofree gchar *key = g_strconcat(topic, "@", group, NULL);
        rmq_stats_add(b->stats_table, RMQ_STATS_GROUP_GET_NUMS, key, r->msg_count);
        rmq_stats_add(b->stats_table, RMQ_STATS_GROUP_GET_SIZE, key,
                      (gint64) g_bytes_get_size(r->body));
        rmq_stats_add(b->stats_table, RMQ_STATS_BROKER_GET_NUMS, s->cluster_name, r->msg_count);
    }
    return resp;
}

void
rmq_broker_handle_pull(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    RmqCommand *resp = rmq_broker_pull_execute(b, conn, req, TRUE);
    if (resp != NULL)
        rmq_broker_reply(conn, req, resp);
    else
        rmq_command_free(req);
}
