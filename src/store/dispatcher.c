#include <config.h>

#include "store/dispatcher.h"
#include "store/commit_log.h"
#include "model/message_properties.h"

#include <glib/gstdio.h>
#include <string.h>

#define SCHEDULE_TOPIC "SCHEDULE_TOPIC_XXXX"

static void
queues_free(gpointer p)
{
    g_ptr_array_unref(p);
}

RmqDispatcher *
rmq_dispatcher_new(const char *cq_root, gint64 cq_file_size, RmqIndexService *index,
                   GArray *delay_levels)
{
    RmqDispatcher *d = g_new0(RmqDispatcher, 1);

    d->cq_root = g_strdup(cq_root);
    d->cq_file_size = cq_file_size;
    d->topics = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, queues_free);
    d->index = index;
    d->delay_levels = delay_levels ? g_array_ref(delay_levels) : NULL;
    g_mutex_init(&d->lock);
    return d;
}

void
rmq_dispatcher_free(RmqDispatcher *d)
{
    if (d == NULL)
        return;
    g_hash_table_unref(d->topics);
    if (d->delay_levels)
        g_array_unref(d->delay_levels);
    g_mutex_clear(&d->lock);
    g_free(d->cq_root);
    g_free(d);
}

static GPtrArray *
queues_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify) rmq_consume_queue_free);
}

static void
queues_set(GPtrArray *qs, gint32 queue_id, RmqConsumeQueue *cq)
{
    if ((guint) queue_id >= qs->len)
        g_ptr_array_set_size(qs, queue_id + 1);
    qs->pdata[queue_id] = cq;
}

/* Forget the remembered topic: its entry may be gone or replaced. */
static void
forget_last(RmqDispatcher *d)
{
    d->last.qs = NULL;
    d->last.name[0] = '\0';
}

gboolean
rmq_dispatcher_load(RmqDispatcher *d, GError **error)
{
    g_autoptr(GDir) root = g_dir_open(d->cq_root, 0, NULL);
    const char *topic;

    if (root == NULL)
        return TRUE;
    while ((topic = g_dir_read_name(root)) != NULL) {
        g_autofree char *tdir = g_build_filename(d->cq_root, topic, NULL);
        g_autoptr(GDir) qdir = g_dir_open(tdir, 0, NULL);
        const char *qname;
        if (qdir == NULL)
            continue;
        while ((qname = g_dir_read_name(qdir)) != NULL) {
            guint64 qid;
            RmqConsumeQueue *cq;
            GPtrArray *qs;
            if (!g_ascii_string_to_unsigned(qname, 10, 0, G_MAXINT32, &qid, NULL))
                continue;
            cq = rmq_consume_queue_new(d->cq_root, topic, (gint32) qid, d->cq_file_size);
            if (!rmq_consume_queue_load(cq, error)) {
                rmq_consume_queue_free(cq);
                return FALSE;
            }
            qs = g_hash_table_lookup(d->topics, topic);
            if (qs == NULL) {
                qs = queues_new();
                g_hash_table_insert(d->topics, g_strdup(topic), qs);
                forget_last(d);
            }
            queues_set(qs, (gint32) qid, cq);
        }
    }
    return TRUE;
}

RmqConsumeQueue *
rmq_dispatcher_find_queue(RmqDispatcher *d, const char *topic, gint32 queue_id)
{
    GPtrArray *qs;

    if (d->last.qs != NULL && strcmp(d->last.name, topic) == 0) {
        qs = d->last.qs;
    } else {
        qs = g_hash_table_lookup(d->topics, topic);
        gsize n = strlen(topic);
        if (qs != NULL && n < sizeof d->last.name) {
            memcpy(d->last.name, topic, n + 1);
            d->last.qs = qs;
        }
    }
    if (qs == NULL || queue_id < 0 || (guint) queue_id >= qs->len)
        return NULL;
    return qs->pdata[queue_id];
}

