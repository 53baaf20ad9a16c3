#include <config.h>

#include "broker/namesrv_link.h"

#include "remoting/client.h"
#include "remoting/codes.h"
#include "store/message_format.h"
#include "remoting/fd_poller.h"

struct _RmqNamesrvLink {
    RmqClient *client;
    gchar **addrs;
    gchar *cluster_name, *broker_name, *broker_addr, *ha_addr;
    gint64 broker_id;
    guint timeout_ms;
    RmqNamesrvBodyFunc body;
    gpointer data;
    guint timer;
    guint period_ms;
    RmqNamesrvReplyFunc reply;
    gpointer reply_data;
    GHashTable *retries;   /* addr -> Retry, for name servers that could not be reached */
    gboolean closing;      /* rmq_namesrv_link_free() has begun: no new retries */
};

/* A name server that did not answer a registration is tried again soon,
 * not only at the next period (up to 30 s): a broker started before its
 * name servers, as `systemctl start rocketmq.target` may do, is routable
 * within seconds of them coming up. */
#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 8000

typedef struct {
    RmqNamesrvLink *link;
    gchar *addr;           /* the table's key */
    guint timer;
    guint backoff_ms;
} Retry;

static void
retry_free(Retry *r)
{
    g_clear_handle_id(&r->timer, rmq_timeout_remove);
    g_free(r->addr);
    g_free(r);
}

static void register_one(RmqNamesrvLink *l, const gchar *addr, GBytes *body);

static gboolean
on_retry(gpointer user_data)
{
    Retry *r = user_data;
    r->timer = 0;
    g_autoptr(GBytes) body = r->link->body(r->link->data);
    register_one(r->link, r->addr, body);
    return G_SOURCE_REMOVE;
}

/* The registration to @addr failed (@failed) or went through. */
static void
registration_outcome(RmqNamesrvLink *l, const gchar *addr, gboolean failed)
{
    if (!failed) {
        g_hash_table_remove(l->retries, addr);
        return;
    }
    if (l->closing)
        return;
    Retry *r = g_hash_table_lookup(l->retries, addr);
    if (r == NULL) {
        r = g_new0(Retry, 1);
        r->link = l;
        r->addr = g_strdup(addr);
        r->backoff_ms = RETRY_FIRST_MS;
        g_hash_table_insert(l->retries, r->addr, r);
    }
    if (r->timer != 0)
        return;
    r->timer = rmq_timeout_add(r->backoff_ms, on_retry, r);
    r->backoff_ms = MIN(r->backoff_ms * 2, RETRY_MAX_MS);
}

void
rmq_namesrv_link_set_reply_func(RmqNamesrvLink *l, RmqNamesrvReplyFunc func, gpointer data)
{
    l->reply = func;
    l->reply_data = data;
}

static void
tell_reply(RmqNamesrvLink *l, const RmqCommand *response)
{
    if (l->reply != NULL && response != NULL && response->code == 0)
        l->reply(rmq_command_get_ext(response, "masterAddr"),
                 rmq_command_get_ext(response, "haServerAddr"), l->reply_data);
}

typedef struct {
    RmqNamesrvLink *link;
    gchar *addr;
} Pending;

void
rmq_namesrv_link_set_tls(RmqNamesrvLink *l, RmqTlsContext *ctx)
{
    rmq_client_set_tls(l->client, ctx);
}

RmqNamesrvLink *
rmq_namesrv_link_new(const RmqNamesrvLinkInfo *info, gchar *const *addrs, RmqNamesrvBodyFunc body,
                     gpointer data)
{
    RmqNamesrvLink *l = g_new0(RmqNamesrvLink, 1);
    l->client = rmq_client_new(NULL);
    l->addrs = g_strdupv((gchar **) addrs);
    if (l->addrs == NULL)
        l->addrs = g_new0(gchar *, 1);
    l->cluster_name = g_strdup(info->cluster_name);
    l->broker_name = g_strdup(info->broker_name);
    l->broker_addr = g_strdup(info->broker_addr);
    l->ha_addr = g_strdup(info->ha_addr);
    l->broker_id = info->broker_id;
    l->timeout_ms = info->timeout_ms > 0 ? info->timeout_ms : 6000;
    l->body = body;
    l->data = data;
    l->retries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) retry_free);
    return l;
}

