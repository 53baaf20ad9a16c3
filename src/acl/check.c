#include <config.h>

#include <json-glib/json-glib.h>
#include <string.h>

#include "acl/check.h"
#include "acl/sign.h"
#include "remoting/codes.h"

#define TRACE_TOPIC "RMQ_SYS_TRACE_TOPIC"

gboolean
rmq_acl_code_needs_admin(gint code)
{
    switch (code) {
    /* Java's Permission.ADMIN_CODE */
    case RMQ_REQUEST_UPDATE_AND_CREATE_TOPIC:
    case RMQ_REQUEST_UPDATE_BROKER_CONFIG:
    case RMQ_REQUEST_DELETE_TOPIC_IN_BROKER:
    case RMQ_REQUEST_UPDATE_AND_CREATE_SUBSCRIPTIONGROUP:
    case RMQ_REQUEST_DELETE_SUBSCRIPTIONGROUP:
    /* and the codes that rewrite the ACL file itself */
    case RMQ_REQUEST_UPDATE_AND_CREATE_ACL_CONFIG:
    case RMQ_REQUEST_DELETE_ACL_CONFIG:
    case RMQ_REQUEST_UPDATE_GLOBAL_WHITE_ADDRS_CONFIG:
    /* and the one that lists every account with its secret */
    case RMQ_REQUEST_GET_BROKER_CLUSTER_ACL_CONFIG:
        return TRUE;
    default:
        return FALSE;
    }
}

static void
need(GHashTable *t, const gchar *resource, guint8 perm)
{
    if (resource != NULL)
        g_hash_table_insert(t, g_strdup(resource), GUINT_TO_POINTER(perm));
}

static void
need_group(GHashTable *t, const gchar *group)
{
    if (group != NULL)
        g_hash_table_insert(t, g_strconcat(RMQ_ACL_RETRY_PREFIX, group, NULL),
                            GUINT_TO_POINTER(RMQ_ACL_PERM_SUB));
}

/* A send to @topic: PUB on it, or, for a retry topic, SUB on @group's retry
 * topic (a consumer re-sending). */
static void
need_send(GHashTable *t, const gchar *topic, const gchar *group)
{
    if (topic != NULL && g_str_has_prefix(topic, RMQ_ACL_RETRY_PREFIX))
        need_group(t, group);
    else
        need(t, topic, RMQ_ACL_PERM_PUB);
}

static gboolean
need_heartbeat(GHashTable *t, const RmqCommand *request, GError **error)
{
    if (request->body == NULL)
        return TRUE;
    gsize len;
    const gchar *data = g_bytes_get_data(request->body, &len);
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!json_parser_load_from_data(parser, data, (gssize) len, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        g_set_error(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_DENIED, "heartbeat body is not JSON");
        return FALSE;
    }
    JsonObject *root = json_node_get_object(json_parser_get_root(parser));
    JsonNode *set = json_object_get_member(root, "consumerDataSet");
    if (set == NULL || !JSON_NODE_HOLDS_ARRAY(set))
        return TRUE;
    JsonArray *consumers = json_node_get_array(set);
    for (guint i = 0; i < json_array_get_length(consumers); i++) {
        JsonNode *cn = json_array_get_element(consumers, i);
        if (!JSON_NODE_HOLDS_OBJECT(cn))
            continue;
        JsonObject *c = json_node_get_object(cn);
        need_group(t, json_object_get_string_member_with_default(c, "groupName", NULL));
        JsonNode *subs = json_object_get_member(c, "subscriptionDataSet");
        if (subs == NULL || !JSON_NODE_HOLDS_ARRAY(subs))
            continue;
        JsonArray *sa = json_node_get_array(subs);
        for (guint j = 0; j < json_array_get_length(sa); j++) {
            JsonNode *sn = json_array_get_element(sa, j);
            if (JSON_NODE_HOLDS_OBJECT(sn))
                need(t, json_object_get_string_member_with_default(json_node_get_object(sn),
                                                                   "topic", NULL),
                     RMQ_ACL_PERM_SUB);
        }
    }
    return TRUE;
}

