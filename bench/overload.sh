#!/bin/bash
# Overload bench (not a test): a private rmq-namesrv + rmq-broker on loopback
# (SYNC_FLUSH, sendThreadPoolQueueCapacity 256, connectionWriteStallTimeoutMills
# 5000) and bench/overload: N idle connections (RSS per connection), a few
# producers under capacity then many past it (busy answers, accepted p99,
# RSS), a consumer that stops reading mid-pull. Prints Markdown rows for
# bench/README.md (appended with --append). Bounded: about 40 s.
#   bench/overload.sh [--append] [BUILDDIR]
# Env: OVERLOAD_IDLE (10000), OVERLOAD_PRODUCERS (1000), OVERLOAD_SECONDS (5).
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
append=no
if [ "${1:-}" = "--append" ]; then append=yes; shift; fi
build=${1:-"$srcdir/_build"}
say() { echo "# $*" >&2; }
die() { echo "bench/overload.sh: $*" >&2; exit 1; }
. "$srcdir/bench/lib.sh"

make -C "$build" -s -j2 src/namesrv/rmq-namesrv src/broker/rmq-broker bench/bench-probe \
    bench/overload >&2 || die "build failed"
PROBE=$build/bench/bench-probe
idle=${OVERLOAD_IDLE:-10000} producers=${OVERLOAD_PRODUCERS:-1000} secs=${OVERLOAD_SECONDS:-5}
[ "$(ulimit -n)" -gt $((idle + 200)) ] || ulimit -n $((idle + 1000)) 2>/dev/null ||
    die "needs $((idle + 200)) descriptors (ulimit -n)"

TMP=$(mktemp -d "${RMQ_BENCH_TMP:-/var/tmp}/rmq-overload.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 100); do [ -d "/proc/$p" ] || break; sleep 0.1; done
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
start_ready() { # log cmd...
    local log=$1 out; shift
    out=$("$PROBE" ready "$log" -- "$@") || { tail -20 "$log" >&2; die "$1 did not start"; }
    PID=$(kv "$out" pid); PIDS+=("$PID")
}

read -r NSPORT BPORT <<<"$("$PROBE" ports 2)"
bench_write_configs "$TMP" "$NSPORT" "$BPORT" SYNC_FLUSH OverloadCluster broker-overload
cat >>"$TMP/broker.conf" <<CONF
sendThreadPoolQueueCapacity = 256;
connectionWriteStallTimeoutMills = 5000;
CONF
start_ready "$TMP/namesrv.log" "$build/src/namesrv/rmq-namesrv" --instance=overload --config="$TMP/namesrv.conf"
start_ready "$TMP/broker.log" "$build/src/broker/rmq-broker" --instance=overload --config="$TMP/broker.conf"
BPID=$PID
sleep 1
say "broker :$BPORT (pid $BPID): $idle idle connections, $producers producers for $secs s"
out=$("$build/bench/overload" --port "$BPORT" --pid "$BPID" --idle "$idle" \
      --producers "$producers" --seconds "$secs" --stall-ms 5000)
echo "$out" >&2
refused=$(grep -c "send flow control:" "$TMP/broker.log" || true)
cut=$(grep -c "client stopped reading" "$TMP/broker.log" || true)

line() { echo "$out" | grep "^$1"; }
I=$(line idle_conns); B=$(line base); O=$(line overload); S=$(line stalled_consumer)
machine="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load $(cut -d' ' -f1 /proc/loadavg)"
date=$(date -u +%Y-%m-%d)
cmd="bench/overload.sh (SYNC_FLUSH, sendThreadPoolQueueCapacity 256)"
rows=$(cat <<ROWS
| $machine | $date | $cmd | $idle idle connections: $(kv "$I" bytes_per_conn) bytes of broker RSS each (VmRSS $(kv "$I" rss_before_kib) -> $(kv "$I" rss_with_kib) KiB, RssAnon $(kv "$I" anon_before_kib) -> $(kv "$I" anon_with_kib) KiB; $(kv "$I" rss_after_close_kib) KiB after they closed) | none | n/a |
| $machine | $date | $cmd | $producers producers, one 128 B send in flight each, $secs s: $(kv "$O" accepted_per_s) accepted/s (p50 $(kv "$O" accepted_p50_us) us, p99 $(kv "$O" accepted_p99_us) us), $(kv "$O" busy_per_s) SYSTEM_BUSY/s (p50 $(kv "$O" busy_p50_us) us, p99 $(kv "$O" busy_p99_us) us), other answers $(kv "$O" other); broker VmRSS $(kv "$O" rss_min_kib)-$(kv "$O" rss_max_kib) KiB; $refused rate-limited flow-control log lines | $(kv "$B" producers) producers under capacity, same run: $(kv "$B" accepted_per_s) accepted/s, p50 $(kv "$B" accepted_p50_us) us, p99 $(kv "$B" accepted_p99_us) us, busy $(kv "$B" busy_per_s)/s | p99 of accepted sends $(awk -v a="$(kv "$O" accepted_p99_us)" -v b="$(kv "$B" accepted_p99_us)" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }') of the under-capacity run |
| $machine | $date | $cmd | a consumer pipelines 400 pulls of 32 x 32 KB and reads nothing: cut off $(kv "$S" cut_off) after $(kv "$S" after_ms) ms (connectionWriteStallTimeoutMills 5000; $cut log line(s) naming it); broker VmRSS $(kv "$S" rss_before_kib) -> peak $(kv "$S" rss_peak_kib) -> $(kv "$S" rss_after_kib) KiB | none | n/a |
ROWS
)
echo "$rows"
if [ "$append" = yes ]; then echo "$rows" >>"$srcdir/bench/README.md"; fi
