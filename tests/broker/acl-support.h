/* Shared by the broker's plain-ACL integration tests: a broker with
 * aclEnable and a plainAclFile, requests signed with the key pair the test
 * picks, and the check that the ACL let a request through. */
#pragma once

#include "harness.h"

G_BEGIN_DECLS

/* The key pairs and the start of plain_acl.yml of the ACL tests: white
 * addresses 10.10.103.*, an admin account, and a user denied every topic and
 * group by default, whose topicPerms list a test goes on with. */
#define ADMIN_AK "RocketMQadmin"
#define ADMIN_SK "12345678admin"
#define USER_AK "userKey01"
#define USER_SK "userSecret01"
#define BK_ACL_ACCOUNTS \
    "globalWhiteRemoteAddresses:\n" \
    "  - 10.10.103.*\n" \
    "accounts:\n" \
    "  - accessKey: " ADMIN_AK "\n" \
    "    secretKey: " ADMIN_SK "\n" \
    "    admin: true\n" \
    "  - accessKey: " USER_AK "\n" \
    "    secretKey: " USER_SK "\n" \
    "    admin: false\n" \
    "    defaultTopicPerm: DENY\n" \
    "    defaultGroupPerm: DENY\n" \
    "    topicPerms:\n"

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
