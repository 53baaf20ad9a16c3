/* The broker's plain ACL (aclEnable): the loaded plain_acl.yml, watched for
 * edits, and the check every request passes before its handler (the command
 * table's gate and the handler of unknown codes, on both ports). The
 * decision itself is src/acl's (rmq_acl_check); this holds the rules in force,
 * replaces them when the file changes, and logs refusals. docs/protocol.md
 * (ACL) has the whole picture. */
#pragma once

#include <glib.h>

#include "acl/plain_config.h"
#include "remoting/command.h"
#include "remoting/connection.h"

G_BEGIN_DECLS

/* How often the file's stat (mtime, size, inode) is compared. */
#define RMQ_BROKER_ACL_POLL_MS 1000
/* A refusal is logged once per account, address and request code in this. */
#define RMQ_BROKER_ACL_LOG_INTERVAL_US (60 * G_USEC_PER_SEC)

typedef struct _RmqBrokerAcl RmqBrokerAcl;

/* Load @path; NULL + RMQ_CONFIG_ERROR "plainAclFile PATH:LINE: key: reason"
 * (a config error: the daemon exits 78 before READY). Starts the poll timer
 * on the thread-default main context. (transfer full) */
RmqBrokerAcl *rmq_broker_acl_new(const gchar *path, GError **error);
void rmq_broker_acl_free(RmqBrokerAcl *acl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqBrokerAcl, rmq_broker_acl_free)

/* Re-read the file if it changed since the last read (@force: always, as on
 * SIGHUP). A valid file replaces the rules (logged with its dataVersion and
 * account count); a broken one is logged with file:line and the old rules
 * stay. TRUE when new rules were taken. */
gboolean rmq_broker_acl_reload(RmqBrokerAcl *acl, gboolean force);

/* May @request from @conn run? FALSE: @remark (transfer full) is the answer's
 * remark, "org.apache.rocketmq.acl.common.AclException: <reason>", and the
 * refusal is logged (rate-limited). */
gboolean rmq_broker_acl_allows(RmqBrokerAcl *acl, RmqConnection *conn, const RmqCommand *request,
                               gchar **remark);

/* "10.0.0.1:1234" -> "10.0.0.1", "fe80::1:1234" -> "fe80::1". (transfer full) */
gchar *rmq_broker_acl_peer_ip(const gchar *peer);

/* Accounts in the rules in force, their dataVersion counter. */
guint rmq_broker_acl_n_accounts(RmqBrokerAcl *acl);

/* The rules in force (transfer none: valid until the next reload or commit)
 * and the file they came from. */
const RmqAclConfig *rmq_broker_acl_config(RmqBrokerAcl *acl);
const gchar *rmq_broker_acl_path(RmqBrokerAcl *acl);
/* The dataVersion in force as Java reports it: the file's, or counter 0 and
 * the time of the last load (ms) when the file has none. */
void rmq_broker_acl_version(RmqBrokerAcl *acl, gint64 *timestamp_ms, gint64 *counter);

/* An ACL admin code's edit (src/acl/plain_edit.h): write @text over the file
 * atomically (a temporary file in the same directory with the old file's
 * mode, or 0600, fsync, rename over it, fsync the directory), then take
 * @fresh (transfer full, freed on failure) as the rules in force at once.
 * The poll does not re-read the file this wrote. FALSE: the file and the rules
 * are unchanged, @error names the file. */
gboolean rmq_broker_acl_commit(RmqBrokerAcl *acl, const gchar *text, RmqAclConfig *fresh,
                               const gchar *what, GError **error);

G_END_DECLS
