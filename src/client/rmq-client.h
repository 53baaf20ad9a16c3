/* rmq-client: a C client for RocketMQ 4.x compatible brokers (this project's
 * rmq-broker and Apache RocketMQ). Producer, pull consumer and admin calls.
 *
 * Connections: an RmqInstance (Java's MQClientInstance) holds one
 * connection per broker and name server, the route cache and the client id;
 * every producer, consumer and admin object made on it with *_new_on()
 * shares them, with many requests in flight on each connection. The plain
 * *_new() constructors make a private instance.
 *
 * Threading: every object is single-threaded and does its I/O on the
 * GMainContext of its instance (given at creation; NULL = a private one).
 * Objects sharing an instance must be used from the one thread that
 * iterates that context. Blocking calls iterate the context themselves;
 * asynchronous results are delivered from it, so whoever uses async sends
 * must iterate it (or call rmq_producer_flush()). Blocking calls must not
 * be made from inside a callback of the same object (they would iterate the
 * context that is dispatching the callback); start further async sends from
 * callbacks instead.
 *
 * Name server lists are "host:port;host:port" (commas also accepted). Errors
 * are RMQ_MQ_ERROR codes; the text names the peer and, for refusals, the
 * response code and the broker's remark. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RMQ_MQ_ERROR (rmq_mq_error_quark())
GQuark rmq_mq_error_quark(void);
typedef enum {
    RMQ_MQ_ERROR_NAMESRV_UNREACHABLE = 1, /* no name server answered */
    RMQ_MQ_ERROR_TOPIC_NOT_EXIST,         /* no route for the topic */
    RMQ_MQ_ERROR_BROKER_REFUSED,          /* a server answered a non-success code */
    RMQ_MQ_ERROR_BROKER_UNREACHABLE,      /* connect failure or no answer */
    RMQ_MQ_ERROR_TIMEOUT,                 /* sendMsgTimeout used up */
    RMQ_MQ_ERROR_ILLEGAL,                 /* refused client-side (size, topic name, args) */
    RMQ_MQ_ERROR_NOT_FOUND,               /* message, group, broker or cluster not found */
    RMQ_MQ_ERROR_PROTOCOL,                /* an answer we cannot read */
} RmqMqError;

/* PermName bits. */
#define RMQ_MQ_PERM_READ 4
#define RMQ_MQ_PERM_WRITE 2

/* ---------------------------------------------------------------- messages */

/* A message to send, or one received (then the store fields are set).
 * Properties are read with rmq_msg_get_property() / rmq_msg_get_properties()
 * and changed with rmq_msg_put_property(): a received message keeps them as
 * the bytes that arrived until one is first asked for (then the table is
 * built, once, even when two threads ask at the same time).
 * Received messages (pulls, queries, views): the messages decoded from one
 * answer share one block for their structs and for topic, born_host,
 * store_host and offset_msg_id, freed with the last of them; those strings
 * are read-only (do not free or replace them; copy the message with
 * rmq_msg_new() to edit). The body is a GBytes of its own (a slice of the
 * answer). */
typedef struct _RmqMsgBlock RmqMsgBlock;
typedef struct {
    gchar *topic;
    GBytes *body;           /* received: inflated when it was compressed */
    gint32 flag;            /* user flag */
    /* Received messages only: */
    gint32 queue_id;
    gint64 queue_offset;
    gint64 commit_log_offset;
    gint32 sys_flag;
    gint64 born_timestamp;
    gint64 store_timestamp;
    gchar *born_host;       /* "ip:port" */
    gchar *store_host;
    gint32 reconsume_times;
    gint32 store_size;
    gchar *offset_msg_id;   /* docs/protocol.md §6.5 offset id (store host + physical offset) */
    /*< private >*/
    GHashTable *props_table; /* name -> value, both owned; NULL until first used */
    const gchar *props_raw;  /* received: the properties as they arrived (in the answer) */
    gsize props_raw_len;
    RmqMsgBlock *block;      /* received: the shared block; NULL for rmq_msg_new() */
} RmqMsg;

/* (transfer full) @body copied; @len -1 = NUL-terminated. */
RmqMsg *rmq_msg_new(const gchar *topic, const void *body, gssize len);
void rmq_msg_free(RmqMsg *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqMsg, rmq_msg_free)
void rmq_msg_set_tags(RmqMsg *msg, const gchar *tags);
/* Business keys, space separated (each is indexed by the broker). */
void rmq_msg_set_keys(RmqMsg *msg, const gchar *keys);
void rmq_msg_put_property(RmqMsg *msg, const gchar *name, const gchar *value);
/* Java MessageUtil.createReplyMessage: a message to <CLUSTER>_REPLY_TOPIC
 * (the request's CLUSTER property, which the broker adds when it stores a
 * message) with MSG_TYPE=reply and the request's CORRELATION_ID,
 * REPLY_TO_CLIENT and TTL. NULL + RMQ_MQ_ERROR_ILLEGAL without CLUSTER.
 * (transfer full) */
