#include <config.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "ha/ha_master.h"
#include "ha/ha_wire.h"
#include "remoting/connection.h"
#include "remoting/fd_poller.h"

G_DEFINE_QUARK(rmq-ha-error-quark, rmq_ha_error)

/* Housekeeping, heartbeats and the fallback for appends nobody announced. */
#define TICK_MS 200
/* Bytes pushed to one slave per main-loop dispatch before yielding. */
#define PUMP_BUDGET (4 * 1024 * 1024)

typedef struct {
    RmqHaMaster *master;
    GSocketConnection *conn;
    GSocket *sock;
    GSource *in_src;
    GSource *out_src;
    gchar *peer;
    guint8 rbuf[RMQ_HA_REPORT_SIZE + 4096];
    gsize rlen;
    gint64 request_offset;   /* first report, -1 until then */
    gint64 ack_offset;       /* last report, -1 until then */
    gint64 next_transfer;    /* -1 until the first report */
    guint8 hdr[RMQ_HA_TRANSFER_HEADER_SIZE];
    gsize hdr_sent;          /* == sizeof hdr when no header pending */
    GBytes *body;
    gsize body_sent;
    gint64 last_read_ms;
    gint64 last_write_ms;
} HaConn;

typedef struct {
    RmqHaMaster *master;
    gint64 offset;
    gint64 created;           /* monotonic µs, for rmq_ha_master_pending */
    RmqHaWaitCallback cb;
    gpointer data;
    GSource *timeout;
} Waiter;

struct _RmqHaMaster {
    RmqStore *store;
    RmqHaMasterConfig config;
    gchar *bind_address;
    GMainContext *context;
    GSocket *listen_sock;    /* watched by the context's poller (no GSocketService sources) */
    RmqFdWatch *listen_watch;
    RmqFdTimer *listen_backoff; /* after accept() failed other than "nothing more" */
    guint16 port;
    GList *conns;            /* HaConn* */
    GQueue waiters;          /* Waiter*, in call order */
    RmqFdTimer *tick; /* in the context's poller: no GSource walked per wake-up */
    GSource *pump;           /* pending push of new data, NULL if none */
};

static void conn_pump(HaConn *c);

static gint64
now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

void
rmq_ha_master_config_init(RmqHaMasterConfig *config)
{
    memset(config, 0, sizeof *config);
    config->port = 10912;
    config->heartbeat_interval_ms = 5000;
    config->housekeeping_interval_ms = 20000;
    config->transfer_batch_size = 32768;
    config->slave_fallbehind_max = 256 * 1024 * 1024;
}

static GSource *
attach(GSource *src, GMainContext *context, GSourceFunc fn, gpointer data)
{
    g_source_set_callback(src, fn, data, NULL);
    g_source_attach(src, context);
    return src;
}

static void
waiter_finish(Waiter *w, RmqPutStatus status)
{
    RmqHaMaster *m = w->master;

    g_queue_remove(&m->waiters, w);
    rmq_source_clear(&w->timeout);
    w->cb(status, w->data);
    g_free(w);
}

gint64
rmq_ha_master_max_acked_offset(RmqHaMaster *m)
{
    gint64 best = -1;

    for (GList *l = m->conns; l != NULL; l = l->next) {
        HaConn *c = l->data;
        best = MAX(best, c->ack_offset);
    }
    return best;
}

static void
complete_waiters(RmqHaMaster *m)
{
    gint64 acked = rmq_ha_master_max_acked_offset(m);
    GList *l = m->waiters.head;

    while (l != NULL) {
        Waiter *w = l->data;
        l = l->next;
        if (w->offset <= acked)
            waiter_finish(w, RMQ_PUT_OK);
    }
}

static void
conn_close(HaConn *c, const char *why)
{
    RmqHaMaster *m = c->master;

    g_message("HA: slave %s disconnected: %s", c->peer, why);
    m->conns = g_list_remove(m->conns, c);
    rmq_source_clear(&c->in_src);
    rmq_source_clear(&c->out_src);
    g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
    g_object_unref(c->conn);
    g_clear_pointer(&c->body, g_bytes_unref);
    g_free(c->peer);
    g_free(c);
}

