#include <config.h>

#include "remoting/connection.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "common/ratelimit.h"
#include "remoting/codec.h"
#include "remoting/fd_poller.h"
#include "remoting/tls.h"

G_DEFINE_QUARK(rmq-connection-error-quark, rmq_connection_error)

/* Bytes asked of the kernel per read, and reads per wake-up (fairness between peers). */
#define READ_CHUNK ((gsize) 64 * 1024)
#define READS_PER_WAKEUP 16
/* Buffers handed to one sendmsg(). */
#define WRITE_VECTORS 64
/* Capacity of the output buffer kept between writes (a larger one, grown
 * by a burst, is given back once written). */
#define OUTBUF_KEEP ((gsize) 16 * 1024)

typedef struct {
    RmqConnectionFunc func;
    gpointer user_data;
} CloseHook;

/* One of our own requests waiting for its response. */
typedef struct {
    RmqConnection *conn; /* weak: the connection fails us before it goes away */
    gint32 opaque;
    RmqResponseCallback callback;
    gpointer user_data;
    RmqFdTimer *timer; /* in the connection's poller */
    guint timeout_ms;
} Pending;

struct _RmqConnection {
    gint ref_count;
    GSocketConnection *socket_conn;
    GSocket *socket;
    int fd; /* of socket: recv() and send() on it directly */
    RmqTls *tls; /* NULL: plain TCP, the fast path (remoting/tls.h) */
    GSource *tls_source; /* reads again what the session holds (the fd will not wake us) */
    GMainContext *context;
    gchar *peer;
    gchar *local;

    RmqRequestHandler handler;
    gpointer handler_data;
    GArray *close_hooks; /* of CloseHook */

    GByteArray *inbuf;
    GQueue outq;       /* of GBytes, whole frames */
    GString *outbuf;   /* small frames after those of outq, encoded in place */
    gsize out_offset;  /* bytes of the head frame already written */
    gsize queued;      /* bytes not yet written */

    /* The descriptor and the deadlines live in the context's poller
     * (fd_poller.h): no GSource per connection for GLib to walk. */
    RmqFdPoller *poller;
    RmqFdWatch *watch;      /* G_IO_IN while reading, G_IO_OUT while output waits */
    GSource *resume_source; /* processes buffered input after a pause */
    RmqFdTimer *idle_timer;
    guint idle_seconds;
    gint64 last_activity;
    guint8 peer_addr[16]; /* the peer text's address as bytes (peer_bytes) */
    guint8 peer_addr_len; /* 4 or 16; 0 = not an IP peer */
    guint16 peer_port;
    RmqFdTimer *frame_timer; /* frame deadline; ready time -1 while disarmed */
    guint frame_seconds;    /* 0 = no deadline */
    gint64 frame_started;   /* monotonic µs the unfinished frame began, 0 = none */

    /* Write-buffer limit: a peer that stops reading is cut off. */
    gsize write_max;         /* bytes queued beyond which it is closed, 0 = none */
    guint write_stall_ms;    /* output unsent this long closes it, 0 = never */
    gint64 write_progress;   /* monotonic µs of the last write that made progress */
    gboolean write_over;     /* write_max passed: closing from the loop */
    RmqFdTimer *stall_timer;

    gboolean started;
    gboolean backpressure; /* pause reads while output is backed up */
    gboolean paused;
    gboolean processing;
    guint output_held; /* rmq_connection_hold_output() depth */
    gboolean closed;
    gchar *close_reason;

    GHashTable *pending; /* opaque -> Pending */
    gint32 next_opaque;

    gpointer data;
    GDestroyNotify data_destroy;
};

static void connection_close_full(RmqConnection *conn, GLogLevelFlags level, const gchar *reason);
static gboolean on_readable(GSocket *socket, GIOCondition cond, gpointer user_data);
static gboolean on_writable(GSocket *socket, GIOCondition cond, gpointer user_data);
static void on_fd_ready(RmqFdWatch *watch, GIOCondition cond, gpointer user_data);
static void resume_reading(RmqConnection *conn);
static void arm_write_stall(RmqConnection *conn, gint64 ready_time);

/* "a.b.c.d:port" also for ::ffff:a.b.c.d, so logs and keys match what IPv4 peers see. */
static gchar *
format_address(GSocketAddress *address)
{
    if (address == NULL || !G_IS_INET_SOCKET_ADDRESS(address))
        return g_strdup("unknown");
    GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS(address);
    GInetAddress *ia = g_inet_socket_address_get_address(isa);
    guint16 port = g_inet_socket_address_get_port(isa);
    if (g_inet_address_get_family(ia) == G_SOCKET_FAMILY_IPV6) {
        static const guint8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        const guint8 *b = g_inet_address_to_bytes(ia);
        if (memcmp(b, v4_mapped, sizeof v4_mapped) == 0)
            return g_strdup_printf("%u.%u.%u.%u:%u", b[12], b[13], b[14], b[15], port);
    }
    g_autofree gchar *ip = g_inet_address_to_string(ia);
    return g_strdup_printf("%s:%u", ip, port);
}

/* The peer's address as bytes (4 for IPv4 and v4-mapped IPv6, as the peer
 * text shows them, 16 for IPv6) and its port, for rmq_connection_get_peer_addr. */
static void
peer_bytes(RmqConnection *conn, GSocketAddress *address)
{
    if (address == NULL || !G_IS_INET_SOCKET_ADDRESS(address))
        return;
    GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS(address);
    GInetAddress *ia = g_inet_socket_address_get_address(isa);
    const guint8 *b = g_inet_address_to_bytes(ia);
    conn->peer_port = g_inet_socket_address_get_port(isa);
    if (g_inet_address_get_family(ia) == G_SOCKET_FAMILY_IPV6) {
        static const guint8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (memcmp(b, v4_mapped, sizeof v4_mapped) == 0) {
            memcpy(conn->peer_addr, b + 12, 4);
            conn->peer_addr_len = 4;
        } else {
            memcpy(conn->peer_addr, b, 16);
            conn->peer_addr_len = 16;
        }
    } else if (g_inet_address_get_family(ia) == G_SOCKET_FAMILY_IPV4) {
        memcpy(conn->peer_addr, b, 4);
        conn->peer_addr_len = 4;
    }
}

gboolean
rmq_connection_get_peer_addr(RmqConnection *conn, guint8 addr[16], guint8 *addr_len,
                             guint16 *port)
{
    if (conn->peer_addr_len == 0)
        return FALSE;
    memcpy(addr, conn->peer_addr, conn->peer_addr_len);
    *addr_len = conn->peer_addr_len;
    *port = conn->peer_port;
    return TRUE;
}

/* The poller's time of this loop wake-up (one clock read per dispatch, not
 * one per read and write): idle and write-stall deadlines are seconds. */
