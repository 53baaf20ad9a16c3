/* Delivery of delayed messages (Java ScheduleMessageService, docs/protocol.md §11.2): one
 * cursor per level over SCHEDULE_TOPIC_XXXX queue level-1; a message whose
 * delivery time (kept in the consume-queue tag slot) has come is re-stored
 * to its REAL_TOPIC/REAL_QID and the cursor advances (delayOffset.json). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RmqBroker RmqBroker;
typedef struct _RmqScheduleService RmqScheduleService;

/* Starts delivering 1 s after creation, re-checking every 100 ms. */
RmqScheduleService *rmq_schedule_service_new(RmqBroker *b, GError **error);
void rmq_schedule_service_free(RmqScheduleService *s);
/* Delivery time of @level counted from @store_ms, or -1 for a bad level. */
gint64 rmq_schedule_service_deliver_time(RmqScheduleService *s, gint level, gint64 store_ms);
guint rmq_schedule_service_levels(RmqScheduleService *s);

G_END_DECLS
