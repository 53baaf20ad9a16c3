/* Java .properties reader (java.util.Properties.load semantics): comments,
 * the three separators, line continuation and escapes. Pure: text in,
 * entries out; the config module gives the values their types. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RMQ_PROPERTIES_ERROR (rmq_properties_error_quark())
GQuark rmq_properties_error_quark(void);
typedef enum {
    RMQ_PROPERTIES_ERROR_ESCAPE, /* malformed \uXXXX (Java throws here too) */
} RmqPropertiesError;

typedef struct {
    gchar *key;   /* unescaped, UTF-8 */
    gchar *value; /* unescaped, UTF-8; trailing blanks kept as Java does */
    guint line;   /* 1-based line where the logical line starts */
} RmqProperty;

void rmq_property_free(RmqProperty *prop);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqProperty, rmq_property_free)

/* Parses @len bytes of @text (-1: NUL-terminated). Text that is not valid
 * UTF-8 is read as ISO-8859-1, the encoding Java assumes. Returns the entries
 * in file order, duplicates kept (Java keeps the last). Errors start with
 * "<source_name>:<line>: " ("line <line>: " when @source_name is NULL).
 * (transfer full: RmqProperty elements) */
GPtrArray *rmq_properties_parse(const gchar *text, gssize len, const gchar *source_name,
                                GError **error);

G_END_DECLS
