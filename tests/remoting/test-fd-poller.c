/* The epoll-backed poller (src/remoting/fd_poller.h) on socketpairs and a
 * private main context: many descriptors, readable / writable / hang-up
 * delivery, level-triggered redelivery, watches freed during a dispatch
 * (their own, another's, from a nested iteration), timers in deadline
 * order, and an RmqConnection that drops its last ref in its own callback. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "remoting/connection.h"
#include "remoting/codec.h"
#include "remoting/fd_poller.h"

#define WAIT_US (5 * G_USEC_PER_SEC)

typedef struct {
    int fd;   /* watched end */
    int peer; /* the test writes here */
    RmqFdWatch *watch;
    guint calls;
    GIOCondition last;
    guint bytes;
    gboolean eof;
    gboolean free_self;   /* free its own watch in the callback */
    GPtrArray *victims;   /* of Pair *: watches it frees */
    GMainContext *nest;   /* iterate this inside the callback */
} Pair;

static void
make_pair(Pair *p)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    p->fd = sv[0];
    p->peer = sv[1];
}

static void
close_pair(Pair *p)
{
    rmq_fd_watch_clear(&p->watch);
    if (p->fd >= 0)
        close(p->fd);
    if (p->peer >= 0)
        close(p->peer);
    p->fd = p->peer = -1;
    if (p->victims != NULL)
        g_ptr_array_unref(p->victims);
    p->victims = NULL;
}

static void
on_ready(RmqFdWatch *watch, GIOCondition cond, gpointer user_data)
{
    Pair *p = user_data;
    assert_ptr_equal(watch, p->watch);
    p->calls++;
    p->last = cond;
    if (cond & (G_IO_IN | G_IO_HUP)) {
        char buf[64];
        ssize_t n = read(p->fd, buf, sizeof buf);
        if (n > 0)
            p->bytes += (guint) n;
        else if (n == 0)
            p->eof = TRUE;
    }
    if (p->nest != NULL) {
        GMainContext *ctx = p->nest;
        p->nest = NULL;
        g_main_context_iteration(ctx, FALSE);
    }
    for (guint i = 0; p->victims != NULL && i < p->victims->len; i++)
        rmq_fd_watch_clear(&((Pair *) p->victims->pdata[i])->watch);
    if (p->free_self)
        rmq_fd_watch_clear(&p->watch);
}

/* Iterate @ctx until @done(@data) or 5 s; returns done. */
static gboolean
spin_until(GMainContext *ctx, gboolean (*done)(gpointer), gpointer data)
{
    gint64 end = g_get_monotonic_time() + WAIT_US;
    while (!done(data) && g_get_monotonic_time() < end)
        if (!g_main_context_iteration(ctx, FALSE))
            g_usleep(1000);
    return done(data);
}

/* A few non-blocking iterations: whatever is ready gets dispatched. */
static void
spin_briefly(GMainContext *ctx)
{
    for (int i = 0; i < 20; i++) {
        g_main_context_iteration(ctx, FALSE);
        g_usleep(500);
    }
}

typedef struct {
    Pair *pairs;
    guint n;
} Pairs;

static gboolean
all_read(gpointer data)
{
    Pairs *ps = data;
    for (guint i = 0; i < ps->n; i++)
        if (ps->pairs[i].peer >= 0 && ps->pairs[i].bytes < (i % 3 == 0 ? 1u : 0u))
            return FALSE;
    return TRUE;
}

/* Hundreds of descriptors: only the written ones are reported, each once
 * per byte, and nothing spins once they are drained. */
static void
test_many_readable(void **state)
{
    (void) state;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    guint n = (guint) MIN(600, (rl.rlim_cur - 64) / 2);
    g_autoptr(GMainContext) ctx = g_main_context_new();
    RmqFdPoller *poller = rmq_fd_poller_get(ctx);
    assert_ptr_equal(rmq_fd_poller_get(ctx), poller); /* one per context */
    rmq_fd_poller_unref(poller);
    Pairs ps = { g_new0(Pair, n), n };
    for (guint i = 0; i < n; i++) {
        make_pair(&ps.pairs[i]);
        ps.pairs[i].watch = rmq_fd_watch_new(poller, ps.pairs[i].fd, on_ready, &ps.pairs[i]);
        rmq_fd_watch_set_events(ps.pairs[i].watch, G_IO_IN);
    }
    assert_int_equal(rmq_fd_poller_get_watch_count(poller), n);
    for (guint i = 0; i < n; i += 3)
        assert_int_equal(write(ps.pairs[i].peer, "x", 1), 1);
    assert_true(spin_until(ctx, all_read, &ps));
    spin_briefly(ctx);
    for (guint i = 0; i < n; i++) {
        guint want = i % 3 == 0 ? 1 : 0;
        assert_int_equal(ps.pairs[i].bytes, want);
        assert_int_equal(ps.pairs[i].calls, want);
    }
    /* Level-triggered: a byte left unread is reported again. */
    Pair *p = &ps.pairs[1];
    p->free_self = FALSE;
    assert_int_equal(write(p->peer, "yz", 2), 2);
    GIOCondition saved = G_IO_IN;
    rmq_fd_watch_set_events(p->watch, 0);
    spin_briefly(ctx);
    assert_int_equal(p->calls, 0); /* not watched: not called */
    rmq_fd_watch_set_events(p->watch, saved);
    spin_briefly(ctx);
    assert_int_equal(p->bytes, 2);
    assert_int_equal(p->calls, 1);
    for (guint i = 0; i < n; i++)
        close_pair(&ps.pairs[i]);
    assert_int_equal(rmq_fd_poller_get_watch_count(poller), 0);
    rmq_fd_poller_unref(poller);
    g_free(ps.pairs);
}

