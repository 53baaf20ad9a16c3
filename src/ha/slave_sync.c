#include <config.h>

#include <string.h>

#include "ha/slave_sync.h"
#include "remoting/codes.h"
#include "remoting/connection.h"

/* Outlives the sync while requests are in flight: RmqClient answers them
 * later, maybe after rmq_slave_sync_free(). */
typedef struct {
    gboolean alive;
    guint in_flight;
} Shared;

typedef struct {
    RmqSlaveSync *sync;
    Shared *shared;
    RmqSlaveSyncWhat what;
} Request;

struct _RmqSlaveSync {
    RmqClient *client;
    RmqSlaveSyncTables tables;
    RmqSlaveSyncConfig config;
    GMainContext *context;
    RmqSlaveSyncChanged changed;
    gpointer user_data;
    gchar *master_addr;
    GSource *timer;
    guint pending;            /* requests of the running round */
    guint rounds;
    Shared *shared;
};

void
rmq_slave_sync_config_init(RmqSlaveSyncConfig *config)
{
    config->interval_ms = 10000;
    config->first_delay_ms = 3000;
    config->request_timeout_ms = 3000;
}

gchar *
rmq_slave_sync_vip_address(const gchar *address)
{
    const gchar *colon = strrchr(address, ':');
    gint64 port;

    if (colon == NULL)
        return g_strdup(address);
    port = g_ascii_strtoll(colon + 1, NULL, 10);
    if (port <= 2)
        return g_strdup(address);
    return g_strdup_printf("%.*s:%" G_GINT64_FORMAT, (int) (colon - address), address, port - 2);
}

static const char *
what_name(RmqSlaveSyncWhat what)
{
    switch (what) {
    case RMQ_SLAVE_SYNC_TOPICS: return "topic config";
    case RMQ_SLAVE_SYNC_CONSUMER_OFFSETS: return "consumer offsets";
    case RMQ_SLAVE_SYNC_DELAY_OFFSETS: return "delay offsets";
    case RMQ_SLAVE_SYNC_SUBSCRIPTION_GROUPS: return "subscription groups";
    }
    return "?";
}

static gboolean
apply(RmqSlaveSync *s, RmqSlaveSyncWhat what, const gchar *body, gsize len, gboolean *changed,
      GError **error)
{
    switch (what) {
    case RMQ_SLAVE_SYNC_TOPICS:
        return rmq_topic_table_sync_from_master(s->tables.topics, body, len, changed, error);
    case RMQ_SLAVE_SYNC_CONSUMER_OFFSETS:
        *changed = TRUE;
        return rmq_consumer_offsets_merge_body(s->tables.consumer_offsets, body, len, error);
    case RMQ_SLAVE_SYNC_DELAY_OFFSETS:
        *changed = TRUE;
        return rmq_delay_offsets_load_text(s->tables.delay_offsets, body, len, error);
    case RMQ_SLAVE_SYNC_SUBSCRIPTION_GROUPS:
        return rmq_subscription_group_table_sync_from_master(s->tables.subscription_groups,
                                                             body, len, changed, error);
    }
    return FALSE;
}

static void
on_response(RmqCommand *response, const GError *error, gpointer data)
{
    Request *r = data;
    g_autoptr(RmqCommand) resp = response;
    RmqSlaveSync *s = r->sync;

    r->shared->in_flight--;
    if (!r->shared->alive) {
        /* the sync was freed; the last callback frees what it shared */
        if (r->shared->in_flight == 0)
            g_free(r->shared);
        g_free(r);
        return;
    }
    if (error != NULL) {
        g_message("slave sync: %s from master %s failed: %s", what_name(r->what),
                  s->master_addr != NULL ? s->master_addr : "-", error->message);
    } else if (resp->code != RMQ_RESPONSE_SUCCESS) {
        g_message("slave sync: master refused %s: code %d %s", what_name(r->what), resp->code,
                  resp->remark != NULL ? resp->remark : "");
    } else if (resp->body != NULL) {
        g_autoptr(GError) local = NULL;
        gsize len;
        const gchar *body = g_bytes_get_data(resp->body, &len);
        gboolean changed = FALSE;

        if (!apply(s, r->what, body, len, &changed, &local))
            g_warning("slave sync: bad %s from master: %s", what_name(r->what), local->message);
        else if (changed && s->changed != NULL)
            s->changed(r->what, s->user_data);
    }
    if (--s->pending == 0)
        s->rounds++;
    g_free(r);
}

