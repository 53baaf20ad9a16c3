/* rmqadmin: shared pieces of the subcommand files (options every
 * subcommand has, output helpers, exit codes). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "client/rmq-client.h"
#include "tools/credentials.h"
#include "tools/tls_option.h"

G_BEGIN_DECLS

/* Exit codes (also in --help and rmqadmin(1)). */
enum {
    RMQADMIN_EXIT_OK = 0,
    RMQADMIN_EXIT_FAILURE = 1,         /* anything else (bad answer, internal) */
    RMQADMIN_EXIT_USAGE = 2,           /* bad arguments */
    RMQADMIN_EXIT_NAMESRV = 3,         /* name server unreachable */
    RMQADMIN_EXIT_TOPIC = 4,           /* topic not found */
    RMQADMIN_EXIT_REFUSED = 5,         /* broker (or name server) refused */
    RMQADMIN_EXIT_BROKER = 6,          /* broker unreachable or timed out */
    RMQADMIN_EXIT_NOT_FOUND = 7,       /* message, group, broker or cluster not found */
};

#define RMQADMIN_EXIT_TEXT \
    "Exit status: 0 success, 1 other failure, 2 usage error, 3 name server unreachable,\n" \
    "4 topic not found, 5 refused by a broker or name server, 6 broker unreachable or\n" \
    "timed out, 7 message, group, broker or cluster not found."

typedef struct {
    gchar *namesrv;   /* -n */
    gboolean json;    /* --json */
    gint timeout_ms;  /* --timeout */
    gchar *access_key;  /* --access-key */
    gchar *secret_key;  /* --secret-key */
    gchar *credentials; /* --credentials FILE */
    RmqToolCredentials cred; /* resolved from those or the environment */
    RmqToolTls tls;   /* --tls and friends */
    RmqAdmin *admin;  /* created after parsing, signing with @cred */
} RmqAdminCommon;

typedef int (*RmqAdminCommandFunc)(RmqAdminCommon *common, int argc, char **argv);

typedef struct {
    const gchar *name;
    const gchar *summary;
    RmqAdminCommandFunc run;
} RmqAdminCommand;

/* Parse @entries plus the common ones for subcommand @name; on success
 * creates common->admin. Returns -1 to go on, or an exit code (--help: 0). */
int rmqadmin_parse(RmqAdminCommon *common, const gchar *name, const gchar *summary,
                   const gchar *params, GOptionEntry *entries, int *argc, char ***argv);
/* Sign what @inst sends with the resolved key pair (nothing when none):
 * every producer or consumer a subcommand makes goes through this. */
void rmqadmin_sign(RmqAdminCommon *common, RmqInstance *inst);
/* Print "rmqadmin NAME: message" and return the exit code for @error. */
int rmqadmin_fail(const gchar *name, const GError *error);
int rmqadmin_usage(const gchar *name, const gchar *message);
/* Print @node as pretty JSON on stdout (takes ownership). */
void rmqadmin_print_json(JsonNode *node);
/* The common start of a query's output: a failed query (@n NULL) prints
 * @error, with --json @n is printed. TRUE when that is all (*@rc = the exit
 * code); FALSE when the caller still has to show @n to people. */
gboolean rmqadmin_query_done(RmqAdminCommon *c, const gchar *name, JsonNode *n,
                             const GError *error, int *rc);

/* One target of a change: NULL with @error on failure, else the line that
 * tells people it worked. (transfer full) */
typedef gchar *(*RmqAdminApplyFunc)(RmqAdminCommon *c, const gchar *target, gpointer data,
                                    GError **error);
/* Run @apply on each of @targets in order, stopping at the first failure (its
 * exit code). Prints the success lines, or with --json @result plus
 * "brokers": [the targets]. Takes @result. */
int rmqadmin_apply_targets(RmqAdminCommon *c, const gchar *name, gchar **targets,
                           RmqAdminApplyFunc apply, gpointer data, JsonObject *result);

