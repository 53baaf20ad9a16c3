#include <config.h>

/* The fast paths added for CPU per message (bench/perf): in-place header
 * strings, the per-command ext arena, integer text, head/body split. Each
 * case checks a fast path against the slow path or the plain answer. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "remoting/codec.h"
#include "remoting/command.h"
#include "remoting/json_scan.h"
#include "remoting/json_text.h"

static RmqCommand *
decode(const gchar *json, RmqJsonHeaderParser parser)
{
    g_autoptr(GError) error = NULL;
    rmq_codec_set_json_parser(parser);
    RmqCommand *cmd = rmq_codec_decode_header(RMQ_SERIALIZE_JSON, (const guint8 *) json,
                                              strlen(json), &error);
    rmq_codec_set_json_parser(RMQ_JSON_HEADER_PARSER_FAST);
    if (cmd == NULL)
        print_message("decode failed: %s\n", error->message);
    return cmd;
}

static RmqCommand *
decode_frame_with(const guint8 *p, gsize len, RmqJsonHeaderParser parser)
{
    RmqCommand *cmd = NULL;
    gsize used = 0;
    g_autoptr(GError) error = NULL;
    rmq_codec_set_json_parser(parser);
    RmqDecodeStatus st = rmq_codec_decode_frame(p, len, 0, &cmd, &used, &error);
    rmq_codec_set_json_parser(RMQ_JSON_HEADER_PARSER_FAST);
    if (st != RMQ_DECODE_OK || used != len)
        print_message("frame decode failed: %s\n", error != NULL ? error->message : "short");
    return cmd;
}

/* The lengths a field carries are those of its text, whichever path made it. */
static void
assert_lengths_right(const RmqCommand *cmd)
{
    for (guint i = 0; i < rmq_command_get_n_ext(cmd); i++) {
        const RmqExtField *f = rmq_command_get_ext_field(cmd, i);
        assert_int_equal(f->key_len, strlen(f->key));
        assert_int_equal(f->value_len, strlen(f->value));
    }
}

static void
assert_same_ext(const RmqCommand *a, const RmqCommand *b)
{
    assert_int_equal(rmq_command_get_n_ext(a), rmq_command_get_n_ext(b));
    for (guint i = 0; i < rmq_command_get_n_ext(a); i++) {
        assert_string_equal(rmq_command_get_ext_field(a, i)->key, rmq_command_get_ext_field(b, i)->key);
        assert_string_equal(rmq_command_get_ext_field(a, i)->value,
                            rmq_command_get_ext_field(b, i)->value);
    }
    assert_lengths_right(a);
    assert_lengths_right(b);
}

static void
test_escaped_and_plain_names_meet(void **state)
{
    /* "\u0061" is "a": the escaped duplicate replaces the plain one in
     * place; "" keys are keys too. */
    static const char *const headers[] = {
        "{\"code\":1,\"extFields\":{\"a\":\"1\",\"b\":\"2\",\"\\u0061\":\"3\"}}",
        "{\"code\":1,\"extFields\":{\"\":\"1\",\"x\":\"2\",\"\":\"3\"}}",
        "{\"code\":1,\"extFields\":{\"a\":\"1\",\"a\":null,\"b\":\"caf\\u00e9 \xc3\xa9\"}}",
        "{\"co\\u0064e\":7,\"remark\":\"r\\n\",\"language\":\"CPP\",\"extFields\":{}}",
    };
    for (guint i = 0; i < G_N_ELEMENTS(headers); i++) {
        g_autoptr(RmqCommand) fast = decode(headers[i], RMQ_JSON_HEADER_PARSER_FAST);
        g_autoptr(RmqCommand) ref = decode(headers[i], RMQ_JSON_HEADER_PARSER_GLIB);
        assert_non_null(fast);
        assert_non_null(ref);
        assert_int_equal(fast->code, ref->code);
        assert_int_equal(fast->language, ref->language);
        assert_string_equal(fast->remark ? fast->remark : "(null)", ref->remark ? ref->remark : "(null)");
        assert_same_ext(fast, ref);
    }
    g_autoptr(RmqCommand) a = decode(headers[0], RMQ_JSON_HEADER_PARSER_FAST);
    assert_string_equal(rmq_command_get_ext_field(a, 0)->key, "a");
    assert_string_equal(rmq_command_get_ext(a, "a"), "3");
    g_autoptr(RmqCommand) b = decode(headers[1], RMQ_JSON_HEADER_PARSER_FAST);
    assert_int_equal(rmq_command_get_n_ext(b), 2);
    assert_string_equal(rmq_command_get_ext(b, ""), "3");
    g_autoptr(RmqCommand) e = decode(headers[3], RMQ_JSON_HEADER_PARSER_FAST);
    assert_int_equal(e->code, 7);
    assert_string_equal(e->remark, "r\n");
}

