#include <config.h>

#include "broker/long_poll.h"

#include <string.h>

#include "broker/meta_table.h"
#include "remoting/fd_poller.h"

typedef struct {
    RmqConnection *conn;
    RmqCommand *request;
    gint64 offset;
    gint64 deadline_us;
    GArray *tag_codes; /* gint64, NULL = all */
} Held;

struct _RmqLongPoll {
    GHashTable *table; /* "topic@qid" -> GPtrArray of Held */
    RmqLongPollWake wake;
    RmqLongPollMaxOffset max_offset;
    gpointer data;
    guint timer;
    guint count;
    gint64 check_us;      /* period of the grown-queue check */
    gint64 next_check_us;
};

/* Holds expire on this tick; the grown-queue check runs every check_ms. */
#define TICK_MS 100

static void
held_free(gpointer p)
{
    Held *h = p;
    rmq_connection_unref(h->conn);
    rmq_command_free(h->request);
    if (h->tag_codes != NULL)
        g_array_unref(h->tag_codes);
    g_free(h);
}

static gchar *
make_key(const gchar *topic, gint32 queue_id)
{
    return g_strdup_printf("%s@%d", topic, queue_id);
}

static gboolean
matches(const Held *h, gint64 tag_code)
{
    if (h->tag_codes == NULL || h->tag_codes->len == 0)
        return TRUE;
    for (guint i = 0; i < h->tag_codes->len; i++)
        if (g_array_index(h->tag_codes, gint64, i) == tag_code)
            return TRUE;
    return FALSE;
}

/* Answer held[i] and remove it (order of the rest does not matter). */
static void
fire(RmqLongPoll *lp, GPtrArray *list, guint i)
{
    Held *h = g_ptr_array_steal_index_fast(list, i);
    lp->count--;
    if (!rmq_connection_is_closed(h->conn))
        lp->wake(h->conn, h->request, lp->data);
    held_free(h);
}

static gboolean
split_key(const gchar *key, gchar **topic, gint32 *qid)
{
    const gchar *at = strrchr(key, '@');
    if (at == NULL)
        return FALSE;
    *topic = g_strndup(key, (gsize) (at - key));
    *qid = (gint32) g_ascii_strtoll(at + 1, NULL, 10);
    return TRUE;
}

static gboolean
on_check(gpointer data)
{
    RmqLongPoll *lp = data;
    gint64 now = g_get_monotonic_time();
    gboolean full = now >= lp->next_check_us;
    if (full)
        lp->next_check_us = now + lp->check_us;
    /* Keys first: waking may park nothing (allow_suspend is FALSE) but the
     * wake callback must not see a table being iterated. */
    g_autoptr(GPtrArray) keys = rmq_meta_table_key_copies(lp->table);
    for (guint k = 0; k < keys->len; k++) {
        const gchar *key = g_ptr_array_index(keys, k);
        GPtrArray *list = g_hash_table_lookup(lp->table, key);
        if (list == NULL)
            continue;
        g_autofree gchar *topic = NULL;
        gint32 qid = 0;
        if (!split_key(key, &topic, &qid))
            continue;
        gint64 max = full ? lp->max_offset(topic, qid, lp->data) : G_MININT64;
        for (guint i = list->len; i-- > 0;) {
            Held *h = g_ptr_array_index(list, i);
            if (max > h->offset || now >= h->deadline_us || rmq_connection_is_closed(h->conn))
                fire(lp, list, i);
        }
        if (list->len == 0)
            g_hash_table_remove(lp->table, key);
    }
    return G_SOURCE_CONTINUE;
}

RmqLongPoll *
rmq_long_poll_new(RmqLongPollWake wake, RmqLongPollMaxOffset max_offset, gpointer data,
                  guint check_ms)
{
    RmqLongPoll *lp = g_new0(RmqLongPoll, 1);
    lp->table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) g_ptr_array_unref);
    lp->wake = wake;
    lp->max_offset = max_offset;
    lp->data = data;
    lp->check_us = (gint64) check_ms * 1000;
    lp->next_check_us = g_get_monotonic_time() + lp->check_us;
    lp->timer = rmq_timeout_add(TICK_MS, on_check, lp);
    return lp;
}

void
rmq_long_poll_free(RmqLongPoll *lp)
{
    if (lp == NULL)
        return;
    g_clear_handle_id(&lp->timer, rmq_timeout_remove);
    g_hash_table_destroy(lp->table);
    g_free(lp);
}

void
rmq_long_poll_park(RmqLongPoll *lp, RmqConnection *conn, RmqCommand *request, const gchar *topic,
                   gint32 queue_id, gint64 offset, gint64 deadline_us, const GArray *tag_codes)
{
    Held *h = g_new0(Held, 1);
    h->conn = rmq_connection_ref(conn);
    h->request = request;
    h->offset = offset;
    h->deadline_us = deadline_us;
    if (tag_codes != NULL && tag_codes->len > 0) {
        h->tag_codes = g_array_sized_new(FALSE, FALSE, sizeof(gint64), tag_codes->len);
        g_array_append_vals(h->tag_codes, tag_codes->data, tag_codes->len);
    }
    gchar *key = make_key(topic, queue_id);
    GPtrArray *list = g_hash_table_lookup(lp->table, key);
    if (list == NULL) {
        list = g_ptr_array_new_with_free_func(held_free);
        g_hash_table_insert(lp->table, key, list);
    } else {
        g_free(key);
    }
    g_ptr_array_add(list, h);
    lp->count++;
}

void
rmq_long_poll_notify(RmqLongPoll *lp, const gchar *topic, gint32 queue_id, gint64 max_offset,
                     gint64 tag_code, gboolean tag_known)
{
    if (lp->count == 0)
        return;
    g_autofree gchar *key = make_key(topic, queue_id);
    GPtrArray *list = NULL;
    gpointer orig = NULL;
    /* Take the list out while firing: a woken request is never parked again,
     * but keep the table consistent whatever the callback does. */
    if (!g_hash_table_steal_extended(lp->table, key, &orig, (gpointer *) &list))
        return;
    g_free(orig);
    for (guint i = list->len; i-- > 0;) {
        Held *h = g_ptr_array_index(list, i);
        if (max_offset > h->offset && (!tag_known || matches(h, tag_code)))
            fire(lp, list, i);
    }
    if (list->len > 0)
        g_hash_table_insert(lp->table, g_strdup(key), list);
    else
        g_ptr_array_unref(list);
}

void
rmq_long_poll_wake_all(RmqLongPoll *lp)
{
    g_autoptr(GPtrArray) keys = rmq_meta_table_key_copies(lp->table);
    for (guint k = 0; k < keys->len; k++) {
        GPtrArray *list = NULL;
        gpointer orig = NULL;
        if (!g_hash_table_steal_extended(lp->table, g_ptr_array_index(keys, k), &orig,
                                         (gpointer *) &list))
            continue;
        g_free(orig);
        while (list->len > 0)
            fire(lp, list, list->len - 1);
        g_ptr_array_unref(list);
    }
}

guint
rmq_long_poll_count(RmqLongPoll *lp)
{
    return lp->count;
}
