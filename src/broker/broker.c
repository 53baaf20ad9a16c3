#include <config.h>

#include "broker/broker.h"
#include "broker/commands.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "broker/acl_guard.h"
#include "broker/client_registry.h"
#include "acl/sign.h"
#include "common/ratelimit.h"
#include "common/secret_file.h"
#include "broker/long_poll.h"
#include "broker/namesrv_link.h"
#include "broker/schedule_service.h"
#include "broker/send.h"
#include "broker/stats.h"
#include "broker/store_stats.h"
#include "broker/transaction_check.h"
#include "ha/ha_service.h"
#include "remoting/codes.h"
#include "remoting/tls_config.h"
#include "remoting/fd_poller.h"

G_DEFINE_QUARK(rmq-broker-error-quark, rmq_broker_error)

/* Client channels silent this long are dropped (Java: 120 s, a constant).
 * RMQ_TEST_CLIENT_EXPIRE_MS shortens it for the integration tests. */
#define CLIENT_EXPIRE_MS 120000
#define CLIENT_SCAN_MS 10000

/* The statistics windows are sampled every 10 s (Java's StatsItem);
 * RMQ_TEST_STATS_SAMPLE_MS shortens it for the integration tests. */
#define STATS_SAMPLE_MS 10000

static guint
stats_sample_ms(void)
{
    const gchar *v = g_getenv("RMQ_TEST_STATS_SAMPLE_MS");
    gint64 ms = v != NULL ? g_ascii_strtoll(v, NULL, 10) : 0;
    return ms > 0 ? (guint) ms : STATS_SAMPLE_MS;
}

static gint64
client_expire_ms(void)
{
    const gchar *v = g_getenv("RMQ_TEST_CLIENT_EXPIRE_MS");
    gint64 ms = v != NULL ? g_ascii_strtoll(v, NULL, 10) : 0;
    return ms > 0 ? ms : CLIENT_EXPIRE_MS;
}

/* ---- helpers shared by the processors ---- */

#define RMQ_BROKER_REMARK_MAX 1024

RmqCommand *
rmq_broker_response_borrow(const RmqCommand *request, gint32 code, const gchar *remark)
{
    /* No remark echoes a request's megabytes (a topic or group name, say). */
    if (remark == NULL || strlen(remark) <= RMQ_BROKER_REMARK_MAX)
        return rmq_command_new_response(request, code, remark);
    g_autofree gchar *cut = rmq_abbrev(remark, RMQ_BROKER_REMARK_MAX);
    return rmq_command_new_response(request, code, cut);
}

RmqCommand *
rmq_broker_response_take(const RmqCommand *request, gint32 code, gchar *remark)
{
    RmqCommand *r = rmq_broker_response_borrow(request, code, remark);
    g_free(remark);
    return r;
}

void
rmq_broker_reply(RmqConnection *conn, RmqCommand *request, RmqCommand *response)
{
    rmq_connection_send_response(conn, request, response);
    rmq_command_free(request);
}

void
rmq_broker_reply_take(RmqConnection *conn, RmqCommand *request, gint32 code, gchar *remark)
{
    rmq_broker_reply(conn, request, rmq_broker_response_take(request, code, remark));
}

void
rmq_broker_reply_borrow(RmqConnection *conn, RmqCommand *request, gint32 code,
                        const gchar *remark)
{
    rmq_broker_reply(conn, request, rmq_broker_response_borrow(request, code, remark));
}

void
rmq_broker_count_put(RmqBroker *b, RmqPutStatus status, const RmqPutResult *r, gint64 start_us)
{
    gint64 elapsed_ms = (g_get_monotonic_time() - start_us) / 1000;
    /* Java's PutMessageResult.isOk(): stored, whatever the flush or slave says */
    gboolean stored = status == RMQ_PUT_OK || status == RMQ_PUT_FLUSH_DISK_TIMEOUT ||
                      status == RMQ_PUT_FLUSH_SLAVE_TIMEOUT || status == RMQ_PUT_SLAVE_NOT_AVAILABLE;
    if (!stored) {
        rmq_store_stats_put(b->stats.store, 0, 0, elapsed_ms);
        rmq_store_stats_put_failed(b->stats.store);
        return;
    }
    rmq_store_stats_put(b->stats.store, (guint64) MAX(r->msg_num, 1), (guint64) MAX(r->wrote_bytes, 0),
                        elapsed_ms);
}

void
rmq_broker_count_get(RmqBroker *b, const RmqGetResult *r, gint64 start_us)
{
    gint64 elapsed_ms = (g_get_monotonic_time() - start_us) / 1000;
    rmq_store_stats_get(b->stats.store, r->status == RMQ_GET_FOUND ? r->msg_count : 0, elapsed_ms);
}

/* The client's host without its port: a reconnecting client is the same client. */
static gchar *
peer_host(RmqConnection *conn)
{
    const gchar *peer = rmq_connection_get_peer(conn);
    const gchar *colon = peer != NULL ? strrchr(peer, ':') : NULL;
    return colon != NULL ? g_strndup(peer, (gsize) (colon - peer)) : g_strdup(peer ? peer : "?");
}

