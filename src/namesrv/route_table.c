#include <config.h>

#include "namesrv/route_table.h"

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

/* The four tables of docs/protocol.md §8.1 plus reverse indexes, so that no operation on one
 * broker walks the whole table: a channel close, an unregister or an expiry
 * touches only that broker's addresses, topics and clusters, and a change
 * drops from the route cache only the topics whose route it can alter. */
struct _RmqRouteTable {
    GHashTable *topic_queue;  /* topic -> (broker name -> QueueData) */
    GHashTable *broker_addr;  /* broker name -> BrokerData */
    GHashTable *cluster_addr; /* cluster -> set of broker names */
    GHashTable *live;         /* broker addr -> LiveInfo */
    GHashTable *route_cache;  /* topic -> GBytes, entries dropped when their route changes */
    /* indexes */
    GHashTable *broker_topics; /* broker name -> set of topics whose map has it */
    GHashTable *addr_names;    /* broker addr -> set of broker names listing it */
    GHashTable *name_clusters; /* broker name -> set of clusters listing it */
    GHashTable *channel_addrs; /* channel -> set of live addrs registered on it */
    guint64 work;              /* entries visited, for the structure tests */
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
rmq_register_result_clear(RmqRegisterResult *r)
{
    g_clear_pointer(&r->master_addr, g_free);
    g_clear_pointer(&r->ha_server_addr, g_free);
    r->first_registration = FALSE;
}

void
rmq_broker_removal_free(RmqBrokerRemoval *r)
{
    if (r == NULL)
        return;
    g_free(r->cluster_name);
    g_free(r->broker_name);
    g_free(r->broker_addr);
    g_free(r);
}

static GHashTable *
str_set_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static GHashTable *
str_index_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                 (GDestroyNotify) g_hash_table_unref);
}

RmqRouteTable *
rmq_route_table_new(void)
{
    RmqRouteTable *t = g_new0(RmqRouteTable, 1);
    t->topic_queue = str_index_new();
    t->broker_addr = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) broker_data_free);
    t->cluster_addr = str_index_new();
    t->live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) live_info_free);
    t->route_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_bytes_unref);
    t->broker_topics = str_index_new();
    t->addr_names = str_index_new();
    t->name_clusters = str_index_new();
    t->channel_addrs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                             (GDestroyNotify) g_hash_table_unref);
    return t;
}

void
rmq_route_table_free(RmqRouteTable *t)
{
    if (t == NULL)
        return;
    g_hash_table_unref(t->topic_queue);
    g_hash_table_unref(t->broker_addr);
    g_hash_table_unref(t->cluster_addr);
    g_hash_table_unref(t->live);
    g_hash_table_unref(t->route_cache);
    g_hash_table_unref(t->broker_topics);
    g_hash_table_unref(t->addr_names);
    g_hash_table_unref(t->name_clusters);
    g_hash_table_unref(t->channel_addrs);
    g_free(t);
}

guint64
rmq_route_table_work(RmqRouteTable *t)
{
    return t->work;
}

/* @index maps a key to a set of strings; keys of string indexes are copied. */
static void
index_add(GHashTable *index, gconstpointer key, gboolean dup_key, const gchar *member)
{
    GHashTable *set = g_hash_table_lookup(index, key);
    if (set == NULL) {
        set = str_set_new();
        g_hash_table_insert(index, dup_key ? g_strdup(key) : (gpointer) key, set);
    }
    if (!g_hash_table_contains(set, member))
        g_hash_table_add(set, g_strdup(member));
}

static void
index_remove(GHashTable *index, gconstpointer key, const gchar *member)
{
    GHashTable *set = g_hash_table_lookup(index, key);
    if (set != NULL && g_hash_table_remove(set, member) && g_hash_table_size(set) == 0)
        g_hash_table_remove(index, key);
}

/* The members of @key's set, copied (the set may change meanwhile). */
static GPtrArray *
index_members(RmqRouteTable *t, GHashTable *index, gconstpointer key)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GHashTable *set = g_hash_table_lookup(index, key);
    if (set == NULL)
        return out;
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, set);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        t->work++;
        g_ptr_array_add(out, g_strdup(k));
    }
    return out;
}

