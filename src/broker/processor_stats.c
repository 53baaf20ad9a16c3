/* Statistics codes (docs/protocol.md §3.3, Java AdminBrokerProcessor of 4.9.7), read from
 * the broker's windows (stats.h): VIEW_BROKER_STATS_DATA (315), one item's
 * minute, hour and day, and GET_BROKER_CONSUME_STATS (317), every
 * subscription group's ConsumeStats with its consume TPS over the minute. */
#include <config.h>

#include <string.h>

#include "broker/broker.h"
#include "broker/client_registry.h"
#include "broker/commands.h"
#include "broker/stats.h"
#include "remoting/codes.h"
#include "remoting/json_text.h"

static void
reply_text(RmqConnection *conn, RmqCommand *req, const GString *text)
{
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_body_data(resp, text->str, text->len);
    rmq_broker_reply(conn, req, resp);
}

/* BrokerStatsItem, fastjson's member order. */
static void
append_item(GString *out, const gchar *name, const RmqStatsSnapshot *s)
{
    g_string_append_printf(out, "\"%s\":{\"avgpt\":", name);
    rmq_json_text_append_double(out, s->avgpt);
    g_string_append_printf(out, ",\"sum\":%" G_GINT64_FORMAT ",\"tps\":", s->sum);
    rmq_json_text_append_double(out, s->tps);
    g_string_append_c(out, '}');
}

void
rmq_broker_handle_view_stats(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    static const gchar *const required[] = { "statsName", "statsKey", NULL };
    if (!rmq_broker_require_fields(conn, req, required))
        return;
    const gchar *name = rmq_command_get_ext(req, "statsName");
    const gchar *key = rmq_command_get_ext(req, "statsKey");
    RmqStatsSnapshot win[3];
    /* (Java answers a stats name it does not keep with a NullPointerException) */
    if (!rmq_stats_get(b->stats_table, name, key, RMQ_STATS_MINUTE, &win[0])) {
        rmq_broker_reply_take(conn, req, RMQ_RESPONSE_SYSTEM_ERROR,
                              g_strdup_printf("The stats <%s> <%s> not exist", name, key));
        return;
    }
    rmq_stats_get(b->stats_table, name, key, RMQ_STATS_HOUR, &win[1]);
    rmq_stats_get(b->stats_table, name, key, RMQ_STATS_DAY, &win[2]);
    g_autoptr(GString) out = g_string_new("{");
    append_item(out, "statsDay", &win[2]);
    g_string_append_c(out, ',');
    append_item(out, "statsHour", &win[1]);
    g_string_append_c(out, ',');
    append_item(out, "statsMinute", &win[0]);
    g_string_append_c(out, '}');
    reply_text(conn, req, out);
}

/* GET_BROKER_CONSUME_STATS: ConsumeStatsList {"brokerAddr","consumeStatsList":
 * [{group:[ConsumeStats]}],"totalDiff"} over every subscription group and
 * the topics it has offsets on, as Java's fetchAllConsumeStatsInBroker
 * (isOrder: ordered topics only; a topic the online group does not
 * subscribe to is left out). */
void
rmq_broker_handle_broker_consume_stats(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    gboolean only_order = rmq_command_get_ext_bool(req, "isOrder", FALSE);
    gint64 total_diff = 0;
    g_autoptr(GPtrArray) groups = rmq_subscription_group_table_names(b->groups);
    g_autoptr(GString) out = g_string_new("{\"brokerAddr\":");
    rmq_json_text_append_string(out, b->broker_addr, -1);
    g_string_append(out, ",\"consumeStatsList\":[");
    for (guint gi = 0; gi < groups->len; gi++) {
        const gchar *group = g_ptr_array_index(groups, gi);
        RmqConsumerGroup *online = rmq_client_registry_consumer_group(b->clients, group);
        gboolean subscribed = online != NULL && g_hash_table_size(online->subscriptions) > 0;
        g_autoptr(GPtrArray) topics = rmq_consumer_offsets_topics_of_group(b->offsets, group);
        if (gi > 0)
            g_string_append_c(out, ',');
        g_string_append_c(out, '{');
        rmq_json_text_append_string(out, group, -1);
        g_string_append(out, ":[");
        gboolean first_stats = TRUE;
        for (guint ti = 0; ti < topics->len; ti++) {
            const gchar *topic = g_ptr_array_index(topics, ti);
            const RmqTopicConfig *tc = rmq_topic_table_lookup(b->topics, topic);
            if (tc == NULL || (only_order && !tc->order))
                continue;
            if (subscribed &&
                rmq_client_registry_subscription(b->clients, group, topic) == NULL)
                continue;
            g_autofree gchar *key = g_strconcat(topic, "@", group, NULL);
            RmqStatsSnapshot tps;
            rmq_stats_get(b->stats_table, RMQ_STATS_GROUP_GET_NUMS, key, RMQ_STATS_MINUTE, &tps);
            if (!first_stats)
                g_string_append_c(out, ',');
            first_stats = FALSE;
            g_string_append(out, "{\"consumeTps\":");
            rmq_json_text_append_double(out, tps.tps);
            g_string_append(out, ",\"offsetTable\":{");
            for (gint q = 0; q < tc->write_queue_nums; q++) {
                gint64 broker_off = MAX(rmq_store_get_max_offset(b->store, topic, q), 0);
                gint64 cons = MAX(rmq_consumer_offsets_query(b->offsets, group, topic, q), 0);
                gint64 last = 0;
                if (cons > 0) {
                    gint64 t = rmq_store_get_message_store_timestamp(b->store, topic, q, cons - 1);
                    last = t > 0 ? t : 0;
                }
                total_diff += broker_off - cons;
                if (q > 0)
                    g_string_append_c(out, ',');
                g_string_append(out, "{\"brokerName\":");
                rmq_json_text_append_string(out, b->settings.broker_name, -1);
                g_string_append_printf(out, ",\"queueId\":%d,\"topic\":", q);
                rmq_json_text_append_string(out, topic, -1);
                g_string_append_printf(out,
                                       "}:{\"brokerOffset\":%" G_GINT64_FORMAT
                                       ",\"consumerOffset\":%" G_GINT64_FORMAT
                                       ",\"lastTimestamp\":%" G_GINT64_FORMAT "}",
                                       broker_off, cons, last);
            }
            g_string_append(out, "}}");
        }
        g_string_append(out, "]}");
    }
    g_string_append_printf(out, "],\"totalDiff\":%" G_GINT64_FORMAT "}", total_diff);
    reply_text(conn, req, out);
}