/* Header member names matched as bytes, and the usual language and
 * serializeTypeCurrentRPC values: the same answer as the reference parser
 * when the text is written some other way (spaces, escapes, other values,
 * repeats, prefixes of the names). */
static void
test_known_members_any_spelling(void **state)
{
    static const char *const headers[] = {
        "{\"code\":310,\"extFields\":{\"a\":\"1\"},\"flag\":2,\"language\":\"JAVA\",\"opaque\":9,"
        "\"serializeTypeCurrentRPC\":\"JSON\",\"version\":407}",
        "{\"code\" :310, \"flag\"\t: 2 ,\"language\": \"JAVA\" ,\"opaque\":9}",
        "{\"c\\u006fde\":5,\"languag\\u0065\":\"CPP\",\"\\u0066lag\":1}",
        "{\"codes\":5,\"code\":6,\"flagged\":1,\"languages\":\"GO\",\"version\":1,\"version\":2}",
        "{\"language\":\"JAVAX\",\"serializeTypeCurrentRPC\":\"JSONX\",\"remark\":\"r\"}",
        "{\"language\":\"JAVA\",\"language\":\"GO\",\"serializeTypeCurrentRPC\":{\"x\":[1]}}",
        "{\"language\":9,\"serializeTypeCurrentRPC\":\"ROCKETMQ\",\"extFields\":null}",
        "{\"remark\":null,\"remark\":\"b\",\"opaque\":-3}",
    };
    for (guint i = 0; i < G_N_ELEMENTS(headers); i++) {
        g_autoptr(RmqCommand) fast = decode(headers[i], RMQ_JSON_HEADER_PARSER_FAST);
        g_autoptr(RmqCommand) ref = decode(headers[i], RMQ_JSON_HEADER_PARSER_GLIB);
        assert_non_null(fast);
        assert_non_null(ref);
        assert_int_equal(fast->code, ref->code);
        assert_int_equal(fast->flag, ref->flag);
        assert_int_equal(fast->opaque, ref->opaque);
        assert_int_equal(fast->version, ref->version);
        assert_int_equal(fast->language, ref->language);
        assert_string_equal(fast->remark ? fast->remark : "(null)", ref->remark ? ref->remark : "(null)");
        assert_same_ext(fast, ref);
    }
    g_autoptr(RmqCommand) a = decode(headers[0], RMQ_JSON_HEADER_PARSER_FAST);
    assert_int_equal(a->code, 310);
    assert_int_equal(a->flag, 2);
    assert_int_equal(a->opaque, 9);
    assert_int_equal(a->version, 407);
    assert_int_equal(a->language, RMQ_LANG_JAVA);
    g_autoptr(RmqCommand) c = decode(headers[2], RMQ_JSON_HEADER_PARSER_FAST);
    assert_int_equal(c->code, 5);
    assert_int_equal(c->language, RMQ_LANG_CPP);
    g_autoptr(RmqCommand) d = decode(headers[3], RMQ_JSON_HEADER_PARSER_FAST);
    assert_int_equal(d->code, 6);
    assert_int_equal(d->version, 2);
    /* truncated right after a known name or value: refused, not read past */
    static const char *const cut[] = { "{\"code\":", "{\"language\":\"JAVA\"", "{\"code\"" };
    for (guint i = 0; i < G_N_ELEMENTS(cut); i++) {
        g_autoptr(RmqCommand) t = decode(cut[i], RMQ_JSON_HEADER_PARSER_FAST);
        assert_null(t);
    }
}

static void
test_bad_utf8_in_place_rejected(void **state)
{
    /* No escape in the string: the span is validated where it lies. */
    g_autoptr(RmqCommand) cmd = decode("{\"code\":1,\"extFields\":{\"a\":\"\xff\xfe\"}}",
                                       RMQ_JSON_HEADER_PARSER_FAST);
    assert_null(cmd);
    g_autoptr(RmqCommand) name = decode("{\"\xc3\":1}", RMQ_JSON_HEADER_PARSER_FAST);
    assert_null(name);
    /* a NUL from an escape is refused, as before the in-place strings */
    g_autoptr(RmqCommand) nul = decode("{\"code\":1,\"extFields\":{\"k\\u0000t\":\"v\"}}",
                                       RMQ_JSON_HEADER_PARSER_FAST);
    assert_null(nul);
}

