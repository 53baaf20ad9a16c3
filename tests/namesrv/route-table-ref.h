/* The pre-index route table (tests/namesrv/route-table-ref.c), same API as
 * namesrv/route_table.h with ref_ names; test-only. */
#pragma once

#include "namesrv/route_table.h"

typedef struct _RefRouteTable RefRouteTable;

void ref_register_result_clear(RmqRegisterResult *r);
void ref_broker_removal_free(RmqBrokerRemoval *r);
RefRouteTable *ref_route_table_new(void);
void ref_route_table_free(RefRouteTable *t);
void ref_route_table_register(RefRouteTable *t, const RmqBrokerIdentity *id,
                              const RmqRegisterBody *body, gint64 now_ms,
                              RmqRegisterResult *result);
RmqBrokerRemoval *ref_route_table_unregister(RefRouteTable *t, const RmqBrokerIdentity *id);
GPtrArray *ref_route_table_channel_closed(RefRouteTable *t, gpointer channel);
GPtrArray *ref_route_table_scan_expired(RefRouteTable *t, gint64 now_ms, gint64 expire_ms);
gboolean ref_route_table_query_data_version(RefRouteTable *t, const gchar *broker_addr,
                                            const RmqDataVersion *dv, gint64 now_ms,
                                            RmqDataVersion *stored, gboolean *has_stored);
GBytes *ref_route_table_get_route(RefRouteTable *t, const gchar *topic,
                                  const gchar *order_topic_conf);
GBytes *ref_route_table_get_cluster_info(RefRouteTable *t);
GBytes *ref_route_table_get_all_topics(RefRouteTable *t);
GBytes *ref_route_table_get_topics_by_cluster(RefRouteTable *t, const gchar *cluster);
GBytes *ref_route_table_get_system_topics(RefRouteTable *t);
GBytes *ref_route_table_get_unit_topics(RefRouteTable *t, RmqRouteUnitFilter which);
gboolean ref_route_table_delete_topic(RefRouteTable *t, const gchar *topic, const gchar *cluster);
gint ref_route_table_wipe_write_perm(RefRouteTable *t, const gchar *broker_name);
gint ref_route_table_add_write_perm(RefRouteTable *t, const gchar *broker_name);
guint ref_route_table_live_broker_count(RefRouteTable *t);
guint ref_route_table_topic_count(RefRouteTable *t);
gboolean ref_route_table_is_live(RefRouteTable *t, const gchar *broker_addr);