RmqMsg *rmq_msg_new_reply(const RmqMsg *request, const void *body, gssize len, GError **error);
/* (transfer none) NULL if absent. */
const gchar *rmq_msg_get_property(const RmqMsg *msg, const gchar *name);
/* (transfer none) Every property, name -> value; read it, change the
 * message with rmq_msg_put_property(). Valid until that or rmq_msg_free(). */
GHashTable *rmq_msg_get_properties(const RmqMsg *msg);
const gchar *rmq_msg_get_tags(const RmqMsg *msg);
const gchar *rmq_msg_get_keys(const RmqMsg *msg);
/* The id users see: UNIQ_KEY if present, else the offset id. */
const gchar *rmq_msg_get_msg_id(const RmqMsg *msg);
/* As JSON for tools (body as text when it is valid UTF-8, else base64). */
JsonNode *rmq_msg_to_json(const RmqMsg *msg);

/* A message queue. */
typedef struct {
    gchar *topic;
    gchar *broker_name;
    gint queue_id;
} RmqQueue;

RmqQueue *rmq_queue_new(const gchar *topic, const gchar *broker_name, gint queue_id);
void rmq_queue_free(RmqQueue *mq);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqQueue, rmq_queue_free)

/* ---------------------------------------------------------------- instance */

typedef struct _RmqInstance RmqInstance;

/* (transfer full) Connections to nothing yet: they open on first use.
 * @namesrv_addrs NULL or "" = $NAMESRV_ADDR; @context NULL = private. */
RmqInstance *rmq_instance_new(const gchar *namesrv_addrs, GMainContext *context);
RmqInstance *rmq_instance_ref(RmqInstance *inst);
/* The last unref closes the connections. Objects made on the instance hold
 * a ref each. */
void rmq_instance_unref(RmqInstance *inst);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqInstance, rmq_instance_unref)
GMainContext *rmq_instance_get_context(RmqInstance *inst);
/* "ip@pid#nanos", the clientID every object of the instance sends. */
const gchar *rmq_instance_get_client_id(RmqInstance *inst);
/* Sign every request the instance sends from now on (name servers and
 * brokers alike) for RocketMQ's plain ACL, as Java's AclClientRPCHook does:
 * AccessKey, SecurityToken (when not NULL) and Signature ext fields.
 * @access_key NULL stops signing. The strings are copied. */
void rmq_instance_set_credentials(RmqInstance *inst, const gchar *access_key,
                                  const gchar *secret_key, const gchar *security_token);

/* Speak TLS to name servers and brokers on connections opened from now on,
 * as a Java client with useTLS (-Dtls.enable=true). @verify: the server's
 * certificate must chain to @trust_cert_path (a PEM CA bundle; NULL = the
 * system's CAs); FALSE trusts any server (Java's tls.test.mode.enable).
 * The host name is not checked, as in Java. @cert_path and @key_path
 * (@key_password for an encrypted key) are a client certificate for
 * servers with tlsServerNeedClientAuth; NULL for none. FALSE + @error
 * (naming the file) when a file does not load. */
gboolean rmq_instance_set_tls(RmqInstance *inst, gboolean verify, const gchar *trust_cert_path,
                              const gchar *cert_path, const gchar *key_path,
                              const gchar *key_password, GError **error);
/* The same for every instance made from now on in this process (producers,
 * consumers and admins included), as Java's -Dtls.enable is process-wide.
 * Thread-safe. */
gboolean rmq_instance_set_default_tls(gboolean verify, const gchar *trust_cert_path,
                                      const gchar *cert_path, const gchar *key_path,
                                      const gchar *key_password, GError **error);

/* ---------------------------------------------------------------- producer */

typedef enum {
    RMQ_SEND_OK,
    RMQ_SEND_FLUSH_DISK_TIMEOUT,
    RMQ_SEND_FLUSH_SLAVE_TIMEOUT,
    RMQ_SEND_SLAVE_NOT_AVAILABLE,
} RmqSendStatus;

