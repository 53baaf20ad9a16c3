/* JSON bodies (docs/protocol.md §5): lenient parsing of what Java
 * fastjson writes, fastjson-like output, and forgiving typed getters. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RMQ_JSON_BODY_ERROR (rmq_json_body_error_quark())
GQuark rmq_json_body_error_quark(void);
typedef enum {
    RMQ_JSON_BODY_ERROR_PARSE, /* not JSON, even after the fastjson fix-ups */
} RmqJsonBodyError;

/* Parse @len bytes of @text (-1: NUL-terminated). Besides standard JSON it
 * accepts fastjson's unquoted integer keys ({0:"a",-1:5}), which are quoted
 * before json-glib sees them. Only whitespace may follow the value.
 * (transfer full) */
JsonNode *rmq_json_parse_lenient(const char *text, gssize len, GError **error);

/* A node holding @object / @array, taking over the caller's reference
 * (json_node_init_object() adds one, which callers tend to leak).
 * (transfer full) */
JsonNode *rmq_json_node_take_object(JsonObject *object);
JsonNode *rmq_json_node_take_array(JsonArray *array);

/* @node as text: compact (no whitespace), or @pretty = fastjson's pretty
 * print (tab indents, "key":value) used for the store's JSON files. Members
 * keep their insertion order; strings are escaped like fastjson; integral
 * doubles keep a ".0". (transfer full) */
gchar *rmq_json_to_string(JsonNode *node, gboolean pretty);

/* Typed member getters: @dflt when @obj is NULL, the member is absent,
 * null or of an unusable type. Numbers may also arrive as numeric strings
 * (rocketmq-client-cpp sends longs that way). */
gint64 rmq_json_object_get_int64_or(JsonObject *obj, const char *name, gint64 dflt);
gint32 rmq_json_object_get_int32_or(JsonObject *obj, const char *name, gint32 dflt);
gdouble rmq_json_object_get_double_or(JsonObject *obj, const char *name, gdouble dflt);
/* true/false, "true"/"false" (any case), or a number (non-zero = true). */
gboolean rmq_json_object_get_bool_or(JsonObject *obj, const char *name, gboolean dflt);
/* String members only. (transfer none) */
const gchar *rmq_json_object_get_string_or(JsonObject *obj, const char *name, const gchar *dflt);
/* Object/array members, NULL otherwise. (transfer none) */
JsonObject *rmq_json_object_get_object_or_null(JsonObject *obj, const char *name);
JsonArray *rmq_json_object_get_array_or_null(JsonObject *obj, const char *name);

G_END_DECLS
