#include <config.h>

#include "remoting/codec.h"

#include <string.h>

#include "remoting/json_header.h"

G_DEFINE_QUARK(rmq-codec-error-quark, rmq_codec_error)

/* Fixed part of the binary header: code..flag, remark_len, ext_len. */
#define BIN_FIXED_LEN 21

/* json-glib builds a DOM per header and is 3-4x slower than the broker's
 * target allows (bench/README.md); it stays selectable as the reference. */
static RmqJsonHeaderParser json_parser_choice = RMQ_JSON_HEADER_PARSER_FAST;

static guint32
get_u32(const guint8 *p)
{
    return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint16
get_u16(const guint8 *p)
{
    return (guint16) ((p[0] << 8) | p[1]);
}

static void
put_u32(GString *out, guint32 v)
{
    gchar b[4] = { v >> 24, v >> 16, v >> 8, v };
    g_string_append_len(out, b, 4);
}

static void
put_u16(GString *out, guint16 v)
{
    gchar b[2] = { v >> 8, v };
    g_string_append_len(out, b, 2);
}

/* Java decodes with new String(bytes, UTF_8), which replaces bad bytes;
 * doing the same keeps every string we hold valid UTF-8 for JSON. */
static gchar *
utf8_from_wire(const guint8 *p, gsize len)
{
    return g_utf8_make_valid((const gchar *) p, (gssize) len);
}

static gboolean
decode_binary_header(const guint8 *h, gsize len, RmqCommand *cmd, GError **error)
{
    if (len < BIN_FIXED_LEN) {
        g_set_error(error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_BINARY,
                    "binary header too short (%" G_GSIZE_FORMAT " bytes)", len);
        return FALSE;
    }
    cmd->code = (gint16) get_u16(h);
    cmd->language = rmq_language_from_int(h[2]);
    cmd->version = (gint16) get_u16(h + 3);
    cmd->opaque = (gint32) get_u32(h + 5);
    cmd->flag = (gint32) get_u32(h + 9);

    gsize pos = 13;
    gint32 remark_len = (gint32) get_u32(h + pos);
    pos += 4;
    /* The 4 bytes of ext_len must still fit after the remark. */
    if (remark_len < 0 || (gsize) remark_len > len - pos - 4) {
        g_set_error(error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_BINARY,
                    "binary header remark length %" G_GINT32_FORMAT " out of range", remark_len);
        return FALSE;
    }
    if (remark_len > 0) {
        g_free(cmd->remark);
        cmd->remark = utf8_from_wire(h + pos, (gsize) remark_len);
        pos += (gsize) remark_len;
    }
    gint32 ext_len = (gint32) get_u32(h + pos);
    pos += 4;
    if (ext_len < 0 || (gsize) ext_len > len - pos) {
        g_set_error(error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_BINARY,
                    "binary header ext length %" G_GINT32_FORMAT " out of range", ext_len);
        return FALSE;
    }
    gsize end = pos + (gsize) ext_len;
    while (pos < end) {
        if (end - pos < 2)
            goto bad_entry;
        gsize key_len = get_u16(h + pos);
        pos += 2;
        if (key_len > end - pos || end - pos - key_len < 4)
            goto bad_entry;
        const guint8 *key = h + pos;
        pos += key_len;
        gint32 val_len = (gint32) get_u32(h + pos);
        pos += 4;
        if (val_len < 0 || (gsize) val_len > end - pos)
            goto bad_entry;
        if (val_len > 0) { /* val_len 0 is Java's null: dropped */
            g_autofree gchar *k = utf8_from_wire(key, key_len);
            g_autofree gchar *v = utf8_from_wire(h + pos, (gsize) val_len);
            rmq_command_set_ext(cmd, k, v);
        }
        pos += (gsize) val_len;
    }
    return TRUE;

bad_entry:
    g_set_error(error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_BINARY,
                "binary header ext entry overruns the ext area");
    return FALSE;
}

static void
encode_binary_header(const RmqCommand *cmd, GString *out)
{
    /* Java casts code and version to short; our codes all fit. */
    put_u16(out, (guint16) cmd->code);
    guint8 lang = (guint8) cmd->language;
    g_string_append_c(out, (gchar) lang);
    put_u16(out, (guint16) cmd->version);
    put_u32(out, (guint32) cmd->opaque);
    put_u32(out, (guint32) cmd->flag);
    gsize remark_len = cmd->remark != NULL ? strlen(cmd->remark) : 0;
    put_u32(out, (guint32) remark_len);
    g_string_append_len(out, cmd->remark, (gssize) remark_len);

    gsize ext_len_at = out->len;
    put_u32(out, 0);
    for (guint i = 0; i < cmd->ext->len; i++) {
        const RmqExtField *f = &g_array_index(cmd->ext, RmqExtField, i);
        gsize kl = f->key_len, vl = f->value_len;
        if (kl > G_MAXUINT16)
            continue; /* not representable: key_len is a u16 */
        put_u16(out, (guint16) kl);
        g_string_append_len(out, f->key, (gssize) kl);
        put_u32(out, (guint32) vl);
        g_string_append_len(out, f->value, (gssize) vl);
    }
    guint32 ext_len = (guint32) (out->len - ext_len_at - 4);
    guint8 *p = (guint8 *) out->str + ext_len_at;
    p[0] = ext_len >> 24; p[1] = ext_len >> 16; p[2] = ext_len >> 8; p[3] = ext_len;
}

void
rmq_codec_set_json_parser(RmqJsonHeaderParser parser)
{
    json_parser_choice = parser;
}

RmqJsonHeaderParser
rmq_codec_get_json_parser(void)
{
    return json_parser_choice;
}

RmqCommand *
rmq_codec_decode_header(RmqSerializeType type, const guint8 *header, gsize len, GError **error)
{
    g_return_val_if_fail(header != NULL || len == 0, NULL);

    g_autoptr(RmqCommand) cmd = rmq_command_new_request(0);
    cmd->serialize_type = type;
    /* A header that omits a field means Java's default, not ours. */
    cmd->version = 0;

    gboolean ok;
    switch (type) {
    case RMQ_SERIALIZE_JSON:
        if (json_parser_choice == RMQ_JSON_HEADER_PARSER_GLIB)
            ok = rmq_json_header_decode_glib((const gchar *) header, len, cmd, error);
        else
            ok = rmq_json_header_decode_fast((const gchar *) header, len, cmd, error);
        break;
    case RMQ_SERIALIZE_ROCKETMQ:
        ok = decode_binary_header(header, len, cmd, error);
        break;
    default:
        g_set_error(error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_UNKNOWN_TYPE,
                    "unknown serialize type %d", (int) type);
        ok = FALSE;
        break;
    }
    return ok ? g_steal_pointer(&cmd) : NULL;
}

RmqDecodeStatus
rmq_codec_decode_frame(const guint8 *buf, gsize len, gsize max_frame, RmqCommand **out,
                       gsize *consumed, GError **error)
{
    g_return_val_if_fail(buf != NULL || len == 0, RMQ_DECODE_ERROR);
    g_return_val_if_fail(out != NULL && consumed != NULL, RMQ_DECODE_ERROR);

    *out = NULL;
    *consumed = 0;
    if (max_frame == 0)
        max_frame = RMQ_FRAME_MAX;
    if (len < 4)
        return RMQ_DECODE_NEED_MORE;

    gint32 total = (gint32) get_u32(buf);
    if (total < 4) {
        g_set_error(error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_MALFORMED,
                    "frame length %" G_GINT32_FORMAT " is below 4", total);
        return RMQ_DECODE_ERROR;
    }
    /* Judged on the length word alone so a peer cannot make us buffer it. */
    if ((guint64) total + 4 > max_frame) {
        g_set_error(error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_OVERSIZED,
                    "frame of %" G_GINT32_FORMAT " bytes exceeds the %" G_GSIZE_FORMAT
                    "-byte limit", total, max_frame);
        return RMQ_DECODE_ERROR;
    }
    if (len < 8)
        return RMQ_DECODE_NEED_MORE;

    guint32 word = get_u32(buf + 4);
    guint type = word >> 24;
    gsize header_len = word & 0xffffff;
    if (type != RMQ_SERIALIZE_JSON && type != RMQ_SERIALIZE_ROCKETMQ) {
        g_set_error(error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_UNKNOWN_TYPE,
                    "unknown serialize type %u", type);
        return RMQ_DECODE_ERROR;
    }
    if (header_len > (gsize) total - 4) {
        g_set_error(error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_MALFORMED,
                    "header length %" G_GSIZE_FORMAT " exceeds frame length %" G_GINT32_FORMAT,
                    header_len, total);
        return RMQ_DECODE_ERROR;
    }
    gsize frame_len = (gsize) total + 4;
    if (len < frame_len)
        return RMQ_DECODE_NEED_MORE;

    RmqCommand *cmd = rmq_codec_decode_header((RmqSerializeType) type, buf + 8, header_len, error);
    if (cmd == NULL)
        return RMQ_DECODE_ERROR;
    gsize body_len = frame_len - 8 - header_len;
    if (body_len > 0)
        rmq_command_set_body_data(cmd, buf + 8 + header_len, body_len);
    *out = cmd;
    *consumed = frame_len;
    return RMQ_DECODE_OK;
}

/* Append the length words and the header of @cmd's frame to @out: the body
 * (cmd->body, counted in the length word) is left for the caller to send
 * after them. FALSE, with nothing appended, if the header cannot be framed. */
static gboolean
encode_head(const RmqCommand *cmd, GString *out)
{
    gsize start = out->len;
    g_string_set_size(out, start + 8); /* length words, patched below */
    if (cmd->serialize_type == RMQ_SERIALIZE_ROCKETMQ)
        encode_binary_header(cmd, out);
    else
        rmq_json_header_encode(cmd, out);
    gsize header_len = out->len - start - 8;
    if (header_len > 0xffffff) {
        /* The header word has 24 bits for it; such a frame cannot exist. */
        g_critical("rmq_codec_encode_frame: header of %" G_GSIZE_FORMAT
                   " bytes does not fit a frame", header_len);
        g_string_truncate(out, start);
        return FALSE;
    }
    gsize body_len = cmd->body != NULL ? g_bytes_get_size(cmd->body) : 0;
    guint32 total = 4 + (guint32) header_len + (guint32) body_len;
    guint32 word = ((guint32) (cmd->serialize_type == RMQ_SERIALIZE_ROCKETMQ) << 24) |
                   (guint32) header_len;
    guint8 *p = (guint8 *) out->str + start;
    p[0] = total >> 24; p[1] = total >> 16; p[2] = total >> 8; p[3] = total;
    p[4] = word >> 24; p[5] = word >> 16; p[6] = word >> 8; p[7] = word;
    return TRUE;
}

void
rmq_codec_encode_frame(const RmqCommand *cmd, GByteArray *out)
{
    g_return_if_fail(cmd != NULL && out != NULL);
    g_autoptr(GString) head = g_string_sized_new(256);
    if (!encode_head(cmd, head))
        return;
    g_byte_array_append(out, (const guint8 *) head->str, (guint) head->len);
    gsize body_len = 0;
    const guint8 *body = cmd->body != NULL ? g_bytes_get_data(cmd->body, &body_len) : NULL;
    if (body_len > 0)
        g_byte_array_append(out, body, (guint) body_len);
}

gboolean
rmq_codec_append_frame(const RmqCommand *cmd, GString *out)
{
    g_return_val_if_fail(cmd != NULL && out != NULL, FALSE);
    if (!encode_head(cmd, out))
        return FALSE;
    gsize body_len = 0;
    const guint8 *body = cmd->body != NULL ? g_bytes_get_data(cmd->body, &body_len) : NULL;
    if (body_len > 0)
        g_string_append_len(out, (const gchar *) body, (gssize) body_len);
    return TRUE;
}

GBytes *
rmq_codec_encode(const RmqCommand *cmd)
{
    g_return_val_if_fail(cmd != NULL, NULL);
    gsize body_len = 0;
    const guint8 *body = cmd->body != NULL ? g_bytes_get_data(cmd->body, &body_len) : NULL;
    GString *out = g_string_sized_new(256 + body_len);
    if (encode_head(cmd, out) && body_len > 0)
        g_string_append_len(out, (const gchar *) body, (gssize) body_len);
    return g_string_free_to_bytes(out);
}

GBytes *
rmq_codec_encode_head(const RmqCommand *cmd)
{
    g_return_val_if_fail(cmd != NULL, NULL);
    GString *out = g_string_sized_new(256);
    encode_head(cmd, out);
    return g_string_free_to_bytes(out);
}
