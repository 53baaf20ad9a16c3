#include <config.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "ha/ha_slave.h"
#include "ha/ha_wire.h"
#include "remoting/connection.h"

#define TICK_MS 200
/* A master never sends more than haTransferBatchSize per frame; anything
 * this large is not an HA stream. */
#define MAX_FRAME (64 * 1024 * 1024)

struct _RmqHaSlave {
    RmqStore *store;
    RmqHaSlaveConfig config;
    GMainContext *context;
    gchar *master_addr;
    GSocketClient *client;
    GCancellable *connecting;
    GSocketConnection *conn;
    GSocket *sock;
    GSource *in_src;
    GSource *out_src;
    GSource *tick;
    GByteArray *buf;         /* received, not yet processed */
    guint8 out[RMQ_HA_REPORT_SIZE];
    gsize out_len, out_sent;
    gint64 reported;         /* last offset put into out[] */
    gint64 last_read_ms;
    gint64 last_write_ms;
    gint64 next_connect_ms;
    gint64 master_position;
    gint64 last_frame_ms;
    guint connects;
};

static void start_connect(RmqHaSlave *s);

static gint64
now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

void
rmq_ha_slave_config_init(RmqHaSlaveConfig *config)
{
    config->heartbeat_interval_ms = 5000;
    config->housekeeping_interval_ms = 20000;
    config->reconnect_interval_ms = 5000;
    config->connect_timeout_ms = 3000;
}

static void
disconnect(RmqHaSlave *s, const char *why)
{
    if (s->connecting != NULL) {
        g_cancellable_cancel(s->connecting);
        g_clear_object(&s->connecting);
    }
    if (s->conn != NULL) {
        if (why != NULL)
            g_message("HA: connection to master %s closed: %s", s->master_addr, why);
        rmq_source_clear(&s->in_src);
        rmq_source_clear(&s->out_src);
        g_io_stream_close(G_IO_STREAM(s->conn), NULL, NULL);
        g_clear_object(&s->conn);
        s->sock = NULL;
    }
    g_byte_array_set_size(s->buf, 0);
    s->out_len = s->out_sent = 0;
    s->next_connect_ms = now_ms() + s->config.reconnect_interval_ms;
}

static gboolean on_writable(GSocket *sock, GIOCondition cond, gpointer data);

/* FALSE if the connection broke (and was closed). */
static gboolean
flush_out(RmqHaSlave *s)
{
    g_autoptr(GError) error = NULL;

    while (s->out_sent < s->out_len) {
        gssize n = g_socket_send(s->sock, (const gchar *) s->out + s->out_sent,
                                 s->out_len - s->out_sent, NULL, &error);
        if (n < 0) {
            if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
                if (s->out_src == NULL) {
                    s->out_src = g_socket_create_source(s->sock, G_IO_OUT, NULL);
                    g_source_set_callback(s->out_src, (GSourceFunc) (void (*)(void)) on_writable,
                                          s, NULL);
                    g_source_attach(s->out_src, s->context);
                }
                return TRUE;
            }
            disconnect(s, error->message);
            return FALSE;
        }
        s->out_sent += (gsize) n;
    }
    s->out_len = s->out_sent = 0;
    s->last_write_ms = now_ms();
    return TRUE;
}

/* Report our max offset unless a report is still on its way. */
static gboolean
report(RmqHaSlave *s)
{
    if (s->out_len > 0)
        return TRUE;
    s->reported = rmq_store_get_max_phy_offset(s->store);
    rmq_ha_wire_encode_report(s->out, s->reported);
    s->out_len = sizeof s->out;
    s->out_sent = 0;
    return flush_out(s);
}

static gboolean
on_writable(GSocket *sock, GIOCondition cond, gpointer data)
{
    RmqHaSlave *s = data;

    (void) sock;
    (void) cond;
    g_source_unref(s->out_src);
    s->out_src = NULL;          /* returning REMOVE destroys it */
    if (flush_out(s) && s->out_len == 0 &&
        rmq_store_get_max_phy_offset(s->store) > s->reported)
        report(s);
    return G_SOURCE_REMOVE;
}

