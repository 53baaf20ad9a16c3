/* Shared internals of the client library: the name-server/route core every
 * producer, consumer and admin object embeds, and helpers between files. */
#pragma once

#include <glib.h>
#include "client/rmq-client.h"
#include "remoting/client.h"
#include "remoting/codes.h"

G_BEGIN_DECLS

#define RMQ_MQ_DEFAULT_TOPIC "TBW102"
#define RMQ_MQ_REPLY_FLAG "reply" /* MSG_TYPE of a reply (MixAll.REPLY_MESSAGE_FLAG) */
#define RMQ_MQ_ROUTE_TTL_US (30 * G_USEC_PER_SEC) /* pollNameServerInterval */
#define RMQ_MQ_NS_TIMEOUT_MS 3000

typedef struct {
    gchar *broker_name;
    gint perm;
    gint read_queue_nums;
    gint write_queue_nums;
} RmqQueueData;

typedef struct {
    gchar *broker_name;
    gchar *cluster;
    GHashTable *addrs; /* broker id (gint64 as string) -> "ip:port" */
} RmqBrokerData;

/* A parsed TopicRouteData. */
typedef struct {
    GPtrArray *queue_datas;  /* of RmqQueueData */
    GPtrArray *broker_datas; /* of RmqBrokerData */
    JsonNode *raw;
    gint64 fetched_us;       /* monotonic */
} RmqRoute;

void rmq_route_free(RmqRoute *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqRoute, rmq_route_free)
RmqRoute *rmq_route_parse(const guint8 *data, gsize len, GError **error);
/* (transfer none) master (id 0) address of @broker_name, or NULL. */
const gchar *rmq_route_master_addr(const RmqRoute *r, const gchar *broker_name);
/* (transfer none) master, else the lowest id. */
const gchar *rmq_route_any_addr(const RmqRoute *r, const gchar *broker_name);

/* The public RmqInstance: one per client process part, as Java's
 * MQClientInstance. Everything on it (the connections, one per broker and
 * name server, the route cache, the client id) is shared by the producers,
 * consumers and admin objects made on it. Refcounted; single-threaded on
 * its context. */
struct _RmqInstance {
    gint ref_count;
    GMainContext *context;
    struct _RmqFdPoller *poller; /* a private context's, owning its poll function; else NULL */
    RmqClient *client;
    gchar **namesrvs;
    guint ns_index;     /* sticky until failure (docs/protocol.md §9.2) */
    GHashTable *routes; /* topic -> RmqRoute */
    gchar *client_id;   /* ip@pid#nanos */
    gchar *client_ip;
    gchar *access_key;  /* plain ACL credentials, NULL = requests go unsigned */
    gchar *secret_key;
    gchar *security_token;
    GHashTable *reply_waiters; /* CORRELATION_ID -> RmqReplyWaiter (not owned): requests
                                * waiting for their PUSH_REPLY_MESSAGE_TO_CLIENT */
    GList *consumers;   /* RmqConsumer made on it (transfer none), for broker requests */
};
typedef struct _RmqInstance RmqMqCore;

/* One rmq_producer_request() waiting for its reply (producer.c). */
typedef struct {
    RmqMsg *reply;         /* set by the dispatch of code 326 (transfer full) */
    gboolean send_done;    /* the send of the request finished */
    GError *send_error;    /* ... and failed */
    gboolean timed_out;
    gboolean abandoned;    /* the caller returned: the send callback frees it */
} RmqReplyWaiter;
/* A PUSH_REPLY_MESSAGE_TO_CLIENT request as the message it carries (Java
 * ClientRemotingProcessor.receiveReplyMessage), ARRIVE_TIME added.
 * (transfer full) NULL + error when the body does not inflate. */
RmqMsg *rmq_mq_reply_from_push(const RmqCommand *push, GError **error);
/* zlib body of a compressed message. (transfer full) */
GBytes *rmq_mq_inflate_body(const guint8 *data, gsize len, GError **error);
/* Request to the name servers, sticky one first, rotating on connect
 * failures/timeouts. (transfer full) any response; NULL +
 * NAMESRV_UNREACHABLE when none answered. @request transfer full. */
RmqCommand *rmq_mq_core_invoke_ns(RmqMqCore *core, RmqCommand *request, GError **error);
/* Blocking request to one server. NULL + BROKER_UNREACHABLE/TIMEOUT. */
RmqCommand *rmq_mq_core_invoke(RmqMqCore *core, const gchar *addr, RmqCommand *request,
                               guint timeout_ms, GError **error);
/* Route of @topic: cached for 30 s; @force refetches. (transfer none)
 * NULL + TOPIC_NOT_EXIST / NAMESRV_UNREACHABLE. */
const RmqRoute *rmq_mq_core_route(RmqMqCore *core, const gchar *topic, gboolean force,
                                  GError **error);
void rmq_mq_core_forget_route(RmqMqCore *core, const gchar *topic);
/* Sets a BROKER_REFUSED error for a non-success @resp from @addr. */
void rmq_mq_set_refused(GError **error, const gchar *addr, const RmqCommand *resp);
/* Maps a remoting-client error to RMQ_MQ_ERROR (BROKER_UNREACHABLE/TIMEOUT). */
void rmq_mq_set_transport(GError **error, const gchar *addr, const GError *cause);