void
rmq_broker_note_refusal(RmqBroker *b, RmqConnection *conn, const RmqCommand *request, gint32 code,
                        const gchar *remark, gboolean logged_elsewhere)
{
    if (b->refused == NULL) {
        b->refused = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
        b->refusal_log = rmq_rate_limit_new(1, 60 * G_USEC_PER_SEC, 4096);
    }
    guint64 *n = g_hash_table_lookup(b->refused, GINT_TO_POINTER(code));
    if (n == NULL) {
        n = g_new0(guint64, 1);
        g_hash_table_insert(b->refused, GINT_TO_POINTER(code), n);
    }
    (*n)++;
    if (logged_elsewhere)
        return;
    g_autofree gchar *host = peer_host(conn);
    g_autofree gchar *key = g_strdup_printf("%s/%d/%d", host, code, request->code);
    guint64 earlier = 0;
    if (!rmq_rate_limit_allow(b->refusal_log, key, g_get_monotonic_time(), &earlier))
        return;
    const gchar *req_name = rmq_request_code_name(request->code);
    const gchar *resp_name = rmq_response_code_name(code);
    g_autofree gchar *cut = rmq_abbrev(remark, RMQ_ABBREV_DEFAULT);
    g_autofree gchar *more =
        earlier > 0 ? g_strdup_printf(" (%" G_GUINT64_FORMAT " more in the last minute)", earlier)
                    : NULL;
    g_message("refused request %d%s%s%s from %s: %s%s%s%s", request->code,
              req_name != NULL ? " (" : "", req_name != NULL ? req_name : "",
              req_name != NULL ? ")" : "", host, resp_name != NULL ? resp_name : "",
              cut != NULL ? ", " : "", cut != NULL ? cut : "", more != NULL ? more : "");
}

void
rmq_broker_refusals_to_runtime_info(RmqBroker *b, JsonBuilder *jb)
{
    if (b->refused == NULL)
        return;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, b->refused);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const gchar *name = rmq_response_code_name(GPOINTER_TO_INT(k));
        g_autofree gchar *member = name != NULL
                                       ? g_strconcat("refusedRequests_", name, NULL)
                                       : g_strdup_printf("refusedRequests_%d", GPOINTER_TO_INT(k));
        g_autofree gchar *value = g_strdup_printf("%" G_GUINT64_FORMAT, *(guint64 *) v);
        json_builder_set_member_name(jb, member);
        json_builder_add_string_value(jb, value);
    }
}

gchar *
rmq_broker_missing_field(const RmqCommand *request, const gchar *const *names)
{
    for (guint i = 0; names[i] != NULL; i++)
        if (rmq_command_get_ext(request, names[i]) == NULL)
            return g_strdup_printf("the custom field <%s> is null", names[i]);
    return NULL;
}

gboolean
rmq_broker_require_fields(RmqConnection *conn, RmqCommand *request, const gchar *const *names)
{
    gchar *missing = rmq_broker_missing_field(request, names);
    if (missing == NULL)
        return TRUE;
    rmq_broker_reply_take(conn, request, RMQ_RESPONSE_SYSTEM_ERROR, missing);
    return FALSE;
}

const gchar *
rmq_broker_require_ext(RmqConnection *conn, RmqCommand *request, const gchar *name)
{
    const gchar *const names[] = { name, NULL };
    if (!rmq_broker_require_fields(conn, request, names))
        return NULL;
    return rmq_command_get_ext(request, name);
}

gboolean
rmq_broker_text_blank(const gchar *text)
{
    for (const gchar *c = text; c != NULL && *c != '\0'; c++)
        if (!g_ascii_isspace(*c))
            return FALSE;
    return TRUE;
}

gboolean
rmq_broker_is_vip(RmqBroker *b, RmqConnection *conn)
{
    const gchar *local = rmq_connection_get_local(conn);
    const gchar *colon = local != NULL ? strrchr(local, ':') : NULL;
    return colon != NULL && g_ascii_strtoll(colon + 1, NULL, 10) == b->vip_port;
}

static gboolean
parse_host(const gchar *hostport, RmqHostAddr *out)
{
    memset(out, 0, sizeof *out);
    out->addr_len = 4;
    if (hostport == NULL)
        return FALSE;
    const gchar *colon = strrchr(hostport, ':');
    if (colon == NULL)
        return FALSE;
    /* on the stack: every send parses its connection's peer address */
    gchar host[INET6_ADDRSTRLEN + 3];
    gsize hlen = (gsize) (colon - hostport);
    out->port = (gint32) g_ascii_strtoll(colon + 1, NULL, 10);
    if (hlen >= sizeof host)
        return FALSE; /* longer than any address inet_pton reads */
    memcpy(host, hostport, hlen);
    host[hlen] = '\0';
    if (host[0] == '[') {
        gsize n = strlen(host);
        if (n > 2 && host[n - 1] == ']') {
            memmove(host, host + 1, n - 2);
            host[n - 2] = '\0';
        }
    }
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1) {
        memcpy(out->addr, &a4, 4);
        return TRUE;
    }
    struct in6_addr a6;
    if (inet_pton(AF_INET6, host, &a6) == 1) {
        memcpy(out->addr, &a6, 16);
        out->addr_len = 16;
        return TRUE;
    }
    return FALSE;
}

void
rmq_broker_peer_host(RmqConnection *conn, RmqHostAddr *out)
{
    /* the connection keeps its peer's bytes from accept: no text parsed */
    guint16 port;
    memset(out->addr, 0, sizeof out->addr);
    if (rmq_connection_get_peer_addr(conn, out->addr, &out->addr_len, &port)) {
        out->port = port;
        return;
    }
    parse_host(rmq_connection_get_peer(conn), out); /* a connection made without an address */
}

