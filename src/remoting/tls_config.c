/* The TLS keys of the configuration table (common/config-keys.c) as
 * contexts of remoting/tls.h, for the daemons. */
#include <config.h>

#include "remoting/tls_config.h"

RmqTlsContext *
rmq_tls_server_from_settings(const RmqTlsSettings *t, GError **error)
{
    g_return_val_if_fail(t != NULL, NULL);
    RmqTlsMode mode = (RmqTlsMode) t->server_mode;
    if (mode == RMQ_TLS_MODE_DISABLED)
        return NULL;
    RmqTlsOptions o = {
        .key_prefix = "tlsServer",
        .test_mode = t->test_mode_enable,
        .auth_peer = t->server_auth_client,
        .need_client_auth = (RmqTlsClientAuth) t->server_need_client_auth,
        .cert_path = t->server_cert_path,
        .key_path = t->server_key_path,
        .key_password = t->server_key_password,
        .trust_cert_path = t->server_trust_cert_path,
    };
    return rmq_tls_context_new_server(mode, &o, error);
}

RmqTlsContext *
rmq_tls_client_from_settings(const RmqTlsSettings *t, GError **error)
{
    g_return_val_if_fail(t != NULL, NULL);
    if (!t->enable)
        return NULL;
    RmqTlsOptions o = {
        .key_prefix = "tlsClient",
        .test_mode = t->test_mode_enable,
        .auth_peer = t->client_auth_server,
        .cert_path = t->client_cert_path,
        .key_path = t->client_key_path,
        .key_password = t->client_key_password,
        .trust_cert_path = t->client_trust_cert_path,
    };
    return rmq_tls_context_new_client(&o, error);
}

const gchar *
rmq_tls_mode_name(RmqTlsMode mode)
{
    switch (mode) {
    case RMQ_TLS_MODE_PERMISSIVE:
        return "permissive";
    case RMQ_TLS_MODE_ENFORCING:
        return "enforcing";
    default:
        return "disabled";
    }
}