static void
touch(RmqConnection *conn)
{
    conn->last_activity = conn->poller != NULL ? rmq_fd_poller_now(conn->poller)
                                               : g_get_monotonic_time();
}

/* --- the descriptor's watch ---------------------------------------------- */

static gboolean
watching(RmqConnection *conn, GIOCondition cond)
{
    return conn->watch != NULL && (rmq_fd_watch_get_events(conn->watch) & cond) != 0;
}

static void
watch_events(RmqConnection *conn, GIOCondition cond, gboolean on)
{
    if (conn->watch == NULL)
        return;
    GIOCondition events = rmq_fd_watch_get_events(conn->watch);
    rmq_fd_watch_set_events(conn->watch, on ? events | cond : events & ~cond);
}

/* One callback for both directions, as two GSocket sources would have been
 * dispatched: reading first, then writing if still wanted. A hang-up or an
 * error goes to whichever is watched (the read or the write fails and closes). */
static void
on_fd_ready(RmqFdWatch *watch, GIOCondition cond, gpointer user_data)
{
    RmqConnection *conn = user_data;
    (void) watch;
    rmq_connection_ref(conn);
    if ((cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && watching(conn, G_IO_IN))
        on_readable(conn->socket, cond, conn);
    if ((cond & (G_IO_OUT | G_IO_HUP | G_IO_ERR)) && watching(conn, G_IO_OUT))
        on_writable(conn->socket, cond, conn);
    rmq_connection_unref(conn);
}

/* --- idle timeout ------------------------------------------------------- */

void
rmq_source_clear(GSource **source)
{
    if (*source != NULL) {
        g_source_destroy(*source);
        g_source_unref(*source);
        *source = NULL;
    }
}

static gboolean
on_idle_check(gpointer user_data)
{
    RmqConnection *conn = user_data;
    gint64 deadline = conn->last_activity + (gint64) conn->idle_seconds * G_USEC_PER_SEC;
    if (g_get_monotonic_time() < deadline) {
        rmq_fd_timer_set_ready_time(conn->idle_timer, deadline);
        return G_SOURCE_CONTINUE;
    }
    g_autofree gchar *reason = g_strdup_printf("idle for %u s", conn->idle_seconds);
    rmq_connection_ref(conn);
    connection_close_full(conn, G_LOG_LEVEL_INFO, reason);
    rmq_connection_unref(conn);
    return G_SOURCE_REMOVE;
}

static void
arm_idle_timer(RmqConnection *conn)
{
    /* A timer that fires at its ready time; rescheduled rather than re-created on traffic. */
    if (conn->closed || !conn->started || conn->idle_seconds == 0) {
        rmq_fd_timer_clear(&conn->idle_timer);
        return;
    }
    if (conn->idle_timer == NULL)
        conn->idle_timer = rmq_fd_timer_new(conn->poller, on_idle_check, conn);
    rmq_fd_timer_set_ready_time(conn->idle_timer,
                                conn->last_activity + (gint64) conn->idle_seconds * G_USEC_PER_SEC);
}

/* --- frame deadline (slowloris) ------------------------------------------- */

/* A peer that starts a frame (or connects) must finish it within frame_seconds;
 * otherwise one byte every few seconds would hold a buffer and a descriptor
 * for ever, the idle timeout being reset by each byte. The timer is armed only
 * while a frame is unfinished and is moved lazily, so whole-frame traffic
 * never touches it. */
static gboolean
on_frame_deadline(gpointer user_data)
{
    RmqConnection *conn = user_data;
    gint64 now = g_get_monotonic_time();
    if (conn->closed) /* freed with the connection */
        return G_SOURCE_REMOVE;
    if (conn->frame_started == 0 || conn->frame_seconds == 0) {
        rmq_fd_timer_set_ready_time(conn->frame_timer, -1);
        return G_SOURCE_CONTINUE;
    }
    /* Paused, it is our output the peer is not draining: not its frame's fault. */
    if (conn->paused)
        conn->frame_started = now;
    gint64 deadline = conn->frame_started + (gint64) conn->frame_seconds * G_USEC_PER_SEC;
    if (now < deadline) {
        rmq_fd_timer_set_ready_time(conn->frame_timer, deadline);
        return G_SOURCE_CONTINUE;
    }
    g_autofree gchar *reason =
        conn->inbuf->len == 0
            ? g_strdup_printf("no request within %u s of connecting", conn->frame_seconds)
            : g_strdup_printf("frame not finished within %u s (%u bytes received)",
                              conn->frame_seconds, conn->inbuf->len);
    rmq_connection_ref(conn);
    connection_close_full(conn, G_LOG_LEVEL_MESSAGE, reason);
    rmq_connection_unref(conn);
    return G_SOURCE_REMOVE;
}

/* A frame began at @now (or the connection was accepted): make sure the timer
 * fires no later than its deadline. */
static void
frame_begun(RmqConnection *conn, gint64 now)
{
    conn->frame_started = now;
    if (conn->frame_seconds == 0 || conn->closed || !conn->started)
        return;
    gint64 deadline = now + (gint64) conn->frame_seconds * G_USEC_PER_SEC;
    if (conn->frame_timer == NULL) {
        conn->frame_timer = rmq_fd_timer_new(conn->poller, on_frame_deadline, conn);
        rmq_fd_timer_set_ready_time(conn->frame_timer, deadline);
        return;
    }
    gint64 ready = rmq_fd_timer_get_ready_time(conn->frame_timer);
    if (ready == -1 || ready > deadline)
        rmq_fd_timer_set_ready_time(conn->frame_timer, deadline);
}

/* --- lifecycle ----------------------------------------------------------- */

static void
pending_free(Pending *p)
{
    rmq_fd_timer_clear(&p->timer);
    g_free(p);
}

RmqConnection *
rmq_connection_new(GSocketConnection *socket_conn, GMainContext *context)
{
    g_return_val_if_fail(G_IS_SOCKET_CONNECTION(socket_conn), NULL);

    RmqConnection *conn = g_new0(RmqConnection, 1);
    conn->ref_count = 1;
    conn->socket_conn = g_object_ref(socket_conn);
    conn->socket = g_socket_connection_get_socket(socket_conn);
    conn->context = context != NULL ? g_main_context_ref(context) : g_main_context_ref(g_main_context_default());
    g_socket_set_blocking(conn->socket, FALSE);
    conn->fd = g_socket_get_fd(conn->socket);
    /* Requests and responses are small and latency-bound (Netty sets tcpNoDelay too). */
    g_socket_set_option(conn->socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

    g_autoptr(GSocketAddress) remote = g_socket_get_remote_address(conn->socket, NULL);
    g_autoptr(GSocketAddress) local = g_socket_get_local_address(conn->socket, NULL);
    conn->peer = format_address(remote);
    conn->local = format_address(local);
    peer_bytes(conn, remote);

    conn->close_hooks = g_array_new(FALSE, FALSE, sizeof(CloseHook));
    conn->inbuf = g_byte_array_new();
    g_queue_init(&conn->outq);
    conn->outbuf = g_string_sized_new(OUTBUF_KEEP / 64);
    conn->pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                          (GDestroyNotify) pending_free);
    conn->next_opaque = 1;
    conn->backpressure = TRUE;
    conn->poller = rmq_fd_poller_get(conn->context);
    conn->watch = rmq_fd_watch_new(conn->poller, conn->fd, on_fd_ready, conn);
    /* maybe not on the poller's thread yet: the clock itself */
    conn->last_activity = g_get_monotonic_time();
    return conn;
}

RmqConnection *
rmq_connection_ref(RmqConnection *conn)
{
    g_return_val_if_fail(conn != NULL, NULL);
    g_return_val_if_fail(conn->ref_count > 0, NULL);
    conn->ref_count++;
    return conn;
}

void
rmq_connection_unref(RmqConnection *conn)
{
    if (conn == NULL)
        return;
    g_return_if_fail(conn->ref_count > 0);
    if (conn->ref_count == 1 && !conn->closed) {
        /* Keep it alive while close callbacks and pending callbacks run. */
        connection_close_full(conn, G_LOG_LEVEL_DEBUG, "released");
    }
    if (--conn->ref_count > 0)
        return;

    rmq_fd_watch_clear(&conn->watch);
    rmq_source_clear(&conn->resume_source);
    rmq_fd_timer_clear(&conn->idle_timer);
    rmq_fd_timer_clear(&conn->frame_timer);
    rmq_fd_timer_clear(&conn->stall_timer);
    rmq_fd_poller_unref(conn->poller);
    rmq_source_clear(&conn->tls_source);
    g_hash_table_destroy(conn->pending);
    g_queue_clear_full(&conn->outq, (GDestroyNotify) g_bytes_unref);
    g_string_free(conn->outbuf, TRUE);
    g_byte_array_unref(conn->inbuf);
    g_array_unref(conn->close_hooks);
    if (conn->data_destroy != NULL)
        conn->data_destroy(conn->data);
    rmq_tls_free(conn->tls);
    g_object_unref(conn->socket_conn);
    g_main_context_unref(conn->context);
    g_free(conn->peer);
    g_free(conn->local);
    g_free(conn->close_reason);
    g_free(conn);
}

void
rmq_connection_set_request_handler(RmqConnection *conn, RmqRequestHandler handler,
                                   gpointer user_data)
{
    g_return_if_fail(conn != NULL);
    conn->handler = handler;
    conn->handler_data = user_data;
}

void
rmq_connection_add_close_callback(RmqConnection *conn, RmqConnectionFunc func, gpointer user_data)
{
    g_return_if_fail(conn != NULL && func != NULL);
    CloseHook hook = { func, user_data };
    g_array_append_val(conn->close_hooks, hook);
}

void
rmq_connection_remove_close_callback(RmqConnection *conn, RmqConnectionFunc func,
                                     gpointer user_data)
{
    g_return_if_fail(conn != NULL && func != NULL);
    for (guint i = 0; i < conn->close_hooks->len; i++) {
        CloseHook *hook = &g_array_index(conn->close_hooks, CloseHook, i);
        if (hook->func == func && hook->user_data == user_data) {
            g_array_remove_index(conn->close_hooks, i);
            return;
        }
    }
}

void
rmq_connection_set_backpressure(RmqConnection *conn, gboolean enabled)
{
    g_return_if_fail(conn != NULL);
    conn->backpressure = enabled;
    if (!enabled && conn->paused)
        resume_reading(conn);
}

void
rmq_connection_set_idle_timeout(RmqConnection *conn, guint seconds)
{
    g_return_if_fail(conn != NULL);
    conn->idle_seconds = seconds;
    arm_idle_timer(conn);
}

void
rmq_connection_set_frame_timeout(RmqConnection *conn, guint seconds)
{
    g_return_if_fail(conn != NULL);
    conn->frame_seconds = seconds;
    if (conn->frame_started != 0)
        frame_begun(conn, conn->frame_started);
}

void
rmq_connection_set_write_limits(RmqConnection *conn, gsize max_bytes, guint stall_ms)
{
    g_return_if_fail(conn != NULL);
    conn->write_max = max_bytes;
    conn->write_stall_ms = stall_ms;
    if (watching(conn, G_IO_OUT) && stall_ms > 0 && !conn->write_over)
        arm_write_stall(conn, conn->write_progress + (gint64) stall_ms * 1000);
}

static void
watch_readable(RmqConnection *conn)
{
    if (watching(conn, G_IO_IN) || conn->closed)
        return;
    /* The poller's dispatch may recurse (a handler that iterates the
     * context re-enters on_readable, which only appends to inbuf:
     * process_input does not re-enter). */
    watch_events(conn, G_IO_IN, TRUE);
}

void
rmq_connection_start(RmqConnection *conn)
{
    g_return_if_fail(conn != NULL);
    if (conn->started || conn->closed)
        return;
    conn->started = TRUE;
    conn->last_activity = g_get_monotonic_time();
    if (!conn->paused)
        watch_readable(conn);
    arm_idle_timer(conn);
    /* The first frame is due as soon as the peer is connected. */
    if (conn->inbuf->len == 0)
        frame_begun(conn, conn->last_activity);
}

/* --- closing ------------------------------------------------------------- */

/* Fail every outstanding request of a closed connection. The table is stolen
 * first, so callbacks that send again (they fail) cannot disturb the walk. */
static void
fail_pending(RmqConnection *conn)
{
    GHashTable *pending = conn->pending;
    conn->pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                          (GDestroyNotify) pending_free);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, pending);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        Pending *p = value;
        g_hash_table_iter_steal(&it);
        rmq_fd_timer_clear(&p->timer);
        g_autoptr(GError) error = g_error_new(RMQ_CONNECTION_ERROR, RMQ_CONNECTION_ERROR_CLOSED,
                                              "connection to %s closed: %s", conn->peer,
                                              conn->close_reason);
        p->callback(NULL, error, p->user_data);
        pending_free(p);
    }
    g_hash_table_destroy(pending);
}

