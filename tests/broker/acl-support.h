/* Shared by the broker's plain-ACL integration tests: a broker with
 * aclEnable and a plainAclFile, requests signed with the key pair the test
 * picks, and the check that the ACL let a request through. */
#pragma once

#include "harness.h"

G_BEGIN_DECLS

/* Appends aclEnable = true and plainAclFile = @acl_path to @d's config. */
void bk_acl_enable(BkDaemon *d, const gchar *acl_path);
/* Signs @c's requests with the key pair of the last bk_acl_as(). */
void bk_acl_sign_requests(RmqClient *c);
/* The key pair requests are signed with from now on; NULL: unsigned. */
void bk_acl_as(const gchar *ak, const gchar *sk);
/* Passed the ACL: whatever the handler answered, it was not an ACL refusal. */
void bk_acl_assert_passed(const RmqCommand *r);
/* Refused by the ACL: SYSTEM_ERROR with Java's AclException remark naming
 * @reason. */
void bk_acl_assert_refused(const RmqCommand *r, const gchar *reason);
/* SEND_MESSAGE_V2 of a 5-byte body to @topic as producer @group, on @c. */
RmqCommand *bk_acl_send(RmqClient *c, const gchar *addr, const gchar *topic, const gchar *group);

G_END_DECLS
