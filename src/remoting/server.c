#include <config.h>

#include "remoting/server.h"
#include "remoting/tls.h"

#include "remoting/fd_poller.h"

#include <errno.h>
#include <string.h>

G_DEFINE_QUARK(rmq-server-error-quark, rmq_server_error)

/* After accept() fails for lack of descriptors, wait this long instead of spinning. */
#define ACCEPT_BACKOFF_MS 100
#define LISTEN_BACKLOG 1024

/* Codes below this are found by index (all of RocketMQ's are), others by hash. */
#define DIRECT_CODES 1024

typedef struct {
    RmqRequestHandler func;
    gpointer user_data;
    const RmqServerCommand *command; /* NULL for rmq_server_register() */
    RmqServerGate gate;
} Handler;

typedef struct {
    RmqServer *server;
    GSocket *socket;
    RmqFdWatch *watch; /* in the context's poller; no events while backing off */
    GSource *source;   /* the back-off timer */
    gchar *address;    /* "ip:port" for logs */
    guint16 port;
} Listener;

struct _RmqServer {
    gchar *name;
    GMainContext *context;
    Handler *direct[DIRECT_CODES]; /* code -> Handler, owned by @handlers */
    GHashTable *handlers; /* code -> Handler */
    Handler default_handler;
    GPtrArray *listeners; /* of Listener */
    GHashTable *connections; /* set of RmqConnection, one ref each */
    guint idle_seconds;
    guint frame_seconds;
    gsize write_max;
    guint write_stall_ms;
    RmqConnectionFunc on_open;
    RmqConnectionFunc on_close;
    gpointer callbacks_data;
    gboolean in_accept;    /* inside on_incoming: listeners must stay allocated */
    gboolean stop_pending; /* stop_accepting() was called from on_open */
    RmqTlsContext *tls;    /* tlsServerMode permissive/enforcing, else NULL */
};

static void on_incoming(RmqFdWatch *watch, GIOCondition cond, gpointer user_data);

static void
listener_free(Listener *l)
{
    rmq_source_clear(&l->source);
    rmq_fd_watch_clear(&l->watch); /* before the descriptor closes */
    g_socket_close(l->socket, NULL);
    g_object_unref(l->socket);
    g_free(l->address);
    g_free(l);
}

RmqServer *
rmq_server_new(const gchar *name)
{
    RmqServer *server = g_new0(RmqServer, 1);
    server->name = g_strdup(name != NULL ? name : "server");
    server->context = g_main_context_ref_thread_default();
    server->handlers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    server->listeners = g_ptr_array_new_with_free_func((GDestroyNotify) listener_free);
    server->connections = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                                (GDestroyNotify) rmq_connection_unref, NULL);
    server->idle_seconds = RMQ_CONNECTION_DEFAULT_IDLE_SECONDS;
    server->frame_seconds = RMQ_CONNECTION_DEFAULT_FRAME_SECONDS;
    server->write_max = RMQ_CONNECTION_DEFAULT_WRITE_MAX;
    server->write_stall_ms = RMQ_CONNECTION_DEFAULT_WRITE_STALL_MS;
    return server;
}

static GList *
connection_snapshot(RmqServer *server)
{
    GList *list = g_hash_table_get_keys(server->connections);
    for (GList *l = list; l != NULL; l = l->next)
        rmq_connection_ref(l->data);
    return list;
}

void
rmq_server_free(RmqServer *server)
{
    if (server == NULL)
        return;
    rmq_server_stop_accepting(server);
    GList *conns = connection_snapshot(server);
    for (GList *l = conns; l != NULL; l = l->next)
        rmq_connection_close(l->data, "server shutting down");
    g_list_free_full(conns, (GDestroyNotify) rmq_connection_unref);
    g_hash_table_destroy(server->connections);
    g_ptr_array_unref(server->listeners);
    g_hash_table_destroy(server->handlers);
    g_main_context_unref(server->context);
    g_free(server->name);
    if (server->tls != NULL)
        rmq_tls_context_unref(server->tls);
    g_free(server);
}

static void
add_handler(RmqServer *server, gint32 code, const Handler *h)
{
    Handler *copy = g_memdup2(h, sizeof *h);
    g_hash_table_replace(server->handlers, GINT_TO_POINTER(code), copy);
    if (code >= 0 && code < DIRECT_CODES)
        server->direct[code] = copy;
}

static Handler *
find_handler(RmqServer *server, gint32 code)
{
    if (code >= 0 && code < DIRECT_CODES)
        return server->direct[code];
    return g_hash_table_lookup(server->handlers, GINT_TO_POINTER(code));
}

void
rmq_server_register(RmqServer *server, gint32 code, RmqRequestHandler handler, gpointer user_data)
{
    g_return_if_fail(server != NULL && handler != NULL);
    add_handler(server, code, &(Handler){ .func = handler, .user_data = user_data });
}

