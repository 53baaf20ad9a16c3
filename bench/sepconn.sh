#!/bin/bash
# Broker CPU per message on separate connections against redis-server's per
# XADD, interleaved, for a spread rather than one draw: ROUNDS rounds of four
# cells -- 16 and 64 sync producers, each on a connection of its own, driven
#   by a blocking thread each (peer: redis-benchmark -c N --threads N), or
#   from one event-loop thread (rmq-bench --drivers 1; peer: redis-benchmark -c N)
# -- where each rmq-bench run and its Redis peer run back to back (which goes
# first alternates by round), so a round's ratio compares the same minutes.
# One broker and one redis-server serve every round (128 B, ASYNC_FLUSH
# against AOF appendfsync everysec, as bench/run.sh). Prints every round and
# per cell the median, lowest and highest ratio; appends one row per cell to
# bench/README.md.
#
#   bench/sepconn.sh [--no-append] [BUILDDIR]      (default BUILDDIR: _build-bench)
# Environment: RMQ_BENCH_ROUNDS (default 5), RMQ_BENCH_SECONDS (per run,
#   default 4), RMQ_BENCH_TMP, RMQ_BENCH_BROKER, RMQ_BENCH_NOTE (as bench/run.sh).
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/bench/lib.sh"
append=yes
if [ "${1:-}" = "--no-append" ]; then append=no; shift; fi
build=${1:-"$srcdir/_build-bench"}
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
DUR=${RMQ_BENCH_SECONDS:-4}
ROUNDS=${RMQ_BENCH_ROUNDS:-5}
SIZE=128
say() { echo "# $*" >&2; }

command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || {
    say "installing redis-server and redis-tools"
    sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server redis-tools >&2
}
if [ ! -x "$srcdir/configure" ]; then (cd "$srcdir" && autoreconf -fi >/dev/null); fi
mkdir -p "$build"
if [ ! -f "$build/Makefile" ]; then (cd "$build" && "$srcdir/configure" -q); fi
make -C "$build" -s -j2 src/namesrv/rmq-namesrv src/broker/rmq-broker src/tools/rmq-bench \
    src/tools/rmqadmin bench/bench-probe >&2
PROBE=$build/bench/bench-probe
RMQBENCH=$build/src/tools/rmq-bench

bench_tmp sepconn
read -r NSPORT BPORT RPORT <<<"$("$PROBE" ports 3)"
bench_write_configs "$TMP" "$NSPORT" "$BPORT" ASYNC_FLUSH SepCluster broker-sep
mkdir -p "$TMP/redis"
start_ready "$TMP/namesrv.log" "$build/src/namesrv/rmq-namesrv" --instance=sep --config="$TMP/namesrv.conf"
start_ready "$TMP/broker.log" "${RMQ_BENCH_BROKER:-$build/src/broker/rmq-broker}" --instance=sep --config="$TMP/broker.conf"
BPID=$PID
start_ready "$TMP/redis.log" "$(command -v redis-server)" --port "$RPORT" --bind 127.0.0.1 --dir "$TMP/redis" \
    --appendonly yes --appendfsync everysec --auto-aof-rewrite-percentage 0 --save '' --supervised systemd --daemonize no
RPID=$PID
sleep 1
NAMESRV_ADDR=127.0.0.1:$NSPORT "$build/src/tools/rmqadmin" updateTopic -b "127.0.0.1:$BPORT" -t SepT -r 4 -w 4 >/dev/null
PAYLOAD=$(head -c "$SIZE" /dev/zero | tr '\0' x)

rmq_cell() { # clients drivers(empty: a thread each); sets B_SCPU
    local s0 out extra=()
    [ -z "$2" ] || extra=(--drivers "$2")
    s0=$(cpu_ticks "$BPID")
    out=$(NAMESRV_ADDR=127.0.0.1:$NSPORT "$RMQBENCH" producer -t SepT -w "$1" --connections "$1" \
        "${extra[@]}" -s "$SIZE" -d "$DUR" -m sync --json -q)
    [ "$(jget "$out" failed)" = 0 ] || say "rmq-bench: $(jget "$out" failed) sends failed"
    B_SCPU=$(us_per "$(($(cpu_ticks "$BPID") - s0))" "$(jget "$out" ok)")
}
redis_cell() { # clients drivers(empty: a thread each); sets R_SCPU
    if [ -z "$2" ]; then redis_run "$1" 1 --threads "$1" XADD s '*' f "$PAYLOAD"
    else redis_run "$1" 1 XADD s '*' f "$PAYLOAD"; fi
    redis-cli -p "$RPORT" DEL s >/dev/null # keep Redis's memory bounded
}

CELLS=("16 " "16 1" "64 " "64 1")
declare -A B R
# Unmeasured, once: routes, the first commit-log pages, Redis's first stream nodes.
rmq_cell 16 ""; redis_cell 16 ""
L0=$(load1)
for r in $(seq "$ROUNDS"); do
    for cell in "${CELLS[@]}"; do
        read -r c d <<<"$cell"
        if [ $((r % 2)) = 1 ]; then rmq_cell "$c" "${d:-}"; redis_cell "$c" "${d:-}"
        else redis_cell "$c" "${d:-}"; rmq_cell "$c" "${d:-}"; fi
        B[$cell,$r]=$B_SCPU R[$cell,$r]=$R_SCPU
        say "round $r, $c connections${d:+ from $d driver}: rmq-broker $B_SCPU us, redis-server $R_SCPU us ($(ratio "$B_SCPU" "$R_SCPU"))"
    done
done

MACHINE="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
CMD="bench/sepconn.sh (RMQ_BENCH_ROUNDS=$ROUNDS RMQ_BENCH_SECONDS=$DUR${RMQ_BENCH_NOTE:+; $RMQ_BENCH_NOTE})"
ROWS=()
for cell in "${CELLS[@]}"; do
    read -r c d <<<"$cell"
    bs="" rs="" qs=""
    for r in $(seq "$ROUNDS"); do
        bs="$bs${bs:+ / }${B[$cell,$r]}"; rs="$rs${rs:+ / }${R[$cell,$r]}"
        qs="$qs $(ratio "${B[$cell,$r]}" "${R[$cell,$r]}")"
    done
    stats=$(echo "$qs" | tr ' ' '\n' | grep . | sort -n |
        awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "median %.2f, lowest %.2f, highest %.2f", m, v[1], v[NR] }')
    if [ -z "${d:-}" ]; then
        what="$c sync producers, one connection each (a blocking thread each)"
        peer="redis-benchmark -c $c --threads $c (a thread per connection)"
    else
        what="$c sync producers on $c connections driven by one thread (rmq-bench --drivers 1)"
        peer="redis-benchmark -c $c (one thread)"
    fi
    ROWS+=("| $MACHINE, load $L0 at the start | $(date -u +%F) | $CMD | ASYNC_FLUSH, $what, $SIZE B: rmq-broker CPU per message, round by round: $bs us | Redis $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p') XADD (AOF, appendfsync everysec), $peer, $SIZE B field, run next to each: redis-server $rs us | broker/Redis per round:$qs; $stats |")
    echo "${ROWS[-1]}"
done
if [ "$append" = yes ]; then
    printf '%s\n' "${ROWS[@]}" >>"$srcdir/bench/README.md"
    say "appended ${#ROWS[@]} rows to bench/README.md"
fi
