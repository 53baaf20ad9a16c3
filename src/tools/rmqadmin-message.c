/* rmqadmin message subcommands: queryMsgById, queryMsgByKey,
 * queryMsgByOffset, sendMessage, consumeMessage. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "tools/rmqadmin.h"
#include "remoting/json_body.h"

#define TOOLS_CONSUMER_GROUP "TOOLS_CONSUMER"
#define TOOLS_PRODUCER_GROUP "TOOLS_PRODUCER"

static const gchar *
namesrv_of(RmqAdminCommon *c)
{
    return c->namesrv ? c->namesrv : g_getenv("NAMESRV_ADDR");
}

static gchar *
time_text(gint64 ms)
{
    if (ms <= 0)
        return g_strdup("-");
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(ms / 1000);
    g_autofree gchar *s = g_date_time_format(dt, "%F %T");
    return g_strdup_printf("%s.%03d", s, (int) (ms % 1000));
}

static void
print_msg(const RmqMsg *m)
{
    g_autofree gchar *born = time_text(m->born_timestamp);
    g_autofree gchar *stored = time_text(m->store_timestamp);
    printf("%-20s %s\n", "OffsetID:", m->offset_msg_id ? m->offset_msg_id : "");
    printf("%-20s %s\n", "MsgId:", rmq_msg_get_msg_id(m) ? rmq_msg_get_msg_id(m) : "");
    printf("%-20s %s\n", "Topic:", m->topic);
    printf("%-20s [%s]\n", "Tags:", rmq_msg_get_tags(m) ? rmq_msg_get_tags(m) : "");
    printf("%-20s [%s]\n", "Keys:", rmq_msg_get_keys(m) ? rmq_msg_get_keys(m) : "");
    printf("%-20s %d\n", "Queue ID:", m->queue_id);
    printf("%-20s %" G_GINT64_FORMAT "\n", "Queue Offset:", m->queue_offset);
    printf("%-20s %" G_GINT64_FORMAT "\n", "CommitLog Offset:", m->commit_log_offset);
    printf("%-20s %d\n", "Reconsume Times:", m->reconsume_times);
    printf("%-20s %s\n", "Born Timestamp:", born);
    printf("%-20s %s\n", "Store Timestamp:", stored);
    printf("%-20s %s\n", "Born Host:", m->born_host ? m->born_host : "");
    printf("%-20s %s\n", "Store Host:", m->store_host ? m->store_host : "");
    printf("%-20s %d\n", "System Flag:", m->sys_flag);
    g_autoptr(GString) props = g_string_new(NULL);
    GHashTable *table = rmq_msg_get_properties(m);
    g_autoptr(GList) keys = g_hash_table_get_keys(table);
    keys = g_list_sort(keys, (GCompareFunc) g_strcmp0);
    for (GList *l = keys; l; l = l->next)
        g_string_append_printf(props, "%s%s=%s", props->len ? ", " : "", (gchar *) l->data,
                               (gchar *) g_hash_table_lookup(table, l->data));
    printf("%-20s {%s}\n", "Properties:", props->str);
    gsize len;
    const gchar *body = g_bytes_get_data(m->body, &len);
    if (g_utf8_validate(body ? body : "", (gssize) len, NULL))
        printf("%-20s %.*s\n", "Message Body:", (int) len, body ? body : "");
    else
        printf("%-20s <%" G_GSIZE_FORMAT " bytes of binary>\n", "Message Body:", len);
}

static int
print_msgs(RmqAdminCommon *c, GPtrArray *msgs)
{
    if (c->json) {
        JsonArray *a = json_array_new();
        for (guint i = 0; i < msgs->len; i++)
            json_array_add_element(a, rmq_msg_to_json(g_ptr_array_index(msgs, i)));
        rmqadmin_print_json(rmq_json_node_take_array(a));
        return 0;
    }
    for (guint i = 0; i < msgs->len; i++) {
        if (i)
            printf("\n");
        print_msg(g_ptr_array_index(msgs, i));
    }
    return 0;
}

/* The messages of one id, mqadmin's two kinds: the offset id (broker
 * host:port and commit log offset, the OffsetMsgId of a send) is read where
 * it points; anything else (the client's MsgId, UNIQ_KEY) is looked up in
 * -t TOPIC's index. NULL with *@rc the exit code. */