/* Applies every whole frame in buf; FALSE (and disconnected) on a bad one. */
static gboolean
process_frames(RmqHaSlave *s)
{
    gsize pos = 0;
    gboolean ok = TRUE;

    while (ok) {
        gint64 start;
        gint32 size;
        gint64 ours;

        if (!rmq_ha_wire_decode_transfer_header(s->buf->data + pos, s->buf->len - pos,
                                                &start, &size))
            break;
        if (size < 0 || size > MAX_FRAME || start < 0) {
            disconnect(s, "bad transfer header");
            return FALSE;
        }
        if (s->buf->len - pos < RMQ_HA_TRANSFER_HEADER_SIZE + (gsize) size)
            break;
        ours = rmq_store_get_max_phy_offset(s->store);
        s->master_position = start + size;
        s->last_frame_ms = now_ms();
        if (ours != 0 && start != ours) {
            g_autofree gchar *why = g_strdup_printf(
                "master sent offset %" G_GINT64_FORMAT ", our log ends at %" G_GINT64_FORMAT,
                start, ours);
            disconnect(s, why);
            return FALSE;
        }
        if (size > 0) {
            g_autoptr(GError) error = NULL;
            if (!rmq_store_append_raw(s->store, start,
                                      s->buf->data + pos + RMQ_HA_TRANSFER_HEADER_SIZE,
                                      (gsize) size, &error)) {
                g_warning("HA: cannot store data from master %s at %" G_GINT64_FORMAT ": %s",
                          s->master_addr, start, error->message);
                disconnect(s, NULL);
                return FALSE;
            }
        }
        pos += RMQ_HA_TRANSFER_HEADER_SIZE + (gsize) size;
    }
    g_byte_array_remove_range(s->buf, 0, (guint) pos);
    return TRUE;
}

static gboolean
on_readable(GSocket *sock, GIOCondition cond, gpointer data)
{
    RmqHaSlave *s = data;
    g_autoptr(GError) error = NULL;
    guint8 chunk[65536];
    gssize n;

    (void) cond;
    n = g_socket_receive(sock, (gchar *) chunk, sizeof chunk, NULL, &error);
    if (n <= 0) {
        if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return G_SOURCE_CONTINUE;
        g_source_unref(s->in_src);
        s->in_src = NULL;       /* returning REMOVE destroys it */
        disconnect(s, n == 0 ? "closed by the master" : error->message);
        return G_SOURCE_REMOVE;
    }
    s->last_read_ms = now_ms();
    g_byte_array_append(s->buf, chunk, (guint) n);
    if (!process_frames(s))
        return G_SOURCE_REMOVE;  /* disconnect() destroyed this source */
    if (rmq_store_get_max_phy_offset(s->store) > s->reported)
        report(s);
    return G_SOURCE_CONTINUE;
}

typedef struct {
    RmqHaSlave *slave;
    GCancellable *cancel;    /* cancelled when the slave gave up on this attempt */
} Attempt;

