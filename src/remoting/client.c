#include <config.h>

#include <string.h>

#include "remoting/client.h"
#include "remoting/tls.h"

G_DEFINE_QUARK(rmq-client-error-quark, rmq_client_error)

typedef struct _Channel Channel;

/* One rmq_client_invoke_*() call until its callback has run. */
typedef struct {
    RmqClient *client;
    Channel *channel;      /* set while waiting for the connection */
    gchar *addr;           /* in the same allocation, after the struct */
    RmqCommand *request;   /* owned until handed to the connection */
    gboolean oneway;
    guint timeout_ms;
    gint64 deadline;       /* monotonic µs while waiting for the connection, 0 = none */
    RmqResponseCallback callback;
    gpointer user_data;
    GSource *timer;        /* timeout while waiting for the connection */
} Invocation;

/* The link to one "host:port": connecting (conn NULL) or connected. */
struct _Channel {
    RmqClient *client;     /* NULL once the client is gone (connect still running) */
    gchar *addr;
    RmqConnection *conn;
    GCancellable *cancel;
    GSource *connect_timer;
    gboolean connect_timed_out;
    GQueue waiting;        /* of Invocation */
};

struct _RmqClient {
    GMainContext *context;
    GSocketClient *socket_client;
    GHashTable *channels;  /* addr -> Channel */
    Channel *last;         /* the last connected one invoke() found; NULL when channels change */
    guint connect_timeout_ms;
    guint idle_seconds;
    RmqRequestHandler handler;
    gpointer handler_data;
    RmqClientRequestHook hook;
    gpointer hook_data;
    RmqTlsContext *tls; /* useTLS: every new connection, else NULL */
};

static void
invocation_free(Invocation *inv)
{
    rmq_source_clear(&inv->timer);
    if (inv->request != NULL)
        rmq_command_free(inv->request);
    g_free(inv); /* with its addr */
}

/* Deliver the outcome and free @inv. @error is in RMQ_CLIENT_ERROR. */
static void
invocation_finish(Invocation *inv, RmqCommand *response, const GError *error)
{
    if (inv->callback != NULL)
        inv->callback(response, error, inv->user_data);
    else if (response != NULL)
        rmq_command_free(response);
    else if (error != NULL)
        g_debug("one-way request to %s failed: %s", inv->addr, error->message);
    invocation_free(inv);
}

static gboolean
on_deferred_fail(gpointer user_data)
{
    gpointer *pair = user_data;
    invocation_finish(pair[0], NULL, pair[1]);
    g_error_free(pair[1]);
    g_free(pair);
    return G_SOURCE_REMOVE;
}

/* Fail from the loop, never re-entrantly inside rmq_client_invoke_*(). */
static void
fail_later(Invocation *inv, GError *error /* transfer full */)
{
    gpointer *pair = g_new(gpointer, 2);
    pair[0] = inv;
    pair[1] = error;
    GSource *idle = g_idle_source_new();
    g_source_set_callback(idle, on_deferred_fail, pair, NULL);
    g_source_attach(idle, inv->client->context);
    g_source_unref(idle);
}

/* --- channels ---------------------------------------------------------------- */

static void
channel_free(Channel *ch)
{
    rmq_source_clear(&ch->connect_timer);
    g_clear_object(&ch->cancel);
    if (ch->conn != NULL)
        rmq_connection_unref(ch->conn);
    g_free(ch->addr);
    g_free(ch);
}

static void
fail_waiting(Channel *ch, RmqClientError code, const gchar *message)
{
    Invocation *inv;
    while ((inv = g_queue_pop_head(&ch->waiting)) != NULL) {
        inv->channel = NULL;
        g_autoptr(GError) error = g_error_new(RMQ_CLIENT_ERROR, code, "%s: %s", inv->addr, message);
        invocation_finish(inv, NULL, error);
    }
}

static void
on_response(RmqCommand *response, const GError *error, gpointer user_data)
{
    Invocation *inv = user_data;
    if (error == NULL) {
        invocation_finish(inv, response, NULL);
        return;
    }
    RmqClientError code = RMQ_CLIENT_ERROR_CLOSED;
    if (g_error_matches(error, RMQ_CONNECTION_ERROR, RMQ_CONNECTION_ERROR_TIMEOUT))
        code = RMQ_CLIENT_ERROR_TIMEOUT;
    g_autoptr(GError) mapped = g_error_new(RMQ_CLIENT_ERROR, code, "%s", error->message);
    invocation_finish(inv, NULL, mapped);
}