static gboolean
called(gpointer data)
{
    return ((Pair *) data)->calls > 0;
}

static void
test_writable_and_hangup(void **state)
{
    (void) state;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    RmqFdPoller *poller = rmq_fd_poller_get(ctx);
    Pair p = { 0 };
    make_pair(&p);
    p.watch = rmq_fd_watch_new(poller, p.fd, on_ready, &p);
    spin_briefly(ctx);
    assert_int_equal(p.calls, 0); /* no events asked for */
    rmq_fd_watch_set_events(p.watch, G_IO_OUT);
    assert_true(spin_until(ctx, called, &p));
    assert_true(p.last & G_IO_OUT);
    assert_false(p.last & G_IO_IN);
    rmq_fd_watch_set_events(p.watch, 0);
    p.calls = 0;
    spin_briefly(ctx);
    assert_int_equal(p.calls, 0);

    /* The peer hangs up while nothing is watched: no wake-ups (no spin)... */
    close(p.peer);
    p.peer = -1;
    spin_briefly(ctx);
    assert_int_equal(p.calls, 0);
    /* ...and reading again reports it: end of file. */
    rmq_fd_watch_set_events(p.watch, G_IO_IN);
    assert_true(spin_until(ctx, called, &p));
    assert_true(p.last & (G_IO_IN | G_IO_HUP));
    assert_true(p.eof);
    close_pair(&p);
    rmq_fd_poller_unref(poller);
}

/* Watches freed inside a dispatch: their own, another one's that is ready
 * in the same batch, and one freed from a nested iteration. None is called
 * after its free; the memory stays valid (ASan runs this too). */
static void
test_free_during_dispatch(void **state)
{
    (void) state;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    RmqFdPoller *poller = rmq_fd_poller_get(ctx);
    enum { N = 8 };
    Pair ps[N] = { 0 };
    for (guint i = 0; i < N; i++) {
        make_pair(&ps[i]);
        ps[i].watch = rmq_fd_watch_new(poller, ps[i].fd, on_ready, &ps[i]);
        rmq_fd_watch_set_events(ps[i].watch, G_IO_IN);
        ps[i].free_self = TRUE;
    }
    /* Each frees every other watch: whichever runs first is the only one. */
    for (guint i = 0; i < N; i++) {
        ps[i].victims = g_ptr_array_new();
        for (guint j = 0; j < N; j++)
            if (j != i)
                g_ptr_array_add(ps[i].victims, &ps[j]);
        assert_int_equal(write(ps[i].peer, "x", 1), 1);
    }
    spin_briefly(ctx);
    guint total = 0;
    for (guint i = 0; i < N; i++) {
        total += ps[i].calls;
        assert_null(ps[i].watch);
    }
    assert_int_equal(total, 1);
    assert_int_equal(rmq_fd_poller_get_watch_count(poller), 0);
    for (guint i = 0; i < N; i++)
        close_pair(&ps[i]);

    /* Nested: A iterates the context from its callback; B, ready in the
     * same batch, frees itself in the inner dispatch and must not be
     * called again by the outer one. */
    Pair a = { 0 }, b = { 0 };
    make_pair(&a);
    make_pair(&b);
    a.watch = rmq_fd_watch_new(poller, a.fd, on_ready, &a);
    b.watch = rmq_fd_watch_new(poller, b.fd, on_ready, &b);
    rmq_fd_watch_set_events(a.watch, G_IO_IN);
    rmq_fd_watch_set_events(b.watch, G_IO_IN);
    a.nest = ctx;
    a.free_self = TRUE;
    b.nest = ctx;
    b.free_self = TRUE;
    assert_int_equal(write(a.peer, "x", 1), 1);
    assert_int_equal(write(b.peer, "x", 1), 1);
    spin_briefly(ctx);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_null(a.watch);
    assert_null(b.watch);
    close_pair(&a);
    close_pair(&b);
    rmq_fd_poller_unref(poller);
}

/* The last user frees its watch inside its own callback: the poller (and
 * its GSource) go away during their own dispatch; the next get is fresh. */
static void
test_last_watch_freed_in_callback(void **state)
{
    (void) state;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    RmqFdPoller *poller = rmq_fd_poller_get(ctx);
    Pair p = { 0 };
    make_pair(&p);
    p.watch = rmq_fd_watch_new(poller, p.fd, on_ready, &p);
    rmq_fd_watch_set_events(p.watch, G_IO_IN);
    rmq_fd_poller_unref(poller); /* only the watch holds it now */
    p.free_self = TRUE;
    assert_int_equal(write(p.peer, "x", 1), 1);
    assert_true(spin_until(ctx, called, &p));
    spin_briefly(ctx);
    assert_int_equal(p.calls, 1);
    assert_false(g_main_context_pending(ctx)); /* no source left */
    RmqFdPoller *again = rmq_fd_poller_get(ctx);
    assert_int_equal(rmq_fd_poller_get_watch_count(again), 0);
    rmq_fd_poller_unref(again);
    close_pair(&p);
}

