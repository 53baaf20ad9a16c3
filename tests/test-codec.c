#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "remoting/codec.h"
#include "remoting/codes.h"
#include "remoting/command.h"

/* ---- helpers ---------------------------------------------------------- */

static GBytes *
load_vector(const char *name)
{
    const char *dir = g_getenv("RMQ_TEST_DATA");
    g_autofree gchar *path = g_build_filename(dir ? dir : "tests/data", "vectors", name, NULL);
    gchar *data = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;

    if (!g_file_get_contents(path, &data, &len, &error))
        fail_msg("cannot read %s: %s", path, error->message);
    return g_bytes_new_take(data, len);
}

/* Frame raw header bytes with an explicit type byte, plus an optional body. */
static GByteArray *
frame_raw(guint type, const void *header, gsize hlen, const void *body, gsize blen)
{
    GByteArray *f = g_byte_array_new();
    guint32 total = (guint32) (4 + hlen + blen);
    guint32 word = (type << 24) | (guint32) hlen;
    guint8 w[8] = { total >> 24, total >> 16, total >> 8, total,
                    word >> 24, word >> 16, word >> 8, word };
    g_byte_array_append(f, w, 8);
    g_byte_array_append(f, header, (guint) hlen);
    if (blen)
        g_byte_array_append(f, body, (guint) blen);
    return f;
}

static GByteArray *
frame_json(const char *json)
{
    return frame_raw(0, json, strlen(json), NULL, 0);
}

/* Decode exactly one whole frame, expecting success. */
static RmqCommand *
decode_ok(const guint8 *buf, gsize len)
{
    RmqCommand *cmd = NULL;
    gsize consumed = 0;
    g_autoptr(GError) error = NULL;

    RmqDecodeStatus st = rmq_codec_decode_frame(buf, len, 0, &cmd, &consumed, &error);
    if (st != RMQ_DECODE_OK)
        fail_msg("decode failed (%d): %s", st, error ? error->message : "(no error)");
    assert_non_null(cmd);
    assert_int_equal(consumed, len);
    return cmd;
}

static RmqCommand *
decode_json_ok(const char *json)
{
    g_autoptr(GByteArray) f = frame_json(json);
    return decode_ok(f->data, f->len);
}

/* Expect ERROR with the given code (or any code when @code < 0). */
static void
expect_error(const guint8 *buf, gsize len, gint code)
{
    RmqCommand *cmd = NULL;
    gsize consumed = 99;
    g_autoptr(GError) error = NULL;

    RmqDecodeStatus st = rmq_codec_decode_frame(buf, len, 0, &cmd, &consumed, &error);
    assert_int_equal(st, RMQ_DECODE_ERROR);
    assert_null(cmd);
    assert_int_equal(consumed, 0);
    assert_non_null(error);
    assert_true(error->domain == RMQ_CODEC_ERROR);
    if (code >= 0 && error->code != code)
        fail_msg("expected error %d, got %d: %s", code, error->code, error->message);
}

static void
expect_json_error(const char *json, gint code)
{
    g_autoptr(GByteArray) f = frame_json(json);
    RmqCommand *cmd = NULL;
    gsize consumed = 0;
    g_autoptr(GError) error = NULL;

    if (rmq_codec_decode_frame(f->data, f->len, 0, &cmd, &consumed, &error) != RMQ_DECODE_ERROR)
        fail_msg("accepted bad header %s", json);
    assert_null(cmd);
    assert_true(g_error_matches(error, RMQ_CODEC_ERROR, code));
}

static void
assert_ext(const RmqCommand *cmd, const char *key, const char *value)
{
    const char *v = rmq_command_get_ext(cmd, key);
    if (v == NULL || strcmp(v, value) != 0)
        fail_msg("ext %s: expected \"%s\", got %s%s%s", key, value, v ? "\"" : "",
                 v ? v : "(absent)", v ? "\"" : "");
}

static void
assert_same_command(const RmqCommand *a, const RmqCommand *b)
{
    assert_int_equal(a->code, b->code);
    assert_int_equal(a->language, b->language);
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->opaque, b->opaque);
    assert_int_equal(a->flag, b->flag);
    assert_int_equal(a->serialize_type, b->serialize_type);
    if (a->remark == NULL || b->remark == NULL)
        assert_true(a->remark == b->remark);
    else
        assert_string_equal(a->remark, b->remark);
    assert_int_equal(a->ext->len, b->ext->len);
    for (guint i = 0; i < a->ext->len; i++) {
        const RmqExtField *fa = rmq_command_get_ext_field(a, i);
        const RmqExtField *fb = rmq_command_get_ext_field(b, i);
        assert_string_equal(fa->key, fb->key);
        assert_string_equal(fa->value, fb->value);
    }
    if (a->body == NULL || b->body == NULL)
        assert_true(a->body == b->body);
    else
        assert_true(g_bytes_equal(a->body, b->body));
}

static void
assert_bytes_equal(GBytes *got, GBytes *want)
{
    gsize gl, wl;
    const guint8 *g = g_bytes_get_data(got, &gl);
    const guint8 *w = g_bytes_get_data(want, &wl);
    for (gsize i = 0; i < MIN(gl, wl); i++) {
        if (g[i] != w[i])
            fail_msg("byte %" G_GSIZE_FORMAT " differs: got 0x%02x want 0x%02x "
                     "(got \"%.*s\")", i, g[i], w[i], (int) gl, (const char *) g);
    }
    assert_int_equal(gl, wl);
}

/* Decode a vector, check it re-encodes byte for byte; returns the command. */
static RmqCommand *
vector_roundtrip(const char *name, gboolean exact)
{
    g_autoptr(GBytes) v = load_vector(name);
    gsize len;
    const guint8 *data = g_bytes_get_data(v, &len);
    RmqCommand *cmd = decode_ok(data, len);
    if (exact) {
        g_autoptr(GBytes) again = rmq_codec_encode(cmd);
        assert_bytes_equal(again, v);
    }
    return cmd;
}

/* ---- vectors ------------------------------------------------------------- */

