/* The broker's message store (RocketMQ DefaultMessageStore): commit log,
 * consume queues, key index, recovery, flushing and retention behind one
 * facade.  A library: no sockets; the only main-loop contact is the flush
 * completion source attached to the GMainContext given at open.
 *
 * Threading: every function except rmq_store_wait_flushed() and
 * rmq_store_flushed_offset() must be called from one thread (the broker's
 * main loop thread, or the thread of a tool).  The store runs its own flush
 * threads. */
#pragma once

#include <glib.h>

#include "common/loop_hooks.h"

#include "model/message_properties.h"
#include "store/message_format.h"
#include "store/store_config.h"
#include "store/store_error.h"

#define RMQ_STORE_SCHEDULE_TOPIC "SCHEDULE_TOPIC_XXXX"

typedef enum {
    RMQ_PUT_OK,
    RMQ_PUT_FLUSH_DISK_TIMEOUT,
    RMQ_PUT_FLUSH_SLAVE_TIMEOUT,      /* for the broker's HA layer; never from the store */
    RMQ_PUT_SLAVE_NOT_AVAILABLE,      /* idem */
    RMQ_PUT_SERVICE_NOT_AVAILABLE,    /* store closed or in error */
    RMQ_PUT_CREATE_MAPPED_FILE_FAILED,
    RMQ_PUT_MESSAGE_ILLEGAL,
    RMQ_PUT_PROPERTIES_SIZE_EXCEEDED,
    RMQ_PUT_OS_PAGECACHE_BUSY,
    RMQ_PUT_DISK_FULL,                /* no space for new files, or usage above
                                       * the warning ratio; answer SERVICE_NOT_AVAILABLE */
    RMQ_PUT_UNKNOWN_ERROR,
} RmqPutStatus;

const char *rmq_put_status_name(RmqPutStatus status);

typedef struct {
    RmqPutStatus status;
    gint64 physical_offset;   /* first record */
    gint32 wrote_bytes;       /* all records */
    gint64 queue_offset;      /* first record */
    gint32 msg_num;
    gint64 store_timestamp;
    char msg_id[57];          /* offset message id of the first record */
    gboolean delayed;         /* parked in SCHEDULE_TOPIC_XXXX (DELAY > 0), not in its topic */
} RmqPutResult;

/* GetMessageStatus (docs/protocol.md §10.2 step 4) */
typedef enum {
    RMQ_GET_FOUND,
    RMQ_GET_NO_MATCHED_MESSAGE,
    RMQ_GET_MESSAGE_WAS_REMOVING,
    RMQ_GET_OFFSET_FOUND_NULL,
    RMQ_GET_OFFSET_OVERFLOW_BADLY,
    RMQ_GET_OFFSET_OVERFLOW_ONE,
    RMQ_GET_OFFSET_TOO_SMALL,
    RMQ_GET_NO_MATCHED_LOGIC_QUEUE,
    RMQ_GET_NO_MESSAGE_IN_QUEUE,
} RmqGetStatus;

const char *rmq_get_status_name(RmqGetStatus status);

typedef struct {
    RmqGetStatus status;
    gint64 next_begin_offset;
    gint64 min_offset;
    gint64 max_offset;
    GBytes *body;             /* records back to back, NULL unless FOUND */
    guint msg_count;
    GArray *queue_offsets;    /* gint64 per record returned */
    gboolean suggest_pulling_from_slave;
} RmqGetResult;

void rmq_get_result_free(RmqGetResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqGetResult, rmq_get_result_free)

/* Consume-queue tag filter: TRUE to deliver a unit with this tag code. */
typedef gboolean (*RmqStoreTagFilter)(gint64 tag_code, gpointer user_data);
/* Commit-log filter (Java isMatchedByCommitLog): TRUE to deliver the stored
 * record [record, record + size), which passed the tag filter. */