static void
test_special_byte_at_every_offset(void **state)
{
    /* Each kind of byte that must stop the in-place scan, at many
     * positions of a name and a value, with and without text after it. */
    static const struct { const char *text; gboolean ok; const char *value; } kinds[] = {
        { "\\\"", TRUE, "\"" },  { "\\n", TRUE, "\n" },  { "\\u00e9", TRUE, "\xc3\xa9" },
        { "\xc3\xa9", TRUE, "\xc3\xa9" }, { "\x01", FALSE, NULL }, { "\x1f", FALSE, NULL },
        { "\xff", FALSE, NULL }, { "\xc3", FALSE, NULL }, { " ", TRUE, " " }, { "\x7f", TRUE, "\x7f" },
    };
    for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
        for (int pos = 0; pos < 20; pos++) {
            for (int tail = 0; tail < 10; tail += 3) {
                g_autofree gchar *head = g_strnfill(pos, 'a');
                g_autofree gchar *rest = g_strnfill(tail, 'b');
                g_autofree gchar *json = g_strdup_printf(
                    "{\"code\":1,\"extFields\":{\"%sK%s\":\"%s%s%s\"}}", head, rest, head,
                    kinds[k].text, rest);
                g_autoptr(RmqCommand) cmd = decode(json, RMQ_JSON_HEADER_PARSER_FAST);
                if (!kinds[k].ok) {
                    assert_null(cmd);
                    continue;
                }
                assert_non_null(cmd);
                g_autofree gchar *key = g_strdup_printf("%sK%s", head, rest);
                g_autofree gchar *want = g_strdup_printf("%s%s%s", head, kinds[k].value, rest);
                assert_string_equal(rmq_command_get_ext(cmd, key), want);
            }
        }
    }
}

/* One-byte keys as SEND_MESSAGE_V2 writes them, "k":"v", with every key
 * byte (a letter of the usual run, a punctuation mark, DEL, a lone high
 * byte, a duplicate, an escaped quote), next to usual members and at the
 * end of the text: what json-glib decodes, refused where it refuses; a raw
 * control character, which only json-glib takes, refused. */
static void
test_one_byte_keys_agree_with_glib(void **state)
{
    for (guint c = 1; c < 256; c++) {
        for (int at_end = 0; at_end < 2; at_end++) {
            gchar key[8];
            if (c == '"' || c == '\\')
                g_snprintf(key, sizeof key, "\\%c", c);
            else
                g_snprintf(key, sizeof key, "%c", c);
            g_autofree gchar *json =
                at_end ? g_strdup_printf("{\"code\":1,\"extFields\":{\"a\":\"1\",\"%s\":\"\"}}", key)
                       : g_strdup_printf("{\"code\":1,\"extFields\":{\"a\":\"1\",\"%s\":\"v\","
                                         "\"b\":\"22\",\"%s\":\"w\"},\"flag\":0}",
                                         key, key);
            g_autoptr(RmqCommand) fast = decode(json, RMQ_JSON_HEADER_PARSER_FAST);
            g_autoptr(RmqCommand) ref = decode(json, RMQ_JSON_HEADER_PARSER_GLIB);
            if (ref == NULL || c < 0x20) { /* json-glib alone takes a raw control */
                assert_null(fast);
                continue;
            }
            assert_non_null(fast);
            assert_same_ext(fast, ref);
        }
    }
}

static void
test_word_scans_agree_with_glib(void **state)
{
    /* The word-at-a-time scan and the stack scratch: escaped values longer
     * than the scratch's inline room, non-ASCII right after a closing quote,
     * keys sharing a first byte (duplicate filter), and more fields than a
     * command's initial room. Each header must decode as json-glib does. */
    g_autoptr(GString) longv = g_string_new(NULL);
    for (int i = 0; i < 200; i++)
        g_string_append_printf(longv, "K%d\\u0001v\\u00e9%d\\u0002", i, i);
    g_autoptr(GString) many = g_string_new("{\"code\":1,\"extFields\":{");
    for (int i = 0; i < 40; i++)
        g_string_append_printf(many, "%s\"%c%d\":\"%d\"", i ? "," : "", 'a' + i % 3, i % 25, i);
    g_string_append(many, ",\"a1\":null,\"b2\":\"again\"}}");
    g_autofree gchar *escaped = g_strdup_printf("{\"code\":1,\"extFields\":{\"i\":\"%s\",\"j\":\"x\"}}",
                                                longv->str);
    const char *const headers[] = {
        escaped, many->str,
        "{\"code\":1,\"extFields\":{\"a\":\"x\",\"\xc3\xa9\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}}",
        "{\"code\":1,\"extFields\":{\"ab\":\"1\",\"ac\":\"2\",\"ab\":\"3\",\"a\":\"4\"}}",
        "{\"code\":1,\"extFields\":{\"a\":1,\"b\":-7,\"c\":true,\"d\":false,\"e\":2.5}}",
        "{\"code\":1,\"remark\":\"01234567\\u0041bcdefgh\",\"extFields\":{\"\\u0061b\":\"12345678\"}}",
    };
    for (guint i = 0; i < G_N_ELEMENTS(headers); i++) {
        g_autoptr(RmqCommand) fast = decode(headers[i], RMQ_JSON_HEADER_PARSER_FAST);
        g_autoptr(RmqCommand) ref = decode(headers[i], RMQ_JSON_HEADER_PARSER_GLIB);
        assert_non_null(fast);
        assert_non_null(ref);
        assert_same_ext(fast, ref);
        assert_string_equal(fast->remark ? fast->remark : "", ref->remark ? ref->remark : "");
    }
    /* bad UTF-8 after an escape, past the inline room, is still refused */
    g_autofree gchar *bad = g_strdup_printf("{\"code\":1,\"extFields\":{\"i\":\"%s\xff\"}}",
                                            longv->str);
    g_autoptr(RmqCommand) none = decode(bad, RMQ_JSON_HEADER_PARSER_FAST);
    assert_null(none);
}