/* --- timers ------------------------------------------------------------------ */

typedef struct {
    GArray *order; /* of gint: ids in firing order */
    RmqFdTimer *timers[6];
    gint64 base;
    gint repeat; /* timer 3 keeps a past ready time this many times */
    gboolean rearmed_4;
} TimerFix;

typedef struct {
    TimerFix *fix;
    gint id;
} TimerArg;

static gboolean
on_timer(gpointer user_data)
{
    TimerArg *a = user_data;
    TimerFix *f = a->fix;
    g_array_append_val(f->order, a->id);
    switch (a->id) {
    case 1: /* frees timer 2, due in the same dispatch */
        rmq_fd_timer_clear(&f->timers[2]);
        return G_SOURCE_REMOVE;
    case 3: /* CONTINUE with its past ready time: again next iteration */
        return --f->repeat > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
    case 4: /* re-arms itself once, REMOVE notwithstanding */
        if (!f->rearmed_4) {
            f->rearmed_4 = TRUE;
            rmq_fd_timer_set_ready_time(f->timers[4], g_get_monotonic_time() + 20000);
        }
        return G_SOURCE_REMOVE;
    case 5: /* frees itself */
        rmq_fd_timer_clear(&f->timers[5]);
        return G_SOURCE_CONTINUE;
    default:
        return G_SOURCE_REMOVE;
    }
}

static gboolean
order_complete(gpointer data)
{
    return ((TimerFix *) data)->order->len >= 7;
}

static void
test_timers(void **state)
{
    (void) state;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    RmqFdPoller *poller = rmq_fd_poller_get(ctx);
    TimerFix f = { .order = g_array_new(FALSE, FALSE, sizeof(gint)), .repeat = 3 };
    TimerArg args[6];
    for (gint i = 0; i < 6; i++) {
        args[i] = (TimerArg) { &f, i };
        f.timers[i] = rmq_fd_timer_new(poller, on_timer, &args[i]);
    }
    gint64 now = g_get_monotonic_time();
    /* 0 is armed then disarmed; 2 is due 1 us after 1 (in the same
     * dispatch, or later), and 1 frees it; 3 before them. */
    rmq_fd_timer_set_ready_time(f.timers[0], now + 10000);
    rmq_fd_timer_set_ready_time(f.timers[0], -1);
    rmq_fd_timer_set_ready_time(f.timers[2], now + 60001);
    rmq_fd_timer_set_ready_time(f.timers[1], now + 60000);
    rmq_fd_timer_set_ready_time(f.timers[3], now + 30000);
    rmq_fd_timer_set_ready_time(f.timers[4], now + 90000);
    rmq_fd_timer_set_ready_time(f.timers[5], now + 120000);
    /* Moving a deadline later reorders it. */
    rmq_fd_timer_set_ready_time(f.timers[3], now + 40000);
    gint64 start = g_get_monotonic_time();
    /* Blocking iterations: the poller's own timeout wakes the loop. */
    gint64 end = start + WAIT_US;
    while (!order_complete(&f) && g_get_monotonic_time() < end)
        g_main_context_iteration(ctx, TRUE);
    spin_briefly(ctx);
    /* 3 x3, then 1 (2 freed by it, with 1 due at the same time), 4 twice, 5 */
    gint want[] = { 3, 3, 3, 1, 4, 4, 5 };
    assert_int_equal(f.order->len, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        assert_int_equal(g_array_index(f.order, gint, i), want[i]);
    assert_true(g_get_monotonic_time() - start >= 120000 - 2000);
    assert_int_equal(rmq_fd_timer_get_ready_time(f.timers[0]), -1);
    assert_int_equal(rmq_fd_timer_get_ready_time(f.timers[3]), -1);
    assert_null(f.timers[2]);
    assert_null(f.timers[5]);
    for (gint i = 0; i < 6; i++)
        rmq_fd_timer_clear(&f.timers[i]);
    g_array_unref(f.order);
    rmq_fd_poller_unref(poller);
}

/* --- rmq_timeout_add: g_timeout_add on the default context's poller --------- */

typedef struct {
    guint fired[3];
    guint ids[3];
} TimeoutFix;

typedef struct {
    TimeoutFix *f;
    gint n;
} TimeoutArg;

static gboolean
on_timeout_fire(gpointer user_data)
{
    TimeoutArg *a = user_data;
    TimeoutFix *f = a->f;
    f->fired[a->n]++;
    switch (a->n) {
    case 0: /* periodic until removed from outside */
        return G_SOURCE_CONTINUE;
    case 1: /* once: returns REMOVE */
        f->ids[1] = 0;
        return G_SOURCE_REMOVE;
    default: /* removes itself, then says CONTINUE: stays removed */
        g_clear_handle_id(&f->ids[2], rmq_timeout_remove);
        return G_SOURCE_CONTINUE;
    }
}

static void
test_timeouts(void **state)
{
    (void) state;
    GMainContext *ctx = g_main_context_default();
    TimeoutFix f = { { 0 }, { 0 } };
    TimeoutArg args[3] = { { &f, 0 }, { &f, 1 }, { &f, 2 } };
    for (gint i = 0; i < 3; i++)
        f.ids[i] = rmq_timeout_add(10, on_timeout_fire, &args[i]);
    assert_true(f.ids[0] != 0 && f.ids[1] != 0 && f.ids[2] != 0);
    assert_true(f.ids[0] != f.ids[1] && f.ids[1] != f.ids[2]);
    gint64 end = g_get_monotonic_time() + WAIT_US;
    while (f.fired[0] < 5 && g_get_monotonic_time() < end)
        g_main_context_iteration(ctx, TRUE);
    /* The periodic one keeps firing, each interval after the last. */
    assert_true(f.fired[0] >= 5);
    assert_int_equal(f.fired[1], 1);
    assert_int_equal(f.fired[2], 1);
    assert_int_equal(f.ids[1], 0);
    assert_int_equal(f.ids[2], 0);
    g_clear_handle_id(&f.ids[0], rmq_timeout_remove);
    guint before = f.fired[0];
    end = g_get_monotonic_time() + 50000;
    while (g_get_monotonic_time() < end)
        g_main_context_iteration(ctx, FALSE);
    assert_int_equal(f.fired[0], before);
}

/* --- a connection freed inside its own callback --------------------------- */

typedef struct {
    RmqConnection *conn; /* the only ref */
    guint requests;
    guint closes;
    gchar *reason;
} ConnFix;

static void
on_request_drop(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    ConnFix *f = user_data;
    f->requests++;
    rmq_command_free(request);
    assert_ptr_equal(conn, f->conn);
    /* Closed and released inside the connection's own read callback. */
    RmqConnection *c = f->conn;
    f->conn = NULL;
    rmq_connection_close(c, "done");
    rmq_connection_unref(c);
}

static void
on_conn_closed(RmqConnection *conn, gpointer user_data)
{
    ConnFix *f = user_data;
    f->closes++;
    g_free(f->reason);
    f->reason = g_strdup(rmq_connection_get_close_reason(conn));
}

static gboolean
conn_closed(gpointer data)
{
    return ((ConnFix *) data)->closes > 0;
}

static RmqConnection *
connection_on(GMainContext *ctx, int fd)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocket) s = g_socket_new_from_fd(fd, &error);
    assert_non_null(s);
    g_autoptr(GSocketConnection) sc = g_socket_connection_factory_create_connection(s);
    return rmq_connection_new(sc, ctx);
}

