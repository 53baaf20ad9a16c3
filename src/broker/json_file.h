/* Persist a JSON config document the way a RocketMQ broker does
 * (docs/protocol.md §7.6): write <name>.tmp and fsync it, keep the
 * previous <name> as <name>.bak, rename the .tmp over <name>. Loading falls
 * back to <name>.bak when <name> is missing, empty or does not decode, so a
 * crash at any point leaves something loadable. Files written by a Java
 * broker (fastjson, unquoted integer keys) load too. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RMQ_JSON_FILE_ERROR (rmq_json_file_error_quark())
GQuark rmq_json_file_error_quark(void);
typedef enum {
    RMQ_JSON_FILE_ERROR_IO,      /* read/write/rename failed */
    RMQ_JSON_FILE_ERROR_CORRUPT, /* neither the file nor its .bak decodes */
} RmqJsonFileError;

/* Where a load found its data. */
typedef enum {
    RMQ_JSON_FILE_SOURCE_NONE,   /* neither file exists: fresh start */
    RMQ_JSON_FILE_SOURCE_MAIN,
    RMQ_JSON_FILE_SOURCE_BACKUP,
} RmqJsonFileSource;

/* Replace the contents of @path with @len bytes of @data (-1: NUL-terminated)
 * crash-safely as described above. The directory must exist. */
gboolean rmq_json_file_save(const gchar *path, const gchar *data, gssize len, GError **error);

/* Decode a parsed document into the caller's state. Must leave the state
 * untouched when it fails, since the .bak is tried next. */
typedef gboolean (*RmqJsonFileDecodeFunc)(JsonNode *root, gpointer user_data, GError **error);

/* Load @path (or its .bak) through @decode. Returns TRUE when decoded, or when
 * neither file exists (*source = NONE, @decode not called). FALSE with
 * RMQ_JSON_FILE_ERROR_CORRUPT when files exist but none decodes. @source may
 * be NULL. */
gboolean rmq_json_file_load(const gchar *path, RmqJsonFileDecodeFunc decode, gpointer user_data,
                            RmqJsonFileSource *source, GError **error);

G_END_DECLS
