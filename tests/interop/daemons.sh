#!/bin/bash
# Start and stop the rmq daemons of one interop run. run.sh uses it, and so
# does the broker-restart test (through RMQ_INTEROP_CTL), so the daemons are
# managed in one place. All state lives in the run directory DIR:
#   env.sh          ports, addresses and binaries of this run
#   namesrv.conf, broker.conf, broker-b.conf, store/, store-b/, *.log, *.pid
#
#   daemons.sh setup DIR BUILDDIR   pick free loopback ports, write configs
#                                   (RMQ_INTEROP_MOCK_BROKER=1: the broker is
#                                   mock/mock-broker.js, a harness self-check)
#   daemons.sh start-namesrv DIR
#   daemons.sh start-broker DIR [b] (also after stop-broker: same store)
#   daemons.sh stop-broker DIR [b]  SIGTERM, wait for the exit
#   daemons.sh kill-broker DIR [b]  SIGKILL (a crash), wait for the exit
#   daemons.sh stop-all DIR
# "b" is a second master (broker-interop-b: same cluster and name server, own
# ports and store) that only the cluster test starts.
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

# Small mapped files keep the store light; the delay levels are shortened
# so that the retry (level 3) and delay tests take seconds, not minutes.
broker_conf() { # name port haport nsport store
    cat <<EOF
brokerClusterName = "InteropCluster";
brokerName = "$1";
brokerId = 0;
brokerRole = "ASYNC_MASTER";
flushDiskType = "ASYNC_FLUSH";
bindAddress = "127.0.0.1";
brokerIP1 = "127.0.0.1";
listenPort = $2;
haListenPort = $3;
namesrvAddr = "127.0.0.1:$4";
storePathRootDir = "$5";
mappedFileSizeCommitLog = 16777216;
mappedFileSizeConsumeQueue = 120000;
autoCreateTopicEnable = true;
autoCreateSubscriptionGroup = true;
flushConsumerOffsetInterval = 1000;
enablePropertyFilter = true;
messageDelayLevel = "1s 2s 3s 4s 5s 6s 7s 8s 9s 10s 11s 12s 13s 14s 15s 16s 17s 18s";
EOF
}

setup() { # dir builddir
    local dir=$1 build=$2 ports ns broker ha broker2 ha2 broker_bin
    broker_bin=$build/src/broker/rmq-broker
    [ "${RMQ_INTEROP_MOCK_BROKER:-0}" = 1 ] && broker_bin=$here/mock/mock-broker.js
    ports=$(node "$here/lib/free-ports.js") || die "cannot pick ports"
    read -r ns broker ha broker2 ha2 <<<"$ports"
    mkdir -p "$dir/store" "$dir/store-b"
    cat >"$dir/namesrv.conf" <<EOF
listenPort = $ns;
bindAddress = "127.0.0.1";
kvConfigPath = "$dir/namesrv-kv.json";
EOF
    broker_conf broker-interop "$broker" "$ha" "$ns" "$dir/store" >"$dir/broker.conf"
    broker_conf broker-interop-b "$broker2" "$ha2" "$ns" "$dir/store-b" >"$dir/broker-b.conf"
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
RMQ_INTEROP_BROKER2_PORT=$broker2
RMQ_INTEROP_BROKER2='127.0.0.1:$broker2'
RMQ_INTEROP_BROKER2_NAME='broker-interop-b'
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

start_broker() { # dir [b]
    local i run=() sfx=${2:+-$2} port
    load "$1"
    port=$RMQ_INTEROP_BROKER_PORT
    [ -n "$sfx" ] && port=$RMQ_INTEROP_BROKER2_PORT
    echo "=== start $(date +%T.%N)" >>"$1/broker$sfx.log"
    case $RMQ_INTEROP_BROKER_BIN in *.js) run=(node) ;; esac
    # shellcheck disable=SC2046
    setsid "${run[@]}" "$RMQ_INTEROP_BROKER_BIN" --instance="interop$sfx" --config="$1/broker$sfx.conf" $(verbose_flag) \
        >>"$1/broker$sfx.log" 2>&1 </dev/null &
    echo $! >"$1/broker$sfx.pid"
    wait_port "$port" 20 || die "rmq-broker did not listen on $port (see $1/broker$sfx.log)"
    # Ready for clients once the name server routes the default topic to it
    # (after a restart the old registration is gone with its connection).
    for ((i = 0; i < 200; i++)); do
        if "$RMQ_INTEROP_RMQ_CALL" "$RMQ_INTEROP_NAMESRV" GET_ROUTEINFO_BY_TOPIC topic=TBW102 2>/dev/null |
            grep -q "127.0.0.1:$port"; then
            return 0
        fi
        sleep 0.1
    done
    die "the name server does not route TBW102 to the broker 20 s after its start (see $1/broker$sfx.log)"
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: daemons.sh setup|start-namesrv|start-broker|stop-broker|kill-broker|stop-all DIR [BUILDDIR|b]"
[ "$cmd" = setup ] || [ -z "${3:-}" ] || [ "$3" = b ] || die "the second broker is called b"
sfx=
[ "$cmd" != setup ] && [ -n "${3:-}" ] && sfx=-$3
case $cmd in
setup) setup "$dir" "${3:?builddir}" ;;
start-namesrv) start_namesrv "$dir" ;;
start-broker) start_broker "$dir" "${3:-}" ;;
stop-broker)
    echo "=== stop $(date +%T.%N)" >>"$dir/broker$sfx.log"
    stop_pidfile "$dir/broker$sfx.pid" "rmq-broker$sfx"
    ;;
kill-broker)
    echo "=== kill $(date +%T.%N)" >>"$dir/broker$sfx.log"
    if [ -f "$dir/broker$sfx.pid" ]; then
        pid=$(cat "$dir/broker$sfx.pid")
        rm -f "$dir/broker$sfx.pid"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.1; done
        ! alive "$pid" || die "rmq-broker$sfx (pid $pid) survived SIGKILL"
    fi
    ;;
stop-all)
    rc=0
    for b in broker broker-b; do
        [ -f "$dir/$b.pid" ] || continue
        echo "=== stop $(date +%T.%N)" >>"$dir/$b.log"
        stop_pidfile "$dir/$b.pid" "rmq-$b" || rc=1
    done
    stop_pidfile "$dir/namesrv.pid" rmq-namesrv || rc=1
    exit $rc
    ;;
*) die "unknown command $cmd" ;;
esac