static void
test_connection_freed_in_own_callback(void **state)
{
    (void) state;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ConnFix f = { 0 };
    f.conn = connection_on(ctx, sv[0]);
    rmq_connection_set_request_handler(f.conn, on_request_drop, &f);
    rmq_connection_add_close_callback(f.conn, on_conn_closed, &f);
    rmq_connection_set_frame_timeout(f.conn, 30);
    rmq_connection_set_idle_timeout(f.conn, 60);
    rmq_connection_start(f.conn);

    /* Two frames in one write: the second must not be dispatched to a
     * connection that was released by the first. */
    g_autoptr(GString) out = g_string_new(NULL);
    for (int i = 0; i < 2; i++) {
        g_autoptr(RmqCommand) req = rmq_command_new_request(9001);
        req->opaque = i + 1;
        assert_true(rmq_codec_append_frame(req, out));
    }
    assert_int_equal(write(sv[1], out->str, out->len), (ssize_t) out->len);
    assert_true(spin_until(ctx, conn_closed, &f));
    spin_briefly(ctx);
    assert_int_equal(f.requests, 1);
    assert_int_equal(f.closes, 1);
    assert_string_equal(f.reason, "done");
    /* Its descriptor is closed: the peer sees end of file. */
    char c;
    assert_int_equal(read(sv[1], &c, 1), 0);
    /* Its watch and timers are gone with it: a fresh poller has nothing. */
    RmqFdPoller *poller = rmq_fd_poller_get(ctx);
    assert_int_equal(rmq_fd_poller_get_watch_count(poller), 0);
    rmq_fd_poller_unref(poller);
    close(sv[1]);
    g_free(f.reason);
}

/* --- a read nested in a handler leaves the outer read's frames alone -------- */

typedef struct {
    RmqConnection *a, *b;
    GMainContext *ctx;
    int b_peer;              /* the test writes B's request here */
    GString *seen;           /* "A1:<body> A2:<body> B7:<body>" in dispatch order */
    gboolean b_done;
} NestFix;

static gboolean
nest_b_done(gpointer data)
{
    return ((NestFix *) data)->b_done;
}

static void
note_request(NestFix *f, const gchar *who, RmqCommand *request)
{
    gsize len = 0;
    const gchar *body = request->body != NULL ? g_bytes_get_data(request->body, &len) : "";
    /* the body's first byte and length: enough to see bytes from another frame */
    g_string_append_printf(f->seen, "%s%d:%c%" G_GSIZE_FORMAT " ", who, request->opaque,
                           len > 0 ? body[0] : '-', len);
}

