# The reference cluster of etc/rocketmq (two name servers, broker-a and
# broker-b masters and their slaves) with every daemon in its own network
# namespace, on a private bridge with test-only addresses (10.251.0.0/24
# exists only on that bridge), plus a namespace for the clients. Sourced by
# tests/chaos/run.sh and bench/soak.sh (bash, root).
#
# Set before sourcing: CH_BUILDDIR (build tree), CH_SRCDIR (source tree).
# Everything is removed by ch_cleanup (call it from an EXIT trap).

CH_NODES="ns1 ns2 ba bb bas bbs"
declare -A CH_IP=([ns1]=10.251.0.11 [ns2]=10.251.0.12 [ba]=10.251.0.21 [bas]=10.251.0.22
                  [bb]=10.251.0.31 [bbs]=10.251.0.32 [cli]=10.251.0.41)
declare -A CH_CONF=([ns1]=namesrv-1 [ns2]=namesrv-2 [ba]=broker-a [bas]=broker-a-s
                    [bb]=broker-b [bbs]=broker-b-s)
declare -A CH_PORT=([ns1]=9876 [ns2]=9875 [ba]=10911 [bas]=11011 [bb]=10910 [bbs]=11010)
declare -A CH_PID=()      # node -> daemon pid (empty while down)
declare -A CH_KILLED=()   # node -> 1 while deliberately down
CH_CLIENT_PIDS=()
CH_TMPFS=""
# Daemons started under libfaketime so a test can step their wall clock
# (ch_clock_set): the masters and the name servers, when ch_faketime_probe
# found a libfaketime that works with the daemons; otherwise none.
CH_CLOCK_NODES=""
CH_FAKETIME_LIB=""
# Short and unique: interface names are at most 15 characters.
CH_TAG=rc$(printf '%04x' $(( $$ % 65536 )))
CH_BRIDGE=${CH_TAG}br
CH_WORK=""
CH_NS=""  # name server list as clients and brokers see it

ch_log() { printf '# %s\n' "$*"; }

ch_netns() { echo "${CH_TAG}-$1"; }

# Why this machine cannot run the suite, or nothing.
ch_unusable() {
    [ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, veth, a bridge, tmpfs)"; return; }
    command -v ip >/dev/null 2>&1 || { echo "ip (iproute2) is not installed"; return; }
    local probe=${CH_TAG}-probe
    if ! ip netns add "$probe" 2>/dev/null; then
        echo "ip netns is unavailable here (no permission to create network namespaces)"; return
    fi
    if ! ip link add "${CH_TAG}pb" type bridge 2>/dev/null; then
        ip netns del "$probe"
        echo "cannot create a bridge (no CAP_NET_ADMIN?)"; return
    fi
    ip link del "${CH_TAG}pb"
    ip netns del "$probe"
    local b
    for b in src/namesrv/rmq-namesrv src/broker/rmq-broker tests/chaos/chaos-client; do
        [ -x "$CH_BUILDDIR/$b" ] || { echo "$CH_BUILDDIR/$b is not built"; return; }
    done
}

