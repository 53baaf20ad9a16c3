#!/bin/bash
# The broker against Redis in interleaved rounds, for a spread rather than
# one draw: ROUNDS rounds of the cells, each rmq-bench run followed at once
# by its Redis peer (which goes first alternates by round), so a round's
# ratios compare the same minutes. One broker and one redis-server serve
# every round (128 B; ASYNC_FLUSH against AOF appendfsync everysec, or
# SYNC_FLUSH against appendfsync always, as bench/run.sh). A cell is
# N:thread (N sync producers, a blocking thread and a connection each; peer
# redis-benchmark -c N --threads N), N:driver (N connections driven by one
# thread, rmq-bench --drivers 1; peer redis-benchmark -c N) or N:shared (N
# producers on one connection, as real clients send; peer redis-benchmark
# -c N). Prints every round and per cell the median, lowest and highest
# ratio of broker CPU per message and of throughput; appends one row per
# cell to bench/README.md.
#
#   bench/rounds.sh [--no-append] [BUILDDIR]      (default BUILDDIR: _build-bench)
# Environment: RMQ_BENCH_ROUNDS (default 5), RMQ_BENCH_SECONDS (per run,
#   default 4), RMQ_BENCH_FLUSH (ASYNC_FLUSH or SYNC_FLUSH),
#   RMQ_BENCH_CELLS (default "16:thread 16:driver 64:thread 64:driver", the
#   separate-connection cells), RMQ_BENCH_TMP, RMQ_BENCH_BROKER,
#   RMQ_BENCH_NOTE (as bench/run.sh).
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/bench/lib.sh"
bench_args "$@"
DUR=${RMQ_BENCH_SECONDS:-4}
ROUNDS=${RMQ_BENCH_ROUNDS:-5}
SIZE=128
say() { echo "# $*" >&2; }

bench_need_redis
bench_build
PROBE=$build/bench/bench-probe
RMQBENCH=$build/src/tools/rmq-bench

FLUSH=${RMQ_BENCH_FLUSH:-ASYNC_FLUSH}
case "$FLUSH" in ASYNC_FLUSH) FSYNC=everysec ;; SYNC_FLUSH) FSYNC=always ;;
    *) echo "bench/rounds.sh: RMQ_BENCH_FLUSH is ASYNC_FLUSH or SYNC_FLUSH" >&2; exit 2 ;; esac
read -r -a CELLS <<<"${RMQ_BENCH_CELLS:-16:thread 16:driver 64:thread 64:driver}"
for cell in "${CELLS[@]}"; do
    [[ "$cell" =~ ^[0-9]+:(thread|driver|shared)$ ]] ||
        { echo "bench/rounds.sh: cell '$cell' is not N:thread, N:driver or N:shared" >&2; exit 2; }
done

bench_tmp rounds
read -r NSPORT BPORT RPORT <<<"$("$PROBE" ports 3)"
bench_write_configs "$TMP" "$NSPORT" "$BPORT" "$FLUSH" RoundsCluster broker-rounds
mkdir -p "$TMP/redis"
start_ready "$TMP/namesrv.log" "$build/src/namesrv/rmq-namesrv" --instance=rounds --config="$TMP/namesrv.conf"
start_ready "$TMP/broker.log" "${RMQ_BENCH_BROKER:-$build/src/broker/rmq-broker}" --instance=rounds --config="$TMP/broker.conf"
BPID=$PID
start_ready "$TMP/redis.log" "$(command -v redis-server)" --port "$RPORT" --bind 127.0.0.1 --dir "$TMP/redis" \
    --appendonly yes --appendfsync "$FSYNC" --auto-aof-rewrite-percentage 0 --save '' --supervised systemd --daemonize no
RPID=$PID
sleep 1
NAMESRV_ADDR=127.0.0.1:$NSPORT "$build/src/tools/rmqadmin" updateTopic -b "127.0.0.1:$BPORT" -t RoundsT -r 4 -w 4 >/dev/null
PAYLOAD=$(head -c "$SIZE" /dev/zero | tr '\0' x)

