/* rmqadmin: printing and probing messages (mqadmin 4.9's printMsg,
 * printMsgByQueue, queryMsgByUniqueKey, sendMsgStatus, checkMsgSendRT),
 * with mqadmin's options and output lines; --json for scripts. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "tools/rmqadmin.h"

#include "remoting/codes.h"
#include "remoting/json_body.h"

#define TOOLS_CONSUMER_GROUP "TOOLS_CONSUMER"

/* mqadmin's timestampFormat: milliseconds or yyyy-MM-dd#HH:mm:ss:SSS. */
static gboolean
time_option(const gchar *name, const gchar *text, gint64 *out, int *rc)
{
    if (text == NULL)
        return TRUE;
    g_autofree gchar *t = g_strstrip(g_strdup(text));
    *out = strcmp(t, "now") == 0 ? -1 : rmqadmin_parse_time(t);
    if (*out >= 0)
        return TRUE;
    *rc = rmqadmin_usage(name, "not a time (milliseconds or yyyy-MM-dd#HH:mm:ss:SSS)");
    return FALSE;
}

/* Java's Boolean.parseBoolean. */
static gboolean
java_bool(const gchar *s, gboolean dflt)
{
    if (s == NULL)
        return dflt;
    g_autofree gchar *t = g_strstrip(g_strdup(s));
    return g_ascii_strcasecmp(t, "true") == 0;
}

/* "MessageQueue [topic=…, brokerName=…, queueId=…]" */
static gchar *
mq_text(const RmqQueue *mq)
{
    return g_strdup_printf("MessageQueue [topic=%s, brokerName=%s, queueId=%d]", mq->topic,
                           mq->broker_name, mq->queue_id);
}

/* MessageExt.toString() of Java, for printMsg's lines. (transfer full) */
static gchar *
msg_ext_text(const RmqMsg *m, const gchar *broker_name)
{
    gsize len = 0;
    const guint8 *body = m->body ? g_bytes_get_data(m->body, &len) : NULL;
    GString *bytes = g_string_new("[");
    for (gsize i = 0; i < len; i++)
        g_string_append_printf(bytes, "%s%d", i ? ", " : "", (gint8) body[i]);
    g_string_append_c(bytes, ']');
    GString *props = g_string_new("{");
    GHashTable *table = rmq_msg_get_properties(m);
    g_autoptr(GList) keys = g_hash_table_get_keys(table);
    keys = g_list_sort(keys, (GCompareFunc) g_strcmp0);
    for (GList *l = keys; l; l = l->next)
        g_string_append_printf(props, "%s%s=%s", l != keys ? ", " : "", (gchar *) l->data,
                               (gchar *) g_hash_table_lookup(table, l->data));
    g_string_append_c(props, '}');
    guint32 crc = (guint32) crc32(0L, body ? body : (const guint8 *) "", (uInt) len) & 0x7FFFFFFF;
    gchar *out = g_strdup_printf(
        "MessageExt [brokerName=%s, queueId=%d, storeSize=%d, queueOffset=%" G_GINT64_FORMAT
        ", sysFlag=%d, bornTimestamp=%" G_GINT64_FORMAT ", bornHost=/%s, storeTimestamp=%"
        G_GINT64_FORMAT ", storeHost=/%s, msgId=%s, commitLogOffset=%" G_GINT64_FORMAT
        ", bodyCRC=%u, reconsumeTimes=%d, preparedTransactionOffset=0, toString()=Message{"
        "topic='%s', flag=%d, properties=%s, body=%s, transactionId='%s'}]",
        broker_name ? broker_name : "null", m->queue_id, m->store_size, m->queue_offset,
        m->sys_flag, m->born_timestamp, m->born_host ? m->born_host : "",
        m->store_timestamp, m->store_host ? m->store_host : "",
        m->offset_msg_id ? m->offset_msg_id : "null", m->commit_log_offset, crc,
        m->reconsume_times, m->topic, m->flag, props->str, bytes->str,
        rmq_msg_get_property(m, "__transactionId__") ? rmq_msg_get_property(m, "__transactionId__")
                                                     : "null");
    g_string_free(bytes, TRUE);
    g_string_free(props, TRUE);
    return out;
}