static void
test_encoder_room_grows(void **state)
{
    /* The header encoder reserves room field by field: many fields, each
     * escape kind at varied offsets and a long escaped remark must come
     * back unchanged through json-glib. */
    g_autoptr(RmqCommand) cmd = rmq_command_new_request(310);
    for (int i = 0; i < 100; i++) {
        gchar key[16], value[64];
        g_snprintf(key, sizeof key, "k%d", i);
        g_snprintf(value, sizeof value, "%.*s%c\xc3\xa9%c", i % 17, "abcdefghijklmnopq",
                   (char) (i % 32 + 1), i % 2 ? '"' : 0x7f);
        rmq_command_set_ext(cmd, key, value);
    }
    g_autofree gchar *remark = g_strnfill(5000, '\x01');
    rmq_command_set_remark(cmd, remark);
    g_autoptr(GBytes) frame = rmq_codec_encode(cmd);
    gsize len;
    const guint8 *p = g_bytes_get_data(frame, &len);
    g_autoptr(RmqCommand) back = decode_frame_with(p, len, RMQ_JSON_HEADER_PARSER_GLIB);
    assert_non_null(back);
    assert_same_ext(cmd, back);
    assert_string_equal(back->remark, remark);
    /* and the GString form is the same bytes */
    g_autoptr(GString) again = g_string_new("pre");
    assert_true(rmq_codec_append_frame(cmd, again));
    assert_int_equal(again->len, len + 3);
    assert_memory_equal(again->str + 3, p, len);
}

static void
test_header_ints_agree_with_glib(void **state)
{
    /* plain digits take a short path; every other number the JSON one */
    static const char *const values[] = {
        "0", "7", "407", "123456789", "999999999", "1000000000", "2147483647",
        "2147483648", "-1", "-2147483648", "-2147483649", "1.5", "1e2",
        " 5", "5 ", "null", "\"5\"", "true",
    };
    for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
        g_autofree gchar *json = g_strdup_printf("{\"code\":%s,\"opaque\":%s}", values[i],
                                                 values[i]);
        g_autoptr(RmqCommand) fast = decode(json, RMQ_JSON_HEADER_PARSER_FAST);
        g_autoptr(RmqCommand) ref = decode(json, RMQ_JSON_HEADER_PARSER_GLIB);
        assert_true((fast == NULL) == (ref == NULL));
        if (fast != NULL) {
            assert_int_equal(fast->code, ref->code);
            assert_int_equal(fast->opaque, ref->opaque);
        }
    }
    /* leading zeros are not JSON: refused (json-glib takes them) */
    g_autoptr(RmqCommand) zeros = decode("{\"code\":007}", RMQ_JSON_HEADER_PARSER_FAST);
    assert_null(zeros);
}

static void
test_arena_keeps_every_field(void **state)
{
    g_autoptr(RmqCommand) cmd = rmq_command_new_request(10);
    g_autofree gchar *big = g_strnfill(3000, 'b');
    g_autofree gchar *mid = g_strnfill(300, 'm');

    /* small fields, a big one-off, more small ones, and replacements that
     * reuse neither the old text nor its room */
    for (int i = 0; i < 200; i++) {
        gchar key[16], value[16];
        g_snprintf(key, sizeof key, "k%d", i);
        g_snprintf(value, sizeof value, "v%d", i);
        rmq_command_set_ext(cmd, key, value);
        if (i == 50)
            rmq_command_set_ext(cmd, "big", big);
        if (i == 120)
            rmq_command_set_ext(cmd, "mid", mid);
    }
    for (int i = 0; i < 200; i += 3)
        rmq_command_set_ext_int64(cmd, "k7", i);
    rmq_command_set_ext_len(cmd, "k1xyz", 2, "abcdef", 3); /* lengths, no NUL needed */
    assert_true(rmq_command_remove_ext(cmd, "k2"));

    assert_int_equal(rmq_command_get_n_ext(cmd), 201);
    assert_string_equal(rmq_command_get_ext(cmd, "big"), big);
    assert_string_equal(rmq_command_get_ext(cmd, "mid"), mid);
    assert_string_equal(rmq_command_get_ext(cmd, "k7"), "198");
    assert_string_equal(rmq_command_get_ext(cmd, "k1"), "abc");
    assert_string_equal(rmq_command_get_ext(cmd, "k199"), "v199");
    assert_null(rmq_command_get_ext(cmd, "k2"));
    assert_null(rmq_command_get_ext(cmd, "k"));
    assert_string_equal(rmq_command_get_ext_field(cmd, 0)->key, "k0");
    assert_lengths_right(cmd);
}

