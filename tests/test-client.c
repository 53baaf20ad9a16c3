/* RmqClient over real loopback sockets: timeouts, connect failures, closed
 * connections, reconnect, one-way, address errors, connect timeout. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "remoting/client.h"
#include "remoting/server.h"
#include "support/net-util.h"

#define CODE_ECHO 9001
#define CODE_SILENT 9002 /* never answered */
#define CODE_HANGUP 9003 /* the server closes the connection */
#define CODE_BIG 9004    /* echo of the body */
#define WAIT_MS 5000

typedef struct {
    RmqServer *server;
    gchar *addr;
    RmqClient *client;
    GPtrArray *silent;   /* requests kept unanswered */
    RmqConnection *silent_conn;
    guint echo_calls;
    guint oneway_seen;
    guint opened;
    gpointer outcomes; /* freed after the client, whose teardown may still call back */
} Fixture;

static void
on_echo(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    Fixture *f = user_data;
    f->echo_calls++;
    if (rmq_command_is_oneway(request))
        f->oneway_seen++;
    RmqCommand *response = rmq_command_new_response(request, 0, NULL);
    const gchar *seq = rmq_command_get_ext(request, "seq");
    if (seq != NULL)
        rmq_command_set_ext(response, "seq", seq);
    rmq_connection_send_response(conn, request, response);
    rmq_command_free(request);
}

static void
on_silent(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    Fixture *f = user_data;
    if (f->silent_conn == NULL)
        f->silent_conn = rmq_connection_ref(conn);
    g_ptr_array_add(f->silent, request);
}

static void
on_big(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    RmqCommand *response = rmq_command_new_response(request, 0, NULL);
    rmq_command_set_body(response, request->body);
    rmq_connection_send_response(conn, request, response);
    rmq_command_free(request);
}

static void
on_hangup(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    rmq_command_free(request);
    rmq_connection_close(conn, "test hangs up");
}

static void
on_open(RmqConnection *conn, gpointer user_data)
{
    Fixture *f = user_data;
    f->opened++;
}

static int
setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->server = rmq_server_new("test");
    rmq_server_register(f->server, CODE_ECHO, on_echo, f);
    rmq_server_register(f->server, CODE_SILENT, on_silent, f);
    rmq_server_register(f->server, CODE_HANGUP, on_hangup, f);
    rmq_server_register(f->server, CODE_BIG, on_big, f);
    rmq_server_set_connection_callbacks(f->server, on_open, NULL, f);
    assert_true(rmq_server_listen(f->server, "127.0.0.1", 0, NULL));
    f->addr = g_strdup_printf("127.0.0.1:%u", rmq_server_get_port(f->server));
    f->client = rmq_client_new(NULL);
    f->silent = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_command_free);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    Fixture *f = *state;
    rmq_client_free(f->client);
    g_free(f->outcomes);
    g_ptr_array_unref(f->silent);
    if (f->silent_conn != NULL)
        rmq_connection_unref(f->silent_conn);
    rmq_server_free(f->server);
    rmq_test_spin(NULL, 10);
    g_free(f->addr);
    g_free(f);
    return 0;
}

typedef struct {
    gboolean done;
    RmqCommand *response;
    GError *error;
} Outcome;

static void
on_outcome(RmqCommand *response, const GError *error, gpointer user_data)
{
    Outcome *o = user_data;
    g_assert_false(o->done); /* exactly once */
    o->done = TRUE;
    o->response = response;
    o->error = error != NULL ? g_error_copy(error) : NULL;
}

static void
outcome_clear(Outcome *o)
{
    if (o->response != NULL)
        rmq_command_free(o->response);
    g_clear_error(&o->error);
    memset(o, 0, sizeof *o);
}

static void
test_sync_and_async(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    RmqCommand *req = rmq_command_new_request(CODE_ECHO);
    rmq_command_set_ext(req, "seq", "5");
    g_autoptr(RmqCommand) resp = rmq_client_invoke_sync(f->client, f->addr, req, WAIT_MS, &error);
    assert_null(error);
    assert_non_null(resp);
    assert_string_equal(rmq_command_get_ext(resp, "seq"), "5");

    /* The callback never runs inside invoke_async, even when already connected. */
    Outcome o = { 0 };
    rmq_client_invoke_async(f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                            on_outcome, &o);
    assert_false(o.done);
    assert_true(rmq_test_wait_flag(NULL, &o.done, WAIT_MS));
    assert_null(o.error);
    assert_non_null(o.response);
    assert_int_equal(o.response->code, 0);
    outcome_clear(&o);
    assert_int_equal(f->opened, 1);
}

