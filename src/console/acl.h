/* The console's plain ACL API (acl.c): GET /api/acl, POST /api/acl,
 * POST /api/acl/delete, over the brokers' ACL admin codes. */
#pragma once

#include "console/console.h"

G_BEGIN_DECLS

/* {"brokers":[{addr, brokerName, clusterName, file, version, globalWhiteAddrs,
 * accounts:[{accessKey, secretKey (masked), whiteRemoteAddress, admin,
 * defaultTopicPerm, defaultGroupPerm, topicPerms, groupPerms}]} or {addr,
 * error}]}: param addr, else every broker of the cluster. */
JsonNode *rmq_console_api_acl(RmqConsoleCall *call, GError **error);
/* Create or update an account (accessKey required; no secretKey: the one
 * the broker holds is kept) on addr or every broker. */
JsonNode *rmq_console_api_acl_update(RmqConsoleCall *call, GError **error);
/* Delete account accessKey on addr or every broker. */
JsonNode *rmq_console_api_acl_delete(RmqConsoleCall *call, GError **error);

/* A secret as the console shows it: the first 2 characters of a secret of 5
 * or more, then "******" whatever its length. NULL for NULL. Pure. (transfer full) */
gchar *rmq_console_acl_mask(const gchar *secret);

G_END_DECLS