static void
check_route_request(const RmqCommand *cmd)
{
    assert_int_equal(cmd->code, RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC);
    assert_int_equal(cmd->language, RMQ_LANG_JAVA);
    assert_int_equal(cmd->version, 407);
    assert_int_equal(cmd->opaque, 1);
    assert_int_equal(cmd->flag, 0);
    assert_null(cmd->remark);
    assert_null(cmd->body);
    assert_int_equal(rmq_command_get_n_ext(cmd), 1);
    assert_ext(cmd, "topic", "TopicTest");
    assert_false(rmq_command_is_response(cmd));
}

static void
test_vector_01(void **state)
{
    g_autoptr(RmqCommand) cmd = vector_roundtrip("01_json_get_route_request.bin", TRUE);
    check_route_request(cmd);
    assert_int_equal(cmd->serialize_type, RMQ_SERIALIZE_JSON);
}

static void
test_vector_02(void **state)
{
    g_autoptr(RmqCommand) cmd = vector_roundtrip("02_rocketmq_get_route_request.bin", TRUE);
    check_route_request(cmd);
    assert_int_equal(cmd->serialize_type, RMQ_SERIALIZE_ROCKETMQ);
}

static void
test_vector_03(void **state)
{
    g_autoptr(RmqCommand) cmd = vector_roundtrip("03_json_empty_success_response.bin", TRUE);
    assert_int_equal(cmd->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(cmd->flag, 1);
    assert_true(rmq_command_is_response(cmd));
    assert_int_equal(cmd->opaque, 1);
    assert_int_equal(cmd->version, 407);
    assert_int_equal(rmq_command_get_n_ext(cmd), 0);
    assert_false(cmd->ext_present);
    assert_null(cmd->remark);
    assert_null(cmd->body);
}

static void
test_vector_04(void **state)
{
    static const char *const keys[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i",
                                        "j", "k", "m", "n" };
    g_autoptr(RmqCommand) cmd = vector_roundtrip("04_json_send_message_v2_request.bin", TRUE);
    gint64 born;
    gint32 qid;

    assert_int_equal(cmd->code, RMQ_REQUEST_SEND_MESSAGE_V2);
    assert_int_equal(cmd->opaque, 2);
    assert_int_equal(cmd->flag, 0);
    assert_int_equal(rmq_command_get_n_ext(cmd), G_N_ELEMENTS(keys));
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
        assert_string_equal(rmq_command_get_ext_field(cmd, i)->key, keys[i]);
    assert_ext(cmd, "a", "ProducerGroupA");
    assert_ext(cmd, "b", "TopicTest");
    assert_ext(cmd, "c", "TBW102");
    assert_ext(cmd, "n", "broker-a");
    assert_null(rmq_command_get_ext(cmd, "l"));
    assert_true(rmq_command_get_ext_int64(cmd, "g", &born));
    assert_int_equal(born, 1700000000000LL);
    assert_true(rmq_command_get_ext_int32(cmd, "d", &qid));
    assert_int_equal(qid, 4);
    assert_false(rmq_command_get_ext_bool(cmd, "k", TRUE));
    assert_ext(cmd, "i", "KEYS\001order-1\002UNIQ_KEY\001C0A8000512345C647E0500002A1B0007"
                         "\002WAIT\001true\002TAGS\001TagA");
    assert_non_null(cmd->body);
    assert_int_equal(g_bytes_get_size(cmd->body), 14);
    assert_memory_equal(g_bytes_get_data(cmd->body, NULL), "Hello RocketMQ", 14);
}

static void
test_vector_07(void **state)
{
    static const char *const keys[] = { "queueId", "TRACE_ON", "MSG_REGION", "msgId",
                                        "queueOffset" };
    g_autoptr(RmqCommand) cmd = vector_roundtrip("07_json_send_message_v2_response.bin", TRUE);

    assert_int_equal(cmd->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(cmd->flag, RMQ_FLAG_RESPONSE);
    assert_int_equal(cmd->opaque, 2);
    assert_int_equal(rmq_command_get_n_ext(cmd), 5);
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
        assert_string_equal(rmq_command_get_ext_field(cmd, i)->key, keys[i]);
    assert_ext(cmd, "queueId", "0");
    assert_ext(cmd, "TRACE_ON", "true");
    assert_ext(cmd, "MSG_REGION", "DefaultRegion");
    assert_ext(cmd, "msgId", "C0A8000A00002A9F0000000000000000");
    assert_ext(cmd, "queueOffset", "0");
    assert_null(rmq_command_get_ext(cmd, "transactionId"));
    assert_null(cmd->body);
}

static void
test_vector_08(void **state)
{
    g_autoptr(RmqCommand) cmd = vector_roundtrip("08_json_pull_found_response.bin", TRUE);
    g_autoptr(GBytes) record = load_vector("05_commitlog_record.bin");

    assert_int_equal(cmd->code, RMQ_RESPONSE_SUCCESS);
    assert_int_equal(cmd->flag, 1);
    assert_int_equal(cmd->opaque, 3);
    assert_string_equal(cmd->remark, "FOUND");
    assert_int_equal(rmq_command_get_n_ext(cmd), 4);
    assert_string_equal(rmq_command_get_ext_field(cmd, 0)->key, "suggestWhichBrokerId");
    assert_ext(cmd, "suggestWhichBrokerId", "0");
    assert_ext(cmd, "nextBeginOffset", "1");
    assert_ext(cmd, "maxOffset", "1");
    assert_ext(cmd, "minOffset", "0");
    assert_non_null(cmd->body);
    assert_int_equal(g_bytes_get_size(cmd->body), 201);
    assert_true(g_bytes_equal(cmd->body, record));
}

/* 05/06/09/10 are store and HA data, not frames: never decode as one. */
static void
test_vectors_not_frames(void **state)
{
    static const char *const names[] = { "05_commitlog_record.bin", "06_consumequeue_unit.bin",
                                         "09_ha_slave_report.bin", "10_ha_master_transfer.bin" };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autoptr(GBytes) v = load_vector(names[i]);
        gsize len;
        const guint8 *data = g_bytes_get_data(v, &len);
        expect_error(data, len, -1);
    }
}

/* ---- client variants (docs/protocol.md §2.3, §15.1) -------------------------------------- */

static void
test_cpp_client(void **state)
{
    /* rocketmq-client-cpp: jsoncpp FastWriter adds "\n"; ints as numbers,
     * booleans "0"/"1", remark "", auth fields. */
    g_autoptr(RmqCommand) cmd = decode_json_ok(
        "{\"code\":310,\"extFields\":{\"AccessKey\":\"\",\"OnsChannel\":\"ALIYUN\","
        "\"Signature\":\"c2ln\",\"a\":\"PG\",\"d\":4,\"e\":-1,\"g\":\"1700000000000\","
        "\"k\":\"0\",\"l\":16,\"m\":\"1\"},\"flag\":0,\"language\":\"CPP\",\"opaque\":0,"
        "\"remark\":\"\",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":333}\n");
    gint32 e;

    assert_int_equal(cmd->code, 310);
    assert_int_equal(cmd->language, RMQ_LANG_CPP);
    assert_int_equal(cmd->version, 333);
    assert_string_equal(cmd->remark, "");
    assert_ext(cmd, "AccessKey", "");
    assert_ext(cmd, "d", "4");
    assert_ext(cmd, "l", "16");
    assert_true(rmq_command_get_ext_int32(cmd, "e", &e));
    assert_int_equal(e, -1);
    assert_false(rmq_command_get_ext_bool(cmd, "k", TRUE));
    assert_true(rmq_command_get_ext_bool(cmd, "m", FALSE));
    assert_int_equal(rmq_command_get_n_ext(cmd), 10);
}

static void
test_alions_client(void **state)
{
    /* ali-ons: any key order, raw JS values, no remark/serializeTypeCurrentRPC. */
    g_autoptr(RmqCommand) cmd = decode_json_ok(
        "{\"code\":310,\"language\":\"JAVA\",\"opaque\":7,\"flag\":0,\"version\":121,"
        "\"extFields\":{\"queueId\":0,\"k\":false,\"u\":true,\"x\":4.5,\"y\":-0.25,"
        "\"big\":9007199254740993,\"exp\":1e3}}");

    assert_int_equal(cmd->version, 121);
    assert_null(cmd->remark);
    assert_ext(cmd, "queueId", "0");
    assert_ext(cmd, "k", "false");
    assert_ext(cmd, "u", "true");
    assert_ext(cmd, "x", "4.5");
    assert_ext(cmd, "y", "-0.25");
    assert_ext(cmd, "big", "9007199254740993");
    assert_ext(cmd, "exp", "1000");
    assert_true(rmq_command_get_ext_bool(cmd, "u", FALSE));
    assert_false(rmq_command_get_ext_bool(cmd, "k", TRUE));
}

static void
test_lenient_header(void **state)
{
    g_autoptr(RmqCommand) cmd = decode_json_ok(
        " {\"version\":null,\"remark\":null,\"unknown\":{\"a\":[1,2,{\"b\":null}],\"c\":\"}\"},"
        "\"language\":1,\"extFields\":{\"gone\":null,\"kept\":\"v\",\"esc\":\"a\\u0001\\\"\\/"
        "\\u00e9\\ud83d\\ude00\"},\"opaque\":-5,\"code\":11,\"flag\":2,\"list\":[]} \r\n\t");

    assert_int_equal(cmd->code, 11);
    assert_int_equal(cmd->version, 0); /* null: Java's default */
    assert_int_equal(cmd->language, RMQ_LANG_CPP);
    assert_int_equal(cmd->opaque, -5);
    assert_true(rmq_command_is_oneway(cmd));
    assert_null(cmd->remark);
    assert_int_equal(rmq_command_get_n_ext(cmd), 2);
    assert_null(rmq_command_get_ext(cmd, "gone"));
    assert_ext(cmd, "kept", "v");
    assert_ext(cmd, "esc", "a\001\"/\xc3\xa9\xf0\x9f\x98\x80");
}

/* Found by the fuzzer: json-glib turns a lone surrogate into invalid UTF-8
 * (and swallows the next character; it errors on one in a key or before
 * the closing quote).
 * Either parser must hand out valid UTF-8 that re-encodes and decodes. */
static void
test_lone_surrogate(void **state)
{
    g_autoptr(RmqCommand) cmd = decode_json_ok(
        "{\"remark\":\"x\\ud83dy\",\"extFields\":{\"e\":\"a\\ud83d^\"}}");
    assert_true(g_utf8_validate(cmd->remark, -1, NULL));
    assert_int_equal(rmq_command_get_n_ext(cmd), 1);
    for (guint i = 0; i < 1; i++) {
        assert_true(g_utf8_validate(rmq_command_get_ext_field(cmd, i)->key, -1, NULL));
        assert_true(g_utf8_validate(rmq_command_get_ext_field(cmd, i)->value, -1, NULL));
    }
    g_autoptr(GBytes) frame = rmq_codec_encode(cmd);
    gsize len;
    const guint8 *data = g_bytes_get_data(frame, &len);
    g_autoptr(RmqCommand) back = decode_ok(data, len);
    assert_same_command(cmd, back);

    /* A lone low surrogate: json-glib rejects it, the fast parser
     * substitutes U+FFFD. Either is fine; invalid UTF-8 is not. */
    g_autoptr(GByteArray) f = frame_json("{\"remark\":\"\\udc00\"}");
    RmqCommand *low = NULL;
    gsize used;
    g_autoptr(GError) error = NULL;
    if (rmq_codec_decode_frame(f->data, f->len, 0, &low, &used, &error) == RMQ_DECODE_OK) {
        assert_string_equal(low->remark, "\xef\xbf\xbd");
        rmq_command_free(low);
    } else {
        assert_true(g_error_matches(error, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_BAD_JSON));
    }
}

static void
test_language_variants(void **state)
{
    g_autoptr(RmqCommand) a = decode_json_ok("{\"code\":1,\"language\":\"GO\"}");
    g_autoptr(RmqCommand) b = decode_json_ok("{\"code\":1,\"language\":\"COBOL\"}");
    g_autoptr(RmqCommand) c = decode_json_ok("{\"code\":1,\"language\":99}");
    g_autoptr(RmqCommand) d = decode_json_ok("{\"code\":1}");

    assert_int_equal(a->language, RMQ_LANG_GO);
    assert_int_equal(b->language, RMQ_LANG_OTHER);
    assert_int_equal(c->language, RMQ_LANG_OTHER);
    assert_int_equal(d->language, RMQ_LANG_JAVA);
    assert_int_equal(d->version, 0);
}

static void
test_duplicate_ext_keys(void **state)
{
    /* Last value wins, like a Java HashMap filled in order. */
    GString *json = g_string_new("{\"code\":1,\"extFields\":{\"a\":\"1\",\"b\":\"2\",\"a\":\"3\"");
    for (int i = 0; i < 40; i++)
        g_string_append_printf(json, ",\"k%d\":\"%d\"", i % 20, i);
    g_string_append(json, "}}");
    g_autoptr(RmqCommand) cmd = decode_json_ok(json->str);
    g_string_free(json, TRUE);

    assert_int_equal(rmq_command_get_n_ext(cmd), 22);
    assert_ext(cmd, "a", "3");
    assert_ext(cmd, "k0", "20");
    assert_ext(cmd, "k19", "39");
}

static void
test_wrong_types(void **state)
{
    static const char *const bad[] = {
        "{\"code\":\"105\"}",
        "{\"code\":{}}",
        "{\"code\":[1]}",
        "{\"code\":true}",
        "{\"code\":1.5}",
        "{\"code\":2147483648}",
        "{\"opaque\":-2147483649}",
        "{\"flag\":\"1\"}",
        "{\"version\":[]}",
        "{\"remark\":5}",
        "{\"remark\":{}}",
        "{\"language\":true}",
        "{\"language\":{}}",
        "{\"extFields\":[]}",
        "{\"extFields\":\"a=b\"}",
        "{\"extFields\":{\"a\":{}}}",
        "{\"extFields\":{\"a\":[\"x\"]}}",
        "[]",
        "\"header\"",
        "105",
        "null",
        "",
        "   ",
        "{",
        "{\"code\":1,}",
        "{\"code\":1} x",
        "{\"code\":1}{}",
        "{code:1}",
        "{\"code\":-}",
        "{\"remark\":\"\\u12\"}",
        "{\"remark\":\"unterminated}",
        "{\"remark\":\"bad utf8 \xff\xfe\"}",
        "{\"code\":tru}",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
        expect_json_error(bad[i], RMQ_CODEC_ERROR_BAD_JSON);
    /* json-glib 1.6 (GScanner) takes single quotes, leading zeros and unknown
     * escapes; only the fast parser is strict there. No client sends them. */
    if (rmq_codec_get_json_parser() == RMQ_JSON_HEADER_PARSER_FAST) {
        expect_json_error("{'code':1}", RMQ_CODEC_ERROR_BAD_JSON);
        expect_json_error("{\"code\":01}", RMQ_CODEC_ERROR_BAD_JSON);
        expect_json_error("{\"remark\":\"a\\x\"}", RMQ_CODEC_ERROR_BAD_JSON);
    }
}

static void
test_deep_nesting(void **state)
{
    /* json-glib recurses per level and overflows the stack near 100000:
     * such headers must be refused before it sees them. */
    const gsize depth = 200000;
    GString *json = g_string_new("{\"code\":1,\"x\":");
    for (gsize i = 0; i < depth; i++)
        g_string_append_c(json, '[');
    for (gsize i = 0; i < depth; i++)
        g_string_append_c(json, ']');
    g_string_append_c(json, '}');
    expect_json_error(json->str, RMQ_CODEC_ERROR_BAD_JSON);
    g_string_free(json, TRUE);

    /* Moderate nesting in an unknown member is fine. */
    g_autoptr(RmqCommand) cmd = decode_json_ok("{\"x\":[[[{\"a\":[[{}]]}]]],\"code\":7}");
    assert_int_equal(cmd->code, 7);
}

/* ---- encoding ------------------------------------------------------------ */

static GBytes *
header_of(GBytes *frame)
{
    gsize len;
    const guint8 *p = g_bytes_get_data(frame, &len);
    gsize hlen = ((gsize) p[5] << 16) | ((gsize) p[6] << 8) | p[7];
    return g_bytes_new(p + 8, hlen);
}

static void
assert_header_text(const RmqCommand *cmd, const char *want)
{
    g_autoptr(GBytes) frame = rmq_codec_encode(cmd);
    g_autoptr(GBytes) h = header_of(frame);
    gsize len;
    const char *text = g_bytes_get_data(h, &len);
    if (len != strlen(want) || memcmp(text, want, len) != 0)
        fail_msg("header:\n got  %.*s\n want %s", (int) len, text, want);
}

static void
test_encode_escaping(void **state)
{
    g_autoptr(RmqCommand) cmd = rmq_command_new_request(10);
    rmq_command_set_ext(cmd, "p", "a\001b\037c\177d\"e\\f/g\n\t\r\b\f\xc3\xa9");
    rmq_command_set_remark(cmd, "x\002");
    assert_header_text(cmd, "{\"code\":10,\"extFields\":{\"p\":\"a\\u0001b\\u001Fc\\u007Fd\\\"e\\\\f/g"
                            "\\n\\t\\r\\b\\f\xc3\xa9\"},\"flag\":0,\"language\":\"JAVA\","
                            "\"opaque\":0,\"remark\":\"x\\u0002\",\"serializeTypeCurrentRPC\":"
                            "\"JSON\",\"version\":407}");
}

static void
test_encode_empty_ext_object(void **state)
{
    /* UNREGISTER_CLIENT / UPDATE_CONSUMER_OFFSET replies carry "extFields":{}. */
    g_autoptr(RmqCommand) req = decode_json_ok("{\"code\":35,\"opaque\":9,\"extFields\":{}}");
    assert_true(req->ext_present);
    assert_int_equal(rmq_command_get_n_ext(req), 0);

    g_autoptr(RmqCommand) resp = rmq_command_new_response(req, RMQ_RESPONSE_SUCCESS, NULL);
    assert_false(resp->ext_present);
    assert_header_text(resp, "{\"code\":0,\"flag\":1,\"language\":\"JAVA\",\"opaque\":9,"
                             "\"serializeTypeCurrentRPC\":\"JSON\",\"version\":407}");
    rmq_command_set_ext_present(resp, TRUE);
    assert_header_text(resp, "{\"code\":0,\"extFields\":{},\"flag\":1,\"language\":\"JAVA\","
                             "\"opaque\":9,\"serializeTypeCurrentRPC\":\"JSON\",\"version\":407}");
}

static RmqCommand *
sample_command(RmqSerializeType type)
{
    static const guint8 body[] = { 0, 1, 2, 0xff, '{', '}' };
    RmqCommand *cmd = rmq_command_new_request(RMQ_REQUEST_PULL_MESSAGE);
    cmd->serialize_type = type;
    cmd->opaque = G_MININT32;
    cmd->flag = RMQ_FLAG_ONEWAY;
    cmd->language = RMQ_LANG_RUST;
    rmq_command_set_remark(cmd, "r\xc3\xa9mark \"quoted\" \001");
    rmq_command_set_ext(cmd, "consumerGroup", "CG");
    rmq_command_set_ext_int64(cmd, "queueOffset", G_MAXINT64);
    rmq_command_set_ext_bool(cmd, "flag", TRUE);
    rmq_command_set_ext(cmd, "props", "KEYS\001k\002TAGS\001t");
    rmq_command_set_ext(cmd, "\xe4\xb8\xad", "\xe6\x96\x87");
    rmq_command_set_body_data(cmd, body, sizeof body);
    return cmd;
}

static void
roundtrip(RmqSerializeType type)
{
    g_autoptr(RmqCommand) cmd = sample_command(type);
    g_autoptr(GBytes) frame = rmq_codec_encode(cmd);
    gsize len;
    const guint8 *data = g_bytes_get_data(frame, &len);
    g_autoptr(RmqCommand) back = decode_ok(data, len);
    assert_same_command(cmd, back);
    assert_int_equal(data[4], type);
}

static void
test_roundtrip_json(void **state)
{
    roundtrip(RMQ_SERIALIZE_JSON);
}

static void
test_roundtrip_binary(void **state)
{
    roundtrip(RMQ_SERIALIZE_ROCKETMQ);
}

static void
test_roundtrip_minimal(void **state)
{
    for (int t = 0; t < 2; t++) {
        g_autoptr(RmqCommand) cmd = rmq_command_new_request(0);
        cmd->serialize_type = (RmqSerializeType) t;
        g_autoptr(GBytes) frame = rmq_codec_encode(cmd);
        gsize len;
        const guint8 *data = g_bytes_get_data(frame, &len);
        g_autoptr(RmqCommand) back = decode_ok(data, len);
        assert_same_command(cmd, back);
    }
}

static void
test_response_keeps_serialize_type(void **state)
{
    g_autoptr(GBytes) v = load_vector("02_rocketmq_get_route_request.bin");
    gsize len;
    const guint8 *data = g_bytes_get_data(v, &len);
    g_autoptr(RmqCommand) req = decode_ok(data, len);
    g_autoptr(RmqCommand) resp = rmq_command_new_response(req, RMQ_RESPONSE_TOPIC_NOT_EXIST, "no route");
    g_autoptr(GBytes) frame = rmq_codec_encode(resp);
    const guint8 *f = g_bytes_get_data(frame, &len);

    assert_int_equal(f[4], RMQ_SERIALIZE_ROCKETMQ);
    g_autoptr(RmqCommand) back = decode_ok(f, len);
    assert_int_equal(back->opaque, 1);
    assert_int_equal(back->code, 17);
    assert_true(rmq_command_is_response(back));
    assert_string_equal(back->remark, "no route");
}

static void
test_encode_frame_appends(void **state)
{
    g_autoptr(RmqCommand) a = rmq_command_new_request(1);
    g_autoptr(RmqCommand) b = sample_command(RMQ_SERIALIZE_ROCKETMQ);
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_byte_array_append(out, (const guint8 *) "xyz", 3);
    rmq_codec_encode_frame(a, out);
    rmq_codec_encode_frame(b, out);

    RmqCommand *c = NULL;
    gsize used = 0;
    assert_int_equal(rmq_codec_decode_frame(out->data + 3, out->len - 3, 0, &c, &used, NULL),
                     RMQ_DECODE_OK);
    assert_same_command(a, c);
    rmq_command_free(c);
    RmqCommand *d = decode_ok(out->data + 3 + used, out->len - 3 - used);
    assert_same_command(b, d);
    rmq_command_free(d);
}

static void
test_encode_unframeable_header(void **state)
{
    /* 16 MiB of header cannot be described by the 24-bit length. */
    g_autoptr(RmqCommand) cmd = rmq_command_new_request(1);
    g_autofree gchar *big = g_malloc(16 * 1024 * 1024 + 1);
    memset(big, 'x', 16 * 1024 * 1024);
    big[16 * 1024 * 1024] = '\0';
    rmq_command_set_ext(cmd, "k", big);
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_byte_array_append(out, (const guint8 *) "ab", 2);
    rmq_codec_encode_frame(cmd, out); /* logs a critical */
    assert_int_equal(out->len, 2);
}

/* ---- framing -------------------------------------------------------------- */

static void
test_truncated_prefixes(void **state)
{
    static const char *const names[] = {
        "01_json_get_route_request.bin", "02_rocketmq_get_route_request.bin",
        "03_json_empty_success_response.bin", "04_json_send_message_v2_request.bin",
        "07_json_send_message_v2_response.bin", "08_json_pull_found_response.bin" };
    for (guint n = 0; n < G_N_ELEMENTS(names); n++) {
        g_autoptr(GBytes) v = load_vector(names[n]);
        gsize len;
        const guint8 *data = g_bytes_get_data(v, &len);
        for (gsize i = 0; i < len; i++) {
            /* A heap copy of exactly i bytes, so reading past it is caught
             * by ASan/valgrind. */
            g_autofree guint8 *copy = g_memdup2(data, i);
            RmqCommand *cmd = NULL;
            gsize consumed = 7;
            GError *error = NULL;
            RmqDecodeStatus st = rmq_codec_decode_frame(copy, i, 0, &cmd, &consumed, &error);
            if (st != RMQ_DECODE_NEED_MORE)
                fail_msg("%s prefix %" G_GSIZE_FORMAT ": status %d", names[n], i, st);
            assert_null(cmd);
            assert_null(error);
            assert_int_equal(consumed, 0);
        }
    }
}

static void
test_back_to_back(void **state)
{
    static const char *const names[] = {
        "01_json_get_route_request.bin", "02_rocketmq_get_route_request.bin",
        "08_json_pull_found_response.bin", "07_json_send_message_v2_response.bin" };
    g_autoptr(GByteArray) stream = g_byte_array_new();
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autoptr(GBytes) v = load_vector(names[i]);
        g_byte_array_append(stream, g_bytes_get_data(v, NULL), (guint) g_bytes_get_size(v));
    }
    g_byte_array_append(stream, (const guint8 *) "\0\0", 2); /* start of a next frame */

    gsize pos = 0;
    gint32 opaques[] = { 1, 1, 3, 2 };
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        RmqCommand *cmd = NULL;
        gsize used = 0;
        g_autoptr(GError) error = NULL;
        assert_int_equal(rmq_codec_decode_frame(stream->data + pos, stream->len - pos, 0, &cmd,
                                                &used, &error), RMQ_DECODE_OK);
        assert_int_equal(cmd->opaque, opaques[i]);
        assert_int_equal(cmd->serialize_type, i == 1 ? RMQ_SERIALIZE_ROCKETMQ : RMQ_SERIALIZE_JSON);
        rmq_command_free(cmd);
        pos += used;
    }
    RmqCommand *cmd = NULL;
    gsize used = 0;
    assert_int_equal(rmq_codec_decode_frame(stream->data + pos, stream->len - pos, 0, &cmd, &used,
                                            NULL), RMQ_DECODE_NEED_MORE);
    assert_int_equal(pos, stream->len - 2);
}