/* A small body is copied into the command's own memory: it must outlive
 * the command when someone keeps a reference, while later commands (which
 * reuse freed ones) are made and filled, and a replaced body must not free
 * the command under its owner. */
static void
test_body_outlives_command(void **state)
{
    (void) state;
    GBytes *kept[8];
    gchar text[8][64];

    for (int i = 0; i < 8; i++) {
        RmqCommand *cmd = rmq_command_new_request(10);
        rmq_command_set_ext(cmd, "k", "v");
        g_snprintf(text[i], sizeof text[i], "body %d of the commands that are freed first", i);
        rmq_command_set_body_data(cmd, text[i], strlen(text[i]));
        kept[i] = g_bytes_ref(cmd->body);
        rmq_command_free(cmd);
    }
    /* fill the commands that may reuse that memory */
    for (int i = 0; i < 32; i++) {
        RmqCommand *cmd = rmq_command_new_request(11);
        gchar junk[200];
        memset(junk, 'x', sizeof junk);
        rmq_command_set_ext_len(cmd, "junk", 4, junk, sizeof junk);
        rmq_command_set_body_data(cmd, junk, sizeof junk);
        if (i % 2 == 0) /* a replaced body, the command still in use */
            rmq_command_set_body_data(cmd, junk, 10);
        assert_int_equal(g_bytes_get_size(cmd->body), i % 2 == 0 ? 10 : sizeof junk);
        rmq_command_free(cmd);
    }
    for (int i = 0; i < 8; i++) {
        gsize len = 0;
        const gchar *p = g_bytes_get_data(kept[i], &len);
        assert_int_equal(len, strlen(text[i]));
        assert_memory_equal(p, text[i], len);
        g_bytes_unref(kept[i]);
    }

    /* a body too big for the command's memory, and one decoded from a frame */
    g_autoptr(RmqCommand) big = rmq_command_new_request(12);
    g_autofree gchar *payload = g_strnfill(5000, 'p');
    rmq_command_set_body_data(big, payload, 5000);
    assert_int_equal(g_bytes_get_size(big->body), 5000);
    rmq_command_set_body(big, NULL);
    assert_null(big->body);
}

/* Fields appended as plain (a response's ids and numbers) encode to the
 * same bytes as the same fields through the escaping path, mixed with
 * fields that do need escapes, and decode back to them. */
static void
test_plain_fields_encode_alike(void **state)
{
    (void) state;
    g_autoptr(RmqCommand) req = rmq_command_new_request(10);
    g_autoptr(RmqCommand) plain = rmq_command_new_response(req, 0, NULL);
    g_autoptr(RmqCommand) general = rmq_command_new_response(req, 0, NULL);
    static const gchar *const values[] = { "7F000001000A2B3C00000000000004D2", "", "0",
                                           "-12345678901", "true" };

    static const gchar *const keys[] = { "msgId", "queueId", "queueOffset", "MSG_REGION",
                                         "TRACE_ON" };
    static const gchar *const odd[] = { "r\"\x01", "\\", "\x7f", "t\t", "q\"" };

    for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
        rmq_command_append_ext_plain(plain, keys[i], strlen(keys[i]), values[i], strlen(values[i]));
        rmq_command_append_ext_len(general, keys[i], strlen(keys[i]), values[i], strlen(values[i]));
        /* an escaped field between plain ones */
        rmq_command_append_ext_len(plain, odd[i], strlen(odd[i]), "a\\b\nc\x7f", 6);
        rmq_command_append_ext_len(general, odd[i], strlen(odd[i]), "a\\b\nc\x7f", 6);
    }
    assert_true(rmq_command_get_ext_field(plain, 0)->plain);
    assert_false(rmq_command_get_ext_field(plain, 1)->plain);
    assert_false(rmq_command_get_ext_field(general, 0)->plain);
    assert_lengths_right(plain);

    g_autoptr(GBytes) a = rmq_codec_encode(plain);
    g_autoptr(GBytes) b = rmq_codec_encode(general);
    assert_true(g_bytes_equal(a, b));
    gsize len = 0;
    const guint8 *p = g_bytes_get_data(a, &len);
    g_autoptr(RmqCommand) back = decode_frame_with(p, len, RMQ_JSON_HEADER_PARSER_GLIB);
    assert_non_null(back);
    assert_same_ext(back, general);

    /* a plain field whose value is replaced is escaped again */
    rmq_command_set_ext(plain, "queueOffset", "x\"y");
    assert_false(rmq_command_get_ext_field(plain, 4)->plain);
    assert_true(rmq_command_get_ext_field(plain, 2)->plain);
    assert_string_equal(rmq_command_get_ext(plain, "queueOffset"), "x\"y");
    assert_lengths_right(plain);
    g_autoptr(GBytes) c = rmq_codec_encode(plain);
    p = g_bytes_get_data(c, &len);
    g_autoptr(RmqCommand) again = decode_frame_with(p, len, RMQ_JSON_HEADER_PARSER_GLIB);
    assert_non_null(again);
    assert_string_equal(rmq_command_get_ext(again, "queueOffset"), "x\"y");
}