/* "MSGID: … MessageExt […] BODY: …" (printBody FALSE: NOT PRINT BODY). */
static void
print_msg_line(const RmqMsg *m, const gchar *broker_name, gboolean print_body)
{
    g_autofree gchar *ext = msg_ext_text(m, broker_name);
    gsize len = 0;
    const gchar *body = m->body ? g_bytes_get_data(m->body, &len) : NULL;
    g_autofree gchar *text = print_body ? g_utf8_make_valid(body ? body : "", (gssize) len)
                                        : g_strdup("NOT PRINT BODY");
    const gchar *id = rmq_msg_get_msg_id(m);
    printf("MSGID: %s %s BODY: %s\n", id ? id : "null", ext, text);
}

/* A SendResult's fields, as --json shows them, into @o. */
static void
put_send_result(JsonObject *o, const RmqSendResult *res)
{
    json_object_set_string_member(o, "sendStatus", rmq_send_status_name(res->status));
    json_object_set_string_member(o, "msgId", res->msg_id);
    json_object_set_string_member(o, "offsetMsgId", res->offset_msg_id);
    json_object_set_string_member(o, "brokerName", res->broker_name);
    json_object_set_int_member(o, "queueId", res->queue_id);
    json_object_set_int_member(o, "queueOffset", res->queue_offset);
}

/* Java's SendResult.toString() for a message sent to @topic. (transfer full) */
static gchar *
send_result_text(const RmqSendResult *res, const gchar *topic)
{
    return g_strdup_printf("SendResult [sendStatus=%s, msgId=%s, offsetMsgId=%s, "
                           "messageQueue=MessageQueue [topic=%s, brokerName=%s, queueId=%d], "
                           "queueOffset=%" G_GINT64_FORMAT "]",
                           rmq_send_status_name(res->status), res->msg_id, res->offset_msg_id,
                           topic, res->broker_name, res->queue_id, res->queue_offset);
}

/* Range of one queue as printMsg computes it: [min, max), or times. */
static gboolean
queue_range(RmqConsumer *cons, const RmqQueue *mq, gint64 begin, gint64 end, gint64 *lo,
            gint64 *hi, GError **error)
{
    *lo = rmq_consumer_min_offset(cons, mq, error);
    if (*lo < 0)
        return FALSE;
    *hi = rmq_consumer_max_offset(cons, mq, error);
    if (*hi < 0)
        return FALSE;
    if (begin >= 0 && (*lo = rmq_consumer_search_offset(cons, mq, begin, error)) < 0)
        return FALSE;
    if (end >= 0 && (*hi = rmq_consumer_search_offset(cons, mq, end, error)) < 0)
        return FALSE;
    return TRUE;
}

/* One pull of up to 32 messages at *@off, which moves on to the next; FALSE,
 * said on stderr, when the pull failed. */
static gboolean
pull_next(RmqConsumer *cons, const RmqQueue *mq, const gchar *sub, gint64 *off,
          const gchar *name, RmqPullResult *r)
{
    g_autoptr(GError) error = NULL;
    if (!rmq_consumer_pull(cons, mq, sub, *off, 32, 0, r, &error)) {
        fprintf(stderr, "rmqadmin %s: %s\n", name, error->message);
        return FALSE;
    }
    *off = r->next_begin_offset;
    return TRUE;
}

/* ---- printMsg ----------------------------------------------------------- */

