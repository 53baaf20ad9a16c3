/* Frame codec for the RocketMQ remoting protocol (docs/protocol.md §2).
 * Pure: bytes in, commands out, no sockets, no main loop. */
#pragma once

#include <glib.h>
#include "remoting/command.h"

G_BEGIN_DECLS

/* 16 MiB, Java's com.rocketmq.remoting.frameMaxLength: compared against
 * total_length + 4, i.e. the whole frame including its length word. */
#define RMQ_FRAME_MAX ((gsize) 16 * 1024 * 1024)

#define RMQ_CODEC_ERROR (rmq_codec_error_quark())
GQuark rmq_codec_error_quark(void);
typedef enum {
    RMQ_CODEC_ERROR_OVERSIZED,    /* frame larger than the cap */
    RMQ_CODEC_ERROR_MALFORMED,    /* lengths inconsistent, bad header */
    RMQ_CODEC_ERROR_BAD_JSON,     /* JSON header does not parse or has wrong types */
    RMQ_CODEC_ERROR_BAD_BINARY,   /* ROCKETMQ binary header inconsistent */
    RMQ_CODEC_ERROR_UNKNOWN_TYPE, /* serialize type neither 0 nor 1 */
} RmqCodecError;

typedef enum {
    RMQ_DECODE_OK,        /* one frame decoded, *consumed bytes used */
    RMQ_DECODE_NEED_MORE, /* buffer holds only part of a frame */
    RMQ_DECODE_ERROR,     /* the stream is broken: close the connection */
} RmqDecodeStatus;

/* Decode the first frame of @buf. On OK, *out is the command (transfer full)
 * and *consumed the frame's size. NEED_MORE is returned as soon as the length
 * word is known to be acceptable and the frame is incomplete; an oversized
 * length is an ERROR at once, before the rest arrives. @max_frame 0 means
 * RMQ_FRAME_MAX. */
RmqDecodeStatus rmq_codec_decode_frame(const guint8 *buf, gsize len, gsize max_frame,
                                       RmqCommand **out, gsize *consumed, GError **error);

/* Decode just a header (JSON or binary) into a new command without body.
 * Fields the header omits get Java's defaults (version 0, language JAVA).
 * Used by the frame decoder and by the fuzz target. (transfer full) */
RmqCommand *rmq_codec_decode_header(RmqSerializeType type, const guint8 *header,
                                    gsize len, GError **error);

/* Which parser decodes JSON headers (process-wide; set it before any
 * decoding starts, e.g. from main or a test). FAST is the default: json-glib
 * is 3-4x slower (bench/README.md). See remoting/json_header.h for the few
 * inputs on which they differ. */
typedef enum {
    RMQ_JSON_HEADER_PARSER_FAST = 0, /* hand-written */
    RMQ_JSON_HEADER_PARSER_GLIB = 1, /* json-glib */
} RmqJsonHeaderParser;
void rmq_codec_set_json_parser(RmqJsonHeaderParser parser);
RmqJsonHeaderParser rmq_codec_get_json_parser(void);

/* Append the full frame for @cmd (in cmd->serialize_type) to @out. A header
 * over 16 MiB - 1 bytes cannot be framed: g_critical, nothing appended. */
void rmq_codec_encode_frame(const RmqCommand *cmd, GByteArray *out);
/* The same appended to a GString (a connection's output buffer): FALSE,
 * with nothing appended, if the header cannot be framed. */
gboolean rmq_codec_append_frame(const RmqCommand *cmd, GString *out);
/* Convenience: a new GBytes with the whole frame. (transfer full) */
GBytes *rmq_codec_encode(const RmqCommand *cmd);
/* The frame without its body: length words and header, to be followed on
 * the wire by cmd->body as it is (no copy). Empty if the header cannot be
 * framed (g_critical). (transfer full) */
GBytes *rmq_codec_encode_head(const RmqCommand *cmd);

G_END_DECLS
