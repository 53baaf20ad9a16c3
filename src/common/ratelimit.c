#include <config.h>

#include "common/ratelimit.h"

#include <string.h>

#define OVERFLOW_KEY ""

typedef struct {
    gint64 window_start;
    guint count;          /* events in the current window */
    guint64 suppressed;   /* refused since the last allowed event */
} Bucket;

struct _RmqRateLimit {
    guint burst;
    gint64 interval_us;
    guint max_keys;
    GHashTable *buckets; /* key -> Bucket */
};

RmqRateLimit *
rmq_rate_limit_new(guint burst, gint64 interval_us, guint max_keys)
{
    g_return_val_if_fail(burst > 0 && interval_us > 0 && max_keys > 0, NULL);
    RmqRateLimit *rl = g_new0(RmqRateLimit, 1);
    rl->burst = burst;
    rl->interval_us = interval_us;
    rl->max_keys = max_keys;
    rl->buckets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return rl;
}

void
rmq_rate_limit_free(RmqRateLimit *rl)
{
    if (rl == NULL)
        return;
    g_hash_table_destroy(rl->buckets);
    g_free(rl);
}

/* Drop buckets whose window is over and that owe no summary. */
static void
expire(RmqRateLimit *rl, gint64 now_us)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, rl->buckets);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        Bucket *b = value;
        if (now_us - b->window_start >= rl->interval_us && b->suppressed == 0)
            g_hash_table_iter_remove(&it);
    }
}

static Bucket *
bucket_for(RmqRateLimit *rl, const gchar *key, gint64 now_us)
{
    if (key == NULL)
        key = OVERFLOW_KEY;
    Bucket *b = g_hash_table_lookup(rl->buckets, key);
    if (b != NULL)
        return b;
    /* One slot stays for the overflow key. */
    guint own = rl->max_keys - 1 + (g_hash_table_contains(rl->buckets, OVERFLOW_KEY) ? 1 : 0);
    if (g_hash_table_size(rl->buckets) >= own) {
        expire(rl, now_us);
        own = rl->max_keys - 1 + (g_hash_table_contains(rl->buckets, OVERFLOW_KEY) ? 1 : 0);
        /* Still full: share the overflow key. */
        if (g_hash_table_size(rl->buckets) >= own)
            key = OVERFLOW_KEY;
        b = g_hash_table_lookup(rl->buckets, key);
        if (b != NULL)
            return b;
    }
    b = g_new0(Bucket, 1);
    b->window_start = now_us;
    g_hash_table_insert(rl->buckets, g_strdup(key), b);
    return b;
}

gboolean
rmq_rate_limit_allow(RmqRateLimit *rl, const gchar *key, gint64 now_us, guint64 *suppressed)
{
    g_return_val_if_fail(rl != NULL, FALSE);
    Bucket *b = bucket_for(rl, key, now_us);
    if (now_us - b->window_start >= rl->interval_us) {
        b->window_start = now_us;
        b->count = 0;
    }
    if (b->count >= rl->burst) {
        b->suppressed++;
        return FALSE;
    }
    b->count++;
    if (suppressed != NULL)
        *suppressed = b->suppressed;
    b->suppressed = 0;
    return TRUE;
}

guint
rmq_rate_limit_key_count(const RmqRateLimit *rl)
{
    g_return_val_if_fail(rl != NULL, 0);
    return g_hash_table_size(rl->buckets);
}

gchar *
rmq_abbrev(const gchar *text, gsize max)
{
    if (text == NULL)
        return NULL;
    gsize len = strlen(text);
    if (len <= max)
        return g_strndup(text, len);
    gsize cut = max;
    /* Back off over UTF-8 continuation bytes so the cut never splits a character. */
    while (cut > 0 && ((guchar) text[cut] & 0xC0) == 0x80)
        cut--;
    return g_strdup_printf("%.*s... (%" G_GSIZE_FORMAT " bytes)", (int) cut, text, len);
}
