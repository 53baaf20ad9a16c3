#include <config.h>

#include "store/mapped_file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(rmq-store-error-quark, rmq_store_error)

static void
set_errno_error(GError **error, int err, const char *what, const char *path)
{
    int code = (err == ENOSPC || err == EDQUOT) ? RMQ_STORE_ERROR_DISK_FULL
                                                : RMQ_STORE_ERROR_IO;
    g_set_error(error, RMQ_STORE_ERROR, code, "%s %s: %s", what, path, g_strerror(err));
}

RmqMappedFile *
rmq_mapped_file_open(const char *path, gint64 start, gsize size, gboolean create,
                     GError **error)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0644);
    struct stat st;
    void *base;
    RmqMappedFile *f;
    gboolean repaired = FALSE;

    if (fd < 0) {
        set_errno_error(error, errno, create ? "cannot create" : "cannot open", path);
        return NULL;
    }
    if (create) {
        /* Reserve every block now: a write into a hole through the mapping
         * would otherwise raise SIGBUS on a full disk. */
        int err = posix_fallocate(fd, 0, (off_t) size);
        if (err != 0) {
            set_errno_error(error, err, "cannot allocate", path);
            close(fd);
            g_unlink(path);
            return NULL;
        }
    } else if (fstat(fd, &st) == 0 && (gsize) st.st_size < size &&
               posix_fallocate(fd, 0, (off_t) size) == 0) {
        /* a file cut short (crash while it was being created or copied):
         * zero-extend it and let recovery find where its data ends */
        g_warning("%s: %lld bytes, extended to %zu", path, (long long) st.st_size, size);
        repaired = TRUE;
    } else {
        if (fstat(fd, &st) < 0 || (gsize) st.st_size != size) {
            g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_CORRUPT,
                        "%s: size %lld, expected %zu", path,
                        (long long) st.st_size, size);
            close(fd);
            return NULL;
        }
    }
    base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        set_errno_error(error, errno, "cannot map", path);
        close(fd);
        if (create)
            g_unlink(path);
        return NULL;
    }
    f = g_new0(RmqMappedFile, 1);
    g_atomic_ref_count_init(&f->ref);
    f->path = g_strdup(path);
    f->start = start;
    f->size = size;
    f->fd = fd;
    f->base = base;
    f->repaired = repaired;
    return f;
}

RmqMappedFile *
rmq_mapped_file_ref(RmqMappedFile *f)
{
    g_atomic_ref_count_inc(&f->ref);
    return f;
}

void
rmq_mapped_file_unref(RmqMappedFile *f)
{
    if (f == NULL || !g_atomic_ref_count_dec(&f->ref))
        return;
    munmap(f->base, f->size);
    close(f->fd);
    g_free(f->path);
    g_free(f);
}

gboolean
rmq_mapped_file_sync(RmqMappedFile *f, GError **error)
{
    g_atomic_int_set(&f->dirty, 0);
    if (fdatasync(f->fd) < 0) {
        set_errno_error(error, errno, "cannot sync", f->path);
        return FALSE;
    }
    return TRUE;
}

static void
zero_range(RmqMappedFile *f, gsize pos, gsize end)
{
    static const guint8 zeros[4096];

    while (pos < end) {
        gsize chunk = MIN(end - pos, 4096 - pos % 4096);
        if (memcmp(f->base + pos, zeros, chunk) != 0)
            memset(f->base + pos, 0, chunk);
        pos += chunk;
    }
}

void
rmq_mapped_file_zero_tail(RmqMappedFile *f, gsize from)
{
    gsize page = (gsize) sysconf(_SC_PAGESIZE);
    gsize pos = MIN(f->size, (from + page - 1) / page * page);

    g_atomic_int_set(&f->dirty, 1);
    zero_range(f, from, pos);           /* the partial page, through the mapping */
    if (pos >= f->size)
        return;
    /* Whole pages: let the filesystem mark them zero (blocks stay
     * allocated, so later writes through the mapping cannot SIGBUS). */
    if (fallocate(f->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t) pos,
                  (off_t) (f->size - pos)) == 0)
        return;

    /* Only ranges that ever held data can hold stale records: SEEK_DATA
     * skips never-written (fallocated) space, which reading through the
     * mapping would otherwise fault in page by page. */
    while (pos < f->size) {
        off_t data = lseek(f->fd, (off_t) pos, SEEK_DATA);
        off_t hole;
        if (data < 0) {
            if (errno == ENXIO)
                break;                   /* nothing but holes after pos */
            zero_range(f, pos, f->size); /* no SEEK_DATA here: scan all */
            break;
        }
        hole = lseek(f->fd, data, SEEK_HOLE);
        if (hole < 0 || (gsize) hole > f->size)
            hole = (off_t) f->size;
        zero_range(f, MAX(pos, (gsize) data), (gsize) hole);
        pos = (gsize) hole;
    }
}

