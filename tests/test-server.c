/* RmqServer and RmqConnection over real loopback sockets: dispatch, one-way,
 * unknown codes, broken peers, partial frames, large bodies, back-pressure,
 * idle timeout, close callbacks, listen errors, server-initiated requests. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "remoting/client.h"
#include "remoting/codec.h"
#include "remoting/server.h"
#include "support/net-util.h"

#define CODE_ECHO 9001
#define CODE_HOLD 9002      /* answered later, in reverse order, by the test */
#define CODE_BIG_ECHO 9003  /* echo, recording the server's queue size */
#define CODE_UNKNOWN 9999
#define WAIT_MS 5000

typedef struct {
    RmqServer *server;
    guint16 port;
    gchar *addr;
    RmqClient *client;
    guint echo_calls;
    guint gate_calls;
    GPtrArray *held;          /* of RmqCommand (requests for CODE_HOLD) */
    RmqConnection *held_conn; /* ref */
    guint opened;
    guint closed;
    RmqConnection *last_opened;       /* weak, compared by pointer only */
    RmqConnection *last_closed;
    gchar *last_close_reason;
    gboolean stop_in_open;
    gsize max_queued;
    gboolean saw_paused;
    guint data_destroyed;
} Fixture;

static RmqCommand *
echo_of(const RmqCommand *request)
{
    RmqCommand *response = rmq_command_new_response(request, 0, request->remark);
    for (guint i = 0; request->ext != NULL && i < request->ext->len; i++) {
        const RmqExtField *f = &g_array_index(request->ext, RmqExtField, i);
        rmq_command_set_ext(response, f->key, f->value);
    }
    rmq_command_set_body(response, request->body);
    return response;
}

static void
on_echo(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    Fixture *f = user_data;
    f->echo_calls++;
    /* Handlers always try: the connection must drop answers to one-way requests. */
    rmq_connection_send_response(conn, request, echo_of(request));
    rmq_command_free(request);
}

static void
on_big_echo(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    Fixture *f = user_data;
    f->echo_calls++;
    rmq_connection_send_response(conn, request, echo_of(request));
    f->max_queued = MAX(f->max_queued, rmq_connection_get_queued_bytes(conn));
    if (rmq_connection_is_reading_paused(conn))
        f->saw_paused = TRUE;
    rmq_command_free(request);
}

static void
on_hold(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    Fixture *f = user_data;
    if (f->held_conn == NULL)
        f->held_conn = rmq_connection_ref(conn);
    g_assert_true(f->held_conn == conn);
    g_ptr_array_add(f->held, request);
}

static void
on_open(RmqConnection *conn, gpointer user_data)
{
    Fixture *f = user_data;
    f->opened++;
    f->last_opened = conn;
    if (f->stop_in_open)
        rmq_server_stop_accepting(f->server);
}

static void
on_close(RmqConnection *conn, gpointer user_data)
{
    Fixture *f = user_data;
    f->closed++;
    f->last_closed = conn;
    g_free(f->last_close_reason);
    f->last_close_reason = g_strdup(rmq_connection_get_close_reason(conn));
    g_assert_true(rmq_connection_is_closed(conn));
}

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->server = rmq_server_new("test");
    rmq_server_register(f->server, CODE_ECHO, on_echo, f);
    rmq_server_register(f->server, CODE_HOLD, on_hold, f);
    rmq_server_register(f->server, CODE_BIG_ECHO, on_big_echo, f);
    rmq_server_set_connection_callbacks(f->server, on_open, on_close, f);
    g_autoptr(GError) error = NULL;
    assert_true(rmq_server_listen(f->server, "127.0.0.1", 0, &error));
    f->port = rmq_server_get_port(f->server);
    assert_int_not_equal(f->port, 0);
    f->addr = g_strdup_printf("127.0.0.1:%u", f->port);
    f->client = rmq_client_new(NULL);
    f->held = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_command_free);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;
    rmq_client_free(f->client);
    g_ptr_array_unref(f->held);
    if (f->held_conn != NULL)
        rmq_connection_unref(f->held_conn);
    rmq_server_free(f->server);
    /* Let deferred callbacks and closes settle so the next test starts clean. */
    rmq_test_spin(NULL, 10);
    g_free(f->addr);
    g_free(f->last_close_reason);
    g_free(f);
    return 0;
}

static RmqCommand *
request_with_seq(gint32 code, guint seq)
{
    RmqCommand *req = rmq_command_new_request(code);
    g_autofree gchar *s = g_strdup_printf("%u", seq);
    rmq_command_set_ext(req, "seq", s);
    return req;
}

/* Frame bytes for a request with @opaque and @flag. */
static GBytes *
raw_request(gint32 code, gint32 opaque, gint32 flag, RmqSerializeType type)
{
    g_autoptr(RmqCommand) req = rmq_command_new_request(code);
    req->opaque = opaque;
    req->flag = flag;
    req->serialize_type = type;
    rmq_command_set_ext(req, "topic", "TopicTest");
    return rmq_codec_encode(req);
}

static gboolean
raw_send(GSocket *s, GBytes *frame)
{
    gsize len;
    const void *data = g_bytes_get_data(frame, &len);
    return rmq_test_raw_write(NULL, s, data, len, WAIT_MS);
}

/* --- tests ------------------------------------------------------------------- */