static void
test_timeout_when_server_never_answers(void **state)
{
    Fixture *f = *state;
    Outcome o = { 0 };
    rmq_client_invoke_async(f->client, f->addr, rmq_command_new_request(CODE_SILENT), 200,
                            on_outcome, &o);
    assert_true(rmq_test_wait_flag(NULL, &o.done, WAIT_MS));
    assert_null(o.response);
    assert_true(g_error_matches(o.error, RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_TIMEOUT));
    outcome_clear(&o);
    assert_int_equal(f->silent->len, 1);

    /* A late answer is dropped and the connection still works. */
    RmqCommand *late_req = g_ptr_array_index(f->silent, 0);
    rmq_connection_send_response(f->silent_conn, late_req,
                                 rmq_command_new_response(late_req, 0, NULL));
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) resp = rmq_client_invoke_sync(
        f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS, &error);
    assert_null(error);
    assert_non_null(resp);
    assert_int_equal(f->opened, 1);
    assert_int_equal(rmq_connection_get_pending_count(rmq_client_get_connection(f->client, f->addr)),
                     0);
}

static void
test_connect_refused(void **state)
{
    Fixture *f = *state;
    g_autofree gchar *nowhere = g_strdup_printf("127.0.0.1:%u", rmq_test_free_port());
    Outcome a = { 0 }, b = { 0 };
    /* Two requests wait for the same failed connect: both fail. */
    rmq_client_invoke_async(f->client, nowhere, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                            on_outcome, &a);
    rmq_client_invoke_async(f->client, nowhere, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                            on_outcome, &b);
    assert_true(rmq_test_wait_flag(NULL, &a.done, WAIT_MS));
    assert_true(rmq_test_wait_flag(NULL, &b.done, WAIT_MS));
    assert_true(g_error_matches(a.error, RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_CONNECT));
    assert_true(g_error_matches(b.error, RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_CONNECT));
    assert_non_null(strstr(a.error->message, nowhere));
    outcome_clear(&a);
    outcome_clear(&b);
    assert_null(rmq_client_get_connection(f->client, nowhere));

    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) r =
        rmq_client_invoke_sync(f->client, nowhere, rmq_command_new_request(CODE_ECHO), WAIT_MS,
                               &error);
    assert_null(r);
    assert_true(g_error_matches(error, RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_CONNECT));
}

static void
test_bad_address(void **state)
{
    Fixture *f = *state;
    const gchar *bad[] = { "no-port-here", "127.0.0.1:", "" };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(RmqCommand) r = rmq_client_invoke_sync(
            f->client, bad[i], rmq_command_new_request(CODE_ECHO), WAIT_MS, &error);
        assert_null(r);
        assert_true(g_error_matches(error, RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_ADDRESS));
    }
}

static void
test_closed_fails_pending_and_reconnects(void **state)
{
    Fixture *f = *state;
    Outcome held = { 0 }, hang = { 0 };
    rmq_client_invoke_async(f->client, f->addr, rmq_command_new_request(CODE_SILENT), WAIT_MS,
                            on_outcome, &held);
    rmq_client_invoke_async(f->client, f->addr, rmq_command_new_request(CODE_HANGUP), WAIT_MS,
                            on_outcome, &hang);
    assert_true(rmq_test_wait_flag(NULL, &held.done, WAIT_MS));
    assert_true(rmq_test_wait_flag(NULL, &hang.done, WAIT_MS));
    assert_true(g_error_matches(held.error, RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_CLOSED));
    assert_true(g_error_matches(hang.error, RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_CLOSED));
    outcome_clear(&held);
    outcome_clear(&hang);
    assert_null(rmq_client_get_connection(f->client, f->addr));

    /* Next use reconnects. */
    g_autoptr(GError) error = NULL;
    g_autoptr(RmqCommand) r = rmq_client_invoke_sync(
        f->client, f->addr, rmq_command_new_request(CODE_ECHO), WAIT_MS, &error);
    assert_null(error);
    assert_non_null(r);
    assert_int_equal(f->opened, 2);
}

