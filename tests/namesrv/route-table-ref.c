/* The route table as it was before the indexes (commit 0bff718), kept only
 * as the reference the tests compare the indexed table against: every
 * operation must give byte-identical answers. Symbols renamed rmq_ -> ref_;
 * never linked into a daemon. Generated with sed from src/namesrv/route_table.c. */
#include <config.h>

#include "route-table-ref.h"

#include <string.h>
#include <json-glib/json-glib.h>

typedef struct {
    gchar *broker_name;
    gint read_queue_nums;
    gint write_queue_nums;
    gint perm;
    gint topic_sys_flag;
} QueueData;

typedef struct {
    gchar *cluster;
    gchar *broker_name;
    GHashTable *addrs; /* gint64 * id -> gchar * "ip:port" */
} BrokerData;

typedef struct {
    gint64 last_update;
    RmqDataVersion data_version;
    gpointer channel;
    gchar *ha_server_addr;
    GPtrArray *filter_servers; /* gchar *, NULL when none */
} LiveInfo;

struct _RefRouteTable {
    GHashTable *topic_queue;  /* topic -> (broker name -> QueueData) */
    GHashTable *broker_addr;  /* broker name -> BrokerData */
    GHashTable *cluster_addr; /* cluster -> set of broker names */
    GHashTable *live;         /* broker addr -> LiveInfo */
    GHashTable *route_cache;  /* topic -> GBytes, cleared on every route change */
};

static void
queue_data_free(QueueData *qd)
{
    g_free(qd->broker_name);
    g_free(qd);
}

static void
broker_data_free(BrokerData *bd)
{
    g_free(bd->cluster);
    g_free(bd->broker_name);
    g_hash_table_unref(bd->addrs);
    g_free(bd);
}

static void
live_info_free(LiveInfo *li)
{
    g_free(li->ha_server_addr);
    if (li->filter_servers != NULL)
        g_ptr_array_unref(li->filter_servers);
    g_free(li);
}

void
ref_register_result_clear(RmqRegisterResult *r)
{
    g_clear_pointer(&r->master_addr, g_free);
    g_clear_pointer(&r->ha_server_addr, g_free);
    r->first_registration = FALSE;
}

void
ref_broker_removal_free(RmqBrokerRemoval *r)
{
    if (r == NULL)
        return;
    g_free(r->cluster_name);
    g_free(r->broker_name);
    g_free(r->broker_addr);
    g_free(r);
}

RefRouteTable *
ref_route_table_new(void)
{
    RefRouteTable *t = g_new0(RefRouteTable, 1);
    t->topic_queue = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_hash_table_unref);
    t->broker_addr = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) broker_data_free);
    t->cluster_addr = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_hash_table_unref);
    t->live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) live_info_free);
    t->route_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_bytes_unref);
    return t;
}

void
ref_route_table_free(RefRouteTable *t)
{
    if (t == NULL)
        return;
    g_hash_table_unref(t->topic_queue);
    g_hash_table_unref(t->broker_addr);
    g_hash_table_unref(t->cluster_addr);
    g_hash_table_unref(t->live);
    g_hash_table_unref(t->route_cache);
    g_free(t);
}

static void
routes_changed(RefRouteTable *t)
{
    g_hash_table_remove_all(t->route_cache);
}

static GHashTable *
new_queue_map(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) queue_data_free);
}