static void
test_echo_round_trip(void **state)
{
    Fixture *f = *state;
    g_autoptr(RmqCommand) req = rmq_command_new_request(CODE_ECHO);
    rmq_command_set_ext(req, "topic", "TopicTest");
    rmq_command_set_remark(req, "hello");
    rmq_command_set_body_data(req, "payload", 7);

    g_autoptr(GError) error = NULL;
    RmqCommand *copy = rmq_command_new_request(CODE_ECHO);
    rmq_command_set_ext(copy, "topic", "TopicTest");
    rmq_command_set_remark(copy, "hello");
    rmq_command_set_body_data(copy, "payload", 7);
    g_autoptr(RmqCommand) resp = rmq_client_invoke_sync(f->client, f->addr, copy, WAIT_MS, &error);
    assert_null(error);
    assert_non_null(resp);
    assert_true(rmq_command_is_response(resp));
    assert_int_equal(resp->code, 0);
    assert_string_equal(resp->remark, "hello");
    assert_string_equal(rmq_command_get_ext(resp, "topic"), "TopicTest");
    assert_non_null(resp->body);
    assert_int_equal(g_bytes_get_size(resp->body), 7);
    assert_memory_equal(g_bytes_get_data(resp->body, NULL), "payload", 7);
    assert_int_equal(f->echo_calls, 1);
    assert_int_equal(f->opened, 1);
    assert_int_equal(rmq_server_get_connection_count(f->server), 1);

    /* Addresses: the server sees the client's local address as its peer. */
    RmqConnection *cc = rmq_client_get_connection(f->client, f->addr);
    assert_non_null(cc);
    assert_string_equal(rmq_connection_get_peer(cc), f->addr);
    assert_string_equal(rmq_connection_get_peer(f->last_opened), rmq_connection_get_local(cc));
    assert_true(g_str_has_prefix(rmq_connection_get_peer(f->last_opened), "127.0.0.1:"));

    /* The connection is reused. */
    g_autoptr(RmqCommand) resp2 =
        rmq_client_invoke_sync(f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                               &error);
    assert_non_null(resp2);
    assert_int_equal(f->opened, 1);
}

typedef struct {
    guint done;
    guint mismatched;
    guint failed;
} PipeState;

typedef struct {
    PipeState *ps;
    guint seq;
} PipeCall;

static void
on_pipe_response(RmqCommand *response, const GError *error, gpointer user_data)
{
    PipeCall *call = user_data;
    call->ps->done++;
    gint64 seq = -1;
    if (response == NULL)
        call->ps->failed++;
    else if (!rmq_command_get_ext_int64(response, "seq", &seq) || seq != call->seq)
        call->ps->mismatched++;
    if (response != NULL)
        rmq_command_free(response);
    g_free(call);
}

static void
test_pipelined_out_of_order(void **state)
{
    Fixture *f = *state;
    PipeState ps = { 0 };
    const guint n = 100;
    for (guint i = 0; i < n; i++) {
        PipeCall *call = g_new0(PipeCall, 1);
        call->ps = &ps;
        call->seq = i;
        rmq_client_invoke_async(f->client, f->addr, request_with_seq(CODE_HOLD, i), WAIT_MS,
                                on_pipe_response, call);
    }
    assert_true(rmq_test_wait_count(NULL, &f->held->len, n, WAIT_MS));
    assert_int_equal(ps.done, 0);
    assert_int_equal(f->opened, 1); /* all on one connection */

    /* Answer in a scrambled order: reverse odd ones, then even ones. */
    for (gint i = (gint) n - 1; i >= 0; i -= 2) {
        RmqCommand *req = g_ptr_array_index(f->held, i);
        rmq_connection_send_response(f->held_conn, req, echo_of(req));
    }
    for (guint i = 0; i < n; i += 2) {
        RmqCommand *req = g_ptr_array_index(f->held, i);
        rmq_connection_send_response(f->held_conn, req, echo_of(req));
    }
    assert_true(rmq_test_wait_count(NULL, &ps.done, n, WAIT_MS));
    assert_int_equal(ps.failed, 0);
    assert_int_equal(ps.mismatched, 0);
}

static void
test_oneway_gets_no_reply(void **state)
{
    Fixture *f = *state;
    g_autoptr(GSocket) s = rmq_test_raw_connect(f->port);
    g_autoptr(GByteArray) buf = g_byte_array_new();
    g_autoptr(GBytes) oneway = raw_request(CODE_ECHO, 7, RMQ_FLAG_ONEWAY, RMQ_SERIALIZE_JSON);
    g_autoptr(GBytes) unknown_oneway =
        raw_request(CODE_UNKNOWN, 8, RMQ_FLAG_ONEWAY, RMQ_SERIALIZE_JSON);
    g_autoptr(GBytes) normal = raw_request(CODE_ECHO, 9, 0, RMQ_SERIALIZE_JSON);
    assert_true(raw_send(s, oneway));
    assert_true(raw_send(s, unknown_oneway));
    assert_true(rmq_test_wait_count(NULL, &f->echo_calls, 1, WAIT_MS));
    assert_true(rmq_test_raw_expect_silence(NULL, s, buf, 100));
    /* The next thing on the wire is the answer to the normal request. */
    assert_true(raw_send(s, normal));
    g_autoptr(RmqCommand) resp = rmq_test_raw_read_command(NULL, s, buf, WAIT_MS);
    assert_non_null(resp);
    assert_int_equal(resp->opaque, 9);
    assert_int_equal(f->echo_calls, 2);
}

