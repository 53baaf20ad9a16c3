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
