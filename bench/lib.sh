# Shared by the bench scripts (sourced): the config files of a private name
# server and broker on loopback.
#
# bench_write_configs DIR NSPORT BPORT FLUSHDISKTYPE CLUSTER BROKERNAME
# writes DIR/namesrv.conf and DIR/broker.conf (store under DIR/store).
bench_write_configs() {
    local dir=$1 nsport=$2 bport=$3 flush=$4 cluster=$5 broker=$6
    mkdir -p "$dir/store"
    cat >"$dir/namesrv.conf" <<EOF
listenPort = $nsport;
bindAddress = "127.0.0.1";
kvConfigPath = "$dir/kv.json";
EOF
    cat >"$dir/broker.conf" <<EOF
brokerClusterName = "$cluster";
brokerName = "$broker";
brokerId = 0;
brokerRole = "ASYNC_MASTER";
flushDiskType = "$flush";
bindAddress = "127.0.0.1";
brokerIP1 = "127.0.0.1";
listenPort = $bport;
haListenPort = $((bport + 1));
namesrvAddr = "127.0.0.1:$nsport";
storePathRootDir = "$dir/store";
autoCreateTopicEnable = true;
autoCreateSubscriptionGroup = true;
EOF
}

# The --connections argument for rmq-bench binary $1 with $2 threads and the
# connection count $3 asked for (empty: one per thread, the pattern of every
# row recorded before rmq-bench learnt to share connections). Nothing for an
# older binary that has no --connections (a before/after pair).
bench_conn_args() { # bench-binary threads [connections]
    "$1" --help 2>/dev/null | grep -q -- '--connections' || return 0
    echo "--connections ${3:-$2}"
}

# The value of KEY in a line of key=value words (bench-probe's answers).
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# start_ready LOG CMD...: start a daemon through bench-probe ($PROBE), wait
# for its READY=1; sets PID and adds it to the array PIDS (the caller kills
# them on exit). On failure: the log's tail, exit 1.
start_ready() {
    local log=$1 out; shift
    out=$("$PROBE" ready "$log" -- "$@") || { tail -20 "$log" >&2; exit 1; }
    PID=$(kv "$out" pid); PIDS+=("$PID")
}

# CPU ticks (user + system) of process $1 so far.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# CPU ticks of this shell's reaped children (the load generators run as
# such children), and microseconds per item of a tick count.
TCK=$(getconf CLK_TCK)
child_ticks() { sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $14 + $15 }'; }
us_per() { awk -v t="$1" -v n="$2" -v k="$TCK" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / k / n; else print "n/a" }'; }
jget() { echo "$1" | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"; }      # flat JSON
ms2us() { awk -v x="$1" 'BEGIN { printf "%.0f", x * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
status_kib() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# The Redis peer (bench/run.sh, bench/sepconn.sh): a redis-server on
# 127.0.0.1:$RPORT, pid $RPID; DUR seconds per run.
# redis-benchmark for about DUR seconds: a short run sizes -n first.
# Sets R_RPS R_P50 R_P99 R_MAX (us) and R_N.
redis_run() { # clients pipeline args...
    local c=$1 pl=$2 n out; shift 2
    n=$((c * 100 > 2000 ? c * 100 : 2000))
    out=$(redis-benchmark -p "$RPORT" -c "$c" -P "$pl" -n "$n" --csv --precision 3 "$@" | tail -1 | tr -d '"')
    # With --threads a run ends on its threads' 250 ms throughput timer
    # (showThroughput stops each loop once every request is done), so a
    # short sizing run reads far too slow: size again until one takes half
    # a second, so the measured run is about DUR long (and then off by at
    # most 250 ms).
    local m pass
    for pass in 1 2 3; do
        m=$(echo "$out" | awk -F, -v n="$n" '{ t = $2 > 0 ? n / $2 : 1
            if (t >= 0.5) print 0; else { m = int(n * 0.6 / t); print (m > 2 * n ? m : 2 * n) } }')
        [ "$m" -gt 0 ] || break
        n=$m
        out=$(redis-benchmark -p "$RPORT" -c "$c" -P "$pl" -n "$n" --csv --precision 3 "$@" | tail -1 | tr -d '"')
    done
    # rps counts commands, pipelined or not
    n=$(echo "$out" | awk -F, -v d="$DUR" '{ n = int($2 * d); print n < 2000 ? 2000 : n }')
    local s0 c0; s0=$(cpu_ticks "$RPID"); c0=$(child_ticks)
    out=$(redis-benchmark -p "$RPORT" -c "$c" -P "$pl" -n "$n" --csv --precision 3 "$@" | tail -1 | tr -d '"')
    R_SCPU=$(us_per "$(($(cpu_ticks "$RPID") - s0))" "$n"); R_CCPU=$(us_per "$(($(child_ticks) - c0))" "$n")
    R_N=$n
    R_RPS=$(echo "$out" | awk -F, '{ printf "%.0f", $2 }')
    R_P50=$(ms2us "$(echo "$out" | cut -d, -f5)")
    R_P99=$(ms2us "$(echo "$out" | cut -d, -f7)")
    R_MAX=$(ms2us "$(echo "$out" | cut -d, -f8)")
}


# bench_tmp NAME: a scratch directory TMP under RMQ_BENCH_TMP (the disk under
# test, default /var/tmp) and an empty PIDS; on exit the daemons in PIDS get
# SIGTERM and TMP goes.
bench_tmp() {
    TMP=$(mktemp -d "${RMQ_BENCH_TMP:-/var/tmp}/rmq-$1.XXXXXX")
    PIDS=()
    trap bench_cleanup EXIT
}
bench_cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 0.3
    rm -rf "$TMP"
}

# bench_args ARGS...: [--no-append] [BUILDDIR] of a benchmark that appends its
# rows to bench/README.md; sets append (yes or no) and build (made absolute;
# default $srcdir/_build-bench).
bench_args() {
    append=yes
    if [ "${1:-}" = "--no-append" ]; then append=no; shift; fi
    build=${1:-"$srcdir/_build-bench"}
    case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
}

# bench_build: configure $build if it is new, then build the daemons,
# rmq-bench, rmqadmin and bench-probe; exits when that fails.
bench_build() {
    if [ ! -x "$srcdir/configure" ]; then (cd "$srcdir" && autoreconf -fi >/dev/null); fi
    mkdir -p "$build"
    if [ ! -f "$build/Makefile" ]; then (cd "$build" && "$srcdir/configure" -q); fi
    echo "# building in $build" >&2
    make -C "$build" -s -j2 src/namesrv/rmq-namesrv src/broker/rmq-broker src/tools/rmq-bench \
        src/tools/rmqadmin bench/bench-probe >&2 || { echo "$0: build failed" >&2; exit 1; }
}

# bench_need_redis: redis-server and redis-benchmark, installed when missing.
bench_need_redis() {
    command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null && return 0
    echo "# installing redis-server and redis-tools" >&2
    local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server redis-tools >&2 ||
        { echo "$0: cannot install redis-server/redis-tools" >&2; exit 1; }
}