static gboolean
on_readable(GSocket *sock, GIOCondition cond, gpointer data)
{
    HaConn *c = data;
    RmqHaMaster *m = c->master;
    g_autoptr(GError) error = NULL;
    gssize n;
    gint64 report = -1;
    gsize used;

    (void) cond;
    n = g_socket_receive(sock, (gchar *) c->rbuf + c->rlen, sizeof c->rbuf - c->rlen, NULL, &error);
    if (n < 0) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return G_SOURCE_CONTINUE;
        c->in_src = NULL;          /* returning REMOVE destroys it */
        g_source_unref(g_main_current_source());
        conn_close(c, error->message);
        return G_SOURCE_REMOVE;
    }
    if (n == 0) {
        c->in_src = NULL;
        g_source_unref(g_main_current_source());
        conn_close(c, "closed by the slave");
        return G_SOURCE_REMOVE;
    }
    c->rlen += (gsize) n;
    c->last_read_ms = now_ms();
    used = rmq_ha_wire_last_report(c->rbuf, c->rlen, &report);
    memmove(c->rbuf, c->rbuf + used, c->rlen - used);
    c->rlen -= used;
    if (used == 0)
        return G_SOURCE_CONTINUE;

    if (c->request_offset < 0) {
        /* The first report says where the slave wants us to start.  An empty
         * slave (0) gets our oldest data, so its log is a full copy (Java
         * starts at our last file; our store appends only at its end). */
        c->request_offset = report;
        c->next_transfer = report > 0 ? report : rmq_store_get_min_phy_offset(m->store);
        g_message("HA: slave %s requests offset %" G_GINT64_FORMAT ", transfer from %" G_GINT64_FORMAT,
                  c->peer, report, c->next_transfer);
    } else if (report > rmq_store_get_max_phy_offset(m->store)) {
        g_autofree gchar *why = g_strdup_printf("acknowledged %" G_GINT64_FORMAT
                                                " beyond our max offset %" G_GINT64_FORMAT,
                                                report, rmq_store_get_max_phy_offset(m->store));
        c->in_src = NULL;
        g_source_unref(g_main_current_source());
        conn_close(c, why);
        complete_waiters(m);
        return G_SOURCE_REMOVE;
    }
    c->ack_offset = report;
    complete_waiters(m);
    conn_pump(c);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_writable(GSocket *sock, GIOCondition cond, gpointer data)
{
    HaConn *c = data;

    (void) sock;
    (void) cond;
    /* conn_pump re-arms it if the socket is still full */
    g_source_unref(c->out_src);
    c->out_src = NULL;
    conn_pump(c);
    return G_SOURCE_REMOVE;
}

/* Sends what is pending; FALSE when the socket is full or closed (c may be
 * gone in the latter case: *closed says so). */
static gboolean
send_pending(HaConn *c, gsize *budget, gboolean *closed)
{
    g_autoptr(GError) error = NULL;

    *closed = FALSE;
    while (c->hdr_sent < sizeof c->hdr || c->body != NULL) {
        const guint8 *p;
        gsize len;
        gssize n;

        if (c->hdr_sent < sizeof c->hdr) {
            p = c->hdr + c->hdr_sent;
            len = sizeof c->hdr - c->hdr_sent;
        } else {
            p = (const guint8 *) g_bytes_get_data(c->body, &len) + c->body_sent;
            len -= c->body_sent;
        }
        n = g_socket_send(c->sock, (const gchar *) p, len, NULL, &error);
        if (n < 0) {
            if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                return FALSE;
            conn_close(c, error->message);
            *closed = TRUE;
            return FALSE;
        }
        *budget = *budget > (gsize) n ? *budget - (gsize) n : 0;
        if (c->hdr_sent < sizeof c->hdr) {
            c->hdr_sent += (gsize) n;
        } else {
            c->body_sent += (gsize) n;
            if (c->body_sent == g_bytes_get_size(c->body)) {
                g_clear_pointer(&c->body, g_bytes_unref);
                c->body_sent = 0;
            }
        }
    }
    c->last_write_ms = now_ms();
    return TRUE;
}

static void
queue_frame(HaConn *c, gint64 start, GBytes *body)
{
    gsize size = body != NULL ? g_bytes_get_size(body) : 0;

    rmq_ha_wire_encode_transfer_header(c->hdr, start, (gint32) size);
    c->hdr_sent = 0;
    c->body = body;
    c->body_sent = 0;
}