/* @v, or the integer member @member of @o, as decimal text. (transfer full) */
gchar *rmqadmin_int_text(gint64 v);
gchar *rmqadmin_int_member(JsonObject *o, const gchar *member);
/* Tables for people: columns separated by two spaces, aligned. */
typedef struct _RmqTable RmqTable;
RmqTable *rmqadmin_table_new(const gchar *first, ...) G_GNUC_NULL_TERMINATED;
void rmqadmin_table_add(RmqTable *t, const gchar *first, ...) G_GNUC_NULL_TERMINATED;
void rmqadmin_table_print(RmqTable *t); /* and frees */
void rmqadmin_table_free(RmqTable *t);
/* "now", milliseconds, or yyyy-MM-dd#HH:mm:ss:SSS (local time). -1 if bad. */
gint64 rmqadmin_parse_time(const gchar *text);

/* Subcommand families. */
int rmqadmin_update_topic(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_delete_topic(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_topic_list(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_topic_route(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_topic_status(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_cluster_list(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_broker_status(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_get_broker_config(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_update_broker_config(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_wipe_write_perm(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_cluster_rt(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_update_sub_group(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_delete_sub_group(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_consumer_progress(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_consumer_connection(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_producer_connection(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_query_msg_by_id(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_query_msg_by_key(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_query_msg_by_offset(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_send_message(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_consume_message(RmqAdminCommon *c, int argc, char **argv);
/* rmqadmin-maint.c */
int rmqadmin_producer(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_query_cq(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_clean_expired_cq(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_delete_expired_commit_log(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_clean_unused_topic(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_broker_consume_stats(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_stats_all(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_update_topic_perm(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_topic_cluster_list(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_add_write_perm(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_update_kv_config(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_delete_kv_config(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_get_namesrv_config(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_update_namesrv_config(RmqAdminCommon *c, int argc, char **argv);
/* rmqadmin-offset.c */
int rmqadmin_reset_offset_by_time(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_skip_accumulated_message(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_clone_group_offset(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_get_consumer_config(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_consumer_status(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_allocate_mq(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_update_order_conf(RmqAdminCommon *c, int argc, char **argv);
/* MQVersion.getVersionDesc of a client's version ordinal. (transfer full) */
gchar *rmqadmin_version_desc(gint64 version);
/* rmqadmin-print.c */
int rmqadmin_print_msg(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_print_msg_by_queue(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_query_msg_by_unique_key(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_send_msg_status(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_check_msg_send_rt(RmqAdminCommon *c, int argc, char **argv);
/* rmqadmin-export.c */
int rmqadmin_export_metadata(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_export_configs(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_export_metrics(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_start_monitoring(RmqAdminCommon *c, int argc, char **argv);
/* mqadmin's -g GROUP -d CLIENT_ID: CONSUME_MESSAGE_DIRECTLY of @m through its
 * broker to the client; the result printed, or with --json added to @out. */
gboolean rmqadmin_consume_directly(RmqAdminCommon *c, const RmqMsg *m, const gchar *group,
                                   const gchar *client_id, JsonArray *out, GError **error);
/* mqadmin's -s true: send @m again (its properties and key kept). */
gboolean rmqadmin_resend(RmqAdminCommon *c, const RmqMsg *m, const gchar *original_id,
                         JsonArray *out, GError **error);
/* queryMsgById's output of @msgs (rmqadmin-message.c). */
int rmqadmin_print_msgs(RmqAdminCommon *c, GPtrArray *msgs);
/* rmqadmin-acl.c */
int rmqadmin_update_acl_config(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_delete_acl_config(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_update_global_white_addr(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_cluster_acl_config_version(RmqAdminCommon *c, int argc, char **argv);
int rmqadmin_get_acl_config(RmqAdminCommon *c, int argc, char **argv);

/* rmqadmin-trace.c */
int rmqadmin_query_msg_trace_by_id(RmqAdminCommon *c, int argc, char **argv);

/* addWritePerm (@add) or wipeWritePerm: -b BROKER_NAME on every name
 * server, a line per name server (rmqadmin-cluster.c). */
int rmqadmin_write_perm_command(RmqAdminCommon *c, int argc, char **argv, gboolean add);

/* Broker targets from -b ADDR or -c CLUSTER (all masters). (transfer full) */
gchar **rmqadmin_targets(RmqAdminCommon *c, const gchar *name, const gchar *broker_addr,
                         const gchar *cluster, int *exit_code);

G_END_DECLS