static GPtrArray *
msgs_of_id(RmqAdminCommon *c, const gchar *name, const gchar *id, const gchar *topic, int *rc)
{
    g_autoptr(GError) error = NULL;
    GPtrArray *msgs = NULL;
    RmqMsg *m = rmq_admin_view_message(c->admin, id, &error);
    if (m != NULL) {
        msgs = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
        g_ptr_array_add(msgs, m);
        return msgs;
    }
    if (topic != NULL) {
        g_autoptr(GError) by_key = NULL;
        msgs = rmq_admin_query_by_unique_key(c->admin, topic, id, &by_key);
        if (msgs != NULL)
            return msgs;
        /* the unique-key answer, unless the id was an offset id that failed */
        if (g_error_matches(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL) ||
            !g_error_matches(by_key, RMQ_MQ_ERROR, RMQ_MQ_ERROR_NOT_FOUND))
            *rc = rmqadmin_fail(name, by_key);
        else
            *rc = rmqadmin_fail(name, error);
        return NULL;
    }
    if (g_error_matches(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_ILLEGAL)) {
        g_autofree gchar *text = g_strdup_printf(
            "%s is not an offset message id; a MsgId (sendMessage's first id) needs "
            "-t TOPIC", id);
        *rc = rmqadmin_usage(name, text);
    } else {
        *rc = rmqadmin_fail(name, error);
    }
    return NULL;
}

