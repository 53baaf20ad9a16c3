#include <config.h>

#include "namesrv/namesrv.h"

#include "common/log.h"
#include "namesrv/kvconfig.h"
#include "namesrv/processor.h"
#include "namesrv/route_table.h"
#include "remoting/client.h"
#include "remoting/codes.h"
#include "remoting/fd_poller.h"
#include "remoting/server.h"
#include "remoting/tls_config.h"

/* clusterTest: how long the product environment's name server may take. */
#define CLUSTER_TEST_TIMEOUT_MS 3000
/* Set on the requests forwarded, so two test name servers pointing at each
 * other never forward a request back and forth. */
#define CLUSTER_TEST_FORWARDED "rmqClusterTestForwarded"

typedef struct {
    RmqDaemon *daemon;
    RmqConfig *config; /* own copy of the running config */
    RmqRouteTable *routes;
    RmqKvConfig *kv;
    RmqNamesrvProcessor *processor;
    RmqServer *server;
    gint64 expire_ms;
    guint scan_interval_ms;
    guint scan_id;
    guint status_id; /* a STATUS= update is due at the end of this loop turn */
    /* clusterTest = true: routes of unknown topics come from the product
     * environment's name servers (NAMESRV_ADDR), as Java's
     * ClusterTestRequestProcessor asks them (docs/protocol.md §3.1). */
    RmqClient *product;
    gchar **product_namesrvs;
} RmqNamesrv;

static gint64
now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

static void
apply_config(RmqNamesrv *ns, const RmqConfig *cfg)
{
    RmqConfig *copy = rmq_config_copy(cfg);
    g_clear_pointer(&ns->config, rmq_config_free);
    ns->config = copy;
    ns->processor->config = ns->config;
    ns->processor->order_message_enable = cfg->order_message_enable;
    ns->expire_ms = cfg->broker_channel_expired_time;
    if (ns->server != NULL) {
        rmq_server_set_idle_timeout(ns->server, (guint) cfg->server_channel_max_idle_time_seconds);
        rmq_server_set_frame_timeout(ns->server, (guint) cfg->server_frame_timeout_seconds);
        rmq_server_set_write_limits(ns->server, (gsize) cfg->connection_write_buffer_max_bytes,
                                    (guint) cfg->connection_write_stall_timeout_mills);
    }
}

static gboolean
on_status_due(gpointer user_data)
{
    RmqNamesrv *ns = user_data;
    ns->status_id = 0;
    rmq_daemon_update_status(ns->daemon);
    return G_SOURCE_REMOVE;
}

/* One STATUS= per loop turn, however many brokers came or went in it (5,000
 * connections closing together made 5,000 notifications). */
static void
status_changed(RmqNamesrv *ns)
{
    if (ns->status_id == 0)
        ns->status_id = rmq_timeout_add(0, on_status_due, ns); /* after this dispatch's events */
}

static void
log_removals(RmqNamesrv *ns, GPtrArray *removals, const gchar *why)
{
    for (guint i = 0; i < removals->len; i++)
        rmq_namesrv_log_removal(g_ptr_array_index(removals, i), why);
    if (removals->len > 0)
        status_changed(ns);
}

static gboolean
on_scan(gpointer user_data)
{
    RmqNamesrv *ns = user_data;
    g_autoptr(GPtrArray) gone = rmq_route_table_scan_expired(ns->routes, now_ms(), ns->expire_ms);
    log_removals(ns, gone, "expired");
    /* Their channels are closed too, as Java does; the close callback then
     * finds nothing left to remove. */
    for (guint i = 0; i < gone->len; i++) {
        RmqBrokerRemoval *r = g_ptr_array_index(gone, i);
        if (r->channel != NULL)
            rmq_connection_close(r->channel, "broker registration expired");
    }
    return G_SOURCE_CONTINUE;
}