static void
test_oversized_from_length_word(void **state)
{
    RmqCommand *cmd = NULL;
    gsize used = 0;
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    /* total_length + 4 = 16 MiB + 1: rejected with only 4 bytes in. */
    const guint8 over[4] = { 0x00, 0xff, 0xff, 0xfd };
    assert_int_equal(rmq_codec_decode_frame(over, 4, 0, &cmd, &used, &e1), RMQ_DECODE_ERROR);
    assert_true(g_error_matches(e1, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_OVERSIZED));
    /* Exactly 16 MiB is allowed: wait for more. */
    const guint8 exact[8] = { 0x00, 0xff, 0xff, 0xfc, 0, 0, 0, 2 };
    assert_int_equal(rmq_codec_decode_frame(exact, 4, 0, &cmd, &used, NULL), RMQ_DECODE_NEED_MORE);
    assert_int_equal(rmq_codec_decode_frame(exact, 8, 0, &cmd, &used, NULL), RMQ_DECODE_NEED_MORE);
    /* Largest positive length, and a caller-chosen limit. */
    const guint8 huge[4] = { 0x7f, 0xff, 0xff, 0xff };
    expect_error(huge, 4, RMQ_CODEC_ERROR_OVERSIZED);
    const guint8 small[4] = { 0, 0, 0, 96 }; /* 96 + 4 = limit */
    assert_int_equal(rmq_codec_decode_frame(small, 4, 100, &cmd, &used, NULL), RMQ_DECODE_NEED_MORE);
    const guint8 small2[4] = { 0, 0, 0, 97 };
    assert_int_equal(rmq_codec_decode_frame(small2, 4, 100, &cmd, &used, &e2), RMQ_DECODE_ERROR);
    assert_true(g_error_matches(e2, RMQ_CODEC_ERROR, RMQ_CODEC_ERROR_OVERSIZED));
    assert_null(cmd);
}