/* Create or replace topic's QueueData for a broker; TRUE if it changed. */
static gboolean
upsert_queue_data(RefRouteTable *t, const gchar *broker_name, const RmqTopicConfig *tc)
{
    GHashTable *map = g_hash_table_lookup(t->topic_queue, tc->topic_name);
    if (map == NULL) {
        map = new_queue_map();
        g_hash_table_insert(t->topic_queue, g_strdup(tc->topic_name), map);
    }
    QueueData *old = g_hash_table_lookup(map, broker_name);
    if (old != NULL && old->read_queue_nums == tc->read_queue_nums &&
        old->write_queue_nums == tc->write_queue_nums && old->perm == tc->perm &&
        old->topic_sys_flag == tc->topic_sys_flag)
        return FALSE;
    QueueData *qd = g_new0(QueueData, 1);
    qd->broker_name = g_strdup(broker_name);
    qd->read_queue_nums = tc->read_queue_nums;
    qd->write_queue_nums = tc->write_queue_nums;
    qd->perm = tc->perm;
    qd->topic_sys_flag = tc->topic_sys_flag;
    /* The map's key is the value's own broker_name, so replace both. */
    g_hash_table_remove(map, broker_name);
    g_hash_table_insert(map, qd->broker_name, qd);
    return TRUE;
}

static gboolean
filter_servers_equal(GPtrArray *a, GPtrArray *b)
{
    guint na = a != NULL ? a->len : 0, nb = b != NULL ? b->len : 0;
    if (na != nb)
        return FALSE;
    for (guint i = 0; i < na; i++)
        if (g_strcmp0(g_ptr_array_index(a, i), g_ptr_array_index(b, i)) != 0)
            return FALSE;
    return TRUE;
}

void
ref_route_table_register(RefRouteTable *t, const RmqBrokerIdentity *id,
                         const RmqRegisterBody *body, gint64 now_ms, RmqRegisterResult *result)
{
    g_return_if_fail(id->cluster_name != NULL && id->broker_name != NULL &&
                     id->broker_addr != NULL);
    gboolean changed = FALSE;
    memset(result, 0, sizeof *result);

    /* 1. cluster -> broker name */
    GHashTable *names = g_hash_table_lookup(t->cluster_addr, id->cluster_name);
    if (names == NULL) {
        names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_hash_table_insert(t->cluster_addr, g_strdup(id->cluster_name), names);
    }
    if (!g_hash_table_contains(names, id->broker_name))
        g_hash_table_add(names, g_strdup(id->broker_name));

    /* 2. broker name -> {id: addr}; an address moves ids on a role switch. */
    gboolean register_first = FALSE;
    BrokerData *bd = g_hash_table_lookup(t->broker_addr, id->broker_name);
    if (bd == NULL) {
        bd = g_new0(BrokerData, 1);
        bd->cluster = g_strdup(id->cluster_name);
        bd->broker_name = g_strdup(id->broker_name);
        bd->addrs = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
        g_hash_table_insert(t->broker_addr, g_strdup(id->broker_name), bd);
        register_first = TRUE;
        changed = TRUE;
    }
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, bd->addrs);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (*(gint64 *) k != id->broker_id && strcmp(v, id->broker_addr) == 0) {
            g_hash_table_iter_remove(&it);
            changed = TRUE;
        }
    }
    const gchar *old_addr = g_hash_table_lookup(bd->addrs, &id->broker_id);
    if (old_addr == NULL || strcmp(old_addr, id->broker_addr) != 0) {
        register_first = register_first || old_addr == NULL;
        gint64 *key = g_new(gint64, 1);
        *key = id->broker_id;
        g_hash_table_replace(bd->addrs, key, g_strdup(id->broker_addr));
        changed = TRUE;
    }

    /* 3. the master's topics, only when its DataVersion moved */
    RmqDataVersion dv = { 0, 0 };
    if (body != NULL)
        dv = body->data_version;
    LiveInfo *li = g_hash_table_lookup(t->live, id->broker_addr);
    if (body != NULL && id->broker_id == RMQ_MASTER_ID) {
        gboolean dv_changed = li == NULL || !rmq_data_version_equal(&li->data_version, &dv);
        if (dv_changed || register_first) {
            for (guint i = 0; i < body->topics->len; i++)
                changed |= upsert_queue_data(t, id->broker_name,
                                             g_ptr_array_index(body->topics, i));
        }
    }

    /* 4. liveness */
    if (li == NULL) {
        li = g_new0(LiveInfo, 1);
        g_hash_table_insert(t->live, g_strdup(id->broker_addr), li);
        result->first_registration = TRUE;
    }
    li->last_update = now_ms;
    li->data_version = dv;
    li->channel = id->channel;
    g_free(li->ha_server_addr);
    li->ha_server_addr = g_strdup(id->ha_server_addr);
    GPtrArray *fs = body != NULL && body->filter_servers->len > 0 ? body->filter_servers : NULL;
    if (!filter_servers_equal(li->filter_servers, fs)) {
        g_clear_pointer(&li->filter_servers, g_ptr_array_unref);
        if (fs != NULL) {
            li->filter_servers = g_ptr_array_new_with_free_func(g_free);
            for (guint i = 0; i < fs->len; i++)
                g_ptr_array_add(li->filter_servers, g_strdup(g_ptr_array_index(fs, i)));
        }
        changed = TRUE;
    }

    /* 5. a slave learns its master's address and HA address */
    if (id->broker_id != RMQ_MASTER_ID) {
        gint64 master = RMQ_MASTER_ID;
        const gchar *master_addr = g_hash_table_lookup(bd->addrs, &master);
        LiveInfo *ml = master_addr != NULL ? g_hash_table_lookup(t->live, master_addr) : NULL;
        if (ml != NULL) {
            result->master_addr = g_strdup(master_addr);
            result->ha_server_addr = g_strdup(ml->ha_server_addr);
        }
    }
    if (changed)
        routes_changed(t);
}