/* Hand @inv to the open connection. */
static void
invocation_send(Invocation *inv, RmqConnection *conn)
{
    RmqCommand *request = g_steal_pointer(&inv->request);
    if (inv->oneway) {
        if (!rmq_connection_send_oneway(conn, request))
            g_debug("one-way request to %s dropped: connection closed", inv->addr);
        invocation_free(inv);
        return;
    }
    guint timeout_ms = inv->timeout_ms; /* sent at once: the whole timeout */
    if (inv->deadline != 0) {
        gint64 left = (inv->deadline - g_get_monotonic_time() + 999) / 1000;
        timeout_ms = left > 0 ? (guint) left : 1;
    }
    rmq_connection_send_request(conn, request, timeout_ms, on_response, inv);
}

static void
on_channel_closed(RmqConnection *conn, gpointer user_data)
{
    Channel *ch = user_data;
    RmqClient *client = ch->client;
    /* Forget it, so the next use reconnects. */
    if (client != NULL && client->last == ch)
        client->last = NULL;
    if (client != NULL && g_hash_table_lookup(client->channels, ch->addr) == ch)
        g_hash_table_remove(client->channels, ch->addr);
}

static void
on_peer_request(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    RmqClient *client = user_data;
    if (client->handler == NULL) {
        g_debug("%s sent request code %d, no handler: dropped", rmq_connection_get_peer(conn),
                request->code);
        rmq_command_free(request);
        return;
    }
    client->handler(conn, request, client->handler_data);
}

static void
on_connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Channel *ch = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketConnection) sc =
        g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), result, &error);
    rmq_source_clear(&ch->connect_timer);
    RmqClient *client = ch->client;
    if (client == NULL) {
        /* The client went away meanwhile; its waiters were failed then. */
        channel_free(ch);
        return;
    }
    if (sc == NULL) {
        g_autofree gchar *why =
            ch->connect_timed_out
                ? g_strdup_printf("connect timed out after %u ms", client->connect_timeout_ms)
                : g_strdup_printf("cannot connect: %s", error->message);
        g_message("connection to %s failed: %s", ch->addr, why);
        /* Unlink first: a callback that retries must open a fresh channel. */
        client->last = NULL;
        g_hash_table_steal(client->channels, ch->addr);
        fail_waiting(ch, RMQ_CLIENT_ERROR_CONNECT, why);
        channel_free(ch);
        return;
    }
    ch->conn = rmq_connection_new(sc, client->context);
    rmq_connection_set_request_handler(ch->conn, on_peer_request, client);
    rmq_connection_add_close_callback(ch->conn, on_channel_closed, ch);
    rmq_connection_set_idle_timeout(ch->conn, client->idle_seconds);
    /* Our reads only drain the peer (answers): never stop them, see connection.h. */
    rmq_connection_set_backpressure(ch->conn, FALSE);
    if (client->tls != NULL)
        rmq_connection_set_tls(ch->conn, client->tls);
    rmq_connection_start(ch->conn);
    g_debug("connected to %s from %s", ch->addr, rmq_connection_get_local(ch->conn));

    RmqConnection *conn = rmq_connection_ref(ch->conn);
    Invocation *inv;
    while ((inv = g_queue_pop_head(&ch->waiting)) != NULL) {
        inv->channel = NULL;
        rmq_source_clear(&inv->timer);
        invocation_send(inv, conn);
    }
    rmq_connection_unref(conn);
}

static gboolean
on_connect_timeout(gpointer user_data)
{
    Channel *ch = user_data;
    ch->connect_timed_out = TRUE;
    g_cancellable_cancel(ch->cancel);
    g_source_unref(ch->connect_timer);
    ch->connect_timer = NULL;
    return G_SOURCE_REMOVE;
}