static void
test_bad_lengths(void **state)
{
    /* Negative and too-small total_length. */
    const guint8 neg[4] = { 0xff, 0xff, 0xff, 0xff };
    expect_error(neg, 4, RMQ_CODEC_ERROR_MALFORMED);
    const guint8 three[4] = { 0, 0, 0, 3 };
    expect_error(three, 4, RMQ_CODEC_ERROR_MALFORMED);
    /* header_length > total_length - 4, judged on the first 8 bytes. */
    const guint8 hl[8] = { 0, 0, 0, 10, 0, 0, 0, 7 };
    expect_error(hl, 8, RMQ_CODEC_ERROR_MALFORMED);
    const guint8 hl_max[8] = { 0, 0, 0, 10, 1, 0xff, 0xff, 0xff };
    expect_error(hl_max, 8, RMQ_CODEC_ERROR_MALFORMED);
    /* Bad serialize types, also before the rest arrives. */
    for (guint t = 2; t < 256; t += 37) {
        const guint8 bt[8] = { 0, 0, 0, 6, (guint8) t, 0, 0, 2 };
        expect_error(bt, 8, RMQ_CODEC_ERROR_UNKNOWN_TYPE);
    }
    /* total_length 4, header 0: an empty JSON header is not an object. */
    const guint8 empty[8] = { 0, 0, 0, 4, 0, 0, 0, 0 };
    expect_error(empty, 8, RMQ_CODEC_ERROR_BAD_JSON);
    const guint8 empty_bin[8] = { 0, 0, 0, 4, 1, 0, 0, 0 };
    expect_error(empty_bin, 8, RMQ_CODEC_ERROR_BAD_BINARY);
}