int
rmqadmin_print_msg(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL;
    g_autofree gchar *charset = NULL;
    g_autofree gchar *expr = NULL;
    g_autofree gchar *begin_text = NULL;
    g_autofree gchar *end_text = NULL;
    g_autofree gchar *print_body = NULL;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "topic name", "TOPIC" },
        { "charsetName", 'c', 0, G_OPTION_ARG_STRING, &charset,
          "CharsetName(eg: UTF-8,GBK) (bodies are printed as UTF-8)", "CHARSET" },
        { "subExpression", 's', 0, G_OPTION_ARG_STRING, &expr,
          "Subscribe Expression(eg: TagA || TagB)", "EXPR" },
        { "beginTimestamp", 'b', 0, G_OPTION_ARG_STRING, &begin_text,
          "Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]", "TIME" },
        { "endTimestamp", 'e', 0, G_OPTION_ARG_STRING, &end_text,
          "End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]", "TIME" },
        { "printBody", 'd', 0, G_OPTION_ARG_STRING, &print_body, "print body (default true)",
          "BOOL" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Print Message Detail: every message of every queue of "
                                        "a topic, or of a time range.",
                            "-t TOPIC", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC is required");
    gint64 begin = -1, end = -1;
    if (!time_option(argv[0], begin_text, &begin, &rc) || !time_option(argv[0], end_text, &end, &rc))
        return rc;
    gboolean body = java_bool(print_body, TRUE);
    g_strstrip(topic);
    const gchar *sub = expr ? g_strstrip(expr) : "*";
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConsumer) cons = rmq_consumer_new_on(rmq_admin_get_instance(c->admin),
                                                      TOOLS_CONSUMER_GROUP);
    g_autoptr(GPtrArray) mqs = rmq_consumer_fetch_subscribe_queues(cons, topic, &error);
    if (mqs == NULL)
        return rmqadmin_fail(argv[0], error);
    JsonArray *out = json_array_new();
    for (guint i = 0; i < mqs->len; i++) {
        const RmqQueue *mq = g_ptr_array_index(mqs, i);
        gint64 lo, hi;
        if (!queue_range(cons, mq, begin, end, &lo, &hi, &error)) {
            json_array_unref(out);
            return rmqadmin_fail(argv[0], error);
        }
        g_autofree gchar *mqt = mq_text(mq);
        if (!c->json)
            printf("minOffset=%" G_GINT64_FORMAT ", maxOffset=%" G_GINT64_FORMAT ", %s\n", lo, hi,
                   mqt);
        for (gint64 off = lo; off < hi;) {
            RmqPullResult r;
            if (!pull_next(cons, mq, sub, &off, argv[0], &r))
                break;
            RmqPullStatus st = r.status;
            for (guint k = 0; k < r.msgs->len; k++) {
                const RmqMsg *m = g_ptr_array_index(r.msgs, k);
                if (c->json) {
                    JsonNode *n = rmq_msg_to_json(m);
                    json_object_set_string_member(json_node_get_object(n), "brokerName",
                                                  mq->broker_name);
                    json_array_add_element(out, n);
                } else {
                    print_msg_line(m, mq->broker_name, body);
                }
            }
            rmq_pull_result_clear(&r);
            if (st == RMQ_PULL_NO_MATCHED_MSG && !c->json)
                printf("%s no matched msg. status=%s, offset=%" G_GINT64_FORMAT "\n", mqt,
                       rmq_pull_status_name(st), off);
            if (st == RMQ_PULL_NO_NEW_MSG || st == RMQ_PULL_OFFSET_ILLEGAL) {
                if (!c->json)
                    printf("%s print msg finished. status=%s, offset=%" G_GINT64_FORMAT "\n", mqt,
                           rmq_pull_status_name(st), off);
                break;
            }
        }
        if (!c->json)
            printf("--------------------------------------------------------\n");
    }
    if (c->json)
        rmqadmin_print_json(rmq_json_node_take_array(out));
    else
        json_array_unref(out);
    return RMQADMIN_EXIT_OK;
}

/* ---- printMsgByQueue ------------------------------------------------------ */

typedef struct {
    gchar *tag;
    gint64 count;
} TagCount;

static gint
tag_count_cmp(gconstpointer a, gconstpointer b)
{
    const TagCount *x = *(TagCount *const *) a, *y = *(TagCount *const *) b;
    return y->count > x->count ? 1 : y->count < x->count ? -1 : g_strcmp0(x->tag, y->tag);
}

