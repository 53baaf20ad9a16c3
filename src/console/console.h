/* rmq-console: the web console daemon. The HTTP server (libsoup-3.0) runs on
 * the daemon's main loop; every cluster call runs in a worker thread with
 * its own RmqAdmin (the client library blocks and iterates a private
 * context), so a slow broker never stalls the loop. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "client/rmq-client.h"
#include "common/daemon.h"

G_BEGIN_DECLS

#define RMQ_CONSOLE_ERROR (rmq_console_error_quark())
GQuark rmq_console_error_quark(void);
typedef enum {
    RMQ_CONSOLE_ERROR_BAD_REQUEST = 400, /* codes are the HTTP statuses they map to */
    RMQ_CONSOLE_ERROR_FORBIDDEN = 403,
    RMQ_CONSOLE_ERROR_NOT_FOUND = 404,
    RMQ_CONSOLE_ERROR_METHOD = 405,
    RMQ_CONSOLE_ERROR_UPSTREAM = 502,
    RMQ_CONSOLE_ERROR_TIMEOUT = 504,
} RmqConsoleError;

/* One API call as a worker thread sees it: everything copied, nothing shared
 * with the main loop. */
typedef struct {
    GHashTable *params;  /* name -> value (query string and body), owned */
    gchar *namesrv;      /* "host:port;..." */
    RmqAdmin *admin;     /* created in the worker */
    GHashTable *topic_tps; /* topic -> gdouble* latest put TPS (may be NULL) */
    gchar *access_key;   /* accessKey (plain ACL): sign with rmq_console_call_sign() */
    gchar *secret_key;   /* from secretKeyFile; NULL with no accessKey */
} RmqConsoleCall;

/* Sign what @inst sends as the console's accessKey (nothing without one):
 * every producer, consumer or admin an API call makes goes through this
 * (acl.c). */
void rmq_console_call_sign(const RmqConsoleCall *call, RmqInstance *inst);

typedef JsonNode *(*RmqConsoleApiFn)(RmqConsoleCall *call, GError **error);

typedef struct {
    const gchar *method; /* "GET" or "POST" (POST = a write: CSRF token required) */
    const gchar *path;   /* under /api, e.g. "/api/topic" */
    RmqConsoleApiFn fn;
} RmqConsoleRoute;

/* (transfer none) NULL when no route has @path; *@path_known tells a wrong
 * method (405) from an unknown path (404). */
const RmqConsoleRoute *rmq_console_api_find(const gchar *method, const gchar *path,
                                            gboolean *path_known);

/* Validation helpers (pure, unit-tested). Topic and group names as RocketMQ
 * allows them: [A-Za-z0-9_%|-], 1..127 characters (groups 1..255). */
gboolean rmq_console_valid_name(const gchar *name, gsize max_len);
/* Integer parameter @name in [lo, hi]; @dflt when absent (lo - 1 = required). */
gboolean rmq_console_param_int(GHashTable *params, const gchar *name, gint64 lo, gint64 hi,
                               gint64 dflt, gint64 *out, GError **error);
/* Timestamp: milliseconds since the epoch, or ISO 8601 ("2026-01-02T03:04:05Z"). */
gboolean rmq_console_parse_time(const gchar *text, gint64 *ms);

/* Every broker address of the cluster with its runtime figures (up, role,
 * version, putTps, getTps, diskRatio, ...): a JSON array. Blocking. */
JsonNode *rmq_console_cluster_brokers(RmqAdmin *admin, GError **error);
/* On each slave row of @brokers (rmq_console_cluster_brokers) whose master
 * is up: masterAddr, masterOffset and slaveLag, the master's commit log max
 * offset minus the slave's (bytes not yet replicated, never below 0). Pure. */
void rmq_console_slave_lag(JsonArray *brokers);
/* Every subscription group on every master, sorted. (transfer full) of gchar* */
GPtrArray *rmq_console_group_names(RmqAdmin *admin, GError **error);

/* The page language for an Accept-Language header: "zh-CN" when Chinese
 * ranks above English (any zh tag: the console has Simplified Chinese
 * only), else "en". Pure. */
const gchar *rmq_console_pick_lang(const gchar *accept_language);
/* The parameter a 400 reason names ("topic: only letters…", "readQueueNums
 * must be…"): its leading word, or NULL. (transfer full) */
gchar *rmq_console_error_field(const gchar *reason);

/* The message that resends dead letter @dead (a message of a %DLQ% topic)
 * to its original topic, the RETRY_TOPIC property the broker set when it
 * gave the message up: same body, flag, tags, keys and user properties,
 * none of the properties the broker or the client set. Pure. (transfer full) */
RmqMsg *rmq_console_dlq_resend_msg(const RmqMsg *dead, GError **error);

