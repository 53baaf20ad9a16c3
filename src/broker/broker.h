/* The broker controller (Java BrokerController): owns the store, the metadata
 * tables, the remoting server, the client registry, long polling, the name
 * server link and the background services, and wires the request processors
 * to the server. Single-threaded on the default main context. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "broker/consumer_offset.h"
#include "broker/delay_offset.h"
#include "broker/settings.h"
#include "broker/subscription_group.h"
#include "broker/topic_config.h"
#include "filter/filter.h"
#include "model/message_properties.h"
#include "remoting/server.h"
#include "store/store.h"

G_BEGIN_DECLS

#define RMQ_BROKER_ERROR (rmq_broker_error_quark())
GQuark rmq_broker_error_quark(void);
typedef enum {
    RMQ_BROKER_ERROR_FAILED,
} RmqBrokerError;

typedef struct _RmqClientRegistry RmqClientRegistry;
typedef struct _RmqLongPoll RmqLongPoll;
typedef struct _RmqNamesrvLink RmqNamesrvLink;
typedef struct _RmqScheduleService RmqScheduleService;
typedef struct _RmqTransactionCheck RmqTransactionCheck;
typedef struct _RmqHaService RmqHaService;
typedef struct _RmqStatsTable RmqStatsTable;
typedef struct _RmqStatsItem RmqStatsItem;
typedef struct _RmqStoreStats RmqStoreStats;

/* The store's running figures for STATUS= and GET_BROKER_RUNTIME_INFO. */
typedef struct {
    RmqStoreStats *store;     /* Java's StoreStatsService and BrokerStats (store_stats.h) */
    gint64 boot_ms;
    gint64 minute_start_us;   /* monotonic time the put-time distribution last turned */
    gint64 next_morning_ms;   /* wall clock of the next local midnight (BrokerStats.record) */
} RmqBrokerStats;

typedef struct _RmqBroker RmqBroker;
struct _RmqBroker {
    RmqConfig *config;        /* the running configuration (SIGHUP, UPDATE_BROKER_CONFIG) */
    RmqBrokerSettings settings; /* filled from it (key table BK() landings) */
    RmqStore *store;
    RmqTopicTable *topics;
    RmqSubscriptionGroupTable *groups;
    RmqConsumerOffsets *offsets;
    RmqDelayOffsets *delay_offsets;
    RmqServer *server;
    RmqClientRegistry *clients;
    RmqLongPoll *long_poll;
    RmqNamesrvLink *namesrv;
    RmqScheduleService *schedule;
    RmqTransactionCheck *trans_check;
    RmqHaService *ha;         /* replication (src/ha): HA port, slave client, slave sync */
    RmqFlowControl *flow;     /* send flow control (flow_control.h), made on first use */
    struct _RmqFdPoller *flow_poller; /* its dispatch-end hook closes put batches (flow_control_hook.c) */
    gboolean ack_round;       /* inside a flush completion round (send.h) */
    GPtrArray *acks_held;     /* connections holding output in that round (refs) */
    struct _RmqRateLimit *flow_log; /* one refusal line per 10 s (common/ratelimit.h) */
    GHashTable *mq_locks;     /* "group\ntopic\nbroker\nqid" -> RmqMqLock */
    GHashTable *filter_cache; /* SQL92 text -> RmqFilter, for CHECK_CLIENT_CONFIG and pulls that
                               * carry their subscription (Java's parse cache) */
    struct _RmqBrokerAcl *acl; /* aclEnable: the rules in force (acl_guard.h), else NULL */
    gpointer acl_commands;    /* aclEnable: the command table with RMQ_BROKER_CMD_ACL on every row */
    gchar *sign_secret;       /* secretKeyFile's secret: the slave sync signs as accessKey */

