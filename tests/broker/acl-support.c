#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "acl-support.h"
#include "acl/sign.h"

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
