#!/bin/bash
# Start and stop the rmq daemons of one interop run. run.sh uses it, and so
# does the broker-restart test (through RMQ_INTEROP_CTL), so the daemons are
# managed in one place. All state lives in the run directory DIR:
#   env.sh          ports, addresses and binaries of this run
#   namesrv.conf, broker.conf, store/, *.log, *.pid
#
#   daemons.sh setup DIR BUILDDIR   pick free loopback ports, write configs
#                                   (RMQ_INTEROP_MOCK_BROKER=1: the broker is
#                                   mock/mock-broker.js, a harness self-check)
#   daemons.sh start-namesrv DIR
#   daemons.sh start-broker DIR     (also after stop-broker: same store)
#   daemons.sh stop-broker DIR      SIGTERM, wait for the exit
#   daemons.sh kill-broker DIR      SIGKILL (a crash), wait for the exit
#   daemons.sh stop-all DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "daemons.sh: $*" >&2; exit 1; }

# Succeeds once something accepts connections on 127.0.0.1:$1, within $2 s.
wait_port() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# A pid that has exited (or is a zombie nobody reaped yet) is not alive.
alive() {
    local state
    [ -r "/proc/$1/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1)
    [ "$state" != Z ]
}

stop_pidfile() { # pidfile name
    local pid i
    [ -f "$1" ] || return 0
    pid=$(cat "$1")
    rm -f "$1"
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        alive "$pid" || return 0
        sleep 0.1
    done
    echo "daemons.sh: $2 (pid $pid) ignored SIGTERM for 15 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    return 1
}

setup() { # dir builddir
    local dir=$1 build=$2 ports ns broker ha broker_bin
    broker_bin=$build/src/broker/rmq-broker
    [ "${RMQ_INTEROP_MOCK_BROKER:-0}" = 1 ] && broker_bin=$here/mock/mock-broker.js
    ports=$(node "$here/lib/free-ports.js") || die "cannot pick ports"
    read -r ns broker ha <<<"$ports"
    mkdir -p "$dir/store"
    cat >"$dir/namesrv.conf" <<EOF
listenPort = $ns;
bindAddress = "127.0.0.1";
kvConfigPath = "$dir/namesrv-kv.json";
EOF
    # Small mapped files keep the store light; the delay levels are shortened
    # so that the retry (level 3) and delay tests take seconds, not minutes.
    cat >"$dir/broker.conf" <<EOF
brokerClusterName = "InteropCluster";
brokerName = "broker-interop";
brokerId = 0;
brokerRole = "ASYNC_MASTER";
flushDiskType = "ASYNC_FLUSH";
bindAddress = "127.0.0.1";
brokerIP1 = "127.0.0.1";
listenPort = $broker;
haListenPort = $ha;
namesrvAddr = "127.0.0.1:$ns";
storePathRootDir = "$dir/store";
mappedFileSizeCommitLog = 16777216;
mappedFileSizeConsumeQueue = 120000;
autoCreateTopicEnable = true;
autoCreateSubscriptionGroup = true;
flushConsumerOffsetInterval = 1000;
messageDelayLevel = "1s 2s 3s 4s 5s 6s 7s 8s 9s 10s 11s 12s 13s 14s 15s 16s 17s 18s";
EOF
    cat >"$dir/env.sh" <<EOF
RMQ_INTEROP_DIR='$dir'
RMQ_INTEROP_BUILDDIR='$build'
RMQ_INTEROP_NAMESRV_BIN='$build/src/namesrv/rmq-namesrv'
RMQ_INTEROP_BROKER_BIN='$broker_bin'
RMQ_INTEROP_RMQ_CALL='$build/src/tools/rmq-call'
RMQ_INTEROP_NAMESRV_PORT=$ns
RMQ_INTEROP_BROKER_PORT=$broker
RMQ_INTEROP_HA_PORT=$ha
RMQ_INTEROP_NAMESRV='127.0.0.1:$ns'
RMQ_INTEROP_BROKER='127.0.0.1:$broker'
RMQ_INTEROP_BROKER_NAME='broker-interop'
RMQ_INTEROP_CLUSTER='InteropCluster'
RMQ_INTEROP_DELAY_LEVELS='1s 2s 3s 4s 5s 6s 7s 8s 9s 10s 11s 12s 13s 14s 15s 16s 17s 18s'
EOF
}

load() { # dir
    [ -f "$1/env.sh" ] || die "$1/env.sh missing (run setup first)"
    # shellcheck disable=SC1091
    . "$1/env.sh"
}

verbose_flag() { [ "${RMQ_INTEROP_VERBOSE:-0}" = 1 ] && echo --verbose || true; }

start_namesrv() {
    load "$1"
    # shellcheck disable=SC2046
    setsid "$RMQ_INTEROP_NAMESRV_BIN" --instance=interop --config="$1/namesrv.conf" $(verbose_flag) \
        >>"$1/namesrv.log" 2>&1 </dev/null &
    echo $! >"$1/namesrv.pid"
    wait_port "$RMQ_INTEROP_NAMESRV_PORT" 10 || die "rmq-namesrv did not listen on $RMQ_INTEROP_NAMESRV_PORT (see $1/namesrv.log)"
}

start_broker() {
    local i run=()
    load "$1"
    echo "=== start $(date +%T.%N)" >>"$1/broker.log"
    case $RMQ_INTEROP_BROKER_BIN in *.js) run=(node) ;; esac
    # shellcheck disable=SC2046
    setsid "${run[@]}" "$RMQ_INTEROP_BROKER_BIN" --instance=interop --config="$1/broker.conf" $(verbose_flag) \
        >>"$1/broker.log" 2>&1 </dev/null &
    echo $! >"$1/broker.pid"
    wait_port "$RMQ_INTEROP_BROKER_PORT" 20 || die "rmq-broker did not listen on $RMQ_INTEROP_BROKER_PORT (see $1/broker.log)"
    # Ready for clients once the name server routes the default topic to it
    # (after a restart the old registration is gone with its connection).
    for ((i = 0; i < 200; i++)); do
        if "$RMQ_INTEROP_RMQ_CALL" "$RMQ_INTEROP_NAMESRV" GET_ROUTEINFO_BY_TOPIC topic=TBW102 2>/dev/null |
            grep -q "127.0.0.1:$RMQ_INTEROP_BROKER_PORT"; then
            return 0
        fi
        sleep 0.1
    done
    die "the name server does not route TBW102 to the broker 20 s after its start (see $1/broker.log)"
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: daemons.sh setup|start-namesrv|start-broker|stop-broker|stop-all DIR [BUILDDIR]"
case $cmd in
setup) setup "$dir" "${3:?builddir}" ;;
start-namesrv) start_namesrv "$dir" ;;
start-broker) start_broker "$dir" ;;
stop-broker)
    echo "=== stop $(date +%T.%N)" >>"$dir/broker.log"
    stop_pidfile "$dir/broker.pid" rmq-broker
    ;;
kill-broker)
    echo "=== kill $(date +%T.%N)" >>"$dir/broker.log"
    if [ -f "$dir/broker.pid" ]; then
        pid=$(cat "$dir/broker.pid")
        rm -f "$dir/broker.pid"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.1; done
        ! alive "$pid" || die "rmq-broker (pid $pid) survived SIGKILL"
    fi
    ;;
stop-all)
    rc=0
    [ -f "$dir/broker.pid" ] && echo "=== stop $(date +%T.%N)" >>"$dir/broker.log"
    stop_pidfile "$dir/broker.pid" rmq-broker || rc=1
    stop_pidfile "$dir/namesrv.pid" rmq-namesrv || rc=1
    exit $rc
    ;;
*) die "unknown command $cmd" ;;
esac