/* The broker's stop path: the answer to its last request (or the error when
 * the peer hangs up first) frees the whole client from inside the callback,
 * while the connection is still closing. The close hooks must not touch the
 * freed channel afterwards (a SIGSEGV in on_channel_closed before the fix;
 * ASan names the use after free). Two channels, so one is freed by the other's
 * callback as well. */
typedef struct {
    RmqClient **client;
    guint calls;
} FreeOnError;

static void
on_error_free_client(RmqCommand *response, const GError *error, gpointer user_data)
{
    FreeOnError *c = user_data;
    c->calls++;
    if (response != NULL)
        rmq_command_free(response);
    g_assert_nonnull(error);
    if (*c->client != NULL)
        g_clear_pointer(c->client, rmq_client_free);
}

static void
test_callback_frees_client_during_close(void **state)
{
    Fixture *f = *state;
    g_autoptr(RmqServer) other = rmq_server_new("other");
    rmq_server_register(other, CODE_SILENT, on_silent, f);
    assert_true(rmq_server_listen(other, "127.0.0.1", 0, NULL));
    g_autofree gchar *other_addr = g_strdup_printf("127.0.0.1:%u", rmq_server_get_port(other));

    for (int round = 0; round < 3; round++) {
        RmqClient *client = rmq_client_new(NULL);
        FreeOnError c = { &client, 0 };
        /* One request the other server never answers, then one the first
         * server answers by hanging up: its error frees the client, which
         * fails the other request while the first connection is closing. */
        rmq_client_invoke_async(client, other_addr, rmq_command_new_request(CODE_SILENT), WAIT_MS,
                                on_error_free_client, &c);
        /* The request has reached the other server (its channel is open)
         * before the hang-up. */
        while (f->silent->len < (guint) round + 1)
            g_main_context_iteration(NULL, TRUE);
        rmq_client_invoke_async(client, f->addr, rmq_command_new_request(CODE_HANGUP), WAIT_MS,
                                on_error_free_client, &c);
        assert_true(rmq_test_wait_count(NULL, &c.calls, 2, WAIT_MS));
        assert_null(client);
        rmq_test_spin(NULL, 20);
        assert_int_equal(c.calls, 2);
    }
    if (f->silent_conn != NULL)
        g_clear_pointer(&f->silent_conn, rmq_connection_unref);
    g_ptr_array_set_size(f->silent, 0);
}

static void
test_oneway(void **state)
{
    Fixture *f = *state;
    rmq_client_invoke_oneway(f->client, f->addr, rmq_command_new_request(CODE_ECHO));
    assert_true(rmq_test_wait_count(NULL, &f->oneway_seen, 1, WAIT_MS));
    /* A second one goes over the now-open connection. */
    rmq_client_invoke_oneway(f->client, f->addr, rmq_command_new_request(CODE_ECHO));
    assert_true(rmq_test_wait_count(NULL, &f->oneway_seen, 2, WAIT_MS));
    assert_int_equal(f->opened, 1);
    /* One-way to nowhere fails quietly. */
    g_autofree gchar *nowhere = g_strdup_printf("127.0.0.1:%u", rmq_test_free_port());
    rmq_client_invoke_oneway(f->client, nowhere, rmq_command_new_request(CODE_ECHO));
    rmq_test_spin(NULL, 50);
}

static void
test_many_async_any_order(void **state)
{
    Fixture *f = *state;
    Outcome o[50] = { { 0 } };
    for (guint i = 0; i < G_N_ELEMENTS(o); i++) {
        RmqCommand *req = rmq_command_new_request(CODE_ECHO);
        g_autofree gchar *seq = g_strdup_printf("%u", i);
        rmq_command_set_ext(req, "seq", seq);
        rmq_client_invoke_async(f->client, f->addr, req, WAIT_MS, on_outcome, &o[i]);
    }
    for (guint i = 0; i < G_N_ELEMENTS(o); i++) {
        assert_true(rmq_test_wait_flag(NULL, &o[i].done, WAIT_MS));
        assert_non_null(o[i].response);
        gint64 seq = -1;
        assert_true(rmq_command_get_ext_int64(o[i].response, "seq", &seq));
        assert_int_equal(seq, i);
        outcome_clear(&o[i]);
    }
}

/* Far more pipelined output than the high-water mark in both directions: the
 * server pauses reading from us, we must keep reading its answers, else both
 * ends wait for each other forever. */
