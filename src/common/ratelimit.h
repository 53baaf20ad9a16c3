/* Bounding what a peer can make us write: a per-key rate limiter for log
 * lines (so a flood of bad frames costs a few lines, plus one "suppressed N"
 * summary) and a truncation for values that go into logs and replies.
 * Pure: time is passed in, no I/O, no global state. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RmqRateLimit RmqRateLimit;

/* At most @burst events per key in each window of @interval_us. At most
 * @max_keys keys are tracked; past that, new keys share one overflow key
 * (so a peer cannot grow the table by changing its address). (transfer full) */
RmqRateLimit *rmq_rate_limit_new(guint burst, gint64 interval_us, guint max_keys);
void rmq_rate_limit_free(RmqRateLimit *rl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqRateLimit, rmq_rate_limit_free)

/* One event for @key (NULL: the shared key) at @now_us (monotonic). TRUE if it
 * may be logged; then *@suppressed (may be NULL) is how many events of this
 * key were refused since the last one allowed, for a "suppressed N" note. */
gboolean rmq_rate_limit_allow(RmqRateLimit *rl, const gchar *key, gint64 now_us,
                              guint64 *suppressed);
/* Keys tracked (overflow key included), for tests. */
guint rmq_rate_limit_key_count(const RmqRateLimit *rl);

/* @text cut to at most @max bytes on a UTF-8 boundary, followed by
 * "... (N bytes)" when it was cut; a copy of @text otherwise. NULL stays NULL.
 * For echoing or logging anything a peer sent. (transfer full) */
gchar *rmq_abbrev(const gchar *text, gsize max);
#define RMQ_ABBREV_DEFAULT 128

G_END_DECLS
