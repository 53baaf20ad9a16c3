/* rmqadmin topic subcommands: updateTopic, deleteTopic, topicList,
 * topicRoute, topicStatus. */
#include <config.h>

#include <stdio.h>

#include "tools/rmqadmin.h"
#include "remoting/json_body.h"

typedef struct {
    const gchar *topic;
    const RmqTopicSpec *spec;
} TopicChange;

static gchar *
apply_update(RmqAdminCommon *c, const gchar *target, gpointer data, GError **error)
{
    const TopicChange *t = data;
    if (!rmq_admin_update_topic(c->admin, target, t->topic, t->spec, error))
        return NULL;
    return g_strdup_printf("create topic to %s success.", target);
}

int
rmqadmin_update_topic(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *broker = NULL;
    g_autofree gchar *cluster = NULL;
    g_autofree gchar *topic = NULL;
    g_autofree gchar *order = NULL;
    RmqTopicSpec spec;
    rmq_topic_spec_init(&spec);
    GOptionEntry e[] = {
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker, "Broker address", "ADDR" },
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster, "Every master of this cluster", "NAME" },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Topic name", "TOPIC" },
        { "readQueueNums", 'r', 0, G_OPTION_ARG_INT, &spec.read_queue_nums, "Read queues (8)", "N" },
        { "writeQueueNums", 'w', 0, G_OPTION_ARG_INT, &spec.write_queue_nums, "Write queues (8)", "N" },
        { "perm", 'p', 0, G_OPTION_ARG_INT, &spec.perm, "Permission: 2 write, 4 read, 6 both (6)", "PERM" },
        { "order", 'o', 0, G_OPTION_ARG_STRING, &order, "Ordered topic (true/false)", "BOOL" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Create or update a topic.", "-t TOPIC (-b ADDR | -c CLUSTER)",
                            e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC is required");
    spec.order = g_strcmp0(order, "true") == 0;
    g_auto(GStrv) targets = rmqadmin_targets(c, argv[0], broker, cluster, &rc);
    if (targets == NULL)
        return rc;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "topic", topic);
    json_object_set_int_member(o, "readQueueNums", spec.read_queue_nums);
    json_object_set_int_member(o, "writeQueueNums", spec.write_queue_nums);
    json_object_set_int_member(o, "perm", spec.perm);
    json_object_set_boolean_member(o, "order", spec.order);
    TopicChange change = { topic, &spec };
    return rmqadmin_apply_targets(c, argv[0], targets, apply_update, &change, o);
}

int
rmqadmin_delete_topic(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *cluster = NULL;
    g_autofree gchar *topic = NULL;
    GOptionEntry e[] = {
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster, "Cluster name", "NAME" },
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Topic name", "TOPIC" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Delete a topic from a cluster's masters and the name servers.",
                            "-t TOPIC -c CLUSTER", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL || cluster == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC and -c CLUSTER are required");
    g_autoptr(GError) error = NULL;
    if (!rmq_admin_delete_topic(c->admin, cluster, topic, &error))
        return rmqadmin_fail(argv[0], error);
    if (c->json) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "topic", topic);
        json_object_set_string_member(o, "cluster", cluster);
        json_object_set_boolean_member(o, "deleted", TRUE);
        rmqadmin_print_json(rmq_json_node_take_object(o));
    } else {
        printf("delete topic [%s] from cluster [%s] success.\n", topic, cluster);
    }
    return 0;
}

int
rmqadmin_topic_list(RmqAdminCommon *c, int argc, char **argv)
{
    int rc = rmqadmin_parse(c, argv[0], "List every topic the name servers know.", NULL, NULL,
                            &argc, &argv);
    if (rc >= 0)
        return rc;
    g_autoptr(GError) error = NULL;
    JsonNode *n = rmq_admin_topic_list(c->admin, &error);
    if (rmqadmin_query_done(c, argv[0], n, error, &rc))
        return rc;
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++)
        printf("%s\n", json_array_get_string_element(a, i));
    json_node_unref(n);
    return 0;
}

