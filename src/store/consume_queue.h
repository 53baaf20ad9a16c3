/* One consume queue (docs/protocol.md §7.3): fixed 20-byte units (commit-log offset, record
 * size, tag code) for one (topic, queueId), logical offset n at byte n×20,
 * in mapped files named by their first byte. */
#pragma once

#include <glib.h>

#include "store/mapped_file.h"

#define RMQ_CQ_UNIT_SIZE 20
#define RMQ_CQ_FILLER_SIZE G_MAXINT32

typedef struct {
    gint64 physical_offset;
    gint32 size;
    gint64 tag_code;
} RmqCqUnit;

typedef struct {
    char *topic;
    gint32 queue_id;
    RmqMappedFileQueue *files;
    gint64 file_size;          /* a multiple of 20 */
    gint64 min_offset;         /* logical: first unit whose data still exists */
    gint64 max_offset;         /* logical: next offset to write */
    gint64 max_physical_end;   /* end of the last unit's record */
} RmqConsumeQueue;

void rmq_cq_unit_encode(guint8 out[RMQ_CQ_UNIT_SIZE], gint64 physical_offset,
                        gint32 size, gint64 tag_code);
void rmq_cq_unit_decode(const guint8 in[RMQ_CQ_UNIT_SIZE], RmqCqUnit *unit);

/* root is <storePathRootDir>/consumequeue. */
RmqConsumeQueue *rmq_consume_queue_new(const char *root, const char *topic,
                                       gint32 queue_id, gint64 file_size);
void rmq_consume_queue_free(RmqConsumeQueue *cq);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqConsumeQueue, rmq_consume_queue_free)

/* Opens the files and finds the last unit. */
gboolean rmq_consume_queue_load(RmqConsumeQueue *cq, GError **error);
/* Drops units whose record ends past the commit log end. */
void rmq_consume_queue_truncate_physical(RmqConsumeQueue *cq, gint64 commit_log_end);
/* Recomputes min_offset: first unit at or above the commit log minimum. */
void rmq_consume_queue_correct_min(RmqConsumeQueue *cq, gint64 commit_log_min);

/* Makes sure the file for logical offset exists (so that a full disk is
 * found before the record is appended). */
gboolean rmq_consume_queue_reserve(RmqConsumeQueue *cq, gint64 offset, GError **error);
/* Writes the unit for logical offset; already-present offsets are skipped
 * (re-dispatch after recovery), gaps are padded with filler units. */
gboolean rmq_consume_queue_put(RmqConsumeQueue *cq, gint64 offset, gint64 physical_offset,
                               gint32 size, gint64 tag_code, GError **error);
/* FALSE if offset is outside [first file, max_offset). */
gboolean rmq_consume_queue_get(RmqConsumeQueue *cq, gint64 offset, RmqCqUnit *unit);
/* The stored unit at @offset, followed in memory by the rest of its run
 * (rmq_consume_queue_contiguous() units in all); NULL when there is none. */
const guint8 *rmq_consume_queue_peek_run(RmqConsumeQueue *cq, gint64 offset);
/* Units readable contiguously from offset within its file. */
gint64 rmq_consume_queue_contiguous(RmqConsumeQueue *cq, gint64 offset);
/* First logical offset of the file after the one holding offset. */
gint64 rmq_consume_queue_roll_next_file(RmqConsumeQueue *cq, gint64 offset);
/* Deletes leading files whose every unit points below commit_log_min;
 * returns how many. */
guint rmq_consume_queue_delete_expired(RmqConsumeQueue *cq, gint64 commit_log_min);
void rmq_consume_queue_destroy(RmqConsumeQueue *cq);