typedef gboolean (*RmqStoreRecordFilter)(const guint8 *record, gint32 size, gpointer user_data);

typedef struct {
    GBytes *body;             /* matching records back to back, NULL if none */
    guint count;
    gint64 index_last_update_timestamp;
    gint64 index_last_update_phy_offset;
} RmqQueryResult;

void rmq_query_result_free(RmqQueryResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqQueryResult, rmq_query_result_free)

typedef void (*RmqStoreFlushCallback)(RmqPutStatus status, gpointer user_data);

typedef struct RmqStore RmqStore;

/* Opens (creating if needed) and recovers the store under
 * config->store_path_root_dir.  context: where flush completions and the
 * retention timer run; NULL: completions go to the thread-default context
 * of the first rmq_store_flush_async() caller, and retention is left to
 * the caller.  The config is copied. */
RmqStore *rmq_store_open(const RmqStoreConfig *config, GMainContext *context, GError **error);
/* The same with the flush completions and the retention timer as watches and
 * timers of @hooks (the broker passes its loop's poller) instead of GSources
 * on @context; @hooks must outlive the store. */
RmqStore *rmq_store_open_full(const RmqStoreConfig *config, GMainContext *context,
                              const RmqLoopHooks *hooks, GError **error);
/* Clean shutdown: flush everything, write the checkpoint, remove `abort`. */
void rmq_store_close(RmqStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqStore, rmq_store_close)

/* TRUE if the last open found an `abort` file (crash recovery ran). */
gboolean rmq_store_was_abnormal(RmqStore *store);
/* The configuration in force. (transfer none) */
const RmqStoreConfig *rmq_store_get_config(RmqStore *store);
/* Take the keys of @config that may change while the store runs (the flush
 * intervals and syncFlushTimeout, deleteWhen, fileReservedTime,
 * diskMaxUsedSpaceRatio, cleanFileForciblyEnable, cleanResourceInterval, the
 * pull transfer caps, accessMessageInMemoryMaxRatio, maxMessageSize); the
 * others (paths, geometry, flush type) are left as opened. Loop thread. */
void rmq_store_reconfigure(RmqStore *store, const RmqStoreConfig *config);

/* Appends, assigns the queue offset and dispatches to the consume queue and
 * index at once (readers see the message when this returns).  Does not
 * wait for the disk: see rmq_store_flush_async()/rmq_store_wait_flushed().
 * Messages with DELAY=n (transaction NOT/COMMIT) are parked in
 * SCHEDULE_TOPIC_XXXX queue n-1 with REAL_TOPIC/REAL_QID, as Java does. */
RmqPutStatus rmq_store_put_message(RmqStore *store, const RmqMessage *msg, RmqPutResult *result);
/* The same with @view (may be NULL): @msg's properties parsed by the caller
 * (message_properties.h), used for DELAY and the dispatch when it describes
 * exactly msg->properties; values it points to must live until this returns. */
RmqPutStatus rmq_store_put_message_view(RmqStore *store, const RmqMessage *msg,
                                        const RmqPropertyView *view, RmqPutResult *result);
/* A batch for one topic/queue: consecutive queue offsets.  Space is
 * reserved first, so DISK_FULL leaves nothing appended. */
RmqPutStatus rmq_store_put_messages(RmqStore *store, const RmqMessage *msgs, guint n,
                                    RmqPutResult *result);
/* The same with @views (may be NULL): views[i] is msgs[i]'s properties, used
 * as rmq_store_put_message_view() uses its view. */
RmqPutStatus rmq_store_put_messages_view(RmqStore *store, const RmqMessage *msgs, guint n,
                                         const RmqPropertyView *views, RmqPutResult *result);

/* End offset to wait for after a put: physical_offset + wrote_bytes. */
static inline gint64
rmq_put_result_end(const RmqPutResult *r)
{
    return r->physical_offset + r->wrote_bytes;
}
/* Calls cb on the open's GMainContext with PUT_OK once offset is on disk,
 * or FLUSH_DISK_TIMEOUT after syncFlushTimeout.  Never calls cb directly. */