static void
test_ext_integers_match_glib(void **state)
{
    static const char *const texts[] = {
        "0", "42", "-42", "007", "-0", "+5", "", "-", "12a", " 1", "1 ",
        "2147483647", "2147483648", "-2147483648", "-2147483649",
        "99999999999999999", "123456789012345678", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "0x10",
    };
    g_autoptr(RmqCommand) cmd = rmq_command_new_request(1);
    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        rmq_command_set_ext(cmd, "n", texts[i]);
        gint64 want64 = 0, got64 = -1;
        gboolean ok64 = g_ascii_string_to_signed(texts[i], 10, G_MININT64, G_MAXINT64, &want64, NULL);
        assert_int_equal(rmq_command_get_ext_int64(cmd, "n", &got64), ok64);
        if (ok64)
            assert_int_equal(got64, want64);
        gint64 want32 = 0;
        gint32 got32 = -1;
        gboolean ok32 = g_ascii_string_to_signed(texts[i], 10, G_MININT32, G_MAXINT32, &want32, NULL);
        assert_int_equal(rmq_command_get_ext_int32(cmd, "n", &got32), ok32);
        if (ok32)
            assert_int_equal(got32, want32);
    }
}

/* rmq_json_text_copy_short copies exactly @n bytes for every length to
 * past its word paths, from and to any alignment, touching nothing around
 * them, and returns the end. */
static void
test_copy_short_exact(void **state)
{
    for (gsize n = 0; n <= 40; n++) {
        for (gsize align = 0; align < 8; align++) {
            gchar src[64], dst[80];
            for (gsize i = 0; i < sizeof src; i++)
                src[i] = (gchar) (i * 13 + n + 1);
            memset(dst, 0x5a, sizeof dst);
            gchar *end = rmq_json_text_copy_short(dst + 8 + align, src + align, n);
            assert_ptr_equal(end, dst + 8 + align + n);
            assert_memory_equal(dst + 8 + align, src + align, n);
            for (gsize i = 0; i < 8 + align; i++)
                assert_int_equal((guchar) dst[i], 0x5a);
            for (gsize i = 8 + align + n; i < sizeof dst; i++)
                assert_int_equal((guchar) dst[i], 0x5a);
        }
    }
}

/* rmq_command_parse_int64_len answers as g_ascii_string_to_signed for
 * every length to past two eight-digit words, with a sign or not, with a
 * non-digit at each position, at the range limits and with a @len short of
 * the NUL (then the NUL decides, as for rmq_command_parse_int64). */
static void
test_parse_int64_len_matches_glib(void **state)
{
    static const char *const fixed[] = {
        "", "-", "+5", "0", "-0", "007", "1700000000123", "99999999999999999",
        "-99999999999999999", "123456789012345678", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "12345678:", "1234567/", "0x10",
    };
    static const gint64 ranges[][2] = { { G_MININT64, G_MAXINT64 }, { G_MININT32, G_MAXINT32 },
                                        { 0, 99999999 } };
    g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
        g_ptr_array_add(texts, g_strdup(fixed[i]));
    for (int len = 1; len <= 20; len++) {
        for (int sign = 0; sign < 2; sign++) {
            GString *t = g_string_new(sign ? "-" : "");
            for (int i = 0; i < len; i++)
                g_string_append_c(t, (gchar) ('0' + (i * 7 + len) % 10));
            for (int bad = 0; bad < len; bad++) { /* one byte of it not a digit */
                static const gchar others[] = { '/', ':', 'a', ' ', (gchar) 0xb0 };
                gchar *b = g_strdup(t->str);
                b[sign + bad] = others[bad % G_N_ELEMENTS(others)];
                g_ptr_array_add(texts, b);
            }
            g_ptr_array_add(texts, g_string_free(t, FALSE));
        }
    }
    for (guint i = 0; i < texts->len; i++) {
        const gchar *v = g_ptr_array_index(texts, i);
        for (guint r = 0; r < G_N_ELEMENTS(ranges); r++) {
            gint64 want = 0, got = -12345;
            gboolean ok = g_ascii_string_to_signed(v, 10, ranges[r][0], ranges[r][1], &want, NULL);
            assert_int_equal(rmq_command_parse_int64_len(v, strlen(v), ranges[r][0], ranges[r][1],
                                                         &got),
                             ok);
            assert_int_equal(got, ok ? want : -12345); /* untouched on FALSE */
            if (strlen(v) > 1) { /* a length short of the NUL: still the whole text */
                got = -12345;
                assert_int_equal(rmq_command_parse_int64_len(v, strlen(v) - 1, ranges[r][0],
                                                             ranges[r][1], &got),
                                 ok);
                assert_int_equal(got, ok ? want : -12345);
            }
        }
    }
}

