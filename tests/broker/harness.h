/* Integration-test harness for rmq-broker: runs real rmq-namesrv and
 * rmq-broker binaries on free loopback ports with configs in a temporary
 * directory, waits for READY=1 on a private NOTIFY_SOCKET, and offers request
 * helpers built on the project's RmqClient. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "remoting/client.h"
#include "store/message_format.h"
#include "model/message_properties.h"

#include "../support/daemon-harness.h"

G_BEGIN_DECLS

typedef struct {
    gchar *binary;      /* path relative to RMQ_BUILDDIR */
    gchar *dir;         /* temporary directory, removed by free */
    gchar *conf_path;
    gchar *log_path;
    gchar *notify_path;
    RmqTestNotify *notify; /* read by a thread, so a long test never blocks sd_notify() */
    guint16 port;
    gchar *addr;        /* "127.0.0.1:<port>" */
    GSubprocess *proc;
    gchar **env;        /* NAME, VALUE pairs set for the daemon (may be NULL) */
} BkDaemon;

guint16 bk_free_port(void);
/* A name server with a fresh KV path. */
BkDaemon *bk_namesrv_new(void);
/* A broker registered to @ns_addr (may be NULL); @extra_conf is appended to
 * its libconfig file. The store lives in <dir>/store. */
BkDaemon *bk_broker_new(const gchar *ns_addr, const gchar *extra_conf);
/* Port chosen so that port-2 (VIP) is free as well. */
gboolean bk_daemon_start(BkDaemon *d, guint timeout_ms, GError **error);
/* bk_daemon_start, the error said as a TAP comment: the start in a test
 * group's setup. */
gboolean bk_daemon_start_or_say(BkDaemon *d, guint timeout_ms);
/* A name server and a broker registered to it (@extra_conf as for
 * bk_broker_new()), both started; FALSE, said on stderr, if either did not.
 * Each one started is in *@ns / *@broker for bk_daemon_free(). */
gboolean bk_pair_start(BkDaemon **ns, BkDaemon **broker, const gchar *extra_conf);
gchar *bk_daemon_wait_notify(BkDaemon *d, const gchar *needle, guint timeout_ms);
int bk_daemon_signal_and_wait(BkDaemon *d, int sig, guint timeout_ms);
gchar *bk_daemon_log(BkDaemon *d);
/* Appends @extra to @d's config file (before the daemon starts). */
void bk_daemon_append_conf(BkDaemon *d, const gchar *extra);
void bk_daemon_free(BkDaemon *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BkDaemon, bk_daemon_free)

/* Sync request with key, value ext pairs ending in NULL. (transfer full) */
RmqCommand *bk_invoke(RmqClient *c, const gchar *addr, gint32 code, GBytes *body, ...)
    G_GNUC_NULL_TERMINATED;
/* SEND_MESSAGE_V2 of @body with TAGS/KEYS (either may be NULL), extra
 * properties @props_extra ("K\001V\002..." may be NULL). (transfer full) */
RmqCommand *bk_send(RmqClient *c, const gchar *addr, const gchar *topic, gint qid,
                    const gchar *tags, const gchar *keys, const gchar *body,
                    const gchar *props_extra);
/* PULL_MESSAGE with the SUBSCRIPTION flag (+SUSPEND when @suspend_ms > 0). */
RmqCommand *bk_pull(RmqClient *c, const gchar *addr, const gchar *group, const gchar *topic,
                    gint qid, gint64 offset, const gchar *sub, gint64 suspend_ms);
/* HEART_BEAT from @c as @client_id: one passive, clustering consumer of
 * @group subscribed to all of @topic. (transfer full) */
RmqCommand *bk_consumer_heartbeat(RmqClient *c, const gchar *addr, const gchar *client_id,
                                  const gchar *group, const gchar *topic);
/* Decode a pull/query body into records (pointing into @body). */
GArray *bk_records(GBytes *body);
/* Body of record @r as a new string. */
gchar *bk_record_body(const RmqMessageRecord *r);
gchar *bk_record_prop(const RmqMessageRecord *r, const gchar *name);
gchar *bk_record_topic(const RmqMessageRecord *r);
JsonNode *bk_body_json(const RmqCommand *resp);
/* The body as text, "" when there is none. (transfer full) */
gchar *bk_body_text(const RmqCommand *r);
/* Ext field as int64, or @dflt. */
gint64 bk_ext_int(const RmqCommand *resp, const gchar *key, gint64 dflt);

G_END_DECLS
