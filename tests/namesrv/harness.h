/* Integration-test harness for rmq-namesrv: runs the real daemon binary on a
 * free loopback port with a config file in a temporary directory, listens on
 * its NOTIFY_SOCKET (READY=1, STATUS=), and offers request helpers built on
 * the project's remoting client. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "namesrv/register_body.h"
#include "remoting/client.h"

#include "../support/daemon-harness.h"

G_BEGIN_DECLS

typedef struct {
    gchar *dir;         /* temporary state directory, removed by free */
    gchar *conf_path;
    gchar *kv_path;
    gchar *log_path;    /* the daemon's stderr */
    gchar *instance;
    guint16 port;
    gchar *addr;        /* "127.0.0.1:<port>" */
    gchar *extra_conf;  /* appended to the config file */
    GSubprocess *proc;
    RmqTestNotify *notify;
    gchar *notify_path;
    GStrv env;          /* NAME, VALUE pairs set for the daemon (NULL: none) */
} NsDaemon;

/* A loopback TCP port that was free a moment ago. */
guint16 ns_free_port(void);

/* Temp dir, port, config file (with @extra_conf lines appended, may be NULL). */
NsDaemon *ns_daemon_new(const gchar *instance, const gchar *extra_conf);
/* Spawn and wait for READY=1 (at most @timeout_ms). */
gboolean ns_daemon_start(NsDaemon *d, guint timeout_ms, GError **error);
/* Next notify message containing @needle, or NULL after @timeout_ms. (transfer full) */
gchar *ns_daemon_wait_notify(NsDaemon *d, const gchar *needle, guint timeout_ms);
/* Discard the notify messages received so far. */
void ns_daemon_drain_notify(NsDaemon *d);
/* Send @sig and wait for exit; returns the exit status (-1 on timeout). */
int ns_daemon_signal_and_wait(NsDaemon *d, int sig, guint timeout_ms);
/* Whole stderr so far. (transfer full) */
gchar *ns_daemon_log(NsDaemon *d);
void ns_daemon_free(NsDaemon *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NsDaemon, ns_daemon_free)

/* Synchronous request: ext fields as key, value pairs ending in NULL.
 * (transfer full) the response, or NULL with @error. */
RmqCommand *ns_invoke(RmqClient *client, const gchar *addr, gint32 code, GBytes *body,
                      GError **error, ...) G_GNUC_NULL_TERMINATED;

/* REGISTER_BROKER with a JSON body listing @topics (NULL-terminated) at
 * DataVersion @counter. (transfer full) */
RmqCommand *ns_register(RmqClient *client, const gchar *ns_addr, const gchar *cluster,
                        const gchar *broker_name, gint64 broker_id, const gchar *broker_addr,
                        const gchar *ha_addr, gint64 counter, const gchar *const *topics,
                        GError **error);

/* Parse a response body as JSON. (transfer full) */
JsonNode *ns_body_json(const RmqCommand *resp);

/* Poll GET_ROUTEINFO_BY_TOPIC until its response code is @code (at most
 * @timeout_ms); returns the last code seen. */
gint32 ns_wait_route_code(RmqClient *client, const gchar *addr, const gchar *topic, gint32 code,
                          guint timeout_ms);

G_END_DECLS
