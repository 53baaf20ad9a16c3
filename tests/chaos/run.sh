#!/bin/bash
# Fault-injection suite: the reference cluster of etc/rocketmq with each
# daemon in its own network namespace on a private bridge (tests/chaos/lib.sh),
# a workload running all the time (tests/chaos/chaos-client: a producer per
# topic, two consumer groups; every acknowledged send and every consumed
# message in a ledger), and faults injected at random (seeded) points:
#   kill -9 of a master, a slave, a name server (then restarted);
#   SIGSTOP of a master for longer than the client timeouts, then SIGCONT;
#   partitions (blackhole routes) master<->slave, broker->name servers,
#   clients->master;
#   netem delay 200 ms + 5% loss on a master's link (SKIP without sch_netem);
#   broker-b master's disk (a tmpfs) filled up, then freed;
#   the wall clock (CLOCK_REALTIME) of a master, and separately of a name
#   server, stepped 2 h ahead, then 10 min behind the real time, then back:
#   the masters and name servers run under libfaketime (SKIP without it, or
#   when a daemon will not run under it), which steps one process's wall
#   clock at run time; a time namespace cannot. CLOCK_MONOTONIC stays real:
#   no host steps it, and every timer and expiry in rmq runs on it.
# broker-a is SYNC_MASTER + SYNC_FLUSH (topic ChaosA), broker-b ASYNC (ChaosB).
# Afterwards: no acknowledged ChaosA message missing or corrupted on broker-a's
# master nor its slave; ChaosB's loss counted; no foreign or corrupted body at
# the consumers; duplicates counted; every daemon that was not killed kept
# serving; none crashed (exit by signal, core files, sanitizer reports); every
# daemon stops with status 0. For the clock steps also: a stepped name server
# expires no broker and still routes both topics; a stepped master takes
# sends and serves pulls in each step and closes no client channel; every
# acknowledged message of a stepped master carries, on the master and on its
# slave, the store timestamp its clock said. Prints TAP and a table.
#
# Needs root and ip netns; otherwise prints "1..0 # SKIP <reason>".
# Environment: RMQ_BUILDDIR (build tree), RMQ_CHAOS_SEED (random), RMQ_CHAOS_ROUNDS
# (times each fault is injected, 2), RMQ_CHAOS_FAULTS (only these fault kinds,
# e.g. "clock-master clock-namesrv"), RMQ_CHAOS_FAKETIME (the libfaketimeMT.so.1
# to use), RMQ_CHAOS_KEEP=yes (keep the work directory).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

here=$(cd "$(dirname "$0")" && pwd)
CH_SRCDIR=${RMQ_SRCDIR:-$(cd "$here/../.." && pwd)}
CH_BUILDDIR=${RMQ_BUILDDIR:-$CH_SRCDIR/_build}
# shellcheck source=lib.sh
. "$here/lib.sh"

why=$(ch_unusable)
if [ -n "$why" ]; then
    echo "1..0 # SKIP $why"
    exit 0
fi

seed=${RMQ_CHAOS_SEED:-$(( $(date +%s) % 100000 ))}
rounds=${RMQ_CHAOS_ROUNDS:-2}
RANDOM=$seed
CH_WORK=$(mktemp -d /tmp/rmq-chaos.XXXXXX)
tap_n=0
tap_failed=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

finish() {
    local rc=$?
    ch_cleanup
    if [ "$tap_failed" -gt 0 ] || [ "${RMQ_CHAOS_KEEP:-no}" = yes ]; then
        local keep=$CH_BUILDDIR/chaos-logs
        rm -rf "$keep"; mkdir -p "$keep"
        (cd "$CH_WORK" && find . \( -name '*.log' -o -name 'ledger-*' -o -name '*.conf' -o -name 'verify-*' -o -name 'faults' -o -name 'clock-phases' -o -name 'core*' \) \
            -exec cp --parents {} "$keep" \; 2>/dev/null)
        echo "# logs, ledgers and configs kept in $keep"
    fi
    rm -rf "$CH_WORK"
    echo "1..$tap_n"
    [ "$tap_failed" -eq 0 ] && [ "$rc" -eq 0 ]
}
trap finish EXIT
trap 'exit 130' INT TERM

