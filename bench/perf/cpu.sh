#!/bin/bash
# Throughput, latency and CPU per message (from /proc ticks) of rmq-broker and
# rmq-bench for one scenario, run natively; repeat it to see the spread.
#
#   bench/perf/cpu.sh [-f ASYNC_FLUSH|SYNC_FLUSH] [-w THREADS] [-k CONNECTIONS] [-D DRIVERS]
#                     [-d SECONDS] [-s SIZE] [-r ROUNDS] [-m sync|async|batch] [-b BATCH]
#                     [BUILDDIR]
# With perf installed it also counts the broker's system calls (all, sendmsg,
# and sendmsg + sendto: every write of responses) per message, and the
# messages acknowledged per fdatasync (SYNC_FLUSH group commit; every
# fdatasync counts: commit log, consume queues, checkpoint).
# -k: connections the THREADS share (default one each; -k 1 as real clients).
# -D: threads driving those connections (rmq-bench --drivers, -m sync; default
#     one blocking thread per connection; -D 1 as redis-benchmark -c N).
# -b: messages per batch in -m batch (default 32, as the bench/run.sh rows).
# RMQ_PERF_SYSCALLS=0 skips that count: its tracepoints slow the broker (a
# 16-thread run went from ~140k to ~67k msgs/s), so CPU per message is
# only comparable between runs made the same way.
# RMQ_PERF_BROKER=path runs another rmq-broker binary (a before/after pair);
# RMQ_PERF_BENCH=path another rmq-bench.
# -m pull: a backlog of RMQ_PERF_BACKLOG (default 1,000,000) messages of SIZE
# is sent first in batches of 32 (not counted); each round then pulls all of
# it from the start with a new group (4 queues, one puller each, 32 per pull).
# RMQ_PERF_BENCHES="A B": -m pull rounds take the consumer rmq-bench from this
# list in turn (a before/after pair on the same broker and backlog).
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
. "$srcdir/bench/lib.sh"
flush=ASYNC_FLUSH threads=16 secs=4 size=128 rounds=3 mode=sync batch=32
conns= drivers=
while getopts "f:w:d:s:r:m:k:b:D:" o; do
    case $o in
    f) flush=$OPTARG ;; w) threads=$OPTARG ;; d) secs=$OPTARG ;;
    k) conns=$OPTARG ;; s) size=$OPTARG ;; r) rounds=$OPTARG ;; m) mode=$OPTARG ;;
    b) batch=$OPTARG ;; D) drivers=$OPTARG ;; *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
build=${1:-"$srcdir/_build-perf"}
PROBE=$build/bench/bench-probe
bench_tmp cpu
us_per() { awk -v t="$1" -v n="$2" -v k="$TCK" 'BEGIN { printf "%.2f", t * 1e6 / k / n }'; }

read -r NSPORT BPORT <<<"$("$PROBE" ports 2)"
bench_write_configs "$TMP" "$NSPORT" "$BPORT" "$flush" PerfCluster broker-perf
export NAMESRV_ADDR=127.0.0.1:$NSPORT
start_ready "$TMP/namesrv.log" "$build/src/namesrv/rmq-namesrv" --instance=perf --config="$TMP/namesrv.conf"
start_ready "$TMP/broker.log" "${RMQ_PERF_BROKER:-$build/src/broker/rmq-broker}" --instance=perf --config="$TMP/broker.conf"
BPID=$PID
sleep 1
"$build/src/tools/rmqadmin" updateTopic -b "127.0.0.1:$BPORT" -t PerfT -r 4 -w 4 >/dev/null
bench=("${RMQ_PERF_BENCH:-$build/src/tools/rmq-bench}" -t PerfT -s "$size" -q --json)
"${bench[@]}" producer -w 2 -c 200 >/dev/null
backlog=${RMQ_PERF_BACKLOG:-1000000}
if [ "$mode" = pull ]; then
    "${bench[@]}" producer -m batch -b 32 -w 2 -c $((backlog / 2)) -d 600 >/dev/null
    backlog=$((backlog / 2 * 2 + 400)) # the warm-up messages are in the queues too
fi
round=0
for _ in $(seq "$rounds"); do
    round=$((round + 1))
    sc=""
    if [ "${RMQ_PERF_SYSCALLS:-1}" != 0 ] && command -v perf >/dev/null; then
        perf stat -x, -e raw_syscalls:sys_enter,syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendto,syscalls:sys_enter_fdatasync -p "$BPID" \
            -o "$TMP/perf.txt" 2>/dev/null &
        PERF=$!
        sleep 0.3
    fi
    s0=$(cpu_ticks "$BPID"); c0=$(child_ticks)
    [ -n "${RMQ_PERF_HOOK:-}" ] && { $RMQ_PERF_HOOK "$BPID" & }
    if [ "$mode" = pull ]; then
        read -r -a list <<<"${RMQ_PERF_BENCHES:-${bench[0]}}"
        puller=${list[$(((round - 1) % ${#list[@]}))]}
        out=$("$puller" "${bench[@]:1}" consumer -g "perf_pull_$round" --from-start -c "$backlog" -d 600)
    else
        bargs=(); [ "$mode" != batch ] || bargs=(-b "$batch")
        [ -z "$drivers" ] || bargs+=(--drivers "$drivers")
        out=$("${bench[@]}" producer -m "$mode" "${bargs[@]}" -w "$threads" $(bench_conn_args "${bench[0]}" "$threads" "$conns") -d "$secs")
    fi
    n=$(echo "$out" | sed -n 's/.*"ok":\([0-9]*\).*/\1/p')
    j() { echo "$out" | sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }
    if [ -n "${PERF:-}" ]; then
        kill -INT "$PERF"; wait "$PERF" || true; PERF=
        # sends: sendmsg (queued frames) + sendto (send() of the output buffer);
        # acks per fdatasync: messages over flush rounds (group commit, SYNC_FLUSH)
        sc=$(awk -F, -v n="$n" '/raw_syscalls/ { a = $1 } /sendmsg/ { b = $1 } /sendto/ { t = $1 }
            /fdatasync/ { f = $1 }
            END { printf " broker_syscalls_per_msg=%.2f broker_sendmsg_per_msg=%.2f broker_send_per_msg=%.2f", a / n, b / n, (b + t) / n
                  if (f > 0) printf " acks_per_fdatasync=%.1f", n / f }' "$TMP/perf.txt")
    fi
    pull_secs="" # pull: TPS is over "seconds" (until the count arrived); the run took wall_seconds
    [ "$mode" = pull ] && pull_secs=" seconds=$(j seconds) wall_seconds=$(j wallSeconds)"
    [ "$mode" = pull ] && [ -n "${RMQ_PERF_BENCHES:-}" ] && echo "consumer: $puller"
    echo "mode=$mode flush=$flush threads=$threads${drivers:+ drivers=$drivers} size=$size ok=$n tps=$(j tps)$pull_secs p50_ms=$(j p50Ms) p99_ms=$(j p99Ms)" \
        "broker_us_per_msg=$(us_per "$(($(cpu_ticks "$BPID") - s0))" "$n")" \
        "bench_us_per_msg=$(us_per "$(($(child_ticks) - c0))" "$n") load=$(cut -d' ' -f1 /proc/loadavg)$sc"
done
