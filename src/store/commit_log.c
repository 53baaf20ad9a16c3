#include <config.h>

#include "store/commit_log.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

RmqCommitLog *
rmq_commit_log_new(const char *dir, gint64 file_size)
{
    RmqCommitLog *cl = g_new0(RmqCommitLog, 1);

    cl->files = rmq_mapped_file_queue_new(dir, (gsize) file_size);
    cl->file_size = file_size;
    g_mutex_init(&cl->warm_lock);
    g_cond_init(&cl->warm_cond);
    cl->warm_mark = G_MAXINT64; /* no warmer yet */
    return cl;
}

void
rmq_commit_log_free(RmqCommitLog *cl)
{
    if (cl == NULL)
        return;
    rmq_commit_log_stop_warmer(cl);
    g_free(cl->scratch);
    g_mutex_clear(&cl->warm_lock);
    g_cond_clear(&cl->warm_cond);
    rmq_mapped_file_queue_free(cl->files);
    g_free(cl);
}

gboolean
rmq_commit_log_load(RmqCommitLog *cl, GError **error)
{
    RmqMappedFile *last;

    if (!rmq_mapped_file_queue_load(cl->files, error))
        return FALSE;
    last = rmq_mapped_file_queue_last(cl->files);
    /* Until recovery says otherwise, the log ends after its last file. */
    rmq_commit_log_set_end(cl, last ? last->start + cl->file_size : 0);
    return TRUE;
}

void
rmq_commit_log_set_end(RmqCommitLog *cl, gint64 end)
{
    rmq_atomic64_set(&cl->wrote, end);
    rmq_atomic64_set(&cl->flushed, end);
}

gboolean
rmq_commit_log_ensure_space(RmqCommitLog *cl, gint64 bytes, GError **error)
{
    gint64 wrote = cl->wrote;
    gint64 file_end = wrote - wrote % cl->file_size + cl->file_size;
    /* records never straddle files: the worst case moves them all to the
     * next file (plus one more per file they fill) */
    gint64 need_end = wrote + bytes + RMQ_MESSAGE_BLANK_LENGTH <= file_end
                          ? wrote + 1 : file_end + bytes + RMQ_MESSAGE_BLANK_LENGTH;

    for (gint64 start = wrote - wrote % cl->file_size; start < need_end; start += cl->file_size) {
        RmqMappedFile *last = rmq_mapped_file_queue_last(cl->files);
        if (last != NULL && last->start >= start)
            continue;
        if (rmq_mapped_file_queue_create(cl->files, start, error) == NULL)
            return FALSE;
    }
    return TRUE;
}

/* SYNC_FLUSH writes through the file descriptor: pages dirtied through the
 * mapping must be write-protected again by every fdatasync (a TLB
 * shootdown, then a new write fault per page), which at thousands of group
 * commits a second costs more than one pwrite per record.  The mapping
 * still sees the bytes: it shares the page cache. */
static gboolean
pwrite_all(RmqMappedFile *f, gint64 pos, const void *buf, gsize len, GError **error)
{
    const guint8 *p = buf;

    while (len > 0) {
        ssize_t n = pwrite(f->fd, p, len, (off_t) pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            g_set_error(error, RMQ_STORE_ERROR,
                        err == ENOSPC ? RMQ_STORE_ERROR_DISK_FULL : RMQ_STORE_ERROR_IO,
                        "cannot write %s: %s", f->path, g_strerror(err));
            return FALSE;
        }
        p += n;
        pos += n;
        len -= (gsize) n;
    }
    return TRUE;
}

void
rmq_commit_log_set_write_through(RmqCommitLog *cl, gboolean on)
{
    cl->write_through = on;
}

gboolean
rmq_commit_log_append(RmqCommitLog *cl, const RmqMessage *msg, gint64 queue_offset,
                      gint64 store_timestamp, gint64 *physical_offset, gint32 *size,
                      GError **error)
{
    return rmq_commit_log_append_sized(cl, msg, rmq_message_record_size(msg), queue_offset,
                                       store_timestamp, physical_offset, size, error);
}

/* The file that holds the write position with room for @len more bytes
 * (and the blank marker after them): when the current one has not, the rest
 * of it is marked blank and the next one is taken. NULL on an I/O error. */