static void
check_unknown_code(Fixture *f, RmqSerializeType type)
{
    g_autoptr(GSocket) s = rmq_test_raw_connect(f->port);
    g_autoptr(GByteArray) buf = g_byte_array_new();
    g_autoptr(GBytes) req = raw_request(CODE_UNKNOWN, 42, 0, type);
    assert_true(raw_send(s, req));
    g_autoptr(RmqCommand) resp = rmq_test_raw_read_command(NULL, s, buf, WAIT_MS);
    assert_non_null(resp);
    assert_true(rmq_command_is_response(resp));
    assert_int_equal(resp->code, 3);
    assert_int_equal(resp->opaque, 42);
    assert_string_equal(resp->remark, " request type 9999 not supported");
    assert_int_equal(resp->serialize_type, type);
    /* The frame's type byte says so too. */
    g_autoptr(GBytes) again = raw_request(CODE_UNKNOWN, 43, 0, type);
    assert_true(raw_send(s, again));
    assert_true(rmq_test_raw_read_at_least(NULL, s, buf, 8, WAIT_MS));
    assert_int_equal(buf->data[4], (guint8) type);
    g_autoptr(RmqCommand) resp2 = rmq_test_raw_read_command(NULL, s, buf, WAIT_MS);
    assert_non_null(resp2);
    assert_int_equal(resp2->opaque, 43);
}

static void
test_unknown_code_json(void **state)
{
    check_unknown_code(*state, RMQ_SERIALIZE_JSON);
}

static void
test_unknown_code_rocketmq(void **state)
{
    check_unknown_code(*state, RMQ_SERIALIZE_ROCKETMQ);
}

/* A command table: a row with flags passes the gate first, which may answer
 * in the handler's place; a row without flags goes straight to its handler;
 * codes past the index range (by hash) behave the same. */
#define CODE_GATED 120
#define CODE_PLAIN 121
#define CODE_FAR 70000

static gboolean
refuse_odd_flags(RmqConnection *conn, RmqCommand *request, const RmqServerCommand *command,
                 gpointer user_data)
{
    Fixture *f = user_data;
    assert_int_equal(command->code, request->code);
    f->gate_calls++;
    if (!(command->flags & 1))
        return FALSE;
    rmq_connection_send_response(conn, request,
                                 rmq_command_new_response(request, 77, command->detail));
    rmq_command_free(request);
    return TRUE;
}

static void
test_command_table_gate(void **state)
{
    Fixture *f = *state;
    static const RmqServerCommand table[] = {
        { CODE_GATED, "GATED", on_echo, 1, "refused by the gate" },
        { CODE_PLAIN, "PLAIN", on_echo, 0, NULL },
        { CODE_FAR, "FAR", on_echo, 2, NULL },
    };
    rmq_server_register_table(f->server, table, G_N_ELEMENTS(table), refuse_odd_flags, f);
    assert_ptr_equal(rmq_server_lookup(f->server, CODE_GATED), &table[0]);
    assert_ptr_equal(rmq_server_lookup(f->server, CODE_FAR), &table[2]);
    assert_null(rmq_server_lookup(f->server, CODE_ECHO)); /* plain registration */
    assert_null(rmq_server_lookup(f->server, CODE_UNKNOWN));

    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) r1 = rmq_client_invoke_sync(
        f->client, f->addr, rmq_command_new_request(CODE_GATED), WAIT_MS, &error);
    assert_non_null(r1);
    assert_int_equal(r1->code, 77);
    assert_string_equal(r1->remark, "refused by the gate");
    assert_int_equal(f->gate_calls, 1);
    assert_int_equal(f->echo_calls, 0);
    g_autoptr(RmqCommand) r2 = rmq_client_invoke_sync(
        f->client, f->addr, rmq_command_new_request(CODE_PLAIN), WAIT_MS, &error);
    assert_non_null(r2);
    assert_int_equal(r2->code, 0);
    assert_int_equal(f->gate_calls, 1); /* no flags, no gate */
    assert_int_equal(f->echo_calls, 1);
    g_autoptr(RmqCommand) r3 = rmq_client_invoke_sync(
        f->client, f->addr, rmq_command_new_request(CODE_FAR), WAIT_MS, &error);
    assert_non_null(r3);
    assert_int_equal(r3->code, 0);
    assert_int_equal(f->gate_calls, 2);
    assert_int_equal(f->echo_calls, 2);

    /* a plain registration replaces the row: no gate any more */
    rmq_server_register(f->server, CODE_GATED, on_echo, f);
    assert_null(rmq_server_lookup(f->server, CODE_GATED));
    g_autoptr(RmqCommand) r4 = rmq_client_invoke_sync(
        f->client, f->addr, rmq_command_new_request(CODE_GATED), WAIT_MS, &error);
    assert_non_null(r4);
    assert_int_equal(r4->code, 0);
    assert_int_equal(f->gate_calls, 2);
    assert_int_equal(f->echo_calls, 3);
}

