#include <config.h>

#include "store/index_file.h"
#include "store/message_format.h"

#include <stdio.h>
#include <string.h>

static inline gint32
rd32(const guint8 *p)
{
    guint32 v;
    memcpy(&v, p, 4);
    return (gint32) GUINT32_FROM_BE(v);
}

static inline gint64
rd64(const guint8 *p)
{
    guint64 v;
    memcpy(&v, p, 8);
    return (gint64) GUINT64_FROM_BE(v);
}

static inline void
wr32(guint8 *p, gint32 v)
{
    guint32 b = GUINT32_TO_BE((guint32) v);
    memcpy(p, &b, 4);
}

static inline void
wr64(guint8 *p, gint64 v)
{
    guint64 b = GUINT64_TO_BE((guint64) v);
    memcpy(p, &b, 8);
}

gsize
rmq_index_file_size(gint slots, gint max_entries)
{
    return RMQ_INDEX_HEADER_SIZE + (gsize) slots * RMQ_INDEX_SLOT_SIZE +
           (gsize) max_entries * RMQ_INDEX_ENTRY_SIZE;
}

void
rmq_index_file_header(RmqIndexFile *ix, RmqIndexHeader *h)
{
    const guint8 *b = ix->file->base;

    h->begin_timestamp = rd64(b);
    h->end_timestamp = rd64(b + 8);
    h->begin_phy_offset = rd64(b + 16);
    h->end_phy_offset = rd64(b + 24);
    h->hash_slot_count = rd32(b + 32);
    h->index_count = rd32(b + 36);
    if (h->index_count < 1)
        h->index_count = 1;          /* entry #0 is never used */
}

gint32
rmq_index_key_hash(const char *key, gsize len)
{
    gint32 h = rmq_message_java_hash(key, len);
    return h == G_MININT32 ? 0 : ABS(h);
}

static guint8 *
entry_at(RmqIndexFile *ix, gint32 n)
{
    return ix->file->base + RMQ_INDEX_HEADER_SIZE + (gsize) ix->slots * RMQ_INDEX_SLOT_SIZE +
           (gsize) n * RMQ_INDEX_ENTRY_SIZE;
}

gboolean
rmq_index_file_put(RmqIndexFile *ix, const char *key, gsize len, gint64 phy, gint64 ts)
{
    RmqIndexHeader h;
    guint8 *base = ix->file->base;
    gint32 hash = rmq_index_key_hash(key, len);
    guint8 *slot = base + RMQ_INDEX_HEADER_SIZE + (gsize) (hash % ix->slots) * RMQ_INDEX_SLOT_SIZE;
    gint32 prev = rd32(slot);
    gint64 diff;
    guint8 *e;

    rmq_index_file_header(ix, &h);
    if (h.index_count >= ix->max_entries)
        return FALSE;
    if (prev <= 0 || prev > h.index_count)
        prev = 0;
    diff = h.begin_timestamp <= 0 ? 0 : (ts - h.begin_timestamp) / 1000;
    diff = CLAMP(diff, 0, G_MAXINT32);
    e = entry_at(ix, h.index_count);
    wr32(e, hash);
    wr64(e + 4, phy);
    wr32(e + 12, (gint32) diff);
    wr32(e + 16, prev);
    wr32(slot, h.index_count);
    if (h.index_count <= 1) {
        wr64(base, ts);
        wr64(base + 16, phy);
    }
    if (prev == 0)
        wr32(base + 32, h.hash_slot_count + 1);
    wr32(base + 36, h.index_count + 1);
    wr64(base + 8, ts);
    wr64(base + 24, phy);
    if (!g_atomic_int_get(&ix->file->dirty))
        g_atomic_int_set(&ix->file->dirty, 1);
    return TRUE;
}