/* Warnings a peer can cause (bad frames, cut frames) are limited per peer
 * address: a flood of bad frames is a few lines and a count, not one line per
 * frame. The rest go out at debug level. */
#define PEER_WARNINGS_BURST 5
#define PEER_WARNINGS_INTERVAL_US (10 * G_USEC_PER_SEC)
#define PEER_WARNINGS_KEYS 1024

static void
close_for_peer_fault(RmqConnection *conn, const gchar *reason)
{
    static GMutex lock;
    static RmqRateLimit *limit;
    g_autofree gchar *host = g_strdup(conn->peer);
    gchar *colon = strrchr(host, ':');
    if (colon != NULL)
        *colon = '\0';
    guint64 suppressed = 0;
    g_mutex_lock(&lock);
    if (limit == NULL)
        limit = rmq_rate_limit_new(PEER_WARNINGS_BURST, PEER_WARNINGS_INTERVAL_US,
                                   PEER_WARNINGS_KEYS);
    gboolean loud = rmq_rate_limit_allow(limit, host, g_get_monotonic_time(), &suppressed);
    g_mutex_unlock(&lock);
    if (!loud) {
        connection_close_full(conn, G_LOG_LEVEL_DEBUG, reason);
        return;
    }
    g_autofree gchar *full = NULL;
    if (suppressed > 0)
        full = g_strdup_printf("%s (%" G_GUINT64_FORMAT " more from %s suppressed)", reason,
                               suppressed, host);
    connection_close_full(conn, G_LOG_LEVEL_WARNING, full != NULL ? full : reason);
}