void
rmq_namesrv_link_free(RmqNamesrvLink *l)
{
    if (l == NULL)
        return;
    g_clear_handle_id(&l->timer, rmq_timeout_remove);
    l->closing = TRUE;
    g_hash_table_remove_all(l->retries);
    rmq_client_free(l->client);
    g_hash_table_destroy(l->retries);
    g_strfreev(l->addrs);
    g_free(l->cluster_name);
    g_free(l->broker_name);
    g_free(l->broker_addr);
    g_free(l->ha_addr);
    g_free(l);
}

guint
rmq_namesrv_link_count(RmqNamesrvLink *l)
{
    return g_strv_length(l->addrs);
}

static RmqCommand *
register_request(RmqNamesrvLink *l, GBytes *body)
{
    RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_REGISTER_BROKER);
    gsize n;
    const guint8 *data = g_bytes_get_data(body, &n);
    rmq_command_set_ext(req, "brokerName", l->broker_name);
    rmq_command_set_ext(req, "brokerAddr", l->broker_addr);
    rmq_command_set_ext(req, "clusterName", l->cluster_name);
    rmq_command_set_ext(req, "haServerAddr", l->ha_addr);
    rmq_command_set_ext_int64(req, "brokerId", l->broker_id);
    rmq_command_set_ext(req, "compressed", "false");
    rmq_command_set_ext_int64(req, "bodyCrc32", (gint64) (rmq_crc32(0, data, n) & 0x7fffffffu));
    rmq_command_set_body(req, body);
    return req;
}

static void
on_registered(RmqCommand *response, const GError *error, gpointer user_data)
{
    Pending *p = user_data;
    gchar *addr = p->addr;
    RmqNamesrvLink *l = p->link;
    tell_reply(l, response);
    registration_outcome(l, addr, error != NULL);
    g_free(p);
    if (error != NULL)
        g_debug("register to name server %s failed: %s", addr, error->message);
    else if (response->code != 0)
        g_warning("name server %s refused the registration: %d %s", addr, response->code,
                  response->remark != NULL ? response->remark : "");
    if (response != NULL)
        rmq_command_free(response);
    g_free(addr);
}

guint
rmq_namesrv_link_register(RmqNamesrvLink *l, GBytes *body, gboolean sync, gboolean oneway)
{
    g_autoptr(GBytes) all = body != NULL ? g_bytes_ref(body) : l->body(l->data);
    guint ok = 0;
    for (guint i = 0; l->addrs[i] != NULL; i++) {
        if (oneway) {
            rmq_client_invoke_oneway(l->client, l->addrs[i], register_request(l, all));
        } else if (sync) {
            RmqCommand *req = register_request(l, all);
            g_autoptr(GError) err = NULL;
            g_autoptr(RmqCommand) resp =
                rmq_client_invoke_sync(l->client, l->addrs[i], req, l->timeout_ms, &err);
            registration_outcome(l, l->addrs[i], resp == NULL);
            if (resp != NULL && resp->code == 0)
                ok++;
            else
                g_warning("register to name server %s failed: %s", l->addrs[i],
                          err != NULL ? err->message
                                      : (resp->remark != NULL ? resp->remark : "refused"));
            tell_reply(l, resp);
        } else {
            register_one(l, l->addrs[i], all);
        }
    }
    return ok;
}

static void
register_one(RmqNamesrvLink *l, const gchar *addr, GBytes *body)
{
    Pending *p = g_new(Pending, 1);
    p->link = l;
    p->addr = g_strdup(addr);
    rmq_client_invoke_async(l->client, addr, register_request(l, body), l->timeout_ms,
                            on_registered, p);
}

typedef struct {
    guint left;
    void (*done)(gpointer);
    gpointer data;
    RmqNamesrvLink *link;
} Countdown;

static void
countdown_step(Countdown *c)
{
    if (--c->left == 0) {
        c->done(c->data);
        g_free(c);
    }
}