typedef struct {
    RmqSendStatus status;
    gchar *msg_id;        /* UNIQ_KEY (batch: comma-separated) */
    gchar *offset_msg_id; /* from the broker (batch: comma-separated) */
    gchar *broker_name;
    gint queue_id;
    gint64 queue_offset;
    guint attempts;       /* 1 + retries used */
    gchar *region_id;     /* the broker's MSG_REGION */
    gboolean trace_on;    /* the broker's TRACE_ON */
} RmqSendResult;

void rmq_send_result_clear(RmqSendResult *r);
const gchar *rmq_send_status_name(RmqSendStatus status);

typedef struct _RmqProducer RmqProducer;

/* (transfer full) @context NULL = private context. */
RmqProducer *rmq_producer_new(const gchar *group, const gchar *namesrv_addrs,
                              GMainContext *context);
/* (transfer full) On @inst's connections (a ref is taken). */
RmqProducer *rmq_producer_new_on(RmqInstance *inst, const gchar *group);
/* The instance it runs on (transfer none), e.g. for rmq_instance_set_credentials(). */
RmqInstance *rmq_producer_get_instance(RmqProducer *p);
/* Waits for pending async sends (at most sendMsgTimeout), unregisters. */
void rmq_producer_free(RmqProducer *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqProducer, rmq_producer_free)

/* Java DefaultMQProducer's knobs, same defaults. */
void rmq_producer_set_send_msg_timeout(RmqProducer *p, guint ms);            /* 3000 */
void rmq_producer_set_retry_times_when_send_failed(RmqProducer *p, guint n); /* 2 */
void rmq_producer_set_compress_msg_body_over_howmuch(RmqProducer *p, gsize n); /* 4096 */
void rmq_producer_set_max_message_size(RmqProducer *p, gsize n);            /* 4 MiB */
void rmq_producer_set_default_topic_queue_nums(RmqProducer *p, guint n);    /* 4 */
/* How long a broker that failed a send is skipped by queue selection (30000). */
void rmq_producer_set_fault_duration(RmqProducer *p, guint ms);
GMainContext *rmq_producer_get_context(RmqProducer *p);

/* Blocking send: picks a queue round-robin, skipping brokers that failed
 * recently; on a retryable failure tries another broker, at most
 * 1 + retryTimesWhenSendFailed attempts within sendMsgTimeout. Bodies of at
 * least compressMsgBodyOverHowmuch bytes are zlib-compressed. */
gboolean rmq_producer_send(RmqProducer *p, RmqMsg *msg, RmqSendResult *result, GError **error);
/* To one queue (no queue selection; retries go to the same queue). */
gboolean rmq_producer_send_to_queue(RmqProducer *p, RmqMsg *msg, const RmqQueue *mq,
                                    RmqSendResult *result, GError **error);
/* Result or error, exactly one non-NULL; both transfer none. */
typedef void (*RmqSendCallback)(RmqProducer *p, const RmqSendResult *result,
                                const GError *error, gpointer user_data);
/* Asynchronous send with the same retries. What is sent is taken from @msg
 * during the call (its UNIQ_KEY is set if missing); @msg may be freed
 * right after. The
 * first send to a topic looks its route up synchronously, so do not make it
 * from inside a callback of this producer's context. The callback runs from
 * the context, never from inside this call. */
void rmq_producer_send_async(RmqProducer *p, RmqMsg *msg, RmqSendCallback callback,
                             gpointer user_data);
/* One-way: no answer, no retry. FALSE only for client-side refusals and
 * route failures. */
gboolean rmq_producer_send_oneway(RmqProducer *p, RmqMsg *msg, GError **error);
/* One SEND_BATCH_MESSAGE of @n messages of one topic (no compression). */
gboolean rmq_producer_send_batch(RmqProducer *p, RmqMsg *const *msgs, guint n,
                                 RmqSendResult *result, GError **error);
/* Async sends not completed yet. */
guint rmq_producer_pending(RmqProducer *p);
/* Iterate the context until no async send is pending or @timeout_ms passes;
 * TRUE when none is left. */
gboolean rmq_producer_flush(RmqProducer *p, guint timeout_ms);
/* Request-reply (Java DefaultMQProducer.request(msg, timeout)): sends @msg
 * with CORRELATION_ID (a random UUID), REPLY_TO_CLIENT (the instance's
 * client id) and TTL (@timeout_ms) set, after a heartbeat to every broker
 * the instance has a route to, and waits, iterating the context, for the
 * reply the broker pushes (PUSH_REPLY_MESSAGE_TO_CLIENT) with the same
 * CORRELATION_ID. Returns the reply (ARRIVE_TIME added; transfer full), or
 * NULL with RMQ_MQ_ERROR_TIMEOUT ("send request message to <topic> OK, but
 * wait reply message timeout, N ms.") or the send's error. */