void rmq_store_flush_async(RmqStore *store, gint64 offset, RmqStoreFlushCallback cb,
                           gpointer user_data);
/* Blocking variant; any thread.  timeout_ms < 0: syncFlushTimeout. */
RmqPutStatus rmq_store_wait_flushed(RmqStore *store, gint64 offset, gint timeout_ms);
gint64 rmq_store_flushed_offset(RmqStore *store);
guint64 rmq_store_flush_rounds(RmqStore *store);
/* rmq_store_flush_async() callers not yet answered, and when the oldest
 * asked (monotonic µs, 0 if none): the broker's flow control reads it. */
guint rmq_store_flush_pending(RmqStore *store, gint64 *oldest_us);

RmqGetResult *rmq_store_get_message(RmqStore *store, const char *topic, gint32 queue_id,
                                    gint64 offset, gint32 max_msg_nums,
                                    RmqStoreTagFilter filter, gpointer filter_data);
/* The same with a commit-log filter as well (either may be NULL; both get
 * @filter_data). A record it refuses is skipped like a tag mismatch: the
 * next begin offset moves past it. */
RmqGetResult *rmq_store_get_message_filtered(RmqStore *store, const char *topic, gint32 queue_id,
                                             gint64 offset, gint32 max_msg_nums,
                                             RmqStoreTagFilter filter,
                                             RmqStoreRecordFilter record_filter,
                                             gpointer filter_data);

gint64 rmq_store_get_min_offset(RmqStore *store, const char *topic, gint32 queue_id);
gint64 rmq_store_get_max_offset(RmqStore *store, const char *topic, gint32 queue_id);
/* Physical offset of the record at a queue offset, -1 if none. */
gint64 rmq_store_get_commit_log_offset(RmqStore *store, const char *topic, gint32 queue_id,
                                       gint64 offset);
/* SEARCH_OFFSET_BY_TIMESTAMP: exact match, else the nearer neighbour, 0 if none. */
gint64 rmq_store_get_offset_by_time(RmqStore *store, const char *topic, gint32 queue_id,
                                    gint64 timestamp);
/* Store time of the message at a queue offset, -1 if none. */
gint64 rmq_store_get_message_store_timestamp(RmqStore *store, const char *topic,
                                             gint32 queue_id, gint64 offset);
/* GET_EARLIEST_MSG_STORETIME: store time at min offset, -1 if none. */
gint64 rmq_store_get_earliest_message_time(RmqStore *store, const char *topic, gint32 queue_id);
/* Store time of the first record in the commit log, -1 if empty. */
gint64 rmq_store_get_earliest_commit_log_time(RmqStore *store);

gint64 rmq_store_get_min_phy_offset(RmqStore *store);
gint64 rmq_store_get_max_phy_offset(RmqStore *store);
/* Commit-log bytes not yet in the queues and index (Java's dispatchBehindBytes):
 * a slave's partial record; 0 on a master, whose put dispatches at once. */
gint64 rmq_store_dispatch_behind_bytes(RmqStore *store);

/* VIEW_MESSAGE_BY_ID: the whole record at a physical offset.  (transfer full) */
GBytes *rmq_store_look_message_by_offset(RmqStore *store, gint64 physical_offset);
GBytes *rmq_store_select_message(RmqStore *store, gint64 physical_offset, gint32 size);

/* QUERY_MESSAGE by KEYS entry or UNIQ_KEY, store time in [begin, end]. */
RmqQueryResult *rmq_store_query_message(RmqStore *store, const char *topic, const char *key,
                                        guint max_num, gint64 begin, gint64 end);

/* Replication (classic HA, docs/protocol.md §12).  Master side: commit-log bytes from offset
 * to the end of written data in the file holding it, at most max_len,
 * zero-copy.  NULL when offset is not in [min, max).  (transfer full) */
