#!/bin/bash
# An unchanged real client through ONE connection: ali-ons (tests/interop's
# pinned copy) sends 128 B messages from LANES concurrent senders sharing one
# Producer (one MQClientInstance, one connection to the broker), then the
# topic is pulled from the start to check the counts; rmq-bench's C client
# with the same lanes on one connection runs against the same broker in the
# same minutes as the peer.
#
#   bench/alions.sh [--no-append] [BUILDDIR]     (default BUILDDIR: _build)
# Environment: RMQ_BENCH_SECONDS (default 4), RMQ_BENCH_LANES (default 16),
#   RMQ_BENCH_TMP (where the store goes, default /var/tmp).
# Checks, each a failure (exit 1) when broken: every lane's messages are
# stored in each queue in the order the lane sent them (queue offsets from the
# send results); the client held one connection to the broker the whole run
# (sampled with ss); the pulled count equals the acknowledged count (plus the
# warm-up and the peer's messages) with no gap in any queue.
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/bench/lib.sh"
append=1
[ "${1:-}" = --no-append ] && { append=0; shift; }
build=$(cd "${1:-$srcdir/_build}" && pwd)
secs=${RMQ_BENCH_SECONDS:-4} lanes=${RMQ_BENCH_LANES:-16} size=128
PROBE=$build/bench/bench-probe
for f in "$PROBE" "$build/src/broker/rmq-broker" "$build/src/tools/rmq-bench" "$build/src/tools/rmqadmin"; do
    [ -x "$f" ] || { echo "alions.sh: $f is missing (make it first)" >&2; exit 99; }
done
command -v node >/dev/null || { echo "alions.sh: node is missing (tests/interop/run.sh installs it)" >&2; exit 99; }
if [ ! -d "$srcdir/tests/interop/node_modules/ali-ons" ]; then
    (cd "$srcdir/tests/interop" && npm ci --no-audit --no-fund --loglevel=error) >&2 ||
        { echo "alions.sh: npm could not install ali-ons" >&2; exit 99; }
fi
alions_ver=$(node -p "require('$srcdir/tests/interop/node_modules/ali-ons/package.json').version")

bench_tmp alions

read -r NSPORT BPORT <<<"$("$PROBE" ports 2)"
bench_write_configs "$TMP" "$NSPORT" "$BPORT" ASYNC_FLUSH BenchCluster broker-alions
NS=127.0.0.1:$NSPORT
export NAMESRV_ADDR=$NS
start_ready "$TMP/namesrv.log" "$build/src/namesrv/rmq-namesrv" --instance=alions --config="$TMP/namesrv.conf"
start_ready "$TMP/broker.log" "$build/src/broker/rmq-broker" --instance=alions --config="$TMP/broker.conf"
BPID=$PID
sleep 1
"$build/src/tools/rmqadmin" updateTopic -b "127.0.0.1:$BPORT" -t BenchOns -r 4 -w 4 >/dev/null
"$build/src/tools/rmqadmin" updateTopic -b "127.0.0.1:$BPORT" -t BenchC -r 4 -w 4 >/dev/null

# ali-ons, LANES senders on one Producer; connections sampled while it runs
s0=$(cpu_ticks "$BPID")
node "$srcdir/bench/alions-load.js" "$NS" BenchOns "$lanes" "$secs" "$size" >"$TMP/ons.json" &
NODE=$!
maxconn=0
while kill -0 "$NODE" 2>/dev/null; do
    c=$(ss -Htnp state established "( dport = :$BPORT )" 2>/dev/null | grep -c "pid=$NODE," || true)
    [ "$c" -gt "$maxconn" ] && maxconn=$c
    sleep 0.2
done
wait "$NODE" || { echo "alions.sh: the ali-ons load failed" >&2; exit 1; }
ons=$(cat "$TMP/ons.json")
ons_acked=$(jget "$ons" acked)
ons_cpu=$(us_per "$(($(cpu_ticks "$BPID") - s0))" "$ons_acked")

# the counts: pull BenchOns from the start (warm-up message included)
want=$((ons_acked + 1))
pulled=$("$build/src/tools/rmq-bench" -t BenchOns -q --json consumer -g GID_bench_alions_check --from-start -c "$want" -d 60)

# the peer: rmq-bench's C client, the same lanes on one connection
s0=$(cpu_ticks "$BPID")
c=$("$build/src/tools/rmq-bench" -t BenchC -s "$size" -q --json producer -m sync -w "$lanes" --connections 1 -d "$secs")
c_ok=$(jget "$c" ok)
c_cpu=$(us_per "$(($(cpu_ticks "$BPID") - s0))" "$c_ok")

fail=0
check() { # what ok?
    if [ "$2" = 1 ]; then echo "ok: $1"; else echo "FAILED: $1"; fail=1; fi
}
check "ali-ons: $ons_acked acknowledged, $(jget "$ons" failed) failed" "$([ "$(jget "$ons" failed)" = 0 ] && [ "$ons_acked" -gt 0 ] && echo 1)"
check "ali-ons: every lane's messages stored in its send order ($(jget "$ons" orderViolations) violations)" "$([ "$(jget "$ons" orderViolations)" = 0 ] && echo 1)"
check "ali-ons: $maxconn connection(s) to the broker at most (one expected)" "$([ "$maxconn" = 1 ] && echo 1)"
check "pulled $(jget "$pulled" received) of $want, $(jget "$pulled" discontinuities) gaps" \
    "$([ "$(jget "$pulled" received)" = "$want" ] && [ "$(jget "$pulled" discontinuities)" = 0 ] && echo 1)"

load=$(cut -d' ' -f1 /proc/loadavg)
ratio=$(awk -v a="$(jget "$ons" tps)" -v b="$(jget "$c" tps)" 'BEGIN { printf "%.2f", a / b }')
row="| 2 cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), load $load | $(date +%F) | bench/alions.sh (RMQ_BENCH_SECONDS=$secs, $lanes lanes, $size B, ASYNC_FLUSH) | ali-ons $alions_ver, $lanes concurrent senders on one Producer ($maxconn connection to the broker): $(printf '%.0f' "$(jget "$ons" tps)") msgs/s, p50 $(printf '%.0f' "$(jget "$ons" p50Us)") us, p99 $(printf '%.0f' "$(jget "$ons" p99Us)") us; $ons_acked acknowledged, 0 failed, $(jget "$ons" orderViolations) out of lane order, pulled back $(jget "$pulled" received) of $want with $(jget "$pulled" discontinuities) gaps; CPU per message: rmq-broker $ons_cpu us, node $(printf '%.1f' "$(jget "$ons" clientCpuUsPerMsg)") us | rmq-bench (C client), the same $lanes lanes on one connection, same broker, next: $(printf '%.0f' "$(jget "$c" tps)") msgs/s, p99 $(awk -v m="$(jget "$c" p99Ms)" 'BEGIN { printf "%.0f", m * 1000 }') us; CPU per message: rmq-broker $c_cpu us | throughput $ratio of the C client's (the JavaScript client is the bound) |"
echo "$row"
[ "$fail" = 0 ] || exit 1
[ "$append" = 1 ] && echo "$row" >>"$srcdir/bench/README.md" && echo "appended 1 row to bench/README.md"
exit 0
