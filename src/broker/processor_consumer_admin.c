/* Consumer administration (docs/protocol.md §3.3): INVOKE_BROKER_TO_RESET_OFFSET (222, which
 * pushes RESET_CONSUMER_CLIENT_OFFSET (220) to the group's clients),
 * CLONE_GROUP_OFFSET (314), and GET_CONSUMER_RUNNING_INFO (307) /
 * CONSUME_MESSAGE_DIRECTLY (309), forwarded to the named client and relayed;
 * QUERY_CONSUME_TIME_SPAN (303) and QUERY_CORRECTION_OFFSET (308). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/commands.h"
#include "broker/client_registry.h"
#include "remoting/codes.h"
#include "remoting/json_body.h"
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

/* UtilAll.formatDate(new Date(ms), "yyyy-MM-dd#HH:mm:ss:SSS"), local time. */
static gchar *
java_date(gint64 ms)
{
    gint64 s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(s);
    if (dt == NULL)
        return g_strdup("");
    g_autofree gchar *head = g_date_time_format(dt, "%Y-%m-%d#%H:%M:%S");
    return g_strdup_printf("%s:%03d", head, (gint) (ms - s * 1000));
}

static void
add_time(GString *out, const gchar *name, gint64 ms)
{
    g_autofree gchar *str = java_date(ms);
    g_string_append_printf(out, "\"%s\":%" G_GINT64_FORMAT ",\"%sStr\":", name, ms, name);
    rmq_json_text_append_string(out, str, -1);
    g_string_append_c(out, ',');
}

/* QUERY_CONSUME_TIME_SPAN (303): per write queue of @topic, the store times
 * of the first and last message, of the last one @group consumed, and how
 * far behind the next one is (QueryConsumeTimeSpanBody: fastjson also
 * writes QueueTimeSpan's *Str getters). */
void
rmq_broker_handle_consume_time_span(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    static const gchar *const required[] = { "topic", "group", NULL };
    if (!rmq_broker_require_fields(conn, req, required))
        return;
    const gchar *topic = rmq_command_get_ext(req, "topic");
    const gchar *group = rmq_command_get_ext(req, "group");
    const RmqTopicConfig *tc = rmq_topic_table_lookup(b->topics, topic);
    if (tc == NULL) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_TOPIC_NOT_EXIST,
                              g_strdup_printf("topic[%s] not exist", topic));
        return;
    }
    gint64 now = g_get_real_time() / 1000;
    g_autoptr(GString) out = g_string_new("{\"consumeTimeSpanSet\":[");
    for (gint q = 0; q < tc->write_queue_nums; q++) {
        gint64 min_time = rmq_store_get_earliest_message_time(b->store, topic, q);
        gint64 max = rmq_store_get_max_offset(b->store, topic, q);
        gint64 max_time = rmq_store_get_message_store_timestamp(b->store, topic, q, max - 1);
        gint64 cons = rmq_consumer_offsets_query(b->offsets, group, topic, q);
        gint64 cons_time = cons > 0 ? rmq_store_get_message_store_timestamp(b->store, topic, q, cons - 1)
                                    : min_time;
        gint64 delay = 0;
        if (cons < max)
            delay = now - rmq_store_get_message_store_timestamp(b->store, topic, q, cons);
        if (q > 0)
            g_string_append_c(out, ',');
        g_string_append_c(out, '{');
        add_time(out, "consumeTimeStamp", cons_time);
        g_string_append_printf(out, "\"delayTime\":%" G_GINT64_FORMAT ",", delay);
        add_time(out, "maxTimeStamp", max_time);
        g_string_append(out, "\"messageQueue\":{\"brokerName\":");
        rmq_json_text_append_string(out, b->settings.broker_name, -1);
        g_string_append_printf(out, ",\"queueId\":%d,\"topic\":", q);
        rmq_json_text_append_string(out, topic, -1);
        g_string_append(out, "},");
        add_time(out, "minTimeStamp", min_time);
        g_string_truncate(out, out->len - 1);
        g_string_append_c(out, '}');
    }
    g_string_append(out, "]}");
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_body_data(resp, out->str, out->len);
    rmq_broker_reply(conn, req, resp);
}

