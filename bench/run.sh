#!/bin/bash
# The broker benchmark, side by side with a Redis 7 stream in the same run:
#   - sync producers (1, 16, 64) x body (128 B, 1 KiB), rmq-bench against a
#     private rmq-broker (16 and 64 both as threads sharing one connection,
#     the way Java, C++ and ali-ons clients send, and over one connection
#     per thread), and redis-benchmark XADD against a private
#     redis-server with the same clients and body: ASYNC_FLUSH vs
#     appendfsync everysec, then SYNC_FLUSH vs appendfsync always;
#     separate connections both ways, like for like: a blocking thread per
#     connection (rmq-bench --connections N) against redis-benchmark -c N
#     --threads N (N threads, each an event loop with one connection), and
#     the N connections driven by one thread (rmq-bench --drivers 1)
#     against redis-benchmark -c N (its default: one event-loop thread);
#   - batch send of 32 x 128 B (peer: XADD pipelined 32 deep), pull consume
#     of a 1,000,000-message backlog, end-to-end latency at 5,000 msgs/s;
#   - RSS idle and under 16 producers, exec to READY=1 (both daemons speak
#     sd_notify), bytes on disk per message;
#   - the physical floors: a loopback TCP round trip and a pwrite+fdatasync
#     loop on the store's filesystem (bench/bench-probe).
# Prints a table with ratios and appends its rows to bench/README.md
# (machine | date | command | result | peer measured in the same run | ratio).
#
#   bench/run.sh [--no-append] [BUILDDIR]      (default BUILDDIR: _build-bench)
# Environment: RMQ_BENCH_SECONDS (per scenario, default 4),
#   RMQ_BENCH_TMP (where stores go, default /var/tmp: the disk under test),
#   RMQ_BENCH_SIZES (default "128 1024"), RMQ_BENCH_CLIENTS (default "1 16 64"),
#   RMQ_BENCH_EXTRAS=no (skip batch, backlog pull and end-to-end rows),
#   RMQ_BENCH_BROKER (another rmq-broker binary: a before/after pair),
#   RMQ_BENCH_NOTE (said in the command column, e.g. which build).
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/bench/lib.sh"
bench_args "$@"
DUR=${RMQ_BENCH_SECONDS:-4}
T0=$(date +%s)

say() { echo "# $*" >&2; }
die() { echo "bench/run.sh: $*" >&2; exit 1; }

# ------------------------------------------------------------ prerequisites
bench_need_redis
REDIS_SERVER=$(command -v redis-server)

bench_build
NAMESRV=$build/src/namesrv/rmq-namesrv
BROKER=${RMQ_BENCH_BROKER:-$build/src/broker/rmq-broker}
SIZES=${RMQ_BENCH_SIZES:-128 1024}
CLIENTS=${RMQ_BENCH_CLIENTS:-1 16 64}
RMQBENCH=$build/src/tools/rmq-bench
ADMIN=$build/src/tools/rmqadmin
PROBE=$build/bench/bench-probe

