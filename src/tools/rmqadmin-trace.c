/* rmqadmin queryMsgTraceById: mqadmin's QueryMsgTraceByIdSubCommand. The
 * trace messages whose keys hold the message id (QUERY_MESSAGE on the trace
 * topic, at most 64 per broker, time 0..now), decoded (docs/protocol.md
 * §18), the records of that id kept; printed in mqadmin's layout: a table
 * per Pub record, then one per consumer group of its SubAfter records. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "tools/rmqadmin.h"

/* One TraceView. */
typedef struct {
    const RmqTraceRecord *r; /* owned by the decoded arrays */
    gchar *client_host;      /* the trace message's born host, address only */
} View;

/* DateFormatUtils.format(ms, "yyyy-MM-dd HH:mm:ss"), local time. */
static gchar *
format_time(gint64 ms)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(ms / 1000);
    return dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S") : g_strdup("");
}

/* mqadmin's columns, widths and all */
#define TRACE_ROW "%-10s %-20s %-20s %-20s %-10s %-10s\n"

static void
print_row(const gchar *type, const View *v)
{
    g_autofree gchar *when = format_time(v->r->timestamp);
    g_autofree gchar *cost = g_strdup_printf("%dms", v->r->cost_time);
    printf(TRACE_ROW, type, v->r->group ? v->r->group : "null",
           v->client_host ? v->client_host : "null", when, cost,
           v->r->success ? "success" : "failed");
}

static JsonNode *
views_json(GArray *views)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_array(b);
    for (guint i = 0; i < views->len; i++) {
        const View *v = &g_array_index(views, View, i);
        const RmqTraceRecord *r = v->r;
        json_builder_begin_object(b);
#define STR(k, val) \
    do { \
        json_builder_set_member_name(b, k); \
        if ((val) != NULL) \
            json_builder_add_string_value(b, (val)); \
        else \
            json_builder_add_null_value(b); \
    } while (0)
        STR("msgType", rmq_trace_type_name(r->type));
        STR("msgId", r->msg_id);
        STR("offSetMsgId", r->offset_msg_id);
        STR("topic", r->topic);
        STR("tags", r->tags);
        STR("keys", r->keys);
        STR("groupName", r->group);
        STR("storeHost", r->store_host);
        STR("clientHost", v->client_host);
        STR("status", r->success ? "success" : "failed");
#undef STR
        json_builder_set_member_name(b, "timeStamp");
        json_builder_add_int_value(b, r->timestamp);
        json_builder_set_member_name(b, "costTime");
        json_builder_add_int_value(b, r->cost_time);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    return json_builder_get_root(b);
}

int
rmqadmin_query_msg_trace_by_id(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *msg_id = NULL;
    g_autofree gchar *trace_topic = NULL;
    GOptionEntry e[] = {
        { "msgId", 'i', 0, G_OPTION_ARG_STRING, &msg_id, "Message Id", "MSG_ID" },
        { "traceTopic", 't', 0, G_OPTION_ARG_STRING, &trace_topic,
          "The name value of message trace topic (RMQ_SYS_TRACE_TOPIC)", "TOPIC" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Query a message trace.", "-i MSG_ID [-t TRACE_TOPIC]",
                            e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (msg_id == NULL)
        return rmqadmin_usage(argv[0], "-i MSG_ID is required");
    g_strstrip(msg_id);
    const gchar *topic = trace_topic != NULL ? g_strstrip(trace_topic) : RMQ_TRACE_DEFAULT_TOPIC;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) msgs = rmq_admin_query_by_key(c->admin, topic, msg_id, 64, 0,
                                                       g_get_real_time() / 1000, &error);
    if (msgs == NULL)
        return rmqadmin_fail(argv[0], error);

    g_autoptr(GPtrArray) decoded =
        g_ptr_array_new_with_free_func((GDestroyNotify) g_ptr_array_unref);
    g_autoptr(GArray) views = g_array_new(FALSE, TRUE, sizeof(View));
    for (guint i = 0; i < msgs->len; i++) {
        RmqMsg *m = g_ptr_array_index(msgs, i);
        gsize len;
        const gchar *body = g_bytes_get_data(m->body, &len);
        GPtrArray *records = rmq_trace_decode(body, len);
        g_ptr_array_add(decoded, records);
        for (guint k = 0; k < records->len; k++) {
            const RmqTraceRecord *r = g_ptr_array_index(records, k);
            if (g_strcmp0(r->msg_id, msg_id) != 0)
                continue;
            View v = { r, NULL };
            if (m->born_host != NULL) {
                const gchar *colon = strrchr(m->born_host, ':');
                v.client_host = colon != NULL
                                    ? g_strndup(m->born_host, (gsize) (colon - m->born_host))
                                    : g_strdup(m->born_host);
            }
            g_array_append_val(views, v);
        }
    }
    if (c->json) {
        rmqadmin_print_json(views_json(views));
    } else {
        /* Pub rows each with their header; then the SubAfter rows by
         * consumer group (in the order the groups first appear) */
        g_autoptr(GPtrArray) groups = g_ptr_array_new();
        for (guint i = 0; i < views->len; i++) {
            const View *v = &g_array_index(views, View, i);
            if (v->r->type == RMQ_TRACE_PUB) {
                printf(TRACE_ROW, "#Type", "#ProducerGroup", "#ClientHost", "#SendTime",
                       "#CostTimes", "#Status");
                print_row("Pub", v);
                printf("\n");
            } else if (v->r->type == RMQ_TRACE_SUB_AFTER) {
                gboolean seen = FALSE;
                for (guint g = 0; g < groups->len && !seen; g++)
                    seen = g_strcmp0(g_ptr_array_index(groups, g), v->r->group) == 0;
                if (!seen)
                    g_ptr_array_add(groups, v->r->group);
            }
        }
        for (guint g = 0; g < groups->len; g++) {
            printf(TRACE_ROW, "#Type", "#ConsumerGroup", "#ClientHost", "#ConsumerTime",
                   "#CostTimes", "#Status");
            for (guint i = 0; i < views->len; i++) {
                const View *v = &g_array_index(views, View, i);
                if (v->r->type == RMQ_TRACE_SUB_AFTER &&
                    g_strcmp0(v->r->group, g_ptr_array_index(groups, g)) == 0)
                    print_row("Sub", v);
            }
            printf("\n");
        }
    }
    for (guint i = 0; i < views->len; i++)
        g_free(g_array_index(views, View, i).client_host);
    return 0;
}