echo "# seed $seed (RMQ_CHAOS_SEED=$seed reproduces the schedule), $rounds round(s) of each fault"
echo "# work directory $CH_WORK, namespaces $CH_TAG-*"

# before the daemons start: it decides which run under libfaketime
clock_why=""
ch_faketime_probe || clock_why=$CH_FAKETIME_WHY
if ! ch_net_up; then not_ok "network namespaces and bridge created"; exit 1; fi
ok "network namespaces and bridge created (10.251.0.0/24 on $CH_BRIDGE)"
if ! ch_cluster_up; then not_ok "the six daemons started"; exit 1; fi
ok "the six daemons started, each in its own namespace"
if ! ch_workload_start; then not_ok "topics created and routed"; exit 1; fi
ok "topics created and routed; producers and consumers running"
sleep 3
start_acked=$(ch_acked)
if [ "$start_acked" -gt 0 ]; then ok "workload acknowledged $start_acked sends before any fault"
else not_ok "workload acknowledged nothing before any fault"; exit 1; fi

# ---------------------------------------------------------------- faults

netem_ok=yes
if ! ip netns exec "$(ch_netns cli)" tc qdisc add dev eth0 root netem delay 1ms 2>/dev/null; then
    netem_ok=no
    skip "netem delay 200 ms + 5% loss" "the kernel has no sch_netem (tc: qdisc kind unknown)"
else
    ip netns exec "$(ch_netns cli)" tc qdisc del dev eth0 root 2>/dev/null
fi
# A time namespace cannot step CLOCK_REALTIME (only the monotonic clocks,
# only before its first process) and a test must not step the host's, so the
# masters and name servers run under libfaketime (tests/chaos/lib.sh).
clock_ok=yes
if [ -n "$clock_why" ]; then
    clock_ok=no
    skip "wall clock of a master and of a name server stepped forward and back" "$clock_why"
fi

types="kill-master kill-slave kill-namesrv stop-master part-master-slave part-broker-ns part-client-master disk-full"
[ "$netem_ok" = yes ] && types="$types netem"
[ "$clock_ok" = yes ] && types="$types clock-master clock-namesrv"
if [ -n "${RMQ_CHAOS_FAULTS:-}" ]; then
    only=""
    for t in $types; do case " $RMQ_CHAOS_FAULTS " in *" $t "*) only="$only $t" ;; esac; done
    types=$only
fi
schedule=()
for r in $(seq "$rounds"); do for t in $types; do schedule+=("$t"); done; done
# Fisher-Yates with the seeded $RANDOM
for ((i = ${#schedule[@]} - 1; i > 0; i--)); do
    j=$((RANDOM % (i + 1))); tmp=${schedule[i]}; schedule[i]=${schedule[j]}; schedule[j]=$tmp
done

masters=(ba bb); slaves=(bas bbs); namesrvs=(ns1 ns2)
declare -A first_pick times
for t in $types; do times[$t]=0; done
topic_of() { case $1 in ba|bas) echo ChaosA ;; bb|bbs) echo ChaosB ;; *) echo "ChaosA|ChaosB" ;; esac; }

# First acknowledged send of topic(s) $1 at or after $2 (ms); waits up to
# 90 s; prints its time or nothing.
wait_ack_after() {
    local re=$1 since=$2 i t
    for i in $(seq 900); do
        t=$(cat "$CH_WORK"/ledger-produce-* | awk -v s="$since" -v re="^($re)\$" \
            '$1 == "A" && $2 >= s && $3 ~ re { print $2; exit }')
        [ -n "$t" ] && { echo "$t"; return; }
        sleep 0.1
    done
}