static void
send_one(RmqSlaveSync *s, RmqSlaveSyncWhat what, gint32 code, const gchar *addr)
{
    Request *r = g_new(Request, 1);

    r->sync = s;
    r->shared = s->shared;
    r->what = what;
    s->pending++;
    s->shared->in_flight++;
    rmq_client_invoke_async(s->client, addr, rmq_command_new_request(code),
                            s->config.request_timeout_ms, on_response, r);
}

void
rmq_slave_sync_run_now(RmqSlaveSync *s)
{
    g_autofree gchar *vip = NULL;

    if (s->master_addr == NULL || s->pending > 0)
        return;
    vip = rmq_slave_sync_vip_address(s->master_addr);
    if (s->tables.topics != NULL)
        send_one(s, RMQ_SLAVE_SYNC_TOPICS, RMQ_REQUEST_GET_ALL_TOPIC_CONFIG, vip);
    if (s->tables.consumer_offsets != NULL)
        send_one(s, RMQ_SLAVE_SYNC_CONSUMER_OFFSETS, RMQ_REQUEST_GET_ALL_CONSUMER_OFFSET,
                 s->master_addr);
    if (s->tables.delay_offsets != NULL)
        send_one(s, RMQ_SLAVE_SYNC_DELAY_OFFSETS, RMQ_REQUEST_GET_ALL_DELAY_OFFSET, s->master_addr);
    if (s->tables.subscription_groups != NULL)
        send_one(s, RMQ_SLAVE_SYNC_SUBSCRIPTION_GROUPS,
                 RMQ_REQUEST_GET_ALL_SUBSCRIPTIONGROUP_CONFIG, s->master_addr);
}

static gboolean
timer_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
    (void) source;
    return cb(data);
}

static GSourceFuncs timer_funcs = { .dispatch = timer_dispatch };

static gboolean
on_timer(gpointer data)
{
    RmqSlaveSync *s = data;

    rmq_slave_sync_run_now(s);
    /* after the first delay, the period */
    g_source_set_ready_time(s->timer, g_get_monotonic_time() + (gint64) s->config.interval_ms * 1000);
    return G_SOURCE_CONTINUE;
}

RmqSlaveSync *
rmq_slave_sync_new(RmqClient *client, const RmqSlaveSyncTables *tables,
                   const RmqSlaveSyncConfig *config, GMainContext *context,
                   RmqSlaveSyncChanged changed, gpointer user_data)
{
    RmqSlaveSync *s = g_new0(RmqSlaveSync, 1);

    s->client = client;
    s->tables = *tables;
    s->config = *config;
    s->context = g_main_context_ref(context != NULL ? context : g_main_context_default());
    s->changed = changed;
    s->user_data = user_data;
    s->shared = g_new0(Shared, 1);
    s->shared->alive = TRUE;
    return s;
}

void
rmq_slave_sync_set_master_address(RmqSlaveSync *s, const gchar *master_address,
                                  const gchar *own_address)
{
    if (master_address != NULL &&
        (*master_address == '\0' || g_strcmp0(master_address, own_address) == 0))
        master_address = NULL;
    if (g_strcmp0(master_address, s->master_addr) == 0)
        return;
    g_free(s->master_addr);
    s->master_addr = g_strdup(master_address);
    if (s->master_addr == NULL)
        return;
    g_message("slave sync: master %s", s->master_addr);
    if (s->timer == NULL) {
        /* a ready-time source: first after first_delay_ms, then every interval */
        s->timer = g_source_new(&timer_funcs, sizeof(GSource));
        g_source_set_callback(s->timer, on_timer, s, NULL);
        g_source_set_ready_time(s->timer, g_get_monotonic_time() +
                                (gint64) s->config.first_delay_ms * 1000);
        g_source_attach(s->timer, s->context);
    }
}

void
rmq_slave_sync_free(RmqSlaveSync *s)
{
    if (s == NULL)
        return;
    rmq_source_clear(&s->timer);
    s->shared->alive = FALSE;
    if (s->shared->in_flight == 0)
        g_free(s->shared);
    g_main_context_unref(s->context);
    g_free(s->master_addr);
    g_free(s);
}

guint
rmq_slave_sync_rounds(RmqSlaveSync *s)
{
    return s->rounds;
}
