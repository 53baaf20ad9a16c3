/* The console's plain ACL API (docs/protocol.md §16.6): the accounts of
 * every broker's plain_acl.yml with their secrets masked, and account edits
 * through the brokers' ACL admin codes. The console signs as its own
 * accessKey (an admin account); a secret never leaves the console in full:
 * an edit that gives no secretKey re-sends the one the broker holds. */
#include <config.h>

#include "console/acl.h"

#include <string.h>

#include "remoting/codes.h"
#include "remoting/json_body.h"

void
rmq_console_call_sign(const RmqConsoleCall *call, RmqInstance *inst)
{
    if (call->access_key != NULL)
        rmq_instance_set_credentials(inst, call->access_key, call->secret_key, NULL);
}

/* Shown of a secret: its first characters, then a fixed run of '*' (not
 * its length either; secrets are longer than 6 characters). */
#define SHOWN_CHARS 2

gchar *
rmq_console_acl_mask(const gchar *secret)
{
    if (secret == NULL)
        return NULL;
    glong n = g_utf8_strlen(secret, -1);
    glong shown = n > 2 * SHOWN_CHARS ? SHOWN_CHARS : 0;
    const gchar *end = g_utf8_offset_to_pointer(secret, shown);
    g_autofree gchar *head = g_strndup(secret, (gsize) (end - secret));
    return g_strconcat(head, "******", NULL);
}

static gboolean
bad(GError **error, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
bad(GError **error, const gchar *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree gchar *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_BAD_REQUEST, msg);
    return FALSE;
}

/* A text parameter: printable, no control characters, at most @max bytes.
 * NULL in *@out when absent (or empty and !@required). */
static gboolean
text_param(RmqConsoleCall *call, const gchar *name, gsize max, gboolean required,
           const gchar **out, GError **error)
{
    const gchar *v = g_hash_table_lookup(call->params, name);
    *out = NULL;
    if (v == NULL || *v == '\0') {
        if (required)
            return bad(error, "%s is required", name);
        return TRUE;
    }
    if (strlen(v) > max || !g_utf8_validate(v, -1, NULL))
        return bad(error, "%s: at most %" G_GSIZE_FORMAT " characters of text", name, max);
    for (const gchar *p = v; *p != '\0'; p++)
        if ((guchar) *p < 0x20 || *p == 0x7f)
            return bad(error, "%s: at most %" G_GSIZE_FORMAT " characters of text", name, max);
    *out = v;
    return TRUE;
}

/* The brokers an edit goes to: addr, or every broker (masters and slaves),
 * as mqadmin's -c. An addr the name servers do not list is refused (404):
 * the console talks to the cluster only. (transfer full) */
static gchar **
targets(RmqConsoleCall *call, GError **error)
{
    const gchar *addr;
    if (!text_param(call, "addr", 255, FALSE, &addr, error))
        return NULL;
    g_auto(GStrv) all = rmq_admin_cluster_addrs(call->admin, NULL, error);
    if (all == NULL || addr == NULL)
        return g_steal_pointer(&all);
    if (!g_strv_contains((const gchar *const *) all, addr)) {
        g_set_error(error, RMQ_CONSOLE_ERROR, RMQ_CONSOLE_ERROR_NOT_FOUND,
                    "no broker at %.64s in the cluster", addr);
        return NULL;
    }
    gchar **one = g_new0(gchar *, 2);
    one[0] = g_strdup(addr);
    return one;
}

/* GET_BROKER_CLUSTER_ACL_CONFIG of @addr, parsed. (transfer full) */
static JsonNode *
acl_config(RmqAdmin *admin, const gchar *addr, GError **error)
{
    g_autoptr(GBytes) b = rmq_admin_invoke(admin, addr, RMQ_REQUEST_GET_BROKER_CLUSTER_ACL_CONFIG,
                                           NULL, NULL, error, NULL);
    if (b == NULL)
        return NULL;
    gsize len;
    const gchar *data = g_bytes_get_data(b, &len);
    JsonNode *n = len > 0 ? rmq_json_parse_lenient(data, (gssize) len, error) : NULL;
    if (n != NULL && JSON_NODE_HOLDS_OBJECT(n))
        return n;
    g_clear_pointer(&n, json_node_unref);
    if (error != NULL && *error == NULL)
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL, "%s: not an ACL config", addr);
    return NULL;
}

