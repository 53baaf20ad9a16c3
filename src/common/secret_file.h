/* A secret kept in a file of its own (secretKeyFile): the first line, blanks
 * around it trimmed, refused unless only the file's owner may read it (as
 * ssh does with a private key), so the secret never sits in a config file
 * that GET_BROKER_CONFIG or a support bundle would show. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Files larger than this are not secrets. */
#define RMQ_SECRET_FILE_MAX 4096

/* (transfer full) NULL + G_FILE_ERROR naming @path and what is wrong
 * ("readable by others: chmod 600 PATH", empty, too large, unreadable). */
gchar *rmq_secret_file_read(const gchar *path, GError **error);

G_END_DECLS