broker_of() { case $1 in ba|bas) echo broker-a ;; bb|bbs) echo broker-b ;; esac; }
# Acknowledged sends (A) or consumed messages (C) of node $2's broker with a
# ledger time in [$3, $4).
ledger_count() {
    local col=5; [ "$1" = C ] && col=6
    cat "$CH_WORK"/ledger-"$([ "$1" = A ] && echo produce || echo consume)"-* |
        awk -v k="$1" -v c="$col" -v br="$(broker_of "$2")" -v a="$3" -v b="$4" \
            '$1 == k && $c == br && $2 >= a && $2 < b' | wc -l
}

# The clock-specific checks of clock fault $1 on node $2 (just injected).
clock_checks() {
    local f=$1 n=$2 off from to bad what=""
    if [ "$f" = clock-namesrv ]; then
        # a name server expiring on its wall clock would drop every broker on
        # the first scan after the 2 h step (their last registration looks
        # 2 h old); its expiry runs on CLOCK_MONOTONIC
        bad=$(grep -cE '\) expired(;| \[|$)' <<<"$CH_CLOCK_LOG")
        if [ "$bad" -eq 0 ] && [ "$CH_CLOCK_ROUTED" = yes ]; then
            ok "fault $n_fault: $n expired no broker while its clock was 2 h ahead and 10 min behind, and routed both topics while ahead"
        else
            not_ok "fault $n_fault: $n with its clock stepped: $bad broker expiries logged, routed both topics while ahead: $CH_CLOCK_ROUTED"
        fi
        return
    fi
    # a master keeps taking sends and serving pulls in each phase, and does
    # not close its clients' channels for want of a heartbeat (120 s, timed
    # on CLOCK_MONOTONIC: a wall-clock timer would expire them all at +2 h)
    bad=$(grep -c 'client channels without a heartbeat' <<<"$CH_CLOCK_LOG")
    local zero=no
    while read -r _ off from to; do
        local a c
        a=$(ledger_count A "$n" "$from" "$to"); c=$(ledger_count C "$n" "$from" "$to")
        what="$what, $off s: $a sends acknowledged, $c messages pulled"
        [ "$a" -gt 0 ] && [ "$c" -gt 0 ] || zero=yes
    done < <(grep "^$n " "$CH_WORK/clock-phases" | tail -n 2)
    if [ "$bad" -eq 0 ] && [ "$zero" = no ]; then
        ok "fault $n_fault: $n with its clock stepped kept serving${what}; no client channel expired"
    else
        not_ok "fault $n_fault: $n with its clock stepped${what}; client channels expired: $bad"
    fi
}

