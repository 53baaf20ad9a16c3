/* TLS contexts from the daemons' configuration (docs/protocol.md §13, "TLS"). */
#pragma once

#include "common/config.h"
#include "remoting/tls.h"

G_BEGIN_DECLS

/* tlsServerMode permissive/enforcing: the listeners' context; disabled: NULL
 * without an error. Broken files fail, the error naming key and file. (transfer full) */
RmqTlsContext *rmq_tls_server_from_settings(const RmqTlsSettings *t, GError **error);
/* tlsEnable: the context of the outgoing links (broker -> name servers,
 * slave -> master metadata); NULL without an error when off. (transfer full) */
RmqTlsContext *rmq_tls_client_from_settings(const RmqTlsSettings *t, GError **error);
const gchar *rmq_tls_mode_name(RmqTlsMode mode);

G_END_DECLS