/* Binary header builder for the negative cases. */
static GByteArray *
bin_header(gint32 remark_len, const char *remark, gint32 ext_len, const void *ext, gsize ext_bytes)
{
    GByteArray *h = g_byte_array_new();
    const guint8 fixed[13] = { 0, 105, 0, 0x01, 0x97, 0, 0, 0, 1, 0, 0, 0, 0 };
    g_byte_array_append(h, fixed, 13);
    guint8 rl[4] = { remark_len >> 24, remark_len >> 16, remark_len >> 8, remark_len };
    g_byte_array_append(h, rl, 4);
    if (remark)
        g_byte_array_append(h, (const guint8 *) remark, (guint) strlen(remark));
    guint8 el[4] = { ext_len >> 24, ext_len >> 16, ext_len >> 8, ext_len };
    g_byte_array_append(h, el, 4);
    g_byte_array_append(h, ext, (guint) ext_bytes);
    return h;
}

static void
expect_bin(GByteArray *h, gboolean ok)
{
    g_autoptr(GByteArray) f = frame_raw(1, h->data, h->len, "BODY", 4);
    if (ok) {
        g_autoptr(RmqCommand) cmd = decode_ok(f->data, f->len);
        assert_int_equal(cmd->code, 105);
        assert_int_equal(g_bytes_get_size(cmd->body), 4);
    } else {
        expect_error(f->data, f->len, RMQ_CODEC_ERROR_BAD_BINARY);
    }
    g_byte_array_unref(h);
}