int
rmqadmin_query_msg_by_id(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *ids = NULL;
    g_autofree gchar *topic = NULL;
    g_autofree gchar *group = NULL;
    g_autofree gchar *client_id = NULL;
    g_autofree gchar *resend = NULL;
    g_autofree gchar *unit = NULL;
    GOptionEntry e[] = {
        { "msgId", 'i', 0, G_OPTION_ARG_STRING, &ids,
          "MsgId or OffsetMsgId (both are printed by sendMessage); several, comma separated",
          "ID[,ID...]" },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic,
          "Topic of the message (needed for a MsgId)", "TOPIC" },
        { "consumerGroup", 'g', 0, G_OPTION_ARG_STRING, &group,
          "consumer group name (with -d: the client consumes the message directly)", "GROUP" },
        { "clientId", 'd', 0, G_OPTION_ARG_STRING, &client_id, "The consumer's client id", "ID" },
        { "sendMessage", 's', 0, G_OPTION_ARG_STRING, &resend, "resend message (true|false)",
          "BOOL" },
        { "unitName", 'u', 0, G_OPTION_ARG_STRING, &unit, "unit name (accepted, no effect)",
          "UNIT" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            "Show a message by its offset message id (OffsetMsgId), or by the "
                            "client's message id (MsgId) within -t TOPIC; or have a client "
                            "consume it (-g -d), or send it again (-s true).",
                            "-i MSG_ID [-t TOPIC]", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (ids == NULL)
        return rmqadmin_usage(argv[0], "-i MSG_ID is required");
    g_auto(GStrv) list = g_strsplit(ids, ",", -1);
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
    g_autoptr(GPtrArray) of = g_ptr_array_new(); /* the id each message was found by */
    for (guint i = 0; list[i]; i++) {
        const gchar *id = g_strstrip(list[i]);
        if (*id == '\0')
            continue;
        g_autoptr(GPtrArray) msgs = msgs_of_id(c, argv[0], id, topic, &rc);
        if (msgs == NULL)
            return rc;
        for (guint k = 0; k < msgs->len; k++) {
            g_ptr_array_add(all, g_steal_pointer(&msgs->pdata[k]));
            g_ptr_array_add(of, (gpointer) id);
        }
    }
    if (all->len == 0)
        return rmqadmin_usage(argv[0], "-i MSG_ID is required");
    g_autoptr(GError) error = NULL;
    if ((group != NULL && client_id != NULL) || resend != NULL) {
        g_autofree gchar *flag = resend ? g_ascii_strdown(g_strstrip(resend), -1) : NULL;
        gboolean direct = group != NULL && client_id != NULL;
        JsonArray *out = json_array_new();
        for (guint i = 0; i < all->len; i++) {
            if (i > 0 && g_ptr_array_index(of, i) == g_ptr_array_index(of, i - 1))
                continue; /* one per id, as mqadmin */
            gboolean ok = TRUE;
            if (direct)
                ok = rmqadmin_consume_directly(c, g_ptr_array_index(all, i), group, client_id, out,
                                               &error);
            else if (g_strcmp0(flag, "true") == 0)
                ok = rmqadmin_resend(c, g_ptr_array_index(all, i), g_ptr_array_index(of, i), out,
                                     &error);
            if (!ok) {
                json_array_unref(out);
                return rmqadmin_fail(argv[0], error);
            }
        }
        if (c->json)
            rmqadmin_print_json(rmq_json_node_take_array(out));
        else
            json_array_unref(out);
        return RMQADMIN_EXIT_OK;
    }
    if (c->json && all->len == 1) {
        rmqadmin_print_json(rmq_msg_to_json(g_ptr_array_index(all, 0)));
        return 0;
    }
    return print_msgs(c, all);
}

int
rmqadmin_query_msg_by_key(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL;
    g_autofree gchar *key = NULL;
    g_autofree gchar *begin = NULL;
    g_autofree gchar *end = NULL;
    gint max = 64;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Topic", "TOPIC" },
        { "msgKey", 'k', 0, G_OPTION_ARG_STRING, &key, "Message key", "KEY" },
        { "beginTimestamp", 's', 0, G_OPTION_ARG_STRING, &begin, "From (ms or yyyy-MM-dd#HH:mm:ss:SSS; default 0)", "TIME" },
        { "endTimestamp", 'e', 0, G_OPTION_ARG_STRING, &end, "Until (default now)", "TIME" },
        { "maxNum", 'c', 0, G_OPTION_ARG_INT, &max, "At most this many per broker (64)", "N" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Find messages by key.", "-t TOPIC -k KEY", e, &argc,
                            &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL || key == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC and -k KEY are required");
    gint64 b = begin ? rmqadmin_parse_time(begin) : 0;
    gint64 en = end ? rmqadmin_parse_time(end) : G_MAXINT64 / 2;
    if (b < 0 || en < 0)
        return rmqadmin_usage(argv[0], "bad -s/-e time");
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) msgs = rmq_admin_query_by_key(c->admin, topic, key, max, b, en, &error);
    if (msgs == NULL)
        return rmqadmin_fail(argv[0], error);
    if (c->json)
        return print_msgs(c, msgs);
    RmqTable *t = rmqadmin_table_new("#Message ID", "#QID", "#Offset", NULL);
    for (guint i = 0; i < msgs->len; i++) {
        RmqMsg *m = g_ptr_array_index(msgs, i);
        g_autofree gchar *q = g_strdup_printf("%d", m->queue_id);
        g_autofree gchar *o = g_strdup_printf("%" G_GINT64_FORMAT, m->queue_offset);
        rmqadmin_table_add(t, m->offset_msg_id, q, o, NULL);
    }
    rmqadmin_table_print(t);
    return 0;
}

int
rmqadmin_query_msg_by_offset(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL;
    g_autofree gchar *broker = NULL;
    gint qid = -1;
    gint64 offset = -1;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Topic", "TOPIC" },
        { "brokerName", 'b', 0, G_OPTION_ARG_STRING, &broker, "Broker name", "NAME" },
        { "queueId", 'i', 0, G_OPTION_ARG_INT, &qid, "Queue id", "QID" },
        { "queue", 'q', 0, G_OPTION_ARG_INT, &qid, "Same as -i", "QID" },
        { "offset", 'o', 0, G_OPTION_ARG_INT64, &offset, "Queue offset", "OFFSET" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Show the message at a queue offset.",
                            "-t TOPIC -b BROKER_NAME -i QID -o OFFSET", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL || broker == NULL || qid < 0 || offset < 0)
        return rmqadmin_usage(argv[0], "-t, -b, -i and -o are required");
    g_autoptr(RmqConsumer) cons = rmq_consumer_new(TOOLS_CONSUMER_GROUP, namesrv_of(c), NULL);
    rmqadmin_sign(c, rmq_consumer_get_instance(cons));
    g_autoptr(RmqQueue) q = rmq_queue_new(topic, broker, qid);
    RmqPullResult r;
    g_autoptr(GError) error = NULL;
    if (!rmq_consumer_pull(cons, q, "*", offset, 1, 0, &r, &error))
        return rmqadmin_fail(argv[0], error);
    if (r.status != RMQ_PULL_FOUND || r.msgs->len == 0) {
        fprintf(stderr, "rmqadmin %s: no message at offset %" G_GINT64_FORMAT " of %s/%s/%d (%s; "
                "queue holds %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT ")\n", argv[0], offset,
                topic, broker, qid, rmq_pull_status_name(r.status), r.min_offset, r.max_offset);
        rmq_pull_result_clear(&r);
        return RMQADMIN_EXIT_NOT_FOUND;
    }
    g_ptr_array_set_size(r.msgs, 1);
    rc = c->json ? (rmqadmin_print_json(rmq_msg_to_json(g_ptr_array_index(r.msgs, 0))), 0)
                 : print_msgs(c, r.msgs);
    rmq_pull_result_clear(&r);
    return rc;
}

