/* rmqadmin group subcommands: updateSubGroup, deleteSubGroup,
 * consumerProgress, consumerConnection, producerConnection,
 * resetOffsetByTime. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "tools/rmqadmin.h"
#include "remoting/json_body.h"

typedef struct {
    const gchar *group;
    JsonObject *cfg;
    gboolean remove_offset;
} GroupChange;

static gchar *
apply_update(RmqAdminCommon *c, const gchar *target, gpointer data, GError **error)
{
    const GroupChange *g = data;
    if (!rmq_admin_update_sub_group(c->admin, target, g->group, g->cfg, error))
        return NULL;
    return g_strdup_printf("create subscription group to %s success.", target);
}

static gchar *
apply_delete(RmqAdminCommon *c, const gchar *target, gpointer data, GError **error)
{
    const GroupChange *g = data;
    if (!rmq_admin_delete_sub_group(c->admin, target, g->group, g->remove_offset, error))
        return NULL;
    return g_strdup_printf("delete subscription group [%s] from %s success.", g->group, target);
}

/* {"group": ..., "brokers": [...]} under --json. */
static JsonObject *
group_result(const gchar *group)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "group", group);
    return o;
}

int
rmqadmin_update_sub_group(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *broker = NULL;
    g_autofree gchar *cluster = NULL;
    g_autofree gchar *group = NULL;
    g_autofree gchar *consume_enable = NULL;
    g_autofree gchar *from_min = NULL;
    g_autofree gchar *broadcast = NULL;
    gint retry_queues = -1, retry_max = -1, broker_id = -1, slowly = -1;
    GOptionEntry e[] = {
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker, "Broker address", "ADDR" },
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster, "Every master of this cluster", "NAME" },
        { "groupName", 'g', 0, G_OPTION_ARG_STRING, &group, "Consumer group", "GROUP" },
        { "consumeEnable", 's', 0, G_OPTION_ARG_STRING, &consume_enable, "Consumption allowed (true)", "BOOL" },
        { "consumeFromMinEnable", 'm', 0, G_OPTION_ARG_STRING, &from_min, "Consume from min (true)", "BOOL" },
        { "consumeBroadcastEnable", 'd', 0, G_OPTION_ARG_STRING, &broadcast, "Broadcast allowed (true)", "BOOL" },
        { "retryQueueNums", 'q', 0, G_OPTION_ARG_INT, &retry_queues, "Retry queues (1)", "N" },
        { "retryMaxTimes", 'r', 0, G_OPTION_ARG_INT, &retry_max, "Retries before the DLQ (16)", "N" },
        { "brokerId", 'i', 0, G_OPTION_ARG_INT, &broker_id, "Preferred broker id (0)", "ID" },
        { "whichBrokerWhenConsumeSlowly", 'w', 0, G_OPTION_ARG_INT, &slowly, "Broker id when lagging (1)", "ID" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Create or update a subscription group.",
                            "-g GROUP (-b ADDR | -c CLUSTER)", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (group == NULL)
        return rmqadmin_usage(argv[0], "-g GROUP is required");
    g_auto(GStrv) targets = rmqadmin_targets(c, argv[0], broker, cluster, &rc);
    if (targets == NULL)
        return rc;
    g_autoptr(JsonObject) cfg = json_object_new();
    if (consume_enable)
        json_object_set_boolean_member(cfg, "consumeEnable", g_strcmp0(consume_enable, "true") == 0);
    if (from_min)
        json_object_set_boolean_member(cfg, "consumeFromMinEnable", g_strcmp0(from_min, "true") == 0);
    if (broadcast)
        json_object_set_boolean_member(cfg, "consumeBroadcastEnable", g_strcmp0(broadcast, "true") == 0);
    if (retry_queues >= 0)
        json_object_set_int_member(cfg, "retryQueueNums", retry_queues);
    if (retry_max >= 0)
        json_object_set_int_member(cfg, "retryMaxTimes", retry_max);
    if (broker_id >= 0)
        json_object_set_int_member(cfg, "brokerId", broker_id);
    if (slowly >= 0)
        json_object_set_int_member(cfg, "whichBrokerWhenConsumeSlowly", slowly);
    GroupChange change = { .group = group, .cfg = cfg };
    return rmqadmin_apply_targets(c, argv[0], targets, apply_update, &change, group_result(group));
}

int
rmqadmin_delete_sub_group(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *broker = NULL;
    g_autofree gchar *cluster = NULL;
    g_autofree gchar *group = NULL;
    gboolean remove_offset = FALSE;
    GOptionEntry e[] = {
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker, "Broker address", "ADDR" },
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster, "Every master of this cluster", "NAME" },
        { "groupName", 'g', 0, G_OPTION_ARG_STRING, &group, "Consumer group", "GROUP" },
        { "removeOffset", 'r', 0, G_OPTION_ARG_NONE, &remove_offset, "Also drop its offsets", NULL },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Delete a subscription group.",
                            "-g GROUP (-b ADDR | -c CLUSTER)", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (group == NULL)
        return rmqadmin_usage(argv[0], "-g GROUP is required");
    g_auto(GStrv) targets = rmqadmin_targets(c, argv[0], broker, cluster, &rc);
    if (targets == NULL)
        return rc;
    GroupChange change = { .group = group, .remove_offset = remove_offset };
    return rmqadmin_apply_targets(c, argv[0], targets, apply_delete, &change, group_result(group));
}

