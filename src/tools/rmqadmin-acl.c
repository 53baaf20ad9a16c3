/* rmqadmin's plain ACL subcommands, mqadmin 4.9's acl/ commands with their
 * names, aliases and options: updateAclConfig, deleteAclConfig
 * (deleteAccessConfig), updateGlobalWhiteAddr, clusterAclConfigVersion,
 * getAclConfig (getAccessConfigSubCommand). The changes go to -b ADDR or to
 * every broker, master and slave, of -c CLUSTER; the two queries to -b ADDR
 * or every master of -c CLUSTER, as mqadmin does. Requests are signed with
 * the common --access-key/--secret-key/--credentials (an admin account when
 * the broker has aclEnable). Output lines are mqadmin's; --json prints what
 * the brokers answered. Broker side: docs/protocol.md §16.5. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "tools/rmqadmin.h"
#include "remoting/codes.h"
#include "remoting/json_body.h"

/* -b ADDR, or every broker of -c CLUSTER (@all) or its masters. */
static gchar **
acl_targets(RmqAdminCommon *c, const gchar *name, const gchar *broker, const gchar *cluster,
            gboolean all, int *rc)
{
    if (broker == NULL && cluster == NULL) {
        *rc = rmqadmin_usage(name, "give -b BROKER_ADDR or -c CLUSTER");
        return NULL;
    }
    if (broker != NULL || !all)
        return rmqadmin_targets(c, name, broker, cluster, rc);
    g_autoptr(GError) error = NULL;
    gchar **addrs = rmq_admin_cluster_addrs(c->admin, cluster, &error);
    if (addrs == NULL) {
        *rc = rmqadmin_fail(name, error);
        return NULL;
    }
    if (addrs[0] == NULL) {
        g_strfreev(addrs);
        fprintf(stderr, "rmqadmin %s: cluster %s has no broker\n", name, cluster);
        *rc = RMQADMIN_EXIT_NOT_FOUND;
        return NULL;
    }
    return addrs;
}

/* An edit on -b ADDR or every broker of -c CLUSTER: @apply on each; the
 * --json answer has @key: @value and what each broker said. */
static int
apply_edit(RmqAdminCommon *c, const gchar *name, const gchar *broker, const gchar *cluster,
           RmqAdminApplyFunc apply, gpointer data, const gchar *key, const gchar *value)
{
    int rc;
    g_auto(GStrv) targets = acl_targets(c, name, broker, cluster, TRUE, &rc);
    if (targets == NULL)
        return rc;
    JsonObject *result = json_object_new();
    json_object_set_string_member(result, key, value);
    return rmqadmin_apply_targets(c, name, targets, apply, data, result);
}

static gchar *
trimmed(const gchar *s)
{
    return s != NULL ? g_strstrip(g_strdup(s)) : NULL;
}

/* ---- updateAclConfig -------------------------------------------------- */

typedef struct {
    gchar *access_key, *secret_key, *white, *topic_perm, *group_perm, *topics, *groups;
    gchar *admin; /* "true" / "false" (Boolean.parseBoolean) or NULL */
} AccountArgs;

static void
account_args_clear(AccountArgs *a)
{
    if (a->secret_key != NULL)
        memset(a->secret_key, 0, strlen(a->secret_key));
    gchar **fields[] = { &a->access_key, &a->secret_key, &a->white, &a->topic_perm,
                         &a->group_perm, &a->topics, &a->groups, &a->admin };
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
        g_clear_pointer(fields[i], g_free);
}

static gchar *
apply_update(RmqAdminCommon *c, const gchar *target, gpointer data, GError **error)
{
    AccountArgs *a = data;
    g_autoptr(GBytes) b = rmq_admin_invoke(
        c->admin, target, RMQ_REQUEST_UPDATE_AND_CREATE_ACL_CONFIG, NULL, NULL, error, "accessKey",
        a->access_key, "secretKey", a->secret_key, "admin", a->admin, "defaultTopicPerm",
        a->topic_perm, "defaultGroupPerm", a->group_perm, "whiteRemoteAddress", a->white,
        "topicPerms", a->topics, "groupPerms", a->groups, NULL);
    if (b == NULL)
        return NULL;
    return g_strdup_printf("create or update plain access config to %s success.", target);
}