declare -a rows
faults_file=$CH_WORK/faults
n_fault=0
for f in "${schedule[@]}"; do
    n_fault=$((n_fault + 1))
    sleep $((2 + RANDOM % 4))
    ch_dead
    [ -n "$CH_DEAD" ] && not_ok "before fault $n_fault: daemons died:$CH_DEAD"
    hold=$((4 + RANDOM % 4))
    # the first time a fault comes up its target is random, then they alternate
    [ -n "${first_pick[$f]:-}" ] || first_pick[$f]=$((RANDOM % 2))
    k=$(( (first_pick[$f] + times[$f]) % 2 )); times[$f]=$(( times[$f] + 1 ))
    case $f in
        kill-master | stop-master | part-master-slave | part-client-master | netem | part-broker-ns | clock-master)
            target=${masters[$k]} ;;
        kill-slave) target=${slaves[$k]} ;;
        kill-namesrv | clock-namesrv) target=${namesrvs[$k]} ;;
        disk-full) target=bb ;;
    esac
    t0=$(ch_now_ms)
    ch_fault "$f" "$target" "$hold" || not_ok "fault $n_fault: $f $target: $CH_FAULT_ERROR"
    detail=$CH_FAULT_DETAIL
    t1=$(ch_now_ms)
    during=$(cat "$CH_WORK"/ledger-produce-* | awk -v a="$t0" -v b="$t1" -v re="^($(topic_of "$target"))\$" \
        '$1 == "A" && $2 >= a && $2 < b && $3 ~ re' | wc -l)
    rec=$(wait_ack_after "$(topic_of "$target")" "$t1")
    if [ -n "$rec" ]; then
        recover_ms=$((rec - t1)); [ "$recover_ms" -lt 0 ] && recover_ms=0
        ok "fault $n_fault: $f $target${detail:+ ($detail)} for $(( (t1 - t0) / 1000 )) s; sends acknowledged again $((recover_ms)) ms after"
    else
        recover_ms=-1
        not_ok "fault $n_fault: $f $target${detail:+ ($detail)}: no acknowledged send within 90 s after"
    fi
    echo "$n_fault $f $target $t0 $t1 $recover_ms" >> "$faults_file"
    rows+=("$(printf '%-3s %-19s %-7s %6s %12s %9s' "$n_fault" "$f" "$target" "$(( (t1 - t0) / 1000 ))s" \
        "$during" "$([ "$recover_ms" -ge 0 ] && echo "${recover_ms}ms" || echo never)")")
    case $f in
        clock-*) clock_checks "$f" "$target" ;;
    esac
done

# ---------------------------------------------------------------- checks

sleep 3
touch "$CH_WORK/stop-producers"
for pid in "${CH_CLIENT_PIDS[@]:0:2}"; do wait "$pid"; done
# consumers drain until their ledgers stop growing for 5 s (60 s at most)
prev=-1
for i in $(seq 60); do
    cur=$(cat "$CH_WORK"/ledger-consume-* | wc -l)
    [ "$cur" = "$prev" ] && [ "$i" -gt 5 ] && break
    prev=$cur; sleep 1
done
touch "$CH_WORK/stop-consumers"
for pid in "${CH_CLIENT_PIDS[@]:2}"; do wait "$pid"; done
CH_CLIENT_PIDS=()

ch_dead
check "every daemon not killed by the test is still running${CH_DEAD:+ (dead:$CH_DEAD)}" [ -z "$CH_DEAD" ]

# Each name server on its own routes both topics to their masters (a
# restarted one learns them from the brokers' next registration, <= 30 s).
ns_bad=""
for n in ns1 ns2; do
    ch_client setup --ns "$(ch_addr "$n")" --topic ChaosA --broker "broker-a=$(ch_addr ba)" \
        --topic ChaosB --broker "broker-b=$(ch_addr bb)" 2>>"$CH_WORK/clients.log" || ns_bad="$ns_bad $n"
done
check "each name server routes both topics${ns_bad:+ (not:$ns_bad)}" [ -z "$ns_bad" ]

# Read everything back from each broker; a slave is given 30 s to catch up.
verify() {
    local node=$1 topic=$2 out=$CH_WORK/verify-$1-$2
    ch_client verify --addr "$(ch_addr "$node")" --topic "$topic" --label "$node" >"$out" 2>>"$CH_WORK/clients.log"
}
acked_keys() { awk -v t="$1" '$1 == "A" && $3 == t { print $4 }' "$CH_WORK/ledger-produce-$1" | sort -u; }
missing_in() { comm -23 <(acked_keys "$1") <(awk '$1 == "V" { print $4 }' "$2" | sort -u) | wc -l; }

# a topic lives on the broker it was created on: a send acknowledged by
# another broker means the producer moved it there (auto-created)
wrong_broker=$(cat "$CH_WORK"/ledger-produce-* | awk '$1 == "A" && (($3 == "ChaosA" && $5 != "broker-a") || ($3 == "ChaosB" && $5 != "broker-b"))' | wc -l)
check "every send acknowledged by the broker its topic was created on ($wrong_broker elsewhere)" [ "$wrong_broker" -eq 0 ]
acked_a=$(acked_keys ChaosA | wc -l)
acked_b=$(acked_keys ChaosB | wc -l)
for node in ba bas; do
    for i in $(seq 30); do
        verify "$node" ChaosA && [ "$(missing_in ChaosA "$CH_WORK/verify-$node-ChaosA")" -eq 0 ] && break
        sleep 1
    done