void
rmq_broker_message_from_record(RmqBroker *b, const RmqMessageRecord *rec, const gchar *topic,
                               gint32 queue_id, const GString *props, RmqMessage *out)
{
    *out = (RmqMessage){ 0 };
    out->topic = topic;
    out->queue_id = queue_id;
    out->flag = rec->flag;
    out->sys_flag = rec->sys_flag & ~(RMQ_SYSFLAG_BORNHOST_V6 | RMQ_SYSFLAG_STOREHOST_V6);
    out->born_timestamp = rec->born_timestamp;
    out->born_host = rec->born_host;
    out->store_host = b->store_host;
    out->reconsume_times = rec->reconsume_times;
    out->body = rec->body;
    out->body_len = (gsize) rec->body_len;
    out->properties = props->str;
    out->properties_len = props->len;
}

void
rmq_broker_stored_arrived(RmqBroker *b, const gchar *topic, gint32 queue_id, gint64 queue_offset,
                          const GString *props)
{
    const char *tv;
    gsize tvlen;
    gint64 code = rmq_message_property_get(props->str, props->len, RMQ_PROPERTY_TAGS, &tv, &tvlen)
                      ? rmq_message_tag_code(tv, tvlen)
                      : 0;
    rmq_broker_message_arrived(b, topic, queue_id, queue_offset + 1, code, TRUE);
}

/* ---- persistence ---- */

static void
save_or_warn(gboolean ok, GError *error, const gchar *what)
{
    if (!ok) {
        g_warning("cannot save %s: %s", what, error != NULL ? error->message : "?");
        g_clear_error(&error);
    }
}

void
rmq_broker_save_topics(RmqBroker *b)
{
    GError *e = NULL;
    save_or_warn(rmq_topic_table_save_file(b->topics, b->topics_path, &e), e, b->topics_path);
}

void
rmq_broker_save_groups(RmqBroker *b)
{
    GError *e = NULL;
    save_or_warn(rmq_subscription_group_table_save_file(b->groups, b->groups_path, &e), e,
                 b->groups_path);
}

void
rmq_broker_save_offsets(RmqBroker *b)
{
    GError *e = NULL;
    b->offsets_dirty = FALSE;
    save_or_warn(rmq_consumer_offsets_save_file(b->offsets, b->offsets_path, &e), e,
                 b->offsets_path);
}

void
rmq_broker_save_delay_offsets(RmqBroker *b)
{
    GError *e = NULL;
    b->delay_dirty = FALSE;
    save_or_warn(rmq_delay_offsets_save_file(b->delay_offsets, b->delay_path, &e), e,
                 b->delay_path);
}

/* ---- replication ---- */

/* A slave persists what it copied from its master (docs/protocol.md §12.4). */
static void
on_slave_synced(RmqSlaveSyncWhat what, gpointer data)
{
    RmqBroker *b = data;

    switch (what) {
    case RMQ_SLAVE_SYNC_TOPICS:
        rmq_broker_save_topics(b);
        break;
    case RMQ_SLAVE_SYNC_CONSUMER_OFFSETS:
        rmq_broker_save_offsets(b);
        break;
    case RMQ_SLAVE_SYNC_DELAY_OFFSETS:
        rmq_broker_save_delay_offsets(b);
        break;
    case RMQ_SLAVE_SYNC_SUBSCRIPTION_GROUPS:
        rmq_broker_save_groups(b);
        break;
    }
}

/* The name server names our master (docs/protocol.md §8.2 step 5). */
static void
on_register_reply(const gchar *master_addr, const gchar *ha_server_addr, gpointer data)
{
    RmqBroker *b = data;

    if (b->ha != NULL)
        rmq_ha_service_register_reply(b->ha, master_addr, ha_server_addr);
}

/* The slave's requests to its master, signed as accessKey (plain ACL):
 * Java 4.9's slave never signs, so its master must white-list it. */
static void
sign_sync_request(RmqCommand *request, gpointer data)
{
    RmqBroker *b = data;
    rmq_acl_sign_request(request, b->settings.access_key, b->sign_secret, NULL);
}

static RmqHaService *
start_ha(RmqBroker *b, GError **error)
{
    const RmqBrokerSettings *s = &b->settings;
    RmqHaServiceConfig hc;
    RmqSlaveSyncTables tables = { b->topics, b->offsets, b->delay_offsets, b->groups };

    rmq_ha_service_config_init(&hc);
    /* role and the tunables come from the key table (its HA() landings);
     * the strings are borrowed, so they are set here */
    rmq_config_fill(b->config, RMQ_CONFIG_LAND_HA, &hc, FALSE);
    hc.bind_address = s->bind_address;
    hc.ha_listen_port = (guint16) s->ha_listen_port;
    hc.ha_master_address = s->ha_master_address;
    hc.own_address = b->broker_addr;
    if (b->sign_secret != NULL) {
        hc.sync_request_hook = sign_sync_request;
        hc.sync_request_hook_data = b;
    }
    return rmq_ha_service_new(&hc, b->store, &tables, on_slave_synced, b, NULL, error);
}

static GBytes *
register_body(gpointer data)
{
    RmqBroker *b = data;
    return rmq_topic_table_register_body(b->topics, b->settings.broker_permission, NULL);
}

void
rmq_broker_topic_created(RmqBroker *b)
{
    rmq_broker_save_topics(b);
    if (b->namesrv != NULL)
        rmq_namesrv_link_register(b->namesrv, NULL, FALSE, TRUE);
}