RmqConsumeQueue *
rmq_dispatcher_get_queue(RmqDispatcher *d, const char *topic, gint32 queue_id)
{
    RmqConsumeQueue *cq = rmq_dispatcher_find_queue(d, topic, queue_id);
    GPtrArray *qs;

    if (cq != NULL || queue_id < 0)
        return cq;
    cq = rmq_consume_queue_new(d->cq_root, topic, queue_id, d->cq_file_size);
    g_mutex_lock(&d->lock);
    qs = g_hash_table_lookup(d->topics, topic);
    if (qs == NULL) {
        qs = queues_new();
        g_hash_table_insert(d->topics, g_strdup(topic), qs);
        forget_last(d);
    }
    queues_set(qs, queue_id, cq);
    g_mutex_unlock(&d->lock);
    return cq;
}

void
rmq_dispatcher_foreach(RmqDispatcher *d, GFunc fn, gpointer data)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, d->topics);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        GPtrArray *qs = v;
        for (guint i = 0; i < qs->len; i++)
            if (qs->pdata[i])
                fn(qs->pdata[i], data);
    }
}

void
rmq_dispatcher_delete_topic(RmqDispatcher *d, const char *topic)
{
    GPtrArray *qs = g_hash_table_lookup(d->topics, topic);
    g_autofree char *tdir = g_build_filename(d->cq_root, topic, NULL);

    if (qs == NULL)
        return;
    for (guint i = 0; i < qs->len; i++)
        if (qs->pdata[i])
            rmq_consume_queue_destroy(qs->pdata[i]);
    g_mutex_lock(&d->lock);
    g_hash_table_remove(d->topics, topic);
    forget_last(d);
    g_mutex_unlock(&d->lock);
    g_rmdir(tdir);
}

void
rmq_dispatcher_delete_queue(RmqDispatcher *d, const char *topic, gint32 queue_id)
{
    GPtrArray *qs = g_hash_table_lookup(d->topics, topic);
    RmqConsumeQueue *cq;
    gboolean empty = TRUE;

    if (qs == NULL || queue_id < 0 || (guint) queue_id >= qs->len || qs->pdata[queue_id] == NULL)
        return;
    cq = qs->pdata[queue_id];
    rmq_consume_queue_destroy(cq);
    g_mutex_lock(&d->lock);
    qs->pdata[queue_id] = NULL;
    for (guint i = 0; i < qs->len && empty; i++)
        empty = qs->pdata[i] == NULL;
    g_mutex_unlock(&d->lock);
    rmq_consume_queue_free(cq);
    if (empty)
        rmq_dispatcher_delete_topic(d, topic);
}

static gint64
tag_code(RmqDispatcher *d, const RmqMessageRecord *r, const RmqPropertyValue *tags,
         const RmqPropertyValue *delay)
{
    if (delay->value != NULL && r->topic_len == (gint32) strlen(SCHEDULE_TOPIC) &&
        memcmp(r->topic, SCHEDULE_TOPIC, r->topic_len) == 0 && d->delay_levels &&
        d->delay_levels->len > 0 && delay->len < 16) {
        char buf[16];
        gint64 level;
        memcpy(buf, delay->value, delay->len);
        buf[delay->len] = '\0';
        level = g_ascii_strtoll(buf, NULL, 10);
        if (level > 0) {
            level = MIN(level, (gint64) d->delay_levels->len);
            return r->store_timestamp + g_array_index(d->delay_levels, gint64, level - 1);
        }
    }
    return tags->value ? rmq_message_tag_code(tags->value, tags->len) : 0;
}

enum { P_TAGS, P_DELAY, P_UNIQ, P_KEYS, P_N };
static const char *const wanted[P_N] = {
    RMQ_PROPERTY_TAGS, RMQ_PROPERTY_DELAY, RMQ_PROPERTY_UNIQ_KEY, RMQ_PROPERTY_KEYS,
};

gint64
rmq_dispatcher_tag_code(RmqDispatcher *d, const RmqMessageRecord *r)
{
    RmqPropertyValue v[P_N];

    rmq_message_properties_find(r->properties, (gsize) r->properties_len, wanted, P_N, v);
    return tag_code(d, r, &v[P_TAGS], &v[P_DELAY]);
}