void
rmq_server_register_table(RmqServer *server, const RmqServerCommand *table, gsize n,
                          RmqServerGate gate, gpointer user_data)
{
    g_return_if_fail(server != NULL && (table != NULL || n == 0));
    for (gsize i = 0; i < n; i++) {
        g_return_if_fail(table[i].handler != NULL);
        add_handler(server, table[i].code,
                    &(Handler){ .func = table[i].handler, .user_data = user_data,
                                .command = &table[i], .gate = gate });
    }
}

const RmqServerCommand *
rmq_server_lookup(RmqServer *server, gint32 code)
{
    g_return_val_if_fail(server != NULL, NULL);
    Handler *h = find_handler(server, code);
    return h != NULL ? h->command : NULL;
}

void
rmq_server_set_default_handler(RmqServer *server, RmqRequestHandler handler, gpointer user_data)
{
    g_return_if_fail(server != NULL);
    server->default_handler.func = handler;
    server->default_handler.user_data = user_data;
}

void
rmq_server_set_idle_timeout(RmqServer *server, guint seconds)
{
    g_return_if_fail(server != NULL);
    server->idle_seconds = seconds;
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, server->connections);
    while (g_hash_table_iter_next(&it, &key, NULL))
        rmq_connection_set_idle_timeout(key, seconds);
}

void
rmq_server_set_frame_timeout(RmqServer *server, guint seconds)
{
    g_return_if_fail(server != NULL);
    server->frame_seconds = seconds;
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, server->connections);
    while (g_hash_table_iter_next(&it, &key, NULL))
        rmq_connection_set_frame_timeout(key, seconds);
}

void
rmq_server_set_write_limits(RmqServer *server, gsize max_bytes, guint stall_ms)
{
    g_return_if_fail(server != NULL);
    server->write_max = max_bytes;
    server->write_stall_ms = stall_ms;
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, server->connections);
    while (g_hash_table_iter_next(&it, &key, NULL))
        rmq_connection_set_write_limits(key, max_bytes, stall_ms);
}

void
rmq_server_set_connection_callbacks(RmqServer *server, RmqConnectionFunc on_open,
                                    RmqConnectionFunc on_close, gpointer user_data)
{
    g_return_if_fail(server != NULL);
    server->on_open = on_open;
    server->on_close = on_close;
    server->callbacks_data = user_data;
}

guint
rmq_server_get_connection_count(RmqServer *server)
{
    g_return_val_if_fail(server != NULL, 0);
    return g_hash_table_size(server->connections);
}

void
rmq_server_foreach_connection(RmqServer *server, RmqConnectionFunc func, gpointer user_data)
{
    g_return_if_fail(server != NULL && func != NULL);
    GList *conns = connection_snapshot(server);
    for (GList *l = conns; l != NULL; l = l->next)
        func(l->data, user_data);
    g_list_free_full(conns, (GDestroyNotify) rmq_connection_unref);
}

/* --- dispatch -------------------------------------------------------------- */

static void
on_request(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    RmqServer *server = user_data;
    Handler *h = find_handler(server, request->code);
    if (h == NULL && server->default_handler.func != NULL)
        h = &server->default_handler;
    if (h != NULL) {
        if (h->gate != NULL && h->command->flags != 0 &&
            h->gate(conn, request, h->command, h->user_data))
            return;
        h->func(conn, request, h->user_data);
        return;
    }
    /* Java's NettyRemotingAbstract answers this, with this exact remark. */
    g_debug("%s: %s sent unsupported request code %d", server->name,
            rmq_connection_get_peer(conn), request->code);
    g_autofree gchar *remark = g_strdup_printf(" request type %d not supported", request->code);
    RmqCommand *response = rmq_command_new_response(request, RMQ_SERVER_REQUEST_CODE_NOT_SUPPORTED,
                                                     remark);
    rmq_connection_send_response(conn, request, response);
    rmq_command_free(request);
}

static void
on_connection_closed(RmqConnection *conn, gpointer user_data)
{
    RmqServer *server = user_data;
    if (server->on_close != NULL)
        server->on_close(conn, server->callbacks_data);
    g_hash_table_remove(server->connections, conn);
}

/* --- accepting --------------------------------------------------------------- */

static void
adopt(RmqServer *server, GSocket *socket)
{
    g_autoptr(GSocketConnection) sc = g_socket_connection_factory_create_connection(socket);
    RmqConnection *conn = rmq_connection_new(sc, server->context);
    rmq_connection_set_request_handler(conn, on_request, server);
    rmq_connection_add_close_callback(conn, on_connection_closed, server);
    rmq_connection_set_idle_timeout(conn, server->idle_seconds);
    rmq_connection_set_frame_timeout(conn, server->frame_seconds);
    rmq_connection_set_write_limits(conn, server->write_max, server->write_stall_ms);
    if (server->tls != NULL)
        rmq_connection_set_tls(conn, server->tls);
    g_hash_table_add(server->connections, conn);
    g_debug("%s: accepted %s on %s", server->name, rmq_connection_get_peer(conn),
            rmq_connection_get_local(conn));
    rmq_connection_ref(conn);
    if (server->on_open != NULL)
        server->on_open(conn, server->callbacks_data);
    rmq_connection_start(conn);
    rmq_connection_unref(conn);
}

