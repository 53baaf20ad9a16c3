/* Whether a request may pass under plain ACL: what it needs (the resources a
 * request code touches and with which permission, as Java's
 * PlainAccessValidator reads them) and the decision against the loaded
 * plain_acl.yml (as Java's PlainPermissionManager.validate decides it).
 *
 * The order of the checks and the remarks are Java's: a global white address
 * passes; then an AccessKey is required ("No accessKey is configured"), must
 * be known ("No acl config for KEY"), an account's white address passes, the
 * signature must match ("Check signature failed for accessKey=KEY"), admin
 * codes need an admin account ("Need admin permission for request code=N,
 * but accessKey=KEY is not"), and every resource needs its permission, from
 * the account's list or its default ("No default permission for topic:T" or
 * "group:G").
 *
 * Where rmq checks more than Java 4.9, on purpose: SEND_BATCH_MESSAGE needs
 * PUB on its topic like SEND_MESSAGE_V2 (Java checks nothing for it), and the
 * ACL admin codes that change the file (UPDATE_AND_CREATE_ACL_CONFIG,
 * DELETE_ACL_CONFIG, UPDATE_GLOBAL_WHITE_ADDRS_CONFIG) and the one that lists
 * every secret (GET_BROKER_CLUSTER_ACL_CONFIG) need an admin account.
 * The full table is in docs/protocol.md (ACL). Pure: no sockets. */
#pragma once

#include <glib.h>
#include "acl/plain_config.h"
#include "remoting/command.h"

G_BEGIN_DECLS

/* Resource -> permission bits needed, (transfer full); NULL + RMQ_ACL_ERROR_DENIED
 * when the request cannot be read (a HEART_BEAT body that is not JSON). */
GHashTable *rmq_acl_needed(const RmqCommand *request, GError **error);
/* Does request code @code need an admin account? */
gboolean rmq_acl_code_needs_admin(gint code);

/* What a check decided, for the log line. */
typedef struct {
    const gchar *access_key;   /* borrowed from the request; NULL when none */
    gboolean white_listed;     /* passed by address, without a signature */
} RmqAclVerdict;

/* TRUE when @request from @remote_ip (no port) may pass. FALSE +
 * RMQ_ACL_ERROR_DENIED with Java's remark. @verdict may be NULL. */
gboolean rmq_acl_check(const RmqAclConfig *config, const RmqCommand *request,
                       const gchar *remote_ip, RmqAclVerdict *verdict, GError **error);

G_END_DECLS
