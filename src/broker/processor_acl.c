/* The plain ACL admin codes (docs/protocol.md §16.5), Java's
 * AdminBrokerProcessor: UPDATE_AND_CREATE_ACL_CONFIG (50), DELETE_ACL_CONFIG
 * (51), GET_BROKER_CLUSTER_ACL_INFO (52), UPDATE_GLOBAL_WHITE_ADDRS_CONFIG
 * (53), GET_BROKER_CLUSTER_ACL_CONFIG (54). The edits are src/acl's
 * (plain_edit.h); acl_guard writes the file atomically and takes the new
 * rules at once. Requests are served one at a time on the broker's loop, as
 * Java's synchronized handlers are. */
#include <config.h>

#include <string.h>
#include <sys/stat.h>

#include "acl/plain_edit.h"
#include "broker/acl_guard.h"
#include "broker/broker.h"
#include "broker/commands.h"
#include "remoting/codes.h"
#include "remoting/json_text.h"

/* Java answers these with a NullPointerException when aclEnable is false (no
 * validator loaded): the edits fail with their FAILED code, the two reads
 * are never answered. rmq answers all five, with this remark. */
#define ACL_OFF "aclEnable is false on this broker: there is no plain ACL to read or change"

/* NULL (and the request answered) when aclEnable is off. */
static RmqBrokerAcl *
acl_or_refuse(RmqBroker *b, RmqConnection *conn, RmqCommand *req, gint32 code)
{
    if (b->acl == NULL)
        rmq_broker_reply_borrow(conn, req, code, ACL_OFF);
    return b->acl;
}

/* An edit's prologue: the header field @name its edit needs, or NULL (and
 * the request answered with @code) when aclEnable is off or it is missing. */
static const gchar *
edit_field_or_refuse(RmqBroker *b, RmqConnection *conn, RmqCommand *req, gint32 code,
                     const gchar *name)
{
    if (acl_or_refuse(b, conn, req, code) == NULL)
        return NULL;
    return rmq_broker_require_ext(conn, req, name);
}

/* Write and take an edit's result; answer SUCCESS or @failed_code. */
static void
commit(RmqBroker *b, RmqConnection *conn, RmqCommand *req, gchar *text, RmqAclConfig *fresh,
       const GError *edit_error, gint32 failed_code, const gchar *what, const gchar *secret)
{
    g_autofree gchar *owned = text;
    if (text == NULL) {
        /* Java's remark may carry the secret it was sent: then not logged */
        gboolean has_secret = secret != NULL && *secret != '\0' &&
                              strstr(edit_error->message, secret) != NULL;
        g_message("ACL admin code %d from %s refused: %s", req->code,
                  rmq_connection_get_peer(conn),
                  has_secret ? "(the reason names the secret)" : edit_error->message);
        rmq_broker_reply_borrow(conn, req, failed_code, edit_error->message);
        return;
    }
    g_autoptr(GError) error = NULL;
    if (!rmq_broker_acl_commit(b->acl, text, fresh, what, &error)) {
        g_warning("ACL admin code %d from %s: %s", req->code, rmq_connection_get_peer(conn),
                  error->message);
        rmq_broker_reply_borrow(conn, req, failed_code, error->message);
        return;
    }
    rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_SUCCESS, NULL);
}