static void
connection_close_full(RmqConnection *conn, GLogLevelFlags level, const gchar *reason)
{
    if (conn->closed)
        return;
    conn->closed = TRUE;
    conn->close_reason = g_strdup(reason != NULL ? reason : "closed");
    rmq_connection_ref(conn);

    g_log_structured(G_LOG_DOMAIN, level, "MESSAGE", "closing %s: %s", conn->peer,
                     conn->close_reason);

    rmq_fd_watch_clear(&conn->watch); /* before the descriptor closes */
    rmq_source_clear(&conn->resume_source);
    rmq_fd_timer_clear(&conn->idle_timer);
    rmq_fd_timer_clear(&conn->frame_timer);
    rmq_fd_timer_clear(&conn->stall_timer);
    rmq_source_clear(&conn->tls_source);
    g_clear_pointer(&conn->tls, rmq_tls_free);
    g_io_stream_close(G_IO_STREAM(conn->socket_conn), NULL, NULL);
    g_queue_clear_full(&conn->outq, (GDestroyNotify) g_bytes_unref);
    g_string_truncate(conn->outbuf, 0);
    conn->queued = 0;
    conn->out_offset = 0;

    /* Owners first, then requesters: a close hook unlinks the connection from
     * its owner (a client's channel table, a server's connection set) before a
     * pending request's callback runs, because that callback may free the
     * owner itself (the broker's last UNREGISTER_BROKER answer ends the
     * daemon and frees its remoting client). Each hook is taken off the live
     * list before it runs, so a hook or callback that removes another hook
     * (rmq_connection_remove_close_callback) is obeyed. */
    while (conn->close_hooks->len > 0) {
        CloseHook hook = g_array_index(conn->close_hooks, CloseHook, 0);
        g_array_remove_index(conn->close_hooks, 0);
        hook.func(conn, hook.user_data);
    }
    fail_pending(conn);
    rmq_connection_unref(conn);
}

void
rmq_connection_close(RmqConnection *conn, const gchar *reason)
{
    g_return_if_fail(conn != NULL);
    rmq_connection_ref(conn);
    connection_close_full(conn, G_LOG_LEVEL_DEBUG, reason);
    rmq_connection_unref(conn);
}

gboolean
rmq_connection_is_closed(RmqConnection *conn)
{
    g_return_val_if_fail(conn != NULL, TRUE);
    return conn->closed;
}

/* --- reading ------------------------------------------------------------- */

static void
pause_reading(RmqConnection *conn)
{
    if (conn->paused)
        return;
    conn->paused = TRUE;
    watch_events(conn, G_IO_IN, FALSE);
    g_debug("%s: %" G_GSIZE_FORMAT " bytes queued, pausing reads", conn->peer, conn->queued);
}

static void process_input(RmqConnection *conn);
static void tls_read_pending(RmqConnection *conn);

static gboolean
has_output(RmqConnection *conn)
{
    return conn->outbuf->len > 0 || !g_queue_is_empty(&conn->outq);
}
static void flush_output(RmqConnection *conn, gboolean may_close);

static gboolean
on_resume(gpointer user_data)
{
    RmqConnection *conn = user_data;
    g_source_unref(conn->resume_source);
    conn->resume_source = NULL;
    rmq_connection_ref(conn);
    process_input(conn);
    rmq_connection_unref(conn);
    return G_SOURCE_REMOVE;
}

static void
resume_reading(RmqConnection *conn)
{
    if (!conn->paused || conn->closed)
        return;
    conn->paused = FALSE;
    g_debug("%s: output drained to %" G_GSIZE_FORMAT " bytes, resuming reads", conn->peer,
            conn->queued);
    if (!conn->started)
        return;
    watch_readable(conn);
    if (G_UNLIKELY(conn->tls != NULL))
        tls_read_pending(conn);
    /* Whole frames may already sit in the buffer; the socket may never wake us
     * for them. Never dispatch from here directly: we may be inside a send. */
    if (conn->inbuf->len > 0 && conn->resume_source == NULL) {
        conn->resume_source = g_idle_source_new();
        g_source_set_name(conn->resume_source, "rmq-connection-resume");
        g_source_set_callback(conn->resume_source, on_resume, conn, NULL);
        g_source_attach(conn->resume_source, conn->context);
    }
}

static void
dispatch_command(RmqConnection *conn, RmqCommand *cmd)
{
    if (rmq_command_is_response(cmd)) {
        Pending *p = NULL;
        gpointer key = GINT_TO_POINTER(cmd->opaque);
        if (!g_hash_table_steal_extended(conn->pending, key, NULL, (gpointer *) &p)) {
            g_debug("%s: dropping response with unknown opaque %d (code %d)", conn->peer,
                    cmd->opaque, cmd->code);
            rmq_command_free(cmd);
            return;
        }
        rmq_fd_timer_clear(&p->timer);
        p->callback(cmd, NULL, p->user_data);
        pending_free(p);
        return;
    }
    if (conn->handler == NULL) {
        g_debug("%s: no handler, dropping request code %d", conn->peer, cmd->code);
        rmq_command_free(cmd);
        return;
    }
    conn->handler(conn, cmd, conn->handler_data);
}

/* Decode and dispatch the whole frames of @scratch (@scratch_len bytes), or of
 * inbuf when @scratch is NULL (read again each time: a handler that iterates
 * the context may append to it), unless a handler closed us or the output
 * queue made us pause. Returns the bytes consumed. */