static void
on_registered_counted(RmqCommand *response, const GError *error, gpointer user_data)
{
    Countdown *c = user_data;
    if (error != NULL)
        g_debug("register to name server failed: %s", error->message);
    tell_reply(c->link, response);
    if (response != NULL)
        rmq_command_free(response);
    countdown_step(c);
}

static gboolean
countdown_idle(gpointer user_data)
{
    Countdown *c = user_data;
    c->done(c->data);
    g_free(c);
    return G_SOURCE_REMOVE;
}

void
rmq_namesrv_link_register_then(RmqNamesrvLink *l, GBytes *body, void (*done)(gpointer),
                               gpointer data)
{
    g_autoptr(GBytes) all = body != NULL ? g_bytes_ref(body) : l->body(l->data);
    Countdown *c = g_new0(Countdown, 1);
    c->done = done;
    c->data = data;
    c->link = l;
    c->left = g_strv_length(l->addrs);
    if (c->left == 0) {
        g_idle_add(countdown_idle, c);
        return;
    }
    for (guint i = 0; l->addrs[i] != NULL; i++)
        rmq_client_invoke_async(l->client, l->addrs[i], register_request(l, all), l->timeout_ms,
                                on_registered_counted, c);
}

static gboolean
on_period(gpointer data)
{
    RmqNamesrvLink *l = data;
    rmq_namesrv_link_register(l, NULL, FALSE, FALSE);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_first(gpointer data)
{
    RmqNamesrvLink *l = data;
    rmq_namesrv_link_register(l, NULL, FALSE, FALSE);
    l->timer = rmq_timeout_add(l->period_ms, on_period, l);
    return G_SOURCE_REMOVE;
}

void
rmq_namesrv_link_set_timeout(RmqNamesrvLink *l, guint timeout_ms)
{
    l->timeout_ms = timeout_ms > 0 ? timeout_ms : 6000;
}

void
rmq_namesrv_link_start_periodic(RmqNamesrvLink *l, guint period_ms)
{
    g_clear_handle_id(&l->timer, rmq_timeout_remove);
    if (period_ms >= 10000)
        period_ms = CLAMP(period_ms, 10000, 60000);
    else if (period_ms == 0)
        period_ms = 30000;
    l->period_ms = period_ms;
    l->timer = rmq_timeout_add(MIN(10000u, period_ms), on_first, l);
}

typedef struct {
    guint left;
    void (*done)(gpointer);
    gpointer data;
} Unreg;

static gboolean
done_idle(gpointer user_data)
{
    Unreg *u = user_data;
    u->done(u->data);
    g_free(u);
    return G_SOURCE_REMOVE;
}

static void
on_unregistered(RmqCommand *response, const GError *error, gpointer user_data)
{
    Unreg *u = user_data;
    if (error != NULL)
        g_debug("unregister failed: %s", error->message);
    if (response != NULL)
        rmq_command_free(response);
    /* From the loop, not from inside this callback: done() frees the broker,
     * and with it the client and the connection that is calling us. */
    if (--u->left == 0)
        g_idle_add(done_idle, u);
}

void
rmq_namesrv_link_unregister(RmqNamesrvLink *l, void (*done)(gpointer), gpointer data)
{
    g_clear_handle_id(&l->timer, rmq_timeout_remove);
    Unreg *u = g_new0(Unreg, 1);
    u->done = done;
    u->data = data;
    u->left = g_strv_length(l->addrs);
    if (u->left == 0) {
        g_idle_add(done_idle, u);
        return;
    }
    for (guint i = 0; l->addrs[i] != NULL; i++) {
        RmqCommand *req = rmq_command_new_request(RMQ_REQUEST_UNREGISTER_BROKER);
        rmq_command_set_ext(req, "brokerName", l->broker_name);
        rmq_command_set_ext(req, "brokerAddr", l->broker_addr);
        rmq_command_set_ext(req, "clusterName", l->cluster_name);
        rmq_command_set_ext_int64(req, "brokerId", l->broker_id);
        rmq_client_invoke_async(l->client, l->addrs[i], req, MIN(l->timeout_ms, 3000u),
                                on_unregistered, u);
    }
}