static Channel *
channel_open(RmqClient *client, const gchar *addr)
{
    Channel *ch = g_new0(Channel, 1);
    ch->client = client;
    ch->addr = g_strdup(addr);
    ch->cancel = g_cancellable_new();
    g_queue_init(&ch->waiting);
    client->last = NULL;
    g_hash_table_insert(client->channels, ch->addr, ch);

    if (client->connect_timeout_ms > 0) {
        ch->connect_timer = g_timeout_source_new(client->connect_timeout_ms);
        g_source_set_callback(ch->connect_timer, on_connect_timeout, ch, NULL);
        g_source_attach(ch->connect_timer, client->context);
    }
    /* The async result is delivered in the thread-default context at call time. */
    g_main_context_push_thread_default(client->context);
    g_socket_client_connect_to_host_async(client->socket_client, addr, 0, ch->cancel,
                                          on_connected, ch);
    g_main_context_pop_thread_default(client->context);
    return ch;
}

/* --- public API ---------------------------------------------------------------- */

RmqClient *
rmq_client_new(GMainContext *context)
{
    RmqClient *client = g_new0(RmqClient, 1);
    client->context = g_main_context_ref(context != NULL ? context : g_main_context_default());
    client->socket_client = g_socket_client_new();
    /* Cluster peers are reached directly: GIO would otherwise ask the desktop
     * proxy resolver (dconf) before every connect, and could route broker
     * traffic through a proxy. */
    g_socket_client_set_enable_proxy(client->socket_client, FALSE);
    /* Only hosts with explicit ports: "host:port". */
    client->channels = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) channel_free);
    client->connect_timeout_ms = RMQ_CLIENT_DEFAULT_CONNECT_TIMEOUT_MS;
    return client;
}

void
rmq_client_free(RmqClient *client)
{
    if (client == NULL)
        return;
    /* Detach every channel first, then close: close callbacks must not touch the table. */
    GList *channels = g_hash_table_get_values(client->channels);
    client->last = NULL;
    g_hash_table_steal_all(client->channels);
    for (GList *l = channels; l != NULL; l = l->next) {
        Channel *ch = l->data;
        ch->client = NULL;
        if (ch->conn != NULL) {
            /* The connection may outlive this call (a close in progress holds
             * a ref): it must not call back into the channel or the client. */
            rmq_connection_remove_close_callback(ch->conn, on_channel_closed, ch);
            rmq_connection_set_request_handler(ch->conn, NULL, NULL);
            rmq_connection_close(ch->conn, "client shutting down");
            channel_free(ch);
        } else {
            rmq_source_clear(&ch->connect_timer);
            g_cancellable_cancel(ch->cancel);
            fail_waiting(ch, RMQ_CLIENT_ERROR_CONNECT, "client shut down while connecting");
            /* freed by on_connected, which the cancelled connect still calls */
        }
    }
    g_list_free(channels);
    g_hash_table_destroy(client->channels);
    g_object_unref(client->socket_client);
    g_main_context_unref(client->context);
    if (client->tls != NULL)
        rmq_tls_context_unref(client->tls);
    g_free(client);
}

void
rmq_client_set_connect_timeout(RmqClient *client, guint timeout_ms)
{
    g_return_if_fail(client != NULL);
    client->connect_timeout_ms = timeout_ms;
}

void
rmq_client_set_idle_timeout(RmqClient *client, guint seconds)
{
    g_return_if_fail(client != NULL);
    client->idle_seconds = seconds;
}

void
rmq_client_set_request_handler(RmqClient *client, RmqRequestHandler handler, gpointer user_data)
{
    g_return_if_fail(client != NULL);
    client->handler = handler;
    client->handler_data = user_data;
}

void
rmq_client_set_request_hook(RmqClient *client, RmqClientRequestHook hook, gpointer user_data)
{
    g_return_if_fail(client != NULL);
    client->hook = hook;
    client->hook_data = user_data;
}

static gboolean
on_waiting_timeout(gpointer user_data)
{
    Invocation *inv = user_data;
    g_queue_remove(&inv->channel->waiting, inv);
    inv->channel = NULL;
    g_source_unref(inv->timer);
    inv->timer = NULL;
    g_autoptr(GError) error = g_error_new(RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_TIMEOUT,
                                          "%s: no response within %u ms (still connecting)",
                                          inv->addr, inv->timeout_ms);
    invocation_finish(inv, NULL, error);
    return G_SOURCE_REMOVE;
}