static gsize
decode_frames(RmqConnection *conn, const guint8 *scratch, gsize scratch_len)
{
    gsize offset = 0;
    for (;;) {
        const guint8 *data = scratch != NULL ? scratch : conn->inbuf->data;
        gsize len = scratch != NULL ? scratch_len : conn->inbuf->len;
        if (conn->closed || conn->paused || offset >= len)
            break;
        RmqCommand *cmd = NULL;
        gsize consumed = 0;
        g_autoptr(GError) error = NULL;
        RmqDecodeStatus st =
            rmq_codec_decode_frame(data + offset, len - offset, 0, &cmd, &consumed, &error);
        if (st == RMQ_DECODE_NEED_MORE)
            break;
        if (st == RMQ_DECODE_ERROR) {
            const gchar *why = error != NULL ? error->message : "undecodable frame";
            /* 0x16 0x03: a TLS handshake record on a plain connection (Java: "Clients
             * intend to establish an SSL connection while this server is running in
             * SSL disabled mode") */
            g_autofree gchar *tls_hint =
                conn->tls == NULL && len - offset >= 2 && data[offset] == 0x16 &&
                        data[offset + 1] == 0x03
                    ? g_strdup_printf("%s: a TLS client on a plain connection (tlsServerMode "
                                      "disabled, or a client without TLS)", why)
                    : NULL;
            close_for_peer_fault(conn, tls_hint != NULL ? tls_hint : why);
            break;
        }
        offset += consumed;
        dispatch_command(conn, cmd);
    }
    return offset;
}

/* After a batch: bytes left over are the start of the next frame; nothing
 * left, no frame is due. */
static void
frames_done(RmqConnection *conn, gsize offset)
{
    if (conn->inbuf->len == 0)
        conn->frame_started = 0;
    else if (offset > 0 || conn->frame_started == 0)
        frame_begun(conn, conn->last_activity);
}

/* Decode and dispatch every whole frame in inbuf. Not re-entrant (a handler
 * that iterates the context must not re-enter the dispatch of this
 * connection). */
static void
process_input(RmqConnection *conn)
{
    if (conn->processing)
        return;
    conn->processing = TRUE;
    gsize offset = decode_frames(conn, NULL, 0);
    /* Responses queued by the frames of this read go out in one sendmsg. */
    if (!conn->closed && !watching(conn, G_IO_OUT) && has_output(conn))
        flush_output(conn, FALSE);
    if (!conn->closed && offset > 0) {
        g_byte_array_remove_range(conn->inbuf, 0, offset);
        /* Do not keep a large frame's buffer for the connection's lifetime. */
        if (conn->inbuf->len == 0 && offset > RMQ_CONNECTION_LOW_WATER) {
            g_byte_array_unref(conn->inbuf);
            conn->inbuf = g_byte_array_new();
        }
    }
    frames_done(conn, offset);
    conn->processing = FALSE;
}

/* Reads of this thread decoding straight from its scratch buffer: a read
 * nested in one of their handlers (a handler that iterates the context) must
 * not write into it. */
static _Thread_local guint scratch_busy;

/* The common case of process_input: inbuf empty, so the frames of a read are
 * decoded where recv() put them (the thread's scratch buffer), and only an
 * unfinished frame is copied into inbuf (bench/README.md, "Event loop and
 * pull path"). */
static void
process_scratch(RmqConnection *conn, const guint8 *data, gsize len)
{
    conn->processing = TRUE;
    scratch_busy++;
    gsize offset = decode_frames(conn, data, len);
    /* Bytes a nested read appended meanwhile come after ours. */
    gboolean nested = conn->inbuf->len > 0;
    if (!conn->closed && offset < len)
        g_byte_array_prepend(conn->inbuf, data + offset, (guint) (len - offset));
    scratch_busy--;
    if (!conn->closed && !watching(conn, G_IO_OUT) && has_output(conn))
        flush_output(conn, FALSE);
    frames_done(conn, offset);
    conn->processing = FALSE;
    if (nested && !conn->closed && !conn->paused)
        process_input(conn);
}

/* The GPrivate frees a thread's scratch buffer when the thread ends; this
 * copy of its pointer spares the lookup (pthread_getspecific) on every read. */
static _Thread_local guint8 *scratch_fast;

static void
scratch_free(gpointer data)
{
    scratch_fast = NULL; /* key destructors run on the ending thread */
    g_free(data);
}

static GPrivate scratch_key = G_PRIVATE_INIT(scratch_free);

static guint8 *
read_scratch(void)
{
    if (G_LIKELY(scratch_fast != NULL))
        return scratch_fast;
    guint8 *scratch = g_private_get(&scratch_key);
    if (scratch == NULL) {
        scratch = g_malloc(READ_CHUNK);
        g_private_set(&scratch_key, scratch);
    }
    scratch_fast = scratch;
    return scratch;
}

/* --- TLS (remoting/tls.h): off the plain path, called only when conn->tls is set --- */

static void watch_writable(RmqConnection *conn);
static gboolean on_readable(GSocket *socket, GIOCondition cond, gpointer user_data);

static gboolean
on_tls_pending(gpointer user_data)
{
    RmqConnection *conn = user_data;
    g_source_unref(conn->tls_source);
    conn->tls_source = NULL;
    if (!conn->closed && !conn->paused && watching(conn, G_IO_IN))
        on_readable(conn->socket, G_IO_IN, conn);
    return G_SOURCE_REMOVE;
}

/* Decrypted bytes (or the end) wait inside the session after a read that
 * stopped at READS_PER_WAKEUP or a pause: read them from the loop. */
static void
tls_read_pending(RmqConnection *conn)
{
    if (conn->tls_source != NULL || conn->closed || conn->paused || conn->tls == NULL ||
        !rmq_tls_has_pending(conn->tls))
        return;
    conn->tls_source = g_idle_source_new();
    g_source_set_name(conn->tls_source, "rmq-connection-tls-pending");
    g_source_set_callback(conn->tls_source, on_tls_pending, conn, NULL);
    g_source_attach(conn->tls_source, conn->context);
}

void
rmq_connection_set_tls(RmqConnection *conn, RmqTlsContext *ctx)
{
    g_return_if_fail(conn != NULL && !conn->started);
    g_clear_pointer(&conn->tls, rmq_tls_free);
    if (ctx != NULL)
        conn->tls = rmq_tls_new(ctx, conn->fd);
}

const gchar *
rmq_connection_get_tls_description(RmqConnection *conn)
{
    g_return_val_if_fail(conn != NULL, NULL);
    return conn->tls != NULL ? rmq_tls_describe(conn->tls) : NULL;
}

/* After reads: a plain peer of a permissive port goes on without the session;
 * the handshake may wait for the socket to take its bytes; output queued
 * before the handshake finished can go now. */
static void
tls_after_read(RmqConnection *conn)
{
    if (rmq_tls_is_plain(conn->tls)) {
        g_clear_pointer(&conn->tls, rmq_tls_free);
        return;
    }
    if (rmq_tls_read_wants_write(conn->tls))
        watch_writable(conn);
    if (!watching(conn, G_IO_OUT) && has_output(conn))
        flush_output(conn, TRUE);
    tls_read_pending(conn);
}

static gssize
tls_send(RmqConnection *conn, const GOutputVector *vec, guint nvec, GError **error)
{
    gssize n = rmq_tls_send(conn->tls, vec, nvec);
    if (n < 0) {
        int err = errno;
        if (err == EAGAIN)
            g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "would block");
        else
            g_set_error_literal(error, G_IO_ERROR, g_io_error_from_errno(err),
                                rmq_tls_get_error(conn->tls));
    }
    return n;
}

