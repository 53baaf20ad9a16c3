/* The JSON (serialize type 0) command header, docs/protocol.md §2.3.
 * Internal to libcodec: the frame codec in codec.c calls these. */
#pragma once

#include <glib.h>
#include "remoting/codec.h"
#include "remoting/command.h"

G_BEGIN_DECLS

/* Fill @cmd's header fields from @len bytes of JSON text. Errors are
 * RMQ_CODEC_ERROR_BAD_JSON. Both give the same command for every header a
 * client sends (tests/test-codec.c runs its suite through each); json-glib
 * alone also takes some non-JSON (single quotes, leading zeros, unknown
 * escapes), and the fast parser alone limits unknown members to 64 levels
 * of nesting. */
gboolean rmq_json_header_decode_glib(const gchar *text, gsize len, RmqCommand *cmd,
                                     GError **error);
gboolean rmq_json_header_decode_fast(const gchar *text, gsize len, RmqCommand *cmd,
                                     GError **error);

/* Append @cmd's header as fastjson writes it (keys sorted, no whitespace). */
void rmq_json_header_encode(const RmqCommand *cmd, GString *out);

G_END_DECLS