int
rmqadmin_consumer_progress(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *group = NULL;
    g_autofree gchar *topic = NULL;
    GOptionEntry e[] = {
        { "groupName", 'g', 0, G_OPTION_ARG_STRING, &group, "Consumer group", "GROUP" },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Only this topic", "TOPIC" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Show a consumer group's offsets and lag per queue.",
                            "-g GROUP [-t TOPIC]", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (group == NULL)
        return rmqadmin_usage(argv[0], "-g GROUP is required");
    g_autoptr(GError) error = NULL;
    JsonNode *n = rmq_admin_consumer_progress(c->admin, group, topic, &error);
    /* mqadmin fails as well when no broker has an offset of the group */
    if (n != NULL &&
        json_array_get_length(json_object_get_array_member(json_node_get_object(n), "queues")) == 0) {
        json_node_unref(n);
        fprintf(stderr, "rmqadmin %s: no broker has consume offsets of group %s%s%s: the group "
                        "does not exist, or it has not consumed yet\n",
                argv[0], group, topic ? " for topic " : "", topic ? topic : "");
        return RMQADMIN_EXIT_NOT_FOUND;
    }
    if (rmqadmin_query_done(c, argv[0], n, error, &rc))
        return rc;
    JsonObject *o = json_node_get_object(n);
    RmqTable *t = rmqadmin_table_new("#Topic", "#Broker Name", "#QID", "#Broker Offset",
                                     "#Consumer Offset", "#Diff", NULL);
    JsonArray *qs = json_object_get_array_member(o, "queues");
    for (guint i = 0; i < json_array_get_length(qs); i++) {
        JsonObject *r = json_array_get_object_element(qs, i);
        g_autofree gchar *q = rmqadmin_int_member(r, "queueId");
        g_autofree gchar *bo = rmqadmin_int_member(r, "brokerOffset");
        g_autofree gchar *co = rmqadmin_int_member(r, "consumerOffset");
        g_autofree gchar *d = rmqadmin_int_member(r, "diff");
        rmqadmin_table_add(t, json_object_get_string_member(r, "topic"),
                           json_object_get_string_member(r, "brokerName"), q, bo, co, d, NULL);
    }
    rmqadmin_table_print(t);
    printf("\nConsume TPS: %.2f\nDiff Total: %" G_GINT64_FORMAT "\n",
           json_object_get_double_member(o, "consumeTps"), json_object_get_int_member(o, "diffTotal"));
    json_node_unref(n);
    return 0;
}

static int
connection_table(RmqAdminCommon *c, const gchar *name, JsonNode *n)
{
    if (c->json) {
        rmqadmin_print_json(n);
        return 0;
    }
    JsonObject *o = json_node_get_object(n);
    RmqTable *t = rmqadmin_table_new("#ClientId", "#ClientAddr", "#Language", "#Version", NULL);
    JsonArray *cs = json_object_get_array_member(o, "connections");
    for (guint i = 0; i < json_array_get_length(cs); i++) {
        JsonObject *r = json_array_get_object_element(cs, i);
        JsonNode *lang = json_object_get_member(r, "language");
        g_autofree gchar *l = lang && json_node_get_value_type(lang) == G_TYPE_STRING
                                  ? g_strdup(json_node_get_string(lang))
                                  : rmqadmin_int_text(lang ? json_node_get_int(lang) : 0);
        g_autofree gchar *v = rmqadmin_int_text(json_object_has_member(r, "version")
                                           ? json_object_get_int_member(r, "version") : 0);
        rmqadmin_table_add(t,
                           json_object_has_member(r, "clientId") ? json_object_get_string_member(r, "clientId") : "",
                           json_object_has_member(r, "clientAddr") ? json_object_get_string_member(r, "clientAddr") : "",
                           l, v, NULL);
    }
    rmqadmin_table_print(t);
    static const gchar *const extra[] = { "consumeType", "messageModel", "consumeFromWhere" };
    for (guint i = 0; i < G_N_ELEMENTS(extra); i++)
        if (json_object_has_member(o, extra[i]))
            printf("%s: %s\n", extra[i], json_object_get_string_member(o, extra[i]));
    json_node_unref(n);
    (void) name;
    return 0;
}

int
rmqadmin_consumer_connection(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *group = NULL;
    GOptionEntry e[] = {
        { "consumerGroup", 'g', 0, G_OPTION_ARG_STRING, &group, "Consumer group", "GROUP" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Show the clients of a consumer group.", "-g GROUP", e,
                            &argc, &argv);
    if (rc >= 0)
        return rc;
    if (group == NULL)
        return rmqadmin_usage(argv[0], "-g GROUP is required");
    g_autoptr(GError) error = NULL;
    JsonNode *n = rmq_admin_consumer_connection(c->admin, group, &error);
    return n ? connection_table(c, argv[0], n) : rmqadmin_fail(argv[0], error);
}

int
rmqadmin_producer_connection(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *group = NULL;
    g_autofree gchar *topic = NULL;
    GOptionEntry e[] = {
        { "producerGroup", 'g', 0, G_OPTION_ARG_STRING, &group, "Producer group", "GROUP" },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "A topic it sends to (finds the brokers)", "TOPIC" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Show the clients of a producer group.",
                            "-g GROUP [-t TOPIC]", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (group == NULL)
        return rmqadmin_usage(argv[0], "-g GROUP is required");
    g_autoptr(GError) error = NULL;
    JsonNode *n = rmq_admin_producer_connection(c->admin, group, topic, &error);
    return n ? connection_table(c, argv[0], n) : rmqadmin_fail(argv[0], error);
}