static void
index_key(RmqDispatcher *d, const RmqMessageRecord *r, const char *key, gsize len)
{
    char stack[512];
    char *buf = stack;
    gsize n = (gsize) r->topic_len + 1 + len;
    g_autoptr(GError) error = NULL;

    if (len == 0)
        return;
    if (n > sizeof stack)
        buf = g_malloc(n);
    memcpy(buf, r->topic, r->topic_len);
    buf[r->topic_len] = '#';
    memcpy(buf + r->topic_len + 1, key, len);
    if (!rmq_index_service_put(d->index, buf, n, r->physical_offset, r->store_timestamp, &error) &&
        !d->index_failed) {
        d->index_failed = TRUE;    /* the index is best effort: say it once */
        g_warning("message index disabled until restart: %s", error->message);
    }
    if (buf != stack)
        g_free(buf);
}

gboolean
rmq_dispatcher_dispatch(RmqDispatcher *d, const RmqMessageRecord *r, GError **error)
{
    return rmq_dispatcher_dispatch_view(d, r, NULL, error);
}

gboolean
rmq_dispatcher_dispatch_view(RmqDispatcher *d, const RmqMessageRecord *r,
                             const RmqPropertyView *view, GError **error)
{
    return rmq_dispatcher_dispatch_cq(d, r, view, NULL, error);
}

gboolean
rmq_dispatcher_dispatch_cq(RmqDispatcher *d, const RmqMessageRecord *r,
                           const RmqPropertyView *view, RmqConsumeQueue *cq, GError **error)
{
    gint32 tx = r->sys_flag & RMQ_SYSFLAG_TRANSACTION_MASK;
    RmqPropertyValue v[P_N];

    if (r->properties_len >= 0 &&
        rmq_property_view_matches(view, r->properties, (gsize) r->properties_len)) {
        v[P_TAGS] = view->v[RMQ_PROP_VIEW_TAGS];
        v[P_DELAY] = view->v[RMQ_PROP_VIEW_DELAY];
        v[P_UNIQ] = view->v[RMQ_PROP_VIEW_UNIQ_KEY];
        v[P_KEYS] = view->v[RMQ_PROP_VIEW_KEYS];
    } else {
        rmq_message_properties_find(r->properties, (gsize) r->properties_len, wanted, P_N, v);
    }
    if (tx == RMQ_SYSFLAG_TRANSACTION_NOT || tx == RMQ_SYSFLAG_TRANSACTION_COMMIT) {
        if (cq == NULL) {
            char topic[RMQ_MESSAGE_MAX_TOPIC + 1];
            memcpy(topic, r->topic, r->topic_len);
            topic[r->topic_len] = '\0';
            cq = rmq_dispatcher_get_queue(d, topic, r->queue_id);
        }
        if (cq == NULL || !rmq_consume_queue_put(cq, r->queue_offset, r->physical_offset,
                                                 r->total_size,
                                                 tag_code(d, r, &v[P_TAGS], &v[P_DELAY]), error))
            return FALSE;
    }
    if (d->index != NULL && !d->index_failed && tx != RMQ_SYSFLAG_TRANSACTION_ROLLBACK &&
        r->physical_offset >= rmq_index_service_end_phy_offset(d->index)) {
        if (v[P_UNIQ].value)
            index_key(d, r, v[P_UNIQ].value, v[P_UNIQ].len);
        if (v[P_KEYS].value) {
            const char *k = v[P_KEYS].value, *end = k + v[P_KEYS].len;
            while (k < end) {
                const char *sp = memchr(k, ' ', end - k);
                if (sp == NULL)
                    sp = end;
                index_key(d, r, k, sp - k);
                k = sp + 1;
            }
        }
    }
    rmq_atomic64_set(&d->last_dispatched_ts, r->store_timestamp);
    return TRUE;
}

static void
sync_one(gpointer cq, gpointer data)
{
    GError **error = data;

    if (*error == NULL)
        rmq_mapped_file_queue_sync_dirty(((RmqConsumeQueue *) cq)->files, error);
}

gboolean
rmq_dispatcher_sync(RmqDispatcher *d, GError **error)
{
    GError *local = NULL;

    g_mutex_lock(&d->lock);
    rmq_dispatcher_foreach(d, sync_one, &local);
    g_mutex_unlock(&d->lock);
    if (local != NULL) {
        g_propagate_error(error, local);
        return FALSE;
    }
    return d->index == NULL || rmq_index_service_sync(d->index, error);
}
