/* The broker's topic table (Java TopicConfigManager; docs/protocol.md
 * §3.3 codes 17/215/21, §5.3-5.4, §7.6 topics.json, §8.2, §8.5, §9.1): the
 * system topics every broker pre-creates, create/update/delete with a
 * DataVersion bumped on each change, auto-creation of unknown topics on send,
 * name rules, system-topic refusals, and the JSON of topics.json,
 * GET_ALL_TOPIC_CONFIG and the REGISTER_BROKER body. Pure: no sockets, no
 * loop; file persistence goes through json_file.h.
 *
 * The single-topic type, RmqTopicConfig, is src/model/topic_config.h. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "model/data_version.h"
#include "model/topic_config.h"
#include "remoting/codes.h"

G_BEGIN_DECLS

/* Well-known topic names (TopicValidator / MixAll, 4.9.7). */
#define RMQ_TOPIC_AUTO_CREATE_KEY "TBW102"
#define RMQ_TOPIC_SCHEDULE "SCHEDULE_TOPIC_XXXX"
#define RMQ_TOPIC_BENCHMARK "BenchmarkTest"
#define RMQ_TOPIC_TRANS_HALF "RMQ_SYS_TRANS_HALF_TOPIC"
#define RMQ_TOPIC_TRACE "RMQ_SYS_TRACE_TOPIC"
#define RMQ_TOPIC_TRANS_OP_HALF "RMQ_SYS_TRANS_OP_HALF_TOPIC"
#define RMQ_TOPIC_TRANS_CHECK_MAX_TIME "TRANS_CHECK_MAX_TIME_TOPIC"
#define RMQ_TOPIC_SELF_TEST "SELF_TEST_TOPIC"
#define RMQ_TOPIC_OFFSET_MOVED_EVENT "OFFSET_MOVED_EVENT"
#define RMQ_TOPIC_REPLY_SUFFIX "_REPLY_TOPIC"
#define RMQ_TOPIC_SYSTEM_PREFIX "rmq_sys_"
#define RMQ_TOPIC_RETRY_PREFIX "%RETRY%"
#define RMQ_TOPIC_DLQ_PREFIX "%DLQ%"
#define RMQ_TOPIC_SCHEDULE_QUEUE_NUMS 18
#define RMQ_TOPIC_NAME_MAX 127

/* Name rules (TopicValidator.validateTopic): non-blank, only
 * [%|a-zA-Z0-9_-], at most 127 characters. On failure *reason (may be NULL)
 * is Java's remark, static (transfer none); the response code is
 * SYSTEM_ERROR. */
gboolean rmq_topic_name_validate(const gchar *name, const gchar **reason);
/* Same rules for a consumer/producer group name, with "group" wording. */
gboolean rmq_group_name_validate(const gchar *name, const gchar **reason);
/* Topics no client may send to (NO_PERMISSION, docs/protocol.md §9.1). */
gboolean rmq_topic_is_send_forbidden(const gchar *name);
gboolean rmq_topic_is_retry(const gchar *name);

/* What a broker's configuration says about its topics (BrokerConfig names). */
typedef struct {
    const gchar *cluster_name;       /* brokerClusterName, "DefaultCluster" */
    const gchar *broker_name;        /* brokerName */
    gboolean auto_create_topic_enable; /* TRUE */
    gint default_topic_queue_nums;   /* 8 */
    gboolean cluster_topic_enable;   /* TRUE */
    gboolean broker_topic_enable;    /* TRUE */
    gboolean trace_topic_enable;     /* FALSE */
    const gchar *msg_trace_topic_name; /* "RMQ_SYS_TRACE_TOPIC" */
} RmqTopicTableOptions;

/* Fill @o with the 4.9.7 defaults (broker name "DEFAULT_BROKER"; a daemon
 * sets the host-derived name itself). */
void rmq_topic_table_options_init(RmqTopicTableOptions *o);

typedef struct _RmqTopicTable RmqTopicTable;

/* (transfer full) A table holding the system topics of docs/protocol.md §9.1 for @opts
 * (copied), DataVersion counter 0 / timestamp now. */
RmqTopicTable *rmq_topic_table_new(const RmqTopicTableOptions *opts);
void rmq_topic_table_free(RmqTopicTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqTopicTable, rmq_topic_table_free)

/* (transfer none) NULL when unknown. */
const RmqTopicConfig *rmq_topic_table_lookup(const RmqTopicTable *t, const gchar *name);
guint rmq_topic_table_size(const RmqTopicTable *t);
/* Sorted topic names. (transfer container: free the array, not the strings) */
GPtrArray *rmq_topic_table_names(const RmqTopicTable *t);
/* (transfer none) */
const RmqDataVersion *rmq_topic_table_version(const RmqTopicTable *t);

/* Create or replace @tc (copied). TRUE when the table changed, which bumps
 * the DataVersion; an identical config changes nothing. */