/* Drop @broker_name's QueueData from every topic; empty topics vanish. */
static void
remove_topics_of_broker(RefRouteTable *t, const gchar *broker_name)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->topic_queue);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        g_hash_table_remove(v, broker_name);
        if (g_hash_table_size(v) == 0)
            g_hash_table_iter_remove(&it);
    }
}

/* Remove @broker_name from @cluster's set (or from every set if NULL). */
static gchar *
remove_from_clusters(RefRouteTable *t, const gchar *cluster, const gchar *broker_name)
{
    gchar *found = NULL;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->cluster_addr);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (cluster != NULL && strcmp(k, cluster) != 0)
            continue;
        if (g_hash_table_remove(v, broker_name) && found == NULL)
            found = g_strdup(k);
        if (g_hash_table_size(v) == 0)
            g_hash_table_iter_remove(&it);
    }
    return found;
}

/* Clean-up for a dead address (docs/protocol.md §8.3), shared by expiry and channel close. */
static RmqBrokerRemoval *
remove_addr(RefRouteTable *t, const gchar *addr)
{
    RmqBrokerRemoval *r = g_new0(RmqBrokerRemoval, 1);
    r->broker_addr = g_strdup(addr);
    r->broker_id = -1;
    LiveInfo *li = g_hash_table_lookup(t->live, addr);
    if (li != NULL) {
        r->channel = li->channel;
        g_hash_table_remove(t->live, addr);
    }

    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->broker_addr);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        BrokerData *bd = v;
        GHashTableIter ai;
        gpointer ak, av;
        gboolean hit = FALSE;
        g_hash_table_iter_init(&ai, bd->addrs);
        while (g_hash_table_iter_next(&ai, &ak, &av)) {
            if (strcmp(av, addr) == 0) {
                r->broker_id = *(gint64 *) ak;
                g_hash_table_iter_remove(&ai);
                hit = TRUE;
            }
        }
        if (!hit)
            continue;
        if (r->broker_name == NULL) {
            r->broker_name = g_strdup(bd->broker_name);
            r->cluster_name = g_strdup(bd->cluster);
        }
        if (g_hash_table_size(bd->addrs) == 0) {
            g_autofree gchar *name = g_strdup(bd->broker_name);
            g_hash_table_iter_remove(&it);
            g_free(remove_from_clusters(t, NULL, name));
            remove_topics_of_broker(t, name);
            r->broker_name_removed = TRUE;
        }
    }
    routes_changed(t);
    return r;
}