static RmqMappedFile *
file_with_room(RmqCommitLog *cl, gint64 len, GError **error)
{
    if (len < 0 || len + RMQ_MESSAGE_BLANK_LENGTH > cl->file_size) {
        g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_INVALID,
                    "record of %" G_GINT64_FORMAT " bytes does not fit the commit log", len);
        return NULL;
    }
    for (;;) {
        gint64 wrote = cl->wrote;   /* only this thread writes it */
        RmqMappedFile *last = rmq_mapped_file_queue_find(cl->files, wrote);
        gint64 pos;

        if (last == NULL) {
            /* the log starts, or the previous file is full: wrote is a file start */
            gint64 start = wrote - wrote % cl->file_size;
            last = rmq_mapped_file_queue_create(cl->files, start, error);
            if (last == NULL)
                return NULL;
            if (wrote != start)
                rmq_commit_log_wrote_to(cl, start);
            continue;
        }
        pos = wrote - last->start;
        if (pos + len + RMQ_MESSAGE_BLANK_LENGTH > cl->file_size) {
            /* never split a record: mark the rest of the file blank */
            guint32 marker[2] = { GUINT32_TO_BE((guint32) (cl->file_size - pos)),
                                  GUINT32_TO_BE(RMQ_MESSAGE_BLANK_MAGIC) };
            if (cl->write_through) {
                if (!pwrite_all(last, pos, marker, sizeof marker, error))
                    return NULL;
            } else {
                memcpy(last->base + pos, marker, sizeof marker);
            }
            g_atomic_int_set(&last->dirty, 1);
            rmq_commit_log_wrote_to(cl, last->start + cl->file_size);
            continue;
        }
        return last;
    }
}

gboolean
rmq_commit_log_keep_together(RmqCommitLog *cl, gint64 bytes, GError **error)
{
    return file_with_room(cl, bytes, error) != NULL;
}

gboolean
rmq_commit_log_append_sized(RmqCommitLog *cl, const RmqMessage *msg, gint64 len,
                            gint64 queue_offset, gint64 store_timestamp,
                            gint64 *physical_offset, gint32 *size, GError **error)
{
    RmqMappedFile *last = file_with_room(cl, len, error);
    if (last == NULL)
        return FALSE;
    gint64 wrote = cl->wrote;
    gint64 pos = wrote - last->start;
    if (cl->write_through) {
        if ((gsize) len > cl->scratch_len) {
            g_free(cl->scratch);
            cl->scratch_len = MAX((gsize) len, 64 * 1024);
            cl->scratch = g_malloc(cl->scratch_len);
        }
        rmq_message_encode_sized(msg, len, queue_offset, wrote, store_timestamp, cl->scratch);
        if (!pwrite_all(last, pos, cl->scratch, (gsize) len, error))
            return FALSE;
    } else {
        rmq_message_encode_sized(msg, len, queue_offset, wrote, store_timestamp, last->base + pos);
    }
    if (!g_atomic_int_get(&last->dirty))
        g_atomic_int_set(&last->dirty, 1);
    /* offset before timestamp: a reader that loads the timestamp first
     * never pairs it with an offset below its record */
    rmq_commit_log_wrote_to(cl, wrote + len);
    rmq_atomic64_set_release(&cl->wrote_ts, store_timestamp);
    *physical_offset = wrote;
    *size = (gint32) len;
    return TRUE;
}

const guint8 *
rmq_commit_log_peek(RmqCommitLog *cl, gint64 offset, gint64 size)
{
    RmqMappedFile *f;

    if (offset < 0 || size <= 0 || offset + size > cl->wrote)
        return NULL;
    f = rmq_mapped_file_queue_find(cl->files, offset);
    if (f == NULL || offset + size > f->start + (gint64) f->size)
        return NULL;
    return f->base + (offset - f->start);
}

const guint8 *
rmq_commit_log_peek_hint(RmqCommitLog *cl, gint64 offset, gint64 size, RmqMappedFile **hint)
{
    RmqMappedFile *f = *hint;

    if (offset < 0 || size <= 0 || offset + size > cl->wrote)
        return NULL;
    if (f == NULL || offset < f->start || offset + size > f->start + (gint64) f->size) {
        f = rmq_mapped_file_queue_find(cl->files, offset);
        if (f == NULL || offset + size > f->start + (gint64) f->size)
            return NULL;
        *hint = f;
    }
    return f->base + (offset - f->start);
}