/* A broken peer is disconnected; a healthy session on the same server carries on. */
static void
check_malformed(Fixture *f, const guint8 *bad, gsize len, const gchar *reason_part)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) before =
        rmq_client_invoke_sync(f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                               &error);
    assert_non_null(before);
    RmqConnection *good = rmq_client_get_connection(f->client, f->addr);
    assert_non_null(good);

    g_autoptr(GSocket) s = rmq_test_raw_connect(f->port);
    assert_true(rmq_test_wait_count(NULL, &f->opened, 2, WAIT_MS));
    RmqConnection *bad_conn = f->last_opened;
    assert_true(rmq_test_raw_write(NULL, s, bad, len, WAIT_MS));
    assert_true(rmq_test_raw_wait_closed(NULL, s, WAIT_MS));
    assert_true(rmq_test_wait_count(NULL, &f->closed, 1, WAIT_MS));
    assert_true(f->last_closed == bad_conn);
    if (reason_part != NULL && strstr(f->last_close_reason, reason_part) == NULL)
        fail_msg("close reason \"%s\" lacks \"%s\"", f->last_close_reason, reason_part);

    g_autoptr(RmqCommand) after =
        rmq_client_invoke_sync(f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                               &error);
    assert_null(error);
    assert_non_null(after);
    assert_true(rmq_client_get_connection(f->client, f->addr) == good);
    assert_int_equal(rmq_server_get_connection_count(f->server), 1);
}

static void
test_malformed_header_length(void **state)
{
    /* total 12, header length 100 > 12 - 4 */
    const guint8 bad[] = { 0, 0, 0, 12, 0, 0, 0, 100, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x' };
    check_malformed(*state, bad, sizeof bad, NULL);
}

static void
test_malformed_garbage_json(void **state)
{
    const gchar json[] = "{this is not json";
    g_autoptr(GByteArray) frame = g_byte_array_new();
    guint32 hl = sizeof json - 1;
    guint32 total = GUINT32_TO_BE(4 + hl);
    guint32 word = GUINT32_TO_BE(hl);
    g_byte_array_append(frame, (guint8 *) &total, 4);
    g_byte_array_append(frame, (guint8 *) &word, 4);
    g_byte_array_append(frame, (const guint8 *) json, hl);
    check_malformed(*state, frame->data, frame->len, NULL);
}

static void
test_malformed_oversized(void **state)
{
    /* Only the length word: the server must not wait for 2 GiB to arrive. */
    const guint8 bad[] = { 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 10 };
    check_malformed(*state, bad, sizeof bad, NULL);
}

/* Counts "closing" warnings on their way to the default writer. */
static guint closing_warnings;

static GLogWriterOutput
counting_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
    for (gsize i = 0; i < n_fields; i++) {
        if ((level & G_LOG_LEVEL_WARNING) && g_str_equal(fields[i].key, "MESSAGE") &&
            fields[i].length < 0 && g_str_has_prefix(fields[i].value, "closing "))
            closing_warnings++;
    }
    return g_log_writer_default(level, fields, n_fields, data);
}

/* 200 connections each sending a bad frame: every one is closed, the warnings
 * about them are a handful (rate-limited per peer address), and a healthy
 * session is still served. */
static void
test_malformed_flood_rate_limited(void **state)
{
    Fixture *f = *state;
    const guint8 bad[] = { 0, 0, 0, 12, 0, 0, 0, 100, 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x' };
    guint before = closing_warnings;
    for (guint i = 0; i < 200; i++) {
        g_autoptr(GSocket) s = rmq_test_raw_connect(f->port);
        assert_true(rmq_test_raw_write(NULL, s, bad, sizeof bad, WAIT_MS));
        assert_true(rmq_test_raw_wait_closed(NULL, s, WAIT_MS));
    }
    assert_true(rmq_test_wait_count(NULL, &f->closed, 200, WAIT_MS));
    guint warned = closing_warnings - before;
    assert_true(warned <= 5);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) after =
        rmq_client_invoke_sync(f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                               &error);
    assert_non_null(after);
}

static void
test_truncated_then_closed(void **state)
{
    Fixture *f = *state;
    g_autoptr(GBytes) frame = raw_request(CODE_ECHO, 1, 0, RMQ_SERIALIZE_JSON);
    gsize len;
    const guint8 *data = g_bytes_get_data(frame, &len);
    g_autoptr(GSocket) s = rmq_test_raw_connect(f->port);
    assert_true(rmq_test_raw_write(NULL, s, data, len / 2, WAIT_MS));
    rmq_test_spin(NULL, 20);
    g_socket_close(s, NULL);
    assert_true(rmq_test_wait_count(NULL, &f->closed, 1, WAIT_MS));
    assert_non_null(strstr(f->last_close_reason, "inside a frame"));
    assert_int_equal(f->echo_calls, 0);
}

static void
test_one_byte_writes(void **state)
{
    Fixture *f = *state;
    g_autoptr(RmqCommand) req = rmq_command_new_request(CODE_ECHO);
    req->opaque = 77;
    rmq_command_set_ext(req, "k", "v");
    rmq_command_set_body_data(req, "abc", 3);
    g_autoptr(GBytes) frame = rmq_codec_encode(req);
    gsize len;
    const guint8 *data = g_bytes_get_data(frame, &len);
    g_autoptr(GSocket) s = rmq_test_raw_connect(f->port);
    g_autoptr(GByteArray) buf = g_byte_array_new();
    for (gsize i = 0; i < len; i++) {
        assert_true(rmq_test_raw_write(NULL, s, data + i, 1, WAIT_MS));
        /* Let the server read each byte on its own. */
        while (g_main_context_iteration(NULL, FALSE))
            ;
        if (i + 1 < len)
            assert_int_equal(f->echo_calls, 0);
    }
    g_autoptr(RmqCommand) resp = rmq_test_raw_read_command(NULL, s, buf, WAIT_MS);
    assert_non_null(resp);
    assert_int_equal(resp->opaque, 77);
    assert_string_equal(rmq_command_get_ext(resp, "k"), "v");
    assert_int_equal(g_bytes_get_size(resp->body), 3);
    assert_int_equal(f->echo_calls, 1);
}