rmq_cell() { # clients thread|driver|shared; sets B_SCPU B_TPS B_P99
    local s0 out conn=$1 extra=()
    case $2 in driver) extra=(--drivers 1) ;; shared) conn=1 ;; esac
    s0=$(cpu_ticks "$BPID")
    out=$(NAMESRV_ADDR=127.0.0.1:$NSPORT "$RMQBENCH" producer -t RoundsT -w "$1" --connections "$conn" \
        "${extra[@]}" -s "$SIZE" -d "$DUR" -m sync --json -q)
    [ "$(jget "$out" failed)" = 0 ] || say "rmq-bench: $(jget "$out" failed) sends failed"
    B_SCPU=$(us_per "$(($(cpu_ticks "$BPID") - s0))" "$(jget "$out" ok)")
    B_TPS=$(jget "$out" tps | cut -d. -f1); B_P99=$(ms2us "$(jget "$out" p99Ms)")
}
redis_cell() { # clients thread|driver|shared; sets R_SCPU R_RPS R_P99
    if [ "$2" = thread ]; then redis_run "$1" 1 --threads "$1" XADD s '*' f "$PAYLOAD"
    else redis_run "$1" 1 XADD s '*' f "$PAYLOAD"; fi
    redis-cli -p "$RPORT" DEL s >/dev/null # keep Redis's memory bounded
}
# "median M, lowest L, highest H" of the numbers in $1 (an "n/a", a run
# that acknowledged nothing, is left out)
spread() {
    echo "$1" | tr ' ' '\n' | { grep -E '^[0-9.]+$' || true; } | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) { printf "no ratio"; exit }
              m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "median %.2f, lowest %.2f, highest %.2f", m, v[1], v[NR] }'
}

declare -A B R BT RT BP RP
# Unmeasured, once: routes, the first commit-log pages, Redis's first stream nodes.
rmq_cell 16 thread; redis_cell 16 thread
L0=$(load1)
for r in $(seq "$ROUNDS"); do
    for cell in "${CELLS[@]}"; do
        c=${cell%%:*} how=${cell#*:}
        if [ $((r % 2)) = 1 ]; then rmq_cell "$c" "$how"; redis_cell "$c" "$how"
        else redis_cell "$c" "$how"; rmq_cell "$c" "$how"; fi
        B[$cell,$r]=$B_SCPU R[$cell,$r]=$R_SCPU BT[$cell,$r]=$B_TPS RT[$cell,$r]=$R_RPS
        BP[$cell,$r]=$B_P99 RP[$cell,$r]=$R_P99
        say "round $r, $cell: rmq-broker $B_SCPU us, $B_TPS/s, p99 $B_P99 us; redis-server $R_SCPU us, $R_RPS/s, p99 $R_P99 us (CPU $(ratio "$B_SCPU" "$R_SCPU"), TPS $(ratio "$B_TPS" "$R_RPS"))"
    done
done

MACHINE="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
CMD="bench/rounds.sh (RMQ_BENCH_ROUNDS=$ROUNDS RMQ_BENCH_SECONDS=$DUR RMQ_BENCH_FLUSH=$FLUSH${RMQ_BENCH_NOTE:+; $RMQ_BENCH_NOTE})"
REDIS_VER=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
ROWS=()
for cell in "${CELLS[@]}"; do
    c=${cell%%:*} how=${cell#*:}
    bs="" rs="" q="" t="" p=""
    for r in $(seq "$ROUNDS"); do
        bs="$bs${bs:+ / }${B[$cell,$r]} us, ${BT[$cell,$r]}/s, p99 ${BP[$cell,$r]} us"
        rs="$rs${rs:+ / }${R[$cell,$r]} us, ${RT[$cell,$r]}/s, p99 ${RP[$cell,$r]} us"
        q="$q $(ratio "${B[$cell,$r]}" "${R[$cell,$r]}")"
        t="$t $(ratio "${BT[$cell,$r]}" "${RT[$cell,$r]}")"
        p="$p $(ratio "${BP[$cell,$r]}" "${RP[$cell,$r]}")"
    done
    case $how in
    thread) what="$c sync producers, one connection each (a blocking thread each)"
            peer="redis-benchmark -c $c --threads $c (a thread per connection)" ;;
    driver) what="$c sync producers on $c connections driven by one thread (rmq-bench --drivers 1)"
            peer="redis-benchmark -c $c (one thread)" ;;
    shared) what="$c sync producers sharing one connection ($c in flight)"
            peer="redis-benchmark -c $c" ;;
    esac
    ROWS+=("| $MACHINE, load $L0 at the start | $(date -u +%F) | $CMD | $FLUSH, $what, $SIZE B, round by round (rmq-broker CPU per message, msgs/s, p99): $bs | Redis $REDIS_VER XADD (AOF, appendfsync $FSYNC), $peer, $SIZE B field, run next to each: $rs | broker CPU / Redis's per round:$q ($(spread "$q")); TPS / Redis's:$t ($(spread "$t")); p99 / Redis's: $(spread "$p") |")
    echo "${ROWS[-1]}"
done
if [ "$append" = yes ]; then
    printf '%s\n' "${ROWS[@]}" >>"$srcdir/bench/README.md"
    say "appended ${#ROWS[@]} rows to bench/README.md"
fi