RmqMsg *rmq_producer_request(RmqProducer *p, RmqMsg *msg, guint timeout_ms, GError **error);
/* The replier's side: rmq_msg_new_reply() and a send, which goes to the
 * broker as SEND_REPLY_MESSAGE_V2 (325) as every message with MSG_TYPE=reply
 * does. The broker answers SYSTEM_ERROR when the requester is gone. */
gboolean rmq_producer_reply(RmqProducer *p, const RmqMsg *request, const void *body, gssize len,
                            RmqSendResult *result, GError **error);
/* Write queues of @topic as the producer sees them. (transfer full) of RmqQueue */
GPtrArray *rmq_producer_fetch_publish_queues(RmqProducer *p, const gchar *topic, GError **error);

/* ---------------------------------------------------------------- consumer */

typedef enum {
    RMQ_PULL_FOUND,
    RMQ_PULL_NO_NEW_MSG,
    RMQ_PULL_NO_MATCHED_MSG,
    RMQ_PULL_OFFSET_ILLEGAL,
    /* An admin reset the group's offset of this queue (resetOffsetByTime:
     * RESET_CONSUMER_CLIENT_OFFSET from the broker): nothing was pulled;
     * go on from next_begin_offset, which is already committed. */
    RMQ_PULL_OFFSET_RESET,
} RmqPullStatus;

typedef struct {
    RmqPullStatus status;
    gint64 next_begin_offset;
    gint64 min_offset;
    gint64 max_offset;
    gint64 suggest_broker_id;
    GPtrArray *msgs; /* of RmqMsg, empty unless FOUND */
} RmqPullResult;

void rmq_pull_result_clear(RmqPullResult *r);
const gchar *rmq_pull_status_name(RmqPullStatus status);

typedef struct _RmqConsumer RmqConsumer;

RmqConsumer *rmq_consumer_new(const gchar *group, const gchar *namesrv_addrs,
                              GMainContext *context);
/* (transfer full) On @inst's connections (a ref is taken). */
RmqConsumer *rmq_consumer_new_on(RmqInstance *inst, const gchar *group);
/* The instance it runs on (transfer none), e.g. for rmq_instance_set_credentials(). */
RmqInstance *rmq_consumer_get_instance(RmqConsumer *c);
void rmq_consumer_free(RmqConsumer *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqConsumer, rmq_consumer_free)

/* Readable queues of @topic. (transfer full) of RmqQueue */
GPtrArray *rmq_consumer_fetch_subscribe_queues(RmqConsumer *c, const gchar *topic,
                                               GError **error);
/* Register the group as a pull consumer of @topic with the topic's brokers
 * (HEART_BEAT), so admin tools see it online. The subscription reported is
 * the one set by rmq_consumer_set_subscription(), else every tag. An online
 * consumer answers the brokers' GET_CONSUMER_RUNNING_INFO and
 * GET_CONSUMER_STATUS_FROM_CLIENT and takes their RESET_CONSUMER_CLIENT_OFFSET
 * (see RMQ_PULL_OFFSET_RESET) whenever the instance's context runs (every
 * blocking call runs it). */
gboolean rmq_consumer_heartbeat(RmqConsumer *c, const gchar *topic, GError **error);
/* The consumer's expression type and the expression its heartbeats report:
 * @type "TAG" (the default; @expression "*" or "TagA || TagB") or "SQL92"
 * (MessageSelector.bySql, evaluated by the broker against each message's
 * properties, docs/protocol.md §10.8; the broker needs enablePropertyFilter).
 * Pulls carry @type with their own expression. */
void rmq_consumer_set_subscription(RmqConsumer *c, const gchar *type, const gchar *expression);
/* CHECK_CLIENT_CONFIG with every broker of @topic, as a Java consumer asks
 * before it starts: FALSE with the first refusal (RMQ_MQ_ERROR_BROKER_REFUSED,
 * the response code and the broker's remark in the message). */
gboolean rmq_consumer_check_subscription(RmqConsumer *c, const gchar *topic, GError **error);
/* One PULL_MESSAGE. @expression: "*" / NULL or "TagA || TagB" (filtered by
 * the broker by hash and again here by text), or with the SQL92 type an SQL92
 * expression (filtered by the broker only; NULL: the consumer's own). @suspend_ms > 0 lets the
 * broker hold the request that long when nothing is there. */