static void
test_large_body(void **state)
{
    Fixture *f = *state;
    const gsize size = 8 * 1024 * 1024;
    g_autofree guint8 *body = g_malloc(size);
    GRand *rand = g_rand_new_with_seed(1234);
    for (gsize i = 0; i < size; i += 4) {
        guint32 r = g_rand_int(rand);
        memcpy(body + i, &r, 4);
    }
    g_rand_free(rand);
    RmqCommand *req = rmq_command_new_request(CODE_ECHO);
    rmq_command_set_body_data(req, body, size);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) resp = rmq_client_invoke_sync(f->client, f->addr, req, 20000, &error);
    assert_null(error);
    assert_non_null(resp);
    assert_non_null(resp->body);
    assert_int_equal(g_bytes_get_size(resp->body), size);
    assert_memory_equal(g_bytes_get_data(resp->body, NULL), body, size);
}

/* A peer that sends a lot and never reads: the server stops reading from it
 * instead of queueing every answer; once the peer reads, everything flows. */
static void
test_back_pressure(void **state)
{
    Fixture *f = *state;
    const gsize body_size = 256 * 1024;
    const guint n = 200; /* 50 MiB of answers in total */
    g_autofree guint8 *body = g_malloc0(body_size);
    g_autoptr(RmqCommand) req = rmq_command_new_request(CODE_BIG_ECHO);
    rmq_command_set_body_data(req, body, body_size);
    g_autoptr(GBytes) frame = rmq_codec_encode(req);
    gsize flen;
    const guint8 *fdata = g_bytes_get_data(frame, &flen);

    g_autoptr(GSocket) s = rmq_test_raw_connect(f->port);
    /* Send without reading until the kernel refuses more for a while. */
    guint sent = 0;
    gsize off = 0;
    gint64 stall_since = 0;
    while (sent < n) {
        while (g_main_context_iteration(NULL, FALSE))
            ;
        gssize w = g_socket_send(s, (const gchar *) fdata + off, flen - off, NULL, NULL);
        if (w > 0) {
            stall_since = 0;
            off += (gsize) w;
            if (off == flen) {
                off = 0;
                sent++;
            }
            continue;
        }
        if (stall_since == 0)
            stall_since = g_get_monotonic_time();
        else if (g_get_monotonic_time() - stall_since > 300 * 1000)
            break;
        g_usleep(1000);
    }
    /* The sender stalled: the server stopped reading before all was sent. */
    assert_true(sent < n);
    assert_true(f->saw_paused);
    assert_true(f->echo_calls < n);
    /* Queued output stayed bounded: high-water mark plus one answer. */
    assert_true(f->max_queued <= RMQ_CONNECTION_HIGH_WATER + flen + 1024);

    /* Now read everything and finish sending: every request is answered. */
    g_autoptr(GByteArray) buf = g_byte_array_new();
    guint answers = 0;
    gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (!(sent == n && answers == n) && g_get_monotonic_time() < deadline) {
        while (g_main_context_iteration(NULL, FALSE))
            ;
        guint8 tmp[65536];
        gssize r = g_socket_receive(s, (gchar *) tmp, sizeof tmp, NULL, NULL);
        if (r > 0)
            g_byte_array_append(buf, tmp, (guint) r);
        for (;;) {
            RmqCommand *cmd = NULL;
            gsize used = 0;
            if (rmq_codec_decode_frame(buf->data, buf->len, 0, &cmd, &used, NULL) != RMQ_DECODE_OK)
                break;
            g_byte_array_remove_range(buf, 0, (guint) used);
            assert_int_equal(g_bytes_get_size(cmd->body), body_size);
            rmq_command_free(cmd);
            answers++;
        }
        /* Keep sending the rest meanwhile. */
        if (sent < n) {
            gssize w = g_socket_send(s, (const gchar *) fdata + off, flen - off, NULL, NULL);
            if (w > 0) {
                off += (gsize) w;
                if (off == flen) {
                    off = 0;
                    sent++;
                }
            }
        }
        if (r <= 0)
            g_usleep(200);
    }
    assert_int_equal(sent, n);
    assert_int_equal(answers, n);
    assert_int_equal(f->echo_calls, n);
    assert_true(f->max_queued <= RMQ_CONNECTION_HIGH_WATER + flen + 1024);
}

static void
test_idle_timeout(void **state)
{
    Fixture *f = *state;
    rmq_server_set_idle_timeout(f->server, 1);
    g_autoptr(GSocket) idle = rmq_test_raw_connect(f->port);
    assert_true(rmq_test_wait_count(NULL, &f->opened, 1, WAIT_MS));
    RmqConnection *idle_conn = f->last_opened;
    g_autoptr(GSocket) busy = rmq_test_raw_connect(f->port);
    assert_true(rmq_test_wait_count(NULL, &f->opened, 2, WAIT_MS));
    g_autoptr(GByteArray) buf = g_byte_array_new();

    /* The busy one talks every 200 ms; only the silent one is closed. */
    for (guint i = 0; i < 10 && f->closed == 0; i++) {
        g_autoptr(GBytes) req = raw_request(CODE_ECHO, (gint32) i, 0, RMQ_SERIALIZE_JSON);
        assert_true(raw_send(busy, req));
        g_autoptr(RmqCommand) resp = rmq_test_raw_read_command(NULL, busy, buf, WAIT_MS);
        assert_non_null(resp);
        rmq_test_spin(NULL, 200);
    }
    assert_true(rmq_test_wait_count(NULL, &f->closed, 1, WAIT_MS));
    assert_true(f->last_closed == idle_conn);
    assert_non_null(strstr(f->last_close_reason, "idle"));
    assert_true(rmq_test_raw_wait_closed(NULL, idle, WAIT_MS));
    assert_int_equal(rmq_server_get_connection_count(f->server), 1);
}