static void
on_request_b(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    NestFix *f = user_data;
    (void) conn;
    note_request(f, "B", request);
    f->b_done = TRUE;
    rmq_command_free(request);
}

static RmqCommand *
request_with_body(gint32 opaque, gchar fill, gsize len)
{
    RmqCommand *req = rmq_command_new_request(9002);
    req->opaque = opaque;
    gchar *body = g_malloc(len);
    memset(body, fill, len);
    rmq_command_set_body_data(req, body, len);
    g_free(body);
    return req;
}

static void
on_request_a(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    NestFix *f = user_data;
    (void) conn;
    note_request(f, "A", request);
    if (request->opaque == 1) {
        /* B's request arrives while A's first frame is being handled; the
         * handler waits for it by iterating the context (a nested read). */
        g_autoptr(GString) out = g_string_new(NULL);
        g_autoptr(RmqCommand) req = request_with_body(7, 'b', 3000);
        assert_true(rmq_codec_append_frame(req, out));
        assert_int_equal(write(f->b_peer, out->str, out->len), (ssize_t) out->len);
        assert_true(spin_until(f->ctx, nest_b_done, f));
    }
    rmq_command_free(request);
}

static void
test_nested_read_keeps_batch(void **state)
{
    (void) state;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    int sa[2], sb[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sa), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sb), 0);
    NestFix f = { .ctx = ctx, .b_peer = sb[1], .seen = g_string_new(NULL) };
    f.a = connection_on(ctx, sa[0]);
    f.b = connection_on(ctx, sb[0]);
    rmq_connection_set_request_handler(f.a, on_request_a, &f);
    rmq_connection_set_request_handler(f.b, on_request_b, &f);
    rmq_connection_start(f.a);
    rmq_connection_start(f.b);

    /* Two frames of A in one write, so one read holds both: the second is
     * still to be decoded when the first one's handler reads B. */
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(RmqCommand) r1 = request_with_body(1, 'x', 100);
    g_autoptr(RmqCommand) r2 = request_with_body(2, 'y', 1000);
    assert_true(rmq_codec_append_frame(r1, out));
    assert_true(rmq_codec_append_frame(r2, out));
    assert_int_equal(write(sa[1], out->str, out->len), (ssize_t) out->len);
    gint64 end = g_get_monotonic_time() + WAIT_US;
    while (strstr(f.seen->str, "A2:") == NULL && g_get_monotonic_time() < end)
        if (!g_main_context_iteration(ctx, FALSE))
            g_usleep(1000);
    assert_string_equal(f.seen->str, "A1:x100 B7:b3000 A2:y1000 ");
    assert_false(rmq_connection_is_closed(f.a));
    assert_false(rmq_connection_is_closed(f.b));

    rmq_connection_close(f.a, "done");
    rmq_connection_close(f.b, "done");
    rmq_connection_unref(f.a);
    rmq_connection_unref(f.b);
    spin_briefly(ctx);
    close(sa[1]);
    close(sb[1]);
    g_string_free(f.seen, TRUE);
}

/* A peer that hangs up is seen through the poller: closed with the reason
 * GSocket sources gave. */
static void
test_connection_hangup(void **state)
{
    (void) state;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ConnFix f = { 0 };
    f.conn = connection_on(ctx, sv[0]);
    rmq_connection_add_close_callback(f.conn, on_conn_closed, &f);
    rmq_connection_start(f.conn);
    close(sv[1]);
    assert_true(spin_until(ctx, conn_closed, &f));
    assert_string_equal(f.reason, "closed by peer");
    assert_true(rmq_connection_is_closed(f.conn));
    rmq_connection_unref(f.conn);
    g_free(f.reason);
}


/* --- the poller as the default context's poll function ---------------------- */

typedef struct {
    Pair *pair;
    guint ends;          /* dispatch-end hook runs */
    guint bytes_at_end;  /* what the watch had read when the hook last ran */
    gboolean idle_ran;   /* idle source added from another thread */
    gboolean guard;      /* the 5 s guard timer fired */
    guint foreign;       /* calls of a g_unix_fd_add() source */
    int foreign_fd;
} OwnFix;

static void
on_end(gpointer user_data)
{
    OwnFix *f = user_data;
    f->ends++;
    f->bytes_at_end = f->pair->bytes;
}

static gboolean
on_guard(gpointer user_data)
{
    ((OwnFix *) user_data)->guard = TRUE;
    return G_SOURCE_REMOVE;
}

static gboolean
on_idle_flag(gpointer user_data)
{
    ((OwnFix *) user_data)->idle_ran = TRUE;
    return G_SOURCE_REMOVE;
}

static gpointer
add_idle_later(gpointer user_data)
{
    g_usleep(50000);
    g_idle_add(on_idle_flag, user_data); /* another thread: GLib signals its wake-up fd */
    return NULL;
}

static gboolean
on_foreign(gint fd, GIOCondition cond, gpointer user_data)
{
    OwnFix *f = user_data;
    char b;
    (void) cond;
    if (read(fd, &b, 1) == 1)
        f->foreign++;
    return G_SOURCE_CONTINUE;
}