static void
conn_pump(HaConn *c)
{
    RmqHaMaster *m = c->master;
    gsize budget = PUMP_BUDGET;
    gboolean closed;

    if (c->out_src != NULL)
        return;                     /* waiting for the socket to drain */
    for (;;) {
        if (c->hdr_sent == sizeof c->hdr && c->body == NULL) {
            GBytes *data;

            if (c->next_transfer < 0)
                return;             /* no request offset yet */
            if (budget == 0)
                break;
            data = rmq_store_get_commit_log_data(m->store, c->next_transfer,
                                                 (gsize) m->config.transfer_batch_size);
            if (data != NULL && g_bytes_get_size(data) > 0) {
                gint64 start = c->next_transfer;
                c->next_transfer += (gint64) g_bytes_get_size(data);
                queue_frame(c, start, data);
            } else {
                g_clear_pointer(&data, g_bytes_unref);
                if (now_ms() - c->last_write_ms < m->config.heartbeat_interval_ms)
                    return;
                queue_frame(c, c->next_transfer, NULL);
            }
        }
        if (!send_pending(c, &budget, &closed)) {
            if (closed)
                return;
            break;
        }
    }
    /* socket full or budget spent: continue when writable (yields to the loop) */
    c->out_src = g_socket_create_source(c->sock, G_IO_OUT, NULL);
    attach(c->out_src, m->context, (GSourceFunc) (void (*)(void)) on_writable, c);
}

static void
on_incoming(RmqHaMaster *m, GSocketConnection *conn)
{
    HaConn *c = g_new0(HaConn, 1);
    g_autoptr(GSocketAddress) addr = g_socket_connection_get_remote_address(conn, NULL);

    c->master = m;
    c->conn = g_object_ref(conn);
    c->sock = g_socket_connection_get_socket(conn);
    g_socket_set_blocking(c->sock, FALSE);
    g_socket_set_option(c->sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
    if (G_IS_INET_SOCKET_ADDRESS(addr)) {
        g_autofree gchar *ip = g_inet_address_to_string(
            g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(addr)));
        c->peer = g_strdup_printf("%s:%u", ip,
                                  g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(addr)));
    } else {
        c->peer = g_strdup("?");
    }
    c->request_offset = -1;
    c->ack_offset = -1;
    c->next_transfer = -1;
    c->hdr_sent = sizeof c->hdr;
    c->last_read_ms = c->last_write_ms = now_ms();
    c->in_src = g_socket_create_source(c->sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    attach(c->in_src, m->context, (GSourceFunc) (void (*)(void)) on_readable, c);
    m->conns = g_list_prepend(m->conns, c);
    g_message("HA: slave %s connected", c->peer);
}

static gboolean
on_listen_backoff_done(gpointer data)
{
    RmqHaMaster *m = data;

    rmq_fd_watch_set_events(m->listen_watch, G_IO_IN);
    return G_SOURCE_REMOVE;
}

/* The listening socket is readable: accept what is queued (a few slaves at
 * most). After an error other than "nothing more" (EMFILE: the socket stays
 * readable) the watch rests for a second instead of spinning. */
static void
on_listen_ready(RmqFdWatch *watch, GIOCondition events, gpointer data)
{
    RmqHaMaster *m = data;

    (void) watch;
    (void) events;
    for (int i = 0; i < 16; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GSocket) sock = g_socket_accept(m->listen_sock, NULL, &error);
        if (sock == NULL) {
            if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
                g_warning("HA: accept failed: %s", error->message);
                rmq_fd_watch_set_events(m->listen_watch, 0);
                rmq_fd_timer_set_ready_time(m->listen_backoff,
                                            g_get_monotonic_time() + G_USEC_PER_SEC);
            }
            return;
        }
        g_autoptr(GSocketConnection) conn = g_socket_connection_factory_create_connection(sock);
        on_incoming(m, conn);
    }
}

static gboolean
on_tick(gpointer data)
{
    RmqHaMaster *m = data;
    gint64 now = now_ms();
    GList *l = m->conns;

    while (l != NULL) {
        HaConn *c = l->data;
        l = l->next;
        if (now - c->last_read_ms > m->config.housekeeping_interval_ms) {
            conn_close(c, "housekeeping timeout");
            complete_waiters(m);
            continue;
        }
        conn_pump(c);
    }
    /* as the timeout source did: the next tick counts from this one */
    rmq_fd_timer_set_ready_time(m->tick, g_get_monotonic_time() + (gint64) TICK_MS * 1000);
    return G_SOURCE_CONTINUE;
}

