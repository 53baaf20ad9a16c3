/* A RocketMQ remoting command: the logical content of one frame
 * (docs/protocol.md §2.2), independent of its wire encoding. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RMQ_FLAG_RESPONSE 0x1 /* bit 0: this is a response */
#define RMQ_FLAG_ONEWAY 0x2   /* bit 1: one-way request, no response wanted */

/* Version we speak: MQVersion.Version.V4_9_7 ordinal. */
#define RMQ_REMOTING_VERSION 407

typedef enum {
    RMQ_SERIALIZE_JSON = 0,
    RMQ_SERIALIZE_ROCKETMQ = 1,
} RmqSerializeType;

typedef enum {
    RMQ_LANG_JAVA = 0, RMQ_LANG_CPP = 1, RMQ_LANG_DOTNET = 2, RMQ_LANG_PYTHON = 3,
    RMQ_LANG_DELPHI = 4, RMQ_LANG_ERLANG = 5, RMQ_LANG_RUBY = 6, RMQ_LANG_OTHER = 7,
    RMQ_LANG_HTTP = 8, RMQ_LANG_GO = 9, RMQ_LANG_PHP = 10, RMQ_LANG_OMS = 11,
    RMQ_LANG_RUST = 12,
} RmqLanguage;

/* Key and value text is owned by the command (one block for all fields,
 * freed with it; a key may also be a string literal, see
 * rmq_command_append_ext_plain): create and change fields only through
 * rmq_command_*ext*(), which keep the lengths and the plain bit right. */
typedef struct {
    gchar *key;
    gchar *value; /* never NULL once stored: null values are dropped on decode */
    guint32 key_len;   /* strlen(key) */
    guint32 value_len; /* strlen(value) */
    /* Neither key nor value holds a byte JSON output escapes ('"', '\\',
     * controls, DEL): the encoder copies them as they are. */
    gboolean plain;
} RmqExtField;

typedef struct {
    gint32 code;
    RmqLanguage language;
    gint32 version;
    gint32 opaque;
    gint32 flag;
    gchar *remark;            /* NULL = absent */
    GArray *ext;              /* of RmqExtField, insertion order kept; may be empty */
    GBytes *body;             /* NULL = no body */
    RmqSerializeType serialize_type;
    /* JSON only: emit "extFields":{} even with no fields. Java sends that
     * for responses whose handler has a (field-less) header class, e.g.
     * UNREGISTER_CLIENT; set on decode when the key held an object. */
    gboolean ext_present;
    gpointer arena; /* private: storage of the ext field text */
    guint ext_room; /* private: slots cmd->ext was created with (it never shrinks) */
    gint block_refs; /* private: holders of the command's memory (itself, a body in it) */
} RmqCommand;

/* New request with our language (JAVA, for the widest client compatibility),
 * version 407, opaque 0 and JSON serialization. (transfer full) */
RmqCommand *rmq_command_new_request(gint32 code);
/* New response to @request: same opaque and serialize type, RESPONSE flag,
 * @remark copied (may be NULL). (transfer full) */
RmqCommand *rmq_command_new_response(const RmqCommand *request, gint32 code,
                                     const gchar *remark);
void rmq_command_free(RmqCommand *cmd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqCommand, rmq_command_free)

gboolean rmq_command_is_response(const RmqCommand *cmd);
gboolean rmq_command_is_oneway(const RmqCommand *cmd);

/* ext field access: values are text (1.5). (transfer none) NULL if absent. */
const gchar *rmq_command_get_ext(const RmqCommand *cmd, const gchar *key);
/* Parse a decimal ext field; FALSE if absent or not a whole number in range. */
gboolean rmq_command_get_ext_int64(const RmqCommand *cmd, const gchar *key, gint64 *out);
gboolean rmq_command_get_ext_int32(const RmqCommand *cmd, const gchar *key, gint32 *out);
/* The number parser of the two above, for values read some other way: the
 * rules of g_ascii_string_to_signed(@v, 10, @min, @max) (optional '-' or '+',
 * no spaces), with a fast path for plain digits. @out is untouched on FALSE. */
gboolean rmq_command_parse_int64(const gchar *v, gint64 min, gint64 max, gint64 *out);
/* The same for @v of @len bytes (an ext field's value_len; @v[@len] is read):
 * the answer of rmq_command_parse_int64(@v), with plain digits read eight
 * at a time (a send's bornTimestamp has thirteen). */