int
rmqadmin_print_msg_by_queue(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL;
    g_autofree gchar *broker_name = NULL;
    gint queue_id = -1;
    g_autofree gchar *charset = NULL;
    g_autofree gchar *expr = NULL;
    g_autofree gchar *begin_text = NULL;
    g_autofree gchar *end_text = NULL;
    g_autofree gchar *print_msg = NULL;
    g_autofree gchar *print_body = NULL;
    g_autofree gchar *calculate = NULL;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "topic name", "TOPIC" },
        { "brokerName", 'a', 0, G_OPTION_ARG_STRING, &broker_name, "broker name", "NAME" },
        { "queueId", 'i', 0, G_OPTION_ARG_INT, &queue_id, "queue id", "ID" },
        { "charsetName", 'c', 0, G_OPTION_ARG_STRING, &charset,
          "CharsetName(eg: UTF-8,GBK) (bodies are printed as UTF-8)", "CHARSET" },
        { "subExpression", 's', 0, G_OPTION_ARG_STRING, &expr,
          "Subscribe Expression(eg: TagA || TagB)", "EXPR" },
        { "beginTimestamp", 'b', 0, G_OPTION_ARG_STRING, &begin_text,
          "Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]", "TIME" },
        { "endTimestamp", 'e', 0, G_OPTION_ARG_STRING, &end_text,
          "End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]", "TIME" },
        { "print-msg", 'p', 0, G_OPTION_ARG_STRING, &print_msg,
          "print msg. eg: true | false(default)", "BOOL" },
        { "printBody", 'd', 0, G_OPTION_ARG_STRING, &print_body,
          "print body. eg: true | false(default)", "BOOL" },
        { "calculate", 'f', 0, G_OPTION_ARG_STRING, &calculate,
          "calculate by tag. eg: true | false(default)", "BOOL" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Print Message Detail of one queue, or count its "
                                        "messages by tag (-f true).",
                            "-t TOPIC -a BROKER_NAME -i QUEUE_ID", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL || broker_name == NULL || queue_id < 0)
        return rmqadmin_usage(argv[0], "-t TOPIC, -a BROKER_NAME and -i QUEUE_ID are required");
    gint64 begin = -1, end = -1;
    if (!time_option(argv[0], begin_text, &begin, &rc) || !time_option(argv[0], end_text, &end, &rc))
        return rc;
    gboolean show = java_bool(print_msg, FALSE);
    gboolean body = java_bool(print_body, FALSE);
    gboolean by_tag = java_bool(calculate, FALSE);
    const gchar *sub = expr ? g_strstrip(expr) : "*";
    g_autoptr(RmqQueue) mq = rmq_queue_new(g_strstrip(topic), g_strstrip(broker_name), queue_id);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqConsumer) cons = rmq_consumer_new_on(rmq_admin_get_instance(c->admin),
                                                      TOOLS_CONSUMER_GROUP);
    gint64 lo, hi;
    if (!queue_range(cons, mq, begin, end, &lo, &hi, &error))
        return rmqadmin_fail(argv[0], error);
    g_autoptr(GHashTable) tags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    JsonArray *msgs = json_array_new();
    for (gint64 off = lo; off < hi;) {
        RmqPullResult r;
        if (!pull_next(cons, mq, sub, &off, argv[0], &r))
            break;
        RmqPullStatus st = r.status;
        for (guint k = 0; k < r.msgs->len; k++) {
            const RmqMsg *m = g_ptr_array_index(r.msgs, k);
            const gchar *tag = rmq_msg_get_tags(m);
            if (by_tag && tag != NULL && *tag != '\0') {
                gint64 *n = g_hash_table_lookup(tags, tag);
                if (n == NULL) {
                    n = g_new0(gint64, 1);
                    g_hash_table_insert(tags, g_strdup(tag), n);
                }
                (*n)++;
            }
            if (show && c->json)
                json_array_add_element(msgs, rmq_msg_to_json(m));
            else if (show)
                print_msg_line(m, mq->broker_name, body);
        }
        rmq_pull_result_clear(&r);
        if (st != RMQ_PULL_FOUND)
            break;
    }
    g_autoptr(GPtrArray) counts = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, tags);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        TagCount *tc = g_new0(TagCount, 1);
        tc->tag = k;
        tc->count = *(gint64 *) v;
        g_ptr_array_add(counts, tc);
    }
    g_ptr_array_sort(counts, tag_count_cmp);
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_int_member(o, "minOffset", lo);
        json_object_set_int_member(o, "maxOffset", hi);
        json_object_set_array_member(o, "messages", msgs);
        if (by_tag) {
            JsonObject *t = json_object_new();
            for (guint i = 0; i < counts->len; i++) {
                TagCount *tc = g_ptr_array_index(counts, i);
                json_object_set_int_member(t, tc->tag, tc->count);
            }
            json_object_set_object_member(o, "tags", t);
        }
        rmqadmin_print_json(rmq_json_node_take_object(o));
        return RMQADMIN_EXIT_OK;
    }
    json_array_unref(msgs);
    for (guint i = 0; by_tag && i < counts->len; i++) {
        TagCount *tc = g_ptr_array_index(counts, i);
        printf("Tag: %-30s Count: %" G_GINT64_FORMAT "\n", tc->tag, tc->count);
    }
    return RMQADMIN_EXIT_OK;
}