static void
copy_member(JsonObject *to, JsonObject *from, const gchar *name)
{
    JsonNode *n = json_object_get_member(from, name);
    if (n != NULL)
        json_object_set_member(to, name, json_node_copy(n));
}

/* One broker's row: its file, version, white list and masked accounts, or
 * {addr, error} when it cannot be read. */
static JsonObject *
broker_row(RmqAdmin *admin, const gchar *addr)
{
    JsonObject *row = json_object_new();
    json_object_set_string_member(row, "addr", addr);
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) ext = NULL;
    g_autoptr(GBytes) v = rmq_admin_invoke(admin, addr, RMQ_REQUEST_GET_BROKER_CLUSTER_ACL_INFO,
                                           NULL, &ext, &error, NULL);
    g_autoptr(JsonNode) cfg = v != NULL ? acl_config(admin, addr, &error) : NULL;
    if (cfg == NULL) {
        json_object_set_string_member(row, "error", error->message);
        return row;
    }
    json_object_set_string_member(row, "brokerName", g_hash_table_lookup(ext, "brokerName"));
    json_object_set_string_member(row, "clusterName", g_hash_table_lookup(ext, "clusterName"));
    const gchar *versions = g_hash_table_lookup(ext, "allAclFileVersion");
    g_autoptr(JsonNode) all = versions != NULL ? rmq_json_parse_lenient(versions, -1, NULL) : NULL;
    if (all != NULL && JSON_NODE_HOLDS_OBJECT(all)) {
        JsonObject *by_file = json_node_get_object(all);
        g_autoptr(GList) files = json_object_get_members(by_file);
        if (files != NULL) {
            json_object_set_string_member(row, "file", files->data);
            json_object_set_member(row, "version", json_object_dup_member(by_file, files->data));
        }
    }
    JsonObject *c = json_node_get_object(cfg);
    JsonArray *whites = rmq_json_object_get_array_or_null(c, "globalWhiteAddrs");
    json_object_set_array_member(row, "globalWhiteAddrs",
                                 whites != NULL ? json_array_ref(whites) : json_array_new());
    JsonArray *accounts = json_array_new();
    JsonArray *in = rmq_json_object_get_array_or_null(c, "plainAccessConfigs");
    for (guint i = 0; in != NULL && i < json_array_get_length(in); i++) {
        JsonObject *a = json_array_get_object_element(in, i);
        JsonObject *o = json_object_new();
        copy_member(o, a, "accessKey");
        g_autofree gchar *masked =
            rmq_console_acl_mask(rmq_json_object_get_string_or(a, "secretKey", NULL));
        if (masked != NULL)
            json_object_set_string_member(o, "secretKey", masked);
        copy_member(o, a, "whiteRemoteAddress");
        json_object_set_boolean_member(o, "admin", rmq_json_object_get_bool_or(a, "admin", FALSE));
        copy_member(o, a, "defaultTopicPerm");
        copy_member(o, a, "defaultGroupPerm");
        copy_member(o, a, "topicPerms");
        copy_member(o, a, "groupPerms");
        json_array_add_object_element(accounts, o);
    }
    json_object_set_array_member(row, "accounts", accounts);
    return row;
}

JsonNode *
rmq_console_api_acl(RmqConsoleCall *call, GError **error)
{
    g_auto(GStrv) addrs = targets(call, error);
    if (addrs == NULL)
        return NULL;
    JsonArray *brokers = json_array_new();
    for (guint i = 0; addrs[i] != NULL; i++)
        json_array_add_object_element(brokers, broker_row(call->admin, addrs[i]));
    JsonObject *o = json_object_new();
    json_object_set_array_member(o, "brokers", brokers);
    return rmq_json_node_take_object(o);
}