static gboolean
on_readable(GSocket *socket, GIOCondition cond, gpointer user_data)
{
    RmqConnection *conn = user_data;
    gboolean keep = G_SOURCE_CONTINUE;
    rmq_connection_ref(conn);
    for (int i = 0; i < READS_PER_WAKEUP && !conn->closed && !conn->paused; i++) {
        guint old_len = conn->inbuf->len;
        /* Inside a big frame, read straight into it (it grows by what
         * arrives); otherwise through the thread's scratch buffer, so the
         * buffer kept by a peer is in proportion to what it sent, not a
         * read's worth (2,000 peers trickling bytes held 64 KiB each). */
        gboolean direct = old_len >= READ_CHUNK;
        guint8 *dest, *nested_buf = NULL;
        if (direct) {
            g_byte_array_set_size(conn->inbuf, old_len + READ_CHUNK);
            dest = conn->inbuf->data + old_len;
        } else if (G_UNLIKELY(scratch_busy > 0)) {
            dest = nested_buf = g_malloc(READ_CHUNK); /* the scratch is being decoded */
        } else {
            dest = read_scratch();
        }
        /* recv() itself: g_socket_receive costs ten times the call for
         * checks this non-blocking socket does not need (bench/perf). */
        gssize n;
        if (G_LIKELY(conn->tls == NULL)) {
            do
                n = recv(conn->fd, dest, READ_CHUNK, 0);
            while (n < 0 && errno == EINTR);
        } else {
            n = rmq_tls_recv(conn->tls, dest, READ_CHUNK);
        }
        int err = errno;
        /* Frames decoded from the scratch buffer, not copied into inbuf first. */
        gboolean from_scratch = FALSE;
        if (direct)
            g_byte_array_set_size(conn->inbuf, old_len + (n > 0 ? (guint) n : 0));
        else if (n > 0 && old_len == 0 && nested_buf == NULL && !conn->processing)
            from_scratch = TRUE;
        else if (n > 0)
            g_byte_array_append(conn->inbuf, dest, (guint) n);
        if (nested_buf != NULL) /* nearly always NULL: no g_free(NULL) per read */
            g_free(nested_buf);
        if (n < 0) {
            if (err == EAGAIN || err == EWOULDBLOCK)
                break;
            if (conn->tls != NULL && !rmq_tls_is_plain(conn->tls)) {
                close_for_peer_fault(conn, rmq_tls_get_error(conn->tls));
                break;
            }
            g_autofree gchar *reason =
                g_strdup_printf("read failed: Error receiving data: %s", g_strerror(err));
            connection_close_full(conn, G_LOG_LEVEL_MESSAGE, reason);
            break;
        }
        if (n == 0) {
            if (conn->inbuf->len > 0) {
                g_autofree gchar *reason = g_strdup_printf(
                    "peer closed the connection inside a frame (%u bytes undecoded)",
                    conn->inbuf->len);
                close_for_peer_fault(conn, reason);
            } else {
                connection_close_full(conn, G_LOG_LEVEL_DEBUG, "closed by peer");
            }
            break;
        }
        touch(conn);
        if (from_scratch)
            process_scratch(conn, dest, (gsize) n);
        else
            process_input(conn);
        /* A short read drained the socket: asking again would only get
         * EAGAIN (a system call per wake-up); poll reports what comes later. */
        if ((gsize) n < READ_CHUNK && (conn->tls == NULL || !rmq_tls_has_pending(conn->tls)))
            break;
    }
    if (G_UNLIKELY(conn->tls != NULL) && !conn->closed)
        tls_after_read(conn);
    /* Closing or pausing destroyed this source already. */
    if (conn->closed || conn->paused)
        keep = G_SOURCE_REMOVE;
    rmq_connection_unref(conn);
    return keep;
}

/* --- writing ------------------------------------------------------------- */

/* The write-buffer limit: fires when the output has made no progress for
 * write_stall_ms, or at once when write_max was passed. */
static gboolean
on_write_stall_check(gpointer user_data)
{
    RmqConnection *conn = user_data;
    gint64 now = g_get_monotonic_time();
    gint64 stalled_ms = (now - conn->write_progress) / 1000;
    g_autofree gchar *reason = NULL;
    if (conn->write_over)
        reason = g_strdup_printf("client stopped reading: %" G_GSIZE_FORMAT " bytes of responses "
                                 "queued, over connectionWriteBufferMaxBytes %" G_GSIZE_FORMAT,
                                 conn->queued, conn->write_max);
    else if (conn->queued > 0 && conn->write_stall_ms > 0 &&
             stalled_ms >= (gint64) conn->write_stall_ms)
        reason = g_strdup_printf("client stopped reading: %" G_GSIZE_FORMAT " bytes of responses "
                                 "unsent for %" G_GINT64_FORMAT " ms "
                                 "(connectionWriteStallTimeoutMills %u)",
                                 conn->queued, stalled_ms, conn->write_stall_ms);
    if (reason == NULL) {
        if (conn->queued == 0 || conn->write_stall_ms == 0) {
            rmq_fd_timer_clear(&conn->stall_timer);
            return G_SOURCE_REMOVE;
        }
        rmq_fd_timer_set_ready_time(conn->stall_timer,
                                conn->write_progress + (gint64) conn->write_stall_ms * 1000);
        return G_SOURCE_CONTINUE;
    }
    rmq_connection_ref(conn);
    connection_close_full(conn, G_LOG_LEVEL_WARNING, reason);
    rmq_connection_unref(conn);
    return G_SOURCE_REMOVE;
}

static void
arm_write_stall(RmqConnection *conn, gint64 ready_time)
{
    if (conn->closed)
        return;
    if (conn->stall_timer == NULL)
        conn->stall_timer = rmq_fd_timer_new(conn->poller, on_write_stall_check, conn);
    rmq_fd_timer_set_ready_time(conn->stall_timer, ready_time);
}

static void
watch_writable(RmqConnection *conn)
{
    if (watching(conn, G_IO_OUT) || conn->closed)
        return;
    /* The socket just filled up: the stall clock starts now. */
    conn->write_progress = g_get_monotonic_time();
    if (conn->write_stall_ms > 0 && !conn->write_over)
        arm_write_stall(conn, conn->write_progress + (gint64) conn->write_stall_ms * 1000);
    watch_events(conn, G_IO_OUT, TRUE);
}

/* Write as much as the socket takes. A hard error closes the connection only
 * when @may_close; otherwise (inside a send) the write watch retries and
 * closes from the loop, so callers of send never see callbacks re-entrantly. */
