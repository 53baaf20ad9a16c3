/* PULL_MESSAGE (11): the docs/protocol.md §10.2 algorithm, tag filtering through the store's
 * consume-queue filter, SQL92 filtering of the stored properties (§10.8),
 * commit-offset piggybacking and long polling. Bodies are the stored records
 * verbatim. */
#include <config.h>

#include <string.h>

#include "broker/broker.h"
#include "broker/commands.h"
#include "broker/stats.h"
#include "broker/client_registry.h"
#include "broker/long_poll.h"
#include "remoting/codes.h"
#include "store/message_format.h"

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

/* Java's parse cache holds 100 expressions; past that this one starts over
 * (subscriptions hold their own references). */
#define FILTER_CACHE_MAX 128

RmqFilter *
rmq_broker_filter_compile(RmqBroker *b, const gchar *type, const gchar *text, GError **error)
{
    if (g_strcmp0(type, "SQL92") != 0) {
        g_set_error(error, RMQ_FILTER_ERROR, RMQ_FILTER_ERROR_ILLEGAL,
                    "unknown expression type %s", type != NULL ? type : "(null)");
        return NULL;
    }
    if (text == NULL)
        text = "";
    if (b->filter_cache == NULL)
        b->filter_cache = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                (GDestroyNotify) rmq_filter_unref);
    RmqFilter *f = g_hash_table_lookup(b->filter_cache, text);
    if (f != NULL)
        return rmq_filter_ref(f);
    f = rmq_filter_compile(text, NULL, NULL, error);
    if (f == NULL)
        return NULL;
    if (g_hash_table_size(b->filter_cache) >= FILTER_CACHE_MAX)
        g_hash_table_remove_all(b->filter_cache);
    /* the key is the filter's own copy of the text */
    g_hash_table_insert(b->filter_cache, (gpointer) rmq_filter_get_text(f), rmq_filter_ref(f));
    return f;
}

/* One stored record's properties for the evaluator. */
typedef struct {
    const gchar *props;
    gsize len;
} RecordProps;

static const gchar *
record_lookup(const gchar *name, gsize *len, gpointer data)
{
    const RecordProps *rp = data;
    const char *value = NULL;
    if (!rmq_message_property_get(rp->props, rp->len, name, &value, len))
        return NULL;
    return value;
}

static gboolean
record_props(const guint8 *record, gint32 size, RecordProps *out)
{
    RmqMessageRecord rec;
    if (rmq_message_decode(record, (gsize) size, FALSE, &rec) != RMQ_RECORD_OK)
        return FALSE;
    out->props = rec.properties;
    out->len = rec.properties_len > 0 ? (gsize) rec.properties_len : 0;
    return TRUE;
}

/* Java's ExpressionMessageFilter.isMatchedByCommitLog: deliver what
 * evaluates to TRUE; NULL, FALSE and evaluation errors are skipped. */
static gboolean
sql_filter(const guint8 *record, gint32 size, gpointer data)
{
    RecordProps rp;
    return record_props(record, size, &rp) && rmq_filter_matches(data, record_lookup, &rp);
}

/* ExpressionForRetryMessageFilter (filterSupportRetry): a retry topic's
 * message is judged by the group's filter on the topic it came from
 * (RETRY_TOPIC); without one it is delivered. */
typedef struct {
    RmqBroker *b;
    const gchar *group;
} RetryFilter;

static gboolean
retry_filter(const guint8 *record, gint32 size, gpointer data)
{
    const RetryFilter *rf = data;
    RecordProps rp;
    if (!record_props(record, size, &rp))
        return TRUE;
    const char *real = NULL;
    gsize real_len = 0;
    if (!rmq_message_property_get(rp.props, rp.len, RMQ_PROPERTY_RETRY_TOPIC, &real, &real_len) ||
        real == NULL)
        return TRUE;
    g_autofree gchar *topic = g_strndup(real, real_len);
    const RmqSubscription *s = rmq_client_registry_subscription(rf->b->clients, rf->group, topic);
    if (s == NULL || s->filter == NULL)
        return TRUE;
    return rmq_filter_matches(s->filter, record_lookup, &rp);
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

/* A tag expression rmq_subscription_parse() would read as "*": NULL, blank,
 * or "*" between blanks. */
static gboolean
tag_matches_all(const gchar *text)
{
    if (text == NULL)
        return TRUE;
    while (g_ascii_isspace(*text))
        text++;
    if (*text == '*')
        text++;
    while (g_ascii_isspace(*text))
        text++;
    return *text == '\0';
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

    g_autoptr(RmqSubscription) own = NULL;
    g_autoptr(RmqFilter) filter = NULL;
    const RmqSubscription *sub = NULL;
    if (sys_flag & PULL_FLAG_SUBSCRIPTION) {
        const gchar *etype = rmq_command_get_ext(req, "expressionType");
        const gchar *text = rmq_command_get_ext(req, "subscription");
        if (rmq_expression_type_is_tag(etype)) {
            /* "*" (what most pulls carry) has no tag codes: nothing to parse
             * or allocate per pull. */
            if (!tag_matches_all(text)) {
                own = rmq_subscription_parse(topic, text);
                sub = own;
            }
        } else {
            /* Java checks enablePropertyFilter after parsing, but a parse
             * failure there is swallowed; refusing first answers the same */
            if (!s->enable_property_filter)
                return rmq_broker_response_take(
                    req, RMQ_RESPONSE_SYSTEM_ERROR,
                    g_strdup_printf("The broker does not support consumer to filter message "
                                    "by %s",
                                    etype));
            g_autoptr(GError) error = NULL;
            filter = rmq_broker_filter_compile(b, etype, text, &error);
            if (filter == NULL)
                return rmq_broker_response_take(
                    req, RMQ_RESPONSE_SUBSCRIPTION_PARSE_FAILED,
                    g_strdup_printf("parse the consumer's subscription failed: %s",
                                    error->message));
        }
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
        if (!rmq_expression_type_is_tag(sub->expression_type)) {
            if (sub->filter == NULL)
                return rmq_broker_response_take(
                    req, RMQ_RESPONSE_FILTER_DATA_NOT_EXIST,
                    g_strdup("The broker's consumer filter data is not exist!Your expression "
                             "may be wrong!"));
            if (!s->enable_property_filter)
                return rmq_broker_response_take(
                    req, RMQ_RESPONSE_SYSTEM_ERROR,
                    g_strdup_printf("The broker does not support consumer to filter message "
                                    "by %s",
                                    sub->expression_type));
            filter = rmq_filter_ref(sub->filter);
        }
    }
    const GArray *codes = sub != NULL && sub->codes->len > 0 ? sub->codes : NULL;

    /* Tag subscriptions take the consume-queue path alone, as before; SQL92
     * reads each stored record's properties. */
    RetryFilter rf = { b, group };
    gint64 start_us = g_get_monotonic_time();
    g_autoptr(RmqGetResult) r = NULL;
    if (filter != NULL)
        r = rmq_store_get_message_filtered(b->store, topic, queue_id, offset, max_nums, NULL,
                                           sql_filter, filter);
    else if (s->filter_support_retry && s->enable_property_filter &&
             g_str_has_prefix(topic, "%RETRY%"))
        r = rmq_store_get_message_filtered(b->store, topic, queue_id, offset, max_nums, NULL,
                                           retry_filter, &rf);
    else
        r = rmq_store_get_message(b->store, topic, queue_id, offset, max_nums,
                                  codes != NULL ? tag_filter : NULL, (gpointer) codes);
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