GBytes *
rmq_commit_log_get_bytes(RmqCommitLog *cl, gint64 offset, gint64 size)
{
    const guint8 *p = rmq_commit_log_peek(cl, offset, size);
    RmqMappedFile *f;

    if (p == NULL)
        return NULL;
    f = rmq_mapped_file_queue_find(cl->files, offset);
    return g_bytes_new_with_free_func(p, (gsize) size,
                                      (GDestroyNotify) rmq_mapped_file_unref,
                                      rmq_mapped_file_ref(f));
}

gint32
rmq_commit_log_size_at(RmqCommitLog *cl, gint64 offset)
{
    const guint8 *p = rmq_commit_log_peek(cl, offset, 8);
    RmqMessageRecord r;
    guint32 size;

    if (p == NULL)
        return -1;
    memcpy(&size, p, 4);                 /* records are not aligned */
    p = rmq_commit_log_peek(cl, offset, (gint64) GUINT32_FROM_BE(size));
    if (p == NULL)
        return -1;
    if (rmq_message_decode(p, (gsize) (cl->wrote - offset), FALSE, &r) != RMQ_RECORD_OK)
        return -1;
    return r.total_size;
}

gint64
rmq_commit_log_roll_next_file(RmqCommitLog *cl, gint64 offset)
{
    return offset + cl->file_size - offset % cl->file_size;
}

gint64
rmq_commit_log_min_offset(RmqCommitLog *cl)
{
    return rmq_mapped_file_queue_min_offset(cl->files);
}

gint64
rmq_commit_log_file_first_timestamp(RmqMappedFile *f)
{
    RmqMessageRecord r;

    if (rmq_message_decode(f->base, f->size, FALSE, &r) != RMQ_RECORD_OK)
        return -1;
    return r.store_timestamp;
}

typedef struct {
    const guint8 *base;
    const guint32 *pos;          /* record starts within the file */
    guint from, to;              /* slice of pos[] this worker checks */
    guint first_bad;             /* index of the first bad CRC, or to */
} CrcSlice;

static gpointer
crc_worker(gpointer data)
{
    CrcSlice *c = data;

    c->first_bad = c->to;
    for (guint i = c->from; i < c->to; i++) {
        RmqMessageRecord r;
        if (rmq_message_decode(c->base + c->pos[i], G_MAXINT32, TRUE, &r) != RMQ_RECORD_OK) {
            c->first_bad = i;
            break;
        }
    }
    return NULL;
}

/* Index of the first record whose body CRC is wrong, or n.  The header walk
 * already proved the records whole, so the CRCs are checked in parallel. */
static guint
first_bad_crc(const guint8 *base, const guint32 *pos, guint n)
{
    guint workers = CLAMP(g_get_num_processors(), 1, 8);
    CrcSlice slices[8];
    GThread *threads[8];
    guint bad = n;

    if (n < 4096)
        workers = 1;
    for (guint w = 0; w < workers; w++) {
        slices[w].base = base;
        slices[w].pos = pos;
        slices[w].from = (guint) ((guint64) n * w / workers);
        slices[w].to = (guint) ((guint64) n * (w + 1) / workers);
        threads[w] = w == 0 ? NULL : g_thread_new("rmq-recover-crc", crc_worker, &slices[w]);
    }
    crc_worker(&slices[0]);
    for (guint w = 1; w < workers; w++)
        g_thread_join(threads[w]);
    for (guint w = 0; w < workers; w++)
        if (slices[w].first_bad < slices[w].to) {
            bad = slices[w].first_bad;
            break;
        }
    return bad;
}