GHashTable *
rmq_acl_needed(const RmqCommand *request, GError **error)
{
    g_return_val_if_fail(request != NULL, NULL);
    g_autoptr(GHashTable) t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const RmqCommand *r = request;
    switch (request->code) {
    case RMQ_REQUEST_SEND_MESSAGE:
        need_send(t, rmq_command_get_ext(r, "topic"), rmq_command_get_ext(r, "group"));
        break;
    case RMQ_REQUEST_SEND_MESSAGE_V2:
    case RMQ_REQUEST_SEND_BATCH_MESSAGE:
        /* SEND_MESSAGE_V2's short names: a = producerGroup, b = topic. A
         * batch may come with either header (rocketmq-client-cpp sends V2). */
        if (rmq_command_get_ext(r, "b") != NULL)
            need_send(t, rmq_command_get_ext(r, "b"), rmq_command_get_ext(r, "a"));
        else
            need_send(t, rmq_command_get_ext(r, "topic"), rmq_command_get_ext(r, "producerGroup"));
        break;
    case RMQ_REQUEST_CONSUMER_SEND_MSG_BACK:
        need_group(t, rmq_command_get_ext(r, "group"));
        break;
    case RMQ_REQUEST_PULL_MESSAGE:
        need(t, rmq_command_get_ext(r, "topic"), RMQ_ACL_PERM_SUB);
        need_group(t, rmq_command_get_ext(r, "consumerGroup"));
        break;
    case RMQ_REQUEST_QUERY_MESSAGE:
        need(t, rmq_command_get_ext(r, "topic"), RMQ_ACL_PERM_SUB);
        break;
    case RMQ_REQUEST_HEART_BEAT:
        if (!need_heartbeat(t, r, error))
            return NULL;
        break;
    case RMQ_REQUEST_UNREGISTER_CLIENT:
    case RMQ_REQUEST_GET_CONSUMER_LIST_BY_GROUP:
        need_group(t, rmq_command_get_ext(r, "consumerGroup"));
        break;
    case RMQ_REQUEST_UPDATE_CONSUMER_OFFSET:
        need_group(t, rmq_command_get_ext(r, "consumerGroup"));
        need(t, rmq_command_get_ext(r, "topic"), RMQ_ACL_PERM_SUB);
        break;
    default:
        break;
    }
    return g_steal_pointer(&t);
}

static gboolean
deny(GError **error, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
deny(GError **error, const gchar *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree gchar *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, RMQ_ACL_ERROR, RMQ_ACL_ERROR_DENIED, msg);
    return FALSE;
}

/* "topic:T" or "group:G", as Java's PlainAccessResource.printStr. */
static gchar *
resource_name(const gchar *resource)
{
    if (g_str_has_prefix(resource, RMQ_ACL_RETRY_PREFIX))
        return g_strconcat("group:", resource + strlen(RMQ_ACL_RETRY_PREFIX), NULL);
    return g_strconcat("topic:", resource, NULL);
}

gboolean
rmq_acl_check(const RmqAclConfig *config, const RmqCommand *request, const gchar *remote_ip,
              RmqAclVerdict *verdict, GError **error)
{
    g_return_val_if_fail(config != NULL && request != NULL, FALSE);
    RmqAclVerdict v = { rmq_command_get_ext(request, RMQ_ACL_ACCESS_KEY), FALSE };
    if (verdict != NULL)
        *verdict = v;
    for (guint i = 0; i < config->global_whites->len; i++) {
        if (rmq_acl_address_match(g_ptr_array_index(config->global_whites, i), remote_ip)) {
            if (verdict != NULL)
                verdict->white_listed = TRUE;
            return TRUE;
        }
    }
    if (v.access_key == NULL)
        return deny(error, "No accessKey is configured");
    const RmqAclAccount *owned = rmq_acl_config_account(config, v.access_key);
    if (owned == NULL)
        return deny(error, "No acl config for %s", v.access_key);
    if (rmq_acl_address_match(owned->white, remote_ip)) {
        if (verdict != NULL)
            verdict->white_listed = TRUE;
        return TRUE;
    }
    if (!rmq_acl_signature_verify(request, owned->secret_key))
        return deny(error, "Check signature failed for accessKey=%s", v.access_key);
    g_autoptr(GHashTable) needed = rmq_acl_needed(request, error);
    if (needed == NULL)
        return FALSE;
    /* Message traces may always be written (Java skips the check). */
    gpointer trace = g_hash_table_lookup(needed, TRACE_TOPIC);
    if (trace != NULL && GPOINTER_TO_UINT(trace) == RMQ_ACL_PERM_PUB)
        return TRUE;
    if (rmq_acl_code_needs_admin(request->code) && !owned->admin)
        return deny(error, "Need admin permission for request code=%d, but accessKey=%s is not",
                    request->code, v.access_key);
    if (owned->admin && g_hash_table_size(owned->perms) == 0)
        return TRUE; /* an admin without a list may use everything */
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, needed);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const gchar *resource = key;
        guint8 perm = (guint8) GPOINTER_TO_UINT(value);
        gpointer listed;
        guint8 owned_perm;
        if (g_hash_table_lookup_extended(owned->perms, resource, NULL, &listed))
            owned_perm = (guint8) GPOINTER_TO_UINT(listed);
        else
            owned_perm = g_str_has_prefix(resource, RMQ_ACL_RETRY_PREFIX)
                             ? owned->default_group_perm
                             : owned->default_topic_perm;
        if (!rmq_acl_perm_allows(perm, owned_perm)) {
            g_autofree gchar *what = resource_name(resource);
            return deny(error, "No default permission for %s", what);
        }
    }
    return TRUE;
}