RmqHaMaster *
rmq_ha_master_new(RmqStore *store, const RmqHaMasterConfig *config, GMainContext *context,
                  GError **error)
{
    g_autoptr(RmqHaMaster) m = g_new0(RmqHaMaster, 1);
    g_autoptr(GInetAddress) ia = NULL;
    g_autoptr(GSocketAddress) sa = NULL;
    g_autoptr(GSocketAddress) effective = NULL;
    g_autoptr(GError) local = NULL;

    g_return_val_if_fail(store != NULL && config != NULL, NULL);
    m->store = store;
    m->config = *config;
    m->bind_address = g_strdup(config->bind_address);
    m->config.bind_address = m->bind_address;
    m->context = g_main_context_ref(context != NULL ? context : g_main_context_default());
    g_queue_init(&m->waiters);

    if (m->bind_address != NULL && *m->bind_address != '\0') {
        ia = g_inet_address_new_from_string(m->bind_address);
        if (ia == NULL) {
            g_set_error(error, RMQ_HA_ERROR, RMQ_HA_ERROR_BIND,
                        "haListenPort %u: bind address '%s' is not an IP address",
                        config->port, m->bind_address);
            return NULL;
        }
    } else {
        ia = g_inet_address_new_any(G_SOCKET_FAMILY_IPV4);
    }
    sa = g_inet_socket_address_new(ia, config->port);

    /* A listening socket in the context's poller: GSocketService's accept
     * source (and its cancellable's child source) were two GSources GLib
     * walked on every wake-up. SO_REUSEADDR as GSocketListener. */
    m->listen_sock = g_socket_new(g_inet_address_get_family(ia), G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &local);
    if (m->listen_sock != NULL) {
        g_socket_set_blocking(m->listen_sock, FALSE);
        g_socket_set_listen_backlog(m->listen_sock, 10);
    }
    if (m->listen_sock == NULL || !g_socket_bind(m->listen_sock, sa, TRUE, &local) ||
        !g_socket_listen(m->listen_sock, &local)) {
        g_set_error(error, RMQ_HA_ERROR, RMQ_HA_ERROR_BIND,
                    "haListenPort %u is not available: %s", config->port, local->message);
        return NULL;
    }
    effective = g_socket_get_local_address(m->listen_sock, &local);
    if (effective == NULL) {
        g_set_error(error, RMQ_HA_ERROR, RMQ_HA_ERROR_BIND, "haListenPort %u: %s", config->port,
                    local->message);
        return NULL;
    }
    m->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));

    RmqFdPoller *poller = rmq_fd_poller_get(m->context);
    m->listen_watch = rmq_fd_watch_new(poller, g_socket_get_fd(m->listen_sock), on_listen_ready, m);
    rmq_fd_watch_set_events(m->listen_watch, G_IO_IN);
    m->listen_backoff = rmq_fd_timer_new(poller, on_listen_backoff_done, m);
    m->tick = rmq_fd_timer_new(poller, on_tick, m);
    rmq_fd_poller_unref(poller); /* the timer holds its own */
    rmq_fd_timer_set_ready_time(m->tick, g_get_monotonic_time() + (gint64) TICK_MS * 1000);
    return g_steal_pointer(&m);
}

void
rmq_ha_master_free(RmqHaMaster *m)
{
    if (m == NULL)
        return;
    rmq_fd_watch_clear(&m->listen_watch);
    rmq_fd_timer_clear(&m->listen_backoff);
    if (m->listen_sock != NULL) {
        g_socket_close(m->listen_sock, NULL);
        g_clear_object(&m->listen_sock);
    }
    while (m->conns != NULL)
        conn_close(m->conns->data, "shutting down");
    while (!g_queue_is_empty(&m->waiters))
        waiter_finish(g_queue_peek_head(&m->waiters), RMQ_PUT_FLUSH_SLAVE_TIMEOUT);
    rmq_fd_timer_clear(&m->tick);
    rmq_source_clear(&m->pump);
    g_main_context_unref(m->context);
    g_free(m->bind_address);
    g_free(m);
}