gboolean rmq_consumer_pull(RmqConsumer *c, const RmqQueue *mq, const gchar *expression,
                           gint64 offset, gint max_nums, guint suspend_ms,
                           RmqPullResult *result, GError **error);
/* The same pull, also committing @commit_offset for the group (the
 * COMMIT_OFFSET flag, stored by a master broker before it answers; -1 = no
 * commit, which is rmq_consumer_pull()). */
gboolean rmq_consumer_pull_and_commit(RmqConsumer *c, const RmqQueue *mq,
                                      const gchar *expression, gint64 offset, gint max_nums,
                                      guint suspend_ms, gint64 commit_offset,
                                      RmqPullResult *result, GError **error);
/* UPDATE_CONSUMER_OFFSET (waits for the answer). While an admin's reset of
 * @mq waits for the next pull, the reset offset is committed instead. */
gboolean rmq_consumer_commit_offset(RmqConsumer *c, const RmqQueue *mq, gint64 offset,
                                    GError **error);
/* QUERY_CONSUMER_OFFSET: the committed offset, -1 if none, -2 on error. */
gint64 rmq_consumer_query_offset(RmqConsumer *c, const RmqQueue *mq, GError **error);
/* GET_MAX_OFFSET / GET_MIN_OFFSET / SEARCH_OFFSET_BY_TIMESTAMP; -1 on error. */
gint64 rmq_consumer_max_offset(RmqConsumer *c, const RmqQueue *mq, GError **error);
gint64 rmq_consumer_min_offset(RmqConsumer *c, const RmqQueue *mq, GError **error);
gint64 rmq_consumer_search_offset(RmqConsumer *c, const RmqQueue *mq, gint64 timestamp_ms,
                                  GError **error);

/* ------------------------------------------------------------------- trace */

/* Message trace as Java's client writes it (docs/protocol.md §18): trace
 * messages in the trace topic whose body is TraceDataEncoder's text and whose
 * keys are the traced message ids and keys, so QUERY_MESSAGE by a message id
 * finds them (rmqadmin queryMsgTraceById, mqadmin, the console). */
#define RMQ_TRACE_DEFAULT_TOPIC "RMQ_SYS_TRACE_TOPIC"

typedef enum {
    RMQ_TRACE_PUB,
    RMQ_TRACE_SUB_BEFORE,
    RMQ_TRACE_SUB_AFTER,
    RMQ_TRACE_END_TRANSACTION,
} RmqTraceType;

/* One TraceContext with its one TraceBean (Java's decoder makes one per
 * line; a context of several beans is several lines). Strings may be NULL
 * (written "null", as Java's StringBuilder does). */
typedef struct {
    RmqTraceType type;
    gint64 timestamp;       /* ms */
    gchar *region_id;
    gchar *group;           /* producer or consumer group */
    gchar *request_id;      /* Sub*: pairs SubBefore with SubAfter */
    gint cost_time;         /* ms */
    gboolean success;
    gint context_code;      /* SubAfter: ConsumeReturnType ordinal */
    gchar *topic;
    gchar *msg_id;          /* the client id (UNIQ_KEY) */
    gchar *offset_msg_id;
    gchar *tags;
    gchar *keys;
    gchar *store_host;
    gchar *client_host;     /* Pub lines of 15 fields (older writers) */
    gint retry_times;
    gint body_length;
    gint msg_type;          /* MessageType ordinal: 0 normal, 1 half, 2 commit, 3 delay */
    gchar *transaction_id;
    gchar *transaction_state;
    gboolean from_transaction_check;
} RmqTraceRecord;

/* (transfer full) timestamp now, success TRUE. */
RmqTraceRecord *rmq_trace_record_new(RmqTraceType type);
void rmq_trace_record_free(RmqTraceRecord *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqTraceRecord, rmq_trace_record_free)
/* "Pub", "SubBefore", "SubAfter", "EndTransaction". */
const gchar *rmq_trace_type_name(RmqTraceType type);
/* Append @r as TraceDataEncoder.encoderFromContextBean writes it. */
void rmq_trace_encode(const RmqTraceRecord *r, GString *out);
/* TraceDataEncoder.decoderFromTraceDataString: the records of @data in
 * order; lines of unknown type are skipped, and so are lines Java's decoder
 * would throw on (too few fields, a malformed number). (transfer full) of
 * RmqTraceRecord */
GPtrArray *rmq_trace_decode(const gchar *data, gsize len);
/* The trace keys of @r (its msg id, then its keys split at spaces), as
 * strings appended to @keys (transfer full). */