int
rmqadmin_send_message(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL;
    g_autofree gchar *body = NULL;
    g_autofree gchar *keys = NULL;
    g_autofree gchar *tags = NULL;
    g_autofree gchar *broker = NULL;
    gint qid = -1;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Topic", "TOPIC" },
        { "body", 'p', 0, G_OPTION_ARG_STRING, &body, "Message body", "TEXT" },
        { "keys", 'k', 0, G_OPTION_ARG_STRING, &keys, "Message keys", "KEYS" },
        { "tags", 'c', 0, G_OPTION_ARG_STRING, &tags, "Message tag", "TAG" },
        { "broker", 'b', 0, G_OPTION_ARG_STRING, &broker, "Send to this broker name", "NAME" },
        { "qid", 'i', 0, G_OPTION_ARG_INT, &qid, "Send to this queue (with -b)", "QID" },
        { "queue", 'q', 0, G_OPTION_ARG_INT, &qid, "Same as -i", "QID" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Send one message.", "-t TOPIC -p BODY [-k KEYS] [-c TAG]",
                            e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL || body == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC and -p BODY are required");
    if ((broker == NULL) != (qid < 0))
        return rmqadmin_usage(argv[0], "-b and -i go together");
    g_autoptr(RmqProducer) p = rmq_producer_new(TOOLS_PRODUCER_GROUP, namesrv_of(c), NULL);
    rmqadmin_sign(c, rmq_producer_get_instance(p));
    g_autoptr(RmqMsg) m = rmq_msg_new(topic, body, -1);
    rmq_msg_set_keys(m, keys);
    rmq_msg_set_tags(m, tags);
    RmqSendResult r;
    g_autoptr(GError) error = NULL;
    gboolean ok;
    if (broker) {
        g_autoptr(RmqQueue) q = rmq_queue_new(topic, broker, qid);
        ok = rmq_producer_send_to_queue(p, m, q, &r, &error);
    } else {
        ok = rmq_producer_send(p, m, &r, &error);
    }
    if (!ok)
        return rmqadmin_fail(argv[0], error);
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "topic", topic);
        json_object_set_string_member(o, "brokerName", r.broker_name);
        json_object_set_int_member(o, "queueId", r.queue_id);
        json_object_set_int_member(o, "queueOffset", r.queue_offset);
        json_object_set_string_member(o, "sendStatus", rmq_send_status_name(r.status));
        json_object_set_string_member(o, "msgId", r.msg_id);
        json_object_set_string_member(o, "offsetMsgId", r.offset_msg_id);
        rmqadmin_print_json(rmq_json_node_take_object(o));
    } else {
        RmqTable *t = rmqadmin_table_new("#Broker Name", "#QID", "#Send Result", "#MsgId",
                                         "#OffsetMsgId", NULL);
        g_autofree gchar *q = g_strdup_printf("%d", r.queue_id);
        rmqadmin_table_add(t, r.broker_name, q, rmq_send_status_name(r.status), r.msg_id,
                           r.offset_msg_id ? r.offset_msg_id : "", NULL);
        rmqadmin_table_print(t);
    }
    rmq_send_result_clear(&r);
    return 0;
}