static void
test_int64_text(void **state)
{
    static const gint64 values[] = { 0, 1, -1, 9, 10, -10, 407, G_MAXINT32, G_MININT32,
                                     G_MAXINT64, G_MININT64, G_MININT64 + 1 };
    for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
        gchar buf[RMQ_JSON_INT64_MAX_LEN];
        gsize n = rmq_json_text_format_int64(values[i], buf);
        g_autofree gchar *want = g_strdup_printf("%" G_GINT64_FORMAT, values[i]);
        assert_int_equal(n, strlen(want));
        assert_memory_equal(buf, want, n);
    }
    /* every digit count, at its edges, both signs */
    gint64 p = 1;
    for (guint d = 1; d <= 19; d++) {
        gint64 edges[] = { p, p + 1, p - 1, d < 19 ? p * 10 - 1 : G_MAXINT64 };
        for (guint e = 0; e < G_N_ELEMENTS(edges); e++) {
            for (int sign = 1; sign >= -1; sign -= 2) {
                gint64 v = edges[e] * sign;
                gchar buf[RMQ_JSON_INT64_MAX_LEN];
                gsize n = rmq_json_text_format_int64(v, buf);
                g_autofree gchar *want = g_strdup_printf("%" G_GINT64_FORMAT, v);
                assert_int_equal(n, strlen(want));
                assert_memory_equal(buf, want, n);
            }
        }
        if (d < 19)
            p *= 10;
    }
}

static void
test_string_text(void **state)
{
    /* plain text goes out in one copy, the rest through the escaper */
    g_autoptr(GString) out = g_string_new("x");
    rmq_json_text_append_string(out, "plain", -1);
    rmq_json_text_append_string(out, "", 0);
    rmq_json_text_append_string(out, "a\"b\\c\n\x01\x7f", -1);
    rmq_json_text_append_string(out, "caf\xc3\xa9", -1);
    assert_string_equal(out->str, "x\"plain\"\"\"\"a\\\"b\\\\c\\n\\u0001\\u007F\"\"caf\xc3\xa9\"");
}

/* The escaper against a byte-at-a-time reference: every special byte at
 * every position of strings of 0 to 40 bytes, and runs of them. */
static void
ref_escape(GString *out, const gchar *s, gsize n)
{
    g_string_append_c(out, '"');
    for (gsize i = 0; i < n; i++) {
        guchar c = (guchar) s[i];
        if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", c);
        else if (c == '\n')
            g_string_append(out, "\\n");
        else if (c == '\t')
            g_string_append(out, "\\t");
        else if (c == '\r')
            g_string_append(out, "\\r");
        else if (c == '\b')
            g_string_append(out, "\\b");
        else if (c == '\f')
            g_string_append(out, "\\f");
        else if (c < 0x20 || c == 0x7f)
            g_string_append_printf(out, "\\u%04X", c);
        else
            g_string_append_c(out, (gchar) c);
    }
    g_string_append_c(out, '"');
}

/* rmq_json_scan_plain against a byte at a time: the stop found and the
 * non-ASCII flag, for every length to past two SSE2 blocks, every position
 * of a stop (each kind, with and without DEL stopping) and of a high byte
 * before, at or after it. */
static void
test_scan_plain_every_offset(void **state)
{
    static const guchar stops[] = { '"', '\\', 0x00, 0x01, 0x1f, 0x7f, ' ', 0x80, 0xc3, 0xff };
    for (gsize len = 0; len <= 40; len++) {
        for (gsize at = 0; at <= len; at++) {
            for (guint k = 0; k < G_N_ELEMENTS(stops); k++) {
                for (gsize hi = 0; hi <= len; hi += 3) {
                    for (int del = 0; del < 2; del++) {
                        gchar text[48];
                        for (gsize i = 0; i < len; i++)
                            text[i] = (gchar) ('a' + i % 26);
                        if (hi < len)
                            text[hi] = (gchar) 0xe9;
                        if (at < len)
                            text[at] = (gchar) stops[k];
                        gsize want = 0;
                        gboolean want_high = FALSE;
                        for (; want < len; want++) {
                            guchar c = (guchar) text[want];
                            if (c == '"' || c == '\\' || c < 0x20 || (del && c == 0x7f))
                                break;
                            want_high |= c >= 0x80;
                        }
                        guint64 high = 0;
                        gsize got = rmq_json_scan_plain(text, len, del, &high);
                        assert_int_equal(got, want);
                        /* a high byte of the run always shows; one past the
                         * stop may (the scan reads a block at once) */
                        if (want_high)
                            assert_true((high & RMQ_JSON_SCAN_HIGHS) != 0);
                        gboolean any_high = FALSE;
                        for (gsize i = 0; i < len; i++)
                            any_high |= (guchar) text[i] >= 0x80;
                        if (!any_high)
                            assert_true((high & RMQ_JSON_SCAN_HIGHS) == 0);
                        assert_int_equal(rmq_json_scan_plain(text, len, del, NULL), want);
                    }
                }
            }
        }
    }
}