const RmqSubscriptionGroup *
rmq_broker_find_group(RmqBroker *b, const gchar *group)
{
    gboolean created = FALSE;
    const RmqSubscriptionGroup *g = rmq_subscription_group_table_find_or_create(
        b->groups, group, b->settings.auto_create_subscription_group, &created);
    if (created)
        rmq_broker_save_groups(b);
    return g;
}

void
rmq_broker_message_arrived(RmqBroker *b, const gchar *topic, gint32 queue_id, gint64 max_offset,
                           gint64 tag_code, gboolean tag_known)
{
    rmq_long_poll_notify(b->long_poll, topic, queue_id, max_offset, tag_code, tag_known);
    /* retry, delayed and committed messages reach the slaves as soon as sends */
    if (b->ha != NULL)
        rmq_ha_service_notify_appended(b->ha);
}

/* ---- wiring ---- */

static void
on_consumers_changed(const gchar *group, gpointer data)
{
    RmqBroker *b = data;
    if (!b->settings.notify_consumer_ids_changed_enable)
        return;
    const RmqSubscriptionGroup *g = rmq_subscription_group_table_lookup(b->groups, group);
    if (g != NULL && !g->notify_consumer_ids_changed_enable)
        return;
    RmqConsumerGroup *cg = rmq_client_registry_consumer_group(b->clients, group);
    if (cg == NULL)
        return;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, cg->channels);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        RmqClientChannel *ch = v;
        RmqCommand *n = rmq_command_new_request(RMQ_REQUEST_NOTIFY_CONSUMER_IDS_CHANGED);
        rmq_command_set_ext(n, "consumerGroup", group);
        rmq_connection_send_oneway(ch->conn, n);
    }
}

static void
on_conn_close(RmqConnection *conn, gpointer data)
{
    RmqBroker *b = data;
    rmq_client_registry_channel_closed(b->clients, conn);
}

static void
on_long_poll_wake(RmqConnection *conn, const RmqCommand *request, gpointer data)
{
    RmqBroker *b = data;
    RmqCommand *resp = rmq_broker_pull_execute(b, conn, request, FALSE);
    if (resp != NULL)
        rmq_connection_send_response(conn, request, resp);
}

static gint64
long_poll_max_offset(const gchar *topic, gint32 queue_id, gpointer data)
{
    RmqBroker *b = data;
    return rmq_store_get_max_offset(b->store, topic, queue_id);
}