void
rmq_index_file_lookup(RmqIndexFile *ix, const char *key, gsize len, gint64 begin,
                      gint64 end, guint max, GArray *out)
{
    RmqIndexHeader h;
    gint32 hash = rmq_index_key_hash(key, len);
    const guint8 *slot = ix->file->base + RMQ_INDEX_HEADER_SIZE +
                         (gsize) (hash % ix->slots) * RMQ_INDEX_SLOT_SIZE;
    gint32 n = rd32(slot);
    guint hops = 0;

    rmq_index_file_header(ix, &h);
    while (n > 0 && n < h.index_count && out->len < max && hops++ < (guint) h.index_count) {
        const guint8 *e = entry_at(ix, n);
        gint64 t = h.begin_timestamp + (gint64) rd32(e + 12) * 1000;
        gint32 next = rd32(e + 16);
        if (rd32(e) == hash && t >= begin && t <= end) {
            gint64 phy = rd64(e + 4);
            g_array_append_val(out, phy);
        }
        if (next >= n)
            break;                   /* chains point to older entries only */
        n = next;
    }
}

RmqIndexService *
rmq_index_service_new(const char *dir, gint slots, gint max_entries,
                      RmqIndexClock clock, gpointer clock_data)
{
    RmqIndexService *s = g_new0(RmqIndexService, 1);

    s->dir = g_strdup(dir);
    s->slots = slots;
    s->max_entries = max_entries;
    s->files = g_ptr_array_new();
    s->clock = clock;
    s->clock_data = clock_data;
    g_mutex_init(&s->lock);
    return s;
}

static void
index_file_free(RmqIndexFile *ix)
{
    rmq_mapped_file_unref(ix->file);
    g_free(ix);
}

void
rmq_index_service_free(RmqIndexService *s)
{
    if (s == NULL)
        return;
    for (guint i = 0; i < s->files->len; i++)
        index_file_free(s->files->pdata[i]);
    g_ptr_array_unref(s->files);
    g_mutex_clear(&s->lock);
    g_free(s->dir);
    g_free(s);
}

static gint
cmp_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

gboolean
rmq_index_service_load(RmqIndexService *s, GError **error)
{
    g_autoptr(GDir) dir = g_dir_open(s->dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    gsize size = rmq_index_file_size(s->slots, s->max_entries);
    const char *name;

    if (dir == NULL)
        return TRUE;
    while ((name = g_dir_read_name(dir)) != NULL)
        if (strlen(name) == 17 && strspn(name, "0123456789") == 17)
            g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, cmp_name);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(s->dir, names->pdata[i], NULL);
        RmqMappedFile *f = rmq_mapped_file_open(path, 0, size, FALSE, error);
        RmqIndexFile *ix;
        if (f == NULL)
            return FALSE;
        ix = g_new0(RmqIndexFile, 1);
        ix->file = f;
        ix->slots = s->slots;
        ix->max_entries = s->max_entries;
        g_ptr_array_add(s->files, ix);
    }
    return TRUE;
}

static RmqIndexFile *
last_file(RmqIndexService *s)
{
    return s->files->len ? s->files->pdata[s->files->len - 1] : NULL;
}

gint64
rmq_index_service_end_phy_offset(RmqIndexService *s)
{
    RmqIndexFile *ix = last_file(s);
    RmqIndexHeader h;

    if (ix == NULL)
        return 0;
    rmq_index_file_header(ix, &h);
    return h.index_count > 1 ? h.end_phy_offset + 1 : 0;
}

void
rmq_index_service_truncate(RmqIndexService *s, gint64 end)
{
    for (guint i = s->files->len; i > 0; i--) {
        RmqIndexFile *ix = s->files->pdata[i - 1];
        RmqIndexHeader h;
        rmq_index_file_header(ix, &h);
        if (h.index_count <= 1 || h.end_phy_offset < end)
            continue;
        if (h.begin_phy_offset >= end) {
            /* every entry points past the end: drop the file */
            g_mutex_lock(&s->lock);
            g_ptr_array_remove_index(s->files, i - 1);
            g_mutex_unlock(&s->lock);
            remove(ix->file->path);
            index_file_free(ix);
            continue;
        }
        /* now claims coverage up to just below end (begin < end, so ≥ 0) */
        wr64(ix->file->base + 24, end - 1);
        g_atomic_int_set(&ix->file->dirty, 1);
    }
}