/* Move what is left of outbuf from @from on behind the queued frames. */
static void
seal_outbuf(RmqConnection *conn, gsize from)
{
    if (conn->outbuf->len > from)
        g_queue_push_tail(&conn->outq, g_bytes_new(conn->outbuf->str + from,
                                                   conn->outbuf->len - from));
    if (conn->outbuf->allocated_len > OUTBUF_KEEP) {
        g_string_free(conn->outbuf, TRUE);
        conn->outbuf = g_string_sized_new(OUTBUF_KEEP / 64);
    } else {
        g_string_truncate(conn->outbuf, 0);
    }
}

static void
flush_output(RmqConnection *conn, gboolean may_close)
{
    if (conn->outbuf->len > 0 && g_queue_is_empty(&conn->outq)) {
        /* The common case: the small frames of this batch are all there is
         * and the socket takes them: no copy, nothing allocated or freed.
         * Errors and a short write leave the rest to the loop below. */
        gssize n;
        if (G_LIKELY(conn->tls == NULL)) {
            do /* send() itself, as recv() in on_readable */
                n = send(conn->fd, conn->outbuf->str, conn->outbuf->len, MSG_NOSIGNAL);
            while (n < 0 && errno == EINTR);
        } else {
            GOutputVector v = { conn->outbuf->str, conn->outbuf->len };
            n = rmq_tls_send(conn->tls, &v, 1);
        }
        if (n > 0) {
            touch(conn);
            conn->write_progress = conn->last_activity;
            conn->queued -= (gsize) n;
        }
        seal_outbuf(conn, n > 0 ? (gsize) n : 0);
    } else if (conn->outbuf->len > 0) {
        seal_outbuf(conn, 0);
    }
    while (!g_queue_is_empty(&conn->outq)) {
        GOutputVector vec[WRITE_VECTORS];
        guint nvec = 0;
        for (GList *l = conn->outq.head; l != NULL && nvec < WRITE_VECTORS; l = l->next) {
            gsize size;
            const guint8 *data = g_bytes_get_data(l->data, &size);
            gsize skip = nvec == 0 ? conn->out_offset : 0;
            vec[nvec].buffer = data + skip;
            vec[nvec].size = size - skip;
            nvec++;
        }
        g_autoptr(GError) error = NULL;
        gssize n = G_LIKELY(conn->tls == NULL)
                       ? g_socket_send_message(conn->socket, NULL, vec, (gint) nvec, NULL, 0, 0,
                                               NULL, &error)
                       : tls_send(conn, vec, nvec, &error);
        if (n < 0) {
            /* The handshake waits for the peer: reads resume it (tls_after_read). */
            if (conn->tls != NULL && rmq_tls_write_wants_read(conn->tls) &&
                g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                return;
            if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) && may_close) {
                g_autofree gchar *reason = g_strdup_printf("write failed: %s", error->message);
                connection_close_full(conn, G_LOG_LEVEL_MESSAGE, reason);
                return;
            }
            watch_writable(conn);
            return;
        }
        touch(conn);
        conn->write_progress = conn->last_activity;
        conn->queued -= (gsize) n;
        gsize left = (gsize) n;
        while (left > 0) {
            GBytes *head = g_queue_peek_head(&conn->outq);
            gsize rest = g_bytes_get_size(head) - conn->out_offset;
            if (left < rest) {
                conn->out_offset += left;
                break;
            }
            left -= rest;
            conn->out_offset = 0;
            g_bytes_unref(g_queue_pop_head(&conn->outq));
        }
    }
    watch_events(conn, G_IO_OUT, FALSE);
    if (!conn->write_over)
        rmq_fd_timer_clear(&conn->stall_timer);
    if (conn->paused && conn->queued <= RMQ_CONNECTION_LOW_WATER)
        resume_reading(conn);
}

static gboolean
on_writable(GSocket *socket, GIOCondition cond, gpointer user_data)
{
    RmqConnection *conn = user_data;
    rmq_connection_ref(conn);
    flush_output(conn, TRUE);
    /* A TLS read that waited for the socket to take handshake bytes. */
    if (G_UNLIKELY(conn->tls != NULL) && rmq_tls_read_wants_write(conn->tls) && !conn->closed &&
        !conn->paused && conn->started)
        on_readable(conn->socket, G_IO_IN, conn);
    /* Draining or closing destroyed this watch already. */
    gboolean keep = watching(conn, G_IO_OUT) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
    rmq_connection_unref(conn);
    return keep;
}

/* After output was added: write now, or at the end of the batch when
 * inside process_input; pause reading while too much waits. */
static void
output_added(RmqConnection *conn)
{
    if (!watching(conn, G_IO_OUT) && !conn->processing && conn->output_held == 0)
        flush_output(conn, FALSE);
    if (conn->backpressure && conn->queued > RMQ_CONNECTION_HIGH_WATER)
        pause_reading(conn);
}

/* Would @more bytes take the output past write_max? Then the connection is
 * marked to be closed from the loop (the caller drops what it would queue). */
static gboolean
over_write_max(RmqConnection *conn, gsize more)
{
    if (conn->write_max == 0 || conn->queued == 0 || conn->queued + more <= conn->write_max)
        return FALSE;
    conn->write_over = TRUE;
    arm_write_stall(conn, 0);
    return TRUE;
}

static gboolean
queue_frame(RmqConnection *conn, GBytes *frame)
{
    if (conn->closed || conn->write_over) {
        g_bytes_unref(frame);
        return FALSE;
    }
    /* Memory per connection is bounded: past write_max (one frame of any
     * size is always taken) the output is dropped and the connection closed
     * from the loop, never inside the caller's send. */
    if (over_write_max(conn, g_bytes_get_size(frame))) {
        g_bytes_unref(frame);
        return FALSE;
    }
    if (conn->outbuf->len > 0)
        seal_outbuf(conn, 0); /* it goes out first */
    conn->queued += g_bytes_get_size(frame);
    g_queue_push_tail(&conn->outq, frame);
    output_added(conn);
    return TRUE;
}

/* A small frame is encoded straight into outbuf, behind what it holds. */
static gboolean
queue_command(RmqConnection *conn, const RmqCommand *cmd)
{
    if (conn->closed || conn->write_over)
        return FALSE;
    gsize before = conn->outbuf->len;
    if (!rmq_codec_append_frame(cmd, conn->outbuf))
        return TRUE; /* unframeable header: nothing to send */
    if (over_write_max(conn, conn->outbuf->len - before)) {
        g_string_truncate(conn->outbuf, before);
        return FALSE;
    }
    conn->queued += conn->outbuf->len - before;
    output_added(conn);
    return TRUE;
}

void
rmq_connection_hold_output(RmqConnection *conn)
{
    g_return_if_fail(conn != NULL);
    conn->output_held++;
}

void
rmq_connection_release_output(RmqConnection *conn)
{
    g_return_if_fail(conn != NULL && conn->output_held > 0);
    if (--conn->output_held == 0 && !conn->closed && !watching(conn, G_IO_OUT) &&
        !conn->processing && has_output(conn))
        flush_output(conn, FALSE);
}