static gboolean
on_first_scan(gpointer user_data)
{
    RmqNamesrv *ns = user_data;
    on_scan(ns);
    ns->scan_id = rmq_timeout_add(ns->scan_interval_ms, on_scan, ns);
    return G_SOURCE_REMOVE;
}

static void
schedule_scan(RmqNamesrv *ns, gboolean first)
{
    g_clear_handle_id(&ns->scan_id, rmq_timeout_remove);
    ns->scan_interval_ms = (guint) ns->config->scan_not_active_broker_interval;
    if (first)
        ns->scan_id = rmq_timeout_add(MIN(ns->scan_interval_ms, RMQ_NAMESRV_FIRST_SCAN_MS),
                                    on_first_scan, ns);
    else
        ns->scan_id = rmq_timeout_add(ns->scan_interval_ms, on_scan, ns);
}

typedef struct {
    RmqNamesrv *ns;
    RmqConnection *conn;
    RmqCommand *request;
    RmqCommand *not_found; /* our own answer, sent when the product one is no better */
    guint next;            /* index of the next product name server to ask */
} ClusterTestAsk;

static void ask_product(ClusterTestAsk *a);

static void
cluster_test_done(ClusterTestAsk *a, RmqCommand *response)
{
    rmq_connection_send_response(a->conn, a->request, response != NULL ? response : a->not_found);
    if (response != NULL)
        rmq_command_free(a->not_found);
    rmq_command_free(a->request);
    rmq_connection_unref(a->conn);
    g_free(a);
}

static void
on_product_route(RmqCommand *response, const GError *error, gpointer user_data)
{
    ClusterTestAsk *a = user_data;
    if (response == NULL) {
        g_info("clusterTest: product name server %s: %s", a->ns->product_namesrvs[a->next - 1],
               error->message);
        ask_product(a); /* the next one, or our own answer */
        return;
    }
    if (response->code != RMQ_RESPONSE_SUCCESS) {
        rmq_command_free(response);
        cluster_test_done(a, NULL);
        return;
    }
    RmqCommand *out = rmq_command_new_response(a->request, RMQ_RESPONSE_SUCCESS, NULL);
    if (response->body != NULL)
        rmq_command_set_body(out, response->body);
    rmq_command_free(response);
    cluster_test_done(a, out);
}

static void
ask_product(ClusterTestAsk *a)
{
    const gchar *addr = a->ns->product_namesrvs != NULL ? a->ns->product_namesrvs[a->next] : NULL;
    if (addr == NULL || a->ns->product == NULL) {
        cluster_test_done(a, NULL);
        return;
    }
    a->next++;
    RmqCommand *fwd = rmq_command_new_request(RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC);
    rmq_command_set_ext(fwd, "topic", rmq_command_get_ext(a->request, "topic"));
    rmq_command_set_ext(fwd, CLUSTER_TEST_FORWARDED, "true");
    rmq_client_invoke_async(a->ns->product, addr, fwd, CLUSTER_TEST_TIMEOUT_MS, on_product_route, a);
}

static void
on_request(RmqConnection *conn, RmqCommand *request, gpointer user_data)
{
    RmqNamesrv *ns = user_data;
    guint before = rmq_route_table_live_broker_count(ns->routes);
    RmqCommand *response = rmq_namesrv_processor_handle(ns->processor, conn, request, now_ms());
    if (ns->product != NULL && request->code == RMQ_REQUEST_GET_ROUTEINFO_BY_TOPIC &&
        response->code == RMQ_RESPONSE_TOPIC_NOT_EXIST &&
        rmq_command_get_ext(request, CLUSTER_TEST_FORWARDED) == NULL) {
        ClusterTestAsk *a = g_new0(ClusterTestAsk, 1);
        a->ns = ns;
        a->conn = rmq_connection_ref(conn);
        a->request = request;
        a->not_found = response;
        ask_product(a);
        return;
    }
    rmq_connection_send_response(conn, request, response);
    rmq_command_free(request);
    if (rmq_route_table_live_broker_count(ns->routes) != before)
        status_changed(ns);
}