# libfaketime (Debian: libfaketime) for the clock-step faults: sets
# CH_FAKETIME_LIB and CH_CLOCK_NODES, or returns 1 with the reason in
# CH_FAKETIME_WHY. Call before ch_cluster_up.
# The library is preloaded into the daemon alone (not into ip); it reads
# $CH_WORK/<node>/clock (an offset such as "+7200") on every wall-clock call
# (FAKETIME_NO_CACHE), so a step takes effect at once in every thread.
# CLOCK_MONOTONIC and CLOCK_BOOTTIME stay real (FAKETIME_DONT_FAKE_MONOTONIC):
# a host's monotonic clock is never stepped, and GLib's timers, rmq's timeouts
# and expiries run on it. File times stay the kernel's (NO_FAKE_STAT).
ch_faketime_probe() {
    local lib="" cand f got now b out
    CH_FAKETIME_WHY=""
    for cand in "${RMQ_CHAOS_FAKETIME:-}" /usr/lib/*/faketime/libfaketimeMT.so.1 \
                /usr/lib/faketime/libfaketimeMT.so.1 /usr/local/lib/faketime/libfaketimeMT.so.1; do
        [ -n "$cand" ] && [ -f "$cand" ] && { lib=$cand; break; }
    done
    if [ -z "$lib" ]; then
        CH_FAKETIME_WHY="libfaketime is not installed (scripts/install-deps.sh test installs it)"; return 1
    fi
    f=$(mktemp /tmp/rmq-chaos-clock.XXXXXX)
    echo "+7200" > "$f"
    ch_faketime_cmd "$lib" "$f"
    now=$(date +%s)
    got=$("${CH_FT_CMD[@]}" date +%s 2>/dev/null)
    if [ -z "$got" ] || [ $((got - now)) -lt 7190 ] || [ $((got - now)) -gt 7210 ]; then
        rm -f "$f"; CH_FAKETIME_WHY="$lib does not step the wall clock here"; return 1
    fi
    # an ASan daemon refuses a library preloaded before its runtime unless
    # told not to check (ch_faketime_cmd does); anything else is reported
    for b in "$(ch_bin ba)" "$(ch_bin ns1)"; do
        if ! out=$("${CH_FT_CMD[@]}" "$b" --version 2>&1 >/dev/null); then
            rm -f "$f"
            CH_FAKETIME_WHY="$(basename "$b") does not run under libfaketime: $(echo "$out" | head -n1)"
            return 1
        fi
    done
    rm -f "$f"
    CH_FAKETIME_LIB=$lib
    CH_CLOCK_NODES="ba bb ns1 ns2"
}

# The command prefix (in CH_FT_CMD) that runs a program with libfaketime $1
# reading the clock offset from file $2.
ch_faketime_cmd() {
    CH_FT_CMD=(env "LD_PRELOAD=$1" "FAKETIME_TIMESTAMP_FILE=$2" FAKETIME_NO_CACHE=1
               FAKETIME_DONT_FAKE_MONOTONIC=1 NO_FAKE_STAT=1
               "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
}

ch_clocked() { case " $CH_CLOCK_NODES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# Step node $1's wall clock to the real time plus $2 seconds ("+7200",
# "-600", "+0"); a rename, so the library never reads half a file.
ch_clock_set() {
    echo "$2" > "$CH_WORK/$1/clock.new" && mv -f "$CH_WORK/$1/clock.new" "$CH_WORK/$1/clock"
}

ch_net_up() {
    ip link add "$CH_BRIDGE" type bridge || return 1
    ip link set "$CH_BRIDGE" up
    local n ns
    for n in $CH_NODES cli; do
        ns=$(ch_netns "$n")
        ip netns add "$ns" || return 1
        ip link add "${CH_TAG}$n" type veth peer name eth0 netns "$ns" || return 1
        ip link set "${CH_TAG}$n" master "$CH_BRIDGE" up
        ip -n "$ns" addr add "${CH_IP[$n]}/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
    done
}

# The sample file with addresses replaced: name servers at their namespaces'
# addresses, brokerIP1 = the node's own, the store under the work directory;
# broker-a is SYNC_MASTER + SYNC_FLUSH, broker-b (and the slaves) stay ASYNC.
ch_write_config() {
    local n=$1 dir=$CH_WORK/$1 src=$CH_SRCDIR/etc/rocketmq/${CH_CONF[$1]}.conf
    mkdir -p "$dir"
    sed -e "s/127\.0\.0\.1:9876/${CH_IP[ns1]}:9876/g" -e "s/127\.0\.0\.1:9875/${CH_IP[ns2]}:9875/g" \
        -e '/^[[:space:]]*storePathRootDir/d' -e '/^[[:space:]]*kvConfigPath/d' \
        -e '/^[[:space:]]*brokerRole/d' -e '/^[[:space:]]*flushDiskType/d' \
        "$src" > "$dir/$n.conf"
    case $n in
        ns*)
            # scans every 2 s (10 s by default), so a clock step is always
            # followed by a scan within the fault
            printf 'kvConfigPath = "%s";\nscanNotActiveBrokerInterval = 2000;\n' "$dir/kv.json" >> "$dir/$n.conf" ;;
        *)
            local role=ASYNC_MASTER flush=ASYNC_FLUSH
            case $n in
                ba) role=SYNC_MASTER; flush=SYNC_FLUSH ;;
                bas|bbs) role=SLAVE ;;
            esac
            cat >> "$dir/$n.conf" <<EOF
brokerRole = "$role";
flushDiskType = "$flush";
storePathRootDir = "$dir/store";
brokerIP1 = "${CH_IP[$n]}";
# small files: broker-b's store is a small tmpfs
mappedFileSizeCommitLog = 16777216;
mappedFileSizeConsumeQueue = 120000;
maxHashSlotNum = 10000;
maxIndexNum = 40000;
EOF
            ;;
    esac
}

ch_bin() {
    case $1 in ns*) echo "$CH_BUILDDIR/src/namesrv/rmq-namesrv" ;; *) echo "$CH_BUILDDIR/src/broker/rmq-broker" ;; esac
}

# Start node $1 in its namespace; wait for "started" in its log (30 s).
ch_start() {
    local n=$1 dir=$CH_WORK/$1 log=$CH_WORK/$1/daemon.log before
    touch "$log"
    before=$(grep -c ' started (' "$log")
    local pre=()
    if ch_clocked "$n"; then
        [ -f "$dir/clock" ] || ch_clock_set "$n" +0
        ch_faketime_cmd "$CH_FAKETIME_LIB" "$dir/clock"
        pre=("${CH_FT_CMD[@]}")
    fi
    (
        cd "$dir" || exit 1
        ulimit -c unlimited 2>/dev/null
        unset NOTIFY_SOCKET WATCHDOG_USEC STATE_DIRECTORY NAMESRV_ADDR
        exec ip netns exec "$(ch_netns "$n")" "${pre[@]}" "$(ch_bin "$n")" --config "$dir/$n.conf" >>"$log" 2>&1
    ) &
    CH_PID[$n]=$!
    CH_KILLED[$n]=""
    local i
    for i in $(seq 300); do
        [ "$(grep -c ' started (' "$log")" -gt "$before" ] && return 0
        kill -0 "${CH_PID[$n]}" 2>/dev/null || break
        sleep 0.1
    done
    ch_log "$n did not start; its log ends:"; tail -n 20 "$log" | sed 's/^/#   /'
    return 1
}

# Signal node $1 with $2 and reap it; its exit status in CH_STATUS (-1: not
# running). Not from $(...): only this shell can reap its children.
ch_stop() {
    local n=$1 sig=$2 pid=${CH_PID[$1]:-}
    CH_STATUS=-1
    [ -n "$pid" ] || return 0
    kill -"$sig" "$pid" 2>/dev/null
    # (braces: the shell's "Killed" notice goes to /dev/null)
    { wait "$pid"; } 2>/dev/null; CH_STATUS=$?
    CH_PID[$n]=""
}

# Daemons that should be running but are not, as " node:status" in CH_DEAD
# (reaped). Not from $(...).
ch_dead() {
    local n st
    CH_DEAD=""
    for n in $CH_NODES; do
        [ -n "${CH_PID[$n]:-}" ] || continue
        if ! kill -0 "${CH_PID[$n]}" 2>/dev/null; then
            { wait "${CH_PID[$n]}"; } 2>/dev/null; st=$?
            CH_PID[$n]=""
            CH_DEAD="$CH_DEAD $n:$st"
        fi
    done
}

ch_cluster_up() {
    CH_NS="${CH_IP[ns1]}:9876;${CH_IP[ns2]}:9875"
    local n
    for n in $CH_NODES; do ch_write_config "$n"; done
    # broker-b's store on a small tmpfs, so its disk can be filled
    mkdir -p "$CH_WORK/bb/store"
    mount -t tmpfs -o size=160m "${CH_TAG}-bb" "$CH_WORK/bb/store" || return 1
    CH_TMPFS=$CH_WORK/bb/store
    # name servers, masters, then slaves (they learn their master from the
    # name servers)
    for n in ns1 ns2 ba bb bas bbs; do ch_start "$n" || return 1; done
}

ch_addr() { echo "${CH_IP[$1]}:${CH_PORT[$1]}"; }

# Run the chaos client in the clients' namespace.
ch_client() {
    ip netns exec "$(ch_netns cli)" "$CH_BUILDDIR/tests/chaos/chaos-client" "$@"
}

# The same in the background (its pid is the client's, so it can be killed);
# stderr to clients.log.
ch_client_bg() {
    ( exec ip netns exec "$(ch_netns cli)" "$CH_BUILDDIR/tests/chaos/chaos-client" "$@" \
        2>>"$CH_WORK/clients.log" ) &
}

# The workload: a producer per topic, two consumer groups reading both topics;
# ledgers in $CH_WORK/ledger-*.
ch_workload_start() {
    rm -f "$CH_WORK/stop-producers" "$CH_WORK/stop-consumers"
    ch_client setup --ns "$CH_NS" --topic ChaosA --broker "broker-a=$(ch_addr ba)" \
        --topic ChaosB --broker "broker-b=$(ch_addr bb)" || return 1
    local t g
    for t in ChaosA ChaosB; do
        ch_client_bg produce --ns "$CH_NS" --topic "$t" --ledger "$CH_WORK/ledger-produce-$t" \
            --stop "$CH_WORK/stop-producers" --interval-ms "${CH_SEND_INTERVAL_MS:-5}"
        CH_CLIENT_PIDS+=($!)
    done
    for g in ChaosGroup1 ChaosGroup2; do
        ch_client_bg consume --ns "$CH_NS" --group "$g" --topic ChaosA --topic ChaosB \
            --ledger "$CH_WORK/ledger-consume-$g" --stop "$CH_WORK/stop-consumers"
        CH_CLIENT_PIDS+=($!)
    done
}

ch_route() { ip -n "$(ch_netns "$1")" route "$2" blackhole "${CH_IP[$3]}/32"; }

# Inject fault $1 on node $2 for $3 seconds, then heal it:
#   kill-master|kill-slave|kill-namesrv  kill -9, restart after the hold
#   stop-master          SIGSTOP, SIGCONT after hold + 2 s (past the 3 s client timeout)
#   part-master-slave    blackhole routes between master $2 and its slave
#   part-broker-ns       blackhole routes from broker $2 to both name servers
#   part-client-master   blackhole route from the clients to master $2
#   netem                tc netem delay 200ms loss 5% on $2's link
#   disk-full            fill broker-b's tmpfs store, free it after the hold
#   clock-master         step master $2's wall clock 2 h ahead for 11 s (past a
#                        10 s client-channel scan), then 10 min behind the
#                        real time for 3 s, then back (the hold is not used)
#   clock-namesrv        the same on name server $2: 2 h ahead for 5 s (past
#                        two 2 s expiry scans; it must still route both topics
#                        then: CH_CLOCK_ROUTED=yes/no), 10 min behind for 2 s
#   (the phases go to $CH_WORK/clock-phases as "node offset_s from_ms to_ms",
#   the daemon's log lines written meanwhile to CH_CLOCK_LOG)
# Sets CH_FAULT_DETAIL (for the report); on trouble returns 1 with
# CH_FAULT_ERROR.
ch_fault() {
    local f=$1 target=$2 hold=$3 s
    CH_FAULT_DETAIL=""
    CH_FAULT_ERROR=""
    case $f in
        kill-master | kill-slave | kill-namesrv)
            ch_stop "$target" 9
            CH_KILLED[$target]=1
            [ "$CH_STATUS" = 137 ] || CH_FAULT_ERROR="$target had exited ($CH_STATUS) before the SIGKILL"
            sleep "$hold"
            ch_start "$target" || CH_FAULT_ERROR="$CH_FAULT_ERROR; $target did not restart"
            ;;
        stop-master)
            kill -STOP "${CH_PID[$target]}"; sleep $((hold + 2)); kill -CONT "${CH_PID[$target]}"
            ;;
        part-master-slave)
            s=${target}s
            ch_route "$target" add "$s"; ch_route "$s" add "$target"
            sleep "$hold"
            ch_route "$target" del "$s"; ch_route "$s" del "$target"
            CH_FAULT_DETAIL="$target<->$s"
            ;;
        part-broker-ns)
            ch_route "$target" add ns1; ch_route "$target" add ns2
            sleep "$hold"
            ch_route "$target" del ns1; ch_route "$target" del ns2
            CH_FAULT_DETAIL="$target->ns1,ns2"
            ;;
        part-client-master)
            ch_route cli add "$target"
            sleep "$hold"
            ch_route cli del "$target"
            CH_FAULT_DETAIL="clients->$target"
            ;;
        netem)
            ip netns exec "$(ch_netns "$target")" tc qdisc add dev eth0 root netem delay 200ms loss 5% ||
                CH_FAULT_ERROR="tc netem failed"
            sleep "$hold"
            ip netns exec "$(ch_netns "$target")" tc qdisc del dev eth0 root 2>/dev/null
            ;;
        disk-full)
            dd if=/dev/zero of="$CH_TMPFS/filler" bs=1M 2>/dev/null
            CH_FAULT_DETAIL="$(df -m --output=avail "$CH_TMPFS" | tail -n1 | tr -d ' ') MiB free"
            sleep "$hold"
            rm -f "$CH_TMPFS/filler"
            ;;
        clock-master | clock-namesrv)
            if ! ch_clocked "$target"; then
                CH_FAULT_ERROR="$target does not run under libfaketime"; return 1
            fi
            local fwd=11 back=3 lines t_a t_b t_c
            [ "$f" = clock-namesrv ] && { fwd=5; back=2; }
            lines=$(wc -l < "$CH_WORK/$target/daemon.log")
            CH_CLOCK_ROUTED=""
            t_a=$(ch_now_ms); ch_clock_set "$target" +7200
            sleep "$fwd"
            if [ "$f" = clock-namesrv ]; then
                # (a name server restarted by an earlier fault learns the
                # routes at the brokers' next registration, <= 30 s)
                CH_CLOCK_ROUTED=yes
                ch_client route --ns "$(ch_addr "$target")" --topic ChaosA --topic ChaosB --wait-ms 35000 \
                    2>>"$CH_WORK/clients.log" || CH_CLOCK_ROUTED=no
            fi
            t_b=$(ch_now_ms); ch_clock_set "$target" -600
            sleep "$back"
            t_c=$(ch_now_ms); ch_clock_set "$target" +0
            printf '%s +7200 %s %s\n%s -600 %s %s\n' "$target" "$t_a" "$t_b" "$target" "$t_b" "$t_c" \
                >> "$CH_WORK/clock-phases"
            CH_CLOCK_LOG=$(tail -n +"$((lines + 1))" "$CH_WORK/$target/daemon.log")
            CH_FAULT_DETAIL="+2h $(( (t_b - t_a + 500) / 1000 ))s, -10min $(( (t_c - t_b + 500) / 1000 ))s"
            ;;
        *) CH_FAULT_ERROR="unknown fault $f" ;;
    esac
    [ -z "$CH_FAULT_ERROR" ]
}

ch_acked() { cat "$CH_WORK"/ledger-produce-* 2>/dev/null | grep -c '^A '; }

ch_now_ms() { date +%s%3N; }

# VmRSS and RssAnon (KiB; VmRSS includes the mapped commit log, i.e. page
# cache) and open descriptors of node $1's daemon: "rss anon fds".
ch_usage() {
    local pid=${CH_PID[$1]:-}
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || { echo "- - -"; return; }
    echo "$(awk '/^VmRSS/{r=$2} /^RssAnon/{a=$2} END{print r, a}' "/proc/$pid/status") $(ls "/proc/$pid/fd" 2>/dev/null | wc -l)"
}

ch_cleanup() {
    local n pid
    for pid in "${CH_CLIENT_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    for n in $CH_NODES; do
        pid=${CH_PID[$n]:-}
        [ -n "$pid" ] || continue
        kill -CONT "$pid" 2>/dev/null
        kill -9 "$pid" 2>/dev/null
    done
    { wait; } 2>/dev/null
    [ -n "$CH_TMPFS" ] && umount "$CH_TMPFS" 2>/dev/null
    for n in $CH_NODES cli; do ip netns del "$(ch_netns "$n")" 2>/dev/null; done
    ip link del "$CH_BRIDGE" 2>/dev/null
    return 0
}
