/* The tools' TLS options (see tls_option.h). */
#include <config.h>

#include "tools/tls_option.h"

gboolean
rmq_tool_tls_wanted(const RmqToolTls *t)
{
    const gchar *env = g_getenv("RMQ_TLS");
    return t->enable || t->trust_cert != NULL || t->insecure ||
           (env != NULL && (g_ascii_strcasecmp(env, "true") == 0 || g_str_equal(env, "1")));
}

gboolean
rmq_tool_tls_apply(const RmqToolTls *t, RmqInstance *inst, GError **error)
{
    if (!rmq_tool_tls_wanted(t))
        return TRUE;
    return rmq_instance_set_tls(inst, !t->insecure, t->trust_cert, t->cert, t->key,
                                g_getenv("RMQ_TLS_KEY_PASSWORD"), error);
}

void
rmq_tool_tls_clear(RmqToolTls *t)
{
    g_clear_pointer(&t->trust_cert, g_free);
    g_clear_pointer(&t->cert, g_free);
    g_clear_pointer(&t->key, g_free);
}
