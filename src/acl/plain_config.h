/* plain_acl.yml, the access-control file of RocketMQ's plain ACL, loaded into
 * memory (the same keys as Apache RocketMQ 4.9: globalWhiteRemoteAddresses,
 * accounts with accessKey, secretKey, whiteRemoteAddress, admin,
 * defaultTopicPerm, defaultGroupPerm, topicPerms, groupPerms; dataVersion).
 *
 * Stricter than Java where Java silently guesses: an unknown permission word,
 * a resource line without "=", an accessKey or secretKey of 6 characters or
 * fewer, an account listed twice or a bad address pattern refuse the whole
 * file with "file:line: key: reason", so a running broker keeps its old rules.
 *
 * Pure: no sockets. Permission words and their meaning: docs/protocol.md (ACL). */
#pragma once

#include <glib.h>
#include "acl/address.h"

G_BEGIN_DECLS

/* Permission bits, Java's values. */
#define RMQ_ACL_PERM_DENY 1
#define RMQ_ACL_PERM_ANY 2
#define RMQ_ACL_PERM_PUB 4
#define RMQ_ACL_PERM_SUB 8

/* Files larger than this are refused before they are read. */
#define RMQ_ACL_MAX_FILE_SIZE (1024 * 1024)
/* Java's ACCESS_KEY_MIN_LENGTH / SECRET_KEY_MIN_LENGTH: longer than this. */
#define RMQ_ACL_KEY_MIN_LENGTH 6

#define RMQ_ACL_RETRY_PREFIX "%RETRY%"

typedef struct {
    gchar *access_key;
    gchar *secret_key;
    gchar *white_remote_address;   /* as written ("" when none) */
    RmqAclAddress *white;
    gboolean admin;
    guint8 default_topic_perm;     /* DENY when not given, as Java */
    guint8 default_group_perm;
    gchar *default_topic_perm_text; /* as written, NULL when not given */
    gchar *default_group_perm_text;
    /* topic, or %RETRY%group for a group -> permission bits */
    GHashTable *perms;
    GPtrArray *topic_perms;        /* of gchar*, the lines as written */
    GPtrArray *group_perms;
    guint line;                    /* where the account starts */
} RmqAclAccount;

typedef struct {
    gchar *name;                   /* file name, for messages */
    GPtrArray *global_white_texts; /* of gchar* */
    GPtrArray *global_whites;      /* of RmqAclAddress */
    GPtrArray *accounts;           /* of RmqAclAccount, file order */
    GHashTable *by_key;            /* access key -> RmqAclAccount (borrowed) */
    gint64 version_timestamp;      /* dataVersion[0], 0 when absent */
    gint64 version_counter;
} RmqAclConfig;

/* (transfer full) NULL + RMQ_ACL_ERROR_CONFIG "name:line: key: reason".
 * @name is used in messages only. */
RmqAclConfig *rmq_acl_config_parse(const gchar *text, gsize len, const gchar *name,
                                   GError **error);
/* Read and parse @path (refused over RMQ_ACL_MAX_FILE_SIZE). */
RmqAclConfig *rmq_acl_config_load(const gchar *path, GError **error);
void rmq_acl_config_free(RmqAclConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqAclConfig, rmq_acl_config_free)

const RmqAclAccount *rmq_acl_config_account(const RmqAclConfig *c, const gchar *access_key);

/* "PUB", "SUB", "PUB|SUB", "SUB|PUB" or "DENY" (spaces around are allowed);
 * FALSE for anything else. */
gboolean rmq_acl_perm_parse(const gchar *text, guint8 *perm);
/* Java's Permission.checkPermission: DENY owned refuses everything; ANY
 * needed is met by PUB or SUB. */
gboolean rmq_acl_perm_allows(guint8 needed, guint8 owned);

G_END_DECLS