static void
on_close(RmqConnection *conn, gpointer user_data)
{
    RmqNamesrv *ns = user_data;
    g_autoptr(GPtrArray) gone = rmq_route_table_channel_closed(ns->routes, conn);
    log_removals(ns, gone, "dropped: its connection closed");
}

static void
namesrv_free(RmqNamesrv *ns)
{
    g_clear_handle_id(&ns->scan_id, rmq_timeout_remove);
    g_clear_handle_id(&ns->status_id, rmq_timeout_remove);
    /* Closing every connection at shutdown is not a broker failure: detach
     * the close callback first, then free the server before the tables. */
    if (ns->server != NULL)
        rmq_server_set_connection_callbacks(ns->server, NULL, NULL, NULL);
    g_clear_pointer(&ns->server, rmq_server_free);
    /* pending forwards fail (callbacks run) before the tables go */
    g_clear_pointer(&ns->product, rmq_client_free);
    g_clear_pointer(&ns->product_namesrvs, g_strfreev);
    g_clear_pointer(&ns->processor, rmq_namesrv_processor_free);
    g_clear_pointer(&ns->routes, rmq_route_table_free);
    g_clear_pointer(&ns->kv, rmq_kvconfig_free);
    g_clear_pointer(&ns->config, rmq_config_free);
    g_free(ns);
}

static gboolean
namesrv_start(RmqDaemon *daemon, GError **error)
{
    const RmqConfig *cfg = rmq_daemon_get_config(daemon);
    RmqNamesrv *ns = g_new0(RmqNamesrv, 1);
    ns->daemon = daemon;
    ns->routes = rmq_route_table_new();
    ns->kv = rmq_kvconfig_new(cfg->kv_config_path);
    ns->processor = rmq_namesrv_processor_new(ns->routes, ns->kv);
    apply_config(ns, cfg);

    g_autoptr(GError) local = NULL;
    if (!rmq_kvconfig_load(ns->kv, &local)) {
        /* Refuse to start rather than overwrite the operator's file on the next put. */
        g_propagate_prefixed_error(error, g_steal_pointer(&local), "KV config: ");
        namesrv_free(ns);
        return FALSE;
    }

    g_autoptr(RmqTlsContext) tls = rmq_tls_server_from_settings(&cfg->tls, error);
    if (tls == NULL && cfg->tls.server_mode != RMQ_TLS_MODE_DISABLED) {
        namesrv_free(ns);
        return FALSE;
    }
    ns->server = rmq_server_new("namesrv");
    rmq_server_set_tls(ns->server, tls);
    for (guint i = 0; rmq_namesrv_processor_codes[i] >= 0; i++)
        rmq_server_register(ns->server, rmq_namesrv_processor_codes[i], on_request, ns);
    rmq_server_set_connection_callbacks(ns->server, NULL, on_close, ns);
    rmq_server_set_idle_timeout(ns->server, (guint) cfg->server_channel_max_idle_time_seconds);
    rmq_server_set_frame_timeout(ns->server, (guint) cfg->server_frame_timeout_seconds);
    rmq_server_set_write_limits(ns->server, (gsize) cfg->connection_write_buffer_max_bytes,
                                (guint) cfg->connection_write_stall_timeout_mills);
    if (!rmq_server_listen(ns->server, cfg->bind_address, (guint16) cfg->listen_port, error)) {
        g_prefix_error(error, "listenPort %d: ", cfg->listen_port);
        namesrv_free(ns);
        return FALSE;
    }
    if (cfg->cluster_test) {
        /* Java's admin client reads rocketmq.namesrv.addr, else NAMESRV_ADDR. */
        const gchar *env = g_getenv("NAMESRV_ADDR");
        ns->product_namesrvs = g_strsplit_set(env != NULL ? env : "", ";, ", -1);
        guint n = 0;
        for (guint i = 0; ns->product_namesrvs[i]; i++)
            if (*ns->product_namesrvs[i] != '\0')
                ns->product_namesrvs[n++] = ns->product_namesrvs[i];
            else
                g_free(ns->product_namesrvs[i]);
        ns->product_namesrvs[n] = NULL;
        if (n == 0)
            g_warning("clusterTest = true but NAMESRV_ADDR names no name server of the product "
                      "environment (%s): unknown topics stay unknown",
                      cfg->product_env_name != NULL ? cfg->product_env_name : "center");
        else
            g_message("clusterTest: routes of unknown topics come from %s (product environment "
                      "%s)", env, cfg->product_env_name != NULL ? cfg->product_env_name : "center");
        ns->product = rmq_client_new(NULL);
    }
    schedule_scan(ns, TRUE);
    if (tls != NULL)
        g_message("TLS %s on port %u", rmq_tls_mode_name(rmq_tls_context_get_mode(tls)),
                  rmq_server_get_port(ns->server));
    g_message("name server listening on %s:%u, KV config %s (%u namespaces), brokers expire "
              "after %" G_GINT64_FORMAT " ms",
              cfg->bind_address != NULL ? cfg->bind_address : "0.0.0.0",
              rmq_server_get_port(ns->server),
              cfg->kv_config_path != NULL ? cfg->kv_config_path : "(memory)",
              rmq_kvconfig_namespace_count(ns->kv), ns->expire_ms);
    rmq_daemon_set_data(daemon, ns);
    return TRUE;
}