static gint
compare_qid(gconstpointer a, gconstpointer b, gpointer data)
{
    (void) data;
    return GPOINTER_TO_INT(a) - GPOINTER_TO_INT(b);
}

static gboolean
filtered(gchar **filter, const gchar *group)
{
    for (gsize i = 0; filter != NULL && filter[i] != NULL; i++)
        if (strcmp(filter[i], group) == 0)
            return TRUE;
    return FALSE;
}

/* QUERY_CORRECTION_OFFSET (308), as Java's ConsumerOffsetManager computes it:
 * per queue, the smallest offset any group other than @filterGroups (comma
 * separated) has committed on @topic, among those not below the queue's
 * minimum; then each queue where @compareGroup's offset is below it becomes
 * Long.MAX_VALUE. Java looks the compare group's offsets up with topic and
 * group swapped (queryOffset(topic, compareGroup) on a (group, topic)
 * method), so only a group named like the topic ever compares; the answer
 * follows Java. Java's filter also drops the filtered groups' offsets from
 * its table (an iterator over the live key set): rmq does not. */
void
rmq_broker_handle_correction_offset(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    static const gchar *const required[] = { "topic", "compareGroup", NULL };
    if (!rmq_broker_require_fields(conn, req, required))
        return;
    const gchar *topic = rmq_command_get_ext(req, "topic");
    const gchar *compare = rmq_command_get_ext(req, "compareGroup");
    const gchar *filter_text = rmq_command_get_ext(req, "filterGroups");
    g_auto(GStrv) filter = NULL;
    gboolean blank = rmq_broker_text_blank(filter_text);
    if (!blank)
        filter = g_strsplit(filter_text, ",", -1);

    /* queue id -> min offset, ordered by queue id */
    g_autoptr(GTree) mins = g_tree_new_full(compare_qid, NULL, NULL, g_free);
    g_autoptr(JsonNode) table = rmq_consumer_offsets_to_node(b->offsets);
    JsonObject *ot = rmq_json_object_get_object_or_null(json_node_get_object(table), "offsetTable");
    g_autoptr(GList) keys = ot != NULL ? json_object_get_members(ot) : NULL;
    for (GList *l = keys; l != NULL; l = l->next) {
        const gchar *key = l->data;
        const gchar *at = strchr(key, '@');
        if (at == NULL || (gsize) (at - key) != strlen(topic) || strncmp(key, topic, at - key) != 0 ||
            filtered(filter, at + 1))
            continue;
        JsonObject *queues = rmq_json_object_get_object_or_null(ot, key);
        g_autoptr(GList) qkeys = queues != NULL ? json_object_get_members(queues) : NULL;
        for (GList *q = qkeys; q != NULL; q = q->next) {
            gint qid = atoi(q->data);
            gint64 off = rmq_json_object_get_int64_or(queues, q->data, -1);
            if (off < rmq_store_get_min_offset(b->store, topic, qid))
                continue;
            gint64 *cur = g_tree_lookup(mins, GINT_TO_POINTER(qid));
            if (cur == NULL) {
                cur = g_new(gint64, 1);
                *cur = off;
                g_tree_insert(mins, GINT_TO_POINTER(qid), cur);
            } else if (off < *cur) {
                *cur = off;
            }
        }
    }
    /* Java: queryOffset(topic, compareGroup) on queryOffset(group, topic) */
    g_autoptr(GPtrArray) swapped = rmq_consumer_offsets_topics_of_group(b->offsets, topic);
    for (guint i = 0; i < swapped->len; i++) {
        if (strcmp(g_ptr_array_index(swapped, i), compare) != 0)
            continue;
        GTreeNode *n;
        for (n = g_tree_node_first(mins); n != NULL; n = g_tree_node_next(n)) {
            gint qid = GPOINTER_TO_INT(g_tree_node_key(n));
            gint64 *cur = g_tree_node_value(n);
            gint64 cmp = rmq_consumer_offsets_query(b->offsets, topic, compare, qid);
            if (cmp >= 0 && *cur > cmp)
                *cur = G_MAXINT64;
        }
    }
    g_autoptr(GString) out = g_string_new("{\"correctionOffsets\":{");
    gboolean first = TRUE;
    for (GTreeNode *n = g_tree_node_first(mins); n != NULL; n = g_tree_node_next(n)) {
        g_string_append_printf(out, "%s%d:%" G_GINT64_FORMAT, first ? "" : ",",
                               GPOINTER_TO_INT(g_tree_node_key(n)), *(gint64 *) g_tree_node_value(n));
        first = FALSE;
    }
    g_string_append(out, "}}");
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_body_data(resp, out->str, out->len);
    rmq_broker_reply(conn, req, resp);
}