gboolean rmq_topic_table_update(RmqTopicTable *t, const RmqTopicConfig *tc);
/* Remove @name; TRUE (and a bump) when it existed. */
gboolean rmq_topic_table_delete(RmqTopicTable *t, const gchar *name);

/* System topics (TopicValidator.isSystemTopic): the fixed set, TBW102,
 * BenchmarkTest, the trace topic, the cluster/broker/reply topics of this
 * broker, and any name starting with "rmq_sys_". */
gboolean rmq_topic_table_is_system_topic(const RmqTopicTable *t, const gchar *name);
/* Sorted system topic names (GET_SYSTEM_TOPIC_LIST_FROM_BROKER).
 * (transfer full) */
GPtrArray *rmq_topic_table_system_topics(const RmqTopicTable *t);

/* Checks a processor runs before acting. Each returns RMQ_RESPONSE_SUCCESS,
 * or the code to answer with and, in *remark (may be NULL), Java's remark
 * (transfer full). */
/* SEND: name rules (SYSTEM_ERROR), then forbidden topics (NO_PERMISSION). */
RmqResponseCode rmq_topic_table_check_send(const RmqTopicTable *t, const gchar *topic,
                                           gchar **remark);
/* UPDATE_AND_CREATE_TOPIC / DELETE_TOPIC_IN_BROKER: name rules, then system
 * topics ("The topic[x] is conflict with system topic."), both SYSTEM_ERROR. */
RmqResponseCode rmq_topic_table_check_admin(const RmqTopicTable *t, const gchar *topic,
                                            gchar **remark);

/* SEND to @topic (docs/protocol.md §9.1): the existing config, else one auto-created from
 * @default_topic (must carry PERM_INHERIT; TBW102 never does when auto-create
 * is off) with min(@default_queue_nums, its writeQueueNums) queues and its
 * perm minus INHERIT, else for a %RETRY% topic one with 1 queue perm 6.
 * Returns NULL with TOPIC_NOT_EXIST's remark in *remark (may be NULL) when
 * none applies. *created (may be NULL) says whether the table changed (the
 * caller then persists and registers). (transfer none) */
const RmqTopicConfig *rmq_topic_table_get_or_create_for_send(RmqTopicTable *t, const gchar *topic,
                                                           const gchar *default_topic,
                                                           gint default_queue_nums,
                                                           gint topic_sys_flag,
                                                           gboolean *created, gchar **remark);
/* How many times entries were added, replaced or removed (a replacing load
 * counts too). A config pointer the table returned stays valid while this
 * count is unchanged: the send path keeps its last one with it. */
guint64 rmq_topic_table_changes(const RmqTopicTable *t);
/* The existing config or a new one with @queue_nums queues and @perm
 * (createTopicInSendMessageBackMethod: %RETRY%/%DLQ% topics). (transfer none) */
const RmqTopicConfig *rmq_topic_table_ensure(RmqTopicTable *t, const gchar *topic, gint queue_nums,
                                           gint perm, gint topic_sys_flag, gboolean *created);

/* TopicConfigSerializeWrapper {"dataVersion","topicConfigTable"}.
 * (transfer full) */
JsonNode *rmq_topic_table_to_node(const RmqTopicTable *t);
/* The same as text: @pretty for topics.json, compact for GET_ALL_TOPIC_CONFIG.
 * (transfer full) */
gchar *rmq_topic_table_to_json(const RmqTopicTable *t, gboolean pretty);
/* REGISTER_BROKER body {"filterServerList":[],"topicConfigSerializeWrapper":…}
 * of all topics, or only @only_topic when non-NULL (after
 * UPDATE_AND_CREATE_TOPIC). When @broker_perm is not RW every topic's perm is
 * replaced by it (docs/protocol.md §8.2). (transfer full) */
GBytes *rmq_topic_table_register_body(const RmqTopicTable *t, gint broker_perm,
                                      const gchar *only_topic);

/* Read a wrapper: its configs are put over the table's (topics.json load
 * keeps the pre-created system topics) or, with @replace, become the whole
 * table; the DataVersion becomes the wrapper's. Nothing changes on error. */
gboolean rmq_topic_table_load_node(RmqTopicTable *t, JsonNode *root, gboolean replace,
                                   GError **error);
/* Slave sync (docs/protocol.md §12.4): parse a GET_ALL_TOPIC_CONFIG body and, when its
 * DataVersion differs from ours, replace the table. *changed (may be NULL)
 * tells the caller to persist. */
gboolean rmq_topic_table_sync_from_master(RmqTopicTable *t, const gchar *body, gsize len,
                                          gboolean *changed, GError **error);

/* topics.json through json_file.h (with .bak fallback). A missing file
 * leaves the table as it is. */
gboolean rmq_topic_table_load_file(RmqTopicTable *t, const gchar *path, GError **error);
gboolean rmq_topic_table_save_file(const RmqTopicTable *t, const gchar *path, GError **error);

G_END_DECLS
