/* Statistics windows (see stats.h). */
#include <config.h>

#include "broker/stats.h"

#include <string.h>

typedef struct {
    gint64 ts;
    gint64 value;
    gint64 times;
} Sample;

/* Samples kept per window: Java's csListMinute/Hour (7) and csListDay (25). */
static const guint window_len[] = { 7, 7, 25 };

struct _RmqStatsItem {
    gint64 value;
    gint64 times;
    GQueue samples[3]; /* of Sample*, oldest first */
};
typedef RmqStatsItem Item;

/* Recently added items: three per send (topic nums and size, cluster nums)
 * and two per pull would otherwise each build and hash "name\nkey". Items
 * are never removed, so a cached pointer stays valid; an entry is only a
 * hint, found again by comparing both strings. */
#define CACHE_SLOTS 16
#define CACHE_NAME_MAX 24
#define CACHE_KEY_MAX 104

typedef struct {
    Item *item; /* NULL = empty */
    gchar name[CACHE_NAME_MAX];
    gchar key[CACHE_KEY_MAX];
} CacheEntry;

struct _RmqStatsTable {
    GHashTable *items; /* "name\nkey" -> Item */
    CacheEntry cache[CACHE_SLOTS];
};

static void
item_free(gpointer p)
{
    Item *it = p;
    for (guint w = 0; w < 3; w++)
        g_queue_clear_full(&it->samples[w], g_free);
    g_free(it);
}

RmqStatsTable *
rmq_stats_table_new(void)
{
    RmqStatsTable *t = g_new0(RmqStatsTable, 1);
    t->items = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, item_free);
    return t;
}

void
rmq_stats_table_free(RmqStatsTable *t)
{
    if (t == NULL)
        return;
    g_hash_table_unref(t->items);
    g_free(t);
}

static gchar *
item_key(const gchar *name, const gchar *key)
{
    return g_strconcat(name, "\n", key, NULL);
}

/* The item of (@name, @key), created on first use; NULL with no table. */
static Item *
item_find(RmqStatsTable *t, const gchar *name, const gchar *key)
{
    gsize nlen = strlen(name), klen = strlen(key);
    CacheEntry *ce = NULL;
    if (nlen < CACHE_NAME_MAX && klen < CACHE_KEY_MAX) {
        guint slot = (guint) (((guintptr) name >> 3) ^ (klen * 7) ^ ((guchar) key[0] * 31) ^
                              (klen > 0 ? (guchar) key[klen - 1] : 0)) % CACHE_SLOTS;
        ce = &t->cache[slot];
        if (ce->item != NULL && memcmp(ce->name, name, nlen + 1) == 0 &&
            memcmp(ce->key, key, klen + 1) == 0)
            return ce->item;
    }
    /* on every send and pull: no allocation for the lookup of a short key */
    gchar buf[256];
    gchar *k = nlen + klen + 2 <= sizeof buf ? buf : g_malloc(nlen + klen + 2);
    memcpy(k, name, nlen);
    k[nlen] = '\n';
    memcpy(k + nlen + 1, key, klen + 1);
    Item *it = g_hash_table_lookup(t->items, k);
    if (it == NULL) {
        it = g_new0(Item, 1);
        for (guint w = 0; w < 3; w++)
            g_queue_init(&it->samples[w]);
        g_hash_table_insert(t->items, g_strdup(k), it);
    }
    if (k != buf)
        g_free(k);
    if (ce != NULL) {
        memcpy(ce->name, name, nlen + 1);
        memcpy(ce->key, key, klen + 1);
        ce->item = it;
    }
    return it;
}

void
rmq_stats_add(RmqStatsTable *t, const gchar *name, const gchar *key, gint64 value)
{
    if (t != NULL)
        rmq_stats_item_add(item_find(t, name, key), value);
}

RmqStatsItem *
rmq_stats_item(RmqStatsTable *t, const gchar *name, const gchar *key)
{
    return t != NULL ? item_find(t, name, key) : NULL;
}

void
rmq_stats_item_add(RmqStatsItem *item, gint64 value)
{
    if (item == NULL)
        return;
    item->value += value;
    item->times++;
}

void
rmq_stats_sample(RmqStatsTable *t, RmqStatsWindow window, gint64 now_ms)
{
    if (t == NULL)
        return;
    GHashTableIter iter;
    gpointer v;
    g_hash_table_iter_init(&iter, t->items);
    while (g_hash_table_iter_next(&iter, NULL, &v)) {
        Item *it = v;
        Sample *s = g_new(Sample, 1);
        s->ts = now_ms;
        s->value = it->value;
        s->times = it->times;
        g_queue_push_tail(&it->samples[window], s);
        while (g_queue_get_length(&it->samples[window]) > window_len[window])
            g_free(g_queue_pop_head(&it->samples[window]));
    }
}

gboolean
rmq_stats_get(RmqStatsTable *t, const gchar *name, const gchar *key, RmqStatsWindow window,
              RmqStatsSnapshot *out)
{
    memset(out, 0, sizeof *out);
    if (t == NULL)
        return FALSE;
    g_autofree gchar *k = item_key(name, key);
    Item *it = g_hash_table_lookup(t->items, k);
    if (it == NULL)
        return FALSE;
    const Sample *first = g_queue_peek_head(&it->samples[window]);
    const Sample *last = g_queue_peek_tail(&it->samples[window]);
    if (first == NULL || last == first || last->ts <= first->ts)
        return TRUE;
    out->sum = last->value - first->value;
    out->tps = (gdouble) out->sum * 1000.0 / (gdouble) (last->ts - first->ts);
    gint64 calls = last->times - first->times;
    if (calls > 0)
        out->avgpt = (gdouble) out->sum / (gdouble) calls;
    return TRUE;
}
