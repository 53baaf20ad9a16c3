/* Committed consumer offsets (Java ConsumerOffsetManager;
 * docs/protocol.md §3.3 code 43, §5.4, §7.6 consumerOffset.json, §10.6,
 * docs/protocol.md §12.4): "topic@group" -> {queueId: next offset to consume}. Pure. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RMQ_CONSUMER_OFFSET_ERROR (rmq_consumer_offset_error_quark())
GQuark rmq_consumer_offset_error_quark(void);
typedef enum {
    RMQ_CONSUMER_OFFSET_ERROR_INVALID, /* JSON has the wrong shape */
} RmqConsumerOffsetError;

typedef struct _RmqConsumerOffsets RmqConsumerOffsets;

RmqConsumerOffsets *rmq_consumer_offsets_new(void); /* (transfer full) */
void rmq_consumer_offsets_free(RmqConsumerOffsets *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqConsumerOffsets, rmq_consumer_offsets_free)

/* UPDATE_CONSUMER_OFFSET / a pull's commit: store @offset as is. */
void rmq_consumer_offsets_commit(RmqConsumerOffsets *t, const gchar *group, const gchar *topic,
                                 gint queue_id, gint64 offset);
/* The stored offset, -1 when none (QUERY_CONSUMER_OFFSET's "not found"). */
gint64 rmq_consumer_offsets_query(const RmqConsumerOffsets *t, const gchar *group,
                                  const gchar *topic, gint queue_id);
/* Copy all of @src_group's offsets on @topic to @dst_group (replacing
 * @dst_group's). FALSE when @src_group has none there. */
gboolean rmq_consumer_offsets_clone(RmqConsumerOffsets *t, const gchar *src_group,
                                    const gchar *dst_group, const gchar *topic);
/* Drop every topic of @group / every group of @topic; the number of
 * topic@group entries removed. */
guint rmq_consumer_offsets_remove_group(RmqConsumerOffsets *t, const gchar *group);
guint rmq_consumer_offsets_remove_topic(RmqConsumerOffsets *t, const gchar *topic);
/* Groups with offsets on @topic (whichGroupByTopic), topics of @group
 * (whichTopicByConsumer); sorted. (transfer full) */
GPtrArray *rmq_consumer_offsets_groups_of_topic(const RmqConsumerOffsets *t, const gchar *topic);
GPtrArray *rmq_consumer_offsets_topics_of_group(const RmqConsumerOffsets *t, const gchar *group);
/* Number of topic@group entries. */
guint rmq_consumer_offsets_size(const RmqConsumerOffsets *t);

/* {"offsetTable":{"topic@group":{"0":12}}} (standard quoted keys; fastjson
 * reads both). (transfer full) */
JsonNode *rmq_consumer_offsets_to_node(const RmqConsumerOffsets *t);
/* @pretty for consumerOffset.json, compact for code 43. (transfer full) */
gchar *rmq_consumer_offsets_to_json(const RmqConsumerOffsets *t, gboolean pretty);
/* Read such a document. With @replace it becomes the whole table (file load);
 * otherwise each topic@group present replaces ours and the rest stays, as a
 * slave merges its master's table (docs/protocol.md §12.4). Nothing changes on error. */
gboolean rmq_consumer_offsets_load_node(RmqConsumerOffsets *t, JsonNode *root, gboolean replace,
                                        GError **error);
/* Merge a GET_ALL_CONSUMER_OFFSET body (Java's unquoted keys accepted). */
gboolean rmq_consumer_offsets_merge_body(RmqConsumerOffsets *t, const gchar *body, gsize len,
                                         GError **error);
gboolean rmq_consumer_offsets_load_file(RmqConsumerOffsets *t, const gchar *path,
                                        GError **error);
gboolean rmq_consumer_offsets_save_file(const RmqConsumerOffsets *t, const gchar *path,
                                        GError **error);

G_END_DECLS