TMP=$(mktemp -d "${RMQ_BENCH_TMP:-/var/tmp}/rmq-bench.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------ helpers
alive() { # a zombie nobody reaped is not alive
    [ -r "/proc/$1/stat" ] || return 1
    [ "$(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]
}
stop() { # pid; forgotten at once, so cleanup never signals a reused pid
    local p keep=()
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 100); do alive "$1" || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
}

# Start a daemon through bench-probe: sets PID and READY_MS.
start_ready() { # log cmd...
    local log=$1 out; shift
    out=$("$PROBE" ready "$log" -- "$@") || { tail -20 "$log" >&2; die "$1 did not start"; }
    PID=$(kv "$out" pid); READY_MS=$(kv "$out" ready_ms)
    PIDS+=("$PID")
}

# Max VmRSS / RssAnon of a pid while a flag file exists (background).
rss_sampler() { # pid flag out
    local v a mv=0 ma=0
    while [ -e "$2" ] && alive "$1"; do
        v=$(status_kib "$1" VmRSS); a=$(status_kib "$1" RssAnon)
        [ "${v:-0}" -gt "$mv" ] && mv=$v
        [ "${a:-0}" -gt "$ma" ] && ma=$a
        sleep 0.2
    done
    echo "$mv $ma" >"$3"
}

# rmq-bench with --json; sets B_TPS B_P50 B_P99 B_MAX (us) B_OK B_FAILED.
rmq_run() { # rmq-bench args...
    local out s0 c0
    s0=$(cpu_ticks "$BPID"); c0=$(child_ticks)
    out=$(NAMESRV_ADDR=127.0.0.1:$NSPORT "$RMQBENCH" "$@" --json -q) || say "rmq-bench $* exited non-zero"
    B_SCPU=$(($(cpu_ticks "$BPID") - s0)); B_CCPU=$(($(child_ticks) - c0))
    echo "# rmq-bench $*: $out" >&2
    B_TPS=$(jget "$out" tps | cut -d. -f1); B_OK=$(jget "$out" ok); B_FAILED=$(jget "$out" failed)
    B_RECEIVED=$(jget "$out" received); B_SENT=$(jget "$out" sent)
    B_P50=$(ms2us "$(jget "$out" p50Ms)"); B_P99=$(ms2us "$(jget "$out" p99Ms)")
    B_MAX=$(ms2us "$(jget "$out" maxMs)")
    B_SECS=$(jget "$out" seconds); B_WALL=$(jget "$out" wallSeconds)
    B_SCPU=$(us_per "$B_SCPU" "$B_OK"); B_CCPU=$(us_per "$B_CCPU" "$B_OK")
}

broker_stat() { # key
    NAMESRV_ADDR=127.0.0.1:$NSPORT "$ADMIN" brokerStatus -b "127.0.0.1:$BPORT" |
        sed -n "s/^$1[[:space:]]*: //p"
}
aof_bytes() { du -sb "$1/redis/appendonlydir" | cut -f1; }

MACHINE="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
DATE=$(date -u +%Y-%m-%d)
CMD="bench/run.sh (RMQ_BENCH_SECONDS=$DUR${RMQ_BENCH_SIZES:+ RMQ_BENCH_SIZES=\"$SIZES\"}${RMQ_BENCH_CLIENTS:+ RMQ_BENCH_CLIENTS=\"$CLIENTS\"}${RMQ_BENCH_NOTE:+; $RMQ_BENCH_NOTE})"
REDIS_VER=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
ROWS=()
row() { # load result peer ratio
    ROWS+=("| $MACHINE, load $1 | $DATE | $CMD | $2 | $3 | $4 |")
    echo "| load $1 | $2 | $3 | $4 |"
}

# ------------------------------------------------------------ physical floors
say "probes: loopback round trip, fdatasync on $TMP"
L=$(load1)
RTT=$("$PROBE" rtt 2 128); say "rtt: $RTT"
RTT_RATE=$(kv "$RTT" round_trips_per_s)
# fdatasync after a 128 B sequential write: over written blocks, appending
# (as Redis's AOF), into fallocated blocks (as the store's mapped files).
fsync_probes() { # size; sets FS_TEXT and FS_FALLOC (per s)
    local m out t=""
    for m in overwrite append fallocate; do
        out=$("$PROBE" fsync "$TMP" 1 "$1" "$m"); say "fsync $m $1 B: $out"
        t="$t${t:+, }$m $(kv "$out" fdatasyncs_per_s)/s (p99 $(kv "$out" p99_us) us)"
        [ "$m" = fallocate ] && FS_FALLOC=$(kv "$out" fdatasyncs_per_s)
    done
    FS_TEXT="$1 B pwrite + fdatasync, 1 s each (bench-probe fsync): $t"
}
fsync_probes 128
row "$L" "floor: loopback TCP ping-pong, 128 B, one in flight (bench-probe rtt): $RTT_RATE round trips/s, p50 $(kv "$RTT" p50_us) us, p99 $(kv "$RTT" p99_us) us" \
    "floor on the store's filesystem: $FS_TEXT" "n/a"

# ------------------------------------------------------------ one flush mode
run_mode() { # ASYNC_FLUSH|SYNC_FLUSH everysec|always
    local mode=$1 fsync=$2 dir=$TMP/$1 ports ns_pid b_pid r_pid
    local size c L
    mkdir -p "$dir/redis"
    read -r NSPORT BPORT RPORT <<<"$("$PROBE" ports 3)"
    bench_write_configs "$dir" "$NSPORT" "$BPORT" "$mode" BenchCluster broker-bench
    say "$mode: name server :$NSPORT, broker :$BPORT, redis :$RPORT (appendfsync $fsync)"
    start_ready "$dir/namesrv.log" "$NAMESRV" --instance=bench --config="$dir/namesrv.conf"; ns_pid=$PID
    start_ready "$dir/broker.log" "$BROKER" --instance=bench --config="$dir/broker.conf"; b_pid=$PID; BPID=$PID
    B_READY=$READY_MS
    start_ready "$dir/redis.log" "$REDIS_SERVER" --port "$RPORT" --bind 127.0.0.1 --dir "$dir/redis" \
        --appendonly yes --appendfsync "$fsync" --auto-aof-rewrite-percentage 0 --save '' --supervised systemd --daemonize no
    r_pid=$PID; RPID=$PID; R_READY=$READY_MS
    sleep 1 # registration with the name server, then idle
    if [ "$mode" = ASYNC_FLUSH ]; then
        row "$(load1)" "rmq-broker exec to READY=1, empty store: $B_READY ms; idle RSS: VmRSS $(status_kib "$b_pid" VmRSS) KiB, RssAnon $(status_kib "$b_pid" RssAnon) KiB (aims: < 50 ms, < 10 MB)" \
            "redis-server $REDIS_VER (--supervised systemd, AOF on, empty): $R_READY ms; idle VmRSS $(status_kib "$r_pid" VmRSS) KiB, RssAnon $(status_kib "$r_pid" RssAnon) KiB" \
            "READY $(ratio "$B_READY" "$R_READY") of Redis's time; VmRSS $(ratio "$(status_kib "$b_pid" VmRSS)" "$(status_kib "$r_pid" VmRSS)") of Redis's"
    fi
    for size in $SIZES; do
        NAMESRV_ADDR=127.0.0.1:$NSPORT "$ADMIN" updateTopic -b "127.0.0.1:$BPORT" -t "T$size" -r 4 -w 4 >/dev/null
    done
    PAYLOAD128=$(head -c 128 /dev/zero | tr '\0' x)
    for size in $SIZES; do
        local payload; payload=$(head -c "$size" /dev/zero | tr '\0' x)
        for c in $CLIENTS; do
            [ "$mode" = SYNC_FLUSH ] && [ "$c" = 1 ] && fsync_probes "$size"
            L=$(load1)
            local off0 put0 aof0 len0 flag="$dir/sampling"
            off0=$(broker_stat commitLogMaxOffset); put0=$(broker_stat msgPutTotalTodayNow)
            if [ "$c" = 16 ] && [ "$size" = 128 ]; then
                touch "$flag"; rss_sampler "$b_pid" "$flag" "$dir/rss-b" &
            fi
            rmq_run producer -t "T$size" -w "$c" --connections "$c" -s "$size" -d "$DUR" -m sync
            rm -f "$flag"; wait
            local b_tps=$B_TPS b_p50=$B_P50 b_p99=$B_P99 b_max=$B_MAX b_fail=$B_FAILED
            local b_cpu="CPU per message: rmq-broker $B_SCPU us, rmq-bench $B_CCPU us"
            local per_msg=""
            if [ "$c" = 1 ]; then
                per_msg=$(awk -v a="$off0" -v b="$(broker_stat commitLogMaxOffset)" -v p="$put0" \
                    -v q="$(broker_stat msgPutTotalTodayNow)" 'BEGIN { printf "%.1f", (b - a) / (q - p) }')
            fi
            aof0=$(aof_bytes "$dir"); len0=$(redis-cli -p "$RPORT" XLEN "s$size")
            if [ "$c" = 16 ] && [ "$size" = 128 ]; then
                touch "$flag"; rss_sampler "$r_pid" "$flag" "$dir/rss-r" &
            fi
            redis_run "$c" 1 XADD "s$size" '*' f "$payload"
            rm -f "$flag"; wait
            say "redis XADD c=$c d=$size n=$R_N: $R_RPS/s p50 $R_P50 p99 $R_P99 max $R_MAX us"
            local r_head="Redis $REDIS_VER XADD (AOF, appendfsync $fsync; no RDB saves or AOF rewrites)"
            local r_text="$r_head, redis-benchmark -c $c, $size B field: $R_RPS/s, p50 $R_P50 us, p99 $R_P99 us, max $R_MAX us; CPU per message: redis-server $R_SCPU us, redis-benchmark $R_CCPU us"
            if [ "$c" = 1 ]; then
                row "$L" "$mode, 1 sync producer(s), one connection, $size B: $b_tps msgs/s, p50 $b_p50 us, p99 $b_p99 us, max $b_max us (failed $b_fail); $b_cpu" \
                    "$r_text" "TPS $(ratio "$b_tps" "$R_RPS") of Redis; p99 $(ratio "$b_p99" "$R_P99") of Redis's"
            else
                # Separate connections like for like. A blocking thread per
                # connection: its peer is redis-benchmark --threads c (c
                # event-loop threads, client i on thread i % c: one each).
                local r_rps=$R_RPS r_p99=$R_P99
                L=$(load1)
                redis_run "$c" 1 --threads "$c" XADD "s$size" '*' f "$payload"
                say "redis XADD c=$c --threads $c d=$size n=$R_N: $R_RPS/s p50 $R_P50 p99 $R_P99 max $R_MAX us"
                row "$L" "$mode, $c sync producer(s), one connection each (a blocking thread each), $size B: $b_tps msgs/s, p50 $b_p50 us, p99 $b_p99 us, max $b_max us (failed $b_fail); $b_cpu" \
                    "$r_head, redis-benchmark -c $c --threads $c (a thread per connection), $size B field: $R_RPS/s, p50 $R_P50 us, p99 $R_P99 us, max $R_MAX us; CPU per message: redis-server $R_SCPU us, redis-benchmark $R_CCPU us" \
                    "TPS $(ratio "$b_tps" "$R_RPS") of Redis; p99 $(ratio "$b_p99" "$R_P99") of Redis's"
                # The same c connections driven by one event-loop thread:
                # redis-benchmark -c c's own pattern (its run above).
                L=$(load1)
                rmq_run producer -t "T$size" -w "$c" --connections "$c" --drivers 1 -s "$size" -d "$DUR" -m sync
                row "$L" "$mode, $c sync producers on $c connections driven by one thread (rmq-bench --drivers 1), $size B: $B_TPS msgs/s, p50 $B_P50 us, p99 $B_P99 us, max $B_MAX us (failed $B_FAILED); CPU per message: rmq-broker $B_SCPU us, rmq-bench $B_CCPU us" \
                    "$r_text (one thread, c connections)" "TPS $(ratio "$B_TPS" "$r_rps") of Redis; p99 $(ratio "$B_P99" "$r_p99") of Redis's"
            fi
            if [ "$c" != 1 ]; then
                # The real clients' pattern: every thread's sends on one
                # connection, c in flight. Same Redis run as the peer.
                L=$(load1)
                rmq_run producer -t "T$size" -w "$c" --connections 1 -s "$size" -d "$DUR" -m sync
                row "$L" "$mode, $c sync producers sharing one connection ($c in flight), $size B: $B_TPS msgs/s, p50 $B_P50 us, p99 $B_P99 us, max $B_MAX us (failed $B_FAILED); CPU per message: rmq-broker $B_SCPU us, rmq-bench $B_CCPU us" \
                    "$r_text (run just before)" "TPS $(ratio "$B_TPS" "$r_rps") of Redis; p99 $(ratio "$B_P99" "$r_p99") of Redis's"
            fi
            if [ "$mode" = SYNC_FLUSH ] && [ "$c" = 1 ]; then
                row "$L" "$mode, 1 sync producer, $size B: $b_tps msgs/s (one message in flight: at most one per fdatasync)" \
                    "floor, probed just before: $FS_TEXT" \
                    "$(ratio "$b_tps" "$FS_FALLOC") of the fallocate probe"
            fi
            if [ "$mode" = ASYNC_FLUSH ] && [ "$c" = 1 ]; then
                local r_per
                r_per=$(awk -v a="$aof0" -v b="$(aof_bytes "$dir")" -v p="$len0" \
                    -v q="$(redis-cli -p "$RPORT" XLEN "s$size")" 'BEGIN { printf "%.1f", (b - a) / (q - p) }')
                row "$L" "bytes on disk per $size B message: $per_msg in the commit log (commitLogMaxOffset / msgPutTotal over the 1-producer run) + 20 in the consume queue = $(awk -v a="$per_msg" 'BEGIN { print a + 20 }') (files are preallocated: 1 GiB commit log files)" \
                    "Redis AOF (appendonlydir bytes / XLEN over the same run): $r_per" \
                    "$(ratio "$(awk -v a="$per_msg" 'BEGIN { print a + 20 }')" "$r_per") of Redis's"
                if [ "$size" = 128 ]; then
                    row "$L" "$mode, 1 sync producer, 128 B: $b_tps msgs/s, p99 $b_p99 us (aims: >= 20,000/s, p99 < 200 us)" \
                        "floor: loopback round trip $RTT_RATE/s, p99 $(kv "$RTT" p99_us) us" \
                        "$(ratio "$b_tps" "$RTT_RATE") of the loopback floor"
                fi
            fi
            redis-cli -p "$RPORT" DEL "s$size" >/dev/null # keep Redis's memory bounded
        done
    done
    local rb_v rb_a rr_v rr_a
    [ -r "$dir/rss-b" ] && [ -r "$dir/rss-r" ] &&
    read -r rb_v rb_a <"$dir/rss-b" && read -r rr_v rr_a <"$dir/rss-r" &&
    row "$(load1)" "$mode, rmq-broker RSS under 16 sync producers x 128 B: max VmRSS $rb_v KiB, max RssAnon $rb_a KiB (rest is mapped commit log pages: page cache; aim: < 64 MB beside page cache)" \
        "redis-server under redis-benchmark -c 16 XADD 128 B (stream held in memory): max VmRSS $rr_v KiB, RssAnon $rr_a KiB" \
        "RssAnon $(ratio "$rb_a" "$rr_a") of Redis's"

    if [ "$mode" = ASYNC_FLUSH ] && [ "${RMQ_BENCH_EXTRAS:-yes}" != no ]; then
        for c in 1 16; do
            L=$(load1)
            NAMESRV_ADDR=127.0.0.1:$NSPORT "$ADMIN" updateTopic -b "127.0.0.1:$BPORT" -t "TBatch$c" -r 4 -w 4 >/dev/null
            rmq_run producer -t "TBatch$c" -w "$c" -s 128 -d "$DUR" -m batch -b 32
            redis_run "$c" 32 XADD sbatch '*' f "$PAYLOAD128"
            redis-cli -p "$RPORT" DEL sbatch >/dev/null
            row "$L" "$mode, batch send 32 x 128 B, $c producer(s): $B_TPS msgs/s, batch round trip p50 $B_P50 us, p99 $B_P99 us (aim: >= 300,000 msgs/s); CPU per message: rmq-broker $B_SCPU us, rmq-bench $B_CCPU us" \
                "XADD 128 B pipelined 32 deep (redis-benchmark -P 32 -c $c): $R_RPS msgs/s; CPU per message: redis-server $R_SCPU us, redis-benchmark $R_CCPU us" \
                "$(ratio "$B_TPS" "$R_RPS") of Redis"
        done
        say "filling a 1,000,000-message backlog"
        NAMESRV_ADDR=127.0.0.1:$NSPORT "$ADMIN" updateTopic -b "127.0.0.1:$BPORT" -t TBacklog -r 4 -w 4 >/dev/null
        rmq_run producer -t TBacklog -w 2 -s 128 -d 120 -m batch -b 32 -c 500000
        local filled=$B_OK
        L=$(load1)
        rmq_run consumer -t TBacklog -g bench_backlog --from-start -c 1000000 -d 60
        # Redis: the same count of 128 B entries, then reads of 32 at a time.
        redis-benchmark -p "$RPORT" -c 2 -P 32 -n 1000000 XADD sbacklog '*' f "$PAYLOAD128" >/dev/null
        redis_run 4 1 XRANGE sbacklog - + COUNT 32
        row "$L" "$mode, pull consume of a backlog of $filled x 128 B (4 queues, one puller each, 32 per pull, --from-start): $B_RECEIVED received, $B_TPS msgs/s (aim: >= 300,000 msgs/s; over the $B_SECS s until the count arrived, the run ended at ${B_WALL:-?} s after the 1 s long polls of drained queues); CPU per message: rmq-broker $B_SCPU us, rmq-bench $B_CCPU us" \
            "Redis XRANGE COUNT 32 on a 1,000,000-entry stream, 4 clients: $((R_RPS * 32)) entries/s; CPU per entry: redis-server $(awk -v x="$R_SCPU" 'BEGIN { printf "%.2f", x / 32 }') us (re-reads the first 32 entries: an upper bound, redis-benchmark cannot walk a stream)" \
            "$(ratio "$B_TPS" "$((R_RPS * 32))") of Redis"
        L=$(load1)
        rmq_run latency -t TLatency -r 5000 -d "$DUR" -s 128
        row "$L" "$mode, end to end (send to pull, one process) at a fixed 5,000 msgs/s, 128 B: $B_SENT sent, $B_RECEIVED received, p50 $B_P50 us, p99 $B_P99 us, max $B_MAX us" \
            "none: redis-benchmark has no fixed-rate or consumer mode" "n/a"
    fi
    stop "$b_pid"; stop "$r_pid"; stop "$ns_pid"
}

run_mode ASYNC_FLUSH everysec
run_mode SYNC_FLUSH always
say "whole run: $(($(date +%s) - T0)) s"

echo
echo "| machine | date | command | result | peer measured in the same run | ratio |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
if [ "$append" = yes ]; then
    printf '%s\n' "${ROWS[@]}" >>"$srcdir/bench/README.md"
    say "appended ${#ROWS[@]} rows to bench/README.md"
fi