gint64
rmq_mapped_file_mtime_ms(RmqMappedFile *f)
{
    struct stat st;

    if (fstat(f->fd, &st) < 0)
        return 0;
    return (gint64) st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

RmqMappedFileQueue *
rmq_mapped_file_queue_new(const char *dir, gsize file_size)
{
    RmqMappedFileQueue *q = g_new0(RmqMappedFileQueue, 1);

    q->dir = g_strdup(dir);
    q->file_size = file_size;
    q->files = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_mapped_file_unref);
    g_mutex_init(&q->lock);
    return q;
}

void
rmq_mapped_file_queue_free(RmqMappedFileQueue *q)
{
    if (q == NULL)
        return;
    g_ptr_array_unref(q->files);
    g_mutex_clear(&q->lock);
    g_free(q->dir);
    g_free(q);
}

static gint
cmp_start(gconstpointer a, gconstpointer b)
{
    const RmqMappedFile *fa = *(RmqMappedFile *const *) a;
    const RmqMappedFile *fb = *(RmqMappedFile *const *) b;
    return fa->start < fb->start ? -1 : fa->start > fb->start;
}

static gboolean
parse_name(const char *name, gint64 *start)
{
    if (strlen(name) != 20)
        return FALSE;
    for (int i = 0; i < 20; i++)
        if (!g_ascii_isdigit(name[i]))
            return FALSE;
    *start = g_ascii_strtoll(name, NULL, 10);
    return TRUE;
}

gboolean
rmq_mapped_file_queue_load(RmqMappedFileQueue *q, GError **error)
{
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GError) local = NULL;
    const char *name;

    dir = g_dir_open(q->dir, 0, &local);
    if (dir == NULL) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return TRUE;
        g_set_error(error, RMQ_STORE_ERROR, RMQ_STORE_ERROR_IO, "%s", local->message);
        return FALSE;
    }
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = NULL;
        gint64 start;
        RmqMappedFile *f;

        if (!parse_name(name, &start))
            continue;
        path = g_build_filename(q->dir, name, NULL);
        f = rmq_mapped_file_open(path, start, q->file_size, FALSE, error);
        if (f == NULL)
            return FALSE;
        q->repaired |= f->repaired;
        g_ptr_array_add(q->files, f);
    }
    g_ptr_array_sort(q->files, cmp_start);
    return TRUE;
}