/* The secret @addr holds for @key, or NULL (no such account). (transfer full) */
static gchar *
current_secret(RmqAdmin *admin, const gchar *addr, const gchar *key, GError **error)
{
    g_autoptr(JsonNode) cfg = acl_config(admin, addr, error);
    if (cfg == NULL)
        return NULL;
    JsonArray *in = rmq_json_object_get_array_or_null(json_node_get_object(cfg),
                                                      "plainAccessConfigs");
    for (guint i = 0; in != NULL && i < json_array_get_length(in); i++) {
        JsonObject *a = json_array_get_object_element(in, i);
        if (g_strcmp0(rmq_json_object_get_string_or(a, "accessKey", NULL), key) == 0)
            return g_strdup(rmq_json_object_get_string_or(a, "secretKey", NULL));
    }
    bad(error, "secretKey is required for a new account (%s on %s)", key, addr);
    return NULL;
}

static JsonNode *
done(const gchar *key, gchar **addrs)
{
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "ok", TRUE);
    json_object_set_string_member(o, "accessKey", key);
    JsonArray *a = json_array_new();
    for (guint i = 0; addrs[i] != NULL; i++)
        json_array_add_string_element(a, addrs[i]);
    json_object_set_array_member(o, "brokers", a);
    return rmq_json_node_take_object(o);
}

JsonNode *
rmq_console_api_acl_update(RmqConsoleCall *call, GError **error)
{
    const gchar *key, *secret, *white, *dtp, *dgp, *topics, *groups, *admin;
    if (!text_param(call, "accessKey", 255, TRUE, &key, error) ||
        !text_param(call, "secretKey", 255, FALSE, &secret, error) ||
        !text_param(call, "whiteRemoteAddress", 1024, FALSE, &white, error) ||
        !text_param(call, "defaultTopicPerm", 16, FALSE, &dtp, error) ||
        !text_param(call, "defaultGroupPerm", 16, FALSE, &dgp, error) ||
        !text_param(call, "topicPerms", 65536, FALSE, &topics, error) ||
        !text_param(call, "groupPerms", 65536, FALSE, &groups, error) ||
        !text_param(call, "admin", 5, FALSE, &admin, error))
        return NULL;
    if (admin != NULL && strcmp(admin, "true") != 0 && strcmp(admin, "false") != 0) {
        bad(error, "admin must be true or false");
        return NULL;
    }
    /* an empty white address clears it (the broker's own rule) */
    if (white == NULL && g_hash_table_contains(call->params, "whiteRemoteAddress"))
        white = "";
    g_auto(GStrv) addrs = targets(call, error);
    if (addrs == NULL)
        return NULL;
    for (guint i = 0; addrs[i] != NULL; i++) {
        g_autofree gchar *kept = NULL;
        if (secret == NULL && (kept = current_secret(call->admin, addrs[i], key, error)) == NULL)
            return NULL;
        g_autoptr(GBytes) b = rmq_admin_invoke(
            call->admin, addrs[i], RMQ_REQUEST_UPDATE_AND_CREATE_ACL_CONFIG, NULL, NULL, error,
            "accessKey", key, "secretKey", secret != NULL ? secret : kept, "admin",
            admin != NULL ? admin : "false", "whiteRemoteAddress", white, "defaultTopicPerm", dtp,
            "defaultGroupPerm", dgp, "topicPerms", topics, "groupPerms", groups, NULL);
        if (kept != NULL)
            memset(kept, 0, strlen(kept));
        if (b == NULL)
            return NULL;
    }
    return done(key, addrs);
}

JsonNode *
rmq_console_api_acl_delete(RmqConsoleCall *call, GError **error)
{
    const gchar *key;
    if (!text_param(call, "accessKey", 255, TRUE, &key, error))
        return NULL;
    g_auto(GStrv) addrs = targets(call, error);
    if (addrs == NULL)
        return NULL;
    for (guint i = 0; addrs[i] != NULL; i++) {
        g_autoptr(GBytes) b = rmq_admin_invoke(call->admin, addrs[i],
                                               RMQ_REQUEST_DELETE_ACL_CONFIG, NULL, NULL, error,
                                               "accessKey", key, NULL);
        if (b == NULL)
            return NULL;
    }
    return done(key, addrs);
}