done
for node in bb bbs; do
    for i in $(seq 30); do
        verify "$node" ChaosB && [ "$(missing_in ChaosB "$CH_WORK/verify-$node-ChaosB")" -eq 0 ] && break
        sleep 1
    done
done
lost_a_m=$(missing_in ChaosA "$CH_WORK/verify-ba-ChaosA")
lost_a_s=$(missing_in ChaosA "$CH_WORK/verify-bas-ChaosA")
lost_b_m=$(missing_in ChaosB "$CH_WORK/verify-bb-ChaosB")
lost_b_s=$(missing_in ChaosB "$CH_WORK/verify-bbs-ChaosB")
check "ChaosA (SYNC_MASTER + SYNC_FLUSH): all $acked_a acknowledged messages on broker-a's master (missing: $lost_a_m)" [ "$lost_a_m" -eq 0 ]
check "ChaosA: all $acked_a acknowledged messages on broker-a's slave (missing: $lost_a_s)" [ "$lost_a_s" -eq 0 ]
ok "ChaosB (ASYNC): $acked_b acknowledged, lost on broker-b's master: $lost_b_m, not on its slave: $lost_b_s"
bad_store=$(cat "$CH_WORK"/verify-* | grep -c '^X ')
check "no foreign or corrupted message in any broker's queues ($bad_store)" [ "$bad_store" -eq 0 ]

# Stored timestamps are what the master's clock said when it stored: for each
# acknowledged message of a clock-stepped master, (store timestamp - ledger
# time of the acknowledgement) is the offset in effect within the 3 s before
# the acknowledgement (the send timeout), give or take that; the slave holds
# the master's bytes, so the same. Prints "<off records> <phase:count>...".
stamp_check() {
    awk -v node="$1" -v topic="$2" '
    FILENAME == ARGV[1] { if ($1 == node) { n++; off[n] = $2 * 1000; from[n] = $3; to[n] = $4 } next }
    FILENAME == ARGV[2] { if ($1 == "V") st[$4] = st[$4] " " $7; next }
    $1 == "A" && $3 == topic && ($4 in st) {
        ta = $2; k = split(st[$4], ss, " ")
        real = 1   # the real clock may have been in effect (outside both phases of a fault)
        for (p = 1; p < n; p += 2) if (ta - 3000 >= from[p] && ta < to[p + 1]) real = 0
        good = 0; delete seen
        for (i = 1; i <= k; i++) {
            d = ss[i] - ta
            if (real && d >= -3000 && d <= 200) good = 1
            for (p = 1; p <= n; p++)
                if (ta >= from[p] && ta - 3000 < to[p] && d - off[p] >= -3000 && d - off[p] <= 200) {
                    good = 1
                    if (ta < to[p] && !(p in seen)) { hit[p]++; seen[p] = 1 }
                }
        }
        if (!good) bad++
    }
    END { printf "%d", bad; for (p = 1; p <= n; p++) printf " %+d:%d", off[p] / 1000, hit[p]; print "" }
    ' "$CH_WORK/clock-phases" "$3" "$CH_WORK/ledger-produce-$2"
}
if [ -s "$CH_WORK/clock-phases" ]; then
    for node in ba bb; do
        grep -q "^$node " "$CH_WORK/clock-phases" || continue
        t=$(topic_of "$node"); stamp_bad=0; stamp_empty=no; stamp_what=""
        for copy in "$node" "${node}s"; do
            read -r b rest < <(stamp_check "$node" "$t" "$CH_WORK/verify-$copy-$t")
            stamp_bad=$((stamp_bad + b))
            [ "$copy" = "$node" ] && stamp_what=$rest
            case " $rest" in *:0\ * | *:0) stamp_empty=yes ;; esac
        done
        if [ "$stamp_bad" -eq 0 ] && [ "$stamp_empty" = no ]; then
            ok "$t on $node and ${node}s: store timestamps are what $node's clock said (acknowledged while stepped, per step in s: $stamp_what)"
        else
            not_ok "$t on $node and ${node}s: $stamp_bad records with a store timestamp its clock did not say (per step in s: $stamp_what)"
        fi
    done
