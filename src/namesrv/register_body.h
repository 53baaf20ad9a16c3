/* REGISTER_BROKER body (docs/protocol.md §5.3): the broker's topic
 * configs and their DataVersion, in the JSON form or the zlib-compressed
 * binary form. Pure: bytes in, structs out. */
#pragma once

#include <glib.h>

#include "model/data_version.h"
#include "model/topic_config.h"

G_BEGIN_DECLS

#define RMQ_REGISTER_BODY_ERROR (rmq_register_body_error_quark())
GQuark rmq_register_body_error_quark(void);
typedef enum {
    RMQ_REGISTER_BODY_ERROR_JSON,       /* JSON does not parse or has wrong shape */
    RMQ_REGISTER_BODY_ERROR_COMPRESSED, /* zlib stream or binary layout broken */
} RmqRegisterBodyError;

typedef struct {
    RmqDataVersion data_version;
    GPtrArray *topics;         /* of RmqTopicConfig, owned */
    GPtrArray *filter_servers; /* of gchar *, owned */
} RmqRegisterBody;

/* (transfer full) empty body, DataVersion {0,0}: what a body-less request means. */
RmqRegisterBody *rmq_register_body_new(void);
void rmq_register_body_free(RmqRegisterBody *body);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqRegisterBody, rmq_register_body_free)
/* Append @tc to @body (takes ownership). */
void rmq_register_body_add_topic(RmqRegisterBody *body, RmqTopicConfig *tc);

/* Parse the JSON form. Unknown members are ignored. (transfer full) */
RmqRegisterBody *rmq_register_body_parse_json(const guint8 *data, gsize len, GError **error);
/* Parse the compressed form (zlib stream, docs/protocol.md §5.3). (transfer full) */
RmqRegisterBody *rmq_register_body_parse_compressed(const guint8 *data, gsize len,
                                                    GError **error);
/* Either, as the request header's `compressed` flag says. */
RmqRegisterBody *rmq_register_body_parse(const guint8 *data, gsize len, gboolean compressed,
                                         GError **error);

/* Encoders, the inverse of the parsers (used by tests, benchmarks and a broker).
 * (transfer full) */
GBytes *rmq_register_body_encode_json(const RmqRegisterBody *body);
GBytes *rmq_register_body_encode_compressed(const RmqRegisterBody *body);

/* UtilAll.crc32: zlib CRC-32 masked to 31 bits, what `bodyCrc32` carries. */
gint32 rmq_register_body_crc32(const guint8 *data, gsize len);

G_END_DECLS