/* ---- consuming a message directly, resending it ------------------------------- */

gboolean
rmqadmin_consume_directly(RmqAdminCommon *c, const RmqMsg *m, const gchar *group,
                          const gchar *client_id, JsonArray *out, GError **error)
{
    if (m->store_host == NULL || m->offset_msg_id == NULL) {
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL, "the message has no store host");
        return FALSE;
    }
    /* CONSUME_MESSAGE_DIRECTLY through the broker that stores it (which
     * forwards it to the client), with mqadmin's three timeouts */
    gint timeout = c->timeout_ms > 0 ? c->timeout_ms : 5000;
    rmq_admin_set_timeout(c->admin, (guint) timeout * 3);
    g_autoptr(GBytes) b = rmq_admin_invoke(c->admin, m->store_host,
                                           RMQ_REQUEST_CONSUME_MESSAGE_DIRECTLY, NULL, NULL, error,
                                           "consumerGroup", group, "clientId", client_id,
                                           "msgId", m->offset_msg_id, NULL);
    rmq_admin_set_timeout(c->admin, (guint) timeout);
    if (b == NULL)
        return FALSE;
    g_autoptr(JsonNode) n = rmq_admin_parse_body(b, error);
    if (n == NULL || !JSON_NODE_HOLDS_OBJECT(n))
        return FALSE;
    JsonObject *r = json_node_get_object(n);
    if (c->json) {
        json_array_add_element(out, json_node_ref(n));
        return TRUE;
    }
    JsonNode *sp = json_object_get_member(r, "spentTimeMills");
    printf("ConsumeMessageDirectlyResult [order=%s, autoCommit=%s, consumeResult=%s, remark=%s, "
           "spentTimeMills=%" G_GINT64_FORMAT "]\n",
           rmq_json_object_get_bool_or(r, "order", FALSE) ? "true" : "false",
           rmq_json_object_get_bool_or(r, "autoCommit", FALSE) ? "true" : "false",
           rmq_json_object_get_string_or(r, "consumeResult", "null"),
           rmq_json_object_get_string_or(r, "remark", "null"),
           sp != NULL && JSON_NODE_HOLDS_VALUE(sp) ? json_node_get_int(sp) : 0);
    return TRUE;
}

gboolean
rmqadmin_resend(RmqAdminCommon *c, const RmqMsg *m, const gchar *original_id, JsonArray *out,
                GError **error)
{
    gsize len = 0;
    const guint8 *body = m->body ? g_bytes_get_data(m->body, &len) : NULL;
    g_autoptr(RmqMsg) copy = rmq_msg_new(m->topic, body ? body : (const guint8 *) "", (gssize) len);
    copy->flag = m->flag;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, rmq_msg_get_properties(m));
    while (g_hash_table_iter_next(&it, &k, &v))
        rmq_msg_put_property(copy, k, v);
    if (!c->json)
        printf("prepare resend msg. originalMsgId=%s", original_id);
    g_autoptr(RmqProducer) p = rmq_producer_new_on(rmq_admin_get_instance(c->admin),
                                                   "ReSendMsgById");
    RmqSendResult res;
    if (!rmq_producer_send(p, copy, &res, error)) {
        if (!c->json)
            printf("\n");
        return FALSE;
    }
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "originalMsgId", original_id);
        put_send_result(o, &res);
        json_array_add_object_element(out, o);
    } else {
        g_autofree gchar *text = send_result_text(&res, m->topic);
        printf("%s\n", text);
    }
    rmq_send_result_clear(&res);
    return TRUE;
}