fi

bad_cons=$(cat "$CH_WORK"/ledger-consume-* | grep -c '^X ')
check "consumers saw no message of another topic and no corrupted body ($bad_cons)" [ "$bad_cons" -eq 0 ]
declare -A dup miss
for g in ChaosGroup1 ChaosGroup2; do
    l=$CH_WORK/ledger-consume-$g
    dup[$g]=$(awk '$1 == "C" { print $4, $5 }' "$l" | sort | uniq -d | wc -l)
    for t in ChaosA ChaosB; do
        miss[$g$t]=$(comm -23 <(acked_keys $t) <(awk -v t=$t '$1 == "C" && $4 == t { print $5 }' "$l" | sort -u) | wc -l)
    done
    check "$g consumed every acknowledged ChaosA message (missing ${miss[${g}ChaosA]}; ChaosB missing ${miss[${g}ChaosB]}, duplicates ${dup[$g]})" \
        [ "${miss[${g}ChaosA]}" -eq 0 ]
done

# Stop everything: status 0 and "stopped" each.
stop_bad=""
for n in bbs bas bb ba ns2 ns1; do
    [ -n "${CH_PID[$n]:-}" ] || continue
    ch_stop "$n" TERM
    st=$CH_STATUS
    tail -n 3 "$CH_WORK/$n/daemon.log" | grep -q ' stopped$' || st="$st,no-stopped-line"
    [ "$st" = 0 ] || stop_bad="$stop_bad $n:$st"
done
check "every daemon stopped with SIGTERM exits 0 and logs \"stopped\"${stop_bad:+ (bad:$stop_bad)}" [ -z "$stop_bad" ]
cores=$(find "$CH_WORK" -name 'core*' -type f | wc -l)
check "no core dumps ($cores)" [ "$cores" -eq 0 ]
san=$(grep -l -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$CH_WORK"/*/daemon.log 2>/dev/null | xargs -r -n1 dirname | xargs -r -n1 basename | tr '\n' ' ')
check "no sanitizer reports in the daemons' logs${san:+ ($san)}" [ -z "$san" ]

# ---------------------------------------------------------------- table
count() { cat "$CH_WORK"/ledger-produce-* | grep -c "^$1 "; }
echo "#"
echo "# seed $seed: ${#schedule[@]} faults injected"
echo "# #   fault               target    held  acked during   recover"
for r in "${rows[@]}"; do echo "# $r"; done
echo "#"
echo "# topic   acked  lost(master) lost(slave)  G1 missing  G2 missing  G1 dup  G2 dup"
printf '# %-7s %6s %12s %11s %11s %11s %7s %7s\n' ChaosA "$acked_a" "$lost_a_m" "$lost_a_s" \
    "${miss[ChaosGroup1ChaosA]}" "${miss[ChaosGroup2ChaosA]}" "${dup[ChaosGroup1]}" "${dup[ChaosGroup2]}"
printf '# %-7s %6s %12s %11s %11s %11s\n' ChaosB "$acked_b" "$lost_b_m" "$lost_b_s" \
    "${miss[ChaosGroup1ChaosB]}" "${miss[ChaosGroup2ChaosB]}"
echo "# sends not acknowledged: $(count N) stored without SEND_OK, $(count E) failed"
exit 0