/* Block in the default context until @cond or the guard timer. */
#define ITERATE_UNTIL(f, cond)                                                                    \
    do {                                                                                          \
        (f)->guard = FALSE;                                                                       \
        RmqFdTimer *guard_ = rmq_fd_timer_new(poller, on_guard, (f));                             \
        rmq_fd_timer_set_ready_time(guard_, g_get_monotonic_time() + WAIT_US);                    \
        while (!(cond) && !(f)->guard)                                                            \
            g_main_context_iteration(NULL, TRUE);                                                 \
        rmq_fd_timer_free(guard_);                                                                \
        assert_false((f)->guard);                                                                 \
    } while (0)

/* A source of higher priority that becomes ready in check, after the poll
 * function collected the poller's events: GLib dispatches it alone. */
typedef struct {
    GSource base;
    gboolean armed;
    Pair *victim; /* its watch is freed by the dispatch */
    guint runs;
} HighSource;

static gboolean
high_prepare(GSource *source, gint *timeout)
{
    (void) source;
    *timeout = -1;
    return FALSE;
}

static gboolean
high_check(GSource *source)
{
    return ((HighSource *) source)->armed;
}

static gboolean
high_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
    HighSource *h = (HighSource *) source;
    (void) cb;
    (void) data;
    h->armed = FALSE;
    h->runs++;
    rmq_fd_watch_clear(&h->victim->watch);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs high_funcs = { high_prepare, high_check, high_dispatch, NULL, NULL, NULL };

typedef struct {
    GMainContext *ctx;
    Pair *pair;
    guint want;
    gboolean woken;
} PrivFix;

static gpointer
iterate_private(gpointer data)
{
    PrivFix *f = data;
    g_main_context_push_thread_default(f->ctx);
    gint64 end = g_get_monotonic_time() + WAIT_US;
    while (f->pair->bytes < f->want && g_get_monotonic_time() < end)
        g_main_context_iteration(f->ctx, TRUE);
    g_main_context_pop_thread_default(f->ctx);
    return NULL;
}

static gboolean
on_private_idle(gpointer data)
{
    g_atomic_int_set(&((PrivFix *) data)->woken, TRUE);
    return G_SOURCE_REMOVE;
}

/* Private contexts (the client library's) own their poll function too, each
 * its own, iterated in a thread of their own: a watch's events come through
 * the one epoll_wait, a source attached from another thread wakes it, and
 * the last unref puts g_poll back. */
static void
test_own_poll_private(void)
{
    GMainContext *a = g_main_context_new(), *b = g_main_context_new();
    RmqFdPoller *pa = rmq_fd_poller_get(a), *pb = rmq_fd_poller_get(b);
    assert_true(rmq_fd_poller_own_poll(pa));
    assert_true(rmq_fd_poller_own_poll(pb));
    assert_true(g_main_context_get_poll_func(a) != g_poll);
    assert_true(g_main_context_get_poll_func(b) != g_poll);
    assert_true(g_main_context_get_poll_func(a) != g_main_context_get_poll_func(b));
    assert_true(g_main_context_get_poll_func(a) != g_main_context_get_poll_func(NULL));
    /* A context that already polls another descriptor keeps g_poll. */
    GMainContext *c = g_main_context_new();
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    GSource *foreign = g_unix_fd_source_new(fds[0], G_IO_IN);
    g_source_attach(foreign, c);
    RmqFdPoller *pc = rmq_fd_poller_get(c);
    assert_false(rmq_fd_poller_own_poll(pc));
    assert_true(g_main_context_get_poll_func(c) == g_poll);
    rmq_fd_poller_unref(pc);
    g_source_destroy(foreign);
    g_source_unref(foreign);
    g_main_context_unref(c);
    close(fds[0]);
    close(fds[1]);

    Pair pair = { 0 };
    make_pair(&pair);
    pair.watch = rmq_fd_watch_new(pa, pair.fd, on_ready, &pair);
    rmq_fd_watch_set_events(pair.watch, G_IO_IN);
    PrivFix f = { .ctx = a, .pair = &pair, .want = 2 };
    GThread *t = g_thread_new("private-loop", iterate_private, &f);
    assert_int_equal(write(pair.peer, "a", 1), 1);
    gint64 until = g_get_monotonic_time() + WAIT_US;
    while (g_atomic_int_get(&pair.bytes) < 1 && g_get_monotonic_time() < until)
        g_usleep(1000);
    g_usleep(10000); /* the loop is back in its epoll_wait, most likely */
    /* An idle attached from here wakes the blocked epoll_wait. */
    GSource *idle = g_idle_source_new();
    g_source_set_callback(idle, on_private_idle, &f, NULL);
    g_source_attach(idle, a);
    g_source_unref(idle);
    /* Only the wake-up can run it: nothing else is written until it has. */
    until = g_get_monotonic_time() + WAIT_US;
    while (!g_atomic_int_get(&f.woken) && g_get_monotonic_time() < until)
        g_usleep(1000);
    gboolean woken = g_atomic_int_get(&f.woken);
    assert_int_equal(write(pair.peer, "b", 1), 1);
    g_thread_join(t);
    assert_int_equal(pair.bytes, 2);
    assert_true(woken);
    close_pair(&pair);

    rmq_fd_poller_unref(pa);
    rmq_fd_poller_unref(pb);
    assert_true(g_main_context_get_poll_func(a) == g_poll);
    assert_true(g_main_context_get_poll_func(b) == g_poll);
    g_main_context_unref(a);
    g_main_context_unref(b);
}

