/* Logging: GLib structured logging, to the journal under systemd and as
 * readable lines on a terminal. Operator events carry a fixed MESSAGE_ID so
 * `journalctl MESSAGE_ID=...` finds every occurrence. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* MESSAGE_IDs of operator events (128-bit, journal catalog style). */
#define RMQ_MSGID_STARTED           "5a1c9e0f3b7d4e21a6c8f0b2d4e6a801"
#define RMQ_MSGID_STOPPED           "5a1c9e0f3b7d4e21a6c8f0b2d4e6a802"
#define RMQ_MSGID_RELOADED          "5a1c9e0f3b7d4e21a6c8f0b2d4e6a803"
#define RMQ_MSGID_CONFIG_ERROR      "5a1c9e0f3b7d4e21a6c8f0b2d4e6a804"
#define RMQ_MSGID_BROKER_REGISTERED "5a1c9e0f3b7d4e21a6c8f0b2d4e6a811"
#define RMQ_MSGID_BROKER_EXPIRED    "5a1c9e0f3b7d4e21a6c8f0b2d4e6a812"
#define RMQ_MSGID_BROKER_UNREGISTERED "5a1c9e0f3b7d4e21a6c8f0b2d4e6a813"
#define RMQ_MSGID_PEER_CLOSED       "5a1c9e0f3b7d4e21a6c8f0b2d4e6a821"
#define RMQ_MSGID_DISK_FULL         "5a1c9e0f3b7d4e21a6c8f0b2d4e6a831"
#define RMQ_MSGID_ROLE_CHANGED      "5a1c9e0f3b7d4e21a6c8f0b2d4e6a841"

/* Install the writer. @program becomes SYSLOG_IDENTIFIER, @instance (may be
 * NULL) is added to every record as RMQ_INSTANCE=; @verbose enables debug. */
void rmq_log_init(const gchar *program, const gchar *instance, gboolean verbose);
void rmq_log_set_instance(const gchar *instance);
const gchar *rmq_log_get_instance(void);

/* An operator event: MESSAGE_ID plus any "KEY", "value" pairs, then
 * "MESSAGE", "format", args... as for g_log_structured(). */
#define rmq_log_event(level, message_id, ...) \
    g_log_structured(G_LOG_DOMAIN, (level), "MESSAGE_ID", (message_id), __VA_ARGS__)

/* The log writer itself, exposed for tests: renders @fields as one text line
 * ("warning: message [KEY=value ...]") without timestamps. (transfer full) */
gchar *rmq_log_format_line(GLogLevelFlags level, const GLogField *fields, gsize n_fields);

G_END_DECLS