static void
watch_listener(Listener *l)
{
    if (l->watch == NULL) {
        RmqFdPoller *poller = rmq_fd_poller_get(l->server->context);
        l->watch = rmq_fd_watch_new(poller, g_socket_get_fd(l->socket), on_incoming, l);
        rmq_fd_poller_unref(poller); /* the watch holds its own */
    }
    rmq_fd_watch_set_events(l->watch, G_IO_IN);
}

static gboolean
on_backoff_done(gpointer user_data)
{
    Listener *l = user_data;
    g_source_unref(l->source);
    l->source = NULL;
    watch_listener(l);
    return G_SOURCE_REMOVE;
}

static void
on_incoming(RmqFdWatch *watch, GIOCondition cond, gpointer user_data)
{
    Listener *l = user_data;
    RmqServer *server = l->server;
    GSocket *socket = l->socket;
    (void) watch;
    (void) cond;
    server->in_accept = TRUE;
    for (int i = 0; i < 64 && !server->stop_pending; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GSocket) accepted = g_socket_accept(socket, NULL, &error);
        if (accepted != NULL) {
            adopt(server, accepted);
            continue;
        }
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
        /* EMFILE and friends: the socket stays readable, so back off. */
        g_warning("%s: accept on %s failed: %s", server->name, l->address, error->message);
        rmq_fd_watch_set_events(l->watch, 0);
        l->source = g_timeout_source_new(ACCEPT_BACKOFF_MS);
        g_source_set_callback(l->source, on_backoff_done, l, NULL);
        g_source_attach(l->source, server->context);
        break;
    }
    server->in_accept = FALSE;
    if (server->stop_pending) {
        /* Frees @l and its watch (the poller allows it from here). */
        server->stop_pending = FALSE;
        rmq_server_stop_accepting(server);
    }
}

gboolean
rmq_server_listen(RmqServer *server, const gchar *bind_address, guint16 port, GError **error)
{
    g_return_val_if_fail(server != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    const gchar *host = bind_address != NULL ? bind_address : "0.0.0.0";

    g_autoptr(GInetAddress) ia = g_inet_address_new_from_string(host);
    if (ia == NULL) {
        g_set_error(error, RMQ_SERVER_ERROR, RMQ_SERVER_ERROR_LISTEN,
                    "cannot listen on %s:%u: not a numeric IP address", host, port);
        return FALSE;
    }
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(ia, port);
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GSocket) socket = g_socket_new(g_inet_address_get_family(ia), G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, &local_error);
    if (socket != NULL) {
        g_socket_set_blocking(socket, FALSE);
        g_socket_set_listen_backlog(socket, LISTEN_BACKLOG);
    }
    /* allow_reuse = SO_REUSEADDR only (quick restarts past TIME_WAIT); a port
     * another process listens on still fails with EADDRINUSE. */
    if (socket == NULL || !g_socket_bind(socket, sa, TRUE, &local_error) ||
        !g_socket_listen(socket, &local_error)) {
        /* GLib's text repeats the address; use the plain reason where we know it. */
        const gchar *why = local_error->message;
        if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
            why = g_strerror(EADDRINUSE);
        g_set_error(error, RMQ_SERVER_ERROR, RMQ_SERVER_ERROR_LISTEN, "cannot listen on %s:%u: %s",
                    host, port, why);
        return FALSE;
    }

    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(socket, NULL);
    Listener *l = g_new0(Listener, 1);
    l->server = server;
    l->socket = g_steal_pointer(&socket);
    l->port = bound != NULL ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)) : port;
    l->address = g_strdup_printf("%s:%u", host, l->port);
    watch_listener(l);
    g_ptr_array_add(server->listeners, l);
    g_message("%s: listening on %s", server->name, l->address);
    return TRUE;
}

guint16
rmq_server_get_port(RmqServer *server)
{
    g_return_val_if_fail(server != NULL, 0);
    if (server->listeners->len == 0)
        return 0;
    return ((Listener *) g_ptr_array_index(server->listeners, 0))->port;
}

void
rmq_server_set_tls(RmqServer *server, RmqTlsContext *ctx)
{
    g_return_if_fail(server != NULL);
    if (ctx != NULL)
        rmq_tls_context_ref(ctx);
    if (server->tls != NULL)
        rmq_tls_context_unref(server->tls);
    server->tls = ctx;
}

void
rmq_server_stop_accepting(RmqServer *server)
{
    g_return_if_fail(server != NULL);
    if (server->in_accept) {
        server->stop_pending = TRUE;
        return;
    }
    for (guint i = 0; i < server->listeners->len; i++) {
        Listener *l = g_ptr_array_index(server->listeners, i);
        g_message("%s: no longer listening on %s", server->name, l->address);
    }
    g_ptr_array_set_size(server->listeners, 0);
}