int
rmqadmin_update_acl_config(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *broker = NULL, *cluster = NULL;
    AccountArgs a = { 0 };
    GOptionEntry e[] = {
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker,
          "update acl config file to which broker", "ADDR" },
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster,
          "update acl config file to which cluster (every master and slave)", "NAME" },
        { "accessKey", 'a', 0, G_OPTION_ARG_STRING, &a.access_key,
          "set accessKey in acl config file", "KEY" },
        { "secretKey", 's', 0, G_OPTION_ARG_STRING, &a.secret_key,
          "set secretKey in acl config file", "SECRET" },
        { "whiteRemoteAddress", 'w', 0, G_OPTION_ARG_STRING, &a.white,
          "set white ip Address for account in acl config file", "PATTERN" },
        { "defaultTopicPerm", 'i', 0, G_OPTION_ARG_STRING, &a.topic_perm,
          "set default topicPerm in acl config file", "PERM" },
        { "defaultGroupPerm", 'u', 0, G_OPTION_ARG_STRING, &a.group_perm,
          "set default GroupPerm in acl config file", "PERM" },
        { "topicPerms", 't', 0, G_OPTION_ARG_STRING, &a.topics,
          "set topicPerms list,eg: topicA=DENY,topicD=SUB", "LIST" },
        { "groupPerms", 'g', 0, G_OPTION_ARG_STRING, &a.groups,
          "set groupPerms list,eg: groupD=DENY,groupD=SUB", "LIST" },
        { "admin", 'm', 0, G_OPTION_ARG_STRING, &a.admin, "set admin flag in acl config file",
          "true|false" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Update acl config yaml file in broker",
                            "(-b ADDR | -c CLUSTER) -a KEY -s SECRET [-w -i -u -t -g -m]", e,
                            &argc, &argv);
    if (rc < 0 && (a.access_key == NULL || a.secret_key == NULL))
        rc = rmqadmin_usage(argv[0], "-a ACCESS_KEY and -s SECRET_KEY are required");
    if (rc < 0) {
        /* mqadmin trims every value; -m is Boolean.parseBoolean */
        AccountArgs t = {
            trimmed(a.access_key), trimmed(a.secret_key), trimmed(a.white),
            trimmed(a.topic_perm), trimmed(a.group_perm), trimmed(a.topics), trimmed(a.groups),
            g_strdup(a.admin != NULL && g_ascii_strcasecmp(g_strstrip(a.admin), "true") == 0
                         ? "true"
                         : "false"),
        };
        rc = apply_edit(c, argv[0], broker, cluster, apply_update, &t, "accessKey", t.access_key);
        if (rc == RMQADMIN_EXIT_OK && !c->json)
            /* mqadmin prints the PlainAccessConfig object here (its default
             * toString, a class name and hash); rmq prints the account, no secret */
            printf("accessKey=%s, whiteRemoteAddress=%s, admin=%s, defaultTopicPerm=%s, "
                   "defaultGroupPerm=%s, topicPerms=[%s], groupPerms=[%s]\n",
                   t.access_key, t.white ? t.white : "", t.admin,
                   t.topic_perm ? t.topic_perm : "", t.group_perm ? t.group_perm : "",
                   t.topics ? t.topics : "", t.groups ? t.groups : "");
        account_args_clear(&t);
    }
    account_args_clear(&a);
    return rc;
}

/* ---- deleteAclConfig -------------------------------------------------- */

static gchar *
apply_delete(RmqAdminCommon *c, const gchar *target, gpointer data, GError **error)
{
    g_autoptr(GBytes) b = rmq_admin_invoke(c->admin, target, RMQ_REQUEST_DELETE_ACL_CONFIG, NULL,
                                           NULL, error, "accessKey", (const gchar *) data, NULL);
    if (b == NULL)
        return NULL;
    return g_strdup_printf("delete plain access config account from %s success.", target);
}

