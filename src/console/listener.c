#include <config.h>

#include "console/listener.h"

#include <sys/resource.h>

#include "common/ratelimit.h"

/* One log line per kind of event per interval, with the count of the rest. */
#define EVENT_LOG_INTERVAL_US (10 * G_USEC_PER_SEC)
#define ACCEPTS_PER_WAKEUP 64
#define ACCEPT_RETRY_MS 250

typedef struct {
    GSocketConnection *conn;
    gint64 accepted_us;
    gboolean request_read; /* a whole request arrived: no deadline any more */
    gboolean cut;          /* shut down for the deadline, waiting for libsoup to close it */
} Client;

struct _RmqConsoleListener {
    SoupServer *server;
    GSocket *socket;
    GSource *accept_source;
    GSource *retry_source;
    GSource *sweep_source;
    GHashTable *clients; /* GSocketAddress* (remote, as libsoup reports it) -> Client */
    guint cap;
    gint64 request_timeout_us;
    RmqRateLimit *events;
    gulong request_read_id;
    GTlsCertificate *tls; /* consoleTlsCertPath: HTTPS, else NULL */
};

static void watch_accept(RmqConsoleListener *l);

guint
rmq_console_connection_cap(guint64 nofile)
{
    guint64 reserve = MAX(64, nofile / 8);
    guint64 cap = nofile > reserve + 8 ? nofile - reserve : 8;
    return (guint) MIN(cap, RMQ_CONSOLE_MAX_CONNECTIONS);
}

static void
client_free(Client *c)
{
    g_object_unref(c->conn);
    g_free(c);
}

static gboolean
event_allowed(RmqConsoleListener *l, const gchar *kind, gchar **note)
{
    guint64 suppressed = 0;
    if (!rmq_rate_limit_allow(l->events, kind, g_get_monotonic_time(), &suppressed))
        return FALSE;
    *note = suppressed == 0 ? g_strdup("")
                            : g_strdup_printf(" (%" G_GUINT64_FORMAT " more since the last report)",
                                              suppressed);
    return TRUE;
}

static gchar *
address_text(GSocketAddress *a)
{
    return a != NULL ? g_socket_connectable_to_string(G_SOCKET_CONNECTABLE(a)) : g_strdup("?");
}

/* Forget closed connections; cut those past the deadline without a request. */
static void
sweep(RmqConsoleListener *l)
{
    gint64 now = g_get_monotonic_time();
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, l->clients);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        Client *c = value;
        if (g_io_stream_is_closed(G_IO_STREAM(c->conn))) {
            g_hash_table_iter_remove(&it);
            continue;
        }
        if (c->request_read || c->cut || now - c->accepted_us < l->request_timeout_us)
            continue;
        c->cut = TRUE;
        g_autofree gchar *note = NULL;
        if (event_allowed(l, "deadline", &note)) {
            g_autofree gchar *who = address_text(key);
            g_message("closing %s: no whole request within %" G_GINT64_FORMAT " ms%s", who,
                      l->request_timeout_us / 1000, note);
        }
        /* libsoup sees the end of its input and closes the connection itself. */
        g_socket_shutdown(g_socket_connection_get_socket(c->conn), TRUE, TRUE, NULL);
    }
}

static gboolean
on_sweep(gpointer user_data)
{
    RmqConsoleListener *l = user_data;
    sweep(l);
    if (g_hash_table_size(l->clients) > 0)
        return G_SOURCE_CONTINUE;
    g_source_unref(l->sweep_source);
    l->sweep_source = NULL;
    return G_SOURCE_REMOVE;
}

static void
on_request_read(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
    (void) server;
    RmqConsoleListener *l = user_data;
    Client *c = g_hash_table_lookup(l->clients, soup_server_message_get_remote_address(msg));
    if (c != NULL)
        c->request_read = TRUE;
}

static void
adopt(RmqConsoleListener *l, GSocket *socket)
{
    if (g_hash_table_size(l->clients) >= l->cap)
        sweep(l);
    g_autoptr(GSocketAddress) remote = g_socket_get_remote_address(socket, NULL);
    if (g_hash_table_size(l->clients) >= l->cap || remote == NULL) {
        g_autofree gchar *note = NULL;
        if (remote != NULL && event_allowed(l, "refused", &note)) {
            g_autofree gchar *who = address_text(remote);
            g_warning("refusing connection from %s: %u connections open, the limit%s", who,
                      g_hash_table_size(l->clients), note);
        }
        g_socket_close(socket, NULL);
        return;
    }
    g_autoptr(GSocketAddress) local = g_socket_get_local_address(socket, NULL);
    Client *c = g_new0(Client, 1);
    c->conn = g_socket_connection_factory_create_connection(socket);
    c->accepted_us = g_get_monotonic_time();
    g_hash_table_insert(l->clients, g_object_ref(remote), c);
    g_autoptr(GError) error = NULL;
    GIOStream *stream = G_IO_STREAM(c->conn);
    g_autoptr(GIOStream) tls = NULL;
    if (l->tls != NULL) {
        tls = g_tls_server_connection_new(stream, l->tls, &error);
        if (tls == NULL) {
            g_message("cannot serve a connection over TLS: %s", error->message);
            g_io_stream_close(stream, NULL, NULL);
            g_hash_table_remove(l->clients, remote);
            return;
        }
        stream = tls;
    }
    if (!soup_server_accept_iostream(l->server, stream, local, remote, &error)) {
        g_message("cannot serve a connection: %s", error->message);
        g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
        g_hash_table_remove(l->clients, remote);
        return;
    }
    if (l->sweep_source == NULL) {
        l->sweep_source = g_timeout_source_new(MAX(100, (guint) (l->request_timeout_us / 4000)));
        g_source_set_name(l->sweep_source, "rmq-console-sweep");
        g_source_set_callback(l->sweep_source, on_sweep, l, NULL);
        g_source_attach(l->sweep_source, NULL);
    }
}