/* Slowloris: one peer trickles a frame a byte at a time (each byte resets the
 * idle timer), another connects and says nothing; a third sends whole frames.
 * Only the first two are closed, for not finishing a frame in time. */
static void
test_frame_deadline(void **state)
{
    Fixture *f = *state;
    rmq_server_set_frame_timeout(f->server, 1);
    g_autoptr(GSocket) silent = rmq_test_raw_connect(f->port);
    assert_true(rmq_test_wait_count(NULL, &f->opened, 1, WAIT_MS));
    g_autoptr(GSocket) slow = rmq_test_raw_connect(f->port);
    assert_true(rmq_test_wait_count(NULL, &f->opened, 2, WAIT_MS));
    g_autoptr(RmqConnection) slow_conn = rmq_connection_ref(f->last_opened);
    g_autoptr(GSocket) busy = rmq_test_raw_connect(f->port);
    assert_true(rmq_test_wait_count(NULL, &f->opened, 3, WAIT_MS));
    g_autoptr(GByteArray) buf = g_byte_array_new();
    g_autoptr(GBytes) frame = raw_request(CODE_ECHO, 1, 0, RMQ_SERIALIZE_JSON);
    gsize len;
    const guint8 *data = g_bytes_get_data(frame, &len);

    /* 3 s of traffic on the slow and busy peers: a byte, a whole frame. */
    gboolean slow_closed = FALSE;
    for (guint i = 0; i < 15 && i + 1 < len; i++) {
        if (!slow_closed && !rmq_test_raw_write(NULL, slow, data + i, 1, WAIT_MS))
            slow_closed = TRUE;
        g_autoptr(GBytes) req = raw_request(CODE_ECHO, (gint32) i, 0, RMQ_SERIALIZE_JSON);
        assert_true(raw_send(busy, req));
        g_autoptr(RmqCommand) resp = rmq_test_raw_read_command(NULL, busy, buf, WAIT_MS);
        assert_non_null(resp);
        rmq_test_spin(NULL, 200);
    }
    assert_true(rmq_test_wait_count(NULL, &f->closed, 2, WAIT_MS));
    assert_true(rmq_test_raw_wait_closed(NULL, silent, WAIT_MS));
    assert_true(rmq_test_raw_wait_closed(NULL, slow, WAIT_MS));
    assert_int_equal(rmq_server_get_connection_count(f->server), 1);
    /* Closed for its frame, well before the default idle timeout. */
    assert_true(rmq_connection_is_closed(slow_conn));
    assert_non_null(strstr(rmq_connection_get_close_reason(slow_conn),
                           "frame not finished within 1 s"));
    assert_int_equal(f->echo_calls, 15);
}

/* A frame finished in time resets the deadline: a peer sending a frame in two
 * halves 600 ms apart, three times over, is served. */
static void
test_frame_deadline_resets(void **state)
{
    Fixture *f = *state;
    rmq_server_set_frame_timeout(f->server, 1);
    g_autoptr(GSocket) s = rmq_test_raw_connect(f->port);
    g_autoptr(GByteArray) buf = g_byte_array_new();
    for (gint32 i = 0; i < 3; i++) {
        g_autoptr(GBytes) frame = raw_request(CODE_ECHO, i, 0, RMQ_SERIALIZE_JSON);
        gsize len;
        const guint8 *data = g_bytes_get_data(frame, &len);
        assert_true(rmq_test_raw_write(NULL, s, data, len / 2, WAIT_MS));
        rmq_test_spin(NULL, 600);
        assert_true(rmq_test_raw_write(NULL, s, data + len / 2, len - len / 2, WAIT_MS));
        g_autoptr(RmqCommand) resp = rmq_test_raw_read_command(NULL, s, buf, WAIT_MS);
        assert_non_null(resp);
        assert_int_equal(resp->opaque, i);
        rmq_test_spin(NULL, 600);
    }
    assert_int_equal(f->closed, 0);
}

static void
count_destroy(gpointer data)
{
    Fixture *f = data;
    f->data_destroyed++;
}

static void
test_close_callback(void **state)
{
    Fixture *f = *state;
    g_autoptr(GSocket) s = rmq_test_raw_connect(f->port);
    assert_true(rmq_test_wait_count(NULL, &f->opened, 1, WAIT_MS));
    RmqConnection *conn = f->last_opened;
    rmq_connection_set_data(conn, f, count_destroy);
    assert_ptr_equal(rmq_connection_get_data(conn), f);
    assert_int_equal(rmq_server_get_connection_count(f->server), 1);
    g_socket_close(s, NULL);
    assert_true(rmq_test_wait_count(NULL, &f->closed, 1, WAIT_MS));
    assert_ptr_equal(f->last_closed, conn);
    assert_string_equal(f->last_close_reason, "closed by peer");
    assert_int_equal(rmq_server_get_connection_count(f->server), 0);
    /* The server dropped its reference: the connection and its data are gone. */
    assert_int_equal(f->data_destroyed, 1);
}

