/* The plain-ACL key pair of rmqadmin and rmq-bench, from (first that
 * applies) --access-key/--secret-key, --credentials FILE, or the
 * environment (RMQ_ACCESS_KEY, RMQ_SECRET_KEY). A credentials file holds
 * "accessKey=..." and "secretKey=..." lines (blank lines and lines starting
 * with '#' are skipped) and is refused unless only its owner may read it
 * (mode 0600 or 0400: no group or other bits). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    gchar *access_key;  /* NULL: requests go unsigned */
    gchar *secret_key;
} RmqToolCredentials;

/* Resolve from the options (any may be NULL) and the environment. FALSE +
 * a message for people (G_OPTION_ERROR_BAD_VALUE) when one half is missing
 * or the file is unsafe or unreadable. */
gboolean rmq_tool_credentials_resolve(RmqToolCredentials *out, const gchar *access_key,
                                      const gchar *secret_key, const gchar *file, GError **error);
/* Parse credentials file text; @name for messages. */
gboolean rmq_tool_credentials_parse(RmqToolCredentials *out, const gchar *text,
                                    const gchar *name, GError **error);
void rmq_tool_credentials_clear(RmqToolCredentials *c);

G_END_DECLS