static gboolean
on_retry(gpointer user_data)
{
    RmqConsoleListener *l = user_data;
    g_source_unref(l->retry_source);
    l->retry_source = NULL;
    watch_accept(l);
    return G_SOURCE_REMOVE;
}

static gboolean
on_incoming(GSocket *socket, GIOCondition cond, gpointer user_data)
{
    (void) cond;
    RmqConsoleListener *l = user_data;
    for (guint i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GSocket) s = g_socket_accept(socket, NULL, &error);
        if (s != NULL) {
            adopt(l, s);
            continue;
        }
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return G_SOURCE_CONTINUE;
        /* Out of descriptors (or another accept error): leave the queue to
         * the kernel for a moment rather than spin on it. */
        g_autofree gchar *note = NULL;
        if (event_allowed(l, "accept", &note))
            g_warning("cannot accept connections: %s; %u connections open, retrying in %u ms%s",
                      error->message, g_hash_table_size(l->clients), ACCEPT_RETRY_MS, note);
        sweep(l);
        g_source_unref(l->accept_source);
        l->accept_source = NULL;
        l->retry_source = g_timeout_source_new(ACCEPT_RETRY_MS);
        g_source_set_callback(l->retry_source, on_retry, l, NULL);
        g_source_attach(l->retry_source, NULL);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void
watch_accept(RmqConsoleListener *l)
{
    l->accept_source = g_socket_create_source(l->socket, G_IO_IN, NULL);
    g_source_set_name(l->accept_source, "rmq-console-accept");
    g_source_set_callback(l->accept_source, G_SOURCE_FUNC(on_incoming), l, NULL);
    g_source_attach(l->accept_source, NULL);
}

RmqConsoleListener *
rmq_console_listener_new(SoupServer *server, GSocketAddress *address, guint max_connections,
                         guint request_timeout_ms, GError **error)
{
    g_return_val_if_fail(SOUP_IS_SERVER(server) && G_IS_SOCKET_ADDRESS(address), NULL);
    g_autoptr(GSocket) socket = g_socket_new(g_socket_address_get_family(address),
                                             G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
    if (socket == NULL)
        return NULL;
    g_socket_set_blocking(socket, FALSE);
    g_socket_set_listen_backlog(socket, RMQ_CONSOLE_LISTEN_BACKLOG);
    if (!g_socket_bind(socket, address, TRUE, error) || !g_socket_listen(socket, error))
        return NULL;

    if (max_connections == 0) {
        struct rlimit rl;
        guint64 nofile = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                             ? (guint64) rl.rlim_cur
                             : 65536;
        max_connections = rmq_console_connection_cap(nofile);
    }
    RmqConsoleListener *l = g_new0(RmqConsoleListener, 1);
    l->server = g_object_ref(server);
    l->socket = g_steal_pointer(&socket);
    l->cap = max_connections;
    l->request_timeout_us = (gint64) MAX(request_timeout_ms, 1) * 1000;
    l->clients = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_object_unref,
                                       (GDestroyNotify) client_free);
    l->events = rmq_rate_limit_new(1, EVENT_LOG_INTERVAL_US, 8);
    l->request_read_id = g_signal_connect(server, "request-read", G_CALLBACK(on_request_read), l);
    watch_accept(l);
    return l;
}

void
rmq_console_listener_set_tls(RmqConsoleListener *l, GTlsCertificate *cert)
{
    g_return_if_fail(l != NULL);
    g_set_object(&l->tls, cert);
}

static void
destroy_source(GSource **source)
{
    if (*source != NULL) {
        g_source_destroy(*source);
        g_source_unref(*source);
        *source = NULL;
    }
}

void
rmq_console_listener_stop(RmqConsoleListener *l)
{
    g_return_if_fail(l != NULL);
    destroy_source(&l->accept_source);
    destroy_source(&l->retry_source);
    if (!g_socket_is_closed(l->socket))
        g_socket_close(l->socket, NULL);
}

void
rmq_console_listener_free(RmqConsoleListener *l)
{
    if (l == NULL)
        return;
    rmq_console_listener_stop(l);
    destroy_source(&l->sweep_source);
    g_signal_handler_disconnect(l->server, l->request_read_id);
    g_hash_table_destroy(l->clients);
    rmq_rate_limit_free(l->events);
    g_object_unref(l->socket);
    g_object_unref(l->server);
    g_clear_object(&l->tls);
    g_free(l);
}

guint
rmq_console_listener_get_connections(RmqConsoleListener *l)
{
    g_return_val_if_fail(l != NULL, 0);
    return g_hash_table_size(l->clients);
}

guint
rmq_console_listener_get_cap(RmqConsoleListener *l)
{
    g_return_val_if_fail(l != NULL, 0);
    return l->cap;
}
