/* Remote-address patterns of plain_acl.yml (globalWhiteRemoteAddresses and an
 * account's whiteRemoteAddress), read as Apache RocketMQ 4.9 reads them:
 *
 *   ""                                   matches nothing
 *   "*", "*.*.*.*", "*:*:*:*:*:*:*:*"    matches every address
 *   "192.168.0.1", "fe80::1"             one address (any IPv6 spelling)
 *   "192.168.0.1,10.0.0.2"               a list of addresses
 *   "192.168.0.{1,2,7}"                  a list in the last part
 *   "192.168.*", "192.168.1-5.*"         per part a value, a range a-b or *;
 *                                        missing trailing parts are *
 *   "1050::5:600:300c:1-200", "1050:0:0:0:5:600:300c:*"
 *                                        the same over IPv6's eight hex groups
 *
 * One difference, on purpose: Java checks only the first ranged part and
 * ignores every part after it ("10.1-5.7.7" matches 10.3.0.0 there); here
 * every part is checked. An IPv4 address written as IPv4-mapped IPv6
 * (::ffff:10.0.0.1, as a dual-stack socket reports it) matches as IPv4.
 *
 * Pure: no sockets. docs/protocol.md (ACL) describes the whole file. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RMQ_ACL_ERROR (rmq_acl_error_quark())
GQuark rmq_acl_error_quark(void);
typedef enum {
    RMQ_ACL_ERROR_PATTERN,   /* an address pattern that does not parse */
    RMQ_ACL_ERROR_CONFIG,    /* plain_acl.yml: syntax or a bad value */
    RMQ_ACL_ERROR_DENIED,    /* a request refused; the message is Java's remark */
    RMQ_ACL_ERROR_EDIT,      /* an ACL admin edit refused; the message is the remark */
} RmqAclError;

typedef struct _RmqAclAddress RmqAclAddress;

/* (transfer full) NULL + RMQ_ACL_ERROR_PATTERN naming the pattern. */
RmqAclAddress *rmq_acl_address_parse(const gchar *pattern, GError **error);
void rmq_acl_address_free(RmqAclAddress *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqAclAddress, rmq_acl_address_free)

/* Does @addr (a numeric IPv4 or IPv6 address, without port) match? FALSE for
 * text that is not an address. */
gboolean rmq_acl_address_match(const RmqAclAddress *a, const gchar *addr);

G_END_DECLS
