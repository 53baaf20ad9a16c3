#!/bin/bash
# Replication benchmark (classic HA, docs/protocol.md §12), master and
# slave on this machine, 16 sync producers x 128 B (rmq-bench):
#   - produce TPS of an ASYNC_MASTER alone (the peer: same build, same run),
#     of an ASYNC_MASTER with a slave, and of a SYNC_MASTER with a slave
#     (each send acknowledged once the slave has it);
#   - replication lag under that load, in bytes and milliseconds
#     (bench/ha/ha-lag polls both brokers' commitLogMaxOffset every 10 ms).
# Prints the rows and appends them to bench/README.md.
#
#   bench/ha/run.sh [--no-append] [BUILDDIR]     (default BUILDDIR: _build-bench)
# Environment: RMQ_BENCH_SECONDS (per scenario, default 4), RMQ_BENCH_TMP
#   (where stores go, default /var/tmp), RMQ_BENCH_PRODUCERS (default 16).
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
append=yes
if [ "${1:-}" = "--no-append" ]; then append=no; shift; fi
build=${1:-"$srcdir/_build-bench"}
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
DUR=${RMQ_BENCH_SECONDS:-4}
PRODUCERS=${RMQ_BENCH_PRODUCERS:-16}

say() { echo "# $*" >&2; }
die() { echo "bench/ha/run.sh: $*" >&2; exit 1; }

if [ ! -x "$srcdir/configure" ]; then (cd "$srcdir" && autoreconf -fi >/dev/null); fi
mkdir -p "$build"
if [ ! -f "$build/Makefile" ]; then (cd "$build" && "$srcdir/configure" -q); fi
say "building in $build"
make -C "$build" -s -j2 src/namesrv/rmq-namesrv src/broker/rmq-broker src/tools/rmq-bench \
    bench/bench-probe bench/ha/ha-lag >&2 || die "build failed"
NAMESRV=$build/src/namesrv/rmq-namesrv
BROKER=$build/src/broker/rmq-broker
RMQBENCH=$build/src/tools/rmq-bench
PROBE=$build/bench/bench-probe
LAG=$build/bench/ha/ha-lag