void rmq_trace_keys(const RmqTraceRecord *r, GPtrArray *keys);

/* Java's enableMsgTrace / customizedTraceTopic: from now on every
 * successful single send (not batches) is traced as Pub when the broker
 * says TRACE_ON true, to @trace_topic (NULL: RMQ_SYS_TRACE_TOPIC), sent by
 * a producer of its own on the same instance (group
 * "_INNER_TRACE_PRODUCER-<group>-PRODUCE"). Sync sends send the trace at
 * once. Traces of async sends are sent by the producer's context, which the
 * application runs for the send callbacks anyway: 500 ms after the first
 * one waiting, as Java's AsyncTraceDispatcher, or as soon as the waiting
 * data passes 128000 bytes; the next sync call, flush or free sends them
 * sooner. Freeing the producer sends what waits and removes that source. */
void rmq_producer_enable_trace(RmqProducer *p, const gchar *trace_topic);
/* The same for a consumer; a pull consumer says when it consumes. */
void rmq_consumer_enable_trace(RmqConsumer *c, const gchar *trace_topic);
typedef struct _RmqTraceConsume RmqTraceConsume;
/* SubBefore for @msgs (RmqMsg, from a pull) about to be consumed; messages
 * whose TRACE_ON property is "false" are left out. NULL when tracing is off
 * or nothing is traced. (transfer full, given back to _after) */
RmqTraceConsume *rmq_consumer_trace_before(RmqConsumer *c, GPtrArray *msgs);
/* SubAfter with @success and the time since _before (per message). NULL @t
 * is ignored. */
void rmq_consumer_trace_after(RmqConsumer *c, RmqTraceConsume *t, gboolean success);

/* ------------------------------------------------------------------- admin */

/* Admin calls return JSON in a stable, standard shape (documented per call)
 * so tools print it and scripts read it; (transfer full) NULL on error. */
typedef struct _RmqAdmin RmqAdmin;

RmqAdmin *rmq_admin_new(const gchar *namesrv_addrs, GMainContext *context);
/* (transfer full) On @inst's connections (a ref is taken). */
RmqAdmin *rmq_admin_new_on(RmqInstance *inst);
/* The instance it runs on (a private one for rmq_admin_new()), to set
 * credentials on. (transfer none) */
RmqInstance *rmq_admin_get_instance(RmqAdmin *a);
void rmq_admin_free(RmqAdmin *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqAdmin, rmq_admin_free)
void rmq_admin_set_timeout(RmqAdmin *a, guint ms); /* per request, 5000 */

/* Blocking request to one server: ext fields as key, value pairs ending in
 * NULL. Returns the body (empty GBytes when none) for SUCCESS; a refusal is
 * RMQ_MQ_ERROR_BROKER_REFUSED. *@ext_out (may be NULL) gets the response
 * ext fields as a name -> value table. */
GBytes *rmq_admin_invoke(RmqAdmin *a, const gchar *addr, gint code, GBytes *body,
                         GHashTable **ext_out, GError **error, ...) G_GNUC_NULL_TERMINATED;
/* The response code of the last rmq_admin_invoke() answer (a refusal's
 * code, e.g. 206 CONSUMER_NOT_ONLINE), -1 when no answer came. */
gint rmq_admin_last_response_code(RmqAdmin *a);
/* A (fastjson) JSON body as standard JSON: object-keyed maps
 * ({{"brokerName":…}:v}) get the key object's text as key. (transfer full) */
JsonNode *rmq_admin_parse_body(GBytes *body, GError **error);

/* ["topic", …] sorted. */
JsonNode *rmq_admin_topic_list(RmqAdmin *a, GError **error);
/* TopicRouteData as the name server sends it (standard JSON). */
JsonNode *rmq_admin_topic_route(RmqAdmin *a, const gchar *topic, GError **error);
/* {"clusters":{"C":["broker-a"]},"brokers":{"broker-a":{"cluster":"C","addrs":{"0":"ip:port"}}}} */
JsonNode *rmq_admin_cluster_info(RmqAdmin *a, GError **error);
/* Master addresses of @cluster (NULL = every cluster). (transfer full) */
gchar **rmq_admin_cluster_masters(RmqAdmin *a, const gchar *cluster, GError **error);
/* Address of the master of broker name @broker_name. (transfer full) */
gchar *rmq_admin_broker_master_addr(RmqAdmin *a, const gchar *broker_name, GError **error);