/* ---- INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223) ------------------------ */

/* End of the JSON value starting at @p (not past @end): strings, nesting
 * and fastjson's object keys are skipped over as text. */
static const gchar *
skip_value(const gchar *p, const gchar *end)
{
    gint depth = 0;
    for (; p < end; p++) {
        if (*p == '"') {
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\')
                    p++;
            if (depth == 0)
                return p < end ? p + 1 : end;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (depth == 0)
                return p;
            if (--depth == 0)
                return p + 1;
        } else if (*p == ',' && depth == 0) {
            return p;
        }
    }
    return end;
}

/* The text of top-level member @name of the object @text, as written
 * (fastjson's MessageQueue keys stay as they are), or NULL. (transfer full) */
static gchar *
raw_member(const gchar *text, gsize len, const gchar *name)
{
    const gchar *p = text, *end = text + len;
    while (p < end && g_ascii_isspace(*p))
        p++;
    if (p >= end || *p != '{')
        return NULL;
    p++;
    gsize nlen = strlen(name);
    while (p < end) {
        while (p < end && (g_ascii_isspace(*p) || *p == ','))
            p++;
        if (p >= end || *p != '"')
            return NULL;
        const gchar *key = p + 1;
        const gchar *key_end = skip_value(p, end) - 1;
        p = key_end + 1;
        while (p < end && (g_ascii_isspace(*p) || *p == ':'))
            p++;
        const gchar *value = p;
        p = skip_value(p, end);
        if ((gsize) (key_end - key) == nlen && strncmp(key, name, nlen) == 0)
            return g_strstrip(g_strndup(value, p - value));
    }
    return NULL;
}

/* MQVersion.Version names below V3_0_7_SNAPSHOT (ordinal 28), the clients
 * that cannot answer GET_CONSUMER_STATUS_FROM_CLIENT. */
static const gchar *const old_versions[] = {
    "V3_0_0_SNAPSHOT", "V3_0_0_ALPHA1", "V3_0_0_BETA1", "V3_0_0_BETA2", "V3_0_0_BETA3",
    "V3_0_0_BETA4", "V3_0_0_BETA5", "V3_0_0_BETA6_SNAPSHOT", "V3_0_0_BETA6",
    "V3_0_0_BETA7_SNAPSHOT", "V3_0_0_BETA7", "V3_0_0_BETA8_SNAPSHOT", "V3_0_0_BETA8",
    "V3_0_0_BETA9_SNAPSHOT", "V3_0_0_BETA9", "V3_0_0_FINAL", "V3_0_1_SNAPSHOT", "V3_0_1",
    "V3_0_2_SNAPSHOT", "V3_0_2", "V3_0_3_SNAPSHOT", "V3_0_3", "V3_0_4_SNAPSHOT", "V3_0_4",
    "V3_0_5_SNAPSHOT", "V3_0_5", "V3_0_6_SNAPSHOT", "V3_0_6",
};

typedef struct {
    RmqConnection *conn;
    RmqCommand *request;
    gint pending;
    GPtrArray *ids;     /* client id per answer slot */
    GPtrArray *tables;  /* raw messageQueueTable per slot, NULL when none */
} StatusFan;

typedef struct {
    StatusFan *fan;
    guint slot;
} StatusSlot;