RmqMappedFile *
rmq_mapped_file_queue_find(RmqMappedFileQueue *q, gint64 offset)
{
    guint lo = 0, hi = q->files->len;

    while (lo < hi) {      /* first file with start > offset */
        guint mid = (lo + hi) / 2;
        RmqMappedFile *f = q->files->pdata[mid];
        if (f->start <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    RmqMappedFile *f = q->files->pdata[lo - 1];
    return offset < f->start + (gint64) f->size ? f : NULL;
}

RmqMappedFile *
rmq_mapped_file_queue_first(RmqMappedFileQueue *q)
{
    return q->files->len ? q->files->pdata[0] : NULL;
}

RmqMappedFile *
rmq_mapped_file_queue_last(RmqMappedFileQueue *q)
{
    return q->files->len ? q->files->pdata[q->files->len - 1] : NULL;
}

RmqMappedFile *
rmq_mapped_file_queue_create(RmqMappedFileQueue *q, gint64 start, GError **error)
{
    g_autofree char *name = g_strdup_printf("%020" G_GINT64_FORMAT, start);
    g_autofree char *path = NULL;
    RmqMappedFile *last = rmq_mapped_file_queue_last(q);
    RmqMappedFile *f;

    g_return_val_if_fail(last == NULL || start >= last->start + (gint64) last->size, NULL);
    if (g_mkdir_with_parents(q->dir, 0755) < 0) {
        set_errno_error(error, errno, "cannot create directory", q->dir);
        return NULL;
    }
    path = g_build_filename(q->dir, name, NULL);
    f = rmq_mapped_file_open(path, start, q->file_size, TRUE, error);
    if (f == NULL)
        return NULL;
    g_mutex_lock(&q->lock);
    g_ptr_array_add(q->files, f);
    g_mutex_unlock(&q->lock);
    return f;
}

void
rmq_mapped_file_queue_truncate(RmqMappedFileQueue *q, gint64 offset)
{
    g_mutex_lock(&q->lock);
    while (q->files->len) {
        RmqMappedFile *f = q->files->pdata[q->files->len - 1];
        if (f->start < offset)
            break;
        g_unlink(f->path);
        g_ptr_array_remove_index(q->files, q->files->len - 1);
    }
    if (q->files->len) {
        RmqMappedFile *f = q->files->pdata[q->files->len - 1];
        if (offset - f->start < (gint64) f->size)
            rmq_mapped_file_zero_tail(f, (gsize) (offset - f->start));
    }
    g_mutex_unlock(&q->lock);
}

void
rmq_mapped_file_queue_drop_from(RmqMappedFileQueue *q, gint64 offset)
{
    g_mutex_lock(&q->lock);
    while (q->files->len) {
        RmqMappedFile *f = q->files->pdata[q->files->len - 1];
        if (f->start < offset)
            break;
        g_unlink(f->path);
        g_ptr_array_remove_index(q->files, q->files->len - 1);
    }
    g_mutex_unlock(&q->lock);
}

gboolean
rmq_mapped_file_queue_delete_first(RmqMappedFileQueue *q, gboolean force)
{
    RmqMappedFile *f;

    g_mutex_lock(&q->lock);
    if (q->files->len == 0 || (q->files->len == 1 && !force)) {
        g_mutex_unlock(&q->lock);
        return FALSE;
    }
    f = q->files->pdata[0];
    g_unlink(f->path);
    g_ptr_array_remove_index(q->files, 0);
    g_mutex_unlock(&q->lock);
    return TRUE;
}

void
rmq_mapped_file_queue_delete_all(RmqMappedFileQueue *q)
{
    while (rmq_mapped_file_queue_delete_first(q, TRUE))
        ;
    g_rmdir(q->dir);
}

/* Takes references under the lock so the syscalls run without it. */
static GPtrArray *
snapshot(RmqMappedFileQueue *q, gint64 from, gint64 to, gboolean dirty_only)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) rmq_mapped_file_unref);

    g_mutex_lock(&q->lock);
    for (guint i = 0; i < q->files->len; i++) {
        RmqMappedFile *f = q->files->pdata[i];
        if (dirty_only) {
            if (g_atomic_int_get(&f->dirty))
                g_ptr_array_add(out, rmq_mapped_file_ref(f));
        } else if (f->start < to && f->start + (gint64) f->size > from) {
            g_ptr_array_add(out, rmq_mapped_file_ref(f));
        }
    }
    g_mutex_unlock(&q->lock);
    return out;
}

gboolean
rmq_mapped_file_queue_sync_range(RmqMappedFileQueue *q, gint64 from, gint64 to,
                                 GError **error)
{
    g_autoptr(GPtrArray) files = NULL;

    if (to <= from)
        return TRUE;
    files = snapshot(q, from, to, FALSE);
    for (guint i = 0; i < files->len; i++)
        if (!rmq_mapped_file_sync(files->pdata[i], error))
            return FALSE;
    return TRUE;
}

gboolean
rmq_mapped_file_queue_sync_dirty(RmqMappedFileQueue *q, GError **error)
{
    g_autoptr(GPtrArray) files = snapshot(q, 0, 0, TRUE);

    for (guint i = 0; i < files->len; i++)
        if (!rmq_mapped_file_sync(files->pdata[i], error))
            return FALSE;
    return TRUE;
}

gint64
rmq_mapped_file_queue_min_offset(RmqMappedFileQueue *q)
{
    RmqMappedFile *f = rmq_mapped_file_queue_first(q);
    return f ? f->start : 0;
}

guint
rmq_mapped_file_queue_count(RmqMappedFileQueue *q)
{
    return q->files->len;
}
