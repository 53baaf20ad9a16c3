/* The broker's side of docs/protocol.md §8.2: REGISTER_BROKER to every name server at start
 * (synchronously), every registerNameServerPeriod, one-way after a topic is
 * auto-created, and UNREGISTER_BROKER at stop. Built on RmqClient. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RmqNamesrvLink RmqNamesrvLink;

typedef struct {
    const gchar *cluster_name;
    const gchar *broker_name;
    const gchar *broker_addr;   /* ip:listenPort */
    const gchar *ha_addr;       /* ip:haListenPort */
    gint64 broker_id;
    guint timeout_ms;           /* registerBrokerTimeoutMills */
} RmqNamesrvLinkInfo;

/* Produces the REGISTER_BROKER body of all topics (transfer full). */
typedef GBytes *(*RmqNamesrvBodyFunc)(gpointer data);

/* A name server answered a registration: @master_addr and @ha_server_addr
 * of the response header (docs/protocol.md §8.2 step 5; NULL when absent: no live master, or
 * we are the master). */
typedef void (*RmqNamesrvReplyFunc)(const gchar *master_addr, const gchar *ha_server_addr,
                                    gpointer data);

/* tlsEnable: registrations go over TLS (a client context, a ref is taken;
 * NULL = plain). Connections opened from now on. */
typedef struct _RmqTlsContext RmqTlsContext;
void rmq_namesrv_link_set_tls(RmqNamesrvLink *l, RmqTlsContext *ctx);
/* @addrs: "host:port" list (copied, may be empty). */
RmqNamesrvLink *rmq_namesrv_link_new(const RmqNamesrvLinkInfo *info, gchar *const *addrs,
                                     RmqNamesrvBodyFunc body, gpointer data);
void rmq_namesrv_link_free(RmqNamesrvLink *l);

/* Register now. @sync: wait for every answer (only outside main-loop
 * callbacks); @oneway: no answer wanted. @body NULL = all topics. Returns how
 * many name servers answered SUCCESS (sync), else 0. */
guint rmq_namesrv_link_register(RmqNamesrvLink *l, GBytes *body, gboolean sync, gboolean oneway);
/* Register @body (NULL = all topics) with every name server and run
 * @done(@data) from the main loop once each has answered or failed (used to
 * answer UPDATE_AND_CREATE_TOPIC after the name servers know the topic). */
void rmq_namesrv_link_register_then(RmqNamesrvLink *l, GBytes *body, void (*done)(gpointer),
                                    gpointer data);
/* Periodic registration every @period_ms (clamped 10000..60000 unless smaller
 * for tests: values under 10000 are used as given); first after 10 s or the
 * period, whichever is smaller. */
/* registerBrokerTimeoutMills for the requests sent from now on. */
void rmq_namesrv_link_set_timeout(RmqNamesrvLink *l, guint timeout_ms);
void rmq_namesrv_link_start_periodic(RmqNamesrvLink *l, guint period_ms);
/* UNREGISTER_BROKER to all; @done runs from the main loop when every name
 * server answered or failed. */
void rmq_namesrv_link_unregister(RmqNamesrvLink *l, void (*done)(gpointer), gpointer data);
guint rmq_namesrv_link_count(RmqNamesrvLink *l);
/* Called for every successful registration reply (a slave learns its master
 * from it). */
void rmq_namesrv_link_set_reply_func(RmqNamesrvLink *l, RmqNamesrvReplyFunc func, gpointer data);

G_END_DECLS