    RmqHostAddr store_host;   /* brokerIP1:listenPort */
    gchar *broker_addr;       /* "brokerIP1:listenPort" */
    gint vip_port;            /* listenPort - 2 */
    gchar *config_dir;        /* <storePathRootDir>/config */
    gchar *topics_path, *groups_path, *offsets_path, *delay_path;
    gint manual_delete_rounds; /* DELETE_EXPIRED_COMMITLOG: clean rounds left that
                                * delete whatever the deleteWhen hour (Java: 20) */
    gboolean offsets_dirty;
    gboolean delay_dirty;

    RmqBrokerStats stats;
    RmqStatsTable *stats_table; /* Java's BrokerStatsManager windows (stats.h) */
    /* The send path's stats items, resolved for the last topic and cluster
     * name put (processor_send.c): no key built or compared three times per
     * send. Names too long for the buffers are not cached. */
    struct {
        gchar topic[128], cluster[128]; /* "" = nothing resolved */
        RmqStatsItem *nums, *size, *cluster_nums;
    } put_stats;
    /* The last topic a send was validated for (processor_send.c), one
     * record for what validation looks up by the name: the name is legal and
     * not forbidden (both depend on the name alone), and its topic config,
     * valid while the table's change count is @tc_changes. The next send to
     * it compares one name. Names too long for @name are not kept. */
    struct {
        gchar name[128];          /* "" = none */
        const RmqTopicConfig *tc; /* NULL: not looked up yet */
        guint64 tc_changes;       /* rmq_topic_table_changes() when @tc was */
    } send_topic;
    /* MSG_REGION of a send's answer (regionId, "DefaultRegion" unset) and
     * whether it needs a JSON escape: read at each settings load
     * (rmq_broker_send_region_load), not per send. text NULL: not read. */
    struct {
        const gchar *text; /* b->settings' string or a literal */
        gsize len;
        gboolean plain;
    } send_region;
    GHashTable *refused;      /* answer code -> guint64 * refusals (rmq_broker_note_refusal) */
    struct _RmqRateLimit *refusal_log; /* one notice per client address and kind a minute */
    guint stats_ticks;          /* samples taken: hour every 60th, day every 360th */
    guint offsets_timer, delay_timer, clean_timer, stats_timer, client_timer, window_timer;
    gboolean stopping;
    void (*on_stopped)(gpointer data);
    gpointer on_stopped_data;
};

/* Open the store (recovering it), load the JSON tables, listen on listenPort
 * and listenPort-2, register with every name server (synchronously; failures
 * only logged) and start the services. Call from outside the main loop's
 * callbacks (the daemon's start step). (transfer full) */
RmqBroker *rmq_broker_new(const RmqConfig *config, GError **error);
/* Apply every reloadable key of @config (SIGHUP, UPDATE_BROKER_CONFIG) to the
 * broker settings, the store (rmq_store_reconfigure) and HA
 * (rmq_ha_service_reconfigure); @config becomes the running configuration.
 * Keys that need a restart are not looked at. */
void rmq_broker_reconfigure(RmqBroker *b, const RmqConfig *config);
/* GET_BROKER_CONFIG body: every broker key with the value in force, read
 * from the subsystem that acts on it. (transfer full) */
gchar *rmq_broker_config_properties(RmqBroker *b);
/* Graceful stop: stop accepting, answer parked pulls, flush and persist,
 * unregister from the name servers; then @done(@data) runs from the loop. */
void rmq_broker_stop(RmqBroker *b, void (*done)(gpointer data), gpointer data);
/* Close what is left (store included) and free. NULL is ignored. */
void rmq_broker_free(RmqBroker *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqBroker, rmq_broker_free)

/* STATUS= line: topics, connections, put and get TPS. (transfer full) */
gchar *rmq_broker_status(RmqBroker *b);

/* Persist after a change (synchronously: tables are small). */
void rmq_broker_save_topics(RmqBroker *b);
void rmq_broker_save_groups(RmqBroker *b);
void rmq_broker_save_offsets(RmqBroker *b);
void rmq_broker_save_delay_offsets(RmqBroker *b);
/* A topic was auto-created: persist and re-register (one-way). */
void rmq_broker_topic_created(RmqBroker *b);
/* Subscription group lookup with autoCreateSubscriptionGroup, persisting a
 * newly created group. (transfer none) NULL when unknown. */
