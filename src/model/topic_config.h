/* TopicConfig (docs/protocol.md §5.3 and §8.5): one topic's queue
 * counts, permission, filter type, system flag and order flag, with the two
 * encodings RocketMQ gives it: the JSON object of topics.json,
 * GET_ALL_TOPIC_CONFIG and the REGISTER_BROKER body, and the
 * "name read write perm FILTER" text of the compressed REGISTER_BROKER
 * body. The one definition used by the broker (its topic table,
 * src/broker/topic_config.h), the name server and HA. Pure. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RMQ_TOPIC_CONFIG_ERROR (rmq_topic_config_error_quark())
GQuark rmq_topic_config_error_quark(void);
typedef enum {
    RMQ_TOPIC_CONFIG_ERROR_INVALID, /* JSON or text has the wrong shape */
} RmqTopicConfigError;

/* PermName bits (docs/protocol.md §8.5). */
#define RMQ_PERM_PRIORITY 8
#define RMQ_PERM_READ 4
#define RMQ_PERM_WRITE 2
#define RMQ_PERM_INHERIT 1

/* TopicSysFlag bits (docs/protocol.md §8.5). */
#define RMQ_TOPIC_SYS_FLAG_UNIT 1
#define RMQ_TOPIC_SYS_FLAG_UNIT_SUB 2

typedef enum {
    RMQ_TOPIC_FILTER_SINGLE_TAG,
    RMQ_TOPIC_FILTER_MULTI_TAG,
} RmqTopicFilterType;

typedef struct {
    gchar *topic_name;
    gint read_queue_nums;
    gint write_queue_nums;
    gint perm;
    gint topic_sys_flag;
    gboolean order;
    RmqTopicFilterType filter_type;
} RmqTopicConfig;

/* (transfer full) TopicConfig's defaults: 16/16 queues, perm 6, SINGLE_TAG,
 * sys flag 0, not ordered. */
RmqTopicConfig *rmq_topic_config_new(const gchar *name);
RmqTopicConfig *rmq_topic_config_copy(const RmqTopicConfig *tc); /* (transfer full) */
void rmq_topic_config_free(RmqTopicConfig *tc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqTopicConfig, rmq_topic_config_free)
/* Every field equal (order compared as a truth value). */
gboolean rmq_topic_config_equal(const RmqTopicConfig *a, const RmqTopicConfig *b);
/* A send's queueId is legal when < max(read, write) queue nums (docs/protocol.md §9.1). */
gboolean rmq_topic_config_queue_id_valid(const RmqTopicConfig *tc, gint queue_id);

/* "SINGLE_TAG"/"MULTI_TAG" (transfer none); parse returns FALSE for others. */
const gchar *rmq_topic_filter_type_name(RmqTopicFilterType t);
gboolean rmq_topic_filter_type_parse(const gchar *s, RmqTopicFilterType *out);

/* TopicConfig JSON object, members in fastjson's (sorted) order:
 * order, perm, readQueueNums, topicFilterType, topicName, topicSysFlag,
 * writeQueueNums. (transfer full) */
JsonNode *rmq_topic_config_to_node(const RmqTopicConfig *tc);

typedef enum {
    RMQ_TOPIC_CONFIG_DECODE_STRICT = 0,
    /* An unknown topicFilterType reads as SINGLE_TAG instead of failing
     * (the name server, like Java's, takes any broker's registration). */
    RMQ_TOPIC_CONFIG_DECODE_ANY_FILTER = 1 << 0,
} RmqTopicConfigDecodeFlags;

/* From a TopicConfig object. Missing members take the defaults; numbers may
 * be numeric strings and are clamped to the int range; @name_hint (may be
 * NULL) names the topic when "topicName" is absent or empty, and it is an
 * error when neither gives a name. (transfer full) */
RmqTopicConfig *rmq_topic_config_from_node(JsonNode *node, const gchar *name_hint,
                                           RmqTopicConfigDecodeFlags flags, GError **error);

/* TopicConfig.encode(): "name read write perm FILTER" (sys flag and order
 * are not part of it). (transfer full) */
gchar *rmq_topic_config_encode_text(const RmqTopicConfig *tc);
/* TopicConfig.decode() of @len bytes: exactly five space-separated fields,
 * a non-empty name and non-negative numbers; an unknown filter type reads
 * as SINGLE_TAG. NULL with @error otherwise. (transfer full) */
RmqTopicConfig *rmq_topic_config_decode_text(const gchar *text, gsize len, GError **error);

G_END_DECLS