static void
test_own_poll(void **state)
{
    (void) state;
    /* First test of the process: the default context has no sources yet. */
    RmqFdPoller *poller = rmq_fd_poller_get(NULL);
    assert_true(rmq_fd_poller_own_poll(poller));
    assert_true(g_main_context_get_poll_func(NULL) != g_poll);
    test_own_poll_private();

    Pair pair = { 0 };
    make_pair(&pair);
    pair.watch = rmq_fd_watch_new(poller, pair.fd, on_ready, &pair);
    rmq_fd_watch_set_events(pair.watch, G_IO_IN);
    OwnFix f = { .pair = &pair };
    rmq_fd_poller_add_dispatch_end(poller, on_end, &f);

    /* Blocking iterations: the one epoll_wait delivers the watch's event,
     * then the dispatch-end hook runs after the watch's callback. */
    assert_int_equal(write(pair.peer, "a", 1), 1);
    ITERATE_UNTIL(&f, pair.bytes == 1);
    assert_true(f.ends >= 1);
    assert_int_equal(f.bytes_at_end, 1);

    /* A source added from another thread wakes the blocked epoll_wait
     * through GLib's wake-up descriptor. */
    GThread *t = g_thread_new("idle-adder", add_idle_later, &f);
    ITERATE_UNTIL(&f, f.idle_ran);
    g_thread_join(t);

    /* Another descriptor in the set: g_poll() with the epoll descriptor,
     * both still delivered. */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    guint id = g_unix_fd_add(fds[0], G_IO_IN, on_foreign, &f);
    assert_int_equal(write(fds[1], "x", 1), 1);
    ITERATE_UNTIL(&f, f.foreign == 1);
    assert_int_equal(write(pair.peer, "b", 1), 1);
    ITERATE_UNTIL(&f, pair.bytes == 2);
    assert_int_equal(write(fds[1], "y", 1), 1);
    assert_int_equal(write(pair.peer, "c", 1), 1);
    ITERATE_UNTIL(&f, f.foreign == 2 && pair.bytes == 3);
    g_source_remove(id);
    close(fds[0]);
    close(fds[1]);

    /* Back to the one epoll_wait; a hook removed is not called again. */
    assert_int_equal(write(pair.peer, "d", 1), 1);
    ITERATE_UNTIL(&f, pair.bytes == 4);
    rmq_fd_poller_remove_dispatch_end(poller, on_end, &f);
    guint ends = f.ends;
    assert_int_equal(write(pair.peer, "e", 1), 1);
    ITERATE_UNTIL(&f, pair.bytes == 5);
    assert_int_equal(f.ends, ends);

    /* Events collected by the poll, then a higher-priority source runs
     * alone and frees a watch they name: that watch is never called, the
     * other one gets its event on a later iteration. */
    Pair victim = { 0 };
    make_pair(&victim);
    victim.watch = rmq_fd_watch_new(poller, victim.fd, on_ready, &victim);
    rmq_fd_watch_set_events(victim.watch, G_IO_IN);
    HighSource *high = (HighSource *) g_source_new(&high_funcs, sizeof(HighSource));
    g_source_set_priority(&high->base, G_PRIORITY_HIGH);
    high->victim = &victim;
    g_source_attach(&high->base, NULL);
    assert_int_equal(write(victim.peer, "v", 1), 1);
    assert_int_equal(write(pair.peer, "f", 1), 1);
    high->armed = TRUE;
    g_main_context_iteration(NULL, TRUE); /* the high source only */
    assert_int_equal(high->runs, 1);
    assert_null(victim.watch);
    assert_int_equal(pair.bytes, 5);
    ITERATE_UNTIL(&f, pair.bytes == 6);
    assert_int_equal(victim.calls, 0);
    g_source_destroy(&high->base);
    g_source_unref(&high->base);
    close_pair(&victim);

    close_pair(&pair);
    rmq_fd_poller_unref(poller); /* the last user: GLib's poll() again */
    assert_true(g_main_context_get_poll_func(NULL) == g_poll);
}

/* A timer armed "at once" (ready time 0) from a watch callback runs in the
 * same dispatch, after the events, not one loop pass later. */
typedef struct {
    RmqFdTimer *timer;
    int fd;
    guint watch_runs, timer_runs, timer_runs_seen_by_watch;
} AtOnce;

static gboolean
at_once_timer_noop(gpointer data)
{
    (void) data;
    return G_SOURCE_REMOVE;
}

static gboolean
at_once_timer(gpointer data)
{
    ((AtOnce *) data)->timer_runs++;
    return G_SOURCE_REMOVE;
}