/* ---- queryMsgByUniqueKey ---------------------------------------------------- */

int
rmqadmin_query_msg_by_unique_key(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *id = NULL;
    g_autofree gchar *topic = NULL;
    g_autofree gchar *group = NULL;
    g_autofree gchar *client_id = NULL;
    gboolean all = FALSE;
    GOptionEntry e[] = {
        { "msgId", 'i', 0, G_OPTION_ARG_STRING, &id, "Message Id (the client's unique key)", "ID" },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "The topic of msg", "TOPIC" },
        { "showAll", 'a', 0, G_OPTION_ARG_NONE, &all, "Print all message, the limit is 32", NULL },
        { "consumerGroup", 'g', 0, G_OPTION_ARG_STRING, &group,
          "consumer group name (with -d: the client consumes the message directly)", "GROUP" },
        { "clientId", 'd', 0, G_OPTION_ARG_STRING, &client_id, "The consumer's client id", "ID" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Query Message by Unique key (the MsgId a producer "
                                        "returns) within a topic.",
                            "-i MSG_ID -t TOPIC [-a]", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (id == NULL || topic == NULL)
        return rmqadmin_usage(argv[0], "-i MSG_ID and -t TOPIC are required");
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) msgs = rmq_admin_query_by_unique_key(c->admin, g_strstrip(topic),
                                                              g_strstrip(id), &error);
    if (msgs == NULL)
        return rmqadmin_fail(argv[0], error);
    if (group != NULL && client_id != NULL) {
        JsonArray *out = json_array_new();
        if (!rmqadmin_consume_directly(c, g_ptr_array_index(msgs, 0), g_strstrip(group),
                                       g_strstrip(client_id), out, &error)) {
            json_array_unref(out);
            return rmqadmin_fail(argv[0], error);
        }
        if (c->json)
            rmqadmin_print_json(json_node_ref(json_array_get_element(out, 0)));
        json_array_unref(out);
        return RMQADMIN_EXIT_OK;
    }
    if (!all && msgs->len > 1)
        g_ptr_array_set_size(msgs, 1);
    return rmqadmin_print_msgs(c, msgs);
}

/* ---- sendMsgStatus ------------------------------------------------------- */

static gchar *
filled_body(gint size)
{
    gchar *b = g_malloc(MAX(size, 0) + 1);
    memset(b, 'a', MAX(size, 0));
    b[MAX(size, 0)] = '\0';
    return b;
}

int
rmqadmin_send_msg_status(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *broker_name = NULL;
    gint size = 128, count = 50;
    GOptionEntry e[] = {
        { "brokerName", 'b', 0, G_OPTION_ARG_STRING, &broker_name, "Broker Name", "NAME" },
        { "messageSize", 's', 0, G_OPTION_ARG_INT, &size, "Message Size, Default: 128", "BYTES" },
        { "count", 'c', 0, G_OPTION_ARG_INT, &count, "send message count, Default: 50", "N" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "send msg to broker: COUNT messages to the topic named "
                                        "after the broker, one line per send.",
                            "-b BROKER_NAME", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (broker_name == NULL)
        return rmqadmin_usage(argv[0], "-b BROKER_NAME is required");
    if (size < 0 || count < 0)
        return rmqadmin_usage(argv[0], "-s and -c must not be negative");
    g_strstrip(broker_name);
    RmqProducer *p = rmq_producer_new_on(rmq_admin_get_instance(c->admin), "PID_SMSC");
    g_autoptr(GError) error = NULL;
    /* a first small message, as mqadmin, to warm the route up */
    g_autofree gchar *small = filled_body(16);
    g_autoptr(RmqMsg) warm = rmq_msg_new(broker_name, small, -1);
    RmqSendResult res;
    if (!rmq_producer_send(p, warm, &res, &error)) {
        rmq_producer_free(p);
        return rmqadmin_fail(argv[0], error);
    }
    rmq_send_result_clear(&res);
    g_autofree gchar *body = filled_body(size);
    JsonArray *rows = json_array_new();
    for (gint i = 0; i < count; i++) {
        g_autoptr(RmqMsg) m = rmq_msg_new(broker_name, body, -1);
        gint64 t0 = g_get_monotonic_time();
        if (!rmq_producer_send(p, m, &res, &error)) {
            json_array_unref(rows);
            rmq_producer_free(p);
            return rmqadmin_fail(argv[0], error);
        }
        gint64 rt = (g_get_monotonic_time() - t0) / 1000;
        JsonObject *row = json_object_new();
        json_object_set_int_member(row, "rt", rt);
        put_send_result(row, &res);
        json_array_add_object_element(rows, row);
        if (!c->json) {
            g_autofree gchar *text = send_result_text(&res, broker_name);
            printf("rt=%" G_GINT64_FORMAT "ms, SendResult=%s\n", rt, text);
        }
        rmq_send_result_clear(&res);
    }
    rmq_producer_free(p);
    if (c->json)
        rmqadmin_print_json(rmq_json_node_take_array(rows));
    else
        json_array_unref(rows);
    return RMQADMIN_EXIT_OK;
}

/* ---- checkMsgSendRT ------------------------------------------------------ */

int
rmqadmin_check_msg_send_rt(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL;
    gint64 amount = 100, size = 128;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "topic name", "TOPIC" },
        { "amount", 'a', 0, G_OPTION_ARG_INT64, &amount, "message amount | default 100", "N" },
        { "size", 's', 0, G_OPTION_ARG_INT64, &size, "message size | default 128 Byte", "BYTES" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "check message send response time: AMOUNT sends, round "
                                        "robin over the topic's write queues.",
                            "-t TOPIC", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC is required");
    if (amount < 1 || size < 0 || size > 4 * 1024 * 1024)
        return rmqadmin_usage(argv[0], "-a must be at least 1 and -s at most 4 MiB");
    g_strstrip(topic);
    g_autofree gchar *group = rmqadmin_int_text(g_get_real_time() / 1000);
    RmqProducer *p = rmq_producer_new_on(rmq_admin_get_instance(c->admin), group);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) mqs = rmq_producer_fetch_publish_queues(p, topic, &error);
    if (mqs == NULL || mqs->len == 0) {
        rmq_producer_free(p);
        if (mqs != NULL)
            g_set_error(&error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_TOPIC_NOT_EXIST,
                        "topic %s has no write queue", topic);
        return rmqadmin_fail(argv[0], error);
    }
    g_autofree gchar *body = filled_body((gint) size);
    if (!c->json)
        printf("%-32s  %-4s  %-20s    %s\n", "#Broker Name", "#QID", "#Send Result", "#RT");
    gint64 elapsed = 0;
    JsonArray *rows = json_array_new();
    for (gint64 i = 0; i < amount; i++) {
        const RmqQueue *mq = g_ptr_array_index(mqs, (guint) (i % mqs->len));
        g_autoptr(RmqMsg) m = rmq_msg_new(topic, body, -1);
        RmqSendResult res;
        g_autoptr(GError) serr = NULL;
        gint64 t0 = g_get_monotonic_time();
        gboolean ok = rmq_producer_send_to_queue(p, m, mq, &res, &serr);
        gint64 rt = (g_get_monotonic_time() - t0) / 1000;
        if (ok)
            rmq_send_result_clear(&res);
        if (i != 0)
            elapsed += rt;
        JsonObject *row = json_object_new();
        json_object_set_string_member(row, "brokerName", mq->broker_name);
        json_object_set_int_member(row, "queueId", mq->queue_id);
        json_object_set_boolean_member(row, "sendResult", ok);
        json_object_set_int_member(row, "rt", rt);
        json_array_add_object_element(rows, row);
        if (!c->json)
            printf("%-32s  %-4d  %-20s    %" G_GINT64_FORMAT "\n", mq->broker_name, mq->queue_id,
                   ok ? "true" : "false", rt);
    }
    rmq_producer_free(p);
    gdouble avg = amount > 1 ? (gdouble) elapsed / (gdouble) (amount - 1) : 0.0;
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_array_member(o, "sends", rows);
        json_object_set_double_member(o, "avgRT", avg);
        rmqadmin_print_json(rmq_json_node_take_object(o));
    } else {
        json_array_unref(rows);
        printf("Avg RT: %.2f\n", avg);
    }
    return RMQADMIN_EXIT_OK;
}