GBytes *rmq_store_get_commit_log_data(RmqStore *store, gint64 offset, gsize max_len);
/* Slave side: appends bytes received from the master for `offset`, which
 * must be our max physical offset (and the master's mappedFileSizeCommitLog
 * ours).  Whole records are dispatched to queues and index at once; a
 * partial record waits for the rest.  Errors: RMQ_STORE_ERROR_INVALID (wrong
 * offset), _DISK_FULL, _CORRUPT (data that is not records; nothing after
 * the bad record is dispatched). */
gboolean rmq_store_append_raw(RmqStore *store, gint64 offset, const guint8 *data, gsize len,
                              GError **error);

/* Topics that have consume queues.  (transfer container) */
GPtrArray *rmq_store_list_topics(RmqStore *store);
/* Deletes a topic's consume queues (DELETE_TOPIC_IN_BROKER). */
void rmq_store_delete_topic(RmqStore *store, const char *topic);

/* QUERY_CONSUME_QUEUE: the units from logical offset @index on, at most
 * @count, within the file holding @index (Java's getIndexBuffer); NULL when
 * the queue has no unit at @index (below its minimum, or past its end).
 * (transfer full: GArray of RmqCqUnit) */
GArray *rmq_store_get_queue_units(RmqStore *store, const char *topic, gint32 queue_id,
                                  gint64 index, gint32 count);
/* TRUE when (topic, queue_id) has a consume queue. */
gboolean rmq_store_has_queue(RmqStore *store, const char *topic, gint32 queue_id);
/* CLEAN_EXPIRED_CONSUMEQUEUE (Java cleanExpiredConsumerQueue): deletes
 * every consume queue, SCHEDULE_TOPIC_XXXX's aside, whose last record ends
 * below the commit log's minimum offset (empty queues stay). Returns how
 * many queues went. */
guint rmq_store_clean_expired_queues(RmqStore *store);
/* CLEAN_UNUSED_TOPIC (Java cleanUnusedTopic): deletes the consume queues of
 * every topic @keep answers FALSE for (SCHEDULE_TOPIC_XXXX and
 * RMQ_SYS_TRANS_OP_HALF_TOPIC are always kept). Returns how many topics went. */
guint rmq_store_clean_unused_topics(RmqStore *store, gboolean (*keep)(const char *topic, gpointer data),
                                    gpointer data);

/* Retention (docs/protocol.md §7.7): runs every cleanResourceInterval (10 s) on the
 * GMainContext given at open; without one, call it yourself that often.  Deletes at most 10 expired commit-log files when the local hour
 * is in deleteWhen or the disk is above diskMaxUsedSpaceRatio (any age
 * above the forcible ratio), then consume-queue and index files that point
 * below the new minimum.  Also refreshes the disk-full flag.  Returns the
 * number of commit-log files deleted. */
guint rmq_store_clean_expired(RmqStore *store, gboolean manual);
/* Percent of the commit-log partition in use, -1 on error. */
gdouble rmq_store_disk_usage(RmqStore *store);
gboolean rmq_store_is_disk_full(RmqStore *store);
/* Why messages are being refused for lack of space (a new file could not be
 * made, or usage is above the ratio), for STATUS=; NULL when they are not.
 * Any thread. (transfer full) */
gchar *rmq_store_space_problem(RmqStore *store);

/* Test seam: runs on the flush thread before each commit-log sync. */
void rmq_store_set_flush_hook(RmqStore *store, void (*hook)(gpointer), gpointer data);
/* On the loop, right before and after the rmq_store_flush_async() callbacks
 * that one completion round delivers (the writers one fdatasync covered):
 * their answers can go out together. Either may be NULL. */
void rmq_store_set_flush_round_hooks(RmqStore *store, void (*begin)(gpointer),
                                     void (*end)(gpointer), gpointer data);
