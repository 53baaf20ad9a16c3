/* The send path in named steps, for SEND_MESSAGE (10), SEND_MESSAGE_V2 (310)
 * and SEND_BATCH_MESSAGE (320):
 *   parse -> validate -> resolve the target queue -> build one message or a
 *   batch -> put -> answer,
 * and the retry/DLQ routing that resolve shares with CONSUMER_SEND_MSG_BACK.
 * The steps before the answer touch no socket (put needs a store), so tests
 * run them directly. A step that refuses returns the response code and sets
 * @remark (transfer full); RMQ_RESPONSE_SUCCESS means go on. The write and
 * slave refusals are the command table's (commands.h), checked before. */
#pragma once

#include "broker/broker.h"

G_BEGIN_DECLS

/* The parsed request. Pointers go into the request, which must outlive it. */
typedef struct {
    RmqSendHeader hd;
    gint32 version;       /* the request's: maxReconsumeTimes counts from 121 on */
    const gchar *props;   /* the properties, "" when absent */
    gsize props_len;
    RmqPropertyView view; /* of props, read once for every step */
    const guint8 *body;   /* NULL when the request has none */
    gsize body_len;
} RmqSendRequest;

/* Where the message goes. */
typedef struct {
    const gchar *topic;   /* the request's topic (in the request) or @owned_topic */
    gchar *owned_topic;   /* a retry or DLQ topic chosen here (owned), else NULL */
    gint32 queue_id;
    gboolean dlq;         /* resolve sent an exhausted %RETRY% message to the DLQ */
} RmqSendTarget;
void rmq_send_target_clear(RmqSendTarget *t);

/* The messages to put: one, or the items of a batch. */
typedef struct {
    RmqMessage one;       /* a single send's message (no allocation on the hot path) */
    GString *one_props;   /* its properties when they did not fit @props_inline (owned) */
    gchar props_inline[512]; /* its properties when they fit (the usual case) */
    GArray *items;        /* a batch's RmqMessages, pointing into the request and @owned */
    GPtrArray *owned;     /* a batch's property strings */
    RmqPropertyView *item_views; /* a batch's: one per item, its properties (in @owned) */
    gboolean batch;
    gboolean wait;        /* the producer waits for the flush (WAIT is not "false") */
    const gchar *stored_topic; /* the topic pulls see it in (TRANS_HALF for a half
                                * message); NULL after put when delayed */
    gint32 stored_qid;
    gint64 tag_code;      /* of a single message's TAGS */
    RmqPropertyView view; /* a single message's properties for the store (values
                           * in the request), props NULL when there is none */
} RmqSendBuild;
/* The messages of @m (one for a single send) and their number. */
const RmqMessage *rmq_send_build_messages(const RmqSendBuild *m, guint *n);
void rmq_send_build_clear(RmqSendBuild *m);

/* The store's answer. */
typedef struct {
    RmqPutStatus status;
    RmqPutResult result;
    GString *msg_ids;     /* a batch's ids, comma separated (owned); NULL otherwise */
} RmqSendPut;
void rmq_send_put_clear(RmqSendPut *p);

/* Reads regionId for the answers (b->send_region): after every change of
 * b->settings.region_id (the broker calls it at start and reload). */
void rmq_broker_send_region_load(RmqBroker *b);

/* parse: the header (MESSAGE_ILLEGAL naming a missing or malformed field). */
gint32 rmq_broker_send_parse(const RmqCommand *req, RmqSendRequest *out, gchar **remark);
/* validate: topic name, topic table checks and auto-creation, topic write
 * permission, queue id (a negative one is replaced by a random write queue),
 * body and properties size. Fills @out. */
gint32 rmq_broker_send_validate(RmqBroker *b, const RmqSendRequest *r, RmqSendTarget *out,
                                gchar **remark);
/* resolve: a single message to %RETRY%<group> goes to %DLQ%<group> once its
 * reconsume times reach the group's maximum (rmq_broker_retry_max). */
gint32 rmq_broker_send_resolve(RmqBroker *b, const RmqSendRequest *r, RmqSendTarget *t,
                               gchar **remark);
/* build: transaction rules, then the message with WAIT dropped and CLUSTER
 * added (a half message for a PREPARED one), or the decoded batch items.
 * @born_host is the producer's address. */
gint32 rmq_broker_send_build(RmqBroker *b, const RmqSendRequest *r, const RmqSendTarget *t,
                             const RmqHostAddr *born_host, RmqSendBuild *out, gchar **remark);
/* put: into the store. SUCCESS or FLUSH_DISK_TIMEOUT go on to the answer;
 * other codes come with @remark (transfer none, static). */
gint32 rmq_broker_send_put(RmqBroker *b, RmqSendBuild *m, RmqSendPut *out,
                           const gchar **remark);
/* The SEND_MESSAGE response of a put (msgId, queueId, queueOffset, MSG_REGION,
 * TRACE_ON). (transfer full) */
RmqCommand *rmq_broker_send_response(RmqBroker *b, const RmqCommand *req,
                                     const RmqSendTarget *t, const RmqSendPut *p);

/* Retry routing, shared by resolve and CONSUMER_SEND_MSG_BACK. */
/* The reconsume limit of a message of group @g: the request's
 * maxReconsumeTimes (@requested, -1 = absent) when the request's @version is
 * 121 or later, else the group's retryMaxTimes. */
gint rmq_broker_retry_max(const RmqSubscriptionGroup *g, gint32 version, gint32 requested);
/* %DLQ%<group> (one queue) when @dlq, else %RETRY%<group> (the group's
 * retryQueueNums), created (persisted, registered) when missing, and a random
 * write queue of it. */
void rmq_broker_retry_target(RmqBroker *b, const gchar *group, const RmqSubscriptionGroup *g,
                             gboolean dlq, RmqSendTarget *out);

/* SYNC_FLUSH acknowledgements of one group commit: the store calls these
 * around the callbacks one fdatasync releases; in between, the answers
 * queued on a connection are held and leave together at the end (one
 * send() per connection instead of one per message). @data is the broker. */
void rmq_broker_ack_round_begin(gpointer data);
void rmq_broker_ack_round_end(gpointer data);

/* CONSUMER_SEND_MSG_BACK after the command table's checks (the group exists):
 * look the message up by its commit log offset and store it again in its
 * retry or dead letter topic. RMQ_RESPONSE_SUCCESS or the refusal. */
gint32 rmq_broker_send_back_execute(RmqBroker *b, const RmqCommand *req, gchar **remark);

G_END_DECLS
