#!/bin/bash
# Pull throughput with SQL92 property filters beside tag filters, same run
# (docs/protocol.md §10.8). One name server and one broker (ASYNC_FLUSH,
# enablePropertyFilter = true) on loopback; a backlog of N messages of 128 B
# in 4 queues, message k with tag T<k%10> and property n=<k%10>
# (rmq-bench producer --numbered); then one fresh group per filter pulls the
# whole backlog from the start (4 pullers, 32 per pull) until it has every
# matching message:
#   tag 10 %   -e 'T0'                         SQL92 10 %   --sql -e 'n < 1'
#   tag 90 %   -e 'T0 || T1 || ... || T8'      SQL92 90 %   --sql -e 'n < 9'
#   no filter  (every message, the ceiling)
# Tag filters skip by the consume queue's tag hash; SQL92 reads each stored
# record's properties. Prints the README rows (machine, date, command,
# result, peer, ratio) on stdout; appends them to bench/README.md unless
# --no-append.
#
#   bench/filter.sh [--no-append] [BUILDDIR] (default _build-bench)
#   RMQ_BENCH_BACKLOG=1000000 (messages)
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/bench/lib.sh"
bench_args "$@"
N=${RMQ_BENCH_BACKLOG:-1000000}

say() { echo "# $*" >&2; }
die() { echo "bench/filter.sh: $*" >&2; exit 1; }

bench_build
RMQBENCH=$build/src/tools/rmq-bench
ADMIN=$build/src/tools/rmqadmin
PROBE=$build/bench/bench-probe

TMP=$(mktemp -d "${RMQ_BENCH_TMP:-/var/tmp}/rmq-filter.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 100); do [ -e "/proc/$p" ] || break; sleep 0.1; done
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

jget() { echo "$1" | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
start_ready() { # log cmd...
    local log=$1 out; shift
    out=$("$PROBE" ready "$log" -- "$@") || { tail -20 "$log" >&2; die "$1 did not start"; }
    PIDS+=("$(echo "$out" | tr ' ' '\n' | sed -n 's/^pid=//p')")
}

read -r NSPORT BPORT <<<"$("$PROBE" ports 2)"
bench_write_configs "$TMP" "$NSPORT" "$BPORT" ASYNC_FLUSH BenchCluster broker-bench
echo 'enablePropertyFilter = true;' >>"$TMP/broker.conf"
start_ready "$TMP/namesrv.log" "$build/src/namesrv/rmq-namesrv" --instance=bench --config="$TMP/namesrv.conf"
start_ready "$TMP/broker.log" "$build/src/broker/rmq-broker" --instance=bench --config="$TMP/broker.conf"
BPID=${PIDS[1]}
export NAMESRV_ADDR=127.0.0.1:$NSPORT
"$ADMIN" updateTopic -b "127.0.0.1:$BPORT" -t TFilter -r 4 -w 4 >/dev/null

say "filling a backlog of $N numbered messages"
"$RMQBENCH" producer -t TFilter -w 2 -s 128 -d 300 -m batch -b 32 -c $((N / 2)) --numbered --json -q >/dev/null

consume() { # label expected args...
    local label=$1 want=$2 out tps got; shift 2
    out=$("$RMQBENCH" consumer -t TFilter -g "bench_filter_$RANDOM$RANDOM" --from-start -c "$want" -d 120 \
        --broker-pid "$BPID" "$@" --json -q)
    say "$label: $out"
    tps=$(jget "$out" tps | cut -d. -f1); got=$(jget "$out" received)
    # (rmq-bench stops after the pull that reached the count: a few more
    # when the filter keeps a few of the next batch)
    [ "$got" -ge "$want" ] || die "$label: received $got of $want"
    # the backlog is walked in the time it took to receive everything wanted
    SCAN=$(awk -v n="$N" -v g="$got" -v t="$tps" 'BEGIN { if (t > 0) printf "%.0f", n * t / g; else print 0 }')
    TPS=$tps
    # broker CPU per message walked (brokerCpuUsPerMsg is per message received)
    BCPU=$(awk -v c="$(jget "$out" brokerCpuUsPerMsg)" -v g="$got" -v n="$N" 'BEGIN { printf "%.2f", c * g / n }')
}
TENTH=$((N / 10))
NINE=$((N - TENTH))
L=$(cut -d' ' -f1 /proc/loadavg)
consume "no filter" "$N";                                         ALL=$TPS; ALLC=$BCPU
consume "tag 10%" "$TENTH" -e 'T0';                               T10=$TPS; T10S=$SCAN; T10C=$BCPU
consume "SQL92 10%" "$TENTH" --sql -e 'n < 1';                    S10=$TPS; S10S=$SCAN; S10C=$BCPU
consume "tag 90%" "$NINE" -e 'T0 || T1 || T2 || T3 || T4 || T5 || T6 || T7 || T8'; T90=$TPS; T90S=$SCAN; T90C=$BCPU
consume "SQL92 90%" "$NINE" --sql -e 'n < 9';                     S90=$TPS; S90S=$SCAN; S90C=$BCPU

MACHINE="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load $L"
DATE=$(date -u +%Y-%m-%d)
CMD="bench/filter.sh (RMQ_BENCH_BACKLOG=$N)"
# Throughput includes rmq-bench itself on the same 2 cores, and the client
# library re-checks tags by text per message (SQL92 it leaves to the broker):
# the broker's CPU per message walked is the filter's own cost.
ROWS=(
"| $MACHINE | $DATE | $CMD | pull of a $N x 128 B backlog (4 queues, 4 pullers, 32 per pull, from the start), SQL92 'n < 1' taking 10 %: $S10 msgs/s delivered, $S10S msgs/s walked, broker CPU $S10C us per message walked | tag 'T0' taking the same 10 %, same run: $T10 msgs/s delivered, $T10S walked, broker CPU $T10C us per message walked; no filter: $ALL msgs/s, $ALLC us | throughput $(ratio "$S10" "$T10") of the tag filter; broker CPU per message walked $(ratio "$S10C" "$T10C")x |"
"| $MACHINE | $DATE | $CMD | the same backlog, SQL92 'n < 9' taking 90 %: $S90 msgs/s delivered, $S90S msgs/s walked, broker CPU $S90C us per message walked | tag 'T0 \|\| ... \|\| T8' taking the same 90 %, same run: $T90 msgs/s delivered, $T90S walked, broker CPU $T90C us per message walked (the client library's per-message tag re-check bounds this run); no filter: $ALL msgs/s, $ALLC us | throughput $(ratio "$S90" "$T90") of the tag filter; broker CPU per message walked $(ratio "$S90C" "$T90C")x |"
)
printf '%s\n' "${ROWS[@]}"
if [ "$append" = yes ]; then printf '%s\n' "${ROWS[@]}" >>"$srcdir/bench/README.md"; fi