gboolean rmq_command_parse_int64_len(const gchar *v, gsize len, gint64 min, gint64 max,
                                     gint64 *out);
/* Booleans as Java parses them ("true" any case), and also "1" (C++ clients). */
gboolean rmq_command_get_ext_bool(const RmqCommand *cmd, const gchar *key, gboolean fallback);
/* Set (replace or append) a field; value copied. */
void rmq_command_set_ext(RmqCommand *cmd, const gchar *key, const gchar *value);
/* The same with lengths: @key_len bytes of @key (no NUL among them) and
 * @value_len of @value; neither needs a terminating NUL. */
void rmq_command_set_ext_len(RmqCommand *cmd, const gchar *key, gsize key_len,
                             const gchar *value, gsize value_len);
/* Append without looking for @key: for decoders that handle duplicates themselves. */
void rmq_command_append_ext_len(RmqCommand *cmd, const gchar *key, gsize key_len,
                                const gchar *value, gsize value_len);
/* For decoders: @n bytes owned by @cmd, freed with it. */
gchar *rmq_command_alloc_text(RmqCommand *cmd, gsize n);
/* Append a field whose NUL-terminated @key (@key_len bytes) and @value
 * (@value_len) already lie in storage of rmq_command_alloc_text(@cmd): no
 * copy, no duplicate check. */
void rmq_command_append_ext_owned(RmqCommand *cmd, gchar *key, gsize key_len, gchar *value,
                                  gsize value_len);
/* Append without a lookup, for responses built field by field: @static_key
 * (@key_len bytes, NUL-terminated) must be static storage, a string literal
 * (it is not copied), and neither it nor the @value_len bytes of @value may
 * hold '"', '\\', a control character or DEL, so the JSON encoder copies
 * both without looking at them (an id, a number, "true"). */
void rmq_command_append_ext_plain(RmqCommand *cmd, const gchar *static_key, gsize key_len,
                                  const gchar *value, gsize value_len);
/* The same with @static_value static storage too (a string literal, such as
 * "true"): neither is copied; fields are never written into. */
void rmq_command_append_ext_static(RmqCommand *cmd, const gchar *static_key, gsize key_len,
                                   const gchar *static_value, gsize value_len);
/* The same for the decimal text of @value, written straight into the
 * command's storage. */
void rmq_command_append_ext_int64(RmqCommand *cmd, const gchar *static_key, gsize key_len,
                                  gint64 value);
/* Replace the value of the @i-th field (insertion order), position kept. */
void rmq_command_replace_ext_value(RmqCommand *cmd, guint i, const gchar *value,
                                   gsize value_len);
void rmq_command_set_ext_int64(RmqCommand *cmd, const gchar *key, gint64 value);
void rmq_command_set_ext_bool(RmqCommand *cmd, const gchar *key, gboolean value);
void rmq_command_set_remark(RmqCommand *cmd, const gchar *remark);
/* Remove a field; FALSE if it was absent. */
gboolean rmq_command_remove_ext(RmqCommand *cmd, const gchar *key);
/* Number of ext fields and the i-th one in insertion order. (transfer none) */
guint rmq_command_get_n_ext(const RmqCommand *cmd);
const RmqExtField *rmq_command_get_ext_field(const RmqCommand *cmd, guint i);
/* Mark the command to carry an (possibly empty) extFields object. */
void rmq_command_set_ext_present(RmqCommand *cmd, gboolean present);
/* Takes a reference on @body (NULL clears). */
void rmq_command_set_body(RmqCommand *cmd, GBytes *body);
/* Copies @len bytes as the body: a small one into the command's own
 * memory, which then stays until both the command and the body are gone. */
void rmq_command_set_body_data(RmqCommand *cmd, const void *data, gsize len);

const gchar *rmq_language_name(RmqLanguage lang);
/* Accepts names ("JAVA") and decimal ordinals; unknown -> RMQ_LANG_OTHER. */
RmqLanguage rmq_language_from_string(const gchar *s);
/* Ordinal as sent in binary headers and by some clients; unknown -> OTHER. */
RmqLanguage rmq_language_from_int(gint64 n);

G_END_DECLS