static void
test_binary_bad_lengths(void **state)
{
    const guint8 entry[] = { 0, 1, 'k', 0, 0, 0, 1, 'v' };      /* 8 bytes */
    const guint8 neg_val[] = { 0, 1, 'k', 0xff, 0xff, 0xff, 0xff };
    const guint8 long_key[] = { 0, 9, 'k', 0, 0, 0, 1, 'v' };
    const guint8 long_val[] = { 0, 1, 'k', 0, 0, 0, 9, 'v' };
    const guint8 half[] = { 0, 1, 'k', 0, 0 };
    const guint8 null_val[] = { 0, 1, 'k', 0, 0, 0, 0 };

    expect_bin(bin_header(0, NULL, 8, entry, 8), TRUE);
    expect_bin(bin_header(2, "hi", 0, NULL, 0), TRUE);
    expect_bin(bin_header(-1, NULL, 0, NULL, 0), FALSE);
    expect_bin(bin_header(G_MININT32, NULL, 0, NULL, 0), FALSE);
    expect_bin(bin_header(3, "hi", 0, NULL, 0), FALSE);     /* remark eats ext_len */
    expect_bin(bin_header(1000, "hi", 0, NULL, 0), FALSE);
    expect_bin(bin_header(0, NULL, -1, NULL, 0), FALSE);
    expect_bin(bin_header(0, NULL, 9, entry, 8), FALSE);    /* ext beyond header */
    expect_bin(bin_header(0, NULL, 7, entry, 8), FALSE);    /* value beyond ext area */
    expect_bin(bin_header(0, NULL, 7, neg_val, 7), FALSE);
    expect_bin(bin_header(0, NULL, 8, long_key, 8), FALSE);
    expect_bin(bin_header(0, NULL, 8, long_val, 8), FALSE);
    expect_bin(bin_header(0, NULL, 5, half, 5), FALSE);
    expect_bin(bin_header(0, NULL, 1, half, 1), FALSE);
    /* val_len 0 is null: dropped, and the frame is fine. */
    g_autoptr(GByteArray) h = bin_header(0, NULL, 7, null_val, 7);
    g_autoptr(GByteArray) f = frame_raw(1, h->data, h->len, NULL, 0);
    g_autoptr(RmqCommand) cmd = decode_ok(f->data, f->len);
    assert_int_equal(rmq_command_get_n_ext(cmd), 0);
    /* Too short for the fixed part. */
    g_autoptr(GByteArray) s = frame_raw(1, "\0\1\0\0\0", 5, NULL, 0);
    expect_error(s->data, s->len, RMQ_CODEC_ERROR_BAD_BINARY);
}