typedef struct {
    gint read_queue_nums;  /* 8 */
    gint write_queue_nums; /* 8 */
    gint perm;             /* 6 */
    gboolean order;
} RmqTopicSpec;
void rmq_topic_spec_init(RmqTopicSpec *spec);
gboolean rmq_admin_update_topic(RmqAdmin *a, const gchar *broker_addr, const gchar *topic,
                                const RmqTopicSpec *spec, GError **error);
/* DELETE_TOPIC_IN_BROKER on every master of @cluster, then
 * DELETE_TOPIC_IN_NAMESRV on every name server. */
gboolean rmq_admin_delete_topic(RmqAdmin *a, const gchar *cluster, const gchar *topic,
                                GError **error);
/* [{"brokerName","queueId","minOffset","maxOffset","lastUpdateTimestamp"}] */
JsonNode *rmq_admin_topic_status(RmqAdmin *a, const gchar *topic, GError **error);
/* {"key":"value"} runtime info / config of one broker. */
JsonNode *rmq_admin_broker_runtime(RmqAdmin *a, const gchar *broker_addr, GError **error);
JsonNode *rmq_admin_broker_config(RmqAdmin *a, const gchar *broker_addr, GError **error);
gboolean rmq_admin_update_broker_config(RmqAdmin *a, const gchar *broker_addr,
                                        const gchar *key, const gchar *value, GError **error);
/* @config: SubscriptionGroupConfig members to set over the defaults (may be NULL). */
gboolean rmq_admin_update_sub_group(RmqAdmin *a, const gchar *broker_addr, const gchar *group,
                                    JsonObject *config, GError **error);
gboolean rmq_admin_delete_sub_group(RmqAdmin *a, const gchar *broker_addr, const gchar *group,
                                    gboolean remove_offset, GError **error);
/* {"group","consumeTps","diffTotal","queues":[{"topic","brokerName","queueId",
 *   "brokerOffset","consumerOffset","diff","lastTimestamp"}]} over every
 * broker of @topic's route (or of every cluster when @topic is NULL). */
JsonNode *rmq_admin_consumer_progress(RmqAdmin *a, const gchar *group, const gchar *topic,
                                      GError **error);
/* ConsumerConnection / ProducerConnection bodies merged over the brokers of
 * @topic (producers) or of every cluster: {"connections":[…], …}. */
JsonNode *rmq_admin_consumer_connection(RmqAdmin *a, const gchar *group, GError **error);
JsonNode *rmq_admin_producer_connection(RmqAdmin *a, const gchar *group, const gchar *topic,
                                        GError **error);
/* The message with this offset id (VIEW_MESSAGE_BY_ID). (transfer full) */
RmqMsg *rmq_admin_view_message(RmqAdmin *a, const gchar *offset_msg_id, GError **error);
/* QUERY_MESSAGE on every broker of @topic. (transfer full) of RmqMsg */
GPtrArray *rmq_admin_query_by_key(RmqAdmin *a, const gchar *topic, const gchar *key,
                                  gint max_num, gint64 begin_ms, gint64 end_ms, GError **error);
/* The messages of @topic whose client msgId (UNIQ_KEY) is @uniq_key, as
 * mqadmin's queryMsgByUniqueKey (at most 32). (transfer full) of RmqMsg */
GPtrArray *rmq_admin_query_by_unique_key(RmqAdmin *a, const gchar *topic, const gchar *uniq_key,
                                         GError **error);
/* Reset @group's offsets for every queue of @topic to the first message
 * stored at or after @timestamp_ms (SEARCH_OFFSET_BY_TIMESTAMP, then
 * UPDATE_CONSUMER_OFFSET). Returns [{"brokerName","queueId","offset"}]. */
JsonNode *rmq_admin_reset_offset_by_time(RmqAdmin *a, const gchar *group, const gchar *topic,
                                         gint64 timestamp_ms, GError **error);
/* The same for the queues of broker @broker_name only (NULL: every broker),
 * e.g. the brokers that answered CONSUMER_NOT_ONLINE to
 * INVOKE_BROKER_TO_RESET_OFFSET while others told their clients. */
JsonNode *rmq_admin_reset_offset_by_time_on(RmqAdmin *a, const gchar *group, const gchar *topic,
                                            const gchar *broker_name, gint64 timestamp_ms,
                                            GError **error);
/* Clear the write permission of @broker_name on every name server:
 * [{"namesrv","wipeTopicCount"}]. */
JsonNode *rmq_admin_wipe_write_perm(RmqAdmin *a, const gchar *broker_name, GError **error);
/* Give @broker_name's queues their write permission back on every name
 * server (ADD_WRITE_PERM_OF_BROKER): [{"namesrv","addTopicCount"}]. */