void
rmq_broker_handle_acl_update(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *key = edit_field_or_refuse(
        b, conn, req, RMQ_RESPONSE_UPDATE_AND_CREATE_ACL_CONFIG_FAILED, "accessKey");
    if (key == NULL)
        return;
    RmqAclAccountUpdate u = {
        .access_key = key,
        .secret_key = rmq_command_get_ext(req, "secretKey"),
        .white_remote_address = rmq_command_get_ext(req, "whiteRemoteAddress"),
        .default_topic_perm = rmq_command_get_ext(req, "defaultTopicPerm"),
        .default_group_perm = rmq_command_get_ext(req, "defaultGroupPerm"),
        .topic_perms = rmq_command_get_ext(req, "topicPerms"),
        .group_perms = rmq_command_get_ext(req, "groupPerms"),
    };
    /* Java's Boolean.parseBoolean: "true" in any case, anything else false */
    const gchar *admin = rmq_command_get_ext(req, "admin");
    u.admin = admin != NULL && g_ascii_strcasecmp(admin, "true") == 0;
    g_autoptr(GError) error = NULL;
    RmqAclConfig *fresh = NULL;
    gchar *text = rmq_acl_edit_update_account(rmq_broker_acl_config(b->acl), &u,
                                              g_get_real_time() / 1000, &fresh, &error);
    g_autofree gchar *what =
        g_strdup_printf("account %s updated by %s", u.access_key, rmq_connection_get_peer(conn));
    commit(b, conn, req, text, fresh, error, RMQ_RESPONSE_UPDATE_AND_CREATE_ACL_CONFIG_FAILED,
           what, u.secret_key);
}

void
rmq_broker_handle_acl_delete(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *key =
        edit_field_or_refuse(b, conn, req, RMQ_RESPONSE_DELETE_ACL_CONFIG_FAILED, "accessKey");
    if (key == NULL)
        return;
    g_autoptr(GError) error = NULL;
    RmqAclConfig *fresh = NULL;
    gchar *text = rmq_acl_edit_delete_account(rmq_broker_acl_config(b->acl), key,
                                              g_get_real_time() / 1000, &fresh, &error);
    g_autofree gchar *what =
        g_strdup_printf("account %s deleted by %s", key, rmq_connection_get_peer(conn));
    commit(b, conn, req, text, fresh, error, RMQ_RESPONSE_DELETE_ACL_CONFIG_FAILED, what, NULL);
}

/* Is @named (aclFileFullPath) the broker's file? Java accepts any .yml under
 * its home directory; rmq has one file, so another name is refused. */
