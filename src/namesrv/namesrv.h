/* rmq-namesrv wiring: the remoting server, the request processor, the
 * broker expiry timer and the KV store, as the daemon's start / reload /
 * stop / status steps (common/daemon.h). */
#pragma once

#include "common/daemon.h"

G_BEGIN_DECLS

/* Defaults of RouteInfoManager, used when the config leaves them unset (0). */
#define RMQ_NAMESRV_BROKER_EXPIRED_MS 120000
#define RMQ_NAMESRV_SCAN_INTERVAL_MS 10000
#define RMQ_NAMESRV_FIRST_SCAN_MS 5000

extern const RmqDaemonOps rmq_namesrv_daemon_ops;

G_END_DECLS