static void
invoke(RmqClient *client, const gchar *addr, RmqCommand *request, gboolean oneway,
       guint timeout_ms, RmqResponseCallback callback, gpointer user_data)
{
    if (client->hook != NULL)
        client->hook(request, client->hook_data);
    gsize alen = strlen(addr) + 1;
    Invocation *inv = g_malloc0(sizeof *inv + alen);
    inv->client = client;
    inv->addr = memcpy(inv + 1, addr, alen);
    inv->request = request;
    inv->oneway = oneway;
    inv->timeout_ms = timeout_ms;
    inv->callback = callback;
    inv->user_data = user_data;

    Channel *ch = client->last;
    if (ch == NULL || strcmp(ch->addr, addr) != 0)
        ch = g_hash_table_lookup(client->channels, addr);
    if (ch != NULL && ch->conn != NULL) {
        client->last = ch;
        invocation_send(inv, ch->conn); /* no deadline: no clock read */
        return;
    }
    /* It waits for the connection: the time left is counted from now. */
    inv->deadline = timeout_ms > 0 ? g_get_monotonic_time() + (gint64) timeout_ms * 1000 : 0;
    if (ch == NULL) {
        /* Checked only for a new channel (a known one passed when opened):
         * parsing per request showed in client profiles. */
        g_autoptr(GError) parse_error = NULL;
        g_autoptr(GSocketConnectable) parsed = g_network_address_parse(addr, 0, &parse_error);
        if (parsed == NULL || g_network_address_get_port(G_NETWORK_ADDRESS(parsed)) == 0) {
            fail_later(inv, g_error_new(RMQ_CLIENT_ERROR, RMQ_CLIENT_ERROR_ADDRESS,
                                        "bad address \"%s\": expected host:port", addr));
            return;
        }
        ch = channel_open(client, addr);
    }
    inv->channel = ch;
    if (timeout_ms > 0 && !oneway) {
        inv->timer = g_timeout_source_new(timeout_ms);
        g_source_set_callback(inv->timer, on_waiting_timeout, inv, NULL);
        g_source_attach(inv->timer, client->context);
    }
    g_queue_push_tail(&ch->waiting, inv);
}

void
rmq_client_invoke_async(RmqClient *client, const gchar *addr, RmqCommand *request,
                        guint timeout_ms, RmqResponseCallback callback, gpointer user_data)
{
    g_return_if_fail(client != NULL && addr != NULL && request != NULL && callback != NULL);
    invoke(client, addr, request, FALSE, timeout_ms, callback, user_data);
}

void
rmq_client_invoke_oneway(RmqClient *client, const gchar *addr, RmqCommand *request)
{
    g_return_if_fail(client != NULL && addr != NULL && request != NULL);
    invoke(client, addr, request, TRUE, 0, NULL, NULL);
}

typedef struct {
    gboolean done;
    RmqCommand *response;
    GError *error;
} SyncResult;

static void
on_sync_done(RmqCommand *response, const GError *error, gpointer user_data)
{
    SyncResult *r = user_data;
    r->done = TRUE;
    r->response = response;
    r->error = error != NULL ? g_error_copy(error) : NULL;
}

RmqCommand *
rmq_client_invoke_sync(RmqClient *client, const gchar *addr, RmqCommand *request,
                       guint timeout_ms, GError **error)
{
    g_return_val_if_fail(client != NULL && addr != NULL && request != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    SyncResult r = { 0 };
    rmq_client_invoke_async(client, addr, request, timeout_ms, on_sync_done, &r);
    while (!r.done)
        g_main_context_iteration(client->context, TRUE);
    if (r.error != NULL) {
        g_propagate_error(error, r.error);
        return NULL;
    }
    return r.response;
}

void
rmq_client_close_connection(RmqClient *client, const gchar *addr)
{
    g_return_if_fail(client != NULL && addr != NULL);
    Channel *ch = g_hash_table_lookup(client->channels, addr);
    if (ch != NULL && ch->conn != NULL)
        rmq_connection_close(ch->conn, "closed by client");
}

RmqConnection *
rmq_client_get_connection(RmqClient *client, const gchar *addr)
{
    g_return_val_if_fail(client != NULL && addr != NULL, NULL);
    Channel *ch = g_hash_table_lookup(client->channels, addr);
    return ch != NULL ? ch->conn : NULL;
}

void
rmq_client_set_tls(RmqClient *client, RmqTlsContext *ctx)
{
    g_return_if_fail(client != NULL);
    if (ctx != NULL)
        rmq_tls_context_ref(ctx);
    if (client->tls != NULL)
        rmq_tls_context_unref(client->tls);
    client->tls = ctx;
}