const RmqSubscriptionGroup *rmq_broker_find_group(RmqBroker *b, const gchar *group);

/* A message was stored in (topic, queue): wake parked pulls. */
void rmq_broker_message_arrived(RmqBroker *b, const gchar *topic, gint32 queue_id,
                                gint64 max_offset, gint64 tag_code, gboolean tag_known);

/* Frees a value of b->mq_locks (defined in processor_client.c). */
void rmq_broker_mq_lock_free(gpointer lock);

/* Helpers shared by the processors. */
gboolean rmq_broker_is_vip(RmqBroker *b, RmqConnection *conn);
/* The peer address of @conn in record form. */
void rmq_broker_peer_host(RmqConnection *conn, RmqHostAddr *out);
/* The reply API of the processors. Every rmq_broker_reply* answers @request
 * and frees it (transfer full: a handler owns its request). The suffix says
 * who owns @remark (NULL = no remark): _take frees it (transfer full),
 * _borrow copies it (transfer none). The reply is dropped for a one-way
 * request. */
void rmq_broker_reply_take(RmqConnection *conn, RmqCommand *request, gint32 code, gchar *remark);
void rmq_broker_reply_borrow(RmqConnection *conn, RmqCommand *request, gint32 code,
                             const gchar *remark);
/* Send @response (transfer full), built with rmq_broker_response_*. */
void rmq_broker_reply(RmqConnection *conn, RmqCommand *request, RmqCommand *response);

/* Count a put or get of the store in the running figures (store_stats.h), as
 * Java's store counts its own: @start_us is g_get_monotonic_time() taken just
 * before the store call. */
void rmq_broker_count_put(RmqBroker *b, RmqPutStatus status, const RmqPutResult *r,
                          gint64 start_us);
void rmq_broker_count_get(RmqBroker *b, const RmqGetResult *r, gint64 start_us);

/* A request refused before its handler ran (an unknown code, a permission,
 * an illegal message, ACL): counted by answer code for the runtime info, and
 * logged at notice once per client address and kind a minute unless
 * @logged_elsewhere (the ACL guard logs its own). */
void rmq_broker_note_refusal(RmqBroker *b, RmqConnection *conn, const RmqCommand *request,
                             gint32 code, const gchar *remark, gboolean logged_elsewhere);
/* The counts as refusedRequests_<ANSWER CODE NAME> members of @jb. */
void rmq_broker_refusals_to_runtime_info(RmqBroker *b, JsonBuilder *jb);
/* A response to add fields or a body to before rmq_broker_reply(); @request is
 * only read. (transfer full) */
RmqCommand *rmq_broker_response_take(const RmqCommand *request, gint32 code, gchar *remark);
RmqCommand *rmq_broker_response_borrow(const RmqCommand *request, gint32 code,
                                       const gchar *remark);
/* Flow control at the top of the send handler (flow_control.h): TRUE when
 * it answered @request SYSTEM_BUSY (the handler returns), FALSE to go on. */
gboolean rmq_broker_flow_control_send(RmqBroker *b, RmqConnection *conn, RmqCommand *request);
/* The "send thread-pool queue" of flow_control.h: sends stored but not yet
 * answered (waiting for the flush or the slave), and how long the oldest has
 * waited (*@head_wait_ms, 0 when none). */
guint rmq_broker_send_queue(RmqBroker *b, gint64 now_us, gint64 *head_wait_ms);
/* Drops the source that closes put batches (before the broker goes). */
void rmq_broker_flow_control_clear(RmqBroker *b);
/* Required ext field check: NULL when present, else the remark
 * "the custom field <name> is null" (transfer full). */
gchar *rmq_broker_missing_field(const RmqCommand *request, const gchar *const *names);
/* The same check answering SYSTEM_ERROR with that remark: FALSE when it
 * answered (the handler returns), TRUE to go on. */
gboolean rmq_broker_require_fields(RmqConnection *conn, RmqCommand *request,
                                   const gchar *const *names);
