/* Parked PULL_MESSAGE requests (Java PullRequestHoldService, docs/protocol.md §10.3):
 * held per topic@queueId until a message arrives for that queue (and passes
 * the request's tag filter), a periodic check sees the queue grew, or the
 * hold time ends; then the request is re-executed and answered. */
#pragma once

#include <glib.h>
#include "remoting/connection.h"

G_BEGIN_DECLS

typedef struct _RmqLongPoll RmqLongPoll;

/* Re-execute @request for @conn (both transfer none) and send the answer. */
typedef void (*RmqLongPollWake)(RmqConnection *conn, const RmqCommand *request, gpointer data);
/* Current max offset of a queue, for the periodic check. */
typedef gint64 (*RmqLongPollMaxOffset)(const gchar *topic, gint32 queue_id, gpointer data);

/* @check_ms: period of the check for grown queues (Java: 5 s with long
 * polling, 1 s without); expired holds are answered within 100 ms. */
RmqLongPoll *rmq_long_poll_new(RmqLongPollWake wake, RmqLongPollMaxOffset max_offset,
                               gpointer data, guint check_ms);
void rmq_long_poll_free(RmqLongPoll *lp);

/* Hold @request (transfer full) from @conn (a ref is taken) until
 * @deadline_us (monotonic). @tag_codes: the filter's tag codes (copied; NULL
 * or empty = every tag matches). */
void rmq_long_poll_park(RmqLongPoll *lp, RmqConnection *conn, RmqCommand *request,
                        const gchar *topic, gint32 queue_id, gint64 offset, gint64 deadline_us,
                        const GArray *tag_codes);
/* A message was dispatched to (topic, queue_id), which now ends at
 * @max_offset; @tag_known FALSE wakes regardless of filters. */
void rmq_long_poll_notify(RmqLongPoll *lp, const gchar *topic, gint32 queue_id, gint64 max_offset,
                          gint64 tag_code, gboolean tag_known);
/* Re-execute and answer every parked request now (shutdown). */
void rmq_long_poll_wake_all(RmqLongPoll *lp);
guint rmq_long_poll_count(RmqLongPoll *lp);

G_END_DECLS
