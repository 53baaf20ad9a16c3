/* Name server request handlers (docs/protocol.md §3.1): one request in,
 * one response out, over the route table and the KV store. No sockets: the
 * connection a request came on is an opaque pointer and time is passed in,
 * so every code can be tested without a network. */
#pragma once

#include <glib.h>
#include "common/config.h"
#include "namesrv/kvconfig.h"
#include "namesrv/route_table.h"
#include "remoting/command.h"

G_BEGIN_DECLS

typedef struct {
    RmqRouteTable *routes; /* (transfer none) */
    RmqKvConfig *kv;       /* (transfer none) */
    gboolean order_message_enable;
    /* GET_NAMESRV_CONFIG: the running configuration (may be NULL), plus the
     * keys UPDATE_NAMESRV_CONFIG changed (key -> value, owned). */
    const RmqConfig *config;
    GHashTable *config_overrides;
} RmqNamesrvProcessor;

/* (transfer full) with empty overrides; @routes and @kv stay the caller's. */
RmqNamesrvProcessor *rmq_namesrv_processor_new(RmqRouteTable *routes, RmqKvConfig *kv);
void rmq_namesrv_processor_free(RmqNamesrvProcessor *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RmqNamesrvProcessor, rmq_namesrv_processor_free)

/* The request codes this module answers (terminated by -1). */
extern const gint32 rmq_namesrv_processor_codes[];

/* Handle @request, which arrived on @channel at @now_ms. Returns the response
 * (transfer full): every code gets one, unknown codes
 * REQUEST_CODE_NOT_SUPPORTED; the caller drops it for one-way requests. */
RmqCommand *rmq_namesrv_processor_handle(RmqNamesrvProcessor *p, gpointer channel,
                                         const RmqCommand *request, gint64 now_ms);

/* Log one broker removal (expired / closed / unregistered) as an operator
 * event with RMQ_BROKER and RMQ_CLUSTER fields. */
void rmq_namesrv_log_removal(const RmqBrokerRemoval *r, const gchar *why);

G_END_DECLS
