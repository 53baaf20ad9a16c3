/* The commit log: one append-only log of records in fixed-size mapped files
 * (docs/protocol.md §7.2), with end-of-file blank markers.  Appends and reads happen on one
 * thread; the flush thread reads the atomic positions. */
#pragma once

#include <glib.h>

#include "store/mapped_file.h"
#include "store/message_format.h"

/* 64-bit atomics shared by the append and flush threads. */
#define rmq_atomic64_get(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define rmq_atomic64_set(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
/* The appending thread's positions: a release store is a plain store on
 * x86, where the sequentially consistent one waits for the record's bytes
 * to leave the store buffer (~2 % of the broker's time on separate
 * connections); a reader that loads the position still sees those bytes. */
#define rmq_atomic64_set_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

typedef struct {
    RmqMappedFileQueue *files;
    gint64 file_size;
    gint64 wrote;          /* atomic: end of appended data */
    gint64 wrote_ts;       /* atomic: store time of the last appended record */
    gint64 flushed;        /* atomic: end of data known to be on disk */
    gint64 flushed_ts;     /* atomic: store time of a record ≤ flushed */

    /* the warmer: faults pages in ahead of the writer, off its thread */
    GThread *warmer;
    GMutex warm_lock;
    GCond warm_cond;
    gboolean warm_stop;
    gboolean warm_kick;    /* under warm_lock: the writer passed warm_mark */
    gint64 warm_ahead;
    gint64 warm_mark;      /* atomic: wake the warmer when wrote reaches it */
    gint64 warm_end;       /* atomic: pages are mapped up to here */

    gboolean write_through;    /* append with pwrite() instead of the mapping */
    guint8 *scratch;
    gsize scratch_len;
} RmqCommitLog;

RmqCommitLog *rmq_commit_log_new(const char *dir, gint64 file_size);
void rmq_commit_log_free(RmqCommitLog *cl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqCommitLog, rmq_commit_log_free)

gboolean rmq_commit_log_load(RmqCommitLog *cl, GError **error);

/* SYNC_FLUSH: write records with pwrite() rather than through the mapping. */
void rmq_commit_log_set_write_through(RmqCommitLog *cl, gboolean on);

/* Appends one record.  On success *physical_offset and *size describe it.
 * RMQ_STORE_ERROR_DISK_FULL when a new file cannot be allocated;
 * RMQ_STORE_ERROR_INVALID when the record cannot fit in one file. */
gboolean rmq_commit_log_append(RmqCommitLog *cl, const RmqMessage *msg,
                               gint64 queue_offset, gint64 store_timestamp,
                               gint64 *physical_offset, gint32 *size,
                               GError **error);
/* The same with @record_size = rmq_message_record_size(@msg), which the
 * caller has at hand (the store measures every message before it writes). */
gboolean rmq_commit_log_append_sized(RmqCommitLog *cl, const RmqMessage *msg, gint64 record_size,
                                     gint64 queue_offset, gint64 store_timestamp,
                                     gint64 *physical_offset, gint32 *size, GError **error);
/* Allocates the files that appending `bytes` more bytes may need, so that a
 * full disk is reported before anything is written. */
gboolean rmq_commit_log_ensure_space(RmqCommitLog *cl, gint64 bytes, GError **error);
/* Records of @bytes in all that follow go into the current file: when it has
 * no room for them, the rest of it is marked blank now (as one record of
 * that size would do), so a batch never straddles two files. Loop thread. */
gboolean rmq_commit_log_keep_together(RmqCommitLog *cl, gint64 bytes, GError **error);

/* (transfer none) Pointer to [offset, offset+size) if it lies within one
 * file and below the write position; NULL otherwise.  Valid until the file
 * is deleted by retention on this same thread. */
const guint8 *rmq_commit_log_peek(RmqCommitLog *cl, gint64 offset, gint64 size);
/* The same for a run of reads: *@hint (NULL at first) keeps the file of the
 * last one, looked up again only when @offset leaves it. Valid while no file
 * is added or removed (one call of the reader on the store's thread). */
const guint8 *rmq_commit_log_peek_hint(RmqCommitLog *cl, gint64 offset, gint64 size,
                                       RmqMappedFile **hint);
/* (transfer full) Zero-copy bytes that keep the file mapped. */
GBytes *rmq_commit_log_get_bytes(RmqCommitLog *cl, gint64 offset, gint64 size);
/* TOTALSIZE of the record at offset, or -1. */
gint32 rmq_commit_log_size_at(RmqCommitLog *cl, gint64 offset);
/* Start of the file after the one holding offset. */
gint64 rmq_commit_log_roll_next_file(RmqCommitLog *cl, gint64 offset);

gint64 rmq_commit_log_min_offset(RmqCommitLog *cl);
static inline gint64
rmq_commit_log_max_offset(RmqCommitLog *cl)
{
    return rmq_atomic64_get(&cl->wrote);
}

/* Store timestamp of the first record of the file, or -1. */
gint64 rmq_commit_log_file_first_timestamp(RmqMappedFile *f);

/* Recovery: validates records from `from` (a file start), stops at the
 * first torn or corrupt record, truncates everything after it and sets the
 * write and flush positions there.  Returns the recovered end. */
gint64 rmq_commit_log_recover(RmqCommitLog *cl, gint64 from, gboolean check_crc);
/* Sets positions without scanning (clean shutdown with a trusted end). */
void rmq_commit_log_set_end(RmqCommitLog *cl, gint64 end);

/* Starts a thread that keeps the `ahead` bytes after the write position
 * mapped (MADV_POPULATE_READ), so the appending thread does not take the
 * page faults that read (zero) fresh file pages in.  It starts with the
 * first append (an idle broker maps nothing ahead) and sleeps until the
 * writer has used half of what it mapped.  No-op if unsupported. */
void rmq_commit_log_start_warmer(RmqCommitLog *cl, gint64 ahead);
void rmq_commit_log_stop_warmer(RmqCommitLog *cl);
/* The writer moved the end of the log to @end (appends call it; the
 * replica's raw appends too). */
void rmq_commit_log_wrote_to(RmqCommitLog *cl, gint64 end);
/* Where the warmer has faulted pages in up to (tests). */
gint64 rmq_commit_log_warmed(RmqCommitLog *cl);

/* Flushes [flushed, wrote) with fdatasync; thread-safe against appends. */
gboolean rmq_commit_log_flush(RmqCommitLog *cl, GError **error);