static gboolean
on_offsets_timer(gpointer data)
{
    RmqBroker *b = data;
    if (b->offsets_dirty)
        rmq_broker_save_offsets(b);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_delay_timer(gpointer data)
{
    RmqBroker *b = data;
    if (b->delay_dirty)
        rmq_broker_save_delay_offsets(b);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_clean_timer(gpointer data)
{
    RmqBroker *b = data;
    /* The store runs the periodic clean on its own timer (rmq_store_open with
     * the loop's context); this one only adds the manual rounds that
     * DELETE_EXPIRED_COMMITLOG asked for. Running both made every round
     * delete twice the files Java's CleanCommitLogService would. */
    if (b->manual_delete_rounds == 0)
        return G_SOURCE_CONTINUE;
    b->manual_delete_rounds--;
    rmq_store_clean_expired(b->store, TRUE);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_client_scan(gpointer data)
{
    RmqBroker *b = data;
    guint n = rmq_client_registry_scan_expired(b->clients, 0, client_expire_ms());
    if (n > 0)
        g_message("closed %u client channels without a heartbeat for %" G_GINT64_FORMAT " ms", n,
                  client_expire_ms());
    return G_SOURCE_CONTINUE;
}

/* The next local midnight after @now_ms (BrokerController schedules
 * BrokerStats.record at each one). */
static gint64
next_midnight_ms(gint64 now_ms)
{
    g_autoptr(GDateTime) now = g_date_time_new_from_unix_local(now_ms / 1000);
    g_autoptr(GDateTime) today =
        g_date_time_new_local(g_date_time_get_year(now), g_date_time_get_month(now),
                              g_date_time_get_day_of_month(now), 0, 0, 0);
    g_autoptr(GDateTime) next = g_date_time_add_days(today, 1);
    return g_date_time_to_unix(next) * 1000;
}

/* Once a second, as Java's StoreStatsService: a sample of the counters; each
 * minute the put-time distribution turns; each midnight the morning totals.
 * Samples are stamped with the monotonic clock (Java's with the wall clock):
 * a rate divides by the time between two samples, which a wall-clock step
 * would stretch (+2 h: putTps near 0 for 10 min) or make negative. */
static gboolean
on_stats_timer(gpointer data)
{
    RmqBroker *b = data;
    gint64 now_us = g_get_monotonic_time();
    gint64 wall_ms = g_get_real_time() / 1000;
    rmq_store_stats_sample(b->stats.store, now_us / 1000);
    if (now_us - b->stats.minute_start_us >= 60 * G_USEC_PER_SEC) {
        rmq_store_stats_minute(b->stats.store);
        b->stats.minute_start_us = now_us;
    }
    if (wall_ms >= b->stats.next_morning_ms) {
        rmq_store_stats_record_morning(b->stats.store);
        b->stats.next_morning_ms = next_midnight_ms(wall_ms);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean
on_window_timer(gpointer data)
{
    RmqBroker *b = data;
    gint64 now = g_get_monotonic_time() / 1000; /* only differences are used: see above */
    rmq_stats_sample(b->stats_table, RMQ_STATS_MINUTE, now);
    if (b->stats_ticks % 60 == 0)
        rmq_stats_sample(b->stats_table, RMQ_STATS_HOUR, now);
    if (b->stats_ticks % 360 == 0)
        rmq_stats_sample(b->stats_table, RMQ_STATS_DAY, now);
    b->stats_ticks++;
    return G_SOURCE_CONTINUE;
}

static gboolean
load_tables(RmqBroker *b, GError **error)
{
    const RmqBrokerSettings *s = &b->settings;
    RmqTopicTableOptions o;
    rmq_topic_table_options_init(&o);
    o.cluster_name = s->cluster_name;
    o.broker_name = s->broker_name;
    o.auto_create_topic_enable = s->auto_create_topic_enable;
    o.default_topic_queue_nums = s->default_topic_queue_nums;
    o.cluster_topic_enable = s->cluster_topic_enable;
    o.broker_topic_enable = s->broker_topic_enable;
    o.trace_topic_enable = s->trace_topic_enable;
    if (s->msg_trace_topic_name != NULL)
        o.msg_trace_topic_name = s->msg_trace_topic_name;
    b->topics = rmq_topic_table_new(&o);
    b->groups = rmq_subscription_group_table_new();
    b->offsets = rmq_consumer_offsets_new();
    b->delay_offsets = rmq_delay_offsets_new();

    b->config_dir = g_build_filename(s->store_path_root_dir, "config", NULL);
    if (g_mkdir_with_parents(b->config_dir, 0755) != 0) {
        g_set_error(error, RMQ_BROKER_ERROR, RMQ_BROKER_ERROR_FAILED, "cannot create %s: %s",
                    b->config_dir, g_strerror(errno));
        return FALSE;
    }
    b->topics_path = g_build_filename(b->config_dir, "topics.json", NULL);
    b->groups_path = g_build_filename(b->config_dir, "subscriptionGroup.json", NULL);
    b->offsets_path = g_build_filename(b->config_dir, "consumerOffset.json", NULL);
    b->delay_path = g_build_filename(b->config_dir, "delayOffset.json", NULL);
    if (!rmq_topic_table_load_file(b->topics, b->topics_path, error) ||
        !rmq_subscription_group_table_load_file(b->groups, b->groups_path, error) ||
        !rmq_consumer_offsets_load_file(b->offsets, b->offsets_path, error) ||
        !rmq_delay_offsets_load_file(b->delay_offsets, b->delay_path, error))
        return FALSE;
    /* With auto-creation off the loaded file may still carry TBW102 from an
     * earlier run; a broker without auto-create must not inherit from it. */
    if (!s->auto_create_topic_enable)
        rmq_topic_table_delete(b->topics, RMQ_TOPIC_AUTO_CREATE_KEY);
    return TRUE;
}

/* ---- what is bound and what is advertised ---------------------------- */

static gboolean
is_wildcard(const gchar *bind_address)
{
    return bind_address == NULL || *bind_address == '\0' || strcmp(bind_address, "0.0.0.0") == 0 ||
           strcmp(bind_address, "::") == 0;
}

/* An address of this host: one a socket can bind to. */
static gboolean
is_local_address(GInetAddress *ia)
{
    g_autoptr(GSocket) sock = g_socket_new(g_inet_address_get_family(ia), G_SOCKET_TYPE_DATAGRAM,
                                           G_SOCKET_PROTOCOL_UDP, NULL);
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(ia, 0);
    return sock != NULL && g_socket_bind(sock, sa, FALSE, NULL);
}

/* Would a client that dials @host reach a socket bound to @bind_address? */
static gboolean
advertised_is_bound(const gchar *bind_address, const gchar *host)
{
    g_autoptr(GInetAddress) ia = g_inet_address_new_from_string(host);
    if (ia == NULL)
        return FALSE;
    if (is_wildcard(bind_address))
        return is_local_address(ia);
    g_autoptr(GInetAddress) bound = g_inet_address_new_from_string(bind_address);
    return bound != NULL && g_inet_address_equal(ia, bound);
}

/* One line for the sockets really bound, one for what the name servers are
 * told, and a warning when clients would be sent somewhere nothing listens. */
static void
log_addresses(RmqBroker *b, const gchar *ha_addr)
{
    const RmqBrokerSettings *s = &b->settings;
    const gchar *on = !is_wildcard(s->bind_address)            ? s->bind_address
                      : g_strcmp0(s->bind_address, "::") == 0 ? "::"
                                                              : "0.0.0.0";
    g_autofree gchar *vip = b->vip_port > 0 ? g_strdup_printf(", %s:%d (VIP)", on, b->vip_port)
                                            : g_strdup("");
    g_message("broker %s (cluster %s) listening on %s:%u (clients)%s, %s:%u (HA), store %s%s",
              s->broker_name, s->cluster_name, on, rmq_server_get_port(b->server), vip, on,
              rmq_ha_service_get_port(b->ha), s->store_path_root_dir,
              rmq_store_was_abnormal(b->store) ? " (recovered after a crash)" : "");
    g_message("advertised to name servers as %s (brokerIP1), HA %s", b->broker_addr, ha_addr);
    if (advertised_is_bound(s->bind_address, s->broker_ip1))
        return;
    if (is_wildcard(s->bind_address))
        g_warning("brokerIP1 %s is not an address of this host (bound to %s): clients and slaves "
                  "sent to %s reach the broker only if that address forwards here",
                  s->broker_ip1, on, b->broker_addr);
    else
        g_warning("brokerIP1 %s is not an address the broker listens on (bindAddress %s): "
                  "clients and slaves sent to %s will not reach it; set brokerIP1 to the bound "
                  "address or leave it out",
                  s->broker_ip1, on, b->broker_addr);
}

RmqBroker *
rmq_broker_new(const RmqConfig *config, GError **error)
{
    g_autoptr(RmqBroker) b = g_new0(RmqBroker, 1);
    b->stats_table = rmq_stats_table_new();
    b->config = rmq_config_copy(config);
    rmq_broker_settings_from_config(&b->settings, config);
    rmq_broker_send_region_load(b);
    const RmqBrokerSettings *s = &b->settings;
    b->stats.boot_ms = g_get_real_time() / 1000;
    b->stats.store = rmq_store_stats_new(b->stats.boot_ms);
    b->stats.minute_start_us = g_get_monotonic_time();
    b->stats.next_morning_ms = next_midnight_ms(b->stats.boot_ms);
    b->vip_port = s->listen_port - 2;
    b->broker_addr = g_strdup_printf("%s:%d", s->broker_ip1, s->listen_port);
    parse_host(b->broker_addr, &b->store_host);
    b->mq_locks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, rmq_broker_mq_lock_free);

    /* a broken or missing plain_acl.yml stops the start (exit 78) before the store opens */
    if (s->acl_enable) {
        b->acl = rmq_broker_acl_new(s->plain_acl_file, error);
        if (b->acl == NULL)
            return NULL;
    }
    /* the account the slave's metadata sync signs with (exit 78 when unreadable) */
    if (s->access_key != NULL && *s->access_key != '\0') {
        g_autoptr(GError) local = NULL;
        b->sign_secret = rmq_secret_file_read(s->secret_key_file, &local);
        if (b->sign_secret == NULL) {
            g_set_error(error, RMQ_CONFIG_ERROR, RMQ_CONFIG_ERROR_INVALID, "secretKeyFile %s",
                        local->message);
            return NULL;
        }
    }
    if (!load_tables(b, error))
        return NULL;
    RmqStoreConfig sc;
    rmq_store_config_init(&sc);
    rmq_config_fill(config, RMQ_CONFIG_LAND_STORE, &sc, FALSE);
    /* flush completions and retention as entries of the loop's poller, not GSources */
    b->store = rmq_store_open_full(&sc, g_main_context_default(), rmq_fd_poller_default_hooks(),
                                   error);
    rmq_store_config_clear(&sc);
    if (b->store == NULL)
        return NULL;
    b->acks_held = g_ptr_array_new();
    rmq_store_set_flush_round_hooks(b->store, rmq_broker_ack_round_begin,
                                    rmq_broker_ack_round_end, b);

    b->clients = rmq_client_registry_new(on_consumers_changed, b);
    b->long_poll = rmq_long_poll_new(on_long_poll_wake, long_poll_max_offset, b,
                                     s->long_polling_enable ? 5000 : 1000);
    /* TLS (docs/architecture.md, "TLS"): a broken file stops the broker here */
    g_autoptr(RmqTlsContext) tls_server = rmq_tls_server_from_settings(&s->tls, error);
    if (tls_server == NULL && s->tls.server_mode != RMQ_TLS_MODE_DISABLED)
        return NULL;
    g_autoptr(RmqTlsContext) tls_client = rmq_tls_client_from_settings(&s->tls, error);
    if (tls_client == NULL && s->tls.enable)
        return NULL;
    b->server = rmq_server_new("broker");
    rmq_server_set_tls(b->server, tls_server);
    rmq_server_set_idle_timeout(b->server, (guint) s->server_channel_max_idle_time_seconds);
    rmq_server_set_frame_timeout(b->server, (guint) s->server_frame_timeout_seconds);
    rmq_server_set_write_limits(b->server, (gsize) s->flow.write_buffer_max_bytes,
                                (guint) s->flow.write_stall_timeout_ms);
    rmq_server_set_connection_callbacks(b->server, NULL, on_conn_close, b);
    rmq_broker_commands_register(b);
    /* errors name the key and the port: "listenPort 10911: cannot listen on ..." */
    if (!rmq_server_listen(b->server, s->bind_address, (guint16) s->listen_port, error)) {
        g_prefix_error(error, "listenPort %d: ", s->listen_port);
        return NULL;
    }
    if (b->vip_port > 0 &&
        !rmq_server_listen(b->server, s->bind_address, (guint16) b->vip_port, error)) {
        g_prefix_error(error, "VIP channel port %d (listenPort - 2): ", b->vip_port);
        return NULL;
    }
    if (tls_server != NULL)
        g_message("TLS %s on ports %d and %d (the HA port %d stays plain, as in Java)",
                  rmq_tls_mode_name(rmq_tls_context_get_mode(tls_server)), s->listen_port,
                  b->vip_port, s->ha_listen_port);
    b->ha = start_ha(b, error);
    if (b->ha == NULL)
        return NULL;
    rmq_ha_service_set_tls(b->ha, tls_client);

    /* A slave writes nothing of its own (docs/protocol.md §12.4): its commit log is the
     * master's, byte for byte. */
    if (!s->slave) {
        b->schedule = rmq_schedule_service_new(b, error);
        if (b->schedule == NULL)
            return NULL;
        b->trans_check = rmq_transaction_check_new(b, (guint) MAX(s->transaction_check_interval, 100));
    }

    g_autofree gchar *ha = g_strdup_printf("%s:%d", s->broker_ip2, s->ha_listen_port);
    RmqNamesrvLinkInfo info = {
        .cluster_name = s->cluster_name,
        .broker_name = s->broker_name,
        .broker_addr = b->broker_addr,
        .ha_addr = ha,
        .broker_id = s->broker_id,
        .timeout_ms = (guint) s->register_broker_timeout_mills,
    };
    b->namesrv = rmq_namesrv_link_new(&info, s->namesrv_addr, register_body, b);
    rmq_namesrv_link_set_tls(b->namesrv, tls_client);
    rmq_namesrv_link_set_reply_func(b->namesrv, on_register_reply, b);
    guint ok = rmq_namesrv_link_register(b->namesrv, NULL, TRUE, FALSE);
    if (rmq_namesrv_link_count(b->namesrv) > 0)
        g_message("registered with %u of %u name servers", ok, rmq_namesrv_link_count(b->namesrv));
    rmq_namesrv_link_start_periodic(b->namesrv, (guint) s->register_name_server_period);

    b->offsets_timer = rmq_timeout_add((guint) MAX(s->flush_consumer_offset_interval, 100),
                                     on_offsets_timer, b);
    b->delay_timer = rmq_timeout_add((guint) MAX(s->flush_delay_offset_interval, 100),
                                   on_delay_timer, b);
    b->clean_timer = rmq_timeout_add((guint) MAX(s->clean_resource_interval, 1000), on_clean_timer, b);
    b->stats_timer = rmq_timeout_add(1000, on_stats_timer, b);
    b->window_timer = rmq_timeout_add(stats_sample_ms(), on_window_timer, b);
    b->client_timer = rmq_timeout_add((guint) MIN(CLIENT_SCAN_MS, client_expire_ms() / 2 + 1),
                                    on_client_scan, b);
    log_addresses(b, ha);
    return g_steal_pointer(&b);
}

static void
after_unregister(gpointer data)
{
    RmqBroker *b = data;
    if (b->on_stopped != NULL)
        b->on_stopped(b->on_stopped_data);
}

void
rmq_broker_stop(RmqBroker *b, void (*done)(gpointer data), gpointer data)
{
    b->stopping = TRUE;
    b->on_stopped = done;
    b->on_stopped_data = data;
    rmq_server_stop_accepting(b->server);
    g_clear_pointer(&b->schedule, rmq_schedule_service_free);
    g_clear_pointer(&b->trans_check, rmq_transaction_check_free);
    /* Parked pulls are answered now (normally PULL_NOT_FOUND). */
    rmq_long_poll_wake_all(b->long_poll);
    rmq_broker_save_offsets(b);
    rmq_broker_save_delay_offsets(b);
    rmq_broker_save_topics(b);
    rmq_broker_save_groups(b);
    rmq_store_wait_flushed(b->store, rmq_store_get_max_phy_offset(b->store), 3000);
    rmq_namesrv_link_unregister(b->namesrv, after_unregister, b);
}

void
rmq_broker_free(RmqBroker *b)
{
    if (b == NULL)
        return;
    g_clear_handle_id(&b->offsets_timer, rmq_timeout_remove);
    g_clear_handle_id(&b->delay_timer, rmq_timeout_remove);
    g_clear_handle_id(&b->clean_timer, rmq_timeout_remove);
    g_clear_handle_id(&b->stats_timer, rmq_timeout_remove);
    g_clear_handle_id(&b->window_timer, rmq_timeout_remove);
    g_clear_handle_id(&b->client_timer, rmq_timeout_remove);
    g_clear_pointer(&b->schedule, rmq_schedule_service_free);
    g_clear_pointer(&b->trans_check, rmq_transaction_check_free);
    g_clear_pointer(&b->namesrv, rmq_namesrv_link_free);
    if (b->server != NULL)
        rmq_server_set_connection_callbacks(b->server, NULL, NULL, NULL);
    /* Parked pulls hold connection refs: drop them before the server. */
    if (b->long_poll != NULL && b->store != NULL)
        rmq_long_poll_wake_all(b->long_poll);
    g_clear_pointer(&b->server, rmq_server_free);
    rmq_broker_flow_control_clear(b);
    g_clear_pointer(&b->flow, rmq_flow_control_free);
    g_clear_pointer(&b->flow_log, rmq_rate_limit_free);
    g_clear_pointer(&b->acl_commands, g_free);
    g_clear_pointer(&b->acl, rmq_broker_acl_free);
    if (b->sign_secret != NULL)
        memset(b->sign_secret, 0, strlen(b->sign_secret));
    g_clear_pointer(&b->sign_secret, g_free);
    g_clear_pointer(&b->long_poll, rmq_long_poll_free);
    g_clear_pointer(&b->clients, rmq_client_registry_free);
    g_clear_pointer(&b->stats_table, rmq_stats_table_free);
    g_clear_pointer(&b->stats.store, rmq_store_stats_free);
    g_clear_pointer(&b->refused, g_hash_table_unref);
    g_clear_pointer(&b->refusal_log, rmq_rate_limit_free);
    g_clear_pointer(&b->ha, rmq_ha_service_free);
    g_clear_pointer(&b->store, rmq_store_close);
    g_clear_pointer(&b->acks_held, g_ptr_array_unref); /* empty outside a round */
    g_clear_pointer(&b->topics, rmq_topic_table_free);
    g_clear_pointer(&b->groups, rmq_subscription_group_table_free);
    g_clear_pointer(&b->offsets, rmq_consumer_offsets_free);
    g_clear_pointer(&b->delay_offsets, rmq_delay_offsets_free);
    g_clear_pointer(&b->mq_locks, g_hash_table_destroy);
    g_clear_pointer(&b->filter_cache, g_hash_table_destroy);
    g_free(b->broker_addr);
    g_free(b->config_dir);
    g_free(b->topics_path);
    g_free(b->groups_path);
    g_free(b->offsets_path);
    g_free(b->delay_path);
    rmq_broker_settings_clear(&b->settings);
    g_clear_pointer(&b->config, rmq_config_free);
    g_free(b);
}

/* A timer re-armed with a new period when the period changed. */
static void
rearm(guint *id, gint old_ms, gint new_ms, gint floor_ms, GSourceFunc fn, RmqBroker *b)
{
    if (old_ms == new_ms || *id == 0)
        return;
    g_clear_handle_id(id, rmq_timeout_remove);
    *id = rmq_timeout_add((guint) MAX(new_ms, floor_ms), fn, b);
}

void
rmq_broker_reconfigure(RmqBroker *b, const RmqConfig *config)
{
    g_return_if_fail(b != NULL && config != NULL);

    RmqBrokerSettings *s = &b->settings;
    const RmqBrokerSettings old = *s; /* scalars only: strings may be freed below */
    rmq_config_fill(config, RMQ_CONFIG_LAND_BROKER, s, TRUE);
    rmq_broker_send_region_load(b); /* the old regionId may be freed */

    /* read where they are used: permission, limits, switches, timeouts.
     * Those taken once at start are applied here. */
    if (s->server_channel_max_idle_time_seconds != old.server_channel_max_idle_time_seconds)
        rmq_server_set_idle_timeout(b->server, (guint) s->server_channel_max_idle_time_seconds);
    if (s->server_frame_timeout_seconds != old.server_frame_timeout_seconds)
        rmq_server_set_frame_timeout(b->server, (guint) s->server_frame_timeout_seconds);
    rearm(&b->offsets_timer, old.flush_consumer_offset_interval, s->flush_consumer_offset_interval,
          100, on_offsets_timer, b);
    rearm(&b->delay_timer, old.flush_delay_offset_interval, s->flush_delay_offset_interval, 100,
          on_delay_timer, b);
    rearm(&b->clean_timer, old.clean_resource_interval, s->clean_resource_interval, 1000,
          on_clean_timer, b);
    if (s->transaction_check_interval != old.transaction_check_interval && b->trans_check != NULL) {
        rmq_transaction_check_free(b->trans_check);
        b->trans_check = rmq_transaction_check_new(b, (guint) MAX(s->transaction_check_interval, 100));
    }
    if (s->register_broker_timeout_mills != old.register_broker_timeout_mills)
        rmq_namesrv_link_set_timeout(b->namesrv, (guint) s->register_broker_timeout_mills);
    if (s->register_name_server_period != old.register_name_server_period)
        rmq_namesrv_link_start_periodic(b->namesrv, (guint) s->register_name_server_period);

    RmqStoreConfig sc;
    rmq_store_config_copy(&sc, rmq_store_get_config(b->store));
    rmq_config_fill(config, RMQ_CONFIG_LAND_STORE, &sc, TRUE);
    rmq_store_reconfigure(b->store, &sc);
    rmq_store_config_clear(&sc);

    if (b->ha != NULL) {
        RmqHaServiceConfig hc = *rmq_ha_service_get_config(b->ha);
        rmq_config_fill(config, RMQ_CONFIG_LAND_HA, &hc, TRUE);
        rmq_ha_service_reconfigure(b->ha, &hc);
    }

    RmqConfig *copy = rmq_config_copy(config);
    rmq_config_free(b->config);
    b->config = copy;

    /* the register body carries the permission: tell the name servers */
    if (s->broker_permission != old.broker_permission && b->namesrv != NULL)
        rmq_namesrv_link_register(b->namesrv, NULL, FALSE, FALSE);
}

gchar *
rmq_broker_config_properties(RmqBroker *b)
{
    gconstpointer landings[RMQ_CONFIG_LAND_N] = { NULL };
    landings[RMQ_CONFIG_LAND_BROKER] = &b->settings;
    landings[RMQ_CONFIG_LAND_STORE] = rmq_store_get_config(b->store);
    landings[RMQ_CONFIG_LAND_HA] = b->ha != NULL ? rmq_ha_service_get_config(b->ha) : NULL;
    return rmq_broker_settings_to_properties(b->config, landings);
}

gchar *
rmq_broker_status(RmqBroker *b)
{
    g_autofree gchar *ha = b->ha != NULL ? rmq_ha_service_status(b->ha) : NULL;
    g_autofree gchar *space = b->store != NULL ? rmq_store_space_problem(b->store) : NULL;
    gdouble put_tps = 0, get_tps = 0;
    rmq_store_stats_tps(b->stats.store, RMQ_STORE_STATS_PUT, 10, &put_tps);
    rmq_store_stats_tps(b->stats.store, RMQ_STORE_STATS_TRANSFERRED, 10, &get_tps);
    return g_strdup_printf("%s%s%u topics, %u connections, put %.1f/s, get %.1f/s%s%s",
                           space != NULL ? space : "", space != NULL ? "; " : "",
                           rmq_topic_table_size(b->topics), rmq_server_get_connection_count(b->server),
                           put_tps, get_tps, ha != NULL ? "; HA: " : "",
                           ha != NULL ? ha : "");
}
