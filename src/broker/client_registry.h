/* Producer and consumer groups as clients report them by HEART_BEAT (Java
 * ProducerManager + ConsumerManager, docs/protocol.md §5.5, §9.3): the channels of each group,
 * consumer subscriptions, expiry of silent channels, and the membership
 * change events that lead to NOTIFY_CONSUMER_IDS_CHANGED. No sockets are
 * touched here except to read a connection's peer and close a silent one. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "filter/filter.h"
#include "remoting/connection.h"

G_BEGIN_DECLS

typedef struct _RmqClientRegistry RmqClientRegistry;

typedef struct {
    gchar *topic;
    gchar *sub_string;       /* "*" or "TagA || TagB" */
    gchar *expression_type;  /* "TAG" or "SQL92" */
    gint64 sub_version;
    GPtrArray *tags;         /* tag strings */
    GArray *codes;           /* gint64 hash codes of @tags (recomputed) */
    RmqFilter *filter;       /* SQL92: @sub_string compiled, NULL if it does not compile */
} RmqSubscription;

/* Java's ExpressionType.isTagType: absent, empty or TAG. */
gboolean rmq_expression_type_is_tag(const gchar *type);

/* A "subscription" string as a PULL carries it: NULL for "*"/empty (all).
 * (transfer full) */
RmqSubscription *rmq_subscription_parse(const gchar *topic, const gchar *sub_string);
void rmq_subscription_free(RmqSubscription *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqSubscription, rmq_subscription_free)
JsonNode *rmq_subscription_to_node(const RmqSubscription *s);

typedef struct {
    RmqConnection *conn;     /* weak: removed on close */
    gchar *client_id;
    gint language;
    gint version;
    gint64 last_update_ms;
} RmqClientChannel;

typedef struct {
    gchar *group;
    gchar *consume_type;      /* "CONSUME_PASSIVELY" */
    gchar *message_model;     /* "CLUSTERING" */
    gchar *consume_from_where;
    GHashTable *channels;     /* RmqConnection* -> RmqClientChannel */
    GHashTable *subscriptions; /* topic -> RmqSubscription */
} RmqConsumerGroup;

/* Called with the group whose consumer membership changed. */
typedef void (*RmqConsumerGroupChanged)(const gchar *group, gpointer data);

RmqClientRegistry *rmq_client_registry_new(RmqConsumerGroupChanged changed, gpointer data);
void rmq_client_registry_free(RmqClientRegistry *r);

/* Apply a HeartbeatData body from @conn. @consumer_groups / @producer_groups
 * (may be NULL) get the group names seen (g_strdup'd). FALSE when the body
 * is not a heartbeat. */
gboolean rmq_client_registry_heartbeat(RmqClientRegistry *r, RmqConnection *conn,
                                       gint language, gint version, const gchar *body, gsize len,
                                       GPtrArray *consumer_groups, GPtrArray *producer_groups,
                                       GError **error);
void rmq_client_registry_unregister(RmqClientRegistry *r, RmqConnection *conn,
                                    const gchar *producer_group, const gchar *consumer_group);
/* The connection closed: drop it from every group. */
void rmq_client_registry_channel_closed(RmqClientRegistry *r, RmqConnection *conn);
/* Close channels silent for longer than @expire_ms; returns how many. */
guint rmq_client_registry_scan_expired(RmqClientRegistry *r, gint64 now_ms, gint64 expire_ms);

/* (transfer none) NULL when unknown. */
RmqConsumerGroup *rmq_client_registry_consumer_group(RmqClientRegistry *r, const gchar *group);
const RmqSubscription *rmq_client_registry_subscription(RmqClientRegistry *r, const gchar *group,
                                                        const gchar *topic);
/* Producer group channels: RmqConnection* -> RmqClientChannel, NULL if none. */
GHashTable *rmq_client_registry_producer_group(RmqClientRegistry *r, const gchar *group);
/* Every producer group: group name -> (RmqConnection* -> RmqClientChannel).
 * (transfer none) */
GHashTable *rmq_client_registry_producer_groups(RmqClientRegistry *r);
/* Sorted client ids of a consumer group. (transfer full, NULL if none) */
GPtrArray *rmq_client_registry_consumer_ids(RmqClientRegistry *r, const gchar *group);
/* Names of the consumer groups subscribed to @topic. (transfer full) */
GPtrArray *rmq_client_registry_groups_of_topic(RmqClientRegistry *r, const gchar *topic);
/* Any live channel of the producer @group, NULL if none. (transfer none) */
RmqConnection *rmq_client_registry_any_producer(RmqClientRegistry *r, const gchar *group);
/* The channel of the latest producer heartbeat that carried @client_id
 * (Java ProducerManager.findChannel), from an index kept by heartbeats,
 * unregistration, close and expiry: one lookup per reply. When that channel
 * goes, another producer channel of the same client id takes its place.
 * NULL if none or closed. (transfer none) */
RmqConnection *rmq_client_registry_find_producer_channel(RmqClientRegistry *r,
                                                         const gchar *client_id);
guint rmq_client_registry_producer_count(RmqClientRegistry *r);
guint rmq_client_registry_consumer_count(RmqClientRegistry *r);
/* Connection JSON {"clientAddr","clientId","language","version"}. (transfer full) */
JsonNode *rmq_client_channel_to_node(const RmqClientChannel *ch);

G_END_DECLS