/* The ext field @name, or NULL once the request is answered (as
 * rmq_broker_require_fields()) that it is missing. */
const gchar *rmq_broker_require_ext(RmqConnection *conn, RmqCommand *request,
                                   const gchar *name);
/* NULL, empty or only white space (Java's StringUtils.isBlank). */
gboolean rmq_broker_text_blank(const gchar *text);

/* The header of a send request (codes 10, 310 and 320), read in one pass
 * over its ext fields: long names for code 10, one-letter keys a..m for the
 * others (docs/protocol.md §6.2). */
typedef enum {
    RMQ_SEND_H_GROUP, RMQ_SEND_H_TOPIC, RMQ_SEND_H_DEFAULT_TOPIC, RMQ_SEND_H_DEFAULT_QNUMS,
    RMQ_SEND_H_QID, RMQ_SEND_H_SYSFLAG, RMQ_SEND_H_BORN, RMQ_SEND_H_FLAG, RMQ_SEND_H_PROPS,
    RMQ_SEND_H_RECONSUME, RMQ_SEND_H_UNIT, RMQ_SEND_H_MAX_RECONSUME, RMQ_SEND_H_BATCH,
    RMQ_SEND_H_N
} RmqSendHeaderField;

typedef struct {
    const gchar *raw[RMQ_SEND_H_N]; /* first value of each field or NULL; owned by the request */
    guint32 raw_len[RMQ_SEND_H_N];  /* their lengths (0 where raw is NULL) */
    gint32 queue_id, sys_flag, flag, default_qnums;
    gint32 reconsume;     /* 0 when absent or not a number */
    gint32 max_reconsume; /* -1 when absent or not a number */
    gint64 born;
    gboolean batch;       /* "true" (any case) or "1" */
} RmqSendHeader;

/* Fill @out from @req. FALSE when a required field (producerGroup .. flag)
 * is missing or a required number is not one; @remark (transfer full) then
 * says which, as the MESSAGE_ILLEGAL remark. */
gboolean rmq_broker_send_header_parse(const RmqCommand *req, RmqSendHeader *out, gchar **remark);

/* The message that stores the record @rec again on this broker (retry,
 * delayed delivery, transaction commit and check), to @topic/@queue_id with
 * properties @props: flag, born time and host, reconsume times and body are
 * kept; the store host is this broker's, so the host-kind bits of the system
 * flag are cleared; prepared_transaction_offset is 0. @out points into @rec
 * and @props. */
void rmq_broker_message_from_record(RmqBroker *b, const RmqMessageRecord *rec,
                                    const gchar *topic, gint32 queue_id, const GString *props,
                                    RmqMessage *out);
/* rmq_broker_message_arrived() for a message just stored at @queue_offset
 * with properties @props (the tag code is that of its TAGS). */
void rmq_broker_stored_arrived(RmqBroker *b, const gchar *topic, gint32 queue_id,
                               gint64 queue_offset, const GString *props);

/* The pull algorithm (docs/protocol.md §10.2), used by the processor and by long polling when a
 * parked request is re-executed (@allow_suspend FALSE). Returns the response,
 * or NULL when the request was parked. (transfer full) */
RmqCommand *rmq_broker_pull_execute(RmqBroker *b, RmqConnection *conn, const RmqCommand *request,
                                    gboolean allow_suspend);
/* An @type (SQL92) expression compiled, from the broker's cache when it was
 * seen before. (transfer full) NULL with @error (position included) when it
 * does not compile or the type is unknown. */
RmqFilter *rmq_broker_filter_compile(RmqBroker *b, const gchar *type, const gchar *text,
                                     GError **error);

/* Half message rewrite of a PREPARED send (docs/protocol.md §11.1 step 2): new properties with
 * REAL_TOPIC/REAL_QID (transfer full). */
GString *rmq_broker_transaction_half_props(const gchar *props, gsize len, const gchar *topic,
                                           gint32 queue_id);

G_END_DECLS
