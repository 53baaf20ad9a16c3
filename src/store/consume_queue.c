#include <config.h>

#include "store/consume_queue.h"

#include <string.h>

void
rmq_cq_unit_encode(guint8 out[RMQ_CQ_UNIT_SIZE], gint64 phy, gint32 size, gint64 tag)
{
    guint64 p = GUINT64_TO_BE((guint64) phy), t = GUINT64_TO_BE((guint64) tag);
    guint32 s = GUINT32_TO_BE((guint32) size);

    memcpy(out, &p, 8);
    memcpy(out + 8, &s, 4);
    memcpy(out + 12, &t, 8);
}

void
rmq_cq_unit_decode(const guint8 in[RMQ_CQ_UNIT_SIZE], RmqCqUnit *u)
{
    guint64 p, t;
    guint32 s;

    memcpy(&p, in, 8);
    memcpy(&s, in + 8, 4);
    memcpy(&t, in + 12, 8);
    u->physical_offset = (gint64) GUINT64_FROM_BE(p);
    u->size = (gint32) GUINT32_FROM_BE(s);
    u->tag_code = (gint64) GUINT64_FROM_BE(t);
}

RmqConsumeQueue *
rmq_consume_queue_new(const char *root, const char *topic, gint32 queue_id, gint64 file_size)
{
    RmqConsumeQueue *cq = g_new0(RmqConsumeQueue, 1);
    g_autofree char *qid = g_strdup_printf("%d", queue_id);
    g_autofree char *dir = g_build_filename(root, topic, qid, NULL);

    cq->topic = g_strdup(topic);
    cq->queue_id = queue_id;
    cq->file_size = (file_size + RMQ_CQ_UNIT_SIZE - 1) / RMQ_CQ_UNIT_SIZE * RMQ_CQ_UNIT_SIZE;
    cq->files = rmq_mapped_file_queue_new(dir, (gsize) cq->file_size);
    return cq;
}

void
rmq_consume_queue_free(RmqConsumeQueue *cq)
{
    if (cq == NULL)
        return;
    rmq_mapped_file_queue_free(cq->files);
    g_free(cq->topic);
    g_free(cq);
}

static const guint8 *
unit_ptr(RmqConsumeQueue *cq, gint64 offset)
{
    gint64 byte = offset * RMQ_CQ_UNIT_SIZE;
    RmqMappedFile *f = rmq_mapped_file_queue_find(cq->files, byte);

    return f ? f->base + (byte - f->start) : NULL;
}

static gboolean
unit_used(const guint8 *p)
{
    RmqCqUnit u;

    rmq_cq_unit_decode(p, &u);
    return u.size != 0;
}

gboolean
rmq_consume_queue_load(RmqConsumeQueue *cq, GError **error)
{
    RmqMappedFile *last;

    if (!rmq_mapped_file_queue_load(cq->files, error))
        return FALSE;
    cq->max_offset = cq->min_offset = 0;
    cq->max_physical_end = 0;
    /* Units are written in order, so the used part of each file is a
     * prefix: binary-search its end, trying files from the last. */
    for (guint i = cq->files->files->len; i > 0; i--) {
        RmqMappedFile *f = cq->files->files->pdata[i - 1];
        gint64 lo = 0, hi = cq->file_size / RMQ_CQ_UNIT_SIZE;
        while (lo < hi) {
            gint64 mid = (lo + hi) / 2;
            if (unit_used(f->base + mid * RMQ_CQ_UNIT_SIZE))
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0 || i == 1) {
            cq->max_offset = (f->start / RMQ_CQ_UNIT_SIZE) + lo;
            break;
        }
    }
    /* files after the one holding max_offset are empty leftovers */
    rmq_mapped_file_queue_drop_from(cq->files, cq->max_offset * RMQ_CQ_UNIT_SIZE);
    last = rmq_mapped_file_queue_first(cq->files);
    cq->min_offset = last ? last->start / RMQ_CQ_UNIT_SIZE : cq->max_offset;
    for (gint64 o = cq->max_offset - 1; o >= cq->min_offset && o >= 0; o--) {
        RmqCqUnit u;
        rmq_cq_unit_decode(unit_ptr(cq, o), &u);
        if (u.size != RMQ_CQ_FILLER_SIZE) {
            cq->max_physical_end = u.physical_offset + u.size;
            break;
        }
    }
    return TRUE;
}

void
rmq_consume_queue_truncate_physical(RmqConsumeQueue *cq, gint64 end)
{
    gint64 keep = cq->max_offset;

    while (keep > cq->min_offset) {
        RmqCqUnit u;
        const guint8 *p = unit_ptr(cq, keep - 1);
        if (p == NULL)
            break;
        rmq_cq_unit_decode(p, &u);
        if (u.size != RMQ_CQ_FILLER_SIZE && u.physical_offset + u.size <= end) {
            cq->max_physical_end = u.physical_offset + u.size;
            break;
        }
        keep--;
    }
    if (keep == cq->max_offset)
        return;
    g_debug("consume queue %s/%d: truncated from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
            cq->topic, cq->queue_id, cq->max_offset, keep);
    rmq_mapped_file_queue_truncate(cq->files, keep * RMQ_CQ_UNIT_SIZE);
    cq->max_offset = keep;
    if (cq->min_offset > keep)
        cq->min_offset = keep;
    if (keep == cq->min_offset)
        cq->max_physical_end = 0;
}