TMP=$(mktemp -d "${RMQ_BENCH_TMP:-/var/tmp}/rmq-ha-bench.XXXXXX")
PIDS=()
alive() {
    [ -r "/proc/$1/stat" ] || return 1
    [ "$(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]
}
stop() { # pid
    local p keep=()
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 100); do alive "$1" || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
}
cleanup() {
    local p
    for p in "${PIDS[@]}"; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
jget() { echo "$1" | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"; }
ms2us() { awk -v x="$1" 'BEGIN { printf "%.0f", x * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
load1() { cut -d' ' -f1 /proc/loadavg; }

start_ready() { # log cmd...
    local log=$1 out; shift
    out=$("$PROBE" ready "$log" -- "$@") || { tail -20 "$log" >&2; die "$1 did not start"; }
    PID=$(kv "$out" pid)
    PIDS+=("$PID")
}

MACHINE="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
DATE=$(date -u +%Y-%m-%d)
CMD="bench/ha/run.sh (RMQ_BENCH_SECONDS=$DUR)"
ROWS=()
row() { # load result peer ratio
    ROWS+=("| $MACHINE, load $1 | $DATE | $CMD | $2 | $3 | $4 |")
    echo "| load $1 | $2 | $3 | $4 |"
}

broker_conf() { # file role id port ns store
    cat >"$1" <<EOF2
brokerClusterName = "BenchCluster";
brokerName = "broker-ha";
brokerId = $3;
brokerRole = "$2";
flushDiskType = "ASYNC_FLUSH";
bindAddress = "127.0.0.1";
brokerIP1 = "127.0.0.1";
listenPort = $4;
haListenPort = $(($4 + 1));
namesrvAddr = "127.0.0.1:$5";
storePathRootDir = "$6";
autoCreateTopicEnable = true;
autoCreateSubscriptionGroup = true;
EOF2
}

# One scenario: ASYNC_MASTER or SYNC_MASTER, with or without a slave.
# Sets TPS P50 P99 FAILED and, with a slave, LAGOUT (ha-lag output).
scenario() { # role with_slave
    local role=$1 slave=$2 dir=$TMP/$1-$2 ns m s out lag_pid
    mkdir -p "$dir"
    read -r NSPORT MPORT SPORT <<<"$("$PROBE" ports 3)"
    printf 'listenPort = %s;\nbindAddress = "127.0.0.1";\nkvConfigPath = "%s/kv.json";\n' \
        "$NSPORT" "$dir" >"$dir/namesrv.conf"
    broker_conf "$dir/master.conf" "$role" 0 "$MPORT" "$NSPORT" "$dir/master"
    start_ready "$dir/namesrv.log" "$NAMESRV" --config="$dir/namesrv.conf"; ns=$PID
    start_ready "$dir/master.log" "$BROKER" --config="$dir/master.conf"; m=$PID
    if [ "$slave" = slave ]; then
        broker_conf "$dir/slave.conf" SLAVE 1 "$SPORT" "$NSPORT" "$dir/slave"
        start_ready "$dir/slave.log" "$BROKER" --config="$dir/slave.conf"; s=$PID
    fi
    # warm-up: creates the topic; with a slave, until it is connected and in step
    NAMESRV_ADDR=127.0.0.1:$NSPORT "$RMQBENCH" producer -t HaBench -w 1 -c 20 -q --json >/dev/null || true
    if [ "$slave" = slave ]; then
        for _ in $(seq 50); do
            out=$("$LAG" "127.0.0.1:$MPORT" "127.0.0.1:$SPORT" 0.2 50)
            [ "$(kv "$out" caught_up)" = 1 ] && break
            NAMESRV_ADDR=127.0.0.1:$NSPORT "$RMQBENCH" producer -t HaBench -w 1 -c 1 -q --json >/dev/null || true
        done
        [ "$(kv "$out" caught_up)" = 1 ] || die "$role: the slave did not catch up"
        "$LAG" "127.0.0.1:$MPORT" "127.0.0.1:$SPORT" "$((DUR + 3))" 10 >"$dir/lag.out" &
        lag_pid=$!
        sleep 0.5
    fi
    L=$(load1)
    out=$(NAMESRV_ADDR=127.0.0.1:$NSPORT "$RMQBENCH" producer -t HaBench -w "$PRODUCERS" -s 128 \
        -d "$DUR" -q --json) || say "rmq-bench exited non-zero ($role $slave)"
    say "$role $slave: $out"
    TPS=$(jget "$out" tps | cut -d. -f1); FAILED=$(jget "$out" failed)
    P50=$(ms2us "$(jget "$out" p50Ms)"); P99=$(ms2us "$(jget "$out" p99Ms)")
    if [ "$slave" = slave ]; then
        wait "$lag_pid" || true
        LAGOUT=$(cat "$dir/lag.out"); say "lag: $(echo $LAGOUT)"
        stop "$s"
    fi
    stop "$m"; stop "$ns"
}

say "ASYNC_MASTER alone"
scenario ASYNC_MASTER alone
A_TPS=$TPS A_P50=$P50 A_P99=$P99 A_FAILED=$FAILED A_L=$L
say "ASYNC_MASTER with a slave"
scenario ASYNC_MASTER slave
AS_TPS=$TPS AS_P50=$P50 AS_P99=$P99 AS_FAILED=$FAILED AS_LAG=$LAGOUT AS_L=$L
say "SYNC_MASTER with a slave"
scenario SYNC_MASTER slave
SS_TPS=$TPS SS_P50=$P50 SS_P99=$P99 SS_FAILED=$FAILED SS_LAG=$LAGOUT SS_L=$L

peer="ASYNC_MASTER alone (no slave), same build, same run: $A_TPS msgs/s, p50 $A_P50 us, p99 $A_P99 us (failed $A_FAILED)"
row "$AS_L" "ASYNC_MASTER + SLAVE on this machine, $PRODUCERS sync producers, 128 B: $AS_TPS msgs/s, p50 $AS_P50 us, p99 $AS_P99 us (failed $AS_FAILED)" \
    "$peer" "$(ratio "$AS_TPS" "$A_TPS")"
row "$SS_L" "SYNC_MASTER + SLAVE on this machine (each send acknowledged once the slave has it), $PRODUCERS sync producers, 128 B: $SS_TPS msgs/s, p50 $SS_P50 us, p99 $SS_P99 us (failed $SS_FAILED)" \
    "$peer" "$(ratio "$SS_TPS" "$A_TPS")"
lagrow() { # load name lag
    row "$1" "$2 replication lag under $PRODUCERS producers x 128 B (ha-lag, commitLogMaxOffset of both every 10 ms, $(kv "$3" loaded_polls) polls under load): bytes p50 $(kv "$3" lag_bytes_p50), p99 $(kv "$3" lag_bytes_p99), max $(kv "$3" lag_bytes_max); ms p50 $(kv "$3" lag_ms_p50), p99 $(kv "$3" lag_ms_p99), max $(kv "$3" lag_ms_max) (resolution 10 ms); slave in step at the end: $( [ "$(kv "$3" caught_up)" = 1 ] && echo yes || echo no)" \
        "none: Apache RocketMQ not installable here" "n/a"
}
lagrow "$AS_L" ASYNC_MASTER "$AS_LAG"
lagrow "$SS_L" SYNC_MASTER "$SS_LAG"

if [ "$append" = yes ]; then
    printf '%s\n' "${ROWS[@]}" >>"$srcdir/bench/README.md"
    say "appended ${#ROWS[@]} rows to bench/README.md"
fi
