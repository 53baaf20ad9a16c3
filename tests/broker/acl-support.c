#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "acl-support.h"
#include "acl/sign.h"
#include "remoting/codes.h"

static const gchar *cur_ak, *cur_sk; /* NULL: unsigned */

void
bk_acl_enable(BkDaemon *d, const gchar *acl_path)
{
    g_autofree gchar *extra = g_strdup_printf("aclEnable = true;\nplainAclFile = \"%s\";\n",
                                              acl_path);
    bk_daemon_append_conf(d, extra);
}

static void
sign_hook(RmqCommand *request, gpointer user_data)
{
    (void) user_data;
    if (cur_ak != NULL)
        rmq_acl_sign_request(request, cur_ak, cur_sk, NULL);
}

void
bk_acl_sign_requests(RmqClient *c)
{
    rmq_client_set_request_hook(c, sign_hook, NULL);
}

void
bk_acl_as(const gchar *ak, const gchar *sk)
{
    cur_ak = ak;
    cur_sk = sk;
}

void
bk_acl_assert_passed(const RmqCommand *r)
{
    assert_non_null(r);
    if (r->remark != NULL && strstr(r->remark, "AclException") != NULL)
        fail_msg("refused by ACL: code %d remark '%s'", r->code, r->remark);
}

void
bk_acl_assert_refused(const RmqCommand *r, const gchar *reason)
{
    assert_non_null(r);
    if (r->code != RMQ_RESPONSE_SYSTEM_ERROR || r->remark == NULL ||
        !g_str_has_prefix(r->remark, "org.apache.rocketmq.acl.common.AclException: ") ||
        strstr(r->remark, reason) == NULL)
        fail_msg("expected refusal '%s', got code %d remark '%s'", reason, r->code,
                 r->remark != NULL ? r->remark : "(null)");
}

RmqCommand *
bk_acl_send(RmqClient *c, const gchar *addr, const gchar *topic, const gchar *group)
{
    g_autofree gchar *born = g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time() / 1000);
    g_autoptr(GBytes) b = g_bytes_new_static("hello", 5);
    return bk_invoke(c, addr, RMQ_REQUEST_SEND_MESSAGE_V2, b, "a", group, "b", topic, "c",
                     "TBW102", "d", "4", "e", "0", "f", "0", "g", born, "h", "0", "i", "", "j", "0",
                     "k", "false", "m", "false", NULL);
}