static void
test_listen_twice_fails(void **state)
{
    Fixture *f = *state;
    g_autoptr(RmqServer) other = rmq_server_new("other");
    g_autoptr(GError) error = NULL;
    assert_false(rmq_server_listen(other, "127.0.0.1", f->port, &error));
    assert_non_null(error);
    g_autofree gchar *expect =
        g_strdup_printf("cannot listen on 127.0.0.1:%u: Address already in use", f->port);
    assert_string_equal(error->message, expect);
    g_clear_error(&error);
    assert_false(rmq_server_listen(other, "not-an-ip", 0, &error));
    assert_non_null(error);
    /* A second port on the same server works (broker: listenPort and listenPort-2). */
    g_clear_error(&error);
    assert_true(rmq_server_listen(f->server, "127.0.0.1", 0, &error));
    assert_int_equal(rmq_server_get_port(f->server), f->port);
}

static void
test_stop_accepting_keeps_sessions(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) r1 =
        rmq_client_invoke_sync(f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                               &error);
    assert_non_null(r1);
    rmq_server_stop_accepting(f->server);
    g_autoptr(RmqCommand) r2 =
        rmq_client_invoke_sync(f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                               &error);
    assert_null(error);
    assert_non_null(r2);
    g_autoptr(RmqClient) fresh = rmq_client_new(NULL);
    g_autoptr(RmqCommand) r3 =
        rmq_client_invoke_sync(fresh, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS, &error);
    assert_null(r3);
    assert_true(g_error_matches(error, RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_CONNECT));
}

static void
test_stop_accepting_from_on_open(void **state)
{
    Fixture *f = *state;
    f->stop_in_open = TRUE;
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) r1 =
        rmq_client_invoke_sync(f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                               &error);
    assert_non_null(r1);
    assert_int_equal(f->opened, 1);
    g_autoptr(RmqClient) fresh = rmq_client_new(NULL);
    g_autoptr(RmqCommand) r2 =
        rmq_client_invoke_sync(fresh, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS, &error);
    assert_null(r2);
    assert_true(g_error_matches(error, RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_CONNECT));
    assert_int_equal(rmq_server_get_connection_count(f->server), 1);
}

/* A dual-stack listener shows IPv4 peers as "a.b.c.d:port", not "::ffff:a.b.c.d". */
static void
test_v4_mapped_peer(void **state)
{
    Fixture *f = *state;
    g_autoptr(RmqServer) dual = rmq_server_new("dual");
    rmq_server_set_connection_callbacks(dual, on_open, on_close, f);
    if (!rmq_server_listen(dual, "::", 0, NULL))
        skip(); /* no IPv6 here */
    g_autoptr(GSocket) s = rmq_test_raw_connect(rmq_server_get_port(dual));
    assert_true(rmq_test_wait_count(NULL, &f->opened, 1, WAIT_MS));
    const gchar *peer = rmq_connection_get_peer(f->last_opened);
    g_autoptr(GSocketAddress) local = g_socket_get_local_address(s, NULL);
    g_autofree gchar *expect = g_strdup_printf(
        "127.0.0.1:%u", g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local)));
    assert_string_equal(peer, expect);
    g_autofree gchar *local_expect = g_strdup_printf("127.0.0.1:%u", rmq_server_get_port(dual));
    assert_string_equal(rmq_connection_get_local(f->last_opened), local_expect);
    /* the same address as bytes, as the broker stores a born host */
    guint8 addr[16], len = 0;
    guint16 port = 0;
    static const guint8 lo4[4] = { 127, 0, 0, 1 };
    assert_true(rmq_connection_get_peer_addr(f->last_opened, addr, &len, &port));
    assert_int_equal(len, 4);
    assert_memory_equal(addr, lo4, 4);
    assert_int_equal(port, g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local)));
    /* an IPv6 peer: 16 bytes */
    g_autoptr(GSocket) s6 = g_socket_new(G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
                                         G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) lo6 = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV6);
    g_autoptr(GSocketAddress) to6 = g_inet_socket_address_new(lo6, rmq_server_get_port(dual));
    if (s6 == NULL || !g_socket_connect(s6, to6, NULL, NULL))
        return; /* no ::1 here */
    assert_true(rmq_test_wait_count(NULL, &f->opened, 2, WAIT_MS));
    assert_true(rmq_connection_get_peer_addr(f->last_opened, addr, &len, &port));
    assert_int_equal(len, 16);
    assert_memory_equal(addr, g_inet_address_to_bytes(lo6), 16);
    g_autoptr(GSocketAddress) local6 = g_socket_get_local_address(s6, NULL);
    assert_int_equal(port, g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local6)));
}

/* --- server-initiated requests ------------------------------------------------ */

typedef struct {
    gboolean done;
    RmqCommand *response;
    GError *error;
} Outcome;

static void
on_outcome(RmqCommand *response, const GError *error, gpointer user_data)
{
    Outcome *o = user_data;
    o->done = TRUE;
    o->response = response;
    o->error = error != NULL ? g_error_copy(error) : NULL;
}

static guint client_side_requests;

static void
on_client_side_request(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    client_side_requests++;
    rmq_connection_send_response(conn, request, echo_of(request));
    rmq_command_free(request);
}

