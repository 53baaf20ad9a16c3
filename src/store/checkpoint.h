/* The 4096-byte `checkpoint` file (docs/protocol.md §7.5): store times of the last flushed
 * commit-log, consume-queue and index data.  Offset 24 (5.x's
 * masterFlushedOffset slot, unused by 4.x) holds the commit-log end at a
 * clean shutdown, 0 while running, so a clean restart needs no scan. */
#pragma once

#include <glib.h>

typedef struct {
    char *path;
    int fd;
    gint64 physic_timestamp;
    gint64 logics_timestamp;
    gint64 index_timestamp;
    gint64 clean_end_offset;
} RmqCheckpoint;

RmqCheckpoint *rmq_checkpoint_open(const char *path, GError **error);
gboolean rmq_checkpoint_flush(RmqCheckpoint *cp, GError **error);
void rmq_checkpoint_free(RmqCheckpoint *cp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqCheckpoint, rmq_checkpoint_free)