RmqBrokerRemoval *
ref_route_table_unregister(RefRouteTable *t, const RmqBrokerIdentity *id)
{
    gboolean known = FALSE;
    RmqBrokerRemoval *r = g_new0(RmqBrokerRemoval, 1);
    r->broker_addr = g_strdup(id->broker_addr);
    r->broker_id = id->broker_id;
    r->broker_name = g_strdup(id->broker_name);
    r->cluster_name = g_strdup(id->cluster_name);
    LiveInfo *li = id->broker_addr != NULL ? g_hash_table_lookup(t->live, id->broker_addr) : NULL;
    if (li != NULL) {
        r->channel = li->channel;
        g_hash_table_remove(t->live, id->broker_addr);
        known = TRUE;
    }
    BrokerData *bd = id->broker_name != NULL ? g_hash_table_lookup(t->broker_addr, id->broker_name)
                                             : NULL;
    if (bd != NULL) {
        known |= g_hash_table_remove(bd->addrs, &id->broker_id);
        if (g_hash_table_size(bd->addrs) == 0) {
            g_hash_table_remove(t->broker_addr, id->broker_name);
            g_free(remove_from_clusters(t, id->cluster_name, id->broker_name));
            remove_topics_of_broker(t, id->broker_name);
            r->broker_name_removed = TRUE;
            known = TRUE;
        }
    }
    if (!known) {
        ref_broker_removal_free(r);
        return NULL;
    }
    routes_changed(t);
    return r;
}

GPtrArray *
ref_route_table_channel_closed(RefRouteTable *t, gpointer channel)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) ref_broker_removal_free);
    if (channel == NULL)
        return out;
    g_autoptr(GPtrArray) dead = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->live);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (((LiveInfo *) v)->channel == channel)
            g_ptr_array_add(dead, g_strdup(k));
    for (guint i = 0; i < dead->len; i++)
        g_ptr_array_add(out, remove_addr(t, g_ptr_array_index(dead, i)));
    return out;
}

GPtrArray *
ref_route_table_scan_expired(RefRouteTable *t, gint64 now_ms, gint64 expire_ms)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) ref_broker_removal_free);
    g_autoptr(GPtrArray) dead = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->live);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (((LiveInfo *) v)->last_update + expire_ms < now_ms)
            g_ptr_array_add(dead, g_strdup(k));
    for (guint i = 0; i < dead->len; i++)
        g_ptr_array_add(out, remove_addr(t, g_ptr_array_index(dead, i)));
    return out;
}

gboolean
ref_route_table_query_data_version(RefRouteTable *t, const gchar *broker_addr,
                                   const RmqDataVersion *dv, gint64 now_ms,
                                   RmqDataVersion *stored, gboolean *has_stored)
{
    LiveInfo *li = g_hash_table_lookup(t->live, broker_addr);
    if (has_stored != NULL)
        *has_stored = li != NULL;
    if (li == NULL)
        return TRUE;
    if (stored != NULL)
        *stored = li->data_version;
    if (!rmq_data_version_equal(&li->data_version, dv))
        return TRUE;
    li->last_update = now_ms;
    return FALSE;
}

/* ---- JSON bodies ---- */

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const gchar *const *) a, *(const gchar *const *) b);
}

/* Keys of a string-keyed table, sorted (transfer container). */
static GPtrArray *
sorted_keys(GHashTable *h)
{
    GPtrArray *keys = g_ptr_array_sized_new(g_hash_table_size(h));
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, h);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(keys, k);
    g_ptr_array_sort(keys, cmp_str);
    return keys;
}

static gint
cmp_id(gconstpointer a, gconstpointer b)
{
    gint64 x = **(const gint64 *const *) a, y = **(const gint64 *const *) b;
    return x < y ? -1 : x > y;
}

