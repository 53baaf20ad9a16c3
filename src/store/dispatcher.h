/* The dispatcher (RocketMQ's reput): turns commit-log records into
 * consume-queue units and index entries, and owns the table of consume
 * queues.  Dispatch is idempotent, so recovery can replay any range. */
#pragma once

#include <glib.h>

#include "store/consume_queue.h"
#include "store/index_file.h"
#include "model/message_properties.h"
#include "store/message_format.h"

typedef struct {
    char *cq_root;                 /* <root>/consumequeue */
    gint64 cq_file_size;
    GHashTable *topics;            /* topic → GPtrArray of RmqConsumeQueue* by queueId */
    GMutex lock;                   /* guards topics against the flush thread */
    RmqIndexService *index;        /* NULL when messageIndexEnable is false */
    GArray *delay_levels;          /* gint64 ms per level */
    gint64 last_dispatched_ts;     /* atomic */
    gboolean index_failed;         /* warned once about a failing index */
    /* The topic rmq_dispatcher_find_queue found last and its queues: a run
     * of sends to one topic costs one strcmp instead of a hash and a
     * lookup. Read and written only where topics is read without the lock
     * (the store's one thread), and emptied by every change of topics'
     * entries, which that thread alone makes; the flush threads never
     * touch it. */
    struct {
        char name[128];
        GPtrArray *qs;             /* NULL: nothing remembered */
    } last;
} RmqDispatcher;

RmqDispatcher *rmq_dispatcher_new(const char *cq_root, gint64 cq_file_size,
                                  RmqIndexService *index, GArray *delay_levels);
void rmq_dispatcher_free(RmqDispatcher *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqDispatcher, rmq_dispatcher_free)

/* Opens every consumequeue/<topic>/<queueId>. */
gboolean rmq_dispatcher_load(RmqDispatcher *d, GError **error);
/* (transfer none) NULL if the queue does not exist. */
RmqConsumeQueue *rmq_dispatcher_find_queue(RmqDispatcher *d, const char *topic, gint32 queue_id);
/* (transfer none) Creates an empty queue (no files yet) when missing. */
RmqConsumeQueue *rmq_dispatcher_get_queue(RmqDispatcher *d, const char *topic, gint32 queue_id);
void rmq_dispatcher_foreach(RmqDispatcher *d, GFunc fn, gpointer data);
void rmq_dispatcher_delete_topic(RmqDispatcher *d, const char *topic);
/* Deletes one consume queue (files and table entry), and the topic's entry
 * when it was its last queue: new messages restart at queue offset 0. */
void rmq_dispatcher_delete_queue(RmqDispatcher *d, const char *topic, gint32 queue_id);

/* The consume-queue tag code of a record: TAGS hash, or the delivery time
 * for SCHEDULE_TOPIC_XXXX (docs/protocol.md §11.2). */
gint64 rmq_dispatcher_tag_code(RmqDispatcher *d, const RmqMessageRecord *r);
/* Writes the unit (NOT/COMMIT records) and index entries.  FALSE only when
 * the consume queue cannot be written; index failures are logged. */
gboolean rmq_dispatcher_dispatch(RmqDispatcher *d, const RmqMessageRecord *r, GError **error);
/* The same with @view (may be NULL): the record's properties parsed by the
 * caller, used when it describes exactly r->properties (one walk less per
 * message on the send path). */
gboolean rmq_dispatcher_dispatch_view(RmqDispatcher *d, const RmqMessageRecord *r,
                                      const RmqPropertyView *view, GError **error);
/* The same when the caller holds the record's consume queue @cq already
 * (rmq_dispatcher_get_queue of its topic and queue id; NULL: looked up). */
gboolean rmq_dispatcher_dispatch_cq(RmqDispatcher *d, const RmqMessageRecord *r,
                                    const RmqPropertyView *view, RmqConsumeQueue *cq,
                                    GError **error);
/* Flush thread: fdatasync dirty consume-queue and index files. */
gboolean rmq_dispatcher_sync(RmqDispatcher *d, GError **error);