/* Bodies at least this big go out as they are, after the encoded head,
 * instead of being copied into one frame buffer. */
#define BODY_BY_REFERENCE 4096

gboolean
rmq_connection_send(RmqConnection *conn, const RmqCommand *cmd)
{
    g_return_val_if_fail(conn != NULL && cmd != NULL, FALSE);
    if (conn->closed)
        return FALSE;
    if (cmd->body == NULL || g_bytes_get_size(cmd->body) < BODY_BY_REFERENCE)
        return queue_command(conn, cmd);
    GBytes *head = rmq_codec_encode_head(cmd);
    if (g_bytes_get_size(head) == 0) { /* unframeable header: nothing to send */
        g_bytes_unref(head);
        return TRUE;
    }
    /* Nothing runs between the two: the body follows its head on the wire. */
    return queue_frame(conn, head) && queue_frame(conn, g_bytes_ref(cmd->body));
}

gboolean
rmq_connection_send_response(RmqConnection *conn, const RmqCommand *request, RmqCommand *response)
{
    g_return_val_if_fail(conn != NULL && request != NULL && response != NULL, FALSE);
    g_autoptr(RmqCommand) owned = response;
    if (rmq_command_is_oneway(request)) {
        g_debug("%s: not answering one-way request code %d", conn->peer, request->code);
        return TRUE;
    }
    return rmq_connection_send(conn, owned);
}

/* --- our own requests ------------------------------------------------------- */

static gint32
allocate_opaque(RmqConnection *conn)
{
    for (;;) {
        gint32 opaque = conn->next_opaque;
        conn->next_opaque = (conn->next_opaque + 1) & 0x7fffffff;
        if (!g_hash_table_contains(conn->pending, GINT_TO_POINTER(opaque)))
            return opaque;
    }
}

static gboolean
on_request_timeout(gpointer user_data)
{
    Pending *p = user_data;
    RmqConnection *conn = p->conn;
    g_hash_table_steal(conn->pending, GINT_TO_POINTER(p->opaque));
    rmq_fd_timer_clear(&p->timer);
    g_autoptr(GError) error = g_error_new(RMQ_CONNECTION_ERROR, RMQ_CONNECTION_ERROR_TIMEOUT,
                                          "no response from %s within %u ms (opaque %d)",
                                          conn->peer, p->timeout_ms, p->opaque);
    p->callback(NULL, error, p->user_data);
    pending_free(p);
    return G_SOURCE_REMOVE;
}

typedef struct {
    RmqResponseCallback callback;
    gpointer user_data;
    GError *error;
} DeferredFailure;

static gboolean
on_deferred_failure(gpointer user_data)
{
    DeferredFailure *d = user_data;
    d->callback(NULL, d->error, d->user_data);
    return G_SOURCE_REMOVE;
}

static void
deferred_failure_free(gpointer user_data)
{
    DeferredFailure *d = user_data;
    g_clear_error(&d->error);
    g_free(d);
}

void
rmq_connection_send_request(RmqConnection *conn, RmqCommand *request, guint timeout_ms,
                            RmqResponseCallback callback, gpointer user_data)
{
    g_return_if_fail(conn != NULL && request != NULL && callback != NULL);
    g_autoptr(RmqCommand) owned = request;
    owned->flag &= ~(RMQ_FLAG_RESPONSE | RMQ_FLAG_ONEWAY);
    owned->opaque = allocate_opaque(conn);
    if (!rmq_connection_send(conn, owned)) {
        DeferredFailure *d = g_new0(DeferredFailure, 1);
        d->callback = callback;
        d->user_data = user_data;
        d->error = g_error_new(RMQ_CONNECTION_ERROR, RMQ_CONNECTION_ERROR_CLOSED,
                               "connection to %s closed: %s", conn->peer,
                               conn->close_reason != NULL ? conn->close_reason : "closed");
        GSource *idle = g_idle_source_new();
        g_source_set_callback(idle, on_deferred_failure, d, deferred_failure_free);
        g_source_attach(idle, conn->context);
        g_source_unref(idle);
        return;
    }
    Pending *p = g_new0(Pending, 1);
    p->conn = conn;
    p->opaque = owned->opaque;
    p->callback = callback;
    p->user_data = user_data;
    p->timeout_ms = timeout_ms;
    if (timeout_ms > 0) {
        /* A poller timer, not a GSource: a client with many requests in
         * flight on one connection adds nothing to the loop's per-iteration walk. */
        p->timer = rmq_fd_timer_new(conn->poller, on_request_timeout, p);
        rmq_fd_timer_set_ready_time(p->timer,
                                    g_get_monotonic_time() + (gint64) timeout_ms * 1000);
    }
    g_hash_table_insert(conn->pending, GINT_TO_POINTER(p->opaque), p);
}

gboolean
rmq_connection_send_oneway(RmqConnection *conn, RmqCommand *request)
{
    g_return_val_if_fail(conn != NULL && request != NULL, FALSE);
    g_autoptr(RmqCommand) owned = request;
    owned->flag = (owned->flag & ~RMQ_FLAG_RESPONSE) | RMQ_FLAG_ONEWAY;
    owned->opaque = allocate_opaque(conn);
    return rmq_connection_send(conn, owned);
}

/* --- accessors --------------------------------------------------------------- */

const gchar *
rmq_connection_get_peer(RmqConnection *conn)
{
    g_return_val_if_fail(conn != NULL, NULL);
    return conn->peer;
}

const gchar *
rmq_connection_get_local(RmqConnection *conn)
{
    g_return_val_if_fail(conn != NULL, NULL);
    return conn->local;
}

const gchar *
rmq_connection_get_close_reason(RmqConnection *conn)
{
    g_return_val_if_fail(conn != NULL, NULL);
    return conn->close_reason;
}

void
rmq_connection_set_data(RmqConnection *conn, gpointer data, GDestroyNotify destroy)
{
    g_return_if_fail(conn != NULL);
    gpointer old = conn->data;
    GDestroyNotify old_destroy = conn->data_destroy;
    conn->data = data;
    conn->data_destroy = destroy;
    if (old_destroy != NULL && old != data)
        old_destroy(old);
}

gpointer
rmq_connection_get_data(RmqConnection *conn)
{
    g_return_val_if_fail(conn != NULL, NULL);
    return conn->data;
}

gsize
rmq_connection_get_queued_bytes(RmqConnection *conn)
{
    g_return_val_if_fail(conn != NULL, 0);
    return conn->queued;
}

gboolean
rmq_connection_is_reading_paused(RmqConnection *conn)
{
    g_return_val_if_fail(conn != NULL, FALSE);
    return conn->paused;
}

guint
rmq_connection_get_pending_count(RmqConnection *conn)
{
    g_return_val_if_fail(conn != NULL, 0);
    return g_hash_table_size(conn->pending);
}