int
rmqadmin_consume_message(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL;
    g_autofree gchar *broker = NULL;
    g_autofree gchar *group = NULL;
    g_autofree gchar *expr = NULL;
    gint qid = -1, count = 128;
    gint64 offset = -1;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Topic", "TOPIC" },
        { "brokerName", 'b', 0, G_OPTION_ARG_STRING, &broker, "Only this broker", "NAME" },
        { "queueId", 'i', 0, G_OPTION_ARG_INT, &qid, "Only this queue", "QID" },
        { "queue", 'q', 0, G_OPTION_ARG_INT, &qid, "Same as -i", "QID" },
        { "offset", 'o', 0, G_OPTION_ARG_INT64, &offset, "Start offset (default: the queue's min)", "OFFSET" },
        { "consumerGroup", 'g', 0, G_OPTION_ARG_STRING, &group, "Group to pull as (" TOOLS_CONSUMER_GROUP ")", "GROUP" },
        { "messageCount", 'c', 0, G_OPTION_ARG_INT, &count, "Stop after this many (128)", "N" },
        { "subExpression", 'x', 0, G_OPTION_ARG_STRING, &expr, "Tag filter (*)", "EXPR" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0],
                            "Pull messages from a topic (without committing offsets) and print them.",
                            "-t TOPIC", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC is required");
    g_autoptr(RmqConsumer) cons = rmq_consumer_new(group ? group : TOOLS_CONSUMER_GROUP,
                                                   namesrv_of(c), NULL);
    rmqadmin_sign(c, rmq_consumer_get_instance(cons));
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) queues = rmq_consumer_fetch_subscribe_queues(cons, topic, &error);
    if (queues == NULL)
        return rmqadmin_fail(argv[0], error);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_msg_free);
    for (guint i = 0; i < queues->len && (gint) out->len < count; i++) {
        RmqQueue *q = g_ptr_array_index(queues, i);
        if ((broker && strcmp(broker, q->broker_name) != 0) || (qid >= 0 && q->queue_id != qid))
            continue;
        gint64 off = offset;
        if (off < 0) {
            off = rmq_consumer_min_offset(cons, q, &error);
            if (off < 0)
                return rmqadmin_fail(argv[0], error);
        }
        while ((gint) out->len < count) {
            RmqPullResult r;
            if (!rmq_consumer_pull(cons, q, expr, off, MIN(32, count - (gint) out->len), 0, &r,
                                   &error))
                return rmqadmin_fail(argv[0], error);
            gboolean more = r.status == RMQ_PULL_FOUND || r.status == RMQ_PULL_NO_MATCHED_MSG;
            more = more && r.next_begin_offset > off;
            for (guint k = 0; k < r.msgs->len; k++) {
                g_ptr_array_add(out, r.msgs->pdata[k]);
                r.msgs->pdata[k] = NULL;
            }
            off = r.next_begin_offset;
            rmq_pull_result_clear(&r);
            if (!more)
                break;
        }
    }
    if ((gint) out->len > count)
        g_ptr_array_set_size(out, (guint) count);
    return print_msgs(c, out);
}

int
rmqadmin_print_msgs(RmqAdminCommon *c, GPtrArray *msgs)
{
    return print_msgs(c, msgs);
}