static RmqIndexFile *
create_file(RmqIndexService *s, GError **error)
{
    gint64 now = s->clock(s->clock_data);
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(now / 1000);
    g_autofree char *stamp = g_date_time_format(dt, "%Y%m%d%H%M%S");
    g_autofree char *name = g_strdup_printf("%s%03d", stamp, (int) (now % 1000));
    g_autofree char *path = NULL;
    RmqIndexFile *ix, *prev = last_file(s);
    RmqMappedFile *f;

    if (g_mkdir_with_parents(s->dir, 0755) < 0) {
        g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_IO, "cannot create %s", s->dir);
        return NULL;
    }
    path = g_build_filename(s->dir, name, NULL);
    /* two files in the same millisecond (tests, fake clocks): bump the name */
    while (g_file_test(path, G_FILE_TEST_EXISTS) ||
           (prev && strcmp(name, strrchr(prev->file->path, '/') + 1) <= 0)) {
        gint64 v = g_ascii_strtoll(name, NULL, 10) + 1;
        g_free(name);
        name = g_strdup_printf("%017" G_GINT64_FORMAT, v);
        g_free(path);
        path = g_build_filename(s->dir, name, NULL);
    }
    f = rmq_mapped_file_open(path, 0, rmq_index_file_size(s->slots, s->max_entries), TRUE, error);
    if (f == NULL)
        return NULL;
    ix = g_new0(RmqIndexFile, 1);
    ix->file = f;
    ix->slots = s->slots;
    ix->max_entries = s->max_entries;
    wr32(f->base + 36, 1);
    g_mutex_lock(&s->lock);
    g_ptr_array_add(s->files, ix);
    g_mutex_unlock(&s->lock);
    return ix;
}

gboolean
rmq_index_service_put(RmqIndexService *s, const char *key, gsize len, gint64 phy,
                      gint64 ts, GError **error)
{
    RmqIndexFile *ix = last_file(s);

    if (ix == NULL && (ix = create_file(s, error)) == NULL)
        return FALSE;
    if (rmq_index_file_put(ix, key, len, phy, ts))
        return TRUE;
    if ((ix = create_file(s, error)) == NULL)
        return FALSE;
    return rmq_index_file_put(ix, key, len, phy, ts);
}

GArray *
rmq_index_service_lookup(RmqIndexService *s, const char *key, guint max, gint64 begin,
                         gint64 end)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(gint64));
    gsize len = strlen(key);

    for (guint i = s->files->len; i > 0 && out->len < max; i--) {
        RmqIndexFile *ix = s->files->pdata[i - 1];
        RmqIndexHeader h;
        rmq_index_file_header(ix, &h);
        if (h.index_count <= 1)
            continue;
        /* entry times are truncated to whole seconds after beginTimestamp */
        if (h.end_timestamp < begin || h.begin_timestamp > end)
            continue;
        rmq_index_file_lookup(ix, key, len, begin - 1000, end, max, out);
    }
    return out;
}

gboolean
rmq_index_service_sync(RmqIndexService *s, GError **error)
{
    g_autoptr(GPtrArray) dirty = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_mapped_file_unref);

    g_mutex_lock(&s->lock);
    for (guint i = 0; i < s->files->len; i++) {
        RmqIndexFile *ix = s->files->pdata[i];
        if (g_atomic_int_get(&ix->file->dirty))
            g_ptr_array_add(dirty, rmq_mapped_file_ref(ix->file));
    }
    g_mutex_unlock(&s->lock);
    for (guint i = 0; i < dirty->len; i++)
        if (!rmq_mapped_file_sync(dirty->pdata[i], error))
            return FALSE;
    return TRUE;
}

guint
rmq_index_service_delete_expired(RmqIndexService *s, gint64 commit_log_min)
{
    guint n = 0;

    while (s->files->len > 1) {
        RmqIndexFile *ix = s->files->pdata[0];
        RmqIndexHeader h;
        rmq_index_file_header(ix, &h);
        if (h.end_phy_offset >= commit_log_min)
            break;
        g_mutex_lock(&s->lock);
        g_ptr_array_remove_index(s->files, 0);
        g_mutex_unlock(&s->lock);
        remove(ix->file->path);
        index_file_free(ix);
        n++;
    }
    return n;
}

void
rmq_index_service_last_update(RmqIndexService *s, gint64 *timestamp, gint64 *phy)
{
    RmqIndexFile *ix = last_file(s);
    RmqIndexHeader h = { 0 };

    if (ix)
        rmq_index_file_header(ix, &h);
    *timestamp = h.end_timestamp;
    *phy = h.end_phy_offset;
}
