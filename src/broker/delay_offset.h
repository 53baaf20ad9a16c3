/* Delivery progress of delayed messages (Java ScheduleMessageService's
 * offsetTable; docs/protocol.md §3.3 code 45, §7.6 delayOffset.json,
 * docs/protocol.md §11.2): per delay level (1-based), the next consume-queue offset of
 * SCHEDULE_TOPIC_XXXX queue level-1 to deliver. Pure. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RMQ_DELAY_OFFSET_ERROR (rmq_delay_offset_error_quark())
GQuark rmq_delay_offset_error_quark(void);
typedef enum {
    RMQ_DELAY_OFFSET_ERROR_INVALID, /* JSON has the wrong shape */
} RmqDelayOffsetError;

typedef struct _RmqDelayOffsets RmqDelayOffsets;

RmqDelayOffsets *rmq_delay_offsets_new(void); /* (transfer full) */
void rmq_delay_offsets_free(RmqDelayOffsets *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqDelayOffsets, rmq_delay_offsets_free)

void rmq_delay_offsets_set(RmqDelayOffsets *t, gint level, gint64 offset);
/* TRUE and *offset when @level has one. */
gboolean rmq_delay_offsets_lookup(const RmqDelayOffsets *t, gint level, gint64 *offset);
/* The level's offset, 0 when none (where Java's timer starts). */
gint64 rmq_delay_offsets_get(const RmqDelayOffsets *t, gint level);
guint rmq_delay_offsets_size(const RmqDelayOffsets *t);

/* {"offsetTable":{"1":0,"2":5}}, levels ascending. (transfer full) */
JsonNode *rmq_delay_offsets_to_node(const RmqDelayOffsets *t);
/* @pretty for delayOffset.json, compact for code 45. (transfer full) */
gchar *rmq_delay_offsets_to_json(const RmqDelayOffsets *t, gboolean pretty);
/* Replace the table with @root's (unquoted integer keys fine once parsed
 * leniently). Nothing changes on error. */
gboolean rmq_delay_offsets_load_node(RmqDelayOffsets *t, JsonNode *root, GError **error);
/* Same from text: a slave stores its master's code-45 body this way. */
gboolean rmq_delay_offsets_load_text(RmqDelayOffsets *t, const gchar *text, gsize len,
                                     GError **error);
gboolean rmq_delay_offsets_load_file(RmqDelayOffsets *t, const gchar *path, GError **error);
gboolean rmq_delay_offsets_save_file(const RmqDelayOffsets *t, const gchar *path, GError **error);

G_END_DECLS