/* ---- route cache: drop only what a change can alter ---- */

static void
invalidate_topic(RmqRouteTable *t, const gchar *topic)
{
    g_hash_table_remove(t->route_cache, topic);
}

/* @invalidate each name in the index set @set (NULL: none), a unit of work
 * each. */
static void
invalidate_each(RmqRouteTable *t, GHashTable *set,
                void (*invalidate)(RmqRouteTable *t, const gchar *name))
{
    if (set == NULL)
        return;
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, set);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        t->work++;
        invalidate(t, k);
    }
}

/* A BrokerData changed: every topic with queues on @broker_name. */
static void
invalidate_broker(RmqRouteTable *t, const gchar *broker_name)
{
    if (g_hash_table_size(t->route_cache) == 0)
        return;
    invalidate_each(t, g_hash_table_lookup(t->broker_topics, broker_name), invalidate_topic);
}

/* A LiveInfo's filter servers changed: the brokers listing @addr. */
static void
invalidate_addr(RmqRouteTable *t, const gchar *addr)
{
    invalidate_each(t, g_hash_table_lookup(t->addr_names, addr), invalidate_broker);
}

/* ---- index-keeping edits ---- */

static gboolean
broker_data_has_addr(RmqRouteTable *t, BrokerData *bd, const gchar *addr)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, bd->addrs);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        t->work++;
        if (strcmp(v, addr) == 0)
            return TRUE;
    }
    return FALSE;
}

/* After an address left @bd->addrs under some id. */
static void
addr_left_broker(RmqRouteTable *t, BrokerData *bd, const gchar *addr)
{
    if (!broker_data_has_addr(t, bd, addr))
        index_remove(t->addr_names, addr, bd->broker_name);
    invalidate_broker(t, bd->broker_name);
}

static void
live_set_channel(RmqRouteTable *t, const gchar *addr, LiveInfo *li, gpointer channel)
{
    if (li->channel == channel)
        return;
    if (li->channel != NULL)
        index_remove(t->channel_addrs, li->channel, addr);
    li->channel = channel;
    if (channel != NULL)
        index_add(t->channel_addrs, channel, FALSE, addr);
}

/* Drop @addr's LiveInfo; its channel (may be NULL) goes to *channel. */
static gboolean
live_remove(RmqRouteTable *t, const gchar *addr, gpointer *channel)
{
    LiveInfo *li = g_hash_table_lookup(t->live, addr);
    if (li == NULL)
        return FALSE;
    *channel = li->channel;
    if (li->channel != NULL)
        index_remove(t->channel_addrs, li->channel, addr);
    if (li->filter_servers != NULL)
        invalidate_addr(t, addr);
    g_hash_table_remove(t->live, addr);
    return TRUE;
}

static GHashTable *
new_queue_map(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) queue_data_free);
}