/* A trace record (rmq_trace_decode) as the trace page shows it: {type,
 * timestamp, group, msgId, ...}, the members its kind has; a SubAfter of
 * an older writer (no group) has no timestamp. (transfer full) Pure. */
JsonObject *rmq_console_trace_json(const RmqTraceRecord *r);
/* The records of a trace message body in Java's format (rmq_trace_decode:
 * TraceDataEncoder's, split as Java splits), each rmq_console_trace_json;
 * records of other kinds, cut short or with a malformed number are left
 * out. Pure. */
JsonNode *rmq_console_trace_decode(const gchar *data, gsize len);
/* The master (id 0) addresses of a TopicRouteData @route, and in *@names
 * (may be NULL) their broker names, in the same order; members of the wrong
 * type are passed over. (transfer full) Pure. */
GStrv rmq_console_route_masters(JsonNode *route, GStrv *names);
/* Adds to the set @seen (g_str_hash, owning its keys) the group names of a
 * QUERY_TOPIC_CONSUME_BY_WHO answer @body (GroupList; may be NULL); items
 * that are not strings are passed over. Pure. */
void rmq_console_consume_by_who_groups(JsonNode *body, GHashTable *seen);
/* "host:port;host:port": 1 to 65535, host letters, digits, '.', '-'. Pure. */
gboolean rmq_console_valid_namesrv_list(const gchar *list);

/* The broker address ("a.b.c.d:port") an offset message id names: the store
 * host and port it encodes. NULL when @id is no offset id (a client msgId's
 * "port" never fits in 16 bits). The console dials it only when the name
 * servers list that broker. Pure. (transfer full) */
gchar *rmq_console_offset_id_addr(const gchar *id);

/* A console account: consoleAccounts entries ("name:role:hash") and the
 * old consoleAuthUser/consoleAuthPasswordHash pair (an admin). */
typedef struct {
    gchar *name;
    gchar *hash;
    gboolean admin; /* FALSE: a viewer, who may only read */
} RmqConsoleAccount;
void rmq_console_account_free(RmqConsoleAccount *a);
/* (transfer full) of RmqConsoleAccount; empty = no authentication. Pure. */
GPtrArray *rmq_console_accounts_new(const gchar *user, const gchar *hash,
                                    const gchar *const *entries);
/* The account named @name, or NULL. (transfer none) */
const RmqConsoleAccount *rmq_console_account_find(GPtrArray *accounts, const gchar *name);

/* Topics RocketMQ keeps for itself (TBW102, retry and DLQ topics, ...). */
gboolean rmq_console_topic_is_system(const gchar *topic);

/* Map any error to an HTTP status (RMQ_MQ_ERROR and RMQ_CONSOLE_ERROR). */
guint rmq_console_http_status(const GError *error);

/* /metrics: the whole cluster in the Prometheus text format. Blocking (worker). */
gchar *rmq_console_metrics_collect(RmqConsoleCall *call, GError **error);
/* Label value escaping of the exposition format (\\, \", \n). (transfer full) */
gchar *rmq_console_metrics_escape(const gchar *value);

/* Basic auth check against a crypt(3) hash, in constant time for the compare. */
gboolean rmq_console_password_ok(const gchar *password, const gchar *hash);
/* How many crypt(3) computations rmq_console_password_ok() has run (tests). */
guint rmq_console_password_checks(void);
/* A hash of a random password with the first account's method and cost, to
 * check unknown names against. (transfer full) NULL without accounts. */
gchar *rmq_console_dummy_hash(GPtrArray *accounts);
/* The account @user whose password is @password, or NULL; an unknown @user
 * is checked against @dummy_hash, so it takes as long as a known one. */
const RmqConsoleAccount *rmq_console_authenticate(GPtrArray *accounts, const gchar *dummy_hash,
                                                  const gchar *user, const gchar *password);
/* 0 when @account may read (@change FALSE) or change (@change TRUE), else
 * the HTTP status: 401 when there are accounts and @account is NULL (a
 * reload removed it), 403 for a viewer's change. Without accounts: 0. Pure. */
guint rmq_console_access(GPtrArray *accounts, const RmqConsoleAccount *account, gboolean change);
/* The CSRF token of @account (NULL: no authentication): hex HMAC-SHA256 of
 * its name under the per-process @secret. (transfer full) Pure. */
gchar *rmq_console_csrf_token(GBytes *secret, const gchar *account);
/* Whether a POST may come from where its Origin header (else Referer) says:
 * absent both, or scheme, host and port equal to @self (the request's URI,
 * default ports filled in). "Origin: null" is refused. Pure. */
gboolean rmq_console_origin_ok(const gchar *origin, const gchar *referer, GUri *self);

/* Registers the pages (generated by glib-compile-resources into resources.c,
 * --manual-register: a constructor in a static library's object would be
 * dropped by the linker). */
void rmq_console_register_resource(void);

extern const RmqDaemonOps rmq_console_daemon_ops;

G_END_DECLS