void
rmq_consume_queue_correct_min(RmqConsumeQueue *cq, gint64 commit_log_min)
{
    RmqMappedFile *first = rmq_mapped_file_queue_first(cq->files);
    gint64 lo, hi;

    if (first == NULL) {
        cq->min_offset = cq->max_offset;
        return;
    }
    /* binary search: first used, non-filler unit with physical ≥ min */
    lo = first->start / RMQ_CQ_UNIT_SIZE;
    hi = cq->max_offset;
    while (lo < hi) {
        gint64 mid = lo + (hi - lo) / 2;
        RmqCqUnit u;
        rmq_cq_unit_decode(unit_ptr(cq, mid), &u);
        if (u.size == RMQ_CQ_FILLER_SIZE || u.physical_offset < commit_log_min)
            lo = mid + 1;
        else
            hi = mid;
    }
    cq->min_offset = lo;
}

gboolean
rmq_consume_queue_reserve(RmqConsumeQueue *cq, gint64 offset, GError **error)
{
    gint64 byte = offset * RMQ_CQ_UNIT_SIZE;
    RmqMappedFile *last = rmq_mapped_file_queue_last(cq->files);
    gint64 start = byte - byte % cq->file_size;

    if (last != NULL && byte < last->start + cq->file_size)
        return TRUE;
    if (rmq_mapped_file_queue_create(cq->files, start, error) == NULL)
        return FALSE;
    if (last == NULL && offset > 0 && cq->max_offset == 0) {
        /* a queue first seen at offset n: its history is gone */
        cq->max_offset = start / RMQ_CQ_UNIT_SIZE;
        cq->min_offset = cq->max_offset;
    }
    return TRUE;
}

gboolean
rmq_consume_queue_put(RmqConsumeQueue *cq, gint64 offset, gint64 phy, gint32 size,
                      gint64 tag_code, GError **error)
{
    RmqMappedFile *f;

    if (offset < cq->max_offset)
        return TRUE;                 /* already dispatched */
    /* a queue whose first unit is past 0 (a replica started mid-log):
     * begin at the file holding it, not at offset 0 */
    if (rmq_mapped_file_queue_last(cq->files) == NULL && cq->max_offset == 0 && offset > 0 &&
        !rmq_consume_queue_reserve(cq, offset, error))
        return FALSE;
    while (cq->max_offset <= offset) {
        gint64 o = cq->max_offset;
        gint64 byte = o * RMQ_CQ_UNIT_SIZE;
        if (!rmq_consume_queue_reserve(cq, o, error))
            return FALSE;
        if (cq->max_offset > o)      /* reserve moved a fresh queue forward */
            continue;
        f = rmq_mapped_file_queue_find(cq->files, byte);
        if (o == offset)
            rmq_cq_unit_encode(f->base + (byte - f->start), phy, size, tag_code);
        else
            rmq_cq_unit_encode(f->base + (byte - f->start), 0, RMQ_CQ_FILLER_SIZE, 0);
        if (o != offset && cq->min_offset == o)
            cq->min_offset = o + 1;  /* leading fillers are no messages */
        if (!g_atomic_int_get(&f->dirty))
            g_atomic_int_set(&f->dirty, 1);
        cq->max_offset = o + 1;
    }
    cq->max_physical_end = phy + size;
    return TRUE;
}

gboolean
rmq_consume_queue_get(RmqConsumeQueue *cq, gint64 offset, RmqCqUnit *unit)
{
    const guint8 *p;

    if (offset < 0 || offset >= cq->max_offset)
        return FALSE;
    p = unit_ptr(cq, offset);
    if (p == NULL)
        return FALSE;
    rmq_cq_unit_decode(p, unit);
    return TRUE;
}

const guint8 *
rmq_consume_queue_peek_run(RmqConsumeQueue *cq, gint64 offset)
{
    if (offset < 0 || offset >= cq->max_offset)
        return NULL;
    return unit_ptr(cq, offset);
}

gint64
rmq_consume_queue_contiguous(RmqConsumeQueue *cq, gint64 offset)
{
    gint64 byte = offset * RMQ_CQ_UNIT_SIZE;
    RmqMappedFile *f = rmq_mapped_file_queue_find(cq->files, byte);
    gint64 file_end;

    if (f == NULL || offset >= cq->max_offset)
        return 0;
    file_end = (f->start + cq->file_size) / RMQ_CQ_UNIT_SIZE;
    return MIN(file_end, cq->max_offset) - offset;
}

gint64
rmq_consume_queue_roll_next_file(RmqConsumeQueue *cq, gint64 offset)
{
    gint64 per_file = cq->file_size / RMQ_CQ_UNIT_SIZE;
    return offset + per_file - offset % per_file;
}

guint
rmq_consume_queue_delete_expired(RmqConsumeQueue *cq, gint64 commit_log_min)
{
    guint n = 0;

    while (rmq_mapped_file_queue_count(cq->files) > 1) {
        RmqMappedFile *f = rmq_mapped_file_queue_first(cq->files);
        RmqCqUnit last;
        /* the file's last unit: full files only, the last file is kept */
        rmq_cq_unit_decode(f->base + cq->file_size - RMQ_CQ_UNIT_SIZE, &last);
        if (last.size != RMQ_CQ_FILLER_SIZE && last.physical_offset >= commit_log_min)
            break;
        rmq_mapped_file_queue_delete_first(cq->files, FALSE);
        n++;
    }
    rmq_consume_queue_correct_min(cq, commit_log_min);
    return n;
}

void
rmq_consume_queue_destroy(RmqConsumeQueue *cq)
{
    rmq_mapped_file_queue_delete_all(cq->files);
    cq->min_offset = cq->max_offset = cq->max_physical_end = 0;
}