int
rmqadmin_topic_route(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Topic name", "TOPIC" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Show the route of a topic.", "-t TOPIC", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC is required");
    g_autoptr(GError) error = NULL;
    JsonNode *n = rmq_admin_topic_route(c->admin, topic, &error);
    if (rmqadmin_query_done(c, argv[0], n, error, &rc))
        return rc;
    JsonObject *o = json_node_get_object(n);
    RmqTable *t = rmqadmin_table_new("#Broker", "#Cluster", "#BID", "#Addr", NULL);
    JsonArray *bds = json_object_has_member(o, "brokerDatas")
                         ? json_object_get_array_member(o, "brokerDatas") : NULL;
    for (guint i = 0; bds && i < json_array_get_length(bds); i++) {
        JsonObject *b = json_array_get_object_element(bds, i);
        JsonObject *addrs = json_object_get_object_member(b, "brokerAddrs");
        g_autoptr(GList) ids = addrs ? json_object_get_members(addrs) : NULL;
        ids = g_list_sort(ids, (GCompareFunc) g_strcmp0);
        for (GList *l = ids; l; l = l->next)
            rmqadmin_table_add(t, json_object_get_string_member(b, "brokerName"),
                               json_object_get_string_member(b, "cluster"), (gchar *) l->data,
                               json_object_get_string_member(addrs, l->data), NULL);
    }
    rmqadmin_table_print(t);
    printf("\n");
    t = rmqadmin_table_new("#Broker", "#ReadQueues", "#WriteQueues", "#Perm", NULL);
    JsonArray *qds = json_object_has_member(o, "queueDatas")
                         ? json_object_get_array_member(o, "queueDatas") : NULL;
    for (guint i = 0; qds && i < json_array_get_length(qds); i++) {
        JsonObject *q = json_array_get_object_element(qds, i);
        g_autofree gchar *r = rmqadmin_int_member(q, "readQueueNums");
        g_autofree gchar *w = rmqadmin_int_member(q, "writeQueueNums");
        g_autofree gchar *p = rmqadmin_int_member(q, "perm");
        rmqadmin_table_add(t, json_object_get_string_member(q, "brokerName"), r, w, p, NULL);
    }
    rmqadmin_table_print(t);
    json_node_unref(n);
    return 0;
}

int
rmqadmin_topic_status(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *topic = NULL;
    GOptionEntry e[] = {
        { "topic", 't', 0, G_OPTION_ARG_STRING, &topic, "Topic name", "TOPIC" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Show min/max offsets of every queue of a topic.",
                            "-t TOPIC", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (topic == NULL)
        return rmqadmin_usage(argv[0], "-t TOPIC is required");
    g_autoptr(GError) error = NULL;
    JsonNode *n = rmq_admin_topic_status(c->admin, topic, &error);
    if (rmqadmin_query_done(c, argv[0], n, error, &rc))
        return rc;
    RmqTable *t = rmqadmin_table_new("#Broker Name", "#QID", "#Min Offset", "#Max Offset",
                                     "#Last Updated", NULL);
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *r = json_array_get_object_element(a, i);
        g_autofree gchar *q = rmqadmin_int_member(r, "queueId");
        g_autofree gchar *mn = rmqadmin_int_member(r, "minOffset");
        g_autofree gchar *mx = rmqadmin_int_member(r, "maxOffset");
        gint64 ts = json_object_get_int_member(r, "lastUpdateTimestamp");
        g_autoptr(GDateTime) dt = ts > 0 ? g_date_time_new_from_unix_local(ts / 1000) : NULL;
        g_autofree gchar *when = dt ? g_date_time_format(dt, "%F %T") : g_strdup("-");
        rmqadmin_table_add(t, json_object_get_string_member(r, "brokerName"), q, mn, mx, when,
                           NULL);
    }
    rmqadmin_table_print(t);
    json_node_unref(n);
    return 0;
}