static gboolean
same_file(const gchar *named, const gchar *ours)
{
    if (named == NULL || *named == '\0' || strcmp(named, ours) == 0)
        return TRUE;
    struct stat a, b;
    return stat(named, &a) == 0 && stat(ours, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

void
rmq_broker_handle_acl_global_whites(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    const gchar *addrs = edit_field_or_refuse(
        b, conn, req, RMQ_RESPONSE_UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED, "globalWhiteAddrs");
    if (addrs == NULL)
        return;
    /* aclFileFullPath is required by Java's header but Java's own mqadmin
     * leaves it out without -p: rmq takes "missing" as "the file". */
    const gchar *path = rmq_command_get_ext(req, "aclFileFullPath");
    if (!same_file(path, rmq_broker_acl_path(b->acl))) {
        g_autofree gchar *remark =
            g_strdup_printf("The globalWhiteAddresses[%s] has been updated failed.", addrs);
        g_message("ACL: UPDATE_GLOBAL_WHITE_ADDRS_CONFIG from %s names %s, not %s",
                  rmq_connection_get_peer(conn), path, rmq_broker_acl_path(b->acl));
        rmq_broker_reply_borrow(conn, req, RMQ_RESPONSE_UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED,
                                remark);
        return;
    }
    g_autoptr(GError) error = NULL;
    RmqAclConfig *fresh = NULL;
    gchar *text = rmq_acl_edit_set_global_whites(rmq_broker_acl_config(b->acl), addrs,
                                                 g_get_real_time() / 1000, &fresh, &error);
    g_autofree gchar *what =
        g_strdup_printf("global white addresses updated by %s", rmq_connection_get_peer(conn));
    commit(b, conn, req, text, fresh, error, RMQ_RESPONSE_UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED,
           what, NULL);
}

/* {"counter":N,"timestamp":T}, fastjson's DataVersion */
static void
append_version(GString *out, gint64 timestamp, gint64 counter)
{
    g_string_append(out, "{\"counter\":");
    rmq_json_text_append_int64(out, counter);
    g_string_append(out, ",\"timestamp\":");
    rmq_json_text_append_int64(out, timestamp);
    g_string_append_c(out, '}');
}

void
rmq_broker_handle_acl_version(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    if (acl_or_refuse(b, conn, req, RMQ_RESPONSE_SYSTEM_ERROR) == NULL)
        return;
    gint64 timestamp, counter;
    rmq_broker_acl_version(b->acl, &timestamp, &counter);
    g_autoptr(GString) version = g_string_new(NULL);
    append_version(version, timestamp, counter);
    g_autoptr(GString) all = g_string_new("{");
    rmq_json_text_append_string(all, rmq_broker_acl_path(b->acl), -1);
    g_string_append_c(all, ':');
    append_version(all, timestamp, counter);
    g_string_append_c(all, '}');
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_ext(resp, "version", version->str);
    rmq_command_set_ext(resp, "allAclFileVersion", all->str);
    rmq_command_set_ext(resp, "brokerAddr", b->broker_addr);
    rmq_command_set_ext(resp, "brokerName", b->settings.broker_name);
    rmq_command_set_ext(resp, "clusterName", b->settings.cluster_name);
    rmq_broker_reply(conn, req, resp);
}

static void
append_key(GString *out, const gchar *key, gboolean *first)
{
    if (!*first)
        g_string_append_c(out, ',');
    *first = FALSE;
    rmq_json_text_append_string(out, key, -1);
    g_string_append_c(out, ':');
}

static void
append_string_field(GString *out, const gchar *key, const gchar *value, gboolean *first)
{
    if (value == NULL)
        return; /* fastjson leaves nulls out */
    append_key(out, key, first);
    rmq_json_text_append_string(out, value, -1);
}

static void
append_list(GString *out, GPtrArray *items)
{
    g_string_append_c(out, '[');
    for (guint i = 0; i < items->len; i++) {
        if (i > 0)
            g_string_append_c(out, ',');
        rmq_json_text_append_string(out, g_ptr_array_index(items, i), -1);
    }
    g_string_append_c(out, ']');
}

/* Java's PlainAccessConfig as fastjson writes it: keys sorted, nulls left out,
 * the secret included (Java returns it; rmq keeps the code admin-only). */
static void
append_account(GString *out, const RmqAclAccount *a)
{
    gboolean first = TRUE;
    g_string_append_c(out, '{');
    append_string_field(out, "accessKey", a->access_key, &first);
    append_key(out, "admin", &first);
    g_string_append(out, a->admin ? "true" : "false");
    append_string_field(out, "defaultGroupPerm", a->default_group_perm_text, &first);
    append_string_field(out, "defaultTopicPerm", a->default_topic_perm_text, &first);
    if (a->group_perms->len > 0) {
        append_key(out, "groupPerms", &first);
        append_list(out, a->group_perms);
    }
    append_string_field(out, "secretKey", a->secret_key, &first);
    if (a->topic_perms->len > 0) {
        append_key(out, "topicPerms", &first);
        append_list(out, a->topic_perms);
    }
    if (a->white_remote_address != NULL && *a->white_remote_address != '\0')
        append_string_field(out, "whiteRemoteAddress", a->white_remote_address, &first);
    g_string_append_c(out, '}');
}

void
rmq_broker_handle_acl_config(RmqConnection *conn, RmqCommand *req, gpointer user_data)
{
    RmqBroker *b = user_data;
    if (acl_or_refuse(b, conn, req, RMQ_RESPONSE_SYSTEM_ERROR) == NULL)
        return;
    const RmqAclConfig *c = rmq_broker_acl_config(b->acl);
    g_autoptr(GString) body = g_string_new("{\"globalWhiteAddrs\":");
    append_list(body, c->global_white_texts);
    g_string_append(body, ",\"plainAccessConfigs\":[");
    for (guint i = 0; i < c->accounts->len; i++) {
        if (i > 0)
            g_string_append_c(body, ',');
        append_account(body, g_ptr_array_index(c->accounts, i));
    }
    g_string_append(body, "]}");
    g_message("plain ACL listed (with secrets) for %s", rmq_connection_get_peer(conn));
    RmqCommand *resp = rmq_broker_response_borrow(req, RMQ_RESPONSE_SUCCESS, NULL);
    rmq_command_set_body_data(resp, body->str, body->len);
    rmq_broker_reply(conn, req, resp);
}
