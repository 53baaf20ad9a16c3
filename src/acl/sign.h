/* Request signatures of RocketMQ's plain ACL, as Java's AclClientRPCHook and
 * ali-ons compute them: HMAC-SHA1, keyed with the account's secret, over the
 * values (not the keys) of the request's ext fields in key order, then the
 * body; base64. The signer adds AccessKey (and SecurityToken, if any) to the
 * ext fields first, so they are signed too; Signature itself never is.
 *
 * Key order is Java's TreeMap order (UTF-16 units), which is byte order for
 * the ASCII field names clients send. The broker also leaves out
 * _UNIQUE_KEY_QUERY (Java's PlainAccessValidator does, though Java's own
 * client signs it): rmq_acl_signature_verify() accepts either form.
 *
 * Pure: no sockets. docs/protocol.md (ACL) has the worked example. */
#pragma once

#include <glib.h>
#include "remoting/command.h"

G_BEGIN_DECLS

#define RMQ_ACL_ACCESS_KEY "AccessKey"
#define RMQ_ACL_SIGNATURE "Signature"
#define RMQ_ACL_SECURITY_TOKEN "SecurityToken"
#define RMQ_ACL_UNIQUE_KEY_QUERY "_UNIQUE_KEY_QUERY"

/* The bytes the signature covers. @skip_unique_query leaves out
 * _UNIQUE_KEY_QUERY as Java's broker does. (transfer full) */
GBytes *rmq_acl_sign_content(const RmqCommand *cmd, gboolean skip_unique_query);
/* base64(HMAC-SHA1(@secret, @data)). (transfer full) */
gchar *rmq_acl_signature(const guint8 *data, gsize len, const gchar *secret);
/* Client side: set AccessKey (and SecurityToken when @token is not NULL),
 * then Signature, on @cmd. */
void rmq_acl_sign_request(RmqCommand *cmd, const gchar *access_key, const gchar *secret_key,
                          const gchar *token);
/* Server side: does @cmd's Signature field match @secret_key? Compared in
 * constant time. */
gboolean rmq_acl_signature_verify(const RmqCommand *cmd, const gchar *secret_key);

G_END_DECLS