static GPtrArray *
sorted_ids(BrokerData *bd)
{
    GPtrArray *ids = g_ptr_array_sized_new(g_hash_table_size(bd->addrs));
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, bd->addrs);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(ids, k);
    g_ptr_array_sort(ids, cmp_id);
    return ids;
}

static GBytes *
builder_to_bytes(JsonBuilder *b)
{
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, root);
    gsize n = 0;
    gchar *text = json_generator_to_data(gen, &n);
    return g_bytes_new_take(text, n);
}

/* BrokerData {"brokerAddrs":{"0":"ip:port"},"brokerName","cluster"}. */
static void
add_broker_data(JsonBuilder *b, BrokerData *bd)
{
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "brokerAddrs");
    json_builder_begin_object(b);
    g_autoptr(GPtrArray) ids = sorted_ids(bd);
    for (guint i = 0; i < ids->len; i++) {
        gint64 *id = g_ptr_array_index(ids, i);
        gchar key[24];
        g_snprintf(key, sizeof key, "%" G_GINT64_FORMAT, *id);
        json_builder_set_member_name(b, key);
        json_builder_add_string_value(b, g_hash_table_lookup(bd->addrs, id));
    }
    json_builder_end_object(b);
    json_builder_set_member_name(b, "brokerName");
    json_builder_add_string_value(b, bd->broker_name);
    json_builder_set_member_name(b, "cluster");
    json_builder_add_string_value(b, bd->cluster);
    json_builder_end_object(b);
}

static GBytes *
build_route(RefRouteTable *t, const gchar *topic, const gchar *order_topic_conf)
{
    GHashTable *map = g_hash_table_lookup(t->topic_queue, topic);
    if (map == NULL || g_hash_table_size(map) == 0)
        return NULL;
    g_autoptr(GPtrArray) names = sorted_keys(map);
    g_autoptr(GPtrArray) brokers = g_ptr_array_new();
    for (guint i = 0; i < names->len; i++) {
        BrokerData *bd = g_hash_table_lookup(t->broker_addr, g_ptr_array_index(names, i));
        if (bd != NULL)
            g_ptr_array_add(brokers, bd);
    }
    if (brokers->len == 0)
        return NULL;

    g_autoptr(JsonBuilder) b = json_builder_new_immutable();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "brokerDatas");
    json_builder_begin_array(b);
    for (guint i = 0; i < brokers->len; i++)
        add_broker_data(b, g_ptr_array_index(brokers, i));
    json_builder_end_array(b);

    json_builder_set_member_name(b, "filterServerTable");
    json_builder_begin_object(b);
    for (guint i = 0; i < brokers->len; i++) {
        BrokerData *bd = g_ptr_array_index(brokers, i);
        g_autoptr(GPtrArray) ids = sorted_ids(bd);
        for (guint j = 0; j < ids->len; j++) {
            const gchar *addr = g_hash_table_lookup(bd->addrs, g_ptr_array_index(ids, j));
            LiveInfo *li = g_hash_table_lookup(t->live, addr);
            if (li == NULL || li->filter_servers == NULL)
                continue;
            json_builder_set_member_name(b, addr);
            json_builder_begin_array(b);
            for (guint f = 0; f < li->filter_servers->len; f++)
                json_builder_add_string_value(b, g_ptr_array_index(li->filter_servers, f));
            json_builder_end_array(b);
        }
    }
    json_builder_end_object(b);

    if (order_topic_conf != NULL) {
        json_builder_set_member_name(b, "orderTopicConf");
        json_builder_add_string_value(b, order_topic_conf);
    }

    json_builder_set_member_name(b, "queueDatas");
    json_builder_begin_array(b);
    for (guint i = 0; i < names->len; i++) {
        QueueData *qd = g_hash_table_lookup(map, g_ptr_array_index(names, i));
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "brokerName");
        json_builder_add_string_value(b, qd->broker_name);
        json_builder_set_member_name(b, "perm");
        json_builder_add_int_value(b, qd->perm);
        json_builder_set_member_name(b, "readQueueNums");
        json_builder_add_int_value(b, qd->read_queue_nums);
        json_builder_set_member_name(b, "topicSysFlag");
        json_builder_add_int_value(b, qd->topic_sys_flag);
        json_builder_set_member_name(b, "writeQueueNums");
        json_builder_add_int_value(b, qd->write_queue_nums);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    return builder_to_bytes(b);
}

