/* rmq-namesrv wiring: the remoting server, the request processor, the
 * broker expiry timer and the KV store, as the daemon's start / reload /
 * stop / status steps (common/daemon.h). */
#pragma once

#include "common/daemon.h"

G_BEGIN_DECLS

/* RouteInfoManager's first expiry scan comes 5 s after start (then every
 * scanNotActiveBrokerInterval, both configurable since tests shorten them). */
#define RMQ_NAMESRV_FIRST_SCAN_MS 5000

extern const RmqDaemonOps rmq_namesrv_daemon_ops;

G_END_DECLS