int
rmqadmin_delete_acl_config(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *broker = NULL, *cluster = NULL, *key = NULL;
    GOptionEntry e[] = {
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker,
          "delete acl config account from which broker", "ADDR" },
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster,
          "delete acl config account from which cluster (every master and slave)", "NAME" },
        { "accessKey", 'a', 0, G_OPTION_ARG_STRING, &key,
          "set accessKey in acl config file for deleting which account", "KEY" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Delete Acl Config Account in broker",
                            "(-b ADDR | -c CLUSTER) -a KEY", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (key == NULL)
        return rmqadmin_usage(argv[0], "-a ACCESS_KEY is required");
    g_strstrip(key);
    rc = apply_edit(c, argv[0], broker, cluster, apply_delete, key, "accessKey", key);
    if (rc == RMQADMIN_EXIT_OK && !c->json)
        printf("account's accesskey is:%s\n", key);
    return rc;
}

/* ---- updateGlobalWhiteAddr -------------------------------------------- */

typedef struct {
    const gchar *addrs, *path;
} WhiteArgs;

static gchar *
apply_whites(RmqAdminCommon *c, const gchar *target, gpointer data, GError **error)
{
    WhiteArgs *w = data;
    g_autoptr(GBytes) b = rmq_admin_invoke(c->admin, target,
                                           RMQ_REQUEST_UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, NULL,
                                           NULL, error, "globalWhiteAddrs", w->addrs,
                                           "aclFileFullPath", w->path, NULL);
    if (b == NULL)
        return NULL;
    return g_strdup_printf("update global white remote addresses to %s success.", target);
}

int
rmqadmin_update_global_white_addr(RmqAdminCommon *c, int argc, char **argv)
{
    g_autofree gchar *broker = NULL, *cluster = NULL, *addrs = NULL, *path = NULL;
    GOptionEntry e[] = {
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker,
          "update global white address to which broker", "ADDR" },
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster,
          "update global white address to which cluster (every master and slave)", "NAME" },
        { "globalWhiteRemoteAddresses", 'g', 0, G_OPTION_ARG_STRING, &addrs,
          "set globalWhiteRemoteAddress list,eg: 10.10.103.*,192.168.0.*", "LIST" },
        { "aclFileFullPath", 'p', 0, G_OPTION_ARG_STRING, &path,
          "update global white address of specified acl file,eg: /xxx/plain_test.yml", "PATH" },
        { NULL },
    };
    int rc = rmqadmin_parse(c, argv[0], "Update global white address for acl Config File in broker",
                            "(-b ADDR | -c CLUSTER) -g LIST [-p PATH]", e, &argc, &argv);
    if (rc >= 0)
        return rc;
    if (addrs == NULL)
        return rmqadmin_usage(argv[0], "-g GLOBAL_WHITE_REMOTE_ADDRESSES is required");
    g_strstrip(addrs);
    if (path != NULL)
        g_strstrip(path);
    WhiteArgs w = { addrs, path };
    return apply_edit(c, argv[0], broker, cluster, apply_whites, &w, "globalWhiteAddrs", addrs);
}

/* ---- clusterAclConfigVersion ------------------------------------------ */

/* DataVersion text {"counter":N,"timestamp":T} -> object, or NULL */
static JsonNode *
parse_json(const gchar *text)
{
    return text != NULL ? json_from_string(text, NULL) : NULL;
}

/* ClusterAclVersionInfo of @addr as JSON, NULL + @error. */
static JsonNode *
acl_version_info(RmqAdminCommon *c, const gchar *addr, GError **error)
{
    g_autoptr(GHashTable) ext = NULL;
    g_autoptr(GBytes) b = rmq_admin_invoke(c->admin, addr, RMQ_REQUEST_GET_BROKER_CLUSTER_ACL_INFO,
                                           NULL, &ext, error, NULL);
    if (b == NULL)
        return NULL;
    JsonObject *o = json_object_new();
    const gchar *names[] = { "clusterName", "brokerName", "brokerAddr" };
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
        json_object_set_string_member(o, names[i], g_hash_table_lookup(ext, names[i]));
    JsonNode *version = parse_json(g_hash_table_lookup(ext, "version"));
    JsonNode *all = parse_json(g_hash_table_lookup(ext, "allAclFileVersion"));
    if (all == NULL || !JSON_NODE_HOLDS_OBJECT(all)) {
        g_clear_pointer(&version, json_node_unref);
        g_clear_pointer(&all, json_node_unref);
        json_object_unref(o);
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL,
                    "%s: no allAclFileVersion in the answer", addr);
        return NULL;
    }
    if (version != NULL)
        json_object_set_member(o, "aclConfigDataVersion", version);
    json_object_set_member(o, "allAclConfigDataVersion", all);
    return rmq_json_node_take_object(o);
}

