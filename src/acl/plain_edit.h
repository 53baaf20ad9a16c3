/* Edits of plain_acl.yml as the ACL admin codes make them (Java's
 * PlainPermissionManager.updateAccessConfig, deleteAccessConfig and
 * updateGlobalWhiteAddrsConfig): each takes the rules in force, applies one
 * change, bumps the dataVersion (counter + 1, timestamp = now, as Java's
 * DataVersion.nextVersion) and returns the whole new file text, Java's way:
 * the file is rewritten from the data, so comments and the original layout
 * are not kept. The text is parsed back with rmq_acl_config_parse() before it
 * is returned, so what is written is always a file rmq loads.
 *
 * Java's semantics, kept: an update of a known account overwrites only the
 * fields given (admin always) and moves the account to the end of the list;
 * an unknown accessKey is appended. Remarks are Java's AclException messages.
 * Stricter than Java: an unknown default permission word or a bad address
 * pattern is refused here (Java writes it and fails at the next load).
 *
 * Pure: no I/O. docs/protocol.md §16 describes the codes. */
#pragma once

#include <glib.h>
#include "acl/plain_config.h"

G_BEGIN_DECLS

/* The fields of CreateAccessConfigRequestHeader; NULL = not given. */
typedef struct {
    const gchar *access_key;
    const gchar *secret_key;
    const gchar *white_remote_address;
    gboolean admin;
    const gchar *default_topic_perm;
    const gchar *default_group_perm;
    const gchar *topic_perms;   /* "topicA=PUB,topicB=SUB|PUB" */
    const gchar *group_perms;
} RmqAclAccountUpdate;

/* The new file text (transfer full) and, if @out is not NULL, its parsed
 * rules. NULL + RMQ_ACL_ERROR_EDIT with Java's remark when refused. @now_ms
 * is the new dataVersion timestamp. */
gchar *rmq_acl_edit_update_account(const RmqAclConfig *c, const RmqAclAccountUpdate *u,
                                   gint64 now_ms, RmqAclConfig **out, GError **error);
/* Unknown or empty @access_key: NULL + RMQ_ACL_ERROR_EDIT. */
gchar *rmq_acl_edit_delete_account(const RmqAclConfig *c, const gchar *access_key, gint64 now_ms,
                                   RmqAclConfig **out, GError **error);
/* @addresses: comma separated (Java's UtilAll.split), empty items dropped. */
gchar *rmq_acl_edit_set_global_whites(const RmqAclConfig *c, const gchar *addresses,
                                      gint64 now_ms, RmqAclConfig **out, GError **error);

/* @c as Java's snakeyaml dumpAsMap writes it (block style, keys in Java's
 * order: globalWhiteRemoteAddresses, accounts, dataVersion), unchanged
 * version. (transfer full) */
gchar *rmq_acl_config_to_yaml(const RmqAclConfig *c);

/* A permission as the file spells it: "DENY", "PUB", "SUB", "PUB|SUB". */
const gchar *rmq_acl_perm_name(guint8 perm);

G_END_DECLS
