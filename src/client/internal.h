/* Shared internals of the client library: the name-server/route core every
 * producer, consumer and admin object embeds, and helpers between files. */
#pragma once

#include <glib.h>
#include "client/rmq-client.h"
#include "remoting/client.h"
#include "remoting/codes.h"

G_BEGIN_DECLS

#define RMQ_MQ_DEFAULT_TOPIC "TBW102"
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
    RmqClient *client;
    gchar **namesrvs;
    guint ns_index;     /* sticky until failure (docs/protocol.md §9.2) */
    GHashTable *routes; /* topic -> RmqRoute */
    gchar *client_id;   /* ip@pid#nanos */
    gchar *client_ip;
    gchar *access_key;  /* plain ACL credentials, NULL = requests go unsigned */
    gchar *secret_key;
    gchar *security_token;
    GList *consumers;   /* RmqConsumer made on it (transfer none), for broker requests */
};
typedef struct _RmqInstance RmqMqCore;
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
/* A new docs/protocol.md §6.5 client unique id (UNIQ_KEY). (transfer full) */
gchar *rmq_mq_unique_id(void);
/* Rewrite fastjson's object-keyed maps ({{"brokerName":…}:v}) into
 * standard JSON (the key becomes the object's text) and parse. */
JsonNode *rmq_mq_parse_fastjson(const guint8 *data, gsize len, GError **error);
/* HEART_BEAT body. (transfer full) */
GBytes *rmq_mq_heartbeat_body(const gchar *client_id, const gchar *producer_group,
                              const gchar *consumer_group, const gchar *topic);
/* JSON node helpers. */
JsonNode *rmq_mq_json_body(const RmqCommand *resp, GError **error);

G_END_DECLS