GBytes *
ref_route_table_get_route(RefRouteTable *t, const gchar *topic, const gchar *order_topic_conf)
{
    g_return_val_if_fail(topic != NULL, NULL);
    if (order_topic_conf != NULL)
        return build_route(t, topic, order_topic_conf);
    GBytes *cached = g_hash_table_lookup(t->route_cache, topic);
    if (cached != NULL)
        return g_bytes_ref(cached);
    GBytes *route = build_route(t, topic, NULL);
    if (route != NULL)
        g_hash_table_insert(t->route_cache, g_strdup(topic), g_bytes_ref(route));
    return route;
}

GBytes *
ref_route_table_get_cluster_info(RefRouteTable *t)
{
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "brokerAddrTable");
    json_builder_begin_object(b);
    g_autoptr(GPtrArray) names = sorted_keys(t->broker_addr);
    for (guint i = 0; i < names->len; i++) {
        json_builder_set_member_name(b, g_ptr_array_index(names, i));
        add_broker_data(b, g_hash_table_lookup(t->broker_addr, g_ptr_array_index(names, i)));
    }
    json_builder_end_object(b);
    json_builder_set_member_name(b, "clusterAddrTable");
    json_builder_begin_object(b);
    g_autoptr(GPtrArray) clusters = sorted_keys(t->cluster_addr);
    for (guint i = 0; i < clusters->len; i++) {
        json_builder_set_member_name(b, g_ptr_array_index(clusters, i));
        json_builder_begin_array(b);
        g_autoptr(GPtrArray) members =
            sorted_keys(g_hash_table_lookup(t->cluster_addr, g_ptr_array_index(clusters, i)));
        for (guint j = 0; j < members->len; j++)
            json_builder_add_string_value(b, g_ptr_array_index(members, j));
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    return builder_to_bytes(b);
}

/* TopicList {"brokerAddr"?, "topicList":[...]} from a set of names. */
static GBytes *
topic_list(GHashTable *set, const gchar *broker_addr)
{
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();
    json_builder_begin_object(b);
    if (broker_addr != NULL) {
        json_builder_set_member_name(b, "brokerAddr");
        json_builder_add_string_value(b, broker_addr);
    }
    json_builder_set_member_name(b, "topicList");
    json_builder_begin_array(b);
    g_autoptr(GPtrArray) names = sorted_keys(set);
    for (guint i = 0; i < names->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(names, i));
    json_builder_end_array(b);
    json_builder_end_object(b);
    return builder_to_bytes(b);
}

GBytes *
ref_route_table_get_all_topics(RefRouteTable *t)
{
    return topic_list(t->topic_queue, NULL);
}

GBytes *
ref_route_table_get_topics_by_cluster(RefRouteTable *t, const gchar *cluster)
{
    g_autoptr(GHashTable) set = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTable *names = cluster != NULL ? g_hash_table_lookup(t->cluster_addr, cluster) : NULL;
    if (names != NULL) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, t->topic_queue);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            GHashTableIter bi;
            gpointer bn;
            g_hash_table_iter_init(&bi, names);
            while (g_hash_table_iter_next(&bi, &bn, NULL)) {
                if (g_hash_table_contains(v, bn)) {
                    g_hash_table_add(set, k);
                    break;
                }
            }
        }
    }
    return topic_list(set, NULL);
}

