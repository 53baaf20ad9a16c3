/* libFuzzer target for the remoting codec. Built and run by
 * `make fuzz-codec` (see src/remoting/codec.mk), not by `make check`.
 *
 * The first input byte picks what to feed (frames start with 0x00, so the
 * vector frames in the corpus land in mode 0):
 *   0: rmq_codec_decode_frame on the whole input
 *   1: a JSON header (rest of the input), 2: a binary header
 *   3: rmq_json_parse_lenient + rmq_json_to_string on a JSON body
 * Anything decoded is encoded again, must decode again, and must give the
 * same command; every case runs with both JSON header parsers. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "remoting/codec.h"
#include "remoting/json_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(gboolean ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz-codec: %s\n", what);
        abort();
    }
}

static gboolean
same_str(const gchar *a, const gchar *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static gboolean
same_command(const RmqCommand *a, const RmqCommand *b)
{
    if (a->code != b->code || a->language != b->language || a->version != b->version ||
        a->opaque != b->opaque || a->flag != b->flag || a->serialize_type != b->serialize_type ||
        !same_str(a->remark, b->remark) || a->ext->len != b->ext->len)
        return FALSE;
    for (guint i = 0; i < a->ext->len; i++) {
        const RmqExtField *fa = &g_array_index(a->ext, RmqExtField, i);
        const RmqExtField *fb = &g_array_index(b->ext, RmqExtField, i);
        if (strcmp(fa->key, fb->key) != 0 || strcmp(fa->value, fb->value) != 0)
            return FALSE;
        /* the lengths a field carries are those of its text */
        check(fa->key_len == strlen(fa->key) && fa->value_len == strlen(fa->value) &&
                  fb->key_len == strlen(fb->key) && fb->value_len == strlen(fb->value),
              "ext field lengths disagree with the text");
    }
    if (a->body == NULL || b->body == NULL)
        return a->body == b->body;
    return g_bytes_equal(a->body, b->body);
}

static void
reencode(const RmqCommand *cmd)
{
    g_autoptr(GBytes) frame = rmq_codec_encode(cmd);
    gsize len;
    const guint8 *p = g_bytes_get_data(frame, &len);
    RmqCommand *again = NULL;
    gsize used = 0;
    g_autoptr(GError) error = NULL;

    check(rmq_codec_decode_frame(p, len, 0, &again, &used, &error) == RMQ_DECODE_OK,
          "re-encoded command does not decode");
    check(used == len, "re-encoded frame not fully consumed");
    check(same_command(cmd, again), "command changed across encode/decode");
    rmq_command_free(again);
}

static void
one_pass(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    RmqCommand *cmd = NULL;

    switch (data[0] & 3) {
    case 0: {
        gsize used = 0;
        RmqDecodeStatus st = rmq_codec_decode_frame(data, size, 0, &cmd, &used, &error);
        check((st == RMQ_DECODE_ERROR) == (error != NULL), "error set iff status is ERROR");
        check((st == RMQ_DECODE_OK) == (cmd != NULL), "command returned iff status is OK");
        check(st != RMQ_DECODE_OK || (used >= 8 && used <= size), "consumed out of range");
        break;
    }
    case 1:
    case 2:
        cmd = rmq_codec_decode_header((data[0] & 3) == 1 ? RMQ_SERIALIZE_JSON
                                                         : RMQ_SERIALIZE_ROCKETMQ,
                                      data + 1, size - 1, &error);
        check((cmd == NULL) == (error != NULL), "error set iff no command");
        break;
    default: {
        JsonNode *node = rmq_json_parse_lenient((const char *) data + 1, (gssize) size - 1, NULL);
        if (node != NULL) {
            g_autofree gchar *compact = rmq_json_to_string(node, FALSE);
            g_autofree gchar *pretty = rmq_json_to_string(node, TRUE);
            JsonNode *back = rmq_json_parse_lenient(pretty, -1, NULL);
            check(back != NULL, "pretty output does not parse");
            g_autofree gchar *compact2 = rmq_json_to_string(back, FALSE);
            check(strcmp(compact, compact2) == 0, "pretty/compact disagree");
            json_node_unref(back);
            json_node_unref(node);
        }
        return;
    }
    }
    if (cmd != NULL) {
        reencode(cmd);
        rmq_command_free(cmd);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    rmq_codec_set_json_parser(RMQ_JSON_HEADER_PARSER_FAST);
    one_pass(data, size);
    rmq_codec_set_json_parser(RMQ_JSON_HEADER_PARSER_GLIB);
    one_pass(data, size);
    return 0;
}