static void
on_connected(GObject *source, GAsyncResult *res, gpointer data)
{
    g_autoptr(GError) error = NULL;
    Attempt *a = data;
    GSocketConnection *conn = g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source),
                                                                    res, &error);
    RmqHaSlave *s = a->slave;
    gboolean abandoned = g_cancellable_is_cancelled(a->cancel);

    g_object_unref(a->cancel);
    g_free(a);
    if (abandoned) {             /* s may be gone */
        if (conn != NULL) {
            g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
            g_object_unref(conn);
        }
        return;
    }
    g_clear_object(&s->connecting);
    if (conn == NULL) {
        g_message("HA: cannot connect to master %s: %s", s->master_addr, error->message);
        s->next_connect_ms = now_ms() + s->config.reconnect_interval_ms;
        return;
    }
    s->conn = conn;
    s->sock = g_socket_connection_get_socket(conn);
    g_socket_set_timeout(s->sock, 0);
    g_socket_set_blocking(s->sock, FALSE);
    g_socket_set_option(s->sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
    s->connects++;
    s->last_read_ms = s->last_write_ms = now_ms();
    s->in_src = g_socket_create_source(s->sock, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(s->in_src, (GSourceFunc) (void (*)(void)) on_readable, s, NULL);
    g_source_attach(s->in_src, s->context);
    g_message("HA: connected to master %s, our max offset %" G_GINT64_FORMAT, s->master_addr,
              rmq_store_get_max_phy_offset(s->store));
    /* Java waits one heartbeat interval before its first report; reporting
     * at once starts the transfer sooner and is the same on the wire. */
    report(s);
}

static void
start_connect(RmqHaSlave *s)
{
    Attempt *a;

    if (s->master_addr == NULL || s->conn != NULL || s->connecting != NULL)
        return;
    a = g_new(Attempt, 1);
    s->connecting = g_cancellable_new();
    a->slave = s;
    a->cancel = g_object_ref(s->connecting);
    g_main_context_push_thread_default(s->context);
    g_socket_client_connect_to_host_async(s->client, s->master_addr, 0, s->connecting,
                                          on_connected, a);
    g_main_context_pop_thread_default(s->context);
}

static gboolean
on_tick(gpointer data)
{
    RmqHaSlave *s = data;
    gint64 now = now_ms();

    if (s->conn == NULL) {
        if (now >= s->next_connect_ms)
            start_connect(s);
        return G_SOURCE_CONTINUE;
    }
    if (now - s->last_read_ms > s->config.housekeeping_interval_ms) {
        disconnect(s, "housekeeping timeout");
        return G_SOURCE_CONTINUE;
    }
    if (now - s->last_write_ms >= s->config.heartbeat_interval_ms ||
        rmq_store_get_max_phy_offset(s->store) > s->reported)
        report(s);
    return G_SOURCE_CONTINUE;
}

void
rmq_ha_slave_reconfigure(RmqHaSlave *s, const RmqHaSlaveConfig *config)
{
    s->config.heartbeat_interval_ms = config->heartbeat_interval_ms;
    s->config.housekeeping_interval_ms = config->housekeeping_interval_ms;
}

RmqHaSlave *
rmq_ha_slave_new(RmqStore *store, const RmqHaSlaveConfig *config, GMainContext *context)
{
    RmqHaSlave *s = g_new0(RmqHaSlave, 1);

    s->store = store;
    s->config = *config;
    s->context = g_main_context_ref(context != NULL ? context : g_main_context_default());
    s->client = g_socket_client_new();
    g_socket_client_set_enable_proxy(s->client, FALSE); /* as remoting/client.c: direct only */
    g_socket_client_set_timeout(s->client, (guint) MAX(1, (config->connect_timeout_ms + 999) / 1000));
    s->buf = g_byte_array_new();
    s->master_position = -1;
    s->tick = g_timeout_source_new(TICK_MS);
    g_source_set_callback(s->tick, on_tick, s, NULL);
    g_source_attach(s->tick, s->context);
    return s;
}

void
rmq_ha_slave_free(RmqHaSlave *s)
{
    if (s == NULL)
        return;
    disconnect(s, NULL);
    rmq_source_clear(&s->tick);
    g_object_unref(s->client);
    g_byte_array_unref(s->buf);
    g_main_context_unref(s->context);
    g_free(s->master_addr);
    g_free(s);
}

void
rmq_ha_slave_set_master_address(RmqHaSlave *s, const gchar *address)
{
    if (address != NULL && *address == '\0')
        address = NULL;
    if (g_strcmp0(address, s->master_addr) == 0)
        return;
    disconnect(s, "master address changed");
    g_free(s->master_addr);
    s->master_addr = g_strdup(address);
    s->next_connect_ms = 0;
    if (address != NULL)
        g_message("HA: master is %s", address);
    start_connect(s);
}

const gchar *
rmq_ha_slave_get_master_address(RmqHaSlave *s)
{
    return s->master_addr;
}

gboolean
rmq_ha_slave_is_connected(RmqHaSlave *s)
{
    return s->conn != NULL;
}

guint
rmq_ha_slave_connect_count(RmqHaSlave *s)
{
    return s->connects;
}

gint64
rmq_ha_slave_master_position(RmqHaSlave *s)
{
    return s->master_position;
}

gint64
rmq_ha_slave_last_frame_ms(RmqHaSlave *s)
{
    return s->last_frame_ms;
}