/* Create or replace topic's QueueData for a broker; TRUE if it changed. */
static gboolean
upsert_queue_data(RmqRouteTable *t, const gchar *broker_name, const RmqTopicConfig *tc)
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
    index_add(t->broker_topics, broker_name, TRUE, tc->topic_name);
    invalidate_topic(t, tc->topic_name);
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
rmq_route_table_register(RmqRouteTable *t, const RmqBrokerIdentity *id,
                         const RmqRegisterBody *body, gint64 now_ms, RmqRegisterResult *result)
{
    g_return_if_fail(id->cluster_name != NULL && id->broker_name != NULL &&
                     id->broker_addr != NULL);
    memset(result, 0, sizeof *result);

    /* 1. cluster -> broker name (not part of any route) */
    GHashTable *names = g_hash_table_lookup(t->cluster_addr, id->cluster_name);
    if (names == NULL || !g_hash_table_contains(names, id->broker_name)) {
        index_add(t->cluster_addr, id->cluster_name, TRUE, id->broker_name);
        index_add(t->name_clusters, id->broker_name, TRUE, id->cluster_name);
    }

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
        invalidate_broker(t, id->broker_name);
    }
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, bd->addrs);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        t->work++;
        if (*(gint64 *) k != id->broker_id && strcmp(v, id->broker_addr) == 0) {
            g_hash_table_iter_remove(&it);
            invalidate_broker(t, id->broker_name);
        }
    }
    const gchar *old_addr = g_hash_table_lookup(bd->addrs, &id->broker_id);
    if (old_addr == NULL || strcmp(old_addr, id->broker_addr) != 0) {
        register_first = register_first || old_addr == NULL;
        g_autofree gchar *replaced = g_strdup(old_addr);
        gint64 *key = g_new(gint64, 1);
        *key = id->broker_id;
        g_hash_table_replace(bd->addrs, key, g_strdup(id->broker_addr));
        if (replaced != NULL)
            addr_left_broker(t, bd, replaced);
        invalidate_broker(t, id->broker_name);
    }
    index_add(t->addr_names, id->broker_addr, TRUE, id->broker_name);

    /* 3. the master's topics, only when its DataVersion moved */
    RmqDataVersion dv = { 0, 0 };
    if (body != NULL)
        dv = body->data_version;
    LiveInfo *li = g_hash_table_lookup(t->live, id->broker_addr);
    if (body != NULL && id->broker_id == RMQ_MASTER_ID) {
        gboolean dv_changed = li == NULL || !rmq_data_version_equal(&li->data_version, &dv);
        if (dv_changed || register_first) {
            for (guint i = 0; i < body->topics->len; i++) {
                t->work++;
                upsert_queue_data(t, id->broker_name, g_ptr_array_index(body->topics, i));
            }
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
    live_set_channel(t, id->broker_addr, li, id->channel);
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
        invalidate_addr(t, id->broker_addr);
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
}

/* Drop @broker_name's QueueData from its topics; empty topics vanish. */
static void
remove_topics_of_broker(RmqRouteTable *t, const gchar *broker_name)
{
    GHashTable *set = NULL;
    gpointer key = NULL;
    if (!g_hash_table_steal_extended(t->broker_topics, broker_name, &key, (gpointer *) &set))
        return;
    GHashTableIter it;
    gpointer topic;
    g_hash_table_iter_init(&it, set);
    while (g_hash_table_iter_next(&it, &topic, NULL)) {
        t->work++;
        GHashTable *map = g_hash_table_lookup(t->topic_queue, topic);
        if (map == NULL)
            continue;
        g_hash_table_remove(map, broker_name);
        if (g_hash_table_size(map) == 0)
            g_hash_table_remove(t->topic_queue, topic);
        invalidate_topic(t, topic);
    }
    g_free(key);
    g_hash_table_unref(set);
}

/* Remove @broker_name from @cluster's set (or from every set if NULL). */
static void
remove_from_clusters(RmqRouteTable *t, const gchar *cluster, const gchar *broker_name)
{
    g_autoptr(GPtrArray) clusters = NULL;
    if (cluster != NULL) {
        clusters = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(clusters, g_strdup(cluster));
    } else {
        clusters = index_members(t, t->name_clusters, broker_name);
    }
    for (guint i = 0; i < clusters->len; i++) {
        const gchar *c = g_ptr_array_index(clusters, i);
        index_remove(t->cluster_addr, c, broker_name);
        index_remove(t->name_clusters, broker_name, c);
    }
}

/* @bd lost its last address: it leaves the tables with its topics. */
static void
drop_broker_data(RmqRouteTable *t, BrokerData *bd, const gchar *cluster)
{
    g_autofree gchar *name = g_strdup(bd->broker_name);
    invalidate_broker(t, name);
    g_hash_table_remove(t->broker_addr, name);
    remove_from_clusters(t, cluster, name);
    remove_topics_of_broker(t, name);
}

/* Clean-up for a dead address (docs/protocol.md §8.3), shared by expiry and channel close:
 * only the brokers that list it are visited. */
static RmqBrokerRemoval *
remove_addr(RmqRouteTable *t, const gchar *addr)
{
    RmqBrokerRemoval *r = g_new0(RmqBrokerRemoval, 1);
    r->broker_addr = g_strdup(addr);
    r->broker_id = -1;
    live_remove(t, addr, &r->channel);

    g_autoptr(GPtrArray) names = index_members(t, t->addr_names, addr);
    g_hash_table_remove(t->addr_names, addr);
    for (guint i = 0; i < names->len; i++) {
        BrokerData *bd = g_hash_table_lookup(t->broker_addr, g_ptr_array_index(names, i));
        if (bd == NULL)
            continue;
        GHashTableIter ai;
        gpointer ak, av;
        gboolean hit = FALSE;
        g_hash_table_iter_init(&ai, bd->addrs);
        while (g_hash_table_iter_next(&ai, &ak, &av)) {
            t->work++;
            if (strcmp(av, addr) == 0) {
                r->broker_id = *(gint64 *) ak;
                g_hash_table_iter_remove(&ai);
                hit = TRUE;
            }
        }
        if (!hit)
            continue;
        invalidate_broker(t, bd->broker_name);
        if (r->broker_name == NULL) {
            r->broker_name = g_strdup(bd->broker_name);
            r->cluster_name = g_strdup(bd->cluster);
        }
        if (g_hash_table_size(bd->addrs) == 0) {
            drop_broker_data(t, bd, NULL);
            r->broker_name_removed = TRUE;
        }
    }
    return r;
}

RmqBrokerRemoval *
rmq_route_table_unregister(RmqRouteTable *t, const RmqBrokerIdentity *id)
{
    gboolean known = FALSE;
    RmqBrokerRemoval *r = g_new0(RmqBrokerRemoval, 1);
    r->broker_addr = g_strdup(id->broker_addr);
    r->broker_id = id->broker_id;
    r->broker_name = g_strdup(id->broker_name);
    r->cluster_name = g_strdup(id->cluster_name);
    if (id->broker_addr != NULL)
        known = live_remove(t, id->broker_addr, &r->channel);
    BrokerData *bd = id->broker_name != NULL ? g_hash_table_lookup(t->broker_addr, id->broker_name)
                                             : NULL;
    if (bd != NULL) {
        g_autofree gchar *addr = g_strdup(g_hash_table_lookup(bd->addrs, &id->broker_id));
        if (addr != NULL) {
            g_hash_table_remove(bd->addrs, &id->broker_id);
            addr_left_broker(t, bd, addr);
            known = TRUE;
        }
        if (g_hash_table_size(bd->addrs) == 0) {
            drop_broker_data(t, bd, id->cluster_name);
            r->broker_name_removed = TRUE;
            known = TRUE;
        }
    }
    if (!known) {
        rmq_broker_removal_free(r);
        return NULL;
    }
    return r;
}

GPtrArray *
rmq_route_table_channel_closed(RmqRouteTable *t, gpointer channel)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_broker_removal_free);
    if (channel == NULL)
        return out;
    g_autoptr(GPtrArray) dead = index_members(t, t->channel_addrs, channel);
    for (guint i = 0; i < dead->len; i++)
        g_ptr_array_add(out, remove_addr(t, g_ptr_array_index(dead, i)));
    return out;
}