static void
status_finish(StatusFan *f)
{
    g_autoptr(GString) out = g_string_new("{\"consumerTable\":{");
    gboolean first = TRUE;
    for (guint i = 0; i < f->ids->len; i++) {
        const gchar *table = g_ptr_array_index(f->tables, i);
        if (table == NULL)
            continue;
        if (!first)
            g_string_append_c(out, ',');
        first = FALSE;
        rmq_json_text_append_string(out, g_ptr_array_index(f->ids, i), -1);
        g_string_append_c(out, ':');
        g_string_append(out, table);
    }
    g_string_append(out, "},\"messageQueueTable\":{}}");
    RmqCommand *resp = rmq_broker_response_borrow(f->request, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_body_data(resp, out->str, out->len);
    rmq_connection_send_response(f->conn, f->request, resp);
    rmq_command_free(f->request);
    rmq_connection_unref(f->conn);
    g_ptr_array_unref(f->ids);
    g_ptr_array_unref(f->tables);
    g_free(f);
}

static void
on_status(RmqCommand *response, const GError *error, gpointer user_data)
{
    StatusSlot *s = user_data;
    StatusFan *f = s->fan;
    if (response != NULL && response->code == RMQ_RESPONSE_SUCCESS && response->body != NULL) {
        gsize len = 0;
        const gchar *data = g_bytes_get_data(response->body, &len);
        gchar *table = raw_member(data, len, "messageQueueTable");
        /* Java: an absent table decodes as an empty map */
        g_ptr_array_index(f->tables, s->slot) = table != NULL ? table : g_strdup("{}");
    } else if (response == NULL) {
        g_message("[get-consumer-status] %s: %s", (const gchar *) g_ptr_array_index(f->ids, s->slot),
                  error != NULL ? error->message : "no answer");
    }
    if (response != NULL)
        rmq_command_free(response);
    g_free(s);
    if (--f->pending == 0)
        status_finish(f);
}

/* As Java's Broker2Client.getConsumeStatus: GET_CONSUMER_STATUS_FROM_CLIENT
 * (221) to every client of @group (only the one whose clientId is the
 * header's clientAddr, when given), answered with GetConsumerStatusBody
 * {"consumerTable":{clientId:messageQueueTable}}. Java asks one client after
 * the other (5 s each); rmq asks them at once. A client that fails or does
 * not answer is left out, as in Java. */
void
rmq_broker_handle_consumer_status(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    static const gchar *const required[] = { "topic", "group", NULL };
    if (!rmq_broker_require_fields(conn, req, required))
        return;
    const gchar *topic = rmq_command_get_ext(req, "topic");
    const gchar *group = rmq_command_get_ext(req, "group");
    const gchar *only = rmq_command_get_ext(req, "clientAddr");
    gboolean blank = rmq_broker_text_blank(only);
    RmqConsumerGroup *cg = rmq_client_registry_consumer_group(b->clients, group);
    /* (Java answers an unknown group with a NullPointerException) */
    if (cg == NULL || g_hash_table_size(cg->channels) == 0) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                              g_strdup_printf("No Any Consumer online in the consumer group: [%s]",
                                              group));
        return;
    }
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, cg->channels);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        const RmqClientChannel *ch = v;
        if (ch->version < (gint) G_N_ELEMENTS(old_versions)) {
            rmq_broker_reply_take(
                conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                g_strdup_printf("the client does not support this feature. version=%s",
                                old_versions[MAX(ch->version, 0)]));
            return;
        }
    }
    StatusFan *f = g_new0(StatusFan, 1);
    f->conn = rmq_connection_ref(conn);
    f->request = req;
    f->ids = g_ptr_array_new_with_free_func(g_free);
    f->tables = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) targets = g_ptr_array_new();
    g_hash_table_iter_init(&it, cg->channels);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RmqClientChannel *ch = v;
        if (!blank && g_strcmp0(ch->client_id, only) != 0)
            continue;
        g_ptr_array_add(f->ids, g_strdup(ch->client_id != NULL ? ch->client_id : ""));
        g_ptr_array_add(f->tables, NULL);
        g_ptr_array_add(targets, ch->conn);
    }
    f->pending = (gint) targets->len + 1;
    for (guint i = 0; i < targets->len; i++) {
        RmqCommand *ask = rmq_command_new_request(RMQ_REQUEST_GET_CONSUMER_STATUS_FROM_CLIENT);
        rmq_command_set_ext(ask, "topic", topic);
        rmq_command_set_ext(ask, "group", group);
        StatusSlot *s = g_new0(StatusSlot, 1);
        s->fan = f;
        s->slot = i;
        rmq_connection_send_request(g_ptr_array_index(targets, i), ask, 5000, on_status, s);
    }
    /* the extra count keeps @f alive until every request is out */
    if (--f->pending == 0)
        status_finish(f);
}