static void
test_pipelined_large_no_deadlock(void **state)
{
    Fixture *f = *state;
    const gsize size = 1024 * 1024;
    const guint n = 48;
    g_autofree guint8 *body = g_malloc0(size);
    Outcome *o = g_new0(Outcome, n);
    f->outcomes = o;
    for (guint i = 0; i < n; i++) {
        RmqCommand *req = rmq_command_new_request(CODE_BIG);
        rmq_command_set_body_data(req, body, size);
        rmq_client_invoke_async(f->client, f->addr, req, 20000, on_outcome, &o[i]);
    }
    for (guint i = 0; i < n; i++) {
        assert_true(rmq_test_wait_flag(NULL, &o[i].done, 20000));
        assert_null(o[i].error);
        assert_non_null(o[i].response);
        assert_int_equal(g_bytes_get_size(o[i].response->body), size);
        outcome_clear(&o[i]);
    }
}

/* A listener whose backlog is full never completes our handshake: the connect
 * timeout must fire. */
static void
test_connect_timeout(void **state)
{
    Fixture *f = *state;
    g_autoptr(GSocket) lsock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, 0);
    assert_true(g_socket_bind(lsock, sa, TRUE, NULL));
    g_socket_set_listen_backlog(lsock, 0);
    assert_true(g_socket_listen(lsock, NULL));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(lsock, NULL);
    guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));

    /* Fill the accept queue with handshakes nobody accepts. */
    GSocket *fillers[4];
    for (guint i = 0; i < G_N_ELEMENTS(fillers); i++) {
        fillers[i] = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, NULL);
        g_socket_set_blocking(fillers[i], FALSE);
        g_socket_connect(fillers[i], bound, NULL, NULL);
    }
    rmq_test_spin(NULL, 50);

    rmq_client_set_connect_timeout(f->client, 300);
    g_autofree gchar *addr = g_strdup_printf("127.0.0.1:%u", port);
    Outcome o = { 0 };
    rmq_client_invoke_async(f->client, addr, rmq_command_new_request(CODE_ECHO), 0, on_outcome, &o);
    assert_true(rmq_test_wait_flag(NULL, &o.done, WAIT_MS));
    assert_true(g_error_matches(o.error, RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_CONNECT));
    if (strstr(o.error->message, "timed out") == NULL)
        fail_msg("expected a connect timeout, got: %s", o.error->message);
    outcome_clear(&o);
    for (guint i = 0; i < G_N_ELEMENTS(fillers); i++)
        g_object_unref(fillers[i]);
}

/* Request timeout shorter than the connect: reported as TIMEOUT while connecting. */
static void
test_timeout_while_connecting(void **state)
{
    Fixture *f = *state;
    g_autoptr(GSocket) lsock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, 0);
    assert_true(g_socket_bind(lsock, sa, TRUE, NULL));
    g_socket_set_listen_backlog(lsock, 0);
    assert_true(g_socket_listen(lsock, NULL));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(lsock, NULL);
    guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    GSocket *fillers[4];
    for (guint i = 0; i < G_N_ELEMENTS(fillers); i++) {
        fillers[i] = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, NULL);
        g_socket_set_blocking(fillers[i], FALSE);
        g_socket_connect(fillers[i], bound, NULL, NULL);
    }
    rmq_test_spin(NULL, 50);

    rmq_client_set_connect_timeout(f->client, 2000);
    g_autofree gchar *addr = g_strdup_printf("127.0.0.1:%u", port);
    Outcome o = { 0 };
    rmq_client_invoke_async(f->client, addr, rmq_command_new_request(CODE_ECHO), 100, on_outcome,
                            &o);
    assert_true(rmq_test_wait_flag(NULL, &o.done, WAIT_MS));
    assert_true(g_error_matches(o.error, RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_TIMEOUT));
    outcome_clear(&o);
    /* Freeing the client while its connect is still running is safe. */
    rmq_client_free(f->client);
    f->client = rmq_client_new(NULL);
    rmq_test_spin(NULL, 20);
    for (guint i = 0; i < G_N_ELEMENTS(fillers); i++)
        g_object_unref(fillers[i]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sync_and_async, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_when_server_never_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_fails_pending_and_reconnects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_frees_client_during_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oneway, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_async_any_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_large_no_deadlock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_while_connecting, setup, teardown),
    };
    return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