GPtrArray *
rmq_route_table_scan_expired(RmqRouteTable *t, gint64 now_ms, gint64 expire_ms)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_broker_removal_free);
    g_autoptr(GPtrArray) dead = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, t->live);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        t->work++;
        if (((LiveInfo *) v)->last_update + expire_ms < now_ms)
            g_ptr_array_add(dead, g_strdup(k));
    }
    for (guint i = 0; i < dead->len; i++)
        g_ptr_array_add(out, remove_addr(t, g_ptr_array_index(dead, i)));
    return out;
}

gboolean
rmq_route_table_query_data_version(RmqRouteTable *t, const gchar *broker_addr,
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
build_route(RmqRouteTable *t, const gchar *topic, const gchar *order_topic_conf)
{
    GHashTable *map = g_hash_table_lookup(t->topic_queue, topic);
    if (map == NULL || g_hash_table_size(map) == 0)
        return NULL;
    g_autoptr(GPtrArray) names = sorted_keys(map);
    g_autoptr(GPtrArray) brokers = g_ptr_array_new();
    for (guint i = 0; i < names->len; i++) {
        t->work++;
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
rmq_route_table_get_route(RmqRouteTable *t, const gchar *topic, const gchar *order_topic_conf)
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
rmq_route_table_get_cluster_info(RmqRouteTable *t)
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
rmq_route_table_get_all_topics(RmqRouteTable *t)
{
    return topic_list(t->topic_queue, NULL);
}

GBytes *
rmq_route_table_get_topics_by_cluster(RmqRouteTable *t, const gchar *cluster)
{
    g_autoptr(GHashTable) set = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTable *names = cluster != NULL ? g_hash_table_lookup(t->cluster_addr, cluster) : NULL;
    if (names != NULL) {
        GHashTableIter bi;
        gpointer bn;
        g_hash_table_iter_init(&bi, names);
        while (g_hash_table_iter_next(&bi, &bn, NULL)) {
            GHashTable *topics = g_hash_table_lookup(t->broker_topics, bn);
            if (topics == NULL)
                continue;
            GHashTableIter ti;
            gpointer topic;
            g_hash_table_iter_init(&ti, topics);
            while (g_hash_table_iter_next(&ti, &topic, NULL)) {
                t->work++;
                g_hash_table_add(set, topic);
            }
        }
    }
    return topic_list(set, NULL);
}

GBytes *
rmq_route_table_get_system_topics(RmqRouteTable *t)
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
rmq_route_table_get_unit_topics(RmqRouteTable *t, RmqRouteUnitFilter which)
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
rmq_route_table_delete_topic(RmqRouteTable *t, const gchar *topic, const gchar *cluster)
{
    gboolean removed = FALSE;
    GHashTable *map = g_hash_table_lookup(t->topic_queue, topic);
    if (map == NULL)
        return FALSE;
    if (cluster == NULL || cluster[0] == '\0') {
        GHashTableIter qi;
        gpointer bn;
        g_hash_table_iter_init(&qi, map);
        while (g_hash_table_iter_next(&qi, &bn, NULL)) {
            t->work++;
            index_remove(t->broker_topics, bn, topic);
        }
        removed = g_hash_table_remove(t->topic_queue, topic);
    } else {
        GHashTable *names = g_hash_table_lookup(t->cluster_addr, cluster);
        if (names != NULL) {
            GHashTableIter bi;
            gpointer bn;
            g_hash_table_iter_init(&bi, names);
            while (g_hash_table_iter_next(&bi, &bn, NULL)) {
                t->work++;
                if (g_hash_table_remove(map, bn)) {
                    index_remove(t->broker_topics, bn, topic);
                    removed = TRUE;
                }
            }
            if (g_hash_table_size(map) == 0)
                g_hash_table_remove(t->topic_queue, topic);
        }
    }
    if (removed)
        invalidate_topic(t, topic);
    return removed;
}

static gint
operate_write_perm(RmqRouteTable *t, const gchar *broker_name, gboolean wipe)
{
    gint count = 0;
    GHashTable *topics = g_hash_table_lookup(t->broker_topics, broker_name);
    if (topics == NULL)
        return 0;
    GHashTableIter it;
    gpointer topic;
    g_hash_table_iter_init(&it, topics);
    while (g_hash_table_iter_next(&it, &topic, NULL)) {
        t->work++;
        GHashTable *map = g_hash_table_lookup(t->topic_queue, topic);
        QueueData *qd = map != NULL ? g_hash_table_lookup(map, broker_name) : NULL;
        if (qd == NULL)
            continue;
        qd->perm = wipe ? (qd->perm & ~RMQ_PERM_WRITE) : (RMQ_PERM_READ | RMQ_PERM_WRITE);
        invalidate_topic(t, topic);
        count++;
    }
    return count;
}

gint
rmq_route_table_wipe_write_perm(RmqRouteTable *t, const gchar *broker_name)
{
    return operate_write_perm(t, broker_name, TRUE);
}

gint
rmq_route_table_add_write_perm(RmqRouteTable *t, const gchar *broker_name)
{
    return operate_write_perm(t, broker_name, FALSE);
}

guint
rmq_route_table_live_broker_count(RmqRouteTable *t)
{
    return g_hash_table_size(t->live);
}

guint
rmq_route_table_topic_count(RmqRouteTable *t)
{
    return g_hash_table_size(t->topic_queue);
}

gboolean
rmq_route_table_is_live(RmqRouteTable *t, const gchar *broker_addr)
{
    return g_hash_table_contains(t->live, broker_addr);
}