/* mqadmin's columns, widths and all */
#define VERSION_ROW "%-16s  %-22s  %-22s  %-20s  %-22s  %-22s\n"

static void
print_version_rows(JsonObject *info)
{
    JsonObject *all = json_object_get_object_member(info, "allAclConfigDataVersion");
    g_autoptr(GList) files = json_object_get_members(all);
    for (GList *l = files; l != NULL; l = l->next) {
        JsonObject *v = json_object_get_object_member(all, l->data);
        gint64 ts = rmq_json_object_get_int64_or(v, "timestamp", 0);
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(ts / 1000);
        g_autofree gchar *when = dt != NULL ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S")
                                            : g_strdup("");
        g_autofree gchar *counter =
            rmqadmin_int_text(rmq_json_object_get_int64_or(v, "counter", 0));
        printf(VERSION_ROW, rmq_json_object_get_string_or(info, "clusterName", ""),
               rmq_json_object_get_string_or(info, "brokerName", ""),
               rmq_json_object_get_string_or(info, "brokerAddr", ""), (const gchar *) l->data,
               counter, when);
    }
}

/* -b ADDR | -c CLUSTER of clusterAclConfigVersion and getAclConfig: the
 * brokers to ask (the masters of -c), or NULL and the exit code in @rc;
 * @by_broker: -b was given. */
static gchar **
read_targets(RmqAdminCommon *c, int argc, char **argv, const gchar *summary,
             gboolean *by_broker, int *rc)
{
    g_autofree gchar *broker = NULL, *cluster = NULL;
    GOptionEntry e[] = {
        { "brokerAddr", 'b', 0, G_OPTION_ARG_STRING, &broker,
          "query acl config version for which broker", "ADDR" },
        { "clusterName", 'c', 0, G_OPTION_ARG_STRING, &cluster,
          "query acl config version for specified cluster (its masters)", "NAME" },
        { NULL },
    };
    *rc = rmqadmin_parse(c, argv[0], summary, "-b ADDR | -c CLUSTER", e, &argc, &argv);
    if (*rc >= 0)
        return NULL;
    *by_broker = broker != NULL;
    return acl_targets(c, argv[0], broker, cluster, FALSE, rc);
}

/* Asks each of @targets with @query and prints each answer with @print
 * (text mode) or all of them by address as one JSON object (--json). */
static int
query_each(RmqAdminCommon *c, const gchar *name, gchar **targets,
           JsonNode *(*query)(RmqAdminCommon *, const gchar *, GError **),
           void (*print)(JsonObject *))
{
    JsonObject *all = json_object_new();
    for (guint i = 0; targets[i] != NULL; i++) {
        g_autoptr(GError) error = NULL;
        JsonNode *n = query(c, targets[i], &error);
        if (n == NULL) {
            json_object_unref(all);
            return rmqadmin_fail(name, error);
        }
        if (!c->json)
            print(json_node_get_object(n));
        json_object_set_member(all, targets[i], n);
    }
    if (c->json)
        rmqadmin_print_json(rmq_json_node_take_object(all));
    else
        json_object_unref(all);
    return RMQADMIN_EXIT_OK;
}

int
rmqadmin_cluster_acl_config_version(RmqAdminCommon *c, int argc, char **argv)
{
    gboolean by_broker;
    int rc;
    g_auto(GStrv) targets =
        read_targets(c, argc, argv, "List all of acl config version information in cluster",
                     &by_broker, &rc);
    if (targets == NULL)
        return rc;
    /* mqadmin prints the header with -c only */
    if (!c->json && !by_broker)
        printf(VERSION_ROW, "#Cluster Name", "#Broker Name", "#Broker Addr", "#AclFilePath",
               "#AclConfigVersionNum", "#AclLastUpdateTime");
    rc = query_each(c, argv[0], targets, acl_version_info, print_version_rows);
    if (rc != RMQADMIN_EXIT_OK || c->json)
        return rc;
    printf(by_broker ? "get broker's plain access config version success.\n"
                          : "get cluster's plain access config version success.\n");
    return RMQADMIN_EXIT_OK;
}