static gboolean
namesrv_reload(RmqDaemon *daemon, const RmqConfig *fresh, GError **error)
{
    RmqNamesrv *ns = rmq_daemon_get_data(daemon);
    gint old_scan = ns->config->scan_not_active_broker_interval;
    apply_config(ns, fresh);
    if (fresh->scan_not_active_broker_interval != old_scan)
        schedule_scan(ns, FALSE);
    return TRUE;
}

static void
namesrv_stop(RmqDaemon *daemon)
{
    RmqNamesrv *ns = rmq_daemon_get_data(daemon);
    if (ns != NULL) {
        /* Nothing to flush: every KV change was persisted when it was made. */
        rmq_server_stop_accepting(ns->server);
        rmq_daemon_set_data(daemon, NULL);
        namesrv_free(ns);
    }
    rmq_daemon_stopped(daemon);
}

static gchar *
namesrv_status(RmqDaemon *daemon)
{
    RmqNamesrv *ns = rmq_daemon_get_data(daemon);
    if (ns == NULL)
        return NULL;
    return g_strdup_printf("%u brokers, %u topics, %u clients",
                           rmq_route_table_live_broker_count(ns->routes),
                           rmq_route_table_topic_count(ns->routes),
                           rmq_server_get_connection_count(ns->server));
}

/* --check-config: the TLS certificate and key must load. */
static gboolean
namesrv_check(const RmqConfig *config, GError **error)
{
    g_autoptr(RmqTlsContext) tls = rmq_tls_server_from_settings(&config->tls, error);
    return tls != NULL || config->tls.server_mode == RMQ_TLS_MODE_DISABLED;
}

const RmqDaemonOps rmq_namesrv_daemon_ops = {
    .program = "rmq-namesrv",
    .summary = "RocketMQ-compatible name server",
    .scope = RMQ_CONFIG_NAMESRV,
    .start = namesrv_start,
    .reload = namesrv_reload,
    .stop = namesrv_stop,
    .status = namesrv_status,
    .check = namesrv_check,
    /* status and watchdog timers and the signal pipe in the loop's poller:
     * no GSources walked on every wake-up */
    .timeout_add = rmq_timeout_add,
    .timeout_remove = rmq_timeout_remove,
    .fd_watch = rmq_fd_readable_watch,
    .fd_unwatch = rmq_fd_readable_unwatch,
};