guint16
rmq_ha_master_get_port(RmqHaMaster *m)
{
    return m->port;
}

static void
pump_all(RmqHaMaster *m)
{
    GList *l = m->conns;

    while (l != NULL) {
        HaConn *c = l->data;
        l = l->next;            /* conn_pump may close c */
        conn_pump(c);
    }
}

static gboolean
on_pump(gpointer data)
{
    RmqHaMaster *m = data;

    g_source_unref(m->pump);
    m->pump = NULL;             /* returning REMOVE destroys it */
    pump_all(m);
    return G_SOURCE_REMOVE;
}

/* The push runs from the loop's next iteration, after the other requests
 * already read: the appends of one iteration go out in one frame. */
void
rmq_ha_master_notify_appended(RmqHaMaster *m)
{
    if (m->pump != NULL || m->conns == NULL)
        return;
    m->pump = g_idle_source_new();
    g_source_set_priority(m->pump, G_PRIORITY_DEFAULT);
    attach(m->pump, m->context, on_pump, m);
}

guint
rmq_ha_master_connection_count(RmqHaMaster *m)
{
    return g_list_length(m->conns);
}

void
rmq_ha_master_reconfigure(RmqHaMaster *m, const RmqHaMasterConfig *config)
{
    m->config.heartbeat_interval_ms = config->heartbeat_interval_ms;
    m->config.housekeeping_interval_ms = config->housekeeping_interval_ms;
    m->config.transfer_batch_size = config->transfer_batch_size;
    m->config.slave_fallbehind_max = config->slave_fallbehind_max;
}

gboolean
rmq_ha_master_slave_ok(RmqHaMaster *m, gint64 put_where)
{
    gint64 acked;

    if (m->conns == NULL)
        return FALSE;
    acked = MAX(rmq_ha_master_max_acked_offset(m), 0);
    return put_where - acked < m->config.slave_fallbehind_max;
}

static gboolean
on_wait_timeout(gpointer data)
{
    Waiter *w = data;

    g_source_unref(w->timeout);
    w->timeout = NULL;              /* returning REMOVE destroys it */
    waiter_finish(w, RMQ_PUT_FLUSH_SLAVE_TIMEOUT);
    return G_SOURCE_REMOVE;
}

typedef struct {
    RmqHaWaitCallback cb;
    gpointer data;
    RmqPutStatus status;
} Immediate;

static gboolean
on_immediate(gpointer data)
{
    Immediate *im = data;

    im->cb(im->status, im->data);
    return G_SOURCE_REMOVE;
}

void
rmq_ha_master_wait_async(RmqHaMaster *m, gint64 offset, gint timeout_ms,
                         RmqHaWaitCallback callback, gpointer user_data)
{
    Waiter *w;

    g_return_if_fail(m != NULL && callback != NULL);
    if (!rmq_ha_master_slave_ok(m, offset) || rmq_ha_master_max_acked_offset(m) >= offset) {
        Immediate *im = g_new(Immediate, 1);
        GSource *src = g_idle_source_new();

        im->cb = callback;
        im->data = user_data;
        im->status = rmq_ha_master_slave_ok(m, offset) ? RMQ_PUT_OK : RMQ_PUT_SLAVE_NOT_AVAILABLE;
        g_source_set_priority(src, G_PRIORITY_DEFAULT);
        g_source_set_callback(src, on_immediate, im, g_free);
        g_source_attach(src, m->context);
        g_source_unref(src);
        return;
    }
    w = g_new0(Waiter, 1);
    w->master = m;
    w->offset = offset;
    w->created = g_get_monotonic_time();
    w->cb = callback;
    w->data = user_data;
    w->timeout = g_timeout_source_new((guint) MAX(timeout_ms, 0));
    attach(w->timeout, m->context, on_wait_timeout, w);
    g_queue_push_tail(&m->waiters, w);
    /* the data may not have gone out yet */
    rmq_ha_master_notify_appended(m);
}

guint
rmq_ha_master_pending(RmqHaMaster *m, gint64 *oldest_us)
{
    Waiter *w = g_queue_peek_head(&m->waiters);

    if (oldest_us != NULL)
        *oldest_us = w != NULL ? w->created : 0;
    return g_queue_get_length(&m->waiters);
}
