/* Fixed-size memory-mapped files named by the global offset of their first
 * byte (20 decimal digits), and the ordered queue of such files that makes
 * up the commit log, a consume queue, or the index directory. */
#pragma once

#include <glib.h>

#include "store/store_error.h"

typedef struct {
    gatomicrefcount ref;
    char *path;
    gint64 start;          /* global offset of byte 0 */
    gsize size;
    int fd;
    guint8 *base;
    gint dirty;            /* atomic: written since the last flush */
    gboolean repaired;     /* was shorter than size and got zero-extended */
} RmqMappedFile;

/* Creates (fully allocated on disk, so that writes through the mapping
 * cannot SIGBUS when the disk fills) or opens an existing file of exactly
 * size bytes.  (transfer full) */
RmqMappedFile *rmq_mapped_file_open(const char *path, gint64 start, gsize size,
                                    gboolean create, GError **error);
RmqMappedFile *rmq_mapped_file_ref(RmqMappedFile *f);
void rmq_mapped_file_unref(RmqMappedFile *f);
gboolean rmq_mapped_file_sync(RmqMappedFile *f, GError **error);
/* Zeroes [from, size) touching only pages that are not already zero. */
void rmq_mapped_file_zero_tail(RmqMappedFile *f, gsize from);
gint64 rmq_mapped_file_mtime_ms(RmqMappedFile *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqMappedFile, rmq_mapped_file_unref)

typedef struct {
    char *dir;
    gsize file_size;
    GPtrArray *files;      /* RmqMappedFile*, ascending start; guarded by lock
                            * for changes (reads on the owning thread are free) */
    GMutex lock;
    gboolean repaired;     /* some file needed zero-extension at load */
} RmqMappedFileQueue;

RmqMappedFileQueue *rmq_mapped_file_queue_new(const char *dir, gsize file_size);
void rmq_mapped_file_queue_free(RmqMappedFileQueue *q);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqMappedFileQueue, rmq_mapped_file_queue_free)

/* Opens the files already in dir (a missing dir is an empty queue). */
gboolean rmq_mapped_file_queue_load(RmqMappedFileQueue *q, GError **error);
/* (transfer none) */
RmqMappedFile *rmq_mapped_file_queue_find(RmqMappedFileQueue *q, gint64 offset);
RmqMappedFile *rmq_mapped_file_queue_first(RmqMappedFileQueue *q);
RmqMappedFile *rmq_mapped_file_queue_last(RmqMappedFileQueue *q);
/* Creates the file that starts at start (a multiple of file_size). */
RmqMappedFile *rmq_mapped_file_queue_create(RmqMappedFileQueue *q, gint64 start,
                                            GError **error);
/* Keeps data below offset: zeroes the rest of the file holding it and
 * deletes every later file. */
void rmq_mapped_file_queue_truncate(RmqMappedFileQueue *q, gint64 offset);
/* Deletes every file that starts at or after offset (no zeroing). */
void rmq_mapped_file_queue_drop_from(RmqMappedFileQueue *q, gint64 offset);
/* Deletes the first file (never the only one unless force). */
gboolean rmq_mapped_file_queue_delete_first(RmqMappedFileQueue *q, gboolean force);
void rmq_mapped_file_queue_delete_all(RmqMappedFileQueue *q);
/* fdatasync every file overlapping [from, to); thread-safe. */
gboolean rmq_mapped_file_queue_sync_range(RmqMappedFileQueue *q, gint64 from,
                                          gint64 to, GError **error);
/* fdatasync every file marked dirty; thread-safe. */
gboolean rmq_mapped_file_queue_sync_dirty(RmqMappedFileQueue *q, GError **error);
gint64 rmq_mapped_file_queue_min_offset(RmqMappedFileQueue *q);
guint rmq_mapped_file_queue_count(RmqMappedFileQueue *q);
