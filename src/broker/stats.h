/* The broker's statistics windows (Java BrokerStatsManager / StatsItem):
 * per (stats name, key) a running value and call count, sampled every 10 s
 * (the last 7 samples: a minute), every 10 min (7: an hour) and every hour
 * (25: a day). A window's sum is the value added between its first and last
 * sample, tps that sum per second, avgpt the sum per call. Pure: the caller
 * drives the samples with its clock (no timers, no sockets). A NULL table
 * (a broker built without one, as unit tests do) counts nothing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Java's stats names (BrokerStatsManager), with the keys they use. */
#define RMQ_STATS_TOPIC_PUT_NUMS "TOPIC_PUT_NUMS"   /* topic */
#define RMQ_STATS_TOPIC_PUT_SIZE "TOPIC_PUT_SIZE"   /* topic */
#define RMQ_STATS_GROUP_GET_NUMS "GROUP_GET_NUMS"   /* topic@group */
#define RMQ_STATS_GROUP_GET_SIZE "GROUP_GET_SIZE"   /* topic@group */
#define RMQ_STATS_SNDBCK_PUT_NUMS "SNDBCK_PUT_NUMS" /* topic@group */
#define RMQ_STATS_BROKER_PUT_NUMS "BROKER_PUT_NUMS" /* cluster name */
#define RMQ_STATS_BROKER_GET_NUMS "BROKER_GET_NUMS" /* cluster name */

typedef enum {
    RMQ_STATS_MINUTE,
    RMQ_STATS_HOUR,
    RMQ_STATS_DAY,
} RmqStatsWindow;

typedef struct {
    gint64 sum;
    gdouble tps;
    gdouble avgpt;
} RmqStatsSnapshot;

typedef struct _RmqStatsTable RmqStatsTable;
/* One (name, key) item of a table: a handle that stays valid as long as the
 * table (items are never removed), so a hot path resolves it once and adds
 * through it without building or comparing keys. */
typedef struct _RmqStatsItem RmqStatsItem;

RmqStatsTable *rmq_stats_table_new(void);
void rmq_stats_table_free(RmqStatsTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqStatsTable, rmq_stats_table_free)

/* Add @value to the item (@name, @key), one call (StatsItem.getValue().add,
 * getTimes().increment). The item is created on first use. */
void rmq_stats_add(RmqStatsTable *t, const gchar *name, const gchar *key, gint64 value);
/* The item (@name, @key), created on first use (NULL when @t is NULL), and
 * rmq_stats_add() through it (a NULL item counts nothing). */
RmqStatsItem *rmq_stats_item(RmqStatsTable *t, const gchar *name, const gchar *key);
void rmq_stats_item_add(RmqStatsItem *item, gint64 value);
/* Take a sample of every item into @window's list at @now_ms (a monotonic
 * clock: only differences between samples are used). */
void rmq_stats_sample(RmqStatsTable *t, RmqStatsWindow window, gint64 now_ms);
/* The window of (@name, @key); FALSE when the item does not exist. With
 * fewer than two samples everything is 0 (Java divides 0 by 0). */
gboolean rmq_stats_get(RmqStatsTable *t, const gchar *name, const gchar *key,
                       RmqStatsWindow window, RmqStatsSnapshot *out);

G_END_DECLS
