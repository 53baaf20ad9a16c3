#!/bin/bash
# Instructions per message of rmq-broker (or of rmq-bench) under callgrind:
# repeatable on a noisy shared machine, unlike wall-clock CPU time.
#
#   bench/perf/callgrind.sh [-f ASYNC_FLUSH|SYNC_FLUSH] [-w THREADS] [-k CONNECTIONS] [-c COUNT]
#                           [-s SIZE] [-b BATCH] [-m send|pull|batch|client|client-pull|client-batch]
#                           [BUILDDIR]
# send:   the broker runs under callgrind while rmq-bench sends THREADS x COUNT
#         sync messages; prints broker instructions per message.
# pull:   a backlog of THREADS x COUNT is sent first (not counted), then 4
#         pullers (one per queue) read it from the start; broker Ir per message.
# client: the broker runs natively, rmq-bench runs under callgrind; prints the
#         load generator's instructions per message.
# client-pull: the same for rmq-bench's pullers (backlog as in pull).
# batch:  as send, but THREADS x COUNT messages go in batches of BATCH (default
#         32; rmq-bench producer -m batch, one connection per thread).
# client-batch: the same with rmq-bench under callgrind.
# Collection is switched on only around the measured phase (callgrind_control).
# -k: connections the THREADS share (default one each, as in the rows before
# rmq-bench had --connections; -k 1 is the pattern of real clients).
# RMQ_PERF_BROKER / RMQ_PERF_BENCH = paths of other binaries (before/after).
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
. "$srcdir/bench/lib.sh"
mode=send flush=ASYNC_FLUSH threads=16 count=500 size=128 batch=32
conns=
while getopts "f:w:c:s:m:k:b:" o; do
    case $o in
    f) flush=$OPTARG ;; w) threads=$OPTARG ;; c) count=$OPTARG ;;
    k) conns=$OPTARG ;; s) size=$OPTARG ;; m) mode=$OPTARG ;; b) batch=$OPTARG ;; *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
build=${1:-"$srcdir/_build-perf"}
PROBE=$build/bench/bench-probe
TMP=$(mktemp -d "${RMQ_BENCH_TMP:-/var/tmp}/rmq-cg.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 0.5
    [ -n "${RMQ_CG_DEBUG:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

read -r NSPORT BPORT <<<"$("$PROBE" ports 2)"
bench_write_configs "$TMP" "$NSPORT" "$BPORT" "$flush" PerfCluster broker-perf
export NAMESRV_ADDR=127.0.0.1:$NSPORT
start_ready "$TMP/namesrv.log" "$build/src/namesrv/rmq-namesrv" --instance=perf --config="$TMP/namesrv.conf"
cg=("$(command -v valgrind)" --tool=callgrind --instr-atstart=no --callgrind-out-file="$TMP/cg.out")
if [ "${mode#client}" != "$mode" ]; then
    start_ready "$TMP/broker.log" "${RMQ_PERF_BROKER:-$build/src/broker/rmq-broker}" --instance=perf --config="$TMP/broker.conf"
else
    start_ready "$TMP/broker.log" "${cg[@]}" "${RMQ_PERF_BROKER:-$build/src/broker/rmq-broker}" --instance=perf --config="$TMP/broker.conf"
    BPID=$PID
fi
sleep 1
"$build/src/tools/rmqadmin" updateTopic -b "127.0.0.1:$BPORT" -t PerfT -r 4 -w 4 >/dev/null
bench=("${RMQ_PERF_BENCH:-$build/src/tools/rmq-bench}" -t PerfT -s "$size" -d 600 -q --json)
# warm up: connections, routes, first pages of the files
"${bench[@]}" producer -w 2 -c 200 >/dev/null
total=$((threads * count))
case $mode in
send)
    callgrind_control -i on "$BPID" >/dev/null 2>&1
    "${bench[@]}" producer -w "$threads" $(bench_conn_args "${bench[0]}" "$threads" "$conns") -c "$count" >"$TMP/out.json"
    ;;
pull)
    "${bench[@]}" producer -w "$threads" $(bench_conn_args "${bench[0]}" "$threads" "$conns") -c "$count" >/dev/null
    total=$((total + 400)) # the warm-up messages are in the queues too
    callgrind_control -i on "$BPID" >/dev/null 2>&1
    "${bench[@]}" consumer -c "$total" --from-start >"$TMP/out.json"
    ;;
"batch")
    callgrind_control -i on "$BPID" >/dev/null 2>&1
    "${bench[@]}" producer -m batch -b "$batch" -w "$threads" -c "$count" >"$TMP/out.json"
    ;;
client-batch)
    "${cg[@]}" --instr-atstart=yes "${bench[@]}" producer -m batch -b "$batch" -w "$threads" -c "$count" >"$TMP/out.json" 2>/dev/null
    ;;
client)
    "${cg[@]}" --instr-atstart=yes "${bench[@]}" producer -w "$threads" $(bench_conn_args "${bench[0]}" "$threads" "$conns") -c "$count" >"$TMP/out.json" 2>/dev/null
    ;;
client-pull)
    "${bench[@]}" producer -w "$threads" $(bench_conn_args "${bench[0]}" "$threads" "$conns") -c "$count" >/dev/null
    total=$((total + 400))
    "${cg[@]}" --instr-atstart=yes "${bench[@]}" consumer -c "$total" --from-start >"$TMP/out.json" 2>/dev/null
    ;;
esac
if [ "${mode#client}" = "$mode" ]; then
    callgrind_control -i off "$BPID" >/dev/null 2>&1
    callgrind_control -d "$BPID" >/dev/null 2>&1
    sleep 1
fi
f=$TMP/cg.out; [ "${mode#client}" != "$mode" ] || f=$TMP/cg.out.1
ir=$(sed -n 's/^totals: *//p' "$f" | head -1)
echo "mode=$mode flush=$flush threads=$threads count=$count size=$size messages=$total" \
    "Ir=$ir Ir_per_msg=$((ir / total))"; echo
cat "$TMP/out.json" >&2
if [ -n "${RMQ_CG_KEEP:-}" ]; then cp "$f" "$RMQ_CG_KEEP"; fi