gint64
rmq_commit_log_recover(RmqCommitLog *cl, gint64 from, gboolean check_crc)
{
    GPtrArray *files = cl->files->files;
    g_autoptr(GArray) starts = g_array_new(FALSE, FALSE, sizeof(guint32));
    gint64 end = from;
    guint i = 0;

    while (i < files->len && ((RmqMappedFile *) files->pdata[i])->start < from)
        i++;
    /* An empty log, or recovery starting at the log's first file. */
    if (i < files->len)
        end = ((RmqMappedFile *) files->pdata[i])->start;
    for (; i < files->len; i++) {
        RmqMappedFile *f = files->pdata[i];
        gsize pos = 0;
        gboolean whole = FALSE;
        gint64 last_ts = -1;

        if (f->start != end)
            break;                       /* a gap: nothing after it is reachable */
        /* 1: walk the headers (sizes, magic, self offsets, field lengths) */
        g_array_set_size(starts, 0);
        while (pos < f->size) {
            RmqMessageRecord r;
            RmqRecordStatus st = rmq_message_decode(f->base + pos, f->size - pos, FALSE, &r);
            if (st == RMQ_RECORD_OK && r.physical_offset == f->start + (gint64) pos) {
                guint32 p32 = (guint32) pos;
                g_array_append_val(starts, p32);
                pos += (gsize) r.total_size;
                last_ts = r.store_timestamp;
            } else if (st == RMQ_RECORD_BLANK && pos + (gsize) r.total_size == f->size) {
                pos = f->size;
            } else {
                break;                   /* END, TRUNCATED or CORRUPT */
            }
        }
        whole = pos == f->size;
        /* 2: body CRCs; the first bad one ends the log */
        if (check_crc && starts->len > 0) {
            guint bad = first_bad_crc(f->base, (const guint32 *) starts->data, starts->len);
            if (bad < starts->len) {
                pos = g_array_index(starts, guint32, bad);
                whole = FALSE;
                last_ts = bad > 0 ? rmq_message_peek_store_timestamp(
                                        f->base + g_array_index(starts, guint32, bad - 1))
                                  : -1;
            }
        }
        end = f->start + (gint64) pos;
        if (last_ts >= 0)
            rmq_atomic64_set(&cl->wrote_ts, last_ts);
        if (!whole)
            break;
    }
    rmq_mapped_file_queue_truncate(cl->files, end);
    rmq_commit_log_set_end(cl, end);
    rmq_atomic64_set(&cl->flushed_ts, rmq_atomic64_get(&cl->wrote_ts));
    return end;
}

gboolean
rmq_commit_log_flush(RmqCommitLog *cl, GError **error)
{
    gint64 ts = rmq_atomic64_get(&cl->wrote_ts);
    gint64 target = rmq_atomic64_get(&cl->wrote);
    gint64 from = rmq_atomic64_get(&cl->flushed);

    if (target <= from)
        return TRUE;
    if (!rmq_mapped_file_queue_sync_range(cl->files, from, target, error))
        return FALSE;
    rmq_atomic64_set(&cl->flushed_ts, ts);
    rmq_atomic64_set(&cl->flushed, target);
    return TRUE;
}

#ifdef MADV_POPULATE_READ
static RmqMappedFile *
ref_file_at(RmqCommitLog *cl, gint64 offset)
{
    RmqMappedFile *f;

    g_mutex_lock(&cl->files->lock);
    f = rmq_mapped_file_queue_find(cl->files, offset);
    if (f)
        rmq_mapped_file_ref(f);
    g_mutex_unlock(&cl->files->lock);
    return f;
}

/* Maps the pages from where the warmer stopped (or the writer's page, if
 * the writer got past it) to @ahead bytes after the write position, within
 * the files that exist, then sets the mark at which the writer wakes it
 * again; *@seen: the write position it went by last. FALSE when madvise
 * refuses (a kernel before 5.14). */
static gboolean
warm_ahead(RmqCommitLog *cl, gint64 page, gint64 *warmed, gint64 *seen)
{
    const gint64 chunk = 8 * 1024 * 1024;

    for (;;) {
        if (g_atomic_int_get(&cl->warm_stop))
            return FALSE;
        gint64 wrote = rmq_atomic64_get(&cl->wrote);
        /* madvise wants a page-aligned address: the writer's page within
         * its file (a file size need not be a multiple of the page, and the
         * file before may be gone) */
        gint64 file_start = wrote - wrote % cl->file_size;
        gint64 from = MAX(*warmed, file_start + (wrote - file_start) / page * page);
        gint64 to = wrote + cl->warm_ahead;
        RmqMappedFile *f = from < to ? ref_file_at(cl, from) : NULL;

        if (f == NULL) {
            /* Caught up: wake when the writer has used half of the window.
             * The next file does not exist yet: wake when the writer has
             * written into it (it creates the file first). */
            gint64 mark = from < to ? from + 1 : from - cl->warm_ahead / 2;
            rmq_atomic64_set(&cl->warm_mark, mark);
            /* the writer may have passed the mark before it was set */
            *seen = rmq_atomic64_get(&cl->wrote);
            if (*seen < mark)
                return TRUE;
            continue;
        }
        gint64 file_end = f->start + (gint64) f->size;
        gint64 len = MIN(MIN(chunk, to - from), file_end - from);
        len = MIN(len + (page - len % page) % page, file_end - from);
        int rc = madvise(f->base + (from - f->start), (size_t) len, MADV_POPULATE_READ);
        int err = errno;
        rmq_mapped_file_unref(f);
        if (rc != 0) {
            g_debug("commit log warmer stops: madvise(MADV_POPULATE_READ): %s", g_strerror(err));
            return FALSE;
        }
        *warmed = from + len;
        rmq_atomic64_set(&cl->warm_end, *warmed);
    }
}