static void
test_string_text_every_offset(void **state)
{
    static const gchar specials[] = { '"', '\\', '\n', '\x01', '\x1f', 0x7f, '\t', (gchar) 0xc3 };
    for (gsize len = 0; len <= 40; len++) {
        for (gsize at = 0; at <= len; at++) {
            for (guint k = 0; k < G_N_ELEMENTS(specials); k++) {
                gchar text[48];
                for (gsize i = 0; i < len; i++)
                    text[i] = (gchar) ('a' + i % 26);
                if (at < len) {
                    text[at] = specials[k];
                    if (at + 3 < len) /* and a run of them further on */
                        text[at + 2] = text[at + 3] = specials[(k + 1) % G_N_ELEMENTS(specials)];
                }
                g_autoptr(GString) want = g_string_new(NULL);
                ref_escape(want, text, len);
                gchar buf[RMQ_JSON_STRING_MAX_LEN(48)];
                gchar *end = rmq_json_text_put_string(buf, text, len);
                assert_int_equal((gsize) (end - buf), want->len);
                assert_memory_equal(buf, want->str, want->len);
            }
        }
    }
}

static void
test_head_then_body_is_the_frame(void **state)
{
    for (int binary = 0; binary < 2; binary++) {
        for (gsize size = 0; size <= 8192; size += 4096) {
            g_autoptr(RmqCommand) cmd = rmq_command_new_request(11);
            cmd->serialize_type = binary ? RMQ_SERIALIZE_ROCKETMQ : RMQ_SERIALIZE_JSON;
            cmd->opaque = -5;
            rmq_command_set_ext(cmd, "topic", "T\"1");
            rmq_command_set_remark(cmd, "r");
            if (size > 0) {
                g_autofree gchar *body = g_strnfill(size, 'z');
                rmq_command_set_body_data(cmd, body, size);
            }
            g_autoptr(GBytes) whole = rmq_codec_encode(cmd);
            g_autoptr(GBytes) head = rmq_codec_encode_head(cmd);
            g_autoptr(GByteArray) joined = g_byte_array_new();
            g_byte_array_append(joined, g_bytes_get_data(head, NULL), (guint) g_bytes_get_size(head));
            if (cmd->body != NULL)
                g_byte_array_append(joined, g_bytes_get_data(cmd->body, NULL),
                                    (guint) g_bytes_get_size(cmd->body));
            assert_int_equal(joined->len, g_bytes_get_size(whole));
            assert_memory_equal(joined->data, g_bytes_get_data(whole, NULL), joined->len);

            RmqCommand *back = NULL;
            gsize used = 0;
            g_autoptr(GError) error = NULL;
            assert_int_equal(rmq_codec_decode_frame(joined->data, joined->len, 0, &back, &used, &error),
                             RMQ_DECODE_OK);
            assert_int_equal(used, joined->len);
            assert_int_equal(back->opaque, -5);
            assert_string_equal(rmq_command_get_ext(back, "topic"), "T\"1");
            assert_int_equal(back->body != NULL ? g_bytes_get_size(back->body) : 0, size);
            rmq_command_free(back);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaped_and_plain_names_meet),
        cmocka_unit_test(test_known_members_any_spelling),
        cmocka_unit_test(test_bad_utf8_in_place_rejected),
        cmocka_unit_test(test_special_byte_at_every_offset),
        cmocka_unit_test(test_one_byte_keys_agree_with_glib),
        cmocka_unit_test(test_word_scans_agree_with_glib),
        cmocka_unit_test(test_encoder_room_grows),
        cmocka_unit_test(test_header_ints_agree_with_glib),
        cmocka_unit_test(test_arena_keeps_every_field),
        cmocka_unit_test(test_plain_fields_encode_alike),
        cmocka_unit_test(test_body_outlives_command),
        cmocka_unit_test(test_ext_integers_match_glib),
        cmocka_unit_test(test_int64_text),
        cmocka_unit_test(test_string_text),
        cmocka_unit_test(test_scan_plain_every_offset),
        cmocka_unit_test(test_copy_short_exact),
        cmocka_unit_test(test_parse_int64_len_matches_glib),
        cmocka_unit_test(test_string_text_every_offset),
        cmocka_unit_test(test_head_then_body_is_the_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