GBytes *
ref_route_table_get_system_topics(RefRouteTable *t)
{
    g_autoptr(GHashTable) set = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->cluster_addr);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        g_hash_table_add(set, k);
        GHashTableIter bi;
        gpointer bn;
        g_hash_table_iter_init(&bi, v);
        while (g_hash_table_iter_next(&bi, &bn, NULL))
            g_hash_table_add(set, bn);
    }
    /* Java names "some" broker address; take the lowest id of the first name. */
    const gchar *addr = NULL;
    g_autoptr(GPtrArray) names = sorted_keys(t->broker_addr);
    for (guint i = 0; i < names->len && addr == NULL; i++) {
        BrokerData *bd = g_hash_table_lookup(t->broker_addr, g_ptr_array_index(names, i));
        g_autoptr(GPtrArray) ids = sorted_ids(bd);
        if (ids->len > 0)
            addr = g_hash_table_lookup(bd->addrs, g_ptr_array_index(ids, 0));
    }
    return topic_list(set, addr);
}

GBytes *
ref_route_table_get_unit_topics(RefRouteTable *t, RmqRouteUnitFilter which)
{
    g_autoptr(GHashTable) set = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->topic_queue);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        GHashTableIter qi;
        gpointer qv;
        g_hash_table_iter_init(&qi, v);
        while (g_hash_table_iter_next(&qi, NULL, &qv)) {
            gint f = ((QueueData *) qv)->topic_sys_flag;
            gboolean unit = (f & RMQ_TOPIC_SYS_FLAG_UNIT) != 0;
            gboolean sub = (f & RMQ_TOPIC_SYS_FLAG_UNIT_SUB) != 0;
            gboolean hit = which == RMQ_ROUTE_UNIT_TOPICS           ? unit
                           : which == RMQ_ROUTE_HAS_UNIT_SUB_TOPICS ? sub
                                                                    : sub && !unit;
            if (hit) {
                g_hash_table_add(set, k);
                break;
            }
        }
    }
    return topic_list(set, NULL);
}

gboolean
ref_route_table_delete_topic(RefRouteTable *t, const gchar *topic, const gchar *cluster)
{
    gboolean removed = FALSE;
    if (cluster == NULL || cluster[0] == '\0') {
        removed = g_hash_table_remove(t->topic_queue, topic);
    } else {
        GHashTable *names = g_hash_table_lookup(t->cluster_addr, cluster);
        GHashTable *map = g_hash_table_lookup(t->topic_queue, topic);
        if (names != NULL && map != NULL) {
            GHashTableIter bi;
            gpointer bn;
            g_hash_table_iter_init(&bi, names);
            while (g_hash_table_iter_next(&bi, &bn, NULL))
                removed |= g_hash_table_remove(map, bn);
            if (g_hash_table_size(map) == 0)
                g_hash_table_remove(t->topic_queue, topic);
        }
    }
    if (removed)
        routes_changed(t);
    return removed;
}

static gint
operate_write_perm(RefRouteTable *t, const gchar *broker_name, gboolean wipe)
{
    gint count = 0;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, t->topic_queue);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        QueueData *qd = g_hash_table_lookup(v, broker_name);
        if (qd == NULL)
            continue;
        qd->perm = wipe ? (qd->perm & ~RMQ_PERM_WRITE) : (RMQ_PERM_READ | RMQ_PERM_WRITE);
        count++;
    }
    if (count > 0)
        routes_changed(t);
    return count;
}

gint
ref_route_table_wipe_write_perm(RefRouteTable *t, const gchar *broker_name)
{
    return operate_write_perm(t, broker_name, TRUE);
}

gint
ref_route_table_add_write_perm(RefRouteTable *t, const gchar *broker_name)
{
    return operate_write_perm(t, broker_name, FALSE);
}

guint
ref_route_table_live_broker_count(RefRouteTable *t)
{
    return g_hash_table_size(t->live);
}

guint
ref_route_table_topic_count(RefRouteTable *t)
{
    return g_hash_table_size(t->topic_queue);
}

gboolean
ref_route_table_is_live(RefRouteTable *t, const gchar *broker_addr)
{
    return g_hash_table_contains(t->live, broker_addr);
}