static void
at_once_readable(RmqFdWatch *w, GIOCondition c, gpointer data)
{
    (void) w;
    (void) c;
    AtOnce *f = data;
    char buf[16];
    (void) !read(f->fd, buf, sizeof buf);
    f->watch_runs++;
    f->timer_runs_seen_by_watch = f->timer_runs;
    rmq_fd_timer_set_ready_time(f->timer, 0);
}

static void
test_timer_at_once_from_watch(void **state)
{
    (void) state;
    RmqFdPoller *poller = rmq_fd_poller_get(NULL);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    g_unix_set_fd_nonblocking(sv[0], TRUE, NULL);
    AtOnce f = { .fd = sv[0] };
    f.timer = rmq_fd_timer_new(poller, at_once_timer, &f);
    RmqFdWatch *w = rmq_fd_watch_new(poller, sv[0], at_once_readable, &f);
    rmq_fd_watch_set_events(w, G_IO_IN);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    assert_int_equal(write(sv[1], "a", 1), 1);
    for (guint it = 0; f.watch_runs == 0 && it < 100; it++)
        g_main_context_iteration(NULL, TRUE);
    assert_int_equal(f.watch_runs, 1);
    assert_int_equal(f.timer_runs_seen_by_watch, 0); /* after the event, */
    assert_int_equal(f.timer_runs, 1);               /* in the same dispatch */
    rmq_fd_watch_free(w);
    rmq_fd_timer_free(f.timer);
    rmq_fd_poller_unref(poller);
    close(sv[0]);
    close(sv[1]);
}

/* Dispatch-end hooks: one that removes itself does not make the next one
 * miss that dispatch. */
typedef struct {
    RmqFdPoller *poller;
    guint first, second;
} EndPair;

static void
end_first_once(gpointer data)
{
    EndPair *e = data;
    e->first++;
    rmq_fd_poller_remove_dispatch_end(e->poller, end_first_once, e);
}

static void
end_second(gpointer data)
{
    ((EndPair *) data)->second++;
}

static void
test_end_hook_removes_itself(void **state)
{
    (void) state;
    RmqFdPoller *poller = rmq_fd_poller_get(NULL);
    EndPair e = { .poller = poller };
    rmq_fd_poller_add_dispatch_end(poller, end_first_once, &e);
    rmq_fd_poller_add_dispatch_end(poller, end_second, &e);
    RmqFdTimer *t = rmq_fd_timer_new(poller, at_once_timer_noop, NULL);
    rmq_fd_timer_set_ready_time(t, 0);
    for (guint it = 0; e.first == 0 && it < 100; it++)
        g_main_context_iteration(NULL, TRUE);
    assert_int_equal(e.first, 1);
    assert_int_equal(e.second, 1); /* in the same dispatch */
    rmq_fd_poller_remove_dispatch_end(poller, end_second, &e);
    rmq_fd_timer_free(t);
    rmq_fd_poller_unref(poller);
}

/* rmq_fd_poller_now: one clock read per dispatch (the same time for the
 * whole wake-up, however long its callbacks take), a new one in the next
 * dispatch, and the clock itself outside a dispatch. */
typedef struct {
    RmqFdPoller *poller;
    gint64 first[2], second[2];
    gint runs;
} NowFix;

static gboolean
on_now_timer(gpointer user_data)
{
    NowFix *f = user_data;
    gint i = f->runs++;
    f->first[i] = rmq_fd_poller_now(f->poller);
    g_usleep(3000);
    f->second[i] = rmq_fd_poller_now(f->poller);
    return G_SOURCE_REMOVE;
}

static void
test_now_per_dispatch(void **state)
{
    (void) state;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    NowFix f = { .poller = rmq_fd_poller_get(ctx) };
    gint64 a = rmq_fd_poller_now(f.poller);
    g_usleep(3000);
    assert_true(rmq_fd_poller_now(f.poller) - a >= 3000); /* outside: the clock */
    RmqFdTimer *t = rmq_fd_timer_new(f.poller, on_now_timer, &f);
    for (gint i = 0; i < 2; i++) {
        gint64 before = g_get_monotonic_time();
        rmq_fd_timer_set_ready_time(t, before);
        gint64 end = before + WAIT_US;
        while (f.runs == i && g_get_monotonic_time() < end)
            g_main_context_iteration(ctx, TRUE);
        assert_int_equal(f.runs, i + 1);
        assert_true(f.first[i] >= before);
        assert_int_equal(f.second[i], f.first[i]); /* the same dispatch */
    }
    assert_true(f.first[1] - f.first[0] >= 3000); /* the next dispatch read it again */
    rmq_fd_timer_clear(&t);
    rmq_fd_poller_unref(f.poller);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_poll), /* first: needs a default context without sources */
        cmocka_unit_test(test_timer_at_once_from_watch),
        cmocka_unit_test(test_end_hook_removes_itself),
        cmocka_unit_test(test_many_readable),
        cmocka_unit_test(test_writable_and_hangup),
        cmocka_unit_test(test_free_during_dispatch),
        cmocka_unit_test(test_last_watch_freed_in_callback),
        cmocka_unit_test(test_timers),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_connection_freed_in_own_callback),
        cmocka_unit_test(test_connection_hangup),
        cmocka_unit_test(test_nested_read_keeps_batch),
        cmocka_unit_test(test_now_per_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
