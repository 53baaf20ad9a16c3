#include <config.h>

#include "support/net-util.h"

#include "remoting/codec.h"

guint16
rmq_test_free_port(void)
{
    g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                        G_SOCKET_PROTOCOL_TCP, NULL);
    g_assert_nonnull(s);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, 0);
    g_assert_true(g_socket_bind(s, sa, FALSE, NULL));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(s, NULL);
    guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    g_socket_close(s, NULL);
    return port;
}

static gboolean
on_deadline(gpointer user_data)
{
    *(gboolean *) user_data = TRUE;
    return G_SOURCE_REMOVE;
}

typedef gboolean (*DonePredicate)(gconstpointer data, guint target);

static gboolean
wait_until(GMainContext *ctx, DonePredicate done, gconstpointer data, guint target,
           guint timeout_ms)
{
    if (ctx == NULL)
        ctx = g_main_context_default();
    gboolean expired = FALSE;
    GSource *timer = g_timeout_source_new(timeout_ms);
    g_source_set_callback(timer, on_deadline, &expired, NULL);
    g_source_attach(timer, ctx);
    while (!done(data, target) && !expired)
        g_main_context_iteration(ctx, TRUE);
    g_source_destroy(timer);
    g_source_unref(timer);
    return done(data, target);
}

static gboolean
flag_done(gconstpointer data, guint target)
{
    return *(const gboolean *) data;
}

static gboolean
count_done(gconstpointer data, guint target)
{
    return *(const guint *) data >= target;
}

static gboolean
never_done(gconstpointer data, guint target)
{
    return FALSE;
}

gboolean
rmq_test_wait_flag(GMainContext *ctx, const gboolean *flag, guint timeout_ms)
{
    return wait_until(ctx, flag_done, flag, 0, timeout_ms);
}

gboolean
rmq_test_wait_count(GMainContext *ctx, const guint *counter, guint target, guint timeout_ms)
{
    return wait_until(ctx, count_done, counter, target, timeout_ms);
}

void
rmq_test_spin(GMainContext *ctx, guint ms)
{
    wait_until(ctx, never_done, NULL, 0, ms);
}

GSocket *
rmq_test_raw_connect(guint16 port)
{
    g_autoptr(GError) error = NULL;
    GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                              &error);
    g_assert_no_error(error);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, port);
    /* Loopback connect completes from the kernel's backlog, no loop needed. */
    g_assert_true(g_socket_connect(s, sa, NULL, &error));
    g_assert_no_error(error);
    g_socket_set_blocking(s, FALSE);
    return s;
}

static gboolean
on_socket_ready(GSocket *socket, GIOCondition cond, gpointer user_data)
{
    *(gboolean *) user_data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Wait until @socket reports @cond, iterating @ctx. */
static gboolean
wait_socket(GMainContext *ctx, GSocket *socket, GIOCondition cond, gint64 deadline)
{
    gint64 left = (deadline - g_get_monotonic_time()) / 1000;
    if (left <= 0)
        return FALSE;
    gboolean ready = FALSE;
    GSource *src = g_socket_create_source(socket, cond | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(src, G_SOURCE_FUNC(on_socket_ready), &ready, NULL);
    g_source_attach(src, ctx != NULL ? ctx : g_main_context_default());
    rmq_test_wait_flag(ctx, &ready, (guint) left);
    g_source_destroy(src);
    g_source_unref(src);
    return ready;
}

static gint64
deadline_in(guint ms)
{
    return g_get_monotonic_time() + (gint64) ms * 1000;
}

gboolean
rmq_test_raw_write(GMainContext *ctx, GSocket *socket, const void *data, gsize len,
                   guint timeout_ms)
{
    gint64 deadline = deadline_in(timeout_ms);
    const guint8 *p = data;
    while (len > 0) {
        g_autoptr(GError) error = NULL;
        gssize n = g_socket_send(socket, (const gchar *) p, len, NULL, &error);
        if (n > 0) {
            p += n;
            len -= (gsize) n;
            continue;
        }
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return FALSE;
        if (!wait_socket(ctx, socket, G_IO_OUT, deadline))
            return FALSE;
    }
    return TRUE;
}

/* Read what is available into @buf: 1 = got data, 0 = EOF/reset, -1 = nothing yet. */
static int
read_some(GSocket *socket, GByteArray *buf)
{
    guint8 tmp[65536];
    g_autoptr(GError) error = NULL;
    gssize n = g_socket_receive(socket, (gchar *) tmp, sizeof tmp, NULL, &error);
    if (n > 0) {
        g_byte_array_append(buf, tmp, (guint) n);
        return 1;
    }
    if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return -1;
    return 0;
}

RmqCommand *
rmq_test_raw_read_command(GMainContext *ctx, GSocket *socket, GByteArray *buf, guint timeout_ms)
{
    gint64 deadline = deadline_in(timeout_ms);
    for (;;) {
        RmqCommand *cmd = NULL;
        gsize consumed = 0;
        g_autoptr(GError) error = NULL;
        RmqDecodeStatus st = rmq_codec_decode_frame(buf->data, buf->len, 0, &cmd, &consumed,
                                                    &error);
        if (st == RMQ_DECODE_OK) {
            g_byte_array_remove_range(buf, 0, (guint) consumed);
            return cmd;
        }
        if (st == RMQ_DECODE_ERROR)
            return NULL;
        int r = read_some(socket, buf);
        if (r == 0)
            return NULL;
        if (r < 0 && !wait_socket(ctx, socket, G_IO_IN, deadline))
            return NULL;
    }
}

gboolean
rmq_test_raw_read_at_least(GMainContext *ctx, GSocket *socket, GByteArray *buf, gsize n,
                           guint timeout_ms)
{
    gint64 deadline = deadline_in(timeout_ms);
    while (buf->len < n) {
        int r = read_some(socket, buf);
        if (r == 0)
            return FALSE;
        if (r < 0 && !wait_socket(ctx, socket, G_IO_IN, deadline))
            return FALSE;
    }
    return TRUE;
}

gboolean
rmq_test_raw_wait_closed(GMainContext *ctx, GSocket *socket, guint timeout_ms)
{
    gint64 deadline = deadline_in(timeout_ms);
    g_autoptr(GByteArray) sink = g_byte_array_new();
    for (;;) {
        int r = read_some(socket, sink);
        if (r == 0)
            return TRUE;
        g_byte_array_set_size(sink, 0);
        if (r < 0 && !wait_socket(ctx, socket, G_IO_IN, deadline))
            return FALSE;
    }
}

gboolean
rmq_test_raw_expect_silence(GMainContext *ctx, GSocket *socket, GByteArray *buf, guint ms)
{
    rmq_test_spin(ctx, ms);
    return read_some(socket, buf) < 0;
}
