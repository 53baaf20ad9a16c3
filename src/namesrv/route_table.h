/* The name server's routing state (docs/protocol.md §8.1-8.4): topic ->
 * queue data, broker name -> addresses, cluster -> broker names, broker
 * address -> liveness. Pure: time is passed in (milliseconds, any clock),
 * connections are opaque pointers that are stored and compared, never used.
 * JSON bodies (docs/protocol.md §5.1, §5.2) are standard JSON with quoted numeric keys. */
#pragma once

#include <glib.h>
#include "namesrv/register_body.h"

G_BEGIN_DECLS

#define RMQ_MASTER_ID 0

typedef struct _RmqRouteTable RmqRouteTable;

/* The REGISTER_BROKER / UNREGISTER_BROKER header fields. */
typedef struct {
    const gchar *cluster_name;
    const gchar *broker_name;
    const gchar *broker_addr;    /* "ip:port" */
    const gchar *ha_server_addr; /* "ip:haPort", may be NULL */
    gint64 broker_id;            /* 0 master, > 0 slave */
    gpointer channel;            /* connection it came on, may be NULL */
} RmqBrokerIdentity;

/* What a REGISTER_BROKER reply carries (docs/protocol.md §8.2 step 5): both NULL for a
 * master or a slave whose master is not alive. */
typedef struct {
    gchar *master_addr;
    gchar *ha_server_addr;
    gboolean first_registration; /* the address was not live before */
} RmqRegisterResult;
void rmq_register_result_clear(RmqRegisterResult *r);

/* A broker address dropped by expiry, channel close or unregister. */
typedef struct {
    gchar *cluster_name;         /* NULL if the broker name had no cluster */
    gchar *broker_name;          /* NULL if the address was not in any BrokerData */
    gchar *broker_addr;
    gint64 broker_id;            /* -1 if unknown */
    gpointer channel;            /* the live channel the address had (may be NULL) */
    gboolean broker_name_removed; /* its last address: queues dropped from topics */
} RmqBrokerRemoval;
void rmq_broker_removal_free(RmqBrokerRemoval *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqBrokerRemoval, rmq_broker_removal_free)

RmqRouteTable *rmq_route_table_new(void); /* (transfer full) */
void rmq_route_table_free(RmqRouteTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqRouteTable, rmq_route_table_free)

/* REGISTER_BROKER (docs/protocol.md §8.2). @body may be NULL (DataVersion {0,0}, no topics).
 * @result is filled (clear it with rmq_register_result_clear). */
void rmq_route_table_register(RmqRouteTable *t, const RmqBrokerIdentity *id,
                              const RmqRegisterBody *body, gint64 now_ms,
                              RmqRegisterResult *result);

/* UNREGISTER_BROKER (docs/protocol.md §8.3): drop (broker_name, broker_id) and broker_addr's
 * liveness. (transfer full) the removal, or NULL if nothing was known. */
RmqBrokerRemoval *rmq_route_table_unregister(RmqRouteTable *t, const RmqBrokerIdentity *id);

/* The connection @channel closed: drop the broker address registered on it.
 * (transfer full) array of RmqBrokerRemoval (possibly empty). */
GPtrArray *rmq_route_table_channel_closed(RmqRouteTable *t, gpointer channel);

/* Drop every broker whose last registration is older than @expire_ms at
 * @now_ms. (transfer full) array of RmqBrokerRemoval; the caller closes
 * their channels. */
GPtrArray *rmq_route_table_scan_expired(RmqRouteTable *t, gint64 now_ms, gint64 expire_ms);

/* QUERY_DATA_VERSION (docs/protocol.md §3.1 code 322): TRUE when the stored DataVersion of
 * @broker_addr is missing or differs from @dv; when unchanged the broker's
 * last-seen time becomes @now_ms. @stored (may be NULL) gets the stored
 * version and *has_stored whether there is one. */
gboolean rmq_route_table_query_data_version(RmqRouteTable *t, const gchar *broker_addr,
                                            const RmqDataVersion *dv, gint64 now_ms,
                                            RmqDataVersion *stored, gboolean *has_stored);

/* GET_ROUTEINFO_BY_TOPIC body (docs/protocol.md §8.4), or NULL when the topic has no route.
 * @order_topic_conf (may be NULL) becomes "orderTopicConf". Routes without
 * it are cached until a change reaches that topic's route. (transfer full) */
GBytes *rmq_route_table_get_route(RmqRouteTable *t, const gchar *topic,
                                  const gchar *order_topic_conf);

/* ClusterInfo body (code 106). (transfer full) */
GBytes *rmq_route_table_get_cluster_info(RmqRouteTable *t);

/* TopicList bodies. (transfer full) */
GBytes *rmq_route_table_get_all_topics(RmqRouteTable *t);          /* 206 */
GBytes *rmq_route_table_get_topics_by_cluster(RmqRouteTable *t,
                                              const gchar *cluster); /* 224 */
GBytes *rmq_route_table_get_system_topics(RmqRouteTable *t);       /* 304 */
typedef enum {
    RMQ_ROUTE_UNIT_TOPICS,               /* 311: unit flag */
    RMQ_ROUTE_HAS_UNIT_SUB_TOPICS,       /* 312: unit-sub flag */
    RMQ_ROUTE_HAS_UNIT_SUB_UNUNIT_TOPICS, /* 313: unit-sub flag, not unit */
} RmqRouteUnitFilter;
GBytes *rmq_route_table_get_unit_topics(RmqRouteTable *t, RmqRouteUnitFilter which);

/* DELETE_TOPIC_IN_NAMESRV: @cluster NULL removes the topic entirely, else
 * only the queues on that cluster's brokers. TRUE if anything was removed. */
gboolean rmq_route_table_delete_topic(RmqRouteTable *t, const gchar *topic,
                                      const gchar *cluster);

/* WIPE_WRITE_PERM_OF_BROKER / ADD_WRITE_PERM_OF_BROKER: number of topics
 * whose queue data of @broker_name was touched. */
gint rmq_route_table_wipe_write_perm(RmqRouteTable *t, const gchar *broker_name);
gint rmq_route_table_add_write_perm(RmqRouteTable *t, const gchar *broker_name);

/* Counts for STATUS= and tests. */
guint rmq_route_table_live_broker_count(RmqRouteTable *t);
guint rmq_route_table_topic_count(RmqRouteTable *t);
gboolean rmq_route_table_is_live(RmqRouteTable *t, const gchar *broker_addr);

/* Table entries visited so far by every operation: the tests check with it
 * that per-broker operations stay within that broker's entries. */
guint64 rmq_route_table_work(RmqRouteTable *t);

G_END_DECLS