static void
check_garbage(const guint8 *buf, gsize len)
{
    RmqCommand *cmd = NULL;
    gsize used = 0;
    GError *error = NULL;
    RmqDecodeStatus st = rmq_codec_decode_frame(buf, len, 0, &cmd, &used, &error);
    switch (st) {
    case RMQ_DECODE_OK:
        assert_non_null(cmd);
        assert_true(used >= 8 && used <= len);
        assert_null(error);
        rmq_command_free(cmd);
        break;
    case RMQ_DECODE_NEED_MORE:
        assert_null(cmd);
        assert_null(error);
        break;
    case RMQ_DECODE_ERROR:
        assert_null(cmd);
        assert_non_null(error);
        g_error_free(error);
        break;
    default:
        fail_msg("bad status %d", st);
    }
}

static void
test_garbage(void **state)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(20240611);
    guint8 buf[512];

    /* Pure noise, then noise behind a plausible frame prefix. */
    for (int i = 0; i < 20000; i++) {
        gsize len = (gsize) g_rand_int_range(rand, 0, sizeof buf);
        for (gsize j = 0; j < len; j++)
            buf[j] = (guint8) g_rand_int(rand);
        if (i % 2 == 1 && len >= 8) {
            guint32 total = (guint32) len - 4, hlen = (guint32) g_rand_int_range(rand, 0, (gint32) len - 7);
            buf[0] = 0; buf[1] = 0; buf[2] = total >> 8; buf[3] = total;
            buf[4] = (guint8) (i % 4 == 1); buf[5] = 0; buf[6] = hlen >> 8; buf[7] = hlen;
            if (i % 4 == 3 && len > 8)
                buf[8] = '{';
        }
        check_garbage(buf, len);
    }

    /* Mutations of real frames: bytes flipped inside a valid envelope. */
    static const char *const names[] = {
        "01_json_get_route_request.bin", "02_rocketmq_get_route_request.bin",
        "04_json_send_message_v2_request.bin", "07_json_send_message_v2_response.bin" };
    for (guint n = 0; n < G_N_ELEMENTS(names); n++) {
        g_autoptr(GBytes) v = load_vector(names[n]);
        gsize len;
        const guint8 *data = g_bytes_get_data(v, &len);
        for (int i = 0; i < 3000; i++) {
            g_autofree guint8 *copy = g_memdup2(data, len);
            int flips = g_rand_int_range(rand, 1, 4);
            for (int k = 0; k < flips; k++)
                copy[g_rand_int_range(rand, 4, (gint32) len)] = (guint8) g_rand_int(rand);
            check_garbage(copy, len);
        }
    }
}

/* ---- both JSON parsers agree ---------------------------------------------- */

