/* The broker's subscription group table (Java SubscriptionGroupManager;
 * docs/protocol.md §3.3 codes 200/201/207, §5.4, §7.6
 * subscriptionGroup.json, docs/protocol.md §12.4): per-group consume settings with the 4.9.7
 * defaults, the pre-seeded groups, auto-creation on first use, a DataVersion
 * bumped on each change, and the JSON wrapper. Pure. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "model/data_version.h"

G_BEGIN_DECLS

#define RMQ_SUBSCRIPTION_GROUP_ERROR (rmq_subscription_group_error_quark())
GQuark rmq_subscription_group_error_quark(void);
typedef enum {
    RMQ_SUBSCRIPTION_GROUP_ERROR_INVALID, /* JSON has the wrong shape */
} RmqSubscriptionGroupError;

/* Groups every broker pre-creates (MixAll, 4.9.7). */
#define RMQ_GROUP_TOOLS_CONSUMER "TOOLS_CONSUMER"
#define RMQ_GROUP_FILTERSRV_CONSUMER "FILTERSRV_CONSUMER"
#define RMQ_GROUP_SELF_TEST_CONSUMER "SELF_TEST_C_GROUP"
#define RMQ_GROUP_ONS_HTTP_PROXY "CID_ONS-HTTP-PROXY"
#define RMQ_GROUP_ONSAPI_PULL "CID_ONSAPI_PULL"
#define RMQ_GROUP_ONSAPI_PERMISSION "CID_ONSAPI_PERMISSION"
#define RMQ_GROUP_ONSAPI_OWNER "CID_ONSAPI_OWNER"
/* Groups with this prefix are auto-created even when auto-creation is off. */
#define RMQ_GROUP_SYS_PREFIX "CID_RMQ_SYS_"

/* One SubscriptionGroupConfig. */
typedef struct {
    gchar *group_name;
    gboolean consume_enable;                    /* true */
    gboolean consume_from_min_enable;           /* true */
    gboolean consume_broadcast_enable;          /* true */
    gint retry_queue_nums;                      /* 1 */
    gint retry_max_times;                       /* 16 */
    gint64 broker_id;                           /* 0 */
    gint64 which_broker_when_consume_slowly;    /* 1 */
    gboolean notify_consumer_ids_changed_enable; /* true */
} RmqSubscriptionGroup;

/* (transfer full) with the defaults shown above. */
RmqSubscriptionGroup *rmq_subscription_group_new(const gchar *name);
RmqSubscriptionGroup *rmq_subscription_group_copy(const RmqSubscriptionGroup *g);
void rmq_subscription_group_free(RmqSubscriptionGroup *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqSubscriptionGroup, rmq_subscription_group_free)
gboolean rmq_subscription_group_equal(const RmqSubscriptionGroup *a,
                                      const RmqSubscriptionGroup *b);
/* SubscriptionGroupConfig JSON, fields in fastjson order. (transfer full) */
JsonNode *rmq_subscription_group_to_node(const RmqSubscriptionGroup *g);
/* From an object (the UPDATE_AND_CREATE_SUBSCRIPTIONGROUP body or a table
 * entry); missing members keep the defaults, @name_hint serves when
 * "groupName" is absent. (transfer full) */
RmqSubscriptionGroup *rmq_subscription_group_from_node(JsonNode *node, const gchar *name_hint,
                                                       GError **error);
/* Same from body bytes (fastjson leniency included). (transfer full) */
RmqSubscriptionGroup *rmq_subscription_group_parse(const gchar *body, gsize len,
                                                   GError **error);

typedef struct _RmqSubscriptionGroupTable RmqSubscriptionGroupTable;

/* (transfer full) The seven pre-seeded groups, DataVersion counter 0. */
RmqSubscriptionGroupTable *rmq_subscription_group_table_new(void);
void rmq_subscription_group_table_free(RmqSubscriptionGroupTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqSubscriptionGroupTable, rmq_subscription_group_table_free)

/* (transfer none) NULL when unknown. */
const RmqSubscriptionGroup *rmq_subscription_group_table_lookup(const RmqSubscriptionGroupTable *t,
                                                                const gchar *group);
guint rmq_subscription_group_table_size(const RmqSubscriptionGroupTable *t);
/* Sorted names. (transfer container) */
GPtrArray *rmq_subscription_group_table_names(const RmqSubscriptionGroupTable *t);
/* (transfer none) */
const RmqDataVersion *rmq_subscription_group_table_version(const RmqSubscriptionGroupTable *t);

/* Create or replace (copied). TRUE, with a DataVersion bump, when the table
 * changed. */
gboolean rmq_subscription_group_table_update(RmqSubscriptionGroupTable *t,
                                             const RmqSubscriptionGroup *g);
/* findSubscriptionGroupConfig: the group, or a new default one when
 * @auto_create (autoCreateSubscriptionGroup, default true) or the name starts
 * with CID_RMQ_SYS_; NULL otherwise. *created (may be NULL) tells the caller
 * to persist. (transfer none) */
const RmqSubscriptionGroup *rmq_subscription_group_table_find_or_create(
    RmqSubscriptionGroupTable *t, const gchar *group, gboolean auto_create, gboolean *created);
/* TRUE (and a bump) when the group existed. */
gboolean rmq_subscription_group_table_delete(RmqSubscriptionGroupTable *t, const gchar *group);

/* {"dataVersion":…,"subscriptionGroupTable":{…}} (transfer full) */
JsonNode *rmq_subscription_group_table_to_node(const RmqSubscriptionGroupTable *t);
/* @pretty for subscriptionGroup.json, compact for code 201. (transfer full) */
gchar *rmq_subscription_group_table_to_json(const RmqSubscriptionGroupTable *t, gboolean pretty);
/* Entries put over the table's (file load) or, with @replace, become the
 * whole table; DataVersion taken from @root. Nothing changes on error. */
gboolean rmq_subscription_group_table_load_node(RmqSubscriptionGroupTable *t, JsonNode *root,
                                                gboolean replace, GError **error);
/* Slave sync (docs/protocol.md §12.4): replace the table when the master's DataVersion
 * differs; *changed (may be NULL) says to persist. */
gboolean rmq_subscription_group_table_sync_from_master(RmqSubscriptionGroupTable *t,
                                                       const gchar *body, gsize len,
                                                       gboolean *changed, GError **error);
gboolean rmq_subscription_group_table_load_file(RmqSubscriptionGroupTable *t, const gchar *path,
                                                GError **error);
gboolean rmq_subscription_group_table_save_file(const RmqSubscriptionGroupTable *t,
                                                const gchar *path, GError **error);

G_END_DECLS
