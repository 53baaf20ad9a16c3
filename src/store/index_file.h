/* Key → commit-log offset index (docs/protocol.md §7.4): files index/<yyyyMMddHHmmssSSS>
 * with a 40-byte header, a hash slot table and chained 20-byte entries. */
#pragma once

#include <glib.h>

#include "store/mapped_file.h"

#define RMQ_INDEX_HEADER_SIZE 40
#define RMQ_INDEX_SLOT_SIZE 4
#define RMQ_INDEX_ENTRY_SIZE 20

typedef struct {
    RmqMappedFile *file;
    gint slots;
    gint max_entries;
} RmqIndexFile;

typedef struct {
    gint64 begin_timestamp;
    gint64 end_timestamp;
    gint64 begin_phy_offset;
    gint64 end_phy_offset;
    gint32 hash_slot_count;
    gint32 index_count;
} RmqIndexHeader;

gsize rmq_index_file_size(gint slots, gint max_entries);
void rmq_index_file_header(RmqIndexFile *ix, RmqIndexHeader *h);
/* keyHash of docs/protocol.md §7.4: |Java hashCode(key)|, MIN_VALUE → 0. */
gint32 rmq_index_key_hash(const char *key, gsize len);
/* FALSE when the file is full. */
gboolean rmq_index_file_put(RmqIndexFile *ix, const char *key, gsize len,
                            gint64 phy_offset, gint64 store_timestamp);
/* Appends matching offsets (newest first) to out, up to max. */
void rmq_index_file_lookup(RmqIndexFile *ix, const char *key, gsize len,
                           gint64 begin, gint64 end, guint max, GArray *out);

typedef gint64 (*RmqIndexClock)(gpointer data);

typedef struct {
    char *dir;
    gint slots;
    gint max_entries;
    GPtrArray *files;        /* RmqIndexFile*, oldest first */
    GMutex lock;             /* guards files against the flush thread */
    RmqIndexClock clock;
    gpointer clock_data;
} RmqIndexService;

RmqIndexService *rmq_index_service_new(const char *dir, gint slots, gint max_entries,
                                       RmqIndexClock clock, gpointer clock_data);
void rmq_index_service_free(RmqIndexService *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqIndexService, rmq_index_service_free)
gboolean rmq_index_service_load(RmqIndexService *s, GError **error);
/* Offsets below this are already indexed (re-dispatch after recovery). */
gint64 rmq_index_service_end_phy_offset(RmqIndexService *s);
/* Forgets the claim that data past the commit-log end was indexed, so
 * records rewritten there after recovery get entries again.  Entries that
 * now point at other records are filtered by readers (they check keys). */
void rmq_index_service_truncate(RmqIndexService *s, gint64 commit_log_end);
gboolean rmq_index_service_put(RmqIndexService *s, const char *key, gsize len,
                               gint64 phy_offset, gint64 store_timestamp, GError **error);
/* Offsets of entries for key with store time in [begin, end], newest first.
 * (transfer full) GArray of gint64 */
GArray *rmq_index_service_lookup(RmqIndexService *s, const char *key, guint max,
                                 gint64 begin, gint64 end);
gboolean rmq_index_service_sync(RmqIndexService *s, GError **error);
/* Deletes files (not the newest) whose entries all point below min. */
guint rmq_index_service_delete_expired(RmqIndexService *s, gint64 commit_log_min);
void rmq_index_service_last_update(RmqIndexService *s, gint64 *timestamp, gint64 *phy);