JsonNode *rmq_admin_add_write_perm(RmqAdmin *a, const gchar *broker_name, GError **error);
/* The clusters of @topic's first broker, as mqadmin topicClusterList:
 * ["cluster", …] sorted. */
JsonNode *rmq_admin_topic_clusters(RmqAdmin *a, const gchar *topic, GError **error);
/* PUT_KV_CONFIG / DELETE_KV_CONFIG on every name server, stopping at the
 * first refusal. */
gboolean rmq_admin_put_kv_config(RmqAdmin *a, const gchar *name_space, const gchar *key,
                                 const gchar *value, GError **error);
gboolean rmq_admin_delete_kv_config(RmqAdmin *a, const gchar *name_space, const gchar *key,
                                    GError **error);
/* GET_NAMESRV_CONFIG of @servers (NULL: every name server):
 * {"host:port":{"key":"value"}}, keys sorted. */
JsonNode *rmq_admin_namesrv_config(RmqAdmin *a, gchar **servers, GError **error);
/* UPDATE_NAMESRV_CONFIG "@key=@value" on @servers (NULL: every name server). */
gboolean rmq_admin_update_namesrv_config(RmqAdmin *a, gchar **servers, const gchar *key,
                                         const gchar *value, GError **error);
/* Every producer a broker knows (GET_ALL_PRODUCER_INFO):
 * {"group":[{"clientId","remoteIP","language","version","lastUpdateTimestamp"}]}. */
JsonNode *rmq_admin_producer_info(RmqAdmin *a, const gchar *broker_addr, GError **error);
/* QUERY_CONSUME_QUEUE: Java's QueryConsumeQueueResponseBody (subscriptionData,
 * filterData, queueData[{physicOffset,physicSize,tagsCode,eval,…}],
 * maxQueueIndex, minQueueIndex). @group may be NULL. No unit at @index is
 * RMQ_MQ_ERROR_NOT_FOUND. */
JsonNode *rmq_admin_query_consume_queue(RmqAdmin *a, const gchar *broker_addr, const gchar *topic,
                                        gint queue_id, gint64 index, gint count,
                                        const gchar *group, GError **error);
/* Store maintenance on one broker: CLEAN_EXPIRED_CONSUMEQUEUE,
 * DELETE_EXPIRED_COMMITLOG, CLEAN_UNUSED_TOPIC. */
gboolean rmq_admin_clean_expired_cq(RmqAdmin *a, const gchar *broker_addr, GError **error);
gboolean rmq_admin_delete_expired_commit_log(RmqAdmin *a, const gchar *broker_addr,
                                             GError **error);
gboolean rmq_admin_clean_unused_topic(RmqAdmin *a, const gchar *broker_addr, GError **error);
/* GET_BROKER_CONSUME_STATS of one broker (@order: ordered topics only):
 * {"brokerAddr","totalDiff","groups":[{"group","consumeStats":[{"consumeTps",
 *   "queues":[{"topic","brokerName","queueId","brokerOffset","consumerOffset",
 *   "diff","lastTimestamp"}]}]}]}, queues sorted as MessageQueue sorts. */
JsonNode *rmq_admin_broker_consume_stats(RmqAdmin *a, const gchar *broker_addr, gboolean order,
                                         GError **error);
/* VIEW_BROKER_STATS_DATA: one statistics item of a broker (TOPIC_PUT_NUMS
 * by topic, GROUP_GET_NUMS by "topic@group", …): {"statsMinute":{"sum",
 * "tps","avgpt"},"statsHour":…,"statsDay":…}. */
JsonNode *rmq_admin_view_broker_stats(RmqAdmin *a, const gchar *broker_addr,
                                      const gchar *stats_name, const gchar *stats_key,
                                      GError **error);
/* mqadmin statsAll for @topic (NULL: every topic but %RETRY% and %DLQ%
 * ones): [{"topic","group" (null when nobody consumes it),"accumulation",
 * "inTps","outTps","inMsg24Hour","outMsg24Hour"}], summed over the masters
 * of each topic's route; a broker that does not answer counts 0, as in
 * mqadmin. */
JsonNode *rmq_admin_stats_all(RmqAdmin *a, const gchar *topic, GError **error);
/* Every broker address (masters and slaves) of @cluster, or of every cluster
 * when @cluster is NULL, as Java's retrieveAllAddrByCluster. (transfer full) */
gchar **rmq_admin_cluster_addrs(RmqAdmin *a, const gchar *cluster, GError **error);

G_END_DECLS