static void
test_parsers_agree(void **state)
{
    static const char *const inputs[] = {
        "{\"code\":105,\"extFields\":{\"topic\":\"TopicTest\"},\"flag\":0,\"language\":\"JAVA\","
        "\"opaque\":1,\"serializeTypeCurrentRPC\":\"JSON\",\"version\":407}",
        "{\"code\":1,\"extFields\":{\"a\":1,\"b\":true,\"c\":null,\"d\":-2.5e-3,\"e\":\"\\u00e9\"}}\n",
        "{\"x\":[{\"y\":[]}],\"remark\":\"\\t\",\"language\":3}",
        "{\"code\":\"1\"}",
        "{\"code\":1,\"extFields\":{\"a\":[]}}",
        "{\"code\":1}}",
        "{}",
        /* repeated keys: the last occurrence wins in both */
        "{\"code\":5,\"remark\":\"r\",\"code\":null,\"remark\":null,\"language\":\"GO\","
        "\"language\":null,\"extFields\":{\"a\":\"1\",\"b\":\"2\",\"a\":null,\"c\":3}}",
        "{\"extFields\":{\"a\":\"1\"},\"extFields\":{\"b\":\"2\"}}",
        "{\"extFields\":{\"a\":\"1\"},\"extFields\":null}",
    };
    for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
        g_autoptr(GError) e1 = NULL;
        g_autoptr(GError) e2 = NULL;
        rmq_codec_set_json_parser(RMQ_JSON_HEADER_PARSER_FAST);
        g_autoptr(RmqCommand) a = rmq_codec_decode_header(RMQ_SERIALIZE_JSON,
                                                          (const guint8 *) inputs[i],
                                                          strlen(inputs[i]), &e1);
        rmq_codec_set_json_parser(RMQ_JSON_HEADER_PARSER_GLIB);
        g_autoptr(RmqCommand) b = rmq_codec_decode_header(RMQ_SERIALIZE_JSON,
                                                          (const guint8 *) inputs[i],
                                                          strlen(inputs[i]), &e2);
        if ((a == NULL) != (b == NULL))
            fail_msg("parsers disagree on %s: fast %s, glib %s", inputs[i],
                     e1 ? e1->message : "ok", e2 ? e2->message : "ok");
        if (a != NULL)
            assert_same_command(a, b);
        else
            assert_int_equal(e1->code, e2->code);
    }
}

static int
use_fast(void **state)
{
    rmq_codec_set_json_parser(RMQ_JSON_HEADER_PARSER_FAST);
    return 0;
}

static int
use_glib(void **state)
{
    rmq_codec_set_json_parser(RMQ_JSON_HEADER_PARSER_GLIB);
    return 0;
}

/* Every case runs once per JSON header parser: both must pass the same suite. */
#define BOTH_PARSERS(f) \
    { "fast/" #f, f, use_fast, NULL, NULL }, \
    { "json-glib/" #f, f, use_glib, NULL, NULL }

/* Two extFields keys that differ only in lone surrogate escapes both become
 * the same repaired UTF-8 key: one field, last value wins, and the command
 * survives a re-encode (the fuzzer found the pair). */
static void
test_repaired_keys_merge(void **state)
{
    (void) state;
    const gchar *json = "{\"code\":11,\"extFields\":{\"\\udc0ea\":\"1\",\"\\udc0fa\":\"2\"}}";
    rmq_codec_set_json_parser(RMQ_JSON_HEADER_PARSER_GLIB);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) cmd =
        rmq_codec_decode_header(RMQ_SERIALIZE_JSON, (const guint8 *) json, strlen(json), &error);
    rmq_codec_set_json_parser(RMQ_JSON_HEADER_PARSER_FAST);
    assert_non_null(cmd);
    assert_int_equal(rmq_command_get_n_ext(cmd), 1);
    assert_string_equal(rmq_command_get_ext_field(cmd, 0)->value, "2");
    g_autoptr(GBytes) frame = rmq_codec_encode(cmd);
    gsize len, used = 0;
    const guint8 *p = g_bytes_get_data(frame, &len);
    RmqCommand *again = NULL;
    assert_int_equal(rmq_codec_decode_frame(p, len, 0, &again, &used, &error), RMQ_DECODE_OK);
    assert_int_equal(rmq_command_get_n_ext(again), 1);
    assert_string_equal(rmq_command_get_ext_field(again, 0)->value, "2");
    rmq_command_free(again);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH_PARSERS(test_vector_01),
        BOTH_PARSERS(test_vector_02),
        BOTH_PARSERS(test_vector_03),
        BOTH_PARSERS(test_vector_04),
        BOTH_PARSERS(test_vector_07),
        BOTH_PARSERS(test_vector_08),
        BOTH_PARSERS(test_vectors_not_frames),
        BOTH_PARSERS(test_cpp_client),
        BOTH_PARSERS(test_alions_client),
        BOTH_PARSERS(test_lenient_header),
        BOTH_PARSERS(test_lone_surrogate),
        BOTH_PARSERS(test_language_variants),
        BOTH_PARSERS(test_duplicate_ext_keys),
        BOTH_PARSERS(test_wrong_types),
        BOTH_PARSERS(test_deep_nesting),
        BOTH_PARSERS(test_encode_escaping),
        BOTH_PARSERS(test_encode_empty_ext_object),
        BOTH_PARSERS(test_roundtrip_json),
        BOTH_PARSERS(test_roundtrip_binary),
        BOTH_PARSERS(test_roundtrip_minimal),
        BOTH_PARSERS(test_response_keeps_serialize_type),
        BOTH_PARSERS(test_encode_frame_appends),
        cmocka_unit_test(test_encode_unframeable_header),
        cmocka_unit_test(test_repaired_keys_merge),
        BOTH_PARSERS(test_truncated_prefixes),
        BOTH_PARSERS(test_back_to_back),
        BOTH_PARSERS(test_oversized_from_length_word),
        BOTH_PARSERS(test_bad_lengths),
        BOTH_PARSERS(test_binary_bad_lengths),
        BOTH_PARSERS(test_garbage),
        cmocka_unit_test_teardown(test_parsers_agree, use_fast),
    };
    /* One group: the TAP driver wants a single plan per program. */
    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