static gpointer
warmer_thread(gpointer data)
{
    RmqCommitLog *cl = data;
    gint64 page = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
    gint64 warmed = 0, seen = rmq_atomic64_get(&cl->wrote);

    g_mutex_lock(&cl->warm_lock);
    for (;;) {
        /* Kicked by the writer; or, once a second, a writer that moved
         * since the last pass: its last append may have missed the mark
         * set meanwhile (rmq_commit_log_wrote_to). An idle log: nothing. */
        gint64 until = g_get_monotonic_time() + G_USEC_PER_SEC;
        while (!cl->warm_kick && !cl->warm_stop)
            if (!g_cond_wait_until(&cl->warm_cond, &cl->warm_lock, until))
                break;
        if (cl->warm_stop)
            break;
        if (!cl->warm_kick && rmq_atomic64_get(&cl->wrote) == seen)
            continue;
        cl->warm_kick = FALSE;
        g_mutex_unlock(&cl->warm_lock);
        gboolean ok = warm_ahead(cl, page, &warmed, &seen);
        g_mutex_lock(&cl->warm_lock);
        if (!ok)
            break;
    }
    g_mutex_unlock(&cl->warm_lock);
    return NULL;
}
#endif

static void
kick_warmer(RmqCommitLog *cl)
{
    g_mutex_lock(&cl->warm_lock);
    /* one wake-up until the warmer sets the next mark */
    rmq_atomic64_set(&cl->warm_mark, G_MAXINT64);
    cl->warm_kick = TRUE;
    g_cond_signal(&cl->warm_cond);
    g_mutex_unlock(&cl->warm_lock);
}

void
rmq_commit_log_wrote_to(RmqCommitLog *cl, gint64 end)
{
    rmq_atomic64_set_release(&cl->wrote, end);
    /* Without a full fence here this load may miss a mark the warmer set
     * a moment ago; the next append sees it, and a warmer left asleep
     * looks again within a second (warmer_thread). */
    if (G_UNLIKELY(end >= rmq_atomic64_get(&cl->warm_mark)))
        kick_warmer(cl);
}

gint64
rmq_commit_log_warmed(RmqCommitLog *cl)
{
    return rmq_atomic64_get(&cl->warm_end);
}

void
rmq_commit_log_start_warmer(RmqCommitLog *cl, gint64 ahead)
{
#ifdef MADV_POPULATE_READ
    if (cl->warmer != NULL || ahead <= 0)
        return;
    cl->warm_stop = FALSE;
    cl->warm_kick = FALSE;
    cl->warm_ahead = ahead;
    /* nothing until the first append: an idle broker maps nothing ahead */
    rmq_atomic64_set(&cl->warm_mark, rmq_atomic64_get(&cl->wrote) + 1);
    cl->warmer = g_thread_new("rmq-warm-cl", warmer_thread, cl);
#endif
}

void
rmq_commit_log_stop_warmer(RmqCommitLog *cl)
{
    if (cl->warmer == NULL)
        return;
    g_mutex_lock(&cl->warm_lock);
    g_atomic_int_set(&cl->warm_stop, TRUE); /* warm_ahead reads it unlocked */
    g_cond_signal(&cl->warm_cond);
    g_mutex_unlock(&cl->warm_lock);
    g_thread_join(cl->warmer);
    cl->warmer = NULL;
    rmq_atomic64_set(&cl->warm_mark, G_MAXINT64);
}
