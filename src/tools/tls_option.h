/* rmqadmin's and rmq-bench's TLS options, Java's useTLS / -Dtls.enable:
 * --tls (or RMQ_TLS=true in the environment) speaks TLS to name servers and
 * brokers; the server certificate must chain to --tls-trust-cert FILE (the
 * system's CAs without it) unless --tls-insecure (Java's tls.test.mode.enable);
 * --tls-cert and --tls-key (password in $RMQ_TLS_KEY_PASSWORD) are a client
 * certificate for servers that ask for one. */
#pragma once

#include <glib.h>

#include "client/rmq-client.h"

G_BEGIN_DECLS

typedef struct {
    gboolean enable;
    gboolean insecure;
    gchar *trust_cert;
    gchar *cert;
    gchar *key;
} RmqToolTls;

#define RMQ_TOOL_TLS_OPTIONS(t)                                                              \
    { "tls", 0, 0, G_OPTION_ARG_NONE, &(t)->enable,                                          \
      "Speak TLS to name servers and brokers (default: $RMQ_TLS=true)", NULL },              \
    { "tls-trust-cert", 0, 0, G_OPTION_ARG_FILENAME, &(t)->trust_cert,                       \
      "PEM CA file the server certificate must chain to (default: the system's)", "FILE" },  \
    { "tls-insecure", 0, 0, G_OPTION_ARG_NONE, &(t)->insecure,                               \
      "Trust any server certificate (Java's tls.test.mode.enable)", NULL },                  \
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &(t)->cert,                                   \
      "PEM client certificate, for servers that ask for one", "FILE" },                      \
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &(t)->key,                                     \
      "PEM key of --tls-cert (password: $RMQ_TLS_KEY_PASSWORD)", "FILE" }

/* Whether TLS is asked for (an option or $RMQ_TLS). */
gboolean rmq_tool_tls_wanted(const RmqToolTls *t);
/* rmq_instance_set_tls() when wanted; TRUE otherwise. */
gboolean rmq_tool_tls_apply(const RmqToolTls *t, RmqInstance *inst, GError **error);
void rmq_tool_tls_clear(RmqToolTls *t);

G_END_DECLS