static void
test_server_initiated_request(void **state)
{
    Fixture *f = *state;
    client_side_requests = 0;
    rmq_client_set_request_handler(f->client, on_client_side_request, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) r =
        rmq_client_invoke_sync(f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                               &error);
    assert_non_null(r);
    /* Keep it past its close (the server drops its reference then). */
    g_autoptr(RmqConnection) sconn = rmq_connection_ref(f->last_opened);

    Outcome o = { 0 };
    RmqCommand *req = rmq_command_new_request(40); /* NOTIFY_CONSUMER_IDS_CHANGED */
    rmq_command_set_ext(req, "consumerGroup", "g1");
    rmq_connection_send_request(sconn, req, WAIT_MS, on_outcome, &o);
    assert_int_equal(rmq_connection_get_pending_count(sconn), 1);
    assert_true(rmq_test_wait_flag(NULL, &o.done, WAIT_MS));
    assert_null(o.error);
    assert_non_null(o.response);
    assert_string_equal(rmq_command_get_ext(o.response, "consumerGroup"), "g1");
    rmq_command_free(o.response);
    assert_int_equal(rmq_connection_get_pending_count(sconn), 0);

    /* One-way from the server: handled, nothing comes back to match. */
    assert_true(rmq_connection_send_oneway(sconn, rmq_command_new_request(40)));
    assert_true(rmq_test_wait_count(NULL, &client_side_requests, 2, WAIT_MS));

    /* A stray response (unknown opaque) is dropped; the session continues. */
    g_autoptr(RmqCommand) stray = rmq_command_new_request(0);
    stray->flag = RMQ_FLAG_RESPONSE;
    stray->opaque = 123456;
    assert_true(rmq_connection_send(rmq_client_get_connection(f->client, f->addr), stray));
    g_autoptr(RmqCommand) r2 =
        rmq_client_invoke_sync(f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                               &error);
    assert_non_null(r2);

    /* A server-initiated request whose connection closes fails with CLOSED. */
    Outcome o2 = { 0 };
    rmq_client_set_request_handler(f->client, NULL, NULL); /* client now ignores requests */
    rmq_connection_send_request(sconn, rmq_command_new_request(40), WAIT_MS, on_outcome, &o2);
    rmq_client_close_connection(f->client, f->addr);
    assert_true(rmq_test_wait_flag(NULL, &o2.done, WAIT_MS));
    assert_true(g_error_matches(o2.error, RMQ_CONNECTION_ERROR, RMQ_CONNECTION_ERROR_CLOSED));
    g_clear_error(&o2.error);

    /* Sending on the closed connection reports the failure from the loop. */
    Outcome o3 = { 0 };
    rmq_connection_send_request(sconn, rmq_command_new_request(40), WAIT_MS, on_outcome, &o3);
    assert_false(o3.done);
    assert_true(rmq_test_wait_flag(NULL, &o3.done, WAIT_MS));
    assert_true(g_error_matches(o3.error, RMQ_CONNECTION_ERROR, RMQ_CONNECTION_ERROR_CLOSED));
    g_clear_error(&o3.error);
    assert_false(rmq_connection_send(sconn, r2));
}

/* Frames sent while a connection's output is held are queued, not written,
 * until the last release; then they all go out, in order. */
static void
test_output_hold(void **state)
{
    Fixture *f = *state;
    client_side_requests = 0;
    rmq_client_set_request_handler(f->client, on_client_side_request, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) r =
        rmq_client_invoke_sync(f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                               &error);
    assert_non_null(r);
    g_autoptr(RmqConnection) sconn = rmq_connection_ref(f->last_opened);
    assert_int_equal(rmq_connection_get_queued_bytes(sconn), 0);

    rmq_connection_hold_output(sconn);
    rmq_connection_hold_output(sconn); /* nested */
    assert_true(rmq_connection_send_oneway(sconn, rmq_command_new_request(40)));
    gsize one = rmq_connection_get_queued_bytes(sconn);
    assert_true(one > 0); /* not written while held */
    assert_true(rmq_connection_send_oneway(sconn, rmq_command_new_request(40)));
    assert_true(rmq_connection_get_queued_bytes(sconn) > one);
    rmq_connection_release_output(sconn);
    assert_true(rmq_connection_get_queued_bytes(sconn) > one); /* still held once */
    assert_true(rmq_connection_send_oneway(sconn, rmq_command_new_request(40)));
    rmq_connection_release_output(sconn);
    assert_int_equal(rmq_connection_get_queued_bytes(sconn), 0); /* written at the release */
    assert_true(rmq_test_wait_count(NULL, &client_side_requests, 3, WAIT_MS));

    /* Not held: written right away, as before. */
    assert_true(rmq_connection_send_oneway(sconn, rmq_command_new_request(40)));
    assert_int_equal(rmq_connection_get_queued_bytes(sconn), 0);
    assert_true(rmq_test_wait_count(NULL, &client_side_requests, 4, WAIT_MS));
}

int
main(void)
{
    g_log_set_writer_func(counting_writer, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_echo_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oneway_gets_no_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_code_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_code_rocketmq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_header_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_garbage_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_flood_rate_limited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_then_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_byte_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_back_pressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frame_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frame_deadline_resets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listen_twice_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_accepting_keeps_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_accepting_from_on_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v4_mapped_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_initiated_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_table_gate, setup, teardown),
    };
    return cmocka_run_group_tests_name("server", tests, NULL, NULL);
}