/* ---- getAclConfig ----------------------------------------------------- */

/* Java's List.toString: [a, b] */
static gchar *
list_text(JsonObject *o, const gchar *member)
{
    JsonArray *a = rmq_json_object_get_array_or_null(o, member);
    if (a == NULL)
        return NULL;
    g_autoptr(GString) s = g_string_new("[");
    for (guint i = 0; i < json_array_get_length(a); i++) {
        if (i > 0)
            g_string_append(s, ", ");
        g_string_append(s, json_array_get_string_element(a, i));
    }
    g_string_append_c(s, ']');
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
print_field(const gchar *name, const gchar *value)
{
    printf("%-1s %-18s: %s\n", "", name, value != NULL ? value : "");
}

/* mqadmin's layout: the white list, then each PlainAccessConfig field by
 * field in declaration order (secrets included, as mqadmin prints them). */
static void
print_acl_config(JsonObject *o)
{
    g_autofree gchar *whites = list_text(o, "globalWhiteAddrs");
    printf("\n");
    printf("%-20s: %s\n", "globalWhiteRemoteAddresses", whites != NULL ? whites : "[]");
    printf("\n");
    printf("accounts:\n");
    JsonArray *accounts = rmq_json_object_get_array_or_null(o, "plainAccessConfigs");
    for (guint i = 0; accounts != NULL && i < json_array_get_length(accounts); i++) {
        JsonObject *a = json_array_get_object_element(accounts, i);
        print_field("accessKey", rmq_json_object_get_string_or(a, "accessKey", NULL));
        print_field("secretKey", rmq_json_object_get_string_or(a, "secretKey", NULL));
        print_field("whiteRemoteAddress",
                    rmq_json_object_get_string_or(a, "whiteRemoteAddress", NULL));
        gboolean admin = json_object_has_member(a, "admin") &&
                         json_object_get_boolean_member(a, "admin");
        print_field("admin", admin ? "true" : "false");
        print_field("defaultTopicPerm", rmq_json_object_get_string_or(a, "defaultTopicPerm", NULL));
        print_field("defaultGroupPerm", rmq_json_object_get_string_or(a, "defaultGroupPerm", NULL));
        g_autofree gchar *topics = list_text(a, "topicPerms");
        g_autofree gchar *groups = list_text(a, "groupPerms");
        print_field("topicPerms", topics);
        print_field("groupPerms", groups);
        printf("\n");
    }
}

/* The AclConfig of @addr as JSON, NULL + @error. */
static JsonNode *
acl_config(RmqAdminCommon *c, const gchar *addr, GError **error)
{
    g_autoptr(GBytes) b = rmq_admin_invoke(c->admin, addr,
                                           RMQ_REQUEST_GET_BROKER_CLUSTER_ACL_CONFIG, NULL,
                                           NULL, error, NULL);
    gsize len = 0;
    const gchar *data = b != NULL ? g_bytes_get_data(b, &len) : NULL;
    JsonNode *n = b != NULL && len > 0 ? rmq_json_parse_lenient(data, (gssize) len, error) : NULL;
    if (n != NULL && !JSON_NODE_HOLDS_OBJECT(n)) {
        g_clear_pointer(&n, json_node_unref);
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL, "%s: not an AclConfig", addr);
    }
    if (n == NULL && error != NULL && *error == NULL)
        g_set_error(error, RMQ_MQ_ERROR, RMQ_MQ_ERROR_PROTOCOL, "%s: empty answer", addr);
    return n;
}

int
rmqadmin_get_acl_config(RmqAdminCommon *c, int argc, char **argv)
{
    gboolean by_broker;
    int rc;
    g_auto(GStrv) targets = read_targets(c, argc, argv,
                                         "List all of acl config information in cluster",
                                         &by_broker, &rc);
    if (targets == NULL)
        return rc;
    return query_each(c, argv[0], targets, acl_config, print_acl_config);
}