/* Requests brokers send on our connections (consumer.c): offset resets,
 * consumer status and running info. The RmqClient's request handler. */
void rmq_mq_core_on_request(RmqConnection *conn, RmqCommand *request, gpointer core);

/* Pull/query bodies: concatenated commit-log records. (transfer full) of RmqMsg */
GPtrArray *rmq_mq_decode_messages(const guint8 *data, gsize len, GError **error);
/* The same for a pull body without copying it: the bodies of uncompressed
 * messages are slices of @body and their raw properties point into it (the
 * messages keep it alive). */
GPtrArray *rmq_mq_decode_messages_bytes(GBytes *body, GError **error);
/* @name's value in @msg without building its property table (the table's
 * when it is built): not NUL-terminated when raw. */
gboolean rmq_mq_msg_property_raw(const RmqMsg *msg, const gchar *name, const gchar **value,
                                 gsize *len);
/* A message of rmq_msg_new() with no property yet (no table, no raw text)
 * takes @raw (@len bytes and a NUL, g_malloc'd) as its properties, parsed
 * into the table on first use and freed with it. */
void rmq_mq_msg_set_raw_properties(RmqMsg *m, gchar *raw, gsize len);
/* A new docs/protocol.md §6.5 client unique id (UNIQ_KEY). (transfer full) */
gchar *rmq_mq_unique_id(void);
/* The same id written to @out (32 hex digits and a NUL), no allocation. */
#define RMQ_MQ_UNIQUE_ID_LEN 32
void rmq_mq_unique_id_to(gchar out[RMQ_MQ_UNIQUE_ID_LEN + 1]);
/* One item of a batch body (docs/protocol.md §6.6) appended to @out: total,
 * magic 0, body CRC 0, @flag, body length, @body, properties length and
 * @properties as rmq_message_properties_build() writes them. Returns the
 * properties' length, or -1 (and @out as it was) when they are over
 * RMQ_MESSAGE_MAX_PROPS bytes. */
gssize rmq_mq_batch_item_append(GString *out, gint32 flag, const void *body, gsize body_len,
                                GHashTable *properties);
/* Rewrite fastjson's object-keyed maps ({{"brokerName":…}:v}) into
 * standard JSON (the key becomes the object's text) and parse. */
JsonNode *rmq_mq_parse_fastjson(const guint8 *data, gsize len, GError **error);
/* HEART_BEAT body. (transfer full) */
GBytes *rmq_mq_heartbeat_body(const gchar *client_id, const gchar *producer_group,
                              const gchar *consumer_group, const gchar *topic);
/* The same with the consumer's subscription to @topic: @expression_type
 * "TAG" (tags recomputed by the broker from @sub_string) or "SQL92". */
GBytes *rmq_mq_heartbeat_body_sub(const gchar *client_id, const gchar *producer_group,
                                  const gchar *consumer_group, const gchar *topic,
                                  const gchar *expression_type, const gchar *sub_string);
/* JSON node helpers. */
JsonNode *rmq_mq_json_body(const RmqCommand *resp, GError **error);

/* trace.c, the records of one traced consume (ConsumeMessageTraceHookImpl),
 * pure: SubBefore of the messages of @msgs (RmqMsg) whose TRACE_ON is not
 * "false", at @now_ms; NULL when none is traced. (transfer full) */
RmqTraceConsume *rmq_trace_consume_begin(const gchar *group, GPtrArray *msgs, gint64 now_ms);
/* (transfer none) the SubBefore records. */
GPtrArray *rmq_trace_consume_records(RmqTraceConsume *t);
/* The records turned SubAfter at @now_ms: costTime is the time since
 * _begin divided by the size of the whole batch, traced or not, as Java's
 * context.getMsgList().size(). (transfer none) */
GPtrArray *rmq_trace_consume_end(RmqTraceConsume *t, gint64 now_ms, gboolean success);
void rmq_trace_consume_free(RmqTraceConsume *t);

/* trace.c: the trace data of one producer or consumer, sent to its trace
 * topic by a producer of its own (@type "PRODUCE" or "CONSUME"). */
typedef struct _RmqTraceDispatcher RmqTraceDispatcher;
RmqTraceDispatcher *rmq_trace_dispatcher_new(RmqInstance *inst, const gchar *group,
                                             const gchar *type, const gchar *topic);
const gchar *rmq_trace_dispatcher_topic(RmqTraceDispatcher *d);
/* Encode @r into the pending data, which a timeout source on the
 * instance's context flushes 500 ms later (AsyncTraceDispatcher's
 * waitTimeThresholdMil), or at its next dispatch once the data passes
 * 128000 bytes (maxMsgSize); so a send callback may append. */
void rmq_trace_dispatcher_append(RmqTraceDispatcher *d, const RmqTraceRecord *r);
/* Send the pending data as one trace message (async) and drop the timeout
 * source. Not from a send callback. */
void rmq_trace_dispatcher_flush(RmqTraceDispatcher *d);
/* Flush, wait for the sends in flight, remove the timeout source, free. */
void rmq_trace_dispatcher_free(RmqTraceDispatcher *d);

G_END_DECLS
